import CHDF5
import SharedArrays

extension HDF5 {
    /// The CF decoding of `dataset` in the HDF5 (or netCDF-4) file at `file`: nil when the dataset carries no CF
    /// attribute (and, in a netCDF-4 file, has no default fill value), or does not hold plain integers or floats
    /// (enums, bitfields and compound fields are never decoded). The HDF5 calls run in a forked child.
    /// - Throws: when `scale_factor` or `add_offset` is not one finite number, and for an unreadable file.
    public static func cfDecoding(file: String, dataset: String) throws -> CFDecoding? {
        try isolated(file: file) { CFDecodingResult(decoding: try cfDecodingInProcess(file: file, dataset: dataset)) }.decoding
    }

    /// For each dataset of the file that CF decoding changes, by path, the decoding's one-line summary (see
    /// ``CFDecoding/summary``), or why it cannot be decoded (`cannot decode: ...`); from one forked child.
    public static func cfDecodingSummaries(file: String) throws -> [String: String] {
        try isolated(file: file) {
            let fileID = try openFile(file)
            defer { H5Fclose(fileID) }
            var summaries: [String: String] = [:]
            for name in try datasetNames(file: fileID) {
                let datasetID = mp_h5dopen(fileID, name)
                guard datasetID >= 0 else { continue }
                defer { H5Dclose(datasetID) }
                do {
                    if let decoding = try cfDecoding(dataset: datasetID, file: fileID, path: file, name: name),
                        decoding.isActive {
                        summaries[name] = decoding.summary
                    }
                } catch let error as ArrayIOError {
                    summaries[name] = "cannot decode: \(error.reason)"
                }
            }
            return summaries
        }
    }

    /// ``checkedDatasetInfo(file:dataset:field:)`` and, with `decode` (and no `field`), the dataset's active
    /// ``CFDecoding``, from one forked child.
    static func checkedDatasetInfo(file: String, dataset: String, field: String?, decode: Bool)
        throws -> (info: HDF5DatasetInfo, decoding: CFDecoding?) {
        guard decode, field == nil else { return (try checkedDatasetInfo(file: file, dataset: dataset, field: field), nil) }
        let result = try isolated(file: file) {
            let reader = try HDF5DatasetReader(file: file, dataset: dataset, field: nil)
            defer { reader.close() }
            return CFDecodingResult(decoding: try cfDecodingInProcess(file: file, dataset: dataset), info: reader.info)
        }
        guard let info = result.info else { throw ArrayIOError(.ioFailure, path: file, dataset: dataset, "no dataset description") }
        return (info, result.decoding?.isActive == true ? result.decoding : nil)
    }

    /// ``cfDecoding(file:dataset:)`` in this process (for workers, already isolated).
    static func cfDecodingInProcess(file: String, dataset: String) throws -> CFDecoding? {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let datasetID = try openDataset(file: fileID, path: file, dataset: dataset)
        defer { H5Dclose(datasetID) }
        return try cfDecoding(dataset: datasetID, file: fileID, path: file, name: normalized(dataset))
    }

    /// The CF decoding of an open dataset (see ``cfDecoding(file:dataset:)``).
    static func cfDecoding(dataset: hid_t, file fileID: hid_t, path: String, name: String) throws -> CFDecoding? {
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the datatype\(lastErrorSuffix())")
        }
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT, let packed = describeType(type).dtype else { return nil }
        let kind: CFDecoding.StoredType.Kind =
            typeClass == H5T_FLOAT ? .float : H5Tget_sign(type) == H5T_SGN_2 ? .signedInteger : .unsignedInteger
        let stored = CFDecoding.StoredType(kind: kind, byteSize: H5Tget_size(type), packedDType: packed)
        var attributes: [String: CFAttributeValue] = [:]
        for attributeName in CFDecoding.attributeNames {
            attributes[attributeName] = try cfAttribute(dataset, attributeName, path: path, dataset: name)
        }
        var defaultFill = false
        if attributes["_FillValue"] == nil, isNetCDF4(fileID) {
            // netCDF4-python: the default fill for every type wider than a byte; for bytes only while filling is
            // on (netCDF turns filling off as HDF5's fill time "never").
            defaultFill = stored.byteSize > 1 || !fillTimeIsNever(dataset)
        }
        return try CFDecoding(stored: stored, attributes: attributes, netCDFDefaultFill: defaultFill, path: path, dataset: name)
    }

    /// Whether the file was written by the netCDF-4 library (its root carries `_NCProperties`, as netCDF 4.4.1
    /// and later, and h5netcdf, write it).
    static func isNetCDF4(_ fileID: hid_t) -> Bool {
        H5Aexists_by_name(fileID, "/", "_NCProperties", mp_h5p_default()) > 0
    }

    private static func fillTimeIsNever(_ dataset: hid_t) -> Bool {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        var time = H5D_FILL_TIME_IFSET
        return H5Pget_fill_time(dcpl, &time) >= 0 && time == H5D_FILL_TIME_NEVER
    }
}

/// What the isolated child sends back (a struct, so that "no decoding" is a value, not a missing result).
private struct CFDecodingResult: Codable {
    var decoding: CFDecoding?
    var info: HDF5DatasetInfo? = nil
}

import CHDF5
import SharedArrays

/// What an HDF5 dataset holds and how it is stored.
public struct HDF5DatasetInfo: Sendable, Equatable, Codable {
    /// How the dataset's data is laid out in the file.
    public enum Layout: String, Sendable, Equatable, Codable {
        case contiguous, chunked, compact, virtual
    }

    /// The dataset's absolute path in the file, e.g. `/readings/temperature`.
    public var path: String
    /// The dataset's shape; `[]` for a scalar dataset.
    public var shape: [Int]
    /// The ``DType`` to load the values as: the stored type when ``DType`` has it, otherwise the smallest
    /// ``DType`` that holds every value (int8 → int16, uint16 → int32, uint32 and uint64 → int64,
    /// float16 → float32, wider floats → float64; HDF5 converts on read). `nil` when the stored type is not a
    /// number (string, compound, enum, opaque, reference, vlen, array, bitfield).
    public var dtype: DType?
    /// The stored type as a person reads it: `float64 little-endian`, `int16 big-endian`, `uint8`, `uint32
    /// little-endian`, `string`, `compound`, ...
    public var typeDescription: String
    /// The storage layout.
    public var layout: Layout
    /// The chunk shape, for chunked datasets.
    public var chunkShape: [Int]?
    /// The filter pipeline in order, e.g. `["shuffle", "gzip"]`.
    public var filters: [String]

    public init(path: String, shape: [Int], dtype: DType?, typeDescription: String, layout: Layout,
                chunkShape: [Int]?, filters: [String]) {
        self.path = path
        self.shape = shape
        self.dtype = dtype
        self.typeDescription = typeDescription
        self.layout = layout
        self.chunkShape = chunkShape
        self.filters = filters
    }

    /// The number of elements (1 for a scalar dataset); `Int.max` when the declared shape has more
    /// elements than an `Int` holds (such a dataset is refused by every ``SizeLimit``, before any read).
    public var count: Int { CheckedSize.elementCount(shape) ?? .max }

    /// The declared in-memory size in `dtype` after the admission rule, or an error naming the file, the
    /// dataset, its declared shape and size, and the limit.
    /// - Parameter file: the file the dataset is in, for the error message.
    public func admittedBytes(as dtype: DType, limit: SizeLimit, file: String) throws -> Int {
        try limit.admit(shape: shape, dtype: dtype, path: file, dataset: path)
    }

    /// Whether the values can be read as numbers.
    public var isNumeric: Bool { dtype != nil }
}

extension HDF5 {
    /// Describes an HDF5 datatype: a readable name and the ``DType`` to load it as (nil if not a number).
    static func describeType(_ type: hid_t) -> (description: String, dtype: DType?) {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        let bigEndian = H5Tget_order(type) == H5T_ORDER_BE
        let order = size > 1 ? (bigEndian ? " big-endian" : " little-endian") : ""
        switch typeClass {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            let name = (signed ? "int" : "uint") + "\(size * 8)" + order
            let dtype: DType?
            switch (signed, size) {
            case (true, 1), (true, 2): dtype = .int16
            case (true, 4): dtype = .int32
            case (true, 8): dtype = .int64
            case (false, 1): dtype = .uint8
            case (false, 2): dtype = .int32
            case (false, 4), (false, 8): dtype = .int64
            default: dtype = nil
            }
            return (name, dtype)
        case H5T_FLOAT:
            let dtype: DType? = size <= 4 ? .float32 : .float64
            return ("float\(size * 8)" + order, dtype)
        case H5T_STRING:
            return (H5Tis_variable_str(type) > 0 ? "string (variable length)" : "string (fixed length \(size))", nil)
        case H5T_COMPOUND: return ("compound", nil)
        case H5T_ENUM: return ("enum", nil)
        case H5T_OPAQUE: return ("opaque", nil)
        case H5T_REFERENCE: return ("reference", nil)
        case H5T_VLEN: return ("vlen", nil)
        case H5T_ARRAY: return ("array", nil)
        case H5T_BITFIELD: return ("bitfield", nil)
        case H5T_TIME: return ("time", nil)
        default: return ("unknown", nil)
        }
    }

    /// A readable name for an HDF5 filter id.
    static func filterName(_ id: H5Z_filter_t, reported: String) -> String {
        switch id {
        case H5Z_FILTER_DEFLATE: return "gzip"
        case H5Z_FILTER_SHUFFLE: return "shuffle"
        case H5Z_FILTER_FLETCHER32: return "fletcher32"
        case H5Z_FILTER_SZIP: return "szip"
        case H5Z_FILTER_NBIT: return "nbit"
        case H5Z_FILTER_SCALEOFFSET: return "scaleoffset"
        case 307: return "bzip2"
        case 32001: return "blosc"
        case 32004: return "lz4"
        case 32008: return "bitshuffle"
        case 32015: return "zstd"
        default: return reported.isEmpty ? "filter \(id)" : "\(reported) (filter \(id))"
        }
    }

    /// The shape of a dataspace (`[]` for scalar, `[0]` for null).
    static func shape(ofSpace space: hid_t) -> [Int]? {
        let kind = H5Sget_simple_extent_type(space)
        if kind == H5S_NULL { return [0] }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { return nil }
        if rank == 0 { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return nil }
        // A dimension past Int.max cannot be addressed: nil makes it an error, not a trap.
        let shape = dims.compactMap { Int(exactly: $0) }
        return shape.count == dims.count ? shape : nil
    }

    /// Collects the info of an open dataset.
    static func info(dataset: hid_t, name: String, path: String) throws -> HDF5DatasetInfo {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the dataspace\(lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        guard let shape = shape(ofSpace: space) else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "cannot read the shape (or a dimension is larger than \(Int.max))\(lastErrorSuffix())")
        }
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the datatype\(lastErrorSuffix())")
        }
        defer { H5Tclose(type) }
        let (description, dtype) = describeType(type)

        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name,
                               "cannot read the creation properties\(lastErrorSuffix())")
        }
        defer { H5Pclose(dcpl) }
        let layout: HDF5DatasetInfo.Layout
        var chunkShape: [Int]? = nil
        switch H5Pget_layout(dcpl) {
        case H5D_COMPACT: layout = .compact
        case H5D_CHUNKED:
            layout = .chunked
            var dims = [hsize_t](repeating: 0, count: max(shape.count, 1))
            let rank = H5Pget_chunk(dcpl, Int32(dims.count), &dims)
            if rank > 0 {
                let chunk = dims.prefix(Int(rank)).compactMap { Int(exactly: $0) }
                guard chunk.count == min(Int(rank), dims.count) else {
                    throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                       "chunk dimensions \(Array(dims.prefix(Int(rank)))) are larger than \(Int.max)")
                }
                chunkShape = chunk
            }
        case H5D_VIRTUAL: layout = .virtual
        default: layout = .contiguous
        }
        var filters: [String] = []
        let filterCount = H5Pget_nfilters(dcpl)
        if filterCount > 0 {
            for index in 0..<UInt32(filterCount) {
                var flags: UInt32 = 0
                var valueCount = 8
                var values = [UInt32](repeating: 0, count: 8)
                var nameBuffer = [CChar](repeating: 0, count: 256)
                var config: UInt32 = 0
                let id = H5Pget_filter2(dcpl, index, &flags, &valueCount, &values, nameBuffer.count, &nameBuffer,
                                        &config)
                let reported = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                filters.append(filterName(id, reported: reported))
            }
        }
        return HDF5DatasetInfo(path: name, shape: shape, dtype: dtype, typeDescription: description, layout: layout,
                               chunkShape: chunkShape, filters: filters)
    }

    /// ``datasetInfo(file:dataset:)`` in this process, for workers (already isolated) and the fuzz target: a
    /// crash inside the HDF5 library on a damaged file takes the calling process down.
    @_spi(InProcess) public static func datasetInfoInProcess(file: String, dataset: String) throws -> HDF5DatasetInfo {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let datasetID = try openDataset(file: fileID, path: file, dataset: dataset)
        defer { H5Dclose(datasetID) }
        return try info(dataset: datasetID, name: normalized(dataset), path: file)
    }

    /// ``listDatasets(file:)`` in this process, for workers (already isolated) and the fuzz target: a crash
    /// inside the HDF5 library on a damaged file takes the calling process down.
    @_spi(InProcess) public static func listDatasetsInProcess(file: String) throws -> [HDF5DatasetInfo] {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let names: [String]
        do {
            names = try datasetNames(file: fileID)
        } catch let error as VisitError {
            throw ArrayIOError(.ioFailure, path: file, "cannot list the datasets: \(error.message)")
        }
        return try names.sorted().map { name in
            let datasetID = mp_h5dopen(fileID, name)
            guard datasetID >= 0 else {
                throw ArrayIOError(.ioFailure, path: file, dataset: name, "cannot open the dataset\(lastErrorSuffix())")
            }
            defer { H5Dclose(datasetID) }
            return try info(dataset: datasetID, name: name, path: file)
        }
    }
}

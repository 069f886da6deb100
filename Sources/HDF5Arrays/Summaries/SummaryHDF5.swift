import CHDF5
import SharedArrays

#if canImport(Glibc)
import Glibc
#endif

extension HDF5Batch {
    /// The name recorded in the files the batch tools write.
    public static let toolName = "mproc"
    /// The version recorded in the files the batch tools write (attribute `tool_version`).
    public static let toolVersion = "0.5.0"
}

/// The batch summary as an HDF5 file: one 1-D dataset per column under `/summary`, strings as
/// variable-length UTF-8 (h5py reads them as `bytes`/`str`), numbers as int64 or float64 (NaN where a
/// value is missing), and the batch's parameters as root attributes.
enum SummaryHDF5 {
    static let group = "/summary"
    /// The in-memory file's name. HDF5's core driver first opens the name (O_RDWR) to read an existing
    /// image, so it must be one nothing can be planted at: /proc admits no new files, not even root's
    /// (`mproc-summary-<pid>.h5` in the working directory let a planted link make root open any file or device).
    static let inMemoryName = "/proc/mproc-summary-in-memory.h5"

    /// The summary as the bytes of an HDF5 file. It is built in memory (HDF5's core driver, no backing
    /// store) and written by the caller with plain writes, so a full disk is a clean error there: HDF5 1.10
    /// crashes at exit after a file it failed to flush on close.
    static func image(_ summary: HDF5BatchSummary, reportingAs destination: String) throws -> [UInt8] {
        HDF5.prepare()
        let records = summary.records
        func failure(_ what: String) -> ArrayIOError {
            ArrayIOError(.ioFailure, path: destination, "writing the summary failed: \(what)\(HDF5.lastErrorSuffix())")
        }
        let fapl = H5Pcreate(mp_h5p_file_access())
        guard fapl >= 0 else { throw failure("file access properties") }
        defer { H5Pclose(fapl) }
        guard H5Pset_fapl_core(fapl, 1 << 16, false) >= 0 else { throw failure("in-memory file driver") }
        let file = H5Fcreate(inMemoryName, mp_h5f_acc_trunc(), mp_h5p_default(), fapl)
        guard file >= 0 else { throw failure("cannot create the file") }
        var closed = false
        defer { if !closed { H5Fclose(file) } }
        func writeColumns() throws {
            let groupID = H5Gcreate2(file, group, mp_h5p_default(), mp_h5p_default(), mp_h5p_default())
            guard groupID >= 0 else { throw failure("cannot create \(group)") }
            defer { H5Gclose(groupID) }

            func dataset(_ name: String, type: hid_t) throws -> hid_t {
                var dims = [hsize_t(records.count)]
                let space = H5Screate_simple(1, &dims, nil)
                guard space >= 0 else { throw failure("dataspace for \(name)") }
                defer { H5Sclose(space) }
                let id = H5Dcreate2(groupID, name, type, space, mp_h5p_default(), mp_h5p_default(), mp_h5p_default())
                guard id >= 0 else { throw failure("cannot create \(group)/\(name)") }
                return id
            }
            func strings(_ name: String, _ values: [String]) throws {
                let type = stringType()
                defer { H5Tclose(type) }
                let id = try dataset(name, type: type)
                defer { H5Dclose(id) }
                guard !values.isEmpty else { return }
                var pointers: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
                defer { pointers.forEach { free($0) } }
                guard H5Dwrite(id, type, mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), &pointers) >= 0 else {
                    throw failure("writing \(group)/\(name)")
                }
            }
            func doubles(_ name: String, _ values: [Double]) throws {
                let id = try dataset(name, type: mp_h5t_ieee_f64le())
                defer { H5Dclose(id) }
                guard !values.isEmpty else { return }
                guard values.withUnsafeBytes({ H5Dwrite(id, mp_h5t_native_double(), mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), $0.baseAddress) }) >= 0 else {
                    throw failure("writing \(group)/\(name)")
                }
            }
            func ints(_ name: String, _ values: [Int64]) throws {
                let id = try dataset(name, type: mp_h5t_std_i64le())
                defer { H5Dclose(id) }
                guard !values.isEmpty else { return }
                guard values.withUnsafeBytes({ H5Dwrite(id, mp_h5t_native_int64(), mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), $0.baseAddress) }) >= 0 else {
                    throw failure("writing \(group)/\(name)")
                }
            }
            try strings("file", records.map(\.file))
            try strings("dataset", records.map { $0.dataset ?? "" })
            try strings("status", records.map(\.status.rawValue))
            for s in summary.statistics {
                try doubles(s.rawValue, records.map { $0.statistics?[s] ?? .nan })
            }
            try strings("dtype", records.map { $0.dtype?.rawValue ?? "" })
            try strings("stored_type", records.map { $0.storedType ?? "" })
            try strings("shape", records.map { SummaryTable.shapeText($0.shape) })
            try strings("layout", records.map { $0.layout ?? "" })
            try strings("filters", records.map { $0.filters.joined(separator: "+") })
            try ints("bytes", records.map { Int64($0.status == .ok ? $0.bytes : 0) })
            try ints("ddof", records.map { Int64($0.ddof) })
            try strings("pattern", records.map(\.pattern))
            try ints("file_size", records.map { Int64($0.fileSize) })
            try ints("file_mtime_ns", records.map(\.fileModified))
            try strings("message", records.map { $0.message ?? "" })
        }
        try writeColumns()
        for (name, value) in [
            ("tool", HDF5Batch.toolName), ("tool_version", HDF5Batch.toolVersion),
            ("statistics", summary.statistics.map(\.rawValue).joined(separator: ",")),
            ("columns", SummaryTable.columns(summary.statistics).joined(separator: ",")),
        ] {
            guard mp_h5_write_string_attribute(file, name, value) >= 0 else { throw failure("attribute \(name)") }
        }
        var ddof = Int64(summary.ddof)
        let scalar = H5Screate(H5S_SCALAR)
        defer { H5Sclose(scalar) }
        let attribute = H5Acreate2(file, "ddof", mp_h5t_std_i64le(), scalar, mp_h5p_default(), mp_h5p_default())
        guard attribute >= 0, H5Awrite(attribute, mp_h5t_native_int64(), &ddof) >= 0 else {
            if attribute >= 0 { H5Aclose(attribute) }
            throw failure("attribute ddof")
        }
        H5Aclose(attribute)
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw failure("flushing the file") }
        let size = H5Fget_file_image(file, nil, 0)
        guard size > 0 else { throw failure("file image") }
        var bytes = [UInt8](repeating: 0, count: size)
        guard bytes.withUnsafeMutableBytes({ H5Fget_file_image(file, $0.baseAddress, $0.count) }) == size else {
            throw failure("file image")
        }
        closed = true
        guard H5Fclose(file) >= 0 else { throw failure("closing the file") }
        return bytes
    }

    static func stringType() -> hid_t {
        let type = H5Tcopy(mp_h5t_c_s1())
        H5Tset_size(type, mp_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    static func read(_ path: String) throws -> [HDF5BatchRecord] {
        let file = try HDF5.openFile(path)
        defer { H5Fclose(file) }
        guard H5Lexists(file, group, mp_h5p_default()) > 0 else {
            throw ArrayIOError(.invalidFormat, path: path, "not an mproc batch summary (no \(group) group)")
        }
        func failure(_ name: String) -> ArrayIOError {
            ArrayIOError(.ioFailure, path: path, dataset: "\(group)/\(name)", "cannot read the column\(HDF5.lastErrorSuffix())")
        }
        func open(_ name: String) throws -> hid_t? {
            guard H5Lexists(file, "\(group)/\(name)", mp_h5p_default()) > 0 else { return nil }
            let id = mp_h5dopen(file, "\(group)/\(name)")
            guard id >= 0 else { throw failure(name) }
            return id
        }
        func length(_ id: hid_t, _ name: String) throws -> Int {
            let space = H5Dget_space(id)
            defer { H5Sclose(space) }
            let n = Int(H5Sget_simple_extent_npoints(space))
            // The row count comes from the file: refuse an error (-1) or a declared size past the
            // admission rule before anything is allocated for it.
            guard n >= 0, SizeLimit.default.admittedBytes(shape: [n], elementSize: 16) != nil else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: "\(group)/\(name)",
                                   "the column declares \(n) rows, more than a summary can hold")
            }
            return n
        }
        func strings(_ name: String) throws -> [String]? {
            guard let id = try open(name) else { return nil }
            defer { H5Dclose(id) }
            let n = try length(id, name)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let type = stringType()
            defer { H5Tclose(type) }
            if n > 0 {
                guard H5Dread(id, type, mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), &pointers) >= 0 else { throw failure(name) }
            }
            defer { pointers.forEach { if let p = $0 { H5free_memory(p) } } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        func numbers<T: BitwiseCopyable & Numeric>(_ name: String, _: T.Type, _ memoryType: hid_t) throws -> [T]? {
            guard let id = try open(name) else { return nil }
            defer { H5Dclose(id) }
            var values = [T](repeating: 0, count: try length(id, name))
            if !values.isEmpty {
                guard values.withUnsafeMutableBytes({ H5Dread(id, memoryType, mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), $0.baseAddress) }) >= 0
                else { throw failure(name) }
            }
            return values
        }
        guard let files = try strings("file"), let statuses = try strings("status") else {
            throw ArrayIOError(.invalidFormat, path: path, "not an mproc batch summary (no file or status column)")
        }
        var columns: [String: [String]] = [:]
        for name in ["dataset", "dtype", "stored_type", "shape", "layout", "filters", "pattern", "message"] {
            columns[name] = try strings(name)
        }
        var integers: [String: [Int64]] = [:]
        for name in ["bytes", "ddof", "file_size", "file_mtime_ns"] {
            integers[name] = try numbers(name, Int64.self, mp_h5t_native_int64())
        }
        var stats: [(Statistic, [Double])] = []
        for statistic in Statistic.allCases {
            if let values = try numbers(statistic.rawValue, Double.self, mp_h5t_native_double()) {
                stats.append((statistic, values))
            }
        }
        // Keep the columns' order as written.
        var order: [String] = []
        if let attribute = (try? HDF5.attributes(file: path))?.first(where: { $0.name == "statistics" }),
            case .string(let text) = attribute.value {
            order = text.split(separator: ",").map(String.init)
        }
        stats.sort { (order.firstIndex(of: $0.0.rawValue) ?? 99) < (order.firstIndex(of: $1.0.rawValue) ?? 99) }
        return try files.indices.map { i in
            try SummaryTable.record(path: path, row: i, header: ["file", "status"] + stats.map(\.0.rawValue)) { name in
                if name == "file" { return .text(files[i]) }
                if name == "status" { return .text(i < statuses.count ? statuses[i] : "") }
                if let column = columns[name] { return i < column.count ? .text(column[i]) : nil }
                if let column = integers[name] { return i < column.count ? .text(String(column[i])) : nil }
                if let column = stats.first(where: { $0.0.rawValue == name })?.1, i < column.count {
                    let statistic = Statistic(rawValue: name)!
                    return .text(SummaryTable.number(column[i], integer: statistic.isInteger && !column[i].isNaN))
                }
                return nil
            }
        }
    }
}

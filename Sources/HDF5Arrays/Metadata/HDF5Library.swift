import CHDF5
import SharedArrays

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading HDF5 datasets by element range, straight into a destination pointer.
///
/// Made for forked workers: every call opens the file read-only (file locking off, so a file another process is
/// writing can still be read), does its work and closes every handle. No state is kept across calls or across a
/// fork: each entry point (re)initialises the library with `H5open()` and silences HDF5's error printing for the
/// calling thread, both cheap and idempotent, so they are safe in a freshly forked child.
/// Failures are ``ArrayIOError`` values that name the file and dataset.
public enum HDF5 {
    /// The HDF5 library version this process runs, e.g. `1.10.8`.
    public static var libraryVersion: String {
        prepare()
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
        return "\(major).\(minor).\(release)"
    }

    /// Initialises the library and silences automatic error printing on this thread (HDF5's thread-safe build
    /// keeps error settings per thread). Idempotent; called by every entry point.
    static func prepare() {
        _ = mp_h5_open()
        mp_h5_silence_errors()
        HDF5FloatingPointGuard.preloadPluginsOnce()
    }

    /// The most specific message on this thread's HDF5 error stack, or "" when empty.
    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let length = buffer.withUnsafeMutableBufferPointer { mp_h5_last_error($0.baseAddress!, $0.count) }
        guard length > 0 else { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `": <HDF5 message>"` or "" — appended to error reasons.
    static func lastErrorSuffix() -> String {
        let message = lastError()
        return message.isEmpty ? "" : ": HDF5 says \(message)"
    }

    /// Opens `path` read-only with file locking disabled, diagnosing a missing file or a file that is not HDF5.
    static func openFile(_ path: String) throws -> hid_t {
        prepare()
        let fapl = H5Pcreate(mp_h5p_file_access())
        guard fapl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, "cannot create a file access property list\(lastErrorSuffix())")
        }
        defer { H5Pclose(fapl) }
        _ = H5Pset_file_locking(fapl, false, true)
        let file = H5Fopen(path, mp_h5f_acc_rdonly(), fapl)
        if file >= 0 { return file }
        let detail = lastErrorSuffix()
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT { throw ArrayIOError(.fileNotFound, path: path, "no such file") }
            throw ArrayIOError(.fileNotFound, path: path, "cannot open: \(String(cString: strerror(code)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ArrayIOError(.invalidFormat, path: path, "is a directory, not an HDF5 file")
        }
        if access(path, R_OK) != 0 {
            throw ArrayIOError(.ioFailure, path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        if H5Fis_hdf5(path) == 0 {
            throw ArrayIOError(.invalidFormat, path: path, "not an HDF5 file (no HDF5 signature)")
        }
        if detail.contains("truncated file") {
            throw ArrayIOError(.truncated, path: path, "truncated: the file is shorter than its HDF5 superblock says\(detail)")
        }
        throw ArrayIOError(.ioFailure, path: path, "cannot open the HDF5 file\(detail)")
    }

    /// Splits `/a/b/c` (or `a/b/c`) into components, ignoring empty ones.
    static func components(_ dataset: String) -> [Substring] {
        dataset.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// The canonical absolute form of a dataset path: `/a/b/c`.
    static func normalized(_ dataset: String) -> String {
        "/" + components(dataset).joined(separator: "/")
    }

    /// Checks that `dataset` names an existing object of type dataset, component by component, with a
    /// message that says which component is missing.
    static func checkDatasetPath(file: hid_t, path: String, dataset: String) throws {
        let parts = components(dataset)
        let name = normalized(dataset)
        guard !parts.isEmpty else {
            throw ArrayIOError(.datasetNotFound, path: path, dataset: name, "is the root group, not a dataset")
        }
        var prefix = ""
        for (i, part) in parts.enumerated() {
            prefix += "/" + part
            let exists = H5Lexists(file, prefix, mp_h5p_default())
            if exists <= 0 {
                var reason = i == parts.count - 1 ? "no such dataset" : "no such dataset (there is no '\(prefix)' in the file)"
                let available = (try? datasetNames(file: file)) ?? []
                if !available.isEmpty {
                    let shown = available.prefix(8).joined(separator: ", ")
                    reason += "; datasets in the file: \(shown)\(available.count > 8 ? ", ..." : "")"
                } else {
                    reason += "; the file has no datasets"
                }
                throw ArrayIOError(.datasetNotFound, path: path, dataset: name, reason)
            }
            let type = mp_h5_object_type(file, prefix)
            if type < 0 {
                throw ArrayIOError(.datasetNotFound, path: path, dataset: name,
                                   "'\(prefix)' is a dangling link\(lastErrorSuffix())")
            }
            if i < parts.count - 1 && type != Int32(H5O_TYPE_GROUP.rawValue) {
                throw ArrayIOError(.datasetNotFound, path: path, dataset: name,
                                   "no such dataset ('\(prefix)' is not a group)")
            }
            if i == parts.count - 1 && type != Int32(H5O_TYPE_DATASET.rawValue) {
                let what = type == Int32(H5O_TYPE_GROUP.rawValue) ? "a group" : "a named datatype or other object"
                throw ArrayIOError(.datasetNotFound, path: path, dataset: name, "is \(what), not a dataset")
            }
        }
    }

    /// Opens `dataset` in the open file after checking that it exists.
    static func openDataset(file: hid_t, path: String, dataset: String) throws -> hid_t {
        try checkDatasetPath(file: file, path: path, dataset: dataset)
        let id = mp_h5dopen(file, normalized(dataset))
        guard id >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: normalized(dataset),
                               "cannot open the dataset\(lastErrorSuffix())")
        }
        return id
    }

    /// The absolute paths of every dataset in the open file, in name order.
    static func datasetNames(file: hid_t) throws -> [String] {
        final class Collector { var names: [String] = [] }
        let collector = Collector()
        let status = withExtendedLifetime(collector) {
            mp_h5_visit_datasets(file, { name, context in
                guard let name, let context else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                collector.names.append("/" + String(cString: name))
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        guard status >= 0 else { throw VisitError(message: lastError()) }
        return collector.names
    }

    struct VisitError: Error { let message: String }

    /// The native memory type HDF5 converts to for `dtype`.
    static func memoryType(_ dtype: DType) -> hid_t {
        switch dtype {
        case .float64: mp_h5t_native_double()
        case .float32: mp_h5t_native_float()
        case .int64: mp_h5t_native_int64()
        case .int32: mp_h5t_native_int32()
        case .int16: mp_h5t_native_int16()
        case .uint8: mp_h5t_native_uint8()
        }
    }

    /// The little-endian file type the writer stores for `dtype`.
    static func fileType(_ dtype: DType) -> hid_t {
        switch dtype {
        case .float64: mp_h5t_ieee_f64le()
        case .float32: mp_h5t_ieee_f32le()
        case .int64: mp_h5t_std_i64le()
        case .int32: mp_h5t_std_i32le()
        case .int16: mp_h5t_std_i16le()
        case .uint8: mp_h5t_std_u8le()
        }
    }
}

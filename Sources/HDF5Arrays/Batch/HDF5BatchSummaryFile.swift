#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import SharedArrays

/// Reading and writing a batch summary as CSV, JSON or HDF5 (chosen by the file's extension).
///
/// All three hold the same table, one row per record: `file, dataset, status`, one column per statistic,
/// then `dtype, stored_type, shape, layout, filters, bytes, ddof, pattern, file_size, file_mtime_ns,
/// message`. In CSV a missing value is an empty field and NaN is `nan`; in JSON both are `null`; in HDF5
/// each column is a dataset under `/summary` (strings variable-length UTF-8, missing numbers NaN) and the
/// root has `tool`, `tool_version`, `statistics` and `ddof` attributes. Writes go through
/// ``TemporaryOutput``: a summary on disk is always complete.
public enum HDF5BatchSummaryFile {
    public enum Format: String, Sendable {
        case csv, json, hdf5

        /// The format for `path`'s extension: `.csv`, `.json`, `.h5`/`.hdf5`.
        public init(path: String) throws {
            let lower = path.lowercased()
            if lower.hasSuffix(".csv") { self = .csv }
            else if lower.hasSuffix(".json") { self = .json }
            else if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { self = .hdf5 }
            else {
                throw ArrayIOError(.invalidArgument, path: path, "unknown summary format: use a .csv, .json or .h5 file name")
            }
        }
    }

    /// Writes `summary` to `path` (temporary name, fsync, rename).
    public static func write(_ summary: HDF5BatchSummary, to path: String, format: Format? = nil) throws {
        let format = try format ?? Format(path: path)
        try TemporaryOutput.write(to: path) { temporary in
            switch format {
            case .csv: try writeBytes(Array(SummaryTable.csv(summary).utf8), to: temporary, reportingAs: path)
            case .json: try writeBytes(Array(SummaryTable.json(summary).utf8), to: temporary, reportingAs: path)
            case .hdf5: try writeBytes(SummaryHDF5.image(summary, reportingAs: path), to: temporary, reportingAs: path)
            }
        }
    }

    /// The summary as CSV or JSON text, as ``write(_:to:format:)`` writes it (`.hdf5` gives JSON: HDF5 is
    /// not text).
    public static func text(_ summary: HDF5BatchSummary, format: Format) -> String {
        format == .csv ? SummaryTable.csv(summary) : SummaryTable.json(summary)
    }

    /// The records of a summary written by ``write(_:to:format:)``.
    public static func read(_ path: String) throws -> [HDF5BatchRecord] {
        switch try Format(path: path) {
        case .csv: return try SummaryTable.parseCSV(readText(path), path: path)
        case .json: return try SummaryTable.parseJSON(readText(path), path: path)
        case .hdf5: return try SummaryHDF5.read(path)
        }
    }

    /// Checks that a file can be created beside `path` (so a batch does not run for an hour and then fail
    /// to save its summary): creates and removes a probe file there.
    public static func checkWritable(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw ArrayIOError(.invalidArgument, path: path, "is a directory; give a file name for the summary")
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let probe = (directory.isEmpty ? "" : directory) + "/.mproc-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw ArrayIOError(.ioFailure, path: path,
                               "cannot write to \(directory.isEmpty ? "/" : directory): \(String(cString: strerror(code)))")
        }
        close(fd)
        unlink(probe)
    }

    static func writeBytes(_ bytes: [UInt8], to path: String, reportingAs destination: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ArrayIOError(.ioFailure, path: destination, "cannot create: \(String(cString: strerror(errno)))")
        }
        var offset = 0
        var failure: Int32 = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            offset += n
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            throw ArrayIOError(.ioFailure, path: destination, "writing the summary failed: \(String(cString: strerror(failure)))")
        }
    }

    static func readText(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ArrayIOError(.fileNotFound, path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ArrayIOError(.ioFailure, path: path, "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

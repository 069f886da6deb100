import Multiprocessing
import SharedArrays
import SystemPackage

/// Reading and writing a batch summary as CSV, JSON or HDF5 (chosen by the file's extension).
///
/// All three hold the same table, one row per record: `file, dataset, status`, one column per statistic,
/// then `dtype, stored_type, shape, layout, filters, bytes, ddof, pattern, file_size, file_mtime_ns,
/// message`. In CSV a missing value is an empty field and NaN is `nan`; in JSON both are `null`; in HDF5
/// each column is a dataset under `/summary` (strings variable-length UTF-8, missing numbers NaN) and the
/// root has `tool`, `tool_version`, `statistics` and `ddof` attributes. Writes go through
/// ``AtomicOutputFile``: a summary on disk is always complete, and never written through a symbolic link.
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

    /// Writes `summary` to `path` (a new private file beside it, fsync, rename).
    public static func write(_ summary: HDF5BatchSummary, to path: String, format: Format? = nil) throws {
        let format = try format ?? Format(path: path)
        let bytes: [UInt8]
        switch format {
        case .csv: bytes = Array(SummaryTable.csv(summary).utf8)
        case .json: bytes = Array(SummaryTable.json(summary).utf8)
        case .hdf5: bytes = try SummaryHDF5.image(summary, reportingAs: path)
        }
        do {
            try AtomicOutputFile.write(to: path) { output in try output.write(bytes) }
        } catch let error as OutputFileError where error.code == .systemCall && error.errno != nil {
            // A failed write or commit (a full disk): the errno is the whole story.
            let reason = error.reason.hasPrefix("cannot write to") ? error.reason : "writing the summary failed: \(error.errno!)"
            throw ArrayIOError(.ioFailure, path: path, reason)
        } catch let error as OutputFileError {
            throw ArrayIOError(error)
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

    /// Checks that a summary can be written at `path` (so a batch does not run for an hour and then fail to save
    /// it): `path` is absent or a regular file, and a file can be created in its directory.
    public static func checkWritable(_ path: String) throws {
        do {
            try AtomicOutputFile.checkWritable(path)
        } catch let error as OutputFileError {
            throw ArrayIOError(error)
        }
    }

    static func readText(_ path: String) throws -> String {
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        } catch {
            throw ArrayIOError(.fileNotFound, path: path, "cannot open: \(error)")
        }
        defer { file.closeIgnoringErrors() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n: Int
            do {
                n = try chunk.withUnsafeMutableBytes { try file.read(filling: $0, fromAbsoluteOffset: bytes.count) }
            } catch {
                throw ArrayIOError(.ioFailure, path: path, "cannot read: \(error)")
            }
            bytes += chunk[0..<n]
            if n < chunk.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

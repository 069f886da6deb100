import Multiprocessing
import SystemPackage

/// One file of a batch and what identifies its contents for `--resume`: its path as the batch found it,
/// its size and its modification time when the batch listed it.
public struct HDF5BatchFile: Sendable, Codable, Equatable {
    public var path: String
    public var size: Int
    /// Modification time in nanoseconds since the epoch.
    public var modified: Int64

    public init(path: String, size: Int, modified: Int64) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}

typealias BatchFile = HDF5BatchFile

extension HDF5Batch {
    /// File name endings always taken from a directory, even when the file turns out not to be HDF5 (so a
    /// damaged file is reported rather than silently passed over).
    static let hdf5Extensions = [".h5", ".hdf5", ".he5", ".hdf", ".h5py", ".nc4"]

    /// The files `inputs` name: files as given, directories expanded (recursively, sorted by path) to the
    /// HDF5 files inside. In a directory, a file is taken when its name ends in ``hdf5Extensions`` or it
    /// starts with the HDF5 signature (netCDF-4 `.nc`, MATLAB v7.3 `.mat`, no extension); hidden
    /// entries (names starting with `.`, such as unfinished outputs) are left out. A missing input is a
    /// failure record, not an error.
    static func expand(_ inputs: [String]) -> (files: [BatchFile], missing: [HDF5BatchRecord]) {
        var files: [BatchFile] = []
        var missing: [HDF5BatchRecord] = []
        var seen = Set<String>()
        func add(_ path: String, _ info: FileStatus) {
            guard seen.insert(path).inserted else { return }
            files.append(BatchFile(path: path, size: info.size, modified: info.modificationTimeNanoseconds))
        }
        for input in inputs {
            let info: FileStatus
            do {
                info = try FileSystem.status(of: input)
            } catch {
                let reason = error == .noSuchFileOrDirectory ? "no such file or directory" : error.description
                missing.append(HDF5BatchRecord(file: input, dataset: nil, pattern: "", status: .failed, message: reason))
                continue
            }
            if info.kind == .directory {
                for path in walk(directory: input) {
                    guard let entry = try? FileSystem.status(of: path), entry.kind == .regular else { continue }
                    let lower = path.lowercased()
                    if hdf5Extensions.contains(where: { lower.hasSuffix($0) }) || hasHDF5Signature(path) {
                        add(path, entry)
                    }
                }
            } else {
                add(input, info)
            }
        }
        return (files, missing)
    }

    /// `path` with its directory resolved (symbolic links, `.`, `..`), for comparing paths of files that
    /// may not exist yet.
    static func canonicalPath(_ path: String) -> String {
        if let resolved = FileSystem.resolvedPath(path) { return resolved }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = FileSystem.resolvedPath(directory.isEmpty ? "/" : directory) else { return path }
        return resolved + "/" + name
    }

    /// The current size and modification time of `path` (nil when it cannot be stat'ed).
    static func identity(of path: String) -> (size: Int, modified: Int64)? {
        guard let info = try? FileSystem.status(of: path) else { return nil }
        return (info.size, info.modificationTimeNanoseconds)
    }

    /// Regular files and subdirectories' files under `directory`, sorted, hidden entries skipped; symbolic
    /// links to directories are not followed (no cycles).
    private static func walk(directory: String) -> [String] {
        guard let entries = try? FileSystem.entries(of: directory) else { return [] }
        let names = entries.filter { !$0.hasPrefix(".") }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var result: [String] = []
        for name in names.sorted() {
            let path = base + "/" + name
            guard let info = try? FileSystem.status(of: path, followingSymlink: false) else { continue }
            if info.kind == .directory {
                result += walk(directory: path)
            } else {
                result.append(path)
            }
        }
        return result
    }

    /// Whether the HDF5 signature is at offset 0, 512, 1024, 2048 ... (a user block may precede it).
    static func hasHDF5Signature(_ path: String) -> Bool {
        guard let file = try? FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) else { return false }
        defer { file.closeIgnoringErrors() }
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 8)
        while offset <= 1 << 20 {
            let n = (try? buffer.withUnsafeMutableBytes { try file.read(filling: $0, fromAbsoluteOffset: offset) }) ?? 0
            if n < 8 { return false }
            if buffer == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}

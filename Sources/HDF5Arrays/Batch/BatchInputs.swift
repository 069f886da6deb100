#if canImport(Glibc)
import Glibc
#endif

/// One file of a batch and what identifies its contents for `--resume`.
struct BatchFile: Sendable {
    var path: String
    var size: Int
    /// Modification time in nanoseconds since the epoch.
    var modified: Int64
}

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
        func add(_ path: String, _ info: stat) {
            guard seen.insert(path).inserted else { return }
            files.append(BatchFile(path: path, size: Int(info.st_size), modified: modifiedNanoseconds(info)))
        }
        for input in inputs {
            var info = stat()
            guard stat(input, &info) == 0 else {
                let reason = errno == ENOENT ? "no such file or directory" : String(cString: strerror(errno))
                missing.append(HDF5BatchRecord(file: input, dataset: nil, pattern: "", status: .failed, message: reason))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                for path in walk(directory: input) {
                    var entry = stat()
                    guard stat(path, &entry) == 0, (entry.st_mode & S_IFMT) == S_IFREG else { continue }
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
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(directory.isEmpty ? "/" : directory, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved) + "/" + name
    }

    /// The current size and modification time of `path` (nil when it cannot be stat'ed).
    static func identity(of path: String) -> (size: Int, modified: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (Int(info.st_size), modifiedNanoseconds(info))
    }

    /// Nanoseconds since 1970; a time past the year 2262 (which ext4 can store) saturates instead of
    /// overflowing.
    private static func modifiedNanoseconds(_ info: stat) -> Int64 {
        let (scaled, overflow) = Int64(info.st_mtim.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return info.st_mtim.tv_sec < 0 ? .min : .max }
        let (total, overflowSum) = scaled.addingReportingOverflow(Int64(info.st_mtim.tv_nsec))
        return overflowSum ? .max : total
    }

    /// Regular files and subdirectories' files under `directory`, sorted, hidden entries skipped; symbolic
    /// links to directories are not followed (no cycles).
    private static func walk(directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var result: [String] = []
        for name in names.sorted() {
            let path = base + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                result += walk(directory: path)
            } else {
                result.append(path)
            }
        }
        return result
    }

    /// Whether the HDF5 signature is at offset 0, 512, 1024, 2048 ... (a user block may precede it).
    static func hasHDF5Signature(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 8)
        while offset <= 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 8, off_t(offset)) }
            if n < 8 { return false }
            if buffer == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}

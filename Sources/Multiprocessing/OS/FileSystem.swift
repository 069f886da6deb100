#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Operations on paths (as swift-system's `FileDescriptor` holds those on open files): status, rename,
/// remove, resolve, list. Each throws a typed `Errno`; EINTR is retried.
///
/// ```swift
/// if try FileSystem.status(of: path, followingSymlink: false).kind == .symbolicLink { ... }
/// ```
public enum FileSystem {
    /// The status of the file at `path`; with `followingSymlink: false`, of a symbolic link itself.
    /// The corresponding C functions are `stat` and `lstat`.
    public static func status(of path: String, followingSymlink: Bool = true) throws(Errno) -> FileStatus {
        var info = stat()
        try path.withCString { p in
            nothingOrErrno { followingSymlink ? system_stat(p, &info) : system_lstat(p, &info) }
        }.get()
        return FileStatus(info)
    }

    /// Whether anything (following symbolic links) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        (try? status(of: path)) != nil
    }

    /// Atomically replaces `destination` with `source` (same file system). The corresponding C function
    /// is `rename`.
    public static func rename(_ source: String, to destination: String) throws(Errno) {
        try source.withCString { from in
            destination.withCString { to in nothingOrErrno { system_rename(from, to) } }
        }.get()
    }

    /// Removes the name `path` (a symbolic link itself, never its target). The corresponding C function
    /// is `unlink`.
    public static func remove(_ path: String) throws(Errno) {
        try path.withCString { p in nothingOrErrno { system_unlink(p) } }.get()
    }

    /// `path` with every symbolic link, `.` and `..` resolved, or nil if it cannot be resolved.
    /// The corresponding C function is `realpath`.
    public static func resolvedPath(_ path: String) -> String? {
        guard let resolved = path.withCString({ system_realpath($0) }) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in `directory` (without `.` and `..`), unsorted.
    public static func entries(of directory: String) throws(Errno) -> [String] {
        guard let dir = directory.withCString({ system_opendir($0) }) else { throw currentErrno }
        defer { _ = system_closedir(dir) }
        var names: [String] = []
        while let entry = system_readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads a whole (small) file, following symbolic links: for configuration and `/proc` files.
    public static func contents(of path: String, limit: Int = 1 << 24) throws(Errno) -> [UInt8] {
        let fd = try path.withCString { p in
            valueOrErrno { system_open(p, O_RDONLY | O_CLOEXEC, 0) }
        }.get()
        defer { _ = system_close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count < limit {
            let n = try chunk.withUnsafeMutableBytes { buffer in
                valueOrErrno { system_read(fd, buffer.baseAddress!, buffer.count) }
            }.get()
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }
}

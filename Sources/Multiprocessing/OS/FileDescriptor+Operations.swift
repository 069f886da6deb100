#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Positional I/O and file operations on swift-system's `FileDescriptor` that it does not provide
/// (as of 1.8): whole-buffer positional reads and writes, `fstat`, `fsync`, `fchmod`. Each retries
/// EINTR and throws a typed `Errno`, as swift-system's own operations do.
extension FileDescriptor {
    /// Reads until `buffer` is full or the file ends; returns the bytes read (fewer than `buffer.count`
    /// only at the end of the file). The corresponding C function is `pread`.
    public func read(filling buffer: UnsafeMutableRawBufferPointer, fromAbsoluteOffset offset: Int) throws(Errno) -> Int {
        var done = 0
        while done < buffer.count {
            let result = valueOrErrno {
                system_pread(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            switch result {
            case .success(0): return done
            case .success(let n): done += n
            case .failure(let error): throw error
            }
        }
        return done
    }

    /// Writes all of `buffer` at `offset` (a write that makes no progress is `ENOSPC`).
    /// The corresponding C function is `pwrite`.
    public func write(all buffer: UnsafeRawBufferPointer, toAbsoluteOffset offset: Int) throws(Errno) {
        var done = 0
        while done < buffer.count {
            let result = valueOrErrno {
                system_pwrite(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            switch result {
            case .success(0): throw Errno.noSpace
            case .success(let n): done += n
            case .failure(let error): throw error
            }
        }
    }

    /// The open file's status. The corresponding C function is `fstat`.
    public func status() throws(Errno) -> FileStatus {
        var info = Glibc.stat()  // the C struct, not swift-system's FileDescriptor.stat()
        try nothingOrErrno { system_fstat(rawValue, &info) }.get()
        return FileStatus(info)
    }

    /// Flushes the file's data and metadata to storage. The corresponding C function is `fsync`.
    public func synchronize() throws(Errno) {
        try nothingOrErrno { system_fsync(rawValue) }.get()
    }

    /// Sets the file's permission bits. The corresponding C function is `fchmod`.
    public func setPermissions(_ mode: UInt32) throws(Errno) {
        try nothingOrErrno { system_fchmod(rawValue, mode_t(mode)) }.get()
    }

    /// Sets the file's size. The corresponding C function is `ftruncate`.
    public func setSize(_ size: Int) throws(Errno) {
        try nothingOrErrno { system_ftruncate(rawValue, off_t(size)) }.get()
    }

    /// Closes the descriptor, ignoring errors (for read-only files and error paths).
    public func closeIgnoringErrors() {
        _ = system_close(rawValue)
    }
}

extension FileDescriptor {
    /// Opens `path` with C `open` flags (`O_CLOEXEC` is always added), for callers that hold flags as
    /// numbers. The corresponding C function is `open`.
    public static func open(_ path: String, flags: Int32, permissions: UInt32 = 0o644) throws(Errno) -> FileDescriptor {
        let fd = try path.withCString { p in
            valueOrErrno { system_open(p, flags | O_CLOEXEC, mode_t(permissions)) }
        }.get()
        return FileDescriptor(rawValue: fd)
    }
}

extension FileDescriptor {
    /// A path that reaches this descriptor's file itself, for libraries that open files by name (HDF5):
    /// `/proc/self/fd/N`, which names the open file rather than whatever is at a name in a directory.
    /// Valid in this process only, while the descriptor is open; nil where `/proc` is not mounted.
    public var pathForLibraries: String? {
        let link = "/proc/self/fd/\(rawValue)"
        var linked = Glibc.stat(), own = Glibc.stat()
        guard link.withCString({ system_stat($0, &linked) }) == 0, system_fstat(rawValue, &own) == 0,
              linked.st_dev == own.st_dev, linked.st_ino == own.st_ino
        else { return nil }
        return link
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, Foundation-free wrappers over open/pread/pwrite/ftruncate, safe in a forked worker.
/// Every failure becomes an ``ArrayIOError`` naming the file.
enum PosixFile {
    /// The text of the current `errno`.
    static func errorText(_ code: Int32 = errno) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// Opens `path` with `flags` (O_CLOEXEC added), mapping ENOENT to `.fileNotFound`.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            #if canImport(Darwin)
            let fd = Darwin.open(path, flags | O_CLOEXEC, mode)
            #else
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            #endif
            if fd >= 0 { return fd }
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT {
                throw ArrayIOError(.fileNotFound, path: path, "no such file")
            }
            throw ArrayIOError(code == EISDIR ? .invalidFormat : .ioFailure, path: path,
                               "cannot open: \(errorText(code))")
        }
    }

    /// Closes `fd`, ignoring errors (reads) — writers call ``closeChecked(_:path:)``.
    static func close(_ fd: Int32) {
        #if canImport(Darwin)
        _ = Darwin.close(fd)
        #else
        _ = Glibc.close(fd)
        #endif
    }

    /// Closes `fd` and reports a failure (a late write error can surface here).
    static func closeChecked(_ fd: Int32, path: String) throws {
        #if canImport(Darwin)
        let status = Darwin.close(fd)
        #else
        let status = Glibc.close(fd)
        #endif
        if status != 0 && errno != EINTR {
            throw ArrayIOError(.ioFailure, path: path, "close failed: \(errorText())")
        }
    }

    /// The size in bytes of the open file.
    static func size(_ fd: Int32, path: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ArrayIOError(.ioFailure, path: path, "fstat failed: \(errorText())")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ArrayIOError(.invalidFormat, path: path, "is a directory")
        }
        return Int(info.st_size)
    }

    /// Reads up to `count` bytes at `offset`, retrying short reads and EINTR; returns the bytes read
    /// (fewer than `count` only at end of file).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int,
                     path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw ArrayIOError(.ioFailure, path: path,
                                   "read of \(count - done) bytes at offset \(offset + done) failed: \(errorText())")
            }
        }
        return done
    }

    /// Reads exactly `count` bytes at `offset` or throws `.truncated`.
    static func readExactly(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int,
                            path: String) throws {
        let got = try read(fd, into: buffer, count: count, offset: offset, path: path)
        if got < count {
            throw ArrayIOError(.truncated, path: path,
                               "truncated: expected \(count) bytes at offset \(offset) but the file ended after \(got)")
        }
    }

    /// Writes exactly `count` bytes at `offset`, retrying short writes and EINTR.
    static func write(_ fd: Int32, from buffer: UnsafeRawPointer, count: Int, offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, buffer + done, count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                let reason = n == 0 ? "wrote 0 bytes" : errorText()
                throw ArrayIOError(.ioFailure, path: path,
                                   "write of \(count - done) bytes at offset \(offset + done) failed: \(reason)")
            }
        }
    }

    /// Sets the file's size.
    static func truncate(_ fd: Int32, size: Int, path: String) throws {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno == EINTR { continue }
            throw ArrayIOError(.ioFailure, path: path, "cannot set file size to \(size) bytes: \(errorText())")
        }
    }
}

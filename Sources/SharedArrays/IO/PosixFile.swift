import Multiprocessing
import SystemPackage

/// The file operations of the array readers and writers, on the OS layer of `Multiprocessing`
/// (swift-system's `FileDescriptor` and `Errno`), safe in a forked worker (no Foundation). Every failure
/// becomes an ``ArrayIOError`` naming the file: this is where OS errors meet the array API.
enum PosixFile {
    /// The text of an errno value.
    static func errorText(_ code: Int32) -> String { Errno(rawValue: code).description }

    /// Opens `path` with C `open` flags (O_CLOEXEC added), mapping ENOENT to `.fileNotFound`.
    static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws -> Int32 {
        do {
            return try FileDescriptor.open(path, flags: flags, permissions: mode).rawValue
        } catch .noSuchFileOrDirectory {
            throw ArrayIOError(.fileNotFound, path: path, "no such file")
        } catch {
            throw ArrayIOError(error == .isDirectory ? .invalidFormat : .ioFailure, path: path, "cannot open: \(error)")
        }
    }

    /// Opens `path` with swift-system's access mode and options (O_CLOEXEC added).
    static func open(_ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
                     mode: UInt32 = 0o644) throws -> Int32 {
        try open(path, flags: access.rawValue | options.rawValue, mode: mode)
    }

    /// Closes `fd`, ignoring errors (reads) — writers call ``closeChecked(_:path:)``.
    static func close(_ fd: Int32) {
        FileDescriptor(rawValue: fd).closeIgnoringErrors()
    }

    /// Closes `fd` and reports a failure (a late write error can surface here).
    static func closeChecked(_ fd: Int32, path: String) throws {
        do {
            try FileDescriptor(rawValue: fd).close()
        } catch let error as Errno where error != .interrupted {
            throw ArrayIOError(.ioFailure, path: path, "close failed: \(error)")
        } catch {}
    }

    /// The size in bytes of the open file.
    static func size(_ fd: Int32, path: String) throws -> Int {
        let status: FileStatus
        do {
            status = try FileDescriptor(rawValue: fd).status()
        } catch {
            throw ArrayIOError(.ioFailure, path: path, "fstat failed: \(error)")
        }
        if status.kind == .directory {
            throw ArrayIOError(.invalidFormat, path: path, "is a directory")
        }
        return status.size
    }

    /// Reads up to `count` bytes at `offset`, retrying short reads and EINTR; returns the bytes read
    /// (fewer than `count` only at end of file).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int,
                     path: String) throws -> Int {
        do {
            return try FileDescriptor(rawValue: fd).read(
                filling: UnsafeMutableRawBufferPointer(start: buffer, count: count), fromAbsoluteOffset: offset)
        } catch {
            throw ArrayIOError(.ioFailure, path: path, "read of \(count) bytes at offset \(offset) failed: \(error)")
        }
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
        do {
            try FileDescriptor(rawValue: fd).write(
                all: UnsafeRawBufferPointer(start: buffer, count: count), toAbsoluteOffset: offset)
        } catch {
            throw ArrayIOError(.ioFailure, path: path, "write of \(count) bytes at offset \(offset) failed: \(error)")
        }
    }

    /// Sets the file's size.
    static func truncate(_ fd: Int32, size: Int, path: String) throws {
        do {
            try FileDescriptor(rawValue: fd).setSize(size)
        } catch {
            throw ArrayIOError(.ioFailure, path: path, "cannot set file size to \(size) bytes: \(error)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The current process id (a thin wrapper so that callers need not import Glibc).
func getpidValue() -> Int32 { getpid() }

/// Atomically replaces `destination` with `source` (same file system): `rename(2)`.
public func renameFile(_ source: String, to destination: String) throws {
    guard rename(source, destination) == 0 else {
        let code = errno
        throw ArrayIOError(.ioFailure, path: destination, "cannot rename \(source) to it: \(String(cString: strerror(code)))")
    }
}

/// Removes a file if it exists; errors are ignored (used on cleanup paths).
public func removeFile(_ path: String) {
    _ = unlink(path)
}

/// Flushes a written file to storage before it is renamed into place (`fsync(2)`).
public func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    guard fsync(fd) == 0 else {
        let code = errno
        throw ArrayIOError(.ioFailure, path: path, "fsync failed: \(String(cString: strerror(code)))")
    }
}

/// Whether a file (or directory) exists at `path`.
public func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

extension ArrayIOError {
    /// The same failure as an array I/O error naming `path` (default: the output's destination):
    /// `.invalidArgument` for a destination that is not a regular file, `.ioFailure` otherwise.
    public init(_ error: OutputFileError, path: String? = nil) {
        self.init(error.code == .notRegularFile ? .invalidArgument : .ioFailure, path: path ?? error.path, error.reason)
    }
}

/// Runs `body`, turning an ``OutputFileError`` into the ``ArrayIOError`` this module's callers handle.
func convertingOutputErrors<R>(path: String, _ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as OutputFileError {
        throw ArrayIOError(error, path: path)
    }
}

import Multiprocessing

// Path operations live in the OS layer (`Multiprocessing.FileSystem`, `AtomicOutputFile`); what stays here
// is the array API's view of them.

/// Whether a file (or directory) exists at `path`, following symbolic links.
public func fileExists(_ path: String) -> Bool {
    FileSystem.exists(path)
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

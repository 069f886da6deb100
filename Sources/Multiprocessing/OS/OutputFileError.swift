import SystemPackage

/// Why an output file could not be written: the destination is not a regular file (a symbolic link,
/// directory, FIFO, device or socket, refused whatever the caller's `--force`), or a system call failed.
///
/// A struct with a code rather than an enum, so new codes do not break clients.
public struct OutputFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Something other than a regular file is at the destination (or at a file meant to be read back).
        public static let notRegularFile = Code(rawValue: "notRegularFile")
        /// A system call failed (see ``OutputFileError/errno``).
        public static let systemCall = Code(rawValue: "systemCall")
    }

    /// The category of the failure.
    public let code: Code
    /// The destination the caller asked for (never the temporary file's name).
    public let path: String
    /// What was wrong, without the path.
    public let reason: String
    /// The system error, for ``Code/systemCall``.
    public let errno: Errno?

    public init(_ code: Code, path: String, _ reason: String, errno: Errno? = nil) {
        self.code = code
        self.path = path
        self.reason = reason
        self.errno = errno
    }

    /// `PATH: reason`.
    public var description: String { "\(path): \(reason)" }
}

/// A file's type in words, for messages: "a symbolic link", "a directory", ...
func describeFileType(_ mode: UInt32) -> String {
    switch mode & 0o170000 {
    case 0o100000: "a regular file"
    case 0o040000: "a directory"
    case 0o120000: "a symbolic link"
    case 0o010000: "a FIFO (named pipe)"
    case 0o020000: "a character device"
    case 0o060000: "a block device"
    case 0o140000: "a socket"
    default: "not a regular file"
    }
}

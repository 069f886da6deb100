#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says about a file, as the engine needs it: its kind, size, identity, owner and age.
///
/// ```swift
/// let status = try FileSystem.status(of: "data.npy", followingSymlink: false)
/// if status.kind != .regular { print("data.npy is \(status.kind)") }
/// ```
public struct FileStatus: Sendable, Equatable {
    /// A file's type.
    public enum Kind: String, Sendable, CustomStringConvertible {
        case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket, unknown

        /// The kind in words, for messages: "a directory", "a symbolic link".
        public var description: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a directory"
            case .symbolicLink: "a symbolic link"
            case .fifo: "a FIFO (named pipe)"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .socket: "a socket"
            case .unknown: "not a regular file"
            }
        }
    }

    public let kind: Kind
    /// Size in bytes.
    public let size: Int
    /// The device and inode: the same file whatever name reaches it.
    public let identity: FileIdentity
    /// The owner's user id.
    public let ownerUID: UInt32
    /// Permission bits (the low 12 bits of `st_mode`).
    public let permissions: UInt32
    /// Last modification, in nanoseconds since 1970.
    public let modificationTimeNanoseconds: Int64

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        size = Int(info.st_size)
        identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        ownerUID = UInt32(info.st_uid)
        permissions = UInt32(info.st_mode) & 0o7777
        modificationTimeNanoseconds = Self.nanoseconds(seconds: Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec))
    }

    /// Nanoseconds since 1970; a time past the year 2262 (which ext4 can store) saturates instead of
    /// overflowing or wrapping.
    static func nanoseconds(seconds: Int64, _ nanoseconds: Int64) -> Int64 {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflowSum) = scaled.addingReportingOverflow(nanoseconds)
        return overflowSum ? (nanoseconds < 0 ? .min : .max) : total
    }
}

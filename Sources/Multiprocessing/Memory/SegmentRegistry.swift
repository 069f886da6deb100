#if canImport(Glibc)
import Glibc
#endif

/// The segments this process really maps, by id, so that a ``SegmentReference`` (plain data, which a
/// task's input can carry from anywhere) is resolved against what exists rather than trusted: its
/// address, descriptor and byte count must match a live segment, or resolving it is an error.
///
/// The owner registers each ``SharedMemory`` it creates or attaches and removes it before unmapping.
/// A pool's forked worker inherits a copy (it is forked with this lock held, so the copy is consistent)
/// and removes the segments the owner frees as it unmaps them.
enum SegmentRegistry {
    struct Entry: Sendable {
        var address: UInt
        var byteCount: Int
        var fileDescriptor: Int32
    }

    static let live = PthreadProtected([UInt64: Entry]())

    static func register(id: UInt64, address: UnsafeMutableRawPointer, byteCount: Int, fileDescriptor: Int32) {
        let entry = Entry(address: UInt(bitPattern: address), byteCount: byteCount, fileDescriptor: fileDescriptor)
        live.withLock { $0[id] = entry }
    }

    static func remove(id: UInt64) {
        live.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// The address of a segment this process maps itself (created, attached by name, or inherited).
    static func resolveLocal(_ reference: SegmentReference) throws -> UnsafeMutableRawPointer {
        guard let entry = live.withLock({ $0[reference.id] }) else {
            throw SegmentReferenceError(reference, "no live segment with id \(reference.id) is mapped in this process (pid \(getpid()))")
        }
        guard entry.address == reference.ownerAddress, entry.fileDescriptor == reference.fileDescriptor else {
            throw SegmentReferenceError(
                reference, "segment \(reference.id) is at \(hex(entry.address)) with descriptor \(entry.fileDescriptor), not at \(hex(reference.ownerAddress)) with descriptor \(reference.fileDescriptor)")
        }
        try checkByteCount(of: reference, against: entry.byteCount)
        guard let address = UnsafeMutableRawPointer(bitPattern: entry.address) else {
            throw SegmentReferenceError(reference, "segment \(reference.id) has no address")
        }
        return address
    }

    /// A reference may cover the whole segment or less, never more than it really has.
    static func checkByteCount(of reference: SegmentReference, against realByteCount: Int) throws {
        guard reference.byteCount >= 0, reference.byteCount <= realByteCount else {
            throw SegmentReferenceError(
                reference, "it declares \(reference.byteCount) bytes, but segment \(reference.id) has \(realByteCount)")
        }
    }

    /// Maps another process's segment through `/proc/<owner>/fd/<fd>`: the descriptor must be one of
    /// this package's segments (a memfd it made, or a file in `/dev/shm`; any regular file for a read-only
    /// file mapping, mapped read-only), and the reference's byte
    /// count at most the segment's real size (`fstat`), so no access can fall past its end (SIGBUS).
    static func attach(_ reference: SegmentReference) throws -> AttachedSegment {
        guard reference.ownerPID > 0, reference.fileDescriptor >= 0 else {
            throw SegmentReferenceError(reference, "owner pid \(reference.ownerPID) or descriptor \(reference.fileDescriptor) is not valid")
        }
        let path = "/proc/\(reference.ownerPID)/fd/\(reference.fileDescriptor)"
        var target = [CChar](repeating: 0, count: 512)
        let length = target.withUnsafeMutableBufferPointer { system_readlink(path, $0.baseAddress!, $0.count - 1) }
        guard length >= 0 else { throw SystemError("readlink", path) }
        let name = String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A read-only file mapping may be any regular file; it is opened and mapped read-only.
        guard reference.isReadOnly || name.hasPrefix("/memfd:mproc-") || name.hasPrefix("/dev/shm/") else {
            throw SegmentReferenceError(reference, "\(path) is '\(name)', not a shared-memory segment")
        }
        let fd = system_open(path, (reference.isReadOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SystemError("open", path) }
        defer { _ = system_close(fd) }
        var info = stat()
        guard system_fstat(fd, &info) == 0 else { throw SystemError("fstat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 0, info.st_size <= off_t(Int.max) else {
            throw SegmentReferenceError(reference, "\(path) is not a regular shared-memory file")
        }
        guard UInt64(info.st_ino) == reference.inode else {
            throw SegmentReferenceError(
                reference, "no live segment with id \(reference.id): \(path) now holds another file (inode \(info.st_ino), not \(reference.inode)); the segment was freed")
        }
        let realByteCount = Int(info.st_size)
        try checkByteCount(of: reference, against: realByteCount)
        let mappedLength = max(realByteCount, 1)
        let protection = reference.isReadOnly ? PROT_READ : PROT_READ | PROT_WRITE
        guard let pointer = system_mmap(mappedLength, protection, MAP_SHARED, fd), pointer != MAP_FAILED else {
            throw SystemError("mmap", path)
        }
        return AttachedSegment(
            address: pointer, length: mappedLength, byteCount: realByteCount,
            ownerPID: reference.ownerPID, fileDescriptor: reference.fileDescriptor)
    }

    private static func hex(_ address: UInt) -> String { "0x" + String(address, radix: 16) }
}

/// A segment of another process that this one attached, with its real size.
struct AttachedSegment {
    var address: UnsafeMutableRawPointer
    /// The mapped length (at least one byte).
    var length: Int
    /// The segment's real size when attached.
    var byteCount: Int
    var ownerPID: Int32
    var fileDescriptor: Int32

    /// The address for `reference`, which must name this same segment and fit in it.
    func resolve(_ reference: SegmentReference) throws -> UnsafeMutableRawPointer {
        guard reference.ownerPID == ownerPID, reference.fileDescriptor == fileDescriptor else {
            throw SegmentReferenceError(
                reference, "segment \(reference.id) is attached from pid \(ownerPID) descriptor \(fileDescriptor)")
        }
        try SegmentRegistry.checkByteCount(of: reference, against: byteCount)
        return address
    }
}

/// A ``SegmentReference`` that does not match a segment this process can map: forged, damaged, or
/// stale (its segment was freed).
public struct SegmentReferenceError: Error, CustomStringConvertible, Sendable {
    /// The reference that was refused.
    public let reference: SegmentReference
    /// What did not match.
    public let reason: String

    init(_ reference: SegmentReference, _ reason: String) {
        self.reference = reference
        self.reason = reason
    }

    public var description: String {
        "segment reference (id \(reference.id), pid \(reference.ownerPID), descriptor \(reference.fileDescriptor)) refused: \(reason)"
    }
}

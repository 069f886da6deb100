#if canImport(Glibc)
import Glibc
#endif

/// A plain-data handle to a ``SharedMemory`` segment that can be written into a job (or, being Codable,
/// into a task's input) and resolved to an address inside another process (see ``mappedAddress()``).
public struct SegmentReference: Sendable, BitwiseCopyable, Equatable, Codable {
    /// The segment's process-unique identity.
    public var id: UInt64
    /// The owner's file descriptor (a worker attaches through `/proc/<owner>/fd/<fd>`).
    public var fileDescriptor: Int32
    /// The owner's pid.
    public var ownerPID: Int32
    /// The mapped length in bytes.
    public var byteCount: Int
    /// The segment's address in the owner (also valid in workers forked after it was created).
    public var ownerAddress: UInt
    /// A read-only mapping of a regular file (``SharedMemory/init(mappingReadOnlyFileAt:)``): other processes
    /// attach it read-only, and nothing may write through it.
    public var isReadOnly: Bool
    /// The inode of the file behind the segment (``SharedMemory/inode``). A process attaching through
    /// `/proc/<owner>/fd/<fd>` checks it: once the segment is freed, its descriptor number may be reused
    /// for another segment, which a kept reference must not reach.
    public var inode: UInt64

    public init(
        id: UInt64, fileDescriptor: Int32, ownerPID: Int32, byteCount: Int, ownerAddress: UInt, isReadOnly: Bool = false,
        inode: UInt64
    ) {
        self.id = id
        self.fileDescriptor = fileDescriptor
        self.ownerPID = ownerPID
        self.byteCount = byteCount
        self.ownerAddress = ownerAddress
        self.isReadOnly = isReadOnly
        self.inode = inode
    }
}

extension SharedMemory {
    /// The handle workers use to find this segment.
    public var reference: SegmentReference {
        SegmentReference(
            id: id, fileDescriptor: fileDescriptor, ownerPID: CachedProcessID.current,
            byteCount: byteCount, ownerAddress: UInt(bitPattern: base), isReadOnly: isReadOnly, inode: inode)
    }
}

extension SegmentReference {
    /// The segment's address in this process: the owner's own mapping; in a pool's worker, the mapping
    /// it inherited or attached (``WorkerContext/address(of:)``); in any other process of the same user,
    /// a mapping attached through `/proc/<owner>/fd` on first use. The owner must keep the segment alive
    /// meanwhile; throws if the owner or its descriptor is gone.
    ///
    /// The reference is checked against the segment this process really maps (its address, descriptor
    /// and real size): a forged or stale one throws ``SegmentReferenceError`` instead of being trusted.
    public func mappedAddress() throws -> UnsafeMutableRawPointer {
        if ownerPID == CachedProcessID.current { return try SegmentRegistry.resolveLocal(self) }
        if let context = WorkerContext.current { return try context.address(of: self) }
        return try WorkerContext.outsideWorkers.withLock { try $0.address(of: self) }
    }
}

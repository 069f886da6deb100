#if canImport(Glibc)
import Glibc
#endif

/// A plain-data handle to a ``SharedMemory`` segment that can be written into a job and resolved
/// to an address inside a worker process (see ``WorkerContext/address(of:)``).
public struct SegmentReference: Sendable, BitwiseCopyable, Equatable {
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

    public init(id: UInt64, fileDescriptor: Int32, ownerPID: Int32, byteCount: Int, ownerAddress: UInt) {
        self.id = id
        self.fileDescriptor = fileDescriptor
        self.ownerPID = ownerPID
        self.byteCount = byteCount
        self.ownerAddress = ownerAddress
    }
}

extension SharedMemory {
    /// The handle workers use to find this segment.
    public var reference: SegmentReference {
        SegmentReference(
            id: id, fileDescriptor: fileDescriptor, ownerPID: getpid(),
            byteCount: byteCount, ownerAddress: UInt(bitPattern: base))
    }
}

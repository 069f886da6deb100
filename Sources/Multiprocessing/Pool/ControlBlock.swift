import Atomics
import CMultiprocessing

/// The pool's shared control page: job sequence and completion futex words, the posted job, the
/// segments to unmap, and one slot per worker (chunk cursor, current chunk, error).
///
/// Layout (bytes): 0 job sequence · 64 completion word · 128 abort · 132 shutdown · 192 job header ·
/// 256 job type name · 512 job payload · 4096 released segments · 12288 worker slots (1024 bytes each).
/// This is the only place the pool touches raw shared memory.
struct ControlBlock: @unchecked Sendable {
    static let nameOffset = 256
    static let nameCapacity = 255
    static let payloadOffset = 512
    static let payloadCapacity = 4096 - 512
    static let releaseOffset = 4096
    static let releaseCapacity = 256
    static let slotsOffset = 12288
    static let slotSize = 1024
    /// Bytes for a worker's error message (NUL included): room for a path, a dataset and HDF5's reason.
    static let errorCapacity = slotSize - 96

    let base: UnsafeMutableRawPointer

    static func byteCount(workers: Int) -> Int { slotsOffset + workers * slotSize }

    private func atomic32(_ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    private func atomicInt(_ offset: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// Incremented by the parent to post a job; workers futex-wait on it.
    var jobSequence: UnsafeAtomic<UInt32> { atomic32(0) }
    var jobSequenceWord: UnsafeMutablePointer<UInt32> { base.assumingMemoryBound(to: UInt32.self) }
    /// Incremented by each worker that finishes a job; the parent futex-waits on it.
    var completions: UnsafeAtomic<UInt32> { atomic32(64) }
    var completionsWord: UnsafeMutablePointer<UInt32> { (base + 64).assumingMemoryBound(to: UInt32.self) }
    /// Set when a chunk failed: workers stop claiming chunks.
    var abort: UnsafeAtomic<UInt32> { atomic32(128) }
    /// Set to make workers exit.
    var shutdown: UnsafeAtomic<UInt32> { atomic32(132) }

    // Job header (written before the sequence increment, read after it).
    /// The job type's mangled name (NUL-terminated).
    var jobTypeName: String {
        get {
            let bytes = UnsafeRawBufferPointer(start: base + Self.nameOffset, count: Self.nameCapacity + 1)
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        nonmutating set {
            var utf8 = Array(newValue.utf8.prefix(Self.nameCapacity))
            utf8.append(0)
            utf8.withUnsafeBytes { (base + Self.nameOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }
    var chunkCount: Int {
        get { base.load(fromByteOffset: 200, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 200, as: Int.self) }
    }
    var workerCount: Int {
        get { base.load(fromByteOffset: 208, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 208, as: Int.self) }
    }
    var releaseCount: Int {
        get { base.load(fromByteOffset: 216, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 216, as: Int.self) }
    }
    var payload: UnsafeMutableRawPointer { base + Self.payloadOffset }

    func releasedSegment(_ i: Int) -> ReleasedSegment {
        (base + Self.releaseOffset).load(fromByteOffset: i * MemoryLayout<ReleasedSegment>.stride, as: ReleasedSegment.self)
    }
    func setReleasedSegment(_ i: Int, _ value: ReleasedSegment) {
        (base + Self.releaseOffset).storeBytes(
            of: value, toByteOffset: i * MemoryLayout<ReleasedSegment>.stride, as: ReleasedSegment.self)
    }

    func slot(_ worker: Int) -> WorkerSlot { WorkerSlot(base: base + Self.slotsOffset + worker * Self.slotSize) }
}

/// One worker's part of the control block.
struct WorkerSlot {
    let base: UnsafeMutableRawPointer

    private func atomicInt(_ offset: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// Next chunk of this worker's own range; other workers steal from it too.
    var cursor: UnsafeAtomic<Int> { atomicInt(0) }
    /// End of this worker's own range.
    var rangeEnd: UnsafeAtomic<Int> { atomicInt(64) }
    /// The chunk this worker is running, or -1.
    var currentChunk: UnsafeAtomic<Int> { atomicInt(72) }
    /// The job sequence number this worker last finished.
    var finishedSequence: UnsafeAtomic<Int> { atomicInt(80) }
    /// Chunk index of a thrown error, or -1.
    var errorChunk: UnsafeAtomic<Int> { atomicInt(88) }
    /// Chunks this worker process has run (for `maxTasksPerChild`).
    var chunksRun: UnsafeAtomic<Int> { atomicInt(8) }
    /// A spawned worker's pid once it has attached the control block and is waiting for jobs.
    var checkIn: UnsafeAtomic<Int> { atomicInt(16) }

    var errorMessage: String {
        let bytes = UnsafeRawBufferPointer(start: base + 96, count: ControlBlock.errorCapacity)
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<length], as: UTF8.self)
    }

    /// Stores `message`; one longer than the slot holds is cut at the last space that fits and ends in "...".
    func setErrorMessage(_ message: String) {
        var utf8 = MessageTruncation.utf8(message, capacity: ControlBlock.errorCapacity - 1)
        utf8.append(0)
        utf8.withUnsafeBytes { (base + 96).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

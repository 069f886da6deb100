import Multiprocessing
import Synchronization

/// The second pass of an exact order statistic: copies the selection keys whose top `prefixBits` bits
/// equal `prefix` and whose next 16-bit digit is marked in a bitmap into one shared key buffer.
///
/// Each chunk collects its matches locally, then reserves its place in the buffer with one atomic add,
/// so keys land in the order chunks finish. That order never reaches a result: an order statistic of the
/// gathered keys does not depend on it.
struct KeyGatherJob: WorkerJob {
    var source: ArrayLocation
    var plan: ChunkPlan
    var prefixBits: Int
    var prefix: UInt64
    /// A ``KeyGatherBuffer``'s segment.
    var buffer: SegmentReference
    /// Keys the buffer holds (exactly the number that match).
    var capacity: Int

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let source = UnsafeRawPointer(try job.source.base(in: context)) + range.lowerBound * job.source.dtype.byteSize
        let layout = KeyGatherBuffer(base: try context.address(of: job.buffer))
        let local = ChunkScratch.take(bytes: Swift.max(range.count, 1) * 8).assumingMemoryBound(to: UInt64.self)
        defer { ChunkScratch.giveBack(UnsafeMutableRawPointer(local)) }
        let n = range.count
        let found: Int
        switch job.source.dtype {
        case .float64: found = gatherKeyDigits(SelectionKey<Float64Key>.self, source, n, job.prefixBits, job.prefix, layout.bitmap, local)
        case .float32: found = gatherKeyDigits(SelectionKey<Float32Key>.self, source, n, job.prefixBits, job.prefix, layout.bitmap, local)
        case .int64: found = gatherKeyDigits(SelectionKey<Int64Key>.self, source, n, job.prefixBits, job.prefix, layout.bitmap, local)
        case .int32: found = gatherKeyDigits(SelectionKey<Int32Key>.self, source, n, job.prefixBits, job.prefix, layout.bitmap, local)
        case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "order statistics", input: "dtype", "\(job.source.dtype) is not an array element type")
        }
        guard found > 0 else { return }
        let start = layout.cursor.pointee.add(found, ordering: .relaxed).oldValue
        guard start + found <= job.capacity else {
            throw ArrayError(.internalInconsistency, operation: "order statistics", "chunk \(chunk) gathered more keys than its histogram counted")
        }
        (layout.keys + start).update(from: local, count: found)
    }
}

/// The shared memory of a ``KeyGatherJob``: an atomic cursor, a 65,536-bit digit bitmap, then the keys.
struct KeyGatherBuffer {
    static let headerBytes = 64 + 8192

    let cursor: UnsafeMutablePointer<Atomic<Int>>
    let bitmap: UnsafeMutablePointer<UInt64>
    let keys: UnsafeMutablePointer<UInt64>

    init(base: UnsafeMutableRawPointer) {
        cursor = base.assumingMemoryBound(to: Atomic<Int>.self)
        bitmap = (base + 64).assumingMemoryBound(to: UInt64.self)
        keys = (base + Self.headerBytes).assumingMemoryBound(to: UInt64.self)
    }

    /// Bytes for `capacity` keys, or nil on overflow.
    static func bytes(capacity: Int) -> Int? {
        CheckedSize.product(capacity, 8).flatMap { $0 <= Int.max - headerBytes ? $0 + headerBytes : nil }
    }
}

/// Appends the matching keys of `n` elements to `out`; returns how many.
@inline(__always)
func gatherKeyDigits<K: KeyFunction>(
    _: K.Type, _ raw: UnsafeRawPointer, _ n: Int, _ prefixBits: Int, _ prefix: UInt64, _ bitmap: UnsafePointer<UInt64>,
    _ out: UnsafeMutablePointer<UInt64>
) -> Int {
    let x = raw.assumingMemoryBound(to: K.Element.self)
    // Shifting a UInt64 by 64 gives 0 in Swift's smart shift, so a zero-bit prefix matches every key.
    let prefixShift = UInt64(64 - prefixBits)
    let digitShift = UInt64(48 - prefixBits)
    var found = 0
    for i in 0..<n {
        let k = K.key(x[i])
        let digit = Int((k >> digitShift) & 0xFFFF)
        let marked = (bitmap[digit >> 6] >> UInt64(digit & 63)) & 1 != 0
        let inPrefix = prefixBits == 0 || k >> prefixShift == prefix
        // Written unconditionally, advanced only on a match: no branch to mispredict.
        out[found] = k
        found &+= (marked && inPrefix) ? 1 : 0
    }
    return found
}

#if canImport(Glibc)
import Glibc
#endif

/// What a job's code sees inside a worker: which worker it is, and the addresses of the segments its
/// job refers to.
public final class WorkerContext {
    /// This worker's index in the pool (0..<workers); stable across calls.
    public let workerIndex: Int
    /// Segments with an id below this existed when this worker was forked and are mapped at the
    /// owner's address already.
    let inheritedWatermark: UInt64
    /// Release-log entries from this sequence on concern segments this worker inherited alive.
    let releaseStart: Int
    private var attached: [UInt64: AttachedSegment] = [:]

    /// The context of the pool worker this code runs in; nil outside a pool's worker processes.
    /// (A worker runs one task at a time on one thread.)
    public static var current: WorkerContext? { _current }
    nonisolated(unsafe) static var _current: WorkerContext?

    /// Segments attached by processes that are neither their owner nor a pool worker (a `Process` child).
    static let outsideWorkers = PthreadProtected(
        WorkerContext(workerIndex: -1, inheritedWatermark: 0, releaseStart: Int.max))

    init(workerIndex: Int, inheritedWatermark: UInt64, releaseStart: Int) {
        self.workerIndex = workerIndex
        self.inheritedWatermark = inheritedWatermark
        self.releaseStart = releaseStart
    }

    /// The address of `segment` in this process, attaching it on first use.
    public func address(of segment: SegmentReference) throws -> UnsafeMutableRawPointer {
        if segment.ownerPID == CachedProcessID.current || segment.id < inheritedWatermark {
            return try SegmentRegistry.resolveLocal(segment)
        }
        if let mapping = attached[segment.id] { return try mapping.resolve(segment) }
        let mapping = try SegmentRegistry.attach(segment)
        attached[segment.id] = mapping
        return mapping.address
    }

    /// Unmaps every segment this context attached (a context made for one call in the caller's process).
    func detachAll() {
        for mapping in attached.values { munmap(mapping.address, mapping.length) }
        attached = [:]
    }

    /// Drops this worker's mapping of a segment the owner freed.
    func release(_ segment: ReleasedSegment) {
        if let mapping = attached.removeValue(forKey: segment.id) {
            munmap(mapping.address, mapping.length)
        } else if segment.id < inheritedWatermark, segment.sequence >= releaseStart {
            SegmentRegistry.remove(id: segment.id)
            munmap(UnsafeMutableRawPointer(bitPattern: segment.address), segment.byteCount)
        }
    }
}

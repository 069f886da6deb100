#if canImport(Glibc)
import Glibc
#endif

/// A recursive lock shared across forked processes (Python's `multiprocessing.RLock`): the holding
/// thread may acquire it again, and must release it as many times.
///
/// The holder is a thread of a process (the kernel tid, unique across processes), so a forked child
/// never "inherits" its parent's hold. Owner death behaves as for ``Lock``: the next ``acquire()`` takes
/// the lock over with a depth of one and throws ``SyncError/Code/ownerDied`` while holding it.
///
/// ```swift
/// let lock = try RLock()
/// try lock.withLock { try lock.withLock { update() } }
/// try lock.acquire()
/// defer { lock.release() }
/// ```
public final class RLock: Lockable, @unchecked Sendable {
    private let segment: SharedMemory
    let cell: MutexCell

    public init() throws {
        segment = try SharedMemory(byteCount: MutexCell.byteCount)
        cell = MutexCell(base: segment.base)
        try MutexCell.initialize(at: segment.base)
    }

    deinit {
        // glibc links the robust mutexes a thread holds into a per-thread list through the mutex
        // itself; unmapping one still on that list would leave the list pointing at nothing.
        if cell.isHeldByCaller { cell.unlock() }
    }

    /// Blocks until acquired; returns at once, one level deeper, when the calling thread holds it.
    /// - Throws: ``SyncError/Code/ownerDied`` (lock held).
    public func acquire() throws(SyncError) {
        _ = try acquire(until: .never)
    }

    /// Waits at most `timeout`; `false` if another thread kept it that long.
    public func acquire(timeout: Duration) throws(SyncError) -> Bool {
        try acquire(until: .after(timeout))
    }

    func acquire(until deadline: SyncDeadline) throws(SyncError) -> Bool {
        if cell.isHeldByCaller {
            cell.depth.wrappingIncrement(ordering: .relaxed)
            return true
        }
        switch try cell.lock(until: deadline, in: "RLock") {
        case .acquired:
            cell.depth.store(1, ordering: .relaxed)
            return true
        case .ownerDied(let pid):
            cell.depth.store(1, ordering: .relaxed)
            throw .ownerDied(pid: pid, in: "RLock")
        case .timedOut:
            return false
        }
    }

    /// Releases one level; the lock is free once every acquire has been released. The calling thread
    /// must hold it: releasing a lock it does not hold stops the process with a message (a programming
    /// error, as for ``Lock/release()``).
    public func release() {
        guard cell.isHeldByCaller else { syncMisuse(SyncError.notOwner("RLock.release()").message) }
        let depth = cell.depth.load(ordering: .relaxed)
        if depth > 1 {
            cell.depth.store(depth - 1, ordering: .relaxed)
        } else {
            cell.depth.store(0, ordering: .relaxed)
            cell.unlock()
        }
    }

    /// Whether the calling thread holds the lock.
    public var isHeldByCurrentThread: Bool { cell.isHeldByCaller }

    /// How many times the calling thread holds it (0 when it does not).
    public var recursionDepth: Int { cell.isHeldByCaller ? cell.depth.load(ordering: .relaxed) : 0 }
}

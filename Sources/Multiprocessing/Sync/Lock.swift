#if canImport(Glibc)
import Glibc
#endif

/// A non-recursive lock shared by a process and the children it forks (Python's
/// `multiprocessing.Lock`).
///
/// Create it before `fork()`; parent and children then use the same object. It is a robust,
/// process-shared pthread mutex in an anonymous shared segment, so it also works between threads.
///
/// ```swift
/// let lock = try Lock()
/// // ... fork workers ...
/// try lock.withLock { total += 1 }
/// // or, as in Python:
/// try lock.acquire()
/// defer { lock.release() }
/// ```
///
/// **When a holder dies.** If a process is killed (or a thread exits) while holding the lock, the next
/// ``acquire()`` does not hang: it takes the lock over and throws ``SyncError`` with code
/// ``SyncError/Code/ownerDied`` and the dead holder's ``SyncError/pid``. The lock **is held by the caller
/// when that error is thrown** (as with POSIX `EOWNERDEAD`): repair or discard what it protects, then
/// ``release()``; the lock works normally afterwards. ``withLock(_:)`` releases before rethrowing it.
/// Python has no equivalent; there the lock would stay taken forever.
///
/// Unlike Python's `Lock`, only the holder may release it (Python lets any process release): a release
/// by a thread that does not hold it is a programming error and stops the process with a message, as a
/// failed Swift precondition does. Acquiring it again from the holding thread throws
/// ``SyncError/Code/wouldDeadlock`` instead of hanging.
public final class Lock: Lockable, @unchecked Sendable {
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

    /// Blocks until the lock is acquired.
    /// - Throws: ``SyncError/Code/ownerDied`` (lock held), ``SyncError/Code/wouldDeadlock``.
    /// The corresponding C function is `pthread_mutex_lock`.
    public func acquire() throws(SyncError) {
        _ = try acquire(until: .never)
    }

    /// Waits at most `timeout` for the lock; `false` if another holder kept it that long.
    /// The corresponding C function is `pthread_mutex_clocklock` (CLOCK_MONOTONIC).
    public func acquire(timeout: Duration) throws(SyncError) -> Bool {
        try acquire(until: .after(timeout))
    }

    func acquire(until deadline: SyncDeadline) throws(SyncError) -> Bool {
        switch try cell.lock(until: deadline, in: "Lock") {
        case .acquired: return true
        case .ownerDied(let pid): throw .ownerDied(pid: pid, in: "Lock")
        case .timedOut: return false
        }
    }

    /// Releases the lock. The calling thread must hold it: releasing a lock it does not hold is a
    /// programming error that stops the process with a message (it does not throw, so
    /// `defer { lock.release() }` works).
    public func release() {
        guard cell.isHeldByCaller else { syncMisuse(SyncError.notOwner("Lock.release()").message) }
        cell.unlock()
    }

    /// Whether the calling thread holds the lock.
    public var isHeldByCurrentThread: Bool { cell.isHeldByCaller }
}

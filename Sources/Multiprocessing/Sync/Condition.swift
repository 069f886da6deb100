import Atomics

/// A condition variable shared across forked processes (Python's `multiprocessing.Condition`): wait,
/// with the lock released, until another process changes shared state and notifies.
///
/// ```swift
/// let ready = try Condition()                      // with its own RLock, as in Python
/// // consumer
/// try ready.withLock {
///     try ready.wait(for: { queue.count > 0 })
///     take()
/// }
/// // producer
/// try ready.withLock { put(); try ready.notify() }
/// ```
///
/// As with POSIX and Python condition variables, a wait can end without a matching notify (a
/// "spurious" wake-up, here when a notify lands while a waiter is between releasing the lock and
/// falling asleep): test the state in a loop, or use ``wait(for:)``. ``notify(_:)`` wakes at most `n`
/// sleeping waiters.
///
/// A waiting process that dies leaves nothing behind. If the *lock's* holder dies, the waiter that
/// takes the lock back gets ``SyncError/Code/ownerDied`` from ``wait()``, holding the lock, as
/// ``Lock/acquire()`` does.
///
/// Layout of its own segment (bytes): 0 notify sequence (futex word) · 4 sleepers.
public final class Condition: Lockable, @unchecked Sendable {
    /// The lock this condition releases while waiting (Python's `Condition(lock)`).
    public let lock: any Lockable
    private let cell: MutexCell
    private let recursive: Bool
    private let segment: SharedMemory
    private let sequence: SyncFutexWord

    private var sleepers: UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: (segment.base + 4).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    /// A condition with a new ``RLock`` (Python's default).
    public convenience init() throws {
        try self.init(lock: RLock())
    }

    /// A condition over an existing recursive lock; waiting releases every level and restores them.
    public convenience init(lock: RLock) throws {
        try self.init(lock: lock, cell: lock.cell, recursive: true)
    }

    /// A condition over an existing ``Lock``.
    public convenience init(lock: Lock) throws {
        try self.init(lock: lock, cell: lock.cell, recursive: false)
    }

    private init(lock: any Lockable, cell: MutexCell, recursive: Bool) throws {
        self.lock = lock
        self.cell = cell
        self.recursive = recursive
        segment = try SharedMemory(byteCount: 64)
        sequence = SyncFutexWord(segment.base)
    }

    /// Acquires the underlying lock.
    public func acquire() throws(SyncError) { try lock.acquire() }
    /// Acquires the underlying lock, waiting at most `timeout`.
    public func acquire(timeout: Duration) throws(SyncError) -> Bool { try lock.acquire(timeout: timeout) }
    /// Releases the underlying lock (which the calling thread must hold, see ``Lock/release()``).
    public func release() { lock.release() }

    /// Releases the lock, sleeps until notified, and takes the lock back. The caller must hold the lock.
    /// - Throws: ``SyncError/Code/notOwner``; ``SyncError/Code/ownerDied`` (lock held again).
    public func wait() throws(SyncError) {
        _ = try wait(until: .never)
    }

    /// Like ``wait()`` but gives up after `timeout`.
    /// - Returns: `false` if the timeout passed without a notify. The lock is held again either way.
    @discardableResult
    public func wait(timeout: Duration) throws(SyncError) -> Bool {
        try wait(until: .after(timeout))
    }

    /// Waits until `predicate` (evaluated with the lock held) is true.
    public func wait(for predicate: () -> Bool) throws(SyncError) {
        _ = try wait(for: predicate, until: .never)
    }

    /// Waits until `predicate` is true or `timeout` passes; returns the predicate's last value
    /// (Python's `wait_for`).
    @discardableResult
    public func wait(for predicate: () -> Bool, timeout: Duration) throws(SyncError) -> Bool {
        try wait(for: predicate, until: .after(timeout))
    }

    /// Wakes up to `count` waiting processes or threads. The caller must hold the lock.
    public func notify(_ count: Int = 1) throws(SyncError) {
        guard cell.isHeldByCaller else { throw .notOwner("Condition.notify()") }
        guard count > 0, sleepers.load(ordering: .relaxed) > 0 else { return }
        sequence.atomic.wrappingIncrement(ordering: .releasing)
        sequence.wake(count)
    }

    /// Wakes every waiter (Python's `notify_all`). The caller must hold the lock.
    public func notifyAll() throws(SyncError) {
        try notify(Int(Int32.max))
    }

    /// With `reacquireBy`, taking the lock back after the wait is bounded too: if another process holds
    /// it past that deadline (stopped, stuck), this throws ``SyncError/Code/timedOut`` **without** the
    /// lock, instead of waiting for it forever. The public waits take it back unbounded, as Python does.
    func wait(
        for predicate: () -> Bool, until deadline: SyncDeadline, reacquireBy: SyncDeadline = .never
    ) throws(SyncError) -> Bool {
        var result = predicate()
        while !result && !deadline.hasPassed {
            _ = try wait(until: deadline, reacquireBy: reacquireBy)
            result = predicate()
        }
        return result
    }

    func wait(until deadline: SyncDeadline, reacquireBy: SyncDeadline = .never) throws(SyncError) -> Bool {
        guard cell.isHeldByCaller else { throw .notOwner("Condition.wait()") }
        // Read the sequence and count ourselves in while holding the lock: a notifier needs the lock,
        // so every notify after this point changes the word we sleep on.
        let seen = sequence.atomic.load(ordering: .relaxed)
        sleepers.wrappingIncrement(ordering: .relaxed)
        let depth = recursive ? cell.depth.load(ordering: .relaxed) : 1
        if recursive { cell.depth.store(0, ordering: .relaxed) }
        cell.unlock()

        var notified = true
        while sequence.atomic.load(ordering: .acquiring) == seen {
            if !sequence.sleep(whileValueIs: seen, until: deadline) {
                notified = sequence.atomic.load(ordering: .acquiring) != seen
                break
            }
        }
        sleepers.wrappingDecrement(ordering: .relaxed)

        let acquisition = try cell.lock(until: reacquireBy, in: "Condition")
        if case .timedOut = acquisition {
            if recursive { cell.depth.store(0, ordering: .relaxed) }
            throw SyncError(.timedOut, "Condition: the lock could not be taken back before the deadline")
        }
        if recursive { cell.depth.store(depth, ordering: .relaxed) }
        if case .ownerDied(let pid) = acquisition { throw .ownerDied(pid: pid, in: "Condition") }
        return notified
    }
}

/// Something acquired and released around a critical section: ``Lock``, ``RLock``, ``Semaphore``,
/// ``BoundedSemaphore`` and ``Condition`` (through its lock). Python's `with lock:` is ``withLock(_:)``.
///
/// ```swift
/// try lock.withLock { counter += 1 }
/// if let value = try lock.withLock(timeout: .milliseconds(100), { read() }) { use(value) }
/// try lock.acquire()
/// defer { lock.release() }                         // release() does not throw
/// ```
public protocol Lockable: AnyObject, Sendable {
    /// Blocks until acquired.
    func acquire() throws(SyncError)
    /// Waits at most `timeout`; returns `false` if it was not acquired in time (`.zero` only tries).
    func acquire(timeout: Duration) throws(SyncError) -> Bool
    /// Releases what ``acquire()`` took. Releasing what the caller does not hold is a programming error
    /// that stops the process with a message (as a failed Swift precondition does), so it never throws.
    func release()
}

extension Lockable {
    /// Acquires only if that is possible without waiting.
    public func tryAcquire() throws(SyncError) -> Bool {
        try acquire(timeout: .zero)
    }

    /// Runs `body` while holding the lock and releases it afterwards, also when `body` throws; returns
    /// what `body` returns.
    ///
    /// If the previous holder died while holding it, this throws ``SyncError/Code/ownerDied`` **without
    /// running `body` and after releasing the lock**; the next call proceeds normally. Callers that must
    /// repair shared state under the lock catch that error from ``acquire()`` instead, which keeps the
    /// lock held.
    public func withLock<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            try acquire()
        } catch let error where error.code == .ownerDied {
            release()
            throw error
        }
        defer { release() }
        return try body()
    }

    /// Like ``withLock(_:)`` but gives up after `timeout`, returning `nil` without running `body`.
    public func withLock<Result>(timeout: Duration, _ body: () throws -> Result) throws -> Result? {
        let acquired: Bool
        do {
            acquired = try acquire(timeout: timeout)
        } catch let error where error.code == .ownerDied {
            release()
            throw error
        }
        guard acquired else { return nil }
        defer { release() }
        return try body()
    }
}

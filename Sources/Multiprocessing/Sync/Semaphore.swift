/// A counting semaphore shared across forked processes (Python's `multiprocessing.Semaphore`).
///
/// ```swift
/// let slots = try Semaphore(value: 2)          // at most two processes inside at once
/// try slots.withLock { download() }
/// ```
///
/// A process killed while holding a unit does not give it back (as with POSIX semaphores); waiters
/// with a timeout still return.
public final class Semaphore: Lockable, @unchecked Sendable {
    private let segment: SharedMemory
    private let cell: SemaphoreCell

    /// - Parameter value: the initial count, `0...Int32.max`.
    public init(value: Int = 1) throws {
        segment = try SharedMemory(byteCount: SemaphoreCell.byteCount)
        cell = SemaphoreCell(base: segment.base)
        try SemaphoreCell.initialize(at: segment.base, value: value, bounded: false, primitive: "Semaphore")
    }

    /// Takes one unit, waiting as long as it takes.
    public func acquire() throws(SyncError) {
        _ = cell.acquire(until: .never)
    }

    /// Takes one unit, waiting at most `timeout`; `false` if none became free in time.
    public func acquire(timeout: Duration) throws(SyncError) -> Bool {
        cell.acquire(until: .after(timeout))
    }

    /// Gives back one unit.
    public func release() throws(SyncError) {
        try cell.release(1, primitive: "Semaphore")
    }

    /// Gives back `count` units at once, waking up to `count` waiters (Python's `release(n)`).
    public func release(count: Int) throws(SyncError) {
        try cell.release(count, primitive: "Semaphore")
    }

    /// The current count (Python's `get_value()`); a snapshot that other processes may change at once.
    public var value: Int { cell.value }
}

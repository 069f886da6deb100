/// A counting semaphore shared across forked processes (Python's `multiprocessing.Semaphore`).
///
/// ```swift
/// let slots = try Semaphore(value: 2)          // at most two processes inside at once
/// let page = try slots.withPermit { try download() }
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

    /// Gives back one unit. Rising above `Int32.max` is a programming error that stops the process
    /// with a message.
    public func release() {
        do {
            try cell.release(1, primitive: "Semaphore")
        } catch {
            syncMisuse(error.message)
        }
    }

    /// Runs `body` holding one unit, and gives it back afterwards, also when `body` throws (Python's
    /// `with semaphore:`). Returns what `body` returns; throws only what `body` throws.
    public func withPermit<Result>(_ body: () throws -> Result) rethrows -> Result {
        _ = cell.acquire(until: .never)
        defer { release() }
        return try body()
    }

    /// Like ``withPermit(_:)`` but waits at most `timeout` for a unit; nil (without running `body`) if
    /// none became free in time.
    public func withPermit<Result>(timeout: Duration, _ body: () throws -> Result) rethrows -> Result? {
        guard cell.acquire(until: .after(timeout)) else { return nil }
        defer { release() }
        return try body()
    }

    /// Gives back `count` units at once, waking up to `count` waiters (Python's `release(n)`).
    public func release(count: Int) throws(SyncError) {
        try cell.release(count, primitive: "Semaphore")
    }

    /// The current count (Python's `get_value()`); a snapshot that other processes may change at once.
    public var value: Int { cell.value }
}

/// A semaphore that refuses to rise above its initial value (Python's
/// `multiprocessing.BoundedSemaphore`): a release without a matching acquire is a programming error
/// that stops the process with a message, instead of silently admitting one process too many.
///
/// The check and the increment are one atomic step, so two racing releases cannot both slip past the
/// bound (Python checks then posts, and can).
///
/// ```swift
/// let pool = try BoundedSemaphore(value: 3)
/// try pool.withPermit { try useConnection() }
/// ```
public final class BoundedSemaphore: Lockable, @unchecked Sendable {
    private let segment: SharedMemory
    private let cell: SemaphoreCell
    /// The initial value, which the count never exceeds.
    public let limit: Int

    /// - Parameter value: the initial and maximal count, `0...Int32.max`.
    public init(value: Int = 1) throws {
        segment = try SharedMemory(byteCount: SemaphoreCell.byteCount)
        cell = SemaphoreCell(base: segment.base)
        limit = value
        try SemaphoreCell.initialize(at: segment.base, value: value, bounded: true, primitive: "BoundedSemaphore")
    }

    /// Takes one unit, waiting as long as it takes.
    public func acquire() throws(SyncError) {
        _ = cell.acquire(until: .never)
    }

    /// Takes one unit, waiting at most `timeout`; `false` if none became free in time.
    public func acquire(timeout: Duration) throws(SyncError) -> Bool {
        cell.acquire(until: .after(timeout))
    }

    /// Gives back one unit. Rising above ``limit`` (a release without a matching acquire) is a
    /// programming error that stops the process with a message.
    public func release() {
        do {
            try cell.release(1, primitive: "BoundedSemaphore")
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

    /// The current count; a snapshot that other processes may change at once.
    public var value: Int { cell.value }
}

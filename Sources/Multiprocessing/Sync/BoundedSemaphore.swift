/// A semaphore that refuses to rise above its initial value (Python's
/// `multiprocessing.BoundedSemaphore`): a release without a matching acquire throws
/// ``SyncError/Code/releasedTooManyTimes`` instead of silently admitting one process too many.
///
/// The check and the increment are one atomic step, so two racing releases cannot both slip past the
/// bound (Python checks then posts, and can).
///
/// ```swift
/// let pool = try BoundedSemaphore(value: 3)
/// try pool.withLock { useConnection() }
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

    /// Gives back one unit.
    /// - Throws: ``SyncError/Code/releasedTooManyTimes`` if that would exceed ``limit``.
    public func release() throws(SyncError) {
        try cell.release(1, primitive: "BoundedSemaphore")
    }

    /// The current count; a snapshot that other processes may change at once.
    public var value: Int { cell.value }
}

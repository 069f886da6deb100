/// A first-in first-out queue of Codable items shared by processes (Python's `multiprocessing.Queue`).
///
/// Items are encoded into a ring buffer in shared memory guarded by a cross-process ``Condition``: no
/// pipe and no feeder thread per message. `put` blocks while the queue holds `maxSize` items (or its byte
/// capacity is full); `get` blocks while it is empty; both take a timeout. Create the queue before forking.
///
/// ```swift
/// let queue = try Queue<Int>(maxSize: 100)
/// let producer = Process { for i in 0..<10 { try queue.put(i) }; try queue.put(-1) }
/// try producer.start()
/// while let item = try queue.get(), item >= 0 { print(item) }
/// ```
public final class Queue<Element: Codable & Sendable>: @unchecked Sendable {
    /// The most items the queue holds (Python's `maxsize`; `Int.max` when unbounded).
    public let maxSize: Int
    /// Bytes available for encoded items.
    public let byteCapacity: Int
    let ring: SharedRing
    let condition: Condition

    /// A queue of at most `maxSize` items (nil: unbounded) in `byteCapacity` bytes of shared memory.
    public init(maxSize: Int? = nil, byteCapacity: Int = 8 << 20) throws {
        if let maxSize, maxSize < 1 { throw QueueError.invalidSize("maxSize must be at least 1, got \(maxSize)") }
        guard byteCapacity >= 64 else { throw QueueError.invalidSize("byteCapacity must be at least 64 bytes") }
        self.maxSize = maxSize ?? Int.max
        self.byteCapacity = byteCapacity
        ring = try SharedRing(capacity: byteCapacity)
        condition = try Condition(lock: try Lock())
    }

    /// Adds `item`, waiting for room at most `timeout` (nil: as long as it takes).
    /// Throws ``QueueError/full`` on timeout and ``QueueError/itemTooLarge(bytes:capacity:)`` for an item
    /// that could never fit.
    public func put(_ item: Element, timeout: Duration? = nil) throws {
        let bytes = try BinaryEncoder().encode(item)
        guard SharedRing.footprint(bytes.count) <= byteCapacity else {
            throw QueueError.itemTooLarge(bytes: bytes.count, capacity: byteCapacity)
        }
        try locked(timeout: timeout, busy: .full) { deadline in
            let room = { self.ring.count < self.maxSize && self.ring.fits(bytes.count) }
            guard try condition.wait(for: room, until: deadline, reacquireBy: deadline) else { throw QueueError.full }
            ring.push(bytes)
            try condition.notifyAll()
        }
    }

    /// Removes and returns the oldest item, waiting at most `timeout` (nil: as long as it takes).
    /// Throws ``QueueError/empty`` on timeout.
    public func get(timeout: Duration? = nil) throws -> Element {
        let bytes: [UInt8] = try locked(timeout: timeout, busy: .empty) { deadline in
            let ready = { self.ring.count > 0 }
            guard try condition.wait(for: ready, until: deadline, reacquireBy: deadline) else { throw QueueError.empty }
            let bytes = ring.pop()
            try condition.notifyAll()
            return bytes
        }
        return try BinaryDecoder().decode(Element.self, from: bytes)
    }

    /// Runs `body` holding the queue's lock, with one deadline for taking the lock, waiting and taking
    /// it back: a process stopped or stuck while holding the lock cannot make a timed call hang. A lock
    /// that stays busy until the deadline throws `busy` (full or empty: the call could not complete).
    private func locked<Result>(
        timeout: Duration?, busy: QueueError, _ body: (SyncDeadline) throws -> Result
    ) throws -> Result {
        guard let timeout else { return try condition.withLock { try body(.never) } }
        let deadline = SyncDeadline.after(timeout)
        do {
            // If the lock is not taken back in time, withLock's release finds it not held and is skipped.
            let result = try condition.withLock(timeout: .nanoseconds(deadline.remainingNanoseconds ?? 0)) {
                try body(deadline)
            }
            guard let result else { throw busy }
            return result
        } catch SyncError.Code.timedOut {
            throw busy
        }
    }

    /// `put` without waiting: throws ``QueueError/full`` at once.
    public func putNoWait(_ item: Element) throws { try put(item, timeout: .zero) }

    /// `get` without waiting: throws ``QueueError/empty`` at once.
    public func getNoWait() throws -> Element { try get(timeout: .zero) }

    /// Items in the queue now (a snapshot: other processes may change it at once).
    public var count: Int { (try? condition.withLock { ring.count }) ?? 0 }
    /// Whether the queue is empty now.
    public var isEmpty: Bool { count == 0 }
    /// Whether the queue holds `maxSize` items now.
    public var isFull: Bool { count >= maxSize }
}

/// A queue whose consumers mark each item done, so a producer can wait for all of them
/// (Python's `JoinableQueue`).
///
/// ```swift
/// let queue = try JoinableQueue<Job>()
/// // consumer: let job = try queue.get(); work(job); try queue.taskDone()
/// try queue.join()   // returns when every item put has been marked done
/// ```
public final class JoinableQueue<Element: Codable & Sendable>: @unchecked Sendable {
    private let queue: Queue<Element>
    /// The lock and condition shared with the underlying queue.
    var condition: Condition { queue.condition }
    private let unfinished: SharedValue<Int>

    public init(maxSize: Int? = nil, byteCapacity: Int = 8 << 20) throws {
        queue = try Queue(maxSize: maxSize, byteCapacity: byteCapacity)
        unfinished = try SharedValue(0, lock: false)
    }

    /// Adds an item and counts it as an unfinished task.
    public func put(_ item: Element, timeout: Duration? = nil) throws {
        // Count first, so join() can never see zero between the put and the count.
        _ = unfinished.wrappingAdd(1)
        do {
            try queue.put(item, timeout: timeout)
        } catch {
            _ = unfinished.wrappingAdd(-1)
            try queue.condition.withLock { try queue.condition.notifyAll() }
            throw error
        }
    }

    public func get(timeout: Duration? = nil) throws -> Element { try queue.get(timeout: timeout) }

    /// Marks one item taken with `get` as done. Throws if called more times than items were put.
    public func taskDone() throws {
        try queue.condition.withLock {
            guard unfinished.atomicLoad() > 0 else { throw QueueError.taskDoneTooManyTimes }
            _ = unfinished.wrappingAdd(-1)
            try queue.condition.notifyAll()
        }
    }

    /// Waits until every item put has been marked done, at most `timeout`; returns whether it happened.
    @discardableResult
    /// With a timeout, a process stopped while holding the queue's lock cannot make it hang either.
    public func join(timeout: Duration? = nil) throws -> Bool {
        guard let timeout else {
            return try queue.condition.withLock {
                try queue.condition.wait(for: { self.unfinished.atomicLoad() == 0 })
                return true
            }
        }
        let deadline = SyncDeadline.after(timeout)
        do {
            let done = try queue.condition.withLock(timeout: .nanoseconds(deadline.remainingNanoseconds ?? 0)) {
                try queue.condition.wait(for: { self.unfinished.atomicLoad() == 0 }, until: deadline, reacquireBy: deadline)
            }
            return done ?? false
        } catch SyncError.Code.timedOut {
            return false
        }
    }

    /// Tasks put but not yet marked done.
    public var unfinishedTasks: Int { unfinished.atomicLoad() }
    public var count: Int { queue.count }
    public var isEmpty: Bool { queue.isEmpty }
}

/// An unbounded queue with only `put` and `get` (Python's `SimpleQueue`).
public typealias SimpleQueue<Element: Codable & Sendable> = Queue<Element>

/// Why a queue operation did not complete.
public enum QueueError: Error, CustomStringConvertible, Sendable, Equatable {
    case empty
    case full
    case itemTooLarge(bytes: Int, capacity: Int)
    case taskDoneTooManyTimes
    case invalidSize(String)

    public var description: String {
        switch self {
        case .empty: "the queue is empty"
        case .full: "the queue is full"
        case .itemTooLarge(let bytes, let capacity):
            "an item of \(bytes) encoded bytes cannot fit in the queue's \(capacity) bytes; create it with a larger byteCapacity"
        case .taskDoneTooManyTimes: "taskDone() called more times than there were items"
        case .invalidSize(let why): "invalid queue size: \(why)"
        }
    }
}

import Atomics

/// One value of a trivially-copyable type in shared memory, seen by a process and the children it
/// forks (Python's `multiprocessing.Value`).
///
/// ```swift
/// let total = try SharedValue(0)                 // with a lock, as Python's default
/// // in each worker:
/// try total.withLock { $0 += 1 }
/// // integers also have a lock-free atomic add:
/// hits.wrappingAdd(1)
/// ```
///
/// ``load()`` and ``store(_:)`` take the lock when there is one (so a multi-word value is never read
/// half-written); ``withLock(_:)`` makes a read-modify-write safe. The atomic operations on integer
/// values never take the lock and are consistent only with each other: do not mix them with
/// ``withLock(_:)`` updates of the same value. Create the value before `fork()`.
public final class SharedValue<Value: BitwiseCopyable>: @unchecked Sendable {
    /// The lock guarding the value (Python's `get_lock()`), or `nil` if made with `lock: false`.
    public let lock: RLock?
    private let segment: SharedMemory
    private let pointer: UnsafeMutablePointer<Value>

    /// - Parameters:
    ///   - initialValue: the value every process starts from.
    ///   - lock: create a new ``RLock`` to guard it (Python's default); `false` for none.
    public convenience init(_ initialValue: Value, lock: Bool = true) throws {
        try self.init(initialValue, guard: lock ? RLock() : nil)
    }

    /// A value guarded by an existing lock, e.g. one shared with other values.
    public convenience init(_ initialValue: Value, lock: RLock) throws {
        try self.init(initialValue, guard: lock)
    }

    private init(_ initialValue: Value, guard lock: RLock?) throws {
        self.lock = lock
        segment = try SharedMemory(byteCount: MemoryLayout<Value>.size)
        pointer = segment.base.bindMemory(to: Value.self, capacity: 1)
        pointer.initialize(to: initialValue)
    }

    /// Reads the value, under the lock if there is one.
    /// - Throws: ``SyncError/Code/ownerDied`` if the lock's holder died (the lock is released again).
    public func load() throws(SyncError) -> Value {
        guard let lock else { return pointer.pointee }
        return try locked(lock) { pointer.pointee }
    }

    /// Replaces the value, under the lock if there is one.
    public func store(_ newValue: Value) throws(SyncError) {
        guard let lock else {
            pointer.pointee = newValue
            return
        }
        try locked(lock) { pointer.pointee = newValue }
    }

    /// Runs `body` on the value while holding the lock, e.g. `try value.withLock { $0 += 1 }`.
    /// - Throws: ``SyncError/Code/noLock`` if made with `lock: false`; errors from `body`; see
    ///   ``Lockable/withLock(_:)`` for owner death.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) throws -> Result {
        guard let lock else {
            throw SyncError(.noLock, "SharedValue.withLock: this value was created with lock: false")
        }
        return try lock.withLock { try body(&pointer.pointee) }
    }

    private func locked<Result>(_ lock: RLock, _ body: () -> Result) throws(SyncError) -> Result {
        do {
            try lock.acquire()
        } catch {
            if error.code == .ownerDied { lock.release() }
            throw error
        }
        let result = body()
        lock.release()
        return result
    }
}

extension SharedValue where Value: AtomicInteger {
    private var atomic: UnsafeAtomic<Value> {
        UnsafeAtomic(at: UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Value.AtomicRepresentation.self))
    }

    /// Adds `delta` atomically (wrapping on overflow) without taking the lock.
    /// - Returns: the values before and after, as `Synchronization.Atomic.wrappingAdd` does.
    @discardableResult
    public func wrappingAdd(_ delta: Value) -> (oldValue: Value, newValue: Value) {
        let old = atomic.loadThenWrappingIncrement(by: delta, ordering: .acquiringAndReleasing)
        return (old, old &+ delta)
    }

    /// Reads the value atomically, without taking the lock.
    public func atomicLoad() -> Value {
        atomic.load(ordering: .acquiring)
    }

    /// Replaces the value atomically, without taking the lock.
    public func atomicStore(_ newValue: Value) {
        atomic.store(newValue, ordering: .releasing)
    }
}

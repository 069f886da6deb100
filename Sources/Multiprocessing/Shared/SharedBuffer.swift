import Atomics

/// A fixed-size array of trivially-copyable elements in shared memory, seen by a process and the
/// children it forks (Python's `multiprocessing.Array`).
///
/// ```swift
/// let results = try SharedBuffer(repeating: 0.0, count: 4)
/// // in worker i:
/// results[i] = compute(i)
/// // consistent multi-element updates:
/// try results.withLock { elements in elements[0] += elements[1] }
/// ```
///
/// The subscript reads and writes one element **without** the lock (fast; right for slots that
/// only one process writes). Use ``withLock(_:)`` when several processes update the same elements or
/// a reader needs a consistent view of several, and ``toArray()`` for a locked snapshot. Create the
/// buffer before `fork()`.
public final class SharedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    /// The number of elements, fixed at creation.
    public let count: Int
    /// The lock guarding the elements (Python's `get_lock()`), or `nil` if made with `lock: false`.
    public let lock: RLock?
    private let segment: SharedMemory
    private let elements: UnsafeMutablePointer<Element>

    /// `count` copies of `value`.
    /// - Parameter lock: create a new ``RLock`` to guard it (Python's default); `false` for none.
    public convenience init(repeating value: Element, count: Int, lock: Bool = true) throws {
        try self.init(count: count, guard: lock ? RLock() : nil) { $0.initialize(repeating: value) }
    }

    /// A copy of `elements`.
    public convenience init(_ elements: some Collection<Element>, lock: Bool = true) throws {
        try self.init(count: elements.count, guard: lock ? RLock() : nil) { _ = $0.initialize(from: elements) }
    }

    /// `count` copies of `value`, guarded by an existing lock.
    public convenience init(repeating value: Element, count: Int, lock: RLock) throws {
        try self.init(count: count, guard: lock) { $0.initialize(repeating: value) }
    }

    private init(count: Int, guard lock: RLock?, fill: (UnsafeMutableBufferPointer<Element>) -> Void) throws {
        guard count >= 0 else { throw SyncError(.invalidArgument, "SharedBuffer: negative count \(count)") }
        self.count = count
        self.lock = lock
        segment = try SharedMemory(byteCount: count * MemoryLayout<Element>.stride)
        elements = segment.base.bindMemory(to: Element.self, capacity: count)
        fill(UnsafeMutableBufferPointer(start: elements, count: count))
    }

    /// The valid indices, `0..<count`.
    public var indices: Range<Int> { 0..<count }

    /// One element, read or written without the lock.
    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "SharedBuffer index \(index) out of range 0..<\(count)")
            return elements[index]
        }
        set {
            precondition(index >= 0 && index < count, "SharedBuffer index \(index) out of range 0..<\(count)")
            elements[index] = newValue
        }
    }

    /// Runs `body` on all elements while holding the lock. The buffer pointer must not escape `body`.
    /// - Throws: ``SyncError/Code/noLock`` if made with `lock: false`; errors from `body`; see
    ///   ``Lockable/withLock(_:)`` for owner death.
    public func withLock<Result>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> Result) throws -> Result {
        guard let lock else {
            throw SyncError(.noLock, "SharedBuffer.withLock: this buffer was created with lock: false")
        }
        return try lock.withLock { try body(UnsafeMutableBufferPointer(start: elements, count: count)) }
    }

    /// A snapshot of all elements, taken under the lock if there is one (Python's `arr[:]`).
    public func toArray() throws -> [Element] {
        let all = { Array(UnsafeBufferPointer(start: self.elements, count: self.count)) }
        guard lock != nil else { return all() }
        return try withLock { _ in all() }
    }
}

extension SharedBuffer where Element: AtomicInteger {
    private func atomic(_ index: Int) -> UnsafeAtomic<Element> {
        precondition(index >= 0 && index < count, "SharedBuffer index \(index) out of range 0..<\(count)")
        return UnsafeAtomic(
            at: UnsafeMutableRawPointer(elements + index).assumingMemoryBound(to: Element.AtomicRepresentation.self))
    }

    /// Adds `delta` to one element atomically (wrapping), without taking the lock.
    @discardableResult
    public func wrappingAdd(_ delta: Element, at index: Int) -> (oldValue: Element, newValue: Element) {
        let old = atomic(index).loadThenWrappingIncrement(by: delta, ordering: .acquiringAndReleasing)
        return (old, old &+ delta)
    }

    /// Reads one element atomically, without taking the lock.
    public func atomicLoad(at index: Int) -> Element {
        atomic(index).load(ordering: .acquiring)
    }
}

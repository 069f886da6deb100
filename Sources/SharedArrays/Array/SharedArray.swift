import Multiprocessing

/// A 1-D or 2-D (row-major) array of numbers in shared memory, reduced and transformed by the worker
/// processes of a ``WorkerPool`` without copying.
///
/// Element access is bounds-checked. Views (``slice(_:)``, ``rows(_:)``, ``strided(by:)``) share memory
/// with the array they come from.
///
/// ```swift
/// let pool = try WorkerPool()
/// let x = try SharedArray<Double>.arange(1_000_000, on: pool)
/// let s = try x.statistics([.mean, .std])
/// ```
public final class SharedArray<Element: SharedElement>: @unchecked Sendable {
    /// `[count]` or `[rows, columns]`.
    public let shape: [Int]
    /// The pool whose workers run this array's kernels.
    public let pool: WorkerPool
    let storage: ArrayStorage
    /// Offset of the first element in `storage`, in elements.
    let offset: Int
    /// Distance between consecutive elements of a 1-D view, in elements (1 unless strided).
    let stride: Int

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// 1 or 2.
    public var rank: Int { shape.count }
    /// The element type's ``DType``.
    public var dtype: DType { Element.dtype }
    /// Whether the elements are adjacent in memory.
    public var isContiguous: Bool { stride == 1 }
    /// Whether the elements are a read-only mapping of a file (``load(npy:mapped:limit:on:)``): in-place
    /// operations throw and element assignment traps; `copy()` gives a writable array.
    public var isReadOnly: Bool { storage.isReadOnly }
    /// Bytes the elements occupy.
    public var byteCount: Int { count * MemoryLayout<Element>.stride }

    init(storage: ArrayStorage, shape: [Int], offset: Int, stride: Int, pool: WorkerPool) {
        self.storage = storage
        self.shape = shape
        self.offset = offset
        self.stride = stride
        self.pool = pool
    }

    /// A new zero-filled array of `shape` (`[n]` or `[rows, columns]`); the pages are first written by
    /// the workers that will own them.
    public convenience init(zeros shape: [Int], on pool: WorkerPool) throws {
        let storage = try ArrayStorage.zeroed(byteCount: try Self.validate(shape: shape))
        self.init(storage: storage, shape: shape, offset: 0, stride: 1, pool: pool)
    }

    /// A new array holding `values`, with `shape` (default: 1-D).
    public convenience init(_ values: [Element], shape: [Int]? = nil, on pool: WorkerPool) throws {
        let shape = shape ?? [values.count]
        let bytes = try Self.validate(shape: shape)
        guard bytes / MemoryLayout<Element>.stride == values.count else {
            throw ArrayError(.invalidShape, operation: "SharedArray", input: "shape", "shape \(shape) needs \(bytes / MemoryLayout<Element>.stride) values, got \(values.count)")
        }
        try self.init(uninitialized: shape, on: pool)
        values.withUnsafeBytes { storage.memory.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A new array whose contents are unspecified (possibly a recycled segment's old values); for
    /// kernels that overwrite every element.
    convenience init(uninitialized shape: [Int], on pool: WorkerPool) throws {
        let storage = try ArrayStorage.forOverwrite(byteCount: try Self.validate(shape: shape))
        self.init(storage: storage, shape: shape, offset: 0, stride: 1, pool: pool)
    }

    /// Checks a shape for a new array and returns its size in bytes, computed without overflow: the
    /// shape may come from a file or a flag, and a product past `Int.max` is an error, never a trap.
    @discardableResult
    static func validate(shape: [Int]) throws -> Int {
        guard shape.count == 1 || shape.count == 2 else {
            throw ArrayError(.invalidShape, operation: "SharedArray", input: "shape", "shape \(shape) has \(shape.count) dimensions; 1 or 2 are supported")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ArrayError(.invalidShape, operation: "SharedArray", input: "shape", "negative dimension in shape \(shape)") }
        guard let bytes = CheckedSize.byteCount(shape: shape, elementSize: MemoryLayout<Element>.stride) else {
            throw ArrayError(
                .tooLarge, operation: "SharedArray", input: "shape", shapes: [shape],
                "shape \(shape) of \(Element.dtype.rawValue) is "
                    + "\(CheckedSize.describeBytes(shape: shape, elementSize: MemoryLayout<Element>.stride)), more than can be addressed")
        }
        return bytes
    }

    // MARK: - Element access

    /// The element at flat (row-major) position `index`; traps on an index out of range.
    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return elementPointer[index * stride]
        }
        set {
            precondition(!isReadOnly, "element assignment on a read-only file mapping; copy() the array first")
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            elementPointer[index * stride] = newValue
        }
    }

    /// The element at `row`, `column` of a 2-D array; traps when out of range.
    public subscript(row: Int, column: Int) -> Element {
        get {
            precondition(rank == 2, "2-D subscript on an array of shape \(shape)")
            precondition(row >= 0 && row < shape[0] && column >= 0 && column < shape[1], "(\(row), \(column)) out of range \(shape)")
            return elementPointer[row * shape[1] + column]
        }
        set {
            precondition(!isReadOnly, "element assignment on a read-only file mapping; copy() the array first")
            precondition(rank == 2, "2-D subscript on an array of shape \(shape)")
            precondition(row >= 0 && row < shape[0] && column >= 0 && column < shape[1], "(\(row), \(column)) out of range \(shape)")
            elementPointer[row * shape[1] + column] = newValue
        }
    }

    /// The element at `index`, or nil when out of range.
    public func element(at index: Int) -> Element? {
        index >= 0 && index < count ? elementPointer[index * stride] : nil
    }

    /// The elements in row-major order, copied into a Swift array.
    public func toArray() -> [Element] {
        (0..<count).map { elementPointer[$0 * stride] }
    }

    /// Calls `body` with the contiguous elements. Throws for a strided view.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        guard isContiguous else { throw ArrayError(.notContiguous, operation: "withUnsafeBufferPointer", input: "array", "the array is a strided view; copy() it first") }
        return try body(UnsafeBufferPointer(start: elementPointer, count: count))
    }

    /// The segment holding the elements, for jobs defined in other modules (the first element is
    /// ``elementOffset`` elements into it; consecutive elements are `stride` apart). Once taken, the segment
    /// is freed with the array, never kept for reuse, so a reference kept after the array is refused
    /// instead of reading another array's elements.
    public var segmentReference: SegmentReference {
        storage.markEscaped()
        return storage.memory.reference
    }
    /// The segment for this package's own jobs, whose use ends with the call that makes them: unlike
    /// ``segmentReference`` it leaves the segment free to be reused once the array is freed.
    package var jobSegment: SegmentReference { storage.memory.reference }
    /// Offset of the first element in ``segmentReference``, in elements.
    public var elementOffset: Int { offset }
    /// The address of the first element in this process. Unsafe: valid while the array lives; prefer
    /// subscripts and ``withUnsafeBufferPointer(_:)``.
    public var unsafeElementPointer: UnsafeMutablePointer<Element> { elementPointer }

    var elementPointer: UnsafeMutablePointer<Element> {
        storage.memory.base.assumingMemoryBound(to: Element.self) + offset
    }

    /// What a job needs to find this array's elements in a worker.
    var location: ArrayLocation {
        ArrayLocation(segment: storage.memory.reference, offset: offset, stride: stride, count: count, dtype: Element.dtype)
    }
}

/// Plain data locating an array's elements inside a segment, for jobs.
struct ArrayLocation: BitwiseCopyable, Sendable {
    var segment: SegmentReference
    var offset: Int
    var stride: Int
    var count: Int
    var dtype: DType

    /// The first element's address in this worker.
    func base(in context: WorkerContext) throws -> UnsafeMutableRawPointer {
        try context.address(of: segment) + offset * dtype.byteSize
    }
}

import Multiprocessing

/// A boolean array in shared memory, one byte (0 or 1) per element: what numpy's `x > 0` gives.
///
/// Masks come from element-wise comparisons of a ``SharedArray`` (`x > 0`, `x.isNaN()`), built in parallel
/// by the pool's workers, and combine with `&`, `|` and `~`. A mask selects elements for
/// ``SharedArray/statistics(_:where:ddof:timeout:)``, ``SharedArray/filter(_:timeout:)`` and
/// ``SharedArray/where(_:_:_:)``.
///
/// ```swift
/// let inRange = try (x > 0) & (x < 10)
/// let s = try x.statistics([.mean, .max], where: inRange)
/// let kept = try x.filter(inRange)
/// ```
public final class SharedMask: @unchecked Sendable {
    /// `[count]` or `[rows, columns]`: the shape of the array it was built from.
    public let shape: [Int]
    /// The pool whose workers build and read it.
    public let pool: WorkerPool
    /// One byte per element, 0 or 1, contiguous from the segment's start.
    let storage: ArrayStorage

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// A new mask holding `values`, with `shape` (default: 1-D).
    public convenience init(_ values: [Bool], shape: [Int]? = nil, on pool: WorkerPool) throws {
        let shape = shape ?? [values.count]
        try self.init(uninitialized: shape, on: pool)
        guard count == values.count else {
            throw ArrayError(.invalidShape, operation: "SharedMask", input: "shape", "shape \(shape) needs \(count) values, got \(values.count)")
        }
        let bytes = storage.memory.base.assumingMemoryBound(to: UInt8.self)
        for (i, v) in values.enumerated() { bytes[i] = v ? 1 : 0 }
    }

    /// A mask whose bytes the caller (a job) writes entirely.
    init(uninitialized shape: [Int], on pool: WorkerPool) throws {
        guard shape.count == 1 || shape.count == 2 else {
            throw ArrayError(.invalidShape, operation: "SharedMask", input: "shape", "shape \(shape) has \(shape.count) dimensions; 1 or 2 are supported")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ArrayError(.invalidShape, operation: "SharedMask", input: "shape", "negative dimension in shape \(shape)") }
        guard let bytes = CheckedSize.byteCount(shape: shape, elementSize: 1) else {
            throw ArrayError(.tooLarge, operation: "SharedMask", input: "shape", "shape \(shape) has more elements than can be addressed")
        }
        self.shape = shape
        self.pool = pool
        storage = try ArrayStorage.forOverwrite(byteCount: bytes)
    }

    /// Element `index` (row-major); traps on an index out of range.
    public subscript(index: Int) -> Bool {
        precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
        return bytes[index] != 0
    }

    /// The elements in row-major order, copied into a Swift array.
    public func toArray() -> [Bool] { (0..<count).map { bytes[$0] != 0 } }

    /// How many elements are true (`np.count_nonzero`), counted by the workers.
    public var trueCount: Int {
        get throws {
            let plan = ChunkPlan(count: count, elementSize: 1)
            guard plan.chunkCount > 0 else { return 0 }
            return try pool.withSelectionOffsets(mask: operand, plan: plan, describeChunk: describe(plan)) { _, total in total }
        }
    }

    /// `self & other`, element by element; the shapes must match.
    public func and(_ other: SharedMask) throws -> SharedMask { try combined(.and, other) }
    /// `self | other`, element by element; the shapes must match.
    public func or(_ other: SharedMask) throws -> SharedMask { try combined(.or, other) }
    /// `~self`: true where this mask is false.
    public func not() throws -> SharedMask { try combined(.not, nil) }

    public static func & (a: SharedMask, b: SharedMask) throws -> SharedMask { try a.and(b) }
    public static func | (a: SharedMask, b: SharedMask) throws -> SharedMask { try a.or(b) }
    public static prefix func ~ (a: SharedMask) throws -> SharedMask { try a.not() }

    private func combined(_ operation: MaskOperation, _ other: SharedMask?) throws -> SharedMask {
        if let other {
            guard other.shape == shape else { throw ArrayError.shapeMismatch("mask \(operation)", shape, other.shape) }
            guard other.pool === pool else { throw ArrayError(.differentPools, operation: "mask \(operation)", input: "mask", "the masks belong to different pools") }
        }
        return try SharedMask.build(
            shape: shape, on: pool, elementSize: 1, operation: operation, source: location, second: (other ?? self).location)
    }

    /// Runs ``MaskJob`` into a new mask of `shape`, on a grid of `count` elements of `elementSize` bytes.
    static func build(
        shape: [Int], on pool: WorkerPool, elementSize: Int, operation: MaskOperation, source: ArrayLocation,
        second: ArrayLocation
    ) throws -> SharedMask {
        let mask = try SharedMask(uninitialized: shape, on: pool)
        let plan = ChunkPlan(count: mask.count, elementSize: elementSize)
        guard plan.chunkCount > 0 else { return mask }
        let job = MaskJob(operation: operation, source: source, second: second, destination: mask.storage.memory.reference, plan: plan)
        try pool.runElementwise(
            job, chunks: plan.chunkCount, elements: mask.count, elementSize: elementSize, describeChunk: mask.describe(plan))
        return mask
    }

    private var bytes: UnsafeMutablePointer<UInt8> { storage.memory.base.assumingMemoryBound(to: UInt8.self) }

    /// The mask as a job operand.
    var operand: OperandLocation { OperandLocation(segment: storage.memory.reference, byteOffset: 0, stride: 1, elementBytes: 1) }

    /// The mask as an array location of `uint8` bytes.
    var location: ArrayLocation {
        ArrayLocation(segment: storage.memory.reference, offset: 0, stride: 1, count: count, dtype: .uint8)
    }

    /// Names a chunk in errors.
    func describe(_ plan: ChunkPlan) -> (Int) -> String {
        { chunk in
            let range = plan.range(of: chunk)
            return "mask chunk \(chunk) (elements \(range.lowerBound)..<\(range.upperBound))"
        }
    }

    /// Throws unless this mask can select the elements of an array of `shape` on `pool`.
    func check(selects shape: [Int], on pool: WorkerPool, _ operation: String) throws {
        guard self.shape == shape else {
            throw ArrayError(.shapeMismatch, operation: "\(operation)", input: "mask", "the mask has shape \(self.shape) but the array has shape \(shape)")
        }
        guard self.pool === pool else { throw ArrayError(.differentPools, operation: "\(operation)", input: "mask", "the mask and the array belong to different pools") }
    }
}

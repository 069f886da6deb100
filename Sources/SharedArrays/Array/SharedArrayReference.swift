import Multiprocessing

/// A Codable handle to a ``SharedArray`` (or a contiguous view of one) for a ``ParallelTask``'s input:
/// the task reads and writes the elements in place, in its worker process, and nothing is copied.
/// Python passes a `SharedMemory` name and rebuilds an `ndarray` on its buffer; this is the same idea,
/// checked.
///
/// The array must stay alive in the process that created it while tasks use the reference (keep the
/// `SharedArray` in a variable until the map returns).
///
/// ```swift
/// struct RangeSum: ParallelTask2 {
///     static func run(_ data: SharedArrayReference<Double>, _ range: Range<Int>) throws -> Double {
///         try data.withUnsafeBufferPointer { $0[range].reduce(0, +) }
///     }
/// }
/// let data = try x.reference()
/// let sums = try pool.starmap(RangeSum.self, over: ranges.map { (data, $0) })
/// ```
public struct SharedArrayReference<Element: SharedElement>: Codable, Sendable, Equatable {
    /// The segment holding the elements.
    public let segment: SegmentReference
    /// Offset of the first element in the segment, in elements.
    public let elementOffset: Int
    /// `[count]` or `[rows, columns]`, as in the array.
    public let shape: [Int]

    /// Number of elements; 0 for a shape with a negative dimension or a product past `Int.max` (a forged
    /// or damaged reference, which every access refuses).
    public var count: Int { CheckedSize.elementCount(shape) ?? 0 }

    /// Calls `body` with the elements, mapped in this process (no copy).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        try body(UnsafeBufferPointer(try mapped()))
    }

    /// Calls `body` with the elements for writing: the owner and every other process see the writes.
    /// Throws for a read-only file mapping (``SharedArray/isReadOnly``).
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> R) throws -> R {
        guard !segment.isReadOnly else {
            throw ArrayError(.invalidArgument, operation: nil, "SharedArrayReference: the elements are a read-only file mapping; pass a copy() of the array to write")
        }
        return try body(try mapped())
    }

    /// A copy of the elements, in order.
    public func toArray() throws -> [Element] { try withUnsafeBufferPointer { Array($0) } }

    private func mapped() throws -> UnsafeMutableBufferPointer<Element> {
        // Checked without overflow: a stale or forged reference is an error, never a trap.
        let elements = CheckedSize.elementCount(shape)
        let bytes = elements.flatMap { CheckedSize.sum(elementOffset, $0) }
            .flatMap { CheckedSize.product($0, MemoryLayout<Element>.stride) }
        guard shape.count == 1 || shape.count == 2, elementOffset >= 0, let elements, let bytes,
              bytes <= segment.byteCount else {
            throw ArrayError(
                .invalidShape, operation: "SharedArrayReference", input: "shape", shapes: [shape],
                "shape \(shape) at element offset \(elementOffset) does not fit the \(segment.byteCount)-byte segment")
        }
        let base = try segment.mappedAddress().assumingMemoryBound(to: Element.self)
        return UnsafeMutableBufferPointer(start: base + elementOffset, count: elements)
    }
}

extension SharedArray {
    /// A Codable handle to these elements for a ``ParallelTask``'s input (see ``SharedArrayReference``).
    /// Throws for a strided view: ``copy()`` it first.
    public func reference() throws -> SharedArrayReference<Element> {
        guard isContiguous else { throw ArrayError(.notContiguous, operation: "reference", input: "array", "the array is a strided view; copy() it first") }
        return SharedArrayReference(segment: segmentReference, elementOffset: offset, shape: shape)
    }
}

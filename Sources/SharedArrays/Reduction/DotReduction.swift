import COpenBLAS

/// The dot product as a paired ``ChunkReduction``: each chunk is one BLAS `ddot` (`dsdot` for Float,
/// accumulating in Double) of `x` with the second operand, or numpy's wrapping Int64 dot for integers
/// (``chunkDot(_:_:)``, ``chunkIntegerDot(_:_:)``); chunk sums combine in the fixed pairwise order.
///
/// ```swift
/// let partial = try x.reduce(DotReduction<Double>(), pairedWith: y)[0]   // x.dot(y) == partial.value
/// ```
public struct DotReduction<Element: SharedElement>: ChunkReduction {
    public init() {}

    public var identity: DotPartial { DotPartial(sum: 0, integerSum: 0) }
    public var secondOperandType: DType? { Element.dtype }

    /// BLAS in a worker runs single-threaded: parallelism comes from the processes.
    public static func prepareWorker() { openblas_set_num_threads(1) }

    /// Small inputs fold in the caller (its BLAS is single-threaded then: ``SmallReductionCutoff``).
    public static var foldsInCaller: Bool { true }

    public func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<DotPartial>) {
        let y = chunk.second(as: Element.self)
        if Element.dtype.isFloatingPoint {
            partial[0].sum = chunkDot(chunk.elements, y)
        } else {
            partial[0].integerSum = chunkIntegerDot(chunk.elements, y)
        }
    }

    public func merge(_ a: UnsafeMutableBufferPointer<DotPartial>, _ b: UnsafeBufferPointer<DotPartial>) {
        a[0].sum += b[0].sum
        a[0].integerSum = a[0].integerSum &+ b[0].integerSum
    }
}

/// A dot-product partial: the Double sum of products for floating-point elements, the wrapping Int64 sum
/// for integers (the other field stays 0).
public struct DotPartial: BitwiseCopyable, Sendable, Equatable {
    public var sum: Double
    public var integerSum: Int64

    /// The dot product as numpy reports it, in Double.
    public var value: Double { integerSum == 0 ? sum : Double(integerSum) }
}

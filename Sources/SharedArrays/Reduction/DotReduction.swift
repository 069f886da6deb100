/// The dot product as a paired ``ChunkReduction``: each chunk is one compensated Dot2 (Float accumulating
/// in Double) of `x` with the second operand, or numpy's wrapping Int64 dot for integers
/// (``chunkCompensatedDot(_:_:)``, ``chunkIntegerDot(_:_:)``); chunk pairs combine as double-double in the
/// fixed pairwise order.
///
/// ```swift
/// let partial = try x.reduce(DotReduction<Double>(), pairedWith: y)[0]   // x.dot(y) == partial.value
/// ```
public struct DotReduction<Element: SharedElement>: ChunkReduction {
    public init() {}

    public var identity: DotPartial { DotPartial(sum: 0, integerSum: 0) }
    public var secondOperandType: DType? { Element.dtype }

    /// Small inputs fold in the caller (``SmallReductionCutoff``).
    public static var foldsInCaller: Bool { true }

    public func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<DotPartial>) {
        let y = chunk.second(as: Element.self)
        if Element.dtype.isFloatingPoint {
            let pair = chunkCompensatedDot(chunk.elements, y)
            partial[0].sum = pair.hi
            partial[0].sumLow = pair.lo
        } else {
            partial[0].integerSum = chunkIntegerDot(chunk.elements, y)
        }
    }

    public func merge(_ a: UnsafeMutableBufferPointer<DotPartial>, _ b: UnsafeBufferPointer<DotPartial>) {
        var total = CompensatedSum(hi: a[0].sum, lo: a[0].sumLow)
        total.add(CompensatedSum(hi: b[0].sum, lo: b[0].sumLow))
        a[0].sum = total.hi
        a[0].sumLow = total.lo
        a[0].integerSum = a[0].integerSum &+ b[0].integerSum
    }
}

/// A dot-product partial: the compensated sum of products for floating-point elements (`sum` rounded,
/// `sumLow` the remainder), the wrapping Int64 sum for integers (the other fields stay 0).
public struct DotPartial: BitwiseCopyable, Sendable, Equatable {
    public var sum: Double
    public var sumLow: Double
    public var integerSum: Int64

    public init(sum: Double, sumLow: Double = 0, integerSum: Int64) {
        self.sum = sum
        self.sumLow = sumLow
        self.integerSum = integerSum
    }

    /// The dot product as numpy reports it, in Double.
    public var value: Double { integerSum == 0 ? sum : Double(integerSum) }
}

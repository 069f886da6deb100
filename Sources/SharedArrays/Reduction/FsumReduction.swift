/// The correctly rounded sum (Python's `math.fsum`) as a ``ChunkReduction``: each chunk adds its values
/// exactly into a superaccumulator (``ExactSum``); accumulators add exactly in any order, so each worker keeps
/// one and the result is the same bits for any chunking and any number of workers.
///
/// ```swift
/// let s = try x.fsum()                                   // == math.fsum(x), bit for bit
/// let partial = try x.reduce(FsumReduction<Double>())    // the raw accumulator
/// ```
public struct FsumReduction<Element: SharedElement>: ChunkReduction {
    public init() {}

    public var slotCount: Int { ExactSum.slots }
    public var identity: Int64 { 0 }
    public static var mergesInAnyOrder: Bool { true }
    public static var foldAccumulates: Bool { true }

    public func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) {
        guard let target = partial.baseAddress else { return }
        fsumFold(chunk.elements, into: target)
    }

    public func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) {
        guard let target = a.baseAddress, let source = b.baseAddress else { return }
        ExactSum.merge(target, source)
    }

    /// The rounded value of a combined partial.
    public static func value(of partial: [Int64], skipNaN: Bool = false) -> Double {
        guard partial.count >= ExactSum.slots else { return .nan }
        return partial.withUnsafeBufferPointer { ExactSum.value(of: $0.baseAddress!, skipNaN: skipNaN) }
    }
}

/// Dispatches on the element type outside any generic context, so each loop is specialised.
private func fsumFold<Element: SharedElement>(_ elements: UnsafeBufferPointer<Element>, into partial: UnsafeMutablePointer<Int64>) {
    let raw = UnsafeRawBufferPointer(elements)
    switch Element.dtype {
    case .float64: ExactSum.fold(doubles: raw.bindMemory(to: Double.self), into: partial)
    case .float32: ExactSum.fold(floats: raw.bindMemory(to: Float.self), into: partial)
    case .int64: ExactSum.fold(int64s: raw.bindMemory(to: Int64.self), into: partial)
    case .int32: ExactSum.fold(int32s: raw.bindMemory(to: Int32.self), into: partial)
    case .int16, .uint8:
        // Small integers, exact as doubles: one addition each at scale 2^0.
        for (i, x) in elements.enumerated() {
            ExactSum.add(integer: Int64(x.asDouble), power: 0, to: partial)
            if i & 0xfff_ffff == 0xfff_ffff { ExactSum.normalize(partial) }
        }
        ExactSum.normalize(partial)
    }
}

/// A histogram as a ``ChunkReduction``: `bins` Int64 counts with numpy's `np.histogram(a, bins, range=)`
/// rules (``chunkHistogram(_:lower:upper:bins:into:)``). Counts add exactly in any order, so each worker
/// accumulates into one partial of its own and the parent adds the workers' partials.
///
/// ```swift
/// let counts = try x.reduce(HistogramReduction<Double>(lower: -5, upper: 5, bins: 100))
/// ```
public struct HistogramReduction<Element: SharedElement>: ChunkReduction {
    /// The range's ends (finite, `lower <= upper`; equal ends widen by 0.5 each way as in numpy).
    public let lower: Double
    public let upper: Double
    /// Number of equal-width bins (at least 1).
    public let bins: Int

    public init(lower: Double, upper: Double, bins: Int) throws {
        guard bins >= 1 else { throw ArrayError(.invalidArgument, operation: "histogram", input: "bins", "bins must be at least 1, got \(bins)") }
        guard lower.isFinite, upper.isFinite, lower <= upper else {
            throw ArrayError(.invalidArgument, operation: "histogram", input: "range", "range [\(lower), \(upper)] must be finite and ordered")
        }
        self.lower = lower
        self.upper = upper
        self.bins = bins
    }

    /// The histogram of `bins` bins over `range`, or over the data's `min...max` (numpy's default range)
    /// when `range` is nil: ends must be finite; equal ends widen by 0.5 each way as in numpy.
    public init(bins: Int, range: ClosedRange<Double>?, dataMin: Double?, dataMax: Double?) throws {
        guard bins >= 1 else { throw ArrayError(.invalidArgument, operation: "histogram", input: "bins", "bins must be at least 1, got \(bins)") }
        var (lower, upper) = (0.0, 1.0)
        if let range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite else {
                throw ArrayError(.invalidArgument, operation: "histogram", input: "range", "range \(range) is not finite")
            }
            (lower, upper) = (range.lowerBound, range.upperBound)
        } else if let dataMin, let dataMax {
            guard dataMin.isFinite, dataMax.isFinite else {
                throw ArrayError(.invalidArgument, operation: "histogram", input: "range", "autodetected range of [\(dataMin), \(dataMax)] is not finite; give a range")
            }
            (lower, upper) = (dataMin, dataMax)
        }
        if lower == upper { (lower, upper) = (lower - 0.5, upper + 0.5) }
        try self.init(lower: lower, upper: upper, bins: bins)
    }

    /// The `bins + 1` bin edges, numpy's `np.linspace(lower, upper, bins + 1)` bit for bit (the ones the
    /// counting uses; the last one is `upper` exactly).
    public var edges: [Double] {
        let edges = HistogramEdges(lower: lower, upper: upper, bins: bins)
        return (0...bins).map { edges.edge($0) }
    }

    public var slotCount: Int { bins }
    public var identity: Int64 { 0 }
    public static var mergesInAnyOrder: Bool { true }
    public static var foldAccumulates: Bool { true }

    public func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int64>) {
        chunkHistogram(chunk.elements, lower: lower, upper: upper, bins: bins, into: partial)
    }

    public func merge(_ a: UnsafeMutableBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) {
        for i in 0..<a.count { a[i] = a[i] &+ b[i] }
    }
}

/// Adds the chunk's histogram to `counts`, with numpy's `np.histogram(a, bins, range=(lower, upper))` rules.
///
/// `bins` equal-width bins whose edges are numpy's `linspace(lower, upper, bins + 1)`; every bin is
/// half-open except the last, which includes `upper`. Values outside `[lower, upper]` and NaN are ignored.
/// The bin is `Int((x - lower) / (upper - lower) * bins)` followed by numpy's one-step fix-up against the
/// actual edges, so values within an ulp of an edge land where numpy puts them. A degenerate range
/// (`lower == upper`) becomes `(lower - 0.5, upper + 0.5)` as in numpy. Arithmetic is in Double for every
/// element type (numpy uses float32 for float32 data, so a float32 value within an ulp of an edge may differ).
public func chunkHistogram<E: SharedElement>(
    _ chunk: UnsafeBufferPointer<E>, lower: Double, upper: Double, bins: Int,
    into counts: UnsafeMutableBufferPointer<Int64>
) {
    precondition(bins > 0 && counts.count >= bins, "chunkHistogram: need bins > 0 and room for them")
    precondition(lower.isFinite && upper.isFinite && lower <= upper, "chunkHistogram: bad range")
    let edges = HistogramEdges(lower: lower, upper: upper, bins: bins)
    switch KernelType(E.self) {
    case .float64: histogramLoop(chunk.retyped(Double.self), edges, counts)
    case .float32: histogramLoop(chunk.retyped(Float.self), edges, counts)
    case .int64: histogramLoop(chunk.retyped(Int64.self), edges, counts)
    case .int32: histogramLoop(chunk.retyped(Int32.self), edges, counts)
    case .other: histogramLoop(chunk, edges, counts)
    }
}

/// The bin edges of `np.linspace(first, last, bins + 1)`: `i * step + first`, the last one exactly `last`.
struct HistogramEdges {
    let first: Double, last: Double, bins: Int, step: Double, scale: Double

    init(lower: Double, upper: Double, bins: Int) {
        first = lower == upper ? lower - 0.5 : lower
        last = lower == upper ? upper + 0.5 : upper
        self.bins = bins
        step = (last - first) / Double(bins)
        scale = last - first
    }

    @inline(__always) func edge(_ i: Int) -> Double {
        if i >= bins { return last }
        // linspace divides first when the step underflows to zero.
        return step == 0 ? Double(i) / Double(bins) * scale + first : Double(i) * step + first
    }

    /// The bin of `x`, or nil when it is outside `[first, last]` or NaN.
    @inline(__always) func bin(_ x: Double) -> Int? {
        guard x >= first && x <= last else { return nil }
        // A range wider than Double.max (x - first overflows to infinity) is scaled by halves: the
        // position stays finite and the conversion cannot trap.
        let position = (x - first) / scale * Double(bins)
        var i = position.isFinite
            ? Int(position) : Int((x * 0.5 - first * 0.5) / (last * 0.5 - first * 0.5) * Double(bins))
        if i >= bins { i = bins - 1 }
        if x < edge(i) {
            i -= 1
        } else if i != bins - 1 && x >= edge(i + 1) {
            i += 1
        }
        return i
    }
}

private func histogramLoop<T: SharedElement>(
    _ chunk: UnsafeBufferPointer<T>, _ edges: HistogramEdges, _ counts: UnsafeMutableBufferPointer<Int64>
) {
    guard let c = counts.baseAddress else { return }
    for v in chunk {
        if let i = edges.bin(v.asDouble) { c[i] &+= 1 }
    }
}

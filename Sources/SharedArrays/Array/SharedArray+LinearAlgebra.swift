extension SharedArray {
    /// The dot product with `other` (flattened; same element count; either may be a strided view). Per
    /// chunk a BLAS `ddot` (`dsdot` for Float, accumulating in Double), numpy's wrapping Int64 dot for
    /// integers; chunks combined in a fixed pairwise order (``DotReduction``).
    public func dot(_ other: SharedArray) throws -> Double {
        guard other.count == count else {
            throw ArrayError(.shapeMismatch, operation: "dot", input: "other", "arrays have \(count) and \(other.count) elements")
        }
        let partial = try runReduction(DotReduction<Element>(), layout: .flat, plan: nil, second: OperandLocation(other.location), mask: .none)
        return partial[0].value
    }

    /// A histogram with `bins` equal-width bins over `range` (default: the data's min...max), with
    /// numpy's rules: the last bin includes its upper edge; values outside the range and NaN are ignored.
    /// Returns the counts and the `bins + 1` edges.
    public func histogram(bins: Int, range: ClosedRange<Double>? = nil) throws -> (counts: [Int], edges: [Double]) {
        guard bins >= 1 else { throw ArrayError(.invalidArgument, operation: "histogram", input: "bins", "bins must be at least 1, got \(bins)") }
        guard bins < Int.max, CheckedSize.byteCount(shape: [pool.workerCount, bins + 1], elementSize: 8) != nil else {
            throw ArrayError(.tooLarge, operation: "histogram", input: "bins", "\(bins) bins are more than can be counted")
        }
        var lower = 0.0
        var upper = 1.0
        if let range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite else {
                throw ArrayError(.invalidArgument, operation: "histogram", input: "range", "range \(range) is not finite")
            }
            (lower, upper) = (range.lowerBound, range.upperBound)
        } else if count > 0 {
            let s = try statistics([.min, .max])
            guard let lo = s[.min], let hi = s[.max], lo.isFinite, hi.isFinite else {
                throw ArrayError(.invalidArgument, operation: "histogram", input: "range", "autodetected range of [\(s[.min] ?? .nan), \(s[.max] ?? .nan)] is not finite; give a range")
            }
            (lower, upper) = (lo, hi)
        }
        if lower == upper { (lower, upper) = (lower - 0.5, upper + 0.5) }
        let edges = (0...bins).map { $0 == bins ? upper : lower + Double($0) * (upper - lower) / Double(bins) }
        let counts = try runReduction(
            HistogramReduction<Element>(lower: lower, upper: upper, bins: bins), layout: .flat, plan: nil, second: .none, mask: .none)
        return (counts.map { Int($0) }, edges)
    }

    /// The matrix product `self * other` of 2-D arrays, by blocks of rows: each block is one
    /// single-threaded BLAS `dgemm`/`sgemm` call in a worker.
    public func matmul(_ other: SharedArray) throws -> SharedArray {
        guard rank == 2, other.rank == 2 else {
            throw ArrayError(.invalidShape, operation: "matmul", input: "shape", "both arrays must be 2-D; shapes are \(shape) and \(other.shape)")
        }
        guard shape[1] == other.shape[0] else {
            throw ArrayError(.shapeMismatch, operation: "matmul", input: "shapes", "inner dimensions differ: \(shape) x \(other.shape)")
        }
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        let result = try SharedArray(zeros: [m, n], on: pool)
        // 256-row blocks: BLAS packs B once per call, so taller blocks amortise it; the grid depends
        // only on m, never on the worker count.
        let rowsPerBlock = 256
        let plan = ChunkPlan(rows: m, rowLength: 1, elementSize: 1, targetBytes: rowsPerBlock)
        guard plan.chunkCount > 0, n > 0 else { return result }
        // BLAS takes 32-bit dimensions: refuse here rather than trap in a worker.
        guard k <= Int(Int32.max), n <= Int(Int32.max) else {
            throw ArrayError(.tooLarge, operation: "matmul", input: "shape", "\(shape) x \(other.shape) has a dimension past BLAS's limit of \(Int32.max)")
        }
        try pool.run(
            GemmJob(a: location, b: other.location, c: result.location, k: k, n: n, plan: plan),
            chunks: plan.chunkCount, describeChunk: describe(plan, rows: true))
        return result
    }
}

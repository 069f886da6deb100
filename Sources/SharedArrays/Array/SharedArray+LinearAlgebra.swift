extension SharedArray {
    /// The dot product with `other` (flattened; same element count; either may be a strided view). Per
    /// chunk a compensated Dot2 (Float accumulating in Double), numpy's wrapping Int64 dot for integers
    /// (reported in Double); chunks combined as double-double in a fixed pairwise order (``DotReduction``).
    public func dot(_ other: SharedArray) throws -> Double {
        guard other.count == count else {
            throw ArrayError(.shapeMismatch, operation: "dot", input: "other", "arrays have \(count) and \(other.count) elements")
        }
        let dot = DotReduction<Element>()
        if other.isContiguous, let small = try foldedAsOneChunk(dot, second: UnsafeRawPointer(other.elementPointer)) {
            return small.value
        }
        let partial = try runReduction(dot, layout: .flat, plan: nil, second: OperandLocation(other.location), mask: .none)
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
        var observed: (min: Double?, max: Double?) = (nil, nil)
        if range == nil, count > 0 {
            let s = try statistics([.min, .max])
            observed = (s[.min] ?? .nan, s[.max] ?? .nan)
        }
        let histogram = try HistogramReduction<Element>(bins: bins, range: range, dataMin: observed.min, dataMax: observed.max)
        let counts = try runReduction(histogram, layout: .flat, plan: nil, second: .none, mask: .none)
        let edges = histogram.edges
        return (counts.map { Int($0) }, edges)
    }

    /// The matrix product `self * other`, numpy's `a @ b`: a 2-D `other` gives the `m x n` matrix product
    /// (``ProductTiling``: square-ish tiles of the result, each one single-threaded BLAS `dgemm`/`sgemm` in
    /// a worker reading both operands in place); a 1-D `other` gives the matrix-vector product, `m`
    /// values (row blocks, each one BLAS `dgemv`/`sgemv`). The grids depend only on the shapes, so the
    /// result is the same, bit for bit, for any number of workers. Integers accumulate in wrapping Int64.
    ///
    /// ```swift
    /// let c = try a.matmul(b)        // [m, k] x [k, n] -> [m, n]
    /// let y = try a.matmul(x)        // [m, k] x [k]    -> [m]
    /// ```
    public func matmul(_ other: SharedArray) throws -> SharedArray {
        guard rank == 2, other.rank == 2 || other.rank == 1 else {
            throw ArrayError(.invalidShape, operation: "matmul", input: "shape", "the left array must be 2-D and the right one 1-D or 2-D; shapes are \(shape) and \(other.shape)")
        }
        guard shape[1] == other.shape[0] else {
            throw ArrayError(.shapeMismatch, operation: "matmul", input: "shapes", "inner dimensions differ: \(shape) x \(other.shape)")
        }
        let (m, k) = (shape[0], shape[1])
        let n = other.rank == 2 ? other.shape[1] : 1
        // BLAS takes 32-bit dimensions: refuse here rather than trap in a worker.
        guard m <= Int(Int32.max), k <= Int(Int32.max), n <= Int(Int32.max) else {
            throw ArrayError(.tooLarge, operation: "matmul", input: "shape", "\(shape) x \(other.shape) has a dimension past BLAS's limit of \(Int32.max)")
        }
        // Operands are read in place; a strided view is copied once first.
        let left = isContiguous ? self : try copy()
        let right = other.isContiguous ? other : try other.copy()
        if other.rank == 1 { return try left.matrixVectorProduct(right) }
        // Every element is written (zeros when k == 0): a recycled segment's old contents never show.
        let result = try SharedArray(uninitialized: [m, n], on: pool)
        let tiling = ProductTiling(rows: m, columns: n, inner: k)
        guard tiling.count > 0 else { return result }
        try pool.run(
            GemmJob(a: left.location, b: right.location, c: result.location, k: k, tiling: tiling),
            chunks: tiling.count, describeChunk: { tile in
                let (r, c) = tiling.tile(tile)
                return "tile \(tile) (rows \(r), columns \(c))"
            })
        return result
    }
}

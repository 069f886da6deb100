import Multiprocessing

extension SharedArray {
    /// The covariance matrix of this table's columns (rows are observations), like
    /// `np.cov(x, rowvar=False, ddof=ddof)`; a 1-D array is one column. Row `i` of the result is column `i`.
    ///
    /// Each block of rows is centred on its own column means and multiplied by its transpose with BLAS
    /// `dsyrk` (its upper triangle, mirrored); the blocks' (rows, means, co-moments) merge by Chan's rule
    /// in the fixed pairwise order, so the result is the same, bit for bit, for any number of workers, and
    /// as accurate as numpy's centre-then-multiply. NaN or ±inf in a column makes its row and column NaN, as
    /// in numpy. With `rows - ddof <= 0` numpy divides by 0 (inf or NaN), and so does this.
    ///
    /// ```swift
    /// let c = try table.cov()          // [[Double]], columns x columns
    /// ```
    public func cov(ddof: Int = 1, timeout: Duration? = nil) throws -> [[Double]] {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "cov", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        let (n, _, comoments) = try columnComoments(timeout: timeout)
        let divisor = Double(Swift.max(n - ddof, 0))
        return comoments.map { row in row.map { $0 / divisor } }
    }

    /// The correlation matrix of this table's columns, like `np.corrcoef(x, rowvar=False)`: the covariance
    /// divided by the standard deviations of both columns, clipped to [-1, 1]. A constant column gives NaN.
    public func corrcoef(timeout: Duration? = nil) throws -> [[Double]] {
        let c = try cov(ddof: 1, timeout: timeout)
        let d = (0..<c.count).map { c[$0][$0].squareRoot() }
        // numpy divides by d[:, None] and then by d[None, :]; the same two roundings here.
        return c.indices.map { i in
            c[i].indices.map { j in
                let r = c[i][j] / d[i] / d[j]
                return r.isNaN ? r : Swift.min(Swift.max(r, -1), 1)
            }
        }
    }

    /// Pearson's correlation of this array with `other` (flattened, same length), like
    /// `np.corrcoef(x, y)[0, 1]`, from co-moments merged across chunks as ``cov(ddof:timeout:)``.
    public func corrcoef(_ other: SharedArray, timeout: Duration? = nil) throws -> Double {
        guard other.count == count else {
            throw ArrayError(.shapeMismatch, operation: "corrcoef", input: "other", "the arrays have \(count) and \(other.count) elements; they must match")
        }
        let x = isContiguous ? flattened() : try copy().flattened()
        let y = other.isContiguous ? other.flattened() : try other.copy().flattened()
        let p = try x.reduce(PairComomentReduction<Element>(), pairedWith: y, timeout: timeout)
        guard p[0] > 0 else { return .nan }
        // As np.corrcoef: cov (ddof 1) divided by both standard deviations, then clipped.
        let f = p[0] - 1
        let (cxx, cyy, cxy) = (p[3] / f, p[4] / f, p[5] / f)
        let r = cxy / cxx.squareRoot() / cyy.squareRoot()
        return r.isNaN ? r : Swift.min(Swift.max(r, -1), 1)
    }

    /// Rows, column means and the co-moment matrix (sums of products of deviations) of the columns.
    func columnComoments(timeout: Duration?) throws -> (rows: Int, means: [Double], comoments: [[Double]]) {
        let columns = rank == 2 ? shape[1] : 1
        let rows = rank == 2 ? shape[0] : count
        guard columns >= 1 else { throw ArrayError(.invalidShape, operation: "cov", input: "shape", "the table has no columns (shape \(shape))") }
        guard columns <= 4096 else { throw ArrayError(.tooLarge, operation: "cov", "\(columns) columns; at most 4096 are supported") }
        let table = isContiguous ? flattened() : try copy().flattened()
        guard rows > 0 else {
            return (0, Array(repeating: .nan, count: columns), Array(repeating: Array(repeating: 0, count: columns), count: columns))
        }
        // Whole rows per chunk: about the default chunk bytes, at least 4 rows per column (so a chunk's
        // k x k partial is small next to its data), few enough chunks that all partials together stay
        // within 2^24 Doubles, and never more rows than BLAS's 32-bit count.
        let rowBytes = columns * MemoryLayout<Element>.stride
        let partialBudget = (rows / Swift.max(1, (1 << 24) / (columns * columns + columns + 1))) + 1
        let rowsPerChunk = Swift.min(
            Swift.max(1, ChunkPlan.defaultTargetBytes / rowBytes, 4 * columns, partialBudget), Int(Int32.max))
        let plan = ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride, alignment: columns,
                             targetBytes: rowsPerChunk * rowBytes)
        let slots = try table.reduce(ComomentReduction<Element>(columns: columns), plan: plan, timeout: timeout)
        let means = Array(slots[1..<1 + columns])
        let comoments = (0..<columns).map { i in Array(slots[1 + columns + i * columns..<1 + columns + (i + 1) * columns]) }
        return (rows, means, comoments)
    }
}

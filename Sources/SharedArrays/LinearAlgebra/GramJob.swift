import COpenBLAS
import Multiprocessing

/// The tiles of the upper triangle of an `n x n` Gram matrix AᵀA: the columns cut into pieces as a
/// ``ProductTiling`` cuts them, tile (I, J) for every I <= J, numbered row of tiles by row of tiles.
struct GramTiling: BitwiseCopyable, Sendable, Equatable {
    var columns: Int
    var tileSide: Int

    init(columns: Int, rows: Int) {
        self.columns = columns
        tileSide = ProductTiling(rows: columns, columns: columns, inner: rows).tileRows
    }

    /// Tiles along a side.
    var sideTiles: Int { columns == 0 ? 0 : (columns + tileSide - 1) / tileSide }
    /// Tiles on and above the diagonal.
    var count: Int { sideTiles * (sideTiles + 1) / 2 }

    /// The column ranges (I, J), I <= J, of tile `index`.
    func tile(_ index: Int) -> (Range<Int>, Range<Int>) {
        var i = 0, first = 0
        while first + (sideTiles - i) <= index {
            first += sideTiles - i
            i += 1
        }
        let j = i + (index - first)
        return (range(i), range(j))
    }

    private func range(_ t: Int) -> Range<Int> { t * tileSide..<Swift.min(columns, (t + 1) * tileSide) }
}

/// AᵀA by tiles of its upper triangle (``GramTiling``): a diagonal tile is one BLAS `dsyrk`/`ssyrk` (half
/// the multiply-adds of a product), any other one `dgemm`/`sgemm` with A's columns read in place; each
/// tile is also written to its mirror place, so the result is exactly symmetric.
struct GramJob: WorkerJob {
    var a: ArrayLocation
    var c: ArrayLocation
    var rows: Int
    var tiling: GramTiling

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: GramJob, chunk: Int, context: WorkerContext) throws {
        try job.a.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: GramJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let (ci, cj) = job.tiling.tile(chunk)
            let n = job.tiling.columns
            let a = try job.a.base(in: context).assumingMemoryBound(to: E.self)
            let c = try job.c.base(in: context).assumingMemoryBound(to: E.self)
            gramTile(a: a, rows: job.rows, columns: n, ci, cj, c: c)
        }
    }
}

/// `c[i * n + j] = sum over p of a[p * n + i] * a[p * n + j]` for i in `ci`, j in `cj` (ci.lowerBound <=
/// cj.lowerBound), and the same value at `c[j * n + i]`.
func gramTile<E: SharedElement>(a: UnsafePointer<E>, rows m: Int, columns n: Int, _ ci: Range<Int>, _ cj: Range<Int>, c: UnsafeMutablePointer<E>) {
    guard !ci.isEmpty, !cj.isEmpty else { return }
    let diagonal = ci == cj
    let out = c + ci.lowerBound * n + cj.lowerBound
    if m == 0 {
        for i in ci { (c + i * n + cj.lowerBound).update(repeating: E(fromDouble: 0), count: cj.count) }
    } else {
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max), "gramTile: dimension exceeds BLAS int")
        switch KernelType(E.self) {
        case .float64:
            let pa = retype(a, Double.self), pc = retype(out, Double.self)
            if diagonal {
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(ci.count), Int32(m), 1.0, pa + ci.lowerBound, Int32(n), 0.0, pc, Int32(n))
            } else {
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(ci.count), Int32(cj.count), Int32(m), 1.0,
                            pa + ci.lowerBound, Int32(n), pa + cj.lowerBound, Int32(n), 0.0, pc, Int32(n))
            }
        case .float32:
            let pa = retype(a, Float.self), pc = retype(out, Float.self)
            if diagonal {
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(ci.count), Int32(m), 1.0, pa + ci.lowerBound, Int32(n), 0.0, pc, Int32(n))
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(ci.count), Int32(cj.count), Int32(m), 1.0,
                            pa + ci.lowerBound, Int32(n), pa + cj.lowerBound, Int32(n), 0.0, pc, Int32(n))
            }
        case .int64: integerGramTile(retype(a, Int64.self), m, n, ci, cj, retype(c, Int64.self))
        case .int32: integerGramTile(retype(a, Int32.self), m, n, ci, cj, retype(c, Int32.self))
        case .other:
            for i in ci {
                for j in cj where !diagonal || j >= i {
                    var acc = 0.0
                    for p in 0..<m { acc = a[p * n + i].asDouble * a[p * n + j].asDouble + acc }
                    c[i * n + j] = E(fromDouble: acc)
                }
            }
        }
    }
    // The mirror: BLAS wrote the upper triangle of a diagonal tile, and an off-diagonal tile only above.
    for i in ci {
        for j in cj where j > i { c[j * n + i] = c[i * n + j] }
    }
}

/// Wrapping Int64 sums of products (numpy's integer matmul wraps), row p of A at a time.
private func integerGramTile<I: KernelInteger>(
    _ a: UnsafePointer<I>, _ m: Int, _ n: Int, _ ci: Range<Int>, _ cj: Range<Int>, _ c: UnsafeMutablePointer<I>
) {
    let width = cj.count
    let acc = UnsafeMutablePointer<Int64>.allocate(capacity: ci.count * width)
    defer { acc.deallocate() }
    acc.initialize(repeating: 0, count: ci.count * width)
    for p in 0..<m {
        let row = a + p * n
        for (r, i) in ci.enumerated() {
            let x = Int64(row[i])
            if x == 0 { continue }
            let line = acc + r * width
            for (s, j) in cj.enumerated() { line[s] = x &* Int64(row[j]) &+ line[s] }
        }
    }
    for (r, i) in ci.enumerated() {
        for (s, j) in cj.enumerated() { c[i * n + j] = I(truncatingIfNeeded: acc[r * width + s]) }
    }
}

extension SharedArray {
    /// The Gram matrix `selfᵀ * self` of a 2-D array (`m x n` gives `n x n`), numpy's `a.T @ a`: tiles of
    /// the upper triangle computed by the workers with BLAS `syrk` on the diagonal and `gemm` above it,
    /// mirrored so the result is exactly symmetric. The tiling depends only on the shape, so the result is
    /// the same, bit for bit, for any number of workers. Integers accumulate in wrapping Int64.
    ///
    /// ```swift
    /// let g = try a.gram()         // [m, n] -> [n, n]
    /// ```
    public func gram() throws -> SharedArray {
        guard rank == 2 else { throw ArrayError(.invalidArgument, operation: nil, "gram: the array must be 2-D; its shape is \(shape)") }
        let (m, n) = (shape[0], shape[1])
        guard m <= Int(Int32.max), n <= Int(Int32.max) else {
            throw ArrayError(.invalidArgument, operation: nil, "gram: shape \(shape) has a dimension past BLAS's limit of \(Int32.max)")
        }
        let source = isContiguous ? self : try copy()
        let result = try SharedArray(uninitialized: [n, n], on: pool)
        let tiling = GramTiling(columns: n, rows: m)
        guard tiling.count > 0 else { return result }
        try pool.run(
            GramJob(a: source.location, c: result.location, rows: m, tiling: tiling), chunks: tiling.count,
            describeChunk: { tile in
                let (i, j) = tiling.tile(tile)
                return "tile \(tile) (columns \(i) x \(j))"
            })
        return result
    }
}

import COpenBLAS
import Multiprocessing

/// y = A x by blocks of rows of A, each one single-threaded BLAS `dgemv`/`sgemv` call in a worker (an
/// Int64-accumulating loop for integers). Each value of y comes from one call over its whole row, so the
/// result does not depend on the worker count.
struct GemvJob: WorkerJob {
    var a: ArrayLocation
    var x: ArrayLocation
    var y: ArrayLocation
    var columns: Int
    var plan: ChunkPlan

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: GemvJob, chunk: Int, context: WorkerContext) throws {
        try job.a.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: GemvJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let rows = job.plan.range(of: chunk)
            let n = job.columns
            let a = try job.a.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound * n
            let x = try job.x.base(in: context).assumingMemoryBound(to: E.self)
            let y = try job.y.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound
            gemvRows(a: a, rows: rows.count, columns: n, x: x, y: y)
        }
    }
}

/// `y[i] = sum over j of a[i * columns + j] * x[j]` for `i < rows` (row-major, contiguous): BLAS
/// `dgemv`/`sgemv` for Double and Float, ``gemmTile(a:lda:b:ldb:c:ldc:rows:k:columns:)`` (wrapping Int64)
/// for the others.
func gemvRows<E: SharedElement>(a: UnsafePointer<E>, rows: Int, columns: Int, x: UnsafePointer<E>, y: UnsafeMutablePointer<E>) {
    guard rows > 0 else { return }
    guard columns > 0 else {
        y.update(repeating: E(fromDouble: 0), count: rows)
        return
    }
    precondition(rows <= Int(Int32.max) && columns <= Int(Int32.max), "gemvRows: dimension exceeds BLAS int")
    switch KernelType(E.self) {
    case .float64:
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1.0, retype(a, Double.self), Int32(columns),
                    retype(x, Double.self), 1, 0.0, retype(y, Double.self), 1)
    case .float32:
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1.0, retype(a, Float.self), Int32(columns),
                    retype(x, Float.self), 1, 0.0, retype(y, Float.self), 1)
    default:
        gemmTile(a: a, lda: columns, b: x, ldb: 1, c: y, ldc: 1, rows: rows, k: columns, columns: 1)
    }
}

extension SharedArray {
    /// `self` (`m x k`, contiguous) times the contiguous vector `x` (`k`), as ``matmul(_:)`` documents.
    func matrixVectorProduct(_ x: SharedArray) throws -> SharedArray {
        let (m, k) = (shape[0], shape[1])
        let result = try SharedArray(uninitialized: [m], on: pool)
        // Blocks of about 1 MiB of A: enough rows that a call's overhead vanishes, enough blocks to balance.
        let plan = ChunkPlan(rows: m, rowLength: k, elementSize: MemoryLayout<Element>.stride, targetBytes: 1 << 20)
        guard plan.chunkCount > 0 else { return result }
        try pool.run(
            GemvJob(a: location, x: x.location, y: result.location, columns: k, plan: plan),
            chunks: plan.chunkCount, describeChunk: describe(plan, rows: true))
        return result
    }
}

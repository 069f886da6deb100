import COpenBLAS
import Multiprocessing

/// C = A * B by tiles of C (``ProductTiling``), each one single-threaded BLAS gemm call in a worker that
/// reads A's rows and B's columns in place.
struct GemmJob: WorkerJob {
    var a: ArrayLocation
    var b: ArrayLocation
    var c: ArrayLocation
    var k: Int
    var tiling: ProductTiling

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: GemmJob, chunk: Int, context: WorkerContext) throws {
        try job.a.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: GemmJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let (rows, columns) = job.tiling.tile(chunk)
            let (k, n) = (job.k, job.tiling.columns)
            let a = try job.a.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound * k
            let b = try job.b.base(in: context).assumingMemoryBound(to: E.self) + columns.lowerBound
            let c = try job.c.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound * n + columns.lowerBound
            gemmTile(a: a, lda: k, b: b, ldb: n, c: c, ldc: n, rows: rows.count, k: k, columns: columns.count)
        }
    }
}

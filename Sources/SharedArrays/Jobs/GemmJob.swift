import COpenBLAS
import Multiprocessing

/// C = A * B by blocks of rows, each one single-threaded BLAS gemm call.
struct GemmJob: WorkerJob {
    var a: ArrayLocation
    var b: ArrayLocation
    var c: ArrayLocation
    var k: Int
    var n: Int
    var plan: ChunkPlan

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: GemmJob, chunk: Int, context: WorkerContext) throws {
        try job.a.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: GemmJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let rows = job.plan.range(of: chunk)
            let a = try job.a.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound * job.k
            let b = try job.b.base(in: context).assumingMemoryBound(to: E.self)
            let c = try job.c.base(in: context).assumingMemoryBound(to: E.self) + rows.lowerBound * job.n
            gemmRowBlock(
                a: UnsafeBufferPointer(start: a, count: rows.count * job.k), rowsA: rows.count, k: job.k,
                b: UnsafeBufferPointer(start: b, count: job.k * job.n), n: job.n,
                c: UnsafeMutableBufferPointer(start: c, count: rows.count * job.n))
        }
    }
}

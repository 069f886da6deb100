import COpenBLAS
import Multiprocessing

/// A dot-product partial per chunk (BLAS ddot/dsdot for floats, a wrapping Int64 loop for integers).
struct DotJob: WorkerJob {
    var a: ArrayLocation
    var b: ArrayLocation
    var plan: ChunkPlan
    /// One (Double, Int64) pair per chunk.
    var results: SegmentReference

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: DotJob, chunk: Int, context: WorkerContext) throws {
        try job.a.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: DotJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let range = job.plan.range(of: chunk)
            let a = try job.a.base(in: context).assumingMemoryBound(to: E.self) + range.lowerBound
            let b = try job.b.base(in: context).assumingMemoryBound(to: E.self) + range.lowerBound
            let out = try context.address(of: job.results)
            let x = UnsafeBufferPointer(start: a, count: range.count)
            let y = UnsafeBufferPointer(start: b, count: range.count)
            if E.dtype.isFloatingPoint {
                out.storeBytes(of: chunkDot(x, y), toByteOffset: chunk * 16, as: Double.self)
            } else {
                out.storeBytes(of: chunkIntegerDot(x, y), toByteOffset: chunk * 16 + 8, as: Int64.self)
            }
        }
    }
}

/// Histogram counts: each worker adds into its own row of `workers x bins` counters (integer counts are
/// exact in any order, so the sum over workers does not depend on who ran which chunk).
struct HistogramJob: WorkerJob {
    var source: ArrayLocation
    var plan: ChunkPlan
    var lower: Double
    var upper: Double
    var bins: Int
    var counts: SegmentReference

    static func run(_ job: HistogramJob, chunk: Int, context: WorkerContext) throws {
        try job.source.dtype.dispatch(Visitor(job: job, chunk: chunk, context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: HistogramJob
        let chunk: Int
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let range = job.plan.range(of: chunk)
            let base = try job.source.base(in: context).assumingMemoryBound(to: E.self) + range.lowerBound
            let counts = try context.address(of: job.counts).assumingMemoryBound(to: Int64.self)
            chunkHistogram(
                UnsafeBufferPointer(start: base, count: range.count), lower: job.lower, upper: job.upper,
                bins: job.bins,
                into: UnsafeMutableBufferPointer(start: counts + context.workerIndex * job.bins, count: job.bins))
        }
    }
}

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

import COpenBLAS
import Multiprocessing

/// An element-wise operation, as plain data a job can carry.
enum MapOperation: BitwiseCopyable, Sendable {
    /// dst = src (src may be strided).
    case copy
    /// dst = op(src): a row of the unary ufunc table.
    case unary(UnaryOp)
    /// dst = src (op) second: a row of the binary ufunc table.
    case binary(BinaryOp)
    /// dst += alpha * src.
    case axpy(alpha: Double)
    case fill(Double)
    case arange(start: Double, step: Double)
    case uniform(lower: Double, upper: Double, seed: UInt64)
    case normal(mean: Double, std: Double, seed: UInt64)
    /// The Philox4x32-10 fill (``RandomGenerator/philox``).
    case philox(RandomDistribution, seed: UInt64)
}

/// The map job: each chunk applies one ``MapOperation`` to its element range of the destination.
struct MapJob: WorkerJob {
    var operation: MapOperation
    var source: ArrayLocation
    var second: ArrayLocation
    var destination: ArrayLocation
    var plan: ChunkPlan

    static func prepareWorker() { openblas_set_num_threads(1) }

    static func run(_ job: MapJob, chunk: Int, context: WorkerContext) throws {
        try job.destination.dtype.dispatch(Visitor(job: job, range: job.plan.range(of: chunk), context: context))
    }

    private struct Visitor: ElementVisitor {
        let job: MapJob
        let range: Range<Int>
        let context: WorkerContext

        func visit<E: SharedElement>(_: E.Type) throws {
            let n = range.count
            var operands = MapChunkOperands<E>(range: range)
            defer { operands.release() }
            let destination = job.destination
            let d = operands.output(try destination.base(in: context), stride: destination.stride, reads: job.operation.readsDestination)
            let dst = UnsafeMutableBufferPointer(start: d, count: n)
            func input(_ location: ArrayLocation) throws -> UnsafeBufferPointer<E> {
                UnsafeBufferPointer(start: operands.input(try location.base(in: context), stride: location.stride), count: n)
            }
            switch job.operation {
            case .copy:
                let src = try input(job.source)
                if src.baseAddress != UnsafePointer(d) { d.update(from: src.baseAddress!, count: n) }
            case .unary(let op):
                applyUnary(op, try input(job.source), dst)
            case .binary(let op):
                applyBinary(op, try input(job.source), try input(job.second), dst)
            case .axpy(let alpha):
                axpy(alpha: alpha, try input(job.source), dst)
            case .fill(let value):
                fill(value, dst)
            case .arange(let start, let step):
                arange(start: start, step: step, firstIndex: range.lowerBound, dst)
            case .uniform(let lower, let upper, let seed):
                randomFill(.uniform(lower: lower, upper: upper), seed: seed, firstIndex: range.lowerBound, dst)
            case .normal(let mean, let std, let seed):
                randomFill(.normal(mean: mean, std: std), seed: seed, firstIndex: range.lowerBound, dst)
            case .philox(let distribution, let seed):
                philoxFill(distribution, seed: seed, firstIndex: range.lowerBound, dst)
            }
            operands.scatterResults()
        }
    }
}

extension MapOperation {
    /// Roughly how many times a scale's time one element of this operation takes, rounded to a power of two,
    /// for ``SmallMapCutoff``: the costlier an element, the smaller the array on which waking the workers
    /// pays. Measured per float64 element on one core (AMD EPYC, AVX-512): an in-place scale 0.16 ns and sqrt
    /// 0.6 at 2^16 values; exp 2.2 at 2^16; Philox fills at 2^24, uniform 2.2 and normal 6.6.
    var callerWeight: Int {
        switch self {
        case .copy, .axpy, .fill, .arange: 1
        case .unary(let op):
            switch op {
            case .sqrt: 4
            case .exp, .log, .log1p, .expm1, .sin, .cos, .tanh, .power: 16
            default: 1
            }
        case .binary(let op): op == .power ? 16 : 1
        case .uniform, .philox(.uniform, _): 16
        case .normal, .philox(.normal, _): 32
        }
    }

    /// Whether the operation reads the destination's current values (`y += alpha * x`).
    var readsDestination: Bool {
        if case .axpy = self { return true }
        return false
    }
}

extension SharedArray {
    /// Runs `operation` over `into`'s elements, chunk by chunk on the workers. Any operand and the destination
    /// may be strided views (gathered and scattered per chunk). Operands may be the destination itself but must
    /// not otherwise overlap it.
    func runMap(_ operation: MapOperation, source: SharedArray?, second: SharedArray?, into destination: SharedArray) throws {
        try destination.checkWritable("in-place \(operation.name)")
        let plan = ChunkPlan(count: destination.count, elementSize: MemoryLayout<Element>.stride)
        guard plan.chunkCount > 0 else { return }
        let job = MapJob(
            operation: operation, source: (source ?? destination).location, second: (second ?? destination).location,
            destination: destination.location, plan: plan)
        try destination.pool.runElementwise(
            job, chunks: plan.chunkCount, elements: destination.count, elementSize: MemoryLayout<Element>.stride,
            weight: operation.callerWeight, describeChunk: destination.describe(plan))
    }
}

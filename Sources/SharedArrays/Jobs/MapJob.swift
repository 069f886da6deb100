import COpenBLAS
import Multiprocessing

/// An element-wise operation, as plain data a job can carry.
enum MapOperation: BitwiseCopyable, Sendable {
    /// dst = src (src may be strided).
    case copy
    case unary(code: UInt8, a: Double, b: Double)
    case binary(BinaryOpCode)
    /// dst += alpha * src.
    case axpy(alpha: Double)
    case fill(Double)
    case arange(start: Double, step: Double)
    case uniform(lower: Double, upper: Double, seed: UInt64)
    case normal(mean: Double, std: Double, seed: UInt64)

    enum BinaryOpCode: UInt8, BitwiseCopyable { case add, sub, mul, div }

    init(_ op: UnaryOp) {
        switch op {
        case .abs: self = .unary(code: 0, a: 0, b: 0)
        case .sqrt: self = .unary(code: 1, a: 0, b: 0)
        case .exp: self = .unary(code: 2, a: 0, b: 0)
        case .log: self = .unary(code: 3, a: 0, b: 0)
        case .negate: self = .unary(code: 4, a: 0, b: 0)
        case .square: self = .unary(code: 5, a: 0, b: 0)
        case .scale(let f): self = .unary(code: 6, a: f, b: 0)
        case .offset(let x): self = .unary(code: 7, a: x, b: 0)
        case .clip(let lo, let hi): self = .unary(code: 8, a: lo, b: hi)
        }
    }

    static func unaryOp(code: UInt8, a: Double, b: Double) -> UnaryOp {
        switch code {
        case 0: .abs
        case 1: .sqrt
        case 2: .exp
        case 3: .log
        case 4: .negate
        case 5: .square
        case 6: .scale(a)
        case 7: .offset(a)
        default: .clip(lower: a, upper: b)
        }
    }

    init(_ op: BinaryOp) {
        switch op {
        case .add: self = .binary(.add)
        case .sub: self = .binary(.sub)
        case .mul: self = .binary(.mul)
        case .div: self = .binary(.div)
        }
    }
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
            let d = try job.destination.base(in: context).assumingMemoryBound(to: E.self) + range.lowerBound
            let dst = UnsafeMutableBufferPointer(start: d, count: range.count)
            func source(_ location: ArrayLocation) throws -> UnsafeBufferPointer<E> {
                let s = try location.base(in: context).assumingMemoryBound(to: E.self) + range.lowerBound
                return UnsafeBufferPointer(start: s, count: range.count)
            }
            switch job.operation {
            case .copy:
                let s = try job.source.base(in: context).assumingMemoryBound(to: E.self)
                let stride = job.source.stride
                for (i, index) in range.enumerated() { dst[i] = s[index * stride] }
            case .unary(let code, let a, let b):
                applyUnary(MapOperation.unaryOp(code: code, a: a, b: b), try source(job.source), dst)
            case .binary(let code):
                let op: BinaryOp =
                    switch code {
                    case .add: .add
                    case .sub: .sub
                    case .mul: .mul
                    case .div: .div
                    }
                applyBinary(op, try source(job.source), try source(job.second), dst)
            case .axpy(let alpha):
                axpy(alpha: alpha, try source(job.source), dst)
            case .fill(let value):
                fill(value, dst)
            case .arange(let start, let step):
                arange(start: start, step: step, firstIndex: range.lowerBound, dst)
            case .uniform(let lower, let upper, let seed):
                randomFill(.uniform(lower: lower, upper: upper), seed: seed, firstIndex: range.lowerBound, dst)
            case .normal(let mean, let std, let seed):
                randomFill(.normal(mean: mean, std: std), seed: seed, firstIndex: range.lowerBound, dst)
            }
        }
    }
}

extension SharedArray {
    /// Runs `operation` over `into`'s elements, chunk by chunk on the workers.
    func runMap(_ operation: MapOperation, source: SharedArray?, second: SharedArray?, into destination: SharedArray) throws {
        guard destination.isContiguous else {
            throw ArrayError("the destination of an element-wise operation must be contiguous; copy() the view first")
        }
        if case .copy = operation {} else {
            for operand in [source, second].compactMap({ $0 }) where !operand.isContiguous {
                throw ArrayError("element-wise operations need contiguous inputs; copy() the strided view first")
            }
        }
        let plan = ChunkPlan(count: destination.count, elementSize: MemoryLayout<Element>.stride)
        guard plan.chunkCount > 0 else { return }
        let job = MapJob(
            operation: operation, source: (source ?? destination).location, second: (second ?? destination).location,
            destination: destination.location, plan: plan)
        try destination.pool.run(job, chunks: plan.chunkCount, describeChunk: destination.describe(plan))
    }
}

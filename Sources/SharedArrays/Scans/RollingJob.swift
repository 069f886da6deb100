import Multiprocessing

/// Rolling windows over one chunk of outputs: chunk `c` reads `window - 1` elements past its own range
/// (the overlap), so chunks are independent and the result does not depend on the worker count.
struct RollingJob: WorkerJob {
    var statistic: RollingStatistic
    var ddof: Int
    var window: Int
    var source: ArrayLocation
    var destination: ArrayLocation
    /// The grid over outputs.
    var plan: ChunkPlan

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let y = UnsafeMutableBufferPointer(
            start: try job.destination.base(in: context).assumingMemoryBound(to: Double.self) + range.lowerBound, count: range.count)
        let base = try job.source.base(in: context)
        let inputs = range.count + job.window - 1
        func run<E: SharedElement>(_: E.Type) {
            let x = UnsafeBufferPointer(start: base.assumingMemoryBound(to: E.self) + range.lowerBound, count: inputs)
            RollingKernels.run(job.statistic, ddof: job.ddof, window: job.window, x, into: y)
        }
        switch job.source.dtype {
        case .float64: run(Double.self)
        case .float32: run(Float.self)
        case .int64: run(Int64.self)
        case .int32: run(Int32.self)
        case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "rolling", input: "dtype", "\(job.source.dtype.rawValue) is an input type only")
        }
    }
}

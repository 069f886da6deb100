import Multiprocessing

/// Builds a ``SharedMask``: each chunk computes its range of mask bytes from the source (and second)
/// operand by one ``MaskOperation``.
struct MaskJob: WorkerJob {
    var operation: MaskOperation
    var source: ArrayLocation
    /// The second array (of the same dtype) or mask; equal to `source` when the operation has none.
    var second: ArrayLocation
    /// The mask's bytes, contiguous from offset 0.
    var destination: SegmentReference
    var plan: ChunkPlan

    static func run(_ job: MaskJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let out = try context.address(of: job.destination).assumingMemoryBound(to: UInt8.self) + range.lowerBound
        let a = UnsafeRawPointer(try job.source.base(in: context) + range.lowerBound * job.source.stride * job.source.dtype.byteSize)
        let b = UnsafeRawPointer(try job.second.base(in: context) + range.lowerBound * job.second.stride * job.second.dtype.byteSize)
        let n = range.count
        let sa = job.source.stride, sb = job.second.stride
        switch job.operation {
        case .compareScalar(let comparison, let scalar):
            switch job.source.dtype {
            case .float64: compareFloats(a.assumingMemoryBound(to: Double.self), stride: sa, count: n, comparison, scalar, into: out)
            case .float32: compareFloats(a.assumingMemoryBound(to: Float.self), stride: sa, count: n, comparison, scalar, into: out)
            case .int64: compareIntegers(a.assumingMemoryBound(to: Int64.self), stride: sa, count: n, comparison, scalar, into: out)
            case .int32: compareIntegers(a.assumingMemoryBound(to: Int32.self), stride: sa, count: n, comparison, scalar, into: out)
            case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "mask", input: "dtype", "\(job.source.dtype.rawValue) is not an array element type")
            }
        case .compareArray(let comparison):
            switch job.source.dtype {
            case .float64:
                compareArrays(a.assumingMemoryBound(to: Double.self), stride: sa, b.assumingMemoryBound(to: Double.self), stride: sb,
                              count: n, comparison, into: out)
            case .float32:
                compareArrays(a.assumingMemoryBound(to: Float.self), stride: sa, b.assumingMemoryBound(to: Float.self), stride: sb,
                              count: n, comparison, into: out)
            case .int64:
                compareArrays(a.assumingMemoryBound(to: Int64.self), stride: sa, b.assumingMemoryBound(to: Int64.self), stride: sb,
                              count: n, comparison, into: out)
            case .int32:
                compareArrays(a.assumingMemoryBound(to: Int32.self), stride: sa, b.assumingMemoryBound(to: Int32.self), stride: sb,
                              count: n, comparison, into: out)
            case .int16, .uint8: throw ArrayError(.unsupportedType, operation: "mask", input: "dtype", "\(job.source.dtype.rawValue) is not an array element type")
            }
        case .isNaN, .isFinite:
            let finite = if case .isFinite = job.operation { true } else { false }
            switch job.source.dtype {
            case .float64: classifyFloats(a.assumingMemoryBound(to: Double.self), stride: sa, count: n, finite: finite, into: out)
            case .float32: classifyFloats(a.assumingMemoryBound(to: Float.self), stride: sa, count: n, finite: finite, into: out)
            case .int64, .int32, .int16, .uint8: out.update(repeating: finite ? 1 : 0, count: n)
            }
        case .and, .or, .not:
            combineMasks(job.operation, a.assumingMemoryBound(to: UInt8.self), b.assumingMemoryBound(to: UInt8.self), count: n, into: out)
        }
    }
}

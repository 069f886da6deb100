import Multiprocessing

/// The second pass of a scan: chunk `c` scans its elements into the destination, starting from the
/// combined totals of chunks `0..<c` (slot `c` of `offsets`; chunk 0 starts from its first element).
struct ScanApplyJob: WorkerJob {
    var operation: ScanOperation
    var source: ArrayLocation
    var destination: ArrayLocation
    /// One accumulator value per chunk, in `destination.dtype`.
    var offsets: SegmentReference
    var plan: ChunkPlan

    static func run(_ job: Self, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let input = job.source.dtype
        let output = job.destination.dtype
        let offsets = try context.address(of: job.offsets)
        ScanKernels.apply(
            job.operation, source: UnsafeRawPointer(try job.source.base(in: context) + range.lowerBound * input.byteSize),
            count: range.count, input: input, output: output,
            destination: try job.destination.base(in: context) + range.lowerBound * output.byteSize,
            offset: chunk == 0 ? nil : UnsafeRawPointer(offsets + chunk * output.byteSize))
    }
}

import Multiprocessing

/// Converts each chunk of `source` (any element type, possibly strided) into the contiguous `destination` of
/// another type, and writes per chunk the index of the first element the target cannot hold (-1 for none) to
/// `firstInvalid` when the cast is checked.
struct AsTypeJob: WorkerJob {
    var source: ArrayLocation
    var destination: ArrayLocation
    var plan: ChunkPlan
    var checked: Bool
    var firstInvalid: SegmentReference

    static func run(_ job: AsTypeJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let found = try job.source.dtype.dispatch(SourceVisitor(job: job, range: range, context: context))
        let slots = try context.address(of: job.firstInvalid).assumingMemoryBound(to: Int.self)
        slots[chunk] = found.map { range.lowerBound + $0 } ?? -1
    }

    private struct SourceVisitor: ElementVisitor {
        let job: AsTypeJob
        let range: Range<Int>
        let context: WorkerContext

        func visit<S: SharedElement>(_: S.Type) throws -> Int? {
            var operands = MapChunkOperands<S>(range: range)
            defer { operands.release() }
            let source = operands.input(try job.source.base(in: context), stride: job.source.stride)
            return try job.destination.dtype.dispatch(TargetVisitor(job: job, range: range, context: context, source: source))
        }
    }

    private struct TargetVisitor<S: SharedElement>: ElementVisitor {
        let job: AsTypeJob
        let range: Range<Int>
        let context: WorkerContext
        let source: UnsafeMutablePointer<S>

        func visit<T: SharedElement>(_: T.Type) throws -> Int? {
            let target = try job.destination.base(in: context).assumingMemoryBound(to: T.self) + range.lowerBound
            return castElements(UnsafePointer(source), target, range.count, checked: job.checked)
        }
    }
}

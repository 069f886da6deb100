import Multiprocessing

/// One step of a streamed reduction, double-buffered: the workers read window `k` of the source into one
/// buffer while they reduce window `k - 1`, already in the other, chunk by chunk with ``ReductionJob``'s own
/// fold, writing each grid chunk's partial to its slot as the in-memory path does.
///
/// The job's items spread the reads evenly among the chunks (``StreamWindows/interleaved(_:reads:others:)``), so
/// that every worker's share of the items (chunk affinity) holds both kinds and the reads overlap the compute.
struct StreamStepJob<R: ChunkReduction, S: StreamSource>: WorkerJob {
    /// The reduction over the whole dataset's grid, its partials in `reduction.results`; its source is unused.
    var reduction: ReductionJob<R>
    var windows: StreamWindows
    /// The ``StreamSource`` value, stored in a segment (it can be larger than a job).
    var source: SegmentReference
    /// Windows alternate between these two buffers: window `k` is in `buffers[k % 2]`.
    var evenBuffer: SegmentReference
    var oddBuffer: SegmentReference
    /// The window read in this step, or -1.
    var readWindow: Int
    /// The window reduced in this step, or -1.
    var reduceWindow: Int
    var reads: Int
    var reduces: Int

    init(reduction: ReductionJob<R>, windows: StreamWindows, source: SegmentReference, evenBuffer: SegmentReference,
         oddBuffer: SegmentReference, readWindow: Int, reduceWindow: Int) {
        self.reduction = reduction
        self.windows = windows
        self.source = source
        self.evenBuffer = evenBuffer
        self.oddBuffer = oddBuffer
        self.readWindow = readWindow
        self.reduceWindow = reduceWindow
        reads = readWindow >= 0 ? windows.readCount(of: readWindow) : 0
        reduces = reduceWindow >= 0 ? windows.chunks(of: reduceWindow).count : 0
    }

    /// Items in this step.
    var items: Int { reads + reduces }

    static func prepareWorker() { R.prepareWorker() }

    /// Item `item`: (true, read index) or (false, index of the chunk in the reduced window).
    func kind(of item: Int) -> (isRead: Bool, index: Int) { StreamWindows.interleaved(item, reads: reads, others: reduces) }

    func buffer(of window: Int) -> SegmentReference { window % 2 == 0 ? evenBuffer : oddBuffer }

    static func run(_ job: Self, chunk item: Int, context: WorkerContext) throws {
        let (isRead, index) = job.kind(of: item)
        let elementBytes = MemoryLayout<R.Element>.stride
        if isRead {
            let source = try context.address(of: job.source).loadUnaligned(as: S.self)
            let range = job.windows.read(index, of: job.readWindow)
            let windowStart = job.windows.elements(of: job.readWindow).lowerBound
            let buffer = try context.address(of: job.buffer(of: job.readWindow))
            try source.read(range, into: buffer + (range.lowerBound - windowStart) * elementBytes, as: R.Element.dtype)
        } else {
            let chunk = job.windows.chunks(of: job.reduceWindow).lowerBound + index
            let inputs = ReductionInputs(
                source: try context.address(of: job.buffer(of: job.reduceWindow)),
                sourceFirstElement: job.windows.elements(of: job.reduceWindow).lowerBound,
                second: nil, mask: nil, selectedBefore: nil)
            guard let segment = job.reduction.results else {
                throw ArrayError(.internalInconsistency, operation: "stream", "no results segment for chunk \(chunk)")
            }
            let results = try context.address(of: segment).assumingMemoryBound(to: R.Slot.self)
            job.reduction.fold(chunk: chunk, inputs: inputs, results: results, worker: context.workerIndex)
        }
    }

    /// Names item `item` in errors: the read's or the chunk's element range.
    func describe(_ item: Int) -> String {
        let (isRead, index) = kind(of: item)
        if isRead {
            let range = windows.read(index, of: readWindow)
            return "read of window \(readWindow) (elements \(range.lowerBound)..<\(range.upperBound))"
        }
        let chunk = windows.chunks(of: reduceWindow).lowerBound + index
        let range = windows.grid.range(of: chunk)
        return "chunk \(chunk) of window \(reduceWindow) (elements \(range.lowerBound)..<\(range.upperBound))"
    }
}

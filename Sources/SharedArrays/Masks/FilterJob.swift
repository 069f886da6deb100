import Multiprocessing

/// The scatter pass of ``SharedArray/filter(_:timeout:)``: chunk `c` packs the items its mask selects into
/// the destination from position `selectedBefore[c]` on (the exclusive prefix sum of the chunks' selection
/// counts), so the chunks write disjoint ranges and the order of the items is kept.
struct FilterJob: WorkerJob {
    var source: ArrayLocation
    var mask: OperandLocation
    /// `chunkCount + 1` Ints: the items selected before each chunk, then the total.
    var selectedBefore: SegmentReference
    /// The compact result, contiguous from offset 0.
    var destination: SegmentReference
    var plan: ChunkPlan
    /// Elements per item: 1 when the mask selects elements, the row length when it selects rows.
    var unit: Int

    static func run(_ job: FilterJob, chunk: Int, context: WorkerContext) throws {
        let range = job.plan.range(of: chunk)
        let offsets = try context.address(of: job.selectedBefore).assumingMemoryBound(to: Int.self)
        let first = offsets[chunk]
        let selected = offsets[chunk + 1] - first
        guard selected > 0, let mask = try job.mask.base(in: context) else { return }
        let flags = mask.assumingMemoryBound(to: UInt8.self)
        let elementBytes = job.source.dtype.byteSize
        let source = UnsafeRawPointer(try job.source.base(in: context))
        let target = try context.address(of: job.destination) + first * job.unit * elementBytes
        if job.unit == 1 {
            _ = compactSelected(
                source, stride: job.source.stride, elementBytes: elementBytes, flags: flags, flagStride: job.mask.stride,
                range: range, into: target, limit: selected)
        } else {
            // Whole rows: one copy per selected row, so a branch per row costs nothing.
            let rowBytes = job.unit * elementBytes
            var n = 0
            for row in range where flags[row * job.mask.stride] != 0 {
                (target + n * rowBytes).copyMemory(from: source + row * rowBytes, byteCount: rowBytes)
                n += 1
            }
        }
    }
}

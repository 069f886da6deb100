import Multiprocessing

/// Reductions over a dataset larger than the memory they may use: the workers read it through two windows
/// of shared memory, each a run of whole chunks of the in-memory grid, reading the next window while they
/// reduce the current one (double buffering).
///
/// **Same bits as in memory.** The grid is the one ``SharedArray/reduce(_:layout:plan:timeout:)`` uses for
/// an array of the same count and type, every chunk is folded by ``ReductionJob``'s own code into its own
/// partial slot, and the partials are combined in the same fixed pairwise order once all windows are done.
/// So a streamed result equals the in-memory one bit for bit, for any window size and worker count.
///
/// **Memory**: two windows plus the partials (one per grid chunk, or one per worker for reductions that
/// ``ChunkReduction/mergesInAnyOrder``) fit in `memoryLimit`; the smallest limit is two grid chunks
/// (512 KiB) plus the partials.
///
/// ```swift
/// let source = try NpyStreamSource(path: "big-endian.npy")
/// let m = try StreamedReduction.reduce(MomentsReduction<Double>(needs: [.sum]), of: source,
///                                      memoryLimit: 256 << 20, on: pool)[0]
/// ```
public enum StreamedReduction {
    /// Where a streamed reduction is, for progress displays.
    public struct Progress: Sendable {
        /// Elements reduced so far, and in all.
        public var elementsDone: Int
        public var elementsTotal: Int
        /// Windows reduced so far, and in all.
        public var windowsDone: Int
        public var windows: Int
    }

    /// Reduces every element of `source` (flat) as `reduction` and returns the combined partial
    /// (``ChunkReduction/slotCount`` slots), streaming through at most `memoryLimit` bytes of shared memory.
    /// `progress` is called after each window.
    public static func reduce<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: S, memoryLimit: Int, on pool: WorkerPool, progress: ((Progress) -> Void)? = nil
    ) throws -> [R.Slot] {
        let elementBytes = MemoryLayout<R.Element>.stride
        let grid = ChunkPlan(count: Swift.max(0, source.count), elementSize: elementBytes)
        let width = reduction.slotCount
        guard width >= 1 else { throw ArrayError(.invalidArgument, operation: nil, "reduce: a reduction needs at least one slot") }
        if let needed = reduction.secondOperandType {
            throw ArrayError(.invalidArgument, operation: nil, "stream: \(R.self) reads a second operand of \(needed.rawValue); streaming reads one dataset")
        }
        if grid.chunkCount == 0 { return Array(repeating: reduction.identity, count: width) }
        let anyOrder = R.mergesInAnyOrder
        let partials = anyOrder ? pool.workerCount : grid.chunkCount
        guard let slots = CheckedSize.product(partials, width),
              let resultBytes = CheckedSize.product(slots, MemoryLayout<R.Slot>.stride),
              let chunkBytes = CheckedSize.product(grid.chunkLength, elementBytes) else {
            throw ArrayError(.invalidArgument, operation: nil, "stream: \(partials) partials of \(width) slots are more than can be addressed")
        }
        let windowBudget = (memoryLimit - Swift.min(memoryLimit, resultBytes)) / 2
        guard windowBudget >= chunkBytes else {
            let needed = CheckedSize.sum(resultBytes, 2 * chunkBytes) ?? Int.max
            throw ArrayError(
                .invalidArgument, operation: nil, "stream: a memory limit of \(formatBytes(memoryLimit)) is too small: streaming needs two windows of at least one "
                    + "\(formatBytes(chunkBytes)) chunk and \(formatBytes(resultBytes)) of partials, \(formatBytes(needed)) in all")
        }
        let windows = StreamWindows(
            grid: grid, chunksPerWindow: windowBudget / chunkBytes, readAlignment: source.readAlignment, elementSize: elementBytes)
        let bufferBytes = windows.windowCapacity * elementBytes
        let even = try SharedMemory(byteCount: bufferBytes)
        // One window holds everything: the second buffer is never used.
        let odd = windows.count > 1 ? try SharedMemory(byteCount: bufferBytes) : even
        let stored = try source.storedInSegment()

        return try ScratchSpace.with(bytes: Swift.max(resultBytes, 1)) { scratch in
            let base = scratch.base.bindMemory(to: R.Slot.self, capacity: slots)
            if anyOrder { UnsafeMutableBufferPointer(start: base, count: slots).initialize(repeating: reduction.identity) }
            let location = ArrayLocation(segment: even.reference, offset: 0, stride: 1, count: grid.count, dtype: R.Element.dtype)
            let fold = ReductionJob(
                reduction: reduction, source: location, second: .none, mask: .none, selectedBefore: .none, layout: .flat,
                plan: grid, results: scratch.reference)
            var done = 0
            for step in 0...windows.count {
                let job = StreamStepJob<R, S>(
                    reduction: fold, windows: windows, source: stored.reference, evenBuffer: even.reference,
                    oddBuffer: odd.reference, readWindow: step < windows.count ? step : -1, reduceWindow: step - 1)
                try pool.run(job, chunks: job.items, describeChunk: { job.describe($0) })
                if step >= 1 {
                    done += windows.elements(of: step - 1).count
                    progress?(Progress(elementsDone: done, elementsTotal: grid.count, windowsDone: step, windows: windows.count))
                }
            }
            if anyOrder {
                let first = UnsafeMutableBufferPointer(start: base, count: width)
                for w in 1..<partials { reduction.mergeEach(first, UnsafeBufferPointer(start: base + w * width, count: width)) }
            } else {
                combinePairwise(base, parts: partials, width: width, reduction)
            }
            return Array(UnsafeBufferPointer(start: base, count: width))
        }
    }

    /// `statistics` of every element of `source` (flat), computed as `Element`, streamed as
    /// ``reduce(_:of:memoryLimit:on:progress:)`` does: the same values, bit for bit, as
    /// ``SharedArray/statistics(_:ddof:timeout:)`` on the loaded array.
    public static func statistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], of source: S, as _: Element.Type, ddof: Int = 0, memoryLimit: Int, on pool: WorkerPool,
        progress: ((Progress) -> Void)? = nil
    ) throws -> Statistics {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: nil, "statistics: ddof must be >= 0, got \(ddof)") }
        let needs = MomentNeeds(for: statistics)
        let m = try reduce(MomentsReduction<Element>(needs: needs), of: source, memoryLimit: memoryLimit, on: pool, progress: progress)[0]
        let isInteger = !Element.dtype.isFloatingPoint
        return Statistics(statistics, from: m, count: source.count, ddof: ddof, isInteger: isInteger)
    }
}

import Multiprocessing

/// Parallel sorting by sample sort: a histogram of the keys' top 16 bits splits the key range into
/// buckets of about equal size; every chunk counts, then scatters, its elements into the buckets (in index
/// order); every bucket is then radix-sorted in cache by the worker that takes it. NaNs sort last, as in
/// numpy, and the output is the same for any number of workers.
///
/// ```swift
/// let s = try x.sorted()          // a new array, ascending
/// let order = try x.argsort()     // stable: equal values keep their index order
/// ```
extension SharedArray {
    /// The elements in ascending order (`np.sort(a, axis=None)`), as a new 1-D array; NaNs last, `-0.0`
    /// before `0.0`.
    public func sorted(timeout: Duration? = nil) throws -> SharedArray<Element> {
        try WorkerPool.withTimeout(timeout) {
            let out = try SharedArray<Element>(uninitialized: [count], on: pool)
            try sortPasses(kind: .value, into: out.storage.memory, byteOffset: 0, argsortOutput: nil)
            return out
        }
    }

    /// The indices that sort the array, stable like `np.argsort(a, axis=None, kind="stable")`: equal values
    /// (and `-0.0` with `0.0`, and all NaNs, which come last) keep their index order.
    public func argsort(timeout: Duration? = nil) throws -> SharedArray<Int64> {
        try WorkerPool.withTimeout(timeout) {
            let out = try SharedArray<Int64>(uninitialized: [count], on: pool)
            guard count > 0 else { return out }
            guard let keyBytes = CheckedSize.product(count, 8) else { throw ArrayError(.tooLarge, operation: "argsort", input: "keys", "\(count) keys are more than can be addressed") }
            let keys = try SharedMemory(byteCount: keyBytes)
            try sortPasses(kind: .rank, into: keys, byteOffset: 0, argsortOutput: out.storage.memory)
            return out
        }
    }

    /// The four passes: key histogram, per-chunk bucket counts, scatter, per-bucket sort. The scatter
    /// writes elements (or, for an argsort, keys) to `target` and indices to `argsortOutput`.
    private func sortPasses(kind: KeyKind, into target: SharedMemory, byteOffset: Int, argsortOutput: SharedMemory?) throws {
        guard count > 0 else { return }
        let source = isContiguous ? self : try copy()
        let root = try source.runReduction(
            KeyHistogram<Element>(prefixBits: 0, prefix: 0, kind: kind), layout: .flat, plan: orderHistogramPlan,
            second: .none, mask: .none)
        let (table, starts) = SortWorkspace.buckets(counts: root, target: SortWorkspace.targetBucketSize(count: count))
        let plan = ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride, targetBytes: 2 << 20)
        let layout = SortWorkspace(buckets: starts.count - 1, chunks: plan.chunkCount)
        guard let bytes = layout.byteCount else { throw ArrayError(.tooLarge, operation: "sort", "\(layout.buckets) buckets of \(plan.chunkCount) chunks are too many") }
        try ScratchSpace.with(bytes: bytes) { workspace in
            let base = workspace.base
            table.withUnsafeBufferPointer { layout.table(base).update(from: $0.baseAddress!, count: $0.count) }
            starts.withUnsafeBufferPointer { layout.starts(base).update(from: $0.baseAddress!, count: $0.count) }
            let describe = describe(plan)
            try pool.run(
                SortCountJob(source: source.location, plan: plan, kind: kind, layout: layout, workspace: workspace.reference),
                chunks: plan.chunkCount, describeChunk: describe)
            // Each chunk's first position in each bucket: bucket-major, chunks in index order.
            for b in 0..<layout.buckets {
                var position = starts[b]
                for c in 0..<plan.chunkCount {
                    let row = layout.positions(base, chunk: c)
                    let n = row[b]
                    row[b] = position
                    position += n
                }
            }
            try pool.run(
                SortScatterJob(
                    source: source.location, plan: plan, kind: kind, layout: layout, workspace: workspace.reference,
                    target: target.reference, targetOffset: byteOffset, indices: argsortOutput?.reference),
                chunks: plan.chunkCount, describeChunk: describe)
            try pool.run(
                BucketSortJob(
                    layout: layout, workspace: workspace.reference, dtype: Element.dtype, target: target.reference,
                    targetOffset: byteOffset, indices: argsortOutput?.reference, output: argsortOutput?.reference),
                chunks: layout.buckets, describeChunk: { "bucket \($0)" })
        }
    }
}

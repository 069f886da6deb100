import Multiprocessing

/// The partials of one run of a chunk grid (one MPI rank's share), as ``SharedArray/partials(_:layout:plan:chunks:timeout:)``
/// and ``StreamedReduction/partials(_:of:chunks:layout:on:timeout:)`` return them, whichever job folds the chunks.
enum RunPartials {
    /// How many partials the run `chunks` of `plan` gives under `layout`: one per chunk, one per row for
    /// `.rows`, or one per worker when the reduction merges in any order (merged into one by ``collect``).
    static func count<R: ChunkReduction>(_: R.Type, layout: ReductionLayout, plan: ChunkPlan, chunks: Range<Int>, workers: Int) -> Int {
        if R.mergesInAnyOrder { return workers }
        if layout.isRows, !chunks.isEmpty { return plan.range(of: chunks.upperBound - 1).upperBound - plan.range(of: chunks.lowerBound).lowerBound }
        return chunks.count
    }

    /// Runs `fold` (a job writing `parts` partials of `width` slots into the segment it is given) and returns
    /// the partials: every one in order, or, for a reduction that merges in any order, the workers' merged.
    static func collect<R: ChunkReduction>(
        _ reduction: R, parts: Int, width: Int, fold: (SegmentReference) throws -> Void
    ) throws -> [R.Slot] {
        guard let slots = CheckedSize.product(parts, width), let bytes = CheckedSize.product(slots, MemoryLayout<R.Slot>.stride) else {
            throw ArrayError(.tooLarge, operation: "partials", "\(parts) partials of \(width) slots are more than can be addressed")
        }
        return try ScratchSpace.with(bytes: Swift.max(bytes, 1)) { scratch in
            let base = scratch.base.bindMemory(to: R.Slot.self, capacity: slots)
            if R.mergesInAnyOrder { UnsafeMutableBufferPointer(start: base, count: slots).initialize(repeating: reduction.identity) }
            try fold(scratch.reference)
            if R.mergesInAnyOrder {
                let first = UnsafeMutableBufferPointer(start: base, count: width)
                for w in 1..<Swift.max(1, parts) { reduction.mergeEach(first, UnsafeBufferPointer(start: base + w * width, count: width)) }
                return Array(first)
            }
            return Array(UnsafeBufferPointer(start: base, count: slots))
        }
    }
}

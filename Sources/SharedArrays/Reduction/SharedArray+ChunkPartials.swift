import Multiprocessing

extension SharedArray {
    /// Runs `reduction` over `plan` (flat layout) and returns every chunk's partial, uncombined:
    /// `slotCount` slots per chunk, in chunk order. The first pass of a scan (chunk totals before their
    /// exclusive combine) and of any operation that needs to know what each chunk holds.
    func chunkPartials<R: ChunkReduction>(_ reduction: R, plan: ChunkPlan) throws -> [R.Slot] where R.Element == Element {
        guard !R.mergesInAnyOrder else {
            throw ArrayError(.invalidArgument, operation: "chunkPartials", input: "reduction", "\(R.self) merges per worker, so it has no per-chunk partials")
        }
        guard plan.chunkCount > 0 else { return [] }
        let width = reduction.slotCount
        guard let slots = CheckedSize.product(plan.chunkCount, width),
              let bytes = CheckedSize.product(slots, MemoryLayout<R.Slot>.stride)
        else { throw ArrayError(.tooLarge, operation: "chunkPartials", "\(plan.chunkCount) chunks of \(width) slots are more than can be addressed") }
        return try ScratchSpace.with(bytes: Swift.max(bytes, 1)) { scratch in
            let job = ReductionJob(
                reduction: reduction, source: location, second: .none, mask: .none, selectedBefore: .none,
                layout: .flat, plan: plan, results: scratch.reference)
            try pool.run(job, chunks: plan.chunkCount, describeChunk: describe(plan))
            let base = scratch.base.bindMemory(to: R.Slot.self, capacity: slots)
            return Array(UnsafeBufferPointer(start: base, count: slots))
        }
    }
}

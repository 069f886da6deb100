extension SharedArray {
    /// The elements `mask` selects, in order, as a new compact 1-D array (numpy's `x[mask]`); with a 1-D mask
    /// of one flag per row of a 2-D table, the selected rows as a new table (`t[mask]`, e.g. `t[t[:, 3] > 10]`).
    ///
    /// Three parallel steps: each chunk counts its selected items, the parent turns the counts into each
    /// chunk's first output position (an exclusive prefix sum), and each chunk copies its items there
    /// without a data-dependent branch. `timeout` bounds the call as in ``statistics(_:ddof:timeout:)``.
    ///
    /// ```swift
    /// let positive = try x.filter(x > 0)
    /// let hot = try table.filter(try table.flattened().strided(from: 3, by: table.shape[1]) > 10)
    /// ```
    public func filter(_ mask: SharedMask, timeout: Duration? = nil) throws -> SharedArray {
        guard mask.pool === pool else { throw ArrayError(.differentPools, operation: "filter", input: "mask", "the mask and the array belong to different pools") }
        let selectsRows = rank == 2 && mask.shape == [shape[0]]
        guard mask.shape == shape || selectsRows else {
            throw ArrayError(
                .shapeMismatch, operation: "filter", input: "mask", shapes: [mask.shape, shape],
                "the mask has shape \(mask.shape) but the array has shape \(shape)"
                    + (rank == 2 ? " (a mask selects elements of the same shape, or rows with shape [\(shape[0])])" : ""))
        }
        let elementSize = MemoryLayout<Element>.stride
        let plan = selectsRows
            ? ChunkPlan(rows: shape[0], rowLength: shape[1], elementSize: elementSize) : ChunkPlan(count: count, elementSize: elementSize)
        let unit = selectsRows ? shape[1] : 1
        func resultShape(_ selected: Int) -> [Int] { selectsRows ? [selected, shape[1]] : [selected] }
        guard plan.chunkCount > 0 else { return try SharedArray(uninitialized: resultShape(0), on: pool) }
        let describe = describe(plan, rows: selectsRows)
        return try WorkerPool.withTimeout(timeout) {
            try pool.withSelectionOffsets(mask: mask.operand, plan: plan, describeChunk: describe) { offsets, total in
                let result = try SharedArray(uninitialized: resultShape(total), on: pool)
                guard total > 0 else { return result }
                let job = FilterJob(
                    source: location, mask: mask.operand, selectedBefore: offsets, destination: result.storage.memory.reference,
                    plan: plan, unit: unit)
                try pool.run(job, chunks: plan.chunkCount, describeChunk: describe)
                return result
            }
        }
    }
}

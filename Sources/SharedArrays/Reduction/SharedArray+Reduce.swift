import Multiprocessing

extension SharedArray {
    /// Runs `reduction` over this array on the pool and returns the combined partial: `slotCount` slots
    /// (times the classes or columns of `layout`; one partial per row for ``ReductionLayout/rows(_:)``).
    ///
    /// The chunk grid is `plan` (by default the engine's grid for this array and layout) and partials are
    /// combined in the fixed pairwise order, so the result is the same for any number of workers.
    /// `timeout` bounds the call as in ``statistics(_:ddof:timeout:)``.
    ///
    /// ```swift
    /// let m = try x.reduce(MomentsReduction<Double>(needs: [.sum, .variance]))[0]
    /// ```
    public func reduce<R: ChunkReduction>(
        _ reduction: R, layout: ReductionLayout = .flat, plan: ChunkPlan? = nil, timeout: Duration? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        if let needed = reduction.secondOperandType {
            throw ArrayError(.unsupportedType, operation: "reduce", input: "pairedWith", "\(R.self) reads a second operand of \(needed.rawValue): pass it with reduce(_:pairedWith:)")
        }
        return try WorkerPool.withTimeout(timeout) {
            try runReduction(reduction, layout: layout, plan: plan, second: .none, mask: .none)
        }
    }

    /// ``reduce(_:layout:plan:timeout:)`` with a second operand of the same element count: the reduction
    /// reads it with ``ReductionChunk/second(as:)`` (the values of a group-by, the `y` of a dot product).
    public func reduce<R: ChunkReduction, S: SharedElement>(
        _ reduction: R, pairedWith second: SharedArray<S>, layout: ReductionLayout = .flat, plan: ChunkPlan? = nil,
        timeout: Duration? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        guard second.count == count else {
            throw ArrayError(.shapeMismatch, operation: "reduce", input: "other", "the paired array has \(second.count) elements, this one \(count)")
        }
        if let needed = reduction.secondOperandType, needed != S.dtype {
            throw ArrayError(.unsupportedType, operation: "reduce", input: "pairedWith", "\(R.self) reads a second operand of \(needed.rawValue), not \(S.dtype.rawValue)")
        }
        if layout != .flat {
            guard second.isContiguous, isContiguous else { throw ArrayError(.notContiguous, operation: "reduce", input: "array", "a paired \(layout) reduction needs contiguous arrays") }
        }
        return try WorkerPool.withTimeout(timeout) {
            try runReduction(reduction, layout: layout, plan: plan, second: OperandLocation(second.location), mask: .none)
        }
    }

    /// The default grid of `layout` over this array.
    func reductionPlan(_ layout: ReductionLayout) -> ChunkPlan {
        switch layout {
        case .flat, .residueClasses: ChunkPlan(count: count, elementSize: MemoryLayout<Element>.stride)
        case .columns, .rows: ChunkPlan(rows: shape[0], rowLength: shape[1], elementSize: MemoryLayout<Element>.stride)
        }
    }

    /// The partial of a flat reduction over this contiguous array when the array is one chunk of the grid
    /// and small enough for the caller (``SmallReductionCutoff``), folded here directly; nil when the array
    /// takes ``runReduction(_:layout:plan:second:mask:)``. Chunk 0 with nothing to combine is what the
    /// plumbing computes, bit for bit, without its setup (the job, the result array), which is most of a
    /// call at a thousand elements. `second` is the contiguous second operand of a paired reduction.
    func foldedAsOneChunk<R: ChunkReduction>(_ reduction: R, second: UnsafeRawPointer? = nil) throws -> R.Slot?
    where R.Element == Element {
        guard R.foldsInCaller, !R.mergesInAnyOrder, reduction.slotCount == 1, isContiguous, count > 0,
              reductionPlan(.flat).chunkCount == 1,
              SmallReductionCutoff.runsInCaller(inputBytes: count &* MemoryLayout<Element>.stride)
        else { return nil }
        try pool.checkCallerMayRun(job: "\(R.self)")
        let chunk = ReductionChunk(
            elements: UnsafeBufferPointer(start: elementPointer, count: count), firstIndex: 0, second: second,
            secondStride: second == nil ? 0 : MemoryLayout<Element>.stride)
        var slot = reduction.identity
        withUnsafeMutablePointer(to: &slot) { reduction.fold(chunk, into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return slot
    }

    /// The plumbing behind every reduction: validate the layout, run ``ReductionJob`` over the grid, and
    /// combine the partials in place in the fixed pairwise order.
    func runReduction<R: ChunkReduction>(
        _ reduction: R, layout: ReductionLayout, plan: ChunkPlan?, second: OperandLocation, mask: OperandLocation
    ) throws -> [R.Slot] where R.Element == Element {
        var location = location
        switch layout {
        case .flat: break
        case .residueClasses(let k):
            guard isContiguous, k >= 1 else { throw ArrayError(.notContiguous, operation: "reduce", input: "array", "residue classes need a contiguous array and k >= 1") }
        case .columns(let n), .rows(let n):
            guard rank == 2, isContiguous, n == shape[1] else {
                throw ArrayError(.invalidShape, operation: "reduce", input: "array", "\(layout) needs a contiguous 2-D array of \(n) columns; this one has shape \(shape)")
            }
            location.count = count
        }
        let plan = plan ?? reductionPlan(layout)
        let width = reduction.slotCount
        guard width >= 1 else { throw ArrayError(.invalidArgument, operation: "reduce", input: "width", "a reduction needs at least one slot") }
        let anyOrder = R.mergesInAnyOrder
        let outputs: Int
        let partials: Int
        switch layout {
        case .rows:
            outputs = shape[0]
            partials = 1
        default:
            outputs = layout.partialsPerChunk
            partials = anyOrder ? pool.workerCount : plan.chunkCount
        }
        guard let resultSlots = CheckedSize.product(outputs, width),
              let slots = CheckedSize.product(partials, resultSlots),
              let bytes = CheckedSize.product(slots, MemoryLayout<R.Slot>.stride)
        else { throw ArrayError(.tooLarge, operation: "reduce", "\(partials) partials of \(outputs) x \(width) slots are more than can be addressed") }
        if plan.chunkCount == 0 {
            if case .rows = layout { return [] }
            return Array(repeating: reduction.identity, count: resultSlots)
        }
        // The size of the array reduced (the span a strided view covers).
        let inputBytes = location.count &* Swift.max(1, location.stride) &* MemoryLayout<Element>.stride
        // Partials in `base` (every slot identity when they accumulate) to the combined result.
        func finish(_ base: UnsafeMutablePointer<R.Slot>) -> [R.Slot] {
            if case .rows = layout { return Array(UnsafeBufferPointer(start: base, count: slots)) }
            if anyOrder {
                let first = UnsafeMutableBufferPointer(start: base, count: resultSlots)
                for w in 1..<partials {
                    reduction.mergeEach(first, UnsafeBufferPointer(start: base + w * resultSlots, count: resultSlots))
                }
            } else {
                combinePairwise(base, parts: partials, width: resultSlots, reduction)
            }
            return Array(UnsafeBufferPointer(start: base, count: resultSlots))
        }
        if R.foldsInCaller, mask.segment == nil, SmallReductionCutoff.runsInCaller(inputBytes: inputBytes) {
            // Small: this process folds the same chunks itself, in order, into private memory.
            try pool.checkCallerMayRun(job: "\(R.self)")
            let inputs = ReductionInputs(
                source: storage.memory.base + location.offset * MemoryLayout<Element>.stride,
                second: try second.segment.map { UnsafeRawPointer(try $0.mappedAddress() + second.byteOffset) },
                mask: nil, selectedBefore: nil)
            let job = ReductionJob(
                reduction: reduction, source: location, second: second, mask: mask, selectedBefore: .none,
                layout: layout, plan: plan, results: nil)
            return withUnsafeTemporaryAllocation(of: R.Slot.self, capacity: Swift.max(slots, 1)) { buffer in
                let base = buffer.baseAddress!
                if anyOrder { UnsafeMutableBufferPointer(start: base, count: slots).initialize(repeating: reduction.identity) }
                for chunk in 0..<plan.chunkCount { job.fold(chunk: chunk, inputs: inputs, results: base, worker: 0) }
                return finish(base)
            }
        }
        let inRows: Bool =
            switch layout {
            case .flat, .residueClasses: false
            case .columns, .rows: true
            }
        let describe = describe(plan, rows: inRows)
        return try ScratchSpace.with(bytes: Swift.max(bytes, 1)) { scratch in
            let base = scratch.base.bindMemory(to: R.Slot.self, capacity: slots)
            if anyOrder { UnsafeMutableBufferPointer(start: base, count: slots).initialize(repeating: reduction.identity) }
            func run(selectedBefore: OperandLocation) throws {
                let job = ReductionJob(
                    reduction: reduction, source: location, second: second, mask: mask, selectedBefore: selectedBefore,
                    layout: layout, plan: plan, results: scratch.reference)
                try pool.run(job, chunks: plan.chunkCount, describeChunk: describe)
            }
            if mask.segment != nil {
                guard layout == .flat else { throw ArrayError(.invalidArgument, operation: "reduce", input: "mask", "a mask applies to flat reductions only") }
                try pool.withSelectionOffsets(mask: mask, plan: plan, describeChunk: describe) { offsets, _ in
                    try run(selectedBefore: OperandLocation(segment: offsets, byteOffset: 0, stride: 1, elementBytes: 8))
                }
            } else {
                try run(selectedBefore: .none)
            }
            return finish(base)
        }
    }
}

/// Merges `parts` runs of `width` slots in place, in the balanced tree of ``pairwiseCombine(_:_:identity:)``
/// (split at `lo + count / 2`, earlier range on the left): the result ends in the first run. A run holds
/// one partial per class or column, merged each with its own (``ChunkReduction/mergeEach(_:_:)``).
func combinePairwise<R: ChunkReduction>(_ base: UnsafeMutablePointer<R.Slot>, parts: Int, width: Int, _ reduction: R) {
    func combine(_ lo: Int, _ hi: Int) {
        let count = hi - lo
        if count <= 1 { return }
        let mid = lo + count / 2
        combine(lo, mid)
        combine(mid, hi)
        reduction.mergeEach(
            UnsafeMutableBufferPointer(start: base + lo * width, count: width),
            UnsafeBufferPointer(start: base + mid * width, count: width))
    }
    combine(0, parts)
}

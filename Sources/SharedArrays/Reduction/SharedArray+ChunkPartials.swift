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

extension SharedArray {
    /// The partials of the run `chunks` of the grid `plan` under `layout`, uncombined: `slotCount` slots
    /// (times the classes or columns of `layout`) per chunk, in chunk order, each chunk folded with its global
    /// element indices; one partial for the whole run when the reduction ``ChunkReduction/mergesInAnyOrder``;
    /// for `.rows(n)` the result of each row of the run, in row order (what a single-node reduction gives those rows).
    ///
    /// The in-memory twin of ``StreamedReduction/partials(_:of:chunks:layout:on:timeout:)``: combining the
    /// partials of every run in chunk order with ``ChunkReduction/combine(_:width:)`` gives the bits of
    /// ``reduce(_:layout:plan:timeout:)`` over the whole grid. An MPI rank maps a whole `.npy` file
    /// (``load(npy:mapped:limit:on:)``, no copy) and reduces only its share this way.
    /// `plan` is the grid of `layout` over this array: elements for `.flat` and `.residueClasses`, rows of
    /// `n` elements for `.columns(n)` and `.rows(n)` (this contiguous array is then a table of `count / n` rows).
    ///
    /// ```swift
    /// let grid = ChunkPlan(count: x.count, elementSize: 8)
    /// let mine = try x.partials(MomentsReduction<Double>(needs: [.sum]), plan: grid, chunks: grid.share(rank, of: ranks))
    /// ```
    public func partials<R: ChunkReduction>(
        _ reduction: R, layout: ReductionLayout = .flat, plan: ChunkPlan, chunks: Range<Int>, timeout: Duration? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        if let needed = reduction.secondOperandType {
            throw ArrayError(.invalidArgument, operation: "partials", input: "reduction", "\(R.self) reads a second operand of \(needed.rawValue): pass it with pairedWith:")
        }
        return try runPartials(reduction, layout: layout, plan: plan, chunks: chunks, second: .none, timeout: timeout)
    }

    /// The partials of the run `chunks` of the flat grid `plan` of a reduction that reads a second operand
    /// (``ChunkReduction/secondOperandType``, e.g. ``DotReduction``): element `i` of `other` beside element
    /// `i` of this array; otherwise as ``partials(_:layout:plan:chunks:timeout:)``. Combining every run's
    /// partials in chunk order gives the bits of ``reduce(_:pairedWith:layout:plan:timeout:)`` on one node.
    ///
    /// ```swift
    /// let mine = try x.partials(DotReduction<Double>(), pairedWith: y, plan: grid, chunks: grid.share(rank, of: ranks))
    /// ```
    public func partials<R: ChunkReduction, Other: SharedElement>(
        _ reduction: R, pairedWith other: SharedArray<Other>, plan: ChunkPlan, chunks: Range<Int>, timeout: Duration? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        guard let needed = reduction.secondOperandType, needed == Other.dtype else {
            throw ArrayError(
                .invalidArgument, operation: "partials", input: "other",
                "\(R.self) reads \(reduction.secondOperandType.map { "a second operand of \($0.rawValue)" } ?? "no second operand"), not \(Other.dtype.rawValue)")
        }
        guard other.count == count else {
            throw ArrayError(.shapeMismatch, operation: "partials", input: "other", "arrays have \(count) and \(other.count) elements")
        }
        guard other.isContiguous else { throw ArrayError(.notContiguous, operation: "partials", input: "other", "a run of chunks is read from a contiguous array") }
        return try runPartials(reduction, layout: .flat, plan: plan, chunks: chunks, second: OperandLocation(other.location), timeout: timeout)
    }

    /// The partials of the run `chunks` of the flat grid `plan` when this array holds only the elements that
    /// run covers (an MPI rank's share, ``StreamedReduction/load(_:as:chunks:limit:on:)``): each chunk folded
    /// with its global element indices, as ``partials(_:layout:plan:chunks:timeout:)`` folds it from the whole
    /// array, so a share loaded once serves several reductions.
    ///
    /// ```swift
    /// let share = try StreamedReduction.load(source, as: Double.self, chunks: mine, on: pool)
    /// let moments = try share.partials(MomentsReduction<Double>(needs: .all), ofRun: mine, of: grid)
    /// ```
    public func partials<R: ChunkReduction>(
        _ reduction: R, ofRun chunks: Range<Int>, of plan: ChunkPlan, timeout: Duration? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        if let needed = reduction.secondOperandType {
            throw ArrayError(.invalidArgument, operation: "partials", input: "reduction", "\(R.self) reads a second operand of \(needed.rawValue); a share reads one array")
        }
        guard chunks.lowerBound >= 0, chunks.upperBound <= plan.chunkCount else {
            throw ArrayError(.invalidArgument, operation: "partials", input: "chunks", "chunks \(chunks.lowerBound)..<\(chunks.upperBound) are outside the grid's 0..<\(plan.chunkCount)")
        }
        let run = chunks.isEmpty ? 0..<0 : plan.range(of: chunks.lowerBound).lowerBound..<plan.range(of: chunks.upperBound - 1).upperBound
        guard run.count == count else {
            throw ArrayError(.shapeMismatch, operation: "partials", input: "array", "the run covers \(run.count) elements, the array holds \(count)")
        }
        return try runPartials(reduction, layout: .flat, plan: plan, chunks: chunks, second: .none, timeout: timeout, firstElement: run.lowerBound)
    }

    /// ``partials(_:layout:plan:chunks:timeout:)`` with the second operand `second` (``OperandLocation/none`` for one);
    /// this array's first element is element `firstElement` of the grid (nil: it holds the whole grid).
    private func runPartials<R: ChunkReduction>(
        _ reduction: R, layout: ReductionLayout, plan: ChunkPlan, chunks: Range<Int>, second: OperandLocation, timeout: Duration?,
        firstElement: Int? = nil
    ) throws -> [R.Slot] where R.Element == Element {
        guard isContiguous else { throw ArrayError(.notContiguous, operation: "partials", input: "array", "a run of chunks is read from a contiguous array") }
        let anyOrder = R.mergesInAnyOrder
        switch layout {
        case .flat where firstElement != nil:
            break  // checked by partials(_:ofRun:of:timeout:)
        case .flat:
            guard plan.count == count else { throw ArrayError(.shapeMismatch, operation: "partials", input: "plan", "the grid covers \(plan.count) elements, the array has \(count)") }
        case .residueClasses(let k):
            guard k >= 1, !anyOrder, plan.count == count else {
                throw ArrayError(.invalidArgument, operation: "partials", input: "layout", "residue classes need k >= 1, an ordered reduction and a grid of the array's \(count) elements")
            }
        case .columns(let n):
            guard n >= 1, !anyOrder, count % n == 0, plan.count == count / n else {
                throw ArrayError(.invalidShape, operation: "partials", input: "layout", "\(count) elements are not the grid's \(plan.count) rows of \(n) columns")
            }
        case .rows(let n):
            guard n >= 1, !anyOrder, count % n == 0, plan.count == count / n else {
                throw ArrayError(.invalidShape, operation: "partials", input: "layout", "\(count) elements are not the grid's \(plan.count) rows of \(n) columns, or \(R.self) has no per-row results")
            }
        }
        guard chunks.lowerBound >= 0, chunks.upperBound <= plan.chunkCount else {
            throw ArrayError(.invalidArgument, operation: "partials", input: "chunks", "chunks \(chunks.lowerBound)..<\(chunks.upperBound) are outside the grid's 0..<\(plan.chunkCount)")
        }
        guard let width = CheckedSize.product(reduction.slotCount, layout.partialsPerChunk), width >= 1 else {
            throw ArrayError(.invalidArgument, operation: "partials", input: "reduction", "a reduction needs at least one slot")
        }
        if chunks.isEmpty { return anyOrder ? Array(repeating: reduction.identity, count: width) : [] }
        var source = location
        source.count = count
        let describeChunk = describe(plan, rows: { switch layout { case .columns, .rows: true; default: false } }())
        let parts = RunPartials.count(R.self, layout: layout, plan: plan, chunks: chunks, workers: pool.workerCount)
        return try RunPartials.collect(reduction, parts: parts, width: width) { results in
            let job = ReductionJob(
                reduction: reduction, source: source, second: second, mask: .none, selectedBefore: .none, layout: layout,
                plan: plan, results: results, firstChunk: chunks.lowerBound, sourceFirstElement: firstElement ?? 0)
            try WorkerPool.withTimeout(timeout) {
                try pool.run(job, chunks: chunks.count, describeChunk: { describeChunk(chunks.lowerBound + $0) })
            }
        }
    }
}

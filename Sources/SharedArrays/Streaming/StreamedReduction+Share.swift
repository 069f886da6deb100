import Multiprocessing

extension StreamedReduction {
    /// The grid a reduction over `source` as `Element` uses: the one of an in-memory array of the same count
    /// and type (``SharedArray/reduce(_:layout:plan:timeout:)``), whatever the number of workers or processes.
    public static func grid<S: StreamSource, E: SharedElement>(of source: S, as _: E.Type) -> ChunkPlan {
        ChunkPlan(count: Swift.max(0, source.count), elementSize: MemoryLayout<E>.stride)
    }

    /// The grid of `layout` over `source` as `Element`, the one ``SharedArray/reduce(_:layout:plan:timeout:)``
    /// uses for the same array: elements for `.flat` and `.residueClasses`, row blocks of `n` elements for
    /// `.columns(n)` and `.rows(n)` (the source is then a table of `count / n` rows).
    public static func grid<S: StreamSource, E: SharedElement>(of source: S, as _: E.Type, layout: ReductionLayout) throws -> ChunkPlan {
        switch layout {
        case .flat: return grid(of: source, as: E.self)
        case .residueClasses(let k):
            guard k >= 1 else { throw ArrayError(.invalidArgument, operation: "partials", input: "layout", "residue classes need k >= 1, got \(k)") }
            return grid(of: source, as: E.self)
        case .columns(let n), .rows(let n):
            guard n >= 1, source.count % n == 0 else {
                throw ArrayError(.invalidShape, operation: "partials", input: "layout", "\(source.count) elements are not rows of \(n) columns")
            }
            return ChunkPlan(rows: source.count / n, rowLength: n, elementSize: MemoryLayout<E>.stride)
        }
    }

    /// Reads and reduces the run `chunks` of the grid of `source` (``grid(of:as:)``) and returns its partials,
    /// uncombined: ``ChunkReduction/slotCount`` slots per chunk, in chunk order, each chunk folded with its
    /// global element indices (argmin, the first NaN). A reduction that ``ChunkReduction/mergesInAnyOrder``
    /// returns one partial for the whole run instead.
    ///
    /// Combining the partials of every run in chunk order with ``ChunkReduction/combine(_:width:)`` gives the
    /// same bits as reducing the whole source at once: this is how a share of a dataset (one MPI rank's) is
    /// reduced. Each worker reads its own chunks (`.npy` offsets, HDF5 hyperslabs) and keeps only one chunk in
    /// memory; a source that can be mapped as `Element`s (``StreamSource/mappedArray(as:on:)``) is read in place. `layout` folds each chunk as ``SharedArray/reduce(_:layout:plan:timeout:)`` does (`.flat`,
    /// `.residueClasses(k)`: `k` partials per chunk, `.columns(n)`: `n` per chunk of rows), on the grid
    /// ``grid(of:as:layout:)``. `timeout` bounds the call as in ``SharedArray/statistics(_:ddof:timeout:)``.
    ///
    /// ```swift
    /// let grid = StreamedReduction.grid(of: source, as: Double.self)
    /// let mine = try StreamedReduction.partials(MomentsReduction<Double>(needs: [.sum]), of: source, chunks: 0..<8, on: pool)
    /// ```
    public static func partials<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: S, chunks: Range<Int>, layout: ReductionLayout = .flat, on pool: WorkerPool,
        timeout: Duration? = nil
    ) throws -> [R.Slot] {
        if let needed = reduction.secondOperandType {
            throw ArrayError(.invalidArgument, operation: "partials", input: "reduction", "\(R.self) reads a second operand of \(needed.rawValue): pass it with pairedWith:")
        }
        return try sharePartials(reduction, of: source, pairedWith: nil, chunks: chunks, layout: layout, on: pool, timeout: timeout)
    }

    /// ``partials(_:of:chunks:layout:on:timeout:)`` of a reduction that reads a second operand
    /// (``ChunkReduction/secondOperandType``, e.g. ``DotReduction``) from `other`, a dataset of the same
    /// element count: element `i` of `other` beside element `i` of `source`, on the flat grid of `source`.
    /// Both are mapped when both can be (``StreamSource/mappedArray(as:on:)``); else each worker reads a chunk
    /// of each. Combining every run's partials in chunk order gives the bits of
    /// ``SharedArray/reduce(_:pairedWith:layout:plan:timeout:)`` on the loaded arrays.
    ///
    /// ```swift
    /// let mine = try StreamedReduction.partials(DotReduction<Double>(), of: x, pairedWith: y, chunks: grid.share(rank, of: ranks), on: pool)
    /// ```
    public static func partials<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: S, pairedWith other: S, chunks: Range<Int>, on pool: WorkerPool, timeout: Duration? = nil
    ) throws -> [R.Slot] {
        guard reduction.secondOperandType != nil else {
            throw ArrayError(.invalidArgument, operation: "partials", input: "other", "\(R.self) reads no second operand")
        }
        guard other.count == source.count else {
            throw ArrayError(.shapeMismatch, operation: "partials", input: "other", "the datasets have \(source.count) and \(other.count) elements; they must match")
        }
        return try sharePartials(reduction, of: source, pairedWith: other, chunks: chunks, layout: .flat, on: pool, timeout: timeout)
    }

    /// The partials of the run `chunks`, with `other` read beside `source` when the reduction pairs them.
    private static func sharePartials<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: S, pairedWith other: S?, chunks: Range<Int>, layout: ReductionLayout, on pool: WorkerPool,
        timeout: Duration?
    ) throws -> [R.Slot] {
        let grid = try grid(of: source, as: R.Element.self, layout: layout)
        if layout != .flat, R.mergesInAnyOrder {
            throw ArrayError(.invalidArgument, operation: "partials", input: "layout", "\(R.self) merges per worker; read its shares flat")
        }
        guard let width = CheckedSize.product(reduction.slotCount, layout.partialsPerChunk), width >= 1 else { throw ArrayError(.invalidArgument, operation: "partials", input: "reduction", "a reduction needs at least one slot") }
        guard chunks.lowerBound >= 0, chunks.upperBound <= grid.chunkCount else {
            throw ArrayError(.invalidArgument, operation: "partials", input: "chunks", "chunks \(chunks.lowerBound)..<\(chunks.upperBound) are outside the grid's 0..<\(grid.chunkCount)")
        }
        let anyOrder = R.mergesInAnyOrder
        if chunks.isEmpty { return anyOrder ? Array(repeating: reduction.identity, count: width) : [] }
        // A file that stores the elements as they are reduced is mapped and read in place (no copy per chunk).
        if let other {
            // Both mapped, or both read: a mapped pair needs the second operand stored as the first's type.
            if reduction.secondOperandType == R.Element.dtype, let x = try source.mappedArray(as: R.Element.self, on: pool),
               let y = try other.mappedArray(as: R.Element.self, on: pool) {
                return try x.flattened().partials(reduction, pairedWith: y.flattened(), plan: grid, chunks: chunks, timeout: timeout)
            }
        } else if let mapped = try source.mappedArray(as: R.Element.self, on: pool) {
            return try mapped.partials(reduction, layout: layout, plan: grid, chunks: chunks, timeout: timeout)
        }
        let stored = try source.storedInSegment()
        let storedOther = try other?.storedInSegment()
        let parts = RunPartials.count(R.self, layout: layout, plan: grid, chunks: chunks, workers: pool.workerCount)
        return try RunPartials.collect(reduction, parts: parts, width: width) { results in
            let job = ShareReadJob<R, S>(
                reduction: reduction, source: stored.reference, grid: grid, layout: layout, firstChunk: chunks.lowerBound, results: results,
                second: storedOther?.reference, secondType: reduction.secondOperandType)
            try WorkerPool.withTimeout(timeout) {
                try pool.run(job, chunks: chunks.count, describeChunk: { job.describe($0) })
            }
        }
    }
}

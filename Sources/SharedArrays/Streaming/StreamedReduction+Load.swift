import Multiprocessing

extension StreamedReduction {
    /// The elements of the run `chunks` of `source`'s grid (``grid(of:as:)``) as `E`s in shared memory: a
    /// view of the file mapped in place when it stores `E`s as this process does
    /// (``StreamSource/mappedArray(as:on:)``), else read by the pool's workers chunk by chunk into an array
    /// of the run's size (admitted against `limit` first). One MPI rank's share of a dataset, for the passes
    /// that need its elements more than once (order statistics).
    ///
    /// ```swift
    /// let grid = StreamedReduction.grid(of: source, as: Double.self)
    /// let mine = try StreamedReduction.load(source, as: Double.self, chunks: grid.share(rank, of: ranks), on: pool)
    /// ```
    public static func load<S: StreamSource, E: SharedElement>(
        _ source: S, as _: E.Type, chunks: Range<Int>, limit: SizeLimit = .default, on pool: WorkerPool
    ) throws -> SharedArray<E> {
        let grid = grid(of: source, as: E.self)
        guard chunks.lowerBound >= 0, chunks.upperBound <= grid.chunkCount else {
            throw ArrayError(.invalidArgument, operation: "load", input: "chunks", "chunks \(chunks.lowerBound)..<\(chunks.upperBound) are outside the grid's 0..<\(grid.chunkCount)")
        }
        let elements = chunks.isEmpty ? 0..<0 : grid.range(of: chunks.lowerBound).lowerBound..<grid.range(of: chunks.upperBound - 1).upperBound
        return try load(source, as: E.self, elements: elements, limit: limit, on: pool)
    }

    /// The flat elements `elements` of `source` as `E`s in shared memory, as ``load(_:as:chunks:limit:on:)``
    /// loads a run of chunks: a view of the mapped file, or read by the workers in pieces of a grid chunk's
    /// length. For a share of a grid other than the engine's (a group-by's coarser partials grid).
    public static func load<S: StreamSource, E: SharedElement>(
        _ source: S, as _: E.Type, elements: Range<Int>, limit: SizeLimit = .default, on pool: WorkerPool
    ) throws -> SharedArray<E> {
        guard elements.lowerBound >= 0, elements.upperBound <= Swift.max(0, source.count) else {
            throw ArrayError(.invalidArgument, operation: "load", input: "elements", "elements \(elements.lowerBound)..<\(elements.upperBound) are outside the source's 0..<\(source.count)")
        }
        if let mapped = try source.mappedArray(as: E.self, on: pool) { return try mapped.flattened().slice(elements) }
        guard limit.admittedBytes(shape: [elements.count], elementSize: MemoryLayout<E>.stride) != nil else {
            throw ArrayError(.tooLarge, operation: "load", input: "elements", "\(elements.count) elements of \(E.dtype.rawValue) exceed the size limit \(limit)")
        }
        let array = try SharedArray<E>(uninitialized: [elements.count], on: pool)
        if elements.isEmpty { return array }
        let stored = try source.storedInSegment()
        let pieceLength = Swift.max(1, grid(of: source, as: E.self).chunkLength)
        let job = ShareLoadJob<S>(
            source: stored.reference, firstElement: elements.lowerBound, elementCount: elements.count, pieceLength: pieceLength,
            destination: array.location)
        try pool.run(job, chunks: (elements.count - 1) / pieceLength + 1, describeChunk: { item in
            let range = job.piece(item)
            return "elements \(range.lowerBound)..<\(range.upperBound)"
        })
        return array
    }
}

/// Reads a run of a source's elements into an array in pieces: item `i` is elements
/// `firstElement + i * pieceLength` on, at most `pieceLength` of them, at their place in the array.
struct ShareLoadJob<S: StreamSource>: WorkerJob {
    /// The ``StreamSource`` value, stored in a segment (it can be larger than a job).
    var source: SegmentReference
    /// The source's elements the array holds, in order: `firstElement` on, `elementCount` of them.
    var firstElement: Int
    var elementCount: Int
    var pieceLength: Int
    var destination: ArrayLocation

    /// The source's elements item `item` reads.
    func piece(_ item: Int) -> Range<Int> {
        let start = firstElement + item * pieceLength
        return start..<Swift.min(firstElement + elementCount, start + pieceLength)
    }

    static func run(_ job: Self, chunk item: Int, context: WorkerContext) throws {
        let range = job.piece(item)
        let source = try context.address(of: job.source).loadUnaligned(as: S.self)
        let base = try job.destination.base(in: context) + (range.lowerBound - job.firstElement) * job.destination.dtype.byteSize
        try source.read(range, into: base, as: job.destination.dtype)
    }
}

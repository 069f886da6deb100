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
        if let mapped = try source.mappedArray(as: E.self, on: pool) { return try mapped.flattened().slice(elements) }
        guard limit.admittedBytes(shape: [elements.count], elementSize: MemoryLayout<E>.stride) != nil else {
            throw ArrayError(.tooLarge, operation: "load", input: "chunks", "\(elements.count) elements of \(E.dtype.rawValue) exceed the size limit \(limit)")
        }
        let array = try SharedArray<E>(uninitialized: [elements.count], on: pool)
        if elements.isEmpty { return array }
        let stored = try source.storedInSegment()
        let job = ShareLoadJob<S>(
            source: stored.reference, grid: grid, firstChunk: chunks.lowerBound, firstElement: elements.lowerBound,
            destination: array.location)
        try pool.run(job, chunks: chunks.count, describeChunk: { item in
            let range = grid.range(of: chunks.lowerBound + item)
            return "chunk \(chunks.lowerBound + item) (elements \(range.lowerBound)..<\(range.upperBound))"
        })
        return array
    }
}

/// Reads the chunks of a run of a source's grid into an array, each at its place: item `i` is chunk
/// `firstChunk + i`.
struct ShareLoadJob<S: StreamSource>: WorkerJob {
    /// The ``StreamSource`` value, stored in a segment (it can be larger than a job).
    var source: SegmentReference
    var grid: ChunkPlan
    var firstChunk: Int
    /// The flat index of the array's first element in the source.
    var firstElement: Int
    var destination: ArrayLocation

    static func run(_ job: Self, chunk item: Int, context: WorkerContext) throws {
        let range = job.grid.range(of: job.firstChunk + item)
        let source = try context.address(of: job.source).loadUnaligned(as: S.self)
        let base = try job.destination.base(in: context) + (range.lowerBound - job.firstElement) * job.destination.dtype.byteSize
        try source.read(range, into: base, as: job.destination.dtype)
    }
}

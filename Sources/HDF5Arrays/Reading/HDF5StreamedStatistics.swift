import Multiprocessing
import SharedArrays
import Synchronization

/// One job chunk of ``HDF5/streamedStatistics(file:dataset:statistics:ddof:dtype:limit:on:)``: the reduction
/// chunks `chunk * chunksPerPiece ..< +chunksPerPiece` of the dataset, read by this worker through its
/// ``HDF5DatasetReader`` into a small buffer it reuses (``MomentStreaming``), one ``Moments`` partial per
/// reduction chunk written at that chunk's place.
struct HDF5MomentsJob: WorkerJob {
    var file: JobString
    var dataset: JobString
    var serial: UInt64
    var dtype: DType
    var plan: ChunkPlan
    var chunksPerPiece: Int
    var partials: SegmentReference
    var needs: UInt8

    /// The reader a worker keeps open across the pieces of one call (by serial number).
    nonisolated(unsafe) private static var openReader: (serial: UInt64, reader: HDF5DatasetReader)?

    static func run(_ job: HDF5MomentsJob, chunk: Int, context: WorkerContext) throws {
        let reader: HDF5DatasetReader
        if let open = openReader, open.serial == job.serial {
            reader = open.reader
        } else {
            openReader?.reader.close()
            openReader = nil
            reader = try HDF5DatasetReader(file: job.file.string, dataset: job.dataset.string)
            openReader = (job.serial, reader)
        }
        guard reader.info.count == job.plan.count else {
            throw ArrayIOError(.invalidArgument, path: job.file.string, dataset: job.dataset.string,
                               "the dataset changed while it was read (\(reader.info.count) elements, was \(job.plan.count))")
        }
        let partials = try context.address(of: job.partials).assumingMemoryBound(to: Moments.self)
        let first = chunk * job.chunksPerPiece
        let chunks = first..<Swift.min(job.plan.chunkCount, first + job.chunksPerPiece)
        try MomentStreaming.stream(
            reader, dtype: job.dtype, plan: job.plan, chunks: chunks, needs: MomentNeeds(rawValue: job.needs),
            slabBytes: MomentStreaming.defaultSlabBytes
        ) { partials[$0] = $1 }
    }
}

private let momentsSerial = Atomic<UInt64>(1)

extension HDF5 {
    /// Statistics of a whole dataset (flattened) without holding it in memory: each worker reads its own run
    /// of chunks through the one read path (``HDF5DatasetReader``: raw gzip chunks inflated by libdeflate where
    /// the filters allow) into a 4 MiB buffer it reuses, and folds them while they are in cache.
    ///
    /// The reduction grid, the kernel and the pairwise combine are those of
    /// ``SharedArray/statistics(_:ddof:timeout:)`` for `dtype`, so the values are bit-identical to loading the
    /// dataset as `dtype` and reducing it, for any number of workers; but no shared array is made, so nothing
    /// pays for fresh shared memory (about 1.3 s of kernel time per GiB to fault in, 0.5 s to free, on the
    /// 2-core VM this was measured on). Checks and refusals are those of `load(hdf5:)`.
    ///
    /// ```swift
    /// let s = try HDF5.streamedStatistics(file: "run.h5", dataset: "/data", statistics: [.mean, .std], dtype: .float64, on: pool)
    /// ```
    public static func streamedStatistics(
        file: String, dataset: String, statistics: [Statistic], ddof: Int = 0, dtype: DType,
        limit: SizeLimit = .default, on pool: WorkerPool
    ) throws -> (statistics: Statistics, shape: [Int]) {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: nil, "statistics: ddof must be >= 0, got \(ddof)") }
        let computeType = MomentStreaming.computeType(for: dtype)
        guard computeType == dtype else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: dataset,
                               "statistics are computed in float64, float32, int64 or int32, not \(dtype.rawValue)")
        }
        let info = try HDF5.checkedDatasetInfo(file: file, dataset: dataset)
        guard info.dtype != nil else { throw info.notNumericError(file: file) }
        _ = try info.admittedBytes(as: dtype, limit: limit, file: file)
        guard let jobFile = JobString(file), let jobDataset = JobString(dataset) else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: dataset, "path is too long")
        }
        let needs = MomentNeeds(for: statistics)
        let plan = MomentStreaming.plan(count: info.count, dtype: dtype)
        var moments = Moments.empty
        if plan.chunkCount > 0 {
            guard let bytes = CheckedSize.product(plan.chunkCount, MemoryLayout<Moments>.stride) else {
                throw ArrayIOError(.tooLarge, path: file, dataset: info.path, "too many chunks to reduce")
            }
            let segment = try SharedMemory(byteCount: bytes)
            let partials = segment.base.bindMemory(to: Moments.self, capacity: plan.chunkCount)
            partials.initialize(repeating: .empty, count: plan.chunkCount)
            // Pieces of whole reduction chunks, about 4 MiB each: the pool gives each worker a contiguous run.
            let perPiece = Swift.max(1, MomentStreaming.defaultSlabBytes / Swift.max(1, plan.chunkLength * dtype.byteSize))
            let pieces = plan.chunkCount / perPiece + (plan.chunkCount % perPiece == 0 ? 0 : 1)
            let job = HDF5MomentsJob(
                file: jobFile, dataset: jobDataset, serial: momentsSerial.wrappingAdd(1, ordering: .relaxed).oldValue,
                dtype: dtype, plan: plan, chunksPerPiece: perPiece, partials: segment.reference, needs: needs.rawValue)
            try pool.run(job, chunks: pieces, describeChunk: { piece in
                let first = plan.range(of: piece * perPiece).lowerBound
                let last = plan.range(of: Swift.min(plan.chunkCount, (piece + 1) * perPiece) - 1).upperBound
                return "\(file):\(info.path) elements \(first)..<\(last)"
            })
            moments = try MomentsReduction<Double>(needs: needs)
                .combine(consuming: UnsafeMutableBufferPointer(start: partials, count: plan.chunkCount), width: 1)[0]
        }
        let isInteger = !dtype.isFloatingPoint
        let values = Statistics(
            values: statistics.map { ($0, $0.value(from: moments, ddof: ddof, isInteger: isInteger)) }, count: info.count)
        return (values, info.shape)
    }
}

import Multiprocessing
import SharedArrays

/// A dataset too large for one worker that the ranks of a distributed batch reduce together: each rank
/// reduces a run of its chunk grid (``plan``, the single-node grid) with
/// ``HDF5Batch/sharePartials(of:in:chunks:on:)``, and the per-chunk partials, combined in the fixed pairwise
/// order, give the record a single-node batch gives.
public struct HDF5BatchSharedDataset: Sendable, Codable, Equatable {
    public var dataset: String
    /// The type the values are reduced as (the compute type of the stored or CF-decoded type).
    public var dtype: DType
    /// Elements in the dataset.
    public var count: Int

    /// The dataset's chunk grid (the one a single-node batch splits into pieces).
    public var plan: ChunkPlan { MomentStreaming.plan(count: count, dtype: dtype) }
}

/// One file scanned for a distributed batch: the records the scan finished and the large datasets it left
/// (``shared``) for the ranks to reduce together; ``HDF5Batch/records(of:completing:)`` completes it.
public struct HDF5BatchFileScan {
    public let file: HDF5BatchFile
    /// The large datasets, in the order their results are expected.
    public let shared: [HDF5BatchSharedDataset]
    let finished: [HDF5BatchRecord]
    /// The scan's records of the ``shared`` datasets, in the same order.
    let deferred: [SlotRecord]
}

extension HDF5Batch {
    /// Scans `file` as the first pass of a batch does: small datasets are reduced, failures and skips
    /// recorded, and the datasets past ``smallDatasetBytes`` are left in ``HDF5BatchFileScan/shared``.
    /// - Throws: only for problems with the pool itself.
    public func scanForSharing(_ file: HDF5BatchFile, on pool: WorkerPool) throws -> HDF5BatchFileScan {
        let clock = ContinuousClock()
        let tracker = ProgressTracker(filesTotal: 1, bytesTotal: 0, clock: clock, start: clock.now, report: nil)
        let records = try scan([file], pool: pool, tracker: tracker).first ?? []
        var shared: [HDF5BatchSharedDataset] = []
        var deferred: [SlotRecord] = []
        var finished: [HDF5BatchRecord] = []
        for record in records {
            if record.kind == .deferred {
                shared.append(HDF5BatchSharedDataset(dataset: record.dataset, dtype: record.dtype ?? .float64, count: record.info?.count ?? 0))
                deferred.append(record)
            } else if let converted = convert(record, file: file) {
                finished.append(converted)
            }
        }
        return HDF5BatchFileScan(file: file, shared: shared, finished: finished, deferred: deferred)
    }

    /// The per-chunk partials of the chunks `chunks` of `shared`'s grid, read from `file` by this pool's
    /// workers exactly as a single-node batch reads its pieces (``MomentStreaming``), in chunk order.
    /// - Throws: why the dataset could not be read (a damaged chunk, a worker that died), as a message
    ///   for the dataset's failed record.
    public func sharePartials(
        of shared: HDF5BatchSharedDataset, in file: HDF5BatchFile, chunks: Range<Int>, on pool: WorkerPool
    ) throws -> [Moments] {
        let plan = shared.plan
        guard chunks.lowerBound >= 0, chunks.upperBound <= plan.chunkCount else {
            throw ArrayError(.invalidArgument, operation: "sharePartials", input: "chunks", "chunks \(chunks) are outside the dataset's 0..<\(plan.chunkCount)")
        }
        if chunks.isEmpty { return [] }
        guard let path = JobString(file.path), let dataset = JobString(shared.dataset) else {
            throw ArrayError(.invalidArgument, operation: "sharePartials", input: "path", "path is too long")
        }
        guard let bytes = CheckedSize.product(chunks.count, MemoryLayout<Moments>.stride) else {
            throw ArrayError(.tooLarge, operation: "sharePartials", "\(chunks.count) partial results are more than can be addressed")
        }
        let needs = MomentNeeds(for: statistics)
        let partials = try SharedMemory(byteCount: Swift.max(1, bytes))
        let perPiece = Swift.max(1, pieceBytes / Swift.max(1, plan.chunkLength * shared.dtype.byteSize))
        let job = SharePieceJob(
            file: path, dataset: dataset, dtype: shared.dtype, plan: plan, firstChunk: chunks.lowerBound, endChunk: chunks.upperBound,
            chunksPerPiece: perPiece, partials: partials.reference, needs: needs.rawValue, slabBytes: slabBytes, decode: decode,
            serial: WorkerReaderCache.nextSerial())
        let pieces = (chunks.count + perPiece - 1) / perPiece
        do {
            try WorkerPool.withTimeout(fileTimeout.map { $0 * pieces }) {
                try pool.run(job, chunks: pieces, describeChunk: { piece in
                    let first = chunks.lowerBound + piece * perPiece
                    return "\(file.path):\(shared.dataset) chunks \(first)..<\(Swift.min(chunks.upperBound, first + perPiece))"
                })
            }
        } catch let error as WorkerPoolError where [.chunkFailed, .workerDied, .timedOut].contains(error.code) {
            // The dataset's record fails, as on one node; the pool goes on.
            throw HDF5BatchShareFailure(Self.lostMessage(error, pid: error.stuck.first?.pid ?? 0, reading: "the dataset"))
        }
        return Array(UnsafeBufferPointer(start: partials.base.assumingMemoryBound(to: Moments.self), count: chunks.count))
    }

    /// The records of `scan`'s file: the ones its scan finished and, for each shared dataset (in order), the
    /// record made from its combined moments or its failure message; in dataset order as a batch gives them.
    public func records(of scan: HDF5BatchFileScan, completing outcomes: [Result<Moments, HDF5BatchShareFailure>]) -> [HDF5BatchRecord] {
        var records = scan.finished
        for (item, outcome) in zip(scan.deferred, outcomes) {
            guard var record = convert(item, file: scan.file, kind: .failed) else { continue }
            switch outcome {
            case .success(let moments):
                record.status = .ok
                record.message = nil
                record.statistics = statistics(from: moments, dtype: item.dtype ?? .float64, skippingMasked: item.masked)
            case .failure(let failure):
                record.message = failure.message
            }
            records.append(record)
        }
        return records.sorted { ($0.dataset ?? "") < ($1.dataset ?? "") }
    }
}

/// Why a shared dataset has no statistics: the message of its failed record.
public struct HDF5BatchShareFailure: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Reads pieces of a run of one large dataset's chunk grid: piece `p` is `chunksPerPiece` chunks from
/// `firstChunk + p * chunksPerPiece`, streamed as ``BatchPieceJob`` streams them (``MomentStreaming``),
/// each chunk's partial written at its place in the run.
struct SharePieceJob: WorkerJob {
    var file: JobString
    var dataset: JobString
    var dtype: DType
    var plan: ChunkPlan
    var firstChunk: Int
    var endChunk: Int
    var chunksPerPiece: Int
    var partials: SegmentReference
    var needs: UInt8
    var slabBytes: Int
    var decode: Bool
    /// Identifies the call: a worker keeps the dataset open across the call's pieces (``WorkerReaderCache``).
    var serial: UInt64

    static func run(_ job: SharePieceJob, chunk piece: Int, context: WorkerContext) throws {
        let first = job.firstChunk + piece * job.chunksPerPiece
        let end = Swift.min(job.endChunk, first + job.chunksPerPiece)
        let partials = try context.address(of: job.partials).assumingMemoryBound(to: Moments.self)
        do {
            let reader = try WorkerReaderCache.reader(serial: job.serial) {
                try openDatasetReader(
                    file: job.file.string, dataset: job.dataset.string, computeType: job.dtype, decode: job.decode, fast: true)
            }
            guard reader.info.count == job.plan.count else {
                throw ArrayIOError(.invalidArgument, path: job.file.string, dataset: job.dataset.string,
                                   "the dataset changed while the batch ran (\(reader.info.count) elements, was \(job.plan.count))")
            }
            try MomentStreaming.stream(
                reader, dtype: job.dtype, plan: job.plan, chunks: first..<end, needs: MomentNeeds(rawValue: job.needs), slabBytes: job.slabBytes
            ) { partials[$0 - job.firstChunk] = $1 }
        } catch {
            // The reason alone, as a single-node batch's piece records it (the record names file and dataset).
            throw SharePieceFailure(description: reason(error))
        }
    }
}

/// A piece's failure as the record shows it.
struct SharePieceFailure: Error, CustomStringConvertible {
    let description: String
}

import Multiprocessing
import SharedArrays

/// A dataset too large for one worker, split into pieces of whole ``ChunkPlan`` chunks.
struct DeferredDataset: BitwiseCopyable {
    var file: JobString
    var dataset: JobString
    var dtype: DType
    var plan: ChunkPlan
    /// Index of the dataset's first chunk partial in the partials array.
    var partialBase: Int
}

/// One chunk of a ``BatchPieceJob``: chunks `firstChunk..<endChunk` of dataset `dataset`.
struct DatasetPiece: BitwiseCopyable {
    var dataset: Int
    var firstChunk: Int
    var endChunk: Int
}

/// The second pass of a batch: one chunk per piece of a large dataset. The worker streams the piece's
/// chunks from the file (``MomentStreaming``) and writes one ``Moments`` partial per chunk at the chunk's
/// place; the parent combines each dataset's partials in the fixed pairwise tree. A failure is written
/// to the piece's item in the ``ItemTable``, never thrown, so the other datasets go on.
struct BatchPieceJob: WorkerJob {
    /// One item per piece.
    var items: ItemTableReference
    /// `[DeferredDataset]`, `[DatasetPiece]` (indexed by item) and `[Moments]` (every dataset's chunk partials).
    var datasets: SegmentReference
    var pieces: SegmentReference
    var partials: SegmentReference
    var needs: UInt8
    var slabBytes: Int
    var serial: UInt64
    /// Apply CF attributes (``CFDecoding``).
    var decode = true

    static func run(_ job: BatchPieceJob, chunk: Int, context: WorkerContext) throws {
        let table = try job.items.open(in: context)
        let datasets = try context.address(of: job.datasets).assumingMemoryBound(to: DeferredDataset.self)
        let pieces = try context.address(of: job.pieces).assumingMemoryBound(to: DatasetPiece.self)
        let allPartials = try context.address(of: job.partials).assumingMemoryBound(to: Moments.self)
        table.forEachItem(inChunk: chunk) { item in
            table.begin(item)
            let piece = pieces[item]
            let entry = datasets[piece.dataset]
            let partials = allPartials + entry.partialBase
            do {
                // Kept open across the pieces of one dataset (``WorkerReaderCache``).
                let reader = try WorkerReaderCache.reader(serial: job.serial, part: piece.dataset) {
                    try openDatasetReader(
                        file: entry.file.string, dataset: entry.dataset.string, computeType: entry.dtype, decode: job.decode,
                        fast: true)
                }
                guard reader.info.count == entry.plan.count else {
                    throw ArrayIOError(.invalidArgument, path: entry.file.string, dataset: entry.dataset.string,
                                       "the dataset changed while the batch ran (\(reader.info.count) elements, was \(entry.plan.count))")
                }
                try MomentStreaming.stream(
                    reader, dtype: entry.dtype, plan: entry.plan, chunks: piece.firstChunk..<piece.endChunk,
                    needs: MomentNeeds(rawValue: job.needs), slabBytes: job.slabBytes
                ) { partials[$0] = $1 }
                table.complete(item)
            } catch {
                table.fail(item, message: reason(error))
            }
        }
        table.finishChunk(chunk)
    }
}

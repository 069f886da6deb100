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

/// Where the arrays of a ``BatchPieceJob`` live in its one segment.
struct PieceLayout: BitwiseCopyable {
    static let messageBytes = 512

    var datasetCount: Int
    var pieceCount: Int
    var partialCount: Int
    var datasetsOffset: Int
    var piecesOffset: Int
    /// One Int per piece: 0 pending, 1 done, 2 failed (message in the piece's message area).
    var statesOffset: Int
    var messagesOffset: Int
    var partialsOffset: Int
    var byteCount: Int

    init(datasets: Int, pieces: Int, partials: Int) {
        func align(_ n: Int) -> Int { (n + 63) / 64 * 64 }
        datasetCount = datasets
        pieceCount = pieces
        partialCount = partials
        datasetsOffset = 0
        piecesOffset = align(datasets * MemoryLayout<DeferredDataset>.stride)
        statesOffset = piecesOffset + align(pieces * MemoryLayout<DatasetPiece>.stride)
        messagesOffset = statesOffset + align(pieces * MemoryLayout<Int>.stride)
        partialsOffset = messagesOffset + align(pieces * Self.messageBytes)
        byteCount = partialsOffset + max(1, partials) * MemoryLayout<Moments>.stride
    }

    func datasets(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<DeferredDataset> {
        (base + datasetsOffset).assumingMemoryBound(to: DeferredDataset.self)
    }
    func pieces(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<DatasetPiece> {
        (base + piecesOffset).assumingMemoryBound(to: DatasetPiece.self)
    }
    func states(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Int> {
        (base + statesOffset).assumingMemoryBound(to: Int.self)
    }
    func partials(_ base: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Moments> {
        (base + partialsOffset).assumingMemoryBound(to: Moments.self)
    }
    func setMessage(_ base: UnsafeMutableRawPointer, piece: Int, _ text: String) {
        let area = base + messagesOffset + piece * Self.messageBytes
        let utf8 = MessageTruncation.utf8(text, capacity: Self.messageBytes - 8)
        area.storeBytes(of: utf8.count, as: Int.self)
        utf8.withUnsafeBytes { (area + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
    func message(_ base: UnsafeMutableRawPointer, piece: Int) -> String {
        let area = base + messagesOffset + piece * Self.messageBytes
        let count = min(max(0, area.load(as: Int.self)), Self.messageBytes - 8)
        return String(decoding: UnsafeRawBufferPointer(start: area + 8, count: count), as: UTF8.self)
    }
}

/// The second pass of a batch: one chunk per piece of a large dataset. The worker streams the piece's
/// chunks from the file (``MomentStreaming``) and writes one ``Moments`` partial per chunk at the chunk's
/// place; the parent combines each dataset's partials in the fixed pairwise tree. A failure is written
/// to the piece's state, never thrown, so the other datasets go on.
struct BatchPieceJob: WorkerJob {
    var segment: SegmentReference
    var layout: PieceLayout
    var needs: UInt8
    var slabBytes: Int
    var serial: UInt64
    /// Apply CF attributes (``CFDecoding``).
    var decode = true

    /// The reader a worker keeps open across the pieces of one dataset.
    nonisolated(unsafe) private static var openReader: (serial: UInt64, dataset: Int, reader: any DatasetRangeReader)?

    static func run(_ job: BatchPieceJob, chunk: Int, context: WorkerContext) throws {
        let base = try context.address(of: job.segment)
        let layout = job.layout
        let piece = layout.pieces(base)[chunk]
        let entry = layout.datasets(base)[piece.dataset]
        let partials = layout.partials(base) + entry.partialBase
        do {
            let reader: any DatasetRangeReader
            if let open = openReader, open.serial == job.serial, open.dataset == piece.dataset {
                reader = open.reader
            } else {
                openReader?.reader.close()
                openReader = nil
                reader = try openDatasetReader(
                    file: entry.file.string, dataset: entry.dataset.string, computeType: entry.dtype, decode: job.decode,
                    fast: true)
                openReader = (job.serial, piece.dataset, reader)
            }
            guard reader.info.count == entry.plan.count else {
                throw ArrayIOError(.invalidArgument, path: entry.file.string, dataset: entry.dataset.string,
                                   "the dataset changed while the batch ran (\(reader.info.count) elements, was \(entry.plan.count))")
            }
            try MomentStreaming.stream(
                reader, dtype: entry.dtype, plan: entry.plan, chunks: piece.firstChunk..<piece.endChunk,
                needs: MomentNeeds(rawValue: job.needs), slabBytes: job.slabBytes
            ) { partials[$0] = $1 }
            layout.states(base)[chunk] = 1
        } catch {
            layout.setMessage(base, piece: chunk, reason(error))
            layout.states(base)[chunk] = 2
        }
    }
}

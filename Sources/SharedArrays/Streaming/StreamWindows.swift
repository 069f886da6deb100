/// How a streamed dataset is cut into windows: runs of whole chunks of the reduction's grid (so every
/// chunk, and every chunk's partial, is exactly the one the in-memory path computes), and how one window
/// is cut into reads aligned to the source's stored chunks.
struct StreamWindows: BitwiseCopyable, Sendable {
    /// The reduction's grid over the whole dataset (the in-memory grid).
    var grid: ChunkPlan
    /// Grid chunks per window (the last window may hold fewer).
    var chunksPerWindow: Int
    /// Elements per read: a multiple of the source's read alignment, about ``readTargetBytes``.
    var readLength: Int

    /// Bytes one read aims at: large enough to keep a decoder busy, small enough to balance the workers.
    static let readTargetBytes = 4 << 20

    init(grid: ChunkPlan, chunksPerWindow: Int, readAlignment: Int, elementSize: Int) {
        self.grid = grid
        self.chunksPerWindow = Swift.max(1, chunksPerWindow)
        let alignment = Swift.max(1, readAlignment)
        let perRead = Swift.max(1, Self.readTargetBytes / Swift.max(1, elementSize) / alignment)
        readLength = CheckedSize.product(perRead, alignment) ?? alignment
    }

    /// Number of windows (0 for an empty dataset).
    var count: Int { grid.chunkCount == 0 ? 0 : (grid.chunkCount - 1) / chunksPerWindow + 1 }

    /// The grid chunks of window `k`.
    func chunks(of k: Int) -> Range<Int> {
        let first = k * chunksPerWindow
        return first..<Swift.min(grid.chunkCount, first + chunksPerWindow)
    }

    /// The elements of window `k`.
    func elements(of k: Int) -> Range<Int> {
        let chunks = chunks(of: k)
        return grid.range(of: chunks.lowerBound).lowerBound..<grid.range(of: chunks.upperBound - 1).upperBound
    }

    /// The largest window's element count (the first window's).
    var windowCapacity: Int { count == 0 ? 0 : elements(of: 0).count }

    /// Reads covering window `k`: cut at the window's ends and at multiples of ``readLength`` (global
    /// positions, so stored chunks are not split between reads).
    func readCount(of k: Int) -> Int {
        let window = elements(of: k)
        guard !window.isEmpty else { return 0 }
        return (window.upperBound - 1) / readLength - window.lowerBound / readLength + 1
    }

    /// Read `i` of window `k`.
    func read(_ i: Int, of k: Int) -> Range<Int> {
        let window = elements(of: k)
        let firstBlock = window.lowerBound / readLength
        let start = i == 0 ? window.lowerBound : (firstBlock + i) * readLength
        return start..<Swift.min(window.upperBound, (firstBlock + i + 1) * readLength)
    }

    /// Item `item` of a step that does `reads` reads and `others` other items (chunks to reduce or map), the
    /// reads spread evenly among the others (read `i` is item `⌊i · total / reads⌋`), so that each worker's share
    /// of a step (chunk affinity gives it a contiguous run of items) holds both kinds in proportion and the reads
    /// overlap the compute: (true, read index) or (false, other index).
    static func interleaved(_ item: Int, reads: Int, others: Int) -> (isRead: Bool, index: Int) {
        guard reads > 0 else { return (false, item) }
        let total = Int128(reads) + Int128(others)
        func position(_ i: Int128) -> Int128 { i * total / Int128(reads) }
        // Reads at or before `item`: the i with ⌊i · total / reads⌋ <= item, that is i · total < (item + 1) · reads.
        let readsUpTo = Swift.min(Int128(reads), ((Int128(item) + 1) * Int128(reads) + total - 1) / total)
        if readsUpTo > 0 && position(readsUpTo - 1) == Int128(item) { return (true, Int(readsUpTo - 1)) }
        return (false, item - Int(readsUpTo))
    }
}

#if MPI
import Multiprocessing
import SharedArrays

/// Reductions of one dataset by every rank of an MPI job, with the same bits as one node.
///
/// The grid is the worker-independent chunk grid of the whole dataset (``StreamedReduction/grid(of:as:)``).
/// Rank `r` takes the contiguous run of chunks ``SharedArrays/ChunkPlan/share(_:of:)`` gives it, its workers
/// read those chunks from the file itself (`.npy` offsets, HDF5 hyperslabs) and fold each into its partial
/// with global element indices. Each rank merges the subtrees of the single-node pairwise tree that lie
/// inside its run (``PairwiseSubtrees``) and sends only those (at most about `2 log2 chunks` partials) to
/// rank 0, which finishes the same tree: the merges a single node does, in the same order. So the result is
/// the same for any number of ranks and of workers per rank.
///
/// Errors are settled by ``RankOutcome``: a bad input seen by every rank is reported once, by rank 0.
///
/// ```swift
/// let pool = try WorkerPool(workers: 2)
/// let world = try MPICommunicator()
/// let s = try DistributedReduction.statistics([.mean, .std], of: { try NpyStreamSource(path: "big.npy") },
///                                             as: Double.self, on: pool, world: world)   // rank 0: the values
/// ```
public enum DistributedReduction {
    /// Reduces every element of the dataset `source` opens (flat) as `reduction` across the ranks of
    /// `world` and returns the combined partial at rank 0, nil on the other ranks. `source` runs on every
    /// rank (each reads the file's header itself). `timeout` bounds each rank's share and each collective
    /// (default: the communicator's ``MPICommunicator/timeout``). `layout` as in
    /// ``SharedArrays/StreamedReduction/partials(_:of:chunks:layout:on:timeout:)``: `.columns(n)` returns one
    /// partial per column (axis 0 of a table), `.residueClasses(k)` one per class (a strided view's
    /// mean of means).
    public static func reduce<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: () throws -> S, layout: ReductionLayout = .flat, on pool: WorkerPool, world: MPICommunicator,
        timeout: Duration? = nil
    ) throws -> [R.Slot]? {
        try reduceShares(reduction, layout: layout, world: world, timeout: timeout) {
            let opened = try source()
            let grid = try StreamedReduction.grid(of: opened, as: R.Element.self, layout: layout)
            let mine = try grid.share(world.rank, of: world.size)
            let partials = try StreamedReduction.partials(
                reduction, of: opened, chunks: mine, layout: layout, on: pool, timeout: timeout ?? world.timeout)
            return (grid.chunkCount, mine, partials)
        }
    }

    /// ``reduce(_:of:layout:on:world:timeout:)`` for a reduction that reads a second operand
    /// (``SharedArrays/ChunkReduction/secondOperandType``, e.g. ``SharedArrays/DotReduction``) from the dataset
    /// `other` opens, of the same element count: each rank reads its share of both. At rank 0 the bits of
    /// ``SharedArrays/SharedArray/reduce(_:pairedWith:layout:plan:timeout:)`` on one node; nil elsewhere.
    public static func reduce<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: () throws -> S, pairedWith other: () throws -> S, on pool: WorkerPool, world: MPICommunicator,
        timeout: Duration? = nil
    ) throws -> [R.Slot]? {
        try reduceShares(reduction, layout: .flat, world: world, timeout: timeout) {
            let (x, y) = (try source(), try other())
            let grid = StreamedReduction.grid(of: x, as: R.Element.self)
            let mine = try grid.share(world.rank, of: world.size)
            let partials = try StreamedReduction.partials(reduction, of: x, pairedWith: y, chunks: mine, on: pool, timeout: timeout ?? world.timeout)
            return (grid.chunkCount, mine, partials)
        }
    }

    /// The collective part of a reduction: `local` gives this rank's run of the grid and its partials; errors
    /// are settled across the ranks, and rank 0 combines every rank's part as one node would.
    static func reduceShares<R: ChunkReduction>(
        _ reduction: R, layout: ReductionLayout, world: MPICommunicator, timeout: Duration?,
        local share: () throws -> (chunkCount: Int, run: Range<Int>, partials: [R.Slot])
    ) throws -> [R.Slot]? {
        // 0 when the product overflows (a width from a file): partials() then refuses the layout first.
        let width = CheckedSize.product(reduction.slotCount, layout.partialsPerChunk) ?? 0
        var chunkCount = 0
        let local = Result<[UInt8], any Error> {
            let (count, mine, partials) = try share()
            chunkCount = count
            if R.mergesInAnyOrder { return PartialBytes.encode(partials) }
            return try subtreePayload(reduction, partials: partials, run: mine, chunkCount: count, width: width)
        }
        let payloads = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard world.rank == 0 else { return nil }
        guard width >= 1 else { throw DistributedError("a reduction needs at least one slot") }
        if chunkCount == 0, layout != .flat { return Array(repeating: reduction.identity, count: width) }
        if R.mergesInAnyOrder {
            // One partial per rank, exact in any order (integer counts).
            var total = Array(repeating: reduction.identity, count: width)
            for (r, bytes) in payloads.enumerated() {
                let part = try PartialBytes.decode(bytes, as: R.Slot.self, from: r)
                guard part.count == width else { throw DistributedError("rank \(r) sent \(part.count) slots, not one partial of \(width)") }
                total.withUnsafeMutableBufferPointer { a in part.withUnsafeBufferPointer { b in reduction.mergeEach(a, b) } }
            }
            return total
        }
        return try finishSubtrees(reduction, payloads: payloads, chunkCount: chunkCount, width: width)
    }

    /// One rank's part of the pairwise tree over `chunkCount` chunks, as bytes for rank 0: the maximal subtrees
    /// inside its run `mine` (whose per-chunk `partials`, `width` slots each, it holds), each combined in the
    /// single-node order: O(log chunks) partials, not one per chunk.
    static func subtreePayload<R: ChunkReduction>(
        _ reduction: R, partials: [R.Slot], run mine: Range<Int>, chunkCount: Int, width: Int
    ) throws -> [UInt8] {
        guard partials.count == mine.count * width else {
            throw DistributedError("\(partials.count) partial slots for a run of \(mine.count) chunks of \(width)")
        }
        var ranges: [Int64] = []
        var slots: [R.Slot] = []
        for subtree in PairwiseSubtrees.maximal(inside: mine, of: chunkCount) {
            let first = (subtree.lowerBound - mine.lowerBound) * width
            let last = (subtree.upperBound - mine.lowerBound) * width
            slots += try reduction.combine(Array(partials[first..<last]), width: width)
            ranges += [Int64(subtree.lowerBound), Int64(subtree.upperBound)]
        }
        return PartialBytes.encode([Int64(ranges.count / 2)] + ranges) + PartialBytes.encode(slots)
    }

    /// Rank 0: the combined partial of the whole tree from every rank's ``subtreePayload(_:partials:run:chunkCount:width:)``
    /// (in rank order): the merges one node does, in the same order.
    static func finishSubtrees<R: ChunkReduction>(
        _ reduction: R, payloads: [[UInt8]], chunkCount: Int, width: Int
    ) throws -> [R.Slot] {
        var subtrees: [Int: (range: Range<Int>, slots: [R.Slot])] = [:]
        for (r, bytes) in payloads.enumerated() {
            for (range, slots) in try decodeSubtrees(bytes, as: R.Slot.self, width: width, from: r) {
                subtrees[range.lowerBound] = (range, slots)
            }
        }
        return try PairwiseSubtrees.finish(reduction, subtrees: subtrees, count: chunkCount, width: width)
    }

    /// The (chunk range, combined partial) pairs of one rank's payload: a count `n`, `n` ranges as pairs of
    /// Int64, then `n` partials of `width` slots.
    static func decodeSubtrees<Slot: BitwiseCopyable>(
        _ bytes: [UInt8], as _: Slot.Type, width: Int, from rank: Int
    ) throws -> [(Range<Int>, [Slot])] {
        let wordBytes = MemoryLayout<Int64>.stride
        guard bytes.count >= wordBytes else { throw DistributedError("rank \(rank) sent \(bytes.count) bytes, too few for its partials") }
        let n = Int(try PartialBytes.decode(Array(bytes[0..<wordBytes]), as: Int64.self, from: rank)[0])
        guard n >= 0, n <= bytes.count / (2 * wordBytes), let headerBytes = CheckedSize.product(2 * n + 1, wordBytes),
              headerBytes <= bytes.count else {
            throw DistributedError("rank \(rank) sent a malformed partials header (\(n) subtrees in \(bytes.count) bytes)")
        }
        let words = try PartialBytes.decode(Array(bytes[wordBytes..<headerBytes]), as: Int64.self, from: rank)
        let slots = try PartialBytes.decode(Array(bytes[headerBytes...]), as: Slot.self, from: rank)
        guard slots.count == n * width else {
            throw DistributedError("rank \(rank) sent \(slots.count) slots for \(n) partials of \(width)")
        }
        return (0..<n).map { i in
            (Int(words[2 * i])..<Swift.max(Int(words[2 * i]), Int(words[2 * i + 1])), Array(slots[i * width..<(i + 1) * width]))
        }
    }

    /// `statistics` of each column of the table (`columns` wide) the dataset `source` opens holds (axis 0),
    /// computed as `Element`, across the ranks of `world`: at rank 0 the same values, bit for bit, as
    /// ``SharedArrays/SharedArray/statistics(_:axis:ddof:timeout:)`` with axis 0 on one node; nil elsewhere.
    public static func columnStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], of source: () throws -> (source: S, columns: Int), as _: Element.Type, ddof: Int = 0,
        on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> AxisStatistics? {
        let needs = MomentNeeds(for: statistics)
        var columns = 0
        // Every rank learns the width from the file; the layout is fixed before the reduction starts.
        let opened = Result { () throws -> S in
            guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
            let (table, width) = try source()
            guard width >= 1 else { throw ArrayError(.invalidShape, operation: "statistics", input: "shape", "axis 0 needs a table with columns") }
            columns = width
            return table
        }
        let moments = try reduce(
            MomentsReduction<Element>(needs: needs), of: { try opened.get() }, layout: .columns(Swift.max(1, columns)), on: pool,
            world: world, timeout: timeout)
        guard let moments else { return nil }
        let isInteger = !Element.dtype.isFloatingPoint
        return AxisStatistics(
            axis: 0, values: statistics.map { s in (s, moments.map { s.value(from: $0, ddof: ddof, isInteger: isInteger) }) })
    }

    /// `statistics` of every element of the dataset `source` opens (flat), computed as `Element`, across the
    /// ranks of `world`: at rank 0 the same values, bit for bit, as ``SharedArrays/SharedArray/statistics(_:ddof:timeout:)``
    /// on the whole array loaded on one node; nil on the other ranks.
    public static func statistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], of source: () throws -> S, as _: Element.Type, ddof: Int = 0, on pool: WorkerPool,
        world: MPICommunicator, timeout: Duration? = nil
    ) throws -> Statistics? {
        let moments = try momentsOfLayout(.flat, for: statistics, of: source, as: Element.self, ddof: ddof, on: pool, world: world, timeout: timeout)
        guard let (partials, count) = moments, let m = partials.first else { return nil }
        let isInteger = !Element.dtype.isFloatingPoint
        return Statistics(statistics, from: m, count: count, ddof: ddof, isInteger: isInteger)
    }

    /// The combined ``SharedArrays/Moments`` of `layout` (one per class for `.residueClasses`) that `statistics`
    /// need, over the dataset `source` opens, and its element count: at rank 0; nil elsewhere. `check` runs on
    /// every rank before the file is opened, its error settled with the reduction's.
    static func momentsOfLayout<Element: SharedElement, S: StreamSource>(
        _ layout: ReductionLayout, for statistics: [Statistic], of source: () throws -> S, as _: Element.Type, ddof: Int,
        check: () throws -> Void = {}, on pool: WorkerPool, world: MPICommunicator, timeout: Duration?
    ) throws -> (moments: [Moments], count: Int)? {
        var count = 0
        let moments = try reduce(
            MomentsReduction<Element>(needs: MomentNeeds(for: statistics)),
            of: {
                guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
                try check()
                let opened = try source()
                count = opened.count
                return opened
            }, layout: layout, on: pool, world: world, timeout: timeout)
        return moments.map { ($0, count) }
    }
}
#endif

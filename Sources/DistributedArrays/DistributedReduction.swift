#if MPI
import Multiprocessing
import SharedArrays

/// Reductions of one dataset by every rank of an MPI job, with the same bits as one node.
///
/// The grid is the worker-independent chunk grid of the whole dataset (``StreamedReduction/grid(of:as:)``).
/// Rank `r` takes the contiguous run of chunks ``SharedArrays/ChunkPlan/share(_:of:)`` gives it, its workers
/// read those chunks from the file itself (`.npy` offsets, HDF5 hyperslabs) and fold each into its partial
/// with global element indices, and the partials (bytes: chunks x slot size per rank) are gathered to
/// rank 0, which combines all of them in the one fixed pairwise order a single node uses. So the result is
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
    /// (default: the communicator's ``MPICommunicator/timeout``).
    public static func reduce<R: ChunkReduction, S: StreamSource>(
        _ reduction: R, of source: () throws -> S, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> [R.Slot]? {
        let local = Result<[UInt8], any Error> {
            let opened = try source()
            let grid = StreamedReduction.grid(of: opened, as: R.Element.self)
            let mine = try grid.share(world.rank, of: world.size)
            let partials = try StreamedReduction.partials(reduction, of: opened, chunks: mine, on: pool, timeout: timeout ?? world.timeout)
            return PartialBytes.encode(partials)
        }
        let payloads = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard world.rank == 0 else { return nil }
        let width = reduction.slotCount
        var all: [R.Slot] = []
        for (r, bytes) in payloads.enumerated() {
            all += try PartialBytes.decode(bytes, as: R.Slot.self, from: r)
        }
        guard width >= 1, all.count % width == 0 else {
            throw DistributedError("the ranks sent \(all.count) slots of partials, not whole partials of \(width)")
        }
        if R.mergesInAnyOrder {
            // One partial per rank, exact in any order (integer counts).
            var first = Array(all.prefix(width))
            first.withUnsafeMutableBufferPointer { a in
                all.withUnsafeBufferPointer { b in
                    var start = width
                    while start < b.count {
                        reduction.mergeEach(a, UnsafeBufferPointer(rebasing: b[start..<start + width]))
                        start += width
                    }
                }
            }
            return first
        }
        return try reduction.combine(all, width: width)
    }

    /// `statistics` of every element of the dataset `source` opens (flat), computed as `Element`, across the
    /// ranks of `world`: at rank 0 the same values, bit for bit, as ``SharedArrays/SharedArray/statistics(_:ddof:timeout:)``
    /// on the whole array loaded on one node; nil on the other ranks.
    public static func statistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], of source: () throws -> S, as _: Element.Type, ddof: Int = 0, on pool: WorkerPool,
        world: MPICommunicator, timeout: Duration? = nil
    ) throws -> Statistics? {
        let needs = statistics.reduce(into: MomentNeeds()) { $0.formUnion($1.needs) }
        var count = 0
        let moments = try reduce(
            MomentsReduction<Element>(needs: needs),
            of: {
                guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
                let opened = try source()
                count = opened.count
                return opened
            }, on: pool, world: world, timeout: timeout)
        guard let m = moments?.first else { return nil }
        let isInteger = !Element.dtype.isFloatingPoint
        return Statistics(values: statistics.map { ($0, $0.value(from: m, ddof: ddof, isInteger: isInteger)) }, count: count)
    }
}
#endif

#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// `statistics` of each of the `parts` interleaved parts `data[i::parts]` of the dataset `source` opens
    /// (flat), computed as `Element`, across the ranks of `world`: at rank 0 the values, bit for bit, of
    /// ``SharedArrays/StridedPartition/statistics(_:ddof:)`` on one node (the seed example's strided means,
    /// and the rest); nil on the other ranks. Each chunk folds one partial per part (residue classes of the
    /// global index), merged in the single-node pairwise order.
    public static func stridedStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], parts: Int, of source: () throws -> S, as _: Element.Type, ddof: Int = 0, on pool: WorkerPool,
        world: MPICommunicator, timeout: Duration? = nil
    ) throws -> [Statistics]? {
        let moments = try momentsOfLayout(
            .residueClasses(Swift.max(1, parts)), for: statistics, of: source, as: Element.self, ddof: ddof,
            check: {
                guard parts >= 1 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "parts", "parts must be >= 1, got \(parts)") }
            }, on: pool, world: world, timeout: timeout)
        guard let (moments, count) = moments else { return nil }
        let counts = (0..<parts).map { i in i < count ? (count - i - 1) / parts + 1 : 0 }
        return Statistics.ofParts(moments, statistics, counts: counts, ddof: ddof, isInteger: !Element.dtype.isFloatingPoint)
    }
}
#endif

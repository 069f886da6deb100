#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// `statistics` of each row of the table (`rows` x `columns`) the dataset `source` opens holds (axis 1),
    /// computed as `Element`, across the ranks of `world`: at rank 0 the same values, bit for bit, as
    /// ``SharedArrays/SharedArray/statistics(_:axis:ddof:timeout:)`` with axis 1 on one node; nil elsewhere.
    ///
    /// A row is folded whole by one worker, so its result does not depend on who reads it: rank `r` reduces
    /// the rows of its share of the row-block grid and sends one result per row (``Moments``, about 100
    /// bytes a row); rank 0 puts the ranks' rows end to end, in rank order.
    public static func rowStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], of source: () throws -> (source: S, rows: Int, columns: Int), as _: Element.Type, ddof: Int = 0,
        on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> AxisStatistics? {
        let needs = MomentNeeds(for: statistics)
        var rows = 0
        let local = Result<[UInt8], any Error> {
            guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
            let (table, tableRows, columns) = try source()
            guard tableRows >= 0, columns >= 0, CheckedSize.product(tableRows, columns) == table.count else {
                throw ArrayError(.invalidShape, operation: "statistics", input: "shape", "\(table.count) elements are not \(tableRows) rows of \(columns) columns")
            }
            rows = tableRows
            // A table without columns has rows of nothing: rank 0 alone gives each an empty result.
            guard columns >= 1 else { return [] }
            let reduction = MomentsReduction<Element>(needs: needs)
            let grid = try StreamedReduction.grid(of: table, as: Element.self, layout: .rows(columns))
            let mine = try grid.share(world.rank, of: world.size)
            return PartialBytes.encode(
                try StreamedReduction.partials(reduction, of: table, chunks: mine, layout: .rows(columns), on: pool, timeout: timeout ?? world.timeout))
        }
        let payloads = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard world.rank == 0 else { return nil }
        var moments: [Moments] = []
        for (r, bytes) in payloads.enumerated() { moments += try PartialBytes.decode(bytes, as: Moments.self, from: r) }
        if moments.isEmpty, rows > 0 { moments = Array(repeating: .empty, count: rows) }
        guard moments.count == rows else { throw DistributedError("the ranks sent the results of \(moments.count) rows, not \(rows)") }
        let isInteger = !Element.dtype.isFloatingPoint
        return AxisStatistics(
            axis: 1, values: statistics.map { s in (s, moments.map { s.value(from: $0, ddof: ddof, isInteger: isInteger) }) })
    }
}
#endif

#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// Medians, quantiles and percentiles of every element of the dataset `source` opens (flat), read as
    /// `Element`, across the ranks of `world`: at rank 0 the values ``SharedArrays/SharedArray/orderStatistics(_:method:timeout:)``
    /// gives on one node, bit for bit (the same selection code runs: ``SharedArrays/OrderStatistic/evaluate(_:method:of:)``);
    /// nil on the other ranks.
    ///
    /// Each rank holds its share of the chunk grid (mapped from a native `.npy` file, else read into shared
    /// memory: 1/N of the data per node). Rank 0 drives the selection: each histogram pass is every rank
    /// counting its share's keys (65,536 counts each, added exactly at rank 0), each gather pass every rank
    /// sending the keys of the chosen digits. Digits are narrowed until at most 2^18 keys are gathered at
    /// once, so rank 0 never receives more than 2 MiB of keys per pass, whatever the data's size.
    public static func orderStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [OrderStatistic], method: QuantileMethod = .linear, of source: () throws -> S, as _: Element.Type,
        limit: SizeLimit = .default, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> [Double]? {
        let (share, count, _, _) = try loadShare(of: source, as: Element.self, limit: limit, on: pool, world: world, timeout: timeout)
        return try select(statistics, method: method, share: share, count: count, world: world, timeout: timeout)
    }

    /// ``statistics(_:of:as:ddof:on:world:timeout:)`` and ``orderStatistics(_:method:of:as:limit:on:world:timeout:)``
    /// of the same dataset with one read of it: each rank loads its share once (mapped, or read into shared
    /// memory), reduces the moments from it (the same chunks, folded with their global indices) and then
    /// answers the selection's passes. At rank 0 both results, bit for bit one node's; nil elsewhere.
    public static func statistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [Statistic], orderStatistics: [OrderStatistic], method: QuantileMethod = .linear, of source: () throws -> S,
        as _: Element.Type, ddof: Int = 0, limit: SizeLimit = .default, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> (statistics: Statistics, orderStatistics: [Double])? {
        let (share, count, grid, mine) = try loadShare(
            of: {
                guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
                return try source()
            }, as: Element.self, limit: limit, on: pool, world: world, timeout: timeout)
        let reduction = MomentsReduction<Element>(needs: MomentNeeds(for: statistics))
        let moments = try reduceShares(reduction, layout: .flat, world: world, timeout: timeout) {
            (grid.chunkCount, mine, try share.partials(reduction, ofRun: mine, of: grid, timeout: timeout ?? world.timeout))
        }
        let values = try select(orderStatistics, method: method, share: share, count: count, world: world, timeout: timeout)
        guard let m = moments?.first, let values else { return nil }
        let isInteger = !Element.dtype.isFloatingPoint
        return (Statistics(statistics, from: m, count: count, ddof: ddof, isInteger: isInteger), values)
    }

    /// This rank's share of the engine's grid over the dataset `source` opens, loaded (mapped, or read into
    /// shared memory), with the element count, the grid and the run; errors settled across the ranks.
    private static func loadShare<Element: SharedElement, S: StreamSource>(
        of source: () throws -> S, as _: Element.Type, limit: SizeLimit, on pool: WorkerPool, world: MPICommunicator, timeout: Duration?
    ) throws -> (share: SharedArray<Element>, count: Int, grid: ChunkPlan, run: Range<Int>) {
        var loaded: (share: SharedArray<Element>, count: Int, grid: ChunkPlan, run: Range<Int>)?
        let local = Result<[UInt8], any Error> {
            let opened = try source()
            guard opened.count > 0 else { throw ArrayError(.invalidArgument, operation: "order statistics", input: "array", "the array is empty") }
            let grid = StreamedReduction.grid(of: opened, as: Element.self)
            let mine = try grid.share(world.rank, of: world.size)
            loaded = (try StreamedReduction.load(opened, as: Element.self, chunks: mine, limit: limit, on: pool), opened.count, grid, mine)
            return []
        }
        _ = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard let loaded else { throw DistributedError("the share was not loaded") }
        return loaded
    }

    /// Medians, quantiles and percentiles of each column (`axis` 0) or row (axis 1) of the table (`rows` x
    /// `columns`) the dataset `source` opens, read as `Element`, across the ranks of `world`: at rank 0
    /// `result[i][j]`, statistic `i` of column (row) `j`, the values ``SharedArrays/SharedArray/orderStatistic(_:axis:method:timeout:)``
    /// gives on one node, bit for bit; nil on the other ranks.
    ///
    /// Each rank holds its run of the row-block grid (whole rows: mapped, or read into shared memory). Per
    /// row, each rank computes its rows as one node does and rank 0 puts them end to end; per column, rank 0
    /// drives the selection of ``orderStatistics(_:method:of:as:limit:on:world:timeout:)`` over every rank's
    /// part of the column, one column after the other.
    public static func axisOrderStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [OrderStatistic], axis: Int, method: QuantileMethod = .linear, of source: () throws -> (source: S, rows: Int, columns: Int),
        as _: Element.Type, limit: SizeLimit = .default, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> [[Double]]? {
        var share: SharedArray<Element>?
        var lines = 0
        var length = 0
        let local = Result<[UInt8], any Error> {
            let (table, rows, columns) = try source()
            guard rows >= 0, columns >= 0, CheckedSize.product(rows, columns) == table.count else {
                throw ArrayError(.invalidShape, operation: "order statistics", input: "shape", "\(table.count) elements are not \(rows) rows of \(columns) columns")
            }
            guard axis == 0 || axis == 1 else { throw ArrayError(.invalidArgument, operation: "order statistics", input: "axis", "axis must be 0 or 1, got \(axis)") }
            (lines, length) = axis == 0 ? (columns, rows) : (rows, columns)
            guard length > 0 else {
                throw ArrayError(.invalidArgument, operation: "order statistics", input: "array", "the arrays along axis \(axis) are empty (shape [\(rows), \(columns)])")
            }
            let grid = try StreamedReduction.grid(of: table, as: Element.self, layout: .rows(columns))
            let mine = try grid.share(world.rank, of: world.size)
            let rowRange = grid.elements(of: mine)
            let loaded = try StreamedReduction.load(
                table, as: Element.self, elements: rowRange.lowerBound * columns..<rowRange.upperBound * columns, limit: limit, on: pool)
            let held = try loaded.reshaped([rowRange.count, columns])
            share = held
            guard axis == 1, rowRange.count > 0 else { return [] }
            // Per row: this rank's rows, computed as one node computes them.
            return PartialBytes.encode(try statistics.flatMap { try held.orderStatistic($0, axis: 1, method: method, timeout: timeout) })
        }
        let payloads = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard let share else { throw DistributedError("the share was not loaded") }
        if axis == 1 {
            guard world.rank == 0 else { return nil }
            var out = Array(repeating: [Double](), count: statistics.count)
            for (r, bytes) in payloads.enumerated() {
                let values = try PartialBytes.decode(bytes, as: Double.self, from: r)
                guard values.count % Swift.max(1, statistics.count) == 0 else { throw DistributedError("rank \(r) sent \(values.count) values for \(statistics.count) statistics") }
                let rows = values.count / Swift.max(1, statistics.count)
                for i in statistics.indices { out[i] += values[i * rows..<(i + 1) * rows] }
            }
            guard out.allSatisfy({ $0.count == lines }) else { throw DistributedError("the ranks sent the results of \(out.first?.count ?? 0) rows, not \(lines)") }
            return out
        }
        if length < SharedArray<Element>.longRow {
            return try gatheredColumns(statistics, method: method, share: share, rows: length, on: pool, world: world, timeout: timeout)
        }
        // Few, long columns: the whole-array selection over every rank's part of each column, as one node
        // selects each long column by the whole-array passes.
        var out = Array(repeating: [Double](), count: statistics.count)
        let flat = share.flattened()
        for j in 0..<lines {
            // The key passes read a contiguous array: this rank's part of column j, copied.
            let column = flat.count == 0 ? flat : try flat.strided(from: j, by: lines).copy()
            guard let values = try select(statistics, method: method, share: column, count: length, world: world, timeout: timeout) else { continue }
            for i in statistics.indices { out[i].append(values[i]) }
        }
        return world.rank == 0 ? out : nil
    }

    /// Order statistics of the short columns (`rows` long) of a table whose rows the ranks hold (`share`):
    /// batches of whole columns (about 8 MiB each) are gathered at rank 0, which computes them as one node
    /// computes short columns (a table of the columns as rows, each sorted by the worker owning it).
    private static func gatheredColumns<Element: SharedElement>(
        _ statistics: [OrderStatistic], method: QuantileMethod, share: SharedArray<Element>, rows: Int, on pool: WorkerPool,
        world: MPICommunicator, timeout: Duration?
    ) throws -> [[Double]]? {
        let columns = share.rank == 2 ? share.shape[1] : 0
        let held = share.rank == 2 ? share.shape[0] : 0
        let batch = Swift.max(1, (8 << 20) / Swift.max(1, rows * MemoryLayout<Element>.stride))
        var out = Array(repeating: [Double](), count: statistics.count)
        for first in stride(from: 0, to: columns, by: batch) {
            let batchColumns = first..<Swift.min(columns, first + batch)
            let mine = Result { () throws -> [UInt8] in
                guard held > 0 else { return [] }
                let flat = share.flattened()
                return try batchColumns.flatMap { PartialBytes.encode(try flat.strided(from: $0, by: columns).toArray()) }
            }
            let parts = try RankOutcome.settle(mine, on: world, timeout: timeout)
            // Rank 0 computes the batch and tells every rank whether it could, before the next batch.
            let computed = Result { () throws -> [[Double]] in
                guard world.rank == 0 else { return [] }
                let table = try SharedArray<Element>(zeros: [batchColumns.count, rows], on: pool)
                var rowOffset = 0
                for (r, bytes) in parts.enumerated() {
                    let values = try PartialBytes.decode(bytes, as: Element.self, from: r)
                    let part = values.count / Swift.max(1, batchColumns.count)
                    guard part * batchColumns.count == values.count, rowOffset + part <= rows else {
                        throw DistributedError("rank \(r) sent \(values.count) values for \(batchColumns.count) columns")
                    }
                    for c in 0..<batchColumns.count {
                        (table.unsafeElementPointer + c * rows + rowOffset).update(from: values[c * part..<(c + 1) * part].withUnsafeBufferPointer { $0.baseAddress! }, count: part)
                    }
                    rowOffset += part
                }
                guard rowOffset == rows else { throw DistributedError("the ranks sent \(rowOffset) rows of columns of \(rows)") }
                return try statistics.map { try table.orderStatistic($0, axis: 1, method: method, timeout: timeout) }
            }
            let verdict = try world.broadcast(world.rank == 0 ? [(try? computed.get()) == nil ? 1 : 0] : [], timeout: timeout)
            switch computed {
            case .failure(let error as RankFailure): throw error
            case .failure(let error): throw RankFailure(rank: 0, message: "\(world.describe(rank: 0)): \(error)")
            case .success(let values):
                guard verdict.first == 0 else { throw DistributedFailure(reportedBy: 0) }
                for i in values.indices { out[i] += values[i] }
            }
        }
        return world.rank == 0 ? out : nil
    }

    /// Rank 0 runs the single-node selection of `statistics` over the ranks' `share`s (`count` elements in all);
    /// the other ranks answer its passes. The values at rank 0, nil elsewhere.
    private static func select<Element: SharedElement>(
        _ statistics: [OrderStatistic], method: QuantileMethod, share: SharedArray<Element>, count: Int, world: MPICommunicator,
        timeout: Duration?
    ) throws -> [Double]? {
        let passes = RankKeyPasses(share: share, count: count, world: world, timeout: timeout)
        guard world.rank == 0 else {
            try passes.follow()
            return nil
        }
        let values = Result { try OrderStatistic.evaluate(statistics, method: method, of: passes) }
        try passes.finish(failed: (try? values.get()) == nil)
        switch values {
        case .success(let values): return values
        case .failure(let error as RankFailure): throw error
        case .failure(let error): throw RankFailure(rank: 0, message: "\(world.describe(rank: 0)): \(error)")
        }
    }
}

/// The passes of an order statistic across the ranks: rank 0 runs the selection and, for each pass, tells
/// every rank what to do (a broadcast), does its own share and collects theirs (a gather); the other ranks
/// ``follow()`` until rank 0 ``finish(failed:)``es.
final class RankKeyPasses<Element: SharedElement>: OrderKeySource {
    private let share: SharedArray<Element>
    let count: Int
    private let world: MPICommunicator
    private let timeout: Duration?
    /// This rank's counts per (prefix bits, prefix), for the size of its part of a gather.
    private var localCounts: [UInt64: [Int64]] = [:]

    private enum Command: UInt8 { case done = 0, histogram = 1, gather = 2, failed = 3 }

    init(share: SharedArray<Element>, count: Int, world: MPICommunicator, timeout: Duration?) {
        self.share = share
        self.count = count
        self.world = world
        self.timeout = timeout
    }

    /// At most this many keys travel to rank 0 in one gather (2 MiB).
    var gatherLimit: Int { 1 << 16 }
    var gatherTotalLimit: Int { 1 << 18 }

    func keyHistogram(prefixBits: Int, prefix: UInt64) throws -> [Int64] {
        let parts = try run([Command.histogram.rawValue] + PartialBytes.encode([Int64(prefixBits), Int64(bitPattern: prefix)]))
        var total = [Int64](repeating: 0, count: 1 << 16)
        for (r, bytes) in parts.enumerated() {
            let counts = try PartialBytes.decode(bytes, as: Int64.self, from: r)
            guard counts.count == total.count else { throw DistributedError("rank \(r) sent \(counts.count) counts, not \(total.count)") }
            for i in total.indices { total[i] &+= counts[i] }
        }
        return total
    }

    func gatherKeys(prefixBits: Int, prefix: UInt64, digits: [Int], capacity: Int) throws -> [UInt64] {
        let parts = try run(
            [Command.gather.rawValue] + PartialBytes.encode([Int64(prefixBits), Int64(bitPattern: prefix)] + digits.map { Int64($0) }))
        var keys: [UInt64] = []
        keys.reserveCapacity(capacity)
        for (r, bytes) in parts.enumerated() { keys += try PartialBytes.decode(bytes, as: UInt64.self, from: r) }
        guard keys.count == capacity else {
            throw DistributedError("the ranks sent \(keys.count) keys where their histograms counted \(capacity)")
        }
        return keys
    }

    /// Rank 0: tells every rank to do `command`, does it on its own share, and returns every rank's answer
    /// in rank order (a rank's failure is thrown, naming it).
    private func run(_ command: [UInt8]) throws -> [[UInt8]] {
        _ = try world.broadcast(command, timeout: timeout)
        let answers = try world.gather(answer(command), timeout: timeout)
        for (r, bytes) in answers.enumerated() where bytes.first != 0 {
            throw RankFailure(rank: r, message: String(decoding: bytes.dropFirst(), as: UTF8.self))
        }
        return answers.map { Array($0.dropFirst()) }
    }

    /// This rank's answer to `command`: `[0]` and its counts or keys, or `[1]` and why it failed.
    private func answer(_ command: [UInt8]) -> [UInt8] {
        do {
            let words = try PartialBytes.decode(Array(command.dropFirst()), as: Int64.self, from: 0)
            guard words.count >= 2, (0...48).contains(words[0]), words[0] % 16 == 0 else { throw DistributedError("rank 0 sent a malformed pass") }
            let prefixBits = Int(words[0])
            let prefix = UInt64(bitPattern: words[1])
            let key = UInt64(prefixBits) << 58 ^ prefix
            if command.first == Command.histogram.rawValue {
                let counts = try share.count == 0 ? [Int64](repeating: 0, count: 1 << 16) : share.keyHistogram(prefixBits: prefixBits, prefix: prefix)
                localCounts[key] = counts
                return [0] + PartialBytes.encode(counts)
            }
            let digits = words.dropFirst(2).map { Int($0) }
            guard let counts = localCounts[key], digits.allSatisfy({ (0..<counts.count).contains($0) }) else {
                throw DistributedError("rank 0 asked for keys of a pass this rank did not count")
            }
            let mine = digits.reduce(0) { $0 + Int(counts[$1]) }
            let keys = mine == 0 ? [] : try share.gatherKeys(prefixBits: prefixBits, prefix: prefix, digits: digits, capacity: mine)
            return [0] + PartialBytes.encode(keys)
        } catch {
            return [1] + Array("\(world.describe(rank: world.rank)): \(error)".utf8)
        }
    }

    /// A rank other than 0: answers rank 0's passes until it says the selection is over.
    /// - Throws: a quiet ``DistributedFailure`` when rank 0 reports that the selection failed.
    func follow() throws {
        while true {
            let command = try world.broadcast([], timeout: timeout)
            switch command.first.flatMap(Command.init(rawValue:)) {
            case .done: return
            case .failed: throw DistributedFailure(reportedBy: 0)
            case .histogram, .gather: _ = try world.gather(answer(command), timeout: timeout)
            case nil: throw DistributedError("rank 0 sent an unknown order-statistics command")
            }
        }
    }

    /// Rank 0: tells every rank the selection is over (and whether it failed).
    func finish(failed: Bool) throws {
        _ = try world.broadcast([failed ? Command.failed.rawValue : Command.done.rawValue], timeout: timeout)
    }
}
#endif

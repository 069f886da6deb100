#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// Statistics of the values of the dataset `values` opens, read as `Value`, grouped by the integer keys of
    /// the dataset `keys` opens (the same element count), read as `Key` (int64 or int32), across the ranks of
    /// `world`: at rank 0 what ``SharedArrays/SharedArray/groupBy(keys:_:ddof:timeout:)`` gives on one node,
    /// bit for bit; nil on the other ranks.
    ///
    /// The passes are one node's, each made collective: the key range (a reduction across the ranks, then
    /// told to every rank), for sparse keys the distinct keys (each rank's share sorted and deduplicated,
    /// merged at rank 0 and sent to every rank as the group table), then per-group partials: each rank loads
    /// its run of the single-node partials grid (mapped, or read into shared memory), folds it, and rank 0
    /// finishes the same pairwise tree. The median is refused: each group's values would have to meet in one
    /// process.
    public static func groupBy<Key: SharedElement, Value: SharedElement, S: StreamSource>(
        keys: () throws -> S, values: () throws -> S, as _: (Key.Type, Value.Type), _ statistics: [GroupStatistic], ddof: Int = 0,
        limit: SizeLimit = .default, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> GroupedStatistics? {
        let wanted = Set(statistics)
        var opened: (keys: S, values: S)?
        _ = try RankOutcome.settle(Result {
            guard Key.dtype == .int64 || Key.dtype == .int32 else {
                throw ArrayError(.unsupportedType, operation: "groupBy", input: "keys", "keys must be int64 or int32, not \(Key.dtype.rawValue)")
            }
            guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "groupBy", input: "ddof", "ddof must be >= 0, got \(ddof)") }
            guard !wanted.contains(.median) else {
                throw ArrayError(
                    .invalidArgument, operation: "groupBy", input: "statistics",
                    "the median per group is not computed across ranks (each group's values would have to meet in one process); run it on one node")
            }
            let pair = (keys: try keys(), values: try values())
            guard pair.keys.count == pair.values.count else {
                throw ArrayError(.shapeMismatch, operation: "groupBy", input: "keys", "the keys have \(pair.keys.count) elements and the values \(pair.values.count); they must match")
            }
            opened = pair
            return []
        }, on: world, timeout: timeout)
        guard let (k, v) = opened else { throw DistributedError("the keys and values were not opened") }
        let isInteger = !Value.dtype.isFloatingPoint
        guard k.count > 0 else { return world.rank == 0 ? GroupByPlan.empty(wanted, valuesAreIntegers: isInteger) : nil }

        let range = try keyRange(of: k, as: Key.self, on: pool, world: world, timeout: timeout)
        let needs = GroupByPlan.needs(wanted)
        if let groups = GroupByPlan.denseGroups(range: range, count: k.count) {
            let partials = try groupPartials(
                GroupReduction<Key, Value>(base: range.min, groups: groups, needs: needs), keys: k, values: v, limit: limit, on: pool,
                world: world, timeout: timeout, foldedKeys: { $0 })
            return try partials.map {
                try GroupByPlan.statistics(
                    partials: $0, groupKeys: (0..<groups).map { range.min + Int64($0) }, wanted, ddof: ddof, valuesAreIntegers: isInteger,
                    medians: { throw DistributedError("no median across ranks") })
            }
        }
        let table = try distinctKeys(of: k, as: Key.self, limit: limit, on: pool, world: world, timeout: timeout)
        let partials = try groupPartials(
            GroupReduction<Int64, Value>(base: 0, groups: table.count, needs: needs), keys: k, values: v, limit: limit, on: pool,
            world: world, timeout: timeout, foldedKeys: { (share: SharedArray<Key>) in
                try share.groupIndices(table: table, plan: ChunkPlan(count: share.count, elementSize: 8))
            })
        return try partials.map {
            try GroupByPlan.statistics(
                partials: $0, groupKeys: table, wanted, ddof: ddof, valuesAreIntegers: isInteger,
                medians: { throw DistributedError("no median across ranks") })
        }
    }

    /// The smallest and largest key of all ranks, known to every rank.
    private static func keyRange<Key: SharedElement, S: StreamSource>(
        of keys: S, as _: Key.Type, on pool: WorkerPool, world: MPICommunicator, timeout: Duration?
    ) throws -> KeyRange {
        let atRoot = try reduce(KeyRangeReduction<Key>(), of: { keys }, on: pool, world: world, timeout: timeout)?.first
        let sent = try world.broadcast(atRoot.map { PartialBytes.encode([$0.min, $0.max]) } ?? [], timeout: timeout)
        let words = try PartialBytes.decode(sent, as: Int64.self, from: 0)
        guard words.count == 2 else { throw DistributedError("rank 0 sent \(words.count) words for the key range, not 2") }
        return KeyRange(min: words[0], max: words[1])
    }

    /// The sorted distinct keys of all ranks, known to every rank: each rank's share of the engine's grid
    /// deduplicated, merged at rank 0.
    private static func distinctKeys<Key: SharedElement, S: StreamSource>(
        of keys: S, as _: Key.Type, limit: SizeLimit, on pool: WorkerPool, world: MPICommunicator, timeout: Duration?
    ) throws -> [Int64] {
        let local = Result { () throws -> [UInt8] in
            let grid = StreamedReduction.grid(of: keys, as: Key.self)
            let share = try StreamedReduction.load(keys, as: Key.self, chunks: try grid.share(world.rank, of: world.size), limit: limit, on: pool)
            return share.count == 0 ? [] : PartialBytes.encode(try share.distinctKeys(plan: ChunkPlan(count: share.count, elementSize: 8)))
        }
        let parts = try RankOutcome.settle(local, on: world, timeout: timeout)
        var merged: [Int64] = []
        if world.rank == 0 {
            var all: [Int64] = []
            for (r, bytes) in parts.enumerated() { all += try PartialBytes.decode(bytes, as: Int64.self, from: r) }
            all.sort()
            merged.reserveCapacity(all.count)
            for key in all where merged.last != key { merged.append(key) }
        }
        let table = try PartialBytes.decode(world.broadcast(world.rank == 0 ? PartialBytes.encode(merged) : [], timeout: timeout), as: Int64.self, from: 0)
        guard !table.isEmpty, zip(table, table.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw DistributedError("rank 0 sent a key table that is not sorted distinct keys")
        }
        return table
    }

    /// The per-group partials of every rank's run of the single-node partials grid, combined at rank 0 in the
    /// single-node order (nil elsewhere). Each rank loads its run of keys and values and folds the keys as
    /// `foldedKeys` makes them (the keys themselves, or their indices in the sparse path's table).
    private static func groupPartials<Key: SharedElement, FoldedKey: SharedElement, Value: SharedElement, S: StreamSource>(
        _ reduction: GroupReduction<FoldedKey, Value>, keys: S, values: S, limit: SizeLimit, on pool: WorkerPool, world: MPICommunicator,
        timeout: Duration?, foldedKeys: (SharedArray<Key>) throws -> SharedArray<FoldedKey>
    ) throws -> [GroupPartial]? {
        try reduceShares(reduction, layout: .flat, world: world, timeout: timeout) {
            let plan = try GroupByPlan.partialsPlan(count: keys.count, groups: reduction.groups)
            let mine = try plan.share(world.rank, of: world.size)
            let elements = plan.elements(of: mine)
            let keyShare = try StreamedReduction.load(keys, as: Key.self, elements: elements, limit: limit, on: pool)
            let valueShare = try StreamedReduction.load(values, as: Value.self, elements: elements, limit: limit, on: pool)
            let partials = mine.isEmpty ? [] : try foldedKeys(keyShare).partials(
                reduction, pairedWith: valueShare, plan: plan.run(mine), chunks: 0..<mine.count, timeout: timeout ?? world.timeout)
            return (plan.chunkCount, mine, partials)
        }
    }
}
#endif

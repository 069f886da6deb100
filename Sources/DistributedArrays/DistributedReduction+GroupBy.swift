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
    /// finishes the same pairwise tree. For the median each group's values must meet in one process: they are
    /// shuffled (`MPI_Alltoallv`) to the rank that owns the group (the groups split into contiguous runs, one
    /// per rank), which sorts each group as one node does; rank 0 gathers the medians.
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
            var held: (keys: SharedArray<Key>, values: SharedArray<Value>)?
            let partials = try groupPartials(
                GroupReduction<Key, Value>(base: range.min, groups: groups, needs: needs), keys: k, values: v, limit: limit, on: pool,
                world: world, timeout: timeout, held: &held, foldedKeys: { $0 })
            let medians = wanted.contains(.median)
                ? try groupMedians(keys: held?.keys, values: held?.values, base: range.min, groups: groups, world: world, timeout: timeout) : nil
            return try partials.map {
                try GroupByPlan.statistics(
                    partials: $0, groupKeys: (0..<groups).map { range.min + Int64($0) }, wanted, ddof: ddof, valuesAreIntegers: isInteger,
                    medians: { try medians ?? { throw DistributedError("rank 0 has no medians") }() })
            }
        }
        let table = try distinctKeys(of: k, as: Key.self, limit: limit, on: pool, world: world, timeout: timeout)
        var held: (keys: SharedArray<Int64>, values: SharedArray<Value>)?
        let partials = try groupPartials(
            GroupReduction<Int64, Value>(base: 0, groups: table.count, needs: needs), keys: k, values: v, limit: limit, on: pool,
            world: world, timeout: timeout, held: &held, foldedKeys: { (share: SharedArray<Key>) in
                try share.groupIndices(table: table, plan: ChunkPlan(count: share.count, elementSize: 8))
            })
        let medians = wanted.contains(.median)
            ? try groupMedians(keys: held?.keys, values: held?.values, base: 0, groups: table.count, world: world, timeout: timeout) : nil
        return try partials.map {
            try GroupByPlan.statistics(
                partials: $0, groupKeys: table, wanted, ddof: ddof, valuesAreIntegers: isInteger,
                medians: { try medians ?? { throw DistributedError("rank 0 has no medians") }() })
        }
    }

    /// Every group's median at rank 0 (nil elsewhere), from each rank's `keys` (group `key - base`) and `values`
    /// beside them: the values are shuffled to the rank owning their group (contiguous runs of groups, as
    /// ``SharedArrays/ChunkPlan`` shares chunks), which computes its groups' medians as one node does.
    private static func groupMedians<FoldedKey: SharedElement, Value: SharedElement>(
        keys: SharedArray<FoldedKey>?, values: SharedArray<Value>?, base: Int64, groups: Int, world: MPICommunicator, timeout: Duration?
    ) throws -> [Double]? {
        let (q, r) = groups.quotientAndRemainder(dividingBy: world.size)
        let firstGroup = { (rank: Int) in rank * q + Swift.min(rank, r) }
        // Groups g < (q + 1) r belong to the first r ranks, q + 1 each; the rest q each (q > 0 there).
        let owner = { (g: Int) in g < (q + 1) * r ? g / (q + 1) : r + (g - (q + 1) * r) / q }
        let outgoing = Result { () throws -> [[UInt8]] in
            guard let keys, let values, keys.count == values.count else { throw DistributedError("the shares were not loaded") }
            var indices = Array(repeating: [Int64](), count: world.size)
            var picked = Array(repeating: [Double](), count: world.size)
            try keys.withUnsafeBufferPointer { k in
                try values.withUnsafeBufferPointer { v in
                    for i in k.indices {
                        let g = k[i].asInteger &- base
                        guard g >= 0, g < Int64(groups) else { throw DistributedError("a key outside the groups' range") }
                        let to = owner(Int(g))
                        indices[to].append(g)
                        picked[to].append(v[i].asDouble)
                    }
                }
            }
            return (0..<world.size).map { PartialBytes.encode([Int64(indices[$0].count)] + indices[$0]) + PartialBytes.encode(picked[$0]) }
        }
        _ = try RankOutcome.settle(outgoing.map { _ in [] }, on: world, timeout: timeout)
        let incoming = try world.allToAll(try outgoing.get(), timeout: timeout)
        let local = Result { () throws -> [UInt8] in
            let first = firstGroup(world.rank)
            let mine = firstGroup(world.rank + 1) - first
            var buckets = Array(repeating: [Double](), count: mine)
            for (from, bytes) in incoming.enumerated() {
                let words = 8
                guard bytes.count >= words else { throw DistributedError("rank \(from) sent \(bytes.count) bytes of group values") }
                let n = Int(try PartialBytes.decode(Array(bytes[0..<words]), as: Int64.self, from: from)[0])
                guard n >= 0, bytes.count == words * (1 + 2 * n) else { throw DistributedError("rank \(from) sent a malformed shuffle of \(bytes.count) bytes") }
                let g = try PartialBytes.decode(Array(bytes[words..<words * (1 + n)]), as: Int64.self, from: from)
                let v = try PartialBytes.decode(Array(bytes[(words * (1 + n))...]), as: Double.self, from: from)
                for j in 0..<n {
                    let slot = Int(g[j]) - first
                    guard (0..<mine).contains(slot) else { throw DistributedError("rank \(from) sent a value of group \(g[j]), not one of this rank's") }
                    buckets[slot].append(v[j])
                }
            }
            return PartialBytes.encode(buckets.map { bucket in
                var values = bucket[...]
                return GroupByPlan.median(sorting: &values)
            })
        }
        let parts = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard world.rank == 0 else { return nil }
        var medians: [Double] = []
        for (from, bytes) in parts.enumerated() { medians += try PartialBytes.decode(bytes, as: Double.self, from: from) }
        guard medians.count == groups else { throw DistributedError("the ranks sent \(medians.count) medians for \(groups) groups") }
        return medians
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
    /// `foldedKeys` makes them (the keys themselves, or their indices in the sparse path's table); `held`
    /// keeps those folded keys and the values for a later pass (the medians).
    private static func groupPartials<Key: SharedElement, FoldedKey: SharedElement, Value: SharedElement, S: StreamSource>(
        _ reduction: GroupReduction<FoldedKey, Value>, keys: S, values: S, limit: SizeLimit, on pool: WorkerPool, world: MPICommunicator,
        timeout: Duration?, held: inout (keys: SharedArray<FoldedKey>, values: SharedArray<Value>)?,
        foldedKeys: (SharedArray<Key>) throws -> SharedArray<FoldedKey>
    ) throws -> [GroupPartial]? {
        try reduceShares(reduction, layout: .flat, world: world, timeout: timeout) {
            let plan = try GroupByPlan.partialsPlan(count: keys.count, groups: reduction.groups)
            let mine = try plan.share(world.rank, of: world.size)
            let elements = plan.elements(of: mine)
            let keyShare = try StreamedReduction.load(keys, as: Key.self, elements: elements, limit: limit, on: pool)
            let valueShare = try StreamedReduction.load(values, as: Value.self, elements: elements, limit: limit, on: pool)
            let folded = try foldedKeys(keyShare)
            held = (folded, valueShare)
            let partials = mine.isEmpty ? [] : try folded.partials(
                reduction, pairedWith: valueShare, plan: plan.run(mine), chunks: 0..<mine.count, timeout: timeout ?? world.timeout)
            return (plan.chunkCount, mine, partials)
        }
    }
}
#endif

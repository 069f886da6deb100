import Multiprocessing

extension SharedArray {
    /// Statistics of this array's values grouped by `keys` (an int64 or int32 array of the same length):
    /// per distinct key, ascending, the `statistics` asked for, with numpy's semantics for each group (a
    /// NaN in a group makes its sum, mean, var, std, min, max and median NaN; `ddof` as in `np.var`).
    /// Results are float64; for integer values ``GroupedStatistics/integerSums`` also holds numpy's exact
    /// (wrapping) int64 sums.
    ///
    /// Keys whose range is small next to the length (like `np.bincount`) get one partial slot per key in
    /// the range; other keys are first mapped to dense indices (distinct keys per chunk, merged, then a
    /// binary search per element). Either way each chunk folds its elements into per-group partials
    /// (count, sum, squared deviations from the chunk's group mean, extrema) and the partials merge in
    /// the fixed pairwise order, so results are the same, bit for bit, for any number of workers. The
    /// median is computed in the calling process, serially (the values are bucketed by group and each
    /// group sorted).
    ///
    /// ```swift
    /// let byHour = try temperature.groupBy(keys: hour, [.count, .mean, .std])
    /// ```
    public func groupBy<Key: SharedElement>(
        keys: SharedArray<Key>, _ statistics: [GroupStatistic] = GroupStatistic.allCases, ddof: Int = 0,
        timeout: Duration? = nil
    ) throws -> GroupedStatistics {
        guard Key.dtype == .int64 || Key.dtype == .int32 else {
            throw ArrayError(.unsupportedType, operation: "groupBy", input: "keys", "keys must be int64 or int32, not \(Key.dtype.rawValue)")
        }
        guard keys.count == count else {
            throw ArrayError(.shapeMismatch, operation: "groupBy", input: "keys", "the keys have \(keys.count) elements and the values \(count); they must match")
        }
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "groupBy", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        return try WorkerPool.withTimeout(timeout) {
            let keys = keys.isContiguous ? keys.flattened() : try keys.copy().flattened()
            let values = isContiguous ? flattened() : try copy().flattened()
            return try values.grouped(by: keys, Set(statistics), ddof: ddof)
        }
    }

    private func grouped<Key: SharedElement>(by keys: SharedArray<Key>, _ statistics: Set<GroupStatistic>, ddof: Int) throws
        -> GroupedStatistics
    {
        let isInteger = !Element.dtype.isFloatingPoint
        guard count > 0 else { return GroupByPlan.empty(statistics, valuesAreIntegers: isInteger) }
        let range = try keys.reduce(KeyRangeReduction<Key>())[0]
        let needs = GroupByPlan.needs(statistics)
        let partials: [GroupPartial]
        let groupKeys: [Int64]
        var groupOf: (Int) -> Int
        if let groups = GroupByPlan.denseGroups(range: range, count: count) {
            partials = try keys.reduce(
                GroupReduction<Key, Element>(base: range.min, groups: groups, needs: needs), pairedWith: self,
                plan: try GroupByPlan.partialsPlan(count: count, groups: groups))
            groupKeys = (0..<groups).map { range.min + Int64($0) }
            let base = range.min
            let k = UnsafeBufferPointer(start: keys.unsafeElementPointer, count: count)
            groupOf = { Int(k[$0].asInteger - base) }
        } else {
            let plan = ChunkPlan(count: count, elementSize: 8)
            groupKeys = try keys.distinctKeys(plan: plan)
            let indices = try keys.groupIndices(table: groupKeys, plan: plan)
            partials = try indices.reduce(
                GroupReduction<Int64, Element>(base: 0, groups: groupKeys.count, needs: needs), pairedWith: self,
                plan: try GroupByPlan.partialsPlan(count: count, groups: groupKeys.count))
            let k = UnsafeBufferPointer(start: indices.unsafeElementPointer, count: count)
            groupOf = { i in withExtendedLifetime(indices) { Int(k[i]) } }
        }
        return GroupByPlan.statistics(
            partials: partials, groupKeys: groupKeys, statistics, ddof: ddof, valuesAreIntegers: isInteger,
            medians: { medians(groups: partials.count, groupOf: groupOf) })
    }

    /// Each group's median, numpy's way (NaN if the group holds one; the mean of the two middle values
    /// for an even count), by bucketing the values per group and sorting each bucket.
    private func medians(groups: Int, groupOf: (Int) -> Int) -> [Double] {
        var starts = [Int](repeating: 0, count: groups + 1)
        for i in 0..<count { starts[groupOf(i) + 1] += 1 }
        for g in 0..<groups { starts[g + 1] += starts[g] }
        var next = starts
        var bucketed = [Double](repeating: 0, count: count)
        let v = elementPointer
        for i in 0..<count {
            let g = groupOf(i)
            bucketed[next[g]] = v[i].asDouble
            next[g] += 1
        }
        return (0..<groups).map { g in GroupByPlan.median(sorting: &bucketed[starts[g]..<starts[g + 1]]) }
    }
}

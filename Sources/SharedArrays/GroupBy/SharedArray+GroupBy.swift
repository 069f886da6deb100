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

    /// Partials per chunk times chunks stays below this, so memory and the parent's merge stay small.
    static var groupSlotBudget: Int { 1 << 18 }

    private func grouped<Key: SharedElement>(by keys: SharedArray<Key>, _ statistics: Set<GroupStatistic>, ddof: Int) throws
        -> GroupedStatistics
    {
        guard count > 0 else {
            return GroupedStatistics(
                keys: [], counts: [], values: Dictionary(uniqueKeysWithValues: statistics.map { ($0, []) }),
                integerSums: !Element.dtype.isFloatingPoint && statistics.contains(.sum) ? [] : nil)
        }
        let range = try keys.reduce(KeyRangeReduction<Key>())[0]
        let span = range.max.subtractingReportingOverflow(range.min)
        let dense = !span.overflow && span.partialValue < Swift.min(Int64(1 << 22), Int64(Swift.max(4096, count / 8)))
        var needs: GroupNeeds = []
        if statistics.contains(.variance) || statistics.contains(.std) { needs.insert(.spread) }
        if statistics.contains(.min) || statistics.contains(.max) { needs.insert(.extrema) }
        let partials: [GroupPartial]
        let groupKeys: [Int64]
        var groupOf: (Int) -> Int
        if dense {
            let groups = Int(span.partialValue) + 1
            partials = try reduceGroups(keys, base: range.min, groups: groups, needs: needs)
            groupKeys = (0..<groups).map { range.min + Int64($0) }
            let base = range.min
            let k = UnsafeBufferPointer(start: keys.unsafeElementPointer, count: count)
            groupOf = { Int(k[$0].asInteger - base) }
        } else {
            let plan = ChunkPlan(count: count, elementSize: 8)
            groupKeys = try keys.distinctKeys(plan: plan)
            let indices = try keys.groupIndices(table: groupKeys, plan: plan)
            partials = try reduceGroups(indices, base: 0, groups: groupKeys.count, needs: needs)
            let k = UnsafeBufferPointer(start: indices.unsafeElementPointer, count: count)
            groupOf = { i in withExtendedLifetime(indices) { Int(k[i]) } }
        }
        let present = partials.indices.filter { partials[$0].count > 0 }
        var values: [GroupStatistic: [Double]] = [:]
        let divisor = { (p: GroupPartial) in Double(Swift.max(p.count - Int64(ddof), 0)) }
        let isInteger = !Element.dtype.isFloatingPoint
        for statistic in statistics {
            switch statistic {
            case .count: values[.count] = present.map { Double(partials[$0].count) }
            case .sum: values[.sum] = present.map { isInteger ? Double(partials[$0].integerSum) : partials[$0].sum }
            case .mean: values[.mean] = present.map { partials[$0].sum / Double(partials[$0].count) }
            case .variance: values[.variance] = present.map { partials[$0].spreadOrNaN / divisor(partials[$0]) }
            case .std: values[.std] = present.map { (partials[$0].spreadOrNaN / divisor(partials[$0])).squareRoot() }
            case .min: values[.min] = present.map { partials[$0].min }
            case .max: values[.max] = present.map { partials[$0].max }
            case .median: values[.median] = medians(groups: partials.count, groupOf: groupOf).indicesOf(present)
            }
        }
        return GroupedStatistics(
            keys: present.map { groupKeys[$0] }, counts: present.map { Int(partials[$0].count) }, values: values,
            integerSums: isInteger && statistics.contains(.sum) ? present.map { partials[$0].integerSum } : nil)
    }

    /// The group-by reduction of this array's values over `keys` shifted by `base`, on a grid coarse enough
    /// that chunks times groups stays within ``groupSlotBudget``: with many groups there are few chunks, so
    /// the fold runs on fewer workers (from 2^15 groups on, at most 8 chunks).
    private func reduceGroups<Key: SharedElement>(_ keys: SharedArray<Key>, base: Int64, groups: Int, needs: GroupNeeds) throws
        -> [GroupPartial]
    {
        // Partials (48 bytes a group) plus a worker's fold scratch (24 bytes a group), per chunk: refuse
        // clearly what memory cannot hold rather than be killed part way.
        let perChunk = CheckedSize.product(groups, MemoryLayout<GroupPartial>.stride + 24) ?? Int.max
        if let available = SharedMemory.availableMemory(), perChunk > available / 4 {
            throw ArrayError(
                .tooLarge, operation: "groupBy", input: "keys",
                "\(groups) groups need \(perChunk >> 20) MiB of partials per chunk, more than a quarter of the "
                    + "\(available >> 20) MiB of memory available")
        }
        let standard = ChunkPlan(count: count, elementSize: 8)
        let maximumChunks = Swift.max(1, Self.groupSlotBudget / Swift.max(groups, 1))
        let plan = standard.chunkCount <= maximumChunks ? standard
            : ChunkPlan(count: count, elementSize: 8, targetBytes: (count / maximumChunks + 1) * 8)
        return try keys.reduce(GroupReduction<Key, Element>(base: base, groups: groups, needs: needs), pairedWith: self, plan: plan)
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
        return (0..<groups).map { g in
            let lo = starts[g]
            let hi = starts[g + 1]
            guard hi > lo else { return .nan }
            if bucketed[lo..<hi].contains(where: { $0.isNaN }) { return .nan }
            bucketed[lo..<hi].sort()
            let n = hi - lo
            let mid = lo + n / 2
            return n % 2 == 1 ? bucketed[mid] : (bucketed[mid - 1] + bucketed[mid]) / 2
        }
    }
}

extension GroupPartial {
    /// The squared deviations, NaN when a value was not finite (numpy's var of such a group).
    var spreadOrNaN: Double { sum.isFinite ? m2 : .nan }
}

extension Array where Element == Double {
    fileprivate func indicesOf(_ indices: [Int]) -> [Double] { indices.map { self[$0] } }
}

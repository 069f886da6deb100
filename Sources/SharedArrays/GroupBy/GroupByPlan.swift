import Multiprocessing

/// The decisions of a group-by that depend only on the data: dense or sparse keys, the grid of the per-group
/// partials, and the statistics made from the merged partials. One node (``SharedArray/groupBy(keys:_:ddof:timeout:)``)
/// and the ranks of an MPI job (`DistributedReduction.groupBy`) make them the same way, so both give the
/// same bits.
package enum GroupByPlan {
    /// Partials per chunk times chunks stays below this, so memory and the final merge stay small.
    package static var slotBudget: Int { 1 << 18 }

    /// The number of dense groups (one slot per key from `range.min` to `range.max`, like `np.bincount`) when
    /// the range is small next to `count`; nil when the keys take the sparse path (distinct keys first).
    package static func denseGroups(range: KeyRange, count: Int) -> Int? {
        let span = range.max.subtractingReportingOverflow(range.min)
        guard !span.overflow, span.partialValue >= 0, span.partialValue < Swift.min(Int64(1 << 22), Int64(Swift.max(4096, count / 8))) else {
            return nil
        }
        return Int(span.partialValue) + 1
    }

    /// What each chunk computes per group for `statistics`.
    package static func needs(_ statistics: Set<GroupStatistic>) -> GroupNeeds {
        var needs: GroupNeeds = []
        if statistics.contains(.variance) || statistics.contains(.std) { needs.insert(.spread) }
        if statistics.contains(.min) || statistics.contains(.max) { needs.insert(.extrema) }
        return needs
    }

    /// The grid of the per-group partials over `count` elements: the engine's grid, coarsened so that chunks
    /// times groups stays within ``slotBudget`` (with many groups there are few chunks: from 2^15 groups on,
    /// at most 8). Refuses clearly what memory cannot hold (48 bytes of partial and 24 of a worker's fold
    /// scratch per group and chunk) rather than be killed part way.
    package static func partialsPlan(count: Int, groups: Int) throws -> ChunkPlan {
        let perChunk = CheckedSize.product(groups, MemoryLayout<GroupPartial>.stride + 24) ?? Int.max
        if let available = SharedMemory.availableMemory(), perChunk > available / 4 {
            throw ArrayError(
                .tooLarge, operation: "groupBy", input: "keys",
                "\(groups) groups need \(perChunk >> 20) MiB of partials per chunk, more than a quarter of the "
                    + "\(available >> 20) MiB of memory available")
        }
        let standard = ChunkPlan(count: count, elementSize: 8)
        let maximumChunks = Swift.max(1, slotBudget / Swift.max(groups, 1))
        return standard.chunkCount <= maximumChunks ? standard
            : ChunkPlan(count: count, elementSize: 8, targetBytes: (count / maximumChunks + 1) * 8)
    }

    /// The statistics of the groups present (count > 0) from their merged `partials` (group `g` is key
    /// `groupKeys[g]`), with numpy's semantics; `medians` gives every group's median when it is asked for.
    package static func statistics(
        partials: [GroupPartial], groupKeys: [Int64], _ statistics: Set<GroupStatistic>, ddof: Int, valuesAreIntegers isInteger: Bool,
        medians: () throws -> [Double]
    ) rethrows -> GroupedStatistics {
        let present = partials.indices.filter { partials[$0].count > 0 }
        var values: [GroupStatistic: [Double]] = [:]
        let divisor = { (p: GroupPartial) in Double(Swift.max(p.count - Int64(ddof), 0)) }
        for statistic in statistics {
            switch statistic {
            case .count: values[.count] = present.map { Double(partials[$0].count) }
            case .sum: values[.sum] = present.map { isInteger ? Double(partials[$0].integerSum) : partials[$0].sum }
            case .mean: values[.mean] = present.map { partials[$0].sum / Double(partials[$0].count) }
            case .variance: values[.variance] = present.map { partials[$0].spreadOrNaN / divisor(partials[$0]) }
            case .std: values[.std] = present.map { (partials[$0].spreadOrNaN / divisor(partials[$0])).squareRoot() }
            case .min: values[.min] = present.map { partials[$0].min }
            case .max: values[.max] = present.map { partials[$0].max }
            case .median:
                let all = try medians()
                values[.median] = present.map { all[$0] }
            }
        }
        return GroupedStatistics(
            keys: present.map { groupKeys[$0] }, counts: present.map { Int(partials[$0].count) }, values: values,
            integerSums: isInteger && statistics.contains(.sum) ? present.map { partials[$0].integerSum } : nil)
    }

    /// numpy's median of one group's values, sorting them: NaN when one is NaN (or there are none), else the
    /// middle value, or the mean of the two middle ones for an even count.
    package static func median(sorting values: inout ArraySlice<Double>) -> Double {
        guard !values.isEmpty, !values.contains(where: { $0.isNaN }) else { return .nan }
        values.sort()
        let mid = values.startIndex + values.count / 2
        return values.count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
    }

    /// The result of a group-by of no elements.
    package static func empty(_ statistics: Set<GroupStatistic>, valuesAreIntegers isInteger: Bool) -> GroupedStatistics {
        GroupedStatistics(
            keys: [], counts: [], values: Dictionary(uniqueKeysWithValues: statistics.map { ($0, []) }),
            integerSums: isInteger && statistics.contains(.sum) ? [] : nil)
    }
}

extension GroupPartial {
    /// The squared deviations, NaN when a value was not finite (numpy's var of such a group).
    var spreadOrNaN: Double { sum.isFinite ? m2 : .nan }
}

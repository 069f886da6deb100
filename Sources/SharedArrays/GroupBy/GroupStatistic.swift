/// A per-group statistic of ``SharedArray/groupBy(keys:_:ddof:timeout:)``.
public enum GroupStatistic: String, Sendable, CaseIterable, Hashable, Codable {
    case count, sum, mean
    case variance = "var"
    case std, min, max, median

    /// Parses a name as typed (`count`, `var`, `variance`, `std`, ...).
    public init?(name: String) {
        let key = name.lowercased()
        if key == "variance" { self = .variance } else if let s = GroupStatistic(rawValue: key) { self = s } else { return nil }
    }
}

/// Per-key statistics from ``SharedArray/groupBy(keys:_:ddof:timeout:)``: the keys present, ascending, and
/// for each statistic asked for one value per key (index `i` belongs to `keys[i]`).
public struct GroupedStatistics: Sendable, Equatable {
    /// The distinct keys, ascending.
    public let keys: [Int64]
    /// Elements per key.
    public let counts: [Int]
    /// The statistics computed, one value per key each (`count` as Double too).
    public let values: [GroupStatistic: [Double]]
    /// For integer values with `sum` asked for: numpy's exact, wrapping int64 sums (``values`` holds them
    /// rounded to Double).
    public let integerSums: [Int64]?

    /// The values of `statistic`, or nil when it was not asked for.
    public subscript(_ statistic: GroupStatistic) -> [Double]? { values[statistic] }
}

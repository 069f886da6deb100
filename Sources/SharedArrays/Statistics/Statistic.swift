/// A statistic ``SharedArray/statistics(_:ddof:timeout:)`` can compute, named as numpy names it.
///
/// Plain statistics propagate NaN (a NaN anywhere makes `sum`, `mean`, `min` ... NaN, and `argmin`
/// the index of the first NaN); the `nan` variants skip NaNs, like `np.nanmean`.
public enum Statistic: String, Sendable, CaseIterable, Codable, Hashable {
    case count, sum, mean, `var`, std, min, max, argmin, argmax, norm
    case nancount, nansum, nanmean, nanvar, nanstd, nanmin, nanmax, nanargmin, nanargmax

    /// The statistics a user gets when asking for none in particular.
    public static let summary: [Statistic] = [.count, .mean, .std, .min, .max]

    /// Parses a name: numpy's (`var`, `nanmean`) or a spelled-out alias (`variance`, `average`, `l2`).
    public init?(name: String) {
        let key = name.lowercased().trimmingCharacters(in: " ")
        let aliases: [String: Statistic] = [
            "variance": .var, "average": .mean, "l2": .norm, "minimum": .min, "maximum": .max, "total": .sum,
            "n": .count, "stddev": .std,
        ]
        if let s = Statistic(rawValue: key) ?? aliases[key] { self = s } else { return nil }
    }

    var skipsNaN: Bool { rawValue.hasPrefix("nan") }

    /// What a chunk must compute for this statistic.
    public var needs: MomentNeeds {
        switch self {
        case .count, .nancount, .sum, .nansum, .mean, .nanmean: [.sum]
        case .var, .std, .nanvar, .nanstd: [.sum, .variance]
        case .min, .max, .nanmin, .nanmax: [.extrema]
        case .argmin, .nanargmin: [.extrema, .argMinimum]
        case .argmax, .nanargmax: [.extrema, .argMaximum]
        case .norm: [.sumOfSquares]
        }
    }

    /// Whether the value is an index or a count (an integer).
    public var isInteger: Bool {
        switch self {
        case .count, .nancount, .argmin, .argmax, .nanargmin, .nanargmax: true
        default: false
        }
    }

    /// The value of this statistic from combined moments. Index statistics are nil for an empty (or,
    /// for the nan variants, all-NaN) input, where numpy raises.
    public func value(from m: Moments, ddof: Int, isInteger: Bool) -> Double? {
        switch self {
        case .count: Self.total(m.count, m.nanCount)
        case .nancount: Double(m.count)
        case .sum: isInteger ? Double(m.intSum) : m.total(skipNaN: false)
        case .nansum: isInteger ? Double(m.intSum) : m.total(skipNaN: true)
        case .mean: m.mean(skipNaN: false)
        case .nanmean: m.mean(skipNaN: true)
        case .var: m.variance(ddof: ddof, skipNaN: false)
        case .nanvar: m.variance(ddof: ddof, skipNaN: true)
        case .std: m.std(ddof: ddof, skipNaN: false)
        case .nanstd: m.std(ddof: ddof, skipNaN: true)
        case .min: m.count == 0 && m.nanCount == 0 ? nil : m.minimum(skipNaN: false)
        case .max: m.count == 0 && m.nanCount == 0 ? nil : m.maximum(skipNaN: false)
        case .nanmin: m.count == 0 ? nil : m.minimum(skipNaN: true)
        case .nanmax: m.count == 0 ? nil : m.maximum(skipNaN: true)
        case .argmin: m.argmin(skipNaN: false).map(Double.init)
        case .argmax: m.argmax(skipNaN: false).map(Double.init)
        case .nanargmin: m.argmin(skipNaN: true).map(Double.init)
        case .nanargmax: m.argmax(skipNaN: true).map(Double.init)
        case .norm: m.l2norm
        }
    }

    /// count + nanCount as a Double, without trapping on moments built by hand past `Int.max`.
    private static func total(_ count: Int, _ nanCount: Int) -> Double {
        let (sum, overflow) = count.addingReportingOverflow(nanCount)
        return overflow ? Double(count) + Double(nanCount) : Double(sum)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

extension MomentNeeds {
    /// What a pass must compute for all of `statistics`.
    public init<S: Sequence>(for statistics: S) where S.Element == Statistic {
        self = statistics.reduce(into: MomentNeeds()) { $0.formUnion($1.needs) }
    }
}

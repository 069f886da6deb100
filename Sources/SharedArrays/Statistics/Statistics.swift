/// The result of ``SharedArray/statistics(_:ddof:timeout:)``: each requested statistic's value, in request order.
///
/// A value is `nil` where numpy raises (the min, max or argmin of an empty array).
public struct Statistics: Sendable, Equatable {
    /// (statistic, value) in the order asked.
    public let values: [(Statistic, Double?)]
    /// Elements the statistics cover.
    public let count: Int

    public init(values: [(Statistic, Double?)], count: Int) {
        self.values = values
        self.count = count
    }

    public subscript(_ statistic: Statistic) -> Double? {
        values.first { $0.0 == statistic }?.1 ?? nil
    }

    /// `statistics` from the moments `m` of `count` elements (`ddof` as in `np.var`; `isInteger` for integer
    /// elements, whose sums are exact).
    public init(_ statistics: [Statistic], from m: Moments, count: Int, ddof: Int, isInteger: Bool) {
        self.init(values: statistics.map { ($0, $0.value(from: m, ddof: ddof, isInteger: isInteger)) }, count: count)
    }

    /// The statistics of each part from its moments (part `i` holds `counts[i]` elements): what
    /// ``StridedPartition/statistics(_:ddof:)`` returns, on one node or across the ranks of an MPI job.
    public static func ofParts(_ parts: [Moments], _ statistics: [Statistic], counts: [Int], ddof: Int, isInteger: Bool) -> [Statistics] {
        zip(parts, counts).map { m, count in
            Statistics(statistics, from: m, count: count, ddof: ddof, isInteger: isInteger)
        }
    }

    public static func == (a: Statistics, b: Statistics) -> Bool {
        a.count == b.count && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { x, y in
                x.0 == y.0 && (x.1 == y.1 || (x.1?.isNaN == true && y.1?.isNaN == true))
            }
    }
}

/// Statistics along an axis of a 2-D array: one value per column (axis 0) or per row (axis 1).
public struct AxisStatistics: Sendable {
    /// 0: one value per column; 1: one value per row.
    public let axis: Int
    /// (statistic, values) in the order asked; a nil value is where numpy raises.
    public let values: [(Statistic, [Double?])]

    public init(axis: Int, values: [(Statistic, [Double?])]) {
        self.axis = axis
        self.values = values
    }

    public subscript(_ statistic: Statistic) -> [Double?]? {
        values.first { $0.0 == statistic }?.1
    }
}

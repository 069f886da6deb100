import Multiprocessing

/// One order statistic, for computing several in one set of passes with
/// ``SharedArray/orderStatistics(_:method:timeout:)``; each is computed as numpy computes it alone
/// (`np.percentile(a, 99.0)`, a scalar `q`).
public enum OrderStatistic: Hashable, Sendable {
    case median, nanmedian
    /// `q` in [0, 1].
    case quantile(Double), nanquantile(Double)
    /// `p` in [0, 100].
    case percentile(Double), nanpercentile(Double)

    var skipsNaN: Bool {
        switch self {
        case .nanmedian, .nanquantile, .nanpercentile: true
        default: false
        }
    }
}

extension SharedArray {
    /// Several order statistics of the whole array sharing one set of passes; `method` applies to the
    /// quantiles and percentiles.
    ///
    /// ```swift
    /// let r = try x.orderStatistics([.median, .percentile(99), .nanquantile(0.25)])
    /// ```
    public func orderStatistics(
        _ statistics: [OrderStatistic], method: QuantileMethod = .linear, timeout: Duration? = nil
    ) throws -> [Double] {
        let requests = try statistics.map { try orderRequest($0, method: method) }
        return try orderStatistics(requests, name: "order statistics", timeout: timeout).map { $0[0] }
    }

    /// One order statistic along an axis of a 2-D table (axis 0: per column, 1: per row).
    public func orderStatistic(_ statistic: OrderStatistic, axis: Int, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        let (request, skipNaN) = try orderRequest(statistic, method: method)
        return try axisOrderStatistics(request, axis: axis, skipNaN: skipNaN, name: "\(statistic)", timeout: timeout)[0]
    }

    private func orderRequest(_ s: OrderStatistic, method: QuantileMethod) throws -> (OrderRequest, skipNaN: Bool) {
        switch s {
        case .median, .nanmedian: return (.median, s.skipsNaN)
        case .quantile(let q), .nanquantile(let q):
            return (.quantiles(try checkedQuantiles([q], "quantile"), method, scalarQ: true), s.skipsNaN)
        case .percentile(let p), .nanpercentile(let p):
            guard p / 100 >= 0 && p / 100 <= 1 else { throw ArrayError(.invalidArgument, operation: "percentile", input: "p", "p must be in [0, 100], got \(p)") }
            return (.quantiles([p / 100], method, scalarQ: true), s.skipsNaN)
        }
    }
}

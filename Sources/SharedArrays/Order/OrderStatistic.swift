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
        try s.request(method: method)
    }
}

extension OrderStatistic {
    /// What computes this statistic, and whether it skips NaN.
    func request(method: QuantileMethod) throws -> (OrderRequest, skipNaN: Bool) {
        switch self {
        case .median, .nanmedian: return (.median, skipsNaN)
        case .quantile(let q), .nanquantile(let q):
            guard q >= 0 && q <= 1 else { throw ArrayError(.invalidArgument, operation: "quantile", input: "q", "q must be in [0, 1], got \(q)") }
            return (.quantiles([q], method, scalarQ: true), skipsNaN)
        case .percentile(let p), .nanpercentile(let p):
            guard p / 100 >= 0 && p / 100 <= 1 else { throw ArrayError(.invalidArgument, operation: "percentile", input: "p", "p must be in [0, 100], got \(p)") }
            return (.quantiles([p / 100], method, scalarQ: true), skipsNaN)
        }
    }

    /// `statistics` of the elements of `source`, sharing one set of passes: the same code, and so the same
    /// bits, as ``SharedArray/orderStatistics(_:method:timeout:)`` on one node, wherever `source`'s passes
    /// run (an MPI job's ranks, each holding a share).
    public static func evaluate<S: OrderKeySource>(_ statistics: [OrderStatistic], method: QuantileMethod = .linear, of source: S) throws -> [Double] {
        guard source.count > 0 else { throw ArrayError(.invalidArgument, operation: "order statistics", input: "array", "the array is empty") }
        let requests = try statistics.map { try $0.request(method: method) }
        return try OrderRequest.evaluate(requests, of: source).map { $0[0] }
    }
}

import Multiprocessing

/// Exact medians, quantiles and percentiles with numpy's semantics, by parallel selection (about two
/// passes over the data, not a sort), the same for any number of workers.
///
/// `median` and `quantile` return NaN when the data holds a NaN (as numpy does); the `nan` variants skip
/// NaN and return NaN only when nothing else is left. An empty array, or a `q` outside [0, 1] (`p` outside
/// [0, 100]), is an error. Results are Doubles; for `float32` data they are numpy's float32 results.
///
/// ```swift
/// let m = try x.median()
/// let qs = try x.quantile([0.05, 0.25, 0.5, 0.75, 0.95])       // the passes are shared
/// let p99 = try x.percentile(99, method: .nearest)
/// ```
extension SharedArray {
    /// The median: the middle value, or the mean of the two middle values (`np.median`).
    public func median(timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.median, skipNaN: false, name: "median", timeout: timeout)[0]
    }

    /// The median of the non-NaN values (`np.nanmedian`).
    public func nanmedian(timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.median, skipNaN: true, name: "nanmedian", timeout: timeout)[0]
    }

    /// Quantile `q` in [0, 1] (`np.quantile(a, q, method=...)` with a scalar `q`).
    public func quantile(_ q: Double, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.quantiles(try checkedQuantiles([q], "quantile"), method, scalarQ: true), skipNaN: false, name: "quantile",
                            timeout: timeout)[0]
    }

    /// Several quantiles in one set of passes (`np.quantile(a, [q...], method=...)`).
    public func quantile(_ q: [Double], method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try orderStatistics(.quantiles(try checkedQuantiles(q, "quantile"), method, scalarQ: false), skipNaN: false, name: "quantile",
                            timeout: timeout)
    }

    /// Quantile `q` of the non-NaN values (`np.nanquantile`).
    public func nanquantile(_ q: Double, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.quantiles(try checkedQuantiles([q], "nanquantile"), method, scalarQ: true), skipNaN: true,
                            name: "nanquantile", timeout: timeout)[0]
    }

    /// Several quantiles of the non-NaN values (`np.nanquantile(a, [q...])`).
    public func nanquantile(_ q: [Double], method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try orderStatistics(.quantiles(try checkedQuantiles(q, "nanquantile"), method, scalarQ: false), skipNaN: true,
                            name: "nanquantile", timeout: timeout)
    }

    /// Percentile `p` in [0, 100] (`np.percentile`): the quantile `p / 100`.
    public func percentile(_ p: Double, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.quantiles(try checkedPercent([p], "percentile"), method, scalarQ: true), skipNaN: false,
                            name: "percentile", timeout: timeout)[0]
    }

    /// Several percentiles in one set of passes.
    public func percentile(_ p: [Double], method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try orderStatistics(.quantiles(try checkedPercent(p, "percentile"), method, scalarQ: false), skipNaN: false,
                            name: "percentile", timeout: timeout)
    }

    /// Percentile `p` of the non-NaN values (`np.nanpercentile`).
    public func nanpercentile(_ p: Double, method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> Double {
        try orderStatistics(.quantiles(try checkedPercent([p], "nanpercentile"), method, scalarQ: true), skipNaN: true,
                            name: "nanpercentile", timeout: timeout)[0]
    }

    /// Several percentiles of the non-NaN values.
    public func nanpercentile(_ p: [Double], method: QuantileMethod = .linear, timeout: Duration? = nil) throws -> [Double] {
        try orderStatistics(.quantiles(try checkedPercent(p, "nanpercentile"), method, scalarQ: false), skipNaN: true,
                            name: "nanpercentile", timeout: timeout)
    }

    // MARK: - The shared core

    private func checkedPercent(_ p: [Double], _ name: String) throws -> [Double] {
        guard !p.isEmpty else { throw ArrayError(.invalidArgument, operation: "\(name)", input: "p", "no percentile given") }
        // numpy divides first (`np.true_divide(q, 100)`), then checks the quantile.
        let q = p.map { $0 / 100 }
        for (x, y) in zip(p, q) where !(y >= 0 && y <= 1) {
            throw ArrayError(.invalidArgument, operation: "\(name)", input: "p", "p must be in [0, 100], got \(x)")
        }
        return q
    }

    /// The median, or quantiles, of the array (flattened; a strided view is copied first).
    func orderStatistics(_ request: OrderRequest, skipNaN: Bool, name: String, timeout: Duration?) throws -> [Double] {
        try orderStatistics([(request, skipNaN)], name: name, timeout: timeout)[0]
    }

    /// Several requests on one set of passes: NaNs sort last, so the `nan` variants and the others pick
    /// their ranks from the same order.
    func orderStatistics(_ requests: [(OrderRequest, skipNaN: Bool)], name: String, timeout: Duration?) throws -> [[Double]] {
        guard count > 0 else { throw ArrayError(.invalidArgument, operation: "\(name)", input: "array", "the array is empty") }
        return try WorkerPool.withTimeout(timeout) {
            try OrderRequest.evaluate(requests, of: isContiguous ? self : try copy())
        }
    }
}

extension OrderRequest {
    /// `requests` over the elements of `source` (not empty), wherever its passes run.
    static func evaluate<S: OrderKeySource>(_ requests: [(OrderRequest, skipNaN: Bool)], of source: S) throws -> [[Double]] {
        let count = source.count
        let root = try source.keyHistogram(prefixBits: 0, prefix: 0)
        let nanCount = S.Element.dtype.isFloatingPoint ? Int(root[KeyHistogram<S.Element>.buckets - 1]) : 0
        // Per request: its positions among the sorted values, or nil when its answer is NaN.
        let positions: [[QuantilePosition]?] = requests.map { request, skipNaN in
            let n = skipNaN ? count - nanCount : count
            return (nanCount > 0 && !skipNaN) || n == 0 ? nil : request.positions(n: n)
        }
        let ranks = Array(Set(positions.flatMap { ($0 ?? []).flatMap(\.indices) })).sorted()
        let keys = ranks.isEmpty ? [] : try source.selectionKeys(at: ranks, root: root)
        let keyAt = Dictionary(uniqueKeysWithValues: zip(ranks, keys))
        return zip(requests, positions).map { item, positions in
            guard let positions else { return Array(repeating: .nan, count: item.0.resultCount) }
            return item.0.evaluate(S.Element.self, positions: positions) { keyAt[$0]! }
        }
    }
}

/// What ``SharedArray/orderStatistics(_:name:timeout:)`` computes.
enum OrderRequest {
    case median
    case quantiles([Double], QuantileMethod, scalarQ: Bool)

    var resultCount: Int {
        switch self {
        case .median: 1
        case .quantiles(let q, _, _): q.count
        }
    }

    /// The order statistics each result needs, among `n` sorted values.
    func positions(n: Int) -> [QuantilePosition] {
        switch self {
        case .median: [n % 2 == 1 ? .exact((n - 1) / 2) : .between(n / 2 - 1, n / 2, gamma: 0.5)]
        case .quantiles(let q, let method, _): q.map { method.position(n: n, q: $0) }
        }
    }

    /// The results from the selection keys at each position.
    func evaluate<E: SharedElement>(_: E.Type, positions: [QuantilePosition], key: (Int) -> UInt64) -> [Double] {
        positions.map { position in
            switch (self, position) {
            case (_, .exact(let i)): OrderValue.element(E.self, key: key(i))
            case (.median, .between(let i, let j, _)): OrderValue.mean(E.self, [key(i), key(j)])
            case (.quantiles(_, _, let scalarQ), .between(let i, let j, let gamma)):
                OrderValue.lerp(E.self, low: key(i), high: key(j), t: gamma, scalarQ: scalarQ)
            }
        }
    }
}

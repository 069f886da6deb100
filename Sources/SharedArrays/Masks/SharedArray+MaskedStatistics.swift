extension SharedArray {
    /// ``statistics(_:ddof:timeout:)`` over the elements `mask` selects (numpy's `np.mean(x[mask])`), in one
    /// parallel pass that compacts each chunk's selected elements and folds them; no filtered copy is made.
    ///
    /// Results are bit-identical for any number of workers. `argmin` and `argmax` are positions among the
    /// selected elements (as in `x[mask].argmin()`), and ``Statistics/count`` is the number selected.
    /// `mean`, `var`, `std` of an empty selection are NaN and `sum` is 0, as in numpy; `min`, `max`,
    /// `argmin`, `argmax` (and their `nan` variants) of an empty selection throw, where numpy raises.
    ///
    /// ```swift
    /// let s = try x.statistics([.mean, .max], where: try (x > 0) & (x < 10))
    /// ```
    public func statistics(
        _ statistics: [Statistic] = Statistic.summary, where mask: SharedMask, ddof: Int = 0, timeout: Duration? = nil
    ) throws -> Statistics {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        try mask.check(selects: shape, on: pool, "statistics(where:)")
        let needs = MomentNeeds(for: statistics)
        let m: Moments
        if count == 0 {
            m = .empty
        } else {
            m = try WorkerPool.withTimeout(timeout) {
                try runReduction(MomentsReduction<Element>(needs: needs), layout: .flat, plan: nil, second: .none, mask: mask.operand)[0]
            }
        }
        let selected = m.count + m.nanCount
        if selected == 0, let undefined = statistics.first(where: \.isUndefinedWhenEmpty) {
            throw ArrayError(.invalidArgument, operation: "statistics(where:)", input: "mask", "\(undefined.rawValue) of an empty selection is undefined (the mask selects no element)")
        }
        let isInteger = !Element.dtype.isFloatingPoint
        return Statistics(statistics, from: m, count: selected, ddof: ddof, isInteger: isInteger)
    }

    /// The number of elements `mask` selects (its ``SharedMask/trueCount``), after checking that it fits
    /// this array.
    public func count(where mask: SharedMask) throws -> Int {
        try mask.check(selects: shape, on: pool, "count(where:)")
        return try mask.trueCount
    }
}

extension Statistic {
    /// Whether numpy raises for this statistic of no elements (a zero-size reduction without identity).
    var isUndefinedWhenEmpty: Bool {
        switch self {
        case .min, .max, .argmin, .argmax, .nanmin, .nanmax, .nanargmin, .nanargmax: true
        default: false
        }
    }
}

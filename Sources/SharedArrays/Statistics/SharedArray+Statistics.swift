extension SharedArray {
    /// Computes `statistics` in one parallel pass over the whole array (flattened).
    ///
    /// Results are bit-identical for any number of workers: the chunk grid depends only on the data and
    /// partials are combined in a fixed pairwise order; variance merges partials with Chan et al.'s
    /// formula. `ddof` is numpy's delta degrees of freedom for `var` and `std`.
    ///
    /// `timeout` bounds the call (nil: the pool's ``WorkerPool/timeout``, by default none): when it
    /// passes, the workers still running are killed and replaced and the call throws
    /// ``WorkerPoolError/Code/timedOut`` naming each one's pid, state and chunk.
    ///
    /// ```swift
    /// let s = try x.statistics([.mean, .std, .min, .max], timeout: .seconds(10))
    /// print(s[.mean]!)
    /// ```
    public func statistics(
        _ statistics: [Statistic] = Statistic.summary, ddof: Int = 0, timeout: Duration? = nil
    ) throws -> Statistics {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        let needs = MomentNeeds(for: statistics)
        let m = try WorkerPool.withTimeout(timeout) { try wholeMoments(needs: needs) }
        let isInteger = !Element.dtype.isFloatingPoint
        return Statistics(statistics, from: m, count: count, ddof: ddof, isInteger: isInteger)
    }

    /// Computes `statistics` along `axis` of a 2-D array: axis 0 gives one value per column (what
    /// `df.describe()` shows), axis 1 one value per row. `timeout` as in ``statistics(_:ddof:timeout:)``.
    public func statistics(
        _ statistics: [Statistic], axis: Int, ddof: Int = 0, timeout: Duration? = nil
    ) throws -> AxisStatistics {
        guard rank == 2 else {
            throw ArrayError(.invalidShape, operation: "statistics", input: "shape", "axis \(axis) needs a 2-D array; this one has shape \(shape)")
        }
        guard axis == 0 || axis == 1 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "axis", "axis must be 0 or 1, got \(axis)") }
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        let needs = MomentNeeds(for: statistics)
        let moments: [Moments]
        if shape[0] == 0 || shape[1] == 0 {
            moments = Array(repeating: .empty, count: shape[axis == 0 ? 1 : 0])
        } else {
            moments = try WorkerPool.withTimeout(timeout) {
                try runReduction(
                    MomentsReduction<Element>(needs: needs), layout: axis == 0 ? .columns(shape[1]) : .rows(shape[1]),
                    plan: nil, second: .none, mask: .none)
            }
        }
        let isInteger = !Element.dtype.isFloatingPoint
        return AxisStatistics(
            axis: axis,
            values: statistics.map { s in (s, moments.map { s.value(from: $0, ddof: ddof, isInteger: isInteger) }) })
    }

    /// The combined moments of every element (of a strided view too).
    func wholeMoments(needs: MomentNeeds) throws -> Moments {
        let moments = MomentsReduction<Element>(needs: needs)
        if isContiguous {
            if let small = try foldedAsOneChunk(moments) { return small }
            return try runReduction(moments, layout: .flat, plan: nil, second: .none, mask: .none)[0]
        }
        // A strided view data[s::k] is residue class 0 of the contiguous span it covers, which the
        // vectorised class kernel reads in place (indices come back in the view's coordinates).
        return try coveringSpan().runReduction(moments, layout: .residueClasses(stride), plan: nil, second: .none, mask: .none)[0]
    }

    /// The contiguous span a strided view `data[s::k]` covers, whose residue class 0 is the view.
    func coveringSpan() -> SharedArray {
        SharedArray(storage: storage, shape: [count == 0 ? 0 : (count - 1) * stride + 1], offset: offset, stride: 1, pool: pool)
    }

    /// The sum (NaN if any element is NaN). Integer sums wrap like numpy's int64 sums.
    public func sum() throws -> Double { try statistics([.sum])[.sum]! }
    /// The arithmetic mean (NaN for an empty array).
    public func mean() throws -> Double { try statistics([.mean])[.mean]! }
    /// The variance with `ddof` delta degrees of freedom.
    public func variance(ddof: Int = 0) throws -> Double { try statistics([.var], ddof: ddof)[.var]! }
    /// The standard deviation with `ddof` delta degrees of freedom.
    public func standardDeviation(ddof: Int = 0) throws -> Double { try statistics([.std], ddof: ddof)[.std]! }
    /// The smallest element, nil for an empty array.
    public func min() throws -> Double? { try statistics([.min])[.min] }
    /// The largest element, nil for an empty array.
    public func max() throws -> Double? { try statistics([.max])[.max] }
    /// The flat index of the first smallest element (of the first NaN if any), nil for an empty array.
    public func argmin() throws -> Int? { try statistics([.argmin])[.argmin].map { Int($0) } }
    /// The flat index of the first largest element (of the first NaN if any), nil for an empty array.
    public func argmax() throws -> Int? { try statistics([.argmax])[.argmax].map { Int($0) } }
    /// The Euclidean (L2) norm.
    public func norm() throws -> Double { try statistics([.norm])[.norm]! }
}

/// The `k` interleaved parts `data[0::k]`, `data[1::k]`, ..., `data[k-1::k]` of a 1-D array: the
/// partition the seed example hands to `Pool.map(np.mean, ...)`.
///
/// All parts are computed in one parallel pass over the contiguous data, with no copies.
///
/// Why the seed's answer is wrong: it averages the `k` part means with equal weights,
/// `mean(means)`. When the length `n` is not a multiple of `k`, the first `n % k` parts have one more
/// element than the others, so equal weights over-count the shorter parts and the result differs from
/// the true mean. ``meanOfMeans()`` weights each part's mean by its count, which equals the mean of
/// the whole array for any `n`. ``unweightedMeanOfMeans()`` reproduces the seed's number for comparison.
///
/// ```swift
/// let m = try x.strided(by: 5).meanOfMeans()   // == x.mean(), for any x.count
/// ```
public struct StridedPartition<Element: SharedElement>: Sendable {
    let base: SharedArray<Element>
    /// Number of parts `k`.
    public let parts: Int

    /// Part `i`, `data[i::k]`, as a strided view.
    public func part(_ i: Int) throws -> SharedArray<Element> {
        guard i >= 0, i < parts else { throw ArrayError(.outOfRange, operation: "part", input: "index", "index \(i) is outside 0..<\(parts)") }
        return try base.strided(from: i, by: parts)
    }

    /// The moments of every part, from one pass.
    public func moments(needs: MomentNeeds = [.sum, .variance]) throws -> [Moments] {
        guard base.count > 0 else { return Array(repeating: .empty, count: parts) }
        if base.isContiguous {
            return try base.reduce(MomentsReduction<Element>(needs: needs), layout: .residueClasses(parts))
        }
        return try (0..<parts).map { try part($0).wholeMoments(needs: needs) }
    }

    /// Each part's mean (NaN for an empty part); with `skipNaN`, `np.nanmean` of each part.
    public func means(skipNaN: Bool = false) throws -> [Double] {
        try moments(needs: [.sum]).map { $0.mean(skipNaN: skipNaN) }
    }

    /// Each part's element count.
    public func counts() -> [Int] {
        (0..<parts).map { i in i < base.count ? (base.count - i - 1) / parts + 1 : 0 }
    }

    /// The count-weighted mean of the part means: exactly the mean of the whole array. With `skipNaN`,
    /// each part counts only its non-NaN values, which gives `np.nanmean` of the whole array.
    public func meanOfMeans(skipNaN: Bool = false) throws -> Double {
        let reduction = MomentsReduction<Element>(needs: [.sum])
        return try reduction.combine(try moments(needs: reduction.needs), width: 1)[0].mean(skipNaN: skipNaN)
    }

    /// `statistics` of every part, `data[i::k]` for `i` in `0..<k`, from one pass: numpy's values for each
    /// part (`ddof` as in `np.var`), the same bits for any number of workers.
    public func statistics(_ statistics: [Statistic], ddof: Int = 0) throws -> [Statistics] {
        guard ddof >= 0 else { throw ArrayError(.invalidArgument, operation: "statistics", input: "ddof", "ddof must be >= 0, got \(ddof)") }
        let needs = MomentNeeds(for: statistics)
        return Statistics.ofParts(try moments(needs: needs), statistics, counts: counts(), ddof: ddof, isInteger: !Element.dtype.isFloatingPoint)
    }

    /// The seed's equal-weight average of the part means; wrong unless `count` is a multiple of `k`.
    public func unweightedMeanOfMeans() throws -> Double {
        let means = try means()
        return means.reduce(0, +) / Double(means.count)
    }
}

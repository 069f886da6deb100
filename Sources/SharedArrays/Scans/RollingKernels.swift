/// Rolling-window kernels over one chunk of outputs: `y[k]` summarises `x[k..<k+window]`, so `x` holds
/// `y.count + window - 1` elements. Values are read as Double.
///
/// Sums and moments never subtract a value that leaves the window (which cancels catastrophically after a
/// large value): each window merges a block suffix and a block prefix (van Herk / Gil-Werman), with
/// compensated sums and Welford/Chan moments, so each window's result is as accurate as a direct sum
/// over it, at a few operations per output whatever the window length. Non-finite values are
/// counted apart instead of entering the running sums, so a window holds NaN, ±inf or their mix exactly as
/// numpy's `sum`/`mean`/`var` of that window would. Minimum and maximum use a monotonic deque (exact).
enum RollingKernels {
    static func run<E: SharedElement>(
        _ statistic: RollingStatistic, ddof: Int, window: Int, _ x: UnsafeBufferPointer<E>, into y: UnsafeMutableBufferPointer<Double>
    ) {
        switch statistic {
        case .sum: slidingSum(x, window, y, mean: false)
        case .mean: slidingSum(x, window, y, mean: true)
        case .variance: slidingMoments(x, window, y, ddof: ddof, root: false)
        case .std: slidingMoments(x, window, y, ddof: ddof, root: true)
        case .min: slidingExtreme(x, window, y, maximum: false)
        case .max: slidingExtreme(x, window, y, maximum: true)
        }
    }
}

/// The window's non-finite values, kept apart from the running sums.
private struct NonFinite {
    var nan = 0
    var positive = 0
    var negative = 0

    /// Counts `v` if it is not finite; returns whether it was finite.
    @inline(__always) mutating func add(_ v: Double, _ step: Int) -> Bool {
        if v.isFinite { return true }
        if v.isNaN { nan += step } else if v > 0 { positive += step } else { negative += step }
        return false
    }

    /// numpy's sum of a window with these non-finite values, or nil when they are all finite.
    var sum: Double? {
        if nan > 0 || (positive > 0 && negative > 0) { return .nan }
        if positive > 0 { return .infinity }
        if negative > 0 { return -.infinity }
        return nil
    }

    var any: Bool { nan + positive + negative > 0 }
}

/// What one window of a sum or moments statistic accumulates: values added one by one, and partials
/// merged without ever subtracting (so nothing cancels when a large value leaves the window).
private protocol WindowAggregate {
    static var empty: Self { get }
    mutating func add(_ v: Double)
    static func merge(_ a: Self, _ b: Self) -> Self
}

/// A compensated sum of the finite values and a count of the others.
private struct SumAggregate: WindowAggregate {
    var special = NonFinite()
    var total = CompensatedSum()

    static var empty: SumAggregate { SumAggregate() }

    @inline(__always) mutating func add(_ v: Double) {
        if special.add(v, 1) { total.add(v) }
    }

    @inline(__always) static func merge(_ a: SumAggregate, _ b: SumAggregate) -> SumAggregate {
        var r = a
        r.special.nan += b.special.nan
        r.special.positive += b.special.positive
        r.special.negative += b.special.negative
        r.total.add(b.total)
        return r
    }

    var sum: Double { special.sum ?? total.value }
}

/// Count, mean and sum of squared deviations of the finite values (Welford to add, Chan to merge), and a
/// count of the others.
private struct MomentsAggregate: WindowAggregate {
    var special = NonFinite()
    var n = 0.0
    var mean = 0.0
    var m2 = 0.0

    static var empty: MomentsAggregate { MomentsAggregate() }

    @inline(__always) mutating func add(_ v: Double) {
        guard special.add(v, 1) else { return }
        n += 1
        let d = v - mean
        mean += d / n
        m2 += d * (v - mean)
    }

    @inline(__always) static func merge(_ a: MomentsAggregate, _ b: MomentsAggregate) -> MomentsAggregate {
        var r = MomentsAggregate()
        r.special = NonFinite(
            nan: a.special.nan + b.special.nan, positive: a.special.positive + b.special.positive,
            negative: a.special.negative + b.special.negative)
        if a.n == 0 {
            (r.n, r.mean, r.m2) = (b.n, b.mean, b.m2)
        } else if b.n == 0 {
            (r.n, r.mean, r.m2) = (a.n, a.mean, a.m2)
        } else {
            r.n = a.n + b.n
            let d = b.mean - a.mean
            r.mean = a.mean + d * (b.n / r.n)
            r.m2 = a.m2 + b.m2 + d * d * (a.n * b.n / r.n)
        }
        return r
    }
}

private func slidingSum<E: SharedElement>(_ x: UnsafeBufferPointer<E>, _ window: Int, _ y: UnsafeMutableBufferPointer<Double>, mean: Bool) {
    let scale = 1 / Double(window)
    slidingAggregate(x, window, y, SumAggregate.self) { a in
        let s = a.sum
        return mean && !a.special.any ? s * scale : s
    }
}

private func slidingMoments<E: SharedElement>(
    _ x: UnsafeBufferPointer<E>, _ window: Int, _ y: UnsafeMutableBufferPointer<Double>, ddof: Int, root: Bool
) {
    // numpy divides by max(n - ddof, 0): 0/0 is NaN, positive/0 is inf.
    let divisor = Double(Swift.max(window - ddof, 0))
    slidingAggregate(x, window, y, MomentsAggregate.self) { a in
        let variance = a.special.any ? Double.nan : Swift.max(a.m2, 0) / divisor
        return root ? variance.squareRoot() : variance
    }
}

/// Every window's aggregate by van Herk / Gil-Werman blocks: the outputs are cut into blocks of `window`;
/// the window at `k` is the suffix of its block from `k` merged with the prefix of the next block up to
/// `k + window - 1`. Suffixes are built from the block's end backwards, prefixes as `k` advances: three
/// adds or merges per output whatever the window, and no value is ever removed.
private func slidingAggregate<E: SharedElement, A: WindowAggregate>(
    _ x: UnsafeBufferPointer<E>, _ window: Int, _ y: UnsafeMutableBufferPointer<Double>, _: A.Type, _ finish: (A) -> Double
) {
    let outputs = y.count
    guard outputs > 0 else { return }
    let suffix = UnsafeMutablePointer<A>.allocate(capacity: Swift.min(window, outputs))
    defer { suffix.deallocate() }
    var blockStart = 0
    while blockStart < outputs {
        let blockEnd = blockStart + window  // x holds outputs + window - 1 elements: blockEnd - 1 is inside
        let needed = Swift.min(blockEnd, outputs) - blockStart
        var running = A.empty
        var i = blockEnd - 1
        while i >= blockStart {
            running.add(x[i].asDouble)
            if i - blockStart < needed { (suffix + (i - blockStart)).initialize(to: running) }
            i -= 1
        }
        var prefix = A.empty
        for j in 0..<needed {
            let k = blockStart + j
            if j > 0 { prefix.add(x[k + window - 1].asDouble) }
            y[k] = finish(j == 0 ? suffix[0] : A.merge(suffix[j], prefix))
        }
        blockStart = blockEnd
    }
}

/// Sliding minimum or maximum by a monotonic deque of indices (front: the extreme of the window); a
/// window holding a NaN gives NaN, as `np.min` of that window.
private func slidingExtreme<E: SharedElement>(_ x: UnsafeBufferPointer<E>, _ window: Int, _ y: UnsafeMutableBufferPointer<Double>, maximum: Bool) {
    let capacity = Swift.min(window, x.count) + 1
    let deque = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    defer { deque.deallocate() }
    var head = 0  // ring-buffer positions
    var size = 0
    var lastNaN = -1
    @inline(__always) func at(_ j: Int) -> Int { deque[(head + j) % capacity] }
    for i in 0..<x.count {
        let v = x[i].asDouble
        if v.isNaN {
            lastNaN = i
        } else {
            // Drop values the new one dominates (ties too: the newer one leaves the window later).
            while size > 0 {
                let back = x[at(size - 1)].asDouble
                if maximum ? back <= v : back >= v { size -= 1 } else { break }
            }
            deque[(head + size) % capacity] = i
            size += 1
        }
        let k = i - window + 1
        guard k >= 0 else { continue }
        while size > 0 && at(0) < k {
            head = (head + 1) % capacity
            size -= 1
        }
        y[k] = lastNaN >= k ? .nan : x[at(0)].asDouble
    }
}

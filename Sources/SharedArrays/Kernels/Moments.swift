/// The statistics of one chunk (or of several merged chunks) from which numpy's reductions follow.
///
/// One partial serves both the plain reductions (`mean`, `var`, `argmin`, ... where any NaN wins) and the
/// `nan*` variants (NaNs skipped): the value fields cover the non-NaN elements only, and `nanCount` /
/// `firstNaNIndex` record what was skipped.
///
/// ```swift
/// let parts = chunks.map { chunkMoments($0.buffer, firstIndex: $0.start, needs: [.variance]) }
/// let all = pairwiseCombine(parts, Moments.merge, identity: .empty)
/// let sd = all.std(ddof: 0, skipNaN: false)
/// ```
public struct Moments: Sendable, Equatable, Codable, BitwiseCopyable {
    /// Number of non-NaN elements.
    public var count: Int
    /// Number of NaN elements.
    public var nanCount: Int
    /// Global index of the first NaN, -1 if none.
    public var firstNaNIndex: Int
    /// Sum of the non-NaN values, rounded to Double from a compensated (double-double) accumulation. For the
    /// needs without `.sum` or `.variance` it is a plain sum (it only has to show a NaN).
    public var sum: Double
    /// The exact remainder of `sum`'s rounding (`sum + sumLow` is the compensated sum; 0 when `sum` is
    /// not finite), so that partials merge without losing accuracy.
    public var sumLow: Double
    /// Exact wrapping sum for integer inputs (numpy's int sum); 0 for floating-point inputs.
    public var intSum: Int64
    /// Mean of the non-NaN values (0 when `count == 0`).
    public var mean: Double
    /// Sum of squared deviations from `mean` over the non-NaN values (0 unless variance was asked for).
    public var m2: Double
    /// Smallest non-NaN value (+inf when none or not asked for).
    public var min: Double
    /// Largest non-NaN value (-inf when none or not asked for).
    public var max: Double
    /// Global index of the first occurrence of `min`, -1 if none or not asked for.
    public var argmin: Int
    /// Global index of the first occurrence of `max`, -1 if none or not asked for.
    public var argmax: Int
    /// Sum of squares of the non-NaN values (0 unless asked for).
    public var sumOfSquares: Double

    public init(
        count: Int = 0, nanCount: Int = 0, firstNaNIndex: Int = -1, sum: Double = 0, sumLow: Double = 0, intSum: Int64 = 0,
        mean: Double = 0, m2: Double = 0, min: Double = .infinity, max: Double = -.infinity,
        argmin: Int = -1, argmax: Int = -1, sumOfSquares: Double = 0
    ) {
        self.count = count
        self.nanCount = nanCount
        self.firstNaNIndex = firstNaNIndex
        self.sum = sum
        self.sumLow = sumLow
        self.intSum = intSum
        self.mean = mean
        self.m2 = m2
        self.min = min
        self.max = max
        self.argmin = argmin
        self.argmax = argmax
        self.sumOfSquares = sumOfSquares
    }

    /// The identity of ``merge(_:_:)``: no elements.
    public static let empty = Moments()

    /// Combines the moments of two adjacent ranges; `a` must cover the EARLIER indices.
    ///
    /// Variance uses the Chan et al. / Pébay update, never mean-of-squares minus squared mean. Ties in
    /// min/max go to `a` (the lower index), so argmin/argmax stay "first occurrence".
    public static func merge(_ a: Moments, _ b: Moments) -> Moments {
        var r = Moments()
        r.count = a.count + b.count
        r.nanCount = a.nanCount + b.nanCount
        r.firstNaNIndex = a.firstNaNIndex >= 0 ? a.firstNaNIndex : b.firstNaNIndex
        var total = a.compensatedSum
        total.add(b.compensatedSum)
        r.sum = total.hi
        r.sumLow = total.lo
        r.intSum = a.intSum &+ b.intSum
        r.sumOfSquares = a.sumOfSquares + b.sumOfSquares
        if a.count == 0 {
            r.mean = b.mean
            r.m2 = b.m2
        } else if b.count == 0 {
            r.mean = a.mean
            r.m2 = a.m2
        } else {
            let na = Double(a.count), nb = Double(b.count), n = Double(r.count)
            let delta = b.mean - a.mean
            r.mean = a.mean + delta * (nb / n)
            r.m2 = a.m2 + b.m2 + delta * delta * (na * nb / n)
        }
        // An empty side (count 0) never wins, even against a +inf / -inf extreme.
        if b.count > 0 && (a.count == 0 || b.min < a.min) {
            r.min = b.min
            r.argmin = b.argmin
        } else {
            r.min = a.min
            r.argmin = a.argmin
        }
        if b.count > 0 && (a.count == 0 || b.max > a.max) {
            r.max = b.max
            r.argmax = b.argmax
        } else {
            r.max = a.max
            r.argmax = a.argmax
        }
        return r
    }

    /// The sum as the pair (`sum`, `sumLow`).
    @inline(__always) public var compensatedSum: CompensatedSum {
        get { CompensatedSum(hi: sum, lo: sumLow) }
        set {
            sum = newValue.hi
            sumLow = newValue.lo
        }
    }

    /// Bitwise equality of every field (so NaN equals NaN): the test for "bit-identical results".
    public static func == (a: Moments, b: Moments) -> Bool {
        a.count == b.count && a.nanCount == b.nanCount && a.firstNaNIndex == b.firstNaNIndex
            && a.sum.bitPattern == b.sum.bitPattern && a.sumLow.bitPattern == b.sumLow.bitPattern
            && a.intSum == b.intSum
            && a.mean.bitPattern == b.mean.bitPattern && a.m2.bitPattern == b.m2.bitPattern
            && a.min.bitPattern == b.min.bitPattern && a.max.bitPattern == b.max.bitPattern
            && a.argmin == b.argmin && a.argmax == b.argmax
            && a.sumOfSquares.bitPattern == b.sumOfSquares.bitPattern
    }
}

// MARK: - Results with numpy semantics

extension Moments {
    /// Whether a plain (non-`nan*`) reduction must return NaN.
    @inline(__always) private func poisoned(_ skipNaN: Bool) -> Bool { !skipNaN && nanCount > 0 }

    /// `np.sum` / `np.nansum`: the sum, NaN if a NaN is present and `skipNaN` is false (0 when empty).
    public func total(skipNaN: Bool) -> Double {
        poisoned(skipNaN) ? .nan : sum
    }

    /// `np.mean` / `np.nanmean`: sum / count; NaN when there is nothing to average.
    public func mean(skipNaN: Bool) -> Double {
        if poisoned(skipNaN) || count == 0 { return .nan }
        return sum / Double(count)
    }

    /// `np.var` / `np.nanvar`: m2 / (count - ddof); NaN when count - ddof <= 0.
    ///
    /// Total for every `ddof` (as numpy, a negative one enlarges the divisor): when count - ddof is
    /// past `Int.max` (a huge negative ddof) the divisor is that difference as a Double; when it is
    /// below `Int.min`, the result is NaN like any non-positive divisor.
    public func variance(ddof: Int = 0, skipNaN: Bool) -> Double {
        let (divisor, overflow) = count.subtractingReportingOverflow(ddof)
        if overflow {
            // count and ddof have opposite signs: the true difference has count's sign.
            if poisoned(skipNaN) || count < 0 { return .nan }
            return m2 / (Double(count) - Double(ddof))
        }
        if poisoned(skipNaN) || divisor <= 0 { return .nan }
        return m2 / Double(divisor)
    }

    /// `np.std` / `np.nanstd`: the square root of ``variance(ddof:skipNaN:)``.
    public func std(ddof: Int = 0, skipNaN: Bool) -> Double {
        variance(ddof: ddof, skipNaN: skipNaN).squareRoot()
    }

    /// `np.min` / `np.nanmin`; NaN when empty (numpy raises) or all-NaN.
    public func minimum(skipNaN: Bool) -> Double {
        if poisoned(skipNaN) || count == 0 { return .nan }
        return min
    }

    /// `np.max` / `np.nanmax`; NaN when empty (numpy raises) or all-NaN.
    public func maximum(skipNaN: Bool) -> Double {
        if poisoned(skipNaN) || count == 0 { return .nan }
        return max
    }

    /// `np.argmin` / `np.nanargmin`: the first NaN's index when NaN wins, nil where numpy raises.
    public func argmin(skipNaN: Bool) -> Int? {
        if poisoned(skipNaN) { return firstNaNIndex }
        return count == 0 || argmin < 0 ? nil : argmin
    }

    /// `np.argmax` / `np.nanargmax`: the first NaN's index when NaN wins, nil where numpy raises.
    public func argmax(skipNaN: Bool) -> Int? {
        if poisoned(skipNaN) { return firstNaNIndex }
        return count == 0 || argmax < 0 ? nil : argmax
    }

    /// `np.linalg.norm` of the vector: sqrt(sumOfSquares), NaN if a NaN is present.
    public var l2norm: Double {
        nanCount > 0 ? .nan : sumOfSquares.squareRoot()
    }
}

/// What a chunk kernel computes. `count` and a sum are always computed (the sum is how NaNs are detected);
/// without `.sum` that sum may be a plain (uncompensated) one, for statistics that do not report it.
public struct MomentNeeds: OptionSet, Sendable, Hashable, Codable, BitwiseCopyable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Count, the compensated sum and mean.
    public static let sum = MomentNeeds(rawValue: 1 << 0)
    /// m2 (sum of squared deviations): a second pass over the chunk.
    public static let variance = MomentNeeds(rawValue: 1 << 1)
    /// min and max values.
    public static let extrema = MomentNeeds(rawValue: 1 << 2)
    /// argmin (implies `extrema`).
    public static let argMinimum = MomentNeeds(rawValue: 1 << 3)
    /// argmax (implies `extrema`).
    public static let argMaximum = MomentNeeds(rawValue: 1 << 5)
    /// argmin and argmax. Kernels that find both in one pass compute both when either is asked; the
    /// blocked kernel rescans a block for each, so it skips the one not asked.
    public static let argExtrema: MomentNeeds = [.argMinimum, .argMaximum]
    /// Sum of squares (for the L2 norm).
    public static let sumOfSquares = MomentNeeds(rawValue: 1 << 4)
    /// Everything.
    public static let all: MomentNeeds = [.sum, .variance, .extrema, .argExtrema, .sumOfSquares]

    @inline(__always) var wantsExtrema: Bool { !isDisjoint(with: [.extrema, .argExtrema]) }
    @inline(__always) var wantsArgExtrema: Bool { !isDisjoint(with: .argExtrema) }
    @inline(__always) var wantsVariance: Bool { contains(.variance) }
    @inline(__always) var wantsSquares: Bool { contains(.sumOfSquares) }
}

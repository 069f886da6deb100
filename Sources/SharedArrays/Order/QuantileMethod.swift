/// How a quantile falls between two order statistics: numpy's `method` argument of `np.quantile`, with
/// the same names (``init(name:)`` takes numpy's spelling) and the same arithmetic, so results match numpy
/// to the bit.
///
/// The nine Hyndman & Fan methods (`inverted_cdf` ... `normal_unbiased`) and numpy's `linear` (the
/// default, H&F 7), `lower`, `higher`, `nearest` and `midpoint`.
public enum QuantileMethod: String, Sendable, CaseIterable, Codable, BitwiseCopyable {
    case linear
    case lower
    case higher
    case nearest
    case midpoint
    case invertedCDF = "inverted_cdf"
    case averagedInvertedCDF = "averaged_inverted_cdf"
    case closestObservation = "closest_observation"
    case interpolatedInvertedCDF = "interpolated_inverted_cdf"
    case hazen
    case weibull
    case medianUnbiased = "median_unbiased"
    case normalUnbiased = "normal_unbiased"

    /// numpy's name for the method (`"inverted_cdf"`), or the Swift case name (`"invertedCDF"`).
    public init?(name: String) {
        if let m = QuantileMethod(rawValue: name) {
            self = m
        } else if let m = QuantileMethod.allCases.first(where: { "\($0)" == name }) {
            self = m
        } else {
            return nil
        }
    }

    /// numpy's name.
    public var name: String { rawValue }

    /// Where quantile `q` of `n` sorted values lies, by numpy's formulas (`_QuantileMethods`,
    /// `_get_indexes`, `_get_gamma` in numpy 2.x).
    func position(n: Int, q: Double) -> QuantilePosition {
        let nd = Double(n)
        switch self {
        case .lower: return .exact(clamp(Int(exactly: (Double(n - 1) * q).rounded(.down)) ?? 0, n))
        case .higher: return .exact(clamp(Int(exactly: (Double(n - 1) * q).rounded(.up)) ?? 0, n))
        case .nearest: return .exact(clamp(Int(exactly: (Double(n - 1) * q).rounded(.toNearestOrEven)) ?? 0, n))
        case .invertedCDF:
            return .exact(clamp(discreteBoundary(nd * q - 1) { gamma, _ in gamma == 0 }, n))
        case .closestObservation:
            // "The nearest even order statistic at g = 0": 1-based order, so the nearest odd 0-based index.
            return .exact(clamp(discreteBoundary(nd * q - 1 - 0.5) { gamma, floor in gamma == 0 && floorMod2(floor) == 1 }, n))
        case .linear:
            return interpolated(n: n, virtual: Double(n - 1) * q) { gamma, _ in gamma }
        case .averagedInvertedCDF:
            return interpolated(n: n, virtual: nd * q - 1) { gamma, _ in gamma == 0 ? 0.5 : 1 }
        case .midpoint:
            let v = 0.5 * ((Double(n - 1) * q).rounded(.down) + (Double(n - 1) * q).rounded(.up))
            return interpolated(n: n, virtual: v) { _, v in v.truncatingRemainder(dividingBy: 1) == 0 ? 0 : 0.5 }
        case .interpolatedInvertedCDF: return interpolated(n: n, virtual: virtualIndex(nd, q, 0, 1)) { g, _ in g }
        case .hazen: return interpolated(n: n, virtual: virtualIndex(nd, q, 0.5, 0.5)) { g, _ in g }
        case .weibull: return interpolated(n: n, virtual: virtualIndex(nd, q, 0, 0)) { g, _ in g }
        case .medianUnbiased: return interpolated(n: n, virtual: virtualIndex(nd, q, 1 / 3.0, 1 / 3.0)) { g, _ in g }
        case .normalUnbiased: return interpolated(n: n, virtual: virtualIndex(nd, q, 3 / 8.0, 3 / 8.0)) { g, _ in g }
        }
    }
}

/// An order statistic, or two neighbours and numpy's interpolation weight between them.
enum QuantilePosition: Equatable {
    case exact(Int)
    case between(Int, Int, gamma: Double)

    var indices: [Int] {
        switch self {
        case .exact(let i): [i]
        case .between(let i, let j, _): [i, j]
        }
    }
}

/// numpy's `_compute_virtual_index`: `n*q + (alpha + q*(1 - alpha - beta)) - 1`, evaluated in its order.
private func virtualIndex(_ n: Double, _ q: Double, _ alpha: Double, _ beta: Double) -> Double {
    n * q + (alpha + q * (1 - alpha - beta)) - 1
}

/// numpy's `_get_indexes` and `_get_gamma`: the neighbours of virtual index `v` clipped to the data
/// (an index past the end takes the last value, one before the start the first), and the weight
/// `v - previous`, computed from the clipped previous index as numpy does (numpy's `-1` for "last").
private func interpolated(n: Int, virtual v: Double, fixGamma: (Double, Double) -> Double) -> QuantilePosition {
    let floorV = v.rounded(.down)
    var previous = Int(exactly: floorV) ?? 0
    var next = previous + 1
    var previousAsNumpyIndex = Double(previous)
    if v >= Double(n - 1) {
        previous = n - 1
        next = n - 1
        previousAsNumpyIndex = -1
    }
    if v < 0 {
        previous = 0
        next = 0
        previousAsNumpyIndex = 0
    }
    let gamma = fixGamma(v - previousAsNumpyIndex, v)
    return .between(previous, next, gamma: gamma)
}

/// numpy's `_discrete_interpolation_to_boundaries`: `floor(index)` where the condition holds, else the
/// next index, then clipped at 0.
private func discreteBoundary(_ index: Double, condition: (Double, Double) -> Bool) -> Int {
    let previous = index.rounded(.down)
    let gamma = index - previous
    let chosen = condition(gamma, previous) ? previous : previous + 1
    return Swift.max(0, Int(exactly: chosen) ?? 0)
}

/// `x % 2` with Python's sign rule (the result has the divisor's sign).
private func floorMod2(_ x: Double) -> Double {
    let r = x.truncatingRemainder(dividingBy: 2)
    return r < 0 ? r + 2 : r
}

private func clamp(_ i: Int, _ n: Int) -> Int { Swift.min(Swift.max(i, 0), n - 1) }

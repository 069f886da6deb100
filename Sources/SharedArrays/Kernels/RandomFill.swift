#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A distribution for ``randomFill(_:seed:firstIndex:_:)``.
public enum RandomDistribution: Sendable, Hashable, Codable, BitwiseCopyable {
    /// Uniform on [lower, upper) (as numpy, rounding can reach `upper` for some ranges).
    case uniform(lower: Double, upper: Double)
    /// Normal (Gaussian) with the given mean and standard deviation.
    case normal(mean: Double, std: Double)
}

/// Fills `dst` with random values where the element with global index `i` depends only on `(seed, i)`:
/// any chunking, worker count or fill order gives the same array.
///
/// The generator is counter-based SplitMix64: element i's 64 bits are `mix(key + (i + 1) * γ)` with
/// γ = 0x9E3779B97F4A7C15 and `key = mix(seed)`, i.e. exactly the i-th output of the SplitMix64 stream
/// started at `key`. SplitMix64 passes BigCrush and PractRand, its outputs are a bijection of the counter
/// (no repeats within 2^64 values), and the mixed key keeps nearby seeds from giving shifted copies of one
/// stream. It is not cryptographic. Uniform Double uses the top 53 bits (`[0, 1)` in steps of 2^-53), Float
/// the top 24; integers truncate a Double uniform toward zero. Normal is Box–Muller on pairs: elements 2p
/// and 2p+1 are `r cos θ` and `r sin θ` from counters 2p and 2p+1, so an odd starting index reproduces
/// the second half of its pair exactly.
public func randomFill<E: SharedElement>(
    _ distribution: RandomDistribution, seed: UInt64, firstIndex: Int, _ dst: UnsafeMutableBufferPointer<E>
) {
    precondition(firstIndex >= 0, "randomFill: firstIndex must be non-negative")
    guard let d = dst.baseAddress, dst.count > 0 else { return }
    let g = CounterRandom(seed: seed)
    switch KernelType(E.self) {
    case .float64: randomLoop(distribution, g, firstIndex, retype(d, Double.self), dst.count, floatBits: 53)
    case .float32: randomLoop(distribution, g, firstIndex, retype(d, Float.self), dst.count, floatBits: 24)
    case .int64: randomLoop(distribution, g, firstIndex, retype(d, Int64.self), dst.count, floatBits: 53)
    case .int32: randomLoop(distribution, g, firstIndex, retype(d, Int32.self), dst.count, floatBits: 53)
    case .other: randomLoop(distribution, g, firstIndex, d, dst.count, floatBits: 53)
    }
}

/// Counter-based SplitMix64 (see ``randomFill(_:seed:firstIndex:_:)``).
struct CounterRandom {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    let key: UInt64

    init(seed: UInt64) { key = CounterRandom.mix(seed &+ CounterRandom.gamma) }

    /// SplitMix64's output function (Stafford's Mix13).
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The 64 random bits of counter `i`.
    @inline(__always) func bits(_ i: UInt64) -> UInt64 {
        CounterRandom.mix(key &+ (i &+ 1) &* CounterRandom.gamma)
    }

    /// Box–Muller radius and angle of pair `pair` (counters 2p and 2p+1); 1 - u keeps log's argument in
    /// (0, 1]. Element 2p is `r cos θ`, element 2p+1 is `r sin θ`.
    @inline(__always) func polar(_ pair: UInt64) -> (r: Double, theta: Double) {
        let u1 = 1.0 - unit(2 &* pair, precision: 53)
        let u2 = unit(2 &* pair &+ 1, precision: 53)
        return ((-2.0 * log(u1)).squareRoot(), 2.0 * Double.pi * u2)
    }

    /// A uniform Double in [0, 1) with `precision` random bits (53 or 24).
    @inline(__always) func unit(_ i: UInt64, precision: Int) -> Double {
        Double(Int64(bitPattern: bits(i) >> UInt64(64 - precision))) * Double(sign: .plus, exponent: -precision, significand: 1)
    }
}

/// The fill loop; values are computed in Double and converted with `T(fromDouble:)` (no closure, so the
/// conversion inlines).
private func randomLoop<T: SharedElement>(
    _ distribution: RandomDistribution, _ g: CounterRandom, _ firstIndex: Int, _ d: UnsafeMutablePointer<T>,
    _ n: Int, floatBits: Int
) {
    let first = UInt64(firstIndex)
    switch distribution {
    case .uniform(let lower, let upper):
        let width = upper - lower
        let scale = Double(sign: .plus, exponent: -floatBits, significand: 1)
        let shift = UInt64(64 - floatBits)
        for j in 0..<n {
            let u = Double(Int64(bitPattern: g.bits(first &+ UInt64(j)) >> shift)) * scale
            d[j] = T(fromDouble: width * u + lower)
        }
    case .normal(let mean, let std):
        var j = 0
        if first & 1 == 1 {
            let (r, t) = g.polar(first >> 1)
            d[0] = T(fromDouble: std * (r * sin(t)) + mean)
            j = 1
        }
        while j + 1 < n {
            let (r, t) = g.polar((first &+ UInt64(j)) >> 1)
            d[j] = T(fromDouble: std * (r * cos(t)) + mean)
            d[j + 1] = T(fromDouble: std * (r * sin(t)) + mean)
            j += 2
        }
        if j < n {
            let (r, t) = g.polar((first &+ UInt64(j)) >> 1)
            d[j] = T(fromDouble: std * (r * cos(t)) + mean)
        }
    }
}

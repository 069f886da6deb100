import CVectorMath

/// A sum carried as an unevaluated pair `hi + lo` (a double-double): `hi` is the rounded value and `lo` the
/// exact remainder of that rounding, so that partial sums merge without losing what each one knew.
///
/// The chunk kernels compute each chunk's pair with Ogita, Rump and Oishi's Sum2 / Dot2 (16 lanes of
/// TwoSum with their errors accumulated, see `MomentsPass.c` and `CompensatedDot.c`); partials then merge here, in the fixed
/// pairwise order, so the result is as accurate as a sum in twice the working precision and still
/// bit-identical for any number of workers.
///
/// ```swift
/// var s = CompensatedSum()
/// for x in [1e16, 1.0, -1e16] { s.add(x) }
/// s.value   // 1.0 (a plain Double sum gives 0.0)
/// ```
public struct CompensatedSum: Sendable, Equatable, BitwiseCopyable {
    /// The leading part: the rounded sum once ``normalized``.
    public var hi: Double
    /// The exact remainder of `hi`'s rounding (0 when `hi` is not finite).
    public var lo: Double

    public init(hi: Double = 0, lo: Double = 0) {
        self.hi = hi
        self.lo = lo
    }

    /// The sum, rounded once.
    public var value: Double { hi.isFinite ? hi + lo : hi }

    /// Adds one value (a Sum2 step: TwoSum, and the error joins `lo`). The pair is not normalized
    /// afterwards; ``normalized`` is, and ``value`` rounds it.
    @inline(__always)
    public mutating func add(_ x: Double) {
        let (s, e) = twoSum(hi, x)
        hi = s
        lo += e
    }

    /// The same sum with `hi = fl(hi + lo)` and `lo` the exact remainder.
    public var normalized: CompensatedSum { CompensatedSum(normalizing: hi, lo) }

    /// Adds another pair covering later elements (the merge of two partial sums); the result is normalized.
    @inline(__always)
    public mutating func add(_ other: CompensatedSum) {
        let (s, e) = twoSum(hi, other.hi)
        self = CompensatedSum(normalizing: s, e + (lo + other.lo))
    }

    /// The pair for `s + c` with `hi = fl(s + c)`; a non-finite `s` (an infinity, a NaN or overflow) keeps
    /// no remainder, as the compensation means nothing then.
    @inline(__always)
    init(normalizing s: Double, _ c: Double) {
        if s.isFinite {
            let (h, l) = twoSum(s, c)
            self.init(hi: h, lo: h.isFinite ? l : 0)
        } else {
            self.init(hi: s, lo: 0)
        }
    }

    /// Bitwise equality of both parts (NaN equals NaN).
    public static func == (a: CompensatedSum, b: CompensatedSum) -> Bool {
        a.hi.bitPattern == b.hi.bitPattern && a.lo.bitPattern == b.lo.bitPattern
    }
}

/// Knuth's TwoSum: `s = fl(a + b)` and the exact error `e`, with `a + b == s + e` (for finite inputs).
@inline(__always)
func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
    let s = a + b
    let z = s - a
    return (s, (a - (s - z)) + (b - z))
}

// MARK: - Chunk kernels

extension CompensatedSum {
    /// Dot2 of `n` pairs of Doubles (products' rounding errors from FMA).
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> CompensatedSum {
        var out: (Double, Double) = (0, 0)
        withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: Double.self, capacity: 2) { mp_dot2_f64(a, b, n, $0) } }
        return CompensatedSum(hi: out.0, lo: out.1)
    }

    /// Dot2 of `n` pairs of Floats (the products are exact in Double).
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> CompensatedSum {
        var out: (Double, Double) = (0, 0)
        withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: Double.self, capacity: 2) { mp_dot2_f32(a, b, n, $0) } }
        return CompensatedSum(hi: out.0, lo: out.1)
    }
}

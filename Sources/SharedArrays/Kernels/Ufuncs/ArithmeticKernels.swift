// Unary rows computed with exact IEEE arithmetic (bit operations, +, *, compares): SIMD bodies, and
// numpy's wrapping integer rules.

/// |x|: clears the sign bit (so -0.0 and -NaN lose their sign as in numpy); integers wrap (|Int.min| = Int.min).
struct AbsKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x.magnitude }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { T.magnitude(v) }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { x < 0 ? 0 &- x : x }
}

/// -x: flips the sign bit (-0.0 for 0.0); integers wrap.
struct NegateKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { -x }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { T.negated(v) }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { 0 &- x }
}

/// x * x; integers wrap.
struct SquareKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x * x }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { v * v }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { x &* x }
}

/// x * factor (the factor rounded to the element type once). Integers: exact wrapping arithmetic for an
/// integral factor, else the Double product truncated toward zero.
struct ScaleKernel: UnaryKernel {
    let factor: Double
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x * T(factor) }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { v * T(factor) }
    func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
        if let k = integralValue(factor), let t = I(exactly: k) {
            for i in 0..<n { d[i] = s[i] &* t }
        } else {
            for i in 0..<n { d[i] = I(fromDouble: Double(s[i]) * factor) }
        }
    }
}

/// x + amount; integers as for ``ScaleKernel``.
struct OffsetKernel: UnaryKernel {
    let amount: Double
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x + T(amount) }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { v + T(amount) }
    func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
        if let k = integralValue(amount), let t = I(exactly: k) {
            for i in 0..<n { d[i] = s[i] &+ t }
        } else {
            for i in 0..<n { d[i] = I(fromDouble: Double(s[i]) + amount) }
        }
    }
}

/// min(max(x, lower), upper) like `np.clip` (NaN stays NaN). Integers clip to the nearest integers inside
/// [lower, upper], saturated to the type's range.
struct ClipKernel: UnaryKernel {
    let lower: Double, upper: Double
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T {
        let r = x < T(lower) ? T(lower) : x
        return r > T(upper) ? T(upper) : r
    }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 {
        T.clamp(v, T.Vector16(repeating: T(lower)), T.Vector16(repeating: T(upper)))
    }
    func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
        let lo = I(fromDouble: lower.rounded(.up)), hi = I(fromDouble: upper.rounded(.down))
        for i in 0..<n {
            let x = s[i]
            let r = x < lo ? lo : x
            d[i] = r > hi ? hi : r
        }
    }
}

/// 1 / x (np.reciprocal, numpy's `power` by -1). Integers: the Double quotient truncated (numpy refuses the
/// negative power on integers, and so does ``SharedArray/map(_:timeout:)``).
struct ReciprocalKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { 1 / x }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { 1 / v }
}

/// -1, 0 or 1 like `np.sign`: NaN stays NaN, and both zeros give +0.0. Integers give -1, 0, 1 of their type.
struct SignKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : (x == 0 ? 0 : x)) }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { T.signs(v) }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0) }
}

/// The integral value of `x` as Int64 when it is exactly one, for exact wrapping integer arithmetic.
@inline(__always)
func integralValue(_ x: Double) -> Int64? {
    x.rounded(.towardZero) == x ? Int64(exactly: x) : nil
}

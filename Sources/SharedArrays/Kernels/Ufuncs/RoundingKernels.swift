// Rounding rows (np.rint/np.round, np.floor, np.ceil). The SIMD bodies round with the 2^52 (2^23 for Float)
// trick, exact under the default rounding mode, instead of per-lane libm calls (the default x86-64 target has
// no roundpd). Integers are already integral: every row is the identity on them, as in numpy.

/// x rounded to the nearest integer, ties to even (np.round with 0 decimals, np.rint); -0.4 gives -0.0.
struct RoundKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { roundedToEven(x) }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { roundedToEven(v, T.self) }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { x }
}

/// The largest integer <= x (-0.0 stays -0.0).
struct FloorKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T {
        let r = roundedToEven(x)
        return r > x ? r - 1 : r
    }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 {
        let r = roundedToEven(v, T.self)
        var out = r
        for i in 0..<16 { out[i] = r[i] > v[i] ? r[i] - 1 : r[i] }
        return out
    }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { x }
}

/// The smallest integer >= x; a result of zero keeps x's sign (ceil(-0.5) is -0.0).
struct CeilKernel: UnaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T {
        let r = roundedToEven(x)
        let up = r < x ? r + 1 : r
        // Only a zero result can have lost x's sign (-1 + 1 = +0.0).
        return up == 0 ? T(signOf: x, magnitudeOf: 0) : up
    }
    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 {
        let r = roundedToEven(v, T.self)
        var up = r
        for i in 0..<16 { up[i] = r[i] < v[i] ? r[i] + 1 : r[i] }
        // ceil(x) always has x's sign (or is NaN, which copySign leaves NaN).
        return T.copySign(up, v)
    }
    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { x }
}

/// x rounded to the nearest integer, ties to even: adding and subtracting 2^52 (2^23) rounds any smaller
/// magnitude; larger ones, infinities and NaN are returned as they are. The sign is put back so that
/// -0.4 gives -0.0.
@inline(__always)
func roundedToEven<T: UfuncFloat>(_ x: T) -> T {
    let m = x.magnitude
    guard m < T.integralThreshold else { return x }
    return T(signOf: x, magnitudeOf: (m + T.integralThreshold) - T.integralThreshold)
}

@inline(__always)
func roundedToEven<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 {
    let m = T.magnitude(v)
    let threshold = T.Vector16(repeating: T.integralThreshold)
    let rounded = T.copySign((m + threshold) - threshold, v)
    var r = v
    for i in 0..<16 { r[i] = m[i] < T.integralThreshold ? rounded[i] : v[i] }
    return r
}

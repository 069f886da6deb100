#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the ufunc rows need of Double and Float beyond ``KernelFloat``: libm per type, and lane-wise helpers
/// written so that they compile to plain SSE2 instructions (no per-lane libm call) at the default target.
protocol UfuncFloat: KernelFloat {
    /// 2^(significand bits): every float at least this large is an integer.
    static var integralThreshold: Self { get }
    static func libmLog1p(_ x: Self) -> Self
    static func libmExpm1(_ x: Self) -> Self
    static func libmSin(_ x: Self) -> Self
    static func libmCos(_ x: Self) -> Self
    static func libmTanh(_ x: Self) -> Self
    static func libmPow(_ x: Self, _ y: Self) -> Self
    /// `d[i] = f(s[i])` through SLEEF or libmvec (only when ``VectorMath/isAvailable``).
    static func vectorMath(_ f: VectorMath.Function, _ s: UnsafePointer<Self>, _ d: UnsafeMutablePointer<Self>, _ n: Int)
    /// `d[i] = pow(x[i], e[i * exponentStride])` through the own pow kernels (only when ``VectorMath/isAvailable``).
    static func vectorPow(
        _ x: UnsafePointer<Self>, _ e: UnsafePointer<Self>, exponentStride: Int, _ d: UnsafeMutablePointer<Self>, _ n: Int)
    /// `d[i] = s[i].squareRoot()` in the CPU's widest vectors (AVX-512F or AVX; correctly rounded, so the
    /// same bits as the scalar body on every path).
    static func squareRoots(_ s: UnsafePointer<Self>, _ d: UnsafeMutablePointer<Self>, _ n: Int)
    /// Lane-wise np.sign: 1, -1, +0.0 for both zeros, NaN as it is; with compare masks, so no branch per lane.
    static func signs(_ v: Vector16) -> Vector16
    /// Lane-wise `magnitude` with the sign bit of `sign`.
    static func copySign(_ magnitude: Vector16, _ sign: Vector16) -> Vector16
}

extension Double: UfuncFloat {
    static var integralThreshold: Double { 0x1p52 }
    @inline(__always) static func libmLog1p(_ x: Double) -> Double { log1p(x) }
    @inline(__always) static func libmExpm1(_ x: Double) -> Double { expm1(x) }
    @inline(__always) static func libmSin(_ x: Double) -> Double { sin(x) }
    @inline(__always) static func libmCos(_ x: Double) -> Double { cos(x) }
    @inline(__always) static func libmTanh(_ x: Double) -> Double { tanh(x) }
    @inline(__always) static func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
    @inline(__always) static func signs(_ v: SIMD16<Double>) -> SIMD16<Double> {
        let positive = unsafeBitCast(v .> 0, to: SIMD16<Int64>.self)
        let negative = unsafeBitCast(v .< 0, to: SIMD16<Int64>.self)
        let nan = unsafeBitCast(v .!= v, to: SIMD16<Int64>.self)
        let one = Int64(bitPattern: (1.0).bitPattern), minusOne = Int64(bitPattern: (-1.0).bitPattern)
        let bits = (positive & one) | (negative & minusOne) | (nan & unsafeBitCast(v, to: SIMD16<Int64>.self))
        return unsafeBitCast(bits, to: SIMD16<Double>.self)
    }
    @inline(__always) static func copySign(_ magnitude: SIMD16<Double>, _ sign: SIMD16<Double>) -> SIMD16<Double> {
        let m = unsafeBitCast(magnitude, to: SIMD16<UInt64>.self) & ~(1 << 63)
        let s = unsafeBitCast(sign, to: SIMD16<UInt64>.self) & (1 << 63)
        return unsafeBitCast(m | s, to: SIMD16<Double>.self)
    }
}

extension Float: UfuncFloat {
    static var integralThreshold: Float { 0x1p23 }
    @inline(__always) static func libmLog1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) static func libmExpm1(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) static func libmSin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) static func libmCos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) static func libmTanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) static func libmPow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inline(__always) static func signs(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let positive = unsafeBitCast(v .> 0, to: SIMD16<Int32>.self)
        let negative = unsafeBitCast(v .< 0, to: SIMD16<Int32>.self)
        let nan = unsafeBitCast(v .!= v, to: SIMD16<Int32>.self)
        let one = Int32(bitPattern: Float(1).bitPattern), minusOne = Int32(bitPattern: Float(-1).bitPattern)
        let bits = (positive & one) | (negative & minusOne) | (nan & unsafeBitCast(v, to: SIMD16<Int32>.self))
        return unsafeBitCast(bits, to: SIMD16<Float>.self)
    }
    @inline(__always) static func copySign(_ magnitude: SIMD16<Float>, _ sign: SIMD16<Float>) -> SIMD16<Float> {
        let m = unsafeBitCast(magnitude, to: SIMD16<UInt32>.self) & ~(1 << 31)
        let s = unsafeBitCast(sign, to: SIMD16<UInt32>.self) & (1 << 31)
        return unsafeBitCast(m | s, to: SIMD16<Float>.self)
    }
}

import CVectorMath
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Shared plumbing for the chunk kernels: per-type SIMD loads and the element-type dispatch.
//
// Every public kernel is generic over `SharedElement` but switches on `E.self` once per call and hands a
// re-typed buffer to a path written for `KernelFloat` (Double, Float) or `KernelInteger` (Int64, Int32).
// Those inner paths are called with concrete types, so the optimizer specialises them even when the public
// entry point itself runs unspecialised (for example when called from another module). Any other
// `SharedElement` type is widened to a temporary [Double] (correct, not fast).
//
// Codegen notes (default x86-64 target = SSE2, 16 xmm registers; SIMD8<Double> takes 4 of them):
// - write `a * b + c`, never `.addProduct` (a libm `fma` call per lane);
// - min/max/clamp lane by lane with `?:` (compiles to minpd/maxpd); `replacing(with:where:)` does not;
// - the stdlib's SIMD `-v` is `0 - v` (wrong sign for 0.0) and `squareRoot()` keeps libm's errno branch
//   (scalar sqrtsd per lane);
// - reduce several accumulators to scalars once, after the loop: per-block scalar reductions of two
//   accumulators let LLVM's SLP vectoriser pair them and wreck the loop.

/// Element types whose SIMD kernels widen to Double: loads of 8 or 16 elements as `SIMD8<Double>`.
protocol WideningElement: SharedElement {
    /// Loads 4 elements at `p + i` (unaligned) widened to Double.
    static func load4(_ p: UnsafePointer<Self>, _ i: Int) -> SIMD4<Double>
    /// Loads 8 elements at `p + i` (unaligned) widened to Double.
    static func load8(_ p: UnsafePointer<Self>, _ i: Int) -> SIMD8<Double>
    /// Loads 16 elements at `p + i` (unaligned) widened to Double, as two halves.
    static func load16(_ p: UnsafePointer<Self>, _ i: Int) -> (SIMD8<Double>, SIMD8<Double>)
    /// numpy's wrapping Int64 sum of `n` elements for integers; 0 for floating point.
    static func wrappingSum(_ p: UnsafePointer<Self>, _ n: Int) -> Int64
    /// The C moments pass over `n` elements for floating point (compensated sum, or a plain one with
    /// `plainSum`, and squares / extrema as asked); nil for integers, which take the Swift SIMD pass (their
    /// exact sum is ``wrappingSum(_:_:)``).
    static func momentsPass(_ p: UnsafePointer<Self>, _ n: Int, squares: Bool, extrema: Bool, plainSum: Bool) -> mp_moments_pass?
    /// Index of the first of `n` elements at `p` equal to `target`, or -1.
    static func firstIndex(of target: Double, in p: UnsafePointer<Self>, _ n: Int) -> Int
    /// The sum of `(x - mean)^2` over `n` elements in cache (the variance's second pass): the C kernel for
    /// floating point, the Swift SIMD loop for integers.
    static func squaredDeviations(_ p: UnsafePointer<Self>, _ n: Int, mean: Double) -> Double
}

extension WideningElement {
    @inline(__always) static func firstIndex(of target: Double, in p: UnsafePointer<Self>, _ n: Int) -> Int {
        simdFirstIndex(of: target, in: p, n)
    }

    @inline(__always) static func squaredDeviations(_ p: UnsafePointer<Self>, _ n: Int, mean: Double) -> Double {
        simdSquaredDeviations(p, n, mean: mean)
    }
}

extension KernelFloat {
    @inline(__always) static func wrappingSum(_ p: UnsafePointer<Self>, _ n: Int) -> Int64 { 0 }
}

/// The flags of the C moments pass.
@inline(__always) func momentsPassFlags(squares: Bool, extrema: Bool, plainSum: Bool) -> Int32 {
    (squares ? MP_PASS_SQUARES : 0) | (extrema ? MP_PASS_EXTREMA : 0) | (plainSum ? MP_PASS_PLAIN_SUM : 0)
}

extension Double {
    @inline(__always) static func firstIndex(of target: Double, in p: UnsafePointer<Double>, _ n: Int) -> Int {
        mp_first_equal_f64(p, n, target)
    }

    @inline(__always) static func squaredDeviations(_ p: UnsafePointer<Double>, _ n: Int, mean: Double) -> Double {
        mp_squared_deviations_f64(p, n, mean)
    }

    @inline(__always) static func momentsPass(
        _ p: UnsafePointer<Double>, _ n: Int, squares: Bool, extrema: Bool, plainSum: Bool
    ) -> mp_moments_pass? {
        var out = mp_moments_pass()
        mp_moments_pass_f64(p, n, momentsPassFlags(squares: squares, extrema: extrema, plainSum: plainSum), &out)
        return out
    }
}

extension Float {
    @inline(__always) static func squaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Double) -> Double {
        mp_squared_deviations_f32(p, n, mean)
    }

    @inline(__always) static func momentsPass(
        _ p: UnsafePointer<Float>, _ n: Int, squares: Bool, extrema: Bool, plainSum: Bool
    ) -> mp_moments_pass? {
        var out = mp_moments_pass()
        mp_moments_pass_f32(p, n, momentsPassFlags(squares: squares, extrema: extrema, plainSum: plainSum), &out)
        return out
    }
}

/// The floating-point element types with SIMD kernels. Values are widened to Double for accumulation.
protocol KernelFloat: WideningElement, BinaryFloatingPoint, SIMDScalar, Codable {
    /// The SIMD vector of `Self` the element-wise kernels use (16 lanes).
    associatedtype Vector16: SIMD where Vector16.Scalar == Self
    /// Loads 16 elements at `p + i` (unaligned) in their own type.
    static func loadVector(_ p: UnsafePointer<Self>, _ i: Int) -> Vector16
    /// Stores 16 elements at `p + i` (unaligned).
    static func storeVector(_ v: Vector16, _ p: UnsafeMutablePointer<Self>, _ i: Int)
    /// Lane-wise absolute value (clears the sign bit, so -0.0 and -NaN lose their sign as in numpy).
    static func magnitude(_ v: Vector16) -> Vector16
    /// Lane-wise negation by flipping the sign bit (the stdlib's SIMD `-v` is `0 - v`, which maps 0.0 to
    /// 0.0 instead of -0.0).
    static func negated(_ v: Vector16) -> Vector16
    /// Lane-wise `min(max(v, lo), hi)`; NaN lanes stay NaN (np.clip).
    static func clamp(_ v: Vector16, _ lo: Vector16, _ hi: Vector16) -> Vector16
    /// libm `exp` / `expf`.
    static func libmExp(_ x: Self) -> Self
    /// libm `log` / `logf`.
    static func libmLog(_ x: Self) -> Self
}

extension Double: KernelFloat {
    typealias Vector16 = SIMD16<Double>
    @inline(__always) static func load4(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD4<Double> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Double>.self)
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD8<Double> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Double>.self)
    }
    @inline(__always) static func load16(_ p: UnsafePointer<Double>, _ i: Int) -> (SIMD8<Double>, SIMD8<Double>) {
        let r = UnsafeRawPointer(p + i)
        return (r.loadUnaligned(as: SIMD8<Double>.self), r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Double>.self))
    }
    @inline(__always) static func loadVector(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD16<Double> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Double>.self)
    }
    @inline(__always) static func storeVector(_ v: SIMD16<Double>, _ p: UnsafeMutablePointer<Double>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Double>.self)
    }
    @inline(__always) static func negated(_ v: SIMD16<Double>) -> SIMD16<Double> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt64>.self) ^ (1 << 63), to: SIMD16<Double>.self)
    }
    @inline(__always) static func magnitude(_ v: SIMD16<Double>) -> SIMD16<Double> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt64>.self) & ~(1 << 63), to: SIMD16<Double>.self)
    }
    @inline(__always) static func clamp(_ v: SIMD16<Double>, _ lo: SIMD16<Double>, _ hi: SIMD16<Double>) -> SIMD16<Double> {
        var r = v
        for i in 0..<16 {
            let x = v[i] < lo[i] ? lo[i] : v[i]
            r[i] = x > hi[i] ? hi[i] : x
        }
        return r
    }
    @inline(__always) static func libmExp(_ x: Double) -> Double { exp(x) }
    @inline(__always) static func libmLog(_ x: Double) -> Double { log(x) }
}

extension Float: KernelFloat {
    typealias Vector16 = SIMD16<Float>
    @inline(__always) static func load4(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD4<Double> {
        SIMD4<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Float>.self))
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self))
    }
    @inline(__always) static func load16(_ p: UnsafePointer<Float>, _ i: Int) -> (SIMD8<Double>, SIMD8<Double>) {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        return (SIMD8<Double>(v.lowHalf), SIMD8<Double>(v.highHalf))
    }
    @inline(__always) static func loadVector(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func storeVector(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
    }
    @inline(__always) static func negated(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) ^ (1 << 31), to: SIMD16<Float>.self)
    }
    @inline(__always) static func magnitude(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & ~(1 << 31), to: SIMD16<Float>.self)
    }
    @inline(__always) static func clamp(_ v: SIMD16<Float>, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>) -> SIMD16<Float> {
        var r = v
        for i in 0..<16 {
            let x = v[i] < lo[i] ? lo[i] : v[i]
            r[i] = x > hi[i] ? hi[i] : x
        }
        return r
    }
    @inline(__always) static func libmExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func libmLog(_ x: Float) -> Float { logf(x) }
}

/// Lane-wise minimum written lane by lane so it compiles to `minpd` (the mask-based `replacing(with:where:)`
/// does not, once specialised). NaN lanes never reach here: the callers' exact paths handle NaN.
@inline(__always)
func lanewiseMin(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
    var r = a
    for i in 0..<8 { r[i] = b[i] < a[i] ? b[i] : a[i] }
    return r
}

/// Lane-wise maximum; see ``lanewiseMin(_:_:)``.
@inline(__always)
func lanewiseMax(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
    var r = a
    for i in 0..<8 { r[i] = b[i] > a[i] ? b[i] : a[i] }
    return r
}

@inline(__always)
func lanewiseMin(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> {
    var r = a
    for i in 0..<4 { r[i] = b[i] < a[i] ? b[i] : a[i] }
    return r
}

@inline(__always)
func lanewiseMax(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> {
    var r = a
    for i in 0..<4 { r[i] = b[i] > a[i] ? b[i] : a[i] }
    return r
}

/// Horizontal sum in a fixed order (halving tree), so results never depend on how the stdlib reduces.
@inline(__always)
func horizontalSum(_ v: SIMD8<Double>) -> Double {
    let h = v.lowHalf + v.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
}

/// Which optional accumulations a SIMD pass carries. A type parameter rather than a Bool so that every
/// combination is specialised into its own branch-free loop.
protocol PassMode {
    static var extrema: Bool { get }
    static var squares: Bool { get }
}

enum SumPass: PassMode {
    static var extrema: Bool { false }
    static var squares: Bool { false }
}

enum SumExtremaPass: PassMode {
    static var extrema: Bool { true }
    static var squares: Bool { false }
}

enum SumSquaresPass: PassMode {
    static var extrema: Bool { false }
    static var squares: Bool { true }
}

enum SumExtremaSquaresPass: PassMode {
    static var extrema: Bool { true }
    static var squares: Bool { true }
}

/// The element type a kernel dispatches on.
enum KernelType {
    case float64, float32, int64, int32, other
    @inline(__always) init<E>(_: E.Type) {
        if E.self == Double.self { self = .float64 }
        else if E.self == Float.self { self = .float32 }
        else if E.self == Int64.self { self = .int64 }
        else if E.self == Int32.self { self = .int32 }
        else { self = .other }
    }
}

extension UnsafeBufferPointer {
    /// The same memory seen as `T`; only valid when `Element.self == T.self` (checked by the callers' dispatch).
    @inline(__always) func retyped<T>(_: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer<T>(start: UnsafeRawPointer(baseAddress)?.assumingMemoryBound(to: T.self), count: count)
    }
}

extension UnsafeMutableBufferPointer {
    /// The same memory seen as `T`; only valid when `Element.self == T.self`.
    @inline(__always) func retyped<T>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer<T>(
            start: UnsafeMutableRawPointer(baseAddress)?.assumingMemoryBound(to: T.self), count: count)
    }
}

/// The integer element types (no NaN; sums also kept as wrapping Int64).
extension KernelInteger {
    @inline(__always) static func wrappingSum(_ p: UnsafePointer<Self>, _ n: Int) -> Int64 { integerWrappingSum(p, n) }
    @inline(__always) static func momentsPass(
        _ p: UnsafePointer<Self>, _ n: Int, squares: Bool, extrema: Bool, plainSum: Bool
    ) -> mp_moments_pass? { nil }
}

protocol KernelInteger: WideningElement, FixedWidthInteger, SignedInteger {
    /// Whether every value is exact as a Double (so Double compares give exact min/max).
    static var exactInDouble: Bool { get }
    /// Loads 8 elements at `p + i` (unaligned) widened to Int64.
    static func loadInt64x8(_ p: UnsafePointer<Self>, _ i: Int) -> SIMD8<Int64>
}

extension Int64: KernelInteger {
    static var exactInDouble: Bool { false }
    @inline(__always) static func load4(_ p: UnsafePointer<Int64>, _ i: Int) -> SIMD4<Double> {
        SIMD4<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Int64>.self))
    }
    @inline(__always) static func loadInt64x8(_ p: UnsafePointer<Int64>, _ i: Int) -> SIMD8<Int64> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Int64>.self)
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Int64>, _ i: Int) -> SIMD8<Double> {
        SIMD8<Double>(loadInt64x8(p, i))
    }
    @inline(__always) static func load16(_ p: UnsafePointer<Int64>, _ i: Int) -> (SIMD8<Double>, SIMD8<Double>) {
        (load8(p, i), load8(p, i &+ 8))
    }
}

extension Int32: KernelInteger {
    static var exactInDouble: Bool { true }
    @inline(__always) static func load4(_ p: UnsafePointer<Int32>, _ i: Int) -> SIMD4<Double> {
        SIMD4<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Int32>.self))
    }
    @inline(__always) static func loadInt64x8(_ p: UnsafePointer<Int32>, _ i: Int) -> SIMD8<Int64> {
        SIMD8<Int64>(truncatingIfNeeded: UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Int32>.self))
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Int32>, _ i: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Int32>.self))
    }
    @inline(__always) static func load16(_ p: UnsafePointer<Int32>, _ i: Int) -> (SIMD8<Double>, SIMD8<Double>) {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Int32>.self)
        return (SIMD8<Double>(v.lowHalf), SIMD8<Double>(v.highHalf))
    }
}

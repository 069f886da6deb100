#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenBLAS

// Element-wise kernels. Double and Float run SIMD loops of 16 lanes plus a scalar tail that computes the same
// thing (sqrt, exp and log are scalar libm calls); `src` and `dst` may be the same memory (in place), but
// must not otherwise overlap.
//
// Integer types: abs, negate and square wrap like numpy; scale/offset/axpy by an integral factor are exact
// wrapping arithmetic; everything else is computed in Double and converted with `init(fromDouble:)`
// (truncation toward zero, NaN -> 0, saturating), since the destination keeps the element type.

/// `dst[i] = op(src[i])`. `src` and `dst` must have the same count and may be the same buffer.
public func applyUnary<E: SharedElement>(
    _ op: UnaryOp, _ src: UnsafeBufferPointer<E>, _ dst: UnsafeMutableBufferPointer<E>
) {
    precondition(src.count == dst.count, "applyUnary: lengths differ")
    guard let s = src.baseAddress, let d = dst.baseAddress, src.count > 0 else { return }
    let n = src.count
    switch KernelType(E.self) {
    case .float64: floatUnary(op, retype(s, Double.self), retype(d, Double.self), n)
    case .float32: floatUnary(op, retype(s, Float.self), retype(d, Float.self), n)
    case .int64: integerUnary(op, retype(s, Int64.self), retype(d, Int64.self), n)
    case .int32: integerUnary(op, retype(s, Int32.self), retype(d, Int32.self), n)
    case .other:
        for i in 0..<n { d[i] = E(fromDouble: unaryInDouble(op, s[i].asDouble)) }
    }
}

/// `dst[i] = a[i] (op) b[i]`. All three must have the same count; `dst` may be `a` or `b`.
public func applyBinary<E: SharedElement>(
    _ op: BinaryOp, _ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>,
    _ dst: UnsafeMutableBufferPointer<E>
) {
    precondition(a.count == b.count && a.count == dst.count, "applyBinary: lengths differ")
    guard let pa = a.baseAddress, let pb = b.baseAddress, let d = dst.baseAddress, a.count > 0 else { return }
    let n = a.count
    switch KernelType(E.self) {
    case .float64: floatBinary(op, retype(pa, Double.self), retype(pb, Double.self), retype(d, Double.self), n)
    case .float32: floatBinary(op, retype(pa, Float.self), retype(pb, Float.self), retype(d, Float.self), n)
    case .int64: integerBinary(op, retype(pa, Int64.self), retype(pb, Int64.self), retype(d, Int64.self), n)
    case .int32: integerBinary(op, retype(pa, Int32.self), retype(pb, Int32.self), retype(d, Int32.self), n)
    case .other:
        for i in 0..<n {
            let x = pa[i].asDouble, y = pb[i].asDouble
            let r: Double
            switch op {
            case .add: r = x + y
            case .sub: r = x - y
            case .mul: r = x * y
            case .div: r = x / y
            }
            d[i] = E(fromDouble: r)
        }
    }
}

/// `y += alpha * x` (BLAS axpy: `cblas_daxpy` / `cblas_saxpy` for Double / Float).
public func axpy<E: SharedElement>(alpha: Double, _ x: UnsafeBufferPointer<E>, _ y: UnsafeMutableBufferPointer<E>) {
    precondition(x.count == y.count, "axpy: lengths differ")
    guard let px = x.baseAddress, let py = y.baseAddress, x.count > 0 else { return }
    let n = x.count
    switch KernelType(E.self) {
    case .float64:
        forBLASPieces(n) { o, len in cblas_daxpy(len, alpha, retype(px, Double.self) + o, 1, retype(py, Double.self) + o, 1) }
    case .float32:
        forBLASPieces(n) { o, len in cblas_saxpy(len, Float(alpha), retype(px, Float.self) + o, 1, retype(py, Float.self) + o, 1) }
    case .int64: integerAxpy(alpha, retype(px, Int64.self), retype(py, Int64.self), n)
    case .int32: integerAxpy(alpha, retype(px, Int32.self), retype(py, Int32.self), n)
    case .other:
        for i in 0..<n { py[i] = E(fromDouble: alpha * px[i].asDouble + py[i].asDouble) }
    }
}

/// Sets every element to `value` (converted with `init(fromDouble:)`).
public func fill<E: SharedElement>(_ value: Double, _ dst: UnsafeMutableBufferPointer<E>) {
    guard let d = dst.baseAddress else { return }
    d.update(repeating: E(fromDouble: value), count: dst.count)
}

/// `np.arange` values for the elements whose global indices start at `firstIndex`.
///
/// Like numpy's fill: element 0 is `start`, element 1 is `start + step`, element i >= 2 is
/// `start + Double(i) * delta` with `delta = (start + step) - start`; computed in Double for every type,
/// then converted (so any chunking gives the same values).
public func arange<E: SharedElement>(start: Double, step: Double, firstIndex: Int, _ dst: UnsafeMutableBufferPointer<E>) {
    guard let d = dst.baseAddress else { return }
    let a = ArangeValues(start: start, step: step)
    switch KernelType(E.self) {
    case .float64:
        let p = retype(d, Double.self)
        for i in 0..<dst.count { p[i] = a.value(firstIndex + i) }
    case .float32:
        let p = retype(d, Float.self)
        for i in 0..<dst.count { p[i] = Float(a.value(firstIndex + i)) }
    default:
        for i in 0..<dst.count { d[i] = E(fromDouble: a.value(firstIndex + i)) }
    }
}

/// numpy's arange fill rule for global index `g`.
private struct ArangeValues {
    let start: Double, step: Double, delta: Double
    init(start: Double, step: Double) {
        self.start = start
        self.step = step
        delta = (start + step) - start
    }
    @inline(__always) func value(_ g: Int) -> Double {
        g == 0 ? start : (g == 1 ? start + step : start + Double(g) * delta)
    }
}

// MARK: - Helpers

@inline(__always)
func retype<E, T>(_ p: UnsafePointer<E>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func retype<E, T>(_ p: UnsafeMutablePointer<E>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

/// Runs a BLAS call over `n` elements in pieces that fit its 32-bit length.
@inline(__always)
func forBLASPieces(_ n: Int, _ body: (Int, Int32) -> Void) {
    var offset = 0
    while offset < n {
        let len = Swift.min(1 << 30, n - offset)
        body(offset, Int32(len))
        offset += len
    }
}

// The element-wise operations are small structs passed as generic parameters, not closures: a closure
// argument was left un-inlined in SwiftPM release builds (one call per vector, 3x slower), while a
// generic struct is always specialised and its @inline(__always) methods inlined.

/// One element-wise unary operation: the 16-lane form and a scalar form that must agree lane by lane.
private protocol VectorUnary {
    associatedtype T: KernelFloat
    func vector(_ v: T.Vector16) -> T.Vector16
    func scalar(_ x: T) -> T
}

private struct AbsOp<T: KernelFloat>: VectorUnary {
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { T.magnitude(v) }
    @inline(__always) func scalar(_ x: T) -> T { x.magnitude }
}

private struct NegateOp<T: KernelFloat>: VectorUnary {
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { T.negated(v) }
    @inline(__always) func scalar(_ x: T) -> T { -x }
}

private struct SquareOp<T: KernelFloat>: VectorUnary {
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { v * v }
    @inline(__always) func scalar(_ x: T) -> T { x * x }
}

private struct ScaleOp<T: KernelFloat>: VectorUnary {
    let factor: T
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { v * factor }
    @inline(__always) func scalar(_ x: T) -> T { x * factor }
}

private struct OffsetOp<T: KernelFloat>: VectorUnary {
    let amount: T
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { v + amount }
    @inline(__always) func scalar(_ x: T) -> T { x + amount }
}

private struct ClipOp<T: KernelFloat>: VectorUnary {
    let lower: T, upper: T, lowerVector: T.Vector16, upperVector: T.Vector16
    init(_ lower: T, _ upper: T) {
        self.lower = lower
        self.upper = upper
        lowerVector = T.Vector16(repeating: lower)
        upperVector = T.Vector16(repeating: upper)
    }
    @inline(__always) func vector(_ v: T.Vector16) -> T.Vector16 { T.clamp(v, lowerVector, upperVector) }
    @inline(__always) func scalar(_ x: T) -> T {
        let r = x < lower ? lower : x
        return r > upper ? upper : r
    }
}

/// One element-wise binary operation (vector and scalar forms).
private protocol VectorBinary {
    associatedtype T: KernelFloat
    func vector(_ a: T.Vector16, _ b: T.Vector16) -> T.Vector16
    func scalar(_ a: T, _ b: T) -> T
}

private struct AddOp<T: KernelFloat>: VectorBinary {
    @inline(__always) func vector(_ a: T.Vector16, _ b: T.Vector16) -> T.Vector16 { a + b }
    @inline(__always) func scalar(_ a: T, _ b: T) -> T { a + b }
}

private struct SubOp<T: KernelFloat>: VectorBinary {
    @inline(__always) func vector(_ a: T.Vector16, _ b: T.Vector16) -> T.Vector16 { a - b }
    @inline(__always) func scalar(_ a: T, _ b: T) -> T { a - b }
}

private struct MulOp<T: KernelFloat>: VectorBinary {
    @inline(__always) func vector(_ a: T.Vector16, _ b: T.Vector16) -> T.Vector16 { a * b }
    @inline(__always) func scalar(_ a: T, _ b: T) -> T { a * b }
}

private struct DivOp<T: KernelFloat>: VectorBinary {
    @inline(__always) func vector(_ a: T.Vector16, _ b: T.Vector16) -> T.Vector16 { a / b }
    @inline(__always) func scalar(_ a: T, _ b: T) -> T { a / b }
}

/// `dst[i] = op(src[i])` with a 16-lane vector body and a scalar tail.
private func simdMap<Op: VectorUnary>(
    _ src: UnsafePointer<Op.T>, _ dst: UnsafeMutablePointer<Op.T>, _ n: Int, _ op: Op
) {
    let body = n & ~15
    var i = 0
    while i < body {
        Op.T.storeVector(op.vector(Op.T.loadVector(src, i)), dst, i)
        i &+= 16
    }
    while i < n {
        dst[i] = op.scalar(src[i])
        i &+= 1
    }
}

/// `dst[i] = op(a[i], b[i])` with a 16-lane vector body and a scalar tail.
private func simdZip<Op: VectorBinary>(
    _ a: UnsafePointer<Op.T>, _ b: UnsafePointer<Op.T>, _ dst: UnsafeMutablePointer<Op.T>, _ n: Int, _ op: Op
) {
    let body = n & ~15
    var i = 0
    while i < body {
        Op.T.storeVector(op.vector(Op.T.loadVector(a, i), Op.T.loadVector(b, i)), dst, i)
        i &+= 16
    }
    while i < n {
        dst[i] = op.scalar(a[i], b[i])
        i &+= 1
    }
}

private func floatUnary<T: KernelFloat>(_ op: UnaryOp, _ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
    switch op {
    case .abs: simdMap(s, d, n, AbsOp<T>())
    case .negate: simdMap(s, d, n, NegateOp<T>())
    case .square: simdMap(s, d, n, SquareOp<T>())
    case .scale(let f): simdMap(s, d, n, ScaleOp<T>(factor: T(f)))
    case .offset(let a): simdMap(s, d, n, OffsetOp<T>(amount: T(a)))
    case .clip(let lower, let upper): simdMap(s, d, n, ClipOp<T>(T(lower), T(upper)))
    case .sqrt:
        // Scalar: Swift's squareRoot keeps libm's errno branch, which blocks vectorisation.
        for i in 0..<n { d[i] = s[i].squareRoot() }
    case .exp: for i in 0..<n { d[i] = T.libmExp(s[i]) }
    case .log: for i in 0..<n { d[i] = T.libmLog(s[i]) }
    }
}

private func floatBinary<T: KernelFloat>(
    _ op: BinaryOp, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int
) {
    switch op {
    case .add: simdZip(a, b, d, n, AddOp<T>())
    case .sub: simdZip(a, b, d, n, SubOp<T>())
    case .mul: simdZip(a, b, d, n, MulOp<T>())
    case .div: simdZip(a, b, d, n, DivOp<T>())
    }
}

/// The integral value of `x` as Int64 when it is exactly one, for exact wrapping integer arithmetic.
@inline(__always)
private func integralFactor(_ x: Double) -> Int64? {
    x.rounded(.towardZero) == x ? Int64(exactly: x) : nil
}

private func integerUnary<I: KernelInteger>(_ op: UnaryOp, _ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
    switch op {
    case .abs: for i in 0..<n { let x = s[i]; d[i] = x < 0 ? 0 &- x : x }
    case .negate: for i in 0..<n { d[i] = 0 &- s[i] }
    case .square: for i in 0..<n { d[i] = s[i] &* s[i] }
    case .scale(let f):
        if let k = integralFactor(f), let t = I(exactly: k) {
            for i in 0..<n { d[i] = s[i] &* t }
            return
        }
        for i in 0..<n { d[i] = I(fromDouble: Double(s[i]) * f) }
    case .offset(let a):
        if let k = integralFactor(a), let t = I(exactly: k) {
            for i in 0..<n { d[i] = s[i] &+ t }
            return
        }
        for i in 0..<n { d[i] = I(fromDouble: Double(s[i]) + a) }
    case .clip(let lower, let upper):
        // The nearest integers inside [lower, upper], saturated to the type's range.
        let lo = I(fromDouble: lower.rounded(.up)), hi = I(fromDouble: upper.rounded(.down))
        for i in 0..<n {
            let x = s[i]
            let r = x < lo ? lo : x
            d[i] = r > hi ? hi : r
        }
    case .sqrt, .exp, .log:
        for i in 0..<n { d[i] = I(fromDouble: unaryInDouble(op, Double(s[i]))) }
    }
}

/// The operation on one Double (the reference semantics for integer and other element types).
func unaryInDouble(_ op: UnaryOp, _ x: Double) -> Double {
    switch op {
    case .abs: return x.magnitude
    case .sqrt: return x.squareRoot()
    case .exp: return exp(x)
    case .log: return log(x)
    case .negate: return -x
    case .scale(let f): return x * f
    case .clip(let lo, let hi):
        let r = x < lo ? lo : x
        return r > hi ? hi : r
    case .square: return x * x
    case .offset(let a): return x + a
    }
}

private func integerBinary<I: KernelInteger>(
    _ op: BinaryOp, _ a: UnsafePointer<I>, _ b: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int
) {
    switch op {
    case .add: for i in 0..<n { d[i] = a[i] &+ b[i] }
    case .sub: for i in 0..<n { d[i] = a[i] &- b[i] }
    case .mul: for i in 0..<n { d[i] = a[i] &* b[i] }
    case .div:
        for i in 0..<n {
            let y = b[i]
            d[i] = y == 0 ? 0 : a[i].dividedReportingOverflow(by: y).partialValue
        }
    }
}

private func integerAxpy<I: KernelInteger>(_ alpha: Double, _ x: UnsafePointer<I>, _ y: UnsafeMutablePointer<I>, _ n: Int) {
    if let k = integralFactor(alpha), let t = I(exactly: k) {
        for i in 0..<n { y[i] = x[i] &* t &+ y[i] }
    } else {
        for i in 0..<n { y[i] = I(fromDouble: alpha * Double(x[i]) + Double(y[i])) }
    }
}

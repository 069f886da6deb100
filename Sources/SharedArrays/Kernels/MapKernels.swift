#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenBLAS

// Element-wise kernels. The unary and binary operations are rows of the ufunc table (Kernels/Ufuncs/): each
// row gives a scalar body, a 16-lane SIMD body where one pays, and its integer rule; `src` and `dst` may be the
// same memory (in place), but must not otherwise overlap.

/// `dst[i] = op(src[i])`. `src` and `dst` must have the same count and may be the same buffer.
public func applyUnary<E: SharedElement>(
    _ op: UnaryOp, _ src: UnsafeBufferPointer<E>, _ dst: UnsafeMutableBufferPointer<E>
) {
    precondition(src.count == dst.count, "applyUnary: lengths differ")
    guard let s = src.baseAddress, let d = dst.baseAddress, src.count > 0 else { return }
    op.withKernel(UnaryApplication(source: s, destination: d, count: src.count))
}

/// `dst[i] = a[i] (op) b[i]`. All three must have the same count; `dst` may be `a` or `b`.
public func applyBinary<E: SharedElement>(
    _ op: BinaryOp, _ a: UnsafeBufferPointer<E>, _ b: UnsafeBufferPointer<E>,
    _ dst: UnsafeMutableBufferPointer<E>
) {
    precondition(a.count == b.count && a.count == dst.count, "applyBinary: lengths differ")
    guard let pa = a.baseAddress, let pb = b.baseAddress, let d = dst.baseAddress, a.count > 0 else { return }
    op.withKernel(BinaryApplication(first: pa, second: pb, destination: d, count: a.count))
}

/// The operation on one Double (the reference semantics for integer and other element types).
func unaryInDouble(_ op: UnaryOp, _ x: Double) -> Double {
    op.withKernel(DoubleEvaluation(x: x))
}

private struct UnaryApplication<E: SharedElement>: UnaryKernelVisitor {
    let source: UnsafePointer<E>, destination: UnsafeMutablePointer<E>, count: Int
    func visit<K: UnaryKernel>(_ kernel: K) { kernel.apply(source, destination, count) }
}

private struct BinaryApplication<E: SharedElement>: BinaryKernelVisitor {
    let first: UnsafePointer<E>, second: UnsafePointer<E>, destination: UnsafeMutablePointer<E>, count: Int
    func visit<K: BinaryKernel>(_ kernel: K) { kernel.apply(first, second, destination, count) }
}

private struct DoubleEvaluation: UnaryKernelVisitor {
    let x: Double
    func visit<K: UnaryKernel>(_ kernel: K) -> Double { kernel.scalar(x) }
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

private func integerAxpy<I: KernelInteger>(_ alpha: Double, _ x: UnsafePointer<I>, _ y: UnsafeMutablePointer<I>, _ n: Int) {
    if let k = integralValue(alpha), let t = I(exactly: k) {
        for i in 0..<n { y[i] = x[i] &* t &+ y[i] }
    } else {
        for i in 0..<n { y[i] = I(fromDouble: alpha * Double(x[i]) + Double(y[i])) }
    }
}

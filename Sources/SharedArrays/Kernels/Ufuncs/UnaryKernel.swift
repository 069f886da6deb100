/// One row of the unary ufunc table: what one element-wise operation does to one element of each dtype.
///
/// A row gives a floating-point scalar body (the reference), optionally a 16-lane SIMD body that must equal it
/// lane by lane, and the integer rule. Rows are small structs passed as generic parameters, never closures:
/// the loops below are specialised for each row and element type, so every body is inlined.
///
/// ```swift
/// struct Negate: UnaryKernel {
///     static var hasVectorBody: Bool { true }
///     func scalar<T: UfuncFloat>(_ x: T) -> T { -x }
///     func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 { T.negated(v) }
///     func integer<I: KernelInteger>(_ x: I) -> I { 0 &- x }
/// }
/// ```
protocol UnaryKernel {
    /// Whether ``vector(_:_:)`` is a real SIMD body (false: a scalar loop, as for libm calls).
    static var hasVectorBody: Bool { get }
    /// The operation on one Double or Float.
    func scalar<T: UfuncFloat>(_ x: T) -> T
    /// The operation on 16 lanes; equal to ``scalar(_:)`` in every lane. Default: lane by lane.
    func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16
    /// The operation on one integer. Default: the Double result converted back with `init(fromDouble:)`
    /// (truncation toward zero, NaN -> 0, saturating), since the destination keeps the element type.
    func integer<I: KernelInteger>(_ x: I) -> I
    /// `d[i] = integer(s[i])` for `n` elements; rows override it to prepare something once per call.
    func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int)
    /// `d[i] = scalar(s[i])` for `n` Doubles or Floats; default: the SIMD body with a scalar tail. Rows that
    /// call a whole-array routine (SLEEF, libmvec) override it.
    func floatLoop<T: UfuncFloat>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int)
}

extension UnaryKernel {
    static var hasVectorBody: Bool { false }

    @inline(__always) func vector<T: UfuncFloat>(_ v: T.Vector16, _: T.Type) -> T.Vector16 {
        var r = v
        for i in 0..<16 { r[i] = scalar(v[i]) }
        return r
    }

    @inline(__always) func integer<I: KernelInteger>(_ x: I) -> I { I(fromDouble: scalar(Double(x))) }

    @inline(__always) func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
        for i in 0..<n { d[i] = integer(s[i]) }
    }

    /// `d[i] = op(s[i])` for Double or Float: 16-lane vector body, scalar tail. `s` may equal `d`.
    @inline(__always) func floatLoop<T: UfuncFloat>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
        var i = 0
        if Self.hasVectorBody {
            let body = n & ~15
            while i < body {
                T.storeVector(vector(T.loadVector(s, i), T.self), d, i)
                i &+= 16
            }
        }
        while i < n {
            d[i] = scalar(s[i])
            i &+= 1
        }
    }

    /// Applies the row to any element type: the one dtype switch of every unary ufunc.
    @inline(__always) func apply<E: SharedElement>(_ s: UnsafePointer<E>, _ d: UnsafeMutablePointer<E>, _ n: Int) {
        switch KernelType(E.self) {
        case .float64: floatLoop(retype(s, Double.self), retype(d, Double.self), n)
        case .float32: floatLoop(retype(s, Float.self), retype(d, Float.self), n)
        case .int64: integerLoop(retype(s, Int64.self), retype(d, Int64.self), n)
        case .int32: integerLoop(retype(s, Int32.self), retype(d, Int32.self), n)
        case .other:
            for i in 0..<n { d[i] = E(fromDouble: scalar(s[i].asDouble)) }
        }
    }
}

/// Something to do with a unary row, whatever its type (see ``UnaryOp/withKernel(_:)``).
protocol UnaryKernelVisitor {
    associatedtype Result
    func visit<K: UnaryKernel>(_ kernel: K) -> Result
}

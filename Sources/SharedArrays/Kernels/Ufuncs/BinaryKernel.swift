/// One row of the binary ufunc table: `dst = a (op) b` for one pair of elements of each dtype.
///
/// As for ``UnaryKernel``: a floating-point scalar body (the reference), optionally a 16-lane SIMD body equal
/// to it lane by lane, and the integer rule; rows are structs so that every loop is specialised.
protocol BinaryKernel {
    /// Whether ``vector(_:_:_:)`` is a real SIMD body (false: a scalar loop).
    static var hasVectorBody: Bool { get }
    func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T
    /// Default: lane by lane.
    func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16
    func integer<I: KernelInteger>(_ a: I, _ b: I) -> I
    /// `d[i] = scalar(a[i], b[i])` for `n` Doubles or Floats; default: the SIMD body with a scalar tail.
    func floatLoop<T: UfuncFloat>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int)
}

extension BinaryKernel {
    static var hasVectorBody: Bool { false }

    @inline(__always) func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16 {
        var r = a
        for i in 0..<16 { r[i] = scalar(a[i], b[i]) }
        return r
    }

    @inline(__always) func floatLoop<T: UfuncFloat>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int
    ) {
        var i = 0
        if Self.hasVectorBody {
            let body = n & ~15
            while i < body {
                T.storeVector(vector(T.loadVector(a, i), T.loadVector(b, i), T.self), d, i)
                i &+= 16
            }
        }
        while i < n {
            d[i] = scalar(a[i], b[i])
            i &+= 1
        }
    }

    @inline(__always) func integerLoop<I: KernelInteger>(
        _ a: UnsafePointer<I>, _ b: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int
    ) {
        for i in 0..<n { d[i] = integer(a[i], b[i]) }
    }

    /// Applies the row to any element type: the one dtype switch of every binary ufunc.
    @inline(__always) func apply<E: SharedElement>(
        _ a: UnsafePointer<E>, _ b: UnsafePointer<E>, _ d: UnsafeMutablePointer<E>, _ n: Int
    ) {
        switch KernelType(E.self) {
        case .float64: floatLoop(retype(a, Double.self), retype(b, Double.self), retype(d, Double.self), n)
        case .float32: floatLoop(retype(a, Float.self), retype(b, Float.self), retype(d, Float.self), n)
        case .int64: integerLoop(retype(a, Int64.self), retype(b, Int64.self), retype(d, Int64.self), n)
        case .int32: integerLoop(retype(a, Int32.self), retype(b, Int32.self), retype(d, Int32.self), n)
        case .other:
            for i in 0..<n { d[i] = E(fromDouble: scalar(a[i].asDouble, b[i].asDouble)) }
        }
    }
}

/// Something to do with a binary row, whatever its type (see ``BinaryOp/withKernel(_:)``).
protocol BinaryKernelVisitor {
    associatedtype Result
    func visit<K: BinaryKernel>(_ kernel: K) -> Result
}

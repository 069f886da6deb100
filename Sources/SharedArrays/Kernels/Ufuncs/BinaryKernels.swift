// The binary rows. Floating point follows IEEE; integers wrap on overflow like numpy.

/// a + b.
struct AddKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a + b }
    @inline(__always) func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16 { a + b }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { a &+ b }
}

/// a - b.
struct SubtractKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a - b }
    @inline(__always) func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16 { a - b }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { a &- b }
}

/// a * b.
struct MultiplyKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a * b }
    @inline(__always) func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16 { a * b }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { a &* b }
}

/// a / b; integers truncate toward zero with x / 0 = 0 (and Int.min / -1 wraps to Int.min).
struct DivideKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a / b }
    @inline(__always) func vector<T: UfuncFloat>(_ a: T.Vector16, _ b: T.Vector16, _: T.Type) -> T.Vector16 { a / b }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I {
        b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue
    }
}

/// a^b (C's pow; this package's own vector kernels where the CPU has AVX2, see
/// ``VectorMath``). Integers: wrapping integer power like numpy; a negative exponent, which numpy refuses and
/// ``SharedArray/power(_:)`` reports as an error, gives 0 here.
struct PowerArrayKernel: BinaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T {
        guard VectorMath.isAvailable else { return T.libmPow(a, b) }
        var x = a, e = b, output = a
        T.vectorPow(&x, &e, exponentStride: 1, &output, 1)
        return output
    }
    @inline(__always) func floatLoop<T: UfuncFloat>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
        guard VectorMath.isAvailable else {
            for i in 0..<n { d[i] = T.libmPow(a[i], b[i]) }
            return
        }
        T.vectorPow(a, b, exponentStride: 1, d, n)
    }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { b < 0 ? 0 : wrappingPower(a, Int64(b)) }
}

/// The smaller of a and b, NaN if either is NaN (np.minimum); for equal values (0.0 and -0.0) b, as numpy.
struct MinimumKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a != a ? a : (a < b ? a : b) }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { a < b ? a : b }
}

/// The larger of a and b, NaN if either is NaN (np.maximum); for equal values b, as numpy.
struct MaximumKernel: BinaryKernel {
    static var hasVectorBody: Bool { true }
    @inline(__always) func scalar<T: UfuncFloat>(_ a: T, _ b: T) -> T { a != a ? a : (a > b ? a : b) }
    @inline(__always) func integer<I: KernelInteger>(_ a: I, _ b: I) -> I { a > b ? a : b }
}

// Unary rows of the transcendental functions: SLEEF's or libmvec's vectorised functions where the CPU has
// AVX2+FMA or AVX-512 (see ``VectorMath`` for which and their error bounds), glibc's scalar libm otherwise. On integer arrays they compute in Double and
// truncate toward zero, since the result keeps the element type (numpy would return float64: convert with
// `astype(Double.self)` first for that).

/// √x (NaN below zero). Arrays go through the C loop of the CPU's widest vectors (the Swift loops compile for
/// baseline x86-64: one scalar sqrtsd per element); IEEE 754 rounds a square root correctly, so that loop
/// gives the scalar body's bits.
struct SqrtKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x.squareRoot() }
    @inline(__always) func floatLoop<T: UfuncFloat>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
        T.squareRoots(s, d, n)
    }
}

/// A transcendental row: every element goes through the vector function where the CPU has it (a single value too, so the
/// scalar body equals the loop), else through scalar libm.
protocol VectorMathKernel: UnaryKernel {
    static var function: VectorMath.Function { get }
    func libm<T: UfuncFloat>(_ x: T) -> T
}

extension VectorMathKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T {
        guard VectorMath.isAvailable else { return libm(x) }
        var input = x, output = x
        T.vectorMath(Self.function, &input, &output, 1)
        return output
    }

    @inline(__always) func floatLoop<T: UfuncFloat>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
        if VectorMath.isAvailable {
            T.vectorMath(Self.function, s, d, n)
        } else {
            for i in 0..<n { d[i] = libm(s[i]) }
        }
    }
}

/// e^x.
struct ExpKernel: VectorMathKernel {
    static var function: VectorMath.Function { .exp }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmExp(x) }
}

/// The natural logarithm (-inf at 0, NaN below).
struct LogKernel: VectorMathKernel {
    static var function: VectorMath.Function { .log }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmLog(x) }
}

/// log(1 + x), accurate near 0.
struct Log1pKernel: VectorMathKernel {
    static var function: VectorMath.Function { .log1p }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmLog1p(x) }
}

/// e^x - 1, accurate near 0.
struct Expm1Kernel: VectorMathKernel {
    static var function: VectorMath.Function { .expm1 }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmExpm1(x) }
}

/// sin(x), x in radians.
struct SinKernel: VectorMathKernel {
    static var function: VectorMath.Function { .sin }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmSin(x) }
}

/// cos(x), x in radians.
struct CosKernel: VectorMathKernel {
    static var function: VectorMath.Function { .cos }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmCos(x) }
}

/// The hyperbolic tangent.
struct TanhKernel: VectorMathKernel {
    static var function: VectorMath.Function { .tanh }
    @inline(__always) func libm<T: UfuncFloat>(_ x: T) -> T { T.libmTanh(x) }
}

/// x^exponent (C's pow: pow(x, 0) = 1 even for NaN, pow(1, y) = 1). Integers: exact wrapping integer power for
/// an integral exponent >= 0 like numpy; otherwise the Double power truncated toward zero (numpy refuses
/// negative integer exponents on integers; ``SharedArray/map(_:timeout:)`` does too).
struct PowerKernel: UnaryKernel {
    let exponent: Double
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T {
        guard VectorMath.isAvailable else { return T.libmPow(x, T(exponent)) }
        var input = x, p = T(exponent), output = x
        T.vectorPow(&input, &p, exponentStride: 0, &output, 1)
        return output
    }
    @inline(__always) func floatLoop<T: UfuncFloat>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ n: Int) {
        guard VectorMath.isAvailable else {
            for i in 0..<n { d[i] = T.libmPow(s[i], T(exponent)) }
            return
        }
        var p = T(exponent)
        T.vectorPow(s, &p, exponentStride: 0, d, n)
    }
    func integerLoop<I: KernelInteger>(_ s: UnsafePointer<I>, _ d: UnsafeMutablePointer<I>, _ n: Int) {
        if let k = integralValue(exponent), k >= 0 {
            for i in 0..<n { d[i] = wrappingPower(s[i], k) }
        } else {
            for i in 0..<n { d[i] = I(fromDouble: Double.libmPow(Double(s[i]), exponent)) }
        }
    }
}

/// base^exponent with wrapping multiplication (numpy's integer power), by repeated squaring; 0^0 = 1.
@inline(__always)
func wrappingPower<I: FixedWidthInteger>(_ base: I, _ exponent: Int64) -> I {
    var result: I = 1, b = base, e = exponent
    while e > 0 {
        if e & 1 != 0 { result = result &* b }
        e >>= 1
        if e > 0 { b = b &* b }
    }
    return result
}

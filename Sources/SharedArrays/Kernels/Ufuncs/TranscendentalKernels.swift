// Unary rows that call libm per element (glibc: correctly rounded or within 1 ulp for Double). On integer
// arrays they compute in Double and truncate toward zero, since the result keeps the element type (numpy would
// return float64: convert with `astype(Double.self)` first for that).

/// √x (NaN below zero). Scalar: Swift's squareRoot keeps libm's errno branch, which blocks vectorisation.
struct SqrtKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { x.squareRoot() }
}

/// e^x.
struct ExpKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmExp(x) }
}

/// The natural logarithm (-inf at 0, NaN below).
struct LogKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmLog(x) }
}

/// log(1 + x), accurate near 0.
struct Log1pKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmLog1p(x) }
}

/// e^x - 1, accurate near 0.
struct Expm1Kernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmExpm1(x) }
}

/// sin(x), x in radians.
struct SinKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmSin(x) }
}

/// cos(x), x in radians.
struct CosKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmCos(x) }
}

/// The hyperbolic tangent.
struct TanhKernel: UnaryKernel {
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmTanh(x) }
}

/// x^exponent (C's pow: pow(x, 0) = 1 even for NaN, pow(1, y) = 1). Integers: exact wrapping integer power for
/// an integral exponent >= 0 like numpy; otherwise the Double power truncated toward zero (numpy refuses
/// negative integer exponents on integers; ``SharedArray/map(_:timeout:)`` does too).
struct PowerKernel: UnaryKernel {
    let exponent: Double
    @inline(__always) func scalar<T: UfuncFloat>(_ x: T) -> T { T.libmPow(x, T(exponent)) }
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

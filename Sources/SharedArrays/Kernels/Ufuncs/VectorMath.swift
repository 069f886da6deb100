import CVectorMath

/// glibc's libmvec for the libm rows that numpy also vectorises (sin, cos, tanh, log1p, expm1, pow): 8 doubles
/// or 16 floats per call on AVX-512, 4 / 8 on AVX2, chosen once at run time. Every element, a tail or a single
/// value included, goes through the same vector function, so results depend on the value alone. libmvec's
/// error bound is 4 ulp (scalar glibc: < 1 ulp); a CPU without AVX2 uses scalar libm.
enum VectorMath {
    /// Whether this CPU runs libmvec's AVX2 or AVX-512 variants.
    static let isAvailable: Bool = mp_vecmath_level() > 0

    enum Function: Int32 {
        case sin, cos, tanh, log1p, expm1

        var code: Int32 {
            switch self {
            case .sin: Int32(MP_VM_SIN)
            case .cos: Int32(MP_VM_COS)
            case .tanh: Int32(MP_VM_TANH)
            case .log1p: Int32(MP_VM_LOG1P)
            case .expm1: Int32(MP_VM_EXPM1)
            }
        }
    }
}

extension Double {
    @inline(__always) static func vectorMath(_ f: VectorMath.Function, _ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ n: Int) {
        mp_vecmath_unary_f64(f.code, s, d, n)
    }
    @inline(__always) static func vectorPow(
        _ x: UnsafePointer<Double>, _ e: UnsafePointer<Double>, exponentStride: Int, _ d: UnsafeMutablePointer<Double>, _ n: Int
    ) {
        mp_vecmath_pow_f64(x, e, exponentStride, d, n)
    }
}

extension Float {
    @inline(__always) static func vectorMath(_ f: VectorMath.Function, _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        mp_vecmath_unary_f32(f.code, s, d, n)
    }
    @inline(__always) static func vectorPow(
        _ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, exponentStride: Int, _ d: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        mp_vecmath_pow_f32(x, e, exponentStride, d, n)
    }
}

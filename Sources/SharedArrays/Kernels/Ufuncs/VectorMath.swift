import CVectorMath

/// Vectorised libm for the transcendental ufunc rows, 8 doubles or 16 floats per call on AVX-512F, 4 / 8 on
/// AVX2+FMA, chosen once at run time by CPU features; a CPU without AVX2+FMA uses scalar glibc libm.
///
/// Per function and type, the most accurate build that beat numpy on one core, else glibc's libmvec:
/// - `exp`, `log`: SLEEF finz, 1.0 ulp; `sin`, `cos`: SLEEF finz, 1.0 ulp for Double, 3.5 ulp for Float (the
///   Float 1.0-ulp build took 2.3x numpy's time); Double `tanh`: SLEEF finz, 3.5 ulp (its 1.0-ulp build took
///   2x numpy's time). SLEEF's AVX-512 and AVX2 variants return the same bits for every input (see
///   `Sleef.c`), so these results do not depend on which of the two kinds of CPU ran them. exp's last 2e-6
///   before overflow, where SLEEF returns inf too early, goes to glibc's exp.
/// - `log1p`, `expm1`, Float `tanh`: libmvec, 4 ulp (SLEEF's builds took 1.5x, 1.2x and 5x numpy's time).
///   Its AVX-512 and AVX2 variants of log1p and expm1 can differ in the last bit.
/// - `pow`: this package's own, faster than libmvec's and SLEEF's, the same bits on every path: Float pow
///   computed in Double (`PowerFloat.c`), 0.5 ulp; Double pow with log(x) as a double-double
///   (`PowerDouble.c`), 0.58 ulp (libmvec's, which it replaced, was 4 ulp and 1.5x numpy's time).
/// Every element, a tail or a single value included, goes through the same vector function, so a result does
/// not depend on the worker count or on where the element sits in its chunk.
enum VectorMath {
    /// Whether this CPU runs the AVX2 or AVX-512 variants.
    static let isAvailable: Bool = mp_vecmath_level() > 0

    enum Function: CaseIterable {
        case exp, log, log1p, expm1, sin, cos, tanh

        /// The SLEEF function number for Double or Float, or nil where libmvec serves the row.
        func sleefCode(float: Bool) -> Int32? {
            switch self {
            case .exp: Int32(MP_SLEEF_EXP)
            case .log: Int32(MP_SLEEF_LOG)
            case .sin: Int32(MP_SLEEF_SIN)
            case .cos: Int32(MP_SLEEF_COS)
            case .tanh: float ? nil : Int32(MP_SLEEF_TANH)
            case .log1p, .expm1: nil
            }
        }

        var libmvecCode: Int32 {
            switch self {
            case .log1p: Int32(MP_VM_LOG1P)
            case .expm1: Int32(MP_VM_EXPM1)
            default: Int32(MP_VM_TANH)
            }
        }

        /// The documented error bound in ulps for Double or Float.
        func ulpBound(float: Bool) -> Double {
            switch self {
            case .exp, .log: 1.0
            case .sin, .cos: float ? 3.5 : 1.0
            case .tanh: float ? 4.0 : 3.5
            case .log1p, .expm1: 4.0
            }
        }
    }

    /// pow's documented error bound in ulps: both are this target's own kernels, Double pow (PowerDouble.c)
    /// within 0.58 ulp (0.571 measured) and Float pow (PowerFloat.c) within 0.502; their own tests check each.
    static let powUlpBound = 0.6
}

extension VectorMath {
    /// The CPU's SIMD level: 2 AVX-512F, 1 AVX2+FMA, 0 neither.
    static var cpuLevel: Int32 { mp_vecmath_level() }

    /// A SLEEF row at a chosen level (clamped to the CPU's; 0 is SLEEF's scalar build), for tests that
    /// compare paths. Does nothing for a libmvec row.
    static func evaluate(_ f: Function, level: Int32, _ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ n: Int) {
        if let code = f.sleefCode(float: false) { mp_sleef_unary_f64_at(level, code, s, d, n) }
    }

    static func evaluate(_ f: Function, level: Int32, _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        if let code = f.sleefCode(float: true) { mp_sleef_unary_f32_at(level, code, s, d, n) }
    }
}

/// What this machine's vectorised kernels run, for reports and benchmark records.
public enum VectorMathInfo {
    /// The SIMD path of the transcendental ufuncs and the Philox random fills: "avx512f", "avx2+fma" or
    /// "scalar" (then the ufuncs use glibc's scalar libm).
    public static var path: String { String(cString: mp_vecmath_path()) }
    /// The libraries behind the vectorised ufuncs.
    public static var library: String {
        VectorMath.isAvailable
            ? "SLEEF 3 finz (exp log 1.0 ulp, sin cos 1.0/3.5 ulp, float64 tanh 3.5 ulp); libmvec (log1p expm1, float32 tanh 4 ulp); pow own (float32 0.5 ulp, float64 0.58 ulp)"
            : "glibc libm (scalar)"
    }
}

extension Double {
    @inline(__always) static func vectorMath(_ f: VectorMath.Function, _ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ n: Int) {
        if let code = f.sleefCode(float: false) {
            mp_sleef_unary_f64(code, s, d, n)
        } else {
            mp_vecmath_unary_f64(f.libmvecCode, s, d, n)
        }
    }
    @inline(__always) static func vectorPow(
        _ x: UnsafePointer<Double>, _ e: UnsafePointer<Double>, exponentStride: Int, _ d: UnsafeMutablePointer<Double>, _ n: Int
    ) {
        mp_pow(x, e, exponentStride, d, n)
    }
    @inline(__always) static func squareRoots(_ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ n: Int) {
        mp_sqrt_f64(s, d, n)
    }
}

extension Float {
    @inline(__always) static func vectorMath(_ f: VectorMath.Function, _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        if let code = f.sleefCode(float: true) {
            mp_sleef_unary_f32(code, s, d, n)
        } else {
            mp_vecmath_unary_f32(f.libmvecCode, s, d, n)
        }
    }
    @inline(__always) static func vectorPow(
        _ x: UnsafePointer<Float>, _ e: UnsafePointer<Float>, exponentStride: Int, _ d: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        mp_powf(x, e, exponentStride, d, n)
    }
    @inline(__always) static func squareRoots(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        mp_sqrt_f32(s, d, n)
    }
}

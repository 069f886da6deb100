#ifndef CVECTORMATH_H
#define CVECTORMATH_H

#include <stdint.h>

// Vectorised math for the ufunc table, chosen at run time by CPU features (mp_vecmath_level):
// - SLEEF 3.5 (Debian's libsleef3), deterministic "finz" builds: exp, log (1.0 ulp), sin, cos (Double 1.0
//   ulp, Float 3.5 ulp), Double tanh (3.5 ulp) and sinpi, cospi (0.5 ulp, for the normal random fill). The
//   AVX-512F and AVX2+FMA variants return the same bits for every input, NaN payloads included.
// - glibc's libmvec: log1p, expm1 and Float tanh (4 ulp), faster than SLEEF's builds of these; its AVX-512
//   and AVX2 variants of log1p and expm1 can differ in the last bit.
// - pow: this target's own, Float (PowerFloat.c, 0.5 ulp) and Double (PowerDouble.c, 0.58 ulp), faster than
//   either library's and the same bits on every path.
// 4 or 8 doubles (8 or 16 floats) per call. Every element, the tail included, goes through the same vector
// function, so a result depends only on its input, never on its position. With level 0 the libmvec functions
// must not be called (the SLEEF ones fall back to SLEEF's scalar build).

// Compensated dot product (Dot2 in 16 lanes, see CompensatedDot.c): out[0] is the rounded result, out[1] the
// exact remainder of that rounding (a normalized double-double); out[1] is 0 when out[0] is not finite.
// Identical bits on the AVX-512F, AVX2 and scalar paths; Float products are exact in Double.
void mp_dot2_f64(const double *a, const double *b, long n, double out[2]);
void mp_dot2_f32(const float *a, const float *b, long n, double out[2]);
/// The same at a chosen level (as for mp_sleef_unary_f64_at): for tests that compare paths.
void mp_dot2_f64_at(int level, const double *a, const double *b, long n, double out[2]);
void mp_dot2_f32_at(int level, const float *a, const float *b, long n, double out[2]);

// One pass of the moments kernel over a block (MomentsPass.c): the compensated sum as (hi, lo), and with
// MP_PASS_SQUARES the sum of squares, with MP_PASS_EXTREMA the minimum and maximum (meaningless when hi is
// NaN). Identical bits on the AVX-512F, AVX2 and scalar paths; Float elements are widened to Double.
#define MP_PASS_SQUARES 1
#define MP_PASS_EXTREMA 2
/// The sum is a plain sum of the 16 lanes (lo is then only the final fold's error): for min, max and norm,
/// which read the sum only to notice a NaN, it costs one addition per element instead of Sum2's six.
#define MP_PASS_PLAIN_SUM 4
typedef struct {
    double hi, lo, squares, min, max;
} mp_moments_pass;
void mp_moments_pass_f64(const double *p, long n, int flags, mp_moments_pass *out);
void mp_moments_pass_f32(const float *p, long n, int flags, mp_moments_pass *out);
void mp_moments_pass_f64_at(int level, const double *p, long n, int flags, mp_moments_pass *out);
void mp_moments_pass_f32_at(int level, const float *p, long n, int flags, mp_moments_pass *out);
/// Index of the first element equal to `target` (IEEE equality: -0.0 == 0.0, NaN never), or -1.
long mp_first_equal_f64(const double *p, long n, double target);

// The variance's second pass over a block in cache (SquaredDeviations.c): the sum of (x - mean)^2 in 32 lanes,
// identical bits on the AVX-512F, AVX2 and scalar paths; Float elements are widened to Double.
double mp_squared_deviations_f64(const double *p, long n, double mean);
double mp_squared_deviations_f32(const float *p, long n, double mean);
double mp_squared_deviations_f64_at(int level, const double *p, long n, double mean);
double mp_squared_deviations_f32_at(int level, const float *p, long n, double mean);

// The element-wise square root (SquareRoot.c), y[i] = sqrt(x[i]); x and y may be the same array. Correctly
// rounded, so identical bits on the AVX-512F, AVX2 and scalar paths.
void mp_sqrt_f64(const double *x, double *y, long n);
void mp_sqrt_f32(const float *x, float *y, long n);
void mp_sqrt_f64_at(int level, const double *x, double *y, long n);
void mp_sqrt_f32_at(int level, const float *x, float *y, long n);

#ifdef __cplusplus
extern "C" {
#endif

/// 2: AVX-512F variants; 1: AVX2+FMA variants; 0: none (not x86-64 Linux, or an older CPU).
int mp_vecmath_level(void);

enum {
    MP_VM_LOG1P = 0,
    MP_VM_EXPM1 = 1,
    MP_VM_TANH = 2,
};

/// y[i] = f(x[i]) for i < n; x and y may be the same array.
void mp_vecmath_unary_f64(int function, const double *x, double *y, long n);
void mp_vecmath_unary_f32(int function, const float *x, float *y, long n);

/// Float pow computed in Double (PowerFloat.c): within 0.502 ulp of the exact power, libm's powf for the
/// special cases; the same bits at every level (2: AVX-512F, 1: AVX2+FMA, 0: scalar; clamped to the CPU's).
/// y_stride 0: every element's exponent is y[0]. mp_powf runs the CPU's widest level.
void mp_powf(const float *x, const float *y, long y_stride, float *out, long n);
void mp_powf_at(int level, const float *x, const float *y, long y_stride, float *out, long n);
/// Double pow (PowerDouble.c): log(x) as a double-double, within 0.58 ulp of the exact power, libm's pow for
/// the special cases and results near overflow or underflow; the same bits at every level, as mp_powf.
void mp_pow(const double *x, const double *y, long y_stride, double *out, long n);
void mp_pow_at(int level, const double *x, const double *y, long y_stride, double *out, long n);

// SLEEF functions by number.
enum {
    MP_SLEEF_EXP = 0,
    MP_SLEEF_LOG = 1,
    MP_SLEEF_SIN = 2,
    MP_SLEEF_COS = 3,
    MP_SLEEF_TANH = 4,
    MP_SLEEF_SINPI = 5,
    MP_SLEEF_COSPI = 6,
};

/// y[i] = f(x[i]) for i < n; x and y may be the same array. An unknown function writes nothing.
void mp_sleef_unary_f64(int function, const double *x, double *y, long n);
void mp_sleef_unary_f32(int function, const float *x, float *y, long n);


/// The same at a chosen level (2, 1 or 0; above the CPU's level runs the CPU's): for tests that compare paths.
void mp_sleef_unary_f64_at(int level, int function, const double *x, double *y, long n);
void mp_sleef_unary_f32_at(int level, int function, const float *x, float *y, long n);

/// The vector-math path this CPU runs, for reports: "avx512f", "avx2+fma" or "scalar".
const char *mp_vecmath_path(void);

// Philox4x32-10 (Random123's constants and key schedule) and fills built on it, where element i depends only
// on (seed, i): counter i / 2 under key (lo32(seed), hi32(seed)); see Philox.c. Identical bits on the
// AVX-512F, AVX2 and scalar paths.

/// One block: the 4 output words of `counter` under `key` (the Random123 known-answer vectors apply).
void mp_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);
/// Counters first .. first+m-1, {lo32(p), hi32(p), 0, 0} under key (lo32(seed), hi32(seed)):
/// lo[j] = w0 | w1 << 32, hi[j] = w2 | w3 << 32. `level` as for mp_sleef_unary_f64_at.
void mp_philox_words_at(int level, uint64_t seed, uint64_t first, long m, uint64_t *lo, uint64_t *hi);

/// Elements first .. first+n-1 of the uniform [lower, upper) fill (53 random bits; 24 for Float).
void mp_random_uniform_f64(uint64_t seed, uint64_t first, double *out, long n, double lower, double upper);
void mp_random_uniform_f32(uint64_t seed, uint64_t first, float *out, long n, double lower, double upper);
/// Elements first .. first+n-1 of the normal fill (Box-Muller; Float values are the Double ones rounded).
void mp_random_normal_f64(uint64_t seed, uint64_t first, double *out, long n, double mean, double std);
void mp_random_normal_f32(uint64_t seed, uint64_t first, float *out, long n, double mean, double std);
/// The same at a chosen level, into doubles (as_float 0) or floats (as_float 1): for tests that compare paths.
void mp_random_uniform_at(int level, int as_float, uint64_t seed, uint64_t first, void *out, long n, double lower, double upper);
void mp_random_normal_at(int level, int as_float, uint64_t seed, uint64_t first, void *out, long n, double mean, double std);

#ifdef __cplusplus
}
#endif

#endif

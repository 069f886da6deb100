// Float pow(x, y), computed in Double: 2^(y * log2(x)) with a 16-entry table for each of log2 and exp2.
//
// libmvec's vector powf (the float pow it had before) takes 2.1 ns per value on Zen 4 and SLEEF's 1-ulp powf
// 2.8 ns; numpy's SVML powf 1.25 ns. In Double the whole computation has 29 bits to spare, so short tables and
// polynomials give a result within 2^-34 relative of the exact power before the single rounding to Float.
//
// log2(x): x = z * 2^k with z in [0x1.66p-1, 0x1.66p0) (integer arithmetic on the bits, as in ARM's
// optimized-routines powf); the top 4 bits of z's offset pick c, with invc = 1/c and logc = -log2(invc) from
// the table (c = 1 exactly for the subinterval around 1, so pow(1, y) = 1); r = z * invc - 1 (one FMA, |r| <
// 2^-5), log2(1 + r) by its Taylor series to r^9 (relative error below 2^-44); l = k + logc + r * p(r).
// exp2(t), t = y * l: t * 16 = m + f with m an integer and |f| <= 1/2; 2^(m / 16) from the table with the
// exponent added to its bits, 2^(f / 16) by its Taylor series to f^5 (relative error below 2^-42).
// The result then rounds once, to Float.
//
// A lane whose x is not a positive normal number, whose y is not finite, or whose |t| reaches 126 (a result
// that could overflow, underflow or be subnormal) is computed by libm's powf instead: every special case of
// C99 (pow(x, 0) = 1 for a NaN x, pow(-8, 1/3) = NaN, pow(-2, 3) = -8, pow(0, -1) = inf, ...) is libm's.
//
// The AVX-512F, AVX2+FMA and scalar paths apply the same IEEE operations (FMAs included) to the same values
// and read the same tables, so they give the same bits.
#include "CVectorMath.h"
#include "PowerLanes.h"

#pragma STDC FP_CONTRACT OFF

// invc for the 16 subintervals of z (subinterval i: z's bits - 0x3f330000 in [i, i + 1) * 2^19), and
// logc = -log2(invc), both rounded from 200-bit values.
static const double log_invc[16] = {
    0x1.661ec6a5122f9p+0, 0x1.571ed3c506b3ap+0, 0x1.49539e3b2d067p+0, 0x1.3c995a47babe7p+0,
    0x1.30d190130d190p+0, 0x1.25e22708092f1p+0, 0x1.1bb4a4046ed29p+0, 0x1.12358e75d3033p+0,
    0x1.0953f39010954p+0, 0x1.0000000000000p+0, 0x1.e573ac901e574p-1, 0x1.ca4b3055ee191p-1,
    0x1.b2036406c80d9p-1, 0x1.9c2d14ee4a102p-1, 0x1.886e5f0abb04ap-1, 0x1.767dce434a9b1p-1,
};
static const double log_logc[16] = {
    -0x1.efec61b011f85p-2, -0x1.b0b67f4f46812p-2, -0x1.7418acebbf18fp-2, -0x1.39de8e1559f6ep-2,
    -0x1.01d9bbcfa61d4p-2, -0x1.97c1cb13c7ec0p-3, -0x1.2f9e32d5bfdd1p-3, -0x1.960caf9abb7c1p-4,
    -0x1.a6f9c377dd31dp-5, 0x0.0p+0,              0x1.3aa2fdd27f1bfp-4,  0x1.476a9f983f74dp-3,
    0x1.e840be74e6a4dp-3,  0x1.406463b1b0448p-2,  0x1.88e9c72e0b224p-2,  0x1.ce0a4923a587dp-2,
};
// log2(1 + r) = r * (L1 + r * (L2 + ... + r * L9)), Lk = (-1)^(k+1) / (k ln 2).
#define L1 0x1.71547652b82fep+0
#define L2 -0x1.71547652b82fep-1
#define L3 0x1.ec709dc3a03fdp-2
#define L4 -0x1.71547652b82fep-2
#define L5 0x1.2776c50ef9bfep-2
#define L6 -0x1.ec709dc3a03fdp-3
#define L7 0x1.a61762a7aded9p-3
#define L8 -0x1.71547652b82fep-3
#define L9 0x1.484b13d7c02a9p-3

// The bits of 2^(j / 16), minus j << 48: adding m << 48 (m = 16 * exponent + j) then gives 2^(m / 16).
static const uint64_t exp_table[16] = {
    0x3ff0000000000000, 0x3fefb5586cf9890f, 0x3fef72b83c7d517b, 0x3fef387a6e756238,
    0x3fef06fe0a31b715, 0x3feedea64c123422, 0x3feebfdad5362a27, 0x3feeab07dd485429,
    0x3feea09e667f3bcd, 0x3feea11473eb0187, 0x3feeace5422aa0db, 0x3feec49182a3f090,
    0x3feee89f995ad3ad, 0x3fef199bdd85529c, 0x3fef5818dcfba487, 0x3fefa4afa2a490da,
};
// 2^(f / 16) = 1 + f * (E1 + f * (E2 + ... + f * E5)), Ek = (ln 2 / 16)^k / k!.
#define E1 0x1.62e42fefa39efp-5
#define E2 0x1.ebfbdff82c58fp-11
#define E3 0x1.c6b08d704a0c0p-17
#define E4 0x1.3b2ab6fba4e77p-23
#define E5 0x1.5d87fe78a6731p-30

#define OFF 0x3f330000u
#define SHIFT 0x1.8p52  // adding it rounds |v| < 2^51 to an integer, which its low bits then hold
#define LIMIT 126.0     // |t| below this: a normal Float result, no overflow


// x's bits are not those of a positive normal Float (zero, subnormal, negative, inf, NaN).
static inline int x_special(uint32_t ix) { return ix - 0x00800000u >= 0x7f800000u - 0x00800000u; }
static inline int y_special(uint32_t iy) { return (iy & 0x7f800000u) == 0x7f800000u; }

// ---- Scalar (any CPU): the reference order of operations ----

static float pow_one(float x, float y) {
    uint32_t ix = float_bits(x), iy = float_bits(y);
    if (x_special(ix) || y_special(iy)) return powf(x, y);
    uint32_t tmp = ix - OFF;
    int i = (int)((tmp >> 19) & 15);
    uint32_t top = tmp & 0xff800000u;
    double z = (double)bits_float(ix - top);
    double k = (double)((int32_t)top >> 23);
    double r = fma(z, log_invc[i], -1.0);
    double p = L9;
    p = fma(p, r, L8); p = fma(p, r, L7); p = fma(p, r, L6); p = fma(p, r, L5);
    p = fma(p, r, L4); p = fma(p, r, L3); p = fma(p, r, L2); p = fma(p, r, L1);
    double l = fma(r, p, k + log_logc[i]);
    double t = (double)y * l;
    if (!(fabs(t) < LIMIT)) return powf(x, y);
    double t16 = t * 16.0;
    double shifted = t16 + SHIFT;
    uint64_t m = double_bits(shifted);
    double f = t16 - (shifted - SHIFT);
    double q = E5;
    q = fma(q, f, E4); q = fma(q, f, E3); q = fma(q, f, E2); q = fma(q, f, E1);
    double e = fma(q, f, 1.0);
    double s = bits_double(exp_table[m & 15] + (m << 48));
    return (float)(s * e);
}

static void pow_scalar(const float *x, const float *y, long y_stride, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = pow_one(x[i], y[i * y_stride]);
}

#if defined(__x86_64__)
#include <immintrin.h>

// The two polynomials and exp2's split at vector width W (512 or 256), one definition for both paths: the
// same FMAs in the same order as pow_one, which is what keeps every path's bits the same.
#define POW_STEPS(W, TARGET)                                                                                     \
    /* log2(1 + r) / r, by Horner from L9 down to L1 */                                                          \
    __attribute__((target(TARGET), always_inline)) static inline __m##W##d log2_series_##W(__m##W##d r) {       \
        __m##W##d p = _mm##W##_set1_pd(L9);                                                                      \
        p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L8)); p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L7));   \
        p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L6)); p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L5));   \
        p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L4)); p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L3));   \
        p = _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L2)); return _mm##W##_fmadd_pd(p, r, _mm##W##_set1_pd(L1)); \
    }                                                                                                            \
    /* 2^(f / 16) for t * 16 = m + f; *m gets m in its low bits (the table index and the exponent) */            \
    __attribute__((target(TARGET), always_inline)) static inline __m##W##d                                      \
    exp2_fraction_##W(__m##W##d t, __m##W##i *m) {                                                               \
        __m##W##d t16 = _mm##W##_mul_pd(t, _mm##W##_set1_pd(16.0));                                              \
        __m##W##d shifted = _mm##W##_add_pd(t16, _mm##W##_set1_pd(SHIFT));                                       \
        *m = _mm##W##_castpd_si##W(shifted);                                                                     \
        __m##W##d f = _mm##W##_sub_pd(t16, _mm##W##_sub_pd(shifted, _mm##W##_set1_pd(SHIFT)));                   \
        __m##W##d q = _mm##W##_set1_pd(E5);                                                                      \
        q = _mm##W##_fmadd_pd(q, f, _mm##W##_set1_pd(E4)); q = _mm##W##_fmadd_pd(q, f, _mm##W##_set1_pd(E3));   \
        q = _mm##W##_fmadd_pd(q, f, _mm##W##_set1_pd(E2)); q = _mm##W##_fmadd_pd(q, f, _mm##W##_set1_pd(E1));   \
        return _mm##W##_fmadd_pd(q, f, _mm##W##_set1_pd(1.0));                                                   \
    }
POW_STEPS(512, "avx512f")
POW_STEPS(256, "avx2,fma")

// ---- AVX-512F: 16 floats per step, the bit work on all 16, the Double work in two halves of 8 ----

typedef struct {
    __m512d invc_lo, invc_hi, logc_lo, logc_hi;
    __m512i exp_lo, exp_hi;
} tables_512;

// The result of 8 lanes (z, k, table index idx, exponent y), and in *beyond the lanes whose |t| reached LIMIT.
__attribute__((target("avx512f"), always_inline)) static inline __m256
pow8_512(const tables_512 *tb, __m256 zf, __m256i k32, __m256i idx32, __m256 yf, __mmask8 *beyond) {
    __m512i idx = _mm512_cvtepu32_epi64(idx32);  // the permutes read its low 4 bits
    __m512d z = _mm512_cvtps_pd(zf), k = _mm512_cvtepi32_pd(k32);
    __m512d r = _mm512_fmadd_pd(z, _mm512_permutex2var_pd(tb->invc_lo, idx, tb->invc_hi), _mm512_set1_pd(-1.0));
    __m512d l = _mm512_fmadd_pd(r, log2_series_512(r), _mm512_add_pd(k, _mm512_permutex2var_pd(tb->logc_lo, idx, tb->logc_hi)));
    __m512d t = _mm512_mul_pd(_mm512_cvtps_pd(yf), l);
    *beyond = _mm512_cmp_pd_mask(_mm512_abs_pd(t), _mm512_set1_pd(LIMIT), _CMP_NLT_UQ);  // NaN included
    __m512i m;
    __m512d e = exp2_fraction_512(t, &m);
    __m512i sbits = _mm512_add_epi64(_mm512_permutex2var_epi64(tb->exp_lo, m, tb->exp_hi), _mm512_slli_epi64(m, 48));
    return _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_castsi512_pd(sbits), e));
}

__attribute__((target("avx512f"), always_inline)) static inline __m256 upper_ps(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}
__attribute__((target("avx512f"), always_inline)) static inline __m256i upper_si(__m512i v) {
    return _mm512_extracti64x4_epi64(v, 1);
}

__attribute__((target("avx512f"))) static void pow_512(const float *x, const float *y, long y_stride, float *out, long n) {
    const tables_512 tb = {
        _mm512_loadu_pd(log_invc), _mm512_loadu_pd(log_invc + 8), _mm512_loadu_pd(log_logc), _mm512_loadu_pd(log_logc + 8),
        _mm512_loadu_si512(exp_table), _mm512_loadu_si512(exp_table + 8),
    };
    const __m512i off = _mm512_set1_epi32((int)OFF), low = _mm512_set1_epi32(0x00800000);
    const __m512i span = _mm512_set1_epi32((int)(0x7f800000u - 0x00800000u)), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i top_mask = _mm512_set1_epi32((int)0xff800000u);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xf = _mm512_loadu_ps(x + i);
        __m512 yf = y_stride ? _mm512_loadu_ps(y + i) : _mm512_set1_ps(y[0]);
        __m512i ix = _mm512_castps_si512(xf), iy = _mm512_castps_si512(yf);
        __mmask16 special = _mm512_cmpge_epu32_mask(_mm512_sub_epi32(ix, low), span)
                          | _mm512_cmpeq_epi32_mask(_mm512_and_si512(iy, inf), inf);
        __m512i tmp = _mm512_sub_epi32(ix, off);
        __m512i top = _mm512_and_si512(tmp, top_mask);
        __m512 z = _mm512_castsi512_ps(_mm512_sub_epi32(ix, top));
        __m512i k = _mm512_srai_epi32(top, 23), idx = _mm512_srli_epi32(tmp, 19);
        __mmask8 beyond_lo, beyond_hi;
        __m256 lo = pow8_512(&tb, _mm512_castps512_ps256(z), _mm512_castsi512_si256(k), _mm512_castsi512_si256(idx),
                             _mm512_castps512_ps256(yf), &beyond_lo);
        __m256 hi = pow8_512(&tb, upper_ps(z), upper_si(k), upper_si(idx), upper_ps(yf), &beyond_hi);
        special |= (__mmask16)(beyond_lo | ((unsigned)beyond_hi << 8));
        if (special) {  // from copies of the operands: out may be x or y
            float xs[16], ys[16], rs[16];
            _mm512_storeu_ps(xs, xf); _mm512_storeu_ps(ys, yf); _mm256_storeu_ps(rs, lo); _mm256_storeu_ps(rs + 8, hi);
            powf_lanes_by_libm((unsigned)special, xs, ys, rs);
            lo = _mm256_loadu_ps(rs); hi = _mm256_loadu_ps(rs + 8);
        }
        _mm256_storeu_ps(out + i, lo);
        _mm256_storeu_ps(out + i + 8, hi);
    }
    pow_scalar(x + i, y + i * y_stride, y_stride, out + i, n - i);
}

// ---- AVX2 + FMA: 4 lanes in Double, tables by gather ----

__attribute__((target("avx2,fma"))) static void pow_256(const float *x, const float *y, long y_stride, float *out, long n) {
    const __m128i off = _mm_set1_epi32((int)OFF), low = _mm_set1_epi32(0x00800000);
    const __m128i span = _mm_set1_epi32((int)(0x7f800000u - 0x00800000u - 1u)), inf = _mm_set1_epi32(0x7f800000);
    const __m128i flip = _mm_set1_epi32((int)0x80000000u);
    const __m256d sign = _mm256_set1_pd(-0.0);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 xf = _mm_loadu_ps(x + i);
        __m128 yf = y_stride ? _mm_loadu_ps(y + i) : _mm_set1_ps(y[0]);
        __m128i ix = _mm_castps_si128(xf), iy = _mm_castps_si128(yf);
        __m128i xs = _mm_cmpgt_epi32(_mm_xor_si128(_mm_sub_epi32(ix, low), flip), _mm_xor_si128(span, flip));
        __m128i ys = _mm_cmpeq_epi32(_mm_and_si128(iy, inf), inf);
        int special = _mm_movemask_ps(_mm_castsi128_ps(_mm_or_si128(xs, ys)));
        __m128i tmp = _mm_sub_epi32(ix, off);
        __m128i idx = _mm_and_si128(_mm_srli_epi32(tmp, 19), _mm_set1_epi32(15));
        __m128i top = _mm_and_si128(tmp, _mm_set1_epi32((int)0xff800000u));
        __m256d z = _mm256_cvtps_pd(_mm_castsi128_ps(_mm_sub_epi32(ix, top)));
        __m256d k = _mm256_cvtepi32_pd(_mm_srai_epi32(top, 23));
        __m256d r = _mm256_fmadd_pd(z, _mm256_i32gather_pd(log_invc, idx, 8), _mm256_set1_pd(-1.0));
        __m256d l = _mm256_fmadd_pd(r, log2_series_256(r), _mm256_add_pd(k, _mm256_i32gather_pd(log_logc, idx, 8)));
        __m256d t = _mm256_mul_pd(_mm256_cvtps_pd(yf), l);
        special |= _mm256_movemask_pd(_mm256_cmp_pd(_mm256_andnot_pd(sign, t), _mm256_set1_pd(LIMIT), _CMP_NLT_UQ));
        __m256i m;
        __m256d e = exp2_fraction_256(t, &m);
        __m256i j = _mm256_and_si256(m, _mm256_set1_epi64x(15));
        __m256i sbits = _mm256_add_epi64(_mm256_i64gather_epi64((const long long *)exp_table, j, 8), _mm256_slli_epi64(m, 48));
        __m128 result = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_castsi256_pd(sbits), e));
        if (special) {  // from copies of the operands: out may be x or y
            float xs[4], ys[4], rs[4];
            _mm_storeu_ps(xs, xf); _mm_storeu_ps(ys, yf); _mm_storeu_ps(rs, result);
            powf_lanes_by_libm((unsigned)special, xs, ys, rs);
            result = _mm_loadu_ps(rs);
        }
        _mm_storeu_ps(out + i, result);
    }
    pow_scalar(x + i, y + i * y_stride, y_stride, out + i, n - i);
}
#endif

void mp_powf_at(int level, const float *x, const float *y, long y_stride, float *out, long n) {
    if (n <= 0) return;
    y_stride = y_stride ? 1 : 0;
    switch (mp_clamp_level(level, mp_vecmath_level())) {
#if defined(__x86_64__)
    case 2: pow_512(x, y, y_stride, out, n); break;
    case 1: pow_256(x, y, y_stride, out, n); break;
#endif
    default: pow_scalar(x, y, y_stride, out, n);
    }
}

void mp_powf(const float *x, const float *y, long y_stride, float *out, long n) { mp_powf_at(2, x, y, y_stride, out, n); }

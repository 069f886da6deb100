// Compensated dot products (Ogita, Rump and Oishi's Dot2: "Accurate sum and dot product", SIAM J. Sci.
// Comput. 26(6), 2005), in the 16 logical lanes of Sum2Lanes.h (the compensated sum is MomentsPass.c), with
// Sum2Lanes.h's port-balanced TwoSum on the vector paths.
//
// Element i of the body (the first n & ~15 elements) goes to lane i % 16. Each lane keeps a running sum s and
// a compensation c: TwoSum(s, x) gives the new s and the exact rounding error e, and c += e. Dot2 also adds
// the exact error of each product (fma(a, b, -a*b)). The lanes are then folded in lane order and the tail
// added element by element, by the same scalar code on every path. Every operation is an IEEE operation on
// the same operands in the same order, so the AVX-512F, AVX2 and scalar paths give identical bits.
//
// The result is a normalized pair (hi, lo): hi = fl(S + C) and lo the exact remainder of that rounding, so
// that chunk partials can be merged as double-double. When the plain sum S is not finite (an infinity or a
// NaN among the inputs, or overflow), the compensation means nothing: hi = S and lo = 0.
#include "CVectorMath.h"
#include "Sum2Lanes.h"

#pragma STDC FP_CONTRACT OFF

// ---- Scalar (any CPU) ----

static void dot2_f64_scalar(const double *a, const double *b, long n, double s[LANES], double c[LANES]) {
    for (long i = 0; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            double p = a[i + l] * b[i + l];
            double ep = fma(a[i + l], b[i + l], -p);
            double e;
            two_sum(s[l], p, &s[l], &e);
            c[l] = c[l] + (e + ep);
        }
}

static void dot2_f32_scalar(const float *a, const float *b, long n, double s[LANES], double c[LANES]) {
    for (long i = 0; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            double p = (double)a[i + l] * (double)b[i + l];  // exact: 24 + 24 bits fit in 53
            double e;
            two_sum(s[l], p, &s[l], &e);
            c[l] = c[l] + e;
        }
}

#if defined(__x86_64__)

// ---- AVX-512F: lanes 0-7 and 8-15 in two registers ----

__attribute__((target("avx512f"))) static void dot2_f64_512(const double *a, const double *b, long n, double s[LANES], double c[LANES]) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, c0 = s0, c1 = s0;
    MP_HIDDEN_ONE_512(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        __m512d a0 = _mm512_loadu_pd(a + i), a1 = _mm512_loadu_pd(a + i + 8);
        __m512d b0 = _mm512_loadu_pd(b + i), b1 = _mm512_loadu_pd(b + i + 8);
        __m512d p0 = _mm512_mul_pd(a0, b0), p1 = _mm512_mul_pd(a1, b1);
        __m512d e0 = _mm512_fmsub_pd(a0, b0, p0), e1 = _mm512_fmsub_pd(a1, b1, p1);
        MP_TWO_SUM_PROD_512(s0, p0, e0, c0, one);
        MP_TWO_SUM_PROD_512(s1, p1, e1, c1, one);
    }
    _mm512_storeu_pd(s, s0); _mm512_storeu_pd(s + 8, s1);
    _mm512_storeu_pd(c, c0); _mm512_storeu_pd(c + 8, c1);
}

__attribute__((target("avx512f"))) static void dot2_f32_512(const float *a, const float *b, long n, double s[LANES], double c[LANES]) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, c0 = s0, c1 = s0;
    MP_HIDDEN_ONE_512(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        __m512d p0 = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i)));
        __m512d p1 = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i + 8)), _mm512_cvtps_pd(_mm256_loadu_ps(b + i + 8)));
        MP_TWO_SUM_512(s0, p0, c0, one);
        MP_TWO_SUM_512(s1, p1, c1, one);
    }
    _mm512_storeu_pd(s, s0); _mm512_storeu_pd(s + 8, s1);
    _mm512_storeu_pd(c, c0); _mm512_storeu_pd(c + 8, c1);
}

// ---- AVX2 (+FMA for Dot2): lanes 0-3, 4-7, 8-11, 12-15 in four registers ----

#define STORE_256()                                                                  \
    do {                                                                             \
        _mm256_storeu_pd(s, s0); _mm256_storeu_pd(s + 4, s1);                        \
        _mm256_storeu_pd(s + 8, s2); _mm256_storeu_pd(s + 12, s3);                   \
        _mm256_storeu_pd(c, c0); _mm256_storeu_pd(c + 4, c1);                        \
        _mm256_storeu_pd(c + 8, c2); _mm256_storeu_pd(c + 12, c3);                   \
    } while (0)

#define DOT_STEP_256(k, s, c)                                                        \
    do {                                                                             \
        __m256d a_ = _mm256_loadu_pd(a + i + (k)), b_ = _mm256_loadu_pd(b + i + (k)); \
        __m256d p_ = _mm256_mul_pd(a_, b_), ep_ = _mm256_fmsub_pd(a_, b_, p_);       \
        MP_TWO_SUM_PROD_256(s, p_, ep_, c, one);                                     \
    } while (0)

__attribute__((target("avx2,fma"))) static void dot2_f64_256(const double *a, const double *b, long n, double s[LANES], double c[LANES]) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, c0 = s0, c1 = s0, c2 = s0, c3 = s0;
    MP_HIDDEN_ONE_256(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        DOT_STEP_256(0, s0, c0);
        DOT_STEP_256(4, s1, c1);
        DOT_STEP_256(8, s2, c2);
        DOT_STEP_256(12, s3, c3);
    }
    STORE_256();
}

#define DOT_F32_STEP_256(k, s, c)                                                    \
    MP_TWO_SUM_256(s, _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i + (k))), _mm256_cvtps_pd(_mm_loadu_ps(b + i + (k)))), c, one)

__attribute__((target("avx2,fma"))) static void dot2_f32_256(const float *a, const float *b, long n, double s[LANES], double c[LANES]) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, c0 = s0, c1 = s0, c2 = s0, c3 = s0;
    MP_HIDDEN_ONE_256(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        DOT_F32_STEP_256(0, s0, c0);
        DOT_F32_STEP_256(4, s1, c1);
        DOT_F32_STEP_256(8, s2, c2);
        DOT_F32_STEP_256(12, s3, c3);
    }
    STORE_256();
}
#endif

static int clamp_level(int level) { return mp_clamp_level(level, mp_vecmath_level()); }

// The tail of a dot product: each product's rounding error joins the compensation through a second tail pass.
static void finish_dot(const double s[LANES], const double c[LANES], const double *products, const double *errors,
                       long m, double out[2]) {
    double lanes_c[LANES];
    for (int l = 0; l < LANES; l++) lanes_c[l] = c[l];
    // The tail's product errors go into lane 0's compensation, in order, before the lanes are folded.
    for (long j = 0; j < m; j++) lanes_c[0] = lanes_c[0] + errors[j];
    sum2_finish(s, lanes_c, products, m, out);
}

void mp_dot2_f64_at(int level, const double *a, const double *b, long n, double out[2]) {
    double s[LANES] = {0}, c[LANES] = {0}, products[LANES], errors[LANES];
    if (n < 0) n = 0;
    long body = n & ~(long)(LANES - 1);
    switch (clamp_level(level)) {
#if defined(__x86_64__)
    case 2: dot2_f64_512(a, b, body, s, c); break;
    case 1: dot2_f64_256(a, b, body, s, c); break;
#endif
    default: dot2_f64_scalar(a, b, body, s, c);
    }
    for (long j = body; j < n; j++) {
        products[j - body] = a[j] * b[j];
        errors[j - body] = fma(a[j], b[j], -products[j - body]);
    }
    finish_dot(s, c, products, errors, n - body, out);
}

void mp_dot2_f32_at(int level, const float *a, const float *b, long n, double out[2]) {
    double s[LANES] = {0}, c[LANES] = {0}, products[LANES], errors[LANES] = {0};
    if (n < 0) n = 0;
    long body = n & ~(long)(LANES - 1);
    switch (clamp_level(level)) {
#if defined(__x86_64__)
    case 2: dot2_f32_512(a, b, body, s, c); break;
    case 1: dot2_f32_256(a, b, body, s, c); break;
#endif
    default: dot2_f32_scalar(a, b, body, s, c);
    }
    for (long j = body; j < n; j++) products[j - body] = (double)a[j] * (double)b[j];
    finish_dot(s, c, products, errors, n - body, out);
}

void mp_dot2_f64(const double *a, const double *b, long n, double out[2]) { mp_dot2_f64_at(2, a, b, n, out); }
void mp_dot2_f32(const float *a, const float *b, long n, double out[2]) { mp_dot2_f32_at(2, a, b, n, out); }

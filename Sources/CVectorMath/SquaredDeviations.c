// The variance's second pass over a block already in cache: the sum of (x - mean)^2, in 32 lanes (element i
// goes to lane i % 32; lanes fold in lane order, then the tail in order). Four independent accumulators per
// path hide the addition's latency, which bound the 16-lane Swift loop (baseline SSE2) to half this speed.
// Multiplication and addition stay separate operations (no FMA contraction), so the AVX-512F, AVX2 and
// scalar paths give identical bits. Float elements are widened to Double.
#include "CVectorMath.h"
#include "Sum2Lanes.h"

#pragma STDC FP_CONTRACT OFF

#define DEV_LANES 32

static double fold_lanes(const double q[DEV_LANES], const double *p64, const float *p32, long body, long n, double mean) {
    double total = q[0];
    for (int l = 1; l < DEV_LANES; l++) total = total + q[l];
    for (long j = body; j < n; j++) {
        double d = (p64 ? p64[j] : (double)p32[j]) - mean;
        total = total + d * d;
    }
    return total;
}

static void deviations_scalar(const double *p64, const float *p32, long body, double mean, double q[DEV_LANES]) {
    for (long i = 0; i < body; i += DEV_LANES)
        for (int l = 0; l < DEV_LANES; l++) {
            double d = (p64 ? p64[i + l] : (double)p32[i + l]) - mean;
            q[l] = q[l] + d * d;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void deviations_512(const double *p64, const float *p32, long body, double mean,
                                                              double q[DEV_LANES]) {
    __m512d m = _mm512_set1_pd(mean);
    __m512d q0 = _mm512_setzero_pd(), q1 = q0, q2 = q0, q3 = q0;
    for (long i = 0; i < body; i += DEV_LANES) {
        __m512d a, b, c, e;
        if (p64) {
            a = _mm512_loadu_pd(p64 + i);
            b = _mm512_loadu_pd(p64 + i + 8);
            c = _mm512_loadu_pd(p64 + i + 16);
            e = _mm512_loadu_pd(p64 + i + 24);
        } else {
            a = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i));
            b = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i + 8));
            c = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i + 16));
            e = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i + 24));
        }
        a = _mm512_sub_pd(a, m);
        b = _mm512_sub_pd(b, m);
        c = _mm512_sub_pd(c, m);
        e = _mm512_sub_pd(e, m);
        q0 = _mm512_add_pd(q0, _mm512_mul_pd(a, a));
        q1 = _mm512_add_pd(q1, _mm512_mul_pd(b, b));
        q2 = _mm512_add_pd(q2, _mm512_mul_pd(c, c));
        q3 = _mm512_add_pd(q3, _mm512_mul_pd(e, e));
    }
    _mm512_storeu_pd(q, q0);
    _mm512_storeu_pd(q + 8, q1);
    _mm512_storeu_pd(q + 16, q2);
    _mm512_storeu_pd(q + 24, q3);
}

__attribute__((target("avx2"))) static void deviations_256(const double *p64, const float *p32, long body, double mean,
                                                           double q[DEV_LANES]) {
    __m256d m = _mm256_set1_pd(mean);
    __m256d acc[8];
    for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_pd();
    for (long i = 0; i < body; i += DEV_LANES)
        for (int k = 0; k < 8; k++) {
            __m256d x = p64 ? _mm256_loadu_pd(p64 + i + 4 * k) : _mm256_cvtps_pd(_mm_loadu_ps(p32 + i + 4 * k));
            __m256d d = _mm256_sub_pd(x, m);
            acc[k] = _mm256_add_pd(acc[k], _mm256_mul_pd(d, d));
        }
    for (int k = 0; k < 8; k++) _mm256_storeu_pd(q + 4 * k, acc[k]);
}
#endif

static double squared_deviations(int level, const double *p64, const float *p32, long n, double mean) {
    double q[DEV_LANES] = {0};
    if (n < 0) n = 0;
    long body = n & ~(long)(DEV_LANES - 1);
    switch (mp_clamp_level(level, mp_vecmath_level())) {
#if defined(__x86_64__)
    case 2: deviations_512(p64, p32, body, mean, q); break;
    case 1: deviations_256(p64, p32, body, mean, q); break;
#endif
    default: deviations_scalar(p64, p32, body, mean, q);
    }
    return fold_lanes(q, p64, p32, body, n, mean);
}

double mp_squared_deviations_f64_at(int level, const double *p, long n, double mean) { return squared_deviations(level, p, 0, n, mean); }
double mp_squared_deviations_f32_at(int level, const float *p, long n, double mean) { return squared_deviations(level, 0, p, n, mean); }
double mp_squared_deviations_f64(const double *p, long n, double mean) { return squared_deviations(2, p, 0, n, mean); }
double mp_squared_deviations_f32(const float *p, long n, double mean) { return squared_deviations(2, 0, p, n, mean); }

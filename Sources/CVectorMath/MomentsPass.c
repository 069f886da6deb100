// One pass over a block of a chunk for the moments kernel: the compensated sum (Sum2, as CompensatedDot.c; a
// plain lane sum with MP_PASS_PLAIN_SUM, for statistics that only need it to notice a NaN),
// and optionally the sum of squares and the minimum and maximum, in the same 16 lanes (see Sum2Lanes.h).
// Every path applies the same IEEE operations to the same lanes in the same order, so the AVX-512F, AVX2
// and scalar paths give identical bits. A NaN shows up as a NaN sum; min/max are then meaningless (the
// caller redoes such a block by its NaN-aware path). Lane minima keep the earlier value on ties
// (x < m ? x : m), as min_pd(x, m) does.
#include "CVectorMath.h"
#include "Sum2Lanes.h"

#pragma STDC FP_CONTRACT OFF

static inline void moments_finish(const double s[LANES], const double c[LANES], const double q[LANES],
                                  const double mn[LANES], const double mx[LANES], const double *tail, long m,
                                  int flags, mp_moments_pass *out) {
    double pair[2];
    sum2_finish(s, c, tail, m, pair);
    out->hi = pair[0];
    out->lo = pair[1];
    out->squares = 0;
    out->min = INFINITY;
    out->max = -INFINITY;
    if (flags & MP_PASS_SQUARES) {
        double Q = q[0];
        for (int l = 1; l < LANES; l++) Q = Q + q[l];
        for (long j = 0; j < m; j++) Q = Q + tail[j] * tail[j];
        out->squares = Q;
    }
    if (flags & MP_PASS_EXTREMA) {
        double a = mn[0], b = mx[0];
        for (int l = 1; l < LANES; l++) {
            a = mn[l] < a ? mn[l] : a;
            b = mx[l] > b ? mx[l] : b;
        }
        for (long j = 0; j < m; j++) {
            a = tail[j] < a ? tail[j] : a;
            b = tail[j] > b ? tail[j] : b;
        }
        out->min = a;
        out->max = b;
    }
}

// ---- Scalar ----

#define SCALAR_LOOP(LOAD)                                                                 \
    for (long i = 0; i + LANES <= n; i += LANES)                                          \
        for (int l = 0; l < LANES; l++) {                                                 \
            double x = LOAD(i + l), e;                                                    \
            if (flags & MP_PASS_PLAIN_SUM) {                                              \
                s[l] = s[l] + x;                                                          \
            } else {                                                                      \
                two_sum(s[l], x, &s[l], &e);                                              \
                c[l] = c[l] + e;                                                          \
            }                                                                             \
            if (flags & MP_PASS_SQUARES) q[l] = q[l] + x * x;                             \
            if (flags & MP_PASS_EXTREMA) {                                                \
                mn[l] = x < mn[l] ? x : mn[l];                                            \
                mx[l] = x > mx[l] ? x : mx[l];                                            \
            }                                                                             \
        }

#define LOAD_F64(k) p64[k]
#define LOAD_F32(k) (double)p32[k]

static void pass_scalar(const double *p64, const float *p32, long n, int flags, double *s, double *c, double *q,
                        double *mn, double *mx) {
    if (p64) { SCALAR_LOOP(LOAD_F64) } else { SCALAR_LOOP(LOAD_F32) }
}

#if defined(__x86_64__)
// ---- AVX-512F: lanes 0-7 and 8-15 ----

// 4 KiB ahead: with Sum2's extra arithmetic the hardware prefetcher alone left 1 GiB reductions 1.5x slower
// than a plain sum on Intel Xeon; a hint changes no result.
__attribute__((always_inline)) static inline void prefetch_ahead(const double *p64, const float *p32, long i) {
    if (p64) {
        _mm_prefetch((const char *)(p64 + i + 512), _MM_HINT_T0);
        _mm_prefetch((const char *)(p64 + i + 520), _MM_HINT_T0);
    } else {
        _mm_prefetch((const char *)(p32 + i + 1024), _MM_HINT_T0);
    }
}

// Sum2Lanes.h's port balance applies to the plain sum too: beside min and max (additions' pipes) it is an
// FMA by a hidden 1.0, the same bits; alone, or beside the squares' multiplications, it stays an addition.

// One specialised loop per (element type, flags): BODY(p64, p32, F) is inlined with F a constant.
#define DISPATCH_FLAGS(BODY)                                                              \
    do {                                                                                  \
        switch (flags) {                                                                  \
        case 0: if (p64) BODY(p64, 0, 0); else BODY(0, p32, 0); break;                    \
        case 1: if (p64) BODY(p64, 0, 1); else BODY(0, p32, 1); break;                    \
        case 2: if (p64) BODY(p64, 0, 2); else BODY(0, p32, 2); break;                    \
        case 3: if (p64) BODY(p64, 0, 3); else BODY(0, p32, 3); break;                    \
        case 4: if (p64) BODY(p64, 0, 4); else BODY(0, p32, 4); break;                    \
        case 5: if (p64) BODY(p64, 0, 5); else BODY(0, p32, 5); break;                    \
        case 6: if (p64) BODY(p64, 0, 6); else BODY(0, p32, 6); break;                    \
        default: if (p64) BODY(p64, 0, 7); else BODY(0, p32, 7);                          \
        }                                                                                 \
    } while (0)

#define STEP_512(x, S, C, Q, MN, MX)                                                      \
    do {                                                                                  \
        if (flags & MP_PASS_PLAIN_SUM) {                                                  \
            S = (flags & MP_PASS_EXTREMA) ? _mm512_fmadd_pd(x, one, S) : _mm512_add_pd(S, x); \
        } else {                                                                          \
            MP_TWO_SUM_512(S, x, C, one);                                                 \
        }                                                                                 \
        if (flags & MP_PASS_SQUARES) Q = _mm512_add_pd(Q, _mm512_mul_pd(x, x));          \
        if (flags & MP_PASS_EXTREMA) {                                                    \
            MN = _mm512_min_pd(x, MN);                                                    \
            MX = _mm512_max_pd(x, MX);                                                    \
        }                                                                                 \
    } while (0)

__attribute__((target("avx512f"), always_inline)) static inline void
pass_512_body(const double *p64, const float *p32, long n, const int flags, double *s, double *c, double *q,
              double *mn, double *mx) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, c0 = s0, c1 = s0, q0 = s0, q1 = s0;
    __m512d n0 = _mm512_set1_pd(INFINITY), n1 = n0, x0_ = _mm512_set1_pd(-INFINITY), x1_ = x0_;
    MP_HIDDEN_ONE_512(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        __m512d a, b;
        prefetch_ahead(p64, p32, i);
        if (p64) {
            a = _mm512_loadu_pd(p64 + i);
            b = _mm512_loadu_pd(p64 + i + 8);
        } else {
            a = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i));
            b = _mm512_cvtps_pd(_mm256_loadu_ps(p32 + i + 8));
        }
        STEP_512(a, s0, c0, q0, n0, x0_);
        STEP_512(b, s1, c1, q1, n1, x1_);
    }
    _mm512_storeu_pd(s, s0); _mm512_storeu_pd(s + 8, s1);
    _mm512_storeu_pd(c, c0); _mm512_storeu_pd(c + 8, c1);
    _mm512_storeu_pd(q, q0); _mm512_storeu_pd(q + 8, q1);
    _mm512_storeu_pd(mn, n0); _mm512_storeu_pd(mn + 8, n1);
    _mm512_storeu_pd(mx, x0_); _mm512_storeu_pd(mx + 8, x1_);
}

__attribute__((target("avx512f"))) static void pass_512(const double *p64, const float *p32, long n, int flags,
                                                        double *s, double *c, double *q, double *mn, double *mx) {
#define BODY_512(P64, P32, F) pass_512_body(P64, P32, n, F, s, c, q, mn, mx)
    DISPATCH_FLAGS(BODY_512);
#undef BODY_512
}

// ---- AVX2: lanes 0-3, 4-7, 8-11, 12-15 ----

#define STEP_256(x, S, C, Q, MN, MX)                                                      \
    do {                                                                                  \
        if (flags & MP_PASS_PLAIN_SUM) {                                                  \
            S = (flags & MP_PASS_EXTREMA) ? _mm256_fmadd_pd(x, one, S) : _mm256_add_pd(S, x); \
        } else {                                                                          \
            MP_TWO_SUM_256(S, x, C, one);                                                 \
        }                                                                                 \
        if (flags & MP_PASS_SQUARES) Q = _mm256_add_pd(Q, _mm256_mul_pd(x, x));          \
        if (flags & MP_PASS_EXTREMA) {                                                    \
            MN = _mm256_min_pd(x, MN);                                                    \
            MX = _mm256_max_pd(x, MX);                                                    \
        }                                                                                 \
    } while (0)

__attribute__((target("avx2,fma"), always_inline)) static inline __m256d load4(const double *p64, const float *p32, long i) {
    return p64 ? _mm256_loadu_pd(p64 + i) : _mm256_cvtps_pd(_mm_loadu_ps(p32 + i));
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
pass_256_body(const double *p64, const float *p32, long n, const int flags, double *s, double *c, double *q,
              double *mn, double *mx) {
    __m256d z = _mm256_setzero_pd(), inf = _mm256_set1_pd(INFINITY), ninf = _mm256_set1_pd(-INFINITY);
    __m256d S[4] = {z, z, z, z}, C[4] = {z, z, z, z}, Q[4] = {z, z, z, z};
    __m256d MN[4] = {inf, inf, inf, inf}, MX[4] = {ninf, ninf, ninf, ninf};
    MP_HIDDEN_ONE_256(one);
    for (long i = 0; i + LANES <= n; i += LANES) {
        prefetch_ahead(p64, p32, i);
        for (int k = 0; k < 4; k++) {
            __m256d x = load4(p64, p32, i + 4 * k);
            STEP_256(x, S[k], C[k], Q[k], MN[k], MX[k]);
            // Keeps the next load below this step: hoisted, the four loads left too few of AVX2's 16
            // registers, and an accumulator was spilled to the stack inside the loop.
            __asm__ volatile("" ::: "memory");
        }
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_pd(s + 4 * k, S[k]);
        _mm256_storeu_pd(c + 4 * k, C[k]);
        _mm256_storeu_pd(q + 4 * k, Q[k]);
        _mm256_storeu_pd(mn + 4 * k, MN[k]);
        _mm256_storeu_pd(mx + 4 * k, MX[k]);
    }
}

__attribute__((target("avx2,fma"))) static void pass_256(const double *p64, const float *p32, long n, int flags,
                                                     double *s, double *c, double *q, double *mn, double *mx) {
#define BODY_256(P64, P32, F) pass_256_body(P64, P32, n, F, s, c, q, mn, mx)
    DISPATCH_FLAGS(BODY_256);
#undef BODY_256
}
#endif

static void moments_pass(int level, const double *p64, const float *p32, long n, int flags, mp_moments_pass *out) {
    double s[LANES] = {0}, c[LANES] = {0}, q[LANES] = {0}, mn[LANES], mx[LANES], tail[LANES];
    for (int l = 0; l < LANES; l++) {
        mn[l] = INFINITY;
        mx[l] = -INFINITY;
    }
    if (n < 0) n = 0;
    flags &= MP_PASS_SQUARES | MP_PASS_EXTREMA | MP_PASS_PLAIN_SUM;
    long body = n & ~(long)(LANES - 1);
    switch (mp_clamp_level(level, mp_vecmath_level())) {
#if defined(__x86_64__)
    case 2: pass_512(p64, p32, body, flags, s, c, q, mn, mx); break;
    case 1: pass_256(p64, p32, body, flags, s, c, q, mn, mx); break;
#endif
    default: pass_scalar(p64, p32, body, flags, s, c, q, mn, mx);
    }
    for (long j = body; j < n; j++) tail[j - body] = p64 ? p64[j] : (double)p32[j];
    moments_finish(s, c, q, mn, mx, tail, n - body, flags, out);
}

void mp_moments_pass_f64_at(int level, const double *p, long n, int flags, mp_moments_pass *out) {
    moments_pass(level, p, 0, n, flags, out);
}

void mp_moments_pass_f32_at(int level, const float *p, long n, int flags, mp_moments_pass *out) {
    moments_pass(level, 0, p, n, flags, out);
}

void mp_moments_pass_f64(const double *p, long n, int flags, mp_moments_pass *out) { moments_pass(2, p, 0, n, flags, out); }
void mp_moments_pass_f32(const float *p, long n, int flags, mp_moments_pass *out) { moments_pass(2, 0, p, n, flags, out); }

// ---- First index of a value ----

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static long first_equal_512(const double *p, long n, double target) {
    __m512d t = _mm512_set1_pd(target);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __mmask8 m = _mm512_cmp_pd_mask(_mm512_loadu_pd(p + i), t, _CMP_EQ_OQ);
        if (m) return i + __builtin_ctz(m);
    }
    for (; i < n; i++)
        if (p[i] == target) return i;
    return -1;
}

__attribute__((target("avx2"))) static long first_equal_256(const double *p, long n, double target) {
    __m256d t = _mm256_set1_pd(target);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        int m = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(p + i), t, _CMP_EQ_OQ));
        if (m) return i + __builtin_ctz(m);
    }
    for (; i < n; i++)
        if (p[i] == target) return i;
    return -1;
}
#endif

long mp_first_equal_f64(const double *p, long n, double target) {
    switch (mp_vecmath_level()) {
#if defined(__x86_64__)
    case 2: return first_equal_512(p, n, target);
    case 1: return first_equal_256(p, n, target);
#endif
    default:
        for (long i = 0; i < n; i++)
            if (p[i] == target) return i;
        return -1;
    }
}

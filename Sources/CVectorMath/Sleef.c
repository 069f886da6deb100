#include "CVectorMath.h"

// SLEEF 3.5 (Debian's libsleef3) through its deterministic "finz" entry points: the AVX-512F and the AVX2+FMA
// builds of one function give the same bits for every input (SLEEF's promise for finz: same algorithm, FMA
// everywhere; NaN payloads are made the same below), so a result does not depend on which of the two this CPU
// runs. The vector functions are reached through VectorLoops.S (their ymm / zmm calling convention). Without
// AVX2+FMA, the scalar "cinz" build (no FMA) runs: its last bit can differ from finz's, within the same bound.
//
// Accuracy class per function, chosen by speed against numpy on one core (measured in CPU time, 2^24 values,
// AVX-512): Double exp, log, sin, cos 1.0 ulp (u10; 0.55x, 0.8x, 0.1x, 0.1x numpy's time); Double tanh 3.5 ulp
// (u35: the u10 build took 2x numpy's time, the u35 one 0.9x); Float exp, log 1.0 ulp (0.6x, 0.9x); Float
// sin, cos 3.5 ulp (u35 0.25x numpy's time, u10 2.3x); sinpi, cospi 0.5 ulp (the normal fill). Float tanh
// goes to libmvec (SLEEF's u35 took 5x numpy's time, libmvec 1.3x).

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>

// Only their addresses are taken: they are called from VectorLoops.S with their own convention.
// ud: the Double build's accuracy class, uf: the Float build's.
#define VECTOR_FUNCTIONS(name, ud, uf)                       \
    extern void Sleef_finz_##name##d8_##ud##avx512f(void);  \
    extern void Sleef_finz_##name##d4_##ud##avx2(void);     \
    extern void Sleef_finz_##name##f16_##uf##avx512f(void); \
    extern void Sleef_finz_##name##f8_##uf##avx2(void);     \
    extern double Sleef_cinz_##name##d1_##ud##purec(double); \
    extern float Sleef_cinz_##name##f1_##uf##purec(float);
VECTOR_FUNCTIONS(exp, u10, u10)
VECTOR_FUNCTIONS(log, u10, u10)
VECTOR_FUNCTIONS(sin, u10, u35)
VECTOR_FUNCTIONS(cos, u10, u35)
VECTOR_FUNCTIONS(tanh, u35, u35)
VECTOR_FUNCTIONS(sinpi, u05, u05)
VECTOR_FUNCTIONS(cospi, u05, u05)

void mp_vm_loop1_ymm(const void *fn, const void *x, void *y, long vectors);
void mp_vm_loop1_zmm(const void *fn, const void *x, void *y, long vectors);

typedef struct {
    const void *d8, *d4, *f16, *f8;
    double (*d1)(double);
    float (*f1)(float);
} unary_entry;

#define ENTRY(name, ud, uf)                                                                           \
    { (const void *)Sleef_finz_##name##d8_##ud##avx512f, (const void *)Sleef_finz_##name##d4_##ud##avx2, \
      (const void *)Sleef_finz_##name##f16_##uf##avx512f, (const void *)Sleef_finz_##name##f8_##uf##avx2, \
      Sleef_cinz_##name##d1_##ud##purec, Sleef_cinz_##name##f1_##uf##purec }

// Indexed by MP_SLEEF_*.
static const unary_entry unary_table[] = {
    ENTRY(exp, u10, u10), ENTRY(log, u10, u10), ENTRY(sin, u10, u35), ENTRY(cos, u10, u35), ENTRY(tanh, u35, u35),
    ENTRY(sinpi, u05, u05), ENTRY(cospi, u05, u05),
};

static int valid(int function) {
    return function >= 0 && function < (int)(sizeof unary_table / sizeof unary_table[0]);
}

// Whole vectors through `loop`, then the tail padded with zeros through the same vector function, so every
// element gets the same bits wherever it sits.
static void unary_vectors(void (*loop)(const void *, const void *, void *, long), const void *fn,
                          const void *x, void *y, long n, long lanes, size_t size) {
    long whole = n / lanes;
    loop(fn, x, y, whole);
    long done = whole * lanes;
    if (done < n) {
        _Alignas(64) unsigned char in[64], out[64];
        memset(in, 0, sizeof in);
        memcpy(in, (const unsigned char *)x + done * (long)size, (size_t)(n - done) * size);
        loop(fn, in, out, 1);
        memcpy((unsigned char *)y + done * (long)size, out, (size_t)(n - done) * size);
    }
}

// SLEEF's AVX-512 log returns NaNs with other payloads than its AVX2 log (the numbers agree): a NaN result
// becomes the input NaN made quiet, or the default quiet NaN for an invalid argument, on every path. The
// checks run 8 (4) lanes at a time, so that the fix-up costs little next to the log.
__attribute__((target("avx512f"))) static int any_nan_f64_512(const double *y, long n) {
    __mmask8 found = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_loadu_pd(y + i);
        found |= _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
    }
    int any = found != 0;
    for (; i < n; i++) any |= y[i] != y[i];
    return any;
}

__attribute__((target("avx2"))) static int any_nan_f64_256(const double *y, long n) {
    __m256d found = _mm256_setzero_pd();
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(y + i);
        found = _mm256_or_pd(found, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
    }
    int any = _mm256_movemask_pd(found) != 0;
    for (; i < n; i++) any |= y[i] != y[i];
    return any;
}

__attribute__((target("avx512f"))) static int any_nan_f32_512(const float *y, long n) {
    __mmask16 found = 0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(y + i);
        found |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    int any = found != 0;
    for (; i < n; i++) any |= y[i] != y[i];
    return any;
}

__attribute__((target("avx2"))) static int any_nan_f32_256(const float *y, long n) {
    __m256 found = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(y + i);
        found = _mm256_or_ps(found, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    int any = _mm256_movemask_ps(found) != 0;
    for (; i < n; i++) any |= y[i] != y[i];
    return any;
}

static int any_nan_f64(int level, const double *y, long n) {
    if (level == 2) return any_nan_f64_512(y, n);
    if (level == 1) return any_nan_f64_256(y, n);
    int any = 0;
    for (long i = 0; i < n; i++) any |= y[i] != y[i];
    return any;
}

static int any_nan_f32(int level, const float *y, long n) {
    if (level == 2) return any_nan_f32_512(y, n);
    if (level == 1) return any_nan_f32_256(y, n);
    int any = 0;
    for (long i = 0; i < n; i++) any |= y[i] != y[i];
    return any;
}

// x holds the inputs when `inputs_have_nan`; otherwise every NaN result came from an invalid argument.
static void canonical_nans_f64(const double *x, int inputs_have_nan, double *y, long n) {
    for (long i = 0; i < n; i++) {
        if (y[i] != y[i]) {
            uint64_t bits = 0x7FF8000000000000ull;
            if (inputs_have_nan && x[i] != x[i]) {
                memcpy(&bits, &x[i], sizeof bits);
                bits |= 0x0008000000000000ull;
            }
            memcpy(&y[i], &bits, sizeof bits);
        }
    }
}

static void canonical_nans_f32(const float *x, int inputs_have_nan, float *y, long n) {
    for (long i = 0; i < n; i++) {
        if (y[i] != y[i]) {
            uint32_t bits = 0x7FC00000u;
            if (inputs_have_nan && x[i] != x[i]) {
                memcpy(&bits, &x[i], sizeof bits);
                bits |= 0x00400000u;
            }
            memcpy(&y[i], &bits, sizeof bits);
        }
    }
}

// SLEEF's exp returns +inf above 709.78271114955742 (its overflow test), but exp(x) is finite up to
// log(DBL_MAX) = 709.782712893384: those arguments go to glibc's exp.
#define SLEEF_EXP_LIMIT 709.78271114955742909217217426
#define EXP_FINITE_LIMIT 0x1.62e42fefa39efp+9

__attribute__((target("avx512f"))) static int any_in_range_f64_512(const double *x, long n, double lo, double hi) {
    const __m512d l = _mm512_set1_pd(lo), h = _mm512_set1_pd(hi);
    __mmask8 found = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_loadu_pd(x + i);
        found |= _mm512_cmp_pd_mask(v, l, _CMP_GT_OQ) & _mm512_cmp_pd_mask(v, h, _CMP_LE_OQ);
    }
    int any = found != 0;
    for (; i < n; i++) any |= x[i] > lo && x[i] <= hi;
    return any;
}

__attribute__((target("avx2"))) static int any_in_range_f64_256(const double *x, long n, double lo, double hi) {
    const __m256d l = _mm256_set1_pd(lo), h = _mm256_set1_pd(hi);
    __m256d found = _mm256_setzero_pd();
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        found = _mm256_or_pd(found, _mm256_and_pd(_mm256_cmp_pd(v, l, _CMP_GT_OQ), _mm256_cmp_pd(v, h, _CMP_LE_OQ)));
    }
    int any = _mm256_movemask_pd(found) != 0;
    for (; i < n; i++) any |= x[i] > lo && x[i] <= hi;
    return any;
}

__attribute__((target("avx512f"))) static int any_inf_f64_512(const double *y, long n) {
    const __m512d inf = _mm512_set1_pd(INFINITY);
    __mmask8 found = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) found |= _mm512_cmp_pd_mask(_mm512_loadu_pd(y + i), inf, _CMP_EQ_OQ);
    int any = found != 0;
    for (; i < n; i++) any |= y[i] == INFINITY;
    return any;
}

__attribute__((target("avx2"))) static int any_inf_f64_256(const double *y, long n) {
    const __m256d inf = _mm256_set1_pd(INFINITY);
    __m256d found = _mm256_setzero_pd();
    long i = 0;
    for (; i + 4 <= n; i += 4) found = _mm256_or_pd(found, _mm256_cmp_pd(_mm256_loadu_pd(y + i), inf, _CMP_EQ_OQ));
    int any = _mm256_movemask_pd(found) != 0;
    for (; i < n; i++) any |= y[i] == INFINITY;
    return any;
}

static int any_inf_f64(int level, const double *y, long n) {
    if (level == 2) return any_inf_f64_512(y, n);
    if (level == 1) return any_inf_f64_256(y, n);
    int any = 0;
    for (long i = 0; i < n; i++) any |= y[i] == INFINITY;
    return any;
}

static int any_in_range_f64(int level, const double *x, long n, double lo, double hi) {
    if (level == 2) return any_in_range_f64_512(x, n, lo, hi);
    if (level == 1) return any_in_range_f64_256(x, n, lo, hi);
    int any = 0;
    for (long i = 0; i < n; i++) any |= x[i] > lo && x[i] <= hi;
    return any;
}

// Elements per pass when results are fixed up: large enough that the per-block work does not show (2048 cost
// 40% more than the bare log), small enough to stay in L2 for the second look.
#define NAN_BLOCK 8192

// A requested level above the CPU's runs the CPU's (never an instruction it lacks).
static int clamp(int level) {
    int cpu = mp_vecmath_level();
    return level < cpu ? level : cpu;
}

void mp_sleef_unary_f64(int function, const double *x, double *y, long n) {
    mp_sleef_unary_f64_at(mp_vecmath_level(), function, x, y, n);
}

void mp_sleef_unary_f32(int function, const float *x, float *y, long n) {
    mp_sleef_unary_f32_at(mp_vecmath_level(), function, x, y, n);
}

static void unary_f64(int level, const unary_entry *f, const double *x, double *y, long n) {
    switch (level) {
    case 2: unary_vectors(mp_vm_loop1_zmm, f->d8, x, y, n, 8, sizeof(double)); break;
    case 1: unary_vectors(mp_vm_loop1_ymm, f->d4, x, y, n, 4, sizeof(double)); break;
    default:
        for (long i = 0; i < n; i++) y[i] = f->d1(x[i]);
    }
}

static void unary_f32(int level, const unary_entry *f, const float *x, float *y, long n) {
    switch (level) {
    case 2: unary_vectors(mp_vm_loop1_zmm, f->f16, x, y, n, 16, sizeof(float)); break;
    case 1: unary_vectors(mp_vm_loop1_ymm, f->f8, x, y, n, 8, sizeof(float)); break;
    default:
        for (long i = 0; i < n; i++) y[i] = f->f1(x[i]);
    }
}

void mp_sleef_unary_f64_at(int level, int function, const double *x, double *y, long n) {
    if (!valid(function) || n <= 0) return;
    const unary_entry *f = &unary_table[function];
    level = clamp(level);
    if (function != MP_SLEEF_LOG && function != MP_SLEEF_EXP) return unary_f64(level, f, x, y, n);
    double saved[NAN_BLOCK];
    if (function == MP_SLEEF_EXP) {
        for (long i = 0; i < n; i += NAN_BLOCK) {
            long m = n - i < NAN_BLOCK ? n - i : NAN_BLOCK;
            const double *in = x + i;
            // Out of place, an infinite result is the cue (the inputs stay); in place, look at the inputs first.
            int edge = x == y && any_in_range_f64(level, in, m, SLEEF_EXP_LIMIT, EXP_FINITE_LIMIT);
            if (edge) {
                memcpy(saved, in, (size_t)m * sizeof(double));
                in = saved;
            }
            unary_f64(level, f, in, y + i, m);
            if (edge || (x != y && any_inf_f64(level, y + i, m))) {
                for (long j = 0; j < m; j++) {
                    if (in[j] > SLEEF_EXP_LIMIT && in[j] <= EXP_FINITE_LIMIT) y[i + j] = exp(in[j]);
                }
            }
        }
        return;
    }
    for (long i = 0; i < n; i += NAN_BLOCK) {
        long m = n - i < NAN_BLOCK ? n - i : NAN_BLOCK;
        const double *in = x + i;
        // Out of place the inputs stay for the fix-up; in place, a block with NaN inputs is kept first.
        int inputs_have_nan = 1;
        if (x == y) {
            inputs_have_nan = any_nan_f64(level, in, m);
            if (inputs_have_nan) {
                memcpy(saved, in, (size_t)m * sizeof(double));
                in = saved;
            }
        }
        unary_f64(level, f, in, y + i, m);
        if (any_nan_f64(level, y + i, m)) canonical_nans_f64(in, inputs_have_nan, y + i, m);
    }
}

void mp_sleef_unary_f32_at(int level, int function, const float *x, float *y, long n) {
    if (!valid(function) || n <= 0) return;
    const unary_entry *f = &unary_table[function];
    level = clamp(level);
    if (function != MP_SLEEF_LOG) return unary_f32(level, f, x, y, n);
    float saved[NAN_BLOCK];
    for (long i = 0; i < n; i += NAN_BLOCK) {
        long m = n - i < NAN_BLOCK ? n - i : NAN_BLOCK;
        const float *in = x + i;
        int inputs_have_nan = 1;
        if (x == y) {
            inputs_have_nan = any_nan_f32(level, in, m);
            if (inputs_have_nan) {
                memcpy(saved, in, (size_t)m * sizeof(float));
                in = saved;
            }
        }
        unary_f32(level, f, in, y + i, m);
        if (any_nan_f32(level, y + i, m)) canonical_nans_f32(in, inputs_have_nan, y + i, m);
    }
}

#else

// Not x86-64 Linux: Swift keeps to scalar libm (mp_vecmath_level() is 0 and the Swift side checks it).
void mp_sleef_unary_f64(int function, const double *x, double *y, long n) { (void)function; (void)x; (void)y; (void)n; }
void mp_sleef_unary_f32(int function, const float *x, float *y, long n) { (void)function; (void)x; (void)y; (void)n; }
void mp_sleef_unary_f64_at(int l, int function, const double *x, double *y, long n) { (void)l; (void)function; (void)x; (void)y; (void)n; }
void mp_sleef_unary_f32_at(int l, int function, const float *x, float *y, long n) { (void)l; (void)function; (void)x; (void)y; (void)n; }

#endif

// Internal to CVectorMath: the 16-lane layout shared by the compensated kernels (CompensatedSum.c,
// MomentsPass.c). Element i of a body of n & ~15 elements goes to lane i % 16; lanes fold in lane order.
#ifndef MP_SUM2_LANES_H
#define MP_SUM2_LANES_H
#include <math.h>

#define LANES 16

// Knuth's TwoSum: s = fl(a + b) and the exact error e (a + b == s + e for finite inputs).
static inline void two_sum(double a, double b, double *s, double *e) {
    double t = a + b;
    double z = t - a;
    *e = (a - (t - z)) + (b - z);
    *s = t;
}

// Folds the lanes' (s, c) in lane order, then the m tail values; writes the normalized (hi, lo), or
// (S, 0) when the plain sum S is not finite.
static inline void sum2_finish(const double s[LANES], const double c[LANES], const double *tail, long m, double out[2]) {
    double S = s[0], C = c[0], e;
    for (int l = 1; l < LANES; l++) {
        two_sum(S, s[l], &S, &e);
        C = C + (e + c[l]);
    }
    for (long j = 0; j < m; j++) {
        two_sum(S, tail[j], &S, &e);
        C = C + e;
    }
    if (!isfinite(S)) {
        out[0] = S;
        out[1] = 0;
        return;
    }
    two_sum(S, C, &out[0], &out[1]);
    if (!isfinite(out[0])) out[1] = 0;
}

static inline int mp_clamp_level(int level, int cpu) { return level > cpu ? cpu : level; }

#if defined(__x86_64__)
#include <immintrin.h>

// ---- TwoSum on vectors, balanced over the CPU's pipes ----
//
// AMD Zen issues additions to two FADD pipes and multiplications and FMAs to two FMA pipes, so TwoSum's six
// additions (seven with the accumulation) kept the FADD pipes busy and left the FMA pipes idle. fma(a, 1, b)
// is a * 1 + b rounded once, which is a + b bit for bit (signed zeros, infinities and overflow included; NaN
// sums are redone by the NaN-aware path), and it issues to the FMA pipes; fnmadd(b, 1, a) is a - b. So three
// of TwoSum's additions move there: z = t - s, x - z and the error's final sum. The chains s + x and c + e stay
// additions (shorter latency). Intel issues both kinds to the same ports, where nothing changes. The 1.0 is
// hidden behind an empty asm so that the compiler cannot fold an FMA back into an addition.

#define MP_HIDDEN_ONE_512(one)                                                              \
    __m512d one = _mm512_set1_pd(1.0);                                                      \
    __asm__("" : "+v"(one))

#define MP_HIDDEN_ONE_256(one)                                                              \
    __m256d one = _mm256_set1_pd(1.0);                                                      \
    __asm__("" : "+x"(one))

// s += x at vector width W (512 or 256); c += INCREMENT, an expression of the exact error e_ of that
// addition: (s - (t - z)) + (x - z) with t = s + x, z = t - s.
#define MP_TWO_SUM_THEN(W, s, x, c, one, INCREMENT)                                                                          \
    do {                                                                                                                     \
        __m##W##d t_ = _mm##W##_add_pd(s, x), z_ = _mm##W##_fnmadd_pd(s, one, t_);                                           \
        __m##W##d e_ = _mm##W##_fmadd_pd(_mm##W##_sub_pd(s, _mm##W##_sub_pd(t_, z_)), one, _mm##W##_fnmadd_pd(z_, one, x));  \
        s = t_;                                                                                                              \
        c = _mm##W##_add_pd(c, INCREMENT);                                                                                   \
    } while (0)

// s += x; c += e.
#define MP_TWO_SUM_512(s, x, c, one) MP_TWO_SUM_THEN(512, s, x, c, one, e_)
#define MP_TWO_SUM_256(s, x, c, one) MP_TWO_SUM_THEN(256, s, x, c, one, e_)
// s += x; c += (e + ep), in that order (Dot2: ep is the product's exact error).
#define MP_TWO_SUM_PROD_512(s, x, ep, c, one) MP_TWO_SUM_THEN(512, s, x, c, one, _mm512_add_pd(e_, ep))
#define MP_TWO_SUM_PROD_256(s, x, ep, c, one) MP_TWO_SUM_THEN(256, s, x, c, one, _mm256_add_pd(e_, ep))
#endif

#endif

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

#endif

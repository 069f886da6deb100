// Internal to CVectorMath: what the two pow kernels (PowerFloat.c, PowerDouble.c) share, besides
// Sum2Lanes.h's TwoSum and level clamp: bit casts, and the lanes that libm computes.
#ifndef MP_POWER_LANES_H
#define MP_POWER_LANES_H
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "Sum2Lanes.h"

static inline uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t double_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline double bits_double(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

// rs[lane] = libm's pow(xs[lane], ys[lane]) for every lane set in special. xs and ys are copies of the
// vector's operands, taken before anything is stored: out may be x or y (an in-place power).
static inline void pow_lanes_by_libm(unsigned special, const double *xs, const double *ys, double *rs) {
    for (; special; special &= special - 1) {
        int lane = __builtin_ctz(special);
        rs[lane] = pow(xs[lane], ys[lane]);
    }
}

static inline void powf_lanes_by_libm(unsigned special, const float *xs, const float *ys, float *rs) {
    for (; special; special &= special - 1) {
        int lane = __builtin_ctz(special);
        rs[lane] = powf(xs[lane], ys[lane]);
    }
}
#endif

#ifndef CVECTORMATH_H
#define CVECTORMATH_H

// Vectorised libm from glibc's libmvec (x86-64 Linux): sin, cos, tanh, log1p, expm1 and pow over whole arrays,
// 4 or 8 doubles (8 or 16 floats) per call. Every element, the tail included, goes through the same vector
// function, so a result depends only on its input, never on its position. libmvec's documented error bound is
// 4 ulp. mp_vecmath_level() says what this CPU runs; with 0 the functions must not be called.

#ifdef __cplusplus
extern "C" {
#endif

/// 2: AVX-512F variants; 1: AVX2+FMA variants; 0: none (not x86-64 Linux, or an older CPU).
int mp_vecmath_level(void);

enum {
    MP_VM_SIN = 0,
    MP_VM_COS = 1,
    MP_VM_TANH = 2,
    MP_VM_LOG1P = 3,
    MP_VM_EXPM1 = 4,
};

/// y[i] = f(x[i]) for i < n; x and y may be the same array.
void mp_vecmath_unary_f64(int function, const double *x, double *y, long n);
void mp_vecmath_unary_f32(int function, const float *x, float *y, long n);

/// out[i] = pow(x[i], e[i]); with e_stride 0, every element's exponent is e[0].
void mp_vecmath_pow_f64(const double *x, const double *e, long e_stride, double *out, long n);
void mp_vecmath_pow_f32(const float *x, const float *e, long e_stride, float *out, long n);

#ifdef __cplusplus
}
#endif

#endif

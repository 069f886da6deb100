#include "CVectorMath.h"

#if defined(__x86_64__) && defined(__linux__)
#include <string.h>

typedef void (*unary_thunk_d)(const double *, double *);
typedef void (*unary_thunk_f)(const float *, float *);

// Thunks.S: one vector of libmvec per call, in and out through memory.
#define THUNKS(name)                                                         \
    void mp_vm_d_##name(const double *, double *);                           \
    void mp_vm_e_##name(const double *, double *);                           \
    void mp_vm_d_##name##f(const float *, float *);                          \
    void mp_vm_e_##name##f(const float *, float *);
THUNKS(tanh)
THUNKS(log1p)
THUNKS(expm1)

int mp_vecmath_level(void) {
    static int level = -1;
    if (level < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) level = 2;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
        else level = 0;
    }
    return level;
}

const char *mp_vecmath_path(void) {
    switch (mp_vecmath_level()) {
    case 2: return "avx512f";
    case 1: return "avx2+fma";
    default: return "scalar";
    }
}

static unary_thunk_d thunk_d(int function, int wide) {
    switch (function) {
    case MP_VM_LOG1P: return wide ? mp_vm_e_log1p : mp_vm_d_log1p;
    case MP_VM_EXPM1: return wide ? mp_vm_e_expm1 : mp_vm_d_expm1;
    default: return wide ? mp_vm_e_tanh : mp_vm_d_tanh;
    }
}

static unary_thunk_f thunk_f(int function, int wide) {
    switch (function) {
    case MP_VM_LOG1P: return wide ? mp_vm_e_log1pf : mp_vm_d_log1pf;
    case MP_VM_EXPM1: return wide ? mp_vm_e_expm1f : mp_vm_d_expm1f;
    default: return wide ? mp_vm_e_tanhf : mp_vm_d_tanhf;
    }
}

// Full vectors in place, then the tail padded with zeros through the same function.
#define UNARY_LOOP(T, W)                                        \
    {                                                           \
        long i = 0;                                             \
        for (; i + W <= n; i += W) f(x + i, y + i);             \
        if (i < n) {                                            \
            T in[W], out[W];                                    \
            memset(in, 0, sizeof in);                           \
            memcpy(in, x + i, (size_t)(n - i) * sizeof(T));     \
            f(in, out);                                         \
            memcpy(y + i, out, (size_t)(n - i) * sizeof(T));    \
        }                                                       \
    }

void mp_vecmath_unary_f64(int function, const double *x, double *y, long n) {
    int wide = mp_vecmath_level() == 2;
    unary_thunk_d f = thunk_d(function, wide);
    if (wide) UNARY_LOOP(double, 8) else UNARY_LOOP(double, 4)
}

void mp_vecmath_unary_f32(int function, const float *x, float *y, long n) {
    int wide = mp_vecmath_level() == 2;
    unary_thunk_f f = thunk_f(function, wide);
    if (wide) UNARY_LOOP(float, 16) else UNARY_LOOP(float, 8)
}

#else

int mp_vecmath_level(void) { return 0; }
const char *mp_vecmath_path(void) { return "scalar"; }
void mp_vecmath_unary_f64(int function, const double *x, double *y, long n) { (void)function; (void)x; (void)y; (void)n; }
void mp_vecmath_unary_f32(int function, const float *x, float *y, long n) { (void)function; (void)x; (void)y; (void)n; }

#endif

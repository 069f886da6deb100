// Loads OpenBLAS with dlopen, single-threaded, before main (see COpenBLAS.h for why), and forwards the few
// functions the package uses through dlsym'd pointers, with plain C loops as the fallback.
#define _GNU_SOURCE
#include "COpenBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*get_config_fn)(void);
typedef double (*ddot_fn)(int, const double *, int, const double *, int);
typedef double (*dsdot_fn)(int, const float *, int, const float *, int);
typedef void (*daxpy_fn)(int, double, const double *, int, double *, int);
typedef void (*saxpy_fn)(int, float, const float *, int, float *, int);
typedef void (*dgemm_fn)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, double, const double *, int,
                         const double *, int, double, double *, int);
typedef void (*sgemm_fn)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*dgemv_fn)(CBLAS_ORDER, CBLAS_TRANSPOSE, int, int, double, const double *, int, const double *, int,
                         double, double *, int);
typedef void (*sgemv_fn)(CBLAS_ORDER, CBLAS_TRANSPOSE, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*dsyrk_fn)(CBLAS_ORDER, CBLAS_UPLO, CBLAS_TRANSPOSE, int, int, double, const double *, int, double,
                         double *, int);
typedef void (*ssyrk_fn)(CBLAS_ORDER, CBLAS_UPLO, CBLAS_TRANSPOSE, int, int, float, const float *, int, float,
                         float *, int);

static struct {
    set_threads_fn set_threads;
    get_threads_fn get_threads;
    get_config_fn get_config;
    ddot_fn ddot;
    dsdot_fn dsdot;
    daxpy_fn daxpy;
    saxpy_fn saxpy;
    dgemm_fn dgemm;
    sgemm_fn sgemm;
    dgemv_fn dgemv;
    sgemv_fn sgemv;
    dsyrk_fn dsyrk;
    ssyrk_fn ssyrk;
    char error[256];
    char config[320];
} blas;

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

/// OpenBLAS's soname on Debian and most distributions, then the development link as a last resort.
static const char *const library_names[] = {"libopenblas.so.0", "libopenblas.so"};

static void *open_library(void) {
    for (size_t i = 0; i < sizeof library_names / sizeof *library_names; i++) {
        // Already in the process (the program linked it itself): use it as it is.
        void *handle = dlopen(library_names[i], RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
        if (handle) return handle;
    }
    // OpenBLAS reads OPENBLAS_NUM_THREADS in its constructor, during dlopen. Before main (where this normally
    // runs) the process has one thread, so changing the environment for the duration of the call is safe.
    const char *previous = getenv("OPENBLAS_NUM_THREADS");
    char *saved = previous ? strdup(previous) : NULL;
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    void *handle = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof *library_names && !handle; i++) {
        handle = dlopen(library_names[i], RTLD_NOW | RTLD_GLOBAL);
        if (!handle && i == 0) {
            const char *message = dlerror();
            snprintf(blas.error, sizeof blas.error, "%s", message ? message : "dlopen failed");
        }
    }
    if (saved) {
        setenv("OPENBLAS_NUM_THREADS", saved, 1);
        free(saved);
    } else {
        unsetenv("OPENBLAS_NUM_THREADS");
    }
    return handle;
}

static void load_blas(void) {
    void *handle = open_library();
    if (!handle) return;
    blas.set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    blas.get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
    blas.get_config = (get_config_fn)dlsym(handle, "openblas_get_config");
    blas.ddot = (ddot_fn)dlsym(handle, "cblas_ddot");
    blas.dsdot = (dsdot_fn)dlsym(handle, "cblas_dsdot");
    blas.daxpy = (daxpy_fn)dlsym(handle, "cblas_daxpy");
    blas.saxpy = (saxpy_fn)dlsym(handle, "cblas_saxpy");
    blas.dgemm = (dgemm_fn)dlsym(handle, "cblas_dgemm");
    blas.sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    blas.dgemv = (dgemv_fn)dlsym(handle, "cblas_dgemv");
    blas.sgemv = (sgemv_fn)dlsym(handle, "cblas_sgemv");
    blas.dsyrk = (dsyrk_fn)dlsym(handle, "cblas_dsyrk");
    blas.ssyrk = (ssyrk_fn)dlsym(handle, "cblas_ssyrk");
    blas.error[0] = 0;
}

static inline void ensure_loaded(void) { pthread_once(&blas_once, load_blas); }

/// Runs before main in every program (or at dlopen of a shared library) that links this target, while the
/// process is still single-threaded.
__attribute__((constructor)) static void load_blas_at_start(void) { ensure_loaded(); }

int mp_blas_is_loaded(void) {
    ensure_loaded();
    return blas.ddot != NULL;
}

const char *mp_blas_load_error(void) {
    ensure_loaded();
    return blas.error;
}

void mp_openblas_set_num_threads(int count) {
    ensure_loaded();
    if (blas.set_threads) blas.set_threads(count);
}

int mp_openblas_get_num_threads(void) {
    ensure_loaded();
    return blas.get_threads ? blas.get_threads() : 1;
}

char *mp_openblas_get_config(void) {
    ensure_loaded();
    if (blas.get_config) return blas.get_config();
    snprintf(blas.config, sizeof blas.config, "not loaded (%s), using plain C loops",
             blas.error[0] ? blas.error : "unknown reason");
    return blas.config;
}

double mp_cblas_ddot(int n, const double *x, int incx, const double *y, int incy) {
    ensure_loaded();
    if (blas.ddot) return blas.ddot(n, x, incx, y, incy);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[(long)i * incx] * y[(long)i * incy];
    return sum;
}

double mp_cblas_dsdot(int n, const float *x, int incx, const float *y, int incy) {
    ensure_loaded();
    if (blas.dsdot) return blas.dsdot(n, x, incx, y, incy);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)x[(long)i * incx] * (double)y[(long)i * incy];
    return sum;
}

void mp_cblas_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy) {
    ensure_loaded();
    if (blas.daxpy) {
        blas.daxpy(n, alpha, x, incx, y, incy);
        return;
    }
    for (int i = 0; i < n; i++) y[(long)i * incy] += alpha * x[(long)i * incx];
}

void mp_cblas_saxpy(int n, float alpha, const float *x, int incx, float *y, int incy) {
    ensure_loaded();
    if (blas.saxpy) {
        blas.saxpy(n, alpha, x, incx, y, incy);
        return;
    }
    for (int i = 0; i < n; i++) y[(long)i * incy] += alpha * x[(long)i * incx];
}

/// OpenBLAS's gemm maps a working buffer (BUFFER_SIZE, 128 MiB on x86-64) on its first call in a thread and
/// retries a failed mmap forever. Under a finite address-space limit, probe once that such a mapping fits;
/// when it does not, the C loop runs instead of a call that would never return.
static atomic_int gemm_buffer_fits = 0;
static const size_t gemm_buffer_probe = (size_t)160 << 20;

static int gemm_can_use_library(void) {
    if (atomic_load_explicit(&gemm_buffer_fits, memory_order_relaxed)) return 1;
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        atomic_store(&gemm_buffer_fits, 1);
        return 1;
    }
    void *probe = mmap(NULL, gemm_buffer_probe, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED) return 0;
    munmap(probe, gemm_buffer_probe);
    atomic_store(&gemm_buffer_fits, 1);
    return 1;
}

// The reference loops index op(A), op(B) and C for either storage order (conjugation is a no-op for reals).
#define GEMM_REFERENCE(T)                                                                                       \
    int row_major = order == CblasRowMajor;                                                                     \
    int a_t = ta != CblasNoTrans && ta != CblasConjNoTrans, b_t = tb != CblasNoTrans && tb != CblasConjNoTrans;  \
    for (long i = 0; i < m; i++) {                                                                              \
        for (long j = 0; j < n; j++) {                                                                          \
            T acc = 0;                                                                                          \
            for (long p = 0; p < k; p++) {                                                                      \
                long ai = (row_major != a_t) ? i * lda + p : p * lda + i;                                       \
                long bi = (row_major != b_t) ? p * ldb + j : j * ldb + p;                                       \
                acc += a[ai] * b[bi];                                                                           \
            }                                                                                                   \
            T *cij = row_major ? &c[i * ldc + j] : &c[j * ldc + i];                                             \
            *cij = beta == 0 ? alpha * acc : alpha * acc + beta * *cij;                                         \
        }                                                                                                       \
    }

void mp_cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
                    const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc) {
    ensure_loaded();
    if (blas.dgemm && gemm_can_use_library()) {
        blas.dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    GEMM_REFERENCE(double)
}

void mp_cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    ensure_loaded();
    if (blas.sgemm && gemm_can_use_library()) {
        blas.sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    GEMM_REFERENCE(float)
}

// y = alpha * op(A) x + beta * y, A of m x n in either storage order.
#define GEMV_REFERENCE(T)                                                                                       \
    int row_major = order == CblasRowMajor;                                                                     \
    int a_t = ta != CblasNoTrans && ta != CblasConjNoTrans;                                                     \
    long rows = a_t ? n : m, cols = a_t ? m : n;                                                                \
    for (long i = 0; i < rows; i++) {                                                                           \
        T acc = 0;                                                                                              \
        for (long j = 0; j < cols; j++) {                                                                       \
            long ai = (row_major != a_t) ? i * lda + j : j * lda + i;                                           \
            acc += a[ai] * x[j * incx];                                                                         \
        }                                                                                                       \
        T *yi = &y[i * incy];                                                                                   \
        *yi = beta == 0 ? alpha * acc : alpha * acc + beta * *yi;                                               \
    }

void mp_cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, double alpha, const double *a, int lda,
                    const double *x, int incx, double beta, double *y, int incy) {
    ensure_loaded();
    if (blas.dgemv) {
        blas.dgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
        return;
    }
    GEMV_REFERENCE(double)
}

void mp_cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, float alpha, const float *a, int lda,
                    const float *x, int incx, float beta, float *y, int incy) {
    ensure_loaded();
    if (blas.sgemv) {
        blas.sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
        return;
    }
    GEMV_REFERENCE(float)
}

// C = alpha * op(A) op(A)^T + beta * C on the triangle `uplo` names (op(A) is n x k); the other triangle is
// not touched, as in BLAS.
#define SYRK_REFERENCE(T)                                                                                       \
    int row_major = order == CblasRowMajor;                                                                     \
    int a_t = trans != CblasNoTrans && trans != CblasConjNoTrans;                                               \
    int upper = uplo == CblasUpper;                                                                             \
    for (long i = 0; i < n; i++) {                                                                              \
        for (long j = upper ? i : 0; j < (upper ? n : i + 1); j++) {                                            \
            T acc = 0;                                                                                          \
            for (long p = 0; p < k; p++) {                                                                      \
                long ai = (row_major != a_t) ? i * lda + p : p * lda + i;                                       \
                long aj = (row_major != a_t) ? j * lda + p : p * lda + j;                                       \
                acc += a[ai] * a[aj];                                                                           \
            }                                                                                                   \
            T *cij = row_major ? &c[i * ldc + j] : &c[j * ldc + i];                                             \
            *cij = beta == 0 ? alpha * acc : alpha * acc + beta * *cij;                                         \
        }                                                                                                       \
    }

void mp_cblas_dsyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, double alpha,
                    const double *a, int lda, double beta, double *c, int ldc) {
    ensure_loaded();
    if (blas.dsyrk && gemm_can_use_library()) {
        blas.dsyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
        return;
    }
    SYRK_REFERENCE(double)
}

void mp_cblas_ssyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, float alpha,
                    const float *a, int lda, float beta, float *c, int ldc) {
    ensure_loaded();
    if (blas.ssyrk && gemm_can_use_library()) {
        blas.ssyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
        return;
    }
    SYRK_REFERENCE(float)
}

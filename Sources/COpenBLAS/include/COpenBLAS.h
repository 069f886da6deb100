#ifndef MP_COPENBLAS_H
#define MP_COPENBLAS_H

// OpenBLAS, loaded at run time instead of linked.
//
// Debian's pthread OpenBLAS starts one thread per core from its library constructor. A process that then
// forks (every pool does) runs OpenBLAS's atfork handler, which joins those threads; under an address-space
// limit (`ulimit -v`) a BLAS thread loops forever on a failed buffer mmap and the fork never returns. So the
// library is not linked: a constructor in this target loads it with dlopen while OPENBLAS_NUM_THREADS=1 is
// set (the caller's value is put back right after), so it starts single-threaded in every program that links
// this package, CLI or not. Callers widen it with openblas_set_num_threads as before.
//
// The functions below keep OpenBLAS's names and signatures (static inline, so they never clash with the
// library's own symbols) and call through pointers found with dlsym. If the library cannot be loaded, or
// a gemm's working buffer cannot be mapped under the current address-space limit, they run plain C loops
// instead: slower, same results, never a hang.

#ifdef __cplusplus
extern "C" {
#endif

typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114 } CBLAS_TRANSPOSE;
typedef enum CBLAS_UPLO { CblasUpper = 121, CblasLower = 122 } CBLAS_UPLO;

/// 1 when the shared library is loaded and its functions are in use, 0 when the C fallbacks run.
int mp_blas_is_loaded(void);
/// Why loading failed (dlerror's text), or an empty string.
const char *mp_blas_load_error(void);

void mp_openblas_set_num_threads(int count);
int mp_openblas_get_num_threads(void);
char *mp_openblas_get_config(void);
double mp_cblas_ddot(int n, const double *x, int incx, const double *y, int incy);
double mp_cblas_dsdot(int n, const float *x, int incx, const float *y, int incy);
void mp_cblas_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy);
void mp_cblas_saxpy(int n, float alpha, const float *x, int incx, float *y, int incy);
void mp_cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
                    const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
void mp_cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
void mp_cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, double alpha, const double *a, int lda,
                    const double *x, int incx, double beta, double *y, int incy);
void mp_cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, float alpha, const float *a, int lda,
                    const float *x, int incx, float beta, float *y, int incy);
void mp_cblas_dsyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, double alpha,
                    const double *a, int lda, double beta, double *c, int ldc);
void mp_cblas_ssyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, float alpha,
                    const float *a, int lda, float beta, float *c, int ldc);

static inline void openblas_set_num_threads(int count) { mp_openblas_set_num_threads(count); }
static inline int openblas_get_num_threads(void) { return mp_openblas_get_num_threads(); }
static inline char *openblas_get_config(void) { return mp_openblas_get_config(); }
static inline double cblas_ddot(int n, const double *x, int incx, const double *y, int incy) {
    return mp_cblas_ddot(n, x, incx, y, incy);
}
static inline double cblas_dsdot(int n, const float *x, int incx, const float *y, int incy) {
    return mp_cblas_dsdot(n, x, incx, y, incy);
}
static inline void cblas_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy) {
    mp_cblas_daxpy(n, alpha, x, incx, y, incy);
}
static inline void cblas_saxpy(int n, float alpha, const float *x, int incx, float *y, int incy) {
    mp_cblas_saxpy(n, alpha, x, incx, y, incy);
}
static inline void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                               double alpha, const double *a, int lda, const double *b, int ldb, double beta,
                               double *c, int ldc) {
    mp_cblas_dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
static inline void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                               float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                               float *c, int ldc) {
    mp_cblas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
static inline void cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, double alpha, const double *a,
                               int lda, const double *x, int incx, double beta, double *y, int incy) {
    mp_cblas_dgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
static inline void cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int m, int n, float alpha, const float *a,
                               int lda, const float *x, int incx, float beta, float *y, int incy) {
    mp_cblas_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
static inline void cblas_dsyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, double alpha,
                               const double *a, int lda, double beta, double *c, int ldc) {
    mp_cblas_dsyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}
static inline void cblas_ssyrk(CBLAS_ORDER order, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans, int n, int k, float alpha,
                               const float *a, int lda, float beta, float *c, int ldc) {
    mp_cblas_ssyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}

#ifdef __cplusplus
}
#endif
#endif

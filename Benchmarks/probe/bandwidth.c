// Memory-bandwidth probe: the physical limit of memory-bound kernels on this machine.
// Over N doubles (far larger than the last-level cache, pre-faulted by the threads that use them), with T
// OpenMP threads: a read-only sum (8 bytes per element) and a STREAM triad a = b + s*c (24 bytes per
// element). Prints the median of R runs of each, in ms and GB/s, as JSON.
//   cc -O3 -march=native -fopenmp bandwidth.c -o bandwidth && ./bandwidth 134217728 2 9
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : (1L << 27);
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int runs = argc > 3 ? atoi(argv[3]) : 9;
    omp_set_num_threads(threads);
    double *x = aligned_alloc(64, n * sizeof(double));
    // First touch by the thread that will read each part, so pages are local and faulted in.
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) x[i] = (double)(i & 1023) * 0.5;
    double times[64], total = 0;
    if (runs > 64) runs = 64;
    for (int r = 0; r < runs; r++) {
        double t = now(), s = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : s)
        for (long i = 0; i < n; i++) s += x[i];
        times[r] = now() - t;
        total += s;
    }
    qsort(times, runs, sizeof(double), compare);
    double median = times[runs / 2];
    double *b = aligned_alloc(64, n * sizeof(double)), *c = aligned_alloc(64, n * sizeof(double));
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) { b[i] = 1.0; c[i] = 2.0; }
    double triad[64];
    for (int r = 0; r < runs; r++) {
        double t = now();
#pragma omp parallel for simd schedule(static)
        for (long i = 0; i < n; i++) x[i] = b[i] + 0.5 * c[i];
        triad[r] = now() - t;
    }
    qsort(triad, runs, sizeof(double), compare);
    double triad_median = triad[runs / 2];
    printf("{\"threads\": %d, \"n\": %ld, \"median_ms\": %.3f, \"min_ms\": %.3f, \"gb_per_s\": %.2f, "
           "\"triad_median_ms\": %.3f, \"triad_gb_per_s\": %.2f, \"checksum\": %.1f}\n",
           threads, n, median * 1e3, times[0] * 1e3, n * 8.0 / median / 1e9, triad_median * 1e3,
           n * 24.0 / triad_median / 1e9, total + x[n / 2]);
    free(x);
    free(b);
    free(c);
    return 0;
}

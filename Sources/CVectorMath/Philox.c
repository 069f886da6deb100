#include "CVectorMath.h"

// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC11; the
// Random123 reference constants and key schedule) and the uniform and normal fills built on it.
//
// Element i of a fill depends only on (seed, i): counter p = i / 2 = {lo32(p), hi32(p), 0, 0} under the key
// {lo32(seed), hi32(seed)} gives four 32-bit words; element 2p uses the 64 bits w0 | w1 << 32 and element
// 2p+1 the 64 bits w2 | w3 << 32 (uniform: the top 53 bits, as numpy's random()), and a normal pair
// (2p, 2p+1) is Box-Muller on the pair's two 64-bit halves, r cos(pi t) and r sin(pi t) with SLEEF's 0.5-ulp
// sinpi / cospi and 1-ulp log. The integer part is exact on every path (AVX-512F, AVX2, scalar) and the
// floating-point part is the same sequence of IEEE operations with the same SLEEF functions, so every worker
// count, chunking and AVX2/AVX-512 CPU gives the same bits. No multiply-add is contracted (below).

#pragma clang fp contract(off)

#include <math.h>
#include <string.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10

void mp_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < PHILOX_ROUNDS; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

// Counters first .. first+m-1 of `seed`: lo[j] = w0 | w1 << 32, hi[j] = w2 | w3 << 32.
static void philox_scalar(uint64_t seed, uint64_t first, long m, uint64_t *lo, uint64_t *hi) {
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, w[4];
    for (long j = 0; j < m; j++) {
        uint64_t p = first + (uint64_t)j;
        uint32_t counter[4] = {(uint32_t)p, (uint32_t)(p >> 32), 0, 0};
        mp_philox4x32_10(counter, key, w);
        lo[j] = (uint64_t)w[0] | (uint64_t)w[1] << 32;
        hi[j] = (uint64_t)w[2] | (uint64_t)w[3] << 32;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// The same rounds on 4 (AVX2) or 8 (AVX-512F) counters at once, one 32-bit word per 64-bit lane, so that
// vpmuludq gives the whole 64-bit product of a word and its multiplier.
__attribute__((target("avx2"))) static void philox_avx2(uint64_t seed, uint64_t first, long m, uint64_t *lo, uint64_t *hi) {
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFF), m0 = _mm256_set1_epi64x(PHILOX_M0), m1 = _mm256_set1_epi64x(PHILOX_M1);
    __m256i keys0[PHILOX_ROUNDS], keys1[PHILOX_ROUNDS];
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < PHILOX_ROUNDS; r++, k0 += PHILOX_W0, k1 += PHILOX_W1) {
        keys0[r] = _mm256_set1_epi64x(k0);
        keys1[r] = _mm256_set1_epi64x(k1);
    }
    const __m256i lanes = _mm256_set_epi64x(3, 2, 1, 0);
    long j = 0;
    for (; j + 4 <= m; j += 4) {
        __m256i p = _mm256_add_epi64(_mm256_set1_epi64x((long long)(first + (uint64_t)j)), lanes);
        __m256i c0 = _mm256_and_si256(p, low), c1 = _mm256_srli_epi64(p, 32);
        __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
        for (int r = 0; r < PHILOX_ROUNDS; r++) {
            __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
            c0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), keys0[r]);
            c2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), keys1[r]);
            c1 = _mm256_and_si256(p1, low);
            c3 = _mm256_and_si256(p0, low);
        }
        _mm256_storeu_si256((__m256i *)(lo + j), _mm256_or_si256(c0, _mm256_slli_epi64(c1, 32)));
        _mm256_storeu_si256((__m256i *)(hi + j), _mm256_or_si256(c2, _mm256_slli_epi64(c3, 32)));
    }
    if (j < m) philox_scalar(seed, first + (uint64_t)j, m - j, lo + j, hi + j);
}

__attribute__((target("avx512f"))) static void philox_avx512(uint64_t seed, uint64_t first, long m, uint64_t *lo, uint64_t *hi) {
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFF), m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    __m512i keys0[PHILOX_ROUNDS], keys1[PHILOX_ROUNDS];
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < PHILOX_ROUNDS; r++, k0 += PHILOX_W0, k1 += PHILOX_W1) {
        keys0[r] = _mm512_set1_epi64(k0);
        keys1[r] = _mm512_set1_epi64(k1);
    }
    const __m512i lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    long j = 0;
    for (; j + 8 <= m; j += 8) {
        __m512i p = _mm512_add_epi64(_mm512_set1_epi64((long long)(first + (uint64_t)j)), lanes);
        __m512i c0 = _mm512_and_si512(p, low), c1 = _mm512_srli_epi64(p, 32);
        __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
        for (int r = 0; r < PHILOX_ROUNDS; r++) {
            __m512i p0 = _mm512_mul_epu32(c0, m0), p1 = _mm512_mul_epu32(c2, m1);
            c0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1), keys0[r]);
            c2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3), keys1[r]);
            c1 = _mm512_and_si512(p1, low);
            c3 = _mm512_and_si512(p0, low);
        }
        _mm512_storeu_si512((void *)(lo + j), _mm512_or_si512(c0, _mm512_slli_epi64(c1, 32)));
        _mm512_storeu_si512((void *)(hi + j), _mm512_or_si512(c2, _mm512_slli_epi64(c3, 32)));
    }
    if (j < m) philox_scalar(seed, first + (uint64_t)j, m - j, lo + j, hi + j);
}
#endif

void mp_philox_words_at(int level, uint64_t seed, uint64_t first, long m, uint64_t *lo, uint64_t *hi) {
    if (m <= 0) return;
    int cpu = mp_vecmath_level();
    if (level > cpu) level = cpu;
#if defined(__x86_64__)
    if (level == 2) return philox_avx512(seed, first, m, lo, hi);
    if (level == 1) return philox_avx2(seed, first, m, lo, hi);
#endif
    philox_scalar(seed, first, m, lo, hi);
}

// Pairs per block: the words and their transforms stay in L1.
#define BLOCK 512

// Elements first .. first+n-1 of a fill (Double, or Float rounded from the Double), from whole pairs computed
// into `pairs` (2 values per pair) by `make`, copied out where they fall in range.
typedef void (*pair_maker)(uint64_t seed, uint64_t pair, long m, const void *parameters, double *pairs, int level);

static void fill_pairs(int level, pair_maker make, uint64_t seed, uint64_t first, void *out, int as_float, long n,
                       const void *parameters) {
    if (n <= 0) return;
    double pairs[2 * BLOCK];
    uint64_t last = first + (uint64_t)n - 1;
    for (uint64_t pair = first >> 1; pair <= (last >> 1);) {
        uint64_t remaining = (last >> 1) - pair + 1;
        long m = remaining < BLOCK ? (long)remaining : BLOCK;
        make(seed, pair, m, parameters, pairs, level);
        uint64_t from = 2 * pair, to = 2 * (pair + (uint64_t)m);  // elements [from, to)
        uint64_t start = from < first ? first : from, end = to > last + 1 ? last + 1 : to;
        if (as_float) {
            float *f = (float *)out + (start - first);
            for (uint64_t i = start; i < end; i++) *f++ = (float)pairs[i - from];
        } else {
            memcpy((double *)out + (start - first), pairs + (start - from), (size_t)(end - start) * sizeof(double));
        }
        pair += (uint64_t)m;
        if (pair == 0) break;  // wrapped past 2^64 - 1
    }
}

typedef struct { double lower, width; int bits; } uniform_parameters;
typedef struct { double mean, std; } normal_parameters;


static void uniform_pairs(uint64_t seed, uint64_t pair, long m, const void *parameters, double *pairs, int level) {
    const uniform_parameters *u = parameters;
    uint64_t lo[BLOCK], hi[BLOCK];
    mp_philox_words_at(level, seed, pair, m, lo, hi);
    const int bits = u->bits;
    const double scale = ldexp(1.0, -bits);
    for (long j = 0; j < m; j++) {
        pairs[2 * j] = (double)(lo[j] >> (64 - bits)) * scale * u->width + u->lower;
        pairs[2 * j + 1] = (double)(hi[j] >> (64 - bits)) * scale * u->width + u->lower;
    }
}

static void normal_pairs(uint64_t seed, uint64_t pair, long m, const void *parameters, double *pairs, int level) {
    const normal_parameters *g = parameters;
    uint64_t lo[BLOCK], hi[BLOCK];
    double u[BLOCK], t[BLOCK], logs[BLOCK], sines[BLOCK], cosines[BLOCK];
    mp_philox_words_at(level, seed, pair, m, lo, hi);
    for (long j = 0; j < m; j++) {
        u[j] = (double)((lo[j] >> 11) + 1) * 0x1p-53;  // (0, 1]: log(u) is finite
        t[j] = (double)(hi[j] >> 11) * 0x1p-52;         // [0, 2): the angle over pi
    }
#if defined(__x86_64__) && defined(__linux__)
    mp_sleef_unary_f64_at(level, MP_SLEEF_LOG, u, logs, m);
    mp_sleef_unary_f64_at(level, MP_SLEEF_COSPI, t, cosines, m);
    mp_sleef_unary_f64_at(level, MP_SLEEF_SINPI, t, sines, m);
#else
    (void)level;
    for (long j = 0; j < m; j++) {
        logs[j] = log(u[j]);
        cosines[j] = cos(M_PI * t[j]);
        sines[j] = sin(M_PI * t[j]);
    }
#endif
    for (long j = 0; j < m; j++) {
        double r = sqrt(-2.0 * logs[j]);
        pairs[2 * j] = r * cosines[j] * g->std + g->mean;
        pairs[2 * j + 1] = r * sines[j] * g->std + g->mean;
    }
}

void mp_random_uniform_at(int level, int as_float, uint64_t seed, uint64_t first, void *out, long n, double lower, double upper) {
    uniform_parameters u = {lower, upper - lower, as_float ? 24 : 53};
    fill_pairs(level, uniform_pairs, seed, first, out, as_float, n, &u);
}

void mp_random_normal_at(int level, int as_float, uint64_t seed, uint64_t first, void *out, long n, double mean, double std) {
    normal_parameters g = {mean, std};
    fill_pairs(level, normal_pairs, seed, first, out, as_float, n, &g);
}

void mp_random_uniform_f64(uint64_t seed, uint64_t first, double *out, long n, double lower, double upper) {
    mp_random_uniform_at(mp_vecmath_level(), 0, seed, first, out, n, lower, upper);
}

void mp_random_normal_f64(uint64_t seed, uint64_t first, double *out, long n, double mean, double std) {
    mp_random_normal_at(mp_vecmath_level(), 0, seed, first, out, n, mean, std);
}

void mp_random_uniform_f32(uint64_t seed, uint64_t first, float *out, long n, double lower, double upper) {
    mp_random_uniform_at(mp_vecmath_level(), 1, seed, first, out, n, lower, upper);
}

void mp_random_normal_f32(uint64_t seed, uint64_t first, float *out, long n, double mean, double std) {
    mp_random_normal_at(mp_vecmath_level(), 1, seed, first, out, n, mean, std);
}

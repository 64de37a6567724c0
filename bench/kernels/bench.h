/*
 * bench.h - the few helpers the benchmark kernels share. Kernels use no libc:
 * the same source is compiled natively (gcc -O2, with native_main.c) and to
 * wasm32 (clang-19 -O2 -nostdlib). Every kernel defines
 *
 *     int64_t run(int32_t n);
 *
 * which initialises its data deterministically from n, computes, and returns
 * a checksum of the results. Floating-point code is compiled with
 * -ffp-contract=off on both sides and uses only IEEE-exact operations
 * (+ - * / and sqrt), so the checksums must be bit-identical.
 */
#ifndef TWINE_BENCH_H
#define TWINE_BENCH_H

#include <stdint.h>

int64_t run(int32_t n);

/* Clamp a size argument into [lo, hi]. */
static inline int32_t bench_clamp(int32_t n, int32_t lo, int32_t hi) {
  return n < lo ? lo : n > hi ? hi : n;
}

/* FNV-1a style mixing of 64-bit words into a checksum. */
#define BENCH_HASH_INIT UINT64_C(0xcbf29ce484222325)
static inline uint64_t bench_mix(uint64_t h, uint64_t word) {
  h ^= word;
  h *= UINT64_C(0x100000001b3);
  h ^= h >> 29;
  return h;
}

/* Bit pattern of a double (no memcpy in a freestanding build). */
static inline uint64_t bench_bits(double d) {
  union {
    double d;
    uint64_t u;
  } v;
  v.d = d;
  return v.u;
}

/* Checksum of an array of doubles: every bit of every element counts. */
static inline int64_t bench_hash_doubles(const double *a, int64_t count) {
  uint64_t h = BENCH_HASH_INIT;
  for (int64_t i = 0; i < count; i++)
    h = bench_mix(h, bench_bits(a[i]));
  return (int64_t)h;
}

static inline double bench_sqrt(double x) { return __builtin_sqrt(x); }

/* A small deterministic generator (xorshift64*). */
typedef struct bench_rng {
  uint64_t s;
} bench_rng_t;

static inline uint64_t bench_next(bench_rng_t *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Uniform double in [0, 1) with 53 random bits (exact conversion). */
static inline double bench_unit(bench_rng_t *r) {
  return (double)(bench_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif

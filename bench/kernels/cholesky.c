/* cholesky - in-place Cholesky factorisation A = L * L^T of a symmetric
 * positive-definite matrix (PolyBench/C's cholesky; only the lower triangle
 * is computed and checked). */
#include "bench.h"

#define MAXN 1600
static double A[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 1, MAXN);
  /* Symmetric, strictly diagonally dominant, positive diagonal => SPD. */
  bench_rng_t rng = {UINT64_C(0x243f6a8885a308d3) ^ (uint64_t)n};
  for (int32_t i = 0; i < n; i++) {
    for (int32_t j = 0; j < i; j++) {
      double v = bench_unit(&rng) / n;
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
    A[i * n + i] = 1.0 + bench_unit(&rng);
  }
  for (int32_t i = 0; i < n; i++) {
    double *ai = &A[i * n];
    for (int32_t j = 0; j < i; j++) {
      const double *aj = &A[j * n];
      double w = ai[j];
      for (int32_t k = 0; k < j; k++)
        w -= ai[k] * aj[k];
      ai[j] = w / aj[j];
    }
    double d = ai[i];
    for (int32_t k = 0; k < i; k++)
      d -= ai[k] * ai[k];
    ai[i] = bench_sqrt(d);
  }
  uint64_t h = BENCH_HASH_INIT;
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j <= i; j++)
      h = bench_mix(h, bench_bits(A[i * n + j]));
  return (int64_t)h;
}

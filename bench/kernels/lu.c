/* lu - in-place LU decomposition without pivoting (Doolittle, PolyBench/C's
 * lu). The matrix is made strictly diagonally dominant so no pivoting is
 * needed and the values stay well scaled. */
#include "bench.h"

#define MAXN 1400
static double A[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 1, MAXN);
  bench_rng_t rng = {UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n};
  for (int32_t i = 0; i < n; i++) {
    for (int32_t j = 0; j < n; j++)
      A[i * n + j] = bench_unit(&rng) / n;
    A[i * n + i] += 2.0;
  }
  for (int32_t i = 0; i < n; i++) {
    double *ai = &A[i * n];
    for (int32_t j = 0; j < i; j++) {
      double w = ai[j];
      for (int32_t k = 0; k < j; k++)
        w -= ai[k] * A[k * n + j];
      ai[j] = w / A[j * n + j];
    }
    for (int32_t j = i; j < n; j++) {
      double w = ai[j];
      for (int32_t k = 0; k < i; k++)
        w -= ai[k] * A[k * n + j];
      ai[j] = w;
    }
  }
  return bench_hash_doubles(A, (int64_t)n * n);
}

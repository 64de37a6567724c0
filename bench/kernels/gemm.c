/* gemm - C = alpha * A * B + beta * C (PolyBench/C's gemm, i-k-j order). */
#include "bench.h"

#define MAXN 1200
static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 1, MAXN);
  const double alpha = 1.5, beta = 1.2;
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      A[i * n + j] = (double)((i * j + 1) % n) / n;
      B[i * n + j] = (double)((i * (j + 2)) % n) / n;
      C[i * n + j] = (double)((i * (j + 1) + 3) % n) / n;
    }
  for (int32_t i = 0; i < n; i++) {
    double *c = &C[i * n];
    for (int32_t j = 0; j < n; j++)
      c[j] *= beta;
    for (int32_t k = 0; k < n; k++) {
      const double a = alpha * A[i * n + k];
      const double *b = &B[k * n];
      for (int32_t j = 0; j < n; j++)
        c[j] += a * b[j];
    }
  }
  return bench_hash_doubles(C, (int64_t)n * n);
}

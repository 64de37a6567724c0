/* 2mm - D = alpha * A * B * C + beta * D (PolyBench/C's 2mm):
 * tmp = alpha * A * B, then D = beta * D + tmp * C. All matrices n x n. */
#include "bench.h"

#define MAXN 1000
static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];
static double D[MAXN * MAXN], T[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 1, MAXN);
  const double alpha = 1.5, beta = 1.2;
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      A[i * n + j] = (double)((i * j + 1) % n) / n;
      B[i * n + j] = (double)(i * (j + 1) % n) / n;
      C[i * n + j] = (double)((i * (j + 3) + 1) % n) / n;
      D[i * n + j] = (double)(i * (j + 2) % n) / n;
    }
  for (int32_t i = 0; i < n; i++) {
    double *t = &T[i * n];
    for (int32_t j = 0; j < n; j++)
      t[j] = 0.0;
    for (int32_t k = 0; k < n; k++) {
      const double a = alpha * A[i * n + k];
      const double *b = &B[k * n];
      for (int32_t j = 0; j < n; j++)
        t[j] += a * b[j];
    }
  }
  for (int32_t i = 0; i < n; i++) {
    double *d = &D[i * n];
    for (int32_t j = 0; j < n; j++)
      d[j] *= beta;
    for (int32_t k = 0; k < n; k++) {
      const double t = T[i * n + k];
      const double *c = &C[k * n];
      for (int32_t j = 0; j < n; j++)
        d[j] += t * c[j];
    }
  }
  return bench_hash_doubles(D, (int64_t)n * n);
}

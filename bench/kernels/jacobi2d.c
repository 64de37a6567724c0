/* jacobi2d - 2-D Jacobi 5-point stencil, 100 time steps on an n x n grid
 * (PolyBench/C's jacobi-2d: A -> B, then B -> A). */
#include "bench.h"

#define MAXN 2000
#define TSTEPS 100
static double A[MAXN * MAXN], B[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 3, MAXN);
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      A[i * n + j] = ((double)i * (j + 2) + 2) / n;
      B[i * n + j] = ((double)i * (j + 3) + 3) / n;
    }
  for (int32_t t = 0; t < TSTEPS; t++) {
    for (int32_t i = 1; i < n - 1; i++)
      for (int32_t j = 1; j < n - 1; j++)
        B[i * n + j] = 0.2 * (A[i * n + j] + A[i * n + j - 1] +
                              A[i * n + j + 1] + A[(i + 1) * n + j] +
                              A[(i - 1) * n + j]);
    for (int32_t i = 1; i < n - 1; i++)
      for (int32_t j = 1; j < n - 1; j++)
        A[i * n + j] = 0.2 * (B[i * n + j] + B[i * n + j - 1] +
                              B[i * n + j + 1] + B[(i + 1) * n + j] +
                              B[(i - 1) * n + j]);
  }
  return bench_hash_doubles(A, (int64_t)n * n);
}

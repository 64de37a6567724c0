/* heat3d - 3-D heat equation, 7-point stencil, 50 time steps on an n^3 grid
 * (PolyBench/C's heat-3d: A -> B, then B -> A). */
#include "bench.h"

#define MAXN 200
#define TSTEPS 50
static double A[MAXN * MAXN * MAXN], B[MAXN * MAXN * MAXN];

#define IX(i, j, k) (((i) * n + (j)) * n + (k))

static void step(const double *restrict src, double *restrict dst, int32_t n) {
  for (int32_t i = 1; i < n - 1; i++)
    for (int32_t j = 1; j < n - 1; j++)
      for (int32_t k = 1; k < n - 1; k++) {
        const double c = src[IX(i, j, k)];
        dst[IX(i, j, k)] =
            0.125 * (src[IX(i + 1, j, k)] - 2.0 * c + src[IX(i - 1, j, k)]) +
            0.125 * (src[IX(i, j + 1, k)] - 2.0 * c + src[IX(i, j - 1, k)]) +
            0.125 * (src[IX(i, j, k + 1)] - 2.0 * c + src[IX(i, j, k - 1)]) +
            c;
      }
}

int64_t run(int32_t n) {
  n = bench_clamp(n, 3, MAXN);
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++)
      for (int32_t k = 0; k < n; k++)
        A[IX(i, j, k)] = B[IX(i, j, k)] = (double)(i + j + (n - k)) * 10 / n;
  for (int32_t t = 0; t < TSTEPS; t++) {
    step(A, B, n);
    step(B, A, n);
  }
  return bench_hash_doubles(A, (int64_t)n * n * n);
}

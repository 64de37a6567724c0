/* correlation - Pearson correlation matrix of m variables over n = m + m/4
 * observations (PolyBench/C's correlation): column means, standard
 * deviations, normalisation, then the symmetric m x m product. */
#include "bench.h"

#define MAXM 1200
#define MAXN (MAXM + MAXM / 4)
static double data[MAXN * MAXM];
static double corr[MAXM * MAXM];
static double mean[MAXM], stddev[MAXM];

int64_t run(int32_t m) {
  m = bench_clamp(m, 2, MAXM);
  const int32_t n = m + m / 4;
  const double eps = 0.1;
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < m; j++)
      data[i * m + j] = (double)(i * j) / m + i;

  for (int32_t j = 0; j < m; j++) {
    double s = 0.0;
    for (int32_t i = 0; i < n; i++)
      s += data[i * m + j];
    mean[j] = s / n;
  }
  for (int32_t j = 0; j < m; j++) {
    double s = 0.0;
    for (int32_t i = 0; i < n; i++) {
      double d = data[i * m + j] - mean[j];
      s += d * d;
    }
    s = bench_sqrt(s / n);
    /* Avoid dividing by (near) zero for constant columns. */
    stddev[j] = s <= eps ? 1.0 : s;
  }
  const double sqrt_n = bench_sqrt((double)n);
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < m; j++)
      data[i * m + j] = (data[i * m + j] - mean[j]) / (sqrt_n * stddev[j]);

  for (int32_t i = 0; i < m - 1; i++) {
    corr[i * m + i] = 1.0;
    for (int32_t j = i + 1; j < m; j++) {
      double s = 0.0;
      for (int32_t k = 0; k < n; k++)
        s += data[k * m + i] * data[k * m + j];
      corr[i * m + j] = s;
      corr[j * m + i] = s;
    }
  }
  corr[(m - 1) * m + (m - 1)] = 1.0;
  return bench_hash_doubles(corr, (int64_t)m * m);
}

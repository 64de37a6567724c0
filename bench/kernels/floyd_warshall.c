/* floyd_warshall - all-pairs shortest paths on a dense n-node graph with
 * 32-bit integer weights (PolyBench/C's floyd-warshall, integer variant). */
#include "bench.h"

#define MAXN 1500
static int32_t path[MAXN * MAXN];

int64_t run(int32_t n) {
  n = bench_clamp(n, 1, MAXN);
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      int32_t w = i * j % 7 + 1;
      if ((i + j) % 13 == 0 || (i + j) % 7 == 0 || (i + j) % 11 == 0)
        w = 999;
      path[i * n + j] = w;
    }
  for (int32_t k = 0; k < n; k++) {
    const int32_t *pk = &path[k * n];
    for (int32_t i = 0; i < n; i++) {
      int32_t *pi = &path[i * n];
      const int32_t pik = pi[k];
      for (int32_t j = 0; j < n; j++) {
        const int32_t via = pik + pk[j];
        pi[j] = pi[j] < via ? pi[j] : via;
      }
    }
  }
  uint64_t h = BENCH_HASH_INIT;
  for (int64_t i = 0; i < (int64_t)n * n; i++)
    h = bench_mix(h, (uint32_t)path[i]);
  return (int64_t)h;
}

/* vec.c - growth policy for TW_VEC arrays. */
#include "util/vec.h"

#include <stdint.h>

bool tw_vec_reserve_raw(void **data, size_t *cap, size_t len, size_t extra,
                        size_t elem_size) {
  if (extra <= *cap - len) return true;
  if (extra > SIZE_MAX / elem_size - len) return false;
  size_t need = len + extra;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2 / elem_size) { ncap = need; break; }
    ncap *= 2;
  }
  void *p = realloc(*data, ncap * elem_size);
  if (!p) return false;
  *data = p;
  *cap = ncap;
  return true;
}

/*
 * vec.h - growable arrays for internal use.
 *
 *   TW_VEC(int) v = {0};
 *   if (!TW_VEC_PUSH(&v, 42)) -> out of memory
 *   free(v.data);
 */
#ifndef TW_UTIL_VEC_H
#define TW_UTIL_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define TW_VEC(T) struct { T *data; size_t len, cap; }

/* Ensure room for `extra` more elements; false on overflow / no memory. */
bool tw_vec_reserve_raw(void **data, size_t *cap, size_t len, size_t extra,
                        size_t elem_size);

#define TW_VEC_RESERVE(v, extra)                                         \
  tw_vec_reserve_raw((void **)&(v)->data, &(v)->cap, (v)->len, (extra), \
                     sizeof(*(v)->data))

#define TW_VEC_PUSH(v, x) \
  (TW_VEC_RESERVE((v), 1) ? ((v)->data[(v)->len++] = (x), true) : false)

#define TW_VEC_FREE(v) (free((v)->data), (v)->data = NULL, (v)->len = (v)->cap = 0)

#endif

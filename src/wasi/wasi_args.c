/*
 * wasi_args.c - args_get, args_sizes_get, environ_get, environ_sizes_get.
 *
 * The strings live in the WASI state as NUL-terminated strings back to
 * back (tw_wasi.args / .env, packed by tw_wasi_new). The guest first asks
 * for the count and the total size, then hands an array of `count` u32
 * pointers and a buffer of `size` bytes; we copy the packed strings into
 * the buffer as they are and point each array entry at its string. Both
 * guest ranges are checked before anything is written (EFAULT).
 */
#include <string.h>

#include "wasi/wasi_int.h"

static tw_wasi_errno strings_get(tw_wasi_call *c, uint64_t ptrs, uint64_t buf,
                                 const char *s, size_t size, uint32_t count) {
  if (!tw_wasi_mem(c, ptrs, (uint64_t)count * 4)) return TW_WE_FAULT;
  uint8_t *dst = tw_wasi_mem(c, buf, size);
  if (!dst) return TW_WE_FAULT;
  if (size) memmove(dst, s, size);
  uint64_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    /* buf + off < buf + size <= memory size <= 2^32 */
    tw_wasi_put_u32(c, ptrs + (uint64_t)i * 4, (uint32_t)(buf + off));
    off += strlen(s + off) + 1;
  }
  return TW_WE_SUCCESS;
}

static tw_wasi_errno sizes_get(tw_wasi_call *c, uint64_t count_ptr,
                               uint64_t size_ptr, uint32_t count,
                               size_t size) {
  if (!tw_wasi_mem(c, count_ptr, 4) || !tw_wasi_mem(c, size_ptr, 4))
    return TW_WE_FAULT;
  tw_wasi_put_u32(c, count_ptr, count);
  tw_wasi_put_u32(c, size_ptr, (uint32_t)size); /* <= UINT32_MAX (setup) */
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_args_get(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  return strings_get(c, a[0], a[1], w->args, w->args_size, w->argc);
}

tw_wasi_errno tw_wasi_fn_args_sizes_get(tw_wasi_call *c, const uint64_t *a) {
  return sizes_get(c, a[0], a[1], c->w->argc, c->w->args_size);
}

tw_wasi_errno tw_wasi_fn_environ_get(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  return strings_get(c, a[0], a[1], w->env, w->env_size, w->envc);
}

tw_wasi_errno tw_wasi_fn_environ_sizes_get(tw_wasi_call *c,
                                           const uint64_t *a) {
  return sizes_get(c, a[0], a[1], c->w->envc, c->w->env_size);
}

/*
 * wasi_mem.c - guest memory access for the WASI functions.
 *
 * tw_wasi_mem is the only place a guest address becomes a host pointer: it
 * reads the memory's current base and size, checks the whole range and
 * translates in one step (64-bit arithmetic, so addr + len cannot wrap).
 * Everything else here (little-endian loads and stores, iovec arrays,
 * paths) is built on it. Values are encoded byte by byte, so alignment of
 * guest pointers does not matter.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_int.h"

uint8_t *tw_wasi_mem(tw_wasi_call *c, uint64_t addr, uint64_t len) {
  if (!c->mem) return NULL;
  uint64_t size = twine_memory_size(c->mem);
  if (addr > size || len > size - addr) return NULL;
  uint8_t *base = twine_memory_data(c->mem);
  if (!base) return NULL;
  return base + addr;
}

void tw_wasi_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

void tw_wasi_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void tw_wasi_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t tw_wasi_rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

uint32_t tw_wasi_rd32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

uint64_t tw_wasi_rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

bool tw_wasi_put_u8(tw_wasi_call *c, uint64_t addr, uint8_t v) {
  uint8_t *p = tw_wasi_mem(c, addr, 1);
  if (!p) return false;
  *p = v;
  return true;
}

bool tw_wasi_put_u16(tw_wasi_call *c, uint64_t addr, uint16_t v) {
  uint8_t *p = tw_wasi_mem(c, addr, 2);
  if (!p) return false;
  tw_wasi_le16(p, v);
  return true;
}

bool tw_wasi_put_u32(tw_wasi_call *c, uint64_t addr, uint32_t v) {
  uint8_t *p = tw_wasi_mem(c, addr, 4);
  if (!p) return false;
  tw_wasi_le32(p, v);
  return true;
}

bool tw_wasi_put_u64(tw_wasi_call *c, uint64_t addr, uint64_t v) {
  uint8_t *p = tw_wasi_mem(c, addr, 8);
  if (!p) return false;
  tw_wasi_le64(p, v);
  return true;
}

bool tw_wasi_get_u32(tw_wasi_call *c, uint64_t addr, uint32_t *v) {
  const uint8_t *p = tw_wasi_mem(c, addr, 4);
  if (!p) return false;
  *v = tw_wasi_rd32(p);
  return true;
}

bool tw_wasi_get_u64(tw_wasi_call *c, uint64_t addr, uint64_t *v) {
  const uint8_t *p = tw_wasi_mem(c, addr, 8);
  if (!p) return false;
  *v = tw_wasi_rd64(p);
  return true;
}

/* ---- iovec arrays ---------------------------------------------------------- */

tw_wasi_errno tw_wasi_iovs_check(tw_wasi_call *c, uint64_t addr, uint64_t n,
                                 tw_wasi_iovs *out) {
  /* n is a guest u32, so n * 8 fits in 64 bits */
  const uint8_t *arr = tw_wasi_mem(c, addr, n * TW_WSZ_IOVEC);
  if (!arr) return TW_WE_FAULT;
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint32_t buf = tw_wasi_rd32(arr + i * TW_WSZ_IOVEC);
    uint32_t len = tw_wasi_rd32(arr + i * TW_WSZ_IOVEC + 4);
    if (!tw_wasi_mem(c, buf, len)) return TW_WE_FAULT;
    total += len; /* at most 2^32 * 2^32: no wrap */
  }
  if (total > UINT32_MAX) return TW_WE_INVAL;
  out->addr = addr;
  out->n = (uint32_t)n;
  out->total = total;
  return TW_WE_SUCCESS;
}

void tw_wasi_iov(tw_wasi_call *c, const tw_wasi_iovs *v, uint32_t i,
                 uint8_t **buf, uint32_t *len) {
  *buf = NULL;
  *len = 0;
  const uint8_t *e = tw_wasi_mem(c, v->addr + (uint64_t)i * TW_WSZ_IOVEC,
                                 TW_WSZ_IOVEC);
  if (!e) return;
  uint32_t b = tw_wasi_rd32(e), l = tw_wasi_rd32(e + 4);
  uint8_t *p = tw_wasi_mem(c, b, l);
  if (!p) return; /* cannot happen after tw_wasi_iovs_check */
  *buf = p;
  *len = l;
}

void tw_wasi_iovs_scatter(tw_wasi_call *c, const tw_wasi_iovs *v,
                          const uint8_t *src, size_t len) {
  for (uint32_t i = 0; i < v->n && len; i++) {
    uint8_t *b;
    uint32_t l;
    tw_wasi_iov(c, v, i, &b, &l);
    size_t k = l < len ? l : len;
    if (k) memmove(b, src, k);
    src += k;
    len -= k;
  }
}

size_t tw_wasi_iovs_gather(tw_wasi_call *c, const tw_wasi_iovs *v,
                           uint64_t skip, uint8_t *dst, size_t cap) {
  size_t got = 0;
  for (uint32_t i = 0; i < v->n && got < cap; i++) {
    uint8_t *b;
    uint32_t l;
    tw_wasi_iov(c, v, i, &b, &l);
    if (skip >= l) {
      skip -= l;
      continue;
    }
    size_t avail = l - (size_t)skip;
    size_t k = avail < cap - got ? avail : cap - got;
    memcpy(dst + got, b + skip, k);
    got += k;
    skip = 0;
  }
  return got;
}

/* ---- paths ------------------------------------------------------------------ */

tw_wasi_errno tw_wasi_path_in(tw_wasi_call *c, uint64_t addr, uint64_t len,
                              char **out, size_t *out_len) {
  const uint8_t *p = tw_wasi_mem(c, addr, len);
  if (!p) return TW_WE_FAULT;
  if (len > TW_HC_MAX_PATH) return TW_WE_NAMETOOLONG;
  if (memchr(p, 0, (size_t)len)) return TW_WE_INVAL;
  char *s = malloc((size_t)len + 1);
  if (!s) return TW_WE_NOMEM;
  memcpy(s, p, (size_t)len);
  s[len] = 0;
  *out = s;
  *out_len = (size_t)len;
  return TW_WE_SUCCESS;
}

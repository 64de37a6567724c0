/*
 * reader.h - bounds-checked little-endian and strict LEB128 reading.
 *
 * A tw_reader walks [pos, end) of a byte buffer; offsets are absolute
 * positions in that buffer (the module), so errors can name them. Every
 * read checks the remaining length first. LEB128 decoding is strict as the
 * WebAssembly binary format requires: at most ceil(N/7) bytes, and the
 * unused bits of the last byte must be zero (unsigned) or copies of the
 * sign bit (signed).
 */
#ifndef TW_UTIL_READER_H
#define TW_UTIL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct tw_reader {
  const uint8_t *buf; /* start of the whole buffer */
  size_t pos;         /* next byte to read */
  size_t end;         /* one past the last readable byte */
} tw_reader;

typedef enum tw_rd_status {
  TW_RD_OK = 0,
  TW_RD_EOF,       /* "unexpected end" */
  TW_RD_TOO_LONG,  /* "integer representation too long" */
  TW_RD_TOO_LARGE  /* "integer too large" (bad unused bits) */
} tw_rd_status;

static inline tw_reader tw_reader_make(const uint8_t *buf, size_t pos,
                                       size_t end) {
  tw_reader r = {buf, pos, end};
  return r;
}

static inline size_t tw_rd_left(const tw_reader *r) { return r->end - r->pos; }
static inline bool tw_rd_done(const tw_reader *r) { return r->pos >= r->end; }

static inline tw_rd_status tw_rd_u8(tw_reader *r, uint8_t *out) {
  if (r->pos >= r->end) return TW_RD_EOF;
  *out = r->buf[r->pos++];
  return TW_RD_OK;
}

static inline tw_rd_status tw_rd_fixed(tw_reader *r, void *out, size_t n) {
  if (tw_rd_left(r) < n) return TW_RD_EOF;
  memcpy(out, r->buf + r->pos, n);
  r->pos += n;
  return TW_RD_OK;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
static inline tw_rd_status tw_rd_uleb(tw_reader *r, unsigned bits,
                                      uint64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  unsigned max_bytes = (bits + 6) / 7;
  for (unsigned i = 0;; i++) {
    if (r->pos >= r->end) return TW_RD_EOF;
    uint8_t b = r->buf[r->pos++];
    if (i == max_bytes - 1) {
      if (b & 0x80) return TW_RD_TOO_LONG;
      unsigned used = bits - shift; /* bits this byte may carry */
      if (used < 7 && (b >> used) != 0) return TW_RD_TOO_LARGE;
      v |= (uint64_t)b << shift;
      break;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  *out = v;
  return TW_RD_OK;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). */
static inline tw_rd_status tw_rd_sleb(tw_reader *r, unsigned bits,
                                      int64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  unsigned max_bytes = (bits + 6) / 7;
  uint8_t b = 0;
  for (unsigned i = 0;; i++) {
    if (r->pos >= r->end) return TW_RD_EOF;
    b = r->buf[r->pos++];
    if (i == max_bytes - 1) {
      if (b & 0x80) return TW_RD_TOO_LONG;
      unsigned used = bits - shift; /* value bits in this byte, incl. sign */
      if (used < 7) {
        /* bits [used-1, 6] must all equal the sign bit */
        int8_t sb = (int8_t)(b << 1) >> 1; /* sign-extend 7-bit payload */
        int64_t top = (int64_t)sb >> (used - 1);
        if (top != 0 && top != -1) return TW_RD_TOO_LARGE;
      }
      v |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      break;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
  *out = (int64_t)v;
  return TW_RD_OK;
}

static inline tw_rd_status tw_rd_u32(tw_reader *r, uint32_t *out) {
  uint64_t v;
  tw_rd_status s = tw_rd_uleb(r, 32, &v);
  if (s == TW_RD_OK) *out = (uint32_t)v;
  return s;
}

static inline tw_rd_status tw_rd_u64(tw_reader *r, uint64_t *out) {
  return tw_rd_uleb(r, 64, out);
}

static inline tw_rd_status tw_rd_s32(tw_reader *r, int32_t *out) {
  int64_t v;
  tw_rd_status s = tw_rd_sleb(r, 32, &v);
  if (s == TW_RD_OK) *out = (int32_t)v;
  return s;
}

static inline tw_rd_status tw_rd_s64(tw_reader *r, int64_t *out) {
  return tw_rd_sleb(r, 64, out);
}

/* Message for a reader status, in the spec's words. */
static inline const char *tw_rd_status_str(tw_rd_status s) {
  switch (s) {
    case TW_RD_OK: return "ok";
    case TW_RD_EOF: return "unexpected end";
    case TW_RD_TOO_LONG: return "integer representation too long";
    case TW_RD_TOO_LARGE: return "integer too large";
  }
  return "?";
}

#endif

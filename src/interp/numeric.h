/*
 * numeric.h - WebAssembly numeric semantics in portable C without
 * undefined behaviour: wrapping integer arithmetic in unsigned types,
 * masked shifts, min/max/nearest with the spec's NaN and signed-zero rules,
 * bit-exact abs/neg/copysign, checked and saturating float-to-int.
 * Shared by the interpreter (and later the AoT code generator's runtime).
 */
#ifndef TW_INTERP_NUMERIC_H
#define TW_INTERP_NUMERIC_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t tw_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float tw_f32_from(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint64_t tw_f64_bits(double f) {
  uint64_t u;
  memcpy(&u, &f, 8);
  return u;
}
static inline double tw_f64_from(uint64_t u) {
  double f;
  memcpy(&f, &u, 8);
  return f;
}

static inline uint32_t tw_clz32(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t tw_ctz32(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint32_t tw_popcnt32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
static inline uint64_t tw_clz64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t tw_ctz64(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint64_t tw_popcnt64(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }

static inline uint32_t tw_rotl32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x << n) | (x >> ((32 - n) & 31));
}
static inline uint32_t tw_rotr32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x >> n) | (x << ((32 - n) & 31));
}
static inline uint64_t tw_rotl64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x << n) | (x >> ((64 - n) & 63));
}
static inline uint64_t tw_rotr64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x >> n) | (x << ((64 - n) & 63));
}

/* Arithmetic shift right without relying on implementation-defined
 * behaviour of >> on negative values. */
static inline uint32_t tw_shr_s32(uint32_t x, uint32_t n) {
  n &= 31;
  uint32_t r = x >> n;
  if ((x & 0x80000000u) && n) r |= ~(UINT32_MAX >> n);
  return r;
}
static inline uint64_t tw_shr_s64(uint64_t x, uint64_t n) {
  n &= 63;
  uint64_t r = x >> n;
  if ((x & 0x8000000000000000ull) && n) r |= ~(UINT64_MAX >> n);
  return r;
}

/* ---- floats ----------------------------------------------------------- */

static inline float tw_f32_abs(float x) { return tw_f32_from(tw_f32_bits(x) & 0x7fffffffu); }
static inline float tw_f32_neg(float x) { return tw_f32_from(tw_f32_bits(x) ^ 0x80000000u); }
static inline float tw_f32_copysign(float x, float y) {
  return tw_f32_from((tw_f32_bits(x) & 0x7fffffffu) | (tw_f32_bits(y) & 0x80000000u));
}
static inline double tw_f64_abs(double x) {
  return tw_f64_from(tw_f64_bits(x) & 0x7fffffffffffffffull);
}
static inline double tw_f64_neg(double x) {
  return tw_f64_from(tw_f64_bits(x) ^ 0x8000000000000000ull);
}
static inline double tw_f64_copysign(double x, double y) {
  return tw_f64_from((tw_f64_bits(x) & 0x7fffffffffffffffull) |
                     (tw_f64_bits(y) & 0x8000000000000000ull));
}

/* min/max: NaN if either operand is NaN; -0 < +0. */
static inline float tw_f32_min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return tw_f32_from(tw_f32_bits(a) | tw_f32_bits(b));
  return a < b ? a : b;
}
static inline float tw_f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return tw_f32_from(tw_f32_bits(a) & tw_f32_bits(b));
  return a > b ? a : b;
}
static inline double tw_f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return tw_f64_from(tw_f64_bits(a) | tw_f64_bits(b));
  return a < b ? a : b;
}
static inline double tw_f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return tw_f64_from(tw_f64_bits(a) & tw_f64_bits(b));
  return a > b ? a : b;
}

/* Rounding: a NaN input gives a quiet NaN (x + x quiets a signalling NaN
 * and keeps its payload), as the spec requires; C's ceil/floor may return
 * a signalling NaN unchanged. nearest rounds half to even (rint in the
 * default rounding mode). */
static inline float tw_f32_ceil(float x) { return x != x ? x + x : ceilf(x); }
static inline float tw_f32_floor(float x) { return x != x ? x + x : floorf(x); }
static inline float tw_f32_trunc(float x) { return x != x ? x + x : truncf(x); }
static inline float tw_f32_nearest(float x) { return x != x ? x + x : rintf(x); }
static inline double tw_f64_ceil(double x) { return x != x ? x + x : ceil(x); }
static inline double tw_f64_floor(double x) { return x != x ? x + x : floor(x); }
static inline double tw_f64_trunc(double x) { return x != x ? x + x : trunc(x); }
static inline double tw_f64_nearest(double x) { return x != x ? x + x : rint(x); }

/* ---- float -> int ----------------------------------------------------- */
/* Range checks: each returns false if the truncation must trap (NaN or out
 * of range); on success *out holds the truncated value. */

static inline bool tw_trunc_f32_i32(float x, uint32_t *out) {
  if (!(x >= -2147483648.0f && x < 2147483648.0f)) return false;
  *out = (uint32_t)(int32_t)x;
  return true;
}
static inline bool tw_trunc_f32_u32(float x, uint32_t *out) {
  if (!(x > -1.0f && x < 4294967296.0f)) return false;
  *out = (uint32_t)x;
  return true;
}
static inline bool tw_trunc_f64_i32(double x, uint32_t *out) {
  if (!(x > -2147483649.0 && x < 2147483648.0)) return false;
  *out = (uint32_t)(int32_t)x;
  return true;
}
static inline bool tw_trunc_f64_u32(double x, uint32_t *out) {
  if (!(x > -1.0 && x < 4294967296.0)) return false;
  *out = (uint32_t)x;
  return true;
}
static inline bool tw_trunc_f32_i64(float x, uint64_t *out) {
  if (!(x >= -9223372036854775808.0f && x < 9223372036854775808.0f)) return false;
  *out = (uint64_t)(int64_t)x;
  return true;
}
static inline bool tw_trunc_f32_u64(float x, uint64_t *out) {
  if (!(x > -1.0f && x < 18446744073709551616.0f)) return false;
  *out = (uint64_t)x;
  return true;
}
static inline bool tw_trunc_f64_i64(double x, uint64_t *out) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return false;
  *out = (uint64_t)(int64_t)x;
  return true;
}
static inline bool tw_trunc_f64_u64(double x, uint64_t *out) {
  if (!(x > -1.0 && x < 18446744073709551616.0)) return false;
  *out = (uint64_t)x;
  return true;
}

/* Saturating versions: NaN -> 0, out of range -> the nearest bound. */
static inline uint32_t tw_sat_f32_i32(float x) {
  uint32_t r;
  if (tw_trunc_f32_i32(x, &r)) return r;
  if (x != x) return 0;
  return x < 0 ? 0x80000000u : 0x7fffffffu;
}
static inline uint32_t tw_sat_f32_u32(float x) {
  uint32_t r;
  if (tw_trunc_f32_u32(x, &r)) return r;
  if (x != x || x < 0) return 0;
  return UINT32_MAX;
}
static inline uint32_t tw_sat_f64_i32(double x) {
  uint32_t r;
  if (tw_trunc_f64_i32(x, &r)) return r;
  if (x != x) return 0;
  return x < 0 ? 0x80000000u : 0x7fffffffu;
}
static inline uint32_t tw_sat_f64_u32(double x) {
  uint32_t r;
  if (tw_trunc_f64_u32(x, &r)) return r;
  if (x != x || x < 0) return 0;
  return UINT32_MAX;
}
static inline uint64_t tw_sat_f32_i64(float x) {
  uint64_t r;
  if (tw_trunc_f32_i64(x, &r)) return r;
  if (x != x) return 0;
  return x < 0 ? 0x8000000000000000ull : 0x7fffffffffffffffull;
}
static inline uint64_t tw_sat_f32_u64(float x) {
  uint64_t r;
  if (tw_trunc_f32_u64(x, &r)) return r;
  if (x != x || x < 0) return 0;
  return UINT64_MAX;
}
static inline uint64_t tw_sat_f64_i64(double x) {
  uint64_t r;
  if (tw_trunc_f64_i64(x, &r)) return r;
  if (x != x) return 0;
  return x < 0 ? 0x8000000000000000ull : 0x7fffffffffffffffull;
}
static inline uint64_t tw_sat_f64_u64(double x) {
  uint64_t r;
  if (tw_trunc_f64_u64(x, &r)) return r;
  if (x != x || x < 0) return 0;
  return UINT64_MAX;
}

/* ---- sign extension --------------------------------------------------- */
static inline uint32_t tw_sext8_32(uint32_t x) { return (uint32_t)(int32_t)(int8_t)(uint8_t)x; }
static inline uint32_t tw_sext16_32(uint32_t x) { return (uint32_t)(int32_t)(int16_t)(uint16_t)x; }
static inline uint64_t tw_sext8_64(uint64_t x) { return (uint64_t)(int64_t)(int8_t)(uint8_t)x; }
static inline uint64_t tw_sext16_64(uint64_t x) { return (uint64_t)(int64_t)(int16_t)(uint16_t)x; }
static inline uint64_t tw_sext32_64(uint64_t x) { return (uint64_t)(int64_t)(int32_t)(uint32_t)x; }

#endif

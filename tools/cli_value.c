/*
 * cli_value.c - command-line arguments to wasm values and results back to
 * text, for `twine run --invoke`.
 *
 * Floats are handled as bit patterns wherever the text names them exactly
 * (inf, nan, nan:0xPAYLOAD), so NaN payloads and signs survive; decimal and
 * hex-float text goes through strtof / strtod (correctly rounded).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

/* Unsigned digits in `base`, the whole string, no overflow of u64. */
static bool parse_digits(const char *s, int base, uint64_t *out) {
  uint64_t v = 0;
  if (!*s) return false;
  for (; *s; s++) {
    int d = digit_value(*s);
    if (d >= base) return false;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  *out = v;
  return true;
}

/* An integer of `bits` bits: [-+]digits or [-+]0xhex, accepted if it fits
 * either the signed or the unsigned range. Result as the raw bit pattern. */
static bool parse_int(const char *s, unsigned bits, uint64_t *out,
                      char *why, size_t whylen) {
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  int base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
  }
  uint64_t v;
  uint64_t umax = bits == 32 ? UINT32_MAX : UINT64_MAX;
  uint64_t nmax = (uint64_t)1 << (bits - 1); /* magnitude of the minimum */
  if (!parse_digits(p, base, &v)) {
    /* Tell "not a number" from "too big" for a string of valid digits. */
    bool digits_only = *p != '\0';
    for (const char *q = p; *q; q++)
      if (digit_value(*q) >= base) digits_only = false;
    snprintf(why, whylen, digits_only ? "out of range for i%u"
                                      : "not a valid i%u",
             bits);
    return false;
  }
  if ((!neg && v > umax) || (neg && v > nmax)) {
    snprintf(why, whylen, "out of range for i%u", bits);
    return false;
  }
  if (neg) v = (0 - v);
  *out = v & umax;
  return true;
}

/* Float text of a `bits`-bit float to its bit pattern. */
static bool parse_float(const char *s, unsigned bits, uint64_t *out,
                        char *why, size_t whylen) {
  const unsigned mant = bits == 32 ? 23 : 52;
  const uint64_t sign_bit = (uint64_t)1 << (bits - 1);
  const uint64_t exp_mask = (bits == 32 ? (uint64_t)0xff : (uint64_t)0x7ff)
                            << mant;
  const uint64_t mant_mask = ((uint64_t)1 << mant) - 1;
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  uint64_t sign = neg ? sign_bit : 0;

  if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
    *out = sign | exp_mask;
    return true;
  }
  if (strcasecmp(p, "nan") == 0) {
    *out = sign | exp_mask | ((uint64_t)1 << (mant - 1));
    return true;
  }
  if (strncasecmp(p, "nan:0x", 6) == 0) {
    uint64_t payload;
    if (!parse_digits(p + 6, 16, &payload) || payload == 0 ||
        payload > mant_mask) {
      snprintf(why, whylen, "bad NaN payload for f%u (1 to 0x%" PRIx64 ")",
               bits, mant_mask);
      return false;
    }
    *out = sign | exp_mask | payload;
    return true;
  }
  /* Only number characters: keeps strtod from accepting "nan(...)",
   * leading blanks or locale surprises. */
  bool ok = (*p >= '0' && *p <= '9') || *p == '.';
  for (const char *q = p; ok && *q; q++)
    ok = digit_value(*q) < 16 || strchr("xXpP.+-", *q) != NULL;
  if (!ok) {
    snprintf(why, whylen, "not a valid f%u", bits);
    return false;
  }
  char *end;
  errno = 0;
  if (bits == 32) {
    float f = strtof(s, &end);
    if (*end) {
      snprintf(why, whylen, "not a valid f32");
      return false;
    }
    if (errno == ERANGE && isinf(f)) {
      snprintf(why, whylen, "out of range for f32");
      return false;
    }
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    *out = b;
  } else {
    double d = strtod(s, &end);
    if (*end) {
      snprintf(why, whylen, "not a valid f64");
      return false;
    }
    if (errno == ERANGE && isinf(d)) {
      snprintf(why, whylen, "out of range for f64");
      return false;
    }
    memcpy(out, &d, sizeof d);
  }
  return true;
}

bool cli_parse_value(const char *s, twine_valkind_t kind, twine_val_t *out,
                     char *why, size_t whylen) {
  twine_val_t v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  uint64_t bits;
  switch (kind) {
  case TWINE_I32: {
    if (!parse_int(s, 32, &bits, why, whylen)) return false;
    uint32_t u = (uint32_t)bits;
    memcpy(&v.of.i32, &u, sizeof u);
    break;
  }
  case TWINE_I64:
    if (!parse_int(s, 64, &bits, why, whylen)) return false;
    memcpy(&v.of.i64, &bits, sizeof bits);
    break;
  case TWINE_F32:
    if (!parse_float(s, 32, &bits, why, whylen)) return false;
    v.of.f32_bits = (uint32_t)bits;
    break;
  case TWINE_F64:
    if (!parse_float(s, 64, &bits, why, whylen)) return false;
    v.of.f64_bits = bits;
    break;
  case TWINE_FUNCREF:
  case TWINE_EXTERNREF:
    if (strcmp(s, "null") != 0) {
      snprintf(why, whylen, "only null can be passed as a %s",
               kind == TWINE_FUNCREF ? "funcref" : "externref");
      return false;
    }
    break; /* the pointer is already NULL */
  default:
    snprintf(why, whylen, "%s arguments are not supported",
             kind == TWINE_V128 ? "v128" : "such");
    return false;
  }
  *out = v;
  return true;
}

/* NaN / infinity names, or false for a finite value. */
static bool special_float(uint64_t b, unsigned bits, char *buf, size_t len) {
  const unsigned mant = bits == 32 ? 23 : 52;
  const uint64_t exp_mask = (bits == 32 ? (uint64_t)0xff : (uint64_t)0x7ff)
                            << mant;
  const uint64_t mant_mask = ((uint64_t)1 << mant) - 1;
  const char *sign = (b >> (bits - 1)) & 1 ? "-" : "";
  if ((b & exp_mask) != exp_mask) return false;
  uint64_t payload = b & mant_mask;
  if (payload == 0)
    snprintf(buf, len, "%sinf", sign);
  else if (payload == (uint64_t)1 << (mant - 1))
    snprintf(buf, len, "%snan", sign);
  else
    snprintf(buf, len, "%snan:0x%" PRIx64, sign, payload);
  return true;
}

/* Make sure a finite float never reads as an integer: "2" -> "2.0". */
static void mark_float(char *buf, size_t len) {
  if (strpbrk(buf, ".e")) return;
  size_t n = strlen(buf);
  if (n + 2 < len) memcpy(buf + n, ".0", 3);
}

void cli_format_value(const twine_val_t *v, char *buf, size_t len) {
  if (!len) return;
  switch (v->kind) {
  case TWINE_I32:
    snprintf(buf, len, "%" PRId32, v->of.i32);
    return;
  case TWINE_I64:
    snprintf(buf, len, "%" PRId64, v->of.i64);
    return;
  case TWINE_F32: {
    uint32_t b = v->of.f32_bits;
    if (special_float(b, 32, buf, len)) return;
    float f;
    memcpy(&f, &b, sizeof f);
    for (int prec = 1; prec <= 9; prec++) { /* shortest that round-trips */
      snprintf(buf, len, "%.*g", prec, (double)f);
      if (strtof(buf, NULL) == f) break;
    }
    mark_float(buf, len);
    return;
  }
  case TWINE_F64: {
    uint64_t b = v->of.f64_bits;
    if (special_float(b, 64, buf, len)) return;
    double d;
    memcpy(&d, &b, sizeof d);
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, len, "%.*g", prec, d);
      if (strtod(buf, NULL) == d) break;
    }
    mark_float(buf, len);
    return;
  }
  case TWINE_V128: {
    size_t w = 0;
    w += (size_t)snprintf(buf, len, "0x");
    for (int i = 15; i >= 0 && w + 2 < len; i--)
      w += (size_t)snprintf(buf + w, len - w, "%02x", v->of.v128[i]);
    return;
  }
  case TWINE_FUNCREF:
    snprintf(buf, len, "%s", v->of.funcref ? "funcref" : "null");
    return;
  case TWINE_EXTERNREF:
    snprintf(buf, len, "%s", v->of.externref ? "externref" : "null");
    return;
  }
  snprintf(buf, len, "?");
}

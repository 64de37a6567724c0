/*
 * spec_value.c - values of the spec runner: parsing wast2json values,
 * matching results against expectations, printing both.
 *
 * Numbers arrive as decimal strings of their bit patterns ("4294967295" for
 * i32 -1, "2143289344" for f32 NaN). Floats are compared by bits; the NaN
 * patterns "nan:canonical" and "nan:arithmetic" match classes of NaNs.
 * `ref.extern N` maps to the address of byte N of a private pool, so the
 * same N always gives the same non-NULL host pointer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define EXTERN_POOL_SIZE 4096
static unsigned char extern_pool[EXTERN_POOL_SIZE];

void *spec_externref(uint64_t n) {
  return n < EXTERN_POOL_SIZE ? (void *)&extern_pool[n] : NULL;
}

/* N if p is `ref.extern N` of our pool, else -1. */
static long extern_index(const void *p) {
  uintptr_t a = (uintptr_t)p, base = (uintptr_t)extern_pool;
  if (a < base || a >= base + EXTERN_POOL_SIZE) return -1;
  return (long)(a - base);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return false;
  *out = v;
  return true;
}

static bool kind_from_name(const char *t, twine_valkind_t *k) {
  static const struct {
    const char *name;
    twine_valkind_t kind;
  } kinds[] = {{"i32", TWINE_I32},         {"i64", TWINE_I64},
               {"f32", TWINE_F32},         {"f64", TWINE_F64},
               {"v128", TWINE_V128},       {"funcref", TWINE_FUNCREF},
               {"externref", TWINE_EXTERNREF}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(t, kinds[i].name) == 0) {
      *k = kinds[i].kind;
      return true;
    }
  }
  return false;
}

/* Common part of arguments and expectations. `pattern` allows NaN
 * patterns and a missing value ("any reference"). */
static spec_parse parse_value(const cJSON *j, bool pattern, twine_val_t *v,
                              spec_match *match, char *msg, size_t msglen) {
  const cJSON *jt = cJSON_GetObjectItemCaseSensitive(j, "type");
  const cJSON *jv = cJSON_GetObjectItemCaseSensitive(j, "value");
  twine_valkind_t kind;
  if (!cJSON_IsString(jt) || !kind_from_name(jt->valuestring, &kind)) {
    snprintf(msg, msglen, "value of unknown type");
    return SPEC_PARSE_BAD;
  }
  memset(v, 0, sizeof *v);
  v->kind = kind;
  *match = SPEC_MATCH_EXACT;
  if (kind == TWINE_V128) return SPEC_PARSE_SIMD;
  if (jv == NULL && pattern &&
      (kind == TWINE_FUNCREF || kind == TWINE_EXTERNREF)) {
    *match = SPEC_MATCH_ANY_REF;
    return SPEC_PARSE_OK;
  }
  if (!cJSON_IsString(jv)) {
    snprintf(msg, msglen, "%s value without a string", jt->valuestring);
    return SPEC_PARSE_BAD;
  }
  const char *s = jv->valuestring;
  uint64_t u = 0;
  if (pattern && (kind == TWINE_F32 || kind == TWINE_F64)) {
    if (strcmp(s, "nan:canonical") == 0) {
      *match = SPEC_MATCH_NAN_CANON;
      return SPEC_PARSE_OK;
    }
    if (strcmp(s, "nan:arithmetic") == 0) {
      *match = SPEC_MATCH_NAN_ARITH;
      return SPEC_PARSE_OK;
    }
  }
  switch (kind) {
  case TWINE_I32:
  case TWINE_F32:
    if (!parse_u64(s, UINT32_MAX, &u)) break;
    if (kind == TWINE_F32) {
      v->of.f32_bits = (uint32_t)u;
    } else {
      uint32_t b = (uint32_t)u;
      memcpy(&v->of.i32, &b, sizeof b);
    }
    return SPEC_PARSE_OK;
  case TWINE_I64:
  case TWINE_F64:
    if (!parse_u64(s, UINT64_MAX, &u)) break;
    if (kind == TWINE_F64)
      v->of.f64_bits = u;
    else
      memcpy(&v->of.i64, &u, sizeof u);
    return SPEC_PARSE_OK;
  case TWINE_FUNCREF:
    if (strcmp(s, "null") == 0) return SPEC_PARSE_OK; /* funcref = NULL */
    break;
  case TWINE_EXTERNREF:
    if (strcmp(s, "null") == 0) return SPEC_PARSE_OK;
    if (!parse_u64(s, UINT64_MAX, &u)) break;
    v->of.externref = spec_externref(u);
    if (!v->of.externref) {
      snprintf(msg, msglen, "ref.extern %s is beyond the runner's pool", s);
      return SPEC_PARSE_BAD;
    }
    return SPEC_PARSE_OK;
  default:
    break;
  }
  snprintf(msg, msglen, "bad %s value \"%.60s\"", jt->valuestring, s);
  return SPEC_PARSE_BAD;
}

spec_parse spec_value_arg(const cJSON *j, twine_val_t *out, char *msg,
                          size_t msglen) {
  spec_match m;
  return parse_value(j, false, out, &m, msg, msglen);
}

spec_parse spec_value_expect(const cJSON *j, spec_expect *out, char *msg,
                             size_t msglen) {
  return parse_value(j, true, &out->val, &out->match, msg, msglen);
}

bool spec_value_matches(const spec_expect *e, const twine_val_t *got) {
  const twine_val_t *x = &e->val;
  if (got->kind != x->kind) return false;
  switch (e->match) {
  case SPEC_MATCH_NAN_CANON:
    if (x->kind == TWINE_F32)
      return (got->of.f32_bits & 0x7fffffffu) == 0x7fc00000u;
    return (got->of.f64_bits & UINT64_C(0x7fffffffffffffff)) ==
           UINT64_C(0x7ff8000000000000);
  case SPEC_MATCH_NAN_ARITH:
    if (x->kind == TWINE_F32)
      return (got->of.f32_bits & 0x7fc00000u) == 0x7fc00000u;
    return (got->of.f64_bits & UINT64_C(0x7ff8000000000000)) ==
           UINT64_C(0x7ff8000000000000);
  case SPEC_MATCH_ANY_REF:
    return x->kind == TWINE_FUNCREF ? got->of.funcref != NULL
                                    : got->of.externref != NULL;
  case SPEC_MATCH_EXACT:
    break;
  }
  switch (x->kind) {
  case TWINE_I32:
    return got->of.i32 == x->of.i32;
  case TWINE_I64:
    return got->of.i64 == x->of.i64;
  case TWINE_F32:
    return got->of.f32_bits == x->of.f32_bits;
  case TWINE_F64:
    return got->of.f64_bits == x->of.f64_bits;
  case TWINE_V128:
    return memcmp(got->of.v128, x->of.v128, 16) == 0;
  case TWINE_FUNCREF:
    return got->of.funcref == x->of.funcref;
  case TWINE_EXTERNREF:
    return got->of.externref == x->of.externref;
  }
  return false;
}

static size_t put(char *buf, size_t len, int n) {
  if (n < 0) return 0;
  return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

size_t spec_value_str(const twine_val_t *v, char *buf, size_t len) {
  uint32_t u32;
  uint64_t u64;
  float f;
  double d;
  switch (v->kind) {
  case TWINE_I32:
    memcpy(&u32, &v->of.i32, sizeof u32);
    return put(buf, len, snprintf(buf, len, "i32:%" PRIu32, u32));
  case TWINE_I64:
    memcpy(&u64, &v->of.i64, sizeof u64);
    return put(buf, len, snprintf(buf, len, "i64:%" PRIu64, u64));
  case TWINE_F32:
    u32 = v->of.f32_bits;
    memcpy(&f, &u32, sizeof f);
    return put(buf, len, snprintf(buf, len, "f32:%.9g (0x%08" PRIx32 ")",
                                  (double)f, u32));
  case TWINE_F64:
    u64 = v->of.f64_bits;
    memcpy(&d, &u64, sizeof d);
    return put(buf, len,
               snprintf(buf, len, "f64:%.17g (0x%016" PRIx64 ")", d, u64));
  case TWINE_V128: {
    size_t n = put(buf, len, snprintf(buf, len, "v128:0x"));
    for (int i = 15; i >= 0; i--)
      n += put(buf + n, len - n, snprintf(buf + n, len - n, "%02x",
                                          v->of.v128[i]));
    return n;
  }
  case TWINE_FUNCREF:
    if (!v->of.funcref)
      return put(buf, len, snprintf(buf, len, "ref.null func"));
    return put(buf, len,
               snprintf(buf, len, "ref.func %p", (void *)v->of.funcref));
  case TWINE_EXTERNREF: {
    if (!v->of.externref)
      return put(buf, len, snprintf(buf, len, "ref.null extern"));
    long n = extern_index(v->of.externref);
    if (n >= 0) return put(buf, len, snprintf(buf, len, "ref.extern %ld", n));
    return put(buf, len, snprintf(buf, len, "ref.extern %p", v->of.externref));
  }
  }
  return put(buf, len, snprintf(buf, len, "<kind %d>", (int)v->kind));
}

size_t spec_expect_str(const spec_expect *e, char *buf, size_t len) {
  const char *k = e->val.kind == TWINE_F32 ? "f32" : "f64";
  switch (e->match) {
  case SPEC_MATCH_NAN_CANON:
    return put(buf, len, snprintf(buf, len, "%s:nan:canonical", k));
  case SPEC_MATCH_NAN_ARITH:
    return put(buf, len, snprintf(buf, len, "%s:nan:arithmetic", k));
  case SPEC_MATCH_ANY_REF:
    return put(buf, len,
               snprintf(buf, len, "%s", e->val.kind == TWINE_FUNCREF
                                            ? "ref.func (any)"
                                            : "ref.extern (any)"));
  case SPEC_MATCH_EXACT:
    break;
  }
  return spec_value_str(&e->val, buf, len);
}

size_t spec_name_str(const char *s, size_t n, char *buf, size_t len) {
  size_t w = 0;
  if (!len) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char tmp[5];
    size_t k;
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      tmp[0] = (char)c;
      k = 1;
    } else {
      snprintf(tmp, sizeof tmp, "\\%02x", c);
      k = 3;
    }
    if (w + k >= len) break;
    memcpy(buf + w, tmp, k);
    w += k;
  }
  buf[w] = '\0';
  return w;
}

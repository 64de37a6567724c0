/*
 * test_decode.c - unit tests of the binary decoder (src/wasm/decode*.c,
 * names.c) on hand-assembled modules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm/module.h"

/* ---- a tiny module builder ------------------------------------------------ */

typedef struct {
  uint8_t *d;
  size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->d = realloc(b->d, b->cap);
    assert_non_null(b->d);
  }
  memcpy(b->d + b->n, p, n);
  b->n += n;
}

static void put_byte(buf *b, uint8_t v) { put(b, &v, 1); }

static void put_uleb(buf *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    put_byte(b, byte);
  } while (v);
}

static buf module_start(void) {
  buf b = {0};
  static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  put(&b, hdr, 8);
  return b;
}

static void section(buf *b, uint8_t id, const void *content, size_t n) {
  put_byte(b, id);
  put_uleb(b, n);
  put(b, content, n);
}

#define SEC(b, id, ...)                          \
  do {                                           \
    static const uint8_t c_[] = {__VA_ARGS__};   \
    section((b), (id), c_, sizeof c_);           \
  } while (0)

#define RAW(b, ...)                              \
  do {                                           \
    static const uint8_t c_[] = {__VA_ARGS__};   \
    put((b), c_, sizeof c_);                     \
  } while (0)

static tw_err last_err;

static twine_status_t decode(const buf *b, tw_module **m) {
  memset(&last_err, 0, sizeof last_err);
  *m = NULL;
  return tw_wasm_decode(b->d, b->n, m, &last_err);
}

/* Decode, expect failure with `status` and `text` in the message. */
static void expect_fail(const buf *b, twine_status_t status, const char *text) {
  tw_module *m = (tw_module *)0x1;
  memset(&last_err, 0, sizeof last_err);
  twine_status_t st = tw_wasm_decode(b->d, b->n, &m, &last_err);
  if (st != status || !strstr(last_err.msg, text))
    fprintf(stderr, "expected %d \"%s\", got %d \"%s\"\n", status, text, st,
            last_err.msg);
  assert_int_equal(st, status);
  assert_non_null(strstr(last_err.msg, text));
  assert_ptr_equal(m, (tw_module *)0x1); /* untouched on failure */
  assert_int_equal(last_err.status, status);
}

static tw_module *expect_ok(const buf *b) {
  tw_module *m;
  twine_status_t st = decode(b, &m);
  if (st) fprintf(stderr, "unexpected failure: %s\n", last_err.msg);
  assert_int_equal(st, TWINE_OK);
  assert_non_null(m);
  return m;
}

#define HDR_TYPE_V_V(b) SEC(b, 1, 0x01, 0x60, 0x00, 0x00) /* () -> () */

/* ---- header and section structure ---------------------------------------- */

static void test_header(void **state) {
  (void)state;
  buf b = {0};
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  RAW(&b, 0x00, 0x61, 0x73);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  b.n = 0;
  RAW(&b, 'a', 's', 'm', 0x00, 1, 0, 0, 0);
  expect_fail(&b, TWINE_ERR_MALFORMED, "magic header not detected");
  b.n = 0;
  RAW(&b, 0x00, 'a', 's', 'm', 1, 0);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  b.n = 0;
  RAW(&b, 0x00, 'a', 's', 'm', 2, 0, 0, 0);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unknown binary version");
  assert_int_equal(last_err.offset, 4);
  free(b.d);

  b = module_start();
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->size, 8);
  assert_int_equal(m->ntypes, 0);
  assert_int_equal(m->nfuncs, 0);
  assert_null(m->funcs);
  assert_false(m->has_start);
  tw_module_free(m);
  free(b.d);
}

static void test_section_ids_and_order(void **state) {
  (void)state;
  buf b = module_start();
  RAW(&b, 0x0d, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed section id");
  assert_int_equal(last_err.offset, 8);
  free(b.d);

  /* duplicate */
  b = module_start();
  HDR_TYPE_V_V(&b);
  HDR_TYPE_V_V(&b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected content after last section");
  free(b.d);

  /* memory before table */
  b = module_start();
  SEC(&b, 5, 0x01, 0x00, 0x01);
  SEC(&b, 4, 0x01, 0x70, 0x00, 0x01);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected content after last section");
  free(b.d);

  /* datacount must come before code, and after element */
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  SEC(&b, 12, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected content after last section");
  free(b.d);

  /* custom sections anywhere, datacount between element and code */
  b = module_start();
  SEC(&b, 0, 0x01, 'a', 0xff, 0x00);
  HDR_TYPE_V_V(&b);
  SEC(&b, 0, 0x01, 'b');
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 9, 0x00);
  SEC(&b, 12, 0x00);
  SEC(&b, 0, 0x00);
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  SEC(&b, 11, 0x00);
  SEC(&b, 0, 0x01, 'c', 1, 2, 3);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->ncustoms, 4);
  assert_int_equal(m->customs[0].name.len, 1);
  assert_memory_equal(m->customs[0].name.ptr, "a", 1);
  assert_int_equal(m->customs[0].len, 2);
  assert_int_equal(m->bytes[m->customs[0].start], 0xff);
  assert_int_equal(m->customs[2].name.len, 0);
  assert_int_equal(m->customs[3].len, 3);
  assert_int_equal(m->bytes[m->customs[3].start + 2], 3);
  assert_true(m->has_datacount);
  assert_int_equal(m->datacount, 0);
  tw_module_free(m);
  free(b.d);
}

static void test_section_sizes(void **state) {
  (void)state;
  /* size larger than the file */
  buf b = module_start();
  RAW(&b, 0x01, 0x07, 0x01, 0x60, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);

  /* content shorter than the section */
  b = module_start();
  RAW(&b, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "section size mismatch");
  assert_int_equal(last_err.offset, 14);
  free(b.d);

  /* content longer than the section */
  b = module_start();
  RAW(&b, 0x01, 0x03, 0x01, 0x60, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  free(b.d);

  /* size field cut by the end of the file */
  b = module_start();
  RAW(&b, 0x01, 0x80);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  free(b.d);

  /* custom section: name longer than the section */
  b = module_start();
  RAW(&b, 0x00, 0x02, 0x05, 'a', 'b', 'c', 'd', 'e');
  expect_fail(&b, TWINE_ERR_MALFORMED, "section 0 (custom)");
  free(b.d);
}

/* ---- LEB128 --------------------------------------------------------------- */

static void test_leb128(void **state) {
  (void)state;
  /* non-minimal encodings are fine */
  buf b = module_start();
  SEC(&b, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x00);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nmems, 1);
  assert_int_equal(m->mems[0].limits.min, 2);
  assert_false(m->mems[0].limits.has_max);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);

  b = module_start();
  SEC(&b, 5, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x10);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer too large");
  free(b.d);

  /* signed: i32.const 0 with unused bits set */
  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer too large");
  free(b.d);

  /* signed: i64.const -1 one byte too long */
  b = module_start();
  SEC(&b, 6, 0x01, 0x7e, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0x7f, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);

  /* an over-long integer cut by the section end is still over-long */
  b = module_start();
  HDR_TYPE_V_V(&b);
  RAW(&b, 0x03, 0x03, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);

  /* section id is a byte, not a LEB */
  b = module_start();
  RAW(&b, 0x80, 0x00, 0x01, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed section id");
  free(b.d);
}

/* ---- types, imports, index spaces ---------------------------------------- */

static void test_types(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 1, 0x03, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7d, 0x60,
      0x01, 0x6f, 0x02, 0x70, 0x7c);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->ntypes, 3);
  assert_int_equal(m->types[0].nparams, 0);
  assert_int_equal(m->types[0].nresults, 0);
  assert_int_equal(m->types[1].nparams, 2);
  assert_int_equal(m->types[1].nresults, 1);
  assert_int_equal(tw_ft_params(&m->types[1])[0], TW_I32);
  assert_int_equal(tw_ft_params(&m->types[1])[1], TW_I64);
  assert_int_equal(tw_ft_results(&m->types[1])[0], TW_F32);
  assert_int_equal(tw_ft_params(&m->types[2])[0], TW_EXTERNREF);
  assert_int_equal(tw_ft_results(&m->types[2])[0], TW_FUNCREF);
  assert_int_equal(tw_ft_results(&m->types[2])[1], TW_F64);
  assert_false(tw_functype_eq(&m->types[0], &m->types[1]));
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 1, 0x01, 0x61, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed function type");
  free(b.d);

  b = module_start();
  SEC(&b, 1, 0x01, 0xe0, 0x7f, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);

  b = module_start();
  SEC(&b, 1, 0x01, 0x60, 0x01, 0x40, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed value type");
  assert_int_equal(last_err.offset, 13);
  free(b.d);

  b = module_start();
  SEC(&b, 1, 0x01, 0x60, 0x01, 0x7b, 0x00);
  expect_fail(&b, TWINE_ERR_UNSUPPORTED, "SIMD not supported yet");
  free(b.d);

  /* more params than TW_MAX_PARAMS */
  b = module_start();
  buf c = {0};
  put_byte(&c, 0x01);
  put_byte(&c, 0x60);
  put_uleb(&c, TW_MAX_PARAMS + 1);
  for (unsigned i = 0; i <= TW_MAX_PARAMS; i++) put_byte(&c, 0x7f);
  put_byte(&c, 0x00);
  section(&b, 1, c.d, c.n);
  expect_fail(&b, TWINE_ERR_LIMIT, "too many params");
  free(c.d);
  free(b.d);
}

static void test_imports(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 1, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00);
  SEC(&b, 2, 0x04,
      /* "m" "f" func type 1 */
      0x01, 'm', 0x01, 'f', 0x00, 0x01,
      /* "m" "t" table funcref min 1 max 2 */
      0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x02,
      /* "m" "mem" memory min 1 */
      0x01, 'm', 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01,
      /* "" "g" global mut i64 */
      0x00, 0x01, 'g', 0x03, 0x7e, 0x01);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0x41, 0x05, 0x0b);
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nimports, 4);
  assert_int_equal(m->imports[0].kind, TW_EXT_FUNC);
  assert_int_equal(m->imports[0].desc.func_type, 1);
  assert_int_equal(m->imports[0].module.len, 1);
  assert_memory_equal(m->imports[2].name.ptr, "mem", 3);
  assert_int_equal(m->imports[1].desc.table.elem, TW_FUNCREF);
  assert_true(m->imports[1].desc.table.limits.has_max);
  assert_int_equal(m->imports[1].desc.table.limits.max, 2);
  assert_int_equal(m->imports[3].desc.global.type, TW_I64);
  assert_true(m->imports[3].desc.global.mut);
  assert_int_equal(m->imports[3].module.len, 0);
  /* index spaces: imports first */
  assert_int_equal(m->nfuncs, 2);
  assert_int_equal(m->nfunc_imports, 1);
  assert_int_equal(m->func_types[0], 1);
  assert_int_equal(m->func_types[1], 0);
  assert_int_equal(tw_module_func_type(m, 0)->nparams, 1);
  assert_int_equal(m->ntables, 1);
  assert_int_equal(m->ntable_imports, 1);
  assert_int_equal(m->tables[0].limits.min, 1);
  assert_int_equal(m->nmems, 1);
  assert_int_equal(m->nmem_imports, 1);
  assert_int_equal(m->nglobals, 2);
  assert_int_equal(m->nglobal_imports, 1);
  assert_int_equal(m->global_types[0].type, TW_I64);
  assert_int_equal(m->global_types[1].type, TW_I32);
  assert_false(m->globals[0].type.mut);
  assert_int_equal(m->globals[0].init.end - m->globals[0].init.start, 3);
  assert_int_equal(m->bytes[m->globals[0].init.end - 1], 0x0b);
  tw_module_free(m);
  free(b.d);

  /* imports only: index-space arrays still filled */
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 2, 0x02, 0x00, 0x01, 'f', 0x00, 0x00, 0x00, 0x01, 'g', 0x03, 0x7d,
      0x00);
  m = expect_ok(&b);
  assert_int_equal(m->nfuncs, 1);
  assert_non_null(m->func_types);
  assert_int_equal(m->func_types[0], 0);
  assert_int_equal(m->nglobals, 1);
  assert_int_equal(m->global_types[0].type, TW_F32);
  assert_null(m->funcs);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x00, 0x00, 0x04);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed import kind");
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x00, 0x00, 0x03, 0x7f, 0x02);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed mutability");
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x01, 0xc0, 0x00, 0x02, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed UTF-8 encoding");
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x00, 0x01, 0xed, 0xa0, 0x80, 0x02, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed UTF-8 encoding");
  free(b.d);

  /* type index out of range: invalid (module.h keeps them in range) */
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 2, 0x01, 0x00, 0x00, 0x00, 0x01);
  expect_fail(&b, TWINE_ERR_INVALID, "unknown type");
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x00, 0x00, 0x01, 0x6f, 0x00, 0x00);
  m = expect_ok(&b);
  assert_int_equal(m->tables[0].elem, TW_EXTERNREF);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 2, 0x01, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed reference type");
  free(b.d);
}

static void test_tables_memories_limits(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 4, 0x02, 0x70, 0x00, 0x0a, 0x6f, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
      0x0f);
  SEC(&b, 5, 0x01, 0x01, 0x01, 0x80, 0x80, 0x04);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->ntables, 2);
  assert_int_equal(m->tables[0].elem, TW_FUNCREF);
  assert_int_equal(m->tables[0].limits.min, 10);
  assert_false(m->tables[0].limits.has_max);
  assert_int_equal(m->tables[1].elem, TW_EXTERNREF);
  assert_int_equal(m->tables[1].limits.max, 0xffffffffu);
  assert_int_equal(m->mems[0].limits.min, 1);
  assert_int_equal(m->mems[0].limits.max, 65536);
  tw_module_free(m);
  free(b.d);

  /* shared (0x03) and memory64 (0x04) limits: not supported, malformed */
  b = module_start();
  SEC(&b, 5, 0x01, 0x03, 0x01, 0x02);
  expect_fail(&b, TWINE_ERR_MALFORMED, "not supported");
  free(b.d);
  b = module_start();
  SEC(&b, 5, 0x01, 0x04, 0x01);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer too large");
  free(b.d);
  b = module_start();
  SEC(&b, 5, 0x01, 0x81, 0x00, 0x01);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);
  b = module_start();
  SEC(&b, 4, 0x01, 0x70, 0x02, 0x01);
  expect_fail(&b, TWINE_ERR_MALFORMED, "limits flags");
  free(b.d);
}

static void test_exports_start(void **state) {
  (void)state;
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 7, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x00, 0x02, 0xc3, 0xa9, 0x03,
      0x07);
  SEC(&b, 8, 0x00);
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nexports, 2);
  assert_int_equal(m->exports[0].name.len, 3);
  assert_memory_equal(m->exports[0].name.ptr, "run", 3);
  assert_int_equal(m->exports[0].kind, TW_EXT_FUNC);
  assert_int_equal(m->exports[1].kind, TW_EXT_GLOBAL);
  assert_int_equal(m->exports[1].index, 7); /* ranges are the validator's */
  assert_true(m->has_start);
  assert_int_equal(m->start, 0);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 7, 0x01, 0x00, 0x04, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed export kind");
  free(b.d);

  b = module_start();
  SEC(&b, 8, 0x00);
  SEC(&b, 8, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected content after last section");
  free(b.d);
}

/* ---- constant expressions -------------------------------------------------- */

static void test_constexpr(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 6, 0x03,
      0x7f, 0x00, 0x41, 0x7f, 0x0b,             /* i32.const -1 */
      0x7c, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b, /* f64 1.0 */
      0x70, 0x00, 0xd0, 0x70, 0x0b);            /* ref.null func */
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nglobals, 3);
  assert_int_equal(m->globals[0].init.start, 13);
  assert_int_equal(m->globals[0].init.end, 16);
  assert_int_equal(m->bytes[m->globals[0].init.start], 0x41);
  assert_int_equal(m->globals[1].init.end - m->globals[1].init.start, 10);
  assert_true(m->globals[1].type.mut);
  assert_int_equal(m->globals[2].type.type, TW_FUNCREF);
  tw_module_free(m);
  free(b.d);

  /* syntax only: a block inside is kept whole for the validator */
  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0x02, 0x7f, 0x41, 0x00, 0x0b, 0x0b);
  m = expect_ok(&b);
  assert_int_equal(m->globals[0].init.end - m->globals[0].init.start, 6);
  tw_module_free(m);
  free(b.d);

  /* missing end */
  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0x41, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  free(b.d);

  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0xff, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "illegal opcode");
  assert_int_equal(last_err.offset, 13);
  free(b.d);

  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x00, 0x05, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "END opcode expected");
  free(b.d);

  b = module_start();
  SEC(&b, 6, 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed mutability");
  free(b.d);
}

/* ---- element and data segments ---------------------------------------------- */

static void test_elem_segments(void **state) {
  (void)state;
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 4, 0x02, 0x70, 0x00, 0x01, 0x6f, 0x00, 0x01);
  SEC(&b, 9, 0x08,
      /* 0: active table 0, offset, funcidx vec */
      0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x00,
      /* 1: passive, elemkind, funcidx vec */
      0x01, 0x00, 0x01, 0x00,
      /* 2: active table 1, offset, elemkind, funcidx vec */
      0x02, 0x01, 0x41, 0x01, 0x0b, 0x00, 0x00,
      /* 3: declarative, elemkind, funcidx vec */
      0x03, 0x00, 0x01, 0x00,
      /* 4: active table 0, offset, expr vec */
      0x04, 0x41, 0x00, 0x0b, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b,
      /* 5: passive, reftype, expr vec */
      0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,
      /* 6: active table 1, offset, reftype, expr vec */
      0x06, 0x01, 0x41, 0x02, 0x0b, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,
      /* 7: declarative, reftype, expr vec */
      0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b);
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nelems, 8);
  static const uint8_t modes[8] = {TW_SEG_ACTIVE, TW_SEG_PASSIVE, TW_SEG_ACTIVE,
                                   TW_SEG_DECLARATIVE, TW_SEG_ACTIVE,
                                   TW_SEG_PASSIVE, TW_SEG_ACTIVE,
                                   TW_SEG_DECLARATIVE};
  static const uint8_t types[8] = {TW_FUNCREF, TW_FUNCREF, TW_FUNCREF,
                                   TW_FUNCREF, TW_FUNCREF, TW_EXTERNREF,
                                   TW_EXTERNREF, TW_FUNCREF};
  static const uint32_t counts[8] = {2, 1, 0, 1, 2, 1, 1, 1};
  static const uint32_t tables[8] = {0, 0, 1, 0, 0, 0, 1, 0};
  for (int i = 0; i < 8; i++) {
    const tw_elem *e = &m->elems[i];
    assert_int_equal(e->mode, modes[i]);
    assert_int_equal(e->type, types[i]);
    assert_int_equal(e->count, counts[i]);
    if (e->mode == TW_SEG_ACTIVE) {
      assert_int_equal(e->table, tables[i]);
      assert_int_equal(m->bytes[e->offset.start], 0x41);
      assert_int_equal(m->bytes[e->offset.end - 1], 0x0b);
    }
    if (e->count) {
      if (i < 4) {
        assert_non_null(e->func_indices);
        assert_null(e->exprs);
      } else {
        assert_null(e->func_indices);
        assert_non_null(e->exprs);
      }
    }
  }
  assert_int_equal(m->elems[0].func_indices[1], 0);
  assert_int_equal(m->bytes[m->elems[4].exprs[0].start], 0xd2);
  assert_int_equal(m->bytes[m->elems[4].exprs[1].start], 0xd0);
  assert_int_equal(m->elems[4].exprs[1].end - m->elems[4].exprs[1].start, 3);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 9, 0x01, 0x08, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed elements segment kind");
  free(b.d);

  b = module_start();
  SEC(&b, 9, 0x01, 0x01, 0x01, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed element kind");
  free(b.d);

  b = module_start();
  SEC(&b, 9, 0x01, 0x05, 0x7f, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed reference type");
  free(b.d);

  b = module_start();
  SEC(&b, 9, 0x01, 0x05, 0x70, 0x01, 0xf3, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "illegal opcode");
  free(b.d);

  /* a segment that fails halfway is freed (ASan checks) */
  b = module_start();
  SEC(&b, 9, 0x02, 0x01, 0x00, 0x02, 0x00, 0x00, 0x05, 0x70, 0x02, 0xd0, 0x70,
      0x0b, 0xd0, 0x70);
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  free(b.d);
}

static void test_data_segments(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 5, 0x01, 0x00, 0x01);
  SEC(&b, 12, 0x03);
  SEC(&b, 11, 0x03,
      0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i',
      0x01, 0x03, 'a', 'b', 'c',
      0x02, 0x00, 0x41, 0x00, 0x0b, 0x00);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->ndatas, 3);
  assert_int_equal(m->datacount, 3);
  assert_int_equal(m->datas[0].mode, TW_SEG_ACTIVE);
  assert_int_equal(m->datas[0].memory, 0);
  assert_int_equal(m->bytes[m->datas[0].offset.start + 1], 0x08);
  assert_int_equal(m->datas[0].len, 2);
  assert_memory_equal(m->bytes + m->datas[0].start, "hi", 2);
  assert_int_equal(m->datas[1].mode, TW_SEG_PASSIVE);
  assert_memory_equal(m->bytes + m->datas[1].start, "abc", 3);
  assert_int_equal(m->datas[2].mode, TW_SEG_ACTIVE);
  assert_int_equal(m->datas[2].len, 0);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  SEC(&b, 11, 0x01, 0x03, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed data segment kind");
  free(b.d);

  b = module_start();
  SEC(&b, 11, 0x01, 0x01, 0x05, 'a', 'b');
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);

  b = module_start();
  SEC(&b, 11, 0x01, 0x01, 0x03, 'a', 'b');
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end of section or function");
  free(b.d);

  /* datacount / data count mismatch, and datacount without data section */
  b = module_start();
  SEC(&b, 12, 0x01);
  SEC(&b, 11, 0x02, 0x01, 0x00, 0x01, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED,
              "data count and data section have inconsistent lengths");
  free(b.d);
  b = module_start();
  SEC(&b, 12, 0x01);
  expect_fail(&b, TWINE_ERR_MALFORMED,
              "data count and data section have inconsistent lengths");
  free(b.d);
}

static void test_datacount_required(void **state) {
  (void)state;
  /* data.drop without datacount, with a data section: malformed */
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 5, 0x01, 0x00, 0x00);
  SEC(&b, 10, 0x01, 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b);
  SEC(&b, 11, 0x01, 0x01, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "data count section required");
  assert_int_equal(last_err.offset, 28);
  free(b.d);

  /* the same with a datacount section: fine */
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 5, 0x01, 0x00, 0x00);
  SEC(&b, 12, 0x01);
  SEC(&b, 10, 0x01, 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b);
  SEC(&b, 11, 0x01, 0x01, 0x00);
  tw_module *m = expect_ok(&b);
  tw_module_free(m);
  free(b.d);

  /* no data section at all: left to the validator ("unknown data segment") */
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x01, 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b);
  m = expect_ok(&b);
  assert_false(m->has_datacount);
  assert_int_equal(m->ndatas, 0);
  tw_module_free(m);
  free(b.d);
}

/* ---- code ----------------------------------------------------------------- */

static void test_code_bodies(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 1, 0x02, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f);
  SEC(&b, 2, 0x01, 0x00, 0x01, 'i', 0x00, 0x00);
  SEC(&b, 3, 0x02, 0x01, 0x00);
  SEC(&b, 10, 0x02,
      /* func 1: locals 2 i64, 1 f32; block/loop/if-else/br_table */
      0x1c, 0x02, 0x02, 0x7e, 0x01, 0x7d,
      0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x41,
      0x02, 0x0b, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
      /* func 2: empty */
      0x02, 0x00, 0x0b);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nfuncs, 3);
  assert_int_equal(m->nfunc_imports, 1);
  assert_int_equal(m->funcs[0].type, 1);
  assert_int_equal(m->func_types[1], 1);
  assert_int_equal(m->funcs[0].nlocals, 3);
  assert_int_equal(m->funcs[0].locals[0], TW_I64);
  assert_int_equal(m->funcs[0].locals[1], TW_I64);
  assert_int_equal(m->funcs[0].locals[2], TW_F32);
  assert_int_equal(m->bytes[m->funcs[0].code_start], 0x1c);
  assert_int_equal(m->funcs[0].body_start, m->funcs[0].code_start + 6);
  assert_int_equal(m->funcs[0].body_end, m->funcs[0].code_start + 1 + 0x1c);
  assert_int_equal(m->bytes[m->funcs[0].body_end - 1], 0x0b);
  assert_int_equal(m->funcs[1].nlocals, 0);
  assert_null(m->funcs[1].locals);
  assert_int_equal(m->funcs[1].code_start, m->funcs[0].body_end);
  assert_int_equal(m->funcs[1].body_end - m->funcs[1].body_start, 1);
  assert_int_equal(m->funcs[1].body_end, m->size);
  tw_module_free(m);
  free(b.d);
}

static void test_code_malformed(void **state) {
  (void)state;
  buf b;
#define ONE_BODY(...)                       \
  do {                                      \
    b = module_start();                     \
    HDR_TYPE_V_V(&b);                       \
    SEC(&b, 3, 0x01, 0x00);                 \
    SEC(&b, 5, 0x01, 0x00, 0x01);           \
    SEC(&b, 10, 0x01, __VA_ARGS__);         \
  } while (0)

  ONE_BODY(0x03, 0x00, 0x01, 0x01); /* missing end */
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end of section or function");
  assert_non_null(strstr(last_err.msg, "section 10 (code): function 0: "));
  free(b.d);

  ONE_BODY(0x04, 0x00, 0x0b, 0x01, 0x0b); /* code after the final end */
  expect_fail(&b, TWINE_ERR_MALFORMED, "section size mismatch");
  free(b.d);

  ONE_BODY(0x04, 0x00, 0x02, 0x40, 0x0b); /* block not closed */
  expect_fail(&b, TWINE_ERR_MALFORMED, "unexpected end");
  free(b.d);

  ONE_BODY(0x05, 0x00, 0x02, 0x40, 0x05, 0x0b); /* else in a block */
  expect_fail(&b, TWINE_ERR_MALFORMED, "END opcode expected");
  free(b.d);

  ONE_BODY(0x09, 0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b); /* 2 elses */
  expect_fail(&b, TWINE_ERR_MALFORMED, "END opcode expected");
  free(b.d);

  ONE_BODY(0x04, 0x00, 0x01, 0x05, 0x0b); /* else at function level */
  expect_fail(&b, TWINE_ERR_MALFORMED, "END opcode expected");
  free(b.d);

  ONE_BODY(0x08, 0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x0b, 0x0b); /* if/else ok */
  tw_module *m = expect_ok(&b);
  tw_module_free(m);
  free(b.d);

  ONE_BODY(0x03, 0x00, 0xff, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "illegal opcode");
  assert_int_equal(last_err.offset, 28);
  free(b.d);

  ONE_BODY(0x05, 0x00, 0xfc, 0x12, 0x0b, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "illegal opcode");
  free(b.d);

  ONE_BODY(0x06, 0x00, 0x41, 0x00, 0x40, 0x01, 0x0b); /* memory.grow 1 */
  expect_fail(&b, TWINE_ERR_MALFORMED, "zero byte expected");
  free(b.d);

  ONE_BODY(0x05, 0x00, 0xd0, 0x7f, 0x1a, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed reference type");
  free(b.d);

  ONE_BODY(0x09, 0x00, 0x0b); /* body size beyond the section */
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);

  ONE_BODY(0x0a, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "integer representation too long");
  free(b.d);

  /* SIMD: opcode prefix and v128 local */
  ONE_BODY(0x05, 0x00, 0xfd, 0x0c, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_UNSUPPORTED, "SIMD not supported yet");
  free(b.d);
  ONE_BODY(0x04, 0x01, 0x01, 0x7b, 0x0b);
  expect_fail(&b, TWINE_ERR_UNSUPPORTED, "SIMD not supported yet");
  free(b.d);
  ONE_BODY(0x04, 0x00, 0x02, 0x7b, 0x0b);
  expect_fail(&b, TWINE_ERR_UNSUPPORTED, "SIMD not supported yet");
  free(b.d);

  ONE_BODY(0x04, 0x01, 0x01, 0x40, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed value type");
  free(b.d);
#undef ONE_BODY
}

static void test_locals_limits(void **state) {
  (void)state;
  /* 0xFFFFFFFF + 2 locals */
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x01, 0x0a, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e,
      0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "too many locals");
  free(b.d);

  /* 4 * 2^30: wraps 32 bits */
  b = module_start();
  SEC(&b, 1, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x01, 0x1a, 0x04, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7f, 0x80, 0x80,
      0x80, 0x80, 0x04, 0x7e, 0x80, 0x80, 0x80, 0x80, 0x04, 0x7d, 0x80, 0x80,
      0x80, 0x80, 0x04, 0x7c, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "too many locals");
  free(b.d);

  /* params + locals: exactly TW_MAX_LOCALS is fine, one more is not */
  for (int extra = 0; extra < 2; extra++) {
    b = module_start();
    SEC(&b, 1, 0x01, 0x60, 0x01, 0x7f, 0x00);
    SEC(&b, 3, 0x01, 0x00);
    buf c = {0};
    put_byte(&c, 0x01);
    buf body = {0};
    put_byte(&body, 0x01);
    put_uleb(&body, TW_MAX_LOCALS - 1 + extra);
    put_byte(&body, 0x7c);
    put_byte(&body, 0x0b);
    put_uleb(&c, body.n);
    put(&c, body.d, body.n);
    section(&b, 10, c.d, c.n);
    if (extra) {
      expect_fail(&b, TWINE_ERR_MALFORMED, "too many locals");
    } else {
      tw_module *m = expect_ok(&b);
      assert_int_equal(m->funcs[0].nlocals, TW_MAX_LOCALS - 1);
      assert_int_equal(m->funcs[0].locals[TW_MAX_LOCALS - 2], TW_F64);
      tw_module_free(m);
    }
    free(c.d);
    free(body.d);
    free(b.d);
  }

  /* many small bodies that each declare the maximum: the module-wide
   * budget stops the expansion (6 bytes must not cost 50 KB each) */
  b = module_start();
  HDR_TYPE_V_V(&b);
  enum { NF = 400 };
  buf c = {0};
  put_uleb(&c, NF);
  for (int i = 0; i < NF; i++) put_byte(&c, 0x00);
  section(&b, 3, c.d, c.n);
  c.n = 0;
  put_uleb(&c, NF);
  for (int i = 0; i < NF; i++) RAW(&c, 0x06, 0x01, 0xd0, 0x86, 0x03, 0x7f, 0x0b);
  section(&b, 10, c.d, c.n);
  expect_fail(&b, TWINE_ERR_LIMIT, "too many locals in the module");
  free(c.d);
  free(b.d);
}

static void test_func_code_counts(void **state) {
  (void)state;
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x02, 0x00, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED,
              "function and code section have inconsistent lengths");
  free(b.d);

  b = module_start();
  SEC(&b, 10, 0x01, 0x02, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED,
              "function and code section have inconsistent lengths");
  free(b.d);

  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED,
              "function and code section have inconsistent lengths");
  free(b.d);

  b = module_start();
  SEC(&b, 3, 0x00);
  SEC(&b, 10, 0x00);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->nfuncs, 0);
  tw_module_free(m);
  free(b.d);

  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x01);
  expect_fail(&b, TWINE_ERR_INVALID, "unknown type 1");
  free(b.d);
}

/* ---- hostile counts -------------------------------------------------------- */

static void test_count_overflow(void **state) {
  (void)state;
  static const uint8_t ids[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11};
  for (size_t i = 0; i < sizeof ids; i++) {
    buf b = module_start();
    SEC(&b, 0, 0x00); /* only so that ids[i] has a preceding section */
    uint8_t content[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00,
                         0x00};
    section(&b, ids[i], content, sizeof content);
    expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
    free(b.d);
  }
  /* inside structures: param count, element items, name length, locals */
  buf b = module_start();
  SEC(&b, 1, 0x01, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);
  b = module_start();
  SEC(&b, 9, 0x01, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);
  b = module_start();
  SEC(&b, 7, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);
  b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x01, 0x00);
  SEC(&b, 10, 0x01, 0x07, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x0b);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);
  b = module_start();
  RAW(&b, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "length out of bounds");
  free(b.d);
}

/* ---- custom and name sections --------------------------------------------- */

static void test_custom_name_utf8(void **state) {
  (void)state;
  buf b = module_start();
  SEC(&b, 0, 0x02, 0xc3, 0x28, 0x00);
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed UTF-8 encoding");
  free(b.d);
  b = module_start();
  SEC(&b, 0, 0x04, 0xf4, 0x90, 0x80, 0x80); /* above U+10FFFF */
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed UTF-8 encoding");
  free(b.d);
  b = module_start();
  SEC(&b, 0, 0x02, 0xc0, 0x80); /* overlong */
  expect_fail(&b, TWINE_ERR_MALFORMED, "malformed UTF-8 encoding");
  free(b.d);
}

/* Module with 3 functions and a name section whose content is given. */
static buf names_module(const uint8_t *names, size_t n) {
  buf b = module_start();
  HDR_TYPE_V_V(&b);
  SEC(&b, 3, 0x03, 0x00, 0x00, 0x00);
  SEC(&b, 10, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b);
  buf c = {0};
  put_byte(&c, 4);
  put(&c, "name", 4);
  put(&c, names, n);
  section(&b, 0, c.d, c.n);
  free(c.d);
  return b;
}

static void test_name_section(void **state) {
  (void)state;
  static const uint8_t good[] = {
      0x00, 0x04, 0x03, 'm', 'o', 'd',                     /* module name */
      0x01, 0x0a, 0x02, 0x00, 0x02, 'f', '0', 0x02, 0x03, 'f', '2', 'x',
      0x02, 0x03, 0x01, 0x00, 0x00};                       /* local names */
  buf b = names_module(good, sizeof good);
  tw_module *m = expect_ok(&b);
  assert_int_equal(m->module_name.len, 3);
  assert_memory_equal(m->module_name.ptr, "mod", 3);
  assert_int_equal(m->nfuncnames, 2);
  const tw_name *n0 = tw_module_func_name(m, 0);
  assert_non_null(n0);
  assert_int_equal(n0->len, 2);
  assert_memory_equal(n0->ptr, "f0", 2);
  assert_null(tw_module_func_name(m, 1));
  const tw_name *n2 = tw_module_func_name(m, 2);
  assert_non_null(n2);
  assert_memory_equal(n2->ptr, "f2x", 3);
  assert_null(tw_module_func_name(m, 3));
  assert_int_equal(m->ncustoms, 1);
  assert_int_equal(m->customs[0].name.len, 4);
  /* names point into the module's own copy of the bytes */
  memset(b.d, 0, b.n);
  assert_memory_equal(n2->ptr, "f2x", 3);
  assert_true(n2->ptr >= (const char *)m->bytes &&
              n2->ptr < (const char *)m->bytes + m->size);
  tw_module_free(m);
  free(b.d);

  /* broken function names (bad UTF-8): module fine, module name kept */
  static const uint8_t bad_utf8[] = {0x00, 0x02, 0x01, 'm', 0x01, 0x05, 0x01,
                                     0x00, 0x02, 0xc3, 0x28};
  b = names_module(bad_utf8, sizeof bad_utf8);
  m = expect_ok(&b);
  assert_int_equal(m->module_name.len, 1);
  assert_int_equal(m->nfuncnames, 0);
  assert_null(tw_module_func_name(m, 0));
  tw_module_free(m);
  free(b.d);

  /* unsorted / duplicate / out-of-range indices: function names ignored */
  static const uint8_t unsorted[] = {0x01, 0x07, 0x02, 0x01, 0x01, 'b', 0x00,
                                     0x01, 'a'};
  static const uint8_t dup[] = {0x01, 0x07, 0x02, 0x01, 0x01, 'b', 0x01, 0x01,
                                'a'};
  static const uint8_t range[] = {0x01, 0x04, 0x01, 0x03, 0x01, 'x'};
  const uint8_t *cases[] = {unsorted, dup, range};
  size_t lens[] = {sizeof unsorted, sizeof dup, sizeof range};
  for (int i = 0; i < 3; i++) {
    b = names_module(cases[i], lens[i]);
    m = expect_ok(&b);
    assert_int_equal(m->nfuncnames, 0);
    assert_null(m->funcnames);
    tw_module_free(m);
    free(b.d);
  }

  /* truncated: subsection size beyond the section, huge counts, subsection
   * ids out of order, garbage after the names: never a failure */
  static const uint8_t trunc[] = {0x01, 0x30, 0x01, 0x00};
  static const uint8_t huge[] = {0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f};
  static const uint8_t order[] = {0x01, 0x04, 0x01, 0x00, 0x01, 'a',
                                  0x00, 0x02, 0x01, 'm'};
  static const uint8_t extra[] = {0x01, 0x05, 0x01, 0x00, 0x01, 'a', 0x7f};
  static const uint8_t badleb[] = {0x00, 0x80};
  const uint8_t *cases2[] = {trunc, huge, order, extra, badleb};
  size_t lens2[] = {sizeof trunc, sizeof huge, sizeof order, sizeof extra,
                    sizeof badleb};
  for (int i = 0; i < 5; i++) {
    b = names_module(cases2[i], lens2[i]);
    m = expect_ok(&b);
    assert_int_equal(m->module_name.len, 0);
    if (i == 2) {
      assert_int_equal(m->nfuncnames, 1); /* subsection 1 was fine */
    } else {
      assert_int_equal(m->nfuncnames, 0);
    }
    tw_module_free(m);
    free(b.d);
  }
}

static void test_free_null_and_copy(void **state) {
  (void)state;
  tw_module_free(NULL);
  assert_null(tw_module_func_name(NULL, 0));
  buf b = module_start();
  SEC(&b, 2, 0x01, 0x01, 'x', 0x01, 'y', 0x02, 0x00, 0x01);
  tw_module *m = expect_ok(&b);
  assert_ptr_not_equal(m->bytes, b.d);
  b.d[12] = 'Q';
  assert_int_equal(m->imports[0].module.ptr[0], 'x');
  tw_module_free(m);
  free(b.d);
  /* a NULL error pointer is allowed */
  buf bad = module_start();
  RAW(&bad, 0x0e);
  m = NULL;
  assert_int_equal(tw_wasm_decode(bad.d, bad.n, &m, NULL), TWINE_ERR_MALFORMED);
  assert_null(m);
  free(bad.d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_section_ids_and_order),
      cmocka_unit_test(test_section_sizes),
      cmocka_unit_test(test_leb128),
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_imports),
      cmocka_unit_test(test_tables_memories_limits),
      cmocka_unit_test(test_exports_start),
      cmocka_unit_test(test_constexpr),
      cmocka_unit_test(test_elem_segments),
      cmocka_unit_test(test_data_segments),
      cmocka_unit_test(test_datacount_required),
      cmocka_unit_test(test_code_bodies),
      cmocka_unit_test(test_code_malformed),
      cmocka_unit_test(test_locals_limits),
      cmocka_unit_test(test_func_code_counts),
      cmocka_unit_test(test_count_overflow),
      cmocka_unit_test(test_custom_name_utf8),
      cmocka_unit_test(test_name_section),
      cmocka_unit_test(test_free_null_and_copy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

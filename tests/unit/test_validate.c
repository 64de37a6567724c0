/*
 * test_validate.c - unit tests of the WebAssembly 2.0 validator.
 *
 * Modules are assembled from hex strings, one per section (the builder
 * adds section ids, sizes and code entry sizes), decoded with
 * tw_wasm_decode and then validated; each test asserts the status and the
 * spec's error category in the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/vec.h"
#include "wasm/module.h"

/* ---- module builder ----------------------------------------------------- */

typedef TW_VEC(uint8_t) bytes_t;

static void put(bytes_t *b, uint8_t x) { assert_true(TW_VEC_PUSH(b, x)); }

static void put_u32(bytes_t *b, uint32_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    put(b, (uint8_t)(v ? x | 0x80 : x));
  } while (v);
}

static void put_bytes(bytes_t *b, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) put(b, p[i]);
}

/* "7f 00 0b" -> bytes; whitespace is ignored. */
static void put_hex(bytes_t *b, const char *hex) {
  while (*hex) {
    if (*hex == ' ' || *hex == '\n') {
      hex++;
      continue;
    }
    unsigned x;
    assert_int_equal(sscanf(hex, "%2x", &x), 1);
    put(b, (uint8_t)x);
    hex += 2;
  }
}

/* Section contents as hex, vector counts included. `code` lists function
 * bodies (local declarations + instructions + end), NULL-terminated; the
 * builder adds the code section's count and each entry's size. A raw
 * `code_bin` body (bytes, length) is appended after them if set. */
typedef struct modspec {
  const char *type, *import, *func, *table, *mem, *global, *export_, *start,
      *elem, *datacount, *data;
  const char *code[12];
  const uint8_t *code_bin;
  size_t code_bin_len;
} modspec;

static void put_section(bytes_t *out, uint8_t id, const bytes_t *content) {
  put(out, id);
  put_u32(out, (uint32_t)content->len);
  put_bytes(out, content->data, content->len);
}

static void put_hex_section(bytes_t *out, uint8_t id, const char *hex) {
  if (!hex) return;
  bytes_t c = {0};
  put_hex(&c, hex);
  put_section(out, id, &c);
  TW_VEC_FREE(&c);
}

static bytes_t build(const modspec *s) {
  bytes_t b = {0};
  put_hex(&b, "00 61 73 6d 01 00 00 00");
  put_hex_section(&b, 1, s->type);
  put_hex_section(&b, 2, s->import);
  put_hex_section(&b, 3, s->func);
  put_hex_section(&b, 4, s->table);
  put_hex_section(&b, 5, s->mem);
  put_hex_section(&b, 6, s->global);
  put_hex_section(&b, 7, s->export_);
  put_hex_section(&b, 8, s->start);
  put_hex_section(&b, 9, s->elem);
  put_hex_section(&b, 12, s->datacount);
  uint32_t n = 0;
  while (n < 12 && s->code[n]) n++;
  if (n || s->code_bin) {
    bytes_t c = {0};
    put_u32(&c, n + (s->code_bin ? 1 : 0));
    for (uint32_t i = 0; i < n; i++) {
      bytes_t body = {0};
      put_hex(&body, s->code[i]);
      put_u32(&c, (uint32_t)body.len);
      put_bytes(&c, body.data, body.len);
      TW_VEC_FREE(&body);
    }
    if (s->code_bin) {
      put_u32(&c, (uint32_t)s->code_bin_len);
      put_bytes(&c, s->code_bin, s->code_bin_len);
    }
    put_section(&b, 10, &c);
    TW_VEC_FREE(&c);
  }
  put_hex_section(&b, 11, s->data);
  return b;
}

static tw_err last_err;

/* Decode (must succeed) and validate; the module is kept in *out if asked. */
static twine_status_t validate_spec(const modspec *s, tw_module **out) {
  bytes_t b = build(s);
  tw_module *m = NULL;
  memset(&last_err, 0, sizeof last_err);
  twine_status_t ds = tw_wasm_decode(b.data, b.len, &m, &last_err);
  TW_VEC_FREE(&b);
  if (ds != TWINE_OK) fail_msg("decode failed (%d): %s", ds, last_err.msg);
  twine_status_t vs = tw_wasm_validate(m, &last_err);
  if (out)
    *out = m;
  else
    tw_module_free(m);
  return vs;
}

static void expect_valid(const modspec *s) {
  twine_status_t st = validate_spec(s, NULL);
  if (st != TWINE_OK) fail_msg("expected valid, got %d: %s", st, last_err.msg);
}

static void expect_status(const modspec *s, twine_status_t want,
                          const char *text) {
  twine_status_t st = validate_spec(s, NULL);
  if (st != want)
    fail_msg("expected status %d (\"%s\"), got %d: %s", want, text, st,
             st ? last_err.msg : "");
  if (!strstr(last_err.msg, text))
    fail_msg("expected \"%s\" in \"%s\"", text, last_err.msg);
}

static void expect_invalid(const modspec *s, const char *text) {
  expect_status(s, TWINE_ERR_INVALID, text);
}

/* Common shapes. Types: 0 = [] -> [], 1 = [] -> [i32], 2 = [i32] -> [i32],
 * 3 = [i32 i32] -> [i32 i32], 4 = [] -> [i32 i64],
 * 5 = [] -> [i32 x 9, i64]. */
#define TYPES                                                            \
  "06 60 00 00  60 00 01 7f  60 01 7f 01 7f  60 02 7f 7f 02 7f 7f "      \
  "60 00 02 7f 7e  60 00 0a 7f 7f 7f 7f 7f 7f 7f 7f 7f 7e"

/* One function of type `t` (a hex type index) with body `b`. */
#define FUNC(t, b) .type = TYPES, .func = "01 " t, .code = {b}

/* ---- module-level rules ------------------------------------------------- */

static void test_minimal(void **state) {
  (void)state;
  modspec empty = {0};
  expect_valid(&empty);
  modspec f = {FUNC("00", "00 0b")};
  expect_valid(&f);
}

static void test_table_limits(void **state) {
  (void)state;
  modspec ok = {.table = "01 70 01 00 ff ff ff ff 0f"};
  expect_valid(&ok);
  modspec bad = {.table = "01 70 01 02 01"};
  expect_invalid(&bad, "size minimum must not be greater than maximum");
  modspec bad2 = {.table = "01 6f 01 ff ff ff ff 0f 00"};
  expect_invalid(&bad2, "size minimum must not be greater than maximum");
  /* several tables are fine in 2.0 */
  modspec two = {.table = "02 70 00 00 6f 00 00"};
  expect_valid(&two);
}

static void test_memory_limits(void **state) {
  (void)state;
  modspec ok = {.mem = "01 01 00 80 80 04"}; /* 0..65536 pages */
  expect_valid(&ok);
  modspec big = {.mem = "01 00 81 80 04"}; /* min 65537 */
  expect_invalid(&big, "memory size must be at most 65536 pages (4GiB)");
  modspec bigmax = {.mem = "01 01 00 ff ff ff ff 0f"};
  expect_invalid(&bigmax, "memory size must be at most 65536 pages (4GiB)");
  modspec minmax = {.mem = "01 01 02 01"};
  expect_invalid(&minmax, "size minimum must not be greater than maximum");
  modspec two = {.mem = "02 00 00 00 00"};
  expect_invalid(&two, "multiple memories");
  modspec imp_and_def = {
      .import = "01 01 6d 01 6e 02 00 00", /* "m" "n" memory min 0 */
      .mem = "01 00 00"};
  expect_invalid(&imp_and_def, "multiple memories");
  modspec imp_big = {.import = "01 01 6d 01 6e 02 00 81 80 04"};
  expect_invalid(&imp_big, "memory size must be at most 65536 pages");
  modspec imp_tab = {.import = "01 01 6d 01 6e 01 70 01 03 02"};
  expect_invalid(&imp_tab, "size minimum must not be greater than maximum");
}

static void test_global_init(void **state) {
  (void)state;
  /* imports: g0 = immutable i32, g1 = mutable i32 */
  const char *imp = "02 01 6d 01 61 03 7f 00  01 6d 01 62 03 7f 01";
  modspec ok = {.import = imp, .global = "02 7f 00 23 00 0b  7e 01 42 05 0b"};
  expect_valid(&ok);
  modspec ref = {.global = "02 70 00 d0 70 0b  6f 01 d0 6f 0b"};
  expect_valid(&ref);
  modspec wrong_type = {.global = "01 7f 00 43 00 00 00 00 0b"};
  expect_invalid(&wrong_type, "type mismatch");
  modspec two_vals = {.global = "01 7f 00 41 00 41 00 0b"};
  expect_invalid(&two_vals, "type mismatch");
  modspec empty = {.global = "01 7f 00 0b"};
  expect_invalid(&empty, "type mismatch");
  modspec not_const = {.global = "01 7f 00 41 00 68 0b"}; /* i32.ctz */
  expect_invalid(&not_const, "constant expression required");
  modspec nop = {.global = "01 7f 00 41 00 01 0b"};
  expect_invalid(&nop, "constant expression required");
  modspec mut_imp = {.import = imp, .global = "01 7f 00 23 01 0b"};
  expect_invalid(&mut_imp, "constant expression required");
  /* only imported globals are visible in constant expressions */
  modspec defined = {.global = "02 7f 00 41 00 0b  7f 00 23 00 0b"};
  expect_invalid(&defined, "unknown global 0");
  modspec beyond = {.import = imp, .global = "01 7f 00 23 02 0b"};
  expect_invalid(&beyond, "unknown global 2");
  modspec ref_mismatch = {.global = "01 70 00 d0 6f 0b"};
  expect_invalid(&ref_mismatch, "type mismatch");
  modspec bad_func = {.global = "01 70 00 d2 07 0b"};
  expect_invalid(&bad_func, "unknown function 7");
}

static void test_exports(void **state) {
  (void)state;
  modspec ok = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                .mem = "01 00 00", .global = "01 7f 01 41 00 0b",
                .export_ = "04 01 61 00 00  01 62 01 00  01 63 02 00  "
                           "01 64 03 00"};
  expect_valid(&ok);
  modspec dup = {FUNC("00", "00 0b"), .export_ = "03 01 61 00 00  01 62 00 "
                                                 "00  01 61 00 00"};
  expect_invalid(&dup, "duplicate export name");
  /* same name, different kinds: still a duplicate */
  modspec dup_kind = {FUNC("00", "00 0b"), .mem = "01 00 00",
                      .export_ = "02 00 00 00  00 02 00"};
  expect_invalid(&dup_kind, "duplicate export name");
  modspec prefix = {FUNC("00", "00 0b"), .export_ = "02 01 61 00 00  02 61 "
                                                    "61 00 00"};
  expect_valid(&prefix);
  modspec f = {FUNC("00", "00 0b"), .export_ = "01 01 61 00 01"};
  expect_invalid(&f, "unknown function 1");
  modspec t = {.export_ = "01 01 61 01 00"};
  expect_invalid(&t, "unknown table 0");
  modspec m = {.export_ = "01 01 61 02 00"};
  expect_invalid(&m, "unknown memory 0");
  modspec g = {.export_ = "01 01 61 03 00"};
  expect_invalid(&g, "unknown global 0");
}

static void test_start(void **state) {
  (void)state;
  modspec ok = {FUNC("00", "00 0b"), .start = "00"};
  expect_valid(&ok);
  modspec res = {FUNC("01", "00 41 00 0b"), .start = "00"};
  expect_invalid(&res, "start function");
  modspec par = {FUNC("02", "00 20 00 0b"), .start = "00"};
  expect_invalid(&par, "start function");
  modspec unknown = {FUNC("00", "00 0b"), .start = "01"};
  expect_invalid(&unknown, "unknown function 1");
}

static void test_elem_segments(void **state) {
  (void)state;
  /* active, funcref table 0, func indices */
  modspec ok = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                .elem = "01 00 41 00 0b 01 00"};
  expect_valid(&ok);
  /* passive with expressions, declarative, active table 1 of externref */
  modspec many = {FUNC("00", "00 0b"), .table = "02 70 00 00 6f 00 00",
                  .elem = "03 05 70 02 d2 00 0b d0 70 0b  03 00 01 00  "
                          "06 01 41 00 0b 6f 01 d0 6f 0b"};
  expect_valid(&many);
  modspec no_table = {FUNC("00", "00 0b"), .elem = "01 00 41 00 0b 01 00"};
  expect_invalid(&no_table, "unknown table 0");
  modspec table1 = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                    .elem = "01 02 01 41 00 0b 00 01 00"};
  expect_invalid(&table1, "unknown table 1");
  modspec extern_tab = {FUNC("00", "00 0b"), .table = "01 6f 00 00",
                        .elem = "01 00 41 00 0b 01 00"};
  expect_invalid(&extern_tab, "type mismatch");
  modspec off_type = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                      .elem = "01 00 42 00 0b 01 00"};
  expect_invalid(&off_type, "type mismatch");
  modspec off_const = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                       .elem = "01 00 41 00 41 00 6a 0b 01 00"};
  expect_invalid(&off_const, "constant expression required");
  modspec bad_func = {FUNC("00", "00 0b"), .table = "01 70 00 00",
                      .elem = "01 00 41 00 0b 01 05"};
  expect_invalid(&bad_func, "unknown function 5");
  modspec item_type = {FUNC("00", "00 0b"),
                       .elem = "01 05 70 01 d0 6f 0b"};
  expect_invalid(&item_type, "type mismatch");
  modspec item_const = {FUNC("00", "00 0b"),
                        .elem = "01 05 70 01 41 00 0b"};
  expect_invalid(&item_const, "type mismatch");
}

static void test_data_segments(void **state) {
  (void)state;
  modspec ok = {.mem = "01 00 01", .data = "02 00 41 00 0b 01 61  01 00"};
  expect_valid(&ok);
  modspec no_mem = {.data = "01 00 41 00 0b 00"};
  expect_invalid(&no_mem, "unknown memory 0");
  modspec mem1 = {.mem = "01 00 01", .data = "01 02 01 41 00 0b 00"};
  expect_invalid(&mem1, "unknown memory 1");
  modspec off = {.mem = "01 00 01", .data = "01 00 42 00 0b 00"};
  expect_invalid(&off, "type mismatch");
  modspec mut = {.import = "01 01 6d 01 67 03 7f 01", .mem = "01 00 01",
                 .data = "01 00 23 00 0b 00"};
  expect_invalid(&mut, "constant expression required");
  modspec imp = {.import = "01 01 6d 01 67 03 7f 00", .mem = "01 00 01",
                 .data = "01 00 23 00 0b 00"};
  expect_valid(&imp);
}

/* ---- function bodies ---------------------------------------------------- */

static void test_numeric(void **state) {
  (void)state;
  modspec ok = {FUNC("02", "00 20 00 41 01 6a 0b")};
  expect_valid(&ok);
  modspec conv = {FUNC("01", "00 42 01 a7 43 00 00 80 3f fc 00 6a c0 0b")};
  expect_valid(&conv);
  modspec mismatch = {FUNC("01", "00 41 01 42 01 6a 0b")};
  expect_invalid(&mismatch, "type mismatch");
  modspec empty = {FUNC("01", "00 41 01 6a 0b")};
  expect_invalid(&empty, "type mismatch");
  modspec missing_result = {FUNC("01", "00 0b")};
  expect_invalid(&missing_result, "type mismatch");
  modspec extra = {FUNC("00", "00 41 00 0b")};
  expect_invalid(&extra, "type mismatch");
  modspec wrong_result = {FUNC("01", "00 42 00 0b")};
  expect_invalid(&wrong_result, "type mismatch");
  /* error context: function index and offset */
  modspec ctx = {FUNC("01", "00 41 01 42 01 6a 0b")};
  assert_int_equal(validate_spec(&ctx, NULL), TWINE_ERR_INVALID);
  assert_non_null(strstr(last_err.msg, "function 0 at offset 0x"));
  assert_true(last_err.offset != SIZE_MAX && last_err.offset > 8);
}

static void test_blocks(void **state) {
  (void)state;
  /* block (result i32) i32.const 1 end */
  modspec ok = {FUNC("01", "00 02 7f 41 01 0b 0b")};
  expect_valid(&ok);
  /* multi-value: i32.const 1 i32.const 2 block (type 3) end drop */
  modspec mv = {FUNC("01", "00 41 01 41 02 02 03 0b 1a 0b")};
  expect_valid(&mv);
  /* block type 4: [] -> [i32 i64] */
  modspec mv2 = {FUNC("01", "00 02 04 41 01 42 02 0b 1a 0b")};
  expect_valid(&mv2);
  modspec extra = {FUNC("00", "00 02 40 41 01 0b 0b")};
  expect_invalid(&extra, "type mismatch");
  modspec wrong = {FUNC("01", "00 02 7f 42 01 0b 0b")};
  expect_invalid(&wrong, "type mismatch");
  modspec missing_param = {FUNC("01", "00 41 01 02 03 0b 1a 0b")};
  expect_invalid(&missing_param, "type mismatch");
  /* the block cannot see operands of the enclosing block */
  modspec outside = {FUNC("01", "00 41 01 02 7f 0b 0b")};
  expect_invalid(&outside, "type mismatch");
  modspec unknown_type = {FUNC("00", "00 02 09 0b 0b")};
  expect_invalid(&unknown_type, "unknown type 9");
  /* loop (type 2): params i32; br 0 needs the params */
  modspec loop = {FUNC("01", "00 41 00 03 02 0d 00 41 00 0b 0b")};
  expect_invalid(&loop, "type mismatch");
  modspec loop_ok = {FUNC("01", "00 41 00 03 02 41 01 0d 00 0b 0b")};
  expect_valid(&loop_ok);
}

static void test_if(void **state) {
  (void)state;
  modspec ok = {FUNC("01", "00 41 01 04 7f 41 02 05 41 03 0b 0b")};
  expect_valid(&ok);
  modspec no_cond = {FUNC("00", "00 04 40 0b 0b")};
  expect_invalid(&no_cond, "type mismatch");
  modspec cond_type = {FUNC("00", "00 42 00 04 40 0b 0b")};
  expect_invalid(&cond_type, "type mismatch");
  /* if (result i32) without else */
  modspec no_else = {FUNC("01", "00 41 01 04 7f 41 02 0b 0b")};
  expect_invalid(&no_else, "type mismatch");
  /* if (type 2) [i32] -> [i32] without else is fine */
  modspec same = {FUNC("01", "00 41 05 41 01 04 02 0b 0b")};
  expect_valid(&same);
  modspec else_branch = {FUNC("01", "00 41 01 04 7f 41 02 05 42 03 0b 0b")};
  expect_invalid(&else_branch, "type mismatch");
}

static void test_branches(void **state) {
  (void)state;
  modspec br = {FUNC("01", "00 02 7f 41 01 0c 00 0b 0b")};
  expect_valid(&br);
  /* br to the function label acts like return; dead code after */
  modspec br_fn = {FUNC("01", "00 41 01 0c 00 6a 0b")};
  expect_valid(&br_fn);
  modspec label = {FUNC("00", "00 0c 01 0b")};
  expect_invalid(&label, "unknown label 1");
  modspec br_if = {FUNC("01", "00 02 7f 41 01 41 00 0d 00 0b 0b")};
  expect_valid(&br_if);
  modspec br_if_cond = {FUNC("01", "00 02 7f 41 01 0d 00 0b 0b")};
  expect_invalid(&br_if_cond, "type mismatch");
  modspec br_if_label = {FUNC("00", "00 41 00 0d 02 0b")};
  expect_invalid(&br_if_label, "unknown label 2");
  /* br_table 0 1 (default 1) with i32 result on both labels */
  modspec bt = {FUNC("01", "00 02 7f 41 07 41 00 0e 02 00 01 01 0b 0b")};
  expect_valid(&bt);
  /* arity mismatch between targets: block (result i32) vs block [] */
  modspec bt_arity = {
      FUNC("00", "00 02 40 02 7f 41 07 41 00 0e 01 00 01 0b 1a 0b 0b")};
  expect_invalid(&bt_arity, "type mismatch");
  /* same arity, different types */
  modspec bt_types = {FUNC(
      "00", "00 02 7e 02 7f 41 07 41 00 0e 01 00 01 0b 1a 42 00 0b 1a 0b")};
  expect_invalid(&bt_types, "type mismatch");
  /* a non-default target that does not match (the default does) */
  modspec bt_target = {FUNC(
      "00", "00 02 7e 02 7f 41 07 41 00 0e 01 01 00 0b 1a 42 00 0b 1a 0b")};
  expect_invalid(&bt_target, "type mismatch");
  modspec bt_target_unreach = {FUNC(
      "00", "00 02 7e 02 7f 00 41 07 41 00 0e 02 00 01 00 0b 1a 42 00 0b 1a "
            "0b")};
  expect_invalid(&bt_target_unreach, "type mismatch");
  modspec bt_label = {FUNC("00", "00 41 00 0e 01 00 05 0b")};
  expect_invalid(&bt_label, "unknown label 5");
  modspec bt_label2 = {FUNC("00", "00 41 00 0e 01 05 00 0b")};
  expect_invalid(&bt_label2, "unknown label 5");
  /* in unreachable code br_table targets with different types are fine
   * as long as the arities agree */
  modspec bt_unreach = {FUNC(
      "00", "00 02 7e 02 7f 00 0e 01 00 01 0b 1a 42 00 0b 1a 0b")};
  expect_valid(&bt_unreach);
  /* br_table in unreachable code over long label types: the stack holds
   * an Unknown (from select) under concrete values */
#define BT10(vals)                                                       \
  "00 02 05 02 05 00 1b " vals " 41 00 0e 01 00 01 0b 0c 00 0b "         \
  "1a 1a 1a 1a 1a 1a 1a 1a 1a 1a 0b"
  modspec long_ok = {FUNC("00", BT10("41 00 41 00 41 00 41 00 41 00 41 00 "
                                     "41 00 41 00 42 00"))};
  expect_valid(&long_ok);
  modspec long_bad_mid = {FUNC(
      "00", BT10("41 00 42 00 41 00 41 00 41 00 41 00 41 00 41 00 42 00"))};
  expect_invalid(&long_bad_mid, "type mismatch");
  modspec long_bad_tail = {FUNC(
      "00", BT10("41 00 41 00 41 00 41 00 41 00 41 00 41 00 42 00 42 00"))};
  expect_invalid(&long_bad_tail, "type mismatch");
  modspec long_bad_top = {FUNC(
      "00", BT10("41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00"))};
  expect_invalid(&long_bad_top, "type mismatch");
#undef BT10
  modspec ret = {FUNC("01", "00 41 01 0f 0b")};
  expect_valid(&ret);
  modspec ret_bad = {FUNC("01", "00 42 01 0f 0b")};
  expect_invalid(&ret_bad, "type mismatch");
}

static void test_unreachable_code(void **state) {
  (void)state;
  modspec poly = {FUNC("01", "00 00 6a 0b")};
  expect_valid(&poly);
  modspec after_br = {FUNC("01", "00 41 00 0c 00 1b 0b")}; /* select of unknowns */
  expect_valid(&after_br);
  modspec still_typed = {FUNC("01", "00 00 42 00 6a 0b")};
  expect_invalid(&still_typed, "type mismatch");
  modspec ref_is_null = {FUNC("01", "00 00 d1 0b")};
  expect_valid(&ref_is_null);
  /* values pushed after unreachable are checked at end */
  modspec too_many = {FUNC("01", "00 00 41 00 41 00 0b")};
  expect_invalid(&too_many, "type mismatch");
  /* unreachable in a block does not make the outer code polymorphic */
  modspec nested = {FUNC("01", "00 02 40 00 0b 6a 0b")};
  expect_invalid(&nested, "type mismatch");
}

static void test_calls(void **state) {
  (void)state;
  /* func 0: [i32] -> [i32]; func 1 calls it */
  modspec ok = {.type = TYPES, .func = "02 02 01",
                .code = {"00 20 00 0b", "00 41 01 10 00 0b"}};
  expect_valid(&ok);
  modspec args = {.type = TYPES, .func = "02 02 01",
                  .code = {"00 20 00 0b", "00 42 01 10 00 0b"}};
  expect_invalid(&args, "type mismatch");
  modspec unknown = {FUNC("00", "00 10 03 0b")};
  expect_invalid(&unknown, "unknown function 3");
  /* call an imported function */
  modspec imp = {.type = TYPES, .import = "01 01 6d 01 66 00 02",
                 .func = "01 01", .code = {"00 41 01 10 00 0b"}};
  expect_valid(&imp);
  /* call_indirect (type 2) table 0 */
  modspec ci = {FUNC("01", "00 41 01 41 00 11 02 00 0b"),
                .table = "01 70 00 00"};
  expect_valid(&ci);
  modspec ci_no_table = {FUNC("01", "00 41 01 41 00 11 02 00 0b")};
  expect_invalid(&ci_no_table, "unknown table 0");
  modspec ci_extern = {FUNC("01", "00 41 01 41 00 11 02 00 0b"),
                       .table = "01 6f 00 00"};
  expect_invalid(&ci_extern, "type mismatch");
  modspec ci_type = {FUNC("01", "00 41 01 41 00 11 0a 00 0b"),
                     .table = "01 70 00 00"};
  expect_invalid(&ci_type, "unknown type 10");
  modspec ci_index = {FUNC("01", "00 41 01 11 02 00 0b"),
                      .table = "01 70 00 00"};
  expect_invalid(&ci_index, "type mismatch");
}

static void test_select(void **state) {
  (void)state;
  modspec ok = {FUNC("01", "00 41 01 41 02 41 00 1b 0b")};
  expect_valid(&ok);
  modspec mixed = {FUNC("01", "00 41 01 42 02 41 00 1b 0b")};
  expect_invalid(&mixed, "type mismatch");
  modspec refs = {FUNC("00", "00 d0 70 d0 70 41 00 1b 1a 0b")};
  expect_invalid(&refs, "type mismatch");
  modspec typed_ref = {FUNC("00", "00 d0 70 d0 70 41 00 1c 01 70 1a 0b")};
  expect_valid(&typed_ref);
  modspec typed_bad = {FUNC("00", "00 d0 70 d0 6f 41 00 1c 01 70 1a 0b")};
  expect_invalid(&typed_bad, "type mismatch");
  modspec arity2 = {FUNC("00", "00 41 00 41 00 41 00 41 00 41 01 1c 02 7f 7f "
                               "1a 1a 0b")};
  expect_invalid(&arity2, "invalid result arity");
  modspec arity0 = {FUNC("00", "00 41 01 1c 00 0b")};
  expect_invalid(&arity0, "invalid result arity");
}

static void test_locals_globals(void **state) {
  (void)state;
  /* one declared i64 local after the i32 param */
  modspec ok = {FUNC("02", "01 01 7e 42 05 21 01 20 00 22 00 0b")};
  expect_valid(&ok);
  modspec unknown = {FUNC("02", "01 01 7e 20 02 0b")};
  expect_invalid(&unknown, "unknown local 2");
  modspec set_type = {FUNC("02", "01 01 7e 41 05 21 01 20 00 0b")};
  expect_invalid(&set_type, "type mismatch");
  modspec tee = {FUNC("02", "01 01 7e 42 05 22 01 1a 20 00 0b")};
  expect_valid(&tee);
  modspec g = {FUNC("00", "00 23 00 24 00 0b"), .global = "01 7f 01 41 00 0b"};
  expect_valid(&g);
  modspec imm = {FUNC("00", "00 41 01 24 00 0b"),
                 .global = "01 7f 00 41 00 0b"};
  expect_invalid(&imm, "global is immutable");
  modspec imm_imp = {.type = TYPES, .import = "01 01 6d 01 67 03 7f 00",
                     .func = "01 00", .code = {"00 41 01 24 00 0b"}};
  expect_invalid(&imm_imp, "global is immutable");
  modspec unknown_g = {FUNC("00", "00 23 01 1a 0b"),
                       .global = "01 7f 01 41 00 0b"};
  expect_invalid(&unknown_g, "unknown global 1");
  modspec gtype = {FUNC("00", "00 42 01 24 00 0b"),
                   .global = "01 7f 01 41 00 0b"};
  expect_invalid(&gtype, "type mismatch");
}

static void test_memory_instrs(void **state) {
  (void)state;
  modspec ok = {FUNC("01", "00 41 00 41 07 36 02 04 41 00 28 02 00 3f 00 6a "
                           "40 00 0b"),
                .mem = "01 00 01"};
  expect_valid(&ok);
  modspec no_mem = {FUNC("01", "00 41 00 28 02 00 0b")};
  expect_invalid(&no_mem, "unknown memory 0");
  modspec no_mem_store = {FUNC("00", "00 41 00 41 00 3a 00 00 0b")};
  expect_invalid(&no_mem_store, "unknown memory");
  modspec size = {FUNC("01", "00 3f 00 0b")};
  expect_invalid(&size, "unknown memory");
  modspec grow = {FUNC("01", "00 41 00 40 00 0b")};
  expect_invalid(&grow, "unknown memory");
  modspec align = {FUNC("01", "00 41 00 28 03 00 0b"), .mem = "01 00 01"};
  expect_invalid(&align, "alignment must not be larger than natural");
  modspec align8 = {FUNC("01", "00 41 00 2d 01 00 0b"), .mem = "01 00 01"};
  expect_invalid(&align8, "alignment must not be larger than natural");
  modspec align_small = {FUNC("01", "00 41 00 28 00 00 0b"),
                         .mem = "01 00 01"};
  expect_valid(&align_small);
  modspec addr = {FUNC("01", "00 42 00 28 02 00 0b"), .mem = "01 00 01"};
  expect_invalid(&addr, "type mismatch");
  modspec value = {FUNC("00", "00 41 00 42 00 36 02 00 0b"),
                   .mem = "01 00 01"};
  expect_invalid(&value, "type mismatch");
}

static void test_bulk_memory(void **state) {
  (void)state;
  const char *ops = "00 41 00 41 00 41 00 fc 08 00 00  fc 09 00 "
                    "41 00 41 00 41 00 fc 0a 00 00  41 00 41 00 41 00 "
                    "fc 0b 00 0b";
  modspec ok = {FUNC("00", ops), .mem = "01 00 01", .datacount = "01",
                .data = "01 01 01 61"};
  expect_valid(&ok);
  modspec no_mem_copy = {FUNC("00", "00 41 00 41 00 41 00 fc 0a 00 00 0b")};
  expect_invalid(&no_mem_copy, "unknown memory 0");
  modspec no_mem_fill = {FUNC("00", "00 41 00 41 00 41 00 fc 0b 00 0b")};
  expect_invalid(&no_mem_fill, "unknown memory 0");
  modspec bad_seg = {
      FUNC("00", "00 41 00 41 00 41 00 fc 08 01 00 0b"),
      .mem = "01 00 01", .datacount = "01", .data = "01 01 01 61"};
  expect_invalid(&bad_seg, "unknown data segment 1");
  modspec drop = {FUNC("00", "00 fc 09 01 0b"), .mem = "01 00 01",
                  .datacount = "01", .data = "01 01 01 61"};
  expect_invalid(&drop, "unknown data segment 1");
  /* memory is checked before the segment */
  modspec init_no_mem = {FUNC("00", "00 41 00 41 00 41 00 fc 08 01 00 0b"),
                         .datacount = "01", .data = "01 01 00"};
  expect_invalid(&init_no_mem, "unknown memory 0");
  modspec operand = {FUNC("00", "00 41 00 41 00 42 00 fc 0b 00 0b"),
                     .mem = "01 00 01"};
  expect_invalid(&operand, "type mismatch");
}

static void test_tables(void **state) {
  (void)state;
  /* table 0 funcref, table 1 externref; elem 0 passive funcref */
  const char *tabs = "02 70 00 00 6f 00 00";
  const char *elem = "01 05 70 01 d0 70 0b";
  modspec ok = {FUNC("00",
                     "00 41 00 25 00 1a "                    /* table.get 0 */
                     "41 00 d0 6f 26 01 "                    /* table.set 1 */
                     "fc 10 01 1a "                          /* table.size 1 */
                     "d0 70 41 01 fc 0f 00 1a "              /* table.grow 0 */
                     "41 00 d0 6f 41 01 fc 11 01 "           /* table.fill 1 */
                     "41 00 41 00 41 00 fc 0e 00 00 "        /* table.copy */
                     "41 00 41 00 41 00 fc 0c 00 00 "        /* table.init */
                     "fc 0d 00 0b"),                         /* elem.drop 0 */
                .table = tabs, .elem = elem};
  expect_valid(&ok);
  modspec get_none = {FUNC("00", "00 41 00 25 02 1a 0b"), .table = tabs};
  expect_invalid(&get_none, "unknown table 2");
  modspec set_type = {FUNC("00", "00 41 00 d0 70 26 01 0b"), .table = tabs};
  expect_invalid(&set_type, "type mismatch");
  modspec grow_type = {FUNC("00", "00 d0 6f 41 01 fc 0f 00 1a 0b"),
                       .table = tabs};
  expect_invalid(&grow_type, "type mismatch");
  modspec copy_types = {FUNC("00", "00 41 00 41 00 41 00 fc 0e 00 01 0b"),
                        .table = tabs};
  expect_invalid(&copy_types, "type mismatch");
  modspec init_types = {FUNC("00", "00 41 00 41 00 41 00 fc 0c 00 01 0b"),
                        .table = tabs, .elem = elem};
  expect_invalid(&init_types, "type mismatch");
  modspec init_seg = {FUNC("00", "00 41 00 41 00 41 00 fc 0c 03 00 0b"),
                      .table = tabs, .elem = elem};
  expect_invalid(&init_seg, "unknown elem segment 3");
  /* table is checked before the segment */
  modspec init_no_table = {
      FUNC("00", "00 41 00 41 00 41 00 fc 0c 03 00 0b")};
  expect_invalid(&init_no_table, "unknown table 0");
  modspec drop = {FUNC("00", "00 fc 0d 00 0b")};
  expect_invalid(&drop, "unknown elem segment 0");
  modspec size = {FUNC("00", "00 fc 10 00 1a 0b")};
  expect_invalid(&size, "unknown table 0");
}

static void test_references(void **state) {
  (void)state;
  modspec null_ok = {FUNC("01", "00 d0 6f d1 0b")};
  expect_valid(&null_ok);
  modspec is_null_num = {FUNC("01", "00 41 00 d1 0b")};
  expect_invalid(&is_null_num, "type mismatch");
  /* ref.func of a function that is only called: undeclared */
  modspec undeclared = {FUNC("00", "00 d2 00 1a 0b")};
  expect_invalid(&undeclared, "undeclared function reference");
  /* the start function does not declare it either */
  modspec start = {FUNC("00", "00 d2 00 1a 0b"), .start = "00"};
  expect_invalid(&start, "undeclared function reference");
  modspec exported = {FUNC("00", "00 d2 00 1a 0b"),
                      .export_ = "01 01 66 00 00"};
  expect_valid(&exported);
  modspec by_global = {FUNC("00", "00 d2 00 1a 0b"),
                       .global = "01 70 00 d2 00 0b"};
  expect_valid(&by_global);
  modspec by_elem = {FUNC("00", "00 d2 00 1a 0b"), .elem = "01 03 00 01 00"};
  expect_valid(&by_elem);
  modspec by_elem_expr = {FUNC("00", "00 d2 00 1a 0b"),
                          .elem = "01 07 70 01 d2 00 0b"};
  expect_valid(&by_elem_expr);
  modspec unknown = {FUNC("00", "00 d2 05 1a 0b")};
  expect_invalid(&unknown, "unknown function 5");
  modspec wrong = {FUNC("00", "00 d0 70 d0 6f 1c 01 70 1a 0b")};
  expect_invalid(&wrong, "type mismatch");
}

static void test_declared_refs(void **state) {
  (void)state;
  /* 10 functions: exported 1, elem indices 3, global init 4, elem expr 9;
   * the start function (2) and functions referenced only by ref.func in
   * bodies (5) or called (6) are not declared. */
#define E "00 0b"
  modspec s = {.type = TYPES, .func = "0a 00 00 00 00 00 00 00 00 00 00",
               .global = "01 70 00 d2 04 0b",
               .export_ = "01 01 65 00 01",
               .start = "02",
               .elem = "02 03 00 01 03  05 70 01 d2 09 0b",
               .code = {E, E, E, E, E, E, E, E, E, "00 10 06 0b"}};
#undef E
  tw_module *m = NULL;
  assert_int_equal(validate_spec(&s, &m), TWINE_OK);
  assert_non_null(m->declared_refs);
  const bool want[10] = {false, true,  false, true,  true,
                         false, false, false, false, true};
  for (uint32_t f = 0; f < 10; f++)
    assert_int_equal(!!(m->declared_refs[f >> 3] & (1u << (f & 7))),
                     want[f]);
  tw_module_free(m);
}

/* ---- robustness --------------------------------------------------------- */

static void test_deep_nesting(void **state) {
  (void)state;
  /* 200000 nested blocks, then as many ends: no recursion, valid */
  enum { DEPTH = 200000 };
  bytes_t body = {0};
  put(&body, 0x00);
  for (int i = 0; i < DEPTH; i++) {
    put(&body, 0x02);
    put(&body, 0x40);
  }
  for (int i = 0; i < DEPTH; i++) put(&body, 0x0b);
  put(&body, 0x0b);
  modspec s = {FUNC("00", NULL), .code_bin = body.data,
               .code_bin_len = body.len};
  expect_valid(&s);
  /* a br_table at the bottom naming every label */
  bytes_t b2 = {0};
  put(&b2, 0x00);
  for (int i = 0; i < 1000; i++) {
    put(&b2, 0x02);
    put(&b2, 0x40);
  }
  put_hex(&b2, "41 00 0e");
  put_u32(&b2, 1000);
  for (uint32_t i = 0; i < 1000; i++) put_u32(&b2, i);
  put_u32(&b2, 1000);
  for (int i = 0; i < 1001; i++) put(&b2, 0x0b);
  modspec s2 = {FUNC("00", NULL), .code_bin = b2.data,
                .code_bin_len = b2.len};
  expect_valid(&s2);
  TW_VEC_FREE(&body);
  TW_VEC_FREE(&b2);
}

static void test_stack_limit(void **state) {
  (void)state;
  /* 1.5 million i32.const 0 in one function: over the operand stack bound,
   * refused as an implementation limit rather than eating memory */
  enum { N = 1500000 };
  bytes_t body = {0};
  put(&body, 0x00);
  for (int i = 0; i < N; i++) {
    put(&body, 0x41);
    put(&body, 0x00);
  }
  put(&body, 0x0b);
  modspec s = {FUNC("00", NULL), .code_bin = body.data,
               .code_bin_len = body.len};
  expect_status(&s, TWINE_ERR_LIMIT, "operand stack");
  TW_VEC_FREE(&body);
}

/* Decode a valid module, then patch one byte of its body (the decoder
 * refuses such bodies itself; the validator must not rely on that). */
static twine_status_t validate_patched(const modspec *s, uint8_t from,
                                       uint8_t to) {
  tw_module *m = NULL;
  assert_int_equal(validate_spec(s, &m), TWINE_OK);
  const tw_func *f = &m->funcs[0];
  bool patched = false;
  for (uint32_t i = f->body_start; i < f->body_end && !patched; i++)
    if (m->bytes[i] == from) {
      m->bytes[i] = to;
      patched = true;
    }
  assert_true(patched);
  twine_status_t st = tw_wasm_validate(m, &last_err);
  tw_module_free(m);
  return st;
}

static void test_body_structure(void **state) {
  (void)state;
  /* nop -> else inside a block: else without if */
  modspec blk = {FUNC("00", "00 02 40 01 0b 0b")};
  assert_int_equal(validate_patched(&blk, 0x01, 0x05), TWINE_ERR_MALFORMED);
  assert_non_null(strstr(last_err.msg, "else"));
  /* first end -> nop: the body ends with a block still open */
  modspec open = {FUNC("00", "00 02 40 0b 0b")};
  assert_int_equal(validate_patched(&open, 0x0b, 0x01), TWINE_ERR_MALFORMED);
  /* inner end -> nop on the function level: operators after the end */
  modspec after = {FUNC("00", "00 01 0b")};
  /* patch nop -> end: "end end" leaves one end after the function's end */
  assert_int_equal(validate_patched(&after, 0x01, 0x0b), TWINE_ERR_MALFORMED);
}

static void test_revalidate(void **state) {
  (void)state;
  /* validating twice is harmless and refills declared_refs */
  modspec s = {FUNC("00", "00 d2 00 1a 0b"), .export_ = "01 01 66 00 00"};
  tw_module *m = NULL;
  assert_int_equal(validate_spec(&s, &m), TWINE_OK);
  assert_int_equal(tw_wasm_validate(m, &last_err), TWINE_OK);
  assert_true(m->declared_refs[0] & 1u);
  tw_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal),
      cmocka_unit_test(test_table_limits),
      cmocka_unit_test(test_memory_limits),
      cmocka_unit_test(test_global_init),
      cmocka_unit_test(test_exports),
      cmocka_unit_test(test_start),
      cmocka_unit_test(test_elem_segments),
      cmocka_unit_test(test_data_segments),
      cmocka_unit_test(test_numeric),
      cmocka_unit_test(test_blocks),
      cmocka_unit_test(test_if),
      cmocka_unit_test(test_branches),
      cmocka_unit_test(test_unreachable_code),
      cmocka_unit_test(test_calls),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_locals_globals),
      cmocka_unit_test(test_memory_instrs),
      cmocka_unit_test(test_bulk_memory),
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_declared_refs),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_stack_limit),
      cmocka_unit_test(test_body_structure),
      cmocka_unit_test(test_revalidate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

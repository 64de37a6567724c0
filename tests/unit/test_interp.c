/* test_interp.c - interpreter behaviour not covered by .wast files: trap
 * locations (function index, name and module offset for every frame) in
 * both bounds modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "twine/twine.h"

/* (module (memory 1)
 *   (func $div (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
 *   (func $load (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "div") (param i32) (result i32)
 *     (i32.add (i32.const 5) (call $div (local.get 0))))
 *   (func (export "load") (param i32) (result i32) (call $load (local.get 0))))
 * with a name section (wat2wasm --debug-names). Offsets: i32.div_u 0x35,
 * i32.load 0x3b, call $div 0x45, call $load 0x4d. */
static const uint8_t mod_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x05, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05,
    0x03, 0x01, 0x00, 0x01, 0x07, 0x0e, 0x02, 0x03, 0x64, 0x69, 0x76, 0x00,
    0x02, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x03, 0x0a, 0x22, 0x04, 0x07,
    0x00, 0x41, 0x01, 0x20, 0x00, 0x6e, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28,
    0x02, 0x00, 0x0b, 0x09, 0x00, 0x41, 0x05, 0x20, 0x00, 0x10, 0x00, 0x6a,
    0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x00, 0x1e, 0x04, 0x6e,
    0x61, 0x6d, 0x65, 0x01, 0x0c, 0x02, 0x00, 0x03, 0x64, 0x69, 0x76, 0x01,
    0x04, 0x6c, 0x6f, 0x61, 0x64, 0x02, 0x09, 0x04, 0x00, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x03, 0x00};

static void call_trapping(twine_bounds_t bounds, const char *export_name,
                          int32_t arg, twine_trap_t *trap) {
  twine_config_t cfg;
  twine_config_default(&cfg);
  cfg.bounds = bounds;
  twine_engine_t *engine;
  assert_int_equal(twine_engine_new(&cfg, &engine), TWINE_OK);
  twine_module_t *mod;
  assert_int_equal(
      twine_module_new(engine, mod_bytes, sizeof mod_bytes, &mod, NULL),
      TWINE_OK);
  twine_store_t *store;
  assert_int_equal(twine_store_new(engine, &store), TWINE_OK);
  twine_instance_t *inst;
  assert_int_equal(
      twine_instance_new(store, mod, NULL, 0, &inst, NULL, NULL), TWINE_OK);
  twine_extern_t ext;
  assert_int_equal(twine_instance_export(inst, export_name,
                                         strlen(export_name), &ext),
                   TWINE_OK);
  twine_val_t a = {.kind = TWINE_I32, .of.i32 = arg}, r = {.kind = TWINE_I32};
  assert_int_equal(twine_func_call(ext.of.func, &a, 1, &r, 1, trap),
                   TWINE_ERR_TRAP);
  twine_store_free(store);
  twine_module_free(mod);
  twine_engine_free(engine);
}

static void check_frame(const twine_frame_info_t *f, uint32_t index,
                        const char *name, uint32_t offset) {
  assert_int_equal(f->func_index, index);
  if (name) {
    assert_non_null(f->func_name);
    assert_int_equal(f->func_name_len, strlen(name));
    assert_memory_equal(f->func_name, name, strlen(name));
  }
  assert_int_equal(f->code_offset, offset);
}

static void div_trap_offsets(twine_bounds_t bounds) {
  twine_trap_t trap;
  call_trapping(bounds, "div", 0, &trap);
  assert_int_equal(trap.kind, TWINE_TRAP_INT_DIV_ZERO);
  assert_int_equal(trap.nframes, 2);
  check_frame(&trap.frames[0], 0, "div", 0x35);
  check_frame(&trap.frames[1], 2, NULL, 0x45);
}

static void test_div_offsets_guard(void **state) {
  (void)state;
  div_trap_offsets(TWINE_BOUNDS_GUARD_PAGES);
}

static void test_div_offsets_explicit(void **state) {
  (void)state;
  div_trap_offsets(TWINE_BOUNDS_EXPLICIT);
}

static void test_load_offsets_explicit(void **state) {
  (void)state;
  twine_trap_t trap;
  call_trapping(TWINE_BOUNDS_EXPLICIT, "load", 65534, &trap);
  assert_int_equal(trap.kind, TWINE_TRAP_MEMORY_OOB);
  assert_int_equal(trap.nframes, 2);
  check_frame(&trap.frames[0], 1, "load", 0x3b);
  check_frame(&trap.frames[1], 3, NULL, 0x4d);
}

static void test_load_offsets_guard(void **state) {
  (void)state;
  /* A guard-page fault has no instruction pointer: the innermost offset is
   * unknown, the caller's call site is still exact. */
  twine_trap_t trap;
  call_trapping(TWINE_BOUNDS_GUARD_PAGES, "load", 65534, &trap);
  assert_int_equal(trap.kind, TWINE_TRAP_MEMORY_OOB);
  assert_int_equal(trap.nframes, 2);
  check_frame(&trap.frames[0], 1, "load", UINT32_MAX);
  check_frame(&trap.frames[1], 3, NULL, 0x4d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_div_offsets_guard),
      cmocka_unit_test(test_div_offsets_explicit),
      cmocka_unit_test(test_load_offsets_explicit),
      cmocka_unit_test(test_load_offsets_guard),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

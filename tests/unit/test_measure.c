/*
 * test_measure.c - the launch measurement (src/enclave/measure.c):
 * known answers computed independently (a Python re-implementation of the
 * encoding in docs/attestation.md with hashlib), stability, every field
 * changing the result, normalisations, rejected launches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "enclave/measure.h"

static const uint8_t mod[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static twine_runtime_identity_t rt0(void) {
  twine_runtime_identity_t rt = {0, 1, 0, {0}};
  for (int i = 0; i < 32; i++) rt.build_id[i] = (uint8_t)i;
  return rt;
}

/* Engine defaults written out, so the known answers do not depend on
 * twine_config_default. */
static twine_launch_t base(void) {
  twine_launch_t l;
  memset(&l, 0, sizeof l);
  l.engine.bounds = TWINE_BOUNDS_GUARD_PAGES;
  l.engine.max_memory_bytes = (uint64_t)4 << 30;
  l.engine.value_stack_bytes = 8u << 20;
  l.engine.max_call_depth = 16384;
  return l;
}

static void m_of(const twine_launch_t *l, const twine_runtime_identity_t *rt,
                 uint8_t out[32]) {
  assert_int_equal(tw_enc_measure(mod, sizeof mod, l, rt, out), TWINE_OK);
}

static void test_known_answer_minimal(void **s) {
  (void)s;
  twine_runtime_identity_t rt = rt0();
  twine_launch_t l = base();
  uint8_t m[32];
  char h[65];
  m_of(&l, &rt, m);
  hex(m, 32, h);
  assert_string_equal(
      h, "4fd5db922f84571c04aeaf279d9da7661fcb7c81227a2bb5afc3e2ea6884e647");
}

static const char *kat_argv[] = {"app.wasm", "-v"};
static const char *kat_env[] = {"HOME=/", "LANG=C"};
static const uint8_t kat_params[] = {1, 2};

static twine_launch_t full(twine_launch_mount_t mounts[2]) {
  twine_launch_t l = base();
  l.engine.bounds = TWINE_BOUNDS_EXPLICIT;
  l.engine.max_memory_bytes = 256u << 20;
  l.engine.value_stack_bytes = 1u << 20;
  l.engine.max_call_depth = 1000;
  l.entry = "main";
  l.measure_args = true;
  l.argc = 2;
  l.argv = kat_argv;
  l.nenv = 2;
  l.env = kat_env;
  memset(mounts, 0, 2 * sizeof *mounts);
  mounts[0].guest_path = "/data";
  mounts[1].guest_path = "/secret";
  mounts[1].mode = TWINE_MOUNT_PROTECTED;
  mounts[1].policy = TWINE_SEAL_MEASUREMENT;
  mounts[1].params = kat_params;
  mounts[1].params_len = 2;
  l.nmounts = 2;
  l.mounts = mounts;
  l.nsockets = 2;
  return l;
}

static void test_known_answer_full(void **s) {
  (void)s;
  twine_runtime_identity_t rt = rt0();
  twine_launch_mount_t mounts[2];
  twine_launch_t l = full(mounts);
  uint8_t m[32], again[32];
  char h[65];
  m_of(&l, &rt, m);
  hex(m, 32, h);
  assert_string_equal(
      h, "d87aa843ef81fcf2ad86e5fb65f81e87bac85ceaef2f7eb52ee45efcf929d454");
  m_of(&l, &rt, again);
  assert_memory_equal(m, again, 32);
}

/* Each change must give a measurement different from the full launch's
 * and from every other change's. */
#define NCHANGES 24
static void test_every_field_counts(void **s) {
  (void)s;
  uint8_t seen[NCHANGES + 1][32];
  int n = 0;
  for (int c = 0; c <= NCHANGES; c++) {
    twine_runtime_identity_t rt = rt0();
    twine_launch_mount_t mounts[2];
    twine_launch_t l = full(mounts);
    uint8_t module[sizeof mod];
    memcpy(module, mod, sizeof mod);
    const char *argv2[] = {"app.wasm", "-w"};
    const char *env2[] = {"LANG=C", "HOME=/"};
    const char *env3[] = {"HOME=/LANG=C"};
    static const uint8_t p2[] = {1, 3};
    switch (c) {
    case 0: break;
    case 1: module[7] = 1; break;
    case 2: rt.minor = 2; break;
    case 3: rt.build_id[31] ^= 1; break;
    case 4: l.engine.bounds = TWINE_BOUNDS_GUARD_PAGES; break;
    case 5: l.engine.max_memory_bytes += 65536; break;
    case 6: l.engine.value_stack_bytes *= 2; break;
    case 7: l.engine.max_call_depth++; break;
    case 8: l.entry = "mai"; break;
    case 9: l.entry = NULL; break;
    case 10: l.measure_args = false; break;
    case 11: l.argv = argv2; break;
    case 12: l.argc = 1; break;
    case 13: l.env = env2; break;
    case 14: l.env = env3; l.nenv = 1; break;
    case 15: l.nenv = 0; break;
    case 16: mounts[0].guest_path = "/dat"; break;
    case 17: mounts[1].policy = TWINE_SEAL_SIGNER; break;
    case 18: mounts[1].mode = TWINE_MOUNT_PLAIN;
             mounts[1].policy = TWINE_SEAL_NONE; break;
    case 19: mounts[1].params = p2; break;
    case 20: mounts[1].params_len = 0; break;
    case 21: l.nmounts = 1; break;
    case 22: l.nsockets = 3; break;
    case 23: mounts[0] = mounts[1]; mounts[0].guest_path = "/data"; break;
    case 24: rt.patch = 1; break;
    }
    assert_int_equal(tw_enc_measure(module, sizeof module, &l, &rt, seen[n]),
                     TWINE_OK);
    for (int k = 0; k < n; k++)
      if (memcmp(seen[k], seen[n], 32) == 0)
        fail_msg("change %d measures like change %d", c, k);
    n++;
  }
}

/* Without measure_args the arguments do not matter; equivalent spellings
 * of the defaults measure the same. */
static void test_normalisations(void **s) {
  (void)s;
  twine_runtime_identity_t rt = rt0();
  twine_launch_t a = base(), b = base();
  uint8_t ma[32], mb[32];
  const char *argv1[] = {"x.wasm", "one"}, *argv2[] = {"y.wasm"};
  a.argc = 2;
  a.argv = argv1;
  b.argc = 1;
  b.argv = argv2;
  m_of(&a, &rt, ma);
  m_of(&b, &rt, mb);
  assert_memory_equal(ma, mb, 32);
  b.entry = "_start";
  b.engine.max_memory_bytes = 0;
  m_of(&b, &rt, mb);
  assert_memory_equal(ma, mb, 32);
  b.entry = "_star";
  m_of(&b, &rt, mb);
  assert_memory_not_equal(ma, mb, 32);
}

static void test_rejected_launches(void **s) {
  (void)s;
  twine_runtime_identity_t rt = rt0();
  uint8_t m[32];
  twine_launch_t l = base();
  const char *env[] = {NULL};
  twine_launch_mount_t mt = {"/d", TWINE_MOUNT_PLAIN, TWINE_SEAL_MEASUREMENT,
                             NULL, 0};
  l.nenv = 1;
  l.env = env;
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  l = base();
  l.nmounts = 1;
  l.mounts = &mt; /* plain mount with a key policy */
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  mt.mode = TWINE_MOUNT_PROTECTED;
  mt.policy = TWINE_SEAL_NONE; /* protected mount without one */
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  mt.mode = (twine_mount_mode_t)7;
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  l = base();
  l.engine.bounds = (twine_bounds_t)9;
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  l = base();
  l.argc = 1; /* argv NULL */
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, m), TWINE_ERR_ARG);
  assert_int_equal(tw_enc_measure(NULL, 3, &l, &rt, m), TWINE_ERR_ARG);
  assert_int_equal(twine_measure(mod, sizeof mod, NULL, m), TWINE_ERR_ARG);
}

/* The public entry point is tw_enc_measure with this build's identity. */
static void test_public_uses_build_identity(void **s) {
  (void)s;
  twine_runtime_identity_t rt;
  twine_runtime_identity(&rt);
  assert_int_equal(rt.major, TWINE_VERSION_MAJOR);
  assert_int_equal(rt.minor, TWINE_VERSION_MINOR);
  assert_int_equal(rt.patch, TWINE_VERSION_PATCH);
  uint8_t zero[32] = {0};
  assert_memory_not_equal(rt.build_id, zero, 32);
  twine_launch_t l;
  twine_launch_default(&l);
  uint8_t a[32], b[32];
  assert_int_equal(twine_measure(mod, sizeof mod, &l, a), TWINE_OK);
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, b), TWINE_OK);
  assert_memory_equal(a, b, 32);
  rt.build_id[0] ^= 0x80;
  assert_int_equal(tw_enc_measure(mod, sizeof mod, &l, &rt, b), TWINE_OK);
  assert_memory_not_equal(a, b, 32);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_answer_minimal),
      cmocka_unit_test(test_known_answer_full),
      cmocka_unit_test(test_every_field_counts),
      cmocka_unit_test(test_normalisations),
      cmocka_unit_test(test_rejected_launches),
      cmocka_unit_test(test_public_uses_build_identity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

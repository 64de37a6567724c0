/*
 * test_attest.c - Ed25519 (RFC 8032 test vectors 1 and 2), module
 * signatures (tampered module or signature refused, every byte of a .sig
 * flipped), attestation evidence (genuine verifies; every bit position of
 * every byte flipped, wrong size, wrong nonce, measurement, key, report
 * data, signer, origin all refused) and the guest import twine.attest
 * through a hand-assembled module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "crypto/sign.h"
#include "enclave/attest.h"

static size_t unhex(const char *h, uint8_t *out) {
  size_t n = 0;
  for (; h[0] && h[1]; h += 2) {
    unsigned v;
    sscanf(h, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

/* ---- Ed25519 ------------------------------------------------------------- */

static void ed_case(const char *seed, const char *pub, const char *msg,
                    const char *sig) {
  uint8_t s[32], p[32], m[64], g[64], got[64];
  unhex(seed, s);
  unhex(pub, p);
  size_t n = unhex(msg, m);
  unhex(sig, g);
  assert_int_equal(tw_cry_ed25519_public(s, got), 0);
  assert_memory_equal(got, p, 32);
  assert_int_equal(tw_cry_ed25519_sign(s, m, n, got), 0);
  assert_memory_equal(got, g, 64);
  assert_int_equal(tw_cry_ed25519_verify(p, m, n, g), 1);
  g[10] ^= 4;
  assert_int_equal(tw_cry_ed25519_verify(p, m, n, g), 0);
}

static void test_ed25519_rfc8032(void **s) {
  (void)s;
  ed_case("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
          "",
          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
          "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  ed_case("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
          "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
          "72",
          "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
          "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

/* ---- module signatures ---------------------------------------------------- */

static const uint8_t mod[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

static void test_module_signature(void **s) {
  (void)s;
  uint8_t seed[32], sig[TWINE_MODULE_SIG_LEN], id[32], pub[32], want[32];
  memset(seed, 7, 32);
  twine_error_t err;
  assert_int_equal(twine_module_sign(seed, mod, sizeof mod, sig), TWINE_OK);
  assert_memory_equal(sig, "TWINESIG", 8);
  assert_int_equal(twine_module_sig_check(mod, sizeof mod, sig, sizeof sig, id,
                                          pub, &err), TWINE_OK);
  assert_int_equal(tw_cry_ed25519_public(seed, want), 0);
  assert_memory_equal(pub, want, 32);
  /* A tampered module. */
  uint8_t m2[sizeof mod];
  memcpy(m2, mod, sizeof mod);
  m2[7] = 1;
  assert_int_equal(twine_module_sig_check(m2, sizeof m2, sig, sizeof sig, id,
                                          NULL, &err), TWINE_ERR_INVALID);
  assert_non_null(strstr(err.message, "another module"));
  assert_int_equal(twine_module_sig_check(mod, sizeof mod - 1, sig, sizeof sig,
                                          id, NULL, &err), TWINE_ERR_INVALID);
  /* Every byte of the signature file matters. */
  for (size_t i = 0; i < sizeof sig; i++) {
    uint8_t t[sizeof sig];
    memcpy(t, sig, sizeof sig);
    t[i] ^= 0x20;
    twine_status_t st =
        twine_module_sig_check(mod, sizeof mod, t, sizeof t, id, NULL, &err);
    if (st == TWINE_OK) fail_msg("sig byte %zu flipped still verifies", i);
  }
  assert_int_equal(twine_module_sig_check(mod, sizeof mod, sig, sizeof sig - 1,
                                          id, NULL, &err), TWINE_ERR_MALFORMED);
  /* An enclave refuses a module that does not match its signature. */
  twine_launch_t l;
  twine_launch_default(&l);
  uint8_t root[32] = {1};
  twine_enclave_config_t c = {root, m2, sizeof m2, sig, sizeof sig, &l};
  twine_enclave_t *e = (twine_enclave_t *)&c;
  assert_int_equal(twine_enclave_new(&c, &e, &err), TWINE_ERR_INVALID);
  assert_null(e);
  c.module = mod;
  c.module_len = sizeof mod;
  assert_int_equal(twine_enclave_new(&c, &e, &err), TWINE_OK);
  const uint8_t *b;
  size_t n;
  twine_enclave_module_bytes(e, &b, &n);
  assert_int_equal(n, sizeof mod);
  assert_memory_equal(b, mod, n);
  assert_ptr_not_equal(b, mod); /* its own copy */
  twine_enclave_free(e);
}

/* ---- evidence ------------------------------------------------------------- */

typedef struct fx {
  twine_enclave_t *e;
  uint8_t pub[32], meas[32], sid[32];
  uint8_t nonce[16], rd[64];
  uint8_t ev[TWINE_EVIDENCE_LEN];
} fx;

static fx F;

static int setup(void **s) {
  (void)s;
  memset(&F, 0, sizeof F);
  uint8_t root[32], seed[32], sig[TWINE_MODULE_SIG_LEN];
  memset(root, 0x42, 32);
  memset(seed, 9, 32);
  twine_module_sign(seed, mod, sizeof mod, sig);
  twine_launch_t l;
  twine_launch_default(&l);
  twine_enclave_config_t c = {root, mod, sizeof mod, sig, sizeof sig, &l};
  twine_error_t err;
  if (twine_enclave_new(&c, &F.e, &err) != TWINE_OK) return -1;
  twine_enclave_attest_pubkey(F.e, F.pub);
  twine_enclave_measurement(F.e, F.meas);
  twine_enclave_signer_id(F.e, F.sid);
  for (int i = 0; i < 16; i++) F.nonce[i] = (uint8_t)(0xf0 + i);
  for (int i = 0; i < 64; i++) F.rd[i] = (uint8_t)i;
  return twine_enclave_attest(F.e, F.nonce, sizeof F.nonce, F.rd, F.ev);
}

static int teardown(void **s) {
  (void)s;
  twine_enclave_free(F.e);
  return 0;
}

static twine_evidence_expect_t expect_all(void) {
  twine_evidence_expect_t x;
  memset(&x, 0, sizeof x);
  x.pubkey = F.pub;
  x.measurement = F.meas;
  x.nonce = F.nonce;
  x.nonce_len = sizeof F.nonce;
  x.report_data = F.rd;
  x.signer_id = F.sid;
  return x;
}

static void test_genuine(void **s) {
  (void)s;
  twine_evidence_expect_t x = expect_all();
  twine_evidence_t d;
  char why[128];
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, &d, why,
                                         sizeof why), TWINE_EVIDENCE_OK);
  assert_int_equal(d.version, 1);
  assert_int_equal(d.flags, TWINE_EVIDENCE_F_SIGNER);
  assert_memory_equal(d.measurement, F.meas, 32);
  assert_int_equal(d.nonce_len, 16);
  assert_memory_equal(d.nonce, F.nonce, 16);
  assert_memory_equal(d.report_data, F.rd, 64);
  assert_memory_equal(d.signer_id, F.sid, 32);
  twine_runtime_identity_t rt;
  twine_runtime_identity(&rt);
  assert_memory_equal(d.runtime.build_id, rt.build_id, 32);
  assert_int_equal(d.runtime.minor, rt.minor);
  /* Only the key is required. */
  twine_evidence_expect_t k = {F.pub, NULL, NULL, 0, NULL, NULL, false};
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &k, NULL, NULL, 0),
                   TWINE_EVIDENCE_OK);
}

static void test_every_bit_of_every_byte(void **s) {
  (void)s;
  twine_evidence_expect_t x = expect_all();
  for (size_t i = 0; i < TWINE_EVIDENCE_LEN; i++) {
    for (int bit = 0; bit < 8; bit++) {
      uint8_t t[TWINE_EVIDENCE_LEN];
      memcpy(t, F.ev, sizeof t);
      t[i] ^= (uint8_t)(1u << bit);
      twine_evidence_result_t r =
          twine_evidence_verify(t, sizeof t, &x, NULL, NULL, 0);
      if (r == TWINE_EVIDENCE_OK)
        fail_msg("byte %zu bit %d flipped still verifies", i, bit);
      /* Whatever the byte, a verifier checking only the key refuses it. */
      twine_evidence_expect_t k = {F.pub, NULL, NULL, 0, NULL, NULL, false};
      if (twine_evidence_verify(t, sizeof t, &k, NULL, NULL, 0) ==
          TWINE_EVIDENCE_OK)
        fail_msg("byte %zu bit %d: accepted with the key alone", i, bit);
    }
  }
}

static void test_sizes(void **s) {
  (void)s;
  twine_evidence_expect_t x = expect_all();
  uint8_t big[TWINE_EVIDENCE_LEN + 1];
  memcpy(big, F.ev, sizeof F.ev);
  big[TWINE_EVIDENCE_LEN] = 0;
  assert_int_equal(twine_evidence_verify(big, sizeof big, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_MALFORMED);
  for (size_t n = 0; n < TWINE_EVIDENCE_LEN; n += 7)
    assert_int_equal(twine_evidence_verify(F.ev, n, &x, NULL, NULL, 0),
                     TWINE_EVIDENCE_MALFORMED);
  assert_int_equal(twine_evidence_verify(NULL, 0, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_MALFORMED);
  x.pubkey = NULL;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_ERROR);
}

static void test_wrong_expectations(void **s) {
  (void)s;
  twine_evidence_expect_t x;
  uint8_t other[64];
  char why[128];
  memset(other, 0x5a, sizeof other);

  x = expect_all();
  x.nonce = other;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, why,
                                         sizeof why),
                   TWINE_EVIDENCE_WRONG_NONCE);
  assert_string_equal(why, "nonce differs");
  x = expect_all();
  x.nonce_len = 15; /* a prefix of the right nonce is not the nonce */
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_WRONG_NONCE);
  x = expect_all();
  x.measurement = other;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_WRONG_MEASUREMENT);
  x = expect_all();
  x.report_data = other;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_WRONG_REPORT_DATA);
  x = expect_all();
  x.signer_id = other;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_WRONG_SIGNER);
  x = expect_all();
  x.require_guest_data = true;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_NOT_GUEST_DATA);
  /* Another platform's key; and the right claims re-signed by it. */
  x = expect_all();
  x.pubkey = other;
  assert_int_equal(twine_evidence_verify(F.ev, sizeof F.ev, &x, NULL, NULL, 0),
                   TWINE_EVIDENCE_WRONG_KEY);
  uint8_t forged[TWINE_EVIDENCE_LEN], fseed[32], fpub[32];
  memset(fseed, 0x77, 32);
  tw_cry_ed25519_public(fseed, fpub);
  memcpy(forged, F.ev, sizeof forged);
  memcpy(forged + 224, fpub, 32);
  tw_cry_ed25519_sign(fseed, forged, 256, forged + 256);
  x = expect_all();
  assert_int_equal(twine_evidence_verify(forged, sizeof forged, &x, NULL, NULL,
                                         0), TWINE_EVIDENCE_WRONG_KEY);
  /* Embedding the genuine key does not help a forger. */
  memcpy(forged + 224, F.pub, 32);
  tw_cry_ed25519_sign(fseed, forged, 256, forged + 256);
  assert_int_equal(twine_evidence_verify(forged, sizeof forged, &x, NULL, NULL,
                                         0), TWINE_EVIDENCE_BAD_SIGNATURE);
  /* An unsigned module's evidence has no signer. */
  uint8_t root[32];
  memset(root, 0x42, 32);
  twine_launch_t l;
  twine_launch_default(&l);
  twine_enclave_config_t c = {root, mod, sizeof mod, NULL, 0, &l};
  twine_enclave_t *e;
  uint8_t ev[TWINE_EVIDENCE_LEN];
  assert_int_equal(twine_enclave_new(&c, &e, NULL), TWINE_OK);
  assert_int_equal(twine_enclave_attest(e, NULL, 0, NULL, ev), TWINE_OK);
  twine_evidence_t d;
  x = expect_all();
  x.nonce = NULL;
  x.nonce_len = 0;
  x.report_data = NULL;
  assert_int_equal(twine_evidence_verify(ev, sizeof ev, &x, &d, NULL, 0),
                   TWINE_EVIDENCE_WRONG_SIGNER);
  assert_int_equal(d.flags, 0);
  assert_int_equal(d.nonce_len, 0);
  assert_int_equal(twine_enclave_attest(e, F.nonce, 33, NULL, ev),
                   TWINE_ERR_ARG);
  twine_enclave_free(e);
}

/* ---- the guest import --------------------------------------------------- */

/* (module (import "twine" "attest" (func (param i32 i32 i32 i32 i32)
 *   (result i32))) (memory (export "mem") 1)
 *   (func (export "go") (param i32 i32 i32 i32 i32) (result i32)
 *     local.get 0 ... local.get 4 call 0)) */
static const uint8_t guest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x0a, 0x01, 0x60, 0x05, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
    0x02, 0x10, 0x01, 0x05, 't', 'w', 'i', 'n', 'e', 0x06, 'a', 't', 't',
    'e', 's', 't', 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0x0c, 0x02, 0x02, 'g', 'o', 0x00, 0x01, 0x03, 'm', 'e', 'm', 0x02,
    0x00,
    0x0a, 0x10, 0x01, 0x0e, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20,
    0x03, 0x20, 0x04, 0x10, 0x00, 0x0b};

static int32_t go(twine_func_t *f, int32_t a, int32_t b, int32_t c, int32_t d,
                  int32_t e) {
  twine_val_t args[5], res[1];
  int32_t v[5] = {a, b, c, d, e};
  for (int i = 0; i < 5; i++) {
    args[i].kind = TWINE_I32;
    args[i].of.i32 = v[i];
  }
  res[0].kind = TWINE_I32;
  twine_trap_t trap;
  assert_int_equal(twine_func_call(f, args, 5, res, 1, &trap), TWINE_OK);
  return res[0].of.i32;
}

static void test_guest_attest(void **s) {
  (void)s;
  twine_engine_t *eng;
  twine_module_t *m;
  twine_store_t *st;
  twine_linker_t *lk;
  twine_instance_t *inst;
  twine_error_t err;
  twine_trap_t trap;
  assert_int_equal(twine_engine_new(NULL, &eng), TWINE_OK);
  assert_int_equal(twine_module_new(eng, guest_wasm, sizeof guest_wasm, &m,
                                    &err), TWINE_OK);
  assert_int_equal(twine_store_new(eng, &st), TWINE_OK);
  assert_int_equal(twine_linker_new(st, &lk), TWINE_OK);
  assert_int_equal(twine_enclave_guest_define(F.e, st, lk), TWINE_OK);
  assert_int_equal(twine_linker_instantiate(lk, m, &inst, &err, &trap),
                   TWINE_OK);
  twine_extern_t xf, xm;
  assert_int_equal(twine_instance_export(inst, "go", 2, &xf), TWINE_OK);
  assert_int_equal(twine_instance_export(inst, "mem", 3, &xm), TWINE_OK);
  twine_func_t *f = xf.of.func;
  twine_memory_t *mem = xm.of.memory;
  uint8_t rd[64], ev[TWINE_EVIDENCE_LEN], n4[4];
  for (int i = 0; i < 64; i++) rd[i] = (uint8_t)(0x80 + i);
  assert_int_equal(twine_memory_write(mem, 100, rd, 64), TWINE_OK);

  /* 0: evidence at 1024, its length at 16. */
  assert_int_equal(go(f, 100, 64, 1024, 4096, 16), 0);
  assert_int_equal(twine_memory_read(mem, 16, n4, 4), TWINE_OK);
  assert_int_equal(n4[0] | n4[1] << 8, TWINE_EVIDENCE_LEN);
  assert_int_equal(twine_memory_read(mem, 1024, ev, sizeof ev), TWINE_OK);
  twine_evidence_expect_t x;
  memset(&x, 0, sizeof x);
  x.pubkey = F.pub;
  x.measurement = F.meas;
  x.report_data = rd;
  x.require_guest_data = true;
  x.nonce = F.nonce; /* nonce_len 0: guest evidence carries none */
  twine_evidence_t d;
  assert_int_equal(twine_evidence_verify(ev, sizeof ev, &x, &d, NULL, 0),
                   TWINE_EVIDENCE_OK);
  assert_true(d.flags & TWINE_EVIDENCE_F_GUEST_DATA);
  /* Errors (WASI errno numbers). */
  assert_int_equal(go(f, 100, 63, 1024, 4096, 16), 28);      /* EINVAL */
  assert_int_equal(go(f, 65500, 64, 1024, 4096, 16), 21);    /* EFAULT */
  assert_int_equal(go(f, -1, 64, 1024, 4096, 16), 21);
  assert_int_equal(go(f, 100, 64, 65400, 4096, 16), 21);
  assert_int_equal(go(f, 100, 64, 1024, 4096, 65534), 21);
  memset(n4, 0, 4);
  assert_int_equal(twine_memory_write(mem, 20, n4, 4), TWINE_OK);
  assert_int_equal(go(f, 100, 64, 1024, 319, 20), 42);       /* ENOBUFS */
  assert_int_equal(twine_memory_read(mem, 20, n4, 4), TWINE_OK);
  assert_int_equal(n4[0] | n4[1] << 8, TWINE_EVIDENCE_LEN);
  assert_int_equal(go(f, 100, 64, 65536 - 320, 320, 16), 0); /* at the end */

  twine_linker_free(lk);
  twine_store_free(st);
  twine_module_free(m);
  twine_engine_free(eng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ed25519_rfc8032),
      cmocka_unit_test(test_module_signature),
      cmocka_unit_test(test_genuine),
      cmocka_unit_test(test_every_bit_of_every_byte),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_wrong_expectations),
      cmocka_unit_test(test_guest_attest),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_seal.c - sealing-key derivation (src/enclave/seal.c) and the
 * enclave's seal-key API: known answers computed independently (Python
 * hmac/hashlib HKDF over the inputs documented in seal.h), keys that
 * differ per policy, identity, label and root secret, stable across
 * enclaves, signer-bound keys shared by modules of one signer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "enclave/seal.h"

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static uint8_t root42[32], id_a5[32];
static const char label[] = "pfs-mount:/data";

static int setup(void **s) {
  (void)s;
  memset(root42, 0x42, 32);
  memset(id_a5, 0xa5, 32);
  return 0;
}

static void test_known_answers(void **s) {
  (void)s;
  uint8_t k[32];
  char h[65];
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, strlen(label), k),
                   TWINE_OK);
  hex(k, 32, h);
  assert_string_equal(
      h, "f0b5ef972635ae51bba712e6301551694982b4e583a167263271c3beb80968fb");
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_SIGNER, id_a5, label,
                                      strlen(label), k),
                   TWINE_OK);
  hex(k, 32, h);
  assert_string_equal(
      h, "a7cfa5203156accad8a4731edbbb3a9355db3af9d695b47a8b44208cdd0837fc");
  assert_int_equal(tw_enc_attest_seed(root42, k), 0);
  hex(k, 32, h);
  assert_string_equal(
      h, "bbe7b7566e5870556c1196099e7cf6d1f62b4aedfe59fbda789e1e70264b64a5");
  uint8_t pub[32];
  assert_int_equal(twine_platform_attest_pubkey(root42, pub), TWINE_OK);
  hex(pub, 32, h);
  assert_string_equal(
      h, "872c30f0e62771c7ae52d57aa27f5a3bc292f4118b53c23b59e143a0324b56ed");
}

static void test_keys_differ(void **s) {
  (void)s;
  uint8_t keys[6][32];
  uint8_t root2[32], id2[32];
  memcpy(root2, root42, 32);
  root2[0] ^= 1;
  memcpy(id2, id_a5, 32);
  id2[31] ^= 1;
  const char *l2 = "pfs-mount:/dat";
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, strlen(label), keys[0]), 0);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_SIGNER, id_a5, label,
                                      strlen(label), keys[1]), 0);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id2,
                                      label, strlen(label), keys[2]), 0);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      l2, strlen(l2), keys[3]), 0);
  assert_int_equal(tw_enc_seal_derive(root2, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, strlen(label), keys[4]), 0);
  assert_int_equal(tw_enc_attest_seed(root42, keys[5]), 0);
  for (int i = 0; i < 6; i++)
    for (int j = i + 1; j < 6; j++)
      if (!memcmp(keys[i], keys[j], 32)) fail_msg("keys %d and %d equal", i, j);
  /* Stable. */
  uint8_t again[32];
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, strlen(label), again), 0);
  assert_memory_equal(again, keys[0], 32);
}

static void test_bad_arguments(void **s) {
  (void)s;
  uint8_t k[32];
  static char big[TWINE_SEAL_LABEL_MAX + 1];
  memset(big, 'x', sizeof big);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_NONE, id_a5, label, 3,
                                      k), TWINE_ERR_ARG);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_EXPLICIT, id_a5,
                                      label, 3, k), TWINE_ERR_ARG);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, 0, k), TWINE_ERR_ARG);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      big, sizeof big, k), TWINE_ERR_ARG);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, id_a5,
                                      big, sizeof big - 1, k), TWINE_OK);
  assert_int_equal(tw_enc_seal_derive(NULL, TWINE_SEAL_MEASUREMENT, id_a5,
                                      label, 3, k), TWINE_ERR_ARG);
}

/* ---- through twine_enclave_t -------------------------------------------- */

static const uint8_t mod1[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
/* Same module with an empty custom section: other bytes, same program. */
static const uint8_t mod2[11] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0, 1, 0};

static twine_enclave_t *enclave(const uint8_t *root, const uint8_t *m,
                                size_t n, const uint8_t *sig) {
  twine_launch_t l;
  twine_launch_default(&l);
  twine_enclave_config_t c = {root, m, n, sig, sig ? TWINE_MODULE_SIG_LEN : 0,
                              &l};
  twine_enclave_t *e = NULL;
  twine_error_t err;
  assert_int_equal(twine_enclave_new(&c, &e, &err), TWINE_OK);
  return e;
}

static void test_enclave_policies(void **s) {
  (void)s;
  uint8_t seed_a[32], seed_b[32], sig1a[TWINE_MODULE_SIG_LEN],
      sig2a[TWINE_MODULE_SIG_LEN], sig1b[TWINE_MODULE_SIG_LEN];
  memset(seed_a, 1, 32);
  memset(seed_b, 2, 32);
  assert_int_equal(twine_module_sign(seed_a, mod1, sizeof mod1, sig1a), 0);
  assert_int_equal(twine_module_sign(seed_a, mod2, sizeof mod2, sig2a), 0);
  assert_int_equal(twine_module_sign(seed_b, mod1, sizeof mod1, sig1b), 0);
  twine_enclave_t *plain = enclave(root42, mod1, sizeof mod1, NULL);
  twine_enclave_t *e1a = enclave(root42, mod1, sizeof mod1, sig1a);
  twine_enclave_t *e1a2 = enclave(root42, mod1, sizeof mod1, sig1a);
  twine_enclave_t *e2a = enclave(root42, mod2, sizeof mod2, sig2a);
  twine_enclave_t *e1b = enclave(root42, mod1, sizeof mod1, sig1b);
  uint8_t k[8][32];
  const char *lb = "pfs-mount:/data";
  size_t ll = strlen(lb);
  assert_int_equal(twine_enclave_seal_key(plain, TWINE_SEAL_SIGNER, lb, ll,
                                          k[0]), TWINE_ERR_NOTFOUND);
  assert_int_equal(twine_enclave_seal_key(plain, TWINE_SEAL_MEASUREMENT, lb,
                                          ll, k[0]), TWINE_OK);
  /* Measurement-bound: same module, same key whatever the signer. */
  assert_int_equal(twine_enclave_seal_key(e1a, TWINE_SEAL_MEASUREMENT, lb, ll,
                                          k[1]), TWINE_OK);
  assert_memory_equal(k[0], k[1], 32);
  assert_int_equal(twine_enclave_seal_key(e2a, TWINE_SEAL_MEASUREMENT, lb, ll,
                                          k[2]), TWINE_OK);
  assert_memory_not_equal(k[1], k[2], 32);
  /* Signer-bound: the same for both modules of signer a, not for b. */
  assert_int_equal(twine_enclave_seal_key(e1a, TWINE_SEAL_SIGNER, lb, ll,
                                          k[3]), TWINE_OK);
  assert_int_equal(twine_enclave_seal_key(e2a, TWINE_SEAL_SIGNER, lb, ll,
                                          k[4]), TWINE_OK);
  assert_memory_equal(k[3], k[4], 32);
  assert_int_equal(twine_enclave_seal_key(e1b, TWINE_SEAL_SIGNER, lb, ll,
                                          k[5]), TWINE_OK);
  assert_memory_not_equal(k[3], k[5], 32);
  assert_memory_not_equal(k[3], k[1], 32);
  /* Stable across enclaves; the label separates mounts. */
  assert_int_equal(twine_enclave_seal_key(e1a2, TWINE_SEAL_SIGNER, lb, ll,
                                          k[6]), TWINE_OK);
  assert_memory_equal(k[3], k[6], 32);
  assert_int_equal(twine_enclave_seal_key(e1a, TWINE_SEAL_SIGNER,
                                          "pfs-mount:/logs", 15, k[7]),
                   TWINE_OK);
  assert_memory_not_equal(k[3], k[7], 32);
  /* Matches the pure derivation. */
  uint8_t m[32], sid[32], d[32];
  twine_enclave_measurement(e1a, m);
  assert_true(twine_enclave_signer_id(e1a, sid));
  assert_false(twine_enclave_signer_id(plain, d));
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_MEASUREMENT, m, lb,
                                      ll, d), TWINE_OK);
  assert_memory_equal(d, k[1], 32);
  assert_int_equal(tw_enc_seal_derive(root42, TWINE_SEAL_SIGNER, sid, lb, ll,
                                      d), TWINE_OK);
  assert_memory_equal(d, k[3], 32);
  /* Another root secret (another platform): other keys. */
  uint8_t root2[32];
  memset(root2, 0x43, 32);
  twine_enclave_t *other = enclave(root2, mod1, sizeof mod1, sig1a);
  assert_int_equal(twine_enclave_seal_key(other, TWINE_SEAL_SIGNER, lb, ll,
                                          d), TWINE_OK);
  assert_memory_not_equal(d, k[3], 32);
  assert_int_equal(twine_enclave_seal_key(other, TWINE_SEAL_EXPLICIT, lb, ll,
                                          d), TWINE_ERR_ARG);
  twine_enclave_free(other);
  twine_enclave_free(plain);
  twine_enclave_free(e1a);
  twine_enclave_free(e1a2);
  twine_enclave_free(e2a);
  twine_enclave_free(e1b);
  twine_enclave_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_answers),
      cmocka_unit_test(test_keys_differ),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_enclave_policies),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

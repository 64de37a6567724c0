/*
 * test_crypto.c - known-answer tests of the crypto wrappers (src/crypto):
 * HKDF-SHA256 (RFC 5869 test cases 1-3), AES-128-GCM (McGrew-Viega test
 * cases 3 and 4, from the GCM specification / NIST CAVP), tag rejection
 * with wiped output, SHA-256 and HMAC-SHA256 (RFC 4231 case 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/kdf.h"

static size_t unhex(const char *h, uint8_t *out) {
  size_t n = 0;
  for (; h[0] && h[1]; h += 2) {
    unsigned v;
    sscanf(h, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

static void hkdf_case(const char *ikm, const char *salt, const char *info,
                      const char *okm) {
  uint8_t i[128], s[128], in[128], o[128], got[128];
  size_t ni = unhex(ikm, i), ns = unhex(salt, s), nin = unhex(info, in), no = unhex(okm, o);
  assert_int_equal(tw_cry_hkdf_sha256(i, ni, s, ns, in, nin, got, no), 0);
  assert_memory_equal(got, o, no);
}

static void test_hkdf_rfc5869(void **state) {
  (void)state;
  hkdf_case("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
  hkdf_case("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
            "404142434445464748494a4b4c4d4e4f",
            "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
            "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
            "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
            "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
  hkdf_case("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

static const char *K = "feffe9928665731c6d6a8f9467308308";
static const char *IV = "cafebabefacedbaddecaf888";
static const char *P4 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char *C4 =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";

static void test_gcm_mcgrew_viega(void **state) {
  (void)state;
  uint8_t k[16], iv[12], p[64], c[64], aad[20], tag[16], got[64], t[16];
  unhex(K, k);
  unhex(IV, iv);
  tw_cry_gcm *g = tw_cry_gcm_new();
  assert_non_null(g);
  /* Test case 3: 64-byte plaintext, no AAD. */
  size_t np = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255", p);
  unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985", c);
  unhex("4d5c2af327cd64a62cf35abd2ba6fab4", tag);
  assert_int_equal(tw_cry_gcm_seal(g, k, iv, NULL, 0, p, np, got, t), 0);
  assert_memory_equal(got, c, np);
  assert_memory_equal(t, tag, 16);
  /* Test case 4: 60-byte plaintext, 20-byte AAD. */
  np = unhex(P4, p);
  unhex(C4, c);
  unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
  unhex("5bc94fbc3221a5db94fae95ae7121a47", tag);
  assert_int_equal(tw_cry_gcm_seal(g, k, iv, aad, 20, p, np, got, t), 0);
  assert_memory_equal(got, c, np);
  assert_memory_equal(t, tag, 16);
  assert_int_equal(tw_cry_gcm_open(g, k, iv, aad, 20, c, np, got, tag), 0);
  assert_memory_equal(got, p, np);
  /* A flipped tag, AAD or ciphertext bit fails, and leaves no plaintext. */
  uint8_t bad[16];
  memcpy(bad, tag, 16);
  bad[15] ^= 1;
  assert_int_equal(tw_cry_gcm_open(g, k, iv, aad, 20, c, np, got, bad), 1);
  for (size_t i = 0; i < np; i++)
    assert_int_equal(got[i], 0);
  aad[0] ^= 0x80;
  assert_int_equal(tw_cry_gcm_open(g, k, iv, aad, 20, c, np, got, tag), 1);
  aad[0] ^= 0x80;
  c[7] ^= 4;
  assert_int_equal(tw_cry_gcm_open(g, k, iv, aad, 20, c, np, got, tag), 1);
  tw_cry_gcm_free(g);
}

static void test_sha_hmac(void **state) {
  (void)state;
  uint8_t d[32], want[32];
  assert_int_equal(tw_cry_sha256("abc", 3, d), 0);
  unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
  assert_memory_equal(d, want, 32);
  /* RFC 4231 test case 2, fed in two pieces. */
  tw_cry_hmac *h = tw_cry_hmac_new((const uint8_t *)"Jefe", 4);
  assert_non_null(h);
  assert_int_equal(tw_cry_hmac_update(h, "what do ya want ", 16), 0);
  assert_int_equal(tw_cry_hmac_update(h, "for nothing?", 12), 0);
  assert_int_equal(tw_cry_hmac_final(h, d), 0);
  tw_cry_hmac_free(h);
  unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
  assert_memory_equal(d, want, 32);
  assert_true(tw_cry_ct_equal(d, want, 32));
  want[31] ^= 1;
  assert_false(tw_cry_ct_equal(d, want, 32));
}

static void test_priv_bytes(void **state) {
  (void)state;
  uint8_t a[32] = {0}, b[32] = {0};
  assert_int_equal(tw_cry_priv_bytes(a, sizeof a), 0);
  assert_int_equal(tw_cry_priv_bytes(b, sizeof b), 0);
  assert_memory_not_equal(a, b, 32);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hkdf_rfc5869),
      cmocka_unit_test(test_gcm_mcgrew_viega),
      cmocka_unit_test(test_sha_hmac),
      cmocka_unit_test(test_priv_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

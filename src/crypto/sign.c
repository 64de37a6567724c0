/*
 * sign.c - Ed25519 over EVP_PKEY_ED25519 (see sign.h). One-shot
 * EVP_DigestSign / EVP_DigestVerify with a NULL digest, as Ed25519
 * requires; keys are built from raw bytes per call.
 */
#include "crypto/sign.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static EVP_PKEY *priv_key(const uint8_t seed[TW_CRY_ED25519_SEED]) {
  return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                      TW_CRY_ED25519_SEED);
}

int tw_cry_ed25519_public(const uint8_t seed[TW_CRY_ED25519_SEED],
                          uint8_t pub[TW_CRY_ED25519_PUB]) {
  EVP_PKEY *k = priv_key(seed);
  if (!k) return -1;
  size_t n = TW_CRY_ED25519_PUB;
  int rc = EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 &&
                   n == TW_CRY_ED25519_PUB
               ? 0
               : -1;
  EVP_PKEY_free(k);
  return rc;
}

int tw_cry_ed25519_sign(const uint8_t seed[TW_CRY_ED25519_SEED],
                        const uint8_t *msg, size_t len,
                        uint8_t sig[TW_CRY_ED25519_SIG]) {
  static const uint8_t empty[1] = {0};
  int rc = -1;
  EVP_PKEY *k = priv_key(seed);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  size_t n = TW_CRY_ED25519_SIG;
  if (k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
      EVP_DigestSign(md, sig, &n, len ? msg : empty, len) == 1 &&
      n == TW_CRY_ED25519_SIG)
    rc = 0;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(k);
  if (rc != 0) memset(sig, 0, TW_CRY_ED25519_SIG);
  return rc;
}

int tw_cry_ed25519_verify(const uint8_t pub[TW_CRY_ED25519_PUB],
                          const uint8_t *msg, size_t len,
                          const uint8_t sig[TW_CRY_ED25519_SIG]) {
  static const uint8_t empty[1] = {0};
  EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
                                            TW_CRY_ED25519_PUB);
  if (!k) return 0; /* not a valid encoding of a point */
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int rc = -1;
  if (md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1) {
    int v = EVP_DigestVerify(md, sig, TW_CRY_ED25519_SIG, len ? msg : empty,
                             len);
    rc = v == 1 ? 1 : 0;
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(k);
  return rc;
}

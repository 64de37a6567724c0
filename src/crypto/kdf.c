/*
 * kdf.c - HKDF-SHA256 through EVP_KDF "HKDF", SHA-256 and HMAC-SHA256
 * through EVP_MAC "HMAC" (see kdf.h). Algorithms are fetched once.
 */
#include "crypto/kdf.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static EVP_KDF *g_hkdf;
static EVP_MAC *g_hmac;
static EVP_MD *g_sha256;

static void fetch_algs(void) {
  g_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static int ready(void) {
  pthread_once(&g_once, fetch_algs);
  return g_hkdf && g_hmac && g_sha256;
}

int tw_cry_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                       size_t salt_len, const uint8_t *info, size_t info_len,
                       uint8_t *out, size_t out_len) {
  static const uint8_t empty[1] = {0};
  if (!ready() || out_len == 0 || out_len > 255 * 32)
    return -1;
  EVP_KDF_CTX *kc = EVP_KDF_CTX_new(g_hkdf);
  if (!kc)
    return -1;
  OSSL_PARAM p[5], *q = p;
  *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                           (void *)(ikm_len ? ikm : empty), ikm_len);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                           (void *)(salt_len ? salt : empty), salt_len);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                           (void *)(info_len ? info : empty), info_len);
  *q = OSSL_PARAM_construct_end();
  int rc = EVP_KDF_derive(kc, out, out_len, p) == 1 ? 0 : -1;
  EVP_KDF_CTX_free(kc);
  if (rc != 0)
    OPENSSL_cleanse(out, out_len);
  return rc;
}

int tw_cry_sha256(const void *data, size_t len, uint8_t out[TW_CRY_SHA256_LEN]) {
  unsigned int n = 0;
  if (!ready())
    return -1;
  if (EVP_Digest(data, len, out, &n, g_sha256, NULL) != 1 || n != TW_CRY_SHA256_LEN)
    return -1;
  return 0;
}

struct tw_cry_hmac {
  EVP_MAC_CTX *ctx;
};

tw_cry_hmac *tw_cry_hmac_new(const uint8_t *key, size_t key_len) {
  if (!ready())
    return NULL;
  tw_cry_hmac *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->ctx = EVP_MAC_CTX_new(g_hmac);
  OSSL_PARAM p[2];
  p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
  p[1] = OSSL_PARAM_construct_end();
  if (!h->ctx || EVP_MAC_init(h->ctx, key, key_len, p) != 1) {
    tw_cry_hmac_free(h);
    return NULL;
  }
  return h;
}

int tw_cry_hmac_update(tw_cry_hmac *h, const void *data, size_t len) {
  return EVP_MAC_update(h->ctx, data, len) == 1 ? 0 : -1;
}

int tw_cry_hmac_final(tw_cry_hmac *h, uint8_t out[TW_CRY_SHA256_LEN]) {
  size_t n = 0;
  if (EVP_MAC_final(h->ctx, out, &n, TW_CRY_SHA256_LEN) != 1 || n != TW_CRY_SHA256_LEN)
    return -1;
  return 0;
}

void tw_cry_hmac_free(tw_cry_hmac *h) {
  if (!h)
    return;
  EVP_MAC_CTX_free(h->ctx);
  free(h);
}

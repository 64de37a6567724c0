/*
 * aead.c - AES-128-GCM wrappers (see aead.h), constant-time compare, wipe,
 * and private random bytes for key material.
 */
#include "crypto/aead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

struct tw_cry_gcm {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *g_aes128gcm;

static void fetch_cipher(void) {
  g_aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
}

tw_cry_gcm *tw_cry_gcm_new(void) {
  pthread_once(&g_once, fetch_cipher);
  if (!g_aes128gcm)
    return NULL;
  tw_cry_gcm *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->enc = EVP_CIPHER_CTX_new();
  g->dec = EVP_CIPHER_CTX_new();
  if (!g->enc || !g->dec ||
      EVP_EncryptInit_ex2(g->enc, g_aes128gcm, NULL, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex2(g->dec, g_aes128gcm, NULL, NULL, NULL) != 1) {
    tw_cry_gcm_free(g);
    return NULL;
  }
  return g;
}

void tw_cry_gcm_free(tw_cry_gcm *g) {
  if (!g)
    return;
  EVP_CIPHER_CTX_free(g->enc); /* frees and cleanses the key schedule */
  EVP_CIPHER_CTX_free(g->dec);
  free(g);
}

/* EVP lengths are int: feed large buffers in chunks. */
#define CHUNK (1 << 30)

int tw_cry_gcm_seal(tw_cry_gcm *g, const uint8_t key[TW_CRY_GCM_KEY],
                    const uint8_t iv[TW_CRY_GCM_IV], const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                    uint8_t tag[TW_CRY_GCM_TAG]) {
  int n = 0;
  if (EVP_EncryptInit_ex2(g->enc, NULL, key, iv, NULL) != 1)
    return -1;
  while (aad_len > 0) {
    int c = aad_len > CHUNK ? CHUNK : (int)aad_len;
    if (EVP_EncryptUpdate(g->enc, NULL, &n, aad, c) != 1)
      return -1;
    aad += c;
    aad_len -= (size_t)c;
  }
  while (len > 0) {
    int c = len > CHUNK ? CHUNK : (int)len;
    if (EVP_EncryptUpdate(g->enc, out, &n, in, c) != 1 || n != c)
      return -1;
    in += c;
    out += c;
    len -= (size_t)c;
  }
  if (EVP_EncryptFinal_ex(g->enc, out, &n) != 1 || n != 0)
    return -1;
  if (EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, TW_CRY_GCM_TAG, tag) != 1)
    return -1;
  return 0;
}

int tw_cry_gcm_open(tw_cry_gcm *g, const uint8_t key[TW_CRY_GCM_KEY],
                    const uint8_t iv[TW_CRY_GCM_IV], const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                    const uint8_t tag[TW_CRY_GCM_TAG]) {
  uint8_t *out0 = out;
  size_t len0 = len;
  uint8_t t[TW_CRY_GCM_TAG];
  int n = 0, rc = -1;
  memcpy(t, tag, sizeof t);
  if (EVP_DecryptInit_ex2(g->dec, NULL, key, iv, NULL) != 1)
    goto fail;
  if (EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, TW_CRY_GCM_TAG, t) != 1)
    goto fail;
  while (aad_len > 0) {
    int c = aad_len > CHUNK ? CHUNK : (int)aad_len;
    if (EVP_DecryptUpdate(g->dec, NULL, &n, aad, c) != 1)
      goto fail;
    aad += c;
    aad_len -= (size_t)c;
  }
  while (len > 0) {
    int c = len > CHUNK ? CHUNK : (int)len;
    if (EVP_DecryptUpdate(g->dec, out, &n, in, c) != 1 || n != c)
      goto fail;
    in += c;
    out += c;
    len -= (size_t)c;
  }
  /* DecryptFinal checks the tag. */
  if (EVP_DecryptFinal_ex(g->dec, out, &n) != 1) {
    rc = 1;
    goto fail;
  }
  return 0;
fail:
  OPENSSL_cleanse(out0, len0);
  return rc;
}

int tw_cry_ct_equal(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

void tw_cry_wipe(void *p, size_t n) {
  if (p && n)
    OPENSSL_cleanse(p, n);
}

int tw_cry_priv_bytes(uint8_t *out, size_t n) {
  while (n > 0) {
    int c = n > CHUNK ? CHUNK : (int)n;
    if (RAND_priv_bytes(out, c) != 1)
      return -1;
    out += c;
    n -= (size_t)c;
  }
  return 0;
}

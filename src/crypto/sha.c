/*
 * sha.c - incremental SHA-256 (see sha.h). Each context owns one
 * EVP_MD_CTX; the digest is fetched once per process.
 */
#include "crypto/sha.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

struct tw_cry_sha256_ctx {
  EVP_MD_CTX *md;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static EVP_MD *g_sha256;

static void fetch_md(void) { g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); }

tw_cry_sha256_ctx *tw_cry_sha256_new(void) {
  pthread_once(&g_once, fetch_md);
  if (!g_sha256) return NULL;
  tw_cry_sha256_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->md = EVP_MD_CTX_new();
  if (!c->md || EVP_DigestInit_ex(c->md, g_sha256, NULL) != 1) {
    tw_cry_sha256_free(c);
    return NULL;
  }
  return c;
}

int tw_cry_sha256_update(tw_cry_sha256_ctx *c, const void *data, size_t len) {
  if (len == 0) return 0;
  return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -1;
}

int tw_cry_sha256_final(tw_cry_sha256_ctx *c, uint8_t out[TW_CRY_SHA256_LEN]) {
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != TW_CRY_SHA256_LEN)
    return -1;
  return 0;
}

void tw_cry_sha256_free(tw_cry_sha256_ctx *c) {
  if (!c) return;
  EVP_MD_CTX_free(c->md);
  free(c);
}

/*
 * sha.h - incremental SHA-256 over OpenSSL EVP (the one-shot form is
 * tw_cry_sha256 in kdf.h). Used where the input arrives in pieces, e.g.
 * the launch measurement (src/enclave/measure.c).
 */
#ifndef TW_CRYPTO_SHA_H
#define TW_CRYPTO_SHA_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/kdf.h" /* TW_CRY_SHA256_LEN */

typedef struct tw_cry_sha256_ctx tw_cry_sha256_ctx;

/* NULL on allocation or fetch failure. */
tw_cry_sha256_ctx *tw_cry_sha256_new(void);
/* 0 = ok, -1 = libcrypto failure. */
int tw_cry_sha256_update(tw_cry_sha256_ctx *c, const void *data, size_t len);
/* Finish; the context cannot be updated afterwards. 0 = ok. */
int tw_cry_sha256_final(tw_cry_sha256_ctx *c, uint8_t out[TW_CRY_SHA256_LEN]);
void tw_cry_sha256_free(tw_cry_sha256_ctx *c);

#endif

/*
 * kdf.h - HKDF-SHA256 (EVP_KDF "HKDF"), SHA-256 and HMAC-SHA256 over
 * OpenSSL EVP. Algorithms are fetched once per process and reused.
 */
#ifndef TW_CRYPTO_KDF_H
#define TW_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define TW_CRY_SHA256_LEN 32

/* HKDF-SHA256 (RFC 5869, extract + expand). 0 = ok, -1 = failure. salt and
 * info may be empty (len 0). out_len <= 255 * 32. */
int tw_cry_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                       size_t salt_len, const uint8_t *info, size_t info_len,
                       uint8_t *out, size_t out_len);

/* SHA-256 of data[0..len). 0 = ok. */
int tw_cry_sha256(const void *data, size_t len, uint8_t out[TW_CRY_SHA256_LEN]);

/* Incremental HMAC-SHA256. */
typedef struct tw_cry_hmac tw_cry_hmac;
/* NULL on failure. The key is copied by libcrypto; wipe yours. */
tw_cry_hmac *tw_cry_hmac_new(const uint8_t *key, size_t key_len);
int tw_cry_hmac_update(tw_cry_hmac *h, const void *data, size_t len);
int tw_cry_hmac_final(tw_cry_hmac *h, uint8_t out[TW_CRY_SHA256_LEN]);
void tw_cry_hmac_free(tw_cry_hmac *h);

#endif

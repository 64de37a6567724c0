/*
 * aead.h - AES-128-GCM over OpenSSL EVP.
 *
 * The cipher is fetched once per process and reused; each tw_cry_gcm owns
 * one EVP_CIPHER_CTX that is re-initialised with key + IV only per call.
 * A tw_cry_gcm is not thread-safe: use one per thread or per locked object.
 */
#ifndef TW_CRYPTO_AEAD_H
#define TW_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define TW_CRY_GCM_KEY 16
#define TW_CRY_GCM_IV 12
#define TW_CRY_GCM_TAG 16

typedef struct tw_cry_gcm tw_cry_gcm;

/* NULL on allocation or fetch failure. */
tw_cry_gcm *tw_cry_gcm_new(void);
void tw_cry_gcm_free(tw_cry_gcm *g);

/* Encrypt len bytes (in and out may be the same buffer) with AAD; write
 * the tag. 0 = ok, -1 = libcrypto failure. */
int tw_cry_gcm_seal(tw_cry_gcm *g, const uint8_t key[TW_CRY_GCM_KEY],
                    const uint8_t iv[TW_CRY_GCM_IV], const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                    uint8_t tag[TW_CRY_GCM_TAG]);

/* Decrypt and verify. 0 = authentic; 1 = tag mismatch; -1 = libcrypto
 * failure. On any non-zero result out[0..len) is wiped, so no plaintext
 * of an unauthenticated input survives. `in` must be private memory
 * (never host-shared): it is read once. */
int tw_cry_gcm_open(tw_cry_gcm *g, const uint8_t key[TW_CRY_GCM_KEY],
                    const uint8_t iv[TW_CRY_GCM_IV], const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                    const uint8_t tag[TW_CRY_GCM_TAG]);

/* Constant-time equality of two n-byte buffers (1 = equal). */
int tw_cry_ct_equal(const void *a, const void *b, size_t n);

/* Wipe secret memory (not optimised away). */
void tw_cry_wipe(void *p, size_t n);

/* n bytes from the private DRBG (RAND_priv_bytes): for key material.
 * 0 = ok, -1 = failure. */
int tw_cry_priv_bytes(uint8_t *out, size_t n);

#endif

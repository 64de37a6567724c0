/*
 * sign.h - Ed25519 signatures (RFC 8032, "pure" Ed25519) over OpenSSL's
 * EVP_PKEY_ED25519. Keys are raw: a 32-byte private seed and a 32-byte
 * public key; no PEM or DER here (the CLI converts its key files).
 *
 * Users: module signatures (src/enclave/signer.c) and attestation
 * evidence (src/enclave/attest.c), whose signing seed is derived inside
 * the trusted side from the platform root secret.
 */
#ifndef TW_CRYPTO_SIGN_H
#define TW_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define TW_CRY_ED25519_SEED 32
#define TW_CRY_ED25519_PUB 32
#define TW_CRY_ED25519_SIG 64

/* The public key of a private seed. 0 = ok, -1 = failure. */
int tw_cry_ed25519_public(const uint8_t seed[TW_CRY_ED25519_SEED],
                          uint8_t pub[TW_CRY_ED25519_PUB]);

/* Sign msg[0..len). 0 = ok, -1 = failure (sig is then zeroed). */
int tw_cry_ed25519_sign(const uint8_t seed[TW_CRY_ED25519_SEED],
                        const uint8_t *msg, size_t len,
                        uint8_t sig[TW_CRY_ED25519_SIG]);

/* 1 = the signature is valid for msg under pub; 0 = it is not (including a
 * public key that is not a valid point); -1 = libcrypto failure. */
int tw_cry_ed25519_verify(const uint8_t pub[TW_CRY_ED25519_PUB],
                          const uint8_t *msg, size_t len,
                          const uint8_t sig[TW_CRY_ED25519_SIG]);

#endif

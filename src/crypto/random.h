/*
 * random.h - randomness for the trusted side.
 *
 * Bytes come from OpenSSL's DRBG inside the trusted process, never from a
 * host call: the host must not be able to choose or observe them.
 */
#ifndef TW_CRYPTO_RANDOM_H
#define TW_CRYPTO_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

/* Fill buf[0..n) with cryptographically strong random bytes. Returns false
 * if the generator failed (then the contents of buf are unspecified and
 * must not be used: the caller fails closed). n == 0 always succeeds. */
bool tw_cry_random(void *buf, size_t n);

#endif

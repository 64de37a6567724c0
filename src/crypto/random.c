/*
 * random.c - the crypto room: thin wrappers over OpenSSL libcrypto
 * (randomness here; AES-GCM, SHA-256, HKDF and Ed25519 as they arrive).
 *
 * The room owns every use of libcrypto on the trusted side. Invariants:
 * randomness, keys and measurements are produced inside, never asked of
 * the host; every wrapper fails closed (a failure of the library is
 * reported, and no output that might be weak is handed out as good);
 * secrets are wiped when freed and on error paths.
 *
 * Randomness: RAND_bytes (OpenSSL's CTR-DRBG, seeded and reseeded by the
 * library itself), taken in pieces that fit its int length.
 */
#include "crypto/random.h"


#include <openssl/rand.h>

/* Largest request per RAND_bytes call (well under INT_MAX). */
#define TW_CRYPTO_RAND_CHUNK ((size_t)1 << 20)

bool tw_cry_random(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    size_t k = n < TW_CRYPTO_RAND_CHUNK ? n : TW_CRYPTO_RAND_CHUNK;
    if (RAND_bytes(p, (int)k) != 1) return false;
    p += k;
    n -= k;
  }
  return true;
}

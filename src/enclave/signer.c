/*
 * signer.c - module signature files (the MRSIGNER analogue).
 *
 * A .sig file (TWINE_MODULE_SIG_LEN = 144 bytes, little-endian):
 *    0  8  magic "TWINESIG"
 *    8  2  format version (1)
 *   10  2  reserved, 0
 *   12  4  total length (144)
 *   16 32  signer's Ed25519 public key
 *   48 32  SHA-256 of the module bytes
 *   80 64  Ed25519 signature over bytes [0, 80)
 * The signer id is SHA-256 of the public key. A file is hostile input:
 * every field is checked before the signature, and the module hash is
 * recomputed over the caller's (the enclave's) copy of the module.
 */
#include <string.h>

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/sign.h"
#include "enclave/measure.h"
#include "twine/enclave.h"
#include "util/err.h"

#define SIG_MAGIC "TWINESIG"
#define SIG_VERSION 1
#define SIG_SIGNED 80

twine_status_t twine_module_sign(const uint8_t seed[32], const uint8_t *module,
                                 size_t len,
                                 uint8_t sig[TWINE_MODULE_SIG_LEN]) {
  if (!seed || (!module && len) || !sig) return TWINE_ERR_ARG;
  memset(sig, 0, TWINE_MODULE_SIG_LEN);
  memcpy(sig, SIG_MAGIC, 8);
  tw_enc_put16(sig + 8, SIG_VERSION);
  tw_enc_put32(sig + 12, TWINE_MODULE_SIG_LEN);
  if (tw_cry_ed25519_public(seed, sig + 16) != 0 ||
      tw_cry_sha256(len ? module : (const uint8_t *)"", len, sig + 48) != 0 ||
      tw_cry_ed25519_sign(seed, sig, SIG_SIGNED, sig + SIG_SIGNED) != 0) {
    memset(sig, 0, TWINE_MODULE_SIG_LEN);
    return TWINE_ERR_NOMEM;
  }
  return TWINE_OK;
}

static twine_status_t fail(twine_error_t *out, twine_status_t st,
                           size_t off, const char *msg) {
  tw_err e;
  TW_FAIL(&e, st, off, "module signature: %s", msg);
  tw_err_export(&e, out);
  return st;
}

twine_status_t twine_module_sig_check(const uint8_t *module, size_t len,
                                      const uint8_t *sig, size_t sig_len,
                                      uint8_t signer_id[TWINE_SIGNER_ID_LEN],
                                      uint8_t pub[TWINE_PUBKEY_LEN],
                                      twine_error_t *err) {
  if ((!module && len) || !sig || !signer_id)
    return fail(err, TWINE_ERR_ARG, SIZE_MAX, "missing argument");
  if (sig_len != TWINE_MODULE_SIG_LEN)
    return fail(err, TWINE_ERR_MALFORMED, SIZE_MAX,
                "wrong size (not a twine signature file)");
  /* One private copy: every check below reads the same bytes. */
  uint8_t s[TWINE_MODULE_SIG_LEN];
  memcpy(s, sig, sizeof s);
  if (memcmp(s, SIG_MAGIC, 8) != 0)
    return fail(err, TWINE_ERR_MALFORMED, 0, "bad magic");
  if (tw_enc_get16(s + 8) != SIG_VERSION)
    return fail(err, TWINE_ERR_MALFORMED, 8, "unknown format version");
  if (tw_enc_get16(s + 10) != 0)
    return fail(err, TWINE_ERR_MALFORMED, 10, "reserved field not zero");
  if (tw_enc_get32(s + 12) != TWINE_MODULE_SIG_LEN)
    return fail(err, TWINE_ERR_MALFORMED, 12, "length field mismatch");
  uint8_t h[32];
  if (tw_cry_sha256(len ? module : (const uint8_t *)"", len, h) != 0)
    return fail(err, TWINE_ERR_NOMEM, SIZE_MAX, "hash failure");
  if (!tw_cry_ct_equal(h, s + 48, 32))
    return fail(err, TWINE_ERR_INVALID, 48,
                "signed for another module (hash mismatch)");
  int v = tw_cry_ed25519_verify(s + 16, s, SIG_SIGNED, s + SIG_SIGNED);
  if (v < 0) return fail(err, TWINE_ERR_NOMEM, SIZE_MAX, "libcrypto failure");
  if (v == 0)
    return fail(err, TWINE_ERR_INVALID, SIG_SIGNED,
                "signature does not verify");
  if (tw_cry_sha256(s + 16, 32, signer_id) != 0)
    return fail(err, TWINE_ERR_NOMEM, SIZE_MAX, "hash failure");
  if (pub) memcpy(pub, s + 16, 32);
  return TWINE_OK;
}

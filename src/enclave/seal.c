/*
 * seal.c - sealing-key and attestation-key derivation from the platform
 * root secret (see seal.h for the exact HKDF inputs). Pure functions: the
 * root secret is passed in by the caller (twine_enclave_t holds it) and
 * every intermediate buffer holding key material is wiped.
 */
#include "enclave/seal.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h" /* tw_cry_wipe */
#include "crypto/kdf.h"
#include "enclave/measure.h"

static const char seal_salt[] = "twine seal v1";
static const char attest_salt[] = "twine attestation v1";
static const char attest_info[] = "platform attestation key";

twine_status_t tw_enc_seal_derive(const uint8_t root[TWINE_ROOT_SECRET_LEN],
                                  twine_seal_policy_t policy,
                                  const uint8_t id[32], const char *label,
                                  size_t label_len,
                                  uint8_t out[TWINE_SEAL_KEY_LEN]) {
  if (!root || !id || !label || !out) return TWINE_ERR_ARG;
  if (policy != TWINE_SEAL_MEASUREMENT && policy != TWINE_SEAL_SIGNER)
    return TWINE_ERR_ARG;
  if (label_len == 0 || label_len > TWINE_SEAL_LABEL_MAX) return TWINE_ERR_ARG;
  size_t n = 4 + 32 + 4 + label_len;
  uint8_t *info = malloc(n);
  if (!info) return TWINE_ERR_NOMEM;
  tw_enc_put32(info, (uint32_t)policy);
  memcpy(info + 4, id, 32);
  tw_enc_put32(info + 36, (uint32_t)label_len);
  memcpy(info + 40, label, label_len);
  int rc = tw_cry_hkdf_sha256(root, TWINE_ROOT_SECRET_LEN,
                              (const uint8_t *)seal_salt, sizeof seal_salt - 1,
                              info, n, out, TWINE_SEAL_KEY_LEN);
  free(info);
  if (rc != 0) {
    tw_cry_wipe(out, TWINE_SEAL_KEY_LEN);
    return TWINE_ERR_NOMEM;
  }
  return TWINE_OK;
}

int tw_enc_attest_seed(const uint8_t root[TWINE_ROOT_SECRET_LEN],
                       uint8_t seed[32]) {
  return tw_cry_hkdf_sha256(root, TWINE_ROOT_SECRET_LEN,
                            (const uint8_t *)attest_salt,
                            sizeof attest_salt - 1,
                            (const uint8_t *)attest_info,
                            sizeof attest_info - 1, seed, 32);
}

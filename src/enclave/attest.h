/*
 * attest.h - the trusted identity of one launch (twine_enclave_t) and the
 * evidence format, shared by attest.c and guest_api.c.
 *
 * Evidence, format version 1 (TWINE_EVIDENCE_LEN = 320 bytes, LE):
 *     0  8  magic "TWINEEVD"
 *     8  2  format version (1)
 *    10  2  flags: 1 = signer id present, 2 = report data from the guest
 *    12  4  total length (320)
 *    16 32  measurement
 *    48 32  runtime build id
 *    80  6  runtime version major, minor, patch (u16 each)
 *    86  2  reserved, 0
 *    88  1  nonce length (0..32)
 *    89  7  reserved, 0
 *    96 32  nonce, zero-padded
 *   128 32  signer id (zeros without flag 1)
 *   160 64  report data
 *   224 32  platform attestation public key (Ed25519)
 *   256 64  Ed25519 signature over bytes [0, 256)
 */
#ifndef TW_ENCLAVE_ATTEST_H
#define TW_ENCLAVE_ATTEST_H

#include "twine/enclave.h"

#define TW_ENC_EV_MAGIC "TWINEEVD"
#define TW_ENC_EV_VERSION 1
#define TW_ENC_EV_SIGNED 256

struct twine_enclave {
  uint8_t root[TWINE_ROOT_SECRET_LEN]; /* secret */
  uint8_t attest_seed[32];             /* secret */
  uint8_t attest_pub[TWINE_PUBKEY_LEN];
  uint8_t measurement[TWINE_MEASUREMENT_LEN];
  twine_runtime_identity_t runtime;
  bool has_signer;
  uint8_t signer_id[TWINE_SIGNER_ID_LEN];
  uint8_t *module; /* the enclave's own copy */
  size_t module_len;
};

/* Build and sign evidence with the given flags (TWINE_EVIDENCE_F_GUEST_DATA
 * or 0; the signer flag is added by the function). */
twine_status_t tw_enc_evidence(const twine_enclave_t *e, uint16_t flags,
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *report_data,
                               uint8_t out[TWINE_EVIDENCE_LEN]);

#endif

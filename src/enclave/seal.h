/*
 * seal.h - keys derived inside the trusted side from the platform root
 * secret (HKDF-SHA256; docs/attestation.md, "Key derivation").
 *
 *   sealing key  = HKDF(ikm = root, salt = "twine seal v1",
 *                       info = policy (u32 LE) || id (32) ||
 *                              label length (u32 LE) || label, L = 32)
 *   attest seed  = HKDF(ikm = root, salt = "twine attestation v1",
 *                       info = "platform attestation key", L = 32)
 *
 * id is the measurement (TWINE_SEAL_MEASUREMENT, like SGX MRENCLAVE) or the
 * signer id = SHA-256(signer's Ed25519 public key) (TWINE_SEAL_SIGNER, like
 * MRSIGNER). The label names the purpose, so each use gets its own key:
 * protected mounts use "pfs-mount:<guest path>".
 */
#ifndef TW_ENCLAVE_SEAL_H
#define TW_ENCLAVE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "twine/enclave.h"

/* The label prefix of a protected mount's key; the guest path follows. */
#define TW_ENC_SEAL_LABEL_PFS "pfs-mount:"

/* A sealing key for policy MEASUREMENT or SIGNER, identity `id` (the
 * measurement or the signer id) and a label of 1..TWINE_SEAL_LABEL_MAX
 * bytes. TWINE_ERR_ARG for another policy, NULL pointers or a bad label
 * length; TWINE_ERR_NOMEM on a libcrypto failure (out wiped). */
twine_status_t tw_enc_seal_derive(const uint8_t root[TWINE_ROOT_SECRET_LEN],
                                  twine_seal_policy_t policy,
                                  const uint8_t id[32], const char *label,
                                  size_t label_len,
                                  uint8_t out[TWINE_SEAL_KEY_LEN]);

/* The Ed25519 seed of the platform attestation key. 0 = ok. */
int tw_enc_attest_seed(const uint8_t root[TWINE_ROOT_SECRET_LEN],
                       uint8_t seed[32]);

#endif

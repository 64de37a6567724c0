/*
 * measure.h - the launch measurement (trusted side).
 *
 * measurement = SHA-256(domain || field*), each field tag (u32 LE) ||
 * length (u64 LE) || bytes, in a fixed order (docs/attestation.md has the
 * table). The public entry point twine_measure uses this build's runtime
 * identity; tw_enc_measure takes it as an argument so that known-answer
 * tests do not change with every source edit.
 */
#ifndef TW_ENCLAVE_MEASURE_H
#define TW_ENCLAVE_MEASURE_H

#include "twine/enclave.h"

/* The domain-separation prefix (its NUL included) hashed first. */
#define TW_ENC_MEASURE_DOMAIN "twine measurement v1"

twine_status_t tw_enc_measure(const uint8_t *module, size_t len,
                              const twine_launch_t *launch,
                              const twine_runtime_identity_t *rt,
                              uint8_t out[TWINE_MEASUREMENT_LEN]);

/* Little-endian stores, shared by the enclave room's formats. */
static inline void tw_enc_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void tw_enc_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tw_enc_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t tw_enc_get16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t tw_enc_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

#endif

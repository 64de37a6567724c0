/*
 * twine_attest.h - for guest programs (wasm32) running in Twine: ask the
 * runtime for attestation evidence that binds 64 bytes of your own report
 * data to the measurement of this launch (docs/attestation.md).
 *
 * Typical use: a peer sends a nonce; the guest puts SHA-256(nonce || its
 * public key) into the report data, calls twine_attest, and sends the
 * evidence; the peer checks it with `twine verify EV --pubkey PLATFORM_KEY
 * --expect MEASUREMENT --no-nonce --guest --user-data <report data>` (or
 * twine_evidence_verify).
 *
 * The function is the import "twine" "attest"; a module that uses it runs
 * only in a runtime that provides it (twine with the guest API enabled).
 */
#ifndef TWINE_GUEST_TWINE_ATTEST_H
#define TWINE_GUEST_TWINE_ATTEST_H

#include <stdint.h>

#define TWINE_ATTEST_REPORT_DATA_LEN 64
#define TWINE_ATTEST_EVIDENCE_LEN 320 /* evidence format version 1 */

/* Offsets of the fields a guest may want to read back (all little-endian;
 * the full table is in docs/attestation.md). */
#define TWINE_ATTEST_OFF_MEASUREMENT 16  /* 32 bytes */
#define TWINE_ATTEST_OFF_BUILD_ID 48     /* 32 bytes */
#define TWINE_ATTEST_OFF_SIGNER_ID 128   /* 32 bytes */
#define TWINE_ATTEST_OFF_REPORT_DATA 160 /* 64 bytes */

/* Write evidence for report_data[0..report_len) (report_len must be 64) to
 * out[0..out_cap) and its length to *out_len. Returns 0, or a WASI errno:
 * 28 (EINVAL) report_len != 64; 21 (EFAULT) a buffer outside memory;
 * 42 (ENOBUFS) out_cap too small (*out_len still says how much is needed);
 * 29 (EIO) the runtime could not sign. */
__attribute__((import_module("twine"), import_name("attest"))) int32_t
twine_attest(const void *report_data, uint32_t report_len, void *out,
             uint32_t out_cap, uint32_t *out_len);

#endif

/*
 * attest.c - the trusted identity of a launch and attestation evidence.
 *
 * twine_enclave_t owns: the enclave's copy of the module (what is measured
 * is what gets loaded), the measurement, the runtime identity, the signer
 * id of a verified module signature, the platform root secret and the
 * attestation key derived from it. Secrets are wiped on free and on every
 * error path. Evidence is produced here (format in attest.h, spec in
 * docs/attestation.md) and verified by twine_evidence_verify, which treats
 * its input as hostile: fixed size, every field and reserved byte checked,
 * the signature checked under the verifier's key before any claim is
 * compared.
 */
#include "enclave/attest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/sign.h"
#include "enclave/measure.h"
#include "enclave/seal.h"
#include "util/err.h"

/* ---- the enclave identity ------------------------------------------------ */

static twine_status_t fail(twine_error_t *out, twine_status_t st,
                           const char *msg) {
  tw_err e;
  TW_FAIL(&e, st, SIZE_MAX, "%s", msg);
  tw_err_export(&e, out);
  return st;
}

twine_status_t twine_enclave_new(const twine_enclave_config_t *cfg,
                                 twine_enclave_t **out, twine_error_t *err) {
  if (out) *out = NULL;
  if (!cfg || !out || !cfg->root_secret || !cfg->launch ||
      (!cfg->module && cfg->module_len) || (cfg->sig_len && !cfg->sig))
    return fail(err, TWINE_ERR_ARG, "enclave: missing argument");
  twine_enclave_t *e = calloc(1, sizeof *e);
  if (!e) return fail(err, TWINE_ERR_NOMEM, "enclave: out of memory");
  e->module = malloc(cfg->module_len ? cfg->module_len : 1);
  if (!e->module) {
    free(e);
    return fail(err, TWINE_ERR_NOMEM, "enclave: out of memory");
  }
  if (cfg->module_len) memcpy(e->module, cfg->module, cfg->module_len);
  e->module_len = cfg->module_len;
  memcpy(e->root, cfg->root_secret, TWINE_ROOT_SECRET_LEN);
  twine_runtime_identity(&e->runtime);

  twine_status_t st;
  if (cfg->sig) {
    st = twine_module_sig_check(e->module, e->module_len, cfg->sig,
                                cfg->sig_len, e->signer_id, NULL, err);
    if (st != TWINE_OK) goto fail;
    e->has_signer = true;
  }
  st = tw_enc_measure(e->module, e->module_len, cfg->launch, &e->runtime,
                      e->measurement);
  if (st != TWINE_OK) {
    fail(err, st,
         st == TWINE_ERR_ARG ? "enclave: invalid launch configuration"
                             : "enclave: measurement failed");
    goto fail;
  }
  if (tw_enc_attest_seed(e->root, e->attest_seed) != 0 ||
      tw_cry_ed25519_public(e->attest_seed, e->attest_pub) != 0) {
    st = fail(err, TWINE_ERR_NOMEM, "enclave: key derivation failed");
    goto fail;
  }
  *out = e;
  return TWINE_OK;
fail:
  twine_enclave_free(e);
  return st;
}

void twine_enclave_free(twine_enclave_t *e) {
  if (!e) return;
  free(e->module);
  tw_cry_wipe(e, sizeof *e);
  free(e);
}

void twine_enclave_module_bytes(const twine_enclave_t *e, const uint8_t **bytes,
                                size_t *len) {
  if (bytes) *bytes = e ? e->module : NULL;
  if (len) *len = e ? e->module_len : 0;
}

void twine_enclave_measurement(const twine_enclave_t *e,
                               uint8_t out[TWINE_MEASUREMENT_LEN]) {
  memcpy(out, e->measurement, TWINE_MEASUREMENT_LEN);
}

bool twine_enclave_signer_id(const twine_enclave_t *e,
                             uint8_t out[TWINE_SIGNER_ID_LEN]) {
  if (!e->has_signer) return false;
  memcpy(out, e->signer_id, TWINE_SIGNER_ID_LEN);
  return true;
}

void twine_enclave_attest_pubkey(const twine_enclave_t *e,
                                 uint8_t out[TWINE_PUBKEY_LEN]) {
  memcpy(out, e->attest_pub, TWINE_PUBKEY_LEN);
}

twine_status_t twine_enclave_seal_key(const twine_enclave_t *e,
                                      twine_seal_policy_t policy,
                                      const char *label, size_t label_len,
                                      uint8_t out[TWINE_SEAL_KEY_LEN]) {
  if (!e || !out) return TWINE_ERR_ARG;
  const uint8_t *id;
  if (policy == TWINE_SEAL_MEASUREMENT) {
    id = e->measurement;
  } else if (policy == TWINE_SEAL_SIGNER) {
    if (!e->has_signer) return TWINE_ERR_NOTFOUND;
    id = e->signer_id;
  } else {
    return TWINE_ERR_ARG;
  }
  return tw_enc_seal_derive(e->root, policy, id, label, label_len, out);
}

twine_status_t twine_platform_attest_pubkey(
    const uint8_t root_secret[TWINE_ROOT_SECRET_LEN],
    uint8_t out[TWINE_PUBKEY_LEN]) {
  if (!root_secret || !out) return TWINE_ERR_ARG;
  uint8_t seed[32];
  int rc = tw_enc_attest_seed(root_secret, seed) == 0 &&
                   tw_cry_ed25519_public(seed, out) == 0
               ? 0
               : -1;
  tw_cry_wipe(seed, sizeof seed);
  return rc == 0 ? TWINE_OK : TWINE_ERR_NOMEM;
}

/* ---- producing evidence ------------------------------------------------- */

twine_status_t tw_enc_evidence(const twine_enclave_t *e, uint16_t flags,
                               const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *report_data,
                               uint8_t out[TWINE_EVIDENCE_LEN]) {
  if (!e || !out || nonce_len > TWINE_NONCE_MAX || (nonce_len && !nonce) ||
      (flags & ~(uint16_t)TWINE_EVIDENCE_F_GUEST_DATA))
    return TWINE_ERR_ARG;
  if (e->has_signer) flags |= TWINE_EVIDENCE_F_SIGNER;
  uint8_t *p = out;
  memset(p, 0, TWINE_EVIDENCE_LEN);
  memcpy(p, TW_ENC_EV_MAGIC, 8);
  tw_enc_put16(p + 8, TW_ENC_EV_VERSION);
  tw_enc_put16(p + 10, flags);
  tw_enc_put32(p + 12, TWINE_EVIDENCE_LEN);
  memcpy(p + 16, e->measurement, 32);
  memcpy(p + 48, e->runtime.build_id, 32);
  tw_enc_put16(p + 80, e->runtime.major);
  tw_enc_put16(p + 82, e->runtime.minor);
  tw_enc_put16(p + 84, e->runtime.patch);
  p[88] = (uint8_t)nonce_len;
  if (nonce_len) memcpy(p + 96, nonce, nonce_len);
  if (e->has_signer) memcpy(p + 128, e->signer_id, 32);
  if (report_data) memcpy(p + 160, report_data, TWINE_REPORT_DATA_LEN);
  memcpy(p + 224, e->attest_pub, 32);
  if (tw_cry_ed25519_sign(e->attest_seed, p, TW_ENC_EV_SIGNED,
                          p + TW_ENC_EV_SIGNED) != 0) {
    memset(p, 0, TWINE_EVIDENCE_LEN);
    return TWINE_ERR_NOMEM;
  }
  return TWINE_OK;
}

twine_status_t twine_enclave_attest(const twine_enclave_t *e,
                                    const uint8_t *nonce, size_t nonce_len,
                                    const uint8_t *report_data,
                                    uint8_t out[TWINE_EVIDENCE_LEN]) {
  return tw_enc_evidence(e, 0, nonce, nonce_len, report_data, out);
}

/* ---- verifying evidence ------------------------------------------------- */

static const char *const result_str[] = {
    [TWINE_EVIDENCE_OK] = "evidence verified",
    [TWINE_EVIDENCE_MALFORMED] = "malformed evidence",
    [TWINE_EVIDENCE_WRONG_KEY] = "made with another attestation key",
    [TWINE_EVIDENCE_BAD_SIGNATURE] = "signature does not verify",
    [TWINE_EVIDENCE_WRONG_MEASUREMENT] = "measurement differs",
    [TWINE_EVIDENCE_WRONG_NONCE] = "nonce differs",
    [TWINE_EVIDENCE_WRONG_REPORT_DATA] = "report data differs",
    [TWINE_EVIDENCE_WRONG_SIGNER] = "signer differs",
    [TWINE_EVIDENCE_NOT_GUEST_DATA] = "report data not from the guest",
    [TWINE_EVIDENCE_ERROR] = "verification error",
};

const char *twine_evidence_result_str(twine_evidence_result_t r) {
  if ((unsigned)r >= sizeof result_str / sizeof result_str[0])
    return "unknown result";
  return result_str[r];
}

static twine_evidence_result_t reject(twine_evidence_result_t r, char *why,
                                      size_t why_len, const char *detail) {
  if (why && why_len)
    snprintf(why, why_len, "%s%s%s", twine_evidence_result_str(r),
             detail ? ": " : "", detail ? detail : "");
  return r;
}

static bool all_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc |= p[i];
  return acc == 0;
}

/* The format alone: sizes, magic, version, known flags, zero padding. */
static const char *format_error(const uint8_t *p) {
  if (memcmp(p, TW_ENC_EV_MAGIC, 8) != 0) return "bad magic";
  if (tw_enc_get16(p + 8) != TW_ENC_EV_VERSION) return "unknown version";
  uint16_t flags = tw_enc_get16(p + 10);
  if (flags & ~(uint16_t)(TWINE_EVIDENCE_F_SIGNER |
                          TWINE_EVIDENCE_F_GUEST_DATA))
    return "unknown flags";
  if (tw_enc_get32(p + 12) != TWINE_EVIDENCE_LEN)
    return "length field mismatch";
  if (!all_zero(p + 86, 2) || !all_zero(p + 89, 7))
    return "reserved bytes not zero";
  if (p[88] > TWINE_NONCE_MAX) return "nonce length out of range";
  if (!all_zero(p + 96 + p[88], TWINE_NONCE_MAX - p[88]))
    return "nonce padding not zero";
  if (!(flags & TWINE_EVIDENCE_F_SIGNER) && !all_zero(p + 128, 32))
    return "signer id without the signer flag";
  return NULL;
}

twine_evidence_result_t twine_evidence_verify(
    const uint8_t *ev, size_t len, const twine_evidence_expect_t *x,
    twine_evidence_t *out, char *why, size_t why_len) {
  if (!x || !x->pubkey || (!ev && len) || x->nonce_len > TWINE_NONCE_MAX ||
      (x->nonce_len && !x->nonce))
    return reject(TWINE_EVIDENCE_ERROR, why, why_len, "bad arguments");
  if (len != TWINE_EVIDENCE_LEN)
    return reject(TWINE_EVIDENCE_MALFORMED, why, why_len, "wrong size");
  /* One private copy: the checks and the caller's view agree. */
  uint8_t p[TWINE_EVIDENCE_LEN];
  memcpy(p, ev, sizeof p);
  const char *bad = format_error(p);
  if (bad) return reject(TWINE_EVIDENCE_MALFORMED, why, why_len, bad);
  if (memcmp(p + 224, x->pubkey, TWINE_PUBKEY_LEN) != 0)
    return reject(TWINE_EVIDENCE_WRONG_KEY, why, why_len, NULL);
  int v = tw_cry_ed25519_verify(x->pubkey, p, TW_ENC_EV_SIGNED,
                                p + TW_ENC_EV_SIGNED);
  if (v < 0) return reject(TWINE_EVIDENCE_ERROR, why, why_len, "libcrypto");
  if (v == 0) return reject(TWINE_EVIDENCE_BAD_SIGNATURE, why, why_len, NULL);

  twine_evidence_t d;
  memset(&d, 0, sizeof d);
  d.version = tw_enc_get16(p + 8);
  d.flags = tw_enc_get16(p + 10);
  memcpy(d.measurement, p + 16, 32);
  memcpy(d.runtime.build_id, p + 48, 32);
  d.runtime.major = tw_enc_get16(p + 80);
  d.runtime.minor = tw_enc_get16(p + 82);
  d.runtime.patch = tw_enc_get16(p + 84);
  d.nonce_len = p[88];
  memcpy(d.nonce, p + 96, TWINE_NONCE_MAX);
  memcpy(d.signer_id, p + 128, 32);
  memcpy(d.report_data, p + 160, TWINE_REPORT_DATA_LEN);
  memcpy(d.pubkey, p + 224, 32);
  if (out) *out = d;

  if (x->measurement && memcmp(d.measurement, x->measurement, 32) != 0)
    return reject(TWINE_EVIDENCE_WRONG_MEASUREMENT, why, why_len, NULL);
  if (x->nonce && (d.nonce_len != x->nonce_len ||
                   memcmp(d.nonce, x->nonce, x->nonce_len) != 0))
    return reject(TWINE_EVIDENCE_WRONG_NONCE, why, why_len, NULL);
  if (x->signer_id && (!(d.flags & TWINE_EVIDENCE_F_SIGNER) ||
                       memcmp(d.signer_id, x->signer_id, 32) != 0))
    return reject(TWINE_EVIDENCE_WRONG_SIGNER, why, why_len, NULL);
  if (x->require_guest_data && !(d.flags & TWINE_EVIDENCE_F_GUEST_DATA))
    return reject(TWINE_EVIDENCE_NOT_GUEST_DATA, why, why_len, NULL);
  if (x->report_data &&
      memcmp(d.report_data, x->report_data, TWINE_REPORT_DATA_LEN) != 0)
    return reject(TWINE_EVIDENCE_WRONG_REPORT_DATA, why, why_len, NULL);
  return reject(TWINE_EVIDENCE_OK, why, why_len, NULL);
}

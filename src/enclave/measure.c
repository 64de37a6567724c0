/*
 * measure.c - the enclave room's identity of a launch: the measurement
 * (SHA-256 over module bytes, runtime identity and the behaviour-relevant
 * launch configuration) and this build's runtime identity.
 *
 * Canonical encoding: the domain string with its NUL, then fields
 *   tag (u32 LE) || length (u64 LE) || value
 * in the order of the tags below. Integers are u64 LE (length 8), strings
 * their bytes without NUL, lists a count field followed by one field (or
 * group of fields) per element. Every field is tagged and length-prefixed,
 * so no two different launches share an encoding. Normalisations (so that
 * equivalent launches measure the same): max_memory_bytes 0 -> 4 GiB;
 * entry "_start" and NULL are the same (the default); argv fields only
 * when measure_args. docs/attestation.md is the specification.
 */
#include "enclave/measure.h"

#include <string.h>

#include "crypto/sha.h"
#include "tw_build_id.h"

enum {
  T_MODULE = 1,
  T_RUNTIME_VERSION = 2,
  T_BUILD_ID = 3,
  T_BOUNDS = 4,
  T_MAX_MEMORY = 5,
  T_VALUE_STACK = 6,
  T_CALL_DEPTH = 7,
  T_ENTRY = 8,
  T_ARGS_MEASURED = 9,
  T_ARG_COUNT = 10,
  T_ARG = 11,
  T_ENV_COUNT = 12,
  T_ENV = 13,
  T_MOUNT_COUNT = 14,
  T_MOUNT_GUEST = 15,
  T_MOUNT_MODE = 16,
  T_MOUNT_POLICY = 17,
  T_MOUNT_PARAMS = 18,
  T_SOCKET_COUNT = 19
};

static const uint8_t build_id[TWINE_BUILD_ID_LEN] = {TW_BUILD_ID_BYTES};

void twine_runtime_identity(twine_runtime_identity_t *out) {
  if (!out) return;
  out->major = TWINE_VERSION_MAJOR;
  out->minor = TWINE_VERSION_MINOR;
  out->patch = TWINE_VERSION_PATCH;
  memcpy(out->build_id, build_id, sizeof build_id);
}

void twine_launch_default(twine_launch_t *l) {
  if (!l) return;
  memset(l, 0, sizeof *l);
  twine_config_default(&l->engine);
}

typedef struct enc {
  tw_cry_sha256_ctx *h;
  int bad; /* a libcrypto failure happened */
} enc;

static void field(enc *e, uint32_t tag, const void *v, size_t len) {
  uint8_t hdr[12];
  tw_enc_put32(hdr, tag);
  tw_enc_put64(hdr + 4, (uint64_t)len);
  if (tw_cry_sha256_update(e->h, hdr, sizeof hdr) != 0 ||
      tw_cry_sha256_update(e->h, v, len) != 0)
    e->bad = 1;
}

static void field_u64(enc *e, uint32_t tag, uint64_t v) {
  uint8_t b[8];
  tw_enc_put64(b, v);
  field(e, tag, b, sizeof b);
}

static void field_str(enc *e, uint32_t tag, const char *s) {
  field(e, tag, s, strlen(s));
}

/* Every pointer the encoding will follow is present and every enum known. */
static bool launch_ok(const twine_launch_t *l) {
  if ((l->argc && !l->argv) || (l->nenv && !l->env) ||
      (l->nmounts && !l->mounts))
    return false;
  if (l->engine.bounds != TWINE_BOUNDS_GUARD_PAGES &&
      l->engine.bounds != TWINE_BOUNDS_EXPLICIT)
    return false;
  for (size_t i = 0; l->measure_args && i < l->argc; i++)
    if (!l->argv[i]) return false;
  for (size_t i = 0; i < l->nenv; i++)
    if (!l->env[i]) return false;
  for (size_t i = 0; i < l->nmounts; i++) {
    const twine_launch_mount_t *m = &l->mounts[i];
    if (!m->guest_path || (m->params_len && !m->params)) return false;
    if (m->mode != TWINE_MOUNT_PLAIN && m->mode != TWINE_MOUNT_PROTECTED)
      return false;
    if ((unsigned)m->policy > TWINE_SEAL_EXPLICIT) return false;
    /* A plain mount has no key policy; a protected one needs one. */
    if ((m->mode == TWINE_MOUNT_PLAIN) != (m->policy == TWINE_SEAL_NONE))
      return false;
  }
  return true;
}

twine_status_t tw_enc_measure(const uint8_t *module, size_t len,
                              const twine_launch_t *l,
                              const twine_runtime_identity_t *rt,
                              uint8_t out[TWINE_MEASUREMENT_LEN]) {
  if ((!module && len) || !l || !rt || !out || !launch_ok(l))
    return TWINE_ERR_ARG;
  enc e = {tw_cry_sha256_new(), 0};
  if (!e.h) return TWINE_ERR_NOMEM;
  static const char domain[] = TW_ENC_MEASURE_DOMAIN;
  if (tw_cry_sha256_update(e.h, domain, sizeof domain) != 0) e.bad = 1;

  field(&e, T_MODULE, module, len);
  uint8_t ver[6];
  tw_enc_put16(ver, rt->major);
  tw_enc_put16(ver + 2, rt->minor);
  tw_enc_put16(ver + 4, rt->patch);
  field(&e, T_RUNTIME_VERSION, ver, sizeof ver);
  field(&e, T_BUILD_ID, rt->build_id, TWINE_BUILD_ID_LEN);

  field_u64(&e, T_BOUNDS, (uint64_t)l->engine.bounds);
  uint64_t maxmem = l->engine.max_memory_bytes ? l->engine.max_memory_bytes
                                               : (uint64_t)4 << 30;
  field_u64(&e, T_MAX_MEMORY, maxmem);
  field_u64(&e, T_VALUE_STACK, (uint64_t)l->engine.value_stack_bytes);
  field_u64(&e, T_CALL_DEPTH, (uint64_t)l->engine.max_call_depth);
  const char *entry =
      l->entry && strcmp(l->entry, "_start") != 0 ? l->entry : "";
  field_str(&e, T_ENTRY, entry);

  field_u64(&e, T_ARGS_MEASURED, l->measure_args ? 1 : 0);
  if (l->measure_args) {
    field_u64(&e, T_ARG_COUNT, (uint64_t)l->argc);
    for (size_t i = 0; i < l->argc; i++) field_str(&e, T_ARG, l->argv[i]);
  }
  field_u64(&e, T_ENV_COUNT, (uint64_t)l->nenv);
  for (size_t i = 0; i < l->nenv; i++) field_str(&e, T_ENV, l->env[i]);
  field_u64(&e, T_MOUNT_COUNT, (uint64_t)l->nmounts);
  for (size_t i = 0; i < l->nmounts; i++) {
    const twine_launch_mount_t *m = &l->mounts[i];
    field_str(&e, T_MOUNT_GUEST, m->guest_path);
    field_u64(&e, T_MOUNT_MODE, (uint64_t)m->mode);
    field_u64(&e, T_MOUNT_POLICY, (uint64_t)m->policy);
    field(&e, T_MOUNT_PARAMS, m->params, m->params_len);
  }
  field_u64(&e, T_SOCKET_COUNT, (uint64_t)l->nsockets);

  if (tw_cry_sha256_final(e.h, out) != 0) e.bad = 1;
  tw_cry_sha256_free(e.h);
  if (e.bad) {
    memset(out, 0, TWINE_MEASUREMENT_LEN);
    return TWINE_ERR_NOMEM;
  }
  return TWINE_OK;
}

twine_status_t twine_measure(const uint8_t *module, size_t len,
                             const twine_launch_t *launch,
                             uint8_t out[TWINE_MEASUREMENT_LEN]) {
  twine_runtime_identity_t rt;
  twine_runtime_identity(&rt);
  return tw_enc_measure(module, len, launch, &rt, out);
}

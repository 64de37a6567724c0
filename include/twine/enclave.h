/*
 * enclave.h - measurement, module signatures, sealing keys and attestation.
 *
 * The trusted side of Twine identifies what it runs by a *measurement*:
 * SHA-256 over a canonical encoding of the module bytes it holds, the
 * runtime's identity (version + build id) and the launch configuration
 * that changes the program's behaviour (engine limits, entry point,
 * environment, optionally argv, mounts with their protection modes, the
 * number of preopened sockets). docs/attestation.md specifies the encoding.
 *
 * A *platform root secret* (32 bytes; see twine_platform_key_load) stands
 * in for the fused key of a CPU. From it, inside the trusted side:
 *   - sealing keys, bound to the measurement (like SGX MRENCLAVE) or to the
 *     module's signer (like MRSIGNER), one per label (purpose);
 *   - the platform attestation key (Ed25519) that signs *evidence*: the
 *     measurement, the runtime identity, a verifier's nonce and 64 bytes of
 *     report data. Anyone can check evidence with twine_evidence_verify and
 *     the platform's attestation public key.
 * Without SGX this is a software root of trust: whoever can read the root
 * secret file can derive every sealing key and forge evidence.
 *
 * Typical launch (the untrusted launcher reads files; the rest is inside):
 *   uint8_t root[32]; twine_platform_key_load(NULL, root, path, sizeof path, &err);
 *   twine_enclave_config_t ec = {root, bytes, len, sig, sig_len, &launch};
 *   twine_enclave_new(&ec, &enc, &err);          // copies + measures bytes
 *   twine_enclave_module_bytes(enc, &b, &n);     // load THESE bytes
 *   twine_module_new(engine, b, n, &mod, &err);
 *   twine_enclave_guest_define(enc, store, linker); // import module "twine"
 *
 * Ownership as in twine.h: *_new / *_free pairs, *_free(NULL) is a no-op.
 * Secrets held by a twine_enclave_t are wiped when it is freed.
 */
#ifndef TWINE_ENCLAVE_H
#define TWINE_ENCLAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twine/twine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TWINE_MEASUREMENT_LEN 32
#define TWINE_BUILD_ID_LEN 32
#define TWINE_ROOT_SECRET_LEN 32
#define TWINE_SEAL_KEY_LEN 32
#define TWINE_PUBKEY_LEN 32 /* Ed25519 public key */
#define TWINE_SIGNER_ID_LEN 32
#define TWINE_NONCE_MAX 32
#define TWINE_REPORT_DATA_LEN 64
#define TWINE_EVIDENCE_LEN 320 /* format version 1 */
#define TWINE_MODULE_SIG_LEN 144 /* a .sig file, format version 1 */
#define TWINE_SEAL_LABEL_MAX 1024

/* ---- runtime identity ------------------------------------------------- */

typedef struct twine_runtime_identity {
  uint16_t major, minor, patch; /* TWINE_VERSION */
  /* SHA-256 over the trusted sources (src/{util,wasm,rt,interp,wasi,
   * enclave,crypto,pfs}, include/twine) and the build options that change
   * trusted code, computed at build time; or -DTWINE_BUILD_ID=<64 hex>. */
  uint8_t build_id[TWINE_BUILD_ID_LEN];
} twine_runtime_identity_t;

/* This build's identity. */
void twine_runtime_identity(twine_runtime_identity_t *out);

/* ---- launch configuration (what is measured besides code) ------------- */

typedef enum twine_mount_mode {
  TWINE_MOUNT_PLAIN = 0,    /* host files as they are */
  TWINE_MOUNT_PROTECTED = 1 /* every file through the protected FS */
} twine_mount_mode_t;

typedef enum twine_seal_policy {
  TWINE_SEAL_NONE = 0,        /* plain mounts */
  TWINE_SEAL_MEASUREMENT = 1, /* keys bound to the measurement */
  TWINE_SEAL_SIGNER = 2,      /* keys bound to the module's signer */
  TWINE_SEAL_EXPLICIT = 3     /* a key supplied by the operator */
} twine_seal_policy_t;

typedef struct twine_launch_mount {
  const char *guest_path;   /* as the guest sees it; the host path is not
                               measured (the host chooses where data lives) */
  twine_mount_mode_t mode;
  twine_seal_policy_t policy; /* TWINE_SEAL_NONE for plain mounts */
  /* Mode-specific parameters, measured as given (e.g. the fingerprint of an
   * explicit key). NULL/0 if none. */
  const uint8_t *params;
  size_t params_len;
} twine_launch_mount_t;

typedef struct twine_launch {
  twine_config_t engine;      /* bounds, limits (max_memory 0 = 4 GiB) */
  const char *entry;          /* export called instead of _start, or NULL */
  bool measure_args;          /* argv (incl. argv[0]) is part of the
                                 measurement; otherwise only the fact that
                                 it is not */
  size_t argc;
  const char *const *argv;
  size_t nenv;                /* "KEY=VALUE", in order */
  const char *const *env;
  size_t nmounts;             /* in preopen order */
  const twine_launch_mount_t *mounts;
  size_t nsockets;            /* preopened listening sockets (the addresses
                                 are the host's business, the count shapes
                                 the guest's descriptor table) */
} twine_launch_t;

/* A launch with the engine defaults and nothing else. */
void twine_launch_default(twine_launch_t *l);

/* The measurement of `module` under `launch` with this build's identity.
 * TWINE_ERR_ARG for NULL pointers, a NULL string in a list or an unknown
 * mode/policy; TWINE_ERR_NOMEM on a libcrypto failure. */
twine_status_t twine_measure(const uint8_t *module, size_t len,
                             const twine_launch_t *launch,
                             uint8_t out[TWINE_MEASUREMENT_LEN]);

/* ---- module signatures (MRSIGNER analogue) ------------------------------ */

/* Sign a module with an Ed25519 private seed: writes the .sig file
 * (docs/attestation.md: magic, version, public key, SHA-256 of the module,
 * signature). Done by the developer, outside any enclave. */
twine_status_t twine_module_sign(const uint8_t seed[32], const uint8_t *module,
                                 size_t len,
                                 uint8_t sig[TWINE_MODULE_SIG_LEN]);

/* Check a .sig file (hostile input) against a module. On success writes
 * the signer id = SHA-256(signer public key) and, if pub is not NULL, the
 * public key. TWINE_ERR_MALFORMED: not a signature file of a known
 * version; TWINE_ERR_INVALID: for another module, or the signature does
 * not verify. */
twine_status_t twine_module_sig_check(const uint8_t *module, size_t len,
                                      const uint8_t *sig, size_t sig_len,
                                      uint8_t signer_id[TWINE_SIGNER_ID_LEN],
                                      uint8_t pub[TWINE_PUBKEY_LEN],
                                      twine_error_t *err);

/* ---- the trusted identity of one launch ---------------------------------- */

typedef struct twine_enclave twine_enclave_t;

typedef struct twine_enclave_config {
  const uint8_t *root_secret; /* TWINE_ROOT_SECRET_LEN bytes, copied */
  const uint8_t *module;      /* copied: the enclave measures its own copy */
  size_t module_len;
  const uint8_t *sig;         /* a .sig file, or NULL (no signer) */
  size_t sig_len;
  const twine_launch_t *launch; /* measured, not kept */
} twine_enclave_config_t;

/* Copy the module in, verify its signature (if given) over the copy,
 * measure it with the launch configuration, derive the attestation key.
 * TWINE_ERR_INVALID (with a message) for a signature that does not verify,
 * TWINE_ERR_MALFORMED for a malformed one; TWINE_ERR_ARG for NULL
 * arguments or a bad launch; TWINE_ERR_NOMEM. */
twine_status_t twine_enclave_new(const twine_enclave_config_t *cfg,
                                 twine_enclave_t **out, twine_error_t *err);
void twine_enclave_free(twine_enclave_t *e);

/* The enclave's copy of the module: load exactly these bytes, so that what
 * runs is what was measured. Valid until twine_enclave_free. */
void twine_enclave_module_bytes(const twine_enclave_t *e, const uint8_t **bytes,
                                size_t *len);
void twine_enclave_measurement(const twine_enclave_t *e,
                               uint8_t out[TWINE_MEASUREMENT_LEN]);
/* false if the module was not signed (out untouched). */
bool twine_enclave_signer_id(const twine_enclave_t *e,
                             uint8_t out[TWINE_SIGNER_ID_LEN]);
void twine_enclave_attest_pubkey(const twine_enclave_t *e,
                                 uint8_t out[TWINE_PUBKEY_LEN]);

/* A 32-byte sealing key for `policy` (MEASUREMENT or SIGNER) and a label
 * (1..TWINE_SEAL_LABEL_MAX bytes naming the purpose, e.g.
 * "pfs-mount:/data"). TWINE_ERR_NOTFOUND for SIGNER when the module is not
 * signed; TWINE_ERR_ARG otherwise on bad arguments. */
twine_status_t twine_enclave_seal_key(const twine_enclave_t *e,
                                      twine_seal_policy_t policy,
                                      const char *label, size_t label_len,
                                      uint8_t out[TWINE_SEAL_KEY_LEN]);

/* Evidence (TWINE_EVIDENCE_LEN bytes) for a verifier's nonce (0..32 bytes;
 * 0 = none) and report data (NULL = 64 zero bytes). The launcher chose the
 * report data here; evidence a guest obtains through the "twine" import
 * module is marked as guest report data instead. */
twine_status_t twine_enclave_attest(const twine_enclave_t *e,
                                    const uint8_t *nonce, size_t nonce_len,
                                    const uint8_t *report_data,
                                    uint8_t out[TWINE_EVIDENCE_LEN]);

/* Define the import module "twine" (twine.attest, see
 * include/twine/guest/twine_attest.h) in `linker`, with host functions
 * owned by `store` (the linker's store). `e` must outlive every call of
 * those functions. */
twine_status_t twine_enclave_guest_define(twine_enclave_t *e,
                                          twine_store_t *store,
                                          twine_linker_t *linker);

/* The platform attestation public key of a root secret (what verifiers
 * are given, e.g. by `twine attest --pubkey`). */
twine_status_t twine_platform_attest_pubkey(
    const uint8_t root_secret[TWINE_ROOT_SECRET_LEN],
    uint8_t out[TWINE_PUBKEY_LEN]);

/* ---- verifying evidence (no secret needed) ----------------------------- */

#define TWINE_EVIDENCE_F_SIGNER 0x1u       /* signer_id is set */
#define TWINE_EVIDENCE_F_GUEST_DATA 0x2u   /* report data chosen by the guest */

typedef struct twine_evidence {
  uint16_t version;
  uint16_t flags; /* TWINE_EVIDENCE_F_* */
  uint8_t measurement[TWINE_MEASUREMENT_LEN];
  twine_runtime_identity_t runtime;
  uint8_t nonce[TWINE_NONCE_MAX];
  size_t nonce_len;
  uint8_t signer_id[TWINE_SIGNER_ID_LEN];
  uint8_t report_data[TWINE_REPORT_DATA_LEN];
  uint8_t pubkey[TWINE_PUBKEY_LEN];
} twine_evidence_t;

/* What a verifier insists on; NULL pointers are not checked. pubkey is
 * required: evidence is only as good as the key it was checked with. */
typedef struct twine_evidence_expect {
  const uint8_t *pubkey;      /* TWINE_PUBKEY_LEN, required */
  const uint8_t *measurement; /* TWINE_MEASUREMENT_LEN */
  const uint8_t *nonce;       /* nonce_len bytes (compared with length) */
  size_t nonce_len;
  const uint8_t *report_data; /* TWINE_REPORT_DATA_LEN */
  const uint8_t *signer_id;   /* TWINE_SIGNER_ID_LEN */
  bool require_guest_data;    /* flags must include F_GUEST_DATA */
} twine_evidence_expect_t;

typedef enum twine_evidence_result {
  TWINE_EVIDENCE_OK = 0,
  TWINE_EVIDENCE_MALFORMED,     /* not evidence of a known format */
  TWINE_EVIDENCE_WRONG_KEY,     /* made with another attestation key */
  TWINE_EVIDENCE_BAD_SIGNATURE, /* altered after signing */
  TWINE_EVIDENCE_WRONG_MEASUREMENT,
  TWINE_EVIDENCE_WRONG_NONCE,
  TWINE_EVIDENCE_WRONG_REPORT_DATA,
  TWINE_EVIDENCE_WRONG_SIGNER,
  TWINE_EVIDENCE_NOT_GUEST_DATA,
  TWINE_EVIDENCE_ERROR          /* bad arguments or libcrypto failure */
} twine_evidence_result_t;

/* Parse evidence (hostile input) and check it: format first, then the
 * signature under expect->pubkey, then each expectation. *out (may be
 * NULL) is filled only when the format and the signature are good. A
 * one-line reason goes to why (may be NULL). */
twine_evidence_result_t twine_evidence_verify(
    const uint8_t *ev, size_t len, const twine_evidence_expect_t *expect,
    twine_evidence_t *out, char *why, size_t why_len);

/* Short text for a result ("signature does not verify", ...). */
const char *twine_evidence_result_str(twine_evidence_result_t r);

/* ---- the platform root secret (untrusted launcher, twine_host) ---------- */

/* Read the root secret from `path`, or if NULL from $TWINE_PLATFORM_KEY_FILE,
 * else $XDG_DATA_HOME/twine/platform.key, else
 * ~/.local/share/twine/platform.key. A missing file is created (32 random
 * bytes, mode 0600, parent directory 0700, atomically). Refused with
 * TWINE_ERR_IO and a message: not a regular file, a size other than 32,
 * any group/other permission bit, another owner. The path used is written
 * to path_used (may be NULL). */
twine_status_t twine_platform_key_load(const char *path,
                                       uint8_t out[TWINE_ROOT_SECRET_LEN],
                                       char *path_used, size_t path_cap,
                                       twine_error_t *err);

#ifdef __cplusplus
}
#endif

#endif

/*
 * cli_enclave.h - what `twine measure`, `twine attest` and `twine run`
 * share: the enclave options on top of the run options, the
 * launch description measured from them, the platform key, hex and small
 * files.
 */
#ifndef TWINE_TOOLS_CLI_ENCLAVE_H
#define TWINE_TOOLS_CLI_ENCLAVE_H

#include "cli.h"
#include "twine/enclave.h"

/* Options beyond `twine run`'s, recognised by cli_enclave_opt. */
typedef struct cli_enclave_opts {
  const char *cmd;       /* "measure", "attest": for messages */
  bool measure_args;     /* --measure-args */
  const char *sig;       /* --sig FILE */
  /* attest only (NULL: rejected as unknown) */
  bool attest;
  const char *nonce;     /* --nonce HEX */
  const char *user_data; /* --user-data HEX */
  const char *out;       /* -o FILE */
} cli_enclave_opts;

/* A cli_run_extra_fn (ctx = cli_enclave_opts *). */
int cli_enclave_opt(void *ctx, int argc, char **argv, int i);

/* The launch description of run options o: owns its arrays. */
typedef struct cli_launch {
  twine_launch_t l;
  const char **argv;
  twine_launch_mount_t *mounts;
  /* --key-file: SHA-256("twine explicit mount key v1" NUL || key), the
   * measured parameter of explicit-key mounts (never the key) */
  uint8_t key_fpr[32];
} cli_launch;

bool cli_launch_build(const cli_run_opts *o, bool measure_args,
                      cli_launch *out);
void cli_launch_free(cli_launch *cl);

/* Read the module's signature file (if eo->sig), the platform key, and
 * create the enclave over the module bytes. Reports errors. */
bool cli_enclave_open(const cli_run_opts *o, const cli_enclave_opts *eo,
                      const uint8_t *module, size_t len,
                      twine_enclave_t **out);
/* The same with a root secret already in hand (the trusted process, which
 * received it in its launch frame). Reads no file unless eo->sig. */
bool cli_enclave_open_root(const cli_run_opts *o, const cli_enclave_opts *eo,
                           const uint8_t root[TWINE_ROOT_SECRET_LEN],
                           const uint8_t *module, size_t len,
                           twine_enclave_t **out);

/* Decode and validate module bytes as `twine run` would (reports). */
bool cli_module_check(const char *path, const twine_config_t *cfg,
                      const uint8_t *b, size_t n);

/* Decode hex (even length, both cases, no separators) of 1..max bytes. */
bool cli_hex_decode(const char *s, uint8_t *out, size_t max, size_t *len);
/* n bytes as lowercase hex into buf (2n+1 bytes). */
void cli_hex_encode(const uint8_t *b, size_t n, char *buf);
/* A 32-byte value given as 64 hex digits, or as a file holding them
 * (surrounding whitespace allowed). what names it in messages. */
bool cli_hex32_arg(const char *cmd, const char *what, const char *arg,
                   uint8_t out[32]);

/* Read a whole regular file of at most max bytes. */
bool cli_read_file(const char *cmd, const char *path, size_t max,
                   uint8_t **bytes, size_t *len);
/* Write bytes to path (created 0644 or truncated; "-" = stdout). */
bool cli_write_file(const char *cmd, const char *path, const uint8_t *b,
                    size_t n);

#endif

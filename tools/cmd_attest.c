/*
 * cmd_attest.c - `twine attest`: evidence for a module launched with the
 * given options, signed with the platform attestation key (derived inside
 * from the platform root secret), for a verifier's nonce and optional user
 * data; or the platform attestation public key (--pubkey).
 *
 *   twine attest [RUN OPTIONS] [--measure-args] [--sig FILE] --nonce HEX
 *                [--user-data HEX] -o EVIDENCE MODULE.wasm [ARGS...]
 *   twine attest --pubkey [-o FILE]
 */
#include <stdlib.h>
#include <string.h>

#include "cli_enclave.h"

void cli_help_attest(FILE *f) {
  fputs(
      "Usage: twine attest [RUN OPTIONS] [--measure-args] [--sig FILE]\n"
      "                    --nonce HEX [--user-data HEX] -o EVIDENCE\n"
      "                    MODULE.wasm [ARGS...]\n"
      "       twine attest --pubkey [-o FILE]\n"
      "\n"
      "Load the module into the trusted side as a launch with these options\n"
      "would (see 'twine measure --help' for what is measured), and write\n"
      "evidence (320 bytes, docs/attestation.md): the measurement, the\n"
      "runtime identity, the signer id (with --sig), the verifier's nonce and\n"
      "64 bytes of user data, signed with the platform attestation key.\n"
      "Check it with 'twine verify'. The guest is not run.\n"
      "\n"
      "--pubkey prints the platform attestation public key (64 hex digits)\n"
      "that verifiers need, or writes it to FILE.\n"
      "\n"
      "The platform root secret is read from $TWINE_PLATFORM_KEY_FILE, else\n"
      "$XDG_DATA_HOME/twine/platform.key, else\n"
      "~/.local/share/twine/platform.key, and created there (0600) on first\n"
      "use. This is a software root of trust: whoever can read that file\n"
      "can forge evidence.\n"
      "\n"
      "Options:\n"
      "  --nonce HEX        the verifier's nonce, 1 to 32 bytes (required)\n"
      "  --user-data HEX    up to 64 bytes of report data, zero-padded\n"
      "                     (chosen by whoever runs this command, and marked\n"
      "                     so: not by the guest)\n"
      "  -o, --output FILE  where to write the evidence (- = stdout)\n"
      "  --measure-args, --sig FILE   as for 'twine measure'\n"
      "  -h, --help         this help\n",
      f);
}

static bool load_root(uint8_t root[TWINE_ROOT_SECRET_LEN]) {
  twine_error_t err;
  memset(&err, 0, sizeof err);
  if (twine_platform_key_load(NULL, root, NULL, 0, &err) != TWINE_OK) {
    cli_err("attest: %s", err.message);
    return false;
  }
  return true;
}

static int export_pubkey(int argc, char **argv) {
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pubkey")) continue;
    if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) &&
        i + 1 < argc) {
      out = argv[++i];
      continue;
    }
    cli_err("attest: --pubkey takes only -o FILE (not %s)", argv[i]);
    return CLI_EXIT_ERROR;
  }
  uint8_t root[TWINE_ROOT_SECRET_LEN], pub[TWINE_PUBKEY_LEN];
  if (!load_root(root)) return CLI_EXIT_ERROR;
  twine_status_t st = twine_platform_attest_pubkey(root, pub);
  explicit_bzero(root, sizeof root);
  if (st != TWINE_OK) {
    cli_err("attest: cannot derive the attestation key");
    return CLI_EXIT_ERROR;
  }
  char hex[2 * TWINE_PUBKEY_LEN + 2];
  cli_hex_encode(pub, sizeof pub, hex);
  if (!out) {
    printf("%s\n", hex);
    return CLI_EXIT_OK;
  }
  strcat(hex, "\n");
  return cli_write_file("attest", out, (const uint8_t *)hex, strlen(hex))
             ? CLI_EXIT_OK
             : CLI_EXIT_ERROR;
}

int cli_cmd_attest(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      cli_help_attest(stdout);
      return CLI_EXIT_OK;
    }
    if (!strcmp(argv[i], "--pubkey")) return export_pubkey(argc, argv);
    if (argv[i][0] != '-') break; /* options end at the module */
  }
  cli_enclave_opts eo = {.cmd = "attest", .attest = true};
  cli_run_opts o;
  int rc = cli_run_parse(argc, argv, &o, cli_enclave_opt, &eo);
  if (rc >= 0) {
    cli_run_opts_free(&o);
    return rc;
  }
  rc = CLI_EXIT_ERROR;
  uint8_t *bytes = NULL, nonce[TWINE_NONCE_MAX];
  uint8_t udata[TWINE_REPORT_DATA_LEN] = {0}, ev[TWINE_EVIDENCE_LEN];
  size_t len = 0, nonce_len = 0, ulen = 0;
  twine_enclave_t *enc = NULL;
  if (!eo.nonce || !eo.out) {
    cli_err("attest: --nonce HEX and -o EVIDENCE are required (try 'twine "
            "attest --help')");
    goto out;
  }
  if (!cli_hex_decode(eo.nonce, nonce, sizeof nonce, &nonce_len)) {
    cli_err("attest: --nonce %s: expected 1 to 32 bytes in hex", eo.nonce);
    goto out;
  }
  if (eo.user_data &&
      !cli_hex_decode(eo.user_data, udata, sizeof udata, &ulen)) {
    cli_err("attest: --user-data %s: expected 1 to 64 bytes in hex",
            eo.user_data);
    goto out;
  }
  if (!cli_read_module(o.module, &bytes, &len)) goto out;
  if (!cli_enclave_open(&o, &eo, bytes, len, &enc)) goto out;
  const uint8_t *mb;
  size_t mlen;
  twine_enclave_module_bytes(enc, &mb, &mlen);
  if (!cli_module_check(o.module, &o.config, mb, mlen)) goto out;
  if (twine_enclave_attest(enc, nonce, nonce_len, udata, ev) != TWINE_OK) {
    cli_err("attest: cannot produce evidence");
    goto out;
  }
  if (!cli_write_file("attest", eo.out, ev, sizeof ev)) goto out;
  rc = CLI_EXIT_OK;
out:
  twine_enclave_free(enc);
  free(bytes);
  cli_run_opts_free(&o);
  return rc;
}

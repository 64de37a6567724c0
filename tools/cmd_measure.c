/*
 * cmd_measure.c - `twine measure`: the measurement a launch with the same
 * options would have (docs/attestation.md), as 64 hex digits on stdout, so
 * an operator can pin it before deploying.
 *
 *   twine measure [RUN OPTIONS] [--measure-args] [--sig FILE] MODULE [ARGS...]
 */
#include <stdlib.h>
#include <string.h>

#include "cli_enclave.h"

void cli_help_measure(FILE *f) {
  fputs(
      "Usage: twine measure [RUN OPTIONS] [--measure-args] [--sig FILE]\n"
      "                     MODULE.wasm [ARGS...]\n"
      "\n"
      "Print the measurement (SHA-256, 64 hex digits) that the trusted side\n"
      "computes for this module launched with these options: the module\n"
      "bytes, the runtime identity (version and build id), and the launch\n"
      "configuration that changes behaviour: --bounds, --max-memory,\n"
      "--stack-size, --max-call-depth, --invoke, every --env in order, each\n"
      "--dir's and --protected-dir's guest path, protection mode and seal\n"
      "policy (measurement, or --key-file's fingerprint; not the host\n"
      "path), the number of --tcplisten sockets (not their addresses), and\n"
      "ARGS with argv[0] only with --measure-args. --timeout is not\n"
      "measured.\n"
      "\n"
      "RUN OPTIONS are those of 'twine run' (see 'twine run --help'); host\n"
      "directories given with --dir must exist.\n"
      "\n"
      "Options:\n"
      "  --measure-args   include argv (argv[0] and ARGS) in the measurement\n"
      "  --sig FILE       check the module's signature file (twine sign) as\n"
      "                   a launch would; a signature that does not verify\n"
      "                   is an error (the signer is not part of the\n"
      "                   measurement: it selects the signer-bound keys)\n"
      "  -h, --help       this help\n",
      f);
}

int cli_cmd_measure(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    cli_help_measure(stdout);
    return CLI_EXIT_OK;
  }
  cli_enclave_opts eo = {.cmd = "measure"};
  cli_run_opts o;
  int rc = cli_run_parse(argc, argv, &o, cli_enclave_opt, &eo);
  if (rc >= 0) {
    cli_run_opts_free(&o);
    return rc;
  }
  rc = CLI_EXIT_ERROR;
  uint8_t *bytes = NULL, *sig = NULL;
  size_t len = 0, sig_len = 0;
  cli_launch cl;
  memset(&cl, 0, sizeof cl);
  if (!cli_read_module(o.module, &bytes, &len)) goto out;
  if (eo.sig) {
    uint8_t signer[TWINE_SIGNER_ID_LEN];
    twine_error_t err;
    memset(&err, 0, sizeof err);
    if (!cli_read_file("measure", eo.sig, 4096, &sig, &sig_len)) goto out;
    if (twine_module_sig_check(bytes, len, sig, sig_len, signer, NULL,
                               &err) != TWINE_OK) {
      cli_err("measure: %s: %s (refusing to use the module)", eo.sig,
              err.message);
      goto out;
    }
  }
  /* After the signature, as a launch does: a tampered module is reported
   * as such even when the tampering also broke the module. */
  if (!cli_module_check(o.module, &o.config, bytes, len)) goto out;
  if (!cli_launch_build(&o, eo.measure_args, &cl)) goto out;
  uint8_t m[TWINE_MEASUREMENT_LEN];
  twine_status_t st = twine_measure(bytes, len, &cl.l, m);
  if (st != TWINE_OK) {
    cli_err("measure: %s", cli_status_name(st));
    goto out;
  }
  char hex[2 * TWINE_MEASUREMENT_LEN + 1];
  cli_hex_encode(m, sizeof m, hex);
  printf("%s\n", hex);
  rc = CLI_EXIT_OK;
out:
  cli_launch_free(&cl);
  free(sig);
  free(bytes);
  cli_run_opts_free(&o);
  return rc;
}

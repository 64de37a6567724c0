/*
 * cmd_verify.c - `twine verify`: check attestation evidence (hostile
 * input) against the platform attestation public key and the verifier's
 * expectations; print the claims it carries.
 *
 *   twine verify EVIDENCE --pubkey KEY --expect MEASUREMENT
 *                (--nonce HEX | --no-nonce) [--user-data HEX]
 *                [--expect-signer ID] [--guest]
 */
#include <stdlib.h>
#include <string.h>

#include "cli_enclave.h"

void cli_help_verify(FILE *f) {
  fputs(
      "Usage: twine verify EVIDENCE --pubkey KEY --expect MEASUREMENT\n"
      "                    (--nonce HEX | --no-nonce) [--user-data HEX]\n"
      "                    [--expect-signer ID] [--guest]\n"
      "\n"
      "Check evidence written by 'twine attest' (or obtained by a guest\n"
      "through twine.attest): its format, its signature under KEY, then the\n"
      "measurement, the nonce and whatever else is asked. On success prints\n"
      "the claims (measurement, runtime, signer, report data) and exits 0;\n"
      "otherwise names the first failed check and exits 1.\n"
      "\n"
      "Options:\n"
      "  --pubkey KEY          platform attestation public key: 64 hex\n"
      "                        digits, or a file holding them (twine attest\n"
      "                        --pubkey -o FILE)\n"
      "  --expect MEASUREMENT  64 hex digits (twine measure)\n"
      "  --nonce HEX           the nonce given to twine attest\n"
      "  --no-nonce            evidence without a nonce (made by a guest,\n"
      "                        which binds freshness in its report data)\n"
      "  --user-data HEX       expected report data (zero-padded to 64)\n"
      "  --expect-signer ID    expected signer id (twine sign prints it)\n"
      "  --guest               the report data must come from the guest\n"
      "  -h, --help            this help\n",
      f);
}

int cli_cmd_verify(int argc, char **argv) {
  const char *file = NULL, *pubkey = NULL, *expect = NULL, *nonce = NULL,
             *udata = NULL, *signer = NULL;
  bool no_nonce = false, guest = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      cli_help_verify(stdout);
      return CLI_EXIT_OK;
    }
    if (!strcmp(a, "--no-nonce")) {
      no_nonce = true;
      continue;
    }
    if (!strcmp(a, "--guest")) {
      guest = true;
      continue;
    }
    if (!strcmp(a, "--pubkey")) slot = &pubkey;
    else if (!strcmp(a, "--expect")) slot = &expect;
    else if (!strcmp(a, "--nonce")) slot = &nonce;
    else if (!strcmp(a, "--user-data")) slot = &udata;
    else if (!strcmp(a, "--expect-signer")) slot = &signer;
    if (slot) {
      if (i + 1 >= argc) {
        cli_err("verify: %s needs a value", a);
        return CLI_EXIT_ERROR;
      }
      *slot = argv[++i];
      continue;
    }
    if (a[0] == '-' && a[1]) {
      cli_err("verify: unknown option %s (try 'twine verify --help')", a);
      return CLI_EXIT_ERROR;
    }
    if (file) {
      cli_err("verify: one evidence file at a time (%s and %s)", file, a);
      return CLI_EXIT_ERROR;
    }
    file = a;
  }
  if (!file || !pubkey || !expect || (!nonce && !no_nonce)) {
    cli_err("verify: usage: twine verify EVIDENCE --pubkey KEY --expect "
            "MEASUREMENT --nonce HEX (or --no-nonce)");
    return CLI_EXIT_ERROR;
  }
  if (nonce && no_nonce) {
    cli_err("verify: --nonce and --no-nonce exclude each other");
    return CLI_EXIT_ERROR;
  }
  uint8_t pub[32], meas[32], sid[32], n[TWINE_NONCE_MAX];
  uint8_t ud[TWINE_REPORT_DATA_LEN] = {0};
  size_t nlen = 0, ulen;
  twine_evidence_expect_t x;
  memset(&x, 0, sizeof x);
  if (!cli_hex32_arg("verify", "--pubkey", pubkey, pub)) return CLI_EXIT_ERROR;
  if (strlen(expect) != 64 || !cli_hex_decode(expect, meas, 32, &ulen)) {
    cli_err("verify: --expect %s: expected 64 hex digits", expect);
    return CLI_EXIT_ERROR;
  }
  x.pubkey = pub;
  x.measurement = meas;
  if (nonce) {
    if (!cli_hex_decode(nonce, n, sizeof n, &nlen)) {
      cli_err("verify: --nonce %s: expected 1 to 32 bytes in hex", nonce);
      return CLI_EXIT_ERROR;
    }
    x.nonce = n;
  }
  x.nonce_len = nlen; /* --no-nonce: the evidence's nonce must be empty */
  if (no_nonce) x.nonce = n;
  if (udata) {
    if (!cli_hex_decode(udata, ud, sizeof ud, &ulen)) {
      cli_err("verify: --user-data %s: expected 1 to 64 bytes in hex", udata);
      return CLI_EXIT_ERROR;
    }
    x.report_data = ud;
  }
  if (signer) {
    if (strlen(signer) != 64 || !cli_hex_decode(signer, sid, 32, &ulen)) {
      cli_err("verify: --expect-signer %s: expected 64 hex digits", signer);
      return CLI_EXIT_ERROR;
    }
    x.signer_id = sid;
  }
  x.require_guest_data = guest;

  uint8_t *ev;
  size_t len;
  /* One byte more than the format allows, so a longer file is seen. */
  if (!cli_read_file("verify", file, TWINE_EVIDENCE_LEN + 1, &ev, &len))
    return CLI_EXIT_ERROR;
  twine_evidence_t d;
  char why[160];
  twine_evidence_result_t r =
      twine_evidence_verify(ev, len, &x, &d, why, sizeof why);
  free(ev);
  if (r != TWINE_EVIDENCE_OK) {
    cli_err("verify: %s: %s", file, why);
    return CLI_EXIT_ERROR;
  }
  char hex[2 * TWINE_REPORT_DATA_LEN + 1];
  printf("OK\n");
  cli_hex_encode(d.measurement, 32, hex);
  printf("measurement %s\n", hex);
  cli_hex_encode(d.runtime.build_id, 32, hex);
  printf("runtime %u.%u.%u build %s\n", (unsigned)d.runtime.major,
         (unsigned)d.runtime.minor, (unsigned)d.runtime.patch, hex);
  if (d.flags & TWINE_EVIDENCE_F_SIGNER) {
    cli_hex_encode(d.signer_id, 32, hex);
    printf("signer %s\n", hex);
  } else {
    printf("signer none\n");
  }
  cli_hex_encode(d.report_data, sizeof d.report_data, hex);
  printf("report-data %s (%s)\n", hex,
         d.flags & TWINE_EVIDENCE_F_GUEST_DATA ? "from the guest"
                                               : "from the launcher");
  return CLI_EXIT_OK;
}

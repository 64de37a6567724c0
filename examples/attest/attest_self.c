/*
 * attest_self.c - a WASI guest that attests itself: it puts a message
 * (argv[1], or a fixed greeting) into its 64 bytes of report data, asks
 * the runtime for evidence through the "twine" import module and writes
 * the evidence to the file argv[2] (default /out/evidence.bin, e.g. with
 * --dir OUT::/out), printing its measurement. A verifier then runs
 *   twine verify evidence.bin --pubkey KEY --expect MEASUREMENT \
 *     --no-nonce --guest --user-data <hex of the message>
 */
#include <stdio.h>
#include <string.h>

#include "twine/guest/twine_attest.h"

int main(int argc, char **argv) {
  const char *msg = argc > 1 ? argv[1] : "hello from an attested guest";
  const char *path = argc > 2 ? argv[2] : "/out/evidence.bin";
  uint8_t rd[TWINE_ATTEST_REPORT_DATA_LEN] = {0};
  uint8_t ev[TWINE_ATTEST_EVIDENCE_LEN];
  uint32_t n = 0;
  size_t len = strlen(msg);
  memcpy(rd, msg, len < sizeof rd ? len : sizeof rd);
  int32_t err = twine_attest(rd, sizeof rd, ev, sizeof ev, &n);
  if (err != 0) {
    fprintf(stderr, "attest_self: twine_attest failed: errno %d\n", (int)err);
    return 1;
  }
  printf("measurement ");
  for (int i = 0; i < 32; i++)
    printf("%02x", ev[TWINE_ATTEST_OFF_MEASUREMENT + i]);
  printf("\n");
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(ev, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    return 1;
  }
  printf("evidence: %u bytes in %s\n", (unsigned)n, path);
  return 0;
}

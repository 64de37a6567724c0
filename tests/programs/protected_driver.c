/*
 * protected_driver.c - runs tests/programs/protected.wasm on a protected
 * mount through the public API (include/twine/wasi.h,
 * twine_wasi_config_preopen_protected_dir) in several runs, and plays the
 * untrusted host in between: it looks for plaintext in the host files,
 * flips a byte, puts back an older copy, and uses a wrong key.
 *
 *   protected_driver GUEST.wasm WORKDIR
 *
 * Exit status 0 when every step behaved; one line per step on stdout.
 * (Until `twine run` has a flag for protected mounts, this driver is how
 * the tests/programs runner exercises them; see CMakeLists.txt.)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "twine/wasi.h"

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t BAD_KEY[32] = "fedcba9876543210fedcba9876543210";

static uint8_t *wasm;
static size_t wasm_len;
static char vault[512];
static int failures;

static uint8_t *slurp(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
  *n = b ? fread(b, 1, (size_t)len, fp) : 0;
  fclose(fp);
  return b;
}

static int spit(const char *path, const uint8_t *b, size_t n) {
  FILE *fp = fopen(path, "wb");
  if (!fp) return -1;
  size_t k = fwrite(b, 1, n, fp);
  fclose(fp);
  return k == n ? 0 : -1;
}

/* One run of the guest with argv {protected, a1, a2}; the exit code, or
 * -1 if it could not run (message printed), -2 if twine_wasi_new failed. */
static int run(const uint8_t *key, const char *a1, const char *a2) {
  twine_engine_t *eng = NULL;
  twine_store_t *store = NULL;
  twine_module_t *mod = NULL;
  twine_linker_t *lk = NULL;
  twine_instance_t *inst = NULL;
  twine_wasi_config_t *cfg = NULL;
  twine_wasi_t *wasi = NULL;
  twine_error_t err;
  twine_trap_t trap;
  int code = -1;
  const char *argv[3] = {"protected", a1, a2};
  memset(&err, 0, sizeof err);
  if (twine_engine_new(NULL, &eng) || twine_store_new(eng, &store) ||
      twine_module_new(eng, wasm, wasm_len, &mod, &err) ||
      twine_wasi_config_new(&cfg) ||
      twine_wasi_config_args(cfg, a2 ? 3 : 2, argv) ||
      twine_wasi_config_preopen_protected_dir(cfg, vault, "/vault", key)) {
    printf("setup failed: %s\n", err.message);
    goto out;
  }
  if (twine_wasi_new(store, cfg, &wasi, &err)) {
    printf("twine_wasi_new: %s\n", err.message);
    code = -2;
    goto out;
  }
  if (twine_linker_new(store, &lk) || twine_wasi_define(wasi, lk) ||
      twine_linker_instantiate(lk, mod, &inst, &err, &trap) ||
      twine_wasi_run(wasi, inst, &code, &trap)) {
    printf("run failed: %s\n", err.message);
    code = -1;
  }
out:
  twine_wasi_free(wasi);
  twine_wasi_config_free(cfg);
  twine_linker_free(lk);
  twine_module_free(mod);
  twine_store_free(store);
  twine_engine_free(eng);
  fflush(stdout);
  return code;
}

static void expect(const char *what, int got, int want) {
  printf("%s %s (exit %d, want %d)\n", got == want ? "ok" : "FAIL", what, got,
         want);
  if (got != want) failures++;
}

static bool has(const uint8_t *b, size_t n, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i + k <= n; i++)
    if (!memcmp(b + i, s, k)) return true;
  return false;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: protected_driver GUEST.wasm WORKDIR\n");
    return 2;
  }
  if (!(wasm = slurp(argv[1], &wasm_len))) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  char cmd[1200];
  snprintf(vault, sizeof vault, "%s/vault", argv[2]);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", vault, vault);
  if (system(cmd) != 0) return 2;
  char secret[600], copy[600];
  snprintf(secret, sizeof secret, "%s/secret.txt", vault);

  expect("run 1: write", run(KEY, "write", NULL), 0);
  size_t n;
  uint8_t *ct = slurp(secret, &n);
  bool plain = !ct || has(ct, n, "PLAINTEXT-MARKER") || has(ct, n, "gold");
  expect("host file holds no plaintext", plain ? 1 : 0, 0);
  expect("run 2: read back", run(KEY, "read", NULL), 0);
  expect("run 3: wrong key refused", run(BAD_KEY, "read", NULL), -2);

  /* tamper: one flipped byte in the header's encrypted part */
  ct = ct ? ct : calloc(1, 1);
  uint8_t *bad = malloc(n ? n : 1);
  memcpy(bad, ct, n);
  if (n > 300) bad[300] ^= 1;
  spit(secret, bad, n);
  expect("run 4: tampered -> EIO", run(KEY, "expect", "EIO"), 0);
  spit(secret, ct, n);
  expect("run 5: restored reads", run(KEY, "read", NULL), 0);

  /* rollback: an older copy of the file, across runs */
  snprintf(copy, sizeof copy, "%s/../secret.old", vault);
  spit(copy, ct, n);
  expect("run 6: rewrite (newer generation)", run(KEY, "write", NULL), 0);
  spit(secret, ct, n);
  expect("run 7: older copy -> EIO (rollback)", run(KEY, "expect", "EIO"), 0);

  free(ct);
  free(bad);
  free(wasm);
  printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}

/*
 * cmd_sign.c - `twine sign`: sign a module with an Ed25519 key, the
 * signer identity a launch binds signer-sealed keys to (the MRSIGNER
 * analogue; format in docs/attestation.md).
 *
 *   twine sign --key KEY.pem [-o OUT] [--force] MODULE.wasm
 *   twine sign --new-key KEY.pem
 *
 * Key files are PKCS#8 PEM Ed25519 private keys, as made by --new-key or
 * `openssl genpkey -algorithm ed25519 -out KEY.pem`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli_enclave.h"
#include "crypto/kdf.h"

void cli_help_sign(FILE *f) {
  fputs("Usage: twine sign --key KEY.pem [-o OUT] [--force] MODULE.wasm\n"
        "       twine sign --new-key KEY.pem\n"
        "\n"
        "Sign a module with an Ed25519 private key. The signature file\n"
        "(default MODULE.wasm.sig, 144 bytes) holds the signer's public key,\n"
        "the SHA-256 of the module and the signature. Given to a launch with\n"
        "--sig, it is checked over the trusted side's copy of the module (a\n"
        "modified module is refused) and the signer id, SHA-256 of the public\n"
        "key, selects the signer-bound sealing keys: every module signed with\n"
        "the same key gets the same keys, across versions. Prints\n"
        "\"signer <id>\" on stdout.\n"
        "\n"
        "Options:\n"
        "  --key KEY.pem      PKCS#8 PEM Ed25519 private key (from --new-key\n"
        "                     or: openssl genpkey -algorithm ed25519 -out K)\n"
        "  -o, --output OUT   where to write the signature (never overwritten\n"
        "                     without --force)\n"
        "  --force            overwrite OUT\n"
        "  --new-key KEY.pem  create a new private key (mode 0600, never\n"
        "                     overwrites) and print its signer id\n"
        "  -h, --help         this help\n",
        f);
}

static void print_signer(const uint8_t pub[32]) {
  uint8_t id[32];
  char hex[65];
  tw_cry_sha256(pub, 32, id);
  cli_hex_encode(id, 32, hex);
  printf("signer %s\n", hex);
}

/* The raw 32-byte seed of an Ed25519 PEM private key file. */
static bool load_key(const char *path, uint8_t seed[32]) {
  uint8_t *pem;
  size_t n;
  if (!cli_read_file("sign", path, 64 << 10, &pem, &n)) return false;
  BIO *bio = BIO_new_mem_buf(pem, (int)n);
  EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  explicit_bzero(pem, n);
  free(pem);
  size_t len = 32;
  bool ok = k && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 &&
            EVP_PKEY_get_raw_private_key(k, seed, &len) == 1 && len == 32;
  EVP_PKEY_free(k);
  if (!ok)
    cli_err("sign: %s: not a PEM Ed25519 private key (make one with "
            "'twine sign --new-key FILE')",
            path);
  return ok;
}

static int new_key(const char *path) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  if (!k) {
    cli_err("sign: cannot generate a key");
    return CLI_EXIT_ERROR;
  }
  int rc = CLI_EXIT_ERROR;
  BIO *mem = BIO_new(BIO_s_mem());
  char *data = NULL;
  long n = 0;
  uint8_t pub[32];
  size_t plen = 32;
  if (!mem || PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL) != 1 ||
      (n = BIO_get_mem_data(mem, &data)) <= 0 ||
      EVP_PKEY_get_raw_public_key(k, pub, &plen) != 1) {
    cli_err("sign: cannot encode the key");
    goto out;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    cli_err("sign: cannot create %s: %s", path,
            errno == EEXIST ? "it exists (never overwritten)" : strerror(errno));
    goto out;
  }
  bool ok = write(fd, data, (size_t)n) == (ssize_t)n;
  if (close(fd) != 0) ok = false;
  if (!ok) {
    cli_err("sign: cannot write %s", path);
    unlink(path);
    goto out;
  }
  print_signer(pub);
  rc = CLI_EXIT_OK;
out:
  BIO_free(mem);
  EVP_PKEY_free(k);
  return rc;
}

int cli_cmd_sign(int argc, char **argv) {
  const char *key = NULL, *out = NULL, *module = NULL, *newkey = NULL;
  bool force = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      cli_help_sign(stdout);
      return CLI_EXIT_OK;
    }
    if (!strcmp(a, "--force")) {
      force = true;
      continue;
    }
    if (!strcmp(a, "--key")) slot = &key;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) slot = &out;
    else if (!strcmp(a, "--new-key")) slot = &newkey;
    else if (!strncmp(a, "--key=", 6)) { key = a + 6; continue; }
    else if (!strncmp(a, "--output=", 9)) { out = a + 9; continue; }
    else if (!strncmp(a, "--new-key=", 10)) { newkey = a + 10; continue; }
    if (slot) {
      if (i + 1 >= argc) {
        cli_err("sign: %s needs a value", a);
        return CLI_EXIT_ERROR;
      }
      *slot = argv[++i];
      continue;
    }
    if (a[0] == '-' && a[1]) {
      cli_err("sign: unknown option %s (try 'twine sign --help')", a);
      return CLI_EXIT_ERROR;
    }
    if (module) {
      cli_err("sign: one module at a time (%s and %s)", module, a);
      return CLI_EXIT_ERROR;
    }
    module = a;
  }
  if (newkey) {
    if (key || module || out) {
      cli_err("sign: --new-key takes no other argument");
      return CLI_EXIT_ERROR;
    }
    return new_key(newkey);
  }
  if (!key || !module) {
    cli_err("sign: usage: twine sign --key KEY.pem [-o OUT] MODULE.wasm");
    return CLI_EXIT_ERROR;
  }
  char defout[4096];
  if (!out) {
    if (snprintf(defout, sizeof defout, "%s.sig", module) >= (int)sizeof defout) {
      cli_err("sign: module path too long");
      return CLI_EXIT_ERROR;
    }
    out = defout;
  }
  if (!force && access(out, F_OK) == 0) {
    cli_err("sign: %s exists (use --force to overwrite)", out);
    return CLI_EXIT_ERROR;
  }
  uint8_t *bytes = NULL, seed[32], sig[TWINE_MODULE_SIG_LEN], id[32], pub[32];
  size_t len;
  int rc = CLI_EXIT_ERROR;
  if (!cli_read_module(module, &bytes, &len)) return CLI_EXIT_ERROR;
  if (!load_key(key, seed)) goto done;
  twine_error_t err;
  memset(&err, 0, sizeof err);
  if (twine_module_sign(seed, bytes, len, sig) != TWINE_OK ||
      twine_module_sig_check(bytes, len, sig, sizeof sig, id, pub, &err) !=
          TWINE_OK) {
    cli_err("sign: signing failed");
    goto done;
  }
  if (!cli_write_file("sign", out, sig, sizeof sig)) goto done;
  print_signer(pub);
  rc = CLI_EXIT_OK;
done:
  explicit_bzero(seed, sizeof seed);
  free(bytes);
  return rc;
}

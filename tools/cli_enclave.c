/*
 * cli_enclave.c - shared pieces of the enclave commands (measure, attest;
 * see cli_enclave.h): extra options, the launch description built from the
 * run options, opening the enclave (signature file + platform key), hex
 * and small files.
 */
#include "cli_enclave.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/kdf.h"

/* ---- extra options ------------------------------------------------------ */

/* "--name" or "--name=value" at argv[i]: 1 word with *v set, 2 words with
 * the value in argv[i+1], -1 missing value (reported), 0 another option. */
static int valued(const char *cmd, const char *name, int argc, char **argv,
                  int i, const char **v) {
  size_t n = strlen(name);
  if (strncmp(argv[i], name, n) != 0) return 0;
  if (argv[i][n] == '=') {
    *v = argv[i] + n + 1;
    return 1;
  }
  if (argv[i][n] != '\0') return 0;
  if (i + 1 >= argc) {
    cli_err("%s: %s needs a value", cmd, name);
    return -1;
  }
  *v = argv[i + 1];
  return 2;
}

int cli_enclave_opt(void *ctx, int argc, char **argv, int i) {
  cli_enclave_opts *eo = ctx;
  const char *a = argv[i];
  int k;
  if (!strcmp(a, "--measure-args")) {
    eo->measure_args = true;
    return 1;
  }
  if ((k = valued(eo->cmd, "--sig", argc, argv, i, &eo->sig)) != 0) return k;
  if (!eo->attest) return 0;
  if ((k = valued(eo->cmd, "--nonce", argc, argv, i, &eo->nonce)) != 0)
    return k;
  if ((k = valued(eo->cmd, "--user-data", argc, argv, i, &eo->user_data)) !=
      0)
    return k;
  if ((k = valued(eo->cmd, "-o", argc, argv, i, &eo->out)) != 0) return k;
  return valued(eo->cmd, "--output", argc, argv, i, &eo->out);
}

/* ---- the launch ----------------------------------------------------------- */

bool cli_launch_build(const cli_run_opts *o, bool measure_args,
                      cli_launch *cl) {
  memset(cl, 0, sizeof *cl);
  twine_launch_default(&cl->l);
  cl->l.engine = o->config;
  cl->l.entry = o->invoke;
  cl->l.measure_args = measure_args;
  /* argv as twine run builds it: argv0, then the guest's words. */
  size_t argc = 1 + (size_t)o->nrest;
  cl->argv = calloc(argc, sizeof *cl->argv);
  cl->mounts = calloc(o->ndirs ? (size_t)o->ndirs : 1, sizeof *cl->mounts);
  if (!cl->argv || !cl->mounts) {
    cli_launch_free(cl);
    cli_err("out of memory");
    return false;
  }
  cl->argv[0] = o->argv0 ? o->argv0 : o->module;
  for (size_t i = 1; i < argc; i++) cl->argv[i] = o->rest[i - 1];
  cl->l.argc = argc;
  cl->l.argv = cl->argv;
  cl->l.nenv = (size_t)o->nenvs;
  cl->l.env = o->envs;
  if (o->has_key) {
    static const char dom[] = "twine explicit mount key v1";
    uint8_t in[sizeof dom + 32];
    memcpy(in, dom, sizeof dom); /* with its NUL */
    memcpy(in + sizeof dom, o->key, 32);
    int rc = tw_cry_sha256(in, sizeof in, cl->key_fpr);
    explicit_bzero(in, sizeof in);
    if (rc != 0) {
      cli_launch_free(cl);
      cli_err("cannot hash the --key-file key (libcrypto)");
      return false;
    }
  }
  for (int i = 0; i < o->ndirs; i++) {
    cl->mounts[i].guest_path = o->dirs[i].guest;
    if (!o->dirs[i].protect) {
      cl->mounts[i].mode = TWINE_MOUNT_PLAIN;
      cl->mounts[i].policy = TWINE_SEAL_NONE;
    } else if (o->has_key) {
      cl->mounts[i].mode = TWINE_MOUNT_PROTECTED;
      cl->mounts[i].policy = TWINE_SEAL_EXPLICIT;
      cl->mounts[i].params = cl->key_fpr;
      cl->mounts[i].params_len = sizeof cl->key_fpr;
    } else {
      cl->mounts[i].mode = TWINE_MOUNT_PROTECTED;
      cl->mounts[i].policy = TWINE_SEAL_MEASUREMENT;
    }
  }
  cl->l.nmounts = (size_t)o->ndirs;
  cl->l.mounts = cl->mounts;
  cl->l.nsockets = (size_t)o->nlistens;
  return true;
}

void cli_launch_free(cli_launch *cl) {
  free(cl->argv);
  free(cl->mounts);
  memset(cl, 0, sizeof *cl);
}

bool cli_enclave_open(const cli_run_opts *o, const cli_enclave_opts *eo,
                      const uint8_t *module, size_t len,
                      twine_enclave_t **out) {
  uint8_t root[TWINE_ROOT_SECRET_LEN];
  char path[4096];
  twine_error_t err;
  memset(&err, 0, sizeof err);
  *out = NULL;
  if (twine_platform_key_load(NULL, root, path, sizeof path, &err) !=
      TWINE_OK) {
    explicit_bzero(root, sizeof root);
    cli_err("%s: %s", eo->cmd, err.message);
    return false;
  }
  bool ok = cli_enclave_open_root(o, eo, root, module, len, out);
  explicit_bzero(root, sizeof root);
  return ok;
}

bool cli_enclave_open_root(const cli_run_opts *o, const cli_enclave_opts *eo,
                           const uint8_t root[TWINE_ROOT_SECRET_LEN],
                           const uint8_t *module, size_t len,
                           twine_enclave_t **out) {
  uint8_t *sig = NULL;
  size_t sig_len = 0;
  cli_launch cl;
  bool ok = false;
  twine_error_t err;
  memset(&err, 0, sizeof err);
  *out = NULL;
  if (eo->sig && !cli_read_file(eo->cmd, eo->sig, 4096, &sig, &sig_len))
    return false;
  if (!cli_launch_build(o, eo->measure_args, &cl)) {
    free(sig);
    return false;
  }
  twine_enclave_config_t ec = {root, module, len, sig, sig_len, &cl.l};
  twine_status_t st = twine_enclave_new(&ec, out, &err);
  if (st != TWINE_OK) {
    if (eo->sig && (st == TWINE_ERR_INVALID || st == TWINE_ERR_MALFORMED))
      cli_err("%s: %s: %s (refusing to use the module)", eo->cmd, eo->sig,
              err.message);
    else
      cli_err("%s: %s", eo->cmd,
              err.message[0] ? err.message : cli_status_name(st));
    goto out;
  }
  ok = true;
out:
  cli_launch_free(&cl);
  free(sig);
  return ok;
}

/* ---- hex -------------------------------------------------------------------- */

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool cli_hex_decode(const char *s, uint8_t *out, size_t max, size_t *len) {
  size_t n = strlen(s);
  if (n == 0 || n % 2 || n / 2 > max) return false;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *len = n / 2;
  return true;
}

void cli_hex_encode(const uint8_t *b, size_t n, char *buf) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    buf[2 * i] = d[b[i] >> 4];
    buf[2 * i + 1] = d[b[i] & 15];
  }
  buf[2 * n] = '\0';
}

bool cli_hex32_arg(const char *cmd, const char *what, const char *arg,
                   uint8_t out[32]) {
  size_t n;
  if (strlen(arg) == 64 && cli_hex_decode(arg, out, 32, &n)) return true;
  uint8_t *b;
  size_t len;
  struct stat st;
  if (stat(arg, &st) != 0) {
    cli_err("%s: %s %s: neither 64 hex digits nor a readable file", cmd,
            what, arg);
    return false;
  }
  if (!cli_read_file(cmd, arg, 1024, &b, &len)) return false;
  size_t s = 0, e = len;
  while (s < e && isspace(b[s])) s++;
  while (e > s && isspace(b[e - 1])) e--;
  char hex[65];
  bool ok = e - s == 64;
  if (ok) {
    memcpy(hex, b + s, 64);
    hex[64] = '\0';
    ok = cli_hex_decode(hex, out, 32, &n);
  }
  free(b);
  if (!ok) cli_err("%s: %s file %s does not hold 64 hex digits", cmd, what, arg);
  return ok;
}

/* ---- files ------------------------------------------------------------------ */

bool cli_read_file(const char *cmd, const char *path, size_t max,
                   uint8_t **bytes, size_t *len) {
  *bytes = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("%s: cannot open %s: %s", cmd, path, strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    cli_err("%s: %s: not a regular file", cmd, path);
    close(fd);
    return false;
  }
  /* Read one byte more than allowed to detect an oversized file even if
   * it grows meanwhile. */
  uint8_t *b = malloc(max + 1);
  size_t n = 0;
  if (!b) {
    cli_err("out of memory");
    close(fd);
    return false;
  }
  while (n < max + 1) {
    ssize_t r = read(fd, b + n, max + 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      cli_err("%s: cannot read %s: %s", cmd, path, strerror(errno));
      free(b);
      close(fd);
      return false;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (n > max) {
    cli_err("%s: %s: too large (more than %zu bytes)", cmd, path, max);
    free(b);
    return false;
  }
  *bytes = b;
  *len = n;
  return true;
}

bool cli_write_file(const char *cmd, const char *path, const uint8_t *b,
                    size_t n) {
  bool std = !strcmp(path, "-");
  int fd = std ? STDOUT_FILENO
               : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    cli_err("%s: cannot create %s: %s", cmd, path, strerror(errno));
    return false;
  }
  bool ok = true;
  while (n && ok) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ok = false;
    else {
      b += w;
      n -= (size_t)w;
    }
  }
  if (!std && close(fd) != 0) ok = false;
  if (!ok) cli_err("%s: cannot write %s: %s", cmd, path, strerror(errno));
  return ok;
}

bool cli_module_check(const char *path, const twine_config_t *cfg,
                      const uint8_t *b, size_t n) {
  twine_engine_t *eng = NULL;
  twine_module_t *mod = NULL;
  twine_error_t err;
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  twine_status_t st = twine_engine_new(cfg, &eng);
  if (st != TWINE_OK) {
    cli_err("cannot create the engine: %s", cli_status_name(st));
    return false;
  }
  st = twine_module_new(eng, b, n, &mod, &err);
  if (st != TWINE_OK) cli_report_error(path, st, &err, b, n);
  twine_module_free(mod);
  twine_engine_free(eng);
  return st == TWINE_OK;
}

/*
 * cmd_pfs.c - `twine pfs ...`: create keys and move data in and out of
 * protected files (include/twine/pfs.h) on the local disk.
 *
 *   keygen KEYFILE     32 random bytes, mode 0600, never overwrites
 *   encrypt IN OUT     plain file -> protected file
 *   decrypt IN OUT     protected file -> plain file
 *   info FILE          format version, size, generation, ids (no secrets)
 *   verify FILE        authenticate every node (reads the whole file)
 *   rekey FILE --new-key-file K2
 *
 * The key comes from --key-file (16 or 32 raw bytes) or TWINE_PFS_KEY (hex).
 * A protected file is bound to a logical path (the path the guest sees) in a
 * mount: --path (default: the file's base name) and --mount-id (hex, default
 * all zero). Outputs are written to a temporary file in the same directory
 * and renamed into place only on success, so a wrong key or a tampered or
 * truncated input leaves OUT untouched; OUT is never overwritten without
 * --force. The kdk_id stored in new headers is a fingerprint of the key
 * (first 16 bytes of SHA-256("twine pfs kdk id" ‖ key)); the key provider
 * answers any kdk_id with the given key (a wrong key fails the header's key
 * check), except that during rekey, once the file is open under the
 * current key, the new key's id maps to the new key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crypto/kdf.h"
#include "twine/pfs.h"

#define PFS_IO_CHUNK (1u << 20)

void cli_help_pfs(FILE *f) {
  fprintf(f,
          "Usage: twine pfs keygen KEYFILE\n"
          "       twine pfs encrypt [OPTIONS] IN OUT\n"
          "       twine pfs decrypt [OPTIONS] IN OUT\n"
          "       twine pfs info [OPTIONS] FILE\n"
          "       twine pfs verify [OPTIONS] FILE\n"
          "       twine pfs rekey [OPTIONS] FILE --new-key-file KEYFILE2\n"
          "\n"
          "Protected files (PFS1): every 4 KiB node AES-GCM encrypted and\n"
          "authenticated under a Merkle tree; see docs/pfs-format.md.\n"
          "\n"
          "Commands:\n"
          "  keygen    write 32 random bytes to KEYFILE (mode 0600; refuses to\n"
          "            overwrite)\n"
          "  encrypt   copy the plain file IN into a new protected file OUT\n"
          "  decrypt   copy the protected file IN into a new plain file OUT\n"
          "  info      print format version, node size, size, generation, uuid\n"
          "  verify    authenticate every node of FILE (reads all of it)\n"
          "  rekey     re-wrap FILE under the key in KEYFILE2 (header only)\n"
          "\n"
          "Options:\n"
          "  --key-file FILE      the key (16 or 32 raw bytes); default: the\n"
          "                       environment variable TWINE_PFS_KEY (hex)\n"
          "  --new-key-file FILE  rekey: the new key\n"
          "  --path LOGICAL       the logical path the file is bound to (the\n"
          "                       path the guest sees); default: the base name\n"
          "                       of the protected file\n"
          "  --mount-id HEX       the mount id (up to 32 hex digits; default 0)\n"
          "  -f, --force          encrypt/decrypt: replace an existing OUT\n"
          "  -h, --help           this help\n"
          "\n"
          "A wrong key, a tampered or truncated file: one line on stderr,\n"
          "exit 1, nothing written to OUT.\n");
}

/* ---- options ---------------------------------------------------------------- */

typedef struct pfs_opts {
  const char *cmd;
  const char *args[2];
  int nargs;
  const char *key_file, *new_key_file, *logical, *mount_hex;
  bool force;
} pfs_opts;

typedef struct pfs_keys {
  uint8_t key[32], new_key[32];
  size_t len, new_len;
  uint8_t id[16], new_id[16];
  bool rekey;
} pfs_keys;

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Up to max bytes of hex; *n = count. */
static bool parse_hex(const char *s, uint8_t *out, size_t max, size_t *n) {
  size_t len = strlen(s);
  if (len % 2 || len / 2 > max)
    return false;
  for (size_t i = 0; i < len / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *n = len / 2;
  return true;
}

static bool read_key_file(const char *path, uint8_t key[32], size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("pfs: key file %s: %s", path, strerror(errno));
    return false;
  }
  uint8_t buf[33];
  ssize_t n = read(fd, buf, sizeof buf);
  int e = errno;
  close(fd);
  if (n < 0) {
    cli_err("pfs: key file %s: %s", path, strerror(e));
    return false;
  }
  if (n != 16 && n != 32) {
    cli_err("pfs: key file %s: must hold exactly 16 or 32 bytes (has %s%zd)", path,
            n == 33 ? "more than " : "", n == 33 ? (ssize_t)32 : n);
    memset(buf, 0, sizeof buf);
    return false;
  }
  memcpy(key, buf, (size_t)n);
  memset(buf, 0, sizeof buf);
  *len = (size_t)n;
  return true;
}

static bool key_id(const uint8_t *key, size_t len, uint8_t id[16]) {
  uint8_t buf[16 + 32], h[32];
  memcpy(buf, "twine pfs kdk id", 16);
  memcpy(buf + 16, key, len);
  bool ok = tw_cry_sha256(buf, 16 + len, h) == 0;
  memcpy(id, h, 16);
  memset(buf, 0, sizeof buf);
  return ok;
}

static bool load_keys(const pfs_opts *o, pfs_keys *k) {
  memset(k, 0, sizeof *k);
  if (o->key_file) {
    if (!read_key_file(o->key_file, k->key, &k->len))
      return false;
  } else {
    const char *env = getenv("TWINE_PFS_KEY");
    if (!env || !*env) {
      cli_err("pfs %s: no key: use --key-file FILE or set TWINE_PFS_KEY (hex)", o->cmd);
      return false;
    }
    if (!parse_hex(env, k->key, 32, &k->len) || (k->len != 16 && k->len != 32)) {
      cli_err("pfs %s: TWINE_PFS_KEY must be 32 or 64 hex digits", o->cmd);
      return false;
    }
  }
  if (!key_id(k->key, k->len, k->id)) {
    cli_err("pfs %s: SHA-256 failed", o->cmd);
    return false;
  }
  if (o->new_key_file) {
    if (!read_key_file(o->new_key_file, k->new_key, &k->new_len) ||
        !key_id(k->new_key, k->new_len, k->new_id))
      return false;
    if (k->new_len == k->len && !memcmp(k->new_key, k->key, k->len)) {
      cli_err("pfs rekey: the new key is the same as the current key");
      return false;
    }
    /* k->rekey is set by do_rekey once the file is open under the
     * current key */
  }
  return true;
}

static void wipe_keys(pfs_keys *k) {
  volatile uint8_t *p = (volatile uint8_t *)k;
  for (size_t i = 0; i < sizeof *k; i++)
    p[i] = 0;
}

/* The key provider: new headers get the (new) key's fingerprint id; any
 * id is answered with the current key, except the new id during rekey. */
static int kp_current(void *ctx, const uint8_t mount_id[16], uint8_t kdk_id[16]) {
  const pfs_keys *k = ctx;
  (void)mount_id;
  memcpy(kdk_id, k->rekey ? k->new_id : k->id, 16);
  return 0;
}

static int kp_get(void *ctx, const uint8_t mount_id[16], const uint8_t kdk_id[16],
                  uint8_t kdk[32], size_t *kdk_len) {
  const pfs_keys *k = ctx;
  (void)mount_id;
  if (k->rekey && !memcmp(kdk_id, k->new_id, 16)) {
    memcpy(kdk, k->new_key, k->new_len);
    *kdk_len = k->new_len;
  } else {
    memcpy(kdk, k->key, k->len);
    *kdk_len = k->len;
  }
  return 0;
}

static const twine_pfs_key_provider cli_keys = {kp_current, kp_get};

/* ---- helpers ---------------------------------------------------------------- */

static const char *pfs_reason(twine_pfs_status s) {
  switch (s) {
  case TWINE_PFS_WRONG_KEY: return "wrong key (the key does not match this file)";
  case TWINE_PFS_CORRUPTED:
    return "the file is corrupted, truncated or was tampered with";
  case TWINE_PFS_WRONG_PATH:
    return "the file is bound to another logical path or mount (see --path, --mount-id)";
  case TWINE_PFS_ROLLBACK: return "an older version of the file (rollback)";
  case TWINE_PFS_UNSUPPORTED:
    return "not a supported protected file (format version or node size)";
  case TWINE_PFS_KEY_UNAVAILABLE: return "no key for this file";
  case TWINE_PFS_ENOENT: return "no such file";
  case TWINE_PFS_EEXIST: return "file exists";
  case TWINE_PFS_EHOSTACCES: return "permission denied";
  case TWINE_PFS_ENOSPC: return "no space left on the device";
  case TWINE_PFS_EBUSY: return "the file is in use (locked)";
  case TWINE_PFS_EFBIG: return "file too large for a protected file";
  case TWINE_PFS_ENAMETOOLONG: return "logical path too long";
  case TWINE_PFS_EHOST: return "I/O error";
  default: return twine_pfs_status_name(s);
  }
}

static void pfs_fail(const pfs_opts *o, const char *path, twine_pfs_status s) {
  cli_err("pfs %s: %s: %s", o->cmd, path, pfs_reason(s));
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s && s[1] ? s + 1 : p;
}

static twine_pfs_mount *mount_new(const pfs_opts *o, pfs_keys *k) {
  twine_pfs_mount_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (o->mount_hex) {
    size_t n = 0;
    if (!parse_hex(o->mount_hex, cfg.mount_id, sizeof cfg.mount_id, &n)) {
      cli_err("pfs %s: --mount-id: up to 32 hex digits expected", o->cmd);
      return NULL;
    }
  }
  cfg.io = twine_pfs_posix_io();
  cfg.keys = &cli_keys;
  cfg.keys_ctx = k;
  cfg.durability = TWINE_PFS_DUR_COMMIT;
  twine_pfs_mount *m = NULL;
  twine_pfs_status s = twine_pfs_mount_new(&cfg, &m);
  if (s != TWINE_PFS_OK) {
    cli_err("pfs %s: %s", o->cmd, pfs_reason(s));
    return NULL;
  }
  return m;
}

/* A temporary name next to `out`: "<dir>/.<base>.tmp-XXXXXX" (reserved
 * with mkstemp). */
static char *temp_next_to(const char *out, int *fd) {
  const char *b = base_name(out);
  size_t dl = (size_t)(b - out);
  size_t n = dl + strlen(b) + 16;
  char *t = malloc(n);
  if (!t)
    return NULL;
  snprintf(t, n, "%.*s.%s.tmp-XXXXXX", (int)dl, out, b);
  *fd = mkstemp(t);
  if (*fd < 0) {
    free(t);
    return NULL;
  }
  return t;
}

static bool check_out(const pfs_opts *o, const char *out) {
  struct stat st;
  if (!o->force && lstat(out, &st) == 0) {
    cli_err("pfs %s: %s exists (use --force to replace it)", o->cmd, out);
    return false;
  }
  return true;
}

static bool sync_dir_of(const char *path) {
  const char *b = base_name(path);
  char *d = b == path ? strdup(".") : strndup(path, (size_t)(b - path));
  if (!d)
    return false;
  int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(d);
  if (fd < 0)
    return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

/* ---- subcommands ---------------------------------------------------------------- */

static int do_keygen(const pfs_opts *o) {
  const char *path = o->args[0];
  uint8_t key[32];
  size_t got = 0;
  while (got < sizeof key) {
    ssize_t r = getrandom(key + got, sizeof key - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      cli_err("pfs keygen: no randomness: %s", strerror(errno));
      return CLI_EXIT_ERROR;
    }
    got += (size_t)r;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    cli_err("pfs keygen: %s: %s%s", path, strerror(errno),
            errno == EEXIST ? " (refusing to overwrite a key)" : "");
    memset(key, 0, sizeof key);
    return CLI_EXIT_ERROR;
  }
  bool ok = write(fd, key, sizeof key) == (ssize_t)sizeof key && fsync(fd) == 0;
  int e = errno;
  memset(key, 0, sizeof key);
  if (close(fd) != 0)
    ok = false;
  if (!ok) {
    cli_err("pfs keygen: %s: %s", path, strerror(e));
    unlink(path);
    return CLI_EXIT_ERROR;
  }
  sync_dir_of(path);
  return CLI_EXIT_OK;
}

static int do_encrypt(const pfs_opts *o, twine_pfs_mount *m) {
  const char *in = o->args[0], *out = o->args[1];
  const char *logical = o->logical ? o->logical : base_name(out);
  if (!check_out(o, out))
    return CLI_EXIT_ERROR;
  int src = open(in, O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    cli_err("pfs encrypt: %s: %s", in, strerror(errno));
    return CLI_EXIT_ERROR;
  }
  int tfd;
  char *tmp = temp_next_to(out, &tfd);
  if (!tmp) {
    cli_err("pfs encrypt: cannot create a temporary file next to %s: %s", out,
            strerror(errno));
    close(src);
    return CLI_EXIT_ERROR;
  }
  close(tfd); /* the PFS opens it (empty) with CREAT */
  twine_pfs_file *f = NULL;
  uint8_t *buf = malloc(PFS_IO_CHUNK);
  twine_pfs_status s = buf ? twine_pfs_open(m, tmp, logical,
                                            TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f)
                           : TWINE_PFS_ENOMEM;
  int rc = CLI_EXIT_ERROR;
  uint64_t off = 0;
  bool read_err = false;
  while (s == TWINE_PFS_OK) {
    ssize_t n = read(src, buf, PFS_IO_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      cli_err("pfs encrypt: %s: %s", in, strerror(errno));
      read_err = true;
      break;
    }
    if (n == 0)
      break;
    size_t w = 0;
    s = twine_pfs_pwrite(f, buf, (size_t)n, off, &w);
    off += (uint64_t)n;
  }
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
  if (s != TWINE_PFS_OK)
    pfs_fail(o, out, s);
  else if (!read_err && rename(tmp, out) != 0)
    cli_err("pfs encrypt: %s: %s", out, strerror(errno));
  else if (!read_err)
    rc = CLI_EXIT_OK;
  if (rc != CLI_EXIT_OK) {
    unlink(tmp);
  } else {
    sync_dir_of(out);
  }
  /* an empty journal may be left next to the temporary name */
  size_t jl = strlen(tmp) + 6;
  char *j = malloc(jl);
  if (j) {
    snprintf(j, jl, "%s.pfsj", tmp);
    unlink(j);
    free(j);
  }
  free(tmp);
  free(buf);
  close(src);
  return rc;
}

static int do_decrypt(const pfs_opts *o, twine_pfs_mount *m) {
  const char *in = o->args[0], *out = o->args[1];
  const char *logical = o->logical ? o->logical : base_name(in);
  if (!check_out(o, out))
    return CLI_EXIT_ERROR;
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m, in, logical, TWINE_PFS_RDONLY, NULL, &f);
  if (s != TWINE_PFS_OK) {
    pfs_fail(o, in, s);
    return CLI_EXIT_ERROR;
  }
  int tfd;
  char *tmp = temp_next_to(out, &tfd);
  if (!tmp) {
    cli_err("pfs decrypt: cannot create a temporary file next to %s: %s", out,
            strerror(errno));
    twine_pfs_close(f);
    return CLI_EXIT_ERROR;
  }
  uint8_t *buf = malloc(PFS_IO_CHUNK);
  int rc = CLI_EXIT_ERROR;
  bool werr = !buf;
  uint64_t off = 0;
  while (s == TWINE_PFS_OK && !werr) {
    size_t n = 0;
    s = twine_pfs_pread(f, buf, PFS_IO_CHUNK, off, &n);
    if (s != TWINE_PFS_OK || n == 0)
      break;
    for (size_t w = 0; w < n;) {
      ssize_t r = write(tfd, buf + w, n - w);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0) {
        cli_err("pfs decrypt: %s: %s", out, strerror(errno));
        werr = true;
        break;
      }
      w += (size_t)r;
    }
    off += n;
  }
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
  if (s != TWINE_PFS_OK) {
    pfs_fail(o, in, s);
  } else if (!werr && (fsync(tfd) != 0 || fchmod(tfd, 0600) != 0)) {
    cli_err("pfs decrypt: %s: %s", out, strerror(errno));
  } else if (!werr && rename(tmp, out) != 0) {
    cli_err("pfs decrypt: %s: %s", out, strerror(errno));
  } else if (!werr) {
    rc = CLI_EXIT_OK;
  }
  close(tfd);
  if (rc != CLI_EXIT_OK)
    unlink(tmp);
  else
    sync_dir_of(out);
  if (buf) {
    memset(buf, 0, PFS_IO_CHUNK);
    free(buf);
  }
  free(tmp);
  return rc;
}

/* Plaintext header fields, read straight from the file (no key needed). */
static bool read_plain_header(const pfs_opts *o, const char *path, uint8_t h[128]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("pfs %s: %s: %s", o->cmd, path, strerror(errno));
    return false;
  }
  ssize_t n = pread(fd, h, 128, 0);
  close(fd);
  if (n != 128 || memcmp(h, "PFSFILE1", 8) != 0) {
    cli_err("pfs %s: %s: not a protected file (no PFSFILE1 header)", o->cmd, path);
    return false;
  }
  return true;
}

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void hex(const uint8_t *p, size_t n, char *out) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[p[i] >> 4];
    out[2 * i + 1] = d[p[i] & 15];
  }
  out[2 * n] = 0;
}

static int do_info(const pfs_opts *o, twine_pfs_mount *m) {
  const char *path = o->args[0];
  const char *logical = o->logical ? o->logical : base_name(path);
  uint8_t h[128];
  if (!read_plain_header(o, path, h))
    return CLI_EXIT_ERROR;
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m, path, logical, TWINE_PFS_RDONLY, NULL, &f);
  twine_pfs_stat_t st;
  if (s == TWINE_PFS_OK)
    s = twine_pfs_stat(f, &st);
  twine_pfs_close(f);
  if (s != TWINE_PFS_OK) {
    pfs_fail(o, path, s);
    return CLI_EXIT_ERROR;
  }
  char uuid[33], kid[33];
  hex(st.file_uuid, 16, uuid);
  hex(h + 36, 16, kid);
  printf("format:      PFS%u.%u (PFSFILE1)\n", (unsigned)le(h + 8, 2), (unsigned)le(h + 10, 2));
  printf("node size:   %u\n", 1u << h[14]);
  printf("cipher:      %s\n", h[15] == 1 ? "AES-128-GCM nodes, HKDF-SHA256" : "unknown");
  printf("size:        %llu\n", (unsigned long long)st.size);
  printf("generation:  %llu\n", (unsigned long long)st.generation);
  printf("mtime_ns:    %llu\n", (unsigned long long)st.mtime_ns);
  printf("uuid:        %s\n", uuid);
  printf("key id:      %s\n", kid);
  return CLI_EXIT_OK;
}

static int do_verify(const pfs_opts *o, twine_pfs_mount *m) {
  const char *path = o->args[0];
  const char *logical = o->logical ? o->logical : base_name(path);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m, path, logical, TWINE_PFS_RDONLY, NULL, &f);
  twine_pfs_stat_t st;
  memset(&st, 0, sizeof st);
  uint8_t *buf = malloc(PFS_IO_CHUNK);
  if (s == TWINE_PFS_OK && !buf)
    s = TWINE_PFS_ENOMEM;
  if (s == TWINE_PFS_OK)
    s = twine_pfs_stat(f, &st);
  for (uint64_t off = 0; s == TWINE_PFS_OK && off < st.size;) {
    size_t n = 0;
    s = twine_pfs_pread(f, buf, PFS_IO_CHUNK, off, &n);
    if (s == TWINE_PFS_OK && n == 0)
      s = TWINE_PFS_CORRUPTED;
    off += n;
  }
  twine_pfs_close(f);
  free(buf);
  if (s != TWINE_PFS_OK) {
    pfs_fail(o, path, s);
    return CLI_EXIT_ERROR;
  }
  printf("ok: %llu bytes, generation %llu\n", (unsigned long long)st.size,
         (unsigned long long)st.generation);
  return CLI_EXIT_OK;
}

static int do_rekey(const pfs_opts *o, twine_pfs_mount *m, pfs_keys *k) {
  const char *path = o->args[0];
  const char *logical = o->logical ? o->logical : base_name(path);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m, path, logical, TWINE_PFS_RDWR, NULL, &f);
  if (s == TWINE_PFS_OK) {
    k->rekey = true; /* from now on the new key's id maps to the new key */
    s = twine_pfs_rekey(f);
  }
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
  if (s != TWINE_PFS_OK) {
    pfs_fail(o, path, s);
    return CLI_EXIT_ERROR;
  }
  return CLI_EXIT_OK;
}

int cli_cmd_pfs(int argc, char **argv) {
  pfs_opts o;
  memset(&o, 0, sizeof o);
  bool opts_done = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts_done && !strcmp(a, "--")) {
      opts_done = true;
    } else if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
      cli_help_pfs(stdout);
      return CLI_EXIT_OK;
    } else if (!opts_done && (!strcmp(a, "-f") || !strcmp(a, "--force"))) {
      o.force = true;
    } else if (!opts_done && (!strcmp(a, "--key-file") || !strcmp(a, "--new-key-file") ||
                              !strcmp(a, "--path") || !strcmp(a, "--mount-id"))) {
      if (i + 1 >= argc) {
        cli_err("pfs: %s needs a value (try 'twine pfs --help')", a);
        return CLI_EXIT_ERROR;
      }
      const char *v = argv[++i];
      if (!strcmp(a, "--key-file"))
        o.key_file = v;
      else if (!strcmp(a, "--new-key-file"))
        o.new_key_file = v;
      else if (!strcmp(a, "--path"))
        o.logical = v;
      else
        o.mount_hex = v;
    } else if (!opts_done && a[0] == '-' && a[1] != '\0') {
      cli_err("pfs: unknown option %s (try 'twine pfs --help')", a);
      return CLI_EXIT_ERROR;
    } else if (!o.cmd) {
      o.cmd = a;
    } else if (o.nargs < 2) {
      o.args[o.nargs++] = a;
    } else {
      cli_err("pfs %s: unexpected argument %s", o.cmd, a);
      return CLI_EXIT_ERROR;
    }
  }
  if (!o.cmd) {
    cli_err("pfs: missing command (try 'twine pfs --help')");
    return CLI_EXIT_ERROR;
  }
  static const struct {
    const char *name;
    int nargs;
  } cmds[] = {{"keygen", 1}, {"encrypt", 2}, {"decrypt", 2},
              {"info", 1},   {"verify", 1},  {"rekey", 1}};
  int want = -1;
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (!strcmp(o.cmd, cmds[i].name))
      want = cmds[i].nargs;
  if (want < 0) {
    cli_err("pfs: unknown command %s (try 'twine pfs --help')", o.cmd);
    return CLI_EXIT_ERROR;
  }
  if (o.nargs != want) {
    cli_err("pfs %s: expected %d file argument%s (try 'twine pfs --help')", o.cmd, want,
            want > 1 ? "s" : "");
    return CLI_EXIT_ERROR;
  }
  if (!strcmp(o.cmd, "keygen"))
    return do_keygen(&o);
  if ((strcmp(o.cmd, "rekey") == 0) != (o.new_key_file != NULL)) {
    cli_err(o.new_key_file ? "pfs %s: --new-key-file is for rekey only"
                           : "pfs %s: --new-key-file KEYFILE2 is required",
            o.cmd);
    return CLI_EXIT_ERROR;
  }
  pfs_keys keys;
  if (!load_keys(&o, &keys)) {
    wipe_keys(&keys);
    return CLI_EXIT_ERROR;
  }
  twine_pfs_mount *m = mount_new(&o, &keys);
  int rc = CLI_EXIT_ERROR;
  if (m) {
    if (!strcmp(o.cmd, "encrypt"))
      rc = do_encrypt(&o, m);
    else if (!strcmp(o.cmd, "decrypt"))
      rc = do_decrypt(&o, m);
    else if (!strcmp(o.cmd, "info"))
      rc = do_info(&o, m);
    else if (!strcmp(o.cmd, "verify"))
      rc = do_verify(&o, m);
    else
      rc = do_rekey(&o, m, &keys);
    twine_pfs_mount_free(m);
  }
  wipe_keys(&keys);
  return rc;
}

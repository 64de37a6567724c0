/*
 * platform_key.c - the platform root secret on disk (untrusted launcher).
 *
 * Without SGX, Twine's root of trust is a 32-byte secret in a file (see
 * include/twine/enclave.h, docs/attestation.md). This file finds it
 * ($TWINE_PLATFORM_KEY_FILE, else $XDG_DATA_HOME/twine/platform.key, else
 * ~/.local/share/twine/platform.key), creates it on first use and reads
 * it, refusing anything that could have been read or planted by someone
 * else: not a regular file (symlinks are not followed), a size other than
 * 32, any group or other permission bit, another owner.
 *
 * Creation is atomic: 32 random bytes go to a fresh temporary file (0600,
 * O_EXCL) in the same directory, which is fsync'ed and then hard-linked to
 * the final name; link() fails if another process won the race, and then
 * that process's file is read. A missing directory is created 0700.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twine/enclave.h"

#define PK_PATH_MAX 4096

static twine_status_t pk_fail(twine_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static twine_status_t pk_fail(twine_error_t *err, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->status = TWINE_ERR_IO;
    err->offset = SIZE_MAX;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return TWINE_ERR_IO;
}

/* The default path, or false if neither variable gives one. */
static bool default_path(char *buf, size_t cap) {
  const char *p = getenv("TWINE_PLATFORM_KEY_FILE");
  int n;
  if (p && *p) {
    n = snprintf(buf, cap, "%s", p);
  } else if ((p = getenv("XDG_DATA_HOME")) && p[0] == '/') {
    n = snprintf(buf, cap, "%s/twine/platform.key", p);
  } else if ((p = getenv("HOME")) && p[0] == '/') {
    n = snprintf(buf, cap, "%s/.local/share/twine/platform.key", p);
  } else {
    return false;
  }
  return n > 0 && (size_t)n < cap;
}

/* mkdir -p of the directory part of path; new directories get 0700. */
static bool make_parents(const char *path) {
  char dir[PK_PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return true;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  return mkdir(dir, 0700) == 0 || errno == EEXIST;
}

static bool write_all(int fd, const uint8_t *b, size_t n) {
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= (size_t)w;
  }
  return true;
}

/* Create the file at path (atomically, see above). EEXIST from link is
 * success: someone else created it first. */
static twine_status_t create_key(const char *path, twine_error_t *err) {
  if (!make_parents(path))
    return pk_fail(err, "platform key %s: cannot create its directory: %s",
                   path, strerror(errno));
  uint8_t key[TWINE_ROOT_SECRET_LEN], tag[8];
  char tmp[PK_PATH_MAX + 32];
  if (getrandom(tag, sizeof tag, 0) != (ssize_t)sizeof tag ||
      getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
    return pk_fail(err, "platform key: no randomness: %s", strerror(errno));
  snprintf(tmp, sizeof tmp, "%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x", path,
           tag[0], tag[1], tag[2], tag[3], tag[4], tag[5], tag[6], tag[7]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0600);
  if (fd < 0) {
    explicit_bzero(key, sizeof key);
    return pk_fail(err, "platform key %s: cannot create: %s", path,
                   strerror(errno));
  }
  bool ok = write_all(fd, key, sizeof key) && fsync(fd) == 0;
  int saved = errno;
  explicit_bzero(key, sizeof key);
  if (close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (ok && link(tmp, path) != 0 && errno != EEXIST) {
    ok = false;
    saved = errno;
  }
  unlink(tmp);
  if (!ok)
    return pk_fail(err, "platform key %s: cannot write: %s", path,
                   strerror(saved));
  return TWINE_OK;
}

static twine_status_t read_key(const char *path, int fd,
                               uint8_t out[TWINE_ROOT_SECRET_LEN],
                               twine_error_t *err) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return pk_fail(err, "platform key %s: cannot stat: %s", path,
                   strerror(errno));
  if (!S_ISREG(st.st_mode))
    return pk_fail(err, "platform key %s: not a regular file", path);
  if (st.st_mode & 077)
    return pk_fail(err,
                   "platform key %s: readable or writable by others (mode "
                   "%03o); it must be 0600 (chmod 600)",
                   path, (unsigned)(st.st_mode & 0777));
  if (st.st_uid != geteuid())
    return pk_fail(err, "platform key %s: owned by another user (uid %u)",
                   path, (unsigned)st.st_uid);
  if (st.st_size != TWINE_ROOT_SECRET_LEN)
    return pk_fail(err,
                   "platform key %s: %lld bytes, expected %d (not a twine "
                   "platform key)",
                   path, (long long)st.st_size, TWINE_ROOT_SECRET_LEN);
  size_t got = 0;
  while (got < TWINE_ROOT_SECRET_LEN) {
    ssize_t r = read(fd, out + got, TWINE_ROOT_SECRET_LEN - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      explicit_bzero(out, TWINE_ROOT_SECRET_LEN);
      return pk_fail(err, "platform key %s: short read", path);
    }
    got += (size_t)r;
  }
  return TWINE_OK;
}

twine_status_t twine_platform_key_load(const char *path,
                                       uint8_t out[TWINE_ROOT_SECRET_LEN],
                                       char *path_used, size_t path_cap,
                                       twine_error_t *err) {
  char buf[PK_PATH_MAX];
  if (!out) return pk_fail(err, "platform key: no output buffer");
  if (path) {
    if (!*path || strlen(path) >= sizeof buf)
      return pk_fail(err, "platform key: bad path");
    snprintf(buf, sizeof buf, "%s", path);
  } else if (!default_path(buf, sizeof buf)) {
    return pk_fail(err, "platform key: no location (set "
                        "TWINE_PLATFORM_KEY_FILE, XDG_DATA_HOME or HOME)");
  }
  if (path_used && path_cap) snprintf(path_used, path_cap, "%s", buf);
  int fd = open(buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    twine_status_t st = create_key(buf, err);
    if (st != TWINE_OK) return st;
    fd = open(buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ELOOP)
      return pk_fail(err, "platform key %s: is a symbolic link (refused)",
                     buf);
    return pk_fail(err, "platform key %s: cannot open: %s", buf,
                   strerror(errno));
  }
  twine_status_t st = read_key(buf, fd, out, err);
  close(fd);
  return st;
}

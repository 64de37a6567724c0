/*
 * wasi_posix_shim.c - implementations for wasi_posix_shim.h (see there for
 * what each one does and why that is exact under WASI). Linked into the
 * wasm32-wasi builds of the SQLite shell and bzip2 only.
 */
#include "wasi_posix_shim.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>

#undef fcntl

static int fd_is_open(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0;
}

int tw_shim_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  if (cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW) {
    struct flock *lk = va_arg(ap, struct flock *);
    va_end(ap);
    if (!fd_is_open(fd)) return -1; /* errno from fstat: EBADF */
    if (lk == NULL) {
      errno = EFAULT;
      return -1;
    }
    if (lk->l_type != F_RDLCK && lk->l_type != F_WRLCK && lk->l_type != F_UNLCK) {
      errno = EINVAL;
      return -1;
    }
    if (cmd == F_GETLK) lk->l_type = F_UNLCK;
    return 0;
  }
  /* The commands wasi-libc knows: F_SETFD and F_SETFL take an int, the
   * others none (reading an argument that was not passed is undefined). */
  if (cmd == F_SETFD || cmd == F_SETFL) {
    int arg = va_arg(ap, int);
    va_end(ap);
    return fcntl(fd, cmd, arg);
  }
  va_end(ap);
  return fcntl(fd, cmd);
}

int chmod(const char *path, mode_t mode) {
  struct stat st;
  (void)mode;
  return stat(path, &st);
}

int fchmod(int fd, mode_t mode) {
  (void)mode;
  return fd_is_open(fd) ? 0 : -1;
}

int fchown(int fd, uid_t owner, gid_t group) {
  (void)owner;
  (void)group;
  return fd_is_open(fd) ? 0 : -1;
}

int system(const char *command) {
  if (command == NULL) return 0;
  errno = ENOSYS;
  return -1;
}

uid_t getuid(void) { return 1000; }

uid_t geteuid(void) { return 1000; }

struct passwd *getpwuid(uid_t uid) {
  (void)uid;
  errno = ENOENT;
  return NULL;
}

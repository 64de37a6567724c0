/*
 * pfs_posix_io.c - the untrusted POSIX implementation of the PFS host I/O
 * table (twine_pfs_io_ops). Handles are file descriptors; errors are
 * reported as WASI errno numbers. Creation, unlink and rename fsync the
 * parent directory so the name change is durable on return; locks are
 * open-file-description locks (F_OFD_SETLK), non-blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "twine/pfs.h"

static int werr(int e) {
  switch (e) {
  case ENOENT: return 44;
  case EEXIST: return 20;
  case EACCES: return 2;
  case EPERM: return 63;
  case EROFS: return 69;
  case ENOSPC: return 51;
  case EDQUOT: return 19;
  case EFBIG: return 22;
  case EAGAIN: return 6;
  case EBUSY: return 10;
  case ENAMETOOLONG: return 37;
  case ENOMEM: return 48;
  case EISDIR: return 31;
  case ENOTDIR: return 54;
  case EINVAL: return 28;
  case EBADF: return 8;
  default: return 29; /* EIO */
  }
}

static int sync_parent(const char *path) {
  char dir[PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof dir)
    return 37;
  memcpy(dir, path, n + 1);
  char *slash = strrchr(dir, '/');
  if (!slash)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = 0;
  else
    *slash = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return werr(errno);
  int rc = fsync(fd) == 0 ? 0 : werr(errno);
  close(fd);
  return rc;
}

static int px_open(void *ctx, const char *path, uint32_t fl, uint64_t *h,
                   twine_pfs_host_info *info) {
  (void)ctx;
  int of = O_CLOEXEC;
  of |= (fl & TWINE_PFS_IO_WRITE) ? O_RDWR : O_RDONLY;
  if (fl & TWINE_PFS_IO_CREAT)
    of |= O_CREAT;
  if (fl & TWINE_PFS_IO_EXCL)
    of |= O_EXCL;
  int fd = open(path, of, 0600);
  if (fd < 0)
    return werr(errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = S_ISREG(st.st_mode) ? werr(errno) : 31;
    close(fd);
    return e;
  }
  if ((fl & TWINE_PFS_IO_CREAT) && st.st_size == 0) {
    int e = sync_parent(path);
    if (e) {
      close(fd);
      return e;
    }
  }
  info->dev = (uint64_t)st.st_dev;
  info->ino = (uint64_t)st.st_ino;
  info->size = (uint64_t)st.st_size;
  *h = (uint64_t)fd;
  return 0;
}

static int px_close(void *ctx, uint64_t h) {
  (void)ctx;
  return close((int)h) == 0 ? 0 : werr(errno);
}

#define MAXV 64

static int px_preadv(void *ctx, uint64_t h, const twine_pfs_iovec *iov,
                     uint32_t n, uint64_t off, size_t *done) {
  (void)ctx;
  struct iovec v[MAXV];
  if (n > MAXV)
    return 28;
  for (uint32_t i = 0; i < n; i++) {
    v[i].iov_base = iov[i].base;
    v[i].iov_len = iov[i].len;
  }
  ssize_t r;
  do
    r = preadv((int)h, v, (int)n, (off_t)off);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return werr(errno);
  *done = (size_t)r;
  return 0;
}

static int px_pwritev(void *ctx, uint64_t h, const twine_pfs_iovec *iov,
                      uint32_t n, uint64_t off, size_t *done) {
  (void)ctx;
  struct iovec v[MAXV];
  size_t total = 0, put = 0;
  if (n > MAXV)
    return 28;
  for (uint32_t i = 0; i < n; i++) {
    v[i].iov_base = iov[i].base;
    v[i].iov_len = iov[i].len;
    total += iov[i].len;
  }
  struct iovec *p = v;
  int cnt = (int)n;
  while (put < total) {
    ssize_t r = pwritev((int)h, p, cnt, (off_t)(off + put));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return r < 0 ? werr(errno) : 29;
    put += (size_t)r;
    while (cnt > 0 && (size_t)r >= p->iov_len) {
      r -= (ssize_t)p->iov_len;
      p++;
      cnt--;
    }
    if (cnt > 0) {
      p->iov_base = (char *)p->iov_base + r;
      p->iov_len -= (size_t)r;
    }
  }
  *done = put;
  return 0;
}

static int px_fdatasync(void *ctx, uint64_t h) {
  (void)ctx;
  return fdatasync((int)h) == 0 ? 0 : werr(errno);
}

static int px_fsync(void *ctx, uint64_t h) {
  (void)ctx;
  return fsync((int)h) == 0 ? 0 : werr(errno);
}

static int px_ftruncate(void *ctx, uint64_t h, uint64_t len) {
  (void)ctx;
  return ftruncate((int)h, (off_t)len) == 0 ? 0 : werr(errno);
}

static int px_unlink(void *ctx, const char *path) {
  (void)ctx;
  if (unlink(path) != 0)
    return werr(errno);
  return sync_parent(path);
}

static int px_rename(void *ctx, const char *from, const char *to) {
  (void)ctx;
  if (rename(from, to) != 0)
    return werr(errno);
  int e = sync_parent(to);
  return e ? e : sync_parent(from);
}

static int px_lock(void *ctx, uint64_t h, uint32_t mode) {
  (void)ctx;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = mode == TWINE_PFS_LOCK_EX ? F_WRLCK
              : mode == TWINE_PFS_LOCK_SH ? F_RDLCK
                                          : F_UNLCK;
  fl.l_whence = SEEK_SET;
  return fcntl((int)h, F_OFD_SETLK, &fl) == 0 ? 0 : werr(errno);
}

static uint64_t px_now(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const twine_pfs_io_ops posix_ops = {
    px_open,  px_close,  px_preadv, px_pwritev, px_fdatasync, px_fsync,
    px_ftruncate, px_unlink, px_rename, px_lock, px_now};

const twine_pfs_io_ops *twine_pfs_posix_io(void) { return &posix_ops; }

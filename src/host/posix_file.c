/*
 * posix_file.c - POSIX host calls on open files: open_at, close, read and
 * write (one system call each; short counts are the caller's business),
 * seek, stat, status flags, size, sync, allocation, advice, timestamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/posix_int.h"

static uint64_t ts_ns(struct timespec ts) {
  if (ts.tv_sec < 0) return 0;
  if ((uint64_t)ts.tv_sec >= UINT64_MAX / 1000000000u) return UINT64_MAX;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tw_host_stat_of(const struct stat *st, int fd, tw_hstat *o) {
  o->dev = (uint64_t)st->st_dev;
  o->ino = (uint64_t)st->st_ino;
  o->nlink = (uint64_t)st->st_nlink;
  o->size = st->st_size < 0 ? 0 : (uint64_t)st->st_size;
  o->atim = ts_ns(st->st_atim);
  o->mtim = ts_ns(st->st_mtim);
  o->ctim = ts_ns(st->st_ctim);
  if (S_ISREG(st->st_mode)) o->type = TW_HFT_REG;
  else if (S_ISDIR(st->st_mode)) o->type = TW_HFT_DIR;
  else if (S_ISLNK(st->st_mode)) o->type = TW_HFT_SYMLINK;
  else if (S_ISCHR(st->st_mode)) o->type = TW_HFT_CHAR;
  else if (S_ISBLK(st->st_mode)) o->type = TW_HFT_BLOCK;
  else if (S_ISSOCK(st->st_mode)) {
    int t = SOCK_STREAM;
    socklen_t tl = sizeof t;
    if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tl) != 0)
      t = SOCK_STREAM;
    o->type = t == SOCK_DGRAM ? TW_HFT_SOCK_DGRAM : TW_HFT_SOCK_STREAM;
  } else o->type = TW_HFT_UNKNOWN; /* FIFOs have no WASI type */
}

tw_herr tw_host_do_open_at(tw_host_posix *h, const tw_host_args *a,
                           tw_hc_rep *rep, uint8_t *out, size_t cap) {
  uint32_t f = (uint32_t)a->a[1];
  int fl = O_CLOEXEC | O_NOCTTY;
  if ((f & TW_HO_READ) && (f & TW_HO_WRITE)) fl |= O_RDWR;
  else if (f & TW_HO_WRITE) fl |= O_WRONLY;
  else fl |= O_RDONLY; /* also directories opened for readdir */
  if (f & TW_HO_CREATE) fl |= O_CREAT;
  if (f & TW_HO_EXCL) fl |= O_EXCL;
  if (f & TW_HO_TRUNC) fl |= O_TRUNC;
  if (f & TW_HO_APPEND) fl |= O_APPEND;
  if (f & TW_HO_DIRECTORY) fl |= O_DIRECTORY;
  if (f & TW_HO_NOFOLLOW) fl |= O_NOFOLLOW;
  if (f & TW_HO_NONBLOCK) fl |= O_NONBLOCK;
  if (f & TW_HO_DSYNC) fl |= O_DSYNC;
  if (f & TW_HO_SYNC) fl |= O_SYNC;
  if (f & TW_HO_RSYNC) fl |= O_RSYNC;
  int fd;
  do fd = openat(a->fd[0], a->name, fl, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return tw_host_errno_now();
  uint32_t handle;
  if (!tw_host_add(h, fd, &handle)) return TW_HE_NFILE;
  rep->r[0] = handle;
  return 0;
}

tw_herr tw_host_do_close(tw_host_posix *h, const tw_host_args *a,
                         tw_hc_rep *rep, uint8_t *out, size_t cap) {
  tw_host_release(a->slot[0]);
  return 0;
}

static size_t min_sz(uint64_t a, size_t b) { return a < b ? (size_t)a : b; }

tw_herr tw_host_do_read(tw_host_posix *h, const tw_host_args *a,
                        tw_hc_rep *rep, uint8_t *out, size_t cap) {
  ssize_t n;
  do n = read(a->fd[0], out, min_sz(a->a[1], cap));
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  rep->len = (uint32_t)n;
  return 0;
}

tw_herr tw_host_do_pread(tw_host_posix *h, const tw_host_args *a,
                         tw_hc_rep *rep, uint8_t *out, size_t cap) {
  ssize_t n;
  do n = pread(a->fd[0], out, min_sz(a->a[2], cap), (off_t)a->a[1]);
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  rep->len = (uint32_t)n;
  return 0;
}

tw_herr tw_host_do_write(tw_host_posix *h, const tw_host_args *a,
                         tw_hc_rep *rep, uint8_t *out, size_t cap) {
  ssize_t n;
  do n = write(a->fd[0], a->data, a->len);
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  return 0;
}

tw_herr tw_host_do_pwrite(tw_host_posix *h, const tw_host_args *a,
                          tw_hc_rep *rep, uint8_t *out, size_t cap) {
  ssize_t n;
  do n = pwrite(a->fd[0], a->data, a->len, (off_t)a->a[1]);
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  return 0;
}

tw_herr tw_host_do_seek(tw_host_posix *h, const tw_host_args *a,
                        tw_hc_rep *rep, uint8_t *out, size_t cap) {
  static const int whence[3] = {SEEK_SET, SEEK_CUR, SEEK_END};
  off_t pos = lseek(a->fd[0], (off_t)(int64_t)a->a[1], whence[a->a[2]]);
  if (pos < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)pos;
  return 0;
}

static tw_herr put_stat(const struct stat *st, int fd, tw_hc_rep *rep,
                        uint8_t *out, size_t cap) {
  tw_hstat hs;
  if (cap < TW_HCW_STAT) return TW_HE_INVAL;
  tw_host_stat_of(st, fd, &hs);
  tw_hcw_put_stat(out, &hs);
  rep->len = TW_HCW_STAT;
  return 0;
}

tw_herr tw_host_do_fstat(tw_host_posix *h, const tw_host_args *a,
                         tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct stat st;
  if (fstat(a->fd[0], &st) != 0) return tw_host_errno_now();
  return put_stat(&st, a->fd[0], rep, out, cap);
}

tw_herr tw_host_do_stat_at(tw_host_posix *h, const tw_host_args *a,
                           tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct stat st;
  int fl = a->a[1] ? AT_SYMLINK_NOFOLLOW : 0;
  if (fstatat(a->fd[0], a->name, &st, fl) != 0) return tw_host_errno_now();
  return put_stat(&st, -1, rep, out, cap);
}

/* O_* status flags <-> TW_HFL_*. Linux's O_SYNC includes O_DSYNC, and its
 * O_RSYNC is O_SYNC, so RSYNC is reported only where it is distinct. */
static uint32_t hfl_of(int fl) {
  uint32_t f = 0;
  if (fl & O_APPEND) f |= TW_HFL_APPEND;
  if (fl & O_NONBLOCK) f |= TW_HFL_NONBLOCK;
  if (fl & O_DSYNC) f |= TW_HFL_DSYNC;
  if ((fl & O_SYNC) == O_SYNC) f |= TW_HFL_SYNC;
#if O_RSYNC != O_SYNC
  if ((fl & O_RSYNC) == O_RSYNC) f |= TW_HFL_RSYNC;
#endif
  return f;
}

tw_herr tw_host_do_fcntl_getfl(tw_host_posix *h, const tw_host_args *a,
                               tw_hc_rep *rep, uint8_t *out, size_t cap) {
  int fl = fcntl(a->fd[0], F_GETFL);
  if (fl < 0) return tw_host_errno_now();
  rep->r[0] = hfl_of(fl);
  return 0;
}

/* The synchronisation flags of an open file cannot change on Linux
 * (F_SETFL ignores them): asking for a change is ENOTSUP, not a silent
 * no-op. */
static uint32_t sync_bits(uint32_t f) {
  uint32_t s = f & (TW_HFL_DSYNC | TW_HFL_SYNC);
  if (s & TW_HFL_SYNC) s |= TW_HFL_DSYNC;
  return s;
}

tw_herr tw_host_do_fcntl_setfl(tw_host_posix *h, const tw_host_args *a,
                               tw_hc_rep *rep, uint8_t *out, size_t cap) {
  uint32_t want = (uint32_t)a->a[1];
  int cur = fcntl(a->fd[0], F_GETFL);
  if (cur < 0) return tw_host_errno_now();
  uint32_t have = hfl_of(cur);
  if (sync_bits(want) != sync_bits(have)) return TW_HE_NOTSUP;
#if O_RSYNC == O_SYNC
  if ((want & TW_HFL_RSYNC) && !(want & TW_HFL_SYNC)) return TW_HE_NOTSUP;
#else
  if ((want ^ have) & TW_HFL_RSYNC) return TW_HE_NOTSUP;
#endif
  int fl = cur & ~(O_APPEND | O_NONBLOCK);
  if (want & TW_HFL_APPEND) fl |= O_APPEND;
  if (want & TW_HFL_NONBLOCK) fl |= O_NONBLOCK;
  if (fcntl(a->fd[0], F_SETFL, fl) != 0) return tw_host_errno_now();
  return 0;
}

tw_herr tw_host_do_ftruncate(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  int r;
  do r = ftruncate(a->fd[0], (off_t)a->a[1]);
  while (r < 0 && errno == EINTR);
  return r == 0 ? 0 : tw_host_errno_now();
}

tw_herr tw_host_do_fsync(tw_host_posix *h, const tw_host_args *a,
                         tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return fsync(a->fd[0]) == 0 ? 0 : tw_host_errno_now();
}

tw_herr tw_host_do_fdatasync(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return fdatasync(a->fd[0]) == 0 ? 0 : tw_host_errno_now();
}

tw_herr tw_host_do_fallocate(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  int e = posix_fallocate(a->fd[0], (off_t)a->a[1], (off_t)a->a[2]);
  return e ? tw_host_errno(e) : 0;
}

tw_herr tw_host_do_fadvise(tw_host_posix *h, const tw_host_args *a,
                           tw_hc_rep *rep, uint8_t *out, size_t cap) {
  static const int advice[6] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  int e = posix_fadvise(a->fd[0], (off_t)a->a[1], (off_t)a->a[2],
                        advice[a->a[3]]);
  return e ? tw_host_errno(e) : 0;
}

/* TW_HT_* + ns timestamps -> the timespec pair of futimens/utimensat. */
static tw_herr times_of(uint64_t atim, uint64_t mtim, uint32_t which,
                        struct timespec ts[2]) {
  const uint32_t set[2] = {TW_HT_ATIM, TW_HT_MTIM};
  const uint32_t now[2] = {TW_HT_ATIM_NOW, TW_HT_MTIM_NOW};
  const uint64_t ns[2] = {atim, mtim};
  for (int i = 0; i < 2; i++) {
    if ((which & set[i]) && (which & now[i])) return TW_HE_INVAL;
    ts[i].tv_sec = 0;
    if (which & now[i]) ts[i].tv_nsec = UTIME_NOW;
    else if (which & set[i]) {
      ts[i].tv_sec = (time_t)(ns[i] / 1000000000u);
      ts[i].tv_nsec = (long)(ns[i] % 1000000000u);
    } else ts[i].tv_nsec = UTIME_OMIT;
  }
  return 0;
}

tw_herr tw_host_do_futimens(tw_host_posix *h, const tw_host_args *a,
                            tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct timespec ts[2];
  tw_herr e = times_of(a->a[1], a->a[2], (uint32_t)a->a[3], ts);
  if (e) return e;
  return futimens(a->fd[0], ts) == 0 ? 0 : tw_host_errno_now();
}

tw_herr tw_host_do_utimens_at(tw_host_posix *h, const tw_host_args *a,
                              tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct timespec ts[2];
  tw_herr e = times_of(a->a[2], a->a[3], (uint32_t)a->a[4], ts);
  if (e) return e;
  int fl = a->a[1] ? AT_SYMLINK_NOFOLLOW : 0;
  return utimensat(a->fd[0], a->name, ts, fl) == 0 ? 0 : tw_host_errno_now();
}

/* Non-blocking whole-file OFD lock (F_OFD_SETLK): 0 unlock, 1 shared,
 * 2 exclusive. Conflicts are EAGAIN. */
tw_herr tw_host_do_lock(tw_host_posix *h, const tw_host_args *a,
                        tw_hc_rep *rep, uint8_t *out, size_t cap) {
  (void)h;
  (void)rep;
  (void)out;
  (void)cap;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = a->a[1] == 2 ? F_WRLCK : a->a[1] == 1 ? F_RDLCK : F_UNLCK;
  fl.l_whence = SEEK_SET;
  int r;
  do r = fcntl(a->fd[0], F_OFD_SETLK, &fl);
  while (r < 0 && errno == EINTR);
  if (r == 0) return 0;
  return errno == EACCES ? TW_HE_AGAIN : tw_host_errno_now();
}

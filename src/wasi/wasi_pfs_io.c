/*
 * wasi_pfs_io.c - the protected file system's host I/O table
 * (twine_pfs_io_ops) over the enclave boundary, for protected mounts.
 *
 * Trusted code: every operation is a tw_hc_* host call, never a system
 * call, and every reply has been validated by the stubs.
 *
 * Host paths: PFS names host files by strings. Here a "host path" is a
 * path relative to the mount's root directory handle (tw_wasi_pfs_io.root,
 * a handle of its own, independent of the guest's descriptors): components
 * separated by single '/', none empty, "." or "..", no leading '/'. The
 * WASI layer passes the file's logical (guest) path within the mount, so
 * host layout and logical layout coincide; PFS appends ".pfsj" for the
 * journal (beside the file) and uses TWINE_PFS_ANCHOR_MANIFEST / _COUNTER
 * at the root. Each operation walks the path from the root, opening every
 * intermediate directory with DIRECTORY | NOFOLLOW, so the host can never
 * redirect a lookup outside the mount through a symlink or `..`; at worst
 * it makes a lookup fail or find another file, which PFS's path binding and
 * authentication then reject.
 *
 * Errors are WASI errno values (what twine_pfs_io_ops wants); a contract
 * violation of the host (TW_HE_HOST) becomes EIO. Not thread-safe (the
 * tw_hc boundary is single-threaded, as is WASI).
 */
#include <string.h>

#include "wasi/wasi_prot.h"

#define IO_EIO 29
#define IO_EBADF 8
#define IO_EINVAL 28
#define IO_ENAMETOOLONG 37
#define IO_EISDIR 31

static int ioerr(tw_herr e) {
  if (e == TW_HE_OK) return 0;
  return e > TW_WE_LAST ? IO_EIO : (int)e;
}

static bool bad_handle(uint64_t h) { return h >= TW_HC_MAX_HANDLES; }

/* Walk `path` to its containing directory. *dir is the root or a handle
 * owned by the caller (*owned); *name / *len the last component. */
static int walk(tw_wasi_pfs_io *io, const char *path, uint32_t *dir,
                bool *owned, const char **name, size_t *len) {
  uint32_t cur = io->root;
  bool own = false;
  const char *p = path;
  for (;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    int rc = 0;
    if (n == 0 || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
      rc = IO_EINVAL;
    else if (n > TW_HC_MAX_NAME)
      rc = IO_ENAMETOOLONG;
    if (rc) {
      if (own) tw_hc_close(io->hc, cur);
      return rc;
    }
    if (!slash) {
      *dir = cur;
      *owned = own;
      *name = p;
      *len = n;
      return 0;
    }
    uint32_t h;
    tw_herr e = tw_hc_open_at(io->hc, cur, p, n,
                              TW_HO_READ | TW_HO_DIRECTORY | TW_HO_NOFOLLOW, &h);
    if (own) tw_hc_close(io->hc, cur);
    if (e != TW_HE_OK) return ioerr(e);
    cur = h;
    own = true;
    p = slash + 1;
  }
}

static void walk_end(tw_wasi_pfs_io *io, uint32_t dir, bool owned) {
  if (owned) tw_hc_close(io->hc, dir);
}

static int io_open(void *ctx, const char *path, uint32_t fl, uint64_t *handle,
                   twine_pfs_host_info *info) {
  tw_wasi_pfs_io *io = ctx;
  uint32_t dir, h;
  bool owned;
  const char *name;
  size_t len;
  int rc = walk(io, path, &dir, &owned, &name, &len);
  if (rc) return rc;
  uint32_t hf = TW_HO_READ | TW_HO_NOFOLLOW;
  if (fl & TWINE_PFS_IO_WRITE) hf |= TW_HO_WRITE;
  if (fl & TWINE_PFS_IO_CREAT) hf |= TW_HO_CREATE;
  if (fl & TWINE_PFS_IO_EXCL) hf |= TW_HO_EXCL;
  tw_herr e = tw_hc_open_at(io->hc, dir, name, len, hf, &h);
  if (e != TW_HE_OK) {
    walk_end(io, dir, owned);
    return ioerr(e);
  }
  tw_hstat st;
  e = tw_hc_fstat(io->hc, h, &st);
  if (e == TW_HE_OK && st.type != TW_HFT_REG)
    e = st.type == TW_HFT_DIR ? IO_EISDIR : IO_EINVAL;
  /* a new directory entry must be durable on return */
  if (e == TW_HE_OK && (fl & TWINE_PFS_IO_CREAT) && st.size == 0)
    e = tw_hc_fsync(io->hc, dir);
  walk_end(io, dir, owned);
  if (e != TW_HE_OK) {
    tw_hc_close(io->hc, h);
    return ioerr(e);
  }
  info->dev = st.dev;
  info->ino = st.ino;
  info->size = st.size;
  *handle = h;
  return 0;
}

static int io_close(void *ctx, uint64_t h) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  return ioerr(tw_hc_close(io->hc, (uint32_t)h));
}

static int io_preadv(void *ctx, uint64_t h, const twine_pfs_iovec *iov,
                     uint32_t n, uint64_t off, size_t *done) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  size_t got = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t pos = 0;
    while (pos < iov[i].len) {
      size_t want = iov[i].len - pos, k = 0;
      if (want > TW_HC_MAX_IO) want = TW_HC_MAX_IO;
      if (off > UINT64_MAX - got) return IO_EINVAL;
      tw_herr e = tw_hc_pread(io->hc, (uint32_t)h, off + got,
                              (uint8_t *)iov[i].base + pos, want, &k);
      if (e != TW_HE_OK) return ioerr(e);
      pos += k;
      got += k;
      if (k < want) { /* end of file */
        *done = got;
        return 0;
      }
    }
  }
  *done = got;
  return 0;
}

static int io_pwritev(void *ctx, uint64_t h, const twine_pfs_iovec *iov,
                      uint32_t n, uint64_t off, size_t *done) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  size_t put = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t pos = 0;
    while (pos < iov[i].len) {
      size_t want = iov[i].len - pos, k = 0;
      if (want > TW_HC_MAX_IO) want = TW_HC_MAX_IO;
      if (off > UINT64_MAX - put) return IO_EINVAL;
      tw_herr e = tw_hc_pwrite(io->hc, (uint32_t)h, off + put,
                               (const uint8_t *)iov[i].base + pos, want, &k);
      if (e != TW_HE_OK) return ioerr(e);
      if (k == 0) return IO_EIO; /* no progress: do not spin */
      pos += k;
      put += k;
    }
  }
  *done = put;
  return 0;
}

static int io_fdatasync(void *ctx, uint64_t h) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  return ioerr(tw_hc_fdatasync(io->hc, (uint32_t)h));
}

static int io_fsync(void *ctx, uint64_t h) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  return ioerr(tw_hc_fsync(io->hc, (uint32_t)h));
}

static int io_ftruncate(void *ctx, uint64_t h, uint64_t len) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  return ioerr(tw_hc_ftruncate(io->hc, (uint32_t)h, len));
}

static int io_unlink(void *ctx, const char *path) {
  tw_wasi_pfs_io *io = ctx;
  uint32_t dir;
  bool owned;
  const char *name;
  size_t len;
  int rc = walk(io, path, &dir, &owned, &name, &len);
  if (rc) return rc;
  tw_herr e = tw_hc_unlink_at(io->hc, dir, name, len, false);
  if (e == TW_HE_OK) e = tw_hc_fsync(io->hc, dir);
  walk_end(io, dir, owned);
  return ioerr(e);
}

static int io_rename(void *ctx, const char *from, const char *to) {
  tw_wasi_pfs_io *io = ctx;
  uint32_t d1, d2;
  bool o1, o2;
  const char *n1, *n2;
  size_t l1, l2;
  int rc = walk(io, from, &d1, &o1, &n1, &l1);
  if (rc) return rc;
  if ((rc = walk(io, to, &d2, &o2, &n2, &l2))) {
    walk_end(io, d1, o1);
    return rc;
  }
  tw_herr e = tw_hc_rename_at(io->hc, d1, n1, l1, d2, n2, l2);
  if (e == TW_HE_OK) e = tw_hc_fsync(io->hc, d2);
  if (e == TW_HE_OK && (o1 || o2)) e = tw_hc_fsync(io->hc, d1);
  walk_end(io, d1, o1);
  walk_end(io, d2, o2);
  return ioerr(e);
}

static int io_lock(void *ctx, uint64_t h, uint32_t mode) {
  tw_wasi_pfs_io *io = ctx;
  if (bad_handle(h)) return IO_EBADF;
  if (mode > TWINE_PFS_LOCK_EX) return IO_EINVAL;
  return ioerr(tw_hc_lock(io->hc, (uint32_t)h, mode));
}

static uint64_t io_now(void *ctx) {
  tw_wasi_pfs_io *io = ctx;
  uint64_t ns = 0;
  if (tw_hc_clock_get(io->hc, TW_HCLOCK_REALTIME, &ns) != TW_HE_OK) return 0;
  return ns; /* informational only (mtime), never used for security */
}

static const twine_pfs_io_ops hc_ops = {
    io_open,      io_close,  io_preadv, io_pwritev, io_fdatasync, io_fsync,
    io_ftruncate, io_unlink, io_rename, io_lock,    io_now};

const twine_pfs_io_ops *tw_wasi_pfs_io_ops(void) { return &hc_ops; }

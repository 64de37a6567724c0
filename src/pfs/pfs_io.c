/*
 * pfs_io.c - the library's only way to the host: thin wrappers over the
 * caller's twine_pfs_io_ops that loop on partial transfers and treat every
 * reply as hostile (errno outside the WASI range, counts above the request).
 */
#include "pfs/pfs_int.h"

/* WASI preview1 errno numbers (witx) the I/O table may return. */
enum {
  E_ACCES = 2, E_AGAIN = 6, E_BUSY = 10, E_DQUOT = 19, E_EXIST = 20,
  E_FBIG = 22, E_NAMETOOLONG = 37, E_NOENT = 44, E_NOMEM = 48, E_NOSPC = 51,
  E_PERM = 63, E_ROFS = 69
};

twine_pfs_status tw_pfs_io_status(int e) {
  switch (e) {
  case 0: return TWINE_PFS_OK;
  case E_NOENT: return TWINE_PFS_ENOENT;
  case E_EXIST: return TWINE_PFS_EEXIST;
  case E_NOSPC: case E_DQUOT: case E_FBIG: return TWINE_PFS_ENOSPC;
  case E_ACCES: case E_PERM: case E_ROFS: return TWINE_PFS_EHOSTACCES;
  case E_AGAIN: case E_BUSY: return TWINE_PFS_EBUSY;
  case E_NAMETOOLONG: return TWINE_PFS_ENAMETOOLONG;
  case E_NOMEM: return TWINE_PFS_ENOMEM;
  default: return TWINE_PFS_EHOST; /* incl. out-of-range values */
  }
}

#ifdef TW_PFS_PROFILE
uint64_t tw_pfs_prof_ns[TW_PFS_P_COUNT];
#endif

static const twine_pfs_io_ops *ops(tw_pfs_inode *ino) { return ino->m->cfg.io; }
static void *ctx(tw_pfs_inode *ino) { return ino->m->cfg.io_ctx; }

twine_pfs_status tw_pfs_io_readv(tw_pfs_inode *ino, uint64_t h,
                                 const twine_pfs_iovec *iov, uint32_t n,
                                 uint64_t off, size_t total) {
  size_t done = 0;
  int e = ops(ino)->preadv(ctx(ino), h, iov, n, off, &done);
  if (e != 0)
    return tw_pfs_io_status(e);
  if (done > total)
    return TWINE_PFS_EHOST;
  if (done == total)
    return TWINE_PFS_OK;
  /* Short: finish byte-wise through a single-vector loop. */
  size_t skip = done;
  for (uint32_t i = 0; i < n; i++) {
    if (skip >= iov[i].len) {
      skip -= iov[i].len;
      continue;
    }
    size_t got = skip;
    while (got < iov[i].len) {
      twine_pfs_iovec v = {(uint8_t *)iov[i].base + got, iov[i].len - got};
      size_t d = 0;
      e = ops(ino)->preadv(ctx(ino), h, &v, 1, off + done, &d);
      if (e != 0)
        return tw_pfs_io_status(e);
      if (d > v.len)
        return TWINE_PFS_EHOST;
      if (d == 0)
        return TWINE_PFS_CORRUPTED; /* host file shorter than the format says */
      got += d;
      done += d;
    }
    skip = 0;
  }
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_io_read(tw_pfs_inode *ino, uint64_t h, void *buf,
                                size_t len, uint64_t off) {
  twine_pfs_iovec v = {buf, len};
  return tw_pfs_io_readv(ino, h, &v, 1, off, len);
}

twine_pfs_status tw_pfs_io_writev(tw_pfs_inode *ino, uint64_t h,
                                  const twine_pfs_iovec *iov, uint32_t n,
                                  uint64_t off, size_t total) {
  size_t done = 0;
  int e = ops(ino)->pwritev(ctx(ino), h, iov, n, off, &done);
  if (e != 0)
    return tw_pfs_io_status(e);
  if (done != total)
    return TWINE_PFS_EHOST;
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_io_write(tw_pfs_inode *ino, uint64_t h, const void *buf,
                                 size_t len, uint64_t off) {
  twine_pfs_iovec v = {(void *)buf, len};
  return tw_pfs_io_writev(ino, h, &v, 1, off, len);
}

twine_pfs_status tw_pfs_io_sync(tw_pfs_inode *ino, uint64_t h) {
  return tw_pfs_io_status(ops(ino)->fdatasync(ctx(ino), h));
}

twine_pfs_status tw_pfs_io_truncate(tw_pfs_inode *ino, uint64_t h, uint64_t len) {
  return tw_pfs_io_status(ops(ino)->ftruncate(ctx(ino), h, len));
}

/*
 * wasi_fd.c - the guest file-descriptor table: lookup with rights checks,
 * allocation (lowest free number), the rights each file type may hold, and
 * the descriptor calls fd_close, fd_renumber, fd_fdstat_*, fd_prestat_*.
 *
 * Table: stdio at 0..2, preopens from 3 in configuration order, then the
 * lowest free number. Each used entry owns one host handle. Rights are
 * checked before anything else happens; a missing right is ENOTCAPABLE.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_prot.h"

tw_wasi_fd *tw_wasi_fd_at(tw_wasi *w, uint64_t fd) {
  if (fd >= w->nfds) return NULL;
  tw_wasi_fd *f = &w->fds[fd];
  return f->used ? f : NULL;
}

tw_wasi_errno tw_wasi_fd_get(tw_wasi *w, uint64_t fd, uint64_t rights,
                             tw_wasi_fd **out) {
  tw_wasi_fd *f = tw_wasi_fd_at(w, fd);
  if (!f) return TW_WE_BADF;
  if ((f->base & rights) != rights) return TW_WE_NOTCAPABLE;
  *out = f;
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_dir_get(tw_wasi *w, uint64_t fd, uint64_t rights,
                              tw_wasi_fd **out) {
  tw_wasi_fd *f = tw_wasi_fd_at(w, fd);
  if (!f) return TW_WE_BADF;
  if (f->type != TW_WFT_DIR) return TW_WE_NOTDIR;
  if ((f->base & rights) != rights) return TW_WE_NOTCAPABLE;
  *out = f;
  return TW_WE_SUCCESS;
}

void tw_wasi_fd_clear(tw_wasi_fd *f) {
  free(f->preopen);
  if (f->pfs) free(f->pfs->rel);
  free(f->pfs);
  memset(f, 0, sizeof *f);
}

tw_wasi_errno tw_wasi_fd_release(tw_wasi *w, tw_wasi_fd *f) {
  tw_herr e = TW_HE_OK;
  if (f->pfs && f->pfs->file) {
    twine_pfs_status s = twine_pfs_close(f->pfs->file); /* freed anyway */
    e = s ? twine_pfs_status_errno(s) : TW_HE_OK;
  } else {
    e = tw_hc_close(w->hc, f->handle);
  }
  tw_wasi_fd_clear(f); /* the number is free whatever the host said */
  return tw_wasi_herr(w, e);
}

tw_wasi_errno tw_wasi_fd_insert(tw_wasi *w, uint32_t handle, uint8_t type,
                                uint64_t base, uint64_t inheriting,
                                uint32_t *fd) {
  uint32_t i = 0;
  while (i < w->nfds && w->fds[i].used) i++;
  if (i == w->nfds) {
    if (w->nfds >= TW_WASI_MAX_FDS) {
      tw_hc_close(w->hc, handle);
      return TW_WE_MFILE;
    }
    uint32_t n = w->nfds < 16 ? 16 : w->nfds * 2;
    if (n > TW_WASI_MAX_FDS) n = TW_WASI_MAX_FDS;
    tw_wasi_fd *t = realloc(w->fds, n * sizeof *t);
    if (!t) {
      tw_hc_close(w->hc, handle);
      return TW_WE_NOMEM;
    }
    memset(t + w->nfds, 0, (n - w->nfds) * sizeof *t);
    w->fds = t;
    w->nfds = n;
  }
  tw_wasi_fd *f = &w->fds[i];
  f->used = true;
  f->type = type;
  f->handle = handle;
  f->base = base;
  f->inheriting = inheriting;
  *fd = i;
  return TW_WE_SUCCESS;
}

uint8_t tw_wasi_filetype(uint8_t host_type) {
  /* the boundary uses WASI's numbering and validates the range */
  return host_type <= TW_WFT_SYMLINK ? host_type : TW_WFT_UNKNOWN;
}

void tw_wasi_type_rights(uint8_t type, uint64_t *base, uint64_t *inheriting) {
  switch (type) {
    case TW_WFT_REG:
    case TW_WFT_BLOCK:
      *base = TW_WR_REGULAR_FILE_BASE;
      *inheriting = 0;
      break;
    case TW_WFT_DIR:
      *base = TW_WR_DIRECTORY_BASE;
      *inheriting = TW_WR_DIRECTORY_INHERITING;
      break;
    case TW_WFT_SOCK_STREAM:
    case TW_WFT_SOCK_DGRAM:
      *base = TW_WR_SOCKET_BASE;
      *inheriting = 0;
      break;
    case TW_WFT_CHAR:
    case TW_WFT_UNKNOWN:
      *base = TW_WR_STREAM_BASE;
      *inheriting = 0;
      break;
    default:
      *base = 0;
      *inheriting = 0;
      break;
  }
}

void tw_wasi_put_filestat(tw_wasi_call *c, uint64_t addr, const tw_hstat *st) {
  uint8_t *p = tw_wasi_mem(c, addr, TW_WSZ_FILESTAT);
  if (!p) return;
  memset(p, 0, TW_WSZ_FILESTAT);
  tw_wasi_le64(p + 0, st->dev);
  tw_wasi_le64(p + 8, st->ino);
  p[16] = tw_wasi_filetype(st->type);
  tw_wasi_le64(p + 24, st->nlink);
  tw_wasi_le64(p + 32, st->size);
  tw_wasi_le64(p + 40, st->atim);
  tw_wasi_le64(p + 48, st->mtim);
  tw_wasi_le64(p + 56, st->ctim);
}

/* ---- fdflags <-> the boundary's status flags ------------------------------- */

static uint16_t fdflags_from_host(uint32_t h) {
  uint16_t f = 0;
  if (h & TW_HFL_APPEND) f |= TW_WFD_APPEND;
  if (h & TW_HFL_NONBLOCK) f |= TW_WFD_NONBLOCK;
  if (h & TW_HFL_DSYNC) f |= TW_WFD_DSYNC;
  if (h & TW_HFL_SYNC) f |= TW_WFD_SYNC;
  if (h & TW_HFL_RSYNC) f |= TW_WFD_RSYNC;
  return f;
}

static uint32_t fdflags_to_host(uint64_t f) {
  uint32_t h = 0;
  if (f & TW_WFD_APPEND) h |= TW_HFL_APPEND;
  if (f & TW_WFD_NONBLOCK) h |= TW_HFL_NONBLOCK;
  if (f & TW_WFD_DSYNC) h |= TW_HFL_DSYNC;
  if (f & TW_WFD_SYNC) h |= TW_HFL_SYNC;
  if (f & TW_WFD_RSYNC) h |= TW_HFL_RSYNC;
  return h;
}

/* ---- the calls -------------------------------------------------------------- */

tw_wasi_errno tw_wasi_fn_fd_close(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f = tw_wasi_fd_at(c->w, a[0]);
  if (!f) return TW_WE_BADF;
  return tw_wasi_fd_release(c->w, f);
}

tw_wasi_errno tw_wasi_fn_fd_renumber(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *from = tw_wasi_fd_at(c->w, a[0]);
  tw_wasi_fd *to = tw_wasi_fd_at(c->w, a[1]);
  if (!from || !to) return TW_WE_BADF;
  if (from == to) return TW_WE_SUCCESS;
  uint64_t before = c->w->host_errors;
  tw_wasi_errno e = tw_wasi_fd_release(c->w, to);
  *to = *from; /* moves the preopen name (and protected state) too */
  memset(from, 0, sizeof *from);
  /* `to` now refers to the renamed descriptor whatever the host said about
   * closing the old one; report a broken contract nevertheless */
  return c->w->host_errors != before ? e : TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_fdstat_get(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f = tw_wasi_fd_at(c->w, a[0]);
  if (!f) return TW_WE_BADF;
  if (!tw_wasi_mem(c, a[1], TW_WSZ_FDSTAT)) return TW_WE_FAULT;
  uint32_t hfl = 0;
  tw_herr e = f->pfs && f->pfs->file
                  ? TW_HE_OK /* a protected file: the flags live here */
                  : tw_hc_fcntl_getfl(c->w->hc, f->handle, &hfl);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  uint8_t *p = tw_wasi_mem(c, a[1], TW_WSZ_FDSTAT);
  if (!p) return TW_WE_FAULT;
  memset(p, 0, TW_WSZ_FDSTAT);
  p[0] = f->type;
  tw_wasi_le16(p + 2, f->pfs && f->pfs->file ? f->pfs->fdflags
                                              : fdflags_from_host(hfl));
  tw_wasi_le64(p + 8, f->base);
  tw_wasi_le64(p + 16, f->inheriting);
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_fdstat_set_flags(tw_wasi_call *c,
                                             const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_FDSTAT_SET_FLAGS, &f);
  if (r) return r;
  uint64_t flags = a[1];
  if (flags & ~(uint64_t)TW_WFD_ALL) return TW_WE_INVAL;
  /* Only append and nonblock can change after open (as with POSIX F_SETFL);
   * the sync flags may be passed along unchanged (fcntl(F_GETFL) | X). */
  const uint16_t sync = TW_WFD_DSYNC | TW_WFD_RSYNC | TW_WFD_SYNC;
  if (f->pfs && f->pfs->file) {
    if ((flags & sync) != (f->pfs->fdflags & sync)) return TW_WE_NOTSUP;
    f->pfs->fdflags = (uint16_t)flags;
    return TW_WE_SUCCESS;
  }
  uint32_t cur = 0;
  tw_herr e = tw_hc_fcntl_getfl(c->w->hc, f->handle, &cur);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  if ((flags & sync) != (fdflags_from_host(cur) & sync)) return TW_WE_NOTSUP;
  e = tw_hc_fcntl_setfl(c->w->hc, f->handle, fdflags_to_host(flags));
  return tw_wasi_herr(c->w, e);
}

tw_wasi_errno tw_wasi_fn_fd_fdstat_set_rights(tw_wasi_call *c,
                                              const uint64_t *a) {
  tw_wasi_fd *f = tw_wasi_fd_at(c->w, a[0]);
  if (!f) return TW_WE_BADF;
  uint64_t base = a[1], inh = a[2];
  if ((base & ~f->base) || (inh & ~f->inheriting)) return TW_WE_NOTCAPABLE;
  f->base = base;
  f->inheriting = inh;
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_prestat_get(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f = tw_wasi_fd_at(c->w, a[0]);
  if (!f || !f->preopen) return TW_WE_BADF;
  uint8_t *p = tw_wasi_mem(c, a[1], TW_WSZ_PRESTAT);
  if (!p) return TW_WE_FAULT;
  memset(p, 0, TW_WSZ_PRESTAT);
  p[0] = 0; /* preopentype dir */
  tw_wasi_le32(p + 4, (uint32_t)f->preopen_len);
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_prestat_dir_name(tw_wasi_call *c,
                                             const uint64_t *a) {
  tw_wasi_fd *f = tw_wasi_fd_at(c->w, a[0]);
  if (!f || !f->preopen) return TW_WE_BADF;
  if (a[2] < f->preopen_len) return TW_WE_NAMETOOLONG;
  uint8_t *p = tw_wasi_mem(c, a[1], f->preopen_len);
  if (!p) return TW_WE_FAULT;
  memcpy(p, f->preopen, f->preopen_len);
  return TW_WE_SUCCESS;
}

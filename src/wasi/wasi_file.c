/*
 * wasi_file.c - data and metadata calls on open descriptors: fd_read,
 * fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, fd_sync, fd_datasync,
 * fd_advise, fd_allocate, fd_filestat_get/set_size/set_times.
 *
 * I/O moves through the boundary in pieces of at most TW_HC_MAX_IO bytes.
 * Reads: regular files are read until the iovecs are full or a read comes
 * back short (they never block); anything else (pipes, terminals, sockets)
 * gets exactly one host read, as readv(2) would, so a program is never
 * blocked waiting for data beyond what is available. Several iovecs of a
 * stream are read through the scratch buffer in one call and scattered.
 * Writes are gathered (several iovecs through the scratch buffer) and
 * repeated until everything is written or a write comes back short. An
 * error after some bytes moved reports the bytes, as POSIX does.
 *
 * Backends: a descriptor of a protected file (f->pfs->file, a protected
 * mount) holds no host handle; hread/hwrite and the calls below switch to
 * its PFS operations (wasi_protected.c), everything else is unchanged.
 */
#include <string.h>

#include "wasi/wasi_prot.h"

#define TW_WASI_OFF_MAX ((uint64_t)INT64_MAX)

static bool seekable(const tw_wasi_fd *f) {
  return f->type == TW_WFT_REG || f->type == TW_WFT_BLOCK;
}

static size_t min_sz(uint64_t a, uint64_t b) {
  return (size_t)(a < b ? a : b);
}

static bool prot(const tw_wasi_fd *f) { return f->pfs && f->pfs->file; }

static tw_herr hread(tw_wasi *w, tw_wasi_fd *f, bool at, uint64_t off,
                     void *buf, size_t len, size_t *n) {
  if (prot(f)) return tw_wasi_pfile_read(f, at, off, buf, len, n);
  return at ? tw_hc_pread(w->hc, f->handle, off, buf, len, n)
            : tw_hc_read(w->hc, f->handle, buf, len, n);
}

static tw_herr hwrite(tw_wasi *w, tw_wasi_fd *f, bool at, uint64_t off,
                      const void *buf, size_t len, size_t *n) {
  if (prot(f)) return tw_wasi_pfile_write(f, at, off, buf, len, n);
  return at ? tw_hc_pwrite(w->hc, f->handle, off, buf, len, n)
            : tw_hc_write(w->hc, f->handle, buf, len, n);
}

static uint32_t nonempty(tw_wasi_call *c, const tw_wasi_iovs *v) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < v->n; i++) {
    uint8_t *b;
    uint32_t l;
    tw_wasi_iov(c, v, i, &b, &l);
    if (l) k++;
  }
  return k;
}

static tw_wasi_errno read_iovs(tw_wasi_call *c, tw_wasi_fd *f,
                               const tw_wasi_iovs *v, bool at, uint64_t off,
                               uint64_t *done) {
  tw_wasi *w = c->w;
  *done = 0;
  if (v->total == 0) return TW_WE_SUCCESS;
  if (!seekable(f) && nonempty(c, v) > 1) {
    uint8_t *s = tw_wasi_scratch(w);
    if (!s) return TW_WE_NOMEM;
    size_t n = 0, want = min_sz(v->total, TW_WASI_SCRATCH);
    tw_herr e = hread(w, f, at, off, s, want, &n);
    if (e != TW_HE_OK) return tw_wasi_herr(w, e);
    tw_wasi_iovs_scatter(c, v, s, n);
    *done = n;
    return TW_WE_SUCCESS;
  }
  uint64_t got = 0;
  for (uint32_t i = 0; i < v->n; i++) {
    uint8_t *b;
    uint32_t l;
    tw_wasi_iov(c, v, i, &b, &l);
    size_t pos = 0;
    while (pos < l) {
      size_t want = min_sz(l - pos, TW_HC_MAX_IO), n = 0;
      tw_herr e = hread(w, f, at, off + got, b + pos, want, &n);
      if (e != TW_HE_OK) {
        if (got && e != TW_HE_HOST) break;
        return tw_wasi_herr(w, e);
      }
      pos += n;
      got += n;
      if (n < want || !seekable(f)) {
        *done = got;
        return TW_WE_SUCCESS;
      }
    }
  }
  *done = got;
  return TW_WE_SUCCESS;
}

static tw_wasi_errno write_iovs(tw_wasi_call *c, tw_wasi_fd *f,
                                const tw_wasi_iovs *v, bool at, uint64_t off,
                                uint64_t *done) {
  tw_wasi *w = c->w;
  *done = 0;
  if (v->total == 0) return TW_WE_SUCCESS;
  uint8_t *single = NULL;
  if (nonempty(c, v) == 1) {
    for (uint32_t i = 0; i < v->n && !single; i++) {
      uint32_t l;
      tw_wasi_iov(c, v, i, &single, &l);
      if (!l) single = NULL;
    }
  }
  uint8_t *s = NULL;
  if (!single && !(s = tw_wasi_scratch(w))) return TW_WE_NOMEM;
  uint64_t put = 0;
  while (put < v->total) {
    const uint8_t *p;
    size_t len;
    if (single) {
      p = single + put;
      len = min_sz(v->total - put, TW_HC_MAX_IO);
    } else {
      len = tw_wasi_iovs_gather(c, v, put, s, TW_WASI_SCRATCH);
      p = s;
    }
    size_t n = 0;
    tw_herr e = hwrite(w, f, at, off + put, p, len, &n);
    if (e != TW_HE_OK) {
      if (put && e != TW_HE_HOST) break;
      return tw_wasi_herr(w, e);
    }
    put += n;
    if (n < len) break;
  }
  *done = put;
  return TW_WE_SUCCESS;
}

/* fd, iovs, iovs_len, [offset,] result pointer */
static tw_wasi_errno rw(tw_wasi_call *c, uint64_t fd, uint64_t iovs,
                        uint64_t niovs, bool at, uint64_t off, uint64_t res,
                        bool write) {
  uint64_t rights = write ? TW_WR_FD_WRITE : TW_WR_FD_READ;
  if (at) rights |= TW_WR_FD_SEEK;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, fd, rights, &f);
  if (r) return r;
  tw_wasi_iovs v;
  if ((r = tw_wasi_iovs_check(c, iovs, niovs, &v))) return r;
  if (!tw_wasi_mem(c, res, 4)) return TW_WE_FAULT;
  if (at && off > TW_WASI_OFF_MAX) return TW_WE_INVAL;
  uint64_t done = 0;
  r = write ? write_iovs(c, f, &v, at, off, &done)
            : read_iovs(c, f, &v, at, off, &done);
  if (r) return r;
  return tw_wasi_put_u32(c, res, (uint32_t)done) ? TW_WE_SUCCESS : TW_WE_FAULT;
}

tw_wasi_errno tw_wasi_fn_fd_read(tw_wasi_call *c, const uint64_t *a) {
  return rw(c, a[0], a[1], a[2], false, 0, a[3], false);
}

tw_wasi_errno tw_wasi_fn_fd_write(tw_wasi_call *c, const uint64_t *a) {
  return rw(c, a[0], a[1], a[2], false, 0, a[3], true);
}

tw_wasi_errno tw_wasi_fn_fd_pread(tw_wasi_call *c, const uint64_t *a) {
  return rw(c, a[0], a[1], a[2], true, a[3], a[4], false);
}

tw_wasi_errno tw_wasi_fn_fd_pwrite(tw_wasi_call *c, const uint64_t *a) {
  return rw(c, a[0], a[1], a[2], true, a[3], a[4], true);
}

/* ---- position ------------------------------------------------------------------ */

tw_wasi_errno tw_wasi_fn_fd_seek(tw_wasi_call *c, const uint64_t *a) {
  int64_t off = (int64_t)a[1];
  uint64_t whence = a[2];
  uint64_t rights = off == 0 && whence == 1 ? TW_WR_FD_TELL
                                            : TW_WR_FD_SEEK | TW_WR_FD_TELL;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], rights, &f);
  if (r) return r;
  if (whence > 2) return TW_WE_INVAL;
  if (!tw_wasi_mem(c, a[3], 8)) return TW_WE_FAULT;
  uint64_t pos = 0;
  if (prot(f)) {
    if ((r = tw_wasi_pfile_seek(f, off, (uint8_t)whence, &pos))) return r;
    return tw_wasi_put_u64(c, a[3], pos) ? TW_WE_SUCCESS : TW_WE_FAULT;
  }
  tw_herr e = tw_hc_seek(c->w->hc, f->handle, off, (uint8_t)whence, &pos);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  return tw_wasi_put_u64(c, a[3], pos) ? TW_WE_SUCCESS : TW_WE_FAULT;
}

tw_wasi_errno tw_wasi_fn_fd_tell(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_TELL, &f);
  if (r) return r;
  if (!tw_wasi_mem(c, a[1], 8)) return TW_WE_FAULT;
  uint64_t pos = 0;
  if (prot(f)) {
    if ((r = tw_wasi_pfile_seek(f, 0, 1, &pos))) return r;
    return tw_wasi_put_u64(c, a[1], pos) ? TW_WE_SUCCESS : TW_WE_FAULT;
  }
  tw_herr e = tw_hc_seek(c->w->hc, f->handle, 0, 1, &pos);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  return tw_wasi_put_u64(c, a[1], pos) ? TW_WE_SUCCESS : TW_WE_FAULT;
}

/* ---- sync, advise, allocate ------------------------------------------------------ */

tw_wasi_errno tw_wasi_fn_fd_sync(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_SYNC, &f);
  if (r) return r;
  if (prot(f)) return tw_wasi_pfile_sync(f, false);
  return tw_wasi_herr(c->w, tw_hc_fsync(c->w->hc, f->handle));
}

tw_wasi_errno tw_wasi_fn_fd_datasync(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_DATASYNC, &f);
  if (r) return r;
  if (prot(f)) return tw_wasi_pfile_sync(f, true);
  return tw_wasi_herr(c->w, tw_hc_fdatasync(c->w->hc, f->handle));
}

tw_wasi_errno tw_wasi_fn_fd_advise(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_ADVISE, &f);
  if (r) return r;
  uint64_t off = a[1], len = a[2], advice = a[3];
  if (advice > 5 || off > TW_WASI_OFF_MAX || len > TW_WASI_OFF_MAX)
    return TW_WE_INVAL;
  if (prot(f)) return TW_WE_SUCCESS; /* advice only; PFS has its own cache */
  return tw_wasi_herr(c->w, tw_hc_fadvise(c->w->hc, f->handle, off, len,
                                          (uint8_t)advice));
}

tw_wasi_errno tw_wasi_fn_fd_allocate(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_ALLOCATE, &f);
  if (r) return r;
  uint64_t off = a[1], len = a[2];
  if (len == 0 || off > TW_WASI_OFF_MAX || len > TW_WASI_OFF_MAX)
    return TW_WE_INVAL;
  if (len > TW_WASI_OFF_MAX - off) return TW_WE_FBIG;
  if (prot(f)) return tw_wasi_pfile_allocate(f, off, len);
  return tw_wasi_herr(c->w, tw_hc_fallocate(c->w->hc, f->handle, off, len));
}

/* ---- metadata --------------------------------------------------------------------- */

tw_wasi_errno tw_wasi_fst(uint64_t fst, uint32_t *which) {
  if (fst & ~(uint64_t)TW_WST_ALL) return TW_WE_INVAL;
  if ((fst & TW_WST_ATIM) && (fst & TW_WST_ATIM_NOW)) return TW_WE_INVAL;
  if ((fst & TW_WST_MTIM) && (fst & TW_WST_MTIM_NOW)) return TW_WE_INVAL;
  uint32_t h = 0;
  if (fst & TW_WST_ATIM) h |= TW_HT_ATIM;
  if (fst & TW_WST_ATIM_NOW) h |= TW_HT_ATIM_NOW;
  if (fst & TW_WST_MTIM) h |= TW_HT_MTIM;
  if (fst & TW_WST_MTIM_NOW) h |= TW_HT_MTIM_NOW;
  *which = h;
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_filestat_get(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_FILESTAT_GET, &f);
  if (r) return r;
  if (!tw_wasi_mem(c, a[1], TW_WSZ_FILESTAT)) return TW_WE_FAULT;
  tw_hstat st;
  if (prot(f)) {
    if ((r = tw_wasi_pfile_stat(f, &st))) return r;
    tw_wasi_put_filestat(c, a[1], &st);
    return TW_WE_SUCCESS;
  }
  tw_herr e = tw_hc_fstat(c->w->hc, f->handle, &st);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  tw_wasi_put_filestat(c, a[1], &st);
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_fd_filestat_set_size(tw_wasi_call *c,
                                              const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(c->w, a[0], TW_WR_FD_FILESTAT_SET_SIZE, &f);
  if (r) return r;
  if (a[1] > TW_WASI_OFF_MAX) return TW_WE_INVAL;
  if (prot(f)) return tw_wasi_pfile_set_size(f, a[1]);
  return tw_wasi_herr(c->w, tw_hc_ftruncate(c->w->hc, f->handle, a[1]));
}

tw_wasi_errno tw_wasi_fn_fd_filestat_set_times(tw_wasi_call *c,
                                               const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r =
      tw_wasi_fd_get(c->w, a[0], TW_WR_FD_FILESTAT_SET_TIMES, &f);
  if (r) return r;
  uint32_t which;
  if ((r = tw_wasi_fst(a[3], &which))) return r;
  if (prot(f)) return TW_WE_NOTSUP; /* the mtime is PFS's commit time */
  return tw_wasi_herr(c->w,
                      tw_hc_futimens(c->w->hc, f->handle, a[1], a[2], which));
}

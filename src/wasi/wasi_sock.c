/*
 * wasi_sock.c - sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * Preview1 has no socket creation: the guest reaches the network only
 * through listening sockets the host preopened (tw_wasi_fd.listener, with
 * TW_WR_SOCK_ACCEPT) and the connections accepted on them (socket rights,
 * TW_WR_SOCKET_BASE, no accept). Checks come in this order: the descriptor
 * exists (EBADF), it is a socket (ENOTSOCK), it holds the right
 * (ENOTCAPABLE), the flags are known (EINVAL), every guest pointer is
 * inside memory (EFAULT); only then is the host asked, so a failed call
 * has no side effect (an accepted connection is never dropped for a bad
 * result pointer).
 *
 * Data moves through the boundary in pieces of at most TW_HC_MAX_IO bytes,
 * through the scratch buffer when more than one iovec is involved.
 */
#include <string.h>

#include "wasi/wasi_int.h"

#define TW_WRI_PEEK 1u
#define TW_WRI_WAITALL 2u
#define TW_WSD_RD 1u
#define TW_WSD_WR 2u

static tw_wasi_errno sock_get(tw_wasi *w, uint64_t fd, uint64_t rights,
                              tw_wasi_fd **out) {
  tw_wasi_fd *f = tw_wasi_fd_at(w, fd);
  if (!f) return TW_WE_BADF;
  if (f->type != TW_WFT_SOCK_STREAM && f->type != TW_WFT_SOCK_DGRAM)
    return TW_WE_NOTSOCK;
  if ((f->base & rights) != rights) return TW_WE_NOTCAPABLE;
  *out = f;
  return TW_WE_SUCCESS;
}

static size_t min_sz(uint64_t a, uint64_t b) {
  return (size_t)(a < b ? a : b);
}

/* The only non-empty buffer of v, or NULL if there are none or several. */
static uint8_t *single_iov(tw_wasi_call *c, const tw_wasi_iovs *v) {
  uint8_t *one = NULL;
  for (uint32_t i = 0; i < v->n; i++) {
    uint8_t *b;
    uint32_t l;
    tw_wasi_iov(c, v, i, &b, &l);
    if (!l) continue;
    if (one) return NULL;
    one = b;
  }
  return one;
}

/* fd, flags (fdflags), result fd pointer */
tw_wasi_errno tw_wasi_fn_sock_accept(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *f;
  tw_wasi_errno r = sock_get(w, a[0], TW_WR_SOCK_ACCEPT, &f);
  if (r) return r;
  if (a[1] & ~(uint64_t)TW_WFD_NONBLOCK) return TW_WE_INVAL;
  if (!tw_wasi_mem(c, a[2], 4)) return TW_WE_FAULT;
  uint32_t conn = 0;
  tw_herr e = tw_hc_sock_accept(w->hc, f->handle,
                                (a[1] & TW_WFD_NONBLOCK) ? TW_HFL_NONBLOCK : 0,
                                &conn);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  uint8_t type = f->type; /* f may move when the table grows */
  uint32_t fd = 0;
  r = tw_wasi_fd_insert(w, conn, type, TW_WR_SOCKET_BASE, 0, &fd);
  if (r) return r; /* the connection was closed */
  tw_wasi_put_u32(c, a[2], fd); /* checked above; nothing can grow memory */
  return TW_WE_SUCCESS;
}

/* fd, ri_data, ri_data_len, ri_flags, ro_datalen pointer, ro_flags
 * pointer */
tw_wasi_errno tw_wasi_fn_sock_recv(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *f;
  tw_wasi_errno r = sock_get(w, a[0], TW_WR_FD_READ, &f);
  if (r) return r;
  uint64_t fl = a[3];
  if (fl & ~(uint64_t)(TW_WRI_PEEK | TW_WRI_WAITALL)) return TW_WE_INVAL;
  tw_wasi_iovs v;
  if ((r = tw_wasi_iovs_check(c, a[1], a[2], &v))) return r;
  if (!tw_wasi_mem(c, a[4], 4) || !tw_wasi_mem(c, a[5], 2))
    return TW_WE_FAULT;
  uint64_t got = 0;
  uint32_t oflags = 0;
  if (v.total == 0) { /* as fd_read: nothing asked, nothing taken */
    tw_wasi_put_u32(c, a[4], 0);
    tw_wasi_put_u16(c, a[5], 0);
    return TW_WE_SUCCESS;
  }
  uint8_t *one = single_iov(c, &v);
  uint8_t *s = NULL;
  if (!one && !(s = tw_wasi_scratch(w))) return TW_WE_NOMEM;
  /* One host call, except that MSG_WAITALL asks for everything: then keep
   * going (the host's MSG_WAITALL covers one piece) until the buffers are
   * full or a call comes back short. */
  do {
    size_t want = min_sz(v.total - got, one ? TW_HC_MAX_IO : TW_WASI_SCRATCH);
    size_t n = 0;
    uint32_t of = 0;
    tw_herr e = tw_hc_sock_recv(w->hc, f->handle, one ? one + got : s, want,
                                (uint32_t)fl, &n, &of);
    if (e != TW_HE_OK) {
      if (got && e != TW_HE_HOST) break; /* report what arrived */
      return tw_wasi_herr(w, e);
    }
    if (!one && n) {
      /* scatter s[0..n) at byte `got` of the iovecs */
      uint64_t skip = got;
      size_t done = 0;
      for (uint32_t i = 0; i < v.n && done < n; i++) {
        uint8_t *b;
        uint32_t l;
        tw_wasi_iov(c, &v, i, &b, &l);
        if (skip >= l) {
          skip -= l;
          continue;
        }
        size_t k = min_sz(l - skip, n - done);
        memmove(b + skip, s + done, k);
        done += k;
        skip = 0;
      }
    }
    got += n;
    oflags |= of;
    if (n < want || !(fl & TW_WRI_WAITALL) || (fl & TW_WRI_PEEK)) break;
  } while (got < v.total);
  tw_wasi_put_u32(c, a[4], (uint32_t)got);
  tw_wasi_put_u16(c, a[5], (uint16_t)oflags);
  return TW_WE_SUCCESS;
}

/* fd, si_data, si_data_len, si_flags, so_datalen pointer */
tw_wasi_errno tw_wasi_fn_sock_send(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *f;
  tw_wasi_errno r = sock_get(w, a[0], TW_WR_FD_WRITE, &f);
  if (r) return r;
  /* siflags is a plain u16 with no flags defined; wasmtime ignores it */
  if (a[3] > UINT16_MAX) return TW_WE_INVAL;
  tw_wasi_iovs v;
  if ((r = tw_wasi_iovs_check(c, a[1], a[2], &v))) return r;
  if (!tw_wasi_mem(c, a[4], 4)) return TW_WE_FAULT;
  uint8_t *one = single_iov(c, &v);
  uint8_t *s = NULL;
  if (!one && v.total && !(s = tw_wasi_scratch(w))) return TW_WE_NOMEM;
  uint64_t put = 0;
  while (put < v.total) {
    const uint8_t *p;
    size_t len;
    if (one) {
      p = one + put;
      len = min_sz(v.total - put, TW_HC_MAX_IO);
    } else {
      len = tw_wasi_iovs_gather(c, &v, put, s, TW_WASI_SCRATCH);
      p = s;
    }
    size_t n = 0;
    tw_herr e = tw_hc_sock_send(w->hc, f->handle, p, len, 0, &n);
    if (e != TW_HE_OK) {
      if (put && e != TW_HE_HOST) break;
      return tw_wasi_herr(w, e);
    }
    put += n;
    if (n < len) break;
  }
  tw_wasi_put_u32(c, a[4], (uint32_t)put);
  return TW_WE_SUCCESS;
}

/* fd, how (sdflags: 1 RD, 2 WR) */
tw_wasi_errno tw_wasi_fn_sock_shutdown(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = sock_get(c->w, a[0], TW_WR_SOCK_SHUTDOWN, &f);
  if (r) return r;
  uint64_t how = a[1];
  if (how == 0 || (how & ~(uint64_t)(TW_WSD_RD | TW_WSD_WR)))
    return TW_WE_INVAL;
  /* the boundary's numbering is the same: 1 read, 2 write, 3 both */
  return tw_wasi_herr(c->w, tw_hc_sock_shutdown(c->w->hc, f->handle,
                                                (uint32_t)how));
}

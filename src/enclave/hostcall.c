/*
 * hostcall.c - the trusted side of the enclave boundary: the handle table,
 * the installed host interface, and one thin stub per call of
 * hostcalls.def.
 *
 * Every stub has the same shape: pack the arguments into a tw_hc_req,
 * let call() check the request (the stub's refusals), ask the host with a
 * reply buffer owned by the trusted side, validate the reply centrally
 * (tw_hc_check_rep, driven by the .def descriptor), adopt any new handle,
 * and only then unpack into the caller's out-parameters. A reply that
 * breaks the contract, a failed channel or an interface of the wrong
 * version is a violation: counted, remembered (tw_hc_last_violation) and
 * returned as TW_HE_HOST, with no out-parameter written.
 *
 * Invariants: a handle is held from the reply that created it (or
 * tw_hc_adopt) until tw_hc_close; the reply buffer is read only after the
 * host returned; no host pointer is ever dereferenced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enclave/hostcall_wire.h"

struct tw_hc {
  tw_host_iface iface;
  uint64_t calls, violations;
  uint8_t held[TW_HC_MAX_HANDLES / 8];
  uint8_t qbuf[TW_HC_MAX_PATH + TW_HC_MAX_NAME]; /* composed request payloads */
  uint8_t *rbuf;                                /* reply payloads */
  char why[160];
};

/* The largest reply capacity of any call. */
#define RBUF_SIZE TW_HC_MAX_IO
_Static_assert(TW_HC_MAX_DIRENT_BYTES <= RBUF_SIZE &&
                   TW_HC_MAX_PATH <= RBUF_SIZE &&
                   TW_HC_MAX_POLL * TW_HCW_POLLR <= RBUF_SIZE,
               "reply buffer too small");
_Static_assert(TW_HC_MAX_POLL * TW_HCW_POLLQ <= TW_HC_MAX_PATH + TW_HC_MAX_NAME,
               "request buffer too small");

/* ---- state -------------------------------------------------------------- */

tw_hc *tw_hc_new(const tw_host_iface *iface) {
  if (!iface) return NULL;
  tw_hc *hc = calloc(1, sizeof *hc);
  if (!hc) return NULL;
  hc->rbuf = malloc(RBUF_SIZE);
  if (!hc->rbuf) {
    free(hc);
    return NULL;
  }
  hc->iface = *iface;
  return hc;
}

void tw_hc_free(tw_hc *hc) {
  if (!hc) return;
  free(hc->rbuf);
  free(hc);
}

void tw_hc_set_iface(tw_hc *hc, const tw_host_iface *iface) {
  if (iface) hc->iface = *iface;
}

bool tw_hc_holds(const tw_hc *hc, uint32_t h) {
  return h < TW_HC_MAX_HANDLES && (hc->held[h / 8] >> (h % 8) & 1u);
}

static bool holds_cb(const void *ctx, uint32_t h) {
  return tw_hc_holds(ctx, h);
}

bool tw_hc_adopt(tw_hc *hc, uint32_t h) {
  if (h >= TW_HC_MAX_HANDLES || tw_hc_holds(hc, h)) return false;
  hc->held[h / 8] |= (uint8_t)(1u << (h % 8));
  return true;
}

static void forget(tw_hc *hc, uint32_t h) {
  if (h < TW_HC_MAX_HANDLES) hc->held[h / 8] &= (uint8_t)~(1u << (h % 8));
}

uint64_t tw_hc_calls(const tw_hc *hc) { return hc->calls; }
uint64_t tw_hc_violations(const tw_hc *hc) { return hc->violations; }
const char *tw_hc_last_violation(const tw_hc *hc) {
  return hc->violations ? hc->why : NULL;
}

/* ---- the one call path -------------------------------------------------- */

static tw_herr violation(tw_hc *hc) {
  hc->violations++;
  return TW_HE_HOST;
}

/* Check q (payload qp), ask the host, validate the reply. On TW_HE_OK the
 * reply header is in *rep and its payload in hc->rbuf, both validated. */
static tw_herr call(tw_hc *hc, const tw_hc_req *q, const uint8_t *qp,
                    tw_hc_rep *rep) {
  const tw_hc_desc *d = tw_hc_desc_of(q->call);
  tw_herr e = tw_hc_check_req(d, q, qp, holds_cb, hc);
  if (e) return e;
  hc->calls++;
  if (hc->iface.version != TW_HC_VERSION || !hc->iface.call) {
    snprintf(hc->why, sizeof hc->why, "%s: host interface version %u, not %u",
             d->name, hc->iface.version, TW_HC_VERSION);
    return violation(hc);
  }
  size_t cap = tw_hc_rep_cap(d, q);
  memset(rep, 0, sizeof *rep);
  if (hc->iface.call(hc->iface.ctx, q, qp, rep, hc->rbuf, cap) != 0) {
    snprintf(hc->why, sizeof hc->why, "%s: the host channel failed", d->name);
    return violation(hc);
  }
  if (!tw_hc_check_rep(d, q, qp, rep, hc->rbuf, cap, holds_cb, hc, hc->why,
                       sizeof hc->why))
    return violation(hc);
  if (rep->err) return (tw_herr)rep->err;
  for (unsigned i = 0; i < 4; i++)
    if (d->res[i].rule == TW_HCR_NEW_HANDLE) tw_hc_adopt(hc, (uint32_t)rep->r[i]);
  return TW_HE_OK;
}

static uint32_t len32(size_t len) {
  return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

static size_t clamp_io(size_t len) {
  return len > TW_HC_MAX_IO ? TW_HC_MAX_IO : len;
}

/* A name-only request: q gets the name as its payload (checked by call()). */
static tw_herr call_name(tw_hc *hc, tw_hc_req *q, const char *name,
                         size_t len, tw_hc_rep *rep) {
  q->len = len32(len);
  return call(hc, q, (const uint8_t *)name, rep);
}

/* ---- stubs -------------------------------------------------------------- */

tw_herr tw_hc_open_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                      uint32_t flags, uint32_t *handle) {
  tw_hc_req q = {TW_HCN_open_at, 0, {dir, flags}};
  tw_hc_rep r;
  tw_herr e = call_name(hc, &q, name, len, &r);
  if (e) return e;
  *handle = (uint32_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_close(tw_hc *hc, uint32_t handle) {
  tw_hc_req q = {TW_HCN_close, 0, {handle}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  forget(hc, handle); /* whatever the host said */
  return e;
}

static tw_herr read_like(tw_hc *hc, tw_hc_req *q, void *buf, size_t *n) {
  tw_hc_rep r;
  tw_herr e = call(hc, q, NULL, &r);
  if (e) return e;
  if (r.r[0]) memcpy(buf, hc->rbuf, (size_t)r.r[0]);
  *n = (size_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_read(tw_hc *hc, uint32_t h, void *buf, size_t len, size_t *n) {
  tw_hc_req q = {TW_HCN_read, 0, {h, clamp_io(len)}};
  return read_like(hc, &q, buf, n);
}

tw_herr tw_hc_pread(tw_hc *hc, uint32_t h, uint64_t off, void *buf, size_t len,
                    size_t *n) {
  tw_hc_req q = {TW_HCN_pread, 0, {h, off, clamp_io(len)}};
  return read_like(hc, &q, buf, n);
}

static tw_herr write_like(tw_hc *hc, tw_hc_req *q, const void *buf,
                          size_t len, size_t *n) {
  tw_hc_rep r;
  q->len = (uint32_t)clamp_io(len);
  tw_herr e = call(hc, q, buf, &r);
  if (e) return e;
  *n = (size_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_write(tw_hc *hc, uint32_t h, const void *buf, size_t len,
                    size_t *n) {
  tw_hc_req q = {TW_HCN_write, 0, {h}};
  return write_like(hc, &q, buf, len, n);
}

tw_herr tw_hc_pwrite(tw_hc *hc, uint32_t h, uint64_t off, const void *buf,
                     size_t len, size_t *n) {
  tw_hc_req q = {TW_HCN_pwrite, 0, {h, off}};
  return write_like(hc, &q, buf, len, n);
}

tw_herr tw_hc_seek(tw_hc *hc, uint32_t h, int64_t off, uint8_t whence,
                   uint64_t *pos) {
  tw_hc_req q = {TW_HCN_seek, 0, {h, (uint64_t)off, whence}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  *pos = r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_fstat(tw_hc *hc, uint32_t h, tw_hstat *st) {
  tw_hc_req q = {TW_HCN_fstat, 0, {h}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  tw_hcw_get_stat(hc->rbuf, st);
  return TW_HE_OK;
}

tw_herr tw_hc_stat_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                      bool nofollow, tw_hstat *st) {
  tw_hc_req q = {TW_HCN_stat_at, 0, {dir, nofollow}};
  tw_hc_rep r;
  tw_herr e = call_name(hc, &q, name, len, &r);
  if (e) return e;
  tw_hcw_get_stat(hc->rbuf, st);
  return TW_HE_OK;
}

tw_herr tw_hc_fcntl_getfl(tw_hc *hc, uint32_t h, uint32_t *flags) {
  tw_hc_req q = {TW_HCN_fcntl_getfl, 0, {h}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  *flags = (uint32_t)r.r[0];
  return TW_HE_OK;
}

/* Calls whose reply carries nothing but the status. */
static tw_herr plain(tw_hc *hc, const tw_hc_req *q) {
  tw_hc_rep r;
  return call(hc, q, NULL, &r);
}

tw_herr tw_hc_fcntl_setfl(tw_hc *hc, uint32_t h, uint32_t flags) {
  return plain(hc, &(tw_hc_req){TW_HCN_fcntl_setfl, 0, {h, flags}});
}

tw_herr tw_hc_ftruncate(tw_hc *hc, uint32_t h, uint64_t size) {
  return plain(hc, &(tw_hc_req){TW_HCN_ftruncate, 0, {h, size}});
}

tw_herr tw_hc_fsync(tw_hc *hc, uint32_t h) {
  return plain(hc, &(tw_hc_req){TW_HCN_fsync, 0, {h}});
}

tw_herr tw_hc_fdatasync(tw_hc *hc, uint32_t h) {
  return plain(hc, &(tw_hc_req){TW_HCN_fdatasync, 0, {h}});
}

tw_herr tw_hc_fallocate(tw_hc *hc, uint32_t h, uint64_t off, uint64_t len) {
  return plain(hc, &(tw_hc_req){TW_HCN_fallocate, 0, {h, off, len}});
}

tw_herr tw_hc_fadvise(tw_hc *hc, uint32_t h, uint64_t off, uint64_t len,
                      uint8_t advice) {
  return plain(hc, &(tw_hc_req){TW_HCN_fadvise, 0, {h, off, len, advice}});
}

tw_herr tw_hc_futimens(tw_hc *hc, uint32_t h, uint64_t atim, uint64_t mtim,
                       uint32_t which) {
  return plain(hc, &(tw_hc_req){TW_HCN_futimens, 0, {h, atim, mtim, which}});
}

tw_herr tw_hc_utimens_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                         bool nofollow, uint64_t atim, uint64_t mtim,
                         uint32_t which) {
  tw_hc_req q = {TW_HCN_utimens_at, 0, {dir, nofollow, atim, mtim, which}};
  tw_hc_rep r;
  return call_name(hc, &q, name, len, &r);
}

tw_herr tw_hc_mkdir_at(tw_hc *hc, uint32_t dir, const char *name, size_t len) {
  tw_hc_req q = {TW_HCN_mkdir_at, 0, {dir}};
  tw_hc_rep r;
  return call_name(hc, &q, name, len, &r);
}

tw_herr tw_hc_unlink_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                        bool remove_dir) {
  tw_hc_req q = {TW_HCN_unlink_at, 0, {dir, remove_dir}};
  tw_hc_rep r;
  return call_name(hc, &q, name, len, &r);
}

/* Two byte strings back to back in qbuf: the first is a[2] (rename, link)
 * or a[1] (symlink) bytes long; call() checks both. */
static tw_herr call_pair(tw_hc *hc, tw_hc_req *q, const char *s1, size_t l1,
                         size_t max1, const char *s2, size_t l2) {
  tw_hc_rep r;
  if (l1 > max1 || l2 > TW_HC_MAX_NAME) return TW_HE_INVAL;
  if (l1) memcpy(hc->qbuf, s1, l1);
  if (l2) memcpy(hc->qbuf + l1, s2, l2);
  q->len = (uint32_t)(l1 + l2);
  return call(hc, q, hc->qbuf, &r);
}

tw_herr tw_hc_rename_at(tw_hc *hc, uint32_t dir1, const char *n1, size_t l1,
                        uint32_t dir2, const char *n2, size_t l2) {
  tw_hc_req q = {TW_HCN_rename_at, 0, {dir1, dir2, l1}};
  return call_pair(hc, &q, n1, l1, TW_HC_MAX_NAME, n2, l2);
}

tw_herr tw_hc_link_at(tw_hc *hc, uint32_t dir1, const char *n1, size_t l1,
                      uint32_t dir2, const char *n2, size_t l2) {
  tw_hc_req q = {TW_HCN_link_at, 0, {dir1, dir2, l1}};
  return call_pair(hc, &q, n1, l1, TW_HC_MAX_NAME, n2, l2);
}

tw_herr tw_hc_symlink_at(tw_hc *hc, const char *target, size_t tlen,
                         uint32_t dir, const char *name, size_t len) {
  if (tlen > TW_HC_MAX_PATH) return TW_HE_NAMETOOLONG;
  tw_hc_req q = {TW_HCN_symlink_at, 0, {dir, tlen}};
  return call_pair(hc, &q, target, tlen, TW_HC_MAX_PATH, name, len);
}

tw_herr tw_hc_readlink_at(tw_hc *hc, uint32_t dir, const char *name,
                          size_t len, char *buf, size_t *n) {
  tw_hc_req q = {TW_HCN_readlink_at, 0, {dir}};
  tw_hc_rep r;
  tw_herr e = call_name(hc, &q, name, len, &r);
  if (e) return e;
  memcpy(buf, hc->rbuf, (size_t)r.r[0]);
  *n = (size_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_readdir(tw_hc *hc, uint32_t h, uint64_t cookie, tw_hdirent *ents,
                      size_t max_ents, char *buf, size_t cap, size_t *nents) {
  if (max_ents > TW_HCW_MAX_DIRENTS) max_ents = TW_HCW_MAX_DIRENTS;
  if (cap > TW_HC_MAX_DIRENT_BYTES) cap = TW_HC_MAX_DIRENT_BYTES;
  tw_hc_req q = {TW_HCN_readdir, 0, {h, cookie, max_ents, cap}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  /* validated: r.r[0] <= max_ents entries that decode exactly, names
   * totalling <= cap bytes */
  const uint8_t *p = hc->rbuf;
  size_t used = 0;
  for (size_t i = 0; i < (size_t)r.r[0]; i++) {
    tw_hdirent *d = &ents[i];
    d->next = tw_hcw_get64(p);
    d->ino = tw_hcw_get64(p + 8);
    d->namelen = tw_hcw_get32(p + 16);
    d->type = p[20];
    memcpy(buf + used, p + TW_HCW_DIRENT_HDR, d->namelen);
    d->name = buf + used;
    used += d->namelen;
    p += TW_HCW_DIRENT_HDR + d->namelen;
  }
  *nents = (size_t)r.r[0];
  return TW_HE_OK;
}

static tw_herr clock_call(tw_hc *hc, uint32_t call_no, uint32_t clock,
                          uint64_t *ns) {
  tw_hc_req q = {call_no, 0, {clock}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  *ns = r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_clock_get(tw_hc *hc, uint32_t clock, uint64_t *ns) {
  return clock_call(hc, TW_HCN_clock_get, clock, ns);
}

tw_herr tw_hc_clock_res(tw_hc *hc, uint32_t clock, uint64_t *ns) {
  return clock_call(hc, TW_HCN_clock_res, clock, ns);
}

tw_herr tw_hc_poll(tw_hc *hc, tw_hpoll *fds, size_t n, uint64_t timeout_ns,
                   size_t *nready) {
  if (n > TW_HC_MAX_POLL) return TW_HE_INVAL;
  for (size_t i = 0; i < n; i++) {
    uint8_t *e = hc->qbuf + i * TW_HCW_POLLQ;
    tw_hcw_put32(e, fds[i].handle);
    e[4] = fds[i].events;
    e[5] = e[6] = e[7] = 0;
  }
  tw_hc_req q = {TW_HCN_poll, (uint32_t)(n * TW_HCW_POLLQ), {n, timeout_ns}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, hc->qbuf, &r);
  if (e) return e;
  for (size_t i = 0; i < n; i++) {
    fds[i].revents = hc->rbuf[i * TW_HCW_POLLR];
    fds[i].nbytes = tw_hcw_get64(hc->rbuf + i * TW_HCW_POLLR + 8);
  }
  *nready = (size_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_sock_accept(tw_hc *hc, uint32_t h, uint32_t flags,
                          uint32_t *conn) {
  tw_hc_req q = {TW_HCN_sock_accept, 0, {h, flags}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  *conn = (uint32_t)r.r[0];
  return TW_HE_OK;
}

tw_herr tw_hc_sock_recv(tw_hc *hc, uint32_t h, void *buf, size_t len,
                        uint32_t flags, size_t *n, uint32_t *oflags) {
  tw_hc_req q = {TW_HCN_sock_recv, 0, {h, clamp_io(len), flags}};
  tw_hc_rep r;
  tw_herr e = call(hc, &q, NULL, &r);
  if (e) return e;
  if (r.r[0]) memcpy(buf, hc->rbuf, (size_t)r.r[0]);
  *n = (size_t)r.r[0];
  *oflags = (uint32_t)r.r[1];
  return TW_HE_OK;
}

tw_herr tw_hc_sock_send(tw_hc *hc, uint32_t h, const void *buf, size_t len,
                        uint32_t flags, size_t *n) {
  tw_hc_req q = {TW_HCN_sock_send, 0, {h, flags}};
  return write_like(hc, &q, buf, len, n);
}

tw_herr tw_hc_sock_shutdown(tw_hc *hc, uint32_t h, uint32_t how) {
  return plain(hc, &(tw_hc_req){TW_HCN_sock_shutdown, 0, {h, how}});
}

tw_herr tw_hc_sched_yield(tw_hc *hc) {
  return plain(hc, &(tw_hc_req){TW_HCN_sched_yield, 0, {0}});
}

tw_herr tw_hc_lock(tw_hc *hc, uint32_t h, uint32_t mode) {
  return plain(hc, &(tw_hc_req){TW_HCN_lock, 0, {h, mode}});
}

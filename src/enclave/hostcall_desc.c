/*
 * hostcall_desc.c - the descriptors of hostcalls.def and the checks they
 * drive: the request check both sides run, and the central reply
 * validator every trusted stub goes through.
 *
 * The validator reads only the reply header and payload already copied
 * into trusted memory, and decides from the descriptor alone; a reply it
 * accepts can be unpacked without further checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "enclave/hostcall_wire.h"

/* ---- the table ---------------------------------------------------------- */

#define TW_HC_LIST(...) __VA_ARGS__
#define A_NONE {TW_HCA_NONE, 0, 0, 0, NULL}
#define A_HANDLE(n) {TW_HCA_HANDLE, 0, 0, 0, #n}
#define A_U64(n) {TW_HCA_U64, 0, 0, 0, #n}
#define A_RANGE(n, l, h) {TW_HCA_RANGE, 0, (uint64_t)(l), (uint64_t)(h), #n}
#define A_MASK(n, m) {TW_HCA_MASK, 0, 0, (uint64_t)(m), #n}
#define R_NONE {TW_HCR_NONE, 0, 0, 0, NULL}
#define R_ANY(n) {TW_HCR_ANY, 0, 0, 0, #n}
#define R_RANGE(n, l, h) {TW_HCR_RANGE, 0, (uint64_t)(l), (uint64_t)(h), #n}
#define R_MASK(n, m) {TW_HCR_MASK, 0, 0, (uint64_t)(m), #n}
#define R_LE_ARG(n, i) {TW_HCR_LE_ARG, i, 0, 0, #n}
#define R_LE_LEN(n) {TW_HCR_LE_LEN, 0, 0, 0, #n}
#define R_NEW_HANDLE(n) {TW_HCR_NEW_HANDLE, 0, 0, 0, #n}
#define Q_NONE {TW_HCQ_NONE, 0, 0, 0}
#define Q_NAME {TW_HCQ_NAME, 0, 0, TW_HC_MAX_NAME}
#define Q_NAME2(i) {TW_HCQ_NAME2, i, 0, 2 * TW_HC_MAX_NAME}
#define Q_TARGET_NAME(i) \
  {TW_HCQ_TARGET_NAME, i, 0, TW_HC_MAX_PATH + TW_HC_MAX_NAME}
#define Q_DATA(m) {TW_HCQ_DATA, 0, 0, m}
#define Q_POLL(i) {TW_HCQ_POLL, i, 0, TW_HC_MAX_POLL * TW_HCW_POLLQ}
#define P_NONE {TW_HCP_NONE, 0, 0, 0}
#define P_BYTES(f, m) {TW_HCP_BYTES, f, 0, m}
#define P_STAT {TW_HCP_STAT, 0, 0, TW_HCW_STAT}
#define P_DIRENTS(f, c) {TW_HCP_DIRENTS, f, c, TW_HC_MAX_DIRENT_BYTES}
#define P_POLL(i, f) {TW_HCP_POLL, f, i, TW_HC_MAX_POLL * TW_HCW_POLLR}

static const tw_hc_desc descs[TW_HCN_END] = {
#define TW_HC(num, nm, args, qp, res, rp) \
  [num] = {#nm, {TW_HC_LIST args}, qp, {TW_HC_LIST res}, rp},
#include "enclave/hostcalls.def"
#undef TW_HC
};

const tw_hc_desc *tw_hc_desc_of(uint32_t call) {
  switch (call) { /* a number used twice in the .def fails to compile here */
#define TW_HC(num, nm, args, qp, res, rp) case num:
#include "enclave/hostcalls.def"
#undef TW_HC
    return &descs[call];
  default:
    return NULL;
  }
}

/* ---- requests ----------------------------------------------------------- */

bool tw_hc_name_ok(const char *name, size_t len) {
  if (len == 0 || len > TW_HC_MAX_NAME) return false;
  for (size_t i = 0; i < len; i++)
    if (name[i] == '/' || name[i] == '\0') return false;
  return true;
}

static tw_herr check_payload(const tw_hc_payload *p, const tw_hc_req *q,
                             const uint8_t *data, tw_hc_has_fn has,
                             const void *ctx) {
  const char *s = (const char *)data;
  uint64_t split;
  switch (p->kind) {
  case TW_HCQ_NONE:
    return q->len == 0 ? 0 : TW_HE_INVAL;
  case TW_HCQ_NAME:
    return tw_hc_name_ok(s, q->len) ? 0 : TW_HE_INVAL;
  case TW_HCQ_NAME2:
    split = q->a[p->ref];
    if (split >= q->len) return TW_HE_INVAL;
    return tw_hc_name_ok(s, split) &&
                   tw_hc_name_ok(s + split, q->len - split)
               ? 0
               : TW_HE_INVAL;
  case TW_HCQ_TARGET_NAME:
    split = q->a[p->ref];
    if (split >= q->len || split > TW_HC_MAX_PATH) return TW_HE_INVAL;
    if (memchr(s, '\0', split)) return TW_HE_INVAL;
    return tw_hc_name_ok(s + split, q->len - split) ? 0 : TW_HE_INVAL;
  case TW_HCQ_DATA:
    return q->len <= p->max ? 0 : TW_HE_INVAL;
  case TW_HCQ_POLL:
    if (q->a[p->ref] > TW_HC_MAX_POLL ||
        q->len != q->a[p->ref] * TW_HCW_POLLQ)
      return TW_HE_INVAL;
    for (uint32_t off = 0; off < q->len; off += TW_HCW_POLLQ) {
      const uint8_t *e = data + off;
      if ((e[4] & ~(TW_HPOLL_READ | TW_HPOLL_WRITE)) || e[5] || e[6] || e[7])
        return TW_HE_INVAL;
      if (!has(ctx, tw_hcw_get32(e))) return TW_HE_BADF;
    }
    return 0;
  default:
    return TW_HE_INVAL;
  }
}

tw_herr tw_hc_check_req(const tw_hc_desc *d, const tw_hc_req *q,
                        const uint8_t *payload, tw_hc_has_fn has,
                        const void *ctx) {
  if (!d) return TW_HE_NOSYS;
  if (q->len && !payload) return TW_HE_INVAL;
  for (unsigned i = 0; i < 6; i++) {
    const tw_hc_field *f = &d->arg[i];
    uint64_t v = q->a[i];
    switch (f->rule) {
    case TW_HCA_NONE:
      if (v) return TW_HE_INVAL;
      break;
    case TW_HCA_HANDLE:
      if (v >= TW_HC_MAX_HANDLES || !has(ctx, (uint32_t)v)) return TW_HE_BADF;
      break;
    case TW_HCA_U64:
      break;
    case TW_HCA_RANGE:
      if (v < f->lo || v > f->hi) return TW_HE_INVAL;
      break;
    case TW_HCA_MASK:
      if (v & ~f->hi) return TW_HE_INVAL;
      break;
    default:
      return TW_HE_INVAL;
    }
  }
  return check_payload(&d->req, q, payload, has, ctx);
}

size_t tw_hc_rep_cap(const tw_hc_desc *d, const tw_hc_req *q) {
  switch (d->rep.kind) {
  case TW_HCP_BYTES:
  case TW_HCP_STAT:
  case TW_HCP_DIRENTS:
    return d->rep.max;
  case TW_HCP_POLL: {
    uint64_t n = q->a[d->rep.ref2];
    return n <= TW_HC_MAX_POLL ? (size_t)n * TW_HCW_POLLR : 0;
  }
  default:
    return 0;
  }
}

/* ---- replies ------------------------------------------------------------ */

#define BAD(...) (snprintf(why, whylen, __VA_ARGS__), false)

static bool check_field(const tw_hc_desc *d, unsigned i, const tw_hc_req *q,
                        uint64_t v, tw_hc_has_fn has, const void *ctx,
                        char *why, size_t whylen) {
  const tw_hc_field *f = &d->res[i];
  switch (f->rule) {
  case TW_HCR_NONE:
    return v == 0 ? true : BAD("%s: unused r[%u] = %" PRIu64, d->name, i, v);
  case TW_HCR_ANY:
    return true;
  case TW_HCR_RANGE:
    if (v >= f->lo && v <= f->hi) return true;
    return BAD("%s: %s = %" PRIu64 " outside %" PRIu64 "..%" PRIu64, d->name,
               f->name, v, f->lo, f->hi);
  case TW_HCR_MASK:
    if (!(v & ~f->hi)) return true;
    return BAD("%s: %s = %#" PRIx64 " has bits outside %#" PRIx64, d->name,
               f->name, v, f->hi);
  case TW_HCR_LE_ARG:
    if (v <= q->a[f->ref]) return true;
    return BAD("%s: %s = %" PRIu64 " > %s = %" PRIu64, d->name, f->name, v,
               d->arg[f->ref].name, q->a[f->ref]);
  case TW_HCR_LE_LEN:
    if (v <= q->len) return true;
    return BAD("%s: %s = %" PRIu64 " > the %" PRIu32 " bytes sent", d->name,
               f->name, v, q->len);
  case TW_HCR_NEW_HANDLE:
    if (v >= TW_HC_MAX_HANDLES)
      return BAD("%s: new handle %" PRIu64 " out of range", d->name, v);
    if (has(ctx, (uint32_t)v))
      return BAD("%s: new handle %" PRIu64 " is already held", d->name, v);
    return true;
  default:
    return BAD("%s: bad descriptor", d->name);
  }
}

static bool check_stat(const tw_hc_desc *d, const uint8_t *p, size_t len,
                       char *why, size_t whylen) {
  if (len != TW_HCW_STAT)
    return BAD("%s: stat payload of %zu bytes", d->name, len);
  if (p[56] > TW_HFT_SYMLINK)
    return BAD("%s: unknown file type %u", d->name, p[56]);
  for (unsigned i = 57; i < TW_HCW_STAT; i++)
    if (p[i]) return BAD("%s: stat reserved byte %u set", d->name, i);
  return true;
}

static bool check_dirents(const tw_hc_desc *d, const tw_hc_req *q,
                          const tw_hc_rep *r, const uint8_t *p, size_t len,
                          char *why, size_t whylen) {
  uint64_t n = r->r[d->rep.ref], names = 0;
  size_t off = 0;
  for (uint64_t i = 0; i < n; i++) {
    if (len - off < TW_HCW_DIRENT_HDR)
      return BAD("%s: entry %" PRIu64 " header past the payload", d->name, i);
    const uint8_t *e = p + off;
    uint32_t namelen = tw_hcw_get32(e + 16);
    if (tw_hcw_get64(e) == 0)
      return BAD("%s: entry %" PRIu64 " has next cookie 0", d->name, i);
    if (e[20] > TW_HFT_SYMLINK)
      return BAD("%s: entry %" PRIu64 " has file type %u", d->name, i, e[20]);
    if (e[21] || e[22] || e[23])
      return BAD("%s: entry %" PRIu64 " reserved bytes set", d->name, i);
    off += TW_HCW_DIRENT_HDR;
    if (namelen > len - off)
      return BAD("%s: entry %" PRIu64 " name past the payload", d->name, i);
    if (!tw_hc_name_ok((const char *)p + off, namelen))
      return BAD("%s: entry %" PRIu64 " has a bad name (length %" PRIu32 ")",
                 d->name, i, namelen);
    off += namelen;
    names += namelen;
  }
  if (off != len)
    return BAD("%s: %zu bytes after %" PRIu64 " entries", d->name, len - off,
               n);
  if (names > q->a[d->rep.ref2])
    return BAD("%s: names take %" PRIu64 " bytes, capacity %" PRIu64, d->name,
               names, q->a[d->rep.ref2]);
  return true;
}

static bool check_poll(const tw_hc_desc *d, const tw_hc_req *q,
                       const uint8_t *qp, const tw_hc_rep *r, const uint8_t *p,
                       size_t len, char *why, size_t whylen) {
  uint64_t n = q->a[d->rep.ref2], ready = 0;
  if (len != n * TW_HCW_POLLR)
    return BAD("%s: %zu result bytes for %" PRIu64 " entries", d->name, len, n);
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *e = p + i * TW_HCW_POLLR;
    uint8_t asked = qp[i * TW_HCW_POLLQ + 4];
    uint8_t allowed = (uint8_t)(asked | TW_HPOLL_HUP | TW_HPOLL_ERR);
    if (e[0] & ~allowed)
      return BAD("%s: entry %" PRIu64 " revents %#x, asked %#x", d->name, i,
                 e[0], asked);
    for (unsigned k = 1; k < 8; k++)
      if (e[k]) return BAD("%s: entry %" PRIu64 " reserved set", d->name, i);
    ready += e[0] != 0;
  }
  if (r->r[d->rep.ref] != ready)
    return BAD("%s: nready %" PRIu64 " but %" PRIu64 " entries ready", d->name,
               r->r[d->rep.ref], ready);
  return true;
}

bool tw_hc_check_rep(const tw_hc_desc *d, const tw_hc_req *q,
                     const uint8_t *qp, const tw_hc_rep *rep,
                     const uint8_t *rp, size_t cap, tw_hc_has_fn has,
                     const void *ctx, char *why, size_t whylen) {
  if (rep->len > cap)
    return BAD("%s: payload of %" PRIu32 " bytes, capacity %zu", d->name,
               rep->len, cap);
  if (rep->err != 0) {
    if (rep->err > TW_HE_HOST_MAX)
      return BAD("%s: errno %" PRIu32 " not in the host's set 1..%d", d->name,
                 rep->err, TW_HE_HOST_MAX);
    if (rep->len)
      return BAD("%s: error %" PRIu32 " with a payload", d->name, rep->err);
    for (unsigned i = 0; i < 4; i++)
      if (rep->r[i])
        return BAD("%s: error %" PRIu32 " with r[%u] set", d->name, rep->err,
                   i);
    return true;
  }
  for (unsigned i = 0; i < 4; i++)
    if (!check_field(d, i, q, rep->r[i], has, ctx, why, whylen)) return false;
  size_t len = rep->len;
  switch (d->rep.kind) {
  case TW_HCP_NONE:
    return len == 0 ? true
                    : BAD("%s: unexpected payload of %zu bytes", d->name, len);
  case TW_HCP_BYTES:
    if (len > d->rep.max)
      return BAD("%s: payload of %zu bytes, maximum %" PRIu32, d->name, len,
                 d->rep.max);
    if (len != rep->r[d->rep.ref])
      return BAD("%s: payload of %zu bytes but %s = %" PRIu64, d->name, len,
                 d->res[d->rep.ref].name, rep->r[d->rep.ref]);
    return true;
  case TW_HCP_STAT:
    return check_stat(d, rp, len, why, whylen);
  case TW_HCP_DIRENTS:
    return check_dirents(d, q, rep, rp, len, why, whylen);
  case TW_HCP_POLL:
    return check_poll(d, q, qp, rep, rp, len, why, whylen);
  default:
    return BAD("%s: bad descriptor", d->name);
  }
}

/*
 * enclave_chan.c - framing of the process backend's channel: header
 * encoding and checking, request/reply header layouts, and the two I/O
 * primitives both ends use (one sendmsg per frame, exact reads).
 */
#include "host/enclave_chan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"

void tw_chan_put_hdr(uint8_t *out, uint16_t type, uint32_t len,
                     uint32_t aux) {
  tw_hcw_put32(out, TW_CHAN_MAGIC);
  out[4] = (uint8_t)TW_CHAN_VERSION;
  out[5] = (uint8_t)(TW_CHAN_VERSION >> 8);
  out[6] = (uint8_t)type;
  out[7] = (uint8_t)(type >> 8);
  tw_hcw_put32(out + 8, len);
  tw_hcw_put32(out + 12, aux);
}

static bool bad(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool bad(char *why, size_t whylen, const char *fmt, ...) {
  if (why && whylen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
  }
  return false;
}

bool tw_chan_get_hdr(const uint8_t *in, tw_chan_hdr *h, char *why,
                     size_t whylen) {
  uint32_t magic = tw_hcw_get32(in);
  uint16_t ver = (uint16_t)(in[4] | in[5] << 8);
  h->type = (uint16_t)(in[6] | in[7] << 8);
  h->len = tw_hcw_get32(in + 8);
  h->aux = tw_hcw_get32(in + 12);
  if (magic != TW_CHAN_MAGIC)
    return bad(why, whylen, "bad frame magic 0x%08x", (unsigned)magic);
  if (ver != TW_CHAN_VERSION)
    return bad(why, whylen, "channel version %u, expected %u", (unsigned)ver,
               TW_CHAN_VERSION);
  uint64_t lo = 0, hi = 0;
  bool aux_ok = h->aux == 0;
  switch (h->type) {
  case TW_CHAN_LAUNCH:
    hi = TW_CHAN_MAX_LAUNCH;
    aux_ok = (h->aux & ~TW_CHAN_F_ALL) == 0;
    break;
  case TW_CHAN_CALL:
    lo = TW_CHAN_REQ;
    hi = TW_CHAN_MAX_CALL;
    break;
  case TW_CHAN_REPLY:
    lo = TW_CHAN_REP;
    hi = TW_CHAN_MAX_REPLY;
    break;
  case TW_CHAN_OUT:
    hi = TW_CHAN_MAX_OUT;
    aux_ok = h->aux == 1 || h->aux == 2;
    break;
  case TW_CHAN_EXIT:
    hi = 0;
    aux_ok = h->aux <= 255;
    break;
  case TW_CHAN_FAIL:
    hi = TW_CHAN_MAX_FAIL;
    break;
  default:
    return bad(why, whylen, "unknown frame type %u", (unsigned)h->type);
  }
  if (h->len < lo || h->len > hi)
    return bad(why, whylen, "frame type %u with a body of %u bytes",
               (unsigned)h->type, (unsigned)h->len);
  if (!aux_ok)
    return bad(why, whylen, "frame type %u with aux 0x%x", (unsigned)h->type,
               (unsigned)h->aux);
  return true;
}

void tw_chan_put_req(uint8_t *out, const tw_hc_req *q) {
  tw_hcw_put32(out, q->call);
  tw_hcw_put32(out + 4, q->len);
  for (unsigned i = 0; i < 6; i++) tw_hcw_put64(out + 8 + 8 * i, q->a[i]);
}

void tw_chan_get_req(const uint8_t *in, tw_hc_req *q) {
  q->call = tw_hcw_get32(in);
  q->len = tw_hcw_get32(in + 4);
  for (unsigned i = 0; i < 6; i++) q->a[i] = tw_hcw_get64(in + 8 + 8 * i);
}

void tw_chan_put_rep(uint8_t *out, const tw_hc_rep *r) {
  tw_hcw_put32(out, r->err);
  tw_hcw_put32(out + 4, r->len);
  for (unsigned i = 0; i < 4; i++) tw_hcw_put64(out + 8 + 8 * i, r->r[i]);
}

void tw_chan_get_rep(const uint8_t *in, tw_hc_rep *r) {
  r->err = tw_hcw_get32(in);
  r->len = tw_hcw_get32(in + 4);
  for (unsigned i = 0; i < 4; i++) r->r[i] = tw_hcw_get64(in + 8 + 8 * i);
}

int tw_chan_send(int fd, uint16_t type, uint32_t aux, const void *b1,
                 size_t n1, const void *b2, size_t n2) {
  uint8_t hdr[TW_CHAN_HDR];
  size_t total = n1 + n2;
  if (total > UINT32_MAX) {
    errno = EMSGSIZE;
    return -1;
  }
  tw_chan_put_hdr(hdr, type, (uint32_t)total, aux);
  struct iovec iov[3] = {{hdr, sizeof hdr},
                         {(void *)b1, n1},
                         {(void *)b2, n2}};
  struct iovec *v = iov;
  int nv = 3;
  while (nv > 0) {
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = v;
    m.msg_iovlen = (size_t)nv;
    ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    size_t left = (size_t)k;
    while (nv > 0 && left >= v->iov_len) {
      left -= v->iov_len;
      v++;
      nv--;
    }
    if (nv > 0) {
      v->iov_base = (uint8_t *)v->iov_base + left;
      v->iov_len -= left;
    }
  }
  return 0;
}

int tw_chan_read_full(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  size_t got = 0;
  while (got < n) {
    ssize_t k = recv(fd, p + got, n - got, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (k == 0) {
      if (got == 0) return 0;
      errno = EPROTO;
      return -1;
    }
    got += (size_t)k;
  }
  return 1;
}

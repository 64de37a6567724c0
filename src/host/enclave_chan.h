/*
 * enclave_chan.h - the framed channel between the host process and the
 * trusted process of the `process` enclave backend (docs/enclave.md).
 *
 * A connected AF_UNIX SOCK_STREAM socketpair carries frames:
 *
 *   magic u32 "TWEC" | version u16 | type u16 | len u32 | aux u32 | body
 *
 * little-endian, 16-byte header, `len` body bytes. Both ends treat every
 * frame as hostile: unknown magic, version or type, a body over the
 * type's limit, an aux value a type does not allow, EOF inside a frame --
 * each is a protocol error, never a guess. These functions only move and
 * check bytes; what a frame means is decided by enclave_parent.c (host)
 * and enclave_child.c (trusted process).
 */
#ifndef TW_HOST_ENCLAVE_CHAN_H
#define TW_HOST_ENCLAVE_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enclave/hostcall.h"

#define TW_CHAN_MAGIC 0x43455754u /* "TWEC" as little-endian bytes */
#define TW_CHAN_VERSION 1u
#define TW_CHAN_HDR 16u

/* Frame types. */
enum {
  TW_CHAN_LAUNCH = 1, /* host -> trusted: module, runner args, handles */
  TW_CHAN_CALL = 2,   /* trusted -> host: tw_hc_req + request payload */
  TW_CHAN_REPLY = 3,  /* host -> trusted: tw_hc_rep + reply payload */
  TW_CHAN_OUT = 4,    /* trusted -> host: runner output; aux = 1 or 2 */
  TW_CHAN_EXIT = 5,   /* trusted -> host: the run's exit status in aux */
  TW_CHAN_FAIL = 6    /* trusted -> host: stopping on an error; text body */
};

/* Encoded request / reply headers inside CALL / REPLY bodies. */
#define TW_CHAN_REQ 56u /* call u32, len u32, a[6] u64 */
#define TW_CHAN_REP 40u /* err u32, len u32, r[4] u64 */

/* Body limits per type. */
#define TW_CHAN_MAX_MODULE ((uint64_t)1 << 30)
#define TW_CHAN_MAX_ARGS_BYTES (16u << 20)
#define TW_CHAN_MAX_LAUNCH (TW_CHAN_MAX_MODULE + TW_CHAN_MAX_ARGS_BYTES + \
                            (64u << 10))
#define TW_CHAN_MAX_CALL (TW_CHAN_REQ + TW_HC_MAX_IO)
#define TW_CHAN_MAX_REPLY (TW_CHAN_REP + TW_HC_MAX_IO)
#define TW_CHAN_MAX_OUT (64u << 10)
#define TW_CHAN_MAX_FAIL 1024u

/* LAUNCH aux flags. */
enum {
  /* test hook: the trusted process calls openat() right after locking
   * itself down (proves that a forbidden system call kills it) */
  TW_CHAN_F_TEST_FORBIDDEN = 1u << 0
};
#define TW_CHAN_F_ALL 0x1u

typedef struct tw_chan_hdr {
  uint16_t type;
  uint32_t len;
  uint32_t aux;
} tw_chan_hdr;

/* Encode a header into out[TW_CHAN_HDR]. */
void tw_chan_put_hdr(uint8_t *out, uint16_t type, uint32_t len, uint32_t aux);
/* Decode and check a header: magic, version, a known type, the type's body
 * limit, aux allowed for the type. Returns true, or false with a one-line
 * reason in why. */
bool tw_chan_get_hdr(const uint8_t *in, tw_chan_hdr *h, char *why,
                     size_t whylen);

/* Request / reply headers (TW_CHAN_REQ / TW_CHAN_REP bytes). */
void tw_chan_put_req(uint8_t *out, const tw_hc_req *q);
void tw_chan_get_req(const uint8_t *in, tw_hc_req *q);
void tw_chan_put_rep(uint8_t *out, const tw_hc_rep *r);
void tw_chan_get_rep(const uint8_t *in, tw_hc_rep *r);

/* Send header + body pieces with one sendmsg (MSG_NOSIGNAL, retried on
 * EINTR and short writes). 0, or -1 (errno set: EPIPE if the peer is
 * gone). */
int tw_chan_send(int fd, uint16_t type, uint32_t aux, const void *b1,
                 size_t n1, const void *b2, size_t n2);

/* Read exactly n bytes. 1 done, 0 EOF before the first byte, -1 error or
 * EOF inside (errno EPROTO for the latter). */
int tw_chan_read_full(int fd, void *buf, size_t n);

#endif

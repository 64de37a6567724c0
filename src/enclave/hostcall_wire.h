/*
 * hostcall_wire.h - the boundary's wire: call numbers, the descriptors
 * generated from hostcalls.def, payload layouts and the shared checks.
 *
 * Included by the trusted stubs (hostcall.c) and by host dispatchers
 * (src/host). Everything here is plain data and pure functions: no I/O.
 * Payload integers are little-endian and packed (no padding, no pointers);
 * docs/hostcalls.md has the byte layouts.
 */
#ifndef TW_ENCLAVE_HOSTCALL_WIRE_H
#define TW_ENCLAVE_HOSTCALL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enclave/herrno.h"
#include "enclave/hostcall.h"

/* Masks of the flag sets of hostcall.h (for A_MASK / R_MASK rules). */
#define TW_HO_ALL 0xFFFu
#define TW_HFL_ALL 0x1Fu
#define TW_HT_ALL 0xFu
#define TW_HPOLL_ALL 0xFu

/* ---- payload layouts ---------------------------------------------------- */

/* stat (P_STAT): dev ino nlink size atim mtim ctim (u64 each), type (u8),
 * 7 reserved zero bytes. */
#define TW_HCW_STAT 64u
/* readdir entry (P_DIRENTS): next (u64), ino (u64), namelen (u32),
 * type (u8), 3 reserved zero bytes, then namelen name bytes. */
#define TW_HCW_DIRENT_HDR 24u
#define TW_HCW_MAX_DIRENTS (TW_HC_MAX_DIRENT_BYTES / (TW_HCW_DIRENT_HDR + 1u))
/* poll request entry (Q_POLL): handle (u32), events (u8), 3 zero bytes. */
#define TW_HCW_POLLQ 8u
/* poll result entry (P_POLL): revents (u8), 7 zero bytes, nbytes (u64). */
#define TW_HCW_POLLR 16u

static inline void tw_hcw_put32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tw_hcw_put64(uint8_t *p, uint64_t v) {
  for (unsigned i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t tw_hcw_get32(const uint8_t *p) {
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}
static inline uint64_t tw_hcw_get64(const uint8_t *p) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static inline void tw_hcw_put_stat(uint8_t out[TW_HCW_STAT],
                                   const tw_hstat *st) {
  tw_hcw_put64(out + 0, st->dev);
  tw_hcw_put64(out + 8, st->ino);
  tw_hcw_put64(out + 16, st->nlink);
  tw_hcw_put64(out + 24, st->size);
  tw_hcw_put64(out + 32, st->atim);
  tw_hcw_put64(out + 40, st->mtim);
  tw_hcw_put64(out + 48, st->ctim);
  out[56] = st->type;
  for (unsigned i = 57; i < TW_HCW_STAT; i++) out[i] = 0;
}
static inline void tw_hcw_get_stat(const uint8_t in[TW_HCW_STAT],
                                   tw_hstat *st) {
  st->dev = tw_hcw_get64(in + 0);
  st->ino = tw_hcw_get64(in + 8);
  st->nlink = tw_hcw_get64(in + 16);
  st->size = tw_hcw_get64(in + 24);
  st->atim = tw_hcw_get64(in + 32);
  st->mtim = tw_hcw_get64(in + 40);
  st->ctim = tw_hcw_get64(in + 48);
  st->type = in[56];
}

/* Encode one readdir entry at out (room for TW_HCW_DIRENT_HDR + namelen). */
static inline void tw_hcw_put_dirent(uint8_t *out, uint64_t next, uint64_t ino,
                                     uint8_t type, const char *name,
                                     uint32_t namelen) {
  tw_hcw_put64(out, next);
  tw_hcw_put64(out + 8, ino);
  tw_hcw_put32(out + 16, namelen);
  out[20] = type;
  out[21] = out[22] = out[23] = 0;
  for (uint32_t i = 0; i < namelen; i++)
    out[TW_HCW_DIRENT_HDR + i] = (uint8_t)name[i];
}

/* ---- call numbers ------------------------------------------------------- */

enum {
#define TW_HC(num, name, args, qp, res, rp) TW_HCN_##name = num,
#include "enclave/hostcalls.def"
#undef TW_HC
  TW_HCN_END /* one past the highest number (numbers need not be dense) */
};

/* ---- descriptors -------------------------------------------------------- */

enum { /* request argument rules (A_*) */
  TW_HCA_NONE = 0, TW_HCA_HANDLE, TW_HCA_U64, TW_HCA_RANGE, TW_HCA_MASK
};
enum { /* reply field rules (R_*) */
  TW_HCR_NONE = 0, TW_HCR_ANY, TW_HCR_RANGE, TW_HCR_MASK, TW_HCR_LE_ARG,
  TW_HCR_LE_LEN, TW_HCR_NEW_HANDLE
};
enum { /* request payloads (Q_*) */
  TW_HCQ_NONE = 0, TW_HCQ_NAME, TW_HCQ_NAME2, TW_HCQ_TARGET_NAME, TW_HCQ_DATA,
  TW_HCQ_POLL
};
enum { /* reply payloads (P_*) */
  TW_HCP_NONE = 0, TW_HCP_BYTES, TW_HCP_STAT, TW_HCP_DIRENTS, TW_HCP_POLL
};

typedef struct tw_hc_field {
  uint8_t rule;     /* TW_HCA_* or TW_HCR_* */
  uint8_t ref;      /* LE_ARG: the argument index */
  uint64_t lo, hi;  /* RANGE: bounds; MASK: hi = the mask */
  const char *name; /* for messages and docs */
} tw_hc_field;

typedef struct tw_hc_payload {
  uint8_t kind;     /* TW_HCQ_* or TW_HCP_* */
  uint8_t ref;      /* NAME2/TARGET_NAME/POLL: arg index; BYTES/DIRENTS/
                       POLL(reply): the r[] field it must agree with */
  uint8_t ref2;     /* DIRENTS: the name-capacity argument; POLL(reply):
                       the count argument */
  uint32_t max;     /* DATA/BYTES: maximum length */
} tw_hc_payload;

typedef struct tw_hc_desc {
  const char *name;
  tw_hc_field arg[6];
  tw_hc_payload req;
  tw_hc_field res[4];
  tw_hc_payload rep;
} tw_hc_desc;

/* The descriptor of call number `call`, NULL if there is no such call. */
const tw_hc_desc *tw_hc_desc_of(uint32_t call);

/* Is `handle` valid on the side doing the check (trusted: held; host: in
 * its table)? */
typedef bool (*tw_hc_has_fn)(const void *ctx, uint32_t handle);

/* Check a request against its descriptor: argument rules, unused slots
 * zero, the payload's shape. Returns 0 or the errno of the first broken
 * rule (EBADF for handles, EINVAL otherwise). Both sides run it. */
tw_herr tw_hc_check_req(const tw_hc_desc *d, const tw_hc_req *q,
                        const uint8_t *payload, tw_hc_has_fn has,
                        const void *ctx);

/* The reply payload capacity for request q (<= TW_HC_MAX_IO). */
size_t tw_hc_rep_cap(const tw_hc_desc *d, const tw_hc_req *q);

/* The central reply validator: does reply (rep, rp) keep the contract for
 * request (q, qp), given a capacity of cap payload bytes? Returns true, or
 * false with a one-line reason in why (whylen bytes). `has` tells which
 * handles the trusted side holds (for R_NEW_HANDLE). Reads only rp[0 ..
 * min(rep->len, cap)). */
bool tw_hc_check_rep(const tw_hc_desc *d, const tw_hc_req *q,
                     const uint8_t *qp, const tw_hc_rep *rep,
                     const uint8_t *rp, size_t cap, tw_hc_has_fn has,
                     const void *ctx, char *why, size_t whylen);

/* Is name[0..len) one path component (1..TW_HC_MAX_NAME bytes, no '/', no
 * NUL)? */
bool tw_hc_name_ok(const char *name, size_t len);

#endif

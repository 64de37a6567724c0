/*
 * test_hostcall.c - the enclave boundary under a lying host.
 *
 * A "liar" is a tw_host_iface whose replies the test scripts: counts
 * beyond what was asked, payloads beyond the capacity, errno values
 * outside the contract, errors that carry data, unknown enum values,
 * bogus or duplicate handles, malformed directory entries, poll results
 * for the wrong number of entries. Every trusted stub must answer such a
 * reply with TW_HE_HOST, count it in tw_hc_violations, leave its
 * out-parameters untouched (no host byte reaches the caller) and never
 * crash; honest replies must still get through. A seeded random liar then
 * throws junk at every stub.
 *
 * The end-to-end part runs a small WASI command (below) over the real
 * POSIX host and swaps a liar in mid-run through tw_wasi_boundary: the
 * guest sees EIO (29), its memory keeps what it had. The public launcher
 * (include/twine/wasi.h) is exercised on the same module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/posix.h"
#include "twine/wasi.h"
#include "wasi/wasi.h"

/* ---- the liar --------------------------------------------------------- */

#define LIAR_PAYLOAD (64u * 1024u)

typedef struct liar {
  tw_hc_rep rep;                 /* the reply header to give */
  uint8_t payload[LIAR_PAYLOAD]; /* payload bytes to write (up to cap) */
  size_t plen;
  int rc;                        /* what call() returns */
  uint32_t only;                 /* lie only on this call number (0: all) */
  const tw_host_iface *fwd;      /* answers the other calls (NULL: zeros) */
  unsigned calls;                /* requests that reached the liar */
  tw_hc_req last;
  size_t last_cap;
} liar;

static int liar_call(void *ctx, const tw_hc_req *q, const uint8_t *qp,
                     tw_hc_rep *rep, uint8_t *out, size_t cap) {
  liar *L = ctx;
  L->calls++;
  L->last = *q;
  L->last_cap = cap;
  if (L->only && q->call != L->only) {
    if (L->fwd) return L->fwd->call(L->fwd->ctx, q, qp, rep, out, cap);
    memset(rep, 0, sizeof *rep);
    return 0;
  }
  *rep = L->rep;
  /* An in-process host can only write what fits; it may still claim
   * more in rep->len. */
  size_t n = L->plen < cap ? L->plen : cap;
  memcpy(out, L->payload, n);
  return L->rc;
}

static liar *liar_new(void) {
  liar *L = calloc(1, sizeof *L);
  assert_non_null(L);
  return L;
}

static tw_host_iface liar_iface(liar *L) {
  tw_host_iface f = {TW_HC_VERSION, L, liar_call};
  return f;
}

/* Set the reply: err, r[0..3], payload of plen bytes of `fill`, claiming
 * len bytes. */
static void liar_say(liar *L, uint32_t err, uint64_t r0, uint64_t r1,
                     uint32_t len, uint8_t fill, size_t plen) {
  memset(&L->rep, 0, sizeof L->rep);
  L->rep.err = err;
  L->rep.r[0] = r0;
  L->rep.r[1] = r1;
  L->rep.len = len;
  L->plen = plen;
  memset(L->payload, fill, plen < LIAR_PAYLOAD ? plen : LIAR_PAYLOAD);
  L->rc = 0;
}

/* A boundary over L holding handles 3 and 4. */
static tw_hc *hc_over(liar *L) {
  tw_host_iface f = liar_iface(L);
  tw_hc *hc = tw_hc_new(&f);
  assert_non_null(hc);
  assert_true(tw_hc_adopt(hc, 3));
  assert_true(tw_hc_adopt(hc, 4));
  return hc;
}

/* The stub returns TW_HE_HOST, one more violation is counted and the
 * reason names the call. */
#define VIOLATES(hc, name, expr)                                          \
  do {                                                                    \
    uint64_t v0_ = tw_hc_violations(hc);                                  \
    assert_int_equal((expr), TW_HE_HOST);                                 \
    assert_int_equal(tw_hc_violations(hc), v0_ + 1);                      \
    assert_non_null(tw_hc_last_violation(hc));                            \
    assert_non_null(strstr(tw_hc_last_violation(hc), name));              \
  } while (0)

static bool all_bytes(const void *p, size_t n, uint8_t v) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != v) return false;
  return true;
}

/* ---- honest replies get through --------------------------------------- */

static void test_honest(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint8_t buf[32];
  size_t n = 99;

  liar_say(L, 0, 5, 0, 5, 'x', 5);
  memset(buf, 0, sizeof buf);
  assert_int_equal(tw_hc_read(hc, 3, buf, 10, &n), TW_HE_OK);
  assert_int_equal(n, 5);
  assert_true(all_bytes(buf, 5, 'x'));
  assert_true(all_bytes(buf + 5, sizeof buf - 5, 0));
  assert_int_equal(L->last.a[1], 10); /* asked for 10 */

  liar_say(L, 0, 3, 0, 0, 0, 0);
  assert_int_equal(tw_hc_write(hc, 3, "abcdef", 6, &n), TW_HE_OK);
  assert_int_equal(n, 3);

  liar_say(L, TW_HE_NOENT, 0, 0, 0, 0, 0);
  assert_int_equal(tw_hc_fsync(hc, 3), TW_HE_NOENT);
  liar_say(L, TW_HE_XDEV, 0, 0, 0, 0, 0); /* the largest host errno */
  assert_int_equal(tw_hc_fsync(hc, 3), TW_HE_XDEV);

  tw_hstat st;
  tw_hstat want = {1, 2, TW_HFT_REG, 3, 4, 5, 6, 7};
  liar_say(L, 0, 0, 0, TW_HCW_STAT, 0, 0);
  tw_hcw_put_stat(L->payload, &want);
  L->plen = TW_HCW_STAT;
  assert_int_equal(tw_hc_fstat(hc, 3, &st), TW_HE_OK);
  assert_int_equal(st.ino, 2);
  assert_int_equal(st.type, TW_HFT_REG);
  assert_int_equal(st.size, 4);

  uint32_t h = 0;
  liar_say(L, 0, 7, 0, 0, 0, 0);
  assert_int_equal(tw_hc_open_at(hc, 3, "f", 1, TW_HO_READ, &h), TW_HE_OK);
  assert_int_equal(h, 7);
  assert_true(tw_hc_holds(hc, 7));
  liar_say(L, 0, 0, 0, 0, 0, 0);
  assert_int_equal(tw_hc_close(hc, 7), TW_HE_OK);
  assert_false(tw_hc_holds(hc, 7));

  /* two directory entries */
  uint8_t *p = L->payload;
  tw_hcw_put_dirent(p, 1, 10, TW_HFT_REG, "ab", 2);
  tw_hcw_put_dirent(p + TW_HCW_DIRENT_HDR + 2, 2, 11, TW_HFT_DIR, "cde", 3);
  size_t plen = 2 * TW_HCW_DIRENT_HDR + 5;
  L->rep = (tw_hc_rep){0, (uint32_t)plen, {2}};
  L->plen = plen;
  tw_hdirent ents[4];
  char names[512];
  size_t ne = 0;
  assert_int_equal(tw_hc_readdir(hc, 3, 0, ents, 4, names, sizeof names, &ne),
                   TW_HE_OK);
  assert_int_equal(ne, 2);
  assert_int_equal(ents[1].namelen, 3);
  assert_memory_equal(ents[1].name, "cde", 3);
  assert_int_equal(ents[1].next, 2);

  tw_hpoll fds[2] = {{3, TW_HPOLL_READ, 0, 0}, {4, TW_HPOLL_WRITE, 0, 0}};
  memset(L->payload, 0, 2 * TW_HCW_POLLR);
  L->payload[TW_HCW_POLLR] = TW_HPOLL_WRITE;
  tw_hcw_put64(L->payload + TW_HCW_POLLR + 8, 77);
  L->rep = (tw_hc_rep){0, 2 * TW_HCW_POLLR, {1}};
  L->plen = 2 * TW_HCW_POLLR;
  size_t ready = 0;
  assert_int_equal(tw_hc_poll(hc, fds, 2, 0, &ready), TW_HE_OK);
  assert_int_equal(ready, 1);
  assert_int_equal(fds[0].revents, 0);
  assert_int_equal(fds[1].revents, TW_HPOLL_WRITE);
  assert_int_equal(fds[1].nbytes, 77);

  assert_int_equal(tw_hc_violations(hc), 0);
  assert_null(tw_hc_last_violation(hc));
  tw_hc_free(hc);
  free(L);
}

/* ---- counts and lengths ----------------------------------------------- */

static void test_read_counts(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint8_t buf[64];
  size_t n = 1234;
  uint32_t of = 4321;
  memset(buf, 0x11, sizeof buf);

  /* more bytes than asked (with the payload to match) */
  liar_say(L, 0, 20, 0, 20, 0xAB, 20);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 10, &n));
  VIOLATES(hc, "pread", tw_hc_pread(hc, 3, 0, buf, 10, &n));
  VIOLATES(hc, "sock_recv", tw_hc_sock_recv(hc, 3, buf, 10, 0, &n, &of));
  /* a payload beyond the reply buffer's capacity */
  liar_say(L, 0, 10, 0, TW_HC_MAX_IO + 1, 0xAB, LIAR_PAYLOAD);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 10, &n));
  assert_int_equal(L->last_cap, TW_HC_MAX_IO);
  liar_say(L, 0, 10, 0, UINT32_MAX, 0xAB, 10);
  VIOLATES(hc, "pread", tw_hc_pread(hc, 3, 0, buf, 10, &n));
  /* the payload disagrees with the count, both ways */
  liar_say(L, 0, 5, 0, 6, 0xAB, 6);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 10, &n));
  liar_say(L, 0, 6, 0, 5, 0xAB, 5);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 10, &n));
  /* a count with no payload at all */
  liar_say(L, 0, 8, 0, 0, 0xAB, 0);
  VIOLATES(hc, "sock_recv", tw_hc_sock_recv(hc, 3, buf, 10, 0, &n, &of));
  /* a count in the high bits (truncation must not help) */
  liar_say(L, 0, (UINT64_C(1) << 32) | 4, 0, 4, 0xAB, 4);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 10, &n));
  /* sock_recv: unknown output flag */
  liar_say(L, 0, 4, 2, 4, 0xAB, 4);
  VIOLATES(hc, "sock_recv", tw_hc_sock_recv(hc, 3, buf, 10, 0, &n, &of));

  assert_true(all_bytes(buf, sizeof buf, 0x11));
  assert_int_equal(n, 1234);
  assert_int_equal(of, 4321);

  /* writes: more written than sent */
  liar_say(L, 0, 7, 0, 0, 0, 0);
  VIOLATES(hc, "write", tw_hc_write(hc, 3, "abcdef", 6, &n));
  VIOLATES(hc, "pwrite", tw_hc_pwrite(hc, 3, 9, "abcdef", 6, &n));
  VIOLATES(hc, "sock_send", tw_hc_sock_send(hc, 3, "abcdef", 6, 0, &n));
  liar_say(L, 0, UINT64_MAX, 0, 0, 0, 0);
  VIOLATES(hc, "write", tw_hc_write(hc, 3, "abcdef", 6, &n));
  /* a write reply with a payload */
  liar_say(L, 0, 6, 0, 3, 0xAB, 3);
  VIOLATES(hc, "write", tw_hc_write(hc, 3, "abcdef", 6, &n));
  assert_int_equal(n, 1234);
  assert_int_equal(tw_hc_violations(hc), 15);
  tw_hc_free(hc);
  free(L);
}

/* ---- errno and error replies ------------------------------------------ */

static void test_errno(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint8_t buf[16];
  size_t n = 55;
  memset(buf, 0x11, sizeof buf);
  const uint32_t bad[] = {0x7777, 76 /* NOTCAPABLE: trusted side only */, 200,
                          0xFFFF /* TW_HE_HOST itself */, 0x1001D,
                          UINT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    liar_say(L, bad[i], 0, 0, 0, 0, 0);
    VIOLATES(hc, "fsync", tw_hc_fsync(hc, 3));
    VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 8, &n));
    VIOLATES(hc, "clock_get", tw_hc_clock_get(hc, 0, (uint64_t *)buf));
  }
  /* an error with a payload (the bytes must not reach the caller) */
  liar_say(L, TW_HE_AGAIN, 0, 0, 8, 0xAB, 8);
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 8, &n));
  liar_say(L, TW_HE_IO, 0, 0, TW_HCW_STAT, 0, TW_HCW_STAT);
  VIOLATES(hc, "fstat", tw_hc_fstat(hc, 3, (tw_hstat *)buf));
  /* an error with results */
  for (unsigned k = 0; k < 4; k++) {
    liar_say(L, TW_HE_NOENT, 0, 0, 0, 0, 0);
    L->rep.r[k] = 1;
    VIOLATES(hc, "open_at", tw_hc_open_at(hc, 3, "x", 1, 0, (uint32_t *)buf));
  }
  assert_true(all_bytes(buf, sizeof buf, 0x11));
  assert_int_equal(n, 55);
  /* a valid errno is passed through, and is no violation */
  uint64_t v = tw_hc_violations(hc);
  liar_say(L, TW_HE_NOSPC, 0, 0, 0, 0, 0);
  assert_int_equal(tw_hc_write(hc, 3, "a", 1, &n), TW_HE_NOSPC);
  assert_int_equal(tw_hc_violations(hc), v);
  tw_hc_free(hc);
  free(L);
}

/* Results in slots the call does not use, payloads where none belong. */
static void test_unused_fields(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint8_t buf[16];
  size_t n = 0;
  for (unsigned k = 1; k < 4; k++) {
    liar_say(L, 0, 4, 0, 4, 'y', 4);
    L->rep.r[k] = 9;
    VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 8, &n));
  }
  liar_say(L, 0, 0, 0, 0, 0, 0);
  L->rep.r[0] = 1;
  VIOLATES(hc, "fsync", tw_hc_fsync(hc, 3));
  liar_say(L, 0, 0, 0, 4, 0xAB, 4);
  VIOLATES(hc, "mkdir_at", tw_hc_mkdir_at(hc, 3, "d", 1));
  VIOLATES(hc, "sched_yield", tw_hc_sched_yield(hc));
  tw_hc_free(hc);
  free(L);
}

/* ---- stat ------------------------------------------------------------- */

static void stat_reply(liar *L, uint8_t type) {
  tw_hstat st = {1, 2, type, 1, 100, 0, 0, 0};
  liar_say(L, 0, 0, 0, TW_HCW_STAT, 0, 0);
  tw_hcw_put_stat(L->payload, &st);
  L->payload[56] = type;
  L->plen = TW_HCW_STAT;
}

static void test_stat(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  tw_hstat st;
  memset(&st, 0x11, sizeof st);
  tw_hstat before = st;

  const uint8_t types[] = {TW_HFT_SYMLINK + 1, 200, 255};
  for (size_t i = 0; i < sizeof types; i++) {
    stat_reply(L, types[i]);
    VIOLATES(hc, "fstat", tw_hc_fstat(hc, 3, &st));
    VIOLATES(hc, "stat_at", tw_hc_stat_at(hc, 3, "f", 1, true, &st));
  }
  stat_reply(L, TW_HFT_REG);
  L->payload[60] = 1; /* a reserved byte */
  VIOLATES(hc, "fstat", tw_hc_fstat(hc, 3, &st));
  stat_reply(L, TW_HFT_REG);
  L->rep.len = TW_HCW_STAT - 1; /* short */
  VIOLATES(hc, "fstat", tw_hc_fstat(hc, 3, &st));
  stat_reply(L, TW_HFT_REG);
  L->rep.len = TW_HCW_STAT + 1; /* past the capacity of one stat */
  VIOLATES(hc, "fstat", tw_hc_fstat(hc, 3, &st));
  stat_reply(L, TW_HFT_REG);
  L->rep.len = 0;
  VIOLATES(hc, "stat_at", tw_hc_stat_at(hc, 3, "f", 1, false, &st));
  assert_memory_equal(&st, &before, sizeof st);

  stat_reply(L, TW_HFT_SYMLINK); /* the largest type is fine */
  assert_int_equal(tw_hc_fstat(hc, 3, &st), TW_HE_OK);
  assert_int_equal(st.type, TW_HFT_SYMLINK);
  tw_hc_free(hc);
  free(L);
}

/* ---- handles ---------------------------------------------------------- */

static void test_new_handles(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint32_t h = 0xDEAD;

  const uint64_t bogus[] = {TW_HC_MAX_HANDLES, UINT32_MAX,
                            (UINT64_C(1) << 32) | 5, UINT64_MAX};
  for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
    liar_say(L, 0, bogus[i], 0, 0, 0, 0);
    VIOLATES(hc, "open_at", tw_hc_open_at(hc, 3, "f", 1, TW_HO_READ, &h));
    VIOLATES(hc, "sock_accept", tw_hc_sock_accept(hc, 3, 0, &h));
  }
  assert_false(tw_hc_holds(hc, 5));
  /* a handle the trusted side already holds (the directory itself) */
  liar_say(L, 0, 3, 0, 0, 0, 0);
  VIOLATES(hc, "open_at", tw_hc_open_at(hc, 3, "f", 1, TW_HO_READ, &h));
  liar_say(L, 0, 4, 0, 0, 0, 0);
  VIOLATES(hc, "sock_accept", tw_hc_sock_accept(hc, 3, 0, &h));
  assert_int_equal(h, 0xDEAD);
  /* the same new handle twice */
  liar_say(L, 0, 5, 0, 0, 0, 0);
  assert_int_equal(tw_hc_open_at(hc, 3, "f", 1, TW_HO_READ, &h), TW_HE_OK);
  assert_int_equal(h, 5);
  h = 0xDEAD;
  VIOLATES(hc, "open_at", tw_hc_open_at(hc, 3, "g", 1, TW_HO_READ, &h));
  VIOLATES(hc, "sock_accept", tw_hc_sock_accept(hc, 3, 0, &h));
  assert_int_equal(h, 0xDEAD);
  assert_true(tw_hc_holds(hc, 5));
  /* launch-time handles: out of range or given twice */
  assert_false(tw_hc_adopt(hc, TW_HC_MAX_HANDLES));
  assert_false(tw_hc_adopt(hc, 5));
  /* a handle the trusted side never had is refused before the host */
  unsigned calls = L->calls;
  assert_int_equal(tw_hc_fsync(hc, 9), TW_HE_BADF);
  assert_int_equal(tw_hc_fsync(hc, TW_HC_MAX_HANDLES + 1), TW_HE_BADF);
  assert_int_equal(L->calls, calls);
  /* close forgets the handle whatever the host says */
  liar_say(L, 0x7777, 0, 0, 0, 0, 0);
  VIOLATES(hc, "close", tw_hc_close(hc, 5));
  assert_false(tw_hc_holds(hc, 5));
  assert_int_equal(tw_hc_fsync(hc, 5), TW_HE_BADF);
  tw_hc_free(hc);
  free(L);
}

/* ---- readdir ---------------------------------------------------------- */

/* Put entries into L's payload: names[i] with lengths lens[i]. */
static void dirents_reply(liar *L, size_t n, const char *const *names,
                          const uint32_t *lens, uint64_t count) {
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    tw_hcw_put_dirent(L->payload + off, i + 1, 100 + i, TW_HFT_REG, names[i],
                      lens[i]);
    off += TW_HCW_DIRENT_HDR + lens[i];
  }
  memset(&L->rep, 0, sizeof L->rep);
  L->rep.r[0] = count;
  L->rep.len = (uint32_t)off;
  L->plen = off;
  L->rc = 0;
}

static void test_readdir(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  tw_hdirent ents[4];
  char names[600];
  size_t ne = 77;
  memset(ents, 0x11, sizeof ents);
  memset(names, 0x11, sizeof names);
  tw_hdirent ents0[4];
  memcpy(ents0, ents, sizeof ents);
#define READDIR(cap) tw_hc_readdir(hc, 3, 0, ents, 2, names, cap, &ne)

  const char *slash[] = {"a/b"}, *nul[] = {"a\0b"}, *empty[] = {""};
  const uint32_t three[] = {3}, zero[] = {0};
  dirents_reply(L, 1, slash, three, 1);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  dirents_reply(L, 1, nul, three, 1);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  dirents_reply(L, 1, empty, zero, 1);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* a name longer than a component may be */
  static char longname[TW_HC_MAX_NAME + 1];
  memset(longname, 'n', sizeof longname);
  const char *lng[] = {longname};
  const uint32_t lnl[] = {TW_HC_MAX_NAME + 1};
  dirents_reply(L, 1, lng, lnl, 1);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* names that together exceed the capacity asked for */
  const char *two[] = {longname, longname};
  const uint32_t l200[] = {200, 200};
  dirents_reply(L, 2, two, l200, 2);
  VIOLATES(hc, "readdir", READDIR(TW_HC_MAX_NAME));
  assert_int_equal(L->last.a[3], TW_HC_MAX_NAME);
  /* more entries than asked (2) */
  const char *abc[] = {"a", "b", "c"};
  const uint32_t ones[] = {1, 1, 1};
  dirents_reply(L, 3, abc, ones, 3);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* a count that disagrees with the payload, both ways */
  dirents_reply(L, 2, abc, ones, 1);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  dirents_reply(L, 1, abc, ones, 2);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* namelen pointing past the payload */
  dirents_reply(L, 1, abc, ones, 1);
  tw_hcw_put32(L->payload + 16, 1000);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* namelen near 2^32 (offset arithmetic must not wrap) */
  dirents_reply(L, 1, abc, ones, 1);
  tw_hcw_put32(L->payload + 16, UINT32_MAX);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* a next cookie of 0 (would restart the directory forever) */
  dirents_reply(L, 1, abc, ones, 1);
  tw_hcw_put64(L->payload, 0);
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* an unknown file type; reserved bytes */
  dirents_reply(L, 1, abc, ones, 1);
  L->payload[20] = 8;
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  dirents_reply(L, 1, abc, ones, 1);
  L->payload[22] = 1;
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  /* a truncated header */
  dirents_reply(L, 1, abc, ones, 1);
  L->rep.len = TW_HCW_DIRENT_HDR - 4;
  VIOLATES(hc, "readdir", READDIR(sizeof names));
  assert_memory_equal(ents, ents0, sizeof ents);
  assert_true(all_bytes(names, sizeof names, 0x11));
  assert_int_equal(ne, 77);
  /* a capacity below one name is refused before the host */
  unsigned calls = L->calls;
  assert_int_equal(READDIR(TW_HC_MAX_NAME - 1), TW_HE_INVAL);
  assert_int_equal(L->calls, calls);
#undef READDIR
  tw_hc_free(hc);
  free(L);
}

/* ---- poll ------------------------------------------------------------- */

static void poll_reply(liar *L, size_t nres, uint64_t nready,
                       uint8_t revents0) {
  memset(L->payload, 0, nres * TW_HCW_POLLR + 1);
  if (nres) L->payload[0] = revents0;
  memset(&L->rep, 0, sizeof L->rep);
  L->rep.r[0] = nready;
  L->rep.len = (uint32_t)(nres * TW_HCW_POLLR);
  L->plen = nres * TW_HCW_POLLR;
  L->rc = 0;
}

static void test_poll(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  tw_hpoll fds[2] = {{3, TW_HPOLL_READ, 0x55, 0x55},
                     {4, TW_HPOLL_READ, 0x55, 0x55}};
  size_t ready = 99;
  poll_reply(L, 3, 1, TW_HPOLL_READ); /* results for three entries */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  assert_int_equal(L->last_cap, 2 * TW_HCW_POLLR);
  poll_reply(L, 1, 1, TW_HPOLL_READ); /* for one */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 0, 0, 0); /* for none */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 2, 2, TW_HPOLL_READ); /* nready says 2, one is ready */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 2, 3, TW_HPOLL_READ); /* more ready than asked */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 2, 1, TW_HPOLL_WRITE); /* an event nobody asked for */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 2, 1, 0x80); /* an unknown event bit */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  poll_reply(L, 2, 0, 0);
  L->payload[TW_HCW_POLLR + 3] = 1; /* reserved */
  VIOLATES(hc, "poll", tw_hc_poll(hc, fds, 2, 0, &ready));
  assert_int_equal(fds[0].revents, 0x55);
  assert_int_equal(fds[1].nbytes, 0x55);
  assert_int_equal(ready, 99);
  /* HUP and ERR may always be reported */
  poll_reply(L, 2, 1, TW_HPOLL_HUP | TW_HPOLL_ERR);
  assert_int_equal(tw_hc_poll(hc, fds, 2, 0, &ready), TW_HE_OK);
  assert_int_equal(ready, 1);
  assert_int_equal(fds[0].revents, TW_HPOLL_HUP | TW_HPOLL_ERR);
  /* requests the stub refuses: too many entries, a handle not held */
  unsigned calls = L->calls;
  tw_hpoll many[TW_HC_MAX_POLL + 1];
  memset(many, 0, sizeof many);
  for (size_t i = 0; i < TW_HC_MAX_POLL + 1; i++) many[i].handle = 3;
  assert_int_equal(tw_hc_poll(hc, many, TW_HC_MAX_POLL + 1, 0, &ready),
                   TW_HE_INVAL);
  fds[1].handle = 9;
  assert_int_equal(tw_hc_poll(hc, fds, 2, 0, &ready), TW_HE_BADF);
  assert_int_equal(L->calls, calls);
  tw_hc_free(hc);
  free(L);
}

/* ---- ranges and flags ------------------------------------------------- */

static void test_ranges(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint64_t pos = 42, ns = 42;
  uint32_t flags = 42;
  char link[TW_HC_MAX_PATH];
  size_t n = 42;
  memset(link, 0x11, sizeof link);

  liar_say(L, 0, (uint64_t)INT64_MAX + 1, 0, 0, 0, 0);
  VIOLATES(hc, "seek", tw_hc_seek(hc, 3, 0, 1, &pos));
  liar_say(L, 0, 1u << 5, 0, 0, 0, 0);
  VIOLATES(hc, "fcntl_getfl", tw_hc_fcntl_getfl(hc, 3, &flags));
  liar_say(L, 0, 0, 0, 0, 0, 0);
  VIOLATES(hc, "clock_res", tw_hc_clock_res(hc, 1, &ns));
  liar_say(L, 0, 1000000001, 0, 0, 0, 0);
  VIOLATES(hc, "clock_res", tw_hc_clock_res(hc, 1, &ns));
  liar_say(L, 0, 0, 0, 0, 0, 0); /* an empty symlink target */
  VIOLATES(hc, "readlink_at", tw_hc_readlink_at(hc, 3, "l", 1, link, &n));
  liar_say(L, 0, TW_HC_MAX_PATH + 1, 0, TW_HC_MAX_PATH + 1, 0xAB,
           TW_HC_MAX_PATH + 1);
  VIOLATES(hc, "readlink_at", tw_hc_readlink_at(hc, 3, "l", 1, link, &n));
  liar_say(L, 0, 10, 0, 12, 0xAB, 12);
  VIOLATES(hc, "readlink_at", tw_hc_readlink_at(hc, 3, "l", 1, link, &n));
  assert_int_equal(pos, 42);
  assert_int_equal(flags, 42);
  assert_int_equal(ns, 42);
  assert_int_equal(n, 42);
  assert_true(all_bytes(link, sizeof link, 0x11));
  /* the limits themselves are fine */
  liar_say(L, 0, INT64_MAX, 0, 0, 0, 0);
  assert_int_equal(tw_hc_seek(hc, 3, 0, 2, &pos), TW_HE_OK);
  assert_int_equal(pos, INT64_MAX);
  liar_say(L, 0, TW_HC_MAX_PATH, 0, TW_HC_MAX_PATH, 'z', TW_HC_MAX_PATH);
  assert_int_equal(tw_hc_readlink_at(hc, 3, "l", 1, link, &n), TW_HE_OK);
  assert_int_equal(n, TW_HC_MAX_PATH);
  assert_true(all_bytes(link, sizeof link, 'z'));
  tw_hc_free(hc);
  free(L);
}

/* ---- the channel, the version, requests that never leave -------------- */

static void test_channel(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  uint8_t buf[8];
  size_t n = 3;

  liar_say(L, 0, 0, 0, 0, 0, 0);
  L->rc = -1;
  VIOLATES(hc, "fsync", tw_hc_fsync(hc, 3));
  liar_say(L, 0, 4, 0, 4, 0xAB, 4); /* a good reply, a failed channel */
  L->rc = -1;
  VIOLATES(hc, "read", tw_hc_read(hc, 3, buf, 8, &n));
  assert_int_equal(n, 3);

  /* an interface of another version is never called */
  tw_host_iface v2 = {TW_HC_VERSION + 1, L, liar_call};
  tw_hc_set_iface(hc, &v2);
  unsigned calls = L->calls;
  liar_say(L, 0, 0, 0, 0, 0, 0);
  VIOLATES(hc, "fsync", tw_hc_fsync(hc, 3));
  tw_host_iface none = {TW_HC_VERSION, L, NULL};
  tw_hc_set_iface(hc, &none);
  VIOLATES(hc, "fsync", tw_hc_fsync(hc, 3));
  assert_int_equal(L->calls, calls);
  tw_host_iface ok = liar_iface(L);
  tw_hc_set_iface(hc, &ok);
  assert_int_equal(tw_hc_fsync(hc, 3), TW_HE_OK);

  /* names that are not one component are refused before the host */
  calls = L->calls;
  uint32_t h = 0;
  assert_int_equal(tw_hc_open_at(hc, 3, "a/b", 3, 0, &h), TW_HE_INVAL);
  assert_int_equal(tw_hc_open_at(hc, 3, "", 0, 0, &h), TW_HE_INVAL);
  assert_int_equal(tw_hc_open_at(hc, 3, "a\0b", 3, 0, &h), TW_HE_INVAL);
  assert_int_equal(tw_hc_mkdir_at(hc, 3, "x", TW_HC_MAX_NAME + 1),
                   TW_HE_INVAL);
  assert_int_equal(tw_hc_rename_at(hc, 3, "a", 1, 3, "b/c", 3), TW_HE_INVAL);
  assert_int_equal(tw_hc_open_at(hc, 3, "f", 1, 1u << 20, &h), TW_HE_INVAL);
  assert_int_equal(tw_hc_seek(hc, 3, 0, 3, (uint64_t *)buf), TW_HE_INVAL);
  assert_int_equal(tw_hc_clock_get(hc, 4, (uint64_t *)buf), TW_HE_INVAL);
  assert_int_equal(L->calls, calls);
  assert_int_equal(tw_hc_calls(hc), 5); /* refused requests do not count */
  tw_hc_free(hc);
  free(L);
}

/* ---- random junk at every stub ---------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Du;
}

static uint64_t rnd_value(void) {
  switch (rnd() % 5) {
  case 0: return 0;
  case 1: return rnd() % 8;
  case 2: return rnd() % 80;
  case 3: return rnd() % 5000;
  default: return rnd();
  }
}

static void junk(liar *L) {
  memset(&L->rep, 0, sizeof L->rep);
  unsigned k = (unsigned)(rnd() % 4);
  L->rep.err = k < 2 ? 0 : k == 2 ? (uint32_t)(rnd() % 80)
                                  : (uint32_t)rnd();
  for (unsigned i = 0; i < 4; i++)
    if (rnd() % 3 == 0) L->rep.r[i] = rnd_value();
  L->plen = (size_t)(rnd() % 300);
  if (rnd() % 8 == 0) L->plen = TW_HCW_STAT;
  for (size_t i = 0; i < L->plen; i++)
    L->payload[i] = (uint8_t)(rnd() % 4 ? rnd() % 8 : rnd());
  L->rep.len = rnd() % 4 ? (uint32_t)L->plen : (uint32_t)rnd_value();
  if (rnd() % 4 == 0) L->rep.len = (uint32_t)L->rep.r[0];
  L->rc = rnd() % 50 == 0 ? -1 : 0;
}

#define NSTUBS 34

/* Call stub `which` with outputs in *o (pre-filled with 0x5A). */
typedef struct outs {
  uint8_t buf[512];
  size_t n;
  uint32_t u32;
  uint64_t u64;
  tw_hstat st;
  tw_hdirent ents[4];
  char names[TW_HC_MAX_PATH];
  tw_hpoll fds[2];
} outs;

static tw_herr call_stub(tw_hc *hc, int which, outs *o, size_t *asked) {
  *asked = 0;
  switch (which) {
  case 0: return tw_hc_open_at(hc, 3, "f", 1, TW_HO_READ, &o->u32);
  case 1: return tw_hc_fsync(hc, 3);
  case 2: *asked = 40; return tw_hc_read(hc, 3, o->buf, 40, &o->n);
  case 3: *asked = 40; return tw_hc_pread(hc, 3, 7, o->buf, 40, &o->n);
  case 4: *asked = 5; return tw_hc_write(hc, 3, "hello", 5, &o->n);
  case 5: *asked = 5; return tw_hc_pwrite(hc, 3, 1, "hello", 5, &o->n);
  case 6: return tw_hc_seek(hc, 3, -1, 1, &o->u64);
  case 7: return tw_hc_fstat(hc, 3, &o->st);
  case 8: return tw_hc_stat_at(hc, 3, "s", 1, false, &o->st);
  case 9: return tw_hc_fcntl_getfl(hc, 3, &o->u32);
  case 10: return tw_hc_fcntl_setfl(hc, 3, TW_HFL_APPEND);
  case 11: return tw_hc_ftruncate(hc, 3, 10);
  case 12: return tw_hc_fdatasync(hc, 3);
  case 13: return tw_hc_fallocate(hc, 3, 0, 10);
  case 14: return tw_hc_fadvise(hc, 3, 0, 10, 1);
  case 15: return tw_hc_futimens(hc, 3, 1, 2, TW_HT_ATIM | TW_HT_MTIM);
  case 16: return tw_hc_utimens_at(hc, 3, "u", 1, true, 1, 2, TW_HT_ATIM);
  case 17: return tw_hc_mkdir_at(hc, 3, "d", 1);
  case 18: return tw_hc_unlink_at(hc, 3, "d", 1, true);
  case 19: return tw_hc_rename_at(hc, 3, "a", 1, 4, "b", 1);
  case 20: return tw_hc_link_at(hc, 3, "a", 1, 4, "b", 1);
  case 21: return tw_hc_symlink_at(hc, "../t", 4, 3, "l", 1);
  case 22: return tw_hc_readlink_at(hc, 3, "l", 1, o->names, &o->n);
  case 23:
    *asked = 4;
    return tw_hc_readdir(hc, 3, 0, o->ents, 4, o->names, sizeof o->names,
                         &o->n);
  case 24: return tw_hc_clock_get(hc, 1, &o->u64);
  case 25: return tw_hc_clock_res(hc, 0, &o->u64);
  case 26:
    o->fds[0] = (tw_hpoll){3, TW_HPOLL_READ, 0x5A, 0x5A5A5A5A5A5A5A5Au};
    o->fds[1] = (tw_hpoll){4, TW_HPOLL_WRITE, 0x5A, 0x5A5A5A5A5A5A5A5Au};
    *asked = 2;
    return tw_hc_poll(hc, o->fds, 2, 1000, &o->n);
  case 27: return tw_hc_sock_accept(hc, 3, 0, &o->u32);
  case 28:
    *asked = 40;
    return tw_hc_sock_recv(hc, 3, o->buf, 40, 1, &o->n, &o->u32);
  case 29: *asked = 5; return tw_hc_sock_send(hc, 3, "hello", 5, 0, &o->n);
  case 30: return tw_hc_sock_shutdown(hc, 3, 3);
  case 31: return tw_hc_sched_yield(hc);
  case 32: return tw_hc_lock(hc, 3, 2);
  default: return tw_hc_unlink_at(hc, 4, "f", 1, false);
  }
}

static void test_random_liar(void **state) {
  (void)state;
  liar *L = liar_new();
  tw_hc *hc = hc_over(L);
  outs *o = malloc(sizeof *o), *fresh = malloc(sizeof *fresh);
  assert_non_null(o);
  assert_non_null(fresh);
  memset(fresh, 0x5A, sizeof *fresh);
  uint64_t expect_violations = 0, oks = 0, errnos = 0;
  for (int iter = 0; iter < 600; iter++) {
    for (int which = 0; which < NSTUBS; which++) {
      memcpy(o, fresh, sizeof *o);
      junk(L);
      size_t asked;
      uint64_t v0 = tw_hc_violations(hc);
      tw_herr e = call_stub(hc, which, o, &asked);
      if (e == TW_HE_HOST) {
        expect_violations++;
        assert_int_equal(tw_hc_violations(hc), v0 + 1);
        /* the poll entries' inputs were rewritten by call_stub, so
         * compare the outputs only */
        if (which == 26) {
          assert_int_equal(o->fds[0].revents, 0x5A);
          assert_int_equal(o->fds[1].nbytes, 0x5A5A5A5A5A5A5A5Au);
          o->fds[0] = fresh->fds[0];
          o->fds[1] = fresh->fds[1];
        }
        assert_memory_equal(o, fresh, sizeof *o);
        continue;
      }
      assert_int_equal(tw_hc_violations(hc), v0);
      if (e != TW_HE_OK) {
        assert_in_range(e, 1, TW_HE_HOST_MAX);
        errnos++;
        if (which != 26) assert_memory_equal(o, fresh, sizeof *o);
        continue;
      }
      oks++;
      if (asked) assert_true(o->n <= asked);
      if (which == 0 || which == 27) { /* a new handle: give it back */
        assert_true(tw_hc_holds(hc, o->u32));
        assert_true(o->u32 != 3 && o->u32 != 4);
        tw_hc_close(hc, o->u32);
      }
      if (which == 7 || which == 8) assert_true(o->st.type <= TW_HFT_SYMLINK);
      if (which == 22) assert_in_range(o->n, 1, TW_HC_MAX_PATH);
      if (which == 26) assert_true(o->fds[1].revents == 0 ||
                                   (o->fds[1].revents & ~(TW_HPOLL_WRITE |
                                                          TW_HPOLL_HUP |
                                                          TW_HPOLL_ERR)) == 0);
    }
  }
  /* the junk must have exercised every outcome */
  assert_true(expect_violations > 1000);
  assert_true(oks > 100);
  assert_true(errnos > 100);
  assert_true(tw_hc_holds(hc, 3) && tw_hc_holds(hc, 4));
  free(o);
  free(fresh);
  tw_hc_free(hc);
  free(L);
}

/* ---- end to end: a WASI command over a host that starts lying --------- */

/*
 * (module
 *   (import "wasi_snapshot_preview1" "fd_read"
 *     (func $fd_read (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_write"
 *     (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "path_open"
 *     (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32)
 *                      (result i32)))
 *   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 *   (import "test" "swap" (func $swap))
 *   (memory (export "memory") 1)
 *   (data (i32.const 64) "data.txt")
 *   (func $iov
 *     (i32.store (i32.const 0) (i32.const 256))
 *     (i32.store (i32.const 4) (i32.const 32)))
 *   (func $open (param $dir i32) (result i32)
 *     (call $path_open (local.get $dir) (i32.const 0) (i32.const 64)
 *       (i32.const 8) (i32.const 0) (i64.const 0x42) (i64.const 0)
 *       (i32.const 0) (i32.const 12)))
 *   (func $read (param $fd i32) (result i32)
 *     (call $iov)
 *     (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1)
 *       (i32.const 8)))
 *   (func $write (param $fd i32) (result i32)
 *     (call $iov)
 *     (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1)
 *       (i32.const 8)))
 *   (func (export "_start")
 *     (i32.store (i32.const 16) (call $open (i32.const 3)))
 *     (i32.store (i32.const 20) (call $read (i32.load (i32.const 12))))
 *     (call $swap)
 *     (i32.store (i32.const 24) (call $read (i32.load (i32.const 12))))
 *     (i32.store (i32.const 28) (call $write (i32.load (i32.const 12))))
 *     (i32.store (i32.const 32) (call $open (i32.const 3)))
 *     (i32.store (i32.const 36) (call $read (i32.const 0)))
 *     (call $exit (i32.const 7))))
 *
 * Memory: iovec at 0 (buffer 256, 32 bytes), count at 8, the opened fd at
 * 12, errnos at 16 (open), 20 (read), 24 (read), 28 (write), 32 (open),
 * 36 (read stdin).
 */
static const uint8_t WASM_E2E[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x22, 0x05, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x09, 0x7f, 0x7f, 0x7f,
    0x7f, 0x7f, 0x7e, 0x7e, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00,
    0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x96, 0x01, 0x05,
    0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68,
    0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x07,
    0x66, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x64, 0x00, 0x00, 0x16, 0x77, 0x61,
    0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f,
    0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x08, 0x66, 0x64, 0x5f,
    0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69,
    0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
    0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x61, 0x74, 0x68, 0x5f,
    0x6f, 0x70, 0x65, 0x6e, 0x00, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f,
    0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65,
    0x76, 0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65,
    0x78, 0x69, 0x74, 0x00, 0x02, 0x04, 0x74, 0x65, 0x73, 0x74, 0x04, 0x73,
    0x77, 0x61, 0x70, 0x00, 0x03, 0x03, 0x06, 0x05, 0x03, 0x04, 0x04, 0x04,
    0x03, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72,
    0x74, 0x00, 0x09, 0x0a, 0x92, 0x01, 0x05, 0x11, 0x00, 0x41, 0x00, 0x41,
    0x80, 0x02, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x20, 0x36, 0x02, 0x00,
    0x0b, 0x18, 0x00, 0x20, 0x00, 0x41, 0x00, 0x41, 0xc0, 0x00, 0x41, 0x08,
    0x41, 0x00, 0x42, 0xc2, 0x00, 0x42, 0x00, 0x41, 0x00, 0x41, 0x0c, 0x10,
    0x02, 0x0b, 0x0e, 0x00, 0x10, 0x05, 0x20, 0x00, 0x41, 0x00, 0x41, 0x01,
    0x41, 0x08, 0x10, 0x00, 0x0b, 0x0e, 0x00, 0x10, 0x05, 0x20, 0x00, 0x41,
    0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x01, 0x0b, 0x47, 0x00, 0x41, 0x10,
    0x41, 0x03, 0x10, 0x06, 0x36, 0x02, 0x00, 0x41, 0x14, 0x41, 0x0c, 0x28,
    0x02, 0x00, 0x10, 0x07, 0x36, 0x02, 0x00, 0x10, 0x04, 0x41, 0x18, 0x41,
    0x0c, 0x28, 0x02, 0x00, 0x10, 0x07, 0x36, 0x02, 0x00, 0x41, 0x1c, 0x41,
    0x0c, 0x28, 0x02, 0x00, 0x10, 0x08, 0x36, 0x02, 0x00, 0x41, 0x20, 0x41,
    0x03, 0x10, 0x06, 0x36, 0x02, 0x00, 0x41, 0x24, 0x41, 0x00, 0x10, 0x07,
    0x36, 0x02, 0x00, 0x41, 0x07, 0x10, 0x03, 0x0b, 0x0b, 0x0f, 0x01, 0x00,
    0x41, 0xc0, 0x00, 0x0b, 0x08, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x74, 0x78,
    0x74,
};

#define FILE_TEXT "the host told the truth, once.\n" /* 31 bytes */

/* A scratch directory with data.txt in it. */
static void make_dir(char *dir, size_t cap) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, cap, "%s/twine_hc_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  assert_non_null(mkdtemp(dir));
  char path[512];
  snprintf(path, sizeof path, "%s/data.txt", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(FILE_TEXT, f);
  fclose(f);
}

static void remove_dir(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/data.txt", dir);
  unlink(path);
  rmdir(dir);
}

/* The liar of the end-to-end run: every call lies in its own way, except
 * close (forwarded, so the real host's descriptors are released). */
typedef struct e2e_liar {
  const tw_host_iface *real;
  tw_hc *hc;         /* to pick a handle the trusted side already holds */
  unsigned lies;
} e2e_liar;

static int e2e_call(void *ctx, const tw_hc_req *q, const uint8_t *qp,
                    tw_hc_rep *rep, uint8_t *out, size_t cap) {
  e2e_liar *E = ctx;
  if (q->call == TW_HCN_close)
    return E->real->call(E->real->ctx, q, qp, rep, out, cap);
  E->lies++;
  memset(rep, 0, sizeof *rep);
  switch (q->call) {
  case TW_HCN_read:
  case TW_HCN_pread: /* more than asked, and garbage to go with it */
    rep->r[0] = q->a[q->call == TW_HCN_read ? 1 : 2] + 16;
    rep->len = (uint32_t)rep->r[0];
    memset(out, 0xAB, rep->len <= cap ? rep->len : cap);
    break;
  case TW_HCN_write:
    rep->r[0] = q->len + 1;
    break;
  case TW_HCN_open_at: /* a handle already in use */
    rep->r[0] = q->a[0];
    break;
  case TW_HCN_fstat:
  case TW_HCN_stat_at: {
    tw_hstat st = {1, 1, TW_HFT_REG, 1, 0, 0, 0, 0};
    tw_hcw_put_stat(out, &st);
    out[56] = 99; /* no such file type */
    rep->len = TW_HCW_STAT;
    break;
  }
  default:
    rep->err = 0x7777;
    break;
  }
  return 0;
}

typedef struct swap_env {
  tw_hc *hc;
  tw_host_iface to;
  int swaps;
} swap_env;

static twine_status_t swap_cb(twine_caller_t *caller, void *env,
                              const twine_val_t *args, twine_val_t *results) {
  (void)caller;
  (void)args;
  (void)results;
  swap_env *s = env;
  if (s->hc) tw_hc_set_iface(s->hc, &s->to);
  s->swaps++;
  return TWINE_OK;
}

typedef struct e2e {
  twine_engine_t *engine;
  twine_module_t *mod;
  twine_store_t *store;
  twine_linker_t *linker;
  twine_instance_t *inst;
  swap_env swap;
} e2e;

/* Engine, module, store, linker with "test" "swap" defined. */
static void e2e_open(e2e *t) {
  memset(t, 0, sizeof *t);
  twine_config_t cfg;
  twine_config_default(&cfg);
  assert_int_equal(twine_engine_new(&cfg, &t->engine), TWINE_OK);
  twine_error_t err;
  assert_int_equal(twine_module_new(t->engine, WASM_E2E, sizeof WASM_E2E,
                                    &t->mod, &err),
                   TWINE_OK);
  assert_int_equal(twine_store_new(t->engine, &t->store), TWINE_OK);
  assert_int_equal(twine_linker_new(t->store, &t->linker), TWINE_OK);
  twine_functype_t ft = {0, NULL, 0, NULL};
  twine_func_t *f;
  assert_int_equal(
      twine_func_new_host(t->store, &ft, swap_cb, &t->swap, NULL, &f),
      TWINE_OK);
  twine_extern_t ext = {.kind = TWINE_EXTERN_FUNC, .of.func = f};
  assert_int_equal(twine_linker_define(t->linker, "test", 4, "swap", 4, ext),
                   TWINE_OK);
}

static void e2e_instantiate(e2e *t) {
  twine_error_t err;
  twine_trap_t trap;
  assert_int_equal(twine_linker_instantiate(t->linker, t->mod, &t->inst,
                                            &err, &trap),
                   TWINE_OK);
}

static uint8_t *e2e_mem(e2e *t) {
  twine_extern_t m;
  assert_int_equal(twine_instance_export(t->inst, "memory", 6, &m), TWINE_OK);
  assert_int_equal(m.kind, TWINE_EXTERN_MEMORY);
  return twine_memory_data(m.of.memory);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void e2e_close(e2e *t) {
  twine_linker_free(t->linker);
  twine_store_free(t->store);
  twine_module_free(t->mod);
  twine_engine_free(t->engine);
}

/* Over the real POSIX host, then a liar swapped in by the guest's call to
 * test.swap: the first open and read succeed, everything after is EIO and
 * leaves guest memory as it was. */
static void test_e2e_swap_mid_run(void **state) {
  (void)state;
  char dir[256];
  make_dir(dir, sizeof dir);
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  assert_int_equal(write(pfd[1], "stdin", 5), 5);

  tw_host_posix *host = tw_host_posix_new();
  assert_non_null(host);
  tw_host_iface real = tw_host_posix_iface(host);
  uint32_t hin, hdir;
  char msg[200];
  assert_int_equal(tw_host_posix_add_fd(host, pfd[0], &hin, msg, sizeof msg),
                   0);
  assert_int_equal(tw_host_posix_open_dir(host, dir, &hdir, msg, sizeof msg),
                   0);
  tw_wasi_preopen pre = {TW_WASI_PRE_DIR, hdir, "/sandbox"};
  const char *argv[] = {"e2e"};
  tw_wasi_setup s;
  memset(&s, 0, sizeof s);
  s.iface = &real;
  s.argc = 1;
  s.argv = argv;
  s.stdio_open[0] = true;
  s.stdio[0] = hin;
  s.npreopens = 1;
  s.preopens = &pre;
  tw_wasi *w = NULL;
  tw_err err;
  assert_int_equal(tw_wasi_new(&s, &w, &err), TWINE_OK);
  tw_hc *hc = tw_wasi_boundary(w);
  assert_non_null(hc);

  e2e t;
  e2e_open(&t);
  e2e_liar E = {&real, hc, 0};
  t.swap.hc = hc;
  t.swap.to = (tw_host_iface){TW_HC_VERSION, &E, e2e_call};
  assert_int_equal(tw_wasi_define(w, t.store, t.linker), TWINE_OK);
  e2e_instantiate(&t);
  uint8_t *m = e2e_mem(&t);
  memset(m + 256, 0xEE, 64); /* the read buffer, before anything */

  twine_extern_t start;
  assert_int_equal(twine_instance_export(t.inst, "_start", 6, &start),
                   TWINE_OK);
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  assert_int_equal(twine_func_call(start.of.func, NULL, 0, NULL, 0, &trap),
                   TWINE_ERR_EXIT);
  assert_int_equal(trap.exit_code, 7);
  assert_int_equal(t.swap.swaps, 1);
  m = e2e_mem(&t);
  /* before the swap: the real host */
  assert_int_equal(rd32(m + 16), 0);  /* path_open */
  assert_int_equal(rd32(m + 20), 0);  /* fd_read */
  assert_int_equal(rd32(m + 12), 1);  /* the lowest free fd (1, 2 closed) */
  assert_int_equal(rd32(m + 8), 31);  /* bytes read */
  assert_memory_equal(m + 256, FILE_TEXT, 31);
  /* after: EIO, and nothing of the liar's in guest memory */
  assert_int_equal(rd32(m + 24), 29); /* fd_read */
  assert_int_equal(rd32(m + 28), 29); /* fd_write */
  assert_int_equal(rd32(m + 32), 29); /* path_open */
  assert_int_equal(rd32(m + 36), 29); /* fd_read on stdin */
  assert_int_equal(rd32(m + 8), 31);  /* the count was not overwritten */
  assert_memory_equal(m + 256, FILE_TEXT, 31);
  assert_true(all_bytes(m + 256 + 31, 64 - 31, 0xEE));
  assert_true(E.lies >= 4);
  assert_true(tw_hc_violations(hc) >= 4);

  /* the file on disk is untouched by the lying write */
  char path[512], back[64];
  snprintf(path, sizeof path, "%s/data.txt", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t got = fread(back, 1, sizeof back, f);
  fclose(f);
  assert_int_equal(got, 31);

  /* back to the truth: the boundary works again (a second run opens fd
   * 2 and reads the file from the start, then meets the liar again) */
  tw_hc_set_iface(hc, &real);
  memset(m + 256, 0xEE, 64);
  assert_int_equal(twine_func_call(start.of.func, NULL, 0, NULL, 0, &trap),
                   TWINE_ERR_EXIT);
  m = e2e_mem(&t);
  assert_int_equal(rd32(m + 16), 0);
  assert_int_equal(rd32(m + 20), 0);
  assert_int_equal(rd32(m + 12), 2);
  assert_memory_equal(m + 256, FILE_TEXT, 31);
  assert_int_equal(rd32(m + 24), 29);
  e2e_close(&t);
  tw_wasi_free(w);
  tw_host_posix_free(host);
  close(pfd[0]);
  close(pfd[1]);
  remove_dir(dir);
}

/* A host that lies from the start: a preopened directory it describes
 * with a bogus stat is refused at setup; stdio with bogus stats is
 * adopted as unknown and every read is EIO. */
static void test_e2e_lying_from_start(void **state) {
  (void)state;
  e2e_liar E = {NULL, NULL, 0};
  tw_host_iface lie = {TW_HC_VERSION, &E, e2e_call};
  /* close is forwarded to a host that answers every call with an empty
   * success (a liar that lies on no call number) */
  liar *closer = liar_new();
  closer->only = UINT32_MAX;
  tw_host_iface zeros = liar_iface(closer);
  E.real = &zeros;

  tw_wasi_preopen pre = {TW_WASI_PRE_DIR, 5, "/sandbox"};
  tw_wasi_setup s;
  memset(&s, 0, sizeof s);
  s.iface = &lie;
  s.npreopens = 1;
  s.preopens = &pre;
  tw_wasi *w = NULL;
  tw_err err;
  memset(&err, 0, sizeof err);
  assert_int_equal(tw_wasi_new(&s, &w, &err), TWINE_ERR_IO);
  assert_null(w);
  assert_non_null(strstr(err.msg, "/sandbox"));

  s.npreopens = 0;
  s.stdio_open[0] = s.stdio_open[1] = true;
  s.stdio[0] = 0;
  s.stdio[1] = 1;
  assert_int_equal(tw_wasi_new(&s, &w, &err), TWINE_OK);
  e2e t;
  e2e_open(&t);
  assert_int_equal(tw_wasi_define(w, t.store, t.linker), TWINE_OK);
  e2e_instantiate(&t);
  uint8_t *m = e2e_mem(&t);
  memset(m + 256, 0xEE, 64);
  twine_extern_t start;
  assert_int_equal(twine_instance_export(t.inst, "_start", 6, &start),
                   TWINE_OK);
  twine_trap_t trap;
  assert_int_equal(twine_func_call(start.of.func, NULL, 0, NULL, 0, &trap),
                   TWINE_ERR_EXIT);
  assert_int_equal(trap.exit_code, 7);
  m = e2e_mem(&t);
  assert_int_equal(rd32(m + 16), 8);  /* no fd 3: EBADF, no host call */
  assert_int_equal(rd32(m + 36), 29); /* stdin: EIO */
  assert_true(all_bytes(m + 256, 64, 0xEE));
  assert_true(tw_hc_violations(tw_wasi_boundary(w)) >= 1);
  e2e_close(&t);
  tw_wasi_free(w);
  free(closer);
}

/* ---- the public launcher (include/twine/wasi.h) ----------------------- */

static void test_launcher_config(void **state) {
  (void)state;
  twine_wasi_config_t *c = NULL;
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(twine_wasi_config_env(c, "A=1"), TWINE_OK);
  assert_int_equal(twine_wasi_config_env(c, "A=2"), TWINE_OK); /* replaces */
  assert_int_equal(twine_wasi_config_env(c, "AB=3"), TWINE_OK);
  assert_int_equal(twine_wasi_config_env(c, "EMPTY="), TWINE_OK);
  assert_int_equal(twine_wasi_config_env(c, "novalue"), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_env(c, "=x"), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_env(c, NULL), TWINE_ERR_ARG);
  const char *argv[] = {"prog", NULL};
  assert_int_equal(twine_wasi_config_args(c, 2, argv), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_args(c, 1, NULL), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_args(c, 1, argv), TWINE_OK);
  assert_int_equal(twine_wasi_config_preopen_dir(c, "", "/x"), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_dir(c, "/tmp", ""),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "nohost"),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, ":80"),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "h:"),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "h:65536"),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "h:8x"),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_stdio(c, 0, -2, 2), TWINE_ERR_ARG);
  assert_int_equal(twine_wasi_config_stdio(c, -1, -1, -1), TWINE_OK);
  twine_wasi_config_free(c);
  twine_wasi_config_free(NULL);
  twine_wasi_free(NULL);
}

static void test_launcher_errors(void **state) {
  (void)state;
  twine_config_t ecfg;
  twine_config_default(&ecfg);
  twine_engine_t *engine;
  twine_store_t *store;
  assert_int_equal(twine_engine_new(&ecfg, &engine), TWINE_OK);
  assert_int_equal(twine_store_new(engine, &store), TWINE_OK);
  twine_wasi_config_t *c;
  twine_wasi_t *w = NULL;
  twine_error_t err;

  /* a missing directory is named */
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(
      twine_wasi_config_preopen_dir(c, "/nonexistent/twine-dir", "/d"),
      TWINE_OK);
  memset(&err, 0, sizeof err);
  assert_int_equal(twine_wasi_new(store, c, &w, &err), TWINE_ERR_IO);
  assert_null(w);
  assert_non_null(strstr(err.message, "/nonexistent/twine-dir"));
  twine_wasi_config_free(c);

  /* a file is not a directory */
  char dir[256], file[512];
  make_dir(dir, sizeof dir);
  snprintf(file, sizeof file, "%s/data.txt", dir);
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(twine_wasi_config_preopen_dir(c, file, "/d"), TWINE_OK);
  assert_int_equal(twine_wasi_new(store, c, &w, &err), TWINE_ERR_IO);
  assert_non_null(strstr(err.message, "data.txt"));
  twine_wasi_config_free(c);

  /* a chosen stdio descriptor that is not open */
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(twine_wasi_config_stdio(c, 0, 1000, 2), TWINE_OK);
  assert_int_equal(twine_wasi_new(store, c, &w, &err), TWINE_ERR_IO);
  assert_non_null(strstr(err.message, "stdout"));
  twine_wasi_config_free(c);

  /* a listener on an address that does not exist here */
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "256.1.1.1:80"),
                   TWINE_OK);
  assert_int_equal(twine_wasi_new(store, c, &w, &err), TWINE_ERR_IO);
  assert_non_null(strstr(err.message, "256.1.1.1:80"));
  twine_wasi_config_free(c);

  assert_int_equal(twine_wasi_new(NULL, NULL, &w, &err), TWINE_ERR_ARG);
  remove_dir(dir);
  twine_store_free(store);
  twine_engine_free(engine);
}

/* The e2e module through the public API over the real host (test.swap does
 * nothing): everything succeeds and _start's proc_exit(7) is the exit code. */
static void test_launcher_run(void **state) {
  (void)state;
  char dir[256];
  make_dir(dir, sizeof dir);
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  assert_int_equal(write(pfd[1], "in", 2), 2);
  close(pfd[1]); /* stdin: "in", then the end */
  int devnull = open("/dev/null", O_WRONLY);
  assert_true(devnull >= 0);

  e2e t;
  e2e_open(&t);
  twine_wasi_config_t *c;
  assert_int_equal(twine_wasi_config_new(&c), TWINE_OK);
  assert_int_equal(twine_wasi_config_preopen_dir(c, dir, "/sandbox"),
                   TWINE_OK);
  assert_int_equal(twine_wasi_config_preopen_tcp_listen(c, "127.0.0.1:0"),
                   TWINE_OK);
  assert_int_equal(twine_wasi_config_stdio(c, pfd[0], devnull, -1), TWINE_OK);
  twine_wasi_t *w = NULL;
  twine_error_t err;
  memset(&err, 0, sizeof err);
  assert_int_equal(twine_wasi_new(t.store, c, &w, &err), TWINE_OK);
  twine_wasi_config_free(c); /* may go once the state exists */
  assert_int_equal(twine_wasi_define(w, t.linker), TWINE_OK);
  e2e_instantiate(&t);
  int code = -1;
  twine_trap_t trap;
  assert_int_equal(twine_wasi_run(w, t.inst, &code, &trap), TWINE_OK);
  assert_int_equal(code, 7);
  assert_int_equal(t.swap.swaps, 1);
  uint8_t *m = e2e_mem(&t);
  assert_int_equal(rd32(m + 16), 0);
  assert_int_equal(rd32(m + 20), 0);
  /* the first open took fd 2 (stderr closed), the second one the next
   * free after 3 (the directory) and 4 (the listener) */
  assert_int_equal(rd32(m + 12), 5);
  assert_int_equal(rd32(m + 24), 0); /* read at EOF */
  assert_int_equal(rd32(m + 28), 0); /* write */
  assert_int_equal(rd32(m + 32), 0); /* a second open */
  assert_int_equal(rd32(m + 36), 0); /* stdin: the pipe */
  assert_int_equal(rd32(m + 8), 2);
  assert_memory_equal(m + 256, "in", 2);
  /* twine_wasi_run without exit_code / trap out-parameters */
  assert_int_equal(twine_wasi_run(w, t.inst, NULL, NULL), TWINE_OK);
  twine_wasi_free(w);
  e2e_close(&t);
  close(devnull);
  close(pfd[0]);
  remove_dir(dir);
}

/* A module without _start. */
static void test_launcher_no_start(void **state) {
  (void)state;
  static const uint8_t empty[] = {0x00, 0x61, 0x73, 0x6d,
                                  0x01, 0x00, 0x00, 0x00};
  twine_config_t ecfg;
  twine_config_default(&ecfg);
  twine_engine_t *engine;
  twine_store_t *store;
  twine_module_t *mod;
  twine_instance_t *inst;
  twine_error_t err;
  twine_trap_t trap;
  assert_int_equal(twine_engine_new(&ecfg, &engine), TWINE_OK);
  assert_int_equal(twine_store_new(engine, &store), TWINE_OK);
  assert_int_equal(twine_module_new(engine, empty, sizeof empty, &mod, &err),
                   TWINE_OK);
  assert_int_equal(
      twine_instance_new(store, mod, NULL, 0, &inst, &err, &trap), TWINE_OK);
  twine_wasi_t *w = NULL;
  assert_int_equal(twine_wasi_new(store, NULL, &w, &err), TWINE_OK);
  int code = 99;
  assert_int_equal(twine_wasi_run(w, inst, &code, &trap), TWINE_ERR_NOTFOUND);
  assert_int_equal(code, 99);
  twine_wasi_free(w);
  twine_module_free(mod);
  twine_store_free(store);
  twine_engine_free(engine);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_honest),
      cmocka_unit_test(test_read_counts),
      cmocka_unit_test(test_errno),
      cmocka_unit_test(test_unused_fields),
      cmocka_unit_test(test_stat),
      cmocka_unit_test(test_new_handles),
      cmocka_unit_test(test_readdir),
      cmocka_unit_test(test_poll),
      cmocka_unit_test(test_ranges),
      cmocka_unit_test(test_channel),
      cmocka_unit_test(test_random_liar),
      cmocka_unit_test(test_e2e_swap_mid_run),
      cmocka_unit_test(test_e2e_lying_from_start),
      cmocka_unit_test(test_launcher_config),
      cmocka_unit_test(test_launcher_errors),
      cmocka_unit_test(test_launcher_run),
      cmocka_unit_test(test_launcher_no_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * pfs_tamper.c - the host tampers with protected files; every case must
 * fail closed: an error (at open or at a read), never a wrong byte. Every
 * byte a read returns is compared with the oracle of the version the test
 * expects.
 *
 * Cases: flip every byte of a small file; flip sampled bytes of each node
 * kind (header fields, root MHT, child MHT, data nodes) of a multi-MHT
 * file; truncate at header field boundaries and at node +-1; append a byte
 * or a node; swap two data nodes; swap MHT nodes; transplant a node or the
 * header from another file under the same key; copy a file onto another
 * logical path or mount; replay an older generation (PROCESS anchor ->
 * ROLLBACK, no anchor -> the old version, documented); resurrect after
 * unlink; forge, corrupt or swap journals; headers with a valid tag but
 * inconsistent fields (sealed by the test with the file's key).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "pfs/pfs_int.h"
#include "pfs_testlib.h"

#define NODE ((size_t)TW_PFS_NODE)
#define DPM ((uint64_t)TW_PFS_DPM)
#define CPM ((uint64_t)TW_PFS_CPM)

typedef struct ctx {
  memfs *fs;
  twine_pfs_explicit_key ek;
  twine_pfs_anchor *anchor;
  twine_pfs_mount *m;
} ctx;

static bool ctx_init(ctx *c, bool anchored) {
  memset(c, 0, sizeof *c);
  c->fs = memfs_new(42);
  if (anchored)
    twine_pfs_anchor_process_new(&c->anchor);
  c->m = tp_mount(memfs_ops(), c->fs, &c->ek, tp_key_a, tp_mount_a, c->anchor,
                  TWINE_PFS_DUR_COMMIT, 0);
  return c->fs && c->m;
}

static void ctx_free(ctx *c) {
  TP_CHECK(twine_pfs_mount_free(c->m) == TWINE_PFS_OK, "mount_free: files left open");
  TP_CHECK(memfs_open_handles(c->fs) == 0, "%u host handles leaked",
           memfs_open_handles(c->fs));
  twine_pfs_anchor_free(c->anchor);
  twine_pfs_explicit_key_wipe(&c->ek);
  memfs_free(c->fs);
}

/* Write `len` bytes of seeded data into a new file, close. */
static bool make_file(ctx *c, const char *host, const char *logical, size_t len,
                      uint64_t seed, uint8_t **data) {
  tp_rng r = {seed};
  uint8_t *d = malloc(len + 1);
  TP_REQUIRE(d, "oom");
  tp_fill(&r, d, len);
  twine_pfs_file *f = NULL;
  size_t n = 0;
  twine_pfs_status s = twine_pfs_open(c->m, host, logical,
                                      TWINE_PFS_RDWR | TWINE_PFS_CREAT | TWINE_PFS_TRUNC,
                                      NULL, &f);
  if (s == TWINE_PFS_OK)
    s = twine_pfs_pwrite(f, d, len, 0, &n);
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
  if (s != TWINE_PFS_OK) {
    free(d);
    TP_REQUIRE(false, "make_file %s: %s", host, TP_ST(s));
  }
  if (data)
    *data = d;
  else
    free(d);
  return true;
}

enum { R_CLEAN, R_OPEN_FAILED, R_READ_FAILED, R_WRONG };

/* Open and read everything; every returned byte must equal want[], the
 * size must equal len. */
static int read_check(ctx *c, const char *host, const char *logical, const uint8_t *want,
                      size_t len, twine_pfs_status *st, const char *what) {
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(c->m, host, logical, TWINE_PFS_RDONLY, NULL, &f);
  if (st)
    *st = s;
  if (s != TWINE_PFS_OK)
    return R_OPEN_FAILED;
  int res = R_CLEAN;
  uint64_t size = 0;
  s = twine_pfs_get_size(f, &size);
  if (s != TWINE_PFS_OK) {
    res = R_READ_FAILED;
  } else {
    /* A wrong size is wrong data unless a read then fails. */
    size_t upto = size < len ? (size_t)size : len;
    uint8_t *b = malloc(NODE);
    for (size_t off = 0; off < upto; off += NODE) {
      size_t k = upto - off < NODE ? upto - off : NODE, n = 0;
      s = twine_pfs_pread(f, b, k, off, &n);
      if (s != TWINE_PFS_OK) {
        res = R_READ_FAILED;
        continue; /* the rest must still be right or fail */
      }
      if (n != k || memcmp(b, want + off, k) != 0) {
        tp_fail(__FILE__, __LINE__, "%s: pread(%zu, %zu) returned WRONG BYTES", what, off,
                k);
        res = R_WRONG;
        break;
      }
    }
    free(b);
    if (res == R_CLEAN && size != len) {
      tp_fail(__FILE__, __LINE__, "%s: reads succeed with size %llu, want %zu", what,
              (unsigned long long)size, len);
      res = R_WRONG;
    }
  }
  if (st && res == R_READ_FAILED)
    *st = twine_pfs_error(f) != TWINE_PFS_OK ? twine_pfs_error(f) : s;
  twine_pfs_close(f);
  /* Again on a fresh open, in one large pread (whole nodes bypass the
   * cache and are decrypted straight into the caller's buffer): it may
   * fail, but what it returns must be right. */
  twine_pfs_file *g = NULL;
  if (res != R_WRONG &&
      twine_pfs_open(c->m, host, logical, TWINE_PFS_RDONLY, NULL, &g) == TWINE_PFS_OK) {
    uint64_t gs = 0;
    if (twine_pfs_get_size(g, &gs) == TWINE_PFS_OK && gs <= 64u * 1024 * 1024) {
      uint8_t *big = malloc((size_t)gs + 1);
      size_t n = 0;
      if (twine_pfs_pread(g, big, (size_t)gs, 0, &n) == TWINE_PFS_OK &&
          (gs != len || n != len || memcmp(big, want, len) != 0)) {
        tp_fail(__FILE__, __LINE__, "%s: one large pread returned WRONG BYTES", what);
        res = R_WRONG;
      }
      free(big);
    }
    twine_pfs_close(g);
  }
  return res;
}

/* The host changes the file; it must not read back as valid. */
static void expect_detected(ctx *c, const char *host, const char *logical,
                            const uint8_t *want, size_t len, const char *what) {
  twine_pfs_status st = TWINE_PFS_OK;
  int r = read_check(c, host, logical, want, len, &st, what);
  TP_CHECK(r == R_OPEN_FAILED || r == R_READ_FAILED,
           "%s: not detected (%s)", what, r == R_CLEAN ? "read back clean" : "wrong bytes");
  TP_CHECK(r == R_CLEAN || r == R_WRONG || st != TWINE_PFS_OK, "%s: error without status",
           what);
}

static void expect_clean(ctx *c, const char *host, const char *logical,
                         const uint8_t *want, size_t len, const char *what) {
  twine_pfs_status st = TWINE_PFS_OK;
  int r = read_check(c, host, logical, want, len, &st, what);
  TP_CHECK(r == R_CLEAN, "%s: expected a clean read, got %s (%s)", what,
           r == R_OPEN_FAILED ? "open failure" : r == R_READ_FAILED ? "read failure"
                                                                    : "wrong bytes",
           TP_ST(st));
}

static void expect_status(ctx *c, const char *host, const char *logical,
                          const uint8_t *want, size_t len, twine_pfs_status want_st,
                          const char *what) {
  twine_pfs_status st = TWINE_PFS_OK;
  int r = read_check(c, host, logical, want, len, &st, what);
  TP_CHECK(r != R_CLEAN && r != R_WRONG && st == want_st, "%s: want %s, got %s%s", what,
           TP_ST(want_st), TP_ST(st), r == R_CLEAN ? " (clean read)" : "");
}

/* ---- byte flips -------------------------------------------------------------- */

static void flip_at(ctx *c, const char *host, const char *logical, const uint8_t *want,
                    size_t len, const uint8_t *orig, size_t olen, size_t pos, uint8_t mask,
                    const char *kind) {
  uint8_t *t = malloc(olen);
  memcpy(t, orig, olen);
  t[pos] ^= mask;
  memfs_put(c->fs, host, t, olen);
  char what[96];
  snprintf(what, sizeof what, "flip 0x%02x at byte %zu (%s)", mask, pos, kind);
  expect_detected(c, host, logical, want, len, what);
  memfs_put(c->fs, host, orig, olen);
  free(t);
}

static void case_flip_small(void) {
  ctx c;
  ctx_init(&c, false);
  uint8_t *want, *orig;
  size_t len = TW_PFS_INLINE_MAX ? 1000 : 700, olen;
  if (!make_file(&c, "/s", "s", len, 1, &want) || !memfs_get(c.fs, "/s", &orig, &olen)) {
    ctx_free(&c);
    return;
  }
  for (size_t pos = 0; pos < olen; pos++)
    flip_at(&c, "/s", "s", want, len, orig, olen, pos, (uint8_t)(1u << (pos % 8)), "small");
  expect_clean(&c, "/s", "s", want, len, "small file restored");
  free(want);
  free(orig);
  ctx_free(&c);
}

/* A file with data nodes under several MHTs (two levels below the root in
 * the 1 KiB build). */
static size_t big_len(void) {
  if (TW_PFS_NODE == 4096)
    return (size_t)((DPM + 7) * NODE + 123); /* MHT 0 and MHT 1 */
  return (size_t)(((1 + CPM) * DPM + 30) * NODE + 77); /* MHT 0..9 */
}

static void case_flip_sampled(void) {
  ctx c;
  ctx_init(&c, false);
  uint8_t *want, *orig;
  size_t len = big_len(), olen;
  if (!make_file(&c, "/b", "dir/b", len, 2, &want) || !memfs_get(c.fs, "/b", &orig, &olen)) {
    ctx_free(&c);
    return;
  }
  tp_rng r = {7};
  /* header: every field boundary +-1, and samples */
  static const size_t hf[] = {TW_PFS_H_MAGIC, TW_PFS_H_MAJOR, TW_PFS_H_MINOR, TW_PFS_H_HLEN,
                              TW_PFS_H_SHIFT, TW_PFS_H_SUITE, TW_PFS_H_FLAGS, TW_PFS_H_UUID,
                              TW_PFS_H_KDKID, TW_PFS_H_GEN, TW_PFS_H_NONCE, TW_PFS_H_TAG,
                              TW_PFS_H_KCV, TW_PFS_H_RSV, TW_PFS_H_SIZE, TW_PFS_H_ROOTKEY,
                              TW_PFS_H_ROOTTAG, TW_PFS_H_PHASH, TW_PFS_H_MTIME,
                              TW_PFS_H_PLEN, TW_PFS_H_PATH, TW_PFS_H_RSV2, TW_PFS_H_INLINE};
  for (size_t i = 0; i < sizeof hf / sizeof hf[0]; i++) {
    if (hf[i] >= NODE)
      continue;
    flip_at(&c, "/b", "dir/b", want, len, orig, olen, hf[i], 0x01, "header field");
    if (hf[i] + 1 < NODE)
      flip_at(&c, "/b", "dir/b", want, len, orig, olen, hf[i] + 1, 0x80, "header field");
    if (hf[i] > 0)
      flip_at(&c, "/b", "dir/b", want, len, orig, olen, hf[i] - 1, 0x10, "header field");
  }
  flip_at(&c, "/b", "dir/b", want, len, orig, olen, NODE - 1, 0x01, "header end");
  /* nodes of each kind: first, last and 8 random bytes each */
  uint64_t dlast = (len - 1) / NODE, mlast = dlast / DPM;
  uint64_t nodes[][2] = {{TW_PFS_K_MHT, 0},        {TW_PFS_K_MHT, 1},
                         {TW_PFS_K_MHT, mlast},    {TW_PFS_K_DATA, 0},
                         {TW_PFS_K_DATA, DPM - 1}, {TW_PFS_K_DATA, DPM},
                         {TW_PFS_K_DATA, dlast / 2}, {TW_PFS_K_DATA, dlast}};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    uint64_t phys = tw_pfs_node_phys((int)nodes[i][0], nodes[i][1]);
    const char *kind = nodes[i][0] == TW_PFS_K_MHT ? (nodes[i][1] ? "child MHT" : "root MHT")
                                                    : "data node";
    if ((phys + 1) * NODE > olen) {
      tp_fail(__FILE__, __LINE__, "layout: node %s %llu beyond the host file", kind,
              (unsigned long long)nodes[i][1]);
      continue;
    }
    flip_at(&c, "/b", "dir/b", want, len, orig, olen, (size_t)phys * NODE, 0x01, kind);
    flip_at(&c, "/b", "dir/b", want, len, orig, olen, (size_t)(phys + 1) * NODE - 1, 0x80,
            kind);
    for (int k = 0; k < 8; k++)
      flip_at(&c, "/b", "dir/b", want, len, orig, olen,
              (size_t)(phys * NODE + tp_below(&r, NODE)), (uint8_t)(1u << k), kind);
  }
  expect_clean(&c, "/b", "dir/b", want, len, "big file restored");
  free(want);
  free(orig);
  ctx_free(&c);
}

/* ---- truncation, extension, node swaps -------------------------------------- */

static void with_bytes(ctx *c, const char *host, const uint8_t *b, size_t n) {
  memfs_put(c->fs, host, b, n);
}

static void case_truncate_append(void) {
  ctx c;
  ctx_init(&c, true);
  uint8_t *want, *orig;
  size_t len = big_len(), olen;
  if (!make_file(&c, "/t", "t", len, 3, &want) || !memfs_get(c.fs, "/t", &orig, &olen)) {
    ctx_free(&c);
    return;
  }
  char what[80];
  size_t cuts[] = {0, 1, 8, 12, 16, 20, 52, 60, 92, 108, 124, 127, 128, 129, 1024,
                   NODE - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    with_bytes(&c, "/t", orig, cuts[i]);
    snprintf(what, sizeof what, "truncate to %zu", cuts[i]);
    expect_detected(&c, "/t", "t", want, len, what);
  }
  for (size_t k = 1; k * NODE <= olen; k++) {
    for (int d = -1; d <= 1; d++) {
      size_t at = k * NODE + (size_t)d;
      if (at >= olen)
        continue;
      with_bytes(&c, "/t", orig, at);
      snprintf(what, sizeof what, "truncate to node %zu %+d", k, d);
      expect_detected(&c, "/t", "t", want, len, what);
    }
    if (k > 4 && k + 4 < olen / NODE)
      k += olen / NODE / 7; /* sample the middle */
  }
  /* truncated to 0 and opened with CREAT: with an anchor, not a new file */
  with_bytes(&c, "/t", orig, 0);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(c.m, "/t", "t", TWINE_PFS_RDWR | TWINE_PFS_CREAT,
                                      NULL, &f);
  TP_CHECK(s == TWINE_PFS_ROLLBACK, "emptied file reopened with CREAT: want ROLLBACK, got %s",
           TP_ST(s));
  twine_pfs_close(f);
  /* append a byte: the length is no multiple of NODE */
  uint8_t *t = malloc(olen + 2 * NODE);
  memcpy(t, orig, olen);
  t[olen] = 0x5a;
  with_bytes(&c, "/t", t, olen + 1);
  expect_detected(&c, "/t", "t", want, len, "append a byte");
  /* append a node (of ciphertext-looking bytes): never read, and trimmed by
   * the next commit */
  tp_rng r = {9};
  tp_fill(&r, t + olen, NODE);
  with_bytes(&c, "/t", t, olen + NODE);
  expect_clean(&c, "/t", "t", want, len, "append a node");
  f = NULL;
  size_t n;
  s = twine_pfs_open(c.m, "/t", "t", TWINE_PFS_RDWR, NULL, &f);
  if (s == TWINE_PFS_OK)
    s = twine_pfs_pwrite(f, want, 1, 0, &n);
  if (s == TWINE_PFS_OK)
    s = twine_pfs_close(f);
  else
    twine_pfs_close(f);
  free(orig);
  memfs_get(c.fs, "/t", &orig, &olen); /* the new generation */
  TP_CHECK(s == TWINE_PFS_OK && olen + NODE == (size_t)(tw_pfs_phys_end(len) + 1) * NODE,
           "append a node, then commit: %s, host length %zu (want trimmed to %llu)",
           TP_ST(s), olen, (unsigned long long)tw_pfs_phys_end(len) * NODE);
  /* append a copy of the last data node */
  memcpy(t, orig, olen);
  memcpy(t + olen, orig + olen - NODE, NODE);
  with_bytes(&c, "/t", t, olen + NODE);
  expect_clean(&c, "/t", "t", want, len, "append a copy of a node");
  free(t);
  free(want);
  free(orig);
  ctx_free(&c);
}

static void swap_nodes(uint8_t *b, uint64_t p1, uint64_t p2) {
  uint8_t tmp[TW_PFS_NODE];
  memcpy(tmp, b + p1 * NODE, NODE);
  memcpy(b + p1 * NODE, b + p2 * NODE, NODE);
  memcpy(b + p2 * NODE, tmp, NODE);
}

static void case_swaps(void) {
  ctx c;
  ctx_init(&c, false);
  uint8_t *want, *orig;
  size_t len = big_len(), olen;
  if (!make_file(&c, "/w", "w", len, 4, &want) || !memfs_get(c.fs, "/w", &orig, &olen)) {
    ctx_free(&c);
    return;
  }
  uint64_t dlast = (len - 1) / NODE, mlast = dlast / DPM;
  uint64_t pairs[][4] = {
      {TW_PFS_K_DATA, 0, TW_PFS_K_DATA, 1},
      {TW_PFS_K_DATA, 3, TW_PFS_K_DATA, DPM + 3},
      {TW_PFS_K_DATA, 0, TW_PFS_K_DATA, dlast},
      {TW_PFS_K_MHT, 0, TW_PFS_K_MHT, 1},
      {TW_PFS_K_MHT, 1, TW_PFS_K_MHT, mlast},
      {TW_PFS_K_MHT, 1, TW_PFS_K_DATA, 5},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    uint64_t p1 = tw_pfs_node_phys((int)pairs[i][0], pairs[i][1]);
    uint64_t p2 = tw_pfs_node_phys((int)pairs[i][2], pairs[i][3]);
    if (p1 == p2)
      continue;
    uint8_t *t = malloc(olen);
    memcpy(t, orig, olen);
    swap_nodes(t, p1, p2);
    with_bytes(&c, "/w", t, olen);
    char what[96];
    snprintf(what, sizeof what, "swap %s %llu with %s %llu",
             pairs[i][0] == TW_PFS_K_MHT ? "MHT" : "data", (unsigned long long)pairs[i][1],
             pairs[i][2] == TW_PFS_K_MHT ? "MHT" : "data", (unsigned long long)pairs[i][3]);
    expect_detected(&c, "/w", "w", want, len, what);
    free(t);
  }
  free(want);
  free(orig);
  ctx_free(&c);
}

/* ---- other files, other paths ----------------------------------------------- */

static void case_transplant(void) {
  ctx c;
  ctx_init(&c, false);
  uint8_t *wa, *wb, *oa, *ob;
  size_t len = big_len(), la, lb;
  if (!make_file(&c, "/a", "a", len, 5, &wa) || !make_file(&c, "/bb", "bb", len, 6, &wb) ||
      !memfs_get(c.fs, "/a", &oa, &la) || !memfs_get(c.fs, "/bb", &ob, &lb)) {
    ctx_free(&c);
    return;
  }
  uint8_t *t = malloc(la);
  /* one node of b at the same position in a */
  uint64_t which[][2] = {{TW_PFS_K_DATA, 0}, {TW_PFS_K_DATA, DPM}, {TW_PFS_K_MHT, 0},
                         {TW_PFS_K_MHT, 1}};
  for (size_t i = 0; i < 4; i++) {
    uint64_t p = tw_pfs_node_phys((int)which[i][0], which[i][1]);
    memcpy(t, oa, la);
    memcpy(t + p * NODE, ob + p * NODE, NODE);
    with_bytes(&c, "/a", t, la);
    char what[80];
    snprintf(what, sizeof what, "transplant %s %llu from another file",
             which[i][0] == TW_PFS_K_MHT ? "MHT" : "data node", (unsigned long long)which[i][1]);
    expect_detected(&c, "/a", "a", wa, len, what);
  }
  /* b's header on a's nodes */
  memcpy(t, oa, la);
  memcpy(t, ob, NODE);
  with_bytes(&c, "/a", t, la);
  expect_detected(&c, "/a", "a", wa, len, "transplant the header of another file");
  /* b's header on a's nodes, opened as b (its path binding matches) */
  expect_detected(&c, "/a", "bb", wb, len, "b's header on a's nodes, opened as b");
  /* a's bytes copied onto b's host file: b's logical path */
  with_bytes(&c, "/a", oa, la);
  with_bytes(&c, "/bb", oa, la);
  expect_status(&c, "/bb", "bb", wb, len, TWINE_PFS_WRONG_PATH, "copy a onto b");
  expect_status(&c, "/bb", "dir/a", wa, len, TWINE_PFS_WRONG_PATH,
                "copy a to another directory");
  expect_clean(&c, "/bb", "a", wa, len, "copy a, opened under a's own logical path");
  /* the same logical path in another mount with the same key */
  twine_pfs_explicit_key ek2;
  twine_pfs_mount *m2 = tp_mount(memfs_ops(), c.fs, &ek2, tp_key_a, tp_mount_b, NULL,
                                 TWINE_PFS_DUR_COMMIT, 0);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m2, "/a", "a", TWINE_PFS_RDONLY, NULL, &f);
  TP_CHECK(s == TWINE_PFS_WRONG_PATH, "same path, other mount: want WRONG_PATH, got %s",
           TP_ST(s));
  twine_pfs_close(f);
  twine_pfs_mount_free(m2);
  /* a wrong key */
  twine_pfs_explicit_key ek3;
  twine_pfs_mount *m3 = tp_mount(memfs_ops(), c.fs, &ek3, tp_key_b, tp_mount_a, NULL,
                                 TWINE_PFS_DUR_COMMIT, 0);
  f = NULL;
  s = twine_pfs_open(m3, "/a", "a", TWINE_PFS_RDONLY, NULL, &f);
  TP_CHECK(s == TWINE_PFS_WRONG_KEY, "wrong key: want WRONG_KEY, got %s", TP_ST(s));
  twine_pfs_close(f);
  twine_pfs_mount_free(m3);
  free(t);
  free(wa);
  free(wb);
  free(oa);
  free(ob);
  ctx_free(&c);
}

/* ---- generations: replay and resurrection ----------------------------------- */

static void case_replay(bool anchored) {
  ctx c;
  ctx_init(&c, anchored);
  uint8_t *w1, *o1, *w2;
  size_t len = big_len(), l1;
  if (!make_file(&c, "/r", "r", len, 7, &w1) || !memfs_get(c.fs, "/r", &o1, &l1)) {
    ctx_free(&c);
    return;
  }
  /* a newer generation, same size */
  if (!make_file(&c, "/r", "r", len, 8, &w2)) {
    ctx_free(&c);
    return;
  }
  expect_clean(&c, "/r", "r", w2, len, "current generation");
  uint8_t *cur;
  size_t lcur;
  memfs_get(c.fs, "/r", &cur, &lcur);
  with_bytes(&c, "/r", o1, l1);
  if (anchored)
    expect_status(&c, "/r", "r", w1, len, TWINE_PFS_ROLLBACK, "replay an older generation");
  else /* documented: without anchors an old version is accepted (IPFS parity) */
    expect_clean(&c, "/r", "r", w1, len, "replay without anchor (documented pass)");
  /* the newest version is accepted again */
  with_bytes(&c, "/r", cur, lcur);
  expect_clean(&c, "/r", "r", w2, len, "current generation put back");
  free(cur);
  /* resurrection */
  uint8_t *o2;
  size_t l2;
  memfs_get(c.fs, "/r", &o2, &l2);
  TP_CHECK(twine_pfs_unlink(c.m, "/r", "r") == TWINE_PFS_OK, "unlink");
  with_bytes(&c, "/r", o2, l2);
  if (anchored)
    expect_status(&c, "/r", "r", w2, len, TWINE_PFS_ROLLBACK, "resurrect after unlink");
  else
    expect_clean(&c, "/r", "r", w2, len, "resurrect without anchor (documented pass)");
  /* a legitimately new file at the same path after unlink is fine */
  memfs_remove(c.fs, "/r");
  uint8_t *w3;
  if (make_file(&c, "/r", "r", 100, 9, &w3)) {
    expect_clean(&c, "/r", "r", w3, 100, "new file after unlink");
    free(w3);
  }
  free(w1);
  free(w2);
  free(o1);
  free(o2);
  ctx_free(&c);
}

/* ---- journals -------------------------------------------------------------------- */

/* Capture the journal of a commit that rewrites the first data node of
 * `host`: the main file's bytes before the commit (*pre), and the journal as
 * it is just before the first write to the main file. */
static bool capture_journal(ctx *c, const char *host, const char *logical, uint64_t seed,
                            uint8_t **jrnl, size_t *jlen) {
  char jp[64];
  snprintf(jp, sizeof jp, "%s.pfsj", host);
  uint8_t *pre;
  size_t plen;
  TP_REQUIRE(memfs_get(c->fs, host, &pre, &plen), "capture: no file");
  *jrnl = NULL;
  for (uint64_t k = 1; k < 200; k++) {
    memfs *fs = memfs_clone(c->fs);
    twine_pfs_explicit_key ek;
    twine_pfs_mount *m = tp_mount(memfs_ops(), fs, &ek, tp_key_a, tp_mount_a, NULL,
                                  TWINE_PFS_DUR_COMMIT, 0);
    twine_pfs_file *f = NULL;
    uint8_t b[64];
    size_t n;
    memset(b, (int)seed, sizeof b);
    bool opened = twine_pfs_open(m, host, logical, TWINE_PFS_RDWR, NULL, &f) == TWINE_PFS_OK;
    memfs_crash_at(fs, k);
    if (opened) {
      twine_pfs_pwrite(f, b, sizeof b, 0, &n);
      twine_pfs_sync(f, TWINE_PFS_SYNC_DATA);
    }
    twine_pfs_close(f);
    twine_pfs_mount_free(m);
    uint8_t *now, *j = NULL;
    size_t nlen, jl = 0;
    bool same = memfs_get(fs, host, &now, &nlen) && nlen == plen && !memcmp(now, pre, plen);
    bool crashed = memfs_crashed(fs);
    bool have_j = memfs_get(fs, jp, &j, &jl) && jl >= 2 * NODE;
    free(now);
    memfs_free(fs);
    if (!crashed || !same) { /* the previous k had the complete journal */
      free(j);
      break;
    }
    if (have_j) {
      free(*jrnl);
      *jrnl = j;
      *jlen = jl;
    } else {
      free(j);
    }
  }
  free(pre);
  TP_REQUIRE(*jrnl, "capture: no journal seen");
  return true;
}

static void case_journal(bool anchored) {
  ctx c;
  ctx_init(&c, anchored);
  uint8_t *w1, *o1, *j1, *w2, *o2;
  size_t len = big_len(), l1, jl1, l2;
  if (!make_file(&c, "/j", "j", len, 10, &w1) || !memfs_get(c.fs, "/j", &o1, &l1) ||
      !capture_journal(&c, "/j", "j", 1, &j1, &jl1)) {
    ctx_free(&c);
    return;
  }
  /* (1) a valid journal for the current generation, header intact: replay
   * writes back the same bytes; content unchanged */
  with_bytes(&c, "/j.pfsj", j1, jl1);
  expect_clean(&c, "/j", "j", w1, len, "valid journal of an uncommitted change");
  TP_CHECK(!memfs_exists(c.fs, "/j.pfsj") || (memfs_get(c.fs, "/j.pfsj", &o2, &l2) &&
                                               (free(o2), l2 == 0)),
           "journal not emptied after recovery");
  free(o1);
  memfs_get(c.fs, "/j", &o1, &l1); /* re-stamped */
  /* (2) garbage journal: ignored */
  tp_rng r = {11};
  uint8_t *g = malloc(jl1);
  tp_fill(&r, g, jl1);
  with_bytes(&c, "/j.pfsj", g, jl1);
  expect_clean(&c, "/j", "j", w1, len, "garbage journal");
  /* (3) a journal with one flipped byte and a corrupted header: the journal
   * must be ignored, the file reported corrupted */
  uint8_t *hb = malloc(l1);
  memcpy(hb, o1, l1);
  hb[TW_PFS_H_PLAIN + 5] ^= 1;
  for (size_t pos = 0; pos < jl1; pos += jl1 / 13 + 1) {
    memcpy(g, j1, jl1);
    g[pos] ^= 0x04;
    with_bytes(&c, "/j", hb, l1);
    with_bytes(&c, "/j.pfsj", g, jl1);
    char what[80];
    snprintf(what, sizeof what, "corrupt header + journal flipped at %zu", pos);
    expect_detected(&c, "/j", "j", w1, len, what);
  }
  with_bytes(&c, "/j", o1, l1);
  memfs_remove(c.fs, "/j.pfsj");
  expect_clean(&c, "/j", "j", w1, len, "restored");
  /* (4) stale journal of an older generation after newer commits, header
   * intact: ignored */
  if (make_file(&c, "/j", "j", len, 12, &w2)) {
    memfs_get(c.fs, "/j", &o2, &l2);
    with_bytes(&c, "/j.pfsj", j1, jl1);
    expect_clean(&c, "/j", "j", w2, len, "stale journal, header intact");
    /* (5) stale journal + corrupted header: the replay brings back the old
     * generation: ROLLBACK with an anchor; without, the old bytes or an
     * error, never a mix */
    memcpy(hb, o2, l2);
    hb[TW_PFS_H_PLAIN + 9] ^= 1;
    with_bytes(&c, "/j", hb, l2);
    with_bytes(&c, "/j.pfsj", j1, jl1);
    twine_pfs_status st;
    int res = read_check(&c, "/j", "j", w1, len, &st, "stale journal + corrupt header");
    if (anchored)
      TP_CHECK(res != R_CLEAN && res != R_WRONG && st == TWINE_PFS_ROLLBACK,
               "stale journal + corrupt header: want ROLLBACK, got %s", TP_ST(st));
    else
      TP_CHECK(res != R_WRONG, "stale journal + corrupt header: wrong bytes");
    with_bytes(&c, "/j", o2, l2);
    memfs_remove(c.fs, "/j.pfsj");
    expect_clean(&c, "/j", "j", w2, len, "current generation put back");
    free(w2);
    free(o2);
    w2 = o2 = NULL;
  }
  /* (6) another file's journal (same key) on a corrupted header */
  uint8_t *wk, *ok_, *jk;
  size_t lk, jlk;
  if (make_file(&c, "/k", "k", len, 13, &wk) && memfs_get(c.fs, "/k", &ok_, &lk) &&
      capture_journal(&c, "/k", "k", 2, &jk, &jlk)) {
    w2 = o2 = NULL;
    if (!make_file(&c, "/j", "j", len, 14, &w2) || !memfs_get(c.fs, "/j", &o2, &l2)) {
      w2 = NULL;
      goto out6;
    }
    memcpy(hb, o2, l2);
    hb[TW_PFS_H_PLAIN + 1] ^= 1;
    with_bytes(&c, "/j", hb, l2);
    with_bytes(&c, "/j.pfsj", jk, jlk);
    expect_detected(&c, "/j", "j", w2, len, "another file's journal on a corrupt header");
    /* another file's journal, header intact: ignored */
    with_bytes(&c, "/j", o2, l2);
    with_bytes(&c, "/j.pfsj", jk, jlk);
    expect_clean(&c, "/j", "j", w2, len, "another file's journal, header intact");
  out6:
    free(w2);
    free(o2);
    free(wk);
    free(ok_);
    free(jk);
  }
  free(g);
  free(hb);
  free(w1);
  free(o1);
  free(j1);
  ctx_free(&c);
}

/* A journal of several segments (provisional commits of a large overwrite
 * through a small cache), captured with the file mid-way, its header
 * flagged PROVISIONAL. Intact, it rolls the file back to the durable state;
 * removed, cut at any point, or with a segment forged or reordered, the
 * file must fail closed or read as the durable state: never a mix of old
 * and new nodes. */
static void case_journal_segments(bool anchored) {
  ctx c;
  ctx_init(&c, anchored);
  uint8_t *w1 = NULL, *fs_snap = NULL, *js = NULL;
  size_t len = big_len(), fl = 0, jl = 0;
  if (!make_file(&c, "/g", "g", len, 21, &w1)) {
    ctx_free(&c);
    return;
  }
  tp_rng r = {22};
  uint8_t *w2 = malloc(len + 1);
  tp_fill(&r, w2, len);
  /* the writer: no anchor (it would remember the provisional generations) */
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m = tp_mount(memfs_ops(), c.fs, &ek, tp_key_a, tp_mount_a, NULL,
                                TWINE_PFS_DUR_COMMIT, TWINE_PFS_CACHE_MIN);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(m, "/g", "g", TWINE_PFS_RDWR, NULL, &f);
  for (size_t off = 0; s == TWINE_PFS_OK && off < len; off += NODE) {
    size_t n;
    s = twine_pfs_pwrite(f, w2 + off, len - off < NODE ? len - off : NODE, off, &n);
  }
  bool got = s == TWINE_PFS_OK && memfs_get(c.fs, "/g", &fs_snap, &fl) &&
             memfs_get(c.fs, "/g.pfsj", &js, &jl);
  twine_pfs_status cs = twine_pfs_close(f);
  twine_pfs_mount_free(m);
  twine_pfs_explicit_key_wipe(&ek);
  if (!got || cs != TWINE_PFS_OK || fl < NODE ||
      !(tw_pfs_ld32(fs_snap + TW_PFS_H_FLAGS) & TW_PFS_HF_PROVISIONAL) || jl < 4 * NODE) {
    tp_fail(__FILE__, __LINE__, "journal segments: no provisional state captured (%s)",
            TP_ST(s));
    goto out;
  }
  expect_clean(&c, "/g", "g", w2, len, "final state after the provisional commits");
  /* segment starts */
  size_t seg[64], nseg = 0;
  for (size_t at = NODE; at + NODE <= jl && nseg < 64;) {
    if (memcmp(js + at, TW_PFS_SMAGIC, 8) != 0)
      break;
    seg[nseg++] = at;
    at += NODE * (1 + (size_t)tw_pfs_ld64(js + at + TW_PFS_S_COUNT));
  }
  TP_CHECK(nseg >= 2, "journal segments: want several segments, got %zu", nseg);
  char what[96];
  /* (1) the provisional header without its journal */
  with_bytes(&c, "/g", fs_snap, fl);
  memfs_remove(c.fs, "/g.pfsj");
  expect_detected(&c, "/g", "g", w1, len, "provisional header, journal removed");
  /* (2) the journal cut anywhere: the durable state or an error */
  for (size_t cut = 0; cut <= jl; cut += NODE / 2) {
    with_bytes(&c, "/g", fs_snap, fl);
    with_bytes(&c, "/g.pfsj", js, cut);
    snprintf(what, sizeof what, "journal cut at %zu of %zu", cut, jl);
    twine_pfs_status st;
    int res = read_check(&c, "/g", "g", w1, len, &st, what);
    TP_CHECK(res != R_WRONG, "%s: wrong bytes", what);
    /* intact: rolled back; with an anchor that saw the final state, that
     * is an older version */
    if (cut == jl && anchored)
      TP_CHECK(res != R_CLEAN && st == TWINE_PFS_ROLLBACK, "%s: want ROLLBACK, got %s", what,
               TP_ST(st));
    else if (cut == jl)
      TP_CHECK(res == R_CLEAN, "%s: the intact journal must roll back (%s)", what, TP_ST(st));
  }
  /* (3) a segment flipped, or two segments swapped */
  uint8_t *g = malloc(jl);
  for (size_t i = 0; i < nseg; i++) {
    memcpy(g, js, jl);
    g[seg[i] + NODE + 7] ^= 0x10; /* in its first image */
    with_bytes(&c, "/g", fs_snap, fl);
    with_bytes(&c, "/g.pfsj", g, jl);
    snprintf(what, sizeof what, "segment %zu image flipped", i + 1);
    TP_CHECK(read_check(&c, "/g", "g", w1, len, NULL, what) != R_WRONG, "%s", what);
  }
  if (nseg >= 3) {
    size_t a = seg[1], b = seg[2], la = b - a;
    size_t lb = (nseg > 3 ? seg[3] : jl) - b;
    memcpy(g, js, jl);
    memcpy(g + a, js + b, lb);
    memcpy(g + a + lb, js + a, la);
    with_bytes(&c, "/g", fs_snap, fl);
    with_bytes(&c, "/g.pfsj", g, jl);
    TP_CHECK(read_check(&c, "/g", "g", w1, len, NULL, "segments 2 and 3 swapped") != R_WRONG,
             "segments swapped: wrong bytes");
  }
  free(g);
  /* the final state put back */
  memfs_remove(c.fs, "/g.pfsj");
out:
  free(w1);
  free(w2);
  free(fs_snap);
  free(js);
  ctx_free(&c);
}

/* ---- valid tag, bad content ----------------------------------------------------- */

/* Re-seal the header node `node` after `edit` changed its decrypted part
 * (the test plays an attacker who knows the key, to reach the semantic
 * checks behind the tag). */
static bool reseal(uint8_t *node, const uint8_t *kdk, void (*edit)(uint8_t *plain)) {
  uint8_t key[16], info[9 + 32], plain[TW_PFS_NODE], aad[TW_PFS_H_PLAIN];
  static const uint8_t iv[TW_CRY_GCM_IV];
  tw_cry_gcm *g = tw_cry_gcm_new();
  TP_REQUIRE(g, "gcm");
  memcpy(info, "pfs1 meta", 9);
  memcpy(info + 9, node + TW_PFS_H_NONCE, 32);
  bool ok = tw_cry_hkdf_sha256(kdk, 32, node + TW_PFS_H_UUID, 16, info, sizeof info, key,
                               16) == 0;
  memcpy(aad, node, sizeof aad);
  memset(aad + TW_PFS_H_TAG, 0, 16);
  ok = ok && tw_cry_gcm_open(g, key, iv, aad, sizeof aad, node + TW_PFS_H_PLAIN,
                             TW_PFS_NODE - TW_PFS_H_PLAIN, plain + TW_PFS_H_PLAIN,
                             node + TW_PFS_H_TAG) == 0;
  if (ok) {
    memcpy(plain, node, TW_PFS_H_PLAIN);
    edit(plain);
    memcpy(aad, plain, sizeof aad);
    memset(aad + TW_PFS_H_TAG, 0, 16);
    memcpy(node, plain, TW_PFS_H_PLAIN);
    ok = tw_cry_gcm_seal(g, key, iv, aad, sizeof aad, plain + TW_PFS_H_PLAIN,
                         TW_PFS_NODE - TW_PFS_H_PLAIN, node + TW_PFS_H_PLAIN,
                         node + TW_PFS_H_TAG) == 0;
  }
  tw_cry_gcm_free(g);
  TP_REQUIRE(ok, "reseal failed");
  return true;
}

static void e_size_big(uint8_t *p) { tw_pfs_st64(p + TW_PFS_H_SIZE, tw_pfs_ld64(p + TW_PFS_H_SIZE) + 100 * TW_PFS_NODE); }
static void e_size_max(uint8_t *p) { tw_pfs_st64(p + TW_PFS_H_SIZE, TWINE_PFS_MAX_SIZE + 1); }
static void e_size_small(uint8_t *p) { tw_pfs_st64(p + TW_PFS_H_SIZE, tw_pfs_ld64(p + TW_PFS_H_SIZE) - 2 * TW_PFS_NODE); }
static void e_rsv2(uint8_t *p) { p[TW_PFS_H_RSV2 + 47] = 1; }
static void e_plen(uint8_t *p) { tw_pfs_st16(p + TW_PFS_H_PLEN, 767); }
static void e_path_tail(uint8_t *p) { p[TW_PFS_H_PATH + 700] = 'x'; }
static void e_inline_flag(uint8_t *p) { tw_pfs_st32(p + TW_PFS_H_FLAGS, 1); }
static void e_inline_tail(uint8_t *p) { p[TW_PFS_NODE - 1] = 1; }
static void e_flags(uint8_t *p) { tw_pfs_st32(p + TW_PFS_H_FLAGS, 0x100); }
static void e_rsv(uint8_t *p) { p[TW_PFS_H_RSV] = 1; }

static void case_semantic(void) {
  ctx c;
  ctx_init(&c, false);
  uint8_t *w, *o;
  size_t len = big_len(), l;
  if (!make_file(&c, "/v", "v", len, 15, &w) || !memfs_get(c.fs, "/v", &o, &l)) {
    ctx_free(&c);
    return;
  }
  struct {
    void (*edit)(uint8_t *);
    const char *what;
  } cases[] = {
      {e_size_big, "size beyond the host file"}, {e_size_max, "size > MAX"},
      {e_size_small, "size smaller (nodes beyond the size)"},
      {e_rsv2, "reserved2 non-zero"}, {e_plen, "path_len > 766"},
      {e_path_tail, "bytes after the path"}, {e_inline_flag, "INLINE flag on a big file"},
      {e_inline_tail, "inline area non-zero on a big file"},
      {e_flags, "unknown flag"},
      {e_rsv, "plaintext reserved non-zero"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t *t = malloc(l);
    memcpy(t, o, l);
    if (reseal(t, tp_key_a, cases[i].edit)) {
      with_bytes(&c, "/v", t, l);
      char what[96];
      snprintf(what, sizeof what, "valid tag, %s", cases[i].what);
      expect_detected(&c, "/v", "v", w, len, what);
    }
    free(t);
  }
  free(w);
  free(o);
  ctx_free(&c);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : "all";
  bool all = !strcmp(only, "all");
  printf("tamper: NODE=%u\n", TW_PFS_NODE);
  if (all || !strcmp(only, "flip-small"))
    case_flip_small();
  if (all || !strcmp(only, "flip"))
    case_flip_sampled();
  if (all || !strcmp(only, "truncate"))
    case_truncate_append();
  if (all || !strcmp(only, "swap"))
    case_swaps();
  if (all || !strcmp(only, "transplant"))
    case_transplant();
  if (all || !strcmp(only, "replay")) {
    case_replay(true);
    case_replay(false);
  }
  if (all || !strcmp(only, "journal")) {
    case_journal(true);
    case_journal(false);
    case_journal_segments(true);
    case_journal_segments(false);
  }
  if (all || !strcmp(only, "semantic"))
    case_semantic();
  return tp_finish("pfs tamper");
}

/*
 * pfs_anchor_test.c - rollback anchors across "process restarts": each
 * restart frees the mount, the anchor store and the counter object and
 * re-creates them from the memfs disk (which survives, as a disk would).
 *
 * PERSISTENT (anchor manifest + file-backed counter): replaying an older
 * generation of a file, resurrecting a removed file, putting back an older
 * manifest (alone, or a stale one kept from a crash window) are ROLLBACK;
 * a tampered manifest fails closed (CORRUPTED for its content); a crash
 * between a manifest commit and its counter bump is accepted; rename
 * moves the anchor; counter bumps are batched per manifest commit; the
 * re-stamp after a journal rollback is accepted and the aborted version is
 * refused; a crash at every I/O call (process crash and power loss) leaves
 * a store that opens and files that open. NONE and PROCESS keep their
 * behaviour (no detection across restarts).
 */
#include <stdlib.h>
#include <string.h>

#include "pfs_testlib.h"

#define MAN "/mnt/" TWINE_PFS_ANCHOR_MANIFEST
#define CTR "/mnt/" TWINE_PFS_ANCHOR_COUNTER
#define FLEN 5000u /* past the inline limit: header, MHT and data nodes */

enum { M_NONE, M_PROCESS, M_PERSISTENT };

/* ---- a counter wrapper: counts bumps, can lose one (crash window) ------------ */

typedef struct wctr {
  twine_pfs_file_counter *fc;
  unsigned bumps;
  unsigned fail_in; /* n > 0: the n-th next increment fails, with no effect */
} wctr;

static int w_read(void *c, uint64_t *v) {
  return twine_pfs_file_counter_ops.read(((wctr *)c)->fc, v);
}

static int w_inc(void *c, uint64_t *v) {
  wctr *w = c;
  if (w->fail_in && --w->fail_in == 0)
    return -1;
  int rc = twine_pfs_file_counter_ops.increment(w->fc, v);
  if (rc == 0)
    w->bumps++;
  return rc;
}

static const twine_pfs_counter_ops wops = {w_read, w_inc};

/* ---- worlds and restarts ----------------------------------------------------- */

typedef struct world {
  memfs *fs;
  int mode;
  twine_pfs_durability dur;
  wctr ctr;
  twine_pfs_anchor *a;
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m;
  bool shared; /* another world uses the same memfs: no leak check */
} world;

static void stop(world *w) {
  if (w->m)
    TP_CHECK(twine_pfs_mount_free(w->m) == TWINE_PFS_OK, "mount_free");
  twine_pfs_anchor_free(w->a);
  twine_pfs_file_counter_free(w->ctr.fc);
  twine_pfs_explicit_key_wipe(&w->ek);
  w->m = NULL;
  w->a = NULL;
  w->ctr.fc = NULL;
  TP_CHECK(w->shared || memfs_open_handles(w->fs) == 0, "%u host handles leaked",
           memfs_open_handles(w->fs));
}

/* Start a "process": the anchor store (its status is returned) and the
 * mount over it. On failure nothing stays open. */
static twine_pfs_status start(world *w) {
  twine_pfs_status s = TWINE_PFS_OK;
  w->ctr.bumps = 0;
  if (w->mode == M_PROCESS) {
    s = twine_pfs_anchor_process_new(&w->a);
  } else if (w->mode == M_PERSISTENT) {
    s = twine_pfs_file_counter_new(memfs_ops(), w->fs, CTR, &w->ctr.fc);
    if (s == TWINE_PFS_OK)
      s = twine_pfs_explicit_key_init(&w->ek, tp_key_a, 32, NULL);
    twine_pfs_mount_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.mount_id, tp_mount_a, 16);
    cfg.io = memfs_ops();
    cfg.io_ctx = w->fs;
    cfg.keys = &twine_pfs_explicit_key_provider;
    cfg.keys_ctx = &w->ek;
    if (s == TWINE_PFS_OK)
      s = twine_pfs_anchor_persistent_new(&cfg, MAN, &wops, &w->ctr, &w->a);
  }
  if (s == TWINE_PFS_OK) {
    w->m = tp_mount(memfs_ops(), w->fs, &w->ek, tp_key_a, tp_mount_a, w->a, w->dur, 0);
    if (!w->m)
      s = TWINE_PFS_ENOMEM;
  }
  if (s != TWINE_PFS_OK)
    stop(w);
  return s;
}

static void world_init(world *w, int mode, uint64_t seed) {
  memset(w, 0, sizeof *w);
  w->fs = memfs_new(seed);
  w->mode = mode;
  w->dur = TWINE_PFS_DUR_COMMIT;
}

static uint64_t counter_value(world *w) {
  twine_pfs_file_counter *fc = NULL;
  uint64_t v = UINT64_MAX;
  if (twine_pfs_file_counter_new(memfs_ops(), w->fs, CTR, &fc) == TWINE_PFS_OK)
    twine_pfs_file_counter_ops.read(fc, &v);
  twine_pfs_file_counter_free(fc);
  return v;
}

/* ---- file helpers ------------------------------------------------------------- */

static void content(uint32_t seed, uint8_t *b, size_t len) {
  tp_rng r = {seed};
  tp_fill(&r, b, len);
}

/* Create or overwrite a file with content(seed) and close it. */
static twine_pfs_status put_file(world *w, const char *host, const char *logical,
                                 uint32_t seed) {
  uint8_t b[FLEN];
  content(seed, b, FLEN);
  twine_pfs_file *f = NULL;
  size_t n;
  twine_pfs_status s = twine_pfs_open(w->m, host, logical,
                                      TWINE_PFS_RDWR | TWINE_PFS_CREAT | TWINE_PFS_TRUNC,
                                      NULL, &f);
  if (s != TWINE_PFS_OK)
    return s;
  s = twine_pfs_pwrite(f, b, FLEN, 0, &n);
  twine_pfs_status cs = twine_pfs_close(f);
  return s != TWINE_PFS_OK ? s : cs;
}

/* Open read-only and compare with content(seed); the open's status (a
 * content mismatch is a failure of its own). seed 0: any content. */
static twine_pfs_status check_file(world *w, const char *host, const char *logical,
                                   uint32_t seed) {
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(w->m, host, logical, TWINE_PFS_RDONLY, NULL, &f);
  if (s != TWINE_PFS_OK)
    return s;
  uint8_t want[FLEN], got[FLEN + 1];
  size_t n = 0;
  s = twine_pfs_pread(f, got, sizeof got, 0, &n);
  twine_pfs_close(f);
  if (s == TWINE_PFS_OK && seed) {
    content(seed, want, FLEN);
    TP_CHECK(n == FLEN && memcmp(got, want, FLEN) == 0, "%s: wrong content (seed %u)",
             logical, seed);
  }
  return s;
}

/* Which of the seeds the file holds (0 if none / not openable). */
static uint32_t which_content(world *w, const char *host, const char *logical,
                              const uint32_t *seeds, int n, twine_pfs_status *st) {
  twine_pfs_file *f = NULL;
  *st = twine_pfs_open(w->m, host, logical, TWINE_PFS_RDONLY, NULL, &f);
  if (*st != TWINE_PFS_OK)
    return 0;
  uint8_t want[FLEN], got[FLEN + 1];
  size_t len = 0;
  *st = twine_pfs_pread(f, got, sizeof got, 0, &len);
  twine_pfs_close(f);
  for (int i = 0; i < n && *st == TWINE_PFS_OK; i++) {
    content(seeds[i], want, FLEN);
    if (len == FLEN && memcmp(got, want, FLEN) == 0)
      return seeds[i];
  }
  return 0;
}

typedef struct blob {
  uint8_t *p;
  size_t len;
} blob;

static blob grab(world *w, const char *path) {
  blob b = {NULL, 0};
  TP_CHECK(memfs_get(w->fs, path, &b.p, &b.len), "grab %s", path);
  return b;
}

static void restore(world *w, const char *path, blob b) {
  TP_CHECK(memfs_put(w->fs, path, b.p, b.len), "restore %s", path);
}

#define START_OK(w)                                                               \
  do {                                                                            \
    twine_pfs_status s_ = start(w);                                               \
    TP_CHECK(s_ == TWINE_PFS_OK, "start -> %s", TP_ST(s_));                       \
    if (s_ != TWINE_PFS_OK)                                                       \
      goto out;                                                                   \
  } while (0)

#define EXPECT(expr, want)                                                        \
  do {                                                                            \
    twine_pfs_status s_ = (expr);                                                 \
    TP_CHECK(s_ == (want), "%s -> %s, want %s", #expr, TP_ST(s_), TP_ST(want));    \
  } while (0)

/* ---- replay of an older generation ------------------------------------------- */

static void t_replay(int mode) {
  world w;
  world_init(&w, mode, 1);
  blob v1 = {0}, v2 = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 11), TWINE_PFS_OK);
  v1 = grab(&w, "/mnt/a");
  EXPECT(put_file(&w, "/mnt/a", "a", 12), TWINE_PFS_OK);
  v2 = grab(&w, "/mnt/a");
  /* same process */
  restore(&w, "/mnt/a", v1);
  EXPECT(check_file(&w, "/mnt/a", "a", 11),
         mode == M_NONE ? TWINE_PFS_OK : TWINE_PFS_ROLLBACK);
  restore(&w, "/mnt/a", v2);
  EXPECT(check_file(&w, "/mnt/a", "a", 12), TWINE_PFS_OK);
  stop(&w);
  /* across a restart: only PERSISTENT remembers */
  START_OK(&w);
  restore(&w, "/mnt/a", v1);
  EXPECT(check_file(&w, "/mnt/a", "a", 11),
         mode == M_PERSISTENT ? TWINE_PFS_ROLLBACK : TWINE_PFS_OK);
  stop(&w);
  START_OK(&w);
  restore(&w, "/mnt/a", v2);
  EXPECT(check_file(&w, "/mnt/a", "a", 12), TWINE_PFS_OK);
  stop(&w);
out:
  free(v1.p);
  free(v2.p);
  memfs_free(w.fs);
}

/* ---- resurrection of a removed file -------------------------------------------- */

static void t_resurrect(int mode) {
  world w;
  world_init(&w, mode, 2);
  blob b = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/b", "b", 21), TWINE_PFS_OK);
  b = grab(&w, "/mnt/b");
  EXPECT(twine_pfs_unlink(w.m, "/mnt/b", "b"), TWINE_PFS_OK);
  restore(&w, "/mnt/b", b);
  EXPECT(check_file(&w, "/mnt/b", "b", 21),
         mode == M_NONE ? TWINE_PFS_OK : TWINE_PFS_ROLLBACK);
  memfs_remove(w.fs, "/mnt/b");
  stop(&w);
  START_OK(&w);
  restore(&w, "/mnt/b", b);
  EXPECT(check_file(&w, "/mnt/b", "b", 21),
         mode == M_PERSISTENT ? TWINE_PFS_ROLLBACK : TWINE_PFS_OK);
  if (mode == M_PERSISTENT) {
    twine_pfs_file *f = NULL;
    EXPECT(twine_pfs_open(w.m, "/mnt/b", "b", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
           TWINE_PFS_ROLLBACK);
    /* a new file under the tombstoned path is fine */
    memfs_remove(w.fs, "/mnt/b");
    EXPECT(put_file(&w, "/mnt/b", "b", 22), TWINE_PFS_OK);
  }
  stop(&w);
  if (mode == M_PERSISTENT) {
    START_OK(&w);
    EXPECT(check_file(&w, "/mnt/b", "b", 22), TWINE_PFS_OK);
    restore(&w, "/mnt/b", b);
    EXPECT(check_file(&w, "/mnt/b", "b", 21), TWINE_PFS_ROLLBACK);
    stop(&w);
  }
out:
  free(b.p);
  memfs_free(w.fs);
}

/* ---- the manifest itself put back, removed, or the counter put back ---------- */

static void t_manifest_replaced(void) {
  world w;
  world_init(&w, M_PERSISTENT, 3);
  blob man1 = {0}, ctr1 = {0}, man2 = {0}, ctr2 = {0}, a1 = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 31), TWINE_PFS_OK);
  stop(&w);
  man1 = grab(&w, MAN);
  ctr1 = grab(&w, CTR);
  a1 = grab(&w, "/mnt/a");
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 32), TWINE_PFS_OK);
  EXPECT(put_file(&w, "/mnt/c", "c", 33), TWINE_PFS_OK);
  stop(&w);
  man2 = grab(&w, MAN);
  ctr2 = grab(&w, CTR);
  TP_CHECK(counter_value(&w) >= 4, "counter %llu", (unsigned long long)counter_value(&w));

  restore(&w, MAN, man1); /* an older manifest */
  EXPECT(start(&w), TWINE_PFS_ROLLBACK);
  TP_CHECK(memfs_open_handles(w.fs) == 0, "handles after a refused start");
  memfs_remove(w.fs, MAN); /* no manifest at all */
  EXPECT(start(&w), TWINE_PFS_ROLLBACK);
  TP_CHECK(!memfs_exists(w.fs, MAN), "a refused start created a manifest");
  restore(&w, MAN, man2);
  restore(&w, CTR, ctr1); /* the counter went back by more than one */
  EXPECT(start(&w), TWINE_PFS_ROLLBACK);
  memfs_remove(w.fs, CTR); /* counter reset to 0 */
  EXPECT(start(&w), TWINE_PFS_ROLLBACK);
  restore(&w, CTR, ctr2);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 32), TWINE_PFS_OK);
  EXPECT(check_file(&w, "/mnt/c", "c", 33), TWINE_PFS_OK);
  stop(&w);
  /* The limit of the file-backed counter (documented): a host that puts
   * back both the counter file and the manifest is not detected. */
  restore(&w, MAN, man1);
  restore(&w, CTR, ctr1);
  restore(&w, "/mnt/a", a1);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 31), TWINE_PFS_OK);
  stop(&w);
out:
  free(man1.p);
  free(ctr1.p);
  free(man2.p);
  free(ctr2.p);
  free(a1.p);
  memfs_free(w.fs);
}

/* ---- crash between a manifest commit and its counter bump -------------------- */

static void t_crash_window(void) {
  for (unsigned round = 1; round <= 3; round++) {
    /* round 1, 2: the first or second bump of an instance's double first
     * commit is lost; round 3: the bump of a later (single) commit. */
    world w;
    world_init(&w, M_PERSISTENT, 40 + round);
    START_OK(&w);
    EXPECT(put_file(&w, "/mnt/a", "a", 41), TWINE_PFS_OK);
    stop(&w);
    START_OK(&w);
    if (round == 3)
      EXPECT(put_file(&w, "/mnt/a", "a", 42), TWINE_PFS_OK);
    uint64_t c0 = counter_value(&w);
    w.ctr.fail_in = round == 2 ? 2 : 1;
    EXPECT(put_file(&w, "/mnt/a", "a", 43), TWINE_PFS_EHOST); /* the "crash" */
    stop(&w);
    uint64_t c1 = counter_value(&w);
    TP_CHECK(c1 == c0 + (round == 2 ? 1 : 0), "round %u: counter %llu -> %llu", round,
             (unsigned long long)c0, (unsigned long long)c1);
    START_OK(&w); /* manifest_gen == counter + 1: accepted, counter advanced */
    TP_CHECK(counter_value(&w) == c1 + 1, "round %u: counter not advanced", round);
    EXPECT(check_file(&w, "/mnt/a", "a", 43), TWINE_PFS_OK);
    stop(&w);
    START_OK(&w); /* and stable */
    stop(&w);
  out:
    memfs_free(w.fs);
  }
}

/* The host keeps the manifest of a crash window and presents the older
 * one; later it presents the kept one. The first commit of the restarted
 * instance (double) must have made it stale. */
static void t_stale_window_copy(void) {
  world w;
  world_init(&w, M_PERSISTENT, 5);
  blob manc = {0}, manc1 = {0}, a2 = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 51), TWINE_PFS_OK);
  stop(&w);
  manc = grab(&w, MAN);
  START_OK(&w);
  w.ctr.fail_in = 1;
  EXPECT(put_file(&w, "/mnt/a", "a", 52), TWINE_PFS_EHOST);
  stop(&w);
  manc1 = grab(&w, MAN); /* ahead of the counter by one */
  a2 = grab(&w, "/mnt/a");
  restore(&w, MAN, manc); /* legal at this restart */
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 52), TWINE_PFS_OK);
  EXPECT(put_file(&w, "/mnt/a", "a", 53), TWINE_PFS_OK); /* acknowledged */
  stop(&w);
  restore(&w, MAN, manc1);
  restore(&w, "/mnt/a", a2);
  EXPECT(start(&w), TWINE_PFS_ROLLBACK);
out:
  free(manc.p);
  free(manc1.p);
  free(a2.p);
  memfs_free(w.fs);
}

/* ---- tampering with the manifest ---------------------------------------------- */

static void t_tamper(void) {
  world w;
  world_init(&w, M_PERSISTENT, 6);
  blob man = {0}, fa = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 61), TWINE_PFS_OK);
  EXPECT(put_file(&w, "/mnt/b", "b", 62), TWINE_PFS_OK);
  EXPECT(twine_pfs_unlink(w.m, "/mnt/b", "b"), TWINE_PFS_OK);
  stop(&w);
  man = grab(&w, MAN);
  fa = grab(&w, "/mnt/a");
  unsigned corrupted = 0, other = 0;
  for (size_t i = 0; i < man.len; i++) {
    man.p[i] ^= (uint8_t)(1u << (i % 8));
    restore(&w, MAN, man);
    twine_pfs_status s = start(&w);
    man.p[i] ^= (uint8_t)(1u << (i % 8));
    if (s == TWINE_PFS_OK) {
      stop(&w);
      TP_CHECK(0, "flip of manifest byte %zu accepted", i);
    } else if (s == TWINE_PFS_CORRUPTED) {
      corrupted++;
    } else {
      TP_CHECK(s == TWINE_PFS_WRONG_KEY || s == TWINE_PFS_KEY_UNAVAILABLE ||
                   s == TWINE_PFS_UNSUPPORTED,
               "flip of manifest byte %zu -> %s", i, TP_ST(s));
      other++;
    }
  }
  TP_CHECK(corrupted > man.len * 9 / 10, "only %u of %zu flips CORRUPTED", corrupted,
           man.len);
  /* the encrypted part of the header, and the last byte */
  for (size_t i = 200; i < man.len; i += man.len - 201) {
    man.p[i] ^= 0x80;
    restore(&w, MAN, man);
    man.p[i] ^= 0x80;
    EXPECT(start(&w), TWINE_PFS_CORRUPTED);
  }
  /* truncated, extended */
  blob t = {man.p, man.len - 1};
  restore(&w, MAN, t);
  EXPECT(start(&w), TWINE_PFS_CORRUPTED);
  uint8_t *ext = calloc(1, man.len + 4096);
  memcpy(ext, man.p, man.len);
  restore(&w, MAN, (blob){ext, man.len + 1});
  EXPECT(start(&w), TWINE_PFS_CORRUPTED);
  free(ext);
  /* another protected file of the mount (same key) in its place */
  restore(&w, MAN, fa);
  EXPECT(start(&w), TWINE_PFS_WRONG_PATH);
  restore(&w, MAN, man);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 61), TWINE_PFS_OK);
  stop(&w);
  printf("  tamper: %zu manifest bytes, %u CORRUPTED, %u other refusals\n", man.len,
         corrupted, other);
out:
  free(man.p);
  free(fa.p);
  memfs_free(w.fs);
}

/* ---- rename moves the anchor ---------------------------------------------------- */

static void t_rename(void) {
  world w;
  world_init(&w, M_PERSISTENT, 7);
  blob c1 = {0}, d1 = {0};
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/c", "c", 71), TWINE_PFS_OK);
  c1 = grab(&w, "/mnt/c");
  EXPECT(twine_pfs_rename(w.m, "/mnt/c", "c", "/mnt/d", "d"), TWINE_PFS_OK);
  d1 = grab(&w, "/mnt/d");
  stop(&w);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/d", "d", 71), TWINE_PFS_OK);
  restore(&w, "/mnt/c", c1); /* the pre-rename file back under its old name */
  EXPECT(check_file(&w, "/mnt/c", "c", 71), TWINE_PFS_ROLLBACK);
  memfs_remove(w.fs, "/mnt/c");
  EXPECT(put_file(&w, "/mnt/d", "d", 72), TWINE_PFS_OK);
  stop(&w);
  START_OK(&w);
  restore(&w, "/mnt/d", d1); /* an older generation under the new name */
  EXPECT(check_file(&w, "/mnt/d", "d", 71), TWINE_PFS_ROLLBACK);
  restore(&w, "/mnt/c", c1);
  EXPECT(check_file(&w, "/mnt/c", "c", 71), TWINE_PFS_ROLLBACK);
  stop(&w);
out:
  free(c1.p);
  free(d1.p);
  memfs_free(w.fs);
}

/* ---- the reserved path, the exclusive manifest ------------------------------------ */

static void t_reserved(void) {
  world w;
  world_init(&w, M_PERSISTENT, 8);
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 81), TWINE_PFS_OK);
  EXPECT(put_file(&w, "/mnt/x", TWINE_PFS_ANCHOR_LOGICAL, 82), TWINE_PFS_EHOST);
  /* the manifest cannot be opened through the mount while the store lives */
  twine_pfs_file *f = NULL;
  EXPECT(twine_pfs_open(w.m, MAN, TWINE_PFS_ANCHOR_LOGICAL, TWINE_PFS_RDONLY, NULL, &f),
         TWINE_PFS_EBUSY);
  /* nor can a second store use it */
  world w2 = w;
  w2.m = NULL;
  w2.a = NULL;
  memset(&w2.ctr, 0, sizeof w2.ctr);
  memset(&w2.ek, 0, sizeof w2.ek);
  w2.shared = true;
  EXPECT(start(&w2), TWINE_PFS_EBUSY);
  stop(&w);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 81), TWINE_PFS_OK);
  stop(&w);
out:
  memfs_free(w.fs);
}

/* ---- batching: one bump per manifest commit, sync points only ------------------ */

static void t_batching(void) {
  world w;
  world_init(&w, M_PERSISTENT, 9);
  blob a_dur = {0};
  START_OK(&w);
  TP_CHECK(counter_value(&w) == 0 && w.ctr.bumps == 0, "fresh store bumped");
  twine_pfs_file *f = NULL;
  uint8_t b[FLEN];
  size_t n;
  content(91, b, FLEN);
  EXPECT(twine_pfs_open(w.m, "/mnt/a", "a", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
         TWINE_PFS_OK);
  if (!f)
    goto out;
  TP_CHECK(w.ctr.bumps == 2, "first manifest commit: %u bumps, want 2", w.ctr.bumps);
  EXPECT(twine_pfs_pwrite(f, b, FLEN, 0, &n), TWINE_PFS_OK);
  EXPECT(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  TP_CHECK(w.ctr.bumps == 3, "sync: %u bumps, want 3", w.ctr.bumps);
  EXPECT(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK); /* nothing to commit */
  EXPECT(twine_pfs_close(f), TWINE_PFS_OK);
  EXPECT(check_file(&w, "/mnt/a", "a", 91), TWINE_PFS_OK); /* acceptance, unchanged */
  TP_CHECK(w.ctr.bumps == 3, "idle sync/close/open: %u bumps, want 3", w.ctr.bumps);
  a_dur = grab(&w, "/mnt/a");
  /* DUR_NONE commits are no sync points, and their records are never
   * durable... */
  twine_pfs_open_opts none = {0, TWINE_PFS_DUR_NONE};
  EXPECT(twine_pfs_open(w.m, "/mnt/a", "a", TWINE_PFS_RDWR, &none, &f), TWINE_PFS_OK);
  if (!f)
    goto out;
  for (uint32_t i = 0; i < 5; i++) {
    content(92 + i, b, FLEN);
    EXPECT(twine_pfs_pwrite(f, b, FLEN, 0, &n), TWINE_PFS_OK);
    EXPECT(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  }
  EXPECT(twine_pfs_close(f), TWINE_PFS_OK);
  TP_CHECK(w.ctr.bumps == 3, "DUR_NONE commits: %u bumps, want 3", w.ctr.bumps);
  /* ...so the next sync point (another file's durable commits: the
   * creation and the close) does not persist them */
  EXPECT(put_file(&w, "/mnt/e", "e", 99), TWINE_PFS_OK);
  TP_CHECK(w.ctr.bumps == 5, "durable commits: %u bumps, want 5", w.ctr.bumps);
  restore(&w, "/mnt/a", a_dur); /* within the process: the newest record */
  EXPECT(check_file(&w, "/mnt/a", "a", 91), TWINE_PFS_ROLLBACK);
  stop(&w);
  START_OK(&w);
  /* across the restart, a's last durable record is the DUR_COMMIT one
   * (documented: DUR_NONE files are protected within the process only) */
  EXPECT(check_file(&w, "/mnt/a", "a", 91), TWINE_PFS_OK);
  stop(&w);
out:
  free(a_dur.p);
  memfs_free(w.fs);
}

/* ---- provisional commits are not persisted ------------------------------------- */

/* A DUR_COMMIT file makes provisional (non-durable) commits under cache
 * pressure; another file's sync point happens meanwhile; the process dies
 * before the file's final commit. Recovery rolls the file back to its last
 * durable state, which the persisted anchor must accept. */
static void t_provisional(void) {
  world w;
  world_init(&w, M_PERSISTENT, 13);
  START_OK(&w);
  EXPECT(put_file(&w, "/mnt/a", "a", 131), TWINE_PFS_OK);
  twine_pfs_open_opts small = {TWINE_PFS_CACHE_MIN, TWINE_PFS_DUR_DEFAULT};
  twine_pfs_file *f = NULL;
  EXPECT(twine_pfs_open(w.m, "/mnt/a", "a", TWINE_PFS_RDWR, &small, &f), TWINE_PFS_OK);
  if (!f)
    goto out;
  twine_pfs_stat_t st0, st1;
  EXPECT(twine_pfs_stat(f, &st0), TWINE_PFS_OK);
  uint8_t b[4096];
  content(132, b, sizeof b);
  size_t n;
  for (uint64_t off = 0; off < 256 * 1024; off += sizeof b)
    EXPECT(twine_pfs_pwrite(f, b, sizeof b, off, &n), TWINE_PFS_OK);
  EXPECT(twine_pfs_stat(f, &st1), TWINE_PFS_OK);
  TP_CHECK(st1.generation > st0.generation, "no provisional commit happened (gen %llu)",
           (unsigned long long)st1.generation);
  EXPECT(put_file(&w, "/mnt/e", "e", 133), TWINE_PFS_OK); /* a sync point */
  memfs_crash_at(w.fs, 1);                                 /* the process dies */
  twine_pfs_close(f);
  stop(&w);
  memfs_crash_at(w.fs, 0);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 131), TWINE_PFS_OK); /* back to D */
  EXPECT(check_file(&w, "/mnt/e", "e", 133), TWINE_PFS_OK);
  stop(&w);
  START_OK(&w);
  EXPECT(check_file(&w, "/mnt/a", "a", 131), TWINE_PFS_OK);
  stop(&w);
out:
  memfs_free(w.fs);
}

/* ---- re-stamp after a journal rollback ------------------------------------------- */

/* A power loss after the header of gen g+1 was written but before its
 * barrier: recovery rolls back to g and re-stamps g+2. The persistent
 * anchor must accept that, and refuse the aborted g+1 (which the host saw
 * being written) in every later process. */
static void t_restamp(void) {
  world base;
  world_init(&base, M_PERSISTENT, 10);
  memfs_set_logging(base.fs, true);
  if (start(&base) != TWINE_PFS_OK) {
    TP_CHECK(0, "start");
    memfs_free(base.fs);
    return;
  }
  EXPECT(put_file(&base, "/mnt/a", "a", 101), TWINE_PFS_OK);
  stop(&base);
  memfs_settle(base.fs);
  unsigned hits = 0;
  for (uint64_t k = 1; k < 400; k++) {
    world w = base;
    w.fs = memfs_clone(base.fs);
    if (start(&w) != TWINE_PFS_OK) {
      TP_CHECK(0, "k %llu: start", (unsigned long long)k);
      memfs_free(w.fs);
      break;
    }
    memfs_crash_at(w.fs, k);
    twine_pfs_status s = put_file(&w, "/mnt/a", "a", 102);
    bool crashed = memfs_crashed(w.fs);
    stop(&w);
    memfs_crash_at(w.fs, 0);
    blob aborted = grab(&w, "/mnt/a");
    uint8_t *j = NULL;
    size_t jl = 0;
    bool jr = memfs_get(w.fs, "/mnt/a.pfsj", &j, &jl);
    free(j);
    if (!crashed) {
      TP_CHECK(s == TWINE_PFS_OK, "k %llu: %s", (unsigned long long)k, TP_ST(s));
      free(aborted.p);
      memfs_free(w.fs);
      break;
    }
    /* The new header is on the host but not durable: the host saw it. */
    if (jr && jl > 0 && aborted.len >= 60 && memcmp(aborted.p, "PFSFILE1", 8) == 0) {
      memfs_power_loss(w.fs, 0); /* everything after the last barrier is lost */
      blob now = grab(&w, "/mnt/a");
      bool header_lost = now.len >= 60 && memcmp(now.p + 52, aborted.p + 52, 8) != 0 &&
                         memcmp(aborted.p, now.p, 60) != 0;
      free(now.p);
      if (header_lost) {
        hits++;
        twine_pfs_status ss = start(&w);
        TP_CHECK(ss == TWINE_PFS_OK, "k %llu: start 1 -> %s", (unsigned long long)k, TP_ST(ss));
        if (ss == TWINE_PFS_OK) {
          EXPECT(check_file(&w, "/mnt/a", "a", 101), TWINE_PFS_OK); /* rolled back */
          stop(&w);
          ss = start(&w);
          TP_CHECK(ss == TWINE_PFS_OK, "k %llu: start 2 -> %s", (unsigned long long)k,
                   TP_ST(ss));
        }
        if (ss == TWINE_PFS_OK) {
          EXPECT(check_file(&w, "/mnt/a", "a", 101), TWINE_PFS_OK); /* re-stamped */
          restore(&w, "/mnt/a", aborted);
          memfs_remove(w.fs, "/mnt/a.pfsj");
          EXPECT(check_file(&w, "/mnt/a", "a", 0), TWINE_PFS_ROLLBACK);
          stop(&w);
        }
      }
    }
    free(aborted.p);
    memfs_free(w.fs);
  }
  TP_CHECK(hits > 0, "no crash point left an undurable new header");
  memfs_free(base.fs);
}

/* ---- crash at every I/O call ---------------------------------------------------------- */

enum { W_WRITE, W_UNLINK, W_RENAME, W_CREATE, W_COUNT };
static const char *const wname[W_COUNT] = {"write", "unlink", "rename", "create"};

static void workload(world *w, int kind) {
  switch (kind) {
  case W_WRITE:
    put_file(w, "/mnt/a", "a", 112);
    break;
  case W_UNLINK:
    twine_pfs_unlink(w->m, "/mnt/b", "b");
    break;
  case W_RENAME:
    twine_pfs_rename(w->m, "/mnt/c", "c", "/mnt/d", "d");
    break;
  default:
    put_file(w, "/mnt/e", "e", 114);
    break;
  }
}

/* After the crash (and possibly a power loss): the store opens, and every
 * file opens with a legal content. */
static void check_after(world *w, int kind, uint64_t k, bool power) {
  twine_pfs_status s = start(w);
  TP_CHECK(s == TWINE_PFS_OK, "%s k %llu power %d: store -> %s", wname[kind],
           (unsigned long long)k, power, TP_ST(s));
  if (s != TWINE_PFS_OK)
    return;
  const uint32_t a_seeds[2] = {111, 112};
  if (which_content(w, "/mnt/a", "a", a_seeds, kind == W_WRITE ? 2 : 1, &s) == 0)
    TP_CHECK(0, "%s k %llu power %d: a -> %s / wrong content", wname[kind],
             (unsigned long long)k, power, TP_ST(s));
  if (memfs_exists(w->fs, "/mnt/b"))
    TP_CHECK(check_file(w, "/mnt/b", "b", 113) == TWINE_PFS_OK, "%s k %llu power %d: b",
             wname[kind], (unsigned long long)k, power);
  else
    TP_CHECK(kind == W_UNLINK, "%s k %llu: b vanished", wname[kind], (unsigned long long)k);
  bool c = memfs_exists(w->fs, "/mnt/c"), d = memfs_exists(w->fs, "/mnt/d");
  TP_CHECK(c != d && (c || kind == W_RENAME), "%s k %llu: c %d d %d", wname[kind],
           (unsigned long long)k, c, d);
  if (c)
    TP_CHECK((s = check_file(w, "/mnt/c", "c", 115)) == TWINE_PFS_OK,
             "%s k %llu power %d: c -> %s", wname[kind], (unsigned long long)k, power,
             TP_ST(s));
  if (d)
    TP_CHECK((s = check_file(w, "/mnt/d", "d", 115)) == TWINE_PFS_OK,
             "%s k %llu power %d: d -> %s", wname[kind], (unsigned long long)k, power,
             TP_ST(s));
  if (memfs_exists(w->fs, "/mnt/e")) {
    /* creation is not atomic (docs/pfs-format.md): a torn first header
     * may be CORRUPTED, but never a rollback */
    s = check_file(w, "/mnt/e", "e", 0);
    TP_CHECK(s == TWINE_PFS_OK || s == TWINE_PFS_CORRUPTED, "%s k %llu power %d: e -> %s",
             wname[kind], (unsigned long long)k, power, TP_ST(s));
  }
  stop(w);
}

static void t_crash_sweep(void) {
  world base;
  world_init(&base, M_PERSISTENT, 12);
  memfs_set_logging(base.fs, true);
  if (start(&base) != TWINE_PFS_OK) {
    TP_CHECK(0, "start");
    memfs_free(base.fs);
    return;
  }
  EXPECT(put_file(&base, "/mnt/a", "a", 111), TWINE_PFS_OK);
  EXPECT(put_file(&base, "/mnt/b", "b", 113), TWINE_PFS_OK);
  EXPECT(put_file(&base, "/mnt/c", "c", 115), TWINE_PFS_OK);
  stop(&base);
  memfs_settle(base.fs);
  tp_rng r = {tp_seed(1234)};
  unsigned points = 0;
  for (int kind = 0; kind < W_COUNT; kind++)
    for (int power = 0; power < 2; power++)
      for (int fresh = 0; fresh < 2; fresh++)
        for (uint64_t k = 1;; k++) {
          world w = base;
          w.fs = memfs_clone(base.fs);
          if (start(&w) != TWINE_PFS_OK) {
            TP_CHECK(0, "start");
            memfs_free(w.fs);
            break;
          }
          if (!fresh) /* a store past its double first commit */
            EXPECT(put_file(&w, "/mnt/z", "z", 116), TWINE_PFS_OK);
          memfs_crash_at(w.fs, k);
          workload(&w, kind);
          bool crashed = memfs_crashed(w.fs);
          stop(&w);
          memfs_crash_at(w.fs, 0);
          if (power)
            memfs_power_loss(w.fs, (unsigned)tp_below(&r, 257));
          check_after(&w, kind, k, power);
          memfs_free(w.fs);
          if (!crashed)
            break;
          points++;
          if (k > 2000) {
            TP_CHECK(0, "%s: no end of the workload", wname[kind]);
            break;
          }
        }
  printf("  crash sweep: %u crash points (4 workloads x process/power x fresh/used store)\n",
         points);
  memfs_free(base.fs);
}

int main(void) {
  static const char *const mname[3] = {"NONE", "PROCESS", "PERSISTENT"};
  for (int mode = M_NONE; mode <= M_PERSISTENT; mode++) {
    unsigned long f0 = tp_failures;
    t_replay(mode);
    t_resurrect(mode);
    printf("  %s: replay/resurrect %s\n", mname[mode], tp_failures == f0 ? "ok" : "FAILED");
  }
  t_manifest_replaced();
  t_crash_window();
  t_stale_window_copy();
  t_tamper();
  t_rename();
  t_reserved();
  t_batching();
  t_provisional();
  t_restamp();
  t_crash_sweep();
  return tp_finish("pfs_anchor");
}

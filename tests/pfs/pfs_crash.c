/*
 * pfs_crash.c - crash injection through the I/O table (memfs).
 *
 * A scenario: a protected file is created and committed durably (state
 * S0); then it is opened, changed by a random list of pwrites / set_size
 * calls and finished by sync, close, rename or rekey. The scenario is run
 * once to count its I/O calls N, then again for crash points k = 1..N:
 *   stop   the process dies at call k (calls from k on fail; what was
 *          written before stays, as in the page cache);
 *   power  the same, then power is lost: every file keeps what was synced
 *          plus a random subset of later writes, per 512-byte sector.
 * Then a fresh mount (anchors reverted to their last sync point, as a
 * persistent anchor store would be) opens the file: it must open (never
 * CORRUPTED / ROLLBACK), and its content must equal the last durable state
 * or the in-flight one (the shadow model). The file is DUR_COMMIT: only
 * S0, the syncs some ops are followed by, and the final sync / close /
 * rekey make durable states; the commits the cache forces in between are
 * provisional and must roll back. A durable point whose last I/O call
 * came before the crash was acknowledged: nothing older may come back
 * (the call numbers are taken from the dry run). A second crash during
 * that recovery (stop mode) must also leave a legal state.
 */
#include <stdlib.h>
#include <string.h>

#include "pfs/pfs_int.h"
#include "pfs_testlib.h"

#define NODE ((uint64_t)TW_PFS_NODE)
#define DPM ((uint64_t)TW_PFS_DPM)

/* ---- an anchor store that persists only at sync ---------------------------- */

#define MAXREC 16
typedef struct arec {
  uint8_t key[32];
  twine_pfs_anchor_rec rec;
  bool used;
} arec;
typedef struct astore {
  arec live[MAXREC], durable[MAXREC];
} astore;

static arec *a_find(arec *t, const uint8_t k[32], bool add) {
  for (int i = 0; i < MAXREC; i++)
    if (t[i].used && !memcmp(t[i].key, k, 32))
      return &t[i];
  if (!add)
    return NULL;
  for (int i = 0; i < MAXREC; i++)
    if (!t[i].used) {
      memset(&t[i], 0, sizeof t[i]);
      t[i].used = true;
      memcpy(t[i].key, k, 32);
      return &t[i];
    }
  return NULL;
}
static int a_get(void *c, const uint8_t k[32], twine_pfs_anchor_rec *out) {
  arec *r = a_find(((astore *)c)->live, k, false);
  if (!r)
    return 1;
  *out = r->rec;
  return 0;
}
static int a_put(void *c, const uint8_t k[32], const twine_pfs_anchor_rec *rec) {
  arec *r = a_find(((astore *)c)->live, k, true);
  if (!r)
    return -1;
  r->rec = *rec;
  return 0;
}
static int a_tomb(void *c, const uint8_t k[32]) {
  arec *r = a_find(((astore *)c)->live, k, false);
  if (r)
    r->rec.tombstone = 1;
  return 0;
}
static int a_move(void *c, const uint8_t from[32], const uint8_t to[32]) {
  astore *s = c;
  arec *r = a_find(s->live, from, false);
  if (!r)
    return 0;
  twine_pfs_anchor_rec rec = r->rec;
  r->rec.tombstone = 1;
  return a_put(s, to, &rec);
}
static int a_sync(void *c) {
  astore *s = c;
  memcpy(s->durable, s->live, sizeof s->live);
  return 0;
}
static const twine_pfs_anchor_ops aops = {a_get, a_put, a_tomb, a_move, a_sync, NULL};

/* ---- scenarios ------------------------------------------------------------------ */

enum { FIN_SYNC, FIN_CLOSE, FIN_RENAME, FIN_REKEY, FIN_COUNT };
static const char *const fin_names[] = {"sync", "close", "rename", "rekey"};

typedef struct mop {
  int kind; /* 0 pwrite, 1 set_size */
  bool sync_after; /* then twine_pfs_sync: a durable point */
  uint64_t off;
  size_t len;
  uint64_t seed;
} mop;

typedef struct scenario {
  uint64_t seed;
  size_t init_len;
  mop ops[24];
  unsigned nops;
  int fin;
  uint32_t frames;
  /* the shadow model: hashes of the durable states, in order (S0, the
   * syncs after ops, the final state), and the I/O call (counted from the
   * start of the changes, in the dry run) after which each was acknowledged */
  uint64_t legal[32];
  uint64_t legal_size[32];
  uint64_t dur_call[32];
  unsigned nlegal;
} scenario;

static uint64_t content_hash(const uint8_t *p, size_t n) { return tp_hash(p, n); }

static void gen_scenario(scenario *sc, uint64_t seed) {
  tp_rng r = {seed};
  memset(sc, 0, sizeof *sc);
  sc->seed = seed;
  uint64_t span = tp_below(&r, 3) == 0 ? (DPM + 20) * NODE : 24 * NODE;
  sc->init_len = (size_t)tp_below(&r, span);
  sc->nops = 1 + (unsigned)tp_below(&r, 12);
  sc->fin = (int)tp_below(&r, FIN_COUNT);
  /* knobs to hunt past known bugs: PFS_CRASH_SKIP=rename,shrink */
  const char *skip = getenv("PFS_CRASH_SKIP");
  if (skip && strstr(skip, "rename") && sc->fin == FIN_RENAME)
    sc->fin = FIN_SYNC;
  if (skip && strstr(skip, "rekey") && sc->fin == FIN_REKEY)
    sc->fin = FIN_CLOSE;
  sc->frames = tp_below(&r, 2) ? TWINE_PFS_CACHE_MIN : 0;
  tp_rng rs = {seed ^ 0x5c5c5c5cu}; /* separate stream: the ops stay as they were */
  for (unsigned i = 0; i < sc->nops; i++) {
    sc->ops[i].sync_after = i + 1 < sc->nops && tp_below(&rs, 6) == 0;
    mop *o = &sc->ops[i];
    o->seed = tp_next(&r);
    if (tp_below(&r, 6) == 0 && !(skip && strstr(skip, "shrink"))) {
      o->kind = 1;
      o->off = tp_below(&r, span + 2 * NODE);
    } else {
      o->kind = 0;
      o->off = tp_below(&r, span);
      o->len = (size_t)tp_below(&r, tp_below(&r, 2) ? NODE : 3 * NODE) + 1;
    }
  }
}

/* Apply an op to the plain model. */
static void model_apply(uint8_t **buf, size_t *len, const mop *o) {
  size_t end = o->kind ? (size_t)o->off : (size_t)o->off + o->len;
  if (end > *len || o->kind) {
    uint8_t *b = realloc(*buf, end + 1);
    if (end > *len)
      memset(b + *len, 0, end - *len);
    *buf = b;
    *len = end;
  }
  if (!o->kind) {
    tp_rng dr = {o->seed};
    tp_fill(&dr, *buf + o->off, o->len);
  }
}

/* Build the durable states: S0, after each op followed by a sync, final. */
static void model_build(scenario *sc) {
  tp_rng r = {sc->seed ^ 0xabcdef};
  uint8_t *b = malloc(sc->init_len + 1);
  size_t len = sc->init_len;
  tp_fill(&r, b, len);
  sc->nlegal = 0;
  sc->legal_size[sc->nlegal] = len;
  sc->legal[sc->nlegal++] = content_hash(b, len);
  for (unsigned i = 0; i < sc->nops; i++) {
    const mop *o = &sc->ops[i];
    model_apply(&b, &len, o);
    if (o->sync_after || i + 1 == sc->nops) {
      sc->legal_size[sc->nlegal] = len;
      sc->legal[sc->nlegal++] = content_hash(b, len);
    }
  }
  free(b);
}

typedef struct world {
  memfs *fs;
  astore *as;
  twine_pfs_anchor *anchor;
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m;
} world;

static twine_pfs_mount *world_mount(world *w, twine_pfs_explicit_key *ek,
                                    const uint8_t key[32]) {
  return tp_mount(memfs_ops(), w->fs, ek, key, tp_mount_a, w->anchor, TWINE_PFS_DUR_COMMIT,
                  0);
}

/* Setup: the file in state S0, durable. */
static bool setup(scenario *sc, world *w) {
  memset(w, 0, sizeof *w);
  w->fs = memfs_new(sc->seed);
  memfs_set_logging(w->fs, true);
  w->as = calloc(1, sizeof *w->as);
  twine_pfs_anchor_new(&aops, w->as, &w->anchor);
  w->m = world_mount(w, &w->ek, tp_key_a);
  tp_rng r = {sc->seed ^ 0xabcdef};
  uint8_t *b = malloc(sc->init_len + 1);
  tp_fill(&r, b, sc->init_len);
  twine_pfs_file *f = NULL;
  size_t n;
  twine_pfs_status s = twine_pfs_open(w->m, "/d/file", "file",
                                      TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f);
  if (s == TWINE_PFS_OK)
    s = twine_pfs_pwrite(f, b, sc->init_len, 0, &n);
  twine_pfs_status cs = twine_pfs_close(f);
  free(b);
  TP_REQUIRE(s == TWINE_PFS_OK && cs == TWINE_PFS_OK, "setup seed %llu: %s / %s",
             (unsigned long long)sc->seed, TP_ST(s), TP_ST(cs));
  memfs_settle(w->fs);
  a_sync(w->as);
  return true;
}

static void world_free(world *w) {
  if (w->m)
    twine_pfs_mount_free(w->m);
  twine_pfs_anchor_free(w->anchor);
  free(w->as);
  twine_pfs_explicit_key_wipe(&w->ek);
  memfs_free(w->fs);
}

/* Run the scenario's changes on the world (crash armed by the caller at
 * call k counted from here; 0 = none). Returns the number of I/O calls. */
static uint64_t run_changes(scenario *sc, world *w, uint64_t k) {
  uint64_t c0 = memfs_calls(w->fs);
  memfs_crash_at(w->fs, k);
  twine_pfs_file *f = NULL;
  twine_pfs_open_opts opts = {sc->frames, TWINE_PFS_DUR_DEFAULT};
  twine_pfs_status s = twine_pfs_open(w->m, "/d/file", "file", TWINE_PFS_RDWR, &opts, &f);
  if (s != TWINE_PFS_OK) {
    TP_CHECK(k != 0, "seed %llu: open without crash -> %s", (unsigned long long)sc->seed,
             TP_ST(s));
    return memfs_calls(w->fs) - c0;
  }
  uint8_t *b = malloc(3 * NODE + 1);
  unsigned nd = 0;
  sc->dur_call[0] = 0;
  for (unsigned i = 0; i < sc->nops && s == TWINE_PFS_OK; i++) {
    mop *o = &sc->ops[i];
    size_t n;
    if (o->kind) {
      s = twine_pfs_set_size(f, o->off);
    } else {
      tp_rng dr = {o->seed};
      tp_fill(&dr, b, o->len);
      s = twine_pfs_pwrite(f, b, o->len, o->off, &n);
    }
    if (s == TWINE_PFS_OK && o->sync_after) {
      s = twine_pfs_sync(f, TWINE_PFS_SYNC_DATA);
      if (k == 0)
        sc->dur_call[++nd] = memfs_calls(w->fs) - c0;
    }
  }
  free(b);
  if (s == TWINE_PFS_OK) {
    switch (sc->fin) {
    case FIN_SYNC:
      s = twine_pfs_sync(f, TWINE_PFS_SYNC_DATA);
      break;
    case FIN_REKEY:
      s = twine_pfs_rekey(f);
      break;
    default:
      break;
    }
  }
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
  if (k == 0) /* the final state is durable once the close returned */
    sc->dur_call[++nd] = memfs_calls(w->fs) - c0;
  if (s == TWINE_PFS_OK && sc->fin == FIN_RENAME)
    s = twine_pfs_rename(w->m, "/d/file", "file", "/d/renamed", "renamed");
  TP_CHECK(k != 0 || s == TWINE_PFS_OK, "seed %llu: changes without crash -> %s",
           (unsigned long long)sc->seed, TP_ST(s));
  return memfs_calls(w->fs) - c0;
}

/* After the crash: open with a fresh mount and check the content. */
static bool check_after(scenario *sc, world *w, const char *mode, uint64_t k,
                        uint64_t k2) {
  /* anchors revert to their last persistence point */
  memcpy(w->as->live, w->as->durable, sizeof w->as->live);
  twine_pfs_mount_free(w->m);
  w->m = world_mount(w, &w->ek, tp_key_a);
  const char *host = "/d/file", *logical = "file";
  if (sc->fin == FIN_RENAME && memfs_exists(w->fs, "/d/renamed")) {
    host = "/d/renamed";
    logical = "renamed";
  }
  if (k2)
    memfs_crash_at(w->fs, k2);
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(w->m, host, logical, TWINE_PFS_RDONLY, NULL, &f);
  if (k2) { /* a second crash during recovery: check on the next open */
    twine_pfs_close(f);
    memfs_crash_at(w->fs, 0);
    return true;
  }
  if (s != TWINE_PFS_OK) {
    twine_pfs_status alt = TWINE_PFS_OK;
    if (sc->fin == FIN_RENAME && s == TWINE_PFS_WRONG_PATH) {
      twine_pfs_file *g = NULL;
      alt = twine_pfs_open(w->m, host, "renamed", TWINE_PFS_RDONLY, NULL, &g);
      twine_pfs_close(g);
    }
    tp_fail(__FILE__, __LINE__,
            "%s seed %llu (%u ops, final %s, cache %u) crash at call %llu: reopen %s -> %s%s",
            mode, (unsigned long long)sc->seed, sc->nops, fin_names[sc->fin],
            sc->frames ? sc->frames : TWINE_PFS_CACHE_DEFAULT, (unsigned long long)k, host,
            TP_ST(s),
            alt == TWINE_PFS_OK && sc->fin == FIN_RENAME && s == TWINE_PFS_WRONG_PATH
                ? " (the old host file opens under the NEW logical path)"
                : "");
    return false;
  }
  uint64_t size = 0;
  twine_pfs_get_size(f, &size);
  uint8_t *b = malloc(size + 1);
  size_t n = 0;
  s = twine_pfs_pread(f, b, size, 0, &n);
  twine_pfs_close(f);
  uint64_t h = content_hash(b, n);
  free(b);
  /* the last acknowledged durable state, or the one in flight */
  unsigned last = 0;
  for (unsigned i = 1; i < sc->nlegal; i++)
    if (k == 0 || sc->dur_call[i] < k)
      last = i;
  int match = -1;
  for (unsigned i = last; i < sc->nlegal && i <= last + 1; i++)
    if (sc->legal[i] == h && sc->legal_size[i] == size)
      match = (int)i;
  TP_REQUIRE(s == TWINE_PFS_OK && n == size && match >= 0,
             "%s seed %llu (%u ops, final %s, cache %u) crash at call %llu: read %s, size "
             "%llu: content matches %s (legal: durable state %u or %u of %u)",
             mode, (unsigned long long)sc->seed, sc->nops, fin_names[sc->fin],
             sc->frames ? sc->frames : TWINE_PFS_CACHE_DEFAULT, (unsigned long long)k,
             TP_ST(s), (unsigned long long)size,
             s != TWINE_PFS_OK ? "-" : "NO LEGAL STATE", last, last + 1, sc->nlegal);
  /* a crash after the final durable point must keep the final state */
  if (memfs_crashed(w->fs) == false && k == 0)
    TP_REQUIRE(match == (int)sc->nlegal - 1, "no-crash run lost data");
  /* writable again */
  s = twine_pfs_open(w->m, host, logical, TWINE_PFS_RDWR, NULL, &f);
  if (s == TWINE_PFS_OK)
    s = twine_pfs_pwrite(f, "x", 1, 0, &n);
  twine_pfs_status cs = twine_pfs_close(f);
  TP_REQUIRE(s == TWINE_PFS_OK && cs == TWINE_PFS_OK,
             "%s seed %llu crash at %llu: write after recovery -> %s / %s", mode,
             (unsigned long long)sc->seed, (unsigned long long)k, TP_ST(s), TP_ST(cs));
  return true;
}

static void run_mode(bool power) {
  const char *mode = power ? "power" : "stop";
  unsigned nsc = (power ? 40 : 30) * tp_scale();
  uint64_t seed = tp_seed(power ? 0xB0B : 0x5709);
  printf("crash %s: NODE=%u, %u scenarios, seed %llu\n", mode, TW_PFS_NODE, nsc,
         (unsigned long long)seed);
  unsigned long trials = 0;
  for (unsigned i = 0; i < nsc && tp_failures < 5; i++) {
    if (i % 200 == 199)
      fprintf(stderr, "  ... %u scenarios\n", i + 1);
    scenario sc;
    gen_scenario(&sc, seed * 7919 + i);
    if (getenv("PFS_TEST_ONLY") && strtoull(getenv("PFS_TEST_ONLY"), NULL, 0) != sc.seed)
      continue;
    if (getenv("PFS_TEST_ONLY")) {
      printf("scenario %llu: initial size %zu, cache %u, then:\n", (unsigned long long)sc.seed,
             sc.init_len, sc.frames);
      for (unsigned k = 0; k < sc.nops; k++)
        printf("  %s off %llu len %zu%s\n", sc.ops[k].kind ? "set_size" : "pwrite",
               (unsigned long long)sc.ops[k].off, sc.ops[k].len,
               sc.ops[k].sync_after ? ", sync" : "");
      printf("  %s\n", fin_names[sc.fin]);
    }
    model_build(&sc);
    world base;
    if (!setup(&sc, &base)) {
      world_free(&base);
      continue;
    }
    /* dry run: count the calls */
    world w;
    memset(&w, 0, sizeof w);
    w.fs = memfs_clone(base.fs);
    w.as = calloc(1, sizeof *w.as);
    *w.as = *base.as;
    twine_pfs_anchor_new(&aops, w.as, &w.anchor);
    w.m = world_mount(&w, &w.ek, tp_key_a);
    uint64_t ncalls = run_changes(&sc, &w, 0);
    check_after(&sc, &w, mode, 0, 0);
    world_free(&w);
    tp_rng r = {sc.seed};
    uint64_t step = ncalls > 300 ? ncalls / 150 : 1;
    for (uint64_t k = 1; k <= ncalls + 1 && tp_failures < 5; k += step) {
      unsigned reps = power ? 2 : 1;
      for (unsigned rep = 0; rep < reps; rep++) {
        memset(&w, 0, sizeof w);
        w.fs = memfs_clone(base.fs);
        w.as = calloc(1, sizeof *w.as);
        *w.as = *base.as;
        twine_pfs_anchor_new(&aops, w.as, &w.anchor);
        w.m = world_mount(&w, &w.ek, tp_key_a);
        run_changes(&sc, &w, k);
        trials++;
        if (power) {
          memfs_power_loss(w.fs, (unsigned)(rep == 0 ? tp_below(&r, 257) : 128));
        } else if (tp_below(&r, 4) == 0) {
          /* a second crash during the recovery, then check */
          memfs_crash_at(w.fs, 0);
          check_after(&sc, &w, mode, k, 1 + tp_below(&r, 12));
        }
        memfs_crash_at(w.fs, 0);
        check_after(&sc, &w, mode, k, 0);
        world_free(&w);
      }
    }
    world_free(&base);
  }
  printf("crash %s: %lu crash trials\n", mode, trials);
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "stop";
  if (!strcmp(m, "stop") || !strcmp(m, "all"))
    run_mode(false);
  if (!strcmp(m, "power") || !strcmp(m, "all"))
    run_mode(true);
  return tp_finish("pfs crash");
}

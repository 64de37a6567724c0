/*
 * pfs_anchor_file.c - PERSISTENT rollback anchors: the anchor manifest (a
 * protected file of its own internal mount, anchor mode NONE, bound to the
 * reserved logical path TWINE_PFS_ANCHOR_LOGICAL) whose freshness a
 * monotonic counter protects; and the file-backed counter. Format and
 * rules: docs/pfs-format.md, "Anchor manifest".
 *
 * Records live in memory (get and put act on them at once, as in the
 * PROCESS store). Only records put as durable (rec.durable: the file state
 * is on the host past its last barrier) and tombstones go to the manifest,
 * so the persisted anchor never exceeds a file's durable generation, and
 * the file rolled back to that state by recovery (then re-stamped) still
 * passes. They reach the manifest at sync points only: the store's sync op
 * (called after a durable file commit), tombstone and move (a removal or
 * rename is durable on return, so is its record). A manifest
 * commit writes the changed records in place (a record keeps its slot for
 * ever; tombstones are never dropped) and the manifest header with
 * manifest_gen = counter + 1, commits the manifest durably, then
 * increments the counter: one bump per manifest commit, however many file
 * commits it covers.
 *
 * The first manifest commit of a store instance is done twice (gen + 1,
 * bump, gen + 2, bump). A crash between a manifest commit and its bump
 * leaves a manifest at counter + 1 that the host may keep aside while it
 * presents the older one (both are legal at that restart: the sync that
 * wrote the newer one never returned). Without the double commit, the next
 * instance would write its own counter + 1 and the stale copy would match
 * the counter again after the bump, undoing acknowledged syncs. With it,
 * the counter is past every manifest written before the restart by the
 * time the first sync of the instance returns.
 */
#include <stdlib.h>
#include <string.h>

#include "pfs/pfs_int.h"

#define MF_MAGIC "PFSANCH1"
#define MF_VERSION 1u
enum {
  MF_H_MAGIC = 0,    /* [8] */
  MF_H_VERSION = 8,  /* u32 */
  MF_H_FLAGS = 12,   /* u32 = 0 */
  MF_H_GEN = 16,     /* u64 manifest_gen */
  MF_H_COUNT = 24,   /* u64 records */
  MF_H_MOUNT = 32,   /* [16] mount id */
  MF_H_RSV = 48,     /* [16] zero */
  MF_HDR = 64,
  MF_R_HASH = 0,     /* [32] path_hash */
  MF_R_UUID = 32,    /* [16] */
  MF_R_GEN = 48,     /* u64 */
  MF_R_TAG = 56,     /* [16] meta_tag */
  MF_R_FLAGS = 72,   /* u32: bit 0 tombstone */
  MF_R_RSV = 76,     /* u32 zero */
  MF_REC = 80
};
#define MF_RF_TOMBSTONE 1u
#define MF_MAX_RECORDS (1u << 22)
#define MF_CHUNK 512u /* records per read while loading */
#define NIL UINT32_MAX

/* A record has two values: `mem`, the newest (what get answers, so checks
 * within the process are as strict as PROCESS), and `dur`, the newest one
 * put as durable, which is what the manifest holds. */
typedef struct mslot {
  uint8_t key[32];
  twine_pfs_anchor_rec mem;
  twine_pfs_anchor_rec dur; /* valid if has_dur                        */
  bool has_dur;
  uint32_t pos;   /* record index in the manifest, NIL: not in it yet */
  uint64_t ver;   /* +1 per change of dur                             */
  uint64_t saved; /* ver last written to the manifest                 */
  uint32_t next;  /* hash chain                                       */
} mslot;

typedef struct mstore {
  pthread_mutex_t mx;  /* the table: s, n, cap, b, nb                */
  pthread_mutex_t smx; /* manifest commits and the counter; the rest */
  twine_pfs_mount *m;  /* internal mount of the manifest             */
  twine_pfs_file *f;   /* the manifest, open RDWR while the store is */
  const twine_pfs_counter_ops *ctr;
  void *ctr_ctx;
  uint8_t mount_id[16];
  uint8_t self[32];    /* path_hash of the manifest itself           */
  uint64_t gen;        /* manifest_gen on disk == counter value      */
  uint32_t npos;       /* manifest positions handed out (under mx)   */
  bool fresh;          /* no manifest commit by this instance yet    */
  bool failed;         /* a manifest commit or bump failed: sticky   */
  mslot *s;
  uint32_t n, cap;
  uint32_t *b;
  uint32_t nb;         /* power of two                               */
} mstore;

/* ---- table ------------------------------------------------------------------ */

static uint32_t bucket(const mstore *st, const uint8_t key[32]) {
  return tw_pfs_ld32(key) & (st->nb - 1);
}

static uint32_t find(const mstore *st, const uint8_t key[32]) {
  for (uint32_t i = st->b[bucket(st, key)]; i != NIL; i = st->s[i].next)
    if (memcmp(st->s[i].key, key, 32) == 0)
      return i;
  return NIL;
}

static int rehash(mstore *st, uint32_t nb) {
  uint32_t *b = malloc(nb * sizeof *b);
  if (!b)
    return -1;
  for (uint32_t i = 0; i < nb; i++)
    b[i] = NIL;
  free(st->b);
  st->b = b;
  st->nb = nb;
  for (uint32_t i = 0; i < st->n; i++) {
    uint32_t h = bucket(st, st->s[i].key);
    st->s[i].next = b[h];
    b[h] = i;
  }
  return 0;
}

static uint32_t add(mstore *st, const uint8_t key[32]) {
  if (st->n >= MF_MAX_RECORDS)
    return NIL;
  if (st->n == st->cap) {
    uint32_t cap = st->cap ? st->cap * 2 : 64;
    mslot *s = realloc(st->s, cap * sizeof *s);
    if (!s)
      return NIL;
    st->s = s;
    st->cap = cap;
  }
  if (st->n >= st->nb && rehash(st, st->nb * 2) != 0)
    return NIL;
  mslot *x = &st->s[st->n];
  memset(x, 0, sizeof *x);
  memcpy(x->key, key, 32);
  x->pos = NIL;
  uint32_t h = bucket(st, key);
  x->next = st->b[h];
  st->b[h] = st->n;
  return st->n++;
}

static bool rec_equal(const twine_pfs_anchor_rec *a, const twine_pfs_anchor_rec *b) {
  return memcmp(a->file_uuid, b->file_uuid, 16) == 0 && a->generation == b->generation &&
         memcmp(a->meta_tag, b->meta_tag, 16) == 0 && a->tombstone == b->tombstone;
}

static twine_pfs_anchor_rec normalized(const twine_pfs_anchor_rec *rec) {
  twine_pfs_anchor_rec r;
  memset(&r, 0, sizeof r);
  memcpy(r.file_uuid, rec->file_uuid, 16);
  r.generation = rec->generation;
  memcpy(r.meta_tag, rec->meta_tag, 16);
  r.tombstone = rec->tombstone ? 1 : 0;
  return r;
}

/* The durable value of slot i becomes r (st->mx held). */
static void set_dur(mslot *x, const twine_pfs_anchor_rec *r) {
  if (x->has_dur && rec_equal(&x->dur, r))
    return;
  x->dur = *r;
  x->has_dur = true;
  x->ver++;
}

/* Put a record under key: always the newest; durable too if it says so
 * (st->mx held). */
static int set_rec(mstore *st, const uint8_t key[32], const twine_pfs_anchor_rec *rec,
                   bool durable) {
  twine_pfs_anchor_rec r = normalized(rec);
  uint32_t i = find(st, key);
  if (i == NIL && (i = add(st, key)) == NIL)
    return -1;
  st->s[i].mem = r;
  if (durable)
    set_dur(&st->s[i], &r);
  return 0;
}

/* ---- manifest encoding -------------------------------------------------------- */

static void enc_rec(uint8_t *p, const mslot *x) {
  memset(p, 0, MF_REC);
  memcpy(p + MF_R_HASH, x->key, 32);
  memcpy(p + MF_R_UUID, x->dur.file_uuid, 16);
  tw_pfs_st64(p + MF_R_GEN, x->dur.generation);
  memcpy(p + MF_R_TAG, x->dur.meta_tag, 16);
  tw_pfs_st32(p + MF_R_FLAGS, x->dur.tombstone ? MF_RF_TOMBSTONE : 0);
}

static void enc_hdr(uint8_t *p, const mstore *st, uint64_t gen, uint64_t count) {
  memset(p, 0, MF_HDR);
  memcpy(p + MF_H_MAGIC, MF_MAGIC, 8);
  tw_pfs_st32(p + MF_H_VERSION, MF_VERSION);
  tw_pfs_st64(p + MF_H_GEN, gen);
  tw_pfs_st64(p + MF_H_COUNT, count);
  memcpy(p + MF_H_MOUNT, st->mount_id, 16);
}

static twine_pfs_status read_exact(twine_pfs_file *f, void *buf, size_t len, uint64_t off) {
  size_t got = 0;
  twine_pfs_status s = twine_pfs_pread(f, buf, len, off, &got);
  if (s == TWINE_PFS_OK && got != len)
    s = TWINE_PFS_CORRUPTED;
  return s;
}

/* Load the records of an authenticated manifest; *gen = its manifest_gen
 * (0 for an empty file: a manifest created but never committed). */
static twine_pfs_status load(mstore *st, uint64_t *gen) {
  uint64_t size;
  twine_pfs_status s = twine_pfs_get_size(st->f, &size);
  if (s != TWINE_PFS_OK)
    return s;
  *gen = 0;
  if (size == 0)
    return TWINE_PFS_OK;
  uint8_t h[MF_HDR];
  if (size < MF_HDR)
    return TWINE_PFS_CORRUPTED;
  if ((s = read_exact(st->f, h, MF_HDR, 0)) != TWINE_PFS_OK)
    return s;
  uint64_t count = tw_pfs_ld64(h + MF_H_COUNT);
  if (memcmp(h + MF_H_MAGIC, MF_MAGIC, 8) != 0 ||
      tw_pfs_ld32(h + MF_H_VERSION) != MF_VERSION || tw_pfs_ld32(h + MF_H_FLAGS) != 0 ||
      memcmp(h + MF_H_MOUNT, st->mount_id, 16) != 0 || !tw_pfs_is_zero(h + MF_H_RSV, 16) ||
      count > MF_MAX_RECORDS || size != MF_HDR + count * MF_REC)
    return TWINE_PFS_CORRUPTED;
  uint8_t *buf = malloc((size_t)MF_CHUNK * MF_REC);
  if (!buf)
    return TWINE_PFS_ENOMEM;
  for (uint64_t i = 0; i < count && s == TWINE_PFS_OK; i += MF_CHUNK) {
    uint64_t k = count - i < MF_CHUNK ? count - i : MF_CHUNK;
    if ((s = read_exact(st->f, buf, (size_t)k * MF_REC, MF_HDR + i * MF_REC)) != TWINE_PFS_OK)
      break;
    for (uint64_t j = 0; j < k; j++) {
      const uint8_t *p = buf + j * MF_REC;
      uint32_t fl = tw_pfs_ld32(p + MF_R_FLAGS);
      if ((fl & ~MF_RF_TOMBSTONE) != 0 || tw_pfs_ld32(p + MF_R_RSV) != 0 ||
          memcmp(p + MF_R_HASH, st->self, 32) == 0 || find(st, p + MF_R_HASH) != NIL) {
        s = TWINE_PFS_CORRUPTED;
        break;
      }
      uint32_t x = add(st, p + MF_R_HASH);
      if (x == NIL) {
        s = TWINE_PFS_ENOMEM;
        break;
      }
      mslot *sl = &st->s[x];
      memcpy(sl->dur.file_uuid, p + MF_R_UUID, 16);
      sl->dur.generation = tw_pfs_ld64(p + MF_R_GEN);
      memcpy(sl->dur.meta_tag, p + MF_R_TAG, 16);
      sl->dur.tombstone = fl & MF_RF_TOMBSTONE;
      sl->mem = sl->dur;
      sl->has_dur = true;
      sl->pos = (uint32_t)(i + j);
      sl->ver = sl->saved = 1;
    }
  }
  free(buf);
  if (s == TWINE_PFS_OK) {
    st->npos = (uint32_t)count;
    *gen = tw_pfs_ld64(h + MF_H_GEN);
  }
  return s;
}

/* ---- manifest commits ---------------------------------------------------------- */

typedef struct dirty_rec {
  uint32_t idx, pos;
  uint64_t ver;
  uint8_t bytes[MF_REC];
} dirty_rec;

/* Bump the counter; it must land exactly on want. */
static int bump(mstore *st, uint64_t want) {
  uint64_t v = 0;
  if (st->ctr->increment(st->ctr_ctx, &v) != 0 || v != want)
    return -1;
  return 0;
}

/* One manifest commit of everything changed (st->smx held). */
static int persist_locked(mstore *st) {
  pthread_mutex_lock(&st->mx);
  uint32_t nd = 0;
  for (uint32_t i = 0; i < st->n; i++)
    nd += st->s[i].ver != st->s[i].saved;
  if (nd == 0) {
    pthread_mutex_unlock(&st->mx);
    return 0;
  }
  dirty_rec *d = malloc(nd * sizeof *d);
  if (!d) {
    pthread_mutex_unlock(&st->mx);
    return -1;
  }
  for (uint32_t i = 0, k = 0; i < st->n; i++) {
    mslot *x = &st->s[i];
    if (x->ver == x->saved)
      continue;
    if (x->pos == NIL)
      x->pos = st->npos++; /* a record keeps its position for ever */
    d[k].idx = i;
    d[k].pos = x->pos;
    d[k].ver = x->ver;
    enc_rec(d[k].bytes, x);
    k++;
  }
  uint32_t n = st->npos;
  pthread_mutex_unlock(&st->mx);

  int rc = 0;
  size_t w;
  for (uint32_t k = 0; k < nd && rc == 0; k++)
    if (twine_pfs_pwrite(st->f, d[k].bytes, MF_REC, MF_HDR + (uint64_t)d[k].pos * MF_REC,
                         &w) != TWINE_PFS_OK)
      rc = -1;
  for (int round = st->fresh ? 2 : 1; round > 0 && rc == 0; round--) {
    uint8_t h[MF_HDR];
    enc_hdr(h, st, st->gen + 1, n);
    if (twine_pfs_pwrite(st->f, h, MF_HDR, 0, &w) != TWINE_PFS_OK ||
        twine_pfs_sync(st->f, TWINE_PFS_SYNC_DATA) != TWINE_PFS_OK ||
        bump(st, st->gen + 1) != 0)
      rc = -1;
    else
      st->gen++;
  }
  if (rc == 0) {
    st->fresh = false;
    pthread_mutex_lock(&st->mx);
    for (uint32_t k = 0; k < nd; k++)
      st->s[d[k].idx].saved = d[k].ver;
    pthread_mutex_unlock(&st->mx);
  }
  free(d);
  return rc;
}

static int persist(mstore *st) {
  pthread_mutex_lock(&st->smx);
  int rc = st->failed ? -1 : persist_locked(st);
  if (rc != 0)
    st->failed = true;
  pthread_mutex_unlock(&st->smx);
  return rc;
}

/* ---- anchor ops ----------------------------------------------------------------- */

static int mf_get(void *ctx, const uint8_t key[32], twine_pfs_anchor_rec *out) {
  mstore *st = ctx;
  if (memcmp(key, st->self, 32) == 0)
    return -1; /* the manifest is never a guest file */
  pthread_mutex_lock(&st->mx);
  uint32_t i = find(st, key);
  if (i != NIL)
    *out = st->s[i].mem;
  pthread_mutex_unlock(&st->mx);
  return i == NIL ? 1 : 0;
}

static int mf_put(void *ctx, const uint8_t key[32], const twine_pfs_anchor_rec *rec) {
  mstore *st = ctx;
  if (memcmp(key, st->self, 32) == 0)
    return -1;
  pthread_mutex_lock(&st->mx);
  int rc = set_rec(st, key, rec, rec->durable != 0);
  pthread_mutex_unlock(&st->mx);
  return rc;
}

static int mf_tombstone(void *ctx, const uint8_t key[32]) {
  mstore *st = ctx;
  if (memcmp(key, st->self, 32) == 0)
    return -1;
  pthread_mutex_lock(&st->mx);
  uint32_t i = find(st, key);
  if (i != NIL) { /* the removal is durable: so is its tombstone */
    st->s[i].mem.tombstone = 1;
    set_dur(&st->s[i], &st->s[i].mem);
  }
  pthread_mutex_unlock(&st->mx);
  return persist(st);
}

static int mf_move(void *ctx, const uint8_t from[32], const uint8_t to[32]) {
  mstore *st = ctx;
  if (memcmp(from, st->self, 32) == 0 || memcmp(to, st->self, 32) == 0)
    return -1;
  int rc = 0;
  pthread_mutex_lock(&st->mx);
  uint32_t i = find(st, from);
  if (i != NIL) { /* a rename is durable: the moved record and the tombstone too */
    twine_pfs_anchor_rec m = st->s[i].mem, t = m;
    twine_pfs_anchor_rec d = st->s[i].has_dur ? st->s[i].dur : m;
    t.tombstone = 1;
    uint32_t j = find(st, to);
    if (j == NIL && (j = add(st, to)) == NIL) {
      rc = -1;
    } else {
      st->s[j].mem = m;
      set_dur(&st->s[j], &d);
      st->s[i].mem = t;
      set_dur(&st->s[i], &t);
    }
  }
  pthread_mutex_unlock(&st->mx);
  return rc != 0 ? rc : persist(st);
}

static int mf_sync(void *ctx) { return persist(ctx); }

static void mf_destroy(void *ctx) {
  mstore *st = ctx;
  if (st->f)
    twine_pfs_close(st->f);
  twine_pfs_mount_free(st->m);
  free(st->s);
  free(st->b);
  pthread_mutex_destroy(&st->mx);
  pthread_mutex_destroy(&st->smx);
  free(st);
}

static const twine_pfs_anchor_ops manifest_ops = {
    .get = mf_get,
    .put = mf_put,
    .tombstone = mf_tombstone,
    .move = mf_move,
    .sync = mf_sync,
    .destroy = mf_destroy,
};

/* Open the manifest and load it; *gen = its manifest_gen. With counter 0
 * nothing was ever acknowledged (the first sync of an instance returns
 * only at counter >= 2), so a missing or unreadable manifest (a crash
 * while it was being created) is replaced by an empty one. */
static twine_pfs_status open_manifest(mstore *st, const char *host, uint64_t c,
                                      uint64_t *gen) {
  const uint32_t rw = TWINE_PFS_RDWR, cr = TWINE_PFS_RDWR | TWINE_PFS_CREAT | TWINE_PFS_EXCL;
  twine_pfs_status s = twine_pfs_open(st->m, host, TWINE_PFS_ANCHOR_LOGICAL, rw, NULL, &st->f);
  if (s == TWINE_PFS_ENOENT)
    s = c == 0 ? twine_pfs_open(st->m, host, TWINE_PFS_ANCHOR_LOGICAL, cr, NULL, &st->f)
               : TWINE_PFS_ROLLBACK; /* the manifest was removed */
  else if (s == TWINE_PFS_CORRUPTED && c == 0) {
    s = twine_pfs_unlink(st->m, host, TWINE_PFS_ANCHOR_LOGICAL);
    if (s == TWINE_PFS_OK)
      s = twine_pfs_open(st->m, host, TWINE_PFS_ANCHOR_LOGICAL, cr, NULL, &st->f);
  }
  if (s != TWINE_PFS_OK) {
    st->f = NULL;
    return s;
  }
  return load(st, gen);
}

twine_pfs_status twine_pfs_anchor_persistent_new(const twine_pfs_mount_config *cfg,
                                                 const char *manifest_host_path,
                                                 const twine_pfs_counter_ops *counter,
                                                 void *counter_ctx,
                                                 twine_pfs_anchor **out) {
  if (!cfg || !manifest_host_path || !counter || !counter->read || !counter->increment ||
      !out)
    return TWINE_PFS_EINVAL;
  mstore *st = calloc(1, sizeof *st);
  if (!st)
    return TWINE_PFS_ENOMEM;
  pthread_mutex_init(&st->mx, NULL);
  pthread_mutex_init(&st->smx, NULL);
  st->ctr = counter;
  st->ctr_ctx = counter_ctx;
  st->fresh = true;
  memcpy(st->mount_id, cfg->mount_id, 16);
  twine_pfs_mount_config mc = *cfg;
  mc.anchor = NULL; /* the counter protects the manifest */
  mc.durability = TWINE_PFS_DUR_COMMIT;
  uint64_t c = 0, gen = 0;
  twine_pfs_status s = rehash(st, 1024) == 0 ? TWINE_PFS_OK : TWINE_PFS_ENOMEM;
  if (s == TWINE_PFS_OK)
    s = twine_pfs_mount_new(&mc, &st->m);
  if (s == TWINE_PFS_OK)
    s = tw_pfs_path_hash(st->mount_id, TWINE_PFS_ANCHOR_LOGICAL, st->self);
  if (s == TWINE_PFS_OK && counter->read(counter_ctx, &c) != 0)
    s = TWINE_PFS_EHOST;
  if (s == TWINE_PFS_OK)
    s = open_manifest(st, manifest_host_path, c, &gen);
  if (s == TWINE_PFS_OK) {
    if (gen < c || (c < UINT64_MAX && gen > c + 1))
      s = TWINE_PFS_ROLLBACK; /* older manifest, or the counter went back */
    else if (gen == c + 1 && bump(st, gen) != 0)
      s = TWINE_PFS_EHOST; /* crash window: the commit stands, finish it */
  }
  st->gen = gen;
  if (s == TWINE_PFS_OK)
    s = twine_pfs_anchor_new(&manifest_ops, st, out);
  if (s != TWINE_PFS_OK)
    mf_destroy(st);
  return s;
}

/* ---- file-backed counter -------------------------------------------------------- */

/* Host file: magic "TWCOUNT1" | value u64 | ~value u64 | 8 zero bytes
 * (32 bytes, one sector). Missing or empty = 0. */
#define FC_MAGIC "TWCOUNT1"
#define FC_LEN 32u
#define FC_ENOENT 44

struct twine_pfs_file_counter {
  const twine_pfs_io_ops *io;
  void *io_ctx;
  char *path;
};

twine_pfs_status twine_pfs_file_counter_new(const twine_pfs_io_ops *io, void *io_ctx,
                                            const char *host_path,
                                            twine_pfs_file_counter **out) {
  if (!io || !io->open || !io->close || !io->preadv || !io->pwritev || !io->fdatasync ||
      !host_path || !out)
    return TWINE_PFS_EINVAL;
  twine_pfs_file_counter *c = calloc(1, sizeof *c);
  if (!c || !(c->path = strdup(host_path))) {
    free(c);
    return TWINE_PFS_ENOMEM;
  }
  c->io = io;
  c->io_ctx = io_ctx;
  *out = c;
  return TWINE_PFS_OK;
}

void twine_pfs_file_counter_free(twine_pfs_file_counter *c) {
  if (!c)
    return;
  free(c->path);
  free(c);
}

static int fc_read(void *ctx, uint64_t *value) {
  twine_pfs_file_counter *c = ctx;
  uint64_t h;
  twine_pfs_host_info hi;
  int e = c->io->open(c->io_ctx, c->path, TWINE_PFS_IO_READ, &h, &hi);
  if (e == FC_ENOENT) {
    *value = 0;
    return 0;
  }
  if (e != 0)
    return -1;
  uint8_t b[FC_LEN];
  size_t done = 0;
  twine_pfs_iovec iov = {b, FC_LEN};
  int rc = 0;
  if (hi.size == 0)
    memset(b, 0, sizeof b); /* created, crash before the first write */
  else if (hi.size != FC_LEN || c->io->preadv(c->io_ctx, h, &iov, 1, 0, &done) != 0 ||
           done != FC_LEN)
    rc = -1;
  c->io->close(c->io_ctx, h);
  if (rc != 0)
    return rc;
  if (hi.size == 0) {
    *value = 0;
    return 0;
  }
  uint64_t v = tw_pfs_ld64(b + 8);
  if (memcmp(b, FC_MAGIC, 8) != 0 || tw_pfs_ld64(b + 16) != ~v || !tw_pfs_is_zero(b + 24, 8))
    return -1;
  *value = v;
  return 0;
}

static int fc_increment(void *ctx, uint64_t *value) {
  twine_pfs_file_counter *c = ctx;
  uint64_t v;
  if (fc_read(c, &v) != 0 || v == UINT64_MAX)
    return -1;
  v++;
  uint8_t b[FC_LEN];
  memset(b, 0, sizeof b);
  memcpy(b, FC_MAGIC, 8);
  tw_pfs_st64(b + 8, v);
  tw_pfs_st64(b + 16, ~v);
  uint64_t h;
  twine_pfs_host_info hi;
  if (c->io->open(c->io_ctx, c->path, TWINE_PFS_IO_READ | TWINE_PFS_IO_WRITE | TWINE_PFS_IO_CREAT,
                  &h, &hi) != 0)
    return -1;
  size_t done = 0;
  twine_pfs_iovec iov = {b, FC_LEN};
  int rc = c->io->pwritev(c->io_ctx, h, &iov, 1, 0, &done) != 0 || done != FC_LEN ||
                   c->io->fdatasync(c->io_ctx, h) != 0
               ? -1
               : 0;
  c->io->close(c->io_ctx, h);
  if (rc == 0)
    *value = v;
  return rc;
}

const twine_pfs_counter_ops twine_pfs_file_counter_ops = {fc_read, fc_increment};

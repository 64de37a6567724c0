/*
 * pfs_cache.c - the per-inode node cache.
 *
 * A preallocated slab of frames (NODE bytes of plaintext each), a hash on
 * (kind, index) and CLOCK replacement: a hit only sets the reference count
 * (1 for data, MHT_REF for MHT nodes, which every read below them needs:
 * they survive that many more sweeps). No allocation per miss; the slab is
 * touched (and wiped at close) only up to the highest frame ever used, so
 * a large cache costs a small file nothing. Invariants: a cached node's parent is cached
 * (pinned by the child count `pins`); a dirty node has dirty ancestors and
 * a dirty header; dirty frames are never evicted -- when only dirty or
 * pinned frames remain, the cache commits (provisionally) first. Nodes are read
 * into the private staging buffer and decrypted from there into the frame,
 * never from host-shared memory; a node failing authentication leaves no
 * plaintext behind. Sequential misses read ahead up to READAHEAD nodes of
 * the same MHT run in one preadv. Coherence with the tree: a clean frame
 * remembers the entry it was verified against (or sealed under) and is
 * served only while its parent entry still equals it; a stale frame (and
 * its cached subtree) is dropped and the node reloaded, so a node that a
 * truncate turned into a hole always reads as zeros. Large reads bypass the
 * cache (tw_pfs_read_direct): whole uncached nodes are decrypted from the
 * staging buffer straight into the caller's memory, saving a copy per
 * node; a failed node is wiped there before the error is returned.
 */
#include <stdlib.h>
#include <string.h>

#include "pfs/pfs_int.h"

#define MHT_REF 3

static uint8_t ref_of(int kind) { return kind == TW_PFS_K_MHT ? MHT_REF : 1; }

static uint32_t bucket(const tw_pfs_inode *ino, int kind, uint64_t idx) {
  uint64_t h = (idx * 2 + (uint64_t)(kind == TW_PFS_K_MHT)) * UINT64_C(0x9E3779B97F4A7C15);
  return (uint32_t)(h >> 32) & (ino->nbuckets - 1);
}

static tw_pfs_frame *lookup(tw_pfs_inode *ino, int kind, uint64_t idx) {
  for (tw_pfs_frame *f = ino->hash[bucket(ino, kind, idx)]; f; f = f->hnext)
    if (f->idx == idx && f->kind == kind)
      return f;
  return NULL;
}

static void unhash(tw_pfs_inode *ino, tw_pfs_frame *f) {
  tw_pfs_frame **pp = &ino->hash[bucket(ino, f->kind, f->idx)];
  while (*pp != f)
    pp = &(*pp)->hnext;
  *pp = f->hnext;
  f->hnext = NULL;
}

static void evict(tw_pfs_inode *ino, tw_pfs_frame *f) {
  unhash(ino, f);
  if (f->parent)
    f->parent->pins--;
  if (f->dirty)
    ino->ndirty--;
  f->kind = TW_PFS_K_EMPTY;
  f->parent = NULL;
  f->dirty = f->ref = 0;
  memset(f->ent, 0, sizeof f->ent);
  f->pins = 0;
}

twine_pfs_status tw_pfs_cache_init(tw_pfs_inode *ino, uint32_t n) {
  uint32_t nb = 1;
  while (nb < 2 * n)
    nb <<= 1;
  ino->nframes = n;
  ino->nbuckets = nb;
  ino->frames = calloc(n, sizeof *ino->frames);
  ino->hash = calloc(nb, sizeof *ino->hash);
  ino->work = calloc(n, sizeof *ino->work);
  ino->slab = malloc((size_t)n * TW_PFS_NODE);
  ino->stage = malloc((size_t)TW_PFS_READAHEAD * TW_PFS_NODE);
  if (!ino->frames || !ino->hash || !ino->work || !ino->slab || !ino->stage)
    return TWINE_PFS_ENOMEM;
  for (uint32_t i = 0; i < n; i++)
    ino->frames[i].buf = ino->slab + (size_t)i * TW_PFS_NODE;
  ino->last_miss = UINT64_MAX - 1;
  return TWINE_PFS_OK;
}

void tw_pfs_cache_free(tw_pfs_inode *ino) {
  if (ino->slab)
    tw_cry_wipe(ino->slab, (size_t)ino->frames_used * TW_PFS_NODE);
  if (ino->stage)
    tw_cry_wipe(ino->stage, (size_t)TW_PFS_READAHEAD * TW_PFS_NODE);
  free(ino->frames);
  free(ino->hash);
  free(ino->work);
  free(ino->slab);
  free(ino->stage);
  ino->frames = NULL;
  ino->hash = NULL;
  ino->work = NULL;
  ino->slab = ino->stage = NULL;
}

/* CLOCK: an empty frame, or the first clean unpinned frame whose reference
 * count is zero (decrementing counts on the way). NULL if none within
 * MHT_REF + 1 turns. */
static tw_pfs_frame *alloc_frame(tw_pfs_inode *ino) {
  for (uint64_t step = 0; step < (uint64_t)(MHT_REF + 1) * ino->nframes + 1; step++) {
    tw_pfs_frame *f = &ino->frames[ino->hand];
    ino->hand = (ino->hand + 1) % ino->nframes;
    if (f->kind == TW_PFS_K_EMPTY)
      return f;
    if (f->dirty || f->pins)
      continue;
    if (f->ref) {
      f->ref--;
      continue;
    }
    evict(ino, f);
    return f;
  }
  return NULL;
}

static void install(tw_pfs_inode *ino, tw_pfs_frame *f, int kind, uint64_t idx,
                    tw_pfs_frame *parent, const uint8_t ent[TW_PFS_ENTRY]) {
  f->kind = (uint8_t)kind;
  f->idx = idx;
  f->parent = parent;
  f->pins = 0;
  f->dirty = 0;
  f->ref = ref_of(kind);
  memcpy(f->ent, ent, TW_PFS_ENTRY);
  uint32_t at = (uint32_t)(f - ino->frames) + 1;
  if (at > ino->frames_used)
    ino->frames_used = at;
  uint32_t b = bucket(ino, kind, idx);
  f->hnext = ino->hash[b];
  ino->hash[b] = f;
}

uint8_t *tw_pfs_entry_ptr(tw_pfs_inode *ino, tw_pfs_frame *f) {
  uint64_t p;
  uint32_t slot;
  if (!tw_pfs_parent_of(f->kind, f->idx, &p, &slot))
    return ino->hdr.root;
  return f->parent->buf + (size_t)slot * TW_PFS_ENTRY;
}

/* Semantic checks of a freshly decrypted node against the file size. */
static bool node_ok(tw_pfs_inode *ino, int kind, uint64_t idx, const uint8_t *buf) {
  uint64_t size = ino->hdr.size;
  if (kind == TW_PFS_K_MHT)
    return tw_pfs_mht_tail_ok(idx, buf, size);
  if (size <= TW_PFS_INLINE_MAX || idx > (size - 1) / TW_PFS_NODE)
    return false; /* data beyond the end is never stored */
  if (idx == (size - 1) / TW_PFS_NODE && size % TW_PFS_NODE)
    return tw_pfs_is_zero(buf + size % TW_PFS_NODE, TW_PFS_NODE - size % TW_PFS_NODE);
  return true;
}

/* How many data nodes after d (same MHT, stored, not cached, within the
 * file) a sequential miss should read along with d. */
static uint32_t readahead_run(tw_pfs_inode *ino, uint64_t d, const uint8_t *pbuf) {
  if (d != ino->last_miss + 1 || ino->hdr.size <= TW_PFS_INLINE_MAX)
    return 1;
  uint64_t dlast = (ino->hdr.size - 1) / TW_PFS_NODE;
  uint32_t max = TW_PFS_READAHEAD;
  if (max > ino->nframes / 4)
    max = ino->nframes / 4;
  uint32_t n = 1;
  while (n < max) {
    uint64_t e = d + n;
    if (e > dlast || e / TW_PFS_DPM != d / TW_PFS_DPM ||
        tw_pfs_is_zero(pbuf + (size_t)(e % TW_PFS_DPM) * TW_PFS_ENTRY, TW_PFS_ENTRY) ||
        lookup(ino, TW_PFS_K_DATA, e))
      break;
    n++;
  }
  return n;
}

static bool descends_from(const tw_pfs_frame *g, const tw_pfs_frame *a) {
  for (g = g->parent; g; g = g->parent)
    if (g == a)
      return true;
  return false;
}

/* Drop a stale clean frame and its cached subtree (clean too: a dirty
 * node has dirty ancestors). False if something in it is still in use. */
static bool drop_stale(tw_pfs_inode *ino, tw_pfs_frame *f) {
  bool progress = f->pins > 0;
  while (f->pins > 0 && progress) {
    progress = false;
    for (uint32_t i = 0; i < ino->nframes; i++) {
      tw_pfs_frame *g = &ino->frames[i];
      if (g->kind != TW_PFS_K_EMPTY && g->pins == 0 && !g->dirty &&
          descends_from(g, f)) {
        evict(ino, g);
        progress = true;
      }
    }
  }
  if (f->pins > 0)
    return false;
  evict(ino, f);
  return true;
}

twine_pfs_status tw_pfs_get(tw_pfs_inode *ino, int kind, uint64_t idx,
                            unsigned flags, tw_pfs_frame **out) {
  static const uint8_t hole[TW_PFS_ENTRY];
  tw_pfs_frame *f = lookup(ino, kind, idx), *parent = NULL;
  if (f) {
    if (f->dirty || memcmp(f->ent, tw_pfs_entry_ptr(ino, f), TW_PFS_ENTRY) == 0) {
      f->ref = ref_of(kind);
      *out = f;
      return TWINE_PFS_OK;
    }
    if (!drop_stale(ino, f))
      return tw_pfs_fail(ino, TWINE_PFS_CORRUPTED); /* cannot happen */
  }
  twine_pfs_status s;
  uint64_t pidx;
  uint32_t slot = 0;
  if (tw_pfs_parent_of(kind, idx, &pidx, &slot)) {
    s = tw_pfs_get(ino, TW_PFS_K_MHT, pidx, flags & TW_PFS_G_EXCL, &parent);
    if (s != TWINE_PFS_OK)
      return s;
    parent->pins++; /* keeps it through the allocation; becomes the child link */
  }
  f = alloc_frame(ino);
  if (!f && (flags & TW_PFS_G_EXCL) && ino->ndirty > 0) {
    s = tw_pfs_commit(ino, false); /* provisional (pfs_commit.c) */
    if (s != TWINE_PFS_OK)
      goto fail;
    f = alloc_frame(ino);
  }
  if (!f) {
    s = (flags & TW_PFS_G_EXCL) ? TWINE_PFS_ENOMEM : TW_PFS_NEED_EXCL;
    goto fail;
  }
  const uint8_t *entry = parent ? parent->buf + (size_t)slot * TW_PFS_ENTRY : ino->hdr.root;
  if (tw_pfs_is_zero(entry, TW_PFS_ENTRY) || (flags & TW_PFS_G_NOFILL)) {
    /* A hole (zeros), or a node the caller overwrites whole and marks
     * dirty at once (not zeroed: every byte is written before anything
     * reads the frame); recorded as verified against a hole, so a clean
     * frame of a stored node is never served from it. */
    if (!(flags & TW_PFS_G_NOFILL))
      TW_PFS_PROF(TW_PFS_P_COPY, memset(f->buf, 0, TW_PFS_NODE));
    install(ino, f, kind, idx, parent, hole);
    *out = f;
    return TWINE_PFS_OK;
  }
  uint32_t run = kind == TW_PFS_K_DATA && !(flags & TW_PFS_G_NORA)
                     ? readahead_run(ino, idx, parent->buf)
                     : 1;
  uint64_t phys = tw_pfs_node_phys(kind, idx);
  if (phys + run > ino->phys_len) {
    s = phys >= ino->phys_len ? TWINE_PFS_CORRUPTED : TWINE_PFS_OK;
    if (s != TWINE_PFS_OK)
      goto fail;
    run = (uint32_t)(ino->phys_len - phys);
  }
  s = tw_pfs_io_read(ino, ino->h, ino->stage, (size_t)run * TW_PFS_NODE,
                     phys * TW_PFS_NODE);
  if (s != TWINE_PFS_OK)
    goto fail;
  s = tw_pfs_node_open(ino, kind, idx, ino->stage, f->buf, entry);
  if (s == TWINE_PFS_OK && !node_ok(ino, kind, idx, f->buf)) {
    tw_cry_wipe(f->buf, TW_PFS_NODE);
    s = TWINE_PFS_CORRUPTED;
  }
  if (s != TWINE_PFS_OK)
    goto fail;
  install(ino, f, kind, idx, parent, entry);
  if (kind == TW_PFS_K_DATA)
    ino->last_miss = idx;
  /* Read-ahead nodes: decrypted now, kept only if authentic. f is pinned
   * meanwhile: CLOCK would otherwise evict it (it is clean and unpinned)
   * when the cache is full of dirty or pinned frames, and hand its buffer
   * to a read-ahead node. */
  f->pins++;
  for (uint32_t k = 1; k < run; k++) {
    uint64_t d = idx + k;
    tw_pfs_frame *g = alloc_frame(ino);
    if (!g)
      break;
    const uint8_t *e = parent->buf + (size_t)(d % TW_PFS_DPM) * TW_PFS_ENTRY;
    if (tw_pfs_node_open(ino, kind, d, ino->stage + (size_t)k * TW_PFS_NODE,
                         g->buf, e) != TWINE_PFS_OK ||
        !node_ok(ino, kind, d, g->buf)) {
      tw_cry_wipe(g->buf, TW_PFS_NODE);
      break; /* reported if and when that node is actually needed */
    }
    parent->pins++;
    install(ino, g, kind, d, parent, e);
    ino->last_miss = d;
  }
  f->pins--;
  *out = f;
  return TWINE_PFS_OK;
fail:
  if (parent)
    parent->pins--;
  if (s != TW_PFS_NEED_EXCL)
    tw_pfs_fail(ino, s);
  return s;
}

twine_pfs_status tw_pfs_read_direct(tw_pfs_inode *ino, uint64_t d, uint64_t max,
                                    unsigned flags, uint8_t *out, uint64_t *got) {
  *got = 0;
  if (ino->hdr.size <= TW_PFS_INLINE_MAX || lookup(ino, TW_PFS_K_DATA, d))
    return TWINE_PFS_OK;
  tw_pfs_frame *parent;
  twine_pfs_status s = tw_pfs_get(ino, TW_PFS_K_MHT, d / TW_PFS_DPM, flags & TW_PFS_G_EXCL,
                                  &parent);
  if (s != TWINE_PFS_OK)
    return s;
  uint64_t n = 0;
  while (n < max && n < TW_PFS_READAHEAD) {
    uint64_t e = d + n;
    if (e / TW_PFS_DPM != d / TW_PFS_DPM ||
        tw_pfs_is_zero(parent->buf + (size_t)(e % TW_PFS_DPM) * TW_PFS_ENTRY, TW_PFS_ENTRY) ||
        (n > 0 && lookup(ino, TW_PFS_K_DATA, e)))
      break;
    n++;
  }
  if (n == 0)
    return TWINE_PFS_OK; /* a hole: the cached path reads zeros */
  uint64_t phys = tw_pfs_data_phys(d);
  if (phys + n > ino->phys_len)
    return tw_pfs_fail(ino, TWINE_PFS_CORRUPTED);
  s = tw_pfs_io_read(ino, ino->h, ino->stage, (size_t)n * TW_PFS_NODE, phys * TW_PFS_NODE);
  for (uint64_t i = 0; i < n && s == TWINE_PFS_OK; i++) {
    const uint8_t *e = parent->buf + (size_t)((d + i) % TW_PFS_DPM) * TW_PFS_ENTRY;
    s = tw_pfs_node_open(ino, TW_PFS_K_DATA, d + i, ino->stage + i * TW_PFS_NODE,
                         out + i * TW_PFS_NODE, e);
    if (s == TWINE_PFS_OK && !node_ok(ino, TW_PFS_K_DATA, d + i, out + i * TW_PFS_NODE))
      s = TWINE_PFS_CORRUPTED;
  }
  if (s != TWINE_PFS_OK) {
    tw_cry_wipe(out, (size_t)n * TW_PFS_NODE); /* nothing unverified is returned */
    return tw_pfs_fail(ino, s);
  }
  ino->last_miss = d + n - 1;
  *got = n;
  return TWINE_PFS_OK;
}

void tw_pfs_mark_dirty(tw_pfs_inode *ino, tw_pfs_frame *f) {
  for (; f && !f->dirty; f = f->parent) {
    f->dirty = 1;
    ino->ndirty++;
  }
  ino->hdr_dirty = true;
}

static bool beyond(const tw_pfs_frame *f, bool keep_any, uint64_t dlast,
                   uint64_t mlast) {
  if (!keep_any)
    return true;
  return f->kind == TW_PFS_K_DATA ? f->idx > dlast : f->idx > mlast;
}

void tw_pfs_cache_drop_beyond(tw_pfs_inode *ino, bool keep_any, uint64_t dlast,
                              uint64_t mlast) {
  for (uint32_t i = 0; i < ino->nframes; i++) {
    tw_pfs_frame *f = &ino->frames[i];
    if (f->kind == TW_PFS_K_DATA && beyond(f, keep_any, dlast, mlast))
      evict(ino, f);
  }
  /* MHTs: children before parents (a child has no cached children left
   * once its data nodes are gone and its child MHTs were evicted). */
  bool progress = true;
  while (progress) {
    progress = false;
    for (uint32_t i = 0; i < ino->nframes; i++) {
      tw_pfs_frame *f = &ino->frames[i];
      if (f->kind == TW_PFS_K_MHT && beyond(f, keep_any, dlast, mlast) &&
          f->pins == 0) {
        evict(ino, f);
        progress = true;
      }
    }
  }
}

void tw_pfs_cache_drop_clean(tw_pfs_inode *ino) {
  bool again = true;
  while (again) {
    again = false;
    for (uint32_t i = 0; i < ino->nframes; i++) {
      tw_pfs_frame *f = &ino->frames[i];
      if (f->kind != TW_PFS_K_EMPTY && !f->dirty && f->pins == 0) {
        evict(ino, f);
        again = true;
      }
    }
  }
}

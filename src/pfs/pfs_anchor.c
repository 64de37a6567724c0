/*
 * pfs_anchor.c - rollback anchors: the acceptance rule, and the PROCESS
 * store (an in-memory table keyed by path_hash for the store's lifetime).
 * The PERSISTENT store (anchor manifest + monotonic counter) is in
 * pfs_anchor_file.c; it relies on the calls made here: put after every
 * acceptance and commit, sync after a durable commit (after B3, before the
 * commit returns) and after a dropped binding.
 *
 * Rule on open of an existing file: no record -> accept; tombstone ->
 * ROLLBACK (a removed file came back); other uuid -> ROLLBACK (replaced);
 * gen > A.gen, or gen == A.gen with meta_tag == A.tag -> accept; else
 * ROLLBACK. On creation: a live record means the host removed the file
 * -> ROLLBACK. After acceptance and after every commit A := (uuid, gen, tag).
 * The record checked is the one of the logical path being opened. While a
 * rename is pending (header flag RENAME, see pfs_rename) the file is bound
 * to its old path and records are kept under that path only; opened under
 * the target, the target's record is used only if it is this file's (a
 * completed rename), else the old path's. Resolving a rename tombstones
 * the record of the path given up (tw_pfs_anchor_drop).
 */
#include <stdlib.h>
#include <string.h>

#include "pfs/pfs_int.h"

twine_pfs_status tw_pfs_anchor_check(twine_pfs_mount *m, const tw_pfs_hdr *h,
                                     const uint8_t key[32], bool exists) {
  twine_pfs_anchor *a = m->cfg.anchor;
  if (!a)
    return TWINE_PFS_OK;
  twine_pfs_anchor_rec r;
  int rc = a->ops->get(a->ctx, key, &r);
  if (exists && (h->flags & TW_PFS_HF_RENAME) && memcmp(key, h->path_hash, 32) != 0 &&
      (rc == 1 || (rc == 0 && (r.tombstone || memcmp(r.file_uuid, h->uuid, 16) != 0))))
    rc = a->ops->get(a->ctx, h->path_hash, &r); /* pending: the old path's record */
  if (rc == 1)
    return TWINE_PFS_OK;
  if (rc != 0)
    return TWINE_PFS_EHOST;
  if (!exists)
    return r.tombstone ? TWINE_PFS_OK : TWINE_PFS_ROLLBACK;
  if (r.tombstone || memcmp(r.file_uuid, h->uuid, 16) != 0)
    return TWINE_PFS_ROLLBACK;
  if (h->gen > r.generation)
    return TWINE_PFS_OK;
  if (h->gen == r.generation && tw_cry_ct_equal(h->meta_tag, r.meta_tag, 16))
    return TWINE_PFS_OK;
  return TWINE_PFS_ROLLBACK;
}

twine_pfs_status tw_pfs_anchor_update(twine_pfs_mount *m, const tw_pfs_hdr *h,
                                      bool durable) {
  twine_pfs_anchor *a = m->cfg.anchor;
  if (!a)
    return TWINE_PFS_OK;
  twine_pfs_anchor_rec r;
  memset(&r, 0, sizeof r);
  memcpy(r.file_uuid, h->uuid, 16);
  r.generation = h->gen;
  memcpy(r.meta_tag, h->meta_tag, 16);
  r.durable = durable ? 1 : 0;
  if (a->ops->put(a->ctx, h->path_hash, &r) != 0)
    return TWINE_PFS_EHOST;
  if (durable && a->ops->sync && a->ops->sync(a->ctx) != 0)
    return TWINE_PFS_EHOST;
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_anchor_drop(twine_pfs_mount *m, const uint8_t key[32],
                                    const uint8_t uuid[16]) {
  twine_pfs_anchor *a = m->cfg.anchor;
  if (!a)
    return TWINE_PFS_OK;
  twine_pfs_anchor_rec r;
  int rc = a->ops->get(a->ctx, key, &r);
  if (rc != 0 && rc != 1)
    return TWINE_PFS_EHOST;
  if (rc == 0 && !r.tombstone && memcmp(r.file_uuid, uuid, 16) == 0 &&
      a->ops->tombstone(a->ctx, key) != 0)
    return TWINE_PFS_EHOST;
  if (a->ops->sync && a->ops->sync(a->ctx) != 0)
    return TWINE_PFS_EHOST;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_anchor_new(const twine_pfs_anchor_ops *ops, void *ctx,
                                      twine_pfs_anchor **out) {
  if (!ops || !ops->get || !ops->put || !ops->tombstone || !ops->move || !out)
    return TWINE_PFS_EINVAL;
  twine_pfs_anchor *a = calloc(1, sizeof *a);
  if (!a)
    return TWINE_PFS_ENOMEM;
  a->ops = ops;
  a->ctx = ctx;
  *out = a;
  return TWINE_PFS_OK;
}

void twine_pfs_anchor_free(twine_pfs_anchor *a) {
  if (!a)
    return;
  if (a->ops->destroy)
    a->ops->destroy(a->ctx);
  free(a);
}

/* ---- PROCESS store ---------------------------------------------------------- */

#define PBUCKETS 1024u

typedef struct prec {
  struct prec *next;
  uint8_t key[32];
  twine_pfs_anchor_rec rec;
} prec;

typedef struct pstore {
  pthread_mutex_t mx;
  prec *b[PBUCKETS];
} pstore;

static prec **pfind(pstore *p, const uint8_t key[32]) {
  prec **pp = &p->b[(key[0] | (key[1] << 8)) % PBUCKETS];
  while (*pp && memcmp((*pp)->key, key, 32) != 0)
    pp = &(*pp)->next;
  return pp;
}

static int p_get(void *ctx, const uint8_t key[32], twine_pfs_anchor_rec *out) {
  pstore *p = ctx;
  pthread_mutex_lock(&p->mx);
  prec *r = *pfind(p, key);
  if (r)
    *out = r->rec;
  pthread_mutex_unlock(&p->mx);
  return r ? 0 : 1;
}

static int p_set(pstore *p, const uint8_t key[32], const twine_pfs_anchor_rec *rec) {
  prec **pp = pfind(p, key);
  if (!*pp) {
    prec *r = calloc(1, sizeof *r);
    if (!r)
      return -1;
    memcpy(r->key, key, 32);
    *pp = r;
  }
  (*pp)->rec = *rec;
  return 0;
}

static int p_put(void *ctx, const uint8_t key[32], const twine_pfs_anchor_rec *rec) {
  pstore *p = ctx;
  pthread_mutex_lock(&p->mx);
  int rc = p_set(p, key, rec);
  pthread_mutex_unlock(&p->mx);
  return rc;
}

static int p_tombstone(void *ctx, const uint8_t key[32]) {
  pstore *p = ctx;
  pthread_mutex_lock(&p->mx);
  prec *r = *pfind(p, key);
  if (r)
    r->rec.tombstone = 1;
  pthread_mutex_unlock(&p->mx);
  return 0;
}

static int p_move(void *ctx, const uint8_t from[32], const uint8_t to[32]) {
  pstore *p = ctx;
  int rc = 0;
  pthread_mutex_lock(&p->mx);
  prec *r = *pfind(p, from);
  if (r) {
    twine_pfs_anchor_rec rec = r->rec;
    r->rec.tombstone = 1;
    rc = p_set(p, to, &rec);
  }
  pthread_mutex_unlock(&p->mx);
  return rc;
}

static void p_destroy(void *ctx) {
  pstore *p = ctx;
  for (uint32_t i = 0; i < PBUCKETS; i++)
    for (prec *r = p->b[i], *n; r; r = n) {
      n = r->next;
      free(r);
    }
  pthread_mutex_destroy(&p->mx);
  free(p);
}

static const twine_pfs_anchor_ops process_ops = {
    p_get, p_put, p_tombstone, p_move, NULL, p_destroy};

twine_pfs_status twine_pfs_anchor_process_new(twine_pfs_anchor **out) {
  if (!out)
    return TWINE_PFS_EINVAL;
  pstore *p = calloc(1, sizeof *p);
  if (!p)
    return TWINE_PFS_ENOMEM;
  pthread_mutex_init(&p->mx, NULL);
  twine_pfs_status s = twine_pfs_anchor_new(&process_ops, p, out);
  if (s != TWINE_PFS_OK)
    p_destroy(p);
  return s;
}

/*
 * pfs_commit.c - one atomic commit of every dirty node and the header.
 *
 * (1) dirty frames are sorted: data nodes ascending, then MHT nodes by
 *     descending index (children before parents, MHT 0 last, its entry
 *     going into the header);
 * (2) the undo journal "<host>.pfsj" gets the old images of every stored
 *     node about to be overwritten (header included), HMAC'd; barrier B1;
 * (3) nodes are encrypted and written in coalesced runs (appended nodes are
 *     not journaled; the host file grows to the new physical end); B2;
 * (4) the header (generation + 1) is written; B3;
 * (5) the host file shrinks if the file did; (6) the journal is emptied
 *     (no sync needed); (7) the anchor is advanced.
 * Barriers are fdatasync calls. Every commit of a DUR_COMMIT file issues
 * them (also when the cache or clear_cache forces a commit): a commit
 * overwrites nodes of the last durable state in place, and without B1 the
 * undo images, without B2/B3 the new header, could be lost to a power
 * failure while those overwrites survive. DUR_NONE files never sync.
 * Journal coverage: every slot of the committed physical extent (below
 * base_phys) that the commit writes is journaled, whatever the frame's
 * history in memory (e.g. a node cut by a truncate and written again in
 * the same commit is still referenced by the committed tree).
 * Any failure is sticky: the in-memory tree is then half-updated.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/kdf.h"
#include "pfs/pfs_int.h"

char *tw_pfs_journal_path(const char *host_path) {
  size_t n = strlen(host_path);
  char *p = malloc(n + 6);
  if (p) {
    memcpy(p, host_path, n);
    memcpy(p + n, ".pfsj", 6);
  }
  return p;
}

static int cmp_frames(const void *a, const void *b) {
  const tw_pfs_frame *x = *(tw_pfs_frame *const *)a, *y = *(tw_pfs_frame *const *)b;
  if (x->kind != y->kind)
    return x->kind == TW_PFS_K_DATA ? -1 : 1;
  if (x->idx == y->idx)
    return 0;
  bool less = x->idx < y->idx;
  if (x->kind == TW_PFS_K_MHT)
    less = !less;
  return less ? -1 : 1;
}

static void build_j0(const tw_pfs_inode *ino, uint8_t *j0, uint64_t base_phys,
                     uint64_t n, const uint8_t *mac) {
  memset(j0, 0, TW_PFS_NODE);
  memcpy(j0 + TW_PFS_J_MAGIC, TW_PFS_JMAGIC, 8);
  memcpy(j0 + TW_PFS_J_UUID, ino->hdr.uuid, 16);
  memcpy(j0 + TW_PFS_J_KDKID, ino->hdr.kdk_id, 16);
  tw_pfs_st64(j0 + TW_PFS_J_BGEN, ino->hdr.gen);
  tw_pfs_st64(j0 + TW_PFS_J_BLEN, base_phys);
  tw_pfs_st64(j0 + TW_PFS_J_N, n);
  if (mac)
    memcpy(j0 + TW_PFS_J_HMAC, mac, 32);
}

static twine_pfs_status write_journal(tw_pfs_inode *ino, uint32_t n,
                                      uint64_t base_phys, bool durable) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  twine_pfs_status s = TWINE_PFS_OK;
  uint64_t *img = malloc(((size_t)n + 1) * sizeof *img);
  tw_cry_hmac *mac = NULL;
  uint8_t jkey[32], tag[32];
  if (!img)
    return TWINE_PFS_ENOMEM;
  uint64_t cnt = 0;
  img[cnt++] = 0; /* the header */
  for (uint32_t i = 0; i < n; i++) {
    tw_pfs_frame *f = ino->work[i];
    uint64_t phys = tw_pfs_node_phys(f->kind, f->idx);
    if (phys < base_phys)
      img[cnt++] = phys;
  }
  if (!ino->j_open) {
    twine_pfs_host_info info;
    int e = io->open(ino->m->cfg.io_ctx, ino->jpath,
                     TWINE_PFS_IO_READ | TWINE_PFS_IO_WRITE | TWINE_PFS_IO_CREAT,
                     &ino->jh, &info);
    if (e != 0) {
      s = tw_pfs_io_status(e);
      goto out;
    }
    ino->j_open = true;
  }
  if (tw_cry_hkdf_sha256(ino->kdk, ino->kdk_len, ino->hdr.uuid, 16,
                         (const uint8_t *)"pfs1 jrnl", 9, jkey, sizeof jkey) != 0 ||
      !(mac = tw_cry_hmac_new(jkey, sizeof jkey))) {
    s = TWINE_PFS_ECRYPTO;
    goto out;
  }
  uint8_t *st = ino->stage;
  uint64_t nidx = (cnt + TW_PFS_J_PER_INDEX - 1) / TW_PFS_J_PER_INDEX;
  build_j0(ino, st, base_phys, cnt, NULL);
  if (tw_cry_hmac_update(mac, st, TW_PFS_NODE) != 0) {
    s = TWINE_PFS_ECRYPTO;
    goto out;
  }
  for (uint64_t k = 0; k < nidx; k++) {
    memset(st, 0, TW_PFS_NODE);
    for (uint64_t j = 0; j < TW_PFS_J_PER_INDEX && k * TW_PFS_J_PER_INDEX + j < cnt; j++)
      tw_pfs_st64(st + 8 * j, img[k * TW_PFS_J_PER_INDEX + j]);
    if (tw_cry_hmac_update(mac, st, TW_PFS_NODE) != 0) {
      s = TWINE_PFS_ECRYPTO;
      goto out;
    }
    s = tw_pfs_io_write(ino, ino->jh, st, TW_PFS_NODE, (1 + k) * TW_PFS_NODE);
    if (s != TWINE_PFS_OK)
      goto out;
  }
  for (uint64_t i = 0; i < cnt; i += TW_PFS_READAHEAD) {
    uint64_t b = cnt - i < TW_PFS_READAHEAD ? cnt - i : TW_PFS_READAHEAD;
    for (uint64_t j = 0; j < b; j++) {
      s = tw_pfs_io_read(ino, ino->h, st + j * TW_PFS_NODE, TW_PFS_NODE,
                         img[i + j] * TW_PFS_NODE);
      if (s != TWINE_PFS_OK)
        goto out;
    }
    if (tw_cry_hmac_update(mac, st, (size_t)b * TW_PFS_NODE) != 0) {
      s = TWINE_PFS_ECRYPTO;
      goto out;
    }
    s = tw_pfs_io_write(ino, ino->jh, st, (size_t)b * TW_PFS_NODE,
                        (1 + nidx + i) * TW_PFS_NODE);
    if (s != TWINE_PFS_OK)
      goto out;
  }
  if (tw_cry_hmac_final(mac, tag) != 0) {
    s = TWINE_PFS_ECRYPTO;
    goto out;
  }
  build_j0(ino, st, base_phys, cnt, tag);
  s = tw_pfs_io_write(ino, ino->jh, st, TW_PFS_NODE, 0);
  if (s == TWINE_PFS_OK && durable)
    s = tw_pfs_io_sync(ino, ino->jh); /* B1 */
out:
  tw_cry_wipe(jkey, sizeof jkey);
  tw_cry_hmac_free(mac);
  free(img);
  return s;
}

/* Encrypt work[from..to) into the staging buffer and write physically
 * contiguous runs with one pwritev each. */
static twine_pfs_status write_nodes(tw_pfs_inode *ino, uint32_t n) {
  uint32_t k = 0;
  uint64_t run_start = 0;
  twine_pfs_iovec iov[TW_PFS_READAHEAD];
  twine_pfs_status s;
  for (uint32_t i = 0; i <= n; i++) {
    tw_pfs_frame *f = i < n ? ino->work[i] : NULL;
    uint64_t phys = f ? tw_pfs_node_phys(f->kind, f->idx) : 0;
    if (k > 0 && (!f || k == TW_PFS_READAHEAD || phys != run_start + k)) {
      s = tw_pfs_io_writev(ino, ino->h, iov, k, run_start * TW_PFS_NODE,
                           (size_t)k * TW_PFS_NODE);
      if (s != TWINE_PFS_OK)
        return s;
      k = 0;
    }
    if (!f)
      break;
    if (k == 0)
      run_start = phys;
    uint8_t *out = ino->stage + (size_t)k * TW_PFS_NODE, *entry = tw_pfs_entry_ptr(ino, f);
    s = tw_pfs_node_seal(ino, f->kind, f->idx, f->buf, out, entry);
    if (s != TWINE_PFS_OK)
      return s;
    memcpy(f->ent, entry, TW_PFS_ENTRY); /* the clean content's entry */
    iov[k].base = out;
    iov[k].len = TW_PFS_NODE;
    k++;
  }
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_commit(tw_pfs_inode *ino, bool durable) {
  twine_pfs_status s = (twine_pfs_status)atomic_load(&ino->err);
  if (s != TWINE_PFS_OK)
    return s;
  if (!ino->hdr_dirty && ino->ndirty == 0)
    return TWINE_PFS_OK;
  if (!ino->writable)
    return TWINE_PFS_EBADF;
  if (ino->dur == TWINE_PFS_DUR_COMMIT)
    durable = true;
  if (ino->unlinked)
    durable = false;
  uint32_t n = 0;
  for (uint32_t i = 0; i < ino->nframes; i++)
    if (ino->frames[i].dirty)
      ino->work[n++] = &ino->frames[i];
  qsort(ino->work, n, sizeof *ino->work, cmp_frames);
  uint64_t base_phys = ino->phys_len, new_phys = tw_pfs_phys_end(ino->hdr.size);

  /* A brand-new file (nothing on disk yet) has no old state to protect. */
  if (!ino->unlinked && base_phys > 0 &&
      (s = write_journal(ino, n, base_phys, durable)) != TWINE_PFS_OK)
    goto fail;
  if ((s = write_nodes(ino, n)) != TWINE_PFS_OK)
    goto fail;
  if (new_phys > base_phys &&
      (s = tw_pfs_io_truncate(ino, ino->h, new_phys * TW_PFS_NODE)) != TWINE_PFS_OK)
    goto fail;
  if (durable && (s = tw_pfs_io_sync(ino, ino->h)) != TWINE_PFS_OK) /* B2 */
    goto fail;

  ino->hdr.gen += ino->restamp ? 2 : 1;
  ino->restamp = false;
  if (ino->m->cfg.io->now_ns)
    ino->hdr.mtime_ns = ino->m->cfg.io->now_ns(ino->m->cfg.io_ctx);
  if ((s = tw_pfs_hdr_seal(ino->gcm, &ino->hdr, ino->kdk, ino->kdk_len,
                           ino->stage)) != TWINE_PFS_OK ||
      (s = tw_pfs_io_write(ino, ino->h, ino->stage, TW_PFS_NODE, 0)) != TWINE_PFS_OK)
    goto fail;
  if (durable && (s = tw_pfs_io_sync(ino, ino->h)) != TWINE_PFS_OK) /* B3 */
    goto fail;
  if (new_phys < base_phys &&
      (s = tw_pfs_io_truncate(ino, ino->h, new_phys * TW_PFS_NODE)) != TWINE_PFS_OK)
    goto fail;
  ino->phys_len = new_phys;
  if (ino->j_open && (s = tw_pfs_io_truncate(ino, ino->jh, 0)) != TWINE_PFS_OK)
    goto fail;
  for (uint32_t i = 0; i < n; i++)
    ino->work[i]->dirty = 0;
  ino->ndirty = 0;
  ino->hdr_dirty = false;
  if (!ino->unlinked &&
      (s = tw_pfs_anchor_update(ino->m, &ino->hdr, durable)) != TWINE_PFS_OK)
    goto fail;
  return TWINE_PFS_OK;
fail:
  return tw_pfs_fail(ino, s);
}

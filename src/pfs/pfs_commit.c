/*
 * pfs_commit.c - commits of the dirty nodes and the header, and the undo
 * journal over the last durable state D.
 *
 * Dirty frames are sorted (data nodes ascending, then MHT nodes by
 * descending index: children before parents, MHT 0 last, its entry going
 * into the header), encrypted and written in coalesced runs.
 *
 * The journal "<host>.pfsj" holds the D-images of every node of D (physical
 * number < D's length) that a commit since D overwrites: J0 once, then one
 * segment per commit that needs new images, each HMAC-chained to the one
 * before, so it only ever grows by appending. Nodes appended beyond D are
 * never journaled (a rollback cuts them off).
 *
 * Final commit (sync, close, rename; every commit of a DUR_NONE file):
 *   (1) new images appended (J0 first if no journal is open), B1;
 *   (2) nodes written, the host file grown to the new end, B2;
 *   (3) header with generation + 1 and flag PROVISIONAL clear, B3;
 *   (4) the host file cut if the file shrank; (5) the journal emptied (no
 *       sync needed); (6) the anchor advanced (persisted for DUR_COMMIT).
 * Provisional commit (cache pressure, clear_cache, rekey's first step of a
 * DUR_COMMIT file): (1) with B1 only if images were appended; (2) and (3)
 * without B2/B3, the header flagged PROVISIONAL; no cut (the host file
 * keeps D's nodes, so later overwrites of them still find their D-image
 * on disk); the journal stays open. A crash anywhere rolls the file back to
 * D (pfs_recover.c); the next final commit makes everything durable.
 * Barriers are fdatasync calls, issued for DUR_COMMIT files only. Any
 * failure is sticky: the in-memory tree is then half-updated.
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

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* ---- the set of journaled physical nodes ----------------------------------- */

static uint64_t jslot(uint64_t key, uint64_t cap) {
  return (key * UINT64_C(0x9E3779B97F4A7C15)) >> 20 & (cap - 1);
}

static bool jset_has(const tw_pfs_inode *ino, uint64_t phys) {
  if (!ino->jset_cap)
    return false;
  for (uint64_t i = jslot(phys + 1, ino->jset_cap);; i = (i + 1) & (ino->jset_cap - 1)) {
    if (ino->jset[i] == phys + 1)
      return true;
    if (ino->jset[i] == 0)
      return false;
  }
}

twine_pfs_status tw_pfs_jset_add(tw_pfs_inode *ino, uint64_t phys) {
  if ((ino->jset_n + 1) * 2 > ino->jset_cap) {
    uint64_t cap = ino->jset_cap ? ino->jset_cap * 2 : 256, *old = ino->jset;
    uint64_t *t = calloc((size_t)cap, sizeof *t);
    if (!t)
      return TWINE_PFS_ENOMEM;
    for (uint64_t i = 0; i < ino->jset_cap; i++)
      if (old[i]) {
        uint64_t k = jslot(old[i], cap);
        while (t[k])
          k = (k + 1) & (cap - 1);
        t[k] = old[i];
      }
    free(old);
    ino->jset = t;
    ino->jset_cap = cap;
  }
  uint64_t k = jslot(phys + 1, ino->jset_cap);
  while (ino->jset[k] && ino->jset[k] != phys + 1)
    k = (k + 1) & (ino->jset_cap - 1);
  if (!ino->jset[k]) {
    ino->jset[k] = phys + 1;
    ino->jset_n++;
  }
  return TWINE_PFS_OK;
}

void tw_pfs_journal_reset(tw_pfs_inode *ino) {
  ino->j_active = false;
  ino->j_seq = ino->j_end = 0;
  tw_cry_wipe(ino->jkey, sizeof ino->jkey);
  tw_cry_wipe(ino->j_chain, sizeof ino->j_chain);
  if (ino->jset_cap > 4096) {
    free(ino->jset);
    ino->jset = NULL;
    ino->jset_cap = 0;
  } else if (ino->jset_n) {
    memset(ino->jset, 0, (size_t)ino->jset_cap * sizeof *ino->jset);
  }
  ino->jset_n = 0;
}

/* ---- journal writing ----------------------------------------------------------- */

/* One HMAC-SHA256 over up to three pieces. */
static twine_pfs_status hmac3(const uint8_t key[32], const void *a, size_t al,
                              const void *b, size_t bl, uint8_t out[32]) {
  tw_cry_hmac *h = tw_cry_hmac_new(key, 32);
  twine_pfs_status s = TWINE_PFS_ECRYPTO;
  if (h && tw_cry_hmac_update(h, a, al) == 0 && (!bl || tw_cry_hmac_update(h, b, bl) == 0) &&
      tw_cry_hmac_final(h, out) == 0)
    s = TWINE_PFS_OK;
  tw_cry_hmac_free(h);
  return s;
}

/* Open a new journal over the current on-disk state D: J0 at node 0. */
static twine_pfs_status journal_start(tw_pfs_inode *ino, uint64_t limit) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  twine_pfs_status s;
  if (!ino->j_open) {
    twine_pfs_host_info info;
    int e = io->open(ino->m->cfg.io_ctx, ino->jpath,
                     TWINE_PFS_IO_READ | TWINE_PFS_IO_WRITE | TWINE_PFS_IO_CREAT,
                     &ino->jh, &info);
    if (e != 0)
      return tw_pfs_io_status(e);
    ino->j_open = true;
  }
  tw_pfs_journal_reset(ino);
  if (tw_cry_hkdf_sha256(ino->kdk, ino->kdk_len, ino->hdr.uuid, 16,
                         (const uint8_t *)"pfs1 jrnl", 9, ino->jkey, sizeof ino->jkey) != 0)
    return TWINE_PFS_ECRYPTO;
  uint8_t *j0 = ino->stage;
  memset(j0, 0, TW_PFS_NODE);
  memcpy(j0 + TW_PFS_J_MAGIC, TW_PFS_JMAGIC, 8);
  memcpy(j0 + TW_PFS_J_UUID, ino->hdr.uuid, 16);
  memcpy(j0 + TW_PFS_J_KDKID, ino->hdr.kdk_id, 16);
  tw_pfs_st64(j0 + TW_PFS_J_BGEN, ino->hdr.gen);
  tw_pfs_st64(j0 + TW_PFS_J_BLEN, ino->phys_len);
  tw_pfs_st64(j0 + TW_PFS_J_GLIM, limit);
  if ((s = tw_pfs_random(j0 + TW_PFS_J_NONCE, 16)) != TWINE_PFS_OK ||
      (s = hmac3(ino->jkey, j0, TW_PFS_NODE, NULL, 0, ino->j_chain)) != TWINE_PFS_OK)
    return s;
  memcpy(j0 + TW_PFS_J_HMAC, ino->j_chain, 32);
  if ((s = tw_pfs_io_write(ino, ino->jh, j0, TW_PFS_NODE, 0)) != TWINE_PFS_OK)
    return s;
  ino->j_active = true;
  ino->j_base_gen = ino->hdr.gen;
  ino->j_base_len = ino->phys_len;
  ino->j_limit = limit;
  ino->j_end = 1;
  return TWINE_PFS_OK;
}

/* Append segments with the current (= D) images of img[0..cnt) (sorted,
 * distinct, not yet journaled). Contiguous runs are read with one call. */
static twine_pfs_status journal_append(tw_pfs_inode *ino, const uint64_t *img,
                                       uint64_t cnt) {
  uint8_t *sn = malloc(TW_PFS_NODE), *st = ino->stage, mac[32];
  tw_cry_hmac *h = NULL;
  twine_pfs_status s = TWINE_PFS_OK;
  if (!sn)
    return TWINE_PFS_ENOMEM;
  for (uint64_t i = 0; i < cnt && s == TWINE_PFS_OK;) {
    uint64_t c = cnt - i < TW_PFS_SEG_MAX ? cnt - i : TW_PFS_SEG_MAX, at = ino->j_end;
    memset(sn, 0, TW_PFS_NODE);
    memcpy(sn + TW_PFS_S_MAGIC, TW_PFS_SMAGIC, 8);
    tw_pfs_st64(sn + TW_PFS_S_SEQ, ino->j_seq + 1);
    tw_pfs_st64(sn + TW_PFS_S_COUNT, c);
    for (uint64_t k = 0; k < c; k++)
      tw_pfs_st64(sn + TW_PFS_S_IDX + 8 * k, img[i + k]);
    if (!(h = tw_cry_hmac_new(ino->jkey, sizeof ino->jkey)) ||
        tw_cry_hmac_update(h, ino->j_chain, 32) != 0 ||
        tw_cry_hmac_update(h, sn, TW_PFS_NODE) != 0) {
      s = TWINE_PFS_ECRYPTO;
      break;
    }
    for (uint64_t k = 0; k < c && s == TWINE_PFS_OK;) {
      uint64_t b = c - k < TW_PFS_READAHEAD ? c - k : TW_PFS_READAHEAD;
      for (uint64_t r = 0; r < b && s == TWINE_PFS_OK;) {
        uint64_t run = 1;
        while (r + run < b && img[i + k + r + run] == img[i + k + r] + run)
          run++;
        s = tw_pfs_io_read(ino, ino->h, st + r * TW_PFS_NODE, (size_t)run * TW_PFS_NODE,
                           img[i + k + r] * TW_PFS_NODE);
        r += run;
      }
      if (s != TWINE_PFS_OK)
        break;
      int rc;
      TW_PFS_PROF(TW_PFS_P_CRYPTO, rc = tw_cry_hmac_update(h, st, (size_t)b * TW_PFS_NODE));
      if (rc != 0) {
        s = TWINE_PFS_ECRYPTO;
        break;
      }
      s = tw_pfs_io_write(ino, ino->jh, st, (size_t)b * TW_PFS_NODE,
                          (at + 1 + k) * TW_PFS_NODE);
      k += b;
    }
    if (s == TWINE_PFS_OK && tw_cry_hmac_final(h, mac) != 0)
      s = TWINE_PFS_ECRYPTO;
    tw_cry_hmac_free(h);
    h = NULL;
    if (s != TWINE_PFS_OK)
      break;
    memcpy(sn + TW_PFS_S_HMAC, mac, 32);
    if ((s = tw_pfs_io_write(ino, ino->jh, sn, TW_PFS_NODE, at * TW_PFS_NODE)) != TWINE_PFS_OK)
      break;
    memcpy(ino->j_chain, mac, 32);
    ino->j_seq++;
    ino->j_end = at + 1 + c;
    for (uint64_t k = 0; k < c && s == TWINE_PFS_OK; k++)
      s = tw_pfs_jset_add(ino, img[i + k]);
    i += c;
  }
  tw_cry_hmac_free(h);
  free(sn);
  return s;
}

/* Journal what this commit overwrites of D and has not journaled yet (the
 * header always; nodes below D's length); B1 if anything was added. */
static twine_pfs_status journal_commit(tw_pfs_inode *ino, uint32_t n, uint64_t limit,
                                       bool sync) {
  twine_pfs_status s;
  if (!ino->j_active && (s = journal_start(ino, limit)) != TWINE_PFS_OK)
    return s;
  uint64_t *img = malloc(((size_t)n + 1) * sizeof *img), cnt = 0;
  if (!img)
    return TWINE_PFS_ENOMEM;
  if (!jset_has(ino, 0))
    img[cnt++] = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t phys = tw_pfs_node_phys(ino->work[i]->kind, ino->work[i]->idx);
    if (phys < ino->j_base_len && !jset_has(ino, phys))
      img[cnt++] = phys;
  }
  qsort(img, (size_t)cnt, sizeof *img, cmp_u64);
  s = journal_append(ino, img, cnt);
  free(img);
  if (s == TWINE_PFS_OK && cnt > 0 && sync)
    s = tw_pfs_io_sync(ino, ino->jh); /* B1 */
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
  bool sync = ino->dur == TWINE_PFS_DUR_COMMIT && !ino->unlinked;
  /* Provisional only for DUR_COMMIT files with a durable state on disk,
   * within the journal's generation window. */
  bool final = durable || !sync || ino->phys_len == 0 ||
               ino->hdr.gen >= UINT64_MAX - 2 * TW_PFS_GEN_WINDOW ||
               (ino->j_active && ino->hdr.gen + 1 >= ino->j_limit);
  if (final && ino->j_active && !ino->unlinked)
    ino->hdr_dirty = true; /* provisional commits since D become durable */
  if (!ino->hdr_dirty && ino->ndirty == 0)
    return TWINE_PFS_OK;
  if (!ino->writable)
    return TWINE_PFS_EBADF;
  if (ino->unlinked && ino->j_active)
    tw_pfs_journal_reset(ino);
  uint32_t n = 0;
  for (uint32_t i = 0; i < ino->nframes; i++)
    if (ino->frames[i].dirty)
      ino->work[n++] = &ino->frames[i];
  qsort(ino->work, n, sizeof *ino->work, cmp_frames);
  uint64_t base_phys = ino->phys_len, new_phys = tw_pfs_phys_end(ino->hdr.size);
  uint64_t gen = ino->restamp ? ino->restamp_gen : ino->hdr.gen + 1;
  /* The re-stamp after a rollback writes only the header, past the
   * recovered journal's window (pfs_recover.c). */
  if (ino->restamp && (n > 0 || !final || !ino->j_active)) {
    s = TWINE_PFS_CORRUPTED;
    goto fail;
  }

  /* A brand-new file (nothing on disk yet) has no old state to protect. */
  if (!ino->unlinked && base_phys > 0 &&
      (s = journal_commit(ino, n, final ? gen : ino->hdr.gen + TW_PFS_GEN_WINDOW, sync)) !=
          TWINE_PFS_OK)
    goto fail;
  if ((s = write_nodes(ino, n)) != TWINE_PFS_OK)
    goto fail;
  if (new_phys > base_phys &&
      (s = tw_pfs_io_truncate(ino, ino->h, new_phys * TW_PFS_NODE)) != TWINE_PFS_OK)
    goto fail;
  if (final && sync && (s = tw_pfs_io_sync(ino, ino->h)) != TWINE_PFS_OK) /* B2 */
    goto fail;

  ino->hdr.gen = gen;
  ino->restamp = false;
  if (final)
    ino->hdr.flags &= ~TW_PFS_HF_PROVISIONAL;
  else
    ino->hdr.flags |= TW_PFS_HF_PROVISIONAL;
  if (ino->m->cfg.io->now_ns)
    ino->hdr.mtime_ns = ino->m->cfg.io->now_ns(ino->m->cfg.io_ctx);
  if ((s = tw_pfs_hdr_seal(ino->gcm, &ino->hdr, ino->kdk, ino->kdk_len,
                           ino->stage)) != TWINE_PFS_OK ||
      (s = tw_pfs_io_write(ino, ino->h, ino->stage, TW_PFS_NODE, 0)) != TWINE_PFS_OK)
    goto fail;
  if (final && sync && (s = tw_pfs_io_sync(ino, ino->h)) != TWINE_PFS_OK) /* B3 */
    goto fail;
  if (final) {
    if (new_phys < base_phys &&
        (s = tw_pfs_io_truncate(ino, ino->h, new_phys * TW_PFS_NODE)) != TWINE_PFS_OK)
      goto fail;
    ino->phys_len = new_phys;
    if (ino->j_open && (s = tw_pfs_io_truncate(ino, ino->jh, 0)) != TWINE_PFS_OK)
      goto fail;
    tw_pfs_journal_reset(ino);
  } else if (new_phys > base_phys) {
    ino->phys_len = new_phys; /* D's nodes beyond the end stay until the final commit */
  }
  for (uint32_t i = 0; i < n; i++)
    ino->work[i]->dirty = 0;
  ino->ndirty = 0;
  ino->hdr_dirty = false;
  if (!ino->unlinked &&
      (s = tw_pfs_anchor_update(ino->m, &ino->hdr, final && sync)) != TWINE_PFS_OK)
    goto fail;
  return TWINE_PFS_OK;
fail:
  return tw_pfs_fail(ino, s);
}

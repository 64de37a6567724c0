/*
 * pfs_recover.c - recovery of interrupted commits on open.
 *
 * A journal is valid if J0 and at least one segment verify (the longest
 * valid HMAC chain of segments is used; a torn or foreign tail is ignored),
 * its uuid is the file's, and the first image is the header's. It covers
 * the commits since the durable state D = (base_gen, base_phys_len), which
 * may write generations base_gen + 1 .. gen_limit. With a valid journal:
 *   header invalid                       -> roll back;
 *   header of another file               -> journal ignored;
 *   gen == base_gen                      -> roll back (nothing or part of
 *                                           a commit reached the file);
 *   base_gen < gen <= gen_limit, header
 *     flagged PROVISIONAL                -> roll back (a non-durable commit;
 *                                           D is the last durable state);
 *     not flagged                        -> the final commit completed (its
 *                                           header follows B2): empty the
 *                                           journal;
 *   anything else                        -> stale journal, ignored.
 * Roll back = replay the images (last segment first, so a D-image always
 * wins), cut the file to base_phys_len, sync, and require the D header
 * (gen == base_gen, not provisional). The journal then stays in place and
 * active in the inode until the caller's re-stamp commit (header only,
 * generation gen_limit + 1, so no version written over D can ever pass the
 * anchor again) has completed; a crash before that rolls back again.
 * A journal that does not verify is ignored: the file must then verify
 * on its own (and a PROVISIONAL header never does, see pfs.c).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/kdf.h"
#include "pfs/pfs_int.h"

typedef struct jinfo {
  uint8_t uuid[16], kdk_id[16];
  uint64_t bgen, blen, glim;
  uint64_t n, cap;   /* images */
  uint64_t *idx;     /* physical node of image i */
  uint64_t *at;      /* journal node holding image i */
  uint64_t end, seq; /* first node past the valid chain; segments */
  uint8_t chain[32], jkey[32];
} jinfo;

static twine_pfs_status add_image(jinfo *j, uint64_t phys, uint64_t at) {
  if (j->n == j->cap) {
    uint64_t cap = j->cap ? 2 * j->cap : 64;
    uint64_t *a = realloc(j->idx, (size_t)cap * sizeof *a);
    if (!a)
      return TWINE_PFS_ENOMEM;
    j->idx = a;
    if (!(a = realloc(j->at, (size_t)cap * sizeof *a)))
      return TWINE_PFS_ENOMEM;
    j->at = a;
    j->cap = cap;
  }
  j->idx[j->n] = phys;
  j->at[j->n++] = at;
  return TWINE_PFS_OK;
}

/* Verify segment `seq` at journal node pos; *ok = false ends the chain. */
static twine_pfs_status check_segment(tw_pfs_inode *ino, uint64_t jh, uint64_t jnodes,
                                      jinfo *j, uint8_t *sn, bool *ok) {
  uint64_t pos = j->end;
  uint8_t want[32], mac[32];
  twine_pfs_status s;
  *ok = false;
  if (pos + 2 > jnodes)
    return TWINE_PFS_OK;
  if ((s = tw_pfs_io_read(ino, jh, sn, TW_PFS_NODE, pos * TW_PFS_NODE)) != TWINE_PFS_OK)
    return s == TWINE_PFS_CORRUPTED ? TWINE_PFS_OK : s;
  uint64_t c = tw_pfs_ld64(sn + TW_PFS_S_COUNT);
  if (memcmp(sn, TW_PFS_SMAGIC, 8) != 0 || tw_pfs_ld64(sn + TW_PFS_S_SEQ) != j->seq + 1 ||
      c == 0 || c > TW_PFS_SEG_MAX || c > jnodes - pos - 1 ||
      !tw_pfs_is_zero(sn + TW_PFS_S_RSV, 8) ||
      !tw_pfs_is_zero(sn + TW_PFS_S_IDX + 8 * c, TW_PFS_NODE - TW_PFS_S_IDX - 8 * c))
    return TWINE_PFS_OK;
  for (uint64_t k = 0; k < c; k++) {
    uint64_t p = tw_pfs_ld64(sn + TW_PFS_S_IDX + 8 * k);
    if (p >= j->blen || ((j->seq == 0 && k == 0) != (p == 0)))
      return TWINE_PFS_OK;
  }
  memcpy(want, sn + TW_PFS_S_HMAC, 32);
  memset(sn + TW_PFS_S_HMAC, 0, 32);
  tw_cry_hmac *h = tw_cry_hmac_new(j->jkey, 32);
  if (!h || tw_cry_hmac_update(h, j->chain, 32) != 0 ||
      tw_cry_hmac_update(h, sn, TW_PFS_NODE) != 0) {
    tw_cry_hmac_free(h);
    return TWINE_PFS_ECRYPTO;
  }
  for (uint64_t k = 0; k < c; k += TW_PFS_READAHEAD) {
    uint64_t b = c - k < TW_PFS_READAHEAD ? c - k : TW_PFS_READAHEAD;
    if ((s = tw_pfs_io_read(ino, jh, ino->stage, (size_t)b * TW_PFS_NODE,
                            (pos + 1 + k) * TW_PFS_NODE)) != TWINE_PFS_OK) {
      tw_cry_hmac_free(h);
      return s == TWINE_PFS_CORRUPTED ? TWINE_PFS_OK : s;
    }
    if (tw_cry_hmac_update(h, ino->stage, (size_t)b * TW_PFS_NODE) != 0) {
      tw_cry_hmac_free(h);
      return TWINE_PFS_ECRYPTO;
    }
  }
  int rc = tw_cry_hmac_final(h, mac);
  tw_cry_hmac_free(h);
  if (rc != 0)
    return TWINE_PFS_ECRYPTO;
  if (!tw_cry_ct_equal(mac, want, 32))
    return TWINE_PFS_OK;
  for (uint64_t k = 0; k < c; k++)
    if ((s = add_image(j, tw_pfs_ld64(sn + TW_PFS_S_IDX + 8 * k), pos + 1 + k)) !=
        TWINE_PFS_OK)
      return s;
  memcpy(j->chain, mac, 32);
  j->seq++;
  j->end = pos + 1 + c;
  *ok = true;
  return TWINE_PFS_OK;
}

/* Read and authenticate the journal; *valid = false: ignore it. */
static twine_pfs_status check_journal(tw_pfs_inode *ino, uint64_t jh, uint64_t jnodes,
                                      jinfo *j, bool *valid) {
  uint8_t *sn = malloc(TW_PFS_NODE), kdk[32], want[32];
  size_t kdk_len = 0;
  twine_pfs_status s;
  *valid = false;
  if (!sn)
    return TWINE_PFS_ENOMEM;
  if ((s = tw_pfs_io_read(ino, jh, sn, TW_PFS_NODE, 0)) != TWINE_PFS_OK) {
    s = s == TWINE_PFS_CORRUPTED ? TWINE_PFS_OK : s;
    goto out;
  }
  if (memcmp(sn, TW_PFS_JMAGIC, 8) != 0 ||
      !tw_pfs_is_zero(sn + TW_PFS_J_END, TW_PFS_NODE - TW_PFS_J_END))
    goto out;
  memcpy(j->uuid, sn + TW_PFS_J_UUID, 16);
  memcpy(j->kdk_id, sn + TW_PFS_J_KDKID, 16);
  j->bgen = tw_pfs_ld64(sn + TW_PFS_J_BGEN);
  j->blen = tw_pfs_ld64(sn + TW_PFS_J_BLEN);
  j->glim = tw_pfs_ld64(sn + TW_PFS_J_GLIM);
  memcpy(want, sn + TW_PFS_J_HMAC, 32);
  memset(sn + TW_PFS_J_HMAC, 0, 32);
  if (j->blen == 0 || j->blen > tw_pfs_phys_end(TWINE_PFS_MAX_SIZE) ||
      j->glim <= j->bgen || j->glim == UINT64_MAX)
    goto out;
  if (tw_pfs_get_kdk(ino->m, j->kdk_id, kdk, &kdk_len) != TWINE_PFS_OK)
    goto out;
  int rc = tw_cry_hkdf_sha256(kdk, kdk_len, j->uuid, 16, (const uint8_t *)"pfs1 jrnl", 9,
                              j->jkey, sizeof j->jkey);
  tw_cry_wipe(kdk, sizeof kdk);
  tw_cry_hmac *h = rc == 0 ? tw_cry_hmac_new(j->jkey, 32) : NULL;
  if (!h || tw_cry_hmac_update(h, sn, TW_PFS_NODE) != 0 ||
      tw_cry_hmac_final(h, j->chain) != 0) {
    tw_cry_hmac_free(h);
    s = TWINE_PFS_ECRYPTO;
    goto out;
  }
  tw_cry_hmac_free(h);
  if (!tw_cry_ct_equal(j->chain, want, 32))
    goto out;
  j->end = 1;
  for (bool ok = true; ok && s == TWINE_PFS_OK;)
    s = check_segment(ino, jh, jnodes, j, sn, &ok);
  *valid = s == TWINE_PFS_OK && j->seq > 0;
out:
  free(sn);
  return s;
}

/* Try to authenticate the main file's header; false if it does not. */
static bool header_valid(tw_pfs_inode *ino, tw_pfs_hdr *h) {
  uint8_t kdk[32];
  size_t kdk_len = 0;
  if (ino->hinfo.size < TW_PFS_NODE ||
      tw_pfs_io_read(ino, ino->h, ino->stage, TW_PFS_NODE, 0) != TWINE_PFS_OK ||
      tw_pfs_hdr_parse_plain(ino->stage, h) != TWINE_PFS_OK ||
      tw_pfs_get_kdk(ino->m, h->kdk_id, kdk, &kdk_len) != TWINE_PFS_OK)
    return false;
  twine_pfs_status s = tw_pfs_hdr_open(ino->gcm, ino->stage, kdk, kdk_len, h);
  tw_cry_wipe(kdk, sizeof kdk);
  return s == TWINE_PFS_OK;
}

static twine_pfs_status replay(tw_pfs_inode *ino, uint64_t jh, const jinfo *j) {
  twine_pfs_status s;
  for (uint64_t i = j->n; i-- > 0;) {
    if ((s = tw_pfs_io_read(ino, jh, ino->stage, TW_PFS_NODE, j->at[i] * TW_PFS_NODE)) !=
            TWINE_PFS_OK ||
        (s = tw_pfs_io_write(ino, ino->h, ino->stage, TW_PFS_NODE,
                             j->idx[i] * TW_PFS_NODE)) != TWINE_PFS_OK)
      return s;
  }
  if ((s = tw_pfs_io_truncate(ino, ino->h, j->blen * TW_PFS_NODE)) != TWINE_PFS_OK ||
      (s = tw_pfs_io_sync(ino, ino->h)) != TWINE_PFS_OK)
    return s;
  ino->hinfo.size = j->blen * TW_PFS_NODE;
  return TWINE_PFS_OK;
}

/* After a rollback: the journal stays active for the re-stamp commit. */
static twine_pfs_status adopt(tw_pfs_inode *ino, uint64_t jh, const jinfo *j) {
  tw_pfs_journal_reset(ino);
  for (uint64_t i = 0; i < j->n; i++) {
    twine_pfs_status s = tw_pfs_jset_add(ino, j->idx[i]);
    if (s != TWINE_PFS_OK)
      return s;
  }
  ino->jh = jh;
  ino->j_open = true;
  ino->j_active = true;
  ino->j_base_gen = j->bgen;
  ino->j_base_len = j->blen;
  ino->j_limit = j->glim;
  ino->j_end = j->end;
  ino->j_seq = j->seq;
  memcpy(ino->j_chain, j->chain, 32);
  memcpy(ino->jkey, j->jkey, 32);
  ino->restamp_gen = j->glim + 1;
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_recover(tw_pfs_inode *ino, bool *recovered) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  twine_pfs_host_info info;
  uint64_t jh;
  bool keep = false;
  *recovered = false;
  int e = io->open(ino->m->cfg.io_ctx, ino->jpath,
                   TWINE_PFS_IO_READ | (ino->writable ? TWINE_PFS_IO_WRITE : 0), &jh, &info);
  if (e != 0)
    return e == 44 /* ENOENT */ ? TWINE_PFS_OK : tw_pfs_io_status(e);
  jinfo j;
  memset(&j, 0, sizeof j);
  bool valid = false;
  twine_pfs_status s = TWINE_PFS_OK;
  if (info.size >= 2 * TW_PFS_NODE)
    s = check_journal(ino, jh, info.size / TW_PFS_NODE, &j, &valid);
  if (s == TWINE_PFS_OK && valid) {
    tw_pfs_hdr *h = malloc(sizeof *h);
    if (!h) {
      s = TWINE_PFS_ENOMEM;
      goto out;
    }
    bool ok = header_valid(ino, h);
    bool same = ok && memcmp(h->uuid, j.uuid, 16) == 0;
    bool window = same && h->gen > j.bgen && h->gen <= j.glim;
    bool prov = ok && (h->flags & TW_PFS_HF_PROVISIONAL) != 0;
    if (window && !prov) { /* the final commit completed */
      if (ino->writable)
        s = tw_pfs_io_truncate(ino, jh, 0);
    } else if (!ok || (same && h->gen == j.bgen) || (window && prov)) {
      if (!ino->writable) {
        s = TWINE_PFS_EBADF; /* caller reopens the host file for writing */
      } else if ((s = replay(ino, jh, &j)) == TWINE_PFS_OK) {
        if (!header_valid(ino, h) || memcmp(h->uuid, j.uuid, 16) != 0 ||
            h->gen != j.bgen || (h->flags & TW_PFS_HF_PROVISIONAL))
          s = TWINE_PFS_CORRUPTED;
        else if ((s = adopt(ino, jh, &j)) == TWINE_PFS_OK)
          *recovered = keep = true;
      }
    }
    tw_cry_wipe(h, sizeof *h);
    free(h);
  }
out:
  tw_cry_wipe(j.jkey, sizeof j.jkey);
  free(j.idx);
  free(j.at);
  if (!keep)
    io->close(ino->m->cfg.io_ctx, jh);
  return s;
}

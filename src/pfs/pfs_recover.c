/*
 * pfs_recover.c - recovery of an interrupted commit on open.
 *
 * With a journal whose HMAC verifies and whose uuid is the file's:
 *   header valid, gen == base_gen + 1  -> the commit completed (B3 was
 *                                         reached): empty the journal;
 *   header invalid, or gen == base_gen -> replay the old images, cut the
 *                                         file to base_phys_len, sync, and
 *                                         require gen == base_gen after;
 *                                         the caller then re-stamps;
 *   anything else                      -> stale journal, ignored.
 * A journal that fails its HMAC (torn, forged, other key) is ignored: the
 * file must then verify on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/kdf.h"
#include "pfs/pfs_int.h"

typedef struct jinfo {
  uint8_t uuid[16], kdk_id[16];
  uint64_t bgen, blen, n, nidx;
  uint64_t *idx;
} jinfo;

/* Read and authenticate the journal; false = ignore it. */
static twine_pfs_status check_journal(tw_pfs_inode *ino, uint64_t jh,
                                      uint64_t jnodes, jinfo *j, bool *valid) {
  uint8_t *st = ino->stage, kdk[32], jkey[32], mac[32], want[32];
  size_t kdk_len = 0;
  tw_cry_hmac *h = NULL;
  twine_pfs_status s;
  *valid = false;
  if ((s = tw_pfs_io_read(ino, jh, st, TW_PFS_NODE, 0)) != TWINE_PFS_OK)
    return s == TWINE_PFS_CORRUPTED ? TWINE_PFS_OK : s;
  if (memcmp(st, TW_PFS_JMAGIC, 8) != 0 ||
      !tw_pfs_is_zero(st + TW_PFS_J_END, TW_PFS_NODE - TW_PFS_J_END))
    return TWINE_PFS_OK;
  memcpy(j->uuid, st + TW_PFS_J_UUID, 16);
  memcpy(j->kdk_id, st + TW_PFS_J_KDKID, 16);
  j->bgen = tw_pfs_ld64(st + TW_PFS_J_BGEN);
  j->blen = tw_pfs_ld64(st + TW_PFS_J_BLEN);
  j->n = tw_pfs_ld64(st + TW_PFS_J_N);
  memcpy(want, st + TW_PFS_J_HMAC, 32);
  memset(st + TW_PFS_J_HMAC, 0, 32);
  if (j->n == 0 || j->n > jnodes || j->blen == 0 ||
      j->blen > tw_pfs_phys_end(TWINE_PFS_MAX_SIZE))
    return TWINE_PFS_OK;
  j->nidx = (j->n + TW_PFS_J_PER_INDEX - 1) / TW_PFS_J_PER_INDEX;
  if (1 + j->nidx + j->n > jnodes)
    return TWINE_PFS_OK;
  if (tw_pfs_get_kdk(ino->m, j->kdk_id, kdk, &kdk_len) != TWINE_PFS_OK)
    return TWINE_PFS_OK;
  int rc = tw_cry_hkdf_sha256(kdk, kdk_len, j->uuid, 16,
                              (const uint8_t *)"pfs1 jrnl", 9, jkey, sizeof jkey);
  tw_cry_wipe(kdk, sizeof kdk);
  h = rc == 0 ? tw_cry_hmac_new(jkey, sizeof jkey) : NULL;
  tw_cry_wipe(jkey, sizeof jkey);
  if (!h)
    return TWINE_PFS_ECRYPTO;
  j->idx = malloc((size_t)j->n * sizeof *j->idx);
  if (!j->idx) {
    s = TWINE_PFS_ENOMEM;
    goto out;
  }
  s = TWINE_PFS_OK;
  if (tw_cry_hmac_update(h, st, TW_PFS_NODE) != 0)
    goto crypto;
  uint64_t total = j->nidx + j->n;
  for (uint64_t i = 0; i < total; i += TW_PFS_READAHEAD) {
    uint64_t b = total - i < TW_PFS_READAHEAD ? total - i : TW_PFS_READAHEAD;
    if ((s = tw_pfs_io_read(ino, jh, st, (size_t)b * TW_PFS_NODE,
                            (1 + i) * TW_PFS_NODE)) != TWINE_PFS_OK) {
      if (s == TWINE_PFS_CORRUPTED)
        s = TWINE_PFS_OK; /* short journal: ignore */
      goto out;
    }
    if (tw_cry_hmac_update(h, st, (size_t)b * TW_PFS_NODE) != 0)
      goto crypto;
    for (uint64_t k = 0; k < b && i + k < j->nidx; k++)
      for (uint64_t e = 0; e < TW_PFS_J_PER_INDEX; e++) {
        uint64_t at = (i + k) * TW_PFS_J_PER_INDEX + e;
        if (at < j->n)
          j->idx[at] = tw_pfs_ld64(st + k * TW_PFS_NODE + 8 * e);
      }
  }
  if (tw_cry_hmac_final(h, mac) != 0)
    goto crypto;
  if (!tw_cry_ct_equal(mac, want, 32))
    goto out;
  for (uint64_t i = 0; i < j->n; i++)
    if (j->idx[i] >= j->blen || (i == 0) != (j->idx[i] == 0))
      goto out;
  *valid = true;
  goto out;
crypto:
  s = TWINE_PFS_ECRYPTO;
out:
  tw_cry_hmac_free(h);
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
  for (uint64_t i = 0; i < j->n; i++) {
    if ((s = tw_pfs_io_read(ino, jh, ino->stage, TW_PFS_NODE,
                            (1 + j->nidx + i) * TW_PFS_NODE)) != TWINE_PFS_OK ||
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

twine_pfs_status tw_pfs_recover(tw_pfs_inode *ino, bool *recovered) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  twine_pfs_host_info info;
  uint64_t jh;
  *recovered = false;
  int e = io->open(ino->m->cfg.io_ctx, ino->jpath,
                   TWINE_PFS_IO_READ | (ino->writable ? TWINE_PFS_IO_WRITE : 0),
                   &jh, &info);
  if (e != 0)
    return e == 44 /* ENOENT */ ? TWINE_PFS_OK : tw_pfs_io_status(e);
  jinfo j = {0};
  bool valid = false;
  twine_pfs_status s = TWINE_PFS_OK;
  if (info.size >= TW_PFS_NODE)
    s = check_journal(ino, jh, info.size / TW_PFS_NODE, &j, &valid);
  if (s == TWINE_PFS_OK && valid) {
    tw_pfs_hdr *h = malloc(sizeof *h);
    if (!h) {
      s = TWINE_PFS_ENOMEM;
      goto out;
    }
    bool ok = header_valid(ino, h);
    bool same = ok && memcmp(h->uuid, j.uuid, 16) == 0;
    if (same && h->gen == j.bgen + 1) {
      if (ino->writable)
        s = tw_pfs_io_truncate(ino, jh, 0);
    } else if (!ok || (same && h->gen == j.bgen)) {
      if (!ino->writable) {
        s = TWINE_PFS_EBADF; /* caller reopens the host file for writing */
      } else if ((s = replay(ino, jh, &j)) == TWINE_PFS_OK) {
        if (!header_valid(ino, h) || memcmp(h->uuid, j.uuid, 16) != 0 ||
            h->gen != j.bgen)
          s = TWINE_PFS_CORRUPTED;
        else if ((s = tw_pfs_io_truncate(ino, jh, 0)) == TWINE_PFS_OK)
          *recovered = true;
      }
    }
    tw_cry_wipe(h, sizeof *h);
    free(h);
  }
out:
  free(j.idx);
  io->close(ino->m->cfg.io_ctx, jh);
  return s;
}

/*
 * pfs_size.c - logical size changes. Growing is O(1) (holes), except that
 * an inline file moves its bytes into data node 0. Shrinking drops cached
 * nodes beyond the end, turns their entries into holes and zeroes the
 * tail of the last node, so that bytes beyond the size are always zero
 * (a later extension then reads zeros); a file that fits inline again is
 * re-inlined. Caller holds the inode lock exclusively.
 */
#include <string.h>

#include "pfs/pfs_int.h"

#define X TW_PFS_G_EXCL

static twine_pfs_status grow(tw_pfs_inode *ino, uint64_t size) {
  tw_pfs_hdr *h = &ino->hdr;
  if (h->size <= TW_PFS_INLINE_MAX && size > TW_PFS_INLINE_MAX) {
    uint64_t old = h->size;
    h->flags &= ~TW_PFS_HF_INLINE;
    h->size = size;
    if (old > 0) {
      tw_pfs_frame *f;
      twine_pfs_status s = tw_pfs_get(ino, TW_PFS_K_DATA, 0, X, &f);
      if (s != TWINE_PFS_OK)
        return s;
      memcpy(f->buf, h->inl, (size_t)old);
      tw_pfs_mark_dirty(ino, f);
    }
    tw_cry_wipe(h->inl, sizeof h->inl);
  }
  h->size = size;
  ino->hdr_dirty = true;
  return TWINE_PFS_OK;
}

static twine_pfs_status reinline(tw_pfs_inode *ino, uint64_t size) {
  tw_pfs_hdr *h = &ino->hdr;
  if (size > 0) {
    tw_pfs_frame *f;
    twine_pfs_status s = tw_pfs_get(ino, TW_PFS_K_DATA, 0, X | TW_PFS_G_NORA, &f);
    if (s != TWINE_PFS_OK)
      return s;
    memcpy(h->inl, f->buf, (size_t)size);
  }
  tw_pfs_cache_drop_beyond(ino, false, 0, 0);
  memset(h->root, 0, sizeof h->root);
  h->flags |= TW_PFS_HF_INLINE;
  h->size = size;
  ino->hdr_dirty = true;
  return TWINE_PFS_OK;
}

/* Zero entry `slot` of MHT m if it is not a hole. */
static twine_pfs_status clear_entry(tw_pfs_inode *ino, uint64_t m, uint32_t slot) {
  tw_pfs_frame *f;
  twine_pfs_status s = tw_pfs_get(ino, TW_PFS_K_MHT, m, X, &f);
  if (s != TWINE_PFS_OK)
    return s;
  uint8_t *e = f->buf + (size_t)slot * TW_PFS_ENTRY;
  if (!tw_pfs_is_zero(e, TW_PFS_ENTRY)) {
    memset(e, 0, TW_PFS_ENTRY);
    tw_pfs_mark_dirty(ino, f);
  }
  return TWINE_PFS_OK;
}

static twine_pfs_status shrink(tw_pfs_inode *ino, uint64_t size) {
  tw_pfs_hdr *h = &ino->hdr;
  twine_pfs_status s;
  if (h->size <= TW_PFS_INLINE_MAX) { /* inline -> inline */
    size_t a = (size_t)size, b = (size_t)h->size;
    if (b > sizeof h->inl)
      b = sizeof h->inl;
    if (a < b)
      memset(h->inl + a, 0, b - a);
    h->size = size;
    ino->hdr_dirty = true;
    return TWINE_PFS_OK;
  }
  if (size <= TW_PFS_INLINE_MAX)
    return reinline(ino, size);
  uint64_t dold = (h->size - 1) / TW_PFS_NODE, mold = dold / TW_PFS_DPM;
  uint64_t dnew = (size - 1) / TW_PFS_NODE, mnew = dnew / TW_PFS_DPM;
  /* Zero the tail of the new last node (it may hold cut bytes); loaded
   * while the old size still applies, without read-ahead (the nodes after
   * it are about to become holes), and before the drop below so that
   * nothing beyond the new end is cached afterwards. */
  if (size % TW_PFS_NODE) {
    tw_pfs_frame *f;
    if ((s = tw_pfs_get(ino, TW_PFS_K_DATA, dnew, X | TW_PFS_G_NORA, &f)) != TWINE_PFS_OK)
      return s;
    size_t from = (size_t)(size % TW_PFS_NODE);
    if (!tw_pfs_is_zero(f->buf + from, TW_PFS_NODE - from)) {
      memset(f->buf + from, 0, TW_PFS_NODE - from);
      tw_pfs_mark_dirty(ino, f);
    }
  }
  tw_pfs_cache_drop_beyond(ino, true, dnew, mnew);
  /* Data slots of MHT mnew beyond dnew. */
  uint64_t dend = dold < (mnew + 1) * TW_PFS_DPM - 1 ? dold : (mnew + 1) * TW_PFS_DPM - 1;
  for (uint64_t d = dnew + 1; d <= dend; d++)
    if ((s = clear_entry(ino, mnew, (uint32_t)(d % TW_PFS_DPM))) != TWINE_PFS_OK)
      return s;
  /* Child slots of kept MHTs that point at dropped MHTs. */
  for (uint64_t m = mnew + 1; m <= mold; m++) {
    uint64_t p = (m - 1) / TW_PFS_CPM;
    if (p > mnew)
      break;
    if ((s = clear_entry(ino, p, TW_PFS_DPM + (uint32_t)((m - 1) % TW_PFS_CPM))) != TWINE_PFS_OK)
      return s;
  }
  h->size = size;
  ino->hdr_dirty = true;
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_resize(tw_pfs_inode *ino, uint64_t size) {
  if (size > TWINE_PFS_MAX_SIZE)
    return TWINE_PFS_EFBIG;
  if (size == ino->hdr.size)
    return TWINE_PFS_OK;
  return size > ino->hdr.size ? grow(ino, size) : shrink(ino, size);
}

/*
 * pfs_tree.c - Merkle-tree addressing: which physical node holds what, who
 * is whose parent, and which entries must be holes beyond the file's end.
 */
#include <string.h>

#include "pfs/pfs_int.h"

uint64_t tw_pfs_phys_end(uint64_t size) {
  if (size <= TW_PFS_INLINE_MAX)
    return 1;
  return tw_pfs_data_phys((size - 1) / TW_PFS_NODE) + 1;
}

bool tw_pfs_parent_of(int kind, uint64_t idx, uint64_t *parent, uint32_t *slot) {
  if (kind == TW_PFS_K_DATA) {
    *parent = idx / TW_PFS_DPM;
    *slot = (uint32_t)(idx % TW_PFS_DPM);
    return true;
  }
  if (idx == 0)
    return false;
  *parent = (idx - 1) / TW_PFS_CPM;
  *slot = TW_PFS_DPM + (uint32_t)((idx - 1) % TW_PFS_CPM);
  return true;
}

bool tw_pfs_mht_tail_ok(uint64_t m, const uint8_t *buf, uint64_t size) {
  if (size <= TW_PFS_INLINE_MAX)
    return tw_pfs_is_zero(buf, TW_PFS_NODE);
  uint64_t dlast = (size - 1) / TW_PFS_NODE, mlast = dlast / TW_PFS_DPM;
  if (m > mlast)
    return tw_pfs_is_zero(buf, TW_PFS_NODE);
  for (uint32_t i = 0; i < TW_PFS_DPM; i++)
    if (m * TW_PFS_DPM + i > dlast &&
        !tw_pfs_is_zero(buf + (size_t)i * TW_PFS_ENTRY, TW_PFS_ENTRY))
      return false;
  for (uint32_t j = 0; j < TW_PFS_CPM; j++)
    if (m * TW_PFS_CPM + 1 + j > mlast &&
        !tw_pfs_is_zero(buf + (size_t)(TW_PFS_DPM + j) * TW_PFS_ENTRY,
                        TW_PFS_ENTRY))
      return false;
  return true;
}

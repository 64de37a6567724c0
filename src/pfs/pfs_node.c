/*
 * pfs_node.c - node crypto: AES-128-GCM with a one-time random key per
 * write-back (so the all-zero IV is safe), AAD = file uuid ‖ kind ‖ index.
 * Keys come from RAND_priv_bytes in 4 KiB batches per file; consumed keys
 * are wiped from the batch, an all-zero key (reserved for holes) is redrawn.
 */
#include <string.h>

#include "pfs/pfs_int.h"

static const uint8_t zero_iv[TW_CRY_GCM_IV];

static void make_aad(tw_pfs_inode *ino, int kind, uint64_t idx, uint8_t aad[25]) {
  memcpy(aad, ino->hdr.uuid, 16);
  aad[16] = (uint8_t)kind;
  tw_pfs_st64(aad + 17, idx);
}

twine_pfs_status tw_pfs_random(uint8_t *out, size_t n) {
  return tw_cry_priv_bytes(out, n) == 0 ? TWINE_PFS_OK : TWINE_PFS_ECRYPTO;
}

static twine_pfs_status next_key(tw_pfs_inode *ino, uint8_t key[16]) {
  for (;;) {
    if (ino->key_pos + 16 > sizeof ino->keys) {
      if (tw_cry_priv_bytes(ino->keys, sizeof ino->keys) != 0)
        return TWINE_PFS_ECRYPTO;
      ino->key_pos = 0;
    }
    memcpy(key, ino->keys + ino->key_pos, 16);
    tw_cry_wipe(ino->keys + ino->key_pos, 16);
    ino->key_pos += 16;
    if (!tw_pfs_is_zero(key, 16))
      return TWINE_PFS_OK;
  }
}

twine_pfs_status tw_pfs_node_seal(tw_pfs_inode *ino, int kind, uint64_t idx,
                                  const uint8_t *plain, uint8_t *out,
                                  uint8_t entry[TW_PFS_ENTRY]) {
  uint8_t aad[25], key[16];
  twine_pfs_status s = next_key(ino, key);
  if (s != TWINE_PFS_OK)
    return s;
  make_aad(ino, kind, idx, aad);
  int rc;
  TW_PFS_PROF(TW_PFS_P_CRYPTO, rc = tw_cry_gcm_seal(ino->gcm, key, zero_iv, aad, sizeof aad,
                                                    plain, TW_PFS_NODE, out, entry + 16));
  memcpy(entry, key, 16);
  tw_cry_wipe(key, sizeof key);
  return rc == 0 ? TWINE_PFS_OK : TWINE_PFS_ECRYPTO;
}

twine_pfs_status tw_pfs_node_open(tw_pfs_inode *ino, int kind, uint64_t idx,
                                  const uint8_t *in, uint8_t *out,
                                  const uint8_t entry[TW_PFS_ENTRY]) {
  uint8_t aad[25];
  make_aad(ino, kind, idx, aad);
  int rc;
  TW_PFS_PROF(TW_PFS_P_CRYPTO, rc = tw_cry_gcm_open(ino->gcm, entry, zero_iv, aad, sizeof aad,
                                                    in, TW_PFS_NODE, out, entry + 16));
  if (rc == 0)
    return TWINE_PFS_OK;
  return rc > 0 ? TWINE_PFS_CORRUPTED : TWINE_PFS_ECRYPTO;
}

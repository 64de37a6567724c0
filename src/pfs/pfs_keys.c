/*
 * pfs_keys.c - fetching a file's KDK from the key provider (checked and
 * wiped on failure) and the explicit single-key provider.
 */
#include <string.h>

#include "pfs/pfs_int.h"

twine_pfs_status tw_pfs_get_kdk(twine_pfs_mount *m, const uint8_t kdk_id[16],
                                uint8_t kdk[32], size_t *kdk_len) {
  size_t len = 0;
  memset(kdk, 0, 32);
  if (m->cfg.keys->get(m->cfg.keys_ctx, m->cfg.mount_id, kdk_id, kdk, &len) != 0 ||
      (len != 16 && len != 32)) {
    tw_cry_wipe(kdk, 32);
    return TWINE_PFS_KEY_UNAVAILABLE;
  }
  *kdk_len = len;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_explicit_key_init(twine_pfs_explicit_key *ek,
                                             const uint8_t *key, size_t len,
                                             const uint8_t *kdk_id) {
  if (!ek || !key || (len != 16 && len != 32))
    return TWINE_PFS_EINVAL;
  memset(ek, 0, sizeof *ek);
  memcpy(ek->key, key, len);
  ek->len = len;
  if (kdk_id)
    memcpy(ek->kdk_id, kdk_id, TWINE_PFS_ID_LEN);
  return TWINE_PFS_OK;
}

void twine_pfs_explicit_key_wipe(twine_pfs_explicit_key *ek) {
  if (ek)
    tw_cry_wipe(ek, sizeof *ek);
}

static int ek_current(void *ctx, const uint8_t mount_id[16], uint8_t kdk_id[16]) {
  const twine_pfs_explicit_key *ek = ctx;
  (void)mount_id;
  memcpy(kdk_id, ek->kdk_id, TWINE_PFS_ID_LEN);
  return 0;
}

static int ek_get(void *ctx, const uint8_t mount_id[16], const uint8_t kdk_id[16],
                  uint8_t kdk[32], size_t *kdk_len) {
  const twine_pfs_explicit_key *ek = ctx;
  (void)mount_id;
  if (memcmp(kdk_id, ek->kdk_id, TWINE_PFS_ID_LEN) != 0)
    return -1;
  memcpy(kdk, ek->key, ek->len);
  *kdk_len = ek->len;
  return 0;
}

const twine_pfs_key_provider twine_pfs_explicit_key_provider = {ek_current, ek_get};

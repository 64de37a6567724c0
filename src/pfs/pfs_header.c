/*
 * pfs_header.c - the header node: plaintext part (all of it authenticated),
 * metadata key derivation, encryption of the rest, and the semantic checks
 * a header must pass even when its tag verifies.
 */
#include <string.h>

#include "crypto/kdf.h"
#include "pfs/pfs_int.h"

#define ENC_LEN (TW_PFS_NODE - TW_PFS_H_PLAIN)

static int derive(const uint8_t *kdk, size_t kdk_len, const uint8_t uuid[16],
                  const char *label, const uint8_t *nonce, uint8_t out[16]) {
  uint8_t info[9 + 32];
  size_t n = strlen(label);
  memcpy(info, label, n);
  if (nonce) {
    memcpy(info + n, nonce, 32);
    n += 32;
  }
  return tw_cry_hkdf_sha256(kdk, kdk_len, uuid, 16, info, n, out, 16);
}

twine_pfs_status tw_pfs_path_hash(const uint8_t mount_id[16], const char *path,
                                  uint8_t out[32]) {
  uint8_t buf[16 + 1 + TWINE_PFS_MAX_PATH];
  size_t n = strlen(path);
  if (n > TWINE_PFS_MAX_PATH)
    return TWINE_PFS_ENAMETOOLONG;
  memcpy(buf, mount_id, 16);
  buf[16] = 0;
  memcpy(buf + 17, path, n);
  return tw_cry_sha256(buf, 17 + n, out) == 0 ? TWINE_PFS_OK : TWINE_PFS_ECRYPTO;
}

twine_pfs_status tw_pfs_hdr_parse_plain(const uint8_t *node, tw_pfs_hdr *h) {
  if (memcmp(node + TW_PFS_H_MAGIC, TW_PFS_MAGIC, 8) != 0)
    return TWINE_PFS_CORRUPTED;
  if (tw_pfs_ld16(node + TW_PFS_H_MAJOR) != TW_PFS_MAJOR ||
      node[TW_PFS_H_SUITE] != TW_PFS_SUITE_AES128GCM_HKDF ||
      node[TW_PFS_H_SHIFT] != TW_PFS_NODE_SHIFT)
    return TWINE_PFS_UNSUPPORTED;
  if (tw_pfs_ld16(node + TW_PFS_H_HLEN) != TW_PFS_H_PLAIN ||
      !tw_pfs_is_zero(node + TW_PFS_H_RSV, TW_PFS_H_PLAIN - TW_PFS_H_RSV))
    return TWINE_PFS_CORRUPTED;
  h->flags = tw_pfs_ld32(node + TW_PFS_H_FLAGS);
  if (h->flags & ~(TW_PFS_HF_INLINE | TW_PFS_HF_RENAME | TW_PFS_HF_PROVISIONAL))
    return TWINE_PFS_CORRUPTED;
  memcpy(h->uuid, node + TW_PFS_H_UUID, 16);
  memcpy(h->kdk_id, node + TW_PFS_H_KDKID, 16);
  h->gen = tw_pfs_ld64(node + TW_PFS_H_GEN);
  memcpy(h->meta_tag, node + TW_PFS_H_TAG, 16);
  return TWINE_PFS_OK;
}

/* Fields of the decrypted part, checked for consistency. */
static twine_pfs_status parse_enc(const uint8_t *p, tw_pfs_hdr *h) {
  h->size = tw_pfs_ld64(p + TW_PFS_H_SIZE);
  memcpy(h->root, p + TW_PFS_H_ROOTKEY, TW_PFS_ENTRY);
  memcpy(h->path_hash, p + TW_PFS_H_PHASH, 32);
  h->mtime_ns = tw_pfs_ld64(p + TW_PFS_H_MTIME);
  h->path_len = tw_pfs_ld16(p + TW_PFS_H_PLEN);
  if (h->size > TWINE_PFS_MAX_SIZE || h->path_len > TWINE_PFS_MAX_PATH)
    return TWINE_PFS_CORRUPTED;
  bool inl = (h->flags & TW_PFS_HF_INLINE) != 0;
  if (inl != (h->size <= TW_PFS_INLINE_MAX))
    return TWINE_PFS_CORRUPTED;
  if (memchr(p + TW_PFS_H_PATH, 0, h->path_len) ||
      !tw_pfs_is_zero(p + TW_PFS_H_PATH + h->path_len,
                      TWINE_PFS_MAX_PATH - h->path_len) ||
      !tw_pfs_is_zero(p + TW_PFS_H_RSV2, TW_PFS_H_RENTO - TW_PFS_H_RSV2))
    return TWINE_PFS_CORRUPTED;
  /* rename_to: a non-zero target hash if and only if RENAME is set */
  memcpy(h->rename_to, p + TW_PFS_H_RENTO, 32);
  if (tw_pfs_is_zero(h->rename_to, 32) != !(h->flags & TW_PFS_HF_RENAME))
    return TWINE_PFS_CORRUPTED;
  memcpy(h->path, p + TW_PFS_H_PATH, h->path_len);
  h->path[h->path_len] = 0;
  size_t used = inl ? (size_t)h->size : 0;
  if ((inl && !tw_pfs_is_zero(h->root, TW_PFS_ENTRY)) ||
      !tw_pfs_is_zero(p + TW_PFS_H_INLINE + used, TW_PFS_INLINE_MAX - used))
    return TWINE_PFS_CORRUPTED;
  memset(h->inl, 0, sizeof h->inl);
  memcpy(h->inl, p + TW_PFS_H_INLINE, used);
  return TWINE_PFS_OK;
}

twine_pfs_status tw_pfs_hdr_open(tw_cry_gcm *g, const uint8_t *node,
                                 const uint8_t *kdk, size_t kdk_len,
                                 tw_pfs_hdr *h) {
  uint8_t key[16], kcv[16], aad[TW_PFS_H_PLAIN];
  uint8_t plain[TW_PFS_NODE];
  twine_pfs_status s = tw_pfs_hdr_parse_plain(node, h);
  if (s != TWINE_PFS_OK)
    return s;
  if (derive(kdk, kdk_len, h->uuid, "pfs1 kcv", NULL, kcv) != 0)
    return TWINE_PFS_ECRYPTO;
  if (!tw_cry_ct_equal(kcv, node + TW_PFS_H_KCV, 16))
    return TWINE_PFS_WRONG_KEY;
  if (derive(kdk, kdk_len, h->uuid, "pfs1 meta", node + TW_PFS_H_NONCE, key) != 0)
    return TWINE_PFS_ECRYPTO;
  static const uint8_t iv[TW_CRY_GCM_IV];
  memcpy(aad, node, sizeof aad);
  memset(aad + TW_PFS_H_TAG, 0, 16);
  memset(plain, 0, TW_PFS_H_PLAIN);
  int rc = tw_cry_gcm_open(g, key, iv, aad, sizeof aad, node + TW_PFS_H_PLAIN,
                           ENC_LEN, plain + TW_PFS_H_PLAIN, node + TW_PFS_H_TAG);
  tw_cry_wipe(key, sizeof key);
  if (rc < 0)
    return TWINE_PFS_ECRYPTO;
  if (rc > 0)
    return TWINE_PFS_CORRUPTED;
  s = parse_enc(plain, h);
  tw_cry_wipe(plain, sizeof plain);
  return s;
}

twine_pfs_status tw_pfs_hdr_seal(tw_cry_gcm *g, tw_pfs_hdr *h,
                                 const uint8_t *kdk, size_t kdk_len,
                                 uint8_t *node) {
  uint8_t key[16], nonce[32];
  static const uint8_t iv[TW_CRY_GCM_IV];
  twine_pfs_status s = tw_pfs_random(nonce, sizeof nonce);
  if (s != TWINE_PFS_OK)
    return s;
  memset(node, 0, TW_PFS_NODE);
  memcpy(node + TW_PFS_H_MAGIC, TW_PFS_MAGIC, 8);
  tw_pfs_st16(node + TW_PFS_H_MAJOR, TW_PFS_MAJOR);
  tw_pfs_st16(node + TW_PFS_H_MINOR, TW_PFS_MINOR);
  tw_pfs_st16(node + TW_PFS_H_HLEN, TW_PFS_H_PLAIN);
  node[TW_PFS_H_SHIFT] = TW_PFS_NODE_SHIFT;
  node[TW_PFS_H_SUITE] = TW_PFS_SUITE_AES128GCM_HKDF;
  tw_pfs_st32(node + TW_PFS_H_FLAGS, h->flags);
  memcpy(node + TW_PFS_H_UUID, h->uuid, 16);
  memcpy(node + TW_PFS_H_KDKID, h->kdk_id, 16);
  tw_pfs_st64(node + TW_PFS_H_GEN, h->gen);
  memcpy(node + TW_PFS_H_NONCE, nonce, 32);
  if (derive(kdk, kdk_len, h->uuid, "pfs1 kcv", NULL, node + TW_PFS_H_KCV) != 0 ||
      derive(kdk, kdk_len, h->uuid, "pfs1 meta", nonce, key) != 0)
    return TWINE_PFS_ECRYPTO;
  tw_pfs_st64(node + TW_PFS_H_SIZE, h->size);
  memcpy(node + TW_PFS_H_ROOTKEY, h->root, TW_PFS_ENTRY);
  memcpy(node + TW_PFS_H_PHASH, h->path_hash, 32);
  if (h->flags & TW_PFS_HF_RENAME)
    memcpy(node + TW_PFS_H_RENTO, h->rename_to, 32);
  tw_pfs_st64(node + TW_PFS_H_MTIME, h->mtime_ns);
  tw_pfs_st16(node + TW_PFS_H_PLEN, h->path_len);
  memcpy(node + TW_PFS_H_PATH, h->path, h->path_len);
  if (h->flags & TW_PFS_HF_INLINE)
    memcpy(node + TW_PFS_H_INLINE, h->inl, (size_t)h->size);
  int rc = tw_cry_gcm_seal(g, key, iv, node, TW_PFS_H_PLAIN,
                           node + TW_PFS_H_PLAIN, ENC_LEN, node + TW_PFS_H_PLAIN,
                           h->meta_tag);
  tw_cry_wipe(key, sizeof key);
  if (rc != 0) {
    tw_cry_wipe(node, TW_PFS_NODE);
    return TWINE_PFS_ECRYPTO;
  }
  memcpy(node + TW_PFS_H_TAG, h->meta_tag, 16);
  return TWINE_PFS_OK;
}

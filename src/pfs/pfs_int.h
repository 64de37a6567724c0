/*
 * pfs_int.h - private declarations of the protected file system room.
 *
 * Geometry (NODE = 1 << TW_PFS_NODE_SHIFT, 4096 by default):
 *   physical node 0          header (128 B plaintext + encrypted rest)
 *   physical 1 + (DPM+1)*m   MHT node m (m = 0 is the root)
 *   physical d + 2 + d/DPM   data node d, logical bytes [NODE*d, NODE*(d+1))
 * An MHT node holds ENTRIES = NODE/32 entries {key 16, tag 16}: DPM data
 * slots then CPM child slots. MHT m owns data nodes DPM*m .. DPM*m+DPM-1 and
 * child MHTs CPM*m+1 .. CPM*m+CPM; the parent of MHT m > 0 is (m-1)/CPM, so
 * a parent's index is always smaller than its children's.
 * An all-zero entry is a hole: the node was never written and reads as
 * zeros. Files of at most INLINE_MAX bytes live in the header (INLINE).
 */
#ifndef TW_PFS_PFS_INT_H
#define TW_PFS_PFS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "twine/pfs.h"

#ifndef TW_PFS_NODE_SHIFT
#define TW_PFS_NODE_SHIFT 12
#endif
#if TW_PFS_NODE_SHIFT < 10 || TW_PFS_NODE_SHIFT > 12
#error "TW_PFS_NODE_SHIFT must be 10, 11 or 12"
#endif

#define TW_PFS_NODE (1u << TW_PFS_NODE_SHIFT)
#define TW_PFS_ENTRY 32u
#define TW_PFS_ENTRIES (TW_PFS_NODE / TW_PFS_ENTRY)
#define TW_PFS_DPM (TW_PFS_ENTRIES * 3u / 4u) /* data slots per MHT   */
#define TW_PFS_CPM (TW_PFS_ENTRIES / 4u)      /* child slots per MHT  */
#define TW_PFS_INLINE_MAX (TW_PFS_NODE - 1024u)
#ifndef TW_PFS_READAHEAD
#define TW_PFS_READAHEAD 32u /* nodes per preadv; also the staging size */
#endif
/* It is also the most vectors per pwritev (commit runs); the POSIX table
 * (src/host/pfs_posix_io.c) takes at most 64. */
_Static_assert(TW_PFS_READAHEAD >= 1 && TW_PFS_READAHEAD <= 64, "TW_PFS_READAHEAD: 1..64");

/* ---- header layout (docs/pfs-format.md) --------------------------------- */

#define TW_PFS_MAGIC "PFSFILE1"
#define TW_PFS_MAJOR 1
#define TW_PFS_MINOR 0
#define TW_PFS_SUITE_AES128GCM_HKDF 1
#define TW_PFS_HF_INLINE 0x1u
#define TW_PFS_HF_RENAME 0x2u /* a rename to rename_to is pending (pfs_rename) */
/* Written by a non-durable commit of a DUR_COMMIT file: valid only together
 * with the journal that rolls it back to the last durable state. */
#define TW_PFS_HF_PROVISIONAL 0x4u

enum {
  /* plaintext part, all of it AAD of the metadata GCM (meta_tag zeroed) */
  TW_PFS_H_MAGIC = 0,       /* [8]  */
  TW_PFS_H_MAJOR = 8,       /* u16  */
  TW_PFS_H_MINOR = 10,      /* u16  */
  TW_PFS_H_HLEN = 12,       /* u16 = 128 */
  TW_PFS_H_SHIFT = 14,      /* u8   */
  TW_PFS_H_SUITE = 15,      /* u8   */
  TW_PFS_H_FLAGS = 16,      /* u32  */
  TW_PFS_H_UUID = 20,       /* [16] */
  TW_PFS_H_KDKID = 36,      /* [16] */
  TW_PFS_H_GEN = 52,        /* u64  */
  TW_PFS_H_NONCE = 60,      /* [32] */
  TW_PFS_H_TAG = 92,        /* [16] */
  TW_PFS_H_KCV = 108,       /* [16] key check value */
  TW_PFS_H_RSV = 124,       /* [4]  zero */
  TW_PFS_H_PLAIN = 128,
  /* encrypted part */
  TW_PFS_H_SIZE = 128,      /* u64  */
  TW_PFS_H_ROOTKEY = 136,   /* [16] */
  TW_PFS_H_ROOTTAG = 152,   /* [16] */
  TW_PFS_H_PHASH = 168,     /* [32] */
  TW_PFS_H_MTIME = 200,     /* u64  */
  TW_PFS_H_PLEN = 208,      /* u16  */
  TW_PFS_H_PATH = 210,      /* [766] */
  TW_PFS_H_RSV2 = 976,      /* [16] zero */
  TW_PFS_H_RENTO = 992,     /* [32] target path_hash if RENAME, else 0 */
  TW_PFS_H_INLINE = 1024    /* [INLINE_MAX] */
};

typedef struct tw_pfs_hdr {
  uint32_t flags;
  uint8_t uuid[16];
  uint8_t kdk_id[16];
  uint64_t gen;
  uint8_t meta_tag[16];
  uint64_t size;
  uint8_t root[TW_PFS_ENTRY]; /* key 16 ‖ tag 16 of MHT 0 */
  uint8_t path_hash[32];
  uint8_t rename_to[32];      /* with TW_PFS_HF_RENAME: the pending target */
  uint64_t mtime_ns;
  uint16_t path_len;
  char path[TWINE_PFS_MAX_PATH + 1];
  uint8_t inl[TW_PFS_INLINE_MAX > 0 ? TW_PFS_INLINE_MAX : 1];
} tw_pfs_hdr;

/* ---- journal layout (docs/pfs-format.md) ------------------------------------
 * J0, then segments: a segment is one node S (its index) followed by the
 * `count` old images it lists. Each segment's HMAC chains on the previous
 * one (J0's for the first), so a journal can grow by appending segments
 * without rewriting anything already synced; recovery uses the longest
 * valid chain. */

#define TW_PFS_JMAGIC "PFSJRNL2"
enum {
  TW_PFS_J_MAGIC = 0,   /* [8]  */
  TW_PFS_J_UUID = 8,    /* [16] */
  TW_PFS_J_KDKID = 24,  /* [16] */
  TW_PFS_J_BGEN = 40,   /* u64 base generation (the last durable state D) */
  TW_PFS_J_BLEN = 48,   /* u64 D's physical length in nodes */
  TW_PFS_J_GLIM = 56,   /* u64 highest generation a commit over D may write */
  TW_PFS_J_NONCE = 64,  /* [16] random per journal: seeds the chain */
  TW_PFS_J_HMAC = 80,   /* [32] over J0 (this field zero) */
  TW_PFS_J_END = 112    /* rest of J0 zero */
};
#define TW_PFS_SMAGIC "PFSJSEG1"
enum {
  TW_PFS_S_MAGIC = 0,   /* [8]  */
  TW_PFS_S_SEQ = 8,     /* u64 1, 2, ... */
  TW_PFS_S_COUNT = 16,  /* u64 images in this segment, 1..SEG_MAX */
  TW_PFS_S_RSV = 24,    /* [8] zero */
  TW_PFS_S_HMAC = 32,   /* [32] HMAC(prev chain ‖ S with this zero ‖ images) */
  TW_PFS_S_IDX = 64     /* u64 physical node numbers; unused slots zero */
};
#define TW_PFS_SEG_MAX ((TW_PFS_NODE - TW_PFS_S_IDX) / 8u)
/* Generations reserved for the commits over one durable state (the
 * journal's gen_limit = base_gen + window for non-durable commits). */
#define TW_PFS_GEN_WINDOW (UINT64_C(1) << 32)

/* ---- in-memory state ---------------------------------------------------------- */

enum { TW_PFS_K_EMPTY = 0, TW_PFS_K_DATA = 1, TW_PFS_K_MHT = 2 };

typedef struct tw_pfs_frame {
  uint8_t *buf;                /* NODE bytes of plaintext (slab)           */
  uint64_t idx;                /* data node d or MHT m                     */
  struct tw_pfs_frame *parent; /* cached MHT parent; NULL for MHT 0        */
  struct tw_pfs_frame *hnext;  /* hash chain                               */
  uint32_t pins;               /* cached children + transient pins         */
  uint8_t kind;                /* TW_PFS_K_*                               */
  uint8_t dirty;
  uint8_t ref;                 /* CLOCK reference bit                      */
  /* The parent entry (key ‖ tag, all zero for a hole) the clean content
   * was verified against or sealed under. A clean frame is served only
   * while its entry in the tree still equals this; otherwise it is stale
   * (the tree changed under it, e.g. a truncate turned it into a hole)
   * and is dropped and reloaded. Meaningless while dirty. */
  uint8_t ent[TW_PFS_ENTRY];
} tw_pfs_frame;

typedef struct tw_pfs_inode tw_pfs_inode;

struct twine_pfs_mount {
  twine_pfs_mount_config cfg;
  pthread_mutex_t mx; /* inode list, open/close/unlink/rename */
  tw_pfs_inode *inodes;
};

struct tw_pfs_inode {
  twine_pfs_mount *m;
  tw_pfs_inode *next;
  uint32_t refs;         /* open handles (under m->mx)                    */
  twine_pfs_host_info hinfo;
  uint64_t h;            /* host handle of the file                       */
  uint32_t lock_mode;    /* TWINE_PFS_LOCK_SH / EX                        */
  bool writable;         /* host handle opened for writing                */
  bool j_open;           /* journal host handle open                      */
  bool unlinked;         /* removed while open: no journal, no anchor     */
  bool hdr_dirty;        /* header must be rewritten at the next commit   */
  bool restamp;          /* next commit skips one generation (recovery)   */
  uint64_t jh;
  char *host_path;
  char *jpath;
  twine_pfs_durability dur;
  pthread_rwlock_t rw;   /* shared: pread/stat; exclusive: the rest       */
  pthread_mutex_t cmx;   /* cache state when rw is held shared            */
  atomic_int err;        /* sticky twine_pfs_status                       */
  tw_pfs_hdr hdr;
  uint64_t phys_len;     /* host file length in nodes                     */
  uint8_t kdk[32];
  size_t kdk_len;
  /* cache */
  uint32_t nframes;
  uint32_t frames_used;  /* highest frame index ever installed + 1       */
  uint32_t ndirty;
  uint32_t hand;
  uint32_t nbuckets;
  tw_pfs_frame *frames;
  tw_pfs_frame **hash;
  tw_pfs_frame **work;   /* nframes slots, used by commit                 */
  uint8_t *slab;         /* nframes * NODE plaintext                      */
  uint8_t *stage;        /* READAHEAD * NODE private ciphertext buffer    */
  uint64_t last_miss;    /* data index of the last miss (readahead)       */
  /* undo journal over the last durable state D (pfs_commit.c) */
  bool j_active;         /* J0 written: commits since D are journaled     */
  uint64_t j_base_gen;   /* D's generation                                */
  uint64_t j_base_len;   /* D's physical length (nodes)                   */
  uint64_t j_limit;      /* gen_limit of the journal                      */
  uint64_t j_end;        /* next free journal node                        */
  uint64_t j_seq;        /* segments written                              */
  uint64_t restamp_gen;  /* generation of the re-stamp commit             */
  uint8_t j_chain[32];   /* HMAC of the last segment (or J0)              */
  uint8_t jkey[32];      /* journal HMAC key (from the KDK of J0)         */
  uint64_t *jset;        /* open-addressing set of journaled phys + 1     */
  uint64_t jset_cap, jset_n;
  /* crypto */
  tw_cry_gcm *gcm;
  uint8_t keys[4096];    /* prefetched one-time node keys                 */
  uint32_t key_pos;
};

struct twine_pfs_file {
  tw_pfs_inode *ino;
  uint32_t flags;
  uint64_t pos;
};

struct twine_pfs_anchor {
  const twine_pfs_anchor_ops *ops;
  void *ctx;
};

/* Internal: pread found no evictable frame under a shared lock. */
#define TW_PFS_NEED_EXCL ((twine_pfs_status)(TWINE_PFS_STATUS_COUNT + 1))

/* ---- bench-only profile counters ---------------------------------------------
 * Built with -DTW_PFS_PROFILE (bench/pfs only): wall time spent in node and
 * journal crypto and in copies / zeroing of node buffers, for the bench's
 * breakdown line (host I/O is timed by the bench's own I/O table). */
enum { TW_PFS_P_CRYPTO, TW_PFS_P_COPY, TW_PFS_P_COUNT };
#ifdef TW_PFS_PROFILE
#include <time.h>
extern uint64_t tw_pfs_prof_ns[TW_PFS_P_COUNT];
static inline uint64_t tw_pfs_prof_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
#define TW_PFS_PROF(cat, ...)                                                    \
  do {                                                                           \
    uint64_t tw_t0_ = tw_pfs_prof_now();                                         \
    __VA_ARGS__;                                                                 \
    tw_pfs_prof_ns[cat] += tw_pfs_prof_now() - tw_t0_;                           \
  } while (0)
#else
#define TW_PFS_PROF(cat, ...)                                                    \
  do {                                                                           \
    __VA_ARGS__;                                                                 \
  } while (0)
#endif

/* ---- little-endian helpers -------------------------------------------------- */

static inline uint64_t tw_pfs_ld64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}
static inline void tw_pfs_st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t tw_pfs_ld16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline void tw_pfs_st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline uint32_t tw_pfs_ld32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline void tw_pfs_st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline bool tw_pfs_is_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= p[i];
  return acc == 0;
}

/* ---- tree addressing (pfs_tree.c) ---------------------------------------- */

static inline uint64_t tw_pfs_data_phys(uint64_t d) { return d + 2 + d / TW_PFS_DPM; }
static inline uint64_t tw_pfs_mht_phys(uint64_t m) { return 1 + (uint64_t)(TW_PFS_DPM + 1) * m; }
static inline uint64_t tw_pfs_node_phys(int kind, uint64_t idx) {
  return kind == TW_PFS_K_DATA ? tw_pfs_data_phys(idx) : tw_pfs_mht_phys(idx);
}
/* Physical length in nodes implied by a logical size. */
uint64_t tw_pfs_phys_end(uint64_t size);
/* The parent MHT of a node and the entry slot in it; false for MHT 0 (its
 * entry is the header's root). */
bool tw_pfs_parent_of(int kind, uint64_t idx, uint64_t *parent, uint32_t *slot);
/* Check that the entries of MHT m beyond a file of `size` bytes are holes. */
bool tw_pfs_mht_tail_ok(uint64_t m, const uint8_t *buf, uint64_t size);

/* ---- I/O (pfs_io.c) ------------------------------------------------------ */

twine_pfs_status tw_pfs_io_status(int e);
/* Read exactly len bytes (short -> CORRUPTED). */
twine_pfs_status tw_pfs_io_read(tw_pfs_inode *ino, uint64_t h, void *buf,
                                size_t len, uint64_t off);
twine_pfs_status tw_pfs_io_readv(tw_pfs_inode *ino, uint64_t h,
                                 const twine_pfs_iovec *iov, uint32_t n,
                                 uint64_t off, size_t total);
twine_pfs_status tw_pfs_io_write(tw_pfs_inode *ino, uint64_t h, const void *buf,
                                 size_t len, uint64_t off);
twine_pfs_status tw_pfs_io_writev(tw_pfs_inode *ino, uint64_t h,
                                  const twine_pfs_iovec *iov, uint32_t n,
                                  uint64_t off, size_t total);
twine_pfs_status tw_pfs_io_sync(tw_pfs_inode *ino, uint64_t h);
twine_pfs_status tw_pfs_io_truncate(tw_pfs_inode *ino, uint64_t h, uint64_t len);

/* ---- sticky errors (pfs.c) ------------------------------------------------ */

twine_pfs_status tw_pfs_fail(tw_pfs_inode *ino, twine_pfs_status s);

/* ---- header (pfs_header.c) ------------------------------------------------- */

/* Parse and check the plaintext part of a header node (magic, version,
 * suite, node size, reserved). Fills flags, uuid, kdk_id, gen, meta_tag. */
twine_pfs_status tw_pfs_hdr_parse_plain(const uint8_t *node, tw_pfs_hdr *h);
/* Authenticate and decrypt a header node (private buffer) under kdk;
 * WRONG_KEY if the key check value differs, CORRUPTED on a tag failure or
 * inconsistent fields. */
twine_pfs_status tw_pfs_hdr_open(tw_cry_gcm *g, const uint8_t *node,
                                 const uint8_t *kdk, size_t kdk_len,
                                 tw_pfs_hdr *h);
/* Encrypt h into node[0..NODE) under kdk with a fresh kdf nonce; sets
 * h->meta_tag. */
twine_pfs_status tw_pfs_hdr_seal(tw_cry_gcm *g, tw_pfs_hdr *h,
                                 const uint8_t *kdk, size_t kdk_len,
                                 uint8_t *node);
/* path_hash = SHA-256(mount_id ‖ 0 ‖ path). */
twine_pfs_status tw_pfs_path_hash(const uint8_t mount_id[16], const char *path,
                                  uint8_t out[32]);

/* ---- node crypto (pfs_node.c) ---------------------------------------------- */

/* Encrypt a node with a fresh one-time key; write key ‖ tag to entry. */
twine_pfs_status tw_pfs_node_seal(tw_pfs_inode *ino, int kind, uint64_t idx,
                                  const uint8_t *plain, uint8_t *out,
                                  uint8_t entry[TW_PFS_ENTRY]);
/* Decrypt a node from private memory; CORRUPTED (and out wiped) on failure. */
twine_pfs_status tw_pfs_node_open(tw_pfs_inode *ino, int kind, uint64_t idx,
                                  const uint8_t *in, uint8_t *out,
                                  const uint8_t entry[TW_PFS_ENTRY]);
/* Fresh random bytes for ids and nonces. */
twine_pfs_status tw_pfs_random(uint8_t *out, size_t n);

/* ---- cache (pfs_cache.c) ---------------------------------------------------- */

twine_pfs_status tw_pfs_cache_init(tw_pfs_inode *ino, uint32_t nframes);
void tw_pfs_cache_free(tw_pfs_inode *ino);
/* Find or load a node. Caller holds rw exclusively (flag G_EXCL: may
 * commit to free frames) or shared plus cmx (no G_EXCL: may return
 * TW_PFS_NEED_EXCL). G_NOFILL: the caller overwrites the whole node, so a
 * miss does not read or decrypt it (the frame starts zeroed). */
#define TW_PFS_G_EXCL 1u
#define TW_PFS_G_NOFILL 2u
#define TW_PFS_G_NORA 4u /* no read-ahead (the tree is about to change) */
twine_pfs_status tw_pfs_get(tw_pfs_inode *ino, int kind, uint64_t idx,
                            unsigned flags, tw_pfs_frame **out);
/* Large reads: decrypt up to max (<= READAHEAD) whole data nodes from d on
 * directly into out (the caller's memory; from the private staging
 * buffer), without caching them. Stops before a cached node (its frame
 * may be newer than the disk), a hole or the end of d's MHT run; *got = 0
 * if d itself is cached or a hole. Same locking and flags as tw_pfs_get. */
twine_pfs_status tw_pfs_read_direct(tw_pfs_inode *ino, uint64_t d, uint64_t max,
                                    unsigned flags, uint8_t *out, uint64_t *got);
/* Mark a frame and its ancestors dirty (and the header). */
void tw_pfs_mark_dirty(tw_pfs_inode *ino, tw_pfs_frame *f);
/* Pointer to the entry of a node in its cached parent (or the root). */
uint8_t *tw_pfs_entry_ptr(tw_pfs_inode *ino, tw_pfs_frame *f);
/* Drop (even dirty) frames of data nodes > dlast and MHTs > mlast
 * (UINT64_MAX-style "none kept" via keep_any = false). */
void tw_pfs_cache_drop_beyond(tw_pfs_inode *ino, bool keep_any, uint64_t dlast,
                              uint64_t mlast);
/* Drop every clean frame (after a commit). */
void tw_pfs_cache_drop_clean(tw_pfs_inode *ino);

/* ---- commit and journal (pfs_commit.c) -------------------------------------- */

/* Write every dirty node and the header as one commit. durable (or a
 * DUR_NONE file): a final commit -- with barriers B1..B3 for DUR_COMMIT,
 * after which the journal is emptied. Not durable on a DUR_COMMIT file
 * (cache pressure, clear_cache): a provisional commit -- its undo images
 * go to the journal kept open over the last durable state D (B1 only when
 * the journal grew), no B2/B3, header flag PROVISIONAL; a crash rolls back
 * to D. Needs rw exclusive. */
twine_pfs_status tw_pfs_commit(tw_pfs_inode *ino, bool durable);
/* Journal state of the inode: add a physical node to the journaled set;
 * forget the journal (after it was emptied). */
twine_pfs_status tw_pfs_jset_add(tw_pfs_inode *ino, uint64_t phys);
void tw_pfs_journal_reset(tw_pfs_inode *ino);
/* Journal host path for a file. NULL on allocation failure. */
char *tw_pfs_journal_path(const char *host_path);

/* ---- keys (pfs_keys.c) ----------------------------------------------------- */

/* The KDK for kdk_id from the mount's provider (KEY_UNAVAILABLE if none). */
twine_pfs_status tw_pfs_get_kdk(twine_pfs_mount *m, const uint8_t kdk_id[16],
                                uint8_t kdk[32], size_t *kdk_len);

/* ---- recovery (pfs_recover.c) ----------------------------------------------- */

/* Look for "<host>.pfsj" and roll back an interrupted commit if needed.
 * On return *recovered says whether images were replayed; then the journal
 * stays open and active in the inode (ino->j_*) until the re-stamp commit
 * (generation ino->restamp_gen) completes. The inode's host handle must be
 * writable if a journal exists. */
twine_pfs_status tw_pfs_recover(tw_pfs_inode *ino, bool *recovered);

/* ---- anchors (pfs_anchor.c) -------------------------------------------------- */

/* Check an existing file (exists = true) or a creation against the anchor
 * store of the mount, using the record under `key` (the path_hash of the
 * logical path being opened; for a pending rename opened under its target,
 * see pfs_anchor.c); ROLLBACK if refused. */
twine_pfs_status tw_pfs_anchor_check(twine_pfs_mount *m, const tw_pfs_hdr *h,
                                     const uint8_t key[32], bool exists);
/* A := (uuid, gen, tag) under h->path_hash; durable: then call the
 * store's sync. */
twine_pfs_status tw_pfs_anchor_update(twine_pfs_mount *m, const tw_pfs_hdr *h,
                                      bool durable);
/* Tombstone the record under key if it is live and belongs to uuid (a
 * binding this file gave up); then sync the store. */
twine_pfs_status tw_pfs_anchor_drop(twine_pfs_mount *m, const uint8_t key[32],
                                    const uint8_t uuid[16]);

/* ---- size changes (pfs_size.c) ---------------------------------------------- */

/* Grow or shrink the logical size (rw exclusive). */
twine_pfs_status tw_pfs_resize(tw_pfs_inode *ino, uint64_t size);

#endif

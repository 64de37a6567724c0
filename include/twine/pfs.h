/*
 * pfs.h - the protected file system (PFS): confidential, tamper-evident,
 * crash-consistent and rollback-detecting files on an untrusted host disk.
 *
 * A protected file is stored by the host as a sequence of encrypted nodes
 * (format "PFS1", docs/pfs-format.md): a header node, Merkle-tree nodes and
 * data nodes, each AES-128-GCM encrypted and authenticated by its parent.
 * The host only ever sees ciphertext; any change it makes is detected.
 *
 * Object model:
 *   mount   - one protection domain: a mount id (bound into every file's
 *             path binding), the host I/O table, the key provider, the
 *             anchor store (rollback detection) and default options. Files
 *             opened twice in one mount share one in-memory inode (cache,
 *             size, lock); each handle has its own cursor.
 *   file    - an open handle (twine_pfs_file). pread/pwrite/get_size/stat
 *             are thread-safe on one handle and across handles of the same
 *             file; read/write/seek/tell use the handle's cursor and must
 *             not race with each other on the same handle.
 *
 * Trust: the library runs on the trusted side. It never calls the OS
 * itself: all host access goes through the caller's twine_pfs_io_ops
 * (a POSIX implementation is twine_pfs_posix_io(), in the untrusted
 * twine_host library). Every reply of the I/O table is treated as hostile.
 *
 * Errors: every function returns twine_pfs_status (TWINE_PFS_OK == 0).
 * Out-parameters are left untouched on failure unless stated otherwise.
 * An integrity failure (CORRUPTED, ROLLBACK, WRONG_PATH), a crypto failure
 * or a failed commit makes the handle's error sticky: every later call on
 * any handle of that file returns the same status (see twine_pfs_error).
 * No byte of a node that failed authentication is ever returned.
 * twine_pfs_status_errno gives the WASI errno for each status.
 *
 * Ownership: *_new / *_free pairs, *_free(NULL) is a no-op. Secrets (keys,
 * key-provider output) are wiped by the library once used.
 */
#ifndef TWINE_PFS_H
#define TWINE_PFS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------- */

typedef enum twine_pfs_status {
  TWINE_PFS_OK = 0,
  TWINE_PFS_EINVAL,        /* invalid argument (bad flags, negative seek) EINVAL  */
  TWINE_PFS_ENOMEM,        /* out of memory                             ENOMEM    */
  TWINE_PFS_ENOENT,        /* file does not exist and no CREAT          ENOENT    */
  TWINE_PFS_EEXIST,        /* CREAT|EXCL and the file exists            EEXIST    */
  TWINE_PFS_EBADF,         /* operation not allowed by the open mode    EBADF     */
  TWINE_PFS_EFBIG,         /* size or offset beyond TWINE_PFS_MAX_SIZE  EFBIG     */
  TWINE_PFS_ENAMETOOLONG,  /* logical path longer than the header holds ENAMETOOLONG */
  TWINE_PFS_EBUSY,         /* file locked elsewhere / mount still in use EBUSY    */
  TWINE_PFS_ENOSPC,        /* the host reported no space                ENOSPC    */
  TWINE_PFS_EHOSTACCES,    /* the host denied access to the host file   EACCES    */
  TWINE_PFS_EHOST,         /* host I/O failed or replied out of contract EIO      */
  TWINE_PFS_CORRUPTED,     /* authentication failed / malformed content EIO       */
  TWINE_PFS_ROLLBACK,      /* older generation, replaced or resurrected file EIO  */
  TWINE_PFS_WRONG_PATH,    /* file is bound to another logical path (swap) EIO    */
  TWINE_PFS_WRONG_KEY,     /* the provided key is not this file's key   EACCES    */
  TWINE_PFS_KEY_UNAVAILABLE, /* the key provider has no key for the file EACCES   */
  TWINE_PFS_UNSUPPORTED,   /* format version, suite or node size unknown ENOTSUP  */
  TWINE_PFS_ECRYPTO,       /* libcrypto failed (RNG, cipher init)       EIO       */
  TWINE_PFS_STATUS_COUNT
} twine_pfs_status;

/* Stable upper-case name of a status ("CORRUPTED"); "?" if out of range. */
const char *twine_pfs_status_name(twine_pfs_status s);

/* The WASI preview1 errno (witx numbering: EIO = 29, EACCES = 2, ...) the
 * status maps to; 0 for TWINE_PFS_OK, 29 (EIO) for out-of-range values. */
uint16_t twine_pfs_status_errno(twine_pfs_status s);

/* ---- limits and flags ----------------------------------------------------- */

/* Largest logical file size (1 TiB). */
#define TWINE_PFS_MAX_SIZE (UINT64_C(1) << 40)
/* Longest logical path stored in the header, in bytes (excluding NUL). */
#define TWINE_PFS_MAX_PATH 766
/* Length of mount ids, key ids and file uuids. */
#define TWINE_PFS_ID_LEN 16

/* Open flags: exactly one of RDONLY / RDWR, plus any of the others. */
#define TWINE_PFS_RDONLY 0x01u
#define TWINE_PFS_RDWR 0x02u
#define TWINE_PFS_CREAT 0x04u  /* create if missing (needs RDWR)              */
#define TWINE_PFS_EXCL 0x08u   /* with CREAT: fail with EEXIST if it exists    */
#define TWINE_PFS_TRUNC 0x10u  /* truncate to 0 on open (needs RDWR)           */
#define TWINE_PFS_APPEND 0x20u /* twine_pfs_write always writes at the end     */

/* Durability of commits. */
typedef enum twine_pfs_durability {
  TWINE_PFS_DUR_DEFAULT = 0, /* in open options: take the mount's level     */
  TWINE_PFS_DUR_NONE = 1,    /* never sync: atomic against process crashes
                                only (the journal is still written)         */
  TWINE_PFS_DUR_COMMIT = 2   /* sync/close commit with ordered barriers:
                                atomic and durable against power loss       */
} twine_pfs_durability;

/* twine_pfs_sync kinds (both commit; FULL also syncs host metadata). */
#define TWINE_PFS_SYNC_DATA 1u
#define TWINE_PFS_SYNC_FULL 2u

/* twine_pfs_seek whence. */
#define TWINE_PFS_SEEK_SET 0
#define TWINE_PFS_SEEK_CUR 1
#define TWINE_PFS_SEEK_END 2

/* ---- host I/O table (implemented by the untrusted side) ---------------------
 *
 * Every function returns 0 on success or a WASI errno (1..76) on failure;
 * other values are treated as a protocol violation (TWINE_PFS_EHOST).
 * Handles are opaque integers chosen by the implementation. Buffers passed
 * to preadv/pwritev belong to the library; implementations copy bytes, they
 * never keep the pointers. All functions may be called from several threads
 * at once (on different or the same handle). */

/* open flags for twine_pfs_io_ops.open */
#define TWINE_PFS_IO_READ 0x01u
#define TWINE_PFS_IO_WRITE 0x02u
#define TWINE_PFS_IO_CREAT 0x04u
#define TWINE_PFS_IO_EXCL 0x08u

/* lock modes for twine_pfs_io_ops.lock (non-blocking; busy -> EAGAIN/EBUSY) */
#define TWINE_PFS_LOCK_UN 0u
#define TWINE_PFS_LOCK_SH 1u
#define TWINE_PFS_LOCK_EX 2u

typedef struct twine_pfs_iovec {
  void *base;
  size_t len;
} twine_pfs_iovec;

/* What open reports about the host file: identity (to share one inode
 * between opens of the same file) and current length in bytes. */
typedef struct twine_pfs_host_info {
  uint64_t dev;
  uint64_t ino;
  uint64_t size;
} twine_pfs_host_info;

typedef struct twine_pfs_io_ops {
  /* Open (and with IO_CREAT possibly create) a host file. When it creates
   * a file, the new directory entry must be durable on return (POSIX:
   * fsync the parent directory). Missing file without CREAT -> ENOENT. */
  int (*open)(void *ctx, const char *host_path, uint32_t io_flags,
              uint64_t *handle, twine_pfs_host_info *info);
  /* Close a handle (also releases its lock). */
  int (*close)(void *ctx, uint64_t handle);
  /* Positional scatter read at byte offset `off`; *done = bytes read,
   * fewer than asked only at end of file. */
  int (*preadv)(void *ctx, uint64_t handle, const twine_pfs_iovec *iov,
                uint32_t iovcnt, uint64_t off, size_t *done);
  /* Positional gather write; *done = bytes written (all, unless error). */
  int (*pwritev)(void *ctx, uint64_t handle, const twine_pfs_iovec *iov,
                 uint32_t iovcnt, uint64_t off, size_t *done);
  /* Barrier: data written so far is durable on return. */
  int (*fdatasync)(void *ctx, uint64_t handle);
  /* As fdatasync, plus file metadata. */
  int (*fsync)(void *ctx, uint64_t handle);
  /* Set the host file's length (up: reads as zeros). */
  int (*ftruncate)(void *ctx, uint64_t handle, uint64_t length);
  /* Remove a host file; durable on return. Missing -> ENOENT. */
  int (*unlink)(void *ctx, const char *host_path);
  /* Atomically rename a host file (replacing `to`); durable on return. */
  int (*rename)(void *ctx, const char *from, const char *to);
  /* Non-blocking whole-file advisory lock (open-file-description lock),
   * mode TWINE_PFS_LOCK_*. */
  int (*lock)(void *ctx, uint64_t handle, uint32_t mode);
  /* Optional (may be NULL): wall-clock time in ns since the Unix epoch,
   * used for mtime only (never for security decisions). */
  uint64_t (*now_ns)(void *ctx);
} twine_pfs_io_ops;

/* The POSIX implementation (ctx unused, pass NULL). Lives in the untrusted
 * twine_host library (src/host/pfs_posix_io.c), not in twine_core. */
const twine_pfs_io_ops *twine_pfs_posix_io(void);

/* ---- keys ----------------------------------------------------------------------
 *
 * The key-derivation key (KDK) of a file is chosen by the key provider from
 * the mount id and the file's kdk_id (an opaque 16-byte id stored in the
 * plaintext header, e.g. mount + key version). New files and rekeyed files
 * take the provider's current kdk_id. */

typedef struct twine_pfs_key_provider {
  /* The kdk_id new headers are written under. 0 = ok, else
   * TWINE_PFS_KEY_UNAVAILABLE is reported. */
  int (*current)(void *ctx, const uint8_t mount_id[TWINE_PFS_ID_LEN],
                 uint8_t kdk_id[TWINE_PFS_ID_LEN]);
  /* Fill kdk[0 .. *kdk_len) with the KDK for (mount_id, kdk_id); *kdk_len
   * must be set to 16 or 32. 0 = ok; non-zero = no such key
   * (TWINE_PFS_KEY_UNAVAILABLE). The library wipes kdk after use. */
  int (*get)(void *ctx, const uint8_t mount_id[TWINE_PFS_ID_LEN],
             const uint8_t kdk_id[TWINE_PFS_ID_LEN], uint8_t kdk[32],
             size_t *kdk_len);
} twine_pfs_key_provider;

/* A ready-made provider for one explicit key (tests, the CLI). Use with
 * twine_pfs_explicit_key_provider and ctx = the struct. */
typedef struct twine_pfs_explicit_key {
  uint8_t key[32];
  size_t len;                         /* 16 or 32 */
  uint8_t kdk_id[TWINE_PFS_ID_LEN];   /* the id it answers to */
} twine_pfs_explicit_key;

/* Fill *ek from key (16 or 32 bytes) and kdk_id (NULL = all zero). */
twine_pfs_status twine_pfs_explicit_key_init(twine_pfs_explicit_key *ek,
                                             const uint8_t *key, size_t len,
                                             const uint8_t *kdk_id);
/* Wipe *ek. */
void twine_pfs_explicit_key_wipe(twine_pfs_explicit_key *ek);
/* get() answers only for ek->kdk_id (any mount); current() returns it. */
extern const twine_pfs_key_provider twine_pfs_explicit_key_provider;

/* ---- rollback anchors -------------------------------------------------------
 *
 * An anchor store remembers, per (mount id, logical path) -- identified by
 * the file's path_hash -- the last generation of the file this runtime
 * accepted or wrote. Open accepts a file only if its uuid matches and
 * (gen > anchor.gen) or (gen == anchor.gen and meta_tag == anchor.meta_tag);
 * otherwise TWINE_PFS_ROLLBACK. A removed file leaves a tombstone, so
 * putting it back is a ROLLBACK too. Mode NONE (no anchor store) gives
 * IPFS parity: no rollback detection across opens. */

typedef struct twine_pfs_anchor_rec {
  uint8_t file_uuid[TWINE_PFS_ID_LEN];
  uint64_t generation;
  uint8_t meta_tag[16];
  uint32_t tombstone; /* 1: the file was removed (uuid/gen of the last one) */
  /* Set by the library on put: 1 = the file state this record describes
   * is durable on the host (put after the last barrier of a final commit
   * of a DUR_COMMIT file); 0 = not, or not known (an open's acceptance, a
   * provisional or DUR_NONE commit). A store that persists records must
   * persist only durable ones: a newer record could make a legal crash
   * state (the file rolled back to its last durable state) look like a
   * rollback. Ignored by get. */
  uint32_t durable;
} twine_pfs_anchor_rec;

/* Operations of an anchor store; each returns 0 = ok. get returns 1 when
 * there is no record; any other non-zero value is an error (EHOST). */
typedef struct twine_pfs_anchor_ops {
  int (*get)(void *ctx, const uint8_t path_hash[32], twine_pfs_anchor_rec *out);
  int (*put)(void *ctx, const uint8_t path_hash[32],
             const twine_pfs_anchor_rec *rec);
  /* Replace the record with a tombstone (no-op if none). */
  int (*tombstone)(void *ctx, const uint8_t path_hash[32]);
  /* Move the record from `from` to `to` (overwriting), leave a tombstone
   * at `from`. */
  int (*move)(void *ctx, const uint8_t from[32], const uint8_t to[32]);
  /* Persistence point (after a durable commit); may be NULL. */
  int (*sync)(void *ctx);
  /* Free the store (called by twine_pfs_anchor_free); may be NULL. */
  void (*destroy)(void *ctx);
} twine_pfs_anchor_ops;

typedef struct twine_pfs_anchor twine_pfs_anchor;

/* An anchor store from caller-supplied operations (e.g. a persistent
 * manifest). ops must outlive the store. */
twine_pfs_status twine_pfs_anchor_new(const twine_pfs_anchor_ops *ops,
                                      void *ctx, twine_pfs_anchor **out);
/* The PROCESS store: an in-memory table for the lifetime of the object
 * (thread-safe; may be shared by several mounts). */
twine_pfs_status twine_pfs_anchor_process_new(twine_pfs_anchor **out);
/* Free an anchor store (after every mount using it is freed). */
void twine_pfs_anchor_free(twine_pfs_anchor *a);

/* ---- mount ------------------------------------------------------------------ */

typedef struct twine_pfs_mount_config {
  uint8_t mount_id[TWINE_PFS_ID_LEN];     /* bound into every path_hash      */
  const twine_pfs_io_ops *io;             /* required                        */
  void *io_ctx;
  const twine_pfs_key_provider *keys;     /* required                        */
  void *keys_ctx;
  twine_pfs_anchor *anchor;               /* NULL = anchor mode NONE         */
  twine_pfs_durability durability;        /* DEFAULT = DUR_COMMIT            */
  uint32_t cache_frames;                  /* per open file; 0 = default      */
} twine_pfs_mount_config;

/* Default node-cache size per open file, in frames of one node each. */
#define TWINE_PFS_CACHE_DEFAULT 1024u
#define TWINE_PFS_CACHE_MIN 16u
#define TWINE_PFS_CACHE_MAX 65536u

typedef struct twine_pfs_mount twine_pfs_mount;

/* Create a mount. The config is copied; io, keys and anchor must outlive
 * the mount. cache_frames outside [MIN, MAX] (other than 0) -> EINVAL. */
twine_pfs_status twine_pfs_mount_new(const twine_pfs_mount_config *cfg,
                                     twine_pfs_mount **out);
/* Free a mount. Every file must be closed first, else EBUSY (and the mount
 * is not freed). NULL -> OK. */
twine_pfs_status twine_pfs_mount_free(twine_pfs_mount *m);

/* ---- PERSISTENT anchors and monotonic counters -------------------------------
 *
 * The PERSISTENT store keeps the records in an anchor manifest that is
 * itself a protected file (format: docs/pfs-format.md, "Anchor manifest"),
 * under the mount's key, stored by the host at manifest_host_path
 * (conventionally <mount host dir>/TWINE_PFS_ANCHOR_MANIFEST) and bound to
 * the reserved logical path TWINE_PFS_ANCHOR_LOGICAL. The manifest's own
 * freshness comes from a monotonic counter: every manifest commit writes
 * manifest_gen = counter + 1, then increments the counter. On creation of
 * the store: manifest_gen < counter -> ROLLBACK (an older manifest was put
 * back); manifest_gen == counter + 1 -> a crash hit between a manifest
 * commit and its counter bump: accepted, and the counter is advanced;
 * manifest_gen > counter + 1 -> ROLLBACK (the counter went back); manifest
 * missing while counter > 0 -> ROLLBACK. Only durable records
 * (rec.durable), tombstones and moves are persisted, at sync points only
 * (the store's sync op, i.e. after a durable file commit, and at once for
 * tombstones and moves), one counter bump per manifest commit
 * (the first manifest commit of a store instance is made twice, so that a
 * manifest a crash left ahead of the counter can never match it again).
 * While the store lives, the manifest is open with an exclusive host lock
 * (a second store on the same manifest gets EBUSY). */

/* Host file name of the manifest in the mount's host directory, the
 * suggested name of a file-backed counter next to it, and the reserved
 * logical path the manifest is bound to (it has an empty component, which
 * normalised guest paths never have; the store refuses any anchor
 * operation on that path). */
#define TWINE_PFS_ANCHOR_MANIFEST ".twine-anchors"
#define TWINE_PFS_ANCHOR_COUNTER ".twine-anchors.ctr"
#define TWINE_PFS_ANCHOR_LOGICAL "//twine/anchor-manifest"

/* A monotonic counter (a trusted counter service, TPM NV counter, ...).
 * Both return 0 = ok (anything else -> TWINE_PFS_EHOST). read gives the
 * current value (0 for a counter never incremented); increment adds
 * exactly 1, durably, and gives the new value. The counter must be
 * dedicated to one manifest. Calls are serialised by the store. */
typedef struct twine_pfs_counter_ops {
  int (*read)(void *ctx, uint64_t *value);
  int (*increment)(void *ctx, uint64_t *value);
} twine_pfs_counter_ops;

/* A counter kept in a small host file, for tests and the CLI. It is only
 * as trustworthy as the host storage: a host that puts back an older copy
 * of both the counter file and the manifest rolls every anchor back
 * undetected. It still detects a manifest replaced on its own, and it
 * keeps the crash rules exact. Use a trusted counter in production. Not
 * thread-safe (the store serialises calls). ctx = the object. */
typedef struct twine_pfs_file_counter twine_pfs_file_counter;
twine_pfs_status twine_pfs_file_counter_new(const twine_pfs_io_ops *io, void *io_ctx,
                                            const char *host_path,
                                            twine_pfs_file_counter **out);
void twine_pfs_file_counter_free(twine_pfs_file_counter *c);
extern const twine_pfs_counter_ops twine_pfs_file_counter_ops;

/* Create the PERSISTENT store of a mount: loads (or, on a fresh counter,
 * creates) the manifest and checks it against the counter as described
 * above. cfg is the mount's configuration (mount_id, io, keys and
 * cache_frames are used; anchor and durability are ignored: the manifest
 * always commits durably). io, keys and the counter must outlive the
 * store. Errors: ROLLBACK, CORRUPTED (tampered
 * manifest), WRONG_KEY / KEY_UNAVAILABLE, EBUSY (manifest in use), EHOST
 * (counter or host failure). */
twine_pfs_status twine_pfs_anchor_persistent_new(const twine_pfs_mount_config *cfg,
                                                 const char *manifest_host_path,
                                                 const twine_pfs_counter_ops *counter,
                                                 void *counter_ctx,
                                                 twine_pfs_anchor **out);

/* ---- files ------------------------------------------------------------------- */

typedef struct twine_pfs_file twine_pfs_file;

typedef struct twine_pfs_open_opts {
  uint32_t cache_frames;            /* 0 = mount default                     */
  twine_pfs_durability durability;  /* DEFAULT = mount default               */
} twine_pfs_open_opts;

/* Open or create the protected file stored at host_path, bound to
 * logical_path (the guest-visible path within the mount; UTF-8, at most
 * TWINE_PFS_MAX_PATH bytes). opts may be NULL. On open the header is
 * authenticated, the path binding and the anchor are checked, and an
 * interrupted commit is recovered from the journal "<host_path>.pfsj"
 * (which needs write access to the host file even for RDONLY opens).
 * A second open of the same host file in the mount shares its inode; the
 * first open's cache size and durability apply. RDWR takes an exclusive
 * host lock, RDONLY a shared one (EBUSY if another process conflicts). */
twine_pfs_status twine_pfs_open(twine_pfs_mount *m, const char *host_path,
                                const char *logical_path, uint32_t flags,
                                const twine_pfs_open_opts *opts,
                                twine_pfs_file **out);

/* Commit pending changes (with the file's durability level when this is
 * the last handle), then free the handle. The handle is freed even when
 * an error is returned. NULL -> OK. */
twine_pfs_status twine_pfs_close(twine_pfs_file *f);

/* Read up to len bytes at offset off; *nread < len only at end of file.
 * Thread-safe (shared lock). Holes read as zeros. */
twine_pfs_status twine_pfs_pread(twine_pfs_file *f, void *buf, size_t len,
                                 uint64_t off, size_t *nread);
/* Write len bytes at offset off (ignores APPEND). Writing past the end
 * leaves a hole that reads as zeros. *nwritten == len on success.
 * Thread-safe (exclusive lock). */
twine_pfs_status twine_pfs_pwrite(twine_pfs_file *f, const void *buf,
                                  size_t len, uint64_t off, size_t *nwritten);

/* Cursor I/O: read/write at the handle's cursor and advance it. With
 * APPEND, write first moves the cursor to the end (atomically with the
 * write). */
twine_pfs_status twine_pfs_read(twine_pfs_file *f, void *buf, size_t len,
                                size_t *nread);
twine_pfs_status twine_pfs_write(twine_pfs_file *f, const void *buf,
                                 size_t len, size_t *nwritten);
/* Move the cursor (whence TWINE_PFS_SEEK_*). A result below 0 -> EINVAL,
 * above TWINE_PFS_MAX_SIZE -> EFBIG. Seeking past the end is allowed.
 * newpos may be NULL. */
twine_pfs_status twine_pfs_seek(twine_pfs_file *f, int64_t offset, int whence,
                                uint64_t *newpos);
twine_pfs_status twine_pfs_tell(twine_pfs_file *f, uint64_t *pos);

/* Logical size. set_size truncates (the cut bytes are gone) or extends
 * sparsely (new bytes read as zeros, O(1), nothing stored). */
twine_pfs_status twine_pfs_get_size(twine_pfs_file *f, uint64_t *size);
twine_pfs_status twine_pfs_set_size(twine_pfs_file *f, uint64_t size);

/* Commit every pending change, durably under DUR_COMMIT (kind
 * TWINE_PFS_SYNC_DATA or TWINE_PFS_SYNC_FULL). Read-only handles: OK. */
twine_pfs_status twine_pfs_sync(twine_pfs_file *f, uint32_t kind);

typedef struct twine_pfs_stat_t {
  uint64_t size;                        /* logical size in bytes           */
  uint64_t generation;                  /* +1 per commit                   */
  uint64_t mtime_ns;                    /* as of the last commit / write   */
  uint8_t file_uuid[TWINE_PFS_ID_LEN];
} twine_pfs_stat_t;

twine_pfs_status twine_pfs_stat(twine_pfs_file *f, twine_pfs_stat_t *st);

/* Commit pending changes (no sync) and drop every cached node. */
twine_pfs_status twine_pfs_clear_cache(twine_pfs_file *f);

/* Re-wrap the file under the key provider's current kdk_id: rewrites only
 * the header (node keys do not depend on the KDK), as one durable commit.
 * Needs RDWR. */
twine_pfs_status twine_pfs_rekey(twine_pfs_file *f);

/* The sticky error of the file (TWINE_PFS_OK if none). */
twine_pfs_status twine_pfs_error(twine_pfs_file *f);

/* Remove a protected file (and its journal); the anchor gets a tombstone
 * so a later reappearance is a ROLLBACK. Open handles keep working on the
 * removed file until closed. */
twine_pfs_status twine_pfs_unlink(twine_pfs_mount *m, const char *host_path,
                                  const char *logical_path);

/* Rename a protected file and re-bind it to new_logical, crash-safely in
 * two durable commits around the host rename: (1) commit the intent (the
 * old binding plus the pending new path), (2) rename the host file (on
 * failure the intent is withdrawn), (3) commit the new binding and
 * tombstone the old path's anchor. A crash in between leaves a file that
 * opens under either path; that open settles the rename (completes it
 * under the new path, abandons it under the old one) with a durable
 * commit. Works whether or not the file is open. */
twine_pfs_status twine_pfs_rename(twine_pfs_mount *m, const char *old_host,
                                  const char *old_logical,
                                  const char *new_host,
                                  const char *new_logical);

#ifdef __cplusplus
}
#endif

#endif

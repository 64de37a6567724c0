/*
 * pfs_testlib.h - shared helpers of the PFS test programs (tests/pfs):
 * assertions, a seeded RNG, scale/seed knobs from the environment, and
 * "memfs", an in-memory twine_pfs_io_ops with fault injection.
 *
 * memfs models a disk under a page cache: every file has `cur` (what reads
 * see) and `dur` (what survives a power loss) plus a log of the writes and
 * truncates since the file's last barrier (fdatasync/fsync). Name
 * operations (create, unlink, rename) are durable on return, as the I/O
 * contract requires. Faults:
 *   crash_at = k   the k-th counted I/O call (1-based) and every later one
 *                  fail with EIO: the process "died" there; reads, close
 *                  and lock keep working so the library can unwind;
 *   power_loss()   every file becomes dur + a random subset of its logged
 *                  operations, writes kept or dropped per 512-byte sector
 *                  (torn writes), then the log is cleared.
 * Counted calls: open, preadv, pwritev, fdatasync, fsync, ftruncate,
 * unlink, rename (close, lock and now_ns are not counted).
 */
#ifndef TWINE_TESTS_PFS_TESTLIB_H
#define TWINE_TESTS_PFS_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "twine/pfs.h"

/* ---- assertions ----------------------------------------------------------- */

extern unsigned long tp_failures;
void tp_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define TP_CHECK(c, ...)                                                     \
  do {                                                                       \
    if (!(c))                                                                \
      tp_fail(__FILE__, __LINE__, __VA_ARGS__);                              \
  } while (0)
/* Check and return false from the enclosing bool function on failure. */
#define TP_REQUIRE(c, ...)                                                   \
  do {                                                                       \
    if (!(c)) {                                                              \
      tp_fail(__FILE__, __LINE__, __VA_ARGS__);                              \
      return false;                                                          \
    }                                                                        \
  } while (0)
#define TP_ST(s) twine_pfs_status_name(s)
/* Print a summary and return the process exit code. */
int tp_finish(const char *name);

/* ---- knobs and randomness ------------------------------------------------- */

/* PFS_TEST_SCALE (default 1): multiplies iteration counts. */
unsigned tp_scale(void);
/* PFS_TEST_SEED (default `def`). */
uint64_t tp_seed(uint64_t def);

typedef struct tp_rng {
  uint64_t s;
} tp_rng;
uint64_t tp_next(tp_rng *r);
/* Uniform in [0, n) (n > 0). */
uint64_t tp_below(tp_rng *r, uint64_t n);
void tp_fill(tp_rng *r, uint8_t *p, size_t n);

/* 64-bit FNV-1a style hash of a byte string (oracle snapshots). */
uint64_t tp_hash(const uint8_t *p, size_t n);

/* ---- keys and mounts ------------------------------------------------------ */

extern const uint8_t tp_key_a[32];
extern const uint8_t tp_key_b[32];
extern const uint8_t tp_mount_a[16];
extern const uint8_t tp_mount_b[16];

/* A mount over (io, ctx) with one explicit key; *ek must outlive it. */
twine_pfs_mount *tp_mount(const twine_pfs_io_ops *io, void *ctx,
                          twine_pfs_explicit_key *ek, const uint8_t key[32],
                          const uint8_t mount_id[16], twine_pfs_anchor *anchor,
                          twine_pfs_durability dur, uint32_t cache_frames);

/* ---- memfs ---------------------------------------------------------------- */

typedef struct memfs memfs;

memfs *memfs_new(uint64_t seed);
void memfs_free(memfs *fs);
/* Deep copy of names and contents (no open handles are copied). */
memfs *memfs_clone(const memfs *fs);
const twine_pfs_io_ops *memfs_ops(void);

/* Keep the per-file log of unsynced operations (needed by
 * memfs_power_loss; off by default: it costs a copy of every write). */
void memfs_set_logging(memfs *fs, bool on);
/* Counted I/O calls so far, syncs, bytes written. */
uint64_t memfs_calls(const memfs *fs);
uint64_t memfs_syncs(const memfs *fs);
uint64_t memfs_bytes_written(const memfs *fs);
/* Arm a crash at counted call k (0 = disarm; also clears the crashed
 * state). */
void memfs_crash_at(memfs *fs, uint64_t k);
bool memfs_crashed(const memfs *fs);
/* Power-loss model (see above), with sector keep probability keep/256. */
void memfs_power_loss(memfs *fs, unsigned keep);
/* Everything written so far becomes durable (as if all were synced). */
void memfs_settle(memfs *fs);

/* Direct access to file bytes (the "host" tampering with its disk). All
 * return false if the path does not exist. Changes are durable. */
bool memfs_get(const memfs *fs, const char *path, uint8_t **data, size_t *len);
bool memfs_put(memfs *fs, const char *path, const uint8_t *data, size_t len);
bool memfs_exists(const memfs *fs, const char *path);
bool memfs_remove(memfs *fs, const char *path);
/* Number of open handles (leak check). */
unsigned memfs_open_handles(const memfs *fs);

#endif

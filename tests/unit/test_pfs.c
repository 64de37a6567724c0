/*
 * test_pfs.c - unit tests of the protected file system (src/pfs) over the
 * POSIX I/O table, wrapped by a fault-injecting table: round trips across
 * node and tree boundaries, sparse extension and truncation, reopen,
 * wrong key, tampering with every node kind, path swaps, rollback with the
 * PROCESS anchor, and a crash after the k-th I/O call of a commit for
 * every k. Geometry comes from pfs_int.h, so the suite also runs in a
 * build with 1 KiB nodes (-DTWINE_PFS_NODE_SHIFT=10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/pfs_int.h"
#include "twine/pfs.h"

#define NODE ((uint64_t)TW_PFS_NODE)
#define MHT_SPAN ((uint64_t)TW_PFS_DPM * NODE) /* bytes under one MHT */

static char g_dir[256];
static char g_path[512], g_path2[512];

/* ---- fault-injecting I/O table ------------------------------------------------ */

typedef struct fault {
  const twine_pfs_io_ops *base;
  long arm;     /* crash when the counter reaches this (0 = never) */
  long count;   /* calls since arming */
  int crashed;
  /* power-loss bookkeeping (F5 test): handles of journals, and what the
   * last barrier made durable of the journal and of the main header */
  uint64_t jhandles[8];
  int njh;
  int track;
  long syncs; /* fdatasync + fsync calls */
} fault;

static fault g_fault;
static uint8_t *g_jsnap;
static size_t g_jsnap_len;
static int g_jsnap_exists;
static uint8_t g_hsnap[TW_PFS_NODE];

static int dead(void) {
  if (g_fault.crashed)
    return 1;
  if (g_fault.arm && ++g_fault.count >= g_fault.arm) {
    g_fault.crashed = 1;
    return 1;
  }
  return 0;
}

static void snap_sync(uint64_t h);

static int f_open(void *c, const char *p, uint32_t fl, uint64_t *h, twine_pfs_host_info *i) {
  (void)c;
  if (dead())
    return 29;
  int e = g_fault.base->open(NULL, p, fl, h, i);
  size_t n = strlen(p);
  if (e == 0 && n > 5 && strcmp(p + n - 5, ".pfsj") == 0 && g_fault.njh < 8)
    g_fault.jhandles[g_fault.njh++] = *h;
  return e;
}
static int f_close(void *c, uint64_t h) {
  (void)c;
  return g_fault.base->close(NULL, h); /* the OS closes fds of a dead process too */
}
static int f_preadv(void *c, uint64_t h, const twine_pfs_iovec *v, uint32_t n, uint64_t o, size_t *d) {
  (void)c;
  return dead() ? 29 : g_fault.base->preadv(NULL, h, v, n, o, d);
}
static int f_pwritev(void *c, uint64_t h, const twine_pfs_iovec *v, uint32_t n, uint64_t o, size_t *d) {
  (void)c;
  return dead() ? 29 : g_fault.base->pwritev(NULL, h, v, n, o, d);
}
static int f_fdatasync(void *c, uint64_t h) {
  (void)c;
  if (dead())
    return 29;
  g_fault.syncs++;
  int e = g_fault.base->fdatasync(NULL, h);
  if (e == 0)
    snap_sync(h);
  return e;
}
static int f_fsync(void *c, uint64_t h) {
  (void)c;
  if (dead())
    return 29;
  g_fault.syncs++;
  int e = g_fault.base->fsync(NULL, h);
  if (e == 0)
    snap_sync(h);
  return e;
}
static int f_ftruncate(void *c, uint64_t h, uint64_t l) {
  (void)c;
  return dead() ? 29 : g_fault.base->ftruncate(NULL, h, l);
}
static int f_unlink(void *c, const char *p) {
  (void)c;
  return dead() ? 29 : g_fault.base->unlink(NULL, p);
}
static int f_rename(void *c, const char *a, const char *b) {
  (void)c;
  return dead() ? 29 : g_fault.base->rename(NULL, a, b);
}
static int f_lock(void *c, uint64_t h, uint32_t m) {
  (void)c;
  return g_fault.base->lock(NULL, h, m);
}
static const twine_pfs_io_ops fault_ops = {f_open, f_close, f_preadv, f_pwritev,
                                           f_fdatasync, f_fsync, f_ftruncate,
                                           f_unlink, f_rename, f_lock, NULL};

/* ---- fixtures ------------------------------------------------------------------- */

static twine_pfs_explicit_key g_key, g_key2;

static twine_pfs_mount *mount_with(twine_pfs_explicit_key *k, twine_pfs_anchor *a,
                                   uint32_t frames) {
  twine_pfs_mount_config cfg;
  memset(&cfg, 0, sizeof cfg);
  memcpy(cfg.mount_id, "test-mount-id-01", 16);
  cfg.io = &fault_ops;
  cfg.keys = &twine_pfs_explicit_key_provider;
  cfg.keys_ctx = k;
  cfg.anchor = a;
  cfg.cache_frames = frames;
  twine_pfs_mount *m = NULL;
  assert_int_equal(twine_pfs_mount_new(&cfg, &m), TWINE_PFS_OK);
  return m;
}

static int setup(void **state) {
  (void)state;
  strcpy(g_dir, "/tmp/twine-pfs-XXXXXX");
  if (!mkdtemp(g_dir))
    return -1;
  snprintf(g_path, sizeof g_path, "%s/f1", g_dir);
  snprintf(g_path2, sizeof g_path2, "%s/f2", g_dir);
  uint8_t k1[32], k2[32];
  for (int i = 0; i < 32; i++) {
    k1[i] = (uint8_t)i;
    k2[i] = (uint8_t)(i + 1);
  }
  twine_pfs_explicit_key_init(&g_key, k1, 32, NULL);
  twine_pfs_explicit_key_init(&g_key2, k2, 32, NULL);
  memset(&g_fault, 0, sizeof g_fault);
  g_fault.base = twine_pfs_posix_io();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  g_fault.track = 0;
  g_fault.njh = 0;
  free(g_jsnap);
  g_jsnap = NULL;
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static uint8_t pat(uint64_t off, unsigned seed) {
  return (uint8_t)((off * 131 + (off >> 12) * 7 + seed * 29 + 1) & 0xff);
}

static void fill(uint8_t *b, uint64_t off, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    b[i] = pat(off + i, seed);
}

static void check_file(twine_pfs_file *f, const uint8_t *shadow, uint64_t size) {
  uint64_t got_size = 0;
  assert_int_equal(twine_pfs_get_size(f, &got_size), TWINE_PFS_OK);
  assert_int_equal(got_size, size);
  uint8_t *buf = malloc(size + 1);
  size_t n = 0;
  assert_int_equal(twine_pfs_pread(f, buf, size + 1, 0, &n), TWINE_PFS_OK);
  assert_int_equal(n, size);
  assert_memory_equal(buf, shadow, size);
  free(buf);
}

static void copy_file(const char *from, const char *to) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  assert_int_equal(system(cmd), 0);
}

static void flip_byte(const char *path, uint64_t off) {
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  uint8_t b;
  assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
  b ^= 0x40;
  assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
  close(fd);
}

/* ---- a power-loss model for one file ---------------------------------------------
 *
 * While g_fault.track is set, each barrier on the journal snapshots the
 * journal file, and each barrier on the main file snapshots its header
 * node. power_loss() then keeps every write to data and MHT nodes but
 * loses everything the journal and the header got since their last
 * barrier: one legal outcome of a power failure (any subset of unsynced
 * writes may survive). */


static uint8_t *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    *len = 0;
    return NULL;
  }
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
  fclose(fp);
  *len = (size_t)n;
  return b;
}

static void snap_journal(void) {
  char jp[600];
  snprintf(jp, sizeof jp, "%s.pfsj", g_path);
  free(g_jsnap);
  g_jsnap = slurp(jp, &g_jsnap_len);
  g_jsnap_exists = g_jsnap != NULL;
}

static void snap_header(void) {
  int fd = open(g_path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(pread(fd, g_hsnap, TW_PFS_NODE, 0), (ssize_t)TW_PFS_NODE);
  close(fd);
}

static void snap_sync(uint64_t h) {
  if (!g_fault.track)
    return;
  for (int i = 0; i < g_fault.njh; i++)
    if (g_fault.jhandles[i] == h) {
      snap_journal();
      return;
    }
  snap_header();
}

static void track_start(void) {
  snap_journal();
  snap_header();
  g_fault.track = 1;
}

static void power_loss(void) {
  char jp[600];
  snprintf(jp, sizeof jp, "%s.pfsj", g_path);
  unlink(jp);
  if (g_jsnap_exists) {
    FILE *fp = fopen(jp, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(g_jsnap, 1, g_jsnap_len, fp), g_jsnap_len);
    fclose(fp);
  }
  int fd = open(g_path, O_RDWR);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, g_hsnap, TW_PFS_NODE, 0), (ssize_t)TW_PFS_NODE);
  close(fd);
  g_fault.track = 0;
  free(g_jsnap);
  g_jsnap = NULL;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_status_names(void **state) {
  (void)state;
  for (int s = 0; s < TWINE_PFS_STATUS_COUNT; s++)
    assert_string_not_equal(twine_pfs_status_name((twine_pfs_status)s), "?");
  assert_int_equal(twine_pfs_status_errno(TWINE_PFS_CORRUPTED), 29);
  assert_int_equal(twine_pfs_status_errno(TWINE_PFS_ROLLBACK), 29);
  assert_int_equal(twine_pfs_status_errno(TWINE_PFS_WRONG_KEY), 2);
  assert_int_equal(twine_pfs_status_errno(TWINE_PFS_ENOENT), 44);
  assert_int_equal(twine_pfs_status_errno(TWINE_PFS_OK), 0);
}

/* Writes at node and tree boundaries, checked before and after reopen. */
static void test_boundaries(void **state) {
  (void)state;
  const uint64_t big = (1 + TW_PFS_CPM) * MHT_SPAN;
  const uint64_t offs[] = {0, 3071, 3072, 3073, NODE - 1, NODE, NODE + 1,
                           MHT_SPAN - 1, MHT_SPAN, MHT_SPAN + 1,
                           big - 1, big, big + 1};
  const size_t lens[] = {1, 2, 100, (size_t)NODE, (size_t)NODE + 3};
  uint64_t cap = big + 2 * NODE + 16;
  uint8_t *shadow = calloc(1, cap), *tmp = malloc(2 * NODE + 16);
  uint64_t size = 0;
  twine_pfs_mount *m = mount_with(&g_key, NULL, 64);
  twine_pfs_file *f;
  assert_int_equal(twine_pfs_open(m, g_path, "/b", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  unsigned seed = 1;
  for (size_t i = 0; i < sizeof offs / sizeof *offs; i++)
    for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
      size_t n = 0;
      fill(tmp, offs[i], lens[j], seed);
      assert_int_equal(twine_pfs_pwrite(f, tmp, lens[j], offs[i], &n), TWINE_PFS_OK);
      assert_int_equal(n, lens[j]);
      memcpy(shadow + offs[i], tmp, lens[j]);
      if (offs[i] + lens[j] > size)
        size = offs[i] + lens[j];
      seed++;
      /* Small files check inline / de-inline transitions every step. */
      if (size < 3 * NODE)
        check_file(f, shadow, size);
    }
  check_file(f, shadow, size);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/b", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  check_file(f, shadow, size);
  twine_pfs_stat_t st;
  assert_int_equal(twine_pfs_stat(f, &st), TWINE_PFS_OK);
  assert_int_equal(st.size, size);
  assert_true(st.generation >= 2);
  size_t n;
  assert_int_equal(twine_pfs_pwrite(f, tmp, 1, 0, &n), TWINE_PFS_EBADF);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
  free(tmp);
}

/* Sparse extension, truncation (re-inline and tail zeroing), cursor I/O. */
static void test_sparse_truncate(void **state) {
  (void)state;
  const uint64_t cap = 3 * MHT_SPAN;
  uint8_t *shadow = calloc(1, cap), *buf = malloc(cap);
  twine_pfs_mount *m = mount_with(&g_key, NULL, 0);
  twine_pfs_file *f;
  size_t n;
  assert_int_equal(twine_pfs_open(m, g_path, "/s", TWINE_PFS_RDWR | TWINE_PFS_CREAT |
                                                      TWINE_PFS_EXCL, NULL, &f), TWINE_PFS_OK);
  fill(shadow, 0, 5000, 3);
  assert_int_equal(twine_pfs_write(f, shadow, 5000, &n), TWINE_PFS_OK);
  /* Extend sparsely past two MHT spans: zeros, nothing stored. */
  assert_int_equal(twine_pfs_set_size(f, 2 * MHT_SPAN + 10), TWINE_PFS_OK);
  check_file(f, shadow, 2 * MHT_SPAN + 10);
  /* Write in the middle of the hole. */
  fill(shadow + MHT_SPAN + 5, MHT_SPAN + 5, 300, 4);
  assert_int_equal(twine_pfs_pwrite(f, shadow + MHT_SPAN + 5, 300, MHT_SPAN + 5, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  /* Truncate into the middle of a node, then extend: the cut is zero. */
  assert_int_equal(twine_pfs_set_size(f, MHT_SPAN + 100), TWINE_PFS_OK);
  memset(shadow + MHT_SPAN + 100, 0, cap - MHT_SPAN - 100);
  assert_int_equal(twine_pfs_set_size(f, MHT_SPAN + NODE * 2), TWINE_PFS_OK);
  check_file(f, shadow, MHT_SPAN + NODE * 2);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/s", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
  check_file(f, shadow, MHT_SPAN + NODE * 2);
  /* Truncate to an inline size and back up. */
  assert_int_equal(twine_pfs_set_size(f, 1000), TWINE_PFS_OK);
  memset(shadow + 1000, 0, cap - 1000);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  struct stat st;
  assert_int_equal(stat(g_path, &st), 0);
  assert_int_equal((uint64_t)st.st_size, tw_pfs_phys_end(1000) * NODE);
  assert_int_equal(twine_pfs_open(m, g_path, "/s", TWINE_PFS_RDWR | TWINE_PFS_APPEND, NULL, &f),
                   TWINE_PFS_OK);
  check_file(f, shadow, 1000);
  fill(shadow + 1000, 1000, 9000, 5);
  assert_int_equal(twine_pfs_write(f, shadow + 1000, 9000, &n), TWINE_PFS_OK);
  uint64_t pos;
  assert_int_equal(twine_pfs_tell(f, &pos), TWINE_PFS_OK);
  assert_int_equal(pos, 10000);
  assert_int_equal(twine_pfs_seek(f, -10, TWINE_PFS_SEEK_END, &pos), TWINE_PFS_OK);
  assert_int_equal(pos, 9990);
  assert_int_equal(twine_pfs_read(f, buf, 100, &n), TWINE_PFS_OK);
  assert_int_equal(n, 10);
  assert_memory_equal(buf, shadow + 9990, 10);
  assert_int_equal(twine_pfs_seek(f, -1, TWINE_PFS_SEEK_SET, &pos), TWINE_PFS_EINVAL);
  assert_int_equal(twine_pfs_clear_cache(f), TWINE_PFS_OK);
  check_file(f, shadow, 10000);
  /* TRUNC on open. */
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/s", TWINE_PFS_RDWR | TWINE_PFS_TRUNC, NULL, &f),
                   TWINE_PFS_OK);
  check_file(f, shadow, 0);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/s", TWINE_PFS_RDWR | TWINE_PFS_CREAT |
                                                      TWINE_PFS_EXCL, NULL, &f), TWINE_PFS_EEXIST);
  assert_int_equal(twine_pfs_open(m, g_path2, "/s2", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_ENOENT);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
  free(buf);
}

static void test_wrong_key_and_rekey(void **state) {
  (void)state;
  twine_pfs_mount *m = mount_with(&g_key, NULL, 0), *m2 = mount_with(&g_key2, NULL, 0);
  twine_pfs_file *f;
  size_t n;
  assert_int_equal(twine_pfs_open(m, g_path, "/k", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, "secret", 6, 0, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  twine_pfs_status s = twine_pfs_open(m2, g_path, "/k", TWINE_PFS_RDONLY, NULL, &f);
  assert_int_equal(s, TWINE_PFS_WRONG_KEY);
  assert_int_equal(twine_pfs_status_errno(s), 2);
  /* Plaintext never appears on disk. */
  uint8_t raw[8192];
  int fd = open(g_path, O_RDONLY);
  ssize_t r = read(fd, raw, sizeof raw);
  close(fd);
  assert_true(r > 0);
  assert_null(memmem(raw, (size_t)r, "secret", 6));
  /* Rekey: the header moves to key 2 (same kdk id slot in this test). */
  assert_int_equal(twine_pfs_open(m, g_path, "/k", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
  uint8_t saved[32];
  memcpy(saved, g_key.key, 32);
  memcpy(g_key.key, g_key2.key, 32); /* the provider now hands out key 2 */
  assert_int_equal(twine_pfs_rekey(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m2, g_path, "/k", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  char got[6];
  assert_int_equal(twine_pfs_pread(f, got, 6, 0, &n), TWINE_PFS_OK);
  assert_memory_equal(got, "secret", 6);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  twine_pfs_mount_free(m);
  twine_pfs_mount_free(m2);
  memcpy(g_key.key, saved, 32);
}

/* A file with a header, root MHT, child MHT and data nodes of both. */
static uint64_t make_tree_file(twine_pfs_mount *m, const char *path, const char *logical,
                               uint8_t *shadow) {
  uint64_t size = MHT_SPAN + 3 * NODE + 17;
  twine_pfs_file *f;
  size_t n;
  fill(shadow, 0, size, 9);
  assert_int_equal(twine_pfs_open(m, path, logical, TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, shadow, size, 0, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  return size;
}

static void test_tamper_each_node_kind(void **state) {
  (void)state;
  uint8_t *shadow = malloc(2 * MHT_SPAN), *buf = malloc(NODE);
  twine_pfs_mount *m = mount_with(&g_key, NULL, 0);
  uint64_t size = make_tree_file(m, g_path, "/t", shadow);
  copy_file(g_path, g_path2);
  struct {
    uint64_t at;     /* byte to flip */
    uint64_t read;   /* logical offset whose read must fail (UINT64_MAX: open fails) */
  } cases[] = {
      {8, UINT64_MAX},                                  /* header: major     */
      {TW_PFS_H_GEN, UINT64_MAX},                       /* header: gen (AAD) */
      {TW_PFS_H_TAG + 3, UINT64_MAX},                   /* header: tag       */
      {TW_PFS_H_SIZE + 1, UINT64_MAX},                  /* header: encrypted */
      {NODE + 5, 0},                                    /* root MHT          */
      {tw_pfs_data_phys(0) * NODE + 100, 0},            /* data of MHT 0     */
      {tw_pfs_mht_phys(1) * NODE + 7, MHT_SPAN},        /* child MHT 1       */
      {tw_pfs_data_phys(TW_PFS_DPM + 1) * NODE, MHT_SPAN + NODE}, /* data of MHT 1 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    copy_file(g_path2, g_path);
    flip_byte(g_path, cases[i].at);
    twine_pfs_file *f = NULL;
    twine_pfs_status s = twine_pfs_open(m, g_path, "/t", TWINE_PFS_RDONLY, NULL, &f);
    if (cases[i].read == UINT64_MAX) {
      assert_int_not_equal(s, TWINE_PFS_OK);
      continue;
    }
    assert_int_equal(s, TWINE_PFS_OK);
    memset(buf, 0xA5, NODE);
    size_t n = 12345;
    s = twine_pfs_pread(f, buf, NODE, cases[i].read, &n);
    assert_int_equal(s, TWINE_PFS_CORRUPTED);
    assert_int_equal(n, 12345);
    for (uint64_t k = 0; k < NODE; k++)
      assert_int_equal(buf[k], 0xA5);
    /* Sticky: even an intact range now fails. */
    assert_int_equal(twine_pfs_pread(f, buf, 1, size - 1, &n), TWINE_PFS_CORRUPTED);
    assert_int_equal(twine_pfs_error(f), TWINE_PFS_CORRUPTED);
    twine_pfs_close(f);
  }
  /* Truncated host file and an appended byte. */
  copy_file(g_path2, g_path);
  assert_int_equal(truncate(g_path, (off_t)((tw_pfs_phys_end(size) - 1) * NODE)), 0);
  twine_pfs_file *f = NULL;
  assert_int_equal(twine_pfs_open(m, g_path, "/t", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_CORRUPTED);
  copy_file(g_path2, g_path);
  assert_int_equal(truncate(g_path, (off_t)(tw_pfs_phys_end(size) * NODE + 1)), 0);
  assert_int_equal(twine_pfs_open(m, g_path, "/t", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_CORRUPTED);
  /* Swapped data nodes. */
  copy_file(g_path2, g_path);
  {
    int fd = open(g_path, O_RDWR);
    uint8_t *a = malloc(NODE), *b = malloc(NODE);
    assert_int_equal(pread(fd, a, NODE, (off_t)(tw_pfs_data_phys(0) * NODE)), (ssize_t)NODE);
    assert_int_equal(pread(fd, b, NODE, (off_t)(tw_pfs_data_phys(1) * NODE)), (ssize_t)NODE);
    assert_int_equal(pwrite(fd, b, NODE, (off_t)(tw_pfs_data_phys(0) * NODE)), (ssize_t)NODE);
    assert_int_equal(pwrite(fd, a, NODE, (off_t)(tw_pfs_data_phys(1) * NODE)), (ssize_t)NODE);
    close(fd);
    free(a);
    free(b);
  }
  assert_int_equal(twine_pfs_open(m, g_path, "/t", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  size_t n;
  assert_int_equal(twine_pfs_pread(f, buf, 10, 0, &n), TWINE_PFS_CORRUPTED);
  twine_pfs_close(f);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
  free(buf);
}

static void test_path_swap(void **state) {
  (void)state;
  uint8_t *shadow = malloc(2 * MHT_SPAN);
  twine_pfs_mount *m = mount_with(&g_key, NULL, 0);
  twine_pfs_file *f;
  size_t n;
  assert_int_equal(twine_pfs_open(m, g_path, "/dir1/x", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, "AAAA", 4, 0, &n), TWINE_PFS_OK);
  twine_pfs_close(f);
  assert_int_equal(twine_pfs_open(m, g_path2, "/dir2/x", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, "BBBB", 4, 0, &n), TWINE_PFS_OK);
  twine_pfs_close(f);
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s/swap", g_dir);
  assert_int_equal(rename(g_path, tmp), 0);
  assert_int_equal(rename(g_path2, g_path), 0);
  assert_int_equal(rename(tmp, g_path2), 0);
  assert_int_equal(twine_pfs_open(m, g_path, "/dir1/x", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_WRONG_PATH);
  assert_int_equal(twine_pfs_open(m, g_path2, "/dir2/x", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_WRONG_PATH);
  /* twine_pfs_rename re-binds: the file opens under its new name only. */
  assert_int_equal(twine_pfs_rename(m, g_path, "/dir2/x", tmp, "/dir3/y"), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, tmp, "/dir2/x", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_WRONG_PATH);
  assert_int_equal(twine_pfs_open(m, tmp, "/dir3/y", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  char got[4];
  assert_int_equal(twine_pfs_pread(f, got, 4, 0, &n), TWINE_PFS_OK);
  assert_memory_equal(got, "BBBB", 4);
  twine_pfs_close(f);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
}

static void test_rollback_process_anchor(void **state) {
  (void)state;
  twine_pfs_anchor *a;
  assert_int_equal(twine_pfs_anchor_process_new(&a), TWINE_PFS_OK);
  twine_pfs_mount *m = mount_with(&g_key, a, 0), *mn = mount_with(&g_key, NULL, 0);
  twine_pfs_file *f;
  size_t n;
  char old[600];
  snprintf(old, sizeof old, "%s/old", g_dir);
  assert_int_equal(twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, "v1", 2, 0, &n), TWINE_PFS_OK);
  twine_pfs_close(f);
  copy_file(g_path, old);
  assert_int_equal(twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, "v2", 2, 0, &n), TWINE_PFS_OK);
  twine_pfs_close(f);
  copy_file(old, g_path);
  twine_pfs_status s = twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDONLY, NULL, &f);
  assert_int_equal(s, TWINE_PFS_ROLLBACK);
  assert_int_equal(twine_pfs_status_errno(s), 29);
  /* Anchor mode NONE cannot tell (documented IPFS parity). */
  assert_int_equal(twine_pfs_open(mn, g_path, "/r", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  twine_pfs_close(f);
  /* Resurrection after unlink. */
  assert_int_equal(twine_pfs_unlink(m, g_path, "/r"), TWINE_PFS_OK);
  copy_file(old, g_path);
  assert_int_equal(twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_ROLLBACK);
  /* Deletion by the host of a live file. */
  assert_int_equal(unlink(g_path), 0);
  assert_int_equal(twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK); /* tombstoned path: a new file is fine */
  twine_pfs_close(f);
  assert_int_equal(unlink(g_path), 0);
  assert_int_equal(twine_pfs_open(m, g_path, "/r", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_ROLLBACK);
  twine_pfs_mount_free(m);
  twine_pfs_mount_free(mn);
  twine_pfs_anchor_free(a);
}

/* Two handles on one file share the inode; a small cache forces commits
 * and evictions in the middle of writes. */
static void test_shared_and_small_cache(void **state) {
  (void)state;
  const uint64_t size = 2 * MHT_SPAN + 5 * NODE;
  uint8_t *shadow = malloc(size);
  fill(shadow, 0, size, 11);
  twine_pfs_mount *m = mount_with(&g_key, NULL, TWINE_PFS_CACHE_MIN);
  twine_pfs_file *f, *g;
  size_t n;
  assert_int_equal(twine_pfs_open(m, g_path, "/c", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/c", TWINE_PFS_RDONLY, NULL, &g), TWINE_PFS_OK);
  for (uint64_t off = 0; off < size; off += 777) {
    size_t len = off + 777 > size ? (size_t)(size - off) : 777;
    assert_int_equal(twine_pfs_pwrite(f, shadow + off, len, off, &n), TWINE_PFS_OK);
  }
  check_file(g, shadow, size);
  assert_int_equal(twine_pfs_open(m, g_path, "/other", TWINE_PFS_RDONLY, NULL, &g), TWINE_PFS_WRONG_PATH);
  twine_pfs_close(f);
  check_file(g, shadow, size);
  twine_pfs_close(g);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
}

/* Crash (every later I/O call fails, nothing more reaches the disk) after
 * the k-th I/O call of a commit, for every k; the file must reopen as the
 * old or the new content, never corrupted, and with a PROCESS anchor. */
static void crash_run(int with_anchor) {
  const uint64_t base_size = MHT_SPAN + 2 * NODE + 5;
  const uint64_t new_size = base_size + MHT_SPAN;
  uint8_t *oldc = malloc(new_size), *newc = malloc(new_size), *buf = malloc(new_size);
  fill(oldc, 0, base_size, 20);
  memcpy(newc, oldc, base_size);
  fill(newc + 10, 10, 3 * NODE, 21);                  /* overwrite nodes 0..3 */
  fill(newc + MHT_SPAN, MHT_SPAN, 100, 22);           /* child MHT region   */
  memset(newc + base_size, 0, new_size - base_size);  /* extension ...      */
  fill(newc + new_size - 50, new_size - 50, 50, 23);  /* ... with a tail    */
  int saw_old = 0, saw_new = 0;
  long k;
  for (k = 1;; k++) {
    twine_pfs_anchor *a = NULL;
    if (with_anchor)
      assert_int_equal(twine_pfs_anchor_process_new(&a), TWINE_PFS_OK);
    twine_pfs_mount *m = mount_with(&g_key, a, 0);
    twine_pfs_file *f;
    size_t n;
    unlink(g_path);
    assert_int_equal(twine_pfs_open(m, g_path, "/crash", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                     TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, oldc, base_size, 0, &n), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_open(m, g_path, "/crash", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, newc + 10, 3 * NODE, 10, &n), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, newc + MHT_SPAN, 100, MHT_SPAN, &n), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, newc + new_size - 50, 50, new_size - 50, &n), TWINE_PFS_OK);
    g_fault.arm = k;
    g_fault.count = 0;
    g_fault.crashed = 0;
    twine_pfs_status s = twine_pfs_close(f); /* commit with the crash inside */
    int crashed = g_fault.crashed;
    g_fault.arm = 0;
    g_fault.crashed = 0;
    if (!crashed)
      assert_int_equal(s, TWINE_PFS_OK);
    /* "Restart": same anchor store if any (a process that saw the I/O
     * failure), fresh inode. */
    assert_int_equal(twine_pfs_open(m, g_path, "/crash", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
    uint64_t size = 0;
    assert_int_equal(twine_pfs_get_size(f, &size), TWINE_PFS_OK);
    assert_true(size == base_size || size == new_size);
    assert_int_equal(twine_pfs_pread(f, buf, new_size, 0, &n), TWINE_PFS_OK);
    assert_int_equal(n, size);
    if (size == base_size) {
      assert_memory_equal(buf, oldc, base_size);
      saw_old++;
    } else {
      assert_memory_equal(buf, newc, new_size);
      saw_new++;
    }
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    /* The journal is gone or empty after a clean reopen. */
    assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
    twine_pfs_anchor_free(a);
    if (!crashed)
      break;
  }
  assert_true(k > 5);
  assert_true(saw_old > 0 && saw_new > 0);
  print_message("crash sweep (anchor %d): %ld points, %d old, %d new\n", with_anchor, k,
                saw_old, saw_new);
  free(oldc);
  free(newc);
  free(buf);
}

static void test_crash_every_io(void **state) {
  (void)state;
  crash_run(0);
  crash_run(1);
}

/* ---- regressions of the tests/pfs findings (notes/pfs-findings.md) -------------- */

static twine_pfs_file *create_with(twine_pfs_mount *m, const char *host, const char *logical,
                                   const uint8_t *content, uint64_t size) {
  twine_pfs_file *f;
  size_t n;
  unlink(host);
  assert_int_equal(twine_pfs_open(m, host, logical, TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  if (size)
    assert_int_equal(twine_pfs_pwrite(f, content, size, 0, &n), TWINE_PFS_OK);
  return f;
}

/* F1: a truncate that reads the new last node must not leave read-ahead
 * frames of the cut nodes behind, and more generally a cached clean frame
 * whose tree entry changed (here: became a hole) is never served. */
static void test_f1_truncate_no_stale_frames(void **state) {
  (void)state;
  const uint64_t size0 = 10 * NODE;
  uint8_t *shadow = calloc(1, size0 + 8 * NODE);
  fill(shadow, 0, size0, 31);
  twine_pfs_mount *m = mount_with(&g_key, NULL, 0);
  twine_pfs_file *f = create_with(m, g_path, "/f1", shadow, size0);
  uint8_t b;
  size_t n;
  /* the directed sequence of the finding */
  assert_int_equal(twine_pfs_clear_cache(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pread(f, &b, 1, 3 * NODE, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_set_size(f, 4 * NODE + 5), TWINE_PFS_OK);
  memset(shadow + 4 * NODE + 5, 0, size0 - (4 * NODE + 5));
  b = 0x5a;
  assert_int_equal(twine_pfs_pwrite(f, &b, 1, 5 * NODE + 100, &n), TWINE_PFS_OK);
  shadow[5 * NODE + 100] = 0x5a;
  check_file(f, shadow, 5 * NODE + 101);
  /* the same with a node-aligned cut (no tail to zero) and a later regrow */
  assert_int_equal(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pwrite(f, shadow, size0, 0, &n), TWINE_PFS_OK);
  fill(shadow, 0, size0, 31);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/f1", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pread(f, &b, 1, 2 * NODE, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pread(f, &b, 1, 3 * NODE, &n), TWINE_PFS_OK); /* read-ahead */
  assert_int_equal(twine_pfs_set_size(f, 4 * NODE), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_set_size(f, size0), TWINE_PFS_OK);
  memset(shadow + 4 * NODE, 0, size0 - 4 * NODE);
  check_file(f, shadow, size0);

  /* White box: cache node 2, then turn its entry into a hole behind the
   * cache's back. The stale clean frame must not be served. */
  fill(shadow, 0, size0, 32);
  assert_int_equal(twine_pfs_pwrite(f, shadow, size0, 0, &n), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_pread(f, &b, 1, 2 * NODE, &n), TWINE_PFS_OK);
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  tw_pfs_frame *mf, *df;
  assert_int_equal(tw_pfs_get(ino, TW_PFS_K_MHT, 0, TW_PFS_G_EXCL, &mf), TWINE_PFS_OK);
  memset(mf->buf + 2 * TW_PFS_ENTRY, 0, TW_PFS_ENTRY);
  tw_pfs_mark_dirty(ino, mf);
  assert_int_equal(tw_pfs_get(ino, TW_PFS_K_DATA, 2, TW_PFS_G_EXCL, &df), TWINE_PFS_OK);
  uint8_t zero[TW_PFS_NODE];
  memset(zero, 0, sizeof zero);
  assert_memory_equal(df->buf, zero, TW_PFS_NODE);
  pthread_rwlock_unlock(&ino->rw);
  memset(shadow + 2 * NODE, 0, NODE);
  check_file(f, shadow, size0);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/f1", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  check_file(f, shadow, size0);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
}

/* F2: with the smallest cache mostly dirty, a sequential miss reads ahead;
 * the requested node must stay the one returned (it used to be evicted by
 * its own read-ahead and its buffer reused for another node). */
static void test_f2_readahead_keeps_requested_frame(void **state) {
  (void)state;
  const uint64_t size = 3 * MHT_SPAN + 7 * NODE;
  uint8_t *shadow = malloc(size), *buf = malloc(4 * NODE), *w = malloc(2 * NODE);
  fill(shadow, 0, size, 41);
  twine_pfs_mount *m = mount_with(&g_key, NULL, TWINE_PFS_CACHE_MIN);
  twine_pfs_file *f = create_with(m, g_path, "/f2", shadow, size);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/f2", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
  uint64_t rng = 12345, cursor = 0;
  size_t n;
  for (int i = 0; i < 6000; i++) {
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    uint64_t r = rng >> 17;
    if (r % 5 < 2) { /* dirty a few nodes anywhere */
      uint64_t off = (r >> 4) % (size - 2 * NODE);
      size_t len = (size_t)((r >> 24) % (2 * NODE)) + 1;
      fill(w, off, len, (unsigned)(i & 0xff));
      assert_int_equal(twine_pfs_pwrite(f, w, len, off, &n), TWINE_PFS_OK);
      memcpy(shadow + off, w, len);
    } else { /* a sequential reader */
      size_t len = (size_t)((r >> 8) % (3 * NODE)) + 1;
      if (cursor + len > size)
        cursor = (r >> 30) % (size / 2);
      assert_int_equal(twine_pfs_pread(f, buf, len, cursor, &n), TWINE_PFS_OK);
      assert_int_equal(n, len);
      assert_memory_equal(buf, shadow + cursor, len);
      cursor += len;
    }
  }
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);

  /* White box, deterministic: every frame but one is pinned, then a
   * sequential miss with read-ahead. CLOCK may only take the free frame
   * for the requested node; the read-ahead must not evict it. */
  assert_int_equal(twine_pfs_open(m, g_path, "/f2", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  tw_pfs_frame *held[TWINE_PFS_CACHE_MIN], *fr;
  uint32_t nheld = 0;
  assert_int_equal(ino->nframes, TWINE_PFS_CACHE_MIN);
  for (uint64_t d = 0; d + 2 < TWINE_PFS_CACHE_MIN; d++) {
    assert_int_equal(tw_pfs_get(ino, TW_PFS_K_DATA, d, TW_PFS_G_EXCL | TW_PFS_G_NORA, &fr),
                     TWINE_PFS_OK);
    held[nheld++] = fr;
  }
  assert_int_equal(tw_pfs_get(ino, TW_PFS_K_MHT, 0, TW_PFS_G_EXCL, &fr), TWINE_PFS_OK);
  held[nheld++] = fr; /* 15 frames in use, one free */
  for (uint32_t i = 0; i < nheld; i++)
    held[i]->pins++;
  const uint64_t d = TWINE_PFS_CACHE_MIN - 2; /* last_miss + 1: sequential */
  assert_int_equal(tw_pfs_get(ino, TW_PFS_K_DATA, d, TW_PFS_G_EXCL, &fr), TWINE_PFS_OK);
  assert_int_equal(fr->kind, TW_PFS_K_DATA);
  assert_int_equal(fr->idx, d);
  assert_memory_equal(fr->buf, shadow + d * NODE, NODE);
  for (uint32_t i = 0; i < nheld; i++)
    held[i]->pins--;
  pthread_rwlock_unlock(&ino->rw);
  check_file(f, shadow, size);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  free(shadow);
  free(buf);
  free(w);
}

/* F3: shrink, then grow back over the cut region, in one commit: the slots
 * of the committed tree that the commit overwrites must be journaled even
 * though they are holes in memory. Crash after every I/O call k. */
static void test_f3_shrink_regrow_journal(void **state) {
  (void)state;
  const uint64_t size0 = MHT_SPAN + 16 * NODE + 100, cut = 3 * NODE + 7;
  const uint64_t woff = MHT_SPAN + 10 * NODE + 5, wlen = 2 * NODE;
  uint8_t *oldc = malloc(size0), *newc = calloc(1, size0), *buf = malloc(size0 + 1);
  fill(oldc, 0, size0, 51);
  memcpy(newc, oldc, cut);
  fill(newc + woff, woff, wlen, 52);
  const uint64_t size1 = woff + wlen;
  int saw_old = 0, saw_new = 0;
  long k;
  for (k = 1;; k++) {
    twine_pfs_anchor *a = NULL;
    assert_int_equal(twine_pfs_anchor_process_new(&a), TWINE_PFS_OK);
    twine_pfs_mount *m = mount_with(&g_key, a, 0);
    size_t n;
    twine_pfs_file *f = create_with(m, g_path, "/f3", oldc, size0);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_open(m, g_path, "/f3", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_set_size(f, cut), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, newc + woff, wlen, woff, &n), TWINE_PFS_OK);
    g_fault.arm = k;
    g_fault.count = 0;
    g_fault.crashed = 0;
    twine_pfs_status s = twine_pfs_close(f);
    int crashed = g_fault.crashed;
    g_fault.arm = 0;
    g_fault.crashed = 0;
    if (!crashed)
      assert_int_equal(s, TWINE_PFS_OK);
    assert_int_equal(twine_pfs_open(m, g_path, "/f3", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
    uint64_t size = 0;
    assert_int_equal(twine_pfs_get_size(f, &size), TWINE_PFS_OK);
    assert_true(size == size0 || size == size1);
    assert_int_equal(twine_pfs_pread(f, buf, size0 + 1, 0, &n), TWINE_PFS_OK);
    assert_int_equal(n, size);
    if (size == size0) {
      assert_memory_equal(buf, oldc, size0);
      saw_old++;
    } else {
      assert_memory_equal(buf, newc, size1);
      saw_new++;
    }
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
    twine_pfs_anchor_free(a);
    if (!crashed)
      break;
  }
  assert_true(saw_old > 0 && saw_new > 0);
  free(oldc);
  free(newc);
  free(buf);
}

/* F4: a crash at any I/O call of pfs_rename leaves the file openable under
 * the old host name with the old logical path, or under the new host name
 * with the new one; a pending rename also opens under the target path
 * and is then completed. With a PROCESS anchor (same process). */
static void test_f4_rename_crash(void **state) {
  (void)state;
  const uint64_t size = 5 * NODE + 3;
  uint8_t *c = malloc(size), *buf = malloc(size + 1);
  fill(c, 0, size, 61);
  int at_new = 0, via_target = 0;
  long k;
  for (k = 1;; k++) {
    twine_pfs_anchor *a = NULL;
    assert_int_equal(twine_pfs_anchor_process_new(&a), TWINE_PFS_OK);
    twine_pfs_mount *m = mount_with(&g_key, a, 0);
    unlink(g_path2);
    twine_pfs_file *f = create_with(m, g_path, "/a", c, size);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    g_fault.arm = k;
    g_fault.count = 0;
    g_fault.crashed = 0;
    twine_pfs_status s = twine_pfs_rename(m, g_path, "/a", g_path2, "/b");
    int crashed = g_fault.crashed;
    g_fault.arm = 0;
    g_fault.crashed = 0;
    if (!crashed)
      assert_int_equal(s, TWINE_PFS_OK);
    const char *host = g_path, *logical = "/a", *other = "/b";
    if (access(g_path2, F_OK) == 0) {
      host = g_path2;
      logical = "/b";
      other = "/a";
      at_new++;
    } else if (k % 2 == 0) {
      /* try the target path on the old host file: opens iff the rename's
       * first commit landed, and completes the rename */
      s = twine_pfs_open(m, g_path, "/b", TWINE_PFS_RDONLY, NULL, &f);
      if (s == TWINE_PFS_OK) {
        via_target++;
        logical = "/b";
        other = "/a";
        twine_pfs_close(f);
      } else {
        assert_int_equal(s, TWINE_PFS_WRONG_PATH);
      }
    }
    size_t n;
    assert_int_equal(twine_pfs_open(m, host, logical, TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pread(f, buf, size + 1, 0, &n), TWINE_PFS_OK);
    assert_int_equal(n, size);
    assert_memory_equal(buf, c, size);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    /* settled: the other logical path no longer opens this file */
    s = twine_pfs_open(m, host, other, TWINE_PFS_RDONLY, NULL, &f);
    assert_true(s == TWINE_PFS_WRONG_PATH || s == TWINE_PFS_ROLLBACK);
    assert_int_equal(twine_pfs_open(m, host, logical, TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pwrite(f, "x", 1, 0, &n), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
    twine_pfs_anchor_free(a);
    if (!crashed)
      break;
  }
  assert_true(at_new > 0 && via_target > 0);
  free(c);
  free(buf);
}

/* F5: a DUR_COMMIT file whose cache forces intermediate commits: after a
 * power loss that keeps every node write but loses what the journal and
 * the header got since their last barrier, the file opens and every node
 * is either old or new (the intermediate commits had no barriers). */
static void test_f5_power_loss_cache_commits(void **state) {
  (void)state;
  const uint64_t nodes = 40, size = nodes * NODE;
  uint8_t *oldc = malloc(size), *newc = malloc(size), *buf = malloc(size + 1);
  fill(oldc, 0, size, 71);
  fill(newc, 0, size, 72);
  for (uint64_t stop = 1; stop <= 30; stop += 3) {
    twine_pfs_mount *m = mount_with(&g_key, NULL, TWINE_PFS_CACHE_MIN);
    twine_pfs_file *f = create_with(m, g_path, "/f5", oldc, size);
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_open(m, g_path, "/f5", TWINE_PFS_RDWR, NULL, &f), TWINE_PFS_OK);
    track_start();
    size_t n;
    for (uint64_t d = 0; d < stop; d++)
      assert_int_equal(twine_pfs_pwrite(f, newc + d * NODE, NODE, d * NODE, &n), TWINE_PFS_OK);
    g_fault.crashed = 1; /* the process dies, then the power fails */
    twine_pfs_close(f);
    power_loss();
    g_fault.crashed = 0;
    assert_int_equal(twine_pfs_open(m, g_path, "/f5", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_pread(f, buf, size + 1, 0, &n), TWINE_PFS_OK);
    assert_int_equal(n, size);
    for (uint64_t d = 0; d < nodes; d++)
      assert_true(memcmp(buf + d * NODE, oldc + d * NODE, NODE) == 0 ||
                  (d < stop && memcmp(buf + d * NODE, newc + d * NODE, NODE) == 0));
    assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  }
  free(oldc);
  free(newc);
  free(buf);
}

/* Commits forced by the cache of a DUR_COMMIT file are provisional: they
 * journal D-images only the first time a node of the last durable state D
 * is overwritten (B1 only then), skip B2/B3, and flag the header
 * PROVISIONAL. Such a header without its journal does not open; with it,
 * the file rolls back to D and is re-stamped past the journal's window. */
static void test_provisional_commits(void **state) {
  (void)state;
  const uint64_t nodes = 5 * TW_PFS_DPM / 2, size = nodes * NODE;
  uint8_t *c1 = malloc(size), *buf = malloc(size + 1);
  fill(c1, 0, size, 81);
  char jp[600], copy[300], copyj[310];
  snprintf(jp, sizeof jp, "%s.pfsj", g_path);
  snprintf(copy, sizeof copy, "%s/copy", g_dir);
  snprintf(copyj, sizeof copyj, "%s.pfsj", copy);
  twine_pfs_mount *m = mount_with(&g_key, NULL, TWINE_PFS_CACHE_MIN);
  twine_pfs_file *f = NULL, *g = NULL;
  assert_int_equal(twine_pfs_open(m, g_path, "/p", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f),
                   TWINE_PFS_OK);
  twine_pfs_stat_t st0, st;
  assert_int_equal(twine_pfs_stat(f, &st0), TWINE_PFS_OK);
  /* (1) appending: D is the empty file; only the header is ever journaled */
  long s0 = g_fault.syncs;
  size_t n;
  for (uint64_t d = 0; d < nodes; d++)
    assert_int_equal(twine_pfs_pwrite(f, c1 + d * NODE, NODE, d * NODE, &n), TWINE_PFS_OK);
  assert_true(g_fault.syncs - s0 <= 1);
  assert_int_equal(twine_pfs_stat(f, &st), TWINE_PFS_OK);
  assert_true(st.generation > st0.generation + 5); /* several commits happened */
  uint8_t hb[TW_PFS_H_PLAIN];
  int fd = open(g_path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(pread(fd, hb, sizeof hb, 0), (ssize_t)sizeof hb);
  close(fd);
  assert_true(tw_pfs_ld32(hb + TW_PFS_H_FLAGS) & TW_PFS_HF_PROVISIONAL);
  /* (2) a copy without the journal is refused; with it, it rolls back to D */
  copy_file(g_path, copy);
  twine_pfs_mount *m2 = mount_with(&g_key, NULL, 0);
  assert_int_equal(twine_pfs_open(m2, copy, "/p", TWINE_PFS_RDONLY, NULL, &g), TWINE_PFS_CORRUPTED);
  copy_file(jp, copyj);
  assert_int_equal(twine_pfs_open(m2, copy, "/p", TWINE_PFS_RDONLY, NULL, &g), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_stat(g, &st), TWINE_PFS_OK);
  assert_int_equal(st.size, 0);
  assert_true(st.generation > st0.generation + TW_PFS_GEN_WINDOW);
  assert_int_equal(twine_pfs_close(g), TWINE_PFS_OK);
  struct stat sb;
  assert_true(stat(copyj, &sb) != 0 || sb.st_size == 0);
  /* (3) the final commit: B2 + B3, no B1 (nothing new to journal) */
  s0 = g_fault.syncs;
  assert_int_equal(twine_pfs_sync(f, TWINE_PFS_SYNC_DATA), TWINE_PFS_OK);
  assert_int_equal(g_fault.syncs - s0, 2);
  assert_true(stat(jp, &sb) != 0 || sb.st_size == 0);
  /* (4) overwriting D's nodes: B1 only when a commit adds images */
  uint8_t *c2 = malloc(size);
  fill(c2, 0, size, 82);
  s0 = g_fault.syncs;
  long commits = 0;
  for (uint64_t d = 0; d < nodes; d++) {
    uint64_t before;
    assert_int_equal(twine_pfs_stat(f, &st), TWINE_PFS_OK);
    before = st.generation;
    assert_int_equal(twine_pfs_pwrite(f, c2 + d * NODE, NODE, d * NODE, &n), TWINE_PFS_OK);
    assert_int_equal(twine_pfs_stat(f, &st), TWINE_PFS_OK);
    commits += (long)(st.generation - before);
  }
  assert_true(commits > 5);
  assert_true(g_fault.syncs - s0 <= commits);
  /* clear_cache commits the rest provisionally (one B1 at most); then
   * rewriting the same nodes adds no images: no sync at all */
  s0 = g_fault.syncs;
  assert_int_equal(twine_pfs_clear_cache(f), TWINE_PFS_OK);
  assert_true(g_fault.syncs - s0 <= 1);
  s0 = g_fault.syncs;
  for (uint64_t d = 0; d < nodes; d++)
    assert_int_equal(twine_pfs_pwrite(f, c2 + d * NODE, NODE, d * NODE, &n), TWINE_PFS_OK);
  assert_int_equal(g_fault.syncs - s0, 0);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_open(m, g_path, "/p", TWINE_PFS_RDONLY, NULL, &f), TWINE_PFS_OK);
  check_file(f, c2, size);
  assert_int_equal(twine_pfs_close(f), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_mount_free(m), TWINE_PFS_OK);
  assert_int_equal(twine_pfs_mount_free(m2), TWINE_PFS_OK);
  free(c1);
  free(c2);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sparse_truncate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_key_and_rekey, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tamper_each_node_kind, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_swap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rollback_process_anchor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_and_small_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_every_io, setup, teardown),
      cmocka_unit_test_setup_teardown(test_f1_truncate_no_stale_frames, setup, teardown),
      cmocka_unit_test_setup_teardown(test_f2_readahead_keeps_requested_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(test_f3_shrink_regrow_journal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_f4_rename_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_f5_power_loss_cache_commits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_provisional_commits, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

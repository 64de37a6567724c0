/*
 * test_wasi_protected.c - protected mounts (src/wasi/wasi_protected.c,
 * wasi_pfs_io.c) and the lock host call.
 *
 * Each test makes a fresh temporary directory <tmp>/vault and "runs" the
 * guest side as one or more tw_wasi instances over the POSIX host with
 * <tmp>/vault preopened as a protected mount (guest fd 3, "/vault"). The
 * tw_wasi_fn_* functions are called directly with a one-page guest memory;
 * the test plays the untrusted host with plain POSIX calls on the
 * ciphertext files (read, flip bytes, copy back older versions, swap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/posix.h"
#include "wasi/wasi_int.h"

#define PRE 3u
#define A_STR1 4096u
#define A_STR2 8192u
#define A_OUT 64u
#define A_BUF 16384u
#define BUF_MAX 32768u
#define FILE_ALL TW_WR_REGULAR_FILE_BASE

typedef struct fx {
  char root[64];
  char vault[96];
  tw_host_posix *host;
  tw_host_iface iface;
  tw_wasi *w;
  twine_engine_t *engine;
  twine_store_t *store;
  twine_memory_t *mem;
  tw_wasi_call c;
} fx;

static fx *F;
static const uint8_t KEY1[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t KEY2[32] = {42};

/* ---- host side ---------------------------------------------------------- */

static void hpath(char *out, size_t cap, const char *rel) {
  snprintf(out, cap, "%s/%s", F->vault, rel);
}

/* The whole host file into a malloc'd buffer. */
static uint8_t *hread_all(const char *rel, size_t *n) {
  char p[512];
  hpath(p, sizeof p, rel);
  FILE *fp = fopen(p, "rb");
  assert_non_null(fp);
  uint8_t *b = malloc(1 << 20);
  assert_non_null(b);
  *n = fread(b, 1, 1 << 20, fp);
  fclose(fp);
  return b;
}

static void hwrite_all(const char *rel, const uint8_t *b, size_t n) {
  char p[512];
  hpath(p, sizeof p, rel);
  FILE *fp = fopen(p, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(b, 1, n, fp), n);
  fclose(fp);
}

static void hflip(const char *rel, long off) {
  char p[512];
  hpath(p, sizeof p, rel);
  int fd = open(p, O_RDWR);
  assert_true(fd >= 0);
  uint8_t b;
  assert_int_equal(pread(fd, &b, 1, off), 1);
  b ^= 0x40;
  assert_int_equal(pwrite(fd, &b, 1, off), 1);
  close(fd);
}

static bool hexists(const char *rel) {
  char p[512];
  struct stat st;
  hpath(p, sizeof p, rel);
  return lstat(p, &st) == 0;
}

static bool contains(const uint8_t *b, size_t n, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(b + i, s, k) == 0) return true;
  return false;
}

/* ---- runs ------------------------------------------------------------------ */

/* Start a run (a new tw_wasi) with the vault protected under key. */
static twine_status_t run_start(const uint8_t *key, uint8_t anchors,
                                tw_err *err) {
  uint32_t h;
  char msg[128];
  if (tw_host_posix_open_dir(F->host, F->vault, &h, msg, sizeof msg))
    return TWINE_ERR_IO;
  tw_wasi_preopen pre = {TW_WASI_PRE_DIR, h, "/vault"};
  tw_wasi_protect prot = {key, 32, NULL, anchors};
  tw_wasi_setup s = {0};
  s.iface = &F->iface;
  s.npreopens = 1;
  s.preopens = &pre;
  s.protect = &prot;
  twine_status_t st = tw_wasi_new(&s, &F->w, err);
  if (st != TWINE_OK) F->w = NULL;
  F->c = (tw_wasi_call){F->w, NULL, F->mem, false, 0};
  return st;
}

static void run(const uint8_t *key) {
  tw_err err;
  memset(&err, 0, sizeof err);
  twine_status_t st = run_start(key, TW_WASI_ANCHORS_PERSISTENT, &err);
  if (st != TWINE_OK) fail_msg("tw_wasi_new: %s", err.msg);
}

static void run_end(void) {
  tw_wasi_free(F->w);
  F->w = NULL;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->root, sizeof f->root, "/tmp/tw_wasi_prot_XXXXXX");
  if (!mkdtemp(f->root)) return -1;
  snprintf(f->vault, sizeof f->vault, "%s/vault", f->root);
  if (mkdir(f->vault, 0777)) return -1;
  f->host = tw_host_posix_new();
  if (!f->host) return -1;
  f->iface = tw_host_posix_iface(f->host);
  if (twine_engine_new(NULL, &f->engine) != TWINE_OK) return -1;
  if (twine_store_new(f->engine, &f->store) != TWINE_OK) return -1;
  twine_limits_t lim = {1, 1, true};
  if (twine_memory_new(f->store, lim, &f->mem) != TWINE_OK) return -1;
  F = f;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (!f) return 0;
  tw_wasi_free(f->w);
  tw_host_posix_free(f->host);
  twine_store_free(f->store);
  twine_engine_free(f->engine);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
  if (system(cmd) != 0) return -1;
  free(f);
  F = NULL;
  return 0;
}

/* ---- guest side ------------------------------------------------------------- */

static uint8_t *gmem(uint64_t addr) { return twine_memory_data(F->mem) + addr; }

static uint64_t gstr(uint64_t addr, const char *s) {
  size_t n = strlen(s);
  memcpy(gmem(addr), s, n);
  return n;
}

static uint32_t g32(uint64_t addr) { return tw_wasi_rd32(gmem(addr)); }
static uint64_t g64(uint64_t addr) { return tw_wasi_rd64(gmem(addr)); }

static tw_wasi_errno g_open_at(uint32_t dir, const char *p, uint64_t of,
                               uint64_t base, uint64_t fdf, uint32_t *fd) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t inh = (of & TW_WO_DIRECTORY) ? TW_WR_DIRECTORY_INHERITING : 0;
  uint64_t a[9] = {dir, TW_WL_SYMLINK_FOLLOW, A_STR1, n, of, base, inh, fdf,
                   A_OUT};
  tw_wasi_errno e = tw_wasi_fn_path_open(&F->c, a);
  if (fd) *fd = e ? UINT32_MAX : g32(A_OUT);
  return e;
}

static tw_wasi_errno g_open(const char *p, uint64_t of, uint32_t *fd) {
  return g_open_at(PRE, p, of, FILE_ALL, 0, fd);
}

static tw_wasi_errno g_close(uint32_t fd) {
  uint64_t a[1] = {fd};
  return tw_wasi_fn_fd_close(&F->c, a);
}

/* fd_write / fd_pwrite of data (at < 0: at the cursor) */
static tw_wasi_errno g_write_n(uint32_t fd, const void *data, size_t n,
                               int64_t at, uint32_t *done) {
  memcpy(gmem(A_BUF), data, n);
  tw_wasi_le32(gmem(A_OUT + 8), A_BUF);
  tw_wasi_le32(gmem(A_OUT + 12), (uint32_t)n);
  tw_wasi_errno e;
  if (at < 0) {
    uint64_t a[4] = {fd, A_OUT + 8, 1, A_OUT};
    e = tw_wasi_fn_fd_write(&F->c, a);
  } else {
    uint64_t a[5] = {fd, A_OUT + 8, 1, (uint64_t)at, A_OUT};
    e = tw_wasi_fn_fd_pwrite(&F->c, a);
  }
  if (done) *done = e ? 0 : g32(A_OUT);
  return e;
}

static tw_wasi_errno g_write(uint32_t fd, const char *s) {
  uint32_t done;
  tw_wasi_errno e = g_write_n(fd, s, strlen(s), -1, &done);
  if (!e) assert_int_equal(done, strlen(s));
  return e;
}

/* fd_read / fd_pread of up to cap bytes into A_BUF */
static tw_wasi_errno g_read(uint32_t fd, size_t cap, int64_t at,
                            uint32_t *got) {
  tw_wasi_le32(gmem(A_OUT + 8), A_BUF);
  tw_wasi_le32(gmem(A_OUT + 12), (uint32_t)cap);
  tw_wasi_errno e;
  if (at < 0) {
    uint64_t a[4] = {fd, A_OUT + 8, 1, A_OUT};
    e = tw_wasi_fn_fd_read(&F->c, a);
  } else {
    uint64_t a[5] = {fd, A_OUT + 8, 1, (uint64_t)at, A_OUT};
    e = tw_wasi_fn_fd_pread(&F->c, a);
  }
  if (got) *got = e ? 0 : g32(A_OUT);
  return e;
}

/* open p read-only and read it all; compare with expect */
static tw_wasi_errno g_read_file(const char *p, const char *expect) {
  uint32_t fd, got;
  tw_wasi_errno e = g_open_at(PRE, p, 0, TW_WR_FD_READ, 0, &fd);
  if (e) return e;
  e = g_read(fd, BUF_MAX, -1, &got);
  if (!e) {
    assert_int_equal(got, strlen(expect));
    assert_memory_equal(gmem(A_BUF), expect, got);
  }
  assert_int_equal(g_close(fd), 0);
  return e;
}

static tw_wasi_errno g_path1(tw_wasi_impl fn, const char *p) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[3] = {PRE, A_STR1, n};
  return fn(&F->c, a);
}

static tw_wasi_errno g_rename(const char *p1, const char *p2) {
  uint64_t n1 = gstr(A_STR1, p1), n2 = gstr(A_STR2, p2);
  uint64_t a[6] = {PRE, A_STR1, n1, PRE, A_STR2, n2};
  return tw_wasi_fn_path_rename(&F->c, a);
}

static tw_wasi_errno g_fstat_size(uint32_t fd, uint64_t *size) {
  uint64_t a[2] = {fd, A_OUT};
  tw_wasi_errno e = tw_wasi_fn_fd_filestat_get(&F->c, a);
  if (!e) *size = g64(A_OUT + 32);
  return e;
}

static tw_wasi_errno g_stat_size(const char *p, uint64_t *size, uint8_t *t) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[5] = {PRE, 0, A_STR1, n, A_OUT};
  tw_wasi_errno e = tw_wasi_fn_path_filestat_get(&F->c, a);
  if (!e) {
    *size = g64(A_OUT + 32);
    if (t) *t = gmem(A_OUT)[16];
  }
  return e;
}

/* The names fd_readdir lists in fd (without "." and ".."), joined with
 * '|' in sorted host order as returned, into out. */
static void g_list(uint32_t fd, char *out, size_t cap) {
  uint64_t a[5] = {fd, A_BUF, BUF_MAX, 0, A_OUT};
  assert_int_equal(tw_wasi_fn_fd_readdir(&F->c, a), 0);
  uint32_t used = g32(A_OUT);
  assert_true(used < BUF_MAX);
  out[0] = 0;
  size_t pos = 0;
  while (pos + 24 <= used) {
    uint32_t nl = tw_wasi_rd32(gmem(A_BUF + pos + 16));
    char name[256];
    memcpy(name, gmem(A_BUF + pos + 24), nl);
    name[nl] = 0;
    pos += 24 + nl;
    if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
    strncat(out, name, cap - strlen(out) - 2);
    strcat(out, "|");
  }
}

static bool listed(const char *list, const char *name) {
  char k[300];
  snprintf(k, sizeof k, "|%s|", name);
  char l[2100];
  snprintf(l, sizeof l, "|%s", list);
  return strstr(l, k) != NULL;
}

/* A deterministic text of n bytes. */
static char *text(size_t n, char seed) {
  char *b = malloc(n + 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++) b[i] = (char)('a' + (i * 7 + (size_t)seed) % 26);
  b[n] = 0;
  return b;
}

/* ---- tests -------------------------------------------------------------------- */

static void write_new(const char *p, const char *data) {
  uint32_t fd;
  assert_int_equal(g_open(p, TW_WO_CREAT | TW_WO_TRUNC, &fd), 0);
  assert_int_equal(g_write(fd, data), 0);
  assert_int_equal(g_close(fd), 0);
}

static void t_roundtrip_ciphertext(void **state) {
  (void)state;
  const char *secret = "TOP SECRET: the launch code is 0000, do not tell";
  run(KEY1);
  write_new("note.txt", secret);
  char *big = text(20000, 3);
  write_new("big.txt", big);
  run_end();
  /* the host sees whole nodes of ciphertext only */
  size_t n;
  uint8_t *h = hread_all("note.txt", &n);
  assert_int_equal(n % 4096, 0);
  assert_false(contains(h, n, "SECRET"));
  assert_false(contains(h, n, "launch code"));
  free(h);
  h = hread_all("big.txt", &n);
  assert_false(contains(h, n, "hovcjqxelszgnu")); /* a run of the text */
  assert_true(n >= 20000);
  free(h);
  assert_true(hexists(".twine-anchors"));
  assert_true(hexists(".twine-anchors.ctr"));

  /* a second run with the same key reads it back */
  run(KEY1);
  assert_int_equal(g_read_file("note.txt", secret), 0);
  assert_int_equal(g_read_file("big.txt", big), 0);
  uint64_t size = 0;
  uint8_t type = 0;
  assert_int_equal(g_stat_size("big.txt", &size, &type), 0);
  assert_int_equal(size, 20000);
  assert_int_equal(type, TW_WFT_REG);
  uint32_t fd;
  assert_int_equal(g_open("note.txt", 0, &fd), 0);
  assert_int_equal(g_fstat_size(fd, &size), 0);
  assert_int_equal(size, strlen(secret));
  assert_int_equal(g_close(fd), 0);
  run_end();
  free(big);
}

static void t_wrong_key(void **state) {
  (void)state;
  run(KEY1);
  write_new("a.txt", "alpha");
  run_end();
  /* the mount's anchor manifest is under KEY1: a clear error at setup */
  tw_err err;
  memset(&err, 0, sizeof err);
  assert_int_equal(run_start(KEY2, TW_WASI_ANCHORS_PERSISTENT, &err),
                   TWINE_ERR_IO);
  assert_non_null(strstr(err.msg, "WRONG_KEY"));
  /* with process anchors the mount opens, the file does not: EACCES */
  assert_int_equal(run_start(KEY2, TW_WASI_ANCHORS_PROCESS, &err), TWINE_OK);
  uint32_t fd;
  assert_int_equal(g_open_at(PRE, "a.txt", 0, TW_WR_FD_READ, 0, &fd),
                   TW_WE_ACCES);
  uint64_t size;
  assert_int_equal(g_stat_size("a.txt", &size, NULL), TW_WE_ACCES);
  run_end();
  /* and the right key still works */
  run(KEY1);
  assert_int_equal(g_read_file("a.txt", "alpha"), 0);
  run_end();
}

static void t_tamper(void **state) {
  (void)state;
  run(KEY1);
  write_new("small.txt", "inline data in the header");
  char *big = text(30000, 5);
  write_new("big.txt", big);
  run_end();
  /* a flipped byte in the header's encrypted part: open fails */
  hflip("small.txt", 300);
  /* a flipped byte in data node 1 (logical 4096..8191, physical node 3):
   * the header verifies, reading that node fails */
  hflip("big.txt", 3 * 4096 + 100);
  run(KEY1);
  uint32_t fd, got;
  assert_int_equal(g_open_at(PRE, "small.txt", 0, TW_WR_FD_READ, 0, &fd),
                   TW_WE_IO);
  assert_int_equal(g_open_at(PRE, "big.txt", 0, TW_WR_FD_READ | TW_WR_FD_SEEK,
                             0, &fd), 0);
  assert_int_equal(g_read(fd, 4096, 0, &got), 0); /* node 0 is intact */
  assert_int_equal(got, 4096);
  assert_memory_equal(gmem(A_BUF), big, 4096);
  assert_int_equal(g_read(fd, 100, 5000, &got), TW_WE_IO);
  g_close(fd);
  run_end();
  free(big);
}

static void t_rollback(void **state) {
  (void)state;
  run(KEY1);
  write_new("f.txt", "version one");
  run_end();
  size_t n1;
  uint8_t *old = hread_all("f.txt", &n1);
  run(KEY1);
  write_new("f.txt", "version two, newer");
  write_new("gone.txt", "to be deleted");
  run_end();
  size_t n2;
  uint8_t *gone = hread_all("gone.txt", &n2);
  run(KEY1);
  assert_int_equal(g_path1(tw_wasi_fn_path_unlink_file, "gone.txt"), 0);
  assert_false(hexists("gone.txt"));
  run_end();
  /* the host puts back older copies: both are rollbacks (EIO), detected
   * across runs by the persistent anchors */
  hwrite_all("f.txt", old, n1);
  hwrite_all("gone.txt", gone, n2);
  run(KEY1);
  uint32_t fd;
  assert_int_equal(g_open_at(PRE, "f.txt", 0, TW_WR_FD_READ, 0, &fd),
                   TW_WE_IO);
  assert_int_equal(g_open_at(PRE, "gone.txt", 0, TW_WR_FD_READ, 0, &fd),
                   TW_WE_IO);
  run_end();
  free(old);
  free(gone);
}

static void t_swap_paths(void **state) {
  (void)state;
  run(KEY1);
  write_new("a.txt", "content of a");
  write_new("b.txt", "content of b");
  run_end();
  char pa[512], pb[512], pt[512];
  hpath(pa, sizeof pa, "a.txt");
  hpath(pb, sizeof pb, "b.txt");
  hpath(pt, sizeof pt, "t");
  assert_int_equal(rename(pa, pt), 0);
  assert_int_equal(rename(pb, pa), 0);
  assert_int_equal(rename(pt, pb), 0);
  run(KEY1);
  uint32_t fd;
  assert_int_equal(g_open_at(PRE, "a.txt", 0, TW_WR_FD_READ, 0, &fd),
                   TW_WE_IO);
  run_end();
}

static void t_file_ops(void **state) {
  (void)state;
  run(KEY1);
  uint32_t fd, got;
  uint64_t size, pos;
  assert_int_equal(g_open("f", TW_WO_CREAT | TW_WO_EXCL, &fd), 0);
  assert_int_equal(g_open("f", TW_WO_CREAT | TW_WO_EXCL, NULL), TW_WE_EXIST);
  assert_int_equal(g_write(fd, "hello world"), 0);
  /* pwrite past the end leaves a hole of zeros */
  uint32_t done;
  assert_int_equal(g_write_n(fd, "XYZ", 3, 10000, &done), 0);
  assert_int_equal(done, 3);
  assert_int_equal(g_fstat_size(fd, &size), 0);
  assert_int_equal(size, 10003);
  assert_int_equal(g_read(fd, 16, 9998, &got), 0);
  assert_int_equal(got, 5);
  assert_memory_equal(gmem(A_BUF), "\0\0XYZ", 5);
  /* seek and tell */
  uint64_t sa[4] = {fd, 6, 0, A_OUT + 32};
  assert_int_equal(tw_wasi_fn_fd_seek(&F->c, sa), 0);
  assert_int_equal(g64(A_OUT + 32), 6);
  assert_int_equal(g_read(fd, 5, -1, &got), 0);
  assert_memory_equal(gmem(A_BUF), "world", 5);
  uint64_t ta[2] = {fd, A_OUT + 32};
  assert_int_equal(tw_wasi_fn_fd_tell(&F->c, ta), 0);
  pos = g64(A_OUT + 32);
  assert_int_equal(pos, 11);
  /* truncate, sync, datasync, allocate, advise */
  uint64_t ts[2] = {fd, 5};
  assert_int_equal(tw_wasi_fn_fd_filestat_set_size(&F->c, ts), 0);
  uint64_t s1[1] = {fd};
  assert_int_equal(tw_wasi_fn_fd_sync(&F->c, s1), 0);
  assert_int_equal(tw_wasi_fn_fd_datasync(&F->c, s1), 0);
  assert_int_equal(g_fstat_size(fd, &size), 0);
  assert_int_equal(size, 5);
  uint64_t al[3] = {fd, 0, 8192};
  assert_int_equal(tw_wasi_fn_fd_allocate(&F->c, al), 0);
  assert_int_equal(g_fstat_size(fd, &size), 0);
  assert_int_equal(size, 8192);
  uint64_t ad[4] = {fd, 0, 100, 1};
  assert_int_equal(tw_wasi_fn_fd_advise(&F->c, ad), 0);
  uint64_t st[4] = {fd, 1, 1, TW_WST_MTIM};
  assert_int_equal(tw_wasi_fn_fd_filestat_set_times(&F->c, st), TW_WE_NOTSUP);
  assert_int_equal(tw_wasi_fn_fd_filestat_set_size(&F->c, ts), 0);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_read_file("f", "hello"), 0);

  /* append (at open, and toggled with fd_fdstat_set_flags) */
  assert_int_equal(g_open_at(PRE, "f", 0, FILE_ALL, TW_WFD_APPEND, &fd), 0);
  assert_int_equal(g_write(fd, " there"), 0);
  uint64_t fa[2] = {fd, A_OUT + 32};
  assert_int_equal(tw_wasi_fn_fd_fdstat_get(&F->c, fa), 0);
  assert_int_equal(tw_wasi_rd16(gmem(A_OUT + 34)), TW_WFD_APPEND);
  assert_int_equal(gmem(A_OUT + 32)[0], TW_WFT_REG);
  uint64_t sf[2] = {fd, 0};
  assert_int_equal(tw_wasi_fn_fd_fdstat_set_flags(&F->c, sf), 0);
  uint64_t s0[4] = {fd, 0, 0, A_OUT + 32};
  assert_int_equal(tw_wasi_fn_fd_seek(&F->c, s0), 0);
  assert_int_equal(g_write(fd, "J"), 0);
  uint64_t sync[2] = {fd, TW_WFD_SYNC};
  assert_int_equal(tw_wasi_fn_fd_fdstat_set_flags(&F->c, sync), TW_WE_NOTSUP);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_read_file("f", "Jello there"), 0);

  /* O_TRUNC; read-only descriptors cannot write */
  assert_int_equal(g_open("f", TW_WO_TRUNC, &fd), 0);
  assert_int_equal(g_fstat_size(fd, &size), 0);
  assert_int_equal(size, 0);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_open_at(PRE, "f", 0, TW_WR_FD_READ, 0, &fd), 0);
  assert_int_equal(g_write(fd, "x"), TW_WE_NOTCAPABLE);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_open("missing", 0, NULL), TW_WE_NOENT);

  /* renumber over a protected file closes it */
  uint32_t f1, f2;
  assert_int_equal(g_open("r1", TW_WO_CREAT, &f1), 0);
  assert_int_equal(g_write(f1, "one"), 0);
  assert_int_equal(g_open("r2", TW_WO_CREAT, &f2), 0);
  uint64_t rn[2] = {f1, f2};
  assert_int_equal(tw_wasi_fn_fd_renumber(&F->c, rn), 0);
  assert_int_equal(g_write(f2, "+more"), 0);
  assert_int_equal(g_close(f2), 0);
  assert_int_equal(g_read_file("r1", "one+more"), 0);
  run_end();
  /* everything survives a new run */
  run(KEY1);
  assert_int_equal(g_read_file("f", ""), 0);
  assert_int_equal(g_read_file("r1", "one+more"), 0);
  run_end();
}

static void t_names(void **state) {
  (void)state;
  run(KEY1);
  assert_int_equal(g_path1(tw_wasi_fn_path_create_directory, "d"), 0);
  write_new("d/inner.txt", "inside d");
  write_new("top.txt", "at the top");
  /* a descriptor of the subdirectory: same logical path */
  uint32_t dfd, fd;
  assert_int_equal(g_open_at(PRE, "d", TW_WO_DIRECTORY,
                             TW_WR_DIRECTORY_BASE, 0, &dfd), 0);
  assert_int_equal(g_open_at(dfd, "inner.txt", 0, TW_WR_FD_READ, 0, &fd), 0);
  uint32_t got;
  assert_int_equal(g_read(fd, 100, -1, &got), 0);
  assert_memory_equal(gmem(A_BUF), "inside d", 8);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_open_at(dfd, "new.txt", TW_WO_CREAT, FILE_ALL, 0, &fd),
                   0);
  assert_int_equal(g_write(fd, "via dirfd"), 0);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_read_file("d/new.txt", "via dirfd"), 0);
  assert_int_equal(g_read_file("d/../top.txt", "at the top"), 0);

  /* rename re-binds; the old name is gone; unlink */
  assert_int_equal(g_rename("top.txt", "d/moved.txt"), 0);
  assert_int_equal(g_read_file("d/moved.txt", "at the top"), 0);
  assert_int_equal(g_open("top.txt", 0, NULL), TW_WE_NOENT);
  assert_int_equal(g_rename("d/moved.txt", "d/moved.txt"), 0);
  assert_int_equal(g_path1(tw_wasi_fn_path_unlink_file, "d/new.txt"), 0);
  assert_int_equal(g_open("d/new.txt", 0, NULL), TW_WE_NOENT);
  /* renaming a directory, links and symlinks are refused */
  assert_int_equal(g_rename("d", "e"), TW_WE_NOTSUP);
  uint64_t n1 = gstr(A_STR1, "d/moved.txt"), n2 = gstr(A_STR2, "l");
  uint64_t la[7] = {PRE, 0, A_STR1, n1, PRE, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_link(&F->c, la), TW_WE_NOTSUP);
  uint64_t sa[5] = {A_STR1, n1, PRE, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_symlink(&F->c, sa), TW_WE_NOTSUP);

  /* journals and anchor files are hidden and out of reach */
  char list[2048];
  g_list(PRE, list, sizeof list);
  assert_true(listed(list, "d"));
  assert_false(listed(list, ".twine-anchors"));
  assert_false(listed(list, ".twine-anchors.ctr"));
  assert_true(hexists(".twine-anchors"));
  hwrite_all("d/moved.txt.pfsj", (const uint8_t *)"", 0); /* a stale one */
  g_list(dfd, list, sizeof list);
  assert_true(listed(list, "moved.txt"));
  assert_true(listed(list, "inner.txt"));
  assert_false(listed(list, "moved.txt.pfsj"));
  assert_int_equal(g_open(".twine-anchors", 0, NULL), TW_WE_PERM);
  assert_int_equal(g_open(".twine-anchors.ctr", TW_WO_CREAT, NULL),
                   TW_WE_PERM);
  assert_int_equal(g_open("x.pfsj", TW_WO_CREAT, NULL), TW_WE_PERM);
  assert_int_equal(g_path1(tw_wasi_fn_path_unlink_file, ".twine-anchors"),
                   TW_WE_PERM);
  assert_int_equal(g_path1(tw_wasi_fn_path_create_directory, "y.pfsj"),
                   TW_WE_PERM);
  assert_int_equal(g_rename("d/inner.txt", "z.pfsj"), TW_WE_PERM);
  uint64_t size;
  assert_int_equal(g_stat_size(".twine-anchors", &size, NULL), TW_WE_PERM);
  /* directories stay plain */
  uint8_t type;
  assert_int_equal(g_stat_size("d", &size, &type), 0);
  assert_int_equal(type, TW_WFT_DIR);
  assert_int_equal(g_path1(tw_wasi_fn_path_remove_directory, "d"),
                   TW_WE_NOTEMPTY);
  assert_int_equal(g_close(dfd), 0);
  run_end();
}

static void t_second_instance_busy(void **state) {
  (void)state;
  run(KEY1);
  write_new("a", "x");
  tw_wasi *first = F->w;
  tw_err err;
  memset(&err, 0, sizeof err);
  /* the manifest is locked by the first instance */
  assert_int_equal(run_start(KEY1, TW_WASI_ANCHORS_PERSISTENT, &err),
                   TWINE_ERR_IO);
  assert_non_null(strstr(err.msg, "EBUSY"));
  F->w = first;
  F->c.w = first;
  /* the guest closing its preopen does not break the mount */
  assert_int_equal(g_open("b", TW_WO_CREAT, NULL), 0);
  assert_int_equal(g_close(PRE), 0);
  run_end();
  run(KEY1);
  assert_int_equal(g_read_file("a", "x"), 0);
  run_end();
}

static void t_lock_call(void **state) {
  (void)state;
  run(KEY1);
  write_new("lk", "");
  tw_hc *hc = tw_wasi_boundary(F->w);
  uint32_t root = F->w->fds[PRE].handle, h1, h2;
  assert_int_equal(tw_hc_open_at(hc, root, "lk", 2, TW_HO_READ | TW_HO_WRITE,
                                 &h1), 0);
  assert_int_equal(tw_hc_open_at(hc, root, "lk", 2, TW_HO_READ, &h2), 0);
  assert_int_equal(tw_hc_lock(hc, h1, 2), 0);
  assert_int_equal(tw_hc_lock(hc, h2, 1), TW_WE_AGAIN);
  assert_int_equal(tw_hc_lock(hc, h1, 0), 0);
  assert_int_equal(tw_hc_lock(hc, h2, 1), 0);
  assert_int_equal(tw_hc_lock(hc, h1, 1), 0); /* shared + shared */
  assert_int_equal(tw_hc_lock(hc, h1, 3), TW_WE_INVAL); /* refused here */
  tw_hc_close(hc, h1);
  tw_hc_close(hc, h2);
  run_end();
}

/* A host that answers lock with a result field (the call has none) or an
 * errno outside the contract: both are violations (TW_HE_HOST), and a
 * protected file read through a host that flips the bytes of every pread
 * fails with EIO. */
static int lie_mode;
static tw_host_iface real_iface;
static int liar_call(void *ctx, const tw_hc_req *q, const uint8_t *qp,
                     tw_hc_rep *rep, uint8_t *out, size_t cap) {
  if (lie_mode == 2) { /* forward, flipping the bytes pread returns */
    int rc = real_iface.call(real_iface.ctx, q, qp, rep, out, cap);
    if (q->call == TW_HCN_pread)
      for (uint32_t i = 0; i < rep->len && i < cap; i++) out[i] ^= 0x5A;
    return rc;
  }
  (void)ctx;
  (void)qp;
  (void)out;
  (void)cap;
  memset(rep, 0, sizeof *rep);
  if (lie_mode == 0) rep->r[0] = 1;
  else rep->err = 0x7777;
  return 0;
}

static void t_lying_host(void **state) {
  (void)state;
  tw_host_iface lie = {TW_HC_VERSION, NULL, liar_call};
  tw_hc *hc = tw_hc_new(&lie);
  assert_non_null(hc);
  assert_true(tw_hc_adopt(hc, 5));
  lie_mode = 0;
  assert_int_equal(tw_hc_lock(hc, 5, 2), TW_HE_HOST);
  lie_mode = 1;
  assert_int_equal(tw_hc_lock(hc, 5, 1), TW_HE_HOST);
  assert_int_equal(tw_hc_violations(hc), 2);
  tw_hc_free(hc);

  run(KEY1);
  char *big = text(10000, 9);
  write_new("f", big);
  real_iface = F->iface;
  lie_mode = 2;
  tw_host_iface flip = {TW_HC_VERSION, NULL, liar_call};
  tw_hc_set_iface(tw_wasi_boundary(F->w), &flip);
  uint32_t fd;
  assert_int_equal(g_open_at(PRE, "f", 0, TW_WR_FD_READ, 0, &fd), TW_WE_IO);
  tw_hc_set_iface(tw_wasi_boundary(F->w), &F->iface);
  assert_int_equal(g_read_file("f", big), 0);
  run_end();
  free(big);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(t_roundtrip_ciphertext, setup, teardown),
      cmocka_unit_test_setup_teardown(t_wrong_key, setup, teardown),
      cmocka_unit_test_setup_teardown(t_tamper, setup, teardown),
      cmocka_unit_test_setup_teardown(t_rollback, setup, teardown),
      cmocka_unit_test_setup_teardown(t_swap_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(t_file_ops, setup, teardown),
      cmocka_unit_test_setup_teardown(t_names, setup, teardown),
      cmocka_unit_test_setup_teardown(t_second_instance_busy, setup, teardown),
      cmocka_unit_test_setup_teardown(t_lock_call, setup, teardown),
      cmocka_unit_test_setup_teardown(t_lying_host, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

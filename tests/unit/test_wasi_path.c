/*
 * test_wasi_path.c - unit tests of the path_* calls (wasi_pathops.c),
 * fd_readdir (wasi_readdir.c) and the trusted path resolver (wasi_path.c).
 *
 * Each test builds a real tw_wasi over the POSIX host in a fresh temporary
 * directory: <tmp>/sandbox is preopened as guest fd 3 ("/sandbox"),
 * <tmp>/outside holds a file the guest must never reach. The tw_wasi_fn_*
 * functions are called directly with a one-page guest memory made through
 * the public API; the test checks results on the real file system with
 * plain POSIX calls (it is the untrusted side).
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

#include "host/posix.h"
#include "wasi/wasi_int.h"

#define PRE 3u            /* the preopened sandbox */
#define MEM_SIZE 65536u   /* one page */
#define A_STR1 4096u      /* guest address of the first path argument */
#define A_STR2 8192u      /* second path argument */
#define A_OUT 64u         /* small outputs (fd, size, filestat) */
#define A_BUF 16384u      /* readdir / readlink buffers */
#define BUF_MAX 32768u

typedef struct fx {
  char root[64];
  char sandbox[96];
  char outside[96];
  tw_host_posix *host;
  tw_host_iface iface;
  tw_wasi *w;
  twine_engine_t *engine;
  twine_store_t *store;
  twine_memory_t *mem;
  tw_wasi_call c;
} fx;

static fx *F; /* the current test's fixture (helpers below use it) */

/* ---- host-side helpers (plain POSIX in the temp dir) ---------------------- */

static void hpath(char *out, size_t cap, const char *rel) {
  snprintf(out, cap, "%s/%s", F->sandbox, rel);
}

static void hmkdir(const char *rel) {
  char p[512];
  hpath(p, sizeof p, rel);
  assert_int_equal(mkdir(p, 0777), 0);
}

static void hwrite(const char *rel, const char *data) {
  char p[512];
  hpath(p, sizeof p, rel);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  assert_true(fd >= 0);
  size_t n = strlen(data);
  assert_int_equal(write(fd, data, n), (ssize_t)n);
  close(fd);
}

static void hsymlink(const char *target, const char *rel) {
  char p[512];
  hpath(p, sizeof p, rel);
  assert_int_equal(symlink(target, p), 0);
}

static bool hexists(const char *rel) {
  char p[512];
  struct stat st;
  hpath(p, sizeof p, rel);
  return lstat(p, &st) == 0;
}

static struct stat hlstat(const char *rel) {
  char p[512];
  struct stat st;
  hpath(p, sizeof p, rel);
  assert_int_equal(lstat(p, &st), 0);
  return st;
}

static void rm_rf(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

/* ---- fixture -------------------------------------------------------------- */

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->root, sizeof f->root, "/tmp/tw_wasi_path_XXXXXX");
  if (!mkdtemp(f->root)) return -1;
  snprintf(f->sandbox, sizeof f->sandbox, "%s/sandbox", f->root);
  snprintf(f->outside, sizeof f->outside, "%s/outside", f->root);
  if (mkdir(f->sandbox, 0777) || mkdir(f->outside, 0777)) return -1;
  char secret[160];
  snprintf(secret, sizeof secret, "%s/secret", f->outside);
  FILE *fp = fopen(secret, "w");
  if (!fp) return -1;
  fputs("secret", fp);
  fclose(fp);

  f->host = tw_host_posix_new();
  if (!f->host) return -1;
  f->iface = tw_host_posix_iface(f->host);
  uint32_t h;
  char msg[128];
  if (tw_host_posix_open_dir(f->host, f->sandbox, &h, msg, sizeof msg))
    return -1;
  tw_wasi_preopen pre = {TW_WASI_PRE_DIR, h, "/sandbox"};
  tw_wasi_setup s = {0};
  s.iface = &f->iface;
  s.npreopens = 1;
  s.preopens = &pre;
  tw_err err;
  if (tw_wasi_new(&s, &f->w, &err) != TWINE_OK) return -1;
  if (twine_engine_new(NULL, &f->engine) != TWINE_OK) return -1;
  if (twine_store_new(f->engine, &f->store) != TWINE_OK) return -1;
  twine_limits_t lim = {1, 1, true};
  if (twine_memory_new(f->store, lim, &f->mem) != TWINE_OK) return -1;
  f->c = (tw_wasi_call){f->w, NULL, f->mem, false, 0};
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
  rm_rf(f->root);
  free(f);
  F = NULL;
  return 0;
}

/* ---- guest-side helpers ---------------------------------------------------- */

static uint8_t *gmem(uint64_t addr) { return twine_memory_data(F->mem) + addr; }

static uint64_t gstr(uint64_t addr, const char *s) {
  size_t n = strlen(s);
  memcpy(gmem(addr), s, n);
  return n;
}

static uint32_t g32(uint64_t addr) { return tw_wasi_rd32(gmem(addr)); }
static uint64_t g64(uint64_t addr) { return tw_wasi_rd64(gmem(addr)); }

static tw_wasi_errno g_open(uint32_t dir, uint64_t look, const char *p,
                            uint64_t of, uint64_t base, uint64_t inh,
                            uint64_t fdf, uint32_t *fd) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[9] = {dir, look, A_STR1, n, of, base, inh, fdf, A_OUT};
  memset(gmem(A_OUT), 0xEE, 4);
  tw_wasi_errno e = tw_wasi_fn_path_open(&F->c, a);
  if (fd) *fd = e ? UINT32_MAX : g32(A_OUT);
  return e;
}

#define RW (TW_WR_FD_READ | TW_WR_FD_WRITE)
#define FILE_ALL TW_WR_REGULAR_FILE_BASE

/* open a file for reading and writing, following symlinks */
static tw_wasi_errno g_openf(const char *p, uint64_t of, uint32_t *fd) {
  return g_open(PRE, TW_WL_SYMLINK_FOLLOW, p, of, FILE_ALL, 0, 0, fd);
}

static tw_wasi_errno g_close(uint32_t fd) {
  uint64_t a[1] = {fd};
  return tw_wasi_fn_fd_close(&F->c, a);
}

static tw_wasi_errno g_path1(tw_wasi_impl fn, uint32_t dir, const char *p) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[3] = {dir, A_STR1, n};
  return fn(&F->c, a);
}

static tw_wasi_errno g_mkdir(const char *p) {
  return g_path1(tw_wasi_fn_path_create_directory, PRE, p);
}
static tw_wasi_errno g_unlink(const char *p) {
  return g_path1(tw_wasi_fn_path_unlink_file, PRE, p);
}
static tw_wasi_errno g_rmdir(const char *p) {
  return g_path1(tw_wasi_fn_path_remove_directory, PRE, p);
}

static tw_wasi_errno g_rename(const char *p1, const char *p2) {
  uint64_t n1 = gstr(A_STR1, p1), n2 = gstr(A_STR2, p2);
  uint64_t a[6] = {PRE, A_STR1, n1, PRE, A_STR2, n2};
  return tw_wasi_fn_path_rename(&F->c, a);
}

static tw_wasi_errno g_link(uint64_t flags, const char *p1, const char *p2) {
  uint64_t n1 = gstr(A_STR1, p1), n2 = gstr(A_STR2, p2);
  uint64_t a[7] = {PRE, flags, A_STR1, n1, PRE, A_STR2, n2};
  return tw_wasi_fn_path_link(&F->c, a);
}

static tw_wasi_errno g_symlink(const char *target, const char *p) {
  uint64_t n1 = gstr(A_STR1, target), n2 = gstr(A_STR2, p);
  uint64_t a[5] = {A_STR1, n1, PRE, A_STR2, n2};
  return tw_wasi_fn_path_symlink(&F->c, a);
}

/* stat into A_OUT; returns the errno, *type / *size / *ino on success */
static tw_wasi_errno g_stat(uint32_t dir, uint64_t flags, const char *p,
                            uint8_t *type) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[5] = {dir, flags, A_STR1, n, A_OUT};
  memset(gmem(A_OUT), 0xEE, TW_WSZ_FILESTAT);
  tw_wasi_errno e = tw_wasi_fn_path_filestat_get(&F->c, a);
  if (type) *type = e ? 0xFF : gmem(A_OUT)[16];
  return e;
}

static tw_wasi_errno g_readlink(const char *p, uint64_t buflen,
                                uint32_t *used) {
  uint64_t n = gstr(A_STR1, p);
  uint64_t a[6] = {PRE, A_STR1, n, A_BUF, buflen, A_OUT};
  memset(gmem(A_BUF), 0, 64);
  tw_wasi_errno e = tw_wasi_fn_path_readlink(&F->c, a);
  if (used) *used = e ? UINT32_MAX : g32(A_OUT);
  return e;
}

static tw_wasi_errno g_write(uint32_t fd, const char *data) {
  uint64_t n = gstr(A_STR2, data);
  tw_wasi_le32(gmem(A_OUT + 8), A_STR2);
  tw_wasi_le32(gmem(A_OUT + 12), (uint32_t)n);
  uint64_t a[4] = {fd, A_OUT + 8, 1, A_OUT};
  return tw_wasi_fn_fd_write(&F->c, a);
}

static uint64_t g_fdstat_base(uint32_t fd, uint64_t *inh, uint16_t *flags) {
  uint64_t a[2] = {fd, A_OUT};
  assert_int_equal(tw_wasi_fn_fd_fdstat_get(&F->c, a), 0);
  if (inh) *inh = g64(A_OUT + 16);
  if (flags) *flags = tw_wasi_rd16(gmem(A_OUT + 2));
  return g64(A_OUT + 8);
}

static void g_set_rights(uint32_t fd, uint64_t base, uint64_t inh) {
  uint64_t a[3] = {fd, base, inh};
  assert_int_equal(tw_wasi_fn_fd_fdstat_set_rights(&F->c, a), 0);
}

/* ---- path_open ---------------------------------------------------------------- */

static void test_open_create_write(void **state) {
  (void)state;
  uint32_t fd;
  assert_int_equal(g_openf("f", TW_WO_CREAT, &fd), 0);
  assert_true(fd != PRE); /* stdio is not open: fd 0 is the lowest free */
  assert_int_equal(g_write(fd, "hello"), 0);
  assert_int_equal(g32(A_OUT), 5);
  assert_int_equal(hlstat("f").st_size, 5);
  /* rights: the request reduced to what a regular file may hold */
  uint64_t inh;
  uint64_t base = g_fdstat_base(fd, &inh, NULL);
  assert_true(base == FILE_ALL);
  assert_true(inh == 0);
  assert_int_equal(g_close(fd), 0);
  /* EXCL on an existing file */
  assert_int_equal(g_openf("f", TW_WO_CREAT | TW_WO_EXCL, &fd), TW_WE_EXIST);
  /* TRUNC */
  assert_int_equal(g_openf("f", TW_WO_TRUNC, &fd), 0);
  assert_int_equal(hlstat("f").st_size, 0);
  assert_int_equal(g_close(fd), 0);
  /* missing file without CREAT */
  assert_int_equal(g_openf("nope", 0, &fd), TW_WE_NOENT);
  assert_int_equal(g_openf("nodir/f", TW_WO_CREAT, &fd), TW_WE_NOENT);
  /* APPEND: writes go to the end, fdstat reports the flag */
  hwrite("ap", "abc");
  assert_int_equal(g_open(PRE, 0, "ap", 0, FILE_ALL, 0, TW_WFD_APPEND, &fd),
                   0);
  uint16_t fl;
  g_fdstat_base(fd, NULL, &fl);
  assert_true(fl & TW_WFD_APPEND);
  assert_int_equal(g_write(fd, "de"), 0);
  assert_int_equal(hlstat("ap").st_size, 5);
  assert_int_equal(g_close(fd), 0);
  /* NONBLOCK and DSYNC pass through */
  assert_int_equal(g_open(PRE, 0, "ap", 0, FILE_ALL, 0,
                          TW_WFD_NONBLOCK | TW_WFD_DSYNC, &fd),
                   0);
  g_fdstat_base(fd, NULL, &fl);
  assert_true(fl & TW_WFD_NONBLOCK);
  assert_true(fl & TW_WFD_DSYNC);
  assert_int_equal(g_close(fd), 0);
  /* "." opens the directory itself */
  assert_int_equal(g_open(PRE, 0, ".", TW_WO_DIRECTORY,
                          TW_WR_DIRECTORY_BASE, TW_WR_DIRECTORY_INHERITING, 0,
                          &fd),
                   0);
  assert_int_equal(g_close(fd), 0);
}

static void test_open_rights(void **state) {
  (void)state;
  hwrite("f", "data");
  hmkdir("d");
  uint32_t d, fd;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  uint64_t inh;
  assert_true(g_fdstat_base(d, &inh, NULL) == TW_WR_DIRECTORY_BASE);
  assert_true(inh == TW_WR_DIRECTORY_INHERITING);
  /* missing PATH_OPEN, PATH_CREATE_FILE, PATH_FILESTAT_SET_SIZE */
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_CREATE_FILE,
               TW_WR_DIRECTORY_INHERITING);
  hwrite("d/x", "1234");
  assert_int_equal(g_open(d, 0, "x", TW_WO_CREAT, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  g_set_rights(d, TW_WR_PATH_OPEN, TW_WR_DIRECTORY_INHERITING);
  assert_int_equal(g_open(d, 0, "x", TW_WO_TRUNC, FILE_ALL, 0, 0, &fd),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(hlstat("d/x").st_size, 4);
  /* requested rights beyond the directory's inheriting rights */
  g_set_rights(d, TW_WR_PATH_OPEN, TW_WR_FD_READ | TW_WR_FD_SEEK);
  assert_int_equal(g_open(d, 0, "x", 0, RW, 0, 0, &fd), TW_WE_NOTCAPABLE);
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, TW_WR_FD_WRITE, 0, &fd),
                   TW_WE_NOTCAPABLE);
  /* DSYNC needs FD_DATASYNC, SYNC needs FD_SYNC */
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, 0, TW_WFD_DSYNC, &fd),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, 0, TW_WFD_SYNC, &fd),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd), 0);
  assert_true(g_fdstat_base(fd, NULL, NULL) == TW_WR_FD_READ);
  assert_int_equal(g_write(fd, "no"), TW_WE_NOTCAPABLE);
  assert_int_equal(g_close(fd), 0);
  g_set_rights(d, 0, 0);
  assert_int_equal(g_open(d, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(g_close(d), 0);

  /* without FD_WRITE the file is opened read-only: a size change through
   * FD_FILESTAT_SET_SIZE fails on the host */
  assert_int_equal(g_open(PRE, 0, "f", 0,
                          TW_WR_FD_READ | TW_WR_FD_FILESTAT_SET_SIZE, 0, 0,
                          &fd),
                   0);
  uint64_t a[2] = {fd, 0};
  assert_int_not_equal(tw_wasi_fn_fd_filestat_set_size(&F->c, a), 0);
  assert_int_equal(hlstat("f").st_size, 4);
  assert_int_equal(g_close(fd), 0);
  /* with FD_WRITE it works */
  assert_int_equal(g_open(PRE, 0, "f", 0,
                          TW_WR_FD_WRITE | TW_WR_FD_FILESTAT_SET_SIZE, 0, 0,
                          &fd),
                   0);
  a[0] = fd;
  assert_int_equal(tw_wasi_fn_fd_filestat_set_size(&F->c, a), 0);
  assert_int_equal(hlstat("f").st_size, 0);
  assert_int_equal(g_close(fd), 0);

  /* unknown flag bits */
  assert_int_equal(g_open(PRE, 2, "f", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_INVAL);
  assert_int_equal(g_open(PRE, 0, "f", 16, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_INVAL);
  assert_int_equal(g_open(PRE, 0, "f", 0, TW_WR_FD_READ, 0, 32, &fd),
                   TW_WE_INVAL);
  assert_int_equal(g_open(PRE, 0, "f", 0, UINT64_C(1) << 40, 0, 0, &fd),
                   TW_WE_INVAL);
}

static void test_open_dirs(void **state) {
  (void)state;
  hwrite("f", "data");
  hmkdir("d");
  uint32_t fd, ffd;
  assert_int_equal(g_open(PRE, 0, "f", TW_WO_DIRECTORY, TW_WR_FD_READ, 0, 0,
                          &fd),
                   TW_WE_NOTDIR);
  assert_int_equal(g_open(PRE, 0, "f/", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_NOTDIR);
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY | TW_WO_CREAT,
                          TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_INVAL);
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY | TW_WO_TRUNC,
                          TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_INVAL);
  assert_int_equal(g_openf("new/", TW_WO_CREAT, &fd), TW_WE_ISDIR);
  assert_false(hexists("new"));
  assert_int_equal(g_openf(".", TW_WO_CREAT, &fd), TW_WE_ISDIR);
  /* a directory without O_DIRECTORY, read-only: fine, type DIR, dir rights */
  assert_int_equal(g_open(PRE, 0, "d", 0, TW_WR_FD_READDIR | TW_WR_FD_READ, 0,
                          0, &fd),
                   0);
  assert_true(g_fdstat_base(fd, NULL, NULL) == TW_WR_FD_READDIR);
  assert_int_equal(gmem(A_OUT)[0], TW_WFT_DIR);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_open(PRE, 0, "d/", 0, TW_WR_FD_READDIR, 0, 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  /* a directory for writing */
  assert_int_equal(g_open(PRE, 0, "d", 0, RW, 0, 0, &fd), TW_WE_ISDIR);
  /* the dirfd: a file (ENOTDIR), unknown (EBADF), closed (EBADF) */
  assert_int_equal(g_openf("f", 0, &ffd), 0);
  assert_int_equal(g_open(ffd, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_NOTDIR);
  assert_int_equal(g_path1(tw_wasi_fn_path_create_directory, ffd, "x"),
                   TW_WE_NOTDIR);
  assert_int_equal(g_close(ffd), 0);
  assert_int_equal(g_open(ffd, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_BADF);
  assert_int_equal(g_open(77, 0, "x", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_BADF);
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  assert_int_equal(g_close(d), 0);
  assert_int_equal(g_path1(tw_wasi_fn_path_create_directory, d, "x"),
                   TW_WE_BADF);
  assert_int_equal(g_path1(tw_wasi_fn_path_unlink_file, d, "x"), TW_WE_BADF);
}

static void test_open_symlinks(void **state) {
  (void)state;
  hwrite("f", "data");
  hmkdir("d");
  hsymlink("f", "l");
  hsymlink("d", "ld");
  hsymlink("target-new", "dangling");
  uint32_t fd;
  /* nofollow on a symlink: ELOOP; follow: the file */
  assert_int_equal(g_open(PRE, 0, "l", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_LOOP);
  assert_int_equal(g_open(PRE, TW_WL_SYMLINK_FOLLOW, "l", 0, TW_WR_FD_READ, 0,
                          0, &fd),
                   0);
  assert_int_equal(g_close(fd), 0);
  /* a trailing slash follows even without SYMLINK_FOLLOW */
  assert_int_equal(g_open(PRE, 0, "ld/", 0, TW_WR_FD_READDIR, 0, 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_open(PRE, 0, "l/", 0, TW_WR_FD_READ, 0, 0, &fd),
                   TW_WE_NOTDIR);
  /* symlinks in the middle are always followed */
  hwrite("d/in", "x");
  assert_int_equal(g_open(PRE, 0, "ld/in", 0, TW_WR_FD_READ, 0, 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  /* CREAT|EXCL never follows: a dangling symlink is EEXIST */
  assert_int_equal(g_openf("dangling", TW_WO_CREAT | TW_WO_EXCL, &fd),
                   TW_WE_EXIST);
  assert_false(hexists("target-new"));
  /* CREAT through a dangling symlink creates its target */
  assert_int_equal(g_openf("dangling", TW_WO_CREAT, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  assert_true(hexists("target-new"));
  /* `..` inside the sandbox */
  assert_int_equal(g_openf("d/../f", 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  assert_int_equal(g_openf("d/./../d/in", 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
}

/* ---- escapes ---------------------------------------------------------------- */

static void test_escapes(void **state) {
  (void)state;
  char abs_secret[200], abs_outside[200];
  snprintf(abs_secret, sizeof abs_secret, "%s/secret", F->outside);
  snprintf(abs_outside, sizeof abs_outside, "%s", F->outside);
  hmkdir("d");
  hmkdir("d/e");
  uint32_t fd;
  const char *bad[] = {"..",
                       "../outside/secret",
                       "d/../../outside/secret",
                       "d/e/../../..",
                       "/etc/passwd",
                       "/",
                       abs_secret};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(g_openf(bad[i], 0, &fd), TW_WE_PERM);
    assert_int_equal(g_stat(PRE, TW_WL_SYMLINK_FOLLOW, bad[i], NULL),
                     TW_WE_PERM);
  }
  /* symlinks pointing outside: absolute and relative */
  hsymlink(abs_secret, "abs");
  hsymlink("../outside/secret", "rel");
  hsymlink("../../outside", "d/up2");
  hsymlink(abs_outside, "absdir");
  const char *links[] = {"abs", "rel", "d/up2/secret", "absdir/secret",
                         "absdir/", "d/up2/"};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    assert_int_equal(g_openf(links[i], 0, &fd), TW_WE_PERM);
    assert_int_equal(g_stat(PRE, TW_WL_SYMLINK_FOLLOW, links[i], NULL),
                     TW_WE_PERM);
  }
  assert_int_equal(g_openf("absdir/newfile", TW_WO_CREAT, &fd), TW_WE_PERM);
  assert_int_equal(g_mkdir("absdir/newdir"), TW_WE_PERM);
  assert_int_equal(g_mkdir("../outside/newdir"), TW_WE_PERM);
  assert_int_equal(g_unlink("absdir/secret"), TW_WE_PERM);
  assert_int_equal(g_unlink("../outside/secret"), TW_WE_PERM);
  assert_int_equal(g_rename("rel", "../outside/moved"), TW_WE_PERM);
  assert_int_equal(g_rename("d/up2/secret", "stolen"), TW_WE_PERM);
  assert_int_equal(g_link(0, "absdir/secret", "stolen"), TW_WE_PERM);
  assert_int_equal(g_symlink("x", "../outside/l"), TW_WE_PERM);
  assert_int_equal(g_rmdir("../outside"), TW_WE_PERM);
  char p[256];
  snprintf(p, sizeof p, "%s/newdir", F->outside);
  struct stat st;
  assert_int_not_equal(lstat(p, &st), 0);
  snprintf(p, sizeof p, "%s/secret", F->outside);
  assert_int_equal(lstat(p, &st), 0);
  assert_false(hexists("stolen"));
  /* without following, the links themselves are fine to look at */
  uint8_t type;
  assert_int_equal(g_stat(PRE, 0, "abs", &type), 0);
  assert_int_equal(type, TW_WFT_SYMLINK);
  /* the path of a preopen's own parent, and `..` from a nested dir fd:
   * the lookup starts at the descriptor, so its `..` is an escape too */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  assert_int_equal(g_open(d, 0, "..", 0, TW_WR_FD_READDIR, 0, 0, &fd),
                   TW_WE_PERM);
  assert_int_equal(g_open(d, TW_WL_SYMLINK_FOLLOW, "e/../..", 0,
                          TW_WR_FD_READDIR, 0, 0, &fd),
                   TW_WE_PERM);
  assert_int_equal(g_close(d), 0);

  /* a directory swapped for a symlink between two calls */
  hmkdir("sw");
  hwrite("sw/secret", "inside");
  assert_int_equal(g_openf("sw/secret", 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  hpath(p, sizeof p, "sw");
  rm_rf(p);
  hsymlink(abs_outside, "sw");
  assert_int_equal(g_openf("sw/secret", 0, &fd), TW_WE_PERM);
  assert_int_equal(g_unlink("sw/secret"), TW_WE_PERM);
  assert_int_equal(unlink(p), 0);
  hsymlink("../outside", "sw");
  assert_int_equal(g_openf("sw/secret", 0, &fd), TW_WE_PERM);
  assert_int_equal(g_stat(PRE, 0, "sw/secret", NULL), TW_WE_PERM);
}

static void test_loops(void **state) {
  (void)state;
  hsymlink("loop2", "loop1");
  hsymlink("loop1", "loop2");
  hsymlink("self", "self");
  hsymlink("selfdir/x", "selfdir");
  uint32_t fd;
  assert_int_equal(g_openf("loop1", 0, &fd), TW_WE_LOOP);
  assert_int_equal(g_openf("self", TW_WO_CREAT, &fd), TW_WE_LOOP);
  assert_int_equal(g_openf("loop1/x", 0, &fd), TW_WE_LOOP);
  assert_int_equal(g_openf("selfdir", 0, &fd), TW_WE_LOOP);
  assert_int_equal(g_stat(PRE, TW_WL_SYMLINK_FOLLOW, "loop2", NULL),
                   TW_WE_LOOP);
  assert_int_equal(g_stat(PRE, 0, "loop2/", NULL), TW_WE_LOOP);
  assert_int_equal(g_mkdir("loop1/d"), TW_WE_LOOP);
  /* nofollow operations on the loops themselves work */
  uint8_t type;
  assert_int_equal(g_stat(PRE, 0, "loop1", &type), 0);
  assert_int_equal(type, TW_WFT_SYMLINK);
  assert_int_equal(g_unlink("self"), 0);
  assert_false(hexists("self"));
  /* a chain of 30 links is fine (limit 40) */
  hwrite("end", "x");
  char name[16], target[16];
  for (int i = 0; i < 30; i++) {
    snprintf(name, sizeof name, "c%d", i);
    if (i == 29) snprintf(target, sizeof target, "end");
    else snprintf(target, sizeof target, "c%d", i + 1);
    hsymlink(target, name);
  }
  assert_int_equal(g_openf("c0", 0, &fd), 0);
  assert_int_equal(g_close(fd), 0);
}

/* ---- create_directory, filestat -------------------------------------------- */

static void test_mkdir(void **state) {
  (void)state;
  hwrite("f", "x");
  assert_int_equal(g_mkdir("d"), 0);
  assert_true(S_ISDIR(hlstat("d").st_mode));
  assert_int_equal(g_mkdir("d"), TW_WE_EXIST);
  assert_int_equal(g_mkdir("f"), TW_WE_EXIST);
  assert_int_equal(g_mkdir("e/"), 0);
  assert_true(S_ISDIR(hlstat("e").st_mode));
  assert_int_equal(g_mkdir("d/sub//"), 0);
  assert_int_equal(g_mkdir("."), TW_WE_EXIST);
  assert_int_equal(g_mkdir("nope/x"), TW_WE_NOENT);
  assert_int_equal(g_mkdir("f/x"), TW_WE_NOTDIR);
  assert_int_equal(g_mkdir(""), TW_WE_NOENT);
  hsymlink("d", "ld");
  assert_int_equal(g_mkdir("ld"), TW_WE_EXIST);
  assert_int_equal(g_mkdir("ld/viaLink"), 0);
  assert_true(hexists("d/viaLink"));
  /* without the right */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_CREATE_DIRECTORY,
               TW_WR_DIRECTORY_INHERITING);
  assert_int_equal(g_path1(tw_wasi_fn_path_create_directory, d, "x"),
                   TW_WE_NOTCAPABLE);
  assert_false(hexists("d/x"));
  /* guest path outside memory */
  uint64_t a[3] = {PRE, MEM_SIZE - 2, 10};
  assert_int_equal(tw_wasi_fn_path_create_directory(&F->c, a), TW_WE_FAULT);
  a[1] = UINT32_MAX;
  assert_int_equal(tw_wasi_fn_path_create_directory(&F->c, a), TW_WE_FAULT);
  /* a NUL in the path */
  memcpy(gmem(A_STR1), "a\0b", 3);
  a[1] = A_STR1;
  a[2] = 3;
  assert_int_equal(tw_wasi_fn_path_create_directory(&F->c, a), TW_WE_INVAL);
}

static void test_filestat(void **state) {
  (void)state;
  hwrite("f", "hello");
  hmkdir("d");
  hsymlink("f", "l");
  hsymlink("d", "ld");
  uint8_t type;
  struct stat hs = hlstat("f");
  assert_int_equal(g_stat(PRE, 0, "f", &type), 0);
  assert_int_equal(type, TW_WFT_REG);
  assert_int_equal(g64(A_OUT + 0), (uint64_t)hs.st_dev);
  assert_int_equal(g64(A_OUT + 8), (uint64_t)hs.st_ino);
  assert_int_equal(g64(A_OUT + 24), 1);
  assert_int_equal(g64(A_OUT + 32), 5);
  assert_int_equal(g64(A_OUT + 48),
                   (uint64_t)hs.st_mtim.tv_sec * 1000000000u +
                       (uint64_t)hs.st_mtim.tv_nsec);
  assert_int_equal(g_stat(PRE, 0, "d", &type), 0);
  assert_int_equal(type, TW_WFT_DIR);
  assert_int_equal(g_stat(PRE, 0, ".", &type), 0);
  assert_int_equal(type, TW_WFT_DIR);
  assert_int_equal(g_stat(PRE, 0, "l", &type), 0);
  assert_int_equal(type, TW_WFT_SYMLINK);
  assert_int_equal(g64(A_OUT + 8), (uint64_t)hlstat("l").st_ino);
  assert_int_equal(g_stat(PRE, TW_WL_SYMLINK_FOLLOW, "l", &type), 0);
  assert_int_equal(type, TW_WFT_REG);
  assert_int_equal(g64(A_OUT + 8), (uint64_t)hs.st_ino);
  assert_int_equal(g_stat(PRE, 0, "ld/", &type), 0);
  assert_int_equal(type, TW_WFT_DIR);
  assert_int_equal(g_stat(PRE, 0, "f/", &type), TW_WE_NOTDIR);
  assert_int_equal(g_stat(PRE, TW_WL_SYMLINK_FOLLOW, "l/", &type),
                   TW_WE_NOTDIR);
  assert_int_equal(g_stat(PRE, 0, "nope", &type), TW_WE_NOENT);
  assert_int_equal(g_stat(PRE, 0, "f/x", &type), TW_WE_NOTDIR);
  assert_int_equal(g_stat(PRE, 2, "f", &type), TW_WE_INVAL);
  /* output outside memory: nothing written, EFAULT */
  uint64_t n = gstr(A_STR1, "f");
  uint64_t a[5] = {PRE, 0, A_STR1, n, MEM_SIZE - 8};
  assert_int_equal(tw_wasi_fn_path_filestat_get(&F->c, a), TW_WE_FAULT);
  a[4] = A_OUT;
  a[2] = MEM_SIZE;
  a[3] = 1;
  assert_int_equal(tw_wasi_fn_path_filestat_get(&F->c, a), TW_WE_FAULT);
}

static void test_set_times(void **state) {
  (void)state;
  hwrite("f", "x");
  hsymlink("f", "l");
  uint64_t n = gstr(A_STR1, "f");
  const uint64_t at = UINT64_C(1000000000) * 1000 + 5,
                 mt = UINT64_C(1000000000) * 2000 + 7;
  uint64_t a[7] = {PRE, 0, A_STR1, n, at, mt, TW_WST_ATIM | TW_WST_MTIM};
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, a), 0);
  struct stat st = hlstat("f");
  assert_int_equal(st.st_atim.tv_sec, 1000);
  assert_int_equal(st.st_atim.tv_nsec, 5);
  assert_int_equal(st.st_mtim.tv_sec, 2000);
  assert_int_equal(st.st_mtim.tv_nsec, 7);
  /* only mtime, "now" */
  a[6] = TW_WST_MTIM_NOW;
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, a), 0);
  st = hlstat("f");
  assert_int_equal(st.st_atim.tv_sec, 1000);
  assert_true(st.st_mtim.tv_sec > 2000);
  /* both a value and "now", or unknown bits */
  a[6] = TW_WST_ATIM | TW_WST_ATIM_NOW;
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, a), TW_WE_INVAL);
  a[6] = 16;
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, a), TW_WE_INVAL);
  /* nofollow sets the link's own times, follow the file's */
  n = gstr(A_STR1, "l");
  uint64_t b[7] = {PRE, 0, A_STR1, n, at, at, TW_WST_ATIM | TW_WST_MTIM};
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, b), 0);
  assert_int_equal(hlstat("l").st_mtim.tv_sec, 1000);
  assert_int_not_equal(hlstat("f").st_mtim.tv_sec, 1000);
  b[1] = TW_WL_SYMLINK_FOLLOW;
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, b), 0);
  assert_int_equal(hlstat("f").st_mtim.tv_sec, 1000);
  /* a trailing slash on a file */
  n = gstr(A_STR1, "f/");
  uint64_t c[7] = {PRE, 0, A_STR1, n, at, at, TW_WST_ATIM};
  assert_int_equal(tw_wasi_fn_path_filestat_set_times(&F->c, c), TW_WE_NOTDIR);
}

/* ---- link, readlink, rmdir, rename, symlink, unlink ----------------------- */

static void test_link(void **state) {
  (void)state;
  hwrite("f", "x");
  hmkdir("d");
  hsymlink("f", "l");
  assert_int_equal(g_link(0, "f", "h"), 0);
  assert_int_equal(hlstat("f").st_nlink, 2);
  assert_int_equal(hlstat("h").st_ino, hlstat("f").st_ino);
  assert_int_equal(g_link(0, "f", "h"), TW_WE_EXIST);
  assert_int_equal(g_link(0, "f", "d/h2"), 0);
  assert_int_equal(g_link(0, "f/", "h3"), TW_WE_NOTDIR);
  assert_int_equal(g_link(0, "f", "h3/"), TW_WE_NOENT);
  assert_int_equal(g_link(0, "f", "h/"), TW_WE_EXIST);
  assert_int_equal(g_link(0, "d", "d2"), TW_WE_PERM);
  assert_int_equal(g_link(0, "nope", "h4"), TW_WE_NOENT);
  /* links the symlink itself, not its target */
  assert_int_equal(g_link(0, "l", "l2"), 0);
  assert_true(S_ISLNK(hlstat("l2").st_mode));
  /* wasmtime: SYMLINK_FOLLOW is EINVAL */
  assert_int_equal(g_link(TW_WL_SYMLINK_FOLLOW, "l", "l3"), TW_WE_INVAL);
  assert_false(hexists("l3"));
  /* rights: source and target */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_LINK_TARGET,
               TW_WR_DIRECTORY_INHERITING);
  uint64_t n1 = gstr(A_STR1, "f"), n2 = gstr(A_STR2, "h5");
  uint64_t a[7] = {PRE, 0, A_STR1, n1, d, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_link(&F->c, a), TW_WE_NOTCAPABLE);
  n1 = gstr(A_STR1, "h2");
  uint64_t b[7] = {d, 0, A_STR1, n1, PRE, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_link(&F->c, b), 0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_LINK_TARGET &
                      ~TW_WR_PATH_LINK_SOURCE,
               0);
  n2 = gstr(A_STR2, "h6");
  b[6] = n2;
  assert_int_equal(tw_wasi_fn_path_link(&F->c, b), TW_WE_NOTCAPABLE);
  assert_false(hexists("h6"));
}

static void test_readlink(void **state) {
  (void)state;
  hwrite("f", "x");
  hsymlink("some/target/path", "l");
  hsymlink("/abs/elsewhere", "abs");
  uint32_t used;
  assert_int_equal(g_readlink("l", 100, &used), 0);
  assert_int_equal(used, 16);
  assert_memory_equal(gmem(A_BUF), "some/target/path", 16);
  /* truncation: bytes copied, no error */
  assert_int_equal(g_readlink("l", 4, &used), 0);
  assert_int_equal(used, 4);
  assert_memory_equal(gmem(A_BUF), "some", 4);
  assert_int_equal(gmem(A_BUF)[4], 0);
  assert_int_equal(g_readlink("l", 0, &used), 0);
  assert_int_equal(used, 0);
  assert_int_equal(g_readlink("abs", 100, &used), 0);
  assert_int_equal(used, 14);
  assert_int_equal(g_readlink("f", 100, &used), TW_WE_INVAL);
  assert_int_equal(g_readlink("nope", 100, &used), TW_WE_NOENT);
  /* the buffer or bufused outside memory */
  uint64_t n = gstr(A_STR1, "l");
  uint64_t a[6] = {PRE, A_STR1, n, MEM_SIZE - 4, 8, A_OUT};
  assert_int_equal(tw_wasi_fn_path_readlink(&F->c, a), TW_WE_FAULT);
  uint64_t b[6] = {PRE, A_STR1, n, A_BUF, 8, MEM_SIZE - 2};
  assert_int_equal(tw_wasi_fn_path_readlink(&F->c, b), TW_WE_FAULT);
  /* the right */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, ".", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_READLINK, 0);
  uint64_t c[6] = {d, A_STR1, n, A_BUF, 8, A_OUT};
  assert_int_equal(tw_wasi_fn_path_readlink(&F->c, c), TW_WE_NOTCAPABLE);
}

static void test_rmdir(void **state) {
  (void)state;
  hmkdir("d");
  hmkdir("full");
  hwrite("full/x", "x");
  hwrite("f", "x");
  hsymlink("d", "ld");
  assert_int_equal(g_rmdir("full"), TW_WE_NOTEMPTY);
  assert_int_equal(g_rmdir("f"), TW_WE_NOTDIR);
  assert_int_equal(g_rmdir("ld"), TW_WE_NOTDIR);
  assert_int_equal(g_rmdir("ld/"), TW_WE_NOTDIR);
  assert_int_equal(g_rmdir("."), TW_WE_INVAL);
  assert_int_equal(g_rmdir("nope"), TW_WE_NOENT);
  assert_int_equal(g_rmdir("d/"), 0);
  assert_false(hexists("d"));
  assert_true(hexists("ld"));
  hmkdir("d");
  assert_int_equal(g_rmdir("d"), 0);
  assert_false(hexists("d"));
}

static void test_rename(void **state) {
  (void)state;
  hwrite("f", "x");
  hmkdir("d");
  hmkdir("full");
  hwrite("full/x", "x");
  assert_int_equal(g_rename("f", "g"), 0);
  assert_false(hexists("f"));
  assert_true(hexists("g"));
  assert_int_equal(g_rename("g/", "f"), TW_WE_NOTDIR);
  assert_int_equal(g_rename("g", "f/"), TW_WE_NOTDIR);
  assert_int_equal(g_rename("g/", "f/"), TW_WE_NOTDIR);
  assert_true(hexists("g"));
  assert_int_equal(g_rename("d/", "e/"), 0);
  assert_true(S_ISDIR(hlstat("e").st_mode));
  assert_int_equal(g_rename("e", "d/"), 0);
  assert_int_equal(g_rename("d", "full"), TW_WE_NOTEMPTY);
  assert_int_equal(g_rename("g", "d"), TW_WE_ISDIR);
  assert_int_equal(g_rename("d", "g"), TW_WE_NOTDIR);
  assert_int_equal(g_rename("nope", "x"), TW_WE_NOENT);
  assert_int_equal(g_rename("g", "full/x"), 0); /* replaces a file */
  assert_int_equal(g_rename("full/x", "d/moved"), 0);
  assert_true(hexists("d/moved"));
  /* a symlink is renamed itself */
  hsymlink("d", "ld");
  assert_int_equal(g_rename("ld", "ld2"), 0);
  assert_true(S_ISLNK(hlstat("ld2").st_mode));
  /* rights */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  g_set_rights(d, TW_WR_PATH_RENAME_SOURCE, 0);
  uint64_t n1 = gstr(A_STR1, "moved"), n2 = gstr(A_STR2, "back");
  uint64_t a[6] = {d, A_STR1, n1, d, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_rename(&F->c, a), TW_WE_NOTCAPABLE);
  a[3] = PRE;
  assert_int_equal(tw_wasi_fn_path_rename(&F->c, a), 0);
  assert_true(hexists("back"));
}

static void test_symlink(void **state) {
  (void)state;
  hwrite("f", "x");
  assert_int_equal(g_symlink("f", "l"), 0);
  char buf[64];
  char p[256];
  hpath(p, sizeof p, "l");
  ssize_t n = readlink(p, buf, sizeof buf);
  assert_int_equal(n, 1);
  assert_int_equal(buf[0], 'f');
  assert_int_equal(g_symlink("f", "l"), TW_WE_EXIST);
  assert_int_equal(g_symlink("f", "f"), TW_WE_EXIST);
  assert_int_equal(g_symlink("f", "."), TW_WE_EXIST);
  /* wasmtime refuses absolute targets */
  assert_int_equal(g_symlink("/etc/passwd", "abs"), TW_WE_PERM);
  assert_false(hexists("abs"));
  assert_int_equal(g_symlink("", "empty"), TW_WE_NOENT);
  /* relative targets that climb out can be created, not followed */
  assert_int_equal(g_symlink("../outside/secret", "up"), 0);
  uint32_t fd;
  assert_int_equal(g_openf("up", 0, &fd), TW_WE_PERM);
  /* dangling, and a trailing slash on the new name */
  assert_int_equal(g_symlink("nowhere", "dang"), 0);
  assert_true(S_ISLNK(hlstat("dang").st_mode));
  assert_int_equal(g_symlink("nowhere", "new/"), TW_WE_NOENT);
  assert_int_equal(g_symlink("nowhere", "l/"), TW_WE_EXIST);
  assert_int_equal(g_symlink("f", "nodir/x"), TW_WE_NOENT);
  /* right */
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, ".", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_SYMLINK, 0);
  uint64_t n1 = gstr(A_STR1, "f"), n2 = gstr(A_STR2, "l9");
  uint64_t a[5] = {A_STR1, n1, d, A_STR2, n2};
  assert_int_equal(tw_wasi_fn_path_symlink(&F->c, a), TW_WE_NOTCAPABLE);
  a[0] = MEM_SIZE;
  a[2] = PRE;
  assert_int_equal(tw_wasi_fn_path_symlink(&F->c, a), TW_WE_FAULT);
  assert_false(hexists("l9"));
}

static void test_unlink(void **state) {
  (void)state;
  hwrite("f", "x");
  hmkdir("d");
  hsymlink("f", "l");
  hsymlink("d", "ld");
  assert_int_equal(g_unlink("f/"), TW_WE_NOTDIR);
  assert_int_equal(g_unlink("d"), TW_WE_ISDIR);
  assert_int_equal(g_unlink("d/"), TW_WE_ISDIR);
  assert_int_equal(g_unlink("."), TW_WE_ISDIR);
  assert_int_equal(g_unlink("nope"), TW_WE_NOENT);
  assert_int_equal(g_unlink("nope/"), TW_WE_NOENT);
  assert_int_equal(g_unlink("l/"), TW_WE_NOTDIR);
  assert_int_equal(g_unlink("ld"), 0); /* the link, not the directory */
  assert_true(hexists("d"));
  assert_int_equal(g_unlink("l"), 0);
  assert_true(hexists("f"));
  assert_int_equal(g_unlink("f"), 0);
  assert_false(hexists("f"));
  assert_int_equal(g_unlink("f"), TW_WE_NOENT);
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  hwrite("d/x", "x");
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_PATH_UNLINK_FILE, 0);
  assert_int_equal(g_path1(tw_wasi_fn_path_unlink_file, d, "x"),
                   TW_WE_NOTCAPABLE);
  assert_true(hexists("d/x"));
}

/* ---- fd_readdir --------------------------------------------------------------- */

typedef struct ent {
  uint64_t next, ino;
  uint8_t type;
  char name[256];
} ent;

static tw_wasi_errno g_readdir(uint32_t fd, uint64_t len, uint64_t cookie,
                               uint32_t *used) {
  uint64_t a[5] = {fd, A_BUF, len, cookie, A_OUT};
  memset(gmem(A_BUF), 0xCC, BUF_MAX);
  tw_wasi_errno e = tw_wasi_fn_fd_readdir(&F->c, a);
  *used = e ? 0 : g32(A_OUT);
  return e;
}

/* Parse the complete entries of a readdir buffer; returns their count and
 * whether the buffer ended in a cut-off entry. */
static size_t parse(uint32_t used, ent *out, size_t cap, bool *partial) {
  size_t n = 0, off = 0;
  *partial = false;
  while (off < used) {
    if (used - off < TW_WSZ_DIRENT) {
      *partial = true;
      break;
    }
    const uint8_t *p = gmem(A_BUF + off);
    uint32_t nl = tw_wasi_rd32(p + 16);
    if (used - off - TW_WSZ_DIRENT < nl) {
      *partial = true;
      break;
    }
    assert_true(n < cap);
    out[n].next = tw_wasi_rd64(p);
    out[n].ino = tw_wasi_rd64(p + 8);
    out[n].type = p[20];
    assert_int_equal(p[21] | p[22] | p[23], 0);
    assert_true(nl < sizeof out[n].name);
    memcpy(out[n].name, p + TW_WSZ_DIRENT, nl);
    out[n].name[nl] = 0;
    n++;
    off += TW_WSZ_DIRENT + nl;
  }
  return n;
}

/* The whole listing the way wasi-libc reads it: buffers of `len` bytes,
 * resuming from the last complete entry. */
static size_t list_all(uint32_t fd, uint64_t len, ent *out, size_t cap) {
  size_t total = 0;
  uint64_t cookie = 0;
  ent tmp[200];
  for (int guard = 0; guard < 10000; guard++) {
    uint32_t used;
    assert_int_equal(g_readdir(fd, len, cookie, &used), 0);
    assert_true(used <= len);
    bool partial;
    size_t n = parse(used, tmp, 200, &partial);
    for (size_t i = 0; i < n; i++) {
      assert_true(total < cap);
      out[total++] = tmp[i];
    }
    if (used < len) {
      assert_false(partial);
      return total;
    }
    /* full buffer: maybe more; a too small one must at least hold one */
    assert_true(n > 0);
    cookie = tmp[n - 1].next;
  }
  fail_msg("readdir did not end");
  return 0;
}

static const ent *find(const ent *e, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(e[i].name, name)) return &e[i];
  return NULL;
}

#define NFILES 60

static void test_readdir(void **state) {
  (void)state;
  hmkdir("d");
  char name[64];
  for (int i = 0; i < NFILES; i++) {
    snprintf(name, sizeof name, "d/file_%d_%.*s", i, i % 40,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    hwrite(name, "x");
  }
  hmkdir("d/sub");
  hsymlink("file_0_", "d/link");
  const size_t total = NFILES + 2 + 2;
  uint32_t d;
  assert_int_equal(g_open(PRE, 0, "d", TW_WO_DIRECTORY, TW_WR_DIRECTORY_BASE,
                          TW_WR_DIRECTORY_INHERITING, 0, &d),
                   0);
  static ent all[256];
  size_t n = list_all(d, BUF_MAX, all, 256);
  assert_int_equal(n, total);
  /* "." and ".." first with cookies 1, 2 and the directory's inode */
  struct stat ds = hlstat("d");
  assert_string_equal(all[0].name, ".");
  assert_int_equal(all[0].next, 1);
  assert_int_equal(all[0].type, TW_WFT_DIR);
  assert_int_equal(all[0].ino, (uint64_t)ds.st_ino);
  assert_string_equal(all[1].name, "..");
  assert_int_equal(all[1].next, 2);
  assert_int_equal(all[1].type, TW_WFT_DIR);
  /* every entry once, with its type and inode */
  for (size_t i = 2; i < n; i++) {
    char rel[300];
    snprintf(rel, sizeof rel, "d/%s", all[i].name);
    struct stat st = hlstat(rel);
    assert_int_equal(all[i].ino, (uint64_t)st.st_ino);
    uint8_t want = S_ISDIR(st.st_mode)   ? TW_WFT_DIR
                   : S_ISLNK(st.st_mode) ? TW_WFT_SYMLINK
                                         : TW_WFT_REG;
    assert_int_equal(all[i].type, want);
    assert_true(all[i].next > 2);
    assert_true(find(all, i, all[i].name) == NULL);
    assert_true(strcmp(all[i].name, ".") && strcmp(all[i].name, ".."));
  }
  assert_non_null(find(all, n, "sub"));
  assert_non_null(find(all, n, "link"));
  /* resuming at any cookie gives exactly the rest */
  static ent rest[256];
  for (size_t i = 0; i < n; i++) {
    uint32_t used;
    assert_int_equal(g_readdir(d, BUF_MAX, all[i].next, &used), 0);
    bool partial;
    size_t m = parse(used, rest, 256, &partial);
    assert_false(partial);
    assert_int_equal(m, n - i - 1);
    for (size_t k = 0; k < m; k++) {
      assert_string_equal(rest[k].name, all[i + 1 + k].name);
      assert_int_equal(rest[k].next, all[i + 1 + k].next);
    }
  }
  /* small buffers: the same listing through truncated reads */
  const uint64_t sizes[] = {24 + 60, 100, 128, 300, 1000};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    static ent again[256];
    size_t m = list_all(d, sizes[s], again, 256);
    assert_int_equal(m, n);
    for (size_t k = 0; k < m; k++) {
      assert_string_equal(again[k].name, all[k].name);
      assert_int_equal(again[k].next, all[k].next);
    }
  }
  /* truncation fills the buffer exactly */
  uint32_t used;
  assert_int_equal(g_readdir(d, 30, 0, &used), 0);
  assert_int_equal(used, 30); /* "." (25 bytes) + 5 bytes of ".." */
  assert_int_equal(g_readdir(d, 10, 0, &used), 0);
  assert_int_equal(used, 10);
  assert_int_equal(tw_wasi_rd64(gmem(A_BUF)), 1);
  assert_int_equal(*gmem(A_BUF + 10), 0xCC);
  assert_int_equal(g_readdir(d, 0, 0, &used), 0);
  assert_int_equal(used, 0);
  /* past the end */
  assert_int_equal(g_readdir(d, BUF_MAX, all[n - 1].next, &used), 0);
  assert_int_equal(used, 0);
  /* errors: buffer or bufused outside memory, file fd, rights, closed */
  uint64_t a[5] = {d, MEM_SIZE - 10, 100, 0, A_OUT};
  assert_int_equal(tw_wasi_fn_fd_readdir(&F->c, a), TW_WE_FAULT);
  uint64_t b[5] = {d, A_BUF, 100, 0, MEM_SIZE};
  assert_int_equal(tw_wasi_fn_fd_readdir(&F->c, b), TW_WE_FAULT);
  uint32_t fd;
  assert_int_equal(g_openf("d/sub/../file_1_a", 0, &fd), 0);
  assert_int_equal(g_readdir(fd, 100, 0, &used), TW_WE_NOTDIR);
  assert_int_equal(g_close(fd), 0);
  g_set_rights(d, TW_WR_DIRECTORY_BASE & ~TW_WR_FD_READDIR, 0);
  assert_int_equal(g_readdir(d, 100, 0, &used), TW_WE_NOTCAPABLE);
  assert_int_equal(g_close(d), 0);
  assert_int_equal(g_readdir(d, 100, 0, &used), TW_WE_BADF);
  /* the preopen: the entries made above plus . and .. */
  n = list_all(PRE, 256, all, 256);
  assert_int_equal(n, 3);
  assert_string_equal(all[2].name, "d");
  /* an empty directory */
  hmkdir("empty");
  assert_int_equal(g_open(PRE, 0, "empty", TW_WO_DIRECTORY,
                          TW_WR_DIRECTORY_BASE, 0, 0, &d),
                   0);
  n = list_all(d, 1000, all, 256);
  assert_int_equal(n, 2);
  assert_int_equal(g_close(d), 0);
}

/* Deep paths: more levels than the resolver keeps open, with `..` back
 * through all of them. */
static void test_deep(void **state) {
  (void)state;
  char p[1024] = "";
  size_t len = 0;
  for (int i = 0; i < 20; i++) {
    len += (size_t)snprintf(p + len, sizeof p - len, "%sd%d", i ? "/" : "", i);
    assert_int_equal(g_mkdir(p), 0);
  }
  char q[2048];
  snprintf(q, sizeof q, "%s/f", p);
  uint32_t fd;
  assert_int_equal(g_openf(q, TW_WO_CREAT, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  /* go all the way down and up again */
  size_t k = (size_t)snprintf(q, sizeof q, "%s", p);
  for (int i = 0; i < 20; i++) k += (size_t)snprintf(q + k, sizeof q - k, "/..");
  snprintf(q + k, sizeof q - k, "/d0/d1/f2");
  assert_int_equal(g_openf(q, TW_WO_CREAT, &fd), 0);
  assert_int_equal(g_close(fd), 0);
  assert_true(hexists("d0/d1/f2"));
  /* one more `..` escapes */
  snprintf(q + k, sizeof q - k, "/../x");
  assert_int_equal(g_openf(q, TW_WO_CREAT, &fd), TW_WE_PERM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_create_write, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_dirs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_symlinks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_loops, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filestat, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_times, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link, setup, teardown),
      cmocka_unit_test_setup_teardown(test_readlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rmdir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unlink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_readdir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deep, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sandbox.c - capability safety: every way out of a preopened directory
 * must be refused (ENOTCAPABLE, or EPERM as some runtimes say), while the
 * same tricks that stay inside must work. WASI-only.
 *
 * The runner lays out (on the host):
 *   T/outside/secret.txt        "OUTSIDE SECRET\n"   (must stay unreadable)
 *   T/outside/dir/
 *   T/sandbox/ = /sandbox       file.txt "inside\n", sub/, sub/deep/,
 *     link_out -> ../outside          link_out_file -> ../outside/secret.txt
 *     link_abs -> T/outside/secret.txt  link_abs_dir -> T/outside
 *     link_root -> /                  link_dotdot -> ..
 *     sub/link_up2 -> ../../outside   sub/link_in -> ../file.txt
 *     chain1 -> chain2 -> sub/chain3 -> ../../outside/secret.txt
 *     link_guest_abs -> /sandbox/file.txt   link_del -> ../outside
 *     sub/inner.txt "inner\n"
 * and afterwards checks that nothing under T/outside changed and nothing
 * appeared beside it.
 *
 *   sandbox /sandbox escape T/outside
 *   sandbox /sandbox race N     (a helper process swaps swap <-> swap_alt
 *                                and swapf <-> swapf_alt meanwhile)
 *
 * WASI: path_open, path_filestat_get, path_filestat_set_times,
 * path_create_directory, path_remove_directory, path_unlink_file,
 * path_rename, path_link, path_symlink, path_readlink, fd_read, fd_close.
 */
#include "tp.h"

#define R(x) __WASI_RIGHTS_##x
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define REFUSED(label, call)                                                 \
  TP_W2(label, call, __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_PERM)

static __wasi_fd_t root;
static char abs_outside[512];

/* Open and read a file; "" with *err set if it could not be opened. */
static const char *slurp(__wasi_fd_t dir, __wasi_lookupflags_t lf,
                         const char *path, __wasi_errno_t *err) {
  static char buf[128];
  __wasi_fd_t fd;
  buf[0] = 0;
  *err = __wasi_path_open(dir, lf, path, 0, R(FD_READ), 0, 0, &fd);
  if (*err)
    return buf;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  if (__wasi_fd_read(fd, &iov, 1, &n) != 0)
    n = 0;
  buf[n] = 0;
  TP_IGNORE(__wasi_fd_close(fd));
  return buf;
}

/* Paths that escape before their last component; `X` is appended. */
static const char *inter[] = {
    "../outside/",         "sub/../../outside/", "sub/deep/../../../outside/",
    "./../outside/",       "link_out/",          "link_abs_dir/",
    "link_dotdot/outside/", "sub/link_up2/",      "sub/../link_out/",
    "ABS/",                /* the absolute host path of T/outside */
    "/sandbox/../outside/", /* absolute guest paths are refused too */
};
#define NINTER (sizeof inter / sizeof inter[0])

/* Paths whose last component is an escaping symlink (or ..). */
static const char *finals[] = {
    "link_out_file", "link_abs", "chain1", "link_out", "link_dotdot",
    "link_root",     "..",       "sub/../..", "link_guest_abs",
};
#define NFINALS (sizeof finals / sizeof finals[0])

static const char *mk(const char *prefix, const char *x) {
  static char bufs[4][1024];
  static unsigned next;
  char *b = bufs[next++ % 4];
  if (strcmp(prefix, "ABS/") == 0)
    snprintf(b, sizeof bufs[0], "%s/%s", abs_outside, x);
  else
    snprintf(b, sizeof bufs[0], "%s%s", prefix, x);
  return b;
}

static void allowed(void) {
  __wasi_errno_t e;
  TP_STREQ("wasi.inside.plain", slurp(root, FOLLOW, "file.txt", &e), "inside\n");
  TP_STREQ("wasi.inside.dotdot", slurp(root, FOLLOW, "sub/../file.txt", &e),
           "inside\n");
  TP_STREQ("wasi.inside.deep-dotdot",
           slurp(root, FOLLOW, "sub/deep/../../file.txt", &e), "inside\n");
  TP_STREQ("wasi.inside.dot", slurp(root, FOLLOW, "./sub/./../file.txt", &e),
           "inside\n");
  TP_STREQ("wasi.inside.link-up", slurp(root, FOLLOW, "sub/link_in", &e),
           "inside\n");
  __wasi_fd_t d;
  TP_W("wasi.inside.open-dot",
       __wasi_path_open(root, 0, ".", __WASI_OFLAGS_DIRECTORY, R(FD_READDIR), 0,
                        0, &d), 0);
  TP_IGNORE(__wasi_fd_close(d));
  TP_W("wasi.inside.open-sub-dotdot",
       __wasi_path_open(root, 0, "sub/..", __WASI_OFLAGS_DIRECTORY,
                        R(FD_READDIR), 0, 0, &d), 0);
  TP_IGNORE(__wasi_fd_close(d));
  char buf[64] = {0};
  __wasi_size_t n = 0;
  TP_W("wasi.inside.readlink-escaping-link",
       __wasi_path_readlink(root, "link_out", (uint8_t *)buf, sizeof buf, &n), 0);
  TP_TRUE("wasi.inside.readlink-value", n == 10 && memcmp(buf, "../outside", 10) == 0);
  __wasi_filestat_t st;
  TP_W("wasi.inside.lstat-escaping-link",
       __wasi_path_filestat_get(root, 0, "link_out", &st), 0);
  TP_EQ("wasi.inside.lstat-type", st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  TP_W("wasi.inside.unlink-escaping-link",
       __wasi_path_unlink_file(root, "link_del"), 0);
  TP_W("wasi.inside.rename-escaping-link",
       __wasi_path_rename(root, "link_out_file", root, "link_renamed"), 0);
  TP_W("wasi.inside.rename-back",
       __wasi_path_rename(root, "link_renamed", root, "link_out_file"), 0);
}

static void escapes(void) {
  char l[256];
  __wasi_fd_t fd;
  __wasi_filestat_t st;
  __wasi_errno_t e;
  for (size_t i = 0; i < NINTER; i++) {
    const char *p = inter[i];
#define L(op) (snprintf(l, sizeof l, "wasi.escape.%s.%s", op, p), l)
    const char *got = slurp(root, FOLLOW, mk(p, "secret.txt"), &e);
    TP_TRUE(L("open-read-no-secret"), strstr(got, "OUTSIDE") == NULL);
    REFUSED(L("open-read"), e);
    REFUSED(L("open-read-nofollow"),
            __wasi_path_open(root, 0, mk(p, "secret.txt"), 0, R(FD_READ), 0, 0,
                             &fd));
    REFUSED(L("open-creat"),
            __wasi_path_open(root, FOLLOW, mk(p, "created"), __WASI_OFLAGS_CREAT,
                             R(FD_WRITE), 0, 0, &fd));
    REFUSED(L("open-trunc"),
            __wasi_path_open(root, FOLLOW, mk(p, "secret.txt"),
                             __WASI_OFLAGS_TRUNC, R(FD_WRITE), 0, 0, &fd));
    REFUSED(L("open-dir"),
            __wasi_path_open(root, FOLLOW, mk(p, "dir"), __WASI_OFLAGS_DIRECTORY,
                             R(FD_READDIR), 0, 0, &fd));
    REFUSED(L("stat-follow"),
            __wasi_path_filestat_get(root, FOLLOW, mk(p, "secret.txt"), &st));
    REFUSED(L("stat-nofollow"),
            __wasi_path_filestat_get(root, 0, mk(p, "secret.txt"), &st));
    REFUSED(L("set-times"),
            __wasi_path_filestat_set_times(root, 0, mk(p, "secret.txt"), 1, 1,
                                           __WASI_FSTFLAGS_ATIM |
                                               __WASI_FSTFLAGS_MTIM));
    REFUSED(L("mkdir"), __wasi_path_create_directory(root, mk(p, "newdir")));
    REFUSED(L("rmdir"), __wasi_path_remove_directory(root, mk(p, "dir")));
    REFUSED(L("unlink"), __wasi_path_unlink_file(root, mk(p, "secret.txt")));
    REFUSED(L("rename-from"),
            __wasi_path_rename(root, mk(p, "secret.txt"), root, "stolen"));
    REFUSED(L("rename-to"),
            __wasi_path_rename(root, "file.txt", root, mk(p, "planted")));
    REFUSED(L("link-from"),
            __wasi_path_link(root, 0, mk(p, "secret.txt"), root, "stolen_link"));
    REFUSED(L("link-to"),
            __wasi_path_link(root, 0, "file.txt", root, mk(p, "planted_link")));
    REFUSED(L("symlink-at"),
            __wasi_path_symlink("file.txt", root, mk(p, "planted_sym")));
    char buf[64];
    __wasi_size_t n;
    REFUSED(L("readlink"),
            __wasi_path_readlink(root, mk(p, "secret.txt"), (uint8_t *)buf,
                                 sizeof buf, &n));
#undef L
  }
  for (size_t i = 0; i < NFINALS; i++) {
    const char *p = finals[i];
#define L(op) (snprintf(l, sizeof l, "wasi.escape.%s.%s", op, p), l)
    const char *got = slurp(root, FOLLOW, p, &e);
    TP_TRUE(L("open-read-no-secret"), strstr(got, "OUTSIDE") == NULL);
    REFUSED(L("open-read"), e);
    REFUSED(L("open-dir"),
            __wasi_path_open(root, FOLLOW, p, __WASI_OFLAGS_DIRECTORY,
                             R(FD_READDIR) | R(PATH_OPEN), R(FD_READ), 0, &fd));
    REFUSED(L("open-creat"),
            __wasi_path_open(root, FOLLOW, p, __WASI_OFLAGS_CREAT, R(FD_WRITE), 0,
                             0, &fd));
    REFUSED(L("stat-follow"), __wasi_path_filestat_get(root, FOLLOW, p, &st));
    REFUSED(L("set-times-follow"),
            __wasi_path_filestat_set_times(root, FOLLOW, p, 1, 1,
                                           __WASI_FSTFLAGS_ATIM |
                                               __WASI_FSTFLAGS_MTIM));
    /* path_link with symlink_follow is EINVAL whatever the path (wasmtime);
     * a runtime that follows must still refuse to leave */
    {
      __wasi_errno_t le = __wasi_path_link(root, FOLLOW, p, root, "stolen_hard");
      tp_report(le == __WASI_ERRNO_INVAL || le == __WASI_ERRNO_NOTCAPABLE ||
                    le == __WASI_ERRNO_PERM,
                __FILE__, __LINE__, L("link-follow"),
                "returned %s, expected EINVAL, ENOTCAPABLE or EPERM",
                tp_wasi_errname(le));
    }
#undef L
  }

  /* every directory fd is its own root: .. from a subdirectory fd */
  __wasi_fd_t sub;
  TP_W("wasi.open-sub",
       __wasi_path_open(root, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                        R(PATH_OPEN) | R(FD_READDIR) | R(PATH_FILESTAT_GET) |
                            R(PATH_READLINK),
                        tp_inheriting(root), 0, &sub),
       0);
  REFUSED("wasi.escape.subfd.dotdot-file",
          __wasi_path_open(sub, 0, "../file.txt", 0, R(FD_READ), 0, 0, &fd));
  REFUSED("wasi.escape.subfd.link-in",
          __wasi_path_open(sub, FOLLOW, "link_in", 0, R(FD_READ), 0, 0, &fd));
  REFUSED("wasi.escape.subfd.deep-dotdot",
          __wasi_path_open(sub, 0, "deep/../..", __WASI_OFLAGS_DIRECTORY,
                           R(FD_READDIR), 0, 0, &fd));
  TP_STREQ("wasi.subfd.inside-ok", slurp(sub, FOLLOW, "deep/../inner.txt", &e),
           "inner\n");
  TP_IGNORE(__wasi_fd_close(sub));

  /* a symlink the guest makes may point anywhere, but is never followed
   * out */
  __wasi_errno_t se = __wasi_path_symlink("../outside/secret.txt", root, "mine");
  TP_TRUE("wasi.escape.own-symlink-created-or-refused",
          se == 0 || se == __WASI_ERRNO_NOTCAPABLE || se == __WASI_ERRNO_PERM);
  if (se == 0) {
    const char *got = slurp(root, FOLLOW, "mine", &e);
    TP_TRUE("wasi.escape.own-symlink-no-secret", strstr(got, "OUTSIDE") == NULL);
    REFUSED("wasi.escape.own-symlink", e);
  }
  se = __wasi_path_symlink(abs_outside, root, "mine_abs");
  if (se == 0)
    REFUSED("wasi.escape.own-abs-symlink",
            __wasi_path_open(root, FOLLOW, "mine_abs/secret.txt", 0, R(FD_READ),
                             0, 0, &fd));
  else
    REFUSED("wasi.escape.own-abs-symlink", se);
}

/* The helper swaps `swap` (a directory holding secret.txt "inside\n")
 * with `swap_alt` (a symlink to ../outside) and `swapf` (a file
 * "inside\n") with `swapf_alt` (a symlink to ../outside/secret.txt), as
 * fast as it can. Whatever the timing, a read may see "inside\n" or be
 * refused, never the secret; creations never land outside (the runner
 * checks). */
static void race(int iters) {
  int inside = 0, refused = 0, escaped = 0, other = 0;
  for (int i = 0; i < iters; i++) {
    static const char *paths[] = {"swap/secret.txt", "swapf"};
    for (int k = 0; k < 2; k++) {
      __wasi_errno_t e;
      const char *got = slurp(root, FOLLOW, paths[k], &e);
      if (e == 0 && strcmp(got, "inside\n") == 0)
        inside++;
      else if (strstr(got, "OUTSIDE"))
        escaped++;
      else if (e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_PERM ||
               e == __WASI_ERRNO_NOENT || e == __WASI_ERRNO_LOOP ||
               e == __WASI_ERRNO_NOTDIR)
        refused++;
      else {
        if (other++ < 5)
          printf("  race: %s: unexpected %s\n", paths[k], tp_wasi_errname(e));
      }
    }
    char name[64];
    __wasi_fd_t fd;
    snprintf(name, sizeof name, "swap/c%d", i % 50);
    if (__wasi_path_open(root, FOLLOW, name, __WASI_OFLAGS_CREAT, R(FD_WRITE), 0,
                         0, &fd) == 0)
      TP_IGNORE(__wasi_fd_close(fd));
    snprintf(name, sizeof name, "swap/d%d", i % 50);
    TP_IGNORE(__wasi_path_create_directory(root, name));
    TP_IGNORE(__wasi_path_filestat_set_times(
        root, 0, "swap/secret.txt", 7, 7,
        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  }
  TP_EQ("wasi.race.no-escape", escaped, 0);
  TP_EQ("wasi.race.no-unexpected-error", other, 0);
  TP_EQ("wasi.race.all-accounted", inside + refused, 2 * iters);
  fprintf(stderr, "race: %d inside, %d refused\n", inside, refused);
}

int main(int argc, char **argv) {
  tp_init();
  int r = tp_preopen("/sandbox");
  TP_TRUE("wasi.preopen", r >= 3);
  if (r < 3 || argc < 3)
    return tp_done() | 1;
  root = (__wasi_fd_t)r;
  if (strcmp(argv[2], "escape") == 0 && argc > 3) {
    snprintf(abs_outside, sizeof abs_outside, "%s", argv[3]);
    allowed();
    escapes();
  } else if (strcmp(argv[2], "race") == 0 && argc > 3) {
    race(atoi(argv[3]));
  } else {
    fprintf(stderr, "usage: sandbox /sandbox escape ABS | race N\n");
    return 2;
  }
  return tp_done();
}

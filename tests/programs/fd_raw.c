/*
 * fd_raw.c - the file-descriptor calls at the WASI level, where wasi-libc
 * hides them or cannot express them: rights (ENOTCAPABLE), renumber,
 * prestat, fdstat, lookupflags, invalid arguments, EBADF after close.
 * WASI-only (no native twin).
 *
 * WASI: fd_prestat_get, fd_prestat_dir_name, fd_fdstat_get,
 * fd_fdstat_set_flags, fd_fdstat_set_rights, fd_renumber, fd_close,
 * fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, fd_advise,
 * fd_allocate, fd_filestat_get, fd_filestat_set_size,
 * fd_filestat_set_times, fd_sync, fd_datasync, path_open,
 * path_filestat_get, path_filestat_set_times, path_create_directory,
 * path_symlink, path_readlink, path_link (symlink_follow is EINVAL),
 * path_unlink_file.
 *
 *   fd_raw /sandbox      with preopens /sandbox (empty) and /second
 */
#include "tp.h"

#define R(x) __WASI_RIGHTS_##x
#define ALL_FILE_RIGHTS                                                      \
  (R(FD_DATASYNC) | R(FD_READ) | R(FD_SEEK) | R(FD_FDSTAT_SET_FLAGS) |       \
   R(FD_SYNC) | R(FD_TELL) | R(FD_WRITE) | R(FD_ADVISE) | R(FD_ALLOCATE) |   \
   R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_SIZE) | R(FD_FILESTAT_SET_TIMES) | \
   R(POLL_FD_READWRITE))

static int root, second;

static __wasi_fd_t open_file(int dir, const char *name, __wasi_oflags_t of,
                             __wasi_rights_t rights) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)dir,
                                      __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, name,
                                      of, rights, 0, 0, &fd);
  if (e) {
    printf("  (open %s: %s)\n", name, tp_wasi_errname(e));
    return (__wasi_fd_t)-1;
  }
  return fd;
}

static __wasi_errno_t wr(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, n);
}

static __wasi_errno_t rd(__wasi_fd_t fd, char *buf, size_t cap,
                         __wasi_size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, cap};
  return __wasi_fd_read(fd, &iov, 1, n);
}

static void prestat(void) {
  __wasi_prestat_t ps;
  TP_W("wasi.prestat_get", __wasi_fd_prestat_get((__wasi_fd_t)root, &ps), 0);
  TP_EQ("wasi.prestat.tag", ps.tag, __WASI_PREOPENTYPE_DIR);
  TP_EQ("wasi.prestat.len", ps.u.dir.pr_name_len, 8);
  char nm[16] = {0};
  TP_W("wasi.prestat_dir_name",
       __wasi_fd_prestat_dir_name((__wasi_fd_t)root, (uint8_t *)nm, 8), 0);
  TP_STREQ("wasi.prestat_dir_name.value", nm, "/sandbox");
  TP_W2("wasi.prestat_dir_name.short",
        __wasi_fd_prestat_dir_name((__wasi_fd_t)root, (uint8_t *)nm, 4),
        __WASI_ERRNO_NAMETOOLONG, __WASI_ERRNO_INVAL);
  TP_EQ("wasi.preopen-order", second, root + 1);
  TP_W("wasi.prestat.stdin", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
  TP_W("wasi.prestat.unused", __wasi_fd_prestat_get(999, &ps),
       __WASI_ERRNO_BADF);

  __wasi_fdstat_t st;
  TP_W("wasi.fdstat.dir", __wasi_fd_fdstat_get((__wasi_fd_t)root, &st), 0);
  TP_EQ("wasi.fdstat.dir.type", st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  TP_TRUE("wasi.fdstat.dir.path_open",
          (st.fs_rights_base & R(PATH_OPEN)) != 0);
  TP_TRUE("wasi.fdstat.dir.inherit-read",
          (st.fs_rights_inheriting & R(FD_READ)) != 0);
}

static void io(void) {
  __wasi_rights_t want = R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL) |
                         R(FD_FILESTAT_GET) | R(FD_FDSTAT_SET_FLAGS);
  __wasi_fd_t fd = open_file(root, "r.txt", __WASI_OFLAGS_CREAT, want);
  TP_TRUE("wasi.open-r", fd != (__wasi_fd_t)-1);
  __wasi_fdstat_t st;
  TP_W("wasi.fdstat.file", __wasi_fd_fdstat_get(fd, &st), 0);
  TP_EQ("wasi.fdstat.file.type", st.fs_filetype,
        __WASI_FILETYPE_REGULAR_FILE);
  TP_TRUE("wasi.fdstat.file.rights-subset", (st.fs_rights_base & ~want) == 0);
  TP_TRUE("wasi.fdstat.file.rights-rw",
          (st.fs_rights_base & (R(FD_READ) | R(FD_WRITE))) ==
              (R(FD_READ) | R(FD_WRITE)));

  __wasi_ciovec_t iov[3] = {{(const uint8_t *)"abc", 3},
                            {(const uint8_t *)"", 0},
                            {(const uint8_t *)"defgh", 5}};
  __wasi_size_t n = 0;
  TP_W("wasi.fd_write-iovs", __wasi_fd_write(fd, iov, 3, &n), 0);
  TP_EQ("wasi.fd_write-count", n, 8);
  __wasi_filesize_t pos = 99;
  TP_W("wasi.fd_tell", __wasi_fd_tell(fd, &pos), 0);
  TP_EQ("wasi.fd_tell.value", pos, 8);
  TP_W("wasi.fd_seek-set", __wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos), 0);
  TP_EQ("wasi.fd_seek-set.value", pos, 2);
  TP_W("wasi.fd_seek-cur", __wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &pos), 0);
  TP_EQ("wasi.fd_seek-cur.value", pos, 3);
  char buf[64] = {0};
  TP_W("wasi.fd_read", rd(fd, buf, sizeof buf - 1, &n), 0);
  TP_STREQ("wasi.fd_read.value", buf, "defgh");
  TP_W("wasi.fd_seek-end", __wasi_fd_seek(fd, -3, __WASI_WHENCE_END, &pos), 0);
  TP_EQ("wasi.fd_seek-end.value", pos, 5);
  TP_W("wasi.fd_seek-bad-whence", __wasi_fd_seek(fd, 0, 3, &pos),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.fd_seek-negative", __wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.fd_tell-after-bad", __wasi_fd_tell(fd, &pos), 0);
  TP_EQ("wasi.fd_tell-after-bad.value", pos, 5);

  TP_W("wasi.fd_pwrite", __wasi_fd_pwrite(fd, iov, 1, 100, &n), 0);
  TP_EQ("wasi.fd_pwrite.count", n, 3);
  __wasi_iovec_t riov[2] = {{(uint8_t *)buf, 2}, {(uint8_t *)buf + 2, 10}};
  memset(buf, 0, sizeof buf);
  TP_W("wasi.fd_pread", __wasi_fd_pread(fd, riov, 2, 99, &n), 0);
  TP_EQ("wasi.fd_pread.count", n, 4);
  TP_TRUE("wasi.fd_pread.value", memcmp(buf, "\0abc", 4) == 0);
  TP_W("wasi.fd_tell-after-p", __wasi_fd_tell(fd, &pos), 0);
  TP_EQ("wasi.fd_tell-after-p.value", pos, 5);

  __wasi_filestat_t fs;
  TP_W("wasi.fd_filestat_get", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_EQ("wasi.fd_filestat.size", fs.size, 103);
  TP_EQ("wasi.fd_filestat.type", fs.filetype, __WASI_FILETYPE_REGULAR_FILE);
  TP_EQ("wasi.fd_filestat.nlink", fs.nlink, 1);
  __wasi_filestat_t ps;
  TP_W("wasi.path_filestat_get", __wasi_path_filestat_get(
                                     (__wasi_fd_t)root, 0, "r.txt", &ps), 0);
  TP_TRUE("wasi.path_filestat.same", ps.ino == fs.ino && ps.dev == fs.dev);

  /* calls whose right was not requested */
  TP_W("wasi.set_size-no-right", __wasi_fd_filestat_set_size(fd, 1),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.allocate-no-right", __wasi_fd_allocate(fd, 0, 10),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.advise-no-right", __wasi_fd_advise(fd, 0, 0, 0),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.sync-no-right", __wasi_fd_sync(fd), __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.datasync-no-right", __wasi_fd_datasync(fd),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.set_times-no-right",
       __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_NOTCAPABLE);
  /* not a directory: wasmtime says EBADF, Twine ENOTDIR (before rights) */
  TP_W2("wasi.readdir-on-file", __wasi_fd_readdir(fd, (uint8_t *)buf, 64, 0, &n),
        __WASI_ERRNO_NOTDIR, __WASI_ERRNO_BADF);

  /* dropping rights: a right once dropped cannot come back */
  TP_W("wasi.fdstat_set_flags-append",
       __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
  TP_W("wasi.fdstat-after-flags", __wasi_fd_fdstat_get(fd, &st), 0);
  TP_TRUE("wasi.fdstat.append", (st.fs_flags & __WASI_FDFLAGS_APPEND) != 0);
  TP_W("wasi.fdstat_set_rights-drop",
       __wasi_fd_fdstat_set_rights(fd, R(FD_READ) | R(FD_SEEK) | R(FD_TELL), 0),
       0);
  TP_W("wasi.fdstat-after-drop", __wasi_fd_fdstat_get(fd, &st), 0);
  TP_EQ("wasi.fdstat.dropped", st.fs_rights_base,
        R(FD_READ) | R(FD_SEEK) | R(FD_TELL));
  TP_W("wasi.write-after-drop", wr(fd, "x", &n), __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.pwrite-after-drop", __wasi_fd_pwrite(fd, iov, 1, 0, &n),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.filestat-after-drop", __wasi_fd_filestat_get(fd, &fs),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.set_flags-after-drop", __wasi_fd_fdstat_set_flags(fd, 0),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.seek-still-allowed", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos),
       0);
  TP_W("wasi.read-still-allowed", rd(fd, buf, 3, &n), 0);
  TP_W("wasi.fdstat_set_rights-raise",
       __wasi_fd_fdstat_set_rights(fd, R(FD_READ) | R(FD_WRITE), 0),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.fdstat_set_rights-drop-seek",
       __wasi_fd_fdstat_set_rights(fd, R(FD_READ), 0), 0);
  TP_W("wasi.seek-after-drop", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.tell-after-drop", __wasi_fd_tell(fd, &pos),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.close-r", __wasi_fd_close(fd), 0);
  TP_W("wasi.fdstat-closed", __wasi_fd_fdstat_get(fd, &st), __WASI_ERRNO_BADF);
  TP_W("wasi.read-closed", rd(fd, buf, 3, &n), __WASI_ERRNO_BADF);
  TP_W("wasi.write-closed", wr(fd, "x", &n), __WASI_ERRNO_BADF);
  TP_W("wasi.seek-closed", __wasi_fd_seek(fd, 0, 0, &pos), __WASI_ERRNO_BADF);
  TP_W("wasi.close-closed", __wasi_fd_close(fd), __WASI_ERRNO_BADF);

  /* all file rights: advise, allocate, set_size, set_times, syncs */
  fd = open_file(root, "r.txt", 0, ALL_FILE_RIGHTS);
  TP_TRUE("wasi.open-all-rights", fd != (__wasi_fd_t)-1);
  TP_W("wasi.fd_advise", __wasi_fd_advise(fd, 0, 100, __WASI_ADVICE_WILLNEED),
       0);
  TP_W("wasi.fd_advise-bad", __wasi_fd_advise(fd, 0, 100, 6),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.fd_allocate", __wasi_fd_allocate(fd, 1000, 24), 0);
  TP_W("wasi.filestat-alloc", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_EQ("wasi.size-after-allocate", fs.size, 1024);
  TP_W("wasi.fd_allocate-inside", __wasi_fd_allocate(fd, 0, 10), 0);
  TP_W("wasi.filestat-alloc2", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_EQ("wasi.allocate-never-shrinks", fs.size, 1024);
  TP_W("wasi.fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 7), 0);
  TP_W("wasi.filestat-size", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_EQ("wasi.size-after-set", fs.size, 7);
  TP_W("wasi.fd_filestat_set_times",
       __wasi_fd_filestat_set_times(fd, 1234567890123456789ull, 42,
                                    __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
       0);
  TP_W("wasi.filestat-times", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_EQ("wasi.atim-ns", fs.atim, 1234567890123456789ull);
  TP_EQ("wasi.mtim-ns", fs.mtim, 42);
  TP_W("wasi.set_times-atim-and-now",
       __wasi_fd_filestat_set_times(fd, 1, 1,
                                    __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.set_times-mtim-and-now",
       __wasi_fd_filestat_set_times(fd, 1, 1,
                                    __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.set_times-mtim-now",
       __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
  TP_W("wasi.filestat-now", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_TRUE("wasi.mtim-now", fs.mtim > 1600000000ull * 1000000000ull);
  TP_EQ("wasi.atim-kept", fs.atim, 1234567890123456789ull);
  TP_W("wasi.path_filestat_set_times",
       __wasi_path_filestat_set_times((__wasi_fd_t)root, 0, "r.txt", 5, 6,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
       0);
  TP_W("wasi.filestat-path-times", __wasi_fd_filestat_get(fd, &fs), 0);
  TP_TRUE("wasi.path-times", fs.atim == 5 && fs.mtim == 6);
  TP_W("wasi.path_filestat_set_times-bad",
       __wasi_path_filestat_set_times((__wasi_fd_t)root, 0, "r.txt", 5, 6,
                                      __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.fd_sync", __wasi_fd_sync(fd), 0);
  TP_W("wasi.fd_datasync", __wasi_fd_datasync(fd), 0);
  TP_W("wasi.close-all-rights", __wasi_fd_close(fd), 0);
}

static void renumber(void) {
  /* fd_seek needs fd_tell too (fd_tell alone for a zero move from the
   * current position), as in wasi-common and uvwasi */
  __wasi_rights_t rw = R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL);
  __wasi_fd_t a = open_file(root, "ra", __WASI_OFLAGS_CREAT, rw);
  __wasi_fd_t b = open_file(root, "rb", __WASI_OFLAGS_CREAT, rw);
  __wasi_size_t n;
  wr(a, "content of a", &n);
  wr(b, "content of b", &n);
  TP_W("wasi.renumber", __wasi_fd_renumber(a, b), 0);
  __wasi_fdstat_t st;
  TP_W("wasi.renumber-from-closed", __wasi_fd_fdstat_get(a, &st),
       __WASI_ERRNO_BADF);
  __wasi_filesize_t pos;
  TP_W("wasi.renumber-seek", __wasi_fd_seek(b, 0, __WASI_WHENCE_SET, &pos), 0);
  char buf[64] = {0};
  TP_W("wasi.renumber-read", rd(b, buf, sizeof buf - 1, &n), 0);
  TP_STREQ("wasi.renumber-is-a", buf, "content of a");
  TP_W("wasi.renumber-self", __wasi_fd_renumber(b, b), 0);
  TP_W("wasi.renumber-self-open", __wasi_fd_fdstat_get(b, &st), 0);
  TP_W("wasi.renumber-to-unopened", __wasi_fd_renumber(b, 4000),
       __WASI_ERRNO_BADF);
  TP_W("wasi.renumber-from-unopened", __wasi_fd_renumber(4000, b),
       __WASI_ERRNO_BADF);
  TP_W("wasi.renumber-from-closed2", __wasi_fd_renumber(a, b),
       __WASI_ERRNO_BADF);

  /* over stderr: writes to fd 2 now land in the file */
  __wasi_fd_t c = open_file(root, "rc", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                            rw);
  TP_W("wasi.renumber-onto-stderr", __wasi_fd_renumber(c, 2), 0);
  TP_W("wasi.write-new-stderr", wr(2, "via fd 2", &n), 0);
  TP_W("wasi.seek-new-stderr", __wasi_fd_seek(2, 0, __WASI_WHENCE_SET, &pos), 0);
  memset(buf, 0, sizeof buf);
  TP_W("wasi.read-new-stderr", rd(2, buf, sizeof buf - 1, &n), 0);
  TP_STREQ("wasi.renumber-stderr-content", buf, "via fd 2");
  TP_W("wasi.close-b", __wasi_fd_close(b), 0);

  /* closing a preopen: it is gone for every purpose */
  TP_W("wasi.close-preopen", __wasi_fd_close((__wasi_fd_t)second), 0);
  __wasi_prestat_t ps;
  TP_W("wasi.prestat-after-close", __wasi_fd_prestat_get((__wasi_fd_t)second, &ps),
       __WASI_ERRNO_BADF);
  __wasi_fd_t x;
  TP_W("wasi.open-in-closed-preopen",
       __wasi_path_open((__wasi_fd_t)second, 0, "x", __WASI_OFLAGS_CREAT,
                        R(FD_READ), 0, 0, &x),
       __WASI_ERRNO_BADF);
}

static void lookup(void) {
  __wasi_fd_t fd = open_file(root, "target", __WASI_OFLAGS_CREAT, R(FD_WRITE));
  TP_IGNORE(__wasi_fd_close(fd));
  TP_W("wasi.path_symlink", __wasi_path_symlink("target", (__wasi_fd_t)root,
                                                "link"), 0);
  char buf[64] = {0};
  __wasi_size_t n = 0;
  TP_W("wasi.path_readlink",
       __wasi_path_readlink((__wasi_fd_t)root, "link", (uint8_t *)buf,
                            sizeof buf, &n), 0);
  TP_EQ("wasi.path_readlink.len", n, 6);
  TP_TRUE("wasi.path_readlink.value", memcmp(buf, "target", 6) == 0);
  __wasi_filestat_t fs;
  TP_W("wasi.filestat-nofollow",
       __wasi_path_filestat_get((__wasi_fd_t)root, 0, "link", &fs), 0);
  TP_EQ("wasi.filestat-nofollow.type", fs.filetype,
        __WASI_FILETYPE_SYMBOLIC_LINK);
  TP_W("wasi.filestat-follow",
       __wasi_path_filestat_get((__wasi_fd_t)root,
                                __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link", &fs),
       0);
  TP_EQ("wasi.filestat-follow.type", fs.filetype,
        __WASI_FILETYPE_REGULAR_FILE);
  __wasi_fd_t x;
  TP_W("wasi.open-link-nofollow",
       __wasi_path_open((__wasi_fd_t)root, 0, "link", 0, R(FD_READ), 0, 0, &x),
       __WASI_ERRNO_LOOP);
  TP_W("wasi.open-link-follow",
       __wasi_path_open((__wasi_fd_t)root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                        "link", 0, R(FD_READ), 0, 0, &x), 0);
  TP_IGNORE(__wasi_fd_close(x));
  /* path_link does not follow a symlink in the source: the flag is
   * EINVAL (wasmtime, wasi-common) */
  TP_W("wasi.path_link-follow",
       __wasi_path_link((__wasi_fd_t)root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                        "link", (__wasi_fd_t)root, "hard"),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.path_link-of-symlink",
       __wasi_path_link((__wasi_fd_t)root, 0, "link", (__wasi_fd_t)root, "hard"),
       0);
  TP_W("wasi.filestat-hard-is-link",
       __wasi_path_filestat_get((__wasi_fd_t)root, 0, "hard", &fs), 0);
  TP_EQ("wasi.hard-type", fs.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  TP_W("wasi.open-file-as-dir",
       __wasi_path_open((__wasi_fd_t)root, 0, "target",
                        __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &x),
       __WASI_ERRNO_NOTDIR);
  TP_W("wasi.open-creat-excl-exists",
       __wasi_path_open((__wasi_fd_t)root, 0, "target",
                        __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R(FD_WRITE),
                        0, 0, &x),
       __WASI_ERRNO_EXIST);
  TP_W("wasi.open-empty-path",
       __wasi_path_open((__wasi_fd_t)root, 0, "", 0, R(FD_READ), 0, 0, &x),
       __WASI_ERRNO_NOENT);

  /* a file descriptor is not a directory to resolve paths in */
  fd = open_file(root, "target", 0, R(FD_READ));
  TP_W2("wasi.open-under-file-fd",
        __wasi_path_open(fd, 0, "x", 0, R(FD_READ), 0, 0, &x),
        __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);
  TP_IGNORE(__wasi_fd_close(fd));

  /* inheriting rights bound what can be opened below a directory */
  TP_W("wasi.mkdir-sub", __wasi_path_create_directory((__wasi_fd_t)root, "sub"),
       0);
  __wasi_fd_t sub;
  TP_W("wasi.open-sub-restricted",
       __wasi_path_open((__wasi_fd_t)root, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                        R(PATH_OPEN) | R(FD_READDIR) | R(PATH_FILESTAT_GET) |
                            R(PATH_CREATE_FILE),
                        R(FD_READ) | R(FD_SEEK), 0, &sub),
       0);
  __wasi_fdstat_t st;
  TP_W("wasi.fdstat-sub", __wasi_fd_fdstat_get(sub, &st), 0);
  TP_TRUE("wasi.sub-inheriting",
          (st.fs_rights_inheriting & ~(R(FD_READ) | R(FD_SEEK))) == 0);
  TP_W("wasi.create-in-sub",
       __wasi_path_open(sub, 0, "f", __WASI_OFLAGS_CREAT, R(FD_READ), 0, 0, &x),
       0);
  TP_IGNORE(__wasi_fd_close(x));
  TP_W("wasi.open-write-beyond-inheriting",
       __wasi_path_open(sub, 0, "f", 0, R(FD_READ) | R(FD_WRITE), 0, 0, &x),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.mkdir-without-right", __wasi_path_create_directory(sub, "d"),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.unlink-without-right", __wasi_path_unlink_file(sub, "f"),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.symlink-without-right", __wasi_path_symlink("f", sub, "l"),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.set_rights-raise-dir",
       __wasi_fd_fdstat_set_rights(sub, R(PATH_OPEN) | R(PATH_CREATE_DIRECTORY),
                                   0),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.set_rights-drop-open",
       __wasi_fd_fdstat_set_rights(sub, R(FD_READDIR), 0), 0);
  TP_W("wasi.open-after-drop",
       __wasi_path_open(sub, 0, "f", 0, R(FD_READ), 0, 0, &x),
       __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.close-sub", __wasi_fd_close(sub), 0);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  tp_init();
  root = tp_preopen("/sandbox");
  second = tp_preopen("/second");
  TP_TRUE("wasi.preopens-found", root >= 3 && second >= 3);
  if (root < 3 || second < 3)
    return tp_done();
  prestat();
  io();
  renumber();
  lookup();
  return tp_done();
}

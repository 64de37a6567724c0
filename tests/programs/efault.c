/*
 * efault.c - guest pointers outside linear memory. Every WASI function
 * that takes a pointer is called with one that is out of bounds (at the
 * end of memory, straddling it, or wrapping around 2^32 when the length
 * is added): each call must fail with EFAULT, never trap, never touch
 * memory it was not given, and the program must go on. WASI-only.
 *
 * The calls are declared here with plain i32 addresses (wasi-libc's
 * prototypes take C pointers and compute string lengths themselves).
 *
 * WASI: args_get, args_sizes_get, environ_get, environ_sizes_get,
 * clock_res_get, clock_time_get, random_get, fd_read, fd_write, fd_pread,
 * fd_pwrite, fd_prestat_get, fd_prestat_dir_name, fd_fdstat_get,
 * fd_filestat_get, fd_seek, fd_tell, fd_readdir, path_open,
 * path_filestat_get, path_filestat_set_times, path_create_directory,
 * path_remove_directory, path_unlink_file, path_rename, path_link,
 * path_symlink, path_readlink, poll_oneoff.
 *
 *   efault /sandbox     (with at least one environment variable, so that
 *                        environ_get has something to write)
 */
#include "tp.h"

#define IMP(name)                                                            \
  __attribute__((import_module("wasi_snapshot_preview1"),                   \
                 import_name(#name))) extern int32_t r_##name
typedef int32_t I;
typedef int64_t L;
IMP(args_get)(I, I);
IMP(args_sizes_get)(I, I);
IMP(environ_get)(I, I);
IMP(environ_sizes_get)(I, I);
IMP(clock_res_get)(I, I);
IMP(clock_time_get)(I, L, I);
IMP(random_get)(I, I);
IMP(fd_read)(I, I, I, I);
IMP(fd_write)(I, I, I, I);
IMP(fd_pread)(I, I, I, L, I);
IMP(fd_pwrite)(I, I, I, L, I);
IMP(fd_prestat_get)(I, I);
IMP(fd_prestat_dir_name)(I, I, I);
IMP(fd_fdstat_get)(I, I);
IMP(fd_filestat_get)(I, I);
IMP(fd_seek)(I, L, I, I);
IMP(fd_tell)(I, I);
IMP(fd_readdir)(I, I, I, L, I);
IMP(path_open)(I, I, I, I, I, L, L, I, I);
IMP(path_filestat_get)(I, I, I, I, I);
IMP(path_filestat_set_times)(I, I, I, I, L, L, I);
IMP(path_create_directory)(I, I, I);
IMP(path_remove_directory)(I, I, I);
IMP(path_unlink_file)(I, I, I);
IMP(path_rename)(I, I, I, I, I, I);
IMP(path_link)(I, I, I, I, I, I, I);
IMP(path_symlink)(I, I, I, I, I);
IMP(path_readlink)(I, I, I, I, I, I);
IMP(poll_oneoff)(I, I, I, I);

#define F __WASI_ERRNO_FAULT
#define A(p) ((I)(uintptr_t)(p))

static uint32_t mem_end(void) {
  return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

int main(void) {
  tp_init();
  int root = tp_preopen("/sandbox");
  TP_TRUE("wasi.preopen", root >= 3);
  const I END = (I)mem_end();
  const I WRAP = (I)0xFFFFFFF0u;
  static uint32_t out32[4];
  static uint64_t out64[4];
  static char buf[256];

  /* arguments and environment */
  TP_W("wasi.args_sizes_get.argc", r_args_sizes_get(END, A(&out32[0])), F);
  TP_W("wasi.args_sizes_get.size", r_args_sizes_get(A(&out32[0]), END - 2), F);
  TP_W("wasi.args_get.argv", r_args_get(END - 4, A(buf)), F);
  TP_W("wasi.args_get.buf", r_args_get(A(out64), END - 1), F);
  TP_W("wasi.args_get.wrap", r_args_get(A(out64), WRAP), F);
  TP_W("wasi.environ_sizes_get", r_environ_sizes_get(A(&out32[0]), END), F);
  TP_W("wasi.environ_get.buf", r_environ_get(A(out64), END - 1), F);
  TP_W("wasi.environ_get.ptrs", r_environ_get(WRAP, A(buf)), F);

  /* clocks and randomness */
  TP_W("wasi.clock_time_get.straddle", r_clock_time_get(1, 0, END - 4), F);
  TP_W("wasi.clock_time_get.wrap", r_clock_time_get(1, 0, (I)0xFFFFFFFCu), F);
  TP_W("wasi.clock_res_get.end", r_clock_res_get(0, END), F);
  TP_W("wasi.random_get.straddle", r_random_get(END - 10, 20), F);
  TP_W("wasi.random_get.wrap", r_random_get(WRAP, 0x20), F);
  TP_W("wasi.random_get.huge", r_random_get(A(buf), (I)0x7FFFFFFF), F);
  TP_W("wasi.random_get.empty-at-end", r_random_get(END, 0), 0);

  /* a scratch file */
  __wasi_fd_t fd;
  TP_W("wasi.open-scratch",
       __wasi_path_open((__wasi_fd_t)root, 0, "scratch",
                        __WASI_OFLAGS_CREAT, tp_inheriting(root),
                        tp_inheriting(root), 0, &fd),
       0);
  I f = (I)fd;
  static uint32_t iov[2];
  iov[0] = (uint32_t)A(buf);
  iov[1] = 16;
  TP_W("wasi.fd_write.iovs", r_fd_write(f, END - 4, 1, A(out32)), F);
  TP_W("wasi.fd_write.iovs-count", r_fd_write(f, A(iov), 0x20000000, A(out32)),
       F);
  TP_W("wasi.fd_write.result", r_fd_write(f, A(iov), 1, END), F);
  iov[0] = (uint32_t)(END - 8);
  TP_W("wasi.fd_write.buf", r_fd_write(f, A(iov), 1, A(out32)), F);
  iov[0] = (uint32_t)WRAP;
  TP_W("wasi.fd_write.buf-wrap", r_fd_write(f, A(iov), 1, A(out32)), F);
  iov[0] = (uint32_t)A(buf);
  iov[1] = 0x7FFFFFF0u;
  TP_W("wasi.fd_write.len", r_fd_write(f, A(iov), 1, A(out32)), F);
  TP_W("wasi.fd_pwrite.buf", r_fd_pwrite(f, A(iov), 1, 0, A(out32)), F);
  iov[1] = 16;
  TP_W("wasi.fd_pwrite.result", r_fd_pwrite(f, A(iov), 1, 0, END - 1), F);
  /* nothing above may have written */
  __wasi_filestat_t st;
  TP_W("wasi.filestat-scratch", __wasi_fd_filestat_get(fd, &st), 0);
  printf("  scratch size after faulting writes: %llu\n",
         (unsigned long long)st.size);
  memset(buf, 'x', 64);
  TP_W("wasi.fd_write.good", r_fd_write(f, A(iov), 1, A(out32)), 0);
  TP_EQ("wasi.fd_write.good-count", out32[0], 16);
  iov[0] = (uint32_t)(END - 8);
  TP_W("wasi.fd_pread.buf", r_fd_pread(f, A(iov), 1, 0, A(out32)), F);
  TP_W("wasi.fd_read.buf", r_fd_read(f, A(iov), 1, A(out32)), F);
  iov[0] = (uint32_t)A(buf);
  TP_W("wasi.fd_read.iovs", r_fd_read(f, WRAP, 2, A(out32)), F);
  TP_W("wasi.fd_read.result", r_fd_read(f, A(iov), 1, END - 3), F);
  TP_W("wasi.fd_seek.result", r_fd_seek(f, 0, 0, END - 4), F);
  TP_W("wasi.fd_tell.result", r_fd_tell(f, END), F);
  TP_W("wasi.fd_fdstat_get", r_fd_fdstat_get(f, END - 8), F);
  TP_W("wasi.fd_filestat_get", r_fd_filestat_get(f, END - 16), F);
  TP_W("wasi.fd_prestat_get", r_fd_prestat_get(root, END - 4), F);
  TP_W("wasi.fd_prestat_dir_name", r_fd_prestat_dir_name(root, END - 4, 8), F);
  TP_W("wasi.fd_readdir.buf", r_fd_readdir(root, END - 10, 100, 0, A(out32)),
       F);
  TP_W("wasi.fd_readdir.result", r_fd_readdir(root, A(buf), 100, 0, END), F);
  TP_IGNORE(__wasi_fd_close(fd));

  /* paths */
  strcpy(buf, "scratch");
  TP_W("wasi.path_open.path", r_path_open(root, 0, END - 3, 7, 0, 2, 0, 0,
                                          A(out32)), F);
  TP_W("wasi.path_open.path-len", r_path_open(root, 0, A(buf), 0x7FFFFFFF, 0,
                                              2, 0, 0, A(out32)), F);
  TP_W("wasi.path_open.result", r_path_open(root, 0, A(buf), 7, 0, 2, 0, 0,
                                            END - 2), F);
  TP_W("wasi.path_filestat_get.path",
       r_path_filestat_get(root, 0, WRAP, 7, A(out64)), F);
  TP_W("wasi.path_filestat_get.result",
       r_path_filestat_get(root, 0, A(buf), 7, END - 8), F);
  TP_W("wasi.path_filestat_set_times",
       r_path_filestat_set_times(root, 0, END - 1, 7, 0, 0, 0), F);
  TP_W("wasi.path_create_directory", r_path_create_directory(root, END - 1, 4),
       F);
  TP_W("wasi.path_remove_directory", r_path_remove_directory(root, END, 1), F);
  TP_W("wasi.path_unlink_file", r_path_unlink_file(root, WRAP, 0x20), F);
  TP_W("wasi.path_rename.old", r_path_rename(root, END - 2, 7, root, A(buf), 7),
       F);
  TP_W("wasi.path_rename.new", r_path_rename(root, A(buf), 7, root, END - 2, 7),
       F);
  TP_W("wasi.path_link.old", r_path_link(root, 0, END - 2, 7, root, A(buf), 7),
       F);
  TP_W("wasi.path_link.new", r_path_link(root, 0, A(buf), 7, root, WRAP, 0x20),
       F);
  TP_W("wasi.path_symlink.target", r_path_symlink(END - 2, 7, root, A(buf), 7),
       F);
  TP_W("wasi.path_symlink.name", r_path_symlink(A(buf), 7, root, END - 2, 7),
       F);
  TP_W("wasi.symlink-for-readlink",
       __wasi_path_symlink("scratch", (__wasi_fd_t)root, "lnk"), 0);
  strcpy(buf, "lnk");
  TP_W("wasi.path_readlink.buf",
       r_path_readlink(root, A(buf), 3, END - 4, 64, A(out32)), F);
  TP_W("wasi.path_readlink.result",
       r_path_readlink(root, A(buf), 3, A(buf) + 16, 64, END - 1), F);
  strcpy(buf, "scratch");
  __wasi_filestat_t fs;
  TP_W("wasi.scratch-still-there",
       __wasi_path_filestat_get((__wasi_fd_t)root, 0, "scratch", &fs), 0);
  TP_EQ("wasi.scratch-size", fs.size, 16);

  /* poll_oneoff */
  static __wasi_subscription_t sub;
  static __wasi_event_t ev;
  memset(&sub, 0, sizeof sub);
  sub.u.tag = __WASI_EVENTTYPE_CLOCK;
  sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub.u.u.clock.timeout = 1000;
  TP_W("wasi.poll_oneoff.in", r_poll_oneoff(END - 16, A(&ev), 1, A(out32)), F);
  TP_W("wasi.poll_oneoff.in-count",
       r_poll_oneoff(A(&sub), A(&ev), 0x08000000, A(out32)), F);
  TP_W("wasi.poll_oneoff.out", r_poll_oneoff(A(&sub), END - 8, 1, A(out32)), F);
  TP_W("wasi.poll_oneoff.nevents", r_poll_oneoff(A(&sub), A(&ev), 1, END), F);
  TP_W("wasi.poll_oneoff.good", r_poll_oneoff(A(&sub), A(&ev), 1, A(out32)), 0);
  TP_EQ("wasi.poll_oneoff.good-n", out32[0], 1);
  printf("still running\n");
  return tp_done();
}

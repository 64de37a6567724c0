/*
 * sock.c - the socket calls. WASI-only.
 *
 * WASI: sock_accept, sock_recv, sock_send, sock_shutdown, poll_oneoff (on
 * a listening and a connected socket), fd_fdstat_get, fd_fdstat_set_flags,
 * fd_prestat_get, fd_read, fd_write, fd_close.
 *
 *   sock /sandbox files      ENOTSOCK / EBADF on descriptors that are not
 *                            sockets (no listener needed)
 *   sock /sandbox serve      with `--tcplisten 127.0.0.1:PORT`: the runner
 *                            connects when the program prints
 *                            "  connect: now" and then talks this protocol:
 *     runner -> "hello from runner\n"
 *     program -> "pong:ok\n" (sock_send) + "via fd_write\n" (fd_write)
 *     runner -> "second\n"            program reads it with fd_read
 *     program: sock_shutdown(WR)      runner sees end of stream
 *     runner -> "eof seen\n", closes  program reads it, then end of stream
 */
#include "tp.h"

#define R(x) __WASI_RIGHTS_##x
#define MS 1000000ull

static __wasi_errno_t recv1(__wasi_fd_t fd, char *buf, size_t cap,
                            __wasi_riflags_t fl, __wasi_size_t *n,
                            __wasi_roflags_t *ro) {
  __wasi_iovec_t iov = {(uint8_t *)buf, cap};
  return __wasi_sock_recv(fd, &iov, 1, fl, n, ro);
}

static __wasi_errno_t send1(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_sock_send(fd, &iov, 1, 0, n);
}

/* Wait until fd is readable (fd_read subscription) or 20 s pass. */
static int wait_readable(__wasi_fd_t fd, uint64_t ud) {
  __wasi_subscription_t s[2];
  __wasi_event_t ev[2];
  memset(s, 0, sizeof s);
  s[0].userdata = ud;
  s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  s[0].u.u.fd_read.file_descriptor = fd;
  s[1].userdata = 999;
  s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s[1].u.u.clock.timeout = 20000 * MS;
  __wasi_size_t n = 0;
  if (__wasi_poll_oneoff(s, ev, 2, &n) != 0)
    return 0;
  for (__wasi_size_t i = 0; i < n; i++)
    if (ev[i].userdata == ud && ev[i].error == 0 &&
        ev[i].type == __WASI_EVENTTYPE_FD_READ)
      return 1;
  return 0;
}

/* Read exactly `want` bytes with sock_recv (possibly in pieces). */
static int recv_exact(__wasi_fd_t fd, char *buf, size_t want) {
  size_t got = 0;
  while (got < want) {
    __wasi_size_t n = 0;
    __wasi_roflags_t ro = 0;
    if (recv1(fd, buf + got, want - got, 0, &n, &ro) != 0 || n == 0)
      return 0;
    got += n;
  }
  buf[got] = 0;
  return 1;
}

/* Every socket call on descriptors that are not sockets. */
static void not_sockets(int root) {
  __wasi_fd_t f;
  TP_W("wasi.open-file",
       __wasi_path_open((__wasi_fd_t)root, 0, "plain.txt", __WASI_OFLAGS_CREAT,
                        R(FD_READ) | R(FD_WRITE), 0, 0, &f), 0);
  char buf[16];
  __wasi_size_t n;
  __wasi_roflags_t ro;
  __wasi_fd_t nfd;
  const __wasi_fd_t fds[] = {f, (__wasi_fd_t)root, 1};
  const char *names[] = {"file", "dir", "stdout"};
  for (int i = 0; i < 3; i++) {
    TP_W(tp_fmt("wasi.sock_accept.%s", names[i]), __wasi_sock_accept(fds[i], 0, &nfd),
         __WASI_ERRNO_NOTSOCK);
    TP_W(tp_fmt("wasi.sock_recv.%s", names[i]),
         recv1(fds[i], buf, sizeof buf, 0, &n, &ro), __WASI_ERRNO_NOTSOCK);
    TP_W(tp_fmt("wasi.sock_send.%s", names[i]), send1(fds[i], "x", &n),
         __WASI_ERRNO_NOTSOCK);
    TP_W(tp_fmt("wasi.sock_shutdown.%s", names[i]),
         __wasi_sock_shutdown(fds[i], __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  }
  TP_W("wasi.sock_accept.badf", __wasi_sock_accept(999, 0, &nfd),
       __WASI_ERRNO_BADF);
  TP_W("wasi.sock_recv.badf", recv1(999, buf, sizeof buf, 0, &n, &ro),
       __WASI_ERRNO_BADF);
  TP_W("wasi.sock_send.badf", send1(999, "x", &n), __WASI_ERRNO_BADF);
  TP_W("wasi.sock_shutdown.badf", __wasi_sock_shutdown(999, __WASI_SDFLAGS_RD),
       __WASI_ERRNO_BADF);
  TP_W("wasi.close-file", __wasi_fd_close(f), 0);
  TP_W("wasi.sock_send.closed", send1(f, "x", &n), __WASI_ERRNO_BADF);
  /* the file was not written by the refused sock_send */
  __wasi_filestat_t st;
  TP_W("wasi.stat-file", __wasi_path_filestat_get((__wasi_fd_t)root, 0,
                                                  "plain.txt", &st), 0);
  TP_EQ("wasi.file-untouched", st.size, 0);
}

static int find_listener(void) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) == 0 &&
        st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
      return (int)fd;
  }
  return -1;
}

static void serve(int root) {
  int lf = find_listener();
  TP_TRUE("wasi.listener-found", lf > root);
  if (lf < 0)
    return;
  __wasi_fd_t l = (__wasi_fd_t)lf;
  __wasi_prestat_t ps;
  TP_W("wasi.listener-no-prestat", __wasi_fd_prestat_get(l, &ps),
       __WASI_ERRNO_BADF);

  /* nobody has connected yet: a non-blocking accept says EAGAIN and a
   * short poll times out */
  TP_W("wasi.listener-set-nonblock",
       __wasi_fd_fdstat_set_flags(l, __WASI_FDFLAGS_NONBLOCK), 0);
  __wasi_fdstat_t st;
  TP_W("wasi.listener-fdstat", __wasi_fd_fdstat_get(l, &st), 0);
  TP_TRUE("wasi.listener-nonblock-flag",
          (st.fs_flags & __WASI_FDFLAGS_NONBLOCK) != 0);
  __wasi_fd_t c = 12345;
  TP_W("wasi.accept-nobody", __wasi_sock_accept(l, 0, &c), __WASI_ERRNO_AGAIN);
  TP_W("wasi.listener-set-blocking", __wasi_fd_fdstat_set_flags(l, 0), 0);
  {
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    memset(s, 0, sizeof s);
    s[0].userdata = 1;
    s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    s[0].u.u.fd_read.file_descriptor = l;
    s[1].userdata = 2;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = 50 * MS;
    __wasi_size_t n = 0;
    TP_W("wasi.poll-listener-idle", __wasi_poll_oneoff(s, ev, 2, &n), 0);
    TP_TRUE("wasi.poll-listener-idle-clock", n == 1 && ev[0].userdata == 2);
  }

  printf("  connect: now\n");
  fflush(stdout);
  TP_TRUE("wasi.poll-listener-ready", wait_readable(l, 3));
  TP_W("wasi.sock_accept", __wasi_sock_accept(l, 0, &c), 0);
  TP_TRUE("wasi.accepted-new-fd", c != l && c > 2 && c != 12345);
  TP_W("wasi.conn-fdstat", __wasi_fd_fdstat_get(c, &st), 0);
  TP_EQ("wasi.conn-type", st.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
  TP_TRUE("wasi.conn-rights",
          (st.fs_rights_base & (R(FD_READ) | R(FD_WRITE) | R(SOCK_SHUTDOWN))) ==
              (R(FD_READ) | R(FD_WRITE) | R(SOCK_SHUTDOWN)));
  TP_W("wasi.conn-no-prestat", __wasi_fd_prestat_get(c, &ps), __WASI_ERRNO_BADF);

  /* "hello from runner\n": peek first, then read it in two iovecs */
  TP_TRUE("wasi.poll-conn-readable", wait_readable(c, 4));
  char buf[128] = {0}, peek[8] = {0};
  __wasi_size_t n = 0;
  __wasi_roflags_t ro = 0xFFFF;
  TP_W("wasi.sock_recv-peek",
       recv1(c, peek, 5, __WASI_RIFLAGS_RECV_PEEK, &n, &ro), 0);
  TP_TRUE("wasi.sock_recv-peek-data", n == 5 && memcmp(peek, "hello", 5) == 0);
  size_t got = 0;
  while (got < 18) {
    size_t len0 = 18 - got < 5 ? 18 - got : 5;
    __wasi_iovec_t iov[2] = {{(uint8_t *)buf + got, len0},
                             {(uint8_t *)buf + got + len0, 18 - got - len0}};
    n = 0;
    ro = 0xFFFF;
    if (__wasi_sock_recv(c, iov, 2, 0, &n, &ro) != 0 || n == 0)
      break;
    got += n;
  }
  TP_EQ("wasi.sock_recv-count", got, 18);
  TP_STREQ("wasi.sock_recv-data", buf, "hello from runner\n");
  TP_EQ("wasi.sock_recv-roflags", ro, 0);

  /* replies: sock_send with two ciovecs, then fd_write on the socket */
  __wasi_ciovec_t out[3] = {{(const uint8_t *)"pong:", 5},
                            {(const uint8_t *)"", 0},
                            {(const uint8_t *)"ok\n", 3}};
  TP_W("wasi.sock_send", __wasi_sock_send(c, out, 3, 0, &n), 0);
  TP_EQ("wasi.sock_send-count", n, 8);
  __wasi_ciovec_t w = {(const uint8_t *)"via fd_write\n", 13};
  TP_W("wasi.fd_write-socket", __wasi_fd_write(c, &w, 1, &n), 0);
  TP_EQ("wasi.fd_write-socket-count", n, 13);

  /* "second\n" through fd_read */
  memset(buf, 0, sizeof buf);
  got = 0;
  while (got < 7) {
    __wasi_iovec_t r = {(uint8_t *)buf + got, 7 - got};
    n = 0;
    if (__wasi_fd_read(c, &r, 1, &n) != 0 || n == 0)
      break;
    got += n;
  }
  TP_STREQ("wasi.fd_read-socket", buf, "second\n");
  __wasi_filesize_t pos;
  TP_W2("wasi.seek-socket", __wasi_fd_seek(c, 0, __WASI_WHENCE_CUR, &pos),
        __WASI_ERRNO_SPIPE, __WASI_ERRNO_NOTCAPABLE);

  /* half close: the runner sees the end of the stream and answers */
  TP_W("wasi.sock_shutdown-bad-how", __wasi_sock_shutdown(c, 0),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.sock_shutdown-bad-how2", __wasi_sock_shutdown(c, 4),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.sock_shutdown-wr", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR), 0);
  /* writing after shutdown: EPIPE, and no signal kills the runtime */
  TP_W("wasi.sock_send-after-shutdown", send1(c, "late", &n),
       __WASI_ERRNO_PIPE);
  memset(buf, 0, sizeof buf);
  TP_TRUE("wasi.recv-eof-seen", recv_exact(c, buf, 9));
  TP_STREQ("wasi.recv-eof-seen-data", buf, "eof seen\n");
  n = 99;
  TP_W("wasi.sock_recv-eof", recv1(c, buf, sizeof buf, 0, &n, &ro), 0);
  TP_EQ("wasi.sock_recv-eof-count", n, 0);
  TP_W("wasi.conn-close", __wasi_fd_close(c), 0);
  TP_W("wasi.sock_recv-closed", recv1(c, buf, sizeof buf, 0, &n, &ro),
       __WASI_ERRNO_BADF);
  TP_W("wasi.sock_shutdown-closed", __wasi_sock_shutdown(c, __WASI_SDFLAGS_RD),
       __WASI_ERRNO_BADF);
  /* the listener is not a connected socket */
  TP_W2("wasi.sock_recv-listener", recv1(l, buf, sizeof buf, 0, &n, &ro),
        __WASI_ERRNO_NOTCONN, __WASI_ERRNO_NOTCAPABLE);
  TP_W("wasi.listener-close", __wasi_fd_close(l), 0);
  TP_W("wasi.accept-closed", __wasi_sock_accept(l, 0, &c), __WASI_ERRNO_BADF);
}

int main(int argc, char **argv) {
  tp_init();
  int root = tp_preopen("/sandbox");
  TP_TRUE("wasi.preopen", root >= 3);
  if (root < 3 || argc < 3)
    return tp_done() | 1;
  if (strcmp(argv[2], "files") == 0)
    not_sockets(root);
  else if (strcmp(argv[2], "serve") == 0)
    serve(root);
  else {
    fprintf(stderr, "usage: sock /sandbox files|serve\n");
    return 2;
  }
  return tp_done();
}

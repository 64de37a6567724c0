/*
 * clocks.c - time, sleeping, waiting and randomness.
 *
 * WASI: clock_res_get, clock_time_get, poll_oneoff (clock subscriptions,
 * relative and absolute, realtime and monotonic; fd_read / fd_write
 * readiness of files, stdout and a stdin pipe; invalid subscriptions),
 * sched_yield, random_get; plus fd_write, path_open, fd_close through
 * libc.
 *
 *   clocks ROOT          everything but stdin
 *   clocks ROOT stdin    readiness of stdin, driven by the runner:
 *                        the program prints "  send: ping" when it wants
 *                        "ping\n" on stdin, "  send: close" when it wants
 *                        stdin closed, and nothing may arrive before.
 *
 * The portable part (clock_gettime, nanosleep, poll, getentropy) prints the
 * same transcript natively; raw __wasi_* checks are labelled "wasi.".
 * Times are never printed, only compared.
 */
#include "tp.h"
#include "tp_path.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ull /* nanoseconds */

static uint64_t ts_ns(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static uint64_t mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ts_ns(&t);
}

static void libc_clocks(void) {
  struct timespec t, r;
  TP_OK("clock_gettime-realtime", clock_gettime(CLOCK_REALTIME, &t));
  TP_TRUE("realtime-after-2020", t.tv_sec > 1577836800);
  TP_TRUE("realtime-ns-range", t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
  time_t now = time(NULL);
  /* glibc's time() reads the coarse clock, which may lag a tick behind */
  TP_TRUE("realtime-agrees-with-time", now - t.tv_sec >= -1 && now - t.tv_sec < 5);
  TP_OK("clock_getres-realtime", clock_getres(CLOCK_REALTIME, &r));
  TP_TRUE("res-realtime-sane", ts_ns(&r) > 0 && ts_ns(&r) <= 10 * MS);
  TP_OK("clock_getres-monotonic", clock_getres(CLOCK_MONOTONIC, &r));
  TP_TRUE("res-monotonic-sane", ts_ns(&r) > 0 && ts_ns(&r) <= 10 * MS);

  /* monotonic never decreases, and advances over a busy loop */
  uint64_t prev = mono(), first = prev;
  int ok = 1;
  for (int i = 0; i < 20000; i++) {
    uint64_t x = mono();
    ok &= x >= prev;
    prev = x;
  }
  TP_TRUE("monotonic-non-decreasing", ok);
  TP_TRUE("monotonic-advances", prev > first);

  /* sleeping: at least as long as asked, not absurdly longer */
  uint64_t a = mono();
  struct timespec d = {0, 30 * 1000000};
  TP_OK("nanosleep", nanosleep(&d, NULL));
  uint64_t el = mono() - a;
  TP_TRUE("nanosleep-at-least", el >= 30 * MS);
  TP_TRUE("nanosleep-not-forever", el < 5000 * MS);
  a = mono();
  TP_OK("usleep", usleep(20000));
  TP_TRUE("usleep-at-least", mono() - a >= 20 * MS);

  /* an absolute deadline on the monotonic clock */
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_nsec += 40 * 1000000;
  if (dl.tv_nsec >= 1000000000) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000;
  }
  TP_EQ("clock_nanosleep-abstime",
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL), 0);
  TP_TRUE("abstime-reached", mono() >= ts_ns(&dl));
  /* a deadline in the past returns at once */
  dl.tv_sec -= 100;
  a = mono();
  TP_EQ("clock_nanosleep-past", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
                                                &dl, NULL), 0);
  TP_TRUE("past-deadline-immediate", mono() - a < 1000 * MS);

  TP_OK("sched_yield", sched_yield());
}

static void libc_poll(void) {
  /* poll with no descriptors is a sleep */
  uint64_t a = mono();
  TP_EQ("poll-none-sleeps", poll(NULL, 0, 25), 0);
  TP_TRUE("poll-none-elapsed", mono() - a >= 25 * MS);

  int fd = open(P("pollfile"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  TP_OK("open-pollfile", fd);
  TP_EQ("write-pollfile", write(fd, "0123456789", 10), 10);
  TP_EQ("seek-pollfile", lseek(fd, 0, SEEK_SET), 0);
  struct pollfd p[2] = {{fd, POLLRDNORM, 0}, {1, POLLWRNORM, 0}};
  a = mono();
  TP_EQ("poll-file-stdout", poll(p, 2, 5000), 2);
  TP_TRUE("poll-file-readable", (p[0].revents & POLLRDNORM) != 0);
  TP_TRUE("poll-stdout-writable", (p[1].revents & POLLWRNORM) != 0);
  TP_TRUE("poll-ready-no-wait", mono() - a < 4000 * MS);
  struct pollfd w = {fd, POLLWRNORM, 0};
  TP_EQ("poll-file-writable", poll(&w, 1, 5000), 1);
  TP_TRUE("poll-file-writable-revents", (w.revents & POLLWRNORM) != 0);
  close(fd);
}

static void libc_random(void) {
  unsigned char a[256], b[256];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  TP_OK("getentropy", getentropy(a, sizeof a));
  TP_OK("getentropy-2", getentropy(b, sizeof b));
  TP_TRUE("getentropy-differs", memcmp(a, b, sizeof a) != 0);
  TP_OK("getentropy-empty", getentropy(a, 0));
}

#ifdef __wasi__
#define CLK __WASI_EVENTTYPE_CLOCK
#define RD __WASI_EVENTTYPE_FD_READ
#define WR __WASI_EVENTTYPE_FD_WRITE

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id,
                                       uint64_t timeout, int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = CLK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, uint8_t type,
                                    __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  if (type == RD)
    s.u.u.fd_read.file_descriptor = fd;
  else
    s.u.u.fd_write.file_descriptor = fd;
  return s;
}

static uint64_t wmono(void) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0)
    return 0;
  return t;
}

/* The event for userdata `ud` among n events, or NULL. */
static const __wasi_event_t *ev_for(const __wasi_event_t *ev, size_t n,
                                    uint64_t ud) {
  for (size_t i = 0; i < n; i++)
    if (ev[i].userdata == ud)
      return &ev[i];
  return NULL;
}

static void raw_clocks(void) {
  __wasi_timestamp_t t = 0, r = 0;
  TP_W("wasi.clock_res_get-realtime",
       __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &r), 0);
  TP_TRUE("wasi.res-realtime", r > 0 && r <= 10 * MS);
  TP_W("wasi.clock_res_get-monotonic",
       __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &r), 0);
  TP_TRUE("wasi.res-monotonic", r > 0 && r <= 10 * MS);
  TP_W("wasi.clock_time_get-realtime",
       __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t), 0);
  TP_TRUE("wasi.realtime-after-2020", t > 1577836800ull * 1000000000ull);
  /* the precision argument is a hint: any value is accepted */
  TP_W("wasi.clock_time_get-precision-max",
       __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, UINT64_MAX, &t), 0);

  /* CPU-time clocks: supported, or EBADF (wasmtime's answer) */
  static const __wasi_clockid_t cpu[] = {__WASI_CLOCKID_PROCESS_CPUTIME_ID,
                                         __WASI_CLOCKID_THREAD_CPUTIME_ID};
  for (int i = 0; i < 2; i++) {
    __wasi_errno_t e = __wasi_clock_res_get(cpu[i], &r);
    TP_TRUE(tp_fmt("wasi.clock_res_get-cputime%d", i),
            e == __WASI_ERRNO_BADF || (e == 0 && r > 0));
    __wasi_errno_t e2 = __wasi_clock_time_get(cpu[i], 1, &t);
    TP_TRUE(tp_fmt("wasi.clock_time_get-cputime%d-consistent", i),
            e2 == e);
  }
  /* clock ids outside the enum */
  TP_W("wasi.clock_res_get-bad-id", __wasi_clock_res_get(4, &r),
       __WASI_ERRNO_INVAL);
  TP_W("wasi.clock_time_get-bad-id", __wasi_clock_time_get(0xFFFFFFFFu, 1, &t),
       __WASI_ERRNO_INVAL);

  uint64_t prev = wmono();
  int ok = prev != 0;
  for (int i = 0; i < 20000; i++) {
    uint64_t x = wmono();
    ok &= x >= prev;
    prev = x;
  }
  TP_TRUE("wasi.monotonic-non-decreasing", ok);
  TP_W("wasi.sched_yield", __wasi_sched_yield(), 0);
}

static void raw_poll(void) {
  __wasi_subscription_t s[4];
  __wasi_event_t ev[4];
  __wasi_size_t n = 99;

  /* one relative monotonic clock */
  s[0] = clock_sub(0xDEADBEEFCAFEF00Dull, __WASI_CLOCKID_MONOTONIC, 30 * MS, 0);
  memset(ev, 0xAA, sizeof ev);
  uint64_t a = wmono();
  TP_W("wasi.poll-relative", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  uint64_t el = wmono() - a;
  TP_EQ("wasi.poll-relative-n", n, 1);
  TP_TRUE("wasi.poll-relative-userdata", ev[0].userdata == 0xDEADBEEFCAFEF00Dull);
  TP_EQ("wasi.poll-relative-type", ev[0].type, CLK);
  TP_EQ("wasi.poll-relative-error", ev[0].error, 0);
  TP_TRUE("wasi.poll-relative-waited", el >= 30 * MS);
  TP_TRUE("wasi.poll-relative-not-forever", el < 5000 * MS);

  /* an absolute monotonic deadline */
  uint64_t dl = wmono() + 40 * MS;
  s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, dl, 1);
  TP_W("wasi.poll-absolute", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  TP_TRUE("wasi.poll-absolute-event", n == 1 && ev[0].userdata == 7 &&
                                          ev[0].type == CLK && ev[0].error == 0);
  TP_TRUE("wasi.poll-absolute-reached", wmono() >= dl);
  /* ... in the past: at once */
  s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 1, 1);
  a = wmono();
  TP_W("wasi.poll-absolute-past", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  TP_TRUE("wasi.poll-absolute-past-event", n == 1 && ev[0].userdata == 8);
  TP_TRUE("wasi.poll-absolute-past-immediate", wmono() - a < 1000 * MS);
  /* a relative timeout of zero */
  s[0] = clock_sub(9, __WASI_CLOCKID_MONOTONIC, 0, 0);
  TP_W("wasi.poll-zero", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  TP_TRUE("wasi.poll-zero-event", n == 1 && ev[0].userdata == 9);

  /* the realtime clock: relative, and absolute (now + 30 ms) */
  s[0] = clock_sub(10, __WASI_CLOCKID_REALTIME, 20 * MS, 0);
  a = wmono();
  TP_W("wasi.poll-realtime-relative", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  TP_TRUE("wasi.poll-realtime-relative-event", n == 1 && ev[0].userdata == 10);
  TP_TRUE("wasi.poll-realtime-relative-waited", wmono() - a >= 20 * MS);
  __wasi_timestamp_t rt = 0;
  TP_IGNORE(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &rt));
  s[0] = clock_sub(11, __WASI_CLOCKID_REALTIME, rt + 30 * MS, 1);
  a = wmono();
  TP_W("wasi.poll-realtime-absolute", __wasi_poll_oneoff(s, ev, 1, &n), 0);
  TP_TRUE("wasi.poll-realtime-absolute-event", n == 1 && ev[0].userdata == 11);
  TP_TRUE("wasi.poll-realtime-absolute-not-forever", wmono() - a < 5000 * MS);

  /* two clocks: only the earlier fires */
  s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 20 * MS, 0);
  a = wmono();
  TP_W("wasi.poll-two-clocks", __wasi_poll_oneoff(s, ev, 2, &n), 0);
  TP_EQ("wasi.poll-two-clocks-n", n, 1);
  TP_TRUE("wasi.poll-two-clocks-earlier", ev[0].userdata == 2);
  TP_TRUE("wasi.poll-two-clocks-time", wmono() - a < 5000 * MS);

  /* a regular file is always ready, for reading and writing; the
   * clock does not fire */
  int fd = open(P("pollraw"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  TP_OK("wasi.open-pollraw", fd);
  TP_EQ("wasi.write-pollraw", write(fd, "abcdef", 6), 6);
  lseek(fd, 0, SEEK_SET);
  s[0] = fd_sub(21, RD, (__wasi_fd_t)fd);
  s[1] = fd_sub(22, WR, (__wasi_fd_t)fd);
  s[2] = clock_sub(23, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  s[3] = fd_sub(24, WR, 1);
  memset(ev, 0, sizeof ev);
  a = wmono();
  TP_W("wasi.poll-file", __wasi_poll_oneoff(s, ev, 4, &n), 0);
  TP_EQ("wasi.poll-file-n", n, 3);
  const __wasi_event_t *e = ev_for(ev, n, 21);
  TP_TRUE("wasi.poll-file-read", e && e->type == RD && e->error == 0 &&
                                     e->fd_readwrite.nbytes >= 1);
  e = ev_for(ev, n, 22);
  TP_TRUE("wasi.poll-file-write", e && e->type == WR && e->error == 0);
  e = ev_for(ev, n, 24);
  TP_TRUE("wasi.poll-stdout-write", e && e->type == WR && e->error == 0);
  TP_TRUE("wasi.poll-file-no-clock", ev_for(ev, n, 23) == NULL);
  TP_TRUE("wasi.poll-file-immediate", wmono() - a < 5000 * MS);
  close(fd);

  /* invalid subscriptions */
  TP_W("wasi.poll-zero-subscriptions", __wasi_poll_oneoff(s, ev, 0, &n),
       __WASI_ERRNO_INVAL);
  s[0] = clock_sub(30, 99, 1000, 0);
  TP_W("wasi.poll-bad-clock-id", __wasi_poll_oneoff(s, ev, 1, &n),
       __WASI_ERRNO_INVAL);
  s[0] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 1000, 0);
  s[0].u.tag = 3;
  TP_W("wasi.poll-bad-tag", __wasi_poll_oneoff(s, ev, 1, &n),
       __WASI_ERRNO_INVAL);
  /* a descriptor that is not open: the call fails with EBADF (wasmtime),
   * or reports an EBADF event for it */
  s[0] = fd_sub(32, RD, 999);
  s[1] = clock_sub(33, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  n = 0;
  memset(ev, 0, sizeof ev);
  __wasi_errno_t r = __wasi_poll_oneoff(s, ev, 2, &n);
  e = ev_for(ev, n, 32);
  TP_TRUE("wasi.poll-bad-fd",
          r == __WASI_ERRNO_BADF ||
              (r == 0 && e && e->error == __WASI_ERRNO_BADF));
  s[0] = fd_sub(34, WR, (__wasi_fd_t)fd); /* closed above */
  n = 0;
  memset(ev, 0, sizeof ev);
  r = __wasi_poll_oneoff(s, ev, 2, &n);
  e = ev_for(ev, n, 34);
  TP_TRUE("wasi.poll-closed-fd",
          r == __WASI_ERRNO_BADF ||
              (r == 0 && e && e->error == __WASI_ERRNO_BADF));
}

static void raw_random(void) {
  static uint8_t big[65536];
  memset(big, 0, sizeof big);
  TP_W("wasi.random_get-64k", __wasi_random_get(big, sizeof big), 0);
  int seen[256] = {0}, distinct = 0;
  for (size_t i = 0; i < sizeof big; i++)
    if (!seen[big[i]]++)
      distinct++;
  TP_EQ("wasi.random_get-all-byte-values", distinct, 256);
  uint8_t a[32], b[32];
  memset(a, 0, sizeof a);
  memcpy(b, a, sizeof a);
  TP_W("wasi.random_get-32", __wasi_random_get(a, sizeof a), 0);
  TP_W("wasi.random_get-32b", __wasi_random_get(b, sizeof b), 0);
  TP_TRUE("wasi.random_get-differs", memcmp(a, b, sizeof a) != 0);
  uint8_t c[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  TP_W("wasi.random_get-empty", __wasi_random_get(c + 4, 0), 0);
  TP_TRUE("wasi.random_get-empty-untouched", c[4] == 5);
  /* an odd length writes exactly that many bytes */
  uint8_t d[16];
  int fills = 0;
  for (int k = 0; k < 8; k++) {
    memset(d, 0x5A, sizeof d);
    TP_IGNORE(__wasi_random_get(d + 1, 13));
    fills += d[0] == 0x5A && d[14] == 0x5A && d[15] == 0x5A;
  }
  TP_EQ("wasi.random_get-exact-length", fills, 8);
}
#endif

/* stdin readiness, with the runner as the other end of the pipe. */
static void stdin_mode(void) {
  struct pollfd p = {0, POLLRDNORM, 0};
  uint64_t a = mono();
  TP_EQ("stdin-poll-nothing-yet", poll(&p, 1, 100), 0);
  TP_TRUE("stdin-poll-timed-out", mono() - a >= 100 * MS);
#ifdef __wasi__
  __wasi_subscription_t s[2];
  __wasi_event_t ev[2];
  __wasi_size_t n = 0;
  s[0] = fd_sub(41, RD, 0);
  s[1] = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 50 * MS, 0);
  TP_W("wasi.stdin-poll-nothing", __wasi_poll_oneoff(s, ev, 2, &n), 0);
  TP_TRUE("wasi.stdin-poll-nothing-clock", n == 1 && ev[0].userdata == 42);
#endif
  printf("  send: ping\n");
  fflush(stdout);
#ifdef __wasi__
  s[1] = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 20000 * MS, 0);
  memset(ev, 0, sizeof ev);
  TP_W("wasi.stdin-poll-data", __wasi_poll_oneoff(s, ev, 2, &n), 0);
  TP_TRUE("wasi.stdin-poll-data-event",
          n == 1 && ev[0].userdata == 41 && ev[0].type == RD &&
              ev[0].error == 0 && ev[0].fd_readwrite.nbytes >= 1);
#endif
  p.revents = 0;
  TP_EQ("stdin-poll-data", poll(&p, 1, 20000), 1);
  TP_TRUE("stdin-poll-data-revents", (p.revents & POLLRDNORM) != 0);
  char buf[64] = {0};
  TP_EQ("stdin-read-ping", read(0, buf, sizeof buf - 1), 5);
  TP_STREQ("stdin-ping", buf, "ping\n");
  printf("  send: close\n");
  fflush(stdout);
  p.revents = 0;
  a = mono();
  TP_EQ("stdin-poll-eof", poll(&p, 1, 20000), 1);
  TP_TRUE("stdin-poll-eof-soon", mono() - a < 15000 * MS);
  TP_EQ("stdin-read-eof", read(0, buf, sizeof buf), 0);
}

int main(int argc, char **argv) {
  tp_init();
  if (argc > 1)
    tp_root = argv[1];
  if (argc > 2 && strcmp(argv[2], "stdin") == 0) {
    stdin_mode();
    return tp_done();
  }
  libc_clocks();
  libc_poll();
  libc_random();
#ifdef __wasi__
  raw_clocks();
  raw_poll();
  raw_random();
#endif
  return tp_done();
}

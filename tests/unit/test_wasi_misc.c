/*
 * test_wasi_misc.c - unit tests of the WASI room's small calls: args and
 * environ, clocks (with a lying host whose clocks run backwards),
 * poll_oneoff (clocks relative and absolute, pipe and file readiness,
 * per-subscription errors), sockets over a real loopback TCP listener,
 * proc_* / sched_yield and random_get.
 *
 * The WASI state is real (tw_wasi_new over the POSIX host of src/host);
 * the guest memory is a twine memory created through the public API, and
 * the tw_wasi_fn_* functions are called directly, as the binding would.
 * Guest descriptors: 0 = read end of a pipe, 1 = its write end, 2 = a
 * regular file holding "0123456789", 3 = a preopened directory, 4 = a
 * listening TCP socket on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/posix.h"
#include "twine/twine.h"
#include "wasi/wasi_int.h"

#define PAGE 65536u

typedef struct fx {
  twine_engine_t *eng;
  twine_store_t *store;
  twine_memory_t *mem;
  tw_host_posix *host;
  tw_host_iface iface;
  tw_wasi *w;
  tw_wasi_call c;
  int pipe_r, pipe_w; /* the test's own ends */
  int file_fd;
  char dir[64];
  char file[80];
  uint16_t port;
} fx;

#define CALL(f, fn, ...) \
  tw_wasi_fn_##fn(&(f)->c, (const uint64_t[]){__VA_ARGS__})

static uint8_t *gm(fx *f, uint32_t addr) {
  return twine_memory_data(f->mem) + addr;
}
static uint32_t g32(fx *f, uint32_t addr) { return tw_wasi_rd32(gm(f, addr)); }
static uint64_t g64(fx *f, uint32_t addr) { return tw_wasi_rd64(gm(f, addr)); }

static uint64_t host_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t host_real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A free loopback port: bind port 0, read it back, release it. */
static uint16_t free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return 0;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

static int connect_client(fx *f) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(f->port);
  assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
  return s;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(twine_engine_new(NULL, &f->eng), TWINE_OK);
  assert_int_equal(twine_store_new(f->eng, &f->store), TWINE_OK);
  twine_limits_t lim = {1, 1, true};
  assert_int_equal(twine_memory_new(f->store, lim, &f->mem), TWINE_OK);
  assert_int_equal(twine_memory_size(f->mem), PAGE);

  f->host = tw_host_posix_new();
  assert_non_null(f->host);
  f->iface = tw_host_posix_iface(f->host);
  char msg[200];
  int p[2];
  assert_int_equal(pipe(p), 0);
  f->pipe_r = p[0];
  f->pipe_w = p[1];
  strcpy(f->dir, "/tmp/twine-wasi-misc-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->file, sizeof f->file, "%s/data", f->dir);
  FILE *fp = fopen(f->file, "w+");
  assert_non_null(fp);
  fputs("0123456789", fp);
  fclose(fp);
  f->file_fd = open(f->file, O_RDWR | O_CLOEXEC);
  assert_true(f->file_fd >= 0);

  tw_wasi_setup su;
  memset(&su, 0, sizeof su);
  su.iface = &f->iface;
  static const char *const argv[] = {"prog", "", "arg two"};
  static const char *const envp[] = {"A=1", "PATH=/bin"};
  su.argc = 3;
  su.argv = argv;
  su.envc = 2;
  su.envp = envp;
  int fds[3] = {f->pipe_r, f->pipe_w, f->file_fd};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(tw_host_posix_add_fd(f->host, fds[i], &su.stdio[i], msg,
                                          sizeof msg),
                     0);
    su.stdio_open[i] = true;
  }
  tw_wasi_preopen pre[2];
  memset(pre, 0, sizeof pre);
  pre[0].kind = TW_WASI_PRE_DIR;
  pre[0].guest_path = "/sandbox";
  assert_int_equal(
      tw_host_posix_open_dir(f->host, f->dir, &pre[0].handle, msg, sizeof msg),
      0);
  pre[1].kind = TW_WASI_PRE_SOCKET;
  int ok = -1;
  for (int tries = 0; tries < 20 && ok != 0; tries++) {
    f->port = free_port();
    char hp[32];
    snprintf(hp, sizeof hp, "127.0.0.1:%u", f->port);
    ok = tw_host_posix_listen_tcp(f->host, hp, &pre[1].handle, msg,
                                  sizeof msg);
  }
  assert_int_equal(ok, 0);
  su.npreopens = 2;
  su.preopens = pre;
  tw_err err;
  assert_int_equal(tw_wasi_new(&su, &f->w, &err), TWINE_OK);
  f->c.w = f->w;
  f->c.mem = f->mem;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  tw_wasi_free(f->w);
  tw_host_posix_free(f->host);
  if (f->pipe_r >= 0) close(f->pipe_r);
  if (f->pipe_w >= 0) close(f->pipe_w);
  close(f->file_fd);
  unlink(f->file);
  rmdir(f->dir);
  twine_store_free(f->store);
  twine_engine_free(f->eng);
  free(f);
  return 0;
}

/* ---- args and environ ------------------------------------------------------ */

static void test_args(void **state) {
  fx *f = *state;
  assert_int_equal(CALL(f, args_sizes_get, 0x100, 0x104), TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 3);
  assert_int_equal(g32(f, 0x104), 5 + 1 + 8); /* "prog\0" "\0" "arg two\0" */
  memset(gm(f, 0x200), 0xAA, 64);
  assert_int_equal(CALL(f, args_get, 0x200, 0x300), TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x200), 0x300);
  assert_int_equal(g32(f, 0x204), 0x305);
  assert_int_equal(g32(f, 0x208), 0x306);
  assert_int_equal(g32(f, 0x20C), 0xAAAAAAAAu); /* nothing past argc */
  assert_memory_equal(gm(f, 0x300), "prog\0\0arg two\0", 14);
  assert_string_equal((char *)gm(f, g32(f, 0x208)), "arg two");
}

static void test_environ(void **state) {
  fx *f = *state;
  assert_int_equal(CALL(f, environ_sizes_get, 0x100, 0x104), TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 2);
  assert_int_equal(g32(f, 0x104), 4 + 10);
  assert_int_equal(CALL(f, environ_get, 0x200, 0x300), TW_WE_SUCCESS);
  assert_string_equal((char *)gm(f, g32(f, 0x200)), "A=1");
  assert_string_equal((char *)gm(f, g32(f, 0x204)), "PATH=/bin");
  assert_int_equal(g32(f, 0x204), 0x304);
  /* the buffer may end exactly at the end of memory */
  assert_int_equal(CALL(f, environ_get, 0x200, PAGE - 14), TW_WE_SUCCESS);
  assert_string_equal((char *)gm(f, PAGE - 10), "PATH=/bin");
}

static void test_args_efault(void **state) {
  fx *f = *state;
  memset(gm(f, 0), 0, 0x1000);
  /* sizes: either pointer outside memory; nothing written */
  assert_int_equal(CALL(f, args_sizes_get, PAGE - 2, 0x104), TW_WE_FAULT);
  assert_int_equal(CALL(f, args_sizes_get, 0x100, PAGE), TW_WE_FAULT);
  assert_int_equal(g32(f, 0x100), 0);
  assert_int_equal(CALL(f, environ_sizes_get, 0xFFFFFFFFu, 0x104),
                   TW_WE_FAULT);
  assert_int_equal(g32(f, 0x104), 0);
  /* the pointer array or the buffer reaching past the end */
  assert_int_equal(CALL(f, args_get, PAGE - 8, 0x300), TW_WE_FAULT);
  assert_int_equal(CALL(f, args_get, 0x200, PAGE - 13), TW_WE_FAULT);
  assert_int_equal(CALL(f, environ_get, 0x200, 0xFFFFFFF0u), TW_WE_FAULT);
  assert_int_equal(CALL(f, environ_get, 0xFFFFFFFCu, 0x300), TW_WE_FAULT);
  assert_int_equal(g32(f, 0x200), 0);
  assert_int_equal(gm(f, 0x300)[0], 0);
  /* no memory at all */
  f->c.mem = NULL;
  assert_int_equal(CALL(f, args_sizes_get, 0x100, 0x104), TW_WE_FAULT);
  f->c.mem = f->mem;
}

/* ---- clocks ------------------------------------------------------------------ */

static void test_clock_basic(void **state) {
  fx *f = *state;
  for (uint32_t id = 0; id < 4; id++) {
    assert_int_equal(CALL(f, clock_res_get, id, 0x100), TW_WE_SUCCESS);
    assert_true(g64(f, 0x100) >= 1 && g64(f, 0x100) <= 1000000000u);
    assert_int_equal(CALL(f, clock_time_get, id, 1, 0x108), TW_WE_SUCCESS);
  }
  uint64_t before = host_real_ns();
  assert_int_equal(CALL(f, clock_time_get, 0, 0, 0x100), TW_WE_SUCCESS);
  uint64_t after = host_real_ns();
  assert_true(g64(f, 0x100) >= before && g64(f, 0x100) <= after);
  uint64_t prev = 0;
  for (int i = 0; i < 100; i++) {
    assert_int_equal(CALL(f, clock_time_get, 1, 0, 0x100), TW_WE_SUCCESS);
    assert_true(g64(f, 0x100) >= prev);
    prev = g64(f, 0x100);
  }
  /* unknown clock ids; bad pointers */
  assert_int_equal(CALL(f, clock_time_get, 4, 0, 0x100), TW_WE_INVAL);
  assert_int_equal(CALL(f, clock_time_get, 0xFFFFFFFFu, 0, 0x100),
                   TW_WE_INVAL);
  assert_int_equal(CALL(f, clock_res_get, 4, 0x100), TW_WE_INVAL);
  assert_int_equal(CALL(f, clock_time_get, 1, 0, PAGE - 7), TW_WE_FAULT);
  assert_int_equal(CALL(f, clock_res_get, 1, PAGE), TW_WE_FAULT);
  assert_int_equal(CALL(f, clock_time_get, 1, 0, PAGE - 8), TW_WE_SUCCESS);
}

/* A host that lies: its clocks (or its poll) misbehave as `mode` says; all
 * other calls go to the real POSIX host. */
enum { LIE_BACKWARDS = 1, LIE_EARLY_POLL = 2, LIE_BAD_REPLY = 3 };
typedef struct liar {
  tw_host_iface real;
  int mode;
  const uint64_t *seq; /* LIE_BACKWARDS: the readings, in turn */
  size_t nseq, pos;
  uint64_t now, step;  /* LIE_EARLY_POLL: a monotonic clock stepping */
  uint64_t polls;
} liar;

static int liar_call(void *ctx, const tw_hc_req *req, const uint8_t *payload,
                     tw_hc_rep *rep, uint8_t *rp, size_t cap) {
  liar *l = ctx;
  if (l->mode == LIE_BACKWARDS && req->call == TW_HCN_clock_get) {
    memset(rep, 0, sizeof *rep);
    rep->r[0] = l->seq[l->pos++ % l->nseq];
    return 0;
  }
  if (l->mode == LIE_EARLY_POLL && req->call == TW_HCN_clock_get &&
      req->a[0] == TW_HCLOCK_MONOTONIC) {
    memset(rep, 0, sizeof *rep);
    rep->r[0] = l->now;
    l->now += l->step;
    return 0;
  }
  if (l->mode == LIE_EARLY_POLL && req->call == TW_HCN_poll) {
    /* wake up at once, nothing ready */
    size_t n = (size_t)req->a[0];
    memset(rep, 0, sizeof *rep);
    memset(rp, 0, n * TW_HCW_POLLR);
    rep->len = (uint32_t)(n * TW_HCW_POLLR);
    l->polls++;
    return 0;
  }
  if (l->mode == LIE_BAD_REPLY && (req->call == TW_HCN_clock_get ||
                                   req->call == TW_HCN_clock_res)) {
    memset(rep, 0, sizeof *rep);
    if (req->call == TW_HCN_clock_get)
      rep->err = 200; /* not an errno */
    else
      rep->r[0] = 0; /* a resolution of 0 is out of range */
    return 0;
  }
  return l->real.call(l->real.ctx, req, payload, rep, rp, cap);
}

static void install_liar(fx *f, liar *l, tw_host_iface *iface) {
  l->real = f->iface;
  iface->version = TW_HC_VERSION;
  iface->ctx = l;
  iface->call = liar_call;
  tw_hc_set_iface(tw_wasi_boundary(f->w), iface);
}

static void test_clock_liar(void **state) {
  fx *f = *state;
  static const uint64_t seq[] = {5000, 4000, 9000, 100, 9001, 0, 8999, 20000};
  liar l = {.mode = LIE_BACKWARDS, .seq = seq, .nseq = 8};
  tw_host_iface iface;
  install_liar(f, &l, &iface);
  for (uint32_t id = 1; id < 4; id++) {
    /* each clock keeps its own high-water mark */
    l.pos = 0;
    uint64_t max = 0;
    for (size_t i = 0; i < 8; i++) {
      assert_int_equal(CALL(f, clock_time_get, id, 0, 0x100), TW_WE_SUCCESS);
      uint64_t t = g64(f, 0x100);
      if (seq[i] > max) max = seq[i];
      assert_int_equal(t, max); /* never back, never invented */
    }
  }
  /* the internal reader used by poll_oneoff has the same guarantee */
  uint64_t t = 0;
  l.pos = 3; /* 100 */
  assert_int_equal(tw_wasi_clock_now(f->w, TW_HCLOCK_MONOTONIC, &t),
                   TW_WE_SUCCESS);
  assert_int_equal(t, 20000);
  /* wall time may legitimately be set back: passed on as it is */
  l.pos = 0;
  assert_int_equal(CALL(f, clock_time_get, 0, 0, 0x100), TW_WE_SUCCESS);
  assert_int_equal(g64(f, 0x100), 5000);
  assert_int_equal(CALL(f, clock_time_get, 0, 0, 0x100), TW_WE_SUCCESS);
  assert_int_equal(g64(f, 0x100), 4000);
  /* a relative sleep of 1000 ns on a clock stuck in the past: at least one
   * poll, and it returns (the clamp does not stop time for good) */
  l.mode = LIE_EARLY_POLL;
  l.now = 1000; /* below the high-water mark 20000: reads as 20000 */
  l.step = 400;
  uint8_t *s = gm(f, 0x1000);
  memset(s, 0, TW_WSZ_SUBSCRIPTION);
  tw_wasi_le64(s, 7);
  s[8] = 0;                          /* clock */
  tw_wasi_le32(s + 16, 1);           /* monotonic */
  tw_wasi_le64(s + 24, 1000);        /* relative 1000 ns */
  assert_int_equal(CALL(f, poll_oneoff, 0x1000, 0x2000, 1, 0x3000),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x3000), 1);
  assert_int_equal(g64(f, 0x2000), 7);
  tw_hc_set_iface(tw_wasi_boundary(f->w), &f->iface);
}

static void test_poll_early_wakeup(void **state) {
  fx *f = *state;
  /* the host's poll returns at once every time; its clock moves 1 ms per
   * reading: a 10 ms sleep must not end before the clock says 10 ms */
  liar l = {.mode = LIE_EARLY_POLL, .now = 1000000000u, .step = 1000000u};
  tw_host_iface iface;
  install_liar(f, &l, &iface);
  uint8_t *s = gm(f, 0x1000);
  memset(s, 0, 2 * TW_WSZ_SUBSCRIPTION);
  tw_wasi_le64(s, 1);
  tw_wasi_le32(s + 16, 1);
  tw_wasi_le64(s + 24, 10000000u); /* 10 ms relative */
  s += TW_WSZ_SUBSCRIPTION;
  tw_wasi_le64(s, 2);
  tw_wasi_le32(s + 16, 1);
  tw_wasi_le64(s + 24, 1000000000u + 30000000u); /* absolute, +30 ms */
  tw_wasi_le16(s + 40, 1);
  assert_int_equal(CALL(f, poll_oneoff, 0x1000, 0x2000, 2, 0x3000),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x3000), 1);
  assert_int_equal(g64(f, 0x2000), 1);
  assert_true(l.polls >= 5);
  /* the guest's clock agrees that the time has passed */
  assert_int_equal(CALL(f, clock_time_get, 1, 0, 0x100), TW_WE_SUCCESS);
  assert_true(g64(f, 0x100) >= 1000000000u + 10000000u);
  tw_hc_set_iface(tw_wasi_boundary(f->w), &f->iface);
}

static void test_clock_bad_reply(void **state) {
  fx *f = *state;
  liar l = {.mode = LIE_BAD_REPLY};
  tw_host_iface iface;
  install_liar(f, &l, &iface);
  memset(gm(f, 0x100), 0x5A, 8);
  assert_int_equal(CALL(f, clock_time_get, 1, 0, 0x100), TW_WE_IO);
  assert_int_equal(CALL(f, clock_res_get, 1, 0x100), TW_WE_IO);
  assert_int_equal(g64(f, 0x100), 0x5A5A5A5A5A5A5A5Aull);
  assert_true(tw_hc_violations(tw_wasi_boundary(f->w)) >= 2);
  tw_hc_set_iface(tw_wasi_boundary(f->w), &f->iface);
}

/* ---- poll_oneoff ---------------------------------------------------------------- */

#define SUBS 0x1000u
#define EVS 0x4000u
#define NEV 0x7000u

static void sub_clock(fx *f, uint32_t i, uint64_t ud, uint32_t id,
                      uint64_t timeout, uint16_t flags) {
  uint8_t *s = gm(f, SUBS + i * TW_WSZ_SUBSCRIPTION);
  memset(s, 0xEE, TW_WSZ_SUBSCRIPTION); /* padding is ignored */
  tw_wasi_le64(s, ud);
  s[8] = 0;
  tw_wasi_le32(s + 16, id);
  tw_wasi_le64(s + 24, timeout);
  tw_wasi_le64(s + 32, 0);
  tw_wasi_le16(s + 40, flags);
}

static void sub_fd(fx *f, uint32_t i, uint64_t ud, uint8_t type, uint32_t fd) {
  uint8_t *s = gm(f, SUBS + i * TW_WSZ_SUBSCRIPTION);
  memset(s, 0, TW_WSZ_SUBSCRIPTION);
  tw_wasi_le64(s, ud);
  s[8] = type;
  tw_wasi_le32(s + 16, fd);
}

typedef struct ev {
  uint64_t ud;
  uint16_t err;
  uint8_t type;
  uint64_t nbytes;
  uint16_t flags;
} ev;

static ev event(fx *f, uint32_t k) {
  const uint8_t *p = gm(f, EVS + k * TW_WSZ_EVENT);
  ev e = {tw_wasi_rd64(p), tw_wasi_rd16(p + 8), p[10], tw_wasi_rd64(p + 16),
          tw_wasi_rd16(p + 24)};
  /* padding bytes are written as zero */
  assert_int_equal(p[11] | p[12] | p[13] | p[14] | p[15], 0);
  for (int i = 26; i < 32; i++) assert_int_equal(p[i], 0);
  return e;
}

static uint32_t poll_n(fx *f, uint32_t n) {
  memset(gm(f, EVS), 0xCC, n * TW_WSZ_EVENT);
  tw_wasi_le32(gm(f, NEV), 0xDEAD);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, n, NEV), TW_WE_SUCCESS);
  return g32(f, NEV);
}

static void test_poll_clock_relative(void **state) {
  fx *f = *state;
  sub_clock(f, 0, 0x1111, 1, 30000000u, 0); /* 30 ms */
  sub_clock(f, 1, 0x2222, 0, 5000000000u, 0); /* 5 s, realtime relative */
  uint64_t t0 = host_mono_ns();
  assert_int_equal(poll_n(f, 2), 1);
  uint64_t dt = host_mono_ns() - t0;
  assert_true(dt >= 30000000u);
  assert_true(dt < 3000000000u);
  ev e = event(f, 0);
  assert_int_equal(e.ud, 0x1111);
  assert_int_equal(e.err, 0);
  assert_int_equal(e.type, 0);
  assert_int_equal(e.nbytes, 0);
  assert_int_equal(e.flags, 0);
  /* zero timeout: immediately */
  sub_clock(f, 0, 9, 0, 0, 0);
  assert_int_equal(poll_n(f, 1), 1);
  assert_int_equal(event(f, 0).ud, 9);
}

static void test_poll_clock_absolute(void **state) {
  fx *f = *state;
  /* monotonic, absolute: the guest's own reading + 25 ms */
  assert_int_equal(CALL(f, clock_time_get, 1, 0, 0x100), TW_WE_SUCCESS);
  uint64_t t0 = host_mono_ns();
  sub_clock(f, 0, 1, 1, g64(f, 0x100) + 25000000u, 1);
  assert_int_equal(poll_n(f, 1), 1);
  assert_true(host_mono_ns() - t0 >= 24000000u);
  assert_int_equal(event(f, 0).ud, 1);
  /* realtime, absolute */
  t0 = host_mono_ns();
  sub_clock(f, 0, 2, 0, host_real_ns() + 25000000u, 1);
  assert_int_equal(poll_n(f, 1), 1);
  assert_true(host_mono_ns() - t0 >= 20000000u);
  assert_int_equal(event(f, 0).ud, 2);
  /* deadlines in the past fire at once, all of them; a later one not */
  t0 = host_mono_ns();
  sub_clock(f, 0, 3, 1, 1, 1);
  sub_clock(f, 1, 4, 0, 1, 1);
  sub_clock(f, 2, 5, 1, UINT64_MAX, 1);
  assert_int_equal(poll_n(f, 3), 2);
  assert_true(host_mono_ns() - t0 < 2000000000u);
  assert_int_equal(event(f, 0).ud, 3);
  assert_int_equal(event(f, 1).ud, 4);
}

static void test_poll_invalid(void **state) {
  fx *f = *state;
  tw_wasi_le32(gm(f, NEV), 0xDEAD);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 0, NEV), TW_WE_INVAL);
  sub_clock(f, 0, 1, 0, 0, 0);
  gm(f, SUBS)[8] = 3; /* unknown event type */
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 1, NEV), TW_WE_INVAL);
  sub_clock(f, 0, 1, 2, 0, 0); /* process CPU time: not a timer (wasmtime) */
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 1, NEV), TW_WE_INVAL);
  sub_clock(f, 0, 1, 7, 0, 0);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 1, NEV), TW_WE_INVAL);
  sub_clock(f, 0, 1, 1, 0, 2); /* unknown subclockflags bit */
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 1, NEV), TW_WE_INVAL);
  assert_int_equal(g32(f, NEV), 0xDEAD);
  /* EFAULT: subscriptions, events or the count outside memory */
  sub_clock(f, 0, 1, 1, 0, 0);
  assert_int_equal(CALL(f, poll_oneoff, PAGE - 47, EVS, 1, NEV), TW_WE_FAULT);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, PAGE - 31, 1, NEV), TW_WE_FAULT);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 1, PAGE - 3), TW_WE_FAULT);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, EVS, 0xFFFFFFFFu, NEV),
                   TW_WE_FAULT);
  assert_int_equal(g32(f, NEV), 0xDEAD);
  /* events may overwrite the subscriptions */
  sub_clock(f, 0, 0xAB, 1, 0, 0);
  assert_int_equal(CALL(f, poll_oneoff, SUBS, SUBS, 1, NEV), TW_WE_SUCCESS);
  assert_int_equal(g32(f, NEV), 1);
  assert_int_equal(g64(f, SUBS), 0xAB);
}

static void test_poll_pipe(void **state) {
  fx *f = *state;
  /* empty pipe: only the clock fires */
  sub_fd(f, 0, 10, 1, 0);
  sub_clock(f, 1, 11, 1, 20000000u, 0);
  assert_int_equal(poll_n(f, 2), 1);
  assert_int_equal(event(f, 0).ud, 11);
  /* data in the pipe: ready at once with the byte count; the 10 s clock
   * does not fire */
  assert_int_equal(write(f->pipe_w, "abc", 3), 3);
  sub_clock(f, 1, 11, 1, 10000000000u, 0);
  uint64_t t0 = host_mono_ns();
  assert_int_equal(poll_n(f, 2), 1);
  assert_true(host_mono_ns() - t0 < 5000000000u);
  ev e = event(f, 0);
  assert_int_equal(e.ud, 10);
  assert_int_equal(e.err, 0);
  assert_int_equal(e.type, 1);
  assert_int_equal(e.nbytes, 3);
  assert_int_equal(e.flags, 0);
  /* read and write interest in one call: both report, in order */
  sub_fd(f, 0, 20, 2, 1);
  sub_fd(f, 1, 21, 1, 0);
  sub_fd(f, 2, 22, 2, 1); /* the same descriptor twice */
  assert_int_equal(poll_n(f, 3), 3);
  assert_int_equal(event(f, 0).ud, 20);
  assert_int_equal(event(f, 0).type, 2);
  assert_int_equal(event(f, 1).ud, 21);
  assert_int_equal(event(f, 1).nbytes, 3);
  assert_int_equal(event(f, 2).ud, 22);
  /* the writer goes away: the reader sees data then a hang-up */
  tw_wasi_fd *wfd = tw_wasi_fd_at(f->w, 1);
  assert_non_null(wfd);
  assert_int_equal(CALL(f, fd_close, 1), TW_WE_SUCCESS);
  close(f->pipe_w);
  f->pipe_w = -1;
  char buf[3];
  assert_int_equal(read(f->pipe_r, buf, 3), 3);
  sub_fd(f, 0, 30, 1, 0);
  assert_int_equal(poll_n(f, 1), 1);
  e = event(f, 0);
  assert_int_equal(e.ud, 30);
  assert_int_equal(e.err, 0);
  assert_int_equal(e.flags, 1); /* FD_READWRITE_HANGUP */
  assert_int_equal(e.nbytes, 0);
}

static void test_poll_fd_errors(void **state) {
  fx *f = *state;
  /* a bad descriptor, a descriptor without the right, a regular file: all
   * due at once, so the long clock does not hold the call */
  sub_fd(f, 0, 1, 1, 99);
  sub_fd(f, 1, 2, 1, 3);    /* the directory: no fd_read */
  sub_fd(f, 2, 3, 1, 2);    /* the file: always ready, 10 bytes left */
  sub_fd(f, 3, 4, 2, 2);    /* the file, write interest */
  sub_fd(f, 4, 5, 1, 0);    /* the empty pipe: not ready */
  sub_clock(f, 5, 6, 1, 10000000000u, 0);
  uint64_t t0 = host_mono_ns();
  assert_int_equal(poll_n(f, 6), 4);
  assert_true(host_mono_ns() - t0 < 5000000000u);
  ev e = event(f, 0);
  assert_int_equal(e.ud, 1);
  assert_int_equal(e.err, TW_WE_BADF);
  assert_int_equal(e.type, 1);
  e = event(f, 1);
  assert_int_equal(e.ud, 2);
  assert_int_equal(e.err, TW_WE_NOTCAPABLE);
  e = event(f, 2);
  assert_int_equal(e.ud, 3);
  assert_int_equal(e.err, 0);
  assert_int_equal(e.nbytes, 10);
  e = event(f, 3);
  assert_int_equal(e.ud, 4);
  assert_int_equal(e.type, 2);
  assert_int_equal(e.err, 0);
  /* after reading 4 bytes of the file, 6 are left */
  assert_int_equal(CALL(f, fd_seek, 2, 4, 0, 0x100), TW_WE_SUCCESS);
  sub_fd(f, 0, 7, 1, 2);
  assert_int_equal(poll_n(f, 1), 1);
  assert_int_equal(event(f, 0).nbytes, 6);
  /* removing POLL_FD_READWRITE from the pipe makes it ENOTCAPABLE */
  assert_int_equal(
      CALL(f, fd_fdstat_set_rights, 0, TW_WR_FD_READ, 0), TW_WE_SUCCESS);
  sub_fd(f, 0, 8, 1, 0);
  assert_int_equal(poll_n(f, 1), 1);
  assert_int_equal(event(f, 0).err, TW_WE_NOTCAPABLE);
}

/* ---- sockets ---------------------------------------------------------------------- */

/* Put an iovec array at `at`: bufs of the given lengths from `data`. */
static void iovs(fx *f, uint32_t at, uint32_t data, const uint32_t *lens,
                 uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    tw_wasi_le32(gm(f, at + 8 * i), data);
    tw_wasi_le32(gm(f, at + 8 * i + 4), lens[i]);
    data += lens[i];
  }
}

static uint32_t accept_one(fx *f) {
  assert_int_equal(CALL(f, sock_accept, 4, 0, 0x100), TW_WE_SUCCESS);
  uint32_t fd = g32(f, 0x100);
  tw_wasi_fd *d = tw_wasi_fd_at(f->w, fd);
  assert_non_null(d);
  assert_int_equal(d->type, TW_WFT_SOCK_STREAM);
  assert_int_equal(d->base, TW_WR_SOCKET_BASE);
  assert_int_equal(d->inheriting, 0);
  return fd;
}

static void test_sock_roundtrip(void **state) {
  fx *f = *state;
  int cl = connect_client(f);
  /* the listener polls readable when a connection waits */
  sub_fd(f, 0, 1, 1, 4);
  assert_int_equal(poll_n(f, 1), 1);
  assert_int_equal(event(f, 0).err, 0);
  uint32_t fd = accept_one(f);
  assert_true(fd >= 5);

  /* guest -> client, gathered from two buffers */
  memcpy(gm(f, 0x800), "hello, world", 12);
  iovs(f, 0x200, 0x800, (const uint32_t[]){5, 0, 7}, 3);
  assert_int_equal(CALL(f, sock_send, fd, 0x200, 3, 0, 0x100), TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 12);
  char buf[64];
  size_t got = 0;
  while (got < 12) {
    ssize_t k = recv(cl, buf + got, sizeof buf - got, 0);
    assert_true(k > 0);
    got += (size_t)k;
  }
  assert_memory_equal(buf, "hello, world", 12);

  /* client -> guest: peek leaves the data, then scatter into two buffers */
  assert_int_equal(send(cl, "abcdefgh", 8, 0), 8);
  sub_fd(f, 0, 2, 1, fd);
  assert_int_equal(poll_n(f, 1), 1);
  assert_int_equal(event(f, 0).nbytes, 8);
  iovs(f, 0x200, 0x900, (const uint32_t[]){3}, 1);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 1, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 3);
  assert_memory_equal(gm(f, 0x900), "abc", 3);
  memset(gm(f, 0x900), 0, 16);
  tw_wasi_le16(gm(f, 0x104), 0x7777);
  iovs(f, 0x200, 0x900, (const uint32_t[]){2, 0, 10}, 3);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 3, 0, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 8);
  assert_int_equal(tw_wasi_rd16(gm(f, 0x104)), 0);
  assert_memory_equal(gm(f, 0x900), "abcdefgh", 8);

  /* no buffers (or only empty ones): nothing is taken */
  assert_int_equal(send(cl, "x", 1, 0), 1);
  iovs(f, 0x200, 0x900, (const uint32_t[]){0}, 1);
  tw_wasi_le32(gm(f, 0x100), 99);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 0);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 0, 0, 0x100, 0x104),
                   TW_WE_SUCCESS);
  iovs(f, 0x200, 0x900, (const uint32_t[]){1}, 1);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 1);
  assert_int_equal(gm(f, 0x900)[0], 'x');

  /* WAITALL: two sends, one receive of both */
  assert_int_equal(send(cl, "123", 3, 0), 3);
  assert_int_equal(send(cl, "456", 3, 0), 3);
  iovs(f, 0x200, 0x900, (const uint32_t[]){6}, 1);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 2, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 6);
  assert_memory_equal(gm(f, 0x900), "123456", 6);

  /* shut down our writing side: the client reads end of file */
  assert_int_equal(CALL(f, sock_shutdown, fd, 2), TW_WE_SUCCESS);
  assert_int_equal(recv(cl, buf, sizeof buf, 0), 0);
  /* the client closes: the guest reads 0 bytes */
  close(cl);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                   TW_WE_SUCCESS);
  assert_int_equal(g32(f, 0x100), 0);
  /* both directions closed now: Linux says ENOTCONN, passed on */
  tw_wasi_errno r = CALL(f, sock_shutdown, fd, 3);
  assert_true(r == TW_WE_SUCCESS || r == TW_WE_NOTCONN);
  assert_int_equal(CALL(f, fd_close, fd), TW_WE_SUCCESS);
}

static void test_sock_errors(void **state) {
  fx *f = *state;
  iovs(f, 0x200, 0x900, (const uint32_t[]){4}, 1);
  /* not a socket: the regular file, the pipe, the directory */
  for (uint32_t fd = 0; fd < 4; fd++) {
    assert_int_equal(CALL(f, sock_accept, fd, 0, 0x100), TW_WE_NOTSOCK);
    assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                     TW_WE_NOTSOCK);
    assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0, 0x100),
                     TW_WE_NOTSOCK);
    assert_int_equal(CALL(f, sock_shutdown, fd, 3), TW_WE_NOTSOCK);
  }
  /* no such descriptor */
  for (uint64_t fd = 99; fd < 101; fd++) {
    assert_int_equal(CALL(f, sock_accept, fd, 0, 0x100), TW_WE_BADF);
    assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                     TW_WE_BADF);
    assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0, 0x100), TW_WE_BADF);
    assert_int_equal(CALL(f, sock_shutdown, fd, 3), TW_WE_BADF);
  }
  /* a nonblocking listener with nobody waiting (the accept flags are
   * those of the new descriptor) */
  assert_int_equal(CALL(f, fd_fdstat_set_flags, 4, TW_WFD_NONBLOCK),
                   TW_WE_SUCCESS);
  assert_int_equal(CALL(f, sock_accept, 4, 0, 0x100), TW_WE_AGAIN);
  assert_int_equal(CALL(f, fd_fdstat_set_flags, 4, 0), TW_WE_SUCCESS);
  /* flags other than NONBLOCK */
  assert_int_equal(CALL(f, sock_accept, 4, TW_WFD_APPEND, 0x100),
                   TW_WE_INVAL);
  int cl = connect_client(f);
  /* a bad result pointer: no connection is taken */
  assert_int_equal(CALL(f, sock_accept, 4, 0, PAGE - 3), TW_WE_FAULT);
  assert_int_equal(CALL(f, sock_accept, 4, TW_WFD_NONBLOCK, 0x100),
                   TW_WE_SUCCESS);
  uint32_t fd = g32(f, 0x100);
  /* a connection cannot accept */
  assert_int_equal(CALL(f, sock_accept, fd, 0, 0x100), TW_WE_NOTCAPABLE);
  /* nonblocking connection, nothing to read */
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                   TW_WE_AGAIN);
  /* flags */
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 4, 0x100, 0x104),
                   TW_WE_INVAL);
  assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0x10000, 0x100),
                   TW_WE_INVAL);
  assert_int_equal(CALL(f, sock_shutdown, fd, 0), TW_WE_INVAL);
  assert_int_equal(CALL(f, sock_shutdown, fd, 4), TW_WE_INVAL);
  /* guest pointers */
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, PAGE - 2, 0x104),
                   TW_WE_FAULT);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, PAGE - 1),
                   TW_WE_FAULT);
  assert_int_equal(CALL(f, sock_recv, fd, PAGE - 4, 1, 0, 0x100, 0x104),
                   TW_WE_FAULT);
  assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0, PAGE), TW_WE_FAULT);
  iovs(f, 0x200, PAGE - 2, (const uint32_t[]){4}, 1);
  assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0, 0x100), TW_WE_FAULT);
  /* missing rights on a socket */
  assert_int_equal(CALL(f, fd_fdstat_set_rights, fd, TW_WR_FD_READ, 0),
                   TW_WE_SUCCESS);
  iovs(f, 0x200, 0x900, (const uint32_t[]){4}, 1);
  assert_int_equal(CALL(f, sock_send, fd, 0x200, 1, 0, 0x100),
                   TW_WE_NOTCAPABLE);
  assert_int_equal(CALL(f, sock_shutdown, fd, 3), TW_WE_NOTCAPABLE);
  assert_int_equal(CALL(f, fd_fdstat_set_rights, fd, 0, 0), TW_WE_SUCCESS);
  assert_int_equal(CALL(f, sock_recv, fd, 0x200, 1, 0, 0x100, 0x104),
                   TW_WE_NOTCAPABLE);
  close(cl);
}

/* ---- proc, sched, random --------------------------------------------------------------- */

static void test_proc(void **state) {
  fx *f = *state;
  assert_int_equal(CALL(f, sched_yield, 0), TW_WE_SUCCESS);
  assert_int_equal(CALL(f, proc_raise, 0), TW_WE_NOTSUP);
  assert_int_equal(CALL(f, proc_raise, 15), TW_WE_NOTSUP);
  assert_int_equal(CALL(f, proc_raise, 30), TW_WE_NOTSUP);
  assert_int_equal(CALL(f, proc_raise, 31), TW_WE_INVAL);
  assert_false(f->c.exit);
  CALL(f, proc_exit, 42);
  assert_true(f->c.exit);
  assert_int_equal(f->c.exit_code, 42);
  f->c.exit = false;
  CALL(f, proc_exit, 0xFFFFFFFFu);
  assert_true(f->c.exit);
  assert_int_equal(f->c.exit_code, -1);
  f->c.exit = false;
}

static void test_random(void **state) {
  fx *f = *state;
  memset(gm(f, 0x100), 0, 256);
  assert_int_equal(CALL(f, random_get, 0x100, 64), TW_WE_SUCCESS);
  assert_int_equal(CALL(f, random_get, 0x140, 64), TW_WE_SUCCESS);
  assert_memory_not_equal(gm(f, 0x100), gm(f, 0x140), 64);
  static const uint8_t zero[64];
  assert_memory_not_equal(gm(f, 0x100), zero, 64);
  assert_memory_not_equal(gm(f, 0x140), zero, 64);
  /* nothing written outside the buffer */
  assert_memory_equal(gm(f, 0x180), zero, 64);
  /* all of memory, and a byte-frequency sanity check */
  assert_int_equal(CALL(f, random_get, 0, PAGE), TW_WE_SUCCESS);
  unsigned hist[256] = {0};
  for (uint32_t i = 0; i < PAGE; i++) hist[gm(f, i)[0]]++;
  for (int b = 0; b < 256; b++) assert_true(hist[b] > 128 && hist[b] < 384);
  /* empty, at the very end */
  assert_int_equal(CALL(f, random_get, PAGE, 0), TW_WE_SUCCESS);
  /* outside memory */
  assert_int_equal(CALL(f, random_get, PAGE - 8, 9), TW_WE_FAULT);
  assert_int_equal(CALL(f, random_get, 0xFFFFFFFFu, 0xFFFFFFFFu),
                   TW_WE_FAULT);
  f->c.mem = NULL;
  assert_int_equal(CALL(f, random_get, 0, 1), TW_WE_FAULT);
  f->c.mem = f->mem;
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(test_args),
      T(test_environ),
      T(test_args_efault),
      T(test_clock_basic),
      T(test_clock_liar),
      T(test_poll_early_wakeup),
      T(test_clock_bad_reply),
      T(test_poll_clock_relative),
      T(test_poll_clock_absolute),
      T(test_poll_invalid),
      T(test_poll_pipe),
      T(test_poll_fd_errors),
      T(test_sock_roundtrip),
      T(test_sock_errors),
      T(test_proc),
      T(test_random),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

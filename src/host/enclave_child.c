/*
 * enclave_child.c - the trusted process of the `process` backend, up to
 * the point where the trusted code takes over.
 *
 * States: started (exec'd with the channel as a descriptor, everything
 * else still open) -> launched (the launch frame read and decoded into
 * this process's own memory) -> locked (stdout/stderr rerouted to OUT
 * frames, OpenSSL warmed up, every other descriptor closed, no_new_privs,
 * seccomp filter) -> running (the runner; host calls are CALL/REPLY round
 * trips) -> done (EXIT frame with the runner's status, exit 0).
 *
 * Every frame from the host is hostile. A malformed or oversized frame,
 * EOF (the host died or closed the channel) or any I/O error on the
 * channel stops the process at once with a FAIL frame (if the host is
 * still there to read it) and exit status TW_CHILD_EXIT_CHANNEL; the
 * trusted code never sees a half-read reply. There is no timeout on the
 * trusted side: a guest may wait in a host call for as long as it likes
 * (stdin, poll), and a host can always refuse service anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/enclave_chan.h"
#include "host/enclave_proc.h"
#include "host/enclave_sandbox.h"

#define TW_CHILD_EXIT_CHANNEL 70

static int chan_fd = -1;

/* ---- stopping ------------------------------------------------------------- */

static _Noreturn void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...) {
  char msg[TW_CHAN_MAX_FAIL];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = (int)sizeof msg - 1;
  if (chan_fd >= 0)
    (void)tw_chan_send(chan_fd, TW_CHAN_FAIL, 0, msg, (size_t)n, NULL, 0);
  _exit(TW_CHILD_EXIT_CHANNEL);
}

#ifdef TWINE_SANITIZE
/* LeakSanitizer's exit-time check needs ptrace, which the filter forbids;
 * the host process of the same binary still runs it. */
static volatile int locked_down;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return locked_down; }
#endif

/* ---- host calls over the channel ------------------------------------------- */

/* Check a reply's frame header as soon as it is in (a wrong type or
 * length must not leave us waiting for bytes that will never come). */
static void check_frame(const uint8_t *hb) {
  tw_chan_hdr h;
  char why[128];
  if (!tw_chan_get_hdr(hb, &h, why, sizeof why)) die("host channel: %s", why);
  if (h.type != TW_CHAN_REPLY)
    die("host channel: frame type %u where a reply was due", h.type);
}

/* Read one reply frame: header and reply header into hb, the payload
 * straight into out (cap bytes). One recvmsg in the common case. */
static void recv_reply(tw_hc_rep *rep, uint8_t *out, size_t cap) {
  uint8_t hb[TW_CHAN_HDR + TW_CHAN_REP];
  size_t got = 0, want = sizeof hb;
  bool have_frame = false, have_rep = false;
  while (got < want) {
    struct iovec v[2];
    int nv = 0;
    if (got < sizeof hb) {
      v[nv++] = (struct iovec){hb + got, sizeof hb - got};
      v[nv++] = (struct iovec){out, cap};
    } else {
      size_t k = got - sizeof hb;
      v[nv++] = (struct iovec){out + k, cap - k};
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = v;
    m.msg_iovlen = (size_t)nv;
    ssize_t k = recvmsg(chan_fd, &m, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("host channel: %s", strerror(errno));
    }
    if (k == 0) {
      if (got == 0) die("host channel closed (the host stopped)");
      die("host channel closed in the middle of a reply (%zu of %zu bytes)",
          got, want);
    }
    got += (size_t)k;
    if (!have_frame && got >= TW_CHAN_HDR) {
      check_frame(hb);
      have_frame = true;
    }
    if (!have_rep && got >= sizeof hb) {
      uint32_t flen = tw_hcw_get32(hb + 8);
      tw_chan_get_rep(hb + TW_CHAN_HDR, rep);
      if (rep->len != flen - TW_CHAN_REP)
        die("host channel: reply payload of %u bytes in a frame of %u",
            rep->len, flen);
      if (rep->len > cap)
        die("host channel: oversized reply (%u bytes, capacity %zu)",
            rep->len, cap);
      want = sizeof hb + rep->len;
      have_rep = true;
    }
  }
  if (got > want)
    die("host channel: %zu unexpected bytes after a reply", got - want);
}

static int chan_call(void *ctx, const tw_hc_req *q, const uint8_t *payload,
                     tw_hc_rep *rep, uint8_t *out, size_t cap) {
  (void)ctx;
  uint8_t qb[TW_CHAN_REQ];
  if (q->len > TW_HC_MAX_IO) return -1; /* the stubs never ask this */
  tw_chan_put_req(qb, q);
  if (tw_chan_send(chan_fd, TW_CHAN_CALL, 0, qb, sizeof qb, payload,
                   q->len) != 0)
    die("host channel: %s", errno == EPIPE ? "the host stopped"
                                           : strerror(errno));
  recv_reply(rep, out, cap);
  return 0;
}

/* ---- stdout / stderr as OUT frames ----------------------------------------- */

static ssize_t out_write(void *cookie, const char *buf, size_t n) {
  uint32_t stream = (uint32_t)(uintptr_t)cookie;
  size_t done = 0;
  while (done < n) {
    size_t k = n - done < TW_CHAN_MAX_OUT ? n - done : TW_CHAN_MAX_OUT;
    if (tw_chan_send(chan_fd, TW_CHAN_OUT, stream, buf + done, k, NULL, 0))
      die("host channel: %s", errno == EPIPE ? "the host stopped"
                                             : strerror(errno));
    done += k;
  }
  return (ssize_t)n;
}

static bool reroute_stdio(void) {
  cookie_io_functions_t io = {.write = out_write};
  FILE *o = fopencookie((void *)(uintptr_t)1, "w", io);
  FILE *e = fopencookie((void *)(uintptr_t)2, "w", io);
  if (!o || !e) return false;
  /* full buffering for stdout (flushed at the end), none for stderr:
   * the same as a pipe and a terminal's stderr */
  setvbuf(o, NULL, _IOFBF, 16384);
  setvbuf(e, NULL, _IONBF, 0);
  fflush(stdout);
  fflush(stderr);
  stdout = o;
  stderr = e;
  return true;
}

/* ---- the launch frame ----------------------------------------------------- */

/* Fixed part: nargs u32, args_bytes u32, module_len u64, stdio_open u8[3],
 * zero u8, stdio u32[3], npre u32; then pre u32[npre], the arguments
 * (args_bytes: nargs NUL-terminated strings), the module. */
#define LAUNCH_FIXED 36u

static void decode_launch(uint8_t *b, size_t n, tw_host_proc_child *c) {
  if (n < LAUNCH_FIXED) die("launch frame: %zu bytes, too short", n);
  uint32_t nargs = tw_hcw_get32(b), abytes = tw_hcw_get32(b + 4);
  uint64_t mlen = tw_hcw_get64(b + 8);
  uint32_t npre = tw_hcw_get32(b + 32);
  if (b[19] != 0) die("launch frame: reserved byte set");
  for (int i = 0; i < 3; i++) {
    if (b[16 + i] > 1) die("launch frame: bad stdio flag");
    c->handles.stdio_open[i] = b[16 + i] == 1;
    c->handles.stdio[i] = tw_hcw_get32(b + 20 + 4 * i);
    if (c->handles.stdio[i] >= TW_HC_MAX_HANDLES ||
        (!c->handles.stdio_open[i] && c->handles.stdio[i] != 0))
      die("launch frame: bad stdio handle");
  }
  if (npre > TW_HC_MAX_HANDLES - 3 || abytes > TW_CHAN_MAX_ARGS_BYTES ||
      mlen > TW_CHAN_MAX_MODULE || nargs > abytes)
    die("launch frame: a count over its limit");
  uint64_t total = LAUNCH_FIXED + 4ull * npre + abytes + mlen;
  if (total != n)
    die("launch frame: sections of %llu bytes in a frame of %zu",
        (unsigned long long)total, n);
  const uint8_t *p = b + LAUNCH_FIXED;
  c->handles.npre = npre;
  c->handles.pre = calloc(npre ? npre : 1, sizeof *c->handles.pre);
  const char **args = calloc(nargs ? nargs : 1, sizeof *args);
  if (!c->handles.pre || !args) die("out of memory");
  for (uint32_t i = 0; i < npre; i++) {
    c->handles.pre[i] = tw_hcw_get32(p + 4 * i);
    if (c->handles.pre[i] >= TW_HC_MAX_HANDLES)
      die("launch frame: bad preopen handle");
  }
  p += 4ull * npre;
  /* exactly nargs NUL-terminated strings */
  if (abytes && p[abytes - 1] != 0) die("launch frame: unterminated argument");
  uint32_t k = 0;
  for (uint32_t i = 0; i < abytes; i++) {
    if (i == 0 || p[i - 1] == 0) {
      if (k == nargs) die("launch frame: more arguments than announced");
      args[k++] = (const char *)p + i;
    }
  }
  if (k != nargs) die("launch frame: %u arguments, %u announced", k, nargs);
  c->nargs = nargs;
  c->args = args;
  c->module = p + abytes;
  c->module_len = (size_t)mlen;
}

static uint32_t read_launch(tw_host_proc_child *c) {
  uint8_t hb[TW_CHAN_HDR];
  int r = tw_chan_read_full(chan_fd, hb, sizeof hb);
  if (r == 0) die("host channel closed before the launch");
  if (r < 0) die("host channel: %s", strerror(errno));
  tw_chan_hdr h;
  char why[128];
  if (!tw_chan_get_hdr(hb, &h, why, sizeof why)) die("host channel: %s", why);
  if (h.type != TW_CHAN_LAUNCH)
    die("host channel: frame type %u where the launch was due", h.type);
  uint8_t *body = malloc(h.len ? h.len : 1);
  if (!body) die("out of memory for a launch of %u bytes", h.len);
  if (h.len && tw_chan_read_full(chan_fd, body, h.len) != 1)
    die("host channel closed in the middle of the launch");
  decode_launch(body, h.len, c); /* body stays: the module lives in it */
  return h.aux;
}

/* ---- main ------------------------------------------------------------------- */

static tw_host_proc_child child;

twine_status_t tw_host_proc_child_wasi(const tw_host_proc_child *c,
                                       twine_wasi_config_t *cfg) {
  return tw_host_wasi_config_remote(cfg, &c->iface, &c->handles);
}

int tw_host_proc_child_main(int argc, char **argv, tw_host_proc_runner run) {
  struct stat st;
  char *end = NULL;
  long fd = argc == 3 ? strtol(argv[2], &end, 10) : -1;
  if (fd < 3 || fd > 1024 || !end || *end || fstat((int)fd, &st) != 0 ||
      !S_ISSOCK(st.st_mode)) {
    fprintf(stderr, "twine: %s is internal: the process backend starts it "
                    "with its channel\n", TW_HOST_PROC_ARGV1);
    return 1;
  }
  chan_fd = (int)fd;
  uint32_t flags = read_launch(&child);
  child.iface = (tw_host_iface){TW_HC_VERSION, NULL, chan_call};

  char msg[256];
  if (tw_host_sandbox_prepare(msg, sizeof msg) != 0) die("%s", msg);
  if (!reroute_stdio()) die("cannot reroute stdout and stderr");
  if (tw_host_sandbox_lock(chan_fd, msg, sizeof msg) != 0) die("%s", msg);
#ifdef TWINE_SANITIZE
  locked_down = 1;
#endif
  if (flags & TW_CHAN_F_TEST_FORBIDDEN) {
    /* test hook: must never return. A sanitizer build allows read-only
     * opens (enclave_sandbox.c), so it tries to create a socket instead. */
#ifdef TWINE_SANITIZE
    long r = syscall(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
#else
    long r = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
#endif
    die("a forbidden system call returned %ld: the filter is not working", r);
  }

  int rc = run(&child);
  if (rc < 0 || rc > 255) rc = 255;
  fflush(stdout);
  fflush(stderr);
  if (tw_chan_send(chan_fd, TW_CHAN_EXIT, (uint32_t)rc, NULL, 0, NULL, 0))
    _exit(TW_CHILD_EXIT_CHANNEL);
  return 0;
}

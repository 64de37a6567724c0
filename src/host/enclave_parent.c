/*
 * enclave_parent.c - the host side of the `process` enclave backend: start
 * the trusted process, give it its launch frame, serve its host calls with
 * the POSIX host, forward its output, stop it on timeout, and reap it.
 *
 * Start: fork, then exec of `exe TW_HOST_PROC_ARGV1 3` with the channel as
 * fd 3 and an empty environment (only sanitizer options pass). Exec rather
 * than a bare fork gives the trusted process a fresh address space (none
 * of the host's heap, paths or environment), fresh ASLR, and only the
 * descriptors it was given (every other one is O_CLOEXEC or closed by the
 * child before lockdown). PR_SET_PDEATHSIG kills it if the host dies while
 * it computes; if the host dies while it waits for a reply, it sees EOF.
 *
 * States: serving (frames: CALL -> dispatch + REPLY, OUT -> write, EXIT ->
 * remember the status, FAIL -> remember the message) -> EOF -> reaped.
 * A frame that breaks the protocol kills the child (the host does not
 * trust the trusted process's framing either). A monitor thread kills the
 * child at the deadline, and ends the run itself when the child is dead
 * but the host is stuck in a blocking host call (stdin, a long poll).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/enclave_chan.h"
#include "host/enclave_proc.h"

#define GRACE_MS 1000
#define MONITOR_TICK_MS 50

extern char **environ;

static void set_msg(tw_host_proc_result *res, tw_host_proc_how how,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(tw_host_proc_result *res, tw_host_proc_how how,
                    const char *fmt, ...) {
  res->how = how;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
}

/* ---- the launch frame ------------------------------------------------------ */

static uint8_t *encode_launch(const tw_host_proc_launch *l,
                              const tw_host_handles *hs, size_t *n) {
  size_t abytes = 0;
  for (size_t i = 0; i < l->nargs; i++) abytes += strlen(l->args[i]) + 1;
  if (abytes > TW_CHAN_MAX_ARGS_BYTES || l->module_len > TW_CHAN_MAX_MODULE)
    return NULL;
  size_t fixed = 36 + 4 * hs->npre;
  uint8_t *b = malloc(fixed + abytes);
  if (!b) return NULL;
  tw_hcw_put32(b, (uint32_t)l->nargs);
  tw_hcw_put32(b + 4, (uint32_t)abytes);
  tw_hcw_put64(b + 8, l->module_len);
  for (int i = 0; i < 3; i++) {
    b[16 + i] = hs->stdio_open[i] ? 1 : 0;
    tw_hcw_put32(b + 20 + 4 * i, hs->stdio_open[i] ? hs->stdio[i] : 0);
  }
  b[19] = 0;
  tw_hcw_put32(b + 32, (uint32_t)hs->npre);
  for (size_t i = 0; i < hs->npre; i++)
    tw_hcw_put32(b + 36 + 4 * i, hs->pre[i]);
  uint8_t *p = b + fixed;
  for (size_t i = 0; i < l->nargs; i++) {
    size_t k = strlen(l->args[i]) + 1;
    memcpy(p, l->args[i], k);
    p += k;
  }
  *n = fixed + abytes;
  return b;
}

/* ---- starting ---------------------------------------------------------------- */

/* The child's environment: sanitizer options only. Under TWINE_SANITIZE,
 * ASan must leave SIGSEGV to the engine's guard-page handler in the
 * trusted process: its own handler reads /proc/self/maps, which the filter
 * forbids. *extra is an allocated string to free after the spawn. */
static char **child_env(char **extra) {
  size_t n = 0;
  *extra = NULL;
  for (char **e = environ; e && *e; e++) n++;
  char **env = calloc(n + 2, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  char *asan_entry = NULL;
  for (char **e = environ; e && *e; e++) {
    if (!strncmp(*e, "ASAN_OPTIONS=", 13))
      asan_entry = *e;
    else if (!strncmp(*e, "UBSAN_OPTIONS=", 14) ||
             !strncmp(*e, "LSAN_OPTIONS=", 13))
      env[k++] = *e;
  }
#ifdef TWINE_SANITIZE
  const char *asan = asan_entry ? asan_entry + 13 : NULL;
  static const char pre[] = "ASAN_OPTIONS=", post[] = "handle_segv=0";
  size_t len = sizeof pre + (asan ? strlen(asan) + 1 : 0) + sizeof post;
  if (!(*extra = malloc(len))) {
    free(env);
    return NULL;
  }
  snprintf(*extra, len, "%s%s%s%s", pre, asan ? asan : "", asan ? ":" : "",
           post);
  env[k++] = *extra;
#else
  if (asan_entry) env[k++] = asan_entry;
#endif
  return env;
}

static pid_t spawn(const char *exe, int chan, char **env) {
  pid_t parent = getpid();
  char *argv[] = {(char *)exe, (char *)TW_HOST_PROC_ARGV1, (char *)"3", NULL};
  pid_t pid = fork();
  if (pid != 0) return pid;
  /* the child: async-signal-safe calls only */
  if (chan == 3) {
    if (fcntl(3, F_SETFD, 0) != 0) _exit(127);
  } else if (dup2(chan, 3) != 3) {
    _exit(127);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_DFL);
  execve(exe, argv, env);
  _exit(127);
}

/* ---- the monitor ------------------------------------------------------------ */

/* A thread per run that watches the clock and the child while the main
 * thread serves. At the deadline it kills the child. If the child is dead
 * (killed by the deadline or by anyone) but the main thread has not come
 * back from a blocking host call a grace period later, the monitor reaps
 * the child, reports through on_stuck and ends the process; without
 * on_stuck it waits for the host call to return. */
typedef struct monitor {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  const tw_host_proc_launch *l;
  pid_t pid;
  bool stop, fired; /* under lock */
} monitor;

static struct timespec after(uint64_t ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += (time_t)(ms / 1000);
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

static bool before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec ||
         (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool child_dead(pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         si.si_pid == pid;
}

static _Noreturn void stuck(monitor *m) {
  tw_host_proc_result res;
  memset(&res, 0, sizeof res);
  int status = 0;
  while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (m->fired) {
    res.how = TW_HOST_PROC_TIMEOUT;
  } else if (WIFSIGNALED(status)) {
    res.how = TW_HOST_PROC_SIGNALED;
    res.signal = WTERMSIG(status);
  } else {
    set_msg(&res, TW_HOST_PROC_FAILED,
            "the trusted process exited (status %d) during a host call",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  _exit(m->l->on_stuck(&res, m->l->on_stuck_arg));
}

static void *monitor_run(void *arg) {
  monitor *m = arg;
  struct timespec deadline = after(m->l->timeout_ms), grace, now;
  bool dead = false;
  pthread_mutex_lock(&m->lock);
  while (!m->stop) {
    struct timespec tick = after(MONITOR_TICK_MS);
    if (m->l->timeout_ms && !m->fired && before(&deadline, &tick))
      tick = deadline;
    if (pthread_cond_timedwait(&m->cond, &m->lock, &tick) != ETIMEDOUT)
      continue;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (m->l->timeout_ms && !m->fired && !before(&now, &deadline)) {
      m->fired = true;
      kill(m->pid, SIGKILL);
    }
    if (!dead && child_dead(m->pid)) {
      dead = true;
      grace = after(GRACE_MS);
    }
    if (dead && m->l->on_stuck && !before(&now, &grace)) stuck(m);
  }
  pthread_mutex_unlock(&m->lock);
  return NULL;
}

static bool monitor_start(monitor *m, const tw_host_proc_launch *l,
                          pid_t pid) {
  memset(m, 0, sizeof *m);
  m->l = l;
  m->pid = pid;
  pthread_condattr_t a;
  if (pthread_condattr_init(&a) != 0) return false;
  bool ok = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 &&
            pthread_cond_init(&m->cond, &a) == 0;
  pthread_condattr_destroy(&a);
  if (!ok) return false;
  if (pthread_mutex_init(&m->lock, NULL) != 0) {
    pthread_cond_destroy(&m->cond);
    return false;
  }
  if (pthread_create(&m->thread, NULL, monitor_run, m) != 0) {
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    return false;
  }
  return true;
}

/* Stop the monitor; true if the deadline had passed. */
static bool monitor_stop(monitor *m) {
  pthread_mutex_lock(&m->lock);
  m->stop = true;
  pthread_cond_signal(&m->cond);
  pthread_mutex_unlock(&m->lock);
  pthread_join(m->thread, NULL);
  pthread_mutex_destroy(&m->lock);
  pthread_cond_destroy(&m->cond);
  return m->fired;
}

/* ---- serving ------------------------------------------------------------------ */

typedef struct serve {
  int fd;
  uint8_t *buf; /* received bytes [start, end) */
  size_t cap, start, end;
  uint8_t *out; /* reply payloads */
  tw_host_iface host;
  bool exited;
  int code;
  char fail[TW_CHAN_MAX_FAIL + 1];
  char proto[160]; /* protocol error, if any */
} serve;

/* Make n bytes available at buf+start. 1 ok, 0 EOF at a frame boundary,
 * -1 error / EOF inside a frame (proto set). */
static int need(serve *s, size_t n) {
  if (s->cap - s->start < n) {
    memmove(s->buf, s->buf + s->start, s->end - s->start);
    s->end -= s->start;
    s->start = 0;
  }
  while (s->end - s->start < n) {
    ssize_t k = recv(s->fd, s->buf + s->end, s->cap - s->end, 0);
    if (k < 0 && errno == ECONNRESET) k = 0; /* the child died */
    if (k < 0) {
      if (errno == EINTR) continue;
      snprintf(s->proto, sizeof s->proto, "channel: %s", strerror(errno));
      return -1;
    }
    if (k == 0) {
      if (s->end == s->start) return 0;
      snprintf(s->proto, sizeof s->proto,
               "the trusted process closed its channel inside a frame");
      return -1;
    }
    s->end += (size_t)k;
  }
  return 1;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return; /* stdout closed: the output is lost, as in-process */
    }
    p += k;
    n -= (size_t)k;
  }
}

static int do_call(serve *s, const uint8_t *body, uint32_t len) {
  tw_hc_req q;
  tw_chan_get_req(body, &q);
  if (q.len != len - TW_CHAN_REQ) {
    snprintf(s->proto, sizeof s->proto,
             "request payload of %u bytes in a frame of %u", q.len, len);
    return -1;
  }
  const tw_hc_desc *d = tw_hc_desc_of(q.call);
  size_t cap = d ? tw_hc_rep_cap(d, &q) : 0;
  if (cap > TW_HC_MAX_IO) cap = TW_HC_MAX_IO;
  tw_hc_rep rep;
  memset(&rep, 0, sizeof rep);
  s->host.call(s->host.ctx, &q, q.len ? body + TW_CHAN_REQ : NULL, &rep,
               s->out, cap);
  if (rep.len > cap) rep.len = (uint32_t)cap; /* never: the POSIX host */
  uint8_t rb[TW_CHAN_REP];
  tw_chan_put_rep(rb, &rep);
  if (tw_chan_send(s->fd, TW_CHAN_REPLY, 0, rb, sizeof rb, s->out, rep.len)) {
    if (errno == EPIPE || errno == ECONNRESET) return 1; /* the child died */
    snprintf(s->proto, sizeof s->proto, "channel: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* Serve until EOF. 0 at EOF, -1 on a protocol error (s->proto). */
static int serve_loop(serve *s) {
  for (;;) {
    int r = need(s, TW_CHAN_HDR);
    if (r <= 0) return r;
    tw_chan_hdr h;
    char why[128];
    if (!tw_chan_get_hdr(s->buf + s->start, &h, why, sizeof why)) {
      snprintf(s->proto, sizeof s->proto, "%s", why);
      return -1;
    }
    if (h.type == TW_CHAN_LAUNCH || h.type == TW_CHAN_REPLY) {
      snprintf(s->proto, sizeof s->proto, "frame type %u from the trusted side",
               h.type);
      return -1;
    }
    if ((r = need(s, TW_CHAN_HDR + (size_t)h.len)) <= 0) {
      if (r == 0)
        snprintf(s->proto, sizeof s->proto, "EOF inside a frame");
      return -1;
    }
    const uint8_t *body = s->buf + s->start + TW_CHAN_HDR;
    s->start += TW_CHAN_HDR + (size_t)h.len;
    if (s->exited) {
      snprintf(s->proto, sizeof s->proto, "a frame after the exit status");
      return -1;
    }
    switch (h.type) {
    case TW_CHAN_CALL:
      if ((r = do_call(s, body, h.len)) != 0) return r > 0 ? 0 : -1;
      break;
    case TW_CHAN_OUT:
      write_all((int)h.aux, body, h.len);
      break;
    case TW_CHAN_EXIT:
      s->exited = true;
      s->code = (int)h.aux;
      break;
    case TW_CHAN_FAIL:
      memcpy(s->fail, body, h.len);
      s->fail[h.len] = '\0';
      break;
    }
  }
}

/* ---- the whole run -------------------------------------------------------------- */

static void describe_status(tw_host_proc_result *res, int status, serve *s,
                            bool timed_out) {
  if (timed_out) {
    res->how = TW_HOST_PROC_TIMEOUT;
    return;
  }
  if (s->proto[0]) {
    set_msg(res, TW_HOST_PROC_FAILED,
            "protocol error from the trusted process: %s", s->proto);
    return;
  }
  if (WIFSIGNALED(status)) {
    res->how = TW_HOST_PROC_SIGNALED;
    res->signal = WTERMSIG(status);
    return;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (s->exited && code == 0) {
    res->how = TW_HOST_PROC_EXITED;
    res->code = s->code;
    return;
  }
  if (s->fail[0])
    set_msg(res, TW_HOST_PROC_FAILED, "%s", s->fail);
  else if (code == 127 && !s->exited)
    set_msg(res, TW_HOST_PROC_FAILED, "cannot start the trusted process");
  else
    set_msg(res, TW_HOST_PROC_FAILED,
            "the trusted process exited with status %d without a result",
            code);
}

void tw_host_proc_run(const tw_host_proc_launch *l, tw_host_proc_result *res) {
  memset(res, 0, sizeof *res);
  serve s;
  memset(&s, 0, sizeof s);
  s.fd = -1;
  tw_host_handles hs;
  memset(&hs, 0, sizeof hs);
  uint8_t *launch = NULL;
  char **env = NULL;
  char *env_extra = NULL;
  int sv[2] = {-1, -1};
  tw_host_posix *host = tw_host_posix_new();
  twine_error_t err;
  memset(&err, 0, sizeof err);
  if (!host) {
    set_msg(res, TW_HOST_PROC_FAILED, "out of memory");
    goto out;
  }
  if (tw_host_wasi_open(host, l->wasi, &hs, &err) != TWINE_OK) {
    set_msg(res, TW_HOST_PROC_SETUP, "%s", err.message);
    goto out;
  }
  size_t nlaunch = 0;
  s.cap = TW_CHAN_HDR + TW_CHAN_MAX_CALL;
  s.buf = malloc(s.cap);
  s.out = malloc(TW_HC_MAX_IO);
  launch = encode_launch(l, &hs, &nlaunch);
  env = child_env(&env_extra);
  if (!s.buf || !s.out || !launch || !env) {
    set_msg(res, TW_HOST_PROC_FAILED,
            launch || !l->module ? "out of memory"
                                 : "module or arguments over the limits");
    goto out;
  }
  s.host = tw_host_posix_iface(host);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    set_msg(res, TW_HOST_PROC_FAILED, "socketpair: %s", strerror(errno));
    goto out;
  }
  pid_t pid = spawn(l->exe, sv[1], env);
  if (pid < 0) {
    set_msg(res, TW_HOST_PROC_FAILED, "fork: %s", strerror(errno));
    goto out;
  }
  close(sv[1]);
  sv[1] = -1;
  s.fd = sv[0];
  monitor m;
  bool watching = monitor_start(&m, l, pid);
  if (!watching) {
    kill(pid, SIGKILL);
    set_msg(res, TW_HOST_PROC_FAILED, "cannot start the monitor thread");
  }
  /* a child that dies early makes this fail with EPIPE: the reason is
   * then found by serve_loop / waitpid */
  if (tw_chan_send(s.fd, TW_CHAN_LAUNCH, l->flags, launch, nlaunch, l->module,
                   l->module_len) == 0 || errno == EPIPE || errno == ECONNRESET) {
    if (serve_loop(&s) != 0) kill(pid, SIGKILL);
  }
  close(s.fd); /* a child still writing gets EPIPE */
  s.fd = sv[0] = -1;
  bool timed_out = watching && monitor_stop(&m);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (res->message[0] == '\0') describe_status(res, status, &s, timed_out);
out:
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
  free(env);
  free(env_extra);
  free(launch);
  free(s.buf);
  free(s.out);
  tw_host_handles_clear(&hs);
  tw_host_posix_free(host);
}

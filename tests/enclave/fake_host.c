/*
 * fake_host.c - a hostile host for the process backend's trusted process.
 *
 *   enclave_fake_host TWINE MODULE.wasm CASE
 *
 * Starts `TWINE __trusted-process 3` with a socketpair as fd 3 (as the real
 * host does), then breaks the channel protocol in the way CASE names. The
 * trusted process must stop cleanly: exit status 70 (not a signal, not a
 * hang), with a FAIL frame naming the problem whenever the fake host is
 * still listening. Exit status 0 if it did, 1 (with a reason) if not.
 *
 * Cases: eof_launch, bad_launch, truncated_launch, launch_type, eof,
 * truncated, oversized_frame, over_cap, wrong_type, bad_magic,
 * bad_version, len_mismatch, trailing, host_death.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "enclave/hostcall_wire.h"
#include "host/enclave_chan.h"

static const char *twine, *module_path;

static int die(const char *fmt, const char *a) {
  printf("FAIL: ");
  printf(fmt, a);
  printf("\n");
  return 1;
}

static pid_t start(int *fd) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) exit(2);
  pid_t pid = fork();
  if (pid == 0) {
    if (dup2(sv[1], 3) != 3) _exit(127);
    char *argv[] = {(char *)twine, (char *)"__trusted-process", (char *)"3",
                    NULL};
    char *env[] = {NULL};
    execve(twine, argv, env);
    _exit(127);
  }
  close(sv[1]);
  *fd = sv[0];
  return pid;
}

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *b = malloc(1 << 20);
  *n = b ? fread(b, 1, 1 << 20, f) : 0;
  fclose(f);
  return b;
}

/* A launch frame body: args "module=m.wasm", "--"; stdio 0..2 open as
 * handles 0..2; no preopens; then the module. nargs_claim lets a case lie
 * about the number of arguments. */
static uint8_t *launch_body(const uint8_t *mod, size_t mlen, uint32_t nargs,
                            size_t *n) {
  static const char args[] = "module=m.wasm\0--";
  size_t abytes = sizeof args;
  *n = 36 + abytes + mlen;
  uint8_t *b = calloc(1, *n);
  tw_hcw_put32(b, nargs);
  tw_hcw_put32(b + 4, (uint32_t)abytes);
  tw_hcw_put64(b + 8, mlen);
  for (int i = 0; i < 3; i++) {
    b[16 + i] = 1;
    tw_hcw_put32(b + 20 + 4 * i, (uint32_t)i);
  }
  tw_hcw_put32(b + 32, 0);
  memcpy(b + 36, args, abytes);
  memcpy(b + 36 + abytes, mod, mlen);
  return b;
}

/* Wait for pid at most 10 s. */
static int wait_for(pid_t pid, int *status) {
  for (int i = 0; i < 1000; i++) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 0;
    if (r < 0) return -1;
    struct timespec t = {0, 10 * 1000 * 1000};
    nanosleep(&t, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return -1;
}

/* Read frames until EOF; the FAIL text (if any) into msg. */
static void read_fail(int fd, char *msg, size_t cap) {
  msg[0] = '\0';
  uint8_t hb[TW_CHAN_HDR];
  while (tw_chan_read_full(fd, hb, sizeof hb) == 1) {
    tw_chan_hdr h;
    if (!tw_chan_get_hdr(hb, &h, NULL, 0)) return;
    uint8_t *body = malloc(h.len + 1u);
    if (!body || (h.len && tw_chan_read_full(fd, body, h.len) != 1)) {
      free(body);
      return;
    }
    if (h.type == TW_CHAN_FAIL) {
      size_t k = h.len < cap - 1 ? h.len : cap - 1;
      memcpy(msg, body, k);
      msg[k] = '\0';
    }
    free(body);
  }
}

/* Receive the first CALL frame; its request into *q. */
static int first_call(int fd, tw_hc_req *q) {
  uint8_t hb[TW_CHAN_HDR];
  for (;;) {
    if (tw_chan_read_full(fd, hb, sizeof hb) != 1) return -1;
    tw_chan_hdr h;
    if (!tw_chan_get_hdr(hb, &h, NULL, 0)) return -1;
    uint8_t *body = malloc(h.len + 1u);
    if (!body || (h.len && tw_chan_read_full(fd, body, h.len) != 1)) {
      free(body);
      return -1;
    }
    if (h.type == TW_CHAN_CALL) {
      tw_chan_get_req(body, q);
      free(body);
      return 0;
    }
    free(body);
  }
}

static void put_raw_hdr(uint8_t *b, uint32_t magic, uint16_t ver,
                        uint16_t type, uint32_t len, uint32_t aux) {
  tw_hcw_put32(b, magic);
  b[4] = (uint8_t)ver;
  b[5] = (uint8_t)(ver >> 8);
  b[6] = (uint8_t)type;
  b[7] = (uint8_t)(type >> 8);
  tw_hcw_put32(b + 8, len);
  tw_hcw_put32(b + 12, aux);
}

static void send_raw(int fd, const void *b, size_t n) {
  (void)!send(fd, b, n, MSG_NOSIGNAL);
}

/* Misbehave after the first CALL. Returns the substring expected in the
 * FAIL message. */
static const char *misbehave(const char *c, int fd, const tw_hc_req *q) {
  uint8_t b[TW_CHAN_HDR + TW_CHAN_REP + 64];
  tw_hc_rep rep;
  memset(&rep, 0, sizeof rep);
  memset(b, 0, sizeof b);
  if (!strcmp(c, "eof")) {
    shutdown(fd, SHUT_WR);
    return "host channel closed (the host stopped)";
  }
  if (!strcmp(c, "truncated")) {
    tw_chan_put_hdr(b, TW_CHAN_REPLY, TW_CHAN_REP, 0);
    tw_chan_put_rep(b + TW_CHAN_HDR, &rep);
    send_raw(fd, b, TW_CHAN_HDR + 20);
    shutdown(fd, SHUT_WR);
    return "in the middle of a reply";
  }
  if (!strcmp(c, "oversized_frame")) {
    tw_chan_put_hdr(b, TW_CHAN_REPLY, TW_CHAN_MAX_REPLY + 1, 0);
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP);
    return "frame type 3 with a body of";
  }
  if (!strcmp(c, "over_cap")) {
    const tw_hc_desc *d = tw_hc_desc_of(q->call);
    size_t cap = d ? tw_hc_rep_cap(d, q) : 0;
    rep.len = (uint32_t)cap + 1;
    tw_chan_put_hdr(b, TW_CHAN_REPLY, TW_CHAN_REP + rep.len, 0);
    tw_chan_put_rep(b + TW_CHAN_HDR, &rep);
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP);
    uint8_t *pad = calloc(1, rep.len);
    send_raw(fd, pad, rep.len);
    free(pad);
    return "oversized reply";
  }
  if (!strcmp(c, "wrong_type")) {
    tw_chan_put_hdr(b, TW_CHAN_OUT, 0, 1);
    send_raw(fd, b, TW_CHAN_HDR);
    return "frame type 4 where a reply was due";
  }
  if (!strcmp(c, "bad_magic")) {
    put_raw_hdr(b, 0x12345678u, TW_CHAN_VERSION, TW_CHAN_REPLY, TW_CHAN_REP,
                0);
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP);
    return "bad frame magic";
  }
  if (!strcmp(c, "bad_version")) {
    put_raw_hdr(b, TW_CHAN_MAGIC, 99, TW_CHAN_REPLY, TW_CHAN_REP, 0);
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP);
    return "channel version 99";
  }
  if (!strcmp(c, "len_mismatch")) {
    tw_chan_put_hdr(b, TW_CHAN_REPLY, TW_CHAN_REP + 8, 0);
    tw_chan_put_rep(b + TW_CHAN_HDR, &rep); /* rep.len 0 */
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP + 8);
    return "reply payload of 0 bytes in a frame of 48";
  }
  if (!strcmp(c, "trailing")) {
    rep.err = 29; /* EIO: a valid reply... */
    tw_chan_put_hdr(b, TW_CHAN_REPLY, TW_CHAN_REP, 0);
    tw_chan_put_rep(b + TW_CHAN_HDR, &rep);
    memset(b + TW_CHAN_HDR + TW_CHAN_REP, 0xEE, 16); /* ...and garbage */
    send_raw(fd, b, TW_CHAN_HDR + TW_CHAN_REP + 16);
    return "host channel";
  }
  return NULL;
}

static int check_status(int status, const char *msg, const char *want) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 70) {
    printf("FAIL: trusted process status 0x%x (want exit 70)\n", status);
    return 1;
  }
  if (want && !strstr(msg, want)) {
    printf("FAIL: message '%s' lacks '%s'\n", msg, want);
    return 1;
  }
  printf("ok: exit 70: %s\n", msg);
  return 0;
}

static int host_death(const uint8_t *mod, size_t mlen) {
  /* The host is an intermediate process that dies after the first call;
   * this process adopts the orphaned trusted process and watches it. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return die("subreaper%s", "");
  int p[2];
  if (pipe(p) != 0) return die("pipe%s", "");
  pid_t mid = fork();
  if (mid == 0) {
    int fd;
    pid_t pid = start(&fd);
    (void)!write(p[1], &pid, sizeof pid);
    size_t n;
    uint8_t *body = launch_body(mod, mlen, 2, &n);
    tw_chan_send(fd, TW_CHAN_LAUNCH, 0, body, n, NULL, 0);
    free(body);
    tw_hc_req q;
    first_call(fd, &q);
    _exit(0); /* dies with the trusted process waiting for a reply */
  }
  pid_t pid = -1;
  close(p[1]);
  if (read(p[0], &pid, sizeof pid) != sizeof pid) return die("no pid%s", "");
  close(p[0]);
  waitpid(mid, NULL, 0);
  int status;
  if (wait_for(pid, &status) != 0)
    return die("the trusted process outlived its host%s", "");
  if ((WIFEXITED(status) && WEXITSTATUS(status) == 70) ||
      (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    printf("ok: trusted process gone after host death (status 0x%x)\n",
           status);
    return 0;
  }
  printf("FAIL: status 0x%x after host death\n", status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s TWINE MODULE.wasm CASE\n", argv[0]);
    return 2;
  }
  twine = argv[1];
  module_path = argv[2];
  const char *c = argv[3];
  size_t mlen;
  uint8_t *mod = read_file(module_path, &mlen);
  if (!mod) return die("cannot read %s", module_path);
  signal(SIGPIPE, SIG_IGN);
  if (!strcmp(c, "host_death")) {
    int rc = host_death(mod, mlen);
    free(mod);
    return rc;
  }

  int fd, status;
  char msg[1100];
  pid_t pid = start(&fd);
  size_t n;
  uint8_t *body = NULL;
  const char *want = NULL;
  if (!strcmp(c, "eof_launch")) {
    shutdown(fd, SHUT_WR);
    want = "closed before the launch";
  } else if (!strcmp(c, "bad_launch")) {
    body = launch_body(mod, mlen, 5, &n); /* claims 5 arguments, has 2 */
    tw_chan_send(fd, TW_CHAN_LAUNCH, 0, body, n, NULL, 0);
    want = "launch frame: 2 arguments, 5 announced";
  } else if (!strcmp(c, "truncated_launch")) {
    body = launch_body(mod, mlen, 2, &n);
    uint8_t hb[TW_CHAN_HDR];
    tw_chan_put_hdr(hb, TW_CHAN_LAUNCH, (uint32_t)n, 0);
    send_raw(fd, hb, sizeof hb);
    send_raw(fd, body, n / 2);
    shutdown(fd, SHUT_WR);
    want = "in the middle of the launch";
  } else if (!strcmp(c, "launch_type")) {
    uint8_t hb[TW_CHAN_HDR];
    tw_chan_put_hdr(hb, TW_CHAN_REPLY, TW_CHAN_REP, 0);
    send_raw(fd, hb, sizeof hb);
    want = "where the launch was due";
  } else {
    body = launch_body(mod, mlen, 2, &n);
    tw_chan_send(fd, TW_CHAN_LAUNCH, 0, body, n, NULL, 0);
    tw_hc_req q;
    if (first_call(fd, &q) != 0) return die("no host call arrived%s", "");
    want = misbehave(c, fd, &q);
    if (!want) return die("unknown case %s", c);
  }
  read_fail(fd, msg, sizeof msg);
  free(body);
  free(mod);
  if (wait_for(pid, &status) != 0) return die("the trusted process hung%s", "");
  close(fd);
  return check_status(status, msg, want);
}

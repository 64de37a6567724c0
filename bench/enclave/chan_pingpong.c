/*
 * chan_pingpong.c - round-trip latency of the two channel designs the
 * process backend could use (docs/enclave.md, "Channel"): a socketpair
 * carrying a 72-byte request and a 56-byte reply (the framed protocol's
 * sizes for a 1-byte write), and a shared-memory mailbox with futex
 * wake-ups (the same bytes copied in and out), optionally spinning a
 * little before sleeping. (Polling the socketpair with non-blocking recv()
 * was tried too: on a 2-vCPU machine it is ten times slower than
 * blocking, because the poller takes the CPU its peer needs.)
 *
 *   chan_pingpong [ROUNDS]    prints one line per design, ns per round trip
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void full(int fd, void *b, size_t n, int rd) {
  size_t d = 0;
  while (d < n) {
    ssize_t k = rd ? read(fd, (char *)b + d, n - d) : write(fd, (char *)b + d, n - d);
    if (k <= 0) exit(1);
    d += (size_t)k;
  }
}

/* Read exactly n bytes; with spin, poll with MSG_DONTWAIT up to `spin`
 * times before blocking. */
static void rd(int fd, void *b, size_t n, int spin) {
  size_t d = 0;
  int tries = 0;
  while (d < n) {
    int fl = tries < spin ? MSG_DONTWAIT : 0;
    ssize_t k = recv(fd, (char *)b + d, n - d, fl);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      tries++;
      continue;
    }
    if (k <= 0) exit(1);
    d += (size_t)k;
  }
}

static double sock(long rounds, int spin) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) exit(1);
  char q[72], r[56];
  memset(q, 1, sizeof q);
  memset(r, 2, sizeof r);
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    for (long i = 0; i < rounds; i++) { /* host: request in, reply out */
      rd(sv[1], q, sizeof q, spin);
      full(sv[1], r, sizeof r, 0);
    }
    _exit(0);
  }
  close(sv[1]);
  double t0 = now_ns();
  for (long i = 0; i < rounds; i++) { /* trusted: request out, reply in */
    full(sv[0], q, sizeof q, 0);
    rd(sv[0], r, sizeof r, spin);
  }
  double t = now_ns() - t0;
  waitpid(p, NULL, 0);
  close(sv[0]);
  return t / rounds;
}

typedef struct box {
  _Atomic uint32_t turn; /* 1: the host's turn, 2: the trusted side's */
  char data[128];
} box;

static void fwait(_Atomic uint32_t *w, uint32_t v, int spin) {
  for (int i = 0; i < spin; i++)
    if (atomic_load_explicit(w, memory_order_acquire) != v) return;
  while (atomic_load_explicit(w, memory_order_acquire) == v)
    syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void fset(_Atomic uint32_t *w, uint32_t v) {
  atomic_store_explicit(w, v, memory_order_release);
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* turn: 1 = a request is in data (host's turn), 2 = a reply (trusted's) */
static double futex_box(long rounds, int spin) {
  box *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (b == MAP_FAILED) exit(1);
  atomic_store(&b->turn, 2);
  pid_t p = fork();
  char q[72], r[56];
  memset(q, 1, sizeof q);
  memset(r, 2, sizeof r);
  if (p == 0) { /* trusted */
    for (long i = 0; i < rounds; i++) {
      fwait(&b->turn, 1, spin); /* wait while it is the host's turn */
      memcpy(r, b->data, sizeof r);
      memcpy(b->data, q, sizeof q);
      fset(&b->turn, 1);
    }
    fwait(&b->turn, 1, spin);
    _exit(0);
  }
  double t0 = now_ns();
  for (long i = 0; i < rounds; i++) { /* host */
    fwait(&b->turn, 2, spin);
    memcpy(q, b->data, sizeof q);
    memcpy(b->data, r, sizeof r);
    fset(&b->turn, 2);
  }
  double t = now_ns() - t0;
  waitpid(p, NULL, 0);
  munmap(b, sizeof *b);
  return t / rounds;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 100000;
  if (rounds <= 0) rounds = 100000;
  printf("socketpair (framed)        %8.0f ns/round trip\n", sock(rounds, 0));
  printf("shared memory + futex      %8.0f ns/round trip\n",
         futex_box(rounds, 0));
  printf("shared memory + spin/futex %8.0f ns/round trip\n",
         futex_box(rounds, 2000));
  return 0;
}

/*
 * posix_misc.c - POSIX host calls for time, readiness, sockets and
 * scheduling: clock_gettime/getres, poll (ns timeout, restarted after
 * signals with the remaining time), accept4, recvmsg/sendmsg, shutdown,
 * sched_yield.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "host/posix_int.h"

static const clockid_t clocks[4] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                    CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};

static uint64_t ns_of(struct timespec ts) {
  if (ts.tv_sec < 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

tw_herr tw_host_do_clock_get(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct timespec ts;
  if (clock_gettime(clocks[a->a[0]], &ts) != 0) return tw_host_errno_now();
  rep->r[0] = ns_of(ts);
  return 0;
}

tw_herr tw_host_do_clock_res(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct timespec ts;
  if (clock_getres(clocks[a->a[0]], &ts) != 0) return tw_host_errno_now();
  uint64_t ns = ns_of(ts);
  rep->r[0] = ns ? ns : 1;
  return 0;
}

static struct timespec ts_of(uint64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / 1000000000u);
  ts.tv_nsec = (long)(ns % 1000000000u);
  return ts;
}

tw_herr tw_host_do_poll(tw_host_posix *h, const tw_host_args *a,
                        tw_hc_rep *rep, uint8_t *out, size_t cap) {
  size_t n = (size_t)a->a[0];
  uint64_t timeout = a->a[1];
  struct pollfd pfd[TW_HC_MAX_POLL];
  if (cap < n * TW_HCW_POLLR) return TW_HE_INVAL;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *e = a->data + i * TW_HCW_POLLQ;
    pfd[i].fd = tw_host_slot_of(h, tw_hcw_get32(e))->fd; /* checked */
    pfd[i].events = (short)(((e[4] & TW_HPOLL_READ) ? POLLIN : 0) |
                            ((e[4] & TW_HPOLL_WRITE) ? POLLOUT : 0));
    pfd[i].revents = 0;
  }
  /* a timeout too long for time_t is forever */
  bool forever = timeout == UINT64_MAX || timeout / 1000000000u > INT32_MAX;
  struct timespec now, deadline = {0, 0};
  if (!forever) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = ts_of(ns_of(now) + timeout);
  }
  int r;
  for (;;) {
    struct timespec left, *tp = NULL;
    if (!forever) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      uint64_t dl = ns_of(deadline), nw = ns_of(now);
      left = ts_of(dl > nw ? dl - nw : 0);
      tp = &left;
    }
    r = ppoll(n ? pfd : NULL, (nfds_t)n, tp, NULL);
    if (r >= 0 || errno != EINTR) break;
  }
  if (r < 0) return tw_host_errno_now();
  uint64_t ready = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t asked = a->data[i * TW_HCW_POLLQ + 4];
    uint8_t *o = out + i * TW_HCW_POLLR;
    short rv = pfd[i].revents;
    uint8_t ev = 0;
    if ((rv & (POLLIN | POLLPRI)) && (asked & TW_HPOLL_READ))
      ev |= TW_HPOLL_READ;
    if ((rv & POLLOUT) && (asked & TW_HPOLL_WRITE)) ev |= TW_HPOLL_WRITE;
    if (rv & POLLHUP) ev |= TW_HPOLL_HUP;
    if (rv & (POLLERR | POLLNVAL)) ev |= TW_HPOLL_ERR;
    int avail = 0;
    if ((ev & TW_HPOLL_READ) && ioctl(pfd[i].fd, FIONREAD, &avail) != 0)
      avail = 0;
    memset(o, 0, TW_HCW_POLLR);
    o[0] = ev;
    tw_hcw_put64(o + 8, avail > 0 ? (uint64_t)avail : 0);
    ready += ev != 0;
  }
  rep->r[0] = ready;
  rep->len = (uint32_t)(n * TW_HCW_POLLR);
  return 0;
}

tw_herr tw_host_do_sock_accept(tw_host_posix *h, const tw_host_args *a,
                               tw_hc_rep *rep, uint8_t *out, size_t cap) {
  int fl = SOCK_CLOEXEC | ((a->a[1] & TW_HFL_NONBLOCK) ? SOCK_NONBLOCK : 0);
  int fd;
  do fd = accept4(a->fd[0], NULL, NULL, fl);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return tw_host_errno_now();
  uint32_t handle;
  if (!tw_host_add(h, fd, &handle)) return TW_HE_NFILE;
  rep->r[0] = handle;
  return 0;
}

tw_herr tw_host_do_sock_recv(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  struct iovec iov = {out, a->a[1] < cap ? (size_t)a->a[1] : cap};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  int fl = ((a->a[2] & 1) ? MSG_PEEK : 0) | ((a->a[2] & 2) ? MSG_WAITALL : 0);
  ssize_t n;
  do n = recvmsg(a->fd[0], &m, fl);
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  rep->r[1] = (m.msg_flags & MSG_TRUNC) ? 1 : 0;
  rep->len = (uint32_t)n;
  return 0;
}

tw_herr tw_host_do_sock_send(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  ssize_t n;
  do n = send(a->fd[0], a->data, a->len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return tw_host_errno_now();
  rep->r[0] = (uint64_t)n;
  return 0;
}

tw_herr tw_host_do_sock_shutdown(tw_host_posix *h, const tw_host_args *a,
                                 tw_hc_rep *rep, uint8_t *out, size_t cap) {
  static const int how[4] = {0, SHUT_RD, SHUT_WR, SHUT_RDWR};
  return shutdown(a->fd[0], how[a->a[1]]) == 0 ? 0 : tw_host_errno_now();
}

tw_herr tw_host_do_sched_yield(tw_host_posix *h, const tw_host_args *a,
                               tw_hc_rep *rep, uint8_t *out, size_t cap) {
  sched_yield();
  return 0;
}

/*
 * wasi_poll.c - poll_oneoff.
 *
 * The subscriptions are read out of guest memory once, into a trusted
 * array, before anything is written (so events may overlap them). Then:
 *   - clock subscriptions (realtime or monotonic; relative, or absolute
 *     with SUBSCRIPTION_CLOCK_ABSTIME against that clock's current time)
 *     become a number of nanoseconds from the start of the call, measured
 *     on the monotonic clock (tw_wasi_clock_now, which never goes back);
 *   - fd_read / fd_write subscriptions on a descriptor that is not open or
 *     lacks POLL_FD_READWRITE and FD_READ / FD_WRITE get an event at once
 *     with EBADF / ENOTCAPABLE in its error field; regular files (and block
 *     devices) are always ready (a read event tells the bytes left before
 *     the end of the file); everything else goes to the host's poll, one
 *     entry per host handle (at most TW_HC_MAX_POLL distinct handles);
 *   - if an event is already due, the host is polled without waiting;
 *     otherwise it waits until the earliest clock deadline (or forever).
 * The host may wake us early: a clock event is only reported once the
 * monotonic clock has reached its deadline, so an early wake-up without
 * any ready descriptor just waits again for the rest. Events are written
 * in subscription order in the witx layout (32 bytes each).
 *
 * Like wasmtime, nsubscriptions == 0, an unknown event type, unknown
 * subclockflags bits and clock ids other than realtime and monotonic fail
 * the whole call with EINVAL.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_prot.h"

enum { TW_WEV_CLOCK = 0, TW_WEV_FD_READ = 1, TW_WEV_FD_WRITE = 2 };
#define TW_WSUB_ABSTIME 1u
#define TW_WEV_HANGUP 1u

/* One subscription, decoded. */
typedef struct poll_sub {
  uint64_t userdata;
  uint64_t remaining; /* clock: ns after the start of the call */
  uint64_t nbytes;    /* fd event known up front: its nbytes */
  uint16_t error;     /* fd event known up front: its error */
  uint8_t type;       /* TW_WEV_* */
  bool now;           /* the event is due without asking the host */
  int slot;           /* index into the host poll array, or -1 */
} poll_sub;

typedef struct poll_state {
  tw_hpoll hp[TW_HC_MAX_POLL];
  size_t np;
  bool have_start;
  uint64_t start; /* monotonic ns at the start */
  bool any_now;   /* some event is due without waiting */
  bool any_clock;
} poll_state;

static tw_wasi_errno start_time(tw_wasi *w, poll_state *ps) {
  if (ps->have_start) return TW_WE_SUCCESS;
  tw_wasi_errno r = tw_wasi_clock_now(w, TW_HCLOCK_MONOTONIC, &ps->start);
  if (r) return r;
  ps->have_start = true;
  return TW_WE_SUCCESS;
}

static tw_wasi_errno decode_clock(tw_wasi *w, const uint8_t *p, poll_state *ps,
                                  poll_sub *s) {
  uint32_t id = tw_wasi_rd32(p + 16);
  uint64_t timeout = tw_wasi_rd64(p + 24);
  uint16_t flags = tw_wasi_rd16(p + 40);
  if (flags & ~TW_WSUB_ABSTIME) return TW_WE_INVAL;
  if (id != TW_HCLOCK_REALTIME && id != TW_HCLOCK_MONOTONIC)
    return TW_WE_INVAL;
  tw_wasi_errno r = start_time(w, ps);
  if (r) return r;
  ps->any_clock = true;
  if (!(flags & TW_WSUB_ABSTIME)) {
    s->remaining = timeout;
    return TW_WE_SUCCESS;
  }
  uint64_t now = ps->start;
  if (id == TW_HCLOCK_REALTIME && (r = tw_wasi_clock_now(w, id, &now)))
    return r;
  s->remaining = timeout > now ? timeout - now : 0;
  return TW_WE_SUCCESS;
}

/* The bytes left to read in a regular file (size - position). */
static tw_wasi_errno file_left(tw_wasi *w, const tw_wasi_fd *f,
                               uint64_t *left) {
  tw_hstat st;
  uint64_t pos = 0;
  tw_herr e = tw_hc_fstat(w->hc, f->handle, &st);
  if (e == TW_HE_OK) e = tw_hc_seek(w->hc, f->handle, 0, 1, &pos);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  *left = st.size > pos ? st.size - pos : 0;
  return TW_WE_SUCCESS;
}

static tw_wasi_errno decode_fd(tw_wasi *w, const uint8_t *p, poll_state *ps,
                               poll_sub *s) {
  uint32_t fd = tw_wasi_rd32(p + 16);
  bool rd = s->type == TW_WEV_FD_READ;
  uint64_t rights = TW_WR_POLL_FD_READWRITE |
                    (rd ? TW_WR_FD_READ : TW_WR_FD_WRITE);
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_fd_get(w, fd, rights, &f);
  if (r) {
    s->error = r;
    s->now = true;
    return TW_WE_SUCCESS;
  }
  if (f->type == TW_WFT_REG || f->type == TW_WFT_BLOCK) {
    s->now = true;
    if (rd && f->pfs && f->pfs->file) /* a protected file */
      s->error = tw_wasi_pfile_left(f, &s->nbytes);
    else if (rd && f->type == TW_WFT_REG)
      s->error = file_left(w, f, &s->nbytes);
    return TW_WE_SUCCESS;
  }
  size_t i = 0;
  while (i < ps->np && ps->hp[i].handle != f->handle) i++;
  if (i == ps->np) {
    if (ps->np == TW_HC_MAX_POLL) return TW_WE_INVAL; /* as poll(2) */
    ps->hp[i].handle = f->handle;
    ps->hp[i].events = 0;
    ps->np++;
  }
  ps->hp[i].events |= rd ? TW_HPOLL_READ : TW_HPOLL_WRITE;
  s->slot = (int)i;
  return TW_WE_SUCCESS;
}

static tw_wasi_errno decode(tw_wasi *w, const uint8_t *in, size_t n,
                            poll_state *ps, poll_sub *subs) {
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = in + i * TW_WSZ_SUBSCRIPTION;
    poll_sub *s = &subs[i];
    memset(s, 0, sizeof *s);
    s->slot = -1;
    s->userdata = tw_wasi_rd64(p);
    s->type = p[8];
    tw_wasi_errno r;
    switch (s->type) {
      case TW_WEV_CLOCK:
        r = decode_clock(w, p, ps, s);
        break;
      case TW_WEV_FD_READ:
      case TW_WEV_FD_WRITE:
        r = decode_fd(w, p, ps, s);
        break;
      default:
        r = TW_WE_INVAL;
        break;
    }
    if (r) return r;
    if (s->now) ps->any_now = true;
  }
  return TW_WE_SUCCESS;
}

/* Does the host's answer make subscription s ready? */
static bool fd_ready(const poll_state *ps, const poll_sub *s) {
  if (s->slot < 0) return s->now;
  uint8_t rev = ps->hp[s->slot].revents;
  uint8_t want = s->type == TW_WEV_FD_READ ? TW_HPOLL_READ : TW_HPOLL_WRITE;
  return (rev & (want | TW_HPOLL_HUP | TW_HPOLL_ERR)) != 0;
}

/* Poll the host until some event is due. */
static tw_wasi_errno poll_wait(tw_wasi *w, poll_state *ps,
                               const poll_sub *subs, size_t n,
                               uint64_t *elapsed) {
  *elapsed = 0;
  for (;;) {
    uint64_t timeout = UINT64_MAX;
    if (ps->any_now) {
      timeout = 0;
    } else if (ps->any_clock) {
      for (size_t i = 0; i < n; i++)
        if (subs[i].type == TW_WEV_CLOCK) {
          uint64_t left = subs[i].remaining > *elapsed
                              ? subs[i].remaining - *elapsed
                              : 0;
          if (left < timeout) timeout = left;
        }
    }
    for (size_t i = 0; i < ps->np; i++) ps->hp[i].revents = 0;
    size_t nready = 0;
    tw_herr e = tw_hc_poll(w->hc, ps->hp, ps->np, timeout, &nready);
    if (e != TW_HE_OK) return tw_wasi_herr(w, e);
    if (ps->any_clock) {
      uint64_t now = 0;
      tw_wasi_errno r = tw_wasi_clock_now(w, TW_HCLOCK_MONOTONIC, &now);
      if (r) return r;
      *elapsed = now - ps->start; /* now >= start: the clock never goes back */
    }
    if (ps->any_now) return TW_WE_SUCCESS;
    for (size_t i = 0; i < n; i++) {
      const poll_sub *s = &subs[i];
      if (s->type == TW_WEV_CLOCK ? s->remaining <= *elapsed
                                  : fd_ready(ps, s))
        return TW_WE_SUCCESS;
    }
    /* woken early (a lying or interrupted host): wait for the rest */
  }
}

static void put_event(uint8_t *p, const poll_sub *s, uint16_t error,
                      uint64_t nbytes, uint16_t flags) {
  memset(p, 0, TW_WSZ_EVENT);
  tw_wasi_le64(p, s->userdata);
  tw_wasi_le16(p + 8, error);
  p[10] = s->type;
  if (s->type != TW_WEV_CLOCK) {
    tw_wasi_le64(p + 16, nbytes);
    tw_wasi_le16(p + 24, flags);
  }
}

/* Write the events that are due; returns their number. */
static uint32_t emit(const poll_state *ps, const poll_sub *subs, size_t n,
                     uint64_t elapsed, uint8_t *out) {
  uint32_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const poll_sub *s = &subs[i];
    uint8_t *p = out + (size_t)k * TW_WSZ_EVENT;
    if (s->type == TW_WEV_CLOCK) {
      if (s->remaining > elapsed) continue;
      put_event(p, s, TW_WE_SUCCESS, 0, 0);
    } else if (s->now) {
      put_event(p, s, s->error, s->error ? 0 : s->nbytes, 0);
    } else {
      if (!fd_ready(ps, s)) continue;
      const tw_hpoll *h = &ps->hp[s->slot];
      if (h->revents & TW_HPOLL_ERR)
        put_event(p, s, TW_WE_IO, 0, 0);
      else
        put_event(p, s, TW_WE_SUCCESS,
                  s->type == TW_WEV_FD_READ ? h->nbytes : 0,
                  (h->revents & TW_HPOLL_HUP) ? TW_WEV_HANGUP : 0);
    }
    k++;
  }
  return k;
}

/* in (subscriptions), out (events), nsubscriptions, nevents pointer */
tw_wasi_errno tw_wasi_fn_poll_oneoff(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  uint64_t n = a[2];
  if (n == 0) return TW_WE_INVAL;
  /* n is a guest u32: the products fit in 64 bits */
  const uint8_t *in = tw_wasi_mem(c, a[0], n * TW_WSZ_SUBSCRIPTION);
  if (!in || !tw_wasi_mem(c, a[1], n * TW_WSZ_EVENT) ||
      !tw_wasi_mem(c, a[3], 4))
    return TW_WE_FAULT;
  /* n * 48 bytes fit in guest memory, so n * sizeof(poll_sub) fits size_t */
  poll_sub *subs = malloc((size_t)n * sizeof *subs);
  poll_state *ps = calloc(1, sizeof *ps);
  tw_wasi_errno r = TW_WE_NOMEM;
  if (!subs || !ps) goto done;
  if ((r = decode(w, in, (size_t)n, ps, subs))) goto done;
  uint64_t elapsed = 0;
  if ((r = poll_wait(w, ps, subs, (size_t)n, &elapsed))) goto done;
  /* nothing above can grow memory; translate again all the same */
  uint8_t *out = tw_wasi_mem(c, a[1], n * TW_WSZ_EVENT);
  if (!out) {
    r = TW_WE_FAULT;
    goto done;
  }
  uint32_t k = emit(ps, subs, (size_t)n, elapsed, out);
  r = tw_wasi_put_u32(c, a[3], k) ? TW_WE_SUCCESS : TW_WE_FAULT;
done:
  free(subs);
  free(ps);
  return r;
}

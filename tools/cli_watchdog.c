/*
 * cli_watchdog.c - `twine run --timeout`: a thread that stops a runaway
 * guest.
 *
 * States: armed (waiting for the deadline or cli_watchdog_stop) -> fired
 * (deadline passed: twine_store_interrupt, repeated every few milliseconds
 * because the store clears its flag when a new top-level call starts) ->
 * stopped. A guest that sits in a blocking host call (a read from a pipe,
 * a long poll_oneoff) never reaches a loop back-edge to notice the
 * interrupt; if the main thread has not stopped the watchdog a grace
 * period after the deadline, the watchdog reports the timeout itself and
 * ends the process with CLI_EXIT_TIMEOUT.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CLI_WATCHDOG_REPEAT_MS 5
#define CLI_WATCHDOG_GRACE_MS 1000

struct cli_watchdog {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* signalled by cli_watchdog_stop */
  twine_store_t *store;
  uint64_t ms;
  bool stop;  /* under lock */
  bool fired; /* under lock */
};

static struct timespec deadline_after(const struct timespec *from,
                                      uint64_t ms) {
  struct timespec t = *from;
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

/* Wait on the condition until `until` (CLOCK_MONOTONIC) or stop. */
static void wait_until(struct cli_watchdog *w, const struct timespec *until) {
  while (!w->stop) {
    if (pthread_cond_timedwait(&w->cond, &w->lock, until) == ETIMEDOUT)
      return;
  }
}

static void *watch(void *arg) {
  struct cli_watchdog *w = arg;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  struct timespec deadline = deadline_after(&start, w->ms);
  struct timespec grace = deadline_after(&deadline, CLI_WATCHDOG_GRACE_MS);
  pthread_mutex_lock(&w->lock);
  wait_until(w, &deadline);
  while (!w->stop) {
    w->fired = true;
    twine_store_interrupt(w->store);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!before(&now, &grace)) {
      /* Stuck outside wasm code: the main thread cannot report it. */
      char d[32];
      cli_format_duration(w->ms, d, sizeof d);
      cli_err("timeout after %s (the guest did not stop when interrupted; "
              "it may be waiting in a host call)",
              d);
      _exit(CLI_EXIT_TIMEOUT);
    }
    struct timespec next = deadline_after(&now, CLI_WATCHDOG_REPEAT_MS);
    wait_until(w, &next);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

cli_watchdog *cli_watchdog_start(twine_store_t *store, uint64_t ms) {
  cli_watchdog *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->store = store;
  w->ms = ms;
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) {
    free(w);
    return NULL;
  }
  bool ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
            pthread_cond_init(&w->cond, &attr) == 0;
  pthread_condattr_destroy(&attr);
  if (!ok) {
    free(w);
    return NULL;
  }
  if (pthread_mutex_init(&w->lock, NULL) != 0) {
    pthread_cond_destroy(&w->cond);
    free(w);
    return NULL;
  }
  if (pthread_create(&w->thread, NULL, watch, w) != 0) {
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    return NULL;
  }
  return w;
}

bool cli_watchdog_stop(cli_watchdog *w) {
  if (!w) return false;
  pthread_mutex_lock(&w->lock);
  w->stop = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  bool fired = w->fired;
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->cond);
  free(w);
  return fired;
}

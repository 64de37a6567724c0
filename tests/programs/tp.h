/*
 * tp.h - the little check library of the WASI test programs.
 *
 * Every program in tests/programs is built twice from the same source: to
 * wasm32-wasi (run under `twine run`) and, when the runner compares
 * transcripts, natively with gcc. Each check prints one line:
 *
 *   ok LABEL
 *   FAIL LABEL: what happened (file:line)
 *
 * and data lines ("  key: value") print values whose exact form is
 * compared with the native build by the runner. Labels of checks that
 * only make sense under WASI (raw __wasi_* calls, capability checks) start
 * with "wasi." and are compiled only for __wasi__; the runner drops those
 * lines before comparing with the native transcript (and the few
 * "native." checks, compiled only natively, where wasi-libc itself
 * differs from glibc). tp_done() prints the
 * summary line and returns the exit status (0 = every check passed).
 *
 * Errors are printed by name (ENOENT, not 44): errno values differ
 * between Linux and wasi-libc.
 */
#ifndef TP_H
#define TP_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasi__
#include <wasi/api.h>
#endif

static int tp_checks;
static int tp_failed;

static inline const char *tp_errname(int e) {
  switch (e) {
  case 0: return "OK";
#define TP_E(x) case x: return #x;
    TP_E(E2BIG) TP_E(EACCES) TP_E(EADDRINUSE) TP_E(EAGAIN) TP_E(EBADF)
    TP_E(EBUSY) TP_E(ECONNRESET) TP_E(EEXIST) TP_E(EFAULT) TP_E(EFBIG)
    TP_E(EINTR) TP_E(EINVAL) TP_E(EIO) TP_E(EISDIR) TP_E(ELOOP) TP_E(EMFILE)
    TP_E(EMLINK) TP_E(ENAMETOOLONG) TP_E(ENOENT) TP_E(ENOMEM) TP_E(ENOSPC)
    TP_E(ENOSYS) TP_E(ENOTCONN) TP_E(ENOTDIR) TP_E(ENOTEMPTY) TP_E(ENOTSOCK)
    TP_E(ENOTSUP) TP_E(ENOTTY) TP_E(ENXIO) TP_E(EOVERFLOW) TP_E(EPERM)
    TP_E(EPIPE) TP_E(ERANGE) TP_E(EROFS) TP_E(ESPIPE) TP_E(ETIMEDOUT)
    TP_E(EXDEV) TP_E(EILSEQ) TP_E(ESRCH) TP_E(ECHILD) TP_E(EDOM)
#ifdef ENOTCAPABLE
    TP_E(ENOTCAPABLE)
#endif
#undef TP_E
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
  }
  }
}

static inline void tp_vreport(int ok, const char *file, int line, const char *label,
                       const char *fmt, va_list ap) {
  tp_checks++;
  if (ok) {
    printf("ok %s\n", label);
    return;
  }
  tp_failed++;
  printf("FAIL %s: ", label);
  vprintf(fmt, ap);
  printf(" (%s:%d)\n", file, line);
}

static inline void tp_report(int ok, const char *file, int line, const char *label,
                      const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tp_vreport(ok, file, line, label, fmt, ap);
  va_end(ap);
}

/* A label built with printf formatting (one static buffer per call site
 * is not needed: the label is printed before the next call). */
static inline const char *tp_fmt(const char *fmt, ...) {
  static char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

/* expr must not return -1 (or a negative value). */
#define TP_OK(label, expr)                                                   \
  do {                                                                       \
    errno = 0;                                                               \
    long tp_r_ = (long)(expr);                                               \
    int tp_e_ = errno;                                                       \
    tp_report(tp_r_ >= 0, __FILE__, __LINE__, (label),                       \
              "returned %ld, errno %s", tp_r_, tp_errname(tp_e_));           \
  } while (0)

/* expr must return -1 with errno == want. */
#define TP_ERR(label, expr, want)                                            \
  do {                                                                       \
    errno = 0;                                                               \
    long tp_r_ = (long)(expr);                                               \
    int tp_e_ = errno;                                                       \
    tp_report(tp_r_ == -1 && tp_e_ == (want), __FILE__, __LINE__, (label),   \
              "returned %ld, errno %s, expected -1 with %s", tp_r_,          \
              tp_r_ == -1 ? tp_errname(tp_e_) : "-", tp_errname(want));      \
  } while (0)

/* expr must return -1 with errno == a or errno == b. */
#define TP_ERR2(label, expr, a, b)                                           \
  do {                                                                       \
    errno = 0;                                                               \
    long tp_r_ = (long)(expr);                                               \
    int tp_e_ = errno;                                                       \
    tp_report(tp_r_ == -1 && (tp_e_ == (a) || tp_e_ == (b)), __FILE__,      \
              __LINE__, (label), "returned %ld, errno %s, expected %s or %s",\
              tp_r_, tp_errname(tp_e_), tp_errname(a), tp_errname(b));       \
  } while (0)

#define TP_TRUE(label, cond)                                                 \
  tp_report(!!(cond), __FILE__, __LINE__, (label), "%s is false", #cond)

#define TP_EQ(label, got, want)                                              \
  do {                                                                       \
    long long tp_g_ = (long long)(got), tp_w_ = (long long)(want);           \
    tp_report(tp_g_ == tp_w_, __FILE__, __LINE__, (label),                   \
              "%s = %lld, expected %lld", #got, tp_g_, tp_w_);               \
  } while (0)

#define TP_STREQ(label, got, want)                                           \
  do {                                                                       \
    const char *tp_g_ = (got), *tp_w_ = (want);                              \
    tp_report(tp_g_ && strcmp(tp_g_, tp_w_) == 0, __FILE__, __LINE__,        \
              (label), "got \"%s\", expected \"%s\"",                        \
              tp_g_ ? tp_g_ : "(null)", tp_w_);                              \
  } while (0)

#ifdef __wasi__
static inline const char *tp_wasi_errname(__wasi_errno_t e) {
  /* wasi-libc's errno values are the WASI errno values. */
  return tp_errname((int)e);
}

/* A raw WASI call must return `want` (a __WASI_ERRNO_* value). */
#define TP_W(label, call, want)                                              \
  do {                                                                       \
    __wasi_errno_t tp_r_ = (call);                                           \
    tp_report(tp_r_ == (want), __FILE__, __LINE__, (label),                  \
              "returned %s, expected %s", tp_wasi_errname(tp_r_),            \
              tp_wasi_errname(want));                                        \
  } while (0)

/* A raw WASI call must return one of two errnos. */
#define TP_W2(label, call, a, b)                                             \
  do {                                                                       \
    __wasi_errno_t tp_r_ = (call);                                           \
    tp_report(tp_r_ == (a) || tp_r_ == (b), __FILE__, __LINE__, (label),     \
              "returned %s, expected %s or %s", tp_wasi_errname(tp_r_),      \
              tp_wasi_errname(a), tp_wasi_errname(b));                       \
  } while (0)

/* For WASI calls whose result does not matter here (warn_unused_result). */
#define TP_IGNORE(call)                                                      \
  do {                                                                       \
    if ((call) != 0) {                                                       \
    }                                                                        \
  } while (0)

/* The inheriting rights of directory fd (0 if fd_fdstat_get fails): the
 * most a path_open below it may ask for. */
static inline __wasi_rights_t tp_inheriting(int fd) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) != 0)
    return 0;
  return st.fs_rights_inheriting;
}

/* Find the preopened directory named `name` (fd_prestat_get and
 * fd_prestat_dir_name over fds 3..63); -1 if none. */
static inline int tp_preopen(const char *name) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0 ||
        ps.tag != __WASI_PREOPENTYPE_DIR)
      continue;
    char buf[256];
    size_t n = ps.u.dir.pr_name_len;
    if (n >= sizeof buf || __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, n))
      continue;
    buf[n] = 0;
    if (strcmp(buf, name) == 0)
      return (int)fd;
  }
  return -1;
}
#endif

/* Call first: stdout line-buffered, so a runner reading it interactively
 * and stderr interleave sensibly. */
static inline void tp_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

static inline int tp_done(void) {
  printf("done: %d checks, %d failed\n", tp_checks, tp_failed);
  fflush(stdout);
  return tp_failed ? 1 : 0;
}

#endif

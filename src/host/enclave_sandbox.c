/*
 * enclave_sandbox.c - how the trusted process of the `process` backend
 * locks itself down: warm up what would otherwise open files later, close
 * every descriptor but the channel, set no_new_privs, and install a
 * seccomp-bpf filter (libseccomp) whose default action kills the process.
 *
 * This is untrusted-side code (src/host) that runs inside the trusted
 * process before the trusted code touches the module. The allow-list, with
 * a reason for every system call, is in docs/enclave.md; keep the two in
 * sync. Under TWINE_SANITIZE the filter is slightly wider (stderr stays
 * open for sanitizer reports; see sanitizer_rules).
 */
#include "host/enclave_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <seccomp.h>

static int fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t msglen, const char *fmt, ...) {
  if (msg && msglen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int tw_host_sandbox_prepare(char *msg, size_t msglen) {
  /* OpenSSL reads its configuration file and seeds its DRBG on first use;
   * do both now, while open() and friends are still allowed. Reseeding
   * later uses getrandom(), which the filter allows. The ciphers and
   * digests the trusted side uses are fetched once so that no provider
   * is loaded lazily after lockdown. */
  if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
                              OPENSSL_INIT_ADD_ALL_CIPHERS |
                              OPENSSL_INIT_ADD_ALL_DIGESTS,
                          NULL) != 1)
    return fail(msg, msglen, "cannot initialise OpenSSL");
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1)
    return fail(msg, msglen, "cannot seed OpenSSL's random generator");
  EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
  EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  EVP_MD_free(md);
  EVP_CIPHER_free(c);
  OPENSSL_cleanse(b, sizeof b);
  return 0;
}

/* Close descriptors lo..hi (hi = UINT_MAX: all above lo). */
static void close_between(unsigned lo, unsigned hi) {
  if (lo > hi) return;
  if (close_range(lo, hi, 0) == 0) return;
  long max = sysconf(_SC_OPEN_MAX); /* kernels before 5.9 */
  if (max < 0 || max > (1L << 20)) max = 1L << 20;
  for (long fd = lo; fd < max && (unsigned long)fd <= hi; fd++)
    close((int)fd);
}

/* Close every descriptor except keep (>= 3), and stderr if keep_stderr. */
static void close_others(int keep, bool keep_stderr) {
  if (keep_stderr) {
    close_between(0, 1);
    close_between(3, (unsigned)keep - 1);
  } else {
    close_between(0, (unsigned)keep - 1);
  }
  close_between((unsigned)keep + 1, ~0u);
}

/* "argument `arg` == v" (every field set: clang warns on the libseccomp
 * macros' partial initializers). */
static struct scmp_arg_cmp arg_eq(unsigned arg, uint64_t v) {
  struct scmp_arg_cmp c = {arg, SCMP_CMP_EQ, v, 0};
  return c;
}

#define ALLOW(ctx, name, ...)                                               \
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)

/* The allow-list (docs/enclave.md explains each entry). */
static int base_rules(scmp_filter_ctx ctx, int chan) {
  int rc = 0;
  pid_t self = getpid();
  /* the channel, and nothing else */
  rc |= ALLOW(ctx, sendmsg, 1, arg_eq(0, chan));
  rc |= ALLOW(ctx, recvfrom, 1, arg_eq(0, chan));
  rc |= ALLOW(ctx, recvmsg, 1, arg_eq(0, chan));
  /* memory: the allocator, linear memories and their guard pages; never
   * new executable memory */
  rc |= ALLOW(ctx, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  rc |= ALLOW(ctx, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
  rc |= ALLOW(ctx, munmap, 0);
  rc |= ALLOW(ctx, mremap, 0);
  rc |= ALLOW(ctx, madvise, 0);
  rc |= ALLOW(ctx, brk, 0);
  /* the guard-page trap handler and siglongjmp */
  rc |= ALLOW(ctx, rt_sigaction, 0);
  rc |= ALLOW(ctx, rt_sigprocmask, 0);
  rc |= ALLOW(ctx, rt_sigreturn, 0);
  rc |= ALLOW(ctx, sigaltstack, 0);
  /* locks (pthread mutexes in the engine and OpenSSL) */
  rc |= ALLOW(ctx, futex, 0);
  /* clocks (the vDSO answers most reads without a system call) */
  rc |= ALLOW(ctx, clock_gettime, 0);
  rc |= ALLOW(ctx, clock_getres, 0);
  rc |= ALLOW(ctx, gettimeofday, 0);
  /* OpenSSL's DRBG reseeding */
  rc |= ALLOW(ctx, getrandom, 0);
  /* abort() signals itself (reported as SIGABRT, not as SIGSYS) */
  rc |= ALLOW(ctx, getpid, 0);
  rc |= ALLOW(ctx, gettid, 0);
  rc |= ALLOW(ctx, tgkill, 1, arg_eq(0, self));
  /* the end */
  rc |= ALLOW(ctx, exit, 0);
  rc |= ALLOW(ctx, exit_group, 0);
  return rc;
}

#ifdef TWINE_SANITIZE
/* ASan/UBSan write their reports to stderr and look at their own state
 * through a few more calls; a sanitizer build is a test build. When the
 * guard-page handler siglongjmps off the alternate signal stack, ASan's
 * __asan_handle_no_return reads /proc/self/maps: read-only opens (and
 * read/close) are allowed here, never in a normal build. */
static int sanitizer_rules(scmp_filter_ctx ctx) {
  int rc = 0;
  rc |= ALLOW(ctx, write, 1, arg_eq(0, 2));
  rc |= ALLOW(ctx, openat, 1,
              SCMP_A2(SCMP_CMP_MASKED_EQ,
                      O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY));
  rc |= ALLOW(ctx, read, 0);
  rc |= ALLOW(ctx, close, 0);
  rc |= ALLOW(ctx, newfstatat, 0);
  rc |= ALLOW(ctx, fstat, 0);
  rc |= ALLOW(ctx, lseek, 0);
  rc |= ALLOW(ctx, sched_getaffinity, 0);
  rc |= ALLOW(ctx, sched_yield, 0);
  rc |= ALLOW(ctx, getrlimit, 0);
  rc |= ALLOW(ctx, prlimit64, 0);
  return rc;
}
#endif

int tw_host_sandbox_lock(int chan, char *msg, size_t msglen) {
#ifdef TWINE_SANITIZE
  bool keep_stderr = true;
#else
  bool keep_stderr = false;
#endif
  if (chan < 3) return fail(msg, msglen, "channel descriptor %d < 3", chan);
  close_others(chan, keep_stderr);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(msg, msglen, "cannot set no_new_privs: %s", strerror(errno));
  /* Not dumpable: processes of the same user (without CAP_SYS_PTRACE)
   * can no longer ptrace it or read /proc/PID/mem, and it leaves no core
   * file with the guest's memory and keys. Root still can (no SGX). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return fail(msg, msglen, "cannot clear the dumpable flag: %s", strerror(errno));
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) return fail(msg, msglen, "cannot create the seccomp filter");
  int rc = base_rules(ctx, chan);
#ifdef TWINE_SANITIZE
  rc |= sanitizer_rules(ctx);
#endif
  if (rc != 0) {
    seccomp_release(ctx);
    return fail(msg, msglen, "cannot build the seccomp filter");
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0)
    return fail(msg, msglen, "cannot install the seccomp filter: %s",
                strerror(-rc));
  return 0;
}

/*
 * exit_code.c - how a program ends.
 *
 * WASI: proc_exit (through exit() and raw), proc_raise (raw), sched_yield.
 *
 *   exit_code ROOT return N      return N from main
 *   exit_code ROOT exit N        exit(N) after buffered output
 *   exit_code ROOT raw N         __wasi_proc_exit(N) directly
 *   exit_code ROOT atexit N      exit(N); an atexit handler prints a line
 *   exit_code ROOT trap          abort() (an unreachable trap in wasi-libc)
 *   exit_code ROOT raise         proc_raise(SIGTERM, SIGKILL) must fail
 *                                with ENOTSUP, an invalid signal with
 *                                EINVAL; the program goes on, returns 0
 */
#include "tp.h"

#ifdef __wasi__
/* proc_raise is no longer declared by wasi-libc's <wasi/api.h>. */
__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("proc_raise"))) extern int32_t
raw_proc_raise(int32_t sig);
#endif

static void at_exit_handler(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: exit_code ROOT MODE [N]\n");
    return 100;
  }
  const char *mode = argv[2];
  int n = argc > 3 ? atoi(argv[3]) : 0;
  if (strcmp(mode, "return") == 0) {
    printf("returning %d\n", n);
    return n;
  }
  if (strcmp(mode, "exit") == 0) {
    /* no newline: exit() must flush stdio buffers */
    printf("exiting with %d", n);
    exit(n);
  }
  if (strcmp(mode, "atexit") == 0) {
    atexit(at_exit_handler);
    printf("exiting with %d\n", n);
    exit(n);
  }
  if (strcmp(mode, "raw") == 0) {
    printf("raw exit %d\n", n);
    fflush(stdout);
#ifdef __wasi__
    __wasi_proc_exit((__wasi_exitcode_t)n);
#else
    _Exit(n);
#endif
  }
  if (strcmp(mode, "trap") == 0) {
    printf("about to abort\n");
    fflush(stdout);
    abort();
  }
  if (strcmp(mode, "raise") == 0) {
    tp_init();
#ifdef __wasi__
    /* Twine delivers no signals, to the guest or the host: as wasmtime,
     * proc_raise fails with ENOTSUP and the program goes on; a number
     * outside the witx signal enum is EINVAL. */
    TP_W("wasi.proc_raise.term-refused", raw_proc_raise(15 /* SIGTERM */),
         __WASI_ERRNO_NOTSUP);
    TP_W("wasi.proc_raise.kill-refused", raw_proc_raise(9 /* SIGKILL */),
         __WASI_ERRNO_NOTSUP);
    TP_W("wasi.proc_raise.invalid", raw_proc_raise(200), __WASI_ERRNO_INVAL);
    TP_W("wasi.sched_yield", __wasi_sched_yield(), 0);
#endif
    printf("still running\n");
    return tp_done();
  }
  fprintf(stderr, "exit_code: unknown mode %s\n", mode);
  return 100;
}

/*
 * enclave_proc.h - the `process` enclave backend (docs/enclave.md): the
 * trusted side runs in a child process that locks itself down with
 * seccomp-bpf and reaches the host only through host calls over a framed
 * socketpair channel (enclave_chan.h).
 *
 * Host side (enclave_parent.c): tw_host_proc_run opens the WASI resources,
 * starts `exe TW_HOST_PROC_ARGV1 3` (fork + exec, the channel as fd 3),
 * sends the launch frame, serves host calls with the POSIX host, forwards
 * the runner's output, enforces the timeout and reaps the child.
 *
 * Trusted side (enclave_child.c): the program `exe` must hand argv to
 * tw_host_proc_child_main when argv[1] is TW_HOST_PROC_ARGV1. It receives
 * the launch frame, locks down, and calls `run` with the module bytes, the
 * runner's arguments (opaque strings chosen by the launcher) and the
 * handles; `run` returns the exit status that travels back.
 */
#ifndef TW_HOST_ENCLAVE_PROC_H
#define TW_HOST_ENCLAVE_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "enclave/hostcall.h"
#include "host/launch.h"
#include "twine/wasi.h"

#define TW_HOST_PROC_ARGV1 "__trusted-process"

/* ---- host side ------------------------------------------------------------ */

struct tw_host_proc_result;

typedef struct tw_host_proc_launch {
  const char *exe;      /* the binary to start ("/proc/self/exe") */
  const uint8_t *module;
  size_t module_len;    /* <= TW_CHAN_MAX_MODULE */
  size_t nargs;         /* the runner's arguments */
  const char *const *args;
  const twine_wasi_config_t *wasi; /* resources to open; NULL: stdio only */
  uint64_t timeout_ms;  /* 0: none */
  uint32_t flags;       /* TW_CHAN_F_* test hooks */
  /* The child is gone (deadline, or killed) but the host is still stuck in
   * a blocking host call a second later: if set, called with the outcome
   * from the monitor thread, and the process _exit()s with its result.
   * NULL: wait for the host call to return. */
  int (*on_stuck)(const struct tw_host_proc_result *res, void *arg);
  void *on_stuck_arg;
} tw_host_proc_launch;

typedef enum tw_host_proc_how {
  TW_HOST_PROC_EXITED,   /* code: the exit status the runner returned */
  TW_HOST_PROC_TIMEOUT,  /* timeout_ms passed; the child was killed */
  TW_HOST_PROC_SIGNALED, /* the child was killed by `signal` */
  TW_HOST_PROC_FAILED,   /* message: the child stopped on an error, broke
                            the protocol, or could not be started */
  TW_HOST_PROC_SETUP     /* message: a WASI resource could not be opened */
} tw_host_proc_how;

typedef struct tw_host_proc_result {
  tw_host_proc_how how;
  int code;
  int signal;
  char message[512];
} tw_host_proc_result;

/* Run one trusted process to its end. Always reaps it; closes every
 * descriptor it opened. */
void tw_host_proc_run(const tw_host_proc_launch *l, tw_host_proc_result *res);

/* ---- trusted side --------------------------------------------------------- */

typedef struct tw_host_proc_child {
  const uint8_t *module; /* the trusted process's own copy */
  size_t module_len;
  size_t nargs;
  const char *const *args;
  tw_host_handles handles; /* stdio and preopens the host opened */
  tw_host_iface iface;     /* host calls over the channel */
} tw_host_proc_child;

typedef int (*tw_host_proc_runner)(const tw_host_proc_child *c);

/* The trusted process's main (argv as given to main). Returns the
 * process's exit status. */
int tw_host_proc_child_main(int argc, char **argv, tw_host_proc_runner run);

/* Attach the child's channel and handles to a WASI configuration built by
 * the runner (its preopens must be the launcher's, in the same order). */
twine_status_t tw_host_proc_child_wasi(const tw_host_proc_child *c,
                                       twine_wasi_config_t *cfg);

#endif

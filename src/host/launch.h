/*
 * launch.h - internals of the WASI launcher (wasi_launch.c) shared with the
 * process enclave backend: opening a configuration's host resources in one
 * process, and creating the WASI state over them in another.
 *
 * In-process (`none`), twine_wasi_new does both. With the process backend
 * the host process opens the resources (tw_host_wasi_open) and sends the
 * handles; the trusted process attaches them, with its channel interface,
 * to its own copy of the configuration (tw_host_wasi_config_remote), and
 * twine_wasi_new then opens nothing.
 */
#ifndef TW_HOST_LAUNCH_H
#define TW_HOST_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/posix.h"
#include "twine/wasi.h"

typedef struct tw_host_handles {
  bool stdio_open[3];
  uint32_t stdio[3]; /* guest fds 0, 1, 2 (if open) */
  size_t npre;
  uint32_t *pre; /* guest fds 3, 4, ...: the preopens in config order */
} tw_host_handles;

/* Open cfg's stdio, preopened directories and sockets (NULL cfg: the
 * defaults) in host h. out->pre is allocated; free with
 * tw_host_handles_clear. TWINE_ERR_IO with err->message naming what failed,
 * or TWINE_ERR_NOMEM. */
twine_status_t tw_host_wasi_open(tw_host_posix *h,
                                 const twine_wasi_config_t *cfg,
                                 tw_host_handles *out, twine_error_t *err);
void tw_host_handles_clear(tw_host_handles *hs);

/* Make twine_wasi_new(store, cfg, ...) use `iface` and the handles hs
 * (both copied; iface->ctx must outlive the WASI state) instead of a POSIX
 * host of its own. twine_wasi_new fails with TWINE_ERR_ARG if cfg's number
 * of preopens differs from hs->npre. */
twine_status_t tw_host_wasi_config_remote(twine_wasi_config_t *cfg,
                                          const tw_host_iface *iface,
                                          const tw_host_handles *hs);

#endif

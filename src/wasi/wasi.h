/*
 * wasi.h - the trusted WASI preview1 implementation's interface.
 *
 * tw_wasi owns the guest-visible state (arguments, environment, the file
 * descriptor table with rights, preopened directories, clock state) and a
 * tw_hc boundary over the host interface it was given. It never makes
 * system calls. The host side (src/host) sets it up through tw_wasi_new
 * with host handles it opened itself (stdio, preopened directories,
 * listening sockets); everything later goes through tw_hc_* stubs.
 */
#ifndef TW_WASI_WASI_H
#define TW_WASI_WASI_H

#include "enclave/hostcall.h"
#include "twine/twine.h"
#include "util/err.h"

typedef struct tw_wasi tw_wasi;

enum { TW_WASI_PRE_DIR = 0, TW_WASI_PRE_SOCKET = 1 };

typedef struct tw_wasi_preopen {
  uint8_t kind;           /* TW_WASI_PRE_* */
  uint32_t handle;        /* host handle (validated by tw_wasi_new) */
  const char *guest_path; /* dirs: the name the guest sees (prestat) */
} tw_wasi_preopen;

/* How a preopened directory is protected (tw_wasi_setup.protect): with a
 * key it is a protected mount, every regular file in it a PFS file bound
 * to its path within the mount (src/wasi/wasi_protected.c). */
enum { TW_WASI_ANCHORS_PERSISTENT = 0, TW_WASI_ANCHORS_PROCESS = 1 };
typedef struct tw_wasi_protect {
  const uint8_t *key;      /* NULL: a plain directory; else 16 or 32 bytes
                              (copied; the copy is wiped) */
  size_t key_len;
  const uint8_t *mount_id; /* 16 bytes; NULL = derived from the guest path */
  /* rollback anchors: PERSISTENT (manifest .twine-anchors and a file
   * counter .twine-anchors.ctr in the host directory) or PROCESS */
  uint8_t anchors;
} tw_wasi_protect;

typedef struct tw_wasi_setup {
  const tw_host_iface *iface;
  size_t argc;
  const char *const *argv;
  size_t envc;
  const char *const *envp;   /* "KEY=VALUE" */
  bool stdio_open[3];
  uint32_t stdio[3];         /* host handles of guest fds 0, 1, 2 */
  size_t npreopens;          /* guest fds 3, 4, ... in this order */
  const tw_wasi_preopen *preopens;
  /* NULL, or npreopens entries: entry i protects directory preopen i */
  const tw_wasi_protect *protect;
} tw_wasi_setup;

/* Create the WASI state. Copies everything in *setup. Fails with
 * TWINE_ERR_IO (a preopen handle the host describes as not a directory, or
 * refuses to stat), TWINE_ERR_ARG or TWINE_ERR_NOMEM, with *err filled. */
twine_status_t tw_wasi_new(const tw_wasi_setup *setup, tw_wasi **out,
                           tw_err *err);
void tw_wasi_free(tw_wasi *w);

/* Define all 46 functions of wasi_snapshot_preview1 in `linker` as host
 * functions of `store`. */
twine_status_t tw_wasi_define(tw_wasi *w, twine_store_t *store,
                              twine_linker_t *linker);

/* The boundary, for tests that install a lying host. */
tw_hc *tw_wasi_boundary(tw_wasi *w);

#endif

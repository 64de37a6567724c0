/*
 * wasi.h - running WASI preview1 programs (wasi_snapshot_preview1).
 *
 * WASI is implemented on the trusted side of Twine's enclave boundary:
 * argument and environment passing, the file-descriptor table, capability
 * checks (rights, preopened directories only) and path resolution all run
 * inside; the operating system is reached only through the validated
 * host-call table. With the in-process backend used here, the host side is
 * a POSIX implementation in the same process.
 *
 * Typical use:
 *   twine_wasi_config_t *cfg; twine_wasi_config_new(&cfg);
 *   twine_wasi_config_args(cfg, argc, argv);
 *   twine_wasi_config_env(cfg, "HOME=/");
 *   twine_wasi_config_preopen_dir(cfg, "/srv/data", "/data");
 *   twine_wasi_t *wasi; twine_wasi_new(store, cfg, &wasi, &err);
 *   twine_wasi_define(wasi, linker);          // defines every WASI import
 *   twine_linker_instantiate(linker, module, &inst, &err, &trap);
 *   twine_wasi_run(wasi, inst, &exit_code, &trap);   // calls _start
 *
 * Ownership as in twine.h: *_new / *_free pairs, *_free(NULL) is a no-op.
 * A twine_wasi_t must be freed before its store.
 */
#ifndef TWINE_WASI_H
#define TWINE_WASI_H

#include "twine/twine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct twine_wasi_config twine_wasi_config_t;
typedef struct twine_wasi twine_wasi_t;

/* A configuration with no arguments, no environment, no preopens and the
 * process's descriptors 0, 1, 2 as stdio. Every config function returns
 * TWINE_ERR_ARG for a NULL cfg or string, TWINE_ERR_NOMEM if a copy
 * fails. */
twine_status_t twine_wasi_config_new(twine_wasi_config_t **out);
void twine_wasi_config_free(twine_wasi_config_t *cfg);

/* The program's arguments (argv[0] is the program name by convention).
 * Strings are copied. Replaces earlier arguments. */
twine_status_t twine_wasi_config_args(twine_wasi_config_t *cfg, size_t argc,
                                      const char *const *argv);
/* Add one environment variable, "KEY=VALUE". TWINE_ERR_ARG if there is no
 * '=' or the key is empty. A later definition of the same key replaces the
 * earlier one. */
twine_status_t twine_wasi_config_env(twine_wasi_config_t *cfg,
                                     const char *key_value);
/* Preopen host directory `host_path` under guest path `guest_path`. Guest
 * file descriptors are numbered from 3 in the order of the calls (dirs and
 * sockets share the sequence). The directory is opened by
 * twine_wasi_new. TWINE_ERR_ARG if either path is empty, TWINE_ERR_LIMIT
 * for a guest path over 4096 bytes or more than 4093 preopens. */
twine_status_t twine_wasi_config_preopen_dir(twine_wasi_config_t *cfg,
                                             const char *host_path,
                                             const char *guest_path);
/* Preopen host directory `host_path` under `guest_path` as a protected
 * mount: every regular file the guest creates or opens in it is a protected
 * file (include/twine/pfs.h) -- encrypted and authenticated under `key`
 * (32 bytes, copied and wiped when cfg is freed), bound to its path within
 * the mount (the mount id is derived from guest_path), with rollback
 * anchors kept in the directory (.twine-anchors, .twine-anchors.ctr) across
 * runs. Directories stay plain host directories; the host sees file names
 * and sizes rounded to 4 KiB nodes, never contents. Tampering or an older
 * copy of a file makes the guest's open or read fail with EIO, a file
 * under another key with EACCES; twine_wasi_new fails (TWINE_ERR_IO) if
 * the mount's anchor manifest is under another key or was rolled back.
 * Semantics and limits: docs/wasi.md, "Protected mounts". Errors as
 * twine_wasi_config_preopen_dir, TWINE_ERR_ARG for a NULL key. */
twine_status_t twine_wasi_config_preopen_protected_dir(
    twine_wasi_config_t *cfg, const char *host_path, const char *guest_path,
    const uint8_t key[32]);
/* Preopen a listening TCP socket bound to "HOST:PORT" (e.g.
 * "127.0.0.1:8080", "[::1]:8080"); the guest can sock_accept on it.
 * TWINE_ERR_ARG if the string is not of that shape (empty host, port not
 * decimal 0..65535); the socket itself is created by twine_wasi_new. */
twine_status_t twine_wasi_config_preopen_tcp_listen(twine_wasi_config_t *cfg,
                                                    const char *host_port);
/* Use host file descriptors in_fd, out_fd, err_fd as the guest's stdin,
 * stdout and stderr (default 0, 1, 2). -1 closes that guest descriptor. The
 * descriptors are duplicated by twine_wasi_new (the caller keeps its own).
 * TWINE_ERR_ARG for a value below -1. Without this call, a default
 * descriptor that is closed in this process leaves the guest descriptor
 * closed; a descriptor chosen here that is not open makes twine_wasi_new
 * fail with TWINE_ERR_IO. */
twine_status_t twine_wasi_config_stdio(twine_wasi_config_t *cfg, int in_fd,
                                       int out_fd, int err_fd);

/* Create the WASI state for `store` from `cfg` (which may be freed
 * afterwards). Opens the preopened directories and sockets on the host
 * side; fails with TWINE_ERR_IO and a message naming the path if one
 * cannot be opened or is not a directory (likewise for a socket that
 * cannot be created, and a stdio descriptor chosen with
 * twine_wasi_config_stdio that is not open). cfg NULL means the defaults of
 * twine_wasi_config_new. */
twine_status_t twine_wasi_new(twine_store_t *store,
                              const twine_wasi_config_t *cfg,
                              twine_wasi_t **out, twine_error_t *err);
void twine_wasi_free(twine_wasi_t *wasi);

/* Define every function of wasi_snapshot_preview1 in `linker`, which must
 * belong to the store given to twine_wasi_new. */
twine_status_t twine_wasi_define(twine_wasi_t *wasi, twine_linker_t *linker);

/* Run a WASI command: call the instance's "_start" export. (WASI functions
 * use memory 0 of the instance that calls them.) Returns TWINE_OK with *exit_code set when _start
 * returns (0) or the guest called proc_exit (its code);
 * TWINE_ERR_TRAP with *trap filled if it trapped; TWINE_ERR_NOTFOUND if
 * there is no _start export. TWINE_ERR_ARG if _start is not a function
 * without parameters or results. The exit code is proc_exit's argument
 * reinterpreted as an int32_t (callers turning it into a process status
 * must map values outside 0..255 themselves). exit_code and trap may be
 * NULL. */
twine_status_t twine_wasi_run(twine_wasi_t *wasi, twine_instance_t *inst,
                              int *exit_code, twine_trap_t *trap);

#ifdef __cplusplus
}
#endif

#endif

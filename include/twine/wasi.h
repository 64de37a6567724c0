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
 * twine_wasi_new. */
twine_status_t twine_wasi_config_preopen_dir(twine_wasi_config_t *cfg,
                                             const char *host_path,
                                             const char *guest_path);
/* Preopen a listening TCP socket bound to "HOST:PORT" (e.g.
 * "127.0.0.1:8080"); the guest can sock_accept on it. */
twine_status_t twine_wasi_config_preopen_tcp_listen(twine_wasi_config_t *cfg,
                                                    const char *host_port);
/* Use host file descriptors in_fd, out_fd, err_fd as the guest's stdin,
 * stdout and stderr (default 0, 1, 2). -1 closes that guest descriptor. */
twine_status_t twine_wasi_config_stdio(twine_wasi_config_t *cfg, int in_fd,
                                       int out_fd, int err_fd);

/* Create the WASI state for `store` from `cfg` (which may be freed
 * afterwards). Opens the preopened directories and sockets on the host
 * side; fails with TWINE_ERR_IO and a message naming the path if one
 * cannot be opened or is not a directory. */
twine_status_t twine_wasi_new(twine_store_t *store,
                              const twine_wasi_config_t *cfg,
                              twine_wasi_t **out, twine_error_t *err);
void twine_wasi_free(twine_wasi_t *wasi);

/* Define every function of wasi_snapshot_preview1 in `linker`. */
twine_status_t twine_wasi_define(twine_wasi_t *wasi, twine_linker_t *linker);

/* Run a WASI command: call the instance's "_start" export. (WASI functions
 * use memory 0 of the instance that calls them.) Returns TWINE_OK with *exit_code set when _start
 * returns (0) or the guest called proc_exit (its code);
 * TWINE_ERR_TRAP with *trap filled if it trapped; TWINE_ERR_NOTFOUND if
 * there is no _start export. */
twine_status_t twine_wasi_run(twine_wasi_t *wasi, twine_instance_t *inst,
                              int *exit_code, twine_trap_t *trap);

#ifdef __cplusplus
}
#endif

#endif

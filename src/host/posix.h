/*
 * posix.h - the untrusted POSIX implementation of the host calls.
 *
 * Owns the host side of the boundary: a table mapping host handles (small
 * integers handed to the trusted side) to real file descriptors, and the
 * implementation of every call of src/enclave/hostcalls.def on POSIX
 * (openat, preadv, fstatat, ...). It is never linked into trusted code
 * paths; the trusted side sees it only through a tw_host_iface.
 */
#ifndef TW_HOST_POSIX_H
#define TW_HOST_POSIX_H

#include <stddef.h>
#include <stdint.h>

#include "enclave/hostcall.h"

typedef struct tw_host_posix tw_host_posix;

tw_host_posix *tw_host_posix_new(void);
/* Closes every file descriptor the host table still holds. */
void tw_host_posix_free(tw_host_posix *h);

/* The interface to give the trusted side (valid while h lives). */
tw_host_iface tw_host_posix_iface(tw_host_posix *h);

/* Launch-time handles (the host decides what the guest may reach):
 * each returns 0 and a handle, or -1 with a one-line reason in msg. */
int tw_host_posix_open_dir(tw_host_posix *h, const char *path,
                           uint32_t *handle, char *msg, size_t msglen);
/* Adopt an existing file descriptor (stdio); the table dup()s it, so the
 * caller keeps its own. */
int tw_host_posix_add_fd(tw_host_posix *h, int fd, uint32_t *handle,
                         char *msg, size_t msglen);
/* Create a listening TCP socket on "HOST:PORT". */
int tw_host_posix_listen_tcp(tw_host_posix *h, const char *host_port,
                             uint32_t *handle, char *msg, size_t msglen);

#endif

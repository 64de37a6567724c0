/*
 * enclave_sandbox.h - confinement of the process backend's trusted process
 * (enclave_sandbox.c; the allow-list is documented in docs/enclave.md).
 */
#ifndef TW_HOST_ENCLAVE_SANDBOX_H
#define TW_HOST_ENCLAVE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Before lockdown: initialise what would open files on first use
 * (OpenSSL's configuration, its DRBG seed). 0 or -1 with msg. */
int tw_host_sandbox_prepare(char *msg, size_t msglen);

/* Close every descriptor but `chan` (>= 3), set no_new_privs and install
 * the seccomp filter. From then on any system call outside the allow-list
 * kills the process (SIGSYS). 0 or -1 with msg. */
int tw_host_sandbox_lock(int chan, char *msg, size_t msglen);

#endif

/*
 * posix_int.h - internals of the POSIX host: the handle table and the
 * handler of every call in hostcalls.def (declared from the .def).
 */
#ifndef TW_HOST_POSIX_INT_H
#define TW_HOST_POSIX_INT_H

#include <dirent.h>

#include "enclave/hostcall_wire.h"
#include "host/posix.h"

typedef struct tw_host_slot {
  int fd;   /* -1: free */
  DIR *dir; /* readdir stream over a dup of fd, opened on first readdir */
  uint64_t dir_pos; /* entries of `dir` read so far (the next cookie) */
  long *dir_locs;   /* dir_locs[k]: telldir() before entry k */
  uint64_t dir_nlocs, dir_cap;
} tw_host_slot;

struct tw_host_posix {
  tw_host_slot slot[TW_HC_MAX_HANDLES];
};

/* A request after the dispatcher decoded it (see hostcalls.def for what
 * each call's a[] and payload hold). */
typedef struct tw_host_args {
  const uint64_t *a;            /* the request's a[0..6) */
  int fd[6];                    /* fd of each A_HANDLE argument, else -1 */
  tw_host_slot *slot[6];        /* its slot, else NULL */
  const uint8_t *data;          /* Q_DATA / Q_POLL payload */
  size_t len;
  char name[TW_HC_MAX_NAME + 1];  /* Q_NAME, Q_NAME2 (first), Q_TARGET_NAME */
  char name2[TW_HC_MAX_NAME + 1]; /* Q_NAME2 (second) */
  char target[TW_HC_MAX_PATH + 1];
} tw_host_args;

/* One handler per call: 0 with rep->r[] / rep->len and at most cap bytes
 * of out written, or a WASI errno (the dispatcher then clears the reply). */
typedef tw_herr tw_host_handler(tw_host_posix *h, const tw_host_args *a,
                                tw_hc_rep *rep, uint8_t *out, size_t cap);
#define TW_HC(num, name, args, qp, res, rp) tw_host_handler tw_host_do_##name;
#include "enclave/hostcalls.def"
#undef TW_HC

/* The host's errno as a boundary errno (unknown ones: EIO). */
tw_herr tw_host_errno(int err);
/* tw_host_errno(errno). */
tw_herr tw_host_errno_now(void);

/* Put fd in a free slot (the table owns it from now on). false, with fd
 * closed, if the table is full. */
bool tw_host_add(tw_host_posix *h, int fd, uint32_t *handle);
/* The slot of a live handle, NULL if none. */
tw_host_slot *tw_host_slot_of(tw_host_posix *h, uint32_t handle);
/* Close a slot's descriptor and directory stream; the slot becomes free. */
void tw_host_release(tw_host_slot *s);

/* struct stat -> tw_hstat (fd >= 0: the descriptor, for socket types). */
struct stat;
void tw_host_stat_of(const struct stat *st, int fd, tw_hstat *out);

#endif

/*
 * wasi_prot.h - protected mounts (wasi_protected.c, wasi_pfs_io.c): a
 * preopened directory whose regular files are protected files of the PFS
 * library (include/twine/pfs.h), bound to their path within the mount.
 * Private to the WASI room.
 */
#ifndef TW_WASI_WASI_PROT_H
#define TW_WASI_WASI_PROT_H

#include "twine/pfs.h"
#include "wasi/wasi_int.h"

/* The handle value of a descriptor that holds no host handle (a protected
 * file: PFS holds the host handles). Never a valid host handle. */
#define TW_WASI_NO_HANDLE UINT32_MAX

/* Longest name of a protected file: the journal "<name>.pfsj" must still
 * be one host component. */
#define TW_WASI_PROT_MAX_NAME (TW_HC_MAX_NAME - 5)

/* The I/O context of a mount: the boundary and the mount's own handle of
 * its root directory. */
typedef struct tw_wasi_pfs_io {
  tw_hc *hc;
  uint32_t root;
} tw_wasi_pfs_io;

/* The I/O table over the boundary; ctx = a tw_wasi_pfs_io. */
const twine_pfs_io_ops *tw_wasi_pfs_io_ops(void);

/* One protected mount. */
typedef struct tw_wasi_prot {
  tw_wasi_pfs_io io;
  bool root_open;
  twine_pfs_explicit_key key;
  twine_pfs_file_counter *ctr; /* PERSISTENT anchors only */
  twine_pfs_anchor *anchor;
  twine_pfs_mount *mount;
  char *guest; /* the preopen's guest path, for messages */
} tw_wasi_prot;

/* What a descriptor on a protected mount carries (tw_wasi_fd.pfs). */
struct tw_wasi_pfd {
  tw_wasi_prot *prot;
  twine_pfs_file *file; /* a protected regular file; NULL: a directory */
  char *rel;            /* directories: path within the mount, "" = root */
  uint16_t fdflags;     /* files: TW_WFD_* as opened / set */
  uint64_t dev, ino;    /* files: the host file's identity at open */
};

/* Set up the protected mount p of the preopen `guest` at descriptor f
 * (already adopted, a directory). */
twine_status_t tw_wasi_prot_new(tw_wasi *w, tw_wasi_fd *f, const char *guest,
                                const tw_wasi_protect *p, tw_err *err);
/* Free every mount (after every descriptor was released). */
void tw_wasi_prot_free_all(tw_wasi *w);

/* Is `name` reserved on a protected mount (a journal "*.pfsj", the anchor
 * manifest and counter ".twine-anchors*")? */
bool tw_wasi_prot_reserved(const char *name, size_t len);

/* ---- descriptor operations on protected files (f->pfs->file != NULL) -- */
tw_herr tw_wasi_pfile_read(tw_wasi_fd *f, bool at, uint64_t off, void *buf,
                           size_t len, size_t *n);
tw_herr tw_wasi_pfile_write(tw_wasi_fd *f, bool at, uint64_t off,
                            const void *buf, size_t len, size_t *n);
tw_wasi_errno tw_wasi_pfile_seek(tw_wasi_fd *f, int64_t off, uint8_t whence,
                                 uint64_t *pos);
tw_wasi_errno tw_wasi_pfile_sync(tw_wasi_fd *f, bool data);
tw_wasi_errno tw_wasi_pfile_stat(tw_wasi_fd *f, tw_hstat *st);
tw_wasi_errno tw_wasi_pfile_set_size(tw_wasi_fd *f, uint64_t size);
tw_wasi_errno tw_wasi_pfile_allocate(tw_wasi_fd *f, uint64_t off,
                                     uint64_t len);
/* Bytes left to read (size - cursor), for poll_oneoff. */
tw_wasi_errno tw_wasi_pfile_left(tw_wasi_fd *f, uint64_t *left);

/* ---- path operations on a directory descriptor of a protected mount ---
 * Each takes the resolved target (still held by the caller). *handled
 * false: not a protected file, the caller goes on with the plain host
 * operation. */
tw_wasi_errno tw_wasi_prot_path_open(tw_wasi_call *c, tw_wasi_fd *dir,
                                     const tw_wasi_target *t, uint64_t oflags,
                                     uint64_t base, uint64_t inh,
                                     uint64_t fdflags, uint64_t fd_out);
tw_wasi_errno tw_wasi_prot_path_stat(tw_wasi *w, const tw_wasi_fd *dir,
                                     const tw_wasi_target *t, tw_hstat *st,
                                     bool *handled);
tw_wasi_errno tw_wasi_prot_unlink(tw_wasi *w, const tw_wasi_fd *dir,
                                  const tw_wasi_target *t, bool *handled);
tw_wasi_errno tw_wasi_prot_rename(tw_wasi *w, const tw_wasi_fd *fo,
                                  const tw_wasi_target *to,
                                  const tw_wasi_fd *fn,
                                  const tw_wasi_target *tn, bool *handled);

#endif

/*
 * wasi_int.h - private declarations of the WASI preview1 room.
 *
 * The guest ABI (wasi_snapshot_preview1) in our own words: errno values,
 * rights, file types and flags with their witx numbering, the one list of
 * the 46 functions with their wasm signatures (TW_WASI_FUNCS), the state of
 * a WASI instance, the file-descriptor table, guest-memory access and path
 * resolution. Only the src/wasi files and the room's unit tests include this.
 */
#ifndef TW_WASI_WASI_INT_H
#define TW_WASI_WASI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enclave/herrno.h"
#include "enclave/hostcall.h"
#include "twine/twine.h"
#include "wasi/wasi.h"

/* ---- errno (witx numbering; equal to the boundary's tw_herr values) ------ */

typedef uint16_t tw_wasi_errno;

enum {
  TW_WE_SUCCESS = 0,
#define TW_WE_ENUM_(name, num) TW_WE_##name = num,
  TW_ERRNO_LIST(TW_WE_ENUM_)
#undef TW_WE_ENUM_
};
#define TW_WE_LAST TW_WE_NOTCAPABLE

/* What a path that would leave the sandbox gets (an absolute path, `..`
 * above the directory the lookup started from, a symlink whose target is
 * absolute or climbs out). wasmtime and the WASI conformance suite
 * (wasi-testsuite interesting_paths) use EPERM; missing rights are
 * ENOTCAPABLE. */
#define TW_WE_ESCAPE TW_WE_PERM

/* ---- rights --------------------------------------------------------------- */

#define TW_WR_FD_DATASYNC (UINT64_C(1) << 0)
#define TW_WR_FD_READ (UINT64_C(1) << 1)
#define TW_WR_FD_SEEK (UINT64_C(1) << 2)
#define TW_WR_FD_FDSTAT_SET_FLAGS (UINT64_C(1) << 3)
#define TW_WR_FD_SYNC (UINT64_C(1) << 4)
#define TW_WR_FD_TELL (UINT64_C(1) << 5)
#define TW_WR_FD_WRITE (UINT64_C(1) << 6)
#define TW_WR_FD_ADVISE (UINT64_C(1) << 7)
#define TW_WR_FD_ALLOCATE (UINT64_C(1) << 8)
#define TW_WR_PATH_CREATE_DIRECTORY (UINT64_C(1) << 9)
#define TW_WR_PATH_CREATE_FILE (UINT64_C(1) << 10)
#define TW_WR_PATH_LINK_SOURCE (UINT64_C(1) << 11)
#define TW_WR_PATH_LINK_TARGET (UINT64_C(1) << 12)
#define TW_WR_PATH_OPEN (UINT64_C(1) << 13)
#define TW_WR_FD_READDIR (UINT64_C(1) << 14)
#define TW_WR_PATH_READLINK (UINT64_C(1) << 15)
#define TW_WR_PATH_RENAME_SOURCE (UINT64_C(1) << 16)
#define TW_WR_PATH_RENAME_TARGET (UINT64_C(1) << 17)
#define TW_WR_PATH_FILESTAT_GET (UINT64_C(1) << 18)
#define TW_WR_PATH_FILESTAT_SET_SIZE (UINT64_C(1) << 19)
#define TW_WR_PATH_FILESTAT_SET_TIMES (UINT64_C(1) << 20)
#define TW_WR_FD_FILESTAT_GET (UINT64_C(1) << 21)
#define TW_WR_FD_FILESTAT_SET_SIZE (UINT64_C(1) << 22)
#define TW_WR_FD_FILESTAT_SET_TIMES (UINT64_C(1) << 23)
#define TW_WR_PATH_SYMLINK (UINT64_C(1) << 24)
#define TW_WR_PATH_REMOVE_DIRECTORY (UINT64_C(1) << 25)
#define TW_WR_PATH_UNLINK_FILE (UINT64_C(1) << 26)
#define TW_WR_POLL_FD_READWRITE (UINT64_C(1) << 27)
#define TW_WR_SOCK_SHUTDOWN (UINT64_C(1) << 28)
#define TW_WR_SOCK_ACCEPT (UINT64_C(1) << 29)
#define TW_WR_ALL ((UINT64_C(1) << 30) - 1)

/* The most a descriptor of each kind can hold (the CloudABI/WAMR table):
 * rights that make no sense for the type are dropped on open, so e.g. a
 * regular file never carries path_* rights and a directory cannot fd_read
 * or fd_seek. */
#define TW_WR_REGULAR_FILE_BASE                                            \
  (TW_WR_FD_DATASYNC | TW_WR_FD_READ | TW_WR_FD_SEEK |                     \
   TW_WR_FD_FDSTAT_SET_FLAGS | TW_WR_FD_SYNC | TW_WR_FD_TELL |             \
   TW_WR_FD_WRITE | TW_WR_FD_ADVISE | TW_WR_FD_ALLOCATE |                  \
   TW_WR_FD_FILESTAT_GET | TW_WR_FD_FILESTAT_SET_SIZE |                    \
   TW_WR_FD_FILESTAT_SET_TIMES | TW_WR_POLL_FD_READWRITE)
#define TW_WR_DIRECTORY_BASE                                               \
  (TW_WR_FD_FDSTAT_SET_FLAGS | TW_WR_FD_SYNC | TW_WR_FD_ADVISE |           \
   TW_WR_PATH_CREATE_DIRECTORY | TW_WR_PATH_CREATE_FILE |                  \
   TW_WR_PATH_LINK_SOURCE | TW_WR_PATH_LINK_TARGET | TW_WR_PATH_OPEN |     \
   TW_WR_FD_READDIR | TW_WR_PATH_READLINK | TW_WR_PATH_RENAME_SOURCE |     \
   TW_WR_PATH_RENAME_TARGET | TW_WR_PATH_FILESTAT_GET |                    \
   TW_WR_PATH_FILESTAT_SET_SIZE | TW_WR_PATH_FILESTAT_SET_TIMES |          \
   TW_WR_FD_FILESTAT_GET | TW_WR_FD_FILESTAT_SET_TIMES |                   \
   TW_WR_PATH_SYMLINK | TW_WR_PATH_REMOVE_DIRECTORY |                      \
   TW_WR_PATH_UNLINK_FILE | TW_WR_POLL_FD_READWRITE)
#define TW_WR_DIRECTORY_INHERITING \
  (TW_WR_DIRECTORY_BASE | TW_WR_REGULAR_FILE_BASE)
/* Terminals, pipes and other streams: no seek/tell (wasi-libc's isatty()
 * relies on that for character devices). */
#define TW_WR_STREAM_BASE                                                  \
  (TW_WR_FD_READ | TW_WR_FD_FDSTAT_SET_FLAGS | TW_WR_FD_WRITE |            \
   TW_WR_FD_FILESTAT_GET | TW_WR_POLL_FD_READWRITE)
#define TW_WR_SOCKET_BASE (TW_WR_STREAM_BASE | TW_WR_SOCK_SHUTDOWN)
#define TW_WR_LISTEN_BASE (TW_WR_SOCKET_BASE | TW_WR_SOCK_ACCEPT)

/* ---- file types and flags -------------------------------------------------- */

enum {
  TW_WFT_UNKNOWN = 0, TW_WFT_BLOCK = 1, TW_WFT_CHAR = 2, TW_WFT_DIR = 3,
  TW_WFT_REG = 4, TW_WFT_SOCK_DGRAM = 5, TW_WFT_SOCK_STREAM = 6,
  TW_WFT_SYMLINK = 7
};

/* fdflags */
enum {
  TW_WFD_APPEND = 1u << 0, TW_WFD_DSYNC = 1u << 1, TW_WFD_NONBLOCK = 1u << 2,
  TW_WFD_RSYNC = 1u << 3, TW_WFD_SYNC = 1u << 4
};
#define TW_WFD_ALL 0x1Fu
/* oflags */
enum { TW_WO_CREAT = 1u << 0, TW_WO_DIRECTORY = 1u << 1, TW_WO_EXCL = 1u << 2,
       TW_WO_TRUNC = 1u << 3 };
#define TW_WO_ALL 0xFu
/* lookupflags */
#define TW_WL_SYMLINK_FOLLOW 1u
/* fstflags */
enum { TW_WST_ATIM = 1u << 0, TW_WST_ATIM_NOW = 1u << 1, TW_WST_MTIM = 1u << 2,
       TW_WST_MTIM_NOW = 1u << 3 };
#define TW_WST_ALL 0xFu

/* Sizes of guest structures (witx layout, little-endian). */
#define TW_WSZ_IOVEC 8u
#define TW_WSZ_DIRENT 24u
#define TW_WSZ_FDSTAT 24u
#define TW_WSZ_FILESTAT 64u
#define TW_WSZ_PRESTAT 8u
#define TW_WSZ_SUBSCRIPTION 48u
#define TW_WSZ_EVENT 32u

/* ---- the one list of wasi_snapshot_preview1 functions ----------------------
 * X(name, params, has_result): params one character per parameter, 'i' =
 * i32, 'I' = i64; has_result 1 = returns an errno (i32), 0 = no result
 * (proc_exit). The order is the witx order. Everything else (declarations,
 * the dispatch table, the linker definitions, the unit tests' forwarding
 * module) is generated from it. */
#define TW_WASI_FUNCS(X)                   \
  X(args_get, "ii", 1)                     \
  X(args_sizes_get, "ii", 1)               \
  X(environ_get, "ii", 1)                  \
  X(environ_sizes_get, "ii", 1)            \
  X(clock_res_get, "ii", 1)                \
  X(clock_time_get, "iIi", 1)              \
  X(fd_advise, "iIIi", 1)                  \
  X(fd_allocate, "iII", 1)                 \
  X(fd_close, "i", 1)                      \
  X(fd_datasync, "i", 1)                   \
  X(fd_fdstat_get, "ii", 1)                \
  X(fd_fdstat_set_flags, "ii", 1)          \
  X(fd_fdstat_set_rights, "iII", 1)        \
  X(fd_filestat_get, "ii", 1)              \
  X(fd_filestat_set_size, "iI", 1)         \
  X(fd_filestat_set_times, "iIIi", 1)      \
  X(fd_pread, "iiiIi", 1)                  \
  X(fd_prestat_get, "ii", 1)               \
  X(fd_prestat_dir_name, "iii", 1)         \
  X(fd_pwrite, "iiiIi", 1)                 \
  X(fd_read, "iiii", 1)                    \
  X(fd_readdir, "iiiIi", 1)                \
  X(fd_renumber, "ii", 1)                  \
  X(fd_seek, "iIii", 1)                    \
  X(fd_sync, "i", 1)                       \
  X(fd_tell, "ii", 1)                      \
  X(fd_write, "iiii", 1)                   \
  X(path_create_directory, "iii", 1)       \
  X(path_filestat_get, "iiiii", 1)         \
  X(path_filestat_set_times, "iiiiIIi", 1) \
  X(path_link, "iiiiiii", 1)               \
  X(path_open, "iiiiiIIii", 1)             \
  X(path_readlink, "iiiiii", 1)            \
  X(path_remove_directory, "iii", 1)       \
  X(path_rename, "iiiiii", 1)              \
  X(path_symlink, "iiiii", 1)              \
  X(path_unlink_file, "iii", 1)            \
  X(poll_oneoff, "iiii", 1)                \
  X(proc_exit, "i", 0)                     \
  X(proc_raise, "i", 1)                    \
  X(sched_yield, "", 1)                    \
  X(random_get, "ii", 1)                   \
  X(sock_accept, "iii", 1)                 \
  X(sock_recv, "iiiiii", 1)                \
  X(sock_send, "iiiii", 1)                 \
  X(sock_shutdown, "ii", 1)

#define TW_WASI_MODULE "wasi_snapshot_preview1"
#define TW_WASI_MAX_ARGS 9 /* path_open */

enum {
#define TW_WASI_ENUM_(name, params, res) TW_WASI_FN_##name,
  TW_WASI_FUNCS(TW_WASI_ENUM_)
#undef TW_WASI_ENUM_
  TW_WASI_NFUNCS
};

/* ---- state ------------------------------------------------------------------ */

/* One guest file descriptor. */
typedef struct tw_wasi_fd {
  bool used;
  uint8_t type;       /* TW_WFT_* (from the host's fstat when opened) */
  bool listener;      /* a preopened listening socket */
  uint32_t handle;    /* host handle */
  uint64_t base;      /* rights */
  uint64_t inheriting;
  char *preopen;      /* preopened directory: the guest's name for it */
  size_t preopen_len;
  /* on a protected mount (wasi_prot.h): NULL for plain host descriptors.
   * A protected regular file holds no host handle (TW_WASI_NO_HANDLE). */
  struct tw_wasi_pfd *pfs;
} tw_wasi_fd;

/* Largest number of guest descriptors (each holds a host handle). */
#define TW_WASI_MAX_FDS TW_HC_MAX_HANDLES

/* Scratch buffer for gathering / scattering multi-iovec I/O. */
#define TW_WASI_SCRATCH TW_HC_MAX_IO

struct tw_wasi {
  tw_hc *hc;
  /* arguments and environment: NUL-terminated strings back to back */
  char *args;
  size_t args_size;
  uint32_t argc;
  char *env;
  size_t env_size;
  uint32_t envc;
  /* the file-descriptor table, indexed by guest fd */
  tw_wasi_fd *fds;
  uint32_t nfds;
  /* clocks that must not go backwards: last value handed out per clock */
  uint64_t clock_last[4];
  uint8_t *scratch; /* TW_WASI_SCRATCH bytes, allocated on first use */
  uint64_t host_errors; /* contract violations turned into EIO */
  struct tw_wasi_binding *bindings; /* TW_WASI_NFUNCS */
  struct tw_wasi_prot **prots;      /* protected mounts (wasi_prot.h) */
  size_t nprots;
};

/* The context of one WASI call from the guest. */
typedef struct tw_wasi_call {
  tw_wasi *w;
  twine_caller_t *caller;
  twine_memory_t *mem; /* memory 0 of the calling instance, or NULL */
  bool exit;
  int32_t exit_code;
} tw_wasi_call;

/* Every function: arguments as unsigned 64-bit values (i32 zero-extended),
 * result an errno. */
typedef tw_wasi_errno (*tw_wasi_impl)(tw_wasi_call *c, const uint64_t *a);

#define TW_WASI_DECL_(name, params, res) \
  tw_wasi_errno tw_wasi_fn_##name(tw_wasi_call *c, const uint64_t *a);
TW_WASI_FUNCS(TW_WASI_DECL_)
#undef TW_WASI_DECL_

/* A host error from a stub as the guest's errno: contract violations and
 * anything outside the WASI errno range become EIO. */
tw_wasi_errno tw_wasi_herr(tw_wasi *w, tw_herr e);

/* ---- guest memory (wasi_mem.c) ---------------------------------------------
 * The one translation from a guest address range to a host pointer: checks
 * [addr, addr+len) against the current size of memory 0 and translates in
 * the same step. NULL if out of bounds (or no memory). Never cache the
 * result across anything that could grow memory. */
uint8_t *tw_wasi_mem(tw_wasi_call *c, uint64_t addr, uint64_t len);

/* Little-endian stores/loads through tw_wasi_mem; false if out of bounds. */
bool tw_wasi_put_u8(tw_wasi_call *c, uint64_t addr, uint8_t v);
bool tw_wasi_put_u16(tw_wasi_call *c, uint64_t addr, uint16_t v);
bool tw_wasi_put_u32(tw_wasi_call *c, uint64_t addr, uint32_t v);
bool tw_wasi_put_u64(tw_wasi_call *c, uint64_t addr, uint64_t v);
bool tw_wasi_get_u32(tw_wasi_call *c, uint64_t addr, uint32_t *v);
bool tw_wasi_get_u64(tw_wasi_call *c, uint64_t addr, uint64_t *v);
void tw_wasi_le16(uint8_t *p, uint16_t v);
void tw_wasi_le32(uint8_t *p, uint32_t v);
void tw_wasi_le64(uint8_t *p, uint64_t v);
uint16_t tw_wasi_rd16(const uint8_t *p);
uint32_t tw_wasi_rd32(const uint8_t *p);
uint64_t tw_wasi_rd64(const uint8_t *p);

/* An iovec array in guest memory, checked: every buffer inside memory and
 * the total length representable as a u32 (EINVAL otherwise, as writev's
 * SSIZE_MAX rule). */
typedef struct tw_wasi_iovs {
  uint64_t addr; /* of the iovec array */
  uint32_t n;
  uint64_t total;
} tw_wasi_iovs;
tw_wasi_errno tw_wasi_iovs_check(tw_wasi_call *c, uint64_t addr, uint64_t n,
                                 tw_wasi_iovs *out);
/* Buffer i of a checked iovec array. */
void tw_wasi_iov(tw_wasi_call *c, const tw_wasi_iovs *v, uint32_t i,
                 uint8_t **buf, uint32_t *len);
/* Copy up to `len` bytes from `src` into the iovecs (scatter). */
void tw_wasi_iovs_scatter(tw_wasi_call *c, const tw_wasi_iovs *v,
                          const uint8_t *src, size_t len);
/* Copy up to `cap` bytes of the iovecs starting at byte `skip` into dst
 * (gather); returns the count. */
size_t tw_wasi_iovs_gather(tw_wasi_call *c, const tw_wasi_iovs *v,
                           uint64_t skip, uint8_t *dst, size_t cap);

/* A guest path copied into trusted memory, NUL-terminated. EFAULT if out
 * of bounds, EINVAL if it contains NUL, ENAMETOOLONG over TW_HC_MAX_PATH.
 * Free with free(). */
tw_wasi_errno tw_wasi_path_in(tw_wasi_call *c, uint64_t addr, uint64_t len,
                              char **out, size_t *out_len);

uint8_t *tw_wasi_scratch(tw_wasi *w);

/* Validate fstflags and convert them to the boundary's TW_HT_* (EINVAL for
 * unknown bits or a time given both explicitly and as "now"). */
tw_wasi_errno tw_wasi_fst(uint64_t fst, uint32_t *which);

/* ---- the fd table (wasi_fd.c) ------------------------------------------------ */

/* The descriptor if `fd` is open, else NULL. */
tw_wasi_fd *tw_wasi_fd_at(tw_wasi *w, uint64_t fd);
/* Look up `fd` and check it holds all of `rights` (EBADF, ENOTCAPABLE). */
tw_wasi_errno tw_wasi_fd_get(tw_wasi *w, uint64_t fd, uint64_t rights,
                             tw_wasi_fd **out);
/* As tw_wasi_fd_get for calls that need a directory: EBADF, then ENOTDIR,
 * then ENOTCAPABLE. */
tw_wasi_errno tw_wasi_dir_get(tw_wasi *w, uint64_t fd, uint64_t rights,
                              tw_wasi_fd **out);
/* Put host handle `handle` into the lowest free descriptor. The table owns
 * the handle from then on; on failure (EMFILE, ENOMEM) the handle is
 * closed. */
tw_wasi_errno tw_wasi_fd_insert(tw_wasi *w, uint32_t handle, uint8_t type,
                                uint64_t base, uint64_t inheriting,
                                uint32_t *fd);
/* Release a descriptor without closing its handle (table internals). */
void tw_wasi_fd_clear(tw_wasi_fd *f);
/* Close what the descriptor holds (its host handle, or its protected file)
 * and release it; the result of the close. */
tw_wasi_errno tw_wasi_fd_release(tw_wasi *w, tw_wasi_fd *f);
/* The most rights a descriptor of `type` may hold. */
void tw_wasi_type_rights(uint8_t type, uint64_t *base, uint64_t *inheriting);
uint8_t tw_wasi_filetype(uint8_t host_type);
/* Write a tw_hstat as a guest filestat at `addr` (checked before). */
void tw_wasi_put_filestat(tw_wasi_call *c, uint64_t addr, const tw_hstat *st);

/* ---- path resolution (wasi_path.c) --------------------------------------------
 * Resolves a guest path relative to a directory descriptor on the trusted
 * side, one component at a time: every intermediate directory is opened
 * by the host with TW_HO_DIRECTORY | TW_HO_NOFOLLOW, symlinks are read with
 * readlink_at and expanded here (at most TW_WASI_MAX_SYMLINKS), and `..`
 * is followed by going back to the handle of the parent we came from. An
 * absolute path, `..` above the starting directory and an absolute symlink
 * target fail with TW_WE_ESCAPE. The host therefore never follows a symlink
 * or a `..` for us, so a symlink swapped in between two checks makes the
 * next host call fail instead of leading outside. */

#define TW_WASI_MAX_SYMLINKS 40
/* Directory handles a lookup keeps open; deeper `..` re-walks by name. */
#define TW_WASI_WALK_WINDOW 8
/* Longest path after symlink expansion. */
#define TW_WASI_MAX_EXPANDED (4 * TW_HC_MAX_PATH)

enum {
  TW_WASI_NOFOLLOW = 0,      /* never follow a symlink in the last component */
  TW_WASI_FOLLOW = 1,        /* follow symlinks in the last component */
  TW_WASI_FOLLOW_IF_SLASH = 2 /* follow only if the path ends in '/' */
};

typedef struct tw_wasi_walk_level {
  uint32_t handle;
  bool open;
  size_t name_off; /* into tw_wasi_target.names */
  size_t name_len;
} tw_wasi_walk_level;

/* The result of a lookup: the directory that contains the target and the
 * target's name in it ("." when the path names that directory itself).
 * Holds host handles until tw_wasi_target_end. */
typedef struct tw_wasi_target {
  tw_hc *hc;
  uint32_t dir;           /* handle of the containing directory */
  const char *name;       /* NUL-terminated, one component */
  size_t len;
  bool slash;             /* the (expanded) path ended in '/' */
  bool have_stat;         /* st holds a nofollow stat of the target */
  tw_hstat st;
  /* internals */
  tw_wasi_walk_level *lv;
  size_t depth, cap, first_open;
  char *names;
  size_t names_len, names_cap;
  char *path;             /* the path being walked (with expansions) */
  char last[TW_HC_MAX_NAME + 1];
} tw_wasi_target;

/* Resolve `path` (len bytes, NUL-terminated) from directory handle `base`.
 * On success *t must be released with tw_wasi_target_end; on failure
 * nothing is held. */
tw_wasi_errno tw_wasi_resolve(tw_wasi *w, uint32_t base, const char *path,
                              size_t len, int follow, tw_wasi_target *t);
void tw_wasi_target_end(tw_wasi_target *t);

/* ---- clocks (wasi_clock.c) ------------------------------------------------------ */

/* Current time of `clock` with the monotonic guarantee applied. */
tw_wasi_errno tw_wasi_clock_now(tw_wasi *w, uint32_t clock, uint64_t *ns);

#endif

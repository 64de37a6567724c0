/*
 * hostcall.h - the enclave boundary: the one narrow, versioned table of
 * calls through which trusted code reaches the operating system.
 *
 * Trusted rooms (wasi, and later pfs and the enclave's ecalls) never make
 * system calls; they call the tw_hc_* stubs below. Each stub packs its
 * arguments into a plain-data request (no pointers), hands it to the
 * installed host interface, copies the reply into trusted memory once, and
 * validates it centrally before returning (status in the known set, errno
 * from the whitelist, counts <= what was asked, lengths and enums in range,
 * handles known to the trusted handle table). A reply that breaks the
 * contract makes the stub return TW_HE_HOST; callers turn that into EIO for
 * the guest. The list of calls, with request and reply fields and maximum
 * sizes, is hostcalls.def; stubs and the host dispatcher are generated
 * from it. The wire format is in docs/hostcalls.md.
 *
 * Handles: the host names its objects (files, directories, sockets, stdio)
 * by small integers. The trusted side tracks every handle it holds and
 * refuses replies that name a handle it does not hold or return one it
 * already holds.
 *
 * Errors: the boundary's errno space is WASI preview1's (tw_herr values
 * 1..76 equal __WASI_ERRNO_*); the host maps its native errno. TW_HE_HOST
 * (a contract violation) is outside that range.
 */
#ifndef TW_ENCLAVE_HOSTCALL_H
#define TW_ENCLAVE_HOSTCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_HC_VERSION 2u /* 2: + lock (34) */

/* Limits of the contract (a reply over them is a violation). */
#define TW_HC_MAX_NAME 255u      /* one path component */
#define TW_HC_MAX_PATH 4096u     /* symlink targets */
#define TW_HC_MAX_IO (1u << 20)  /* bytes per read/write call */
#define TW_HC_MAX_DIRENT_BYTES (64u * 1024u)
#define TW_HC_MAX_POLL 64u
#define TW_HC_MAX_HANDLES 4096u  /* host handle numbers are < this */

typedef uint16_t tw_herr; /* 0 = success, else a WASI errno or TW_HE_HOST */
#define TW_HE_OK 0
#define TW_HE_HOST 0xFFFF        /* the host broke the contract */

/* File types (WASI filetype numbering). */
enum {
  TW_HFT_UNKNOWN = 0,
  TW_HFT_BLOCK = 1,
  TW_HFT_CHAR = 2,
  TW_HFT_DIR = 3,
  TW_HFT_REG = 4,
  TW_HFT_SOCK_DGRAM = 5,
  TW_HFT_SOCK_STREAM = 6,
  TW_HFT_SYMLINK = 7
};

typedef struct tw_hstat {
  uint64_t dev, ino;
  uint8_t type;        /* TW_HFT_* */
  uint64_t nlink;
  uint64_t size;
  uint64_t atim, mtim, ctim; /* ns since the epoch */
} tw_hstat;

/* open_at flags (the boundary's own, not the host's O_*). */
enum {
  TW_HO_READ = 1u << 0,
  TW_HO_WRITE = 1u << 1,
  TW_HO_CREATE = 1u << 2,
  TW_HO_EXCL = 1u << 3,
  TW_HO_TRUNC = 1u << 4,
  TW_HO_APPEND = 1u << 5,
  TW_HO_DIRECTORY = 1u << 6, /* fail with ENOTDIR unless a directory */
  TW_HO_NOFOLLOW = 1u << 7,  /* a symlink as last component fails (ELOOP) */
  TW_HO_NONBLOCK = 1u << 8,
  TW_HO_DSYNC = 1u << 9,
  TW_HO_SYNC = 1u << 10,
  TW_HO_RSYNC = 1u << 11
};

/* Status flags for fcntl_getfl / fcntl_setfl. */
enum {
  TW_HFL_APPEND = 1u << 0,
  TW_HFL_NONBLOCK = 1u << 1,
  TW_HFL_DSYNC = 1u << 2,
  TW_HFL_SYNC = 1u << 3,
  TW_HFL_RSYNC = 1u << 4
};

/* futimens / utimens_at: which times to set, and "now" forms. */
enum {
  TW_HT_ATIM = 1u << 0,
  TW_HT_ATIM_NOW = 1u << 1,
  TW_HT_MTIM = 1u << 2,
  TW_HT_MTIM_NOW = 1u << 3
};

/* Clocks (WASI numbering). */
enum {
  TW_HCLOCK_REALTIME = 0,
  TW_HCLOCK_MONOTONIC = 1,
  TW_HCLOCK_PROCESS = 2,
  TW_HCLOCK_THREAD = 3
};

/* One directory entry of a readdir batch (decoded, validated). */
typedef struct tw_hdirent {
  uint64_t next;   /* cookie of the entry after this one */
  uint64_t ino;
  uint8_t type;    /* TW_HFT_* */
  uint32_t namelen;
  const char *name; /* points into the caller's buffer, not NUL-terminated */
} tw_hdirent;

/* poll: events and results. */
enum { TW_HPOLL_READ = 1u << 0, TW_HPOLL_WRITE = 1u << 1, TW_HPOLL_HUP = 1u << 2,
       TW_HPOLL_ERR = 1u << 3 };
typedef struct tw_hpoll {
  uint32_t handle;
  uint8_t events;  /* in */
  uint8_t revents; /* out */
  uint64_t nbytes; /* out: bytes available to read, if the host knows */
} tw_hpoll;

/* ---- the host interface (what a backend provides) ----------------------- */

/* A request: call number, up to 6 scalar arguments, one payload. */
typedef struct tw_hc_req {
  uint32_t call;
  uint32_t len;       /* payload bytes */
  uint64_t a[6];
} tw_hc_req;

/* A reply: status, up to 4 scalar results, one payload. */
typedef struct tw_hc_rep {
  uint32_t err;       /* tw_herr */
  uint32_t len;       /* payload bytes */
  uint64_t r[4];
} tw_hc_rep;

/* What a backend (in-process, child process, SGX ocalls) implements. `call`
 * performs one request; it writes the reply header to *rep and at most
 * `cap` payload bytes to rep_payload. It returns 0, or -1 if the channel
 * itself failed (the stub then returns TW_HE_HOST). */
typedef struct tw_host_iface {
  uint32_t version; /* TW_HC_VERSION */
  void *ctx;
  int (*call)(void *ctx, const tw_hc_req *req, const uint8_t *payload,
              tw_hc_rep *rep, uint8_t *rep_payload, size_t cap);
} tw_host_iface;

/* The trusted side's view of the boundary: the installed interface and the
 * handles it holds. One per WASI instance (single-threaded). */
typedef struct tw_hc tw_hc;

/* Create / free the trusted boundary state over `iface` (copied). Initial
 * handles the host gave at launch (stdio, preopened directories, sockets)
 * are registered with tw_hc_adopt. */
tw_hc *tw_hc_new(const tw_host_iface *iface);
void tw_hc_free(tw_hc *hc);
/* Swap the interface (tests install a lying host). */
void tw_hc_set_iface(tw_hc *hc, const tw_host_iface *iface);
/* Register a handle the host handed over at launch. false if invalid or
 * already held. */
bool tw_hc_adopt(tw_hc *hc, uint32_t handle);
/* Is `handle` held by the trusted side? */
bool tw_hc_holds(const tw_hc *hc, uint32_t handle);
/* Counters for tests and benchmarks. */
uint64_t tw_hc_calls(const tw_hc *hc);
uint64_t tw_hc_violations(const tw_hc *hc);
/* A one-line description of the latest violation (which call, which rule),
 * NULL if there was none. Valid until the next call through hc. */
const char *tw_hc_last_violation(const tw_hc *hc);

/* ---- trusted stubs (one per host call in hostcalls.def) -------------------
 * Each returns TW_HE_OK, a WASI errno, or TW_HE_HOST. Out-parameters are
 * written only on success. Names are single components (no '/', not empty,
 * at most TW_HC_MAX_NAME bytes; the stub refuses others with EINVAL before
 * asking the host). */

tw_herr tw_hc_open_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                      uint32_t flags, uint32_t *handle);
tw_herr tw_hc_close(tw_hc *hc, uint32_t handle);
/* read up to `len` (<= TW_HC_MAX_IO) bytes into buf; *n <= len */
tw_herr tw_hc_read(tw_hc *hc, uint32_t h, void *buf, size_t len, size_t *n);
tw_herr tw_hc_pread(tw_hc *hc, uint32_t h, uint64_t off, void *buf, size_t len,
                    size_t *n);
tw_herr tw_hc_write(tw_hc *hc, uint32_t h, const void *buf, size_t len,
                    size_t *n);
tw_herr tw_hc_pwrite(tw_hc *hc, uint32_t h, uint64_t off, const void *buf,
                     size_t len, size_t *n);
/* whence: 0 set, 1 cur, 2 end */
tw_herr tw_hc_seek(tw_hc *hc, uint32_t h, int64_t off, uint8_t whence,
                   uint64_t *pos);
tw_herr tw_hc_fstat(tw_hc *hc, uint32_t h, tw_hstat *st);
tw_herr tw_hc_stat_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                      bool nofollow, tw_hstat *st);
tw_herr tw_hc_fcntl_getfl(tw_hc *hc, uint32_t h, uint32_t *flags);
tw_herr tw_hc_fcntl_setfl(tw_hc *hc, uint32_t h, uint32_t flags);
tw_herr tw_hc_ftruncate(tw_hc *hc, uint32_t h, uint64_t size);
tw_herr tw_hc_fsync(tw_hc *hc, uint32_t h);
tw_herr tw_hc_fdatasync(tw_hc *hc, uint32_t h);
tw_herr tw_hc_fallocate(tw_hc *hc, uint32_t h, uint64_t off, uint64_t len);
tw_herr tw_hc_fadvise(tw_hc *hc, uint32_t h, uint64_t off, uint64_t len,
                      uint8_t advice);
tw_herr tw_hc_futimens(tw_hc *hc, uint32_t h, uint64_t atim, uint64_t mtim,
                       uint32_t which);
tw_herr tw_hc_utimens_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                         bool nofollow, uint64_t atim, uint64_t mtim,
                         uint32_t which);
tw_herr tw_hc_mkdir_at(tw_hc *hc, uint32_t dir, const char *name, size_t len);
tw_herr tw_hc_unlink_at(tw_hc *hc, uint32_t dir, const char *name, size_t len,
                        bool remove_dir);
tw_herr tw_hc_rename_at(tw_hc *hc, uint32_t dir1, const char *n1, size_t l1,
                        uint32_t dir2, const char *n2, size_t l2);
tw_herr tw_hc_link_at(tw_hc *hc, uint32_t dir1, const char *n1, size_t l1,
                      uint32_t dir2, const char *n2, size_t l2);
/* create symlink `name` in dir pointing to target (any bytes, <= MAX_PATH) */
tw_herr tw_hc_symlink_at(tw_hc *hc, const char *target, size_t tlen,
                         uint32_t dir, const char *name, size_t len);
/* The target of symlink `name` into buf, which holds TW_HC_MAX_PATH bytes;
 * *n = its length (<= TW_HC_MAX_PATH, not NUL-terminated). */
tw_herr tw_hc_readlink_at(tw_hc *hc, uint32_t dir, const char *name,
                          size_t len, char *buf, size_t *n);
/* A batch of entries of directory handle h starting at `cookie` (0 = the
 * start; later cookies are the `next` values the host gave). Entries are
 * decoded into ents[0..*nents) with names in buf (cap bytes). *nents == 0
 * means the end. */
tw_herr tw_hc_readdir(tw_hc *hc, uint32_t h, uint64_t cookie, tw_hdirent *ents,
                      size_t max_ents, char *buf, size_t cap, size_t *nents);
tw_herr tw_hc_clock_get(tw_hc *hc, uint32_t clock, uint64_t *ns);
tw_herr tw_hc_clock_res(tw_hc *hc, uint32_t clock, uint64_t *ns);
/* Wait until one of fds[0..n) is ready or timeout_ns passes (UINT64_MAX =
 * forever, 0 = poll). *nready = number of entries with revents != 0. */
tw_herr tw_hc_poll(tw_hc *hc, tw_hpoll *fds, size_t n, uint64_t timeout_ns,
                   size_t *nready);
tw_herr tw_hc_sock_accept(tw_hc *hc, uint32_t h, uint32_t flags,
                          uint32_t *conn);
tw_herr tw_hc_sock_recv(tw_hc *hc, uint32_t h, void *buf, size_t len,
                        uint32_t flags, size_t *n, uint32_t *oflags);
tw_herr tw_hc_sock_send(tw_hc *hc, uint32_t h, const void *buf, size_t len,
                        uint32_t flags, size_t *n);
/* how: 1 = read, 2 = write, 3 = both */
tw_herr tw_hc_sock_shutdown(tw_hc *hc, uint32_t h, uint32_t how);
tw_herr tw_hc_sched_yield(tw_hc *hc);
/* Non-blocking whole-file advisory lock (open-file-description lock):
 * mode 0 unlock, 1 shared, 2 exclusive; EAGAIN if held elsewhere. */
tw_herr tw_hc_lock(tw_hc *hc, uint32_t h, uint32_t mode);

#endif

/*
 * pfs_diff.c - differential test of the PFS against a plain file.
 *
 * Modes (argv[1]):
 *   seq    seeded random operation sequences on a protected file over memfs
 *          (pread/pwrite at node and tree boundaries, truncate, extend,
 *          cursor I/O past EOF, sync, clear-cache, close/reopen, rename,
 *          a second handle), compared byte for byte and in size with a
 *          plain temporary file that gets the same operations;
 *   posix  the same over the POSIX I/O table in a temporary directory;
 *   mt     several threads pread/pwrite (each through its own handle) on
 *          interleaved byte ranges that share nodes, against an oracle
 *          buffer serialised by a mutex; a sync/clear-cache thread runs
 *          alongside.
 * Built for NODE = 4096 (pfs.diff.*) and NODE = 1024 (pfs.diff1k.*: deep
 * trees). PFS_TEST_SCALE multiplies the iteration counts, PFS_TEST_SEED
 * picks the seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/pfs_int.h"
#include "pfs_testlib.h"

#define NODE ((uint64_t)TW_PFS_NODE)
#define DPM ((uint64_t)TW_PFS_DPM)
#define CPM ((uint64_t)TW_PFS_CPM)
#define INL ((uint64_t)TW_PFS_INLINE_MAX)

/* ---- the oracle: a plain file --------------------------------------------- */

typedef struct oracle {
  int fd;
  char path[64];
} oracle;

static bool oracle_open(oracle *o) {
  strcpy(o->path, "/tmp/pfs_diff_oracle_XXXXXX");
  o->fd = mkstemp(o->path);
  if (o->fd < 0)
    return false;
  unlink(o->path);
  return true;
}

static uint64_t oracle_size(oracle *o) {
  struct stat st;
  return fstat(o->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void oracle_write(oracle *o, const uint8_t *p, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(o->fd, p + done, n - done, (off_t)(off + done));
    if (r <= 0) {
      tp_fail(__FILE__, __LINE__, "oracle pwrite: %s", strerror(errno));
      return;
    }
    done += (size_t)r;
  }
}

static size_t oracle_read(oracle *o, uint8_t *p, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(o->fd, p + done, n - done, (off_t)(off + done));
    if (r <= 0)
      break;
    done += (size_t)r;
  }
  return done;
}

/* ---- operation sequences ----------------------------------------------------- *
 * A sequence is generated up front (tracking the size the oracle will have),
 * then executed on a fresh mount. On a failure it is shrunk by removing
 * chunks of operations while it still fails, and the minimal sequence is
 * printed: a precise bug report. */

enum {
  OP_PWRITE, OP_PREAD, OP_PREAD2, OP_SETSIZE, OP_CURSOR_WRITE, OP_CURSOR_READ,
  OP_SYNC, OP_CLEAR, OP_REOPEN, OP_RENAME, OP_OPEN2, OP_STAT, OP_COMPARE
};
static const char *const op_names[] = {
    "pwrite", "pread", "pread(2nd handle)", "set_size", "seek+write", "seek+read",
    "sync", "clear_cache", "close+reopen", "close+rename+reopen", "open 2nd handle",
    "stat", "compare all"};

typedef struct op {
  int kind;
  uint64_t off;  /* offset, new size, or cursor position */
  size_t len;
  uint64_t seed; /* data, or options (cache size / zero data) */
} op;

typedef struct env {
  const twine_pfs_io_ops *io;
  void *ctx;
  memfs *fs;    /* seq mode */
  char dir[64]; /* posix mode */
  twine_pfs_explicit_key ek;
  twine_pfs_anchor *anchor;
  twine_pfs_mount *m;
  twine_pfs_durability dur;
  uint32_t frames;
  char host[128], logical[64];
  unsigned renames;
  char why[512]; /* first failure */
} env;

static void env_path(env *e, char *out, size_t n, const char *name) {
  if (e->fs)
    snprintf(out, n, "/%s", name);
  else
    snprintf(out, n, "%s/%s", e->dir, name);
}

static bool env_fail(env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool env_fail(env *e, const char *fmt, ...) {
  if (!e->why[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why, sizeof e->why, fmt, ap);
    va_end(ap);
  }
  return false;
}

/* Interesting offsets: node, inline and tree boundaries, each +-2. */
static uint64_t pick_off(tp_rng *r, uint64_t size) {
  uint64_t pts[] = {0,
                    INL,
                    NODE,
                    2 * NODE,
                    DPM * NODE,
                    (DPM + 1) * NODE,
                    (1 + CPM) * DPM * NODE,
                    (1 + CPM + CPM * CPM) * DPM * NODE,
                    size};
  if (tp_below(r, 10) < 4)
    return tp_below(r, size + 2 * NODE + 1); /* anywhere near the data */
  uint64_t p = pts[tp_below(r, sizeof pts / sizeof pts[0])];
  /* the deepest boundary only now and then: it makes the file big */
  if (p > (1 + CPM) * DPM * NODE + NODE && tp_below(r, 4) != 0)
    p = size;
  int64_t d = (int64_t)tp_below(r, 5) - 2;
  if (d < 0 && p < (uint64_t)-d)
    return 0;
  return p + (uint64_t)d;
}

static size_t pick_len(tp_rng *r) {
  switch (tp_below(r, 8)) {
  case 0: return 1;
  case 1: return (size_t)tp_below(r, 16) + 1;
  case 2: return (size_t)NODE;
  case 3: return (size_t)NODE + 1;
  case 4: return (size_t)(2 * NODE + tp_below(r, 3) - 1);
  case 5: return (size_t)tp_below(r, 3 * NODE) + 1;
  case 6: return (size_t)tp_below(r, 40 * NODE) + 1;
  default: return (size_t)tp_below(r, 600) + 1;
  }
}

static void gen_ops(uint64_t seed, op *ops, unsigned n) {
  tp_rng r = {seed};
  uint64_t size = 0;
  for (unsigned i = 0; i < n; i++) {
    op *o = &ops[i];
    memset(o, 0, sizeof *o);
    o->seed = tp_next(&r);
    uint64_t k = tp_below(&r, 100);
    if (k < 35) {
      o->kind = OP_PWRITE;
      o->off = pick_off(&r, size);
      o->len = pick_len(&r);
      if (o->off + o->len > size)
        size = o->off + o->len;
    } else if (k < 52) {
      o->kind = OP_PREAD;
      o->off = pick_off(&r, size);
      o->len = pick_len(&r);
    } else if (k < 55) {
      o->kind = OP_PREAD2;
      o->off = pick_off(&r, size);
      o->len = pick_len(&r);
    } else if (k < 62) { /* truncate */
      o->kind = OP_SETSIZE;
      o->off = size = size ? pick_off(&r, size) % (size + 1) : 0;
    } else if (k < 67) { /* extend */
      o->kind = OP_SETSIZE;
      o->off = size = size + pick_off(&r, size) % (4 * DPM * NODE) + 1;
    } else if (k < 72) {
      o->kind = OP_CURSOR_WRITE;
      o->off = size + tp_below(&r, 3 * NODE);
      o->len = pick_len(&r);
      size = o->off + o->len;
    } else if (k < 76) {
      o->kind = OP_CURSOR_READ;
      o->off = pick_off(&r, size);
      o->len = pick_len(&r);
    } else if (k < 82) {
      o->kind = OP_SYNC;
    } else if (k < 85) {
      o->kind = OP_CLEAR;
    } else if (k < 91) {
      o->kind = OP_REOPEN;
    } else if (k < 94) {
      o->kind = OP_RENAME;
    } else if (k < 96) {
      o->kind = OP_OPEN2;
    } else {
      o->kind = OP_STAT;
    }
  }
}

static void print_ops(FILE *out, const op *ops, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    const op *o = &ops[i];
    fprintf(out, "    %3u %-20s", i, op_names[o->kind]);
    switch (o->kind) {
    case OP_PWRITE: case OP_PREAD: case OP_PREAD2: case OP_CURSOR_WRITE:
    case OP_CURSOR_READ:
      fprintf(out, " off=%llu len=%zu%s", (unsigned long long)o->off, o->len,
              o->kind == OP_PWRITE && o->seed % 4 == 0 ? " (zeros)" : "");
      break;
    case OP_SETSIZE:
      fprintf(out, " size=%llu", (unsigned long long)o->off);
      break;
    case OP_REOPEN:
      fprintf(out, " cache=%u", o->seed % 2 ? TWINE_PFS_CACHE_MIN + (unsigned)(o->seed % 48)
                                            : 0);
      break;
    default:
      break;
    }
    fputc('\n', out);
  }
}

/* Compare len bytes at off through f with the oracle. */
static bool compare_range(env *e, twine_pfs_file *f, oracle *o, uint64_t off, size_t len,
                          unsigned step) {
  uint8_t *a = malloc(len + 1), *b = malloc(len + 1);
  if (!a || !b) {
    free(a);
    free(b);
    return env_fail(e, "out of memory");
  }
  size_t na = 0;
  twine_pfs_status s = twine_pfs_pread(f, a, len, off, &na);
  size_t nb = oracle_read(o, b, len, off);
  bool ok = true;
  if (s != TWINE_PFS_OK) {
    ok = env_fail(e, "op %u: pread(off=%llu, len=%zu) -> %s", step,
                  (unsigned long long)off, len, TP_ST(s));
  } else if (na != nb) {
    ok = env_fail(e, "op %u: pread(off=%llu, len=%zu) read %zu bytes, plain file %zu", step,
                  (unsigned long long)off, len, na, nb);
  } else if (memcmp(a, b, na) != 0) {
    size_t i = 0;
    while (a[i] == b[i])
      i++;
    ok = env_fail(e, "op %u: pread(off=%llu, len=%zu): WRONG BYTE at %llu: %02x, plain %02x",
                  step, (unsigned long long)off, len, (unsigned long long)(off + i), a[i],
                  b[i]);
  }
  free(a);
  free(b);
  return ok;
}

static bool compare_all(env *e, twine_pfs_file *f, oracle *o, uint64_t seed, unsigned step) {
  tp_rng r = {seed};
  uint64_t size = 0, osz = oracle_size(o);
  twine_pfs_status s = twine_pfs_get_size(f, &size);
  if (s != TWINE_PFS_OK)
    return env_fail(e, "op %u: get_size -> %s", step, TP_ST(s));
  if (size != osz)
    return env_fail(e, "op %u: size %llu, plain file %llu", step, (unsigned long long)size,
                    (unsigned long long)osz);
  /* big files: the first 2 MiB whole, then sampled windows */
  uint64_t off = 0;
  while (off < size + 1) {
    size_t chunk = (size_t)(tp_below(&r, 8 * NODE) + 1);
    if (!compare_range(e, f, o, off, chunk, step))
      return false;
    off += chunk;
    if (off > (2u << 20) && size > (4u << 20)) {
      off += tp_below(&r, 1u << 20) * 4;
      if (off > size && off < size + chunk)
        off = size;
    }
  }
  return true;
}

static twine_pfs_status reopen(env *e, twine_pfs_file **f, uint64_t seed) {
  twine_pfs_status s = twine_pfs_close(*f);
  *f = NULL;
  if (s != TWINE_PFS_OK)
    return s;
  twine_pfs_open_opts opts = {0, TWINE_PFS_DUR_DEFAULT};
  if (seed % 2)
    opts.cache_frames = TWINE_PFS_CACHE_MIN + (uint32_t)(seed % 48);
  return twine_pfs_open(e->m, e->host, e->logical, TWINE_PFS_RDWR, &opts, f);
}

static bool env_setup(env *e, bool posix, uint64_t seed) {
  twine_pfs_durability dur = e->dur;
  uint32_t frames = e->frames;
  memset(e, 0, sizeof *e);
  e->dur = dur;
  e->frames = frames;
  if (posix) {
    strcpy(e->dir, "/tmp/pfs_diff_XXXXXX");
    if (!mkdtemp(e->dir))
      return env_fail(e, "mkdtemp: %s", strerror(errno));
    e->io = twine_pfs_posix_io();
  } else {
    e->fs = memfs_new(seed);
    e->io = memfs_ops();
    e->ctx = e->fs;
  }
  twine_pfs_anchor_process_new(&e->anchor);
  e->m = tp_mount(e->io, e->ctx, &e->ek, tp_key_a, tp_mount_a, e->anchor, dur, 0);
  return e->m ? true : env_fail(e, "mount_new failed");
}

static void env_teardown(env *e) {
  if (e->fs && memfs_open_handles(e->fs) != 0)
    env_fail(e, "%u host handles leaked", memfs_open_handles(e->fs));
  if (twine_pfs_mount_free(e->m) != TWINE_PFS_OK)
    env_fail(e, "mount_free: files still open");
  twine_pfs_anchor_free(e->anchor);
  twine_pfs_explicit_key_wipe(&e->ek);
  memfs_free(e->fs);
  if (e->dir[0])
    rmdir(e->dir);
}

/* Run ops[0..n) (with keep[i] false: skipped); true if all checks pass. */
static bool exec_ops(env *e, const op *ops, unsigned n, const bool *keep) {
  oracle o;
  if (!oracle_open(&o))
    return env_fail(e, "oracle: %s", strerror(errno));
  bool ok = true;
  twine_pfs_file *f = NULL, *f2 = NULL;
  uint8_t *buf = malloc(48 * NODE), *rbuf = malloc(48 * NODE);
  e->renames = 0;
  env_path(e, e->host, sizeof e->host, "f0");
  snprintf(e->logical, sizeof e->logical, "dir/f0");
  twine_pfs_open_opts opts = {e->frames, TWINE_PFS_DUR_DEFAULT};
  twine_pfs_status s = twine_pfs_open(e->m, e->host, e->logical,
                                      TWINE_PFS_RDWR | TWINE_PFS_CREAT | TWINE_PFS_EXCL,
                                      &opts, &f);
  if (s != TWINE_PFS_OK || !buf || !rbuf) {
    ok = env_fail(e, "create -> %s", TP_ST(s));
    goto out;
  }
  unsigned since_cmp = 0;
  for (unsigned i = 0; i < n && ok; i++) {
    if (keep && !keep[i])
      continue;
    const op *p = &ops[i];
    if (getenv("PFS_TEST_TRACE"))
      print_ops(stderr, p, 1);
    tp_rng dr = {p->seed};
    size_t nn = 0;
    uint64_t size = oracle_size(&o);
    switch (p->kind) {
    case OP_PWRITE:
      tp_fill(&dr, buf, p->len);
      if (p->seed % 4 == 0)
        memset(buf, 0, p->len); /* zero data must not look like a hole */
      s = twine_pfs_pwrite(f, buf, p->len, p->off, &nn);
      if (s != TWINE_PFS_OK || nn != p->len)
        ok = env_fail(e, "op %u: pwrite(off=%llu, len=%zu) -> %s", i,
                      (unsigned long long)p->off, p->len, TP_ST(s));
      else
        oracle_write(&o, buf, p->len, p->off);
      break;
    case OP_PREAD:
    case OP_PREAD2:
      ok = compare_range(e, p->kind == OP_PREAD2 && f2 ? f2 : f, &o, p->off, p->len, i);
      break;
    case OP_SETSIZE:
      s = twine_pfs_set_size(f, p->off);
      if (s != TWINE_PFS_OK)
        ok = env_fail(e, "op %u: set_size(%llu) -> %s", i, (unsigned long long)p->off,
                      TP_ST(s));
      else if (ftruncate(o.fd, (off_t)p->off) != 0)
        ok = env_fail(e, "oracle ftruncate: %s", strerror(errno));
      break;
    case OP_CURSOR_WRITE: {
      uint64_t np = 0, t = 0;
      int64_t rel = (int64_t)p->off - (int64_t)size;
      s = twine_pfs_seek(f, rel, TWINE_PFS_SEEK_END, &np);
      if (s != TWINE_PFS_OK || np != p->off) {
        ok = env_fail(e, "op %u: seek(%lld, END) -> %s, pos %llu", i, (long long)rel,
                      TP_ST(s), (unsigned long long)np);
        break;
      }
      tp_fill(&dr, buf, p->len);
      s = twine_pfs_write(f, buf, p->len, &nn);
      twine_pfs_tell(f, &t);
      if (s != TWINE_PFS_OK || nn != p->len || t != p->off + p->len)
        ok = env_fail(e, "op %u: write(len=%zu) at %llu -> %s, tell %llu", i, p->len,
                      (unsigned long long)p->off, TP_ST(s), (unsigned long long)t);
      else
        oracle_write(&o, buf, p->len, p->off);
      break;
    }
    case OP_CURSOR_READ: {
      s = twine_pfs_seek(f, (int64_t)p->off, TWINE_PFS_SEEK_SET, NULL);
      if (s == TWINE_PFS_OK)
        s = twine_pfs_read(f, rbuf, p->len, &nn);
      size_t on = oracle_read(&o, buf, p->len, p->off);
      if (s != TWINE_PFS_OK || nn != on || memcmp(rbuf, buf, nn) != 0)
        ok = env_fail(e, "op %u: seek+read(off=%llu, len=%zu) -> %s, %zu bytes (plain %zu)%s",
                      i, (unsigned long long)p->off, p->len, TP_ST(s), nn, on,
                      s == TWINE_PFS_OK && nn == on ? " WRONG BYTES" : "");
      break;
    }
    case OP_SYNC:
      s = twine_pfs_sync(f, p->seed % 2 ? TWINE_PFS_SYNC_DATA : TWINE_PFS_SYNC_FULL);
      if (s != TWINE_PFS_OK)
        ok = env_fail(e, "op %u: sync -> %s", i, TP_ST(s));
      break;
    case OP_CLEAR:
      s = twine_pfs_clear_cache(f);
      if (s != TWINE_PFS_OK)
        ok = env_fail(e, "op %u: clear_cache -> %s", i, TP_ST(s));
      break;
    case OP_REOPEN:
      twine_pfs_close(f2);
      f2 = NULL;
      s = reopen(e, &f, p->seed);
      if (s != TWINE_PFS_OK)
        ok = env_fail(e, "op %u: close+reopen -> %s", i, TP_ST(s));
      break;
    case OP_RENAME: {
      twine_pfs_close(f2);
      f2 = NULL;
      s = twine_pfs_close(f);
      f = NULL;
      if (s != TWINE_PFS_OK) {
        ok = env_fail(e, "op %u: close -> %s", i, TP_ST(s));
        break;
      }
      char nh[128], nl[64], nm[16];
      snprintf(nm, sizeof nm, "f%u", ++e->renames);
      env_path(e, nh, sizeof nh, nm);
      snprintf(nl, sizeof nl, "%s/f%u", e->renames % 2 ? "other" : "dir", e->renames);
      s = twine_pfs_rename(e->m, e->host, e->logical, nh, nl);
      if (s != TWINE_PFS_OK) {
        ok = env_fail(e, "op %u: rename -> %s", i, TP_ST(s));
        break;
      }
      strcpy(e->host, nh);
      strcpy(e->logical, nl);
      s = twine_pfs_open(e->m, e->host, e->logical, TWINE_PFS_RDWR, NULL, &f);
      if (s != TWINE_PFS_OK)
        ok = env_fail(e, "op %u: open after rename -> %s", i, TP_ST(s));
      break;
    }
    case OP_OPEN2:
      if (!f2) {
        s = twine_pfs_open(e->m, e->host, e->logical, TWINE_PFS_RDONLY, NULL, &f2);
        if (s != TWINE_PFS_OK)
          ok = env_fail(e, "op %u: second open -> %s", i, TP_ST(s));
      }
      break;
    case OP_STAT: {
      twine_pfs_stat_t st;
      s = twine_pfs_stat(f, &st);
      if (s != TWINE_PFS_OK || st.size != size)
        ok = env_fail(e, "op %u: stat -> %s, size %llu (plain %llu)", i, TP_ST(s),
                      (unsigned long long)st.size, (unsigned long long)size);
      break;
    }
    default:
      break;
    }
    if (ok && ++since_cmp == 25) {
      since_cmp = 0;
      ok = compare_all(e, f, &o, p->seed, i);
    }
  }
  if (ok) { /* finally: everything, then again after close and reopen */
    ok = compare_all(e, f, &o, n, n);
    twine_pfs_close(f2);
    f2 = NULL;
    if (ok && (s = reopen(e, &f, 0)) != TWINE_PFS_OK)
      ok = env_fail(e, "final close+reopen -> %s", TP_ST(s));
    if (ok)
      ok = compare_all(e, f, &o, n + 1, n + 1);
  }
out:
  twine_pfs_close(f2);
  twine_pfs_close(f);
  if (e->m)
    twine_pfs_unlink(e->m, e->host, e->logical);
  close(o.fd);
  free(buf);
  free(rbuf);
  return ok;
}

static bool run_once(bool posix, const env *proto, uint64_t seed, const op *ops,
                     unsigned n, const bool *keep, char *why, size_t whylen) {
  env e = *proto;
  bool ok = env_setup(&e, posix, seed) && exec_ops(&e, ops, n, keep);
  env_teardown(&e);
  if (!ok && why)
    snprintf(why, whylen, "%s", e.why);
  return ok && !e.why[0];
}

/* Remove chunks of operations while the sequence still fails. */
static void minimize(bool posix, const env *proto, uint64_t seed, const op *ops,
                     unsigned n, bool *keep) {
  for (unsigned chunk = n / 2; chunk >= 1; chunk /= 2) {
    for (unsigned at = 0; at < n; at += chunk) {
      bool save[512];
      unsigned cnt = 0;
      for (unsigned i = at; i < at + chunk && i < n; i++) {
        save[i - at] = keep[i];
        cnt += keep[i];
        keep[i] = false;
      }
      if (cnt == 0)
        continue;
      if (run_once(posix, proto, seed, ops, n, keep, NULL, 0))
        for (unsigned i = at; i < at + chunk && i < n; i++)
          keep[i] = save[i - at]; /* needed: put back */
    }
    if (chunk == 1)
      break;
  }
}

/* Directed sequences (found by the random ones; kept as regressions). */
#define OPS_END {-1, 0, 0, 0}
static const op directed[][8] = {
    /* read-ahead during a truncate must not resurrect cut nodes */
    {{OP_PWRITE, 0, 10 * NODE, 1}, {OP_CLEAR, 0, 0, 0}, {OP_PREAD, 3 * NODE, 1, 0},
     {OP_SETSIZE, 4 * NODE + 5, 0, 0}, {OP_PWRITE, 5 * NODE + 100, 1, 3},
     {OP_PREAD, 4 * NODE, 3 * NODE, 0}, OPS_END},
    {{OP_PWRITE, 0, 16671, 5}, {OP_PREAD, 2, 6, 0}, {OP_SETSIZE, 2 * NODE - 1, 0, 0},
     {OP_PWRITE, 2 * NODE, 444, 6}, {OP_PREAD, 0, 3 * NODE, 0}, OPS_END},
};

static int run_directed(bool posix) {
  for (size_t d = 0; d < sizeof directed / sizeof directed[0]; d++) {
    unsigned n = 0;
    while (n < 8 && directed[d][n].kind >= 0)
      n++;
    for (int v = 0; v < 2; v++) {
      env proto;
      memset(&proto, 0, sizeof proto);
      proto.dur = TWINE_PFS_DUR_COMMIT;
      proto.frames = v ? TWINE_PFS_CACHE_MIN : 0;
      char why[512] = "";
      if (!run_once(posix, &proto, d, directed[d], n, NULL, why, sizeof why)) {
        tp_fail(__FILE__, __LINE__, "directed sequence %zu (cache %u): %s", d,
                proto.frames ? proto.frames : TWINE_PFS_CACHE_DEFAULT, why);
        print_ops(stderr, directed[d], n);
      }
    }
  }
  return 0;
}

static int run_seq(bool posix) {
  unsigned iters = 12 * tp_scale(), nops = 120;
  run_directed(posix);
  uint64_t seed = tp_seed(0xD1FF);
  printf("diff %s: NODE=%u, %u sequences of %u ops, seed %llu\n", posix ? "posix" : "seq",
         TW_PFS_NODE, iters, nops, (unsigned long long)seed);
  op *ops = calloc(nops, sizeof *ops);
  bool *keep = calloc(nops, sizeof *keep);
  unsigned reported = 0;
  for (unsigned i = 0; i < iters && ops && keep && reported < 3; i++) {
    uint64_t s = seed * 1000003 + i;
    env proto;
    memset(&proto, 0, sizeof proto);
    proto.dur = i % 3 == 2 ? TWINE_PFS_DUR_NONE : TWINE_PFS_DUR_COMMIT;
    proto.frames = i % 2 ? TWINE_PFS_CACHE_MIN : 0;
    gen_ops(s, ops, nops);
    char why[512];
    if (run_once(posix, &proto, s, ops, nops, NULL, why, sizeof why))
      continue;
    reported++;
    for (unsigned k = 0; k < nops; k++)
      keep[k] = true;
    if (!posix)
      minimize(posix, &proto, s, ops, nops, keep);
    op *min = calloc(nops, sizeof *min);
    unsigned m = 0;
    for (unsigned k = 0; k < nops; k++)
      if (keep[k])
        min[m++] = ops[k];
    char mwhy[512] = "";
    run_once(posix, &proto, s, min, m, NULL, mwhy, sizeof mwhy);
    tp_fail(__FILE__, __LINE__,
            "sequence %llu (dur %s, cache %u frames): %s\n  minimal sequence (%u ops) "
            "fails with: %s",
            (unsigned long long)s, proto.dur == TWINE_PFS_DUR_NONE ? "NONE" : "COMMIT",
            proto.frames ? proto.frames : TWINE_PFS_CACHE_DEFAULT, why, m, mwhy);
    print_ops(stderr, min, m);
    free(min);
  }
  free(ops);
  free(keep);
  return tp_finish(posix ? "pfs diff posix" : "pfs diff seq");
}

/* ---- multi-threaded ------------------------------------------------------------ */

#define MT_THREADS 6

typedef struct mt_shared {
  twine_pfs_mount *m;
  pthread_mutex_t mx; /* serialises the oracle */
  uint8_t *oracle;
  uint64_t size, stripe;
  unsigned ops;
  uint64_t seed;
  atomic_int stop;
} mt_shared;

typedef struct mt_arg {
  mt_shared *sh;
  unsigned id;
} mt_arg;

/* Thread id owns the bytes b with (b / stripe) % THREADS == id. */
static void *mt_worker(void *p) {
  mt_arg *a = p;
  mt_shared *sh = a->sh;
  bool serial = getenv("PFS_MT_SERIAL") && *getenv("PFS_MT_SERIAL");
  tp_rng r = {sh->seed * 31 + a->id};
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(sh->m, "/mt", "mt", TWINE_PFS_RDWR, NULL, &f);
  if (s != TWINE_PFS_OK) {
    tp_fail(__FILE__, __LINE__, "thread %u: open -> %s", a->id, TP_ST(s));
    return NULL;
  }
  uint64_t nstripes = sh->size / sh->stripe;
  uint8_t *buf = malloc(sh->stripe), *want = malloc(sh->stripe);
  for (unsigned i = 0; i < sh->ops && buf && want; i++) {
    uint64_t st = tp_below(&r, nstripes / MT_THREADS) * MT_THREADS + a->id;
    uint64_t in = tp_below(&r, sh->stripe);
    size_t len = (size_t)(tp_below(&r, sh->stripe - in) + 1);
    uint64_t off = st * sh->stripe + in;
    size_t n = 0;
    if (tp_below(&r, 2)) {
      tp_fill(&r, buf, len);
      pthread_mutex_lock(&sh->mx);
      memcpy(sh->oracle + off, buf, len);
      if (!serial)
        pthread_mutex_unlock(&sh->mx);
      s = twine_pfs_pwrite(f, buf, len, off, &n);
      if (serial)
        pthread_mutex_unlock(&sh->mx);
      TP_CHECK(s == TWINE_PFS_OK && n == len, "thread %u: pwrite(%llu, %zu) -> %s", a->id,
               (unsigned long long)off, len, TP_ST(s));
    } else {
      pthread_mutex_lock(&sh->mx);
      if (!serial)
        pthread_mutex_unlock(&sh->mx);
      s = twine_pfs_pread(f, buf, len, off, &n);
      if (!serial)
        pthread_mutex_lock(&sh->mx);
      memcpy(want, sh->oracle + off, len);
      pthread_mutex_unlock(&sh->mx);
      if (s == TWINE_PFS_OK && n == len && memcmp(buf, want, len) != 0) {
        size_t b = 0;
        while (buf[b] == want[b])
          b++;
        fprintf(stderr, "  thread %u: pread(%llu, %zu): first wrong byte at %llu (node %llu): %02x, want %02x\n",
                a->id, (unsigned long long)off, len, (unsigned long long)(off + b),
                (unsigned long long)((off + b) / NODE), buf[b], want[b]);
      }
      TP_CHECK(s == TWINE_PFS_OK && n == len && memcmp(buf, want, len) == 0,
               "thread %u: pread(%llu, %zu) -> %s, %zu bytes, %s", a->id,
               (unsigned long long)off, len, TP_ST(s), n,
               n == len && memcmp(buf, want, len) ? "WRONG BYTES" : "bytes ok");
    }
    if (s != TWINE_PFS_OK)
      break;
  }
  free(buf);
  free(want);
  s = twine_pfs_close(f);
  TP_CHECK(s == TWINE_PFS_OK, "thread %u: close -> %s", a->id, TP_ST(s));
  return NULL;
}

static void *mt_syncer(void *p) {
  mt_shared *sh = p;
  twine_pfs_file *f = NULL;
  twine_pfs_status s = twine_pfs_open(sh->m, "/mt", "mt", TWINE_PFS_RDWR, NULL, &f);
  if (s != TWINE_PFS_OK) {
    tp_fail(__FILE__, __LINE__, "syncer: open -> %s", TP_ST(s));
    return NULL;
  }
  unsigned i = 0;
  while (!atomic_load(&sh->stop) && !(getenv("PFS_MT_NOSYNC") && *getenv("PFS_MT_NOSYNC"))) {
    s = (i++ % 3 == 0) ? twine_pfs_clear_cache(f) : twine_pfs_sync(f, TWINE_PFS_SYNC_DATA);
    TP_CHECK(s == TWINE_PFS_OK, "syncer: -> %s", TP_ST(s));
    if (s != TWINE_PFS_OK)
      break;
    usleep(2000);
  }
  twine_pfs_close(f);
  return NULL;
}

static int run_mt(void) {
  unsigned rounds = 3 * tp_scale();
  uint64_t seed = tp_seed(0x7EAD);
  printf("diff mt: NODE=%u, %u rounds x %d threads, seed %llu\n", TW_PFS_NODE, rounds,
         MT_THREADS, (unsigned long long)seed);
  for (unsigned round = 0; round < rounds && !tp_failures; round++) {
    mt_shared sh;
    memset(&sh, 0, sizeof sh);
    memfs *fs = memfs_new(seed + round);
    twine_pfs_explicit_key ek;
    sh.m = tp_mount(memfs_ops(), fs, &ek, tp_key_a, tp_mount_a, NULL,
                    TWINE_PFS_DUR_COMMIT, round % 2 ? TWINE_PFS_CACHE_MIN : 64);
    pthread_mutex_init(&sh.mx, NULL);
    sh.stripe = NODE * 5 / 2; /* stripes share nodes with their neighbours */
    sh.size = sh.stripe * MT_THREADS * 40;
    sh.ops = 1500;
    sh.seed = seed + round;
    sh.oracle = calloc(1, sh.size);
    twine_pfs_file *f = NULL;
    twine_pfs_status s = twine_pfs_open(sh.m, "/mt", "mt", TWINE_PFS_RDWR | TWINE_PFS_CREAT,
                                        NULL, &f);
    if (s == TWINE_PFS_OK)
      s = twine_pfs_set_size(f, sh.size);
    TP_CHECK(s == TWINE_PFS_OK, "mt setup -> %s", TP_ST(s));
    pthread_t th[MT_THREADS], sy;
    mt_arg args[MT_THREADS];
    unsigned nth = getenv("PFS_MT_THREADS") ? (unsigned)atoi(getenv("PFS_MT_THREADS")) : MT_THREADS;
    if (nth < 1 || nth > MT_THREADS)
      nth = MT_THREADS;
    for (unsigned i = 0; i < MT_THREADS; i++) {
      args[i].sh = &sh;
      args[i].id = i;
      if (i >= nth) {
        th[i] = 0;
        continue;
      }
      args[i].id = i;
      pthread_create(&th[i], NULL, mt_worker, &args[i]);
    }
    pthread_create(&sy, NULL, mt_syncer, &sh);
    for (unsigned i = 0; i < nth; i++)
      pthread_join(th[i], NULL);
    atomic_store(&sh.stop, 1);
    pthread_join(sy, NULL);
    /* everything, through a fresh open */
    twine_pfs_close(f);
    f = NULL;
    s = twine_pfs_open(sh.m, "/mt", "mt", TWINE_PFS_RDONLY, NULL, &f);
    uint8_t *all = malloc(sh.size);
    size_t n = 0;
    if (s == TWINE_PFS_OK)
      s = twine_pfs_pread(f, all, sh.size, 0, &n);
    TP_CHECK(s == TWINE_PFS_OK && n == sh.size && memcmp(all, sh.oracle, sh.size) == 0,
             "mt round %u: final content -> %s (%zu bytes)%s", round, TP_ST(s), n,
             s == TWINE_PFS_OK && memcmp(all, sh.oracle, n) ? " WRONG BYTES" : "");
    twine_pfs_close(f);
    free(all);
    free(sh.oracle);
    TP_CHECK(twine_pfs_mount_free(sh.m) == TWINE_PFS_OK, "mount_free");
    twine_pfs_explicit_key_wipe(&ek);
    pthread_mutex_destroy(&sh.mx);
    memfs_free(fs);
  }
  return tp_finish("pfs diff mt");
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "seq";
  if (!strcmp(mode, "seq"))
    return run_seq(false);
  if (!strcmp(mode, "posix"))
    return run_seq(true);
  if (!strcmp(mode, "mt"))
    return run_mt();
  fprintf(stderr, "usage: %s seq|posix|mt\n", argv[0]);
  return 2;
}

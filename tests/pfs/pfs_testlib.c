/*
 * pfs_testlib.c - helpers shared by the PFS test programs: assertions,
 * RNG, knobs, and memfs (an in-memory, fault-injecting twine_pfs_io_ops;
 * the model is described in pfs_testlib.h).
 */
#include "pfs_testlib.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- assertions ----------------------------------------------------------- */

unsigned long tp_failures;
static pthread_mutex_t fail_mx = PTHREAD_MUTEX_INITIALIZER;

void tp_fail(const char *file, int line, const char *fmt, ...) {
  pthread_mutex_lock(&fail_mx);
  if (++tp_failures <= 40) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  } else if (tp_failures == 41) {
    fprintf(stderr, "(further failures not printed)\n");
  }
  pthread_mutex_unlock(&fail_mx);
}

int tp_finish(const char *name) {
  if (tp_failures) {
    printf("%s: %lu failure(s)\n", name, tp_failures);
    return 1;
  }
  printf("%s: ok\n", name);
  return 0;
}

/* ---- knobs and randomness ------------------------------------------------- */

unsigned tp_scale(void) {
  const char *s = getenv("PFS_TEST_SCALE");
  if (!s || !*s)
    return 1;
  unsigned long v = strtoul(s, NULL, 10);
  return v == 0 ? 1 : v > 100000 ? 100000 : (unsigned)v;
}

uint64_t tp_seed(uint64_t def) {
  const char *s = getenv("PFS_TEST_SEED");
  if (!s || !*s)
    return def;
  return strtoull(s, NULL, 0);
}

uint64_t tp_next(tp_rng *r) { /* splitmix64 */
  uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

uint64_t tp_below(tp_rng *r, uint64_t n) { return n ? tp_next(r) % n : 0; }

void tp_fill(tp_rng *r, uint8_t *p, size_t n) {
  while (n >= 8) {
    uint64_t v = tp_next(r);
    memcpy(p, &v, 8);
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t v = tp_next(r);
    memcpy(p, &v, n);
  }
}

uint64_t tp_hash(const uint8_t *p, size_t n) {
  uint64_t h = UINT64_C(0xcbf29ce484222325) ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, p + i, 8);
    h = (h ^ v) * UINT64_C(0x100000001b3);
    h ^= h >> 29;
  }
  for (; i < n; i++)
    h = (h ^ p[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* ---- keys and mounts ------------------------------------------------------ */

const uint8_t tp_key_a[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                              12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                              23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
const uint8_t tp_key_b[32] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 7,  8,
                              9,    10,   11,   12,   13,   14,   15, 16,
                              17,   18,   19,   20,   21,   22,   23, 24,
                              25,   26,   27,   28,   29,   30,   31, 0x99};
const uint8_t tp_mount_a[16] = {'m', 'o', 'u', 'n', 't', '-', 'a'};
const uint8_t tp_mount_b[16] = {'m', 'o', 'u', 'n', 't', '-', 'b'};

twine_pfs_mount *tp_mount(const twine_pfs_io_ops *io, void *ctx,
                          twine_pfs_explicit_key *ek, const uint8_t key[32],
                          const uint8_t mount_id[16], twine_pfs_anchor *anchor,
                          twine_pfs_durability dur, uint32_t cache_frames) {
  if (twine_pfs_explicit_key_init(ek, key, 32, NULL) != TWINE_PFS_OK)
    return NULL;
  twine_pfs_mount_config cfg;
  memset(&cfg, 0, sizeof cfg);
  memcpy(cfg.mount_id, mount_id, 16);
  cfg.io = io;
  cfg.io_ctx = ctx;
  cfg.keys = &twine_pfs_explicit_key_provider;
  cfg.keys_ctx = ek;
  cfg.anchor = anchor;
  cfg.durability = dur;
  cfg.cache_frames = cache_frames;
  twine_pfs_mount *m = NULL;
  if (twine_pfs_mount_new(&cfg, &m) != TWINE_PFS_OK)
    return NULL;
  return m;
}

/* ---- memfs ---------------------------------------------------------------- */

enum { E_ACCES = 2, E_AGAIN = 6, E_BADF = 8, E_EXIST = 20, E_INVAL = 28,
       E_IO = 29, E_NOENT = 44, E_NOMEM = 48 };

typedef struct mf_op {
  int trunc;      /* 1: truncate to off; 0: write */
  uint64_t off;
  size_t len;
  uint8_t *data;
} mf_op;

typedef struct mf_buf {
  uint8_t *p;
  size_t len, cap;
} mf_buf;

typedef struct mf_file {
  uint64_t ino;
  mf_buf cur, dur;
  mf_op *log;
  size_t nlog, caplog;
  unsigned nsh, nex; /* lock holders */
} mf_file;

typedef struct mf_name {
  char *path;
  mf_file *f;
} mf_name;

typedef struct mf_handle {
  mf_file *f;
  bool used, writable;
  uint32_t lock;
} mf_handle;

struct memfs {
  pthread_mutex_t mx;
  tp_rng rng;
  mf_file **files; /* every file ever created (freed at the end) */
  size_t nfiles, capfiles;
  mf_name *names;
  size_t nnames, capnames;
  mf_handle *h;
  size_t nh;
  uint64_t next_ino;
  uint64_t calls, syncs, written, crash_at, clock;
  bool crashed, logging;
};

static bool buf_reserve(mf_buf *b, size_t n) {
  if (n <= b->cap)
    return true;
  size_t c = b->cap ? b->cap : 4096;
  while (c < n)
    c *= 2;
  uint8_t *p = realloc(b->p, c);
  if (!p)
    return false;
  b->p = p;
  b->cap = c;
  return true;
}

static bool buf_write(mf_buf *b, uint64_t off, const uint8_t *d, size_t n) {
  if (!buf_reserve(b, (size_t)off + n + 1)) /* never NULL, even for 0 bytes */
    return false;
  if (off > b->len)
    memset(b->p + b->len, 0, (size_t)off - b->len);
  memcpy(b->p + off, d, n);
  if (off + n > b->len)
    b->len = (size_t)off + n;
  return true;
}

static bool buf_trunc(mf_buf *b, uint64_t len) {
  if (!buf_reserve(b, (size_t)len + 1))
    return false;
  if (len > b->len)
    memset(b->p + b->len, 0, (size_t)len - b->len);
  b->len = (size_t)len;
  return true;
}

static bool buf_copy(mf_buf *to, const mf_buf *from) {
  to->len = 0;
  return buf_write(to, 0, from->p ? from->p : (const uint8_t *)"", from->len);
}

static void log_clear(mf_file *f) {
  for (size_t i = 0; i < f->nlog; i++)
    free(f->log[i].data);
  f->nlog = 0;
}

static bool log_add(mf_file *f, int trunc, uint64_t off, const uint8_t *d, size_t n) {
  if (f->nlog == f->caplog) {
    size_t c = f->caplog ? f->caplog * 2 : 16;
    mf_op *l = realloc(f->log, c * sizeof *l);
    if (!l)
      return false;
    f->log = l;
    f->caplog = c;
  }
  mf_op *o = &f->log[f->nlog];
  o->trunc = trunc;
  o->off = off;
  o->len = n;
  o->data = NULL;
  if (n) {
    o->data = malloc(n);
    if (!o->data)
      return false;
    memcpy(o->data, d, n);
  }
  f->nlog++;
  return true;
}

static mf_file *file_new(memfs *fs) {
  if (fs->nfiles == fs->capfiles) {
    size_t c = fs->capfiles ? fs->capfiles * 2 : 16;
    mf_file **p = realloc(fs->files, c * sizeof *p);
    if (!p)
      return NULL;
    fs->files = p;
    fs->capfiles = c;
  }
  mf_file *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->ino = ++fs->next_ino;
  fs->files[fs->nfiles++] = f;
  return f;
}

static mf_name *name_find(const memfs *fs, const char *path) {
  for (size_t i = 0; i < fs->nnames; i++)
    if (strcmp(fs->names[i].path, path) == 0)
      return &fs->names[i];
  return NULL;
}

static bool name_add(memfs *fs, const char *path, mf_file *f) {
  if (fs->nnames == fs->capnames) {
    size_t c = fs->capnames ? fs->capnames * 2 : 16;
    mf_name *p = realloc(fs->names, c * sizeof *p);
    if (!p)
      return false;
    fs->names = p;
    fs->capnames = c;
  }
  fs->names[fs->nnames].path = strdup(path);
  if (!fs->names[fs->nnames].path)
    return false;
  fs->names[fs->nnames++].f = f;
  return true;
}

static void name_del(memfs *fs, mf_name *n) {
  free(n->path);
  *n = fs->names[--fs->nnames];
}

memfs *memfs_new(uint64_t seed) {
  memfs *fs = calloc(1, sizeof *fs);
  if (!fs)
    return NULL;
  pthread_mutex_init(&fs->mx, NULL);
  fs->rng.s = seed;
  fs->clock = UINT64_C(1700000000000000000);
  return fs;
}

void memfs_free(memfs *fs) {
  if (!fs)
    return;
  for (size_t i = 0; i < fs->nfiles; i++) {
    mf_file *f = fs->files[i];
    log_clear(f);
    free(f->log);
    free(f->cur.p);
    free(f->dur.p);
    free(f);
  }
  for (size_t i = 0; i < fs->nnames; i++)
    free(fs->names[i].path);
  free(fs->files);
  free(fs->names);
  free(fs->h);
  pthread_mutex_destroy(&fs->mx);
  free(fs);
}

memfs *memfs_clone(const memfs *src) {
  memfs *fs = memfs_new(src->rng.s ^ UINT64_C(0x5151));
  if (!fs)
    return NULL;
  fs->logging = src->logging;
  fs->next_ino = src->next_ino;
  fs->clock = src->clock;
  for (size_t i = 0; i < src->nnames; i++) {
    const mf_file *s = src->names[i].f;
    mf_file *f = file_new(fs);
    if (!f || !name_add(fs, src->names[i].path, f) || !buf_copy(&f->cur, &s->cur) ||
        !buf_copy(&f->dur, &s->dur))
      goto fail;
    f->ino = s->ino;
    for (size_t k = 0; k < s->nlog; k++)
      if (!log_add(f, s->log[k].trunc, s->log[k].off, s->log[k].data, s->log[k].len))
        goto fail;
  }
  return fs;
fail:
  memfs_free(fs);
  return NULL;
}

static void settle_file(mf_file *f);

void memfs_set_logging(memfs *fs, bool on) {
  fs->logging = on;
  for (size_t i = 0; i < fs->nfiles; i++)
    settle_file(fs->files[i]);
}
uint64_t memfs_calls(const memfs *fs) { return fs->calls; }
uint64_t memfs_syncs(const memfs *fs) { return fs->syncs; }
uint64_t memfs_bytes_written(const memfs *fs) { return fs->written; }
bool memfs_crashed(const memfs *fs) { return fs->crashed; }

void memfs_crash_at(memfs *fs, uint64_t k) {
  pthread_mutex_lock(&fs->mx);
  fs->crash_at = k ? fs->calls + k : 0;
  fs->crashed = false;
  pthread_mutex_unlock(&fs->mx);
}

static void settle_file(mf_file *f) {
  buf_copy(&f->dur, &f->cur);
  log_clear(f);
}

void memfs_settle(memfs *fs) {
  pthread_mutex_lock(&fs->mx);
  for (size_t i = 0; i < fs->nfiles; i++)
    settle_file(fs->files[i]);
  pthread_mutex_unlock(&fs->mx);
}

void memfs_power_loss(memfs *fs, unsigned keep) {
  pthread_mutex_lock(&fs->mx);
  for (size_t i = 0; i < fs->nfiles; i++) {
    mf_file *f = fs->files[i];
    mf_buf b = {0};
    buf_copy(&b, &f->dur);
    for (size_t k = 0; k < f->nlog; k++) {
      mf_op *o = &f->log[k];
      if (o->trunc) {
        if (tp_below(&fs->rng, 256) < keep)
          buf_trunc(&b, o->off);
        continue;
      }
      /* 512-byte sectors of the write, each kept or lost */
      uint64_t at = o->off, end = o->off + o->len;
      while (at < end) {
        uint64_t next = (at / 512 + 1) * 512;
        if (next > end)
          next = end;
        if (tp_below(&fs->rng, 256) < keep)
          buf_write(&b, at, o->data + (at - o->off), (size_t)(next - at));
        at = next;
      }
    }
    free(f->cur.p);
    f->cur = b;
    settle_file(f);
    f->nsh = f->nex = 0;
  }
  for (size_t i = 0; i < fs->nh; i++)
    fs->h[i].used = false;
  fs->crash_at = 0;
  fs->crashed = false;
  pthread_mutex_unlock(&fs->mx);
}

bool memfs_get(const memfs *fs, const char *path, uint8_t **data, size_t *len) {
  mf_name *n = name_find(fs, path);
  if (!n)
    return false;
  *len = n->f->cur.len;
  *data = malloc(*len + 1);
  if (!*data)
    return false;
  if (*len)
    memcpy(*data, n->f->cur.p, *len);
  return true;
}

bool memfs_put(memfs *fs, const char *path, const uint8_t *data, size_t len) {
  mf_name *n = name_find(fs, path);
  mf_file *f;
  if (n) {
    f = n->f;
  } else {
    if (!(f = file_new(fs)) || !name_add(fs, path, f))
      return false;
  }
  f->cur.len = 0;
  if (!buf_write(&f->cur, 0, data ? data : (const uint8_t *)"", len))
    return false;
  if (fs->logging)
    settle_file(f);
  return true;
}

bool memfs_exists(const memfs *fs, const char *path) { return name_find(fs, path) != NULL; }

bool memfs_remove(memfs *fs, const char *path) {
  mf_name *n = name_find(fs, path);
  if (!n)
    return false;
  name_del(fs, n);
  return true;
}

unsigned memfs_open_handles(const memfs *fs) {
  unsigned c = 0;
  for (size_t i = 0; i < fs->nh; i++)
    c += fs->h[i].used;
  return c;
}

/* ---- the I/O table ---------------------------------------------------------- */

/* Count a call; true if it must fail (crashed). Lock held. */
static bool tick(memfs *fs) {
  fs->calls++;
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  [io %llu]\n", (unsigned long long)fs->calls);
  if (fs->crash_at && fs->calls >= fs->crash_at)
    fs->crashed = true;
  return fs->crashed;
}

static mf_handle *handle(memfs *fs, uint64_t h) {
  if (h >= fs->nh || !fs->h[h].used)
    return NULL;
  return &fs->h[h];
}

static int m_open(void *ctx, const char *path, uint32_t fl, uint64_t *h,
                  twine_pfs_host_info *info) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  open %s 0x%x\n", path, fl);
  if (tick(fs)) {
    rc = E_IO;
    goto out;
  }
  mf_name *n = name_find(fs, path);
  mf_file *f;
  if (n && (fl & TWINE_PFS_IO_CREAT) && (fl & TWINE_PFS_IO_EXCL)) {
    rc = E_EXIST;
    goto out;
  }
  if (n) {
    f = n->f;
  } else if (fl & TWINE_PFS_IO_CREAT) {
    if (!(f = file_new(fs)) || !name_add(fs, path, f)) {
      rc = E_NOMEM;
      goto out;
    }
  } else {
    rc = E_NOENT;
    goto out;
  }
  size_t i = 0;
  while (i < fs->nh && fs->h[i].used)
    i++;
  if (i == fs->nh) {
    mf_handle *p = realloc(fs->h, (fs->nh + 8) * sizeof *p);
    if (!p) {
      rc = E_NOMEM;
      goto out;
    }
    memset(p + fs->nh, 0, 8 * sizeof *p);
    fs->h = p;
    fs->nh += 8;
  }
  fs->h[i].used = true;
  fs->h[i].f = f;
  fs->h[i].writable = (fl & TWINE_PFS_IO_WRITE) != 0;
  fs->h[i].lock = TWINE_PFS_LOCK_UN;
  *h = i;
  info->dev = 7;
  info->ino = f->ino;
  info->size = f->cur.len;
out:
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static void unlock_handle(mf_handle *hd) {
  if (hd->lock == TWINE_PFS_LOCK_SH && hd->f->nsh)
    hd->f->nsh--;
  if (hd->lock == TWINE_PFS_LOCK_EX && hd->f->nex)
    hd->f->nex--;
  hd->lock = TWINE_PFS_LOCK_UN;
}

static int m_close(void *ctx, uint64_t h) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_handle *hd = handle(fs, h);
  if (!hd) {
    rc = E_BADF;
  } else {
    unlock_handle(hd);
    hd->used = false;
  }
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_preadv(void *ctx, uint64_t h, const twine_pfs_iovec *iov, uint32_t n,
                    uint64_t off, size_t *done) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_handle *hd = handle(fs, h);
  tick(fs); /* reads keep working after a crash */
  if (!hd) {
    rc = E_BADF;
    goto out;
  }
  size_t got = 0;
  const mf_buf *b = &hd->f->cur;
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  preadv h%llu off %llu\n", (unsigned long long)h, (unsigned long long)off);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t at = off + got;
    if (at >= b->len)
      break;
    size_t k = iov[i].len;
    if (k > b->len - at)
      k = (size_t)(b->len - at);
    memcpy(iov[i].base, b->p + at, k);
    got += k;
    if (k < iov[i].len)
      break;
  }
  *done = got;
out:
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_pwritev(void *ctx, uint64_t h, const twine_pfs_iovec *iov, uint32_t n,
                     uint64_t off, size_t *done) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_handle *hd = handle(fs, h);
  if (tick(fs)) {
    rc = E_IO;
    goto out;
  }
  if (!hd || !hd->writable) {
    rc = E_BADF;
    goto out;
  }
  size_t put = 0;
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  pwritev h%llu off %llu iov %u first %zu\n", (unsigned long long)h,
            (unsigned long long)off, n, n ? iov[0].len : 0);
  for (uint32_t i = 0; i < n; i++) {
    if (!buf_write(&hd->f->cur, off + put, iov[i].base, iov[i].len) ||
        (fs->logging && !log_add(hd->f, 0, off + put, iov[i].base, iov[i].len))) {
      rc = E_NOMEM;
      goto out;
    }
    put += iov[i].len;
  }
  fs->written += put;
  *done = put;
out:
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_sync(void *ctx, uint64_t h) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  sync h%llu\n", (unsigned long long)h);
  mf_handle *hd = handle(fs, h);
  if (tick(fs)) {
    rc = E_IO;
  } else if (!hd) {
    rc = E_BADF;
  } else {
    fs->syncs++;
    if (fs->logging)
      settle_file(hd->f);
  }
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_ftruncate(void *ctx, uint64_t h, uint64_t len) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_handle *hd = handle(fs, h);
  if (getenv("PFS_MEMFS_TRACE"))
    fprintf(stderr, "  ftruncate h%llu %llu\n", (unsigned long long)h, (unsigned long long)len);
  if (tick(fs)) {
    rc = E_IO;
  } else if (!hd || !hd->writable) {
    rc = E_BADF;
  } else if (len > (UINT64_C(1) << 34)) {
    rc = E_INVAL; /* far beyond any test; keep memory bounded */
  } else if (!buf_trunc(&hd->f->cur, len) ||
             (fs->logging && !log_add(hd->f, 1, len, NULL, 0))) {
    rc = E_NOMEM;
  }
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_unlink(void *ctx, const char *path) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_name *n = name_find(fs, path);
  if (tick(fs))
    rc = E_IO;
  else if (!n)
    rc = E_NOENT;
  else
    name_del(fs, n);
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_rename(void *ctx, const char *from, const char *to) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_name *n = name_find(fs, from);
  if (tick(fs)) {
    rc = E_IO;
  } else if (!n) {
    rc = E_NOENT;
  } else if (strcmp(from, to) != 0) {
    mf_file *f = n->f;
    mf_name *t = name_find(fs, to);
    if (t) {
      t->f = f;
      name_del(fs, name_find(fs, from));
    } else {
      char *p = strdup(to);
      if (!p) {
        rc = E_NOMEM;
      } else {
        free(n->path);
        n->path = p;
      }
    }
  }
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static int m_lock(void *ctx, uint64_t h, uint32_t mode) {
  memfs *fs = ctx;
  int rc = 0;
  pthread_mutex_lock(&fs->mx);
  mf_handle *hd = handle(fs, h);
  if (!hd || mode > TWINE_PFS_LOCK_EX) {
    rc = hd ? E_INVAL : E_BADF;
    goto out;
  }
  uint32_t old = hd->lock;
  unlock_handle(hd);
  mf_file *f = hd->f;
  if ((mode == TWINE_PFS_LOCK_SH && f->nex) ||
      (mode == TWINE_PFS_LOCK_EX && (f->nex || f->nsh))) {
    /* restore the previous lock and refuse */
    if (old == TWINE_PFS_LOCK_SH)
      f->nsh++;
    if (old == TWINE_PFS_LOCK_EX)
      f->nex++;
    hd->lock = old;
    rc = E_AGAIN;
    goto out;
  }
  if (mode == TWINE_PFS_LOCK_SH)
    f->nsh++;
  if (mode == TWINE_PFS_LOCK_EX)
    f->nex++;
  hd->lock = mode;
out:
  pthread_mutex_unlock(&fs->mx);
  return rc;
}

static uint64_t m_now(void *ctx) {
  memfs *fs = ctx;
  pthread_mutex_lock(&fs->mx);
  uint64_t t = fs->clock += 1000;
  pthread_mutex_unlock(&fs->mx);
  return t;
}

static const twine_pfs_io_ops memfs_io = {
    m_open, m_close, m_preadv, m_pwritev, m_sync, m_sync,
    m_ftruncate, m_unlink, m_rename, m_lock, m_now};

const twine_pfs_io_ops *memfs_ops(void) { return &memfs_io; }

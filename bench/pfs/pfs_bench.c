/*
 * pfs_bench.c - protected file (PFS over the POSIX I/O table) vs a plain
 * file: sequential write and read in 1 MiB blocks, random 4 KiB reads and
 * writes, on a file of SIZE MiB (default 256) in DIR (default /tmp).
 * Reads are measured warm (page cache and PFS cache as they are) and cold
 * (page cache dropped with posix_fadvise(DONTNEED), fresh PFS mount).
 * Prints MB/s, the ratio protected/plain (>1 = protected slower), and for
 * the protected runs the syncs and host bytes written per logical byte
 * (counted by a wrapper around the I/O table), then a profile of each
 * protected run in the spirit of the Twine paper's IPFS analysis: wall time
 * in node/journal crypto and in copies + zeroing of node buffers (counters
 * the PFS sources keep when built with TW_PFS_PROFILE, as here), in host
 * I/O calls (timed by the wrapper), and the rest (cache, tree, locks,
 * bookkeeping).
 *   pfs_bench [DIR] [SIZE_MIB] [RANDOM_OPS] [CACHE_FRAMES]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfs/pfs_int.h"
#include "twine/pfs.h"

#ifndef TW_PFS_PROFILE
#error "pfs_bench needs the PFS sources built with -DTW_PFS_PROFILE=1 (bench/pfs/CMakeLists.txt)"
#endif

static const twine_pfs_io_ops *px;
static uint64_t n_syncs, n_written, io_ns, sync_ns;

static uint64_t ns_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
/* Time a host call into io_ns. */
#define TIMED(...)                                                               \
  do {                                                                           \
    uint64_t t0_ = ns_now();                                                     \
    __VA_ARGS__;                                                                 \
    io_ns += ns_now() - t0_;                                                     \
  } while (0)

static int c_open(void *c, const char *p, uint32_t f, uint64_t *h, twine_pfs_host_info *i) {
  int r;
  TIMED(r = px->open(c, p, f, h, i));
  return r;
}
static int c_close(void *c, uint64_t h) {
  int r;
  TIMED(r = px->close(c, h));
  return r;
}
static int c_preadv(void *c, uint64_t h, const twine_pfs_iovec *v, uint32_t n, uint64_t o,
                    size_t *d) {
  int r;
  TIMED(r = px->preadv(c, h, v, n, o, d));
  return r;
}
static int c_pwritev(void *c, uint64_t h, const twine_pfs_iovec *v, uint32_t n, uint64_t o,
                     size_t *d) {
  int r;
  TIMED(r = px->pwritev(c, h, v, n, o, d));
  if (r == 0)
    n_written += *d;
  return r;
}
static int c_fdatasync(void *c, uint64_t h) {
  int r;
  uint64_t t0 = io_ns;
  n_syncs++;
  TIMED(r = px->fdatasync(c, h));
  sync_ns += io_ns - t0;
  return r;
}
static int c_fsync(void *c, uint64_t h) {
  int r;
  uint64_t t0 = io_ns;
  n_syncs++;
  TIMED(r = px->fsync(c, h));
  sync_ns += io_ns - t0;
  return r;
}
static int c_ftruncate(void *c, uint64_t h, uint64_t l) {
  int r;
  TIMED(r = px->ftruncate(c, h, l));
  return r;
}
static int c_unlink(void *c, const char *p) {
  int r;
  TIMED(r = px->unlink(c, p));
  return r;
}
static int c_rename(void *c, const char *a, const char *b) { return px->rename(c, a, b); }
static int c_lock(void *c, uint64_t h, uint32_t m) {
  int r;
  TIMED(r = px->lock(c, h, m));
  return r;
}
static uint64_t c_now(void *c) { return px->now_ns ? px->now_ns(c) : 0; }
static const twine_pfs_io_ops counting = {c_open,      c_close,  c_preadv, c_pwritev,
                                          c_fdatasync, c_fsync,  c_ftruncate, c_unlink,
                                          c_rename,    c_lock,   c_now};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void drop_cache(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

static void die(const char *what, twine_pfs_status s) {
  fprintf(stderr, "pfs_bench: %s: %s\n", what, twine_pfs_status_name(s));
  exit(1);
}

typedef struct result {
  double plain, prot;
  uint64_t syncs, written, logical;
  uint64_t crypto_ns, copy_ns, io_ns, sync_ns; /* profile of the protected run */
} result;

/* Start / stop the profile of a protected run. */
static void prof_start(void) {
  memset(tw_pfs_prof_ns, 0, sizeof tw_pfs_prof_ns);
  io_ns = sync_ns = 0;
}
static void prof_stop(result *r) {
  r->crypto_ns = tw_pfs_prof_ns[TW_PFS_P_CRYPTO];
  r->copy_ns = tw_pfs_prof_ns[TW_PFS_P_COPY];
  r->io_ns = io_ns;
  r->sync_ns = sync_ns;
}

static uint32_t g_frames;

static twine_pfs_mount *mk_mount(twine_pfs_explicit_key *ek) {
  static const uint8_t key[32] = {1, 2, 3};
  twine_pfs_explicit_key_init(ek, key, 32, NULL);
  twine_pfs_mount_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.io = &counting;
  cfg.keys = &twine_pfs_explicit_key_provider;
  cfg.keys_ctx = ek;
  cfg.cache_frames = g_frames;
  twine_pfs_mount *m;
  twine_pfs_status s = twine_pfs_mount_new(&cfg, &m);
  if (s)
    die("mount", s);
  return m;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  uint64_t size = (argc > 2 ? strtoull(argv[2], NULL, 10) : 256) << 20;
  unsigned nrand = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 20000;
  g_frames = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
  px = twine_pfs_posix_io();
  char plain[512], prot[512], jr[520];
  snprintf(plain, sizeof plain, "%s/pfs_bench_plain.dat", dir);
  snprintf(prot, sizeof prot, "%s/pfs_bench_prot.dat", dir);
  snprintf(jr, sizeof jr, "%s.pfsj", prot);
  unlink(plain);
  unlink(prot);
  unlink(jr);
  const size_t B = 1u << 20, P = 4096;
  uint8_t *buf = malloc(B);
  for (size_t i = 0; i < B; i++)
    buf[i] = (uint8_t)next();
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m = mk_mount(&ek);
  result r[6];
  const char *names[6] = {"seq write 1 MiB (+fsync)", "seq read 1 MiB (warm)",
                          "seq read 1 MiB (cold)",    "rand read 4 KiB (warm)",
                          "rand read 4 KiB (cold)",   "rand write 4 KiB (+fsync)"};
  memset(r, 0, sizeof r);
  size_t n;
  twine_pfs_status s;

  /* sequential write */
  int fd = open(plain, O_RDWR | O_CREAT | O_TRUNC, 0600);
  double t = now();
  for (uint64_t o = 0; o < size; o += B)
    if (pwrite(fd, buf, B, (off_t)o) != (ssize_t)B)
      return 1;
  fsync(fd);
  r[0].plain = now() - t;
  twine_pfs_file *f;
  n_syncs = n_written = 0;
  prof_start();
  t = now();
  if ((s = twine_pfs_open(m, prot, "bench", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL, &f)))
    die("open", s);
  for (uint64_t o = 0; o < size; o += B)
    if ((s = twine_pfs_pwrite(f, buf, B, o, &n)))
      die("pwrite", s);
  if ((s = twine_pfs_close(f)))
    die("close", s);
  r[0].prot = now() - t;
  prof_stop(&r[0]);
  r[0].syncs = n_syncs;
  r[0].written = n_written;
  r[0].logical = size;

  /* sequential read, warm then cold */
  for (int cold = 0; cold < 2; cold++) {
    int k = 1 + cold;
    if (cold)
      drop_cache(plain);
    t = now();
    for (uint64_t o = 0; o < size; o += B)
      if (pread(fd, buf, B, (off_t)o) != (ssize_t)B)
        return 1;
    r[k].plain = now() - t;
    if (cold)
      drop_cache(prot);
    prof_start();
    t = now();
    if ((s = twine_pfs_open(m, prot, "bench", TWINE_PFS_RDONLY, NULL, &f)))
      die("open", s);
    for (uint64_t o = 0; o < size; o += B)
      if ((s = twine_pfs_pread(f, buf, B, o, &n)) || n != B)
        die("pread", s);
    twine_pfs_close(f);
    r[k].prot = now() - t;
    prof_stop(&r[k]);
    r[k].logical = size;
  }
  /* random 4 KiB reads, warm then cold (one open for the whole run) */
  uint64_t pages = size / P;
  for (int cold = 0; cold < 2; cold++) {
    int k = 3 + cold;
    uint64_t seed = rng;
    if (cold)
      drop_cache(plain);
    t = now();
    for (unsigned i = 0; i < nrand; i++)
      if (pread(fd, buf, P, (off_t)((next() % pages) * P)) != (ssize_t)P)
        return 1;
    r[k].plain = now() - t;
    rng = seed;
    if (cold)
      drop_cache(prot);
    if ((s = twine_pfs_open(m, prot, "bench", TWINE_PFS_RDONLY, NULL, &f)))
      die("open", s);
    prof_start();
    t = now();
    for (unsigned i = 0; i < nrand; i++)
      if ((s = twine_pfs_pread(f, buf, P, (next() % pages) * P, &n)))
        die("pread", s);
    r[k].prot = now() - t;
    prof_stop(&r[k]);
    twine_pfs_close(f);
    r[k].logical = (uint64_t)nrand * P;
  }
  /* random 4 KiB writes, then one sync */
  uint64_t seed = rng;
  t = now();
  for (unsigned i = 0; i < nrand; i++)
    if (pwrite(fd, buf, P, (off_t)((next() % pages) * P)) != (ssize_t)P)
      return 1;
  fsync(fd);
  r[5].plain = now() - t;
  rng = seed;
  n_syncs = n_written = 0;
  if ((s = twine_pfs_open(m, prot, "bench", TWINE_PFS_RDWR, NULL, &f)))
    die("open", s);
  prof_start();
  t = now();
  for (unsigned i = 0; i < nrand; i++)
    if ((s = twine_pfs_pwrite(f, buf, P, (next() % pages) * P, &n)))
      die("pwrite", s);
  if ((s = twine_pfs_sync(f, TWINE_PFS_SYNC_DATA)))
    die("sync", s);
  r[5].prot = now() - t;
  prof_stop(&r[5]);
  r[5].syncs = n_syncs;
  r[5].written = n_written;
  r[5].logical = (uint64_t)nrand * P;
  twine_pfs_close(f);
  close(fd);

  printf("file %llu MiB in %s, %u random ops, cache %u frames%s\n\n",
         (unsigned long long)(size >> 20), dir, nrand,
         g_frames ? g_frames : TWINE_PFS_CACHE_DEFAULT, g_frames ? "" : " (default)");
  printf("| %-26s | %10s | %10s | %7s | %6s | %13s |\n", "operation", "plain MB/s",
         "PFS MB/s", "PFS/plain", "syncs", "written/logical");
  printf("|%s|%s|%s|%s|%s|%s|\n", "----------------------------", "------------",
         "------------", "---------", "--------", "-----------------");
  for (int k = 0; k < 6; k++) {
    double mp = (double)r[k].logical / r[k].plain / 1e6;
    double mq = (double)r[k].logical / r[k].prot / 1e6;
    char sy[16] = "-", wr[16] = "-";
    if (k == 0 || k == 5) {
      snprintf(sy, sizeof sy, "%llu", (unsigned long long)r[k].syncs);
      snprintf(wr, sizeof wr, "%.2f", (double)r[k].written / (double)r[k].logical);
    }
    printf("| %-26s | %10.1f | %10.1f | %7.2fx | %6s | %15s |\n", names[k], mp, mq,
           r[k].prot / r[k].plain, sy, wr);
  }
  printf("\nprofile of the protected runs (wall time; %% of the run)\n\n");
  printf("| %-26s | %9s | %15s | %15s | %9s | %15s | %15s |\n", "operation", "total ms",
         "crypto", "host I/O", "(syncs)", "copies+zeroing", "other");
  printf("|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------", "-----------",
         "-----------------", "-----------------", "-----------", "-----------------",
         "-----------------");
  for (int k = 0; k < 6; k++) {
    double tot = r[k].prot * 1e3, c = (double)r[k].crypto_ns / 1e6,
           io = (double)r[k].io_ns / 1e6, cp = (double)r[k].copy_ns / 1e6;
    double other = tot - c - io - cp;
    printf("| %-26s | %9.1f | %7.1f (%4.1f%%) | %7.1f (%4.1f%%) | %9.1f | %7.1f (%4.1f%%) | "
           "%7.1f (%4.1f%%) |\n",
           names[k], tot, c, 100 * c / tot, io, 100 * io / tot, (double)r[k].sync_ns / 1e6,
           cp, 100 * cp / tot, other, 100 * other / tot);
  }
  twine_pfs_mount_free(m);
  twine_pfs_explicit_key_wipe(&ek);
  unlink(plain);
  unlink(prot);
  unlink(jr);
  free(buf);
  return 0;
}

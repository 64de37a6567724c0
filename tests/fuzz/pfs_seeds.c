/*
 * pfs_seeds.c - writes the seed corpus of fuzz_pfs: valid protected files
 * under the harness key, mount and logical path, in fuzz_pfs's input
 * format (a flags byte, then the file; journals, flag 2, are left to the
 * mutations).
 *
 *   pfs_seeds OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs_testlib.h"

static int write_seed(const char *dir, const char *name, uint8_t flags,
                      const uint8_t *file, size_t flen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *out = fopen(path, "wb");
  if (!out) {
    perror(path);
    return 1;
  }
  int bad = fputc(flags, out) == EOF;
  bad |= fwrite(file, 1, flen, out) != flen;
  bad |= fclose(out) != 0;
  if (bad) fprintf(stderr, "pfs_seeds: cannot write %s\n", path);
  return bad;
}

/* A protected file of `size` bytes written in `chunk`-byte pwrites. */
static int make(const char *dir, const char *name, uint8_t flags,
                size_t size, size_t chunk) {
  memfs *fs = memfs_new(7);
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m = tp_mount(memfs_ops(), fs, &ek, tp_key_a, tp_mount_a,
                                NULL, TWINE_PFS_DUR_COMMIT, TWINE_PFS_CACHE_MIN);
  if (!fs || !m) {
    fprintf(stderr, "pfs_seeds: cannot set up a mount\n");
    return 1;
  }
  twine_pfs_file *f = NULL;
  if (twine_pfs_open(m, "/f", "f", TWINE_PFS_RDWR | TWINE_PFS_CREAT, NULL,
                     &f) != TWINE_PFS_OK) {
    fprintf(stderr, "pfs_seeds: cannot create a protected file\n");
    return 1;
  }
  uint8_t *buf = malloc(chunk);
  tp_rng rng = {size * 31 + chunk};
  int rc = 0;
  for (size_t off = 0; buf && off < size; off += chunk) {
    size_t n = size - off < chunk ? size - off : chunk, done = 0;
    tp_fill(&rng, buf, n);
    rc |= twine_pfs_pwrite(f, buf, n, off, &done) != TWINE_PFS_OK;
  }
  rc |= twine_pfs_sync(f, TWINE_PFS_SYNC_DATA) != TWINE_PFS_OK;
  twine_pfs_close(f);
  twine_pfs_mount_free(m);
  twine_pfs_explicit_key_wipe(&ek);
  free(buf);
  uint8_t *file = NULL;
  size_t flen = 0;
  if (!memfs_get(fs, "/f", &file, &flen)) rc = 1;
  if (!rc) rc = write_seed(dir, name, flags, file, flen);
  free(file);
  memfs_free(fs);
  if (rc) fprintf(stderr, "pfs_seeds: %s failed\n", name);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pfs_seeds OUTDIR\n");
    return 2;
  }
  int rc = 0;
  rc |= make(argv[1], "empty", 0, 0, 1);
  rc |= make(argv[1], "inline", 4, 1000, 1000);
  rc |= make(argv[1], "two-nodes", 1, 6000, 4096);
  rc |= make(argv[1], "tree", 0, 20000, 4096);
  rc |= make(argv[1], "tree-rw", 5, 40000, 3000);
  return rc;
}

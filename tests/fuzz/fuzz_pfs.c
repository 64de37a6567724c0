/*
 * fuzz_pfs.c - libFuzzer target: open and read an arbitrary "protected
 * file" through an in-memory I/O table (tests/pfs memfs).
 *
 * Input: byte 0 = flags (bit 0: open RDWR and write+close, bit 1: the rest
 * is split in two at byte 1..2 (u16) into the file and its journal
 * "<file>.pfsj", bit 2: a PROCESS anchor store). The library must never
 * crash (ASan/UBSan), leak memory or host handles, or hang. Seeds: valid
 * protected files under the harness key (tp_key_a, mount "mount-a", logical
 * path "f"), so mutations reach the code behind the header check.
 */
#include <stdlib.h>
#include <string.h>

#include "pfs_testlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t flags = data[0];
  data++;
  size--;
  size_t flen = size, jlen = 0;
  if ((flags & 2) && size >= 2) {
    size_t cut = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    flen = cut < size ? cut : size;
    jlen = size - flen;
  }
  memfs *fs = memfs_new(1);
  if (!fs)
    return 0;
  memfs_put(fs, "/f", data, flen);
  if (jlen)
    memfs_put(fs, "/f.pfsj", data + flen, jlen);
  twine_pfs_anchor *anchor = NULL;
  if (flags & 4)
    twine_pfs_anchor_process_new(&anchor);
  twine_pfs_explicit_key ek;
  twine_pfs_mount *m = tp_mount(memfs_ops(), fs, &ek, tp_key_a, tp_mount_a, anchor,
                                TWINE_PFS_DUR_COMMIT, TWINE_PFS_CACHE_MIN);
  if (m) {
    twine_pfs_file *f = NULL;
    uint32_t of = (flags & 1) ? TWINE_PFS_RDWR : TWINE_PFS_RDONLY;
    twine_pfs_status s = twine_pfs_open(m, "/f", "f", of, NULL, &f);
    if (s == TWINE_PFS_OK) {
      uint8_t buf[4096];
      size_t n = 0;
      uint64_t sz = 0;
      twine_pfs_get_size(f, &sz);
      for (uint64_t off = 0; off < sz && off < (1u << 20); off += sizeof buf)
        if (twine_pfs_pread(f, buf, sizeof buf, off, &n) != TWINE_PFS_OK)
          break;
      if (flags & 1)
        twine_pfs_pwrite(f, "x", 1, 0, &n);
      twine_pfs_close(f);
    }
    if (twine_pfs_mount_free(m) != TWINE_PFS_OK)
      abort(); /* a handle leaked */
  }
  if (memfs_open_handles(fs) != 0)
    abort();
  twine_pfs_anchor_free(anchor);
  twine_pfs_explicit_key_wipe(&ek);
  memfs_free(fs);
  return 0;
}

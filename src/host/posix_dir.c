/*
 * posix_dir.c - POSIX host calls on names in a directory (mkdir, unlink,
 * rename, link, symlink, readlink) and directory listing.
 *
 * readdir: each handle gets its own DIR stream on first use, over a dup of
 * its descriptor (fdopendir takes ownership of what it is given). Cookies
 * are entry counts: cookie k means "after the first k entries", 0 is the
 * start. They stay small (wasi-libc's telldir() keeps them in a 32-bit
 * long), unlike telldir() positions, which are hash values on ext4. The
 * slot remembers the telldir() position before every entry it has read,
 * so resuming at cookie k is a seekdir to that position: entries removed
 * meanwhile (rm -r reads and deletes in turns) do not shift the others.
 * Past the last remembered entry it reads forward. The entries . and ..
 * are listed as the system returns them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/posix_int.h"

static tw_herr status(int r) { return r == 0 ? 0 : tw_host_errno_now(); }

tw_herr tw_host_do_mkdir_at(tw_host_posix *h, const tw_host_args *a,
                            tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return status(mkdirat(a->fd[0], a->name, 0777));
}

tw_herr tw_host_do_unlink_at(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return status(unlinkat(a->fd[0], a->name, a->a[1] ? AT_REMOVEDIR : 0));
}

tw_herr tw_host_do_rename_at(tw_host_posix *h, const tw_host_args *a,
                             tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return status(renameat(a->fd[0], a->name, a->fd[1], a->name2));
}

tw_herr tw_host_do_link_at(tw_host_posix *h, const tw_host_args *a,
                           tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return status(linkat(a->fd[0], a->name, a->fd[1], a->name2, 0));
}

tw_herr tw_host_do_symlink_at(tw_host_posix *h, const tw_host_args *a,
                              tw_hc_rep *rep, uint8_t *out, size_t cap) {
  return status(symlinkat(a->target, a->fd[0], a->name));
}

tw_herr tw_host_do_readlink_at(tw_host_posix *h, const tw_host_args *a,
                               tw_hc_rep *rep, uint8_t *out, size_t cap) {
  char buf[TW_HC_MAX_PATH + 1];
  ssize_t n = readlinkat(a->fd[0], a->name, buf, sizeof buf);
  if (n < 0) return tw_host_errno_now();
  if ((size_t)n > TW_HC_MAX_PATH || (size_t)n > cap) return TW_HE_NAMETOOLONG;
  if (n == 0) return TW_HE_IO;
  memcpy(out, buf, (size_t)n);
  rep->r[0] = (uint64_t)n;
  rep->len = (uint32_t)n;
  return 0;
}

static uint8_t dtype_of(unsigned char t) {
  switch (t) {
  case DT_REG: return TW_HFT_REG;
  case DT_DIR: return TW_HFT_DIR;
  case DT_LNK: return TW_HFT_SYMLINK;
  case DT_CHR: return TW_HFT_CHAR;
  case DT_BLK: return TW_HFT_BLOCK;
  case DT_SOCK: return TW_HFT_SOCK_STREAM;
  default: return TW_HFT_UNKNOWN;
  }
}

/* The slot's directory stream, opened on first use. */
static tw_herr stream_of(tw_host_slot *s, DIR **out) {
  if (!s->dir) {
    int d = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) return tw_host_errno_now();
    s->dir = fdopendir(d);
    s->dir_pos = 0;
    if (!s->dir) {
      tw_herr e = tw_host_errno_now();
      close(d);
      return e;
    }
  }
  *out = s->dir;
  return 0;
}

/* Read the entry at index s->dir_pos, remembering where it starts; *de is
 * NULL at the end. Advances dir_pos past it. */
static tw_herr dir_next(tw_host_slot *s, DIR *dp, long *before,
                        struct dirent **de) {
  *before = telldir(dp);
  if (*before < 0) return tw_host_errno_now();
  if (s->dir_pos == s->dir_nlocs) {
    if (s->dir_nlocs == s->dir_cap) {
      uint64_t nc = s->dir_cap ? 2 * s->dir_cap : 64;
      long *p = realloc(s->dir_locs, (size_t)nc * sizeof *p);
      if (!p) return TW_HE_NOMEM;
      s->dir_locs = p;
      s->dir_cap = nc;
    }
    s->dir_locs[s->dir_nlocs++] = *before;
  }
  errno = 0;
  *de = readdir(dp);
  if (!*de) return errno ? tw_host_errno_now() : 0;
  s->dir_pos++;
  return 0;
}

/* Position the stream before entry `cookie` (or at the end if there are
 * fewer entries). */
static tw_herr dir_seek(tw_host_slot *s, DIR *dp, uint64_t cookie) {
  if (cookie == 0) {
    rewinddir(dp); /* also re-reads the directory */
    s->dir_pos = 0;
    return 0;
  }
  if (cookie < s->dir_nlocs) {
    seekdir(dp, s->dir_locs[cookie]);
    s->dir_pos = cookie;
    return 0;
  }
  if (s->dir_nlocs > 0) {
    seekdir(dp, s->dir_locs[s->dir_nlocs - 1]);
    s->dir_pos = s->dir_nlocs - 1;
  } else {
    rewinddir(dp);
    s->dir_pos = 0;
  }
  while (s->dir_pos < cookie) {
    long before;
    struct dirent *de;
    tw_herr e = dir_next(s, dp, &before, &de);
    if (e) return e;
    if (!de) break;
  }
  return 0;
}

tw_herr tw_host_do_readdir(tw_host_posix *h, const tw_host_args *a,
                           tw_hc_rep *rep, uint8_t *out, size_t cap) {
  uint64_t cookie = a->a[1], max_ents = a->a[2], name_cap = a->a[3];
  DIR *dp = NULL;
  tw_herr e = stream_of(a->slot[0], &dp);
  if (e) return e;
  tw_host_slot *s = a->slot[0];
  if (cookie != s->dir_pos) {
    e = dir_seek(s, dp, cookie);
    if (e) return e;
    if (s->dir_pos < cookie) { /* past the end: an empty batch */
      rep->r[0] = 0;
      rep->len = 0;
      return 0;
    }
  }

  uint64_t n = 0, names = 0;
  size_t off = 0;
  while (n < max_ents) {
    long before;
    struct dirent *de;
    e = dir_next(s, dp, &before, &de);
    if (e) {
      if (n == 0) return e;
      break; /* report what we have */
    }
    if (!de) break; /* the end */
    size_t len = strlen(de->d_name);
    if (len == 0 || len > TW_HC_MAX_NAME) continue; /* cannot cross */
    if (names + len > name_cap || cap - off < TW_HCW_DIRENT_HDR + len) {
      seekdir(dp, before); /* the next batch starts with this entry */
      s->dir_pos--;
      break;
    }
    uint8_t type = dtype_of(de->d_type);
    if (de->d_type == DT_UNKNOWN) {
      struct stat st;
      tw_hstat hs;
      if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        tw_host_stat_of(&st, -1, &hs);
        type = hs.type;
      }
    }
    tw_hcw_put_dirent(out + off, s->dir_pos, (uint64_t)de->d_ino, type,
                      de->d_name, (uint32_t)len);
    off += TW_HCW_DIRENT_HDR + len;
    names += len;
    n++;
  }
  rep->r[0] = n;
  rep->len = (uint32_t)off;
  return 0;
}

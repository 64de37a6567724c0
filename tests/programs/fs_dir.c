/*
 * fs_dir.c - reading directories: `.` and `..`, entry types, cookies
 * (telldir / seekdir / rewinddir), many and long names, and raw
 * fd_readdir with small buffers (truncated last entries, resuming from a
 * cookie), resuming from saved cookies, cookies small enough for
 * wasi-libc's 32-bit telldir().
 *
 * WASI: fd_readdir, path_open (directory), fd_close, path_filestat_get,
 * fd_filestat_get.
 *
 *   fs_dir ROOT        (ROOT: an empty directory the program may fill)
 */
#include "tp.h"
#include "tp_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NFILES 300

static void name_of(int i, char *buf, size_t cap) {
  /* lengths from 1 to 200 bytes so entries straddle any buffer size */
  int len = 1 + (i * 37) % 200;
  int k = snprintf(buf, cap, "%d_", i);
  while (k < len && (size_t)k < cap - 1) {
    buf[k] = (char)('a' + (i + k) % 26);
    k++;
  }
  buf[k] = 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
  char *names[NFILES + 16];
  unsigned char types[NFILES + 16];
  long pos[NFILES + 16]; /* telldir before each entry */
  int n;
} listing;

static void list_dir(const char *path, listing *l) {
  l->n = 0;
  DIR *d = opendir(path);
  if (!d) {
    printf("FAIL opendir %s: %s\n", path, tp_errname(errno));
    return;
  }
  for (;;) {
    long pos = telldir(d);
    struct dirent *e = readdir(d);
    if (!e || l->n >= NFILES + 16)
      break;
    l->pos[l->n] = pos;
    l->types[l->n] = e->d_type;
    l->names[l->n++] = strdup(e->d_name);
  }
  closedir(d);
}

static int find(const listing *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->names[i], name) == 0)
      return i;
  return -1;
}

static void free_listing(listing *l) {
  for (int i = 0; i < l->n; i++)
    free(l->names[i]);
  l->n = 0;
}

static void empty_dir(void) {
  TP_OK("mkdir-empty", mkdir(P("empty"), 0755));
  listing l;
  list_dir(P("empty"), &l);
  TP_EQ("empty-count", l.n, 2);
  int dot = find(&l, "."), dotdot = find(&l, "..");
  TP_TRUE("empty-dot", dot >= 0);
  TP_TRUE("empty-dotdot", dotdot >= 0);
  TP_TRUE("dot-type", dot >= 0 && l.types[dot] == DT_DIR);
  TP_TRUE("dotdot-type", dotdot >= 0 && l.types[dotdot] == DT_DIR);
  free_listing(&l);
}

static void many(void) {
  TP_OK("mkdir-many", mkdir(P("many"), 0755));
  char name[256], path[600];
  int made = 0;
  for (int i = 0; i < NFILES; i++) {
    name_of(i, name, sizeof name);
    snprintf(path, sizeof path, "many/%s", name);
    int fd = open(P(path), O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) {
      made++;
      close(fd);
    }
  }
  TP_EQ("created", made, NFILES);
  TP_OK("mkdir-sub", mkdir(P("many/zsub"), 0755));
  TP_OK("symlink-in-many", symlink("0_", P("many/zlink")));

  listing l;
  list_dir(P("many"), &l);
  TP_EQ("many-count", l.n, NFILES + 4);
  int all = 1;
  for (int i = 0; i < NFILES; i++) {
    name_of(i, name, sizeof name);
    int k = find(&l, name);
    all &= k >= 0 && l.types[k] == DT_REG;
  }
  TP_TRUE("many-all-regular", all);
  int k = find(&l, "zsub");
  TP_TRUE("type-dir", k >= 0 && l.types[k] == DT_DIR);
  k = find(&l, "zlink");
  TP_TRUE("type-link", k >= 0 && l.types[k] == DT_LNK);
  TP_TRUE("has-dot", find(&l, ".") >= 0 && find(&l, "..") >= 0);

  /* the sorted listing is compared with the native run */
  char *sorted[NFILES + 16];
  memcpy(sorted, l.names, sizeof(char *) * (size_t)l.n);
  qsort(sorted, (size_t)l.n, sizeof sorted[0], cmp_str);
  unsigned long h = 0;
  for (int i = 0; i < l.n; i++)
    for (const char *c = sorted[i]; *c; c++)
      h = h * 131 + (unsigned char)*c;
  printf("  many: %d entries, first %s, last %s, hash %lu\n", l.n, sorted[0],
         sorted[l.n - 1], h & 0xffffffffUL);

  /* seekdir to every 17th saved position: the next entry must be the one
   * that followed that position the first time */
  DIR *d = opendir(P("many"));
  TP_TRUE("opendir-again", d != NULL);
  if (d) {
    int ok = 1;
    for (int i = l.n - 1; i >= 0; i -= 17) {
      seekdir(d, l.pos[i]);
      struct dirent *e = readdir(d);
      ok &= e && strcmp(e->d_name, l.names[i]) == 0;
    }
    TP_TRUE("seekdir-backwards", ok);
    rewinddir(d);
    struct dirent *e = readdir(d);
    TP_TRUE("rewinddir", e && strcmp(e->d_name, l.names[0]) == 0);
    int n = 1;
    while (readdir(d))
      n++;
    TP_EQ("rewind-count", n, l.n);
    TP_TRUE("readdir-end-again", readdir(d) == NULL);
    closedir(d);
  }

  /* entries' inode numbers agree with stat */
  d = opendir(P("many"));
  if (d) {
    int ok = 1, checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.')
        continue;
      struct stat st;
      snprintf(path, sizeof path, "many/%s", e->d_name);
      ok &= lstat(P(path), &st) == 0 && st.st_ino == e->d_ino;
      checked++;
    }
    closedir(d);
    TP_TRUE("d_ino-matches-stat", ok && checked == NFILES + 2);
  }

  /* deleting every entry while reading */
  d = opendir(P("many"));
  if (d) {
    struct dirent *e;
    int removed = 0;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      snprintf(path, sizeof path, "many/%s", e->d_name);
      if (e->d_type == DT_DIR ? rmdir(P(path)) == 0 : unlink(P(path)) == 0)
        removed++;
    }
    closedir(d);
    TP_EQ("removed-while-reading", removed, NFILES + 2);
    TP_OK("rmdir-many", rmdir(P("many")));
  }
  free_listing(&l);

  DIR *up = opendir(P("empty/.."));
  TP_TRUE("opendir-dotdot", up != NULL);
  if (up)
    closedir(up);
  int fd = open(P("plain"), O_CREAT | O_WRONLY, 0644);
  close(fd);
  errno = 0;
  DIR *bad = opendir(P("plain"));
  TP_TRUE("opendir-not-dir", bad == NULL && errno == ENOTDIR);
  bad = opendir(P("missing"));
  TP_TRUE("opendir-missing", bad == NULL && errno == ENOENT);
}

#ifdef __wasi__
/* Raw fd_readdir: with a buffer of `cap` bytes, resuming from the cookie
 * of the last complete entry, collect every name; must equal the libc
 * listing. */
static int raw_list(int fd, size_t cap, char names[][256], int max) {
  uint8_t *buf = malloc(cap);
  __wasi_dircookie_t cookie = __WASI_DIRCOOKIE_START;
  int n = 0;
  for (int rounds = 0; rounds < 100000; rounds++) {
    __wasi_size_t used = 0;
    if (__wasi_fd_readdir((__wasi_fd_t)fd, buf, cap, cookie, &used) != 0) {
      free(buf);
      return -1;
    }
    size_t off = 0;
    int progressed = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t de;
      memcpy(&de, buf + off, sizeof de);
      if (off + sizeof de + de.d_namlen > used)
        break; /* truncated: read again from this entry's cookie */
      if (n < max && de.d_namlen < 256) {
        memcpy(names[n], buf + off + sizeof de, de.d_namlen);
        names[n][de.d_namlen] = 0;
        n++;
      }
      cookie = de.d_next;
      off += sizeof de + de.d_namlen;
      progressed = 1;
    }
    if (used < cap) /* a short buffer is the end of the directory */
      break;
    if (!progressed) { /* one entry larger than the buffer */
      free(buf);
      return -2;
    }
  }
  free(buf);
  return n;
}

static void raw(void) {
  TP_OK("wasi.mkdir-raw", mkdir(P("raw"), 0755));
  char name[256], path[600];
  for (int i = 0; i < 40; i++) {
    name_of(i * 7, name, sizeof name);
    snprintf(path, sizeof path, "raw/%s", name);
    close(open(P(path), O_CREAT | O_WRONLY, 0644));
  }
  int fd = open(P("raw"), O_RDONLY | O_DIRECTORY);
  TP_OK("wasi.open-raw", fd);
  static char a[64][256], b[64][256];
  int na = raw_list(fd, 65536, a, 64);
  TP_EQ("wasi.readdir-big-buffer", na, 42);
  static const size_t caps[] = {24 + 210, 300, 517, 1024};
  for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
    int nb = raw_list(fd, caps[c], b, 64);
    int same = nb == na;
    for (int i = 0; same && i < na; i++)
      same = strcmp(a[i], b[i]) == 0;
    TP_TRUE(tp_fmt("wasi.readdir-buffer-%zu", caps[c]), same);
  }
  /* cookies: resuming from the d_next of entry k yields entry k+1 first,
   * whatever was read in between; . and .. are among the entries */
  {
    static uint8_t big[65536];
    __wasi_size_t used = 0;
    TP_W("wasi.readdir-all", __wasi_fd_readdir((__wasi_fd_t)fd, big, sizeof big,
                                               __WASI_DIRCOOKIE_START, &used), 0);
    __wasi_dircookie_t cookies[64];
    char names[64][256];
    int n = 0, dots = 0;
    size_t off = 0;
    while (n < 64 && off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t de;
      memcpy(&de, big + off, sizeof de);
      if (off + sizeof de + de.d_namlen > used || de.d_namlen > 255)
        break;
      memcpy(names[n], big + off + sizeof de, de.d_namlen);
      names[n][de.d_namlen] = 0;
      cookies[n] = de.d_next;
      if ((strcmp(names[n], ".") == 0 || strcmp(names[n], "..") == 0) &&
          de.d_type == __WASI_FILETYPE_DIRECTORY)
        dots++;
      off += sizeof de + de.d_namlen;
      n++;
    }
    TP_EQ("wasi.readdir-all-count", n, 42);
    /* wasi-libc's telldir() returns a long, 32 bits on wasm32: cookies
     * must fit, or telldir/seekdir break (wasmtime's cookies are entry
     * indices) */
    int fit = 1;
    for (int k = 0; k < n; k++)
      fit &= cookies[k] <= 0x7FFFFFFFull;
    TP_TRUE("wasi.readdir-cookies-fit-telldir", fit);
    TP_EQ("wasi.readdir-dot-entries", dots, 2);
    int ok = 1;
    for (int k = n - 2; k >= 0; k -= 5) {
      uint8_t small[24 + 256];
      __wasi_size_t u = 0;
      __wasi_dirent_t de;
      if (__wasi_fd_readdir((__wasi_fd_t)fd, small, sizeof small, cookies[k],
                            &u) != 0 || u < sizeof de) {
        ok = 0;
        continue;
      }
      memcpy(&de, small, sizeof de);
      ok &= de.d_namlen == strlen(names[k + 1]) &&
            memcmp(small + sizeof de, names[k + 1], de.d_namlen) == 0 &&
            de.d_next == cookies[k + 1];
    }
    TP_TRUE("wasi.readdir-resume-from-cookie", ok);
    /* the cookie after the last entry: nothing more */
    __wasi_size_t u = 99;
    TP_W("wasi.readdir-at-end", __wasi_fd_readdir((__wasi_fd_t)fd, big, sizeof big,
                                                  n > 0 ? cookies[n - 1] : 0, &u),
         0);
    TP_EQ("wasi.readdir-at-end-empty", u, 0);
  }
  /* a buffer too small for one header: the call succeeds and fills it */
  uint8_t tiny[10];
  __wasi_size_t used = 99;
  TP_W("wasi.readdir-tiny", __wasi_fd_readdir((__wasi_fd_t)fd, tiny, sizeof tiny,
                                              0, &used), 0);
  TP_EQ("wasi.readdir-tiny-used", used, sizeof tiny);
  close(fd);

  int file = open(P("plain"), O_RDONLY);
  TP_W2("wasi.readdir-on-file",
        __wasi_fd_readdir((__wasi_fd_t)file, tiny, sizeof tiny, 0, &used),
        __WASI_ERRNO_NOTDIR, __WASI_ERRNO_BADF);
  close(file);
  TP_W("wasi.readdir-closed",
       __wasi_fd_readdir((__wasi_fd_t)file, tiny, sizeof tiny, 0, &used),
       __WASI_ERRNO_BADF);
  /* leave the same tree as the native run (which has no raw/) */
  for (int i = 0; i < 40; i++) {
    name_of(i * 7, name, sizeof name);
    snprintf(path, sizeof path, "raw/%s", name);
    unlink(P(path));
  }
  TP_OK("wasi.rmdir-raw", rmdir(P("raw")));
}
#endif

int main(int argc, char **argv) {
  tp_init();
  if (argc > 1)
    tp_root = argv[1];
  empty_dir();
  many();
#ifdef __wasi__
  raw();
#endif
  return tp_done();
}

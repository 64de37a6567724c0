/*
 * protected.c - a guest on a protected mount (/vault), driven in several
 * runs by protected_driver.c (which plays the untrusted host in between):
 *
 *   protected write      create files, use every file operation, sync
 *   protected read       read back what `write` left (a later run)
 *   protected expect E   opening + reading /vault/secret.txt fails with E
 *                        (EIO or EACCES)
 *
 * Plain POSIX through wasi-libc; checks print through tp.h; the exit
 * status is 0 when every check passed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tp.h"

#define SECRET "PLAINTEXT-MARKER: the vault holds 42 gold bars\n"

/* -DPROTECTED_VARIANT builds another module from the same source (a
 * different measurement), for the test that data sealed to one module's
 * measurement is unreadable to another (tests/attest/run_cli.sh). */
#ifdef PROTECTED_VARIANT
#define USAGE "usage: protected (variant) write|read|expect ERR\n"
#else
#define USAGE "usage: protected write|read|expect ERR\n"
#endif

static int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, data, strlen(data));
  int rc = fsync(fd);
  close(fd);
  return n == (ssize_t)strlen(data) && rc == 0 ? 0 : -1;
}

/* The whole file into buf (NUL-terminated); bytes read or -1. */
static long read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t n = 0;
  for (;;) {
    ssize_t k = read(fd, buf + n, cap - 1 - n);
    if (k < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (k == 0) break;
    n += (size_t)k;
  }
  close(fd);
  buf[n] = 0;
  return (long)n;
}

static void step_write(void) {
  char buf[8192];
  TP_OK("write secret", write_file("/vault/secret.txt", SECRET));
  errno = 0;
  int md = mkdir("/vault/d", 0755);
  TP_TRUE("mkdir", md == 0 || errno == EEXIST); /* a second write run */
  TP_OK("write sub", write_file("/vault/d/sub.txt", "in a subdirectory"));
  TP_OK("write tmp", write_file("/vault/tmp.txt", "temporary"));
  TP_OK("rename", rename("/vault/tmp.txt", "/vault/d/kept.txt"));
  TP_ERR("old name gone", open("/vault/tmp.txt", O_RDONLY), ENOENT);
  TP_OK("write doomed", write_file("/vault/doomed.txt", "bye"));
  TP_OK("unlink", unlink("/vault/doomed.txt"));
  TP_ERR("unlinked", open("/vault/doomed.txt", O_RDONLY), ENOENT);

  /* pread / pwrite / truncate / fsync / fdatasync / lseek */
  int fd = open("/vault/rw.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  TP_OK("open rw", fd);
  TP_EQ("pwrite", pwrite(fd, "0123456789", 10, 0), 10);
  TP_EQ("pwrite far", pwrite(fd, "END", 3, 9000), 3);
  TP_EQ("pread", pread(fd, buf, 4, 3), 4);
  TP_TRUE("pread bytes", memcmp(buf, "3456", 4) == 0);
  TP_EQ("pread hole", pread(fd, buf, 2, 5000), 2);
  TP_TRUE("hole is zero", buf[0] == 0 && buf[1] == 0);
  TP_OK("ftruncate", ftruncate(fd, 6));
  TP_OK("fdatasync", fdatasync(fd));
  TP_EQ("lseek end", lseek(fd, 0, SEEK_END), 6);
  TP_EQ("append by write", write(fd, "ab", 2), 2);
  TP_OK("fsync", fsync(fd));
  struct stat st;
  TP_OK("fstat", fstat(fd, &st));
  TP_EQ("logical size", st.st_size, 8);
  TP_OK("close rw", close(fd));
  TP_OK("stat", stat("/vault/rw.bin", &st));
  TP_EQ("stat logical size", st.st_size, 8);

  /* the host's journal and anchor files are invisible and untouchable */
  DIR *d = opendir("/vault");
  TP_TRUE("opendir", d != NULL);
  int hidden = 0, seen = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    seen++;
    if (strstr(e->d_name, ".pfsj") || strstr(e->d_name, ".twine-anchors"))
      hidden++;
  }
  if (d) closedir(d);
  TP_EQ("no reserved names listed", hidden, 0);
  TP_TRUE("entries listed", seen >= 4);
  TP_ERR("anchor manifest", open("/vault/.twine-anchors", O_RDONLY), EPERM);
  TP_ERR("journal name", open("/vault/x.pfsj", O_WRONLY | O_CREAT, 0644),
         EPERM);
  TP_ERR("symlink", symlink("secret.txt", "/vault/link"), ENOTSUP);
}

static void step_read(void) {
  char buf[8192];
  TP_EQ("read secret", read_file("/vault/secret.txt", buf, sizeof buf),
        (long)strlen(SECRET));
  TP_STREQ("secret", buf, SECRET);
  TP_OK("read sub", read_file("/vault/d/sub.txt", buf, sizeof buf));
  TP_STREQ("sub", buf, "in a subdirectory");
  TP_OK("read kept", read_file("/vault/d/kept.txt", buf, sizeof buf));
  TP_STREQ("kept", buf, "temporary");
  TP_EQ("read rw", read_file("/vault/rw.bin", buf, sizeof buf), 8);
  TP_TRUE("rw", memcmp(buf, "012345ab", 8) == 0);
}

static void step_expect(const char *want) {
  int e = strcmp(want, "EIO") == 0 ? EIO : EACCES;
  char buf[8192];
  TP_ERR(tp_fmt("secret fails with %s", want),
         read_file("/vault/secret.txt", buf, sizeof buf), e);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf(USAGE);
    return 2;
  }
  if (strcmp(argv[1], "write") == 0) step_write();
  else if (strcmp(argv[1], "read") == 0) step_read();
  else if (strcmp(argv[1], "expect") == 0 && argc > 2) step_expect(argv[2]);
  else return 2;
  return tp_done();
}

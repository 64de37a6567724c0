/*
 * copy_file.c - the file-copy benchmark's program: copy SRC to DST with
 * read(2)/write(2) through one buffer (64 KiB unless a size is given), the
 * way a simple real program moves data. Built natively and to wasm32-wasi;
 * under Twine every read and write is a WASI call (fd_read / fd_write on a
 * file of a --dir preopen).
 *
 *   copy_file SRC DST [BUFFER_BYTES]
 *
 * Prints the number of bytes copied. Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
  fprintf(stderr, "copy_file: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

/* Copies src to dst through buf; 0 or 1 (after a message). */
static int copy(const char *src, const char *dst, char *buf, size_t size) {
  int in = open(src, O_RDONLY);
  if (in < 0) return fail("open", src);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    fail("create", dst);
    close(in);
    return 1;
  }
  unsigned long long total = 0;
  int rc = 0;
  for (;;) {
    ssize_t n = read(in, buf, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = fail("read", src);
      break;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n && rc == 0;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0) {
        if (errno != EINTR) rc = fail("write", dst);
        continue;
      }
      done += w;
    }
    if (rc != 0) break;
    total += (unsigned long long)n;
  }
  if (close(out) != 0 && rc == 0) rc = fail("close", dst);
  close(in);
  if (rc == 0) printf("%llu\n", total);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: copy_file SRC DST [BUFFER_BYTES]\n");
    return 1;
  }
  size_t size = 64 * 1024;
  if (argc == 4) {
    char *end;
    unsigned long v = strtoul(argv[3], &end, 10);
    if (*end != '\0' || v == 0 || v > (64ul << 20)) {
      fprintf(stderr, "copy_file: bad buffer size %s (1 to 64 MiB)\n", argv[3]);
      return 1;
    }
    size = (size_t)v;
  }
  char *buf = malloc(size);
  if (buf == NULL) {
    fprintf(stderr, "copy_file: out of memory\n");
    return 1;
  }
  int rc = copy(argv[1], argv[2], buf, size);
  free(buf);
  return rc;
}

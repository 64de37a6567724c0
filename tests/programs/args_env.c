/*
 * args_env.c - arguments, environment and standard streams.
 *
 * WASI: args_sizes_get, args_get, environ_sizes_get, environ_get (through
 * wasi-libc's start-up and raw), fd_read (stdin), fd_write (stdout,
 * stderr), fd_fdstat_get (stdio).
 *
 *   args_env ROOT ARG...     (ROOT is unused; every program takes it)
 * Prints every argument after ROOT, the TP_* environment variables sorted,
 * and what it reads from stdin (byte count and a checksum); writes a line
 * to stderr.
 */
#include "tp.h"

#include <unistd.h>

extern char **environ;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_escaped(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p >= 0x20 && *p < 0x7f && *p != '\\')
      putchar(*p);
    else
      printf("\\x%02x", *p);
  }
}

int main(int argc, char **argv) {
  tp_init();
  TP_TRUE("argc>=2", argc >= 2);
  printf("  args after ROOT: %d\n", argc - 2);
  for (int i = 2; i < argc; i++) {
    printf("  arg[%d]: \"", i - 1);
    print_escaped(argv[i]);
    printf("\"\n");
  }
  TP_TRUE("argv-null-terminated", argv[argc] == NULL);

  /* The TP_* variables, sorted; others (the native build sees the whole
   * host environment) are ignored. */
  const char *vars[256];
  size_t nv = 0;
  for (char **e = environ; *e && nv < 256; e++)
    if (strncmp(*e, "TP_", 3) == 0)
      vars[nv++] = *e;
  qsort(vars, nv, sizeof vars[0], cmp_str);
  for (size_t i = 0; i < nv; i++) {
    printf("  env: \"");
    print_escaped(vars[i]);
    printf("\"\n");
  }
  const char *v = getenv("TP_GREETING");
  TP_STREQ("getenv", v ? v : "(unset)", "hello world");
  TP_TRUE("getenv-missing", getenv("TP_NOT_SET") == NULL);

  /* stdin, read to the end in odd-sized pieces */
  unsigned long sum = 0, total = 0;
  char buf[333];
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      sum = sum * 31 + (unsigned char)buf[i];
    total += (unsigned long)n;
  }
  TP_EQ("stdin-read-eof", n, 0);
  TP_EQ("stdin-read-after-eof", read(0, buf, sizeof buf), 0);
  printf("  stdin: %lu bytes, hash %lu\n", total, sum & 0xffffffffUL);

  TP_EQ("stderr-write", write(2, "to stderr\n", 10), 10);
  TP_ERR("write-stdin-bad", write(-1, "x", 1), EBADF);

#ifdef __wasi__
  /* The sizes and the strings must agree, byte for byte, with argv. */
  __wasi_size_t argc2, argsz;
  TP_W("wasi.args_sizes_get", __wasi_args_sizes_get(&argc2, &argsz), 0);
  TP_EQ("wasi.args_sizes.count", argc2, argc);
  size_t want_sz = 0;
  for (int i = 0; i < argc; i++)
    want_sz += strlen(argv[i]) + 1;
  TP_EQ("wasi.args_sizes.bytes", argsz, want_sz);
  {
    uint8_t **av = calloc(argc2 + 1, sizeof *av);
    uint8_t *ab = malloc(argsz + 1);
    TP_W("wasi.args_get", __wasi_args_get(av, ab), 0);
    int same = 1;
    for (int i = 0; i < argc; i++)
      same &= strcmp((char *)av[i], argv[i]) == 0;
    TP_TRUE("wasi.args_get.same", same);
    TP_TRUE("wasi.args_get.packed", av[0] == ab);
    free(av);
    free(ab);
  }
  __wasi_size_t envc, envsz;
  TP_W("wasi.environ_sizes_get", __wasi_environ_sizes_get(&envc, &envsz), 0);
  {
    size_t count = 0, bytes = 0;
    for (char **e = environ; *e; e++) {
      count++;
      bytes += strlen(*e) + 1;
    }
    TP_EQ("wasi.environ_sizes.count", envc, count);
    TP_EQ("wasi.environ_sizes.bytes", envsz, bytes);
    uint8_t **ev = calloc(envc + 1, sizeof *ev);
    uint8_t *eb = malloc(envsz + 1);
    TP_W("wasi.environ_get", __wasi_environ_get(ev, eb), 0);
    int same = 1;
    for (size_t i = 0; i < count; i++)
      same &= strcmp((char *)ev[i], environ[i]) == 0;
    TP_TRUE("wasi.environ_get.same", same);
    free(ev);
    free(eb);
  }
  __wasi_fdstat_t st;
  TP_W("wasi.fdstat.stdout", __wasi_fd_fdstat_get(1, &st), 0);
  TP_TRUE("wasi.fdstat.stdout.write-right",
          (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
  TP_W("wasi.fdstat.stdin", __wasi_fd_fdstat_get(0, &st), 0);
  TP_TRUE("wasi.fdstat.stdin.read-right",
          (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0);
#endif
  return tp_done();
}

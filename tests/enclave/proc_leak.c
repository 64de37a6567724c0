/*
 * proc_leak.c - the process backend leaves nothing behind: run
 * tw_host_proc_run many times (normal exits, forbidden system calls,
 * timeouts, guest traps) and check that this process has the same open
 * descriptors as before and no children (no zombies).
 *
 *   enclave_proc_leak TWINE ECHO.wasm LOOP.wasm ROUNDS
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/enclave_chan.h"
#include "host/enclave_proc.h"

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *b = malloc(1 << 20);
  *n = b ? fread(b, 1, 1 << 20, f) : 0;
  fclose(f);
  return b;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s TWINE ECHO.wasm LOOP.wasm ROUNDS\n", argv[0]);
    return 2;
  }
  size_t elen, llen;
  uint8_t *echo = read_file(argv[2], &elen), *loop = read_file(argv[3], &llen);
  int rounds = atoi(argv[4]);
  if (!echo || !loop || rounds <= 0) return 2;
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  twine_wasi_config_t *cfg;
  if (devnull < 0 || twine_wasi_config_new(&cfg) != TWINE_OK ||
      twine_wasi_config_stdio(cfg, devnull, devnull, devnull) != TWINE_OK)
    return 2;
  int before = count_fds();
  int fails = 0, counts[5] = {0};
  for (int i = 0; i < rounds; i++) {
    int kind = i % 8; /* 0..4 echo, 5 forbidden, 6 timeout, 7 trap */
    const char *args[] = {"module=m.wasm", kind == 7 ? "invoke=crash" : "--",
                          "--", "a"};
    tw_host_proc_launch l;
    memset(&l, 0, sizeof l);
    l.exe = argv[1];
    l.module = kind == 6 ? loop : echo;
    l.module_len = kind == 6 ? llen : elen;
    l.args = args;
    l.nargs = 3;
    l.wasi = cfg;
    l.timeout_ms = kind == 6 ? 20 : 0;
    l.flags = kind == 5 ? TW_CHAN_F_TEST_FORBIDDEN : 0;
    tw_host_proc_result r;
    tw_host_proc_run(&l, &r);
    bool ok;
    if (kind == 5) {
      ok = r.how == TW_HOST_PROC_SIGNALED && r.signal == SIGSYS;
      counts[1] += ok;
    } else if (kind == 6) {
      ok = r.how == TW_HOST_PROC_TIMEOUT;
      counts[2] += ok;
    } else if (kind == 7) {
      ok = r.how == TW_HOST_PROC_EXITED && r.code == 134;
      counts[3] += ok;
    } else {
      ok = r.how == TW_HOST_PROC_EXITED && r.code == 1; /* proc_exit(argc-1) */
      counts[0] += ok;
    }
    if (!ok) {
      if (fails++ < 5)
        printf("FAIL: round %d (kind %d): how %d code %d signal %d: %s\n", i,
               kind, r.how, r.code, r.signal, r.message);
    }
  }
  int after = count_fds();
  pid_t w = waitpid(-1, NULL, WNOHANG);
  int werr = errno;
  printf("%d rounds: %d exits, %d SIGSYS, %d timeouts, %d traps; fds %d -> "
         "%d; children: %s\n",
         rounds, counts[0], counts[1], counts[2], counts[3], before, after,
         w < 0 && werr == ECHILD ? "none" : "LEFT OVER");
  twine_wasi_config_free(cfg);
  close(devnull);
  free(echo);
  free(loop);
  if (before != after || !(w < 0 && werr == ECHILD)) fails++;
  return fails ? 1 : 0;
}

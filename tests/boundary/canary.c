/*
 * canary.c - an object that breaks the boundary on purpose, so the test
 * boundary.trusted_symbols_canary can show that
 * scripts/check-trusted-symbols.sh names such calls. Compiled, never
 * linked into anything.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int tw_boundary_canary(const char *path, size_t len);

/* len not a constant: fortified builds call __read_chk */
int tw_boundary_canary(const char *path, size_t len) {
  char buf[16] = {0};
  if (getenv("TWINE_CANARY")) return -1;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  pid_t p = fork();
  return (int)n + s + (int)p + buf[0];
}

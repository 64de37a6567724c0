/*
 * native_main.c - the native driver of a benchmark kernel: times run(n) with
 * clock_gettime(CLOCK_MONOTONIC) and prints "checksum seconds".
 *
 *   kernel N
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t run(int32_t n);

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  char *end = NULL;
  long n = strtol(argv[1], &end, 10);
  if (!end || *end || n < 1 || n > INT32_MAX) {
    fprintf(stderr, "%s: bad N '%s'\n", argv[0], argv[1]);
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t sum = run((int32_t)n);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("%lld %.6f\n", (long long)sum, secs);
  return 0;
}

/*
 * tp_path.h - paths under the test root (argv[1]): "/sandbox" under twine
 * (a preopened directory), an absolute host path natively. P(name) returns
 * ROOT "/" name in one of a few rotating static buffers.
 */
#ifndef TP_PATH_H
#define TP_PATH_H

#include <stdio.h>

static const char *tp_root = ".";

static inline const char *P(const char *name) {
  static char bufs[8][1024];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, sizeof bufs[0], "%s/%s", tp_root, name);
  return b;
}

#endif

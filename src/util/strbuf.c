/* strbuf.c - bounded formatting into fixed buffers. */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void tw_util_appendf(char *buf, size_t len, size_t *w, const char *fmt, ...) {
  if (*w + 1 >= len) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *w, len - *w, fmt, ap);
  va_end(ap);
  if (n > 0) *w += (size_t)n < len - *w ? (size_t)n : len - *w - 1;
}

/* strbuf.h - bounded formatting into fixed buffers (messages, type names). */
#ifndef TW_UTIL_STRBUF_H
#define TW_UTIL_STRBUF_H

#include <stddef.h>

/* printf into buf at *w and advance *w, never past len - 1; the buffer
 * stays NUL-terminated (len > 0). Output that does not fit is cut. */
void tw_util_appendf(char *buf, size_t len, size_t *w, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

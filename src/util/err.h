/*
 * err.h - the one way hostile input fails.
 *
 * Every rejection of outside input (module bytes, artifacts, ...) goes
 * through TW_FAIL, which records the status, the input offset, a formatted
 * reason and the source location (file:line) that rejected it. Never use
 * assert() for input checks.
 */
#ifndef TW_UTIL_ERR_H
#define TW_UTIL_ERR_H

#include <stddef.h>
#include <stdint.h>

#include "twine/twine.h"

typedef struct tw_err {
  twine_status_t status;
  size_t offset;          /* input offset, SIZE_MAX if not applicable */
  const char *src_file;   /* where in Twine the input was rejected */
  int src_line;
  char msg[200];
} tw_err;

/* Record a failure in *err (err may be NULL) and return `status`. */
twine_status_t tw_err_set(tw_err *err, twine_status_t status, size_t offset,
                          const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Prefix the message of an already-set error ("section 3: " + msg). */
void tw_err_prefix(tw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy an internal error into the public twine_error_t (may be NULL). */
void tw_err_export(const tw_err *err, twine_error_t *out);

#define TW_FAIL(err, status, offset, ...) \
  tw_err_set((err), (status), (offset), __FILE__, __LINE__, __VA_ARGS__)

#endif

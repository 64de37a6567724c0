/* err.c - recording input failures and status strings. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

twine_status_t tw_err_set(tw_err *err, twine_status_t status, size_t offset,
                          const char *file, int line, const char *fmt, ...) {
  if (err) {
    err->status = status;
    err->offset = offset;
    err->src_file = file;
    err->src_line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return status;
}

void tw_err_prefix(tw_err *err, const char *fmt, ...) {
  if (!err) return;
  char pre[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  char tmp[sizeof err->msg];
  size_t plen = strlen(pre), mlen = strlen(err->msg);
  if (plen > sizeof tmp - 1) plen = sizeof tmp - 1;
  if (mlen > sizeof tmp - 1 - plen) mlen = sizeof tmp - 1 - plen;
  memcpy(tmp, pre, plen);
  memcpy(tmp + plen, err->msg, mlen);
  tmp[plen + mlen] = 0;
  memcpy(err->msg, tmp, sizeof tmp);
}

void tw_err_export(const tw_err *err, twine_error_t *out) {
  if (!out || !err) return;
  out->status = err->status;
  out->offset = err->offset;
  snprintf(out->message, sizeof out->message, "%s", err->msg);
}

const char *twine_status_str(twine_status_t status) {
  static const char *const names[TWINE_STATUS_COUNT] = {
      [TWINE_OK] = "ok",
      [TWINE_ERR_MALFORMED] = "malformed module",
      [TWINE_ERR_INVALID] = "invalid module",
      [TWINE_ERR_UNSUPPORTED] = "unsupported feature",
      [TWINE_ERR_UNLINKABLE] = "unlinkable module",
      [TWINE_ERR_TRAP] = "trap",
      [TWINE_ERR_NOMEM] = "out of memory",
      [TWINE_ERR_ARG] = "invalid argument",
      [TWINE_ERR_NOTFOUND] = "not found",
      [TWINE_ERR_LIMIT] = "implementation limit exceeded",
      [TWINE_ERR_IO] = "input/output error",
      [TWINE_ERR_EXIT] = "guest exited",
  };
  if ((unsigned)status >= TWINE_STATUS_COUNT) return "unknown status";
  return names[status];
}

const char *twine_trap_kind_str(twine_trap_kind_t kind) {
  static const char *const names[TWINE_TRAP_KIND_COUNT] = {
      [TWINE_TRAP_NONE] = "no trap",
      [TWINE_TRAP_UNREACHABLE] = "unreachable",
      [TWINE_TRAP_MEMORY_OOB] = "out of bounds memory access",
      [TWINE_TRAP_TABLE_OOB] = "out of bounds table access",
      [TWINE_TRAP_UNDEFINED_ELEMENT] = "undefined element",
      [TWINE_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
      [TWINE_TRAP_INDIRECT_CALL_TYPE] = "indirect call type mismatch",
      [TWINE_TRAP_INT_DIV_ZERO] = "integer divide by zero",
      [TWINE_TRAP_INT_OVERFLOW] = "integer overflow",
      [TWINE_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
      [TWINE_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
      [TWINE_TRAP_NULL_REFERENCE] = "null reference",
      [TWINE_TRAP_HOST] = "host function error",
      [TWINE_TRAP_INTERRUPTED] = "interrupted",
      [TWINE_TRAP_EXIT] = "exit",
  };
  if ((unsigned)kind >= TWINE_TRAP_KIND_COUNT) return "unknown trap";
  return names[kind];
}

const char *twine_valkind_str(twine_valkind_t kind) {
  switch (kind) {
    case TWINE_I32: return "i32";
    case TWINE_I64: return "i64";
    case TWINE_F32: return "f32";
    case TWINE_F64: return "f64";
    case TWINE_V128: return "v128";
    case TWINE_FUNCREF: return "funcref";
    case TWINE_EXTERNREF: return "externref";
  }
  return "unknown";
}

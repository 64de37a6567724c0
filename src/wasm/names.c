/*
 * names.c - the "name" custom section (module name, function names) and
 * the lookup of a function's name.
 *
 * The name section is debugging information: a malformed one never makes
 * a module fail. Subsections are read in order; the first malformed one
 * ends the parse, keeping what the earlier subsections gave. Subsections
 * other than 0 (module name) and 1 (function names) are skipped. Function
 * names must be in strictly increasing index order, name existing
 * functions and be valid UTF-8, else the whole subsection is ignored.
 */
#include <stdlib.h>

#include "util/utf8.h"
#include "wasm/decode_int.h"

static bool rd_name(tw_reader *r, const uint8_t *b, tw_name *out) {
  uint32_t n;
  if (tw_rd_u32(r, &n) != TW_RD_OK || n > tw_rd_left(r)) return false;
  if (!tw_utf8_valid(b + r->pos, n)) return false;
  out->ptr = (const char *)b + r->pos;
  out->len = n;
  r->pos += n;
  return true;
}

/* Subsection 1 into a new array; false if malformed (nothing kept). */
static bool func_names(tw_module *m, tw_reader *r, tw_funcname **out,
                       uint32_t *nout, bool *oom) {
  uint32_t n;
  if (tw_rd_u32(r, &n) != TW_RD_OK || n > tw_rd_left(r) / 2) return false;
  if (n == 0) return tw_rd_done(r);
  tw_funcname *fn = malloc((size_t)n * sizeof *fn);
  if (!fn) {
    *oom = true;
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (tw_rd_u32(r, &fn[i].index) != TW_RD_OK ||
        fn[i].index >= m->nfuncs ||
        (i > 0 && fn[i].index <= fn[i - 1].index) ||
        !rd_name(r, m->bytes, &fn[i].name)) {
      free(fn);
      return false;
    }
  }
  if (!tw_rd_done(r)) {
    free(fn);
    return false;
  }
  *out = fn;
  *nout = n;
  return true;
}

twine_status_t tw_wasm_dec_name_section(tw_module *m, uint32_t start,
                                        uint32_t len) {
  tw_reader r = tw_reader_make(m->bytes, start, (size_t)start + len);
  int last_id = -1;
  while (!tw_rd_done(&r)) {
    uint8_t id;
    uint32_t size;
    if (tw_rd_u8(&r, &id) != TW_RD_OK || tw_rd_u32(&r, &size) != TW_RD_OK ||
        size > tw_rd_left(&r) || (int)id <= last_id)
      break;
    last_id = id;
    tw_reader sub = tw_reader_make(m->bytes, r.pos, r.pos + size);
    r.pos += size;
    if (id == 0) {
      tw_name name;
      if (!rd_name(&sub, m->bytes, &name) || !tw_rd_done(&sub)) break;
      m->module_name = name;
    } else if (id == 1) {
      bool oom = false;
      tw_funcname *fn = NULL;
      uint32_t n = 0;
      if (!func_names(m, &sub, &fn, &n, &oom)) {
        if (oom) return TWINE_ERR_NOMEM;
        break;
      }
      m->funcnames = fn;
      m->nfuncnames = n;
    }
  }
  return TWINE_OK;
}

const tw_name *tw_module_func_name(const tw_module *m, uint32_t func_index) {
  if (!m || !m->nfuncnames) return NULL;
  uint32_t lo = 0, hi = m->nfuncnames;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint32_t idx = m->funcnames[mid].index;
    if (idx == func_index) return &m->funcnames[mid].name;
    if (idx < func_index) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/*
 * decode.c - the WebAssembly 2.0 binary decoder: bytes -> tw_module.
 *
 * Owns: the module structure (magic, version, section order and sizes),
 * the sections other than code (decode_code.c) and the "name" custom
 * section (names.c), and tw_module_free.
 *
 * Invariants kept here:
 *  - The input is copied once into m->bytes; every tw_name, tw_constexpr,
 *    body and payload range points into that copy and lies inside it.
 *  - Each section is read through a reader that ends exactly at the
 *    section's end, and its content must end exactly there.
 *  - No allocation is larger than the bytes that justify it: every count is
 *    checked against the bytes from the count to the section end before
 *    anything is allocated (each element of each vector takes at least one
 *    byte). Declared locals have a module-wide budget (decode_code.c).
 *  - Type indices of functions and function imports are in range after a
 *    successful decode (module.h). An out-of-range one is not malformed but
 *    invalid, so it fails with TWINE_ERR_INVALID "unknown type".
 *  - memory.init / data.drop without a datacount section are malformed
 *    ("data count section required") when the module has a data section;
 *    without any data section they name a segment that does not exist and
 *    the validator rejects them as invalid ("unknown data segment").
 *  - Sizes of tables and memories are not limited here: memory limits are
 *    checked by the validator, table sizes at instantiation (the spec has
 *    valid modules with a 2^32-1 table maximum).
 *  - The "name" section never makes a module fail (names.c).
 *
 * Error texts follow the spec test suite's wording ("unexpected end",
 * "length out of bounds", "section size mismatch"...), prefixed with where
 * the problem is ("section 10 (code): function 3: ...").
 */
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "wasm/decode_int.h"
#include "wasm/instr.h"

enum {
  SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY,
  SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA,
  SEC_DATACOUNT, SEC_COUNT
};

static const char *const sec_names[SEC_COUNT] = {
    "custom", "type",  "import", "function", "table", "memory",   "global",
    "export", "start", "element", "code",    "data",  "datacount"};

/* Position of each non-custom section in the required order. */
static const uint8_t sec_rank[SEC_COUNT] = {
    [SEC_TYPE] = 1,    [SEC_IMPORT] = 2,  [SEC_FUNCTION] = 3,
    [SEC_TABLE] = 4,   [SEC_MEMORY] = 5,  [SEC_GLOBAL] = 6,
    [SEC_EXPORT] = 7,  [SEC_START] = 8,   [SEC_ELEMENT] = 9,
    [SEC_DATACOUNT] = 10, [SEC_CODE] = 11, [SEC_DATA] = 12};

/* ---- small readers ------------------------------------------------------ */

twine_status_t tw_wasm_dec_u32(tw_dec *d, tw_reader *r, uint32_t *v) {
  size_t at = r->pos;
  *v = 0;
  tw_rd_status s = tw_rd_u32(r, v);
  if (s == TW_RD_OK) return TWINE_OK;
  if (s == TW_RD_EOF && r->end < d->len) {
    tw_reader on = tw_reader_make(d->b, at, d->len);
    uint32_t ignored;
    tw_rd_status s2 = tw_rd_u32(&on, &ignored);
    if (s2 != TW_RD_OK && s2 != TW_RD_EOF)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at, "%s (at the end of "
                     "the section or function)", tw_rd_status_str(s2));
  }
  return TW_FAIL(d->err, TWINE_ERR_MALFORMED, s == TW_RD_EOF ? r->pos : at,
                 "%s", tw_wasm_dec_rd_msg(s));
}

twine_status_t tw_wasm_dec_len(tw_dec *d, tw_reader *r, uint32_t *n,
                               const char *what) {
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_u32(d, r, n));
  if (*n > r->end - at)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                   "length out of bounds (%s %u, %zu bytes left)", what, *n,
                   tw_rd_left(r));
  return TWINE_OK;
}

twine_status_t tw_wasm_dec_bytes(tw_dec *d, tw_reader *r, uint32_t *start,
                                 uint32_t *n, const char *what) {
  *start = 0;
  DEC_TRY(tw_wasm_dec_len(d, r, n, what));
  if (*n > tw_rd_left(r))
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->end,
                   "unexpected end of section or function (%s %u, %zu bytes "
                   "left)", what, *n, tw_rd_left(r));
  *start = (uint32_t)r->pos;
  r->pos += *n;
  return TWINE_OK;
}

static twine_status_t read_byte(tw_dec *d, tw_reader *r, uint8_t *v) {
  *v = 0;
  DEC_RD(d, r, tw_rd_u8(r, v));
  return TWINE_OK;
}

static twine_status_t read_name(tw_dec *d, tw_reader *r, tw_name *out) {
  uint32_t start, n;
  DEC_TRY(tw_wasm_dec_bytes(d, r, &start, &n, "name length"));
  if (!tw_utf8_valid(d->b + start, n))
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, start,
                   "malformed UTF-8 encoding");
  out->ptr = (const char *)d->b + start;
  out->len = n;
  return TWINE_OK;
}

twine_status_t tw_wasm_dec_valtype(tw_dec *d, tw_reader *r, tw_valtype *t) {
  uint8_t b;
  DEC_TRY(read_byte(d, r, &b));
  if (b == TW_V128)
    return TW_FAIL(d->err, TWINE_ERR_UNSUPPORTED, r->pos - 1,
                   "SIMD not supported yet (v128 value type)");
  if (!tw_valtype_known(b))
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                   "malformed value type 0x%02x", b);
  *t = b;
  return TWINE_OK;
}

static twine_status_t read_reftype(tw_dec *d, tw_reader *r, tw_valtype *t) {
  uint8_t b;
  DEC_TRY(read_byte(d, r, &b));
  if (b != TW_FUNCREF && b != TW_EXTERNREF)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                   "malformed reference type 0x%02x", b);
  *t = b;
  return TWINE_OK;
}

/* limits: 0x00 min | 0x01 min max. The flags of threads (shared, 0x02) and
 * memory64 (0x04) are not WebAssembly 2.0 and are refused. */
static twine_status_t read_limits(tw_dec *d, tw_reader *r, tw_limits *l) {
  uint8_t flags;
  DEC_TRY(read_byte(d, r, &flags));
  if (flags > 1) {
    if (flags & 0x80)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                     "integer representation too long (limits flags)");
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                   "integer too large: limits flags 0x%02x (shared memories "
                   "and memory64 are not supported)",
                   flags);
  }
  uint32_t v;
  DEC_TRY(tw_wasm_dec_u32(d, r, &v));
  l->min = v;
  l->has_max = flags == 1;
  l->max = 0;
  if (l->has_max) {
    DEC_TRY(tw_wasm_dec_u32(d, r, &v));
    l->max = v;
  }
  return TWINE_OK;
}

static twine_status_t read_tabletype(tw_dec *d, tw_reader *r,
                                     tw_tabletype *t) {
  DEC_TRY(read_reftype(d, r, &t->elem));
  return read_limits(d, r, &t->limits);
}

static twine_status_t read_globaltype(tw_dec *d, tw_reader *r,
                                      tw_globaltype *g) {
  DEC_TRY(tw_wasm_dec_valtype(d, r, &g->type));
  uint8_t mut;
  DEC_TRY(read_byte(d, r, &mut));
  if (mut > 1)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                   "malformed mutability 0x%02x", mut);
  g->mut = mut == 1;
  return TWINE_OK;
}

static twine_status_t type_index(tw_dec *d, tw_reader *r, uint32_t *idx) {
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_u32(d, r, idx));
  if (*idx >= d->m->ntypes)
    return TW_FAIL(d->err, TWINE_ERR_INVALID, at,
                   "unknown type %u (%u types)", *idx, d->m->ntypes);
  return TWINE_OK;
}

static twine_status_t nomem(tw_dec *d, size_t at) {
  return TW_FAIL(d->err, TWINE_ERR_NOMEM, at, "out of memory");
}

/* calloc of n elements; n == 0 gives NULL without failing. */
static twine_status_t alloc_array(tw_dec *d, void **out, size_t n,
                                  size_t size, size_t at) {
  *out = NULL;
  if (n == 0) return TWINE_OK;
  *out = calloc(n, size);
  return *out ? TWINE_OK : nomem(d, at);
}

/* ---- index spaces: imports first, then the module's own definitions ---- */

static twine_status_t func_space(tw_dec *d, uint32_t ndef, size_t at) {
  tw_module *m = d->m;
  uint64_t total = (uint64_t)m->nfunc_imports + ndef;
  if (total > TW_MAX_FUNCS)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, at,
                   "too many functions: %llu (limit %u)",
                   (unsigned long long)total, TW_MAX_FUNCS);
  DEC_TRY(alloc_array(d, (void **)&m->func_types, (size_t)total,
                      sizeof(uint32_t), at));
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_FUNC)
      m->func_types[k++] = m->imports[i].desc.func_type;
  m->nfuncs = (uint32_t)total;
  return TWINE_OK;
}

static twine_status_t table_space(tw_dec *d, uint32_t ndef, size_t at) {
  tw_module *m = d->m;
  uint64_t total = (uint64_t)m->ntable_imports + ndef;
  if (total > UINT32_MAX)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, at, "too many tables");
  DEC_TRY(alloc_array(d, (void **)&m->tables, (size_t)total,
                      sizeof(tw_tabletype), at));
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_TABLE)
      m->tables[k++] = m->imports[i].desc.table;
  m->ntables = (uint32_t)total;
  return TWINE_OK;
}

static twine_status_t mem_space(tw_dec *d, uint32_t ndef, size_t at) {
  tw_module *m = d->m;
  uint64_t total = (uint64_t)m->nmem_imports + ndef;
  if (total > UINT32_MAX)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, at, "too many memories");
  DEC_TRY(alloc_array(d, (void **)&m->mems, (size_t)total,
                      sizeof(tw_memtype), at));
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_MEMORY)
      m->mems[k++] = m->imports[i].desc.mem;
  m->nmems = (uint32_t)total;
  return TWINE_OK;
}

static twine_status_t global_space(tw_dec *d, uint32_t ndef, size_t at) {
  tw_module *m = d->m;
  uint64_t total = (uint64_t)m->nglobal_imports + ndef;
  if (total > UINT32_MAX)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, at, "too many globals");
  DEC_TRY(alloc_array(d, (void **)&m->global_types, (size_t)total,
                      sizeof(tw_globaltype), at));
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_GLOBAL)
      m->global_types[k++] = m->imports[i].desc.global;
  m->nglobals = (uint32_t)total;
  return TWINE_OK;
}

/* ---- sections ----------------------------------------------------------- */

static twine_status_t sec_type(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "type count"));
  if (n > TW_MAX_TYPES)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, at,
                   "too many types: %u (limit %u)", n, TW_MAX_TYPES);
  if (n == 0) return TWINE_OK;
  /* One block: the functypes, then all their value types (at most one per
   * byte left in the section). tw_module_free frees it as m->types. */
  size_t pool = tw_rd_left(r);
  tw_functype *types = calloc(1, n * sizeof(tw_functype) + pool);
  if (!types) return nomem(d, at);
  m->types = types;
  tw_valtype *vt = (tw_valtype *)(types + n);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t form;
    DEC_TRY(read_byte(d, r, &form));
    if (form != 0x60) {
      if (form & 0x80)
        return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                       "integer representation too long (function type "
                       "form 0x%02x)", form);
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                     "malformed function type 0x%02x", form);
    }
    tw_functype *ft = &types[i];
    ft->types = vt;
    for (int part = 0; part < 2; part++) {
      uint32_t k;
      at = r->pos;
      DEC_TRY(tw_wasm_dec_len(d, r, &k, part ? "result count" : "param count"));
      uint32_t lim = part ? TW_MAX_RESULTS : TW_MAX_PARAMS;
      if (k > lim)
        return TW_FAIL(d->err, TWINE_ERR_LIMIT, at, "type %u: too many %s: "
                       "%u (limit %u)", i, part ? "results" : "params", k, lim);
      for (uint32_t j = 0; j < k; j++) DEC_TRY(tw_wasm_dec_valtype(d, r, vt++));
      if (part) ft->nresults = k;
      else ft->nparams = k;
    }
    m->ntypes = i + 1;
  }
  return TWINE_OK;
}

static twine_status_t sec_import(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "import count"));
  DEC_TRY(alloc_array(d, (void **)&m->imports, n, sizeof(tw_import), r->pos));
  for (uint32_t i = 0; i < n; i++) {
    tw_import *im = &m->imports[i];
    DEC_TRY(read_name(d, r, &im->module));
    DEC_TRY(read_name(d, r, &im->name));
    DEC_TRY(read_byte(d, r, &im->kind));
    switch (im->kind) {
      case TW_EXT_FUNC:
        DEC_TRY(type_index(d, r, &im->desc.func_type));
        m->nfunc_imports++;
        break;
      case TW_EXT_TABLE:
        DEC_TRY(read_tabletype(d, r, &im->desc.table));
        m->ntable_imports++;
        break;
      case TW_EXT_MEMORY:
        DEC_TRY(read_limits(d, r, &im->desc.mem.limits));
        m->nmem_imports++;
        break;
      case TW_EXT_GLOBAL:
        DEC_TRY(read_globaltype(d, r, &im->desc.global));
        m->nglobal_imports++;
        break;
      default:
        return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                       "malformed import kind 0x%02x", im->kind);
    }
    m->nimports = i + 1;
  }
  if (m->nfunc_imports > TW_MAX_FUNCS)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, r->pos,
                   "too many functions: %u (limit %u)", m->nfunc_imports,
                   TW_MAX_FUNCS);
  return TWINE_OK;
}

static twine_status_t sec_function(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "function count"));
  DEC_TRY(func_space(d, n, at));
  DEC_TRY(alloc_array(d, (void **)&m->funcs, n, sizeof(tw_func), at));
  d->has_func_section = true;
  d->nfunc_decls = n;
  for (uint32_t i = 0; i < n; i++) {
    DEC_TRY(type_index(d, r, &m->funcs[i].type));
    m->func_types[m->nfunc_imports + i] = m->funcs[i].type;
  }
  return TWINE_OK;
}

static twine_status_t sec_table(tw_dec *d, tw_reader *r) {
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "table count"));
  DEC_TRY(table_space(d, n, at));
  for (uint32_t i = 0; i < n; i++)
    DEC_TRY(read_tabletype(d, r, &d->m->tables[d->m->ntable_imports + i]));
  return TWINE_OK;
}

static twine_status_t sec_memory(tw_dec *d, tw_reader *r) {
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "memory count"));
  DEC_TRY(mem_space(d, n, at));
  for (uint32_t i = 0; i < n; i++)
    DEC_TRY(read_limits(d, r, &d->m->mems[d->m->nmem_imports + i].limits));
  return TWINE_OK;
}

static twine_status_t sec_global(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "global count"));
  DEC_TRY(global_space(d, n, at));
  DEC_TRY(alloc_array(d, (void **)&m->globals, n, sizeof(tw_global), at));
  for (uint32_t i = 0; i < n; i++) {
    tw_global *g = &m->globals[i];
    DEC_TRY(read_globaltype(d, r, &g->type));
    m->global_types[m->nglobal_imports + i] = g->type;
    DEC_TRY(tw_wasm_dec_expr(d, r, &g->init));
  }
  return TWINE_OK;
}

static twine_status_t sec_export(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "export count"));
  DEC_TRY(alloc_array(d, (void **)&m->exports, n, sizeof(tw_export), r->pos));
  for (uint32_t i = 0; i < n; i++) {
    tw_export *ex = &m->exports[i];
    DEC_TRY(read_name(d, r, &ex->name));
    DEC_TRY(read_byte(d, r, &ex->kind));
    if (ex->kind > TW_EXT_GLOBAL)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                     "malformed export kind 0x%02x", ex->kind);
    DEC_TRY(tw_wasm_dec_u32(d, r, &ex->index));
    m->nexports = i + 1;
  }
  return TWINE_OK;
}

static twine_status_t sec_start(tw_dec *d, tw_reader *r) {
  DEC_TRY(tw_wasm_dec_u32(d, r, &d->m->start));
  d->m->has_start = true;
  return TWINE_OK;
}

/* Element segment encodings (flags):
 *   bit 0: passive or declarative (else active)
 *   bit 1: with bit 0: declarative; without: explicit table index
 *   bit 2: items are expressions (else function indices)
 * An element kind (0x00) or reference type follows unless flags & 3 == 0. */
static twine_status_t read_elem(tw_dec *d, tw_reader *r, tw_elem *e) {
  uint32_t flags;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_u32(d, r, &flags));
  if (flags > 7)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                   "malformed elements segment kind %u", flags);
  bool exprs = flags & 4;
  e->type = TW_FUNCREF;
  if (flags & 1) {
    e->mode = (flags & 2) ? TW_SEG_DECLARATIVE : TW_SEG_PASSIVE;
  } else {
    e->mode = TW_SEG_ACTIVE;
    if (flags & 2) DEC_TRY(tw_wasm_dec_u32(d, r, &e->table));
    DEC_TRY(tw_wasm_dec_expr(d, r, &e->offset));
  }
  if (flags & 3) {
    if (exprs) {
      DEC_TRY(read_reftype(d, r, &e->type));
    } else {
      uint8_t kind;
      DEC_TRY(read_byte(d, r, &kind));
      if (kind != 0)
        return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos - 1,
                       "malformed element kind 0x%02x", kind);
    }
  }
  uint32_t n;
  at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "element count"));
  if (exprs) {
    DEC_TRY(alloc_array(d, (void **)&e->exprs, n, sizeof(tw_constexpr), at));
    for (uint32_t i = 0; i < n; i++)
      DEC_TRY(tw_wasm_dec_expr(d, r, &e->exprs[i]));
  } else {
    DEC_TRY(alloc_array(d, (void **)&e->func_indices, n, sizeof(uint32_t), at));
    for (uint32_t i = 0; i < n; i++)
      DEC_TRY(tw_wasm_dec_u32(d, r, &e->func_indices[i]));
  }
  e->count = n;
  return TWINE_OK;
}

static twine_status_t sec_element(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "segment count"));
  DEC_TRY(alloc_array(d, (void **)&m->elems, n, sizeof(tw_elem), r->pos));
  for (uint32_t i = 0; i < n; i++) {
    m->nelems = i + 1; /* so that a half-read segment is freed */
    twine_status_t st = read_elem(d, r, &m->elems[i]);
    if (st) {
      tw_err_prefix(d->err, "segment %u: ", i);
      return st;
    }
  }
  return TWINE_OK;
}

static twine_status_t sec_datacount(tw_dec *d, tw_reader *r) {
  DEC_TRY(tw_wasm_dec_u32(d, r, &d->m->datacount));
  d->m->has_datacount = true;
  return TWINE_OK;
}

static twine_status_t read_data(tw_dec *d, tw_reader *r, tw_data *s) {
  uint32_t flags;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_u32(d, r, &flags));
  switch (flags) {
    case 0:
      s->mode = TW_SEG_ACTIVE;
      DEC_TRY(tw_wasm_dec_expr(d, r, &s->offset));
      break;
    case 1:
      s->mode = TW_SEG_PASSIVE;
      break;
    case 2:
      s->mode = TW_SEG_ACTIVE;
      DEC_TRY(tw_wasm_dec_u32(d, r, &s->memory));
      DEC_TRY(tw_wasm_dec_expr(d, r, &s->offset));
      break;
    default:
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                     "malformed data segment kind %u", flags);
  }
  return tw_wasm_dec_bytes(d, r, &s->start, &s->len, "data length");
}

static twine_status_t sec_data(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  d->has_data_section = true;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "segment count"));
  DEC_TRY(alloc_array(d, (void **)&m->datas, n, sizeof(tw_data), r->pos));
  for (uint32_t i = 0; i < n; i++) {
    twine_status_t st = read_data(d, r, &m->datas[i]);
    if (st) {
      tw_err_prefix(d->err, "segment %u: ", i);
      return st;
    }
    m->ndatas = i + 1;
  }
  return TWINE_OK;
}

typedef TW_VEC(tw_custom) custom_vec;

static twine_status_t sec_custom(tw_dec *d, tw_reader *r, custom_vec *cv) {
  tw_custom c;
  DEC_TRY(read_name(d, r, &c.name));
  c.start = (uint32_t)r->pos;
  c.len = (uint32_t)tw_rd_left(r);
  r->pos = r->end;
  if (!TW_VEC_PUSH(cv, c)) return nomem(d, c.start);
  return TWINE_OK;
}

static twine_status_t section(tw_dec *d, unsigned id, tw_reader *r,
                              custom_vec *cv) {
  switch (id) {
    case SEC_CUSTOM: return sec_custom(d, r, cv);
    case SEC_TYPE: return sec_type(d, r);
    case SEC_IMPORT: return sec_import(d, r);
    case SEC_FUNCTION: return sec_function(d, r);
    case SEC_TABLE: return sec_table(d, r);
    case SEC_MEMORY: return sec_memory(d, r);
    case SEC_GLOBAL: return sec_global(d, r);
    case SEC_EXPORT: return sec_export(d, r);
    case SEC_START: return sec_start(d, r);
    case SEC_ELEMENT: return sec_element(d, r);
    case SEC_CODE: return tw_wasm_dec_code_section(d, r);
    case SEC_DATA: return sec_data(d, r);
    case SEC_DATACOUNT: return sec_datacount(d, r);
  }
  return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos, "malformed section id");
}

/* ---- the module ---------------------------------------------------------- */

static twine_status_t header(tw_dec *d) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  if (d->len < 4)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, d->len, "unexpected end");
  if (memcmp(d->b, magic, 4) != 0)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, 0, "magic header not detected");
  if (d->len < 8)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, d->len, "unexpected end");
  if (memcmp(d->b + 4, version, 4) != 0)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, 4,
                   "unknown binary version 0x%02x%02x%02x%02x", d->b[7],
                   d->b[6], d->b[5], d->b[4]);
  return TWINE_OK;
}

/* Checks that need the whole module, then the arrays of index spaces whose
 * defining section was absent. */
static twine_status_t finish(tw_dec *d) {
  tw_module *m = d->m;
  if (d->nfunc_decls > 0 && !d->has_code_section)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, d->len,
                   "function and code section have inconsistent lengths "
                   "(%u functions, no code section)", d->nfunc_decls);
  if (m->has_datacount && m->datacount != m->ndatas)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, d->len,
                   "data count and data section have inconsistent lengths "
                   "(%u and %u)", m->datacount, m->ndatas);
  /* Without a data section, a memory.init or data.drop names a segment
   * that does not exist: the validator rejects the module as invalid
   * ("unknown data segment"), so do not call it malformed here. */
  if (!m->has_datacount && d->has_data_section && d->data_use_at)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, d->data_use_at - 1,
                   "section 10 (code): function %u: data count section "
                   "required (memory.init or data.drop without one)",
                   d->data_use_func);
  if (!d->has_func_section && m->nfunc_imports)
    DEC_TRY(func_space(d, 0, d->len));
  if (!m->tables && m->ntable_imports) DEC_TRY(table_space(d, 0, d->len));
  if (!m->mems && m->nmem_imports) DEC_TRY(mem_space(d, 0, d->len));
  if (!m->global_types && m->nglobal_imports)
    DEC_TRY(global_space(d, 0, d->len));
  return tw_wasm_dec_attach_locals(d);
}

static twine_status_t decode_module(tw_dec *d, custom_vec *cv) {
  DEC_TRY(header(d));
  size_t pos = 8;
  unsigned last_rank = 0;
  bool have_names = false;
  uint32_t names_start = 0, names_len = 0;
  while (pos < d->len) {
    size_t sec_at = pos;
    uint8_t id = d->b[pos++];
    if (id >= SEC_COUNT)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, sec_at,
                     "malformed section id %u", id);
    tw_reader hr = tw_reader_make(d->b, pos, d->len);
    uint32_t size;
    tw_rd_status s = tw_rd_u32(&hr, &size);
    if (s != TW_RD_OK)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, s == TW_RD_EOF ? hr.pos : pos,
                     "section %u (%s): %s", id, sec_names[id],
                     tw_rd_status_str(s));
    if (size > tw_rd_left(&hr))
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, pos,
                     "section %u (%s): length out of bounds (size %u, %zu "
                     "bytes left)", id, sec_names[id], size, tw_rd_left(&hr));
    if (id != SEC_CUSTOM) {
      if (sec_rank[id] <= last_rank)
        return TW_FAIL(d->err, TWINE_ERR_MALFORMED, sec_at,
                       "section %u (%s): unexpected content after last "
                       "section (section duplicated or out of order)",
                       id, sec_names[id]);
      last_rank = sec_rank[id];
    }
    tw_reader r = tw_reader_make(d->b, hr.pos, hr.pos + size);
    twine_status_t st = section(d, id, &r, cv);
    if (st == TWINE_OK && r.pos != r.end)
      st = TW_FAIL(d->err, TWINE_ERR_MALFORMED, r.pos,
                   "section size mismatch (%zu bytes left over)",
                   r.end - r.pos);
    if (st) {
      tw_err_prefix(d->err, "section %u (%s): ", id, sec_names[id]);
      return st;
    }
    if (id == SEC_CUSTOM && !have_names) {
      const tw_custom *c = &cv->data[cv->len - 1];
      if (c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0) {
        have_names = true;
        names_start = c->start;
        names_len = c->len;
      }
    }
    pos = r.end;
  }
  DEC_TRY(finish(d));
  if (have_names && tw_wasm_dec_name_section(d->m, names_start, names_len))
    return nomem(d, names_start);
  return TWINE_OK;
}

twine_status_t tw_wasm_decode(const uint8_t *bytes, size_t len,
                              tw_module **out, tw_err *err) {
  if (!out || (!bytes && len))
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "invalid argument");
  if (len > UINT32_MAX)
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX,
                   "module too large: %zu bytes (limit 4 GiB)", len);
  tw_module *m = calloc(1, sizeof *m);
  if (!m) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  m->bytes = malloc(len ? len : 1);
  if (!m->bytes) {
    free(m);
    return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->size = len;

  tw_dec d = {0};
  d.m = m;
  d.err = err;
  d.b = m->bytes;
  d.len = len;
  d.locals_budget = ((size_t)1 << 24) + 8 * len;
  custom_vec cv = {0};
  twine_status_t st = decode_module(&d, &cv);
  TW_VEC_FREE(&d.ctl);
  TW_VEC_FREE(&d.locals);
  free(d.locals_off);
  m->customs = cv.data;
  m->ncustoms = (uint32_t)cv.len;
  if (st) {
    tw_module_free(m);
    return st;
  }
  *out = m;
  return TWINE_OK;
}

void tw_module_free(tw_module *m) {
  if (!m) return;
  free(m->types); /* the value types live in the same block */
  free(m->imports);
  free(m->func_types);
  free(m->funcs); /* the locals live in the same block */
  free(m->tables);
  free(m->mems);
  free(m->global_types);
  free(m->globals);
  free(m->exports);
  for (uint32_t i = 0; i < m->nelems; i++) {
    free(m->elems[i].func_indices);
    free(m->elems[i].exprs);
  }
  free(m->elems);
  free(m->datas);
  free(m->funcnames);
  free(m->customs);
  free(m->declared_refs);
  free(m->bytes);
  free(m);
}

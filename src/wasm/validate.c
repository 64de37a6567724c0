/*
 * validate.c - the WebAssembly 2.0 validator (module-level rules).
 *
 * Owns tw_wasm_validate: the typing rules of the spec for a decoded module
 * (MVP + sign extension + non-trapping float-to-int + multi-value +
 * reference types + bulk memory). It checks, in this order: function type
 * indices, imports, tables, memories, globals, element and data segments,
 * exports, the start function, then every function body (validate_code.c).
 *
 * It trusts nothing in the IR beyond what module.h promises about byte
 * ranges; every index is range-checked here. Constant expressions may only
 * use t.const, ref.null, ref.func and global.get of an *imported, immutable*
 * global (the rule of this spec version, for globals, elem and data alike).
 *
 * Side effect on success: m->declared_refs (C.refs of the spec), one bit per
 * function, set for every function index that occurs outside function
 * bodies and the start section: exports, element segments and all constant
 * expressions. ref.func in a body may only name those functions.
 *
 * Messages carry the spec's wording ("type mismatch", "unknown global 1",
 * ...) after a context prefix such as "global 3: " or "function 5 at offset
 * 0x1a3: ".
 */
#include <stdlib.h>
#include <string.h>

#include "wasm/instr.h"
#include "wasm/validate_internal.h"

#define MAX_TABLE_LIMIT 0xFFFFFFFFull

#define TRY(x)                       \
  do {                               \
    twine_status_t s_ = (x);         \
    if (s_ != TWINE_OK) return s_;   \
  } while (0)

#define INVALID(err, off, ...) TW_FAIL((err), TWINE_ERR_INVALID, (off), __VA_ARGS__)

static size_t name_offset(const tw_module *m, const tw_name *n) {
  if (!n->ptr || (const uint8_t *)n->ptr < m->bytes ||
      (const uint8_t *)n->ptr > m->bytes + m->size)
    return SIZE_MAX;
  return (size_t)((const uint8_t *)n->ptr - m->bytes);
}

static void mark_ref(tw_module *m, uint32_t f) {
  if (f < m->nfuncs) m->declared_refs[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* ---- types and limits --------------------------------------------------- */

static twine_status_t check_type_index(const tw_module *m, uint32_t t,
                                       tw_err *err) {
  if (t >= m->ntypes) return INVALID(err, SIZE_MAX, "unknown type %u", t);
  return TWINE_OK;
}

static twine_status_t check_table_type(const tw_tabletype *tt, tw_err *err) {
  const tw_limits *l = &tt->limits;
  if (tt->elem != TW_FUNCREF && tt->elem != TW_EXTERNREF)
    return INVALID(err, SIZE_MAX, "type mismatch: table of %s",
                   tw_valtype_name(tt->elem));
  if (l->min > MAX_TABLE_LIMIT || (l->has_max && l->max > MAX_TABLE_LIMIT))
    return INVALID(err, SIZE_MAX, "table size must be at most 2^32-1");
  if (l->has_max && l->min > l->max)
    return INVALID(err, SIZE_MAX,
                   "size minimum must not be greater than maximum");
  return TWINE_OK;
}

static twine_status_t check_mem_type(const tw_memtype *mt, tw_err *err) {
  const tw_limits *l = &mt->limits;
  if (l->min > TW_MAX_PAGES || (l->has_max && l->max > TW_MAX_PAGES))
    return INVALID(err, SIZE_MAX,
                   "memory size must be at most 65536 pages (4GiB)");
  if (l->has_max && l->min > l->max)
    return INVALID(err, SIZE_MAX,
                   "size minimum must not be greater than maximum");
  return TWINE_OK;
}

/* ---- constant expressions ----------------------------------------------- */

/* Validate constant expression `e`, which must produce one value of type
 * `want`; ref.func indices are added to C.refs. */
static twine_status_t check_const(tw_module *m, const tw_constexpr *e,
                                  tw_valtype want, tw_err *err) {
  if (e->start >= e->end || e->end > m->size)
    return TW_FAIL(err, TWINE_ERR_MALFORMED, e->start,
                   "bad constant expression range");
  tw_reader r = tw_reader_make(m->bytes, e->start, e->end);
  uint64_t depth = 0; /* values on the stack */
  tw_valtype first = 0;
  bool ended = false;
  while (!tw_rd_done(&r)) {
    tw_instr in;
    TRY(tw_wasm_read_instr(&r, &in, err));
    if (ended)
      return INVALID(err, in.offset, "constant expression required");
    tw_valtype t;
    switch (in.op) {
      case TW_OP_i32_const: t = TW_I32; break;
      case TW_OP_i64_const: t = TW_I64; break;
      case TW_OP_f32_const: t = TW_F32; break;
      case TW_OP_f64_const: t = TW_F64; break;
      case TW_OP_ref_null: t = in.imm.reftype; break;
      case TW_OP_ref_func:
        if (in.imm.index >= m->nfuncs)
          return INVALID(err, in.offset, "unknown function %u", in.imm.index);
        mark_ref(m, in.imm.index);
        t = TW_FUNCREF;
        break;
      case TW_OP_global_get: {
        uint32_t g = in.imm.index;
        /* Only imported globals are visible in constant expressions. */
        if (g >= m->nglobal_imports || g >= m->nglobals)
          return INVALID(err, in.offset, "unknown global %u", g);
        if (m->global_types[g].mut)
          return INVALID(err, in.offset,
                         "constant expression required (global %u is "
                         "mutable)", g);
        t = m->global_types[g].type;
        break;
      }
      case TW_OP_end:
        ended = true;
        continue;
      default:
        return INVALID(err, in.offset,
                       "constant expression required (%s is not constant)",
                       tw_opinfo_table[in.op].name);
    }
    if (depth++ == 0) first = t;
  }
  if (!ended)
    return TW_FAIL(err, TWINE_ERR_MALFORMED, e->end, "END opcode expected");
  if (depth != 1 || first != want) {
    if (depth == 0)
      return INVALID(err, e->start,
                     "type mismatch: constant expression is empty, "
                     "expected %s", tw_valtype_name(want));
    if (depth > 1)
      return INVALID(err, e->start,
                     "type mismatch: constant expression leaves %llu values",
                     (unsigned long long)depth);
    return INVALID(err, e->start,
                   "type mismatch: constant expression of type %s, "
                   "expected %s", tw_valtype_name(first),
                   tw_valtype_name(want));
  }
  return TWINE_OK;
}

/* ---- sections ----------------------------------------------------------- */

static twine_status_t check_imports(const tw_module *m, tw_err *err) {
  for (uint32_t i = 0; i < m->nimports; i++) {
    const tw_import *im = &m->imports[i];
    twine_status_t s = TWINE_OK;
    switch (im->kind) {
      case TW_EXT_FUNC: s = check_type_index(m, im->desc.func_type, err); break;
      case TW_EXT_TABLE: s = check_table_type(&im->desc.table, err); break;
      case TW_EXT_MEMORY: s = check_mem_type(&im->desc.mem, err); break;
      case TW_EXT_GLOBAL: break;
      default:
        s = TW_FAIL(err, TWINE_ERR_MALFORMED, SIZE_MAX, "bad import kind %u",
                    im->kind);
    }
    if (s != TWINE_OK) {
      err->offset = name_offset(m, &im->module);
      tw_err_prefix(err, "import %u: ", i);
      return s;
    }
  }
  return TWINE_OK;
}

static twine_status_t check_funcs(const tw_module *m, tw_err *err) {
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    if (m->func_types[i] >= m->ntypes) {
      TRY(INVALID(err, i >= m->nfunc_imports
                           ? m->funcs[i - m->nfunc_imports].code_start
                           : SIZE_MAX,
                  "function %u: unknown type %u", i, m->func_types[i]));
    }
  }
  return TWINE_OK;
}

static twine_status_t check_tables_mems(const tw_module *m, tw_err *err) {
  for (uint32_t i = 0; i < m->ntables; i++) {
    twine_status_t s = check_table_type(&m->tables[i], err);
    if (s != TWINE_OK) {
      tw_err_prefix(err, "table %u: ", i);
      return s;
    }
  }
  if (m->nmems > 1)
    return INVALID(err, SIZE_MAX, "multiple memories (%u)", m->nmems);
  for (uint32_t i = 0; i < m->nmems; i++) {
    twine_status_t s = check_mem_type(&m->mems[i], err);
    if (s != TWINE_OK) {
      tw_err_prefix(err, "memory %u: ", i);
      return s;
    }
  }
  return TWINE_OK;
}

static twine_status_t check_globals(tw_module *m, tw_err *err) {
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
    const tw_global *g = &m->globals[i - m->nglobal_imports];
    twine_status_t s = check_const(m, &g->init, g->type.type, err);
    if (s != TWINE_OK) {
      tw_err_prefix(err, "global %u: ", i);
      return s;
    }
  }
  return TWINE_OK;
}

static twine_status_t check_elem(tw_module *m, const tw_elem *e, tw_err *err) {
  if (e->type != TW_FUNCREF && e->type != TW_EXTERNREF)
    return INVALID(err, SIZE_MAX, "type mismatch: segment of %s",
                   tw_valtype_name(e->type));
  if (e->mode == TW_SEG_ACTIVE) {
    if (e->table >= m->ntables)
      return INVALID(err, e->offset.start, "unknown table %u", e->table);
    if (m->tables[e->table].elem != e->type)
      return INVALID(err, e->offset.start,
                     "type mismatch: %s segment for %s table %u",
                     tw_valtype_name(e->type),
                     tw_valtype_name(m->tables[e->table].elem), e->table);
    TRY(check_const(m, &e->offset, TW_I32, err));
  } else if (e->mode != TW_SEG_PASSIVE && e->mode != TW_SEG_DECLARATIVE) {
    return TW_FAIL(err, TWINE_ERR_MALFORMED, SIZE_MAX, "bad segment mode");
  }
  if (e->count == 0) return TWINE_OK;
  if (e->func_indices) {
    if (e->type != TW_FUNCREF)
      return INVALID(err, SIZE_MAX,
                     "type mismatch: function indices in a %s segment",
                     tw_valtype_name(e->type));
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->func_indices[k] >= m->nfuncs)
        return INVALID(err, SIZE_MAX, "unknown function %u",
                       e->func_indices[k]);
      mark_ref(m, e->func_indices[k]);
    }
  } else if (e->exprs) {
    for (uint32_t k = 0; k < e->count; k++)
      TRY(check_const(m, &e->exprs[k], e->type, err));
  } else {
    return TW_FAIL(err, TWINE_ERR_MALFORMED, SIZE_MAX,
                   "segment without items");
  }
  return TWINE_OK;
}

static twine_status_t check_segments(tw_module *m, tw_err *err) {
  for (uint32_t i = 0; i < m->nelems; i++) {
    twine_status_t s = check_elem(m, &m->elems[i], err);
    if (s != TWINE_OK) {
      tw_err_prefix(err, "element segment %u: ", i);
      return s;
    }
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const tw_data *d = &m->datas[i];
    twine_status_t s = TWINE_OK;
    if (d->mode == TW_SEG_ACTIVE) {
      if (d->memory >= m->nmems)
        s = INVALID(err, d->offset.start, "unknown memory %u", d->memory);
      else
        s = check_const(m, &d->offset, TW_I32, err);
    } else if (d->mode != TW_SEG_PASSIVE) {
      s = TW_FAIL(err, TWINE_ERR_MALFORMED, SIZE_MAX, "bad segment mode");
    }
    if (s != TWINE_OK) {
      tw_err_prefix(err, "data segment %u: ", i);
      return s;
    }
  }
  return TWINE_OK;
}

typedef struct export_key {
  const char *ptr;
  uint32_t len;
  uint32_t index;
} export_key;

static int cmp_export_key(const void *pa, const void *pb) {
  const export_key *a = pa, *b = pb;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  int c = a->len ? memcmp(a->ptr, b->ptr, a->len) : 0;
  if (c) return c;
  return a->index < b->index ? -1 : a->index > b->index;
}

static twine_status_t check_exports(tw_module *m, tw_err *err) {
  for (uint32_t i = 0; i < m->nexports; i++) {
    const tw_export *ex = &m->exports[i];
    size_t off = name_offset(m, &ex->name);
    uint32_t x = ex->index;
    switch (ex->kind) {
      case TW_EXT_FUNC:
        if (x >= m->nfuncs)
          return INVALID(err, off, "export %u: unknown function %u", i, x);
        mark_ref(m, x);
        break;
      case TW_EXT_TABLE:
        if (x >= m->ntables)
          return INVALID(err, off, "export %u: unknown table %u", i, x);
        break;
      case TW_EXT_MEMORY:
        if (x >= m->nmems)
          return INVALID(err, off, "export %u: unknown memory %u", i, x);
        break;
      case TW_EXT_GLOBAL:
        if (x >= m->nglobals)
          return INVALID(err, off, "export %u: unknown global %u", i, x);
        break;
      default:
        return TW_FAIL(err, TWINE_ERR_MALFORMED, off,
                       "export %u: bad export kind %u", i, ex->kind);
    }
  }
  if (m->nexports < 2) return TWINE_OK;
  export_key *keys = malloc((size_t)m->nexports * sizeof *keys);
  if (!keys) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  for (uint32_t i = 0; i < m->nexports; i++) {
    keys[i].ptr = m->exports[i].name.ptr;
    keys[i].len = m->exports[i].name.ptr ? m->exports[i].name.len : 0;
    keys[i].index = i;
  }
  qsort(keys, m->nexports, sizeof *keys, cmp_export_key);
  twine_status_t s = TWINE_OK;
  for (uint32_t i = 1; i < m->nexports; i++) {
    const export_key *a = &keys[i - 1], *b = &keys[i];
    if (a->len == b->len && (a->len == 0 || !memcmp(a->ptr, b->ptr, a->len))) {
      int shown = b->len > 40 ? 40 : (int)b->len;
      s = INVALID(err, name_offset(m, &m->exports[b->index].name),
                  "export %u: duplicate export name \"%.*s\"", b->index,
                  shown, b->ptr ? b->ptr : "");
      break;
    }
  }
  free(keys);
  return s;
}

static twine_status_t check_start(const tw_module *m, tw_err *err) {
  if (!m->has_start) return TWINE_OK;
  if (m->start >= m->nfuncs)
    return INVALID(err, SIZE_MAX, "start function: unknown function %u",
                   m->start);
  const tw_functype *ft = tw_module_func_type(m, m->start);
  if (ft->nparams != 0 || ft->nresults != 0)
    return INVALID(err, SIZE_MAX,
                   "start function %u must have type [] -> [], has %u "
                   "params and %u results", m->start, ft->nparams,
                   ft->nresults);
  return TWINE_OK;
}

static twine_status_t check_bodies(const tw_module *m, tw_err *err) {
  if (m->nfuncs == m->nfunc_imports) return TWINE_OK;
  tw_wasm_vcode *vc = tw_wasm_vcode_new();
  if (!vc) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  twine_status_t s = TWINE_OK;
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs && s == TWINE_OK; i++)
    s = tw_wasm_validate_func(m, i, vc, err);
  tw_wasm_vcode_free(vc);
  return s;
}

twine_status_t tw_wasm_validate(tw_module *m, tw_err *err) {
  tw_err scratch;
  if (!err) err = &scratch;
  if (!m) return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "no module");
  free(m->declared_refs);
  m->declared_refs = calloc((size_t)(m->nfuncs / 8u) + 1u, 1);
  if (!m->declared_refs)
    return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");

  twine_status_t s = check_funcs(m, err);
  if (s == TWINE_OK) s = check_imports(m, err);
  if (s == TWINE_OK) s = check_tables_mems(m, err);
  if (s == TWINE_OK) s = check_globals(m, err);
  if (s == TWINE_OK) s = check_segments(m, err);
  if (s == TWINE_OK) s = check_exports(m, err);
  if (s == TWINE_OK) s = check_start(m, err);
  if (s == TWINE_OK) s = check_bodies(m, err);
  if (s != TWINE_OK) {
    free(m->declared_refs);
    m->declared_refs = NULL;
  }
  return s;
}

/*
 * instance.c - instantiation (WebAssembly 2.0 order), constant expressions
 * and instance lookups.
 *
 * Steps of twine_instance_new:
 *   1. check the imports: count, kind, owner store, extern type
 *      (TWINE_ERR_UNLINKABLE with a message naming module.field and the
 *      expected and actual types);
 *   2. allocate the instance (adopted by the store at once, so a half-built
 *      instance is freed with the store and never leaks), its functions,
 *      tables (null-filled), memories, globals (initialisers evaluated in
 *      order), exports, and the references of every element segment;
 *   3. active element segments in order (bounds check, copy, drop), drop
 *      the declarative ones; then active data segments in order (bounds
 *      check, copy, drop); a failing check traps and stops, leaving earlier
 *      writes to imported tables/memories in place, as the spec requires;
 *   4. the start function.
 *
 * Memory layout: an instance is the public struct inside tw_instbox, which
 * also owns two blocks: all defined functions (funcs[nfunc_imports..]
 * point into func_block) and all defined globals (globals[nglobal_imports
 * ..] point into global_block). Tables and memories are separate store
 * objects because other instances may import them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "rt/rt_local.h"
#include "wasm/instr.h"

typedef struct tw_instbox {
  struct twine_instance pub; /* first member: &box->pub == (void *)box */
  twine_func_t *func_block;
  twine_global_t *global_block;
} tw_instbox;

void tw_rt_instance_free(twine_instance_t *inst) {
  if (!inst) return;
  tw_instbox *box = (tw_instbox *)inst;
  const tw_module *m = inst->module->m;
  if (inst->elems)
    for (uint32_t i = 0; i < m->nelems; i++) free(inst->elems[i].refs);
  free(inst->funcs);
  free(inst->tables);
  free(inst->mems);
  free(inst->globals);
  free(inst->elems);
  free(inst->data_dropped);
  free(inst->exports);
  free(box->func_block);
  free(box->global_block);
  tw_rt_module_release(inst->module);
  free(box);
}

/* ---- constant expressions --------------------------------------------------- */

#define TW_RT_CONST_STACK 16

twine_status_t tw_rt_const_eval(const twine_instance_t *inst, tw_constexpr ce,
                                tw_slot *out, tw_err *err) {
  const tw_module *m = inst->module->m;
  if (ce.start > ce.end || ce.end > m->size)
    return TW_FAIL(err, TWINE_ERR_INVALID, ce.start,
                   "constant expression out of range");
  /* Each instruction is at least one byte, so the operand stack never
   * holds more values than the expression has bytes. */
  size_t cap = ce.end - ce.start;
  tw_slot small[TW_RT_CONST_STACK];
  tw_slot *stack = cap <= TW_RT_CONST_STACK ? small : malloc(cap * sizeof *stack);
  if (!stack) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  size_t sp = 0;
  twine_status_t st = TWINE_OK;
  tw_reader r = tw_reader_make(m->bytes, ce.start, ce.end);
  bool ended = false;
  while (!ended) {
    tw_instr in;
    size_t at = r.pos;
    st = tw_wasm_read_instr(&r, &in, err);
    if (st != TWINE_OK) break;
    tw_slot v;
    v.i64 = 0;
    bool push = true;
    switch (in.op) {
      case TW_OP_i32_const: v.i32 = (uint32_t)in.imm.i32; break;
      case TW_OP_i64_const: v.i64 = (uint64_t)in.imm.i64; break;
      case TW_OP_f32_const: v.i32 = in.imm.f32; break;
      case TW_OP_f64_const: v.i64 = in.imm.f64; break;
      case TW_OP_ref_null: v.ref = NULL; break;
      case TW_OP_ref_func:
        if (in.imm.index >= m->nfuncs || !inst->funcs[in.imm.index]) goto bad;
        v.ref = inst->funcs[in.imm.index];
        break;
      case TW_OP_global_get:
        if (in.imm.index >= m->nglobals || !inst->globals[in.imm.index])
          goto bad;
        v = inst->globals[in.imm.index]->value;
        break;
      case TW_OP_i32_add:
      case TW_OP_i32_sub:
      case TW_OP_i32_mul:
      case TW_OP_i64_add:
      case TW_OP_i64_sub:
      case TW_OP_i64_mul: {
        if (sp < 2) goto bad;
        tw_slot a = stack[sp - 2], b = stack[sp - 1];
        sp -= 2;
        switch (in.op) {
          case TW_OP_i32_add: v.i32 = a.i32 + b.i32; break;
          case TW_OP_i32_sub: v.i32 = a.i32 - b.i32; break;
          case TW_OP_i32_mul: v.i32 = a.i32 * b.i32; break;
          case TW_OP_i64_add: v.i64 = a.i64 + b.i64; break;
          case TW_OP_i64_sub: v.i64 = a.i64 - b.i64; break;
          default: v.i64 = a.i64 * b.i64; break;
        }
        break;
      }
      case TW_OP_end:
        ended = true;
        push = false;
        break;
      default:
      bad:
        st = TW_FAIL(err, TWINE_ERR_INVALID, at,
                     "unsupported constant expression instruction");
        goto done;
    }
    if (push) {
      if (sp == cap) goto bad;
      stack[sp++] = v;
    }
  }
  if (st == TWINE_OK) {
    if (sp != 1)
      st = TW_FAIL(err, TWINE_ERR_INVALID, ce.start,
                   "constant expression must produce one value");
    else *out = stack[0];
  }
done:
  if (stack != small) free(stack);
  return st;
}

tw_slot tw_rt_eval_const(const twine_instance_t *inst, tw_constexpr ce) {
  tw_slot v;
  v.i64 = 0;
  if (tw_rt_const_eval(inst, ce, &v, NULL) != TWINE_OK) v.i64 = 0;
  return v;
}

/* ---- import matching --------------------------------------------------------- */

static bool limits_match(uint64_t actual_min, const tw_limits *actual,
                         const tw_limits *expected) {
  if (actual_min < expected->min) return false;
  if (!expected->has_max) return true;
  return actual->has_max && actual->max <= expected->max;
}

static void *extern_ptr(const twine_extern_t *ext) {
  switch (ext->kind) {
    case TWINE_EXTERN_FUNC: return ext->of.func;
    case TWINE_EXTERN_TABLE: return ext->of.table;
    case TWINE_EXTERN_MEMORY: return ext->of.memory;
    case TWINE_EXTERN_GLOBAL: return ext->of.global;
  }
  return NULL;
}

static twine_store_t *extern_store(const twine_extern_t *ext) {
  switch (ext->kind) {
    case TWINE_EXTERN_FUNC: return ext->of.func->store;
    case TWINE_EXTERN_TABLE: return ext->of.table->store;
    case TWINE_EXTERN_MEMORY: return ext->of.memory->store;
    case TWINE_EXTERN_GLOBAL: return ext->of.global->store;
  }
  return NULL;
}

static bool import_matches(const twine_module_t *mod, const tw_import *im,
                           const twine_extern_t *ext) {
  if ((int)ext->kind != (int)im->kind) return false;
  switch (im->kind) {
    case TW_EXT_FUNC:
      return ext->of.func->type_id == mod->type_ids[im->desc.func_type];
    case TW_EXT_TABLE: {
      const twine_table_t *t = ext->of.table;
      return t->elem == im->desc.table.elem &&
             limits_match(t->size, &t->limits, &im->desc.table.limits);
    }
    case TW_EXT_MEMORY: {
      const twine_memory_t *mem = ext->of.memory;
      return limits_match(mem->pages, &mem->limits, &im->desc.mem.limits);
    }
    default: {
      const twine_global_t *g = ext->of.global;
      return g->type.type == im->desc.global.type &&
             g->type.mut == im->desc.global.mut;
    }
  }
}

static twine_status_t check_imports(twine_store_t *store,
                                    const twine_module_t *mod,
                                    const twine_extern_t *imports,
                                    size_t nimports, tw_err *err) {
  const tw_module *m = mod->m;
  if (nimports != m->nimports)
    return TW_FAIL(err, TWINE_ERR_UNLINKABLE, SIZE_MAX,
                   "wrong number of imports: the module needs %u, got %zu",
                   m->nimports, nimports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const tw_import *im = &m->imports[i];
    const twine_extern_t *ext = &imports[i];
    char mname[64], fname[64];
    tw_rt_fmt_name(im->module.ptr, im->module.len, mname, sizeof mname);
    tw_rt_fmt_name(im->name.ptr, im->name.len, fname, sizeof fname);
    if ((unsigned)ext->kind > TWINE_EXTERN_GLOBAL || !extern_ptr(ext))
      return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                     "import %u (%s.%s): no object given", i, mname, fname);
    if (extern_store(ext) != store)
      return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                     "import %u (%s.%s): object belongs to another store", i,
                     mname, fname);
    if (!import_matches(mod, im, ext)) {
      char want[80], got[80];
      tw_rt_fmt_import_type(m, im, want, sizeof want);
      tw_rt_fmt_extern(ext, got, sizeof got);
      return TW_FAIL(err, TWINE_ERR_UNLINKABLE, SIZE_MAX,
                     "incompatible import type for %s.%s: expected %s, got %s",
                     mname, fname, want, got);
    }
  }
  return TWINE_OK;
}

/* ---- allocation ------------------------------------------------------------------ */

static twine_status_t oom(tw_err *err) {
  return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
}

static twine_status_t alloc_funcs(tw_instbox *box, const twine_extern_t *imports,
                                  tw_err *err) {
  twine_instance_t *inst = &box->pub;
  const twine_module_t *mod = inst->module;
  const tw_module *m = mod->m;
  uint32_t nimp = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_FUNC) inst->funcs[nimp++] = imports[i].of.func;
  uint32_t ndef = m->nfuncs - m->nfunc_imports;
  box->func_block = tw_rt_calloc(ndef, sizeof *box->func_block);
  if (!box->func_block) return oom(err);
  for (uint32_t i = 0; i < ndef; i++) {
    twine_func_t *f = &box->func_block[i];
    uint32_t index = m->nfunc_imports + i;
    uint32_t ti = m->func_types[index];
    f->store = inst->store;
    f->kind = TW_FUNC_WASM;
    f->type_id = mod->type_ids[ti];
    f->type = &m->types[ti];
    f->inst = inst;
    f->index = index;
    f->code = tw_interp_code(mod->interp, i);
    inst->funcs[index] = f;
  }
  return TWINE_OK;
}

static twine_status_t alloc_tables(twine_instance_t *inst,
                                   const twine_extern_t *imports, tw_err *err) {
  const tw_module *m = inst->module->m;
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_TABLE) inst->tables[n++] = imports[i].of.table;
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
    twine_table_t *t;
    twine_status_t st = tw_rt_table_new(inst->store, &m->tables[i], NULL, &t);
    if (st == TWINE_ERR_LIMIT)
      return TW_FAIL(err, st, SIZE_MAX,
                     "table %u: %llu elements exceed the limit of %u", i,
                     (unsigned long long)m->tables[i].limits.min,
                     TW_MAX_TABLE_SIZE);
    if (st != TWINE_OK) return oom(err);
    if (tw_rt_store_adopt(inst->store, TW_EXT_TABLE, t) != TWINE_OK) {
      tw_rt_table_free(t);
      return oom(err);
    }
    inst->tables[i] = t;
  }
  return TWINE_OK;
}

static twine_status_t alloc_mems(twine_instance_t *inst,
                                 const twine_extern_t *imports, tw_err *err) {
  const tw_module *m = inst->module->m;
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_MEMORY) inst->mems[n++] = imports[i].of.memory;
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
    twine_memory_t *mem;
    twine_status_t st =
        tw_rt_memory_create(inst->store, &m->mems[i].limits, &mem, err);
    if (st != TWINE_OK) {
      tw_err_prefix(err, "memory %u: ", i);
      return st;
    }
    if (tw_rt_store_adopt(inst->store, TW_EXT_MEMORY, mem) != TWINE_OK) {
      tw_rt_memory_free(mem);
      return oom(err);
    }
    inst->mems[i] = mem;
  }
  inst->mem0 = m->nmems ? inst->mems[0] : NULL;
  return TWINE_OK;
}

static twine_status_t alloc_globals(tw_instbox *box,
                                    const twine_extern_t *imports,
                                    tw_err *err) {
  twine_instance_t *inst = &box->pub;
  const tw_module *m = inst->module->m;
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == TW_EXT_GLOBAL) inst->globals[n++] = imports[i].of.global;
  uint32_t ndef = m->nglobals - m->nglobal_imports;
  box->global_block = tw_rt_calloc(ndef, sizeof *box->global_block);
  if (!box->global_block) return oom(err);
  for (uint32_t i = 0; i < ndef; i++) {
    twine_global_t *g = &box->global_block[i];
    g->store = inst->store;
    g->type = m->globals[i].type;
    twine_status_t st = tw_rt_const_eval(inst, m->globals[i].init, &g->value, err);
    if (st != TWINE_OK) {
      tw_err_prefix(err, "global %u: ", m->nglobal_imports + i);
      return st;
    }
    inst->globals[m->nglobal_imports + i] = g; /* visible to later inits */
  }
  return TWINE_OK;
}

static void fill_exports(twine_instance_t *inst) {
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const tw_export *ex = &m->exports[i];
    twine_extern_t *out = &inst->exports[i];
    out->kind = (twine_externkind_t)ex->kind;
    switch (ex->kind) {
      case TW_EXT_FUNC: out->of.func = inst->funcs[ex->index]; break;
      case TW_EXT_TABLE: out->of.table = inst->tables[ex->index]; break;
      case TW_EXT_MEMORY: out->of.memory = inst->mems[ex->index]; break;
      default: out->of.global = inst->globals[ex->index]; break;
    }
  }
}

static twine_status_t eval_elems(twine_instance_t *inst, tw_err *err) {
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const tw_elem *seg = &m->elems[i];
    tw_elem_inst *ei = &inst->elems[i];
    ei->refs = tw_rt_calloc(seg->count, sizeof *ei->refs);
    if (!ei->refs) return oom(err);
    for (uint32_t j = 0; j < seg->count; j++) {
      if (seg->func_indices) {
        uint32_t fi = seg->func_indices[j];
        if (fi >= m->nfuncs)
          return TW_FAIL(err, TWINE_ERR_INVALID, SIZE_MAX,
                         "element segment %u: unknown function %u", i, fi);
        ei->refs[j] = inst->funcs[fi];
      } else {
        tw_slot v;
        twine_status_t st = tw_rt_const_eval(inst, seg->exprs[j], &v, err);
        if (st != TWINE_OK) {
          tw_err_prefix(err, "element segment %u: ", i);
          return st;
        }
        ei->refs[j] = v.ref;
      }
    }
    ei->count = seg->count;
  }
  return TWINE_OK;
}

static void drop_elem(tw_elem_inst *ei) {
  free(ei->refs);
  ei->refs = NULL;
  ei->count = 0;
}

/* ---- segment initialisation ------------------------------------------------------ */

static twine_status_t init_trap(twine_trap_t *trap, twine_trap_kind_t kind,
                                tw_err *err, const char *what, uint32_t index) {
  memset(trap, 0, sizeof *trap);
  trap->kind = kind;
  snprintf(trap->message, sizeof trap->message, "%s", twine_trap_kind_str(kind));
  return TW_FAIL(err, TWINE_ERR_TRAP, SIZE_MAX, "%s %u: %s", what, index,
                 trap->message);
}

static twine_status_t init_elems(twine_instance_t *inst, twine_trap_t *trap,
                                 tw_err *err) {
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const tw_elem *seg = &m->elems[i];
    tw_elem_inst *ei = &inst->elems[i];
    if (seg->mode == TW_SEG_DECLARATIVE) {
      drop_elem(ei);
      continue;
    }
    if (seg->mode != TW_SEG_ACTIVE) continue;
    tw_slot off;
    twine_status_t st = tw_rt_const_eval(inst, seg->offset, &off, err);
    if (st != TWINE_OK) {
      tw_err_prefix(err, "element segment %u offset: ", i);
      return st;
    }
    if (seg->table >= m->ntables)
      return TW_FAIL(err, TWINE_ERR_INVALID, SIZE_MAX,
                     "element segment %u: unknown table %u", i, seg->table);
    twine_table_t *t = inst->tables[seg->table];
    if ((uint64_t)off.i32 + ei->count > t->size)
      return init_trap(trap, TWINE_TRAP_TABLE_OOB, err, "element segment", i);
    if (ei->count)
      memcpy(t->elems + off.i32, ei->refs, ei->count * sizeof *ei->refs);
    drop_elem(ei);
  }
  return TWINE_OK;
}

static twine_status_t init_datas(twine_instance_t *inst, twine_trap_t *trap,
                                 tw_err *err) {
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const tw_data *seg = &m->datas[i];
    if (seg->mode != TW_SEG_ACTIVE) continue;
    tw_slot off;
    twine_status_t st = tw_rt_const_eval(inst, seg->offset, &off, err);
    if (st != TWINE_OK) {
      tw_err_prefix(err, "data segment %u offset: ", i);
      return st;
    }
    if (seg->memory >= m->nmems)
      return TW_FAIL(err, TWINE_ERR_INVALID, SIZE_MAX,
                     "data segment %u: unknown memory %u", i, seg->memory);
    twine_memory_t *mem = inst->mems[seg->memory];
    if ((uint64_t)off.i32 + seg->len > mem->size)
      return init_trap(trap, TWINE_TRAP_MEMORY_OOB, err, "data segment", i);
    if (seg->len) memcpy(mem->base + off.i32, m->bytes + seg->start, seg->len);
    inst->data_dropped[i] = true;
  }
  return TWINE_OK;
}

/* ---- instantiation ------------------------------------------------------------- */

static twine_status_t instantiate(twine_store_t *store, twine_module_t *module,
                                  const twine_extern_t *imports,
                                  size_t nimports, twine_instance_t **out,
                                  tw_err *err, twine_trap_t *trap) {
  if (!store || !module || !out || (nimports && !imports))
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "missing store, module, imports or result pointer");
  if (module->engine != store->engine)
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "module and store belong to different engines");
  twine_status_t st = check_imports(store, module, imports, nimports, err);
  if (st != TWINE_OK) return st;

  const tw_module *m = module->m;
  tw_instbox *box = calloc(1, sizeof *box);
  if (!box) return oom(err);
  twine_instance_t *inst = &box->pub;
  inst->store = store;
  inst->module = module;
  atomic_fetch_add(&module->refs, 1);
  if (tw_rt_store_adopt(store, TW_OBJ_INSTANCE, inst) != TWINE_OK) {
    tw_rt_instance_free(inst);
    return oom(err);
  }
  /* From here on the store owns the instance, whatever happens. */
  inst->funcs = tw_rt_calloc(m->nfuncs, sizeof *inst->funcs);
  inst->tables = tw_rt_calloc(m->ntables, sizeof *inst->tables);
  inst->mems = tw_rt_calloc(m->nmems, sizeof *inst->mems);
  inst->globals = tw_rt_calloc(m->nglobals, sizeof *inst->globals);
  inst->elems = tw_rt_calloc(m->nelems, sizeof *inst->elems);
  inst->data_dropped = tw_rt_calloc(m->ndatas, sizeof *inst->data_dropped);
  inst->exports = tw_rt_calloc(m->nexports, sizeof *inst->exports);
  if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals ||
      !inst->elems || !inst->data_dropped || !inst->exports)
    return oom(err);

  if ((st = alloc_funcs(box, imports, err)) != TWINE_OK) return st;
  if ((st = alloc_tables(inst, imports, err)) != TWINE_OK) return st;
  if ((st = alloc_mems(inst, imports, err)) != TWINE_OK) return st;
  if ((st = alloc_globals(box, imports, err)) != TWINE_OK) return st;
  fill_exports(inst);
  if ((st = eval_elems(inst, err)) != TWINE_OK) return st;
  if ((st = init_elems(inst, trap, err)) != TWINE_OK) return st;
  if ((st = init_datas(inst, trap, err)) != TWINE_OK) return st;

  if (m->has_start) {
    tw_slot none[1];
    none[0].i64 = 0;
    st = tw_interp_call(store, inst->funcs[m->start], none, trap);
    if (st != TWINE_OK)
      return TW_FAIL(err, st, SIZE_MAX, "start function: %s", trap->message);
  }
  *out = inst;
  return TWINE_OK;
}

twine_status_t twine_instance_new(twine_store_t *store, twine_module_t *module,
                                  const twine_extern_t *imports,
                                  size_t nimports, twine_instance_t **out,
                                  twine_error_t *err, twine_trap_t *trap) {
  tw_err e;
  memset(&e, 0, sizeof e);
  twine_trap_t local_trap;
  memset(&local_trap, 0, sizeof local_trap);
  twine_status_t st =
      instantiate(store, module, imports, nimports, out, &e, &local_trap);
  if (st != TWINE_OK) {
    tw_err_export(&e, err);
    if (trap && (st == TWINE_ERR_TRAP || st == TWINE_ERR_EXIT))
      *trap = local_trap;
  }
  return st;
}

/* ---- lookups ------------------------------------------------------------------------ */

twine_status_t twine_instance_export(const twine_instance_t *inst,
                                     const char *name, size_t name_len,
                                     twine_extern_t *out) {
  if (!inst || (!name && name_len) || !out) return TWINE_ERR_ARG;
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const tw_name *n = &m->exports[i].name;
    if (n->len == name_len && (name_len == 0 || memcmp(n->ptr, name, name_len) == 0)) {
      *out = inst->exports[i];
      return TWINE_OK;
    }
  }
  return TWINE_ERR_NOTFOUND;
}

size_t twine_instance_export_count(const twine_instance_t *inst) {
  return inst ? inst->module->m->nexports : 0;
}

twine_status_t twine_instance_export_at(const twine_instance_t *inst, size_t i,
                                        const char **name, size_t *name_len,
                                        twine_extern_t *out) {
  if (!inst) return TWINE_ERR_ARG;
  const tw_module *m = inst->module->m;
  if (i >= m->nexports) return TWINE_ERR_NOTFOUND;
  if (name) *name = m->exports[i].name.ptr;
  if (name_len) *name_len = m->exports[i].name.len;
  if (out) *out = inst->exports[i];
  return TWINE_OK;
}

twine_module_t *twine_instance_module(const twine_instance_t *inst) {
  return inst ? inst->module : NULL;
}

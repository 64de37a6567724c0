/*
 * module.c - module handles: decode -> validate -> canonical type ids ->
 * lowering by the interpreter; import/export introspection, function names,
 * and the text forms of types used in link errors.
 *
 * A handle is reference counted: the creator's reference plus one per
 * instance. The last release frees the lowered code, the IR and the ids.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "rt/rt_local.h"

static twine_status_t fail_arg(twine_error_t *err, const char *what) {
  tw_err e;
  TW_FAIL(&e, TWINE_ERR_ARG, SIZE_MAX, "%s", what);
  tw_err_export(&e, err);
  return TWINE_ERR_ARG;
}

twine_status_t twine_module_validate(twine_engine_t *engine,
                                     const uint8_t *bytes, size_t len,
                                     twine_error_t *err) {
  if (!engine) return fail_arg(err, "no engine");
  if (!bytes && len) return fail_arg(err, "module bytes are NULL");
  tw_err e;
  memset(&e, 0, sizeof e);
  tw_module *m = NULL;
  twine_status_t st = tw_wasm_decode(bytes ? bytes : (const uint8_t *)"", len,
                                     &m, &e);
  if (st == TWINE_OK) {
    st = tw_wasm_validate(m, &e);
    tw_module_free(m);
  }
  if (st != TWINE_OK) tw_err_export(&e, err);
  return st;
}

static void module_destroy(twine_module_t *mod) {
  if (mod->interp) tw_interp_module_free(mod->interp);
  tw_module_free(mod->m);
  free(mod->type_ids);
  free(mod);
}

twine_status_t twine_module_new(twine_engine_t *engine, const uint8_t *bytes,
                                size_t len, twine_module_t **out,
                                twine_error_t *err) {
  if (!engine || !out) return fail_arg(err, "no engine or no result pointer");
  if (!bytes && len) return fail_arg(err, "module bytes are NULL");
  tw_err e;
  memset(&e, 0, sizeof e);
  tw_module *m = NULL;
  twine_status_t st = tw_wasm_decode(bytes ? bytes : (const uint8_t *)"", len,
                                     &m, &e);
  if (st != TWINE_OK) goto fail;
  st = tw_wasm_validate(m, &e);
  if (st != TWINE_OK) {
    tw_module_free(m);
    goto fail;
  }
  twine_module_t *mod = calloc(1, sizeof *mod);
  uint32_t *ids = tw_rt_calloc(m->ntypes, sizeof *ids);
  if (!mod || !ids) {
    free(mod);
    free(ids);
    tw_module_free(m);
    st = TW_FAIL(&e, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  mod->engine = engine;
  mod->m = m;
  mod->type_ids = ids;
  atomic_init(&mod->refs, 1);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    st = tw_rt_type_id(engine, &m->types[i], &ids[i]);
    if (st != TWINE_OK) {
      TW_FAIL(&e, st, SIZE_MAX, "cannot register function type %u", i);
      module_destroy(mod);
      goto fail;
    }
  }
  st = tw_interp_prepare(mod, &e);
  if (st != TWINE_OK) {
    if (e.msg[0] == 0) TW_FAIL(&e, st, SIZE_MAX, "cannot prepare the code");
    e.status = st;
    module_destroy(mod);
    goto fail;
  }
  *out = mod;
  return TWINE_OK;
fail:
  tw_err_export(&e, err);
  return st;
}

void tw_rt_module_release(twine_module_t *mod) {
  if (!mod) return;
  if (atomic_fetch_sub(&mod->refs, 1) == 1) module_destroy(mod);
}

void twine_module_free(twine_module_t *module) { tw_rt_module_release(module); }

/* ---- introspection -------------------------------------------------------- */

static void limits_out(const tw_limits *l, twine_limits_t *out) {
  out->min = l->min;
  out->max = l->has_max ? l->max : 0;
  out->has_max = l->has_max;
}

static void functype_out(const twine_module_t *mod, uint32_t type_index,
                         twine_externtype_t *out) {
  out->kind = TWINE_EXTERN_FUNC;
  tw_rt_type_kinds(mod->engine, mod->type_ids[type_index], &out->func);
}

void tw_rt_externtype_of_import(const twine_module_t *mod,
                                const tw_import *im, twine_externtype_t *out) {
  memset(out, 0, sizeof *out);
  switch (im->kind) {
    case TW_EXT_FUNC:
      functype_out(mod, im->desc.func_type, out);
      break;
    case TW_EXT_TABLE:
      out->kind = TWINE_EXTERN_TABLE;
      out->elem = tw_rt_valkind(im->desc.table.elem);
      limits_out(&im->desc.table.limits, &out->limits);
      break;
    case TW_EXT_MEMORY:
      out->kind = TWINE_EXTERN_MEMORY;
      limits_out(&im->desc.mem.limits, &out->limits);
      break;
    default:
      out->kind = TWINE_EXTERN_GLOBAL;
      out->global_type = tw_rt_valkind(im->desc.global.type);
      out->global_mutable = im->desc.global.mut;
      break;
  }
}

size_t twine_module_import_count(const twine_module_t *module) {
  return module ? module->m->nimports : 0;
}

twine_status_t twine_module_import(const twine_module_t *module, size_t i,
                                   twine_import_info_t *out) {
  if (!module || !out) return TWINE_ERR_ARG;
  if (i >= module->m->nimports) return TWINE_ERR_NOTFOUND;
  const tw_import *im = &module->m->imports[i];
  twine_import_info_t info;
  info.module = im->module.ptr;
  info.module_len = im->module.len;
  info.name = im->name.ptr;
  info.name_len = im->name.len;
  tw_rt_externtype_of_import(module, im, &info.type);
  *out = info;
  return TWINE_OK;
}

size_t twine_module_export_count(const twine_module_t *module) {
  return module ? module->m->nexports : 0;
}

twine_status_t twine_module_export(const twine_module_t *module, size_t i,
                                   twine_export_info_t *out) {
  if (!module || !out) return TWINE_ERR_ARG;
  const tw_module *m = module->m;
  if (i >= m->nexports) return TWINE_ERR_NOTFOUND;
  const tw_export *ex = &m->exports[i];
  twine_export_info_t info;
  memset(&info, 0, sizeof info);
  info.name = ex->name.ptr;
  info.name_len = ex->name.len;
  switch (ex->kind) {
    case TW_EXT_FUNC:
      functype_out(module, m->func_types[ex->index], &info.type);
      break;
    case TW_EXT_TABLE:
      info.type.kind = TWINE_EXTERN_TABLE;
      info.type.elem = tw_rt_valkind(m->tables[ex->index].elem);
      limits_out(&m->tables[ex->index].limits, &info.type.limits);
      break;
    case TW_EXT_MEMORY:
      info.type.kind = TWINE_EXTERN_MEMORY;
      limits_out(&m->mems[ex->index].limits, &info.type.limits);
      break;
    default:
      info.type.kind = TWINE_EXTERN_GLOBAL;
      info.type.global_type = tw_rt_valkind(m->global_types[ex->index].type);
      info.type.global_mutable = m->global_types[ex->index].mut;
      break;
  }
  *out = info;
  return TWINE_OK;
}

const char *twine_module_func_name(const twine_module_t *module,
                                   uint32_t func_index, size_t *len) {
  if (!module) return NULL;
  const tw_name *n = tw_module_func_name(module->m, func_index);
  if (!n) return NULL;
  if (len) *len = n->len;
  return n->ptr;
}

const char *tw_rt_func_name(const twine_module_t *mod, uint32_t index,
                            size_t *len) {
  if (!mod) return NULL;
  const tw_module *m = mod->m;
  const tw_name *n = tw_module_func_name(m, index);
  if (!n) {
    for (uint32_t i = 0; i < m->nexports; i++)
      if (m->exports[i].kind == TW_EXT_FUNC && m->exports[i].index == index) {
        n = &m->exports[i].name;
        break;
      }
  }
  if (!n) return NULL;
  if (len) *len = n->len;
  return n->ptr;
}

/* ---- text forms of types (link error messages) ---------------------------- */

/* Append formatted text at *pos of buf[n], truncating; keeps NUL. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t n, size_t *pos, const char *fmt, ...) {
  if (n == 0 || *pos >= n - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *pos, n - *pos, fmt, ap);
  va_end(ap);
  if (w < 0) return;
  *pos += (size_t)w;
  if (*pos > n - 1) *pos = n - 1;
}

static const char *vt_str(tw_valtype t) {
  return twine_valkind_str(tw_rt_valkind(t));
}

void tw_rt_fmt_functype(const tw_functype *ft, char *buf, size_t n) {
  size_t pos = 0;
  if (n) buf[0] = 0;
  put(buf, n, &pos, "(func");
  if (ft->nparams) {
    put(buf, n, &pos, " (param");
    for (uint32_t i = 0; i < ft->nparams; i++)
      put(buf, n, &pos, " %s", vt_str(tw_ft_params(ft)[i]));
    put(buf, n, &pos, ")");
  }
  if (ft->nresults) {
    put(buf, n, &pos, " (result");
    for (uint32_t i = 0; i < ft->nresults; i++)
      put(buf, n, &pos, " %s", vt_str(tw_ft_results(ft)[i]));
    put(buf, n, &pos, ")");
  }
  put(buf, n, &pos, ")");
}

static void fmt_limits(const tw_limits *l, char *buf, size_t n, size_t *pos) {
  put(buf, n, pos, "%llu..", (unsigned long long)l->min);
  if (l->has_max) put(buf, n, pos, "%llu", (unsigned long long)l->max);
  else put(buf, n, pos, "?");
}

static void fmt_table(tw_valtype elem, const tw_limits *l, char *buf,
                      size_t n) {
  size_t pos = 0;
  if (n) buf[0] = 0;
  put(buf, n, &pos, "table ");
  fmt_limits(l, buf, n, &pos);
  put(buf, n, &pos, " %s", vt_str(elem));
}

static void fmt_memory(const tw_limits *l, char *buf, size_t n) {
  size_t pos = 0;
  if (n) buf[0] = 0;
  put(buf, n, &pos, "memory ");
  fmt_limits(l, buf, n, &pos);
  put(buf, n, &pos, " pages");
}

static void fmt_global(const tw_globaltype *g, char *buf, size_t n) {
  size_t pos = 0;
  if (n) buf[0] = 0;
  if (g->mut) put(buf, n, &pos, "global (mut %s)", vt_str(g->type));
  else put(buf, n, &pos, "global %s", vt_str(g->type));
}

void tw_rt_fmt_import_type(const tw_module *m, const tw_import *im, char *buf,
                           size_t n) {
  switch (im->kind) {
    case TW_EXT_FUNC: tw_rt_fmt_functype(&m->types[im->desc.func_type], buf, n); break;
    case TW_EXT_TABLE:
      fmt_table(im->desc.table.elem, &im->desc.table.limits, buf, n);
      break;
    case TW_EXT_MEMORY: fmt_memory(&im->desc.mem.limits, buf, n); break;
    default: fmt_global(&im->desc.global, buf, n); break;
  }
}

void tw_rt_fmt_extern(const twine_extern_t *ext, char *buf, size_t n) {
  tw_limits l;
  if (n) buf[0] = 0;
  switch (ext->kind) {
    case TWINE_EXTERN_FUNC:
      if (ext->of.func) tw_rt_fmt_functype(ext->of.func->type, buf, n);
      else snprintf(buf, n, "null function");
      break;
    case TWINE_EXTERN_TABLE:
      if (!ext->of.table) {
        snprintf(buf, n, "null table");
        break;
      }
      l = ext->of.table->limits;
      l.min = ext->of.table->size;
      fmt_table(ext->of.table->elem, &l, buf, n);
      break;
    case TWINE_EXTERN_MEMORY:
      if (!ext->of.memory) {
        snprintf(buf, n, "null memory");
        break;
      }
      l = ext->of.memory->limits;
      l.min = ext->of.memory->pages;
      fmt_memory(&l, buf, n);
      break;
    case TWINE_EXTERN_GLOBAL:
      if (ext->of.global) fmt_global(&ext->of.global->type, buf, n);
      else snprintf(buf, n, "null global");
      break;
    default:
      snprintf(buf, n, "unknown extern kind %d", (int)ext->kind);
      break;
  }
}

void tw_rt_fmt_name(const char *p, size_t len, char *buf, size_t n) {
  size_t pos = 0;
  if (n) buf[0] = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') put(buf, n, &pos, "%c", c);
    else put(buf, n, &pos, "\\%02x", c);
  }
}

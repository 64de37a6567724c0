/*
 * linker.c - resolve imports by (module, name).
 *
 * A linker belongs to one store and maps byte-string pairs (names may hold
 * any bytes, NUL included) to externs of that store. Defining a pair again
 * replaces the earlier definition. Entries live in an array; an
 * open-addressing index (entry + 1, 0 = empty, load < 1/2) finds them.
 */
#include <stdlib.h>
#include <string.h>

#include "rt/rt_local.h"

typedef struct tw_linkent {
  char *module; /* module_len bytes, then name_len bytes (one allocation) */
  size_t module_len;
  size_t name_len;
  uint64_t hash;
  twine_extern_t ext;
} tw_linkent;

struct twine_linker {
  twine_store_t *store;
  tw_linkent *ents;
  size_t count, cap;
  size_t *index;
  size_t nindex; /* power of two (or 0) */
};

static uint64_t key_hash(const char *module, size_t mlen, const char *name,
                         size_t nlen) {
  uint64_t h = 14695981039346656037ull; /* FNV-1a, length-separated */
  for (size_t i = 0; i < mlen; i++) h = (h ^ (uint8_t)module[i]) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  h = (h ^ (uint64_t)mlen) * 1099511628211ull;
  for (size_t i = 0; i < nlen; i++) h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
  return h;
}

static bool key_eq(const tw_linkent *e, const char *module, size_t mlen,
                   const char *name, size_t nlen) {
  return e->module_len == mlen && e->name_len == nlen &&
         (mlen == 0 || memcmp(e->module, module, mlen) == 0) &&
         (nlen == 0 || memcmp(e->module + mlen, name, nlen) == 0);
}

static tw_linkent *lookup(const twine_linker_t *l, const char *module,
                          size_t mlen, const char *name, size_t nlen) {
  if (!l->nindex) return NULL;
  uint64_t h = key_hash(module, mlen, name, nlen);
  for (size_t i = h & (l->nindex - 1); l->index[i]; i = (i + 1) & (l->nindex - 1)) {
    tw_linkent *e = &l->ents[l->index[i] - 1];
    if (e->hash == h && key_eq(e, module, mlen, name, nlen)) return e;
  }
  return NULL;
}

static bool reindex(twine_linker_t *l, size_t nindex) {
  size_t *idx = calloc(nindex, sizeof *idx);
  if (!idx) return false;
  for (size_t k = 0; k < l->count; k++) {
    size_t i = l->ents[k].hash & (nindex - 1);
    while (idx[i]) i = (i + 1) & (nindex - 1);
    idx[i] = k + 1;
  }
  free(l->index);
  l->index = idx;
  l->nindex = nindex;
  return true;
}

twine_status_t twine_linker_new(twine_store_t *store, twine_linker_t **out) {
  if (!store || !out) return TWINE_ERR_ARG;
  twine_linker_t *l = calloc(1, sizeof *l);
  if (!l) return TWINE_ERR_NOMEM;
  l->store = store;
  *out = l;
  return TWINE_OK;
}

void twine_linker_free(twine_linker_t *linker) {
  if (!linker) return;
  for (size_t i = 0; i < linker->count; i++) free(linker->ents[i].module);
  free(linker->ents);
  free(linker->index);
  free(linker);
}

static bool extern_ok(const twine_linker_t *l, const twine_extern_t *ext) {
  switch (ext->kind) {
    case TWINE_EXTERN_FUNC:
      return ext->of.func && ext->of.func->store == l->store;
    case TWINE_EXTERN_TABLE:
      return ext->of.table && ext->of.table->store == l->store;
    case TWINE_EXTERN_MEMORY:
      return ext->of.memory && ext->of.memory->store == l->store;
    case TWINE_EXTERN_GLOBAL:
      return ext->of.global && ext->of.global->store == l->store;
  }
  return false;
}

twine_status_t twine_linker_define(twine_linker_t *linker, const char *module,
                                   size_t module_len, const char *name,
                                   size_t name_len, twine_extern_t ext) {
  if (!linker || (!module && module_len) || (!name && name_len))
    return TWINE_ERR_ARG;
  if (!extern_ok(linker, &ext)) return TWINE_ERR_ARG;
  tw_linkent *e = lookup(linker, module, module_len, name, name_len);
  if (e) {
    e->ext = ext;
    return TWINE_OK;
  }
  if (module_len > SIZE_MAX / 2 - 1 || name_len > SIZE_MAX / 2 - 1)
    return TWINE_ERR_ARG;
  if ((linker->count + 1) * 2 > linker->nindex &&
      !reindex(linker, linker->nindex ? linker->nindex * 2 : 32))
    return TWINE_ERR_NOMEM;
  if (linker->count == linker->cap) {
    size_t cap = linker->cap ? linker->cap * 2 : 16;
    tw_linkent *ents = realloc(linker->ents, cap * sizeof *ents);
    if (!ents) return TWINE_ERR_NOMEM;
    linker->ents = ents;
    linker->cap = cap;
  }
  char *key = malloc(module_len + name_len + 1);
  if (!key) return TWINE_ERR_NOMEM;
  if (module_len) memcpy(key, module, module_len);
  if (name_len) memcpy(key + module_len, name, name_len);
  key[module_len + name_len] = 0;
  e = &linker->ents[linker->count];
  e->module = key;
  e->module_len = module_len;
  e->name_len = name_len;
  e->hash = key_hash(module, module_len, name, name_len);
  e->ext = ext;
  size_t i = e->hash & (linker->nindex - 1);
  while (linker->index[i]) i = (i + 1) & (linker->nindex - 1);
  linker->index[i] = ++linker->count;
  return TWINE_OK;
}

twine_status_t twine_linker_define_instance(twine_linker_t *linker,
                                            const char *module,
                                            size_t module_len,
                                            const twine_instance_t *inst) {
  if (!linker || !inst || (!module && module_len)) return TWINE_ERR_ARG;
  if (inst->store != linker->store) return TWINE_ERR_ARG;
  const tw_module *m = inst->module->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    twine_status_t st =
        twine_linker_define(linker, module, module_len, m->exports[i].name.ptr,
                            m->exports[i].name.len, inst->exports[i]);
    if (st != TWINE_OK) return st;
  }
  return TWINE_OK;
}

twine_status_t twine_linker_instantiate(twine_linker_t *linker,
                                        twine_module_t *module,
                                        twine_instance_t **out,
                                        twine_error_t *err,
                                        twine_trap_t *trap) {
  tw_err e;
  if (!linker || !module || !out) {
    TW_FAIL(&e, TWINE_ERR_ARG, SIZE_MAX, "missing linker, module or result");
    tw_err_export(&e, err);
    return TWINE_ERR_ARG;
  }
  const tw_module *m = module->m;
  twine_extern_t *imports = tw_rt_calloc(m->nimports, sizeof *imports);
  if (!imports) {
    TW_FAIL(&e, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
    tw_err_export(&e, err);
    return TWINE_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const tw_import *im = &m->imports[i];
    const tw_linkent *ent =
        lookup(linker, im->module.ptr, im->module.len, im->name.ptr, im->name.len);
    if (!ent) {
      char mname[64], fname[64], want[80];
      tw_rt_fmt_name(im->module.ptr, im->module.len, mname, sizeof mname);
      tw_rt_fmt_name(im->name.ptr, im->name.len, fname, sizeof fname);
      tw_rt_fmt_import_type(m, im, want, sizeof want);
      /* "(func ...)" is already parenthesised; "memory 1..? pages" is not */
      bool paren = want[0] == '(';
      TW_FAIL(&e, TWINE_ERR_UNLINKABLE, SIZE_MAX, "unknown import: %s.%s %s%s%s",
              mname, fname, paren ? "" : "(", want, paren ? "" : ")");
      tw_err_export(&e, err);
      free(imports);
      return TWINE_ERR_UNLINKABLE;
    }
    imports[i] = ent->ext;
  }
  twine_status_t st = twine_instance_new(linker->store, module, imports,
                                         m->nimports, out, err, trap);
  free(imports);
  return st;
}

/*
 * table.c - tables of references.
 *
 * elems holds `size` pointers (a funcref is a twine_func_t*, an externref
 * the host's void*, NULL the null reference). The effective maximum is the
 * declared maximum capped at TW_MAX_TABLE_SIZE.
 */
#include <stdlib.h>
#include <string.h>

#include "rt/rt_local.h"

static uint64_t table_cap(const tw_limits *l) {
  return l->has_max && l->max < TW_MAX_TABLE_SIZE ? l->max : TW_MAX_TABLE_SIZE;
}

twine_status_t tw_rt_table_new(twine_store_t *store, const tw_tabletype *tt,
                               void *init, twine_table_t **out) {
  if (tt->limits.min > table_cap(&tt->limits)) return TWINE_ERR_LIMIT;
  twine_table_t *t = calloc(1, sizeof *t);
  if (!t) return TWINE_ERR_NOMEM;
  uint32_t size = (uint32_t)tt->limits.min;
  t->elems = tw_rt_calloc(size, sizeof *t->elems);
  if (!t->elems) {
    free(t);
    return TWINE_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < size; i++) t->elems[i] = init;
  t->store = store;
  t->elem = tt->elem;
  t->size = size;
  t->limits = tt->limits;
  *out = t;
  return TWINE_OK;
}

void tw_rt_table_free(twine_table_t *t) {
  if (!t) return;
  free(t->elems);
  free(t);
}

int64_t tw_rt_table_grow(twine_table_t *t, uint32_t delta, void *init) {
  uint32_t old = t->size;
  if (delta > table_cap(&t->limits) - old) return -1;
  if (delta) {
    uint32_t size = old + delta;
    void **e = realloc(t->elems, (size_t)size * sizeof *e);
    if (!e) return -1;
    for (uint32_t i = old; i < size; i++) e[i] = init;
    t->elems = e;
    t->size = size;
  }
  return old;
}

/* ---- public API ------------------------------------------------------------ */

static bool is_ref_kind(twine_valkind_t k) {
  return k == TWINE_FUNCREF || k == TWINE_EXTERNREF;
}

static void *ref_of(const twine_val_t *v) {
  return v->kind == TWINE_FUNCREF ? (void *)v->of.funcref : v->of.externref;
}

twine_status_t twine_table_new(twine_store_t *store, twine_valkind_t elem,
                               twine_limits_t limits, twine_val_t init,
                               twine_table_t **out) {
  if (!store || !out || !is_ref_kind(elem) || init.kind != elem)
    return TWINE_ERR_ARG;
  if (!tw_rt_ref_ok(store, &init)) return TWINE_ERR_ARG;
  if (limits.min > UINT32_MAX) return TWINE_ERR_ARG;
  if (limits.has_max && (limits.max > UINT32_MAX || limits.max < limits.min))
    return TWINE_ERR_ARG;
  tw_tabletype tt;
  tt.elem = tw_rt_valtype(elem);
  tt.limits.min = limits.min;
  tt.limits.max = limits.has_max ? limits.max : 0;
  tt.limits.has_max = limits.has_max;
  twine_table_t *t;
  twine_status_t st = tw_rt_table_new(store, &tt, ref_of(&init), &t);
  if (st != TWINE_OK) return st;
  st = tw_rt_store_adopt(store, TW_EXT_TABLE, t);
  if (st != TWINE_OK) {
    tw_rt_table_free(t);
    return st;
  }
  *out = t;
  return TWINE_OK;
}

uint64_t twine_table_size(const twine_table_t *table) {
  return table ? table->size : 0;
}

twine_valkind_t twine_table_elem(const twine_table_t *table) {
  return table ? tw_rt_valkind(table->elem) : TWINE_FUNCREF;
}

void twine_table_limits(const twine_table_t *table, twine_limits_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!table) return;
  out->min = table->size;
  out->has_max = table->limits.has_max;
  out->max = table->limits.has_max ? table->limits.max : 0;
}

twine_status_t twine_table_get(const twine_table_t *table, uint64_t index,
                               twine_val_t *out) {
  if (!table || !out || index >= table->size) return TWINE_ERR_ARG;
  twine_val_t v;
  memset(&v, 0, sizeof v);
  v.kind = tw_rt_valkind(table->elem);
  if (v.kind == TWINE_FUNCREF) v.of.funcref = table->elems[index];
  else v.of.externref = table->elems[index];
  *out = v;
  return TWINE_OK;
}

twine_status_t twine_table_set(twine_table_t *table, uint64_t index,
                               twine_val_t val) {
  if (!table || index >= table->size) return TWINE_ERR_ARG;
  if (val.kind != tw_rt_valkind(table->elem)) return TWINE_ERR_ARG;
  if (!tw_rt_ref_ok(table->store, &val)) return TWINE_ERR_ARG;
  table->elems[index] = ref_of(&val);
  return TWINE_OK;
}

twine_status_t twine_table_grow(twine_table_t *table, uint64_t delta,
                                twine_val_t init, uint64_t *old_size) {
  if (!table) return TWINE_ERR_ARG;
  if (init.kind != tw_rt_valkind(table->elem)) return TWINE_ERR_ARG;
  if (!tw_rt_ref_ok(table->store, &init)) return TWINE_ERR_ARG;
  if (delta > table_cap(&table->limits) - table->size) return TWINE_ERR_LIMIT;
  int64_t old = tw_rt_table_grow(table, (uint32_t)delta, ref_of(&init));
  if (old < 0) return TWINE_ERR_NOMEM;
  if (old_size) *old_size = (uint64_t)old;
  return TWINE_OK;
}

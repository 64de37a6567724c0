/*
 * global.c - globals created by the embedder. (Globals defined by a module
 * live in their instance's block, see instance.c; both are the same
 * struct.) The value is a slot interpreted by type.type.
 */
#include <stdlib.h>
#include <string.h>

#include "rt/rt_local.h"

void tw_rt_global_free(twine_global_t *g) { free(g); }

twine_status_t twine_global_new(twine_store_t *store, twine_val_t init,
                                bool mutable_, twine_global_t **out) {
  if (!store || !out) return TWINE_ERR_ARG;
  if ((unsigned)init.kind > TWINE_EXTERNREF) return TWINE_ERR_ARG;
  if (!tw_rt_kind_supported(init.kind)) return TWINE_ERR_UNSUPPORTED;
  if (!tw_rt_ref_ok(store, &init)) return TWINE_ERR_ARG;
  twine_global_t *g = calloc(1, sizeof *g);
  if (!g) return TWINE_ERR_NOMEM;
  g->store = store;
  g->type.type = tw_rt_valtype(init.kind);
  g->type.mut = mutable_;
  tw_rt_val_to_slot(&init, &g->value);
  twine_status_t st = tw_rt_store_adopt(store, TW_EXT_GLOBAL, g);
  if (st != TWINE_OK) {
    free(g);
    return st;
  }
  *out = g;
  return TWINE_OK;
}

void twine_global_get(const twine_global_t *global, twine_val_t *out) {
  if (!out) return;
  if (!global) {
    memset(out, 0, sizeof *out);
    return;
  }
  tw_rt_slot_to_val(global->value, global->type.type, out);
}

twine_status_t twine_global_set(twine_global_t *global, twine_val_t val) {
  if (!global || !global->type.mut) return TWINE_ERR_ARG;
  if (val.kind != tw_rt_valkind(global->type.type)) return TWINE_ERR_ARG;
  if (!tw_rt_ref_ok(global->store, &val)) return TWINE_ERR_ARG;
  tw_rt_val_to_slot(&val, &global->value);
  return TWINE_OK;
}

twine_valkind_t twine_global_kind(const twine_global_t *global) {
  return global ? tw_rt_valkind(global->type.type) : TWINE_I32;
}

bool twine_global_mutable(const twine_global_t *global) {
  return global ? global->type.mut : false;
}

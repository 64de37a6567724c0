/*
 * store.c - stores and the list of objects each one owns.
 *
 * Every object created in a store (host functions, memories, tables,
 * globals, instances) is recorded here once and freed exactly once by
 * twine_store_free. An instance owns its defined functions and globals as
 * blocks (see instance.c); its tables and memories are recorded here
 * individually because other instances may import them.
 */
#include <stdlib.h>

#include "interp/interp.h"
#include "rt/rt_local.h"
#include "util/vec.h"

typedef struct tw_obj {
  int kind; /* TW_EXT_* or TW_OBJ_INSTANCE */
  void *ptr;
} tw_obj;

struct tw_objlist {
  TW_VEC(tw_obj) v;
};

twine_status_t twine_store_new(twine_engine_t *engine, twine_store_t **out) {
  if (!engine || !out) return TWINE_ERR_ARG;
  twine_store_t *s = calloc(1, sizeof *s);
  struct tw_objlist *l = calloc(1, sizeof *l);
  if (!s || !l) {
    free(s);
    free(l);
    return TWINE_ERR_NOMEM;
  }
  s->engine = engine;
  s->objects = l;
  s->exec = NULL;
  atomic_init(&s->interrupt, 0);
  *out = s;
  return TWINE_OK;
}

twine_status_t tw_rt_store_adopt(twine_store_t *store, int kind, void *obj) {
  tw_obj o = {kind, obj};
  if (!TW_VEC_PUSH(&store->objects->v, o)) return TWINE_ERR_NOMEM;
  return TWINE_OK;
}

static void free_object(tw_obj *o) {
  switch (o->kind) {
    case TW_EXT_FUNC: tw_rt_func_free(o->ptr); break;
    case TW_EXT_TABLE: tw_rt_table_free(o->ptr); break;
    case TW_EXT_MEMORY: tw_rt_memory_free(o->ptr); break;
    case TW_EXT_GLOBAL: tw_rt_global_free(o->ptr); break;
    case TW_OBJ_INSTANCE: tw_rt_instance_free(o->ptr); break;
    default: break; /* never recorded */
  }
}

void twine_store_free(twine_store_t *store) {
  if (!store) return;
  if (store->exec) tw_interp_exec_free(store->exec);
  store->exec = NULL;
  /* newest first: an object never depends on a younger one being alive,
   * and env_free callbacks run in reverse creation order */
  struct tw_objlist *l = store->objects;
  for (size_t i = l->v.len; i-- > 0;) free_object(&l->v.data[i]);
  TW_VEC_FREE(&l->v);
  free(l);
  free(store);
}

void twine_store_interrupt(twine_store_t *store) {
  if (store) atomic_store(&store->interrupt, 1);
}

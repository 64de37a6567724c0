/*
 * engine.c - the runtime room (src/rt): engine configuration and the
 * function-type registry.
 *
 * The room owns every object of the public API except modules' code
 * (src/interp lowers it) and the execution stacks (src/interp runs them):
 *   engine.c   config defaults and checks, engine, function-type registry
 *   module.c   module handles (decode -> validate -> type ids -> lowering),
 *              import/export introspection, names, type formatting
 *   store.c    stores and the list of objects each store owns
 *   memory.c   linear memories (guard-page or explicit bounds mode)
 *   table.c    tables;  global.c  globals
 *   func.c     host functions, the call API, caller context, value slots
 *   instance.c instantiation (import matching, allocation, constant
 *              expressions, segment initialisation, start function)
 *   linker.c   (module, name) -> extern resolution
 *
 * Registry invariants: a type id indexes `entries` and never changes while
 * the engine lives; two structurally equal function types always get the
 * same id; each entry's arrays are separate allocations, so pointers to
 * them stay valid when `entries` grows. All access holds `lock`.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rt/rt_local.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define TW_RT_HAVE_GUARD_PAGES 1
#else
#define TW_RT_HAVE_GUARD_PAGES 0
#endif

/* Configuration sanity bounds. */
#define TW_RT_MAX_CALL_DEPTH (1u << 24)
#define TW_RT_MIN_VALUE_STACK ((size_t)4096)
#define TW_RT_MAX_VALUE_STACK ((size_t)1 << 30)
#define TW_RT_MAX_MEMORY_BYTES ((uint64_t)TW_MAX_PAGES * TW_PAGE_SIZE)

void twine_config_default(twine_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->bounds = TW_RT_HAVE_GUARD_PAGES ? TWINE_BOUNDS_GUARD_PAGES
                                       : TWINE_BOUNDS_EXPLICIT;
  cfg->max_call_depth = 16384;
  cfg->value_stack_bytes = (size_t)8 << 20;
  cfg->max_memory_bytes = 0;
}

/* ---- type registry ------------------------------------------------------- */

typedef struct tw_typeent {
  uint32_t hash;
  tw_functype ft;          /* own copy; ft.types is part of `block` */
  twine_valkind_t *kinds;  /* public view, params then results */
  void *block;             /* one allocation holding both arrays */
} tw_typeent;

struct tw_typereg {
  pthread_mutex_t lock;
  tw_typeent *entries; /* indexed by id */
  uint32_t count, cap;
  uint32_t *slots;     /* open addressing: id + 1, 0 = empty */
  uint32_t nslots;     /* power of two */
};

static uint32_t ft_hash(const tw_functype *ft) {
  uint32_t h = 2166136261u; /* FNV-1a */
  uint32_t n[2] = {ft->nparams, ft->nresults};
  for (int i = 0; i < 2; i++)
    for (int b = 0; b < 4; b++) {
      h ^= (n[i] >> (8 * b)) & 0xff;
      h *= 16777619u;
    }
  size_t total = (size_t)ft->nparams + ft->nresults;
  for (size_t i = 0; i < total; i++) {
    h ^= ft->types[i];
    h *= 16777619u;
  }
  return h;
}

static bool ft_equal(const tw_functype *a, const tw_functype *b) {
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t total = (size_t)a->nparams + a->nresults;
  return total == 0 || memcmp(a->types, b->types, total) == 0;
}

static bool reg_rehash(struct tw_typereg *r, uint32_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return false;
  for (uint32_t id = 0; id < r->count; id++) {
    uint32_t i = r->entries[id].hash & (nslots - 1);
    while (slots[i]) i = (i + 1) & (nslots - 1);
    slots[i] = id + 1;
  }
  free(r->slots);
  r->slots = slots;
  r->nslots = nslots;
  return true;
}

static twine_status_t reg_insert(struct tw_typereg *r, const tw_functype *ft,
                                 uint32_t hash, uint32_t *id) {
  if (r->count == UINT32_MAX - 1) return TWINE_ERR_LIMIT;
  /* keep the load factor below 1/2 */
  if ((uint64_t)(r->count + 1) * 2 > r->nslots) {
    if (r->nslots > (UINT32_MAX >> 2)) return TWINE_ERR_LIMIT;
    if (!reg_rehash(r, r->nslots ? r->nslots * 2 : 64)) return TWINE_ERR_NOMEM;
  }
  if (r->count == r->cap) {
    uint32_t cap = r->cap ? r->cap * 2 : 32;
    tw_typeent *e = realloc(r->entries, (size_t)cap * sizeof *e);
    if (!e) return TWINE_ERR_NOMEM;
    r->entries = e;
    r->cap = cap;
  }
  size_t total = (size_t)ft->nparams + ft->nresults;
  /* kinds first (aligned), then the byte-sized valtypes */
  void *block = malloc(total * sizeof(twine_valkind_t) + total + 1);
  if (!block) return TWINE_ERR_NOMEM;
  tw_typeent *e = &r->entries[r->count];
  e->hash = hash;
  e->block = block;
  e->kinds = block;
  e->ft.nparams = ft->nparams;
  e->ft.nresults = ft->nresults;
  e->ft.types = (tw_valtype *)((twine_valkind_t *)block + total);
  for (size_t i = 0; i < total; i++) {
    e->ft.types[i] = ft->types[i];
    e->kinds[i] = tw_rt_valkind(ft->types[i]);
  }
  uint32_t i = hash & (r->nslots - 1);
  while (r->slots[i]) i = (i + 1) & (r->nslots - 1);
  r->slots[i] = r->count + 1;
  *id = r->count++;
  return TWINE_OK;
}

twine_status_t tw_rt_type_id(twine_engine_t *e, const tw_functype *ft,
                             uint32_t *id) {
  struct tw_typereg *r = e->types;
  uint32_t hash = ft_hash(ft);
  twine_status_t st = TWINE_OK;
  pthread_mutex_lock(&r->lock);
  if (r->nslots) {
    for (uint32_t i = hash & (r->nslots - 1); r->slots[i];
         i = (i + 1) & (r->nslots - 1)) {
      tw_typeent *ent = &r->entries[r->slots[i] - 1];
      if (ent->hash == hash && ft_equal(&ent->ft, ft)) {
        *id = r->slots[i] - 1;
        goto out;
      }
    }
  }
  st = reg_insert(r, ft, hash, id);
out:
  pthread_mutex_unlock(&r->lock);
  return st;
}

bool tw_rt_type_kinds(twine_engine_t *e, uint32_t id, twine_functype_t *out) {
  struct tw_typereg *r = e->types;
  bool ok = false;
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&r->lock);
  if (id < r->count) {
    const tw_typeent *ent = &r->entries[id];
    out->nparams = ent->ft.nparams;
    out->params = ent->kinds;
    out->nresults = ent->ft.nresults;
    out->results = ent->kinds + ent->ft.nparams;
    ok = true;
  }
  pthread_mutex_unlock(&r->lock);
  return ok;
}

static void reg_free(struct tw_typereg *r) {
  if (!r) return;
  for (uint32_t i = 0; i < r->count; i++) free(r->entries[i].block);
  free(r->entries);
  free(r->slots);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

/* ---- engine -------------------------------------------------------------- */

static bool config_ok(const twine_config_t *c) {
  if (c->bounds != TWINE_BOUNDS_GUARD_PAGES && c->bounds != TWINE_BOUNDS_EXPLICIT)
    return false;
  if (c->bounds == TWINE_BOUNDS_GUARD_PAGES && !TW_RT_HAVE_GUARD_PAGES)
    return false;
  if (c->max_call_depth == 0 || c->max_call_depth > TW_RT_MAX_CALL_DEPTH)
    return false;
  if (c->value_stack_bytes < TW_RT_MIN_VALUE_STACK ||
      c->value_stack_bytes > TW_RT_MAX_VALUE_STACK)
    return false;
  if (c->max_memory_bytes > TW_RT_MAX_MEMORY_BYTES) return false;
  return true;
}

twine_status_t twine_engine_new(const twine_config_t *cfg,
                                twine_engine_t **out) {
  if (!out) return TWINE_ERR_ARG;
  twine_config_t c;
  if (cfg) c = *cfg;
  else twine_config_default(&c);
  if (!config_ok(&c)) return TWINE_ERR_ARG;

  twine_engine_t *e = calloc(1, sizeof *e);
  struct tw_typereg *r = calloc(1, sizeof *r);
  if (!e || !r || pthread_mutex_init(&r->lock, NULL) != 0) {
    free(e);
    free(r);
    return TWINE_ERR_NOMEM;
  }
  e->cfg = c;
  e->types = r;
  *out = e;
  return TWINE_OK;
}

void twine_engine_free(twine_engine_t *engine) {
  if (!engine) return;
  reg_free(engine->types);
  free(engine);
}

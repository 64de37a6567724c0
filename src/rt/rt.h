/*
 * rt.h - the runtime's objects: engine, module handle, store, instances,
 * functions, memories, tables, globals. Shared by src/rt and src/interp.
 *
 * Ownership: a store owns every object created in it (lists below) and
 * frees them all in twine_store_free. Instances hold a reference on their
 * module. Memories, tables and globals may be shared by several instances
 * of one store (imports), so instances only point at them.
 *
 * Values inside the runtime are untyped 64-bit slots (tw_slot). References
 * are pointers: a funcref is a twine_func_t* and an externref the host's
 * void*; NULL is the null reference of either type.
 */
#ifndef TW_RT_RT_H
#define TW_RT_RT_H

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "twine/twine.h"
#include "util/err.h"
#include "wasm/module.h"

typedef union tw_slot {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  void *ref;
} tw_slot;

/* ---- engine ------------------------------------------------------------ */

struct twine_engine {
  twine_config_t cfg;
  /* Function-type registry: structurally equal types get the same id, so
   * call_indirect compares integers. Guarded by types_lock. */
  struct tw_typereg *types;
};

/* Canonical id of a function type (registering it if new). Returns
 * TWINE_ERR_NOMEM on allocation failure. */
twine_status_t tw_rt_type_id(twine_engine_t *e, const tw_functype *ft,
                             uint32_t *id);

/* ---- module handle ------------------------------------------------------ */

struct tw_interp_module; /* lowered code, owned by src/interp */

struct twine_module {
  twine_engine_t *engine;
  tw_module *m;
  uint32_t *type_ids;               /* canonical id of each module type */
  struct tw_interp_module *interp;  /* lowered functions */
  atomic_uint refs;                 /* caller's reference + instances */
};

void tw_rt_module_release(twine_module_t *mod);

/* ---- objects ------------------------------------------------------------ */

struct twine_memory {
  twine_store_t *store;
  uint8_t *base;       /* first byte; may move on grow in explicit mode */
  uint64_t size;       /* current size in bytes (pages * 64 KiB) */
  uint64_t pages;
  tw_limits limits;    /* declared type (pages) */
  uint64_t max_pages;  /* effective maximum: declared max and engine cap */
  bool guarded;        /* reservation with guard region (see memory.c) */
  size_t reserved;     /* bytes of address space reserved (guarded) */
};

struct twine_table {
  twine_store_t *store;
  tw_valtype elem;     /* TW_FUNCREF or TW_EXTERNREF */
  uint32_t size;
  tw_limits limits;
  void **elems;        /* size entries; NULL = null reference */
};

struct twine_global {
  twine_store_t *store;
  tw_globaltype type;
  tw_slot value;
};

enum { TW_FUNC_WASM = 0, TW_FUNC_HOST = 1 };

struct tw_icode; /* one lowered function, owned by src/interp */

struct twine_func {
  twine_store_t *store;
  uint8_t kind;                  /* TW_FUNC_* */
  uint32_t type_id;              /* canonical type id (engine registry) */
  const tw_functype *type;       /* owned by the module or by this func */
  /* wasm functions */
  twine_instance_t *inst;
  uint32_t index;                /* in the module's function index space */
  const struct tw_icode *code;
  /* host functions */
  twine_host_func_cb cb;
  void *env;
  void (*env_free)(void *);
  tw_functype own_type;          /* storage for host function types */
};

/* A passive element segment's references, resolved at instantiation. */
typedef struct tw_elem_inst {
  uint32_t count;  /* 0 once dropped */
  void **refs;
} tw_elem_inst;

struct twine_instance {
  twine_store_t *store;
  twine_module_t *module;
  twine_func_t **funcs;       /* module's function index space */
  twine_table_t **tables;
  twine_memory_t **mems;
  twine_global_t **globals;
  tw_elem_inst *elems;        /* one per element segment */
  bool *data_dropped;         /* one per data segment */
  twine_extern_t *exports;    /* one per module export */
  twine_memory_t *mem0;       /* mems[0] or NULL (hot path shortcut) */
};

/* ---- store -------------------------------------------------------------- */

struct tw_exec; /* interpreter execution state, owned by src/interp */

struct twine_store {
  twine_engine_t *engine;
  /* Everything the store owns, freed in twine_store_free. */
  struct tw_objlist *objects;
  struct tw_exec *exec;        /* created on first call */
  atomic_int interrupt;        /* set by twine_store_interrupt */
};

/* Record an object for freeing with the store. kind: TW_EXT_* or
 * TW_OBJ_INSTANCE. Returns TWINE_ERR_NOMEM on failure (the caller then
 * frees the object itself). */
enum { TW_OBJ_INSTANCE = 16 };
twine_status_t tw_rt_store_adopt(twine_store_t *store, int kind, void *obj);

/* ---- memories ----------------------------------------------------------- */

/* Create a memory of `limits` pages in the store's bounds mode. */
twine_status_t tw_rt_memory_new(twine_store_t *store, const tw_limits *limits,
                                twine_memory_t **out);
/* Grow by delta pages; returns the old size in pages, or -1 on failure
 * (over the maximum or out of memory), as memory.grow does. */
int64_t tw_rt_memory_grow(twine_memory_t *mem, uint64_t delta);
void tw_rt_memory_free(twine_memory_t *mem);

/* Is `addr` inside the reserved region of a guarded memory? (signals) */
static inline bool tw_rt_memory_owns(const twine_memory_t *mem,
                                     const void *addr) {
  const uint8_t *a = (const uint8_t *)addr;
  return mem && mem->guarded && a >= mem->base && a < mem->base + mem->reserved;
}

/* ---- tables ------------------------------------------------------------- */

twine_status_t tw_rt_table_new(twine_store_t *store, const tw_tabletype *tt,
                               void *init, twine_table_t **out);
/* table.grow semantics: old size or -1. */
int64_t tw_rt_table_grow(twine_table_t *t, uint32_t delta, void *init);
void tw_rt_table_free(twine_table_t *t);

/* ---- functions ---------------------------------------------------------- */

void tw_rt_func_free(twine_func_t *f);

/* Convert between typed public values and slots. */
void tw_rt_val_to_slot(const twine_val_t *v, tw_slot *s);
void tw_rt_slot_to_val(tw_slot s, tw_valtype t, twine_val_t *v);
twine_valkind_t tw_rt_valkind(tw_valtype t);
tw_valtype tw_rt_valtype(twine_valkind_t k);

/* The calling context passed to host functions (see twine_caller_t). */
struct twine_caller {
  twine_store_t *store;
  twine_instance_t *inst; /* calling instance, or NULL from the embedder */
  twine_trap_t *trap;     /* where twine_caller_trap/exit record details */
  char message[256];
  int32_t exit_code;
};

/* Invoke a host function with slots: args[0..nparams) in, results written
 * to args[0..nresults). Returns TWINE_OK, TWINE_ERR_TRAP or TWINE_ERR_EXIT;
 * on error *kind / message / exit code are filled via `caller`. */
twine_status_t tw_rt_call_host(twine_func_t *f, twine_instance_t *caller_inst,
                               tw_slot *args, struct twine_caller *caller);

/* ---- instances ---------------------------------------------------------- */

/* Evaluate a validated constant expression in the context of `inst`
 * (globals and functions already set up). */
tw_slot tw_rt_eval_const(const twine_instance_t *inst, tw_constexpr ce);

/* Name for function `index` of `inst` for traces: name section, else an
 * export name, else NULL. */
const char *tw_rt_func_name(const twine_module_t *mod, uint32_t index,
                            size_t *len);

#endif

/*
 * rt_local.h - helpers shared by the files of src/rt only (not a contract
 * with other rooms; see rt.h for that).
 */
#ifndef TW_RT_RT_LOCAL_H
#define TW_RT_RT_LOCAL_H

#include <stdlib.h>

#include "rt/rt.h"

/* calloc that never returns NULL for n == 0 (it allocates one element). */
static inline void *tw_rt_calloc(size_t n, size_t size) {
  return calloc(n ? n : 1, size);
}

/* ---- engine.c: type registry ---------------------------------------------- */

/* The public view (twine_valkind_t arrays) of registered type `id`. The
 * arrays are owned by the engine and stay valid for its lifetime. Returns
 * false for an unknown id (out is then an empty type). */
bool tw_rt_type_kinds(twine_engine_t *e, uint32_t id, twine_functype_t *out);

/* ---- func.c ---------------------------------------------------------------- */

/* Does a reference value of the public API belong to `store`? (A funcref
 * must be a function of the same store; externrefs are opaque.) */
bool tw_rt_ref_ok(twine_store_t *store, const twine_val_t *v);

/* Is `k` a kind the runtime can hold in a slot (everything except v128)? */
bool tw_rt_kind_supported(twine_valkind_t k);

/* ---- memory.c -------------------------------------------------------------- */

/* tw_rt_memory_new with a reason in *err (TWINE_ERR_LIMIT if the minimum
 * exceeds the effective maximum, TWINE_ERR_NOMEM). Not adopted. */
twine_status_t tw_rt_memory_create(twine_store_t *store,
                                   const tw_limits *limits,
                                   twine_memory_t **out, tw_err *err);

/* Grow by delta pages. TWINE_ERR_LIMIT over the maximum, TWINE_ERR_NOMEM if
 * the pages cannot be made available; *old_pages is set on success. */
twine_status_t tw_rt_memory_grow_st(twine_memory_t *mem, uint64_t delta,
                                    uint64_t *old_pages, tw_err *err);

/* ---- global.c -------------------------------------------------------------- */

void tw_rt_global_free(twine_global_t *g);

/* ---- instance.c ------------------------------------------------------------ */

void tw_rt_instance_free(twine_instance_t *inst);

/* Evaluate constant expression `ce` of the instance's module. Fails with
 * TWINE_ERR_NOMEM, or TWINE_ERR_INVALID if the expression is not one the
 * runtime can evaluate (a validated module never has those). */
twine_status_t tw_rt_const_eval(const twine_instance_t *inst, tw_constexpr ce,
                                tw_slot *out, tw_err *err);

/* ---- module.c: describing types for messages and introspection ------------ */

/* Fill a public externtype for import/export descriptions. */
void tw_rt_externtype_of_import(const twine_module_t *mod,
                                const tw_import *im, twine_externtype_t *out);

/* Text forms used in link error messages, e.g. "(func (param i32) (result
 * i32))", "memory 1..? pages", "table 0..10 funcref", "global (mut i32)".
 * Always NUL-terminated, truncated to n bytes. */
void tw_rt_fmt_functype(const tw_functype *ft, char *buf, size_t n);
void tw_rt_fmt_import_type(const tw_module *m, const tw_import *im, char *buf,
                           size_t n);
/* The type of an external object as it would be matched against an import. */
void tw_rt_fmt_extern(const twine_extern_t *ext, char *buf, size_t n);

/* A wasm name as printable text: bytes outside printable ASCII become
 * \xx escapes. */
void tw_rt_fmt_name(const char *p, size_t len, char *buf, size_t n);

#endif

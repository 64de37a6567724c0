/*
 * interp.h - the interpreter's interface to the runtime.
 *
 * At module load, tw_interp_prepare lowers every validated function body
 * once into internal code (register-style slots, resolved branches, direct
 * threaded dispatch). tw_interp_call runs a function on the store's
 * execution stacks and turns every fault into a twine_trap_t.
 */
#ifndef TW_INTERP_INTERP_H
#define TW_INTERP_INTERP_H

#include "rt/rt.h"

/* Lower all defined functions of mod->m into mod->interp. The module must
 * have passed validation. Errors: TWINE_ERR_NOMEM, TWINE_ERR_LIMIT. */
twine_status_t tw_interp_prepare(twine_module_t *mod, tw_err *err);

void tw_interp_module_free(struct tw_interp_module *im);

/* Lowered code of defined function `defined_index` (0 = first non-import). */
const struct tw_icode *tw_interp_code(const struct tw_interp_module *im,
                                      uint32_t defined_index);

/* Call f. args holds max(nparams, nresults) slots: parameters on entry,
 * results on successful return. Returns TWINE_OK, TWINE_ERR_TRAP or
 * TWINE_ERR_EXIT (details in *trap, which may be NULL). Re-entrant: a host
 * function may call back into wasm. */
twine_status_t tw_interp_call(twine_store_t *store, twine_func_t *f,
                              tw_slot *args, twine_trap_t *trap);

void tw_interp_exec_free(struct tw_exec *exec);

#endif

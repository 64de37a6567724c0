/*
 * validate_internal.h - pieces shared by validate.c (module-level rules)
 * and validate_code.c (function bodies). Not part of any contract.
 */
#ifndef TW_WASM_VALIDATE_INTERNAL_H
#define TW_WASM_VALIDATE_INTERNAL_H

#include "wasm/module.h"

/* Reusable scratch stacks for validating function bodies; zero-initialise,
 * pass to every call, release with tw_wasm_vcode_free. */
typedef struct tw_wasm_vcode tw_wasm_vcode;

tw_wasm_vcode *tw_wasm_vcode_new(void);
void tw_wasm_vcode_free(tw_wasm_vcode *vc);

/* Validate the body of defined function `func_index` (whole index space,
 * so >= m->nfunc_imports). Module-level parts (types, tables, ...) must have
 * been validated and m->declared_refs filled before. Returns
 * TWINE_ERR_INVALID (typing), TWINE_ERR_MALFORMED (structure the decoder
 * should have refused), TWINE_ERR_LIMIT or TWINE_ERR_NOMEM. */
twine_status_t tw_wasm_validate_func(const tw_module *m, uint32_t func_index,
                                     tw_wasm_vcode *vc, tw_err *err);

#endif

/*
 * func.c - functions: host functions, the call API (twine_func_call), the
 * caller context handed to host callbacks, and conversions between typed
 * public values and untyped slots.
 *
 * Slots: i32 and f32 occupy the low 32 bits (upper bits zero), i64 and f64
 * all 64, references the pointer. Floats move as bit patterns, so NaN
 * payloads survive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "rt/rt_local.h"

/* Calls with at most this many values convert on the C stack. */
#define TW_RT_SMALL_CALL 16

/* ---- value kinds and slots ---------------------------------------------- */

twine_valkind_t tw_rt_valkind(tw_valtype t) {
  switch (t) {
    case TW_I32: return TWINE_I32;
    case TW_I64: return TWINE_I64;
    case TW_F32: return TWINE_F32;
    case TW_F64: return TWINE_F64;
    case TW_V128: return TWINE_V128;
    case TW_FUNCREF: return TWINE_FUNCREF;
    case TW_EXTERNREF: return TWINE_EXTERNREF;
    default: return TWINE_I32; /* never: types come from the validator */
  }
}

tw_valtype tw_rt_valtype(twine_valkind_t k) {
  switch (k) {
    case TWINE_I32: return TW_I32;
    case TWINE_I64: return TW_I64;
    case TWINE_F32: return TW_F32;
    case TWINE_F64: return TW_F64;
    case TWINE_V128: return TW_V128;
    case TWINE_FUNCREF: return TW_FUNCREF;
    case TWINE_EXTERNREF: return TW_EXTERNREF;
  }
  return 0;
}

bool tw_rt_kind_supported(twine_valkind_t k) {
  switch (k) {
    case TWINE_I32:
    case TWINE_I64:
    case TWINE_F32:
    case TWINE_F64:
    case TWINE_FUNCREF:
    case TWINE_EXTERNREF: return true;
    case TWINE_V128: return false;
  }
  return false;
}

bool tw_rt_ref_ok(twine_store_t *store, const twine_val_t *v) {
  return v->kind != TWINE_FUNCREF || !v->of.funcref ||
         v->of.funcref->store == store;
}

void tw_rt_val_to_slot(const twine_val_t *v, tw_slot *s) {
  s->i64 = 0;
  switch (v->kind) {
    case TWINE_I32: s->i32 = (uint32_t)v->of.i32; break;
    case TWINE_I64: s->i64 = (uint64_t)v->of.i64; break;
    case TWINE_F32: s->i32 = v->of.f32_bits; break;
    case TWINE_F64: s->i64 = v->of.f64_bits; break;
    case TWINE_FUNCREF: s->ref = v->of.funcref; break;
    case TWINE_EXTERNREF: s->ref = v->of.externref; break;
    case TWINE_V128: break; /* not representable; rejected by callers */
  }
}

void tw_rt_slot_to_val(tw_slot s, tw_valtype t, twine_val_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = tw_rt_valkind(t);
  switch (t) {
    case TW_I32: v->of.i32 = (int32_t)s.i32; break;
    case TW_I64: v->of.i64 = (int64_t)s.i64; break;
    case TW_F32: v->of.f32_bits = s.i32; break;
    case TW_F64: v->of.f64_bits = s.i64; break;
    case TW_FUNCREF: v->of.funcref = s.ref; break;
    case TW_EXTERNREF: v->of.externref = s.ref; break;
    default: break;
  }
}

/* ---- host functions --------------------------------------------------------- */

void tw_rt_func_free(twine_func_t *f) {
  if (!f) return;
  if (f->env_free) f->env_free(f->env);
  free(f->own_type.types);
  free(f);
}

twine_status_t twine_func_new_host(twine_store_t *store,
                                   const twine_functype_t *type,
                                   twine_host_func_cb cb, void *env,
                                   void (*env_free)(void *env),
                                   twine_func_t **out) {
  if (!store || !type || !cb || !out) return TWINE_ERR_ARG;
  if (type->nparams > TW_MAX_PARAMS || type->nresults > TW_MAX_RESULTS)
    return TWINE_ERR_LIMIT;
  if ((type->nparams && !type->params) || (type->nresults && !type->results))
    return TWINE_ERR_ARG;
  size_t total = type->nparams + type->nresults;
  for (size_t i = 0; i < total; i++) {
    twine_valkind_t k =
        i < type->nparams ? type->params[i] : type->results[i - type->nparams];
    if ((unsigned)k > TWINE_EXTERNREF) return TWINE_ERR_ARG;
    if (!tw_rt_kind_supported(k)) return TWINE_ERR_UNSUPPORTED;
  }
  twine_func_t *f = calloc(1, sizeof *f);
  tw_valtype *types = tw_rt_calloc(total, sizeof *types);
  if (!f || !types) {
    free(f);
    free(types);
    return TWINE_ERR_NOMEM;
  }
  for (size_t i = 0; i < total; i++)
    types[i] = tw_rt_valtype(i < type->nparams
                                 ? type->params[i]
                                 : type->results[i - type->nparams]);
  f->store = store;
  f->kind = TW_FUNC_HOST;
  f->own_type.nparams = (uint32_t)type->nparams;
  f->own_type.nresults = (uint32_t)type->nresults;
  f->own_type.types = types;
  f->type = &f->own_type;
  f->cb = cb;
  f->env = env;
  twine_status_t st = tw_rt_type_id(store->engine, f->type, &f->type_id);
  if (st == TWINE_OK) st = tw_rt_store_adopt(store, TW_EXT_FUNC, f);
  if (st != TWINE_OK) {
    tw_rt_func_free(f); /* env_free is not set yet: env stays the caller's */
    return st;
  }
  f->env_free = env_free;
  *out = f;
  return TWINE_OK;
}

void twine_func_type(const twine_func_t *func, twine_functype_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (func) tw_rt_type_kinds(func->store->engine, func->type_id, out);
}

/* ---- calling host functions from wasm ---------------------------------------- */

static twine_status_t host_trap(struct twine_caller *c, const char *msg) {
  snprintf(c->message, sizeof c->message, "%s", msg);
  return TWINE_ERR_TRAP;
}

static twine_status_t call_host(twine_func_t *f, tw_slot *args,
                                struct twine_caller *c) {
  const tw_functype *ft = f->type;
  twine_val_t small[TW_RT_SMALL_CALL];
  size_t n = (size_t)ft->nparams + ft->nresults;
  twine_val_t *vals = n <= TW_RT_SMALL_CALL ? small : malloc(n * sizeof *vals);
  if (!vals) return host_trap(c, "out of memory calling a host function");
  twine_val_t *params = vals, *results = vals + ft->nparams;
  for (uint32_t i = 0; i < ft->nparams; i++)
    tw_rt_slot_to_val(args[i], tw_ft_params(ft)[i], &params[i]);
  for (uint32_t i = 0; i < ft->nresults; i++) {
    tw_slot zero = {0};
    tw_rt_slot_to_val(zero, tw_ft_results(ft)[i], &results[i]);
  }

  twine_status_t st = f->cb(c, f->env, params, results);
  if (st == TWINE_OK) {
    for (uint32_t i = 0; i < ft->nresults; i++) {
      if (results[i].kind != tw_rt_valkind(tw_ft_results(ft)[i])) {
        st = host_trap(c, "host function returned a value of the wrong type");
        break;
      }
      if (!tw_rt_ref_ok(f->store, &results[i])) {
        st = host_trap(c, "host function returned a function of another store");
        break;
      }
    }
    if (st == TWINE_OK)
      for (uint32_t i = 0; i < ft->nresults; i++)
        tw_rt_val_to_slot(&results[i], &args[i]);
  } else if (st == TWINE_ERR_TRAP) {
    if (c->message[0] == 0) host_trap(c, "host function trapped");
  } else if (st != TWINE_ERR_EXIT) {
    char msg[sizeof c->message];
    snprintf(msg, sizeof msg, "host function failed: %s",
             twine_status_str(st));
    st = host_trap(c, msg);
  }
  if (vals != small) free(vals);
  return st;
}

twine_status_t tw_rt_call_host(twine_func_t *f, twine_instance_t *caller_inst,
                               tw_slot *args, struct twine_caller *caller) {
  /* The callback gets its own context: a nested call into wasm may reuse
   * `caller` (the interpreter's) before this callback returns. */
  struct twine_caller c;
  memset(&c, 0, sizeof c);
  c.store = f->store;
  c.inst = caller_inst;
  c.trap = NULL;
  twine_status_t st = call_host(f, args, &c);
  caller->store = c.store;
  caller->inst = caller_inst;
  caller->trap = NULL;
  memcpy(caller->message, c.message, sizeof c.message);
  caller->exit_code = c.exit_code;
  return st;
}

/* ---- caller context ------------------------------------------------------------- */

twine_memory_t *twine_caller_memory(twine_caller_t *caller) {
  return caller && caller->inst ? caller->inst->mem0 : NULL;
}

twine_status_t twine_caller_export(twine_caller_t *caller, const char *name,
                                   twine_extern_t *out) {
  if (!caller || !name || !out) return TWINE_ERR_ARG;
  if (!caller->inst) return TWINE_ERR_NOTFOUND;
  return twine_instance_export(caller->inst, name, strlen(name), out);
}

twine_status_t twine_caller_trap(twine_caller_t *caller, const char *message) {
  if (!caller) return TWINE_ERR_ARG;
  snprintf(caller->message, sizeof caller->message, "%s",
           message && message[0] ? message : "host function trapped");
  if (caller->trap) {
    caller->trap->kind = TWINE_TRAP_HOST;
    memcpy(caller->trap->message, caller->message, sizeof caller->message);
  }
  return TWINE_ERR_TRAP;
}

twine_status_t twine_caller_exit(twine_caller_t *caller, int32_t code) {
  if (!caller) return TWINE_ERR_ARG;
  caller->exit_code = code;
  if (caller->trap) {
    caller->trap->kind = TWINE_TRAP_EXIT;
    caller->trap->exit_code = code;
  }
  return TWINE_ERR_EXIT;
}

twine_store_t *twine_caller_store(twine_caller_t *caller) {
  return caller ? caller->store : NULL;
}

/* ---- the call API ------------------------------------------------------------------ */

twine_status_t twine_func_call(twine_func_t *func, const twine_val_t *args,
                               size_t nargs, twine_val_t *results,
                               size_t nresults, twine_trap_t *trap) {
  if (!func) return TWINE_ERR_ARG;
  const tw_functype *ft = func->type;
  if (nargs != ft->nparams || nresults != ft->nresults) return TWINE_ERR_ARG;
  if ((nargs && !args) || (nresults && !results)) return TWINE_ERR_ARG;
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].kind != tw_rt_valkind(tw_ft_params(ft)[i])) return TWINE_ERR_ARG;
    if (!tw_rt_ref_ok(func->store, &args[i])) return TWINE_ERR_ARG;
  }
  size_t n = nargs > nresults ? nargs : nresults;
  tw_slot small[TW_RT_SMALL_CALL];
  tw_slot *slots = n <= TW_RT_SMALL_CALL ? small : malloc(n * sizeof *slots);
  if (!slots) return TWINE_ERR_NOMEM;
  for (size_t i = 0; i < nargs; i++) tw_rt_val_to_slot(&args[i], &slots[i]);
  twine_status_t st = tw_interp_call(func->store, func, slots, trap);
  if (st == TWINE_OK)
    for (size_t i = 0; i < nresults; i++)
      tw_rt_slot_to_val(slots[i], tw_ft_results(ft)[i], &results[i]);
  if (slots != small) free(slots);
  return st;
}

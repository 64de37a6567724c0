/*
 * spec_host.c - the `spectest` host module every spec file may import:
 * print functions, four immutable globals (666 / 666.6), a funcref table
 * (10, max 20) and a memory (1 page, max 2).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

typedef struct print_func {
  const char *name;
  size_t nparams;
  twine_valkind_t params[2];
} print_func;

static const print_func print_funcs[] = {
    {"print", 0, {TWINE_I32, TWINE_I32}},
    {"print_i32", 1, {TWINE_I32, TWINE_I32}},
    {"print_i64", 1, {TWINE_I64, TWINE_I64}},
    {"print_f32", 1, {TWINE_F32, TWINE_F32}},
    {"print_f64", 1, {TWINE_F64, TWINE_F64}},
    {"print_i32_f32", 2, {TWINE_I32, TWINE_F32}},
    {"print_f64_f64", 2, {TWINE_F64, TWINE_F64}},
};

static twine_status_t print_quiet(twine_caller_t *caller, void *env,
                                  const twine_val_t *args,
                                  twine_val_t *results) {
  (void)caller, (void)env, (void)args, (void)results;
  return TWINE_OK;
}

static twine_status_t print_verbose(twine_caller_t *caller, void *env,
                                    const twine_val_t *args,
                                    twine_val_t *results) {
  (void)caller, (void)results;
  const print_func *pf = env;
  char buf[96];
  printf("spectest.%s(", pf->name);
  for (size_t i = 0; i < pf->nparams; i++) {
    spec_value_str(&args[i], buf, sizeof buf);
    printf("%s%s", i ? ", " : "", buf);
  }
  printf(")\n");
  return TWINE_OK;
}

static twine_status_t define(twine_linker_t *linker, const char *name,
                             twine_extern_t ext, char *msg, size_t msglen) {
  twine_status_t st = twine_linker_define(linker, "spectest", 8, name,
                                          strlen(name), ext);
  if (st != TWINE_OK)
    snprintf(msg, msglen, "defining spectest.%s: %s", name,
             twine_status_str(st));
  return st;
}

twine_status_t spec_host_define(twine_store_t *store, twine_linker_t *linker,
                                bool verbose, char *msg, size_t msglen) {
  twine_status_t st;
  twine_extern_t ext;

  for (size_t i = 0; i < sizeof print_funcs / sizeof print_funcs[0]; i++) {
    const print_func *pf = &print_funcs[i];
    twine_functype_t ft = {pf->nparams, pf->params, 0, NULL};
    twine_func_t *f;
    st = twine_func_new_host(store, &ft, verbose ? print_verbose : print_quiet,
                             (void *)pf, NULL, &f);
    if (st != TWINE_OK) {
      snprintf(msg, msglen, "creating spectest.%s: %s", pf->name,
               twine_status_str(st));
      return st;
    }
    ext.kind = TWINE_EXTERN_FUNC;
    ext.of.func = f;
    if ((st = define(linker, pf->name, ext, msg, msglen)) != TWINE_OK)
      return st;
  }

  float f32 = 666.6f;
  double f64 = 666.6;
  twine_val_t g[4];
  memset(g, 0, sizeof g);
  g[0].kind = TWINE_I32, g[0].of.i32 = 666;
  g[1].kind = TWINE_I64, g[1].of.i64 = 666;
  g[2].kind = TWINE_F32, memcpy(&g[2].of.f32_bits, &f32, sizeof f32);
  g[3].kind = TWINE_F64, memcpy(&g[3].of.f64_bits, &f64, sizeof f64);
  static const char *const gnames[4] = {"global_i32", "global_i64",
                                        "global_f32", "global_f64"};
  for (int i = 0; i < 4; i++) {
    twine_global_t *glob;
    st = twine_global_new(store, g[i], false, &glob);
    if (st != TWINE_OK) {
      snprintf(msg, msglen, "creating spectest.%s: %s", gnames[i],
               twine_status_str(st));
      return st;
    }
    ext.kind = TWINE_EXTERN_GLOBAL;
    ext.of.global = glob;
    if ((st = define(linker, gnames[i], ext, msg, msglen)) != TWINE_OK)
      return st;
  }

  twine_val_t null_func;
  memset(&null_func, 0, sizeof null_func);
  null_func.kind = TWINE_FUNCREF;
  twine_table_t *table;
  st = twine_table_new(store, TWINE_FUNCREF, (twine_limits_t){10, 20, true},
                       null_func, &table);
  if (st != TWINE_OK) {
    snprintf(msg, msglen, "creating spectest.table: %s", twine_status_str(st));
    return st;
  }
  ext.kind = TWINE_EXTERN_TABLE;
  ext.of.table = table;
  if ((st = define(linker, "table", ext, msg, msglen)) != TWINE_OK) return st;

  twine_memory_t *mem;
  st = twine_memory_new(store, (twine_limits_t){1, 2, true}, &mem);
  if (st != TWINE_OK) {
    snprintf(msg, msglen, "creating spectest.memory: %s",
             twine_status_str(st));
    return st;
  }
  ext.kind = TWINE_EXTERN_MEMORY;
  ext.of.memory = mem;
  return define(linker, "memory", ext, msg, msglen);
}

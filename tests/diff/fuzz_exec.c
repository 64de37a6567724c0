/*
 * fuzz_exec.c - Twine's side of the differential test against binaryen.
 *
 *   twine-fuzz-exec [--bounds=guard|explicit] MODULE.wasm
 *
 * Mirrors what `wasm-opt MODULE.wasm --fuzz-exec-before` does in binaryen's
 * interpreter (binaryen 108, src/tools/execution-results.h), using only the
 * public API (include/twine/twine.h):
 *
 *   - every function import from "fuzzing-support" (log-i32, log-i64,
 *     log-f32, log-f64, ...) prints
 *       [LoggingExternalInterface logging ARG ARG...]
 *     (an i64 argument as two i32: low half, high half) and returns
 *     nothing; any other function import prints
 *       [LoggingExternalInterface ignoring an unknown import MOD . NAME
 *   - the module is instantiated once (start function included); a trap
 *     there prints "[trap MSG]" and ends the run (binaryen does the same);
 *   - every exported function, in export-section order, prints
 *       [fuzz-exec] calling NAME
 *     then the export "hangLimitInitializer" (if any) is called, then the
 *     function with zero arguments (null references); a trap prints
 *     "[trap MSG]" (MSG: the spec's wording of the trap kind, e.g.
 *     "integer divide by zero"); a function with results that returned prints
 *       [fuzz-exec] note result: NAME => VALUE
 *     where VALUE is the type name for a single reference result and
 *     "(V1, V2, ...)" for several results.
 *
 * Value text: i32/i64 signed decimal; floats "nan[:0xPAYLOAD]" with a "-"
 * for a set sign bit, "inf", "-inf", "0.0", "-0.0", or the shortest
 * decimal that reads back to the same value, always with a '.' or an
 * exponent so that a float can never be mistaken for an integer (binaryen
 * prints 1.0f as "1"; the comparison script parses both sides).
 * References inside tuples:
 * "funcref(null)", "funcref(fimport$K)" for imported function K,
 * "funcref(export:NAME)" for a function that is exported as NAME,
 * "funcref(?)" otherwise; "anyref(null)" / "anyref(?)" for externref
 * (binaryen 108 calls externref "anyref").
 *
 * Things binaryen's interpreter reports that Twine cannot (host limits) are
 * handled by the comparison script. Exit status: 0 after a complete run
 * (traps included), 2 if the module was rejected or could not be linked,
 * 3 for a usage or I/O problem.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twine/twine.h"

#define PROG "twine-fuzz-exec"

/* One function import: what the host callback needs to print. */
typedef struct import_env {
  bool logging; /* module is "fuzzing-support" */
  const char *module;
  size_t module_len;
  const char *name;
  size_t name_len;
  size_t nparams;
  twine_valkind_t params[64];
} import_env;

/* Function imports and exports, to name funcref values in tuples. */
typedef struct func_names {
  size_t nimports;
  twine_func_t **imports; /* function import k -> the host function */
  size_t nexports;
  twine_func_t **exports; /* every export; NULL for non-functions */
  const char **export_names;
  size_t *export_name_lens;
} func_names;

static void print_name(const char *p, size_t n) { fwrite(p, 1, n, stdout); }

/* Shortest "%g" text that reads back as exactly d (d finite, nonzero).
 * f32 values are printed as the double they convert to, like binaryen does,
 * so the text of either side reads back to the same double. */
static void print_finite(double d) {
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  fputs(buf, stdout);
  if (!strpbrk(buf, ".e")) fputs(".0", stdout);
}

static void print_f32(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  const char *sign = (bits >> 31) ? "-" : "";
  if (isnan(f)) {
    printf("%snan", sign);
    if (bits & 0x7fffffu) printf(":0x%" PRIx32, bits & 0x7fffffu);
  } else if (isinf(f)) {
    printf("%sinf", sign);
  } else if (f == 0) {
    printf("%s0.0", sign);
  } else {
    print_finite((double)f);
  }
}

static void print_f64(uint64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  const char *sign = (bits >> 63) ? "-" : "";
  if (isnan(d)) {
    printf("%snan", sign);
    uint64_t payload = bits & 0xfffffffffffffull;
    if (payload) printf(":0x%" PRIx64, payload);
  } else if (isinf(d)) {
    printf("%sinf", sign);
  } else if (d == 0) {
    printf("%s0.0", sign);
  } else {
    print_finite(d);
  }
}

static void print_funcref(const func_names *fn, twine_func_t *f) {
  if (!f) {
    fputs("funcref(null)", stdout);
    return;
  }
  if (!fn) {
    fputs("funcref(?)", stdout);
    return;
  }
  for (size_t k = 0; k < fn->nimports; k++) {
    if (fn->imports[k] == f) {
      printf("funcref(fimport$%zu)", k);
      return;
    }
  }
  for (size_t i = 0; i < fn->nexports; i++) {
    if (fn->exports[i] == f) {
      fputs("funcref(export:", stdout);
      print_name(fn->export_names[i], fn->export_name_lens[i]);
      fputs(")", stdout);
      return;
    }
  }
  fputs("funcref(?)", stdout);
}

static void print_val(const func_names *fn, const twine_val_t *v) {
  switch (v->kind) {
    case TWINE_I32: printf("%" PRId32, v->of.i32); break;
    case TWINE_I64: printf("%" PRId64, v->of.i64); break;
    case TWINE_F32: print_f32(v->of.f32_bits); break;
    case TWINE_F64: print_f64(v->of.f64_bits); break;
    case TWINE_FUNCREF: print_funcref(fn, v->of.funcref); break;
    case TWINE_EXTERNREF:
      fputs(v->of.externref ? "anyref(?)" : "anyref(null)", stdout);
      break;
    case TWINE_V128: fputs("v128(?)", stdout); break;
  }
}

static twine_status_t host_import(twine_caller_t *caller, void *env,
                                  const twine_val_t *args,
                                  twine_val_t *results) {
  (void)caller;
  (void)results;
  const import_env *ie = env;
  if (ie->logging) {
    fputs("[LoggingExternalInterface logging", stdout);
    for (size_t i = 0; i < ie->nparams; i++) {
      if (args[i].kind == TWINE_I64) {
        /* binaryen logs an i64 as its low and high halves (as the
         * JavaScript-legalised import would see them) */
        printf(" %" PRId32 " %" PRId32, (int32_t)(uint32_t)args[i].of.i64,
               (int32_t)(uint32_t)((uint64_t)args[i].of.i64 >> 32));
        continue;
      }
      fputc(' ', stdout);
      print_val(NULL, &args[i]);
    }
    fputs("]\n", stdout);
  } else {
    fputs("[LoggingExternalInterface ignoring an unknown import ", stdout);
    print_name(ie->module, ie->module_len);
    fputs(" . ", stdout);
    print_name(ie->name, ie->name_len);
    fputc('\n', stdout);
  }
  return TWINE_OK;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Wasm traps print the spec's wording for their kind (the comparison maps
 * binaryen's messages to kinds); host traps print their message. */
static void print_trap(const twine_trap_t *trap) {
  if (trap->kind == TWINE_TRAP_HOST && trap->message[0])
    printf("[trap %s]\n", trap->message);
  else
    printf("[trap %s]\n", twine_trap_kind_str(trap->kind));
}

static twine_val_t zero_of(twine_valkind_t k) {
  twine_val_t v;
  memset(&v, 0, sizeof v);
  v.kind = k;
  return v;
}

/* Call every exported function as binaryen's ExecutionResults::get does. */
static void run_exports(twine_instance_t *inst, const func_names *fn) {
  twine_extern_t hang;
  bool has_hang = twine_instance_export(inst, "hangLimitInitializer", 20,
                                        &hang) == TWINE_OK &&
                  hang.kind == TWINE_EXTERN_FUNC;
  for (size_t i = 0; i < fn->nexports; i++) {
    twine_func_t *f = fn->exports[i];
    if (!f) continue;
    fputs("[fuzz-exec] calling ", stdout);
    print_name(fn->export_names[i], fn->export_name_lens[i]);
    fputc('\n', stdout);
    twine_trap_t trap;
    twine_status_t st = TWINE_OK;
    if (has_hang) st = twine_func_call(hang.of.func, NULL, 0, NULL, 0, &trap);
    if (st != TWINE_OK) {
      print_trap(&trap);
      continue;
    }
    twine_functype_t ft;
    twine_func_type(f, &ft);
    twine_val_t *args = calloc(ft.nparams + 1, sizeof *args);
    twine_val_t *res = calloc(ft.nresults + 1, sizeof *res);
    if (!args || !res) {
      fprintf(stderr, PROG ": out of memory\n");
      exit(3);
    }
    for (size_t a = 0; a < ft.nparams; a++) args[a] = zero_of(ft.params[a]);
    fflush(stdout);
    st = twine_func_call(f, args, ft.nparams, res, ft.nresults, &trap);
    if (st == TWINE_ERR_TRAP || st == TWINE_ERR_EXIT) {
      print_trap(&trap);
    } else if (st != TWINE_OK) {
      printf("[twine call failed: %s]\n", twine_status_str(st));
    } else if (ft.nresults > 0) {
      fputs("[fuzz-exec] note result: ", stdout);
      print_name(fn->export_names[i], fn->export_name_lens[i]);
      fputs(" => ", stdout);
      if (ft.nresults == 1 && (ft.results[0] == TWINE_FUNCREF ||
                               ft.results[0] == TWINE_EXTERNREF)) {
        fputs(ft.results[0] == TWINE_FUNCREF ? "funcref" : "anyref", stdout);
      } else if (ft.nresults == 1) {
        print_val(fn, &res[0]);
      } else {
        fputc('(', stdout);
        for (size_t r = 0; r < ft.nresults; r++) {
          if (r) fputs(", ", stdout);
          print_val(fn, &res[r]);
        }
        fputc(')', stdout);
      }
      fputc('\n', stdout);
    }
    free(args);
    free(res);
  }
}

static int usage(void) {
  fprintf(stderr, "Usage: " PROG " [--bounds=guard|explicit] MODULE.wasm\n");
  return 3;
}

int main(int argc, char **argv) {
  twine_config_t cfg;
  twine_config_default(&cfg);
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--bounds=guard")) {
      cfg.bounds = TWINE_BOUNDS_GUARD_PAGES;
    } else if (!strcmp(argv[i], "--bounds=explicit")) {
      cfg.bounds = TWINE_BOUNDS_EXPLICIT;
    } else if (argv[i][0] == '-' || path) {
      return usage();
    } else {
      path = argv[i];
    }
  }
  if (!path) return usage();
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, PROG ": cannot read %s\n", path);
    return 3;
  }

  int rc = 2;
  twine_engine_t *engine = NULL;
  twine_module_t *module = NULL;
  twine_store_t *store = NULL;
  twine_extern_t *imports = NULL;
  import_env *envs = NULL;
  func_names fn;
  memset(&fn, 0, sizeof fn);
  twine_error_t err;
  memset(&err, 0, sizeof err);
  twine_status_t st = twine_engine_new(&cfg, &engine);
  if (st != TWINE_OK) {
    printf("[twine engine: %s]\n", twine_status_str(st));
    goto out;
  }
  st = twine_module_new(engine, bytes, len, &module, &err);
  if (st != TWINE_OK) {
    printf("[twine rejected the module: %s: %s]\n", twine_status_str(st),
           err.message);
    goto out;
  }
  st = twine_store_new(engine, &store);
  if (st != TWINE_OK) goto out;

  size_t nimp = twine_module_import_count(module);
  imports = calloc(nimp + 1, sizeof *imports);
  envs = calloc(nimp + 1, sizeof *envs);
  fn.imports = calloc(nimp + 1, sizeof *fn.imports);
  if (!imports || !envs || !fn.imports) goto out;
  for (size_t i = 0; i < nimp; i++) {
    twine_import_info_t info;
    if (twine_module_import(module, i, &info) != TWINE_OK) goto out;
    if (info.type.kind != TWINE_EXTERN_FUNC ||
        info.type.func.nparams > 64) {
      printf("[twine: unsupported import ");
      print_name(info.module, info.module_len);
      fputs(" . ", stdout);
      print_name(info.name, info.name_len);
      puts("]");
      goto out;
    }
    import_env *ie = &envs[i];
    ie->logging = info.module_len == 15 &&
                  !memcmp(info.module, "fuzzing-support", 15);
    ie->module = info.module;
    ie->module_len = info.module_len;
    ie->name = info.name;
    ie->name_len = info.name_len;
    ie->nparams = info.type.func.nparams;
    memcpy(ie->params, info.type.func.params,
           ie->nparams * sizeof ie->params[0]);
    twine_func_t *hf;
    st = twine_func_new_host(store, &info.type.func, host_import, ie, NULL,
                             &hf);
    if (st != TWINE_OK) {
      printf("[twine: host function: %s]\n", twine_status_str(st));
      goto out;
    }
    imports[i].kind = TWINE_EXTERN_FUNC;
    imports[i].of.func = hf;
    fn.imports[fn.nimports++] = hf;
  }

  twine_instance_t *inst = NULL;
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  st = twine_instance_new(store, module, imports, nimp, &inst, &err, &trap);
  if (st == TWINE_ERR_TRAP) {
    print_trap(&trap);
    rc = 0;
    goto out;
  }
  if (st != TWINE_OK) {
    printf("[twine instantiation failed: %s: %s]\n", twine_status_str(st),
           err.message);
    goto out;
  }

  fn.nexports = twine_instance_export_count(inst);
  fn.exports = calloc(fn.nexports + 1, sizeof *fn.exports);
  fn.export_names = calloc(fn.nexports + 1, sizeof *fn.export_names);
  fn.export_name_lens = calloc(fn.nexports + 1, sizeof *fn.export_name_lens);
  if (!fn.exports || !fn.export_names || !fn.export_name_lens) goto out;
  for (size_t i = 0; i < fn.nexports; i++) {
    twine_extern_t ext;
    if (twine_instance_export_at(inst, i, &fn.export_names[i],
                                 &fn.export_name_lens[i], &ext) != TWINE_OK)
      goto out;
    if (ext.kind == TWINE_EXTERN_FUNC) fn.exports[i] = ext.of.func;
  }
  run_exports(inst, &fn);
  rc = 0;

out:
  fflush(stdout);
  free(fn.exports);
  free(fn.export_names);
  free(fn.export_name_lens);
  free(fn.imports);
  free(imports);
  free(envs);
  twine_store_free(store);
  twine_module_free(module);
  twine_engine_free(engine);
  free(bytes);
  return rc;
}

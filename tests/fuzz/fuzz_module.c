/*
 * fuzz_module.c - libFuzzer target for the whole load/instantiate/execute
 * path, through the public API only.
 *
 * For every input:
 *   1. twine_module_validate and twine_module_new must agree: a module that
 *      fails validation must fail to load with the same status, and a module
 *      that loads must validate. (Loading may additionally fail with
 *      TWINE_ERR_LIMIT or _NOMEM while lowering.)
 *   2. A module that loads is inspected (imports, exports, names) and then
 *      run twice, once per bounds mode (guard pages, explicit checks), in a
 *      fresh store each time: imports are satisfied by dummies of the right
 *      types (host functions that return zeros, memories, tables and
 *      globals with the imported limits/types), then every exported
 *      function is called with zero-valued arguments of its parameter
 *      types, in export order.
 *   3. Differential oracle: both modes must produce the same instantiation
 *      status and, call by call, the same status, trap kind and result bit
 *      patterns. A difference aborts (libFuzzer saves the input).
 *
 * Termination (why this never hangs on a guest that loops forever):
 *   - each engine has a low max_call_depth (deep recursion traps with
 *     "call stack exhausted") and a small value stack;
 *   - a watchdog thread interrupts the store (twine_store_interrupt) once
 *     the current instantiation or call has run longer than CALL_BUDGET_MS,
 *     and keeps interrupting every millisecond until the call returns
 *     (the runtime clears the flag when a top-level call starts, so a single
 *     interrupt could be lost to that race; repeating it cannot be);
 *   - after INPUT_BUDGET_MS of guest execution per input, or MAX_CALLS
 *     calls, the remaining exports are skipped.
 *   Once a call was interrupted in either mode the two runs are no longer
 *   comparable (the cut happened at different points), so comparison stops
 *   for that input. Budgets are wall-clock time, so an input that runs close
 *   to a budget may behave differently between runs; the oracle never
 *   compares interrupted runs, so this costs coverage, not soundness.
 *   If the runtime ignored interrupts, libFuzzer's -timeout reports it.
 *
 * Resource limits: memories are capped by max_memory_bytes; modules whose
 * imports would need a memory over MAX_IMPORT_PAGES or a table over
 * MAX_IMPORT_TABLE elements are not run (the dummies are ours to size).
 *
 * Build: cmake -DTWINE_FUZZ=ON -DTWINE_SANITIZE=ON with CC=clang-19 (see
 * scripts/fuzz.sh). Environment: TWINE_FUZZ_VERBOSE=1 prints what each input
 * did.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <twine/twine.h>

#define CALL_BUDGET_MS 25
#define INPUT_BUDGET_MS 400
#define MAX_CALLS 64
#define MAX_RESULTS 16
#define MAX_IMPORT_PAGES 16     /* 1 MiB */
#define MAX_IMPORT_TABLE 10000  /* elements */
#define MAX_MEMORY_BYTES (16u << 20)

enum { MODE_GUARD, MODE_EXPLICIT, NMODES };
static twine_engine_t *engines[NMODES];
static int verbose;

/* ---- watchdog --------------------------------------------------------- */

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv = PTHREAD_COND_INITIALIZER;
static twine_store_t *wd_store; /* guarded by wd_mu; NULL when idle */
static struct timespec wd_deadline;
static int wd_fired; /* the current call was interrupted at least once */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  return ts;
}

static void *watchdog(void *arg) {
  (void)arg;
  pthread_mutex_lock(&wd_mu);
  for (;;) {
    while (!wd_store)
      pthread_cond_wait(&wd_cv, &wd_mu);
    /* cond uses CLOCK_MONOTONIC (set in init) */
    int rc = pthread_cond_timedwait(&wd_cv, &wd_mu, &wd_deadline);
    (void)rc;
    if (!wd_store)
      continue;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > wd_deadline.tv_sec ||
        (now.tv_sec == wd_deadline.tv_sec &&
         now.tv_nsec >= wd_deadline.tv_nsec)) {
      /* The store stays alive while wd_store points at it: the caller
       * clears wd_store under wd_mu before freeing anything. */
      twine_store_interrupt(wd_store);
      wd_fired = 1;
      wd_deadline = ns_to_ts(now_ns() + 1000000u); /* again in 1 ms */
    }
  }
  return NULL;
}

static void watch_begin(twine_store_t *store) {
  pthread_mutex_lock(&wd_mu);
  wd_store = store;
  wd_fired = 0;
  wd_deadline = ns_to_ts(now_ns() + (uint64_t)CALL_BUDGET_MS * 1000000u);
  pthread_cond_signal(&wd_cv);
  pthread_mutex_unlock(&wd_mu);
}

/* Returns whether the watchdog interrupted the call. */
static int watch_end(void) {
  pthread_mutex_lock(&wd_mu);
  wd_store = NULL;
  int fired = wd_fired;
  pthread_cond_signal(&wd_cv);
  pthread_mutex_unlock(&wd_mu);
  return fired;
}

/* ---- dummies ----------------------------------------------------------- */

static twine_val_t zero_of(twine_valkind_t kind) {
  twine_val_t v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  return v;
}

static twine_status_t dummy_host(twine_caller_t *caller, void *env,
                                 const twine_val_t *args,
                                 twine_val_t *results) {
  (void)args;
  const twine_functype_t *type = env;
  (void)caller;
  for (size_t i = 0; i < type->nresults; i++)
    results[i] = zero_of(type->results[i]);
  return TWINE_OK;
}

/* Host functions need their type at call time; env points at a copy. */
typedef struct host_env {
  twine_functype_t type;
  twine_valkind_t kinds[];
} host_env;

static void host_env_free(void *env) { free(env); }

static twine_status_t make_host(twine_store_t *store,
                                const twine_functype_t *ft,
                                twine_func_t **out) {
  host_env *e = malloc(sizeof *e +
                       (ft->nparams + ft->nresults + 1) * sizeof(twine_valkind_t));
  if (!e)
    return TWINE_ERR_NOMEM;
  memcpy(e->kinds, ft->params, ft->nparams * sizeof(twine_valkind_t));
  memcpy(e->kinds + ft->nparams, ft->results,
         ft->nresults * sizeof(twine_valkind_t));
  e->type.nparams = ft->nparams;
  e->type.params = e->kinds;
  e->type.nresults = ft->nresults;
  e->type.results = e->kinds + ft->nparams;
  twine_status_t st =
      twine_func_new_host(store, &e->type, dummy_host, &e->type, host_env_free, out);
  if (st != TWINE_OK)
    free(e);
  return st;
}

/* Fill imports[] with dummies. Returns TWINE_OK, TWINE_ERR_LIMIT if an
 * import asks for more than we are willing to create, or an API error. */
static twine_status_t make_imports(twine_store_t *store,
                                   const twine_module_t *module,
                                   twine_extern_t *imports, size_t n) {
  for (size_t i = 0; i < n; i++) {
    twine_import_info_t info;
    twine_status_t st = twine_module_import(module, i, &info);
    if (st != TWINE_OK)
      return st;
    const twine_externtype_t *t = &info.type;
    imports[i].kind = t->kind;
    switch (t->kind) {
    case TWINE_EXTERN_FUNC:
      st = make_host(store, &t->func, &imports[i].of.func);
      break;
    case TWINE_EXTERN_MEMORY:
      if (t->limits.min > MAX_IMPORT_PAGES)
        return TWINE_ERR_LIMIT;
      st = twine_memory_new(store, t->limits, &imports[i].of.memory);
      break;
    case TWINE_EXTERN_TABLE:
      if (t->limits.min > MAX_IMPORT_TABLE)
        return TWINE_ERR_LIMIT;
      st = twine_table_new(store, t->elem, t->limits, zero_of(t->elem),
                           &imports[i].of.table);
      break;
    case TWINE_EXTERN_GLOBAL:
      st = twine_global_new(store, zero_of(t->global_type), t->global_mutable,
                            &imports[i].of.global);
      break;
    default:
      return TWINE_ERR_ARG;
    }
    if (st != TWINE_OK)
      return st;
  }
  return TWINE_OK;
}

/* ---- introspection ---------------------------------------------------- */

/* Walk the module's imports, exports and names: every string the API hands
 * out must be readable for its whole length (ASan checks the reads). */
static volatile uint8_t sink;

static void touch(const char *s, size_t n) {
  uint8_t x = 0;
  for (size_t i = 0; i < n; i++)
    x ^= (uint8_t)s[i];
  sink ^= x;
}

static void touch_type(const twine_externtype_t *t) {
  if (t->kind != TWINE_EXTERN_FUNC)
    return;
  for (size_t i = 0; i < t->func.nparams; i++)
    sink ^= (uint8_t)t->func.params[i];
  for (size_t i = 0; i < t->func.nresults; i++)
    sink ^= (uint8_t)t->func.results[i];
}

static void inspect(const twine_module_t *module) {
  size_t ni = twine_module_import_count(module);
  uint32_t nfuncs = 0;
  for (size_t i = 0; i < ni; i++) {
    twine_import_info_t info;
    if (twine_module_import(module, i, &info) != TWINE_OK)
      abort(); /* i < import_count */
    touch(info.module, info.module_len);
    touch(info.name, info.name_len);
    touch_type(&info.type);
    nfuncs += info.type.kind == TWINE_EXTERN_FUNC;
  }
  size_t ne = twine_module_export_count(module);
  for (size_t i = 0; i < ne; i++) {
    twine_export_info_t info;
    if (twine_module_export(module, i, &info) != TWINE_OK)
      abort(); /* i < export_count */
    touch(info.name, info.name_len);
    touch_type(&info.type);
  }
  /* Names of the imported functions and a few more indices, including
   * ones past the end (must return NULL, not read out of bounds). */
  for (uint32_t f = 0; f < nfuncs + 64; f++) {
    size_t len = 0;
    const char *name = twine_module_func_name(module, f, &len);
    if (name)
      touch(name, len);
  }
  if (twine_module_import(module, ni, &(twine_import_info_t){0}) == TWINE_OK ||
      twine_module_export(module, ne, &(twine_export_info_t){0}) == TWINE_OK)
    abort(); /* out-of-range index accepted */
}

/* ---- one run ----------------------------------------------------------- */

/* What one call did, for the differential check. */
typedef struct call_log {
  twine_status_t status;
  twine_trap_kind_t trap;
  size_t nresults;
  uint8_t results[MAX_RESULTS][16]; /* bit patterns (refs: null or not) */
} call_log;

typedef struct run_log {
  twine_status_t load_status;   /* twine_module_new */
  twine_status_t make_status;   /* store and dummies */
  twine_status_t inst_status;
  twine_trap_kind_t inst_trap;
  size_t ncalls;
  int interrupted;              /* comparison stops after this */
  call_log calls[MAX_CALLS];
} run_log;

static void record_results(call_log *c, const twine_val_t *res, size_t n) {
  c->nresults = n;
  for (size_t i = 0; i < n && i < MAX_RESULTS; i++) {
    memset(c->results[i], 0, 16);
    switch (res[i].kind) {
    case TWINE_I32:
    case TWINE_F32:
      memcpy(c->results[i], &res[i].of.f32_bits, 4);
      break;
    case TWINE_I64:
    case TWINE_F64:
      memcpy(c->results[i], &res[i].of.f64_bits, 8);
      break;
    case TWINE_V128:
      memcpy(c->results[i], res[i].of.v128, 16);
      break;
    case TWINE_FUNCREF:
      c->results[i][0] = res[i].of.funcref != NULL;
      break;
    case TWINE_EXTERNREF:
      c->results[i][0] = res[i].of.externref != NULL;
      break;
    }
  }
}

static void run_module(twine_engine_t *engine, const uint8_t *data,
                       size_t size, run_log *log) {
  memset(log, 0, sizeof *log);
  twine_module_t *module = NULL;
  twine_store_t *store = NULL;
  twine_extern_t *imports = NULL;
  twine_error_t err;
  twine_trap_t trap;

  log->load_status = twine_module_new(engine, data, size, &module, &err);
  if (log->load_status != TWINE_OK)
    goto out;
  inspect(module);
  log->make_status = twine_store_new(engine, &store);
  if (log->make_status != TWINE_OK)
    goto out;
  size_t nimports = twine_module_import_count(module);
  imports = calloc(nimports ? nimports : 1, sizeof *imports);
  if (!imports) {
    log->make_status = TWINE_ERR_NOMEM;
    goto out;
  }
  log->make_status = make_imports(store, module, imports, nimports);
  if (log->make_status != TWINE_OK)
    goto out;

  twine_instance_t *inst = NULL;
  uint64_t start = now_ns();
  watch_begin(store);
  log->inst_status =
      twine_instance_new(store, module, imports, nimports, &inst, &err, &trap);
  log->interrupted = watch_end();
  if (log->inst_status == TWINE_ERR_TRAP)
    log->inst_trap = trap.kind;
  if (log->inst_status != TWINE_OK || log->interrupted)
    goto out;

  size_t nexports = twine_instance_export_count(inst);
  for (size_t i = 0; i < nexports && log->ncalls < MAX_CALLS; i++) {
    if (now_ns() - start > (uint64_t)INPUT_BUDGET_MS * 1000000u)
      break;
    const char *name;
    size_t name_len;
    twine_extern_t ext;
    if (twine_instance_export_at(inst, i, &name, &name_len, &ext) != TWINE_OK)
      abort(); /* i < export_count: the API promised this export */
    if (ext.kind != TWINE_EXTERN_FUNC)
      continue;
    twine_functype_t ft;
    twine_func_type(ext.of.func, &ft);
    if (ft.nresults > MAX_RESULTS)
      continue;
    twine_val_t *args = calloc(ft.nparams ? ft.nparams : 1, sizeof *args);
    twine_val_t results[MAX_RESULTS];
    if (!args)
      break;
    for (size_t p = 0; p < ft.nparams; p++)
      args[p] = zero_of(ft.params[p]);
    for (size_t r = 0; r < ft.nresults; r++)
      results[r] = zero_of(ft.results[r]);

    call_log *c = &log->calls[log->ncalls++];
    watch_begin(store);
    c->status = twine_func_call(ext.of.func, args, ft.nparams, results,
                                ft.nresults, &trap);
    int fired = watch_end();
    free(args);
    if (c->status == TWINE_ERR_TRAP || c->status == TWINE_ERR_EXIT)
      c->trap = trap.kind;
    if (c->status == TWINE_OK)
      record_results(c, results, ft.nresults);
    if (verbose)
      fprintf(stderr, "  call %.*s: %s%s%s\n", (int)name_len, name,
              twine_status_str(c->status), c->status == TWINE_ERR_TRAP ? ": " : "",
              c->status == TWINE_ERR_TRAP ? twine_trap_kind_str(c->trap) : "");
    if (fired || c->trap == TWINE_TRAP_INTERRUPTED) {
      log->interrupted = 1;
      break;
    }
  }

out:
  free(imports);
  twine_store_free(store);
  twine_module_free(module);
}

static void mismatch(const char *what, size_t index, long a, long b) {
  fprintf(stderr,
          "fuzz_module: guard-page and explicit bounds modes disagree on %s "
          "(#%zu): %ld vs %ld\n",
          what, index, a, b);
  abort();
}

static void compare(const run_log *a, const run_log *b) {
  if (a->load_status != b->load_status)
    mismatch("load status", 0, a->load_status, b->load_status);
  if (a->load_status != TWINE_OK)
    return;
  if (a->make_status != b->make_status)
    mismatch("module/import setup status", 0, a->make_status, b->make_status);
  if (a->make_status != TWINE_OK)
    return;
  if (a->interrupted && a->ncalls == 0)
    return;
  if (b->interrupted && b->ncalls == 0)
    return;
  if (a->inst_status != b->inst_status)
    mismatch("instantiation status", 0, a->inst_status, b->inst_status);
  if (a->inst_trap != b->inst_trap)
    mismatch("instantiation trap kind", 0, a->inst_trap, b->inst_trap);
  size_t n = a->ncalls < b->ncalls ? a->ncalls : b->ncalls;
  for (size_t i = 0; i < n; i++) {
    const call_log *x = &a->calls[i], *y = &b->calls[i];
    /* The last call of an interrupted run may have been cut short. */
    if ((a->interrupted || b->interrupted) && i + 1 == n)
      return;
    if (x->status != y->status)
      mismatch("call status", i, x->status, y->status);
    if (x->trap != y->trap)
      mismatch("call trap kind", i, x->trap, y->trap);
    if (x->nresults != y->nresults ||
        memcmp(x->results, y->results, sizeof x->results) != 0)
      mismatch("call results", i, 0, 1);
  }
  if (!a->interrupted && !b->interrupted && a->ncalls != b->ncalls) {
    /* Both stopped early only through INPUT_BUDGET_MS, which is time: not
     * comparable. Equal counts are the common case. */
    return;
  }
}

/* ---- entry points ------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *v = getenv("TWINE_FUZZ_VERBOSE");
  verbose = v && *v && strcmp(v, "0") != 0;

  for (int m = 0; m < NMODES; m++) {
    twine_config_t cfg;
    twine_config_default(&cfg);
    cfg.bounds = m == MODE_GUARD ? TWINE_BOUNDS_GUARD_PAGES : TWINE_BOUNDS_EXPLICIT;
    cfg.max_call_depth = 200;
    cfg.value_stack_bytes = 256u << 10;
    cfg.max_memory_bytes = MAX_MEMORY_BYTES;
    if (twine_engine_new(&cfg, &engines[m]) != TWINE_OK) {
      fprintf(stderr, "fuzz_module: cannot create engine (mode %d)\n", m);
      abort();
    }
  }

  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_destroy(&wd_cv);
  pthread_cond_init(&wd_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t tid;
  if (pthread_create(&tid, NULL, watchdog, NULL) != 0) {
    fprintf(stderr, "fuzz_module: cannot start the watchdog thread\n");
    abort();
  }
  pthread_detach(tid);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  twine_error_t verr;
  twine_status_t vst = twine_module_validate(engines[MODE_EXPLICIT], data, size, &verr);

  run_log *logs = calloc(NMODES, sizeof *logs);
  if (!logs)
    return 0;
  for (int m = 0; m < NMODES; m++) {
    if (verbose)
      fprintf(stderr, "mode %s:\n", m == MODE_GUARD ? "guard" : "explicit");
    run_module(engines[m], data, size, &logs[m]);
  }

  /* Oracle 1: validation and loading agree. Loading may fail where
   * validation passed only for limits and memory (lowering); where
   * validation failed, loading must fail the same way. */
  twine_status_t lst = logs[MODE_EXPLICIT].load_status;
  if ((vst != TWINE_OK && lst != vst) ||
      (vst == TWINE_OK && lst != TWINE_OK && lst != TWINE_ERR_LIMIT &&
       lst != TWINE_ERR_NOMEM)) {
    fprintf(stderr,
            "fuzz_module: twine_module_validate says %s (%s) but "
            "twine_module_new says %s\n",
            twine_status_str(vst), vst == TWINE_OK ? "" : verr.message,
            twine_status_str(lst));
    abort();
  }
  if (verbose)
    fprintf(stderr, "validate: %s%s%s\n", twine_status_str(vst),
            vst == TWINE_OK ? "" : ": ", vst == TWINE_OK ? "" : verr.message);

  /* Oracle 2: both bounds modes behave the same. */
  compare(&logs[MODE_GUARD], &logs[MODE_EXPLICIT]);
  free(logs);
  return 0;
}

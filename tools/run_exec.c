/*
 * run_exec.c - `twine run` after its command line: load the module, link
 * WASI (include/twine/wasi.h) if the module imports it, instantiate, then
 * call _start or the --invoke export, under the --timeout watchdog, and
 * turn the outcome into an exit status.
 *
 * What runs (decided from the module's exports before instantiation):
 *   PLAN_INVOKE  --invoke NAME (or the older "MODULE --invoke NAME ARGS"
 *                form for a module without _start);
 *   PLAN_START   the module exports _start: a command, ARGS are its argv;
 *   PLAN_NONE    neither: instantiation (the start function) is all.
 *
 * A module importing "twine" (twine.attest) or a --protected-dir without
 * --key-file needs the enclave (include/twine/enclave.h): it is opened
 * over the module bytes, which are then reloaded from the enclave's
 * measured copy; mount keys are sealed to the measurement here, on the
 * trusted side; "twine" is defined after WASI.
 *
 * With --enclave=process this runs twice over: in the host process
 * cli_run_exec hands over to cli_run_proc (run_proc.c), which starts the
 * trusted process; there, cli_run_exec runs again on the bytes it received
 * (o->bytes), with WASI over its channel (o->child).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_enclave.h"
#include "host/enclave_proc.h"
#include "enclave/seal.h"
#include "twine/enclave.h"
#include "twine/wasi.h"

#define WASI_MODULE "wasi_snapshot_preview1"
#define TWINE_MODULE "twine"

typedef enum plan_kind { PLAN_NONE, PLAN_START, PLAN_INVOKE } plan_kind;

typedef struct run_ctx {
  const cli_run_opts *o;
  cli_run_opts inv; /* o, with invoke/rest adjusted for PLAN_INVOKE */
  plan_kind plan;
  uint8_t *bytes;
  size_t len;
  bool own_bytes; /* read here (not the trusted process's launch copy) */
  twine_engine_t *engine;
  twine_module_t *mod;
  twine_store_t *store;
  twine_linker_t *linker;
  twine_wasi_t *wasi;
  bool uses_wasi;
  bool uses_twine;       /* imports the module "twine" (twine.attest) */
  twine_enclave_t *enc;  /* measurement, sealing keys, attestation */
} run_ctx;

/* A proc_exit code as a process status: 0..255 as is, anything else 255
 * (never a false success). */
static int exit_status(int32_t code) {
  return code >= 0 && code <= 255 ? (int)code : 255;
}

static bool name_is(const char *name, size_t len, const char *want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* ---- imports -------------------------------------------------------------- */

/* Every import must come from wasi_snapshot_preview1 or twine (the linker
 * checks the names and types of those). Reports the first other one. */
static bool check_imports(run_ctx *c) {
  size_t n = twine_module_import_count(c->mod), unknown = 0;
  twine_import_info_t first;
  memset(&first, 0, sizeof first);
  for (size_t i = 0; i < n; i++) {
    twine_import_info_t imp;
    if (twine_module_import(c->mod, i, &imp) != TWINE_OK) {
      cli_err("%s: cannot read import %zu", c->o->module, i);
      return false;
    }
    if (name_is(imp.module, imp.module_len, WASI_MODULE)) {
      c->uses_wasi = true;
      continue;
    }
    if (name_is(imp.module, imp.module_len, TWINE_MODULE)) {
      c->uses_twine = true;
      continue;
    }
    if (unknown++ == 0) first = imp;
  }
  if (!unknown) return true;
  char m[256], f[256], ty[512], more[64] = "", hint[128] = "";
  cli_escape(first.module, first.module_len, m, sizeof m);
  cli_escape(first.name, first.name_len, f, sizeof f);
  cli_format_externtype(&first.type, ty, sizeof ty);
  if (unknown > 1)
    snprintf(more, sizeof more, " (and %zu more unknown imports)",
             unknown - 1);
  if (name_is(first.module, first.module_len, "wasi_unstable"))
    snprintf(hint, sizeof hint,
             "; wasi_unstable is the older WASI snapshot, rebuild for "
             "wasi_snapshot_preview1");
  else
    snprintf(hint, sizeof hint,
             "; twine run provides only " WASI_MODULE " and " TWINE_MODULE);
  cli_err("%s: unlinkable: unknown import \"%s\" \"%s\" %s%s%s",
          c->o->module, m, f, ty, more, hint);
  return false;
}

/* ---- what to run ---------------------------------------------------------- */

static bool module_exports(const twine_module_t *mod, const char *name) {
  size_t n = twine_module_export_count(mod);
  for (size_t i = 0; i < n; i++) {
    twine_export_info_t e;
    if (twine_module_export(mod, i, &e) == TWINE_OK &&
        name_is(e.name, e.name_len, name))
      return true;
  }
  return false;
}

static bool choose_plan(run_ctx *c) {
  const cli_run_opts *o = c->o;
  c->inv = *o;
  if (o->invoke) {
    c->plan = PLAN_INVOKE;
    return true;
  }
  if (module_exports(c->mod, "_start")) {
    c->plan = PLAN_START;
    return true;
  }
  if (o->nrest > 0 && !strncmp(o->rest[0], "--invoke", 8) &&
      (o->rest[0][8] == '\0' || o->rest[0][8] == '=')) {
    /* The older form: MODULE --invoke NAME [ARGS...]. */
    int skip = 1;
    if (o->rest[0][8] == '=') {
      c->inv.invoke = o->rest[0] + 9;
    } else if (o->nrest > 1) {
      c->inv.invoke = o->rest[1];
      skip = 2;
    } else {
      cli_err("run: --invoke needs a function name");
      return false;
    }
    c->inv.rest = o->rest + skip;
    c->inv.nrest = o->nrest - skip;
    c->plan = PLAN_INVOKE;
    return true;
  }
  if (o->nrest > 0) {
    char w[256];
    cli_escape(o->rest[0], strlen(o->rest[0]), w, sizeof w);
    cli_err("%s: unexpected argument %s: the module has no _start export to "
            "pass arguments to (options such as --invoke go before the "
            "module path)",
            o->module, w);
    return false;
  }
  c->plan = PLAN_NONE;
  return true;
}

/* ---- WASI ----------------------------------------------------------------- */

static bool wasi_fail(twine_status_t st, const char *what) {
  cli_err("cannot set up WASI: %s: %s", what, cli_status_name(st));
  return false;
}

/* A --protected-dir: its key is --key-file's, or sealed to the
 * measurement under "pfs-mount:<guest path>", derived here, on the trusted
 * side. */
static bool preopen_protected(run_ctx *c, twine_wasi_config_t *cfg,
                              const cli_dir *d) {
  uint8_t key[TWINE_SEAL_KEY_LEN];
  twine_status_t st = TWINE_OK;
  if (c->o->has_key) {
    memcpy(key, c->o->key, sizeof key);
  } else {
    size_t pl = strlen(TW_ENC_SEAL_LABEL_PFS), gl = strlen(d->guest);
    char *label = malloc(pl + gl + 1);
    if (!label) {
      cli_err("out of memory");
      return false;
    }
    memcpy(label, TW_ENC_SEAL_LABEL_PFS, pl);
    memcpy(label + pl, d->guest, gl + 1);
    st = c->enc ? twine_enclave_seal_key(c->enc, TWINE_SEAL_MEASUREMENT,
                                         label, pl + gl, key)
                : TWINE_ERR_ARG;
    free(label);
  }
  if (st == TWINE_OK)
    st = twine_wasi_config_preopen_protected_dir(cfg, d->host, d->guest, key);
  explicit_bzero(key, sizeof key);
  if (st != TWINE_OK) {
    cli_err("run: --protected-dir %s::%s: %s", d->host, d->guest,
            cli_status_name(st));
    return false;
  }
  return true;
}

static bool setup_wasi(run_ctx *c) {
  const cli_run_opts *o = c->o;
  twine_wasi_config_t *cfg = NULL;
  twine_status_t st = twine_wasi_config_new(&cfg);
  if (st != TWINE_OK) return wasi_fail(st, "configuration");
  bool ok = false;
  /* argv: argv0, then the guest's words (a command's only). */
  size_t argc = 1 + (c->plan == PLAN_START ? (size_t)o->nrest : 0);
  const char **argv = calloc(argc, sizeof *argv);
  if (!argv) {
    cli_err("out of memory");
    goto out;
  }
  argv[0] = o->argv0 ? o->argv0 : o->module;
  for (size_t i = 1; i < argc; i++) argv[i] = o->rest[i - 1];
  if ((st = twine_wasi_config_args(cfg, argc, argv)) != TWINE_OK) {
    wasi_fail(st, "arguments");
    goto out;
  }
  for (int i = 0; i < o->nenvs; i++) {
    if ((st = twine_wasi_config_env(cfg, o->envs[i])) != TWINE_OK) {
      cli_err("run: --env %s: %s", o->envs[i], cli_status_name(st));
      goto out;
    }
  }
  /* Directories first, then sockets: fds 3, 4, ... in that order. */
  for (int i = 0; i < o->ndirs; i++) {
    if (o->dirs[i].protect) {
      if (!preopen_protected(c, cfg, &o->dirs[i])) goto out;
      continue;
    }
    st = twine_wasi_config_preopen_dir(cfg, o->dirs[i].host,
                                       o->dirs[i].guest);
    if (st != TWINE_OK) {
      cli_err("run: --dir %s::%s: %s", o->dirs[i].host, o->dirs[i].guest,
              cli_status_name(st));
      goto out;
    }
  }
  for (int i = 0; i < o->nlistens; i++) {
    st = twine_wasi_config_preopen_tcp_listen(cfg, o->listens[i]);
    if (st != TWINE_OK) {
      cli_err("run: --tcplisten %s: %s", o->listens[i], cli_status_name(st));
      goto out;
    }
  }
  if (o->child && (st = tw_host_proc_child_wasi(o->child, cfg)) != TWINE_OK) {
    wasi_fail(st, "the host's handles");
    goto out;
  }
  twine_error_t err;
  memset(&err, 0, sizeof err);
  st = twine_wasi_new(c->store, cfg, &c->wasi, &err);
  if (st != TWINE_OK) {
    if (err.message[0])
      cli_err("cannot set up WASI: %s", err.message);
    else
      wasi_fail(st, "preopens");
    goto out;
  }
  if ((st = twine_wasi_define(c->wasi, c->linker)) != TWINE_OK) {
    wasi_fail(st, "defining " WASI_MODULE);
    goto out;
  }
  ok = true;
out:
  free(argv);
  twine_wasi_config_free(cfg);
  return ok;
}

/* ---- the enclave ---------------------------------------------------------- */

/* Open the enclave when the launch needs it (a module importing twine, or
 * a protected mount sealed to the measurement), and reload the module from
 * the enclave's own copy of the bytes: what runs is what was measured. */
static bool open_enclave(run_ctx *c) {
  const cli_run_opts *o = c->o;
  if (!c->uses_twine && !cli_run_needs_sealing(o)) return true;
  cli_enclave_opts eo = {.cmd = "run"};
  bool ok;
  if (o->child) {
    if (!o->has_root) {
      cli_err("run: the host sent no platform key, and this launch needs "
              "it (a module importing \"" TWINE_MODULE "\", or a "
              "--protected-dir without --key-file)");
      return false;
    }
    ok = cli_enclave_open_root(o, &eo, o->root, c->bytes, c->len, &c->enc);
  } else {
    ok = cli_enclave_open(o, &eo, c->bytes, c->len, &c->enc);
  }
  if (!ok) return false;
  const uint8_t *b;
  size_t n;
  twine_enclave_module_bytes(c->enc, &b, &n);
  twine_module_free(c->mod);
  c->mod = NULL;
  twine_error_t err;
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  twine_status_t st = twine_module_new(c->engine, b, n, &c->mod, &err);
  if (st != TWINE_OK) {
    cli_report_error(o->module, st, &err, b, n);
    return false;
  }
  return true;
}

/* ---- running ---------------------------------------------------------- */

/* Export `name` as a function of type [] -> []. Returns 1 found, 0 absent,
 * -1 present but not such a function (reported). */
static int nullary_export(run_ctx *c, twine_instance_t *inst,
                          const char *name, twine_func_t **out) {
  twine_extern_t ext;
  if (twine_instance_export(inst, name, strlen(name), &ext) != TWINE_OK)
    return 0;
  if (ext.kind == TWINE_EXTERN_FUNC) {
    twine_functype_t ft;
    twine_func_type(ext.of.func, &ft);
    if (ft.nparams == 0 && ft.nresults == 0) {
      *out = ext.of.func;
      return 1;
    }
  }
  cli_err("%s: export \"%s\" must be a function without parameters or "
          "results",
          c->o->module, name);
  return -1;
}

/* Call _start. Returns an exit code, or -1 with *st / *trap to report. */
static int run_start(run_ctx *c, twine_instance_t *inst, twine_status_t *st,
                     twine_trap_t *trap) {
  twine_func_t *f;
  if (nullary_export(c, inst, "_start", &f) != 1) return CLI_EXIT_ERROR;
  if (c->wasi) {
    int code = 0;
    *st = twine_wasi_run(c->wasi, inst, &code, trap);
    if (*st == TWINE_OK) return exit_status(code);
  } else {
    *st = twine_func_call(f, NULL, 0, NULL, 0, trap);
    if (*st == TWINE_OK) return CLI_EXIT_OK;
  }
  if (*st == TWINE_ERR_TRAP || *st == TWINE_ERR_EXIT) return -1;
  cli_err("%s: running _start: %s", c->o->module, cli_status_name(*st));
  return CLI_EXIT_ERROR;
}

static int run_invoke(run_ctx *c, twine_instance_t *inst, twine_status_t *st,
                      twine_trap_t *trap) {
  /* A WASI reactor initialises itself in _initialize before any other
   * export is used. */
  twine_func_t *init;
  if (strcmp(c->inv.invoke, "_initialize") != 0) {
    int k = nullary_export(c, inst, "_initialize", &init);
    if (k < 0) return CLI_EXIT_ERROR;
    if (k > 0) {
      *st = twine_func_call(init, NULL, 0, NULL, 0, trap);
      if (*st == TWINE_ERR_TRAP || *st == TWINE_ERR_EXIT) return -1;
      if (*st != TWINE_OK) {
        cli_err("%s: calling _initialize: %s", c->o->module,
                cli_status_name(*st));
        return CLI_EXIT_ERROR;
      }
    }
  }
  return cli_run_invoke(&c->inv, inst, st, trap);
}

static int run_none(run_ctx *c, twine_instance_t *inst) {
  if (cli_module_has_section(c->bytes, c->len, 8)) return CLI_EXIT_OK;
  char funcs[512];
  cli_list_funcs(inst, funcs, sizeof funcs);
  cli_err("%s: nothing to run: no _start export and no start function "
          "(call an export with --invoke NAME%s)",
          c->o->module, funcs);
  return CLI_EXIT_OK;
}

/* A trap, an exit request or a timeout, after the watchdog stopped. */
static int report_stop(const run_ctx *c, twine_status_t st,
                       const twine_trap_t *trap, bool timed_out) {
  if (st == TWINE_ERR_EXIT) return exit_status(trap->exit_code);
  if (trap->kind == TWINE_TRAP_INTERRUPTED && timed_out) {
    char d[32];
    cli_format_duration(c->o->timeout_ms, d, sizeof d);
    cli_err("timeout after %s", d);
    return CLI_EXIT_TIMEOUT;
  }
  cli_report_trap(trap);
  return CLI_EXIT_TRAP;
}

/* Instantiate and run under the watchdog. */
static int run_guest(run_ctx *c) {
  cli_watchdog *wd = NULL;
  if (c->o->timeout_ms) {
    wd = cli_watchdog_start(c->store, c->o->timeout_ms);
    if (!wd) {
      cli_err("run: --timeout: cannot start the watchdog thread");
      return CLI_EXIT_ERROR;
    }
  }
  twine_trap_t trap;
  twine_error_t err;
  twine_instance_t *inst;
  memset(&trap, 0, sizeof trap);
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  int rc = -1;
  twine_status_t st =
      twine_linker_instantiate(c->linker, c->mod, &inst, &err, &trap);
  if (st == TWINE_OK) {
    if (c->plan == PLAN_INVOKE)
      rc = run_invoke(c, inst, &st, &trap);
    else if (c->plan == PLAN_START)
      rc = run_start(c, inst, &st, &trap);
    else
      rc = run_none(c, inst);
  } else if (st != TWINE_ERR_TRAP && st != TWINE_ERR_EXIT) {
    cli_report_error(c->o->module, st, &err, NULL, 0);
    rc = CLI_EXIT_ERROR;
  }
  bool timed_out = cli_watchdog_stop(wd);
  if (rc < 0) rc = report_stop(c, st, &trap, timed_out);
  return rc;
}

int cli_run_exec(const cli_run_opts *o) {
  if (o->enclave_test && o->enclave != CLI_ENCLAVE_PROCESS) {
    cli_err("run: --enclave-test needs --enclave=process");
    return CLI_EXIT_ERROR;
  }
  if (o->enclave == CLI_ENCLAVE_PROCESS && !o->child) return cli_run_proc(o);
  run_ctx c;
  memset(&c, 0, sizeof c);
  c.o = o;
  int rc = CLI_EXIT_ERROR;
  twine_status_t st;
  if (o->bytes) {
    c.bytes = (uint8_t *)o->bytes;
    c.len = o->nbytes;
  } else if (!cli_read_module(o->module, &c.bytes, &c.len)) {
    goto out;
  } else {
    c.own_bytes = true;
  }
  if ((st = twine_engine_new(&o->config, &c.engine)) != TWINE_OK) {
    cli_err("cannot create the engine: %s", cli_status_name(st));
    goto out;
  }
  twine_error_t err;
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  if ((st = twine_module_new(c.engine, c.bytes, c.len, &c.mod, &err)) !=
      TWINE_OK) {
    cli_report_error(o->module, st, &err, c.bytes, c.len);
    goto out;
  }
  if (!check_imports(&c) || !open_enclave(&c) || !choose_plan(&c)) goto out;
  if ((st = twine_store_new(c.engine, &c.store)) != TWINE_OK ||
      (st = twine_linker_new(c.store, &c.linker)) != TWINE_OK) {
    cli_err("cannot create a store: %s", cli_status_name(st));
    goto out;
  }
  if (c.uses_wasi && !setup_wasi(&c)) goto out;
  if (c.uses_twine &&
      (st = twine_enclave_guest_define(c.enc, c.store, c.linker)) !=
          TWINE_OK) {
    cli_err("cannot define the import module " TWINE_MODULE ": %s",
            cli_status_name(st));
    goto out;
  }
  rc = run_guest(&c);
out:
  twine_linker_free(c.linker);
  twine_wasi_free(c.wasi);
  twine_store_free(c.store);
  twine_module_free(c.mod);
  twine_engine_free(c.engine);
  twine_enclave_free(c.enc);
  if (c.own_bytes) free(c.bytes);
  return rc;
}

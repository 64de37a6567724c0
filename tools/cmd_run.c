/*
 * cmd_run.c - `twine run`: instantiate a module (which runs its start
 * function) and optionally invoke one exported function with arguments
 * parsed by its parameter types.
 *
 * Argument shapes (options may come anywhere before "--"):
 *   twine run [OPTIONS] MODULE.wasm [--invoke NAME [ARGS...]]
 *   twine run [OPTIONS] --invoke NAME [ARGS...] MODULE.wasm
 * If the module path comes before --invoke, every word after NAME is an
 * argument; otherwise the last word is the module path.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_help_run(FILE *f) {
  fprintf(f,
          "Usage: twine run [OPTIONS] MODULE.wasm [--invoke NAME [ARGS...]]\n"
          "       twine run [OPTIONS] --invoke NAME [ARGS...] MODULE.wasm\n"
          "\n"
          "Instantiate MODULE.wasm (running its start function, if any) and, "
          "with\n"
          "--invoke, call its exported function NAME with ARGS. When "
          "MODULE.wasm\n"
          "comes first, every word after NAME is an argument; otherwise the "
          "last\n"
          "word is the module.\n"
          "\n"
          "Options:\n"
          "  --invoke NAME            call the export NAME; the words after "
          "it are\n"
          "                           its arguments\n"
          "  --bounds=guard|explicit  memory bounds checks: guard pages "
          "(default)\n"
          "                           or an explicit check on every access\n"
          "  -h, --help               this help\n"
          "  --                       end of options\n"
          "\n"
          "Arguments are parsed by the function's parameter types:\n"
          "  i32, i64   decimal or 0x hex, optionally signed (-1 and "
          "0xffffffff\n"
          "             are the same i32)\n"
          "  f32, f64   decimal, hex float (0x1.8p1), inf, -inf, nan, -nan,\n"
          "             nan:0xPAYLOAD\n"
          "  funcref, externref   null\n"
          "\n"
          "Results are printed to stdout, one per line, without type "
          "prefixes:\n"
          "  integers as signed decimal (-1), floats in the shortest form "
          "that\n"
          "  reads back to the same bits, always with a '.' or an exponent "
          "(2.0,\n"
          "  1.5, 1e+30, -0.0, inf, nan, nan:0x200000), references as null, "
          "funcref\n"
          "  or externref.\n"
          "\n"
          "The module may not import anything yet (imports are reported as "
          "unlinkable).\n"
          "\n"
          "Exit status: 0 success; 1 usage, load or link error; 2 trap (the "
          "trap\n"
          "kind and a backtrace go to stderr); the guest's code if it asks "
          "to exit.\n");
}

typedef struct run_args {
  const char *module;
  const char *invoke; /* NULL: instantiate only */
  char **args;
  int nargs;
  twine_bounds_t bounds;
} run_args;

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, run_args *ra) {
  memset(ra, 0, sizeof *ra);
  ra->bounds = TWINE_BOUNDS_GUARD_PAGES;
  /* Positional words before --invoke and after its NAME, in order. They
   * point into argv, so the arrays need no more than argc entries. */
  char **pre = calloc((size_t)argc, sizeof *pre);
  char **post = calloc((size_t)argc, sizeof *post);
  int npre = 0, npost = 0, rc = CLI_EXIT_ERROR;
  bool opts_done = false, want_name = false, seen_invoke = false;
  bool want_bounds = false;
  if (!pre || !post) {
    cli_err("out of memory");
    goto out;
  }
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (want_name) {
      ra->invoke = a;
      want_name = false;
      continue;
    }
    if (want_bounds) {
      if (!cli_parse_bounds(a, &ra->bounds)) {
        cli_err("run: --bounds must be guard or explicit, not %s", a);
        goto out;
      }
      want_bounds = false;
      continue;
    }
    if (!opts_done) {
      if (!strcmp(a, "--")) {
        opts_done = true;
        continue;
      }
      if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        cli_help_run(stdout);
        rc = CLI_EXIT_OK;
        goto out;
      }
      if (!strcmp(a, "--invoke") || !strncmp(a, "--invoke=", 9)) {
        if (seen_invoke) {
          cli_err("run: --invoke given twice");
          goto out;
        }
        seen_invoke = true;
        if (a[8] == '=')
          ra->invoke = a + 9;
        else
          want_name = true;
        continue;
      }
      if (!strcmp(a, "--bounds")) {
        want_bounds = true;
        continue;
      }
      if (!strncmp(a, "--bounds=", 9)) {
        if (!cli_parse_bounds(a + 9, &ra->bounds)) {
          cli_err("run: --bounds must be guard or explicit, not %s", a + 9);
          goto out;
        }
        continue;
      }
      if (a[0] == '-' && a[1] == '-') {
        cli_err("run: unknown option %s (try 'twine run --help')", a);
        goto out;
      }
    }
    if (seen_invoke)
      post[npost++] = a;
    else
      pre[npre++] = a;
  }
  if (want_name) {
    cli_err("run: --invoke needs a function name");
    goto out;
  }
  if (want_bounds) {
    cli_err("run: --bounds needs a value (guard or explicit)");
    goto out;
  }
  if (npre > 1) {
    cli_err("run: unexpected argument %s (function arguments go after "
            "--invoke NAME)",
            pre[1]);
    goto out;
  }
  if (npre == 1) {
    ra->module = pre[0];
    ra->args = post;
    ra->nargs = npost;
    post = NULL; /* handed over */
  } else if (npost > 0) {
    ra->module = post[npost - 1];
    ra->args = post;
    ra->nargs = npost - 1;
    post = NULL;
  } else {
    cli_err("run: missing module path (try 'twine run --help')");
    goto out;
  }
  rc = -1;
out:
  free(pre);
  free(post);
  return rc;
}

/* The first import, as one line; this command provides none yet. */
static void report_imports(const char *path, const twine_module_t *mod,
                           size_t n) {
  twine_import_info_t imp;
  if (twine_module_import(mod, 0, &imp) != TWINE_OK) {
    cli_err("%s: unlinkable: the module has %zu imports and twine run "
            "provides none",
            path, n);
    return;
  }
  char m[256], f[256], ty[512], more[64] = "";
  cli_escape(imp.module, imp.module_len, m, sizeof m);
  cli_escape(imp.name, imp.name_len, f, sizeof f);
  cli_format_externtype(&imp.type, ty, sizeof ty);
  if (n > 1) snprintf(more, sizeof more, " (and %zu more imports)", n - 1);
  cli_err("%s: unlinkable: unknown import \"%s\" \"%s\" %s; twine run "
          "provides no imports yet%s",
          path, m, f, ty, more);
}


/* A trap (reported, exit code CLI_EXIT_TRAP) or a guest exit (its code):
 * sets *rc and returns true. Any other status is left to the caller. */
static bool guest_stopped(twine_status_t st, const twine_trap_t *trap,
                          int *rc) {
  if (st == TWINE_ERR_TRAP) {
    cli_report_trap(trap);
    *rc = CLI_EXIT_TRAP;
    return true;
  }
  if (st == TWINE_ERR_EXIT) {
    *rc = (int)(trap->exit_code & 0xff);
    return true;
  }
  return false;
}

/* "; exported functions: a, b, c" for a missing export. */
static void list_funcs(const twine_instance_t *inst, char *buf, size_t len) {
  size_t n = twine_instance_export_count(inst), w = 0, shown = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && shown < 10; i++) {
    const char *name;
    size_t nlen;
    twine_extern_t ext;
    if (twine_instance_export_at(inst, i, &name, &nlen, &ext) != TWINE_OK ||
        ext.kind != TWINE_EXTERN_FUNC)
      continue;
    char esc[128];
    cli_escape(name, nlen, esc, sizeof esc);
    int k = snprintf(buf + w, len - w, "%s%s", shown ? ", " : "; exported "
                                                              "functions: ",
                     esc);
    if (k < 0 || (size_t)k >= len - w) break;
    w += (size_t)k;
    shown++;
  }
  if (shown == 0) snprintf(buf, len, "; the module exports no functions");
}

static const char *extern_kind_name(twine_externkind_t k) {
  switch (k) {
  case TWINE_EXTERN_FUNC: return "a function";
  case TWINE_EXTERN_TABLE: return "a table";
  case TWINE_EXTERN_MEMORY: return "a memory";
  case TWINE_EXTERN_GLOBAL: return "a global";
  }
  return "not a function";
}

static int invoke(const run_args *ra, twine_instance_t *inst) {
  char name[256];
  cli_escape(ra->invoke, strlen(ra->invoke), name, sizeof name);
  twine_extern_t ext;
  twine_status_t st = twine_instance_export(inst, ra->invoke,
                                            strlen(ra->invoke), &ext);
  if (st != TWINE_OK) {
    char funcs[512];
    list_funcs(inst, funcs, sizeof funcs);
    cli_err("%s: no export named \"%s\"%s", ra->module, name, funcs);
    return CLI_EXIT_ERROR;
  }
  if (ext.kind != TWINE_EXTERN_FUNC) {
    cli_err("%s: export \"%s\" is %s, not a function", ra->module, name,
            extern_kind_name(ext.kind));
    return CLI_EXIT_ERROR;
  }
  twine_functype_t ft;
  twine_func_type(ext.of.func, &ft);
  if ((size_t)ra->nargs != ft.nparams) {
    char ty[512];
    cli_format_functype(&ft, ty, sizeof ty);
    cli_err("function \"%s\" %s takes %zu argument%s, got %d", name, ty,
            ft.nparams, ft.nparams == 1 ? "" : "s", ra->nargs);
    return CLI_EXIT_ERROR;
  }
  twine_val_t *args = calloc(ft.nparams ? ft.nparams : 1, sizeof *args);
  twine_val_t *res = calloc(ft.nresults ? ft.nresults : 1, sizeof *res);
  int rc = CLI_EXIT_ERROR;
  if (!args || !res) {
    cli_err("out of memory");
    goto out;
  }
  for (size_t i = 0; i < ft.nparams; i++) {
    char why[128];
    if (!cli_parse_value(ra->args[i], ft.params[i], &args[i], why,
                         sizeof why)) {
      cli_err("argument %zu of \"%s\" (%s): \"%s\" is %s", i + 1, name,
              cli_valkind_name(ft.params[i]), ra->args[i], why);
      goto out;
    }
  }
  for (size_t i = 0; i < ft.nresults; i++) res[i].kind = ft.results[i];
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  st = twine_func_call(ext.of.func, args, ft.nparams, res, ft.nresults, &trap);
  if (guest_stopped(st, &trap, &rc)) goto out;
  if (st != TWINE_OK) {
    cli_err("calling \"%s\": %s", name, cli_status_name(st));
    goto out;
  }
  for (size_t i = 0; i < ft.nresults; i++) {
    char buf[128];
    cli_format_value(&res[i], buf, sizeof buf);
    printf("%s\n", buf);
  }
  rc = CLI_EXIT_OK;
out:
  free(args);
  free(res);
  return rc;
}

int cli_cmd_run(int argc, char **argv) {
  run_args ra;
  int rc = parse_args(argc, argv, &ra);
  if (rc >= 0) return rc;
  rc = CLI_EXIT_ERROR;

  uint8_t *bytes = NULL;
  size_t len;
  twine_engine_t *engine = NULL;
  twine_module_t *mod = NULL;
  twine_store_t *store = NULL;
  if (!cli_read_module(ra.module, &bytes, &len)) goto out;

  twine_config_t cfg;
  twine_config_default(&cfg);
  cfg.bounds = ra.bounds;
  twine_status_t st = twine_engine_new(&cfg, &engine);
  if (st != TWINE_OK) {
    cli_err("cannot create the engine: %s", cli_status_name(st));
    goto out;
  }
  twine_error_t err;
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  st = twine_module_new(engine, bytes, len, &mod, &err);
  if (st != TWINE_OK) {
    cli_report_error(ra.module, st, &err, bytes, len);
    goto out;
  }
  size_t nimports = twine_module_import_count(mod);
  if (nimports > 0) {
    report_imports(ra.module, mod, nimports);
    goto out;
  }
  if ((st = twine_store_new(engine, &store)) != TWINE_OK) {
    cli_err("cannot create a store: %s", cli_status_name(st));
    goto out;
  }
  twine_instance_t *inst;
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  st = twine_instance_new(store, mod, NULL, 0, &inst, &err, &trap);
  if (guest_stopped(st, &trap, &rc)) goto out;
  if (st != TWINE_OK) {
    cli_report_error(ra.module, st, &err, NULL, 0);
    goto out;
  }
  rc = ra.invoke ? invoke(&ra, inst) : CLI_EXIT_OK;
out:
  twine_store_free(store);
  twine_module_free(mod);
  twine_engine_free(engine);
  free(bytes);
  free(ra.args);
  return rc;
}

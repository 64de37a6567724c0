/*
 * run_invoke.c - `twine run --invoke NAME [ARGS...]`: find the export,
 * parse the arguments by its parameter types (cli_value.c), call it and
 * print the results, one per line.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_list_funcs(const twine_instance_t *inst, char *buf, size_t len) {
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
    int k = snprintf(buf + w, len - w, "%s%s",
                     shown ? ", " : "; exported functions: ", esc);
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

int cli_run_invoke(const cli_run_opts *o, twine_instance_t *inst,
                   twine_status_t *st, twine_trap_t *trap) {
  char name[256];
  cli_escape(o->invoke, strlen(o->invoke), name, sizeof name);
  twine_extern_t ext;
  *st = twine_instance_export(inst, o->invoke, strlen(o->invoke), &ext);
  if (*st != TWINE_OK) {
    char funcs[512];
    cli_list_funcs(inst, funcs, sizeof funcs);
    cli_err("%s: no export named \"%s\"%s", o->module, name, funcs);
    return CLI_EXIT_ERROR;
  }
  if (ext.kind != TWINE_EXTERN_FUNC) {
    cli_err("%s: export \"%s\" is %s, not a function", o->module, name,
            extern_kind_name(ext.kind));
    return CLI_EXIT_ERROR;
  }
  twine_functype_t ft;
  twine_func_type(ext.of.func, &ft);
  if ((size_t)o->nrest != ft.nparams) {
    char ty[512];
    cli_format_functype(&ft, ty, sizeof ty);
    cli_err("function \"%s\" %s takes %zu argument%s, got %d", name, ty,
            ft.nparams, ft.nparams == 1 ? "" : "s", o->nrest);
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
    if (!cli_parse_value(o->rest[i], ft.params[i], &args[i], why,
                         sizeof why)) {
      cli_err("argument %zu of \"%s\" (%s): \"%s\" is %s", i + 1, name,
              cli_valkind_name(ft.params[i]), o->rest[i], why);
      goto out;
    }
  }
  for (size_t i = 0; i < ft.nresults; i++) res[i].kind = ft.results[i];
  *st = twine_func_call(ext.of.func, args, ft.nparams, res, ft.nresults,
                        trap);
  if (*st == TWINE_ERR_TRAP || *st == TWINE_ERR_EXIT) {
    rc = -1;
    goto out;
  }
  if (*st != TWINE_OK) {
    cli_err("calling \"%s\": %s", name, cli_status_name(*st));
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

/*
 * spec_run.c - executes the commands of one wast2json file against the
 * public API.
 *
 * State of a file: one engine, one store with the spectest objects, one
 * linker (spectest + registered instances), the current instance (the last
 * module command; NULL after a module failed, so later actions report that
 * instead of silently running against an older module) and the named
 * instances ("$M" -> instance). Everything is freed at the end of the file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "util/strbuf.h"

typedef struct named_inst {
  char *name;
  twine_instance_t *inst; /* NULL if the module of that name failed */
} named_inst;

typedef struct run_ctx {
  const spec_opts *o;
  spec_result *r;
  const char *display; /* file name in messages */
  char dir[4096];      /* directory of the JSON and .wasm files */
  int line;
  const char *cmd;

  twine_engine_t *engine;
  twine_store_t *store;
  twine_linker_t *linker;
  twine_instance_t *current;
  int current_line;     /* line of the module command behind `current` */

  named_inst *names;
  size_t nnames, names_cap;

  twine_val_t *args, *results;
  size_t args_cap, results_cap;
} run_ctx;

/* ---- reporting ----------------------------------------------------------- */

static void fail(run_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(run_ctx *c, const char *fmt, ...) {
  c->r->failed++;
  if (c->o->max_details && c->r->details_shown >= c->o->max_details) return;
  c->r->details_shown++;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  printf("  FAIL %s:%d: %s: %s\n", c->display, c->line, c->cmd, msg);
  fflush(stdout); /* a later crash or timeout must not swallow it */
}

static void pass(run_ctx *c) { c->r->passed++; }

/* ---- helpers -------------------------------------------------------------- */

static const cJSON *get(const cJSON *j, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(j, key);
}

static const char *get_str(const cJSON *j, const char *key) {
  const cJSON *v = get(j, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool grow(twine_val_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return true;
  size_t n = need < 16 ? 16 : need;
  twine_val_t *nb = realloc(*buf, n * sizeof **buf);
  if (!nb) return false;
  *buf = nb;
  *cap = n;
  return true;
}

/* Expected trap texts of the suite and the trap kinds they stand for. A
 * text matches when it starts with the listed words ("uninitialized
 * element 2" is an uninitialized element). */
static const struct {
  const char *text;
  twine_trap_kind_t kind;
} trap_texts[] = {
    {"unreachable", TWINE_TRAP_UNREACHABLE},
    {"out of bounds memory access", TWINE_TRAP_MEMORY_OOB},
    {"out of bounds table access", TWINE_TRAP_TABLE_OOB},
    {"undefined element", TWINE_TRAP_UNDEFINED_ELEMENT},
    {"uninitialized element", TWINE_TRAP_UNINITIALIZED_ELEMENT},
    {"indirect call type mismatch", TWINE_TRAP_INDIRECT_CALL_TYPE},
    {"integer divide by zero", TWINE_TRAP_INT_DIV_ZERO},
    {"integer overflow", TWINE_TRAP_INT_OVERFLOW},
    {"invalid conversion to integer", TWINE_TRAP_INVALID_CONVERSION},
    {"call stack exhausted", TWINE_TRAP_STACK_EXHAUSTED},
    {"null reference", TWINE_TRAP_NULL_REFERENCE},
};

static bool trap_kind_for_text(const char *text, twine_trap_kind_t *kind) {
  if (!text) return false;
  for (size_t i = 0; i < sizeof trap_texts / sizeof trap_texts[0]; i++) {
    size_t n = strlen(trap_texts[i].text);
    if (strncmp(text, trap_texts[i].text, n) == 0 &&
        (text[n] == '\0' || text[n] == ' ')) {
      *kind = trap_texts[i].kind;
      return true;
    }
  }
  return false;
}

static const char *kind_str(twine_trap_kind_t k) {
  const char *s = twine_trap_kind_str(k);
  return s ? s : "?";
}

static void trap_str(const twine_trap_t *t, char *buf, size_t len) {
  if (t->kind == TWINE_TRAP_HOST || t->kind == TWINE_TRAP_EXIT)
    snprintf(buf, len, "trap \"%s\" (%s)", kind_str(t->kind), t->message);
  else
    snprintf(buf, len, "trap \"%s\"", kind_str(t->kind));
}

static void error_str(twine_status_t st, const twine_error_t *e, char *buf,
                      size_t len) {
  if (e->offset != SIZE_MAX)
    snprintf(buf, len, "%s at offset %zu: %s", twine_status_str(st),
             e->offset, e->message);
  else
    snprintf(buf, len, "%s: %s", twine_status_str(st), e->message);
}

/* ---- named instances -------------------------------------------------------- */

static bool set_name(run_ctx *c, const char *name, twine_instance_t *inst) {
  for (size_t i = 0; i < c->nnames; i++) {
    if (strcmp(c->names[i].name, name) == 0) {
      c->names[i].inst = inst;
      return true;
    }
  }
  if (c->nnames == c->names_cap) {
    size_t n = c->names_cap ? c->names_cap * 2 : 8;
    named_inst *nb = realloc(c->names, n * sizeof *nb);
    if (!nb) return false;
    c->names = nb;
    c->names_cap = n;
  }
  char *copy = malloc(strlen(name) + 1);
  if (!copy) return false;
  strcpy(copy, name);
  c->names[c->nnames].name = copy;
  c->names[c->nnames].inst = inst;
  c->nnames++;
  return true;
}

/* The instance an action or register refers to; NULL with *why set. */
static twine_instance_t *find_instance(run_ctx *c, const char *name,
                                       char *why, size_t whylen) {
  if (!name) {
    if (!c->current && c->current_line)
      snprintf(why, whylen, "no current module (the module at line %d "
                            "failed)", c->current_line);
    else if (!c->current)
      snprintf(why, whylen, "no module defined yet");
    return c->current;
  }
  for (size_t i = 0; i < c->nnames; i++) {
    if (strcmp(c->names[i].name, name) == 0) {
      if (!c->names[i].inst)
        snprintf(why, whylen, "module %s failed to instantiate", name);
      return c->names[i].inst;
    }
  }
  snprintf(why, whylen, "unknown module %s", name);
  return NULL;
}

/* ---- modules ------------------------------------------------------------------ */

/* Load the module file named by the command. Returns the status of
 * twine_module_new, or TWINE_ERR_IO (message in err) if the file is bad. */
static twine_status_t load_module(run_ctx *c, const cJSON *cmd,
                                  twine_module_t **mod, twine_error_t *err) {
  memset(err, 0, sizeof *err);
  err->offset = SIZE_MAX;
  const char *file = get_str(cmd, "filename");
  if (!file || strchr(file, '/')) {
    snprintf(err->message, sizeof err->message, "command without a module "
                                                "file name");
    return TWINE_ERR_IO;
  }
  char path[4096 + 256];
  snprintf(path, sizeof path, "%s/%s", c->dir, file);
  uint8_t *bytes;
  size_t len;
  if (!spec_read_file(path, &bytes, &len, err->message, sizeof err->message))
    return TWINE_ERR_IO;
  twine_status_t st = twine_module_new(c->engine, bytes, len, mod, err);
  free(bytes);
  return st;
}

static bool is_text_module(const cJSON *cmd) {
  const char *t = get_str(cmd, "module_type");
  return t && strcmp(t, "text") == 0;
}

static void cmd_module(run_ctx *c, const cJSON *cmd) {
  const char *name = get_str(cmd, "name");
  c->current = NULL;
  c->current_line = c->line;
  if (name && !set_name(c, name, NULL)) {
    fail(c, "out of memory");
    return;
  }
  if (is_text_module(cmd)) {
    c->r->skipped++;
    c->r->skipped_text++;
    return;
  }
  twine_module_t *mod;
  twine_error_t err;
  twine_status_t st = load_module(c, cmd, &mod, &err);
  char buf[512];
  if (st != TWINE_OK) {
    error_str(st, &err, buf, sizeof buf);
    fail(c, "expected a valid module, got %s", buf);
    return;
  }
  twine_instance_t *inst;
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  st = twine_linker_instantiate(c->linker, mod, &inst, &err, &trap);
  twine_module_free(mod);
  if (st == TWINE_ERR_TRAP) {
    trap_str(&trap, buf, sizeof buf);
    fail(c, "instantiation failed: %s", buf);
    return;
  }
  if (st != TWINE_OK) {
    error_str(st, &err, buf, sizeof buf);
    fail(c, "instantiation failed: %s", buf);
    return;
  }
  c->current = inst;
  if (name) set_name(c, name, inst); /* the slot exists: cannot fail */
  pass(c);
}

/* assert_malformed / assert_invalid: loading must fail with `want`. */
static void cmd_assert_load_fails(run_ctx *c, const cJSON *cmd,
                                  twine_status_t want) {
  if (is_text_module(cmd)) {
    c->r->skipped++;
    c->r->skipped_text++;
    return;
  }
  const char *text = get_str(cmd, "text");
  twine_module_t *mod;
  twine_error_t err;
  twine_status_t st = load_module(c, cmd, &mod, &err);
  if (st == want) {
    pass(c);
    return;
  }
  if (st == TWINE_OK) {
    twine_module_free(mod);
    fail(c, "expected %s (\"%s\"), but the module loaded",
         twine_status_str(want), text ? text : "");
    return;
  }
  char buf[512];
  error_str(st, &err, buf, sizeof buf);
  fail(c, "expected %s (\"%s\"), got %s", twine_status_str(want),
       text ? text : "", buf);
}

/* assert_unlinkable, assert_uninstantiable, assert_trap on a module: the
 * module loads, instantiation fails with `want` (and for traps, with the
 * trap kind of the expected text). */
static void cmd_assert_inst_fails(run_ctx *c, const cJSON *cmd,
                                  twine_status_t want) {
  if (is_text_module(cmd)) {
    c->r->skipped++;
    c->r->skipped_text++;
    return;
  }
  const char *text = get_str(cmd, "text");
  twine_trap_kind_t want_kind = TWINE_TRAP_NONE;
  if (want == TWINE_ERR_TRAP && !trap_kind_for_text(text, &want_kind)) {
    fail(c, "the runner does not know the trap text \"%s\"",
         text ? text : "");
    return;
  }
  twine_module_t *mod;
  twine_error_t err;
  char buf[512];
  twine_status_t st = load_module(c, cmd, &mod, &err);
  if (st != TWINE_OK) {
    error_str(st, &err, buf, sizeof buf);
    fail(c, "expected the module to load, got %s", buf);
    return;
  }
  twine_instance_t *inst;
  twine_trap_t trap;
  memset(&trap, 0, sizeof trap);
  memset(&err, 0, sizeof err);
  st = twine_linker_instantiate(c->linker, mod, &inst, &err, &trap);
  twine_module_free(mod);
  if (st == want && (want != TWINE_ERR_TRAP || trap.kind == want_kind)) {
    pass(c);
    return;
  }
  if (st == TWINE_OK)
    snprintf(buf, sizeof buf, "instantiation succeeded");
  else if (st == TWINE_ERR_TRAP)
    trap_str(&trap, buf, sizeof buf);
  else
    error_str(st, &err, buf, sizeof buf);
  if (want == TWINE_ERR_TRAP)
    fail(c, "expected trap \"%s\", got %s", text, buf);
  else
    fail(c, "expected %s (\"%s\"), got %s", twine_status_str(want),
         text ? text : "", buf);
}

static void cmd_register(run_ctx *c, const cJSON *cmd) {
  size_t as_len;
  char *as = spec_json_name(get(cmd, "as"), &as_len);
  if (!as) {
    fail(c, "register without \"as\"");
    return;
  }
  char why[256];
  twine_instance_t *inst = find_instance(c, get_str(cmd, "name"), why,
                                         sizeof why);
  if (!inst) {
    fail(c, "%s", why);
  } else {
    twine_status_t st = twine_linker_define_instance(c->linker, as, as_len,
                                                     inst);
    if (st != TWINE_OK)
      fail(c, "twine_linker_define_instance: %s", twine_status_str(st));
    else
      pass(c);
  }
  free(as);
}

/* ---- actions ---------------------------------------------------------------- */

typedef enum act_result {
  ACT_OK,    /* results in c->results[0..*nresults) */
  ACT_TRAP,  /* trap filled */
  ACT_SKIP,  /* uses SIMD values */
  ACT_ERROR  /* could not run it; message in msg */
} act_result;

/* `invoke "name"(args) on $M` for messages. */
static void describe_action(const cJSON *action, char *buf, size_t len) {
  size_t flen = 0, w = 0;
  char *field = spec_json_name(get(action, "field"), &flen);
  char ename[256];
  spec_name_str(field ? field : "?", field ? flen : 1, ename, sizeof ename);
  free(field);
  const char *type = get_str(action, "type");
  const char *mod = get_str(action, "module");
  buf[0] = '\0';
  tw_util_appendf(buf, len, &w, "%s \"%s\"", type ? type : "?", ename);
  if (type && strcmp(type, "invoke") == 0) {
    const cJSON *a;
    bool first = true;
    tw_util_appendf(buf, len, &w, "(");
    cJSON_ArrayForEach(a, get(action, "args")) {
      twine_val_t v;
      char vb[96], msg[64];
      if (spec_value_arg(a, &v, msg, sizeof msg) == SPEC_PARSE_OK)
        spec_value_str(&v, vb, sizeof vb);
      else
        snprintf(vb, sizeof vb, "?");
      tw_util_appendf(buf, len, &w, "%s%s", first ? "" : ", ", vb);
      first = false;
    }
    tw_util_appendf(buf, len, &w, ")");
  }
  if (mod) tw_util_appendf(buf, len, &w, " on %s", mod);
}

static act_result run_action(run_ctx *c, const cJSON *action,
                             size_t *nresults, twine_trap_t *trap, char *msg,
                             size_t msglen) {
  const char *type = get_str(action, "type");
  if (!type) {
    snprintf(msg, msglen, "action without a type");
    return ACT_ERROR;
  }
  twine_instance_t *inst = find_instance(c, get_str(action, "module"), msg,
                                         msglen);
  if (!inst) return ACT_ERROR;
  size_t flen;
  char *field = spec_json_name(get(action, "field"), &flen);
  if (!field) {
    snprintf(msg, msglen, "action without a field");
    return ACT_ERROR;
  }
  twine_extern_t ext;
  twine_status_t st = twine_instance_export(inst, field, flen, &ext);
  free(field);
  if (st != TWINE_OK) {
    snprintf(msg, msglen, "export lookup failed: %s", twine_status_str(st));
    return ACT_ERROR;
  }

  if (strcmp(type, "get") == 0) {
    if (ext.kind != TWINE_EXTERN_GLOBAL) {
      snprintf(msg, msglen, "export is not a global");
      return ACT_ERROR;
    }
    if (!grow(&c->results, &c->results_cap, 1)) {
      snprintf(msg, msglen, "out of memory");
      return ACT_ERROR;
    }
    twine_global_get(ext.of.global, &c->results[0]);
    *nresults = 1;
    return ACT_OK;
  }
  if (strcmp(type, "invoke") != 0) {
    snprintf(msg, msglen, "unknown action type \"%s\"", type);
    return ACT_ERROR;
  }
  if (ext.kind != TWINE_EXTERN_FUNC) {
    snprintf(msg, msglen, "export is not a function");
    return ACT_ERROR;
  }

  const cJSON *args = get(action, "args");
  size_t nargs = (size_t)cJSON_GetArraySize(args);
  twine_functype_t ft;
  twine_func_type(ext.of.func, &ft);
  if (!grow(&c->args, &c->args_cap, nargs) ||
      !grow(&c->results, &c->results_cap, ft.nresults)) {
    snprintf(msg, msglen, "out of memory");
    return ACT_ERROR;
  }
  size_t i = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, args) {
    spec_parse p = spec_value_arg(a, &c->args[i], msg, msglen);
    if (p == SPEC_PARSE_SIMD) return ACT_SKIP;
    if (p != SPEC_PARSE_OK) return ACT_ERROR;
    i++;
  }
  if (nargs != ft.nparams) {
    snprintf(msg, msglen, "function takes %zu arguments, the test passes %zu",
             ft.nparams, nargs);
    return ACT_ERROR;
  }
  for (i = 0; i < ft.nresults; i++) {
    memset(&c->results[i], 0, sizeof c->results[i]);
    c->results[i].kind = ft.results[i];
  }
  memset(trap, 0, sizeof *trap);
  st = twine_func_call(ext.of.func, c->args, nargs, c->results, ft.nresults,
                       trap);
  if (st == TWINE_OK) {
    *nresults = ft.nresults;
    return ACT_OK;
  }
  if (st == TWINE_ERR_TRAP) return ACT_TRAP;
  if (st == TWINE_ERR_EXIT)
    snprintf(msg, msglen, "guest exited with code %d", (int)trap->exit_code);
  else
    snprintf(msg, msglen, "twine_func_call: %s", twine_status_str(st));
  return ACT_ERROR;
}

/* "(v1, v2, ...)" */
static void values_str(const twine_val_t *v, size_t n, char *buf,
                       size_t len) {
  size_t w = 0;
  char vb[96];
  buf[0] = '\0';
  tw_util_appendf(buf, len, &w, "(");
  for (size_t i = 0; i < n; i++) {
    spec_value_str(&v[i], vb, sizeof vb);
    tw_util_appendf(buf, len, &w, "%s%s", i ? ", " : "", vb);
  }
  tw_util_appendf(buf, len, &w, ")");
}

static void expects_str(const spec_expect *e, size_t n, char *buf,
                        size_t len) {
  size_t w = 0;
  char vb[96];
  buf[0] = '\0';
  tw_util_appendf(buf, len, &w, "(");
  for (size_t i = 0; i < n; i++) {
    spec_expect_str(&e[i], vb, sizeof vb);
    tw_util_appendf(buf, len, &w, "%s%s", i ? ", " : "", vb);
  }
  tw_util_appendf(buf, len, &w, ")");
}

static void skip_simd(run_ctx *c) {
  c->r->skipped++;
  c->r->skipped_simd++;
}

/* Runs the action; on anything but ACT_OK / ACT_TRAP it has already been
 * counted (failed or skipped). */
static act_result action_of(run_ctx *c, const cJSON *cmd, size_t *nresults,
                            twine_trap_t *trap) {
  char msg[512];
  const cJSON *action = get(cmd, "action");
  act_result ar = run_action(c, action, nresults, trap, msg, sizeof msg);
  if (ar == ACT_SKIP) {
    skip_simd(c);
  } else if (ar == ACT_ERROR) {
    char desc[512];
    describe_action(action, desc, sizeof desc);
    fail(c, "%s: %s", desc, msg);
  }
  return ar;
}

static void cmd_assert_return(run_ctx *c, const cJSON *cmd) {
  const cJSON *exp = get(cmd, "expected");
  size_t nexp = (size_t)cJSON_GetArraySize(exp);
  spec_expect small[8];
  spec_expect *e = nexp <= 8 ? small : malloc(nexp * sizeof *e);
  if (!e) {
    fail(c, "out of memory");
    return;
  }
  size_t i = 0;
  const cJSON *x;
  char msg[512];
  cJSON_ArrayForEach(x, exp) {
    spec_parse p = spec_value_expect(x, &e[i], msg, sizeof msg);
    if (p == SPEC_PARSE_SIMD) {
      skip_simd(c);
      goto out;
    }
    if (p != SPEC_PARSE_OK) {
      fail(c, "%s", msg);
      goto out;
    }
    i++;
  }

  size_t nres = 0;
  twine_trap_t trap;
  act_result ar = action_of(c, cmd, &nres, &trap);
  if (ar != ACT_OK && ar != ACT_TRAP) goto out;
  bool ok = ar == ACT_OK && nres == nexp;
  for (i = 0; ok && i < nexp; i++) ok = spec_value_matches(&e[i], &c->results[i]);
  if (ok) {
    pass(c);
    goto out;
  }
  char desc[512], want[1024], got[1024];
  describe_action(get(cmd, "action"), desc, sizeof desc);
  expects_str(e, nexp, want, sizeof want);
  if (ar == ACT_TRAP)
    trap_str(&trap, got, sizeof got);
  else
    values_str(c->results, nres, got, sizeof got);
  fail(c, "%s: expected %s, got %s", desc, want, got);
out:
  if (e != small) free(e);
}

/* assert_trap on an action, assert_exhaustion: the action must trap with
 * the kind of the expected text. */
static void cmd_assert_trap(run_ctx *c, const cJSON *cmd) {
  const char *text = get_str(cmd, "text");
  twine_trap_kind_t want;
  if (!trap_kind_for_text(text, &want)) {
    fail(c, "the runner does not know the trap text \"%s\"",
         text ? text : "");
    return;
  }
  size_t nres = 0;
  twine_trap_t trap;
  act_result ar = action_of(c, cmd, &nres, &trap);
  if (ar == ACT_TRAP && trap.kind == want) {
    pass(c);
    return;
  }
  if (ar != ACT_OK && ar != ACT_TRAP) return;
  char desc[512], got[1024];
  describe_action(get(cmd, "action"), desc, sizeof desc);
  if (ar == ACT_TRAP)
    trap_str(&trap, got, sizeof got);
  else
    values_str(c->results, nres, got, sizeof got);
  fail(c, "%s: expected trap \"%s\", got %s", desc, text, got);
}

static void cmd_action(run_ctx *c, const cJSON *cmd) {
  size_t nres = 0;
  twine_trap_t trap;
  act_result ar = action_of(c, cmd, &nres, &trap);
  if (ar == ACT_OK) {
    pass(c);
  } else if (ar == ACT_TRAP) {
    char desc[512], got[300];
    describe_action(get(cmd, "action"), desc, sizeof desc);
    trap_str(&trap, got, sizeof got);
    fail(c, "%s: unexpected %s", desc, got);
  }
}

/* ---- the file ------------------------------------------------------------------ */

static void run_command(run_ctx *c, const cJSON *cmd) {
  const char *type = get_str(cmd, "type");
  const cJSON *line = get(cmd, "line");
  c->line = cJSON_IsNumber(line) ? line->valueint : 0;
  c->cmd = type ? type : "?";
  c->r->cur_line = c->line;
  snprintf(c->r->cur_cmd, sizeof c->r->cur_cmd, "%s", c->cmd);
  if (c->o->trace) {
    fprintf(stderr, "%s:%d: %s\n", c->display, c->line, c->cmd);
    fflush(stderr);
  }
  if (!type)
    fail(c, "command without a type");
  else if (!strcmp(type, "module"))
    cmd_module(c, cmd);
  else if (!strcmp(type, "register"))
    cmd_register(c, cmd);
  else if (!strcmp(type, "action"))
    cmd_action(c, cmd);
  else if (!strcmp(type, "assert_return"))
    cmd_assert_return(c, cmd);
  else if (!strcmp(type, "assert_trap") && get(cmd, "filename"))
    cmd_assert_inst_fails(c, cmd, TWINE_ERR_TRAP);
  else if (!strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion"))
    cmd_assert_trap(c, cmd);
  else if (!strcmp(type, "assert_malformed"))
    cmd_assert_load_fails(c, cmd, TWINE_ERR_MALFORMED);
  else if (!strcmp(type, "assert_invalid"))
    cmd_assert_load_fails(c, cmd, TWINE_ERR_INVALID);
  else if (!strcmp(type, "assert_unlinkable"))
    cmd_assert_inst_fails(c, cmd, TWINE_ERR_UNLINKABLE);
  else if (!strcmp(type, "assert_uninstantiable"))
    cmd_assert_inst_fails(c, cmd, TWINE_ERR_TRAP);
  else
    fail(c, "unknown command type");
}

static void setup_fail(run_ctx *c, const char *what, const char *why) {
  c->r->setup_failed = true;
  c->r->failed++;
  printf("  FAIL %s: %s: %s\n", c->display, what, why);
  fflush(stdout);
}

void spec_run_file(const spec_opts *o, const char *json, const char *display,
                   spec_result *r) {
  run_ctx c;
  memset(&c, 0, sizeof c);
  c.o = o;
  c.r = r;
  c.display = display;
  c.cmd = "setup";
  const char *slash = strrchr(json, '/');
  if (slash)
    snprintf(c.dir, sizeof c.dir, "%.*s", (int)(slash - json), json);
  else
    snprintf(c.dir, sizeof c.dir, ".");

  char msg[512];
  cJSON *root = spec_json_load(json, msg, sizeof msg);
  if (!root) {
    setup_fail(&c, "loading the converted JSON", msg);
    return;
  }
  const cJSON *cmds = get(root, "commands");
  if (!cJSON_IsArray(cmds)) {
    setup_fail(&c, "loading the converted JSON", "no \"commands\" array");
    cJSON_Delete(root);
    return;
  }

  twine_config_t cfg;
  twine_config_default(&cfg);
  cfg.bounds = o->bounds;
  twine_status_t st = twine_engine_new(&cfg, &c.engine);
  if (st != TWINE_OK) {
    setup_fail(&c, "twine_engine_new", twine_status_str(st));
    goto done;
  }
  if ((st = twine_store_new(c.engine, &c.store)) != TWINE_OK) {
    setup_fail(&c, "twine_store_new", twine_status_str(st));
    goto done;
  }
  if ((st = twine_linker_new(c.store, &c.linker)) != TWINE_OK) {
    setup_fail(&c, "twine_linker_new", twine_status_str(st));
    goto done;
  }
  if (spec_host_define(c.store, c.linker, o->verbose, msg, sizeof msg) !=
      TWINE_OK) {
    setup_fail(&c, "spectest", msg);
    goto done;
  }

  const cJSON *cmd;
  cJSON_ArrayForEach(cmd, cmds) run_command(&c, cmd);

done:
  twine_linker_free(c.linker);
  twine_store_free(c.store);
  twine_engine_free(c.engine);
  for (size_t i = 0; i < c.nnames; i++) free(c.names[i].name);
  free(c.names);
  free(c.args);
  free(c.results);
  cJSON_Delete(root);
}

/*
 * run_proc.c - `twine run --enclave=process`: the CLI's half of the
 * process backend (src/host/enclave_proc.h, docs/enclave.md).
 *
 * Host process (cli_run_proc): reads the module file, lists the resources
 * the guest gets (--dir, --tcplisten; stdio), encodes the rest of the
 * options as the runner's arguments, runs the trusted process and turns
 * how it ended into the usual exit status and messages.
 *
 * Trusted process (cli_proc_child_main -> child_run): decodes the
 * arguments back into a cli_run_opts -- treating them as hostile input --
 * and runs cli_run_exec on the module bytes it received, with WASI over
 * the channel. Its stdout and stderr are OUT frames, so messages, traps
 * and --invoke results print exactly as in-process.
 *
 * Arguments: "module=PATH", "argv0=NAME", "invoke=NAME", "env=K=V",
 * "dir=HOST" or "pdir=HOST" (a --protected-dir) followed by "guest=GUEST",
 * "listen=HOST:PORT", "max-memory=N", "stack=N", "depth=N",
 * "bounds=guard|explicit", "key=HEX" (--key-file's 32 bytes),
 * "platform-key=HEX" (the platform root secret, only when the launch needs
 * the enclave: a module importing "twine" or a protected mount sealed to
 * the measurement; the trusted process measures its own copy of the module
 * and derives every key itself), then "--" and the words after the module
 * path. The strings are wiped after use.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_enclave.h"
#include "host/enclave_chan.h"
#include "host/enclave_proc.h"
#include "twine/wasi.h"

/* ---- encoding (host) ------------------------------------------------------- */

typedef struct strs {
  char **v;
  size_t n, cap;
  bool oom;
} strs;

static void add(strs *s, const char *key, const char *val) {
  if (s->oom) return;
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 32;
    char **v = realloc(s->v, nc * sizeof *v);
    if (!v) {
      s->oom = true;
      return;
    }
    s->v = v;
    s->cap = nc;
  }
  size_t k = strlen(key), n = strlen(val);
  char *e = malloc(k + n + 1);
  if (!e) {
    s->oom = true;
    return;
  }
  memcpy(e, key, k);
  memcpy(e + k, val, n + 1);
  s->v[s->n++] = e;
}

static void add_u64(strs *s, const char *key, uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  add(s, key, b);
}

static void strs_free(strs *s) {
  for (size_t i = 0; i < s->n; i++) {
    explicit_bzero(s->v[i], strlen(s->v[i]));
    free(s->v[i]);
  }
  free(s->v);
}

static void add_hex32(strs *s, const char *key, const uint8_t b[32]) {
  char hex[65];
  cli_hex_encode(b, 32, hex);
  add(s, key, hex);
  explicit_bzero(hex, sizeof hex);
}

static void encode(const cli_run_opts *o, const uint8_t *root, strs *s) {
  add(s, "module=", o->module);
  if (o->argv0) add(s, "argv0=", o->argv0);
  if (o->invoke) add(s, "invoke=", o->invoke);
  for (int i = 0; i < o->nenvs; i++) add(s, "env=", o->envs[i]);
  for (int i = 0; i < o->ndirs; i++) {
    add(s, o->dirs[i].protect ? "pdir=" : "dir=", o->dirs[i].host);
    add(s, "guest=", o->dirs[i].guest);
  }
  for (int i = 0; i < o->nlistens; i++) add(s, "listen=", o->listens[i]);
  add_u64(s, "max-memory=", o->config.max_memory_bytes);
  add_u64(s, "stack=", o->config.value_stack_bytes);
  add_u64(s, "depth=", o->config.max_call_depth);
  add(s, "bounds=",
      o->config.bounds == TWINE_BOUNDS_EXPLICIT ? "explicit" : "guard");
  if (o->has_key) add_hex32(s, "key=", o->key);
  if (root) add_hex32(s, "platform-key=", root);
  add(s, "--", "");
  for (int i = 0; i < o->nrest; i++) add(s, "", o->rest[i]);
}

/* The resources the host opens for the guest, in guest fd order. A
 * protected mount is a plain directory handle here: its key exists only in
 * the trusted process. */
static twine_wasi_config_t *resources(const cli_run_opts *o) {
  twine_wasi_config_t *cfg = NULL;
  if (twine_wasi_config_new(&cfg) != TWINE_OK) return NULL;
  for (int i = 0; i < o->ndirs; i++)
    if (twine_wasi_config_preopen_dir(cfg, o->dirs[i].host,
                                      o->dirs[i].guest) != TWINE_OK)
      goto bad;
  for (int i = 0; i < o->nlistens; i++)
    if (twine_wasi_config_preopen_tcp_listen(cfg, o->listens[i]) != TWINE_OK)
      goto bad;
  return cfg;
bad:
  twine_wasi_config_free(cfg);
  return NULL;
}

static const char *signame(int sig) {
  const char *n = sigabbrev_np(sig);
  return n ? n : "?";
}

/* How the trusted process ended -> message and exit status. Also called
 * from the monitor thread when the host is stuck in a host call. */
static int report(const tw_host_proc_result *res, void *arg) {
  const cli_run_opts *o = arg;
  char d[32];
  switch (res->how) {
  case TW_HOST_PROC_EXITED:
    return res->code;
  case TW_HOST_PROC_TIMEOUT:
    cli_format_duration(o->timeout_ms, d, sizeof d);
    cli_err("timeout after %s", d);
    return CLI_EXIT_TIMEOUT;
  case TW_HOST_PROC_SIGNALED:
    if (res->signal == SIGSYS)
      cli_err("trusted process killed by SIGSYS (forbidden system call)");
    else
      cli_err("trusted process killed by SIG%s (signal %d)",
              signame(res->signal), res->signal);
    return CLI_EXIT_ERROR;
  case TW_HOST_PROC_SETUP:
    cli_err("cannot set up WASI: %s", res->message);
    return CLI_EXIT_ERROR;
  case TW_HOST_PROC_FAILED:
    cli_err("trusted process: %s", res->message);
    return CLI_EXIT_ERROR;
  }
  return CLI_EXIT_ERROR;
}

int cli_run_proc(const cli_run_opts *o) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (!cli_read_module(o->module, &bytes, &len)) return CLI_EXIT_ERROR;
  int rc = CLI_EXIT_ERROR;
  strs args;
  memset(&args, 0, sizeof args);
  twine_wasi_config_t *cfg = NULL;
  /* The platform key, only if the launch needs the enclave. */
  uint8_t root[TWINE_ROOT_SECRET_LEN];
  bool need_root = cli_run_needs_sealing(o) ||
                   cli_module_imports_from(bytes, len, "twine");
  if (need_root) {
    char path[4096];
    twine_error_t err;
    memset(&err, 0, sizeof err);
    if (twine_platform_key_load(NULL, root, path, sizeof path, &err) !=
        TWINE_OK) {
      cli_err("run: %s", err.message);
      goto out;
    }
  }
  cfg = resources(o);
  encode(o, need_root ? root : NULL, &args);
  if (!cfg || args.oom) {
    cli_err("run: cannot prepare the trusted process: out of memory or a "
            "bad --dir/--tcplisten");
    goto out;
  }
  tw_host_proc_launch l;
  memset(&l, 0, sizeof l);
  l.exe = "/proc/self/exe";
  l.module = bytes;
  l.module_len = len;
  l.nargs = args.n;
  l.args = (const char *const *)args.v;
  l.wasi = cfg;
  l.timeout_ms = o->timeout_ms;
  l.flags = o->enclave_test;
  l.on_stuck = report;
  l.on_stuck_arg = (void *)o;
  tw_host_proc_result res;
  tw_host_proc_run(&l, &res);
  rc = report(&res, (void *)o);
out:
  explicit_bzero(root, sizeof root);
  twine_wasi_config_free(cfg);
  strs_free(&args);
  free(bytes);
  return rc;
}

/* ---- decoding (trusted process) ------------------------------------------------ */

static const char *val(const char *a, const char *key) {
  size_t k = strlen(key);
  return strncmp(a, key, k) == 0 ? a + k : NULL;
}

static bool num(const char *v, uint64_t max, uint64_t *out) {
  char why[96];
  return cli_parse_count(v, 0, max, out, why, sizeof why);
}

/* Decode c's arguments into o (its arrays allocated). false: malformed. */
static bool decode(const tw_host_proc_child *c, cli_run_opts *o) {
  size_t n = c->nargs;
  o->dirs = calloc(n ? n : 1, sizeof *o->dirs);
  o->envs = calloc(n ? n : 1, sizeof *o->envs);
  o->listens = calloc(n ? n : 1, sizeof *o->listens);
  if (!o->dirs || !o->envs || !o->listens) return false;
  twine_config_default(&o->config);
  uint64_t v;
  size_t i = 0;
  for (; i < n; i++) {
    const char *a = c->args[i], *x;
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if ((x = val(a, "module="))) {
      o->module = x;
    } else if ((x = val(a, "argv0="))) {
      o->argv0 = x;
    } else if ((x = val(a, "invoke="))) {
      o->invoke = x;
    } else if ((x = val(a, "env="))) {
      if (!strchr(x, '=') || x[0] == '=') return false;
      o->envs[o->nenvs++] = x;
    } else if ((x = val(a, "dir=")) || (x = val(a, "pdir="))) {
      const char *g;
      if (i + 1 >= n || !(g = val(c->args[i + 1], "guest=")) || !*x || !*g)
        return false;
      /* the host path is only named in messages */
      if (!(o->dirs[o->ndirs].host = strdup(x))) return false;
      o->dirs[o->ndirs].protect = a[0] == 'p';
      o->dirs[o->ndirs++].guest = g;
      i++;
    } else if ((x = val(a, "key="))) {
      size_t kl;
      if (!cli_hex_decode(x, o->key, 32, &kl) || kl != 32) return false;
      o->has_key = true;
    } else if ((x = val(a, "platform-key="))) {
      size_t kl;
      if (!cli_hex_decode(x, o->root, 32, &kl) || kl != 32) return false;
      o->has_root = true;
    } else if ((x = val(a, "listen="))) {
      o->listens[o->nlistens++] = x;
    } else if ((x = val(a, "max-memory="))) {
      if (!num(x, (uint64_t)4 << 30, &v)) return false;
      o->config.max_memory_bytes = v;
    } else if ((x = val(a, "stack="))) {
      if (!num(x, (uint64_t)1 << 30, &v)) return false;
      o->config.value_stack_bytes = (size_t)v;
    } else if ((x = val(a, "depth="))) {
      if (!num(x, (uint64_t)1 << 24, &v)) return false;
      o->config.max_call_depth = (uint32_t)v;
    } else if ((x = val(a, "bounds="))) {
      if (!cli_parse_bounds(x, &o->config.bounds)) return false;
    } else {
      return false;
    }
  }
  if (!o->module) return false;
  o->rest = (char **)(c->args + i);
  o->nrest = (int)(n - i);
  return true;
}

static int child_run(const tw_host_proc_child *c) {
  cli_run_opts o;
  memset(&o, 0, sizeof o);
  int rc = CLI_EXIT_ERROR;
  if (c->nargs > (size_t)1 << 20 || !decode(c, &o)) {
    cli_err("trusted process: malformed launch arguments");
  } else {
    o.enclave = CLI_ENCLAVE_PROCESS;
    o.bytes = c->module;
    o.nbytes = c->module_len;
    o.child = c;
    rc = cli_run_exec(&o);
  }
  for (int k = 0; k < o.ndirs; k++) free(o.dirs[k].host);
  free(o.dirs);
  free(o.envs);
  free(o.listens);
  explicit_bzero(o.key, sizeof o.key);
  explicit_bzero(o.root, sizeof o.root);
  /* the launch arguments held the keys in hex */
  for (size_t k = 0; k < c->nargs; k++)
    if (!strncmp(c->args[k], "key=", 4) ||
        !strncmp(c->args[k], "platform-key=", 13))
      explicit_bzero((char *)c->args[k], strlen(c->args[k]));
  return rc;
}

int cli_proc_child_main(int argc, char **argv) {
  return tw_host_proc_child_main(argc, argv, child_run);
}

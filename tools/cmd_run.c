/*
 * cmd_run.c - `twine run`: its help and its command line.
 *
 *   twine run [OPTIONS] MODULE.wasm [ARGS...]
 *
 * Options come before the module path; every word after it belongs to the
 * guest (argv[1..] of a WASI program, or the arguments of the --invoke
 * function), even when it looks like an option. Two older forms of
 * --invoke keep working:
 *   twine run [OPTIONS] --invoke NAME ARGS... MODULE.wasm
 *     (recognised when the word after NAME is not an existing file);
 *   twine run [OPTIONS] MODULE.wasm --invoke NAME [ARGS...]
 *     (only for modules without a _start export; decided in run_exec.c).
 * Execution is in run_exec.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "host/enclave_chan.h"

/* The engine's accepted ranges (see twine_config_t). */
#define CLI_MIN_MEMORY ((uint64_t)64 << 10)
#define CLI_MAX_MEMORY ((uint64_t)4 << 30)
#define CLI_MIN_STACK ((uint64_t)4 << 10)
#define CLI_MAX_STACK ((uint64_t)1 << 30)
#define CLI_MAX_CALL_DEPTH ((uint64_t)1 << 24)
#define CLI_MAX_TIMEOUT_MS ((uint64_t)365 * 24 * 3600 * 1000)

void cli_help_run(FILE *f) {
  fputs(
      "Usage: twine run [OPTIONS] MODULE.wasm [ARGS...]\n"
      "\n"
      "Run a WebAssembly module. A WASI command (a module with a _start\n"
      "export) gets ARGS as argv[1..] and wasi_snapshot_preview1 as its\n"
      "host; its exit status is the status of twine. Options go before\n"
      "MODULE.wasm: every word after it belongs to the guest.\n"
      "\n"
      "Options:\n"
      "  --dir HOST[::GUEST]      give the guest the host directory HOST,\n"
      "                           seen as GUEST (default: HOST). Repeatable;\n"
      "                           preopened descriptors are numbered from 3\n"
      "                           in the order given. The guest reaches\n"
      "                           nothing outside its preopened directories.\n"
      "  --protected-dir HOST[::GUEST]\n"
      "                           like --dir, but a protected mount: every\n"
      "                           file the guest creates or opens there is\n"
      "                           encrypted and authenticated on the host;\n"
      "                           tampering and rollback give EIO. Numbered\n"
      "                           with the --dir preopens in command-line\n"
      "                           order. The key is sealed to the measurement\n"
      "                           (another module or configuration cannot\n"
      "                           read the files) unless --key-file is given\n"
      "  --key-file FILE          32 raw bytes: the key of every protected\n"
      "                           mount, instead of sealing (its fingerprint\n"
      "                           is measured, never the key)\n"
      "  --env KEY=VALUE          set an environment variable of the guest\n"
      "                           (repeatable; the host's environment is not\n"
      "                           passed on)\n"
      "  --tcplisten HOST:PORT    preopen a listening TCP socket for\n"
      "                           sock_accept (repeatable; numbered after all\n"
      "                           --dir descriptors, in the order given)\n"
      "  --argv0 NAME             the guest's argv[0] (default: MODULE.wasm\n"
      "                           as given)\n"
      "  --invoke NAME            call the export NAME instead of _start; the\n"
      "                           words after MODULE.wasm are its arguments.\n"
      "                           WASI imports are still provided, and a\n"
      "                           reactor's _initialize is called first.\n"
      "  --max-memory SIZE        largest size of any linear memory (default\n"
      "                           4G, at least 64K; rounded down to 64 KiB\n"
      "                           pages). memory.grow beyond it fails.\n"
      "  --stack-size SIZE        size of the value stack for locals and\n"
      "                           operands (default 8M; 4K to 1G)\n"
      "  --max-call-depth N       deepest nesting of wasm calls before the\n"
      "                           'call stack exhausted' trap (default 16384;\n"
      "                           1 to 16777216)\n"
      "  --timeout DURATION       stop the guest after DURATION: a whole\n"
      "                           number with ms, s, m or h (500ms, 10s, 2m;\n"
      "                           no unit = seconds), at most 365 days\n"
      "  --bounds=guard|explicit  memory bounds checks: guard pages (default)\n"
      "                           or an explicit check on every access\n"
      "  --enclave=process|none   where the trusted side (engine, WASI) runs:\n"
      "                           a child process locked down with seccomp\n"
      "                           that reaches the host only through host\n"
      "                           calls (process, the default on Linux), or\n"
      "                           this process (none)\n"
      "  -h, --help               this help\n"
      "  --                       end of options (the next word is the "
      "module)\n"
      "\n"
      "Every option taking a value also accepts --option=VALUE. SIZE is a\n"
      "number of bytes or a number with K, M or G (binary: 1K = 1024; KiB,\n"
      "MB... are accepted too).\n"
      "\n"
      "Imports: wasi_snapshot_preview1 and twine (twine.attest: evidence\n"
      "signed with the platform attestation key, docs/attestation.md) are\n"
      "provided; any other import is an error naming its module, field and\n"
      "type. The platform key ($TWINE_PLATFORM_KEY_FILE, else\n"
      "~/.local/share/twine/platform.key) is read only for a module that\n"
      "imports twine or a --protected-dir without --key-file. A module without _start\n"
      "and without --invoke only runs its start function, if it has one.\n"
      "\n"
      "--invoke arguments are parsed by the function's parameter types:\n"
      "  i32, i64   decimal or 0x hex, optionally signed (-1 and 0xffffffff\n"
      "             are the same i32)\n"
      "  f32, f64   decimal, hex float (0x1.8p1), inf, -inf, nan, -nan,\n"
      "             nan:0xPAYLOAD\n"
      "  funcref, externref   null\n"
      "Results are printed to stdout, one per line, without type prefixes:\n"
      "integers as signed decimal, floats in the shortest form that reads\n"
      "back to the same bits (2.0, 1.5, 1e+30, -0.0, inf, nan:0x200000),\n"
      "references as null, funcref or externref. Older forms still work:\n"
      "  twine run [OPTIONS] --invoke NAME [ARGS...] MODULE.wasm\n"
      "  twine run [OPTIONS] MODULE.wasm --invoke NAME [ARGS...]  (modules\n"
      "                                  without _start only)\n"
      "\n"
      "Examples:\n"
      "  twine run hello.wasm\n"
      "  twine run --dir .::/work --env HOME=/work app.wasm -v input.txt\n"
      "  twine run --timeout 10s --max-memory 256M app.wasm\n"
      "  twine run --invoke add math.wasm 2 3\n"
      "  twine run --protected-dir vault::/vault app.wasm\n"
      "\n"
      "Exit status:\n"
      "  0     _start returned, the guest called proc_exit(0), or --invoke\n"
      "        succeeded\n"
      "  N     the guest called proc_exit(N) (codes above 255 give 255)\n"
      "  1     usage, load, link or setup error: bad option, missing or\n"
      "        invalid module, unknown import, unusable --dir...\n"
      "  124   --timeout expired (\"twine: timeout after ...\" on stderr)\n"
      "  134   trap: \"twine: trap: KIND\" and a backtrace with function\n"
      "        names on stderr\n",
      f);
}

/* ---- one option ----------------------------------------------------------- */

typedef enum opt_id {
  OPT_DIR,
  OPT_PROTECTED_DIR,
  OPT_KEY_FILE,
  OPT_ENV,
  OPT_TCPLISTEN,
  OPT_ARGV0,
  OPT_INVOKE,
  OPT_MAX_MEMORY,
  OPT_STACK_SIZE,
  OPT_MAX_CALL_DEPTH,
  OPT_TIMEOUT,
  OPT_BOUNDS,
  OPT_ENCLAVE,
  OPT_ENCLAVE_TEST
} opt_id;

static const struct {
  const char *name;
  opt_id id;
  const char *metavar;
} options[] = {
    {"--dir", OPT_DIR, "HOST[::GUEST]"},
    {"--protected-dir", OPT_PROTECTED_DIR, "HOST[::GUEST]"},
    {"--key-file", OPT_KEY_FILE, "FILE"},
    {"--env", OPT_ENV, "KEY=VALUE"},
    {"--tcplisten", OPT_TCPLISTEN, "HOST:PORT"},
    {"--argv0", OPT_ARGV0, "NAME"},
    {"--invoke", OPT_INVOKE, "NAME"},
    {"--max-memory", OPT_MAX_MEMORY, "SIZE"},
    {"--stack-size", OPT_STACK_SIZE, "SIZE"},
    {"--max-call-depth", OPT_MAX_CALL_DEPTH, "N"},
    {"--timeout", OPT_TIMEOUT, "DURATION"},
    {"--bounds", OPT_BOUNDS, "guard|explicit"},
    {"--enclave", OPT_ENCLAVE, "process|none"},
    /* hidden (docs/enclave.md): test hooks of the process backend */
    {"--enclave-test", OPT_ENCLAVE_TEST, "HOOK"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

/* "--dir" -> index; "--dir=X" -> index with *value = "X". -1: unknown. */
static int find_option(const char *a, const char **value) {
  *value = NULL;
  for (size_t i = 0; i < NOPTIONS; i++) {
    size_t n = strlen(options[i].name);
    if (strncmp(a, options[i].name, n) != 0) continue;
    if (a[n] == '\0') return (int)i;
    if (a[n] == '=') {
      *value = a + n + 1;
      return (int)i;
    }
  }
  return -1;
}

/* The host directory must exist, be a directory and be readable now; the
 * WASI layer opens it again for real. Gives a clear message early. */
static bool check_dir(const char *opt, const char *spec, const char *host) {
  int fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR)
      cli_err("run: %s %s: %s is not a directory", opt, spec, host);
    else
      cli_err("run: %s %s: cannot open %s: %s", opt, spec, host,
              strerror(errno));
    return false;
  }
  close(fd);
  return true;
}

static bool add_dir(cli_run_opts *o, const char *spec, bool protect) {
  const char *opt = protect ? "--protected-dir" : "--dir";
  const char *sep = strstr(spec, "::");
  size_t hlen = sep ? (size_t)(sep - spec) : strlen(spec);
  const char *guest = sep ? sep + 2 : NULL;
  if (hlen == 0) {
    cli_err("run: %s %s: empty host directory (use %s HOST[::GUEST])", opt,
            spec, opt);
    return false;
  }
  if (guest && !*guest) {
    cli_err("run: %s %s: empty guest path after '::'", opt, spec);
    return false;
  }
  char *host = malloc(hlen + 1);
  if (!host) {
    cli_err("out of memory");
    return false;
  }
  memcpy(host, spec, hlen);
  host[hlen] = '\0';
  if (!check_dir(opt, spec, host)) {
    free(host);
    return false;
  }
  o->dirs[o->ndirs].host = host;
  o->dirs[o->ndirs].guest = guest ? guest : host;
  o->dirs[o->ndirs].protect = protect;
  o->ndirs++;
  return true;
}

/* --key-file: exactly 32 bytes, read now (the trusted process cannot
 * open files). */
static bool read_key(cli_run_opts *o, const char *path) {
  if (o->has_key) {
    cli_err("run: --key-file given twice");
    return false;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("run: --key-file %s: cannot open: %s", path, strerror(errno));
    return false;
  }
  uint8_t b[33];
  size_t n = 0;
  while (n < sizeof b) {
    ssize_t r = read(fd, b + n, sizeof b - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  bool ok = n == 32;
  if (ok) {
    memcpy(o->key, b, 32);
    o->has_key = true;
  } else {
    cli_err("run: --key-file %s: must hold exactly 32 bytes (raw key)%s",
            path, n > 32 ? ", it is longer" : "");
  }
  explicit_bzero(b, sizeof b);
  return ok;
}

static bool check_env(const char *kv) {
  const char *eq = strchr(kv, '=');
  if (!eq) {
    cli_err("run: --env %s: expected KEY=VALUE", kv);
    return false;
  }
  if (eq == kv) {
    cli_err("run: --env %s: empty variable name", kv);
    return false;
  }
  return true;
}

/* HOST:PORT with a non-empty host and a port 0..65535; the WASI layer
 * resolves and binds it. */
static bool check_listen(const char *hp) {
  const char *colon = strrchr(hp, ':');
  char why[96];
  uint64_t port;
  if (!colon || colon == hp) {
    cli_err("run: --tcplisten %s: expected HOST:PORT (e.g. 127.0.0.1:8080)",
            hp);
    return false;
  }
  if (!cli_parse_count(colon + 1, 0, 65535, &port, why, sizeof why)) {
    cli_err("run: --tcplisten %s: bad port: %s", hp, why);
    return false;
  }
  return true;
}

static bool set_size(const char *opt, const char *v, uint64_t min,
                     uint64_t max, uint64_t *out) {
  char why[128];
  if (!cli_parse_size(v, min, max, out, why, sizeof why)) {
    cli_err("run: %s %s: %s", opt, v, why);
    return false;
  }
  return true;
}

/* Apply option `id` with value v. */
static bool apply(cli_run_opts *o, opt_id id, const char *name,
                  const char *v) {
  char why[128];
  uint64_t n;
  switch (id) {
  case OPT_DIR:
    return add_dir(o, v, false);
  case OPT_PROTECTED_DIR:
    return add_dir(o, v, true);
  case OPT_KEY_FILE:
    return read_key(o, v);
  case OPT_ENV:
    if (!check_env(v)) return false;
    o->envs[o->nenvs++] = v;
    return true;
  case OPT_TCPLISTEN:
    if (!check_listen(v)) return false;
    o->listens[o->nlistens++] = v;
    return true;
  case OPT_ARGV0:
    o->argv0 = v;
    return true;
  case OPT_INVOKE:
    if (o->invoke) {
      cli_err("run: --invoke given twice");
      return false;
    }
    o->invoke = v;
    return true;
  case OPT_MAX_MEMORY:
    if (!set_size(name, v, CLI_MIN_MEMORY, CLI_MAX_MEMORY, &n)) return false;
    o->config.max_memory_bytes = n;
    return true;
  case OPT_STACK_SIZE:
    if (!set_size(name, v, CLI_MIN_STACK, CLI_MAX_STACK, &n)) return false;
    o->config.value_stack_bytes = (size_t)n;
    return true;
  case OPT_MAX_CALL_DEPTH:
    if (!cli_parse_count(v, 1, CLI_MAX_CALL_DEPTH, &n, why, sizeof why)) {
      cli_err("run: %s %s: %s", name, v, why);
      return false;
    }
    o->config.max_call_depth = (uint32_t)n;
    return true;
  case OPT_TIMEOUT:
    if (!cli_parse_duration(v, CLI_MAX_TIMEOUT_MS, &n, why, sizeof why)) {
      cli_err("run: %s %s: %s", name, v, why);
      return false;
    }
    o->timeout_ms = n;
    return true;
  case OPT_BOUNDS:
    if (!cli_parse_bounds(v, &o->config.bounds)) {
      cli_err("run: --bounds must be guard or explicit, not %s", v);
      return false;
    }
    return true;
  case OPT_ENCLAVE:
    if (!strcmp(v, "none")) {
      o->enclave = CLI_ENCLAVE_NONE;
    } else if (!strcmp(v, "process")) {
#ifdef __linux__
      o->enclave = CLI_ENCLAVE_PROCESS;
#else
      cli_err("run: --enclave=process needs Linux (seccomp)");
      return false;
#endif
    } else {
      cli_err("run: --enclave must be process or none, not %s", v);
      return false;
    }
    return true;
  case OPT_ENCLAVE_TEST:
    if (strcmp(v, "forbidden-syscall") != 0) {
      cli_err("run: --enclave-test: unknown hook %s", v);
      return false;
    }
    o->enclave_test |= TW_CHAN_F_TEST_FORBIDDEN;
    return true;
  }
  return false;
}

static bool exists(const char *path) {
  struct stat st;
  return *path && stat(path, &st) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Positional words start at argv[i]: pick the module and the rest. */
static void take_positionals(cli_run_opts *o, int argc, char **argv, int i) {
  int last = argc - 1;
  /* Older form: --invoke NAME ARGS... MODULE, when argv[i] cannot be the
   * module but the last word can. */
  if (o->invoke && last > i && !exists(argv[i]) &&
      (exists(argv[last]) || ends_with(argv[last], ".wasm"))) {
    o->module = argv[last];
    o->rest = argv + i;
    o->nrest = last - i;
    return;
  }
  o->module = argv[i];
  o->rest = argv + i + 1;
  o->nrest = argc - i - 1;
}

static void opts_free(cli_run_opts *o) {
  if (!o) return;
  for (int i = 0; i < o->ndirs; i++) free(o->dirs[i].host);
  free(o->dirs);
  explicit_bzero(o->key, sizeof o->key);
  explicit_bzero(o->root, sizeof o->root);
  free(o->envs);
  free(o->listens);
  memset(o, 0, sizeof *o);
}

/* Options of another command that shares the run options (cli_run_parse). */
static cli_run_extra_fn g_extra;
static void *g_extra_ctx;

/* Returns -1 to go on, or an exit code. */
static int parse_words(int argc, char **argv, cli_run_opts *o);
static int parse_args(int argc, char **argv, cli_run_opts *o) {
  int rc = parse_words(argc, argv, o);
  if (rc >= 0 || !o->has_key) return rc;
  for (int i = 0; i < o->ndirs; i++)
    if (o->dirs[i].protect) return rc;
  cli_err("run: --key-file is the key of --protected-dir mounts, and there "
          "is none");
  return CLI_EXIT_ERROR;
}

bool cli_run_needs_sealing(const cli_run_opts *o) {
  if (o->has_key) return false;
  for (int i = 0; i < o->ndirs; i++)
    if (o->dirs[i].protect) return true;
  return false;
}

static int parse_words(int argc, char **argv, cli_run_opts *o) {
  memset(o, 0, sizeof *o);
  twine_config_default(&o->config);
#ifdef __linux__
  o->enclave = CLI_ENCLAVE_PROCESS;
#else
  o->enclave = CLI_ENCLAVE_NONE;
#endif
  /* Each option is at most one entry, so argc bounds every list. */
  o->dirs = calloc((size_t)argc, sizeof *o->dirs);
  o->envs = calloc((size_t)argc, sizeof *o->envs);
  o->listens = calloc((size_t)argc, sizeof *o->listens);
  if (!o->dirs || !o->envs || !o->listens) {
    cli_err("out of memory");
    return CLI_EXIT_ERROR;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      if (i + 1 >= argc) break;
      take_positionals(o, argc, argv, i + 1);
      return -1;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      cli_help_run(stdout);
      return CLI_EXIT_OK;
    }
    if (a[0] != '-' || a[1] == '\0') {
      take_positionals(o, argc, argv, i);
      return -1;
    }
    const char *value;
    int k = find_option(a, &value);
    if (k < 0 && g_extra) { /* an option of the calling command */
      int used = g_extra(g_extra_ctx, argc, argv, i);
      if (used < 0) return CLI_EXIT_ERROR;
      if (used > 0) {
        i += used - 1;
        continue;
      }
    }
    if (k < 0) {
      cli_err("run: unknown option %s (options go before the module path; "
              "try 'twine run --help')",
              a);
      return CLI_EXIT_ERROR;
    }
    if (!value) {
      if (i + 1 >= argc) {
        cli_err("run: %s needs a value (%s %s)", options[k].name,
                options[k].name, options[k].metavar);
        return CLI_EXIT_ERROR;
      }
      value = argv[++i];
    }
    if (!apply(o, options[k].id, options[k].name, value))
      return CLI_EXIT_ERROR;
  }
  cli_err("run: missing module path (try 'twine run --help')");
  return CLI_EXIT_ERROR;
}

int cli_cmd_run(int argc, char **argv) {
  cli_run_opts o;
  int rc = parse_args(argc, argv, &o);
  if (rc < 0) rc = cli_run_exec(&o);
  opts_free(&o);
  return rc;
}

/* For commands that take the run options (twine measure, twine attest). */
int cli_run_parse(int argc, char **argv, cli_run_opts *o,
                  cli_run_extra_fn extra, void *ctx) {
  g_extra = extra;
  g_extra_ctx = ctx;
  int rc = parse_args(argc, argv, o);
  g_extra = NULL;
  g_extra_ctx = NULL;
  return rc;
}

void cli_run_opts_free(cli_run_opts *o) { opts_free(o); }

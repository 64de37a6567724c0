/*
 * cli.h - shared pieces of the `twine` command-line tool.
 *
 * The CLI is a client of the public API (include/twine/twine.h) only.
 * main.c dispatches to one file per subcommand (cmd_<name>.c); cli_util.c
 * holds error reporting, module loading and type printing; cli_value.c
 * parses arguments and prints results.
 *
 * Exit codes: 0 success; the guest's proc_exit code; 1 usage / load / link /
 * setup errors; 124 --timeout expired; 134 trap (like wasmtime on Unix:
 * 128 + SIGABRT). Every message that can contain outside bytes (file
 * names, wasm names, engine messages) goes through the sanitizing
 * printers, so hostile input cannot send control sequences to the
 * terminal.
 */
#ifndef TWINE_TOOLS_CLI_H
#define TWINE_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "twine/twine.h"

enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_ERROR = 1,
  CLI_EXIT_TIMEOUT = 124,
  CLI_EXIT_TRAP = 134
};

/* ---- subcommands ------------------------------------------------------ */

/* argv[0] is the subcommand's name; argv[1..argc) its arguments. */
int cli_cmd_validate(int argc, char **argv);
void cli_help_validate(FILE *f);
int cli_cmd_run(int argc, char **argv);
void cli_help_run(FILE *f);
int cli_cmd_pfs(int argc, char **argv);
void cli_help_pfs(FILE *f);
int cli_cmd_measure(int argc, char **argv);
void cli_help_measure(FILE *f);
int cli_cmd_sign(int argc, char **argv);
void cli_help_sign(FILE *f);
int cli_cmd_attest(int argc, char **argv);
void cli_help_attest(FILE *f);
int cli_cmd_verify(int argc, char **argv);
void cli_help_verify(FILE *f);

/* ---- twine run: options (cmd_run.c) and execution (run_exec.c) ------- */

typedef struct cli_dir {
  char *host;        /* owned */
  const char *guest; /* into argv, or == host */
  bool protect;      /* --protected-dir: a protected mount */
} cli_dir;

/* --enclave: where the trusted side runs (docs/enclave.md). */
typedef enum cli_enclave { CLI_ENCLAVE_NONE, CLI_ENCLAVE_PROCESS } cli_enclave;

struct tw_host_proc_child;

typedef struct cli_run_opts {
  const char *module;
  const char *argv0;  /* --argv0, or NULL for the module path */
  const char *invoke; /* --invoke NAME, or NULL to run _start */
  char **rest;        /* the words after the module path (into argv) */
  int nrest;
  cli_dir *dirs; /* --dir and --protected-dir, in command-line order */
  int ndirs;
  /* --key-file: the explicit key of every protected mount (wiped by
   * cli_run_opts_free). Without it, each protected mount's key is sealed
   * to the measurement (docs/attestation.md). */
  bool has_key;
  uint8_t key[32];
  const char **envs; /* --env K=V, in order */
  int nenvs;
  const char **listens; /* --tcplisten HOST:PORT, in order */
  int nlistens;
  twine_config_t config; /* bounds, memory, stacks */
  uint64_t timeout_ms;   /* 0: none */
  cli_enclave enclave;   /* --enclave */
  uint32_t enclave_test; /* hidden --enclave-test hooks (TW_CHAN_F_*) */
  /* Inside the trusted process (run_proc.c): the module's bytes (instead
   * of reading the file `module`) and the channel to the host. */
  const uint8_t *bytes;
  size_t nbytes;
  const struct tw_host_proc_child *child;
  /* Inside the trusted process: the platform root secret the host sent in
   * the launch frame (only when the launch needs the enclave). Wiped. */
  bool has_root;
  uint8_t root[32];
} cli_run_opts;

/* Parse the options of `twine run` (argv[0] is the command name) for
 * another command that shares them. An option the run parser does not
 * know is offered to extra(ctx, argc, argv, i) first (NULL: none), which
 * returns how many words it consumed (0: not its option; -1: error,
 * already reported). Returns -1 to go on (o filled; free it with
 * cli_run_opts_free) or an exit code (--help printed the run help, or an
 * error was reported). */
typedef int (*cli_run_extra_fn)(void *ctx, int argc, char **argv, int i);
int cli_run_parse(int argc, char **argv, cli_run_opts *o,
                  cli_run_extra_fn extra, void *ctx);
void cli_run_opts_free(cli_run_opts *o);

/* Instantiate and run per *o; returns the process exit code. With
 * --enclave=process (and not already inside the trusted process) this is
 * cli_run_proc. */
int cli_run_exec(const cli_run_opts *o);
/* The process backend (run_proc.c): start the trusted process, hand it
 * the module and the options, serve it, report how it ended. */
int cli_run_proc(const cli_run_opts *o);
/* `twine __trusted-process FD`: the trusted process's main. */
int cli_proc_child_main(int argc, char **argv);
/* --invoke: call the export o->invoke of inst with o->rest as arguments
 * and print the results. *trap is filled when the guest trapped or exited
 * (the return value is then -1: the caller reports it). */
int cli_run_invoke(const cli_run_opts *o, twine_instance_t *inst,
                   twine_status_t *st, twine_trap_t *trap);
/* "; exported functions: a, b, c" (or "; the module exports no
 * functions"), for messages. */
void cli_list_funcs(const twine_instance_t *inst, char *buf, size_t len);

/* ---- --timeout (cli_watchdog.c) --------------------------------------- */

typedef struct cli_watchdog cli_watchdog;
/* Start a thread that interrupts `store` after `ms` milliseconds (and
 * ends the process with CLI_EXIT_TIMEOUT if the guest is stuck in a host
 * call a grace period later). NULL if no thread could be started. */
cli_watchdog *cli_watchdog_start(twine_store_t *store, uint64_t ms);
/* Stop and free the watchdog; true if the deadline had passed. NULL: no-op
 * (false). */
bool cli_watchdog_stop(cli_watchdog *w);

/* ---- numbers with units (cli_parse.c) --------------------------------- */

/* Decimal digits only, in [min, max]. */
bool cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *why, size_t whylen);
/* Bytes, or a number with a binary unit: K, M, G, T (also KB/KiB..., any
 * case; 1K = 1024). In [min, max]. */
bool cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                    char *why, size_t whylen);
/* "64K", "1G", "12345": the largest binary unit that divides v. */
void cli_format_size(uint64_t v, char *buf, size_t len);
/* A whole number with ms, s, m (or min) or h; no unit means seconds.
 * Positive, at most max_ms. */
bool cli_parse_duration(const char *s, uint64_t max_ms, uint64_t *ms,
                        char *why, size_t whylen);
/* "500ms", "10s", "2m", "1h". */
void cli_format_duration(uint64_t ms, char *buf, size_t len);

/* ---- messages (cli_util.c) -------------------------------------------- */

/* "twine: <formatted>\n" on stderr, control characters escaped. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Escape n bytes (a wasm name, which may hold NUL bytes) for a message:
 * printable ASCII and UTF-8 stay, other bytes become \xx. */
void cli_escape(const char *s, size_t n, char *buf, size_t len);
/* The failure of twine_module_new / _validate / _instance_new, one line:
 * "twine: FILE: invalid module at offset 291 (0x123) in section 10 (code):
 * <reason>". The module bytes (may be NULL) let it name the section holding
 * the offset when the engine's reason does not start with one. */
void cli_report_error(const char *path, twine_status_t st,
                      const twine_error_t *err, const uint8_t *bytes,
                      size_t len);
/* "twine: trap: <kind>" and a backtrace with function names. */
void cli_report_trap(const twine_trap_t *trap);

/* ---- modules and types (cli_util.c) ---------------------------------- */

/* Read a module file. On failure prints a one-line error and returns
 * false: missing, unreadable, a directory, too large, or not a wasm binary
 * (no "\0asm" magic). */
bool cli_read_module(const char *path, uint8_t **bytes, size_t *len);
/* Names that are never NULL, whatever the engine returns. */
const char *cli_valkind_name(twine_valkind_t k);
const char *cli_status_name(twine_status_t st);
/* Does the module have a section with this id (8 = start)? Walks the
 * section headers, trusting nothing. */
bool cli_module_has_section(const uint8_t *bytes, size_t len, unsigned id);
/* Does the module import anything from the module named `name`? Walks the
 * import section without the engine (for the untrusted host, which only
 * decides from it whether to read the platform key), trusting nothing:
 * false for a malformed section. */
bool cli_module_imports_from(const uint8_t *bytes, size_t len,
                             const char *name);
/* Does any --protected-dir need a key sealed to the measurement? */
bool cli_run_needs_sealing(const cli_run_opts *o);
/* "guard" / "explicit". */
bool cli_parse_bounds(const char *s, twine_bounds_t *out);
/* "(param i32 i32) (result i32)" / "(table 1 10 funcref)" / ... */
void cli_format_externtype(const twine_externtype_t *t, char *buf,
                           size_t len);
void cli_format_functype(const twine_functype_t *t, char *buf, size_t len);

/* ---- values (cli_value.c) ---------------------------------------------- */

/* Parse a command-line argument as a value of `kind`:
 *   i32/i64  decimal or 0x hex, optional sign, range-checked (both the
 *            signed and the unsigned range are accepted);
 *   f32/f64  decimal, hex float, inf, -inf, nan, -nan, nan:0xPAYLOAD;
 *   funcref/externref  null.
 * On failure writes the reason to why. */
bool cli_parse_value(const char *s, twine_valkind_t kind, twine_val_t *out,
                     char *why, size_t whylen);
/* Print a result: signed decimal for integers, the shortest round-trip
 * form for floats (always with '.' or an exponent, or inf / nan /
 * nan:0x...), null / funcref / externref for references, 0x... for v128. */
void cli_format_value(const twine_val_t *v, char *buf, size_t len);

#endif

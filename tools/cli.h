/*
 * cli.h - shared pieces of the `twine` command-line tool.
 *
 * The CLI is a client of the public API (include/twine/twine.h) only.
 * main.c dispatches to one file per subcommand (cmd_<name>.c); cli_util.c
 * holds error reporting, module loading and type printing; cli_value.c
 * parses arguments and prints results.
 *
 * Exit codes: 0 success, 1 usage / load / link errors, 2 trap (a guest exit
 * request exits with the guest's code). Every
 * message that can contain outside bytes (file names, wasm names, engine
 * messages) goes through the sanitizing printers, so hostile input cannot
 * send control sequences to the terminal.
 */
#ifndef TWINE_TOOLS_CLI_H
#define TWINE_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "twine/twine.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_ERROR = 1, CLI_EXIT_TRAP = 2 };

/* ---- subcommands ------------------------------------------------------ */

/* argv[0] is the subcommand's name; argv[1..argc) its arguments. */
int cli_cmd_validate(int argc, char **argv);
void cli_help_validate(FILE *f);
int cli_cmd_run(int argc, char **argv);
void cli_help_run(FILE *f);

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

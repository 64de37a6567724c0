/*
 * spec.h - shared declarations of the WebAssembly spec-suite runner.
 *
 * The runner is a client of the public API (include/twine/twine.h) only.
 * Pieces:
 *   spec_main.c    options, the list of .wast files, one child process per
 *                  file (crash/timeout isolation), per-file and total lines
 *   spec_convert.c running wast2json into a per-file temp directory
 *   spec_json.c    loading wast2json output (names may contain NUL bytes)
 *   spec_value.c   parsing, comparing and printing values
 *   spec_host.c    the `spectest` host module
 *   spec_run.c     executing the commands of one converted file
 */
#ifndef TWINE_SPEC_H
#define TWINE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "twine/twine.h"

/* ---- options ------------------------------------------------------------ */

typedef struct spec_opts {
  twine_bounds_t bounds;
  const char *suite_dir;  /* directory holding the .wast files           */
  const char *tmp_dir;    /* where wast2json output goes                  */
  const char *wast2json;  /* path or name of the converter                */
  unsigned max_details;   /* failure details printed per file, 0 = all     */
  unsigned timeout;       /* seconds per file, 0 = none                    */
  bool verbose;           /* let spectest.print* print                     */
  bool trace;             /* print each command before running it          */
  bool isolate;           /* run each file in a child process              */
  bool keep;              /* keep converted files even when a file passes  */
} spec_opts;

/* ---- per-file results ---------------------------------------------------- */

/* Lives in memory shared with the parent process when files are isolated,
 * so a crashing child still tells which command it was running. */
typedef struct spec_result {
  unsigned passed, failed, skipped;
  unsigned skipped_text;     /* text-format modules (cannot run)            */
  unsigned skipped_simd;     /* v128 values in a non-SIMD file              */
  unsigned details_shown;
  int cur_line;              /* line of the command being executed          */
  char cur_cmd[32];          /* its type                                    */
  bool setup_failed;         /* conversion / JSON / engine setup failed     */
} spec_result;

/* ---- conversion (spec_convert.c) ----------------------------------------- */

typedef struct spec_conv {
  int pid;                 /* wast2json process, 0 if none running          */
  char dir[4096];          /* TMP/<base>                                    */
  char json[4096];         /* TMP/<base>/<base>.json                        */
  char log[4096];          /* TMP/<base>/wast2json.log                      */
  char error[512];         /* why the conversion failed                     */
} spec_conv;

/* Find the converter: an explicit path, or a program name searched in PATH.
 * Writes the resolved path into out. */
bool spec_find_program(const char *name, char *out, size_t outlen);
/* Start converting `wast` (base name `base`) in the background. */
bool spec_convert_start(spec_conv *c, const spec_opts *o, const char *wast,
                        const char *base);
/* Wait for the conversion; false (with c->error) if it failed. */
bool spec_convert_wait(spec_conv *c);
/* Remove the per-file directory and everything in it. */
void spec_convert_cleanup(spec_conv *c);
/* mkdir -p */
bool spec_mkdirs(const char *path);

/* ---- JSON (spec_json.c) --------------------------------------------------- */

/* Parse a wast2json file. "\u0000" escapes are kept (cJSON would cut the
 * string there): see spec_json_name. NULL + msg on failure. */
cJSON *spec_json_load(const char *path, char *msg, size_t msglen);
/* A name string of the JSON (export or module name) as a malloc'ed copy of
 * *len bytes (plus a terminating NUL), with NUL bytes restored. NULL if
 * `item` is not a string or memory ran out. */
char *spec_json_name(const cJSON *item, size_t *len);
/* Read a whole binary file. */
bool spec_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
                    size_t msglen);

/* ---- values (spec_value.c) ------------------------------------------------ */

typedef enum spec_match {
  SPEC_MATCH_EXACT = 0,   /* same kind and same bits                      */
  SPEC_MATCH_NAN_CANON,   /* quiet NaN with zero payload, either sign     */
  SPEC_MATCH_NAN_ARITH,   /* any quiet NaN                                */
  SPEC_MATCH_ANY_REF      /* any non-null reference of the kind           */
} spec_match;

typedef struct spec_expect {
  twine_val_t val;
  spec_match match;
} spec_expect;

typedef enum spec_parse {
  SPEC_PARSE_OK = 0,
  SPEC_PARSE_BAD,   /* malformed JSON value                               */
  SPEC_PARSE_SIMD   /* a v128 value: not supported yet                    */
} spec_parse;

/* An argument value {"type": ..., "value": ...}. */
spec_parse spec_value_arg(const cJSON *j, twine_val_t *out, char *msg,
                          size_t msglen);
/* An expected value, possibly a NaN pattern or "any reference". */
spec_parse spec_value_expect(const cJSON *j, spec_expect *out, char *msg,
                             size_t msglen);
bool spec_value_matches(const spec_expect *e, const twine_val_t *got);
/* Printing (for failure details). Return the number of chars written. */
size_t spec_value_str(const twine_val_t *v, char *buf, size_t len);
size_t spec_expect_str(const spec_expect *e, char *buf, size_t len);
/* The host pointer standing for `ref.extern n`; NULL if n is too large. */
void *spec_externref(uint64_t n);
/* Bytes of a name, escaped for a terminal ("\xx" for unprintable bytes). */
size_t spec_name_str(const char *s, size_t n, char *buf, size_t len);

/* ---- spectest (spec_host.c) ------------------------------------------------ */

/* Create the spectest objects in `store` and define them in `linker`. */
twine_status_t spec_host_define(twine_store_t *store, twine_linker_t *linker,
                                bool verbose, char *msg, size_t msglen);

/* ---- running one file (spec_run.c) ---------------------------------------- */

/* Execute the commands of the converted JSON `json` (module files are
 * looked up next to it). `display` names the file in messages. */
void spec_run_file(const spec_opts *o, const char *json, const char *display,
                   spec_result *r);

#endif

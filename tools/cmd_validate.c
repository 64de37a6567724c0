/*
 * cmd_validate.c - `twine validate MODULE.wasm`: decode and validate a
 * module. Prints "valid" (exit 0), or one line naming the offset, the
 * section and the reason (exit 1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_help_validate(FILE *f) {
  fprintf(f,
          "Usage: twine validate [--] MODULE.wasm\n"
          "\n"
          "Decode and validate a WebAssembly binary module.\n"
          "Prints \"valid\" and exits 0 if it is valid; otherwise prints one "
          "line\n"
          "  twine: MODULE.wasm: invalid module at offset 26 (0x1a) in "
          "section 10 (code): <reason>\n"
          "to stderr and exits 1.\n"
          "\n"
          "Options:\n"
          "  -h, --help   this help\n");
}

int cli_cmd_validate(int argc, char **argv) {
  const char *path = NULL;
  bool opts_done = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts_done && strcmp(a, "--") == 0) {
      opts_done = true;
    } else if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
      cli_help_validate(stdout);
      return CLI_EXIT_OK;
    } else if (!opts_done && a[0] == '-' && a[1] != '\0') {
      cli_err("validate: unknown option %s (try 'twine validate --help')", a);
      return CLI_EXIT_ERROR;
    } else if (path) {
      cli_err("validate: one module at a time (unexpected argument %s)", a);
      return CLI_EXIT_ERROR;
    } else {
      path = a;
    }
  }
  if (!path) {
    cli_err("validate: missing module path (try 'twine validate --help')");
    return CLI_EXIT_ERROR;
  }

  uint8_t *bytes;
  size_t len;
  if (!cli_read_module(path, &bytes, &len)) return CLI_EXIT_ERROR;

  twine_engine_t *engine = NULL;
  twine_status_t st = twine_engine_new(NULL, &engine);
  if (st != TWINE_OK) {
    cli_err("cannot create the engine: %s", cli_status_name(st));
    free(bytes);
    return CLI_EXIT_ERROR;
  }
  twine_error_t err;
  memset(&err, 0, sizeof err);
  err.offset = SIZE_MAX;
  st = twine_module_validate(engine, bytes, len, &err);
  twine_engine_free(engine);
  if (st != TWINE_OK) {
    cli_report_error(path, st, &err, bytes, len);
    free(bytes);
    return CLI_EXIT_ERROR;
  }
  free(bytes);
  printf("valid\n");
  return CLI_EXIT_OK;
}

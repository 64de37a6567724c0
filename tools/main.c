/*
 * main.c - entry point of the `twine` command-line tool: global options
 * (--help, --version) and dispatch to one subcommand per file
 * (cmd_<name>.c). Adding a subcommand = one row in `commands`.
 */
#include <string.h>

#include "cli.h"
#include "host/enclave_proc.h"

typedef struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
  void (*help)(FILE *f);
} cli_command;

static const cli_command commands[] = {
    {"run", "run a WASI program or invoke an exported function",
     cli_cmd_run, cli_help_run},
    {"validate", "check that a module is well-formed and valid",
     cli_cmd_validate, cli_help_validate},
    {"pfs", "protected files: keygen, encrypt, decrypt, info, verify, rekey",
     cli_cmd_pfs, cli_help_pfs},
    {"measure", "print the measurement of a module and launch options",
     cli_cmd_measure, cli_help_measure},
    {"sign", "sign a module with an Ed25519 key (signer identity)",
     cli_cmd_sign, cli_help_sign},
    {"attest", "produce attestation evidence, or the platform public key",
     cli_cmd_attest, cli_help_attest},
    {"verify", "check attestation evidence", cli_cmd_verify,
     cli_help_verify},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fprintf(f, "Usage: twine <command> [ARGS...]\n"
             "       twine --help | --version\n"
             "\n"
             "Twine runs WebAssembly modules.\n"
             "\n"
             "Commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "  %-10s %s\n", "help", "help on a command (twine help run)");
  fprintf(f, "\n"
             "Run 'twine <command> --help' for the options of a command.\n"
             "Exit status: 0 success; for run, the guest's exit code; 1 "
             "usage, load or\n"
             "link error; 124 run --timeout expired; 134 trap (see 'twine run "
             "--help').\n");
}

static const cli_command *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_ERROR;
  }
  const char *cmd = argv[1];
  /* Not a command: the trusted process of --enclave=process. */
  if (!strcmp(cmd, TW_HOST_PROC_ARGV1)) return cli_proc_child_main(argc, argv);
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
    printf("twine %s\n", TWINE_VERSION);
    return CLI_EXIT_OK;
  }
  if (!strcmp(cmd, "help")) {
    if (argc < 3) {
      usage(stdout);
      return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(argv[2]);
    if (!c) {
      cli_err("unknown command %s (try 'twine --help')", argv[2]);
      return CLI_EXIT_ERROR;
    }
    c->help(stdout);
    return CLI_EXIT_OK;
  }
  const cli_command *c = find_command(cmd);
  if (!c) {
    if (cmd[0] == '-')
      cli_err("unknown option %s (try 'twine --help')", cmd);
    else
      cli_err("unknown command %s (try 'twine --help')", cmd);
    return CLI_EXIT_ERROR;
  }
  int rc = c->run(argc - 1, argv + 1);
  if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
    cli_err("cannot write the output");
    rc = CLI_EXIT_ERROR;
  }
  return rc;
}

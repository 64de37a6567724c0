/*
 * embed.c - how to embed Twine in a C program, using only the public API
 * (include/twine/twine.h).
 *
 *   embed GUEST.wasm
 *
 * GUEST.wasm is examples/guest/hello.c compiled to wasm32 (the build puts it
 * next to this program as hello.wasm). The example
 *   1. loads and validates the module from a file,
 *   2. defines the host function env.log_i32 that the guest imports,
 *   3. instantiates the module through a twine_linker,
 *   4. calls exports with arguments and reads their results,
 *   5. reads a string the guest wrote into its linear memory,
 *   6. handles a trap (integer division by zero) and keeps going.
 * It checks every result and exits non-zero if anything is unexpected, so it
 * doubles as a test (see examples/CMakeLists.txt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <twine/twine.h>

/* Read a whole file into a malloc'ed buffer. */
static int read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    uint8_t *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int bad = ferror(f) || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* The host side of env.log_i32: (i32) -> (). `env` counts the calls. */
static twine_status_t host_log_i32(twine_caller_t *caller, void *env,
                                   const twine_val_t *args,
                                   twine_val_t *results) {
  (void)caller;
  (void)results;
  int *calls = env;
  (*calls)++;
  printf("log_i32: %d\n", (int)args[0].of.i32);
  return TWINE_OK;
}

/* Call export `name` of `inst`, which takes and returns i32 values. */
static twine_status_t call_i32(twine_instance_t *inst, const char *name,
                               const int32_t *argv, size_t argc,
                               int32_t *result, twine_trap_t *trap) {
  twine_extern_t ext;
  twine_status_t st = twine_instance_export(inst, name, strlen(name), &ext);
  if (st != TWINE_OK)
    return st;
  if (ext.kind != TWINE_EXTERN_FUNC)
    return TWINE_ERR_ARG;
  twine_val_t args[4];
  if (argc > 4)
    return TWINE_ERR_ARG;
  for (size_t i = 0; i < argc; i++) {
    args[i].kind = TWINE_I32;
    args[i].of.i32 = argv[i];
  }
  twine_val_t res = {.kind = TWINE_I32};
  st = twine_func_call(ext.of.func, args, argc, &res, 1, trap);
  if (st == TWINE_OK)
    *result = res.of.i32;
  return st;
}

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "embed: UNEXPECTED: %s\n", what);
    failures++;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s GUEST.wasm\n", argv[0]);
    return 2;
  }
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (read_file(argv[1], &bytes, &len) != 0) {
    fprintf(stderr, "embed: cannot read %s\n", argv[1]);
    return 1;
  }

  twine_engine_t *engine = NULL;
  twine_module_t *module = NULL;
  twine_store_t *store = NULL;
  twine_linker_t *linker = NULL;
  twine_instance_t *inst = NULL;
  twine_error_t err;
  twine_trap_t trap;
  twine_status_t st;
  int rc = 1;

  /* 1. engine + module: the bytes are copied, so we can free them. */
  if ((st = twine_engine_new(NULL, &engine)) != TWINE_OK) {
    fprintf(stderr, "embed: engine: %s\n", twine_status_str(st));
    goto out;
  }
  st = twine_module_new(engine, bytes, len, &module, &err);
  free(bytes);
  bytes = NULL;
  if (st != TWINE_OK) {
    fprintf(stderr, "embed: %s: %s: %s\n", argv[1], twine_status_str(st),
            err.message);
    goto out;
  }
  printf("loaded %s: %zu imports, %zu exports\n", "hello.wasm",
         twine_module_import_count(module), twine_module_export_count(module));

  /* 2. a store and the host function the guest imports. */
  if ((st = twine_store_new(engine, &store)) != TWINE_OK)
    goto fail;
  static const twine_valkind_t log_params[] = {TWINE_I32};
  twine_functype_t log_type = {.nparams = 1, .params = log_params,
                               .nresults = 0, .results = NULL};
  int log_calls = 0;
  twine_func_t *log_fn = NULL;
  st = twine_func_new_host(store, &log_type, host_log_i32, &log_calls, NULL,
                           &log_fn);
  if (st != TWINE_OK)
    goto fail;

  /* 3. resolve imports by name and instantiate. */
  if ((st = twine_linker_new(store, &linker)) != TWINE_OK)
    goto fail;
  twine_extern_t ext = {.kind = TWINE_EXTERN_FUNC, .of.func = log_fn};
  if ((st = twine_linker_define(linker, "env", 3, "log_i32", 7, ext)) !=
      TWINE_OK)
    goto fail;
  st = twine_linker_instantiate(linker, module, &inst, &err, &trap);
  if (st != TWINE_OK) {
    fprintf(stderr, "embed: instantiate: %s: %s\n", twine_status_str(st),
            st == TWINE_ERR_TRAP ? trap.message : err.message);
    goto out;
  }

  /* 4. call an export that calls back into the host. */
  int32_t count = 0;
  int32_t n30[] = {30};
  if ((st = call_i32(inst, "list_primes", n30, 1, &count, &trap)) != TWINE_OK)
    goto fail;
  printf("list_primes(30) = %d (host saw %d calls)\n", (int)count, log_calls);
  check(count == 10 && log_calls == 10, "list_primes(30) should be 10");

  /* 5. read guest memory: greeting() returns an address, greeting_len() a
   * length; twine_memory_read checks the range against the memory size. */
  int32_t addr = 0, glen = 0;
  if ((st = call_i32(inst, "greeting", NULL, 0, &addr, &trap)) != TWINE_OK ||
      (st = call_i32(inst, "greeting_len", NULL, 0, &glen, &trap)) != TWINE_OK)
    goto fail;
  twine_extern_t mem_ext;
  if ((st = twine_instance_export(inst, "memory", 6, &mem_ext)) != TWINE_OK ||
      mem_ext.kind != TWINE_EXTERN_MEMORY) {
    fprintf(stderr, "embed: the guest exports no memory\n");
    goto out;
  }
  char text[128] = {0};
  if (glen < 0 || (size_t)glen >= sizeof text ||
      twine_memory_read(mem_ext.of.memory, (uint32_t)addr, text,
                        (size_t)glen) != TWINE_OK) {
    fprintf(stderr, "embed: greeting out of range\n");
    goto out;
  }
  printf("greeting: \"%s\"\n", text);
  check(strcmp(text, "Hello from a WebAssembly guest!") == 0, "greeting");

  /* 6. a call that works and one that traps; the instance stays usable. */
  int32_t q = 0;
  int32_t ok_args[] = {7, 2};
  if ((st = call_i32(inst, "divide", ok_args, 2, &q, &trap)) != TWINE_OK)
    goto fail;
  printf("divide(7, 2) = %d\n", (int)q);
  check(q == 3, "divide(7, 2) should be 3");

  int32_t bad_args[] = {1, 0};
  st = call_i32(inst, "divide", bad_args, 2, &q, &trap);
  if (st == TWINE_ERR_TRAP) {
    printf("divide(1, 0) trapped: %s\n", twine_trap_kind_str(trap.kind));
    check(trap.kind == TWINE_TRAP_INT_DIV_ZERO, "trap kind");
  } else {
    printf("divide(1, 0) did not trap: %s\n", twine_status_str(st));
    check(0, "divide(1, 0) should trap");
  }

  if ((st = call_i32(inst, "divide", ok_args, 2, &q, &trap)) != TWINE_OK)
    goto fail;
  printf("after the trap, divide(7, 2) = %d\n", (int)q);
  check(q == 3, "instance usable after a trap");

  rc = failures ? 1 : 0;
  goto out;

fail:
  fprintf(stderr, "embed: %s", twine_status_str(st));
  if (st == TWINE_ERR_TRAP)
    fprintf(stderr, ": %s", trap.message);
  fprintf(stderr, "\n");
out:
  free(bytes);
  twine_linker_free(linker);
  twine_store_free(store); /* frees the instance and the host function */
  twine_module_free(module);
  twine_engine_free(engine);
  return rc;
}

/*
 * twine.h - the public embedding API of the Twine WebAssembly runtime.
 *
 * Object model (wasmtime/wasm-c-api style, simplified):
 *   engine   - configuration shared by everything (bounds strategy, stack
 *              limits). Thread-safe once created.
 *   module   - decoded, validated and lowered code. Immutable, shareable
 *              between stores and threads. Independent of any store.
 *   store    - owns every runtime object (instances, functions, memories,
 *              tables, globals) and the execution stacks. One thread at a
 *              time. Freeing the store frees everything it owns.
 *   instance - a module instantiated in a store with its imports resolved.
 *
 * Conventions:
 *   - Fallible functions return twine_status_t (TWINE_OK == 0); results go
 *     through out-parameters, which are left untouched on failure.
 *   - Whoever creates an object with *_new frees it with the matching *_free;
 *     *_free(NULL) is a no-op. Objects owned by a store (twine_func_t,
 *     twine_memory_t, twine_table_t, twine_global_t, twine_instance_t) are
 *     freed with the store and have no *_free of their own.
 *   - Optional twine_error_t / twine_trap_t out-parameters may be NULL.
 *   - Strings returned by the API are owned by the object they came from and
 *     live as long as it does. Wasm names are UTF-8 and may contain NUL bytes:
 *     every name comes with its length.
 */
#ifndef TWINE_TWINE_H
#define TWINE_TWINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TWINE_VERSION_MAJOR 0
#define TWINE_VERSION_MINOR 1
#define TWINE_VERSION_PATCH 0
#define TWINE_VERSION "0.1.0"

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */

typedef enum twine_status {
  TWINE_OK = 0,
  TWINE_ERR_MALFORMED,   /* module bytes are not a well-formed binary      */
  TWINE_ERR_INVALID,     /* module is well-formed but fails validation     */
  TWINE_ERR_UNSUPPORTED, /* module uses a feature Twine does not support   */
  TWINE_ERR_UNLINKABLE,  /* an import is missing or has the wrong type     */
  TWINE_ERR_TRAP,        /* execution trapped; details in twine_trap_t     */
  TWINE_ERR_NOMEM,       /* out of host memory                             */
  TWINE_ERR_ARG,         /* invalid argument from the embedder             */
  TWINE_ERR_NOTFOUND,    /* no export / import with that name              */
  TWINE_ERR_LIMIT,       /* an implementation limit was exceeded           */
  TWINE_ERR_IO,          /* a file could not be read or written            */
  TWINE_ERR_EXIT,        /* the guest asked to exit (see twine_trap_t)     */
  TWINE_STATUS_COUNT
} twine_status_t;

/* Short English description of a status ("malformed module", ...). */
const char *twine_status_str(twine_status_t status);

/* Details of a failed load, validation or instantiation. */
typedef struct twine_error {
  twine_status_t status;
  /* Byte offset in the module where the problem was found, or SIZE_MAX. */
  size_t offset;
  /* Human-readable reason, e.g. "section 10 (code), function 3: type
   * mismatch". Always NUL-terminated. */
  char message[256];
} twine_error_t;

/* ------------------------------------------------------------------------ */
/* Values and types                                                          */

typedef enum twine_valkind {
  TWINE_I32 = 0,
  TWINE_I64,
  TWINE_F32,
  TWINE_F64,
  TWINE_V128,
  TWINE_FUNCREF,
  TWINE_EXTERNREF
} twine_valkind_t;

/* Name of a value kind: "i32", ..., "funcref", "externref". */
const char *twine_valkind_str(twine_valkind_t kind);

typedef struct twine_func twine_func_t;
typedef struct twine_memory twine_memory_t;
typedef struct twine_table twine_table_t;
typedef struct twine_global twine_global_t;

/* A typed value. Floats are carried as raw bit patterns (f32_bits /
 * f64_bits alias f32 / f64), so NaN payloads survive round trips. A null
 * reference is funcref == NULL or externref == NULL. */
typedef struct twine_val {
  twine_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    twine_func_t *funcref;
    void *externref;
  } of;
} twine_val_t;

/* A function signature. The arrays are borrowed: the API copies them when it
 * needs to keep them. */
typedef struct twine_functype {
  size_t nparams;
  const twine_valkind_t *params;
  size_t nresults;
  const twine_valkind_t *results;
} twine_functype_t;

typedef struct twine_limits {
  uint64_t min;
  uint64_t max; /* valid only if has_max */
  bool has_max;
} twine_limits_t;

typedef enum twine_externkind {
  TWINE_EXTERN_FUNC = 0,
  TWINE_EXTERN_TABLE = 1,
  TWINE_EXTERN_MEMORY = 2,
  TWINE_EXTERN_GLOBAL = 3
} twine_externkind_t;

/* A reference to a store-owned external object. */
typedef struct twine_extern {
  twine_externkind_t kind;
  union {
    twine_func_t *func;
    twine_table_t *table;
    twine_memory_t *memory;
    twine_global_t *global;
  } of;
} twine_extern_t;

/* ------------------------------------------------------------------------ */
/* Traps                                                                     */

typedef enum twine_trap_kind {
  TWINE_TRAP_NONE = 0,
  TWINE_TRAP_UNREACHABLE,         /* "unreachable"                        */
  TWINE_TRAP_MEMORY_OOB,          /* "out of bounds memory access"        */
  TWINE_TRAP_TABLE_OOB,           /* "out of bounds table access"         */
  TWINE_TRAP_UNDEFINED_ELEMENT,   /* "undefined element" (call_indirect)  */
  TWINE_TRAP_UNINITIALIZED_ELEMENT, /* "uninitialized element"           */
  TWINE_TRAP_INDIRECT_CALL_TYPE,  /* "indirect call type mismatch"        */
  TWINE_TRAP_INT_DIV_ZERO,        /* "integer divide by zero"             */
  TWINE_TRAP_INT_OVERFLOW,        /* "integer overflow"                   */
  TWINE_TRAP_INVALID_CONVERSION,  /* "invalid conversion to integer"      */
  TWINE_TRAP_STACK_EXHAUSTED,     /* "call stack exhausted"               */
  TWINE_TRAP_NULL_REFERENCE,      /* "null reference"                     */
  TWINE_TRAP_HOST,                /* a host function reported an error    */
  TWINE_TRAP_INTERRUPTED,         /* the store was interrupted (timeout)  */
  TWINE_TRAP_EXIT,                /* the guest asked to exit (exit_code)  */
  TWINE_TRAP_KIND_COUNT
} twine_trap_kind_t;

/* The spec's wording for a trap kind ("integer divide by zero", ...). */
const char *twine_trap_kind_str(twine_trap_kind_t kind);

/* One frame of a trap backtrace, innermost first. */
typedef struct twine_frame_info {
  uint32_t func_index;   /* index in the module's function index space   */
  const char *func_name; /* from the name section or an export, or NULL  */
  size_t func_name_len;
  uint32_t code_offset;  /* byte offset in the module, or UINT32_MAX      */
} twine_frame_info_t;

#define TWINE_TRAP_MAX_FRAMES 32

typedef struct twine_trap {
  twine_trap_kind_t kind;
  int32_t exit_code;     /* for TWINE_TRAP_EXIT */
  char message[256];     /* kind string, or the host function's message   */
  uint32_t nframes;      /* frames recorded (at most TWINE_TRAP_MAX_FRAMES) */
  uint32_t total_frames; /* frames on the stack when the trap happened     */
  twine_frame_info_t frames[TWINE_TRAP_MAX_FRAMES];
} twine_trap_t;

/* ------------------------------------------------------------------------ */
/* Engine                                                                    */

typedef enum twine_bounds {
  /* Reserve 8 GiB of address space per memory; out-of-bounds accesses hit
   * an inaccessible page and become traps in a signal handler. Fastest.
   * Each store that runs code makes sure a process-wide SIGSEGV/SIGBUS
   * handler is installed (with an alternate stack for that thread),
   * re-installing it if it was replaced; faults outside a guarded memory
   * are passed on to the handler that was there before. An embedder that
   * replaces the SIGSEGV handler while a store is running code must chain
   * to the previous one, or guard-page traps become crashes. */
  TWINE_BOUNDS_GUARD_PAGES = 0,
  /* Compare every access against the memory size. For hosts that cannot
   * reserve gigabytes of address space (enclaves). */
  TWINE_BOUNDS_EXPLICIT = 1
} twine_bounds_t;

typedef struct twine_config {
  twine_bounds_t bounds;
  /* Maximum nesting of wasm calls; deeper calls trap with
   * TWINE_TRAP_STACK_EXHAUSTED. */
  uint32_t max_call_depth;
  /* Size of the interpreter's value stack (locals + operands). */
  size_t value_stack_bytes;
  /* Upper bound on any single linear memory, in bytes (0 = 4 GiB). */
  uint64_t max_memory_bytes;
} twine_config_t;

/* Fill *cfg with the defaults: guard pages where the platform supports them,
 * 16384 call frames, 8 MiB value stack, 4 GiB memories. */
void twine_config_default(twine_config_t *cfg);

typedef struct twine_engine twine_engine_t;

/* Create an engine. cfg may be NULL for the defaults. Fails with
 * TWINE_ERR_ARG for an inconsistent configuration. */
twine_status_t twine_engine_new(const twine_config_t *cfg, twine_engine_t **out);
/* Free an engine. All modules and stores made from it must be freed first. */
void twine_engine_free(twine_engine_t *engine);

/* ------------------------------------------------------------------------ */
/* Modules                                                                   */

typedef struct twine_module twine_module_t;

/* Decode, validate and prepare a module. The bytes are copied; the caller
 * keeps ownership of `bytes`. On failure returns TWINE_ERR_MALFORMED,
 * TWINE_ERR_INVALID, TWINE_ERR_UNSUPPORTED, TWINE_ERR_LIMIT or
 * TWINE_ERR_NOMEM, and fills *err if given. */
twine_status_t twine_module_new(twine_engine_t *engine, const uint8_t *bytes,
                                size_t len, twine_module_t **out,
                                twine_error_t *err);

/* Decode and validate only (no preparation for execution). */
twine_status_t twine_module_validate(twine_engine_t *engine,
                                     const uint8_t *bytes, size_t len,
                                     twine_error_t *err);

/* Release the caller's reference. Instances keep the module alive. */
void twine_module_free(twine_module_t *module);

/* Description of an import or export of a module. Strings and types are
 * owned by the module. */
typedef struct twine_externtype {
  twine_externkind_t kind;
  twine_functype_t func;       /* TWINE_EXTERN_FUNC   */
  twine_valkind_t elem;        /* TWINE_EXTERN_TABLE  */
  twine_limits_t limits;       /* TABLE and MEMORY    */
  twine_valkind_t global_type; /* TWINE_EXTERN_GLOBAL */
  bool global_mutable;
} twine_externtype_t;

typedef struct twine_import_info {
  const char *module;
  size_t module_len;
  const char *name;
  size_t name_len;
  twine_externtype_t type;
} twine_import_info_t;

typedef struct twine_export_info {
  const char *name;
  size_t name_len;
  twine_externtype_t type;
} twine_export_info_t;

size_t twine_module_import_count(const twine_module_t *module);
twine_status_t twine_module_import(const twine_module_t *module, size_t i,
                                   twine_import_info_t *out);
size_t twine_module_export_count(const twine_module_t *module);
twine_status_t twine_module_export(const twine_module_t *module, size_t i,
                                   twine_export_info_t *out);
/* Name of function `func_index` from the name section, or NULL. */
const char *twine_module_func_name(const twine_module_t *module,
                                   uint32_t func_index, size_t *len);

/* ------------------------------------------------------------------------ */
/* Stores                                                                    */

typedef struct twine_store twine_store_t;

twine_status_t twine_store_new(twine_engine_t *engine, twine_store_t **out);
/* Free the store and every object it owns. */
void twine_store_free(twine_store_t *store);

/* Ask running code in this store to stop at the next loop back-edge or call
 * with TWINE_TRAP_INTERRUPTED. Safe to call from another thread or a signal
 * handler. The flag is cleared when the next top-level call starts. */
void twine_store_interrupt(twine_store_t *store);

/* ------------------------------------------------------------------------ */
/* Host functions and host-created objects                                   */

/* The calling context handed to a host function. Valid only during the
 * call. */
typedef struct twine_caller twine_caller_t;

/* A host function. `args` has nparams values of the declared kinds; the
 * callback writes nresults values (kinds pre-filled) into `results`.
 * Return TWINE_OK, or TWINE_ERR_TRAP after twine_caller_trap() to trap, or
 * TWINE_ERR_EXIT after twine_caller_exit(). */
typedef twine_status_t (*twine_host_func_cb)(twine_caller_t *caller, void *env,
                                             const twine_val_t *args,
                                             twine_val_t *results);

/* Create a host function owned by `store`. env_free (may be NULL) is called
 * on env when the store is freed. */
twine_status_t twine_func_new_host(twine_store_t *store,
                                   const twine_functype_t *type,
                                   twine_host_func_cb cb, void *env,
                                   void (*env_free)(void *env),
                                   twine_func_t **out);

/* Memory 0 of the instance whose code called the host function, or NULL. */
twine_memory_t *twine_caller_memory(twine_caller_t *caller);
/* Export `name` of the calling instance; TWINE_ERR_NOTFOUND if absent. */
twine_status_t twine_caller_export(twine_caller_t *caller, const char *name,
                                   twine_extern_t *out);
/* Record a trap message; the host function then returns TWINE_ERR_TRAP. */
twine_status_t twine_caller_trap(twine_caller_t *caller, const char *message);
/* Record an exit request; the host function then returns TWINE_ERR_EXIT. The
 * outermost twine_func_call returns TWINE_ERR_EXIT with trap->kind ==
 * TWINE_TRAP_EXIT and trap->exit_code set. */
twine_status_t twine_caller_exit(twine_caller_t *caller, int32_t code);
/* The store of the calling code. */
twine_store_t *twine_caller_store(twine_caller_t *caller);

/* New memory with `limits` in 64 KiB pages. */
twine_status_t twine_memory_new(twine_store_t *store, twine_limits_t limits,
                                twine_memory_t **out);
/* New table of `elem` (FUNCREF or EXTERNREF) filled with `init`. */
twine_status_t twine_table_new(twine_store_t *store, twine_valkind_t elem,
                               twine_limits_t limits, twine_val_t init,
                               twine_table_t **out);
/* New global of init.kind. */
twine_status_t twine_global_new(twine_store_t *store, twine_val_t init,
                                bool mutable_, twine_global_t **out);

/* ------------------------------------------------------------------------ */
/* Instances                                                                 */

typedef struct twine_instance twine_instance_t;

/* Instantiate `module` in `store`. imports[i] satisfies import i of the
 * module (in the module's import order). Returns TWINE_ERR_UNLINKABLE with
 * a message naming module, field and expected type if an import is missing
 * or mismatched; TWINE_ERR_TRAP if segment initialisation or the start
 * function traps (details in *trap; effects on imported memories and tables
 * that happened before the trap remain, as the spec requires). */
twine_status_t twine_instance_new(twine_store_t *store, twine_module_t *module,
                                  const twine_extern_t *imports,
                                  size_t nimports, twine_instance_t **out,
                                  twine_error_t *err, twine_trap_t *trap);

/* Look up an export by name (name_len bytes). */
twine_status_t twine_instance_export(const twine_instance_t *inst,
                                     const char *name, size_t name_len,
                                     twine_extern_t *out);
size_t twine_instance_export_count(const twine_instance_t *inst);
/* Export i: its name and value. */
twine_status_t twine_instance_export_at(const twine_instance_t *inst, size_t i,
                                        const char **name, size_t *name_len,
                                        twine_extern_t *out);
twine_module_t *twine_instance_module(const twine_instance_t *inst);

/* ------------------------------------------------------------------------ */
/* Linker: resolve imports by (module, name)                                 */

typedef struct twine_linker twine_linker_t;

twine_status_t twine_linker_new(twine_store_t *store, twine_linker_t **out);
void twine_linker_free(twine_linker_t *linker);
/* Define (module, name) -> ext. A later definition replaces an earlier one. */
twine_status_t twine_linker_define(twine_linker_t *linker, const char *module,
                                   size_t module_len, const char *name,
                                   size_t name_len, twine_extern_t ext);
/* Define every export of `inst` under module name `module`. */
twine_status_t twine_linker_define_instance(twine_linker_t *linker,
                                            const char *module,
                                            size_t module_len,
                                            const twine_instance_t *inst);
/* Resolve the module's imports through the linker and instantiate. */
twine_status_t twine_linker_instantiate(twine_linker_t *linker,
                                        twine_module_t *module,
                                        twine_instance_t **out,
                                        twine_error_t *err, twine_trap_t *trap);

/* ------------------------------------------------------------------------ */
/* Functions                                                                 */

/* Signature of a function; arrays owned by the function's store. */
void twine_func_type(const twine_func_t *func, twine_functype_t *out);

/* Call `func` with nargs arguments (kinds must match exactly) and receive
 * nresults results. Returns TWINE_ERR_ARG on an arity/kind mismatch,
 * TWINE_ERR_TRAP (details in *trap) if execution trapped, TWINE_ERR_EXIT if
 * the guest exited. The store must not be in use by another thread. */
twine_status_t twine_func_call(twine_func_t *func, const twine_val_t *args,
                               size_t nargs, twine_val_t *results,
                               size_t nresults, twine_trap_t *trap);

/* ------------------------------------------------------------------------ */
/* Memories                                                                  */

/* Base address of the memory's bytes. Invalidated by any grow. */
uint8_t *twine_memory_data(twine_memory_t *mem);
/* Current size in bytes. */
uint64_t twine_memory_size(const twine_memory_t *mem);
void twine_memory_limits(const twine_memory_t *mem, twine_limits_t *out);
/* Grow by `delta` pages; *old_pages receives the previous size. Fails with
 * TWINE_ERR_LIMIT if the maximum would be exceeded. */
twine_status_t twine_memory_grow(twine_memory_t *mem, uint64_t delta,
                                 uint64_t *old_pages);
/* Bounds-checked copies between guest memory and host buffers. Fail with
 * TWINE_ERR_ARG if [addr, addr+len) is outside the memory. */
twine_status_t twine_memory_read(const twine_memory_t *mem, uint64_t addr,
                                 void *dst, size_t len);
twine_status_t twine_memory_write(twine_memory_t *mem, uint64_t addr,
                                  const void *src, size_t len);

/* ------------------------------------------------------------------------ */
/* Tables and globals                                                        */

uint64_t twine_table_size(const twine_table_t *table);
twine_valkind_t twine_table_elem(const twine_table_t *table);
void twine_table_limits(const twine_table_t *table, twine_limits_t *out);
twine_status_t twine_table_get(const twine_table_t *table, uint64_t index,
                               twine_val_t *out);
twine_status_t twine_table_set(twine_table_t *table, uint64_t index,
                               twine_val_t val);
twine_status_t twine_table_grow(twine_table_t *table, uint64_t delta,
                                twine_val_t init, uint64_t *old_size);

void twine_global_get(const twine_global_t *global, twine_val_t *out);
/* Fails with TWINE_ERR_ARG for an immutable global or a kind mismatch. */
twine_status_t twine_global_set(twine_global_t *global, twine_val_t val);
twine_valkind_t twine_global_kind(const twine_global_t *global);
bool twine_global_mutable(const twine_global_t *global);

#ifdef __cplusplus
}
#endif

#endif /* TWINE_TWINE_H */

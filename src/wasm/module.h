/*
 * module.h - the decoded form of a WebAssembly module (the module IR).
 *
 * The decoder (decode.c) fills a tw_module from bytes; the validator
 * (validate.c) checks it; the interpreter's lowering and the runtime read
 * it. The module owns a private copy of the input bytes, and function
 * bodies, constant expressions and data payloads are kept as byte ranges
 * into that copy. Index spaces (functions, tables, memories, globals) put
 * imports first, as the spec does; the *_types arrays cover the whole
 * index space.
 *
 * Invariants after a successful decode: every index stored here that came
 * from a section header (type indices of functions, imports) is in range;
 * every byte range lies inside `bytes`. Code bodies are syntactically
 * well-formed (every instruction decodes); typing is the validator's job.
 */
#ifndef TW_WASM_MODULE_H
#define TW_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Value types, by their binary encoding. */
enum {
  TW_I32 = 0x7F,
  TW_I64 = 0x7E,
  TW_F32 = 0x7D,
  TW_F64 = 0x7C,
  TW_V128 = 0x7B,
  TW_FUNCREF = 0x70,
  TW_EXTERNREF = 0x6F
};
typedef uint8_t tw_valtype;

static inline bool tw_valtype_is_ref(tw_valtype t) {
  return t == TW_FUNCREF || t == TW_EXTERNREF;
}
const char *tw_valtype_name(tw_valtype t);
bool tw_valtype_known(uint8_t byte); /* any of the 7 above */

/* Implementation limits (checked by the decoder; exceeding them is
 * TWINE_ERR_LIMIT, or malformed where the spec says so). */
#define TW_MAX_LOCALS 50000u        /* params + declared locals per function */
#define TW_MAX_FUNCS 1000000u
#define TW_MAX_TYPES 1000000u
#define TW_MAX_PARAMS 1000u
#define TW_MAX_RESULTS 1000u
#define TW_MAX_TABLE_SIZE 10000000u /* elements */
#define TW_MAX_PAGES 65536u         /* 4 GiB of 64 KiB pages */
#define TW_PAGE_SIZE 65536u

typedef struct tw_functype {
  uint32_t nparams;
  uint32_t nresults;
  tw_valtype *types; /* params followed by results */
} tw_functype;

static inline const tw_valtype *tw_ft_params(const tw_functype *ft) {
  return ft->types;
}
static inline const tw_valtype *tw_ft_results(const tw_functype *ft) {
  return ft->types + ft->nparams;
}
bool tw_functype_eq(const tw_functype *a, const tw_functype *b);

typedef struct tw_limits {
  uint64_t min;
  uint64_t max;
  bool has_max;
} tw_limits;

typedef struct tw_tabletype {
  tw_valtype elem; /* TW_FUNCREF or TW_EXTERNREF */
  tw_limits limits;
} tw_tabletype;

typedef struct tw_memtype {
  tw_limits limits; /* in pages */
} tw_memtype;

typedef struct tw_globaltype {
  tw_valtype type;
  bool mut;
} tw_globaltype;

enum { TW_EXT_FUNC = 0, TW_EXT_TABLE = 1, TW_EXT_MEMORY = 2, TW_EXT_GLOBAL = 3 };

/* A name: a byte range into the module's bytes (UTF-8 checked). */
typedef struct tw_name {
  const char *ptr;
  uint32_t len;
} tw_name;

typedef struct tw_import {
  tw_name module;
  tw_name name;
  uint8_t kind; /* TW_EXT_* */
  union {
    uint32_t func_type; /* type index */
    tw_tabletype table;
    tw_memtype mem;
    tw_globaltype global;
  } desc;
} tw_import;

typedef struct tw_export {
  tw_name name;
  uint8_t kind; /* TW_EXT_* */
  uint32_t index;
} tw_export;

/* A constant expression: bytes [start, end) of the module, including the
 * final `end` opcode. */
typedef struct tw_constexpr {
  uint32_t start;
  uint32_t end;
} tw_constexpr;

typedef struct tw_global {
  tw_globaltype type;
  tw_constexpr init;
} tw_global;

enum { TW_SEG_ACTIVE = 0, TW_SEG_PASSIVE = 1, TW_SEG_DECLARATIVE = 2 };

typedef struct tw_elem {
  uint8_t mode;         /* TW_SEG_* */
  tw_valtype type;      /* TW_FUNCREF or TW_EXTERNREF */
  uint32_t table;       /* active only */
  tw_constexpr offset;  /* active only */
  uint32_t count;
  /* Exactly one of these is non-NULL when count > 0: function indices
   * (encodings with elemkind 0x00), or one constant expression per item. */
  uint32_t *func_indices;
  tw_constexpr *exprs;
} tw_elem;

typedef struct tw_data {
  uint8_t mode;        /* TW_SEG_ACTIVE or TW_SEG_PASSIVE */
  uint32_t memory;     /* active only */
  tw_constexpr offset; /* active only */
  uint32_t start;      /* payload bytes [start, start + len) of the module */
  uint32_t len;
} tw_data;

/* A function defined by the module. */
typedef struct tw_func {
  uint32_t type;        /* type index */
  uint32_t nlocals;     /* declared locals, excluding params */
  tw_valtype *locals;   /* nlocals types */
  uint32_t body_start;  /* first instruction byte (after local decls) */
  uint32_t body_end;    /* one past the function's final `end` opcode */
  uint32_t code_start;  /* start of the code entry (its size field) */
} tw_func;

/* One function name from the "name" custom section. */
typedef struct tw_funcname {
  uint32_t index;
  tw_name name;
} tw_funcname;

typedef struct tw_custom {
  tw_name name;
  uint32_t start; /* payload after the name */
  uint32_t len;
} tw_custom;

typedef struct tw_module {
  uint8_t *bytes; /* private copy of the input */
  size_t size;

  uint32_t ntypes;
  tw_functype *types;

  uint32_t nimports;
  tw_import *imports;

  /* Function index space: imported then defined. */
  uint32_t nfuncs;          /* total */
  uint32_t nfunc_imports;
  uint32_t *func_types;     /* nfuncs type indices */
  tw_func *funcs;           /* nfuncs - nfunc_imports defined functions */

  uint32_t ntables;
  uint32_t ntable_imports;
  tw_tabletype *tables;     /* ntables */

  uint32_t nmems;
  uint32_t nmem_imports;
  tw_memtype *mems;         /* nmems */

  uint32_t nglobals;
  uint32_t nglobal_imports;
  tw_globaltype *global_types; /* nglobals */
  tw_global *globals;       /* nglobals - nglobal_imports defined globals */

  uint32_t nexports;
  tw_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  tw_elem *elems;

  bool has_datacount;
  uint32_t datacount;
  uint32_t ndatas;
  tw_data *datas;

  /* "name" section (optional, never a reason to reject a module). */
  tw_name module_name;
  uint32_t nfuncnames;      /* sorted by index, no duplicates */
  tw_funcname *funcnames;

  uint32_t ncustoms;
  tw_custom *customs;

  /* Set by the validator: function indices that may be referenced by
   * ref.func inside function bodies (C.refs in the spec): those occurring
   * in exports, element segments and global initialisers. One bit per
   * function. */
  uint8_t *declared_refs;
} tw_module;

/* Decode `len` bytes into a new module (bytes are copied). On failure
 * returns TWINE_ERR_MALFORMED (the spec's "malformed"), TWINE_ERR_UNSUPPORTED
 * (e.g. SIMD), TWINE_ERR_LIMIT or TWINE_ERR_NOMEM with *err filled, and
 * *out is untouched. */
twine_status_t tw_wasm_decode(const uint8_t *bytes, size_t len,
                              tw_module **out, tw_err *err);

/* Validate a decoded module (WebAssembly 2.0 typing rules). Returns
 * TWINE_ERR_INVALID with *err filled on failure. Fills declared_refs. */
twine_status_t tw_wasm_validate(tw_module *m, tw_err *err);

void tw_module_free(tw_module *m);

/* Name of a function from the name section, or NULL. */
const tw_name *tw_module_func_name(const tw_module *m, uint32_t func_index);

/* The type of function `func_index` (whole index space). */
static inline const tw_functype *tw_module_func_type(const tw_module *m,
                                                     uint32_t func_index) {
  return &m->types[m->func_types[func_index]];
}

#endif

/*
 * decode_int.h - private interface between the decoder's files
 * (decode.c: module structure and sections; decode_code.c: instruction
 * syntax, constant expressions and function bodies; names.c: the "name"
 * custom section). Not for use outside the decoder.
 */
#ifndef TW_WASM_DECODE_INT_H
#define TW_WASM_DECODE_INT_H

#include "util/err.h"
#include "util/reader.h"
#include "util/vec.h"
#include "wasm/module.h"

/* Decoder state for one tw_wasm_decode call. */
typedef struct tw_dec {
  tw_module *m;
  tw_err *err;
  const uint8_t *b; /* m->bytes */
  size_t len;

  bool has_func_section;
  uint32_t nfunc_decls;         /* functions declared by the function section */
  bool has_code_section;
  bool has_data_section;
  size_t data_use_at;           /* 1 + offset of the first memory.init or
                                   data.drop in a body, 0 if none */
  uint32_t data_use_func;       /* the function it is in */

  TW_VEC(uint8_t) ctl;          /* block nesting of the syntax pass */
  TW_VEC(uint8_t) locals;       /* declared locals of all bodies, concatenated */
  size_t *locals_off;           /* per defined function: offset into locals */
  size_t locals_budget;         /* module-wide cap on declared locals */
} tw_dec;

/* Message for a reader failure inside a section or a function body: there
 * an end of input is the end of the section or function. */
static inline const char *tw_wasm_dec_rd_msg(tw_rd_status s) {
  return s == TW_RD_EOF ? "unexpected end of section or function"
                        : tw_rd_status_str(s);
}

/* Evaluate a tw_rd_* call on reader r; on failure return a malformed
 * error from the enclosing function (offset: where the value started, or
 * where the input ran out). */
#define DEC_RD(d, r, call)                                                \
  do {                                                                    \
    size_t at_ = (r)->pos;                                                \
    tw_rd_status s_ = (call);                                             \
    if (s_ != TW_RD_OK)                                                   \
      return TW_FAIL((d)->err, TWINE_ERR_MALFORMED,                       \
                     s_ == TW_RD_EOF ? (r)->pos : at_, "%s",              \
                     tw_wasm_dec_rd_msg(s_));                             \
  } while (0)

#define DEC_TRY(call)               \
  do {                              \
    twine_status_t st_ = (call);    \
    if (st_ != TWINE_OK) return st_; \
  } while (0)

/* A u32 LEB128. Running out of the section where the same bytes read on
 * would be an over-long or too large integer reports that instead (the
 * integer is malformed whatever the section size). */
twine_status_t tw_wasm_dec_u32(tw_dec *d, tw_reader *r, uint32_t *v);

/* A u32 vector count: "length out of bounds" if larger than the bytes
 * from the count to the end of r (every element of every vector takes at
 * least one byte, so allocations stay within the input's size). */
twine_status_t tw_wasm_dec_len(tw_dec *d, tw_reader *r, uint32_t *n,
                               const char *what);

/* A u32 byte length followed by that many bytes, which are skipped;
 * *start gets their position. */
twine_status_t tw_wasm_dec_bytes(tw_dec *d, tw_reader *r, uint32_t *start,
                                 uint32_t *n, const char *what);

/* A value type (v128 -> TWINE_ERR_UNSUPPORTED). */
twine_status_t tw_wasm_dec_valtype(tw_dec *d, tw_reader *r, tw_valtype *t);

/* A constant expression, up to and including its final `end`. */
twine_status_t tw_wasm_dec_expr(tw_dec *d, tw_reader *r, tw_constexpr *out);

/* The code section's content (r covers exactly the section). */
twine_status_t tw_wasm_dec_code_section(tw_dec *d, tw_reader *r);

/* Give every defined function its locals (after the code section). */
twine_status_t tw_wasm_dec_attach_locals(tw_dec *d);

/* Parse the payload [start, start + len) of a "name" custom section into
 * m->module_name / m->funcnames. Never fails the module: a malformed part
 * is ignored (with the rest of the section). Returns TWINE_ERR_NOMEM only. */
twine_status_t tw_wasm_dec_name_section(tw_module *m, uint32_t start,
                                        uint32_t len);

#endif

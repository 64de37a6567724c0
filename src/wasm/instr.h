/*
 * instr.h - the instruction reader shared by the decoder, the validator and
 * the interpreter's lowering.
 *
 * tw_wasm_read_instr decodes one instruction and its immediates from a
 * function body or constant expression. It only checks the binary syntax
 * (known opcode, well-formed LEB128s, reserved bytes); index ranges and
 * typing are the validator's job.
 */
#ifndef TW_WASM_INSTR_H
#define TW_WASM_INSTR_H

#include "util/reader.h"
#include "wasm/module.h"

typedef enum tw_opcode {
#define X(ident, text, prefix, code, imm, a, b, r, align) TW_OP_##ident,
#include "wasm/opcodes.def"
#undef X
  TW_OP_COUNT
} tw_opcode;

typedef enum tw_immkind {
  IMM_NONE = 0,
  IMM_BLOCKTYPE,     /* imm.block */
  IMM_LABEL,         /* imm.index = label depth */
  IMM_BR_TABLE,      /* imm.br_table */
  IMM_FUNC,          /* imm.index = function index */
  IMM_CALL_INDIRECT, /* imm.call_indirect */
  IMM_SELECT_T,      /* imm.select */
  IMM_LOCAL,         /* imm.index */
  IMM_GLOBAL,        /* imm.index */
  IMM_TABLE,         /* imm.index */
  IMM_MEMARG,        /* imm.memarg */
  IMM_MEMIDX,        /* imm.index = memory index (0 in 2.0) */
  IMM_I32,           /* imm.i32 */
  IMM_I64,           /* imm.i64 */
  IMM_F32,           /* imm.f32 (bits) */
  IMM_F64,           /* imm.f64 (bits) */
  IMM_REFTYPE,       /* imm.reftype */
  IMM_MEMORY_INIT,   /* imm.pair: a = data index, b = memory index */
  IMM_DATA,          /* imm.index = data index */
  IMM_MEMORY_COPY,   /* imm.pair: a = dst memory, b = src memory */
  IMM_TABLE_INIT,    /* imm.pair: a = elem index, b = table index */
  IMM_ELEM,          /* imm.index = elem index */
  IMM_TABLE_COPY     /* imm.pair: a = dst table, b = src table */
} tw_immkind;

/* Operand/result type codes of opcodes.def for "simple" instructions. */
enum { TW_T_NO = 0, TW_T_SP = 0xFF };

typedef struct tw_opinfo {
  const char *name;
  uint8_t prefix;
  uint8_t imm;   /* tw_immkind */
  uint8_t a, b;  /* operand types (TW_I32...), TW_T_NO, or TW_T_SP */
  uint8_t r;     /* result type, TW_T_NO, or TW_T_SP */
  uint8_t align; /* natural alignment, log2 bytes */
  uint32_t code;
} tw_opinfo;

extern const tw_opinfo tw_opinfo_table[TW_OP_COUNT];

static inline bool tw_op_is_simple(tw_opcode op) {
  return tw_opinfo_table[op].r != TW_T_SP;
}

enum { TW_BT_EMPTY = 0, TW_BT_VALTYPE = 1, TW_BT_TYPEIDX = 2 };

typedef struct tw_blocktype {
  uint8_t kind;     /* TW_BT_* */
  tw_valtype type;  /* TW_BT_VALTYPE */
  uint32_t index;   /* TW_BT_TYPEIDX */
} tw_blocktype;

typedef struct tw_instr {
  tw_opcode op;
  uint32_t offset; /* position of the opcode byte in the module */
  union {
    tw_blocktype block;
    uint32_t index;
    struct {
      uint32_t count;       /* number of targets, excluding the default */
      uint32_t targets_pos; /* where the target LEBs start (re-read them) */
      uint32_t default_label;
    } br_table;
    struct {
      uint32_t type;
      uint32_t table;
    } call_indirect;
    struct {
      uint32_t align; /* log2, as encoded */
      uint32_t offset;
      uint32_t mem;
    } memarg;
    struct {
      uint32_t count;   /* number of types in the vector (valid: 1) */
      tw_valtype type;  /* the first type, if count >= 1 */
    } select;
    int32_t i32;
    int64_t i64;
    uint32_t f32;
    uint64_t f64;
    tw_valtype reftype;
    struct {
      uint32_t a;
      uint32_t b;
    } pair;
  } imm;
} tw_instr;

/* Read one instruction at r->pos. Errors: TWINE_ERR_MALFORMED ("illegal
 * opcode", LEB problems, "unexpected end", "zero byte expected",
 * "malformed reference type"), TWINE_ERR_UNSUPPORTED for SIMD. */
twine_status_t tw_wasm_read_instr(tw_reader *r, tw_instr *out, tw_err *err);

/* Read br_table target i (0-based; i == count gives the default) given the
 * instruction already read. The instruction must have been read
 * successfully before, so this cannot fail. */
uint32_t tw_wasm_br_table_target(const uint8_t *bytes, const tw_instr *in,
                                 uint32_t i);

/* Iterate br_table targets sequentially: start a reader at targets_pos and
 * call tw_rd_u32 count + 1 times (count labels, then the default). */

#endif

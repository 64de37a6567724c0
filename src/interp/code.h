/*
 * code.h - the interpreter's internal code format.
 *
 * Each validated function is lowered once into a sequence of 64-bit cells.
 * An instruction is one handler cell (the address of its handler label when
 * computed goto is available, else its op number) followed by operand
 * cells. Operands are mostly 32-bit slot indices relative to the frame
 * pointer, packed two per cell (A0/A1 in cell 1, A2/A3 in cell 2).
 *
 * Frame layout (slots of 64 bits):
 *   fp[0 .. nparams)                      parameters
 *   fp[nparams .. nparams + nlocals)      declared locals (zeroed on entry)
 *   fp[tbase .. tbase + max_height)       operand stack, one fixed slot per
 *                                         stack height (tbase = nparams +
 *                                         nlocals)
 * A call passes arguments in the caller's consecutive operand slots; the
 * callee's frame starts at the first argument, so nothing is copied. The
 * callee leaves its results in its fp[0 .. nresults), i.e. exactly where the
 * caller expects them.
 *
 * Branch offsets are signed cell counts relative to the first cell of the
 * branching instruction. Backward jumps (loops) check the store's interrupt
 * flag; so does every function entry.
 */
#ifndef TW_INTERP_CODE_H
#define TW_INTERP_CODE_H

#include <stdint.h>

#include "rt/rt.h"
#include "wasm/instr.h"

typedef union tw_cell {
  const void *h;   /* handler address (computed goto) */
  uint64_t op;     /* op number (switch dispatch) */
  uint64_t u64;
  int64_t i64;
  const void *ptr;
  struct {
    uint32_t a;
    uint32_t b;
  } p;
} tw_cell;

/* Internal ops: every wasm opcode keeps its number (TW_OP_*), so simple
 * wasm instructions map 1:1; lowering-only ops follow. */
#define TW_INTERP_EXTRA_OPS(X)                                              \
  X(copy) X(const32) X(const64) X(halt)                                     \
  X(br_) X(br_nz) X(br_z) X(br_table_) X(ret) X(ret1)                       \
  X(call_local) X(call_import) X(call_ind)                                  \
  X(brc_eq) X(brc_ne) X(brc_lt_s) X(brc_lt_u) X(brc_gt_s) X(brc_gt_u)       \
  X(brc_le_s) X(brc_le_u) X(brc_ge_s) X(brc_ge_u)                           \
  X(brci_eq) X(brci_ne) X(brci_lt_s) X(brci_lt_u) X(brci_gt_s)              \
  X(brci_gt_u) X(brci_le_s) X(brci_le_u) X(brci_ge_s) X(brci_ge_u)          \
  X(i32_add_i) X(i32_mul_i) X(i32_and_i) X(i32_or_i) X(i32_xor_i)           \
  X(i32_shl_i) X(i32_shr_s_i) X(i32_shr_u_i) X(i32_rotl_i) X(i32_rotr_i)   \
  X(i32_eq_i) X(i32_ne_i) X(i32_lt_s_i) X(i32_lt_u_i) X(i32_gt_s_i)         \
  X(i32_gt_u_i) X(i32_le_s_i) X(i32_le_u_i) X(i32_ge_s_i) X(i32_ge_u_i)     \
  X(i32_sub_ri) X(i32_div_s_i) X(i32_div_u_i) X(i32_rem_s_i) X(i32_rem_u_i) \
  X(i64_add_i) X(i64_mul_i) X(i64_and_i) X(i64_or_i) X(i64_xor_i)           \
  X(i64_shl_i) X(i64_shr_s_i) X(i64_shr_u_i) X(i64_rotl_i) X(i64_rotr_i)   \
  X(i64_eq_i) X(i64_ne_i) X(i64_lt_s_i) X(i64_lt_u_i) X(i64_gt_s_i)         \
  X(i64_gt_u_i) X(i64_le_s_i) X(i64_le_u_i) X(i64_ge_s_i) X(i64_ge_u_i)     \
  X(i64_sub_ri)                                                              \
  X(f32_add_i) X(f32_sub_i) X(f32_mul_i) X(f32_div_i)                       \
  X(f32_add_ri) X(f32_sub_ri) X(f32_mul_ri) X(f32_div_ri)                   \
  X(f64_add_i) X(f64_sub_i) X(f64_mul_i) X(f64_div_i)                       \
  X(f64_add_ri) X(f64_sub_ri) X(f64_mul_ri) X(f64_div_ri)

/* Loads and stores, in opcodes.def order (i32.load .. i64.store32). Each
 * has two fused address forms besides the plain one:
 *   <op>_ai  address = (u32)(slot + imm)         (a deferred `x + c`)
 *   <op>_rr  address = (u32)(slot + slot + imm)  (a deferred `x + y + c`)
 * plus the memarg offset, added without wrapping as usual. */
#define TW_INTERP_MEM_OPS(X)                                                 \
  X(i32_load) X(i64_load) X(f32_load) X(f64_load) X(i32_load8_s)            \
  X(i32_load8_u) X(i32_load16_s) X(i32_load16_u) X(i64_load8_s)             \
  X(i64_load8_u) X(i64_load16_s) X(i64_load16_u) X(i64_load32_s)            \
  X(i64_load32_u) X(i32_store) X(i64_store) X(f32_store) X(f64_store)       \
  X(i32_store8) X(i32_store16) X(i64_store8) X(i64_store16) X(i64_store32)

/* Loop back-edges: `x = y + imm` fused with the compare-and-branch that
 * follows it: [dst|src][imm|a][b|off] (b an immediate in the _i forms). */
#define TW_INTERP_ADDBR_OPS(X)                                               \
  X(addbr_eq) X(addbr_ne) X(addbr_lt_s) X(addbr_lt_u) X(addbr_gt_s)          \
  X(addbr_gt_u) X(addbr_le_s) X(addbr_le_u) X(addbr_ge_s) X(addbr_ge_u)      \
  X(addbri_eq) X(addbri_ne) X(addbri_lt_s) X(addbri_lt_u) X(addbri_gt_s)     \
  X(addbri_gt_u) X(addbri_le_s) X(addbri_le_u) X(addbri_ge_s) X(addbri_ge_u)

/* Binary ops whose right operand is loaded by the instruction itself:
 *   <op>_ld    [dst|a][base|imm][off]   b = load((u32)(base + imm) + off)
 *   <op>_ldrr  [dst|a][x|y][off|imm]    b = load((u32)(x + y + imm) + off) */
#define TW_INTERP_LDBIN_OPS(X)                                               \
  X(f64_add) X(f64_sub) X(f64_mul) X(f32_add) X(f32_sub) X(f32_mul)         \
  X(i32_add) X(i32_sub) X(i32_mul) X(i32_and) X(i32_or) X(i32_xor)          \
  X(i64_add) X(i64_sub) X(i64_mul) X(i64_and) X(i64_or) X(i64_xor)

/* The f64 accumulator: the f64 results of arithmetic and loads also stay
 * in a register (see tw_writes_facc in lower.c); these _A forms take their
 * left operand, or the value to store, from that register instead of
 * reading back the slot the previous instruction just wrote. Same operand
 * layout as the op they derive from. */
#define TW_INTERP_FACC_OPS(X)                                                \
  X(f64_add) X(f64_sub) X(f64_mul) X(f64_div) X(f64_add_i) X(f64_sub_i)     \
  X(f64_mul_i) X(f64_div_i) X(f64_add_ld) X(f64_sub_ld) X(f64_mul_ld)       \
  X(f64_add_ldrr) X(f64_sub_ldrr) X(f64_mul_ldrr) X(f64_store)              \
  X(f64_store_ai) X(f64_store_rr)

/* Loads whose address local was set by the instruction just before:
 *   <load>_aiw  [dst|src][off|imm][wb]     wb = (u32)(src + imm); load wb + off
 *   <load>_rrw  [dst|a][b|off][imm|wb]     wb = (u32)(a + b + imm); ...
 * (wb is written before dst, so dst == wb ends with the loaded value). */
#define TW_INTERP_WBLOAD_OPS(X) X(i32_load) X(i64_load) X(f64_load)

/* select fused with the i32 comparison computing its condition:
 * [dst|a][b|x][y]: dst = cmp(x, y) ? a : b (y an immediate in seli_). */
#define TW_INTERP_SEL_OPS(X)                                                 \
  X(sel_eq) X(sel_ne) X(sel_lt_s) X(sel_lt_u) X(sel_gt_s) X(sel_gt_u)        \
  X(sel_le_s) X(sel_le_u) X(sel_ge_s) X(sel_ge_u)                            \
  X(seli_eq) X(seli_ne) X(seli_lt_s) X(seli_lt_u) X(seli_gt_s) X(seli_gt_u)  \
  X(seli_le_s) X(seli_le_u) X(seli_ge_s) X(seli_ge_u)

typedef enum tw_iop {
  TW_IOP_FIRST_EXTRA = TW_OP_COUNT - 1,
#define TW_IOP_ENUM(name) TW_IOP_##name,
  TW_INTERP_EXTRA_OPS(TW_IOP_ENUM)
#undef TW_IOP_ENUM
#define TW_IOP_AI_ENUM(ident) TW_IOP_##ident##_ai,
  TW_INTERP_MEM_OPS(TW_IOP_AI_ENUM)
#undef TW_IOP_AI_ENUM
#define TW_IOP_RR_ENUM(ident) TW_IOP_##ident##_rr,
  TW_INTERP_MEM_OPS(TW_IOP_RR_ENUM)
#undef TW_IOP_RR_ENUM
#define TW_IOP_NAME_ENUM2(name) TW_IOP_##name,
  TW_INTERP_ADDBR_OPS(TW_IOP_NAME_ENUM2)
#define TW_IOP_LD_ENUM(name) TW_IOP_##name##_ld, TW_IOP_##name##_ldrr,
  TW_INTERP_LDBIN_OPS(TW_IOP_LD_ENUM)
#undef TW_IOP_LD_ENUM
  TW_INTERP_SEL_OPS(TW_IOP_NAME_ENUM2)
#define TW_IOP_W_ENUM(name) TW_IOP_##name##_aiw, TW_IOP_##name##_rrw,
  TW_INTERP_WBLOAD_OPS(TW_IOP_W_ENUM)
#undef TW_IOP_W_ENUM
#define TW_IOP_A_ENUM(name) TW_IOP_##name##_A,
  TW_INTERP_FACC_OPS(TW_IOP_A_ENUM)
#undef TW_IOP_A_ENUM
#undef TW_IOP_NAME_ENUM2
  TW_IOP_COUNT
} tw_iop;

#define TW_MEM_OP_COUNT (TW_OP_i64_store32 - TW_OP_i32_load + 1)
_Static_assert(TW_IOP_i64_store32_ai - TW_IOP_i32_load_ai == TW_MEM_OP_COUNT - 1 &&
                   TW_IOP_i64_store32_rr - TW_IOP_i32_load_rr == TW_MEM_OP_COUNT - 1,
               "TW_INTERP_MEM_OPS must list opcodes.def's loads and stores in order");

/* The fused address forms of a load or store wasm op. */
static inline unsigned tw_iop_mem_ai(unsigned op) {
  return TW_IOP_i32_load_ai + (op - TW_OP_i32_load);
}
static inline unsigned tw_iop_mem_rr(unsigned op) {
  return TW_IOP_i32_load_rr + (op - TW_OP_i32_load);
}

/* One lowered function. */
struct tw_icode {
  const tw_cell *code;
  uint32_t frame_slots; /* params + locals + operand slots */
  uint32_t nparams;
  uint32_t nlocals;     /* declared locals (zeroed on entry) */
  uint32_t nresults;
  uint32_t func_index;  /* in the module's function index space */
  const twine_module_t *mod;
};

/* Source map entry: the internal instruction starting at cell `cell` came
 * from the wasm instruction at module offset `off` (fused instructions map
 * to the last wasm instruction they absorbed). Sorted by cell. */
typedef struct tw_srcpos {
  uint32_t cell;
  uint32_t off;
} tw_srcpos;

struct tw_interp_module {
  uint32_t nfuncs;          /* defined functions */
  struct tw_icode *funcs;
  tw_cell *code;            /* all functions' code, contiguous */
  size_t ncells;
  tw_srcpos *src;           /* source map, for trap locations */
  size_t nsrc;
};

/* Module offset of the wasm instruction that produced the internal
 * instruction containing `ip`, or UINT32_MAX. */
uint32_t tw_interp_src_offset(const struct tw_interp_module *im,
                              const tw_cell *ip);

/* Handler table for a bounds mode: entry i is the cell value for op i. */
const tw_cell *tw_interp_handlers(twine_bounds_t bounds);

/* A frame record of the call stack (separate from the value stack). */
typedef struct tw_frame {
  const tw_cell *ret_ip;      /* where the caller resumes */
  tw_slot *ret_fp;            /* the caller's frame */
  twine_instance_t *inst;     /* instance executing in this frame */
  const struct tw_icode *code;/* function of this frame (NULL: host entry) */
} tw_frame;

struct tw_exec {
  twine_store_t *store;
  tw_slot *stack;             /* value stack */
  tw_slot *stack_end;
  tw_slot *stack_top;         /* first free slot for a new entry call */
  tw_frame *frames;           /* frames[0] is a sentinel */
  tw_frame *frames_end;
  tw_frame *fr;               /* current top frame */
  atomic_int *interrupt;
  sigjmp_buf *jmp;            /* innermost entry, for signal traps */
  /* trap details set by the loop or the signal handler */
  twine_trap_kind_t trap_kind;
  const tw_cell *trap_ip;     /* instruction that trapped (NULL: unknown) */
  struct twine_caller host;   /* context of the last host call */
  tw_cell entry[4];           /* trampoline: call_local f; halt */
  uint32_t nesting;           /* entry calls currently active */
};

/* The dispatch loops (one per bounds mode). Run from the frame already
 * pushed by the caller: fp/ip/inst of the top frame. Returns TWINE_OK when
 * the entry frame returns, TWINE_ERR_TRAP / TWINE_ERR_EXIT otherwise with
 * ex->trap_kind set. */
twine_status_t tw_interp_run_guard(struct tw_exec *ex, const tw_cell *ip,
                                   tw_slot *fp);
twine_status_t tw_interp_run_explicit(struct tw_exec *ex, const tw_cell *ip,
                                      tw_slot *fp);

#ifdef TWINE_INTERP_PROFILE
/* Development aid (switch dispatch only): count executed ops and print a
 * histogram to stderr at exit. Build with -DTWINE_INTERP_SWITCH
 * -DTWINE_INTERP_PROFILE. */
void tw_interp_profile_count(unsigned op);
#endif

/* Handler tables, filled by calling the loops with ex == NULL. */
const tw_cell *tw_interp_table_guard(void);
const tw_cell *tw_interp_table_explicit(void);

#endif

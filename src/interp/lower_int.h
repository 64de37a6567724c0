/*
 * lower_int.h - private to the lowering (lower*.c): the lowering state, the
 * virtual operand stack's entries, control frames, and the small emission
 * helpers every part uses. See lower.c for the design and invariants.
 */
#ifndef TW_INTERP_LOWER_INT_H
#define TW_INTERP_LOWER_INT_H

#include <stdlib.h>
#include <string.h>

#include "interp/code.h"
#include "interp/interp.h"
#include "util/vec.h"

/* Where a virtual stack entry's value is:
 *   TEMP   in the canonical slot of its height
 *   LOCAL  in local `a`
 *   CONST  the constant `c`
 *   ADDI   the i32 sum slot `a` + `c` (wrapping), not computed yet; `a` is
 *          a local or the entry's own canonical slot
 *   ADD2   the i32 sum of locals `a` and `b` plus `c`, not computed yet
 * ADDI/ADD2 let loads and stores compute their address themselves. */
enum { VK_TEMP = 0, VK_LOCAL, VK_CONST, VK_ADDI, VK_ADD2 };

typedef struct vent {
  uint8_t kind;
  uint32_t local; /* a */
  uint32_t b;
  uint64_t cval;  /* c */
} vent;

enum { CK_FUNC, CK_BLOCK, CK_LOOP, CK_IF };

typedef struct ctl {
  uint8_t kind;
  bool unreachable;    /* the rest of this frame's current arm is dead */
  bool has_else;
  bool branched_to;    /* some branch targets the end label */
  uint32_t base;       /* stack height below the block's parameters */
  uint32_t nparams, nresults;
  uint32_t label;      /* loop: position of the loop head */
  int32_t fix_head;    /* forward branches to the end label (list) */
  int32_t else_fix;    /* if: the branch to the else arm, or -1 */
} ctl;

typedef struct fixup {
  uint32_t cell;  /* cell holding the offset */
  uint32_t instr; /* first cell of the branching instruction */
  uint8_t half;   /* 0 = .p.a, 1 = .p.b */
  int32_t next;
} fixup;

#define NONE UINT32_MAX

typedef struct lower {
  const tw_module *m;
  const twine_module_t *mod;
  struct tw_interp_module *im;
  const tw_cell *H; /* handler table */
  tw_err *err;
  TW_VEC(tw_cell) code;
  TW_VEC(vent) vs;
  TW_VEC(ctl) cs;
  TW_VEC(fixup) fx;
  uint32_t tbase;     /* first operand slot */
  uint32_t max_h;     /* highest stack height seen */
  uint32_t nresults;  /* of the function */
  uint32_t last;      /* position of the last result-producing instruction */
  uint32_t last_op;
  /* the last two instructions emitted since the last label (NONE if a
   * label intervened): candidates for fusing with what follows */
  uint32_t cur_pos, cur_op, prev_pos, prev_op;
  uint32_t wasm_off;  /* module offset of the wasm instruction being lowered */
  TW_VEC(tw_srcpos) src; /* source map of the whole module */
  bool oom;
} lower;

/* ---- emission and the virtual stack ---------------------------------------- */

static inline uint32_t pos(lower *L) { return (uint32_t)L->code.len; }

static inline void emit_cell(lower *L, tw_cell c) {
  if (!TW_VEC_PUSH(&L->code, c)) L->oom = true;
}

static inline void emit_pair(lower *L, uint32_t a, uint32_t b) {
  tw_cell c;
  c.p.a = a;
  c.p.b = b;
  emit_cell(L, c);
}

static inline void emit_u64(lower *L, uint64_t v) {
  tw_cell c;
  c.u64 = v;
  emit_cell(L, c);
}

static inline uint32_t emit_op(lower *L, unsigned op) {
  uint32_t p = pos(L);
  if (L->src.len == 0 || L->src.data[L->src.len - 1].off != L->wasm_off) {
    tw_srcpos sp = {p, L->wasm_off};
    if (!TW_VEC_PUSH(&L->src, sp)) L->oom = true;
  }
  emit_cell(L, L->H[op]);
  L->last = NONE;
  L->prev_pos = L->cur_pos;
  L->prev_op = L->cur_op;
  L->cur_pos = p;
  L->cur_op = op;
  return p;
}

/* The current position becomes a branch target: nothing before it may be
 * fused with what follows. */
static inline void mark_label(lower *L) {
  L->last = NONE;
  L->cur_pos = L->prev_pos = NONE;
}

/* Remove the last instruction (it is being fused into the next one). */
static inline void unemit_last(lower *L) {
  L->code.len = L->cur_pos;
  while (L->src.len > 0 && L->src.data[L->src.len - 1].cell >= L->cur_pos)
    L->src.len--;
  L->cur_pos = L->prev_pos;
  L->cur_op = L->prev_op;
  L->prev_pos = NONE;
  L->last = NONE;
}

/* An instruction whose result (at [1].p.a) is the new top of stack. */
static inline void mark_producer(lower *L, uint32_t p, unsigned op) {
  L->last = p;
  L->last_op = op;
}

static inline uint32_t height(lower *L) { return (uint32_t)L->vs.len; }

static inline uint32_t tslot(lower *L, uint32_t h) { return L->tbase + h; }

static inline void push(lower *L, uint8_t kind, uint32_t local, uint64_t cval) {
  vent e = {kind, local, 0, cval};
  if (!TW_VEC_PUSH(&L->vs, e)) {
    L->oom = true;
    return;
  }
  if (L->vs.len > L->max_h) L->max_h = (uint32_t)L->vs.len;
}

static inline void push_temp(lower *L) { push(L, VK_TEMP, 0, 0); }

static inline void pop_n(lower *L, uint32_t n) {
  L->vs.len = n > L->vs.len ? 0 : L->vs.len - n;
}

static inline bool is_const(lower *L, uint32_t h) {
  return L->vs.data[h].kind == VK_CONST;
}

static inline ctl *frame_at(lower *L, uint32_t depth) {
  return &L->cs.data[L->cs.len - 1 - depth];
}

/* ---- shared between the parts (lower_emit.c, lower_ops.c) ------------------ */

/* f64 accumulator: the _A form of op, or -1; is slot's value in it? */
int tw_interp_facc_form(unsigned op);
bool tw_interp_acc_ready(lower *L, uint32_t slot);
/* Write constant v into slot dst. */
void tw_interp_emit_const(lower *L, uint32_t dst, uint64_t v);
/* Write entry e (at height src_h) into slot dst; no stack change. */
void tw_interp_emit_move(lower *L, const vent *e, uint32_t src_h, uint32_t dst);
/* Does entry e read local `local`? Does it depend on locals at all? */
bool tw_interp_reads_local(const vent *e, uint32_t local);
bool tw_interp_is_deferred_read(const vent *e);
/* Put entry h (or the top n entries) into canonical slots (TEMP). */
void tw_interp_materialize(lower *L, uint32_t h);
void tw_interp_materialize_top(lower *L, uint32_t n);
/* The slot holding entry h, materialising it unless it is a local. */
uint32_t tw_interp_slot_of(lower *L, uint32_t h);
/* Simple (table-typed) instructions, and local.set / local.tee. */
void tw_interp_lower_simple(lower *L, const tw_instr *in);
void tw_interp_lower_local_set(lower *L, uint32_t local, bool tee);

#endif

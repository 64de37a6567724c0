/*
 * lower.c - lowering of validated function bodies into internal code.
 *
 * One pass per function over the (already validated) bytecode with a
 * virtual operand stack. Each stack entry says where its value is:
 *   TEMP   in the canonical operand slot of its height (tbase + height),
 *   LOCAL  still in a local variable (local.get emits no code),
 *   CONST  a constant not yet written anywhere (i32.const emits no code).
 * Instructions read their operands straight from wherever they are and
 * write their result to the canonical slot of the result's height, so
 * `local.get a; local.get b; i32.add; local.set c` becomes one `add c,a,b`
 * (the result slot of the last instruction is retargeted by local.set).
 * Constants become immediate operands where an `_i` variant exists.
 *
 * Invariants:
 *  - A TEMP entry's value is in its canonical slot.
 *  - At every label (block/if end, else, loop start) all entries that the
 *    label's paths share are TEMP or CONST: block entry materialises the
 *    block parameters and every LOCAL entry; block results are
 *    materialised before falling through or branching.
 *  - Code emitted on a conditional path (br_if moves, br_table stubs)
 *    never changes the virtual stack.
 *  - Before a local is written, LOCAL entries naming it are materialised.
 * Unreachable code (after br, br_table, return, unreachable) is skipped.
 */
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
  bool oom;
} lower;

/* ---- emission ------------------------------------------------------------ */

static uint32_t pos(lower *L) { return (uint32_t)L->code.len; }

static void emit_cell(lower *L, tw_cell c) {
  if (!TW_VEC_PUSH(&L->code, c)) L->oom = true;
}

static void emit_pair(lower *L, uint32_t a, uint32_t b) {
  tw_cell c;
  c.p.a = a;
  c.p.b = b;
  emit_cell(L, c);
}

static void emit_u64(lower *L, uint64_t v) {
  tw_cell c;
  c.u64 = v;
  emit_cell(L, c);
}

static uint32_t emit_op(lower *L, unsigned op) {
  uint32_t p = pos(L);
  emit_cell(L, L->H[op]);
  L->last = NONE;
  L->prev_pos = L->cur_pos;
  L->prev_op = L->cur_op;
  L->cur_pos = p;
  L->cur_op = op;
  return p;
}

/* Ops that also leave their f64 result in the accumulator register. */
static bool writes_facc(unsigned op) {
  switch (op) {
    case TW_OP_f64_add: case TW_OP_f64_sub: case TW_OP_f64_mul:
    case TW_OP_f64_div: case TW_OP_f64_load:
    case TW_IOP_f64_add_i: case TW_IOP_f64_sub_i: case TW_IOP_f64_mul_i:
    case TW_IOP_f64_div_i: case TW_IOP_f64_add_ri: case TW_IOP_f64_sub_ri:
    case TW_IOP_f64_mul_ri: case TW_IOP_f64_div_ri:
    case TW_IOP_f64_load_ai: case TW_IOP_f64_load_rr:
    case TW_IOP_f64_load_aiw: case TW_IOP_f64_load_rrw:
#define W(name) case TW_IOP_##name##_ld: case TW_IOP_##name##_ldrr:
    W(f64_add) W(f64_sub) W(f64_mul)
#undef W
#define W(name) case TW_IOP_##name##_A:
    W(f64_add) W(f64_sub) W(f64_mul) W(f64_div) W(f64_add_i) W(f64_sub_i)
    W(f64_mul_i) W(f64_div_i) W(f64_add_ld) W(f64_sub_ld) W(f64_mul_ld)
    W(f64_add_ldrr) W(f64_sub_ldrr) W(f64_mul_ldrr)
#undef W
      return true;
  }
  return false;
}

/* The form of op that takes its left operand (or stored value) from the
 * f64 accumulator, or -1. */
static int facc_form(unsigned op) {
  switch (op) {
#define A(w) case TW_OP_##w: return TW_IOP_##w##_A;
    A(f64_add) A(f64_sub) A(f64_mul) A(f64_div) A(f64_store)
#undef A
#define A(name) case TW_IOP_##name: return TW_IOP_##name##_A;
    A(f64_add_i) A(f64_sub_i) A(f64_mul_i) A(f64_div_i) A(f64_add_ld)
    A(f64_sub_ld) A(f64_mul_ld) A(f64_add_ldrr) A(f64_sub_ldrr)
    A(f64_mul_ldrr) A(f64_store_ai) A(f64_store_rr)
#undef A
  }
  return -1;
}

/* Is the value of `slot` in the f64 accumulator? True when the instruction
 * just emitted (no label since) wrote it there. */
static bool acc_ready(lower *L, uint32_t slot) {
  return L->cur_pos != NONE && writes_facc(L->cur_op) &&
         L->code.data[L->cur_pos + 1].p.a == slot;
}

/* The current position becomes a branch target: nothing before it may be
 * fused with what follows. */
static void mark_label(lower *L) {
  L->last = NONE;
  L->cur_pos = L->prev_pos = NONE;
}

/* Remove the last instruction (it is being fused into the next one). */
static void unemit_last(lower *L) {
  L->code.len = L->cur_pos;
  L->cur_pos = L->prev_pos;
  L->cur_op = L->prev_op;
  L->prev_pos = NONE;
  L->last = NONE;
}

/* An instruction whose result (at [1].p.a) is the new top of stack. */
static void mark_producer(lower *L, uint32_t p, unsigned op) {
  L->last = p;
  L->last_op = op;
}

static void set_off(lower *L, uint32_t cell, uint8_t half, uint32_t instr,
                    uint32_t target) {
  if (L->oom) return;
  uint32_t off = (uint32_t)((int32_t)target - (int32_t)instr);
  if (half) L->code.data[cell].p.b = off;
  else L->code.data[cell].p.a = off;
}

static void add_fixup(lower *L, ctl *c, uint32_t cell, uint8_t half,
                      uint32_t instr) {
  fixup f = {cell, instr, half, c->fix_head};
  if (!TW_VEC_PUSH(&L->fx, f)) {
    L->oom = true;
    return;
  }
  c->fix_head = (int32_t)(L->fx.len - 1);
  c->branched_to = true;
}

/* Point the offset at (cell, half) of the instruction at `instr` to the
 * label of frame c: known for loops, a fixup otherwise. */
static void link_branch(lower *L, ctl *c, uint32_t cell, uint8_t half,
                        uint32_t instr) {
  if (c->kind == CK_LOOP) set_off(L, cell, half, instr, c->label);
  else add_fixup(L, c, cell, half, instr);
}

static void resolve_fixups(lower *L, int32_t head, uint32_t target) {
  while (head >= 0) {
    fixup *f = &L->fx.data[head];
    set_off(L, f->cell, f->half, f->instr, target);
    head = f->next;
  }
}

/* ---- the virtual stack ----------------------------------------------------- */

static uint32_t height(lower *L) { return (uint32_t)L->vs.len; }
static uint32_t tslot(lower *L, uint32_t h) { return L->tbase + h; }

static void push(lower *L, uint8_t kind, uint32_t local, uint64_t cval) {
  vent e = {kind, local, 0, cval};
  if (!TW_VEC_PUSH(&L->vs, e)) {
    L->oom = true;
    return;
  }
  if (L->vs.len > L->max_h) L->max_h = (uint32_t)L->vs.len;
}

static void push_temp(lower *L) { push(L, VK_TEMP, 0, 0); }

static void pop_n(lower *L, uint32_t n) {
  L->vs.len = n > L->vs.len ? 0 : L->vs.len - n;
}

static void emit_const(lower *L, uint32_t dst, uint64_t v) {
  if (v <= UINT32_MAX) {
    emit_op(L, TW_IOP_const32);
    emit_pair(L, dst, (uint32_t)v);
  } else {
    emit_op(L, TW_IOP_const64);
    emit_pair(L, dst, 0);
    emit_u64(L, v);
  }
}

/* Write entry e's value into slot dst (no stack change). */
static void emit_move(lower *L, const vent *e, uint32_t src_h, uint32_t dst) {
  switch (e->kind) {
    case VK_TEMP:
      if (tslot(L, src_h) != dst) {
        emit_op(L, TW_IOP_copy);
        emit_pair(L, dst, tslot(L, src_h));
      }
      break;
    case VK_LOCAL:
      emit_op(L, TW_IOP_copy);
      emit_pair(L, dst, e->local);
      break;
    case VK_CONST:
      emit_const(L, dst, e->cval);
      break;
    case VK_ADDI:
      emit_op(L, TW_IOP_i32_add_i);
      emit_pair(L, dst, e->local);
      emit_pair(L, (uint32_t)e->cval, 0);
      break;
    case VK_ADD2:
      emit_op(L, TW_OP_i32_add);
      emit_pair(L, dst, e->local);
      emit_pair(L, e->b, 0);
      if ((uint32_t)e->cval != 0) {
        emit_op(L, TW_IOP_i32_add_i);
        emit_pair(L, dst, dst);
        emit_pair(L, (uint32_t)e->cval, 0);
      }
      break;
  }
}

/* Does entry e read local `local`? */
static bool reads_local(const vent *e, uint32_t local) {
  switch (e->kind) {
    case VK_LOCAL:
    case VK_ADDI:
      return e->local == local;
    case VK_ADD2:
      return e->local == local || e->b == local;
  }
  return false;
}

/* Entries that depend on locals or on the path taken. */
static bool is_deferred_read(const vent *e) {
  return e->kind == VK_LOCAL || e->kind == VK_ADDI || e->kind == VK_ADD2;
}

static void materialize(lower *L, uint32_t h) {
  vent *e = &L->vs.data[h];
  if (e->kind == VK_TEMP) return;
  vent copy = *e;
  emit_move(L, &copy, h, tslot(L, h));
  L->vs.data[h].kind = VK_TEMP;
}

static void materialize_top(lower *L, uint32_t n) {
  uint32_t h = height(L);
  for (uint32_t i = h - n; i < h; i++) materialize(L, i);
}

/* Slot holding entry h (computing a constant or a deferred sum). */
static uint32_t slot_of(lower *L, uint32_t h) {
  vent *e = &L->vs.data[h];
  if (e->kind == VK_LOCAL) return e->local;
  materialize(L, h);
  return tslot(L, h);
}

static bool is_const(lower *L, uint32_t h) {
  return L->vs.data[h].kind == VK_CONST;
}

/* ---- block types ------------------------------------------------------- */

static void blocktype_arity(lower *L, const tw_blocktype *bt, uint32_t *np,
                            uint32_t *nr) {
  if (bt->kind == TW_BT_EMPTY) *np = 0, *nr = 0;
  else if (bt->kind == TW_BT_VALTYPE) *np = 0, *nr = 1;
  else {
    const tw_functype *ft = &L->m->types[bt->index];
    *np = ft->nparams;
    *nr = ft->nresults;
  }
}

static uint32_t label_arity(const ctl *c) {
  return c->kind == CK_LOOP ? c->nparams : c->nresults;
}

/* ---- returns and branches ------------------------------------------------ */

/* Return the top nresults values. Does not change the virtual stack. */
static void emit_return(lower *L) {
  uint32_t n = L->nresults, h = height(L);
  if (n == 0) {
    emit_op(L, TW_IOP_ret);
    return;
  }
  if (n == 1) {
    vent e = L->vs.data[h - 1];
    if (e.kind == VK_TEMP || e.kind == VK_LOCAL) {
      uint32_t s = e.kind == VK_LOCAL ? e.local : tslot(L, h - 1);
      emit_op(L, TW_IOP_ret1);
      emit_pair(L, s, 0);
    } else {
      emit_move(L, &e, h - 1, 0);
      emit_op(L, TW_IOP_ret);
    }
    return;
  }
  /* Several results: first into their canonical slots (above every local,
   * so no source is overwritten), then down to fp[0..n). */
  for (uint32_t i = h - n; i < h; i++) {
    vent e = L->vs.data[i];
    emit_move(L, &e, i, tslot(L, i));
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t src = tslot(L, h - n + i);
    if (src != i) {
      emit_op(L, TW_IOP_copy);
      emit_pair(L, i, src);
    }
  }
  emit_op(L, TW_IOP_ret);
}

/* Does branching to c need moves (values not already in place)? */
static bool needs_moves(lower *L, const ctl *c) {
  uint32_t n = label_arity(c), h = height(L);
  for (uint32_t i = 0; i < n; i++) {
    const vent *e = &L->vs.data[h - n + i];
    if (e->kind != VK_TEMP || h - n + i != c->base + i) return true;
  }
  return false;
}

/* Move the label's values into place. Does not change the virtual stack. */
static void emit_moves(lower *L, const ctl *c) {
  uint32_t n = label_arity(c), h = height(L);
  for (uint32_t i = 0; i < n; i++) {
    vent e = L->vs.data[h - n + i];
    emit_move(L, &e, h - n + i, tslot(L, c->base + i));
  }
}

/* Unconditional branch to frame c (values already in place). */
static void emit_br(lower *L, ctl *c) {
  uint32_t p = emit_op(L, TW_IOP_br_);
  emit_pair(L, 0, 0);
  link_branch(L, c, p + 1, 0, p);
}

/* Full unconditional transfer to frame c: moves + jump, or a return. */
static void emit_transfer(lower *L, ctl *c) {
  if (c->kind == CK_FUNC) {
    emit_return(L);
    return;
  }
  emit_moves(L, c);
  emit_br(L, c);
}

static int cmp_index(unsigned op) {
  switch (op) {
    case TW_OP_i32_eq: case TW_IOP_i32_eq_i: return 0;
    case TW_OP_i32_ne: case TW_IOP_i32_ne_i: return 1;
    case TW_OP_i32_lt_s: case TW_IOP_i32_lt_s_i: return 2;
    case TW_OP_i32_lt_u: case TW_IOP_i32_lt_u_i: return 3;
    case TW_OP_i32_gt_s: case TW_IOP_i32_gt_s_i: return 4;
    case TW_OP_i32_gt_u: case TW_IOP_i32_gt_u_i: return 5;
    case TW_OP_i32_le_s: case TW_IOP_i32_le_s_i: return 6;
    case TW_OP_i32_le_u: case TW_IOP_i32_le_u_i: return 7;
    case TW_OP_i32_ge_s: case TW_IOP_i32_ge_s_i: return 8;
    case TW_OP_i32_ge_u: case TW_IOP_i32_ge_u_i: return 9;
  }
  return -1;
}

static bool cmp_is_imm(unsigned op) { return op >= TW_IOP_i32_eq_i && op <= TW_IOP_i32_ge_u_i; }

/* negation of compare i (for branching on the false condition) */
static const int cmp_negate[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};

/* A comparison (or eqz) that produced the condition on top of the stack,
 * taken out of the code so that the branch can do the comparison itself. */
typedef struct pending_cmp {
  int kind;  /* -1 none, 0..9 comparison (cmp_index), 10 eqz */
  bool imm;  /* b is an immediate */
  uint32_t a, b;
} pending_cmp;

static pending_cmp take_cond(lower *L) {
  pending_cmp pc = {-1, false, 0, 0};
  uint32_t h = height(L);
  if (L->last == NONE || L->vs.data[h - 1].kind != VK_TEMP ||
      L->code.data[L->last + 1].p.a != tslot(L, h - 1))
    return pc;
  unsigned op = L->last_op;
  int ci = cmp_index(op);
  if (ci >= 0) {
    pc.kind = ci;
    pc.imm = cmp_is_imm(op);
    pc.b = L->code.data[L->last + 2].p.a;
  } else if (op == TW_OP_i32_eqz) {
    pc.kind = 10;
  } else {
    return pc;
  }
  pc.a = L->code.data[L->last + 1].p.b;
  unemit_last(L); /* the branch will compare */
  pop_n(L, 1);
  return pc;
}

/* Emit a conditional branch on pc, or (pc.kind < 0) on the i32 on top of
 * the stack, which is popped. Branches when the condition holds, or when it
 * does not if `on_false`. Returns the instruction position and sets
 * *cell / *half to its offset field. */
static uint32_t emit_branch_on(lower *L, pending_cmp pc, bool on_false,
                               uint32_t *cell, uint8_t *half) {
  if (pc.kind >= 0 && pc.kind < 10) {
    int ci = on_false ? cmp_negate[pc.kind] : pc.kind;
    uint32_t p =
        emit_op(L, (pc.imm ? TW_IOP_brci_eq : TW_IOP_brc_eq) + (unsigned)ci);
    emit_pair(L, pc.a, pc.b);
    emit_pair(L, 0, 0);
    *cell = p + 2;
    *half = 0;
    return p;
  }
  uint32_t s;
  bool zero = on_false;
  if (pc.kind == 10) {
    s = pc.a;
    zero = !on_false;
  } else {
    s = slot_of(L, height(L) - 1);
    pop_n(L, 1);
  }
  uint32_t p = emit_op(L, zero ? TW_IOP_br_z : TW_IOP_br_nz);
  emit_pair(L, s, 0);
  *cell = p + 1;
  *half = 1;
  return p;
}

/* ---- simple instructions ------------------------------------------------- */

/* Immediate form of a binary op when its right operand is constant. */
static int imm_form(unsigned op) {
  switch (op) {
#define M(w, i) case TW_OP_##w: return TW_IOP_##i;
    M(i32_add, i32_add_i) M(i32_mul, i32_mul_i) M(i32_and, i32_and_i)
    M(i32_or, i32_or_i) M(i32_xor, i32_xor_i) M(i32_shl, i32_shl_i)
    M(i32_shr_s, i32_shr_s_i) M(i32_shr_u, i32_shr_u_i)
    M(i32_rotl, i32_rotl_i) M(i32_rotr, i32_rotr_i)
    M(i32_eq, i32_eq_i) M(i32_ne, i32_ne_i) M(i32_lt_s, i32_lt_s_i)
    M(i32_lt_u, i32_lt_u_i) M(i32_gt_s, i32_gt_s_i) M(i32_gt_u, i32_gt_u_i)
    M(i32_le_s, i32_le_s_i) M(i32_le_u, i32_le_u_i) M(i32_ge_s, i32_ge_s_i)
    M(i32_ge_u, i32_ge_u_i)
    M(i32_div_s, i32_div_s_i) M(i32_div_u, i32_div_u_i)
    M(i32_rem_s, i32_rem_s_i) M(i32_rem_u, i32_rem_u_i)
    M(i64_add, i64_add_i) M(i64_mul, i64_mul_i) M(i64_and, i64_and_i)
    M(i64_or, i64_or_i) M(i64_xor, i64_xor_i) M(i64_shl, i64_shl_i)
    M(i64_shr_s, i64_shr_s_i) M(i64_shr_u, i64_shr_u_i)
    M(i64_rotl, i64_rotl_i) M(i64_rotr, i64_rotr_i)
    M(i64_eq, i64_eq_i) M(i64_ne, i64_ne_i) M(i64_lt_s, i64_lt_s_i)
    M(i64_lt_u, i64_lt_u_i) M(i64_gt_s, i64_gt_s_i) M(i64_gt_u, i64_gt_u_i)
    M(i64_le_s, i64_le_s_i) M(i64_le_u, i64_le_u_i) M(i64_ge_s, i64_ge_s_i)
    M(i64_ge_u, i64_ge_u_i)
    M(f32_add, f32_add_i) M(f32_sub, f32_sub_i) M(f32_mul, f32_mul_i)
    M(f32_div, f32_div_i) M(f64_add, f64_add_i) M(f64_sub, f64_sub_i)
    M(f64_mul, f64_mul_i) M(f64_div, f64_div_i)
#undef M
  }
  return -1;
}

/* With a constant LEFT operand: the op to use with the operands swapped
 * (commutative ops, mirrored comparisons), or -1. */
static int swapped_form(unsigned op) {
  switch (op) {
    case TW_OP_i32_add: case TW_OP_i32_mul: case TW_OP_i32_and:
    case TW_OP_i32_or: case TW_OP_i32_xor: case TW_OP_i32_eq:
    case TW_OP_i32_ne: case TW_OP_i64_add: case TW_OP_i64_mul:
    case TW_OP_i64_and: case TW_OP_i64_or: case TW_OP_i64_xor:
    case TW_OP_i64_eq: case TW_OP_i64_ne:
      return (int)op;
    case TW_OP_i32_lt_s: return TW_OP_i32_gt_s;
    case TW_OP_i32_gt_s: return TW_OP_i32_lt_s;
    case TW_OP_i32_lt_u: return TW_OP_i32_gt_u;
    case TW_OP_i32_gt_u: return TW_OP_i32_lt_u;
    case TW_OP_i32_le_s: return TW_OP_i32_ge_s;
    case TW_OP_i32_ge_s: return TW_OP_i32_le_s;
    case TW_OP_i32_le_u: return TW_OP_i32_ge_u;
    case TW_OP_i32_ge_u: return TW_OP_i32_le_u;
    case TW_OP_i64_lt_s: return TW_OP_i64_gt_s;
    case TW_OP_i64_gt_s: return TW_OP_i64_lt_s;
    case TW_OP_i64_lt_u: return TW_OP_i64_gt_u;
    case TW_OP_i64_gt_u: return TW_OP_i64_lt_u;
    case TW_OP_i64_le_s: return TW_OP_i64_ge_s;
    case TW_OP_i64_ge_s: return TW_OP_i64_le_s;
    case TW_OP_i64_le_u: return TW_OP_i64_ge_u;
    case TW_OP_i64_ge_u: return TW_OP_i64_le_u;
  }
  return -1;
}

/* Form computing `imm OP x` for a constant LEFT operand, or -1. */
static int ri_form(unsigned op) {
  switch (op) {
    case TW_OP_i32_sub: return TW_IOP_i32_sub_ri;
    case TW_OP_i64_sub: return TW_IOP_i64_sub_ri;
    case TW_OP_f32_add: return TW_IOP_f32_add_ri;
    case TW_OP_f32_sub: return TW_IOP_f32_sub_ri;
    case TW_OP_f32_mul: return TW_IOP_f32_mul_ri;
    case TW_OP_f32_div: return TW_IOP_f32_div_ri;
    case TW_OP_f64_add: return TW_IOP_f64_add_ri;
    case TW_OP_f64_sub: return TW_IOP_f64_sub_ri;
    case TW_OP_f64_mul: return TW_IOP_f64_mul_ri;
    case TW_OP_f64_div: return TW_IOP_f64_div_ri;
  }
  return -1;
}

/* Do the op's immediates take a whole cell (i64/f64 operands)? */
static bool has_imm64(unsigned op) {
  uint8_t t = tw_opinfo_table[op].a;
  return t == TW_I64 || t == TW_F64;
}

/* Emit a binary op with a constant right operand c (already popped). */
static void emit_bin_imm(lower *L, unsigned op, uint32_t a, uint64_t c) {
  uint32_t h = height(L);
  push_temp(L);
  uint32_t dst = tslot(L, h);
  unsigned iop;
  bool i64 = has_imm64(op);
  if (op == TW_OP_i32_sub) iop = TW_IOP_i32_add_i, c = (uint32_t)(0u - (uint32_t)c);
  else if (op == TW_OP_i64_sub) iop = TW_IOP_i64_add_i, c = 0 - c;
  else iop = (unsigned)imm_form(op);
  int af = facc_form(iop);
  if (af >= 0 && acc_ready(L, a)) iop = (unsigned)af;
  uint32_t p = emit_op(L, iop);
  emit_pair(L, dst, a);
  if (i64) emit_u64(L, c);
  else emit_pair(L, (uint32_t)c, 0);
  mark_producer(L, p, iop);
}

static bool imm_allowed(unsigned op, uint64_t c) {
  switch (op) {
    case TW_OP_i32_div_s: case TW_OP_i32_rem_s:
      return (uint32_t)c != 0 && (uint32_t)c != UINT32_MAX;
    case TW_OP_i32_div_u: case TW_OP_i32_rem_u:
      return (uint32_t)c != 0;
    case TW_OP_i32_sub: case TW_OP_i64_sub:
      return true;
  }
  return imm_form(op) >= 0;
}

/* The address-write-back form (_aiw; _rrw follows it) of a load, or -1. */
static int wb_form(unsigned op) {
  switch (op) {
    case TW_OP_i32_load: return TW_IOP_i32_load_aiw;
    case TW_OP_i64_load: return TW_IOP_i64_load_aiw;
    case TW_OP_f64_load: return TW_IOP_f64_load_aiw;
  }
  return -1;
}

/* Does the instruction at `pos` (op `op`) write `local` other than through
 * its result operand [1].p.a? (address write-back loads) */
static bool writes_other_local(lower *L, uint32_t pos, unsigned op,
                               uint32_t local) {
  const tw_cell *c = &L->code.data[pos];
  switch (op) {
    case TW_IOP_i32_load_aiw: case TW_IOP_i64_load_aiw: case TW_IOP_f64_load_aiw:
      return c[3].p.a == local;
    case TW_IOP_i32_load_rrw: case TW_IOP_i64_load_rrw: case TW_IOP_f64_load_rrw:
      return c[3].p.b == local;
  }
  return false;
}

/* Emit a load (address on top) or store (address under the value), taking
 * a deferred ADDI/ADD2 address into the instruction. */
static void lower_memop(lower *L, const tw_instr *in, bool is_load) {
  unsigned op = in->op;
  uint32_t h = height(L);
  uint32_t ah = is_load ? h - 1 : h - 2; /* address entry */
  vent addr = L->vs.data[ah];
  uint32_t off = in->imm.memarg.offset;
  uint32_t val = 0;
  if (!is_load) val = slot_of(L, h - 1); /* may emit; the address stays */
  uint32_t p;
  if (is_load) {
    if (addr.kind == VK_ADDI || addr.kind == VK_ADD2) {
      pop_n(L, 1);
      push_temp(L);
      uint32_t dst = tslot(L, h - 1);
      if (addr.kind == VK_ADDI) {
        p = emit_op(L, tw_iop_mem_ai(op));
        emit_pair(L, dst, addr.local);
        emit_pair(L, off, (uint32_t)addr.cval);
        mark_producer(L, p, tw_iop_mem_ai(op));
      } else {
        p = emit_op(L, tw_iop_mem_rr(op));
        emit_pair(L, dst, addr.local);
        emit_pair(L, addr.b, off);
        emit_pair(L, (uint32_t)addr.cval, 0);
        mark_producer(L, p, tw_iop_mem_rr(op));
      }
      return;
    }
    int wb = wb_form(op);
    if (wb >= 0 && addr.kind == VK_LOCAL && L->cur_pos != NONE &&
        (L->cur_op == TW_IOP_i32_add_i || L->cur_op == TW_OP_i32_add) &&
        L->code.data[L->cur_pos + 1].p.a == addr.local) {
      /* `x = y + c` or `x = y + z` just before: do it in the load */
      const tw_cell *c = &L->code.data[L->cur_pos];
      bool rr = L->cur_op == TW_OP_i32_add;
      uint32_t y = c[1].p.b, z = c[2].p.a;
      unemit_last(L);
      pop_n(L, 1);
      push_temp(L);
      unsigned wop = (unsigned)wb + (rr ? 1u : 0u);
      p = emit_op(L, wop);
      emit_pair(L, tslot(L, h - 1), y);
      if (rr) {
        emit_pair(L, z, off);
        emit_pair(L, 0, addr.local);
      } else {
        emit_pair(L, off, z);
        emit_pair(L, addr.local, 0);
      }
      mark_producer(L, p, wop);
      return;
    }
    uint32_t a = slot_of(L, ah);
    pop_n(L, 1);
    push_temp(L);
    p = emit_op(L, op);
    emit_pair(L, tslot(L, h - 1), a);
    emit_pair(L, off, 0);
    mark_producer(L, p, op);
    return;
  }
  pop_n(L, 2);
  bool acc = op == TW_OP_f64_store && acc_ready(L, val);
  if (addr.kind == VK_ADDI) {
    unsigned sop = tw_iop_mem_ai(op);
    emit_op(L, acc ? (unsigned)facc_form(sop) : sop);
    emit_pair(L, addr.local, val);
    emit_pair(L, off, (uint32_t)addr.cval);
  } else if (addr.kind == VK_ADD2) {
    unsigned sop = tw_iop_mem_rr(op);
    emit_op(L, acc ? (unsigned)facc_form(sop) : sop);
    emit_pair(L, addr.local, addr.b);
    emit_pair(L, val, off);
    emit_pair(L, (uint32_t)addr.cval, 0);
  } else {
    uint32_t a = addr.kind == VK_LOCAL ? addr.local : tslot(L, ah);
    if (addr.kind == VK_CONST) {
      /* the value is already read from its slot; the address constant
       * goes to its own canonical slot, which no live entry uses */
      emit_const(L, tslot(L, ah), addr.cval);
      acc = false;
    }
    emit_op(L, acc ? (unsigned)facc_form(op) : op);
    emit_pair(L, a, val);
    emit_pair(L, off, 0);
  }
}

/* i32.add / i32.sub with a constant or two locals: leave the sum deferred
 * (ADDI / ADD2) so that a following load or store computes it. Returns
 * false if the operands do not allow it. */
static bool defer_add(lower *L, unsigned op) {
  uint32_t h = height(L);
  vent *x = &L->vs.data[h - 2], *y = &L->vs.data[h - 1];
  vent r;
  memset(&r, 0, sizeof r);
  if (y->kind == VK_CONST) {
    uint32_t c = (uint32_t)y->cval;
    if (op == TW_OP_i32_sub) c = 0u - c;
    if (x->kind == VK_LOCAL) {
      r.kind = VK_ADDI, r.local = x->local, r.cval = c;
    } else if (x->kind == VK_TEMP) {
      r.kind = VK_ADDI, r.local = tslot(L, h - 2), r.cval = c;
    } else if (x->kind == VK_ADDI || x->kind == VK_ADD2) {
      r = *x;
      r.cval = (uint32_t)((uint32_t)r.cval + c);
    } else {
      return false;
    }
  } else if (op == TW_OP_i32_add && x->kind == VK_CONST && y->kind == VK_LOCAL) {
    r.kind = VK_ADDI, r.local = y->local, r.cval = (uint32_t)x->cval;
  } else if (op == TW_OP_i32_add && x->kind == VK_LOCAL && y->kind == VK_LOCAL) {
    r.kind = VK_ADD2, r.local = x->local, r.b = y->local;
  } else if (op == TW_OP_i32_add && x->kind == VK_LOCAL && y->kind == VK_ADDI &&
             y->local < L->tbase) {
    r.kind = VK_ADD2, r.local = x->local, r.b = y->local, r.cval = y->cval;
  } else if (op == TW_OP_i32_add && x->kind == VK_ADDI && x->local < L->tbase &&
             y->kind == VK_LOCAL) {
    r.kind = VK_ADD2, r.local = x->local, r.b = y->local, r.cval = x->cval;
  } else {
    return false;
  }
  pop_n(L, 2);
  push(L, r.kind, r.local, r.cval);
  L->vs.data[h - 2].b = r.b;
  L->last = NONE;
  return true;
}

/* The _ld form of a binary op and the load it can absorb, or -1. */
static int ldbin_form(unsigned op, unsigned *load) {
  switch (op) {
#define F(w, l) case TW_OP_##w: *load = TW_OP_##l; return TW_IOP_##w##_ld;
    F(f64_add, f64_load) F(f64_sub, f64_load) F(f64_mul, f64_load)
    F(f32_add, f32_load) F(f32_sub, f32_load) F(f32_mul, f32_load)
    F(i32_add, i32_load) F(i32_sub, i32_load) F(i32_mul, i32_load)
    F(i32_and, i32_load) F(i32_or, i32_load) F(i32_xor, i32_load)
    F(i64_add, i64_load) F(i64_sub, i64_load) F(i64_mul, i64_load)
    F(i64_and, i64_load) F(i64_or, i64_load) F(i64_xor, i64_load)
#undef F
  }
  return -1;
}

/* `a OP load(...)` where the load was the last instruction and produced the
 * top of the stack: fold the load into the op. */
static bool fuse_load_operand(lower *L, unsigned op) {
  uint32_t h = height(L);
  unsigned load;
  int ld = ldbin_form(op, &load);
  if (ld < 0 || L->last == NONE) return false;
  uint32_t dst = L->code.data[L->last + 1].p.a;
  /* the loaded value is the right operand, or (integer ops commute) the
   * left one */
  uint32_t other;
  if (L->vs.data[h - 1].kind == VK_TEMP && dst == tslot(L, h - 1)) {
    other = h - 2;
  } else if (L->vs.data[h - 2].kind == VK_TEMP && dst == tslot(L, h - 2) &&
             swapped_form(op) == (int)op && tw_opinfo_table[op].a != TW_F32 &&
             tw_opinfo_table[op].a != TW_F64) {
    other = h - 1;
  } else {
    return false;
  }
  const vent *x = &L->vs.data[other];
  if (x->kind != VK_TEMP && x->kind != VK_LOCAL) return false;
  unsigned lop = L->last_op;
  const tw_cell *c = &L->code.data[L->last];
  uint32_t base, imm, off;
  bool rr;
  if (lop == load) {
    base = c[1].p.b, imm = 0, off = c[2].p.a, rr = false;
  } else if (lop == tw_iop_mem_ai(load)) {
    base = c[1].p.b, off = c[2].p.a, imm = c[2].p.b, rr = false;
  } else if (lop == tw_iop_mem_rr(load)) {
    base = c[1].p.b, imm = c[2].p.a, off = c[2].p.b, rr = true;
  } else {
    return false;
  }
  uint32_t rrc = rr ? c[3].p.a : 0; /* constant part of an x + y + c address */
  uint32_t a = x->kind == VK_LOCAL ? x->local : tslot(L, other);
  unemit_last(L);
  pop_n(L, 2);
  push_temp(L);
  unsigned iop = (unsigned)ld + (rr ? 1u : 0u);
  int af = facc_form(iop);
  if (af >= 0 && acc_ready(L, a)) iop = (unsigned)af;
  uint32_t p = emit_op(L, iop);
  emit_pair(L, tslot(L, h - 2), a);
  emit_pair(L, base, imm);
  emit_pair(L, off, rrc);
  mark_producer(L, p, iop);
  return true;
}

static void lower_simple(lower *L, const tw_instr *in) {
  unsigned op = in->op;
  const tw_opinfo *oi = &tw_opinfo_table[op];
  uint32_t h = height(L);
  if (oi->imm == IMM_MEMARG) {
    lower_memop(L, in, oi->r != TW_T_NO);
    return;
  }
  if ((op == TW_OP_i32_add || op == TW_OP_i32_sub) && defer_add(L, op)) return;
  if (oi->b == TW_T_NO) { /* unary */
    uint32_t a = slot_of(L, h - 1);
    pop_n(L, 1);
    push_temp(L);
    uint32_t p = emit_op(L, op);
    emit_pair(L, tslot(L, h - 1), a);
    mark_producer(L, p, op);
    return;
  }
  /* binary */
  if (is_const(L, h - 1) && imm_allowed(op, L->vs.data[h - 1].cval)) {
    uint64_t c = L->vs.data[h - 1].cval;
    uint32_t a = slot_of(L, h - 2);
    pop_n(L, 2);
    emit_bin_imm(L, op, a, c);
    return;
  }
  if (is_const(L, h - 2) && !is_const(L, h - 1)) {
    uint64_t c = L->vs.data[h - 2].cval;
    int sw = swapped_form(op);
    int ri = ri_form(op);
    if (sw >= 0 || ri >= 0) {
      uint32_t b = slot_of(L, h - 1);
      pop_n(L, 2);
      if (sw >= 0) {
        emit_bin_imm(L, (unsigned)sw, b, c);
      } else { /* c OP b */
        push_temp(L);
        uint32_t p = emit_op(L, (unsigned)ri);
        emit_pair(L, tslot(L, h - 2), b);
        if (has_imm64(op)) emit_u64(L, c);
        else emit_pair(L, (uint32_t)c, 0);
        mark_producer(L, p, (unsigned)ri);
      }
      return;
    }
  }
  if (fuse_load_operand(L, op)) return;
  uint32_t a = slot_of(L, h - 2);
  uint32_t b = slot_of(L, h - 1);
  pop_n(L, 2);
  push_temp(L);
  unsigned eop = op;
  int af = facc_form(op);
  if (af >= 0 && acc_ready(L, a)) {
    eop = (unsigned)af;
  } else if (af >= 0 && (op == TW_OP_f64_add || op == TW_OP_f64_mul) &&
             acc_ready(L, b)) {
    uint32_t t = a; /* commutative: take the accumulator as left operand */
    a = b;
    b = t;
    eop = (unsigned)af;
  }
  uint32_t p = emit_op(L, eop);
  emit_pair(L, tslot(L, h - 2), a);
  emit_pair(L, b, 0);
  mark_producer(L, p, eop);
}

/* ---- locals ---------------------------------------------------------------- */

static void lower_local_set(lower *L, uint32_t local, bool tee) {
  uint32_t h = height(L);
  vent top = L->vs.data[h - 1];
  if (top.kind == VK_LOCAL && top.local == local) {
    /* local.set x of local.get x: nothing to do */
    if (!tee) pop_n(L, 1);
    return;
  }
  bool others = false;
  for (uint32_t i = 0; i + 1 < h; i++)
    if (reads_local(&L->vs.data[i], local)) others = true;
  bool retarget = top.kind == VK_TEMP && L->last != NONE &&
                  L->code.data[L->last + 1].p.a == tslot(L, h - 1);
  if (retarget) {
    /* The instruction that produced the top writes the local directly.
     * Pending reads of the local must copy its old value first: those
     * copies only read locals and write operand slots below the top, which
     * the producer neither reads nor writes, so they go before it. */
    tw_cell saved[8];
    uint32_t n = (uint32_t)L->code.len - L->last;
    unsigned op = L->last_op;
    if (others && writes_other_local(L, L->last, op, local)) {
      /* `x = p + c; v = load x; x = v` with one pending read of x: the
       * pending read gets the address through the write-back instead */
      uint32_t nread = 0, at = 0;
      for (uint32_t i = 0; i + 1 < h; i++)
        if (reads_local(&L->vs.data[i], local)) nread++, at = i;
      if (nread == 1 && L->vs.data[at].kind == VK_LOCAL) {
        tw_cell *c = &L->code.data[L->last];
        if (c[3].p.a == local && (op == TW_IOP_i32_load_aiw ||
                                  op == TW_IOP_i64_load_aiw ||
                                  op == TW_IOP_f64_load_aiw))
          c[3].p.a = tslot(L, at);
        else
          c[3].p.b = tslot(L, at);
        L->vs.data[at].kind = VK_TEMP;
        others = false;
      }
    }
    if (others && n <= 8 && !writes_other_local(L, L->last, op, local)) {
      memcpy(saved, &L->code.data[L->last], n * sizeof saved[0]);
      unemit_last(L);
      for (uint32_t i = 0; i + 1 < h; i++)
        if (reads_local(&L->vs.data[i], local)) materialize(L, i);
      uint32_t p = emit_op(L, op);
      for (uint32_t k = 1; k < n; k++) emit_cell(L, saved[k]);
      L->last = p;
      others = false;
    }
    if (!others) {
      L->code.data[L->last + 1].p.a = local;
      L->last = NONE;
      if (tee) {
        L->vs.data[h - 1].kind = VK_LOCAL;
        L->vs.data[h - 1].local = local;
      } else {
        pop_n(L, 1);
      }
      return;
    }
  }
  /* Materialise other pending reads of this local before it changes. */
  for (uint32_t i = 0; i + 1 < h; i++)
    if (reads_local(&L->vs.data[i], local)) materialize(L, i);
  emit_move(L, &top, h - 1, local);
  if (!tee) {
    pop_n(L, 1);
  } else if (top.kind != VK_CONST) {
    /* the value now lives in the local (a deferred sum reading this very
     * local must not be re-evaluated) */
    L->vs.data[h - 1].kind = VK_LOCAL;
    L->vs.data[h - 1].local = local;
  }
}

/* ---- control ----------------------------------------------------------------- */

static ctl *frame_at(lower *L, uint32_t depth) {
  return &L->cs.data[L->cs.len - 1 - depth];
}

static void enter_block(lower *L, uint8_t kind, const tw_blocktype *bt) {
  uint32_t np, nr;
  blocktype_arity(L, bt, &np, &nr);
  /* For `if`, take the comparison out first: the moves below write only
   * slots under the condition and read locals, so they commute with it. */
  pending_cmp pc = {-1, false, 0, 0};
  if (kind == CK_IF) pc = take_cond(L);
  uint32_t h = height(L);
  uint32_t top = (kind == CK_IF && pc.kind < 0) ? h - 1 : h; /* params end */
  for (uint32_t i = top - np; i < top; i++) materialize(L, i);
  for (uint32_t i = 0; i < top; i++)
    if (is_deferred_read(&L->vs.data[i])) materialize(L, i);
  uint32_t cond_cell = 0, cond_instr = 0;
  uint8_t cond_half = 0;
  if (kind == CK_IF)
    cond_instr = emit_branch_on(L, pc, true, &cond_cell, &cond_half);
  if (kind == CK_LOOP) mark_label(L);
  ctl c;
  memset(&c, 0, sizeof c);
  c.kind = kind;
  c.base = height(L) - np;
  c.nparams = np;
  c.nresults = nr;
  c.label = pos(L);
  c.fix_head = -1;
  c.else_fix = -1;
  if (!TW_VEC_PUSH(&L->cs, c)) {
    L->oom = true;
    return;
  }
  if (kind == CK_IF) {
    fixup f = {cond_cell, cond_instr, cond_half, -1};
    if (!TW_VEC_PUSH(&L->fx, f)) L->oom = true;
    else L->cs.data[L->cs.len - 1].else_fix = (int32_t)(L->fx.len - 1);
  }
  L->last = NONE;
}

/* `end` of frame c (the top frame). */
static void end_block(lower *L) {
  ctl *c = frame_at(L, 0);
  bool fall = !c->unreachable;
  if (c->kind == CK_FUNC) {
    if (fall) emit_return(L);
    L->cs.len--;
    return;
  }
  if (fall) materialize_top(L, c->nresults);
  uint32_t here = pos(L);
  mark_label(L);
  bool reachable = fall;
  if (c->kind != CK_LOOP) {
    resolve_fixups(L, c->fix_head, here);
    reachable = reachable || c->branched_to;
  }
  if (c->kind == CK_IF && !c->has_else) {
    /* the false arm falls through with the parameters as results */
    resolve_fixups(L, c->else_fix, here);
    reachable = true;
  }
  uint32_t base = c->base, nr = c->nresults;
  L->cs.len--;
  L->vs.len = base;
  for (uint32_t i = 0; i < nr; i++) push_temp(L);
  L->last = NONE;
  if (!reachable) frame_at(L, 0)->unreachable = true;
}

static void else_block(lower *L) {
  ctl *c = frame_at(L, 0);
  if (!c->unreachable) {
    materialize_top(L, c->nresults);
    emit_br(L, c);
    c = frame_at(L, 0);
  }
  resolve_fixups(L, c->else_fix, pos(L));
  mark_label(L);
  c->else_fix = -1;
  c->has_else = true;
  c->unreachable = false;
  L->vs.len = c->base;
  for (uint32_t i = 0; i < c->nparams; i++) push_temp(L);
  L->last = NONE;
}

static void lower_br_if(lower *L, uint32_t depth) {
  ctl *t = frame_at(L, depth);
  uint32_t cell, instr;
  uint8_t half;
  /* the condition is on top; the label's values are under it */
  pending_cmp pc = take_cond(L);
  bool cond_on_top = pc.kind < 0;
  if (cond_on_top) L->vs.len--; /* look at the values without the cond */
  bool direct = t->kind != CK_FUNC && !needs_moves(L, t);
  if (cond_on_top) L->vs.len++;
  if (direct && pc.kind < 0 && L->cur_pos != NONE &&
      L->cur_op == TW_IOP_i32_add_i &&
      (L->vs.data[height(L) - 1].kind == VK_TEMP ||
       L->vs.data[height(L) - 1].kind == VK_LOCAL)) {
    /* x = y + c; br_if on a plain condition: compare it with 0 */
    pc.kind = 1; /* ne */
    pc.imm = true;
    pc.a = slot_of(L, height(L) - 1);
    pc.b = 0;
    pop_n(L, 1);
  } else if (direct && pc.kind == 10 && L->cur_pos != NONE &&
             L->cur_op == TW_IOP_i32_add_i) {
    pc.kind = 0; /* eqz: eq 0 */
    pc.imm = true;
    pc.b = 0;
  }
  if (direct && pc.kind >= 0 && pc.kind < 10 && L->cur_pos != NONE &&
      L->cur_op == TW_IOP_i32_add_i) {
    /* x = y + c; compare; branch  ->  one instruction */
    uint32_t ap = L->cur_pos;
    uint32_t dst = L->code.data[ap + 1].p.a, src = L->code.data[ap + 1].p.b;
    uint32_t c = L->code.data[ap + 2].p.a;
    unemit_last(L);
    instr = emit_op(L, (pc.imm ? TW_IOP_addbri_eq : TW_IOP_addbr_eq) + (unsigned)pc.kind);
    emit_pair(L, dst, src);
    emit_pair(L, c, pc.a);
    emit_pair(L, pc.b, 0);
    link_branch(L, frame_at(L, depth), instr + 3, 1, instr);
  } else if (direct) {
    instr = emit_branch_on(L, pc, false, &cell, &half);
    link_branch(L, frame_at(L, depth), cell, half, instr);
  } else {
    instr = emit_branch_on(L, pc, true, &cell, &half); /* skip if false */
    emit_transfer(L, frame_at(L, depth));
    set_off(L, cell, half, instr, pos(L));
    mark_label(L);
  }
  L->last = NONE;
}

static void lower_br_table(lower *L, const tw_instr *in) {
  uint32_t h = height(L);
  uint32_t idx = slot_of(L, h - 1);
  pop_n(L, 1);
  uint32_t n = in->imm.br_table.count;
  uint32_t p = emit_op(L, TW_IOP_br_table_);
  emit_pair(L, idx, n);
  uint32_t tab = pos(L);
  for (uint32_t i = 0; i < n / 2 + 1; i++) emit_pair(L, 0, 0);
  /* targets needing moves or a return get a stub after the table, shared
   * by all entries with the same depth */
  TW_VEC(uint32_t) stub_depth = {0};
  TW_VEC(uint32_t) stub_pos = {0};
  tw_reader r = tw_reader_make(L->m->bytes, in->imm.br_table.targets_pos,
                               L->m->size);
  TW_VEC(uint32_t) pending = {0}; /* entry index, depth pairs */
  for (uint32_t i = 0; i <= n && !L->oom; i++) {
    uint32_t d = 0;
    if (i < n) (void)tw_rd_u32(&r, &d);
    else d = in->imm.br_table.default_label;
    ctl *t = frame_at(L, d);
    uint32_t cell = tab + i / 2;
    uint8_t half = (uint8_t)(i & 1);
    if (t->kind != CK_FUNC && !needs_moves(L, t)) {
      link_branch(L, t, cell, half, p);
    } else if (!TW_VEC_PUSH(&pending, i) || !TW_VEC_PUSH(&pending, d)) {
      L->oom = true;
    }
  }
  for (size_t k = 0; k + 1 < pending.len && !L->oom; k += 2) {
    uint32_t i = pending.data[k], d = pending.data[k + 1];
    uint32_t sp = NONE;
    for (size_t j = 0; j < stub_depth.len; j++)
      if (stub_depth.data[j] == d) sp = stub_pos.data[j];
    if (sp == NONE) {
      sp = pos(L);
      if (!TW_VEC_PUSH(&stub_depth, d) || !TW_VEC_PUSH(&stub_pos, sp)) {
        L->oom = true;
        break;
      }
      emit_transfer(L, frame_at(L, d));
    }
    set_off(L, tab + i / 2, (uint8_t)(i & 1), p, sp);
  }
  TW_VEC_FREE(&stub_depth);
  TW_VEC_FREE(&stub_pos);
  TW_VEC_FREE(&pending);
  L->last = NONE;
}

static void lower_call(lower *L, uint32_t func) {
  const tw_functype *ft = tw_module_func_type(L->m, func);
  uint32_t np = ft->nparams, nr = ft->nresults;
  materialize_top(L, np);
  uint32_t argbase = tslot(L, height(L) - np);
  if (func < L->m->nfunc_imports) {
    emit_op(L, TW_IOP_call_import);
    emit_pair(L, argbase, func);
  } else {
    emit_op(L, TW_IOP_call_local);
    emit_pair(L, argbase, 0);
    tw_cell c;
    c.ptr = &L->im->funcs[func - L->m->nfunc_imports];
    emit_cell(L, c);
  }
  pop_n(L, np);
  for (uint32_t i = 0; i < nr; i++) push_temp(L);
}

static void lower_call_indirect(lower *L, const tw_instr *in) {
  const tw_functype *ft = &L->m->types[in->imm.call_indirect.type];
  uint32_t np = ft->nparams, nr = ft->nresults;
  uint32_t h = height(L);
  uint32_t idx = slot_of(L, h - 1);
  pop_n(L, 1);
  materialize_top(L, np);
  uint32_t argbase = tslot(L, height(L) - np);
  emit_op(L, TW_IOP_call_ind);
  emit_pair(L, argbase, idx);
  emit_pair(L, in->imm.call_indirect.table,
            L->mod->type_ids[in->imm.call_indirect.type]);
  pop_n(L, np);
  for (uint32_t i = 0; i < nr; i++) push_temp(L);
}

/* Emit op with operands taken from the top n entries (deepest first) in the
 * order given by `order` and an optional result pushed. Cells: operand
 * slots packed two per cell after the op, then `extra` pairs. */
static void emit_slots_op(lower *L, unsigned op, uint32_t n, bool result,
                          const uint32_t *extra, uint32_t nextra) {
  uint32_t h = height(L);
  uint32_t ops[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < n; i++) ops[i] = slot_of(L, h - n + i);
  pop_n(L, n);
  uint32_t all[8];
  uint32_t k = 0;
  if (result) {
    push_temp(L);
    all[k++] = tslot(L, h - n);
  }
  for (uint32_t i = 0; i < n; i++) all[k++] = ops[i];
  for (uint32_t i = 0; i < nextra; i++) all[k++] = extra[i];
  uint32_t p = emit_op(L, op);
  for (uint32_t i = 0; i < k; i += 2) emit_pair(L, all[i], i + 1 < k ? all[i + 1] : 0);
  if (k == 0) emit_pair(L, 0, 0);
  if (result) mark_producer(L, p, op);
}

/* select; an i32 comparison computing the condition is done by the select
 * itself. */
static void lower_select(lower *L) {
  pending_cmp pc = take_cond(L);
  if (pc.kind < 0) {
    emit_slots_op(L, TW_OP_select, 3, true, NULL, 0);
    return;
  }
  /* the moves slot_of may emit write the slots of a and b only, below the
   * comparison's operands, so the comparison may follow them */
  uint32_t h = height(L);
  uint32_t a = slot_of(L, h - 2), b = slot_of(L, h - 1);
  pop_n(L, 2);
  push_temp(L);
  int ci = pc.kind == 10 ? 0 : pc.kind;
  bool imm = pc.kind == 10 || pc.imm;
  uint32_t y = pc.kind == 10 ? 0 : pc.b;
  unsigned op = (imm ? TW_IOP_seli_eq : TW_IOP_sel_eq) + (unsigned)ci;
  uint32_t p = emit_op(L, op);
  emit_pair(L, tslot(L, h - 2), a);
  emit_pair(L, b, pc.a);
  emit_pair(L, y, 0);
  mark_producer(L, p, op);
}

static void lower_instr(lower *L, const tw_instr *in) {
  uint32_t h = height(L);
  switch (in->op) {
    case TW_OP_unreachable:
      emit_op(L, TW_OP_unreachable);
      frame_at(L, 0)->unreachable = true;
      return;
    case TW_OP_nop:
      return;
    case TW_OP_block:
      enter_block(L, CK_BLOCK, &in->imm.block);
      return;
    case TW_OP_loop:
      enter_block(L, CK_LOOP, &in->imm.block);
      return;
    case TW_OP_if_:
      enter_block(L, CK_IF, &in->imm.block);
      return;
    case TW_OP_else_:
      else_block(L);
      return;
    case TW_OP_end:
      end_block(L);
      return;
    case TW_OP_br:
      emit_transfer(L, frame_at(L, in->imm.index));
      frame_at(L, 0)->unreachable = true;
      return;
    case TW_OP_br_if:
      lower_br_if(L, in->imm.index);
      return;
    case TW_OP_br_table:
      lower_br_table(L, in);
      frame_at(L, 0)->unreachable = true;
      return;
    case TW_OP_return_:
      emit_return(L);
      frame_at(L, 0)->unreachable = true;
      return;
    case TW_OP_call:
      lower_call(L, in->imm.index);
      return;
    case TW_OP_call_indirect:
      lower_call_indirect(L, in);
      return;
    case TW_OP_drop:
      pop_n(L, 1);
      return;
    case TW_OP_select:
    case TW_OP_select_t:
      lower_select(L);
      return;
    case TW_OP_local_get:
      push(L, VK_LOCAL, in->imm.index, 0);
      return;
    case TW_OP_local_set:
      lower_local_set(L, in->imm.index, false);
      return;
    case TW_OP_local_tee:
      lower_local_set(L, in->imm.index, true);
      return;
    case TW_OP_global_get: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_global_get, 0, true, &extra, 1);
      return;
    }
    case TW_OP_global_set: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_global_set, 1, false, &extra, 1);
      return;
    }
    case TW_OP_i32_const:
      push(L, VK_CONST, 0, (uint32_t)in->imm.i32);
      return;
    case TW_OP_i64_const:
      push(L, VK_CONST, 0, (uint64_t)in->imm.i64);
      return;
    case TW_OP_f32_const:
      push(L, VK_CONST, 0, in->imm.f32);
      return;
    case TW_OP_f64_const:
      push(L, VK_CONST, 0, in->imm.f64);
      return;
    case TW_OP_ref_null:
      push(L, VK_CONST, 0, 0);
      return;
    case TW_OP_ref_is_null:
      emit_slots_op(L, TW_OP_ref_is_null, 1, true, NULL, 0);
      return;
    case TW_OP_ref_func: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_ref_func, 0, true, &extra, 1);
      return;
    }
    case TW_OP_memory_size:
      emit_slots_op(L, TW_OP_memory_size, 0, true, NULL, 0);
      return;
    case TW_OP_memory_grow:
      emit_slots_op(L, TW_OP_memory_grow, 1, true, NULL, 0);
      return;
    case TW_OP_memory_fill:
      emit_slots_op(L, TW_OP_memory_fill, 3, false, NULL, 0);
      return;
    case TW_OP_memory_copy:
      emit_slots_op(L, TW_OP_memory_copy, 3, false, NULL, 0);
      return;
    case TW_OP_memory_init: {
      uint32_t extra = in->imm.pair.a;
      emit_slots_op(L, TW_OP_memory_init, 3, false, &extra, 1);
      return;
    }
    case TW_OP_data_drop: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_data_drop, 0, false, &extra, 1);
      return;
    }
    case TW_OP_table_get: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_table_get, 1, true, &extra, 1);
      return;
    }
    case TW_OP_table_set: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_table_set, 2, false, &extra, 1);
      return;
    }
    case TW_OP_table_size: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_table_size, 0, true, &extra, 1);
      return;
    }
    case TW_OP_table_grow: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_table_grow, 2, true, &extra, 1);
      return;
    }
    case TW_OP_table_fill: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_table_fill, 3, false, &extra, 1);
      return;
    }
    case TW_OP_table_copy: {
      uint32_t extra[2] = {in->imm.pair.a, in->imm.pair.b};
      emit_slots_op(L, TW_OP_table_copy, 3, false, extra, 2);
      return;
    }
    case TW_OP_table_init: {
      uint32_t extra[2] = {in->imm.pair.b, in->imm.pair.a}; /* table, seg */
      emit_slots_op(L, TW_OP_table_init, 3, false, extra, 2);
      return;
    }
    case TW_OP_elem_drop: {
      uint32_t extra = in->imm.index;
      emit_slots_op(L, TW_OP_elem_drop, 0, false, &extra, 1);
      return;
    }
    default:
      break;
  }
  (void)h;
  lower_simple(L, in);
}

/* Skip an unreachable stretch: returns true if `in` must still be
 * processed (the else/end closing the dead arm). */
static bool skip_dead(lower *L, const tw_instr *in, uint32_t *depth) {
  switch (in->op) {
    case TW_OP_block:
    case TW_OP_loop:
    case TW_OP_if_:
      (*depth)++;
      return false;
    case TW_OP_else_:
      return *depth == 0;
    case TW_OP_end:
      if (*depth == 0) return true;
      (*depth)--;
      return false;
    default:
      return false;
  }
  (void)L;
}

static twine_status_t lower_func(lower *L, uint32_t defined) {
  const tw_module *m = L->m;
  const tw_func *f = &m->funcs[defined];
  const tw_functype *ft = &m->types[f->type];
  struct tw_icode *ic = &L->im->funcs[defined];
  L->vs.len = 0;
  L->cs.len = 0;
  L->fx.len = 0;
  L->max_h = 0;
  mark_label(L);
  L->tbase = ft->nparams + f->nlocals;
  L->nresults = ft->nresults;
  ic->nparams = ft->nparams;
  ic->nlocals = f->nlocals;
  ic->nresults = ft->nresults;
  ic->func_index = m->nfunc_imports + defined;
  ic->mod = L->mod;
  ic->code = (const tw_cell *)(uintptr_t)L->code.len; /* offset until done */

  ctl fc;
  memset(&fc, 0, sizeof fc);
  fc.kind = CK_FUNC;
  fc.nresults = ft->nresults;
  fc.fix_head = -1;
  fc.else_fix = -1;
  if (!TW_VEC_PUSH(&L->cs, fc)) return TWINE_ERR_NOMEM;

  tw_reader r = tw_reader_make(m->bytes, f->body_start, f->body_end);
  uint32_t dead_depth = 0;
  while (L->cs.len > 0 && !L->oom) {
    tw_instr in;
    if (tw_wasm_read_instr(&r, &in, L->err) != TWINE_OK)
      return TW_FAIL(L->err, TWINE_ERR_INVALID, r.pos,
                     "internal: unreadable instruction in a validated body");
    if (frame_at(L, 0)->unreachable) {
      if (!skip_dead(L, &in, &dead_depth)) continue;
    }
    lower_instr(L, &in);
  }
  if (L->oom) return TW_FAIL(L->err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory lowering function %u", ic->func_index);
  uint64_t slots = (uint64_t)L->tbase + L->max_h;
  if (slots < ft->nresults) slots = ft->nresults;
  if (slots > UINT32_MAX / 2)
    return TW_FAIL(L->err, TWINE_ERR_LIMIT, f->body_start,
                   "function %u needs too many stack slots", ic->func_index);
  ic->frame_slots = (uint32_t)slots;
  if (L->code.len > INT32_MAX)
    return TW_FAIL(L->err, TWINE_ERR_LIMIT, SIZE_MAX, "module code too large");
  return TWINE_OK;
}

twine_status_t tw_interp_prepare(twine_module_t *mod, tw_err *err) {
  const tw_module *m = mod->m;
  struct tw_interp_module *im = calloc(1, sizeof *im);
  if (!im) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  uint32_t n = m->nfuncs - m->nfunc_imports;
  im->nfuncs = n;
  im->funcs = calloc(n ? n : 1, sizeof *im->funcs);
  if (!im->funcs) {
    free(im);
    return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  }
  lower L;
  memset(&L, 0, sizeof L);
  L.m = m;
  L.mod = mod;
  L.im = im;
  L.err = err;
  L.H = tw_interp_handlers(mod->engine->cfg.bounds);
  twine_status_t st = TWINE_OK;
  for (uint32_t i = 0; i < n && st == TWINE_OK; i++) st = lower_func(&L, i);
  TW_VEC_FREE(&L.vs);
  TW_VEC_FREE(&L.cs);
  TW_VEC_FREE(&L.fx);
  if (st != TWINE_OK) {
    TW_VEC_FREE(&L.code);
    free(im->funcs);
    free(im);
    return st;
  }
  im->code = L.code.data;
  im->ncells = L.code.len;
  for (uint32_t i = 0; i < n; i++)
    im->funcs[i].code = im->code + (uintptr_t)im->funcs[i].code;
  mod->interp = im;
  return TWINE_OK;
}

void tw_interp_module_free(struct tw_interp_module *im) {
  if (!im) return;
  free(im->code);
  free(im->funcs);
  free(im);
}

const struct tw_icode *tw_interp_code(const struct tw_interp_module *im,
                                      uint32_t defined_index) {
  return &im->funcs[defined_index];
}

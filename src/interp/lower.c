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
#include "interp/lower_int.h"

/* ---- branch linking ---------------------------------------------------- */

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
      tw_interp_emit_move(L, &e, h - 1, 0);
      emit_op(L, TW_IOP_ret);
    }
    return;
  }
  /* Several results: first into their canonical slots (above every local,
   * so no source is overwritten), then down to fp[0..n). */
  for (uint32_t i = h - n; i < h; i++) {
    vent e = L->vs.data[i];
    tw_interp_emit_move(L, &e, i, tslot(L, i));
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
    tw_interp_emit_move(L, &e, h - n + i, tslot(L, c->base + i));
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
    s = tw_interp_slot_of(L, height(L) - 1);
    pop_n(L, 1);
  }
  uint32_t p = emit_op(L, zero ? TW_IOP_br_z : TW_IOP_br_nz);
  emit_pair(L, s, 0);
  *cell = p + 1;
  *half = 1;
  return p;
}

/* ---- control ----------------------------------------------------------------- */


static void enter_block(lower *L, uint8_t kind, const tw_blocktype *bt) {
  uint32_t np, nr;
  blocktype_arity(L, bt, &np, &nr);
  /* For `if`, take the comparison out first: the moves below write only
   * slots under the condition and read locals, so they commute with it. */
  pending_cmp pc = {-1, false, 0, 0};
  if (kind == CK_IF) pc = take_cond(L);
  uint32_t h = height(L);
  uint32_t top = (kind == CK_IF && pc.kind < 0) ? h - 1 : h; /* params end */
  for (uint32_t i = top - np; i < top; i++) tw_interp_materialize(L, i);
  for (uint32_t i = 0; i < top; i++)
    if (tw_interp_is_deferred_read(&L->vs.data[i])) tw_interp_materialize(L, i);
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
  if (fall) tw_interp_materialize_top(L, c->nresults);
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
    tw_interp_materialize_top(L, c->nresults);
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
    pc.a = tw_interp_slot_of(L, height(L) - 1);
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
  uint32_t idx = tw_interp_slot_of(L, h - 1);
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
  tw_interp_materialize_top(L, np);
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
  uint32_t idx = tw_interp_slot_of(L, h - 1);
  pop_n(L, 1);
  tw_interp_materialize_top(L, np);
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
  for (uint32_t i = 0; i < n; i++) ops[i] = tw_interp_slot_of(L, h - n + i);
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
  uint32_t a = tw_interp_slot_of(L, h - 2), b = tw_interp_slot_of(L, h - 1);
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
      tw_interp_lower_local_set(L, in->imm.index, false);
      return;
    case TW_OP_local_tee:
      tw_interp_lower_local_set(L, in->imm.index, true);
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
  tw_interp_lower_simple(L, in);
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
    L->wasm_off = in.offset;
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
    TW_VEC_FREE(&L.src);
    free(im->funcs);
    free(im);
    return st;
  }
  im->code = L.code.data;
  im->ncells = L.code.len;
  im->src = L.src.data;
  im->nsrc = L.src.len;
  for (uint32_t i = 0; i < n; i++)
    im->funcs[i].code = im->code + (uintptr_t)im->funcs[i].code;
  mod->interp = im;
  return TWINE_OK;
}

void tw_interp_module_free(struct tw_interp_module *im) {
  if (!im) return;
  free(im->src);
  free(im->code);
  free(im->funcs);
  free(im);
}

uint32_t tw_interp_src_offset(const struct tw_interp_module *im,
                              const tw_cell *ip) {
  if (!ip || ip < im->code || ip >= im->code + im->ncells || im->nsrc == 0)
    return UINT32_MAX;
  uint32_t cell = (uint32_t)(ip - im->code);
  size_t lo = 0, hi = im->nsrc; /* last entry with .cell <= cell */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (im->src[mid].cell <= cell) lo = mid;
    else hi = mid;
  }
  return im->src[lo].cell <= cell ? im->src[lo].off : UINT32_MAX;
}

const struct tw_icode *tw_interp_code(const struct tw_interp_module *im,
                                      uint32_t defined_index) {
  return &im->funcs[defined_index];
}

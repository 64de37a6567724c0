/*
 * lower_ops.c - lowering of value instructions: arithmetic with immediate
 * forms, deferred address sums (ADDI/ADD2) fused into loads and stores,
 * loads folded into the binary op that consumes them, address write-back,
 * and local.set/local.tee with result retargeting.
 */
#include "interp/lower_int.h"

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
  int af = tw_interp_facc_form(iop);
  if (af >= 0 && tw_interp_acc_ready(L, a)) iop = (unsigned)af;
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
  if (!is_load) val = tw_interp_slot_of(L, h - 1); /* may emit; the address stays */
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
    uint32_t a = tw_interp_slot_of(L, ah);
    pop_n(L, 1);
    push_temp(L);
    p = emit_op(L, op);
    emit_pair(L, tslot(L, h - 1), a);
    emit_pair(L, off, 0);
    mark_producer(L, p, op);
    return;
  }
  pop_n(L, 2);
  bool acc = op == TW_OP_f64_store && tw_interp_acc_ready(L, val);
  if (addr.kind == VK_ADDI) {
    unsigned sop = tw_iop_mem_ai(op);
    emit_op(L, acc ? (unsigned)tw_interp_facc_form(sop) : sop);
    emit_pair(L, addr.local, val);
    emit_pair(L, off, (uint32_t)addr.cval);
  } else if (addr.kind == VK_ADD2) {
    unsigned sop = tw_iop_mem_rr(op);
    emit_op(L, acc ? (unsigned)tw_interp_facc_form(sop) : sop);
    emit_pair(L, addr.local, addr.b);
    emit_pair(L, val, off);
    emit_pair(L, (uint32_t)addr.cval, 0);
  } else {
    uint32_t a = addr.kind == VK_LOCAL ? addr.local : tslot(L, ah);
    if (addr.kind == VK_CONST) {
      /* the value is already read from its slot; the address constant
       * goes to its own canonical slot, which no live entry uses */
      tw_interp_emit_const(L, tslot(L, ah), addr.cval);
      acc = false;
    }
    emit_op(L, acc ? (unsigned)tw_interp_facc_form(op) : op);
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
  int af = tw_interp_facc_form(iop);
  if (af >= 0 && tw_interp_acc_ready(L, a)) iop = (unsigned)af;
  uint32_t p = emit_op(L, iop);
  emit_pair(L, tslot(L, h - 2), a);
  emit_pair(L, base, imm);
  emit_pair(L, off, rrc);
  mark_producer(L, p, iop);
  return true;
}

void tw_interp_lower_simple(lower *L, const tw_instr *in) {
  unsigned op = in->op;
  const tw_opinfo *oi = &tw_opinfo_table[op];
  uint32_t h = height(L);
  if (oi->imm == IMM_MEMARG) {
    lower_memop(L, in, oi->r != TW_T_NO);
    return;
  }
  if ((op == TW_OP_i32_add || op == TW_OP_i32_sub) && defer_add(L, op)) return;
  if (oi->b == TW_T_NO) { /* unary */
    uint32_t a = tw_interp_slot_of(L, h - 1);
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
    uint32_t a = tw_interp_slot_of(L, h - 2);
    pop_n(L, 2);
    emit_bin_imm(L, op, a, c);
    return;
  }
  if (is_const(L, h - 2) && !is_const(L, h - 1)) {
    uint64_t c = L->vs.data[h - 2].cval;
    int sw = swapped_form(op);
    int ri = ri_form(op);
    if (sw >= 0 || ri >= 0) {
      uint32_t b = tw_interp_slot_of(L, h - 1);
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
  uint32_t a = tw_interp_slot_of(L, h - 2);
  uint32_t b = tw_interp_slot_of(L, h - 1);
  pop_n(L, 2);
  push_temp(L);
  unsigned eop = op;
  int af = tw_interp_facc_form(op);
  if (af >= 0 && tw_interp_acc_ready(L, a)) {
    eop = (unsigned)af;
  } else if (af >= 0 && (op == TW_OP_f64_add || op == TW_OP_f64_mul) &&
             tw_interp_acc_ready(L, b)) {
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

void tw_interp_lower_local_set(lower *L, uint32_t local, bool tee) {
  uint32_t h = height(L);
  vent top = L->vs.data[h - 1];
  if (top.kind == VK_LOCAL && top.local == local) {
    /* local.set x of local.get x: nothing to do */
    if (!tee) pop_n(L, 1);
    return;
  }
  bool others = false;
  for (uint32_t i = 0; i + 1 < h; i++)
    if (tw_interp_reads_local(&L->vs.data[i], local)) others = true;
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
        if (tw_interp_reads_local(&L->vs.data[i], local)) nread++, at = i;
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
        if (tw_interp_reads_local(&L->vs.data[i], local)) tw_interp_materialize(L, i);
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
    if (tw_interp_reads_local(&L->vs.data[i], local)) tw_interp_materialize(L, i);
  tw_interp_emit_move(L, &top, h - 1, local);
  if (!tee) {
    pop_n(L, 1);
  } else if (top.kind != VK_CONST) {
    /* the value now lives in the local (a deferred sum reading this very
     * local must not be re-evaluated) */
    L->vs.data[h - 1].kind = VK_LOCAL;
    L->vs.data[h - 1].local = local;
  }
}


/*
 * lower_emit.c - the lowering's virtual operand stack: materialising
 * entries into slots, moves, and the f64 accumulator bookkeeping.
 */
#include "interp/lower_int.h"

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
int tw_interp_facc_form(unsigned op) {
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
bool tw_interp_acc_ready(lower *L, uint32_t slot) {
  return L->cur_pos != NONE && writes_facc(L->cur_op) &&
         L->code.data[L->cur_pos + 1].p.a == slot;
}

void tw_interp_emit_const(lower *L, uint32_t dst, uint64_t v) {
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
void tw_interp_emit_move(lower *L, const vent *e, uint32_t src_h, uint32_t dst) {
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
      tw_interp_emit_const(L, dst, e->cval);
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
bool tw_interp_reads_local(const vent *e, uint32_t local) {
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
bool tw_interp_is_deferred_read(const vent *e) {
  return e->kind == VK_LOCAL || e->kind == VK_ADDI || e->kind == VK_ADD2;
}

void tw_interp_materialize(lower *L, uint32_t h) {
  vent *e = &L->vs.data[h];
  if (e->kind == VK_TEMP) return;
  vent copy = *e;
  tw_interp_emit_move(L, &copy, h, tslot(L, h));
  L->vs.data[h].kind = VK_TEMP;
}

void tw_interp_materialize_top(lower *L, uint32_t n) {
  uint32_t h = height(L);
  for (uint32_t i = h - n; i < h; i++) tw_interp_materialize(L, i);
}

/* Slot holding entry h (computing a constant or a deferred sum). */
uint32_t tw_interp_slot_of(lower *L, uint32_t h) {
  vent *e = &L->vs.data[h];
  if (e->kind == VK_LOCAL) return e->local;
  tw_interp_materialize(L, h);
  return tslot(L, h);
}

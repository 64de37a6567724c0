/* instr.c - instruction table and the shared instruction reader. */
#include "wasm/instr.h"

#include <pthread.h>
#include <stdio.h>

#define NO TW_T_NO
#define SP TW_T_SP
#define I32 TW_I32
#define I64 TW_I64
#define F32 TW_F32
#define F64 TW_F64
#define V128 TW_V128

const tw_opinfo tw_opinfo_table[TW_OP_COUNT] = {
#define X(ident, text, prefix_, code_, imm_, a_, b_, r_, align_) \
  [TW_OP_##ident] = {text, prefix_, imm_, a_, b_, r_, align_, code_},
#include "wasm/opcodes.def"
#undef X
};

/* opcode byte -> op + 1 (0 = illegal) */
static uint16_t single_map[256];
static uint16_t fc_map[32];
static pthread_once_t maps_once = PTHREAD_ONCE_INIT;

static void build_maps(void) {
  for (unsigned i = 0; i < TW_OP_COUNT; i++) {
    const tw_opinfo *o = &tw_opinfo_table[i];
    if (o->prefix == 0) single_map[o->code] = (uint16_t)(i + 1);
    else if (o->prefix == 0xFC && o->code < 32) fc_map[o->code] = (uint16_t)(i + 1);
  }
}

static inline void ensure_maps(void) { pthread_once(&maps_once, build_maps); }

#define RD(call)                                                          \
  do {                                                                    \
    tw_rd_status s_ = (call);                                             \
    if (s_ != TW_RD_OK)                                                   \
      return TW_FAIL(err, TWINE_ERR_MALFORMED, r->pos, "%s",              \
                     tw_rd_status_str(s_));                               \
  } while (0)

static twine_status_t zero_byte(tw_reader *r, tw_err *err) {
  uint8_t b;
  RD(tw_rd_u8(r, &b));
  if (b != 0)
    return TW_FAIL(err, TWINE_ERR_MALFORMED, r->pos - 1, "zero byte expected");
  return TWINE_OK;
}

static twine_status_t read_blocktype(tw_reader *r, tw_blocktype *bt,
                                     tw_err *err) {
  if (tw_rd_left(r) == 0)
    return TW_FAIL(err, TWINE_ERR_MALFORMED, r->pos, "unexpected end");
  uint8_t b = r->buf[r->pos];
  if (b == 0x40) {
    r->pos++;
    bt->kind = TW_BT_EMPTY;
    return TWINE_OK;
  }
  if (tw_valtype_known(b)) {
    r->pos++;
    if (b == TW_V128)
      return TW_FAIL(err, TWINE_ERR_UNSUPPORTED, r->pos - 1,
                     "SIMD not supported yet (v128 block type)");
    bt->kind = TW_BT_VALTYPE;
    bt->type = b;
    return TWINE_OK;
  }
  size_t at = r->pos;
  int64_t v;
  RD(tw_rd_sleb(r, 33, &v));
  if (v < 0)
    return TW_FAIL(err, TWINE_ERR_MALFORMED, at, "malformed block type");
  bt->kind = TW_BT_TYPEIDX;
  bt->index = (uint32_t)v;
  return TWINE_OK;
}

twine_status_t tw_wasm_read_instr(tw_reader *r, tw_instr *out, tw_err *err) {
  ensure_maps();
  out->offset = (uint32_t)r->pos;
  uint8_t b;
  RD(tw_rd_u8(r, &b));
  unsigned opi;
  if (b == 0xFC) {
    uint32_t sub;
    RD(tw_rd_u32(r, &sub));
    if (sub >= 32 || !fc_map[sub])
      return TW_FAIL(err, TWINE_ERR_MALFORMED, out->offset,
                     "illegal opcode 0xfc %u", sub);
    opi = fc_map[sub] - 1u;
  } else if (b == 0xFD) {
    return TW_FAIL(err, TWINE_ERR_UNSUPPORTED, out->offset,
                   "SIMD not supported yet (opcode 0xfd)");
  } else {
    if (!single_map[b])
      return TW_FAIL(err, TWINE_ERR_MALFORMED, out->offset,
                     "illegal opcode 0x%02x", b);
    opi = single_map[b] - 1u;
  }
  out->op = (tw_opcode)opi;
  switch ((tw_immkind)tw_opinfo_table[opi].imm) {
    case IMM_NONE:
      break;
    case IMM_BLOCKTYPE:
      return read_blocktype(r, &out->imm.block, err);
    case IMM_LABEL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_DATA:
    case IMM_ELEM:
      RD(tw_rd_u32(r, &out->imm.index));
      break;
    case IMM_BR_TABLE: {
      uint32_t n;
      RD(tw_rd_u32(r, &n));
      out->imm.br_table.count = n;
      out->imm.br_table.targets_pos = (uint32_t)r->pos;
      uint32_t t;
      for (uint64_t i = 0; i < (uint64_t)n; i++) RD(tw_rd_u32(r, &t));
      RD(tw_rd_u32(r, &out->imm.br_table.default_label));
      break;
    }
    case IMM_CALL_INDIRECT:
      RD(tw_rd_u32(r, &out->imm.call_indirect.type));
      RD(tw_rd_u32(r, &out->imm.call_indirect.table));
      break;
    case IMM_SELECT_T: {
      uint32_t n;
      RD(tw_rd_u32(r, &n));
      out->imm.select.count = n;
      out->imm.select.type = 0;
      for (uint64_t i = 0; i < (uint64_t)n; i++) {
        uint8_t t;
        RD(tw_rd_u8(r, &t));
        if (!tw_valtype_known(t))
          return TW_FAIL(err, TWINE_ERR_MALFORMED, r->pos - 1,
                         "malformed value type 0x%02x", t);
        if (t == TW_V128)
          return TW_FAIL(err, TWINE_ERR_UNSUPPORTED, r->pos - 1,
                         "SIMD not supported yet (v128 select)");
        if (i == 0) out->imm.select.type = t;
      }
      break;
    }
    case IMM_MEMARG:
      RD(tw_rd_u32(r, &out->imm.memarg.align));
      RD(tw_rd_u32(r, &out->imm.memarg.offset));
      out->imm.memarg.mem = 0;
      break;
    case IMM_MEMIDX:
      out->imm.index = 0;
      return zero_byte(r, err);
    case IMM_I32:
      RD(tw_rd_s32(r, &out->imm.i32));
      break;
    case IMM_I64:
      RD(tw_rd_s64(r, &out->imm.i64));
      break;
    case IMM_F32: {
      uint8_t raw[4];
      RD(tw_rd_fixed(r, raw, 4));
      out->imm.f32 = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 |
                     (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 24;
      break;
    }
    case IMM_F64: {
      uint8_t raw[8];
      RD(tw_rd_fixed(r, raw, 8));
      uint64_t v = 0;
      for (int i = 7; i >= 0; i--) v = v << 8 | raw[i];
      out->imm.f64 = v;
      break;
    }
    case IMM_REFTYPE: {
      uint8_t t;
      RD(tw_rd_u8(r, &t));
      if (t != TW_FUNCREF && t != TW_EXTERNREF)
        return TW_FAIL(err, TWINE_ERR_MALFORMED, r->pos - 1,
                       "malformed reference type 0x%02x", t);
      out->imm.reftype = t;
      break;
    }
    case IMM_MEMORY_INIT:
      RD(tw_rd_u32(r, &out->imm.pair.a));
      out->imm.pair.b = 0;
      return zero_byte(r, err);
    case IMM_MEMORY_COPY: {
      out->imm.pair.a = out->imm.pair.b = 0;
      twine_status_t s = zero_byte(r, err);
      if (s) return s;
      return zero_byte(r, err);
    }
    case IMM_TABLE_INIT:
      RD(tw_rd_u32(r, &out->imm.pair.a));
      RD(tw_rd_u32(r, &out->imm.pair.b));
      break;
    case IMM_TABLE_COPY:
      RD(tw_rd_u32(r, &out->imm.pair.a));
      RD(tw_rd_u32(r, &out->imm.pair.b));
      break;
  }
  return TWINE_OK;
}

uint32_t tw_wasm_br_table_target(const uint8_t *bytes, const tw_instr *in,
                                 uint32_t i) {
  if (i >= in->imm.br_table.count) return in->imm.br_table.default_label;
  tw_reader r = tw_reader_make(bytes, in->imm.br_table.targets_pos, SIZE_MAX);
  uint32_t t = 0;
  for (uint32_t k = 0; k <= i; k++) (void)tw_rd_u32(&r, &t);
  return t;
}

const char *tw_valtype_name(tw_valtype t) {
  switch (t) {
    case TW_I32: return "i32";
    case TW_I64: return "i64";
    case TW_F32: return "f32";
    case TW_F64: return "f64";
    case TW_V128: return "v128";
    case TW_FUNCREF: return "funcref";
    case TW_EXTERNREF: return "externref";
  }
  return "unknown";
}

bool tw_valtype_known(uint8_t b) {
  return b == TW_I32 || b == TW_I64 || b == TW_F32 || b == TW_F64 ||
         b == TW_V128 || b == TW_FUNCREF || b == TW_EXTERNREF;
}

bool tw_functype_eq(const tw_functype *a, const tw_functype *b) {
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  uint32_t n = a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, n) == 0;
}

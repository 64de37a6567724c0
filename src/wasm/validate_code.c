/*
 * validate_code.c - typing of function bodies.
 *
 * Implements the validation algorithm of the spec's appendix: an operand
 * stack of value types (UNK = the Unknown type produced by popping from the
 * empty stack of unreachable code) and a stack of control frames, each with
 * its start types (params), end types (results), the operand stack height
 * at entry and an "unreachable" flag. Both stacks are heap-allocated,
 * growable and bounded (MAX_VALS, MAX_CTRLS); the body is read once,
 * instruction by instruction, without recursion, so the work is linear in
 * the body size (times the arity of the types involved).
 *
 * Invariant: operand stack entries above the current frame's height are
 * UNK only if that frame is unreachable.
 *
 * Simple instructions (numeric ops, loads, stores, constants) are typed
 * generically from the a/b/r columns of opcodes.def; the rows marked SP
 * have a case each in step().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/vec.h"
#include "wasm/instr.h"
#include "wasm/validate_internal.h"

#define UNK 0u /* Unknown operand type (unreachable code) */

/* Bounds on hostile input: deeper stacks are an implementation limit. */
#define MAX_VALS (1u << 20)
#define MAX_CTRLS (1u << 20)

enum { FR_FUNC, FR_BLOCK, FR_LOOP, FR_IF, FR_ELSE };

typedef struct vframe {
  const tw_valtype *params;  /* start types */
  const tw_valtype *results; /* end types */
  uint32_t nparams, nresults;
  size_t height;  /* operand stack height at entry */
  uint64_t stamp; /* last br_table that checked this label */
  uint8_t kind;   /* FR_* */
  bool unreachable;
} vframe;

struct tw_wasm_vcode {
  TW_VEC(uint8_t) vals;
  TW_VEC(vframe) ctrls;
  uint64_t stamp;
};

typedef struct vctx {
  const tw_module *m;
  tw_wasm_vcode *vc;
  tw_err *err;
  const tw_functype *ft;
  const tw_func *fn;
  uint32_t func; /* index in the function index space */
  uint32_t at;   /* offset of the instruction being checked */
} vctx;

/* A one-element result list for each value type (block type `t`). */
static const tw_valtype k_one[256] = {
    [TW_I32] = TW_I32,         [TW_I64] = TW_I64,
    [TW_F32] = TW_F32,         [TW_F64] = TW_F64,
    [TW_V128] = TW_V128,       [TW_FUNCREF] = TW_FUNCREF,
    [TW_EXTERNREF] = TW_EXTERNREF,
};

tw_wasm_vcode *tw_wasm_vcode_new(void) {
  return calloc(1, sizeof(tw_wasm_vcode));
}

void tw_wasm_vcode_free(tw_wasm_vcode *vc) {
  if (!vc) return;
  TW_VEC_FREE(&vc->vals);
  TW_VEC_FREE(&vc->ctrls);
  free(vc);
}

/* ---- failures ----------------------------------------------------------- */

static twine_status_t vfail(vctx *v, twine_status_t st, const char *file,
                            int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static twine_status_t vfail(vctx *v, twine_status_t st, const char *file,
                            int line, const char *fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tw_err_set(v->err, st, v->at, file, line,
                    "function %u at offset 0x%x: %s", v->func, v->at, msg);
}

#define FAIL(v, ...) vfail((v), TWINE_ERR_INVALID, __FILE__, __LINE__, __VA_ARGS__)
#define FAIL_ST(v, st, ...) vfail((v), (st), __FILE__, __LINE__, __VA_ARGS__)
#define TRY(x)                       \
  do {                               \
    twine_status_t s_ = (x);         \
    if (s_ != TWINE_OK) return s_;   \
  } while (0)

static const char *tname(uint8_t t) {
  return t == UNK ? "unknown" : tw_valtype_name(t);
}

/* ---- operand stack ------------------------------------------------------ */

static inline vframe *top_frame(vctx *v) {
  return &v->vc->ctrls.data[v->vc->ctrls.len - 1];
}

/* Frame `depth` labels out from the innermost (0 = innermost). */
static inline vframe *frame_at(vctx *v, uint32_t depth) {
  return &v->vc->ctrls.data[v->vc->ctrls.len - 1 - depth];
}

static inline void label_types(const vframe *f, const tw_valtype **types,
                               uint32_t *n) {
  if (f->kind == FR_LOOP) {
    *types = f->params;
    *n = f->nparams;
  } else {
    *types = f->results;
    *n = f->nresults;
  }
}

static twine_status_t reserve_vals(vctx *v, size_t n) {
  tw_wasm_vcode *c = v->vc;
  if (n > MAX_VALS - c->vals.len)
    return FAIL_ST(v, TWINE_ERR_LIMIT, "operand stack deeper than %u values",
                   MAX_VALS);
  if (!TW_VEC_RESERVE(&c->vals, n))
    return FAIL_ST(v, TWINE_ERR_NOMEM, "out of memory");
  return TWINE_OK;
}

static inline twine_status_t push(vctx *v, uint8_t t) {
  tw_wasm_vcode *c = v->vc;
  if (c->vals.len >= c->vals.cap) TRY(reserve_vals(v, 1));
  c->vals.data[c->vals.len++] = t;
  return TWINE_OK;
}

static twine_status_t push_vals(vctx *v, const tw_valtype *types, uint32_t n) {
  if (n == 0) return TWINE_OK;
  TRY(reserve_vals(v, n));
  tw_wasm_vcode *c = v->vc;
  memcpy(c->vals.data + c->vals.len, types, n);
  c->vals.len += n;
  return TWINE_OK;
}

static twine_status_t pop_any(vctx *v, uint8_t *out) {
  tw_wasm_vcode *c = v->vc;
  vframe *f = top_frame(v);
  if (c->vals.len == f->height) {
    if (f->unreachable) {
      *out = UNK;
      return TWINE_OK;
    }
    return FAIL(v, "type mismatch: expected an operand, but the stack is empty");
  }
  *out = c->vals.data[--c->vals.len];
  return TWINE_OK;
}

static twine_status_t pop_expect(vctx *v, uint8_t want) {
  tw_wasm_vcode *c = v->vc;
  vframe *f = top_frame(v);
  if (c->vals.len == f->height) {
    if (f->unreachable) return TWINE_OK;
    return FAIL(v, "type mismatch: expected %s, but the stack is empty",
                tname(want));
  }
  uint8_t got = c->vals.data[--c->vals.len];
  if (got != want && got != UNK)
    return FAIL(v, "type mismatch: expected %s, got %s", tname(want),
                tname(got));
  return TWINE_OK;
}

/* got[i] == want[i] or got[i] == UNK for all i < k? Eight entries at a
 * time (a byte of a word is nonzero iff bit 7 of ((b & 0x7f) + 0x7f) | b
 * is set), since br_table may compare long type lists many times. */
static bool wild_match(const uint8_t *got, const tw_valtype *want, size_t k) {
  const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    uint64_t g, w;
    memcpy(&g, got + i, 8);
    memcpy(&w, want + i, 8);
    uint64_t x = g ^ w;
    bad |= ((((x & lo7) + lo7) | x) & hi) & ((((g & lo7) + lo7) | g) & hi);
  }
  for (; i < k; i++) bad |= (uint64_t)((got[i] != want[i]) & (got[i] != UNK));
  return bad == 0;
}

/* Check the stack top against types[0..n) (types[n-1] on top). Missing
 * operands of an unreachable frame are Unknown and match anything; *present
 * is set to the number of stack entries that took part. Costs O(present):
 * in unreachable code, popping from the empty stack is free. */
static twine_status_t match_top(vctx *v, const tw_valtype *types, uint32_t n,
                                size_t *present) {
  tw_wasm_vcode *c = v->vc;
  vframe *f = top_frame(v);
  size_t avail = c->vals.len - f->height;
  size_t k = avail < n ? avail : n;
  *present = k;
  if (k > 0) {
    const uint8_t *got = c->vals.data + c->vals.len - k;
    const tw_valtype *want = types + (n - k);
    if (memcmp(got, want, k) != 0 && !wild_match(got, want, k)) {
      size_t i = k; /* report the mismatch nearest the top */
      while (i-- > 0 && (got[i] == want[i] || got[i] == UNK)) {
      }
      return FAIL(v, "type mismatch: expected %s, got %s", tname(want[i]),
                  tname(got[i]));
    }
  }
  if (k < n && !f->unreachable)
    return FAIL(v, "type mismatch: expected %s, but the stack is empty "
                   "(%u operands needed, %zu present)",
                tname(types[n - k - 1]), n, k);
  return TWINE_OK;
}

/* Pop types[n-1] ... types[0] (the last type is on top). */
static twine_status_t pop_vals(vctx *v, const tw_valtype *types, uint32_t n) {
  if (n == 0) return TWINE_OK;
  size_t k;
  TRY(match_top(v, types, n, &k));
  v->vc->vals.len -= k;
  return TWINE_OK;
}

/* Check the operands of a branch without popping them, as
 * push_vals(pop_vals(types)) would. */
static twine_status_t peek_vals(vctx *v, const tw_valtype *types, uint32_t n) {
  if (n == 0) return TWINE_OK;
  size_t k;
  return match_top(v, types, n, &k);
}

static void set_unreachable(vctx *v) {
  vframe *f = top_frame(v);
  v->vc->vals.len = f->height;
  f->unreachable = true;
}

/* ---- control stack ------------------------------------------------------ */

static twine_status_t push_ctrl(vctx *v, uint8_t kind, const tw_valtype *p,
                                uint32_t np, const tw_valtype *r,
                                uint32_t nr) {
  tw_wasm_vcode *c = v->vc;
  if (c->ctrls.len >= MAX_CTRLS)
    return FAIL_ST(v, TWINE_ERR_LIMIT, "blocks nested deeper than %u",
                   MAX_CTRLS);
  vframe f = {p, r, np, nr, c->vals.len, 0, kind, false};
  if (!TW_VEC_PUSH(&c->ctrls, f))
    return FAIL_ST(v, TWINE_ERR_NOMEM, "out of memory");
  return push_vals(v, p, np);
}

static twine_status_t pop_ctrl(vctx *v, vframe *out) {
  vframe *f = top_frame(v);
  TRY(pop_vals(v, f->results, f->nresults));
  if (v->vc->vals.len != f->height)
    return FAIL(v, "type mismatch: %zu extra operands at the end of the block",
                v->vc->vals.len - f->height);
  *out = *f;
  v->vc->ctrls.len--;
  return TWINE_OK;
}

static bool same_types(const tw_valtype *a, uint32_t na, const tw_valtype *b,
                       uint32_t nb) {
  return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* ---- context lookups ---------------------------------------------------- */

static twine_status_t block_type(vctx *v, const tw_blocktype *bt,
                                 const tw_valtype **p, uint32_t *np,
                                 const tw_valtype **r, uint32_t *nr) {
  *p = *r = NULL;
  *np = *nr = 0;
  switch (bt->kind) {
    case TW_BT_EMPTY:
      return TWINE_OK;
    case TW_BT_VALTYPE:
      if (!tw_valtype_known(bt->type) || bt->type == TW_V128)
        return FAIL_ST(v, TWINE_ERR_MALFORMED, "malformed block type 0x%02x",
                       bt->type);
      *r = &k_one[bt->type];
      *nr = 1;
      return TWINE_OK;
    case TW_BT_TYPEIDX: {
      if (bt->index >= v->m->ntypes)
        return FAIL(v, "unknown type %u", bt->index);
      const tw_functype *ft = &v->m->types[bt->index];
      *p = tw_ft_params(ft);
      *np = ft->nparams;
      *r = tw_ft_results(ft);
      *nr = ft->nresults;
      return TWINE_OK;
    }
  }
  return FAIL_ST(v, TWINE_ERR_MALFORMED, "malformed block type");
}

static twine_status_t need_memory(vctx *v, uint32_t mem) {
  if (mem >= v->m->nmems) return FAIL(v, "unknown memory %u", mem);
  return TWINE_OK;
}

static twine_status_t need_table(vctx *v, uint32_t t) {
  if (t >= v->m->ntables) return FAIL(v, "unknown table %u", t);
  return TWINE_OK;
}

static twine_status_t need_elem(vctx *v, uint32_t e) {
  if (e >= v->m->nelems) return FAIL(v, "unknown elem segment %u", e);
  return TWINE_OK;
}

static twine_status_t need_data(vctx *v, uint32_t d) {
  if (d >= v->m->ndatas) return FAIL(v, "unknown data segment %u", d);
  /* In the binary format memory.init and data.drop need a data count
   * section (a decoding rule; checked here too in case the decoder left
   * it to us). The range check comes first so that a module without any
   * data segment reports "unknown data segment", as the spec tests of
   * text modules expect. */
  if (!v->m->has_datacount)
    return FAIL_ST(v, TWINE_ERR_MALFORMED, "data count section required");
  return TWINE_OK;
}

static twine_status_t local_type(vctx *v, uint32_t idx, uint8_t *t) {
  uint32_t np = v->ft->nparams;
  if (idx < np) {
    *t = tw_ft_params(v->ft)[idx];
    return TWINE_OK;
  }
  if (idx - np < v->fn->nlocals) {
    *t = v->fn->locals[idx - np];
    return TWINE_OK;
  }
  return FAIL(v, "unknown local %u", idx);
}

static inline bool is_num(uint8_t t) {
  return t == TW_I32 || t == TW_I64 || t == TW_F32 || t == TW_F64 || t == UNK;
}
static inline bool is_vec(uint8_t t) { return t == TW_V128 || t == UNK; }
static inline bool is_ref(uint8_t t) {
  return t == TW_FUNCREF || t == TW_EXTERNREF || t == UNK;
}

static twine_status_t pop_i32s(vctx *v, int n) {
  for (int i = 0; i < n; i++) TRY(pop_expect(v, TW_I32));
  return TWINE_OK;
}

/* ---- instructions ------------------------------------------------------- */

static twine_status_t check_br_table(vctx *v, const tw_instr *in) {
  const tw_module *m = v->m;
  tw_wasm_vcode *c = v->vc;
  TRY(pop_expect(v, TW_I32));
  uint32_t def = in->imm.br_table.default_label;
  if (def >= c->ctrls.len) return FAIL(v, "unknown label %u", def);
  const tw_valtype *dtypes;
  uint32_t arity;
  label_types(frame_at(v, def), &dtypes, &arity);
  uint64_t stamp = ++c->stamp;
  tw_reader r = tw_reader_make(m->bytes, in->imm.br_table.targets_pos,
                               v->fn->body_end);
  for (uint32_t i = 0; i < in->imm.br_table.count; i++) {
    uint32_t l;
    if (tw_rd_u32(&r, &l) != TW_RD_OK)
      return FAIL_ST(v, TWINE_ERR_MALFORMED, "malformed br_table");
    if (l >= c->ctrls.len) return FAIL(v, "unknown label %u", l);
    vframe *f = frame_at(v, l);
    const tw_valtype *types;
    uint32_t n;
    label_types(f, &types, &n);
    if (n != arity)
      return FAIL(v, "type mismatch: br_table target %u has arity %u, the "
                     "default has %u", l, n, arity);
    if (f->stamp == stamp) continue; /* this label was checked already */
    f->stamp = stamp;
    TRY(peek_vals(v, types, n));
  }
  TRY(pop_vals(v, dtypes, arity));
  set_unreachable(v);
  return TWINE_OK;
}

static twine_status_t check_call(vctx *v, const tw_functype *ft) {
  TRY(pop_vals(v, tw_ft_params(ft), ft->nparams));
  return push_vals(v, tw_ft_results(ft), ft->nresults);
}

/* Instructions with a special typing rule (the SP rows of opcodes.def). */
static twine_status_t step_special(vctx *v, const tw_instr *in) {
  const tw_module *m = v->m;
  tw_wasm_vcode *c = v->vc;
  uint8_t t, t1, t2;
  switch (in->op) {
    case TW_OP_unreachable:
      set_unreachable(v);
      return TWINE_OK;
    case TW_OP_nop:
      return TWINE_OK;

    case TW_OP_block:
    case TW_OP_loop:
    case TW_OP_if_: {
      const tw_valtype *p, *r;
      uint32_t np, nr;
      TRY(block_type(v, &in->imm.block, &p, &np, &r, &nr));
      if (in->op == TW_OP_if_) TRY(pop_expect(v, TW_I32));
      TRY(pop_vals(v, p, np));
      uint8_t kind = in->op == TW_OP_block  ? FR_BLOCK
                     : in->op == TW_OP_loop ? FR_LOOP
                                            : FR_IF;
      return push_ctrl(v, kind, p, np, r, nr);
    }
    case TW_OP_else_: {
      if (top_frame(v)->kind != FR_IF)
        return FAIL_ST(v, TWINE_ERR_MALFORMED, "else without matching if");
      vframe f;
      TRY(pop_ctrl(v, &f));
      return push_ctrl(v, FR_ELSE, f.params, f.nparams, f.results, f.nresults);
    }
    case TW_OP_end: {
      vframe f;
      TRY(pop_ctrl(v, &f));
      /* `if` without `else`: the empty else branch must turn the params
       * into the results. */
      if (f.kind == FR_IF &&
          !same_types(f.params, f.nparams, f.results, f.nresults))
        return FAIL(v, "type mismatch: if without else must have equal "
                       "parameter and result types");
      if (c->ctrls.len == 0) return TWINE_OK;
      return push_vals(v, f.results, f.nresults);
    }

    case TW_OP_br:
    case TW_OP_br_if: {
      if (in->op == TW_OP_br_if) TRY(pop_expect(v, TW_I32));
      uint32_t l = in->imm.index;
      if (l >= c->ctrls.len) return FAIL(v, "unknown label %u", l);
      const tw_valtype *types;
      uint32_t n;
      label_types(frame_at(v, l), &types, &n);
      TRY(pop_vals(v, types, n));
      if (in->op == TW_OP_br_if) return push_vals(v, types, n);
      set_unreachable(v);
      return TWINE_OK;
    }
    case TW_OP_br_table:
      return check_br_table(v, in);
    case TW_OP_return_:
      TRY(pop_vals(v, tw_ft_results(v->ft), v->ft->nresults));
      set_unreachable(v);
      return TWINE_OK;
    case TW_OP_call:
      if (in->imm.index >= m->nfuncs)
        return FAIL(v, "unknown function %u", in->imm.index);
      return check_call(v, tw_module_func_type(m, in->imm.index));
    case TW_OP_call_indirect: {
      uint32_t tab = in->imm.call_indirect.table;
      uint32_t ty = in->imm.call_indirect.type;
      TRY(need_table(v, tab));
      if (m->tables[tab].elem != TW_FUNCREF)
        return FAIL(v, "type mismatch: call_indirect on table %u of %s", tab,
                    tname(m->tables[tab].elem));
      if (ty >= m->ntypes) return FAIL(v, "unknown type %u", ty);
      TRY(pop_expect(v, TW_I32));
      return check_call(v, &m->types[ty]);
    }

    case TW_OP_drop:
      return pop_any(v, &t);
    case TW_OP_select:
      TRY(pop_expect(v, TW_I32));
      TRY(pop_any(v, &t1));
      TRY(pop_any(v, &t2));
      if (!((is_num(t1) && is_num(t2)) || (is_vec(t1) && is_vec(t2))))
        return FAIL(v, "type mismatch: select without a type needs numeric "
                       "operands, got %s and %s", tname(t2), tname(t1));
      if (t1 != t2 && t1 != UNK && t2 != UNK)
        return FAIL(v, "type mismatch: select operands %s and %s differ",
                    tname(t2), tname(t1));
      return push(v, t1 == UNK ? t2 : t1);
    case TW_OP_select_t:
      if (in->imm.select.count != 1)
        return FAIL(v, "invalid result arity %u for select",
                    in->imm.select.count);
      t = in->imm.select.type;
      TRY(pop_expect(v, TW_I32));
      TRY(pop_expect(v, t));
      TRY(pop_expect(v, t));
      return push(v, t);

    case TW_OP_local_get:
      TRY(local_type(v, in->imm.index, &t));
      return push(v, t);
    case TW_OP_local_set:
      TRY(local_type(v, in->imm.index, &t));
      return pop_expect(v, t);
    case TW_OP_local_tee:
      TRY(local_type(v, in->imm.index, &t));
      TRY(pop_expect(v, t));
      return push(v, t);
    case TW_OP_global_get:
      if (in->imm.index >= m->nglobals)
        return FAIL(v, "unknown global %u", in->imm.index);
      return push(v, m->global_types[in->imm.index].type);
    case TW_OP_global_set:
      if (in->imm.index >= m->nglobals)
        return FAIL(v, "unknown global %u", in->imm.index);
      if (!m->global_types[in->imm.index].mut)
        return FAIL(v, "global is immutable: global %u", in->imm.index);
      return pop_expect(v, m->global_types[in->imm.index].type);

    case TW_OP_table_get:
      TRY(need_table(v, in->imm.index));
      TRY(pop_expect(v, TW_I32));
      return push(v, m->tables[in->imm.index].elem);
    case TW_OP_table_set:
      TRY(need_table(v, in->imm.index));
      TRY(pop_expect(v, m->tables[in->imm.index].elem));
      return pop_expect(v, TW_I32);
    case TW_OP_table_size:
      TRY(need_table(v, in->imm.index));
      return push(v, TW_I32);
    case TW_OP_table_grow:
      TRY(need_table(v, in->imm.index));
      TRY(pop_expect(v, TW_I32));
      TRY(pop_expect(v, m->tables[in->imm.index].elem));
      return push(v, TW_I32);
    case TW_OP_table_fill:
      TRY(need_table(v, in->imm.index));
      TRY(pop_expect(v, TW_I32));
      TRY(pop_expect(v, m->tables[in->imm.index].elem));
      return pop_expect(v, TW_I32);
    case TW_OP_table_copy: {
      uint32_t dst = in->imm.pair.a, src = in->imm.pair.b;
      TRY(need_table(v, dst));
      TRY(need_table(v, src));
      if (m->tables[dst].elem != m->tables[src].elem)
        return FAIL(v, "type mismatch: table.copy from %s table to %s table",
                    tname(m->tables[src].elem), tname(m->tables[dst].elem));
      return pop_i32s(v, 3);
    }
    case TW_OP_table_init: {
      uint32_t seg = in->imm.pair.a, tab = in->imm.pair.b;
      TRY(need_table(v, tab));
      TRY(need_elem(v, seg));
      if (m->tables[tab].elem != m->elems[seg].type)
        return FAIL(v, "type mismatch: table.init of %s table from %s segment",
                    tname(m->tables[tab].elem), tname(m->elems[seg].type));
      return pop_i32s(v, 3);
    }
    case TW_OP_elem_drop:
      return need_elem(v, in->imm.index);

    case TW_OP_memory_size:
      TRY(need_memory(v, in->imm.index));
      return push(v, TW_I32);
    case TW_OP_memory_grow:
      TRY(need_memory(v, in->imm.index));
      TRY(pop_expect(v, TW_I32));
      return push(v, TW_I32);
    case TW_OP_memory_fill:
      TRY(need_memory(v, in->imm.index));
      return pop_i32s(v, 3);
    case TW_OP_memory_copy:
      TRY(need_memory(v, in->imm.pair.a));
      TRY(need_memory(v, in->imm.pair.b));
      return pop_i32s(v, 3);
    case TW_OP_memory_init:
      TRY(need_memory(v, in->imm.pair.b));
      TRY(need_data(v, in->imm.pair.a));
      return pop_i32s(v, 3);
    case TW_OP_data_drop:
      return need_data(v, in->imm.index);

    case TW_OP_ref_null:
      return push(v, in->imm.reftype);
    case TW_OP_ref_is_null:
      TRY(pop_any(v, &t));
      if (!is_ref(t))
        return FAIL(v, "type mismatch: ref.is_null needs a reference, got %s",
                    tname(t));
      return push(v, TW_I32);
    case TW_OP_ref_func: {
      uint32_t f = in->imm.index;
      if (f >= m->nfuncs) return FAIL(v, "unknown function %u", f);
      if (!m->declared_refs || !(m->declared_refs[f >> 3] & (1u << (f & 7))))
        return FAIL(v, "undeclared function reference %u", f);
      return push(v, TW_FUNCREF);
    }

    default:
      break;
  }
  return FAIL_ST(v, TWINE_ERR_UNSUPPORTED, "instruction %s not supported",
                 tw_opinfo_table[in->op].name);
}

static twine_status_t step(vctx *v, const tw_instr *in) {
  const tw_opinfo *oi = &tw_opinfo_table[in->op];
  if (oi->r == TW_T_SP) return step_special(v, in);
  if (oi->imm == IMM_MEMARG) {
    TRY(need_memory(v, in->imm.memarg.mem));
    if (in->imm.memarg.align > oi->align)
      return FAIL(v, "alignment must not be larger than natural (2^%u > %u "
                     "bytes for %s)", in->imm.memarg.align, 1u << oi->align,
                  oi->name);
  }
  if (oi->b != TW_T_NO) TRY(pop_expect(v, oi->b));
  if (oi->a != TW_T_NO) TRY(pop_expect(v, oi->a));
  if (oi->r != TW_T_NO) TRY(push(v, oi->r));
  return TWINE_OK;
}

twine_status_t tw_wasm_validate_func(const tw_module *m, uint32_t func_index,
                                     tw_wasm_vcode *vc, tw_err *err) {
  vctx v = {m, vc, err, NULL, NULL, func_index, 0};
  if (func_index < m->nfunc_imports || func_index >= m->nfuncs)
    return FAIL_ST(&v, TWINE_ERR_ARG, "not a defined function");
  const tw_func *fn = &m->funcs[func_index - m->nfunc_imports];
  v.fn = fn;
  v.at = fn->code_start;
  if (m->func_types[func_index] >= m->ntypes)
    return FAIL(&v, "unknown type %u", m->func_types[func_index]);
  v.ft = tw_module_func_type(m, func_index);
  if (fn->body_start > fn->body_end || fn->body_end > m->size)
    return FAIL_ST(&v, TWINE_ERR_MALFORMED, "bad body range");

  vc->vals.len = 0;
  vc->ctrls.len = 0;
  TRY(push_ctrl(&v, FR_FUNC, NULL, 0, tw_ft_results(v.ft), v.ft->nresults));
  tw_reader r = tw_reader_make(m->bytes, fn->body_start, fn->body_end);
  while (vc->ctrls.len > 0) {
    v.at = (uint32_t)r.pos;
    if (tw_rd_done(&r))
      return FAIL_ST(&v, TWINE_ERR_MALFORMED, "END opcode expected");
    tw_instr in;
    twine_status_t s = tw_wasm_read_instr(&r, &in, err);
    if (s != TWINE_OK) {
      tw_err_prefix(err, "function %u at offset 0x%x: ", func_index, v.at);
      return s;
    }
    v.at = in.offset;
    TRY(step(&v, &in));
  }
  if (r.pos != fn->body_end) {
    v.at = (uint32_t)r.pos;
    return FAIL_ST(&v, TWINE_ERR_MALFORMED,
                   "operators remaining after end of function");
  }
  return TWINE_OK;
}

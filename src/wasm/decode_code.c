/*
 * decode_code.c - the decoder's syntax pass over instructions: function
 * bodies (local declarations, then instructions) and constant expressions.
 *
 * Every instruction goes through the shared reader (instr.c). The pass
 * tracks block nesting only: block/loop/if open a level, `else` is allowed
 * once directly inside an `if`, `end` closes a level, and the `end` that
 * closes the outermost level must be the last byte of the body (for a
 * constant expression: it ends the expression). Typing is the validator's.
 *
 * Declared locals are expanded into one buffer for the whole module and
 * attached to the functions when decoding ends, in the same allocation as
 * m->funcs. Their module-wide total is capped (16 Mi + 8 per input byte),
 * since a few bytes can declare thousands of locals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/decode_int.h"
#include "wasm/instr.h"

enum { CTL_PLAIN = 0, CTL_IF = 1, CTL_ELSE = 2 };

/* The instruction reader says "unexpected end" when its reader runs out;
 * ours always ends at a section or body end, so say which end it was. */
static twine_status_t instr_fail(tw_dec *d, twine_status_t st) {
  if (st == TWINE_ERR_MALFORMED && d->err &&
      strcmp(d->err->msg, "unexpected end") == 0)
    snprintf(d->err->msg, sizeof d->err->msg,
             "unexpected end of section or function");
  return st;
}

/* Read instructions until the `end` closing the outermost level. */
static twine_status_t scan(tw_dec *d, tw_reader *r, bool body,
                           uint32_t func) {
  d->ctl.len = 0;
  if (!TW_VEC_PUSH(&d->ctl, CTL_PLAIN))
    return TW_FAIL(d->err, TWINE_ERR_NOMEM, r->pos, "out of memory");
  for (;;) {
    if (tw_rd_done(r))
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, r->pos,
                     "unexpected end of section or function: END opcode "
                     "expected (%zu blocks open)", d->ctl.len);
    tw_instr in;
    twine_status_t st = tw_wasm_read_instr(r, &in, d->err);
    if (st) return instr_fail(d, st);
    switch (in.op) {
      case TW_OP_block:
      case TW_OP_loop:
      case TW_OP_if_:
        if (!TW_VEC_PUSH(&d->ctl, in.op == TW_OP_if_ ? CTL_IF : CTL_PLAIN))
          return TW_FAIL(d->err, TWINE_ERR_NOMEM, in.offset, "out of memory");
        break;
      case TW_OP_else_:
        if (d->ctl.data[d->ctl.len - 1] != CTL_IF)
          return TW_FAIL(d->err, TWINE_ERR_MALFORMED, in.offset,
                         "END opcode expected (else without a matching if)");
        d->ctl.data[d->ctl.len - 1] = CTL_ELSE;
        break;
      case TW_OP_end:
        if (--d->ctl.len == 0) return TWINE_OK;
        break;
      case TW_OP_memory_init:
      case TW_OP_data_drop:
        if (body && !d->data_use_at) {
          d->data_use_at = (size_t)in.offset + 1;
          d->data_use_func = func;
        }
        break;
      default:
        break;
    }
  }
}

twine_status_t tw_wasm_dec_expr(tw_dec *d, tw_reader *r, tw_constexpr *out) {
  size_t start = r->pos;
  DEC_TRY(scan(d, r, false, 0));
  out->start = (uint32_t)start;
  out->end = (uint32_t)r->pos;
  return TWINE_OK;
}

/* Local declarations: vec((count, valtype)). Read once to check them and
 * sum the counts, then again to expand them. */
static twine_status_t locals(tw_dec *d, tw_reader *r, tw_func *f, uint32_t i) {
  uint32_t ndecl;
  DEC_TRY(tw_wasm_dec_len(d, r, &ndecl, "local declaration count"));
  uint64_t params = d->m->types[f->type].nparams;
  uint64_t total = 0;
  size_t decls = r->pos;
  for (uint32_t k = 0; k < ndecl; k++) {
    size_t at = r->pos;
    uint32_t count;
    tw_valtype t;
    DEC_TRY(tw_wasm_dec_u32(d, r, &count));
    DEC_TRY(tw_wasm_dec_valtype(d, r, &t));
    total += count;
    if (total > UINT32_MAX)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                     "too many locals (%llu declared)",
                     (unsigned long long)total);
    if (params + total > TW_MAX_LOCALS)
      return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                     "too many locals: %llu params and locals (limit %u)",
                     (unsigned long long)(params + total), TW_MAX_LOCALS);
  }
  if (total > d->locals_budget - d->locals.len)
    return TW_FAIL(d->err, TWINE_ERR_LIMIT, decls,
                   "too many locals in the module (implementation limit "
                   "%zu for this module size)", d->locals_budget);
  if (!TW_VEC_RESERVE(&d->locals, (size_t)total))
    return TW_FAIL(d->err, TWINE_ERR_NOMEM, decls, "out of memory");
  d->locals_off[i] = d->locals.len;
  f->nlocals = (uint32_t)total;
  tw_reader again = tw_reader_make(d->b, decls, r->pos);
  for (uint32_t k = 0; k < ndecl; k++) {
    uint32_t count = 0;
    uint8_t t = 0;
    (void)tw_rd_u32(&again, &count); /* read successfully above */
    (void)tw_rd_u8(&again, &t);
    if (count == 0) continue;
    memset(d->locals.data + d->locals.len, t, count);
    d->locals.len += count;
  }
  return TWINE_OK;
}

static twine_status_t body(tw_dec *d, tw_reader *r, uint32_t i) {
  tw_func *f = &d->m->funcs[i];
  f->code_start = (uint32_t)r->pos;
  uint32_t start, size;
  DEC_TRY(tw_wasm_dec_bytes(d, r, &start, &size, "body size"));
  tw_reader br = tw_reader_make(d->b, start, (size_t)start + size);
  DEC_TRY(locals(d, &br, f, i));
  f->body_start = (uint32_t)br.pos;
  DEC_TRY(scan(d, &br, true, d->m->nfunc_imports + i));
  if (br.pos != br.end)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, br.pos,
                   "section size mismatch (%zu bytes after the function's "
                   "final end)", br.end - br.pos);
  f->body_end = (uint32_t)br.pos;
  return TWINE_OK;
}

twine_status_t tw_wasm_dec_code_section(tw_dec *d, tw_reader *r) {
  tw_module *m = d->m;
  uint32_t n;
  size_t at = r->pos;
  DEC_TRY(tw_wasm_dec_len(d, r, &n, "body count"));
  if (n != d->nfunc_decls)
    return TW_FAIL(d->err, TWINE_ERR_MALFORMED, at,
                   "function and code section have inconsistent lengths (%u "
                   "functions, %u bodies)", d->nfunc_decls, n);
  d->has_code_section = true;
  if (n == 0) return TWINE_OK;
  d->locals_off = calloc(n, sizeof(size_t));
  if (!d->locals_off)
    return TW_FAIL(d->err, TWINE_ERR_NOMEM, at, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    twine_status_t st = body(d, r, i);
    if (st) {
      tw_err_prefix(d->err, "function %u: ", m->nfunc_imports + i);
      return st;
    }
  }
  return TWINE_OK;
}

twine_status_t tw_wasm_dec_attach_locals(tw_dec *d) {
  tw_module *m = d->m;
  if (!d->locals_off || d->locals.len == 0) return TWINE_OK;
  size_t n = d->nfunc_decls;
  size_t head = n * sizeof(tw_func);
  tw_func *f = realloc(m->funcs, head + d->locals.len);
  if (!f) return TW_FAIL(d->err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  m->funcs = f;
  uint8_t *pool = (uint8_t *)f + head;
  memcpy(pool, d->locals.data, d->locals.len);
  for (size_t i = 0; i < n; i++)
    f[i].locals = f[i].nlocals ? pool + d->locals_off[i] : NULL;
  return TWINE_OK;
}

/*
 * posix_dispatch.c - the POSIX host's dispatcher: decodes a tw_hc_req
 * (checked against its hostcalls.def descriptor, exactly as the trusted
 * stub checked it) and calls the handler generated for its number.
 *
 * The host does not trust requests either: a request that breaks its
 * descriptor gets the rule's errno, never an action.
 */
#include <string.h>

#include "host/posix_int.h"

static tw_host_handler *const handlers[TW_HCN_END] = {
#define TW_HC(num, name, args, qp, res, rp) [num] = tw_host_do_##name,
#include "enclave/hostcalls.def"
#undef TW_HC
};

static bool has_cb(const void *ctx, uint32_t handle) {
  return tw_host_slot_of((tw_host_posix *)ctx, handle) != NULL;
}

static void copy_str(char *dst, const uint8_t *src, size_t len) {
  memcpy(dst, src, len);
  dst[len] = '\0';
}

/* Fill a from a request that passed tw_hc_check_req. */
static void decode(tw_host_posix *h, const tw_hc_desc *d, const tw_hc_req *q,
                   const uint8_t *p, tw_host_args *a) {
  a->a = q->a;
  for (unsigned i = 0; i < 6; i++) {
    a->slot[i] = NULL;
    a->fd[i] = -1;
    if (d->arg[i].rule == TW_HCA_HANDLE) {
      a->slot[i] = tw_host_slot_of(h, (uint32_t)q->a[i]);
      a->fd[i] = a->slot[i]->fd;
    }
  }
  a->data = p;
  a->len = q->len;
  a->name[0] = a->name2[0] = a->target[0] = '\0';
  size_t split = (size_t)q->a[d->req.ref];
  switch (d->req.kind) {
  case TW_HCQ_NAME:
    copy_str(a->name, p, q->len);
    break;
  case TW_HCQ_NAME2:
    copy_str(a->name, p, split);
    copy_str(a->name2, p + split, q->len - split);
    break;
  case TW_HCQ_TARGET_NAME:
    copy_str(a->target, p, split);
    copy_str(a->name, p + split, q->len - split);
    break;
  default:
    break;
  }
}

static int dispatch(void *ctx, const tw_hc_req *q, const uint8_t *payload,
                    tw_hc_rep *rep, uint8_t *out, size_t cap) {
  tw_host_posix *h = ctx;
  const tw_hc_desc *d = tw_hc_desc_of(q->call);
  tw_host_args a;
  memset(rep, 0, sizeof *rep);
  tw_herr e = tw_hc_check_req(d, q, payload, has_cb, h);
  if (e == 0) {
    decode(h, d, q, payload, &a);
    e = handlers[q->call](h, &a, rep, out, cap);
  }
  if (e) {
    memset(rep, 0, sizeof *rep);
    rep->err = e;
  }
  return 0;
}

tw_host_iface tw_host_posix_iface(tw_host_posix *h) {
  tw_host_iface f = {TW_HC_VERSION, h, dispatch};
  return f;
}

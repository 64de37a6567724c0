/*
 * wasi_proc.c - proc_exit, proc_raise, sched_yield, random_get.
 *
 * proc_exit records the request in the call context (c->exit, exit_code);
 * tw_wasi_dispatch (wasi.c) then leaves the guest through
 * twine_caller_exit, so no guest code runs after it. The status is passed
 * on as the i32 bit pattern of the guest's u32; the embedder (the CLI)
 * decides what a process exit status becomes.
 *
 * proc_raise: there are no signals to deliver inside the enclave, and
 * raising one in the host process would let the guest act on the host.
 * As wasmtime's preview1 (wasmtime-wasi), a valid signal number gets
 * ENOTSUP; a number outside the witx `signal` enum gets EINVAL.
 *
 * random_get fills guest memory from the trusted CSPRNG (never a host
 * call); if the generator fails the guest gets EIO and must not use the
 * buffer.
 */
#include "crypto/random.h"
#include "wasi/wasi_int.h"

#define TW_WASI_SIGNAL_MAX 30u /* witx signal: none = 0 .. sys = 30 */

tw_wasi_errno tw_wasi_fn_proc_exit(tw_wasi_call *c, const uint64_t *a) {
  c->exit = true;
  c->exit_code = (int32_t)(uint32_t)a[0];
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_fn_proc_raise(tw_wasi_call *c, const uint64_t *a) {
  if (a[0] > TW_WASI_SIGNAL_MAX) return TW_WE_INVAL;
  return TW_WE_NOTSUP;
}

tw_wasi_errno tw_wasi_fn_sched_yield(tw_wasi_call *c, const uint64_t *a) {
  return tw_wasi_herr(c->w, tw_hc_sched_yield(c->w->hc));
}

/* buf, buf_len */
tw_wasi_errno tw_wasi_fn_random_get(tw_wasi_call *c, const uint64_t *a) {
  uint8_t *p = tw_wasi_mem(c, a[0], a[1]);
  if (!p) return TW_WE_FAULT;
  if (!tw_cry_random(p, (size_t)a[1])) return TW_WE_IO;
  return TW_WE_SUCCESS;
}

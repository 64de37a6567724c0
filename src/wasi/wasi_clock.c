/*
 * wasi_clock.c - clock_res_get, clock_time_get and tw_wasi_clock_now.
 *
 * Time comes from the host (tw_hc_clock_get), which is untrusted. The
 * realtime clock is passed on as the host gives it (wall time may be set
 * back legitimately). The monotonic and the two CPU-time clocks must never
 * go backwards, so the last value handed out per clock is kept in
 * tw_wasi.clock_last and a smaller reading from the host is raised to it:
 * the guest then sees time stand still, never run back. Clock ids other
 * than the four of preview1 are EINVAL, as is a resolution query for one.
 */
#include "wasi/wasi_int.h"

tw_wasi_errno tw_wasi_clock_now(tw_wasi *w, uint32_t clock, uint64_t *ns) {
  if (clock > TW_HCLOCK_THREAD) return TW_WE_INVAL;
  uint64_t t = 0;
  tw_herr e = tw_hc_clock_get(w->hc, clock, &t);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  if (clock != TW_HCLOCK_REALTIME) {
    if (t < w->clock_last[clock]) t = w->clock_last[clock];
    w->clock_last[clock] = t;
  }
  *ns = t;
  return TW_WE_SUCCESS;
}

/* clock_id, result pointer */
tw_wasi_errno tw_wasi_fn_clock_res_get(tw_wasi_call *c, const uint64_t *a) {
  if (a[0] > TW_HCLOCK_THREAD) return TW_WE_INVAL;
  if (!tw_wasi_mem(c, a[1], 8)) return TW_WE_FAULT;
  uint64_t ns = 0;
  tw_herr e = tw_hc_clock_res(c->w->hc, (uint32_t)a[0], &ns);
  if (e != TW_HE_OK) return tw_wasi_herr(c->w, e);
  return tw_wasi_put_u64(c, a[1], ns) ? TW_WE_SUCCESS : TW_WE_FAULT;
}

/* clock_id, precision (ignored, as every runtime does), result pointer */
tw_wasi_errno tw_wasi_fn_clock_time_get(tw_wasi_call *c, const uint64_t *a) {
  if (a[0] > TW_HCLOCK_THREAD) return TW_WE_INVAL;
  if (!tw_wasi_mem(c, a[2], 8)) return TW_WE_FAULT;
  uint64_t ns = 0;
  tw_wasi_errno r = tw_wasi_clock_now(c->w, (uint32_t)a[0], &ns);
  if (r) return r;
  return tw_wasi_put_u64(c, a[2], ns) ? TW_WE_SUCCESS : TW_WE_FAULT;
}

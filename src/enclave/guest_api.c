/*
 * guest_api.c - the import module "twine" a guest uses to attest itself
 * (include/twine/guest/twine_attest.h is the guest's side):
 *
 *   twine.attest(report_data: i32, report_len: i32, out: i32, out_cap: i32,
 *                out_len: i32) -> i32 errno
 *
 * Reads report_len (must be 64) bytes of report data from guest memory,
 * produces evidence (attest.h) with the flag "report data from the guest"
 * and no nonce (a guest binds a peer's nonce by putting it, or a hash of
 * it and its own key, into the report data), writes it to out[0..320) and
 * its length (u32 LE) to out_len. Errors use WASI's errno numbers: EINVAL
 * (28) for report_len != 64, EFAULT (21) for a range outside memory 0,
 * ENOBUFS (42) when out_cap < 320 (out_len still receives 320), EIO (29)
 * on an internal failure. Guest memory is reached only through the
 * bounds-checked twine_memory_read / twine_memory_write.
 */
#include <string.h>

#include "enclave/attest.h"
#include "enclave/herrno.h"
#include "enclave/measure.h"

#define TW_ENC_GUEST_MODULE "twine"

static twine_status_t guest_attest(twine_caller_t *caller, void *env,
                                   const twine_val_t *args,
                                   twine_val_t *results) {
  const twine_enclave_t *e = env;
  uint32_t rd = (uint32_t)args[0].of.i32, rd_len = (uint32_t)args[1].of.i32;
  uint32_t out = (uint32_t)args[2].of.i32, cap = (uint32_t)args[3].of.i32;
  uint32_t out_len = (uint32_t)args[4].of.i32;
  twine_memory_t *mem = twine_caller_memory(caller);
  int32_t err = 0;
  uint8_t data[TWINE_REPORT_DATA_LEN], ev[TWINE_EVIDENCE_LEN], n[4];
  results[0].kind = TWINE_I32;
  if (!mem) {
    err = TW_HE_FAULT;
  } else if (rd_len != TWINE_REPORT_DATA_LEN) {
    err = TW_HE_INVAL;
  } else if (twine_memory_read(mem, rd, data, sizeof data) != TWINE_OK) {
    err = TW_HE_FAULT;
  } else {
    tw_enc_put32(n, TWINE_EVIDENCE_LEN);
    if (twine_memory_write(mem, out_len, n, sizeof n) != TWINE_OK)
      err = TW_HE_FAULT;
    else if (cap < TWINE_EVIDENCE_LEN)
      err = TW_HE_NOBUFS;
    else if (tw_enc_evidence(e, TWINE_EVIDENCE_F_GUEST_DATA, NULL, 0, data,
                             ev) != TWINE_OK)
      err = TW_HE_IO;
    else if (twine_memory_write(mem, out, ev, sizeof ev) != TWINE_OK)
      err = TW_HE_FAULT;
  }
  results[0].of.i32 = err;
  return TWINE_OK;
}

twine_status_t twine_enclave_guest_define(twine_enclave_t *e,
                                          twine_store_t *store,
                                          twine_linker_t *linker) {
  if (!e || !store || !linker) return TWINE_ERR_ARG;
  static const twine_valkind_t params[5] = {TWINE_I32, TWINE_I32, TWINE_I32,
                                            TWINE_I32, TWINE_I32};
  static const twine_valkind_t result[1] = {TWINE_I32};
  twine_functype_t ft = {5, params, 1, result};
  twine_func_t *f;
  twine_status_t st =
      twine_func_new_host(store, &ft, guest_attest, e, NULL, &f);
  if (st != TWINE_OK) return st;
  twine_extern_t ext = {.kind = TWINE_EXTERN_FUNC, .of.func = f};
  return twine_linker_define(linker, TW_ENC_GUEST_MODULE,
                             strlen(TW_ENC_GUEST_MODULE), "attest", 6, ext);
}

/*
 * wasi.c - the WASI preview1 room: state, setup and the function table.
 *
 * The room owns everything the guest sees of its environment: arguments,
 * environment variables, the file-descriptor table with per-descriptor
 * rights, preopened directories and sockets, clock state, and the
 * trusted-side resolution of every path. It reaches the operating system
 * only through the tw_hc_* stubs of the enclave boundary (never a system
 * call); a reply that breaks the host-call contract reaches the guest as
 * EIO.
 *
 * Invariants:
 *   - every open guest descriptor holds exactly one host handle, and every
 *     host handle the room opens is either in the table or closed before
 *     the call returns (path lookups release theirs in tw_wasi_target_end);
 *   - a descriptor's rights only shrink (fd_fdstat_set_rights) and never
 *     exceed what its file type allows (tw_wasi_type_rights);
 *   - guest memory is touched only through tw_wasi_mem (wasi_mem.c), and
 *     every output pointer is checked before the call has side effects.
 *
 * The 46 functions come from the one list TW_WASI_FUNCS (wasi_int.h); this
 * file turns it into host functions that all enter through tw_wasi_dispatch.
 * Files by area: wasi_mem.c (guest memory), wasi_fd.c (descriptor table,
 * fdstat, prestat, close, renumber), wasi_file.c (read/write/seek/sync/
 * filestat), wasi_readdir.c (fd_readdir), wasi_path.c (lookup),
 * wasi_pathops.c (path_*), wasi_args.c (args, environ), wasi_clock.c,
 * wasi_poll.c (poll_oneoff), wasi_sock.c, wasi_proc.c (proc_*,
 * sched_yield, random_get), wasi_protected.c (protected mounts: regular
 * files as PFS files) with wasi_pfs_io.c (PFS's host I/O over the
 * boundary).
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_prot.h"

typedef struct tw_wasi_fn_desc {
  const char *name;
  const char *params;
  bool has_result;
  tw_wasi_impl impl;
} tw_wasi_fn_desc;

static const tw_wasi_fn_desc fn_table[TW_WASI_NFUNCS] = {
#define TW_WASI_ROW_(name, params, res) {#name, params, res, tw_wasi_fn_##name},
    TW_WASI_FUNCS(TW_WASI_ROW_)
#undef TW_WASI_ROW_
};

/* The env of each host function: which WASI instance, which function. */
struct tw_wasi_binding {
  tw_wasi *w;
  const tw_wasi_fn_desc *fn;
};

tw_wasi_errno tw_wasi_herr(tw_wasi *w, tw_herr e) {
  if (e == TW_HE_OK) return TW_WE_SUCCESS;
  if (e > TW_WE_LAST) {
    w->host_errors++;
    return TW_WE_IO;
  }
  return (tw_wasi_errno)e;
}

/* ---- setup -------------------------------------------------------------- */

static twine_status_t pack_strings(size_t n, const char *const *s, char **buf,
                                   size_t *size, uint32_t *count, tw_err *err,
                                   const char *what) {
  size_t total = 0;
  if (n > UINT32_MAX / 4) /* the guest's pointer array must fit memory */
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX, "too many %s", what);
  for (size_t i = 0; i < n; i++) {
    if (!s[i])
      return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "%s %zu is NULL", what, i);
    size_t l = strlen(s[i]) + 1;
    if (l > UINT32_MAX - total)
      return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX, "%s too large", what);
    total += l;
  }
  char *b = malloc(total ? total : 1);
  if (!b) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(s[i]) + 1;
    memcpy(b + off, s[i], l);
    off += l;
  }
  *buf = b;
  *size = total;
  *count = (uint32_t)n;
  return TWINE_OK;
}

/* Register a launch-time handle in the table at guest fd `fd`. */
static twine_status_t adopt(tw_wasi *w, uint32_t fd, uint32_t handle,
                            bool listener, tw_err *err) {
  if (!tw_hc_adopt(w->hc, handle))
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "host handle %u for fd %u is invalid or given twice",
                   handle, fd);
  tw_wasi_fd *f = &w->fds[fd];
  f->used = true;
  f->handle = handle;
  f->listener = listener;
  tw_hstat st;
  tw_herr e = tw_hc_fstat(w->hc, handle, &st);
  f->type = e == TW_HE_OK ? tw_wasi_filetype(st.type) : TW_WFT_UNKNOWN;
  if (e != TW_HE_OK && listener)
    return TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                   "cannot stat the socket for fd %u", fd);
  tw_wasi_type_rights(f->type, &f->base, &f->inheriting);
  if (listener) {
    if (f->type != TW_WFT_SOCK_STREAM && f->type != TW_WFT_SOCK_DGRAM)
      return TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                     "handle for fd %u is not a socket", fd);
    f->base = TW_WR_LISTEN_BASE;
  }
  return TWINE_OK;
}

twine_status_t tw_wasi_new(const tw_wasi_setup *setup, tw_wasi **out,
                           tw_err *err) {
  if (!setup || !out || !setup->iface)
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "missing WASI setup");
  if (setup->iface->version != TW_HC_VERSION)
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "host interface version %u, expected %u",
                   setup->iface->version, TW_HC_VERSION);
  if ((setup->argc && !setup->argv) || (setup->envc && !setup->envp) ||
      (setup->npreopens && !setup->preopens))
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "inconsistent WASI setup");
  if (setup->npreopens > TW_WASI_MAX_FDS - 3)
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX, "too many preopens");

  tw_wasi *w = calloc(1, sizeof *w);
  if (!w) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  twine_status_t st = TWINE_OK;
  w->hc = tw_hc_new(setup->iface);
  w->nfds = (uint32_t)(3 + setup->npreopens);
  w->fds = calloc(w->nfds, sizeof *w->fds);
  w->bindings = calloc(TW_WASI_NFUNCS, sizeof *w->bindings);
  if (!w->hc || !w->fds || !w->bindings) {
    st = TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  if ((st = pack_strings(setup->argc, setup->argv, &w->args, &w->args_size,
                         &w->argc, err, "arguments")) != TWINE_OK ||
      (st = pack_strings(setup->envc, setup->envp, &w->env, &w->env_size,
                         &w->envc, err, "environment")) != TWINE_OK)
    goto fail;
  for (uint32_t i = 0; i < 3; i++)
    if (setup->stdio_open[i] &&
        (st = adopt(w, i, setup->stdio[i], false, err)) != TWINE_OK)
      goto fail;
  for (size_t i = 0; i < setup->npreopens; i++) {
    const tw_wasi_preopen *p = &setup->preopens[i];
    uint32_t fd = (uint32_t)(3 + i);
    if (p->kind == TW_WASI_PRE_DIR) {
      if (!p->guest_path) {
        st = TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                     "preopen %zu has no guest path", i);
        goto fail;
      }
      if ((st = adopt(w, fd, p->handle, false, err)) != TWINE_OK) goto fail;
      tw_wasi_fd *f = &w->fds[fd];
      if (f->type != TW_WFT_DIR) {
        st = TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                     "preopen '%s' is not a directory", p->guest_path);
        goto fail;
      }
      f->preopen_len = strlen(p->guest_path);
      f->preopen = malloc(f->preopen_len + 1);
      if (!f->preopen) {
        st = TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
        goto fail;
      }
      memcpy(f->preopen, p->guest_path, f->preopen_len + 1);
      if (setup->protect && setup->protect[i].key &&
          (st = tw_wasi_prot_new(w, f, p->guest_path, &setup->protect[i],
                                 err)) != TWINE_OK)
        goto fail;
    } else if (p->kind == TW_WASI_PRE_SOCKET) {
      if ((st = adopt(w, fd, p->handle, true, err)) != TWINE_OK) goto fail;
    } else {
      st = TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX, "preopen %zu: unknown kind %u",
                   i, p->kind);
      goto fail;
    }
  }
  for (size_t i = 0; i < TW_WASI_NFUNCS; i++) {
    w->bindings[i].w = w;
    w->bindings[i].fn = &fn_table[i];
  }
  *out = w;
  return TWINE_OK;
fail:
  tw_wasi_free(w);
  return st;
}

void tw_wasi_free(tw_wasi *w) {
  if (!w) return;
  for (uint32_t i = 0; w->fds && i < w->nfds; i++) {
    tw_wasi_fd *f = &w->fds[i];
    if (!f->used) continue;
    if (f->pfs && f->pfs->file) twine_pfs_close(f->pfs->file);
    else if (w->hc && tw_hc_holds(w->hc, f->handle))
      tw_hc_close(w->hc, f->handle);
    tw_wasi_fd_clear(f);
  }
  tw_wasi_prot_free_all(w); /* after every protected file was closed */
  tw_hc_free(w->hc);
  free(w->fds);
  free(w->args);
  free(w->env);
  free(w->scratch);
  free(w->bindings);
  free(w);
}

tw_hc *tw_wasi_boundary(tw_wasi *w) { return w ? w->hc : NULL; }

uint8_t *tw_wasi_scratch(tw_wasi *w) {
  if (!w->scratch) w->scratch = malloc(TW_WASI_SCRATCH);
  return w->scratch;
}

/* ---- the host functions ---------------------------------------------------- */

static twine_status_t tw_wasi_dispatch(twine_caller_t *caller, void *env,
                                       const twine_val_t *args,
                                       twine_val_t *results) {
  const struct tw_wasi_binding *b = env;
  const tw_wasi_fn_desc *fn = b->fn;
  tw_wasi_call c = {b->w, caller, twine_caller_memory(caller), false, 0};
  uint64_t a[TW_WASI_MAX_ARGS] = {0};
  for (size_t i = 0; fn->params[i]; i++)
    a[i] = fn->params[i] == 'I' ? (uint64_t)args[i].of.i64
                                : (uint64_t)(uint32_t)args[i].of.i32;
  tw_wasi_errno e = fn->impl(&c, a);
  if (c.exit) return twine_caller_exit(caller, c.exit_code);
  if (fn->has_result) {
    results[0].kind = TWINE_I32;
    results[0].of.i32 = e;
  }
  return TWINE_OK;
}

twine_status_t tw_wasi_define(tw_wasi *w, twine_store_t *store,
                              twine_linker_t *linker) {
  if (!w || !store || !linker) return TWINE_ERR_ARG;
  static const twine_valkind_t result_i32[1] = {TWINE_I32};
  for (size_t i = 0; i < TW_WASI_NFUNCS; i++) {
    const tw_wasi_fn_desc *fn = &fn_table[i];
    twine_valkind_t params[TW_WASI_MAX_ARGS];
    size_t n = strlen(fn->params);
    for (size_t k = 0; k < n; k++)
      params[k] = fn->params[k] == 'I' ? TWINE_I64 : TWINE_I32;
    twine_functype_t ft = {n, params, fn->has_result ? 1 : 0,
                           fn->has_result ? result_i32 : NULL};
    twine_func_t *f;
    twine_status_t st = twine_func_new_host(store, &ft, tw_wasi_dispatch,
                                            &w->bindings[i], NULL, &f);
    if (st != TWINE_OK) return st;
    twine_extern_t ext = {.kind = TWINE_EXTERN_FUNC, .of.func = f};
    st = twine_linker_define(linker, TW_WASI_MODULE, strlen(TW_WASI_MODULE),
                             fn->name, strlen(fn->name), ext);
    if (st != TWINE_OK) return st;
  }
  return TWINE_OK;
}

/*
 * exec.c - entering and leaving the interpreter.
 *
 * Owns the per-store execution state (value stack, call-frame stack), the
 * entry trampoline, trap reporting with backtraces, and the process-wide
 * SIGSEGV/SIGBUS handler that turns accesses to a guarded memory's
 * reservation into TWINE_TRAP_MEMORY_OOB.
 *
 * Nesting: a host function may call back into wasm. Each entry pushes a
 * sentinel frame (code == NULL) and runs above the caller's frame
 * (ex->stack_top); on exit, the frame pointer, stack top and jump buffer of
 * the outer entry are restored.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interp/code.h"
#include "interp/interp.h"

const tw_cell *tw_interp_handlers(twine_bounds_t bounds) {
  return bounds == TWINE_BOUNDS_EXPLICIT ? tw_interp_table_explicit()
                                         : tw_interp_table_guard();
}

/* ---- the signal handler ---------------------------------------------------- */

static _Thread_local struct tw_exec *tls_exec;
static struct sigaction old_segv, old_bus;
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;

static void chain(int sig, siginfo_t *si, void *uc) {
  struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
  if (old->sa_flags & SA_SIGINFO) {
    if (old->sa_sigaction) {
      old->sa_sigaction(sig, si, uc);
      return;
    }
  } else if (old->sa_handler != SIG_IGN && old->sa_handler != SIG_DFL) {
    old->sa_handler(sig);
    return;
  }
  /* default action: re-raise with the default disposition */
  signal(sig, SIG_DFL);
  raise(sig);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  struct tw_exec *ex = tls_exec;
  if (ex && ex->jmp && ex->fr && ex->fr->inst) {
    twine_instance_t *inst = ex->fr->inst;
    if (tw_rt_memory_owns(inst->mem0, si->si_addr)) {
      ex->trap_kind = TWINE_TRAP_MEMORY_OOB;
      siglongjmp(*ex->jmp, 1);
    }
  }
  chain(sig, si, uc);
}

static bool is_ours(int sig) {
  struct sigaction cur;
  if (sigaction(sig, NULL, &cur) != 0) return false;
  return (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault;
}

/* Installs the handler, or re-installs it if someone replaced it since
 * (an embedder, or a test framework that saves and restores handlers
 * around each test); whatever was there becomes the chained handler. */
static void ensure_handler(void) {
  /* An alternate stack lets the handler run even if the fault came from
   * a native stack overflow (then it chains to the default action). */
  static char altstack[64 * 1024];
  pthread_mutex_lock(&handler_lock);
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE))
    (void)sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (!is_ours(SIGSEGV)) sigaction(SIGSEGV, &sa, &old_segv);
  if (!is_ours(SIGBUS)) sigaction(SIGBUS, &sa, &old_bus);
  pthread_mutex_unlock(&handler_lock);
}

/* ---- execution state ----------------------------------------------------------- */

static struct tw_exec *exec_new(twine_store_t *store) {
  const twine_config_t *cfg = &store->engine->cfg;
  struct tw_exec *ex = calloc(1, sizeof *ex);
  if (!ex) return NULL;
  size_t nslots = cfg->value_stack_bytes / sizeof(tw_slot);
  if (nslots < 1024) nslots = 1024;
  uint32_t depth = cfg->max_call_depth ? cfg->max_call_depth : 16384;
  /* two frame records per entry call (sentinel + callee) plus the frames */
  size_t nframes = (size_t)depth + 64;
  ex->stack = calloc(nslots, sizeof(tw_slot));
  ex->frames = calloc(nframes, sizeof(tw_frame));
  if (!ex->stack || !ex->frames) {
    free(ex->stack);
    free(ex->frames);
    free(ex);
    return NULL;
  }
  ex->store = store;
  ex->stack_end = ex->stack + nslots;
  ex->stack_top = ex->stack;
  ex->frames_end = ex->frames + nframes;
  ex->fr = ex->frames; /* sentinel */
  ex->interrupt = &store->interrupt;
  if (cfg->bounds == TWINE_BOUNDS_GUARD_PAGES)
    ensure_handler();
  return ex;
}

void tw_interp_exec_free(struct tw_exec *ex) {
  if (!ex) return;
  free(ex->stack);
  free(ex->frames);
  free(ex);
}

/* ---- traps -------------------------------------------------------------------- */

static void fill_trap(struct tw_exec *ex, tw_frame *bottom, twine_status_t st,
                      twine_trap_t *trap) {
  if (!trap) return;
  memset(trap, 0, sizeof *trap);
  trap->kind = ex->trap_kind;
  if (st == TWINE_ERR_EXIT) {
    trap->kind = TWINE_TRAP_EXIT;
    trap->exit_code = ex->host.exit_code;
    snprintf(trap->message, sizeof trap->message, "exit(%d)",
             (int)ex->host.exit_code);
  } else if (ex->trap_kind == TWINE_TRAP_HOST && ex->host.message[0]) {
    snprintf(trap->message, sizeof trap->message, "%s", ex->host.message);
  } else {
    snprintf(trap->message, sizeof trap->message, "%s",
             twine_trap_kind_str(ex->trap_kind));
  }
  uint32_t n = 0, total = 0;
  /* where each frame stands: the trapping instruction for the innermost,
   * the call instruction (just before the return address) for the others */
  const tw_cell *at = ex->trap_ip;
  for (tw_frame *f = ex->fr; f > bottom; f--) {
    const tw_cell *here = at;
    at = f->ret_ip ? f->ret_ip - 1 : NULL;
    if (!f->code) continue;
    total++;
    if (n < TWINE_TRAP_MAX_FRAMES) {
      twine_frame_info_t *fi = &trap->frames[n++];
      fi->func_index = f->code->func_index;
      size_t len = 0;
      fi->func_name = tw_rt_func_name(f->code->mod, f->code->func_index, &len);
      fi->func_name_len = fi->func_name ? len : 0;
      fi->code_offset = tw_interp_src_offset(f->code->mod->interp, here);
    }
  }
  trap->nframes = n;
  trap->total_frames = total;
}

/* ---- entry ---------------------------------------------------------------- */

twine_status_t tw_interp_call(twine_store_t *store, twine_func_t *f,
                              tw_slot *args, twine_trap_t *trap) {
  if (!store->exec) {
    store->exec = exec_new(store);
    if (!store->exec) return TWINE_ERR_NOMEM;
  }
  struct tw_exec *ex = store->exec;
  const tw_functype *ft = f->type;
  if (ex->nesting == 0) atomic_store(&store->interrupt, 0);

  if (f->kind == TW_FUNC_HOST) {
    memset(&ex->host, 0, sizeof ex->host);
    twine_status_t st = tw_rt_call_host(f, NULL, args, &ex->host);
    if (st != TWINE_OK) {
      ex->trap_kind = st == TWINE_ERR_EXIT ? TWINE_TRAP_EXIT : TWINE_TRAP_HOST;
      ex->trap_ip = NULL;
      fill_trap(ex, ex->fr, st, trap);
      return st == TWINE_ERR_EXIT ? TWINE_ERR_EXIT : TWINE_ERR_TRAP;
    }
    return TWINE_OK;
  }

  const struct tw_icode *cc = f->code;
  tw_slot *base = ex->stack_top;
  tw_frame *saved_fr = ex->fr;
  tw_slot *saved_top = ex->stack_top;
  sigjmp_buf *saved_jmp = ex->jmp;
  struct tw_exec *saved_tls = tls_exec;
  if (base + cc->frame_slots + 1 > ex->stack_end ||
      saved_fr + 2 >= ex->frames_end) {
    ex->trap_kind = TWINE_TRAP_STACK_EXHAUSTED;
    ex->trap_ip = NULL;
    fill_trap(ex, saved_fr, TWINE_ERR_TRAP, trap);
    return TWINE_ERR_TRAP;
  }
  memcpy(base, args, ft->nparams * sizeof(tw_slot));

  /* sentinel frame: the instance the entry runs in, no code */
  tw_frame *sentinel = saved_fr + 1;
  sentinel->ret_ip = NULL;
  sentinel->ret_fp = NULL;
  sentinel->inst = f->inst;
  sentinel->code = NULL;
  ex->fr = sentinel;

  /* trampoline: call_local(argbase 0, f); halt */
  const tw_cell *H = tw_interp_handlers(store->engine->cfg.bounds);
  ex->entry[0] = H[TW_IOP_call_local];
  ex->entry[1].p.a = 0;
  ex->entry[1].p.b = 0;
  ex->entry[2].ptr = cc;
  ex->entry[3] = H[TW_IOP_halt];

  sigjmp_buf jb;
  twine_status_t st;
  ex->jmp = &jb;
  ex->trap_ip = NULL; /* stays NULL for guard-page faults */
  ex->nesting++;
  tls_exec = ex;
  if (sigsetjmp(jb, 1) == 0) {
    st = store->engine->cfg.bounds == TWINE_BOUNDS_EXPLICIT
             ? tw_interp_run_explicit(ex, ex->entry, base)
             : tw_interp_run_guard(ex, ex->entry, base);
  } else {
    st = TWINE_ERR_TRAP; /* from the signal handler */
  }
  tls_exec = saved_tls;
  ex->nesting--;
  if (st == TWINE_OK) {
    memcpy(args, base, ft->nresults * sizeof(tw_slot));
  } else {
    fill_trap(ex, saved_fr, st, trap);
  }
  ex->fr = saved_fr;
  ex->stack_top = saved_top;
  ex->jmp = saved_jmp;
  return st;
}

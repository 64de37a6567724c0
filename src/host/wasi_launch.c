/*
 * wasi_launch.c - the public WASI API (include/twine/wasi.h): the untrusted
 * launcher that decides what a WASI program may reach and hands it over.
 *
 * A twine_wasi_config_t is plain data (copied strings). twine_wasi_new
 * does all the host-side work: it creates the POSIX host (posix.h), lets it
 * open the preopened directories and listening sockets and adopt the stdio
 * descriptors, then builds a tw_wasi_setup from the handles it got and
 * creates the trusted WASI state (src/wasi) over the host's interface.
 * From then on the trusted side reaches the host only through that
 * interface. twine_wasi_run calls _start and turns proc_exit into an exit
 * code.
 *
 * The process enclave backend splits the two halves (launch.h): the host
 * process opens the resources (tw_host_wasi_open) and sends the handles;
 * the trusted process attaches them with its channel interface to its
 * configuration (tw_host_wasi_config_remote), and twine_wasi_new then
 * opens nothing and owns no POSIX host.
 *
 * Invariants: a twine_wasi_t owns its tw_host_posix (if any) and its
 * tw_wasi; the tw_wasi is freed first (it closes its handles through the
 * boundary), then the host table (which closes whatever is left).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/launch.h"
#include "host/posix.h"
#include "twine/wasi.h"
#include "util/err.h"
#include "wasi/wasi.h"

typedef struct launch_preopen {
  uint8_t kind; /* TW_WASI_PRE_* */
  char *host;   /* directory path or "HOST:PORT" */
  char *guest;  /* directories: the guest's name; sockets: NULL */
  bool prot;    /* a protected mount (key below, wiped on free) */
  uint8_t key[32];
} launch_preopen;

struct twine_wasi_config {
  char **argv;
  size_t argc;
  char **env; /* "KEY=VALUE", keys unique */
  size_t envc, envcap;
  launch_preopen *pre;
  size_t npre, precap;
  int stdio[3];
  bool stdio_set; /* twine_wasi_config_stdio was called */
  bool remote;    /* tw_host_wasi_config_remote: open nothing, use these */
  tw_host_iface remote_iface;
  tw_host_handles remote_h;
};

struct twine_wasi {
  twine_store_t *store;
  tw_host_posix *host;
  tw_host_iface iface;
  tw_wasi *w;
};

/* ---- configuration ------------------------------------------------------ */

static void wipe(void *p, size_t n) {
  volatile uint8_t *v = p;
  while (n--) *v++ = 0;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void free_strs(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* Room for one more element of `size` bytes in array v (n used, *cap
 * allocated): returns the array (moved or not), NULL if out of memory (v
 * is then unchanged). */
static void *grow(void *v, size_t n, size_t *cap, size_t size) {
  if (n < *cap) return v;
  size_t nc = *cap ? *cap * 2 : 8;
  if (nc > SIZE_MAX / size) return NULL;
  void *p = realloc(v, nc * size);
  if (p) *cap = nc;
  return p;
}

twine_status_t twine_wasi_config_new(twine_wasi_config_t **out) {
  if (!out) return TWINE_ERR_ARG;
  twine_wasi_config_t *c = calloc(1, sizeof *c);
  if (!c) return TWINE_ERR_NOMEM;
  for (int i = 0; i < 3; i++) c->stdio[i] = i;
  *out = c;
  return TWINE_OK;
}

void twine_wasi_config_free(twine_wasi_config_t *cfg) {
  if (!cfg) return;
  free_strs(cfg->argv, cfg->argc);
  free_strs(cfg->env, cfg->envc);
  for (size_t i = 0; i < cfg->npre; i++) {
    free(cfg->pre[i].host);
    free(cfg->pre[i].guest);
    wipe(cfg->pre[i].key, sizeof cfg->pre[i].key);
  }
  free(cfg->pre);
  tw_host_handles_clear(&cfg->remote_h);
  free(cfg);
}

twine_status_t twine_wasi_config_args(twine_wasi_config_t *cfg, size_t argc,
                                      const char *const *argv) {
  if (!cfg || (argc && !argv)) return TWINE_ERR_ARG;
  for (size_t i = 0; i < argc; i++)
    if (!argv[i]) return TWINE_ERR_ARG;
  if (argc > SIZE_MAX / sizeof(char *)) return TWINE_ERR_LIMIT;
  char **v = calloc(argc ? argc : 1, sizeof *v);
  if (!v) return TWINE_ERR_NOMEM;
  for (size_t i = 0; i < argc; i++) {
    if (!(v[i] = dup_str(argv[i]))) {
      free_strs(v, i);
      return TWINE_ERR_NOMEM;
    }
  }
  free_strs(cfg->argv, cfg->argc);
  cfg->argv = v;
  cfg->argc = argc;
  return TWINE_OK;
}

twine_status_t twine_wasi_config_env(twine_wasi_config_t *cfg,
                                     const char *key_value) {
  if (!cfg || !key_value) return TWINE_ERR_ARG;
  const char *eq = strchr(key_value, '=');
  if (!eq || eq == key_value) return TWINE_ERR_ARG;
  size_t klen = (size_t)(eq - key_value) + 1; /* the key and its '=' */
  char *s = dup_str(key_value);
  if (!s) return TWINE_ERR_NOMEM;
  for (size_t i = 0; i < cfg->envc; i++) {
    if (strncmp(cfg->env[i], key_value, klen) == 0) {
      free(cfg->env[i]);
      cfg->env[i] = s;
      return TWINE_OK;
    }
  }
  char **env = grow(cfg->env, cfg->envc, &cfg->envcap, sizeof *env);
  if (!env) {
    free(s);
    return TWINE_ERR_NOMEM;
  }
  cfg->env = env;
  cfg->env[cfg->envc++] = s;
  return TWINE_OK;
}

static twine_status_t add_preopen(twine_wasi_config_t *cfg, uint8_t kind,
                                  const char *host, const char *guest) {
  if (cfg->npre >= TW_HC_MAX_HANDLES - 3) return TWINE_ERR_LIMIT;
  launch_preopen *pre = grow(cfg->pre, cfg->npre, &cfg->precap, sizeof *pre);
  if (!pre) return TWINE_ERR_NOMEM;
  cfg->pre = pre;
  launch_preopen *p = &pre[cfg->npre];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->host = dup_str(host);
  p->guest = guest ? dup_str(guest) : NULL;
  if (!p->host || (guest && !p->guest)) {
    free(p->host);
    free(p->guest);
    return TWINE_ERR_NOMEM;
  }
  cfg->npre++;
  return TWINE_OK;
}

twine_status_t twine_wasi_config_preopen_dir(twine_wasi_config_t *cfg,
                                             const char *host_path,
                                             const char *guest_path) {
  if (!cfg || !host_path || !guest_path || !host_path[0] || !guest_path[0])
    return TWINE_ERR_ARG;
  if (strlen(guest_path) > TW_HC_MAX_PATH) return TWINE_ERR_LIMIT;
  return add_preopen(cfg, TW_WASI_PRE_DIR, host_path, guest_path);
}

twine_status_t twine_wasi_config_preopen_protected_dir(
    twine_wasi_config_t *cfg, const char *host_path, const char *guest_path,
    const uint8_t key[32]) {
  if (!key) return TWINE_ERR_ARG;
  twine_status_t st = twine_wasi_config_preopen_dir(cfg, host_path, guest_path);
  if (st != TWINE_OK) return st;
  launch_preopen *p = &cfg->pre[cfg->npre - 1];
  p->prot = true;
  memcpy(p->key, key, sizeof p->key);
  return TWINE_OK;
}

/* "HOST:PORT" in shape (HOST non-empty, PORT decimal 0..65535); whether
 * HOST resolves is found out when the socket is created. */
static bool host_port_ok(const char *s) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || !colon[1]) return false;
  const char *port = colon + 1;
  size_t n = strlen(port);
  if (n > 5 || strspn(port, "0123456789") != n) return false;
  return strtoul(port, NULL, 10) <= 65535;
}

twine_status_t twine_wasi_config_preopen_tcp_listen(twine_wasi_config_t *cfg,
                                                    const char *host_port) {
  if (!cfg || !host_port || !host_port_ok(host_port)) return TWINE_ERR_ARG;
  return add_preopen(cfg, TW_WASI_PRE_SOCKET, host_port, NULL);
}

twine_status_t twine_wasi_config_stdio(twine_wasi_config_t *cfg, int in_fd,
                                       int out_fd, int err_fd) {
  if (!cfg || in_fd < -1 || out_fd < -1 || err_fd < -1) return TWINE_ERR_ARG;
  cfg->stdio[0] = in_fd;
  cfg->stdio[1] = out_fd;
  cfg->stdio[2] = err_fd;
  cfg->stdio_set = true;
  return TWINE_OK;
}

/* ---- creating the WASI state ------------------------------------------- */

static twine_status_t fail(twine_error_t *err, twine_status_t st,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static twine_status_t fail(twine_error_t *err, twine_status_t st,
                           const char *fmt, ...) {
  if (err) {
    err->status = st;
    err->offset = SIZE_MAX;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return st;
}

/* Host descriptor `fd` as guest stdio descriptor i. *open false: the guest
 * descriptor stays closed (fd -1, or the default descriptor i is closed in
 * this process). */
static twine_status_t add_stdio(tw_host_posix *h, const twine_wasi_config_t *c,
                                int i, bool *open, uint32_t *handle,
                                twine_error_t *err) {
  static const char *const names[3] = {"stdin", "stdout", "stderr"};
  int fd = c ? c->stdio[i] : i;
  bool chosen = c && c->stdio_set;
  *open = false;
  if (fd < 0) return TWINE_OK;
  if (!chosen && fcntl(fd, F_GETFD) < 0 && errno == EBADF) return TWINE_OK;
  char msg[200];
  if (tw_host_posix_add_fd(h, fd, handle, msg, sizeof msg) != 0)
    return fail(err, TWINE_ERR_IO, "%s: %s", names[i], msg);
  *open = true;
  return TWINE_OK;
}

void tw_host_handles_clear(tw_host_handles *hs) {
  if (!hs) return;
  free(hs->pre);
  memset(hs, 0, sizeof *hs);
}

twine_status_t tw_host_wasi_open(tw_host_posix *h,
                                 const twine_wasi_config_t *cfg,
                                 tw_host_handles *out, twine_error_t *err) {
  memset(out, 0, sizeof *out);
  size_t npre = cfg ? cfg->npre : 0;
  out->pre = calloc(npre ? npre : 1, sizeof *out->pre);
  if (!out->pre) return fail(err, TWINE_ERR_NOMEM, "out of memory");
  twine_status_t st;
  for (int i = 0; i < 3; i++)
    if ((st = add_stdio(h, cfg, i, &out->stdio_open[i], &out->stdio[i],
                        err)) != TWINE_OK)
      goto bad;
  for (size_t i = 0; i < npre; i++) {
    const launch_preopen *p = &cfg->pre[i];
    char msg[200];
    int rc;
    if (p->kind == TW_WASI_PRE_DIR)
      rc = tw_host_posix_open_dir(h, p->host, &out->pre[i], msg, sizeof msg);
    else
      rc = tw_host_posix_listen_tcp(h, p->host, &out->pre[i], msg,
                                    sizeof msg);
    if (rc != 0) {
      st = fail(err, TWINE_ERR_IO, "%s", msg);
      goto bad;
    }
  }
  out->npre = npre;
  return TWINE_OK;
bad:
  tw_host_handles_clear(out); /* the host table still owns what was opened */
  return st;
}

twine_status_t tw_host_wasi_config_remote(twine_wasi_config_t *cfg,
                                          const tw_host_iface *iface,
                                          const tw_host_handles *hs) {
  if (!cfg || !iface || !hs || (hs->npre && !hs->pre)) return TWINE_ERR_ARG;
  uint32_t *pre = calloc(hs->npre ? hs->npre : 1, sizeof *pre);
  if (!pre) return TWINE_ERR_NOMEM;
  if (hs->npre) memcpy(pre, hs->pre, hs->npre * sizeof *pre);
  tw_host_handles_clear(&cfg->remote_h);
  cfg->remote_h = *hs;
  cfg->remote_h.pre = pre;
  cfg->remote_iface = *iface;
  cfg->remote = true;
  return TWINE_OK;
}

twine_status_t twine_wasi_new(twine_store_t *store,
                              const twine_wasi_config_t *cfg,
                              twine_wasi_t **out, twine_error_t *err) {
  if (!store || !out)
    return fail(err, TWINE_ERR_ARG, "twine_wasi_new: missing store or out");
  twine_wasi_t *wa = calloc(1, sizeof *wa);
  size_t npre = cfg ? cfg->npre : 0;
  tw_wasi_preopen *pre = calloc(npre ? npre : 1, sizeof *pre);
  tw_wasi_protect *prot = calloc(npre ? npre : 1, sizeof *prot);
  tw_host_handles local;
  const tw_host_handles *hs = &local;
  twine_status_t st = TWINE_OK;
  memset(&local, 0, sizeof local);
  if (!wa || !pre || !prot) {
    st = fail(err, TWINE_ERR_NOMEM, "out of memory");
    goto out;
  }
  wa->store = store;
  if (cfg && cfg->remote) {
    if (cfg->remote_h.npre != npre) {
      st = fail(err, TWINE_ERR_ARG,
                "the host handed over %zu preopens for %zu configured",
                cfg->remote_h.npre, npre);
      goto out;
    }
    wa->iface = cfg->remote_iface;
    hs = &cfg->remote_h;
  } else {
    if (!(wa->host = tw_host_posix_new())) {
      st = fail(err, TWINE_ERR_NOMEM, "out of memory");
      goto out;
    }
    wa->iface = tw_host_posix_iface(wa->host);
    if ((st = tw_host_wasi_open(wa->host, cfg, &local, err)) != TWINE_OK)
      goto out;
  }

  tw_wasi_setup s;
  memset(&s, 0, sizeof s);
  s.iface = &wa->iface;
  for (int i = 0; i < 3; i++) {
    s.stdio_open[i] = hs->stdio_open[i];
    s.stdio[i] = hs->stdio[i];
  }
  for (size_t i = 0; i < npre; i++) {
    pre[i].kind = cfg->pre[i].kind;
    pre[i].guest_path = cfg->pre[i].guest;
    pre[i].handle = hs->pre[i];
    if (cfg->pre[i].prot) { /* the key is copied by tw_wasi_new */
      prot[i].key = cfg->pre[i].key;
      prot[i].key_len = sizeof cfg->pre[i].key;
      prot[i].anchors = TW_WASI_ANCHORS_PERSISTENT;
    }
  }
  if (cfg) {
    s.argc = cfg->argc;
    s.argv = (const char *const *)cfg->argv;
    s.envc = cfg->envc;
    s.envp = (const char *const *)cfg->env;
  }
  s.npreopens = npre;
  s.preopens = pre;
  s.protect = prot;

  tw_err e;
  memset(&e, 0, sizeof e);
  if ((st = tw_wasi_new(&s, &wa->w, &e)) != TWINE_OK) {
    if (err) tw_err_export(&e, err);
    goto out;
  }
  *out = wa;
  wa = NULL;
out:
  free(pre);
  free(prot);
  tw_host_handles_clear(&local);
  twine_wasi_free(wa);
  return st;
}

void twine_wasi_free(twine_wasi_t *wasi) {
  if (!wasi) return;
  tw_wasi_free(wasi->w);
  tw_host_posix_free(wasi->host);
  free(wasi);
}

twine_status_t twine_wasi_define(twine_wasi_t *wasi, twine_linker_t *linker) {
  if (!wasi || !linker) return TWINE_ERR_ARG;
  return tw_wasi_define(wasi->w, wasi->store, linker);
}

/* ---- running ------------------------------------------------------------ */

twine_status_t twine_wasi_run(twine_wasi_t *wasi, twine_instance_t *inst,
                              int *exit_code, twine_trap_t *trap) {
  if (!wasi || !inst) return TWINE_ERR_ARG;
  twine_extern_t ext;
  if (twine_instance_export(inst, "_start", 6, &ext) != TWINE_OK)
    return TWINE_ERR_NOTFOUND;
  if (ext.kind != TWINE_EXTERN_FUNC) return TWINE_ERR_ARG;
  twine_functype_t ft;
  twine_func_type(ext.of.func, &ft);
  if (ft.nparams != 0 || ft.nresults != 0) return TWINE_ERR_ARG;
  twine_trap_t local;
  twine_trap_t *t = trap ? trap : &local;
  memset(t, 0, sizeof *t);
  twine_status_t st = twine_func_call(ext.of.func, NULL, 0, NULL, 0, t);
  if (st == TWINE_OK) {
    if (exit_code) *exit_code = 0;
    return TWINE_OK;
  }
  if (st == TWINE_ERR_EXIT) {
    if (exit_code) *exit_code = t->exit_code;
    return TWINE_OK;
  }
  return st;
}

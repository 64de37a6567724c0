/*
 * wasi_path.c - capability-safe path resolution on the trusted side.
 *
 * A lookup starts at the host handle of a directory descriptor and walks
 * the guest path one component at a time:
 *
 *   ""            ENOENT
 *   "/..."        TW_WE_ESCAPE (absolute paths name nothing in a sandbox)
 *   "." and "//"  stay where we are
 *   ".."          go back to the parent level we came from; at the start
 *                 level it is TW_WE_ESCAPE
 *   name (not the last component)
 *                 open_at(dir, name, DIRECTORY | NOFOLLOW). If that fails
 *                 because the entry is a symlink (stat_at nofollow says so),
 *                 read it with readlink_at and splice its target in front
 *                 of the rest of the path; an absolute target is
 *                 TW_WE_ESCAPE, more than TW_WASI_MAX_SYMLINKS expansions
 *                 ELOOP.
 *   last component
 *                 returned to the caller as (containing dir, name) without
 *                 opening it. With TW_WASI_FOLLOW (or a trailing slash and
 *                 TW_WASI_FOLLOW_IF_SLASH) a symlink there is expanded
 *                 like above, and the nofollow stat of the final target is
 *                 handed back.
 *
 * The host is never asked to follow a symlink or `..`, so it can only
 * ever see single components relative to directories we reached this way.
 * If a directory is swapped for a symlink between our stat and our open,
 * the open fails (NOFOLLOW) rather than leaving the sandbox.
 *
 * Levels: the walk keeps the chain of directories from the start to the
 * current one (names and handles). Only the deepest TW_WASI_WALK_WINDOW
 * handles stay open, so deep paths do not exhaust host descriptors; a `..`
 * that reaches a level whose handle was closed re-opens the chain from
 * the start by name, again with DIRECTORY | NOFOLLOW at every step.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_int.h"

/* How intermediate directories are opened: search only, never follow. */
#define TW_WASI_WALK_FLAGS (TW_HO_DIRECTORY | TW_HO_NOFOLLOW)

static bool is_dot(const char *s, size_t n) { return n == 1 && s[0] == '.'; }

static bool is_dotdot(const char *s, size_t n) {
  return n == 2 && s[0] == '.' && s[1] == '.';
}

static tw_wasi_errno herr(tw_wasi *w, tw_herr e) {
  tw_wasi_errno r = tw_wasi_herr(w, e);
  return r ? r : TW_WE_IO; /* callers only pass failures */
}

static void close_level(tw_wasi_target *t, size_t i) {
  if (i > 0 && t->lv[i].open) {
    tw_hc_close(t->hc, t->lv[i].handle);
    t->lv[i].open = false;
  }
}

void tw_wasi_target_end(tw_wasi_target *t) {
  if (!t || !t->lv) return;
  for (size_t i = 1; i <= t->depth; i++) close_level(t, i);
  free(t->lv);
  free(t->names);
  free(t->path);
  memset(t, 0, sizeof *t);
}

static uint32_t top(const tw_wasi_target *t) { return t->lv[t->depth].handle; }

/* Keep at most TW_WASI_WALK_WINDOW levels (besides the start) open. */
static void trim_window(tw_wasi_target *t) {
  while (t->first_open <= t->depth &&
         t->depth - t->first_open + 1 > TW_WASI_WALK_WINDOW) {
    close_level(t, t->first_open);
    t->first_open++;
  }
}

/* Descend into `handle` (already opened, owned from now on) named name. */
static tw_wasi_errno push(tw_wasi_target *t, uint32_t handle, const char *name,
                          size_t len) {
  if (t->depth + 2 > t->cap) {
    size_t n = t->cap * 2;
    tw_wasi_walk_level *lv = realloc(t->lv, n * sizeof *lv);
    if (!lv) {
      tw_hc_close(t->hc, handle);
      return TW_WE_NOMEM;
    }
    t->lv = lv;
    t->cap = n;
  }
  if (len > t->names_cap - t->names_len) {
    size_t n = t->names_cap * 2 + len;
    char *s = realloc(t->names, n);
    if (!s) {
      tw_hc_close(t->hc, handle);
      return TW_WE_NOMEM;
    }
    t->names = s;
    t->names_cap = n;
  }
  memcpy(t->names + t->names_len, name, len);
  t->depth++;
  t->lv[t->depth] =
      (tw_wasi_walk_level){handle, true, t->names_len, len};
  t->names_len += len;
  if (t->first_open > t->depth) t->first_open = t->depth;
  trim_window(t);
  return TW_WE_SUCCESS;
}

/* Go up one level: `..`. */
static tw_wasi_errno pop(tw_wasi *w, tw_wasi_target *t) {
  if (t->depth == 0) return TW_WE_ESCAPE;
  close_level(t, t->depth);
  t->names_len = t->lv[t->depth].name_off;
  t->depth--;
  if (t->depth == 0) {
    t->first_open = 1;
    return TW_WE_SUCCESS;
  }
  if (t->lv[t->depth].open) return TW_WE_SUCCESS;
  /* The parent's handle left the window: re-open the chain by name. */
  t->first_open = 1;
  for (size_t k = 1; k <= t->depth; k++) {
    tw_wasi_walk_level *l = &t->lv[k];
    uint32_t h;
    tw_herr e = tw_hc_open_at(t->hc, t->lv[k - 1].handle,
                              t->names + l->name_off, l->name_len,
                              TW_WASI_WALK_FLAGS, &h);
    if (e != TW_HE_OK) {
      /* levels k.. are closed; tw_wasi_target_end closes the rest */
      t->depth = k - 1;
      return herr(w, e);
    }
    l->handle = h;
    l->open = true;
    /* keep lv[k] open for the next step; the window is >= 2 */
    size_t saved = t->depth;
    t->depth = k;
    trim_window(t);
    t->depth = saved;
  }
  return TW_WE_SUCCESS;
}

/* The entry changed between two host calls (a symlink swapped for
 * something else, or back): look at the component again. Each retry
 * counts as a symlink expansion, so a host (or a racing writer) that keeps
 * changing it ends in ELOOP, never in a loop. */
#define RETRY ((tw_wasi_errno)0xFFFF)

/* Replace the component at [start, start+clen) of t->path (a symlink in
 * the current directory) by its target. *pos is the index just after the
 * component; on success the walk continues at index 0 of the new path. */
static tw_wasi_errno expand(tw_wasi *w, tw_wasi_target *t, int *links,
                            size_t start, size_t clen, size_t *pos,
                            size_t *plen) {
  if (++*links > TW_WASI_MAX_SYMLINKS) return TW_WE_LOOP;
  char buf[TW_HC_MAX_PATH];
  size_t n = 0;
  tw_herr e = tw_hc_readlink_at(t->hc, top(t), t->path + start, clen, buf, &n);
  if (e == TW_WE_INVAL) return RETRY; /* no longer a symlink */
  if (e != TW_HE_OK) return herr(w, e);
  if (n > TW_HC_MAX_PATH || memchr(buf, 0, n)) {
    w->host_errors++; /* no symlink holds a NUL byte */
    return TW_WE_IO;
  }
  if (n == 0) return TW_WE_NOENT;
  if (buf[0] == '/') return TW_WE_ESCAPE;
  size_t rest = *plen - *pos;
  if (n + rest > TW_WASI_MAX_EXPANDED) return TW_WE_NAMETOOLONG;
  char *p = malloc(n + rest + 1);
  if (!p) return TW_WE_NOMEM;
  memcpy(p, buf, n);
  memcpy(p + n, t->path + *pos, rest);
  p[n + rest] = 0;
  free(t->path);
  t->path = p;
  *plen = n + rest;
  *pos = 0;
  return TW_WE_SUCCESS;
}

static void set_last(tw_wasi_target *t, const char *name, size_t len,
                     bool slash) {
  memcpy(t->last, name, len);
  t->last[len] = 0;
  t->name = t->last;
  t->len = len;
  t->slash = slash;
}

static tw_wasi_errno walk(tw_wasi *w, tw_wasi_target *t, size_t plen,
                          int follow) {
  int links = 0;
  size_t pos = 0;
  for (;;) {
    const char *p = t->path;
    if (pos == 0 && plen > 0 && p[0] == '/') return TW_WE_ESCAPE;
    while (pos < plen && p[pos] == '/') pos++;
    if (pos == plen) return TW_WE_NOENT; /* nothing left to name */
    size_t start = pos;
    while (pos < plen && p[pos] != '/') pos++;
    size_t clen = pos - start;
    size_t q = pos;
    while (q < plen && p[q] == '/') q++;
    bool last = q == plen, slash = last && q > pos;
    const char *comp = p + start;
    if (clen > TW_HC_MAX_NAME) return TW_WE_NAMETOOLONG;

    if (is_dot(comp, clen) || is_dotdot(comp, clen)) {
      if (is_dotdot(comp, clen)) {
        tw_wasi_errno r = pop(w, t);
        if (r) return r;
      }
      if (last) {
        set_last(t, ".", 1, slash);
        return TW_WE_SUCCESS;
      }
      continue;
    }

    if (!last) {
      uint32_t h;
      tw_herr e = tw_hc_open_at(t->hc, top(t), comp, clen, TW_WASI_WALK_FLAGS,
                                &h);
      if (e == TW_HE_OK) {
        tw_wasi_errno r = push(t, h, comp, clen);
        if (r) return r;
        continue;
      }
      if (e != TW_WE_NOTDIR && e != TW_WE_LOOP && e != TW_WE_MLINK)
        return herr(w, e);
      tw_hstat st;
      tw_herr e2 = tw_hc_stat_at(t->hc, top(t), comp, clen, true, &st);
      if (e2 != TW_HE_OK) return herr(w, e2);
      if (st.type == TW_HFT_SYMLINK) {
        tw_wasi_errno r = expand(w, t, &links, start, clen, &pos, &plen);
        if (r == RETRY) pos = start;
        else if (r) return r;
        continue;
      }
      if (st.type == TW_HFT_DIR && e != TW_WE_MLINK) {
        /* it was a symlink when we tried to open it: look again */
        if (++links > TW_WASI_MAX_SYMLINKS) return TW_WE_LOOP;
        pos = start;
        continue;
      }
      return st.type == TW_HFT_DIR ? herr(w, e) : TW_WE_NOTDIR;
    }

    bool want = follow == TW_WASI_FOLLOW ||
                (follow == TW_WASI_FOLLOW_IF_SLASH && slash);
    if (want) {
      tw_hstat st;
      tw_herr e = tw_hc_stat_at(t->hc, top(t), comp, clen, true, &st);
      if (e == TW_HE_OK && st.type == TW_HFT_SYMLINK) {
        tw_wasi_errno r = expand(w, t, &links, start, clen, &pos, &plen);
        if (r == RETRY) pos = start;
        else if (r) return r;
        continue;
      }
      if (e == TW_HE_OK) {
        t->have_stat = true;
        t->st = st;
      } else if (e != TW_WE_NOENT) {
        return herr(w, e);
      }
    }
    set_last(t, comp, clen, slash);
    return TW_WE_SUCCESS;
  }
}

tw_wasi_errno tw_wasi_resolve(tw_wasi *w, uint32_t base, const char *path,
                              size_t len, int follow, tw_wasi_target *t) {
  memset(t, 0, sizeof *t);
  t->hc = w->hc;
  if (len == 0) return TW_WE_NOENT;
  t->cap = 16;
  t->names_cap = 256;
  t->lv = malloc(t->cap * sizeof *t->lv);
  t->names = malloc(t->names_cap);
  t->path = malloc(len + 1);
  if (!t->lv || !t->names || !t->path) {
    free(t->lv);
    free(t->names);
    free(t->path);
    memset(t, 0, sizeof *t);
    return TW_WE_NOMEM;
  }
  memcpy(t->path, path, len);
  t->path[len] = 0;
  t->lv[0] = (tw_wasi_walk_level){base, true, 0, 0};
  t->first_open = 1;
  tw_wasi_errno r = walk(w, t, len, follow);
  if (r) {
    tw_wasi_target_end(t);
    return r;
  }
  t->dir = top(t);
  return TW_WE_SUCCESS;
}

/*
 * wasi_pathops.c - the path_* calls of wasi_snapshot_preview1: open,
 * create_directory, filestat_get / set_times, link, readlink,
 * remove_directory, rename, symlink, unlink_file.
 *
 * Every call resolves its path(s) with tw_wasi_resolve (wasi_path.c), so
 * the host only ever sees (directory handle, single component) pairs that
 * the trusted side reached itself; the final operation is one host call on
 * such a pair, never following a symlink (open_at always carries
 * TW_HO_NOFOLLOW, stat_at / utimens_at are nofollow). Where a symlink in
 * the last component is to be followed, the resolver has already expanded
 * it.
 *
 * Order of checks (as wasmtime): flag words (EINVAL), descriptors (EBADF,
 * ENOTDIR, ENOTCAPABLE), guest memory of the paths and outputs (EFAULT),
 * then the lookup. Output pointers are checked before anything changes on
 * the host.
 *
 * Trailing slashes follow POSIX (Linux): a trailing slash makes the last
 * component follow a symlink for lookups, and demands a directory:
 *   open "f/"              ENOTDIR     open "x/" with CREAT  EISDIR
 *   unlink "f/"            ENOTDIR     unlink "d/" or "d"    EISDIR
 *   mkdir "d/"             ok          rmdir "d/"            ok
 *   rename "f/" or to "x/" (source a file)                   ENOTDIR
 *   link / symlink to "x/" ENOENT (EEXIST if x exists)
 *
 * Where wasmtime's preview1 differs from plain POSIX we follow wasmtime:
 *   - path_symlink with an absolute target: TW_WE_ESCAPE (EPERM); such a
 *     link could never be followed inside the sandbox and might confuse
 *     host software. Relative targets, even ones climbing out with `..`,
 *     are created (following them later fails with EPERM).
 *   - path_symlink with an empty target: ENOENT.
 *   - path_link with LOOKUPFLAGS_SYMLINK_FOLLOW: EINVAL.
 *   - path_open with O_DIRECTORY and any of CREAT, EXCL, TRUNC: EINVAL.
 *   - path_readlink silently truncates to buf_len and returns the number of
 *     bytes copied.
 * Rights (which wasmtime no longer enforces) follow the preview1 rules as
 * wasi-libc relies on them: path_open needs PATH_OPEN (+ PATH_CREATE_FILE
 * for CREAT, + PATH_FILESTAT_SET_SIZE for TRUNC) on the directory, the
 * requested base and inheriting rights must lie within the directory's
 * inheriting rights (DSYNC also needs FD_DATASYNC, SYNC/RSYNC FD_SYNC),
 * and the new descriptor holds the request reduced to its file type's
 * maximum (tw_wasi_type_rights).
 *
 * On a protected mount (f->pfs, wasi_protected.c) the calls that touch
 * regular files (open, filestat_get, unlink, rename) hand the resolved
 * target to the PFS side; link and symlink are ENOTSUP there, and names
 * reserved for journals and anchors are EPERM.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_prot.h"

static bool is_dot_name(const tw_wasi_target *t) {
  return t->len == 1 && t->name[0] == '.';
}

static tw_wasi_errno herr(tw_wasi *w, tw_herr e) { return tw_wasi_herr(w, e); }

/* A nofollow stat of the lookup's final component. */
static tw_herr stat_target(const tw_wasi_target *t, tw_hstat *st) {
  return tw_hc_stat_at(t->hc, t->dir, t->name, t->len, true, st);
}

/* Copy a guest path into trusted memory and resolve it from directory
 * descriptor `f`. On success the caller owns *t. */
static tw_wasi_errno lookup_path(tw_wasi_call *c, const tw_wasi_fd *f,
                                 const char *path, size_t len, int follow,
                                 tw_wasi_target *t) {
  return tw_wasi_resolve(c->w, f->handle, path, len, follow, t);
}

/* Copy in the guest path at [addr, addr+len) and resolve it from the
 * directory descriptor f; on success t must be ended. */
static tw_wasi_errno resolve_at(tw_wasi_call *c, const tw_wasi_fd *f,
                                uint64_t addr, uint64_t len, int follow,
                                tw_wasi_target *t) {
  char *path;
  size_t plen;
  tw_wasi_errno r = tw_wasi_path_in(c, addr, len, &path, &plen);
  if (r) return r;
  r = lookup_path(c, f, path, plen, follow, t);
  free(path);
  return r;
}

/* Copy in and resolve (without following a final symlink) the two guest
 * paths of link and rename; on success both targets must be ended. */
static tw_wasi_errno lookup_two(tw_wasi_call *c, const tw_wasi_fd *fo,
                                uint64_t o_addr, uint64_t o_len,
                                const tw_wasi_fd *fn, uint64_t n_addr,
                                uint64_t n_len, tw_wasi_target *to,
                                tw_wasi_target *tn) {
  char *po, *pn;
  size_t lo, ln;
  tw_wasi_errno r = tw_wasi_path_in(c, o_addr, o_len, &po, &lo);
  if (r) return r;
  if ((r = tw_wasi_path_in(c, n_addr, n_len, &pn, &ln))) {
    free(po);
    return r;
  }
  r = lookup_path(c, fo, po, lo, TW_WASI_NOFOLLOW, to);
  free(po);
  if (r) {
    free(pn);
    return r;
  }
  r = lookup_path(c, fn, pn, ln, TW_WASI_NOFOLLOW, tn);
  free(pn);
  if (r) tw_wasi_target_end(to);
  return r;
}

/* The name of a new entry given with a trailing slash ("x/"): Linux says
 * EEXIST if something is there, else ENOENT, for link and symlink. */
static tw_wasi_errno new_name_slash(tw_wasi *w, const tw_wasi_target *t) {
  tw_hstat st;
  tw_herr e = stat_target(t, &st);
  if (e == TW_HE_OK) return TW_WE_EXIST;
  return e == TW_WE_NOENT ? TW_WE_NOENT : herr(w, e);
}

/* ---- path_open ------------------------------------------------------------ */

static uint32_t host_open_flags(uint64_t oflags, uint64_t base,
                                uint64_t fdflags, bool slash) {
  uint32_t h = TW_HO_NOFOLLOW;
  bool rd = (base & TW_WR_FD_READ) != 0, wr = (base & TW_WR_FD_WRITE) != 0;
  if (wr) h |= TW_HO_WRITE;
  if (rd || !wr) h |= TW_HO_READ;
  if (oflags & TW_WO_CREAT) h |= TW_HO_CREATE;
  if (oflags & TW_WO_EXCL) h |= TW_HO_EXCL;
  if (oflags & TW_WO_TRUNC) h |= TW_HO_TRUNC;
  if ((oflags & TW_WO_DIRECTORY) || slash) h |= TW_HO_DIRECTORY;
  if (fdflags & TW_WFD_APPEND) h |= TW_HO_APPEND;
  if (fdflags & TW_WFD_NONBLOCK) h |= TW_HO_NONBLOCK;
  if (fdflags & TW_WFD_DSYNC) h |= TW_HO_DSYNC;
  if (fdflags & TW_WFD_SYNC) h |= TW_HO_SYNC;
  if (fdflags & TW_WFD_RSYNC) h |= TW_HO_RSYNC;
  return h;
}

/* fd, dirflags, path, path_len, oflags, base, inheriting, fdflags, *fd */
tw_wasi_errno tw_wasi_fn_path_open(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  uint64_t dirflags = a[1], oflags = a[4], base = a[5], inh = a[6],
           fdflags = a[7];
  if ((dirflags & ~(uint64_t)TW_WL_SYMLINK_FOLLOW) ||
      (oflags & ~(uint64_t)TW_WO_ALL) || (fdflags & ~(uint64_t)TW_WFD_ALL) ||
      (base & ~TW_WR_ALL) || (inh & ~TW_WR_ALL))
    return TW_WE_INVAL;

  uint64_t need = TW_WR_PATH_OPEN;
  if (oflags & TW_WO_CREAT) need |= TW_WR_PATH_CREATE_FILE;
  if (oflags & TW_WO_TRUNC) need |= TW_WR_PATH_FILESTAT_SET_SIZE;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(w, a[0], need, &f);
  if (r) return r;
  uint64_t need_inh = base | inh;
  if (fdflags & TW_WFD_DSYNC) need_inh |= TW_WR_FD_DATASYNC;
  if (fdflags & (TW_WFD_SYNC | TW_WFD_RSYNC)) need_inh |= TW_WR_FD_SYNC;
  if (need_inh & ~f->inheriting) return TW_WE_NOTCAPABLE;
  if ((oflags & TW_WO_DIRECTORY) &&
      (oflags & (TW_WO_CREAT | TW_WO_EXCL | TW_WO_TRUNC)))
    return TW_WE_INVAL;

  if (!tw_wasi_mem(c, a[8], 4)) return TW_WE_FAULT;
  /* O_CREAT|O_EXCL never follows a symlink in the last component: an
   * existing symlink, dangling or not, is EEXIST. */
  bool creat_excl = (oflags & TW_WO_CREAT) && (oflags & TW_WO_EXCL);
  int follow = creat_excl ? TW_WASI_NOFOLLOW
               : (dirflags & TW_WL_SYMLINK_FOLLOW) ? TW_WASI_FOLLOW
                                                   : TW_WASI_FOLLOW_IF_SLASH;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[2], a[3], follow, &t))) return r;

  if ((oflags & TW_WO_CREAT) && (t.slash || is_dot_name(&t))) {
    tw_wasi_target_end(&t);
    return TW_WE_ISDIR; /* Linux: creating "x/" or "." */
  }
  if (f->pfs) { /* a protected mount */
    r = tw_wasi_prot_path_open(c, f, &t, oflags, base, inh, fdflags, a[8]);
    tw_wasi_target_end(&t);
    return r;
  }
  bool slash = t.slash;
  uint32_t handle;
  tw_herr e = tw_hc_open_at(w->hc, t.dir, t.name, t.len,
                            host_open_flags(oflags, base, fdflags, slash),
                            &handle);
  tw_wasi_target_end(&t);
  if (e != TW_HE_OK) return herr(w, e);

  tw_hstat st;
  e = tw_hc_fstat(w->hc, handle, &st);
  if (e != TW_HE_OK) {
    tw_hc_close(w->hc, handle);
    return herr(w, e);
  }
  uint8_t type = tw_wasi_filetype(st.type);
  if (((oflags & TW_WO_DIRECTORY) || slash) && type != TW_WFT_DIR) {
    /* the host promised O_DIRECTORY semantics */
    tw_hc_close(w->hc, handle);
    w->host_errors++;
    return TW_WE_IO;
  }
  uint64_t tbase, tinh;
  tw_wasi_type_rights(type, &tbase, &tinh);
  uint32_t fd;
  r = tw_wasi_fd_insert(w, handle, type, base & tbase, inh & tinh, &fd);
  if (r) return r; /* the handle was closed */
  if (!tw_wasi_put_u32(c, a[8], fd)) {
    /* memory cannot shrink, so this is unreachable after the check above;
     * do not leak the descriptor if it happens anyway */
    tw_wasi_fd *nf = tw_wasi_fd_at(w, fd);
    if (nf) {
      tw_hc_close(w->hc, nf->handle);
      tw_wasi_fd_clear(nf);
    }
    return TW_WE_FAULT;
  }
  return TW_WE_SUCCESS;
}

/* ---- metadata ----------------------------------------------------------- */

/* fd, path, path_len */
tw_wasi_errno tw_wasi_fn_path_create_directory(tw_wasi_call *c,
                                               const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r =
      tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_CREATE_DIRECTORY, &f);
  if (r) return r;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[1], a[2], TW_WASI_NOFOLLOW, &t))) return r;
  tw_herr e = is_dot_name(&t) ? TW_WE_EXIST
               : f->pfs && tw_wasi_prot_reserved(t.name, t.len)
                   ? TW_WE_PERM
                   : tw_hc_mkdir_at(c->w->hc, t.dir, t.name, t.len);
  tw_wasi_target_end(&t);
  return herr(c->w, e);
}

/* fd, lookupflags, path, path_len, *filestat */
tw_wasi_errno tw_wasi_fn_path_filestat_get(tw_wasi_call *c,
                                           const uint64_t *a) {
  if (a[1] & ~(uint64_t)TW_WL_SYMLINK_FOLLOW) return TW_WE_INVAL;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_FILESTAT_GET, &f);
  if (r) return r;
  if (!tw_wasi_mem(c, a[4], TW_WSZ_FILESTAT)) return TW_WE_FAULT;
  int follow = (a[1] & TW_WL_SYMLINK_FOLLOW) ? TW_WASI_FOLLOW
                                             : TW_WASI_FOLLOW_IF_SLASH;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[2], a[3], follow, &t))) return r;
  tw_hstat st;
  tw_herr e = TW_HE_OK;
  bool handled = false;
  if (f->pfs) { /* a protected file reports its logical size */
    r = tw_wasi_prot_path_stat(c->w, f, &t, &st, &handled);
    if (r || handled) {
      tw_wasi_target_end(&t);
      if (r) return r;
      tw_wasi_put_filestat(c, a[4], &st);
      return TW_WE_SUCCESS;
    }
  }
  if (t.have_stat) st = t.st;
  else e = stat_target(&t, &st);
  bool slash = t.slash;
  tw_wasi_target_end(&t);
  if (e != TW_HE_OK) return herr(c->w, e);
  if (slash && st.type != TW_HFT_DIR) return TW_WE_NOTDIR;
  tw_wasi_put_filestat(c, a[4], &st);
  return TW_WE_SUCCESS;
}

/* fd, lookupflags, path, path_len, atim, mtim, fstflags */
tw_wasi_errno tw_wasi_fn_path_filestat_set_times(tw_wasi_call *c,
                                                 const uint64_t *a) {
  uint32_t which;
  tw_wasi_errno r = tw_wasi_fst(a[6], &which);
  if (r) return r;
  if (a[1] & ~(uint64_t)TW_WL_SYMLINK_FOLLOW) return TW_WE_INVAL;
  tw_wasi_fd *f;
  if ((r = tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_FILESTAT_SET_TIMES, &f)))
    return r;
  int follow = (a[1] & TW_WL_SYMLINK_FOLLOW) ? TW_WASI_FOLLOW
                                             : TW_WASI_FOLLOW_IF_SLASH;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[2], a[3], follow, &t))) return r;
  tw_herr e = TW_HE_OK;
  if (t.slash || f->pfs) {
    tw_hstat st;
    if (t.have_stat) st = t.st;
    else e = stat_target(&t, &st);
    if (e == TW_HE_OK && t.slash && st.type != TW_HFT_DIR) e = TW_WE_NOTDIR;
    /* a protected file's mtime is its commit time in PFS */
    if (e == TW_HE_OK && f->pfs && st.type == TW_HFT_REG) e = TW_WE_NOTSUP;
  }
  if (e == TW_HE_OK)
    e = tw_hc_utimens_at(c->w->hc, t.dir, t.name, t.len, true, a[4], a[5],
                         which);
  tw_wasi_target_end(&t);
  return herr(c->w, e);
}

/* ---- names -------------------------------------------------------------- */

/* old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len */
tw_wasi_errno tw_wasi_fn_path_link(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  if (a[1] & ~(uint64_t)TW_WL_SYMLINK_FOLLOW) return TW_WE_INVAL;
  tw_wasi_fd *fo, *fn;
  tw_wasi_errno r = tw_wasi_dir_get(w, a[0], TW_WR_PATH_LINK_SOURCE, &fo);
  if (r) return r;
  if ((r = tw_wasi_dir_get(w, a[4], TW_WR_PATH_LINK_TARGET, &fn))) return r;
  if (fo->pfs || fn->pfs) return TW_WE_NOTSUP; /* no links on protected mounts */
  /* wasmtime refuses to follow a symlink for link (as linkat's default) */
  if (a[1] & TW_WL_SYMLINK_FOLLOW) return TW_WE_INVAL;
  tw_wasi_target to, tn;
  if ((r = lookup_two(c, fo, a[2], a[3], fn, a[5], a[6], &to, &tn))) return r;
  tw_herr e = TW_HE_OK;
  if (to.slash || is_dot_name(&to)) {
    /* "f/" is ENOTDIR; a directory cannot be linked (EPERM) */
    tw_hstat st;
    e = stat_target(&to, &st);
    if (e == TW_HE_OK) e = st.type == TW_HFT_DIR ? TW_WE_PERM : TW_WE_NOTDIR;
  } else if (tn.slash) {
    e = new_name_slash(w, &tn);
  }
  if (e == TW_HE_OK)
    e = tw_hc_link_at(w->hc, to.dir, to.name, to.len, tn.dir, tn.name,
                      tn.len);
  tw_wasi_target_end(&to);
  tw_wasi_target_end(&tn);
  return herr(w, e);
}

/* fd, path, path_len, buf, buf_len, *bufused */
tw_wasi_errno tw_wasi_fn_path_readlink(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_READLINK, &f);
  if (r) return r;
  if (!tw_wasi_mem(c, a[3], a[4]) || !tw_wasi_mem(c, a[5], 4)) return TW_WE_FAULT;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[1], a[2], TW_WASI_FOLLOW_IF_SLASH, &t))) return r;
  char *buf = malloc(TW_HC_MAX_PATH);
  if (!buf) {
    tw_wasi_target_end(&t);
    return TW_WE_NOMEM;
  }
  size_t n = 0;
  tw_herr e = tw_hc_readlink_at(c->w->hc, t.dir, t.name, t.len, buf, &n);
  tw_wasi_target_end(&t);
  if (e != TW_HE_OK) {
    free(buf);
    return herr(c->w, e);
  }
  size_t k = n < a[4] ? n : (size_t)a[4];
  uint8_t *p = tw_wasi_mem(c, a[3], k);
  if (p && k) memcpy(p, buf, k);
  free(buf);
  if (!p || !tw_wasi_put_u32(c, a[5], (uint32_t)k)) return TW_WE_FAULT;
  return TW_WE_SUCCESS;
}

/* fd, path, path_len */
tw_wasi_errno tw_wasi_fn_path_remove_directory(tw_wasi_call *c,
                                               const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r =
      tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_REMOVE_DIRECTORY, &f);
  if (r) return r;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[1], a[2], TW_WASI_NOFOLLOW, &t))) return r;
  /* rmdir "." (also "d/.."): EINVAL as on Linux; never the start itself */
  tw_herr e = is_dot_name(&t)
                  ? TW_WE_INVAL
                  : tw_hc_unlink_at(c->w->hc, t.dir, t.name, t.len, true);
  tw_wasi_target_end(&t);
  return herr(c->w, e);
}

/* old_fd, old_path, old_len, new_fd, new_path, new_len */
tw_wasi_errno tw_wasi_fn_path_rename(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *fo, *fn;
  tw_wasi_errno r = tw_wasi_dir_get(w, a[0], TW_WR_PATH_RENAME_SOURCE, &fo);
  if (r) return r;
  if ((r = tw_wasi_dir_get(w, a[3], TW_WR_PATH_RENAME_TARGET, &fn))) return r;
  tw_wasi_target to, tn;
  if ((r = lookup_two(c, fo, a[1], a[2], fn, a[4], a[5], &to, &tn))) return r;
  tw_herr e = TW_HE_OK;
  bool handled = false;
  if (fo->pfs || fn->pfs) {
    r = tw_wasi_prot_rename(w, fo, &to, fn, &tn, &handled);
    if (r || handled) {
      tw_wasi_target_end(&to);
      tw_wasi_target_end(&tn);
      return r;
    }
  }
  if (is_dot_name(&to) || is_dot_name(&tn)) {
    e = TW_WE_BUSY; /* Linux renaming "." or onto it */
  } else if (to.slash || tn.slash) {
    /* trailing slashes are allowed only when the source is a directory */
    tw_hstat st;
    e = stat_target(&to, &st);
    if (e == TW_HE_OK && st.type != TW_HFT_DIR) e = TW_WE_NOTDIR;
  }
  if (e == TW_HE_OK)
    e = tw_hc_rename_at(w->hc, to.dir, to.name, to.len, tn.dir, tn.name,
                        tn.len);
  tw_wasi_target_end(&to);
  tw_wasi_target_end(&tn);
  return herr(w, e);
}

/* old_path (the link's contents), old_len, fd, new_path, new_len */
tw_wasi_errno tw_wasi_fn_path_symlink(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(w, a[2], TW_WR_PATH_SYMLINK, &f);
  if (r) return r;
  if (f->pfs) return TW_WE_NOTSUP; /* no symlinks on protected mounts */
  char *target, *path;
  size_t tlen, plen;
  if ((r = tw_wasi_path_in(c, a[0], a[1], &target, &tlen))) return r;
  if ((r = tw_wasi_path_in(c, a[3], a[4], &path, &plen))) {
    free(target);
    return r;
  }
  if (tlen == 0 || target[0] == '/') {
    r = tlen == 0 ? TW_WE_NOENT : TW_WE_ESCAPE;
    free(target);
    free(path);
    return r;
  }
  tw_wasi_target t;
  r = lookup_path(c, f, path, plen, TW_WASI_NOFOLLOW, &t);
  free(path);
  if (r) {
    free(target);
    return r;
  }
  tw_herr e;
  if (is_dot_name(&t)) e = TW_WE_EXIST;
  else if (t.slash) e = new_name_slash(w, &t);
  else e = tw_hc_symlink_at(w->hc, target, tlen, t.dir, t.name, t.len);
  tw_wasi_target_end(&t);
  free(target);
  return herr(w, e);
}

/* fd, path, path_len */
tw_wasi_errno tw_wasi_fn_path_unlink_file(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(c->w, a[0], TW_WR_PATH_UNLINK_FILE, &f);
  if (r) return r;
  tw_wasi_target t;
  if ((r = resolve_at(c, f, a[1], a[2], TW_WASI_NOFOLLOW, &t))) return r;
  tw_herr e = TW_HE_OK;
  bool handled = false;
  if (f->pfs) { /* a protected file: unlink through PFS (tombstone) */
    r = tw_wasi_prot_unlink(c->w, f, &t, &handled);
    if (r || handled) {
      tw_wasi_target_end(&t);
      return r;
    }
  }
  if (is_dot_name(&t)) {
  } else if (t.slash) {
    /* "d/" names a directory (EISDIR); anything else with a slash is
     * ENOTDIR */
    tw_hstat st;
    e = stat_target(&t, &st);
    if (e == TW_HE_OK) e = st.type == TW_HFT_DIR ? TW_WE_ISDIR : TW_WE_NOTDIR;
  }
  if (e == TW_HE_OK) e = tw_hc_unlink_at(c->w->hc, t.dir, t.name, t.len, false);
  tw_wasi_target_end(&t);
  return herr(c->w, e);
}

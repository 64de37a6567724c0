/*
 * wasi_protected.c - protected mounts: preopened directories whose regular
 * files are protected files (src/pfs), encrypted and authenticated, each
 * bound to its logical path within the mount; the host sees ciphertext.
 *
 * What is protected and what is not:
 *   - regular files: always PFS files. path_open opens or creates them with
 *     twine_pfs_open (CREAT / EXCL / TRUNC map to the PFS flags; RDWR when
 *     the descriptor may write, or creates or truncates), and the
 *     descriptor holds the twine_pfs_file (no host handle). Data calls, seek,
 *     size, sync, filestat go through PFS; filestat reports the logical
 *     size and PFS's mtime (atim = mtim = ctim).
 *   - directories: plain host directories (mkdir, rmdir, readdir, open).
 *     A directory descriptor remembers its path within the mount (rel), so
 *     a lookup from it yields the logical path rel/levels/name.
 *   - names: a path is bound through the names the trusted side walked,
 *     never through host paths. The PFS I/O table (wasi_pfs_io.c) walks
 *     the same logical path from the mount's own root handle.
 *   - reserved names at every level: "*.pfsj" (journals) and
 *     ".twine-anchors*" (anchor manifest and counter) are hidden from
 *     fd_readdir and every path call on them is EPERM.
 *   - refused with ENOTSUP: path_link and path_symlink touching a
 *     protected mount, renaming a directory (its files are bound to their
 *     paths; re-binding a tree is not atomic), renaming across mounts is
 *     EXDEV, setting the times of a protected file.
 *   - other file types (fifos, devices, sockets planted by the host) are
 *     not opened (ENOTSUP); a symlink as the last component of an open
 *     without SYMLINK_FOLLOW is ELOOP, as with O_NOFOLLOW.
 *
 * Errors of PFS reach the guest through twine_pfs_status_errno: tampering,
 * rollback and a swapped path are EIO, a wrong key EACCES.
 *
 * Rollback anchors: PERSISTENT by default, the manifest TWINE_PFS_ANCHOR_
 * MANIFEST and a file counter TWINE_PFS_ANCHOR_COUNTER in the mount's host
 * directory (the file counter is only as trustworthy as the host storage:
 * see pfs.h); PROCESS on request. There is no silent fallback: if the
 * persistent store cannot be created (read-only directory, manifest under
 * another key, manifest rolled back) the WASI state is not created.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/kdf.h"
#include "wasi/wasi_prot.h"

static tw_wasi_errno perr(twine_pfs_status s) {
  return s == TWINE_PFS_OK ? TW_WE_SUCCESS
                           : (tw_wasi_errno)twine_pfs_status_errno(s);
}

bool tw_wasi_prot_reserved(const char *name, size_t len) {
  static const char jr[] = ".pfsj", an[] = TWINE_PFS_ANCHOR_MANIFEST;
  size_t lj = sizeof jr - 1, la = sizeof an - 1;
  if (len >= lj && memcmp(name + len - lj, jr, lj) == 0) return true;
  return len >= la && memcmp(name, an, la) == 0;
}

/* ---- mounts ---------------------------------------------------------------- */

static void prot_free(tw_wasi_prot *m) {
  if (!m) return;
  twine_pfs_mount_free(m->mount);
  twine_pfs_anchor_free(m->anchor);
  twine_pfs_file_counter_free(m->ctr);
  if (m->root_open) tw_hc_close(m->io.hc, m->io.root);
  twine_pfs_explicit_key_wipe(&m->key);
  free(m->guest);
  free(m);
}

void tw_wasi_prot_free_all(tw_wasi *w) {
  for (size_t i = 0; i < w->nprots; i++) prot_free(w->prots[i]);
  free(w->prots);
  w->prots = NULL;
  w->nprots = 0;
}

static twine_status_t pfail(tw_err *err, const tw_wasi_prot *m,
                            const char *what, twine_pfs_status s) {
  return TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                 "protected mount '%s': %s: %s", m->guest, what,
                 twine_pfs_status_name(s));
}

twine_status_t tw_wasi_prot_new(tw_wasi *w, tw_wasi_fd *f, const char *guest,
                                const tw_wasi_protect *p, tw_err *err) {
  if (p->key_len != 16 && p->key_len != 32)
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "protected mount '%s': key of %zu bytes (16 or 32)",
                   guest, p->key_len);
  if (p->anchors > TW_WASI_ANCHORS_PROCESS)
    return TW_FAIL(err, TWINE_ERR_ARG, SIZE_MAX,
                   "protected mount '%s': unknown anchor mode %u",
                   guest, p->anchors);
  tw_wasi_prot **v = realloc(w->prots, (w->nprots + 1) * sizeof *v);
  if (!v) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  w->prots = v;
  tw_wasi_prot *m = calloc(1, sizeof *m);
  struct tw_wasi_pfd *d = calloc(1, sizeof *d);
  size_t gl = strlen(guest);
  if (m) m->guest = malloc(gl + 1);
  if (d) d->rel = calloc(1, 1);
  if (!m || !m->guest || !d || !d->rel) {
    if (m) free(m->guest);
    free(m);
    if (d) free(d->rel);
    free(d);
    return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  }
  memcpy(m->guest, guest, gl + 1);
  w->prots[w->nprots++] = m; /* freed by tw_wasi_free from here on */
  d->prot = m;
  f->pfs = d;

  /* the mount's own root handle: the guest may close its descriptor */
  m->io.hc = w->hc;
  tw_herr e = tw_hc_open_at(w->hc, f->handle, ".", 1,
                            TW_HO_READ | TW_HO_DIRECTORY | TW_HO_NOFOLLOW,
                            &m->io.root);
  if (e != TW_HE_OK)
    return TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                   "protected mount '%s': cannot open its directory (%u)",
                   m->guest, e);
  m->root_open = true;

  twine_pfs_mount_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (p->mount_id) {
    memcpy(cfg.mount_id, p->mount_id, TWINE_PFS_ID_LEN);
  } else {
    /* SHA-256("twine wasi mount" 0 guest_path), first 16 bytes */
    static const char tag[] = "twine wasi mount";
    size_t n = sizeof tag + gl; /* includes the 0 after the tag */
    uint8_t *buf = malloc(n), h[TW_CRY_SHA256_LEN];
    if (!buf) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
    memcpy(buf, tag, sizeof tag);
    memcpy(buf + sizeof tag, guest, gl);
    int rc = tw_cry_sha256(buf, n, h);
    free(buf);
    if (rc != 0)
      return TW_FAIL(err, TWINE_ERR_IO, SIZE_MAX,
                     "protected mount '%s': SHA-256 failed", m->guest);
    memcpy(cfg.mount_id, h, TWINE_PFS_ID_LEN);
  }
  twine_pfs_status s =
      twine_pfs_explicit_key_init(&m->key, p->key, p->key_len, NULL);
  if (s) return pfail(err, m, "key", s);
  cfg.io = tw_wasi_pfs_io_ops();
  cfg.io_ctx = &m->io;
  cfg.keys = &twine_pfs_explicit_key_provider;
  cfg.keys_ctx = &m->key;
  cfg.durability = TWINE_PFS_DUR_COMMIT;

  if (p->anchors == TW_WASI_ANCHORS_PROCESS) {
    if ((s = twine_pfs_anchor_process_new(&m->anchor)))
      return pfail(err, m, "anchor store", s);
  } else {
    if ((s = twine_pfs_file_counter_new(cfg.io, cfg.io_ctx,
                                        TWINE_PFS_ANCHOR_COUNTER, &m->ctr)))
      return pfail(err, m, "anchor counter", s);
    if ((s = twine_pfs_anchor_persistent_new(&cfg, TWINE_PFS_ANCHOR_MANIFEST,
                                             &twine_pfs_file_counter_ops,
                                             m->ctr, &m->anchor)))
      return pfail(err, m, "anchor manifest " TWINE_PFS_ANCHOR_MANIFEST, s);
  }
  cfg.anchor = m->anchor;
  if ((s = twine_pfs_mount_new(&cfg, &m->mount))) return pfail(err, m, "mount", s);
  return TWINE_OK;
}

/* ---- logical paths ------------------------------------------------------------ */

/* rel of the directory descriptor, then the levels the lookup walked, then
 * (with_name, unless ".") the last component; NUL-terminated in *out
 * (free). ENAMETOOLONG beyond TWINE_PFS_MAX_PATH. */
static tw_wasi_errno logical_of(const tw_wasi_fd *dir, const tw_wasi_target *t,
                                bool with_name, char **out) {
  char *b = malloc(TWINE_PFS_MAX_PATH + 1);
  if (!b) return TW_WE_NOMEM;
  size_t n = 0;
  const char *rel = dir->pfs->rel;
#define APPEND_(s, l)                                        \
  do {                                                       \
    size_t l_ = (l);                                         \
    if (n + (n ? 1 : 0) + l_ > TWINE_PFS_MAX_PATH) {         \
      free(b);                                               \
      return TW_WE_NAMETOOLONG;                              \
    }                                                        \
    if (n) b[n++] = '/';                                     \
    memcpy(b + n, (s), l_);                                  \
    n += l_;                                                 \
  } while (0)
  if (rel[0]) APPEND_(rel, strlen(rel));
  for (size_t i = 1; i <= t->depth; i++)
    APPEND_(t->names + t->lv[i].name_off, t->lv[i].name_len);
  if (with_name && !(t->len == 1 && t->name[0] == '.'))
    APPEND_(t->name, t->len);
#undef APPEND_
  b[n] = 0;
  *out = b;
  return TW_WE_SUCCESS;
}

/* A nofollow stat of the target (or the one the lookup already made). */
static tw_herr target_stat(const tw_wasi_target *t, tw_hstat *st) {
  if (t->have_stat) {
    *st = t->st;
    return TW_HE_OK;
  }
  return tw_hc_stat_at(t->hc, t->dir, t->name, t->len, true, st);
}

static bool is_dot(const tw_wasi_target *t) {
  return t->len == 1 && t->name[0] == '.';
}

/* ---- path_open ------------------------------------------------------------------ */

static tw_wasi_errno open_dir(tw_wasi_call *c, tw_wasi_fd *dir,
                              const tw_wasi_target *t, uint64_t base,
                              uint64_t inh, uint64_t fd_out) {
  tw_wasi *w = c->w;
  if (base & TW_WR_FD_WRITE) return TW_WE_ISDIR;
  char *rel;
  tw_wasi_errno r = logical_of(dir, t, true, &rel);
  if (r) return r;
  struct tw_wasi_pfd *d = calloc(1, sizeof *d);
  if (!d) {
    free(rel);
    return TW_WE_NOMEM;
  }
  d->prot = dir->pfs->prot;
  d->rel = rel;
  uint32_t h, fd;
  tw_herr e = tw_hc_open_at(w->hc, t->dir, t->name, t->len,
                            TW_HO_READ | TW_HO_DIRECTORY | TW_HO_NOFOLLOW, &h);
  tw_hstat st;
  if (e == TW_HE_OK && (e = tw_hc_fstat(w->hc, h, &st)) == TW_HE_OK &&
      st.type != TW_HFT_DIR) {
    w->host_errors++; /* the host promised O_DIRECTORY */
    e = TW_HE_HOST;
  }
  if (e != TW_HE_OK) {
    if (tw_hc_holds(w->hc, h)) tw_hc_close(w->hc, h);
    free(d->rel);
    free(d);
    return tw_wasi_herr(w, e);
  }
  uint64_t tb, ti;
  tw_wasi_type_rights(TW_WFT_DIR, &tb, &ti);
  if ((r = tw_wasi_fd_insert(w, h, TW_WFT_DIR, base & tb, inh & ti, &fd))) {
    free(d->rel);
    free(d);
    return r;
  }
  tw_wasi_fd *nf = tw_wasi_fd_at(w, fd);
  nf->pfs = d;
  if (!tw_wasi_put_u32(c, fd_out, fd)) {
    tw_wasi_fd_release(w, nf);
    return TW_WE_FAULT;
  }
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_prot_path_open(tw_wasi_call *c, tw_wasi_fd *dir,
                                     const tw_wasi_target *t, uint64_t oflags,
                                     uint64_t base, uint64_t inh,
                                     uint64_t fdflags, uint64_t fd_out) {
  tw_wasi *w = c->w;
  if (tw_wasi_prot_reserved(t->name, t->len)) return TW_WE_PERM;
  tw_hstat st;
  tw_herr e = target_stat(t, &st);
  if (e != TW_HE_OK && e != TW_WE_NOENT) return tw_wasi_herr(w, e);
  bool exists = e == TW_HE_OK;
  bool want_dir = (oflags & TW_WO_DIRECTORY) || t->slash;
  if (exists && st.type == TW_HFT_DIR) {
    if ((oflags & TW_WO_CREAT) && (oflags & TW_WO_EXCL)) return TW_WE_EXIST;
    if (oflags & (TW_WO_CREAT | TW_WO_TRUNC)) return TW_WE_ISDIR;
    return open_dir(c, dir, t, base, inh, fd_out);
  }
  if (exists && (oflags & TW_WO_CREAT) && (oflags & TW_WO_EXCL))
    return TW_WE_EXIST;
  if (want_dir) return exists ? TW_WE_NOTDIR : TW_WE_NOENT;
  if (exists && st.type == TW_HFT_SYMLINK) return TW_WE_LOOP;
  if (exists && st.type != TW_HFT_REG) return TW_WE_NOTSUP;
  if (t->len > TW_WASI_PROT_MAX_NAME) return TW_WE_NAMETOOLONG;

  bool wr = (base & TW_WR_FD_WRITE) != 0;
  uint32_t pfl = (wr || (oflags & (TW_WO_CREAT | TW_WO_TRUNC)))
                     ? TWINE_PFS_RDWR
                     : TWINE_PFS_RDONLY;
  if (oflags & TW_WO_CREAT) pfl |= TWINE_PFS_CREAT;
  if (oflags & TW_WO_EXCL) pfl |= TWINE_PFS_EXCL;
  if (oflags & TW_WO_TRUNC) pfl |= TWINE_PFS_TRUNC;
  char *logical;
  tw_wasi_errno r = logical_of(dir, t, true, &logical);
  if (r) return r;
  struct tw_wasi_pfd *d = calloc(1, sizeof *d);
  if (!d) {
    free(logical);
    return TW_WE_NOMEM;
  }
  twine_pfs_file *pf = NULL;
  twine_pfs_status s = twine_pfs_open(dir->pfs->prot->mount, logical, logical,
                                      pfl, NULL, &pf);
  free(logical);
  if (s) {
    free(d);
    return perr(s);
  }
  /* the host file's identity for filestat (informational) */
  if (tw_hc_stat_at(t->hc, t->dir, t->name, t->len, true, &st) == TW_HE_OK) {
    d->dev = st.dev;
    d->ino = st.ino;
  }
  d->prot = dir->pfs->prot;
  d->file = pf;
  d->fdflags = (uint16_t)fdflags;
  uint32_t fd;
  if ((r = tw_wasi_fd_insert(w, TW_WASI_NO_HANDLE, TW_WFT_REG,
                             base & TW_WR_REGULAR_FILE_BASE, 0, &fd))) {
    twine_pfs_close(pf);
    free(d);
    return r;
  }
  tw_wasi_fd *nf = tw_wasi_fd_at(w, fd);
  nf->pfs = d;
  if (!tw_wasi_put_u32(c, fd_out, fd)) {
    tw_wasi_fd_release(w, nf);
    return TW_WE_FAULT;
  }
  return TW_WE_SUCCESS;
}

/* ---- other path calls ------------------------------------------------------------ */

tw_wasi_errno tw_wasi_prot_path_stat(tw_wasi *w, const tw_wasi_fd *dir,
                                     const tw_wasi_target *t, tw_hstat *st,
                                     bool *handled) {
  *handled = true;
  if (tw_wasi_prot_reserved(t->name, t->len)) return TW_WE_PERM;
  tw_herr e = target_stat(t, st);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  if (st->type != TW_HFT_REG || t->slash) {
    *handled = false;
    return TW_WE_SUCCESS;
  }
  /* the logical size and mtime live in the authenticated header */
  char *logical;
  tw_wasi_errno r = logical_of(dir, t, true, &logical);
  if (r) return r;
  twine_pfs_file *pf;
  twine_pfs_status s = twine_pfs_open(dir->pfs->prot->mount, logical, logical,
                                      TWINE_PFS_RDONLY, NULL, &pf);
  free(logical);
  if (s) return perr(s);
  twine_pfs_stat_t ps;
  s = twine_pfs_stat(pf, &ps);
  twine_pfs_status s2 = twine_pfs_close(pf);
  if (s || s2) return perr(s ? s : s2);
  st->nlink = 1;
  st->size = ps.size;
  st->atim = st->mtim = st->ctim = ps.mtime_ns;
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_prot_unlink(tw_wasi *w, const tw_wasi_fd *dir,
                                  const tw_wasi_target *t, bool *handled) {
  *handled = true;
  if (tw_wasi_prot_reserved(t->name, t->len)) return TW_WE_PERM;
  tw_hstat st;
  tw_herr e = target_stat(t, &st);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  if (st.type != TW_HFT_REG || t->slash || is_dot(t)) {
    *handled = false;
    return TW_WE_SUCCESS;
  }
  char *logical;
  tw_wasi_errno r = logical_of(dir, t, true, &logical);
  if (r) return r;
  twine_pfs_status s = twine_pfs_unlink(dir->pfs->prot->mount, logical, logical);
  free(logical);
  return perr(s);
}

tw_wasi_errno tw_wasi_prot_rename(tw_wasi *w, const tw_wasi_fd *fo,
                                  const tw_wasi_target *to,
                                  const tw_wasi_fd *fn,
                                  const tw_wasi_target *tn, bool *handled) {
  *handled = true;
  if (!fo->pfs || !fn->pfs || fo->pfs->prot != fn->pfs->prot)
    return TW_WE_XDEV;
  if (tw_wasi_prot_reserved(to->name, to->len) ||
      tw_wasi_prot_reserved(tn->name, tn->len))
    return TW_WE_PERM;
  if (is_dot(to) || is_dot(tn)) return TW_WE_BUSY;
  tw_hstat st;
  tw_herr e = target_stat(to, &st);
  if (e != TW_HE_OK) return tw_wasi_herr(w, e);
  if (st.type == TW_HFT_DIR) return TW_WE_NOTSUP;
  if (st.type != TW_HFT_REG) {
    *handled = false; /* a symlink the host planted: a plain rename */
    return TW_WE_SUCCESS;
  }
  if (to->slash || tn->slash) return TW_WE_NOTDIR;
  if (tn->len > TW_WASI_PROT_MAX_NAME) return TW_WE_NAMETOOLONG;
  char *lo, *ln;
  tw_wasi_errno r = logical_of(fo, to, true, &lo);
  if (r) return r;
  if ((r = logical_of(fn, tn, true, &ln))) {
    free(lo);
    return r;
  }
  twine_pfs_status s = TWINE_PFS_OK;
  if (strcmp(lo, ln) != 0) /* POSIX: renaming a file onto itself: no-op */
    s = twine_pfs_rename(fo->pfs->prot->mount, lo, lo, ln, ln);
  free(lo);
  free(ln);
  return perr(s);
}

/* ---- descriptors of protected files ---------------------------------------------- */

tw_herr tw_wasi_pfile_read(tw_wasi_fd *f, bool at, uint64_t off, void *buf,
                           size_t len, size_t *n) {
  twine_pfs_file *pf = f->pfs->file;
  twine_pfs_status s = at ? twine_pfs_pread(pf, buf, len, off, n)
                          : twine_pfs_read(pf, buf, len, n);
  return perr(s);
}

tw_herr tw_wasi_pfile_write(tw_wasi_fd *f, bool at, uint64_t off,
                            const void *buf, size_t len, size_t *n) {
  twine_pfs_file *pf = f->pfs->file;
  uint16_t fl = f->pfs->fdflags;
  twine_pfs_status s;
  if (at) {
    s = twine_pfs_pwrite(pf, buf, len, off, n);
  } else {
    /* APPEND is a descriptor flag (fd_fdstat_set_flags may change it):
     * move the cursor to the end before each write; WASI calls on one
     * instance are not concurrent */
    s = (fl & TW_WFD_APPEND) ? twine_pfs_seek(pf, 0, TWINE_PFS_SEEK_END, NULL)
                             : TWINE_PFS_OK;
    if (!s) s = twine_pfs_write(pf, buf, len, n);
  }
  if (!s && (fl & (TW_WFD_DSYNC | TW_WFD_SYNC)))
    s = twine_pfs_sync(pf, (fl & TW_WFD_SYNC) ? TWINE_PFS_SYNC_FULL
                                              : TWINE_PFS_SYNC_DATA);
  return perr(s);
}

tw_wasi_errno tw_wasi_pfile_seek(tw_wasi_fd *f, int64_t off, uint8_t whence,
                                 uint64_t *pos) {
  return perr(twine_pfs_seek(f->pfs->file, off, whence, pos));
}

tw_wasi_errno tw_wasi_pfile_sync(tw_wasi_fd *f, bool data) {
  return perr(twine_pfs_sync(f->pfs->file, data ? TWINE_PFS_SYNC_DATA
                                                : TWINE_PFS_SYNC_FULL));
}

tw_wasi_errno tw_wasi_pfile_stat(tw_wasi_fd *f, tw_hstat *st) {
  twine_pfs_stat_t ps;
  twine_pfs_status s = twine_pfs_stat(f->pfs->file, &ps);
  if (s) return perr(s);
  memset(st, 0, sizeof *st);
  st->dev = f->pfs->dev;
  st->ino = f->pfs->ino;
  st->type = TW_HFT_REG;
  st->nlink = 1;
  st->size = ps.size;
  st->atim = st->mtim = st->ctim = ps.mtime_ns;
  return TW_WE_SUCCESS;
}

tw_wasi_errno tw_wasi_pfile_set_size(tw_wasi_fd *f, uint64_t size) {
  return perr(twine_pfs_set_size(f->pfs->file, size));
}

tw_wasi_errno tw_wasi_pfile_allocate(tw_wasi_fd *f, uint64_t off,
                                     uint64_t len) {
  uint64_t size;
  twine_pfs_status s = twine_pfs_get_size(f->pfs->file, &size);
  if (!s && off + len > size) s = twine_pfs_set_size(f->pfs->file, off + len);
  return perr(s);
}

tw_wasi_errno tw_wasi_pfile_left(tw_wasi_fd *f, uint64_t *left) {
  uint64_t size, pos;
  twine_pfs_status s = twine_pfs_get_size(f->pfs->file, &size);
  if (!s) s = twine_pfs_tell(f->pfs->file, &pos);
  if (s) return perr(s);
  *left = size > pos ? size - pos : 0;
  return TW_WE_SUCCESS;
}

/*
 * pfs.c - the protected file system room: public API (mounts, handles,
 * positional and cursor I/O, size, sync, rename, unlink, rekey).
 *
 * The room owns the PFS1 format (pfs_header.c, pfs_tree.c, docs/
 * pfs-format.md), node crypto (pfs_node.c), the per-inode node cache
 * (pfs_cache.c), commits with the undo journal (pfs_commit.c), recovery on
 * open (pfs_recover.c), rollback anchors (pfs_anchor.c) and size changes
 * (pfs_size.c). It never calls the OS: all host access goes through the
 * mount's twine_pfs_io_ops (pfs_io.c).
 *
 * Invariants: a handle refers to an inode shared by every open of the same
 * host file in the mount (refcount under the mount mutex); every byte
 * returned comes from a node whose tag verified; an integrity or I/O
 * failure in the middle of an operation is sticky for the inode; the inode
 * rwlock is held shared by pread/stat/get_size (cache access then under
 * cmx) and exclusively by everything that changes state.
 */
#include <stdlib.h>
#include <string.h>

#include "pfs/pfs_int.h"

/* ---- statuses --------------------------------------------------------------- */

static const struct {
  const char *name;
  uint16_t wasi_errno;
} status_tab[TWINE_PFS_STATUS_COUNT] = {
    [TWINE_PFS_OK] = {"OK", 0},
    [TWINE_PFS_EINVAL] = {"EINVAL", 28},
    [TWINE_PFS_ENOMEM] = {"ENOMEM", 48},
    [TWINE_PFS_ENOENT] = {"ENOENT", 44},
    [TWINE_PFS_EEXIST] = {"EEXIST", 20},
    [TWINE_PFS_EBADF] = {"EBADF", 8},
    [TWINE_PFS_EFBIG] = {"EFBIG", 22},
    [TWINE_PFS_ENAMETOOLONG] = {"ENAMETOOLONG", 37},
    [TWINE_PFS_EBUSY] = {"EBUSY", 10},
    [TWINE_PFS_ENOSPC] = {"ENOSPC", 51},
    [TWINE_PFS_EHOSTACCES] = {"EHOSTACCES", 2},
    [TWINE_PFS_EHOST] = {"EHOST", 29},
    [TWINE_PFS_CORRUPTED] = {"CORRUPTED", 29},
    [TWINE_PFS_ROLLBACK] = {"ROLLBACK", 29},
    [TWINE_PFS_WRONG_PATH] = {"WRONG_PATH", 29},
    [TWINE_PFS_WRONG_KEY] = {"WRONG_KEY", 2},
    [TWINE_PFS_KEY_UNAVAILABLE] = {"KEY_UNAVAILABLE", 2},
    [TWINE_PFS_UNSUPPORTED] = {"UNSUPPORTED", 58},
    [TWINE_PFS_ECRYPTO] = {"ECRYPTO", 29},
};

const char *twine_pfs_status_name(twine_pfs_status s) {
  return (unsigned)s < TWINE_PFS_STATUS_COUNT ? status_tab[s].name : "?";
}

uint16_t twine_pfs_status_errno(twine_pfs_status s) {
  return (unsigned)s < TWINE_PFS_STATUS_COUNT ? status_tab[s].wasi_errno : 29;
}

twine_pfs_status tw_pfs_fail(tw_pfs_inode *ino, twine_pfs_status s) {
  int expected = TWINE_PFS_OK;
  if (s != TWINE_PFS_OK && s != TW_PFS_NEED_EXCL)
    atomic_compare_exchange_strong(&ino->err, &expected, (int)s);
  return s;
}

static twine_pfs_status sticky(tw_pfs_inode *ino) {
  return (twine_pfs_status)atomic_load(&ino->err);
}

/* ---- mount ------------------------------------------------------------------ */

twine_pfs_status twine_pfs_mount_new(const twine_pfs_mount_config *cfg,
                                     twine_pfs_mount **out) {
  if (!cfg || !out || !cfg->io || !cfg->keys || !cfg->keys->get ||
      !cfg->keys->current)
    return TWINE_PFS_EINVAL;
  const twine_pfs_io_ops *io = cfg->io;
  if (!io->open || !io->close || !io->preadv || !io->pwritev || !io->fdatasync ||
      !io->fsync || !io->ftruncate || !io->unlink || !io->rename || !io->lock)
    return TWINE_PFS_EINVAL;
  if (cfg->cache_frames &&
      (cfg->cache_frames < TWINE_PFS_CACHE_MIN || cfg->cache_frames > TWINE_PFS_CACHE_MAX))
    return TWINE_PFS_EINVAL;
  if ((unsigned)cfg->durability > TWINE_PFS_DUR_COMMIT)
    return TWINE_PFS_EINVAL;
  twine_pfs_mount *m = calloc(1, sizeof *m);
  if (!m)
    return TWINE_PFS_ENOMEM;
  m->cfg = *cfg;
  if (!m->cfg.cache_frames)
    m->cfg.cache_frames = TWINE_PFS_CACHE_DEFAULT;
  if (m->cfg.durability == TWINE_PFS_DUR_DEFAULT)
    m->cfg.durability = TWINE_PFS_DUR_COMMIT;
  pthread_mutex_init(&m->mx, NULL);
  *out = m;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_mount_free(twine_pfs_mount *m) {
  if (!m)
    return TWINE_PFS_OK;
  if (m->inodes)
    return TWINE_PFS_EBUSY;
  pthread_mutex_destroy(&m->mx);
  free(m);
  return TWINE_PFS_OK;
}

/* ---- inodes ------------------------------------------------------------------ */

static void inode_free(tw_pfs_inode *ino) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  void *ctx = ino->m->cfg.io_ctx;
  if (ino->j_open)
    io->close(ctx, ino->jh);
  if (ino->h != UINT64_MAX) {
    io->lock(ctx, ino->h, TWINE_PFS_LOCK_UN);
    io->close(ctx, ino->h);
  }
  tw_pfs_cache_free(ino);
  free(ino->jset);
  tw_cry_gcm_free(ino->gcm);
  pthread_rwlock_destroy(&ino->rw);
  pthread_mutex_destroy(&ino->cmx);
  free(ino->host_path);
  free(ino->jpath);
  tw_cry_wipe(ino, sizeof *ino);
  free(ino);
}

static twine_pfs_status inode_new(twine_pfs_mount *m, const char *host_path,
                                  uint32_t frames, twine_pfs_durability dur,
                                  tw_pfs_inode **out) {
  tw_pfs_inode *ino = calloc(1, sizeof *ino);
  if (!ino)
    return TWINE_PFS_ENOMEM;
  ino->m = m;
  ino->h = UINT64_MAX;
  ino->dur = dur;
  ino->key_pos = sizeof ino->keys; /* empty batch */
  atomic_init(&ino->err, TWINE_PFS_OK);
  pthread_rwlock_init(&ino->rw, NULL);
  pthread_mutex_init(&ino->cmx, NULL);
  ino->host_path = strdup(host_path);
  ino->jpath = tw_pfs_journal_path(host_path);
  ino->gcm = tw_cry_gcm_new();
  twine_pfs_status s = tw_pfs_cache_init(ino, frames);
  if (s == TWINE_PFS_OK && (!ino->host_path || !ino->jpath))
    s = TWINE_PFS_ENOMEM;
  if (s == TWINE_PFS_OK && !ino->gcm)
    s = TWINE_PFS_ECRYPTO;
  if (s != TWINE_PFS_OK) {
    inode_free(ino);
    return s;
  }
  *out = ino;
  return TWINE_PFS_OK;
}

/* Replace the inode's host handle by one opened for writing. */
static twine_pfs_status reopen_writable(tw_pfs_inode *ino) {
  const twine_pfs_io_ops *io = ino->m->cfg.io;
  void *ctx = ino->m->cfg.io_ctx;
  uint64_t h;
  twine_pfs_host_info info;
  int e = io->open(ctx, ino->host_path, TWINE_PFS_IO_READ | TWINE_PFS_IO_WRITE, &h, &info);
  if (e != 0)
    return tw_pfs_io_status(e);
  if (info.dev != ino->hinfo.dev || info.ino != ino->hinfo.ino) {
    io->close(ctx, h);
    return TWINE_PFS_EHOST; /* the host swapped the file under us */
  }
  e = io->lock(ctx, h, ino->lock_mode);
  if (e != 0) {
    io->close(ctx, h);
    return TWINE_PFS_EBUSY;
  }
  io->lock(ctx, ino->h, TWINE_PFS_LOCK_UN);
  io->close(ctx, ino->h);
  ino->h = h;
  ino->writable = true;
  return TWINE_PFS_OK;
}

static twine_pfs_status create_file(tw_pfs_inode *ino, const char *logical,
                                    const uint8_t path_hash[32]) {
  twine_pfs_mount *m = ino->m;
  tw_pfs_hdr *h = &ino->hdr;
  memset(h, 0, sizeof *h);
  memcpy(h->path_hash, path_hash, 32);
  twine_pfs_status s = tw_pfs_anchor_check(m, h, path_hash, false);
  if (s != TWINE_PFS_OK)
    return s;
  if ((s = tw_pfs_random(h->uuid, 16)) != TWINE_PFS_OK)
    return s;
  if (m->cfg.keys->current(m->cfg.keys_ctx, m->cfg.mount_id, h->kdk_id) != 0)
    return TWINE_PFS_KEY_UNAVAILABLE;
  if ((s = tw_pfs_get_kdk(m, h->kdk_id, ino->kdk, &ino->kdk_len)) != TWINE_PFS_OK)
    return s;
  h->flags = TW_PFS_HF_INLINE;
  h->path_len = (uint16_t)strlen(logical);
  memcpy(h->path, logical, h->path_len);
  ino->phys_len = ino->hinfo.size / TW_PFS_NODE;
  ino->hdr_dirty = true;
  return tw_pfs_commit(ino, ino->dur == TWINE_PFS_DUR_COMMIT);
}

static void set_logical(tw_pfs_hdr *h, const char *logical, const uint8_t path_hash[32]) {
  memcpy(h->path_hash, path_hash, 32);
  memset(h->path, 0, sizeof h->path);
  h->path_len = (uint16_t)strlen(logical);
  memcpy(h->path, logical, h->path_len);
}

/* Open an existing file. A header may carry a pending rename (flag RENAME:
 * a crash hit pfs_rename between its two commits); it then opens under
 * either path, and the open settles it at once: under the target the
 * rename is completed, under the old path it is abandoned; the record of
 * the path given up is tombstoned. Like a journal rollback (which must be
 * followed by the re-stamp), this commits during open and so needs write
 * access to the host file even for RDONLY. */
static twine_pfs_status load_file(tw_pfs_inode *ino, const char *logical,
                                  const uint8_t path_hash[32]) {
  twine_pfs_mount *m = ino->m;
  bool recovered = false;
  twine_pfs_status s = tw_pfs_recover(ino, &recovered);
  if (s == TWINE_PFS_EBADF) { /* replay needed on a read-only open */
    if ((s = reopen_writable(ino)) != TWINE_PFS_OK ||
        (s = tw_pfs_recover(ino, &recovered)) != TWINE_PFS_OK)
      return s;
  }
  if (s != TWINE_PFS_OK)
    return s;
  uint64_t hsize = ino->hinfo.size;
  if (hsize < TW_PFS_NODE || hsize % TW_PFS_NODE)
    return TWINE_PFS_CORRUPTED;
  if ((s = tw_pfs_io_read(ino, ino->h, ino->stage, TW_PFS_NODE, 0)) != TWINE_PFS_OK ||
      (s = tw_pfs_hdr_parse_plain(ino->stage, &ino->hdr)) != TWINE_PFS_OK ||
      (s = tw_pfs_get_kdk(m, ino->hdr.kdk_id, ino->kdk, &ino->kdk_len)) != TWINE_PFS_OK ||
      (s = tw_pfs_hdr_open(ino->gcm, ino->stage, ino->kdk, ino->kdk_len,
                           &ino->hdr)) != TWINE_PFS_OK)
    return s;
  /* A provisional header is legal only with the journal that rolls it
   * back (recovery above would have done so): the journal was removed. */
  if (ino->hdr.flags & TW_PFS_HF_PROVISIONAL)
    return TWINE_PFS_CORRUPTED;
  tw_pfs_hdr *h = &ino->hdr;
  bool primary = tw_cry_ct_equal(h->path_hash, path_hash, 32);
  bool pending = (h->flags & TW_PFS_HF_RENAME) != 0;
  if (!primary && !(pending && tw_cry_ct_equal(h->rename_to, path_hash, 32)))
    return TWINE_PFS_WRONG_PATH;
  ino->phys_len = hsize / TW_PFS_NODE;
  if (ino->phys_len < tw_pfs_phys_end(h->size))
    return TWINE_PFS_CORRUPTED;
  if ((s = tw_pfs_anchor_check(m, h, path_hash, true)) != TWINE_PFS_OK ||
      (s = tw_pfs_anchor_update(m, h, false)) != TWINE_PFS_OK)
    return s;
  if (!recovered && !pending)
    return TWINE_PFS_OK;
  if (!ino->writable && (s = reopen_writable(ino)) != TWINE_PFS_OK)
    return s;
  uint8_t gone[32];
  if (pending) {
    memcpy(gone, primary ? h->rename_to : h->path_hash, 32);
    if (!primary)
      set_logical(h, logical, path_hash);
    h->flags &= ~TW_PFS_HF_RENAME;
    memset(h->rename_to, 0, sizeof h->rename_to);
  }
  /* re-stamp after a rollback: the aborted base_gen + 1 must never pass */
  ino->restamp = recovered;
  ino->hdr_dirty = true;
  s = tw_pfs_commit(ino, true);
  if (s == TWINE_PFS_OK && pending)
    s = tw_pfs_anchor_drop(m, gone, h->uuid);
  return s;
}

static tw_pfs_inode *find_inode(twine_pfs_mount *m, const twine_pfs_host_info *hi) {
  for (tw_pfs_inode *i = m->inodes; i; i = i->next)
    if (!i->unlinked && i->hinfo.dev == hi->dev && i->hinfo.ino == hi->ino)
      return i;
  return NULL;
}

static twine_pfs_status open_locked(twine_pfs_mount *m, const char *host_path,
                                    const char *logical, uint32_t flags,
                                    const twine_pfs_open_opts *opts,
                                    const uint8_t path_hash[32],
                                    tw_pfs_inode **out) {
  const twine_pfs_io_ops *io = m->cfg.io;
  void *ctx = m->cfg.io_ctx;
  bool rdwr = (flags & TWINE_PFS_RDWR) != 0, created = false;
  uint32_t iof = TWINE_PFS_IO_READ | (rdwr ? TWINE_PFS_IO_WRITE : 0);
  uint64_t h;
  twine_pfs_host_info hi;
  int e = io->open(ctx, host_path, iof, &h, &hi);
  if (e == 44 /* ENOENT */ && (flags & TWINE_PFS_CREAT)) {
    e = io->open(ctx, host_path, iof | TWINE_PFS_IO_CREAT | TWINE_PFS_IO_EXCL, &h, &hi);
    created = e == 0;
  } else if (e == 0 && (flags & TWINE_PFS_CREAT) && (flags & TWINE_PFS_EXCL)) {
    io->close(ctx, h);
    return TWINE_PFS_EEXIST;
  }
  if (e != 0)
    return tw_pfs_io_status(e);
  if (hi.size > tw_pfs_phys_end(TWINE_PFS_MAX_SIZE) * TW_PFS_NODE * 2) {
    io->close(ctx, h);
    return TWINE_PFS_CORRUPTED;
  }
  twine_pfs_status s;
  tw_pfs_inode *ino = find_inode(m, &hi);
  if (ino) { /* shared inode */
    io->close(ctx, h);
    if ((s = sticky(ino)) != TWINE_PFS_OK)
      return s;
    if (!tw_cry_ct_equal(ino->hdr.path_hash, path_hash, 32))
      return TWINE_PFS_WRONG_PATH;
    if (rdwr && ino->lock_mode != TWINE_PFS_LOCK_EX) {
      if (io->lock(ctx, ino->h, TWINE_PFS_LOCK_EX) != 0)
        return TWINE_PFS_EBUSY;
      ino->lock_mode = TWINE_PFS_LOCK_EX;
      if (!ino->writable && (s = reopen_writable(ino)) != TWINE_PFS_OK)
        return s;
    }
    ino->refs++;
    *out = ino;
    return TWINE_PFS_OK;
  }
  uint32_t frames = opts && opts->cache_frames ? opts->cache_frames : m->cfg.cache_frames;
  twine_pfs_durability dur =
      opts && opts->durability != TWINE_PFS_DUR_DEFAULT ? opts->durability : m->cfg.durability;
  if ((s = inode_new(m, host_path, frames, dur, &ino)) != TWINE_PFS_OK) {
    io->close(ctx, h);
    return s;
  }
  ino->h = h;
  ino->hinfo = hi;
  ino->writable = rdwr;
  ino->lock_mode = rdwr ? TWINE_PFS_LOCK_EX : TWINE_PFS_LOCK_SH;
  if (io->lock(ctx, h, ino->lock_mode) != 0)
    s = TWINE_PFS_EBUSY;
  else if (created || (hi.size == 0 && (flags & TWINE_PFS_CREAT)))
    s = create_file(ino, logical, path_hash);
  else
    s = load_file(ino, logical, path_hash);
  if (s != TWINE_PFS_OK) {
    inode_free(ino);
    return s;
  }
  ino->refs = 1;
  ino->next = m->inodes;
  m->inodes = ino;
  *out = ino;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_open(twine_pfs_mount *m, const char *host_path,
                                const char *logical_path, uint32_t flags,
                                const twine_pfs_open_opts *opts,
                                twine_pfs_file **out) {
  const uint32_t known = TWINE_PFS_RDONLY | TWINE_PFS_RDWR | TWINE_PFS_CREAT |
                         TWINE_PFS_EXCL | TWINE_PFS_TRUNC | TWINE_PFS_APPEND;
  if (!m || !host_path || !logical_path || !out || (flags & ~known) ||
      !(flags & TWINE_PFS_RDONLY) == !(flags & TWINE_PFS_RDWR) ||
      ((flags & (TWINE_PFS_CREAT | TWINE_PFS_TRUNC)) && !(flags & TWINE_PFS_RDWR)))
    return TWINE_PFS_EINVAL;
  if (opts && ((opts->cache_frames && (opts->cache_frames < TWINE_PFS_CACHE_MIN ||
                                       opts->cache_frames > TWINE_PFS_CACHE_MAX)) ||
               (unsigned)opts->durability > TWINE_PFS_DUR_COMMIT))
    return TWINE_PFS_EINVAL;
  uint8_t ph[32];
  twine_pfs_status s = tw_pfs_path_hash(m->cfg.mount_id, logical_path, ph);
  if (s != TWINE_PFS_OK)
    return s;
  twine_pfs_file *f = calloc(1, sizeof *f);
  if (!f)
    return TWINE_PFS_ENOMEM;
  tw_pfs_inode *ino = NULL;
  pthread_mutex_lock(&m->mx);
  s = open_locked(m, host_path, logical_path, flags, opts, ph, &ino);
  if (s == TWINE_PFS_OK && (flags & TWINE_PFS_TRUNC)) {
    pthread_rwlock_wrlock(&ino->rw);
    s = tw_pfs_resize(ino, 0);
    pthread_rwlock_unlock(&ino->rw);
    if (s != TWINE_PFS_OK)
      s = tw_pfs_fail(ino, s);
  }
  pthread_mutex_unlock(&m->mx);
  if (ino) {
    f->ino = ino;
    f->flags = flags;
  }
  if (s != TWINE_PFS_OK) {
    if (ino) {
      twine_pfs_close(f); /* drops the reference open_locked took */
    } else {
      free(f);
    }
    return s;
  }
  *out = f;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_close(twine_pfs_file *f) {
  if (!f)
    return TWINE_PFS_OK;
  tw_pfs_inode *ino = f->ino;
  twine_pfs_mount *m = ino->m;
  twine_pfs_status s = TWINE_PFS_OK;
  pthread_mutex_lock(&m->mx);
  if (--ino->refs == 0) {
    if (ino->writable) {
      pthread_rwlock_wrlock(&ino->rw);
      s = tw_pfs_commit(ino, ino->dur == TWINE_PFS_DUR_COMMIT);
      pthread_rwlock_unlock(&ino->rw);
    }
    if (s == TWINE_PFS_OK && ino->j_open && !ino->unlinked) {
      m->cfg.io->close(m->cfg.io_ctx, ino->jh);
      ino->j_open = false;
      m->cfg.io->unlink(m->cfg.io_ctx, ino->jpath); /* empty: best effort */
    }
    tw_pfs_inode **pp = &m->inodes;
    while (*pp && *pp != ino)
      pp = &(*pp)->next;
    if (*pp)
      *pp = ino->next;
    inode_free(ino);
  }
  pthread_mutex_unlock(&m->mx);
  free(f);
  return s;
}

/* ---- data -------------------------------------------------------------------- */

/* Reads of at least this many whole nodes bypass the cache. */
#define DIRECT_MIN 8u

static twine_pfs_status pread_locked(tw_pfs_inode *ino, uint8_t *buf, size_t len,
                                     uint64_t off, bool excl, size_t *nread) {
  uint64_t size = ino->hdr.size;
  if (off >= size) {
    *nread = 0;
    return TWINE_PFS_OK;
  }
  if (len > size - off)
    len = (size_t)(size - off);
  if (size <= TW_PFS_INLINE_MAX) {
    memcpy(buf, ino->hdr.inl + off, len);
    *nread = len;
    return TWINE_PFS_OK;
  }
  size_t done = 0;
  while (done < len) {
    uint64_t o = off + done, d = o / TW_PFS_NODE;
    size_t in = (size_t)(o % TW_PFS_NODE), n = TW_PFS_NODE - in;
    twine_pfs_status s;
    if (in == 0 && len - done >= DIRECT_MIN * TW_PFS_NODE) {
      /* large read: whole uncached nodes straight into buf, no copy */
      uint64_t got = 0;
      if (!excl)
        pthread_mutex_lock(&ino->cmx);
      s = tw_pfs_read_direct(ino, d, (len - done) / TW_PFS_NODE, excl ? TW_PFS_G_EXCL : 0,
                             buf + done, &got);
      if (!excl)
        pthread_mutex_unlock(&ino->cmx);
      if (s != TWINE_PFS_OK)
        return s;
      if (got > 0) {
        done += (size_t)got * TW_PFS_NODE;
        continue;
      }
    }
    if (n > len - done)
      n = len - done;
    tw_pfs_frame *fr;
    if (!excl)
      pthread_mutex_lock(&ino->cmx);
    s = tw_pfs_get(ino, TW_PFS_K_DATA, d, excl ? TW_PFS_G_EXCL : 0, &fr);
    if (s == TWINE_PFS_OK)
      TW_PFS_PROF(TW_PFS_P_COPY, memcpy(buf + done, fr->buf + in, n));
    if (!excl)
      pthread_mutex_unlock(&ino->cmx);
    if (s != TWINE_PFS_OK)
      return s;
    done += n;
  }
  *nread = len;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_pread(twine_pfs_file *f, void *buf, size_t len,
                                 uint64_t off, size_t *nread) {
  if (!f || (!buf && len) || !nread)
    return TWINE_PFS_EINVAL;
  tw_pfs_inode *ino = f->ino;
  twine_pfs_status s = sticky(ino);
  if (s != TWINE_PFS_OK)
    return s;
  pthread_rwlock_rdlock(&ino->rw);
  s = pread_locked(ino, buf, len, off, false, nread);
  pthread_rwlock_unlock(&ino->rw);
  if (s == TW_PFS_NEED_EXCL) { /* cache full of dirty frames: commit first */
    pthread_rwlock_wrlock(&ino->rw);
    s = sticky(ino);
    if (s == TWINE_PFS_OK)
      s = pread_locked(ino, buf, len, off, true, nread);
    pthread_rwlock_unlock(&ino->rw);
  }
  return s;
}

static twine_pfs_status pwrite_locked(tw_pfs_inode *ino, const uint8_t *buf,
                                      size_t len, uint64_t off) {
  twine_pfs_status s = sticky(ino);
  if (s != TWINE_PFS_OK)
    return s;
  if (len == 0)
    return TWINE_PFS_OK;
  if (off > TWINE_PFS_MAX_SIZE || len > TWINE_PFS_MAX_SIZE - off)
    return TWINE_PFS_EFBIG;
  uint64_t end = off + len;
  if (end > ino->hdr.size && (s = tw_pfs_resize(ino, end)) != TWINE_PFS_OK)
    return tw_pfs_fail(ino, s);
  if (ino->hdr.size <= TW_PFS_INLINE_MAX) {
    memcpy(ino->hdr.inl + off, buf, len);
    ino->hdr_dirty = true;
    return TWINE_PFS_OK;
  }
  size_t done = 0;
  while (done < len) {
    uint64_t o = off + done, d = o / TW_PFS_NODE;
    size_t in = (size_t)(o % TW_PFS_NODE), n = TW_PFS_NODE - in;
    if (n > len - done)
      n = len - done;
    /* cache half dirty: a provisional commit (B1 at most, see pfs_commit.c) */
    if (ino->ndirty * 2 > ino->nframes && (s = tw_pfs_commit(ino, false)) != TWINE_PFS_OK)
      return s;
    tw_pfs_frame *fr;
    unsigned gf = TW_PFS_G_EXCL | (n == TW_PFS_NODE ? TW_PFS_G_NOFILL : 0);
    if ((s = tw_pfs_get(ino, TW_PFS_K_DATA, d, gf, &fr)) != TWINE_PFS_OK)
      return s;
    TW_PFS_PROF(TW_PFS_P_COPY, memcpy(fr->buf + in, buf + done, n));
    tw_pfs_mark_dirty(ino, fr);
    done += n;
  }
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_pwrite(twine_pfs_file *f, const void *buf, size_t len,
                                  uint64_t off, size_t *nwritten) {
  if (!f || (!buf && len) || !nwritten)
    return TWINE_PFS_EINVAL;
  if (!(f->flags & TWINE_PFS_RDWR))
    return TWINE_PFS_EBADF;
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  twine_pfs_status s = pwrite_locked(ino, buf, len, off);
  pthread_rwlock_unlock(&ino->rw);
  if (s == TWINE_PFS_OK)
    *nwritten = len;
  return s;
}

twine_pfs_status twine_pfs_read(twine_pfs_file *f, void *buf, size_t len,
                                size_t *nread) {
  if (!f || !nread)
    return TWINE_PFS_EINVAL;
  size_t n = 0;
  twine_pfs_status s = twine_pfs_pread(f, buf, len, f->pos, &n);
  if (s == TWINE_PFS_OK) {
    f->pos += n;
    *nread = n;
  }
  return s;
}

twine_pfs_status twine_pfs_write(twine_pfs_file *f, const void *buf, size_t len,
                                 size_t *nwritten) {
  if (!f || (!buf && len) || !nwritten)
    return TWINE_PFS_EINVAL;
  if (!(f->flags & TWINE_PFS_RDWR))
    return TWINE_PFS_EBADF;
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  if (f->flags & TWINE_PFS_APPEND)
    f->pos = ino->hdr.size;
  twine_pfs_status s = pwrite_locked(ino, buf, len, f->pos);
  pthread_rwlock_unlock(&ino->rw);
  if (s == TWINE_PFS_OK) {
    f->pos += len;
    *nwritten = len;
  }
  return s;
}

twine_pfs_status twine_pfs_seek(twine_pfs_file *f, int64_t offset, int whence,
                                uint64_t *newpos) {
  if (!f)
    return TWINE_PFS_EINVAL;
  int64_t base;
  if (whence == TWINE_PFS_SEEK_SET) {
    base = 0;
  } else if (whence == TWINE_PFS_SEEK_CUR) {
    base = (int64_t)f->pos;
  } else if (whence == TWINE_PFS_SEEK_END) {
    uint64_t size;
    twine_pfs_status s = twine_pfs_get_size(f, &size);
    if (s != TWINE_PFS_OK)
      return s;
    base = (int64_t)size;
  } else {
    return TWINE_PFS_EINVAL;
  }
  /* base <= 2^40, so only offset can overflow */
  if (offset > 0 && offset > INT64_MAX - base)
    return TWINE_PFS_EFBIG;
  int64_t p = base + offset;
  if (p < 0)
    return TWINE_PFS_EINVAL;
  if ((uint64_t)p > TWINE_PFS_MAX_SIZE)
    return TWINE_PFS_EFBIG;
  f->pos = (uint64_t)p;
  if (newpos)
    *newpos = f->pos;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_tell(twine_pfs_file *f, uint64_t *pos) {
  if (!f || !pos)
    return TWINE_PFS_EINVAL;
  *pos = f->pos;
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_get_size(twine_pfs_file *f, uint64_t *size) {
  if (!f || !size)
    return TWINE_PFS_EINVAL;
  tw_pfs_inode *ino = f->ino;
  twine_pfs_status s = sticky(ino);
  if (s != TWINE_PFS_OK)
    return s;
  pthread_rwlock_rdlock(&ino->rw);
  *size = ino->hdr.size;
  pthread_rwlock_unlock(&ino->rw);
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_set_size(twine_pfs_file *f, uint64_t size) {
  if (!f)
    return TWINE_PFS_EINVAL;
  if (!(f->flags & TWINE_PFS_RDWR))
    return TWINE_PFS_EBADF;
  if (size > TWINE_PFS_MAX_SIZE)
    return TWINE_PFS_EFBIG;
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  twine_pfs_status s = sticky(ino);
  if (s == TWINE_PFS_OK && (s = tw_pfs_resize(ino, size)) != TWINE_PFS_OK)
    tw_pfs_fail(ino, s);
  pthread_rwlock_unlock(&ino->rw);
  return s;
}

twine_pfs_status twine_pfs_sync(twine_pfs_file *f, uint32_t kind) {
  if (!f || (kind != TWINE_PFS_SYNC_DATA && kind != TWINE_PFS_SYNC_FULL))
    return TWINE_PFS_EINVAL;
  tw_pfs_inode *ino = f->ino;
  if (!ino->writable)
    return sticky(ino);
  pthread_rwlock_wrlock(&ino->rw);
  bool durable = ino->dur == TWINE_PFS_DUR_COMMIT;
  twine_pfs_status s = tw_pfs_commit(ino, durable);
  if (s == TWINE_PFS_OK && durable && kind == TWINE_PFS_SYNC_FULL) {
    int e = ino->m->cfg.io->fsync(ino->m->cfg.io_ctx, ino->h);
    if (e != 0)
      s = tw_pfs_fail(ino, tw_pfs_io_status(e));
  }
  pthread_rwlock_unlock(&ino->rw);
  return s;
}

twine_pfs_status twine_pfs_stat(twine_pfs_file *f, twine_pfs_stat_t *st) {
  if (!f || !st)
    return TWINE_PFS_EINVAL;
  tw_pfs_inode *ino = f->ino;
  twine_pfs_status s = sticky(ino);
  if (s != TWINE_PFS_OK)
    return s;
  pthread_rwlock_rdlock(&ino->rw);
  st->size = ino->hdr.size;
  st->generation = ino->hdr.gen;
  st->mtime_ns = ino->hdr.mtime_ns;
  memcpy(st->file_uuid, ino->hdr.uuid, 16);
  pthread_rwlock_unlock(&ino->rw);
  return TWINE_PFS_OK;
}

twine_pfs_status twine_pfs_clear_cache(twine_pfs_file *f) {
  if (!f)
    return TWINE_PFS_EINVAL;
  tw_pfs_inode *ino = f->ino;
  pthread_rwlock_wrlock(&ino->rw);
  twine_pfs_status s = ino->writable ? tw_pfs_commit(ino, false) : sticky(ino);
  if (s == TWINE_PFS_OK)
    tw_pfs_cache_drop_clean(ino);
  pthread_rwlock_unlock(&ino->rw);
  return s;
}

twine_pfs_status twine_pfs_rekey(twine_pfs_file *f) {
  if (!f)
    return TWINE_PFS_EINVAL;
  if (!(f->flags & TWINE_PFS_RDWR))
    return TWINE_PFS_EBADF;
  tw_pfs_inode *ino = f->ino;
  twine_pfs_mount *m = ino->m;
  uint8_t id[16], kdk[32];
  size_t kdk_len = 0;
  pthread_rwlock_wrlock(&ino->rw);
  twine_pfs_status s = sticky(ino);
  if (s == TWINE_PFS_OK &&
      m->cfg.keys->current(m->cfg.keys_ctx, m->cfg.mount_id, id) != 0)
    s = TWINE_PFS_KEY_UNAVAILABLE;
  if (s == TWINE_PFS_OK && (s = tw_pfs_get_kdk(m, id, kdk, &kdk_len)) == TWINE_PFS_OK) {
    /* Pending data first, under the old key, so the rekey commit is
     * header-only. */
    s = tw_pfs_commit(ino, false);
    if (s == TWINE_PFS_OK) {
      memcpy(ino->hdr.kdk_id, id, 16);
      memcpy(ino->kdk, kdk, sizeof kdk);
      ino->kdk_len = kdk_len;
      ino->hdr_dirty = true;
      s = tw_pfs_commit(ino, ino->dur == TWINE_PFS_DUR_COMMIT);
    }
  }
  tw_cry_wipe(kdk, sizeof kdk);
  pthread_rwlock_unlock(&ino->rw);
  return s;
}

twine_pfs_status twine_pfs_error(twine_pfs_file *f) {
  return f ? sticky(f->ino) : TWINE_PFS_EINVAL;
}

/* ---- names ------------------------------------------------------------------- */

/* Mark the open inodes of host_path (other than `keep`) as removed. */
static void mark_unlinked(twine_pfs_mount *m, const char *host_path,
                          const tw_pfs_inode *keep) {
  for (tw_pfs_inode *i = m->inodes; i; i = i->next)
    if (i != keep && !i->unlinked && strcmp(i->host_path, host_path) == 0) {
      i->unlinked = true;
      if (i->j_open) {
        m->cfg.io->close(m->cfg.io_ctx, i->jh);
        i->j_open = false;
      }
    }
}

twine_pfs_status twine_pfs_unlink(twine_pfs_mount *m, const char *host_path,
                                  const char *logical_path) {
  if (!m || !host_path || !logical_path)
    return TWINE_PFS_EINVAL;
  uint8_t ph[32];
  twine_pfs_status s = tw_pfs_path_hash(m->cfg.mount_id, logical_path, ph);
  if (s != TWINE_PFS_OK)
    return s;
  char *jp = tw_pfs_journal_path(host_path);
  if (!jp)
    return TWINE_PFS_ENOMEM;
  pthread_mutex_lock(&m->mx);
  int e = m->cfg.io->unlink(m->cfg.io_ctx, host_path);
  s = tw_pfs_io_status(e);
  if (s == TWINE_PFS_OK) {
    m->cfg.io->unlink(m->cfg.io_ctx, jp); /* usually absent */
    mark_unlinked(m, host_path, NULL);
    if (m->cfg.anchor && m->cfg.anchor->ops->tombstone(m->cfg.anchor->ctx, ph) != 0)
      s = TWINE_PFS_EHOST;
  }
  pthread_mutex_unlock(&m->mx);
  free(jp);
  return s;
}

twine_pfs_status twine_pfs_rename(twine_pfs_mount *m, const char *old_host,
                                  const char *old_logical, const char *new_host,
                                  const char *new_logical) {
  if (!m || !old_host || !old_logical || !new_host || !new_logical)
    return TWINE_PFS_EINVAL;
  uint8_t oph[32], nph[32];
  twine_pfs_status s = tw_pfs_path_hash(m->cfg.mount_id, old_logical, oph);
  if (s == TWINE_PFS_OK)
    s = tw_pfs_path_hash(m->cfg.mount_id, new_logical, nph);
  if (s != TWINE_PFS_OK)
    return s;
  char *nh = strdup(new_host), *nj = tw_pfs_journal_path(new_host);
  twine_pfs_file *f = NULL;
  if (!nh || !nj) {
    s = TWINE_PFS_ENOMEM;
    goto out;
  }
  if ((s = twine_pfs_open(m, old_host, old_logical, TWINE_PFS_RDWR, NULL, &f)) != TWINE_PFS_OK)
    goto out;
  tw_pfs_inode *ino = f->ino;
  tw_pfs_hdr *h = &ino->hdr;
  pthread_mutex_lock(&m->mx);
  pthread_rwlock_wrlock(&ino->rw);
  mark_unlinked(m, new_host, ino); /* a replaced open file keeps its own data */
  /* (1) Commit the intent: still bound to the old path, plus the pending
   * target (flag RENAME). From here on the file opens under either path,
   * wherever a crash leaves the host file; that open settles the rename
   * (load_file). The anchor record stays under the old path. */
  h->flags |= TW_PFS_HF_RENAME;
  memcpy(h->rename_to, nph, 32);
  ino->hdr_dirty = true;
  s = tw_pfs_commit(ino, true); /* final: durable for DUR_COMMIT */
  /* (2) The host rename. If it fails, the intent is withdrawn. */
  if (s == TWINE_PFS_OK) {
    int e = m->cfg.io->rename(m->cfg.io_ctx, old_host, new_host);
    if (e != 0) {
      s = tw_pfs_io_status(e);
      h->flags &= ~TW_PFS_HF_RENAME;
      memset(h->rename_to, 0, sizeof h->rename_to);
      ino->hdr_dirty = true;
      tw_pfs_commit(ino, true);
    }
  }
  /* (3) The journal follows the host file (it is empty after a commit). */
  if (s == TWINE_PFS_OK) {
    if (ino->j_open) {
      m->cfg.io->close(m->cfg.io_ctx, ino->jh);
      ino->j_open = false;
    }
    m->cfg.io->unlink(m->cfg.io_ctx, ino->jpath);
    free(ino->host_path);
    free(ino->jpath);
    ino->host_path = nh;
    ino->jpath = nj;
    nh = nj = NULL;
  }
  /* (4) Bind to the new path only; the old path's record is tombstoned. */
  if (s == TWINE_PFS_OK) {
    set_logical(h, new_logical, nph);
    h->flags &= ~TW_PFS_HF_RENAME;
    memset(h->rename_to, 0, sizeof h->rename_to);
    ino->hdr_dirty = true;
    s = tw_pfs_commit(ino, true);
    if (s == TWINE_PFS_OK)
      s = tw_pfs_anchor_drop(m, oph, h->uuid);
  }
  pthread_rwlock_unlock(&ino->rw);
  pthread_mutex_unlock(&m->mx);
  twine_pfs_status cs = twine_pfs_close(f);
  if (s == TWINE_PFS_OK)
    s = cs;
out:
  free(nh);
  free(nj);
  return s;
}

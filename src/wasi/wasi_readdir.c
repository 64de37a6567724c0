/*
 * wasi_readdir.c - fd_readdir: directory entries as preview1 dirents.
 *
 * The guest buffer receives entries back to back, each a 24-byte header
 * (d_next u64, d_ino u64, d_namlen u32, d_type u8, 3 bytes padding) and
 * the name without NUL. The last entry is cut off to fill the buffer
 * exactly when it does not fit; bufused == buf_len therefore means "there
 * may be more" and the guest retries with a larger buffer from the cookie
 * of the last complete entry (what wasi-libc does).
 *
 * Cookies, as wasmtime: the listing always starts with "." (d_next 1) and
 * ".." (d_next 2), both with the directory's own inode (the parent may be
 * outside the sandbox); then come the host's entries, whose own "." and
 * ".." are dropped. Guest cookie 2 is the host's start (host cookie 0) and
 * an entry whose host `next` is N gets d_next N + 2, so resuming at any
 * d_next continues right after that entry. The host's cookies are opaque
 * and never 0 (the boundary checks); each fd_readdir is stateless.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi/wasi_prot.h"

/* Most entries asked of the host per batch (the stub may clamp further). */
#define TW_WASI_RD_BATCH 1024u

/* Where the guest's entries go. */
typedef struct rd_out {
  tw_wasi_call *c;
  uint64_t buf, len, used;
} rd_out;

/* Append one entry, truncated to what is left; false once full. */
static bool emit(rd_out *o, uint64_t next, uint64_t ino, uint8_t type,
                 const char *name, uint32_t namelen) {
  uint8_t hdr[TW_WSZ_DIRENT];
  memset(hdr, 0, sizeof hdr);
  tw_wasi_le64(hdr, next);
  tw_wasi_le64(hdr + 8, ino);
  tw_wasi_le32(hdr + 16, namelen);
  hdr[20] = type;
  uint64_t room = o->len - o->used;
  uint64_t k = room < TW_WSZ_DIRENT ? room : TW_WSZ_DIRENT;
  uint8_t *p = tw_wasi_mem(o->c, o->buf + o->used, k);
  if (p && k) memcpy(p, hdr, (size_t)k);
  o->used += k;
  room -= k;
  k = room < namelen ? room : namelen;
  p = tw_wasi_mem(o->c, o->buf + o->used, k);
  if (p && k) memcpy(p, name, (size_t)k);
  o->used += k;
  return o->used < o->len;
}

static bool is_dots(const char *s, uint32_t n) {
  return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* The host's entries from host cookie `hc` on, until the guest buffer is
 * full or the listing ends. */
static tw_wasi_errno host_entries(tw_wasi *w, uint32_t handle, uint64_t hc,
                                  bool hide, rd_out *o) {
  uint64_t fit = (o->len - o->used) / TW_WSZ_DIRENT + 1;
  size_t max = fit < TW_WASI_RD_BATCH ? (size_t)fit : TW_WASI_RD_BATCH;
  tw_hdirent *ents = malloc(max * sizeof *ents);
  char *names = malloc(TW_HC_MAX_DIRENT_BYTES);
  tw_wasi_errno r = TW_WE_SUCCESS;
  if (!ents || !names) {
    r = TW_WE_NOMEM;
    goto out;
  }
  unsigned dots = 0;
  while (o->used < o->len) {
    /* ask for about as much as still fits (every entry takes more than
     * TW_WSZ_DIRENT bytes), within the boundary's limits */
    uint64_t room = o->len - o->used;
    size_t want = (size_t)(room / TW_WSZ_DIRENT + 1 < max
                               ? room / TW_WSZ_DIRENT + 1
                               : max);
    size_t cap = room < TW_HC_MAX_NAME ? TW_HC_MAX_NAME
                 : room > TW_HC_MAX_DIRENT_BYTES ? TW_HC_MAX_DIRENT_BYTES
                                                 : (size_t)room;
    size_t n = 0;
    tw_herr e = tw_hc_readdir(w->hc, handle, hc, ents, want, names, cap, &n);
    if (e != TW_HE_OK) {
      r = tw_wasi_herr(w, e);
      goto out;
    }
    if (n == 0) break; /* the end */
    for (size_t i = 0; i < n; i++) {
      const tw_hdirent *d = &ents[i];
      hc = d->next;
      if (is_dots(d->name, d->namelen)) {
        /* a listing holds each once; more means the host is looping */
        if (++dots > 2) {
          w->host_errors++;
          r = TW_WE_IO;
          goto out;
        }
        continue;
      }
      /* a protected mount's journals and anchor files */
      if (hide && tw_wasi_prot_reserved(d->name, d->namelen)) continue;
      if (d->next > UINT64_MAX - 2) {
        w->host_errors++;
        r = TW_WE_IO;
        goto out;
      }
      if (!emit(o, d->next + 2, d->ino, tw_wasi_filetype(d->type), d->name,
                d->namelen))
        goto out;
    }
  }
out:
  free(ents);
  free(names);
  return r;
}

/* fd, buf, buf_len, cookie, *bufused */
tw_wasi_errno tw_wasi_fn_fd_readdir(tw_wasi_call *c, const uint64_t *a) {
  tw_wasi *w = c->w;
  tw_wasi_fd *f;
  tw_wasi_errno r = tw_wasi_dir_get(w, a[0], TW_WR_FD_READDIR, &f);
  if (r) return r;
  uint64_t cookie = a[3];
  if (!tw_wasi_mem(c, a[1], a[2]) || !tw_wasi_mem(c, a[4], 4))
    return TW_WE_FAULT;
  rd_out o = {c, a[1], a[2], 0};
  if (cookie < 2 && o.len > 0) {
    tw_hstat st;
    tw_herr e = tw_hc_fstat(w->hc, f->handle, &st);
    if (e != TW_HE_OK) return tw_wasi_herr(w, e);
    bool more = true;
    if (cookie == 0) more = emit(&o, 1, st.ino, TW_WFT_DIR, ".", 1);
    if (more) emit(&o, 2, st.ino, TW_WFT_DIR, "..", 2);
  }
  if (o.used < o.len) {
    r = host_entries(w, f->handle, cookie <= 2 ? 0 : cookie - 2,
                     f->pfs != NULL, &o);
    if (r) return r;
  }
  return tw_wasi_put_u32(c, a[4], (uint32_t)o.used) ? TW_WE_SUCCESS
                                                     : TW_WE_FAULT;
}

/*
 * cli_util.c - messages, module files and type printing for the twine CLI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/strbuf.h"

/* Modules larger than this are refused before reading them. */
#define CLI_MAX_MODULE_BYTES ((size_t)1 << 30)

/* Bytes that must not reach a terminal raw: C0 controls, DEL, and the C1
 * controls (UTF-8 C2 80..C2 9F). Returns how many bytes at s[i] to escape
 * (0 = print as is). */
static size_t unsafe_len(const unsigned char *s, size_t i, size_t n) {
  if (s[i] < 0x20 || s[i] == 0x7f) return 1;
  if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
    return 2;
  return 0;
}

void cli_escape(const char *s, size_t n, char *buf, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t w = 0;
  if (!len) return;
  for (size_t i = 0; i < n;) {
    size_t k = unsafe_len(u, i, n);
    if (k == 0) {
      if (w + 1 >= len) break;
      buf[w++] = (char)u[i++];
      continue;
    }
    if (w + 4 * k >= len) break;
    for (size_t j = 0; j < k; j++, i++) {
      snprintf(buf + w, len - w, "\\x%02x", u[i]);
      w += 4;
    }
  }
  buf[w] = '\0';
}

void cli_err(const char *fmt, ...) {
  char msg[2048], safe[4 * sizeof msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cli_escape(msg, strlen(msg), safe, sizeof safe);
  fprintf(stderr, "twine: %s\n", safe);
}

static const char *section_name(unsigned id) {
  static const char *const names[] = {
      "custom", "type",   "import", "function", "table", "memory",   "global",
      "export", "start", "element", "code",   "data",  "data count"};
  return id < sizeof names / sizeof names[0] ? names[id] : NULL;
}

/* The section header at b[pos]: id byte + LEB128 size. Sets *id and *end
 * (one past the section, clamped to n) and returns true if the size was
 * read completely; false for a truncated header (then *end = n). */
static bool section_header(const uint8_t *b, size_t n, size_t pos,
                           unsigned *id, size_t *end) {
  *id = b[pos++];
  uint64_t size = 0;
  unsigned shift = 0;
  while (pos < n && shift < 35) {
    uint8_t byte = b[pos++];
    size |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) {
      *end = size <= n - pos ? pos + (size_t)size : n;
      return true;
    }
  }
  *end = n;
  return false;
}

/* The section holding byte `off` of a module: walks the section headers,
 * trusting nothing. Writes "section 10 (code)" or "the module header";
 * false if the offset lies in no section. */
static bool section_at(const uint8_t *b, size_t n, size_t off, char *buf,
                       size_t len) {
  if (!b || off == SIZE_MAX) return false;
  if (off < 8) {
    snprintf(buf, len, "the module header");
    return true;
  }
  for (size_t pos = 8; pos < n;) {
    unsigned id;
    size_t end;
    bool done = section_header(b, n, pos, &id, &end);
    /* A section that runs to (or past) the end also owns offset n, where
     * "unexpected end" errors point. */
    if (off >= pos && (off < end || (end == n && off == n))) {
      const char *name = section_name(id);
      if (name)
        snprintf(buf, len, "section %u (%s)", id, name);
      else
        snprintf(buf, len, "section %u", id);
      return true;
    }
    if (!done) break;
    pos = end;
  }
  return false;
}

bool cli_module_has_section(const uint8_t *b, size_t n, unsigned id) {
  for (size_t pos = 8; b && pos < n;) {
    unsigned sid;
    size_t end;
    bool done = section_header(b, n, pos, &sid, &end);
    if (sid == id) return true;
    if (!done) break;
    pos = end;
  }
  return false;
}

/* LEB128 (up to 64 bits) at b[pos] below end; pos advances. */
static bool scan_leb(const uint8_t *b, size_t end, size_t *pos,
                     uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; *pos < end && shift < 64; shift += 7) {
    uint8_t byte = b[(*pos)++];
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* A name (length + bytes) at b[pos]; s and len point into b. */
static bool scan_name(const uint8_t *b, size_t end, size_t *pos,
                      const uint8_t **s, size_t *len) {
  uint64_t n;
  if (!scan_leb(b, end, pos, &n) || n > end - *pos) return false;
  *s = b + *pos;
  *len = (size_t)n;
  *pos += (size_t)n;
  return true;
}

/* Limits: flags, min, [max]. */
static bool scan_limits(const uint8_t *b, size_t end, size_t *pos) {
  uint64_t flags, v;
  if (!scan_leb(b, end, pos, &flags) || !scan_leb(b, end, pos, &v))
    return false;
  return !(flags & 1) || scan_leb(b, end, pos, &v);
}

/* One import's description (after its kind byte k). */
static bool scan_importdesc(const uint8_t *b, size_t end, size_t *pos,
                            uint8_t k) {
  uint64_t v;
  switch (k) {
  case 0: /* func: type index */
    return scan_leb(b, end, pos, &v);
  case 1: /* table: reftype, limits */
    if (*pos >= end) return false;
    (*pos)++;
    return scan_limits(b, end, pos);
  case 2: /* memory */
    return scan_limits(b, end, pos);
  case 3: /* global: valtype, mutability */
    if (end - *pos < 2) return false;
    *pos += 2;
    return true;
  case 4: /* tag: attribute, type index */
    if (*pos >= end) return false;
    (*pos)++;
    return scan_leb(b, end, pos, &v);
  default:
    return false;
  }
}

bool cli_module_imports_from(const uint8_t *b, size_t n, const char *name) {
  size_t want = strlen(name);
  for (size_t pos = 8; b && pos < n;) {
    unsigned sid;
    size_t end;
    bool done = section_header(b, n, pos, &sid, &end);
    if (!done) return false;
    if (sid == 2) {
      /* the body starts after the id byte and the size LEB */
      size_t p = pos + 1;
      uint64_t size, count;
      if (!scan_leb(b, n, &p, &size) || !scan_leb(b, end, &p, &count))
        return false;
      for (uint64_t i = 0; i < count; i++) {
        const uint8_t *m, *f;
        size_t ml, fl;
        if (!scan_name(b, end, &p, &m, &ml) ||
            !scan_name(b, end, &p, &f, &fl) || p >= end)
          return false;
        if (ml == want && memcmp(m, name, want) == 0) return true;
        uint8_t k = b[p++];
        if (!scan_importdesc(b, end, &p, k)) return false;
      }
      return false;
    }
    pos = end;
  }
  return false;
}

void cli_report_error(const char *path, twine_status_t st,
                      const twine_error_t *err, const uint8_t *bytes,
                      size_t len) {
  const char *what = cli_status_name(st);
  const char *reason = err && err->message[0] ? err->message : "";
  char where[64] = "";
  /* Name the section unless the engine's reason already does. */
  if (err && strncmp(reason, "section", 7) != 0) {
    char sec[40];
    if (section_at(bytes, len, err->offset, sec, sizeof sec))
      snprintf(where, sizeof where, " in %s", sec);
  }
  if (err && err->offset != SIZE_MAX)
    cli_err("%s: %s at offset %zu (0x%zx)%s: %s", path, what, err->offset,
            err->offset, where, reason);
  else
    cli_err("%s: %s%s%s", path, what, reason[0] ? ": " : "", reason);
}

void cli_report_trap(const twine_trap_t *t) {
  const char *kind = twine_trap_kind_str(t->kind);
  if (!kind) kind = "unknown trap";
  /* Host traps carry their own message; for the others it repeats the
   * kind. */
  if (t->message[0] && strcmp(t->message, kind) != 0)
    cli_err("trap: %s: %s", kind, t->message);
  else
    cli_err("trap: %s", kind);
  uint32_t n = t->nframes <= TWINE_TRAP_MAX_FRAMES ? t->nframes
                                                   : TWINE_TRAP_MAX_FRAMES;
  if (n == 0) return;
  fprintf(stderr, "backtrace:\n");
  for (uint32_t i = 0; i < n; i++) {
    const twine_frame_info_t *f = &t->frames[i];
    /* Deep recursion: one line for a run of identical frames. */
    uint32_t same = i;
    while (same + 1 < n && t->frames[same + 1].func_index == f->func_index &&
           t->frames[same + 1].code_offset == f->code_offset)
      same++;
    char name[512], off[32] = "";
    if (f->code_offset != UINT32_MAX)
      snprintf(off, sizeof off, ", offset 0x%x", (unsigned)f->code_offset);
    if (f->func_name) {
      cli_escape(f->func_name, f->func_name_len, name, sizeof name);
      fprintf(stderr, "  #%u %s (func %u%s)\n", (unsigned)i, name,
              (unsigned)f->func_index, off);
    } else {
      fprintf(stderr, "  #%u func %u%s%s%s\n", (unsigned)i,
              (unsigned)f->func_index, off[0] ? " (" : "",
              off[0] ? off + 2 : "", off[0] ? ")" : "");
    }
    if (same > i + 1)
      fprintf(stderr, "  #%u..#%u same as #%u\n", (unsigned)i + 1,
              (unsigned)same, (unsigned)i);
    else if (same == i + 1)
      fprintf(stderr, "  #%u same as #%u\n", (unsigned)same, (unsigned)i);
    i = same;
  }
  if (t->total_frames > n)
    fprintf(stderr, "  ... %u more frames\n", (unsigned)(t->total_frames - n));
}

/* A wasm binary starts with "\0asm"; say something helpful about text. */
static bool check_magic(const char *path, const uint8_t *b, size_t n) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  if (n >= 4 && memcmp(b, magic, 4) == 0) return true;
  size_t i = 0;
  while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' ||
                   b[i] == '\r'))
    i++;
  bool text = i < n && (b[i] == '(' || (b[i] == ';' && i + 1 < n &&
                                        b[i + 1] == ';'));
  if (n == 0)
    cli_err("%s: not a WebAssembly module (the file is empty)", path);
  else if (text)
    cli_err("%s: not a WebAssembly binary module (this looks like the text "
            "format; convert it with wat2wasm)",
            path);
  else
    cli_err("%s: not a WebAssembly module (no \\0asm header)", path);
  return false;
}

bool cli_read_module(const char *path, uint8_t **bytes, size_t *len) {
  if (!path || !*path) {
    cli_err("empty module path");
    return false;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("cannot open %s: %s", path, strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    cli_err("cannot stat %s: %s", path, strerror(errno));
    close(fd);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    cli_err("%s: is a directory, not a module file", path);
    close(fd);
    return false;
  }
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > CLI_MAX_MODULE_BYTES) {
    cli_err("%s: file too large (%lld bytes; the limit is %zu)", path,
            (long long)st.st_size, CLI_MAX_MODULE_BYTES);
    close(fd);
    return false;
  }
  /* Read until EOF (works for pipes too), never past the limit. */
  size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1
                                                     : 65536;
  size_t n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    cli_err("%s: out of memory", path);
    close(fd);
    return false;
  }
  for (;;) {
    if (n == cap) {
      if (cap > CLI_MAX_MODULE_BYTES) {
        cli_err("%s: file too large (the limit is %zu bytes)", path,
                CLI_MAX_MODULE_BYTES);
        goto fail;
      }
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        cli_err("%s: out of memory", path);
        goto fail;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      cli_err("cannot read %s: %s", path, strerror(errno));
      goto fail;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  if (!check_magic(path, buf, n)) {
    free(buf);
    return false;
  }
  *bytes = buf;
  *len = n;
  return true;
fail:
  free(buf);
  close(fd);
  return false;
}

bool cli_parse_bounds(const char *s, twine_bounds_t *out) {
  if (strcmp(s, "guard") == 0) {
    *out = TWINE_BOUNDS_GUARD_PAGES;
    return true;
  }
  if (strcmp(s, "explicit") == 0) {
    *out = TWINE_BOUNDS_EXPLICIT;
    return true;
  }
  return false;
}

const char *cli_valkind_name(twine_valkind_t k) {
  const char *s = twine_valkind_str(k);
  return s ? s : "?";
}

const char *cli_status_name(twine_status_t st) {
  const char *s = twine_status_str(st);
  return s ? s : "error";
}

static void functype_at(const twine_functype_t *t, char *buf, size_t len,
                        size_t *w) {
  tw_util_appendf(buf, len, w, "(func");
  if (t->nparams) {
    tw_util_appendf(buf, len, w, " (param");
    for (size_t i = 0; i < t->nparams; i++)
      tw_util_appendf(buf, len, w, " %s", cli_valkind_name(t->params[i]));
    tw_util_appendf(buf, len, w, ")");
  }
  if (t->nresults) {
    tw_util_appendf(buf, len, w, " (result");
    for (size_t i = 0; i < t->nresults; i++)
      tw_util_appendf(buf, len, w, " %s", cli_valkind_name(t->results[i]));
    tw_util_appendf(buf, len, w, ")");
  }
  tw_util_appendf(buf, len, w, ")");
}

void cli_format_functype(const twine_functype_t *t, char *buf, size_t len) {
  size_t w = 0;
  if (!len) return;
  buf[0] = '\0';
  functype_at(t, buf, len, &w);
}

static void limits_at(const twine_limits_t *l, char *buf, size_t len,
                      size_t *w) {
  tw_util_appendf(buf, len, w, " %llu", (unsigned long long)l->min);
  if (l->has_max) tw_util_appendf(buf, len, w, " %llu", (unsigned long long)l->max);
}

void cli_format_externtype(const twine_externtype_t *t, char *buf,
                           size_t len) {
  size_t w = 0;
  if (!len) return;
  buf[0] = '\0';
  switch (t->kind) {
  case TWINE_EXTERN_FUNC:
    functype_at(&t->func, buf, len, &w);
    break;
  case TWINE_EXTERN_TABLE:
    tw_util_appendf(buf, len, &w, "(table");
    limits_at(&t->limits, buf, len, &w);
    tw_util_appendf(buf, len, &w, " %s)", cli_valkind_name(t->elem));
    break;
  case TWINE_EXTERN_MEMORY:
    tw_util_appendf(buf, len, &w, "(memory");
    limits_at(&t->limits, buf, len, &w);
    tw_util_appendf(buf, len, &w, ")");
    break;
  case TWINE_EXTERN_GLOBAL:
    if (t->global_mutable)
      tw_util_appendf(buf, len, &w, "(global (mut %s))", cli_valkind_name(t->global_type));
    else
      tw_util_appendf(buf, len, &w, "(global %s)", cli_valkind_name(t->global_type));
    break;
  default:
    tw_util_appendf(buf, len, &w, "(unknown extern kind %d)", (int)t->kind);
    break;
  }
}

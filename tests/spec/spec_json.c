/*
 * spec_json.c - loading wast2json output for the spec runner.
 *
 * Wasm names may contain NUL bytes (names.wast exports "\u0000..."), which
 * cJSON cannot represent: it stops the string at the first NUL. Before
 * parsing, every "\u0000" escape is therefore replaced by the byte 0xFF,
 * which never occurs in UTF-8 (and so in no valid wasm name, nor in cJSON's
 * own decoding of other escapes); spec_json_name turns it back into NUL
 * in a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define NUL_MARK '\xff'

bool spec_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
                    size_t msglen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(msg, msglen, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    snprintf(msg, msglen, "out of memory reading %s", path);
    return false;
  }
  for (;;) {
    if (n == cap) {
      uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        fclose(f);
        snprintf(msg, msglen, "out of memory reading %s", path);
        return false;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool err = ferror(f) != 0;
  fclose(f);
  if (err) {
    free(buf);
    snprintf(msg, msglen, "error reading %s", path);
    return false;
  }
  *data = buf;
  *len = n;
  return true;
}

cJSON *spec_json_load(const char *path, char *msg, size_t msglen) {
  uint8_t *raw;
  size_t len;
  if (!spec_read_file(path, &raw, &len, msg, msglen)) return NULL;
  /* Rewrite in place (the text only shrinks), then NUL-terminate. */
  char *text = realloc(raw, len + 1);
  if (!text) {
    free(raw);
    snprintf(msg, msglen, "out of memory");
    return NULL;
  }
  size_t r = 0, w = 0;
  while (r < len) {
    char ch = text[r];
    if (ch == '\\' && r + 1 < len) {
      if (r + 6 <= len && memcmp(text + r + 1, "u0000", 5) == 0) {
        text[w++] = NUL_MARK;
        r += 6;
      } else { /* copy the escape pair whole: "\\u0000" is not a NUL */
        text[w++] = text[r++];
        text[w++] = text[r++];
      }
    } else {
      text[w++] = ch;
      r++;
    }
  }
  text[w] = '\0';
  cJSON *root = cJSON_ParseWithLength(text, w);
  if (!root) {
    const char *where = cJSON_GetErrorPtr();
    snprintf(msg, msglen, "%s: invalid JSON near byte %td", path,
             where ? where - text : (ptrdiff_t)-1);
  }
  free(text);
  return root;
}

char *spec_json_name(const cJSON *item, size_t *len) {
  if (!cJSON_IsString(item) || !item->valuestring) return NULL;
  size_t n = strlen(item->valuestring); /* markers are not NUL: n is exact */
  char *out = malloc(n + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++)
    out[i] = item->valuestring[i] == NUL_MARK ? '\0' : item->valuestring[i];
  out[n] = '\0';
  *len = n;
  return out;
}

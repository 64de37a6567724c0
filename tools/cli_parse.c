/*
 * cli_parse.c - numbers with units on the command line: sizes ("64M",
 * "1GiB", "65536"), durations ("500ms", "10s", "2m", "1h") and plain
 * counts. Every word is hostile: only the documented forms are accepted,
 * and all arithmetic is checked, so no input can overflow or wrap.
 */
#include <string.h>
#include <strings.h>

#include "cli.h"

/* Decimal digits at s, at least one; stops at the first non-digit (*end).
 * False on overflow of u64 or no digits. */
static bool leading_u64(const char *s, uint64_t *out, const char **end) {
  uint64_t v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (p == s) return false;
  *out = v;
  *end = p;
  return true;
}

/* "more than 2^64" or "not a number": which one, for a word of digits. */
static bool all_digits(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

bool cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *why, size_t whylen) {
  uint64_t v;
  const char *end;
  if (!all_digits(s)) {
    snprintf(why, whylen, "not a whole number");
    return false;
  }
  if (!leading_u64(s, &v, &end) || v > max) {
    snprintf(why, whylen, "too large (the limit is %llu)",
             (unsigned long long)max);
    return false;
  }
  if (v < min) {
    snprintf(why, whylen, "too small (the minimum is %llu)",
             (unsigned long long)min);
    return false;
  }
  *out = v;
  return true;
}

/* "64K" style for messages: the largest binary unit that divides v. */
void cli_format_size(uint64_t v, char *buf, size_t len) {
  static const char units[] = "KMGT";
  int u = -1;
  while (u < 3 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  if (u < 0)
    snprintf(buf, len, "%llu", (unsigned long long)v);
  else
    snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

bool cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                    char *why, size_t whylen) {
  static const struct {
    const char *suffix;
    unsigned shift;
  } units[] = {{"", 0},    {"b", 0},    {"k", 10},   {"kb", 10},
               {"kib", 10}, {"m", 20},  {"mb", 20},  {"mib", 20},
               {"g", 30},  {"gb", 30},  {"gib", 30}, {"t", 40},
               {"tb", 40}, {"tib", 40}};
  uint64_t v;
  const char *end;
  char lo[64], hi[64];
  cli_format_size(min, lo, sizeof lo);
  cli_format_size(max, hi, sizeof hi);
  if (!(*s >= '0' && *s <= '9')) {
    snprintf(why, whylen, "not a size (use bytes or a number with K, M or G)");
    return false;
  }
  if (!leading_u64(s, &v, &end)) {
    snprintf(why, whylen, "too large (the limit is %s)", hi);
    return false;
  }
  unsigned shift = 0;
  bool found = false;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcasecmp(end, units[i].suffix) == 0) {
      shift = units[i].shift;
      found = true;
      break;
    }
  }
  if (!found) {
    snprintf(why, whylen, "unknown size unit \"%s\" (use K, M or G)", end);
    return false;
  }
  if (shift && v > (UINT64_MAX >> shift)) {
    snprintf(why, whylen, "too large (the limit is %s)", hi);
    return false;
  }
  v <<= shift;
  if (v > max) {
    snprintf(why, whylen, "too large (the limit is %s)", hi);
    return false;
  }
  if (v < min) {
    snprintf(why, whylen, "too small (the minimum is %s)", lo);
    return false;
  }
  *out = v;
  return true;
}

bool cli_parse_duration(const char *s, uint64_t max_ms, uint64_t *ms,
                        char *why, size_t whylen) {
  static const struct {
    const char *suffix;
    uint64_t ms;
  } units[] = {{"ms", 1}, {"s", 1000}, {"", 1000}, {"m", 60000},
               {"min", 60000}, {"h", 3600000}};
  uint64_t v;
  const char *end;
  char hi[64];
  cli_format_duration(max_ms, hi, sizeof hi);
  if (!(*s >= '0' && *s <= '9')) {
    snprintf(why, whylen,
             "not a duration (use a whole number with ms, s, m or h)");
    return false;
  }
  if (!leading_u64(s, &v, &end)) {
    snprintf(why, whylen, "too long (the limit is %s)", hi);
    return false;
  }
  uint64_t unit = 0;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].suffix) == 0) {
      unit = units[i].ms;
      break;
    }
  }
  if (!unit) {
    snprintf(why, whylen, "unknown duration unit \"%s\" (use ms, s, m or h)",
             end);
    return false;
  }
  if (v > max_ms / unit) {
    snprintf(why, whylen, "too long (the limit is %s)", hi);
    return false;
  }
  if (v == 0) {
    snprintf(why, whylen, "must be longer than 0");
    return false;
  }
  *ms = v * unit;
  return true;
}

void cli_format_duration(uint64_t ms, char *buf, size_t len) {
  if (ms && ms % 3600000 == 0)
    snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
  else if (ms && ms % 60000 == 0)
    snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
  else if (ms && ms % 1000 == 0)
    snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
  else
    snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/* utf8.h - UTF-8 well-formedness check (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
#ifndef TW_UTIL_UTF8_H
#define TW_UTIL_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
bool tw_utf8_valid(const uint8_t *s, size_t n);
#endif

/* utf8.h -- UTF-8 as Go reads it: strict decoding and encoding of one code
 * point, and validation of a whole string, for the code that must accept
 * exactly what Prometheus and Alertmanager accept (selectors, matchers,
 * remote-write label values). */
#ifndef AN_UTF8_H
#define AN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one strictly valid UTF-8 sequence from s[0..n) (no overlong
 * forms, no surrogates, nothing past U+10FFFF: what Go's utf8.DecodeRune
 * accepts without returning RuneError) into *cp. Returns its length, or 0
 * when s does not start with one (or n is 0). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Whether s[0..n) is all strictly valid UTF-8 by utf8_decode's rules: what
 * Go's utf8.Valid accepts. A NUL byte is U+0000, valid like any ASCII byte:
 * pass strlen(s) for a C string. 1 for n == 0 (s may then be NULL), else 0
 * or 1. ASCII is checked 8 bytes at a time. */
int utf8_valid(const char *s, size_t n);

/* Encodes code point cp, which must be valid (not a surrogate, at most
 * U+10FFFF), into out (room for 4 bytes). Returns the bytes written. */
size_t utf8_encode(uint32_t cp, char *out);

#endif

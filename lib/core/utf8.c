/* utf8.c -- strict UTF-8, one code point at a time (utf8.h). */
#include "utf8.h"

#include <assert.h>
#include <string.h>

size_t
utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2)
		return 0;
	else if (c < 0xe0) {
		len = 2;
		c &= 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		c &= 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return len;
}

/* As Go's unicode/utf8 Valid: 8 ASCII bytes at a time, then one sequence
 * at a time, its lead byte giving its length and the range of its second
 * byte (RFC 3629 section 4: what rules out overlong forms, surrogates and
 * code points past U+10FFFF), the rest continuation bytes. The same
 * sequences as utf8_decode (tests/unit/test_utf8.c agrees_with_decode),
 * without computing the code point. */
int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c, lo, hi;
	uint64_t w;
	size_t i = 0, len;

	while (i < n) {
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4)
			return 0;
		len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (n - i < len)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (s[i + 1] < lo || s[i + 1] > hi ||
		    (len > 2 && (s[i + 2] & 0xc0) != 0x80) ||
		    (len > 3 && (s[i + 3] & 0xc0) != 0x80))
			return 0;
		i += len;
	}
	return 1;
}

size_t
utf8_encode(uint32_t cp, char *out)
{
	assert(cp <= 0x10ffff && (cp < 0xd800 || cp >= 0xe000));
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

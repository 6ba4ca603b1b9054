/* test_utf8.c -- lib/core/utf8.c: UTF-8 as Go reads it (utf8.Valid,
 * utf8.DecodeRune). */
#include "t.h"
#include "utf8.h"

/* s as a string literal: its bytes without the terminating NUL. */
#define VALID(s)	utf8_valid(s, sizeof(s) - 1)

TEST(valid_ascii_only)
{
	char buf[64];
	size_t i;

	CHECK(utf8_valid("", 0));
	CHECK(utf8_valid(NULL, 0));
	CHECK(VALID("a"));
	CHECK(VALID("alertname=\"HighLatency\",job=\"api\""));
	CHECK(VALID("a\0b"));	/* NUL is U+0000, as in Go */
	CHECK(VALID("\x7f"));
	/* every length, across the 8-byte steps */
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i <= sizeof(buf); i++)
		CHECK(utf8_valid(buf, i));
	/* only n bytes are read */
	CHECK(utf8_valid("abc\xff", 3));
	CHECK(!utf8_valid("abc\xff", 4));
	CHECK(utf8_valid("abcdefgh\xff", 8));
	CHECK(!utf8_valid("abcdefgh\xff", 9));
}

TEST(valid_multibyte)
{
	CHECK(VALID("\xc2\x80"));		/* U+0080, the first of 2 */
	CHECK(VALID("\xc3\xa9t\xc3\xa9"));	/* "été" */
	CHECK(VALID("\xdf\xbf"));		/* U+07FF */
	CHECK(VALID("\xe0\xa0\x80"));		/* U+0800, the first of 3 */
	CHECK(VALID("\xe2\x82\xac"));		/* U+20AC euro */
	CHECK(VALID("\xed\x9f\xbf"));		/* U+D7FF, below surrogates */
	CHECK(VALID("\xee\x80\x80"));		/* U+E000, above them */
	CHECK(VALID("\xef\xbf\xbd"));		/* U+FFFD */
	CHECK(VALID("\xef\xbf\xbf"));		/* U+FFFF */
	CHECK(VALID("\xf0\x90\x80\x80"));	/* U+10000, the first of 4 */
	CHECK(VALID("\xf0\x9f\x94\xa5"));	/* U+1F525 */
	CHECK(VALID("\xf4\x8f\xbf\xbf"));	/* U+10FFFF, the last */
	CHECK(VALID("disk 90% full on n\xc5\x93ud-3 \xe2\x80\x94 "
	    "\xe7\xa3\x81\xe7\x9b\x98 \xf0\x9f\x94\xa5"));
}

TEST(invalid_overlong)
{
	CHECK(!VALID("\xc0\x80"));		/* U+0000 in 2 bytes */
	CHECK(!VALID("\xc0\xaf"));		/* '/' in 2 bytes */
	CHECK(!VALID("\xc1\xbf"));		/* U+007F in 2 bytes */
	CHECK(!VALID("\xe0\x80\x80"));		/* U+0000 in 3 bytes */
	CHECK(!VALID("\xe0\x9f\xbf"));		/* U+07FF in 3 bytes */
	CHECK(!VALID("\xf0\x80\x80\x80"));	/* U+0000 in 4 bytes */
	CHECK(!VALID("\xf0\x8f\xbf\xbf"));	/* U+FFFF in 4 bytes */
}

TEST(invalid_surrogate)
{
	CHECK(!VALID("\xed\xa0\x80"));		/* U+D800 */
	CHECK(!VALID("\xed\xad\xbf"));		/* U+DB7F */
	CHECK(!VALID("\xed\xb0\x80"));		/* U+DC00 */
	CHECK(!VALID("\xed\xbf\xbf"));		/* U+DFFF */
	/* a CESU-8 pair for U+1F525 */
	CHECK(!VALID("\xed\xa0\xbd\xed\xb4\xa5"));
}

TEST(invalid_past_10ffff)
{
	CHECK(!VALID("\xf4\x90\x80\x80"));	/* U+110000 */
	CHECK(!VALID("\xf4\xbf\xbf\xbf"));
	CHECK(!VALID("\xf5\x80\x80\x80"));
	CHECK(!VALID("\xf7\xbf\xbf\xbf"));	/* U+1FFFFF */
	CHECK(!VALID("\xf8\x88\x80\x80\x80"));	/* 5-byte form */
	CHECK(!VALID("\xfc\x84\x80\x80\x80\x80"));	/* 6-byte form */
	CHECK(!VALID("\xfe"));
	CHECK(!VALID("\xff"));
}

TEST(invalid_truncated)
{
	CHECK(!VALID("\xc3"));
	CHECK(!VALID("\xe2\x82"));
	CHECK(!VALID("\xf0\x9f\x94"));
	CHECK(!VALID("abc\xf0\x9f"));
	CHECK(!VALID("twelve bytes\xe2\x82"));
	/* cut by n, the bytes after it not read */
	CHECK(!utf8_valid("\xc3\xa9", 1));
	CHECK(!utf8_valid("\xf0\x9f\x94\xa5", 3));
	/* a lead byte followed by something other than a continuation */
	CHECK(!VALID("\xc3" "a"));
	CHECK(!VALID("\xe2\x82" "a"));
	CHECK(!VALID("\xf0\x9f\x94" "a"));
	CHECK(!VALID("\xc3\xc3\xa9"));
	/* a continuation byte with no lead */
	CHECK(!VALID("\x80"));
	CHECK(!VALID("a\xbf"));
	CHECK(!VALID("\xc3\xa9\xa9"));
}

/* One bad byte at every position of a longer ASCII string: the 8-byte
 * steps must not step over it. */
TEST(invalid_at_every_position)
{
	char buf[40];
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		memset(buf, 'a', sizeof(buf));
		buf[i] = (char)0xff;
		CHECK(!utf8_valid(buf, sizeof(buf)));
		buf[i] = (char)0xc3;	/* "é" split by the end or by 'a' */
		CHECK(!utf8_valid(buf, sizeof(buf)));
		if (i + 1 < sizeof(buf)) {
			buf[i + 1] = (char)0xa9;
			CHECK(utf8_valid(buf, sizeof(buf)));
		}
	}
}

/* utf8_valid says yes exactly when utf8_decode reads the whole string:
 * every sequence of 1 to 3 bytes, and the 4-byte ones over the lead bytes
 * and second bytes that matter. */
static int
valid_by_decode(const char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	while (n > 0) {
		if ((k = utf8_decode(s, n, &cp)) == 0)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

TEST(agrees_with_decode)
{
	static const unsigned char last[] = { 0x00, 0x7f, 0x80, 0xbf, 0xc0,
	    0xff };
	unsigned char b[4];
	unsigned a, c, d, e;
	long bad = 0;

	for (a = 0; a < 256; a++) {
		b[0] = (unsigned char)a;
		bad += utf8_valid((char *)b, 1) != valid_by_decode((char *)b, 1);
		for (c = 0; c < 256; c++) {
			b[1] = (unsigned char)c;
			bad += utf8_valid((char *)b, 2) !=
			    valid_by_decode((char *)b, 2);
			for (d = 0; d < 256; d++) {
				b[2] = (unsigned char)d;
				bad += utf8_valid((char *)b, 3) !=
				    valid_by_decode((char *)b, 3);
				if (a < 0xf0 || a > 0xf5 || (d != 0x80 &&
				    d != 0xbf && d != 0x7f))
					continue;
				for (e = 0; e < sizeof(last); e++) {
					b[3] = last[e];
					bad += utf8_valid((char *)b, 4) !=
					    valid_by_decode((char *)b, 4);
				}
			}
		}
	}
	CHECK_INT(bad, 0);
}

int
main(void)
{
	RUN(valid_ascii_only);
	RUN(valid_multibyte);
	RUN(invalid_overlong);
	RUN(invalid_surrogate);
	RUN(invalid_past_10ffff);
	RUN(invalid_truncated);
	RUN(invalid_at_every_position);
	RUN(agrees_with_decode);
	return t_done();
}

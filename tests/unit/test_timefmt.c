/* test_timefmt.c -- lib/core/timefmt.c: RFC 3339 as Alertmanager writes it. */
#include "t.h"
#include "timefmt.h"

TEST(parses_utc_and_fractions)
{
	int64_t ms;

	CHECK_INT(ts_parse_rfc3339("1970-01-01T00:00:00Z", &ms), 0);
	CHECK_INT(ms, 0);
	CHECK_INT(ts_parse_rfc3339("2026-11-26T21:42:44Z", &ms), 0);
	CHECK_INT(ms, 1795729364000LL);
	CHECK_INT(ts_parse_rfc3339("2026-11-26T21:42:44.123456789Z", &ms), 0);
	CHECK_INT(ms, 1795729364123LL);
	CHECK_INT(ts_parse_rfc3339("2026-11-26T21:42:44.5Z", &ms), 0);
	CHECK_INT(ms, 1795729364500LL);
}

TEST(parses_offsets)
{
	int64_t ms;

	CHECK_INT(ts_parse_rfc3339("2026-11-26T22:42:44+01:00", &ms), 0);
	CHECK_INT(ms, 1795729364000LL);
	CHECK_INT(ts_parse_rfc3339("2026-11-26T16:42:44-05:00", &ms), 0);
	CHECK_INT(ms, 1795729364000LL);
}

TEST(go_zero_time)
{
	int64_t ms;

	CHECK_INT(ts_parse_rfc3339("0001-01-01T00:00:00Z", &ms), 0);
	CHECK_INT(ms, TS_GO_ZERO_MS);
}

TEST(rejects_garbage)
{
	const char *bad[] = { "", "2026-11-26", "2026-11-26T21:42:44",
	    "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
	    "2026-11-26T25:00:00Z", "2026-11-26T21:42:44.Z",
	    "2026-11-26T21:42:44Zjunk", "yesterday", "2026-11-26T21:42:44+0100" };
	int64_t ms;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ts_parse_rfc3339(bad[i], &ms) != -1)
			T_FAIL("accepted \"%s\"", bad[i]);
}

TEST(formats_utc_millis)
{
	char s[40];

	ts_format_rfc3339(1795729364123LL, s, sizeof(s));
	CHECK_STR(s, "2026-11-26T21:42:44.123Z");
	ts_format_rfc3339(0, s, sizeof(s));
	CHECK_STR(s, "1970-01-01T00:00:00.000Z");
	ts_format_rfc3339(-1, s, sizeof(s));
	CHECK_STR(s, "1969-12-31T23:59:59.999Z");
}

TEST(add_ms_carries_into_seconds)
{
	struct timespec t = { 10, 999000000 };

	ts_add_ms(&t, 1);
	CHECK_INT(t.tv_sec, 11);
	CHECK_INT(t.tv_nsec, 0);
	ts_add_ms(&t, 2500);
	CHECK_INT(t.tv_sec, 13);
	CHECK_INT(t.tv_nsec, 500000000);
	ts_add_ms(&t, 600);
	CHECK_INT(t.tv_sec, 14);
	CHECK_INT(t.tv_nsec, 100000000);
}

int
main(void)
{
	RUN(parses_utc_and_fractions);
	RUN(parses_offsets);
	RUN(go_zero_time);
	RUN(rejects_garbage);
	RUN(formats_utc_millis);
	RUN(add_ms_carries_into_seconds);
	return t_done();
}

/* test_tzone.c -- lib/core/tzone.c: zones read from /usr/share/zoneinfo compared
 * with glibc's localtime_r, TZ being set in this (single-threaded) test
 * process only. Every field of struct tm is compared over a sweep of
 * instants from 1900 to 2045, denser from 2030 to 2040 where the files'
 * footer rules take over, at each transition glibc shows (found by
 * bisection, checked one second either side), and at random instants up
 * to 2400. Then TZif variants (version 1 only, version 3, a footer without
 * transitions, truncated files), the name checks, and Go's time.Date
 * normalization (tz_date). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "tzone.h"
#include "t.h"

#define Y1900	(-2208988800LL)
#define Y2030	1893456000LL
#define Y2038	2145916800LL
#define Y2040	2208988800LL
#define Y2045	2366841600LL
#define Y2400	13569465600LL
/* the sweep's step: sees every transition of these zones (sweep) */
#define SWEEP_STEP	(6 * 3600 + 7)

/* Zones the brief names, then ones with the footer's rarer forms: negative
 * DST (Dublin), a negative rule time (Nuuk), hour 26 (Jerusalem), hour 24
 * (Santiago). */
static const char *const zones[] = {
	"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
	"Asia/Kolkata", "Europe/Dublin", "America/Nuuk", "Asia/Jerusalem",
	"America/Santiago", "UTC",
};

static void
set_tz(const char *name)
{
	if (name == NULL)
		unsetenv("TZ");
	else
		setenv("TZ", name, 1);
	tzset();
}

static long mismatches;

/* Compares tz_local and tz_offset with localtime_r at t (seconds), and at
 * the last millisecond before t. */
static void
compare_at(const struct tz *tz, int64_t t)
{
	for (int k = 0; k < 2; k++) {
		int64_t ms = k == 0 ? t * 1000 : t * 1000 - 1;
		time_t tt = (time_t)(k == 0 ? t : t - 1);
		struct tm g, m;

		if (localtime_r(&tt, &g) == NULL)
			continue;
		tz_local(tz, ms, &m);
		if (g.tm_year != m.tm_year || g.tm_mon != m.tm_mon ||
		    g.tm_mday != m.tm_mday || g.tm_hour != m.tm_hour ||
		    g.tm_min != m.tm_min || g.tm_sec != m.tm_sec ||
		    g.tm_wday != m.tm_wday || g.tm_yday != m.tm_yday ||
		    g.tm_isdst != m.tm_isdst || g.tm_gmtoff != m.tm_gmtoff ||
		    strcmp(g.tm_zone, m.tm_zone) != 0 ||
		    tz_offset(tz, (int64_t)tt) != g.tm_gmtoff) {
			if (mismatches++ < 10)
				T_FAIL("%s at %lld ms: glibc %04d-%02d-%02d "
				    "%02d:%02d:%02d wday %d yday %d dst %d %+ld "
				    "%s, ours %04d-%02d-%02d %02d:%02d:%02d wday "
				    "%d yday %d dst %d %+ld %s (offset %+ld)",
				    tz_name(tz), (long long)ms, g.tm_year + 1900,
				    g.tm_mon + 1, g.tm_mday, g.tm_hour, g.tm_min,
				    g.tm_sec, g.tm_wday, g.tm_yday, g.tm_isdst,
				    g.tm_gmtoff, g.tm_zone, m.tm_year + 1900,
				    m.tm_mon + 1, m.tm_mday, m.tm_hour, m.tm_min,
				    m.tm_sec, m.tm_wday, m.tm_yday, m.tm_isdst,
				    m.tm_gmtoff, m.tm_zone,
				    tz_offset(tz, (int64_t)tt));
		}
	}
}

/* glibc's state at t, to spot transitions. */
static long
glibc_state(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm g;

	localtime_r(&tt, &g);
	return g.tm_gmtoff * 4 + g.tm_isdst * 2 + (g.tm_zone[0] & 1);
}

static uint64_t rng_state = 0x7a11e5eedULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The sweep for one zone, TZ already naming it for glibc: ours and
 * glibc's answers compared every step, and where glibc's state changed
 * between two steps, the transition bisected to its second and compared
 * around it. A step of 6 h (SWEEP_STEP) sees every transition of these zones (the same
 * counts as a 3 h step over 1900-2030 and 30 min over 2030-2045). Returns
 * the number of transitions seen. */
static long
sweep(const struct tz *tz, int64_t from, int64_t to, int64_t step)
{
	long edges = 0, prev = glibc_state(from);

	for (int64_t t = from; t < to; t += step) {
		long st = glibc_state(t);

		compare_at(tz, t);
		if (st != prev) {
			/* the first second of the new state */
			int64_t lo = t - step, hi = t;

			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;

				if (glibc_state(mid) == prev)
					lo = mid;
				else
					hi = mid;
			}
			for (int64_t d = -2; d <= 2; d++)
				compare_at(tz, hi + d);
			compare_at(tz, hi - 1800);
			compare_at(tz, hi + 1800);
			edges++;
			prev = st;
		}
	}
	return edges;
}

/* --- against glibc --- */

TEST(glibc_zones)
{
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct tz *tz = NULL;
		char err[256] = "";
		long e1, e2;

		if (tz_load(zones[i], &tz, err, sizeof(err)) != 0) {
			T_FAIL("%s: %s", zones[i], err);
			continue;
		}
		CHECK_STR(tz_name(tz), zones[i]);
		set_tz(zones[i]);
		mismatches = 0;
		e1 = sweep(tz, Y1900, Y2030, SWEEP_STEP);
		e2 = sweep(tz, Y2030, Y2045, SWEEP_STEP);
		for (int k = 0; k < 20000; k++)
			compare_at(tz, Y1900 + (int64_t)(rng() %
			    (uint64_t)(Y2400 - Y1900)));
		if (mismatches > 0)
			T_FAIL("%s: %ld mismatches", zones[i], mismatches);
		/* the DST zones change twice a year after 2030, from the
		 * footer */
		if (strcmp(zones[i], "Asia/Kolkata") != 0 &&
		    strcmp(zones[i], "UTC") != 0)
			CHECK_INT(e2, 30);
		else
			CHECK_INT(e2, 0);
		printf("  %s: %ld transitions 1900-2030, %ld 2030-2045\n",
		    zones[i], e1, e2);
		tz_free(tz);
	}
	set_tz(NULL);
}

/* Known instants, so that a glibc without the zone files cannot make the
 * sweep pass vacuously. */
TEST(known_offsets)
{
	static const struct {
		const char	*zone;
		int64_t		 t;
		long		 off;
		const char	*abbr;
	} k[] = {
		/* Berlin: CET until 2025-03-30 01:00Z, CEST until
		 * 2025-10-26 01:00Z; in 2035 from the footer */
		{ "Europe/Berlin", 1743296399, 3600, "CET" },
		{ "Europe/Berlin", 1743296400, 7200, "CEST" },
		{ "Europe/Berlin", 1761440399, 7200, "CEST" },
		{ "Europe/Berlin", 1761440400, 3600, "CET" },
		{ "Europe/Berlin", 2058397199, 3600, "CET" },	/* 2035-03-25 */
		{ "Europe/Berlin", 2058397200, 7200, "CEST" },
		/* New York: 2039-03-13 07:00Z (2:00 EST) */
		{ "America/New_York", 2183612399, -18000, "EST" },
		{ "America/New_York", 2183612400, -14400, "EDT" },
		/* Lord Howe: half an hour of DST, from 2036-10-05 02:00
		 * local (+10:30), 2036-10-04 15:30Z */
		{ "Australia/Lord_Howe", 2106746999, 37800, "+1030" },
		{ "Australia/Lord_Howe", 2106747000, 39600, "+11" },
		{ "Asia/Kolkata", 2200000000, 19800, "IST" },
		{ "UTC", 0, 0, "UTC" },
		{ "", 0, 0, "UTC" },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct tz *tz = NULL;
		char err[256] = "";
		struct tm m;

		if (tz_load(k[i].zone, &tz, err, sizeof(err)) != 0) {
			T_FAIL("%s: %s", k[i].zone, err);
			continue;
		}
		CHECK_INT(tz_offset(tz, k[i].t), k[i].off);
		tz_local(tz, k[i].t * 1000, &m);
		CHECK_STR(m.tm_zone, k[i].abbr);
		tz_free(tz);
	}
}

/* "Local" is /etc/localtime, which glibc reads when TZ is unset. */
TEST(local_zone)
{
	struct tz *tz = NULL;
	char err[256] = "";

	if (tz_load("Local", &tz, err, sizeof(err)) != 0) {
		T_FAIL("Local: %s", err);
		return;
	}
	CHECK_STR(tz_name(tz), "Local");
	set_tz(NULL);
	mismatches = 0;
	sweep(tz, Y2030, Y2040, 6 * 3600 + 11);
	CHECK_INT(mismatches, 0);
	tz_free(tz);
}

/* --- TZif variants --- */

static unsigned char *
read_zone(const char *name, size_t *len)
{
	char path[512];
	unsigned char *buf;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TZ_DIR, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The size of the version 1 header and block of a TZif file. */
static size_t
v1_size(const unsigned char *p)
{
	uint32_t isut = get32(p + 20), isstd = get32(p + 24),
	    leap = get32(p + 28), time = get32(p + 32), type = get32(p + 36),
	    chars = get32(p + 40);

	return 44 + (size_t)time * 5 + type * 6 + chars + leap * 8 + isstd +
	    isut;
}

/* A version 1 file (32-bit data, no footer) reads the same up to 2037;
 * version 3 is read as version 2. */
TEST(tzif_versions)
{
	size_t len, n1;
	unsigned char *buf = read_zone("Europe/Berlin", &len), *v1;
	struct tz *tz = NULL;
	char err[256] = "";

	if (buf == NULL) {
		T_FAIL("cannot read Europe/Berlin");
		return;
	}
	set_tz("Europe/Berlin");
	n1 = v1_size(buf);
	CHECK(n1 < len);
	if ((v1 = malloc(n1)) != NULL) {
		memcpy(v1, buf, n1);
		v1[4] = 0;
		if (tz_parse("v1", v1, n1, &tz, err, sizeof(err)) != 0)
			T_FAIL("v1: %s", err);
		else {
			mismatches = 0;
			sweep(tz, -2147483647LL, Y2038 - 86400, 5 * 3600 + 13);
			CHECK_INT(mismatches, 0);
			/* no footer: the last transition's CET stays */
			CHECK_INT(tz_offset(tz, Y2040 + 180 * 86400), 3600);
			tz_free(tz);
			tz = NULL;
		}
		free(v1);
	}
	buf[4] = '3';
	buf[n1 + 4] = '3';
	if (tz_parse("v3", buf, len, &tz, err, sizeof(err)) != 0)
		T_FAIL("v3: %s", err);
	else {
		mismatches = 0;
		sweep(tz, Y2030, Y2045, 4 * 3600 + 1);
		CHECK_INT(mismatches, 0);
		CHECK_INT(tz_offset(tz, Y2040 + 180 * 86400), 7200);
		tz_free(tz);
	}
	free(buf);
	set_tz(NULL);
}

/* A file with no transitions takes its footer for every instant: the v2
 * block of a hand-made file holding Lord Howe's rule. */
TEST(tzif_footer_only)
{
	static const char footer[] =
	    "\n<+1030>-10:30<+11>-11,M10.1.0,M4.1.0\n";
	unsigned char f[256];
	size_t n = 0;
	struct tz *tz = NULL;
	char err[256] = "";

	/* a version 2 header and block, twice: one type (+10:30), "+1030" */
	for (int blk = 0; blk < 2; blk++) {
		static const unsigned char type[6] = { 0, 0, 0x93, 0xa8, 0,
		    0 };
		memset(f + n, 0, 44);
		memcpy(f + n, "TZif2", 5);
		f[n + 39] = 1;		/* typecnt */
		f[n + 43] = 6;		/* charcnt */
		n += 44;
		memcpy(f + n, type, 6);
		n += 6;
		memcpy(f + n, "+1030", 6);
		n += 6;
	}
	memcpy(f + n, footer, sizeof(footer) - 1);
	n += sizeof(footer) - 1;
	if (tz_parse("footer", f, n, &tz, err, sizeof(err)) != 0) {
		T_FAIL("%s", err);
		return;
	}
	set_tz("Australia/Lord_Howe");
	mismatches = 0;
	sweep(tz, Y2030, Y2045, 3 * 3600 + 3);
	CHECK_INT(mismatches, 0);
	tz_free(tz);
	set_tz(NULL);
}

/* Every prefix of a file and some corrupted bytes: rejected or read,
 * never read past (the ASan build checks that). */
TEST(tzif_damaged)
{
	size_t len, n1, accepted = 0;
	unsigned char *buf = read_zone("America/New_York", &len);
	struct tz *tz = NULL;
	char err[256] = "";

	if (buf == NULL) {
		T_FAIL("cannot read America/New_York");
		return;
	}
	n1 = v1_size(buf);
	for (size_t n = 0; n < len; n++) {
		if (tz_parse("cut", buf, n, &tz, err, sizeof(err)) == 0) {
			accepted++;
			tz_free(tz);
			tz = NULL;
		} else
			CHECK_CONTAINS(err, "malformed time zone information "
			    "for cut");
	}
	/* only the cuts inside the footer, which is then ignored */
	CHECK(accepted > 0 && accepted < 40);
	CHECK_INT(tz_parse("bad", "TZif", 4, &tz, err, sizeof(err)), -1);
	CHECK_INT(tz_parse("bad", "not a zone file at all, longer than 44 "
	    "bytes", 47, &tz, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "not a TZif file");
	CHECK(tz == NULL);
	/* a transition to a type that does not exist */
	buf[n1 + 44 + get32(buf + n1 + 32) * 8] = 200;
	CHECK_INT(tz_parse("bad", buf, len, &tz, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "undefined type");
	free(buf);
}

/* --- names --- */

TEST(names)
{
	static const struct {
		const char *name, *err;
	} bad[] = {
		{ "../../etc/passwd", "time: invalid location name" },
		{ "Europe/../../etc/passwd", "time: invalid location name" },
		{ "/etc/localtime", "time: invalid location name" },
		{ "\\Europe", "time: invalid location name" },
		{ "Mars/Base", "unknown time zone Mars/Base" },
		/* the error met, as Go's syscall.Errno prints it */
		{ "Europe", "is a directory" },
		{ "Europe/Berlin/x", "not a directory" },
		{ "utc", "unknown time zone utc" },
		{ "zone.tab", "malformed time zone information for zone.tab" },
	};
	char longname[300];
	struct tz *tz = NULL;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(tz_load(bad[i].name, &tz, err, sizeof(err)), -1);
		CHECK(tz == NULL);
		CHECK_CONTAINS(err, bad[i].err);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(tz_load(longname, &tz, err, sizeof(err)), -1);
	CHECK_STR(err, "time: invalid location name");
	/* Go's aliases */
	CHECK_INT(tz_load("", &tz, err, sizeof(err)), 0);
	if (tz != NULL) {
		CHECK_STR(tz_name(tz), "UTC");
		tz_free(tz);
	}
}

/* --- Go's time.Date --- */

TEST(go_date)
{
	struct tz *b = NULL, *u = NULL;
	char err[256];

	if (tz_load("Europe/Berlin", &b, err, sizeof(err)) != 0 ||
	    tz_load("UTC", &u, err, sizeof(err)) != 0) {
		T_FAIL("%s", err);
		goto out;
	}
	/* 2025-03-01 00:00 CET */
	CHECK_INT(tz_date(b, 2025, 3, 1, 0, 0, 0), 1740783600);
	/* 02:30 on 2025-03-30 does not exist: Go reads it with CEST, finds
	 * that instant (00:30Z) in CET, and gives 02:30 CET = 03:30 CEST */
	CHECK_INT(tz_date(b, 2025, 3, 30, 2, 30, 0), 1743298200);
	/* 02:30 on 2025-10-26 is there twice: Go picks the CET one */
	CHECK_INT(tz_date(b, 2025, 10, 26, 2, 30, 0), 1761442200);
	/* normalization */
	CHECK_INT(tz_date(u, 2024, 13, 1, 0, 0, 0), 1735689600);
	CHECK_INT(tz_date(u, 2025, 1, 0, 0, 0, 0), 1735603200);
	CHECK_INT(tz_date(u, 2025, 0, 1, 0, 0, 0), 1733011200);
	CHECK_INT(tz_date(u, 2024, 2, 29, 24, 0, -1), 1709251199);
	CHECK_INT(tz_date(u, 1969, 12, 31, 23, 59, 59), -1);
out:
	tz_free(b);
	tz_free(u);
}

int
main(void)
{
	RUN(glibc_zones);
	RUN(known_offsets);
	RUN(local_zone);
	RUN(tzif_versions);
	RUN(tzif_footer_only);
	RUN(tzif_damaged);
	RUN(names);
	RUN(go_date);
	return t_done();
}

/* tzone.c -- IANA time zones read from the zoneinfo files (see tzone.h).
 *
 * The file format is RFC 8536 (TZif): a version 1 header and data block
 * with 32-bit transition times, then, from version 2 on, a second header
 * and data block with 64-bit times and a footer "\n<POSIX TZ string>\n".
 * What is read of it, and how it is looked up, follows Go's time package
 * (zoneinfo_read.go LoadLocationFromTZData, zoneinfo.go lookup,
 * lookupFirstZone, tzset, tzsetName, tzsetOffset, tzsetRule, tzruleTime;
 * time.go Date): Alertmanager's time intervals are evaluated with it.
 *
 *   - instants before the first transition take lookupFirstZone's type:
 *     type 0 when no transition uses it, else the first standard-time type;
 *   - instants at or after the last transition take the footer's rule
 *     (when it parses), computed for the instant's UTC year; a file without
 *     transitions uses its footer, else its type 0;
 *   - the footer is POSIX TZ with tzcode's extensions (RFC 8536 section
 *     3.3.1): names unquoted (3 or more characters up to a digit, ',', '+'
 *     or '-') or <quoted>, offsets [+-]hh[:mm[:ss]] with hh up to 167,
 *     rules Jn (1..365, February 29 never counted), n (0..365) and Mm.w.d
 *     (the d-th weekday of week w of month m, 5 the last) with an optional
 *     /time (default 02:00, hours -167..167); a DST name without rules
 *     takes tzcode's default ",M3.2.0,M11.1.0"; an offset-less DST is the
 *     standard offset plus an hour.
 *
 * Leap-second records and the standard/wall and UT/local indicators are
 * skipped, as Go skips them. */
#include "tzone.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECS_PER_DAY	86400LL
#define TZ_NAME_MAX	255
/* a footer's zone abbreviation, as read into the zone */
#define TZ_ABBR_MAX	31

struct ttype {
	int32_t	 off;		/* seconds east of UTC */
	int	 isdst;
	size_t	 abbr;		/* into chars */
};

enum { RULE_JULIAN, RULE_DOY, RULE_MWD };

struct prule {
	int	 kind;
	int	 day, week, mon;
	long	 time;		/* seconds after local midnight */
};

struct tz {
	char		*name;		/* owned */
	int64_t		*when;		/* owned, ntx, ascending */
	uint8_t		*idx;		/* owned, ntx: type of each */
	size_t		 ntx;
	struct ttype	*type;		/* owned, ntype >= 1 */
	size_t		 ntype;
	char		*chars;		/* owned, abbreviations, NUL-ended */
	size_t		 first;		/* the type before the first
					   transition */
	/* the footer, when it parses */
	int		 ext;
	int		 ext_dst;	/* it has daylight saving time */
	char		 ext_name[2][TZ_ABBR_MAX + 1];	/* std, dst */
	long		 ext_off[2];	/* std, dst; seconds east */
	struct prule	 ext_rule[2];	/* DST starts, ends */
};

/* What is in effect at one instant. */
struct zone {
	long		 off;
	int		 isdst;
	const char	*abbr;
};

/* --- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) --- */

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
 * days_from_civil; m 1..12. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ... and civil_from_days. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in(int m, int64_t y)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* --- the footer (Go's tzset) --- */

/* tzsetNum: digits in [min, max]; advances *s. */
static int
tzs_num(const char **s, long min, long max, long *out)
{
	const char *p = *s;
	long n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > max)
			return -1;
	}
	if (n < min)
		return -1;
	*s = p;
	*out = n;
	return 0;
}

/* tzsetName into buf (at most TZ_ABBR_MAX bytes). */
static int
tzs_name(const char **s, char *buf)
{
	const char *p = *s, *e;
	size_t n;

	if (*p == '\0')
		return -1;
	if (*p == '<') {
		if ((e = strchr(p, '>')) == NULL)
			return -1;
		n = (size_t)(e - p - 1);
		if (n > TZ_ABBR_MAX)
			return -1;
		memcpy(buf, p + 1, n);
		buf[n] = '\0';
		*s = e + 1;
		return 0;
	}
	n = strcspn(p, "0123456789,-+");
	if (n < 3 || n > TZ_ABBR_MAX)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*s = p + n;
	return 0;
}

/* tzsetOffset: [+-]hh[:mm[:ss]], hh up to 24 * 7, as seconds. */
static int
tzs_offset(const char **s, long *out)
{
	const char *p = *s;
	long h, m = 0, sec = 0;
	int neg = 0;

	if (*p == '+')
		p++;
	else if (*p == '-') {
		p++;
		neg = 1;
	}
	if (tzs_num(&p, 0, 24 * 7, &h) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if (tzs_num(&p, 0, 59, &m) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (tzs_num(&p, 0, 59, &sec) < 0)
				return -1;
		}
	}
	*out = (h * 3600 + m * 60 + sec) * (neg ? -1 : 1);
	*s = p;
	return 0;
}

/* tzsetRule */
static int
tzs_rule(const char **s, struct prule *r)
{
	const char *p = *s;
	long a, b, c;

	memset(r, 0, sizeof(*r));
	if (*p == 'J') {
		p++;
		if (tzs_num(&p, 1, 365, &a) < 0)
			return -1;
		r->kind = RULE_JULIAN;
		r->day = (int)a;
	} else if (*p == 'M') {
		p++;
		if (tzs_num(&p, 1, 12, &a) < 0 || *p++ != '.' ||
		    tzs_num(&p, 1, 5, &b) < 0 || *p++ != '.' ||
		    tzs_num(&p, 0, 6, &c) < 0)
			return -1;
		r->kind = RULE_MWD;
		r->mon = (int)a;
		r->week = (int)b;
		r->day = (int)c;
	} else {
		if (tzs_num(&p, 0, 365, &a) < 0)
			return -1;
		r->kind = RULE_DOY;
		r->day = (int)a;
	}
	r->time = 2 * 3600;
	if (*p == '/') {
		p++;
		if (tzs_offset(&p, &r->time) < 0)
			return -1;
	}
	*s = p;
	return 0;
}

/* Parses the footer s into tz->ext_*; 0, or -1 when it does not parse (Go
 * then keeps the last transition's type). */
static int
parse_footer(struct tz *tz, const char *s)
{
	long off;

	if (tzs_name(&s, tz->ext_name[0]) < 0 || tzs_offset(&s, &off) < 0)
		return -1;
	tz->ext_off[0] = -off;
	if (*s == '\0' || *s == ',') {
		tz->ext_dst = 0;
		tz->ext = 1;
		return 0;
	}
	if (tzs_name(&s, tz->ext_name[1]) < 0)
		return -1;
	if (*s == '\0' || *s == ',')
		tz->ext_off[1] = tz->ext_off[0] + 3600;
	else {
		if (tzs_offset(&s, &off) < 0)
			return -1;
		tz->ext_off[1] = -off;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' && *s != ';')
		return -1;
	s++;
	if (tzs_rule(&s, &tz->ext_rule[0]) < 0 || *s++ != ',' ||
	    tzs_rule(&s, &tz->ext_rule[1]) < 0 || *s != '\0')
		return -1;
	tz->ext_dst = 1;
	tz->ext = 1;
	return 0;
}

/* tzruleTime: seconds from the start of the UTC year to the transition,
 * off being the offset in effect before it. */
static int64_t
rule_time(int64_t year, const struct prule *r, long off)
{
	int64_t s = 0, first, d;

	switch (r->kind) {
	case RULE_JULIAN:
		s = (int64_t)(r->day - 1) * SECS_PER_DAY;
		if (is_leap(year) && r->day >= 60)
			s += SECS_PER_DAY;
		break;
	case RULE_DOY:
		s = (int64_t)r->day * SECS_PER_DAY;
		break;
	case RULE_MWD:
		first = days_from_civil(year, r->mon, 1);
		/* 1970-01-01 was a Thursday */
		d = r->day - (first + 4 - floordiv(first + 4, 7) * 7);
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->week; i++) {
			if (d + 7 >= days_in(r->mon, year))
				break;
			d += 7;
		}
		s = (first - days_from_civil(year, 1, 1) + d) * SECS_PER_DAY;
		break;
	default:
		assert(!"cannot happen: unknown rule kind");
	}
	return s + r->time - off;
}

/* tzset's answer for sec. */
static void
ext_lookup(const struct tz *tz, int64_t sec, struct zone *z)
{
	int64_t days, year, ysec, start, end, t;
	int m, d, in_std = 0, in_dst = 1;

	if (!tz->ext_dst) {
		z->off = tz->ext_off[0];
		z->isdst = 0;
		z->abbr = tz->ext_name[0];
		return;
	}
	days = floordiv(sec, SECS_PER_DAY);
	civil_from_days(days, &year, &m, &d);
	ysec = (days - days_from_civil(year, 1, 1)) * SECS_PER_DAY +
	    (sec - days * SECS_PER_DAY);
	start = rule_time(year, &tz->ext_rule[0], tz->ext_off[0]);
	end = rule_time(year, &tz->ext_rule[1], tz->ext_off[1]);
	if (end < start) {
		/* southern hemisphere: DST spans the new year */
		t = start;
		start = end;
		end = t;
		in_std = 1;
		in_dst = 0;
	}
	m = ysec < start || ysec >= end ? in_std : in_dst;
	z->off = tz->ext_off[m];
	z->isdst = m == 1;
	z->abbr = tz->ext_name[m];
}

static void
type_zone(const struct tz *tz, size_t i, struct zone *z)
{
	z->off = tz->type[i].off;
	z->isdst = tz->type[i].isdst;
	z->abbr = tz->chars + tz->type[i].abbr;
}

/* Location.lookup */
static void
lookup(const struct tz *tz, int64_t sec, struct zone *z)
{
	size_t lo = 0, hi = tz->ntx, mid;

	if (tz->ntx == 0) {
		/* Go adds a transition to type 0 at the beginning of time */
		if (tz->ext)
			ext_lookup(tz, sec, z);
		else
			type_zone(tz, 0, z);
		return;
	}
	if (sec < tz->when[0]) {
		type_zone(tz, tz->first, z);
		return;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (sec < tz->when[mid])
			hi = mid;
		else
			lo = mid;
	}
	if (lo == tz->ntx - 1 && tz->ext)
		ext_lookup(tz, sec, z);
	else
		type_zone(tz, tz->idx[lo], z);
}

/* lookupFirstZone */
static size_t
first_zone(const struct tz *tz)
{
	int used = 0;

	for (size_t i = 0; i < tz->ntx; i++)
		if (tz->idx[i] == 0)
			used = 1;
	if (!used)
		return 0;
	if (tz->ntx > 0 && tz->type[tz->idx[0]].isdst)
		for (size_t i = tz->idx[0]; i-- > 0; )
			if (!tz->type[i].isdst)
				return i;
	for (size_t i = 0; i < tz->ntype; i++)
		if (!tz->type[i].isdst)
			return i;
	return 0;
}

/* --- reading TZif --- */

static int __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

enum { C_UTC, C_STD, C_LEAP, C_TIME, C_TYPE, C_CHAR, C_N };

/* A header at p: the magic, the version, the six counts. */
static int
header(const unsigned char *p, size_t len, int *version, uint32_t cnt[C_N])
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	*version = p[4] == 0 ? 1 : p[4] >= '2' ? p[4] - '0' : -1;
	if (*version < 0)
		return -1;
	for (int i = 0; i < C_N; i++)
		cnt[i] = be32(p + 20 + 4 * i);
	return 0;
}

/* A count larger than the file cannot be right (and could overflow
 * block_size). */
static int
counts_too_big(const uint32_t cnt[C_N], size_t len)
{
	for (int i = 0; i < C_N; i++)
		if (cnt[i] > len)
			return 1;
	return 0;
}

/* The size of a data block with tsize-byte times. */
static size_t
block_size(const uint32_t cnt[C_N], size_t tsize)
{
	return (size_t)cnt[C_TIME] * (tsize + 1) + (size_t)cnt[C_TYPE] * 6 +
	    cnt[C_CHAR] + (size_t)cnt[C_LEAP] * (tsize + 4) + cnt[C_STD] +
	    cnt[C_UTC];
}

/* Reads the data block at p (its header's counts in cnt) into tz. */
static int
read_block(struct tz *tz, const unsigned char *p, const uint32_t cnt[C_N],
    size_t tsize, const char **why)
{
	const unsigned char *types;

	if (cnt[C_TYPE] == 0) {
		*why = "no local time types";
		return -1;
	}
	if (cnt[C_TYPE] > 256 || cnt[C_CHAR] == 0) {
		*why = "bad counts";
		return -1;
	}
	tz->ntx = cnt[C_TIME];
	tz->ntype = cnt[C_TYPE];
	if ((tz->ntx > 0 && ((tz->when = malloc(tz->ntx *
	    sizeof(*tz->when))) == NULL ||
	    (tz->idx = malloc(tz->ntx)) == NULL)) ||
	    (tz->type = malloc(tz->ntype * sizeof(*tz->type))) == NULL ||
	    (tz->chars = malloc((size_t)cnt[C_CHAR] + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < tz->ntx; i++) {
		tz->when[i] = tsize == 8 ? be64(p + 8 * i) :
		    (int32_t)be32(p + 4 * i);
		if (i > 0 && tz->when[i] <= tz->when[i - 1]) {
			*why = "transitions out of order";
			return -1;
		}
	}
	p += tz->ntx * tsize;
	for (size_t i = 0; i < tz->ntx; i++) {
		if (p[i] >= tz->ntype) {
			*why = "transition to an undefined type";
			return -1;
		}
		tz->idx[i] = p[i];
	}
	types = p + tz->ntx;
	for (size_t i = 0; i < tz->ntype; i++) {
		const unsigned char *t = types + 6 * i;

		tz->type[i].off = (int32_t)be32(t);
		tz->type[i].isdst = t[4] != 0;
		tz->type[i].abbr = t[5];
		if (tz->type[i].off == INT32_MIN || t[5] >= cnt[C_CHAR]) {
			*why = "bad local time type";
			return -1;
		}
	}
	memcpy(tz->chars, types + 6 * tz->ntype, cnt[C_CHAR]);
	tz->chars[cnt[C_CHAR]] = '\0';
	tz->first = first_zone(tz);
	return 0;
}

int
tz_parse(const char *name, const void *data, size_t len, struct tz **out,
    char *err, size_t errlen)
{
	const unsigned char *p = data, *end = p + len;
	const char *why = "truncated";
	struct tz *tz = NULL;
	uint32_t cnt[C_N];
	size_t tsize = 4, bs;
	int version, result = -1;
	char *footer = NULL;

	assert(name != NULL && data != NULL && out != NULL);
	*out = NULL;
	if ((tz = calloc(1, sizeof(*tz))) == NULL ||
	    (tz->name = strdup(name)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	if (header(p, len, &version, cnt) < 0) {
		why = "not a TZif file";
		goto bad;
	}
	if (counts_too_big(cnt, len))
		goto bad;
	p += 44;
	if (version >= 2) {
		/* skip the 32-bit block for the second header's 64-bit one */
		if ((bs = block_size(cnt, 4)) > (size_t)(end - p))
			goto bad;
		p += bs;
		if (header(p, (size_t)(end - p), &version, cnt) < 0) {
			why = "no second header";
			goto bad;
		}
		if (counts_too_big(cnt, len))
			goto bad;
		p += 44;
		tsize = 8;
	}
	if ((bs = block_size(cnt, tsize)) > (size_t)(end - p))
		goto bad;
	if (read_block(tz, p, cnt, tsize, &why) < 0)
		goto bad;
	p += bs;
	/* zoneinfo_read.go: "\n" TZ "\n" ending the file */
	if (end - p > 2 && p[0] == '\n' && end[-1] == '\n' &&
	    memchr(p, '\0', (size_t)(end - p)) == NULL) {
		if ((footer = malloc((size_t)(end - p) - 1)) == NULL) {
			why = "out of memory";
			goto bad;
		}
		memcpy(footer, p + 1, (size_t)(end - p) - 2);
		footer[(end - p) - 2] = '\0';
		if (parse_footer(tz, footer) < 0)
			tz->ext = 0;
	}
	*out = tz;
	tz = NULL;
	result = 0;
	goto out;
bad:
	errf(err, errlen, "malformed time zone information for %s: %s", name,
	    why);
out:
	free(footer);
	tz_free(tz);
	return result;
}

/* The zone UTC, called name. */
static int
utc_zone(const char *name, struct tz **out, char *err, size_t errlen)
{
	struct tz *tz;

	if ((tz = calloc(1, sizeof(*tz))) == NULL ||
	    (tz->name = strdup(name)) == NULL ||
	    (tz->type = calloc(1, sizeof(*tz->type))) == NULL ||
	    (tz->chars = strdup("UTC")) == NULL) {
		tz_free(tz);
		return errf(err, errlen, "out of memory");
	}
	tz->ntype = 1;
	*out = tz;
	return 0;
}

/* An errno as Go's syscall.Errno prints it: strerror's text, lowered. */
static int
sys_err(char *err, size_t errlen, int e)
{
	char buf[128];
	const char *s = strerror_r(e, buf, sizeof(buf));

	if (err == NULL || errlen == 0)
		return -1;
	snprintf(err, errlen, "%s", s);
	if (err[0] >= 'A' && err[0] <= 'Z')
		err[0] = (char)(err[0] - 'A' + 'a');
	return -1;
}

/* Reads the file path (at most TZ_FILE_MAX bytes) and parses it as zone
 * name. On failure *e is the errno (ENOENT: no such file), 0 when the
 * data was at fault; err says why. */
static int
load_file(const char *name, const char *path, struct tz **out, char *err,
    size_t errlen, int *e)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, result = -1;

	*e = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		*e = errno;
		return sys_err(err, errlen, *e);
	}
	if (fstat(fd, &st) < 0) {
		*e = errno;
		sys_err(err, errlen, *e);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		*e = EISDIR;
		sys_err(err, errlen, *e);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", name);
		goto out;
	}
	if (st.st_size > TZ_FILE_MAX) {
		errf(err, errlen, "%s: larger than %d bytes", name,
		    TZ_FILE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		*e = ENOMEM;
		errf(err, errlen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*e = errno;
			sys_err(err, errlen, *e);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (tz_parse(name, buf, got, out, err, errlen) < 0)
		goto out;
	result = 0;
out:
	free(buf);
	close(fd);
	return result;
}

int
tz_load(const char *name, struct tz **out, char *err, size_t errlen)
{
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX + 2];
	int e;

	assert(name != NULL && out != NULL);
	*out = NULL;
	if (*name == '\0' || strcmp(name, "UTC") == 0)
		return utc_zone("UTC", out, err, errlen);
	if (strcmp(name, "Local") == 0) {
		/* Go's initLocal: UTC when /etc/localtime cannot be read */
		if (load_file(name, TZ_LOCALTIME, out, err, errlen, &e) == 0)
			return 0;
		if (e == ENOMEM)
			return -1;
		return utc_zone("Local", out, err, errlen);
	}
	if (strstr(name, "..") != NULL || name[0] == '/' || name[0] == '\\' ||
	    strlen(name) > TZ_NAME_MAX)
		return errf(err, errlen, "time: invalid location name");
	snprintf(path, sizeof(path), "%s/%s", TZ_DIR, name);
	if (load_file(name, path, out, err, errlen, &e) == 0)
		return 0;
	/* Go's loadLocation: "unknown time zone" when no file is there,
	 * else the error met */
	if (e == ENOENT)
		errf(err, errlen, "unknown time zone %s", name);
	return -1;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->when);
	free(tz->idx);
	free(tz->type);
	free(tz->chars);
	free(tz);
}

const char *
tz_name(const struct tz *tz)
{
	return tz->name;
}

long
tz_offset(const struct tz *tz, int64_t t_sec)
{
	struct zone z;

	lookup(tz, t_sec, &z);
	return z.off;
}

void
tz_local(const struct tz *tz, int64_t t_ms, struct tm *out)
{
	struct zone z;
	int64_t sec = floordiv(t_ms, 1000), local, days, y;
	int m, d;

	lookup(tz, sec, &z);
	local = sec + z.off;
	days = floordiv(local, SECS_PER_DAY);
	civil_from_days(days, &y, &m, &d);
	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	local -= days * SECS_PER_DAY;
	out->tm_hour = (int)(local / 3600);
	out->tm_min = (int)(local / 60 % 60);
	out->tm_sec = (int)(local % 60);
	out->tm_wday = (int)(days + 4 - floordiv(days + 4, 7) * 7);
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_isdst = z.isdst;
	out->tm_gmtoff = z.off;
	out->tm_zone = z.abbr;
}

int64_t
tz_date(const struct tz *tz, int64_t year, int64_t mon, int64_t day,
    int64_t hour, int64_t min, int64_t sec)
{
	int64_t m0 = mon - 1, unix;

	/* norm(year, month-1, 12) */
	year += floordiv(m0, 12);
	m0 -= floordiv(m0, 12) * 12;
	unix = (days_from_civil(year, m0 + 1, 1) + day - 1) * SECS_PER_DAY +
	    hour * 3600 + min * 60 + sec;
	/* the offset at the local time read as UTC; if the instant that
	 * gives is outside that offset's period, the offset there */
	return unix - tz_offset(tz, unix - tz_offset(tz, unix));
}

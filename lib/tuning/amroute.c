/* amroute.c -- Alertmanager 0.25's routing tree and inhibit rules (see
 * amroute.h).
 *
 * What is reproduced, and from where (prometheus/alertmanager v0.25.0):
 *
 *   - pkg/labels/parse.go ParseMatchers and ParseMatcher: the matcher
 *     syntax of `matchers:`, `source_matchers:` and `target_matchers:`,
 *     byte for byte: one leading '{' and one trailing '}' trimmed; the
 *     string split at commas outside double quotes (a '"' toggles "inside
 *     quotes" unless escaped, a '\' toggles "escaped", any other character
 *     clears it, a ',' leaves it alone); the last part trimmed of Unicode
 *     white space and dropped when empty; each part matched against
 *     ^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$ with \s
 *     as RE2's [\t\n\f\r ]; then the value unquoted (\n, \", \\; any other
 *     backslash literal, as is one at the very end) with a '"' allowed only
 *     as the first and the last character. Input that is not UTF-8 reads,
 *     as Go's range loop reads it, as U+FFFD per bad byte.
 *   - pkg/labels/matcher.go: a regex matches the whole value, compiled as
 *     the text "^(?:" + value + ")$" (so "a)|(b" means ^(?:a)|(b)$, as in
 *     Alertmanager); an absent label is "". Matchers.String() for the
 *     route key, with openMetricsEscape, and Matchers' sort order (name,
 *     value, type).
 *   - config/config.go: the route, receiver and inhibit rule fields and
 *     their checks (label names, group_by's "..." alone and without
 *     duplicates, group_interval and repeat_interval not zero, the root's
 *     receiver and no matchers, no time intervals and no continue on it,
 *     receivers defined and unique, time interval names defined and
 *     unique); match_re values kept as Regexp.String(), "^(?:re)$", which
 *     the route's matcher then anchors once more.
 *   - dispatch/route.go: NewRoute's inheritance (receiver if not empty,
 *     group_by if it names labels, else "..." turns group_by_all on, the
 *     timers if set, defaults 30s / 5m / 4h at the root; time intervals not
 *     inherited), Route.Match, Route.Key.
 *   - inhibit/inhibit.go: Mutes and hasEqual (see am_inhibits).
 *   - timeinterval/timeinterval.go: the fields of a time interval and their
 *     UnmarshalYAML checks, with their error texts (stringableRangeFromString
 *     on the lowered text, strconv.Atoi's errors, parseTime's validTime
 *     "HH:MM" up to 23:59 or 24:00, weekday and month names, days_of_month
 *     in -31..31 without 0 and never always empty with 28 days, begin <=
 *     end, months and years otherwise unchecked), Location by
 *     time.LoadLocation (lib/core/tzone.c), and ContainsTime with daysInMonth
 *     and clamp as they are. yaml.v2 calls no unmarshaler on null: a null
 *     list is no restriction, an empty list holds nothing, a null item is
 *     Go's zero value (a weekday range sunday:sunday; a time, day or month
 *     range 0:0, which holds nothing; a year range 0:0, the year 0; a
 *     time interval that holds every instant).
 *   - notify/notify.go: TimeActiveStage, TimeMuteStage and
 *     inTimeIntervals, which evaluate in UTC what sets no location.
 *   - config/notifiers.go: each integration kind's send_resolved default.
 *   - gopkg.in/yaml.v2 as config.Load uses it (UnmarshalStrict): a scalar
 *     read as a string is its text whatever it looks like ("500", "yes"),
 *     null reads as "" or "not set", booleans are YAML 1.1's (yes/no/on/
 *     off/y/n/true/false in three casings), duplicate keys are errors,
 *     unknown keys in a route, receiver, rule or time interval are errors,
 *     "<<" merge keys are expanded (later keys win; in a map such as match:,
 *     setting a key twice is an error). Only the first YAML document is
 *     read.
 *
 * Where we are looser or different, on purpose or for now:
 *   - unknown top-level keys are ignored, and nothing of global, templates
 *     or an integration's settings is read or checked (only that each
 *     *_configs is a sequence);
 *   - regexes are PCRE2, not RE2. Every RE2 pattern means the same here
 *     except: \s also matches \v (vertical tab) and \v is PCRE2's vertical
 *     white space class, not a vertical tab; PCRE2-only syntax (look-around,
 *     backreferences, possessive quantifiers, (?x)...) is accepted where
 *     Alertmanager would refuse the config. A regex PCRE2 cannot decide
 *     within AM_MATCH_LIMIT (RE2 always can) fails its matcher. Values are
 *     matched as UTF-8; a byte that is not UTF-8 matches no pattern
 *     character (Go would read it as U+FFFD);
 *   - YAML is libyaml 0.2.5's, which reads a few plain scalars that
 *     yaml.v2's older scanner refuses ('?' inside a plain scalar in a flow
 *     sequence: [a=~"(?i)x"]);
 *   - any *_configs key of a receiver is an integration kind, also those
 *     Alertmanager 0.25 does not know (msteams_configs, ...);
 *   - RE2's limit of 1000 on a repetition count is not enforced;
 *   - a null inhibit rule, which Alertmanager's config check lets
 *     through, is refused;
 *   - a string holding a NUL byte (YAML "\0") is refused;
 *   - time zones are read from /usr/share/zoneinfo only (not ZONEINFO nor
 *     Go's embedded copy), "Local" from /etc/localtime (never TZ); weekday
 *     and month names are lowered ASCII only, Go lowers every letter (only
 *     error texts can differ);
 *   - of an integration's settings only send_resolved is read (and each
 *     item must be a mapping or null);
 *   - limits on untrusted input (AM_* below), which Alertmanager lacks.
 *
 * Routes live in one array in pre-order (Route.Walk's order), so an id is
 * an index; a route's effective settings are computed when it is loaded, its
 * parent being loaded first. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "amroute.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <yaml.h>

#include "config.h"
#include "tzone.h"
#include "yamlnode.h"
#include "utf8.h"

/* Limits on untrusted input: the text, the routes and their nesting, the
 * matchers of one route or rule side, the items of one list, one string,
 * and the YAML nodes the loader may visit once aliases are expanded (an
 * alias repeated in a list repeats its whole subtree). */
#define AM_CONFIG_MAX		(16 * 1024 * 1024)
#define AM_MAX_ROUTES		50000
#define AM_MAX_DEPTH		100
#define AM_MAX_MATCHERS		1024
#define AM_MAX_LIST		1024
#define AM_MAX_STRING		65536
#define AM_MAX_VISITS		(8 * 1024 * 1024)
/* What the parsed config may hold in strings (names, values, paths, route
 * keys) and compiled regexes: aliases can repeat a long string into many
 * routes, and a route's key repeats its ancestors'. */
#define AM_MAX_BYTES		(128 * 1024 * 1024)
/* pcre2_match's budget for one value, as selector.c's. */
#define AM_MATCH_LIMIT		1000000
/* How much of an offending value an error message quotes. */
#define AM_QUOTE_MAX		128

#define MS_SECOND		1000LL
/* dispatch/route.go DefaultRouteOpts */
#define DEFAULT_GROUP_WAIT	(30 * MS_SECOND)
#define DEFAULT_GROUP_INTERVAL	(5 * 60 * MS_SECOND)
#define DEFAULT_REPEAT_INTERVAL	(4 * 60 * 60 * MS_SECOND)

struct matcher {
	enum am_match_type	 type;
	char			*name;		/* owned */
	char			*value;		/* owned */
	pcre2_code		*re;		/* owned; regex types only */
};

struct am_matchers {
	struct matcher		*m;		/* owned, n of cap */
	size_t			 n, cap;
	pcre2_match_context	*mctx;		/* NULL until a regex; owned
						   when own_mctx, else the
						   config's */
	int			 own_mctx;
};

struct strv {
	char	**v;		/* owned, each string owned */
	size_t	  n;
};

struct node {
	size_t		 parent, depth;
	char		*path, *key;	/* owned */
	unsigned long	 line, receiver_line;
	struct am_matchers m;
	int		 cont;
	size_t		*child;		/* owned, nchild of capchild */
	size_t		 nchild, capchild;
	/* as written; "" receiver, NULL group_by, -1 timers: not set */
	char		*receiver;
	struct strv	 group_by;	/* the label names, "..." left out */
	int		 group_by_all;	/* "..." was listed */
	struct strv	 mute, active;
	int64_t		 group_wait, group_interval, repeat_interval;
	/* effective: from this node or an ancestor (the array moves while
	 * it grows, so group_by is found by the id of the route that set it) */
	const char	*e_receiver;	/* borrowed, stable */
	size_t		 e_group_by;	/* AM_NO_PARENT: none */
	int		 e_group_by_all;
	int64_t		 e_group_wait, e_group_interval, e_repeat_interval;
};

struct receiver {
	char		*name;
	unsigned long	 line;
	struct strv	 kinds;		/* "pagerduty", ... */
	int		 send_resolved;	/* of the first kind's first item;
					   -1 not written */
};

/* An inclusive range of one field of a timeinterval.TimeInterval; for
 * times, minutes of the day with the end excluded. */
struct irange {
	int64_t		 begin, end;
};

/* A list field. set is Go's non-nil: an empty list holds nothing, an
 * absent or null one restricts nothing. */
struct ilist {
	struct irange	*v;		/* owned, n */
	size_t		 n;
	int		 set;
};

enum { TI_TIMES, TI_WEEKDAYS, TI_DOM, TI_MONTHS, TI_YEARS, TI_LOCATION,
	TI_N };

/* One timeinterval.TimeInterval. */
struct tspec {
	struct ilist	 f[TI_LOCATION];	/* times to years */
	const struct tz	*loc;		/* borrowed from the config */
};

struct interval {
	char		*name;
	unsigned long	 line;
	size_t		 pos;		/* in its list */
	int		 mute;		/* from mute_time_intervals */
	struct tspec	*spec;		/* owned, nspec */
	size_t		 nspec;
};

/* A name and its index, sorted by name then index, to find names and
 * repeats in O(log n). */
struct ixent {
	const char	*name;		/* borrowed */
	size_t		 i;
};

struct rule {
	struct am_matchers src, tgt;
	struct strv	 equal;
};

struct am_config {
	struct node	*routes;
	size_t		 nroutes, caproutes;
	struct receiver	*recv;
	size_t		 nrecv, caprecv;
	struct ixent	*recv_ix;	/* nrecv, sorted */
	struct interval	*iv;		/* mute_time_intervals, then
					   time_intervals: Alertmanager's
					   order */
	size_t		 niv, capiv;
	struct ixent	*iv_ix;		/* niv, sorted */
	struct rule	*rules;
	size_t		 nrules, caprules;
	pcre2_match_context *mctx;	/* owned; shared by every matcher */
	struct tz	**zones;	/* owned, nzones: the time intervals'
					   locations, each loaded once */
	size_t		 nzones;
	struct tz	*utc;		/* owned; where no location is set */
};

/* --- small helpers --- */

/* Returns p (an array of *cap elements of size sz) grown to hold at least
 * need, and updates *cap; NULL when out of memory, p left as it was. */
static void *
grow(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t ncap = *cap ? *cap : 4;
	void *q;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	if ((q = realloc(p, ncap * sz)) == NULL)
		return NULL;
	*cap = ncap;
	return q;
}

static char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void
strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int
strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

/* Appends a copy of s. */
static int
strv_push(struct strv *sv, const char *s)
{
	char **v, *d;

	if ((d = strdup(s)) == NULL)
		return -1;
	if ((v = realloc(sv->v, (sv->n + 1) * sizeof(*v))) == NULL) {
		free(d);
		return -1;
	}
	sv->v = v;
	sv->v[sv->n++] = d;
	return 0;
}

/* prometheus/common model.LabelNameRE: ^[a-zA-Z_][a-zA-Z0-9_]*$ */
static int
is_label_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int
ixent_cmp(const void *pa, const void *pb)
{
	const struct ixent *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

static int
ixent_find_cmp(const void *key, const void *pb)
{
	return strcmp(key, ((const struct ixent *)pb)->name);
}

/* Sorts ix[0..n) (names and their indexes, as filled in by the caller).
 * Returns the index of the first name, in index order, that repeats an
 * earlier one; n when none does. */
static size_t
ix_sort(struct ixent *ix, size_t n)
{
	size_t first = n;

	if (n > 1)
		qsort(ix, n, sizeof(*ix), ixent_cmp);
	for (size_t k = 1; k < n; k++)
		if (strcmp(ix[k - 1].name, ix[k].name) == 0 && ix[k].i < first)
			first = ix[k].i;
	return first;
}

/* The index of name in the sorted ix[0..n), or -1. */
static long
ix_find(const struct ixent *ix, size_t n, const char *name)
{
	const struct ixent *e;

	if (n == 0)
		return -1;
	e = bsearch(name, ix, n, sizeof(*ix), ixent_find_cmp);
	return e != NULL ? (long)e->i : -1;
}

/* Writes fmt into err; returns -1. */
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

/* Go's unicode.IsSpace. */
static int
is_unicode_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return r >= 0x2000 && r <= 0x200a;
}

/* RE2's \s. */
static int
is_re2_space(char ch)
{
	return ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r' ||
	    ch == ' ';
}

static int
is_name_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_' || ch == ':';
}

static int
is_name_char(char ch)
{
	return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

/* --- matchers --- */

static void
matchers_clear(struct am_matchers *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->m[i].name);
		free(ms->m[i].value);
		if (ms->m[i].re != NULL)
			pcre2_code_free(ms->m[i].re);
	}
	free(ms->m);
	if (ms->own_mctx && ms->mctx != NULL)
		pcre2_match_context_free(ms->mctx);
	memset(ms, 0, sizeof(*ms));
}

/* Compiles "^(?:" value ")$" as labels.NewMatcher does, textually. Options
 * make PCRE2 read it as RE2 would: '$' only at the very end, '.' anything
 * but "\n", UTF-8 subjects whose bad bytes match nothing. */
static int
compile_regex(const char *value, pcre2_code **out, char *err, size_t errlen)
{
	static const char pre[] = "^(?:", post[] = ")$";
	const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
	pcre2_compile_context *cctx = NULL;
	pcre2_code *re = NULL;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE eoff;
	size_t vlen = strlen(value), wlen;
	char *w = NULL;
	int ec, result = -1;

	wlen = sizeof(pre) - 1 + vlen + sizeof(post) - 1;
	if ((w = malloc(wlen)) == NULL ||
	    (cctx = pcre2_compile_context_create(NULL)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(w, pre, sizeof(pre) - 1);
	memcpy(w + sizeof(pre) - 1, value, vlen);
	memcpy(w + sizeof(pre) - 1 + vlen, post, sizeof(post) - 1);
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	re = pcre2_compile((PCRE2_SPTR)w, wlen, opts, &ec, &eoff, cctx);
	if (re == NULL) {
		if (ec == PCRE2_ERROR_NOMEMORY)
			errf(err, errlen, "out of memory");
		else {
			if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "error %d",
				    ec);
			errf(err, errlen,
			    "invalid regular expression \"%.*s%s\": %s",
			    AM_QUOTE_MAX, value,
			    vlen > AM_QUOTE_MAX ? "..." : "", (char *)msg);
		}
		goto out;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	*out = re;
	result = 0;
out:
	if (cctx != NULL)
		pcre2_compile_context_free(cctx);
	free(w);
	return result;
}

/* Appends a matcher, taking name and value (freed on failure too); with a
 * regex type, compiles it, and creates ms's match context on first need
 * (share_mctx swaps it for the config's). */
static int
matchers_add(struct am_matchers *ms, enum am_match_type type, char *name,
    char *value, char *err, size_t errlen)
{
	struct matcher *m;
	pcre2_code *re = NULL;
	void *q;

	if (name == NULL || value == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	if (ms->n == AM_MAX_MATCHERS) {
		errf(err, errlen, "more than %d matchers", AM_MAX_MATCHERS);
		goto fail;
	}
	if (type == AM_MATCH_REGEXP || type == AM_MATCH_NOT_REGEXP) {
		if (compile_regex(value, &re, err, errlen) < 0)
			goto fail;
		if (ms->mctx == NULL) {
			if ((ms->mctx = pcre2_match_context_create(NULL)) ==
			    NULL) {
				errf(err, errlen, "out of memory");
				goto fail;
			}
			ms->own_mctx = 1;
			pcre2_set_match_limit(ms->mctx, AM_MATCH_LIMIT);
		}
	}
	if ((q = grow(ms->m, &ms->cap, ms->n + 1, sizeof(*ms->m))) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	ms->m = q;
	m = &ms->m[ms->n++];
	m->type = type;
	m->name = name;
	m->value = value;
	m->re = re;
	return 0;
fail:
	if (re != NULL)
		pcre2_code_free(re);
	free(name);
	free(value);
	return -1;
}

/* ParseMatcher on the token t[0..tl), valid UTF-8 (the tokenizer made it
 * so). Error texts are Alertmanager's. */
static int
parse_matcher(const char *t, size_t tl, struct am_matchers *ms, char *err,
    size_t errlen)
{
	enum am_match_type type;
	size_t p = 0, ns, ne, vs, ve, n, i, k, o = 0;
	const char *raw;
	char *val = NULL;
	int escaped = 0, quoted = 0;
	uint32_t cp;

	while (p < tl && is_re2_space(t[p]))
		p++;
	if (p == tl || !is_name_start(t[p]))
		goto bad;
	ns = p++;
	while (p < tl && is_name_char(t[p]))
		p++;
	ne = p;
	while (p < tl && is_re2_space(t[p]))
		p++;
	if (p + 1 < tl && t[p] == '=' && t[p + 1] == '~') {
		type = AM_MATCH_REGEXP;
		p += 2;
	} else if (p < tl && t[p] == '=') {
		type = AM_MATCH_EQUAL;
		p++;
	} else if (p + 1 < tl && t[p] == '!' && t[p + 1] == '=') {
		type = AM_MATCH_NOT_EQUAL;
		p += 2;
	} else if (p + 1 < tl && t[p] == '!' && t[p + 1] == '~') {
		type = AM_MATCH_NOT_REGEXP;
		p += 2;
	} else
		goto bad;
	while (p < tl && is_re2_space(t[p]))
		p++;
	vs = p;
	ve = tl;
	while (ve > vs && is_re2_space(t[ve - 1]))
		ve--;

	raw = t + vs;
	n = ve - vs;
	if (n > 0 && raw[0] == '"') {
		raw++;
		n--;
		quoted = 1;
	}
	if ((val = malloc(n + 1)) == NULL)
		return errf(err, errlen, "out of memory");
	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode(raw + i, n - i, &cp)) == 0) {
			/* cannot happen: the tokenizer wrote valid UTF-8 */
			free(val);
			return errf(err, errlen,
			    "matcher value not valid UTF-8: %.*s", (int)(ve - vs),
			    t + vs);
		}
		if (escaped) {
			escaped = 0;
			if (cp == 'n')
				val[o++] = '\n';
			else if (cp == '"' || cp == '\\')
				val[o++] = (char)cp;
			else {
				/* a spurious escape: the '\' is literal and
				 * takes no more room than it did */
				val[o++] = '\\';
				memcpy(val + o, raw + i, k);
				o += k;
			}
			continue;
		}
		if (cp == '\\') {
			if (i < n - 1) {
				escaped = 1;
				continue;
			}
			val[o++] = '\\';
		} else if (cp == '"') {
			if (!quoted || i < n - 1) {
				free(val);
				return errf(err, errlen, "matcher value "
				    "contains unescaped double quote: %.*s",
				    (int)(ve - vs), t + vs);
			}
			quoted = 0;
		} else {
			memcpy(val + o, raw + i, k);
			o += k;
		}
	}
	assert(o <= n);
	val[o] = '\0';
	if (quoted) {
		free(val);
		return errf(err, errlen,
		    "matcher value contains unescaped double quote: %.*s",
		    (int)(ve - vs), t + vs);
	}
	if (memchr(t + ns, '\0', ne - ns) != NULL || strlen(val) != o) {
		free(val);
		return errf(err, errlen, "matcher holds a NUL byte");
	}
	return matchers_add(ms, type, dupn(t + ns, ne - ns), val, err,
	    errlen);
bad:
	return errf(err, errlen, "bad matcher format: %.*s", (int)tl, t);
}

/* ParseMatchers on s[0..len), appending to ms. */
static int
parse_matchers(const char *s, size_t len, struct am_matchers *ms, char *err,
    size_t errlen)
{
	static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
	size_t i, k, tl = 0, a, b;
	char *tok = NULL;
	int inside = 0, escaped = 0, result = -1;
	uint32_t r;

	if (len > 0 && s[0] == '{') {
		s++;
		len--;
	}
	if (len > 0 && s[len - 1] == '}')
		len--;
	/* a bad byte becomes three */
	if ((tok = malloc(len * 3 + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < len; i += k) {
		const char *bytes = s + i;

		if ((k = utf8_decode(s + i, len - i, &r)) == 0) {
			k = 1;
			r = 0xfffd;
			bytes = replacement;
		}
		switch (r) {
		case ',':
			if (!inside) {
				if (parse_matcher(tok, tl, ms, err, errlen) < 0)
					goto out;
				tl = 0;
				continue;
			}
			break;
		case '"':
			if (!escaped)
				inside = !inside;
			else
				escaped = 0;
			break;
		case '\\':
			escaped = !escaped;
			break;
		default:
			escaped = 0;
		}
		if (bytes == replacement) {
			memcpy(tok + tl, replacement, 3);
			tl += 3;
		} else {
			memcpy(tok + tl, bytes, k);
			tl += k;
		}
	}
	/* strings.TrimSpace on the last token */
	for (a = 0; a < tl; a += k) {
		k = utf8_decode(tok + a, tl - a, &r);
		assert(k > 0);
		if (!is_unicode_space(r))
			break;
	}
	for (b = a, i = a; i < tl; i += k) {
		k = utf8_decode(tok + i, tl - i, &r);
		assert(k > 0);
		if (!is_unicode_space(r))
			b = i + k;
	}
	if (b > a && parse_matcher(tok + a, b - a, ms, err, errlen) < 0)
		goto out;
	result = 0;
out:
	free(tok);
	return result;
}

int
am_matchers_parse(const char *s, size_t len, struct am_matchers **out,
    char *err, size_t errlen)
{
	struct am_matchers *ms;

	assert(s != NULL && out != NULL);
	*out = NULL;
	if (len > AM_MAX_STRING)
		return errf(err, errlen, "matchers longer than %d bytes",
		    AM_MAX_STRING);
	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return errf(err, errlen, "out of memory");
	if (parse_matchers(s, len, ms, err, errlen) < 0) {
		am_matchers_free(ms);
		return -1;
	}
	*out = ms;
	return 0;
}

void
am_matchers_free(struct am_matchers *m)
{
	if (m == NULL)
		return;
	matchers_clear(m);
	free(m);
}

size_t
am_matchers_count(const struct am_matchers *m)
{
	return m->n;
}

void
am_matchers_get(const struct am_matchers *m, size_t i,
    enum am_match_type *type, const char **name, const char **value)
{
	assert(i < m->n);
	*type = m->m[i].type;
	*name = m->m[i].name;
	*value = m->m[i].value;
}

/* labels.Matchers.Less */
static int
matcher_cmp(const void *pa, const void *pb)
{
	const struct matcher *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	if ((c = strcmp(a->value, b->value)) != 0)
		return c;
	return (int)a->type - (int)b->type;
}

static const char *const type_str[] = {
	[AM_MATCH_EQUAL] = "=",
	[AM_MATCH_NOT_EQUAL] = "!=",
	[AM_MATCH_REGEXP] = "=~",
	[AM_MATCH_NOT_REGEXP] = "!~",
};

/* A snprintf-like sink. */
struct sink {
	char	*buf;
	size_t	 size, len;
};

static void
sink_put(struct sink *k, const char *s, size_t n)
{
	if (k->len < k->size) {
		size_t room = k->size - 1 - k->len;

		memcpy(k->buf + k->len, s, n < room ? n : room);
		k->buf[k->len + (n < room ? n : room)] = '\0';
	}
	k->len += n;
}

/* Matchers.String() with Matcher.String()'s openMetricsEscape. */
size_t
am_matchers_format(const struct am_matchers *m, char *buf, size_t size)
{
	struct sink k = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	sink_put(&k, "{", 1);
	for (size_t i = 0; i < m->n; i++) {
		const char *v = m->m[i].value;

		if (i > 0)
			sink_put(&k, ",", 1);
		sink_put(&k, m->m[i].name, strlen(m->m[i].name));
		sink_put(&k, type_str[m->m[i].type],
		    strlen(type_str[m->m[i].type]));
		sink_put(&k, "\"", 1);
		for (; *v != '\0'; v++) {
			if (*v == '\\')
				sink_put(&k, "\\\\", 2);
			else if (*v == '\n')
				sink_put(&k, "\\n", 2);
			else if (*v == '"')
				sink_put(&k, "\\\"", 2);
			else
				sink_put(&k, v, 1);
		}
		sink_put(&k, "\"", 1);
	}
	sink_put(&k, "}", 1);
	return k.len;
}

static const char *
label_value(const struct am_labels *ls, const char *name)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->names[i], name) == 0)
			return ls->values[i] != NULL ? ls->values[i] : "";
	return "";
}

/* 1 when the regex matches all of v, 0 when it does not, 2 when PCRE2
 * cannot tell (match limit, depth limit), -1 when out of memory. *md is
 * created on first use; the caller frees it. */
static int
regex_match(const struct am_matchers *ms, const struct matcher *m,
    const char *v, pcre2_match_data **md)
{
	size_t len = strlen(v);
	int rc;

	if (*md == NULL && (*md = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	rc = pcre2_match(m->re, (PCRE2_SPTR)v, len, 0, 0, *md, ms->mctx);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(m->re, (PCRE2_SPTR)v, len, 0, PCRE2_NO_JIT,
		    *md, ms->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc == PCRE2_ERROR_NOMEMORY ? -1 : 2;
}

/* labels.Matchers.Matches: 1, 0, or -1 when out of memory. A regex PCRE2
 * cannot decide fails its matcher, =~ and !~ alike. */
static int
matchers_match(const struct am_matchers *ms, const struct am_labels *ls,
    pcre2_match_data **md)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct matcher *m = &ms->m[i];
		const char *v = label_value(ls, m->name);
		int ok;

		switch (m->type) {
		case AM_MATCH_EQUAL:
			ok = strcmp(v, m->value) == 0;
			break;
		case AM_MATCH_NOT_EQUAL:
			ok = strcmp(v, m->value) != 0;
			break;
		case AM_MATCH_REGEXP:
		case AM_MATCH_NOT_REGEXP:
			if ((ok = regex_match(ms, m, v, md)) < 0)
				return -1;
			ok = ok == (m->type == AM_MATCH_REGEXP ? 1 : 0);
			break;
		default:
			assert(!"cannot happen: unknown match type");
			return 0;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

int
am_matchers_match(const struct am_matchers *m, const struct am_labels *ls)
{
	pcre2_match_data *md = NULL;
	int r;

	assert(m != NULL && ls != NULL);
	r = matchers_match(m, ls, &md);
	if (md != NULL)
		pcre2_match_data_free(md);
	return r;
}

/* --- the YAML loader --- */

struct loader {
	yaml_document_t	*doc;
	struct am_config *c;
	char		*err;
	size_t		 errlen;
	size_t		 visits;	/* of AM_MAX_VISITS */
	size_t		 bytes;		/* of AM_MAX_BYTES */
};

/* Writes "line N: key: message" into ld->err ("line N: " left out when
 * line is 0, "key: " when key is NULL). Returns -1. */
static int
vfail(struct loader *ld, unsigned long line, const char *key,
    const char *fmt, va_list ap)
{
	size_t off = 0;
	int w;

	if (ld->err == NULL || ld->errlen == 0)
		return -1;
	ld->err[0] = '\0';
	if (line > 0) {
		w = snprintf(ld->err, ld->errlen, "line %lu: ", line);
		off = w < 0 ? 0 : (size_t)w;
	}
	if (key != NULL && off < ld->errlen) {
		w = snprintf(ld->err + off, ld->errlen - off, "%s: ", key);
		off += w < 0 ? 0 : (size_t)w;
	}
	if (off < ld->errlen)
		vsnprintf(ld->err + off, ld->errlen - off, fmt, ap);
	return -1;
}

/* vfail at node n's line (none when n is NULL). */
static int __attribute__((format(printf, 4, 5)))
fail(struct loader *ld, const yaml_node_t *n, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, n != NULL ? yn_line(n) : 0, key, fmt, ap);
	va_end(ap);
	return -1;
}

static int __attribute__((format(printf, 4, 5)))
fail_line(struct loader *ld, unsigned long line, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, line, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* fail() with a message already in a buffer (from the matcher parser),
 * which may be ld->err itself. */
static int
fail_msg(struct loader *ld, const yaml_node_t *n, const char *key,
    const char *msg)
{
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", msg);
	return fail(ld, n, key, "%s", copy);
}

static yaml_node_t *
get_node(const struct loader *ld, int id)
{
	return yaml_document_get_node(ld->doc, id);
}

/* Counts a visited node against AM_MAX_VISITS. */
static int
visit(struct loader *ld, const yaml_node_t *n)
{
	if (++ld->visits > AM_MAX_VISITS)
		return fail(ld, n, NULL, "more than %d YAML nodes once "
		    "aliases are expanded", AM_MAX_VISITS);
	return 0;
}

static size_t
strv_bytes(const struct strv *sv)
{
	size_t b = sv->n * sizeof(*sv->v);

	for (size_t i = 0; i < sv->n; i++)
		b += strlen(sv->v[i]) + 1;
	return b;
}

static size_t
matchers_bytes(const struct am_matchers *ms)
{
	size_t b = ms->n * sizeof(*ms->m), sz;

	for (size_t i = 0; i < ms->n; i++) {
		b += strlen(ms->m[i].name) + strlen(ms->m[i].value) + 2;
		if (ms->m[i].re == NULL)
			continue;
		if (pcre2_pattern_info(ms->m[i].re, PCRE2_INFO_SIZE, &sz) == 0)
			b += sz;
		if (pcre2_pattern_info(ms->m[i].re, PCRE2_INFO_JITSIZE,
		    &sz) == 0)
			b += sz;
	}
	return b;
}

/* Counts bytes the config now holds against AM_MAX_BYTES. */
static int
spend(struct loader *ld, const yaml_node_t *n, size_t bytes)
{
	ld->bytes += bytes;
	if (ld->bytes > AM_MAX_BYTES)
		return fail(ld, n, NULL, "more than %d MiB of names, matchers "
		    "and route keys", AM_MAX_BYTES >> 20);
	return 0;
}

/* A scalar read into a Go string: its text; "" for null. Borrowed from the
 * document. */
static int
get_string(struct loader *ld, const yaml_node_t *n, const char *key,
    const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, n, key, "expected a string, got %s",
		    yn_kind(n));
	if (yn_is_null(n)) {
		*out = "";
		return 0;
	}
	if (n->data.scalar.length > AM_MAX_STRING)
		return fail(ld, n, key, "longer than %d bytes", AM_MAX_STRING);
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length)
		return fail(ld, n, key, "holds a NUL byte");
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* yaml.v2's YAML 1.1 booleans; null is false. */
static int
get_bool(struct loader *ld, const yaml_node_t *n, const char *key, int *out)
{
	static const char *const yes[] = { "y", "Y", "yes", "Yes", "YES",
	    "true", "True", "TRUE", "on", "On", "ON" };
	static const char *const no[] = { "n", "N", "no", "No", "NO",
	    "false", "False", "FALSE", "off", "Off", "OFF" };
	const char *s = "";
	size_t i;

	if (yn_is_null(n)) {
		*out = 0;
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE && (n->data.scalar.style ==
	    YAML_PLAIN_SCALAR_STYLE || (n->tag != NULL &&
	    strcmp((const char *)n->tag, YAML_BOOL_TAG) == 0))) {
		s = (const char *)n->data.scalar.value;
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(s, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcmp(s, no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	return fail(ld, n, key, "expected true or false, got %s",
	    n->type == YAML_SCALAR_NODE ? "a string" : yn_kind(n));
}

/* model.Duration; null leaves *ms unset (-1). */
static int
get_duration(struct loader *ld, const yaml_node_t *n, const char *key,
    int64_t *ms)
{
	const char *s = "";

	if (yn_is_null(n)) {
		*ms = -1;
		return 0;
	}
	if (get_string(ld, n, key, &s) < 0)
		return -1;
	if (*s == '\0')
		return fail(ld, n, key, "empty duration string");
	if (cfg_parse_duration(s, ms) < 0)
		return fail(ld, n, key, "not a valid duration string: \"%.*s\"",
		    AM_QUOTE_MAX, s);
	return 0;
}

/* A []string: a sequence of scalars (null items ""), or null. */
static int
get_strings(struct loader *ld, yaml_node_t *n, const char *key,
    struct strv *out)
{
	yaml_node_item_t *it;
	const char *s = "";

	assert(out->n == 0);
	if (yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, key, "expected a sequence of strings, got "
		    "%s", yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);

		if (visit(ld, item) < 0 || get_string(ld, item, key, &s) < 0)
			return -1;
		if (out->n == AM_MAX_LIST)
			return fail(ld, item, key, "more than %d items",
			    AM_MAX_LIST);
		if (strv_push(out, s) < 0)
			return fail(ld, NULL, NULL, "out of memory");
	}
	return 0;
}

/* yaml.v2 isMerge: a "<<" key, plain or tagged !!merge. */
static int
is_merge(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)k->data.scalar.value, "<<") == 0 &&
	    (k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	    (k->tag != NULL && strcmp((const char *)k->tag,
	    "tag:yaml.org,2002:merge") == 0));
}

typedef int (*pair_fn)(struct loader *ld, void *ctx, const char *key,
    yaml_node_t *kn, yaml_node_t *vn);

/* A key written twice in the mapping n (yaml.v2 strict: "already set"):
 * fails on the first repeat in file order. */
static int
check_repeats(struct loader *ld, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *start = n->data.mapping.pairs.start;
	size_t np = (size_t)(n->data.mapping.pairs.top - start), k = 0, rep;
	struct ixent *ix;
	yaml_node_t *kn;

	if (np < 2)
		return 0;
	if ((ix = malloc(np * sizeof(*ix))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	for (size_t i = 0; i < np; i++) {
		kn = get_node(ld, start[i].key);
		if (kn->type == YAML_SCALAR_NODE && !is_merge(kn)) {
			ix[k].name = (const char *)kn->data.scalar.value;
			ix[k++].i = i;
		}
	}
	rep = ix_sort(ix, k);
	free(ix);
	if (rep == k)
		return 0;
	kn = get_node(ld, start[rep].key);
	return fail(ld, kn, key, "key \"%.*s\" already set", AM_QUOTE_MAX,
	    (const char *)kn->data.scalar.value);
}

/* Calls fn for each key of the mapping n, expanding "<<" merges in place
 * (a sequence of mappings last to first, so that the first wins, as
 * yaml.v2). A key twice in one mapping is an error. */
static int
map_each(struct loader *ld, yaml_node_t *n, const char *key, pair_fn fn,
    void *ctx, size_t depth)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn, *vn, *item;
	const char *name = "";

	if (n->type != YAML_MAPPING_NODE)
		return fail(ld, n, key, "expected a mapping, got %s",
		    yn_kind(n));
	if (depth > AM_MAX_DEPTH)
		return fail(ld, n, key, "merges nested deeper than %d",
		    AM_MAX_DEPTH);
	if (check_repeats(ld, n, key) < 0)
		return -1;
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		kn = get_node(ld, pair->key);
		vn = get_node(ld, pair->value);
		if (visit(ld, kn) < 0 || visit(ld, vn) < 0)
			return -1;
		if (is_merge(kn)) {
			if (vn->type == YAML_MAPPING_NODE) {
				if (map_each(ld, vn, key, fn, ctx,
				    depth + 1) < 0)
					return -1;
				continue;
			}
			if (vn->type != YAML_SEQUENCE_NODE)
				return fail(ld, vn, key, "map merge requires "
				    "map or sequence of maps as the value");
			for (yaml_node_item_t *it =
			    vn->data.sequence.items.top;
			    it > vn->data.sequence.items.start; it--) {
				item = get_node(ld, it[-1]);
				if (item->type != YAML_MAPPING_NODE)
					return fail(ld, item, key, "map merge "
					    "requires map or sequence of maps "
					    "as the value");
				if (map_each(ld, item, key, fn, ctx,
				    depth + 1) < 0)
					return -1;
			}
			continue;
		}
		if (kn->type != YAML_SCALAR_NODE)
			return fail(ld, kn, key, "expected a string key, got "
			    "%s", yn_kind(kn));
		if (get_string(ld, kn, key, &name) < 0)
			return -1;
		if (fn(ld, ctx, name, kn, vn) < 0)
			return -1;
	}
	return 0;
}

/* A struct's fields: map_each collects each key's value node; a merge
 * may set one again, the later winning. */
struct fields {
	const char *const *names;
	size_t		 n;
	yaml_node_t	*v[16];
	yaml_node_t	*k[16];
	const char	*path;
	int		 open_configs;	/* receivers: accept any *_configs */
	struct strv	*configs;	/* ... in order, each once */
	yaml_node_t	**config_v;	/* ... their values */
	size_t		 nconfig_v;
};

static int
collect_field(struct loader *ld, void *ctx, const char *key, yaml_node_t *kn,
    yaml_node_t *vn)
{
	struct fields *f = ctx;
	size_t i, len = strlen(key);

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->names[i], key) == 0) {
			f->v[i] = vn;
			f->k[i] = kn;
			return 0;
		}
	}
	if (f->open_configs && len > 8 &&
	    strcmp(key + len - 8, "_configs") == 0) {
		yaml_node_t **cv;

		for (i = 0; i < f->configs->n; i++)
			if (strncmp(f->configs->v[i], key, len - 8) == 0 &&
			    f->configs->v[i][len - 8] == '\0') {
				f->config_v[i] = vn;
				return 0;
			}
		if (f->configs->n == AM_MAX_LIST)
			return fail(ld, kn, f->path, "more than %d kinds of "
			    "integration", AM_MAX_LIST);
		cv = realloc(f->config_v, (f->nconfig_v + 1) * sizeof(*cv));
		if (cv == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		f->config_v = cv;
		f->config_v[f->nconfig_v++] = vn;
		{
			char *kind = dupn(key, len - 8);
			int rc = kind == NULL ? -1 : strv_push(f->configs, kind);

			free(kind);
			if (rc < 0)
				return fail(ld, NULL, NULL, "out of memory");
		}
		return 0;
	}
	return fail(ld, kn, f->path, "unknown key \"%.*s\"", AM_QUOTE_MAX, key);
}

static int
get_fields(struct loader *ld, yaml_node_t *n, const char *path,
    struct fields *f)
{
	assert(f->n <= sizeof(f->v) / sizeof(f->v[0]));
	f->path = path;
	return map_each(ld, n, path, collect_field, f, 0);
}

/* A map[string]string (match:, source_match:...) or a MatchRegexps
 * (match_re:...), appended to ms as = or =~ matchers. */
struct map_ctx {
	struct am_matchers *ms;
	enum am_match_type type;
	struct strv	 seen;
	const char	*key;
};

static int
map_matcher(struct loader *ld, void *ctx, const char *key, yaml_node_t *kn,
    yaml_node_t *vn)
{
	struct map_ctx *x = ctx;
	const char *s = "";
	char *value;
	char msg[512];

	if (!is_label_name(key))
		return fail(ld, kn, x->key, "invalid label name \"%.*s\"",
		    AM_QUOTE_MAX, key);
	if (strv_contains(&x->seen, key))
		return fail(ld, kn, x->key, "key \"%.*s\" already set in map",
		    AM_QUOTE_MAX, key);
	if (strv_push(&x->seen, key) < 0)
		return fail(ld, NULL, NULL, "out of memory");
	/* yaml.v2 calls no unmarshaler on null: a nil config.Regexp */
	if (x->type == AM_MATCH_REGEXP && yn_is_null(vn))
		return fail(ld, vn, x->key, "invalid regexp value for \"%.*s\"",
		    AM_QUOTE_MAX, key);
	if (get_string(ld, vn, x->key, &s) < 0)
		return -1;
	if (x->type == AM_MATCH_REGEXP) {
		/* config.Regexp keeps "^(?:re)$"; dispatch anchors that */
		size_t len = strlen(s);

		if ((value = malloc(len + 7)) != NULL)
			snprintf(value, len + 7, "^(?:%s)$", s);
	} else
		value = strdup(s);
	if (matchers_add(x->ms, x->type, strdup(key), value, msg,
	    sizeof(msg)) < 0)
		return fail_msg(ld, vn, x->key, msg);
	return 0;
}

static int
load_map_matchers(struct loader *ld, yaml_node_t *n, const char *key,
    enum am_match_type type, struct am_matchers *ms)
{
	struct map_ctx x = { ms, type, { NULL, 0 }, key };
	int rc;

	if (n == NULL || yn_is_null(n))
		return 0;
	rc = map_each(ld, n, key, map_matcher, &x, 0);
	strv_free(&x.seen);
	return rc;
}

/* A config.Matchers: a sequence of ParseMatchers strings. */
static int
load_matchers(struct loader *ld, yaml_node_t *n, const char *key,
    struct am_matchers *ms)
{
	struct strv sv = { NULL, 0 };
	char msg[512];
	int rc = -1;

	if (n == NULL)
		return 0;
	if (get_strings(ld, n, key, &sv) < 0)
		goto out;
	for (size_t i = 0; i < sv.n; i++) {
		if (parse_matchers(sv.v[i], strlen(sv.v[i]), ms, msg,
		    sizeof(msg)) < 0) {
			yaml_node_t *item = get_node(ld,
			    n->data.sequence.items.start[i]);
			char k[256];

			snprintf(k, sizeof(k), "%s[%zu]", key, i);
			fail_msg(ld, item, k, msg);
			goto out;
		}
	}
	rc = 0;
out:
	strv_free(&sv);
	return rc;
}

/* Shares the config's match context with ms's regexes. */
static void
share_mctx(struct am_config *c, struct am_matchers *ms)
{
	if (ms->own_mctx) {
		pcre2_match_context_free(ms->mctx);
		ms->own_mctx = 0;
	}
	ms->mctx = c->mctx;
}

/* --- routes --- */

enum {
	RF_RECEIVER, RF_GROUP_BY, RF_MATCH, RF_MATCH_RE, RF_MATCHERS,
	RF_MUTE, RF_ACTIVE, RF_CONTINUE, RF_ROUTES, RF_GROUP_WAIT,
	RF_GROUP_INTERVAL, RF_REPEAT_INTERVAL, RF_N
};

static const char *const route_fields[RF_N] = {
	[RF_RECEIVER] = "receiver",
	[RF_GROUP_BY] = "group_by",
	[RF_MATCH] = "match",
	[RF_MATCH_RE] = "match_re",
	[RF_MATCHERS] = "matchers",
	[RF_MUTE] = "mute_time_intervals",
	[RF_ACTIVE] = "active_time_intervals",
	[RF_CONTINUE] = "continue",
	[RF_ROUTES] = "routes",
	[RF_GROUP_WAIT] = "group_wait",
	[RF_GROUP_INTERVAL] = "group_interval",
	[RF_REPEAT_INTERVAL] = "repeat_interval",
};

static void
node_free(struct node *nd)
{
	free(nd->path);
	free(nd->key);
	matchers_clear(&nd->m);
	free(nd->child);
	free(nd->receiver);
	strv_free(&nd->group_by);
	strv_free(&nd->mute);
	strv_free(&nd->active);
}

/* "path.name" into buf. */
static const char *
subkey(char *buf, size_t size, const char *path, const char *name)
{
	snprintf(buf, size, "%s.%s", path, name);
	return buf;
}

/* config.Route.UnmarshalYAML's group_by checks. */
static int
load_group_by(struct loader *ld, yaml_node_t *n, const char *key,
    struct node *nd)
{
	struct strv sv = { NULL, 0 };
	int rc = -1;

	if (get_strings(ld, n, key, &sv) < 0)
		goto out;
	for (size_t i = 0; i < sv.n; i++) {
		yaml_node_t *item = get_node(ld,
		    n->data.sequence.items.start[i]);

		if (strcmp(sv.v[i], "...") == 0) {
			nd->group_by_all = 1;
			continue;
		}
		if (!is_label_name(sv.v[i])) {
			fail(ld, item, key, "invalid label name \"%.*s\" in "
			    "group_by list", AM_QUOTE_MAX, sv.v[i]);
			goto out;
		}
		if (strv_contains(&nd->group_by, sv.v[i])) {
			fail(ld, item, key, "duplicated label \"%.*s\" in "
			    "group_by", AM_QUOTE_MAX, sv.v[i]);
			goto out;
		}
		if (strv_push(&nd->group_by, sv.v[i]) < 0) {
			fail(ld, NULL, NULL, "out of memory");
			goto out;
		}
	}
	if (nd->group_by.n > 0 && nd->group_by_all) {
		fail(ld, n, key, "cannot have wildcard group_by (`...`) and "
		    "other other labels at the same time");
		goto out;
	}
	rc = 0;
out:
	strv_free(&sv);
	return rc;
}

/* Reads the route's own fields (everything but routes) into nd. */
static int
load_route_fields(struct loader *ld, struct fields *f, struct node *nd)
{
	char k[512];
	const char *s = "";

	nd->group_wait = nd->group_interval = nd->repeat_interval = -1;
	if (f->v[RF_RECEIVER] != NULL) {
		if (get_string(ld, f->v[RF_RECEIVER],
		    subkey(k, sizeof(k), nd->path, "receiver"), &s) < 0)
			return -1;
		if (*s != '\0' && (nd->receiver = strdup(s)) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		nd->receiver_line = yn_line(f->v[RF_RECEIVER]);
	}
	if (f->v[RF_GROUP_BY] != NULL && load_group_by(ld, f->v[RF_GROUP_BY],
	    subkey(k, sizeof(k), nd->path, "group_by"), nd) < 0)
		return -1;
	if (load_map_matchers(ld, f->v[RF_MATCH],
	    subkey(k, sizeof(k), nd->path, "match"), AM_MATCH_EQUAL,
	    &nd->m) < 0 ||
	    load_map_matchers(ld, f->v[RF_MATCH_RE],
	    subkey(k, sizeof(k), nd->path, "match_re"), AM_MATCH_REGEXP,
	    &nd->m) < 0 ||
	    load_matchers(ld, f->v[RF_MATCHERS],
	    subkey(k, sizeof(k), nd->path, "matchers"), &nd->m) < 0)
		return -1;
	if (nd->m.n > 1)
		qsort(nd->m.m, nd->m.n, sizeof(*nd->m.m), matcher_cmp);
	share_mctx(ld->c, &nd->m);
	if (f->v[RF_MUTE] != NULL && get_strings(ld, f->v[RF_MUTE],
	    subkey(k, sizeof(k), nd->path, "mute_time_intervals"),
	    &nd->mute) < 0)
		return -1;
	if (f->v[RF_ACTIVE] != NULL && get_strings(ld, f->v[RF_ACTIVE],
	    subkey(k, sizeof(k), nd->path, "active_time_intervals"),
	    &nd->active) < 0)
		return -1;
	if (f->v[RF_CONTINUE] != NULL && get_bool(ld, f->v[RF_CONTINUE],
	    subkey(k, sizeof(k), nd->path, "continue"), &nd->cont) < 0)
		return -1;
	if (f->v[RF_GROUP_WAIT] != NULL && get_duration(ld,
	    f->v[RF_GROUP_WAIT], subkey(k, sizeof(k), nd->path, "group_wait"),
	    &nd->group_wait) < 0)
		return -1;
	if (f->v[RF_GROUP_INTERVAL] != NULL) {
		subkey(k, sizeof(k), nd->path, "group_interval");
		if (get_duration(ld, f->v[RF_GROUP_INTERVAL], k,
		    &nd->group_interval) < 0)
			return -1;
		if (nd->group_interval == 0)
			return fail(ld, f->v[RF_GROUP_INTERVAL], k,
			    "group_interval cannot be zero");
	}
	if (f->v[RF_REPEAT_INTERVAL] != NULL) {
		subkey(k, sizeof(k), nd->path, "repeat_interval");
		if (get_duration(ld, f->v[RF_REPEAT_INTERVAL], k,
		    &nd->repeat_interval) < 0)
			return -1;
		if (nd->repeat_interval == 0)
			return fail(ld, f->v[RF_REPEAT_INTERVAL], k,
			    "repeat_interval cannot be zero");
	}
	return 0;
}

/* NewRoute's RouteOpts from the parent's (or DefaultRouteOpts), and
 * Route.Key. */
static int
inherit(struct loader *ld, size_t id, struct node *nd,
    const struct node *parent)
{
	size_t plen, mlen;

	if (parent == NULL) {
		nd->e_receiver = "";
		nd->e_group_by = AM_NO_PARENT;
		nd->e_group_by_all = 0;
		nd->e_group_wait = DEFAULT_GROUP_WAIT;
		nd->e_group_interval = DEFAULT_GROUP_INTERVAL;
		nd->e_repeat_interval = DEFAULT_REPEAT_INTERVAL;
	} else {
		nd->e_receiver = parent->e_receiver;
		nd->e_group_by = parent->e_group_by;
		nd->e_group_by_all = parent->e_group_by_all;
		nd->e_group_wait = parent->e_group_wait;
		nd->e_group_interval = parent->e_group_interval;
		nd->e_repeat_interval = parent->e_repeat_interval;
	}
	if (nd->receiver != NULL)
		nd->e_receiver = nd->receiver;
	if (nd->group_by.n > 0) {
		nd->e_group_by = id;
		nd->e_group_by_all = 0;
	} else if (nd->group_by_all)
		nd->e_group_by_all = 1;
	if (nd->group_wait >= 0)
		nd->e_group_wait = nd->group_wait;
	if (nd->group_interval >= 0)
		nd->e_group_interval = nd->group_interval;
	if (nd->repeat_interval >= 0)
		nd->e_repeat_interval = nd->repeat_interval;

	/* Route.Key: the parent's key, "/", Matchers.String() */
	plen = parent != NULL ? strlen(parent->key) + 1 : 0;
	mlen = am_matchers_format(&nd->m, NULL, 0);
	if (plen + mlen > AM_MAX_BYTES)
		return fail(ld, NULL, nd->path, "route key longer than %d MiB",
		    AM_MAX_BYTES >> 20);
	if ((nd->key = malloc(plen + mlen + 1)) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	if (parent != NULL) {
		memcpy(nd->key, parent->key, plen - 1);
		nd->key[plen - 1] = '/';
	}
	am_matchers_format(&nd->m, nd->key + plen, mlen + 1);
	return 0;
}

/* Loads the route at n (path names it) and its subtree. */
static int
load_route(struct loader *ld, yaml_node_t *n, size_t parent, char *path,
    size_t depth)
{
	struct am_config *c = ld->c;
	struct fields f;
	struct node *nd;
	yaml_node_t *routes;
	size_t id, i;
	void *q;

	if (depth > AM_MAX_DEPTH) {
		free(path);
		return fail(ld, n, NULL, "routes nested deeper than %d",
		    AM_MAX_DEPTH);
	}
	if (c->nroutes == AM_MAX_ROUTES) {
		free(path);
		return fail(ld, n, NULL, "more than %d routes",
		    AM_MAX_ROUTES);
	}
	if ((q = grow(c->routes, &c->caproutes, c->nroutes + 1,
	    sizeof(*c->routes))) == NULL) {
		free(path);
		return fail(ld, NULL, NULL, "out of memory");
	}
	c->routes = q;
	id = c->nroutes++;
	nd = &c->routes[id];
	memset(nd, 0, sizeof(*nd));
	nd->path = path;
	nd->parent = parent;
	nd->depth = depth;
	nd->line = yn_line(n);
	if (parent != AM_NO_PARENT) {
		struct node *pn = &c->routes[parent];

		if ((q = grow(pn->child, &pn->capchild, pn->nchild + 1,
		    sizeof(*pn->child))) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		pn->child = q;
		pn->child[pn->nchild++] = id;
	}

	memset(&f, 0, sizeof(f));
	f.names = route_fields;
	f.n = RF_N;
	if (yn_is_null(n))
		return fail(ld, n, path, "expected a mapping, got null");
	if (get_fields(ld, n, path, &f) < 0 ||
	    load_route_fields(ld, &f, nd) < 0 ||
	    inherit(ld, id, nd, parent == AM_NO_PARENT ? NULL :
	    &c->routes[parent]) < 0)
		return -1;
	if (spend(ld, n, sizeof(*nd) + strlen(nd->path) + strlen(nd->key) +
	    matchers_bytes(&nd->m) + strv_bytes(&nd->group_by) +
	    strv_bytes(&nd->mute) + strv_bytes(&nd->active) +
	    (nd->receiver != NULL ? strlen(nd->receiver) : 0)) < 0)
		return -1;

	if ((routes = f.v[RF_ROUTES]) == NULL || yn_is_null(routes))
		return 0;
	if (routes->type != YAML_SEQUENCE_NODE)
		return fail(ld, routes, path, "routes: expected a sequence of "
		    "routes, got %s", yn_kind(routes));
	for (i = 0; routes->data.sequence.items.start + i <
	    routes->data.sequence.items.top; i++) {
		yaml_node_t *item = get_node(ld,
		    routes->data.sequence.items.start[i]);
		const char *pp = c->routes[id].path;
		size_t len = strlen(pp) + 32;
		char *cpath;

		if (visit(ld, item) < 0)
			return -1;
		if ((cpath = malloc(len)) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		snprintf(cpath, len, "%s.routes[%zu]", pp, i);
		if (load_route(ld, item, id, cpath, depth + 1) < 0)
			return -1;
	}
	return 0;
}

/* --- receivers, time intervals, inhibit rules --- */

struct sr_ctx {
	const char	*path;
	int		*out;
};

static int
send_resolved_field(struct loader *ld, void *ctx, const char *key,
    yaml_node_t *kn, yaml_node_t *vn)
{
	struct sr_ctx *x = ctx;
	char k[256];

	(void)kn;
	if (strcmp(key, "send_resolved") != 0)
		return 0;
	return get_bool(ld, vn, subkey(k, sizeof(k), x->path, key), x->out);
}

/* An integration's send_resolved into *out, -1 when not written; the item
 * may be null (Alertmanager's nil config). */
static int
load_send_resolved(struct loader *ld, yaml_node_t *item, const char *key,
    int *out)
{
	struct sr_ctx x = { key, out };

	*out = -1;
	if (yn_is_null(item))
		return 0;
	if (item->type != YAML_MAPPING_NODE)
		return fail(ld, item, key, "expected a mapping, got %s",
		    yn_kind(item));
	return map_each(ld, item, key, send_resolved_field, &x, 0);
}

/* One receiver: its name, the kinds of its non-empty *_configs, and the
 * send_resolved of the first one's first item. */
static int
load_receiver(struct loader *ld, yaml_node_t *n, const char *key,
    struct receiver *r)
{
	static const char *const names[] = { "name" };
	struct strv kinds = { NULL, 0 };
	struct fields f;
	const char *s = "";
	int rc = -1;

	memset(&f, 0, sizeof(f));
	f.names = names;
	f.n = 1;
	f.open_configs = 1;
	f.configs = &kinds;
	if (get_fields(ld, n, key, &f) < 0)
		goto out;
	if (f.v[0] != NULL && get_string(ld, f.v[0], key, &s) < 0)
		goto out;
	if (*s == '\0') {
		fail(ld, n, key, "missing name in receiver");
		goto out;
	}
	r->line = yn_line(f.v[0]);
	if ((r->name = strdup(s)) == NULL) {
		fail(ld, NULL, NULL, "out of memory");
		goto out;
	}
	r->send_resolved = -1;
	for (size_t i = 0; i < kinds.n; i++) {
		yaml_node_t *v = f.config_v[i];
		yaml_node_item_t *it;

		if (yn_is_null(v))
			continue;
		if (v->type != YAML_SEQUENCE_NODE) {
			fail(ld, v, key, "%s_configs: expected a sequence, got "
			    "%s", kinds.v[i], yn_kind(v));
			goto out;
		}
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			char k[256];
			int sr;

			snprintf(k, sizeof(k), "%s.%s_configs[%zu]", key,
			    kinds.v[i],
			    (size_t)(it - v->data.sequence.items.start));
			if (visit(ld, get_node(ld, *it)) < 0 ||
			    load_send_resolved(ld, get_node(ld, *it), k,
			    &sr) < 0)
				goto out;
			if (r->kinds.n == 0 &&
			    it == v->data.sequence.items.start)
				r->send_resolved = sr;
		}
		if (v->data.sequence.items.top > v->data.sequence.items.start &&
		    strv_push(&r->kinds, kinds.v[i]) < 0) {
			fail(ld, NULL, NULL, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	strv_free(&kinds);
	free(f.config_v);
	return rc;
}

/* The receivers, then their index; names must be unique. */
static int
load_receivers(struct loader *ld, yaml_node_t *n)
{
	struct am_config *c = ld->c;
	yaml_node_item_t *it;
	char k[64];
	size_t rep;
	void *q;

	if (yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, "receivers", "expected a sequence, got %s",
		    yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);
		struct receiver *r;

		snprintf(k, sizeof(k), "receivers[%zu]",
		    (size_t)(it - n->data.sequence.items.start));
		if (visit(ld, item) < 0)
			return -1;
		if ((q = grow(c->recv, &c->caprecv, c->nrecv + 1,
		    sizeof(*c->recv))) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		c->recv = q;
		r = &c->recv[c->nrecv++];
		memset(r, 0, sizeof(*r));
		if (load_receiver(ld, item, k, r) < 0 ||
		    spend(ld, item, sizeof(*r) + strlen(r->name) +
		    strv_bytes(&r->kinds)) < 0)
			return -1;
	}
	if (c->nrecv == 0)
		return 0;
	if ((c->recv_ix = malloc(c->nrecv * sizeof(*c->recv_ix))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	for (size_t i = 0; i < c->nrecv; i++) {
		c->recv_ix[i].name = c->recv[i].name;
		c->recv_ix[i].i = i;
	}
	if ((rep = ix_sort(c->recv_ix, c->nrecv)) < c->nrecv) {
		snprintf(k, sizeof(k), "receivers[%zu]", rep);
		return fail_line(ld, c->recv[rep].line, k, "notification config "
		    "name \"%.*s\" is not unique", AM_QUOTE_MAX,
		    c->recv[rep].name);
	}
	return 0;
}

/* --- time intervals --- */

enum { R_WEEKDAY, R_DOM, R_MONTH, R_YEAR };

static const char *const weekday_names[7] = { "sunday", "monday",
	"tuesday", "wednesday", "thursday", "friday", "saturday" };
static const char *const month_names[12] = { "january", "february",
	"march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december" };

/* Go's strconv.Atoi, with its error texts. */
static int
go_atoi(const char *s, int64_t *out, char *msg, size_t msglen)
{
	const char *p = s;
	uint64_t v = 0, lim = INT64_MAX;
	int neg = 0;

	if (*p == '+' || *p == '-') {
		neg = *p++ == '-';
		lim += neg;
	}
	if (*p == '\0')
		goto syntax;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		if (v > (lim - (uint64_t)(*p - '0')) / 10) {
			errf(msg, msglen, "strconv.Atoi: parsing \"%.*s\": value "
			    "out of range", AM_QUOTE_MAX, s);
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
syntax:
	return errf(msg, msglen, "strconv.Atoi: parsing \"%.*s\": invalid "
	    "syntax", AM_QUOTE_MAX, s);
}

/* memberFromString of each range type. */
static int
range_member(int kind, const char *s, int64_t *out, char *msg, size_t msglen)
{
	switch (kind) {
	case R_WEEKDAY:
		for (int i = 0; i < 7; i++)
			if (strcmp(s, weekday_names[i]) == 0) {
				*out = i;
				return 0;
			}
		return errf(msg, msglen, "%.*s is not a valid weekday",
		    AM_QUOTE_MAX, s);
	case R_MONTH:
		for (int i = 0; i < 12; i++)
			if (strcmp(s, month_names[i]) == 0) {
				*out = i + 1;
				return 0;
			}
		if (go_atoi(s, out, NULL, 0) == 0)
			return 0;
		return errf(msg, msglen, "%.*s is not a valid month",
		    AM_QUOTE_MAX, s);
	default:
		return go_atoi(s, out, msg, msglen);
	}
}

static const char *
month_name(int64_t m)
{
	return m >= 1 && m <= 12 ? month_names[m - 1] : "";
}

/* stringableRangeFromString on the lowered text, then the range type's
 * UnmarshalYAML checks. */
static int
parse_range(int kind, const char *in, struct irange *r, char *msg,
    size_t msglen)
{
	char *s, *colon;
	int64_t b, e, cb, ce;
	int rc = -1;

	if ((s = strdup(in)) == NULL)
		return errf(msg, msglen, "out of memory");
	for (char *p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if ((colon = strchr(s, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL) {
			errf(msg, msglen, "couldn't parse range %.*s, invalid "
			    "format", AM_QUOTE_MAX, s);
			goto out;
		}
		*colon = '\0';
		if (range_member(kind, s, &b, msg, msglen) < 0 ||
		    range_member(kind, colon + 1, &e, msg, msglen) < 0)
			goto out;
	} else {
		if (range_member(kind, s, &b, msg, msglen) < 0)
			goto out;
		e = b;
	}
	switch (kind) {
	case R_WEEKDAY:
		if (b > e) {
			errf(msg, msglen, "start day cannot be before end day");
			goto out;
		}
		break;
	case R_DOM:
		if (b == 0 || b < -31 || b > 31 || e == 0 || e < -31 ||
		    e > 31) {
			errf(msg, msglen, "%lld is not a valid day of the "
			    "month: out of range", (long long)(b == 0 ||
			    b < -31 || b > 31 ? b : e));
			goto out;
		}
		if (b < 0 && e > 0) {
			errf(msg, msglen, "end day must be negative if start "
			    "day is negative");
			goto out;
		}
		cb = b < 0 ? 28 + b : b;
		ce = e < 0 ? 28 + e : e;
		if (cb > ce) {
			errf(msg, msglen, "end day %lld is always before start "
			    "day %lld", (long long)e, (long long)b);
			goto out;
		}
		break;
	case R_MONTH:
		if (b > e) {
			errf(msg, msglen, "end month %s is before start month "
			    "%s", month_name(e), month_name(b));
			goto out;
		}
		break;
	case R_YEAR:
		if (b > e) {
			errf(msg, msglen, "end year %lld is before start year "
			    "%lld", (long long)e, (long long)b);
			goto out;
		}
		break;
	default:
		assert(!"cannot happen: unknown range kind");
	}
	r->begin = b;
	r->end = e;
	rc = 0;
out:
	free(s);
	return rc;
}

/* parseTime: minutes of the day of "HH:MM", 00:00 to 23:59 or 24:00 (the
 * regex ^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)). */
static int
parse_hhmm(const char *s, int64_t *mins)
{
	if (strcmp(s, "24:00") == 0) {
		*mins = 24 * 60;
		return 0;
	}
	if (strlen(s) != 5 || s[2] != ':' ||
	    !((s[0] >= '0' && s[0] <= '1' && s[1] >= '0' && s[1] <= '9') ||
	    (s[0] == '2' && s[1] >= '0' && s[1] <= '3')) ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	*mins = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
	return 0;
}

/* Starts a list field from the sequence n (null: not set); returns the
 * number of items in *count. */
static int
list_start(struct loader *ld, yaml_node_t *n, const char *key,
    struct ilist *out, size_t *count)
{
	*count = 0;
	if (n == NULL || yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, key, "expected a sequence, got %s",
		    yn_kind(n));
	*count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (*count > AM_MAX_LIST)
		return fail(ld, n, key, "more than %d items", AM_MAX_LIST);
	if ((out->v = calloc(*count ? *count : 1, sizeof(*out->v))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	out->set = 1;
	return spend(ld, n, *count * sizeof(*out->v));
}

/* times: a []TimeRange. */
static int
load_times(struct loader *ld, yaml_node_t *n, const char *key,
    struct ilist *out)
{
	static const char *const names[] = { "start_time", "end_time" };
	size_t count;

	if (list_start(ld, n, key, out, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = get_node(ld,
		    n->data.sequence.items.start[i]);
		const char *st = "", *et = "";
		struct fields f;
		char k[400];

		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		out->n = i + 1;
		if (visit(ld, item) < 0)
			return -1;
		if (yn_is_null(item))
			continue;	/* TimeRange{0, 0}: no minute */
		memset(&f, 0, sizeof(f));
		f.names = names;
		f.n = 2;
		if (get_fields(ld, item, k, &f) < 0 ||
		    (f.v[0] != NULL && get_string(ld, f.v[0], k, &st) < 0) ||
		    (f.v[1] != NULL && get_string(ld, f.v[1], k, &et) < 0))
			return -1;
		if (*st == '\0' || *et == '\0')
			return fail(ld, item, k, "both start and end times "
			    "must be provided");
		if (parse_hhmm(st, &out->v[i].begin) < 0)
			return fail(ld, f.v[0], k, "couldn't parse timestamp "
			    "%.*s, invalid format", AM_QUOTE_MAX, st);
		if (parse_hhmm(et, &out->v[i].end) < 0)
			return fail(ld, f.v[1], k, "couldn't parse timestamp "
			    "%.*s, invalid format", AM_QUOTE_MAX, et);
		if (out->v[i].begin >= out->v[i].end)
			return fail(ld, item, k, "start time cannot be equal or "
			    "greater than end time");
	}
	return 0;
}

/* weekdays, days_of_month, months or years: a list of range strings. */
static int
load_ranges(struct loader *ld, yaml_node_t *n, const char *key, int kind,
    struct ilist *out)
{
	size_t count;
	char msg[512];

	if (list_start(ld, n, key, out, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = get_node(ld,
		    n->data.sequence.items.start[i]);
		const char *s = "";
		char k[400];

		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		out->n = i + 1;
		if (visit(ld, item) < 0)
			return -1;
		if (yn_is_null(item))
			continue;	/* the zero range, 0:0 */
		if (get_string(ld, item, k, &s) < 0)
			return -1;
		if (parse_range(kind, s, &out->v[i], msg, sizeof(msg)) < 0)
			return fail_msg(ld, item, k, msg);
	}
	return 0;
}

/* The zone called name, loaded once per config. */
static int
get_zone(struct loader *ld, yaml_node_t *n, const char *key,
    const char *name, const struct tz **out)
{
	struct am_config *c = ld->c;
	const char *want = *name != '\0' ? name : "UTC";
	struct tz *tz = NULL, **q;
	char msg[512];

	for (size_t i = 0; i < c->nzones; i++)
		if (strcmp(tz_name(c->zones[i]), want) == 0) {
			*out = c->zones[i];
			return 0;
		}
	if (tz_load(name, &tz, msg, sizeof(msg)) < 0)
		return fail_msg(ld, n, key, msg);
	if ((q = realloc(c->zones, (c->nzones + 1) * sizeof(*q))) == NULL) {
		tz_free(tz);
		return fail(ld, NULL, NULL, "out of memory");
	}
	c->zones = q;
	c->zones[c->nzones++] = tz;
	*out = tz;
	/* a zone file is small: a few kB read into memory */
	return spend(ld, n, 4096);
}

static void
tspec_free(struct tspec *sp)
{
	for (int i = 0; i < TI_LOCATION; i++)
		free(sp->f[i].v);
}

/* One timeinterval.TimeInterval at n into *sp (zeroed by the caller). */
static int
load_tspec(struct loader *ld, yaml_node_t *n, const char *key,
    struct tspec *sp)
{
	static const char *const names[TI_N] = {
		[TI_TIMES] = "times",
		[TI_WEEKDAYS] = "weekdays",
		[TI_DOM] = "days_of_month",
		[TI_MONTHS] = "months",
		[TI_YEARS] = "years",
		[TI_LOCATION] = "location",
	};
	static const int kinds[TI_LOCATION] = {
		[TI_WEEKDAYS] = R_WEEKDAY,
		[TI_DOM] = R_DOM,
		[TI_MONTHS] = R_MONTH,
		[TI_YEARS] = R_YEAR,
	};
	struct fields f;
	const char *s = "";
	char k[320];

	sp->loc = ld->c->utc;
	if (yn_is_null(n))
		return 0;	/* TimeInterval{}: every instant */
	memset(&f, 0, sizeof(f));
	f.names = names;
	f.n = TI_N;
	if (get_fields(ld, n, key, &f) < 0)
		return -1;
	if (load_times(ld, f.v[TI_TIMES], subkey(k, sizeof(k), key,
	    names[TI_TIMES]), &sp->f[TI_TIMES]) < 0)
		return -1;
	for (int i = TI_WEEKDAYS; i < TI_LOCATION; i++)
		if (load_ranges(ld, f.v[i], subkey(k, sizeof(k), key,
		    names[i]), kinds[i], &sp->f[i]) < 0)
			return -1;
	if (f.v[TI_LOCATION] != NULL && !yn_is_null(f.v[TI_LOCATION])) {
		subkey(k, sizeof(k), key, names[TI_LOCATION]);
		if (get_string(ld, f.v[TI_LOCATION], k, &s) < 0 ||
		    get_zone(ld, f.v[TI_LOCATION], k, s, &sp->loc) < 0)
			return -1;
	}
	return 0;
}

/* A named interval's time_intervals into *spec, *nspec (freed by the
 * caller, also on failure). */
static int
load_tspecs(struct loader *ld, yaml_node_t *n, const char *key,
    struct tspec **spec, size_t *nspec)
{
	size_t count;
	char k[256];

	if (n == NULL || yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, key, "expected a sequence, got %s",
		    yn_kind(n));
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (count > AM_MAX_LIST)
		return fail(ld, n, key, "more than %d items", AM_MAX_LIST);
	if (count == 0)
		return 0;
	if ((*spec = calloc(count, sizeof(**spec))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	if (spend(ld, n, count * sizeof(**spec)) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = get_node(ld,
		    n->data.sequence.items.start[i]);

		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		*nspec = i + 1;
		if (visit(ld, item) < 0 ||
		    load_tspec(ld, item, k, &(*spec)[i]) < 0)
			return -1;
	}
	return 0;
}

static void
interval_free(struct interval *iv)
{
	free(iv->name);
	for (size_t i = 0; i < iv->nspec; i++)
		tspec_free(&iv->spec[i]);
	free(iv->spec);
}

/* time_intervals or mute_time_intervals: each name and its intervals. */
static int
load_intervals(struct loader *ld, yaml_node_t *n, const char *key, int mute)
{
	static const char *const names[] = { "name", "time_intervals" };
	struct am_config *c = ld->c;
	yaml_node_item_t *it;
	char k[96], k2[128];
	void *q;

	if (yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, key, "expected a sequence, got %s",
		    yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);
		struct interval *iv;
		struct fields f;
		const char *s = "";

		snprintf(k, sizeof(k), "%s[%zu]", key,
		    (size_t)(it - n->data.sequence.items.start));
		memset(&f, 0, sizeof(f));
		f.names = names;
		f.n = 2;
		if (visit(ld, item) < 0 || get_fields(ld, item, k, &f) < 0)
			return -1;
		if (f.v[0] != NULL && get_string(ld, f.v[0], k, &s) < 0)
			return -1;
		if ((q = grow(c->iv, &c->capiv, c->niv + 1,
		    sizeof(*c->iv))) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		c->iv = q;
		iv = &c->iv[c->niv++];
		memset(iv, 0, sizeof(*iv));
		/* the content is read before the name is checked */
		if (load_tspecs(ld, f.v[1], subkey(k2, sizeof(k2), k,
		    "time_intervals"), &iv->spec, &iv->nspec) < 0)
			return -1;
		if (*s == '\0')
			return fail(ld, item, k, "missing name in %s",
			    mute ? "mute time interval" : "time interval");
		if ((iv->name = strdup(s)) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		iv->line = yn_line(f.v[0]);
		iv->pos = (size_t)(it - n->data.sequence.items.start);
		iv->mute = mute;
		if (spend(ld, item, sizeof(*iv) + strlen(s)) < 0)
			return -1;
	}
	return 0;
}

/* Config.UnmarshalYAML reads mute_time_intervals first, then
 * time_intervals; a name twice is an error at its second reading. */
static int
index_intervals(struct loader *ld)
{
	struct am_config *c = ld->c;
	const struct interval *iv;
	char k[96];
	size_t rep;

	if (c->niv == 0)
		return 0;
	if ((c->iv_ix = malloc(c->niv * sizeof(*c->iv_ix))) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	for (size_t i = 0; i < c->niv; i++) {
		c->iv_ix[i].name = c->iv[i].name;
		c->iv_ix[i].i = i;
	}
	if ((rep = ix_sort(c->iv_ix, c->niv)) == c->niv)
		return 0;
	iv = &c->iv[rep];
	snprintf(k, sizeof(k), "%s[%zu]", iv->mute ? "mute_time_intervals" :
	    "time_intervals", iv->pos);
	return fail_line(ld, iv->line, k, "%s \"%.*s\" is not unique",
	    iv->mute ? "mute time interval" : "time interval", AM_QUOTE_MAX,
	    iv->name);
}

enum {
	IF_SOURCE_MATCH, IF_SOURCE_MATCH_RE, IF_SOURCE_MATCHERS,
	IF_TARGET_MATCH, IF_TARGET_MATCH_RE, IF_TARGET_MATCHERS, IF_EQUAL,
	IF_N
};

static const char *const rule_fields[IF_N] = {
	[IF_SOURCE_MATCH] = "source_match",
	[IF_SOURCE_MATCH_RE] = "source_match_re",
	[IF_SOURCE_MATCHERS] = "source_matchers",
	[IF_TARGET_MATCH] = "target_match",
	[IF_TARGET_MATCH_RE] = "target_match_re",
	[IF_TARGET_MATCHERS] = "target_matchers",
	[IF_EQUAL] = "equal",
};

/* model.LabelNames: each a valid label name, except that a null item is
 * a LabelName yaml.v2 never checks, "", which changes nothing (absent on
 * both sides is equal) and is left out. */
static int
load_equal(struct loader *ld, yaml_node_t *n, const char *key,
    struct strv *out)
{
	yaml_node_item_t *it;
	const char *s = "";

	if (yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, key, "expected a sequence of label names, "
		    "got %s", yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);

		if (visit(ld, item) < 0)
			return -1;
		if (yn_is_null(item))
			continue;
		if (get_string(ld, item, key, &s) < 0)
			return -1;
		if (!is_label_name(s))
			return fail(ld, item, key, "\"%.*s\" is not a valid "
			    "label name", AM_QUOTE_MAX, s);
		if (out->n == AM_MAX_LIST)
			return fail(ld, item, key, "more than %d items",
			    AM_MAX_LIST);
		if (strv_push(out, s) < 0)
			return fail(ld, NULL, NULL, "out of memory");
	}
	return 0;
}

static int
load_rule(struct loader *ld, yaml_node_t *n, const char *key, struct rule *r)
{
	struct fields f;
	char k[128];

	memset(&f, 0, sizeof(f));
	f.names = rule_fields;
	f.n = IF_N;
	if (get_fields(ld, n, key, &f) < 0)
		return -1;
	for (int side = 0; side < 2; side++) {
		struct am_matchers *ms = side == 0 ? &r->src : &r->tgt;
		int base = side == 0 ? IF_SOURCE_MATCH : IF_TARGET_MATCH;

		if (load_map_matchers(ld, f.v[base], subkey(k, sizeof(k), key,
		    rule_fields[base]), AM_MATCH_EQUAL, ms) < 0 ||
		    load_map_matchers(ld, f.v[base + 1], subkey(k, sizeof(k),
		    key, rule_fields[base + 1]), AM_MATCH_REGEXP, ms) < 0 ||
		    load_matchers(ld, f.v[base + 2], subkey(k, sizeof(k), key,
		    rule_fields[base + 2]), ms) < 0)
			return -1;
		share_mctx(ld->c, ms);
	}
	if (f.v[IF_EQUAL] != NULL && load_equal(ld, f.v[IF_EQUAL],
	    subkey(k, sizeof(k), key, "equal"), &r->equal) < 0)
		return -1;
	return 0;
}

static int
load_rules(struct loader *ld, yaml_node_t *n)
{
	struct am_config *c = ld->c;
	yaml_node_item_t *it;
	char k[64];
	void *q;

	if (yn_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, "inhibit_rules", "expected a sequence, got "
		    "%s", yn_kind(n));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);
		struct rule *r;

		snprintf(k, sizeof(k), "inhibit_rules[%zu]",
		    (size_t)(it - n->data.sequence.items.start));
		if (visit(ld, item) < 0)
			return -1;
		if ((q = grow(c->rules, &c->caprules, c->nrules + 1,
		    sizeof(*c->rules))) == NULL)
			return fail(ld, NULL, NULL, "out of memory");
		c->rules = q;
		r = &c->rules[c->nrules++];
		memset(r, 0, sizeof(*r));
		if (load_rule(ld, item, k, r) < 0 ||
		    spend(ld, item, sizeof(*r) + matchers_bytes(&r->src) +
		    matchers_bytes(&r->tgt) + strv_bytes(&r->equal)) < 0)
			return -1;
	}
	return 0;
}

/* --- the whole file --- */

struct top {
	yaml_node_t *route, *receivers, *rules, *ti, *mti;
};

static int
top_field(struct loader *ld, void *ctx, const char *key, yaml_node_t *kn,
    yaml_node_t *vn)
{
	struct top *t = ctx;

	(void)ld;
	(void)kn;
	if (strcmp(key, "route") == 0)
		t->route = vn;
	else if (strcmp(key, "receivers") == 0)
		t->receivers = vn;
	else if (strcmp(key, "inhibit_rules") == 0)
		t->rules = vn;
	else if (strcmp(key, "time_intervals") == 0)
		t->ti = vn;
	else if (strcmp(key, "mute_time_intervals") == 0)
		t->mti = vn;
	return 0;
}

/* Config.UnmarshalYAML's checks on the tree: receivers and time interval
 * names defined, nothing on the root that it must not have. */
static int
check_tree(struct loader *ld, yaml_node_t *root_node)
{
	struct am_config *c = ld->c;
	const struct node *root = &c->routes[0];

	if (root->receiver == NULL)
		return fail(ld, root_node, "route",
		    "root route must specify a default receiver");
	if (root->m.n > 0)
		return fail(ld, root_node, "route",
		    "root route must not have any matchers");
	if (root->mute.n > 0)
		return fail(ld, root_node, "route",
		    "root route must not have any mute time intervals");
	if (root->active.n > 0)
		return fail(ld, root_node, "route",
		    "root route must not have any active time intervals");
	if (root->cont)
		return fail(ld, root_node, "route",
		    "cannot have continue in root route");
	for (size_t i = 0; i < c->nroutes; i++) {
		const struct node *nd = &c->routes[i];
		const struct strv *lists[2] = { &nd->mute, &nd->active };
		char k[512];

		if (nd->receiver != NULL &&
		    am_receiver_find(c, nd->receiver) < 0)
			return fail_line(ld, nd->receiver_line,
			    subkey(k, sizeof(k), nd->path, "receiver"),
			    "undefined receiver \"%.*s\" used in route",
			    AM_QUOTE_MAX, nd->receiver);
		for (int l = 0; l < 2; l++)
			for (size_t j = 0; j < lists[l]->n; j++)
				if (ix_find(c->iv_ix, c->niv,
				    lists[l]->v[j]) < 0)
					return fail_line(ld, nd->line,
					    subkey(k, sizeof(k), nd->path,
					    l == 0 ? "mute_time_intervals" :
					    "active_time_intervals"),
					    "undefined time interval \"%.*s\" "
					    "used in route", AM_QUOTE_MAX,
					    lists[l]->v[j]);
	}
	return 0;
}

static int
load_config(struct loader *ld, yaml_node_t *root)
{
	struct top t;
	char *path;

	memset(&t, 0, sizeof(t));
	if (root == NULL || yn_is_null(root))
		return fail(ld, NULL, NULL, "no route provided in config");
	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, root, NULL, "top level: expected a mapping, "
		    "got %s", yn_kind(root));
	if (map_each(ld, root, NULL, top_field, &t, 0) < 0)
		return -1;
	if (t.receivers != NULL && load_receivers(ld, t.receivers) < 0)
		return -1;
	if (t.mti != NULL && load_intervals(ld, t.mti, "mute_time_intervals",
	    1) < 0)
		return -1;
	if (t.ti != NULL && load_intervals(ld, t.ti, "time_intervals", 0) < 0)
		return -1;
	if (index_intervals(ld) < 0)
		return -1;
	if (t.rules != NULL && load_rules(ld, t.rules) < 0)
		return -1;
	if (t.route == NULL || yn_is_null(t.route))
		return fail(ld, NULL, "route", "no route provided in config");
	if ((path = strdup("route")) == NULL)
		return fail(ld, NULL, NULL, "out of memory");
	if (load_route(ld, t.route, AM_NO_PARENT, path, 0) < 0)
		return -1;
	return check_tree(ld, t.route);
}

int
am_config_parse(const char *yaml, size_t len, struct am_config **out,
    char *err, size_t errlen)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_document_t doc;
	int have_parser = 0, have_doc = 0, result = -1;

	assert(yaml != NULL && out != NULL);
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	ld.errlen = errlen;
	if (len > AM_CONFIG_MAX) {
		fail(&ld, NULL, NULL, "larger than %d bytes", AM_CONFIG_MAX);
		goto out;
	}
	if ((ld.c = calloc(1, sizeof(*ld.c))) == NULL ||
	    (ld.c->mctx = pcre2_match_context_create(NULL)) == NULL) {
		fail(&ld, NULL, NULL, "out of memory");
		goto out;
	}
	pcre2_set_match_limit(ld.c->mctx, AM_MATCH_LIMIT);
	if (tz_load("UTC", &ld.c->utc, err, errlen) < 0)
		goto out;
	if (!yaml_parser_initialize(&parser)) {
		fail(&ld, NULL, NULL, "out of memory");
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR || parser.problem == NULL)
			fail(&ld, NULL, NULL, "out of memory");
		else if (parser.error == YAML_READER_ERROR)
			fail(&ld, NULL, NULL, "YAML syntax error at byte %zu: "
			    "%s", parser.problem_offset, parser.problem);
		else
			errf(err, errlen, "line %lu: YAML syntax error: %s",
			    (unsigned long)parser.problem_mark.line + 1,
			    parser.problem);
		goto out;
	}
	have_doc = 1;
	ld.doc = &doc;
	if (load_config(&ld, yaml_document_get_root_node(&doc)) < 0)
		goto out;
	*out = ld.c;
	ld.c = NULL;
	result = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	am_config_free(ld.c);
	return result;
}

void
am_config_free(struct am_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nroutes; i++)
		node_free(&c->routes[i]);
	free(c->routes);
	for (size_t i = 0; i < c->nrecv; i++) {
		free(c->recv[i].name);
		strv_free(&c->recv[i].kinds);
	}
	free(c->recv);
	free(c->recv_ix);
	for (size_t i = 0; i < c->niv; i++)
		interval_free(&c->iv[i]);
	free(c->iv);
	free(c->iv_ix);
	for (size_t i = 0; i < c->nzones; i++)
		tz_free(c->zones[i]);
	free(c->zones);
	tz_free(c->utc);
	for (size_t i = 0; i < c->nrules; i++) {
		matchers_clear(&c->rules[i].src);
		matchers_clear(&c->rules[i].tgt);
		strv_free(&c->rules[i].equal);
	}
	free(c->rules);
	if (c->mctx != NULL)
		pcre2_match_context_free(c->mctx);
	free(c);
}

/* --- routing --- */

size_t
am_route_count(const struct am_config *c)
{
	return c->nroutes;
}

void
am_route_get(const struct am_config *c, size_t id, struct am_route_info *out)
{
	const struct node *nd;

	assert(id < c->nroutes);
	nd = &c->routes[id];
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->parent = nd->parent;
	out->depth = nd->depth;
	out->path = nd->path;
	out->key = nd->key;
	out->line = nd->line;
	out->matchers = &nd->m;
	out->cont = nd->cont;
	out->n_children = nd->nchild;
	out->receiver = nd->e_receiver;
	if (nd->e_group_by != AM_NO_PARENT) {
		const struct strv *gb = &c->routes[nd->e_group_by].group_by;

		out->group_by = (const char *const *)gb->v;
		out->n_group_by = gb->n;
	}
	out->group_by_all = nd->e_group_by_all;
	out->group_wait_ms = nd->e_group_wait;
	out->group_interval_ms = nd->e_group_interval;
	out->repeat_interval_ms = nd->e_repeat_interval;
	out->mute_time_intervals = (const char *const *)nd->mute.v;
	out->n_mute_time_intervals = nd->mute.n;
	out->active_time_intervals = (const char *const *)nd->active.v;
	out->n_active_time_intervals = nd->active.n;
}

size_t
am_route_child(const struct am_config *c, size_t id, size_t k)
{
	assert(id < c->nroutes && k < c->routes[id].nchild);
	return c->routes[id].child[k];
}

struct rctx {
	const struct am_config	*c;
	const struct am_labels	*ls;
	pcre2_match_data	*md;
	struct am_route_info	*out;
	size_t			 max, n;
};

/* Route.Match: the number of matches under id (0: the route does not
 * match), appended to x->out; -1 when out of memory. */
static int
route_match(struct rctx *x, size_t id)
{
	const struct node *nd = &x->c->routes[id];
	int r, all = 0;

	if ((r = matchers_match(&nd->m, x->ls, &x->md)) <= 0)
		return r;
	for (size_t k = 0; k < nd->nchild; k++) {
		if ((r = route_match(x, nd->child[k])) < 0)
			return -1;
		all += r;
		if (r > 0 && !x->c->routes[nd->child[k]].cont)
			break;
	}
	if (all == 0) {
		if (x->n < x->max)
			am_route_get(x->c, id, &x->out[x->n]);
		x->n++;
		all = 1;
	}
	return all;
}

int
am_route(const struct am_config *c, const struct am_labels *ls,
    struct am_route_info *out, size_t max)
{
	struct rctx x = { c, ls, NULL, out, max, 0 };
	int r;

	assert(c != NULL && ls != NULL && (out != NULL || max == 0));
	r = route_match(&x, 0);
	if (x.md != NULL)
		pcre2_match_data_free(x.md);
	return r < 0 ? -1 : (int)x.n;
}

/* --- receivers, intervals --- */

size_t
am_receiver_count(const struct am_config *c)
{
	return c->nrecv;
}

const char *
am_receiver_name(const struct am_config *c, size_t i)
{
	assert(i < c->nrecv);
	return c->recv[i].name;
}

const char *const *
am_receiver_integrations(const struct am_config *c, size_t i, size_t *n)
{
	assert(i < c->nrecv);
	*n = c->recv[i].kinds.n;
	return (const char *const *)c->recv[i].kinds.v;
}

long
am_receiver_find(const struct am_config *c, const char *name)
{
	return ix_find(c->recv_ix, c->nrecv, name);
}

size_t
am_time_interval_count(const struct am_config *c)
{
	return c->niv;
}

const char *
am_time_interval_name(const struct am_config *c, size_t i)
{
	assert(i < c->niv);
	return c->iv[i].name;
}

/* config/notifiers.go's Default*Config, and later versions' for kinds
 * 0.25 does not have. */
static const struct {
	const char	*kind;
	int		 send_resolved;
} integration_defaults[] = {
	{ "discord", 1 }, { "email", 0 }, { "opsgenie", 1 },
	{ "pagerduty", 1 }, { "pushover", 1 }, { "slack", 0 }, { "sns", 1 },
	{ "telegram", 1 }, { "victorops", 1 }, { "webex", 1 },
	{ "webhook", 1 }, { "wechat", 0 },
	{ "incidentio", 1 }, { "jira", 1 }, { "mattermost", 1 },
	{ "msteams", 1 }, { "msteamsv2", 1 }, { "rocketchat", 0 },
};

int
am_receiver_send_resolved(const struct am_config *c, size_t i)
{
	const struct receiver *r;

	assert(i < c->nrecv);
	r = &c->recv[i];
	if (r->kinds.n == 0)
		return -1;
	if (r->send_resolved >= 0)
		return r->send_resolved;
	for (size_t k = 0; k < sizeof(integration_defaults) /
	    sizeof(integration_defaults[0]); k++)
		if (strcmp(integration_defaults[k].kind, r->kinds.v[0]) == 0)
			return integration_defaults[k].send_resolved;
	return 1;
}

static int
in_ranges(const struct ilist *l, int64_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (v >= l->v[i].begin && v <= l->v[i].end)
			return 1;
	return 0;
}

/* daysInMonth: whole days from the first of lt's month, local midnight, to
 * the same clock a month later (time.Date, then AddDate(0, 1, 0)), the
 * hours divided by 24 and truncated. */
static int64_t
days_in_month(const struct tz *loc, const struct tm *lt)
{
	int64_t start, end;
	struct tm s;

	start = tz_date(loc, lt->tm_year + 1900LL, lt->tm_mon + 1, 1, 0, 0, 0);
	tz_local(loc, start * 1000, &s);
	end = tz_date(loc, s.tm_year + 1900LL, s.tm_mon + 2, s.tm_mday,
	    s.tm_hour, s.tm_min, s.tm_sec);
	return (end - start) / 86400;
}

static int64_t
clamp(int64_t n, int64_t min, int64_t max)
{
	return n <= min ? min : n >= max ? max : n;
}

/* TimeInterval.ContainsTime */
static int
tspec_contains(const struct tspec *sp, int64_t t_ms)
{
	const struct ilist *dom = &sp->f[TI_DOM];
	struct tm lt;
	int in;

	tz_local(sp->loc, t_ms, &lt);
	if (sp->f[TI_TIMES].set) {
		int64_t m = lt.tm_hour * 60 + lt.tm_min;

		in = 0;
		for (size_t i = 0; i < sp->f[TI_TIMES].n && !in; i++)
			in = m >= sp->f[TI_TIMES].v[i].begin &&
			    m < sp->f[TI_TIMES].v[i].end;
		if (!in)
			return 0;
	}
	if (dom->set) {
		int64_t dim = dom->n > 0 ? days_in_month(sp->loc, &lt) : 0;

		in = 0;
		for (size_t i = 0; i < dom->n && !in; i++) {
			int64_t b = dom->v[i].begin, e = dom->v[i].end;

			if (b < 0)
				b = dim + b + 1;
			if (e < 0)
				e = dim + e + 1;
			if (b > dim)
				continue;
			b = clamp(b, -dim, dim);
			e = clamp(e, -dim, dim);
			in = lt.tm_mday >= b && lt.tm_mday <= e;
		}
		if (!in)
			return 0;
	}
	if (sp->f[TI_MONTHS].set && !in_ranges(&sp->f[TI_MONTHS],
	    lt.tm_mon + 1))
		return 0;
	if (sp->f[TI_WEEKDAYS].set && !in_ranges(&sp->f[TI_WEEKDAYS],
	    lt.tm_wday))
		return 0;
	if (sp->f[TI_YEARS].set && !in_ranges(&sp->f[TI_YEARS],
	    lt.tm_year + 1900LL))
		return 0;
	return 1;
}

/* inTimeIntervals: some interval of the named ones contains t. */
static int
in_intervals(const struct am_config *c, const struct strv *names,
    int64_t t_ms)
{
	for (size_t i = 0; i < names->n; i++) {
		long k = ix_find(c->iv_ix, c->niv, names->v[i]);

		/* cannot happen: check_tree refused undefined names */
		if (k < 0)
			continue;
		for (size_t j = 0; j < c->iv[k].nspec; j++)
			if (tspec_contains(&c->iv[k].spec[j], t_ms))
				return 1;
	}
	return 0;
}

int
am_route_muted(const struct am_config *c, size_t route_id, int64_t t_ms)
{
	const struct node *nd;

	assert(route_id < c->nroutes);
	nd = &c->routes[route_id];
	/* the pipeline's TimeActiveStage, then its TimeMuteStage */
	if (nd->active.n > 0 && !in_intervals(c, &nd->active, t_ms))
		return 1;
	if (nd->mute.n > 0 && in_intervals(c, &nd->mute, t_ms))
		return 1;
	return 0;
}

/* --- inhibition --- */

size_t
am_inhibit_rule_count(const struct am_config *c)
{
	return c->nrules;
}

const char *const *
am_inhibit_rule_equal(const struct am_config *c, size_t i, size_t *n)
{
	assert(i < c->nrules);
	*n = c->rules[i].equal.n;
	return (const char *const *)c->rules[i].equal.v;
}

void
am_inhibit_rule_matchers(const struct am_config *c, size_t i,
    const struct am_matchers **source, const struct am_matchers **target)
{
	assert(i < c->nrules);
	*source = &c->rules[i].src;
	*target = &c->rules[i].tgt;
}

/* Mutes(target) with the source alert in the rule's cache, and hasEqual:
 * every equal label the same (absent is ""), and when target also matches
 * the source side, a source that also matches the target side is skipped. */
static int
rule_inhibits(const struct rule *r, const struct am_labels *src,
    const struct am_labels *tgt, pcre2_match_data **md)
{
	int m;

	if ((m = matchers_match(&r->tgt, tgt, md)) <= 0 ||
	    (m = matchers_match(&r->src, src, md)) <= 0)
		return m;
	for (size_t i = 0; i < r->equal.n; i++)
		if (strcmp(label_value(src, r->equal.v[i]),
		    label_value(tgt, r->equal.v[i])) != 0)
			return 0;
	if ((m = matchers_match(&r->src, tgt, md)) < 0)
		return -1;
	if (m == 1) {
		if ((m = matchers_match(&r->tgt, src, md)) < 0)
			return -1;
		if (m == 1)
			return 0;
	}
	return 1;
}

int
am_inhibits(const struct am_config *c, const struct am_labels *source,
    const struct am_labels *target, size_t *rule)
{
	pcre2_match_data *md = NULL;
	int result = 0;

	assert(c != NULL && source != NULL && target != NULL);
	for (size_t i = 0; i < c->nrules; i++) {
		if ((result = rule_inhibits(&c->rules[i], source, target,
		    &md)) != 0) {
			if (result == 1 && rule != NULL)
				*rule = i;
			break;
		}
	}
	if (md != NULL)
		pcre2_match_data_free(md);
	return result;
}

int
am_inhibit_sides(const struct am_config *c, size_t i,
    const struct am_labels *ls)
{
	pcre2_match_data *md = NULL;
	int s, t, result = -1;

	assert(i < c->nrules);
	if ((s = matchers_match(&c->rules[i].src, ls, &md)) < 0 ||
	    (t = matchers_match(&c->rules[i].tgt, ls, &md)) < 0)
		goto out;
	result = (s ? AM_INHIBIT_SOURCE : 0) | (t ? AM_INHIBIT_TARGET : 0);
out:
	if (md != NULL)
		pcre2_match_data_free(md);
	return result;
}

/* --- inhibit rule safety --- */

/* What am_inhibit_unsafe knows of the alerts under each rule. */
struct usafe {
	const struct am_config	*c;
	const struct am_labels	*sets;
	size_t			 n;
	unsigned char		*side;	/* n * nrules: AM_INHIBIT_* of
					   alert a under rule r at
					   a * nrules + r */
	const char		**eqv;	/* rule r's equal values of alert a
					   at eqoff[r] + a * neq */
	size_t			*eqoff;
	size_t			*tgt;	/* the alerts on rule r's target side
					   at tgtoff[r] .. tgtoff[r + 1] */
	size_t			*tgtoff;
};

/* Rule r's edge a -> b: rule_inhibits on the precomputed sides. */
static int
usafe_edge(const struct usafe *u, size_t r, size_t a, size_t b)
{
	size_t nr = u->c->nrules, neq = u->c->rules[r].equal.n;
	unsigned sa = u->side[a * nr + r], sb = u->side[b * nr + r];
	const char *const *ea = u->eqv + u->eqoff[r] + a * neq;
	const char *const *eb = u->eqv + u->eqoff[r] + b * neq;

	if (a == b || !(sa & AM_INHIBIT_SOURCE) || !(sb & AM_INHIBIT_TARGET))
		return 0;
	if ((sb & AM_INHIBIT_SOURCE) && (sa & AM_INHIBIT_TARGET))
		return 0;
	for (size_t k = 0; k < neq; k++)
		if (strcmp(ea[k], eb[k]) != 0)
			return 0;
	return 1;
}

/* A neighbour cursor: rule r, position j among its targets. Writes the
 * next b with an edge a -> b and its rule; 0 when there is none left. */
static int
usafe_next(const struct usafe *u, size_t a, size_t *r, size_t *j,
    size_t *b, size_t *rule)
{
	size_t nr = u->c->nrules;

	for (; *r < nr; (*r)++, *j = 0) {
		if (!(u->side[a * nr + *r] & AM_INHIBIT_SOURCE))
			continue;
		while (u->tgtoff[*r] + *j < u->tgtoff[*r + 1]) {
			size_t cand = u->tgt[u->tgtoff[*r] + (*j)++];

			if (usafe_edge(u, *r, a, cand)) {
				*b = cand;
				*rule = *r;
				return 1;
			}
		}
	}
	return 0;
}

static void
sink_str(struct sink *k, const char *s)
{
	sink_put(k, s, strlen(s));
}

/* {name="value",...}: the set's non-empty labels, first occurrences. */
static void
sink_labels(struct sink *k, const struct am_labels *ls)
{
	int first = 1;

	sink_str(k, "{");
	for (size_t i = 0; i < ls->n; i++) {
		const char *v = ls->values[i] != NULL ? ls->values[i] : "";
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(ls->names[j], ls->names[i]) == 0)
				break;
		if (j < i || *v == '\0')
			continue;
		if (!first)
			sink_str(k, ",");
		first = 0;
		sink_put(k, ls->names[i], strlen(ls->names[i]));
		sink_str(k, "=\"");
		for (; *v != '\0'; v++) {
			if (*v == '\\')
				sink_str(k, "\\\\");
			else if (*v == '\n')
				sink_str(k, "\\n");
			else if (*v == '"')
				sink_str(k, "\\\"");
			else
				sink_put(k, v, 1);
		}
		sink_str(k, "\"");
	}
	sink_str(k, "}");
}

/* An equal label absent from an alert a rule matches: 1 and the reason. */
static int
usafe_missing_equal(const struct usafe *u, struct sink *k)
{
	static const char *const sides[] = { "", "source", "target",
	    "source and target" };
	const struct am_config *c = u->c;
	char num[64];

	for (size_t r = 0; r < c->nrules; r++) {
		size_t neq = c->rules[r].equal.n;

		for (size_t a = 0; a < u->n; a++) {
			unsigned sa = u->side[a * c->nrules + r];
			const char *const *ea = u->eqv + u->eqoff[r] + a * neq;

			if (sa == 0)
				continue;
			for (size_t e = 0; e < neq; e++) {
				if (*ea[e] != '\0')
					continue;
				snprintf(num, sizeof(num), "inhibit rule %zu: ",
				    r);
				sink_put(k, num, strlen(num));
				sink_str(k, "equal label \"");
				sink_put(k, c->rules[r].equal.v[e],
				    strlen(c->rules[r].equal.v[e]));
				sink_str(k, "\" is absent from ");
				sink_put(k, sides[sa], strlen(sides[sa]));
				sink_str(k, " alert ");
				sink_labels(k, &u->sets[a]);
				sink_str(k, ", which then matches every alert "
				    "without it");
				return 1;
			}
		}
	}
	return 0;
}

/* The shortest cycle through v among the alerts marked in scc (a strongly
 * connected set holding v, so there is one), written as the reason. */
static int
usafe_cycle(const struct usafe *u, size_t v, const unsigned char *scc,
    struct sink *k)
{
	size_t *prev = NULL, *prule = NULL, *queue = NULL, *path = NULL;
	size_t qh = 0, qt = 0, last = SIZE_MAX, last_rule = 0, np = 0;
	char num[64];
	int result = -1;

	if ((prev = malloc(u->n * sizeof(*prev))) == NULL ||
	    (prule = malloc(u->n * sizeof(*prule))) == NULL ||
	    (queue = malloc(u->n * sizeof(*queue))) == NULL ||
	    (path = malloc((u->n + 1) * sizeof(*path))) == NULL)
		goto out;
	for (size_t i = 0; i < u->n; i++)
		prev[i] = SIZE_MAX;
	prev[v] = v;
	queue[qt++] = v;
	while (qh < qt && last == SIZE_MAX) {
		size_t a = queue[qh++], r = 0, j = 0, b, rule;

		while (usafe_next(u, a, &r, &j, &b, &rule)) {
			if (b == v) {
				last = a;
				last_rule = rule;
				break;
			}
			if (!scc[b] || prev[b] != SIZE_MAX)
				continue;
			prev[b] = a;
			prule[b] = rule;
			queue[qt++] = b;
		}
	}
	/* cannot happen: v is on a cycle within scc */
	assert(last != SIZE_MAX);
	if (last == SIZE_MAX) {
		result = 0;
		goto out;
	}
	for (size_t x = last; x != v; x = prev[x])
		path[np++] = x;
	path[np++] = v;
	/* path holds last, ..., v: the cycle is v -> path[np - 2] -> ...
	 * -> last -> v */
	sink_str(k, "alerts can mute each other: ");
	sink_labels(k, &u->sets[v]);
	for (size_t step = 0; step < np; step++) {
		int back = step == np - 1;
		size_t to = back ? v : path[np - 2 - step];
		size_t rule = back ? last_rule : prule[to];

		sink_str(k, step == 0 ? " mutes " : ", which mutes ");
		sink_labels(k, &u->sets[to]);
		snprintf(num, sizeof(num), " (inhibit rule %zu)", rule);
		sink_put(k, num, strlen(num));
	}
	result = 1;
out:
	free(prev);
	free(prule);
	free(queue);
	free(path);
	return result;
}

/* Tarjan's strongly connected components, iteratively, edges found on
 * the fly (each alert's scanned once): the first component with more than
 * one alert is a cycle. 1 and the reason, 0 when none, -1 out of memory. */
static int
usafe_cycles(const struct usafe *u, struct sink *k)
{
	struct frame {
		size_t	 a, r, j;
	} *fr = NULL;
	size_t *index = NULL, *low = NULL, *stack = NULL, nf = 0, ns = 0;
	size_t next = 0, b, rule;
	unsigned char *on = NULL, *scc = NULL;
	int result = -1;

	if ((fr = malloc(u->n * sizeof(*fr))) == NULL ||
	    (index = malloc(u->n * sizeof(*index))) == NULL ||
	    (low = malloc(u->n * sizeof(*low))) == NULL ||
	    (stack = malloc(u->n * sizeof(*stack))) == NULL ||
	    (on = calloc(u->n, 1)) == NULL || (scc = calloc(u->n, 1)) == NULL)
		goto out;
	for (size_t i = 0; i < u->n; i++)
		index[i] = SIZE_MAX;
	result = 0;
	for (size_t root = 0; root < u->n && result == 0; root++) {
		if (index[root] != SIZE_MAX)
			continue;
		fr[nf++] = (struct frame){ root, 0, 0 };
		index[root] = low[root] = next++;
		stack[ns++] = root;
		on[root] = 1;
		while (nf > 0 && result == 0) {
			struct frame *f = &fr[nf - 1];
			size_t a = f->a, size = 0;

			if (usafe_next(u, a, &f->r, &f->j, &b, &rule)) {
				if (index[b] == SIZE_MAX) {
					fr[nf++] = (struct frame){ b, 0, 0 };
					index[b] = low[b] = next++;
					stack[ns++] = b;
					on[b] = 1;
				} else if (on[b] && index[b] < low[a])
					low[a] = index[b];
				continue;
			}
			nf--;
			if (nf > 0 && low[a] < low[fr[nf - 1].a])
				low[fr[nf - 1].a] = low[a];
			if (low[a] != index[a])
				continue;
			do {
				b = stack[--ns];
				on[b] = 0;
				scc[b] = 1;
				size++;
			} while (b != a);
			if (size > 1)
				result = usafe_cycle(u, a, scc, k);
			else
				scc[a] = 0;
		}
	}
out:
	free(fr);
	free(index);
	free(low);
	free(stack);
	free(on);
	free(scc);
	return result;
}

int
am_inhibit_unsafe(const struct am_config *c, const struct am_labels *sets,
    size_t n, char *why, size_t whylen)
{
	struct usafe u;
	struct sink k = { why, whylen, 0 };
	pcre2_match_data *md = NULL;
	size_t nr = c->nrules, neqs = 0, nt = 0;
	int result = -1;

	assert(c != NULL && (sets != NULL || n == 0));
	assert(why != NULL || whylen == 0);
	if (whylen > 0)
		why[0] = '\0';
	memset(&u, 0, sizeof(u));
	u.c = c;
	u.sets = sets;
	u.n = n;
	if (n == 0 || nr == 0)
		return 0;
	if ((u.side = malloc(n * nr)) == NULL ||
	    (u.eqoff = malloc(nr * sizeof(*u.eqoff))) == NULL ||
	    (u.tgtoff = malloc((nr + 1) * sizeof(*u.tgtoff))) == NULL)
		goto out;
	for (size_t r = 0; r < nr; r++) {
		u.eqoff[r] = neqs;
		neqs += c->rules[r].equal.n * n;
	}
	if ((u.eqv = malloc((neqs ? neqs : 1) * sizeof(*u.eqv))) == NULL)
		goto out;
	for (size_t r = 0; r < nr; r++) {
		const struct rule *ru = &c->rules[r];

		for (size_t a = 0; a < n; a++) {
			int s, t;

			if ((s = matchers_match(&ru->src, &sets[a], &md)) < 0 ||
			    (t = matchers_match(&ru->tgt, &sets[a], &md)) < 0)
				goto out;
			u.side[a * nr + r] = (unsigned char)((s ?
			    AM_INHIBIT_SOURCE : 0) | (t ? AM_INHIBIT_TARGET : 0));
			nt += t;
			for (size_t e = 0; e < ru->equal.n; e++)
				u.eqv[u.eqoff[r] + a * ru->equal.n + e] =
				    label_value(&sets[a], ru->equal.v[e]);
		}
	}
	if ((u.tgt = malloc((nt ? nt : 1) * sizeof(*u.tgt))) == NULL)
		goto out;
	nt = 0;
	for (size_t r = 0; r < nr; r++) {
		u.tgtoff[r] = nt;
		for (size_t a = 0; a < n; a++)
			if (u.side[a * nr + r] & AM_INHIBIT_TARGET)
				u.tgt[nt++] = a;
	}
	u.tgtoff[nr] = nt;
	if (usafe_missing_equal(&u, &k))
		result = 1;
	else
		result = usafe_cycles(&u, &k);
out:
	if (md != NULL)
		pcre2_match_data_free(md);
	free(u.side);
	free(u.eqv);
	free(u.eqoff);
	free(u.tgt);
	free(u.tgtoff);
	return result;
}

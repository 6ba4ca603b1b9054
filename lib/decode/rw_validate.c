/* rw_validate.c -- the remote-write decoder's messages and the spec's rules
 * for a series (rw_decode_int.h).
 *
 * Error messages for every step are written with rw__seterr into the
 * caller's buffer; labels in them are quoted with rw__quote, a series
 * rendered as {a="b",...}. rw__validate checks every decoded series against
 * the spec, for both the streaming decoder (rw_fast.c) and the reference
 * (rw_reference.c), so the two give the same verdicts and messages. Nothing
 * here allocates or knows the wire format. */
#include "rw_decode_int.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/*
 * Error messages. Nothing here allocates: messages are built in the caller's
 * buffer or in fixed arrays on the stack, truncated when they do not fit.
 */

void
rw__seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
rw__sb_init(struct sb *b, char *p, size_t cap)
{
	assert(cap > 0);
	b->p = p;
	b->cap = cap;
	b->len = 0;
	p[0] = '\0';
}

void
rw__sb_putc(struct sb *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	}
}

static void
sb_puts(struct sb *b, const char *s)
{
	while (*s != '\0')
		rw__sb_putc(b, *s++);
}

/* Appends s (n bytes) double-quoted, escaped as in PromQL (\\ \" \n) plus
 * \xNN for control bytes, and for every byte >= 0x80 when s is not valid
 * UTF-8. At most max bytes of s are shown, cut at a character boundary and
 * followed by "..." when longer. */
static void
sb_quote(struct sb *b, const char *s, size_t n, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, shown = n;
	int raw8 = utf8_valid(s, n);
	char hex[5];

	if (shown > max) {
		shown = max;
		while (shown > 0 && raw8 && (u[shown] & 0xc0) == 0x80)
			shown--;
	}
	rw__sb_putc(b, '"');
	for (i = 0; i < shown; i++) {
		if (u[i] == '\\' || u[i] == '"') {
			rw__sb_putc(b, '\\');
			rw__sb_putc(b, (char)u[i]);
		} else if (u[i] == '\n') {
			sb_puts(b, "\\n");
		} else if (u[i] < 0x20 || u[i] == 0x7f || (u[i] >= 0x80 && !raw8)) {
			snprintf(hex, sizeof(hex), "\\x%02x", u[i]);
			sb_puts(b, hex);
		} else
			rw__sb_putc(b, (char)u[i]);
	}
	rw__sb_putc(b, '"');
	if (shown < n)
		sb_puts(b, "...");
}

const char *
rw__quote(char *dst, size_t dstlen, const char *s)
{
	struct sb b;

	rw__sb_init(&b, dst, dstlen);
	sb_quote(&b, s, strlen(s), QUOTE_MAX);
	return dst;
}

static int valid_name(const char *);

/* The series as {a="b",c="d"}, cut after about SERIES_SHOWN bytes; a name
 * that is not a valid label name is shown quoted. */
#define SERIES_SHOWN	200

static void
render_series(char *dst, size_t dstlen, const struct rw_series *s)
{
	struct sb b;
	size_t i;

	rw__sb_init(&b, dst, dstlen);
	rw__sb_putc(&b, '{');
	for (i = 0; i < s->nlabels; i++) {
		const char *name = s->labels[i].name;
		const char *value = s->labels[i].value;

		if (b.len > SERIES_SHOWN) {
			sb_puts(&b, ",...");
			break;
		}
		if (i > 0)
			rw__sb_putc(&b, ',');
		if (valid_name(name) && strlen(name) <= QUOTE_MAX)
			sb_puts(&b, name);
		else
			sb_quote(&b, name, strlen(name), QUOTE_MAX);
		rw__sb_putc(&b, '=');
		sb_quote(&b, value, strlen(value), QUOTE_MAX);
	}
	rw__sb_putc(&b, '}');
}

/*
 * Validation (1.0 spec "Labels", "Samples"; 2.0 spec the same rules).
 */

static int
valid_name(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (p = s + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* The length of a label name and whether it is valid (valid_name), in one
 * pass. */
static inline int
name_scan(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	int ok;

	ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
	if (*p != '\0')
		for (p++; *p != '\0'; p++)
			ok &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
	*len = (size_t)((const char *)p - s);
	return ok;
}

/* The length of a label value and whether it is all ASCII (so valid
 * UTF-8), in one pass. */
static inline int
value_scan(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned hi = 0;

	for (; *p != '\0'; p++)
		hi |= *p;
	*len = (size_t)((const char *)p - s);
	return (hi & 0x80) == 0;
}

/* Checks one series; on the first problem writes it into why and returns
 * -1. */
static int
check_series(const struct rw_series *s, const struct rw_limits *lim,
    char *why, size_t whylen)
{
	char q1[QUOTED_SIZE], q2[QUOTED_SIZE];
	const char *prev = NULL;
	size_t i, nlen, vlen;
	int has_name = 0, c, name_ok, ascii;

	if (s->nlabels > lim->max_labels) {
		rw__seterr(why, whylen, "%zu labels, limit is %zu", s->nlabels,
		    lim->max_labels);
		return -1;
	}
	for (i = 0; i < s->nlabels; i++) {
		const char *name = s->labels[i].name;
		const char *value = s->labels[i].value;

		name_ok = name_scan(name, &nlen);
		ascii = value_scan(value, &vlen);
		if (nlen == 0) {
			rw__seterr(why, whylen, "empty label name (value %s)",
			    rw__quote(q1, sizeof(q1), value));
			return -1;
		}
		if (nlen > lim->max_name_len) {
			rw__seterr(why, whylen, "label name %s is %zu bytes, "
			    "limit is %zu", rw__quote(q1, sizeof(q1), name),
			    nlen, lim->max_name_len);
			return -1;
		}
		if (!name_ok) {
			rw__seterr(why, whylen, "invalid label name %s (want "
			    "[a-zA-Z_][a-zA-Z0-9_]*)",
			    rw__quote(q1, sizeof(q1), name));
			return -1;
		}
		if (prev != NULL) {
			c = (unsigned char)prev[0] - (unsigned char)name[0];
			if (c == 0)
				c = strcmp(prev, name);
		} else
			c = -1;
		if (c >= 0) {
			if (c == 0)
				rw__seterr(why, whylen, "duplicate label %s",
				    rw__quote(q1, sizeof(q1), name));
			else
				rw__seterr(why, whylen, "labels not sorted: %s "
				    "after %s", rw__quote(q1, sizeof(q1), name),
				    rw__quote(q2, sizeof(q2), prev));
			return -1;
		}
		if (vlen == 0) {
			rw__seterr(why, whylen, "label %s has an empty value",
			    rw__quote(q1, sizeof(q1), name));
			return -1;
		}
		if (vlen > lim->max_value_len) {
			rw__seterr(why, whylen, "label %s value is %zu bytes, "
			    "limit is %zu", rw__quote(q1, sizeof(q1), name),
			    vlen, lim->max_value_len);
			return -1;
		}
		if (!ascii && !utf8_valid(value, vlen)) {
			rw__seterr(why, whylen, "label %s value is not valid "
			    "UTF-8", rw__quote(q1, sizeof(q1), name));
			return -1;
		}
		if (!has_name && nlen == 8 && memcmp(name, "__name__", 8) == 0)
			has_name = 1;
		prev = name;
	}
	if (!has_name) {
		rw__seterr(why, whylen, "no __name__ label");
		return -1;
	}
	for (i = 1; i < s->nsamples; i++) {
		if (s->samples[i].ts_ms < s->samples[i - 1].ts_ms) {
			rw__seterr(why, whylen, "samples out of order: sample "
			    "%zu at %" PRId64 " ms after one at %" PRId64
			    " ms", i, s->samples[i].ts_ms,
			    s->samples[i - 1].ts_ms);
			return -1;
		}
	}
	return 0;
}

enum rw_status
rw__validate(struct rw_request *r, const struct rw_limits *lim,
    char *const *bad, char *err, size_t errlen)
{
	char why[512], who[SERIES_SHOWN + 3 * QUOTED_SIZE];
	size_t i, first = SIZE_MAX;

	for (i = 0; i < r->nseries; i++) {
		struct rw_series *s = &r->series[i];

		if (s->valid && check_series(s, lim, why, sizeof(why)) != 0)
			s->valid = 0;
		if (!s->valid) {
			r->ninvalid++;
			if (first == SIZE_MAX) {
				first = i;
				if (bad != NULL && bad[i] != NULL)
					rw__seterr(err, errlen, "series #%zu: "
					    "%s", i, bad[i]);
				else {
					render_series(who, sizeof(who), s);
					rw__seterr(err, errlen, "series %s: %s",
					    who, why);
				}
			}
			continue;
		}
		r->nsamples += s->nsamples;
	}
	if (r->ninvalid == 0)
		return RW_OK;
	if (r->ninvalid > 1 && err != NULL) {
		size_t n = strlen(err);

		if (n + 1 < errlen)
			rw__seterr(err + n, errlen - n, " (and %zu more "
			    "invalid series)", r->ninvalid - 1);
	}
	return RW_ERR_INVALID;
}

size_t
rw_out_of_bounds(const struct rw_request *r, int64_t min_ms, int64_t max_ms,
    char *err, size_t errlen)
{
	char who[SERIES_SHOWN + 3 * QUOTED_SIZE];
	size_t i, j, n = 0;

	assert(r != NULL && min_ms <= max_ms);
	rw__seterr(err, errlen, "%s", "");
	for (i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];

		if (!s->valid)
			continue;
		for (j = 0; j < s->nsamples; j++) {
			int64_t t = s->samples[j].ts_ms;

			if (t >= min_ms && t <= max_ms)
				continue;
			if (n++ == 0) {
				render_series(who, sizeof(who), s);
				rw__seterr(err, errlen, "out of bounds: series "
				    "%s: sample at %" PRId64 " ms is %s the "
				    "accepted range [%" PRId64 ", %" PRId64
				    "] ms (storage.retention before now to "
				    "10m after)", who, t, t < min_ms ?
				    "before" : "after", min_ms, max_ms);
			}
		}
	}
	if (n > 1 && err != NULL) {
		size_t len = strlen(err);

		if (len + 1 < errlen)
			rw__seterr(err + len, errlen - len, " (and %zu more "
			    "samples)", n - 1);
	}
	return n;
}

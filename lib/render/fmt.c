/* fmt.c -- text for people (fmt.h): the document being built with its
 * sticky error, and numbers, durations and JSON fields as the report shows
 * them. Shared by the report's renderers and the daemon's web pages. */
#include "fmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text is a line or two; this only bounds a runaway. */
#define TEXT_MAX	((size_t)64 << 20)

/* --- the document -------------------------------------------------------- */

void
fmt_init(struct fmt_out *o, size_t max)
{
	buf_init(&o->b, max);
	o->err = 0;
}

void
fmt_put(struct fmt_out *o, const char *s)
{
	if (buf_puts(&o->b, s) < 0)
		o->err = 1;
}

void
fmt_putn(struct fmt_out *o, const char *s, size_t n)
{
	if (buf_append(&o->b, s, n) < 0)
		o->err = 1;
}

void
fmt_putf(struct fmt_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&o->b, fmt, ap) < 0)
		o->err = 1;
	va_end(ap);
}

char *
fmt_finish(struct fmt_out *o)
{
	char *s;

	if (o->err || (s = buf_steal(&o->b)) == NULL) {
		buf_free(&o->b);
		return NULL;
	}
	return s;
}

/* --- numbers ------------------------------------------------------------- */

/* v with at most dec decimals, trailing zeros dropped ("62.5", "100"). */
void
fmt_dec(double v, int dec, char *out, size_t outlen)
{
	char *dot, *end;

	if (isnan(v)) {
		snprintf(out, outlen, "n/a");
		return;
	}
	snprintf(out, outlen, "%.*f", dec, v);
	if ((dot = strchr(out, '.')) != NULL) {
		end = out + strlen(out);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(out, "-0") == 0)
		snprintf(out, outlen, "0");
}

void
fmt_pct(double ratio, char *out, size_t outlen)
{
	size_t n;

	if (isnan(ratio)) {
		snprintf(out, outlen, "n/a");
		return;
	}
	fmt_dec(ratio * 100, 1, out, outlen);
	if ((n = strlen(out)) + 1 < outlen) {
		out[n] = '%';
		out[n + 1] = '\0';
	}
}

/* Seconds for people: "42s", "4m 05s", "3h 20m", "2d 04h". */
void
fmt_dur(double s, char *out, size_t outlen)
{
	const char *sign = s < 0 ? "-" : "";
	double a = fabs(s);
	long long x = llround(a);
	char t[40];

	if (a < 59.5) {
		fmt_dec(a, a < 10 ? 1 : 0, t, sizeof(t));
		snprintf(out, outlen, "%s%ss", sign, t);
	} else if (x < 3600) {
		snprintf(out, outlen, "%s%lldm %02llds", sign, x / 60, x % 60);
	} else if (x < 86400) {
		snprintf(out, outlen, "%s%lldh %02lldm", sign, x / 3600,
		    x / 60 % 60);
	} else {
		snprintf(out, outlen, "%s%lldd %02lldh", sign, x / 86400,
		    x / 3600 % 24);
	}
}

/* A number or null for a table cell. */
void
fmt_num(const json_t *v, int dec, char *out, size_t outlen)
{
	if (json_is_number(v))
		fmt_dec(json_number_value(v), dec, out, outlen);
	else
		snprintf(out, outlen, "n/a");
}

void
fmt_ratio(const json_t *v, char *out, size_t outlen)
{
	if (json_is_number(v))
		fmt_pct(json_number_value(v), out, outlen);
	else
		snprintf(out, outlen, "n/a");
}

/* --- JSON fields --------------------------------------------------------- */

/* A scalar as text: strings as they are, numbers trimmed, booleans and
 * null spelled out. Returns 0 for arrays and objects. */
static int
scalar_text(const json_t *v, char *out, size_t outlen)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(out, outlen, "%s", json_string_value(v));
		return 1;
	case JSON_INTEGER:
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
		return 1;
	case JSON_REAL:
		fmt_dec(json_real_value(v), 2, out, outlen);
		return 1;
	case JSON_TRUE:
		snprintf(out, outlen, "true");
		return 1;
	case JSON_FALSE:
		snprintf(out, outlen, "false");
		return 1;
	case JSON_NULL:
		snprintf(out, outlen, "n/a");
		return 1;
	default:
		return 0;
	}
}

/* Appends v to b as text: a scalar (scalar_text), an array of scalars as
 * "[a, b]", an object of scalars as "{k: v, ...}"; deeper structure is
 * left out. Returns -1 on out-of-memory. */
static int
put_value(struct buf *b, const json_t *v)
{
	char t[256];
	const char *k;
	json_t *m;
	size_t i, n = 0;

	if (scalar_text(v, t, sizeof(t)))
		return buf_puts(b, t);
	if (buf_puts(b, json_is_array(v) ? "[" : "{") < 0)
		return -1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (scalar_text(m, t, sizeof(t)) &&
			    buf_printf(b, "%s%s", n++ ? ", " : "", t) < 0)
				return -1;
	} else {
		json_object_foreach((json_t *)v, k, m)
			if (scalar_text(m, t, sizeof(t)) &&
			    buf_printf(b, "%s%s: %s", n++ ? ", " : "", k, t) < 0)
				return -1;
	}
	return buf_puts(b, json_is_array(v) ? "]" : "}");
}

/* Whether v is a scalar, or a container holding one (put_value shows
 * only those). */
static int
shows_something(const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	if (!json_is_array(v) && !json_is_object(v))
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (!json_is_array(m) && !json_is_object(m))
				return 1;
	} else {
		json_object_foreach((json_t *)v, k, m)
			if (!json_is_array(m) && !json_is_object(m))
				return 1;
	}
	return 0;
}

/* A lowerCamelCase JSON key as the words people read in text, the way the
 * renderings always wrote them: "noiseEpisodes" as "noise_episodes". */
static int
put_words(struct buf *b, const char *key)
{
	for (; *key != '\0'; key++)
		if (*key >= 'A' && *key <= 'Z' ? buf_printf(b, "_%c",
		    *key - 'A' + 'a') < 0 : buf_printf(b, "%c", *key) < 0)
			return -1;
	return 0;
}

/* A recommendation's evidence or predicted savings as one line of text: a
 * string as it is; an object's "summary" when it has one, else its members
 * as "key: value, ..." (keys as put_words writes them) with a pair
 * "xBefore"/"xAfter" made one "x: before -> after", null members and
 * containers of containers left out; anything else by
 * put_value. The caller frees; NULL when there is nothing (or no memory). */
char *
fmt_fields_text(const json_t *v)
{
	struct buf b;
	char txt[256], key[160];
	const char *k, *base;
	json_t *m, *after;
	int bad = 0;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_object(v) && json_is_string(json_object_get(v, "summary")))
		return strdup(json_string_value(json_object_get(v, "summary")));
	buf_init(&b, TEXT_MAX);
	if (!json_is_object(v)) {
		bad = put_value(&b, v) < 0;
		goto done;
	}
	json_object_foreach((json_t *)v, k, m) {
		size_t len = strlen(k);

		if (json_is_null(m) || !shows_something(m))
			continue;
		if (len > 5 && strcmp(k + len - 5, "After") == 0 &&
		    len - 5 < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*sBefore", (int)(len - 5),
			    k);
			if (json_object_get(v, key) != NULL)
				continue;	/* shown with its xBefore */
		}
		base = k;
		after = NULL;
		if (len > 6 && strcmp(k + len - 6, "Before") == 0 &&
		    len - 6 < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*sAfter", (int)(len - 6),
			    k);
			after = json_object_get(v, key);
			snprintf(key, sizeof(key), "%.*s", (int)(len - 6), k);
			base = key;
		}
		if ((b.len && buf_puts(&b, ", ") < 0) ||
		    put_words(&b, base) < 0 || buf_puts(&b, ": ") < 0 ||
		    put_value(&b, m) < 0) {
			bad = 1;
			break;
		}
		if (after != NULL && scalar_text(after, txt, sizeof(txt)) &&
		    buf_printf(&b, " \xe2\x86\x92 %s", txt) < 0) {
			bad = 1;
			break;
		}
	}
done:
	if (bad || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

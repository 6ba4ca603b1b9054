/* selector.c -- PromQL label selectors for the query API's match[] (see
 * selector.h).
 *
 * Syntax as prometheus/prometheus promql/parser/lex.go lexes it (the state
 * functions lexInsideBraces, lexString, lexRawString, lexEscape and the
 * identifier rules), with the values unquoted as util/strutil/quote.go
 * does:
 *
 *	selector = [ metric-name ] [ "{" [ matcher { "," matcher } [ "," ] ] "}" ]
 *	matcher  = label-name ( "=" | "!=" | "=~" | "!~" ) string
 *
 * at least one of the two parts present. A metric name is
 * [a-zA-Z_:][a-zA-Z0-9_:]*, a label name [a-zA-Z_][a-zA-Z0-9_]*. Strings
 * are "..." or '...' with the escapes \a \b \f \n \r \t \v \\, the
 * string's own quote, \xHH and \NNN (octal, at most \377) for a byte,
 * \uHHHH and \UHHHHHHHH for a code point; or `...`, raw. Like PromQL, a
 * double-quoted string cannot escape ' nor a single-quoted one ", and a
 * quoted string cannot span lines. Space, tab, CR and LF separate tokens;
 * '#' starts a comment to the end of the line.
 *
 * Where we differ from a PromQL query, on purpose:
 *   - the metric name is shorthand for alertname="name": the label sets we
 *     filter are alerts, and their name is what users select;
 *   - "{}" is valid and matches every label set (Prometheus refuses a
 *     selector without a non-empty matcher because it would select every
 *     series; for filtering alerts that is what the caller asked for);
 *   - no keyword rules ("sum" or "offset" is just a name), no quoted label
 *     names (Prometheus 3's {"a.b"="x"});
 *   - at most SEL_MAX_LEN bytes of input (checked before anything else)
 *     and SEL_MAX_MATCHERS matchers, the metric name's counted.
 *
 * Semantics as model/labels/matcher.go and regexp.go of Prometheus 2.x
 * (Debian 12 ships 2.42): a regex must match the whole value, as
 * "^(?:re)$"; a label absent from the set is the empty string, so {x=""}
 * matches sets without x and {x!=""} requires it. Prometheus 3 wraps in
 * "^(?s:re)$" instead, so '.' there also matches a newline; here it does
 * not. Regexes are PCRE2 with UTF, which accepts RE2's syntax (and more:
 * backreferences and lookaround, which Prometheus would refuse).
 *
 * Errors name "LINE:COL: " with the 1-based byte column of the offending
 * character, as Prometheus' posrange.StartPosInput counts them. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "selector.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "utf8.h"

#define SEL_MAX_LEN		16384
#define SEL_MAX_MATCHERS	64
/* pcre2_match's budget for one value: far above what a sane regex needs on
 * a label value, low enough that (a+)+$ against "aaaa…!" cannot hold a
 * request thread for long (PCRE2 backtracks; RE2 would not). */
#define SEL_MATCH_LIMIT		1000000
/* Backtracking depth and heap (KiB) for one value, likewise: the defaults
 * (10,000,000 and 20 MiB) let one regex take seconds and a thread's worth
 * of memory. */
#define SEL_DEPTH_LIMIT		10000
#define SEL_HEAP_LIMIT_KIB	4096
/* How much of an invalid regex an error message quotes. */
#define SEL_QUOTE_MAX		96

enum sel_op {
	SEL_EQ,
	SEL_NE,
	SEL_RE,
	SEL_NRE
};

struct matcher {
	enum sel_op	 op;
	char		*name;		/* owned, NUL-terminated */
	char		*value;		/* owned, len bytes + NUL, may hold NULs */
	size_t		 len;
	pcre2_code	*re;		/* owned, SEL_RE and SEL_NRE only */
};

struct sel {
	size_t			 n;
	pcre2_match_context	*mctx;	/* owned; NULL without a regex */
	int			 fail_fast;	/* sel_fail_fast */
	/* a regex hit a limit, with fail_fast: the one field matching
	 * writes (atomic) */
	int			 expensive;
	struct matcher		 m[SEL_MAX_MATCHERS];
};

struct parser {
	const char	*s;
	size_t		 len;		/* of s, at most SEL_MAX_LEN */
	size_t		 pos;
	struct sel	*sel;
	char		*err;
	size_t		 errlen;
};

/* Writes "LINE:COL: " for byte offset off, then the message, into p->err.
 * Returns -1 so that callers can `return perr(...)`. */
static int __attribute__((format(printf, 3, 4)))
perr(const struct parser *p, size_t off, const char *fmt, ...)
{
	size_t line = 1, bol = 0;
	va_list ap;
	int n;

	assert(off <= p->len);
	if (p->errlen == 0)
		return -1;
	for (size_t i = 0; i < off; i++) {
		if (p->s[i] == '\n') {
			line++;
			bol = i + 1;
		}
	}
	n = snprintf(p->err, p->errlen, "%zu:%zu: ", line, off - bol + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
printable(uint32_t cp)
{
	return cp >= 0x20 && cp != 0x7f && (cp < 0x80 || cp >= 0xa0);
}

/* Appends the bytes s[0..n) to buf (size bytes, NUL-terminated) in Go's
 * %q style without the quotes: \" \\ \n \t \r, other control characters
 * and invalid UTF-8 as \xHH, printable UTF-8 as is. Stops before a
 * sequence that would not fit. Returns the source bytes consumed. */
static size_t
quote_into(const char *s, size_t n, char *buf, size_t size)
{
	size_t used = strlen(buf), i = 0;

	while (i < n) {
		char tmp[8];
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp), tl;

		if (k == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02x",
			    (unsigned)(unsigned char)s[i]);
			k = 1;
		} else if (cp == '"' || cp == '\\')
			snprintf(tmp, sizeof(tmp), "\\%c", (char)cp);
		else if (cp == '\n')
			snprintf(tmp, sizeof(tmp), "\\n");
		else if (cp == '\t')
			snprintf(tmp, sizeof(tmp), "\\t");
		else if (cp == '\r')
			snprintf(tmp, sizeof(tmp), "\\r");
		else if (!printable(cp))
			snprintf(tmp, sizeof(tmp), cp < 0x100 ? "\\x%02x" :
			    "\\u%04x", (unsigned)cp);
		else {
			memcpy(tmp, s + i, k);
			tmp[k] = '\0';
		}
		tl = strlen(tmp);
		if (used + tl >= size)
			break;
		memcpy(buf + used, tmp, tl + 1);
		used += tl;
		i += k;
	}
	return i;
}

/* The character at p->s[off] as Go's %q shows a rune: 'a', '\'', '\n',
 * 'é', '\xff' for a byte that is not UTF-8. */
static const char *
fmt_char(const struct parser *p, size_t off, char *buf, size_t size)
{
	const char *c = p->s + off;
	uint32_t cp;
	size_t k = utf8_decode(c, p->len - off, &cp);

	assert(size >= 16 && off < p->len);
	if (k == 1 && cp == '\'')
		snprintf(buf, size, "'\\''");
	else if (k == 1 && cp == '"')
		snprintf(buf, size, "'\"'");
	else {
		buf[0] = '\'';
		buf[1] = '\0';
		quote_into(c, k == 0 ? 1 : k, buf, size - 1);
		strcat(buf, "'");
	}
	return buf;
}

/* A code point as Go's %#U shows it: U+0071 'q', or U+000A when it is
 * not printable. */
static const char *
fmt_U(uint32_t cp, char *buf, size_t size)
{
	char enc[5];
	size_t k;

	if (!printable(cp))
		snprintf(buf, size, "U+%04X", (unsigned)cp);
	else {
		k = utf8_encode(cp, enc);
		snprintf(buf, size, "U+%04X '%.*s'", (unsigned)cp, (int)k, enc);
	}
	return buf;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_alpha(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skips spaces and '#' comments. */
static void
skip_space(struct parser *p)
{
	while (p->pos < p->len) {
		if (is_space(p->s[p->pos]))
			p->pos++;
		else if (p->s[p->pos] == '#') {
			while (p->pos < p->len && p->s[p->pos] != '\n')
				p->pos++;
		} else
			break;
	}
}

static int
at(const struct parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

/* "unexpected character 'x'<where>, <expected>" for the character at
 * p->pos, which must exist. */
static int
unexpected(const struct parser *p, const char *where, const char *expected)
{
	char c[16];

	return perr(p, p->pos, "unexpected character %s%s, %s",
	    fmt_char(p, p->pos, c, sizeof(c)), where, expected);
}

/* The error for the end of input inside the braces, or for the
 * unexpected character there. */
static int
unexpected_in_braces(const struct parser *p, const char *where,
    const char *expected)
{
	if (p->pos == p->len)
		return perr(p, p->pos, "unexpected end of input inside braces");
	return unexpected(p, where, expected);
}

/* Returns a NUL-terminated copy of s[0..n), or NULL. */
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

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 16;
}

/* Decodes the escape sequence at p->pos (a backslash) inside the string
 * opened by quote q at offset start, appending its value to out at *o.
 * Reference: lex.go lexEscape, strutil/quote.go unquoteChar. */
static int
lex_escape(struct parser *p, char q, size_t start, char *out, size_t *o)
{
	static const char simple[] = "abfnrtv\\", value[] = "\a\b\f\n\r\t\v\\";
	size_t b = p->pos;
	uint32_t x = 0, maxval, cp;
	const char *c;
	int n, base;
	char e, u[24];

	p->pos++;
	if (p->pos == p->len)
		return perr(p, start, "unterminated quoted string");
	e = p->s[p->pos];
	if (e != '\0' && (c = strchr(simple, e)) != NULL) {
		out[(*o)++] = value[c - simple];
		p->pos++;
		return 0;
	}
	switch (e) {
	case '0': case '1': case '2': case '3':
	case '4': case '5': case '6': case '7':
		n = 3;
		base = 8;
		maxval = 255;
		break;
	case 'x':
		n = 2;
		base = 16;
		maxval = 255;
		p->pos++;
		break;
	case 'u':
		n = 4;
		base = 16;
		maxval = 0x10ffff;
		p->pos++;
		break;
	case 'U':
		n = 8;
		base = 16;
		maxval = 0x10ffff;
		p->pos++;
		break;
	default:
		if (e == q) {
			out[(*o)++] = q;
			p->pos++;
			return 0;
		}
		if (utf8_decode(p->s + p->pos, p->len - p->pos, &cp) == 0)
			return perr(p, p->pos, "invalid UTF-8 rune");
		return perr(p, b, "unknown escape sequence %s",
		    fmt_U(cp, u, sizeof(u)));
	}
	for (; n > 0; n--, p->pos++) {
		int d;

		if (p->pos == p->len)
			return perr(p, start, "unterminated quoted string");
		if ((d = hexval(p->s[p->pos])) >= base) {
			if (utf8_decode(p->s + p->pos, p->len - p->pos,
			    &cp) == 0)
				return perr(p, p->pos, "invalid UTF-8 rune");
			return perr(p, p->pos,
			    "illegal character %s in escape sequence",
			    fmt_U(cp, u, sizeof(u)));
		}
		x = x * (uint32_t)base + (uint32_t)d;
	}
	if (x > maxval && maxval == 255)
		return perr(p, b, "octal escape sequence greater than \\377");
	if (x > maxval || (x >= 0xd800 && x < 0xe000))
		return perr(p, b,
		    "escape sequence is an invalid Unicode code point");
	if (e == 'u' || e == 'U')
		*o += utf8_encode(x, out + *o);
	else
		out[(*o)++] = (char)x;
	return 0;
}

/* Lexes the string literal at p->pos (a quote) and unquotes it into *out
 * (owned by the caller, NUL-terminated, *outlen bytes without the NUL). */
static int
lex_string(struct parser *p, char **out, size_t *outlen)
{
	size_t start = p->pos, end, o = 0;
	char q = p->s[start], *buf = NULL;
	int result = -1;

	assert(q == '"' || q == '\'' || q == '`');
	/* No escape expands, so the literal's length bounds the value. */
	for (end = start + 1; end < p->len && p->s[end] != q; end++)
		if (q != '`' && p->s[end] == '\\' && end + 1 < p->len)
			end++;
	if ((buf = malloc(end - start + 1)) == NULL) {
		perr(p, start, "out of memory");
		goto out;
	}
	p->pos++;
	for (;;) {
		uint32_t cp;
		size_t k;

		if (p->pos == p->len || (q != '`' && p->s[p->pos] == '\n')) {
			perr(p, start, q == '`' ? "unterminated raw string" :
			    "unterminated quoted string");
			goto out;
		}
		if (p->s[p->pos] == q) {
			p->pos++;
			break;
		}
		if (q != '`' && p->s[p->pos] == '\\') {
			if (lex_escape(p, q, start, buf, &o) == -1)
				goto out;
			continue;
		}
		if ((k = utf8_decode(p->s + p->pos, p->len - p->pos,
		    &cp)) == 0) {
			perr(p, p->pos, "invalid UTF-8 rune");
			goto out;
		}
		memcpy(buf + o, p->s + p->pos, k);
		o += k;
		p->pos += k;
	}
	assert(o <= end - start);
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	buf = NULL;
	result = 0;
out:
	free(buf);
	return result;
}

/* Compiles m->value, the regex of the string literal at offset off, into
 * m->re. The pattern is first compiled on its own, so that one like
 * "a)|(b" cannot close the anchoring group early; PCRE2_ENDANCHORED also
 * holds (*ACCEPT) to the whole value. JIT when the library has it. */
static int
compile_regex(struct parser *p, size_t off, struct matcher *m)
{
	static const char pre[] = "^(?:", post[] = ")$";
	const uint32_t opts = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY |
	    PCRE2_NEVER_BACKSLASH_C;
	pcre2_code *re = NULL;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE eoff;
	char quoted[SEL_QUOTE_MAX * 4 + 8], *w = NULL;
	size_t wlen = sizeof(pre) - 1 + m->len + sizeof(post) - 1;
	int ec, result = -1;

	re = pcre2_compile((PCRE2_SPTR)m->value, m->len, opts, &ec, &eoff,
	    NULL);
	if (re == NULL)
		goto bad;
	pcre2_code_free(re);
	if ((w = malloc(wlen)) == NULL) {
		perr(p, off, "out of memory");
		goto out;
	}
	memcpy(w, pre, sizeof(pre) - 1);
	memcpy(w + sizeof(pre) - 1, m->value, m->len);
	memcpy(w + sizeof(pre) - 1 + m->len, post, sizeof(post) - 1);
	re = pcre2_compile((PCRE2_SPTR)w, wlen, opts | PCRE2_ENDANCHORED, &ec,
	    &eoff, NULL);
	if (re == NULL)
		goto bad;
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	m->re = re;
	result = 0;
	goto out;
bad:
	if (ec == PCRE2_ERROR_NOMEMORY) {
		perr(p, off, "out of memory");
		goto out;
	}
	if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", ec);
	quoted[0] = '\0';
	if (quote_into(m->value, m->len < SEL_QUOTE_MAX ? m->len :
	    SEL_QUOTE_MAX, quoted, sizeof(quoted)) < m->len)
		perr(p, off, "invalid regular expression \"%s\"...: %s",
		    quoted, (char *)msg);
	else
		perr(p, off, "invalid regular expression \"%s\": %s", quoted,
		    (char *)msg);
out:
	free(w);
	return result;
}

/* Parses one `name op string` at p->pos (a label name's first character)
 * into the next free matcher. */
static int
parse_matcher(struct parser *p)
{
	struct matcher *m;
	size_t start = p->pos, voff;

	assert(p->sel->n < SEL_MAX_MATCHERS);
	m = &p->sel->m[p->sel->n++];	/* zeroed, sel_free copes */
	while (p->pos < p->len && (is_alpha(p->s[p->pos]) ||
	    is_digit(p->s[p->pos])))
		p->pos++;
	if ((m->name = dupn(p->s + start, p->pos - start)) == NULL)
		return perr(p, start, "out of memory");
	skip_space(p);
	if (at(p, '=')) {
		p->pos++;
		m->op = SEL_EQ;
		if (at(p, '~')) {
			p->pos++;
			m->op = SEL_RE;
		}
	} else if (at(p, '!') && p->pos + 1 < p->len &&
	    (p->s[p->pos + 1] == '=' || p->s[p->pos + 1] == '~')) {
		m->op = p->s[p->pos + 1] == '=' ? SEL_NE : SEL_NRE;
		p->pos += 2;
	} else
		return unexpected_in_braces(p, " in label matcher",
		    "expected one of \"=\", \"!=\", \"=~\", \"!~\"");
	skip_space(p);
	if (!at(p, '"') && !at(p, '\'') && !at(p, '`'))
		return unexpected_in_braces(p, " in label matcher",
		    "expected quoted string");
	voff = p->pos;
	if (lex_string(p, &m->value, &m->len) == -1)
		return -1;
	if (m->op == SEL_RE || m->op == SEL_NRE) {
		if (p->sel->mctx == NULL) {
			p->sel->mctx = pcre2_match_context_create(NULL);
			if (p->sel->mctx == NULL)
				return perr(p, voff, "out of memory");
			pcre2_set_match_limit(p->sel->mctx, SEL_MATCH_LIMIT);
			pcre2_set_depth_limit(p->sel->mctx, SEL_DEPTH_LIMIT);
			pcre2_set_heap_limit(p->sel->mctx,
			    SEL_HEAP_LIMIT_KIB);
		}
		if (compile_regex(p, voff, m) == -1)
			return -1;
	}
	return 0;
}

/* Parses "{ matcher, ... }" at p->pos (the '{'). */
static int
parse_braces(struct parser *p)
{
	assert(at(p, '{'));
	p->pos++;
	for (;;) {
		skip_space(p);
		if (at(p, '}'))
			break;
		if (p->pos < p->len && is_alpha(p->s[p->pos])) {
			if (p->sel->n == SEL_MAX_MATCHERS)
				return perr(p, p->pos,
				    "too many label matchers (limit %d)",
				    SEL_MAX_MATCHERS);
			if (parse_matcher(p) == -1)
				return -1;
		} else
			return unexpected_in_braces(p, " in label matcher",
			    "expected label name or \"}\"");
		skip_space(p);
		if (at(p, ','))
			p->pos++;
		else if (!at(p, '}'))
			return unexpected_in_braces(p, " after label matcher",
			    "expected \",\" or \"}\"");
	}
	p->pos++;
	return 0;
}

static int
parse_selector(struct parser *p)
{
	size_t start;
	int named = 0;

	skip_space(p);
	if (p->pos == p->len)
		return perr(p, p->pos, "unexpected end of input");
	if (is_alpha(p->s[p->pos]) || p->s[p->pos] == ':') {
		struct matcher *m = &p->sel->m[p->sel->n++];

		start = p->pos;
		while (p->pos < p->len && (is_alpha(p->s[p->pos]) ||
		    is_digit(p->s[p->pos]) || p->s[p->pos] == ':'))
			p->pos++;
		m->op = SEL_EQ;
		m->len = p->pos - start;
		if ((m->name = dupn("alertname", 9)) == NULL ||
		    (m->value = dupn(p->s + start, m->len)) == NULL)
			return perr(p, start, "out of memory");
		named = 1;
		skip_space(p);
	}
	if (at(p, '{')) {
		if (parse_braces(p) == -1)
			return -1;
		skip_space(p);
		if (p->pos < p->len)
			return unexpected(p, " after label matchers",
			    "expected end of input");
	} else if (p->pos < p->len)
		return unexpected(p, named ? " after metric name" : "",
		    named ? "expected \"{\" or end of input" :
		    "expected metric name or \"{\"");
	return 0;
}

int
sel_parse(const char *s, struct sel **out, char *err, size_t errlen)
{
	struct parser p;
	struct sel *sel = NULL;
	int result = -1;

	assert(s != NULL && out != NULL);
	assert(err != NULL || errlen == 0);
	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.err = err;
	p.errlen = errlen;
	p.len = strnlen(s, SEL_MAX_LEN + 1);
	if (p.len > SEL_MAX_LEN) {
		p.len = SEL_MAX_LEN;
		perr(&p, SEL_MAX_LEN, "selector longer than %d bytes",
		    SEL_MAX_LEN);
		goto out;
	}
	if ((sel = calloc(1, sizeof(*sel))) == NULL) {
		perr(&p, 0, "out of memory");
		goto out;
	}
	p.sel = sel;
	if (parse_selector(&p) == -1)
		goto out;
	*out = sel;
	sel = NULL;
	result = 0;
out:
	sel_free(sel);
	return result;
}

/* 1 when m's regex matches the whole of v[0..len), 0 when not, -2 when
 * PCRE2 gave up at a limit (match, depth, heap, JIT stack), -1 when it could
 * not tell otherwise (no memory, invalid UTF-8 in v). *md is created on
 * first use and freed by the caller. */
static int
regex_match(const struct sel *s, const struct matcher *m, const char *v,
    size_t len, pcre2_match_data **md)
{
	int rc;

	if (*md == NULL && (*md = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	rc = pcre2_match(m->re, (PCRE2_SPTR)v, len, 0, 0, *md, s->mctx);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(m->re, (PCRE2_SPTR)v, len, 0, PCRE2_NO_JIT,
		    *md, s->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		return -2;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* A label whose value is not a JSON string counts as absent. A regex
 * PCRE2 cannot decide (see regex_match) fails its matcher, =~ and !~
 * alike: the label set is then not selected; with fail_fast, so is every
 * later one. Only reads s (but for the atomic expensive), so any number of
 * threads may match against one selector at once. */
int
sel_match_json(const struct sel *s, const json_t *labels)
{
	pcre2_match_data *md = NULL;
	int result = 0;

	assert(s != NULL);
	if (sel_too_expensive(s))
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct matcher *m = &s->m[i];
		const json_t *j = NULL;
		const char *v = "";
		size_t len = 0;
		int ok;

		if (json_is_object(labels))
			j = json_object_get(labels, m->name);
		if (json_is_string(j)) {
			v = json_string_value(j);
			len = json_string_length(j);
		}
		switch (m->op) {
		case SEL_EQ:
		case SEL_NE:
			ok = len == m->len && memcmp(v, m->value, len) == 0;
			if (m->op == SEL_NE)
				ok = !ok;
			break;
		case SEL_RE:
		case SEL_NRE:
			if ((ok = regex_match(s, m, v, len, &md)) < 0) {
				if (ok == -2 && s->fail_fast)
					__atomic_store_n((int *)&s->expensive,
					    1, __ATOMIC_RELAXED);
				goto out;
			}
			if (m->op == SEL_NRE)
				ok = !ok;
			break;
		default:
			assert(!"cannot happen: unknown operator");
			goto out;
		}
		if (!ok)
			goto out;
	}
	result = 1;
out:
	if (md != NULL)
		pcre2_match_data_free(md);
	return result;
}

void
sel_fail_fast(struct sel *s)
{
	s->fail_fast = 1;
}

int
sel_too_expensive(const struct sel *s)
{
	return __atomic_load_n(&s->expensive, __ATOMIC_RELAXED);
}

void
sel_free(struct sel *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].value);
		if (s->m[i].re != NULL)
			pcre2_code_free(s->m[i].re);
	}
	if (s->mctx != NULL)
		pcre2_match_context_free(s->mctx);
	free(s);
}

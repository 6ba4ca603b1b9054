/* params.c -- the read API's query parameters (params.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "params.h"

/* Unknown names an error message quotes; the others are counted. */
#define UNKNOWN_NAMED	3
/* How much of a name or value a message quotes. */
#define QUOTE_MAX	64

/* Whether name is one of the space-separated words of list. */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list != '\0') {
		size_t w = strcspn(list, " ");

		if (w == n && memcmp(list, name, n) == 0)
			return 1;
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

struct matches {
	const char **v;
	size_t n;		/* PARAMS_MATCH_MAX + 1: there were more */
};

static enum MHD_Result
collect_match(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct matches *m = cls;

	(void)kind;
	if (strcmp(key, "match[]") != 0 || m->n > PARAMS_MATCH_MAX)
		return MHD_YES;
	if (m->n < PARAMS_MATCH_MAX)
		m->v[m->n] = value ? value : "";
	m->n++;
	return MHD_YES;
}

int
params_match(struct MHD_Connection *c, const char **v, char *msg,
    size_t msglen)
{
	struct matches m = { v, 0 };

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_match, &m);
	if (m.n > PARAMS_MATCH_MAX) {
		snprintf(msg, msglen, "at most %d match[] parameters",
		    PARAMS_MATCH_MAX);
		return -1;
	}
	return (int)m.n;
}

struct unknown {
	const char *allowed;
	const char *name[UNKNOWN_NAMED];
	size_t nnamed, more;
};

static enum MHD_Result
find_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct unknown *u = cls;
	size_t i;

	(void)kind;
	(void)value;
	if (listed(u->allowed, key))
		return MHD_YES;
	for (i = 0; i < u->nnamed; i++)
		if (strcmp(u->name[i], key) == 0)
			return MHD_YES;		/* given twice */
	if (u->nnamed < UNKNOWN_NAMED)
		u->name[u->nnamed++] = key;
	else
		u->more++;
	return MHD_YES;
}

int
params_check(struct MHD_Connection *c, const char *allowed, char *msg,
    size_t msglen)
{
	struct unknown u;
	size_t len;

	memset(&u, 0, sizeof(u));
	u.allowed = allowed;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, find_unknown, &u);
	if (u.nnamed == 0)
		return 0;
	len = (size_t)snprintf(msg, msglen, "unknown parameter%s",
	    u.nnamed > 1 ? "s" : "");
	for (size_t i = 0; i < u.nnamed && len < msglen; i++)
		len += (size_t)snprintf(msg + len, msglen - len, "%s\"%.*s\"",
		    i == 0 ? " " : i + 1 == u.nnamed && u.more == 0 ? " and " :
		    ", ", QUOTE_MAX, u.name[i]);
	if (u.more > 0 && len < msglen)
		snprintf(msg + len, msglen - len, " and %zu more", u.more);
	return -1;
}

int
param_aliased(struct MHD_Connection *c, struct request *r, const char *name,
    const char *old, const char **value, char *msg, size_t msglen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);
	const char *o = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    old);

	*value = NULL;
	if (v != NULL && o != NULL) {
		snprintf(msg, msglen, "both \"%s\" and its deprecated alias "
		    "\"%s\" given: give only \"%s\"", name, old, name);
		return -1;
	}
	if (o != NULL) {
		char w[128];

		snprintf(w, sizeof(w), "parameter \"%s\" is deprecated: use "
		    "\"%s\"", old, name);
		request_warn(r, w);
	}
	*value = v != NULL ? v : o;
	return 0;
}

/* s as seconds (Go's strconv.ParseFloat accepts what strtod does, less hex
 * and the words inf and nan): 0 and *ms, or -1. */
static int
parse_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v;

	for (const char *p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr(".eE+-", *p) == NULL)
			return -1;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(v) ||
	    v * 1000 > (double)CFG_WINDOW_MAX_MS || v * 1000 < 0)
		return -1;
	*ms = llround(v * 1000);
	return 0;
}

int
param_window(const char *s, int64_t *ms, char *msg, size_t msglen)
{
	int64_t v;

	if ((parse_seconds(s, &v) == 0 && v >= 1 && v <= CFG_WINDOW_MAX_MS) ||
	    cfg_parse_window(s, &v) == 0) {
		*ms = v;
		return 0;
	}
	snprintf(msg, msglen, "invalid window \"%.*s\": want a duration such "
	    "as 7d or 1h30m, or seconds, from 1ms to 366d", QUOTE_MAX, s);
	return -1;
}

/* --- pages of a list ------------------------------------------------------ */

#define TOKEN_VERSION	1
/* version, list, digest, n, u, whether a name follows */
#define TOKEN_FIXED	(1 + 1 + 8 + 8 + 8 + 1)
#define TOKEN_FOREIGN	"invalid next token: it belongs to another query"

int
param_limit(const char *s, size_t *limit, char *msg, size_t msglen)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!isdigit((unsigned char)*s) || *end != '\0' || v < 1 ||
	    v > PAGE_LIMIT_MAX) {
		snprintf(msg, msglen, "invalid limit \"%.32s\": want 1 to %d",
		    s, PAGE_LIMIT_MAX);
		return -1;
	}
	*limit = (size_t)v;
	return 0;
}

#define FNV_OFFSET	14695981039346656037ULL
#define FNV_PRIME	1099511628211ULL

static uint64_t
fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* splitmix64's finalizer: a sum of mixed hashes does not cancel the way
 * a sum of FNV values of similar strings may. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static enum MHD_Result
digest_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	uint64_t *sum = cls, h;

	(void)kind;
	if (strcmp(key, "limit") == 0 || strcmp(key, "next") == 0)
		return MHD_YES;
	h = fnv1a(FNV_OFFSET, key, strlen(key) + 1);
	/* "a" and "a=" differ */
	h = value ? fnv1a(fnv1a(h, "=", 1), value, strlen(value)) : h;
	*sum += mix(h);
	return MHD_YES;
}

uint64_t
params_digest(struct MHD_Connection *c, enum page_list list)
{
	uint64_t sum = mix((uint64_t)list);

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, digest_one, &sum);
	return sum;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

char *
page_token(enum page_list list, uint64_t digest, const struct page_key *k)
{
	size_t nlen = k->name ? strlen(k->name) : 0, n = TOKEN_FIXED + nlen;
	unsigned char *raw = malloc(n);
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	if (raw == NULL || out == NULL) {
		free(raw);
		free(out);
		return NULL;
	}
	raw[0] = TOKEN_VERSION;
	raw[1] = (unsigned char)list;
	put_u64(raw + 2, digest);
	put_u64(raw + 10, (uint64_t)k->n);
	put_u64(raw + 18, k->u);
	raw[26] = k->name != NULL;
	if (nlen > 0)
		memcpy(raw + TOKEN_FIXED, k->name, nlen);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		size_t m = n - i < 3 ? n - i : 3;

		if (m > 1)
			v |= (uint32_t)raw[i + 1] << 8;
		if (m > 2)
			v |= raw[i + 2];
		*o++ = b64url[v >> 18];
		*o++ = b64url[(v >> 12) & 63];
		if (m > 1)
			*o++ = b64url[(v >> 6) & 63];
		if (m > 2)
			*o++ = b64url[v & 63];
	}
	*o = '\0';
	free(raw);
	return out;
}

/* s decoded (unpadded URL-safe base64) into a new buffer of *n bytes, or
 * NULL: not base64, or out of memory (*n is then 0). */
static unsigned char *
b64url_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), bits = 0, k = 0;
	unsigned char *out;
	uint32_t acc = 0;

	*n = 0;
	if (len % 4 == 1 || (out = malloc(len / 4 * 3 + 3)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *p = strchr(b64url, s[i]);

		if (p == NULL) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(p - b64url);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {		/* the unused low bits of a canonical token */
		free(out);
		return NULL;
	}
	*n = k;
	return out;
}

int
page_token_parse(const char *s, enum page_list list, uint64_t digest,
    struct page_key *k, char **hold, char *msg, size_t msglen)
{
	unsigned char *raw;
	size_t n;

	*hold = NULL;
	if ((raw = b64url_decode(s, &n)) == NULL || n < TOKEN_FIXED ||
	    raw[0] != TOKEN_VERSION || raw[26] > 1 ||
	    (raw[26] == 0 && n != TOKEN_FIXED) ||
	    memchr(raw + TOKEN_FIXED, '\0', n - TOKEN_FIXED) != NULL) {
		snprintf(msg, msglen, "invalid next token: malformed (give "
		    "the \"next\" of an answer as it came)");
		free(raw);
		return -1;
	}
	if (raw[1] != (unsigned char)list || get_u64(raw + 2) != digest) {
		snprintf(msg, msglen, "%s", TOKEN_FOREIGN);
		free(raw);
		return -1;
	}
	k->n = (int64_t)get_u64(raw + 10);
	k->u = get_u64(raw + 18);
	k->name = NULL;
	if (raw[26]) {
		/* the name moves to the front, NUL-terminated */
		memmove(raw, raw + TOKEN_FIXED, n - TOKEN_FIXED);
		raw[n - TOKEN_FIXED] = '\0';
		k->name = (const char *)raw;
		*hold = (char *)raw;
	} else {
		free(raw);
	}
	return 0;
}

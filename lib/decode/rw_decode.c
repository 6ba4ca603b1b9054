/* rw_decode.c -- Prometheus remote-write 1.0 and 2.0 request decoding.
 *
 * Specs: prometheus/docs docs/specs/prw/remote_write_spec.md (1.0) and
 * remote_write_spec_2_0.md (2.0); the messages are prompb's (proto/). A body
 * goes through these steps, each bounded before it allocates:
 *
 *   1. body length <= max_compressed
 *   2. snappy's declared decoded length <= max_decoded, then one buffer of
 *      exactly that size, then snappy_uncompress into it
 *   3. a wire scan of the decoded bytes: the framing of the request, its
 *      series, labels and samples (precise messages for truncated varints and
 *      wrong wire types), the series count <= max_series, the sample
 *      count <= max_samples (so a flood of empty samples costs nothing
 *      past the decoded body), no NUL in a label
 *   4. protobuf-c unpack into a per-request arena whose size is capped at
 *      ARENA_BASE + ARENA_FACTOR times the decoded length
 *   5. struct rw_request built in the same arena, then each series checked
 *      against the spec; a bad series is marked, the others stay usable.
 *
 * The files: rw_decode.c (this one) holds the entry points, steps 1 and 2
 * and the Content-Type; rw_fast.c the streaming decoder that answers
 * almost every request; rw_reference.c steps 3 to 5 as listed, which answer
 * whatever the streaming decoder declines; rw_arena.c the allocation hook
 * and the arena; rw_validate.c the spec's rules and the error messages.
 * What they share is in rw_decode_int.h. */
#include "rw_decode_int.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <snappy-c.h>

/*
 * Decoded bodies are decompressed into buffers kept for the next request
 * (with the default allocator only; at most SPARE_N of at most SPARE_MAX
 * bytes): a fresh buffer per request costs page faults.
 */

#define SPARE_N		2
#define SPARE_MAX	(2 * MIB)
#define SPARE_ROUND	((size_t)64 * 1024)

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	void *p;
	size_t cap;
} spare[SPARE_N];

/* A buffer of at least n bytes (n > 0); *cap gets its size. */
static void *
buf_get(size_t n, size_t *cap)
{
	void *p = NULL;
	size_t i, best = SPARE_N;

	*cap = n;
	if (rw__alloc_fn != malloc || n > SPARE_MAX)
		return rw__alloc_fn(n);
	pthread_mutex_lock(&spare_lock);
	for (i = 0; i < SPARE_N; i++)
		if (spare[i].p != NULL && spare[i].cap >= n &&
		    (best == SPARE_N || spare[i].cap < spare[best].cap))
			best = i;
	if (best < SPARE_N) {
		p = spare[best].p;
		*cap = spare[best].cap;
		spare[best].p = NULL;
	}
	pthread_mutex_unlock(&spare_lock);
	if (p != NULL)
		return p;
	*cap = (n + SPARE_ROUND - 1) / SPARE_ROUND * SPARE_ROUND;
	return malloc(*cap);
}

static void
buf_put(void *p, size_t cap)
{
	size_t i, small = SPARE_N;

	if (p == NULL)
		return;
	if (rw__alloc_fn != malloc || cap > SPARE_MAX) {
		rw__free_fn(p);
		return;
	}
	pthread_mutex_lock(&spare_lock);
	/* an empty slot, else the one with the smallest buffer */
	for (i = 0; i < SPARE_N; i++) {
		if (spare[i].p == NULL) {
			small = i;
			break;
		}
		if (small == SPARE_N || spare[i].cap < spare[small].cap)
			small = i;
	}
	/* keep the larger buffers */
	if (spare[small].p == NULL || spare[small].cap < cap) {
		void *old = spare[small].p;

		spare[small].p = p;
		spare[small].cap = cap;
		p = old;
	}
	pthread_mutex_unlock(&spare_lock);
	free(p);
}

/*
 * The exported functions.
 */

void
rw_limits_default(struct rw_limits *lim)
{
	lim->max_compressed = 32 * MIB;
	lim->max_decoded = 32 * MIB;
	lim->max_series = 100000;
	lim->max_samples = 100000;
	lim->max_labels = 30;
	lim->max_name_len = 1024;
	lim->max_value_len = 2048;
}

static _Thread_local enum rw__path last_path;

enum rw__path
rw__last_path(void)
{
	return last_path;
}

/* Steps 1 and 2: the body's size, snappy's declared length, then the
 * decoded body in *raw (*cap bytes, from buf_get when cached, else from
 * rw__alloc_fn). */
static enum rw_status
decompress(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, int cached, uint8_t **raw, size_t *dlenp,
    size_t *cap, char *err, size_t errlen)
{
	size_t dlen = 0, olen;

	*raw = NULL;
	if (v != RW_V1 && v != RW_V2) {	/* cannot happen */
		rw__seterr(err, errlen, "unknown remote-write version %d",
		    (int)v);
		return RW_ERR_MEDIA;
	}
	if (len > lim->max_compressed) {
		rw__seterr(err, errlen, "body is %zu bytes, limit is %zu", len,
		    lim->max_compressed);
		return RW_ERR_TOO_LARGE;
	}
	if (len == 0 || snappy_uncompressed_length(body, len, &dlen) !=
	    SNAPPY_OK) {
		rw__seterr(err, errlen, "snappy: %s", len == 0 ? "empty body" :
		    "bad length header (not snappy block format?)");
		return RW_ERR_SNAPPY;
	}
	if (dlen > lim->max_decoded) {
		rw__seterr(err, errlen, "snappy: body declares %zu decoded "
		    "bytes, limit is %zu", dlen, lim->max_decoded);
		return RW_ERR_TOO_LARGE;
	}
	*cap = dlen > 0 ? dlen : 1;
	*raw = cached ? buf_get(*cap, cap) : rw__alloc_fn(*cap);
	if (*raw == NULL) {
		rw__seterr(err, errlen, "out of memory for %zu decoded bytes",
		    dlen);
		return RW_ERR_NOMEM;
	}
	olen = dlen;
	if (snappy_uncompress(body, len, (char *)*raw, &olen) != SNAPPY_OK ||
	    olen != dlen) {
		rw__seterr(err, errlen, "snappy: corrupt block data");
		return RW_ERR_SNAPPY;
	}
	*dlenp = dlen;
	return RW_OK;
}

enum rw_status
rw__decode_reference(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out, char *err,
    size_t errlen)
{
	enum rw_status result;
	uint8_t *raw;
	size_t dlen = 0, cap;

	assert(lim != NULL && out != NULL);
	assert(body != NULL || len == 0);
	*out = NULL;
	rw__seterr(err, errlen, "%s", "");
	result = decompress(body, len, v, lim, 0, &raw, &dlen, &cap, err,
	    errlen);
	if (result == RW_OK)
		result = rw__ref_decode_raw(raw, dlen, v, lim, out, err,
		    errlen);
	if (raw != NULL)
		rw__free_fn(raw);
	return result;
}

enum rw_status
rw_decode(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out, char *err,
    size_t errlen)
{
	enum rw_status result;
	enum rw__path why = RW__PATH_NONE;
	uint8_t *raw;
	size_t dlen = 0, cap;

	assert(lim != NULL && out != NULL);
	assert(body != NULL || len == 0);
	*out = NULL;
	rw__seterr(err, errlen, "%s", "");
	result = decompress(body, len, v, lim, 1, &raw, &dlen, &cap, err,
	    errlen);
	if (result == RW_OK) {
		why = RW__PATH_FAST;
		if (rw__fast_decode(raw, dlen, v, lim, out, &result, &why, err,
		    errlen) != 0)
			result = rw__ref_decode_raw(raw, dlen, v, lim, out, err,
			    errlen);
	}
	last_path = why;
	if (raw != NULL)
		buf_put(raw, cap);
	return result;
}

/*
 * Content-Type (RFC 9110 section 8.3.1): type "/" subtype *( OWS ";" OWS
 * [ name "=" ( token / quoted-string ) ] ); type, subtype and parameter
 * names are case-insensitive. The proto value is compared case-insensitively
 * too: no two messages differ only by case.
 */

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *
skip_token(const char *p)
{
	while (is_tchar((unsigned char)*p))
		p++;
	return p;
}

int
rw_content_type(const char *ct, enum rw_version *v, char *err, size_t errlen)
{
	static const char want[] = "application/x-protobuf";
	char shown[QUOTED_SIZE], val[256], proto[256], q[QUOTED_SIZE];
	const char *p, *type, *typeend, *name, *nameend;
	int have_proto = 0;
	struct sb b;

	assert(v != NULL);
	if (ct == NULL || *skip_ows(ct) == '\0') {
		rw__seterr(err, errlen, "missing Content-Type (want %s)", want);
		return -1;
	}
	rw__quote(shown, sizeof(shown), ct);

	type = p = skip_ows(ct);
	p = skip_token(p);
	if (p == type || *p != '/')
		goto malformed;
	p++;
	if (*p == '\0' || (typeend = skip_token(p)) == p)
		goto malformed;
	p = typeend;
	for (;;) {
		p = skip_ows(p);
		if (*p == '\0')
			break;
		if (*p != ';')
			goto malformed;
		p = skip_ows(p + 1);
		if (*p == ';' || *p == '\0')
			continue;	/* empty parameter */
		name = p;
		nameend = p = skip_token(p);
		if (nameend == name || *p != '=')
			goto malformed;
		p++;
		rw__sb_init(&b, val, sizeof(val));
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				unsigned char c;

				if (*p == '\\')
					p++;
				c = (unsigned char)*p;
				if (c == '\0' || (c < ' ' && c != '\t') ||
				    c == 0x7f)
					goto malformed;
				rw__sb_putc(&b, *p);
			}
			p++;
		} else {
			const char *vstart = p;

			p = skip_token(p);
			if (p == vstart)
				goto malformed;
			while (vstart < p)
				rw__sb_putc(&b, *vstart++);
		}
		if ((size_t)(nameend - name) == 5 &&
		    strncasecmp(name, "proto", 5) == 0) {
			if (have_proto) {
				rw__seterr(err, errlen, "malformed "
				    "Content-Type %s: two proto parameters",
				    shown);
				return -1;
			}
			have_proto = 1;
			memcpy(proto, val, b.len + 1);
		}
	}

	if ((size_t)(typeend - type) != sizeof(want) - 1 ||
	    strncasecmp(type, want, sizeof(want) - 1) != 0) {
		rw__seterr(err, errlen, "unsupported Content-Type %s (want %s)",
		    shown, want);
		return -1;
	}
	if (!have_proto) {
		*v = RW_V1;
		return 0;
	}
	if (strcasecmp(proto, "prometheus.WriteRequest") == 0)
		*v = RW_V1;
	else if (strcasecmp(proto, "io.prometheus.write.v2.Request") == 0)
		*v = RW_V2;
	else {
		rw__seterr(err, errlen, "unsupported remote-write message %s "
		    "(want prometheus.WriteRequest or "
		    "io.prometheus.write.v2.Request)",
		    rw__quote(q, sizeof(q), proto));
		return -1;
	}
	return 0;

malformed:
	rw__seterr(err, errlen, "malformed Content-Type %s", shown);
	return -1;
}

const char *
rw_status_reason(enum rw_status s)
{
	switch (s) {
	case RW_OK:
		return "ok";
	case RW_ERR_MEDIA:
		return "unsupported_media_type";
	case RW_ERR_TOO_LARGE:
		return "too_large";
	case RW_ERR_SNAPPY:
		return "snappy";
	case RW_ERR_PROTO:
		return "protobuf";
	case RW_ERR_INVALID:
		return "invalid";
	case RW_ERR_NOMEM:
		return "out_of_memory";
	}
	return "unknown";
}

int
rw_is_stale(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits == 0x7ff0000000000002ULL;
}

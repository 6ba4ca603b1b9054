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
 *      wrong wire types), the series count <= max_series, no NUL in a label
 *   4. protobuf-c unpack into a per-request arena whose size is capped at
 *      ARENA_BASE + ARENA_FACTOR times the decoded length
 *   5. struct rw_request built in the same arena, then each series checked
 *      against the spec; a bad series is marked, the others stay usable.
 *
 * The arena: chunks from one allocator, carved front to back and never freed
 * one by one (protobuf-c's free is a no-op); rw_request_free releases them
 * all. The request and the arena's own bookkeeping live at the start of the
 * first chunk. */
#include "rw_decode.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <protobuf-c/protobuf-c.h>
#include <snappy-c.h>

#include "remote.pb-c.h"
#include "write_v2.pb-c.h"

#define MIB	((size_t)1024 * 1024)

/*
 * Allocation hook (rw__set_allocator).
 */

static void *(*rw_alloc_fn)(size_t) = malloc;
static void (*rw_free_fn)(void *) = free;

void
rw__set_allocator(void *(*alloc_fn)(size_t), void (*free_fn)(void *))
{
	assert((alloc_fn == NULL) == (free_fn == NULL));
	rw_alloc_fn = alloc_fn != NULL ? alloc_fn : malloc;
	rw_free_fn = free_fn != NULL ? free_fn : free;
}

/*
 * Error messages. Nothing here allocates: messages are built in the caller's
 * buffer or in fixed arrays on the stack, truncated when they do not fit.
 */

static void seterr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A string builder over a fixed array; output that does not fit is dropped
 * and the result stays NUL-terminated. */
struct sb {
	char *p;
	size_t cap;	/* bytes in p, > 0 */
	size_t len;
};

static void
sb_init(struct sb *b, char *p, size_t cap)
{
	assert(cap > 0);
	b->p = p;
	b->cap = cap;
	b->len = 0;
	p[0] = '\0';
}

static void
sb_putc(struct sb *b, char c)
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
		sb_putc(b, *s++);
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
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
	int raw8 = utf8_valid(u, n);
	char hex[5];

	if (shown > max) {
		shown = max;
		while (shown > 0 && raw8 && (u[shown] & 0xc0) == 0x80)
			shown--;
	}
	sb_putc(b, '"');
	for (i = 0; i < shown; i++) {
		if (u[i] == '\\' || u[i] == '"') {
			sb_putc(b, '\\');
			sb_putc(b, (char)u[i]);
		} else if (u[i] == '\n') {
			sb_puts(b, "\\n");
		} else if (u[i] < 0x20 || u[i] == 0x7f || (u[i] >= 0x80 && !raw8)) {
			snprintf(hex, sizeof(hex), "\\x%02x", u[i]);
			sb_puts(b, hex);
		} else
			sb_putc(b, (char)u[i]);
	}
	sb_putc(b, '"');
	if (shown < n)
		sb_puts(b, "...");
}

/* The quoted form of a C string, for messages. */
#define QUOTE_MAX	64
#define QUOTED_SIZE	(QUOTE_MAX * 4 + 8)

static const char *
quote(char *dst, size_t dstlen, const char *s)
{
	struct sb b;

	sb_init(&b, dst, dstlen);
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

	sb_init(&b, dst, dstlen);
	sb_putc(&b, '{');
	for (i = 0; i < s->nlabels; i++) {
		const char *name = s->labels[i].name;
		const char *value = s->labels[i].value;

		if (b.len > SERIES_SHOWN) {
			sb_puts(&b, ",...");
			break;
		}
		if (i > 0)
			sb_putc(&b, ',');
		if (valid_name(name) && strlen(name) <= QUOTE_MAX)
			sb_puts(&b, name);
		else
			sb_quote(&b, name, strlen(name), QUOTE_MAX);
		sb_putc(&b, '=');
		sb_quote(&b, value, strlen(value), QUOTE_MAX);
	}
	sb_putc(&b, '}');
}

/*
 * The arena.
 */

#define ARENA_ALIGN	alignof(max_align_t)
#define ARENA_CHUNK_MIN	((size_t)16 * 1024)
#define ARENA_CHUNK_MAX	MIB
/* Budget: ARENA_BASE + ARENA_FACTOR bytes per decoded byte. A request from
 * Prometheus 2.42 peaks at 6 bytes per decoded byte, the decoded body
 * included (test_rw_decode captured_memory); protobuf-c needs ~50 for a
 * flood of empty submessages, which this refuses with RW_ERR_TOO_LARGE. */
#define ARENA_BASE	MIB
#define ARENA_FACTOR	16

struct chunk {
	struct chunk *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
};

#define CHUNK_HDR \
	((sizeof(struct chunk) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))
#define CHUNK_DATA(c)	((unsigned char *)(c) + CHUNK_HDR)

struct arena {
	struct chunk *head;	/* the chunk being carved; older ones follow */
	size_t total;		/* bytes obtained from alloc_fn, headers too */
	size_t budget;		/* the most total may reach */
	size_t next_size;	/* size of the next shared chunk */
	void (*free_fn)(void *);	/* what frees the chunks */
	int over_budget;	/* an allocation was refused: budget */
	int nomem;		/* an allocation was refused: no memory */
	ProtobufCAllocator pa;	/* protobuf-c's handle on this arena */
};

/* What the first chunk starts with. */
struct rw_box {
	struct rw_request req;	/* first: rw_request_free casts back */
	struct arena arena;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t csize, align, pad;
	int dedicated;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN - CHUNK_HDR) {
		a->over_budget = 1;
		return NULL;
	}
	/* An object's size is a multiple of its alignment, so the lowest set
	 * bit of n (at most ARENA_ALIGN) is alignment enough: short strings
	 * pack tightly, structs stay aligned. */
	align = n & -n;
	if (align > ARENA_ALIGN)
		align = ARENA_ALIGN;
	c = a->head;
	pad = (align - (c->used & (align - 1))) & (align - 1);
	if (c->size - c->used >= n && c->size - c->used - n >= pad) {
		void *p = CHUNK_DATA(c) + c->used + pad;

		c->used += pad + n;
		return p;
	}
	/* big blocks get a chunk of their own, behind the current one, so
	 * that its free space stays in use */
	dedicated = n > a->next_size / 4;
	csize = dedicated ? n : a->next_size;
	if (a->total > a->budget || a->budget - a->total < CHUNK_HDR + csize) {
		a->over_budget = 1;
		return NULL;
	}
	if ((c = rw_alloc_fn(CHUNK_HDR + csize)) == NULL) {
		a->nomem = 1;
		return NULL;
	}
	a->total += CHUNK_HDR + csize;
	c->size = csize;
	c->used = n;
	if (dedicated) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	/* grow by half of what there is: at most a third is ever unused */
	a->next_size = a->total / 2;
	if (a->next_size < ARENA_CHUNK_MIN)
		a->next_size = ARENA_CHUNK_MIN;
	if (a->next_size > ARENA_CHUNK_MAX)
		a->next_size = ARENA_CHUNK_MAX;
	return CHUNK_DATA(c);
}

/* n elements of size bytes, uninitialized; NULL for none. */
static void *
arena_array(struct arena *a, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	if (size > SIZE_MAX / n) {
		a->over_budget = 1;
		return NULL;
	}
	return arena_alloc(a, n * size);
}

static void *
pb_alloc(void *data, size_t n)
{
	return arena_alloc(data, n);
}

static void
pb_free(void *data, void *p)
{
	/* everything goes at once with the arena */
	(void)data;
	(void)p;
}

#define BOX_SIZE \
	((sizeof(struct rw_box) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))

/* The size of the first chunk of the arena for dlen decoded bytes, the
 * request included. */
static size_t
arena_first(size_t dlen)
{
	size_t first;

	first = dlen <= ARENA_CHUNK_MAX / 4 ? dlen * 4 : ARENA_CHUNK_MAX;
	if (first < ARENA_CHUNK_MIN)
		first = ARENA_CHUNK_MIN;
	return first + BOX_SIZE;
}

/* The arena's budget for dlen decoded bytes: the most its chunks may add
 * up to, headers included. */
static size_t
arena_budget(size_t dlen)
{
	size_t b;

	if (dlen > (SIZE_MAX - ARENA_BASE) / ARENA_FACTOR)
		return SIZE_MAX;
	b = ARENA_BASE + ARENA_FACTOR * dlen;
	if (b < CHUNK_HDR + arena_first(dlen))
		b = CHUNK_HDR + arena_first(dlen);
	return b;
}

/* Creates the arena for a request of dlen decoded bytes, with the request
 * zeroed at its start. Returns NULL when out of memory. */
static struct rw_box *
box_new(size_t dlen)
{
	struct rw_box *box;
	struct chunk *c;
	size_t first, boxsize;

	boxsize = BOX_SIZE;
	first = arena_first(dlen);
	if ((c = rw_alloc_fn(CHUNK_HDR + first)) == NULL)
		return NULL;
	c->next = NULL;
	c->size = first;
	c->used = boxsize;
	box = (struct rw_box *)CHUNK_DATA(c);
	memset(box, 0, sizeof(*box));
	box->arena.head = c;
	box->arena.total = CHUNK_HDR + first;
	box->arena.budget = arena_budget(dlen);
	box->arena.next_size = first / 2 < ARENA_CHUNK_MIN ? ARENA_CHUNK_MIN :
	    first / 2;
	box->arena.free_fn = rw_free_fn;
	box->arena.pa.alloc = pb_alloc;
	box->arena.pa.free = pb_free;
	box->arena.pa.allocator_data = &box->arena;
	return box;
}

/* The status for an allocation the arena refused. */
static enum rw_status
arena_failed(const struct arena *a, char *err, size_t errlen)
{
	if (a->nomem) {
		seterr(err, errlen, "out of memory decoding the request");
		return RW_ERR_NOMEM;
	}
	assert(a->over_budget);
	seterr(err, errlen, "decoding the request needs more than %zu bytes "
	    "of memory (%d per decoded byte)", a->budget, ARENA_FACTOR);
	return RW_ERR_TOO_LARGE;
}

void
rw_request_free(struct rw_request *r)
{
	struct rw_box *box = (struct rw_box *)r;
	struct chunk *c, *next;
	void (*free_fn)(void *);

	if (r == NULL)
		return;
	/* the first chunk holds box itself: read what is needed first */
	c = box->arena.head;
	free_fn = box->arena.free_fn;
	for (; c != NULL; c = next) {
		next = c->next;
		free_fn(c);
	}
}

/*
 * Wire scan (https://protobuf.dev/programming-guides/encoding/): walks the
 * messages protobuf-c is about to unpack, for messages that say where and
 * what, and for the limits that must hold before unpacking. Messages the
 * daemon ignores (exemplars, histograms, metadata) are framed but not
 * entered; protobuf-c still checks them.
 */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static const char *const wt_names[8] = {
	"varint", "i64", "len", "group start", "group end", "i32",
	"invalid (6)", "invalid (7)",
};

struct wmsg;

struct wfield {
	uint32_t num;
	const char *name;
	unsigned wt;		/* the wire type it must have */
	unsigned flags;
#define WF_PACKED	0x01	/* packed repeated uint32: varint or len */
#define WF_NONUL	0x02	/* a string that may not contain NUL */
#define WF_SERIES	0x04	/* one series: counted against max_series */
#define WF_RESERVED	0x08	/* reserved: its presence is an error */
	const struct wmsg *sub;	/* entered when non-NULL */
};

struct wmsg {
	const char *name;
	const struct wfield *fields;
	size_t nfields;
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct wfield v1_label_f[] = {
	{ 1, "name", WT_LEN, WF_NONUL, NULL },
	{ 2, "value", WT_LEN, WF_NONUL, NULL },
};
static const struct wmsg v1_label = {
	"prometheus.Label", v1_label_f, NELEM(v1_label_f)
};
static const struct wfield v1_sample_f[] = {
	{ 1, "value", WT_I64, 0, NULL },
	{ 2, "timestamp", WT_VARINT, 0, NULL },
};
static const struct wmsg v1_sample = {
	"prometheus.Sample", v1_sample_f, NELEM(v1_sample_f)
};
static const struct wfield v1_series_f[] = {
	{ 1, "labels", WT_LEN, 0, &v1_label },
	{ 2, "samples", WT_LEN, 0, &v1_sample },
	{ 3, "exemplars", WT_LEN, 0, NULL },
	{ 4, "histograms", WT_LEN, 0, NULL },
};
static const struct wmsg v1_series = {
	"prometheus.TimeSeries", v1_series_f, NELEM(v1_series_f)
};
static const struct wfield v1_request_f[] = {
	{ 1, "timeseries", WT_LEN, WF_SERIES, &v1_series },
	{ 3, "metadata", WT_LEN, 0, NULL },
};
static const struct wmsg v1_request = {
	"prometheus.WriteRequest", v1_request_f, NELEM(v1_request_f)
};

static const struct wfield v2_sample_f[] = {
	{ 1, "value", WT_I64, 0, NULL },
	{ 2, "timestamp", WT_VARINT, 0, NULL },
	{ 3, "start_timestamp", WT_VARINT, 0, NULL },
};
static const struct wmsg v2_sample = {
	"io.prometheus.write.v2.Sample", v2_sample_f, NELEM(v2_sample_f)
};
static const struct wfield v2_series_f[] = {
	{ 1, "labels_refs", WT_VARINT, WF_PACKED, NULL },
	{ 2, "samples", WT_LEN, 0, &v2_sample },
	{ 3, "histograms", WT_LEN, 0, NULL },
	{ 4, "exemplars", WT_LEN, 0, NULL },
	{ 5, "metadata", WT_LEN, 0, NULL },
};
static const struct wmsg v2_series = {
	"io.prometheus.write.v2.TimeSeries", v2_series_f, NELEM(v2_series_f)
};
static const struct wfield v2_request_f[] = {
	{ 1, "(reserved)", WT_LEN, WF_RESERVED, NULL },
	{ 2, "(reserved)", WT_LEN, WF_RESERVED, NULL },
	{ 3, "(reserved)", WT_LEN, WF_RESERVED, NULL },
	{ 4, "symbols", WT_LEN, WF_NONUL, NULL },
	{ 5, "timeseries", WT_LEN, WF_SERIES, &v2_series },
};
static const struct wmsg v2_request = {
	"io.prometheus.write.v2.Request", v2_request_f, NELEM(v2_request_f)
};

struct scan {
	const uint8_t *base;	/* start of the decoded body */
	size_t nseries;
	size_t max_series;
	char *err;
	size_t errlen;
};

/* Reads a varint at *p (before end). Returns 0, or -1 when truncated, -2
 * when longer than 10 bytes. */
static int
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift;

	for (shift = 0; shift < 70; shift += 7) {	/* 10 bytes */
		uint8_t b;

		if (*p == end)
			return -1;
		b = *(*p)++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -2;
}

static enum rw_status
varint_error(struct scan *sc, int r, const uint8_t *at, const char *what,
    const struct wmsg *m)
{
	seterr(sc->err, sc->errlen, "protobuf: %s %s at byte %zu (in %s)",
	    r == -1 ? "truncated varint" : "varint longer than 10 bytes", what,
	    (size_t)(at - sc->base), m->name);
	return RW_ERR_PROTO;
}

/* The packed (or single) uint32 values of labels_refs. */
static enum rw_status
scan_packed_u32(struct scan *sc, const struct wmsg *m, const uint8_t *p,
    const uint8_t *end)
{
	const uint8_t *at;
	uint64_t v;
	int r;

	while (p < end) {
		at = p;
		if ((r = read_varint(&p, end, &v)) != 0)
			return varint_error(sc, r, at, "in labels_refs", m);
		if (v > UINT32_MAX) {
			seterr(sc->err, sc->errlen, "protobuf: labels_refs "
			    "value %" PRIu64 " at byte %zu is not a uint32",
			    v, (size_t)(at - sc->base));
			return RW_ERR_PROTO;
		}
	}
	return RW_OK;
}

static enum rw_status
scan_msg(struct scan *sc, const struct wmsg *m, const uint8_t *p,
    const uint8_t *end)
{
	const struct wfield *f;
	const uint8_t *at, *vat, *data = NULL;
	uint64_t tag, len = 0, val = 0, num;
	unsigned wt;
	size_t i;
	int r;
	enum rw_status result;

	while (p < end) {
		at = p;
		if ((r = read_varint(&p, end, &tag)) != 0)
			return varint_error(sc, r, at, "(field tag)", m);
		num = tag >> 3;
		wt = (unsigned)(tag & 7);
		if (num == 0 || num > 0x1fffffff) {
			seterr(sc->err, sc->errlen, "protobuf: invalid field "
			    "number %" PRIu64 " at byte %zu (in %s)", num,
			    (size_t)(at - sc->base), m->name);
			return RW_ERR_PROTO;
		}
		switch (wt) {
		case WT_VARINT:
			vat = p;
			if ((r = read_varint(&p, end, &val)) != 0)
				return varint_error(sc, r, vat,
				    "(field value)", m);
			break;
		case WT_I64:
		case WT_I32:
			if ((size_t)(end - p) < (wt == WT_I64 ? 8u : 4u)) {
				seterr(sc->err, sc->errlen, "protobuf: "
				    "truncated %s field %" PRIu64 " at byte "
				    "%zu (in %s)", wt_names[wt], num,
				    (size_t)(at - sc->base), m->name);
				return RW_ERR_PROTO;
			}
			p += wt == WT_I64 ? 8 : 4;
			break;
		case WT_LEN:
			if ((r = read_varint(&p, end, &len)) != 0)
				return varint_error(sc, r, at,
				    "(field length)", m);
			if (len > (uint64_t)(end - p)) {
				seterr(sc->err, sc->errlen, "protobuf: field "
				    "%" PRIu64 " at byte %zu is %" PRIu64
				    " bytes long, only %zu left (in %s)", num,
				    (size_t)(at - sc->base), len,
				    (size_t)(end - p), m->name);
				return RW_ERR_PROTO;
			}
			data = p;
			p += len;
			break;
		default:
			seterr(sc->err, sc->errlen, "protobuf: field %" PRIu64
			    " at byte %zu has wire type %s, which is not "
			    "supported (in %s)", num, (size_t)(at - sc->base),
			    wt_names[wt], m->name);
			return RW_ERR_PROTO;
		}

		for (f = NULL, i = 0; i < m->nfields; i++)
			if (m->fields[i].num == num)
				f = &m->fields[i];
		if (f == NULL)
			continue;	/* unknown: skipped, as the spec says */
		if (f->flags & WF_RESERVED) {
			seterr(sc->err, sc->errlen, "protobuf: %s has field "
			    "%" PRIu64 ", which is reserved (a 1.0 "
			    "prometheus.WriteRequest sent as 2.0?)", m->name,
			    num);
			return RW_ERR_PROTO;
		}
		if (wt != f->wt && !((f->flags & WF_PACKED) && wt == WT_LEN)) {
			seterr(sc->err, sc->errlen, "protobuf: %s field %"
			    PRIu64 " (%s) at byte %zu has wire type %s, want "
			    "%s", m->name, num, f->name,
			    (size_t)(at - sc->base), wt_names[wt],
			    wt_names[f->wt]);
			return RW_ERR_PROTO;
		}
		if ((f->flags & WF_NONUL) && memchr(data, 0, len) != NULL) {
			seterr(sc->err, sc->errlen, "protobuf: %s field %s at "
			    "byte %zu contains a NUL byte", m->name, f->name,
			    (size_t)(at - sc->base));
			return RW_ERR_PROTO;
		}
		if ((f->flags & WF_SERIES) && ++sc->nseries > sc->max_series) {
			seterr(sc->err, sc->errlen, "more than %zu series in "
			    "one request", sc->max_series);
			return RW_ERR_TOO_LARGE;
		}
		if ((f->flags & WF_PACKED) && wt == WT_LEN) {
			result = scan_packed_u32(sc, m, data, data + len);
			if (result != RW_OK)
				return result;
		} else if ((f->flags & WF_PACKED) && val > UINT32_MAX) {
			seterr(sc->err, sc->errlen, "protobuf: %s value %"
			    PRIu64 " at byte %zu is not a uint32", f->name,
			    val, (size_t)(at - sc->base));
			return RW_ERR_PROTO;
		}
		if (f->sub != NULL) {
			result = scan_msg(sc, f->sub, data, data + len);
			if (result != RW_OK)
				return result;
		}
	}
	return RW_OK;
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
		seterr(why, whylen, "%zu labels, limit is %zu", s->nlabels,
		    lim->max_labels);
		return -1;
	}
	for (i = 0; i < s->nlabels; i++) {
		const char *name = s->labels[i].name;
		const char *value = s->labels[i].value;

		name_ok = name_scan(name, &nlen);
		ascii = value_scan(value, &vlen);
		if (nlen == 0) {
			seterr(why, whylen, "empty label name (value %s)",
			    quote(q1, sizeof(q1), value));
			return -1;
		}
		if (nlen > lim->max_name_len) {
			seterr(why, whylen, "label name %s is %zu bytes, limit "
			    "is %zu", quote(q1, sizeof(q1), name), nlen,
			    lim->max_name_len);
			return -1;
		}
		if (!name_ok) {
			seterr(why, whylen, "invalid label name %s (want "
			    "[a-zA-Z_][a-zA-Z0-9_]*)",
			    quote(q1, sizeof(q1), name));
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
				seterr(why, whylen, "duplicate label %s",
				    quote(q1, sizeof(q1), name));
			else
				seterr(why, whylen, "labels not sorted: %s "
				    "after %s", quote(q1, sizeof(q1), name),
				    quote(q2, sizeof(q2), prev));
			return -1;
		}
		if (vlen == 0) {
			seterr(why, whylen, "label %s has an empty value",
			    quote(q1, sizeof(q1), name));
			return -1;
		}
		if (vlen > lim->max_value_len) {
			seterr(why, whylen, "label %s value is %zu bytes, "
			    "limit is %zu", quote(q1, sizeof(q1), name), vlen,
			    lim->max_value_len);
			return -1;
		}
		if (!ascii &&
		    !utf8_valid((const unsigned char *)value, vlen)) {
			seterr(why, whylen, "label %s value is not valid "
			    "UTF-8", quote(q1, sizeof(q1), name));
			return -1;
		}
		if (!has_name && nlen == 8 && memcmp(name, "__name__", 8) == 0)
			has_name = 1;
		prev = name;
	}
	if (!has_name) {
		seterr(why, whylen, "no __name__ label");
		return -1;
	}
	for (i = 1; i < s->nsamples; i++) {
		if (s->samples[i].ts_ms < s->samples[i - 1].ts_ms) {
			seterr(why, whylen, "samples out of order: sample %zu "
			    "at %" PRId64 " ms after one at %" PRId64 " ms", i,
			    s->samples[i].ts_ms, s->samples[i - 1].ts_ms);
			return -1;
		}
	}
	return 0;
}

/* Marks the series that break the rules (and those the conversion already
 * marked, whose problem is in bad[]), counts, and writes the first problem
 * into err. */
static enum rw_status
validate(struct rw_request *r, const struct rw_limits *lim, char *const *bad,
    char *err, size_t errlen)
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
					seterr(err, errlen, "series #%zu: %s",
					    i, bad[i]);
				else {
					render_series(who, sizeof(who), s);
					seterr(err, errlen, "series %s: %s",
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
			seterr(err + n, errlen - n, " (and %zu more invalid "
			    "series)", r->ninvalid - 1);
	}
	return RW_ERR_INVALID;
}

/*
 * Conversion from the unpacked messages.
 */

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static enum rw_status
from_v1(struct rw_box *box, const Prometheus__WriteRequest *wr, char *err,
    size_t errlen)
{
	struct arena *a = &box->arena;
	struct rw_request *r = &box->req;
	size_t i, j;

	r->nseries = wr->n_timeseries;
	r->series = arena_array(a, r->nseries, sizeof(*r->series));
	if (r->nseries > 0 && r->series == NULL)
		return arena_failed(a, err, errlen);
	if (r->nseries > 0)
		memset(r->series, 0, r->nseries * sizeof(*r->series));
	for (i = 0; i < wr->n_timeseries; i++) {
		const Prometheus__TimeSeries *ts = wr->timeseries[i];
		struct rw_series *s = &r->series[i];

		s->valid = 1;
		s->nlabels = ts->n_labels;
		s->labels = arena_array(a, s->nlabels, sizeof(*s->labels));
		s->nsamples = ts->n_samples;
		s->samples = arena_array(a, s->nsamples, sizeof(*s->samples));
		if ((s->nlabels > 0 && s->labels == NULL) ||
		    (s->nsamples > 0 && s->samples == NULL))
			return arena_failed(a, err, errlen);
		for (j = 0; j < ts->n_labels; j++) {
			s->labels[j].name = str_or_empty(ts->labels[j]->name);
			s->labels[j].value =
			    str_or_empty(ts->labels[j]->value);
		}
		for (j = 0; j < ts->n_samples; j++) {
			s->samples[j].value = ts->samples[j]->value;
			s->samples[j].ts_ms = ts->samples[j]->timestamp;
		}
		r->nexemplars += ts->n_exemplars;
		r->nhistograms += ts->n_histograms;
	}
	return RW_OK;
}

/* As from_v1, resolving labels_refs against symbols. A series whose refs
 * cannot be resolved gets no labels, valid = 0 and its problem in bad[i]
 * (allocated in the arena; *badp is NULL when there is none). */
static enum rw_status
from_v2(struct rw_box *box, const Io__Prometheus__Write__V2__Request *wr,
    char ***badp, char *err, size_t errlen)
{
	struct arena *a = &box->arena;
	struct rw_request *r = &box->req;
	char **bad = NULL, q[QUOTED_SIZE];
	size_t i, j;

	*badp = NULL;
	if (wr->n_symbols > 0 && str_or_empty(wr->symbols[0])[0] != '\0') {
		seterr(err, errlen, "protobuf: symbols[0] is %s, the 2.0 spec "
		    "wants \"\"", quote(q, sizeof(q), wr->symbols[0]));
		return RW_ERR_PROTO;
	}
	r->nseries = wr->n_timeseries;
	r->series = arena_array(a, r->nseries, sizeof(*r->series));
	if (r->nseries > 0 && r->series == NULL)
		return arena_failed(a, err, errlen);
	if (r->nseries > 0)
		memset(r->series, 0, r->nseries * sizeof(*r->series));
	for (i = 0; i < wr->n_timeseries; i++) {
		const Io__Prometheus__Write__V2__TimeSeries *ts =
		    wr->timeseries[i];
		struct rw_series *s = &r->series[i];
		char why[128];

		s->valid = 1;
		s->nsamples = ts->n_samples;
		s->samples = arena_array(a, s->nsamples, sizeof(*s->samples));
		if (s->nsamples > 0 && s->samples == NULL)
			return arena_failed(a, err, errlen);
		for (j = 0; j < ts->n_samples; j++) {
			s->samples[j].value = ts->samples[j]->value;
			s->samples[j].ts_ms = ts->samples[j]->timestamp;
		}
		r->nexemplars += ts->n_exemplars;
		r->nhistograms += ts->n_histograms;

		why[0] = '\0';
		if (ts->n_labels_refs % 2 != 0)
			seterr(why, sizeof(why), "odd number of labels_refs "
			    "(%zu)", ts->n_labels_refs);
		for (j = 0; why[0] == '\0' && j < ts->n_labels_refs; j++)
			if (ts->labels_refs[j] >= wr->n_symbols)
				seterr(why, sizeof(why), "labels_refs[%zu] = "
				    "%" PRIu32 " out of range (%zu symbols)",
				    j, ts->labels_refs[j], wr->n_symbols);
		if (why[0] != '\0') {
			size_t n = strlen(why) + 1;

			if (bad == NULL) {
				bad = arena_array(a, wr->n_timeseries,
				    sizeof(*bad));
				if (bad == NULL)
					return arena_failed(a, err, errlen);
				memset(bad, 0, wr->n_timeseries * sizeof(*bad));
			}
			if ((bad[i] = arena_alloc(a, n)) == NULL)
				return arena_failed(a, err, errlen);
			memcpy(bad[i], why, n);
			s->valid = 0;
			continue;
		}
		s->nlabels = ts->n_labels_refs / 2;
		s->labels = arena_array(a, s->nlabels, sizeof(*s->labels));
		if (s->nlabels > 0 && s->labels == NULL)
			return arena_failed(a, err, errlen);
		for (j = 0; j < s->nlabels; j++) {
			s->labels[j].name = str_or_empty(
			    wr->symbols[ts->labels_refs[2 * j]]);
			s->labels[j].value = str_or_empty(
			    wr->symbols[ts->labels_refs[2 * j + 1]]);
		}
	}
	*badp = bad;
	return RW_OK;
}

/* The status for an unpack protobuf-c refused. */
static enum rw_status
unpack_failed(const struct arena *a, enum rw_version v, char *err,
    size_t errlen)
{
	if (a->over_budget || a->nomem)
		return arena_failed(a, err, errlen);
	/* the scan passed, so the fault is where it does not look */
	seterr(err, errlen, "protobuf: cannot unpack %s (bad exemplar, "
	    "histogram or metadata?)", v == RW_V1 ? v1_request.name :
	    v2_request.name);
	return RW_ERR_PROTO;
}

/*
 * The reference decoder: the wire scan, protobuf-c's generic unpack into
 * the arena, then the conversion. rw_decode answers with it whenever the
 * streaming decoder below declines; tests and the fuzz harness compare the
 * two (rw__decode_reference).
 */

/* Steps 3 to 5 over the decoded body raw (dlen bytes, still the caller's). */
static enum rw_status
ref_decode_raw(const uint8_t *raw, size_t dlen, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out, char *err,
    size_t errlen)
{
	enum rw_status result;
	struct rw_box *box = NULL;
	char **bad = NULL;
	struct scan sc;
	Prometheus__WriteRequest *wr1 = NULL;
	Io__Prometheus__Write__V2__Request *wr2 = NULL;

	sc.base = raw;
	sc.nseries = 0;
	sc.max_series = lim->max_series;
	sc.err = err;
	sc.errlen = errlen;
	result = scan_msg(&sc, v == RW_V1 ? &v1_request : &v2_request, raw,
	    raw + dlen);
	if (result != RW_OK)
		goto out;

	if ((box = box_new(dlen)) == NULL) {
		seterr(err, errlen, "out of memory decoding the request");
		result = RW_ERR_NOMEM;
		goto out;
	}
	box->req.version = v;
	if (v == RW_V1)
		wr1 = prometheus__write_request__unpack(&box->arena.pa, dlen,
		    raw);
	else
		wr2 = io__prometheus__write__v2__request__unpack(
		    &box->arena.pa, dlen, raw);
	if (wr1 == NULL && wr2 == NULL) {
		result = unpack_failed(&box->arena, v, err, errlen);
		goto out;
	}
	if (v == RW_V1)
		result = from_v1(box, wr1, err, errlen);
	else
		result = from_v2(box, wr2, &bad, err, errlen);
	if (result != RW_OK)
		goto out;
	result = validate(&box->req, lim, bad, err, errlen);
	*out = &box->req;
	box = NULL;
out:
	if (box != NULL)
		rw_request_free(&box->req);
	return result;
}

/*
 * The streaming decoder (the hot path). Two walks over the decoded body,
 * no allocation per field:
 *
 *   1. check: every rule the wire scan and protobuf-c's unpack enforce, and
 *      count series, labels, samples, symbols and string bytes;
 *   2. fill: one block from the allocator holds the request, its arrays and
 *      the label strings (copied, NUL-terminated); a second walk fills it.
 *
 * It answers only requests the reference would answer with RW_OK or
 * RW_ERR_INVALID, with exactly the reference's result (the same validate()
 * runs over the same labels). On anything else -- a malformed message, 2.0
 * labels_refs that do not resolve, a request the reference might refuse for
 * its memory budget -- it declines and rw_decode asks the reference, which
 * writes the error message. Errors are rare; the hot path stays simple.
 *
 * What protobuf-c 1.4.1 (protobuf-c/protobuf-c.c protobuf_c_message_unpack)
 * refuses beyond the wire scan, and this decoder therefore too: a tag
 * longer than 5 bytes, a length prefix longer than 5 bytes or over
 * INT_MAX, more than 16 * (2^23 - 1) fields in one message. Exemplars,
 * histograms and metadata, which the daemon only counts, are checked by
 * protobuf-c itself (fx_sub): they are not on the hot path.
 *
 * The memory budget. The reference refuses a request when its arena would
 * outgrow arena_budget(); that depends on protobuf-c's allocations, so
 * pass 1 adds up what they would be (fx_alloc: protobuf-c's structs, pointer
 * arrays, strings, unknown fields, its ScannedMember slabs, and the
 * conversion's arrays) and ref_fits() bounds the arena's growth from that
 * sum. When the bound says the reference could run out, the reference
 * decides. Requests from Prometheus stay far below the bound.
 */

struct fx {
	const struct rw_limits *lim;
	size_t budget;		/* arena_budget(dlen) of the reference */
	enum rw__path why;	/* why pass 1 declined */
	int nomem;		/* fx_sub: out of memory */
	void *scratch;		/* fx_sub: protobuf-c's allocations */
	/* counted by pass 1 */
	size_t nseries, nlabels, nsamples, nsymbols, strbytes;
	size_t nhistograms, nexemplars;
	uint64_t maxref;	/* 2.0: the largest labels_ref */
	int anyref;
	/* the reference's allocations (ref_fits): sum of (size + 15); those
	 * that could get a chunk of their own (> ARENA_CHUNK_MIN / 4): how
	 * many, their sum, the largest; the largest of the others */
	size_t ref_sum, ref_big, ref_big_sum, ref_max, ref_small;
};

/* protobuf-c 1.4.1's ScannedMember (protobuf-c.c): 32 bytes on LP64; one
 * per field past the 16th of a message, in slabs of 16 << n. */
#define PBC_SCANNED_MEMBER	32
#define PBC_MAX_SLAB		22

static inline void
fx_alloc(struct fx *f, size_t n)
{
	if (n == 0)
		n = 1;
	f->ref_sum += n + ARENA_ALIGN - 1;
	if (n > ARENA_CHUNK_MIN / 4) {
		f->ref_big++;
		f->ref_big_sum += n + ARENA_ALIGN - 1;
		if (n > f->ref_max)
			f->ref_max = n;
	} else if (n > f->ref_small)
		f->ref_small = n;
}

static inline void
fx_array(struct fx *f, size_t n, size_t size)
{
	if (n > 0)
		fx_alloc(f, n * size);
}

/* The end of a message of k fields, nunk of them unknown, whose struct is
 * size bytes. -1 when protobuf-c would refuse it. */
static int
fx_msg_end(struct fx *f, size_t size, size_t k, size_t nunk)
{
	size_t cap = 16, slab = 16;
	unsigned n = 0;

	fx_alloc(f, size);
	while (k > cap) {
		if (++n > PBC_MAX_SLAB)
			return -1;	/* "too many fields" */
		slab <<= 1;
		fx_alloc(f, slab * PBC_SCANNED_MEMBER);
		cap += slab;
	}
	fx_array(f, nunk, sizeof(ProtobufCMessageUnknownField));
	return 0;
}

/* Could the reference's arena outgrow its budget? (arena_alloc: an
 * allocation fails when the chunk it needs does not fit in what is left.)
 * Bounds on what the chunks hold, with Y = what was allocated (ref_sum,
 * padding included) + the box + the free tails left behind when a shared
 * chunk is added + a header per chunk:
 *   - a tail is smaller than the allocation that did not fit, and there
 *     are at most ~log1.5(2 MiB / 16 KiB) + budget / ARENA_CHUNK_MAX shared
 *     chunks: at most nshared * (largest small allocation) + all the big
 *     ones (> ARENA_CHUNK_MIN / 4, the only ones that can get a chunk of
 *     their own, ref_big of them);
 *   - while the first chunk is current, total <= its size + Y; after that,
 *     the current chunk is at most max(16 KiB, half the total before it),
 *     so total <= 1.5 Y + 16 KiB + a header;
 *   - a new chunk is at most max(16 KiB, min(1 MiB, total / 2)), or one
 *     allocation. */
static int
ref_fits(const struct fx *f, size_t dlen)
{
	uint64_t nshared, waste, y, t, t2, csize;

	nshared = 14 + f->budget / ARENA_CHUNK_MAX;
	waste = nshared * (f->ref_small + ARENA_ALIGN) + f->ref_big_sum;
	if (waste > f->ref_sum)
		waste = f->ref_sum;
	y = (uint64_t)BOX_SIZE + f->ref_sum + waste +
	    (uint64_t)CHUNK_HDR * (nshared + f->ref_big + 2);
	t = y + y / 2 + ARENA_CHUNK_MIN + CHUNK_HDR;
	t2 = (uint64_t)CHUNK_HDR + arena_first(dlen) + y;
	if (t2 > t)
		t = t2;
	csize = t / 2 < ARENA_CHUNK_MAX ? t / 2 : ARENA_CHUNK_MAX;
	if (csize < ARENA_CHUNK_MIN)
		csize = ARENA_CHUNK_MIN;
	return t + CHUNK_HDR + csize + f->ref_max <= f->budget;
}

/* Reads a varint of at most 10 bytes; NULL when it is cut short or longer.
 * Bits past the 64th are dropped, as protobuf-c does. */
static inline const uint8_t *
fx_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift;

	if (p < end && *p < 0x80) {
		*v = *p;
		return p + 1;
	}
	for (shift = 0; shift < 70; shift += 7) {
		if (p == end)
			break;
		x |= (uint64_t)(*p & 0x7f) << shift;
		if (*p++ < 0x80) {
			*v = x;
			return p;
		}
	}
	*v = 0;
	return NULL;
}

/* A field's tag: at most 5 bytes (protobuf-c), a number from 1 to 2^29-1
 * (the wire scan). */
static inline const uint8_t *
fx_tag(const uint8_t *p, const uint8_t *end, uint32_t *num, unsigned *wt)
{
	const uint8_t *q;
	uint64_t t;

	if (p < end && *p < 0x80) {
		t = *p;
		q = p + 1;
	} else if ((q = fx_varint(p, end, &t)) == NULL || q - p > 5)
		q = NULL;
	if (q == NULL || t >> 3 == 0 || t >> 3 > 0x1fffffff) {
		*num = 0;
		*wt = 0;
		return NULL;
	}
	*num = (uint32_t)(t >> 3);
	*wt = (unsigned)(t & 7);
	return q;
}

/* A length prefix: at most 5 bytes and INT_MAX (protobuf-c), within the
 * enclosing message (the wire scan). */
static inline const uint8_t *
fx_len(const uint8_t *p, const uint8_t *end, size_t *n)
{
	const uint8_t *q;
	uint64_t v;

	if (p < end && *p < 0x80) {
		v = *p;
		q = p + 1;
	} else if ((q = fx_varint(p, end, &v)) == NULL || q - p > 5 ||
	    v > INT_MAX)
		q = NULL;
	if (q == NULL || v > (uint64_t)(end - q)) {
		*n = 0;
		return NULL;
	}
	*n = (size_t)v;
	return q;
}

/* Skips the value of an unknown field; protobuf-c keeps a copy of it. */
static const uint8_t *
fx_skip(struct fx *f, const uint8_t *p, const uint8_t *end, unsigned wt,
    size_t *nunk)
{
	const uint8_t *q = NULL;
	uint64_t v;
	size_t n;

	switch (wt) {
	case WT_VARINT:
		q = fx_varint(p, end, &v);
		break;
	case WT_I64:
		q = end - p >= 8 ? p + 8 : NULL;
		break;
	case WT_I32:
		q = end - p >= 4 ? p + 4 : NULL;
		break;
	case WT_LEN:
		if ((q = fx_len(p, end, &n)) != NULL)
			q += n;
		break;
	default:
		return NULL;	/* groups, wire types 6 and 7 */
	}
	if (q != NULL && f != NULL) {
		fx_alloc(f, (size_t)(q - p));
		(*nunk)++;
	}
	return q;
}

/* protobuf-c's allocator for fx_sub: a list of blocks, freed at once, every
 * size added to the reference's sum. */
static void *
fx_sub_alloc(void *data, size_t n)
{
	struct fx *f = data;
	void **blk;

	fx_alloc(f, n);
	if (f->ref_sum > f->budget) {
		f->why = RW__PATH_BUDGET;
		return NULL;
	}
	if (n > SIZE_MAX - sizeof(max_align_t) ||
	    (blk = rw_alloc_fn(sizeof(max_align_t) + n)) == NULL) {
		f->nomem = 1;
		return NULL;
	}
	*blk = f->scratch;
	f->scratch = blk;
	return (unsigned char *)blk + sizeof(max_align_t);
}

static void
fx_sub_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* A message the daemon only counts (exemplar, histogram, metadata): checked
 * by protobuf-c's own unpack, as the reference does. */
static int
fx_sub(struct fx *f, const ProtobufCMessageDescriptor *d, const uint8_t *p,
    size_t n)
{
	ProtobufCAllocator a;
	ProtobufCMessage *m;
	void *blk, *next;

	a.alloc = fx_sub_alloc;
	a.free = fx_sub_free;
	a.allocator_data = f;
	f->scratch = NULL;
	m = protobuf_c_message_unpack(d, &a, n, p);
	for (blk = f->scratch; blk != NULL; blk = next) {
		next = *(void **)blk;
		rw_free_fn(blk);
	}
	f->scratch = NULL;
	return m != NULL ? 0 : -1;
}

/* Pass 1 of the messages the scan enters. Each returns -1 when the
 * reference would refuse the request (or might, f->why saying so). */

static int
fx1_v1_label(struct fx *f, const uint8_t *p, const uint8_t *end)
{
	size_t k = 0, nunk = 0, n;
	uint32_t num;
	unsigned wt;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num == 1 || num == 2) {
			if (wt != WT_LEN || (p = fx_len(p, end, &n)) == NULL ||
			    memchr(p, 0, n) != NULL)
				return -1;
			f->strbytes += n + 1;
			fx_alloc(f, n + 1);
			p += n;
		} else if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
			return -1;
	}
	return fx_msg_end(f, sizeof(Prometheus__Label), k, nunk);
}

/* 1.0 and 2.0 samples: value (i64), timestamp and, in 2.0,
 * start_timestamp (varint). */
static int
fx1_sample(struct fx *f, const uint8_t *p, const uint8_t *end,
    uint32_t maxnum, size_t size)
{
	size_t k = 0, nunk = 0;
	uint64_t x;
	uint32_t num;
	unsigned wt;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num == 1) {
			if (wt != WT_I64 || end - p < 8)
				return -1;
			p += 8;
		} else if (num >= 2 && num <= maxnum) {
			if (wt != WT_VARINT ||
			    (p = fx_varint(p, end, &x)) == NULL)
				return -1;
		} else if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
			return -1;
	}
	return fx_msg_end(f, size, k, nunk);
}

static int
fx1_v1_series(struct fx *f, const uint8_t *p, const uint8_t *end)
{
	size_t k = 0, nunk = 0, nl = 0, ns = 0, nex = 0, nh = 0, n;
	uint32_t num;
	unsigned wt;
	int rc = 0;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num < 1 || num > 4) {
			if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
				return -1;
			continue;
		}
		if (wt != WT_LEN || (p = fx_len(p, end, &n)) == NULL)
			return -1;
		switch (num) {
		case 1:
			rc = fx1_v1_label(f, p, p + n);
			nl++;
			break;
		case 2:
			rc = fx1_sample(f, p, p + n, 2,
			    sizeof(Prometheus__Sample));
			ns++;
			break;
		case 3:
			rc = fx_sub(f, &prometheus__exemplar__descriptor, p, n);
			nex++;
			break;
		case 4:
			rc = fx_sub(f, &prometheus__histogram__descriptor, p,
			    n);
			nh++;
			break;
		}
		if (rc != 0)
			return -1;
		p += n;
	}
	f->nlabels += nl;
	f->nsamples += ns;
	f->nexemplars += nex;
	f->nhistograms += nh;
	fx_array(f, nl, sizeof(void *));
	fx_array(f, ns, sizeof(void *));
	fx_array(f, nex, sizeof(void *));
	fx_array(f, nh, sizeof(void *));
	fx_array(f, nl, sizeof(struct rw_label));	/* from_v1 */
	fx_array(f, ns, sizeof(struct rw_sample));
	return fx_msg_end(f, sizeof(Prometheus__TimeSeries), k, nunk);
}

static int
fx1_v1(struct fx *f, const uint8_t *p, const uint8_t *end)
{
	size_t k = 0, nunk = 0, nmd = 0, n;
	uint32_t num;
	unsigned wt;
	int rc;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num != 1 && num != 3) {
			if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
				return -1;
			continue;
		}
		if (wt != WT_LEN || (p = fx_len(p, end, &n)) == NULL)
			return -1;
		if (num == 1) {
			if (++f->nseries > f->lim->max_series)
				return -1;
			rc = fx1_v1_series(f, p, p + n);
		} else {
			rc = fx_sub(f, &prometheus__metric_metadata__descriptor,
			    p, n);
			nmd++;
		}
		if (rc != 0)
			return -1;
		p += n;
	}
	fx_array(f, f->nseries, sizeof(void *));
	fx_array(f, nmd, sizeof(void *));
	fx_array(f, f->nseries, sizeof(struct rw_series));	/* from_v1 */
	return fx_msg_end(f, sizeof(Prometheus__WriteRequest), k, nunk);
}

/* One labels_refs value (a uint32, as the scan wants). */
static inline int
fx_ref(struct fx *f, uint64_t r, size_t *nrefs)
{
	if (r > UINT32_MAX)
		return -1;
	if (r > f->maxref)
		f->maxref = r;
	f->anyref = 1;
	(*nrefs)++;
	return 0;
}

static int
fx1_v2_series(struct fx *f, const uint8_t *p, const uint8_t *end)
{
	size_t k = 0, nunk = 0, nrefs = 0, ns = 0, nex = 0, nh = 0, n;
	const uint8_t *q;
	uint64_t x;
	uint32_t num;
	unsigned wt;
	int rc = 0;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num == 1 && wt == WT_VARINT) {
			if ((p = fx_varint(p, end, &x)) == NULL ||
			    fx_ref(f, x, &nrefs) != 0)
				return -1;
			continue;
		}
		if (num < 1 || num > 5) {
			if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
				return -1;
			continue;
		}
		if (wt != WT_LEN || (p = fx_len(p, end, &n)) == NULL)
			return -1;
		switch (num) {
		case 1:		/* packed */
			for (q = p; q < p + n;)
				if ((q = fx_varint(q, p + n, &x)) == NULL ||
				    fx_ref(f, x, &nrefs) != 0)
					return -1;
			break;
		case 2:
			rc = fx1_sample(f, p, p + n, 3,
			    sizeof(Io__Prometheus__Write__V2__Sample));
			ns++;
			break;
		case 3:
			rc = fx_sub(f,
			    &io__prometheus__write__v2__histogram__descriptor,
			    p, n);
			nh++;
			break;
		case 4:
			rc = fx_sub(f,
			    &io__prometheus__write__v2__exemplar__descriptor,
			    p, n);
			nex++;
			break;
		case 5:
			rc = fx_sub(f,
			    &io__prometheus__write__v2__metadata__descriptor,
			    p, n);
			break;
		}
		if (rc != 0)
			return -1;
		p += n;
	}
	if (nrefs % 2 != 0) {
		f->why = RW__PATH_REFS;
		return -1;
	}
	f->nlabels += nrefs / 2;
	f->nsamples += ns;
	f->nexemplars += nex;
	f->nhistograms += nh;
	fx_array(f, nrefs, sizeof(uint32_t));
	fx_array(f, ns, sizeof(void *));
	fx_array(f, nh, sizeof(void *));
	fx_array(f, nex, sizeof(void *));
	fx_array(f, ns, sizeof(struct rw_sample));	/* from_v2 */
	fx_array(f, nrefs / 2, sizeof(struct rw_label));
	return fx_msg_end(f, sizeof(Io__Prometheus__Write__V2__TimeSeries), k,
	    nunk);
}

static int
fx1_v2(struct fx *f, const uint8_t *p, const uint8_t *end)
{
	size_t k = 0, nunk = 0, n;
	uint32_t num;
	unsigned wt;

	while (p < end) {
		if ((p = fx_tag(p, end, &num, &wt)) == NULL)
			return -1;
		k++;
		if (num < 1 || num > 5) {
			if ((p = fx_skip(f, p, end, wt, &nunk)) == NULL)
				return -1;
			continue;
		}
		if (num <= 3 || wt != WT_LEN ||	/* 1 to 3: reserved */
		    (p = fx_len(p, end, &n)) == NULL)
			return -1;
		if (num == 4) {
			if (memchr(p, 0, n) != NULL ||
			    (f->nsymbols == 0 && n > 0))	/* symbols[0] */
				return -1;
			f->nsymbols++;
			f->strbytes += n + 1;
			fx_alloc(f, n + 1);
		} else if (++f->nseries > f->lim->max_series ||
		    fx1_v2_series(f, p, p + n) != 0)
			return -1;
		p += n;
	}
	if (f->anyref && f->maxref >= f->nsymbols) {
		f->why = RW__PATH_REFS;
		return -1;
	}
	fx_array(f, f->nsymbols, sizeof(void *));
	fx_array(f, f->nseries, sizeof(void *));
	fx_array(f, f->nseries, sizeof(struct rw_series));	/* from_v2 */
	return fx_msg_end(f, sizeof(Io__Prometheus__Write__V2__Request), k,
	    nunk);
}

/* Pass 2: the same walks over a body pass 1 accepted, filling the block. */

struct fill {
	struct rw_series *s;	/* the next series */
	struct rw_label *l;	/* the next label */
	struct rw_sample *m;	/* the next sample */
	char *str;		/* the next string byte */
	const char **sym;	/* 2.0: symbols */
	size_t nsym;
};

static const char *
fill_str(struct fill *w, const uint8_t *p, size_t n)
{
	char *s = w->str;

	memcpy(s, p, n);
	s[n] = '\0';
	w->str += n + 1;
	return s;
}

static void
fill_sample(struct fill *w, const uint8_t *p, const uint8_t *end)
{
	struct rw_sample *m = w->m++;
	uint64_t x;
	uint32_t num = 0;
	unsigned wt = 0;

	m->value = 0;
	m->ts_ms = 0;
	while (p < end) {
		p = fx_tag(p, end, &num, &wt);
		if (num == 1 && wt == WT_I64) {
			memcpy(&m->value, p, 8);	/* little-endian */
			p += 8;
			continue;
		}
		if (num == 2 && wt == WT_VARINT) {
			p = fx_varint(p, end, &x);
			m->ts_ms = (int64_t)x;
			continue;
		}
		p = fx_skip(NULL, p, end, wt, NULL);
	}
}

static void
fill_v1_label(struct fill *w, const uint8_t *p, const uint8_t *end)
{
	struct rw_label *l = w->l++;
	uint32_t num = 0;
	unsigned wt = 0;
	size_t n;

	l->name = l->value = "";
	while (p < end) {
		p = fx_tag(p, end, &num, &wt);
		if ((num == 1 || num == 2) && wt == WT_LEN) {
			p = fx_len(p, end, &n);
			if (num == 1)
				l->name = fill_str(w, p, n);
			else
				l->value = fill_str(w, p, n);
			p += n;
		} else
			p = fx_skip(NULL, p, end, wt, NULL);
	}
}

static void
fill_v1(struct fill *w, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q, *qend;
	uint32_t num = 0;
	unsigned wt = 0;
	size_t n;

	while (p < end) {
		struct rw_series *s;

		p = fx_tag(p, end, &num, &wt);
		if (num != 1 || wt != WT_LEN) {
			p = fx_skip(NULL, p, end, wt, NULL);
			continue;
		}
		p = fx_len(p, end, &n);
		s = w->s++;
		s->labels = w->l;
		s->samples = w->m;
		s->valid = 1;
		for (q = p, qend = p + n; q < qend;) {
			q = fx_tag(q, qend, &num, &wt);
			if ((num == 1 || num == 2) && wt == WT_LEN) {
				size_t m;

				q = fx_len(q, qend, &m);
				if (num == 1)
					fill_v1_label(w, q, q + m);
				else
					fill_sample(w, q, q + m);
				q += m;
			} else
				q = fx_skip(NULL, q, qend, wt, NULL);
		}
		s->nlabels = (size_t)(w->l - s->labels);
		s->nsamples = (size_t)(w->m - s->samples);
		if (s->nlabels == 0)
			s->labels = NULL;
		if (s->nsamples == 0)
			s->samples = NULL;
		p += n;
	}
}

static void
fill_v2_series(struct fill *w, struct rw_series *s, const uint8_t *p,
    const uint8_t *end)
{
	const uint8_t *q;
	uint64_t x, name = 0;
	uint32_t num = 0;
	unsigned wt = 0;
	size_t n;
	int half = 0;

	s->labels = w->l;
	s->samples = w->m;
	s->valid = 1;
	while (p < end) {
		p = fx_tag(p, end, &num, &wt);
		if (num == 1 && (wt == WT_VARINT || wt == WT_LEN)) {
			/* one value, or the packed ones in [p, q), maybe
			 * none */
			if (wt == WT_VARINT)
				q = NULL;
			else {
				p = fx_len(p, end, &n);
				q = p + n;
			}
			while (q == NULL || p < q) {
				p = fx_varint(p, end, &x);
				if (half) {
					w->l->name = w->sym[name];
					w->l->value = w->sym[x];
					w->l++;
				} else
					name = x;
				half = !half;
				if (q == NULL)
					break;
			}
			continue;
		}
		if (num == 2 && wt == WT_LEN) {
			p = fx_len(p, end, &n);
			fill_sample(w, p, p + n);
			p += n;
			continue;
		}
		p = fx_skip(NULL, p, end, wt, NULL);
	}
	s->nlabels = (size_t)(w->l - s->labels);
	s->nsamples = (size_t)(w->m - s->samples);
	if (s->nlabels == 0)
		s->labels = NULL;
	if (s->nsamples == 0)
		s->samples = NULL;
}

static void
fill_v2(struct fill *w, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *start = p;
	uint32_t num = 0;
	unsigned wt = 0;
	size_t n;

	/* the symbols first: a series may come before them */
	while (p < end) {
		p = fx_tag(p, end, &num, &wt);
		if (num == 4 && wt == WT_LEN) {
			p = fx_len(p, end, &n);
			w->sym[w->nsym++] = fill_str(w, p, n);
			p += n;
		} else
			p = fx_skip(NULL, p, end, wt, NULL);
	}
	for (p = start; p < end;) {
		p = fx_tag(p, end, &num, &wt);
		if (num == 5 && wt == WT_LEN) {
			p = fx_len(p, end, &n);
			fill_v2_series(w, w->s++, p, p + n);
			p += n;
		} else
			p = fx_skip(NULL, p, end, wt, NULL);
	}
}

/* Decodes raw (dlen bytes) into *out. Returns 1 when it declines (*why
 * says why), else 0 with the result in *st. */
static int
fast_decode(const uint8_t *raw, size_t dlen, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out,
    enum rw_status *st, enum rw__path *why, char *err, size_t errlen)
{
	struct fx f;
	struct fill w;
	struct chunk *c;
	struct rw_box *box;
	size_t size, o_series, o_labels, o_samples, o_sym, o_str;
	int rc;

	memset(&f, 0, sizeof(f));
	f.lim = lim;
	f.budget = arena_budget(dlen);
	f.why = RW__PATH_WIRE;
	rc = v == RW_V1 ? fx1_v1(&f, raw, raw + dlen) :
	    fx1_v2(&f, raw, raw + dlen);
	if (f.nomem) {
		seterr(err, errlen, "out of memory decoding the request");
		*st = RW_ERR_NOMEM;
		return 0;
	}
	if (rc == 0 && !ref_fits(&f, dlen)) {
		f.why = RW__PATH_BUDGET;
		rc = -1;
	}
	if (rc != 0) {
		*why = f.why;
		return 1;
	}

	/* one block: chunk header, box, series, labels, samples, symbols,
	 * strings; the sizes are bounded by ref_sum, itself <= the budget */
	o_series = CHUNK_HDR + BOX_SIZE;
	o_labels = o_series + f.nseries * sizeof(struct rw_series);
	o_samples = o_labels + f.nlabels * sizeof(struct rw_label);
	o_sym = o_samples + f.nsamples * sizeof(struct rw_sample);
	o_str = o_sym + f.nsymbols * sizeof(const char *);
	size = o_str + f.strbytes;
	if ((c = rw_alloc_fn(size)) == NULL) {
		seterr(err, errlen, "out of memory decoding the request");
		*st = RW_ERR_NOMEM;
		return 0;
	}
	c->next = NULL;
	c->size = size - CHUNK_HDR;
	c->used = c->size;
	box = (struct rw_box *)CHUNK_DATA(c);
	memset(box, 0, sizeof(*box));
	box->arena.head = c;
	box->arena.total = size;
	box->arena.budget = size;
	box->arena.free_fn = rw_free_fn;
	box->req.version = v;
	box->req.nseries = f.nseries;
	box->req.series = f.nseries > 0 ?
	    (struct rw_series *)((unsigned char *)c + o_series) : NULL;
	box->req.nhistograms = f.nhistograms;
	box->req.nexemplars = f.nexemplars;
	w.s = box->req.series;
	w.l = (struct rw_label *)((unsigned char *)c + o_labels);
	w.m = (struct rw_sample *)((unsigned char *)c + o_samples);
	w.sym = (const char **)((unsigned char *)c + o_sym);
	w.nsym = 0;
	w.str = (char *)c + o_str;
	if (v == RW_V1)
		fill_v1(&w, raw, raw + dlen);
	else
		fill_v2(&w, raw, raw + dlen);
	assert(f.nseries == 0 || w.s == box->req.series + f.nseries);
	assert((unsigned char *)w.str <= (unsigned char *)c + size);
	*st = validate(&box->req, lim, NULL, err, errlen);
	*out = &box->req;
	return 0;
}

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
	if (rw_alloc_fn != malloc || n > SPARE_MAX)
		return rw_alloc_fn(n);
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
	if (rw_alloc_fn != malloc || cap > SPARE_MAX) {
		rw_free_fn(p);
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
	lim->max_labels = 64;
	lim->max_name_len = 1024;
	lim->max_value_len = 4096;
}

static _Thread_local enum rw__path last_path;

enum rw__path
rw__last_path(void)
{
	return last_path;
}

/* Steps 1 and 2: the body's size, snappy's declared length, then the
 * decoded body in *raw (*cap bytes, from buf_get when cached, else from
 * rw_alloc_fn). */
static enum rw_status
decompress(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, int cached, uint8_t **raw, size_t *dlenp,
    size_t *cap, char *err, size_t errlen)
{
	size_t dlen = 0, olen;

	*raw = NULL;
	if (v != RW_V1 && v != RW_V2) {	/* cannot happen */
		seterr(err, errlen, "unknown remote-write version %d", (int)v);
		return RW_ERR_MEDIA;
	}
	if (len > lim->max_compressed) {
		seterr(err, errlen, "body is %zu bytes, limit is %zu", len,
		    lim->max_compressed);
		return RW_ERR_TOO_LARGE;
	}
	if (len == 0 || snappy_uncompressed_length(body, len, &dlen) !=
	    SNAPPY_OK) {
		seterr(err, errlen, "snappy: %s", len == 0 ? "empty body" :
		    "bad length header (not snappy block format?)");
		return RW_ERR_SNAPPY;
	}
	if (dlen > lim->max_decoded) {
		seterr(err, errlen, "snappy: body declares %zu decoded bytes, "
		    "limit is %zu", dlen, lim->max_decoded);
		return RW_ERR_TOO_LARGE;
	}
	*cap = dlen > 0 ? dlen : 1;
	*raw = cached ? buf_get(*cap, cap) : rw_alloc_fn(*cap);
	if (*raw == NULL) {
		seterr(err, errlen, "out of memory for %zu decoded bytes",
		    dlen);
		return RW_ERR_NOMEM;
	}
	olen = dlen;
	if (snappy_uncompress(body, len, (char *)*raw, &olen) != SNAPPY_OK ||
	    olen != dlen) {
		seterr(err, errlen, "snappy: corrupt block data");
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
	seterr(err, errlen, "%s", "");
	result = decompress(body, len, v, lim, 0, &raw, &dlen, &cap, err,
	    errlen);
	if (result == RW_OK)
		result = ref_decode_raw(raw, dlen, v, lim, out, err, errlen);
	if (raw != NULL)
		rw_free_fn(raw);
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
	seterr(err, errlen, "%s", "");
	result = decompress(body, len, v, lim, 1, &raw, &dlen, &cap, err,
	    errlen);
	if (result == RW_OK) {
		why = RW__PATH_FAST;
		if (fast_decode(raw, dlen, v, lim, out, &result, &why, err,
		    errlen) != 0)
			result = ref_decode_raw(raw, dlen, v, lim, out, err,
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
		seterr(err, errlen, "missing Content-Type (want %s)", want);
		return -1;
	}
	quote(shown, sizeof(shown), ct);

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
		sb_init(&b, val, sizeof(val));
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				unsigned char c;

				if (*p == '\\')
					p++;
				c = (unsigned char)*p;
				if (c == '\0' || (c < ' ' && c != '\t') ||
				    c == 0x7f)
					goto malformed;
				sb_putc(&b, *p);
			}
			p++;
		} else {
			const char *vstart = p;

			p = skip_token(p);
			if (p == vstart)
				goto malformed;
			while (vstart < p)
				sb_putc(&b, *vstart++);
		}
		if ((size_t)(nameend - name) == 5 &&
		    strncasecmp(name, "proto", 5) == 0) {
			if (have_proto) {
				seterr(err, errlen, "malformed Content-Type "
				    "%s: two proto parameters", shown);
				return -1;
			}
			have_proto = 1;
			memcpy(proto, val, b.len + 1);
		}
	}

	if ((size_t)(typeend - type) != sizeof(want) - 1 ||
	    strncasecmp(type, want, sizeof(want) - 1) != 0) {
		seterr(err, errlen, "unsupported Content-Type %s (want %s)",
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
		seterr(err, errlen, "unsupported remote-write message %s (want "
		    "prometheus.WriteRequest or io.prometheus.write.v2.Request)",
		    quote(q, sizeof(q), proto));
		return -1;
	}
	return 0;

malformed:
	seterr(err, errlen, "malformed Content-Type %s", shown);
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

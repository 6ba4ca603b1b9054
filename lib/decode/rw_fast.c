/* rw_fast.c -- the remote-write streaming decoder (rw_decode_int.h), the
 * one rw_decode (rw_decode.c) tries first. What it declines goes to the
 * reference (rw_reference.c); both end in rw__validate (rw_validate.c). */
#include "rw_decode_int.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include "remote.pb-c.h"
#include "write_v2.pb-c.h"

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
 * RW_ERR_INVALID, with exactly the reference's result (the same rw__validate()
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
 * outgrow rw__arena_budget(); that depends on protobuf-c's allocations, so
 * pass 1 adds up what they would be (fx_alloc: protobuf-c's structs, pointer
 * arrays, strings, unknown fields, its ScannedMember slabs, and the
 * conversion's arrays) and ref_fits() bounds the arena's growth from that
 * sum. When the bound says the reference could run out, the reference
 * decides. Requests from Prometheus stay far below the bound.
 */

struct fx {
	const struct rw_limits *lim;
	size_t budget;		/* rw__arena_budget(dlen) of the reference */
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

/* Could the reference's arena outgrow its budget? (rw__arena_alloc: an
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
	t2 = (uint64_t)CHUNK_HDR + rw__arena_first(dlen) + y;
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
	    (blk = rw__alloc_fn(sizeof(max_align_t) + n)) == NULL) {
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
		rw__free_fn(blk);
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

/* Before one more sample of a series that has ns so far: -1 when it is
 * over max_samples, which the reference refuses in its scan, before it
 * allocates anything for the samples. */
static inline int
fx_sample_limit(struct fx *f, size_t ns)
{
	if (f->nsamples + ns < f->lim->max_samples)
		return 0;
	f->why = RW__PATH_LIMIT;
	return -1;
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
			if (fx_sample_limit(f, ns) != 0)
				return -1;
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
		if ((num == 4 || num == 5) && wt == WT_LEN)
			return -1;	/* a 2.0 Request's (rw_reference.c) */
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
			if (fx_sample_limit(f, ns) != 0)
				return -1;
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

int
rw__fast_decode(const uint8_t *raw, size_t dlen, enum rw_version v,
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
	f.budget = rw__arena_budget(dlen);
	f.why = RW__PATH_WIRE;
	rc = v == RW_V1 ? fx1_v1(&f, raw, raw + dlen) :
	    fx1_v2(&f, raw, raw + dlen);
	if (f.nomem) {
		rw__seterr(err, errlen, "out of memory decoding the request");
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
	if ((c = rw__alloc_fn(size)) == NULL) {
		rw__seterr(err, errlen, "out of memory decoding the request");
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
	box->arena.free_fn = rw__free_fn;
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
	*st = rw__validate(&box->req, lim, NULL, err, errlen);
	*out = &box->req;
	return 0;
}

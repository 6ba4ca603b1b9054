/* rw_reference.c -- the remote-write reference decoder (rw_decode_int.h):
 * the wire scan, protobuf-c's generic unpack into the arena (rw_arena.c),
 * the conversion into struct rw_request, then rw__validate (rw_validate.c).
 * It writes every error message about a malformed message: rw_decode
 * (rw_decode.c) asks it whenever the streaming decoder (rw_fast.c)
 * declines. */
#include "rw_decode_int.h"

#include <inttypes.h>
#include <string.h>

#include "remote.pb-c.h"
#include "write_v2.pb-c.h"

/*
 * Wire scan (https://protobuf.dev/programming-guides/encoding/): walks the
 * messages protobuf-c is about to unpack, for messages that say where and
 * what, and for the limits that must hold before unpacking. Messages the
 * daemon ignores (exemplars, histograms, metadata) are framed but not
 * entered; protobuf-c still checks them.
 */

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
#define WF_SAMPLE	0x10	/* one sample: counted against max_samples */
#define WF_OTHER	0x20	/* the other version's, with this wire type:
				   its presence is an error */
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
	{ 2, "samples", WT_LEN, WF_SAMPLE, &v1_sample },
	{ 3, "exemplars", WT_LEN, 0, NULL },
	{ 4, "histograms", WT_LEN, 0, NULL },
};
static const struct wmsg v1_series = {
	"prometheus.TimeSeries", v1_series_f, NELEM(v1_series_f)
};
/* 4 and 5 are unknown to 1.0; as length-delimited fields they are the
 * symbols and timeseries of a 2.0 Request, which a 1.0 decoder would skip
 * whole, answering 2xx for a request it dropped. Prometheus' receiver
 * (storage/remote/write_handler.go) trusts Content-Type alone; the body
 * tells too, so a 2.0 body under 1.0 headers is refused (400) as a 1.0
 * body under 2.0 headers is (fields 1 to 3, reserved in 2.0). */
static const struct wfield v1_request_f[] = {
	{ 1, "timeseries", WT_LEN, WF_SERIES, &v1_series },
	{ 3, "metadata", WT_LEN, 0, NULL },
	{ 4, "symbols", WT_LEN, WF_OTHER, NULL },
	{ 5, "timeseries", WT_LEN, WF_OTHER, NULL },
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
	{ 2, "samples", WT_LEN, WF_SAMPLE, &v2_sample },
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
	size_t nsamples;
	size_t max_samples;
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
	rw__seterr(sc->err, sc->errlen, "protobuf: %s %s at byte %zu (in %s)",
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
			rw__seterr(sc->err, sc->errlen, "protobuf: labels_refs "
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
			rw__seterr(sc->err, sc->errlen, "protobuf: invalid "
			    "field number %" PRIu64 " at byte %zu (in %s)",
			    num, (size_t)(at - sc->base), m->name);
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
				rw__seterr(sc->err, sc->errlen, "protobuf: "
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
				rw__seterr(sc->err, sc->errlen, "protobuf: "
				    "field %" PRIu64 " at byte %zu is %" PRIu64
				    " bytes long, only %zu left (in %s)", num,
				    (size_t)(at - sc->base), len,
				    (size_t)(end - p), m->name);
				return RW_ERR_PROTO;
			}
			data = p;
			p += len;
			break;
		default:
			rw__seterr(sc->err, sc->errlen, "protobuf: field %"
			    PRIu64 " at byte %zu has wire type %s, which is "
			    "not supported (in %s)", num,
			    (size_t)(at - sc->base), wt_names[wt], m->name);
			return RW_ERR_PROTO;
		}

		for (f = NULL, i = 0; i < m->nfields; i++)
			if (m->fields[i].num == num)
				f = &m->fields[i];
		if (f == NULL || ((f->flags & WF_OTHER) && wt != f->wt))
			continue;	/* unknown: skipped, as the spec says */
		if (f->flags & WF_OTHER) {
			rw__seterr(sc->err, sc->errlen, "protobuf: %s has "
			    "field %" PRIu64 ", which is %s of "
			    "io.prometheus.write.v2.Request (a 2.0 request sent "
			    "as 1.0? Its Content-Type must say "
			    "proto=io.prometheus.write.v2.Request)", m->name,
			    num, f->name);
			return RW_ERR_PROTO;
		}
		if (f->flags & WF_RESERVED) {
			rw__seterr(sc->err, sc->errlen, "protobuf: %s has "
			    "field %" PRIu64 ", which is reserved (a 1.0 "
			    "prometheus.WriteRequest sent as 2.0?)", m->name,
			    num);
			return RW_ERR_PROTO;
		}
		if (wt != f->wt && !((f->flags & WF_PACKED) && wt == WT_LEN)) {
			rw__seterr(sc->err, sc->errlen, "protobuf: %s field %"
			    PRIu64 " (%s) at byte %zu has wire type %s, want "
			    "%s", m->name, num, f->name,
			    (size_t)(at - sc->base), wt_names[wt],
			    wt_names[f->wt]);
			return RW_ERR_PROTO;
		}
		if ((f->flags & WF_NONUL) && memchr(data, 0, len) != NULL) {
			rw__seterr(sc->err, sc->errlen, "protobuf: %s field %s "
			    "at byte %zu contains a NUL byte", m->name,
			    f->name, (size_t)(at - sc->base));
			return RW_ERR_PROTO;
		}
		if ((f->flags & WF_SERIES) && ++sc->nseries > sc->max_series) {
			rw__seterr(sc->err, sc->errlen, "more than %zu series "
			    "in one request", sc->max_series);
			return RW_ERR_TOO_LARGE;
		}
		if ((f->flags & WF_SAMPLE) &&
		    ++sc->nsamples > sc->max_samples) {
			rw__seterr(sc->err, sc->errlen, "more than %zu samples "
			    "in one request", sc->max_samples);
			return RW_ERR_TOO_LARGE;
		}
		if ((f->flags & WF_PACKED) && wt == WT_LEN) {
			result = scan_packed_u32(sc, m, data, data + len);
			if (result != RW_OK)
				return result;
		} else if ((f->flags & WF_PACKED) && val > UINT32_MAX) {
			rw__seterr(sc->err, sc->errlen, "protobuf: %s value %"
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
	r->series = rw__arena_array(a, r->nseries, sizeof(*r->series));
	if (r->nseries > 0 && r->series == NULL)
		return rw__arena_failed(a, err, errlen);
	if (r->nseries > 0)
		memset(r->series, 0, r->nseries * sizeof(*r->series));
	for (i = 0; i < wr->n_timeseries; i++) {
		const Prometheus__TimeSeries *ts = wr->timeseries[i];
		struct rw_series *s = &r->series[i];

		s->valid = 1;
		s->nlabels = ts->n_labels;
		s->labels = rw__arena_array(a, s->nlabels, sizeof(*s->labels));
		s->nsamples = ts->n_samples;
		s->samples = rw__arena_array(a, s->nsamples,
		    sizeof(*s->samples));
		if ((s->nlabels > 0 && s->labels == NULL) ||
		    (s->nsamples > 0 && s->samples == NULL))
			return rw__arena_failed(a, err, errlen);
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
		rw__seterr(err, errlen, "protobuf: symbols[0] is %s, the 2.0 "
		    "spec wants \"\"", rw__quote(q, sizeof(q), wr->symbols[0]));
		return RW_ERR_PROTO;
	}
	r->nseries = wr->n_timeseries;
	r->series = rw__arena_array(a, r->nseries, sizeof(*r->series));
	if (r->nseries > 0 && r->series == NULL)
		return rw__arena_failed(a, err, errlen);
	if (r->nseries > 0)
		memset(r->series, 0, r->nseries * sizeof(*r->series));
	for (i = 0; i < wr->n_timeseries; i++) {
		const Io__Prometheus__Write__V2__TimeSeries *ts =
		    wr->timeseries[i];
		struct rw_series *s = &r->series[i];
		char why[128];

		s->valid = 1;
		s->nsamples = ts->n_samples;
		s->samples = rw__arena_array(a, s->nsamples,
		    sizeof(*s->samples));
		if (s->nsamples > 0 && s->samples == NULL)
			return rw__arena_failed(a, err, errlen);
		for (j = 0; j < ts->n_samples; j++) {
			s->samples[j].value = ts->samples[j]->value;
			s->samples[j].ts_ms = ts->samples[j]->timestamp;
		}
		r->nexemplars += ts->n_exemplars;
		r->nhistograms += ts->n_histograms;

		why[0] = '\0';
		if (ts->n_labels_refs % 2 != 0)
			rw__seterr(why, sizeof(why), "odd number of "
			    "labels_refs (%zu)", ts->n_labels_refs);
		for (j = 0; why[0] == '\0' && j < ts->n_labels_refs; j++)
			if (ts->labels_refs[j] >= wr->n_symbols)
				rw__seterr(why, sizeof(why), "labels_refs[%zu] "
				    "= %" PRIu32 " out of range (%zu symbols)",
				    j, ts->labels_refs[j], wr->n_symbols);
		if (why[0] != '\0') {
			size_t n = strlen(why) + 1;

			if (bad == NULL) {
				bad = rw__arena_array(a, wr->n_timeseries,
				    sizeof(*bad));
				if (bad == NULL)
					return rw__arena_failed(a, err, errlen);
				memset(bad, 0, wr->n_timeseries * sizeof(*bad));
			}
			if ((bad[i] = rw__arena_alloc(a, n)) == NULL)
				return rw__arena_failed(a, err, errlen);
			memcpy(bad[i], why, n);
			s->valid = 0;
			continue;
		}
		s->nlabels = ts->n_labels_refs / 2;
		s->labels = rw__arena_array(a, s->nlabels, sizeof(*s->labels));
		if (s->nlabels > 0 && s->labels == NULL)
			return rw__arena_failed(a, err, errlen);
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
		return rw__arena_failed(a, err, errlen);
	/* the scan passed, so the fault is where it does not look */
	rw__seterr(err, errlen, "protobuf: cannot unpack %s (bad exemplar, "
	    "histogram or metadata?)", v == RW_V1 ? v1_request.name :
	    v2_request.name);
	return RW_ERR_PROTO;
}

/*
 * The reference decoder: the wire scan, protobuf-c's generic unpack into
 * the arena, then the conversion. rw_decode answers with it whenever the
 * streaming decoder (rw_fast.c) declines; tests and the fuzz harness
 * compare the two (rw__decode_reference).
 */

enum rw_status
rw__ref_decode_raw(const uint8_t *raw, size_t dlen, enum rw_version v,
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
	sc.nsamples = 0;
	sc.max_series = lim->max_series;
	sc.max_samples = lim->max_samples;
	sc.err = err;
	sc.errlen = errlen;
	result = scan_msg(&sc, v == RW_V1 ? &v1_request : &v2_request, raw,
	    raw + dlen);
	if (result != RW_OK)
		goto out;

	if ((box = rw__box_new(dlen)) == NULL) {
		rw__seterr(err, errlen, "out of memory decoding the request");
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
	result = rw__validate(&box->req, lim, bad, err, errlen);
	*out = &box->req;
	box = NULL;
out:
	if (box != NULL)
		rw_request_free(&box->req);
	return result;
}

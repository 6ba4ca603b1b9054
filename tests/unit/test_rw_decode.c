/* test_rw_decode.c -- the remote-write decoder (lib/decode/rw_*.c, API
 * rw_decode.h) against real Prometheus 2.42 payloads
 * (tests/data/rw/README.txt), hand-built 2.0 requests, and one malformed
 * request per class of error. Run from the top of the tree. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include <snappy-c.h>

#include "buf.h"
#include "remote.pb-c.h"
#include "rw_decode.h"
#include "t.h"
#include "write_v2.pb-c.h"

#define DATA	"tests/data/rw/"
#define STALE_BITS	0x7ff0000000000002ULL

/*
 * A counting allocator (rw__set_allocator): live and peak bytes, the
 * largest single request, and an optional failure at the Nth call.
 */

static size_t a_calls, a_live, a_peak, a_largest, a_fail_at = SIZE_MAX;
static size_t a_nalloc, a_nfree;

static void *
t_alloc(size_t n)
{
	size_t *p;

	if (a_calls++ == a_fail_at)
		return NULL;
	if (n > a_largest)
		a_largest = n;
	if ((p = malloc(n + sizeof(max_align_t))) == NULL)
		return NULL;
	*p = n;
	a_live += n;
	if (a_live > a_peak)
		a_peak = a_live;
	a_nalloc++;
	return (char *)p + sizeof(max_align_t);
}

static void
t_free(void *q)
{
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)(void *)((char *)q - sizeof(max_align_t));
	a_live -= *p;
	a_nfree++;
	free(p);
}

static void count_on(void);

static void
count_start(size_t fail_at)
{
	count_on();
	a_calls = a_live = a_peak = a_largest = a_nalloc = a_nfree = 0;
	a_fail_at = fail_at;
	rw__set_allocator(t_alloc, t_free);
}

static int counting;

static void
count_stop(void)
{
	counting = 0;
	rw__set_allocator(NULL, NULL);
}

/*
 * Differential testing: every rw_decode in this file also runs the
 * reference decoder (rw__decode_reference: wire scan + protobuf-c) on the
 * same body and must give the same status, message and request, field by
 * field. The streaming decoder must also have answered itself whenever
 * the reference accepted (unless it declined for unresolvable 2.0 refs or
 * the reference's memory budget), and declined for a malformed message
 * only when the reference refused it. Not while allocations are counted.
 */

static size_t diff_runs, diff_fast, diff_fail, diff_taken, diff_refs,
    diff_budget;

static void
count_on(void)
{
	counting = 1;
}

static int
same_series_exact(const struct rw_series *x, const struct rw_series *y)
{
	size_t j;

	if (x->nlabels != y->nlabels || x->nsamples != y->nsamples ||
	    x->valid != y->valid || (x->labels == NULL) != (y->labels == NULL) ||
	    (x->samples == NULL) != (y->samples == NULL))
		return 0;
	for (j = 0; j < x->nlabels; j++)
		if (strcmp(x->labels[j].name, y->labels[j].name) != 0 ||
		    strcmp(x->labels[j].value, y->labels[j].value) != 0)
			return 0;
	for (j = 0; j < x->nsamples; j++)
		if (x->samples[j].ts_ms != y->samples[j].ts_ms ||
		    memcmp(&x->samples[j].value, &y->samples[j].value,
		    sizeof(double)) != 0)
			return 0;
	return 1;
}

/* Where two decoded requests differ, or NULL. */
static const char *
request_diff(const struct rw_request *a, const struct rw_request *b)
{
	size_t i;

	if ((a == NULL) != (b == NULL))
		return "one request is NULL";
	if (a == NULL)
		return NULL;
	if (a->version != b->version || a->nseries != b->nseries ||
	    a->ninvalid != b->ninvalid || a->nsamples != b->nsamples ||
	    a->nhistograms != b->nhistograms ||
	    a->nexemplars != b->nexemplars ||
	    (a->series == NULL) != (b->series == NULL))
		return "request counts";
	for (i = 0; i < a->nseries; i++)
		if (!same_series_exact(&a->series[i], &b->series[i]))
			return "a series";
	return NULL;
}

static enum rw_status
diff_rw_decode(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out, char *err,
    size_t errlen)
{
	struct rw_request *ref = NULL;
	enum rw_status st, rst;
	enum rw__path path;
	char rerr[4096], ferr[4096];
	const char *d;

	st = rw_decode(body, len, v, lim, out, err, errlen);
	if (counting)
		return st;
	path = rw__last_path();
	/* the full message, whatever the caller's buffer */
	(void)rw_decode(body, len, v, lim, &ref, ferr, sizeof(ferr));
	rw_request_free(ref);
	ref = NULL;
	rst = rw__decode_reference(body, len, v, lim, &ref, rerr,
	    sizeof(rerr));
	diff_runs++;
	diff_fast += path == RW__PATH_FAST;
	diff_refs += path == RW__PATH_REFS;
	diff_budget += path == RW__PATH_BUDGET;
	diff_taken += rst == RW_OK || rst == RW_ERR_INVALID;
	d = NULL;
	if (st != rst)
		d = "status";
	else if (strcmp(ferr, rerr) != 0)
		d = "message";
	else if ((d = request_diff(*out, ref)) != NULL)
		;
	else if ((rst == RW_OK || rst == RW_ERR_INVALID) &&
	    (path == RW__PATH_WIRE || path == RW__PATH_LIMIT))
		d = "the streaming decoder refused what the reference took";
	else if (rst != RW_OK && rst != RW_ERR_INVALID &&
	    path == RW__PATH_FAST)
		d = "the streaming decoder took what the reference refused";
	if (d != NULL) {
		diff_fail++;
		T_FAIL("differential: %s differs (v%d, %zu bytes): streaming "
		    "%s \"%s\" (path %d), reference %s \"%s\"", d, (int)v + 1,
		    len, rw_status_reason(st), ferr, (int)path,
		    rw_status_reason(rst), rerr);
	}
	rw_request_free(ref);
	return st;
}

#define rw_decode diff_rw_decode

/*
 * Helpers.
 */

static char *
compress(const void *raw, size_t n, size_t *clen)
{
	char *c;

	*clen = snappy_max_compressed_length(n);
	if ((c = malloc(*clen)) == NULL)
		return NULL;
	if (snappy_compress(raw, n, c, clen) != SNAPPY_OK) {
		free(c);
		return NULL;
	}
	return c;
}

/* Decodes with the default limits. */
static enum rw_status
decode(const void *body, size_t len, enum rw_version v,
    struct rw_request **r, char *err, size_t errlen)
{
	struct rw_limits lim;

	rw_limits_default(&lim);
	return rw_decode(body, len, v, &lim, r, err, errlen);
}

static enum rw_status
decode_file(const char *name, enum rw_version v, struct rw_request **r,
    char *err, size_t errlen)
{
	enum rw_status st;
	size_t len;
	char *body;

	*r = NULL;
	if ((body = t_read_file(name, &len)) == NULL) {
		T_FAIL("cannot read %s", name);
		return RW_ERR_NOMEM;
	}
	st = decode(body, len, v, r, err, errlen);
	free(body);
	return st;
}

static const char *
label(const struct rw_series *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

/* The first series with these labels (name, value, ..., NULL). */
static const struct rw_series *
find(const struct rw_request *r, ...)
{
	size_t i;

	for (i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];
		const char *n, *v, *have;
		int ok = 1;
		va_list ap;

		va_start(ap, r);
		while (ok && (n = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			have = label(s, n);
			ok = have != NULL && strcmp(have, v) == 0;
		}
		va_end(ap);
		if (ok)
			return s;
	}
	return NULL;
}

static size_t
count_stale(const struct rw_request *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->nseries; i++)
		for (j = 0; j < r->series[i].nsamples; j++)
			n += rw_is_stale(r->series[i].samples[j].value);
	return n;
}

static int
sorted(const struct rw_series *s)
{
	size_t i;

	for (i = 1; i < s->nlabels; i++)
		if (strcmp(s->labels[i - 1].name, s->labels[i].name) >= 0)
			return 0;
	return 1;
}

static double
from_bits(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t
to_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

/*
 * Building requests. A test series: labels as name, value pairs ending with
 * NULL, then samples.
 */

#define MAXL	16
#define MAXS	4

struct tseries {
	const char *l[2 * MAXL + 1];
	size_t ns;
	double v[MAXS];
	int64_t t[MAXS];
};

#define MAXTS	8

/* A 1.0 request of n series, packed with protobuf-c and compressed. */
static char *
pack_v1(const struct tseries *ts, size_t n, size_t *clen)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries tss[MAXTS], *tsp[MAXTS];
	Prometheus__Label lb[MAXTS][MAXL], *lbp[MAXTS][MAXL];
	Prometheus__Sample sm[MAXTS][MAXS], *smp[MAXTS][MAXS];
	uint8_t *raw;
	size_t i, j, len;
	char *c;

	for (i = 0; i < n; i++) {
		prometheus__time_series__init(&tss[i]);
		tsp[i] = &tss[i];
		for (j = 0; ts[i].l[2 * j] != NULL; j++) {
			prometheus__label__init(&lb[i][j]);
			lb[i][j].name = (char *)ts[i].l[2 * j];
			lb[i][j].value = (char *)ts[i].l[2 * j + 1];
			lbp[i][j] = &lb[i][j];
		}
		tss[i].n_labels = j;
		tss[i].labels = lbp[i];
		for (j = 0; j < ts[i].ns; j++) {
			prometheus__sample__init(&sm[i][j]);
			sm[i][j].value = ts[i].v[j];
			sm[i][j].timestamp = ts[i].t[j];
			smp[i][j] = &sm[i][j];
		}
		tss[i].n_samples = ts[i].ns;
		tss[i].samples = smp[i];
	}
	wr.n_timeseries = n;
	wr.timeseries = tsp;
	len = prometheus__write_request__get_packed_size(&wr);
	raw = malloc(len ? len : 1);
	prometheus__write_request__pack(&wr, raw);
	c = compress(raw, len, clen);
	free(raw);
	return c;
}

/* The 2.0 equivalent of a decoded request: symbols deduplicated in order of
 * first use (reversed when reverse is set, to show the order is the
 * sender's), labels as refs. */
static char *
pack_v2_from(const struct rw_request *r, int reverse, size_t *clen)
{
	Io__Prometheus__Write__V2__Request req =
	    IO__PROMETHEUS__WRITE__V2__REQUEST__INIT;
	Io__Prometheus__Write__V2__TimeSeries *tss, **tsp;
	Io__Prometheus__Write__V2__Sample *sm, **smp;
	char **sym;
	uint32_t *refs;
	size_t i, j, k, nsym = 1, nl = 0, ns = 0, len;
	uint8_t *raw;
	char *c;

	for (i = 0; i < r->nseries; i++) {
		nl += r->series[i].nlabels;
		ns += r->series[i].nsamples;
	}
	sym = calloc(2 * nl + 1, sizeof(*sym));
	refs = calloc(2 * nl + 1, sizeof(*refs));
	tss = calloc(r->nseries + 1, sizeof(*tss));
	tsp = calloc(r->nseries + 1, sizeof(*tsp));
	sm = calloc(ns + 1, sizeof(*sm));
	smp = calloc(ns + 1, sizeof(*smp));
	sym[0] = "";
	/* symbols first, so that reversing them is easy */
	for (i = 0; i < r->nseries; i++)
		for (j = 0; j < 2 * r->series[i].nlabels; j++) {
			const struct rw_label *l = &r->series[i].labels[j / 2];
			const char *s = j % 2 ? l->value : l->name;

			for (k = 1; k < nsym && strcmp(sym[k], s) != 0; k++)
				;
			if (k == nsym)
				sym[nsym++] = (char *)s;
		}
	for (i = 1; reverse && i < nsym / 2 + 1 && i < nsym - i; i++) {
		char *t = sym[i];

		sym[i] = sym[nsym - i];
		sym[nsym - i] = t;
	}
	nl = ns = 0;
	for (i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];

		io__prometheus__write__v2__time_series__init(&tss[i]);
		tsp[i] = &tss[i];
		tss[i].labels_refs = &refs[nl];
		tss[i].n_labels_refs = 2 * s->nlabels;
		for (j = 0; j < 2 * s->nlabels; j++) {
			const char *str = j % 2 ? s->labels[j / 2].value :
			    s->labels[j / 2].name;

			for (k = 1; strcmp(sym[k], str) != 0; k++)
				;
			refs[nl++] = (uint32_t)k;
		}
		tss[i].samples = &smp[ns];
		tss[i].n_samples = s->nsamples;
		for (j = 0; j < s->nsamples; j++) {
			io__prometheus__write__v2__sample__init(&sm[ns]);
			sm[ns].value = s->samples[j].value;
			sm[ns].timestamp = s->samples[j].ts_ms;
			smp[ns] = &sm[ns];
			ns++;
		}
	}
	req.n_symbols = nsym;
	req.symbols = sym;
	req.n_timeseries = r->nseries;
	req.timeseries = tsp;
	len = io__prometheus__write__v2__request__get_packed_size(&req);
	raw = malloc(len ? len : 1);
	io__prometheus__write__v2__request__pack(&req, raw);
	c = compress(raw, len, clen);
	free(raw);
	free(sym);
	free(refs);
	free(tss);
	free(tsp);
	free(sm);
	free(smp);
	return c;
}

static int
same_request(const struct rw_request *a, const struct rw_request *b)
{
	size_t i, j;

	if (a->nseries != b->nseries || a->nsamples != b->nsamples ||
	    a->ninvalid != b->ninvalid)
		return 0;
	for (i = 0; i < a->nseries; i++) {
		const struct rw_series *x = &a->series[i], *y = &b->series[i];

		if (x->nlabels != y->nlabels || x->nsamples != y->nsamples ||
		    x->valid != y->valid)
			return 0;
		for (j = 0; j < x->nlabels; j++)
			if (strcmp(x->labels[j].name, y->labels[j].name) != 0 ||
			    strcmp(x->labels[j].value, y->labels[j].value) != 0)
				return 0;
		for (j = 0; j < x->nsamples; j++)
			if (x->samples[j].ts_ms != y->samples[j].ts_ms ||
			    to_bits(x->samples[j].value) !=
			    to_bits(y->samples[j].value))
				return 0;
	}
	return 1;
}

/* A minimal protobuf writer for requests protobuf-c would not produce. */
static void
w_varint(struct buf *b, uint64_t v)
{
	unsigned char c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v != 0)
			c |= 0x80;
		buf_append(b, &c, 1);
	} while (v != 0);
}

static void
w_len(struct buf *b, uint32_t num, const void *p, size_t n)
{
	w_varint(b, (uint64_t)num << 3 | 2);
	w_varint(b, n);
	buf_append(b, p, n);
}

static void
w_str(struct buf *b, uint32_t num, const char *s)
{
	w_len(b, num, s, strlen(s));
}

/* Compresses b's bytes and decodes them. */
static enum rw_status
decode_raw(const void *raw, size_t n, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **r, char *err,
    size_t errlen)
{
	struct rw_limits dflt;
	enum rw_status st;
	size_t clen;
	char *c;

	if (lim == NULL) {
		rw_limits_default(&dflt);
		lim = &dflt;
	}
	if ((c = compress(raw, n, &clen)) == NULL)
		return RW_ERR_NOMEM;
	st = rw_decode(c, clen, v, lim, r, err, errlen);
	free(c);
	return st;
}

/*
 * Content-Type, status names, staleness.
 */

TEST(content_type)
{
	static const struct {
		const char *ct;
		int want;	/* RW_V1, RW_V2 or -1 */
		const char *msg;
	} c[] = {
		{ "application/x-protobuf", RW_V1, NULL },
		{ "Application/X-Protobuf", RW_V1, NULL },
		{ "  application/x-protobuf  ", RW_V1, NULL },
		{ "application/x-protobuf;proto=prometheus.WriteRequest",
		    RW_V1, NULL },
		{ "application/x-protobuf ; PROTO=\"prometheus.WriteRequest\"",
		    RW_V1, NULL },
		{ "application/x-protobuf;proto=io.prometheus.write.v2.Request",
		    RW_V2, NULL },
		{ "APPLICATION/x-protobuf;\tproto=io.prometheus.write.v2.Request ",
		    RW_V2, NULL },
		{ "application/x-protobuf; charset=utf-8; "
		    "Proto=\"io.prometheus.write.v2.Request\"", RW_V2, NULL },
		{ "application/x-protobuf;;proto=io.prometheus.write.v2.Request;",
		    RW_V2, NULL },
		{ "application/x-protobuf;proto=\"io.prometheus.write.v2.\\Request\"",
		    RW_V2, NULL },
		{ "text/plain", -1,
		    "unsupported Content-Type \"text/plain\" (want "
		    "application/x-protobuf)" },
		{ "application/json; proto=io.prometheus.write.v2.Request", -1,
		    "unsupported Content-Type" },
		{ "application/x-protobuf;proto=foo.Bar", -1,
		    "unsupported remote-write message \"foo.Bar\"" },
		{ "application/x-protobuf;proto=\"a b\"", -1,
		    "unsupported remote-write message \"a b\"" },
		{ "application/x-protobuf;proto=prometheus.WriteRequest;"
		    "proto=io.prometheus.write.v2.Request", -1,
		    "two proto parameters" },
		{ "application/x-protobuf;proto", -1, "malformed Content-Type" },
		{ "application/x-protobuf;proto =x", -1, "malformed" },
		{ "application/x-protobuf;proto=\"unterminated", -1,
		    "malformed" },
		{ "application/", -1, "malformed" },
		{ "/x-protobuf", -1, "malformed" },
		{ "application/x-protobuf garbage", -1, "malformed" },
		{ "", -1, "missing Content-Type" },
		{ "text/plain\n", -1, "\"text/plain\\n\"" },
	};
	char err[256];
	enum rw_version v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		err[0] = '\0';
		v = (enum rw_version)-1;
		rc = rw_content_type(c[i].ct, &v, err, sizeof(err));
		if (c[i].want < 0) {
			if (rc != -1)
				T_FAIL("\"%s\" accepted", c[i].ct);
			CHECK_CONTAINS(err, c[i].msg);
		} else if (rc != 0 || (int)v != c[i].want)
			T_FAIL("\"%s\": rc %d v %d (%s), want v %d", c[i].ct,
			    rc, (int)v, err, c[i].want);
	}
	CHECK_INT(rw_content_type(NULL, &v, err, sizeof(err)), -1);
	CHECK_STR(err, "missing Content-Type (want application/x-protobuf)");
	/* a NULL or short err buffer is fine */
	CHECK_INT(rw_content_type("text/plain", &v, NULL, 0), -1);
	CHECK_INT(rw_content_type("text/plain", &v, err, 4), -1);
	CHECK_STR(err, "uns");
}

TEST(status_reason)
{
	CHECK_STR(rw_status_reason(RW_OK), "ok");
	CHECK_STR(rw_status_reason(RW_ERR_MEDIA), "unsupported_media_type");
	CHECK_STR(rw_status_reason(RW_ERR_TOO_LARGE), "too_large");
	CHECK_STR(rw_status_reason(RW_ERR_SNAPPY), "snappy");
	CHECK_STR(rw_status_reason(RW_ERR_PROTO), "protobuf");
	CHECK_STR(rw_status_reason(RW_ERR_INVALID), "invalid");
	CHECK_STR(rw_status_reason(RW_ERR_NOMEM), "out_of_memory");
}

TEST(stale_marker)
{
	CHECK(rw_is_stale(from_bits(STALE_BITS)));
	CHECK(isnan(from_bits(STALE_BITS)));
	CHECK(!rw_is_stale(NAN));
	CHECK(!rw_is_stale(-NAN));
	CHECK(!rw_is_stale(from_bits(0x7ff8000000000001ULL)));
	CHECK(!rw_is_stale(from_bits(0x7ff0000000000001ULL)));
	CHECK(!rw_is_stale(from_bits(0xfff0000000000002ULL)));
	CHECK(!rw_is_stale(INFINITY));
	CHECK(!rw_is_stale(0.0));
	CHECK(!rw_is_stale(1.0));
}

/*
 * Captured Prometheus 2.42 payloads.
 */

/* Every series of a captured payload: valid, sorted, with __name__, the
 * external labels, and one sample at a 2020..2100 millisecond timestamp. */
static void
check_captured(const struct rw_request *r)
{
	size_t i;

	CHECK_INT(r->version, RW_V1);
	CHECK_INT(r->ninvalid, 0);
	CHECK_INT(r->nhistograms, 0);
	CHECK_INT(r->nexemplars, 0);
	CHECK_INT(r->nsamples, r->nseries);
	for (i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];

		if (!s->valid || !sorted(s) || s->nsamples != 1 ||
		    label(s, "__name__") == NULL ||
		    strcmp(s->labels[0].name, "__name__") != 0 ||
		    label(s, "cluster") == NULL ||
		    strcmp(label(s, "cluster"), "test") != 0 ||
		    label(s, "replica") == NULL ||
		    strcmp(label(s, "replica"), "a") != 0 ||
		    s->samples[0].ts_ms < INT64_C(1577836800000) ||
		    s->samples[0].ts_ms > INT64_C(4102444800000)) {
			T_FAIL("series %zu is not as captured", i);
			return;
		}
	}
}

TEST(captured_alerts_only)
{
	static const char *const want[] = { "__name__", "ALERTS",
	    "alertname", "AlwaysFiring", "alertstate", "firing", "cluster",
	    "test", "replica", "a", "severity", "critical", "team", "infra" };
	struct rw_request *r;
	const struct rw_series *s, *fs;
	char err[256];
	size_t i;

	CHECK_INT(decode_file(DATA "v1_alerts_only.snappy", RW_V1, &r, err,
	    sizeof(err)), RW_OK);
	CHECK_STR(err, "");
	if (r == NULL)
		return;
	CHECK_INT(r->nseries, 4);
	CHECK_INT(r->nsamples, 4);
	check_captured(r);
	/* the first series exactly, in Prometheus' order */
	s = &r->series[0];
	CHECK_INT(s->nlabels, 7);
	for (i = 0; i < 7 && i < s->nlabels; i++) {
		CHECK_STR(s->labels[i].name, want[2 * i]);
		CHECK_STR(s->labels[i].value, want[2 * i + 1]);
	}
	CHECK(s->samples[0].value == 1.0);
	/* ALERTS_FOR_STATE: no alertstate, value = activeAt in seconds */
	fs = find(r, "__name__", "ALERTS_FOR_STATE", "alertname",
	    "AlwaysFiring", NULL);
	CHECK(fs != NULL);
	if (fs != NULL) {
		CHECK(label(fs, "alertstate") == NULL);
		CHECK_INT(fs->nlabels, 6);
		CHECK(fs->samples[0].value > 1577836800.0);
		CHECK(fs->samples[0].value * 1000 <=
		    (double)fs->samples[0].ts_ms);
	}
	s = find(r, "__name__", "ALERTS", "alertname", "LongPending", NULL);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR(label(s, "alertstate"), "pending");
		CHECK_STR(label(s, "severity"), "warning");
		CHECK_STR(label(s, "team"), "db");
	}
	CHECK_INT(count_stale(r), 0);
	rw_request_free(r);
}

TEST(captured_pending_firing)
{
	struct rw_request *r;
	const struct rw_series *s;
	char err[256];

	CHECK_INT(decode_file(DATA "v1_alerts_pending_firing.snappy", RW_V1,
	    &r, err, sizeof(err)), RW_OK);
	if (r == NULL)
		return;
	CHECK_INT(r->nseries, 409);
	check_captured(r);
	CHECK(find(r, "__name__", "ALERTS", "alertname", "AlwaysFiring",
	    "alertstate", "firing", NULL) != NULL);
	CHECK(find(r, "__name__", "ALERTS", "alertname", "LongPending",
	    "alertstate", "pending", NULL) != NULL);
	CHECK(find(r, "__name__", "ALERTS", "alertname", "Flappy",
	    "alertstate", "pending", "severity", "info", "team", "web",
	    NULL) != NULL);
	CHECK(find(r, "__name__", "ALERTS_FOR_STATE", "alertname", "Flappy",
	    NULL) != NULL);
	/* Prometheus scraping itself: non-ALERTS series too */
	s = find(r, "__name__", "up", "job", "prometheus", NULL);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK(s->samples[0].value == 1.0);
		CHECK_CONTAINS(label(s, "instance"), "127.0.0.1:");
	}
	CHECK(find(r, "__name__", "scrape_samples_scraped", NULL) != NULL);
	CHECK_INT(count_stale(r), 0);
	rw_request_free(r);
}

TEST(captured_stale_pending_to_firing)
{
	struct rw_request *r;
	const struct rw_series *s;
	char err[256];

	CHECK_INT(decode_file(DATA "v1_stale_pending_to_firing.snappy", RW_V1,
	    &r, err, sizeof(err)), RW_OK);
	if (r == NULL)
		return;
	check_captured(r);
	/* the pending series is staled when the alert turns firing */
	s = find(r, "__name__", "ALERTS", "alertname", "Flappy",
	    "alertstate", "pending", NULL);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK(rw_is_stale(s->samples[0].value));
		CHECK(isnan(s->samples[0].value));
	}
	s = find(r, "__name__", "ALERTS", "alertname", "Flappy",
	    "alertstate", "firing", NULL);
	CHECK(s != NULL);
	if (s != NULL)
		CHECK(s->samples[0].value == 1.0);
	CHECK_INT(count_stale(r), 1);
	rw_request_free(r);
}

TEST(captured_stale_resolved)
{
	struct rw_request *r;
	const struct rw_series *s;
	char err[256];

	CHECK_INT(decode_file(DATA "v1_stale_resolved.snappy", RW_V1, &r, err,
	    sizeof(err)), RW_OK);
	if (r == NULL)
		return;
	check_captured(r);
	/* resolving stales both the firing series and its for-state */
	s = find(r, "__name__", "ALERTS", "alertname", "Flappy",
	    "alertstate", "firing", NULL);
	CHECK(s != NULL && rw_is_stale(s->samples[0].value));
	s = find(r, "__name__", "ALERTS_FOR_STATE", "alertname", "Flappy",
	    NULL);
	CHECK(s != NULL && rw_is_stale(s->samples[0].value));
	CHECK_INT(count_stale(r), 2);
	s = find(r, "__name__", "ALERTS", "alertname", "AlwaysFiring", NULL);
	CHECK(s != NULL && !rw_is_stale(s->samples[0].value));
	rw_request_free(r);
}

/* Peak memory for a real request, and every allocation failure. */
TEST(captured_memory)
{
	struct rw_request *r = NULL;
	enum rw_status st;
	size_t len, i, dlen = 0, peak, calls;
	char *body, err[256];

	if ((body = t_read_file(DATA "v1_alerts_pending_firing.snappy", &len)) ==
	    NULL) {
		T_FAIL("cannot read the payload");
		return;
	}
	snappy_uncompressed_length(body, len, &dlen);
	count_start(SIZE_MAX);
	st = decode(body, len, RW_V1, &r, err, sizeof(err));
	peak = a_peak;
	calls = a_calls;
	rw_request_free(r);
	count_stop();
	CHECK_INT(st, RW_OK);
	CHECK_INT(a_live, 0);
	CHECK_INT(a_nalloc, a_nfree);
	printf("     %zu decoded bytes: peak %zu bytes (%.1f per byte) in %zu "
	    "allocations\n", dlen, peak, (double)peak / (double)dlen, calls);
	CHECK(peak < 8 * dlen);

	/* fail each allocation in turn: out_of_memory, nothing leaked */
	for (i = 0; i < calls; i++) {
		count_start(i);
		r = NULL;
		st = decode(body, len, RW_V1, &r, err, sizeof(err));
		count_stop();
		if (st != RW_ERR_NOMEM || r != NULL || a_live != 0) {
			T_FAIL("failing allocation %zu: %s, %zu bytes live",
			    i, rw_status_reason(st), a_live);
			rw_request_free(r);
			break;
		}
		CHECK_CONTAINS(err, "out of memory");
	}
	free(body);
}

/*
 * 2.0
 */

TEST(v2_same_as_v1)
{
	static const char *const files[] = { DATA "v1_alerts_only.snappy",
	    DATA "v1_alerts_pending_firing.snappy",
	    DATA "v1_stale_resolved.snappy" };
	struct rw_request *r1, *r2;
	size_t i, clen;
	int rev;
	char err[256], *c;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		CHECK_INT(decode_file(files[i], RW_V1, &r1, err, sizeof(err)),
		    RW_OK);
		if (r1 == NULL)
			continue;
		for (rev = 0; rev <= 1; rev++) {
			c = pack_v2_from(r1, rev, &clen);
			r2 = NULL;
			CHECK_INT(decode(c, clen, RW_V2, &r2, err,
			    sizeof(err)), RW_OK);
			CHECK(r2 != NULL && r2->version == RW_V2);
			if (r2 != NULL && !same_request(r1, r2))
				T_FAIL("%s as 2.0 (reverse %d) decodes "
				    "differently", files[i], rev);
			if (i == 0 && rev == 0 && getenv("RW_WRITE_V2")) {
				FILE *f = fopen(getenv("RW_WRITE_V2"), "wb");

				if (f != NULL) {
					fwrite(c, 1, clen, f);
					fclose(f);
				}
			}
			free(c);
			rw_request_free(r2);
		}
		if (i == 0) {	/* the committed 2.0 copy of it */
			CHECK_INT(decode_file(DATA "v2_alerts_only.snappy",
			    RW_V2, &r2, err, sizeof(err)), RW_OK);
			CHECK(r2 != NULL && same_request(r1, r2));
			rw_request_free(r2);
		}
		rw_request_free(r1);
	}
}

/* A hand-built 2.0 request: symbols ["", a, b, ...], series by refs. */
static char *
pack_v2(char **sym, size_t nsym, uint32_t *const *refs, const size_t *nrefs,
    size_t nseries, size_t *clen)
{
	Io__Prometheus__Write__V2__Request req =
	    IO__PROMETHEUS__WRITE__V2__REQUEST__INIT;
	Io__Prometheus__Write__V2__TimeSeries ts[MAXTS], *tsp[MAXTS];
	Io__Prometheus__Write__V2__Sample sm[MAXTS], *smp[MAXTS];
	uint8_t raw[4096];
	size_t i, len;

	for (i = 0; i < nseries; i++) {
		io__prometheus__write__v2__time_series__init(&ts[i]);
		io__prometheus__write__v2__sample__init(&sm[i]);
		sm[i].value = (double)i;
		sm[i].timestamp = 1700000000000 + (int64_t)i;
		smp[i] = &sm[i];
		ts[i].labels_refs = refs[i];
		ts[i].n_labels_refs = nrefs[i];
		ts[i].samples = &smp[i];
		ts[i].n_samples = 1;
		tsp[i] = &ts[i];
	}
	req.symbols = sym;
	req.n_symbols = nsym;
	req.timeseries = tsp;
	req.n_timeseries = nseries;
	len = io__prometheus__write__v2__request__get_packed_size(&req);
	if (len > sizeof(raw))
		return NULL;
	io__prometheus__write__v2__request__pack(&req, raw);
	return compress(raw, len, clen);
}

TEST(v2_refs)
{
	static char *sym[] = { "", "__name__", "up", "job", "node",
	    "instance", "a:1" };
	static uint32_t good[] = { 1, 2, 5, 6, 3, 4 };
	static uint32_t far[] = { 1, 2, 3, 99 };
	static uint32_t odd[] = { 1, 2, 3 };
	static uint32_t unsorted[] = { 1, 2, 3, 4, 5, 6 };
	uint32_t *refs[3];
	size_t nrefs[3], clen;
	struct rw_request *r;
	char err[256], *c;

	/* good: {__name__="up", instance="a:1", job="node"} */
	refs[0] = good, nrefs[0] = 6;
	c = pack_v2(sym, 7, refs, nrefs, 1, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)), RW_OK);
	free(c);
	if (r != NULL) {
		CHECK_INT(r->nseries, 1);
		CHECK_INT(r->series[0].nlabels, 3);
		CHECK_STR(r->series[0].labels[1].name, "instance");
		CHECK_STR(r->series[0].labels[1].value, "a:1");
		CHECK_INT(r->series[0].samples[0].ts_ms, 1700000000000);
		rw_request_free(r);
	}

	/* out of range, next to a good series */
	refs[0] = far, nrefs[0] = 4;
	refs[1] = good, nrefs[1] = 6;
	c = pack_v2(sym, 7, refs, nrefs, 2, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	free(c);
	CHECK_STR(err, "series #0: labels_refs[3] = 99 out of range "
	    "(7 symbols)");
	if (r != NULL) {
		CHECK_INT(r->ninvalid, 1);
		CHECK_INT(r->series[0].valid, 0);
		/* unresolvable: no labels, samples still there (found by
		 * fuzz_rw_decode: the labels were left uninitialized) */
		CHECK_INT(r->series[0].nlabels, 0);
		CHECK(r->series[0].labels == NULL);
		CHECK_INT(r->series[0].nsamples, 1);
		CHECK_INT(r->series[1].valid, 1);
		CHECK_INT(r->nsamples, 1);
		rw_request_free(r);
	}

	/* odd count */
	refs[0] = odd, nrefs[0] = 3;
	c = pack_v2(sym, 7, refs, nrefs, 1, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	free(c);
	CHECK_STR(err, "series #0: odd number of labels_refs (3)");
	rw_request_free(r);

	/* resolved labels go through the same checks as 1.0's */
	refs[0] = unsorted, nrefs[0] = 6;
	c = pack_v2(sym, 7, refs, nrefs, 1, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	free(c);
	CHECK_STR(err, "series {__name__=\"up\",job=\"node\",instance=\"a:1\"}: "
	    "labels not sorted: \"instance\" after \"job\"");
	rw_request_free(r);

	/* symbols[0] must be "" */
	sym[0] = "x";
	refs[0] = good, nrefs[0] = 6;
	c = pack_v2(sym, 7, refs, nrefs, 1, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)), RW_ERR_PROTO);
	CHECK(r == NULL);
	CHECK_STR(err, "protobuf: symbols[0] is \"x\", the 2.0 spec wants "
	    "\"\"");
	free(c);
	sym[0] = "";

	/* no symbols at all */
	c = pack_v2(sym, 0, refs, nrefs, 1, &clen);
	CHECK_INT(decode(c, clen, RW_V2, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	CHECK_CONTAINS(err, "out of range (0 symbols)");
	free(c);
	rw_request_free(r);
}

/* Unknown fields are skipped (TimeSeries field 6 was created_timestamp
 * before Prometheus 3.8); the reserved 1..3 of Request are not. */
TEST(v2_unknown_and_reserved_fields)
{
	struct buf req, ts, sample;
	struct rw_request *r;
	char err[256];
	unsigned char refs[] = { 1, 2 };

	buf_init(&req, 4096);
	buf_init(&ts, 4096);
	buf_init(&sample, 4096);
	w_str(&req, 4, "");
	w_str(&req, 4, "__name__");
	w_str(&req, 4, "up");
	w_len(&ts, 1, refs, 2);			/* packed */
	w_varint(&sample, 2 << 3 | 0);		/* timestamp */
	w_varint(&sample, 1000);
	w_varint(&sample, 3 << 3 | 0);		/* start_timestamp */
	w_varint(&sample, 500);
	w_len(&ts, 2, sample.data, sample.len);
	w_varint(&ts, 6 << 3 | 0);		/* created_timestamp */
	w_varint(&ts, 123);
	w_varint(&ts, 99 << 3 | 5);		/* some future i32 */
	buf_append(&ts, "abcd", 4);
	w_len(&req, 5, ts.data, ts.len);
	w_varint(&req, 77 << 3 | 1);		/* some future i64 */
	buf_append(&req, "abcdefgh", 8);
	CHECK_INT(decode_raw(req.data, req.len, RW_V2, NULL, &r, err,
	    sizeof(err)), RW_OK);
	if (r != NULL) {
		CHECK_INT(r->nseries, 1);
		CHECK_STR(r->series[0].labels[0].value, "up");
		CHECK_INT(r->series[0].samples[0].ts_ms, 1000);
		rw_request_free(r);
	}

	/* labels_refs unpacked, one varint each, is just as good */
	buf_reset(&ts);
	w_varint(&ts, 1 << 3 | 0);
	w_varint(&ts, 1);
	w_varint(&ts, 1 << 3 | 0);
	w_varint(&ts, 2);
	buf_reset(&req);
	w_str(&req, 4, "");
	w_str(&req, 4, "__name__");
	w_str(&req, 4, "up");
	w_len(&req, 5, ts.data, ts.len);
	CHECK_INT(decode_raw(req.data, req.len, RW_V2, NULL, &r, err,
	    sizeof(err)), RW_OK);
	if (r != NULL) {
		CHECK_INT(r->series[0].nlabels, 1);
		CHECK_INT(r->series[0].nsamples, 0);
		rw_request_free(r);
	}

	/* a 1.0 body sent as 2.0 */
	CHECK_INT(decode_file(DATA "v1_alerts_only.snappy", RW_V2, &r, err,
	    sizeof(err)), RW_ERR_PROTO);
	CHECK(r == NULL);
	CHECK_STR(err, "protobuf: io.prometheus.write.v2.Request has field 1, "
	    "which is reserved (a 1.0 prometheus.WriteRequest sent as 2.0?)");
	/* a 2.0 body sent as 1.0: fields 4 and 5 are unknown to 1.0, but as
	 * length-delimited fields they are 2.0's, not to be dropped unseen */
	CHECK_INT(decode_file(DATA "v2_alerts_only.snappy", RW_V1, &r, err,
	    sizeof(err)), RW_ERR_PROTO);
	CHECK(r == NULL);
	CHECK_STR(err, "protobuf: prometheus.WriteRequest has field 4, which "
	    "is symbols of io.prometheus.write.v2.Request (a 2.0 request sent "
	    "as 1.0? Its Content-Type must say "
	    "proto=io.prometheus.write.v2.Request)");
	buf_reset(&req);
	w_str(&req, 5, "");
	CHECK_INT(decode_raw(req.data, req.len, RW_V1, NULL, &r, err,
	    sizeof(err)), RW_ERR_PROTO);
	CHECK_CONTAINS(err, "field 5, which is timeseries of "
	    "io.prometheus.write.v2.Request");
	/* fields 4 and 5 of another wire type are unknown: skipped */
	buf_reset(&req);
	w_varint(&req, 4 << 3 | 0);
	w_varint(&req, 7);
	w_varint(&req, 5 << 3 | 1);
	buf_append(&req, "abcdefgh", 8);
	CHECK_INT(decode_raw(req.data, req.len, RW_V1, NULL, &r, err,
	    sizeof(err)), RW_OK);
	CHECK(r != NULL && r->nseries == 0);
	rw_request_free(r);
	buf_free(&req);
	buf_free(&ts);
	buf_free(&sample);
}

/*
 * Malformed bodies.
 */

TEST(snappy_errors)
{
	struct rw_request *r = (struct rw_request *)1;
	size_t clen;
	char err[256], *c;
	static const unsigned char badlen[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff };
	/* declares 10 bytes, then a copy from before the start */
	static const unsigned char badcopy[] = { 0x0a, 0x01, 0x00, 0x00 };

	count_start(SIZE_MAX);
	CHECK_INT(decode("", 0, RW_V1, &r, err, sizeof(err)), RW_ERR_SNAPPY);
	CHECK(r == NULL);
	CHECK_STR(err, "snappy: empty body");
	CHECK_INT(decode(badlen, sizeof(badlen), RW_V1, &r, err, sizeof(err)),
	    RW_ERR_SNAPPY);
	CHECK_STR(err, "snappy: bad length header (not snappy block "
	    "format?)");
	CHECK_INT(a_calls, 0);
	CHECK_INT(decode(badcopy, sizeof(badcopy), RW_V1, &r, err,
	    sizeof(err)), RW_ERR_SNAPPY);
	CHECK_STR(err, "snappy: corrupt block data");
	count_stop();
	CHECK_INT(a_live, 0);

	/* a real body cut short */
	c = t_read_file(DATA "v1_alerts_only.snappy", &clen);
	CHECK_INT(decode(c, clen - 5, RW_V1, &r, err, sizeof(err)),
	    RW_ERR_SNAPPY);
	CHECK_STR(err, "snappy: corrupt block data");
	/* framed snappy (the stream format) is not the block format */
	CHECK_INT(decode("\xff\x06\x00\x00sNaPpY", 10, RW_V1, &r, err,
	    sizeof(err)), RW_ERR_SNAPPY);
	CHECK(r == NULL);
	free(c);
}

TEST(size_limits)
{
	struct rw_limits lim;
	struct rw_request *r = NULL;
	size_t clen, dlen = 0;
	char err[256], *c;
	/* declares 1 GiB (varint 0x80 0x80 0x80 0x80 0x04), 4 literal bytes */
	static const unsigned char bomb[] = { 0x80, 0x80, 0x80, 0x80, 0x04,
	    0x0c, 'a', 'b', 'c', 'd' };

	rw_limits_default(&lim);
	count_start(SIZE_MAX);
	CHECK_INT(rw_decode(bomb, sizeof(bomb), RW_V1, &lim, &r, err,
	    sizeof(err)), RW_ERR_TOO_LARGE);
	CHECK_STR(err, "snappy: body declares 1073741824 decoded bytes, limit "
	    "is 33554432");
	CHECK_INT(a_calls, 0);		/* nothing allocated at all */
	count_stop();
	CHECK(r == NULL);

	c = t_read_file(DATA "v1_alerts_pending_firing.snappy", &clen);
	snappy_uncompressed_length(c, clen, &dlen);
	/* body over max_compressed: refused before looking inside */
	lim.max_compressed = clen - 1;
	count_start(SIZE_MAX);
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_ERR_TOO_LARGE);
	CHECK_INT(a_calls, 0);
	count_stop();
	CHECK_CONTAINS(err, "limit is");
	lim.max_compressed = clen;
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_OK);
	rw_request_free(r);
	/* declared length at and over max_decoded */
	lim.max_decoded = dlen - 1;
	count_start(SIZE_MAX);
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_ERR_TOO_LARGE);
	CHECK_INT(a_calls, 0);
	count_stop();
	lim.max_decoded = dlen;
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_OK);
	rw_request_free(r);
	/* series count: 409 in this body */
	lim.max_series = 408;
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_ERR_TOO_LARGE);
	CHECK(r == NULL);
	CHECK_STR(err, "more than 408 series in one request");
	lim.max_series = 409;
	CHECK_INT(rw_decode(c, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_OK);
	rw_request_free(r);
	free(c);
}

/* A flood of empty samples decodes to ~50 bytes of protobuf-c structs per
 * wire byte: over the arena's budget, refused without using more (with
 * max_samples out of the way: sample_flood is what it does first). */
TEST(memory_budget)
{
	struct buf ts, req;
	struct rw_request *r = NULL;
	struct rw_limits lim;
	char err[256];
	size_t i;

	rw_limits_default(&lim);
	lim.max_samples = SIZE_MAX;
	buf_init(&ts, 1 << 20);
	buf_init(&req, 1 << 20);
	w_len(&ts, 1, "\x0a\x08__name__\x12\x01x", 13);
	for (i = 0; i < 200000; i++)
		w_len(&ts, 2, "", 0);
	w_len(&req, 1, ts.data, ts.len);
	count_start(SIZE_MAX);
	CHECK_INT(decode_raw(req.data, req.len, RW_V1, &lim, &r, err,
	    sizeof(err)), RW_ERR_TOO_LARGE);
	CHECK(r == NULL);
	CHECK_CONTAINS(err, "decoding the request needs more than");
	/* the body, plus at most the budget */
	CHECK(a_peak <= req.len + (1 << 20) + 16 * req.len);
	count_stop();
	CHECK_INT(a_live, 0);
	/* the streaming decoder leaves it to the reference */
	CHECK_INT(decode_raw(req.data, req.len, RW_V1, &lim, &r, err,
	    sizeof(err)), RW_ERR_TOO_LARGE);
	CHECK_INT(rw__last_path(), RW__PATH_BUDGET);
	buf_free(&ts);
	buf_free(&req);
}

/* The same flood (issue 14: one series and millions of empty samples)
 * meets max_samples in the wire scan: refused before anything but the
 * decoded body is allocated, in 1.0 and in 2.0. At the limit it decodes. */
TEST(sample_flood)
{
	struct buf ts, req;
	struct rw_request *r = NULL;
	struct rw_limits lim;
	char err[256];
	size_t i;
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		buf_init(&ts, 1 << 20);
		buf_init(&req, 1 << 20);
		if (v2) {
			w_len(&req, 4, "", 0);
			w_len(&req, 4, "__name__", 8);
			w_len(&req, 4, "x", 1);
			w_len(&ts, 1, "\x01\x02", 2);	/* labels_refs */
		} else
			w_len(&ts, 1, "\x0a\x08__name__\x12\x01x", 13);
		for (i = 0; i < 200000; i++)
			w_len(&ts, 2, "", 0);
		w_len(&req, v2 ? 5 : 1, ts.data, ts.len);
		count_start(SIZE_MAX);
		CHECK_INT(decode_raw(req.data, req.len, v2 ? RW_V2 : RW_V1,
		    NULL, &r, err, sizeof(err)), RW_ERR_TOO_LARGE);
		CHECK(r == NULL);
		CHECK_STR(err, "more than 100000 samples in one request");
		/* the decoded body and nothing the size of the samples */
		CHECK(a_peak <= req.len + 65536);
		count_stop();
		CHECK_INT(a_live, 0);
		CHECK_INT(rw__last_path(), RW__PATH_LIMIT);
		/* the limit is inclusive */
		rw_limits_default(&lim);
		lim.max_samples = 200000;
		lim.max_series = 1;
		CHECK_INT(decode_raw(req.data, req.len, v2 ? RW_V2 : RW_V1,
		    &lim, &r, err, sizeof(err)), RW_ERR_TOO_LARGE);
		CHECK_CONTAINS(err, "decoding the request needs more than");
		lim.max_samples = 199999;
		CHECK_INT(decode_raw(req.data, req.len, v2 ? RW_V2 : RW_V1,
		    &lim, &r, err, sizeof(err)), RW_ERR_TOO_LARGE);
		CHECK_STR(err, "more than 199999 samples in one request");
		buf_free(&ts);
		buf_free(&req);
	}
}

/* Samples are counted over the whole request, every series. */
TEST(sample_limit)
{
	struct tseries ts[2] = {
		{ { "__name__", "a", NULL }, 2, { 1, 2 }, { 1000, 2000 } },
		{ { "__name__", "b", NULL }, 1, { 3 }, { 3000 } },
	};
	struct rw_request *r = NULL;
	struct rw_limits lim;
	char err[256], *body;
	size_t clen;

	body = pack_v1(ts, 2, &clen);
	rw_limits_default(&lim);
	lim.max_samples = 3;
	CHECK_INT(rw_decode(body, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_OK);
	CHECK_INT(r->nsamples, 3);
	rw_request_free(r);
	r = NULL;
	lim.max_samples = 2;
	CHECK_INT(rw_decode(body, clen, RW_V1, &lim, &r, err, sizeof(err)),
	    RW_ERR_TOO_LARGE);
	CHECK(r == NULL);
	CHECK_STR(err, "more than 2 samples in one request");
	CHECK_INT(rw__decode_reference(body, clen, RW_V1, &lim, &r, err,
	    sizeof(err)), RW_ERR_TOO_LARGE);
	CHECK_STR(err, "more than 2 samples in one request");
	free(body);
}

TEST(protobuf_errors)
{
	static const struct {
		const char *raw;
		size_t len;
		enum rw_version v;
		const char *msg;
	} c[] = {
		/* field 1, length varint cut short */
		{ "\x0a\xff", 2, RW_V1, "protobuf: truncated varint (field "
		    "length) at byte 0 (in prometheus.WriteRequest)" },
		{ "\x08", 1, RW_V1, "protobuf: truncated varint (field value) "
		    "at byte 1 (in prometheus.WriteRequest)" },
		{ "\x80", 1, RW_V1, "protobuf: truncated varint (field tag) "
		    "at byte 0" },
		{ "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
		    RW_V1, "varint longer than 10 bytes" },
		/* timeseries as a varint */
		{ "\x08\x01", 2, RW_V1, "protobuf: prometheus.WriteRequest "
		    "field 1 (timeseries) at byte 0 has wire type varint, "
		    "want len" },
		/* a sample value as a varint, two levels down */
		{ "\x0a\x04\x12\x02\x08\x01", 6, RW_V1, "protobuf: "
		    "prometheus.Sample field 1 (value) at byte 4 has wire "
		    "type varint, want i64" },
		/* a label name as an i32 */
		{ "\x0a\x07\x0a\x05\x0d\x61\x62\x63\x64", 9, RW_V1,
		    "prometheus.Label field 1 (name) at byte 4 has wire type "
		    "i32, want len" },
		/* length past the end */
		{ "\x0a\x05\x00", 3, RW_V1, "protobuf: field 1 at byte 0 is 5 "
		    "bytes long, only 1 left (in prometheus.WriteRequest)" },
		{ "\x0a\x03\x0a\x05\x00", 5, RW_V1, "is 5 bytes long, only 1 "
		    "left (in prometheus.TimeSeries)" },
		{ "\x0b", 1, RW_V1, "protobuf: field 1 at byte 0 has wire type "
		    "group start, which is not supported" },
		{ "\x0e", 1, RW_V1, "wire type invalid (6)" },
		{ "\x02\x00", 2, RW_V1, "protobuf: invalid field number 0 at "
		    "byte 0" },
		{ "\x65\x00\x00\x00\x00", 5, RW_V1, NULL },	/* f12 i32: ok */
		/* i64 cut short */
		{ "\x0a\x05\x12\x03\x09\x00\x00", 7, RW_V1, "truncated i64 "
		    "field 1 at byte 4 (in prometheus.Sample)" },
		/* NUL inside a label value */
		{ "\x0a\x0b\x0a\x09\x0a\x01\x61\x12\x04\x61\x00\x62\x63", 13,
		    RW_V1, "prometheus.Label field value at byte 7 contains a "
		    "NUL byte" },
		{ "\x22\x03\x61\x00\x62", 5, RW_V2, "protobuf: "
		    "io.prometheus.write.v2.Request field symbols at byte 0 "
		    "contains a NUL byte" },
		/* packed labels_refs: a truncated varint, a value > 2^32 */
		{ "\x2a\x03\x0a\x01\x80", 5, RW_V2, "truncated varint in "
		    "labels_refs at byte 4" },
		{ "\x2a\x07\x0a\x05\xff\xff\xff\xff\x7f", 9, RW_V2,
		    "labels_refs value 34359738367 at byte 4 is not a "
		    "uint32" },
		{ "\x2a\x06\x08\xff\xff\xff\xff\x7f", 8, RW_V2, "labels_refs "
		    "value 34359738367 at byte 2 is not a uint32" },
		/* inside a histogram, which only protobuf-c checks */
		{ "\x0a\x04\x22\x02\x08\x80", 6, RW_V1, "protobuf: cannot "
		    "unpack prometheus.WriteRequest" },
	};
	struct rw_request *r;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum rw_status st;

		r = (struct rw_request *)1;
		st = decode_raw(c[i].raw, c[i].len, c[i].v, NULL, &r, err,
		    sizeof(err));
		if (c[i].msg == NULL) {
			if (st != RW_OK)
				T_FAIL("case %zu: %s", i, err);
			rw_request_free(r);
			continue;
		}
		if (st != RW_ERR_PROTO || r != NULL)
			T_FAIL("case %zu: status %s, want protobuf", i,
			    rw_status_reason(st));
		CHECK_CONTAINS(err, c[i].msg);
	}
}

/*
 * Series that break the spec.
 */

static const struct rw_limits *
small_limits(void)
{
	static struct rw_limits lim;

	rw_limits_default(&lim);
	lim.max_labels = 4;
	lim.max_name_len = 10;
	lim.max_value_len = 20;
	return &lim;
}

TEST(invalid_series)
{
	static const struct {
		struct tseries ts;
		const char *msg;
	} c[] = {
		{ { { "__name__", "ALERTS", "alertname", "X", "c", "1", "b",
		    "2", NULL }, 1, { 1 }, { 1000 } },
		    "series {__name__=\"ALERTS\",alertname=\"X\",c=\"1\","
		    "b=\"2\"}: labels not sorted: \"b\" after \"c\"" },
		{ { { "__name__", "up", "a", "1", "a", "2", NULL }, 0, { 0 },
		    { 0 } }, "series {__name__=\"up\",a=\"1\",a=\"2\"}: "
		    "duplicate label \"a\"" },
		{ { { "", "x", "__name__", "up", NULL }, 0, { 0 }, { 0 } },
		    "series {\"\"=\"x\",__name__=\"up\"}: empty label name "
		    "(value \"x\")" },
		{ { { "__name__", "up", "job", "", NULL }, 0, { 0 }, { 0 } },
		    "series {__name__=\"up\",job=\"\"}: label \"job\" has an "
		    "empty value" },
		{ { { "1abc", "x", "__name__", "up", NULL }, 0, { 0 }, { 0 } },
		    "series {\"1abc\"=\"x\",__name__=\"up\"}: invalid label "
		    "name \"1abc\" (want [a-zA-Z_][a-zA-Z0-9_]*)" },
		{ { { "__name__", "up", "a-b", "x", NULL }, 0, { 0 }, { 0 } },
		    "invalid label name \"a-b\"" },
		{ { { "__name__", "up", "\xc3\xa9t\xc3\xa9", "x", NULL }, 0,
		    { 0 }, { 0 } }, "invalid label name \"\xc3\xa9t\xc3\xa9\"" },
		{ { { "__name__", "up", "a", "1", "b", "2", "c", "3", "d", "4",
		    NULL }, 0, { 0 }, { 0 } }, "series {__name__=\"up\",a=\"1\","
		    "b=\"2\",c=\"3\",d=\"4\"}: 5 labels, limit is 4" },
		{ { { "__name__", "up", "abcdefghijk", "x", NULL }, 0, { 0 },
		    { 0 } }, "label name \"abcdefghijk\" is 11 bytes, limit is "
		    "10" },
		{ { { "__name__", "up", "job", "abcdefghijklmnopqrstu", NULL },
		    0, { 0 }, { 0 } }, "label \"job\" value is 21 bytes, limit "
		    "is 20" },
		{ { { "__name__", "up", "job", "\xff\xfe", NULL }, 0, { 0 },
		    { 0 } }, "series {__name__=\"up\",job=\"\\xff\\xfe\"}: label "
		    "\"job\" value is not valid UTF-8" },
		{ { { "job", "x", NULL }, 0, { 0 }, { 0 } },
		    "series {job=\"x\"}: no __name__ label" },
		{ { { NULL }, 0, { 0 }, { 0 } }, "series {}: no __name__ "
		    "label" },
		{ { { "__name__", "up", NULL }, 3, { 1, 2, 3 },
		    { 2000, 3000, 2999 } }, "series {__name__=\"up\"}: samples "
		    "out of order: sample 2 at 2999 ms after one at 3000 ms" },
	};
	struct rw_request *r;
	char err[256], *body;
	size_t i, clen;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum rw_status st;

		body = pack_v1(&c[i].ts, 1, &clen);
		st = rw_decode(body, clen, RW_V1, small_limits(), &r, err,
		    sizeof(err));
		free(body);
		if (st != RW_ERR_INVALID || r == NULL) {
			T_FAIL("case %zu: status %s, want invalid (%s)", i,
			    rw_status_reason(st), err);
			rw_request_free(r);
			continue;
		}
		CHECK_INT(r->ninvalid, 1);
		CHECK_INT(r->series[0].valid, 0);
		CHECK_INT(r->nsamples, 0);
		CHECK_CONTAINS(err, c[i].msg);
		rw_request_free(r);
	}
}

TEST(valid_edge_cases)
{
	static const struct tseries ok[] = {
		/* equal timestamps are in order; values may be anything */
		{ { "__name__", "x", NULL }, 3, { NAN, INFINITY, -0.0 },
		    { 5, 5, 6 } },
		{ { "_", "1", "__name__", "x", "a_B9", "\xc3\xa9\xe2\x82\xac",
		    NULL }, 0, { 0 }, { 0 } },
		{ { "__name__", "x", "abcdefghij", "abcdefghijklmnopqrst",
		    NULL }, 1, { 0 }, { -5 } },
	};
	struct rw_request *r;
	char err[256], *body;
	size_t clen;

	body = pack_v1(ok, 3, &clen);
	CHECK_INT(rw_decode(body, clen, RW_V1, small_limits(), &r, err,
	    sizeof(err)), RW_OK);
	CHECK_STR(err, "");
	free(body);
	if (r == NULL)
		return;
	CHECK_INT(r->nseries, 3);
	CHECK_INT(r->nsamples, 4);
	CHECK(isnan(r->series[0].samples[0].value));
	CHECK(!rw_is_stale(r->series[0].samples[0].value));
	CHECK_INT(r->series[2].samples[0].ts_ms, -5);
	rw_request_free(r);
}

TEST(mixed_valid_invalid)
{
	static const struct tseries ts[] = {
		{ { "__name__", "ALERTS", "alertname", "A", "alertstate",
		    "firing", NULL }, 1, { 1 }, { 1000 } },
		{ { "__name__", "ALERTS", "b", "1", "a", "2", NULL }, 1, { 1 },
		    { 1000 } },
		{ { "__name__", "up", NULL }, 2, { 1, 0 }, { 1000, 2000 } },
		{ { "alertname", "B", NULL }, 1, { 1 }, { 1000 } },
	};
	struct rw_request *r;
	char err[256], *body;
	size_t clen;

	body = pack_v1(ts, 4, &clen);
	CHECK_INT(decode(body, clen, RW_V1, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	free(body);
	CHECK_STR(err, "series {__name__=\"ALERTS\",b=\"1\",a=\"2\"}: labels "
	    "not sorted: \"a\" after \"b\" (and 1 more invalid series)");
	if (r == NULL)
		return;
	CHECK_INT(r->nseries, 4);
	CHECK_INT(r->ninvalid, 2);
	CHECK_INT(r->series[0].valid, 1);
	CHECK_INT(r->series[1].valid, 0);
	CHECK_INT(r->series[2].valid, 1);
	CHECK_INT(r->series[3].valid, 0);
	CHECK_INT(r->nsamples, 3);
	CHECK_STR(label(&r->series[0], "alertstate"), "firing");
	rw_request_free(r);

	/* the message is cut to the caller's buffer */
	body = pack_v1(ts, 4, &clen);
	CHECK_INT(decode(body, clen, RW_V1, &r, err, 20), RW_ERR_INVALID);
	CHECK_STR(err, "series {__name__=\"A");
	rw_request_free(r);
	CHECK_INT(decode(body, clen, RW_V1, &r, NULL, 0), RW_ERR_INVALID);
	rw_request_free(r);
	free(body);
}

/* A long series is named in a bounded message. */
TEST(long_series_name)
{
	static char big[2001];	/* under max_label_value_length */
	struct tseries ts = { { "__name__", "up", "a", big, "b", big, "c",
	    big, "d", "x", "c", "1", NULL }, 0, { 0 }, { 0 } };
	struct rw_request *r;
	char err[4096], *body;
	size_t clen;

	memset(big, 'v', sizeof(big) - 1);
	body = pack_v1(&ts, 1, &clen);
	CHECK_INT(decode(body, clen, RW_V1, &r, err, sizeof(err)),
	    RW_ERR_INVALID);
	free(body);
	CHECK_CONTAINS(err, "series {__name__=\"up\",a=\"vvvv");
	CHECK_CONTAINS(err, "vvv\"...,b=\"vvv");
	CHECK_CONTAINS(err, ",...}: labels not sorted: \"c\" after \"d\"");
	CHECK(strlen(err) < 600);
	rw_request_free(r);
}

TEST(histograms_exemplars)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries ts = PROMETHEUS__TIME_SERIES__INIT, *tsp = &ts;
	Prometheus__Label l = PROMETHEUS__LABEL__INIT, *lp = &l;
	Prometheus__Exemplar ex = PROMETHEUS__EXEMPLAR__INIT, *exps[2];
	Prometheus__Histogram h = PROMETHEUS__HISTOGRAM__INIT, *hp = &h;
	Prometheus__MetricMetadata md = PROMETHEUS__METRIC_METADATA__INIT;
	Prometheus__MetricMetadata *mdp = &md;
	struct rw_request *r;
	uint8_t raw[512];
	char err[256];
	size_t len;

	l.name = "__name__";
	l.value = "http_request_duration_seconds";
	ts.labels = &lp;
	ts.n_labels = 1;
	ex.value = 0.25;
	ex.timestamp = 1000;
	exps[0] = exps[1] = &ex;
	ts.exemplars = exps;
	ts.n_exemplars = 2;
	h.count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT;
	h.count_int = 3;
	h.sum = 1.5;
	h.schema = 3;
	h.timestamp = 1000;
	ts.histograms = &hp;
	ts.n_histograms = 1;
	md.type = PROMETHEUS__METRIC_METADATA__METRIC_TYPE__HISTOGRAM;
	md.metric_family_name = "http_request_duration_seconds";
	md.help = "How long.";
	wr.timeseries = &tsp;
	wr.n_timeseries = 1;
	wr.metadata = &mdp;
	wr.n_metadata = 1;
	len = prometheus__write_request__pack(&wr, raw);
	CHECK_INT(decode_raw(raw, len, RW_V1, NULL, &r, err, sizeof(err)),
	    RW_OK);
	if (r == NULL)
		return;
	CHECK_INT(r->nhistograms, 1);
	CHECK_INT(r->nexemplars, 2);
	CHECK_INT(r->nsamples, 0);
	CHECK_INT(r->series[0].valid, 1);
	rw_request_free(r);
}

TEST(empty_request)
{
	struct rw_request *r;
	char err[256];

	CHECK_INT(decode_raw("", 0, RW_V1, NULL, &r, err, sizeof(err)), RW_OK);
	CHECK(r != NULL && r->nseries == 0 && r->series == NULL);
	rw_request_free(r);
	CHECK_INT(decode_raw("", 0, RW_V2, NULL, &r, err, sizeof(err)), RW_OK);
	CHECK(r != NULL && r->nseries == 0);
	rw_request_free(r);
	rw_request_free(NULL);
}

/*
 * Generated requests for the differential check (diff_rw_decode): random
 * 1.0 and 2.0 requests written field by field -- fields in any order,
 * repeated scalars, unknown fields of every wire type, non-canonical
 * varints, packed and unpacked labels_refs, exemplars, histograms and
 * metadata -- then each of them truncated and mutated.
 */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* A varint, now and then with redundant continuation bytes (valid for
 * the wire scan; protobuf-c refuses tags and lengths over 5 bytes). */
static void
g_varint(struct buf *b, uint64_t v)
{
	unsigned char c[16];
	size_t n = 0, pad = rnd(40) == 0 ? 1 + rnd(6) : 0;

	do {
		c[n] = v & 0x7f;
		v >>= 7;
		if (v != 0 || pad > 0)
			c[n] |= 0x80;
		n++;
	} while (v != 0);
	while (pad-- > 0 && n < 10)
		c[n++] = pad > 0 ? 0x80 : 0x00;
	c[n - 1] &= 0x7f;
	buf_append(b, c, n);
}

static void
g_tag(struct buf *b, uint32_t num, unsigned wt)
{
	g_varint(b, (uint64_t)num << 3 | wt);
}

static void
g_len(struct buf *b, uint32_t num, const void *p, size_t n)
{
	g_tag(b, num, 2);
	g_varint(b, n);
	buf_append(b, p, n);
}

/* An unknown field, numbered from first up. */
static void
g_unknown(struct buf *b, uint32_t first)
{
	static const unsigned wts[] = { 0, 1, 2, 5 };
	unsigned wt = wts[rnd(4)];
	uint64_t x = ((uint64_t)rnd(UINT32_MAX) << 32) | rnd(UINT32_MAX);

	g_tag(b, first + rnd(30), wt);
	switch (wt) {
	case 0:
		g_varint(b, x >> rnd(64));
		break;
	case 1:
		buf_append(b, &x, 8);
		break;
	case 2:
		g_varint(b, 3);
		buf_append(b, "abc", 3);
		break;
	default:
		buf_append(b, &x, 4);
	}
}

static const char *const g_names[] = { "__name__", "alertname",
    "alertstate", "instance", "job", "severity", "a", "_b", "1bad", "a-b", "",
    "team" };
static const char *const g_values[] = { "ALERTS", "ALERTS_FOR_STATE", "up",
    "firing", "pending", "x", "", "\xc3\xa9t\xc3\xa9", "\xff\xfe", "a b",
    "10.0.0.1:9100", "Flappy" };
#define NNAMES	(sizeof(g_names) / sizeof(g_names[0]))
#define NVALUES	(sizeof(g_values) / sizeof(g_values[0]))

/* Label name indexes for one series: mostly a valid sorted set. */
static size_t
g_labelset(size_t *idx)
{
	size_t n = rnd(7), i, j, k = 0;

	if (rnd(4) != 0) {	/* sorted, distinct, with __name__ */
		idx[k++] = 0;
		for (i = 1; i < NNAMES && k < n + 1; i++)
			if (rnd(3) == 0 && g_names[i][0] != '\0')
				idx[k++] = i;
		/* sort by name */
		for (i = 1; i < k; i++)
			for (j = i; j > 0 && strcmp(g_names[idx[j - 1]],
			    g_names[idx[j]]) > 0; j--) {
				size_t t = idx[j];

				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		return k;
	}
	for (i = 0; i < n; i++)
		idx[k++] = rnd(NNAMES);
	return k;
}

static void
g_sample(struct buf *b, int v2, int64_t ts)
{
	double d = rnd(10) == 0 ? from_bits(STALE_BITS) : (double)rnd(100);
	int order = rnd(2);

	if (rnd(10) != 0 && order == 0) {
		g_tag(b, 1, 1);
		buf_append(b, &d, 8);
	}
	if (rnd(10) == 0) {	/* a timestamp twice: the last one wins */
		g_tag(b, 2, 0);
		g_varint(b, (uint64_t)(ts - 7));
	}
	if (rnd(10) != 0) {
		g_tag(b, 2, 0);
		g_varint(b, (uint64_t)ts);
	}
	if (order == 1) {
		g_tag(b, 1, 1);
		buf_append(b, &d, 8);
	}
	if (v2 && rnd(3) == 0) {
		g_tag(b, 3, 0);
		g_varint(b, (uint64_t)ts - 1000);
	}
	if (rnd(8) == 0)
		g_unknown(b, v2 ? 4 : 3);
}

/* An exemplar, histogram or metadata packed by protobuf-c. */
static void
g_extra(struct buf *b, int v2, uint32_t *num)
{
	uint8_t raw[256];
	size_t n;
	int which = rnd(3);

	if (!v2) {
		Prometheus__Exemplar ex = PROMETHEUS__EXEMPLAR__INIT;
		Prometheus__Histogram h = PROMETHEUS__HISTOGRAM__INIT;
		double counts[2] = { 1, 2 };

		if (which == 0) {
			ex.value = 0.5;
			ex.timestamp = 1000;
			n = prometheus__exemplar__pack(&ex, raw);
			*num = 3;
		} else {
			h.count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT;
			h.count_int = 3;
			h.schema = -1;
			h.positive_counts = counts;
			h.n_positive_counts = 2;
			n = prometheus__histogram__pack(&h, raw);
			*num = 4;
		}
	} else {
		Io__Prometheus__Write__V2__Exemplar ex =
		    IO__PROMETHEUS__WRITE__V2__EXEMPLAR__INIT;
		Io__Prometheus__Write__V2__Histogram h =
		    IO__PROMETHEUS__WRITE__V2__HISTOGRAM__INIT;
		Io__Prometheus__Write__V2__Metadata md =
		    IO__PROMETHEUS__WRITE__V2__METADATA__INIT;
		uint32_t refs[2] = { 1, 2 };
		int64_t deltas[2] = { -1, 5 };

		if (which == 0) {
			ex.labels_refs = refs;
			ex.n_labels_refs = 2;
			ex.value = 2;
			n = io__prometheus__write__v2__exemplar__pack(&ex, raw);
			*num = 4;
		} else if (which == 1) {
			h.sum = 1.5;
			h.positive_deltas = deltas;
			h.n_positive_deltas = 2;
			n = io__prometheus__write__v2__histogram__pack(&h, raw);
			*num = 3;
		} else {
			md.type = 2;
			md.help_ref = 1;
			n = io__prometheus__write__v2__metadata__pack(&md, raw);
			*num = 5;
		}
	}
	g_len(b, *num, raw, n);
}

/* A 1.0 request of up to 6 series. */
static void
g_v1(struct buf *req)
{
	struct buf ts, lb, sm;
	size_t ns = rnd(7), i, j, k, idx[16];

	buf_init(&ts, 1024);
	buf_init(&lb, 256);
	buf_init(&sm, 64);
	for (i = 0; i < ns; i++) {
		int64_t t = 1700000000000 + rnd(1000);
		size_t nl = g_labelset(idx), nsm = rnd(4);

		buf_reset(&ts);
		for (j = 0, k = 0; j < nl || k < nsm;) {
			if (j < nl && (k >= nsm || rnd(3) != 0)) {
				const char *v = g_values[rnd(NVALUES)];

				buf_reset(&lb);
				if (rnd(20) == 0)	/* a name twice */
					g_len(&lb, 1, "zz", 2);
				if (rnd(2) == 0) {
					g_len(&lb, 1, g_names[idx[j]],
					    strlen(g_names[idx[j]]));
					if (rnd(10) == 0)
						g_unknown(&lb, 3);
					g_len(&lb, 2, v, strlen(v));
				} else {
					g_len(&lb, 2, v, strlen(v));
					g_len(&lb, 1, g_names[idx[j]],
					    strlen(g_names[idx[j]]));
				}
				g_len(&ts, 1, lb.data, lb.len);
				j++;
			} else {
				buf_reset(&sm);
				g_sample(&sm, 0, t + (rnd(8) == 0 ? -5 :
				    (int64_t)k * 1000));
				g_len(&ts, 2, sm.data, sm.len);
				k++;
			}
			if (rnd(15) == 0)
				g_unknown(&ts, 5);
			if (rnd(25) == 0) {
				uint32_t num;

				g_extra(&ts, 0, &num);
			}
		}
		g_len(req, 1, ts.data, ts.len);
		if (rnd(15) == 0)
			g_unknown(req, 4);
		if (rnd(30) == 0) {
			Prometheus__MetricMetadata md =
			    PROMETHEUS__METRIC_METADATA__INIT;
			uint8_t raw[64];

			md.type = 1;
			md.help = "h\0idden";	/* NUL is fine here */
			g_len(req, 3, raw,
			    prometheus__metric_metadata__pack(&md, raw));
		}
	}
	buf_free(&ts);
	buf_free(&lb);
	buf_free(&sm);
}

/* A 2.0 request: symbols from the same pools, series by refs. */
static void
g_v2(struct buf *req)
{
	struct buf ts, sm, pk;
	const char *sym[1 + NNAMES + NVALUES];
	size_t nsym = 0, ns = rnd(7), i, j, k, idx[16];
	int syms_first = rnd(4) != 0;

	buf_init(&ts, 1024);
	buf_init(&sm, 64);
	buf_init(&pk, 64);
	sym[nsym++] = rnd(30) == 0 ? "x" : "";
	for (i = 0; i < NNAMES; i++)
		if (g_names[i][0] != '\0')
			sym[nsym++] = g_names[i];
	for (i = 0; i < NVALUES; i++)
		sym[nsym++] = g_values[i];
	if (syms_first)
		for (i = 0; i < nsym; i++)
			g_len(req, 4, sym[i], strlen(sym[i]));
	for (i = 0; i < ns; i++) {
		size_t nl = g_labelset(idx), nsm = rnd(3), nref = 0;
		uint32_t refs[40];

		buf_reset(&ts);
		for (j = 0; j < nl; j++) {
			size_t n;

			/* the name's symbol; "" (absent) maps to 0 */
			for (n = 0; n < nsym && strcmp(sym[n],
			    g_names[idx[j]]) != 0; n++)
				;
			refs[nref++] = n < nsym ? (uint32_t)n : 0;
			refs[nref++] = (uint32_t)(1 + NNAMES - 1 +
			    rnd(NVALUES));
		}
		if (rnd(30) == 0)
			refs[nref++] = 1;		/* odd */
		if (rnd(30) == 0 && nref > 0)
			refs[0] = 100 + rnd(1000);	/* out of range */
		/* refs in chunks: packed or one varint each */
		for (j = 0; j < nref;) {
			size_t m = 1 + rnd(4);

			if (rnd(2) == 0) {
				buf_reset(&pk);
				for (k = 0; k < m && j < nref; k++)
					w_varint(&pk, refs[j++]);
				g_len(&ts, 1, pk.data, pk.len);
			} else {
				g_tag(&ts, 1, 0);
				g_varint(&ts, refs[j++]);
			}
			if (rnd(12) == 0)	/* an empty packed field */
				g_len(&ts, 1, "", 0);
			if (rnd(6) == 0) {
				buf_reset(&sm);
				g_sample(&sm, 1, 1700000000000 + rnd(3) * 1000);
				g_len(&ts, 2, sm.data, sm.len);
			}
		}
		for (k = 0; k < nsm; k++) {
			buf_reset(&sm);
			g_sample(&sm, 1, 1700000000000 + (int64_t)k * 1000);
			g_len(&ts, 2, sm.data, sm.len);
		}
		if (rnd(15) == 0)
			g_unknown(&ts, 6);
		if (rnd(10) == 0) {
			uint32_t num;

			g_extra(&ts, 1, &num);
		}
		g_len(req, 5, ts.data, ts.len);
		if (rnd(15) == 0)
			g_unknown(req, 6);
	}
	if (!syms_first)
		for (i = 0; i < nsym; i++)
			g_len(req, 4, sym[i], strlen(sym[i]));
	buf_free(&ts);
	buf_free(&sm);
	buf_free(&pk);
}

/* One mutation of raw: truncate, flip, overwrite, insert or delete. */
static size_t
g_mutate(unsigned char *raw, size_t n, size_t cap)
{
	size_t at = n > 0 ? rnd((uint32_t)n) : 0;

	switch (rnd(5)) {
	case 0:
		return at;
	case 1:
		if (n > 0)
			raw[at] ^= (unsigned char)(1u << rnd(8));
		return n;
	case 2:
		if (n > 0)
			raw[at] = (unsigned char)rnd(256);
		return n;
	case 3:
		if (n + 1 > cap)
			return n;
		memmove(raw + at + 1, raw + at, n - at);
		raw[at] = (unsigned char)(rnd(2) ? rnd(256) : 0x80);
		return n + 1;
	default:
		if (n == 0)
			return n;
		memmove(raw + at, raw + at + 1, n - at - 1);
		return n - 1;
	}
}

TEST(differential_generated)
{
	struct rw_limits small;
	struct buf req;
	struct rw_request *r;
	unsigned char *m;
	size_t i, k, n, runs0 = diff_runs, fast0 = diff_fast, fail0;
	size_t taken0 = diff_taken;
	char err[256];

	rw_limits_default(&small);
	small.max_series = 3;
	small.max_labels = 4;
	buf_init(&req, 4096);
	fail0 = diff_fail;
	for (i = 0; i < 3000 && diff_fail == fail0; i++) {
		enum rw_version v = i % 2 ? RW_V2 : RW_V1;

		buf_reset(&req);
		if (v == RW_V1)
			g_v1(&req);
		else
			g_v2(&req);
		decode_raw(req.data, req.len, v, i % 7 == 0 ? &small : NULL,
		    &r, err, sizeof(err));
		rw_request_free(r);
		/* as the other version, too */
		decode_raw(req.data, req.len, v == RW_V1 ? RW_V2 : RW_V1,
		    NULL, &r, err, sizeof(err));
		rw_request_free(r);
		m = malloc(req.len + 64);
		for (k = 0; k < 24; k++) {
			memcpy(m, req.data, req.len);
			n = g_mutate(m, req.len, req.len + 64);
			if (rnd(3) == 0)
				n = g_mutate(m, n, req.len + 64);
			decode_raw(m, n, v, NULL, &r, err, sizeof(err));
			rw_request_free(r);
		}
		/* every truncation of a small request */
		for (n = 0; req.len < 200 && n < req.len; n++) {
			decode_raw(req.data, n, v, NULL, &r, err, sizeof(err));
			rw_request_free(r);
		}
		free(m);
	}
	buf_free(&req);
	printf("     %zu bodies decoded both ways, %zu accepted (ok or "
	    "invalid), %zu of them by the streaming decoder\n",
	    diff_runs - runs0, diff_taken - taken0, diff_fast - fast0);
	/* it declines only for unresolvable 2.0 refs (and budget) */
	CHECK(diff_fast - fast0 > (diff_taken - taken0) * 8 / 10);
}

TEST(differential_summary)
{
	printf("     differential: %zu bodies in all, %zu accepted by the "
	    "reference, %zu answered by the streaming decoder (declined: "
	    "%zu for 2.0 refs, %zu for the budget), %zu differences\n",
	    diff_runs, diff_taken, diff_fast, diff_refs, diff_budget,
	    diff_fail);
	CHECK_INT(diff_fail, 0);
}

int
main(void)
{
	RUN(content_type);
	RUN(status_reason);
	RUN(stale_marker);
	RUN(captured_alerts_only);
	RUN(captured_pending_firing);
	RUN(captured_stale_pending_to_firing);
	RUN(captured_stale_resolved);
	RUN(captured_memory);
	RUN(v2_same_as_v1);
	RUN(v2_refs);
	RUN(v2_unknown_and_reserved_fields);
	RUN(snappy_errors);
	RUN(size_limits);
	RUN(memory_budget);
	RUN(sample_flood);
	RUN(sample_limit);
	RUN(protobuf_errors);
	RUN(invalid_series);
	RUN(valid_edge_cases);
	RUN(mixed_valid_invalid);
	RUN(long_series_name);
	RUN(histograms_exemplars);
	RUN(empty_request);
	RUN(differential_generated);
	RUN(differential_summary);
	return t_done();
}

/* decode.c -- the remote-write decoder against its lower bound.
 *
 *   decode [--series=2000] [--reps=7] [--min-ms=300]
 *
 * One pre-built remote-write 1.0 request: `series` ALERTS series of 10
 * labels with one sample each, protobuf-c encoded and snappy-compressed.
 * The same bytes go through, in turn:
 *   snappy   snappy_uncompress into a preallocated buffer -- the floor: any
 *            decoder must at least decompress;
 *   decode   rw_decode (snappy + protobuf-c unpack + conversion + spec
 *            validation into the arena) and rw_request_free;
 *   decode+id  the same plus the identity fingerprint ingest computes per
 *            series (fp_labels over the labels minus __name__ and
 *            alertstate, lib/ingest/ingest.c alert_series);
 *   decode+fps the same plus the series fingerprint (all labels), i.e. all
 *            the hashing alert_series does;
 *   reference  rw__decode_reference (wire scan + protobuf-c's unpack), the
 *            decoder rw_decode used before the streaming one: the same
 *            run's before/after.
 * Each repetition runs one variant in a loop for at least min-ms and yields
 * MB/s of decoded (uncompressed) protobuf; the variants are interleaved
 * repetition by repetition so that machine noise hits them alike. Prints
 * per variant the median MB/s and the ratio to snappy (target for
 * decode+id: >= 50%). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "bench.h"
#include "fingerprint.h"
#include "remote.pb-c.h"
#include "rw_decode.h"
#include "types.pb-c.h"

#define NLABELS 10

static char *body, *out;
static size_t body_len, raw_len;
static struct rw_limits lim;
static volatile uint64_t sink;

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(bn_xmalloc(n), s, n);
}

static void
build(size_t nseries)
{
	static const char *const names[NLABELS] = {
		"__name__", "alertname", "alertstate", "cluster", "instance",
		"job", "namespace", "pod", "severity", "team",
	};
	static const char *const sev[] = { "critical", "warning", "info" };
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries **ts = bn_xmalloc(nseries * sizeof(*ts));
	uint8_t *raw;
	size_t clen;

	for (size_t i = 0; i < nseries; i++) {
		Prometheus__TimeSeries *t = bn_xmalloc(sizeof(*t));
		Prometheus__Sample *s = bn_xmalloc(sizeof(*s));
		char v[NLABELS][96];

		prometheus__time_series__init(t);
		prometheus__sample__init(s);
		s->value = 1;
		s->timestamp = 1764193364000 + (int64_t)i;
		snprintf(v[0], sizeof(v[0]), "ALERTS");
		snprintf(v[1], sizeof(v[1]), "BenchAlert%03zu", i % 97);
		snprintf(v[2], sizeof(v[2]), "firing");
		snprintf(v[3], sizeof(v[3]), "prod-eu-west-%zu", i % 5);
		snprintf(v[4], sizeof(v[4]), "10.0.%zu.%zu:9100", i / 250,
		    i % 250);
		snprintf(v[5], sizeof(v[5]), "kubernetes-pods");
		snprintf(v[6], sizeof(v[6]), "ns-%02zu", i % 37);
		snprintf(v[7], sizeof(v[7]), "api-server-%06zu-7f9c8d", i);
		snprintf(v[8], sizeof(v[8]), "%s", sev[i % 3]);
		snprintf(v[9], sizeof(v[9]), "team-%02zu", i % 13);
		t->n_labels = NLABELS;
		t->labels = bn_xmalloc(NLABELS * sizeof(*t->labels));
		for (int k = 0; k < NLABELS; k++) {
			Prometheus__Label *l = bn_xmalloc(sizeof(*l));

			prometheus__label__init(l);
			l->name = xstrdup(names[k]);
			l->value = xstrdup(v[k]);
			t->labels[k] = l;
		}
		t->n_samples = 1;
		t->samples = bn_xmalloc(sizeof(*t->samples));
		t->samples[0] = s;
		ts[i] = t;
	}
	wr.n_timeseries = nseries;
	wr.timeseries = ts;
	raw_len = prometheus__write_request__get_packed_size(&wr);
	raw = bn_xmalloc(raw_len);
	prometheus__write_request__pack(&wr, raw);
	clen = snappy_max_compressed_length(raw_len);
	body = bn_xmalloc(clen);
	if (snappy_compress((char *)raw, raw_len, body, &clen) != SNAPPY_OK)
		bn_die("snappy_compress failed");
	body_len = clen;
	out = bn_xmalloc(raw_len);
	free(raw);	/* the message itself is left for the process exit */
}

static void
v_snappy(void)
{
	size_t n = raw_len;

	if (snappy_uncompress(body, body_len, out, &n) != SNAPPY_OK ||
	    n != raw_len)
		bn_die("snappy_uncompress failed");
	sink += (unsigned char)out[n / 2];
}

static struct rw_request *
decode_one(void)
{
	struct rw_request *r;
	char err[256];
	enum rw_status st = rw_decode(body, body_len, RW_V1, &lim, &r, err,
	    sizeof(err));

	if (st != RW_OK)
		bn_die("rw_decode: %s", err);
	return r;
}

static void
v_reference(void)
{
	struct rw_request *r;
	char err[256];

	if (rw__decode_reference(body, body_len, RW_V1, &lim, &r, err,
	    sizeof(err)) != RW_OK)
		bn_die("rw__decode_reference: %s", err);
	sink += r->nsamples;
	rw_request_free(r);
}

static void
v_decode(void)
{
	struct rw_request *r = decode_one();

	sink += r->nsamples;
	rw_request_free(r);
}

/* lib/ingest/ingest.c alert_series: the identity is the labels minus __name__,
 * alertstate (and the replica labels, none here). */
static void
hash_series(const struct rw_request *r, int with_series_fp)
{
	const char *names[128], *values[128];
	uint64_t fp;

	for (size_t i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];
		size_t n = 0;

		if (with_series_fp) {
			for (size_t k = 0; k < s->nlabels; k++) {
				names[k] = s->labels[k].name;
				values[k] = s->labels[k].value;
			}
			fp_labels(names, values, s->nlabels, NULL, 0, &fp);
			sink += fp;
		}
		for (size_t k = 0; k < s->nlabels; k++) {
			if (strcmp(s->labels[k].name, "__name__") == 0 ||
			    strcmp(s->labels[k].name, "alertstate") == 0)
				continue;
			names[n] = s->labels[k].name;
			values[n] = s->labels[k].value;
			n++;
		}
		fp_labels(names, values, n, NULL, 0, &fp);
		sink += fp;
	}
}

static void
v_decode_id(void)
{
	struct rw_request *r = decode_one();

	hash_series(r, 0);
	rw_request_free(r);
}

static void
v_decode_fps(void)
{
	struct rw_request *r = decode_one();

	hash_series(r, 1);
	rw_request_free(r);
}

/* MB/s of decoded bytes for one repetition of at least min_ns. */
static double
rep(void (*fn)(void), uint64_t min_ns)
{
	uint64_t t0 = bn_now_ns(), t;
	size_t iters = 0;

	do {
		fn();
		iters++;
		t = bn_now_ns();
	} while (t - t0 < min_ns);
	return (double)raw_len * (double)iters / ((double)(t - t0) / 1e9) /
	    1e6;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} vs[] = {
		{ "snappy", v_snappy },
		{ "decode", v_decode },
		{ "decode+id", v_decode_id },
		{ "decode+fps", v_decode_fps },
		{ "reference", v_reference },
	};
	enum { NV = sizeof(vs) / sizeof(vs[0]) };
	const char *v;
	size_t nseries = 2000;
	int reps = 7, rc;
	double min_ms = 300, mbs[NV][64], med[NV];

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--series", &v)) > 0)
			nseries = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--reps", &v)) > 0)
			reps = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--min-ms", &v)) > 0)
			min_ms = atof(v);
		else
			rc = -1;
		if (rc < 0) {
			fprintf(stderr, "usage: decode [--series=2000] "
			    "[--reps=7] [--min-ms=300]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || nseries < 1)
		bn_die("decode: bad --reps or --series");
	rw_limits_default(&lim);
	build(nseries);
	for (int k = 0; k < NV; k++)		/* warm caches and the arena */
		rep(vs[k].fn, 50000000);
	for (int r = 0; r < reps; r++)
		for (int k = 0; k < NV; k++)
			mbs[k][r] = rep(vs[k].fn, (uint64_t)(min_ms * 1e6));
	for (int k = 0; k < NV; k++)
		med[k] = bn_median(mbs[k], (size_t)reps);
	printf("decode series=%zu labels=%d body_bytes=%zu raw_bytes=%zu "
	    "reps=%d\n", nseries, NLABELS, body_len, raw_len, reps);
	for (int k = 0; k < NV; k++)
		printf("decode variant=%s median_mb_s=%.1f min_mb_s=%.1f "
		    "max_mb_s=%.1f ratio_to_snappy=%.3f per_request_us=%.1f\n",
		    vs[k].name, med[k], mbs[k][0], mbs[k][reps - 1],
		    med[k] / med[0], (double)raw_len / med[k]);
	return 0;
}

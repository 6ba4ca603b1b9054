/* rwload.c -- a Prometheus remote-write 1.0 load generator.
 *
 *   rwload --url=http://127.0.0.1:PORT/api/v1/write [--threads=4]
 *          [--series=1000] [--requests=200] [--duration=20] [--warmup=2]
 *          [--t0-ms=MS] [--name=LABEL]
 *
 * Each thread owns one keep-alive HTTP/1.1 connection and a disjoint set of
 * `series` ALERTS series (10 labels, sorted by name as the spec requires:
 * __name__, alertname, alertstate="firing", cluster, instance, job,
 * namespace, pod, severity, team). Request k of a thread carries one sample
 * (value 1) of every one of its series at t0 + k seconds, so each connection
 * sends its series in timestamp order, as a Prometheus shard does. Every
 * request is encoded (protobuf-c, build/proto) and snappy-compressed before
 * the clock starts; the timed loop only writes and reads sockets.
 *
 * The first `warmup` requests of each thread (series creation) are sent
 * before timing. The run ends when every thread sent its `requests` or
 * `duration` seconds passed. Prints one line of key=value: requests and
 * samples per second, per-request latency p50/p99 (ms), and the count of
 * answers that were not 2xx (with the first such answer on stderr). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snappy-c.h>

#include "bench.h"
#include "remote.pb-c.h"
#include "types.pb-c.h"

#define NLABELS 10

static const char *const HEADERS =
    "Content-Type: application/x-protobuf\r\n"
    "Content-Encoding: snappy\r\n"
    "X-Prometheus-Remote-Write-Version: 0.1.0\r\n";

struct body {
	char *data;
	size_t len;
};

struct worker {
	pthread_t th;
	int id;
	struct body *bodies;	/* warmup + requests, in send order */
	size_t nbodies;
	double *lat_ms;		/* per timed request */
	size_t ndone;		/* timed requests completed */
	size_t non2xx, errors;
	int first_bad_status;
	char first_bad[256];
};

static struct bn_url url;
static size_t nseries = 1000, nrequests = 200, nwarmup = 2;
static double duration_s = 20;
static int nthreads = 4;
static int64_t t0_ms;
static uint64_t deadline_ns;
static size_t raw_bytes_total, body_bytes_total;
static pthread_barrier_t start_barrier;
static uint64_t timed_start_ns;

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(bn_xmalloc(n), s, n);
}

/* The labels of series i of worker w, sorted by name. Deterministic, so a
 * later run with a later t0 continues the same series. */
static void
series_labels(int w, size_t i, Prometheus__Label *lab)
{
	static const char *const sev[] = { "critical", "warning", "info" };
	static const char *const names[NLABELS] = {
		"__name__", "alertname", "alertstate", "cluster", "instance",
		"job", "namespace", "pod", "severity", "team",
	};
	char v[NLABELS][96];
	size_t g = (size_t)w * 1000003u + i;	/* globally unique */

	snprintf(v[0], sizeof(v[0]), "ALERTS");
	snprintf(v[1], sizeof(v[1]), "BenchAlert%03zu", i % 97);
	snprintf(v[2], sizeof(v[2]), "firing");
	snprintf(v[3], sizeof(v[3]), "prod-eu-west-%zu", g % 5);
	snprintf(v[4], sizeof(v[4]), "10.%zu.%zu.%zu:9100", (g >> 16) & 255,
	    (g >> 8) & 255, g & 255);
	snprintf(v[5], sizeof(v[5]), "kubernetes-pods");
	snprintf(v[6], sizeof(v[6]), "ns-%02zu", g % 37);
	snprintf(v[7], sizeof(v[7]), "api-server-%d-%06zu-7f9c8d", w, i);
	snprintf(v[8], sizeof(v[8]), "%s", sev[i % 3]);
	snprintf(v[9], sizeof(v[9]), "team-%02zu", g % 13);
	for (int k = 0; k < NLABELS; k++) {
		prometheus__label__init(&lab[k]);
		lab[k].name = xstrdup(names[k]);
		lab[k].value = xstrdup(v[k]);
	}
}

/* Encodes every request of worker w: the label sets are built once, only
 * the sample timestamps change between requests. */
static void
encode_worker(struct worker *w)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries *ts = bn_xmalloc(nseries * sizeof(*ts));
	Prometheus__TimeSeries **tsp = bn_xmalloc(nseries * sizeof(*tsp));
	Prometheus__Label *labs = bn_xmalloc(nseries * NLABELS * sizeof(*labs));
	Prometheus__Label **labp = bn_xmalloc(nseries * NLABELS *
	    sizeof(*labp));
	Prometheus__Sample *smp = bn_xmalloc(nseries * sizeof(*smp));
	Prometheus__Sample **smpp = bn_xmalloc(nseries * sizeof(*smpp));
	uint8_t *raw = NULL;
	size_t rawcap = 0;

	for (size_t i = 0; i < nseries; i++) {
		series_labels(w->id, i, &labs[i * NLABELS]);
		for (int k = 0; k < NLABELS; k++)
			labp[i * NLABELS + k] = &labs[i * NLABELS + k];
		prometheus__time_series__init(&ts[i]);
		prometheus__sample__init(&smp[i]);
		smp[i].value = 1;
		smpp[i] = &smp[i];
		ts[i].n_labels = NLABELS;
		ts[i].labels = &labp[i * NLABELS];
		ts[i].n_samples = 1;
		ts[i].samples = &smpp[i];
		tsp[i] = &ts[i];
	}
	wr.n_timeseries = nseries;
	wr.timeseries = tsp;
	w->nbodies = nwarmup + nrequests;
	w->bodies = bn_xmalloc(w->nbodies * sizeof(*w->bodies));
	for (size_t r = 0; r < w->nbodies; r++) {
		size_t rawlen, clen;

		for (size_t i = 0; i < nseries; i++)
			smp[i].timestamp = t0_ms + (int64_t)r * 1000;
		rawlen = prometheus__write_request__get_packed_size(&wr);
		if (rawlen > rawcap)
			raw = bn_xrealloc(raw, rawcap = rawlen);
		prometheus__write_request__pack(&wr, raw);
		clen = snappy_max_compressed_length(rawlen);
		w->bodies[r].data = bn_xmalloc(clen);
		if (snappy_compress((const char *)raw, rawlen, w->bodies[r].data,
		    &clen) != SNAPPY_OK)
			bn_die("snappy_compress failed");
		w->bodies[r].data = bn_xrealloc(w->bodies[r].data, clen);
		w->bodies[r].len = clen;
		__atomic_add_fetch(&raw_bytes_total, rawlen, __ATOMIC_RELAXED);
		__atomic_add_fetch(&body_bytes_total, clen, __ATOMIC_RELAXED);
	}
	for (size_t i = 0; i < nseries * NLABELS; i++) {
		free(labs[i].name);
		free(labs[i].value);
	}
	free(raw);
	free(ts);
	free(tsp);
	free(labs);
	free(labp);
	free(smp);
	free(smpp);
}

static void
note_bad(struct worker *w, int status, struct bn_conn *c)
{
	if (status < 0)
		w->errors++;
	else
		w->non2xx++;
	if (w->first_bad_status == 0) {
		w->first_bad_status = status;
		snprintf(w->first_bad, sizeof(w->first_bad), "%.200s",
		    status < 0 ? "connection error" : bn_conn_body(c));
	}
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	struct bn_conn c;
	size_t r = 0;

	bn_conn_init(&c, &url);
	for (; r < nwarmup && r < w->nbodies; r++) {
		int st = bn_request(&c, "POST", HEADERS, w->bodies[r].data,
		    w->bodies[r].len);

		if (st < 200 || st > 299)
			note_bad(w, st, &c);
	}
	pthread_barrier_wait(&start_barrier);	/* warm-up done */
	pthread_barrier_wait(&start_barrier);	/* deadline set */
	for (; r < w->nbodies; r++) {
		uint64_t t = bn_now_ns();
		int st;

		if (t >= deadline_ns)
			break;
		st = bn_request(&c, "POST", HEADERS, w->bodies[r].data,
		    w->bodies[r].len);
		w->lat_ms[w->ndone++] = (double)(bn_now_ns() - t) / 1e6;
		if (st < 200 || st > 299)
			note_bad(w, st, &c);
	}
	bn_conn_close(&c);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rwload --url=URL [--threads=4] [--series=1000]"
	    " [--requests=200] [--duration=20] [--warmup=2] [--t0-ms=MS]"
	    " [--name=LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *v, *name = "target", *u = NULL;
	struct worker *ws;
	double *all, elapsed;
	size_t ndone = 0, non2xx = 0, errors = 0, total_reqs;
	uint64_t t_end;
	int rc;

	t0_ms = (int64_t)time(NULL) * 1000 - 600000;
	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--url", &v)) > 0)
			u = v;
		else if ((rc = flag_value(argc, argv, &i, "--threads", &v)) > 0)
			nthreads = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--series", &v)) > 0)
			nseries = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--requests", &v)) > 0)
			nrequests = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--warmup", &v)) > 0)
			nwarmup = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--duration", &v)) > 0)
			duration_s = atof(v);
		else if ((rc = flag_value(argc, argv, &i, "--t0-ms", &v)) > 0)
			t0_ms = strtoll(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--name", &v)) > 0)
			name = v;
		else
			usage();
		if (rc < 0)
			usage();
	}
	if (u == NULL || bn_parse_url(u, &url) < 0 || nthreads < 1 ||
	    nseries < 1 || nrequests < 1)
		usage();

	ws = calloc((size_t)nthreads, sizeof(*ws));
	for (int t = 0; t < nthreads; t++) {
		ws[t].id = t;
		ws[t].lat_ms = bn_xmalloc(nrequests * sizeof(double));
		encode_worker(&ws[t]);
	}
	pthread_barrier_init(&start_barrier, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++)
		pthread_create(&ws[t].th, NULL, run_worker, &ws[t]);
	pthread_barrier_wait(&start_barrier);
	timed_start_ns = bn_now_ns();
	deadline_ns = timed_start_ns + (uint64_t)(duration_s * 1e9);
	pthread_barrier_wait(&start_barrier);
	for (int t = 0; t < nthreads; t++)
		pthread_join(ws[t].th, NULL);
	t_end = bn_now_ns();
	elapsed = (double)(t_end - timed_start_ns) / 1e9;

	total_reqs = (size_t)nthreads * nrequests;
	all = bn_xmalloc(total_reqs * sizeof(double));
	for (int t = 0; t < nthreads; t++) {
		memcpy(all + ndone, ws[t].lat_ms, ws[t].ndone * sizeof(double));
		ndone += ws[t].ndone;
		non2xx += ws[t].non2xx;
		errors += ws[t].errors;
		if (ws[t].first_bad_status != 0)
			fprintf(stderr, "rwload %s: thread %d: first bad answer:"
			    " %d %s\n", name, t, ws[t].first_bad_status,
			    ws[t].first_bad);
	}
	printf("rwload name=%s threads=%d series_per_req=%zu requests=%zu "
	    "samples=%zu elapsed_s=%.3f req_per_s=%.1f samples_per_s=%.0f "
	    "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%zu errors=%zu "
	    "body_bytes=%zu raw_bytes=%zu\n", name, nthreads, nseries, ndone,
	    ndone * nseries, elapsed, (double)ndone / elapsed,
	    (double)(ndone * nseries) / elapsed, bn_quantile(all, ndone, 0.50),
	    bn_quantile(all, ndone, 0.99), bn_quantile(all, ndone, 1.0),
	    non2xx, errors,
	    body_bytes_total / ((size_t)nthreads * (nwarmup + nrequests)),
	    raw_bytes_total / ((size_t)nthreads * (nwarmup + nrequests)));
	return non2xx || errors ? 3 : 0;
}

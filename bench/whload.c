/* whload.c -- an Alertmanager webhook load generator.
 *
 *   whload --url=http://127.0.0.1:PORT/api/v1/webhook [--threads=16]
 *          [--count=3000] [--alerts=10] [--warmup=1] [--offset=0]
 *          [--name=LABEL]
 *
 * `threads` senders, each with its own keep-alive connection, post
 * notifications (notif.h: real-shaped version-4 payloads of `alerts` alerts,
 * none identical, so with dedup_window 0s every one is stored) until `count`
 * have been answered in all. Notification i goes to sender i % threads, so
 * each sender's startsAt advance in order. Bodies are built before the
 * clock starts; `warmup` notifications per sender go first, untimed.
 * `offset` shifts the notification numbers, so that a second run against
 * the same daemon sends new notifications. Prints one key=value line:
 * notifications/s, alerts/s, latency p50/p99 (ms), non-2xx answers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "notif.h"

struct worker {
	pthread_t th;
	char **bodies;
	size_t *lens;
	size_t nbodies, nwarm;
	double *lat_ms;
	size_t ndone, non2xx, errors;
	int first_bad_status;
	char first_bad[256];
};

static struct bn_url url;
static pthread_barrier_t barrier;

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	struct bn_conn c;

	bn_conn_init(&c, &url);
	for (size_t r = 0; r < w->nbodies; r++) {
		uint64_t t;
		int st;

		if (r == w->nwarm)
			pthread_barrier_wait(&barrier);
		t = bn_now_ns();
		st = bn_request(&c, "POST", "Content-Type: application/json\r\n",
		    w->bodies[r], w->lens[r]);
		if (r >= w->nwarm)
			w->lat_ms[w->ndone++] = (double)(bn_now_ns() - t) / 1e6;
		if (st < 200 || st > 299) {
			if (st < 0)
				w->errors++;
			else
				w->non2xx++;
			if (w->first_bad_status == 0) {
				w->first_bad_status = st;
				snprintf(w->first_bad, sizeof(w->first_bad),
				    "%.200s", st < 0 ? "connection error" :
				    bn_conn_body(&c));
			}
		}
	}
	if (w->nwarm == w->nbodies)
		pthread_barrier_wait(&barrier);
	bn_conn_close(&c);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: whload --url=URL [--threads=16] [--count=3000]"
	    " [--alerts=10] [--warmup=1] [--offset=0] [--name=LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *v, *u = NULL, *name = "target";
	size_t count = 3000, nalerts = 10, warm = 1, offset = 0, total;
	size_t ndone = 0, non2xx = 0, errors = 0, bytes = 0;
	int nthreads = 16, rc;
	int64_t base_ms = (int64_t)time(NULL) * 1000 - 86400000;
	struct worker *ws;
	struct nt_notification *n = bn_xmalloc(sizeof(*n));
	double *all, elapsed;
	uint64_t t0;

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--url", &v)) > 0)
			u = v;
		else if ((rc = flag_value(argc, argv, &i, "--threads", &v)) > 0)
			nthreads = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--count", &v)) > 0)
			count = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--alerts", &v)) > 0)
			nalerts = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--warmup", &v)) > 0)
			warm = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--offset", &v)) > 0)
			offset = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--name", &v)) > 0)
			name = v;
		else
			usage();
		if (rc < 0)
			usage();
	}
	if (u == NULL || bn_parse_url(u, &url) < 0 || nthreads < 1 ||
	    count < 1 || nalerts < 1 || nalerts > NT_MAX_ALERTS)
		usage();

	total = count + warm * (size_t)nthreads;
	ws = calloc((size_t)nthreads, sizeof(*ws));
	for (int t = 0; t < nthreads; t++) {
		ws[t].bodies = bn_xmalloc((total / (size_t)nthreads + 1) *
		    sizeof(char *));
		ws[t].lens = bn_xmalloc((total / (size_t)nthreads + 1) *
		    sizeof(size_t));
		ws[t].lat_ms = bn_xmalloc((total / (size_t)nthreads + 1) *
		    sizeof(double));
		ws[t].nwarm = warm;
	}
	for (size_t i = 0; i < total; i++) {
		struct worker *w = &ws[i % (size_t)nthreads];

		nt_build(offset + i, nalerts, base_ms, n);
		w->bodies[w->nbodies] = nt_json(n, &w->lens[w->nbodies]);
		bytes += w->lens[w->nbodies];
		w->nbodies++;
	}
	for (int t = 0; t < nthreads; t++)
		if (ws[t].nwarm > ws[t].nbodies)
			ws[t].nwarm = ws[t].nbodies;

	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++)
		pthread_create(&ws[t].th, NULL, run_worker, &ws[t]);
	pthread_barrier_wait(&barrier);
	t0 = bn_now_ns();
	for (int t = 0; t < nthreads; t++)
		pthread_join(ws[t].th, NULL);
	elapsed = (double)(bn_now_ns() - t0) / 1e9;

	all = bn_xmalloc(total * sizeof(double));
	for (int t = 0; t < nthreads; t++) {
		memcpy(all + ndone, ws[t].lat_ms, ws[t].ndone * sizeof(double));
		ndone += ws[t].ndone;
		non2xx += ws[t].non2xx;
		errors += ws[t].errors;
		if (ws[t].first_bad_status != 0)
			fprintf(stderr, "whload %s: sender %d: first bad answer:"
			    " %d %s\n", name, t, ws[t].first_bad_status,
			    ws[t].first_bad);
	}
	printf("whload name=%s threads=%d notifications=%zu alerts_each=%zu "
	    "elapsed_s=%.3f notif_per_s=%.1f alerts_per_s=%.0f p50_ms=%.2f "
	    "p99_ms=%.2f max_ms=%.2f non2xx=%zu errors=%zu body_bytes=%zu\n",
	    name, nthreads, ndone, nalerts, elapsed, (double)ndone / elapsed,
	    (double)(ndone * nalerts) / elapsed, bn_quantile(all, ndone, 0.5),
	    bn_quantile(all, ndone, 0.99), bn_quantile(all, ndone, 1.0),
	    non2xx, errors, bytes / total);
	return non2xx || errors ? 3 : 0;
}

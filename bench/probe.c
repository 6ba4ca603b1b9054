/* probe.c -- times GET requests to one URL.
 *
 *   probe --url=http://127.0.0.1:PORT/path [--n=5] [--warmup=1]
 *         [--name=LABEL] [--timeout=SECONDS] [--wait-ready=SECONDS]
 *
 * Sends `warmup` untimed GETs, then `n` timed ones, one at a time on one
 * keep-alive connection, and prints one key=value line: the median, min and
 * max in milliseconds, the answer size and the count of non-200 answers.
 * A request that gets no answer within --timeout ends the run: it prints
 * timeout=1 and how long it waited, and exits 4 (the server may still be
 * working on it).
 * With --wait-ready it instead polls the URL (a new connection each time,
 * every 2 ms) until it answers 200 and prints how long that took -- used to
 * time a daemon's start to ready. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int
main(int argc, char **argv)
{
	const char *v, *u = NULL, *name = "probe";
	struct bn_url url;
	struct bn_conn c;
	double *t, wait_s = 0, timeout_s = 0, med;
	int n = 5, warm = 1, rc, bad = 0, status = 0;
	size_t bytes = 0;

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--url", &v)) > 0)
			u = v;
		else if ((rc = flag_value(argc, argv, &i, "--n", &v)) > 0)
			n = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--warmup", &v)) > 0)
			warm = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--name", &v)) > 0)
			name = v;
		else if ((rc = flag_value(argc, argv, &i, "--wait-ready", &v)) > 0)
			wait_s = atof(v);
		else if ((rc = flag_value(argc, argv, &i, "--timeout", &v)) > 0)
			timeout_s = atof(v);
		else
			rc = -1;
		if (rc < 0) {
			fprintf(stderr, "usage: probe --url=URL [--n=5] "
			    "[--warmup=1] [--name=LABEL] [--timeout=S] "
			    "[--wait-ready=S]\n");
			return 2;
		}
	}
	if (u == NULL || bn_parse_url(u, &url) < 0 || n < 1 || warm < 0)
		bn_die("probe: bad --url or --n");

	if (wait_s > 0) {
		uint64_t t0 = bn_now_ns(), deadline = t0 + (uint64_t)(wait_s *
		    1e9);
		struct timespec pause = { 0, 2000000 };

		for (;;) {
			bn_conn_init(&c, &url);
			status = bn_request(&c, "GET", "", NULL, 0);
			bn_conn_close(&c);
			if (status == 200 || bn_now_ns() > deadline)
				break;
			nanosleep(&pause, NULL);
		}
		printf("probe name=%s ready=%d wait_ms=%.1f\n", name,
		    status == 200, (double)(bn_now_ns() - t0) / 1e6);
		return status == 200 ? 0 : 1;
	}

	t = bn_xmalloc((size_t)n * sizeof(*t));
	bn_conn_init(&c, &url);
	c.timeout_ms = (int)(timeout_s * 1000);
	for (int i = 0; i < warm + n; i++) {
		uint64_t t0 = bn_now_ns();

		status = bn_request(&c, "GET", "", NULL, 0);
		if (status < 0 && c.timed_out) {
			printf("probe name=%s timeout=1 call=%d waited_ms=%.0f\n",
			    name, i + 1, (double)(bn_now_ns() - t0) / 1e6);
			return 4;
		}
		if (i >= warm)
			t[i - warm] = (double)(bn_now_ns() - t0) / 1e6;
		if (status != 200) {
			bad++;
			if (bad == 1)
				fprintf(stderr, "probe %s: %d %.200s\n", name,
				    status, status < 0 ? "connection error" :
				    bn_conn_body(&c));
		}
		bytes = c.body_len;
	}
	bn_conn_close(&c);
	med = bn_median(t, (size_t)n);		/* sorts t */
	printf("probe name=%s timeout=0 n=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f "
	    "bytes=%zu non200=%d\n", name, n, med, t[0], t[n - 1], bytes, bad);
	return bad ? 3 : 0;
}

/* scans.c -- where an analysis spends its time: each store read an_run
 * makes, timed on its own.
 *
 *   scans --storage.path=DIR [--window=28] [--reps=3] [--skip-identities]
 *         [--an-run]
 *
 * Opens the store (the daemon must not be running on it) and times, over
 * the window [now - window days, now), store_scan_episodes,
 * store_scan_identities, store_scan_notified (all and firing only, as
 * an_run loads pages) and store_scan_feedback; with --an-run also the whole
 * an_run with the default options. Each is run `reps` times; prints one
 * key=value line per read with the median in milliseconds and the rows it
 * returned. --skip-identities leaves out store_scan_identities (quadratic
 * in the data before schema 3 indexed notification_alerts and rw_series by
 * identity, README "Performance"), so that the other reads can still be
 * timed on large stores of such a build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "bench.h"
#include "store.h"

static size_t rows;

static int
on_episode(const struct episode *e, void *arg)
{
	(void)e;
	(void)arg;
	rows++;
	return 0;
}

static int
on_identity(const struct identity_row *r, void *arg)
{
	(void)r;
	(void)arg;
	rows++;
	return 0;
}

static int
on_notified(const struct notified_row *r, void *arg)
{
	(void)r;
	(void)arg;
	rows++;
	return 0;
}

static int
on_feedback(int64_t ep, const char *verdict, void *arg)
{
	(void)ep;
	(void)verdict;
	(void)arg;
	rows++;
	return 0;
}

static struct store *st;
static int64_t from, to;

static int r_episodes(void) { return store_scan_episodes(st, from, to, on_episode, NULL); }
static int r_identities(void) { return store_scan_identities(st, from, to, on_identity, NULL); }
static int r_notified(void) { return store_scan_notified(st, from, to, 0, on_notified, NULL); }
static int r_notified_firing(void) { return store_scan_notified(st, from, to, 1, on_notified, NULL); }
static int r_feedback(void) { return store_scan_feedback(st, from, to, on_feedback, NULL); }

static int
r_an_run(void)
{
	struct an_opts o;
	struct analysis *a;
	char err[256];
	static const char *const paging[] = { "pager" };

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	if (an_run(st, &o, from, to, to, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "scans: an_run: %s\n", err);
		return -1;
	}
	rows = a->neps;
	an_free(a);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
		int identities, an;
	} reads[] = {
		{ "scan_episodes", r_episodes, 0, 0 },
		{ "scan_identities", r_identities, 1, 0 },
		{ "scan_notified", r_notified, 0, 0 },
		{ "scan_notified_firing", r_notified_firing, 0, 0 },
		{ "scan_feedback", r_feedback, 0, 0 },
		{ "an_run", r_an_run, 1, 1 },
	};
	const char *v, *path = NULL;
	double window_d = 28, t[16];
	int reps = 3, skip_ids = 0, with_an = 0, rc;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--storage.path", &v)) > 0)
			path = v;
		else if ((rc = flag_value(argc, argv, &i, "--window", &v)) > 0)
			window_d = atof(v);
		else if ((rc = flag_value(argc, argv, &i, "--reps", &v)) > 0)
			reps = atoi(v);
		else if (strcmp(argv[i], "--skip-identities") == 0)
			skip_ids = 1, rc = 1;
		else if (strcmp(argv[i], "--an-run") == 0)
			with_an = 1, rc = 1;
		else
			rc = -1;
		if (rc < 0) {
			fprintf(stderr, "usage: scans --storage.path=DIR "
			    "[--window=28] [--reps=3] [--skip-identities] "
			    "[--an-run]\n");
			return 2;
		}
	}
	if (path == NULL || reps < 1 || reps > 16)
		bn_die("scans: bad --storage.path or --reps");
	if (store_open("sqlite", path, &st, err, sizeof(err)) < 0)
		bn_die("scans: %s", err);
	to = (int64_t)time(NULL) * 1000;
	from = to - (int64_t)(window_d * 86400000.0);
	for (size_t k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
		if ((reads[k].identities && skip_ids) ||
		    (reads[k].an && !with_an))
			continue;
		for (int r = 0; r < reps; r++) {
			uint64_t t0 = bn_now_ns();

			rows = 0;
			if (reads[k].fn() < 0)
				bn_die("scans: %s: %s", reads[k].name,
				    store_errmsg(st));
			t[r] = (double)(bn_now_ns() - t0) / 1e6;
		}
		printf("scans read=%s median_ms=%.1f rows=%zu reps=%d\n",
		    reads[k].name, bn_median(t, (size_t)reps), rows, reps);
		fflush(stdout);
	}
	store_close(st);
	return 0;
}

/* main.c -- alertnoised: flags, start-up, signals and the main loop.
 *
 * Start-up order (OpenBSD daemons): parse flags, load and validate the whole
 * config, open the store, then open the listening socket. Signals are taken
 * synchronously by the main thread (sigtimedwait), which also runs retention
 * pruning between them: SIGHUP reloads, SIGTERM/SIGINT shut down gracefully. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "analyses.h"
#include "config.h"
#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "import.h"
#include "ingest.h"
#include "kpi.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "report.h"
#include "report_cli.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"

#ifndef AN_DEFAULT_CONFIG
#define AN_DEFAULT_CONFIG "config/alertnoised.yml"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
"usage: alertnoised [<flags>]\n"
"       alertnoised import --prometheus.url=URL [<flags>]  (see import --help)\n"
"       alertnoised report [--format=FORMAT] [<flags>]     (see report --help)\n"
"\n"
"The alert-noise analyzer: receives Alertmanager webhooks, stores every\n"
"notification and alert episode, and serves metrics on /metrics.\n"
"\n"
"Flags:\n"
"  -h, --help                 Show this help and exit.\n"
"      --version              Show the version and exit.\n"
"      --config.file=PATH     Configuration file (default \"%s\").\n"
"      --web.listen-address=ADDR\n"
"                             Address to listen on for the API, webhooks and\n"
"                             metrics (default from the config, \":9467\").\n"
"      --storage.path=DIR     Directory of the embedded store (default from\n"
"                             the config, \"data/\").\n"
"      --log.level=LEVEL      debug, info, warn or error (default info).\n"
"      --log.format=FORMAT    logfmt or json (default logfmt).\n"
"      --check-config         Validate the configuration, print\n"
"                             \"configuration OK\" or what is wrong, and exit.\n"
"      --test.clock           For tests only: POST /-/test/clock?advance=1500ms\n"
"                             moves the daemon's clock forward.\n"
"\n"
"Flags override the configuration file. SIGHUP or POST /-/reload reloads it.\n",
	    AN_DEFAULT_CONFIG);
}

static void
version(void)
{
	printf("alertnoised, version %s (revision: %s)\n"
	    "  build: %s %s, compiler: %s\n",
	    AN_VERSION, AN_REVISION, __DATE__, __TIME__, __VERSION__);
}

/* Applies the flags over a loaded config. Returns 0 or -1 with err. */
static int
apply_flags(const struct flags *f, struct an_config *c, char *err,
    size_t errlen)
{
	if (f->listen_address) {
		free(c->listen_address);
		if ((c->listen_address = strdup(f->listen_address)) == NULL)
			goto nomem;
	}
	if (f->storage_path) {
		free(c->storage_path);
		if ((c->storage_path = strdup(f->storage_path)) == NULL)
			goto nomem;
	}
	if (f->log_level && (c->log_level = log_level_parse(f->log_level)) < 0) {
		snprintf(err, errlen, "--log.level: \"%s\" is not one of debug, "
		    "info, warn, error", f->log_level);
		return -1;
	}
	if (f->log_format) {
		if (strcmp(f->log_format, "logfmt") == 0)
			c->log_format = LOG_FMT_LOGFMT;
		else if (strcmp(f->log_format, "json") == 0)
			c->log_format = LOG_FMT_JSON;
		else {
			snprintf(err, errlen, "--log.format: \"%s\" is not one "
			    "of logfmt, json", f->log_format);
			return -1;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static struct an_config *
load_config(const struct flags *f, char *err, size_t errlen)
{
	struct an_config *c;

	if (cfg_load(f->config_file, &c, err, errlen) < 0)
		return NULL;
	if (apply_flags(f, c, err, errlen) < 0) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

const struct an_config *
daemon_config(struct daemon *d)
{
	const struct an_config *c;

	pthread_mutex_lock(&d->cfg_mu);
	c = cfg_hold(d->cfg);
	pthread_mutex_unlock(&d->cfg_mu);
	return c;
}

int64_t
daemon_default_window(struct daemon *d)
{
	const struct an_config *c = daemon_config(d);
	int64_t w = c->an_window_ms;

	cfg_release(c);
	return w;
}

/* Keeps what cannot change while running: a copy of the running value in
 * c (the running config itself is never written: requests read it). */
static int
keep_running(char **field, const char *running)
{
	char *v;

	if (strcmp(*field, running) == 0)
		return 0;
	if ((v = strdup(running)) == NULL)
		return -1;
	free(*field);
	*field = v;
	return 0;
}

int
daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	/* one reload at a time (SIGHUP and POST /-/reload): d->cfg changes
	 * only under it */
	static pthread_mutex_t reloading = PTHREAD_MUTEX_INITIALIZER;
	struct an_config *c, *old;
	const char *fail[] = { "failure" }, *ok[] = { "success" };
	int64_t sources_wait;

	if ((c = load_config(&d->flags, err, errlen)) == NULL) {
		log_error("Loading configuration file failed", "file",
		    d->flags.config_file, "err", err);
		met_set(d->m.reload_success, NULL, 0);
		met_add(d->m.reloads, fail, 1);
		return -1;
	}
	pthread_mutex_lock(&reloading);
	old = d->cfg;
	if (strcmp(old->listen_address, c->listen_address) != 0)
		log_warn("web.listen_address changes only at restart",
		    "running", old->listen_address, "configured",
		    c->listen_address);
	if (strcmp(old->storage_path, c->storage_path) != 0)
		log_warn("storage.path changes only at restart", "running",
		    old->storage_path, "configured", c->storage_path);
	if (strcmp(old->metrics_severity_label, c->metrics_severity_label) != 0)
		log_warn("metrics.severity_label changes only at restart",
		    "running", old->metrics_severity_label, "configured",
		    c->metrics_severity_label);
	if (old->busy_timeout_ms != c->busy_timeout_ms) {
		char o[32], n[32];

		cfg_format_duration(old->busy_timeout_ms, o, sizeof(o));
		cfg_format_duration(c->busy_timeout_ms, n, sizeof(n));
		log_warn("storage.busy_timeout changes only at restart",
		    "running", o, "configured", n);
		c->busy_timeout_ms = old->busy_timeout_ms;
	}
	if (keep_running(&c->listen_address, old->listen_address) < 0 ||
	    keep_running(&c->storage_path, old->storage_path) < 0 ||
	    keep_running(&c->metrics_severity_label,
	    old->metrics_severity_label) < 0) {
		pthread_mutex_unlock(&reloading);
		cfg_free(c);
		snprintf(err, errlen, "out of memory");
		log_error("Loading configuration file failed", "file",
		    d->flags.config_file, "err", err);
		met_set(d->m.reload_success, NULL, 0);
		met_add(d->m.reloads, fail, 1);
		return -1;
	}
	/* publish: requests from now on take c; those in flight keep old,
	 * which the last of them frees */
	pthread_mutex_lock(&d->cfg_mu);
	d->cfg = c;
	pthread_mutex_unlock(&d->cfg_mu);
	sources_wait = 2 * c->sources_timeout_ms + 1000;
	log_setup(c->log_level, c->log_format);
	pthread_mutex_unlock(&reloading);
	cfg_release(old);
	analysis_cache_clear();		/* thresholds may have changed */
	/* the sources may be others now: read them before answering */
	sources_refresh(sources_wait);
	met_set(d->m.reload_success, NULL, 1);
	met_set(d->m.reload_success_ts, NULL, (double)ts_now_ms() / 1000.0);
	met_add(d->m.reloads, ok, 1);
	log_info("Completed loading of configuration file", "file",
	    d->flags.config_file);
	return 0;
}

static int
register_metrics(struct daemon *d)
{
	static const double dur_buckets[] = { .001, .0025, .005, .01, .025,
	    .05, .1, .25, .5, 1, 2.5, 5, 10 };
	static const char *const bi[] = { "version", "revision" };
	static const char *const hc[] = { "handler", "code" };
	static const char *const h[] = { "handler" };
	static const char *const res[] = { "result" };
	static const char *const reason[] = { "reason" };
	static const char *const op[] = { "operation" };
	static const char *const table[] = { "table" };
	struct met_registry *r = d->reg;
	struct daemon_metrics *m = &d->m;
	const size_t nb = sizeof(dur_buckets) / sizeof(dur_buckets[0]);

	m->build_info = met_register(r, MET_GAUGE, "alertnoise_build_info",
	    "A metric with a constant '1' value labeled by version and "
	    "revision from which alertnoised was built.", 2, bi, NULL, 0);
	m->http_requests = met_register(r, MET_COUNTER,
	    "alertnoise_http_requests_total",
	    "HTTP requests served, by handler and status code.", 2, hc, NULL, 0);
	m->http_duration = met_register(r, MET_HISTOGRAM,
	    "alertnoise_http_request_duration_seconds",
	    "Time to serve an HTTP request, by handler.", 1, h, dur_buckets, nb);
	m->http_in_flight = met_register(r, MET_GAUGE,
	    "alertnoise_http_requests_in_flight",
	    "HTTP requests being served.", 0, NULL, NULL, 0);
	m->wh_notifications = met_register(r, MET_COUNTER,
	    "alertnoise_webhook_notifications_total",
	    "Alertmanager webhook notifications received, by result (stored, "
	    "duplicate, rejected, error).", 1, res, NULL, 0);
	m->wh_alerts = met_register(r, MET_COUNTER,
	    "alertnoise_webhook_alerts_total",
	    "Alerts in webhook notifications received, by result (stored, "
	    "duplicate, error).", 1, res, NULL, 0);
	m->wh_rejected = met_register(r, MET_COUNTER,
	    "alertnoise_webhook_rejected_total",
	    "Webhook requests rejected, by reason.", 1, reason, NULL, 0);
	m->storage_errors = met_register(r, MET_COUNTER,
	    "alertnoise_storage_errors_total",
	    "Storage operations that failed, by operation.", 1, op, NULL, 0);
	m->storage_duration = met_register(r, MET_HISTOGRAM,
	    "alertnoise_storage_operation_duration_seconds",
	    "Time of storage operations including the sync to disk, by "
	    "operation.", 1, op, dur_buckets, nb);
	m->pruned_rows = met_register(r, MET_COUNTER,
	    "alertnoise_storage_pruned_rows_total",
	    "Rows deleted by retention, by table.", 1, table, NULL, 0);
	m->episodes_opened = met_register(r, MET_COUNTER,
	    "alertnoise_episodes_opened_total",
	    "Alert episodes (one firing period of one alert identity) opened.",
	    0, NULL, NULL, 0);
	m->episodes_resolved = met_register(r, MET_COUNTER,
	    "alertnoise_episodes_resolved_total",
	    "Alert episodes resolved.", 0, NULL, NULL, 0);
	m->reload_success = met_register(r, MET_GAUGE,
	    "alertnoise_config_last_reload_successful",
	    "Whether the last configuration reload attempt was successful.",
	    0, NULL, NULL, 0);
	m->reload_success_ts = met_register(r, MET_GAUGE,
	    "alertnoise_config_last_reload_success_timestamp_seconds",
	    "Timestamp of the last successful configuration reload.",
	    0, NULL, NULL, 0);
	m->reloads = met_register(r, MET_COUNTER,
	    "alertnoise_config_reloads_total",
	    "Configuration reload attempts, by result (success, failure).",
	    1, res, NULL, 0);
	m->ready = met_register(r, MET_GAUGE, "alertnoise_ready",
	    "1 once the store is open and the daemon serves requests.",
	    0, NULL, NULL, 0);
	m->rw_samples = met_register(r, MET_COUNTER,
	    "alertnoise_remote_write_samples_total",
	    "Remote-write samples received, by result: applied (new ALERTS / "
	    "ALERTS_FOR_STATE samples), out_of_order (at or before the "
	    "series' last sample: a re-sent batch), ignored (other series), "
	    "invalid (in series that broke the spec).", 1, res, NULL, 0);
	m->rw_rejected = met_register(r, MET_COUNTER,
	    "alertnoise_remote_write_rejected_total",
	    "Remote-write requests rejected (wholly or in part), by reason.",
	    1, reason, NULL, 0);
	m->rw_expired = met_register(r, MET_COUNTER,
	    "alertnoise_remote_write_series_expired_total",
	    "ALERTS series ended by remote_write.staleness_timeout because "
	    "no staleness marker came.", 0, NULL, NULL, 0);
	{
		static const char *const verdict[] = { "verdict" };

		m->feedback = met_register(r, MET_COUNTER,
		    "alertnoise_feedback_total",
		    "Verdicts people gave on alert episodes, by verdict "
		    "(actionable, noise).", 1, verdict, NULL, 0);
	}
	{
		static const char *const kind[] = { "kind" };

		m->model_rows = met_register(r, MET_GAUGE,
		    "alertnoise_model_rows",
		    "Rows the in-memory alert model holds, by kind (episodes, "
		    "notifications, alerts, identities, series).", 1, kind,
		    NULL, 0);
		m->model_bytes = met_register(r, MET_GAUGE,
		    "alertnoise_model_bytes",
		    "Memory the in-memory alert model has allocated.", 0, NULL,
		    NULL, 0);
		m->model_current = met_register(r, MET_GAUGE,
		    "alertnoise_model_current",
		    "1 when the in-memory alert model is as of the store's "
		    "last commit; 0 while analyses read the store instead "
		    "(after another process wrote to it, until the next "
		    "check).", 0, NULL, NULL, 0);
	}
	{
		static const char *const by[] = { "answered_by" };

		m->model_scans = met_register(r, MET_COUNTER,
		    "alertnoise_model_scans_total",
		    "Analysis reads of the history, by what answered them: "
		    "model (in memory) or store (SQLite: a window older than "
		    "the model holds, or the model not current).", 1, by,
		    NULL, 0);
	}
	if (!m->rw_samples || !m->rw_rejected || !m->rw_expired ||
	    !m->feedback || !m->model_rows || !m->model_bytes ||
	    !m->model_current || !m->model_scans)
		return -1;
	if (!m->build_info || !m->http_requests || !m->http_duration ||
	    !m->http_in_flight || !m->wh_notifications || !m->wh_alerts ||
	    !m->wh_rejected || !m->storage_errors || !m->storage_duration ||
	    !m->pruned_rows || !m->episodes_opened || !m->episodes_resolved ||
	    !m->reload_success || !m->reload_success_ts || !m->reloads ||
	    !m->ready)
		return -1;
	{
		const char *v[] = { AN_VERSION, AN_REVISION };
		met_set(m->build_info, v, 1);
	}
	/* known label values start at 0, so rate() and absent() work */
	{
		static const char *const results[] = { "stored", "duplicate",
		    "rejected", "error" };
		static const char *const reasons[] = { "invalid_json",
		    "missing_field", "bad_version", "bad_value",
		    "bad_timestamp", "fingerprint_mismatch", "too_large",
		    "unsupported_media_type" };
		static const char *const ops[] = { "put_notification",
		    "put_samples", "put_feedback", "expire", "prune" };
		static const char *const rw_results[] = { "applied",
		    "out_of_order", "ignored", "invalid" };
		static const char *const rw_reasons[] = {
		    "unsupported_media_type", "too_large", "snappy",
		    "protobuf", "invalid", "out_of_memory" };
		static const char *const rr[] = { "success", "failure" };

		for (size_t i = 0; i < 4; i++) {
			met_add(m->wh_notifications, &results[i], 0);
			if (i != 2)
				met_add(m->wh_alerts, &results[i], 0);
		}
		for (size_t i = 0; i < 8; i++)
			met_add(m->wh_rejected, &reasons[i], 0);
		for (size_t i = 0; i < 5; i++)
			met_add(m->storage_errors, &ops[i], 0);
		for (size_t i = 0; i < 4; i++)
			met_add(m->rw_samples, &rw_results[i], 0);
		for (size_t i = 0; i < 6; i++)
			met_add(m->rw_rejected, &rw_reasons[i], 0);
		for (size_t i = 0; i < 2; i++)
			met_add(m->reloads, &rr[i], 0);
	}
	return kpi_register(d);
}

static void
prune(struct daemon *d)
{
	const struct an_config *cfg;
	struct store_prune_result pr;
	char n1[24], n2[24], n3[24];
	int64_t cutoff;
	int rc;

	cfg = daemon_config(d);
	cutoff = ts_now_ms() - cfg->retention_ms;
	cfg_release(cfg);
	rc = store_prune(d->store, cutoff, &pr);
	if (rc < 0) {
		const char *op[] = { "prune" };
		met_add(d->m.storage_errors, op, 1);
		log_error("Retention pruning failed", "err",
		    store_errmsg(d->store));
		return;
	}
	{
		const char *t1[] = { "notifications" }, *t2[] = { "episodes" },
		    *t3[] = { "identities" }, *t4[] = { "silences" };
		met_add(d->m.pruned_rows, t1, (double)pr.notifications);
		met_add(d->m.pruned_rows, t2, (double)pr.episodes);
		met_add(d->m.pruned_rows, t3, (double)pr.identities);
		met_add(d->m.pruned_rows, t4, (double)pr.silences);
	}
	if (pr.notifications || pr.episodes || pr.identities) {
		snprintf(n1, sizeof(n1), "%lld", (long long)pr.notifications);
		snprintf(n2, sizeof(n2), "%lld", (long long)pr.episodes);
		snprintf(n3, sizeof(n3), "%lld", (long long)pr.identities);
		log_info("Retention pruned old data", "notifications", n1,
		    "episodes", n2, "identities", n3);
	}
}

/* How often series without samples are checked against
 * remote_write.staleness_timeout. */
#define EXPIRE_EVERY_MS 5000

/* The main loop's timers run on ts_now_ms. daemon_run_due_timers counts a
 * request in asked and wakes the loop (SIGUSR1, taken by its sigtimedwait
 * only with --test.clock); the loop, once nothing is due, sets done to the
 * asked it read before it read the clock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t asked, done;	/* under lock */
	int stopped;		/* under lock: the loop has ended */
	pthread_t loop;		/* the main thread, with --test.clock */
} timers = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static uint64_t
timers_asked(void)
{
	uint64_t v;

	pthread_mutex_lock(&timers.lock);
	v = timers.asked;
	pthread_mutex_unlock(&timers.lock);
	return v;
}

/* The requests up to asked are served: the loop read the clock after it
 * read asked, and nothing is due at that time any more. */
static void
timers_ran(uint64_t asked)
{
	pthread_mutex_lock(&timers.lock);
	if (timers.done < asked) {
		timers.done = asked;
		pthread_cond_broadcast(&timers.cond);
	}
	pthread_mutex_unlock(&timers.lock);
}

static void
timers_stop(void)
{
	pthread_mutex_lock(&timers.lock);
	timers.stopped = 1;
	pthread_cond_broadcast(&timers.cond);
	pthread_mutex_unlock(&timers.lock);
}

int
daemon_run_due_timers(int64_t timeout_ms)
{
	struct timespec until;
	uint64_t mine;
	int rc;

	/* the condition variable's clock is the real one, not ts_now_ms */
	clock_gettime(CLOCK_REALTIME, &until);
	ts_add_ms(&until, timeout_ms);
	pthread_mutex_lock(&timers.lock);
	mine = ++timers.asked;
	if (!timers.stopped)
		pthread_kill(timers.loop, SIGUSR1);
	rc = 0;
	while (timers.done < mine && !timers.stopped && rc == 0)
		rc = pthread_cond_timedwait(&timers.cond, &timers.lock, &until);
	rc = timers.done >= mine ? 0 : -1;
	pthread_mutex_unlock(&timers.lock);
	return rc;
}

static int64_t
prune_every(struct daemon *d)
{
	const struct an_config *cfg = daemon_config(d);
	int64_t v = cfg->prune_interval_ms;

	cfg_release(cfg);
	return v;
}

/* How much history the in-memory model holds: the longest window anything
 * analyses by default (metrics.windows, analysis.window, the weekly report
 * and the week before it, a day for calendar weeks) and the flap_window
 * before it an analysis reads as context. Longer windows, asked for
 * explicitly, are read from the store. */
static int64_t
model_horizon(const struct an_config *cfg)
{
	int64_t h = 15 * 86400000LL, lookback = cfg->an_flap_window_ms, w;

	if (cfg->an_window_ms > h)
		h = cfg->an_window_ms;
	for (size_t i = 0; i < cfg->n_metrics_windows; i++)
		if (cfg_parse_window(cfg->metrics_windows[i], &w) == 0 && w > h)
			h = w;
	for (size_t i = 0; i < cfg->n_overrides; i++)
		if (cfg->overrides[i].flap_window_ms > lookback)
			lookback = cfg->overrides[i].flap_window_ms;
	return h + lookback + 3600000;
}

/* Refreshes the in-memory model after other processes' commits, and its
 * gauges. */
static void
model_check(struct daemon *d)
{
	static const char *const kinds[] = { "episodes", "notifications",
	    "alerts", "identities", "series" };
	struct model_stats ms;

	if (store_refresh(d->store) < 0)
		log_warn("Loading the in-memory alert model failed; analyses"
		    " read the store", "err", store_errmsg(d->store));
	store_model_stats(d->store, &ms);
	{
		size_t n[] = { ms.episodes, ms.notifications, ms.alerts,
		    ms.identities, ms.series };

		for (size_t i = 0; i < 5; i++)
			met_set(d->m.model_rows, &kinds[i], (double)n[i]);
	}
	met_set(d->m.model_bytes, NULL, (double)ms.bytes);
	met_set(d->m.model_current, NULL, ms.current);
	{
		const char *m1[] = { "model" }, *m2[] = { "store" };

		/* counted by the store; the counter catches up */
		met_add(d->m.model_scans, m1, (double)ms.scans_model -
		    met_get(d->m.model_scans, m1));
		met_add(d->m.model_scans, m2, (double)ms.scans_store -
		    met_get(d->m.model_scans, m2));
	}
}

/* Ends remote-written series that went quiet without a staleness marker. */
static void
expire(struct daemon *d)
{
	const struct an_config *cfg = daemon_config(d);
	struct ingest_opts opts;
	struct ingest_result res;
	int64_t timeout;
	int rc;

	/* the options point into cfg, held until ingest_expire is done */
	memset(&opts, 0, sizeof(opts));
	opts.replica_labels = (const char *const *)cfg->replica_labels;
	opts.nreplica = cfg->n_replica_labels;
	opts.join_tolerance_ms = cfg->join_tolerance_ms;
	opts.source = EP_SRC_REMOTE_WRITE;
	timeout = cfg->staleness_timeout_ms;
	rc = ingest_expire(d->store, ts_now_ms(), timeout, &opts, &res);
	cfg_release(cfg);
	if (rc < 0) {
		const char *op[] = { "expire" };
		met_add(d->m.storage_errors, op, 1);
		log_error("Ending idle series failed", "err",
		    store_errmsg(d->store));
		return;
	}
	if (res.series_expired) {
		char n[24];

		snprintf(n, sizeof(n), "%zu", res.series_expired);
		met_add(d->m.rw_expired, NULL, (double)res.series_expired);
		met_add(d->m.episodes_resolved, NULL,
		    (double)res.episodes_resolved);
		log_info("Ended series that sent no staleness marker",
		    "series", n);
	}
}

int
main(int argc, char **argv)
{
	struct daemon d;
	char err[1024];
	int check = 0, rc;
	sigset_t sigs;

	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	memset(&d, 0, sizeof(d));
	d.flags.config_file = AN_DEFAULT_CONFIG;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			version();
			return 0;
		}
		if (strcmp(a, "--check-config") == 0) {
			check = 1;
			continue;
		}
		if (strcmp(a, "--test.clock") == 0) {
			d.flags.test_clock = 1;
			continue;
		}
		if ((rc = flag_value(argc, argv, &i, "--config.file",
		    &d.flags.config_file)) ||
		    (rc = flag_value(argc, argv, &i, "--web.listen-address",
		    &d.flags.listen_address)) ||
		    (rc = flag_value(argc, argv, &i, "--storage.path",
		    &d.flags.storage_path)) ||
		    (rc = flag_value(argc, argv, &i, "--log.level",
		    &d.flags.log_level)) ||
		    (rc = flag_value(argc, argv, &i, "--log.format",
		    &d.flags.log_format))) {
			if (rc < 0) {
				fprintf(stderr, "alertnoised: error: flag %s "
				    "needs a value, try --help\n", a);
				return 2;
			}
			continue;
		}
		fprintf(stderr, "alertnoised: error: unknown flag %s, try "
		    "--help\n", a);
		return 2;
	}

	if (!check) {
		/* log as the flags say even about a config that fails */
		int lvl = d.flags.log_level ? log_level_parse(d.flags.log_level) :
		    LOG_INFO;
		int fmt = d.flags.log_format &&
		    strcmp(d.flags.log_format, "json") == 0 ? LOG_FMT_JSON :
		    LOG_FMT_LOGFMT;

		log_setup(lvl < 0 ? LOG_INFO : lvl, fmt);
	}
	if ((d.cfg = load_config(&d.flags, err, sizeof(err))) == NULL) {
		if (check)
			fprintf(stderr, "%s\n", err);
		else
			log_error("Loading configuration file failed", "file",
			    d.flags.config_file, "err", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		cfg_free(d.cfg);
		return 0;
	}
	log_setup(d.cfg->log_level, d.cfg->log_format);
	log_info("Starting alertnoised", "version", AN_VERSION, "revision",
	    AN_REVISION, "config", d.flags.config_file);

	/* signals are taken by sigtimedwait below; every thread inherits the
	 * mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (d.flags.test_clock) {
		sigaddset(&sigs, SIGUSR1);	/* daemon_run_due_timers */
		timers.loop = pthread_self();
		log_warn("The clock moves on POST /-/test/clock "
		    "(--test.clock): for tests only");
	}
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_init(&d.cfg_mu, NULL);
	d.start_ms = ts_now_ms();
	if ((d.reg = met_registry_new()) == NULL || register_metrics(&d) < 0) {
		log_error("Out of memory registering metrics");
		return 1;
	}
	met_set(d.m.reload_success, NULL, 1);
	met_set(d.m.reload_success_ts, NULL, (double)d.start_ms / 1000.0);

	{
		struct store_opts so = { .busy_timeout_ms =
		    d.cfg->busy_timeout_ms, .model_horizon_ms =
		    model_horizon(d.cfg) };

		if (store_open_opts("sqlite", d.cfg->storage_path, &so,
		    &d.store, err, sizeof(err)) < 0) {
			log_error("Opening the store failed", "path",
			    d.cfg->storage_path, "err", err);
			return 1;
		}
	}
	{
		char v[16];
		struct model_stats ms;
		char eps[24], mb[24], since[40];

		snprintf(v, sizeof(v), "%d", store_schema_version(d.store));
		store_model_stats(d.store, &ms);
		snprintf(eps, sizeof(eps), "%zu", ms.episodes);
		snprintf(mb, sizeof(mb), "%.1f", (double)ms.bytes / 1048576.0);
		ts_format_rfc3339(ms.from, since, sizeof(since));
		log_info("Store opened", "path", d.cfg->storage_path,
		    "backend", "sqlite", "schema_version", v,
		    "model_since", since, "model_episodes", eps,
		    "model_mib", mb);
		model_check(&d);
	}
	{
		int64_t act, noise;
		const char *va[] = { "actionable" }, *vn[] = { "noise" };

		if (store_feedback_counts(d.store, &act, &noise) < 0)
			act = noise = 0;
		met_add(d.m.feedback, va, (double)act);
		met_add(d.m.feedback, vn, (double)noise);
	}
	/* libcurl before any thread uses it; the sources load in the
	 * background from now on */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    sources_start(&d, err, sizeof(err)) < 0) {
		log_error("Starting the sources failed", "err", err);
		store_close(d.store);
		return 1;
	}
	/* the first refresh of the KPI metrics runs now, in the background */
	if (kpi_start(&d, err, sizeof(err)) < 0) {
		log_error("Starting the KPI metrics failed", "err", err);
		store_close(d.store);
		return 1;
	}
	if (ingest_routes_start(&d, err, sizeof(err)) < 0) {
		log_error("Starting the commit queue failed", "err", err);
		kpi_stop();
		sources_stop();
		analysis_cache_clear();
		store_close(d.store);
		return 1;
	}
	if (http_start(&d, err, sizeof(err)) < 0) {
		log_error("Starting the web server failed", "err", err);
		ingest_routes_stop();
		kpi_stop();
		sources_stop();
		analysis_cache_clear();
		store_close(d.store);
		return 1;
	}
	__atomic_store_n(&d.ready, 1, __ATOMIC_RELEASE);
	met_set(d.m.ready, NULL, 1);
	log_info("Server is ready to receive web requests.");
	sd_notify_msg("READY=1");

	prune(&d);
	{
		int64_t next_prune = ts_now_ms() + prune_every(&d);
		int64_t next_expire = ts_now_ms() + EXPIRE_EVERY_MS;

		for (;;) {
			/* what was asked before the clock is read */
			uint64_t asked = timers_asked();
			int64_t now = ts_now_ms(), wait;
			struct timespec ts;
			int sig;

			if (now >= next_prune) {
				prune(&d);
				next_prune = ts_now_ms() + prune_every(&d);
				continue;
			}
			if (now >= next_expire) {
				expire(&d);
				model_check(&d);
				next_expire = ts_now_ms() + EXPIRE_EVERY_MS;
				continue;
			}
			timers_ran(asked);
			wait = (next_prune < next_expire ? next_prune :
			    next_expire) - now;
			ts.tv_sec = (time_t)(wait / 1000);
			ts.tv_nsec = (long)(wait % 1000) * 1000000;
			sig = sigtimedwait(&sigs, NULL, &ts);
			if (sig == SIGHUP) {
				log_info("Received SIGHUP, reloading");
				sd_notify_msg("RELOADING=1");
				daemon_reload(&d, err, sizeof(err));
				sd_notify_msg("READY=1");
				next_prune = ts_now_ms() + prune_every(&d);
			} else if (sig == SIGTERM || sig == SIGINT) {
				log_info("Received signal, exiting gracefully",
				    "signal", sig == SIGTERM ? "SIGTERM" :
				    "SIGINT");
				break;
			}
			/* SIGUSR1 (daemon_run_due_timers): the loop reads
			 * the clock again */
		}
		timers_stop();
	}

	sd_notify_msg("STOPPING=1");
	__atomic_store_n(&d.ready, 0, __ATOMIC_RELEASE);
	/* no analysis is waited for: the refresher and the read API stop
	 * reading (their callers get an error); writes under way finish,
	 * so every acknowledged request stays stored */
	kpi_request_stop();
	store_cancel_reads(d.store);
	http_stop(&d, 30000);
	ingest_routes_stop();
	kpi_stop();
	sources_stop();
	analysis_cache_clear();
	store_close(d.store);
	curl_global_cleanup();
	log_info("See you next time!");
	met_registry_free(d.reg);
	cfg_release(d.cfg);
	pthread_mutex_destroy(&d.cfg_mu);
	return 0;
}

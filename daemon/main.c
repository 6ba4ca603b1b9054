/* main.c -- alertnoised: flags, start-up, signals and the main loop.
 *
 * Start-up order (OpenBSD daemons): parse flags, load and validate the whole
 * config, open the store, then open the listening socket. Signals are taken
 * synchronously by the main thread (sigtimedwait), which also runs retention
 * pruning between them: SIGHUP reloads, SIGTERM/SIGINT shut down gracefully.
 *
 * main.c only calls the other files: the running config is daemon.c's, its
 * loading and reloading reload.c's, the test clock's handshake with this
 * loop timers.c's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "analyses.h"
#include "buildinfo.h"
#include "client.h"
#include "config.h"
#include "daemon.h"
#include "flags.h"
#include "http.h"
#include "import.h"
#include "ingest.h"
#include "ingest_routes.h"
#include "kpi.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "reload.h"
#include "routes.h"
#include "report.h"
#include "report_cli.h"
#include "sdnotify.h"
#include "sources.h"
#include "store.h"
#include "storelock.h"
#include "timefmt.h"
#include "timers.h"
#include "webconfig.h"

#ifndef AN_DEFAULT_CONFIG
#define AN_DEFAULT_CONFIG "config/alertnoised.yml"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
"usage: alertnoised [serve] [<flags>]\n"
"       alertnoised COMMAND [<flags>] [<args>...]\n"
"\n"
"The alert-noise analyzer: receives Alertmanager webhooks, stores every\n"
"notification and alert episode, and serves metrics on /metrics.\n"
"\n"
"Commands:\n"
"  serve            Run the daemon (the default; the flags below).\n"
"  import           Backfill episodes from a Prometheus server's history.\n"
"  report           Write the weekly review report from the store.\n"
"  query            Ask a running daemon for episodes, alerts or groups.\n"
"  feedback         Record a verdict (actionable, noise) on an alert.\n"
"  simulate         Replay history under changed settings.\n"
"  recommendations  List the recommended changes.\n"
"  check-store      Check the store's file for corruption.\n"
"  help [COMMAND]   Show this help, or a command's.\n"
"\n"
"query, feedback, simulate and recommendations talk to a running daemon\n"
"(--alertnoise.url, default $ALERTNOISE_URL, else http://localhost:9467;\n"
"--http.config.file for TLS and credentials).\n"
"\n"
"Flags of serve:\n"
"  -h, --help                 Show this help and exit.\n"
"      --version              Show the version and exit.\n"
"      --config.file=PATH     Configuration file (default \"%s\").\n"
"      --web.listen-address=ADDR\n"
"                             Address to listen on for the API, webhooks and\n"
"                             metrics (default from the config, \":9467\").\n"
"      --web.enable-lifecycle Enable reloading over HTTP (POST /-/reload).\n"
"      --web.config.file=PATH Web configuration file in Prometheus\n"
"                             exporter-toolkit's format: TLS, client\n"
"                             certificates, basic auth users (default none).\n"
"      --storage.path=DIR     Directory of the embedded store (default from\n"
"                             the config, \"data/\").\n"
"      --log.level=LEVEL      debug, info, warn or error (default info).\n"
"      --log.format=FORMAT    logfmt or json (default logfmt).\n"
"      --check-config         Validate the configuration, print\n"
"                             \"configuration OK\" or what is wrong, and exit.\n"
"      --test.clock           For tests only: POST /-/test/clock?advance=1500ms\n"
"                             moves the daemon's clock forward.\n"
"\n"
"Flags override the configuration file. SIGHUP reloads it, as does POST\n"
"/-/reload with --web.enable-lifecycle.\n",
	    AN_DEFAULT_CONFIG);
}

static void
print_finding(const char *text, void *arg)
{
	(void)arg;
	printf("%s\n", text);
}

/* `alertnoised check-store`: argv[0] is "check-store". PRAGMA
 * integrity_check on the store named by the config or --storage.path,
 * read-only, so the daemon may be running. Exit status 0 when the store is
 * whole, 1 after findings or when there is no store to check, 2 for a
 * usage error. */
static int
check_store_main(int argc, char **argv)
{
	struct flags f;
	struct an_config *cfg;
	char err[2048];
	int help = 0, rc;
	const struct flag_def defs[] = {
		{ "-h", FLAG_STOP, .on = &help },
		{ "--help", FLAG_STOP, .on = &help },
		{ "--config.file", FLAG_VALUE, .value = &f.config_file },
		{ "--storage.path", FLAG_VALUE, .value = &f.storage_path },
	};

	memset(&f, 0, sizeof(f));
	f.config_file = AN_DEFAULT_CONFIG;
	rc = flags_parse(argc, argv, defs, sizeof(defs) / sizeof(defs[0]),
	    "alertnoised check-store", stderr);
	if (rc == 1) {
		printf(
"usage: alertnoised check-store [<flags>]\n"
"\n"
"Checks the store's file for corruption with SQLite's PRAGMA\n"
"integrity_check and prints \"store OK\" (exit status 0) or what SQLite\n"
"found (exit status 1). Opens the store read-only: the daemon may be\n"
"running. A corrupt store is restored from a backup, or moved away (with\n"
"its -wal and -shm files) to start with an empty one.\n"
"\n"
"Flags:\n"
"  -h, --help                 Show this help and exit.\n"
"      --config.file=PATH     Configuration file (default \"%s\").\n"
"      --storage.path=DIR     Directory of the embedded store (default from\n"
"                             the config).\n", AN_DEFAULT_CONFIG);
		return 0;
	}
	if (rc != 0)
		return rc;
	if ((cfg = daemon_load_config(&f, err, sizeof(err))) == NULL) {
		fprintf(stderr, "alertnoised check-store: error: %s\n", err);
		return 1;
	}
	rc = store_check("sqlite", cfg->storage_path, 1, print_finding, NULL,
	    err, sizeof(err));
	if (rc == 0)
		printf("store OK\n");
	else if (rc > 0)
		fprintf(stderr, "alertnoised check-store: the store in %s is "
		    "not whole: restore it from a backup, or move its "
		    "alertnoise.db (with its -wal and -shm files) away to "
		    "start with an empty store\n", cfg->storage_path);
	else
		fprintf(stderr, "alertnoised check-store: error: %s\n", err);
	cfg_free(cfg);
	return rc == 0 ? 0 : 1;
}

/* `alertnoised help [COMMAND...]`: argv[0] is "help". The usage, or the
 * command's, as COMMAND... --help prints it. */
static int
help(int argc, char **argv)
{
	static char help_flag[] = "--help";
	char *args[8];
	int n = 0;

	if (argc < 2 || strcmp(argv[1], "serve") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc && n < 6; i++)
		args[n++] = argv[i];
	args[n++] = help_flag;
	args[n] = NULL;
	if (strcmp(args[0], "import") == 0)
		return import_main(n, args);
	if (strcmp(args[0], "report") == 0)
		return report_main(n, args);
	if (strcmp(args[0], "check-store") == 0)
		return check_store_main(n, args);
	if (client_is_command(args[0]))
		return client_run(n, args);
	fprintf(stderr, "alertnoised: error: unknown command \"%s\", try "
	    "alertnoised help\n", args[0]);
	return 2;
}

/* As Prometheus prints its own (prometheus/common version.Print). */
static void
print_version(void)
{
	const struct buildinfo *b = buildinfo();

	printf("alertnoised, version %s (branch: %s, revision: %s)\n"
	    "  build: %s, compiler: %s\n",
	    b->version, b->branch, b->revision, b->build_date, b->compiler);
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
	m->auth_failures = met_register(r, MET_COUNTER,
	    "alertnoise_http_auth_failures_total",
	    "HTTP requests refused by --web.config.file's authentication or "
	    "web.authorization, by reason (no_credentials, unknown_user, "
	    "wrong_password, rate_limited, forbidden, client_certificate).",
	    1, reason, NULL, 0);
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
	m->rw_live = met_register(r, MET_GAUGE,
	    "alertnoise_remote_write_live_series",
	    "ALERTS and ALERTS_FOR_STATE series in a run (what a staleness "
	    "marker or remote_write.staleness_timeout will end), as of the "
	    "last commit; remote_write.max_series caps them.", 0, NULL, NULL,
	    0);
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
	    !m->rw_live || !m->feedback || !m->model_rows || !m->model_bytes ||
	    !m->model_current || !m->model_scans)
		return -1;
	if (!m->build_info || !m->http_requests || !m->http_duration ||
	    !m->http_in_flight || !m->wh_notifications || !m->wh_alerts ||
	    !m->wh_rejected || !m->storage_errors || !m->storage_duration ||
	    !m->pruned_rows || !m->episodes_opened || !m->episodes_resolved ||
	    !m->reload_success || !m->reload_success_ts || !m->reloads ||
	    !m->ready || !m->auth_failures)
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
		    "protobuf", "invalid", "out_of_memory", "out_of_bounds",
		    "series_limit", "new_series_rate" };
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
		for (size_t i = 0; i < 9; i++)
			met_add(m->rw_rejected, &rw_reasons[i], 0);
		static const char *const auth_reasons[] = { "no_credentials",
		    "unknown_user", "wrong_password", "rate_limited",
		    "forbidden", "client_certificate" };

		for (size_t i = 0; i < 2; i++)
			met_add(m->reloads, &rr[i], 0);
		for (size_t i = 0; i < 6; i++)
			met_add(m->auth_failures, &auth_reasons[i], 0);
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

/* While writes to the store fail for want of space or for I/O errors, one
 * probe write per call, so that readiness comes back when space does even
 * with no request to write (a load balancer sends none to a daemon that is
 * not ready). Logs when writes start and stop failing; *was is the fault
 * seen by the last call. */
static void
check_writes(struct daemon *d, int *was)
{
	const struct an_config *cfg;
	char why[512];
	int fault = store_write_fault(d->store, why, sizeof(why));

	if (fault == STORE_FAULT_IO && store_write_probe(d->store) == 0)
		fault = store_write_fault(d->store, why, sizeof(why));
	if (fault == *was)
		return;
	cfg = daemon_config(d);
	if (fault == STORE_FAULT_CORRUPT)
		log_error("A write found the store corrupt; /-/ready answers "
		    "503. Stop the daemon and run alertnoised check-store",
		    "path", cfg->storage_path, "err", why);
	else if (fault == STORE_FAULT_IO)
		log_error("Writes to the store fail; /-/ready answers 503 until"
		    " one succeeds", "path", cfg->storage_path, "err", why);
	else
		log_info("Writes to the store succeed again; ready");
	cfg_release(cfg);
	*was = fault;
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
	met_set(d->m.rw_live, NULL,
	    (double)store_live_series_committed(d->store));
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

	if (argc > 1 && strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check-store") == 0)
		return check_store_main(argc - 1, argv + 1);
	if (argc > 1 && client_is_command(argv[1]))
		return client_run(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc > 1 && argv[1][0] != '-') {
		fprintf(stderr, "alertnoised: error: unknown command \"%s\", "
		    "try alertnoised help\n", argv[1]);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	d.flags.config_file = AN_DEFAULT_CONFIG;
	{
		int help = 0, version = 0;
		const struct flag_def defs[] = {
			{ "-h", FLAG_STOP, .on = &help },
			{ "--help", FLAG_STOP, .on = &help },
			{ "--version", FLAG_STOP, .on = &version },
			{ "--check-config", FLAG_SWITCH, .on = &check },
			{ "--test.clock", FLAG_SWITCH,
			    .on = &d.flags.test_clock },
			{ "--web.enable-lifecycle", FLAG_SWITCH,
			    .on = &d.flags.enable_lifecycle },
			{ "--config.file", FLAG_VALUE,
			    .value = &d.flags.config_file },
			{ "--web.config.file", FLAG_VALUE,
			    .value = &d.flags.web_config_file },
			{ "--web.listen-address", FLAG_VALUE,
			    .value = &d.flags.listen_address },
			{ "--storage.path", FLAG_VALUE,
			    .value = &d.flags.storage_path },
			{ "--log.level", FLAG_VALUE,
			    .value = &d.flags.log_level },
			{ "--log.format", FLAG_VALUE,
			    .value = &d.flags.log_format },
		};

		rc = flags_parse(argc, argv, defs, sizeof(defs) /
		    sizeof(defs[0]), "alertnoised", stderr);
		if (rc == 1 && help)
			usage(stdout);
		else if (rc == 1)
			print_version();
		if (rc != 0)
			return rc == 1 ? 0 : rc;
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
	if ((d.cfg = daemon_load_config(&d.flags, err, sizeof(err))) == NULL) {
		if (check)
			fprintf(stderr, "%s\n", err);
		else
			log_error("Loading configuration file failed", "file",
			    d.flags.config_file, "err", err);
		return 1;
	}
	if (d.flags.web_config_file != NULL && (d.web = webcfg_load(
	    d.flags.web_config_file, err, sizeof(err))) == NULL) {
		if (check)
			fprintf(stderr, "%s\n", err);
		else
			log_error("Loading web configuration file failed",
			    "file", d.flags.web_config_file, "err", err);
		cfg_free(d.cfg);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		webcfg_release(d.web);
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
		timers_set_loop(pthread_self());
		log_warn("The clock moves on POST /-/test/clock "
		    "(--test.clock): for tests only");
	}
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a file-size limit (LimitFSIZE=) fails the write with EFBIG, as a
	 * full disk fails it, instead of killing the daemon */
	signal(SIGXFSZ, SIG_IGN);

	pthread_mutex_init(&d.cfg_mu, NULL);
	d.start_ms = ts_now_ms();
	if ((d.reg = met_registry_new()) == NULL || register_metrics(&d) < 0) {
		log_error("Out of memory registering metrics");
		return 1;
	}
	met_set(d.m.reload_success, NULL, 1);
	met_set(d.m.reload_success_ts, NULL, (double)d.start_ms / 1000.0);

	if (storelock_take(d.cfg->storage_path, err, sizeof(err)) < 0) {
		log_error("Taking the store's lock failed", "path",
		    d.cfg->storage_path, "err", err);
		return 1;
	}
	{
		struct store_opts so = { .busy_timeout_ms =
		    d.cfg->busy_timeout_ms, .model_horizon_ms =
		    model_horizon(d.cfg), .verify = 1 };

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
		    "backend", "sqlite", "schema_version", v, "check",
		    store_open_check(d.store) == STORE_CHECK_SKIPPED ?
		    "skipped (clean shutdown, file unchanged)" : "quick_check",
		    "model_since", since, "model_episodes", eps,
		    "model_mib", mb);
		model_check(&d);
	}
	{
		const char *va[] = { "actionable" }, *vn[] = { "noise" };

		met_add(d.m.feedback, va, 0);
		met_add(d.m.feedback, vn, 0);
		/* the counters that count history resume from the store;
		 * when it cannot be read they start at 0 (a counter reset,
		 * which increase() takes in its stride) and go on counting
		 * into it */
		if (kpi_resume(&d, err, sizeof(err)) < 0)
			log_error("Resuming the KPI counters failed", "err",
			    err);
	}
	if (sources_pages_known(d.store, d.cfg) == 0)
		log_warn("No source of pages is known: no Alertmanager webhook "
		    "and no Prometheus remote write were ever received, and no "
		    "Alertmanager source is configured. Send Alertmanager's "
		    "notifications to /api/v1/webhook and Prometheus' ALERTS "
		    "series to /api/v1/write (README \"Connect to your "
		    "stack\"; the web UI's overview shows both snippets)",
		    "listen_address", d.cfg->listen_address);
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
		int write_fault = 0;

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
				check_writes(&d, &write_fault);
				expire(&d);
				model_check(&d);
				analysis_trim_idle();
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
	webcfg_release(d.web);
	cfg_release(d.cfg);
	pthread_mutex_destroy(&d.cfg_mu);
	return 0;
}

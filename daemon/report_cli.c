/* report_cli.c -- `alertnoised report`: the weekly review report
 * (lib/render/report.h) from the store named by the config or --storage.path,
 * written to stdout or a file.
 *
 * It reads the store directly, so it works with the daemon running (SQLite
 * in WAL mode lets a reader in beside the writer) or stopped. It reads the
 * sources of truth once (the
 * daemon's sources.c, its thread started and stopped here), so that pages
 * and reasons are those of the daemon's /api/v1/report. */
#include "flags.h"
#include "report_cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "analyses.h"
#include "config.h"
#include "recommendations.h"
#include "reload.h"
#include "report.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"

#define WINDOW_DEFAULT	"7d"
#define DB_FILE		"alertnoise.db"

struct report_flags {
	const char *window, *format, *output;
	struct flags common;	/* over the config file (reload.h) */
};

static void
usage(FILE *f, const char *default_config)
{
	fprintf(f,
"usage: alertnoised report [<flags>]\n"
"\n"
"Writes the weekly alert-tuning review: KPIs against the window before,\n"
"pages and noise per day, the noisiest, flapping and persistent alerts,\n"
"dedup groups, recommendations and what changed. Reads the store directly;\n"
"works with the daemon running or stopped.\n"
"\n"
"Flags:\n"
"  -h, --help                 Show this help and exit.\n"
"      --window=DURATION      The window to review, at most 366d (default\n"
"                             " WINDOW_DEFAULT ").\n"
"      --format=FORMAT        markdown, json or html (default markdown).\n"
"      --output=FILE          Write to FILE instead of stdout.\n"
"      --config.file=PATH     Configuration file (default \"%s\").\n"
"      --storage.path=DIR     Directory of the embedded store (default from\n"
"                             the config).\n",
	    default_config);
}

/* Parses argv into f. Returns 0, 1 after --help, or 2 (the exit status)
 * after printing what is wrong. */
static int
parse_flags(int argc, char **argv, struct report_flags *f,
    const char *default_config)
{
	int help = 0, rc;
	const struct flag_def defs[] = {
		{ "-h", FLAG_STOP, .on = &help },
		{ "--help", FLAG_STOP, .on = &help },
		{ "--window", FLAG_VALUE, .value = &f->window },
		{ "--format", FLAG_VALUE, .value = &f->format },
		{ "--output", FLAG_VALUE, .value = &f->output },
		{ "--config.file", FLAG_VALUE,
		    .value = &f->common.config_file },
		{ "--storage.path", FLAG_VALUE,
		    .value = &f->common.storage_path },
	};

	memset(f, 0, sizeof(*f));
	f->window = WINDOW_DEFAULT;
	f->format = "markdown";
	f->common.config_file = default_config;
	rc = flags_parse(argc, argv, defs, sizeof(defs) / sizeof(defs[0]),
	    "alertnoised report", stderr);
	if (rc == 1)
		usage(stdout, default_config);
	return rc;
}

/* Writes s to path, or to stdout when path is NULL. Returns 0 or -1 with
 * err. */
static int
write_out(const char *path, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	FILE *fp = path ? fopen(path, "w") : stdout;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(s, 1, n, fp) != n || fflush(fp) != 0) {
		snprintf(err, errlen, "writing %s: %s", path ? path : "stdout",
		    strerror(errno));
		if (path)
			fclose(fp);
		return -1;
	}
	if (path && fclose(fp) != 0) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
report_run(int argc, char **argv, const char *default_config)
{
	struct report_flags f;
	struct an_config *cfg = NULL;
	struct store *st = NULL;
	struct an_override *ov = NULL;
	struct report_opts ro;
	struct an_opts o;
	struct daemon d;
	struct sources *src = NULL;
	struct report *report = NULL;
	json_t *recs = NULL, *doc;
	char err[2048], *db = NULL, *text = NULL;
	int64_t window;
	size_t nov = 0;
	int rc, result = 1;

	memset(&d, 0, sizeof(d));
	if ((rc = parse_flags(argc, argv, &f, default_config)) != 0)
		return rc == 1 ? 0 : rc;
	if (cfg_parse_window(f.window, &window) < 0) {
		fprintf(stderr, "alertnoised report: error: --window: \"%s\" is "
		    "not a duration from 1ms to 366d\n", f.window);
		return 2;
	}
	if (strcmp(f.format, "markdown") != 0 && strcmp(f.format, "json") != 0 &&
	    strcmp(f.format, "html") != 0) {
		fprintf(stderr, "alertnoised report: error: --format: \"%s\" is "
		    "not one of markdown, json, html\n", f.format);
		return 2;
	}
	if ((cfg = daemon_load_config(&f.common, err, sizeof(err))) == NULL)
		goto fail;
	/* store_open would create an empty store: a report of nothing */
	if (asprintf(&db, "%s/%s", cfg->storage_path, DB_FILE) < 0) {
		db = NULL;
		goto nomem;
	}
	if (access(db, R_OK) < 0) {
		snprintf(err, sizeof(err), "no store at %s (%s); is "
		    "--storage.path right?", db, strerror(errno));
		goto fail;
	}
	if (store_open("sqlite", cfg->storage_path, &st, err,
	    sizeof(err)) < 0)
		goto fail;

	/* the sources of truth, read once, as the daemon reads them */
	d.cfg = cfg;
	d.store = st;
	pthread_mutex_init(&d.cfg_mu, NULL);
	if ((d.reg = met_registry_new()) == NULL)
		goto nomem;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    sources_start(&d, err, sizeof(err)) < 0)
		goto fail;
	sources_refresh(2 * cfg->sources_timeout_ms + 1000);
	src = sources_get();
	analysis_opts(cfg, src, &o);
	if (analysis_overrides(cfg, &o, &ov, &nov, err, sizeof(err)) < 0)
		goto fail;
	report_opts_from_config(cfg, &ro);
	/* the recommendations, as the API's, and the report over the
	 * window's one analysis */
	{
		struct analysis *a = NULL;
		struct rc_list *l;
		int64_t now = ts_now_ms();

		if (an_run(st, &o, now - window, now, now, &a, err,
		    sizeof(err)) < 0)
			goto fail;
		if ((l = recommendations_for(st, cfg, a, err,
		    sizeof(err))) != NULL) {
			if ((recs = rc_list_json(l)) == NULL)
				snprintf(err, sizeof(err), "out of memory");
			else
				report = report_build(st, &o, &ro, a, recs,
				    err, sizeof(err));
		}
		recommendations_free(l);
		an_free(a);
		if (report == NULL)
			goto fail;
	}

	if (strcmp(f.format, "markdown") == 0)
		text = report_markdown(report);
	else if (strcmp(f.format, "html") == 0)
		text = report_html(report);
	else if ((doc = report_json(report)) != NULL) {
		char *nl;

		if ((text = json_dumps(doc, JSON_INDENT(2))) != NULL) {
			if (asprintf(&nl, "%s\n", text) < 0)
				nl = NULL;
			free(text);
			text = nl;
		}
		json_decref(doc);
	}
	if (text == NULL)
		goto nomem;
	if (write_out(f.output, text, err, sizeof(err)) < 0)
		goto fail;
	result = 0;
	goto out;
nomem:
	snprintf(err, sizeof(err), "out of memory");
fail:
	fprintf(stderr, "alertnoised report: error: %s\n", err);
out:
	free(text);
	report_free(report);
	json_decref(recs);
	analysis_overrides_free(ov, nov);
	sources_put(src);
	sources_stop();
	if (d.reg != NULL) {
		met_registry_free(d.reg);
		pthread_mutex_destroy(&d.cfg_mu);
		curl_global_cleanup();
	}
	store_close(st);
	free(db);
	cfg_free(cfg);
	return result;
}

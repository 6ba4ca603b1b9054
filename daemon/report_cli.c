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
#include "review.h"
#include "selector.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"

#define WINDOW_DEFAULT	"7d"
#define DB_FILE		"alertnoise.db"

struct report_flags {
	const char *window, *week, *start, *end, *team;
	const char *match[REVIEW_MATCH_MAX];
	size_t nmatch;
	const char *format, *output;
	struct flags common;	/* over the config file (reload.h) */
};

static void
usage(FILE *f, const char *default_config)
{
	fprintf(f,
"usage: alertnoised report [<flags>]\n"
"\n"
"Writes the weekly alert-tuning review: KPIs against the span before,\n"
"pages and noise per day, the noisiest, flapping and persistent alerts,\n"
"dedup groups, recommendations and what changed. Reads the store directly;\n"
"works with the daemon running or stopped.\n"
"\n"
"Flags:\n"
"  -h, --help                 Show this help and exit.\n"
"      --window=DURATION      The window up to now to review, at most 366d\n"
"                             (default " WINDOW_DEFAULT ").\n"
"      --week=YYYY-Www        An ISO week instead (2026-W48), in\n"
"                             report.timezone.\n"
"      --start=TIME           Or a span: RFC 3339 or Unix seconds; --end\n"
"      --end=TIME             defaults to now. At most 366d.\n"
"      --team=TEAM            Only the alerts whose analysis.team_label is\n"
"                             TEAM.\n"
"      --match=SELECTOR       Or only those a selector selects\n"
"                             ({severity=\"page\"}); repeatable: any of them.\n"
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
		{ "--week", FLAG_VALUE, .value = &f->week },
		{ "--start", FLAG_VALUE, .value = &f->start },
		{ "--end", FLAG_VALUE, .value = &f->end },
		{ "--team", FLAG_VALUE, .value = &f->team },
		{ "--match", FLAG_LIST, .value = f->match, .n = &f->nmatch,
		    .max = REVIEW_MATCH_MAX },
		{ "--format", FLAG_VALUE, .value = &f->format },
		{ "--output", FLAG_VALUE, .value = &f->output },
		{ "--config.file", FLAG_VALUE,
		    .value = &f->common.config_file },
		{ "--storage.path", FLAG_VALUE,
		    .value = &f->common.storage_path },
	};

	memset(f, 0, sizeof(*f));
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
	struct review_params rp;
	struct review_scope scope;
	struct sel *sel[REVIEW_MATCH_MAX];
	char err[2048], *db = NULL, *text = NULL;
	size_t nov = 0, nsel = 0;
	int rc, result = 1;

	memset(&d, 0, sizeof(d));
	memset(&scope, 0, sizeof(scope));
	if ((rc = parse_flags(argc, argv, &f, default_config)) != 0)
		return rc == 1 ? 0 : rc;
	if (strcmp(f.format, "markdown") != 0 && strcmp(f.format, "json") != 0 &&
	    strcmp(f.format, "html") != 0) {
		fprintf(stderr, "alertnoised report: error: --format: \"%s\" is "
		    "not one of markdown, json, html\n", f.format);
		return 2;
	}
	if ((cfg = daemon_load_config(&f.common, err, sizeof(err))) == NULL)
		goto fail;
	/* the span and selection, in the config's zone and team label */
	report_opts_from_config(cfg, &ro);
	memset(&rp, 0, sizeof(rp));
	rp.window = f.window;
	rp.week = f.week;
	rp.start = f.start;
	rp.end = f.end;
	rp.team = f.team;
	rp.match = f.match;
	rp.nmatch = f.nmatch;
	if (review_scope_parse(&scope, &rp, WINDOW_DEFAULT, ro.tz,
	    cfg->team_label, ts_now_ms(), err, sizeof(err)) < 0) {
		fprintf(stderr, "alertnoised report: error: %s\n", err);
		result = 2;
		goto out;
	}
	for (; nsel < scope.nmatch; nsel++)
		if (sel_parse(scope.match[nsel], &sel[nsel], err,
		    sizeof(err)) < 0)
			goto fail;	/* checked: cannot happen */
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
	/* the recommendations, as the API's (of the whole span, about the
	 * selection's alertnames), and the report over the span's analysis
	 * of the selection */
	{
		struct analysis *a = NULL, *all = NULL;
		struct rc_list *l = NULL;
		int64_t now = ts_now_ms();
		int64_t from = scope.key.window_ms ? now - scope.key.window_ms :
		    scope.key.from;
		int64_t to = scope.key.window_ms ? now : scope.key.to;

		if (an_run(st, &o, from, to, now, &all, err, sizeof(err)) < 0)
			goto fail;
		o.match = sel;
		o.nmatch = nsel;
		if (nsel > 0 && an_run(st, &o, from, to, now, &a, err,
		    sizeof(err)) < 0) {
			an_free(all);
			goto fail;
		}
		if (a == NULL) {
			a = all;
			all = NULL;
		}
		if ((l = recommendations_for(st, cfg, all ? all : a, err,
		    sizeof(err))) != NULL) {
			if ((recs = all ? review_recommendations(l, a) :
			    rc_list_json(l)) == NULL)
				snprintf(err, sizeof(err), "out of memory");
			else
				report = report_build(st, &o, &ro, a, recs,
				    err, sizeof(err));
			if (report != NULL && report_add_links(report, st,
			    cfg->report_grafana_url, err, sizeof(err)) < 0) {
				report_free(report);
				report = NULL;
			}
		}
		recommendations_free(l);
		an_free(a);
		an_free(all);
		if (report != NULL && report_set_scope(report, scope.week,
		    (const char *const *)scope.match, scope.nmatch) < 0) {
			report_free(report);
			report = NULL;
			snprintf(err, sizeof(err), "out of memory");
		}
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
	for (size_t i = 0; i < nsel; i++)
		sel_free(sel[i]);
	review_scope_free(&scope);
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

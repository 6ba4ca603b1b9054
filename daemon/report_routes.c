/* report_routes.c -- GET /api/v1/report: the weekly review report
 * (lib/render/report.h) as JSON in Prometheus' envelope, Markdown or HTML.
 *
 * The report takes the cached analysis of its span and selection
 * (review.h) and runs the span before with the same options and config
 * snapshot, which the analysis' handle keeps alive while the report is
 * built. A selection's recommendations are those of the whole span about
 * its alertnames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "config.h"
#include "log.h"
#include "params.h"
#include "recommendations.h"
#include "report.h"
#include "respond.h"
#include "review.h"
#include "routes.h"
#include "timefmt.h"

#define WINDOW_DEFAULT	"7d"

enum format { FMT_JSON, FMT_MARKDOWN, FMT_HTML };

/* The recommendations the report of scope carries: those of the API for
 * its span, the cached analysis' (handle's) as JSON; with a selection,
 * those of the whole span about the alertnames of a, the selection's
 * analysis. An empty array when they cannot be had: the report still says
 * everything else. NULL on out-of-memory. */
static json_t *
report_recommendations(struct daemon *d, const struct review_scope *scope,
    const struct analysis *a, void *handle)
{
	struct analysis_key whole = scope->key;
	const struct rc_list *recs;
	void *all = NULL;
	json_t *out;
	char err[256];

	whole.match = NULL;
	whole.nmatch = 0;
	if (scope->nmatch > 0 && analysis_get_key(d, &whole, &all, err,
	    sizeof(err)) == NULL) {
		log_warn("Report without recommendations", "err", err);
		return json_array();
	}
	recs = recommendations_cached(d->store, all ? all : handle, err,
	    sizeof(err));
	if (recs == NULL) {
		log_warn("Report without recommendations", "err", err);
		out = json_array();
	} else
		out = all ? review_recommendations(recs, a) :
		    rc_list_json(recs);
	analysis_put(all);
	return out;
}


/* Queues a rendered page with headers that let it load nothing but its
 * inline style (the HTML has no script and no external resource). */
static enum MHD_Result
respond_document(struct MHD_Connection *c, struct request *r,
    const char *content_type, char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (body == NULL)
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	resp = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	r->code = 200;
	r->responded = 1;
	return ret;
}

enum MHD_Result
api_report(struct MHD_Connection *c, struct request *r)
{
	const char *format_s = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "format");
	const char *match[PARAMS_MATCH_MAX];
	struct review_params rp;
	struct review_scope scope;
	struct daemon *d = r->d;
	const struct an_config *cfg;
	struct report_opts ro;
	const struct analysis *a;
	enum format fmt;
	struct report *report;
	json_t *recs = NULL, *doc;
	void *handle = NULL;
	char err[512], msg[600], asked[32];
	int nmatch;

	memset(&rp, 0, sizeof(rp));
	rp.window = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "window");
	rp.week = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "week");
	rp.start = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "start");
	rp.end = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "end");
	rp.team = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "team");
	if ((nmatch = params_match(c, match, msg, sizeof(msg))) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	rp.match = match;
	rp.nmatch = (size_t)nmatch;
	cfg = daemon_config(d);
	report_opts_from_config(cfg, &ro);
	if (review_scope_parse(&scope, &rp, WINDOW_DEFAULT, ro.tz,
	    cfg->team_label, ts_now_ms(), msg, sizeof(msg)) < 0) {
		cfg_release(cfg);
		review_scope_free(&scope);
		return respond_json_error(c, r, 400, "bad_data", msg);
	}
	cfg_release(cfg);
	if (format_s == NULL || *format_s == '\0' ||
	    strcmp(format_s, "json") == 0)
		fmt = FMT_JSON;
	else if (strcmp(format_s, "markdown") == 0)
		fmt = FMT_MARKDOWN;
	else if (strcmp(format_s, "html") == 0)
		fmt = FMT_HTML;
	else {
		snprintf(msg, sizeof(msg), "invalid format \"%.64s\": want "
		    "json, markdown or html", format_s);
		review_scope_free(&scope);
		return respond_json_error(c, r, 400, "bad_data", msg);
	}

	/* the span's analysis (cached): the one the API's other answers
	 * come from, for the recommendations and the report alike */
	if ((a = analysis_get_key(d, &scope.key, &handle, err,
	    sizeof(err))) == NULL) {
		review_scope_free(&scope);
		return respond_json_error(c, r, 503, "unavailable", err);
	}
	/* the configuration and options it was made with, for the whole
	 * report: the previous span is analysed alike */
	cfg = analysis_handle_config(handle);
	if ((recs = report_recommendations(d, &scope, a, handle)) == NULL) {
		analysis_put(handle);
		review_scope_free(&scope);
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	}
	report_opts_from_config(cfg, &ro);
	report = report_build(d->store, analysis_handle_opts(handle), &ro, a,
	    recs, err, sizeof(err));
	if (report != NULL && report_add_links(report, d->store,
	    cfg->report_grafana_url, err, sizeof(err)) < 0) {
		report_free(report);
		report = NULL;
	}
	/* the alert page links lead to the report's week and team */
	if (report != NULL && report_scope_links(report, scope.week,
	    rp.team) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		report_free(report);
		report = NULL;
	}
	analysis_put(handle);
	json_decref(recs);
	if (report != NULL && report_set_scope(report, scope.week,
	    (const char *const *)scope.match, scope.nmatch) < 0) {
		report_free(report);
		report = NULL;
		snprintf(err, sizeof(err), "out of memory");
	}
	snprintf(asked, sizeof(asked), "%s", scope.window);
	review_scope_free(&scope);
	if (report == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);

	switch (fmt) {
	case FMT_MARKDOWN: {
		char *md = report_markdown(report);

		report_free(report);
		return respond_document(c, r, "text/markdown; charset=utf-8",
		    md);
	}
	case FMT_HTML: {
		char *html = report_html(report);

		report_free(report);
		return respond_document(c, r, "text/html; charset=utf-8",
		    html);
	}
	case FMT_JSON:
		break;
	}
	doc = report_json(report);
	report_free(report);
	/* the window as asked ("7d", "3600"), not as a duration prints */
	if (doc == NULL || (asked[0] && json_object_set_new(doc, "window",
	    json_string(asked)) < 0)) {
		json_decref(doc);
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	}
	return respond_json_data(c, r, 200, doc);
}

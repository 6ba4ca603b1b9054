/* report_routes.c -- GET /api/v1/report: the weekly review report
 * (lib/render/report.h) as JSON in Prometheus' envelope, Markdown or HTML.
 *
 * The report takes the window's cached analysis and runs the one before
 * with the same options and config snapshot, which the analysis' handle
 * keeps alive while the report is built. */
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
#include "routes.h"
#include "timefmt.h"

#define WINDOW_DEFAULT	"7d"

enum format { FMT_JSON, FMT_MARKDOWN, FMT_HTML };

/* The recommendations the report carries: those of the API, the cached
 * analysis' (handle's), as JSON. An empty array when they cannot be had:
 * the report still says everything else. NULL on out-of-memory. */
static json_t *
report_recommendations(struct daemon *d, void *handle)
{
	char err[256];
	const struct rc_list *recs = recommendations_cached(d->store, handle,
	    err, sizeof(err));

	if (recs == NULL) {
		log_warn("Report without recommendations", "err", err);
		return json_array();
	}
	return rc_list_json(recs);
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
	const char *window_s = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "window");
	const char *format_s = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "format");
	struct daemon *d = r->d;
	const struct an_config *cfg;
	struct report_opts ro;
	const struct analysis *a;
	enum format fmt;
	struct report *report;
	json_t *recs = NULL, *doc;
	void *handle = NULL;
	char err[512], msg[600];
	int64_t window;

	if (window_s == NULL || *window_s == '\0')
		window_s = WINDOW_DEFAULT;
	if (param_window(window_s, &window, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
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
		return respond_json_error(c, r, 400, "bad_data", msg);
	}

	/* the window's analysis (cached): the one the API's other answers
	 * come from, for the recommendations and the report alike */
	if ((a = analysis_get(d, window, &handle, err, sizeof(err))) == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	/* the configuration and options it was made with, for the whole
	 * report: the previous window is analysed alike */
	cfg = analysis_handle_config(handle);
	if ((recs = report_recommendations(d, handle)) == NULL) {
		analysis_put(handle);
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	}
	report_opts_from_config(cfg, &ro);
	report = report_build(d->store, analysis_handle_opts(handle), &ro, a,
	    recs, err, sizeof(err));
	analysis_put(handle);
	json_decref(recs);
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
	if (doc == NULL || json_object_set_new(doc, "window",
	    json_string(window_s)) < 0) {
		json_decref(doc);
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	}
	return respond_json_data(c, r, 200, doc);
}

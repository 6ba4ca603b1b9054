/* api.c -- the read API: GET /api/v1/episodes and /api/v1/alerts/firing
 * (from the store), /api/v1/alertnames (and its deprecated alias
 * /api/v1/alerts), /api/v1/groups and /api/v1/summary (views of the cached
 * analysis), /api/v1/recommendations (recommendations.c).
 *
 * Answers use Prometheus' envelope ({"status":"success","data":...}) and
 * RFC 3339 UTC times; parameters follow Prometheus' HTTP API (params.h;
 * http.c's route table lists each endpoint's): start and end are RFC 3339
 * or Unix seconds, a window a duration or seconds, match[] is a label
 * selector and may repeat (an episode is kept when it matches any of
 * them). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_views.h"
#include "analyses.h"
#include "config.h"
#include "fingerprint.h"
#include "params.h"
#include "recommendations.h"
#include "respond.h"
#include "routes.h"
#include "routing.h"
#include "selector.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"

#define MATCH_MAX	16	/* match[] parameters per request */
#define LIMIT_DEFAULT	100
#define LIMIT_MAX	10000

/* The parameters of a request; each points into the connection's
 * arguments (valid during the request). */
struct params {
	const char *alertname, *start, *end, *limit, *window, *by;
	const char *match[MATCH_MAX];
	int nmatch, too_many;
};

static enum MHD_Result
collect_match(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct params *p = cls;

	(void)kind;
	if (strcmp(key, "match[]") != 0)
		return MHD_YES;
	if (p->nmatch < MATCH_MAX)
		p->match[p->nmatch++] = value ? value : "";
	else
		p->too_many = 1;
	return MHD_YES;
}

/* Reads the parameters of c into p. Returns 0, or -1 with msg (too many
 * match[], a parameter and its deprecated alias both given). */
static int
collect(struct MHD_Connection *c, struct request *r, struct params *p,
    char *msg, size_t msglen)
{
	memset(p, 0, sizeof(*p));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_match, p);
	if (p->too_many) {
		snprintf(msg, msglen, "at most %d match[] parameters",
		    MATCH_MAX);
		return -1;
	}
	if (param_aliased(c, r, "start", "since", &p->start, msg,
	    msglen) < 0 ||
	    param_aliased(c, r, "end", "until", &p->end, msg, msglen) < 0)
		return -1;
	p->alertname = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "alertname");
	p->limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit");
	p->window = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "window");
	p->by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
	return 0;
}

static json_t *
json_time(int64_t ms)
{
	char s[40];

	if (ms == 0)
		return json_null();
	ts_format_rfc3339(ms, s, sizeof(s));
	return json_string(s);
}

static json_t *
json_fp(uint64_t fp)
{
	char s[17];

	fp_format(fp, s);
	return json_string(s);
}

struct walk {
	struct sel *sel[MATCH_MAX];
	int nsel;
	size_t limit, n;
	int firing_view;
	json_t *out;
	const struct analysis *an;	/* classes, when it holds the episode */
	const struct am_config *tree;	/* the Alertmanager source's, or NULL */
};

/* The receivers the real routing tree sends labels to, or, without one,
 * those history notified (seen). */
static json_t *
true_receivers(const struct walk *w, const json_t *labels, json_t *seen)
{
	const char *names[64];
	json_t *a;
	int n;

	if (w->tree == NULL)
		return json_incref(seen);
	if ((n = rt_receivers(w->tree, labels, names, 64)) < 0 ||
	    (a = json_array()) == NULL)
		return NULL;
	for (int i = 0; i < n && i < 64; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static int
matches(const struct walk *w, const json_t *labels)
{
	if (w->nsel == 0)
		return 1;
	for (int i = 0; i < w->nsel; i++)
		if (sel_match_json(w->sel[i], labels))
			return 1;
	return 0;
}

/* Why episode id, fired and never notified, was not: from the analysis
 * (lib/tuning/routing.h rt_reasons); null when notified or not known. */
static json_t *
not_notified(const struct analysis *a, int64_t id)
{
	const struct an_episode *e = an_episode_find(a, id);
	const char *why = e ? an_nn_name(e->not_notified) : NULL;

	return why ? json_string(why) : json_null();
}

static json_t *
sources_array(unsigned src)
{
	json_t *a = json_array();

	if (src & EP_SRC_WEBHOOK)
		json_array_append_new(a, json_string("webhook"));
	if (src & EP_SRC_REMOTE_WRITE)
		json_array_append_new(a, json_string("remote_write"));
	if (src & EP_SRC_IMPORT)
		json_array_append_new(a, json_string("import"));
	return a;
}

static int
add_row(const struct episode_row *row, void *arg)
{
	struct walk *w = arg;
	const struct episode *e = &row->e;
	json_t *o;

	if (!matches(w, row->labels))
		return 0;
	if (w->firing_view)
		o = json_pack("{s:o, s:s, s:O, s:s, s:o, s:o, s:o}",
		    "fingerprint", json_fp(e->identity),
		    "alertname", row->alertname,
		    "labels", row->labels,
		    "state", e->firing_at ? "firing" : "pending",
		    "since", json_time(e->firing_at ? e->firing_at :
		    e->pending_at),
		    "pending_at", json_time(e->pending_at),
		    "firing_at", json_time(e->firing_at));
	else
		o = json_pack("{s:o, s:s, s:O, s:o, s:o, s:o, s:b, s:I, s:o, "
		    "s:o, s:o, s:O, s:o}",
		    "fingerprint", json_fp(e->identity),
		    "alertname", row->alertname,
		    "labels", row->labels,
		    "pending_at", json_time(e->pending_at),
		    "firing_at", json_time(e->firing_at),
		    "resolved_at", json_time(e->resolved_at),
		    "notified", e->notifications > 0,
		    "notifications", (json_int_t)e->notifications,
		    "first_notified_at", json_time(e->first_notified_at),
		    "last_notified_at", json_time(e->last_notified_at),
		    "receivers", true_receivers(w, row->labels,
		    row->receivers),
		    "notified_receivers", row->receivers,
		    "sources", sources_array(e->sources));
	if (o != NULL && !w->firing_view) {
		enum an_class cls;
		unsigned reasons;
		int presumed;
		json_t *r = json_array();

		if (an_episode_class(w->an, e->id, &cls, &reasons, &presumed)) {
			an_reasons_json(reasons, r);
			json_object_set_new(o, "class",
			    json_string(an_class_name(cls)));
			json_object_set_new(o, "presumed",
			    json_boolean(presumed));
		} else {
			json_object_set_new(o, "class", json_null());
		}
		json_object_set_new(o, "not_notified_reason",
		    not_notified(w->an, e->id));
		json_object_set_new(o, "reasons", r);
	}
	if (o == NULL || json_array_append_new(w->out, o) < 0)
		return -1;
	return ++w->n >= w->limit;
}

static enum MHD_Result
query(struct MHD_Connection *c, struct request *r, int firing_view)
{
	struct params p;
	struct episode_filter f;
	struct walk w;
	struct sources *src = NULL;
	char err[512], msg[800];
	void *handle = NULL;
	enum MHD_Result ret;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&w, 0, sizeof(w));
	if (collect(c, r, &p, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	if ((p.start && ts_parse_param(p.start, &f.since) < 0) ||
	    (p.end && ts_parse_param(p.end, &f.until) < 0)) {
		snprintf(msg, sizeof(msg), "invalid time \"%.64s\": want RFC "
		    "3339 or Unix seconds", p.start && ts_parse_param(p.start,
		    &f.since) < 0 ? p.start : p.end);
		return respond_json_error(c, r, 400, "bad_data", msg);
	}
	w.limit = firing_view ? SIZE_MAX : LIMIT_DEFAULT;
	if (p.limit) {
		char *end;
		long long v = strtoll(p.limit, &end, 10);

		if (*p.limit == '\0' || *end != '\0' || v < 1 ||
		    v > LIMIT_MAX) {
			snprintf(msg, sizeof(msg), "invalid limit \"%.32s\": "
			    "want 1 to %d", p.limit, LIMIT_MAX);
			return respond_json_error(c, r, 400, "bad_data", msg);
		}
		w.limit = (size_t)v;
	}
	for (int i = 0; i < p.nmatch; i++) {
		if (sel_parse(p.match[i], &w.sel[i], err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "invalid match[] \"%.200s\":"
			    " %s", p.match[i], err);
			ret = respond_json_error(c, r, 400, "bad_data", msg);
			goto out;
		}
		w.nsel++;
	}
	f.alertname = p.alertname;
	f.open_only = firing_view;
	w.firing_view = firing_view;
	if ((w.out = json_array()) == NULL) {
		ret = MHD_NO;
		goto out;
	}
	if (!firing_view) {
		int64_t window;

		window = daemon_default_window(r->d);
		/* classes come from the default window's analysis; without
		 * one (the store failed) episodes are still listed */
		w.an = analysis_get(r->d, window, &handle, err, sizeof(err));
		src = sources_get();
		w.tree = src != NULL && src->am != NULL ? src->am->cfg : NULL;
	}
	rc = store_query_episodes(r->d->store, &f, add_row, &w);
	if (rc < 0) {
		json_decref(w.out);
		ret = respond_json_error(c, r, 503, "unavailable",
		    store_errmsg(r->d->store));
		goto out;
	}
	ret = respond_json_data(c, r, 200, w.out);
out:
	analysis_put(handle);
	sources_put(src);
	for (int i = 0; i < w.nsel; i++)
		sel_free(w.sel[i]);
	return ret;
}

enum MHD_Result
api_episodes(struct MHD_Connection *c, struct request *r)
{
	return query(c, r, 0);
}

enum MHD_Result
api_firing(struct MHD_Connection *c, struct request *r)
{
	return query(c, r, 1);
}

/* --- analysis views ------------------------------------------------------ */

enum view { VIEW_ALERTNAMES, VIEW_GROUPS, VIEW_SUMMARY };

static enum MHD_Result
analysis_view(struct MHD_Connection *c, struct request *r, enum view v)
{
	struct params p;
	struct sel *sel[MATCH_MAX];
	const struct analysis *a;
	void *handle;
	int64_t window;
	char err[512], msg[800];
	enum MHD_Result ret;
	const struct an_alerts *alerts;
	const struct an_summary *sum;
	json_t *data = NULL;
	int nsel = 0, by_identity;

	if (collect(c, r, &p, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	window = daemon_default_window(r->d);
	if (p.window && param_window(p.window, &window, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	if (p.by && strcmp(p.by, "identity") != 0 &&
	    strcmp(p.by, "alertname") != 0) {
		snprintf(msg, sizeof(msg), "invalid by \"%.64s\": want "
		    "alertname or identity", p.by);
		return respond_json_error(c, r, 400, "bad_data", msg);
	}
	for (int i = 0; i < p.nmatch; i++) {
		if (sel_parse(p.match[i], &sel[i], err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "invalid match[] \"%.200s\":"
			    " %s", p.match[i], err);
			ret = respond_json_error(c, r, 400, "bad_data", msg);
			goto out;
		}
		nsel++;
	}
	if ((a = analysis_get(r->d, window, &handle, err,
	    sizeof(err))) == NULL) {
		ret = respond_json_error(c, r, 503, "unavailable", err);
		goto out;
	}
	/* the views of every identity are the cached analysis's; a
	 * selection is aggregated for the request */
	switch (v) {
	case VIEW_ALERTNAMES:
		by_identity = p.by && strcmp(p.by, "identity") == 0;
		if (nsel > 0)
			data = an_alerts_json(a, sel, (size_t)nsel,
			    by_identity);
		else if ((alerts = analysis_alerts(handle, err,
		    sizeof(err))) != NULL)
			data = an_alert_rows_json(a, alerts, by_identity);
		break;
	case VIEW_GROUPS:
		data = an_groups_json(a);
		break;
	default:
		if ((sum = analysis_summary(handle, err, sizeof(err))) != NULL)
			data = an_summary_view_json(sum);
		break;
	}
	analysis_put(handle);
	ret = data ? respond_json_data(c, r, 200, data) :
	    respond_json_error(c, r, 500, "internal", "out of memory");
out:
	for (int i = 0; i < nsel; i++)
		sel_free(sel[i]);
	return ret;
}

enum MHD_Result
api_alertnames(struct MHD_Connection *c, struct request *r)
{
	return analysis_view(c, r, VIEW_ALERTNAMES);
}

enum MHD_Result
api_groups(struct MHD_Connection *c, struct request *r)
{
	return analysis_view(c, r, VIEW_GROUPS);
}

enum MHD_Result
api_summary(struct MHD_Connection *c, struct request *r)
{
	return analysis_view(c, r, VIEW_SUMMARY);
}

/* --- recommendations ----------------------------------------------------- */

enum MHD_Result
api_recommendations(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "window");
	const struct rc_list *recs;
	void *handle;
	int64_t window;
	char err[512];
	json_t *data = NULL;

	window = daemon_default_window(d);
	if (w != NULL && param_window(w, &window, err, sizeof(err)) < 0)
		return respond_json_error(c, r, 400, "bad_data", err);
	if (analysis_get(d, window, &handle, err, sizeof(err)) == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	/* the cached analysis' list, rendered while the handle holds it */
	if ((recs = recommendations_cached(d->store, handle, err,
	    sizeof(err))) != NULL)
		data = rc_list_json(recs);
	analysis_put(handle);
	if (recs == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	if (data == NULL)
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	return respond_json_data(c, r, 200, data);
}

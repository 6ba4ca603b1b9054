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
 * them).
 *
 * Every list answers in pages: limit rows at most, and "next", a token
 * (params.h page_token) beside "data" when more rows follow, which the
 * client gives back as next= with the same other parameters. The token
 * holds the last row's sort key, and a page starts after it:
 * episodes by (start, id), latest first (store_query_episodes' order;
 * the next query is bound to start at or before the key's start);
 * alertnames by alertname; groups by kind, then their first member's
 * alertname and fingerprint (an_groups' order); recommendations by pages
 * saved, most first, then id (rc_recommend's). An analysis list is cut
 * from the analysis of the window as it is when the page is asked for: when
 * the window has moved between two pages, the next page holds the rows
 * that sort after the key in the newer analysis, so a row whose key
 * changed may show twice or not at all, and the numbers of two pages may
 * come from two analyses. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_views.h"
#include "analyses.h"
#include "config.h"
#include "fingerprint.h"
#include "links.h"
#include "params.h"
#include "recommendations.h"
#include "respond.h"
#include "routes.h"
#include "routing.h"
#include "selector.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"

#define LIMIT_DEFAULT	100	/* episodes; the other lists: all rows */
#define LINKS_MAX	1000	/* rows of /api/v1/alertnames given links */

/* The parameters of a request; each points into the connection's
 * arguments (valid during the request). */
struct params {
	const char *alertname, *start, *end, *limit, *window, *by, *next;
	const char *match[PARAMS_MATCH_MAX];
	int nmatch;
};

/* Reads the parameters of c into p. Returns 0, or -1 with msg (too many
 * match[], a parameter and its deprecated alias both given). */
static int
collect(struct MHD_Connection *c, struct request *r, struct params *p,
    char *msg, size_t msglen)
{
	memset(p, 0, sizeof(*p));
	if ((p->nmatch = params_match(c, p->match, msg, msglen)) < 0)
		return -1;
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
	p->next = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "next");
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
	struct sel *sel[PARAMS_MATCH_MAX];
	int nsel;
	size_t limit, n;
	int more;		/* a row past the limit matched */
	const struct page_key *after;	/* next's (start, id), or NULL */
	struct page_key last;	/* the last row given */
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

/* Refuses a request one of whose n match[] selectors (parsed from text,
 * with sel_fail_fast) had a regex too expensive to evaluate: sets *refused
 * and answers 400 naming it. Without one, *refused is 0 (MHD_YES, nothing
 * answered). */
static enum MHD_Result
regex_too_expensive(struct MHD_Connection *c, struct request *r,
    struct sel *const *sel, const char *const *text, int n, int *refused)
{
	char msg[512];

	*refused = 0;
	for (int i = 0; i < n; i++)
		if (sel_too_expensive(sel[i])) {
			snprintf(msg, sizeof(msg), "invalid match[] \"%.200s\":"
			    " regex too expensive: PCRE2 gave up on a label "
			    "value at its match limit; simplify the regex",
			    text[i]);
			*refused = 1;
			return respond_json_error(c, r, 400, "bad_data", msg);
		}
	return MHD_YES;
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
	/* the query starts at the key's start: skip to the rows after it */
	if (w->after != NULL && (EPISODE_START(e) > w->after->n ||
	    (EPISODE_START(e) == w->after->n &&
	    (uint64_t)e->id >= w->after->u)))
		return 0;
	if (w->n == w->limit) {
		w->more = 1;
		return 1;
	}
	if (w->firing_view)
		o = json_pack("{s:o, s:s, s:O, s:s, s:o, s:o, s:o}",
		    "fingerprint", json_fp(e->identity),
		    "alertname", row->alertname,
		    "labels", row->labels,
		    "state", e->firing_at ? "firing" : "pending",
		    "since", json_time(e->firing_at ? e->firing_at :
		    e->pending_at),
		    "pendingAt", json_time(e->pending_at),
		    "firingAt", json_time(e->firing_at));
	else
		o = json_pack("{s:o, s:s, s:O, s:o, s:o, s:o, s:b, s:I, s:o, "
		    "s:o, s:o, s:O, s:o}",
		    "fingerprint", json_fp(e->identity),
		    "alertname", row->alertname,
		    "labels", row->labels,
		    "pendingAt", json_time(e->pending_at),
		    "firingAt", json_time(e->firing_at),
		    "resolvedAt", json_time(e->resolved_at),
		    "notified", e->notifications > 0,
		    "notifications", (json_int_t)e->notifications,
		    "firstNotifiedAt", json_time(e->first_notified_at),
		    "lastNotifiedAt", json_time(e->last_notified_at),
		    "receivers", true_receivers(w, row->labels,
		    row->receivers),
		    "notifiedReceivers", row->receivers,
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
		json_object_set_new(o, "notNotifiedReason",
		    not_notified(w->an, e->id));
		json_object_set_new(o, "reasons", r);
	}
	if (o == NULL || json_array_append_new(w->out, o) < 0)
		return -1;
	w->last.n = EPISODE_START(e);
	w->last.u = (uint64_t)e->id;
	w->n++;
	return 0;
}

static enum MHD_Result
query(struct MHD_Connection *c, struct request *r, int firing_view)
{
	struct params p;
	struct episode_filter f;
	struct walk w;
	struct sources *src = NULL;
	struct page_key after;
	enum page_list list = firing_view ? PAGE_FIRING : PAGE_EPISODES;
	char err[512], msg[800], *hold = NULL, *next = NULL;
	void *handle = NULL;
	enum MHD_Result ret;
	uint64_t digest;
	int rc, refused;

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
	if (p.limit && param_limit(p.limit, &w.limit, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	digest = params_digest(c, list);
	if (p.next) {
		if (page_token_parse(p.next, list, digest, &after, &hold, msg,
		    sizeof(msg)) < 0)
			return respond_json_error(c, r, 400, "bad_data", msg);
		w.after = &after;
		if (f.until == 0 || after.n < f.until)
			f.until = after.n;
	}
	for (int i = 0; i < p.nmatch; i++) {
		if (sel_parse(p.match[i], &w.sel[i], err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "invalid match[] \"%.200s\":"
			    " %s", p.match[i], err);
			ret = respond_json_error(c, r, 400, "bad_data", msg);
			goto out;
		}
		sel_fail_fast(w.sel[i]);
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
	ret = regex_too_expensive(c, r, w.sel, p.match, w.nsel, &refused);
	if (refused) {
		json_decref(w.out);
		goto out;
	}
	if (w.more && (next = page_token(list, digest, &w.last)) == NULL) {
		json_decref(w.out);
		ret = respond_json_error(c, r, 500, "internal",
		    "out of memory");
		goto out;
	}
	ret = respond_json_page(c, r, 200, w.out, next);
out:
	free(next);
	free(hold);
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

/* --- pages of an analysis list ------------------------------------------ */

/* An analysis list's rows: all, as rendered, and what their sort keys are
 * read from (all[i] is a->groups[i], recs->rows[i]). */
struct rows {
	enum page_list list;
	json_t *all;
	const struct analysis *a;	/* PAGE_GROUPS */
	const struct rc_list *recs;	/* PAGE_RECOMMENDATIONS */
};

static void
row_key(const struct rows *rs, size_t i, struct page_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (rs->list) {
	case PAGE_GROUPS: {
		const struct an_group *g = &rs->a->groups[i];

		k->n = g->kind;
		k->name = "";
		if (g->nmembers > 0) {
			k->name = g->members[0].alertname;
			k->u = rs->a->ids[g->members[0].ident].fp;
		}
		break;
	}
	case PAGE_RECOMMENDATIONS:
		k->n = rc_pages_saved(&rs->recs->rows[i]);
		k->name = rs->recs->rows[i].id;
		break;
	default:	/* PAGE_ALERTNAMES */
		k->name = json_string_value(json_object_get(
		    json_array_get(rs->all, i), "alertname"));
		break;
	}
	if (k->name == NULL)
		k->name = "";	/* cannot happen: every row has one */
}

/* <0, 0 or >0 as x comes before, with or after y in list's order. */
static int
key_cmp(enum page_list list, const struct page_key *x,
    const struct page_key *y)
{
	switch (list) {
	case PAGE_GROUPS:
		if (x->n != y->n)
			return x->n < y->n ? -1 : 1;
		if (strcmp(x->name, y->name) != 0)
			return strcmp(x->name, y->name);
		return x->u < y->u ? -1 : x->u > y->u;
	case PAGE_RECOMMENDATIONS:
		if (x->n != y->n)
			return x->n > y->n ? -1 : 1;
		return strcmp(x->name, y->name);
	default:
		return strcmp(x->name, y->name);
	}
}

/* The page of rs that starts after the row of key after (NULL: at the
 * first row) and holds limit rows at most: a new array, and *next, the
 * token of the page after it (the caller frees; NULL on the last page).
 * NULL when out of memory (*next NULL). The
 * row of key after, when still there, is found as such (groups of equal
 * names are not sorted by the fingerprint the key has); else the page
 * starts at the first row that sorts after the key. */
static json_t *
page_cut(const struct rows *rs, const struct page_key *after, size_t limit,
    uint64_t digest, char **next)
{
	size_t n = json_array_size(rs->all), from = 0, to;
	struct page_key k;
	json_t *page;

	*next = NULL;
	if (after != NULL) {
		size_t i;

		for (i = 0; i < n; i++) {
			row_key(rs, i, &k);
			if (key_cmp(rs->list, &k, after) == 0)
				break;
		}
		from = i + 1;
		if (i == n)
			for (from = 0; from < n; from++) {
				row_key(rs, from, &k);
				if (key_cmp(rs->list, &k, after) > 0)
					break;
			}
	}
	to = n - from > limit ? from + limit : n;
	if ((page = json_array()) == NULL)
		return NULL;
	for (size_t i = from; i < to; i++)
		if (json_array_append(page, json_array_get(rs->all, i)) < 0) {
			json_decref(page);
			return NULL;
		}
	if (to < n) {
		row_key(rs, to - 1, &k);
		if ((*next = page_token(rs->list, digest, &k)) == NULL) {
			json_decref(page);
			return NULL;
		}
	}
	return page;
}

/* Reads limit and next of c for list into *limit (SIZE_MAX: all rows),
 * *after (NULL: the first page; its name is held in *hold, which the
 * caller frees) and *digest. Returns 0, or -1 with msg. */
static int
page_params(struct MHD_Connection *c, const struct params *p,
    enum page_list list, size_t *limit, struct page_key *key,
    const struct page_key **after, char **hold, uint64_t *digest, char *msg,
    size_t msglen)
{
	*limit = SIZE_MAX;
	*after = NULL;
	*hold = NULL;
	*digest = params_digest(c, list);
	if (p->limit && param_limit(p->limit, limit, msg, msglen) < 0)
		return -1;
	if (p->next) {
		if (page_token_parse(p->next, list, *digest, key, hold, msg,
		    msglen) < 0)
			return -1;
		if (key->name == NULL)
			key->name = "";
		*after = key;
	}
	return 0;
}

/* rs's page (page_cut; *next likewise), or the whole list when neither
 * limit nor next is given; while the analysis rs reads is held. Steals
 * rs->all (NULL: out of memory); NULL when out of memory. */
static json_t *
rows_page(const struct rows *rs, const struct page_key *after, size_t limit,
    uint64_t digest, char **next)
{
	json_t *page;

	*next = NULL;
	if (rs->all == NULL || (after == NULL && limit == SIZE_MAX))
		return rs->all;
	page = page_cut(rs, after, limit, digest, next);
	json_decref(rs->all);
	return page;
}

/* --- analysis views ------------------------------------------------------ */

enum view { VIEW_ALERTNAMES, VIEW_GROUPS, VIEW_SUMMARY };

/* Sets "links" (links.h) on o, the row of alertname or, when o has a
 * "fingerprint", of that identity; *budget counts the store reads left.
 * Returns 0, or -1 when the store failed (its message in err). */
static int
set_links(struct store *st, const char *grafana, json_t *o, int *budget,
    char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "alertname"));
	const char *fpt = json_string_value(json_object_get(o, "fingerprint"));
	struct alert_links l;
	uint64_t fp = 0;
	json_t *j;

	if (name == NULL || *budget <= 0)
		return 0;
	(*budget)--;
	if (fpt != NULL && fp_parse(fpt, &fp) < 0)
		return 0;
	if (links_lookup(st, name, fp, grafana, &l) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	if ((j = links_json(&l)) != NULL)
		json_object_set_new(o, "links", j);
	links_free(&l);
	return j != NULL ? 0 : -1;
}

/* Links on the rows of an alertnames view (and their identities), the
 * first LINKS_MAX of them. */
static int
alertnames_links(struct daemon *d, json_t *rows, char *err, size_t errlen)
{
	const struct an_config *cfg = daemon_config(d);
	int budget = LINKS_MAX, rc = 0;
	size_t i, k;
	json_t *o, *io;

	json_array_foreach(rows, i, o) {
		if ((rc = set_links(d->store, cfg->report_grafana_url, o,
		    &budget, err, errlen)) < 0)
			break;
		json_array_foreach(json_object_get(o, "identities"), k, io)
			if ((rc = set_links(d->store, cfg->report_grafana_url,
			    io, &budget, err, errlen)) < 0)
				break;
		if (rc < 0)
			break;
	}
	cfg_release(cfg);
	return rc;
}

static enum MHD_Result
analysis_view(struct MHD_Connection *c, struct request *r, enum view v)
{
	struct params p;
	struct sel *sel[PARAMS_MATCH_MAX];
	const struct analysis *a;
	void *handle;
	int64_t window;
	char err[512], msg[800];
	enum MHD_Result ret;
	int refused;
	const struct an_alerts *alerts;
	const struct an_summary *sum;
	const struct page_key *after = NULL;
	struct page_key key;
	struct rows rs;
	json_t *data = NULL;
	char *hold = NULL, *next = NULL;
	size_t limit = SIZE_MAX;
	uint64_t digest = 0;
	int nsel = 0, by_identity;

	if (collect(c, r, &p, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	memset(&rs, 0, sizeof(rs));
	rs.list = v == VIEW_GROUPS ? PAGE_GROUPS : PAGE_ALERTNAMES;
	if (v != VIEW_SUMMARY && page_params(c, &p, rs.list, &limit, &key,
	    &after, &hold, &digest, msg, sizeof(msg)) < 0)
		return respond_json_error(c, r, 400, "bad_data", msg);
	window = daemon_default_window(r->d);
	if (p.window && param_window(p.window, &window, msg, sizeof(msg)) < 0) {
		ret = respond_json_error(c, r, 400, "bad_data", msg);
		goto out;
	}
	if (p.by && strcmp(p.by, "identity") != 0 &&
	    strcmp(p.by, "alertname") != 0) {
		snprintf(msg, sizeof(msg), "invalid by \"%.64s\": want "
		    "alertname or identity", p.by);
		ret = respond_json_error(c, r, 400, "bad_data", msg);
		goto out;
	}
	for (int i = 0; i < p.nmatch; i++) {
		if (sel_parse(p.match[i], &sel[i], err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "invalid match[] \"%.200s\":"
			    " %s", p.match[i], err);
			ret = respond_json_error(c, r, 400, "bad_data", msg);
			goto out;
		}
		sel_fail_fast(sel[i]);
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
		if (data != NULL && alertnames_links(r->d, data, err,
		    sizeof(err)) < 0) {
			analysis_put(handle);
			json_decref(data);
			ret = respond_json_error(c, r, 503, "unavailable",
			    err);
			goto out;
		}
		break;
	case VIEW_GROUPS:
		data = an_groups_json(a);
		break;
	default:
		if ((sum = analysis_summary(handle, err, sizeof(err))) != NULL)
			data = an_summary_view_json(sum);
		break;
	}
	ret = regex_too_expensive(c, r, sel, p.match, nsel, &refused);
	if (refused) {
		json_decref(data);
		analysis_put(handle);
		goto out;
	}
	if (v != VIEW_SUMMARY) {
		rs.all = data;
		rs.a = a;
		data = rows_page(&rs, after, limit, digest, &next);
	}
	analysis_put(handle);
	ret = data ? respond_json_page(c, r, 200, data, next) :
	    respond_json_error(c, r, 500, "internal", "out of memory");
out:
	for (int i = 0; i < nsel; i++)
		sel_free(sel[i]);
	free(next);
	free(hold);
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
	struct params p;
	const struct rc_list *recs;
	const struct page_key *after;
	struct page_key key;
	struct rows rs;
	void *handle;
	int64_t window;
	char err[512], *hold = NULL, *next = NULL;
	json_t *data = NULL;
	size_t limit;
	uint64_t digest;
	enum MHD_Result ret;

	memset(&rs, 0, sizeof(rs));
	rs.list = PAGE_RECOMMENDATIONS;
	if (collect(c, r, &p, err, sizeof(err)) < 0 ||
	    page_params(c, &p, rs.list, &limit, &key, &after, &hold, &digest,
	    err, sizeof(err)) < 0)
		return respond_json_error(c, r, 400, "bad_data", err);
	window = daemon_default_window(d);
	if (p.window != NULL && param_window(p.window, &window, err,
	    sizeof(err)) < 0) {
		ret = respond_json_error(c, r, 400, "bad_data", err);
		goto out;
	}
	if (analysis_get(d, window, &handle, err, sizeof(err)) == NULL) {
		ret = respond_json_error(c, r, 503, "unavailable", err);
		goto out;
	}
	/* the cached analysis' list, rendered and cut while the handle
	 * holds it */
	if ((recs = recommendations_cached(d->store, handle, err,
	    sizeof(err))) != NULL) {
		rs.all = rc_list_json(recs);
		rs.recs = recs;
		data = rows_page(&rs, after, limit, digest, &next);
	}
	analysis_put(handle);
	if (recs == NULL)
		ret = respond_json_error(c, r, 503, "unavailable", err);
	else if (data == NULL)
		ret = respond_json_error(c, r, 500, "internal",
		    "out of memory");
	else
		ret = respond_json_page(c, r, 200, data, next);
out:
	free(next);
	free(hold);
	return ret;
}

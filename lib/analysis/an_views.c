/* an_views.c -- an analysis aggregated per alertname and per window, as
 * structs, and their JSON (an_views.h). */
#include "an_views.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "selector.h"
#include "timefmt.h"

/* --- aggregation --------------------------------------------------------- */

/* An an_numbers being summed, with the resolution times behind its MTTR. */
struct agg {
	struct an_numbers n;
	double max_flap;
	double *ttr;			/* resolution times, seconds */
	size_t nttr, cap;
	int oom;
};

static void
ttr_push(struct agg *g, double v)
{
	if (g->nttr == g->cap) {
		size_t c = g->cap ? g->cap * 2 : 16;
		double *p = realloc(g->ttr, c * sizeof(*p));

		if (p == NULL) {
			g->oom = 1;
			return;
		}
		g->ttr = p;
		g->cap = c;
	}
	g->ttr[g->nttr++] = v;
}

static void
agg_episode(struct agg *g, const struct analysis *a,
    const struct an_episode *e)
{
	int64_t start = e->firing_at > a->from ? e->firing_at : a->from;
	int64_t end = e->resolved_at ? e->resolved_at : a->now;

	if (end > a->to)
		end = a->to;
	g->n.episodes++;
	g->n.noise += an_is_noise(e->cls);
	g->n.classes[e->cls]++;
	g->n.feedback[e->feedback]++;
	g->n.notifications += e->notifications;
	if (end > start)
		g->n.firing_seconds += (double)(end - start) / 1000.0;
	if (e->flap_score > g->max_flap)
		g->max_flap = e->flap_score;
	if (e->resolved_at)
		ttr_push(g, (double)(e->resolved_at - e->firing_at) / 1000.0);
}

/* Adds p's counts and resolution times to g. */
static void
agg_merge(struct agg *g, const struct agg *p)
{
	g->n.episodes += p->n.episodes;
	g->n.noise += p->n.noise;
	for (int c = 0; c < CLS_COUNT; c++)
		g->n.classes[c] += p->n.classes[c];
	for (int f = 0; f < 3; f++)
		g->n.feedback[f] += p->n.feedback[f];
	g->n.notifications += p->n.notifications;
	g->n.pages += p->n.pages;
	g->n.noise_pages += p->n.noise_pages;
	g->n.firing_seconds += p->n.firing_seconds;
	if (p->max_flap > g->max_flap)
		g->max_flap = p->max_flap;
	for (size_t t = 0; t < p->nttr; t++)
		ttr_push(g, p->ttr[t]);
	g->oom |= p->oom;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
percentile(const double *v, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);

	return v[r ? r - 1 : 0];
}

/* g's numbers with its MTTR; sorts g's resolution times. */
static struct an_numbers
agg_numbers(struct agg *g)
{
	struct an_numbers n = g->n;
	double sum = 0;

	n.resolved = (long)g->nttr;
	if (g->nttr == 0)
		return n;
	qsort(g->ttr, g->nttr, sizeof(double), dbl_cmp);
	for (size_t i = 0; i < g->nttr; i++)
		sum += g->ttr[i];
	n.mttr_mean = sum / (double)g->nttr;
	n.mttr_median = percentile(g->ttr, g->nttr, 0.5);
	n.mttr_p90 = percentile(g->ttr, g->nttr, 0.9);
	return n;
}

double
an_ratio(long part, long whole)
{
	return whole ? (double)part / (double)whole : NAN;
}

/* --- per alertname ------------------------------------------------------- */

static int
selected(const struct an_identity *id, struct sel *const *sel, size_t nsel)
{
	if (nsel == 0)
		return 1;
	for (size_t i = 0; i < nsel; i++)
		if (sel_match_json(sel[i], id->labels))
			return 1;
	return 0;
}

/* Orders identity indexes by alertname (qsort_r). */
static int
ident_name_cmp(const void *x, const void *y, void *arg)
{
	const struct analysis *a = arg;

	return strcmp(a->ids[*(const size_t *)x].alertname,
	    a->ids[*(const size_t *)y].alertname);
}

void
an_alerts_view_free(struct an_alerts *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->rows[i].idents);
	free(v->rows);
	v->rows = NULL;
	v->n = 0;
}

/* One pass over the episodes into one agg per identity; then identities
 * are grouped by alertname. Linear in the window's episodes. An identity
 * with pending-only episodes but no fired one has a row of zeros. */
int
an_alerts_view(const struct analysis *a, struct sel *const *sel, size_t nsel,
    int by_identity, struct an_alerts *out)
{
	size_t nall = a->nids + a->nids_pending, n = 0, nrows = 0;
	struct agg *per = calloc(nall ? nall : 1, sizeof(*per));
	size_t *order = malloc((nall ? nall : 1) * sizeof(*order));
	int *flapping = calloc(nall ? nall : 1, sizeof(*flapping));
	struct an_alert_row *rows = NULL;
	int oom = 0;

	out->rows = NULL;
	out->n = 0;
	if (per == NULL || order == NULL || flapping == NULL)
		goto fail;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];

		if (e->context)
			continue;
		agg_episode(&per[e->ident], a, e);
		per[e->ident].n.pages += e->pages;
		per[e->ident].n.noise_pages += e->noise_pages;
		flapping[e->ident] = e->flapping;	/* the latest wins */
	}
	for (size_t k = 0; k < nall; k++)
		if ((per[k].n.episodes > 0 || a->ids[k].pending_only > 0) &&
		    selected(&a->ids[k], sel, nsel))
			order[n++] = k;
	qsort_r(order, n, sizeof(*order), ident_name_cmp, (void *)a);
	/* at most one row per kept identity */
	if ((rows = calloc(n ? n : 1, sizeof(*rows))) == NULL)
		goto fail;
	for (size_t i = 0; i < n;) {
		const char *name = a->ids[order[i]].alertname;
		struct an_alert_row *r = &rows[nrows++];
		struct agg g;
		size_t j;

		memset(&g, 0, sizeof(g));
		r->alertname = name;
		r->ident = SIZE_MAX;
		for (j = i; j < n && strcmp(a->ids[order[j]].alertname,
		    name) == 0; j++) {
			agg_merge(&g, &per[order[j]]);
			r->flapping |= flapping[order[j]];
			r->pending_only += a->ids[order[j]].pending_only;
		}
		if (by_identity) {
			if ((r->idents = calloc(j - i, sizeof(*r->idents))) ==
			    NULL)
				oom = 1;
			for (size_t k = i; r->idents && k < j; k++) {
				struct an_alert_row *ir = &r->idents[k - i];
				struct agg *p = &per[order[k]];

				ir->alertname = name;
				ir->ident = order[k];
				ir->n = agg_numbers(p);
				ir->flap_score = p->max_flap;
				ir->flapping = flapping[order[k]];
				ir->pending_only = a->ids[order[k]].pending_only;
				oom |= p->oom;
			}
			r->nidents = r->idents ? j - i : 0;
		}
		r->n = agg_numbers(&g);
		r->flap_score = g.max_flap;
		oom |= g.oom;
		free(g.ttr);
		i = j;
	}
	out->rows = rows;
	out->n = nrows;
	rows = NULL;
	for (size_t k = 0; k < nall; k++)
		oom |= per[k].oom;
	if (oom)
		an_alerts_view_free(out);
fail:
	if (per != NULL)
		for (size_t k = 0; k < nall; k++)
			free(per[k].ttr);
	free(per);
	free(order);
	free(flapping);
	free(rows);
	return out->rows != NULL ? 0 : -1;
}

static int
row_name_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct an_alert_row *)row)->alertname);
}

const struct an_alert_row *
an_alerts_find(const struct an_alerts *v, const char *alertname)
{
	if (v == NULL || v->n == 0)
		return NULL;
	return bsearch(alertname, v->rows, v->n, sizeof(*v->rows),
	    row_name_cmp);
}

int
an_flap_observed(const struct analysis *a, const struct an_alert_row *row,
    int *min)
{
	const struct an_alert_row *one = row;
	size_t n = 1;
	int ok = 0;

	assert(row != NULL);
	if (row->ident == SIZE_MAX) {
		one = row->idents;
		n = row->nidents;
	}
	*min = 0;
	for (size_t i = 0; i < n; i++) {
		const struct an_thresholds *t = a->ids[one[i].ident].t;

		if (*min == 0 || t->flap_min_episodes < *min)
			*min = t->flap_min_episodes;
		if (one[i].n.episodes >= t->flap_min_episodes)
			ok = 1;
	}
	return ok;
}

/* --- the window ---------------------------------------------------------- */

/* Per receiver or per team: slices keyed by a string. */
struct slice {
	const char *key;
	struct agg g;
};

static struct slice *
slice_get(struct slice **v, size_t *n, const char *key, int *oom)
{
	struct slice *p;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0)
			return &(*v)[i];
	if ((p = realloc(*v, (*n + 1) * sizeof(*p))) == NULL) {
		*oom = 1;
		return NULL;
	}
	*v = p;
	p = &(*v)[(*n)++];
	memset(p, 0, sizeof(*p));
	p->key = key;
	return p;
}

/* The numbers of v[0..n), into *out; frees v. */
static int
slices_numbers(struct slice *v, size_t n, struct an_slice **out, int oom)
{
	*out = NULL;
	if (!oom && (*out = calloc(n ? n : 1, sizeof(**out))) == NULL)
		oom = 1;
	for (size_t i = 0; i < n; i++) {
		if (!oom) {
			(*out)[i].key = v[i].key;
			(*out)[i].n = agg_numbers(&v[i].g);
		}
		oom |= v[i].g.oom;
		free(v[i].g.ttr);
	}
	free(v);
	return oom ? -1 : 0;
}

void
an_summary_view_free(struct an_summary *s)
{
	if (s == NULL)
		return;
	free(s->receivers);
	free(s->teams);
	s->receivers = s->teams = NULL;
	s->nreceivers = s->nteams = 0;
}

int
an_summary_view(const struct analysis *a, struct an_summary *out)
{
	struct agg all;
	struct slice *teams = NULL, *recv = NULL, *s;
	size_t nteams = 0, nrecv = 0;
	int oom = 0, rc;

	memset(out, 0, sizeof(*out));
	memset(&all, 0, sizeof(all));
	out->from = a->from;
	out->to = a->to;
	out->dedup_groups = a->ngroups;
	out->routed = a->routed;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];

		if (e->context)
			continue;
		agg_episode(&all, a, e);
		if ((s = slice_get(&teams, &nteams, a->ids[e->ident].team,
		    &oom)))
			agg_episode(&s->g, a, e);
		if (a->routed)
			out->not_notified[e->not_notified]++;
	}
	/* a receiver's episodes are those notified to it; its notifications
	 * are those it received, not all those of its episodes */
	for (size_t r = 0; r < a->nreceivers; r++) {
		const struct an_receiver *rv = &a->receivers[r];

		if ((s = slice_get(&recv, &nrecv, rv->name, &oom)) == NULL)
			continue;
		for (size_t w = 0; rv->notified && w < (a->neps + 63) / 64;
		    w++)
			for (uint64_t bits = rv->notified[w]; bits;
			    bits &= bits - 1) {
				const struct an_episode *e = &a->eps[w * 64 +
				    (size_t)__builtin_ctzll(bits)];

				if (!e->context)
					agg_episode(&s->g, a, e);
			}
		s->g.n.notifications = rv->notifications;
	}
	for (size_t i = 0; i < a->npages; i++) {
		const struct an_page *p = &a->pages[i];

		all.n.pages++;
		all.n.noise_pages += p->noise;
		out->pages_with_verdict += p->has_verdict;
		if ((s = slice_get(&recv, &nrecv, p->receiver, &oom))) {
			s->g.n.pages++;
			s->g.n.noise_pages += p->noise;
		}
		if (p->team_ident != SIZE_MAX &&
		    (s = slice_get(&teams, &nteams,
		    a->ids[p->team_ident].team, &oom))) {
			s->g.n.pages++;
			s->g.n.noise_pages += p->noise;
		}
	}
	out->all = agg_numbers(&all);
	oom |= all.oom;
	free(all.ttr);
	rc = slices_numbers(recv, nrecv, &out->receivers, oom);
	out->nreceivers = rc == 0 ? nrecv : 0;
	if (slices_numbers(teams, nteams, &out->teams, oom) < 0)
		rc = -1;
	out->nteams = rc == 0 ? nteams : 0;
	if (rc < 0)
		an_summary_view_free(out);
	return rc;
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *
ratio_json(long part, long whole)
{
	return whole ? json_real((double)part / (double)whole) : json_null();
}

static json_t *
mttr_json(const struct an_numbers *n)
{
	if (n->resolved == 0)
		return json_pack("{s:n, s:n, s:n, s:i}", "mean", "median",
		    "p90", "resolved", 0);
	return json_pack("{s:f, s:f, s:f, s:I}", "mean", n->mttr_mean,
	    "median", n->mttr_median, "p90", n->mttr_p90, "resolved",
	    (json_int_t)n->resolved);
}

json_t *
an_classes_json(const long *classes)
{
	json_t *o = json_object();

	for (int c = 0; o != NULL && c < CLS_COUNT; c++)
		if (json_object_set_new(o, an_class_name((enum an_class)c),
		    json_integer(classes[c])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The common numbers, as an object. */
static json_t *
numbers_json(const struct an_numbers *n)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:o, s:o,"
	    " s:f, s:{s:I, s:I}}",
	    "episodes", (json_int_t)n->episodes,
	    "noiseEpisodes", (json_int_t)n->noise,
	    "noiseRatio", ratio_json(n->noise, n->episodes),
	    "classes", an_classes_json(n->classes),
	    "notifications", (json_int_t)n->notifications,
	    "pages", (json_int_t)n->pages,
	    "noisePages", (json_int_t)n->noise_pages,
	    "pageNoiseRatio", ratio_json(n->noise_pages, n->pages),
	    "mttrSeconds", mttr_json(n),
	    "firingSeconds", n->firing_seconds,
	    "feedback", "actionable", (json_int_t)n->feedback[FB_ACTIONABLE],
	    "noise", (json_int_t)n->feedback[FB_NOISE]);
}

static json_t *
row_json(const struct an_alert_row *r)
{
	json_t *o = numbers_json(&r->n);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "alertname", json_string(r->alertname));
	json_object_set_new(o, "flapScore", json_real(r->flap_score));
	json_object_set_new(o, "flapping", json_boolean(r->flapping));
	json_object_set_new(o, "pendingOnly", json_integer(r->pending_only));
	return o;
}

json_t *
an_alert_rows_json(const struct analysis *a, const struct an_alerts *v,
    int by_identity)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < v->n; i++) {
		const struct an_alert_row *r = &v->rows[i];
		json_t *o = row_json(r), *idents = NULL;

		if (by_identity && r->idents != NULL)
			idents = json_array();
		for (size_t k = 0; idents != NULL && k < r->nidents; k++) {
			const struct an_alert_row *ir = &r->idents[k];
			json_t *io = row_json(ir);
			char fp[17];

			fp_format(a->ids[ir->ident].fp, fp);
			json_object_set_new(io, "fingerprint",
			    json_string(fp));
			json_object_set(io, "labels", a->ids[ir->ident].labels);
			json_array_append_new(idents, io);
		}
		if (idents != NULL)
			json_object_set_new(o, "identities", idents);
		json_array_append_new(out, o);
	}
	return out;
}

json_t *
an_not_notified_json(int routed, const long *counts)
{
	json_t *nn;

	if (!routed)
		return json_null();	/* no routing tree told which were due */
	if ((nn = json_object()) == NULL)
		return NULL;
	for (int r = NN_NONE + 1; r < NN_COUNT; r++)
		if (json_object_set_new(nn, an_nn_key(r),
		    json_integer(counts[r])) < 0) {
			json_decref(nn);
			return NULL;
		}
	return nn;
}

static json_t *
slices_json(const struct an_slice *v, size_t n, const char *keyname)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < n; i++) {
		json_t *o = numbers_json(&v[i].n);

		json_object_set_new(o, keyname, json_string(v[i].key));
		json_array_append_new(out, o);
	}
	return out;
}

json_t *
an_summary_view_json(const struct an_summary *s)
{
	char from[40], to[40];
	json_t *o = numbers_json(&s->all);

	if (o == NULL)
		return NULL;
	ts_format_rfc3339(s->from, from, sizeof(from));
	ts_format_rfc3339(s->to, to, sizeof(to));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "feedbackCoverage",
	    ratio_json(s->pages_with_verdict, s->all.pages));
	json_object_set_new(o, "dedupGroups", json_integer((json_int_t)
	    s->dedup_groups));
	json_object_set_new(o, "notNotified", an_not_notified_json(s->routed,
	    s->not_notified));
	json_object_set_new(o, "byReceiver", slices_json(s->receivers,
	    s->nreceivers, "receiver"));
	json_object_set_new(o, "byTeam", slices_json(s->teams, s->nteams,
	    "team"));
	return o;
}

/* --- the one-call forms of analysis.h ------------------------------------ */

json_t *
an_alerts_json(const struct analysis *a, struct sel *const *sel, size_t nsel,
    int by_identity)
{
	struct an_alerts v;
	json_t *out;

	if (an_alerts_view(a, sel, nsel, by_identity, &v) < 0)
		return NULL;
	out = an_alert_rows_json(a, &v, by_identity);
	an_alerts_view_free(&v);
	return out;
}

json_t *
an_summary_json(const struct analysis *a)
{
	struct an_summary s;
	json_t *out;

	if (an_summary_view(a, &s) < 0)
		return NULL;
	out = an_summary_view_json(&s);
	an_summary_view_free(&s);
	return out;
}

/* report_build.c -- the weekly review report (report.h), built from two
 * analyses: report_build, report_from_analyses, report_free, its JSON
 * (report_json), and the options and local time they use. The other
 * renderers (report_render.c, report_md.c, report_html.c) read the struct
 * made here; what they share with this file (the KPI table, the working
 * hours) is in report_int.h.
 *
 * The numbers come from the analysis' own views wherever they exist
 * (an_views.h): KPIs from an_summary_view, per-alertname numbers from
 * an_alerts_view, groups from the analyses' typed groups. Only what those
 * do not have is counted here, walking the analysis model: per-day series
 * and out-of-hours pages (local time), the longest firing of persistent
 * alerts. */
#include "report.h"
#include "report_int.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "an_views.h"
#include "buf.h"
#include "config.h"
#include "timefmt.h"
#include "tzone.h"

const char *const report__day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

const struct kpi_def report__kpi_defs[REPORT_NKPIS] = {
	{ "noiseRatio", "Noise ratio", K_RATIO, 0 },
	{ "pageNoiseRatio", "Page noise ratio", K_RATIO, 0 },
	{ "pages", "Pages", K_COUNT, 0 },
	{ "outOfHoursPages", "Out-of-hours pages", K_COUNT, 0 },
	{ "mttrSeconds", "MTTR (median)", K_SECONDS, 0 },
	{ "feedbackCoverage", "Feedback coverage", K_RATIO, 1 },
};

void
report_opts_default(struct report_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->work_start = 9 * 60;
	ro->work_end = 18 * 60;
	ro->work_days = REPORT_MON | REPORT_TUE | REPORT_WED | REPORT_THU |
	    REPORT_FRI;
	ro->top = 10;
}

void
report_opts_from_config(const struct an_config *cfg, struct report_opts *ro)
{
	report_opts_default(ro);
	ro->tz = cfg->report_tz;
	ro->work_start = cfg->report_working_hours.start;
	ro->work_end = cfg->report_working_hours.end;
	ro->work_days = cfg->report_working_days;
	ro->top = cfg->report_top;
}

/* --- local time ---------------------------------------------------------- */

static void
local_tm(const struct tz *tz, int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

	if (tz != NULL)
		tz_local(tz, ms, tm);
	else if (gmtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof(*tm));	/* cannot happen: in range */
}

/* Days since 1970-01-01 of ms's local date. */
static int64_t
local_day_index(const struct tz *tz, int64_t ms)
{
	struct tm tm;

	local_tm(tz, ms, &tm);
	return ts__days_from_civil((int64_t)tm.tm_year + 1900,
	    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

static void
day_string(int64_t idx, char *out, size_t outlen)
{
	int64_t y;
	unsigned m, d;

	ts__civil_from_days(idx, &y, &m, &d);
	snprintf(out, outlen, "%04lld-%02u-%02u", (long long)y, m, d);
}

void
report_local_day(const struct tz *tz, int64_t ms, char *out, size_t outlen)
{
	day_string(local_day_index(tz, ms), out, outlen);
}

/* The Monday of ISO week 1 of year y (the week of its January 4th), in
 * days since 1970-01-01. */
static int64_t
iso_week1(int64_t y)
{
	int64_t jan4 = ts__days_from_civil(y, 1, 4);

	/* 1970-01-01 was a Thursday: (d + 3) mod 7 is 0 on Mondays */
	return jan4 - ((jan4 + 3) % 7 + 7) % 7;
}

/* The local midnight that starts day idx (days since 1970-01-01) in tz
 * (NULL: UTC), in epoch ms. */
static int64_t
local_midnight(const struct tz *tz, int64_t idx)
{
	int64_t y;
	unsigned m, d;

	if (tz == NULL)
		return idx * 86400000;
	ts__civil_from_days(idx, &y, &m, &d);
	return tz_date(tz, y, m, d, 0, 0, 0) * 1000;
}

int
report_week_span(const struct tz *tz, const char *week, int64_t *from,
    int64_t *to)
{
	int64_t y = 0, w = 0, monday;

	for (int i = 0; i < 8; i++) {
		char ch = week[i];

		if (i == 4 ? ch != '-' : i == 5 ? ch != 'W' :
		    ch < '0' || ch > '9')
			return -1;	/* also a string that ends early */
		if (i < 4)
			y = y * 10 + (ch - '0');
		else if (i > 5)
			w = w * 10 + (ch - '0');
	}
	if (week[8] != '\0' || y < 1000 || w < 1 ||
	    w > (iso_week1(y + 1) - iso_week1(y)) / 7)
		return -1;
	monday = iso_week1(y) + (w - 1) * 7;
	*from = local_midnight(tz, monday);
	*to = local_midnight(tz, monday + 7);
	return 0;
}

void
report_week_of(const struct tz *tz, int64_t ms, char *out, size_t outlen)
{
	int64_t idx = local_day_index(tz, ms), y;
	unsigned m, d;

	ts__civil_from_days(idx, &y, &m, &d);
	if (idx < iso_week1(y))
		y--;
	else if (idx >= iso_week1(y + 1))
		y++;
	snprintf(out, outlen, "%04lld-W%02lld", (long long)y,
	    (long long)((idx - iso_week1(y)) / 7 + 1));
}

void
report_previous_span(const struct tz *tz, int64_t from, int64_t to,
    int64_t *prev_from)
{
	int64_t first = local_day_index(tz, from), last;

	assert(from < to);
	last = local_day_index(tz, to);
	if (local_midnight(tz, first) == from && local_midnight(tz, last) == to)
		*prev_from = local_midnight(tz, first - (last - first));
	else
		*prev_from = from - (to - from);
}

int
report_out_of_hours(const struct report_opts *ro, int64_t ms)
{
	struct tm tm;
	unsigned day;
	int minute;

	local_tm(ro->tz, ms, &tm);
	day = (unsigned)(tm.tm_wday + 6) % 7;	/* tm_wday 0 is Sunday */
	minute = tm.tm_hour * 60 + tm.tm_min;
	return !(ro->work_days & (1u << day)) || minute < ro->work_start ||
	    minute >= ro->work_end;
}


/* --- building the report ------------------------------------------------- */

static long
out_of_hours_pages(const struct analysis *a, const struct report_opts *ro)
{
	long n = 0;

	for (size_t i = 0; i < a->npages; i++)
		n += report_out_of_hours(ro, a->pages[i].at);
	return n;
}

/* The key figures of one window (enum report_kpi_id) into v: from its
 * summary, and its out-of-hours pages. */
static void
figures(const struct an_summary *s, long ooh, double *v)
{
	const struct an_numbers *n = &s->all;

	v[REPORT_KPI_NOISE_RATIO] = an_ratio(n->noise, n->episodes);
	v[REPORT_KPI_PAGE_NOISE_RATIO] = an_ratio(n->noise_pages, n->pages);
	v[REPORT_KPI_PAGES] = (double)n->pages;
	v[REPORT_KPI_OUT_OF_HOURS_PAGES] = (double)ooh;
	v[REPORT_KPI_MTTR] = n->resolved > 0 ? n->mttr_median : NAN;
	v[REPORT_KPI_FEEDBACK_COVERAGE] = an_ratio(s->pages_with_verdict,
	    n->pages);
}

/* Every local day from the window's first to its last, zeros included:
 * its pages and the episodes that fired on it. */
static int
report_days(struct report *r, const struct analysis *a, const struct tz *tz)
{
	int64_t first = local_day_index(tz, a->from);
	int64_t last = local_day_index(tz, a->to - 1);
	size_t nd = last >= first ? (size_t)(last - first + 1) : 0;
	struct report_day *d = calloc(nd ? nd : 1, sizeof(*d));

	if (d == NULL)
		return -1;
	for (size_t k = 0; k < nd; k++)
		day_string(first + (int64_t)k, d[k].day, sizeof(d[k].day));
	for (size_t i = 0; i < a->npages; i++) {
		int64_t k = local_day_index(tz, a->pages[i].at) - first;

		if (k >= 0 && (size_t)k < nd) {
			d[k].pages++;
			d[k].noise_pages += a->pages[i].noise;
		}
	}
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int64_t k;

		if (e->context)
			continue;
		k = local_day_index(tz, e->firing_at) - first;
		if (k >= 0 && (size_t)k < nd) {
			d[k].episodes++;
			d[k].noise_episodes += an_is_noise(e->cls);
		}
	}
	r->days = d;
	r->ndays = nd;
	return 0;
}

/* The noise ratio of row as the orders take it: 0 when undefined. */
static double
ratio0(const struct an_alert_row *row)
{
	double v = an_ratio(row->n.noise, row->n.episodes);

	return isnan(v) ? 0 : v;
}

/* Most noise episodes first, then the highest noise ratio, then by name. */
static int
cmp_noisy(const void *x, const void *y)
{
	const struct an_alert_row *a = *(const struct an_alert_row *const *)x;
	const struct an_alert_row *b = *(const struct an_alert_row *const *)y;
	double ra = ratio0(a), rb = ratio0(b);

	if (a->n.noise != b->n.noise)
		return a->n.noise > b->n.noise ? -1 : 1;
	if (ra != rb)
		return ra > rb ? -1 : 1;
	return strcmp(a->alertname, b->alertname);
}

/* Most flapping episodes first, then the highest flap score, then by
 * name. */
static int
cmp_flapping(const void *x, const void *y)
{
	const struct an_alert_row *a = *(const struct an_alert_row *const *)x;
	const struct an_alert_row *b = *(const struct an_alert_row *const *)y;
	long na = a->n.classes[CLS_FLAPPING], nb = b->n.classes[CLS_FLAPPING];

	if (na != nb)
		return na > nb ? -1 : 1;
	if (a->flap_score != b->flap_score)
		return a->flap_score > b->flap_score ? -1 : 1;
	return strcmp(a->alertname, b->alertname);
}

/* Longest firing first, then by name. */
static int
cmp_longest(const void *x, const void *y)
{
	const struct report_persistent *a = x, *b = y;

	if (a->longest_firing_seconds != b->longest_firing_seconds)
		return a->longest_firing_seconds > b->longest_firing_seconds ?
		    -1 : 1;
	return strcmp(a->alertname, b->alertname);
}

/* The rows of v in the order of cmp: a new array, NULL when v has none or
 * on out-of-memory (*oom set). */
static const struct an_alert_row **
sorted_rows(const struct an_alerts *v, int (*cmp)(const void *, const void *),
    int *oom)
{
	const struct an_alert_row **s;

	if (v->n == 0)
		return NULL;
	if ((s = malloc(v->n * sizeof(*s))) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++)
		s[i] = &v->rows[i];
	qsort(s, v->n, sizeof(*s), cmp);
	return s;
}

static int
alert_copy(struct report_alert *out, const struct an_alert_row *row,
    const struct analysis *a)
{
	const char **seen = NULL;
	size_t nseen = 0;
	struct buf teams;
	int min;

	/* the owners: the distinct teams of its identities, in their order;
	 * each identity is checked against the few teams seen, not against
	 * every identity before it */
	buf_init(&teams, 4096);
	for (size_t i = 0; i < a->nids; i++) {
		const char *t = a->ids[i].team, **p;
		size_t k;

		if (*t == '\0' || strcmp(a->ids[i].alertname, row->alertname))
			continue;
		for (k = 0; k < nseen && strcmp(seen[k], t) != 0; k++)
			;
		if (k < nseen)
			continue;
		if ((p = realloc(seen, (nseen + 1) * sizeof(*seen))) == NULL)
			goto nomem;
		seen = p;
		seen[nseen++] = t;
		if ((teams.len && buf_puts(&teams, ", ") < 0) ||
		    buf_puts(&teams, t) < 0)
			break;		/* past the limit: those so far */
	}
	free(seen);
	seen = NULL;
	if ((out->team = teams.len ? buf_steal(&teams) : strdup("")) == NULL ||
	    (out->alertname = strdup(row->alertname)) == NULL)
		goto nomem;
	out->time_to_resolve = row->n.resolved ? row->n.mttr_median : NAN;
	out->verdicts = row->n.feedback[FB_ACTIONABLE] +
	    row->n.feedback[FB_NOISE];
	out->episodes = row->n.episodes;
	out->noise_episodes = row->n.noise;
	memcpy(out->classes, row->n.classes, sizeof(out->classes));
	out->pages = row->n.pages;
	/* no score below the episodes it needs (an_flap_observed), as the
	 * UI shows none */
	out->flap_score = an_flap_observed(a, row, &min) ? row->flap_score :
	    NAN;
	out->flapping = row->flapping;
	return 0;
nomem:
	free(seen);
	buf_free(&teams);
	free(out->team);	/* out is zeroed: NULL unless made */
	out->team = NULL;
	return -1;
}

/* The top noisiest alertnames (with noise), and the flapping ones. */
static int
report_alerts(struct report *r, const struct an_alerts *v, size_t top,
    const struct analysis *a)
{
	const struct an_alert_row **s;
	int oom = 0;

	r->top = calloc(v->n ? v->n : 1, sizeof(*r->top));
	r->flapping = calloc(v->n ? v->n : 1, sizeof(*r->flapping));
	if (r->top == NULL || r->flapping == NULL)
		return -1;
	s = sorted_rows(v, cmp_noisy, &oom);
	for (size_t i = 0; s != NULL && i < v->n && r->ntop < top; i++) {
		if (s[i]->n.noise == 0)
			break;
		if (alert_copy(&r->top[r->ntop], s[i], a) < 0) {
			oom = 1;
			break;
		}
		r->ntop++;
	}
	free(s);
	s = sorted_rows(v, cmp_flapping, &oom);
	for (size_t i = 0; s != NULL && !oom && i < v->n; i++) {
		if (s[i]->n.classes[CLS_FLAPPING] == 0)
			continue;
		if (alert_copy(&r->flapping[r->nflapping], s[i], a) < 0)
			oom = 1;
		else
			r->nflapping++;
	}
	free(s);
	return oom ? -1 : 0;
}

/* Alertnames with persistent episodes, each with its longest persistent
 * firing (to now when still open; the first of equals). */
static int
report_persistent(struct report *r, const struct analysis *a,
    const struct an_alerts *v)
{
	size_t n = v->n ? v->n : 1;
	int64_t *longest = calloc(n, sizeof(*longest));
	char *has = calloc(n, 1), *open = calloc(n, 1);
	int rc = -1;

	r->persistent = calloc(n, sizeof(*r->persistent));
	if (longest == NULL || has == NULL || open == NULL ||
	    r->persistent == NULL)
		goto done;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		const struct an_alert_row *row;
		size_t k;
		int64_t ms;

		if (e->context || e->cls != CLS_PERSISTENT ||
		    (row = an_alerts_find(v, a->ids[e->ident].alertname)) ==
		    NULL)
			continue;
		k = (size_t)(row - v->rows);
		ms = an_firing_ms(a, e);
		if (!has[k] || ms > longest[k]) {
			has[k] = 1;
			longest[k] = ms;
			open[k] = e->resolved_at == 0;
		}
	}
	for (size_t k = 0; k < v->n; k++) {
		const struct an_alert_row *row = &v->rows[k];
		struct report_persistent *p = &r->persistent[r->npersistent];

		if (row->n.classes[CLS_PERSISTENT] == 0 || !has[k])
			continue;
		if ((p->alertname = strdup(row->alertname)) == NULL)
			goto done;
		p->persistent_episodes = row->n.classes[CLS_PERSISTENT];
		p->episodes = row->n.episodes;
		p->longest_firing_seconds = (double)longest[k] / 1000.0;
		p->still_firing = open[k];
		r->npersistent++;
	}
	if (r->npersistent > 1)
		qsort(r->persistent, r->npersistent, sizeof(*r->persistent),
		    cmp_longest);
	rc = 0;
done:
	free(longest);
	free(has);
	free(open);
	return rc;
}

/* Whether an alertname (NULL: absent) is noisy (REPORT_NOISY_*). */
static int
noisy(const struct an_alert_row *row)
{
	return row != NULL && row->n.episodes >= REPORT_NOISY_MIN_EPISODES &&
	    an_ratio(row->n.noise, row->n.episodes) >= REPORT_NOISY_RATIO;
}

/* The alertnames noisy in one window (from, sorted by cmp_noisy) and not
 * in the other (other), into *list: c is the row of the current window,
 * p of the previous. */
static int
noisy_list(const struct an_alerts *from, const struct an_alerts *other,
    int from_is_cur, struct report_noisy **list, size_t *n)
{
	const struct an_alert_row **s;
	int oom = 0;

	if ((*list = calloc(from->n ? from->n : 1, sizeof(**list))) == NULL)
		return -1;
	s = sorted_rows(from, cmp_noisy, &oom);
	for (size_t i = 0; s != NULL && i < from->n; i++) {
		const struct an_alert_row *o = an_alerts_find(other,
		    s[i]->alertname);
		const struct an_alert_row *c = from_is_cur ? s[i] : o;
		const struct an_alert_row *p = from_is_cur ? o : s[i];
		struct report_noisy *x = &(*list)[*n];

		if (!noisy(s[i]) || noisy(o))
			continue;
		if ((x->alertname = strdup(s[i]->alertname)) == NULL) {
			oom = 1;
			break;
		}
		x->episodes = c ? c->n.episodes : 0;
		x->noise_episodes = c ? c->n.noise : 0;
		x->noise_ratio = c ? an_ratio(c->n.noise, c->n.episodes) : NAN;
		x->previous_episodes = p ? p->n.episodes : 0;
		x->previous_noise_ratio = p ? an_ratio(p->n.noise,
		    p->n.episodes) : NAN;
		(*n)++;
	}
	free(s);
	return oom ? -1 : 0;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The alertnames with fired episodes in one window (in, sorted by name)
 * and none in the other, copied into *list. 0, or -1 on out-of-memory. */
static int
fired_only(const struct an_alerts *in, const struct an_alerts *other,
    char ***list, size_t *n)
{
	if ((*list = calloc(in->n ? in->n : 1, sizeof(**list))) == NULL)
		return -1;
	for (size_t i = 0; i < in->n; i++) {
		const struct an_alert_row *o = an_alerts_find(other,
		    in->rows[i].alertname);

		if (in->rows[i].n.episodes == 0 || (o && o->n.episodes > 0))
			continue;
		if (((*list)[*n] = strdup(in->rows[i].alertname)) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

/* What identifies a group across windows: its kind and its members
 * (alertname and labels, each as compact JSON with sorted keys), in a
 * canonical order. Caller frees. */
static char *
group_key(const struct an_group *g)
{
	size_t n = g->nmembers, i;
	char **keys = calloc(n ? n : 1, sizeof(*keys)), *out = NULL;
	struct buf b;

	buf_init(&b, REPORT_RENDER_MAX);
	if (keys == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *m = json_pack("{s:s, s:O}", "alertname",
		    g->members[i].alertname, "labels", g->members[i].labels);

		keys[i] = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) :
		    NULL;
		json_decref(m);
		if (keys[i] == NULL)
			goto done;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	if (buf_puts(&b, an_group_kind_name(g->kind)) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (buf_puts(&b, "\n") < 0 || buf_puts(&b, keys[i]) < 0)
			goto done;
	out = buf_steal(&b);
done:
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	buf_free(&b);
	return out;
}

/* The window's groups (cur's, with json, an_groups_json(cur), taken: the
 * report's JSON carries it as it is) as the renderers read them; a group
 * is new when no group of prev has its kind and members. The member names
 * are the report's own copies: it outlives the analyses. */
static int
report_groups(struct report *r, const struct analysis *cur,
    const struct analysis *prev, json_t *json)
{
	size_t n = cur->ngroups;
	json_t *seen = json_object();
	int rc = -1;

	r->groups_json = json;
	if (seen == NULL ||
	    (r->groups = calloc(n ? n : 1, sizeof(*r->groups))) == NULL)
		goto done;
	for (size_t i = 0; i < prev->ngroups; i++) {
		char *k = group_key(&prev->groups[i]);

		if (k == NULL || json_object_set_new(seen, k, json_true()) < 0) {
			free(k);
			goto done;
		}
		free(k);
	}
	for (size_t i = 0; i < n; i++) {
		const struct an_group *g = &cur->groups[i];
		struct report_group *x = &r->groups[i];
		size_t m = g->nmembers;
		char *k;

		if ((x->members = calloc(m ? m : 1, sizeof(*x->members))) ==
		    NULL)
			goto done;
		r->ngroups++;
		for (size_t j = 0; j < m; j++, x->nmembers++)
			if ((x->members[j] = strdup(g->members[j].alertname))
			    == NULL)
				goto done;
		x->kind = an_group_kind_name(g->kind);
		x->leader = g->leader >= 0 && (size_t)g->leader < m ?
		    x->members[g->leader] : NULL;
		x->support = g->support;
		x->jaccard = g->jaccard;
		if ((k = group_key(g)) == NULL)
			goto done;
		x->is_new = json_object_get(seen, k) == NULL;
		free(k);
	}
	rc = 0;
done:
	json_decref(seen);
	return rc;
}

struct report *
report_from_analyses(const struct analysis *cur, const struct analysis *prev,
    const struct report_opts *ro, int64_t window_ms, int64_t now,
    json_t *recommendations)
{
	struct an_summary sc, sp;
	struct an_alerts ac, ap;
	double vc[REPORT_NKPIS], vp[REPORT_NKPIS];
	int have_sc, have_sp, have_ac, have_ap, ok = 0;
	struct report_opts def;
	json_t *gc;
	struct report *r;

	assert(cur != NULL && prev != NULL && window_ms > 0);
	if (ro == NULL) {
		report_opts_default(&def);
		ro = &def;
	}
	r = calloc(1, sizeof(*r));
	have_sc = an_summary_view(cur, &sc) == 0;
	have_sp = an_summary_view(prev, &sp) == 0;
	/* by identity: whether a flap score rests on enough episodes */
	have_ac = an_alerts_view(cur, NULL, 0, 1, &ac) == 0;
	have_ap = an_alerts_view(prev, NULL, 0, 0, &ap) == 0;
	gc = an_groups_json(cur);
	if (r == NULL || !have_sc || !have_sp || !have_ac || !have_ap ||
	    gc == NULL)
		goto done;
	r->window_ms = window_ms;
	r->from = cur->from;
	r->to = cur->to;
	r->prev_from = prev->from;
	r->prev_to = prev->to;
	r->generated_at = now;
	r->work_start = ro->work_start;
	r->work_end = ro->work_end;
	r->work_days = ro->work_days;
	r->recommendations = recommendations ? json_incref(recommendations) :
	    json_array();
	figures(&sc, out_of_hours_pages(cur, ro), vc);
	figures(&sp, out_of_hours_pages(prev, ro), vp);
	for (size_t i = 0; i < REPORT_NKPIS; i++) {
		r->kpis[i].cur = vc[i];
		r->kpis[i].prev = vp[i];
	}
	r->routed = sc.routed;
	memcpy(r->not_notified, sc.not_notified, sizeof(r->not_notified));
	if ((r->timezone = strdup(ro->tz ? tz_name(ro->tz) : "UTC")) == NULL ||
	    r->recommendations == NULL ||
	    report_groups(r, cur, prev, gc) < 0 ||
	    report_days(r, cur, ro->tz) < 0 ||
	    report_alerts(r, &ac, ro->top, cur) < 0 ||
	    report_persistent(r, cur, &ac) < 0 ||
	    noisy_list(&ac, &ap, 1, &r->newly_noisy, &r->nnewly_noisy) < 0 ||
	    noisy_list(&ap, &ac, 0, &r->no_longer_noisy,
	    &r->nno_longer_noisy) < 0 ||
	    fired_only(&ac, &ap, &r->new_alerts, &r->nnew_alerts) < 0 ||
	    fired_only(&ap, &ac, &r->gone_alerts, &r->ngone_alerts) < 0)
		goto done;
	ok = 1;
done:
	if (r == NULL || r->groups_json == NULL)
		json_decref(gc);	/* else the report's */
	if (have_sc)
		an_summary_view_free(&sc);
	if (have_sp)
		an_summary_view_free(&sp);
	if (have_ac)
		an_alerts_view_free(&ac);
	if (have_ap)
		an_alerts_view_free(&ap);
	if (!ok) {
		report_free(r);
		return NULL;
	}
	return r;
}

struct report *
report_build(struct store *st, const struct an_opts *o,
    const struct report_opts *ro, const struct analysis *cur,
    json_t *recommendations, char *err, size_t errlen)
{
	int64_t window_ms = cur->to - cur->from, prev_from;
	struct analysis *prev = NULL;
	struct report *r;

	/* the previous window is analysed as known now: its episodes that
	 * resolved later have their real durations */
	report_previous_span(ro ? ro->tz : NULL, cur->from, cur->to,
	    &prev_from);
	if (an_run(st, o, prev_from, cur->from, cur->now, &prev, err,
	    errlen) < 0)
		return NULL;
	if ((r = report_from_analyses(cur, prev, ro, window_ms, cur->now,
	    recommendations)) == NULL)
		snprintf(err, errlen, "out of memory");
	an_free(prev);
	return r;
}

int
report_set_scope(struct report *r, const char *week,
    const char *const *match, size_t nmatch)
{
	char **v = NULL;

	if (nmatch > 0 && (v = calloc(nmatch, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < nmatch; i++)
		if ((v[i] = strdup(match[i])) == NULL) {
			while (i-- > 0)
				free(v[i]);
			free(v);
			return -1;
		}
	for (size_t i = 0; i < r->nmatch; i++)
		free(r->match[i]);
	free(r->match);
	r->match = v;
	r->nmatch = nmatch;
	snprintf(r->week, sizeof(r->week), "%s", week ? week : "");
	return 0;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->timezone);
	for (size_t i = 0; i < r->nmatch; i++)
		free(r->match[i]);
	free(r->match);
	free(r->days);
	for (size_t i = 0; i < r->ntop; i++) {
		free(r->top[i].alertname);
		free(r->top[i].team);
		links_free(&r->top[i].links);
	}
	free(r->top);
	for (size_t i = 0; i < r->nflapping; i++) {
		free(r->flapping[i].alertname);
		free(r->flapping[i].team);
		links_free(&r->flapping[i].links);
	}
	free(r->flapping);
	for (size_t i = 0; i < r->npersistent; i++) {
		free(r->persistent[i].alertname);
		links_free(&r->persistent[i].links);
	}
	free(r->persistent);
	for (size_t i = 0; i < r->ngroups; i++) {
		for (size_t j = 0; j < r->groups[i].nmembers; j++)
			free(r->groups[i].members[j]);
		free(r->groups[i].members);
	}
	free(r->groups);
	json_decref(r->groups_json);
	json_decref(r->recommendations);
	for (size_t i = 0; i < r->nnewly_noisy; i++) {
		free(r->newly_noisy[i].alertname);
		links_free(&r->newly_noisy[i].links);
	}
	free(r->newly_noisy);
	for (size_t i = 0; i < r->nno_longer_noisy; i++) {
		free(r->no_longer_noisy[i].alertname);
		links_free(&r->no_longer_noisy[i].links);
	}
	free(r->no_longer_noisy);
	for (size_t i = 0; i < r->nnew_alerts; i++)
		free(r->new_alerts[i]);
	free(r->new_alerts);
	for (size_t i = 0; i < r->ngone_alerts; i++)
		free(r->gone_alerts[i]);
	free(r->gone_alerts);
	free(r);
}

/* --- the JSON ------------------------------------------------------------ */

void
report__hours(const struct report *r, char *out, size_t outlen)
{
	snprintf(out, outlen, "%02d:%02d-%02d:%02d", r->work_start / 60,
	    r->work_start % 60, r->work_end / 60, r->work_end % 60);
}

/* Setters that remember a failure (out of memory) instead of returning it:
 * the document is checked once, at the end. They steal v, also on
 * failure. */
static void
set(int *oom, json_t *o, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, v) < 0)
		*oom = 1;
}

static void
push(int *oom, json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) < 0)
		*oom = 1;
}

static json_t *
jtime(int64_t ms)
{
	char s[40];

	ts_format_rfc3339(ms, s, sizeof(s));
	return json_string(s);
}

/* v, or JSON null when undefined (NAN). */
static json_t *
jreal(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* A KPI value: an integer for a count, else a real; null when undefined. */
static json_t *
kpi_value(enum kpi_kind kind, double v)
{
	if (kind == K_COUNT && !isnan(v))
		return json_integer((json_int_t)v);
	return jreal(v);
}

static json_t *
kpi_json(const struct kpi_def *k, const struct report_figure *f)
{
	json_t *change;

	if (isnan(f->cur) || isnan(f->prev))
		change = json_null();
	else if (k->kind == K_COUNT)
		change = json_integer((json_int_t)f->cur - (json_int_t)f->prev);
	else
		change = json_real(f->cur - f->prev);
	return json_pack("{s:o, s:o, s:o}", "current", kpi_value(k->kind,
	    f->cur), "previous", kpi_value(k->kind, f->prev), "change",
	    change);
}

static json_t *
working_days_json(unsigned days)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < 7; i++)
		if ((days & (1u << i)) && json_array_append_new(a,
		    json_string(report__day_names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* pages_per_day and noise_ratio_per_day. */
static void
days_json(const struct report *r, json_t *o, int *oom)
{
	json_t *pages = json_array(), *ratio = json_array();

	for (size_t k = 0; pages && ratio && k < r->ndays; k++) {
		const struct report_day *d = &r->days[k];

		push(oom, pages, json_pack("{s:s, s:I, s:I}", "day", d->day,
		    "pages", (json_int_t)d->pages, "noisePages",
		    (json_int_t)d->noise_pages));
		push(oom, ratio, json_pack("{s:s, s:I, s:I, s:o}", "day",
		    d->day, "episodes", (json_int_t)d->episodes,
		    "noiseEpisodes", (json_int_t)d->noise_episodes,
		    "noiseRatio", jreal(an_ratio(d->noise_episodes,
		    d->episodes))));
	}
	set(oom, o, "pagesPerDay", pages);
	set(oom, o, "noiseRatioPerDay", ratio);
}

/* An alertname row's links (report_add_links) as "links"; none before. */
static void
set_links(int *oom, json_t *o, const struct alert_links *l)
{
	if (l->page != NULL)
		set(oom, o, "links", links_json(l));
}

/* push of row o, its links set. */
static void
push_row(int *oom, json_t *a, json_t *o, const struct alert_links *l)
{
	if (o != NULL)
		set_links(oom, o, l);
	push(oom, a, o);
}

static json_t *
alerts_json(const struct report *r, int *oom)
{
	json_t *top = json_array(), *flapping = json_array();
	json_t *persistent = json_array();

	for (size_t i = 0; top && i < r->ntop; i++) {
		const struct report_alert *a = &r->top[i];

		push_row(oom, top, json_pack("{s:s, s:I, s:I, s:o, s:o, s:I, s:o, "
		    "s:o, s:I, s:o, s:s}",
		    "alertname", a->alertname,
		    "episodes", (json_int_t)a->episodes,
		    "noiseEpisodes", (json_int_t)a->noise_episodes,
		    "noiseRatio", jreal(an_ratio(a->noise_episodes,
		    a->episodes)),
		    "classes", an_classes_json(a->classes),
		    "pages", (json_int_t)a->pages,
		    "flapScore", jreal(a->flap_score),
		    "timeToResolveSeconds", jreal(a->time_to_resolve),
		    "verdicts", (json_int_t)a->verdicts,
		    "verdictCoverage", jreal(an_ratio(a->verdicts,
		    a->episodes)),
		    "team", a->team ? a->team : ""), &a->links);
	}
	for (size_t i = 0; flapping && i < r->nflapping; i++) {
		const struct report_alert *a = &r->flapping[i];

		push_row(oom, flapping, json_pack("{s:s, s:I, s:I, s:f, s:b}",
		    "alertname", a->alertname,
		    "flappingEpisodes", (json_int_t)a->classes[CLS_FLAPPING],
		    "episodes", (json_int_t)a->episodes,
		    "flapScore", a->flap_score,
		    "flapping", a->flapping), &a->links);
	}
	for (size_t i = 0; persistent && i < r->npersistent; i++) {
		const struct report_persistent *p = &r->persistent[i];

		push_row(oom, persistent, json_pack("{s:s, s:I, s:I, s:f, s:b}",
		    "alertname", p->alertname,
		    "persistentEpisodes", (json_int_t)p->persistent_episodes,
		    "episodes", (json_int_t)p->episodes,
		    "longestFiringSeconds", p->longest_firing_seconds,
		    "stillFiring", p->still_firing), &p->links);
	}
	return json_pack("{s:o, s:o, s:o}", "topNoisy", top, "flapping",
	    flapping, "persistent", persistent);
}

/* A list of names as a JSON array of strings. */
static json_t *
names_json(char *const *v, size_t n, int *oom)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < n; i++)
		push(oom, out, json_string(v[i]));
	return out;
}

/* A newly_noisy (with noise_episodes) or no_longer_noisy list. */
static json_t *
noisy_json(const struct report_noisy *list, size_t n, int newly, int *oom)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < n; i++) {
		const struct report_noisy *x = &list[i];
		json_t *o = json_pack("{s:s, s:I}", "alertname", x->alertname,
		    "episodes", (json_int_t)x->episodes);

		if (o != NULL && newly)
			set(oom, o, "noiseEpisodes",
			    json_integer(x->noise_episodes));
		if (o != NULL) {
			set(oom, o, "noiseRatio", jreal(x->noise_ratio));
			set(oom, o, "previousEpisodes",
			    json_integer(x->previous_episodes));
			set(oom, o, "previousNoiseRatio",
			    jreal(x->previous_noise_ratio));
			set_links(oom, o, &x->links);
		}
		push(oom, out, o);
	}
	if (out == NULL)
		*oom = 1;
	return out;
}

json_t *
report_json(const struct report *r)
{
	json_t *o = json_object(), *kpis = json_object(), *alerts = NULL;
	json_t *new_groups = json_array();
	char window[32], hours[32];
	int oom = o == NULL || kpis == NULL || new_groups == NULL;

	if (oom)
		goto done;
	cfg_format_duration(r->window_ms, window, sizeof(window));
	report__hours(r, hours, sizeof(hours));
	set(&oom, o, "window", json_string(window));
	set(&oom, o, "week", r->week[0] ? json_string(r->week) : json_null());
	{
		json_t *m = json_array();

		for (size_t i = 0; m != NULL && i < r->nmatch; i++)
			push(&oom, m, json_string(r->match[i]));
		set(&oom, o, "match", m);
	}
	set(&oom, o, "from", jtime(r->from));
	set(&oom, o, "to", jtime(r->to));
	set(&oom, o, "generatedAt", jtime(r->generated_at));
	set(&oom, o, "timezone", json_string(r->timezone ? r->timezone :
	    "UTC"));
	set(&oom, o, "workingHours", json_string(hours));
	set(&oom, o, "workingDays", working_days_json(r->work_days));
	set(&oom, o, "previous", json_pack("{s:o, s:o}", "from",
	    jtime(r->prev_from), "to", jtime(r->prev_to)));
	for (size_t i = 0; i < REPORT_NKPIS; i++)
		set(&oom, kpis, report__kpi_defs[i].key,
		    kpi_json(&report__kpi_defs[i], &r->kpis[i]));
	set(&oom, o, "kpis", json_incref(kpis));
	set(&oom, o, "notNotified", an_not_notified_json(r->routed,
	    r->not_notified));
	days_json(r, o, &oom);
	if ((alerts = alerts_json(r, &oom)) == NULL)
		oom = 1;
	set(&oom, o, "topNoisy", json_incref(json_object_get(alerts,
	    "topNoisy")));
	set(&oom, o, "flapping", json_incref(json_object_get(alerts,
	    "flapping")));
	set(&oom, o, "persistent", json_incref(json_object_get(alerts,
	    "persistent")));
	set(&oom, o, "dedupGroups", r->groups_json ?
	    json_incref(r->groups_json) : json_array());
	set(&oom, o, "recommendations", r->recommendations ?
	    json_incref(r->recommendations) : json_array());
	for (size_t i = 0; i < r->ngroups; i++)
		if (r->groups[i].is_new && json_array_append(new_groups,
		    json_array_get(r->groups_json, i)) < 0)
			oom = 1;
	set(&oom, o, "changes", json_pack("{s:o, s:o, s:o, s:o, s:O, s:O}",
	    "newlyNoisy", noisy_json(r->newly_noisy, r->nnewly_noisy, 1,
	    &oom),
	    "noLongerNoisy", noisy_json(r->no_longer_noisy,
	    r->nno_longer_noisy, 0, &oom),
	    "newAlerts", names_json(r->new_alerts, r->nnew_alerts, &oom),
	    "goneAlerts", names_json(r->gone_alerts, r->ngone_alerts, &oom),
	    "newGroups", new_groups,
	    "pagesChange", json_object_get(kpis, "pages")));
done:
	json_decref(kpis);
	json_decref(alerts);
	json_decref(new_groups);
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* report_build.c -- the weekly review report's JSON (report.h), built from
 * two analyses: report_build, report_from_analyses, and the options and
 * local time they use. The renderers (report_render.c, report_md.c,
 * report_html.c) only read the JSON made here; what they share with this
 * file (the KPI table, the JSON readers) is in report_int.h.
 *
 * The numbers come from the analysis' own views wherever they exist: KPIs
 * from an_summary_json, per-alertname numbers from an_alerts_json, groups
 * from an_groups_json. Only what those do not have is counted here, walking
 * the analysis model: per-day series and out-of-hours pages (local time),
 * the longest firing of persistent alerts. */
#include "report.h"
#include "report_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "timefmt.h"
#include "tzone.h"

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

const struct kpi_def report__kpi_defs[] = {
	{ "noise_ratio", "Noise ratio", K_RATIO, 0 },
	{ "page_noise_ratio", "Page noise ratio", K_RATIO, 0 },
	{ "pages", "Pages", K_COUNT, 0 },
	{ "out_of_hours_pages", "Out-of-hours pages", K_COUNT, 0 },
	{ "mttr_seconds", "MTTR (median)", K_SECONDS, 0 },
	{ "feedback_coverage", "Feedback coverage", K_RATIO, 1 },
};

const size_t report__nkpis = sizeof(report__kpi_defs) /
    sizeof(report__kpi_defs[0]);

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

/* --- building the JSON --------------------------------------------------- */

/* Setters that remember a failure (out of memory) instead of returning it:
 * the report is checked once, at the end. They steal v, also on failure. */
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

/* v, or JSON null when v is NULL: for "O" in json_pack. */
static json_t *
or_null(json_t *v)
{
	return v ? v : json_null();
}

static json_t *
jtime(int64_t ms)
{
	char s[40];

	ts_format_rfc3339(ms, s, sizeof(s));
	return json_string(s);
}

json_int_t
report__jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

double
report__jnum(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

const char *
report__jname(const json_t *o)
{
	const char *s = json_string_value(json_object_get(o, "alertname"));

	return s ? s : "";
}

/* current - previous; null unless both are numbers. */
static json_t *
num_change(const json_t *cur, const json_t *prev)
{
	if (!json_is_number(cur) || !json_is_number(prev))
		return json_null();
	if (json_is_integer(cur) && json_is_integer(prev))
		return json_integer(json_integer_value(cur) -
		    json_integer_value(prev));
	return json_real(json_number_value(cur) - json_number_value(prev));
}

static json_t *
kpi(json_t *cur, json_t *prev)
{
	return json_pack("{s:O, s:O, s:o}", "current", or_null(cur),
	    "previous", or_null(prev), "change", num_change(cur, prev));
}

static long
out_of_hours_pages(const struct analysis *a, const struct report_opts *ro)
{
	long n = 0;

	for (size_t i = 0; i < a->npages; i++)
		n += report_out_of_hours(ro, a->pages[i].at);
	return n;
}

static json_t *
kpis_json(const struct analysis *cur, const struct analysis *prev,
    const struct report_opts *ro)
{
	json_t *sc = an_summary_json(cur), *sp = an_summary_json(prev);
	json_t *ohc = json_integer(out_of_hours_pages(cur, ro));
	json_t *ohp = json_integer(out_of_hours_pages(prev, ro));
	json_t *out = NULL;
	int oom = 0;

	if (sc == NULL || sp == NULL || ohc == NULL || ohp == NULL)
		goto done;
	out = json_object();
	for (size_t i = 0; i < report__nkpis; i++) {
		const char *k = report__kpi_defs[i].key;
		json_t *c, *p;

		if (strcmp(k, "out_of_hours_pages") == 0) {
			c = ohc;
			p = ohp;
		} else if (strcmp(k, "mttr_seconds") == 0) {
			c = json_object_get(json_object_get(sc, k), "median");
			p = json_object_get(json_object_get(sp, k), "median");
		} else {
			c = json_object_get(sc, k);
			p = json_object_get(sp, k);
		}
		set(&oom, out, k, kpi(c, p));
	}
	if (oom) {
		json_decref(out);
		out = NULL;
	}
done:
	json_decref(sc);
	json_decref(sp);
	json_decref(ohc);
	json_decref(ohp);
	return out;
}

/* pages_per_day and noise_ratio_per_day: every local day from the window's
 * first to its last, zeros included. */
static int
per_day_json(const struct analysis *a, const struct tz *tz, json_t *report)
{
	int64_t first = local_day_index(tz, a->from);
	int64_t last = local_day_index(tz, a->to - 1);
	size_t nd = last >= first ? (size_t)(last - first + 1) : 0;
	struct day {
		long pages, noise_pages, episodes, noise_episodes;
	} *d = calloc(nd ? nd : 1, sizeof(*d));
	json_t *pages = json_array(), *ratio = json_array();
	int oom = d == NULL || pages == NULL || ratio == NULL;

	for (size_t i = 0; !oom && i < a->npages; i++) {
		int64_t k = local_day_index(tz, a->pages[i].at) - first;

		if (k >= 0 && (size_t)k < nd) {
			d[k].pages++;
			d[k].noise_pages += a->pages[i].noise;
		}
	}
	for (size_t i = 0; !oom && i < a->neps; i++) {
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
	for (size_t k = 0; !oom && k < nd; k++) {
		char day[16];

		day_string(first + (int64_t)k, day, sizeof(day));
		push(&oom, pages, json_pack("{s:s, s:i, s:i}", "day", day,
		    "pages", (int)d[k].pages, "noise_pages",
		    (int)d[k].noise_pages));
		push(&oom, ratio, json_pack("{s:s, s:i, s:i, s:o}", "day", day,
		    "episodes", (int)d[k].episodes, "noise_episodes",
		    (int)d[k].noise_episodes, "noise_ratio", d[k].episodes ?
		    json_real((double)d[k].noise_episodes /
		    (double)d[k].episodes) : json_null()));
	}
	free(d);
	set(&oom, report, "pages_per_day", pages);
	set(&oom, report, "noise_ratio_per_day", ratio);
	return oom ? -1 : 0;
}

/* The elements of a JSON array, for sorting. NULL when empty or out of
 * memory (*oom set). */
static json_t **
elements(const json_t *array, size_t *n, int *oom)
{
	json_t **v;

	*n = json_array_size(array);
	if (*n == 0)
		return NULL;
	if ((v = malloc(*n * sizeof(*v))) == NULL) {
		*oom = 1;
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		v[i] = json_array_get(array, i);
	return v;
}

/* Most noise episodes first, then the highest noise ratio, then by name. */
static int
cmp_noisy(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t na = report__jint(a, "noise_episodes");
	json_int_t nb = report__jint(b, "noise_episodes");
	double ra = report__jnum(a, "noise_ratio");
	double rb = report__jnum(b, "noise_ratio");

	if (na != nb)
		return na > nb ? -1 : 1;
	if (ra != rb)
		return ra > rb ? -1 : 1;
	return strcmp(report__jname(a), report__jname(b));
}

static json_int_t
class_count(const json_t *alert, const char *cls)
{
	return report__jint(json_object_get(alert, "classes"), cls);
}

static int
cmp_flapping(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t na = class_count(a, "flapping"), nb = class_count(b, "flapping");
	double sa = report__jnum(a, "flap_score");
	double sb = report__jnum(b, "flap_score");

	if (na != nb)
		return na > nb ? -1 : 1;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(report__jname(a), report__jname(b));
}

static int
cmp_longest(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	double la = report__jnum(a, "longest_firing_seconds");
	double lb = report__jnum(b, "longest_firing_seconds");

	if (la != lb)
		return la > lb ? -1 : 1;
	return strcmp(report__jname(a), report__jname(b));
}

static json_t *
top_noisy_json(const json_t *alerts, size_t top, int *oom)
{
	json_t *out = json_array(), **v;
	size_t n;

	if (out == NULL) {
		*oom = 1;
		return NULL;
	}
	v = elements(alerts, &n, oom);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_noisy);
	for (size_t i = 0; i < n && json_array_size(out) < top; i++) {
		if (report__jint(v[i], "noise_episodes") == 0)
			break;
		push(oom, out, json_pack("{s:s, s:I, s:I, s:O, s:O, s:I, s:O}",
		    "alertname", report__jname(v[i]),
		    "episodes", report__jint(v[i], "episodes"),
		    "noise_episodes", report__jint(v[i], "noise_episodes"),
		    "noise_ratio", or_null(json_object_get(v[i], "noise_ratio")),
		    "classes", or_null(json_object_get(v[i], "classes")),
		    "pages", report__jint(v[i], "pages"),
		    "flap_score", or_null(json_object_get(v[i], "flap_score"))));
	}
	free(v);
	return out;
}

static json_t *
flapping_json(const json_t *alerts, int *oom)
{
	json_t *out = json_array(), **v;
	size_t n;

	if (out == NULL) {
		*oom = 1;
		return NULL;
	}
	v = elements(alerts, &n, oom);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_flapping);
	for (size_t i = 0; i < n; i++) {
		if (class_count(v[i], "flapping") == 0)
			continue;
		push(oom, out, json_pack("{s:s, s:I, s:I, s:O, s:O}",
		    "alertname", report__jname(v[i]),
		    "flapping_episodes", class_count(v[i], "flapping"),
		    "episodes", report__jint(v[i], "episodes"),
		    "flap_score", or_null(json_object_get(v[i], "flap_score")),
		    "flapping", or_null(json_object_get(v[i], "flapping"))));
	}
	free(v);
	return out;
}

/* Alertnames with persistent episodes, each with its longest persistent
 * firing (to now when still open). */
static json_t *
persistent_json(const struct analysis *a, const json_t *alerts, int *oom)
{
	json_t *longest = json_object(), *out = json_array(), **v;
	size_t n;

	if (longest == NULL || out == NULL) {
		json_decref(longest);
		json_decref(out);
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		const char *name = a->ids[e->ident].alertname;
		json_t *was;
		int64_t ms;

		if (e->context || e->cls != CLS_PERSISTENT)
			continue;
		ms = an_firing_ms(a, e);
		was = json_object_get(longest, name);
		if (was == NULL || ms > report__jint(was, "ms"))
			set(oom, longest, name, json_pack("{s:I, s:b}", "ms",
			    (json_int_t)ms, "open", e->resolved_at == 0));
	}
	for (size_t i = 0; i < json_array_size(alerts); i++) {
		const json_t *al = json_array_get(alerts, i);
		const json_t *l = json_object_get(longest, report__jname(al));

		if (class_count(al, "persistent") == 0 || l == NULL)
			continue;
		push(oom, out, json_pack("{s:s, s:I, s:I, s:f, s:O}",
		    "alertname", report__jname(al),
		    "persistent_episodes", class_count(al, "persistent"),
		    "episodes", report__jint(al, "episodes"),
		    "longest_firing_seconds",
		    (double)report__jint(l, "ms") / 1000.0,
		    "still_firing", or_null(json_object_get(l, "open"))));
	}
	json_decref(longest);
	v = elements(out, &n, oom);
	if (n > 1) {
		json_t *sorted = json_array();

		qsort(v, n, sizeof(*v), cmp_longest);
		for (size_t i = 0; sorted && i < n; i++)
			if (json_array_append(sorted, v[i]) < 0)
				*oom = 1;
		json_decref(out);
		out = sorted;
		if (out == NULL)
			*oom = 1;
	}
	free(v);
	return out;
}

static int
noisy(const json_t *alert)
{
	return alert != NULL &&
	    report__jint(alert, "episodes") >= REPORT_NOISY_MIN_EPISODES &&
	    json_is_number(json_object_get(alert, "noise_ratio")) &&
	    report__jnum(alert, "noise_ratio") >= REPORT_NOISY_RATIO;
}

/* alerts by alertname (references to the elements). */
static json_t *
by_name(const json_t *alerts)
{
	json_t *m = json_object();

	for (size_t i = 0; m && i < json_array_size(alerts); i++) {
		json_t *al = json_array_get(alerts, i);

		if (json_object_set(m, report__jname(al), al) < 0) {
			json_decref(m);
			return NULL;
		}
	}
	return m;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* What identifies a group across windows: its kind and its members
 * (alertname and labels), in a canonical order. Caller frees. */
static char *
group_key(const json_t *g)
{
	const json_t *members = json_object_get(g, "members");
	const char *kind = json_string_value(json_object_get(g, "kind"));
	size_t n = json_array_size(members), i;
	char **keys = calloc(n ? n : 1, sizeof(*keys)), *out = NULL;
	struct buf b;

	buf_init(&b, REPORT_RENDER_MAX);
	if (keys == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((keys[i] = json_dumps(json_array_get(members, i),
		    JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			goto done;
	qsort(keys, n, sizeof(*keys), cmp_str);
	if (buf_puts(&b, kind ? kind : "") < 0)
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

static json_t *
changes_json(const json_t *cur_alerts, const json_t *prev_alerts,
    const json_t *cur_groups, const json_t *prev_groups, const json_t *kpis,
    int *oom)
{
	json_t *prev_by = by_name(prev_alerts), *cur_by = by_name(cur_alerts);
	json_t *newly = json_array(), *gone = json_array();
	json_t *new_groups = json_array(), *seen = json_object();
	json_t *out = NULL, **v = NULL;
	size_t n;

	if (prev_by == NULL || cur_by == NULL || newly == NULL ||
	    gone == NULL || new_groups == NULL || seen == NULL) {
		*oom = 1;
		goto done;
	}
	v = elements(cur_alerts, &n, oom);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_noisy);
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_object_get(prev_by, report__jname(v[i]));

		if (!noisy(v[i]) || noisy(p))
			continue;
		push(oom, newly, json_pack("{s:s, s:I, s:I, s:O, s:I, s:O}",
		    "alertname", report__jname(v[i]),
		    "episodes", report__jint(v[i], "episodes"),
		    "noise_episodes", report__jint(v[i], "noise_episodes"),
		    "noise_ratio", or_null(json_object_get(v[i], "noise_ratio")),
		    "previous_episodes", p ? report__jint(p, "episodes") : 0,
		    "previous_noise_ratio",
		    or_null(json_object_get(p, "noise_ratio"))));
	}
	free(v);
	v = elements(prev_alerts, &n, oom);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_noisy);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_object_get(cur_by, report__jname(v[i]));

		if (!noisy(v[i]) || noisy(c))
			continue;
		push(oom, gone, json_pack("{s:s, s:I, s:O, s:I, s:O}",
		    "alertname", report__jname(v[i]),
		    "episodes", c ? report__jint(c, "episodes") : 0,
		    "noise_ratio", or_null(json_object_get(c, "noise_ratio")),
		    "previous_episodes", report__jint(v[i], "episodes"),
		    "previous_noise_ratio",
		    or_null(json_object_get(v[i], "noise_ratio"))));
	}
	for (size_t i = 0; i < json_array_size(prev_groups); i++) {
		char *k = group_key(json_array_get(prev_groups, i));

		if (k == NULL || json_object_set_new(seen, k, json_true()) < 0)
			*oom = 1;
		free(k);
	}
	for (size_t i = 0; i < json_array_size(cur_groups); i++) {
		json_t *g = json_array_get(cur_groups, i);
		char *k = group_key(g);

		if (k == NULL)
			*oom = 1;
		else if (json_object_get(seen, k) == NULL &&
		    json_array_append(new_groups, g) < 0)
			*oom = 1;
		free(k);
	}
	out = json_pack("{s:O, s:O, s:O, s:O}", "newly_noisy", newly,
	    "no_longer_noisy", gone, "new_groups", new_groups,
	    "pages_change", or_null(json_object_get(kpis, "pages")));
	if (out == NULL)
		*oom = 1;
done:
	free(v);
	json_decref(prev_by);
	json_decref(cur_by);
	json_decref(newly);
	json_decref(gone);
	json_decref(new_groups);
	json_decref(seen);
	return out;
}

static json_t *
working_days_json(unsigned days)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < 7; i++)
		if ((days & (1u << i)) &&
		    json_array_append_new(a, json_string(day_names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *
report_from_analyses(const struct analysis *cur, const struct analysis *prev,
    const struct report_opts *ro, int64_t window_ms, int64_t now,
    json_t *recommendations)
{
	json_t *r, *kpis = NULL, *cur_alerts, *prev_alerts, *cur_groups;
	json_t *prev_groups;
	struct report_opts def;
	char window[32], hours[32];
	int oom;

	assert(cur != NULL && prev != NULL && window_ms > 0);
	r = json_object();
	cur_alerts = an_alerts_json(cur, NULL, 0, 0);
	prev_alerts = an_alerts_json(prev, NULL, 0, 0);
	cur_groups = an_groups_json(cur);
	prev_groups = an_groups_json(prev);
	oom = r == NULL || cur_alerts == NULL || prev_alerts == NULL ||
	    cur_groups == NULL || prev_groups == NULL;
	if (ro == NULL) {
		report_opts_default(&def);
		ro = &def;
	}
	if (oom)
		goto done;
	cfg_format_duration(window_ms, window, sizeof(window));
	snprintf(hours, sizeof(hours), "%02d:%02d-%02d:%02d",
	    ro->work_start / 60, ro->work_start % 60, ro->work_end / 60,
	    ro->work_end % 60);
	set(&oom, r, "window", json_string(window));
	set(&oom, r, "from", jtime(cur->from));
	set(&oom, r, "to", jtime(cur->to));
	set(&oom, r, "generated_at", jtime(now));
	set(&oom, r, "timezone", json_string(ro->tz ? tz_name(ro->tz) :
	    "UTC"));
	set(&oom, r, "working_hours", json_string(hours));
	set(&oom, r, "working_days", working_days_json(ro->work_days));
	set(&oom, r, "previous", json_pack("{s:o, s:o}", "from",
	    jtime(prev->from), "to", jtime(prev->to)));
	if ((kpis = kpis_json(cur, prev, ro)) == NULL)
		oom = 1;
	set(&oom, r, "kpis", json_incref(kpis));
	set(&oom, r, "not_notified", an_not_notified_json(cur));
	if (per_day_json(cur, ro->tz, r) < 0)
		oom = 1;
	set(&oom, r, "top_noisy", top_noisy_json(cur_alerts, ro->top, &oom));
	set(&oom, r, "flapping", flapping_json(cur_alerts, &oom));
	set(&oom, r, "persistent", persistent_json(cur, cur_alerts, &oom));
	set(&oom, r, "dedup_groups", json_incref(cur_groups));
	set(&oom, r, "recommendations", recommendations ?
	    json_incref(recommendations) : json_array());
	set(&oom, r, "changes", changes_json(cur_alerts, prev_alerts,
	    cur_groups, prev_groups, kpis, &oom));
done:
	json_decref(kpis);
	json_decref(cur_alerts);
	json_decref(prev_alerts);
	json_decref(cur_groups);
	json_decref(prev_groups);
	if (oom) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *
report_build(struct store *st, const struct an_opts *o,
    const struct report_opts *ro, const struct analysis *cur,
    json_t *recommendations, char *err, size_t errlen)
{
	int64_t window_ms = cur->to - cur->from;
	struct analysis *prev = NULL;
	json_t *r;

	/* the previous window is analysed as known now: its episodes that
	 * resolved later have their real durations */
	if (an_run(st, o, cur->from - window_ms, cur->from, cur->now, &prev,
	    err, errlen) < 0)
		return NULL;
	if ((r = report_from_analyses(cur, prev, ro, window_ms, cur->now,
	    recommendations)) == NULL)
		snprintf(err, errlen, "out of memory");
	an_free(prev);
	return r;
}

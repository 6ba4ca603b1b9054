/* report.c -- the weekly review report (report.h): its JSON, built from two
 * analyses, and the Markdown and HTML renderings of that JSON.
 *
 * The numbers come from the analysis' own views wherever they exist: KPIs
 * from an_summary_json, per-alertname numbers from an_alerts_json, groups
 * from an_groups_json. Only what those do not have is counted here, walking
 * the analysis model: per-day series and out-of-hours pages (local time),
 * the longest firing of persistent alerts. */
#include "report.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "timefmt.h"
#include "tzone.h"

/* A rendered document is a few tens of KB; this only bounds a runaway. */
#define RENDER_MAX	((size_t)64 << 20)
/* Bars and labels in the HTML's top-noisy chart. */
#define CHART_TOP	10
#define LABEL_MAX	40	/* bytes of an alertname shown in a chart */

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

/* The KPIs, in report order; the renderers take labels and kinds from
 * here. higher_better tells which way a change is an improvement. */
enum kpi_kind { K_RATIO, K_COUNT, K_SECONDS };

static const struct kpi_def {
	const char *key, *label;
	enum kpi_kind kind;
	int higher_better;
} kpi_defs[] = {
	{ "noise_ratio", "Noise ratio", K_RATIO, 0 },
	{ "page_noise_ratio", "Page noise ratio", K_RATIO, 0 },
	{ "pages", "Pages", K_COUNT, 0 },
	{ "out_of_hours_pages", "Out-of-hours pages", K_COUNT, 0 },
	{ "mttr_seconds", "MTTR (median)", K_SECONDS, 0 },
	{ "feedback_coverage", "Feedback coverage", K_RATIO, 1 },
};

#define NKPIS	(sizeof(kpi_defs) / sizeof(kpi_defs[0]))

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

static json_int_t
jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static double
jnum(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *
jname(const json_t *o)
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
	for (size_t i = 0; i < NKPIS; i++) {
		const char *k = kpi_defs[i].key;
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
	json_int_t na = jint(a, "noise_episodes"), nb = jint(b, "noise_episodes");
	double ra = jnum(a, "noise_ratio"), rb = jnum(b, "noise_ratio");

	if (na != nb)
		return na > nb ? -1 : 1;
	if (ra != rb)
		return ra > rb ? -1 : 1;
	return strcmp(jname(a), jname(b));
}

static json_int_t
class_count(const json_t *alert, const char *cls)
{
	return jint(json_object_get(alert, "classes"), cls);
}

static int
cmp_flapping(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t na = class_count(a, "flapping"), nb = class_count(b, "flapping");
	double sa = jnum(a, "flap_score"), sb = jnum(b, "flap_score");

	if (na != nb)
		return na > nb ? -1 : 1;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(jname(a), jname(b));
}

static int
cmp_longest(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	double la = jnum(a, "longest_firing_seconds");
	double lb = jnum(b, "longest_firing_seconds");

	if (la != lb)
		return la > lb ? -1 : 1;
	return strcmp(jname(a), jname(b));
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
		if (jint(v[i], "noise_episodes") == 0)
			break;
		push(oom, out, json_pack("{s:s, s:I, s:I, s:O, s:O, s:I, s:O}",
		    "alertname", jname(v[i]),
		    "episodes", jint(v[i], "episodes"),
		    "noise_episodes", jint(v[i], "noise_episodes"),
		    "noise_ratio", or_null(json_object_get(v[i], "noise_ratio")),
		    "classes", or_null(json_object_get(v[i], "classes")),
		    "pages", jint(v[i], "pages"),
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
		    "alertname", jname(v[i]),
		    "flapping_episodes", class_count(v[i], "flapping"),
		    "episodes", jint(v[i], "episodes"),
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
		if (was == NULL || ms > jint(was, "ms"))
			set(oom, longest, name, json_pack("{s:I, s:b}", "ms",
			    (json_int_t)ms, "open", e->resolved_at == 0));
	}
	for (size_t i = 0; i < json_array_size(alerts); i++) {
		const json_t *al = json_array_get(alerts, i);
		const json_t *l = json_object_get(longest, jname(al));

		if (class_count(al, "persistent") == 0 || l == NULL)
			continue;
		push(oom, out, json_pack("{s:s, s:I, s:I, s:f, s:O}",
		    "alertname", jname(al),
		    "persistent_episodes", class_count(al, "persistent"),
		    "episodes", jint(al, "episodes"),
		    "longest_firing_seconds", (double)jint(l, "ms") / 1000.0,
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
	    jint(alert, "episodes") >= REPORT_NOISY_MIN_EPISODES &&
	    json_is_number(json_object_get(alert, "noise_ratio")) &&
	    jnum(alert, "noise_ratio") >= REPORT_NOISY_RATIO;
}

/* alerts by alertname (references to the elements). */
static json_t *
by_name(const json_t *alerts)
{
	json_t *m = json_object();

	for (size_t i = 0; m && i < json_array_size(alerts); i++) {
		json_t *al = json_array_get(alerts, i);

		if (json_object_set(m, jname(al), al) < 0) {
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

	buf_init(&b, RENDER_MAX);
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
		const json_t *p = json_object_get(prev_by, jname(v[i]));

		if (!noisy(v[i]) || noisy(p))
			continue;
		push(oom, newly, json_pack("{s:s, s:I, s:I, s:O, s:I, s:O}",
		    "alertname", jname(v[i]),
		    "episodes", jint(v[i], "episodes"),
		    "noise_episodes", jint(v[i], "noise_episodes"),
		    "noise_ratio", or_null(json_object_get(v[i], "noise_ratio")),
		    "previous_episodes", p ? jint(p, "episodes") : 0,
		    "previous_noise_ratio",
		    or_null(json_object_get(p, "noise_ratio"))));
	}
	free(v);
	v = elements(prev_alerts, &n, oom);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_noisy);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_object_get(cur_by, jname(v[i]));

		if (!noisy(v[i]) || noisy(c))
			continue;
		push(oom, gone, json_pack("{s:s, s:I, s:O, s:I, s:O}",
		    "alertname", jname(v[i]),
		    "episodes", c ? jint(c, "episodes") : 0,
		    "noise_ratio", or_null(json_object_get(c, "noise_ratio")),
		    "previous_episodes", jint(v[i], "episodes"),
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

/* --- rendering: shared --------------------------------------------------- */

struct out {
	struct buf b;
	int err;
};

static void
put(struct out *o, const char *s)
{
	if (buf_puts(&o->b, s) < 0)
		o->err = 1;
}

static void
putn(struct out *o, const char *s, size_t n)
{
	if (buf_append(&o->b, s, n) < 0)
		o->err = 1;
}

static void putf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&o->b, fmt, ap) < 0)
		o->err = 1;
	va_end(ap);
}

static char *
finish(struct out *o)
{
	char *s;

	if (o->err || (s = buf_steal(&o->b)) == NULL) {
		buf_free(&o->b);
		return NULL;
	}
	return s;
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* v with at most dec decimals, trailing zeros dropped ("62.5", "100"). */
static void
fmt_dec(double v, int dec, char *out, size_t outlen)
{
	char *dot, *end;

	snprintf(out, outlen, "%.*f", dec, v);
	if ((dot = strchr(out, '.')) != NULL) {
		end = out + strlen(out);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(out, "-0") == 0)
		snprintf(out, outlen, "0");
}

static void
fmt_pct(double ratio, char *out, size_t outlen)
{
	size_t n;

	fmt_dec(ratio * 100, 1, out, outlen);
	if ((n = strlen(out)) + 1 < outlen) {
		out[n] = '%';
		out[n + 1] = '\0';
	}
}

/* Seconds for people: "42s", "4m 05s", "3h 20m", "2d 04h". */
static void
fmt_dur(double s, char *out, size_t outlen)
{
	const char *sign = s < 0 ? "-" : "";
	double a = fabs(s);
	long long x = llround(a);
	char t[40];

	if (a < 59.5) {
		fmt_dec(a, a < 10 ? 1 : 0, t, sizeof(t));
		snprintf(out, outlen, "%s%ss", sign, t);
	} else if (x < 3600) {
		snprintf(out, outlen, "%s%lldm %02llds", sign, x / 60, x % 60);
	} else if (x < 86400) {
		snprintf(out, outlen, "%s%lldh %02lldm", sign, x / 3600,
		    x / 60 % 60);
	} else {
		snprintf(out, outlen, "%s%lldd %02lldh", sign, x / 86400,
		    x / 3600 % 24);
	}
}

/* A KPI value for display; "n/a" when null or missing. */
static void
fmt_kpi(enum kpi_kind kind, const json_t *v, char *out, size_t outlen)
{
	if (!json_is_number(v))
		snprintf(out, outlen, "n/a");
	else if (kind == K_RATIO)
		fmt_pct(json_number_value(v), out, outlen);
	else if (kind == K_SECONDS)
		fmt_dur(json_number_value(v), out, outlen);
	else
		fmt_dec(json_number_value(v), 2, out, outlen);
}

/* A KPI change: arrow ("▲", "▼", "="), signed text ("+12.5 pp", "-2",
 * "+1m 05s") and verdict ("worse", "better", "" when none). */
struct change {
	const char *arrow;
	char text[48];
	const char *verdict;
};

static void
fmt_change(const struct kpi_def *k, const json_t *v, struct change *c)
{
	double d, r;
	char t[40];

	c->arrow = "";
	c->verdict = "";
	if (!json_is_number(v)) {
		snprintf(c->text, sizeof(c->text), "n/a");
		return;
	}
	d = json_number_value(v);
	/* what is shown decides whether it changed: 0.04 pp is no change */
	r = k->kind == K_RATIO ? round(d * 1000) / 10 :
	    k->kind == K_SECONDS ? round(d * 10) / 10 : d;
	if (r == 0) {
		c->arrow = "=";
		snprintf(c->text, sizeof(c->text), "0%s",
		    k->kind == K_RATIO ? " pp" : "");
		return;
	}
	c->arrow = r > 0 ? "\xe2\x96\xb2" : "\xe2\x96\xbc";
	c->verdict = (r > 0) == (k->higher_better != 0) ? "better" : "worse";
	if (k->kind == K_RATIO) {
		fmt_dec(fabs(r), 1, t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s pp", r > 0 ? "+" : "-",
		    t);
	} else if (k->kind == K_SECONDS) {
		fmt_dur(fabs(r), t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s", r > 0 ? "+" : "-",
		    t);
	} else {
		fmt_dec(fabs(r), 2, t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s", r > 0 ? "+" : "-",
		    t);
	}
}

/* A number or null for a table cell. */
static void
fmt_num(const json_t *v, int dec, char *out, size_t outlen)
{
	if (json_is_number(v))
		fmt_dec(json_number_value(v), dec, out, outlen);
	else
		snprintf(out, outlen, "n/a");
}

static void
fmt_ratio(const json_t *v, char *out, size_t outlen)
{
	if (json_is_number(v))
		fmt_pct(json_number_value(v), out, outlen);
	else
		snprintf(out, outlen, "n/a");
}

/* The non-zero classes of an alert, "flapping 8, transient 1". */
static void
fmt_classes(const json_t *classes, char *out, size_t outlen)
{
	const char *k;
	json_t *v;
	size_t len = 0;

	out[0] = '\0';
	json_object_foreach((json_t *)classes, k, v) {
		if (json_integer_value(v) == 0 || len >= outlen)
			continue;
		len += (size_t)snprintf(out + len, outlen - len, "%s%s %lld",
		    len ? ", " : "", k, (long long)json_integer_value(v));
	}
	if (len == 0)
		snprintf(out, outlen, "-");
}

/* A scalar as text: strings as they are, numbers trimmed, booleans and
 * null spelled out. Returns 0 for arrays and objects. */
static int
scalar_text(const json_t *v, char *out, size_t outlen)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(out, outlen, "%s", json_string_value(v));
		return 1;
	case JSON_INTEGER:
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
		return 1;
	case JSON_REAL:
		fmt_dec(json_real_value(v), 2, out, outlen);
		return 1;
	case JSON_TRUE:
		snprintf(out, outlen, "true");
		return 1;
	case JSON_FALSE:
		snprintf(out, outlen, "false");
		return 1;
	case JSON_NULL:
		snprintf(out, outlen, "n/a");
		return 1;
	default:
		return 0;
	}
}

/* Appends v to b as text: a scalar (scalar_text), an array of scalars as
 * "[a, b]", an object of scalars as "{k: v, ...}"; deeper structure is
 * left out. Returns -1 on out-of-memory. */
static int
put_value(struct buf *b, const json_t *v)
{
	char t[256];
	const char *k;
	json_t *m;
	size_t i, n = 0;

	if (scalar_text(v, t, sizeof(t)))
		return buf_puts(b, t);
	if (buf_puts(b, json_is_array(v) ? "[" : "{") < 0)
		return -1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (scalar_text(m, t, sizeof(t)) &&
			    buf_printf(b, "%s%s", n++ ? ", " : "", t) < 0)
				return -1;
	} else {
		json_object_foreach((json_t *)v, k, m)
			if (scalar_text(m, t, sizeof(t)) &&
			    buf_printf(b, "%s%s: %s", n++ ? ", " : "", k, t) < 0)
				return -1;
	}
	return buf_puts(b, json_is_array(v) ? "]" : "}");
}

/* Whether v is a scalar, or a container holding one (put_value shows
 * only those). */
static int
shows_something(const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	if (!json_is_array(v) && !json_is_object(v))
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (!json_is_array(m) && !json_is_object(m))
				return 1;
	} else {
		json_object_foreach((json_t *)v, k, m)
			if (!json_is_array(m) && !json_is_object(m))
				return 1;
	}
	return 0;
}

/* A recommendation's evidence or predicted savings as one line of text: a
 * string as it is; an object's "summary" when it has one, else its members
 * as "key: value, ..." with a pair "x_before"/"x_after" made one
 * "x: before -> after", null members and containers of containers left
 * out; anything else by
 * put_value. The caller frees; NULL when there is nothing (or no memory). */
static char *
fields_text(const json_t *v)
{
	struct buf b;
	char txt[256], key[160];
	const char *k, *base;
	json_t *m, *after;
	int bad = 0;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_object(v) && json_is_string(json_object_get(v, "summary")))
		return strdup(json_string_value(json_object_get(v, "summary")));
	buf_init(&b, RENDER_MAX);
	if (!json_is_object(v)) {
		bad = put_value(&b, v) < 0;
		goto done;
	}
	json_object_foreach((json_t *)v, k, m) {
		size_t len = strlen(k);

		if (json_is_null(m) || !shows_something(m))
			continue;
		if (len > 6 && strcmp(k + len - 6, "_after") == 0 &&
		    len - 6 < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s_before", (int)(len - 6),
			    k);
			if (json_object_get(v, key) != NULL)
				continue;	/* shown with its _before */
		}
		base = k;
		after = NULL;
		if (len > 7 && strcmp(k + len - 7, "_before") == 0 &&
		    len - 7 < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s_after", (int)(len - 7),
			    k);
			after = json_object_get(v, key);
			snprintf(key, sizeof(key), "%.*s", (int)(len - 7), k);
			base = key;
		}
		if ((b.len && buf_puts(&b, ", ") < 0) ||
		    buf_printf(&b, "%s: ", base) < 0 || put_value(&b, m) < 0) {
			bad = 1;
			break;
		}
		if (after != NULL && scalar_text(after, txt, sizeof(txt)) &&
		    buf_printf(&b, " \xe2\x86\x92 %s", txt) < 0) {
			bad = 1;
			break;
		}
	}
done:
	if (bad || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The actionable episodes a recommendation's replay loses. */
static long long
rec_lost(const json_t *r)
{
	return (long long)json_integer_value(json_object_get(json_object_get(
	    r, "predicted"), "actionable_lost"));
}

/* What a recommendation is about: its title (prose: *code 0), else its
 * alertname or target (a name: *code 1); NULL when it has none. */
static const char *
rec_subject(const json_t *rec, int *code)
{
	static const char *const keys[] = { "title", "alertname", "target" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = json_string_value(json_object_get(rec,
		    keys[i]));

		if (s != NULL && *s != '\0') {
			*code = i > 0;
			return s;
		}
	}
	return NULL;
}

/* Its predicted savings: "predicted" (lib/tuning/recommend.c's), else
 * "predicted_savings" or "savings". */
static const json_t *
rec_savings(const json_t *rec)
{
	static const char *const keys[] = { "predicted", "predicted_savings",
	    "savings" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(rec, keys[i]) != NULL)
			return json_object_get(rec, keys[i]);
	return NULL;
}

/* The distinct alertnames of a group's members, with a count when one
 * repeats: "Storm x12", "CoA, CoB". */
static char *
members_text(const json_t *g)
{
	const json_t *members = json_object_get(g, "members");
	size_t n = json_array_size(members);
	struct buf b;

	buf_init(&b, RENDER_MAX);
	for (size_t i = 0; i < n;) {
		const char *name = jname(json_array_get(members, i));
		size_t j = i + 1;

		while (j < n && strcmp(jname(json_array_get(members, j)),
		    name) == 0)
			j++;
		if ((b.len && buf_puts(&b, ", ") < 0) ||
		    buf_puts(&b, name) < 0 ||
		    (j - i > 1 && buf_printf(&b, " \xc3\x97%zu", j - i) < 0)) {
			buf_free(&b);
			return NULL;
		}
		i = j;
	}
	if (b.len == 0 && buf_puts(&b, "-") < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static const char *
leader_name(const json_t *g)
{
	const json_t *l = json_object_get(g, "leader");

	return json_is_object(l) ? jname(l) : NULL;
}

/* The report's days, "2026-11-19 to 2026-11-25", from its per-day series
 * (else from and to). */
static void
fmt_span(const json_t *report, char *out, size_t outlen)
{
	const json_t *days = json_object_get(report, "pages_per_day");
	size_t n = json_array_size(days);

	if (n > 0)
		snprintf(out, outlen, "%s to %s",
		    str_or(json_array_get(days, 0), "day", "?"),
		    str_or(json_array_get(days, n - 1), "day", "?"));
	else
		snprintf(out, outlen, "%s to %s", str_or(report, "from", "?"),
		    str_or(report, "to", "?"));
}

/* The working days as "mon-fri" style text: "mon, tue, ..." joined. */
static void
fmt_days(const json_t *days, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(days) && len < outlen; i++) {
		const char *d = json_string_value(json_array_get(days, i));

		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    i ? ", " : "", d ? d : "?");
	}
	if (len == 0)
		snprintf(out, outlen, "none");
}

/* An entry of changes.newly_noisy or no_longer_noisy after its name:
 * "100% noise of 9 episodes (previous window: no episodes)". Plain text,
 * nothing to escape. */
static void
fmt_noisy(const json_t *a, char *out, size_t outlen)
{
	long long n = (long long)jint(a, "episodes");
	long long pn = (long long)jint(a, "previous_episodes");
	char r[24], pr[24], now[64], before[64];

	fmt_ratio(json_object_get(a, "noise_ratio"), r, sizeof(r));
	fmt_ratio(json_object_get(a, "previous_noise_ratio"), pr, sizeof(pr));
	if (n > 0)
		snprintf(now, sizeof(now), "%s noise of %lld episode%s", r, n,
		    n == 1 ? "" : "s");
	else
		snprintf(now, sizeof(now), "no episodes now");
	if (pn > 0)
		snprintf(before, sizeof(before), "%s of %lld", pr, pn);
	else
		snprintf(before, sizeof(before), "no episodes");
	snprintf(out, outlen, "%s (previous window: %s)", now, before);
}

/* The noise_ratio_per_day entry of day (index i when it matches). */
static const json_t *
ratio_day(const json_t *report, size_t i, const char *day)
{
	const json_t *r = json_object_get(report, "noise_ratio_per_day");
	const json_t *e = json_array_get(r, i);

	if (e != NULL && strcmp(str_or(e, "day", ""), day) == 0)
		return e;
	for (size_t j = 0; j < json_array_size(r); j++)
		if (strcmp(str_or(json_array_get(r, j), "day", ""), day) == 0)
			return json_array_get(r, j);
	return NULL;
}

/* --- Markdown ------------------------------------------------------------ */

/* Text with Markdown's active characters backslash-escaped and line breaks
 * made spaces, safe in a paragraph and a table cell. */
static void
md_text(struct out *o, const char *s)
{
	for (const char *run = s;; s++) {
		if (*s != '\0' && !strchr("\\`*_[]<>|~#&\n\r", *s))
			continue;
		putn(o, run, (size_t)(s - run));
		if (*s == '\0')
			return;
		if (*s == '\n' || *s == '\r')
			put(o, " ");
		else
			putf(o, "\\%c", *s);
		run = s + 1;
	}
}

/* A code span (CommonMark 6.1): delimited by one backtick more than the
 * longest run inside, padded when the text starts or ends with one. Pipes
 * are escaped and line breaks made spaces, so it also fits a table cell
 * (GFM 4.10). */
static void
md_code(struct out *o, const char *s)
{
	size_t run = 0, longest = 0, n;
	const char *p;
	int pad;

	for (p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	n = strlen(s);
	pad = n > 0 && (s[0] == '`' || s[n - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		put(o, "`");
	if (pad)
		put(o, " ");
	for (p = s; *p; p++) {
		if (*p == '|')
			put(o, "\\|");
		else if (*p == '\n' || *p == '\r')
			put(o, " ");
		else
			putn(o, p, 1);
	}
	if (pad)
		put(o, " ");
	for (size_t i = 0; i <= longest; i++)
		put(o, "`");
}

/* "Fired but never notified: 2 silenced, 1 inhibited." into buf; 0
 * when there is nothing to say (no routing tree, or none). */
static int
nn_sentence(const json_t *report, char *buf, size_t size)
{
	static const char *const keys[] = { "silenced", "inhibited", "muted",
	    "resolved_in_group_wait", "unknown" };
	static const char *const words[] = { "silenced", "inhibited",
	    "muted by a time interval", "resolved within group_wait",
	    "for no known reason" };
	const json_t *nn = json_object_get(report, "not_notified");
	size_t n = 0;
	int any = 0;

	if (!json_is_object(nn))
		return 0;
	n = (size_t)snprintf(buf, size, "Fired but never notified:");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < size;
	    i++) {
		json_int_t v = json_integer_value(json_object_get(nn,
		    keys[i]));

		if (v <= 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s %lld %s",
		    any ? "," : "", (long long)v, words[i]);
		any = 1;
	}
	if (n < size)
		snprintf(buf + n, size - n, ".");
	return any;
}

static void
md_kpis(struct out *o, const json_t *report)
{
	char nn[256];

	const json_t *kpis = json_object_get(report, "kpis");

	put(o, "## Key figures\n\n"
	    "| | Current | Previous | Change |\n"
	    "| --- | ---: | ---: | --- |\n");
	for (size_t i = 0; i < NKPIS; i++) {
		const json_t *k = json_object_get(kpis, kpi_defs[i].key);
		char cur[48], prev[48];
		struct change c;

		fmt_kpi(kpi_defs[i].kind, json_object_get(k, "current"), cur,
		    sizeof(cur));
		fmt_kpi(kpi_defs[i].kind, json_object_get(k, "previous"), prev,
		    sizeof(prev));
		fmt_change(&kpi_defs[i], json_object_get(k, "change"), &c);
		putf(o, "| %s | %s | %s | %s%s%s%s%s |\n", kpi_defs[i].label,
		    cur, prev, c.arrow, *c.arrow ? " " : "", c.text,
		    *c.verdict ? " " : "", *c.verdict ? (strcmp(c.verdict,
		    "worse") == 0 ? "(worse)" : "(better)") : "");
	}
	put(o, "\n");
	if (nn_sentence(report, nn, sizeof(nn)))
		putf(o, "%s\n\n", nn);
}

static void
md_days(struct out *o, const json_t *report)
{
	const json_t *days = json_object_get(report, "pages_per_day");

	put(o, "## Day by day\n\n");
	if (json_array_size(days) == 0) {
		put(o, "_No days._\n\n");
		return;
	}
	put(o, "| Day | Pages | Noise pages | Episodes | Noise episodes | "
	    "Noise ratio |\n"
	    "| --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < json_array_size(days); i++) {
		const json_t *d = json_array_get(days, i);
		const char *day = str_or(d, "day", "?");
		const json_t *r = ratio_day(report, i, day);
		char ratio[24];

		fmt_ratio(json_object_get(r, "noise_ratio"), ratio,
		    sizeof(ratio));
		put(o, "| ");
		md_text(o, day);
		putf(o, " | %lld | %lld | %lld | %lld | %s |\n",
		    (long long)jint(d, "pages"),
		    (long long)jint(d, "noise_pages"),
		    (long long)jint(r, "episodes"),
		    (long long)jint(r, "noise_episodes"), ratio);
	}
	put(o, "\n");
}

static void
md_top(struct out *o, const json_t *report)
{
	const json_t *top = json_object_get(report, "top_noisy");

	put(o, "## Noisiest alerts\n\n");
	if (json_array_size(top) == 0) {
		put(o, "_No noise in this window._\n\n");
		return;
	}
	put(o, "| # | Alert | Episodes | Noise | Noise ratio | Pages | "
	    "Flap score | Classes |\n"
	    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (size_t i = 0; i < json_array_size(top); i++) {
		const json_t *a = json_array_get(top, i);
		char ratio[24], flap[24], classes[256];

		fmt_ratio(json_object_get(a, "noise_ratio"), ratio,
		    sizeof(ratio));
		fmt_num(json_object_get(a, "flap_score"), 1, flap, sizeof(flap));
		fmt_classes(json_object_get(a, "classes"), classes,
		    sizeof(classes));
		putf(o, "| %zu | ", i + 1);
		md_code(o, jname(a));
		putf(o, " | %lld | %lld | %s | %lld | %s | %s |\n",
		    (long long)jint(a, "episodes"),
		    (long long)jint(a, "noise_episodes"), ratio,
		    (long long)jint(a, "pages"), flap, classes);
	}
	put(o, "\n");
}

static void
md_flapping(struct out *o, const json_t *report)
{
	const json_t *fl = json_object_get(report, "flapping");

	put(o, "## Flapping alerts\n\n");
	if (json_array_size(fl) == 0) {
		put(o, "_None._\n\n");
		return;
	}
	put(o, "| Alert | Flapping episodes | Episodes | Highest flap score | "
	    "Flapping now |\n"
	    "| --- | ---: | ---: | ---: | --- |\n");
	for (size_t i = 0; i < json_array_size(fl); i++) {
		const json_t *a = json_array_get(fl, i);
		char flap[24];

		fmt_num(json_object_get(a, "flap_score"), 1, flap, sizeof(flap));
		put(o, "| ");
		md_code(o, jname(a));
		putf(o, " | %lld | %lld | %s | %s |\n",
		    (long long)jint(a, "flapping_episodes"),
		    (long long)jint(a, "episodes"), flap,
		    json_is_true(json_object_get(a, "flapping")) ? "yes" : "no");
	}
	put(o, "\n");
}

static void
md_persistent(struct out *o, const json_t *report)
{
	const json_t *pe = json_object_get(report, "persistent");

	put(o, "## Persistent alerts\n\n");
	if (json_array_size(pe) == 0) {
		put(o, "_None._\n\n");
		return;
	}
	put(o, "| Alert | Persistent episodes | Episodes | Longest firing | "
	    "Still firing |\n"
	    "| --- | ---: | ---: | ---: | --- |\n");
	for (size_t i = 0; i < json_array_size(pe); i++) {
		const json_t *a = json_array_get(pe, i);
		char longest[48];

		fmt_dur(jnum(a, "longest_firing_seconds"), longest,
		    sizeof(longest));
		put(o, "| ");
		md_code(o, jname(a));
		putf(o, " | %lld | %lld | %s | %s |\n",
		    (long long)jint(a, "persistent_episodes"),
		    (long long)jint(a, "episodes"), longest,
		    json_is_true(json_object_get(a, "still_firing")) ?
		    "yes" : "no");
	}
	put(o, "\n");
}

static void
md_group_row(struct out *o, const json_t *g)
{
	char *members = members_text(g), jac[24];
	const char *leader = leader_name(g);

	if (members == NULL) {
		o->err = 1;
		return;
	}
	fmt_num(json_object_get(g, "jaccard"), 2, jac, sizeof(jac));
	put(o, "| ");
	md_text(o, str_or(g, "kind", "?"));
	put(o, " | ");
	md_code(o, members);
	put(o, " | ");
	if (leader)
		md_code(o, leader);
	else
		put(o, "-");
	putf(o, " | %lld | %s |\n", (long long)jint(g, "support"),
	    strcmp(str_or(g, "kind", ""), "cofiring") == 0 ? jac : "-");
	free(members);
}

static void
md_groups(struct out *o, const json_t *report)
{
	const json_t *gs = json_object_get(report, "dedup_groups");

	put(o, "## Dedup groups\n\n");
	if (json_array_size(gs) == 0) {
		put(o, "_None._\n\n");
		return;
	}
	put(o, "| Kind | Members | Leader | Support | Jaccard |\n"
	    "| --- | --- | --- | ---: | ---: |\n");
	for (size_t i = 0; i < json_array_size(gs); i++)
		md_group_row(o, json_array_get(gs, i));
	put(o, "\n");
}

/* A fenced code block (CommonMark 4.5) whose fence is longer than any
 * backtick run in s. */
static void
md_fence(struct out *o, const char *info, const char *s)
{
	size_t run = 0, longest = 0, fence;

	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	fence = longest >= 3 ? longest + 1 : 3;
	for (size_t i = 0; i < fence; i++)
		put(o, "`");
	putf(o, "%s\n%s", info, s);
	if (*s && s[strlen(s) - 1] != '\n')
		put(o, "\n");
	for (size_t i = 0; i < fence; i++)
		put(o, "`");
	put(o, "\n\n");
}

static void
md_recommendations(struct out *o, const json_t *report)
{
	const json_t *recs = json_object_get(report, "recommendations");

	put(o, "## Recommendations\n\n");
	if (json_array_size(recs) == 0) {
		put(o, "_None this time._\n\n");
		return;
	}
	for (size_t i = 0; i < json_array_size(recs); i++) {
		const json_t *r = json_array_get(recs, i);
		int code = 0;
		const char *subject = rec_subject(r, &code);
		const char *snippet = str_or(r, "snippet", NULL);
		const char *why = str_or(r, "summary", NULL);
		const char *conf = str_or(r, "confidence", NULL);
		const char *target = str_or(r, "target", NULL);
		char *ev = fields_text(json_object_get(r, "evidence"));
		char *sav = fields_text(rec_savings(r));

		putf(o, "### %zu. ", i + 1);
		md_text(o, str_or(r, "kind", "recommendation"));
		if (subject) {
			put(o, ": ");
			if (code)
				md_code(o, subject);
			else
				md_text(o, subject);
		}
		put(o, "\n\n");
		if (why) {
			put(o, "- **Why:** ");
			md_text(o, why);
			put(o, "\n");
		}
		put(o, "- **Evidence:** ");
		md_text(o, ev ? ev : "n/a");
		put(o, "\n- **Predicted savings:** ");
		md_text(o, sav ? sav : "n/a");
		put(o, "\n");
		if (conf || target) {
			put(o, "- **Confidence:** ");
			md_text(o, conf ? conf : "n/a");
			if (target) {
				put(o, "; **applies to:** ");
				md_text(o, target);
			}
			put(o, "\n");
		}
		put(o, "\n");
		if (rec_lost(r) > 0)
			putf(o, "**Loses %lld actionable episode%s** in the "
			    "replay: check before applying.\n\n", rec_lost(r),
			    rec_lost(r) == 1 ? "" : "s");
		if (snippet)
			md_fence(o, "yaml", snippet);
		for (size_t k = 0; k < json_array_size(json_object_get(r,
		    "patches")); k++) {
			const json_t *pt = json_array_get(json_object_get(r,
			    "patches"), k);
			const char *diff = str_or(pt, "diff", NULL);

			put(o, "Patch of ");
			md_code(o, str_or(pt, "file", ""));
			if (diff == NULL) {
				put(o, ": not made, ");
				md_text(o, str_or(pt, "error", "unknown error"));
				put(o, "\n\n");
				continue;
			}
			put(o, ":\n\n");
			md_fence(o, "diff", diff);
		}
		free(ev);
		free(sav);
	}
}

/* "  - `A`: 100% noise of 9 episodes (previous window: 20% of 5)" */
static void
md_noisy_item(struct out *o, const json_t *a)
{
	char text[160];

	fmt_noisy(a, text, sizeof(text));
	put(o, "  - ");
	md_code(o, jname(a));
	putf(o, ": %s\n", text);
}

static void
md_changes(struct out *o, const json_t *report)
{
	const json_t *ch = json_object_get(report, "changes");
	const json_t *pc = json_object_get(ch, "pages_change");
	const json_t *newly = json_object_get(ch, "newly_noisy");
	const json_t *gone = json_object_get(ch, "no_longer_noisy");
	const json_t *ng = json_object_get(ch, "new_groups");
	static const struct kpi_def pages = { "pages", "Pages", K_COUNT, 0 };
	struct change c;
	char cur[24], prev[24];

	put(o, "## What changed\n\n");
	fmt_kpi(K_COUNT, json_object_get(pc, "current"), cur, sizeof(cur));
	fmt_kpi(K_COUNT, json_object_get(pc, "previous"), prev, sizeof(prev));
	fmt_change(&pages, json_object_get(pc, "change"), &c);
	putf(o, "- **Pages:** %s, previous window %s (%s%s%s)\n", cur, prev,
	    c.arrow, *c.arrow ? " " : "", c.text);
	putf(o, "- **Newly noisy** (noise ratio at least %g%% over at least "
	    "%d episodes):%s\n", REPORT_NOISY_RATIO * 100,
	    REPORT_NOISY_MIN_EPISODES, json_array_size(newly) ? "" : " none");
	for (size_t i = 0; i < json_array_size(newly); i++)
		md_noisy_item(o, json_array_get(newly, i));
	putf(o, "- **No longer noisy:**%s\n", json_array_size(gone) ? "" :
	    " none");
	for (size_t i = 0; i < json_array_size(gone); i++)
		md_noisy_item(o, json_array_get(gone, i));
	putf(o, "- **New dedup groups:**%s\n", json_array_size(ng) ? "" :
	    " none");
	for (size_t i = 0; i < json_array_size(ng); i++) {
		const json_t *g = json_array_get(ng, i);
		char *members = members_text(g);

		if (members == NULL) {
			o->err = 1;
			break;
		}
		put(o, "  - ");
		md_text(o, str_or(g, "kind", "?"));
		put(o, ": ");
		md_code(o, members);
		put(o, "\n");
		free(members);
	}
	put(o, "\n");
}

char *
report_markdown(const json_t *report)
{
	struct out o = { .err = 0 };
	char span[80], days[64];

	buf_init(&o.b, RENDER_MAX);
	fmt_span(report, span, sizeof(span));
	fmt_days(json_object_get(report, "working_days"), days, sizeof(days));
	put(&o, "# Alert noise review: ");
	md_text(&o, span);
	put(&o, "\n\nWindow ");
	md_text(&o, str_or(report, "window", "?"));
	put(&o, " from ");
	md_text(&o, str_or(report, "from", "?"));
	put(&o, " to ");
	md_text(&o, str_or(report, "to", "?"));
	put(&o, ", compared with the window before it. Days and working "
	    "hours (");
	md_text(&o, str_or(report, "working_hours", "?"));
	put(&o, ", ");
	md_text(&o, days);
	put(&o, ") are in ");
	md_text(&o, str_or(report, "timezone", "?"));
	put(&o, ". Generated ");
	md_text(&o, str_or(report, "generated_at", "?"));
	put(&o, " by alertnoised.\n\n");
	md_kpis(&o, report);
	md_days(&o, report);
	md_top(&o, report);
	md_flapping(&o, report);
	md_persistent(&o, report);
	md_groups(&o, report);
	md_recommendations(&o, report);
	md_changes(&o, report);
	return finish(&o);
}

/* --- HTML ---------------------------------------------------------------- */

/* Text HTML-escaped, for element content and quoted attributes. */
static void
esc(struct out *o, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *ent;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		putn(o, run, (size_t)(s - run));
		put(o, ent);
		run = s + 1;
	}
	put(o, run);
}

/* s cut to at most max bytes on a UTF-8 boundary, "…" marking a cut. */
static void
esc_cut(struct out *o, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *t;

	if (n <= max) {
		esc(o, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if ((t = strndup(s, max)) == NULL) {
		o->err = 1;
		return;
	}
	esc(o, t);
	put(o, "\xe2\x80\xa6");
	free(t);
}

static const char html_head[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"generator\" content=\"alertnoised\">\n"
    "<style>\n"
    "body{font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "margin:0;padding:1rem;color:#1f2328;background:#f4f5f7}\n"
    "main{max-width:62rem;margin:0 auto;background:#fff;border:1px solid "
    "#d0d7de;border-radius:8px;padding:1rem 2rem 2rem}\n"
    "h1{font-size:1.6rem;margin:.3rem 0 .2rem}\n"
    "h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.2rem;"
    "border-bottom:1px solid #eaeef2}\n"
    "h3{font-size:1rem;margin:1.2rem 0 .3rem}\n"
    ".brand,.muted{color:#656d76;font-size:.9rem;margin:0}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem;"
    "margin:.5rem 0}\n"
    "th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid "
    "#eaeef2;vertical-align:top}\n"
    "th{font-weight:600}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:.85rem}\n"
    "pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;"
    "padding:.6rem .8rem;overflow:auto}\n"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(12rem,1fr));gap:.8rem}\n"
    ".kpi{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}\n"
    ".kpi .l{color:#656d76;font-size:.85rem}\n"
    ".kpi .v{font-size:1.6rem;font-weight:600;line-height:1.2}\n"
    ".kpi .c{font-size:.9rem}\n"
    ".worse{color:#cf222e}\n"
    ".better{color:#1a7f37}\n"
    "figure{margin:.5rem 0 1rem}\n"
    "figcaption{color:#656d76;font-size:.85rem}\n"
    "svg{display:block;width:100%;height:auto}\n"
    "svg text{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;"
    "font-size:11px;fill:#1f2328}\n"
    "article{border:1px solid #d0d7de;border-radius:6px;"
    "padding:.2rem 1rem .6rem;margin:.8rem 0}\n"
    "ul{padding-left:1.4rem}\n"
    "@media print{\n"
    "body{background:#fff;padding:0;font-size:10pt}\n"
    "main{border:0;border-radius:0;max-width:none;padding:0}\n"
    "section,figure,article,.kpi,tr{break-inside:avoid}\n"
    "h2,h3{break-after:avoid}\n"
    "pre{white-space:pre-wrap;overflow:visible}\n"
    "}\n"
    "</style>\n";

/* Chart geometry and colours (SVG user units; the page scales it). */
#define SVG_W		REPORT_SVG_WIDTH
#define COLOR_NOISE	REPORT_COLOR_NOISE
#define COLOR_OTHER	REPORT_COLOR_OTHER
#define COLOR_GRID	REPORT_COLOR_GRID
#define COLOR_AXIS	REPORT_COLOR_AXIS
#define COLOR_TOTAL	REPORT_COLOR_TOTAL

/* An axis from 0 to *top in steps of 1, 2, 5, 10, 20, ... with at most 5
 * steps, covering max. */
static void
axis_int(long max, long *top, long *step)
{
	static const long mult[] = { 1, 2, 5 };
	long base = 1, s = 1;

	for (int i = 0; max > 5 * s; i++) {
		if (i % 3 == 2)
			base *= 10;
		s = mult[(i + 1) % 3] * base;
	}
	*step = s;
	*top = max <= 0 ? s : (max + s - 1) / s * s;
}

static const char *
day_label(const char *day)
{
	/* "2026-11-19" -> "11-19" */
	return strlen(day) == 10 ? day + 5 : day;
}

/* The x label of every k-th of n days, so that at most 15 show. */
static size_t
label_every(size_t n)
{
	return n <= 15 ? 1 : (n + 14) / 15;
}

static void
svg_open(struct out *o, const char *id, int h, const char *title)
{
	putf(o, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-labelledby=\"%s\">\n<title id=\"%s\">", SVG_W,
	    h, SVG_W, h, id, id);
	esc(o, title);
	put(o, "</title>\n");
}

static void
svg_legend(struct out *o, double x, const char *color, const char *text)
{
	putf(o, "<rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" "
	    "fill=\"%s\"/><text x=\"%.1f\" y=\"15\">", x, color, x + 14);
	esc(o, text);
	put(o, "</text>\n");
}

/* Pages per day: bars, the noise pages at the bottom in red, the other
 * pages stacked on them in blue. */
static void
svg_pages(struct out *o, const json_t *days)
{
	const double L = 44, R = 12, T = 28, B = 30, H = 240;
	const double pw = SVG_W - L - R, ph = H - T - B;
	size_t n = json_array_size(days), every = label_every(n);
	double slot = n ? pw / (double)n : pw, bw = slot * 0.7;
	long max = 0, top, step;

	for (size_t i = 0; i < n; i++)
		if (jint(json_array_get(days, i), "pages") > max)
			max = (long)jint(json_array_get(days, i), "pages");
	axis_int(max, &top, &step);
	svg_open(o, "chart-pages", (int)H, "Pages per day, noise pages in "
	    "red under the other pages in blue");
	for (long v = 0; v <= top; v += step) {
		double y = T + ph - (double)v / (double)top * ph;

		putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%ld</text>\n", L, SVG_W - R, y, y,
		    COLOR_GRID, L - 6, y + 4, v);
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(days, i);
		long pages = (long)jint(d, "pages");
		long noise = (long)jint(d, "noise_pages");
		double x = L + (double)i * slot + (slot - bw) / 2;
		double hn = (double)noise / (double)top * ph;
		double ho = (double)(pages - noise) / (double)top * ph;
		const char *day = str_or(d, "day", "?");

		put(o, "<g><title>");
		esc(o, day);
		putf(o, ": %ld pages, %ld noise</title>", pages, noise);
		if (noise > 0)
			putf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"/>", x, T + ph - hn, bw,
			    hn, COLOR_NOISE);
		if (pages - noise > 0)
			putf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"/>", x,
			    T + ph - hn - ho, bw, ho, COLOR_OTHER);
		put(o, "</g>\n");
		if (i % every == 0) {
			putf(o, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">", x + bw / 2, H - B + 16);
			esc(o, day_label(day));
			put(o, "</text>\n");
		}
	}
	putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\"/>\n", L, SVG_W - R, T + ph, T + ph, COLOR_AXIS);
	svg_legend(o, L, COLOR_NOISE, "noise pages");
	svg_legend(o, L + 110, COLOR_OTHER, "other pages");
	put(o, "</svg>\n");
}

/* Noise ratio per day: a line through the days that had episodes (broken
 * where a day had none), a point per day. */
static void
svg_ratio(struct out *o, const json_t *days)
{
	const double L = 44, R = 12, T = 16, B = 30, H = 220;
	const double pw = SVG_W - L - R, ph = H - T - B;
	size_t n = json_array_size(days), every = label_every(n), run = 0;
	double slot = n ? pw / (double)n : pw;

	svg_open(o, "chart-ratio", (int)H, "Noise ratio per day: the share "
	    "of the episodes that fired that day that were noise");
	for (int v = 0; v <= 100; v += 25) {
		double y = T + ph - v / 100.0 * ph;

		putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%d%%</text>\n", L, SVG_W - R, y, y,
		    COLOR_GRID, L - 6, y + 4, v);
	}
	/* the line: one polyline per run of days with a ratio */
	for (size_t i = 0; i <= n; i++) {
		const json_t *r = i < n ? json_object_get(json_array_get(days,
		    i), "noise_ratio") : NULL;

		if (json_is_number(r)) {
			double x = L + ((double)i + 0.5) * slot;
			double y = T + ph - json_number_value(r) * ph;

			if (run++ == 0)
				putf(o, "<polyline fill=\"none\" stroke=\"%s\" "
				    "stroke-width=\"2\" points=\"", COLOR_NOISE);
			putf(o, "%s%.1f,%.1f", run > 1 ? " " : "", x, y);
		} else if (run > 0) {
			put(o, "\"/>\n");
			run = 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(days, i);
		const json_t *r = json_object_get(d, "noise_ratio");
		const char *day = str_or(d, "day", "?");
		double x = L + ((double)i + 0.5) * slot;

		if (json_is_number(r)) {
			char pct[24];

			fmt_pct(json_number_value(r), pct, sizeof(pct));
			putf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			    "fill=\"%s\"><title>", x, T + ph -
			    json_number_value(r) * ph, COLOR_NOISE);
			esc(o, day);
			putf(o, ": %s of %lld episodes</title></circle>\n", pct,
			    (long long)jint(d, "episodes"));
		}
		if (i % every == 0) {
			putf(o, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">", x, H - B + 16);
			esc(o, day_label(day));
			put(o, "</text>\n");
		}
	}
	putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\"/>\n", L, SVG_W - R, T + ph, T + ph, COLOR_AXIS);
	put(o, "</svg>\n");
}

/* The noisiest alerts: a grey bar of episodes, the noise part in red. */
static void
svg_top(struct out *o, const json_t *top)
{
	const double LW = 220, T = 8, ROW = 26;
	size_t n = json_array_size(top);
	double bar_max = SVG_W - LW - 120, H;
	long max = 1;

	if (n > CHART_TOP)
		n = CHART_TOP;
	H = T + ROW * (double)n + 8;
	for (size_t i = 0; i < n; i++)
		if (jint(json_array_get(top, i), "episodes") > max)
			max = (long)jint(json_array_get(top, i), "episodes");
	svg_open(o, "chart-top", (int)H, "The noisiest alerts: episodes in "
	    "grey, the noise episodes among them in red");
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(top, i);
		long eps = (long)jint(a, "episodes");
		long noise = (long)jint(a, "noise_episodes");
		double y = T + ROW * (double)i;
		double we = (double)eps / (double)max * bar_max;
		double wn = (double)noise / (double)max * bar_max;
		char pct[24];

		fmt_ratio(json_object_get(a, "noise_ratio"), pct, sizeof(pct));
		put(o, "<g><title>");
		esc(o, jname(a));
		putf(o, ": %ld of %ld episodes noise (%s)</title>", noise, eps,
		    pct);
		putf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
		    LW - 8, y + 16);
		esc_cut(o, jname(a), LABEL_MAX);
		putf(o, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\"/><rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\">%ld of %ld (%s)</text></g>\n",
		    LW, y + 4, we, COLOR_TOTAL, LW, y + 4, wn, COLOR_NOISE,
		    LW + we + 6, y + 16, noise, eps, pct);
	}
	put(o, "</svg>\n");
}

static void
html_kpis(struct out *o, const json_t *report)
{
	const json_t *kpis = json_object_get(report, "kpis");
	char nn[256];

	put(o, "<section id=\"kpis\">\n<h2>Key figures</h2>\n"
	    "<div class=\"kpis\">\n");
	for (size_t i = 0; i < NKPIS; i++) {
		const json_t *k = json_object_get(kpis, kpi_defs[i].key);
		char cur[48], prev[48];
		struct change c;

		fmt_kpi(kpi_defs[i].kind, json_object_get(k, "current"), cur,
		    sizeof(cur));
		fmt_kpi(kpi_defs[i].kind, json_object_get(k, "previous"), prev,
		    sizeof(prev));
		fmt_change(&kpi_defs[i], json_object_get(k, "change"), &c);
		putf(o, "<div class=\"kpi\"><div class=\"l\">%s</div>"
		    "<div class=\"v\">%s</div><div class=\"c%s%s\">%s%s%s%s%s"
		    "</div><div class=\"muted\">previous: %s</div></div>\n",
		    kpi_defs[i].label, cur, *c.verdict ? " " : "", c.verdict,
		    c.arrow, *c.arrow ? " " : "", c.text,
		    *c.verdict ? ", " : "", c.verdict, prev);
	}
	put(o, "</div>\n");
	if (nn_sentence(report, nn, sizeof(nn)))
		putf(o, "<p id=\"not-notified\">%s</p>\n", nn);
	put(o, "</section>\n");
}

static void
html_days(struct out *o, const json_t *report)
{
	const json_t *pages = json_object_get(report, "pages_per_day");
	const json_t *ratio = json_object_get(report, "noise_ratio_per_day");

	put(o, "<section id=\"days\">\n<h2>Day by day</h2>\n<figure>\n");
	svg_pages(o, pages);
	put(o, "<figcaption>Pages per day; red: pages whose alerts were all "
	    "noise.</figcaption>\n</figure>\n<figure>\n");
	svg_ratio(o, ratio);
	put(o, "<figcaption>Noise ratio of the episodes that fired each day "
	    "(no point: no episode).</figcaption>\n</figure>\n");
	put(o, "<table>\n<thead><tr><th>Day</th><th class=\"n\">Pages</th>"
	    "<th class=\"n\">Noise pages</th><th class=\"n\">Episodes</th>"
	    "<th class=\"n\">Noise episodes</th><th class=\"n\">Noise ratio"
	    "</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < json_array_size(pages); i++) {
		const json_t *d = json_array_get(pages, i);
		const char *day = str_or(d, "day", "?");
		const json_t *r = ratio_day(report, i, day);
		char rt[24];

		fmt_ratio(json_object_get(r, "noise_ratio"), rt, sizeof(rt));
		put(o, "<tr><td>");
		esc(o, day);
		putf(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld"
		    "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%s</td></tr>\n",
		    (long long)jint(d, "pages"),
		    (long long)jint(d, "noise_pages"),
		    (long long)jint(r, "episodes"),
		    (long long)jint(r, "noise_episodes"), rt);
	}
	put(o, "</tbody>\n</table>\n</section>\n");
}

static void
html_top(struct out *o, const json_t *report)
{
	const json_t *top = json_object_get(report, "top_noisy");

	put(o, "<section id=\"top-noisy\">\n<h2>Noisiest alerts</h2>\n");
	if (json_array_size(top) == 0) {
		put(o, "<p class=\"muted\">No noise in this window.</p>\n"
		    "</section>\n");
		return;
	}
	put(o, "<figure>\n");
	svg_top(o, top);
	put(o, "<figcaption>Episodes per alert (grey), noise among them "
	    "(red).</figcaption>\n</figure>\n");
	put(o, "<table>\n<thead><tr><th class=\"n\">#</th><th>Alert</th>"
	    "<th class=\"n\">Episodes</th><th class=\"n\">Noise</th>"
	    "<th class=\"n\">Noise ratio</th><th class=\"n\">Pages</th>"
	    "<th class=\"n\">Flap score</th><th>Classes</th></tr></thead>\n"
	    "<tbody>\n");
	for (size_t i = 0; i < json_array_size(top); i++) {
		const json_t *a = json_array_get(top, i);
		char ratio[24], flap[24], classes[256];

		fmt_ratio(json_object_get(a, "noise_ratio"), ratio,
		    sizeof(ratio));
		fmt_num(json_object_get(a, "flap_score"), 1, flap, sizeof(flap));
		fmt_classes(json_object_get(a, "classes"), classes,
		    sizeof(classes));
		putf(o, "<tr><td class=\"n\">%zu</td><td><code>", i + 1);
		esc(o, jname(a));
		putf(o, "</code></td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%lld</td><td class=\"n\">%s</td><td>",
		    (long long)jint(a, "episodes"),
		    (long long)jint(a, "noise_episodes"), ratio,
		    (long long)jint(a, "pages"), flap);
		esc(o, classes);
		put(o, "</td></tr>\n");
	}
	put(o, "</tbody>\n</table>\n</section>\n");
}

static void
html_flapping_persistent(struct out *o, const json_t *report)
{
	const json_t *fl = json_object_get(report, "flapping");
	const json_t *pe = json_object_get(report, "persistent");

	put(o, "<section id=\"flapping\">\n<h2>Flapping alerts</h2>\n");
	if (json_array_size(fl) == 0)
		put(o, "<p class=\"muted\">None.</p>\n");
	else
		put(o, "<table>\n<thead><tr><th>Alert</th>"
		    "<th class=\"n\">Flapping episodes</th>"
		    "<th class=\"n\">Episodes</th>"
		    "<th class=\"n\">Highest flap score</th>"
		    "<th>Flapping now</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < json_array_size(fl); i++) {
		const json_t *a = json_array_get(fl, i);
		char flap[24];

		fmt_num(json_object_get(a, "flap_score"), 1, flap, sizeof(flap));
		put(o, "<tr><td><code>");
		esc(o, jname(a));
		putf(o, "</code></td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td><td class=\"n\">%s</td>"
		    "<td>%s</td></tr>\n",
		    (long long)jint(a, "flapping_episodes"),
		    (long long)jint(a, "episodes"), flap,
		    json_is_true(json_object_get(a, "flapping")) ? "yes" : "no");
	}
	if (json_array_size(fl) > 0)
		put(o, "</tbody>\n</table>\n");
	put(o, "</section>\n<section id=\"persistent\">\n"
	    "<h2>Persistent alerts</h2>\n");
	if (json_array_size(pe) == 0)
		put(o, "<p class=\"muted\">None.</p>\n");
	else
		put(o, "<table>\n<thead><tr><th>Alert</th>"
		    "<th class=\"n\">Persistent episodes</th>"
		    "<th class=\"n\">Episodes</th>"
		    "<th class=\"n\">Longest firing</th>"
		    "<th>Still firing</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < json_array_size(pe); i++) {
		const json_t *a = json_array_get(pe, i);
		char longest[48];

		fmt_dur(jnum(a, "longest_firing_seconds"), longest,
		    sizeof(longest));
		put(o, "<tr><td><code>");
		esc(o, jname(a));
		putf(o, "</code></td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td><td class=\"n\">%s</td>"
		    "<td>%s</td></tr>\n",
		    (long long)jint(a, "persistent_episodes"),
		    (long long)jint(a, "episodes"), longest,
		    json_is_true(json_object_get(a, "still_firing")) ?
		    "yes" : "no");
	}
	if (json_array_size(pe) > 0)
		put(o, "</tbody>\n</table>\n");
	put(o, "</section>\n");
}

static void
html_groups(struct out *o, const json_t *report)
{
	const json_t *gs = json_object_get(report, "dedup_groups");

	put(o, "<section id=\"groups\">\n<h2>Dedup groups</h2>\n");
	if (json_array_size(gs) == 0) {
		put(o, "<p class=\"muted\">None.</p>\n</section>\n");
		return;
	}
	put(o, "<table>\n<thead><tr><th>Kind</th><th>Members</th>"
	    "<th>Leader</th><th class=\"n\">Support</th>"
	    "<th class=\"n\">Jaccard</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < json_array_size(gs); i++) {
		const json_t *g = json_array_get(gs, i);
		char *members = members_text(g), jac[24];
		const char *leader = leader_name(g);

		if (members == NULL) {
			o->err = 1;
			break;
		}
		fmt_num(json_object_get(g, "jaccard"), 2, jac, sizeof(jac));
		put(o, "<tr><td>");
		esc(o, str_or(g, "kind", "?"));
		put(o, "</td><td><code>");
		esc(o, members);
		put(o, "</code></td><td>");
		if (leader) {
			put(o, "<code>");
			esc(o, leader);
			put(o, "</code>");
		} else {
			put(o, "-");
		}
		putf(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%s"
		    "</td></tr>\n", (long long)jint(g, "support"),
		    strcmp(str_or(g, "kind", ""), "cofiring") == 0 ? jac : "-");
		free(members);
	}
	put(o, "</tbody>\n</table>\n</section>\n");
}

static void
html_recommendations(struct out *o, const json_t *report)
{
	const json_t *recs = json_object_get(report, "recommendations");

	put(o, "<section id=\"recommendations\">\n<h2>Recommendations</h2>\n");
	if (json_array_size(recs) == 0)
		put(o, "<p class=\"muted\">None this time.</p>\n");
	for (size_t i = 0; i < json_array_size(recs); i++) {
		const json_t *r = json_array_get(recs, i);
		int code = 0;
		const char *subject = rec_subject(r, &code);
		const char *snippet = str_or(r, "snippet", NULL);
		const char *why = str_or(r, "summary", NULL);
		const char *conf = str_or(r, "confidence", NULL);
		const char *target = str_or(r, "target", NULL);
		char *ev = fields_text(json_object_get(r, "evidence"));
		char *sav = fields_text(rec_savings(r));

		putf(o, "<article>\n<h3>%zu. ", i + 1);
		esc(o, str_or(r, "kind", "recommendation"));
		if (subject) {
			put(o, code ? ": <code>" : ": ");
			esc(o, subject);
			put(o, code ? "</code>" : "");
		}
		put(o, "</h3>\n");
		if (why) {
			put(o, "<p><strong>Why:</strong> ");
			esc(o, why);
			put(o, "</p>\n");
		}
		put(o, "<p><strong>Evidence:</strong> ");
		esc(o, ev ? ev : "n/a");
		put(o, "</p>\n<p><strong>Predicted savings:</strong> ");
		esc(o, sav ? sav : "n/a");
		put(o, "</p>\n");
		if (conf || target) {
			put(o, "<p><strong>Confidence:</strong> ");
			esc(o, conf ? conf : "n/a");
			if (target) {
				put(o, "; <strong>applies to:</strong> ");
				esc(o, target);
			}
			put(o, "</p>\n");
		}
		if (rec_lost(r) > 0)
			putf(o, "<p class=\"worse\"><strong>Loses %lld "
			    "actionable episode%s</strong> in the replay: check "
			    "before applying.</p>\n", rec_lost(r),
			    rec_lost(r) == 1 ? "" : "s");
		if (snippet) {
			put(o, "<pre><code>");
			esc(o, snippet);
			put(o, "</code></pre>\n");
		}
		for (size_t k = 0; k < json_array_size(json_object_get(r,
		    "patches")); k++) {
			const json_t *pt = json_array_get(json_object_get(r,
			    "patches"), k);
			const char *diff = str_or(pt, "diff", NULL);

			put(o, "<p><strong>Patch</strong> of <code>");
			esc(o, str_or(pt, "file", ""));
			put(o, "</code>");
			if (diff == NULL) {
				put(o, ": not made, ");
				esc(o, str_or(pt, "error", "unknown error"));
				put(o, "</p>\n");
				continue;
			}
			put(o, ":</p>\n<pre><code>");
			esc(o, diff);
			put(o, "</code></pre>\n");
		}
		put(o, "</article>\n");
		free(ev);
		free(sav);
	}
	put(o, "</section>\n");
}

/* A list item titled title (a constant), with note (a constant) after it,
 * holding one item per alert of list. */
static void
html_noisy_list(struct out *o, const char *title, const char *note,
    const json_t *list)
{
	putf(o, "<li><strong>%s</strong>%s:%s", title, note,
	    json_array_size(list) ? "\n<ul>\n" : " none</li>\n");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *a = json_array_get(list, i);
		char text[160];

		fmt_noisy(a, text, sizeof(text));
		put(o, "<li><code>");
		esc(o, jname(a));
		putf(o, "</code>: %s</li>\n", text);
	}
	if (json_array_size(list))
		put(o, "</ul>\n</li>\n");
}

static void
html_changes(struct out *o, const json_t *report)
{
	const json_t *ch = json_object_get(report, "changes");
	const json_t *pc = json_object_get(ch, "pages_change");
	const json_t *ng = json_object_get(ch, "new_groups");
	static const struct kpi_def pages = { "pages", "Pages", K_COUNT, 0 };
	struct change c;
	char cur[24], prev[24], note[96];

	fmt_kpi(K_COUNT, json_object_get(pc, "current"), cur, sizeof(cur));
	fmt_kpi(K_COUNT, json_object_get(pc, "previous"), prev, sizeof(prev));
	fmt_change(&pages, json_object_get(pc, "change"), &c);
	putf(o, "<section id=\"changes\">\n<h2>What changed</h2>\n<ul>\n"
	    "<li><strong>Pages:</strong> %s, previous window %s "
	    "(<span class=\"%s\">%s%s%s</span>)</li>\n", cur, prev, c.verdict,
	    c.arrow, *c.arrow ? " " : "", c.text);
	snprintf(note, sizeof(note), " (noise ratio at least %g%% over at "
	    "least %d episodes)", REPORT_NOISY_RATIO * 100,
	    REPORT_NOISY_MIN_EPISODES);
	html_noisy_list(o, "Newly noisy", note,
	    json_object_get(ch, "newly_noisy"));
	html_noisy_list(o, "No longer noisy", "",
	    json_object_get(ch, "no_longer_noisy"));
	putf(o, "<li><strong>New dedup groups:</strong>%s",
	    json_array_size(ng) ? "\n<ul>\n" : " none</li>\n");
	for (size_t i = 0; i < json_array_size(ng); i++) {
		const json_t *g = json_array_get(ng, i);
		char *members = members_text(g);

		if (members == NULL) {
			o->err = 1;
			break;
		}
		put(o, "<li>");
		esc(o, str_or(g, "kind", "?"));
		put(o, ": <code>");
		esc(o, members);
		put(o, "</code></li>\n");
		free(members);
	}
	if (json_array_size(ng))
		put(o, "</ul>\n</li>\n");
	put(o, "</ul>\n</section>\n");
}

char *
report_html(const json_t *report)
{
	struct out o = { .err = 0 };
	char span[80], days[64];

	buf_init(&o.b, RENDER_MAX);
	fmt_span(report, span, sizeof(span));
	fmt_days(json_object_get(report, "working_days"), days, sizeof(days));
	put(&o, html_head);
	put(&o, "<title>Alert noise review: ");
	esc(&o, span);
	put(&o, "</title>\n</head>\n<body>\n<main>\n<header>\n"
	    "<p class=\"brand\">alertnoise \xc2\xb7 weekly review</p>\n"
	    "<h1>Alert noise review: ");
	esc(&o, span);
	put(&o, "</h1>\n<p class=\"muted\">Window ");
	esc(&o, str_or(report, "window", "?"));
	put(&o, " from ");
	esc(&o, str_or(report, "from", "?"));
	put(&o, " to ");
	esc(&o, str_or(report, "to", "?"));
	put(&o, ", compared with the window before it. Days and working hours "
	    "(");
	esc(&o, str_or(report, "working_hours", "?"));
	put(&o, ", ");
	esc(&o, days);
	put(&o, ") are in ");
	esc(&o, str_or(report, "timezone", "?"));
	put(&o, ". Generated ");
	esc(&o, str_or(report, "generated_at", "?"));
	put(&o, ".</p>\n</header>\n");
	html_kpis(&o, report);
	html_days(&o, report);
	html_top(&o, report);
	html_flapping_persistent(&o, report);
	html_groups(&o, report);
	html_recommendations(&o, report);
	html_changes(&o, report);
	put(&o, "</main>\n</body>\n</html>\n");
	return finish(&o);
}

/* --- pieces for other pages (report.h) ----------------------------------- */

/* The renderers write to a struct out, which holds its buf by value: the
 * caller's buffer moves in for the call and back out after it. */
static void
out_enter(struct out *o, struct buf *b)
{
	o->b = *b;
	o->err = 0;
}

static int
out_leave(struct out *o, struct buf *b)
{
	*b = o->b;
	return o->err ? -1 : 0;
}

int
report_html_escape(struct buf *b, const char *s)
{
	struct out o;

	out_enter(&o, b);
	esc(&o, s);
	return out_leave(&o, b);
}

int
report_html_escape_cut(struct buf *b, const char *s, size_t max)
{
	struct out o;

	out_enter(&o, b);
	esc_cut(&o, s, max);
	return out_leave(&o, b);
}

int
report_html_head(struct buf *b)
{
	return buf_puts(b, html_head) < 0 ? -1 : 0;
}

int
report_html_kpis(struct buf *b, const json_t *report)
{
	struct out o;

	out_enter(&o, b);
	html_kpis(&o, report);
	return out_leave(&o, b);
}

int
report_html_recommendations(struct buf *b, const json_t *recs)
{
	json_t *r = json_pack("{s:O}", "recommendations", recs ? (json_t *)recs
	    : json_null());
	struct out o;

	if (r == NULL)
		return -1;
	out_enter(&o, b);
	html_recommendations(&o, r);
	json_decref(r);
	return out_leave(&o, b);
}

int
report_svg_pages(struct buf *b, const json_t *pages_per_day)
{
	struct out o;

	out_enter(&o, b);
	svg_pages(&o, pages_per_day);
	return out_leave(&o, b);
}

int
report_svg_ratio(struct buf *b, const json_t *noise_ratio_per_day)
{
	struct out o;

	out_enter(&o, b);
	svg_ratio(&o, noise_ratio_per_day);
	return out_leave(&o, b);
}

int
report_svg_top(struct buf *b, const json_t *top_noisy)
{
	struct out o;

	out_enter(&o, b);
	svg_top(&o, top_noisy);
	return out_leave(&o, b);
}

int
report_svg_open(struct buf *b, const char *id, int height, const char *title)
{
	struct out o;

	out_enter(&o, b);
	svg_open(&o, id, height, title);
	return out_leave(&o, b);
}

int
report_svg_legend(struct buf *b, double x, const char *color,
    const char *text)
{
	struct out o;

	out_enter(&o, b);
	svg_legend(&o, x, color, text);
	return out_leave(&o, b);
}

void
report_fmt_duration(double seconds, char *out, size_t outlen)
{
	fmt_dur(seconds, out, outlen);
}

void
report_fmt_ratio(const json_t *v, char *out, size_t outlen)
{
	fmt_ratio(v, out, outlen);
}

void
report_fmt_number(const json_t *v, int dec, char *out, size_t outlen)
{
	fmt_num(v, dec, out, outlen);
}

char *
report_fields_text(const json_t *v)
{
	return fields_text(v);
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

/* test_report.c -- lib/render/report_*.c (report.h): the renderers on a
 * hand-written report (tests/data/report/report.json, read here into a
 * struct report; the Markdown byte for byte against
 * tests/data/report/golden.md, and report_json gives the document back),
 * local time and working hours in Europe/Berlin in winter and summer, and
 * the report of hand-built analyses, every number derived in the
 * comments.
 *
 * Run from the repository root. AN_UPDATE_GOLDEN=1 rewrites golden.md from
 * the renderer (then read it before committing it). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "buf.h"
#include "config.h"
#include "fingerprint.h"
#include "ingest.h"
#include "report.h"
#include "selector.h"
#include "store.h"
#include "t.h"
#include "timefmt.h"
#include "tzone.h"
#include "webhook.h"

#define DATA	"tests/data/report/"
#define MIN	60000LL
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define JAN1	1767225600000LL		/* 2026-01-01T00:00:00Z, a Thursday */

static json_t *
load_doc(void)
{
	json_error_t je;
	json_t *r = json_load_file(DATA "report.json", 0, &je);

	if (r == NULL)
		T_FAIL("%s:%d: %s", DATA "report.json", je.line, je.text);
	return r;
}

/* --- a saved report's JSON as a struct report ----------------------------
 * Test code only: the library never reads a report's JSON back. Missing
 * numbers are 0, missing figures and ratios NAN. */

static long
jlong(const json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static double
jnum_or_nan(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static char *
jname(const json_t *o)
{
	const char *s = json_string_value(json_object_get(o, "alertname"));

	return strdup(s ? s : "");
}

static int64_t
jtime_ms(const json_t *o, const char *key)
{
	int64_t ms = 0;
	const char *s = json_string_value(json_object_get(o, key));

	if (s != NULL && ts_parse_rfc3339(s, &ms) < 0)
		T_FAIL("%s: not a time: %s", key, s);
	return ms;
}

static void *
array_of(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static void
load_alert(struct report_alert *a, const json_t *o)
{
	const json_t *classes = json_object_get(o, "classes");

	a->alertname = jname(o);
	a->episodes = jlong(o, "episodes");
	a->noise_episodes = jlong(o, "noiseEpisodes");
	for (int c = 0; c < CLS_COUNT; c++)
		a->classes[c] = jlong(classes, an_class_name((enum an_class)c));
	if (json_object_get(o, "flappingEpisodes") != NULL)
		a->classes[CLS_FLAPPING] = jlong(o, "flappingEpisodes");
	a->pages = jlong(o, "pages");
	a->flap_score = json_number_value(json_object_get(o, "flapScore"));
	a->flapping = json_is_true(json_object_get(o, "flapping"));
	a->time_to_resolve = jnum_or_nan(o, "timeToResolveSeconds");
	a->verdicts = jlong(o, "verdicts");
	a->team = strdup(json_string_value(json_object_get(o, "team")) ?
	    json_string_value(json_object_get(o, "team")) : "");
}

static void
load_noisy(const json_t *list, struct report_noisy **out, size_t *n)
{
	*n = json_array_size(list);
	*out = array_of(*n, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		const json_t *o = json_array_get(list, i);
		struct report_noisy *x = &(*out)[i];

		x->alertname = jname(o);
		x->episodes = jlong(o, "episodes");
		x->noise_episodes = jlong(o, "noiseEpisodes");
		x->noise_ratio = jnum_or_nan(o, "noiseRatio");
		x->previous_episodes = jlong(o, "previousEpisodes");
		x->previous_noise_ratio = jnum_or_nan(o,
		    "previousNoiseRatio");
	}
}

static void
load_names(const json_t *list, char ***out, size_t *n)
{
	*n = json_array_size(list);
	*out = array_of(*n, sizeof(**out));
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = strdup(json_string_value(json_array_get(list, i)));
}

static struct report *
report_load(const json_t *doc)
{
	struct report *r = calloc(1, sizeof(*r));
	const json_t *kpis = json_object_get(doc, "kpis");
	const json_t *nn = json_object_get(doc, "notNotified");
	const json_t *days = json_object_get(doc, "pagesPerDay");
	const json_t *ratio = json_object_get(doc, "noiseRatioPerDay");
	const json_t *list, *ch = json_object_get(doc, "changes");
	const json_t *new_groups = json_object_get(ch, "newGroups");
	const char *s;
	int h1 = 0, m1 = 0, h2 = 0, m2 = 0;

	if ((s = json_string_value(json_object_get(doc, "window"))) != NULL)
		cfg_parse_window(s, &r->window_ms);
	{
		const json_t *m = json_object_get(doc, "match");
		const char *v[16];
		size_t n = 0;

		for (; n < json_array_size(m) && n < 16; n++)
			v[n] = json_string_value(json_array_get(m, n));
		report_set_scope(r, json_string_value(json_object_get(doc,
		    "week")), v, n);
	}
	r->from = jtime_ms(doc, "from");
	r->to = jtime_ms(doc, "to");
	r->generated_at = jtime_ms(doc, "generatedAt");
	r->prev_from = jtime_ms(json_object_get(doc, "previous"), "from");
	r->prev_to = jtime_ms(json_object_get(doc, "previous"), "to");
	s = json_string_value(json_object_get(doc, "timezone"));
	r->timezone = strdup(s ? s : "UTC");
	s = json_string_value(json_object_get(doc, "workingHours"));
	if (s != NULL)
		sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2);
	r->work_start = h1 * 60 + m1;
	r->work_end = h2 * 60 + m2;
	list = json_object_get(doc, "workingDays");
	for (size_t i = 0; i < json_array_size(list); i++) {
		static const char *const names[7] = { "mon", "tue", "wed",
		    "thu", "fri", "sat", "sun" };

		const char *name = json_string_value(json_array_get(list, i));

		for (unsigned d = 0; name != NULL && d < 7; d++)
			if (strcmp(name, names[d]) == 0)
				r->work_days |= 1u << d;
	}
	for (int k = 0; k < REPORT_NKPIS; k++) {
		static const char *const keys[REPORT_NKPIS] = {
			"noiseRatio", "pageNoiseRatio", "pages",
			"outOfHoursPages", "mttrSeconds",
			"feedbackCoverage",
		};
		const json_t *f = json_object_get(kpis, keys[k]);

		r->kpis[k].cur = jnum_or_nan(f, "current");
		r->kpis[k].prev = jnum_or_nan(f, "previous");
	}
	r->routed = json_is_object(nn);
	for (int k = NN_NONE + 1; k < NN_COUNT; k++)
		r->not_notified[k] = jlong(nn, an_nn_key(k));
	r->ndays = json_array_size(days);
	r->days = array_of(r->ndays, sizeof(*r->days));
	for (size_t i = 0; i < r->ndays; i++) {
		const json_t *d = json_array_get(days, i);
		const json_t *q = json_array_get(ratio, i);

		s = json_string_value(json_object_get(d, "day"));
		snprintf(r->days[i].day, sizeof(r->days[i].day), "%s",
		    s ? s : "");
		r->days[i].pages = jlong(d, "pages");
		r->days[i].noise_pages = jlong(d, "noisePages");
		r->days[i].episodes = jlong(q, "episodes");
		r->days[i].noise_episodes = jlong(q, "noiseEpisodes");
	}
	list = json_object_get(doc, "topNoisy");
	r->ntop = json_array_size(list);
	r->top = array_of(r->ntop, sizeof(*r->top));
	for (size_t i = 0; i < r->ntop; i++)
		load_alert(&r->top[i], json_array_get(list, i));
	list = json_object_get(doc, "flapping");
	r->nflapping = json_array_size(list);
	r->flapping = array_of(r->nflapping, sizeof(*r->flapping));
	for (size_t i = 0; i < r->nflapping; i++)
		load_alert(&r->flapping[i], json_array_get(list, i));
	list = json_object_get(doc, "persistent");
	r->npersistent = json_array_size(list);
	r->persistent = array_of(r->npersistent, sizeof(*r->persistent));
	for (size_t i = 0; i < r->npersistent; i++) {
		const json_t *o = json_array_get(list, i);
		struct report_persistent *p = &r->persistent[i];

		p->alertname = jname(o);
		p->persistent_episodes = jlong(o, "persistentEpisodes");
		p->episodes = jlong(o, "episodes");
		p->longest_firing_seconds = json_number_value(
		    json_object_get(o, "longestFiringSeconds"));
		p->still_firing = json_is_true(json_object_get(o,
		    "stillFiring"));
	}
	r->groups_json = json_incref(json_object_get(doc, "dedupGroups"));
	r->ngroups = json_array_size(r->groups_json);
	r->groups = array_of(r->ngroups, sizeof(*r->groups));
	for (size_t i = 0; i < r->ngroups; i++) {
		const json_t *g = json_array_get(r->groups_json, i);
		const json_t *members = json_object_get(g, "members");
		const json_t *leader = json_object_get(g, "leader");
		struct report_group *x = &r->groups[i];

		x->nmembers = json_array_size(members);
		x->members = array_of(x->nmembers, sizeof(*x->members));
		for (size_t j = 0; j < x->nmembers; j++) {
			x->members[j] = strdup(json_string_value(
			    json_object_get(json_array_get(members, j),
			    "alertname")));
			if (json_equal(leader, json_array_get(members, j)))
				x->leader = x->members[j];
		}
		x->kind = json_string_value(json_object_get(g, "kind"));
		x->support = jlong(g, "support");
		x->jaccard = jnum_or_nan(g, "jaccard");
		for (size_t j = 0; j < json_array_size(new_groups); j++)
			if (json_equal(g, json_array_get(new_groups, j)))
				x->is_new = 1;
	}
	r->recommendations = json_incref(json_object_get(doc,
	    "recommendations"));
	load_noisy(json_object_get(ch, "newlyNoisy"), &r->newly_noisy,
	    &r->nnewly_noisy);
	load_noisy(json_object_get(ch, "noLongerNoisy"),
	    &r->no_longer_noisy, &r->nno_longer_noisy);
	load_names(json_object_get(ch, "newAlerts"), &r->new_alerts,
	    &r->nnew_alerts);
	load_names(json_object_get(ch, "goneAlerts"), &r->gone_alerts,
	    &r->ngone_alerts);
	return r;
}

static struct report *
load_report(void)
{
	json_t *doc = load_doc();
	struct report *r = doc ? report_load(doc) : NULL;

	json_decref(doc);
	return r;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

TEST(markdown_matches_golden)
{
	struct report *r = load_report();
	char *md, *want;
	const char *update = getenv("AN_UPDATE_GOLDEN");

	if (r == NULL)
		return;
	md = report_markdown(r);
	CHECK(md != NULL);
	if (md != NULL && update != NULL && *update != '\0') {
		FILE *fp = fopen(DATA "golden.md", "wb");

		CHECK(fp != NULL && fputs(md, fp) >= 0 && fclose(fp) == 0);
	}
	want = t_read_file(DATA "golden.md", NULL);
	CHECK(want != NULL);
	if (md != NULL && want != NULL && strcmp(md, want) != 0) {
		size_t i = 0;

		while (md[i] && md[i] == want[i])
			i++;
		T_FAIL("markdown differs from golden.md at byte %zu: "
		    "\"%.60s\" vs \"%.60s\"", i, md + i, want + i);
	}
	free(md);
	free(want);
	report_free(r);
}

TEST(markdown_escapes_and_fences)
{
	struct report *r = load_report();
	char *md;

	if (r == NULL)
		return;
	md = report_markdown(r);
	if (md == NULL) {
		T_FAIL("report_markdown failed");
		report_free(r);
		return;
	}
	/* an alertname is a code span; its pipe cannot split the table */
	CHECK_CONTAINS(md, "| 2 | `Disk\\|Full <script>alert(1)</script>` |");
	/* the KPI arrows and signs, and which way is better */
	CHECK_CONTAINS(md, "| Noise ratio | 62.5% | 50% | \xe2\x96\xb2 "
	    "+12.5 pp (worse) |");
	CHECK_CONTAINS(md, "| Out-of-hours pages | 3 | 5 | \xe2\x96\xbc -2 "
	    "(better) |");
	CHECK_CONTAINS(md, "| MTTR (median) | 4m 10s | 4m 40s | "
	    "\xe2\x96\xbc -30s (better) |");
	CHECK_CONTAINS(md, "| Feedback coverage | 25% | n/a | n/a |");
	/* each snippet in a yaml fence, ending in a newline */
	CHECK_INT(count(md, "```yaml\n"), 2);
	CHECK_CONTAINS(md, "    equal: [cluster]\n```\n");
	/* lib/tuning/recommend.c's predicted numbers in words; what is 0 or
	 * null left out */
	CHECK_CONTAINS(md, "- **Predicted savings:** pages 9 \xe2\x86\x92 2 "
	    "(\xe2\x88\x92" "7); notifications 18 \xe2\x86\x92 4; 7 noise episodes "
	    "would not fire; the replay is within 5% of what was recorded\n");
	CHECK_CONTAINS(md, "- **Evidence:** current\\_for\\_seconds: 0, "
	    "for\\_seconds: 300, receivers: \\[pager, team-x\\]\n");
	CHECK_CONTAINS(md, "- **Why:** Raise \\`for\\` of Flap to 5m: 7 of");
	CHECK_CONTAINS(md, "- **Confidence:** high; **applies to:** "
	    "prometheus\\_rule\n");
	CHECK_CONTAINS(md, "`Storm \xc3\x97" "3`");
	free(md);
	report_free(r);
}

TEST(html_is_one_safe_page)
{
	struct report *r = load_report();
	char *html, *again;

	if (r == NULL)
		return;
	html = report_html(r);
	again = report_html(r);
	if (html == NULL || again == NULL) {
		T_FAIL("report_html failed");
		goto out;
	}
	CHECK_STR(html, again);		/* deterministic */
	CHECK(strncmp(html, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n", 60) == 0);
	CHECK(strlen(html) > 7 &&
	    strcmp(html + strlen(html) - 8, "</html>\n") == 0);
	/* self-contained: no script, no URL, nothing loaded */
	CHECK(strcasestr(html, "<script") == NULL);
	CHECK(strcasestr(html, "http") == NULL);
	CHECK(strcasestr(html, "url(") == NULL);
	CHECK(strcasestr(html, "src=") == NULL);
	CHECK(strcasestr(html, "<link") == NULL);
	CHECK(strcasestr(html, "@import") == NULL);
	CHECK_CONTAINS(html, "@media print");
	/* the label is text, escaped */
	CHECK_CONTAINS(html, "Disk|Full &lt;script&gt;alert(1)&lt;/script&gt;");
	/* three charts drawn by the C code */
	CHECK_INT(count(html, "<svg "), 3);
	CHECK_INT(count(html, "</svg>"), 3);
	CHECK_CONTAINS(html, "aria-labelledby=\"chart-pages\"");
	CHECK_CONTAINS(html, "aria-labelledby=\"chart-ratio\"");
	CHECK_CONTAINS(html, "aria-labelledby=\"chart-top\"");
	/* 2026-01-12: 3 noise pages (red) under 2 others (blue); the axis
	 * tops out at 5 */
	CHECK_CONTAINS(html, "<title>2026-01-12: 5 pages, 3 noise</title>");
	CHECK_CONTAINS(html, "<polyline ");
	/* days 10 and 11 have no ratio: two runs, 09 and 12-15 */
	CHECK_INT(count(html, "<polyline "), 2);
	CHECK_INT(count(html, "<circle "), 5);
	CHECK_CONTAINS(html, "<pre><code>inhibit_rules:\n  - source_matchers: "
	    "[alertname=&quot;CoA&quot;]");
	/* balanced */
	CHECK_INT(count(html, "<section"), count(html, "</section>"));
	CHECK_INT(count(html, "<table>"), count(html, "</table>"));
	CHECK_INT(count(html, "<tr>"), count(html, "</tr>"));
	CHECK_INT(count(html, "<g>"), count(html, "</g>"));
	CHECK_INT(count(html, "<article>"), count(html, "</article>"));
	CHECK_INT(count(html, "<ul>"), count(html, "</ul>"));
	CHECK_INT(count(html, "<li>"), count(html, "</li>"));
out:
	free(html);
	free(again);
	report_free(r);
}

/* A report with no day, no row and no figure. */
TEST(renderers_take_an_empty_report)
{
	struct report r;
	char *md, *html;

	memset(&r, 0, sizeof(r));
	for (int k = 0; k < REPORT_NKPIS; k++)
		r.kpis[k].cur = r.kpis[k].prev = NAN;
	md = report_markdown(&r);
	html = report_html(&r);
	CHECK(md != NULL && html != NULL);
	CHECK_CONTAINS(md, "## Key figures\n");
	CHECK_CONTAINS(md, "| Pages | n/a | n/a | n/a |");
	CHECK_CONTAINS(md, "## Noisiest alerts\n\n_No noise in this window._");
	CHECK_CONTAINS(md, "## What changed\n");
	CHECK_CONTAINS(md, "- **New dedup groups:** none\n");
	CHECK_CONTAINS(html, "</html>\n");
	free(md);
	free(html);
}

/* report_json writes the struct back as the document it was read from:
 * every key, in order, integers as integers, undefined as null. */
TEST(json_of_the_struct_is_the_document)
{
	json_t *doc = load_doc(), *back;
	struct report *r;
	char *a, *b;

	if (doc == NULL)
		return;
	r = report_load(doc);
	back = report_json(r);
	CHECK(back != NULL);
	/* report.json predates not_notified: null, no routing tree */
	CHECK(json_is_null(json_object_get(back, "notNotified")));
	json_object_del(back, "notNotified");
	a = json_dumps(doc, JSON_COMPACT);
	b = json_dumps(back, JSON_COMPACT);
	CHECK(a != NULL && b != NULL);
	if (a != NULL && b != NULL)
		CHECK_STR(b, a);
	free(a);
	free(b);
	json_decref(back);
	report_free(r);
	json_decref(doc);
}

static struct tz *berlin_tz, *tokyo_tz;

static struct report_opts
berlin(void)
{
	struct report_opts ro;

	report_opts_default(&ro);
	ro.tz = berlin_tz;
	return ro;
}

static const char *
day_in(const struct tz *tz, int64_t ms)
{
	static char s[16];

	report_local_day(tz, ms, s, sizeof(s));
	return s;
}

static const char *
day(int64_t ms)
{
	return day_in(berlin_tz, ms);
}

TEST(out_of_hours_in_berlin_winter_and_summer)
{
	struct report_opts ro = berlin();
	/* 2026-01-15 is a Thursday, CET = UTC+1 */
	int64_t thu = JAN1 + 14 * DAY;
	/* 2026-07-16 is a Thursday too (day 197: 196 = 28 weeks later),
	 * CEST = UTC+2 */
	int64_t jul = JAN1 + 196 * DAY;

	CHECK(report_out_of_hours(&ro, thu + 7 * HOUR + 59 * MIN));	/* 08:59 */
	CHECK(!report_out_of_hours(&ro, thu + 8 * HOUR));	/* 09:00 */
	CHECK(!report_out_of_hours(&ro, thu + 16 * HOUR + 59 * MIN));	/* 17:59 */
	CHECK(report_out_of_hours(&ro, thu + 17 * HOUR));	/* 18:00 */
	/* the same UTC times half a year later are an hour later locally */
	CHECK(report_out_of_hours(&ro, jul + 6 * HOUR + 59 * MIN)); /* 08:59 */
	CHECK(!report_out_of_hours(&ro, jul + 7 * HOUR));	/* 09:00 */
	CHECK(!report_out_of_hours(&ro, jul + 7 * HOUR + 30 * MIN));
	CHECK(report_out_of_hours(&ro, jul + 16 * HOUR));	/* 18:00 */
	/* 07:30 UTC: 08:30 in winter, 09:30 in summer */
	CHECK(report_out_of_hours(&ro, thu + 7 * HOUR + 30 * MIN));
	/* the weekend: Saturday 2026-01-17 at noon */
	CHECK(report_out_of_hours(&ro, JAN1 + 16 * DAY + 12 * HOUR));
	/* Friday 2026-01-16 00:30 local is Thursday 23:30 UTC */
	CHECK_STR(day(thu + 23 * HOUR + 30 * MIN), "2026-01-16");
	/* DST starts 2026-03-29 01:00 UTC: Monday 03-30 07:30 UTC is 09:30 */
	CHECK(!report_out_of_hours(&ro, JAN1 + 88 * DAY + 7 * HOUR +
	    30 * MIN));
	CHECK_STR(day(JAN1 + 88 * DAY), "2026-03-30");
	/* other hours and days: Saturday and Sunday, 22:00-24:00 */
	ro.work_days = REPORT_SAT | REPORT_SUN;
	ro.work_start = 22 * 60;
	ro.work_end = 24 * 60;
	CHECK(!report_out_of_hours(&ro, JAN1 + 16 * DAY + 22 * HOUR));
	/* Sat 23:00 UTC is Sun 00:00 local: outside 22-24 */
	CHECK(report_out_of_hours(&ro, JAN1 + 16 * DAY + 23 * HOUR));
	CHECK(report_out_of_hours(&ro, thu + 21 * HOUR + 30 * MIN));

	/* UTC: the default, no zone */
	{
		struct report_opts u;

		report_opts_default(&u);
		CHECK(u.tz == NULL);
		CHECK(!report_out_of_hours(&u, thu + 9 * HOUR));
		CHECK(report_out_of_hours(&u, thu + 8 * HOUR + 59 * MIN));
		CHECK_STR(day_in(NULL, thu + 23 * HOUR + 30 * MIN),
		    "2026-01-15");
	}
}

/* --- the report of two hand-built analyses ------------------------------ */

struct ep { size_t ident; int64_t at, len; enum an_class cls; };

static struct analysis *
build(int64_t from, int64_t to, const char *const *names, size_t nids,
    const struct ep *e, size_t neps, const int64_t *pages,
    const int *noise, size_t npages)
{
	static struct an_opts o;	/* the documented thresholds */
	struct analysis *a = calloc(1, sizeof(*a));

	an_opts_default(&o);
	a->from = from;
	a->to = a->now = to;
	a->ids = calloc(nids, sizeof(*a->ids));
	a->nids = nids;
	for (size_t i = 0; i < nids; i++) {
		a->ids[i].fp = i + 1;
		a->ids[i].alertname = strdup(names[i]);
		a->ids[i].labels = json_pack("{s:s}", "alertname", names[i]);
		a->ids[i].team = "";
		a->ids[i].copies = 1;
		a->ids[i].t = &o.t;
	}
	a->eps = calloc(neps ? neps : 1, sizeof(*a->eps));
	a->neps = neps;
	for (size_t i = 0; i < neps; i++) {
		struct an_episode *x = &a->eps[i];

		x->id = (int64_t)i + 1;
		x->ident = e[i].ident;
		x->firing_at = e[i].at;
		x->resolved_at = e[i].len < 0 ? 0 : e[i].at + e[i].len;
		x->cls = e[i].cls;
		x->group = -1;
		if (e[i].cls == CLS_TRANSIENT)
			x->reasons = R_TRANSIENT;
		if (e[i].cls == CLS_PERSISTENT)
			x->reasons = R_PERSISTENT;
	}
	a->pages = calloc(npages ? npages : 1, sizeof(*a->pages));
	a->npages = npages;
	for (size_t i = 0; i < npages; i++) {
		a->pages[i].receiver = strdup("pager");
		a->pages[i].at = pages[i];
		a->pages[i].team_ident = SIZE_MAX;
		a->pages[i].noise = noise[i];
	}
	return a;
}

static void
add_group(struct analysis *a, enum an_group_kind kind, const char *m1,
    const char *m2)
{
	struct an_group *g;

	a->groups = realloc(a->groups, (a->ngroups + 1) * sizeof(*g));
	g = &a->groups[a->ngroups++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->members = calloc(2, sizeof(*g->members));
	g->nmembers = 2;
	g->members[0].alertname = m1;
	g->members[0].labels = json_pack("{s:s}", "alertname", m1);
	g->members[1].alertname = m2;
	g->members[1].labels = json_pack("{s:s}", "alertname", m2);
	g->leader = -1;
	g->support = 3;
}

static const json_t *
at(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = isdigit((unsigned char)key[0]) ?
		    json_array_get(o, (size_t)atoi(key)) :
		    json_object_get(o, key);
		path = dot + 1;
	}
	if (o == NULL)
		return NULL;
	return isdigit((unsigned char)path[0]) ?
	    json_array_get(o, (size_t)atoi(path)) : json_object_get(o, path);
}

#define CHECK_PATH_INT(r, p, v) do {					\
	const json_t *t_v = at((r), (p));				\
	if (!json_is_integer(t_v) || json_integer_value(t_v) != (v))	\
		T_FAIL("%s is not %lld", (p), (long long)(v));		\
} while (0)
#define CHECK_PATH_REAL(r, p, v) do {					\
	const json_t *t_v = at((r), (p));				\
	if (!json_is_number(t_v) || json_number_value(t_v) != (v))	\
		T_FAIL("%s is %g, not %g", (p), json_number_value(t_v),	\
		    (double)(v));					\
} while (0)
#define CHECK_PATH_STR(r, p, v) CHECK_STR(json_string_value(at((r), (p))), (v))

TEST(report_of_two_windows)
{
	struct report_opts ro = berlin();
	/* the window: 2026-01-09 00:00 to 2026-01-16 00:00 Berlin time */
	int64_t from = JAN1 + 7 * DAY + 23 * HOUR, to = from + 7 * DAY;
	static const char *const names[] = { "Noisy", "Fine", "Stuck" };
	const struct ep cur_eps[] = {
		/* Stuck: since Sat 01-10 02:00 local, still firing */
		{ 2, JAN1 + 9 * DAY + 1 * HOUR, -1, CLS_PERSISTENT },
		/* Mon 01-12, 08:30 and 09:30 local */
		{ 0, JAN1 + 11 * DAY + 7 * HOUR + 30 * MIN, 1 * MIN,
		    CLS_TRANSIENT },
		{ 1, JAN1 + 11 * DAY + 8 * HOUR + 30 * MIN, 30 * MIN,
		    CLS_ACTIONABLE },
		/* Tue 01-13 11:00 local */
		{ 0, JAN1 + 12 * DAY + 10 * HOUR, 2 * MIN, CLS_TRANSIENT },
	};
	/* the previous window: Fine was noisy then, Noisy was not there */
	const struct ep prev_eps[] = {
		{ 1, JAN1 + 3 * DAY, 1 * MIN, CLS_TRANSIENT },
		{ 1, JAN1 + 4 * DAY, 3 * MIN, CLS_TRANSIENT },
	};
	const int64_t cur_pages[] = {
		JAN1 + 9 * DAY + 12 * HOUR,		/* Sat: out */
		JAN1 + 11 * DAY + 7 * HOUR + 30 * MIN,	/* Mon 08:30: out */
		JAN1 + 11 * DAY + 8 * HOUR + 30 * MIN,	/* Mon 09:30: in */
		JAN1 + 14 * DAY + 22 * HOUR + 30 * MIN,	/* Thu 23:30: out */
	};
	const int cur_noise[] = { 1, 1, 0, 0 };
	const int64_t prev_pages[] = {
		JAN1 + 5 * DAY + 10 * HOUR,		/* Tue 11:00: in */
		JAN1 + 3 * DAY + 10 * HOUR,		/* Sun: out */
	};
	const int prev_noise[] = { 1, 1 };
	struct analysis *cur = build(from, to, names, 3, cur_eps, 4, cur_pages,
	    cur_noise, 4);
	struct analysis *prev = build(from - 7 * DAY, from, names, 3, prev_eps,
	    2, prev_pages, prev_noise, 2);
	json_t *recs = json_array(), *r = NULL;
	struct report *rep;

	cur->now = prev->now = to;
	/* the same cofiring group both times (members in another order),
	 * and a storm that is new */
	add_group(cur, GROUP_COFIRING, "Fine", "Noisy");
	add_group(cur, GROUP_STORM, "Stuck", "Stuck");
	add_group(prev, GROUP_COFIRING, "Noisy", "Fine");
	rep = report_from_analyses(cur, prev, &ro, 7 * DAY, to, recs);
	if (rep == NULL || (r = report_json(rep)) == NULL) {
		T_FAIL("report_from_analyses failed");
		goto out;
	}
	/* the struct the renderers read, and its JSON below: one report */
	CHECK_STR(rep->timezone, "Europe/Berlin");
	CHECK_INT(rep->ndays, 7);
	CHECK_INT(rep->ntop, 2);
	CHECK_STR(rep->top[0].alertname, "Noisy");
	CHECK_INT(rep->top[0].classes[CLS_TRANSIENT], 2);
	CHECK(rep->kpis[REPORT_KPI_PAGES].cur == 4);
	CHECK(rep->kpis[REPORT_KPI_MTTR].prev == 60);
	CHECK(isnan(rep->newly_noisy[0].previous_noise_ratio));
	CHECK_INT(rep->ngroups, 2);
	CHECK(!rep->groups[0].is_new && rep->groups[1].is_new);
	CHECK_STR(rep->groups[1].kind, "storm");
	CHECK_PATH_STR(r, "window", "1w");
	CHECK_PATH_STR(r, "from", "2026-01-08T23:00:00.000Z");
	CHECK_PATH_STR(r, "to", "2026-01-15T23:00:00.000Z");
	CHECK_PATH_STR(r, "generatedAt", "2026-01-15T23:00:00.000Z");
	CHECK_PATH_STR(r, "timezone", "Europe/Berlin");
	CHECK_PATH_STR(r, "workingHours", "09:00-18:00");
	CHECK_PATH_STR(r, "workingDays.4", "fri");
	CHECK(at(r, "workingDays.5") == NULL);
	CHECK_PATH_STR(r, "previous.from", "2026-01-01T23:00:00.000Z");
	/* 3 of 4 episodes noise (Stuck, Noisy twice), before 2 of 2 */
	CHECK_PATH_REAL(r, "kpis.noiseRatio.current", 0.75);
	CHECK_PATH_REAL(r, "kpis.noiseRatio.previous", 1.0);
	CHECK_PATH_REAL(r, "kpis.noiseRatio.change", -0.25);
	CHECK_PATH_REAL(r, "kpis.pageNoiseRatio.current", 0.5);
	CHECK_PATH_INT(r, "kpis.pages.current", 4);
	CHECK_PATH_INT(r, "kpis.pages.previous", 2);
	CHECK_PATH_INT(r, "kpis.pages.change", 2);
	CHECK_PATH_INT(r, "kpis.outOfHoursPages.current", 3);
	CHECK_PATH_INT(r, "kpis.outOfHoursPages.previous", 1);
	CHECK_PATH_INT(r, "kpis.outOfHoursPages.change", 2);
	/* resolved 60, 120, 1800 s: median 120; before 60, 180: 60 */
	CHECK_PATH_REAL(r, "kpis.mttrSeconds.current", 120);
	CHECK_PATH_REAL(r, "kpis.mttrSeconds.previous", 60);
	CHECK_PATH_REAL(r, "kpis.mttrSeconds.change", 60);
	CHECK_PATH_REAL(r, "kpis.feedbackCoverage.current", 0);
	/* seven local days, zeros included */
	CHECK_INT(json_array_size(at(r, "pagesPerDay")), 7);
	CHECK_PATH_STR(r, "pagesPerDay.0.day", "2026-01-09");
	CHECK_PATH_STR(r, "pagesPerDay.6.day", "2026-01-15");
	CHECK_PATH_INT(r, "pagesPerDay.0.pages", 0);
	CHECK_PATH_INT(r, "pagesPerDay.1.pages", 1);
	CHECK_PATH_INT(r, "pagesPerDay.1.noisePages", 1);
	CHECK_PATH_INT(r, "pagesPerDay.3.pages", 2);
	CHECK_PATH_INT(r, "pagesPerDay.3.noisePages", 1);
	CHECK_PATH_INT(r, "pagesPerDay.6.pages", 1);	/* 23:30 local */
	CHECK_INT(json_array_size(at(r, "noiseRatioPerDay")), 7);
	CHECK(json_is_null(at(r, "noiseRatioPerDay.0.noiseRatio")));
	CHECK_PATH_INT(r, "noiseRatioPerDay.1.episodes", 1);	/* Stuck */
	CHECK_PATH_INT(r, "noiseRatioPerDay.3.episodes", 2);
	CHECK_PATH_REAL(r, "noiseRatioPerDay.3.noiseRatio", 0.5);
	CHECK_PATH_REAL(r, "noiseRatioPerDay.4.noiseRatio", 1.0);
	/* Noisy (2 noise) before Stuck (1); Fine has none */
	CHECK_INT(json_array_size(at(r, "topNoisy")), 2);
	CHECK_PATH_STR(r, "topNoisy.0.alertname", "Noisy");
	CHECK_PATH_INT(r, "topNoisy.0.noiseEpisodes", 2);
	CHECK_PATH_INT(r, "topNoisy.0.classes.transient", 2);
	CHECK_PATH_STR(r, "topNoisy.1.alertname", "Stuck");
	CHECK_INT(json_array_size(at(r, "flapping")), 0);
	/* Stuck: from 01-10 01:00 UTC to now, 01-15 23:00: 5d 22h */
	CHECK_PATH_STR(r, "persistent.0.alertname", "Stuck");
	CHECK_PATH_REAL(r, "persistent.0.longestFiringSeconds",
	    5 * 86400 + 22 * 3600);
	CHECK(json_is_true(at(r, "persistent.0.stillFiring")));
	CHECK_INT(json_array_size(at(r, "dedupGroups")), 2);
	CHECK(at(r, "recommendations") == recs);
	/* Noisy is newly noisy; Fine is not any more; Stuck has 1 episode,
	 * too few to count */
	CHECK_INT(json_array_size(at(r, "changes.newlyNoisy")), 1);
	CHECK_PATH_STR(r, "changes.newlyNoisy.0.alertname", "Noisy");
	CHECK_PATH_INT(r, "changes.newlyNoisy.0.previousEpisodes", 0);
	CHECK(json_is_null(at(r, "changes.newlyNoisy.0.previousNoiseRatio")));
	CHECK_INT(json_array_size(at(r, "changes.noLongerNoisy")), 1);
	CHECK_PATH_STR(r, "changes.noLongerNoisy.0.alertname", "Fine");
	CHECK_PATH_REAL(r, "changes.noLongerNoisy.0.noiseRatio", 0);
	CHECK_PATH_REAL(r, "changes.noLongerNoisy.0.previousNoiseRatio", 1);
	CHECK_INT(json_array_size(at(r, "changes.newGroups")), 1);
	CHECK_PATH_STR(r, "changes.newGroups.0.kind", "storm");
	CHECK_PATH_INT(r, "changes.pagesChange.change", 2);
out:
	json_decref(r);
	report_free(rep);
	json_decref(recs);
	an_free(cur);
	an_free(prev);
}

/* The zone is the report's, not the process's: two reports in two zones
 * answer each in its own, whatever TZ says. */
TEST(zones_are_per_report_not_per_process)
{
	struct report_opts b = berlin(), t;
	/* Thursday 2026-01-15 08:30 UTC: 09:30 in Berlin, 17:30 in Tokyo */
	int64_t at = JAN1 + 14 * DAY + 8 * HOUR + 30 * MIN;

	report_opts_default(&t);
	t.tz = tokyo_tz;
	t.work_start = 9 * 60;
	t.work_end = 17 * 60;
	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK(!report_out_of_hours(&b, at));
	CHECK(report_out_of_hours(&t, at));
	CHECK(!report_out_of_hours(&t, at - HOUR));
	/* 20:00 UTC: still the 15th in Berlin, the 16th in Tokyo */
	CHECK_STR(day_in(berlin_tz, at + 11 * HOUR + 30 * MIN), "2026-01-15");
	CHECK_STR(day_in(tokyo_tz, at + 11 * HOUR + 30 * MIN), "2026-01-16");
	unsetenv("TZ");
}

/* What a change costs, in words: actionable episodes delayed (by how
 * long) and lost. */
TEST(savings_say_what_a_change_costs)
{
	struct report *r = load_report();
	json_t *recs = json_loads("[{\"kind\":\"raise_for\","
	    "\"alertname\":\"Disk\",\"summary\":\"Raise it.\","
	    "\"predicted\":{\"pagesBefore\":38,\"pagesAfter\":4,"
	    "\"notificationsBefore\":null,\"notificationsAfter\":null,"
	    "\"noiseRemoved\":1,\"actionableDelayed\":2,"
	    "\"actionableLost\":1,\"addedDelaySeconds\":{\"p50\":240,"
	    "\"max\":300},\"replayError\":0.234}}]", 0, NULL);
	char *md;

	if (r == NULL || recs == NULL)
		return;
	json_decref(r->recommendations);
	r->recommendations = recs;
	md = report_markdown(r);
	CHECK_CONTAINS(md, "- **Predicted savings:** pages 38 \xe2\x86\x92 4 "
	    "(\xe2\x88\x92" "34); 1 noise episode would not fire; 2 actionable "
	    "episodes fire up to 5m 00s later (median 4m 00s); 1 actionable "
	    "episode would not fire at all; the replay is within 23.4% of what "
	    "was recorded\n");
	free(md);
	report_free(r);
}

/* Markdown and HTML show the five recommendations that save the most
 * pages and say how many more there are; the JSON has them all. */
TEST(five_recommendations_shown_all_in_json)
{
	struct report *r = load_report();
	json_t *recs = json_array(), *doc;
	char *md, *html;

	if (r == NULL || recs == NULL)
		return;
	for (int i = 0; i < 7; i++)
		json_array_append_new(recs, json_pack("{s:s, s:s, s:s}", "kind",
		    "raise_for", "alertname", "A", "summary", "Raise it."));
	json_decref(r->recommendations);
	r->recommendations = recs;
	md = report_markdown(r);
	html = report_html(r);
	CHECK_CONTAINS(md, "### 5. raise\\_for: `A`");
	CHECK(md != NULL && strstr(md, "### 6.") == NULL);
	CHECK_CONTAINS(md, "2 more, by pages saved: `GET "
	    "/api/v1/recommendations`");
	CHECK_CONTAINS(html, "2 more, by pages saved");
	doc = report_json(r);
	CHECK_INT(json_array_size(json_object_get(doc, "recommendations")), 7);
	json_decref(doc);
	free(md);
	free(html);
	report_free(r);
}

/* Replica groups (an alert's HA copies) fold into one row, and one item
 * under what changed; the JSON keeps each. */
TEST(replica_groups_fold_into_one_row)
{
	struct report *r = load_report();
	static const char *const names[] = { "A", "A", "B", "C" };
	char *md;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ngroups; i++) {
		for (size_t j = 0; j < r->groups[i].nmembers; j++)
			free(r->groups[i].members[j]);
		free(r->groups[i].members);
	}
	free(r->groups);
	r->groups = calloc(4, sizeof(*r->groups));
	r->ngroups = 4;
	for (size_t i = 0; i < 4; i++) {
		struct report_group *g = &r->groups[i];

		g->kind = i < 3 ? "replica" : "cofiring";
		g->nmembers = i < 3 ? 2 : 1;
		g->members = calloc(g->nmembers, sizeof(*g->members));
		for (size_t j = 0; j < g->nmembers; j++)
			g->members[j] = strdup(names[i]);
		g->support = 10;
		g->jaccard = 0.5;
		g->is_new = i != 1;
	}
	md = report_markdown(r);
	CHECK_CONTAINS(md, "| replica \xc3\x97" "3 | `A (2 groups), B` | - | 30 "
	    "| - |\n| cofiring | `C` |");
	CHECK(md != NULL && strstr(md, "| replica | ") == NULL);
	CHECK_CONTAINS(md, "- **New dedup groups:**\n  - replica \xc3\x97" "2: "
	    "`A, B`\n  - cofiring: `C`\n");
	free(md);
	report_free(r);
}

/* ISO weeks: their Monday midnights in the zone, the years with 53, and
 * what is not a week. */
TEST(iso_weeks_in_a_zone)
{
	int64_t from, to;
	char w[16];

	/* 2026-W48 is 23 to 30 November; Berlin is UTC+1 then */
	CHECK_INT(report_week_span(berlin_tz, "2026-W48", &from, &to), 0);
	CHECK_INT(from, 1795388400000LL);	/* 2026-11-22T23:00:00Z */
	CHECK_INT(to - from, 7 * 86400000LL);
	CHECK_INT(report_week_span(NULL, "2026-W48", &from, &to), 0);
	CHECK_INT(from, 1795392000000LL);	/* 2026-11-23T00:00:00Z */
	/* the week of the spring DST change is an hour short */
	CHECK_INT(report_week_span(berlin_tz, "2026-W13", &from, &to), 0);
	CHECK_INT(to - from, 7 * 86400000LL - 3600000);
	/* week 1 holds the first Thursday: 2021's starts on 4 January */
	CHECK_INT(report_week_span(NULL, "2021-W01", &from, &to), 0);
	CHECK_INT(from, 1609718400000LL);
	/* 2020 and 2026 have 53 weeks, 2021 and 2027 do not */
	CHECK_INT(report_week_span(NULL, "2020-W53", &from, &to), 0);
	CHECK_INT(report_week_span(NULL, "2026-W53", &from, &to), 0);
	CHECK_INT(report_week_span(NULL, "2021-W53", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "2027-W53", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "2026-W00", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "2026-W5", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "2026-W488", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "2026W48", &from, &to), -1);
	CHECK_INT(report_week_span(NULL, "0999-W01", &from, &to), -1);
	/* and back: a time's week, across the year's edge */
	report_week_of(NULL, 1609459200000LL, w, sizeof(w));	/* 2021-01-01 */
	CHECK_STR(w, "2020-W53");
	report_week_of(NULL, 1798675200000LL, w, sizeof(w));	/* 2026-12-31 */
	CHECK_STR(w, "2026-W53");
	report_week_of(berlin_tz, 1795388400000LL, w, sizeof(w));
	CHECK_STR(w, "2026-W48");
	report_week_of(NULL, 1795388400000LL, w, sizeof(w));	/* Sunday */
	CHECK_STR(w, "2026-W47");
}

/* --- a team lead's review: one team, one calendar week ------------------
 * History in a real store, as Alertmanager's webhooks brought it, over
 * 2026-W43 and 2026-W44 in Europe/Berlin: W43 (Mon 19 to Mon 26 October)
 * holds the end of summer time (Sunday 25 October, 03:00 CEST becomes
 * 02:00 CET), so it is 169 hours long and W44 168. Two teams, payments and
 * checkout; the review is payments' (team= is the selector
 * {team="payments"}, as daemon/review.c makes it), rendered byte for byte
 * against tests/data/report/golden_week_team.md and .html. Every time is
 * fixed: "now" is Monday 2 November, 09:00 local, when the lead reads it.
 *
 * payments, W44:
 *   PaymentsApiLatency: 2, 3 and 1 minutes (transient: noise) and 50
 *     minutes (actionable); in W43 one of 45 minutes with the verdict
 *     actionable: newly noisy (3 of 4). Links: runbook_url, generatorURL.
 *   PaymentsDbReplicaLag: 40 minutes, verdict actionable, from two
 *     Prometheus replicas (replica="a", "b"): a replica group; new.
 *   PaymentsRefundErrors: 12 minutes on Saturday night, verdict noise; new.
 *   PaymentsCertExpiry: since Tuesday 10:00, still firing, to a ticket
 *     receiver (no page): persistent, 5d 23h at now; new.
 * payments, W43 only:
 *   PaymentsQueueBacklog: 3 minutes at Monday 00:30 CEST -- the first hour
 *     of W43, which is 169 hours -- and 2 minutes on Thursday: noisy then,
 *     gone now (fixed this week).
 * checkout, which the review must not show: CheckoutCartErrors (five
 *   1-minute episodes in W44, three in W43: unfiltered, the noisiest) and
 *   CheckoutPodRestarts (W44).
 *
 * Pages (receiver "pager", a firing notification each) of payments in
 * W44: ApiLatency 4 (Mon 03:10 and Thu 22:40 out of hours), ReplicaLag 1,
 * RefundErrors 1 (Saturday: out of hours): 6, 4 noise, 3 out of hours,
 * 2 with a verdict. In W43: ApiLatency 1, QueueBacklog 2 (Monday 00:30
 * out of hours): 3, 2 noise, 1 out of hours, 1 with a verdict. */

#define WK_DATA		DATA "golden_week_team"
#define WK_WEEK		"2026-W44"
#define WK_TEAM		"{team=\"payments\"}"
#define WK_AM		"https://am.example.net"

static const char *const wk_replica[] = { "replica" };

#define L_LAT	"\"alertname\":\"PaymentsApiLatency\",\"team\":\"payments\"," \
	"\"service\":\"payments-api\",\"severity\":\"page\""
#define L_REP	"\"alertname\":\"PaymentsDbReplicaLag\",\"team\":\"payments\"," \
	"\"service\":\"payments-db\",\"severity\":\"page\""
#define L_REF	"\"alertname\":\"PaymentsRefundErrors\",\"team\":\"payments\"," \
	"\"service\":\"payments-api\",\"severity\":\"page\""
#define L_CERT	"\"alertname\":\"PaymentsCertExpiry\",\"team\":\"payments\"," \
	"\"service\":\"payments-gw\",\"severity\":\"ticket\""
#define L_QUEUE	"\"alertname\":\"PaymentsQueueBacklog\"," \
	"\"team\":\"payments\",\"service\":\"payments-worker\"," \
	"\"severity\":\"page\""
#define L_CART	"\"alertname\":\"CheckoutCartErrors\",\"team\":\"checkout\"," \
	"\"service\":\"cart\",\"severity\":\"page\""
#define L_POD	"\"alertname\":\"CheckoutPodRestarts\",\"team\":\"checkout\"," \
	"\"service\":\"cart\",\"severity\":\"page\""

/* 2026-mon-day hh:mm local time in Berlin, epoch ms. */
static int64_t
wk_at(int mon, int day, int hh, int mm)
{
	return tz_date(berlin_tz, 2026, mon, day, hh, mm, 0) * 1000;
}

/* One alert of a webhook: labels (the inside of an object), its replica
 * ("": none), status, startsAt and, resolved, endsAt. */
static void
wk_alert(struct buf *b, const char *labels, const char *replica,
    int resolved, int64_t starts, int64_t ends, const char *runbook,
    const char *generator)
{
	char s[40], e[40];

	ts_format_rfc3339(starts, s, sizeof(s));
	ts_format_rfc3339(ends, e, sizeof(e));
	buf_printf(b, "%s{\"status\":\"%s\",\"labels\":{%s%s%s%s},"
	    "\"annotations\":{%s%s%s},\"startsAt\":\"%s\",\"endsAt\":\"%s\","
	    "\"generatorURL\":\"%s\"}", b->len > 0 ? "," : "",
	    resolved ? "resolved" : "firing", labels, *replica ?
	    ",\"replica\":\"" : "", replica, *replica ? "\"" : "",
	    runbook ? "\"runbook_url\":\"" : "", runbook ? runbook : "",
	    runbook ? "\"" : "", s, resolved ? e : "0001-01-01T00:00:00Z",
	    generator ? generator : "");
}

/* A notification of alerts (webhook "alerts" items) to receiver, received
 * at ms. */
static int
wk_notify(struct store *st, const char *receiver, int resolved,
    const char *alerts, int64_t ms)
{
	static const struct ingest_opts io = {
		.replica_labels = wk_replica, .nreplica = 1,
		.dedup_window_ms = 60000, .join_tolerance_ms = 10000,
		.source = EP_SRC_REMOTE_WRITE,
	};
	struct wh_notification *n = NULL;
	struct ingest_result res;
	char *body, err[256];
	int rc = -1;

	if (asprintf(&body, "{\"version\":\"4\",\"receiver\":\"%s\","
	    "\"status\":\"%s\",\"groupKey\":\"{}:{team=\\\"x\\\"}\","
	    "\"groupLabels\":{},\"externalURL\":\"" WK_AM "\","
	    "\"alerts\":[%s]}", receiver, resolved ? "resolved" : "firing",
	    alerts) < 0)
		return -1;
	if (wh_parse(body, strlen(body), wk_replica, 1, &n, err,
	    sizeof(err)) < 0)
		T_FAIL("webhook: %s: %s", err, body);
	else if ((rc = ingest_webhook(st, n, ms, &io, &res)) < 0)
		T_FAIL("ingest: %s", store_errmsg(st));
	wh_free(n);
	free(body);
	return rc;
}

/* An episode of the alert labels, from the replicas named (NULL: one
 * copy), firing at ms for len ms (< 0: still firing), notified to receiver
 * 30 s after it fired and after it resolved. */
static int
wk_episode(struct store *st, const char *labels, const char *const *reps,
    const char *receiver, int64_t ms, int64_t len, const char *runbook,
    const char *generator)
{
	static const char *const one[] = { "", NULL };
	struct buf fire, res;
	int rc;

	if (reps == NULL)
		reps = one;
	buf_init(&fire, 1 << 16);
	buf_init(&res, 1 << 16);
	for (size_t i = 0; reps[i] != NULL; i++) {
		wk_alert(&fire, labels, reps[i], 0, ms, 0, runbook, generator);
		wk_alert(&res, labels, reps[i], 1, ms, ms + len, runbook,
		    generator);
	}
	if (fire.data == NULL || res.data == NULL)
		rc = -1;
	else
		rc = wk_notify(st, receiver, 0, fire.data, ms + 30000);
	if (rc == 0 && len >= 0)
		rc = wk_notify(st, receiver, 1, res.data, ms + len + 30000);
	buf_free(&fire);
	buf_free(&res);
	return rc;
}

/* A human verdict on the episode of labels that fired at ms. */
static int
wk_verdict(struct store *st, const char *labels, int64_t ms,
    const char *verdict, int64_t at)
{
	char text[512];
	json_t *l;
	uint64_t fp = 0;
	struct episode e;
	int rc = -1;

	snprintf(text, sizeof(text), "{%s}", labels);
	if ((l = json_loads(text, 0, NULL)) == NULL ||
	    fp_json(l, NULL, 0, &fp) < 0 ||
	    store_find_feedback_episode(st, fp, ms, &e) != 1)
		T_FAIL("no episode of %s at %lld", text, (long long)ms);
	else if ((rc = store_add_feedback(st, &e, verdict, "", "lead",
	    at)) < 0)
		T_FAIL("feedback: %s", store_errmsg(st));
	json_decref(l);
	return rc;
}

/* The two weeks' history in a new store under dir (mkdtemp'd by the
 * caller); NULL on failure (reported). */
static struct store *
wk_store(const char *dir)
{
	static const char *const ab[] = { "a", "b", NULL };
	static const char *const rb =
	    "https://runbooks.example.net/payments/api-latency";
	static const char *const gen = "http://prometheus.example.net:9090/"
	    "graph?g0.expr=payments_api_p99_seconds+%3E+0.5";
	struct store *st;
	char err[256];
	int rc = 0;
	/* the episodes, W43 then W44: labels, replicas, receiver, local
	 * month, day, hh, mm, minutes firing (-1: still) */
	static const struct {
		const char *labels;
		int replicas, link;
		const char *receiver;
		int mon, day, hh, mm, minutes;
	} h[] = {
		{ L_QUEUE, 0, 0, "pager", 10, 19, 0, 30, 3 },
		{ L_LAT, 0, 1, "pager", 10, 21, 14, 0, 45 },
		{ L_QUEUE, 0, 0, "pager", 10, 22, 16, 0, 2 },
		{ L_CART, 0, 0, "pager", 10, 20, 10, 0, 1 },
		{ L_CART, 0, 0, "pager", 10, 23, 11, 0, 1 },
		{ L_CART, 0, 0, "pager", 10, 25, 2, 30, 1 },	/* CET */
		{ L_LAT, 0, 1, "pager", 10, 26, 3, 10, 2 },
		{ L_CART, 0, 0, "pager", 10, 26, 9, 0, 1 },
		{ L_CART, 0, 0, "pager", 10, 26, 13, 0, 1 },
		{ L_LAT, 0, 1, "pager", 10, 27, 11, 0, 3 },
		{ L_CERT, 0, 0, "payments-tickets", 10, 27, 10, 0, -1 },
		{ L_CART, 0, 0, "pager", 10, 27, 15, 0, 1 },
		{ L_REP, 1, 0, "pager", 10, 28, 9, 15, 40 },
		{ L_POD, 0, 0, "pager", 10, 28, 12, 0, 2 },
		{ L_CART, 0, 0, "pager", 10, 29, 16, 0, 1 },
		{ L_LAT, 0, 1, "pager", 10, 29, 22, 40, 1 },
		{ L_LAT, 0, 1, "pager", 10, 30, 10, 0, 50 },
		{ L_CART, 0, 0, "pager", 10, 30, 17, 0, 1 },
		{ L_REF, 0, 0, "pager", 10, 31, 2, 20, 12 },
	};

	if (store_open("sqlite", dir, &st, err, sizeof(err)) < 0) {
		T_FAIL("store_open: %s", err);
		return NULL;
	}
	for (size_t i = 0; rc == 0 && i < sizeof(h) / sizeof(h[0]); i++)
		rc = wk_episode(st, h[i].labels, h[i].replicas ? ab : NULL,
		    h[i].receiver, wk_at(h[i].mon, h[i].day, h[i].hh, h[i].mm),
		    h[i].minutes < 0 ? -1 : h[i].minutes * MIN,
		    h[i].link ? rb : NULL, h[i].link ? gen : NULL);
	if (rc == 0)
		rc = wk_verdict(st, L_LAT, wk_at(10, 21, 14, 0), "actionable",
		    wk_at(10, 21, 15, 0));
	if (rc == 0)
		rc = wk_verdict(st, L_REP, wk_at(10, 28, 9, 15), "actionable",
		    wk_at(10, 28, 10, 0));
	if (rc == 0)
		rc = wk_verdict(st, L_REF, wk_at(10, 31, 2, 20), "noise",
		    wk_at(11, 2, 8, 30));
	if (rc < 0) {
		store_close(st);
		return NULL;
	}
	return st;
}

/* What recommend.c would say about PaymentsApiLatency, as rc_list_json
 * writes it (the report renders the JSON it is handed). */
static json_t *
wk_recommendations(void)
{
	return json_loads("[{\"id\":\"raise_for:PaymentsApiLatency\","
	    "\"kind\":\"raise_for\",\"alertname\":\"PaymentsApiLatency\","
	    "\"matchers\":[\"alertname=\\\"PaymentsApiLatency\\\"\"],"
	    "\"evidence\":{\"currentForSeconds\":0,\"forSeconds\":300,"
	    "\"receivers\":[\"pager\"]},"
	    "\"predicted\":{\"pagesBefore\":4,\"pagesAfter\":1,"
	    "\"notificationsBefore\":8,\"notificationsAfter\":2,"
	    "\"noiseRemoved\":3,\"actionableDelayed\":1,"
	    "\"actionableLost\":0,\"addedDelaySeconds\":{\"p50\":300,"
	    "\"max\":300},\"replayError\":0.02},"
	    "\"confidence\":\"medium\","
	    "\"snippet\":\"groups:\\n  - name: payments\\n    rules:\\n"
	    "      - alert: PaymentsApiLatency\\n        for: 5m\\n\","
	    "\"target\":\"prometheus_rule\","
	    "\"summary\":\"Raise `for` of PaymentsApiLatency to 5m: 3 of its "
	    "4 episodes would not fire (pages 4 \\u2192 1).\"}]", 0, NULL);
}

/* The review of week (in Berlin) of the selection match, as the daemon
 * builds it (daemon/report_routes.c): the span's analysis, report_build
 * (which analyses the span before), links, scope. NULL on failure
 * (reported). */
static struct report *
wk_review(struct store *st, const char *week, const char *match)
{
	static const char *const paging[] = { "pager" };
	struct report_opts ro = berlin();
	struct an_opts o;
	struct analysis *cur = NULL;
	struct report *r = NULL;
	struct sel *sel = NULL;
	int64_t from, to, now = wk_at(11, 2, 9, 0);
	json_t *recs = wk_recommendations();
	char err[256];

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	if (match != NULL && sel_parse(match, &sel, err, sizeof(err)) < 0) {
		T_FAIL("%s: %s", match, err);
		goto out;
	}
	o.match = &sel;
	o.nmatch = sel != NULL;
	if (report_week_span(berlin_tz, week, &from, &to) < 0 ||
	    an_run(st, &o, from, to, now, &cur, err, sizeof(err)) < 0 ||
	    (r = report_build(st, &o, &ro, cur, recs, err,
	    sizeof(err))) == NULL ||
	    report_add_links(r, st, "https://grafana.example.net/d/alerts",
	    err, sizeof(err)) < 0 ||
	    report_set_scope(r, week, &match, match != NULL) < 0) {
		T_FAIL("the review of %s: %s", week, err);
		report_free(r);
		r = NULL;
	}
out:
	an_free(cur);
	sel_free(sel);
	json_decref(recs);
	return r;
}

/* s byte for byte against the golden file path (rewritten first with
 * AN_UPDATE_GOLDEN=1). */
static void
wk_golden(const char *s, const char *path)
{
	const char *update = getenv("AN_UPDATE_GOLDEN");
	char *want;

	if (s == NULL) {
		T_FAIL("no rendering for %s", path);
		return;
	}
	if (update != NULL && *update != '\0') {
		FILE *fp = fopen(path, "wb");

		CHECK(fp != NULL && fputs(s, fp) >= 0 && fclose(fp) == 0);
	}
	want = t_read_file(path, NULL);
	if (want == NULL)
		T_FAIL("cannot read %s", path);
	else if (strcmp(s, want) != 0) {
		size_t i = 0;

		while (s[i] && s[i] == want[i])
			i++;
		T_FAIL("differs from %s at byte %zu: \"%.60s\" vs \"%.60s\"",
		    path, i, s + i, want + i);
	}
	free(want);
}

static char wk_dir[64];
static struct store *wk_st;

/* The lines of s that start with prefix, from the line that is heading
 * on to the next heading ("## "). */
static size_t
wk_rows(const char *s, const char *heading, const char *prefix)
{
	const char *p = s ? strstr(s, heading) : NULL, *end;
	size_t n = 0;

	if (p == NULL)
		return 0;
	p += strlen(heading);
	end = strstr(p, "\n## ");
	for (; p != NULL && (end == NULL || p < end); p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

/* The team lead's review of W44: its goldens, and what a lead checks in
 * them, asserted on their own so a golden rewritten without reading it
 * still fails. */
TEST(week_team_review_matches_goldens)
{
	struct report *r = wk_st ? wk_review(wk_st, WK_WEEK, WK_TEAM) : NULL;
	char *md = NULL, *html = NULL;

	if (r == NULL) {
		T_FAIL("no review");
		return;
	}
	md = report_markdown(r);
	html = report_html(r);
	wk_golden(md, WK_DATA ".md");
	wk_golden(html, WK_DATA ".html");
	/* the week: Monday to Monday, local midnights (CET, UTC+1) */
	CHECK_INT(r->from, wk_at(10, 26, 0, 0));
	CHECK_INT(r->to, wk_at(11, 2, 0, 0));
	CHECK_CONTAINS(md, "Week 2026-W44 from 2026-10-25T23:00:00.000Z to "
	    "2026-11-01T23:00:00.000Z, alerts matching {team=\"payments\"}, "
	    "compared with the week before it.");
	CHECK_INT(r->ndays, 7);
	CHECK_STR(r->ndays ? r->days[0].day : "", "2026-10-26");
	CHECK_STR(r->ndays ? r->days[r->ndays - 1].day : "", "2026-11-01");
	CHECK_INT(r->generated_at, wk_at(11, 2, 9, 0));
	/* the other team is nowhere */
	CHECK(md != NULL && strcasestr(md, "checkout") == NULL);
	CHECK(html != NULL && strcasestr(html, "checkout") == NULL);
	{
		/* which the history has: unselected, it tops the table */
		struct report *all = wk_review(wk_st, WK_WEEK, NULL);

		CHECK(all != NULL && all->ntop > 0 &&
		    strcmp(all->top[0].alertname, "CheckoutCartErrors") == 0);
		report_free(all);
	}
	/* the noisiest: ApiLatency (3), then CertExpiry and RefundErrors (1
	 * each, 1 of 1) by name */
	CHECK_INT(r->ntop, 3);
	CHECK_INT(wk_rows(md, "## Noisiest alerts\n", "| "), 2 + 3);
	CHECK_CONTAINS(md, "| 1 | `PaymentsApiLatency` ([runbook](<https://"
	    "runbooks.example.net/payments/api-latency>)");
	/* a flap score only where enough episodes fired to tell: 4 of
	 * ApiLatency's did (analysis.flap_min_episodes), 1 of CertExpiry's */
	CHECK(r->ntop == 3 && r->top[0].flap_score >= 0 &&
	    isnan(r->top[1].flap_score) && isnan(r->top[2].flap_score));
	/* the numbers add up: 6 pages, 4 noise; 3 out of hours */
	CHECK(r->kpis[REPORT_KPI_PAGES].cur == 6);
	CHECK(r->kpis[REPORT_KPI_OUT_OF_HOURS_PAGES].cur == 3);
	{
		long pages = 0;

		for (size_t i = 0; i < r->ndays; i++)
			pages += r->days[i].pages;
		CHECK_INT(pages, 6);
	}
	free(md);
	free(html);
	report_free(r);
}

/* The week before a week is the calendar week before it, Monday to Monday
 * local time, however long: W43 has the 25 October change back to CET and
 * is 169 hours, W44 168. W44's length back from its Monday would start
 * W43 at Monday 01:00 and lose PaymentsQueueBacklog's 00:30 episode: the
 * previous figures, and what was fixed this week, would be wrong. */
TEST(week_is_compared_with_the_calendar_week_before)
{
	struct report *r = wk_st ? wk_review(wk_st, WK_WEEK, WK_TEAM) : NULL;
	char *md;

	if (r == NULL) {
		T_FAIL("no review");
		return;
	}
	md = report_markdown(r);
	CHECK_INT(r->prev_from, wk_at(10, 19, 0, 0));	/* 18 Oct 22:00Z */
	CHECK_INT(r->prev_to, r->from);
	CHECK_INT(r->prev_to - r->prev_from, 169 * HOUR);
	/* W43: ApiLatency 1, QueueBacklog 2 (Monday 00:30: out of hours) */
	CHECK(r->kpis[REPORT_KPI_PAGES].prev == 3);
	CHECK(r->kpis[REPORT_KPI_OUT_OF_HOURS_PAGES].prev == 1);
	CHECK_INT(r->nno_longer_noisy, 1);
	CHECK_STR(r->nno_longer_noisy ? r->no_longer_noisy[0].alertname : "",
	    "PaymentsQueueBacklog");
	CHECK_CONTAINS(md, "| Pages | 6 | 3 | \xe2\x96\xb2 +3 (worse) |");
	/* a window up to now is compared with as long a window before it */
	{
		int64_t p, now = wk_at(11, 2, 9, 0);

		report_previous_span(berlin_tz, now - 7 * DAY, now, &p);
		CHECK_INT(p, now - 14 * DAY);
	}
	free(md);
	report_free(r);
}

/* an_opts.stop: asked while the analysis runs; once it says stop, an_run
 * gives up with AN_ESTOPPED and no analysis; never saying so changes
 * nothing. */
static int stop_asked, stop_after;

static int
stop_when_asked(const void *arg)
{
	(void)arg;
	return ++stop_asked > stop_after;
}

TEST(analysis_stops_when_asked)
{
	static const char *const paging[] = { "pager" };
	struct an_opts o;
	struct analysis *a = NULL, *b = NULL;
	int64_t now = wk_at(11, 2, 9, 0);
	char err[256];

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	CHECK_INT(an_run(wk_st, &o, now - 30 * DAY, now, now, &a, err,
	    sizeof(err)), 0);
	o.stop = stop_when_asked;
	stop_asked = 0;
	stop_after = 1000000;
	CHECK_INT(an_run(wk_st, &o, now - 30 * DAY, now, now, &b, err,
	    sizeof(err)), 0);
	CHECK(stop_asked > 0);
	CHECK(a != NULL && b != NULL && a->neps > 0 && a->neps == b->neps &&
	    a->npages == b->npages);
	an_free(b);
	b = NULL;
	for (stop_after = 0; stop_after < 3; stop_after++) {
		stop_asked = 0;
		CHECK_INT(an_run(wk_st, &o, now - 30 * DAY, now, now, &b, err,
		    sizeof(err)), AN_ESTOPPED);
		CHECK(b == NULL);
		CHECK_STR(err, "stopped");
		CHECK_INT(stop_asked, stop_after + 1);
	}
	an_free(a);
}

int
main(void)
{
	char err[256];
	int rc;

	if (tz_load("Europe/Berlin", &berlin_tz, err, sizeof(err)) < 0 ||
	    tz_load("Asia/Tokyo", &tokyo_tz, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_report: %s\n", err);
		return 1;
	}
	RUN(markdown_matches_golden);
	RUN(markdown_escapes_and_fences);
	RUN(html_is_one_safe_page);
	RUN(renderers_take_an_empty_report);
	RUN(json_of_the_struct_is_the_document);
	RUN(out_of_hours_in_berlin_winter_and_summer);
	RUN(report_of_two_windows);
	RUN(zones_are_per_report_not_per_process);
	RUN(iso_weeks_in_a_zone);
	RUN(savings_say_what_a_change_costs);
	RUN(five_recommendations_shown_all_in_json);
	RUN(replica_groups_fold_into_one_row);
	if (mkdtemp(strcpy(wk_dir, "/tmp/an-report-XXXXXX")) != NULL)
		wk_st = wk_store(wk_dir);
	else
		wk_dir[0] = '\0';
	RUN(week_team_review_matches_goldens);
	RUN(week_is_compared_with_the_calendar_week_before);
	RUN(analysis_stops_when_asked);
	store_close(wk_st);
	if (wk_dir[0] != '\0')
		t_rmdir(wk_dir);
	rc = t_done();
	tz_free(berlin_tz);
	tz_free(tokyo_tz);
	return rc;
}

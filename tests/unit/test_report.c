/* test_report.c -- lib/render/report_*.c (report.h): the renderers on a
 * hand-written report (tests/data/report/report.json; the Markdown byte
 * for byte against tests/data/report/golden.md), local time and working
 * hours in Europe/Berlin in winter and summer, and the report of
 * hand-built analyses, every number derived in the comments.
 *
 * Run from the repository root. AN_UPDATE_GOLDEN=1 rewrites golden.md from
 * the renderer (then read it before committing it). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "analysis.h"
#include "report.h"
#include "t.h"
#include "tzone.h"

#define DATA	"tests/data/report/"
#define MIN	60000LL
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define JAN1	1767225600000LL		/* 2026-01-01T00:00:00Z, a Thursday */

static json_t *
load_report(void)
{
	json_error_t je;
	json_t *r = json_load_file(DATA "report.json", 0, &je);

	if (r == NULL)
		T_FAIL("%s:%d: %s", DATA "report.json", je.line, je.text);
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
	json_t *r = load_report();
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
	json_decref(r);
}

TEST(markdown_escapes_and_fences)
{
	json_t *r = load_report();
	char *md;

	if (r == NULL)
		return;
	md = report_markdown(r);
	if (md == NULL) {
		T_FAIL("report_markdown failed");
		json_decref(r);
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
	/* lib/tuning/recommend.c's fields: before/after pairs joined, nulls and
	 * lists of objects left out */
	CHECK_CONTAINS(md, "- **Predicted savings:** pages: 9 \xe2\x86\x92 2, "
	    "notifications: 18 \xe2\x86\x92 4, noise\\_removed: 7, "
	    "actionable\\_delayed: 0, actionable\\_lost: 0, "
	    "replay\\_error: 0.05\n");
	CHECK_CONTAINS(md, "- **Evidence:** current\\_for\\_seconds: 0, "
	    "for\\_seconds: 300, receivers: \\[pager, team-x\\]\n");
	CHECK_CONTAINS(md, "- **Why:** Raise \\`for\\` of Flap to 5m: 7 of");
	CHECK_CONTAINS(md, "- **Confidence:** high; **applies to:** "
	    "prometheus\\_rule\n");
	CHECK_CONTAINS(md, "`Storm \xc3\x97" "3`");
	free(md);
	json_decref(r);
}

TEST(html_is_one_safe_page)
{
	json_t *r = load_report();
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
	json_decref(r);
}

TEST(renderers_take_an_empty_report)
{
	json_t *r = json_object();
	char *md = report_markdown(r), *html = report_html(r);

	CHECK(md != NULL && html != NULL);
	CHECK_CONTAINS(md, "## Key figures\n");
	CHECK_CONTAINS(md, "| Pages | n/a | n/a | n/a |");
	CHECK_CONTAINS(md, "## What changed\n");
	CHECK_CONTAINS(html, "</html>\n");
	free(md);
	free(html);
	json_decref(r);
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
	struct analysis *a = calloc(1, sizeof(*a));

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
	g->members = json_pack("[{s:s, s:{s:s}}, {s:s, s:{s:s}}]",
	    "alertname", m1, "labels", "alertname", m1,
	    "alertname", m2, "labels", "alertname", m2);
	g->leader = -1;
	g->support = 3;
	g->evidence = json_object();
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
	json_t *recs = json_array(), *r;

	cur->now = prev->now = to;
	/* the same cofiring group both times (members in another order),
	 * and a storm that is new */
	add_group(cur, GROUP_COFIRING, "Fine", "Noisy");
	add_group(cur, GROUP_STORM, "Stuck", "Stuck");
	add_group(prev, GROUP_COFIRING, "Noisy", "Fine");
	r = report_from_analyses(cur, prev, &ro, 7 * DAY, to, recs);
	if (r == NULL) {
		T_FAIL("report_from_analyses failed");
		goto out;
	}
	CHECK_PATH_STR(r, "window", "1w");
	CHECK_PATH_STR(r, "from", "2026-01-08T23:00:00.000Z");
	CHECK_PATH_STR(r, "to", "2026-01-15T23:00:00.000Z");
	CHECK_PATH_STR(r, "generated_at", "2026-01-15T23:00:00.000Z");
	CHECK_PATH_STR(r, "timezone", "Europe/Berlin");
	CHECK_PATH_STR(r, "working_hours", "09:00-18:00");
	CHECK_PATH_STR(r, "working_days.4", "fri");
	CHECK(at(r, "working_days.5") == NULL);
	CHECK_PATH_STR(r, "previous.from", "2026-01-01T23:00:00.000Z");
	/* 3 of 4 episodes noise (Stuck, Noisy twice), before 2 of 2 */
	CHECK_PATH_REAL(r, "kpis.noise_ratio.current", 0.75);
	CHECK_PATH_REAL(r, "kpis.noise_ratio.previous", 1.0);
	CHECK_PATH_REAL(r, "kpis.noise_ratio.change", -0.25);
	CHECK_PATH_REAL(r, "kpis.page_noise_ratio.current", 0.5);
	CHECK_PATH_INT(r, "kpis.pages.current", 4);
	CHECK_PATH_INT(r, "kpis.pages.previous", 2);
	CHECK_PATH_INT(r, "kpis.pages.change", 2);
	CHECK_PATH_INT(r, "kpis.out_of_hours_pages.current", 3);
	CHECK_PATH_INT(r, "kpis.out_of_hours_pages.previous", 1);
	CHECK_PATH_INT(r, "kpis.out_of_hours_pages.change", 2);
	/* resolved 60, 120, 1800 s: median 120; before 60, 180: 60 */
	CHECK_PATH_REAL(r, "kpis.mttr_seconds.current", 120);
	CHECK_PATH_REAL(r, "kpis.mttr_seconds.previous", 60);
	CHECK_PATH_REAL(r, "kpis.mttr_seconds.change", 60);
	CHECK_PATH_REAL(r, "kpis.feedback_coverage.current", 0);
	/* seven local days, zeros included */
	CHECK_INT(json_array_size(at(r, "pages_per_day")), 7);
	CHECK_PATH_STR(r, "pages_per_day.0.day", "2026-01-09");
	CHECK_PATH_STR(r, "pages_per_day.6.day", "2026-01-15");
	CHECK_PATH_INT(r, "pages_per_day.0.pages", 0);
	CHECK_PATH_INT(r, "pages_per_day.1.pages", 1);
	CHECK_PATH_INT(r, "pages_per_day.1.noise_pages", 1);
	CHECK_PATH_INT(r, "pages_per_day.3.pages", 2);
	CHECK_PATH_INT(r, "pages_per_day.3.noise_pages", 1);
	CHECK_PATH_INT(r, "pages_per_day.6.pages", 1);	/* 23:30 local */
	CHECK_INT(json_array_size(at(r, "noise_ratio_per_day")), 7);
	CHECK(json_is_null(at(r, "noise_ratio_per_day.0.noise_ratio")));
	CHECK_PATH_INT(r, "noise_ratio_per_day.1.episodes", 1);	/* Stuck */
	CHECK_PATH_INT(r, "noise_ratio_per_day.3.episodes", 2);
	CHECK_PATH_REAL(r, "noise_ratio_per_day.3.noise_ratio", 0.5);
	CHECK_PATH_REAL(r, "noise_ratio_per_day.4.noise_ratio", 1.0);
	/* Noisy (2 noise) before Stuck (1); Fine has none */
	CHECK_INT(json_array_size(at(r, "top_noisy")), 2);
	CHECK_PATH_STR(r, "top_noisy.0.alertname", "Noisy");
	CHECK_PATH_INT(r, "top_noisy.0.noise_episodes", 2);
	CHECK_PATH_INT(r, "top_noisy.0.classes.transient", 2);
	CHECK_PATH_STR(r, "top_noisy.1.alertname", "Stuck");
	CHECK_INT(json_array_size(at(r, "flapping")), 0);
	/* Stuck: from 01-10 01:00 UTC to now, 01-15 23:00: 5d 22h */
	CHECK_PATH_STR(r, "persistent.0.alertname", "Stuck");
	CHECK_PATH_REAL(r, "persistent.0.longest_firing_seconds",
	    5 * 86400 + 22 * 3600);
	CHECK(json_is_true(at(r, "persistent.0.still_firing")));
	CHECK_INT(json_array_size(at(r, "dedup_groups")), 2);
	CHECK(at(r, "recommendations") == recs);
	/* Noisy is newly noisy; Fine is not any more; Stuck has 1 episode,
	 * too few to count */
	CHECK_INT(json_array_size(at(r, "changes.newly_noisy")), 1);
	CHECK_PATH_STR(r, "changes.newly_noisy.0.alertname", "Noisy");
	CHECK_PATH_INT(r, "changes.newly_noisy.0.previous_episodes", 0);
	CHECK(json_is_null(at(r, "changes.newly_noisy.0.previous_noise_ratio")));
	CHECK_INT(json_array_size(at(r, "changes.no_longer_noisy")), 1);
	CHECK_PATH_STR(r, "changes.no_longer_noisy.0.alertname", "Fine");
	CHECK_PATH_REAL(r, "changes.no_longer_noisy.0.noise_ratio", 0);
	CHECK_PATH_REAL(r, "changes.no_longer_noisy.0.previous_noise_ratio", 1);
	CHECK_INT(json_array_size(at(r, "changes.new_groups")), 1);
	CHECK_PATH_STR(r, "changes.new_groups.0.kind", "storm");
	CHECK_PATH_INT(r, "changes.pages_change.change", 2);
	json_decref(r);
out:
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
	RUN(out_of_hours_in_berlin_winter_and_summer);
	RUN(report_of_two_windows);
	RUN(zones_are_per_report_not_per_process);
	rc = t_done();
	tz_free(berlin_tz);
	tz_free(tokyo_tz);
	return rc;
}

/* report.h -- the weekly alert-tuning review: a window of alert history
 * compared with the window before it, as a C struct (struct report), and
 * its JSON, Markdown and HTML renderings (README "Weekly review report").
 *
 * report_build takes the analysis of the current window [now - window,
 * now) -- the daemon's cached one, the same the API answers from -- runs
 * the previous one [now - 2 * window, now - window) (analysis.h; for a
 * span of whole local days, such as an ISO week, as many local days
 * before it: report_previous_span), and
 * assembles KPIs with their previous values, per-day series, the
 * noisiest, flapping and persistent alertnames, dedup groups, the
 * recommendations it is handed and what changed since the previous
 * window. The renderings (report_json, report_markdown, report_html) and
 * the daemon's web pages all read that struct; none reads JSON back, so
 * the three formats always show the same numbers, and the same report
 * always renders to the same bytes.
 *
 * Local time. Days and working hours are in the configured time zone, a
 * zone loaded once with the configuration (tzone.h, immutable), never the
 * process's TZ: any number of reports in different zones may run at once.
 *
 * Files: report_build.c builds the struct and its JSON; report_render.c
 * walks its sections for both other renderings, report_md.c and
 * report_html.c write them (report_int.h is what they share); fmt.h and
 * html.h are the text and HTML pieces the report shares with the daemon's
 * web pages. */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "config.h"
#include "links.h"
#include "store.h"

/* Days of the week as bits of report_opts.work_days: Monday is bit 0. */
enum {
	REPORT_MON = 1 << 0, REPORT_TUE = 1 << 1, REPORT_WED = 1 << 2,
	REPORT_THU = 1 << 3, REPORT_FRI = 1 << 4, REPORT_SAT = 1 << 5,
	REPORT_SUN = 1 << 6,
};

struct tz;

struct report_opts {
	const struct tz *tz;	/* the zone of days and working hours; NULL:
				   UTC. Borrowed */
	int work_start;		/* working hours, minutes of the day: */
	int work_end;		/* [start, end), 0 <= start < end <= 1440 */
	unsigned work_days;	/* REPORT_MON.. bits */
	size_t top;		/* entries in top_noisy */
};

/* The documented defaults: "UTC", 09:00-18:00, Monday to Friday, top 10. */
void report_opts_default(struct report_opts *ro);

/* The recommendations Markdown and HTML show, those that save the most
 * pages (the JSON has them all). */
#define REPORT_RECS_SHOWN	5

/* An alertname is noisy in a window when at least this share of at least
 * REPORT_NOISY_MIN_EPISODES of its episodes are noise (changes.*). */
#define REPORT_NOISY_RATIO		0.5
#define REPORT_NOISY_MIN_EPISODES	2

/* Whether a page at ms (epoch milliseconds) was sent out of working hours:
 * its local time falls outside [work_start, work_end) or on a day not in
 * work_days. */
int report_out_of_hours(const struct report_opts *ro, int64_t ms);

/* The report settings of cfg (report.*); ro points into cfg, so use it
 * while cfg lives (in the daemon: while holding the snapshot). */
void report_opts_from_config(const struct an_config *cfg,
    struct report_opts *ro);

/* The local date of ms in zone tz (NULL: UTC) as "YYYY-MM-DD" (out: at
 * least 11 bytes). */
void report_local_day(const struct tz *tz, int64_t ms, char *out,
    size_t outlen);

/* An ISO 8601 week, "YYYY-Www" ("2026-W48": weeks start on Monday; week 1
 * holds the year's first Thursday), in zone tz (NULL: UTC): 0 and
 * [*from, *to), from its Monday's local midnight to the next Monday's (a
 * week across a DST change is an hour shorter or longer), or -1 when week
 * is not one (a year before 1000, week 0, week 53 of a 52-week year). */
int report_week_span(const struct tz *tz, const char *week, int64_t *from,
    int64_t *to);
/* The ISO week of ms's local date in tz as "YYYY-Www" (out: at least 9
 * bytes; 16 for any year). */
void report_week_of(const struct tz *tz, int64_t ms, char *out,
    size_t outlen);
/* The start of the span a review of [from, to) is compared with, which
 * ends at from: when from and to are local midnights in tz (NULL: UTC),
 * as many local days before from (the calendar week before a week, an
 * hour longer or shorter across a DST change); else to - from before
 * from. */
void report_previous_span(const struct tz *tz, int64_t from, int64_t to,
    int64_t *prev_from);

/* --- the report as a struct -------------------------------------------
 * Every number is the report's own copy and every string is owned by it:
 * a report outlives the analyses it was built from. NAN is an undefined
 * ratio or duration (no episode, no page, nothing resolved: JSON null,
 * "n/a" for people). */

/* The key figures, in report order. */
enum report_kpi_id {
	REPORT_KPI_NOISE_RATIO,		/* noise episodes / episodes */
	REPORT_KPI_PAGE_NOISE_RATIO,	/* noise pages / pages */
	REPORT_KPI_PAGES,
	REPORT_KPI_OUT_OF_HOURS_PAGES,
	REPORT_KPI_MTTR,		/* median seconds to resolve */
	REPORT_KPI_FEEDBACK_COVERAGE,	/* pages with a verdict / pages */
	REPORT_NKPIS
};

/* A key figure in the window and in the one before; its change is cur -
 * prev (NAN when either is). Counts are whole numbers. */
struct report_figure {
	double cur, prev;
};

/* A local day of the window (every day from the first to the last, zeros
 * included): its pages and the episodes that fired on it. */
struct report_day {
	char day[16];			/* "YYYY-MM-DD" */
	long pages, noise_pages;
	long episodes, noise_episodes;	/* noise ratio: an_ratio of them */
};

/* An alertname of top_noisy or flapping: its numbers in the window. */
struct report_alert {
	char *alertname;
	long episodes, noise_episodes;
	long classes[CLS_COUNT];	/* episodes per class */
	long pages;
	double flap_score;		/* the highest of its episodes */
	int flapping;			/* its latest episode flapped */
	double time_to_resolve;		/* median seconds, firing to resolved;
					   NAN: none resolved */
	long verdicts;			/* episodes with a human verdict */
	char *team;			/* its identities' analysis.team_label
					   values, "a, b"; "": none */
	struct alert_links links;	/* report_add_links'; none before */
};

/* An alertname with persistent episodes. */
struct report_persistent {
	char *alertname;
	long persistent_episodes, episodes;
	double longest_firing_seconds;	/* its longest persistent firing, to
					   now when still open */
	int still_firing;		/* that one has not resolved */
	struct alert_links links;	/* report_add_links'; none before */
};

/* An alertname that became noisy, or stopped being noisy (REPORT_NOISY_*):
 * its numbers now and in the previous window. */
struct report_noisy {
	char *alertname;
	long episodes, noise_episodes;
	double noise_ratio;		/* NAN: no episode */
	long previous_episodes;
	double previous_noise_ratio;
	struct alert_links links;	/* report_add_links'; none before */
};

/* A dedup group, from the analysis' typed group (report_json writes the
 * window's groups as an_groups_json made them: groups_json). */
struct report_group {
	const char *kind;		/* "replica", "cofiring", "storm" */
	char **members;			/* its members' alertnames, in order;
					   the report's */
	size_t nmembers;
	const char *leader;		/* the leader's alertname (one of
					   members); NULL: none */
	long support;
	double jaccard;			/* NAN when it has none */
	int is_new;			/* no group of the previous window has
					   its kind and members */
};

struct report {
	int64_t window_ms;
	int64_t from, to;		/* the window, epoch ms */
	char week[16];			/* the ISO week it is ("2026-W48"), or
					   "" (report_set_scope) */
	char **match;			/* the selection's selectors (an_opts
					   .match), as given; none: every
					   alert */
	size_t nmatch;
	int64_t prev_from, prev_to;	/* the one before */
	int64_t generated_at;
	char *timezone;			/* the zone's name, "UTC" */
	int work_start, work_end;	/* report_opts' */
	unsigned work_days;
	struct report_figure kpis[REPORT_NKPIS];
	int routed;			/* not_notified is known (a routing
					   tree told); else unknown */
	long not_notified[NN_COUNT];	/* fired episodes per NN_* reason */
	struct report_day *days;
	size_t ndays;
	struct report_alert *top;	/* the noisiest (top_noisy): most
					   noise episodes first */
	size_t ntop;
	struct report_alert *flapping;	/* with flapping episodes, most
					   first */
	size_t nflapping;
	struct report_persistent *persistent;	/* longest firing first */
	size_t npersistent;
	struct report_group *groups;	/* the window's dedup groups */
	size_t ngroups;
	json_t *groups_json;		/* an_groups_json's array, for
					   report_json */
	/* rc_list_json's array, as it was handed to report_build: rendered
	 * as it is (the only JSON a renderer reads) */
	json_t *recommendations;
	struct report_noisy *newly_noisy;	/* noisiest first */
	size_t nnewly_noisy;
	struct report_noisy *no_longer_noisy;	/* by the previous window,
						   noisiest first */
	size_t nno_longer_noisy;
	/* alertnames with fired episodes in the window and none in the one
	 * before (new), or the reverse (gone); by name */
	char **new_alerts, **gone_alerts;
	size_t nnew_alerts, ngone_alerts;
};

/* Builds the report of cur's window (see the top of this file for its
 * content and README for each key): cur is the analysis of [cur->from,
 * cur->to) at cur->now, run with o, which the previous window
 * (report_previous_span in ro's zone) is analysed with too. ro NULL takes
 * the defaults. recommendations is a JSON array
 * (rc_list_json's; NULL: none), borrowed: the report holds a reference
 * to it. Returns a new report the caller frees with report_free, or NULL
 * with err: the store failed, out of memory. */
struct report *report_build(struct store *st, const struct an_opts *o,
    const struct report_opts *ro, const struct analysis *cur,
    json_t *recommendations, char *err, size_t errlen);

/* The report of two analyses already run: cur over the window, prev over
 * the one before. report_build is an_run of the one before and this; the
 * unit tests call it with analyses built by hand. Of cur and prev the
 * report keeps only references to cur's groups' JSON (groups_json,
 * reference-counted). NULL on out-of-memory. */
struct report *report_from_analyses(const struct analysis *cur,
    const struct analysis *prev, const struct report_opts *ro,
    int64_t window_ms, int64_t now, json_t *recommendations);

/* Says what the report covers beyond its window: the ISO week it is (NULL
 * or "": none) and the selection its analyses were run with (the
 * selectors' text, copied). Returns 0, or -1 on out-of-memory (r
 * unchanged). */
int report_set_scope(struct report *r, const char *week,
    const char *const *match, size_t nmatch);
/* Gives every alertname row of r (top_noisy, flapping, persistent,
 * newly and no longer noisy) its links (links.h: runbook, graph, silence
 * form, alert page, dashboard at grafana_url, "" or NULL: none), read from
 * st: one read per distinct alertname. The renderings show them and
 * report_json writes them ("links") once added. Returns 0, or -1 with err
 * (the store failed, out of memory; r keeps the links made so far). */
int report_add_links(struct report *r, struct store *st,
    const char *grafana_url, char *err, size_t errlen);

/* Scopes the alert page links report_add_links gave r's rows: each
 * "/alerts/<name>" becomes "/alerts/<name>?week=<week>&team=<team>"
 * (either NULL or "": left out; both: unchanged), so that the page shows
 * the span and team the report is of. Returns 0, or -1 on out-of-memory
 * (r keeps the links changed so far, each whole). */
int report_scope_links(struct report *r, const char *week, const char *team);

/* Frees r and all it holds; NULL is a no-op. */
void report_free(struct report *r);

/* The report as GET /api/v1/report answers it (README "Weekly review
 * report" names each key): a new object the caller owns (json_decref), or
 * NULL on out-of-memory. */
json_t *report_json(const struct report *r);

/* Renders a report as GitHub-flavoured Markdown, or as one self-contained
 * HTML5 page: inline CSS and SVG, no script, no external resource, every
 * text HTML-escaped. The same report gives the same bytes. Returns a
 * string the caller frees, or NULL on out-of-memory. */
char *report_markdown(const struct report *r);
char *report_html(const struct report *r);

/* --- pieces of the HTML rendering, for other pages ---------------------
 * The daemon's web UI (daemon/ui.c) builds its pages from the same parts
 * as the report, with the shared pieces of html.h, so they look and print
 * like the report. Each appends to o (fmt.h): a failure (out of memory, the
 * document's limit) sets o->err. All text from the report is
 * HTML-escaped. */

struct buf;
struct fmt_out;

/* The key figures of a report (its kpis and not_notified): one card per
 * KPI with its value, change and previous value, in a <section>. */
void report_html_kpis(struct fmt_out *o, const struct report *r);

/* Recommendations (an array as rc_list_json makes / the report's
 * recommendations; NULL: none): a <section> with an <article> per entry:
 * kind and subject, summary, evidence, predicted savings, confidence, the
 * snippet in <pre> and the patches. */
void report_html_recommendations(struct fmt_out *o, const json_t *recs);

/* The report's charts, each one <svg> element: pages per day and noise
 * ratio per day (the report's days, n of them), and the noisiest alerts
 * (its top, at most 10 bars). */
void report_svg_pages(struct fmt_out *o, const struct report_day *days,
    size_t n);
void report_svg_ratio(struct fmt_out *o, const struct report_day *days,
    size_t n);
void report_svg_top(struct fmt_out *o, const struct report_alert *top,
    size_t n);


#endif

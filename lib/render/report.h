/* report.h -- the weekly alert-tuning review: one JSON document comparing a
 * window of alert history with the window before it, and its Markdown and
 * HTML renderings (README "Weekly review report").
 *
 * report_build takes the analysis of the current window [now - window,
 * now) -- the daemon's cached one, the same the API answers from -- runs
 * the previous one [now - 2 * window, now - window) (analysis.h), and
 * assembles KPIs with their change, per-day series, the noisiest,
 * flapping and persistent alertnames, dedup groups, the recommendations it
 * is handed and what changed since the previous window. The renderers only
 * read that JSON, so a report can be rendered again from a saved document,
 * and the same document always renders to the same bytes.
 *
 * Local time. Days and working hours are in the configured time zone, a
 * zone loaded once with the configuration (tzone.h, immutable), never the
 * process's TZ: any number of reports in different zones may run at once.
 *
 * Files: report_build.c builds the JSON; report_render.c walks its
 * sections for both renderings, report_md.c and report_html.c write them
 * (report_int.h is what they share); fmt.h and html.h are the text and
 * HTML pieces the report shares with the daemon's web pages. */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "config.h"
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

/* Builds the report of cur's window (see the top of this file for its
 * content and README for each key): cur is the analysis of [cur->from,
 * cur->to) at cur->now, run with o, which the previous window is analysed
 * with too. ro NULL takes the defaults. recommendations is a JSON array,
 * borrowed: the report holds a reference to it. Returns a new object the
 * caller owns (json_decref), or NULL with err: the store failed, out of
 * memory. */
json_t *report_build(struct store *st, const struct an_opts *o,
    const struct report_opts *ro, const struct analysis *cur,
    json_t *recommendations, char *err, size_t errlen);

/* The report of two analyses already run: cur over the window, prev over
 * the one before. report_build is an_run of the one before and this; the unit tests
 * call it with analyses built by hand. NULL on out-of-memory. */
json_t *report_from_analyses(const struct analysis *cur,
    const struct analysis *prev, const struct report_opts *ro,
    int64_t window_ms, int64_t now, json_t *recommendations);

/* Renders a report (as report_build makes it; missing keys are skipped or
 * shown as "n/a") as GitHub-flavoured Markdown, or as one self-contained
 * HTML5 page: inline CSS and SVG, no script, no external resource, every
 * text HTML-escaped. The same JSON gives the same bytes. Returns a string
 * the caller frees, or NULL on out-of-memory. */
char *report_markdown(const json_t *report);
char *report_html(const json_t *report);

/* --- pieces of the HTML rendering, for other pages ---------------------
 * The daemon's web UI (daemon/ui.c) builds its pages from the same parts
 * as the report, with the shared pieces of html.h, so they look and print
 * like the report. Each appends to o (fmt.h): a failure (out of memory, the
 * document's limit) sets o->err. All text that comes from the JSON is
 * HTML-escaped. */

struct buf;
struct fmt_out;

/* The key figures of a report (its "kpis" and "not_notified"): one card
 * per KPI with its value, change and previous value, in a <section>. */
void report_html_kpis(struct fmt_out *o, const json_t *report);

/* Recommendations (an array as rc_list_json makes / the report's
 * "recommendations"; NULL: none): a <section> with an <article> per entry:
 * kind and subject, summary, evidence, predicted savings, confidence, the
 * snippet in <pre> and the patches. */
void report_html_recommendations(struct fmt_out *o, const json_t *recs);

/* The report's charts, each one <svg> element: pages per day (the
 * report's "pages_per_day"), noise ratio per day ("noise_ratio_per_day")
 * and the noisiest alerts ("top_noisy", at most 10 bars). */
void report_svg_pages(struct fmt_out *o, const json_t *pages_per_day);
void report_svg_ratio(struct fmt_out *o, const json_t *noise_ratio_per_day);
void report_svg_top(struct fmt_out *o, const json_t *top_noisy);

/* html_esc (html.h) for a page built in a struct buf: appends s escaped to
 * b; 0, or -1 when b ran out of memory or reached its limit. Kept for
 * daemon/feedback.c until it builds its page with fmt.h. */
int report_html_escape(struct buf *b, const char *s);

#endif

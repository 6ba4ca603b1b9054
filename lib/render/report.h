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
 * process's TZ: any number of reports in different zones may run at once. */
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
 * The daemon's web UI (daemon/ui.c) builds its pages from the same parts,
 * so they look and print like the report. Each function appends to b
 * (buf.h) and returns 0, or -1 when b ran out of memory or reached its
 * limit (b then holds a partial page, for the caller to discard). All text
 * that comes from the JSON is HTML-escaped. */

/* Width of the SVG charts' coordinate system; they scale to the page. */
#define REPORT_SVG_WIDTH	720
/* The charts' colours. */
#define REPORT_COLOR_NOISE	"#cf222e"
#define REPORT_COLOR_OTHER	"#0969da"
#define REPORT_COLOR_GRID	"#eaeef2"
#define REPORT_COLOR_AXIS	"#8c959f"
#define REPORT_COLOR_TOTAL	"#d0d7de"

struct buf;

/* s HTML-escaped (& < > " '), for element content and quoted attributes;
 * _cut cuts s to at most max bytes on a UTF-8 boundary first, marking a
 * cut with "…". */
int report_html_escape(struct buf *b, const char *s);
int report_html_escape_cut(struct buf *b, const char *s, size_t max);

/* The start of a page: "<!doctype html>" through the report's <style>
 * element (screen and print CSS), inside an open <head>; the caller adds
 * its <title> (and any more style) and closes the head. */
int report_html_head(struct buf *b);

/* The key figures of a report (its "kpis"): one card per KPI with its
 * value, change and previous value, in a <section>. */
int report_html_kpis(struct buf *b, const json_t *report);

/* Recommendations (an array as recommendations_for / the report's
 * "recommendations"): a <section> with an <article> per entry: kind and
 * subject, summary, evidence, predicted savings, confidence, and the
 * snippet in <pre>. */
int report_html_recommendations(struct buf *b, const json_t *recs);

/* The report's charts, each one <svg> element: pages per day (the
 * report's "pages_per_day"), noise ratio per day ("noise_ratio_per_day")
 * and the noisiest alerts ("top_noisy", at most 10 bars). */
int report_svg_pages(struct buf *b, const json_t *pages_per_day);
int report_svg_ratio(struct buf *b, const json_t *noise_ratio_per_day);
int report_svg_top(struct buf *b, const json_t *top_noisy);

/* Opens an <svg> of REPORT_SVG_WIDTH by height with an accessible title
 * (id: the title element's id, unique in the page and written as it is, so
 * a constant; title: plain text); the caller closes it. A legend entry: a
 * colour square at x and its text. */
int report_svg_open(struct buf *b, const char *id, int height,
    const char *title);
int report_svg_legend(struct buf *b, double x, const char *color,
    const char *text);

/* Numbers as the report shows them, plain text with nothing to escape:
 * seconds for people ("42s", "4m 05s", "3h 20m", "2d 04h"); a ratio as a
 * percentage ("62.5%"); a number with at most dec decimals; "n/a" for what
 * is not a number. */
void report_fmt_duration(double seconds, char *out, size_t outlen);
void report_fmt_ratio(const json_t *v, char *out, size_t outlen);
void report_fmt_number(const json_t *v, int dec, char *out, size_t outlen);

/* A recommendation's evidence or predicted savings, or a group's
 * evidence, as one line of text (not escaped): an object's "summary", else
 * its scalar members as "key: value, ..." ("x_before"/"x_after" as one
 * "x: before -> after"). NULL when there is nothing to show (or no
 * memory); else the caller frees. */
char *report_fields_text(const json_t *v);

#endif

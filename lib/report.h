/* report.h -- the weekly alert-tuning review: one JSON document comparing a
 * window of alert history with the window before it, and its Markdown and
 * HTML renderings (README "Weekly review report").
 *
 * report_build runs two analyses (analysis.h): the current window
 * [now - window, now) and the previous one [now - 2 * window, now - window),
 * and assembles KPIs with their change, per-day series, the noisiest,
 * flapping and persistent alertnames, dedup groups, the recommendations it
 * is handed and what changed since the previous window. The renderers only
 * read that JSON, so a report can be rendered again from a saved document,
 * and the same document always renders to the same bytes.
 *
 * Local time. Days and working hours are in the configured time zone, which
 * this code reads through localtime_r, i.e. the process's TZ. TZ is process
 * global and setenv is not thread-safe, so it is set in one place only:
 * report_tz_apply, called once at start-up (before any thread exists) and at
 * each config reload with the config write lock held; report code runs with
 * the config read lock held (or single-threaded, in the CLI). That way no
 * report reads the zone while it changes. */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "store.h"

/* Days of the week as bits of report_opts.work_days: Monday is bit 0. */
enum {
	REPORT_MON = 1 << 0, REPORT_TUE = 1 << 1, REPORT_WED = 1 << 2,
	REPORT_THU = 1 << 3, REPORT_FRI = 1 << 4, REPORT_SAT = 1 << 5,
	REPORT_SUN = 1 << 6,
};

struct report_opts {
	const char *timezone;	/* IANA name or "UTC"; it must be the zone in
				   effect (report_tz_apply). Borrowed */
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

/* Makes tz ("UTC" or a name under /usr/share/zoneinfo) the process's local
 * time zone: setenv("TZ") and tzset(). Not thread-safe, see above. Returns
 * 0, or -1 with err (out of memory). */
int report_tz_apply(const char *tz, char *err, size_t errlen);

/* Whether a page at ms (epoch milliseconds) was sent out of working hours:
 * its local time falls outside [work_start, work_end) or on a day not in
 * work_days. */
int report_out_of_hours(const struct report_opts *ro, int64_t ms);

/* The local date of ms as "YYYY-MM-DD" (out: at least 11 bytes). */
void report_local_day(int64_t ms, char *out, size_t outlen);

/* Builds the report of the window_ms before now (see the top of this file
 * for its content and README for each key). ro NULL takes the defaults.
 * recommendations is a JSON array, borrowed: the report holds a reference
 * to it. Returns a new object the caller owns (json_decref), or NULL with
 * err: the store failed, ro's zone is not in effect, out of memory. */
json_t *report_build(struct store *st, const struct an_opts *o,
    const struct report_opts *ro, int64_t window_ms, int64_t now,
    json_t *recommendations, char *err, size_t errlen);

/* The report of two analyses already run: cur over the window, prev over
 * the one before. report_build is an_run twice and this; the unit tests
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

#endif

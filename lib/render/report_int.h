/* report_int.h -- what the files of the weekly report share; report.h is
 * the API. Included by report_build.c, report_render.c, report_md.c and
 * report_html.c, and by nothing else.
 *
 * report_build.c makes the report (struct report) and its JSON;
 * report_render.c holds what the two other renderings have in common: it
 * walks a section of the struct, turns each item into text (numbers
 * formatted, rows of cells) and hands it to a small writer of the format,
 * in report_md.c or report_html.c, which only decides the markup. So both
 * formats always show the same items, in the same order, with the same
 * numbers. */
#ifndef AN_REPORT_INT_H
#define AN_REPORT_INT_H

#include <stddef.h>

#include <jansson.h>

#include "report.h"

struct fmt_out;

/* A rendered document is a few tens of KB; this only bounds a runaway. */
#define REPORT_RENDER_MAX	((size_t)64 << 20)

/* The KPIs, indexed by enum report_kpi_id: their JSON keys, labels and
 * kinds. higher_better tells which way a change is an improvement.
 * Defined in report_build.c. */
enum kpi_kind { K_RATIO, K_COUNT, K_SECONDS };

struct kpi_def {
	const char *key, *label;
	enum kpi_kind kind;
	int higher_better;
};

extern const struct kpi_def report__kpi_defs[REPORT_NKPIS];

/* "mon" .. "sun": the bits of report_opts.work_days, as the JSON names
 * them. */
extern const char *const report__day_names[7];

/* The report's working hours as "09:00-18:00", into out. */
void report__hours(const struct report *r, char *out, size_t outlen);

/* A string member of a JSON object (a recommendation), dflt when there is
 * none. */
const char *report__str(const json_t *o, const char *key, const char *dflt);

/* --- the renderings' common part (report_render.c) ----------------------
 * A writer of escaped text, a format's own: Markdown's text or code span,
 * HTML's escaping. */
typedef void report_text_fn(struct fmt_out *o, const char *s);

/* The report's days, "2026-11-19 to 2026-11-25", from its per-day series
 * (else from and to), into out: plain text, not escaped. */
void report__span(const struct report *r, char *out, size_t outlen);

/* The report's first sentence, "Window 7d from ... Generated <time>",
 * its values written by text; the caller ends the sentence. */
void report__intro(struct fmt_out *o, const struct report *r,
    report_text_fn *text);

/* "Fired but never notified: 2 silenced, 1 inhibited." into buf
 * (plain text, nothing to escape); 0 when there is nothing to say (no
 * routing tree, or none). */
int report__not_notified(const struct report *r, char *buf, size_t size);

/* A KPI change: arrow ("▲", "▼", "=", "" when none), signed text ("+12.5
 * pp", "-2", "+1m 05s", "n/a") and verdict ("worse", "better", "" when
 * none). */
struct change {
	const char *arrow;
	char text[48];
	const char *verdict;
};

/* A KPI as shown: its label, current and previous value ("n/a" when
 * missing) and change. All plain text. */
struct report_kpi {
	const char *label;
	char cur[48], prev[48];
	struct change c;
};

/* Calls kpi for each of the report's KPIs, in report order. */
void report__kpis(struct fmt_out *o, const struct report *r,
    void (*kpi)(struct fmt_out *o, const struct report_kpi *k));

/* The pages figure as "What changed" shows it. */
void report__pages_change(const struct report *r, struct report_kpi *k);

/* A table of the report: one of its lists, one row per element, and its
 * columns. A column's cells are written as plain text (numbers and words
 * the renderer made: as they are in Markdown, escaped in HTML), as text
 * from the report (escaped for the format) or as a code span (names). A
 * NULL cell is written as "-", plain. */
#define REPORT_COLS_MAX	9

enum report_cell { CELL_PLAIN, CELL_TEXT, CELL_CODE };

struct report_col {
	const char *label;	/* a constant, nothing to escape */
	int num;		/* a number: right-aligned */
	enum report_cell kind;
};

struct report_row {
	const char *cell[REPORT_COLS_MAX];
	char text[REPORT_COLS_MAX][256];	/* what the cells point to */
	char *owned;		/* freed once the row is written */
	const struct alert_links *links;	/* the row's alertname's,
						   shown after cell
						   links_col; NULL: none */
	size_t links_col;
};

struct report_table {
	const char *id, *title;	/* its section's HTML id and heading */
	size_t ncols;
	struct report_col cols[REPORT_COLS_MAX];
	size_t (*nrows)(const struct report *r);
	/* the cells of element i of the list; -1 on out-of-memory */
	int (*row)(const struct report *r, size_t i, struct report_row *row);
};

/* Pages and noise per day; the noisiest alerts; flapping and persistent
 * alerts; the dedup groups. */
extern const struct report_table report__days, report__top,
    report__flapping, report__persistent, report__groups;

/* The number of rows of t in r. */
size_t report__nrows(const struct report *r, const struct report_table *t);

/* Calls row for each row of t in report, in order; sets o->err and stops
 * when a row cannot be made (out of memory). */
void report__rows(struct fmt_out *o, const struct report *r,
    const struct report_table *t,
    void (*row)(struct fmt_out *o, const struct report_table *t,
    const struct report_row *r));

/* A recommendation as shown. Strings from its JSON (to escape); NULL:
 * none. */
struct report_rec {
	size_t n;		/* its number, from 1 */
	const char *kind;	/* "recommendation" when it has none */
	const char *subject;	/* its title, alertname or target */
	int code;		/* subject is a name (code), not prose */
	const char *why, *confidence, *target, *snippet;
	const char *evidence, *savings;	/* "n/a" when none */
	long long lost;		/* actionable episodes lost in replay */
};

/* How a format writes a recommendation: head for the recommendation, then
 * patch for each of its patches (diff NULL: not made, error says why),
 * then end (NULL: nothing). */
struct report_rec_writer {
	void (*head)(struct fmt_out *o, const struct report_rec *r);
	void (*patch)(struct fmt_out *o, const char *file, const char *diff,
	    const char *error);
	void (*end)(struct fmt_out *o);
};

/* Writes the first max recommendations of recs (an array, NULL: none; max
 * 0: all) with w. */
void report__recommendations(struct fmt_out *o, const json_t *recs,
    size_t max, const struct report_rec_writer *w);

/* " (noise ratio at least 50% over at least 2 episodes)": what "noisy"
 * means in "changes", into out. */
void report__noisy_rule(char *out, size_t outlen);

/* The new and gone alertnames (report.h) a list shows: at most this many,
 * then how many more. */
#define REPORT_NAMES_SHOWN	20

/* Calls item for each alert of the newly_noisy or no_longer_noisy list
 * (n of them): its name (to escape), "100% noise of 9 episodes
 * (previous window: no episodes)" (plain text) and its links. */
void report__noisy(struct fmt_out *o, const struct report_noisy *list,
    size_t n,
    void (*item)(struct fmt_out *o, const char *name, const char *text,
    const struct alert_links *links));

/* The number of the report's new groups (report_group.is_new). */
size_t report__nnew_groups(const struct report *r);

/* Calls item for each new group: its kind and its members' alertnames,
 * "Storm ×12" (both to escape); sets o->err and stops on out-of-memory. */
void report__new_groups(struct fmt_out *o, const struct report *r,
    void (*item)(struct fmt_out *o, const char *kind, const char *members));

#endif

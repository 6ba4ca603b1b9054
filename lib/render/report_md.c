/* report_md.c -- the weekly report as GitHub-flavoured Markdown
 * (report_markdown, report.h). The sections and their items come from
 * report_render.c; this file writes them: headings, tables (GFM), lists,
 * code spans and fences (CommonMark), every text from the report escaped. */
#include "report.h"
#include "report_int.h"

#include <string.h>

#include "fmt.h"

/* Text with Markdown's active characters backslash-escaped and line breaks
 * made spaces, safe in a paragraph and a table cell. */
static void
md_text(struct fmt_out *o, const char *s)
{
	for (const char *run = s;; s++) {
		if (*s != '\0' && !strchr("\\`*_[]<>|~#&\n\r", *s))
			continue;
		fmt_putn(o, run, (size_t)(s - run));
		if (*s == '\0')
			return;
		if (*s == '\n' || *s == '\r')
			fmt_put(o, " ");
		else
			fmt_putf(o, "\\%c", *s);
		run = s + 1;
	}
}

/* A code span (CommonMark 6.1): delimited by one backtick more than the
 * longest run inside, padded when the text starts or ends with one. Pipes
 * are escaped and line breaks made spaces, so it also fits a table cell
 * (GFM 4.10). */
static void
md_code(struct fmt_out *o, const char *s)
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
		fmt_put(o, "`");
	if (pad)
		fmt_put(o, " ");
	for (p = s; *p; p++) {
		if (*p == '|')
			fmt_put(o, "\\|");
		else if (*p == '\n' || *p == '\r')
			fmt_put(o, " ");
		else
			fmt_putn(o, p, 1);
	}
	if (pad)
		fmt_put(o, " ");
	for (size_t i = 0; i <= longest; i++)
		fmt_put(o, "`");
}

/* A fenced code block (CommonMark 4.5) whose fence is longer than any
 * backtick run in s. */
static void
md_fence(struct fmt_out *o, const char *info, const char *s)
{
	size_t run = 0, longest = 0, fence;

	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	fence = longest >= 3 ? longest + 1 : 3;
	for (size_t i = 0; i < fence; i++)
		fmt_put(o, "`");
	fmt_putf(o, "%s\n%s", info, s);
	if (*s && s[strlen(s) - 1] != '\n')
		fmt_put(o, "\n");
	for (size_t i = 0; i < fence; i++)
		fmt_put(o, "`");
	fmt_put(o, "\n\n");
}

/* A section's heading; when it has nothing to show (n is 0) and none is
 * not NULL, the note none instead of its content. Returns whether its
 * content follows. */
static int
md_section(struct fmt_out *o, const char *title, size_t n, const char *none)
{
	fmt_putf(o, "## %s\n\n", title);
	if (n == 0 && none != NULL) {
		fmt_putf(o, "_%s_\n\n", none);
		return 0;
	}
	return 1;
}

static void
md_row(struct fmt_out *o, const struct report_table *t,
    const struct report_row *r)
{
	fmt_put(o, "|");
	for (size_t k = 0; k < t->ncols; k++) {
		const char *s = r->cell[k];

		fmt_put(o, " ");
		if (s == NULL)
			fmt_put(o, "-");
		else if (t->cols[k].kind == CELL_CODE)
			md_code(o, s);
		else if (t->cols[k].kind == CELL_TEXT)
			md_text(o, s);
		else
			fmt_put(o, s);
		if (r->links != NULL && r->links_col == k)
			links_md(o, r->links, 1);
		fmt_put(o, " |");
	}
	fmt_put(o, "\n");
}

/* The section of table t: its heading, then the table (GFM 4.10) or none
 * when it has no row. */
static void
md_table(struct fmt_out *o, const struct report *report,
    const struct report_table *t, const char *none)
{
	if (!md_section(o, t->title, report__nrows(report, t), none))
		return;
	fmt_put(o, "|");
	for (size_t k = 0; k < t->ncols; k++)
		fmt_putf(o, " %s%s|", t->cols[k].label,
		    *t->cols[k].label ? " " : "");
	fmt_put(o, "\n|");
	for (size_t k = 0; k < t->ncols; k++)
		fmt_put(o, t->cols[k].num ? " ---: |" : " --- |");
	fmt_put(o, "\n");
	report__rows(o, report, t, md_row);
	fmt_put(o, "\n");
}

static void
md_kpi(struct fmt_out *o, const struct report_kpi *k)
{
	const struct change *c = &k->c;

	fmt_putf(o, "| %s | %s | %s | %s%s%s%s%s |\n", k->label, k->cur,
	    k->prev, c->arrow, *c->arrow ? " " : "", c->text,
	    *c->verdict ? " " : "", *c->verdict ? (strcmp(c->verdict,
	    "worse") == 0 ? "(worse)" : "(better)") : "");
}

static void
md_kpis(struct fmt_out *o, const struct report *report)
{
	char nn[256];

	md_section(o, "Key figures", 1, NULL);
	fmt_put(o, "| | Current | Previous | Change |\n"
	    "| --- | ---: | ---: | --- |\n");
	report__kpis(o, report, md_kpi);
	fmt_put(o, "\n");
	if (report__not_notified(report, nn, sizeof(nn)))
		fmt_putf(o, "%s\n\n", nn);
}

static void
md_rec_head(struct fmt_out *o, const struct report_rec *r)
{
	fmt_putf(o, "### %zu. ", r->n);
	md_text(o, r->kind);
	if (r->subject) {
		fmt_put(o, ": ");
		if (r->code)
			md_code(o, r->subject);
		else
			md_text(o, r->subject);
	}
	fmt_put(o, "\n\n");
	if (r->why) {
		fmt_put(o, "- **Why:** ");
		md_text(o, r->why);
		fmt_put(o, "\n");
	}
	fmt_put(o, "- **Evidence:** ");
	md_text(o, r->evidence);
	fmt_put(o, "\n- **Predicted savings:** ");
	md_text(o, r->savings);
	fmt_put(o, "\n");
	if (r->confidence || r->target) {
		fmt_put(o, "- **Confidence:** ");
		md_text(o, r->confidence ? r->confidence : "n/a");
		if (r->target) {
			fmt_put(o, "; **applies to:** ");
			md_text(o, r->target);
		}
		fmt_put(o, "\n");
	}
	fmt_put(o, "\n");
	if (r->lost > 0)
		fmt_putf(o, "**Loses %lld actionable episode%s** in the "
		    "replay: check before applying.\n\n", r->lost,
		    r->lost == 1 ? "" : "s");
	if (r->snippet)
		md_fence(o, "yaml", r->snippet);
}

static void
md_patch(struct fmt_out *o, const char *file, const char *diff,
    const char *error)
{
	fmt_put(o, "Patch of ");
	md_code(o, file);
	if (diff == NULL) {
		fmt_put(o, ": not made, ");
		md_text(o, error);
		fmt_put(o, "\n\n");
		return;
	}
	fmt_put(o, ":\n\n");
	md_fence(o, "diff", diff);
}

static void
md_recommendations(struct fmt_out *o, const struct report *report)
{
	static const struct report_rec_writer w = { md_rec_head, md_patch,
	    NULL };
	const json_t *recs = report->recommendations;

	if (!md_section(o, "Recommendations", json_array_size(recs),
	    "None this time."))
		return;
	report__recommendations(o, recs, REPORT_RECS_SHOWN, &w);
	if (json_array_size(recs) > REPORT_RECS_SHOWN)
		fmt_putf(o, "%zu more, by pages saved: `GET "
		    "/api/v1/recommendations` or the `/recommendations` page "
		    "of alertnoised.\n\n", json_array_size(recs) -
		    REPORT_RECS_SHOWN);
}

/* "  - `A`: 100% noise of 9 episodes (previous window: 20% of 5)" */
static void
md_noisy_item(struct fmt_out *o, const char *name, const char *text,
    const struct alert_links *links)
{
	fmt_put(o, "  - ");
	md_code(o, name);
	links_md(o, links, 1);
	fmt_putf(o, ": %s\n", text);
}

static void
md_group_item(struct fmt_out *o, const char *kind, const char *members)
{
	fmt_put(o, "  - ");
	md_text(o, kind);
	fmt_put(o, ": ");
	md_code(o, members);
	fmt_put(o, "\n");
}

/* "- **title:** `A`, `B` and 3 more" (title a constant, its closing
 * "**" in it), or "none". */
static void
md_names(struct fmt_out *o, const char *title, char *const *names, size_t n)
{
	fmt_putf(o, "- **%s:", title);
	for (size_t i = 0; i < n && i < REPORT_NAMES_SHOWN; i++) {
		fmt_put(o, i ? ", " : " ");
		md_code(o, names[i]);
	}
	if (n > REPORT_NAMES_SHOWN)
		fmt_putf(o, " and %zu more", n - REPORT_NAMES_SHOWN);
	fmt_put(o, n ? "\n" : " none\n");
}

static void
md_changes(struct fmt_out *o, const struct report *report)
{
	size_t nnew = report__nnew_groups(report);
	struct report_kpi pages;
	char rule[96];

	md_section(o, "What changed", 1, NULL);
	report__pages_change(report, &pages);
	fmt_putf(o, "- **Pages:** %s, previous window %s (%s%s%s)\n",
	    pages.cur, pages.prev, pages.c.arrow, *pages.c.arrow ? " " : "",
	    pages.c.text);
	report__noisy_rule(rule, sizeof(rule));
	fmt_putf(o, "- **Newly noisy**%s:%s\n", rule,
	    report->nnewly_noisy ? "" : " none");
	report__noisy(o, report->newly_noisy, report->nnewly_noisy,
	    md_noisy_item);
	fmt_putf(o, "- **No longer noisy:**%s\n", report->nno_longer_noisy ?
	    "" : " none");
	report__noisy(o, report->no_longer_noisy, report->nno_longer_noisy,
	    md_noisy_item);
	md_names(o, "New alerts** (fired, and not in the window before)",
	    report->new_alerts, report->nnew_alerts);
	md_names(o, "Gone alerts** (fired in the window before, not now)",
	    report->gone_alerts, report->ngone_alerts);
	fmt_putf(o, "- **New dedup groups:**%s\n", nnew ? "" : " none");
	report__new_groups(o, report, md_group_item);
	fmt_put(o, "\n");
}

char *
report_markdown(const struct report *report)
{
	struct fmt_out o;
	char span[80];

	fmt_init(&o, REPORT_RENDER_MAX);
	report__span(report, span, sizeof(span));
	fmt_put(&o, "# Alert noise review: ");
	md_text(&o, span);
	fmt_put(&o, "\n\n");
	report__intro(&o, report, md_text);
	fmt_put(&o, " by alertnoised.\n\n");
	md_kpis(&o, report);
	md_table(&o, report, &report__days, "No days.");
	md_table(&o, report, &report__top, "No noise in this window.");
	md_table(&o, report, &report__flapping, "None.");
	md_table(&o, report, &report__persistent, "None.");
	md_table(&o, report, &report__groups, "None.");
	md_recommendations(&o, report);
	md_changes(&o, report);
	return fmt_finish(&o);
}

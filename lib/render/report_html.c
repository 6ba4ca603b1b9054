/* report_html.c -- the weekly report as one self-contained HTML5 page
 * (report_html, report.h): inline CSS and SVG, no script, no external
 * resource, every text from the report escaped. The sections and their items
 * come from report_render.c; this file writes them as HTML with the
 * shared pieces of html.h, and draws the report's charts. Its KPI cards,
 * recommendations and charts are also pieces of the daemon's web UI
 * (report.h). */
#include "report.h"
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "an_views.h"
#include "buf.h"
#include "fmt.h"
#include "html.h"

/* Bars and labels in the top-noisy chart. */
#define CHART_TOP	10
#define LABEL_MAX	28	/* bytes of an alertname shown in a chart: what
				 * the label column holds at 11px */

/* Chart geometry and colours (SVG user units; the page scales it). */
#define SVG_W		HTML_SVG_WIDTH
#define COLOR_NOISE	HTML_COLOR_NOISE
#define COLOR_OTHER	HTML_COLOR_OTHER
#define COLOR_GRID	HTML_COLOR_GRID
#define COLOR_AXIS	HTML_COLOR_AXIS
#define COLOR_TOTAL	HTML_COLOR_TOTAL

/* --- charts -------------------------------------------------------------- */

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

/* Pages per day: bars, the noise pages at the bottom in red, the other
 * pages stacked on them in blue. */
void
report_svg_pages(struct fmt_out *o, const struct report_day *days, size_t n)
{
	const double L = 44, R = 12, T = 28, B = 30, H = 240;
	const double pw = SVG_W - L - R, ph = H - T - B;
	size_t every = label_every(n);
	double slot = n ? pw / (double)n : pw, bw = slot * 0.7;
	long max = 0, top, step;

	for (size_t i = 0; i < n; i++)
		if (days[i].pages > max)
			max = days[i].pages;
	axis_int(max, &top, &step);
	html_svg_open(o, "chart-pages", (int)H, "Pages per day, noise pages in "
	    "red under the other pages in blue");
	for (long v = 0; v <= top; v += step) {
		double y = T + ph - (double)v / (double)top * ph;

		fmt_putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%ld</text>\n", L, SVG_W - R, y, y,
		    COLOR_GRID, L - 6, y + 4, v);
	}
	for (size_t i = 0; i < n; i++) {
		long pages = days[i].pages, noise = days[i].noise_pages;
		double x = L + (double)i * slot + (slot - bw) / 2;
		double hn = (double)noise / (double)top * ph;
		double ho = (double)(pages - noise) / (double)top * ph;
		const char *day = days[i].day;

		fmt_put(o, "<g><title>");
		html_esc(o, day);
		fmt_putf(o, ": %ld pages, %ld noise</title>", pages, noise);
		if (noise > 0)
			fmt_putf(o, "<rect x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x,
			    T + ph - hn, bw, hn, COLOR_NOISE);
		if (pages - noise > 0)
			fmt_putf(o, "<rect x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x,
			    T + ph - hn - ho, bw, ho, COLOR_OTHER);
		fmt_put(o, "</g>\n");
		if (i % every == 0) {
			fmt_putf(o, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">", x + bw / 2, H - B + 16);
			html_esc(o, day_label(day));
			fmt_put(o, "</text>\n");
		}
	}
	fmt_putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\"/>\n", L, SVG_W - R, T + ph, T + ph, COLOR_AXIS);
	html_svg_legend(o, L, COLOR_NOISE, "noise pages");
	html_svg_legend(o, L + 110, COLOR_OTHER, "other pages");
	fmt_put(o, "</svg>\n");
}

/* Noise ratio per day: a line through the days that had episodes (broken
 * where a day had none), a point per day. */
void
report_svg_ratio(struct fmt_out *o, const struct report_day *days, size_t n)
{
	const double L = 44, R = 12, T = 16, B = 30, H = 220;
	const double pw = SVG_W - L - R, ph = H - T - B;
	size_t every = label_every(n), run = 0;
	double slot = n ? pw / (double)n : pw;

	html_svg_open(o, "chart-ratio", (int)H, "Noise ratio per day: the "
	    "share of the episodes that fired that day that were noise");
	for (int v = 0; v <= 100; v += 25) {
		double y = T + ph - v / 100.0 * ph;

		fmt_putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%d%%</text>\n", L, SVG_W - R, y, y,
		    COLOR_GRID, L - 6, y + 4, v);
	}
	/* the line: one polyline per run of days with a ratio */
	for (size_t i = 0; i <= n; i++) {
		double r = i < n ? an_ratio(days[i].noise_episodes,
		    days[i].episodes) : NAN;

		if (!isnan(r)) {
			double x = L + ((double)i + 0.5) * slot;
			double y = T + ph - r * ph;

			if (run++ == 0)
				fmt_putf(o, "<polyline fill=\"none\" "
				    "stroke=\"%s\" stroke-width=\"2\" "
				    "points=\"", COLOR_NOISE);
			fmt_putf(o, "%s%.1f,%.1f", run > 1 ? " " : "", x, y);
		} else if (run > 0) {
			fmt_put(o, "\"/>\n");
			run = 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct report_day *d = &days[i];
		double r = an_ratio(d->noise_episodes, d->episodes);
		const char *day = d->day;
		double x = L + ((double)i + 0.5) * slot;

		if (!isnan(r)) {
			char pct[24];

			fmt_pct(r, pct, sizeof(pct));
			fmt_putf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			    "fill=\"%s\"><title>", x, T + ph - r * ph,
			    COLOR_NOISE);
			html_esc(o, day);
			fmt_putf(o, ": %s of %ld episodes</title></circle>\n",
			    pct, d->episodes);
		}
		if (i % every == 0) {
			fmt_putf(o, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">", x, H - B + 16);
			html_esc(o, day_label(day));
			fmt_put(o, "</text>\n");
		}
	}
	fmt_putf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\"/>\n", L, SVG_W - R, T + ph, T + ph, COLOR_AXIS);
	fmt_put(o, "</svg>\n");
}

/* The noisiest alerts: a grey bar of episodes, the noise part in red. */
void
report_svg_top(struct fmt_out *o, const struct report_alert *top, size_t n)
{
	const double LW = 220, T = 8, ROW = 26;
	double bar_max = SVG_W - LW - 120, H;
	long max = 1;

	if (n > CHART_TOP)
		n = CHART_TOP;
	H = T + ROW * (double)n + 8;
	for (size_t i = 0; i < n; i++)
		if (top[i].episodes > max)
			max = top[i].episodes;
	html_svg_open(o, "chart-top", (int)H, "The noisiest alerts: episodes "
	    "in grey, the noise episodes among them in red");
	for (size_t i = 0; i < n; i++) {
		const struct report_alert *a = &top[i];
		long eps = a->episodes, noise = a->noise_episodes;
		double y = T + ROW * (double)i;
		double we = (double)eps / (double)max * bar_max;
		double wn = (double)noise / (double)max * bar_max;
		char pct[24];

		fmt_pct(an_ratio(noise, eps), pct, sizeof(pct));
		fmt_put(o, "<g><title>");
		html_esc(o, a->alertname);
		fmt_putf(o, ": %ld of %ld episodes noise (%s)</title>", noise,
		    eps, pct);
		fmt_putf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
		    LW - 8, y + 16);
		html_esc_cut(o, a->alertname, LABEL_MAX);
		fmt_putf(o, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\"/><rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\">%ld of %ld (%s)</text></g>\n",
		    LW, y + 4, we, COLOR_TOTAL, LW, y + 4, wn, COLOR_NOISE,
		    LW + we + 6, y + 16, noise, eps, pct);
	}
	fmt_put(o, "</svg>\n");
}

/* --- sections ------------------------------------------------------------ */

/* A section's start and heading; when it has nothing to show (n is 0) and
 * none is not NULL, the note none and the section's end instead of its
 * content. Returns whether its content follows (the caller then ends the
 * section). */
static int
html_section(struct fmt_out *o, const char *id, const char *title, size_t n,
    const char *none)
{
	fmt_putf(o, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
	if (n == 0 && none != NULL) {
		fmt_putf(o, "<p class=\"muted\">%s</p>\n</section>\n", none);
		return 0;
	}
	return 1;
}

static void
html_row(struct fmt_out *o, const struct report_table *t,
    const struct report_row *r)
{
	fmt_put(o, "<tr>");
	for (size_t k = 0; k < t->ncols; k++) {
		const char *s = r->cell[k];

		fmt_put(o, t->cols[k].num ? "<td class=\"n\">" : "<td>");
		if (s == NULL) {
			fmt_put(o, "-");
		} else if (t->cols[k].kind == CELL_CODE) {
			fmt_put(o, "<code>");
			html_esc(o, s);
			fmt_put(o, "</code>");
		} else {
			html_esc(o, s);
		}
		if (r->links != NULL && r->links_col == k)
			links_html(o, r->links, 1);
		fmt_put(o, "</td>");
	}
	fmt_put(o, "</tr>\n");
}

/* The section of table t: its heading, then the figure before (NULL:
 * none), the table and the figure after (NULL: none), or none when it has
 * no row (NULL: the table even then). The table sits in a box of its own
 * that scrolls sideways when the table is wider than the page, so the page
 * never does. */
static void
html_table(struct fmt_out *o, const struct report *report,
    const struct report_table *t, const char *none,
    void (*before)(struct fmt_out *o, const struct report *report),
    void (*after)(struct fmt_out *o, const struct report *report))
{
	if (!html_section(o, t->id, t->title, report__nrows(report, t), none))
		return;
	if (before != NULL)
		before(o, report);
	fmt_put(o, "<div class=\"tw\">\n<table>\n<thead><tr>");
	for (size_t k = 0; k < t->ncols; k++)
		fmt_putf(o, "<th%s>%s</th>", t->cols[k].num ? " class=\"n\"" :
		    "", t->cols[k].label);
	fmt_put(o, "</tr></thead>\n<tbody>\n");
	report__rows(o, report, t, html_row);
	fmt_put(o, "</tbody>\n</table>\n</div>\n");
	if (after != NULL)
		after(o, report);
	fmt_put(o, "</section>\n");
}

static void
html_day_charts(struct fmt_out *o, const struct report *report)
{
	fmt_put(o, "<div class=\"charts\">\n<figure>\n");
	report_svg_pages(o, report->days, report->ndays);
	fmt_put(o, "<figcaption>Pages per day; red: pages whose alerts were "
	    "all noise.</figcaption>\n</figure>\n<figure>\n");
	report_svg_ratio(o, report->days, report->ndays);
	fmt_put(o, "<figcaption>Noise ratio of the episodes that fired each "
	    "day (no point: no episode).</figcaption>\n</figure>\n</div>\n");
}

static void
html_top_chart(struct fmt_out *o, const struct report *report)
{
	fmt_put(o, "<figure>\n");
	report_svg_top(o, report->top, report->ntop);
	fmt_put(o, "<figcaption>Episodes per alert (grey), noise among them "
	    "(red).</figcaption>\n</figure>\n");
}

static void
html_kpi(struct fmt_out *o, const struct report_kpi *k)
{
	const struct change *c = &k->c;

	fmt_putf(o, "<div class=\"kpi\"><div class=\"l\">%s</div>"
	    "<div class=\"v\">%s</div><div class=\"c%s%s\">%s%s%s%s%s"
	    "</div><div class=\"muted\">previous: %s</div></div>\n",
	    k->label, k->cur, *c->verdict ? " " : "", c->verdict,
	    c->arrow, *c->arrow ? " " : "", c->text,
	    *c->verdict ? ", " : "", c->verdict, k->prev);
}

void
report_html_kpis(struct fmt_out *o, const struct report *report)
{
	char nn[256];

	html_section(o, "kpis", "Key figures", 1, NULL);
	fmt_put(o, "<div class=\"kpis\">\n");
	report__kpis(o, report, html_kpi);
	fmt_put(o, "</div>\n");
	if (report__not_notified(report, nn, sizeof(nn)))
		fmt_putf(o, "<p id=\"not-notified\">%s</p>\n", nn);
	fmt_put(o, "</section>\n");
}

static void
html_rec_head(struct fmt_out *o, const struct report_rec *r)
{
	fmt_putf(o, "<article>\n<h3>%zu. ", r->n);
	html_esc(o, r->kind);
	if (r->subject) {
		fmt_put(o, r->code ? ": <code>" : ": ");
		html_esc(o, r->subject);
		fmt_put(o, r->code ? "</code>" : "");
	}
	fmt_put(o, "</h3>\n");
	if (r->why) {
		fmt_put(o, "<p><strong>Why:</strong> ");
		html_esc(o, r->why);
		fmt_put(o, "</p>\n");
	}
	fmt_put(o, "<p><strong>Evidence:</strong> ");
	html_esc(o, r->evidence);
	fmt_put(o, "</p>\n<p><strong>Predicted savings:</strong> ");
	html_esc(o, r->savings);
	fmt_put(o, "</p>\n");
	if (r->confidence || r->target) {
		fmt_put(o, "<p><strong>Confidence:</strong> ");
		html_esc(o, r->confidence ? r->confidence : "n/a");
		if (r->target) {
			fmt_put(o, "; <strong>applies to:</strong> ");
			html_esc(o, r->target);
		}
		fmt_put(o, "</p>\n");
	}
	if (r->lost > 0)
		fmt_putf(o, "<p class=\"worse\"><strong>Loses %lld "
		    "actionable episode%s</strong> in the replay: check "
		    "before applying.</p>\n", r->lost, r->lost == 1 ? "" : "s");
	if (r->snippet) {
		fmt_put(o, "<pre><code>");
		html_esc(o, r->snippet);
		fmt_put(o, "</code></pre>\n");
	}
}

static void
html_patch(struct fmt_out *o, const char *file, const char *diff,
    const char *error)
{
	fmt_put(o, "<p><strong>Patch</strong> of <code>");
	html_esc(o, file);
	fmt_put(o, "</code>");
	if (diff == NULL) {
		fmt_put(o, ": not made, ");
		html_esc(o, error);
		fmt_put(o, "</p>\n");
		return;
	}
	fmt_put(o, ":</p>\n<pre><code>");
	html_esc(o, diff);
	fmt_put(o, "</code></pre>\n");
}

static void
html_rec_end(struct fmt_out *o)
{
	fmt_put(o, "</article>\n");
}

/* The first max of recs (0: all), and how many more there are. */
static void
html_recommendations(struct fmt_out *o, const json_t *recs, size_t max)
{
	static const struct report_rec_writer w = { html_rec_head, html_patch,
	    html_rec_end };

	if (!html_section(o, "recommendations", "Recommendations",
	    json_array_size(recs), "None this time."))
		return;
	fmt_put(o, "<div class=\"recs\">\n");
	report__recommendations(o, recs, max, &w);
	fmt_put(o, "</div>\n");
	if (max > 0 && json_array_size(recs) > max)
		fmt_putf(o, "<p class=\"muted\">%zu more, by pages saved: "
		    "<code>GET /api/v1/recommendations</code> or the "
		    "<code>/recommendations</code> page of alertnoised.</p>\n",
		    json_array_size(recs) - max);
	fmt_put(o, "</section>\n");
}

void
report_html_recommendations(struct fmt_out *o, const json_t *recs)
{
	html_recommendations(o, recs, 0);
}

static void
html_noisy_item(struct fmt_out *o, const char *name, const char *text,
    const struct alert_links *links)
{
	fmt_put(o, "<li><code>");
	html_esc(o, name);
	fmt_put(o, "</code>");
	links_html(o, links, 1);
	fmt_putf(o, ": %s</li>\n", text);
}

/* A list item titled title (a constant), with note (a constant) after it,
 * holding one item per alert of list. */
static void
html_noisy_list(struct fmt_out *o, const char *title, const char *note,
    const struct report_noisy *list, size_t n)
{
	fmt_putf(o, "<li><strong>%s</strong>%s:%s", title, note,
	    n ? "\n<ul>\n" : " none</li>\n");
	report__noisy(o, list, n, html_noisy_item);
	if (n)
		fmt_put(o, "</ul>\n</li>\n");
}

/* A list item titled title, note after it (constants), naming the
 * alerts of names: at most REPORT_NAMES_SHOWN, then how many more. */
static void
html_names(struct fmt_out *o, const char *title, const char *note,
    char *const *names, size_t n)
{
	fmt_putf(o, "<li><strong>%s</strong>%s:", title, note);
	for (size_t i = 0; i < n && i < REPORT_NAMES_SHOWN; i++) {
		fmt_put(o, i ? ", <code>" : " <code>");
		html_esc(o, names[i]);
		fmt_put(o, "</code>");
	}
	if (n > REPORT_NAMES_SHOWN)
		fmt_putf(o, " and %zu more", n - REPORT_NAMES_SHOWN);
	fmt_put(o, n ? "</li>\n" : " none</li>\n");
}

static void
html_group_item(struct fmt_out *o, const char *kind, const char *members)
{
	fmt_put(o, "<li>");
	html_esc(o, kind);
	fmt_put(o, ": <code>");
	html_esc(o, members);
	fmt_put(o, "</code></li>\n");
}

static void
html_changes(struct fmt_out *o, const struct report *report)
{
	size_t nnew = report__nnew_groups(report);
	struct report_kpi pages;
	char rule[96];

	html_section(o, "changes", "What changed", 1, NULL);
	report__pages_change(report, &pages);
	fmt_putf(o, "<ul>\n<li><strong>Pages:</strong> %s, previous window %s "
	    "(<span class=\"%s\">%s%s%s</span>)</li>\n", pages.cur, pages.prev,
	    pages.c.verdict, pages.c.arrow, *pages.c.arrow ? " " : "",
	    pages.c.text);
	report__noisy_rule(rule, sizeof(rule));
	html_noisy_list(o, "Newly noisy", rule, report->newly_noisy,
	    report->nnewly_noisy);
	html_noisy_list(o, "No longer noisy", "", report->no_longer_noisy,
	    report->nno_longer_noisy);
	html_names(o, "New alerts", " (fired, and not in the window before)",
	    report->new_alerts, report->nnew_alerts);
	html_names(o, "Gone alerts", " (fired in the window before, not now)",
	    report->gone_alerts, report->ngone_alerts);
	fmt_putf(o, "<li><strong>New dedup groups:</strong>%s",
	    nnew ? "\n<ul>\n" : " none</li>\n");
	report__new_groups(o, report, html_group_item);
	if (nnew)
		fmt_put(o, "</ul>\n</li>\n");
	fmt_put(o, "</ul>\n</section>\n");
}

char *
report_html(const struct report *report)
{
	struct fmt_out o;
	char span[80];

	fmt_init(&o, REPORT_RENDER_MAX);
	report__span(report, span, sizeof(span));
	html_head(&o);
	fmt_put(&o, "<title>Alert noise review: ");
	html_esc(&o, span);
	fmt_put(&o, "</title>\n</head>\n<body>\n<main>\n<header>\n"
	    "<p class=\"brand\">alertnoise \xc2\xb7 weekly review</p>\n"
	    "<h1>Alert noise review: ");
	html_esc(&o, span);
	fmt_put(&o, "</h1>\n<p class=\"muted\">");
	report__intro(&o, report, html_esc);
	fmt_put(&o, ".</p>\n</header>\n");
	/* the first screen: the key figures and the noisiest alerts */
	report_html_kpis(&o, report);
	html_table(&o, report, &report__top, "No noise in this window.", NULL,
	    html_top_chart);
	html_table(&o, report, &report__days, NULL, html_day_charts, NULL);
	html_table(&o, report, &report__flapping, "None.", NULL, NULL);
	html_table(&o, report, &report__persistent, "None.", NULL, NULL);
	html_table(&o, report, &report__groups, "None.", NULL, NULL);
	html_recommendations(&o, report->recommendations, REPORT_RECS_SHOWN);
	html_changes(&o, report);
	fmt_put(&o, "</main>\n</body>\n</html>\n");
	return fmt_finish(&o);
}


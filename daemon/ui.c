/* ui.c -- the web UI: server-rendered HTML pages over the noise analysis.
 *
 *	GET /                     overview: the report's key figures and charts
 *	                          for a window, the noisiest alerts, every alert;
 *	                          what to connect while no source of pages is
 *	                          known (sources_pages_known)
 *	GET /alerts/<alertname>   one alert: the labels its identities share,
 *	                          its numbers and identities, a timeline of its
 *	                          episodes (zoomed to them, the whole window
 *	                          above), the episodes with feedback buttons,
 *	                          its recommendations
 *	GET /groups               the dedup groups
 *	GET /recommendations      every recommendation, with its snippet
 *
 * The pages are built from lib/render's pieces (html.h: the report's CSS,
 * HTML escaping, the charts' frame; fmt.h: the page being built and the
 * number formats; report.h: the report's key figures, charts and
 * recommendations), so they look and print like the weekly report: HTML5
 * with inline CSS and SVG, no script, no external resource, every value
 * from the store escaped. The feedback buttons are forms posting
 * to /api/v1/feedback with return=1, as the /feedback page's; the answer
 * (303) lands on that page, which shows the verdict recorded.
 *
 * Every page takes the scope GET /api/v1/report takes (review.h): window=
 * (a duration, default analysis.window, at most 366d) or week= (an ISO
 * week in report.timezone), and team= (the alerts whose
 * analysis.team_label has that value); it reads the cached analysis of
 * that span and selection (analyses.h), the one the report and the read
 * API take, says the span and the team in its header, and every link
 * between pages keeps the scope. Beyond it, the overview analyses the span
 * before (the report's KPI changes: one analysis, where GET /api/v1/report
 * runs two and a replay) and the alert and recommendations pages take the
 * recommendations kept with the cached analysis of the span's every alert,
 * those of GET /api/v1/recommendations (recommendations_cached); a team's
 * are those about its alertnames, as its report carries them. An alert
 * page reads the alert's episodes from the store by start time, down to
 * the earliest one the analysis holds (of a team: of the identities it
 * selects). Nothing here writes. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "an_views.h"
#include "analyses.h"
#include "buf.h"
#include "config.h"
#include "fingerprint.h"
#include "fmt.h"
#include "html.h"
#include "links.h"
#include "log.h"
#include "recommendations.h"
#include "report.h"
#include "respond.h"
#include "review.h"
#include "routes.h"
#include "sources.h"
#include "store.h"
#include "timefmt.h"
#include "tzone.h"

#define PAGE_MAX	((size_t)32 << 20)	/* bounds a runaway page */
#define DAY_MS		86400000LL
#define EPISODES_MAX	1000	/* episodes listed on an alert page */
#define ROWS_MAX	50	/* identities in an alert's timeline */
#define LABEL_CUT	24	/* bytes of a timeline row's label */
#define IDENT_CUT	120	/* bytes of an identity in the episodes table */
#define LINKS_MAX	200	/* alertnames of a page given links */

/* The window links every page offers. */
static const char *const window_choices[] = { "1d", "7d", "28d" };

/* A colour per class, for the timeline's bars and the class chips. */
static const char *const class_color[CLS_COUNT] = {
	[CLS_ACTIONABLE] = "#1a7f37",
	[CLS_DUPLICATE] = "#8250df",
	[CLS_FLAPPING] = HTML_COLOR_NOISE,
	[CLS_TRANSIENT] = "#bf8700",
	[CLS_PERSISTENT] = HTML_COLOR_OTHER,
	[CLS_NOISE] = "#57606a",
};
#define COLOR_UNCLASSIFIED	HTML_COLOR_TOTAL

/* What the UI adds to the report's style: navigation, links, class chips
 * (their colours follow, from class_color), the feedback buttons. */
static const char ui_css[] =
    "<style>\n"
    "a{color:#0969da}\n"
    "nav.top{display:flex;flex-wrap:wrap;align-items:baseline;"
    "gap:.3rem 1.1rem;border-bottom:1px solid #eaeef2;"
    "padding:.2rem 0 .6rem;margin-bottom:.4rem}\n"
    "nav.top .brand{font-weight:700;color:#1f2328;font-size:1rem}\n"
    "nav.top a{font-weight:600;text-decoration:none}\n"
    "nav.top a[aria-current=page]{color:#1f2328;"
    "border-bottom:2px solid #fd8c73}\n"
    ".windows{margin-left:auto;font-size:.85rem;color:#656d76}\n"
    ".windows a,.windows strong{display:inline-block;margin-left:.25rem;"
    "padding:0 .45rem;border:1px solid #d0d7de;border-radius:4px;"
    "font-weight:600}\n"
    ".windows [aria-current]{background:#0969da;border-color:#0969da;"
    "color:#fff}\n"
    ".cls{display:inline-block;padding:0 .45rem;border-radius:1em;"
    "font-size:.8rem;color:#fff;white-space:nowrap;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    ".cls-none{background:#d0d7de;color:#1f2328}\n"
    ".worse{color:#cf222e}\n"
    ".err{background:#ffebe9;border:1px solid #ffcecb;border-radius:6px;"
    "padding:.5rem .8rem}\n"
    "td.fb,td.t{white-space:nowrap}\n"
    "form.fb{display:inline;margin:0}\n"
    "form.fb button{font:inherit;font-size:.8rem;padding:.05rem .45rem;"
    "border:1px solid #d0d7de;border-radius:4px;background:#f6f8fa;"
    "cursor:pointer}\n"
    "form.fb button:hover{background:#eaeef2}\n"
    "details summary{cursor:pointer}\n"
    "form.scope{display:flex;flex-wrap:wrap;gap:.4rem 1rem;"
    "align-items:center;margin:.2rem 0 .6rem}\n"
    "form.scope select,form.scope input,form.scope button{font:inherit;"
    "font-size:.85rem}\n"
    ".small{font-size:.85rem}\n"
    ".links{font-size:.8rem;white-space:nowrap}\n"
    "@media print{\n"
    "nav.top .windows,td.fb,th.fb,form.scope{display:none}\n"
    "a{color:inherit;text-decoration:none}\n"
    "}\n";

/* --- building a page ----------------------------------------------------- */

/* The page being built is a struct fmt_out (fmt.h): err is set once an
 * append failed (out of memory, or past PAGE_MAX) and checked once, when
 * it is sent. */

static void
check(struct fmt_out *p, int rc)
{
	if (rc < 0)
		p->err = 1;
}

/* What every page shares: its scope (the window or the week, and the
 * team), and how links write it. */
struct ui {
	struct daemon *d;
	int64_t window;
	char wtext[32];		/* "7d": [0-9a-z] only */
	struct review_scope scope;	/* the span and selection (review.h) */
	char *team;		/* team= as asked; NULL: every team. Owned */
	/* the scope as a link's query writes it, "window=7d" or
	 * "week=2026-W48&amp;team=payments", and the team alone,
	 * "&amp;team=payments" or "": percent-encoded, HTML-escaped, owned */
	char *query, *teamq;
};

/* A link to an alert's page, its name as the text. */
static void
alert_link(struct fmt_out *p, const struct ui *u, const char *name)
{
	if (name == NULL)
		name = "";
	fmt_put(p, "<a href=\"/alerts/");
	check(p, links_pct_encode(&p->b, name));
	fmt_putf(p, "?%s\">", u->query);
	html_esc(p, name);
	fmt_put(p, "</a>");
}

/* The links of an alertname (links.h: runbook, graph, silence form,
 * dashboard), after its name; *budget counts the store reads a page may
 * still make (NULL: one read, no limit). Nothing when the budget is spent
 * or the store fails: the page goes on without them. */
static void
alert_extlinks(struct fmt_out *p, const struct ui *u, const char *name,
    int *budget)
{
	const struct an_config *cfg;
	struct alert_links l;
	int rc;

	if (name == NULL || (budget != NULL && (*budget)-- <= 0))
		return;
	cfg = daemon_config(u->d);
	rc = links_lookup(u->d->store, name, 0, cfg->report_grafana_url, &l);
	cfg_release(cfg);
	if (rc < 0) {
		log_warn("reading an alert's links failed", "err",
		    store_errmsg(u->d->store));
		return;
	}
	links_html(p, &l, 0);
	links_free(&l);
}

/* ms as "2026-11-26 21:51:46" (UTC) in a <time>; "-" for 0. */
static void
put_time(struct fmt_out *p, int64_t ms)
{
	char s[40];

	if (ms == 0) {
		fmt_put(p, "-");
		return;
	}
	ts_format_rfc3339(ms, s, sizeof(s));
	fmt_putf(p, "<time datetime=\"%s\">%.10s %.8s</time>", s, s, s + 11);
}

/* The same in a table cell, without the year ("11-26 21:51:46"); the
 * whole time is its title. */
static void
put_time_cell(struct fmt_out *p, int64_t ms)
{
	char s[40];

	if (ms == 0) {
		fmt_put(p, "<td>-</td>");
		return;
	}
	ts_format_rfc3339(ms, s, sizeof(s));
	fmt_putf(p, "<td class=\"t\"><time datetime=\"%s\" title=\"%s\">%.5s "
	    "%.8s</time></td>", s, s, s + 5, s + 11);
}

/* A class chip. */
static void
put_class(struct fmt_out *p, enum an_class c, int presumed)
{
	fmt_putf(p, "<span class=\"cls cls-%s\">%s</span>%s", an_class_name(c),
	    an_class_name(c), presumed ? "<br><span class=\"muted\">presumed"
	    "</span>" : "");
}

/* The non-zero classes of an alert (episodes per class) as chips. */
static void
put_class_counts(struct fmt_out *p, const long *classes)
{
	int any = 0;

	for (int c = 0; c < CLS_COUNT; c++) {
		if (classes[c] == 0)
			continue;
		fmt_putf(p, "%s<span class=\"cls cls-%s\">%s %ld</span>",
		    any++ ? " " : "", an_class_name((enum an_class)c),
		    an_class_name((enum an_class)c), classes[c]);
	}
	if (!any)
		fmt_put(p, "-");
}

/* The start of a page up to its <main>'s header: the report's head, the
 * UI's style, the navigation in u's scope (cur: the page's own nav entry,
 * or NULL) and the window links, which lead to here (a path,
 * percent-encoded) for u's team. */
static void
page_begin(struct fmt_out *p, const struct ui *u, const char *title,
    const char *cur, const char *here)
{
	static const struct {
		const char *path, *text;
	} nav[] = {
		{ "/", "Overview" },
		{ "/groups", "Dedup groups" },
		{ "/recommendations", "Recommendations" },
	};
	int listed = 0;

	buf_init(&p->b, PAGE_MAX);
	p->err = 0;
	html_head(p);
	fmt_put(p, ui_css);
	for (int c = 0; c < CLS_COUNT; c++)
		fmt_putf(p, ".cls-%s{background:%s}\n",
		    an_class_name((enum an_class)c), class_color[c]);
	fmt_put(p, "</style>\n<meta name=\"robots\" content=\"noindex\">\n"
	    "<title>");
	html_esc(p, title);
	fmt_put(p, " \xc2\xb7 alertnoise</title>\n</head>\n<body>\n<main>\n"
	    "<header>\n<nav class=\"top\" aria-label=\"Pages\">\n"
	    "<span class=\"brand\">alertnoise</span>\n");
	for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
		fmt_putf(p, "<a href=\"%s?%s\"%s>%s</a>\n", nav[i].path,
		    u->query, cur && strcmp(cur, nav[i].path) == 0 ?
		    " aria-current=\"page\"" : "", nav[i].text);
	fmt_putf(p, "<a href=\"/api/v1/report?format=html&amp;%s\">"
	    "Weekly report</a>\n", u->query);
	fmt_put(p, "<span class=\"windows\">Window:");
	for (size_t i = 0; i < sizeof(window_choices) /
	    sizeof(window_choices[0]); i++) {
		int on = !u->scope.week[0] &&
		    strcmp(window_choices[i], u->wtext) == 0;

		fmt_put(p, "<a href=\"");
		fmt_put(p, here);
		fmt_putf(p, "?window=%s%s\"%s>%s</a>", window_choices[i],
		    u->teamq, on ? " aria-current=\"true\"" : "",
		    window_choices[i]);
		listed |= on;
	}
	if (!listed && !u->scope.week[0])
		fmt_putf(p, "<strong aria-current=\"true\">%s</strong>",
		    u->wtext);
	fmt_put(p, "</span>\n</nav>\n</header>\n");
}

static void
page_end(struct fmt_out *p)
{
	fmt_put(p, "</main>\n</body>\n</html>\n");
}

/* What the page is of, opening a paragraph: "Week 2026-W48: 2026-11-23
 * to 2026-11-29 (Europe/Berlin)." (its local dates in cfg's
 * report.timezone) or "Window 7d: 2026-11-19 21:00:00 to 2026-11-26
 * 21:00:00 UTC.", then " Alerts of team payments." for a team. */
static void
put_scope_line(struct fmt_out *p, const struct ui *u, const struct analysis *a,
    const struct an_config *cfg)
{
	char d[32];

	if (u->scope.week[0]) {
		fmt_put(p, "<p class=\"muted\">Week ");
		html_esc(p, u->scope.week);
		report_local_day(cfg->report_tz, a->from, d, sizeof(d));
		fmt_putf(p, ": %s to ", d);
		report_local_day(cfg->report_tz, a->to - 1, d, sizeof(d));
		fmt_putf(p, "%s (", d);
		html_esc(p, cfg->report_tz != NULL ?
		    tz_name(cfg->report_tz) : "UTC");
		fmt_put(p, ").");
	} else {
		fmt_putf(p, "<p class=\"muted\">Window %s: ", u->wtext);
		put_time(p, a->from);
		fmt_put(p, " to ");
		put_time(p, a->to);
		fmt_put(p, " UTC.");
	}
	if (u->team != NULL) {
		fmt_put(p, " Alerts of team ");
		html_esc(p, u->team);
		fmt_put(p, ".");
	}
}

/* Queues the page (respond_html's headers, as the /feedback page) and
 * frees it. */
static enum MHD_Result
respond_page(struct MHD_Connection *c, struct request *r, int code,
    struct fmt_out *p)
{
	enum MHD_Result ret;

	if (p->err)
		ret = respond_text(c, r, 500, "rendering the page failed\n");
	else
		ret = respond_html(c, r, code, p->b.data ? p->b.data : "",
		    p->b.len);
	buf_free(&p->b);
	return ret;
}

/* An error page with the navigation: title, then what (plain text). */
static enum MHD_Result
page_error(struct MHD_Connection *c, struct request *r, const struct ui *u,
    const char *here, int code, const char *title, const char *what)
{
	struct fmt_out p;

	page_begin(&p, u, title, NULL, here);
	fmt_put(&p, "<h1>");
	html_esc(&p, title);
	fmt_put(&p, "</h1>\n<p class=\"err\">");
	html_esc(&p, what);
	fmt_put(&p, "</p>\n");
	page_end(&p);
	return respond_page(c, r, code, &p);
}

/* The window as links write it: whole days as "28d", else Prometheus'
 * format ("1h30m"), which window= parses back. */
static void
window_text(int64_t ms, char *out, size_t outlen)
{
	if (ms % DAY_MS == 0)
		snprintf(out, outlen, "%lldd", (long long)(ms / DAY_MS));
	else
		cfg_format_duration(ms, out, outlen);
}

/* The GET parameter k, or NULL when it is not given or empty (the
 * overview's form sends "team=" for every team). */
static const char *
ui_arg(struct MHD_Connection *c, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    k);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Sets u->query and u->teamq for the week (NULL: u's window) and the team
 * (NULL: every team). Returns 0, or -1 on out-of-memory. */
static int
ui_set_query(struct ui *u, const char *week, const char *team)
{
	struct buf q, t;
	int rc = -1;

	free(u->query);
	free(u->teamq);
	u->query = u->teamq = NULL;
	buf_init(&q, PAGE_MAX);
	buf_init(&t, PAGE_MAX);
	if (buf_puts(&t, "") < 0 || (team != NULL && (buf_puts(&t,
	    "&amp;team=") < 0 || links_pct_encode(&t, team) < 0)))
		goto out;
	if (week != NULL) {
		if (buf_puts(&q, "week=") < 0 || links_pct_encode(&q,
		    week) < 0)
			goto out;
	} else if (buf_printf(&q, "window=%s", u->wtext) < 0)
		goto out;
	if (buf_puts(&q, t.data) < 0)
		goto out;
	u->query = buf_steal(&q);
	u->teamq = buf_steal(&t);
	rc = u->query != NULL && u->teamq != NULL ? 0 : -1;
out:
	buf_free(&q);
	buf_free(&t);
	return rc;
}

/* Frees what u holds. */
static void
ui_end(struct ui *u)
{
	review_scope_free(&u->scope);
	free(u->team);
	free(u->query);
	free(u->teamq);
	u->team = u->query = u->teamq = NULL;
}

/* Fills u from the request's scope, as the overview's form and GET
 * /api/v1/report give it (review.h): window= (default analysis.window),
 * or week= (an ISO week in report.timezone; it wins over window=), and
 * team= (the selector {<analysis.team_label>="..."}; a team no alert has
 * selects nothing). Returns 0 (free u with ui_end), or -1 with *ret set
 * and u freed: the 400 page queued for a bad window or week, or a 500. */
static int
ui_start(struct MHD_Connection *c, struct request *r, struct ui *u,
    const char *here, enum MHD_Result *ret)
{
	const char *w = ui_arg(c, "window");
	const struct an_config *cfg;
	struct review_params rp;
	struct report_opts ro;
	const char *title = NULL;
	char msg[400];
	int rc;

	memset(u, 0, sizeof(*u));
	u->d = r->d;
	u->window = daemon_default_window(u->d);
	window_text(u->window, u->wtext, sizeof(u->wtext));
	if (w != NULL && cfg_parse_window(w, &u->window) < 0) {
		u->window = daemon_default_window(u->d);
		snprintf(msg, sizeof(msg), "invalid window \"%.64s\": want a "
		    "duration such as 7d, at most 366d.", w);
		title = "Bad window";
		goto fail;
	}
	window_text(u->window, u->wtext, sizeof(u->wtext));
	memset(&rp, 0, sizeof(rp));
	rp.week = ui_arg(c, "week");
	rp.team = ui_arg(c, "team");
	if (rp.week == NULL)
		rp.window = u->wtext;
	cfg = daemon_config(u->d);
	report_opts_from_config(cfg, &ro);
	rc = review_scope_parse(&u->scope, &rp, u->wtext, ro.tz,
	    cfg->team_label, ts_now_ms(), msg, sizeof(msg));
	cfg_release(cfg);
	if (rc < 0) {
		title = "Bad scope";
		goto fail;
	}
	if ((rp.team != NULL && (u->team = strdup(rp.team)) == NULL) ||
	    ui_set_query(u, rp.week, rp.team) < 0) {
		ui_end(u);
		*ret = respond_text(c, r, 500, "out of memory\n");
		return -1;
	}
	return 0;
fail:
	/* the page's links lead to the default scope */
	review_scope_free(&u->scope);
	if (ui_set_query(u, NULL, NULL) < 0)
		*ret = respond_text(c, r, 500, "out of memory\n");
	else
		*ret = page_error(c, r, u, here, 400, title, msg);
	ui_end(u);
	return -1;
}

/* The analysis of u's span and selection (the one the report and the
 * read API take for them); on failure queues the 503 page and returns
 * NULL with *ret set. */
static const struct analysis *
ui_analysis(struct MHD_Connection *c, struct request *r, const struct ui *u,
    const char *here, void **handle, enum MHD_Result *ret)
{
	const struct analysis *a;
	char err[512];

	if ((a = analysis_get_key(u->d, &u->scope.key, handle, err,
	    sizeof(err))) == NULL) {
		log_error("analysis for a page failed", "err", err);
		*ret = page_error(c, r, u, here, 503, "Store unavailable", err);
	}
	return a;
}

/* The recommendations of u's span, as GET /api/v1/report carries them:
 * those kept with the analysis of every alert over the span
 * (recommendations_cached: shared), which is handle's when u selects no
 * team; else *whole is set to that analysis' handle, for the caller to
 * release (analysis_put) after the last use. NULL with err when the
 * analysis or the replay failed. */
static const struct rc_list *
ui_recommendations_for(const struct ui *u, void *handle, void **whole,
    char *err, size_t errlen)
{
	struct analysis_key k = u->scope.key;
	const struct rc_list *recs = NULL;

	*whole = NULL;
	k.match = NULL;
	k.nmatch = 0;
	if (u->scope.nmatch == 0 || analysis_get_key(u->d, &k, whole, err,
	    errlen) != NULL)
		recs = recommendations_cached(u->d->store, *whole ? *whole :
		    handle, err, errlen);
	if (recs == NULL)
		log_warn("recommendations for a page failed", "err", err);
	return recs;
}

/* --- GET / --------------------------------------------------------------- */

/* The report of cur (the cached analysis of a window up to cur->now, or
 * of a week, with its selection) against the span before it, analysed
 * here, without recommendations. Returns a new report (report_free), or
 * NULL with err. */
static struct report *
overview_report(const struct ui *u, const struct analysis *cur, void *handle,
    char *err, size_t errlen)
{
	struct analysis *prev = NULL;
	struct report_opts ro;
	struct report *rep = NULL;
	int64_t span = cur->to - cur->from, prev_from;

	/* the previous span is analysed as cur was: same options (the
	 * selection too), same config (the handle keeps both alive); a week
	 * is compared with the calendar week before, as in the report */
	report_opts_from_config(analysis_handle_config(handle), &ro);
	report_previous_span(ro.tz, cur->from, cur->to, &prev_from);
	if (an_run(u->d->store, analysis_handle_opts(handle), prev_from,
	    cur->from, cur->now, &prev, err, errlen) == 0 &&
	    (rep = report_from_analyses(cur, prev, &ro, span, cur->now,
	    NULL)) == NULL)
		snprintf(err, errlen, "out of memory");
	if (rep != NULL && report_add_links(rep, u->d->store,
	    analysis_handle_config(handle)->report_grafana_url, err,
	    errlen) < 0) {
		report_free(rep);
		rep = NULL;
	}
	an_free(prev);
	return rep;
}

/* The overview's scope form: a team (the values of analysis.team_label
 * among the alerts of the default window's analysis: shown's, when the
 * page is of that window and every team) and an ISO week; a GET of / with
 * team= and week=. */
static void
overview_scope_form(struct fmt_out *p, const struct ui *u,
    const struct review_scope *scope, const struct analysis *shown,
    const char *team, const char *week)
{
	const struct analysis *all = shown;
	void *handle = NULL;
	const char **teams = NULL;
	size_t nteams = 0;
	char err[256];

	/* the page shows the default window of every team: its own analysis
	 * (else that one, cached or not, would be run again) */
	if (scope->nmatch > 0 ||
	    scope->key.window_ms != daemon_default_window(u->d))
		all = analysis_get(u->d, daemon_default_window(u->d), &handle,
		    err, sizeof(err));
	if ((teams = calloc((all ? all->nids : 0) + 1,
	    sizeof(*teams))) == NULL)
		p->err = 1;
	for (size_t i = 0; teams != NULL && all != NULL && i < all->nids;
	    i++) {
		const char *t = all->ids[i].team;
		size_t k;

		for (k = 0; k < nteams && strcmp(teams[k], t) != 0; k++)
			;
		if (*t != '\0' && k == nteams)
			teams[nteams++] = t;
	}
	fmt_put(p, "<form class=\"scope\" method=\"get\" action=\"/\">\n"
	    "<label>Team <select name=\"team\">\n<option value=\"\">every "
	    "team</option>\n");
	if (team != NULL && *team != '\0') {
		size_t k;

		for (k = 0; k < nteams && strcmp(teams[k], team) != 0; k++)
			;
		if (k == nteams && teams != NULL)
			teams[nteams++] = team;	/* asked, not in the window */
	}
	for (size_t k = 0; k < nteams; k++) {
		fmt_put(p, "<option");
		if (team != NULL && strcmp(teams[k], team) == 0)
			fmt_put(p, " selected");
		fmt_put(p, ">");
		html_esc(p, teams[k]);
		fmt_put(p, "</option>\n");
	}
	fmt_put(p, "</select></label>\n<label>Week <input type=\"week\" "
	    "name=\"week\" placeholder=\"2026-W48\" value=\"");
	html_esc(p, scope->week[0] ? scope->week : week ? week : "");
	fmt_put(p, "\"></label>\n<button>Show</button>\n</form>\n");
	free(teams);
	analysis_put(handle);
}


/* Whether row has a flap score to show; when not, why (plain text, nothing
 * to escape) into why. */
static int
flap_why(const struct analysis *a, const struct an_alert_row *row, char *why,
    size_t whylen)
{
	int min;

	if (row != NULL && an_flap_observed(a, row, &min))
		return 1;
	if (row == NULL || min == 0)
		snprintf(why, whylen, "no flap score: no episode fired in the "
		    "window");
	else
		snprintf(why, whylen, "no flap score below %d episodes in the "
		    "window (analysis.flap_min_episodes)", min);
	return 0;
}

/* A flap score cell of row: its score, or a dash when too few of its
 * episodes fired to tell (an_flap_observed). */
static void
put_flap_cell(struct fmt_out *p, const struct analysis *a,
    const struct an_alert_row *row)
{
	char flap[24], why[96];

	if (!flap_why(a, row, why, sizeof(why))) {
		fmt_putf(p, "<td class=\"n\"><span class=\"muted\" "
		    "title=\"%s\">\xe2\x80\x94</span></td>", why);
		return;
	}
	fmt_dec(row->flap_score, 1, flap, sizeof(flap));
	fmt_putf(p, "<td class=\"n\">%s</td>", flap);
}

static void
overview_top(struct fmt_out *p, const struct ui *u, const struct analysis *an,
    const struct an_alerts *alerts, const struct report_alert *top, size_t n)
{
	fmt_put(p, "<section id=\"top-noisy\">\n<h2>Noisiest alerts</h2>\n");
	if (n == 0) {
		fmt_put(p, "<p class=\"muted\">No noise in this window.</p>\n"
		    "</section>\n");
		return;
	}
	fmt_put(p, "<figure>\n");
	report_svg_top(p, top, n);
	fmt_put(p, "<figcaption>Episodes per alert (grey), noise among them "
	    "(red).</figcaption>\n</figure>\n<table>\n<thead><tr>"
	    "<th class=\"n\">#</th><th>Alert</th><th class=\"n\">Episodes</th>"
	    "<th class=\"n\">Noise</th><th class=\"n\">Noise ratio</th>"
	    "<th class=\"n\">Pages</th><th class=\"n\">Flap score</th>"
	    "<th>Classes</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct report_alert *a = &top[i];
		const struct an_alert_row *row = alerts == NULL ? NULL :
		    an_alerts_find(alerts, a->alertname);
		char ratio[24], flap[24];

		fmt_pct(an_ratio(a->noise_episodes, a->episodes), ratio,
		    sizeof(ratio));
		fmt_putf(p, "<tr><td class=\"n\">%zu</td><td>", i + 1);
		alert_link(p, u, a->alertname);
		links_html(p, &a->links, 0);	/* report_add_links' */
		fmt_putf(p, "</td><td class=\"n\">%ld</td><td class=\"n\">%ld"
		    "</td><td class=\"n\">%s</td><td class=\"n\">%ld</td>",
		    a->episodes, a->noise_episodes, ratio, a->pages);
		if (row != NULL) {
			put_flap_cell(p, an, row);
		} else {
			fmt_dec(a->flap_score, 1, flap, sizeof(flap));
			fmt_putf(p, "<td class=\"n\">%s</td>", flap);
		}
		fmt_put(p, "<td>");
		put_class_counts(p, a->classes);
		fmt_put(p, "</td></tr>\n");
	}
	fmt_put(p, "</tbody>\n</table>\n</section>\n");
}

/* A time to resolve (seconds) of n, for a cell: n/a when nothing
 * resolved. It is the alert's own duration, from firing to resolved: no
 * human acknowledgment is known, so the UI does not call it MTTR (the
 * JSON's mttr keys keep their names). */
static void
fmt_mttr(const struct an_numbers *n, double secs, char *out, size_t outlen)
{
	if (n->resolved > 0)
		fmt_dur(secs, out, outlen);
	else
		snprintf(out, outlen, "n/a");
}

static void
overview_alerts(struct fmt_out *p, const struct ui *u,
    const struct analysis *an, const struct an_alerts *alerts)
{
	fmt_put(p, "<section id=\"alerts\">\n<h2>Every alert in this window</h2>\n");
	if (alerts->n == 0) {
		fmt_put(p, "<p class=\"muted\">No alert fired in this window."
		    "</p>\n</section>\n");
		return;
	}
	int budget = LINKS_MAX;

	fmt_put(p, "<table>\n<thead><tr><th>Alert</th>"
	    "<th class=\"n\">Episodes</th><th class=\"n\">Pending only</th>"
	    "<th class=\"n\">Noise ratio</th>"
	    "<th class=\"n\">Notifications</th><th class=\"n\">Pages</th>"
	    "<th class=\"n\">Time to resolve<br>(median)</th>"
	    "<th class=\"n\">Flap score</th>"
	    "<th>Flapping now</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < alerts->n; i++) {
		const struct an_alert_row *a = &alerts->rows[i];
		char ratio[24], mttr[48];

		fmt_pct(an_ratio(a->n.noise, a->n.episodes), ratio,
		    sizeof(ratio));
		fmt_mttr(&a->n, a->n.mttr_median, mttr, sizeof(mttr));
		fmt_put(p, "<tr><td>");
		alert_link(p, u, a->alertname);
		alert_extlinks(p, u, a->alertname, &budget);
		fmt_putf(p, "</td><td class=\"n\">%ld</td>"
		    "<td class=\"n\">%ld</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
		    "<td class=\"n\">%s</td>",
		    a->n.episodes, a->pending_only, ratio, a->n.notifications,
		    a->n.pages, mttr);
		put_flap_cell(p, an, a);
		fmt_putf(p, "<td>%s</td></tr>\n", a->flapping ? "yes" : "no");
	}
	fmt_put(p, "</tbody>\n</table>\n</section>\n");
}

/* The two snippets of README "Connect to your stack", verbatim but for
 * the host: %s is where this request reached alertnoised. */
static const char connect_am[] =
    "route:\n"
    "  receiver: team-default          # your root receiver, as it is\n"
    "  routes:\n"
    "    - receiver: alertnoise\n"
    "      continue: true\n"
    "    # ... your existing routes ...\n"
    "    - receiver: team-default      # the same as the root's\n"
    "receivers:\n"
    "  - name: alertnoise\n"
    "    webhook_configs:\n"
    "      - url: http://%s/api/v1/webhook\n"
    "        send_resolved: true\n";
static const char connect_prom[] =
    "remote_write:\n"
    "  - url: http://%s/api/v1/write\n"
    "    write_relabel_configs:\n"
    "      - source_labels: [__name__]\n"
    "        regex: ALERTS|ALERTS_FOR_STATE\n"
    "        action: keep\n";

/* What to connect, when no source of pages is known (sources_pages_known):
 * the snippets with the request's Host when it is a plain host[:port],
 * else the README's alertnoise.example:9467. */
static void
overview_connect(struct fmt_out *p, struct MHD_Connection *c)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Host");
	struct fmt_out t;

	if (host == NULL || *host == '\0' || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != strlen(host))
		host = "alertnoise.example:9467";
	fmt_put(p, "<section id=\"connect\">\n<h2>Connect your stack</h2>\n"
	    "<p class=\"err\">No source of pages is known: alertnoise has "
	    "received no Alertmanager webhook and no Prometheus remote write, "
	    "and no Alertmanager source is configured. Connect both; the "
	    "numbers below fill in from then on.</p>\n"
	    "<p>Alertmanager \xe2\x80\x94 send every notification to "
	    "alertnoised without changing your routing: a first route that "
	    "matches everything, with <code>continue: true</code>, and a last "
	    "one to your root's receiver:</p>\n<pre><code>");
	fmt_init(&t, PAGE_MAX);
	fmt_putf(&t, connect_am, host);
	html_esc(p, t.b.data ? t.b.data : "");
	fmt_put(p, "</code></pre>\n<p>Prometheus \xe2\x80\x94 remote-write "
	    "only the two alert series:</p>\n<pre><code>");
	if (t.err)
		p->err = 1;
	buf_free(&t.b);
	fmt_init(&t, PAGE_MAX);
	fmt_putf(&t, connect_prom, host);
	html_esc(p, t.b.data ? t.b.data : "");
	if (t.err)
		p->err = 1;
	buf_free(&t.b);
	fmt_put(p, "</code></pre>\n<p class=\"muted\">README \"Connect to "
	    "your stack\" has the rest: the Alertmanager and Prometheus "
	    "sources, scraping alertnoised, backfilling history with "
	    "<code>alertnoised import</code>.</p>\n</section>\n");
}

enum MHD_Result
ui_overview(struct MHD_Connection *c, struct request *r)
{
	const struct analysis *a;
	struct report *report;
	const struct an_alerts *alerts;
	enum MHD_Result ret;
	void *handle = NULL;
	struct fmt_out p;
	struct ui u;
	char err[512];
	int known;

	/* the scope: a window, or a week and a team, as GET /api/v1/report
	 * takes them */
	if (ui_start(c, r, &u, "/", &ret) < 0)
		return ret;
	if ((a = ui_analysis(c, r, &u, "/", &handle, &ret)) == NULL) {
		ui_end(&u);
		return ret;
	}
	if ((known = sources_pages_known(u.d->store,
	    analysis_handle_config(handle))) < 0)
		log_warn("reading the store for the overview failed", "err",
		    store_errmsg(u.d->store));
	if ((report = overview_report(&u, a, handle, err, sizeof(err))) ==
	    NULL) {
		analysis_put(handle);
		log_error("report for the overview failed", "err", err);
		ret = page_error(c, r, &u, "/", 503, "Store unavailable", err);
		ui_end(&u);
		return ret;
	}
	alerts = analysis_alerts(handle, err, sizeof(err));

	page_begin(&p, &u, "Overview", "/", "/");
	fmt_put(&p, "<h1>Alert noise</h1>\n");
	overview_scope_form(&p, &u, &u.scope, a, u.team, NULL);
	put_scope_line(&p, &u, a, analysis_handle_config(handle));
	fmt_putf(&p, " Changes compare it with the %s before it; days are in ",
	    u.scope.week[0] ? "week" : u.wtext);
	html_esc(&p, report->timezone);
	fmt_put(&p, ".</p>\n");
	if (known == 0)
		overview_connect(&p, c);
	report_html_kpis(&p, report);
	fmt_put(&p, "<section id=\"days\">\n<h2>Day by day</h2>\n<figure>\n");
	report_svg_pages(&p, report->days, report->ndays);
	fmt_put(&p, "<figcaption>Pages per day; red: pages whose alerts were "
	    "all noise.</figcaption>\n</figure>\n<figure>\n");
	report_svg_ratio(&p, report->days, report->ndays);
	fmt_put(&p, "<figcaption>Noise ratio of the episodes that fired each "
	    "day (no point: no episode).</figcaption>\n</figure>\n"
	    "</section>\n");
	overview_top(&p, &u, a, alerts, report->top, report->ntop);
	if (alerts == NULL)
		p.err = 1;
	else
		overview_alerts(&p, &u, a, alerts);
	fmt_putf(&p, "<section id=\"more\">\n<h2>More</h2>\n<ul>\n"
	    "<li><a href=\"/groups?%s\">Dedup groups</a>: %zu in this "
	    "window (replicas, co-firing alerts, storms).</li>\n"
	    "<li><a href=\"/recommendations?%s\">Recommendations</a>: "
	    "what to change in Prometheus and Alertmanager, each replayed "
	    "over this window's history.</li>\n"
	    "<li><a href=\"/api/v1/report?format=html&amp;%s\">Weekly "
	    "review report</a> of this window.</li>\n</ul>\n</section>\n",
	    u.query, a->ngroups, u.query, u.query);
	page_end(&p);
	analysis_put(handle);
	report_free(report);
	ui_end(&u);
	return respond_page(c, r, 200, &p);
}

/* --- GET /alerts/<alertname> --------------------------------------------- */

/* An identity of the alert, as its episodes show it. */
struct ident {
	uint64_t fp;
	json_t *labels;		/* owned */
	char *text;		/* what tells it from the others; owned */
};

struct ep {
	struct episode e;
	size_t ident;		/* index into alert_eps.ids */
	json_t *receivers;	/* owned */
};

/* The alert's episodes overlapping the window, latest start first. */
struct alert_eps {
	int64_t stop_before;	/* the walk ends at an earlier start */
	/* with a selection (team=), the identities it has of the alert:
	 * the episodes of others are skipped. Owned */
	int selected;
	uint64_t *only;
	size_t nonly;
	struct ep *eps;
	size_t n, cap;
	struct ident *ids;
	size_t nids, capids;
	/* the labels but alertname that every identity of the alert has
	 * with the same value (all of them for one identity), shown once;
	 * the rows show the others. Owned. */
	json_t *shared;
	size_t nall;		/* identities shared is over */
	int more;		/* EPISODES_MAX reached: there are more */
	int oom;
};

static void
alert_eps_free(struct alert_eps *ae)
{
	for (size_t i = 0; i < ae->n; i++)
		json_decref(ae->eps[i].receivers);
	for (size_t i = 0; i < ae->nids; i++) {
		json_decref(ae->ids[i].labels);
		free(ae->ids[i].text);
	}
	free(ae->eps);
	free(ae->ids);
	free(ae->only);
	json_decref(ae->shared);
}

static int
take_episode(const struct episode_row *row, void *arg)
{
	struct alert_eps *ae = arg;
	struct ep *ep;
	size_t k;

	if (EPISODE_START(&row->e) < ae->stop_before)
		return 1;
	if (ae->selected) {
		for (k = 0; k < ae->nonly && ae->only[k] != row->e.identity;
		    k++)
			;
		if (k == ae->nonly)
			return 0;	/* another team's */
	}
	if (ae->n == EPISODES_MAX) {
		ae->more = 1;
		return 1;
	}
	for (k = 0; k < ae->nids; k++)
		if (ae->ids[k].fp == row->e.identity)
			break;
	if (k == ae->nids) {
		struct ident *id;

		if (ae->nids == ae->capids) {
			size_t n = ae->capids ? ae->capids * 2 : 16;

			if ((id = realloc(ae->ids, n * sizeof(*id))) == NULL)
				goto oom;
			ae->ids = id;
			ae->capids = n;
		}
		id = &ae->ids[ae->nids];
		memset(id, 0, sizeof(*id));
		id->fp = row->e.identity;
		if ((id->labels = json_deep_copy(row->labels)) == NULL)
			goto oom;
		ae->nids++;
	}
	if (ae->n == ae->cap) {
		size_t n = ae->cap ? ae->cap * 2 : 16;

		if ((ep = realloc(ae->eps, n * sizeof(*ep))) == NULL)
			goto oom;
		ae->eps = ep;
		ae->cap = n;
	}
	ep = &ae->eps[ae->n];
	ep->e = row->e;
	ep->ident = k;
	if ((ep->receivers = json_deep_copy(row->receivers)) == NULL)
		goto oom;
	ae->n++;
	return 0;
oom:
	ae->oom = 1;
	return 1;
}

static int
cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Whether labels has k with the value v. */
static int
has_label(const json_t *labels, const char *k, json_t *v)
{
	json_t *o = json_object_get(labels, k);

	return o != NULL && json_equal(o, v);
}

/* Sets ae->shared and ae->nall over the alert's identities: those of its
 * episodes (ae->ids) and those the analysis counts (al's, NULL: none),
 * which differ when EPISODES_MAX cut the episodes. Returns 0 or -1. */
static int
shared_labels(struct alert_eps *ae, const struct analysis *a,
    const struct an_alert_row *al)
{
	size_t nal = al != NULL ? al->nidents : 0;
	json_t *first, *v;
	const char *k;

	if ((ae->shared = json_object()) == NULL)
		return -1;
	ae->nall = ae->nids;
	for (size_t i = 0; i < nal; i++) {
		uint64_t fp = a->ids[al->idents[i].ident].fp;
		size_t j = 0;

		while (j < ae->nids && ae->ids[j].fp != fp)
			j++;
		if (j == ae->nids)
			ae->nall++;
	}
	if (ae->nids > 0)
		first = ae->ids[0].labels;
	else if (nal > 0)
		first = a->ids[al->idents[0].ident].labels;
	else
		return 0;
	json_object_foreach(first, k, v) {
		int shared = strcmp(k, "alertname") != 0;

		for (size_t j = 0; shared && j < ae->nids; j++)
			shared = has_label(ae->ids[j].labels, k, v);
		for (size_t j = 0; shared && j < nal; j++)
			shared = has_label(a->ids[al->idents[j].ident].labels,
			    k, v);
		if (shared && json_object_set(ae->shared, k, v) < 0)
			return -1;
	}
	return 0;
}

/* Sets each identity's text: its labels but alertname and the shared
 * ones, as "k=v, k=v" (by name). Returns 0 or -1. */
static int
ident_texts(struct alert_eps *ae)
{
	for (size_t i = 0; i < ae->nids; i++) {
		json_t *labels = ae->ids[i].labels, *v;
		const char **keys, *k;
		size_t n = 0;
		struct buf b;

		keys = calloc(json_object_size(labels) + 1, sizeof(*keys));
		if (keys == NULL)
			return -1;
		buf_init(&b, PAGE_MAX);
		json_object_foreach(labels, k, v)
			if (strcmp(k, "alertname") != 0 &&
			    !has_label(ae->shared, k, v))
				keys[n++] = k;
		qsort(keys, n, sizeof(*keys), cmp_cstr);
		for (size_t j = 0; j < n; j++) {
			v = json_object_get(labels, keys[j]);
			if (buf_printf(&b, "%s%s=%s", j ? ", " : "", keys[j],
			    json_is_string(v) ? json_string_value(v) : "") < 0)
				goto fail;
		}
		if (n == 0 && buf_puts(&b, ae->nall > 1 ? "(only the labels "
		    "above)" : "(the labels above)") < 0)
			goto fail;
		free(keys);
		if ((ae->ids[i].text = buf_steal(&b)) == NULL)
			return -1;
		continue;
fail:
		free(keys);
		buf_free(&b);
		return -1;
	}
	return 0;
}

/* The alert's episodes in a's window, read from the store down to the
 * earliest start among those a holds of it (an episode overlapping the
 * window that started earlier fired, so a holds it as context); when a is
 * of a selection (selected: team=), only those of the identities a has.
 * Returns 0, or -1 with err. */
static int
load_episodes(struct store *st, const struct analysis *a, int selected,
    const char *name, const struct an_alert_row *al, struct alert_eps *ae,
    char *err, size_t errlen)
{
	struct episode_filter f;

	memset(ae, 0, sizeof(*ae));
	ae->stop_before = a->from;
	ae->selected = selected;
	if (selected && (ae->only = calloc(a->nids + 1,
	    sizeof(*ae->only))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; selected && i < a->nids; i++)
		if (strcmp(a->ids[i].alertname, name) == 0)
			ae->only[ae->nonly++] = a->ids[i].fp;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int64_t start = e->pending_at ? e->pending_at : e->firing_at;

		if (start < ae->stop_before &&
		    strcmp(a->ids[e->ident].alertname, name) == 0)
			ae->stop_before = start;
	}
	memset(&f, 0, sizeof(f));
	f.alertname = name;
	f.since = a->from;
	f.until = a->to;
	if (store_query_episodes(st, &f, take_episode, ae) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	if (ae->oom || shared_labels(ae, a, al) < 0 || ident_texts(ae) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
take_any(const struct episode_row *row, void *arg)
{
	*(int *)arg = 1;
	return 1;
}

/* Whether the store has any episode of the alertname: 1, 0, or -1. */
static int
alert_known(struct store *st, const char *name)
{
	struct episode_filter f;
	int found = 0;

	memset(&f, 0, sizeof(f));
	f.alertname = name;
	if (store_query_episodes(st, &f, take_any, &found) < 0)
		return -1;
	return found;
}

/* A KPI card: label and value (plain text, nothing to escape). */
static void
card(struct fmt_out *p, const char *label, const char *value, const char *note)
{
	fmt_putf(p, "<div class=\"kpi\"><div class=\"l\">%s</div>"
	    "<div class=\"v\">%s</div>", label, value);
	if (note != NULL)
		fmt_putf(p, "<div class=\"muted\">%s</div>", note);
	fmt_put(p, "</div>\n");
}

/* The alert's numbers: its row of the window's alerts view (NULL: no
 * fired or pending-only episode in the window). */
static void
alert_numbers(struct fmt_out *p, const struct analysis *a,
    const struct an_alert_row *al)
{
	char v[64], note[96], t[48], why[96];

	fmt_put(p, "<section id=\"numbers\">\n<h2>In this window</h2>\n");
	if (al == NULL || al->n.episodes == 0) {
		fmt_put(p, "<p class=\"muted\">None of its episodes fired in "
		    "this window");
		if (al != NULL && al->pending_only > 0)
			fmt_putf(p, "; %ld went pending and ended before "
			    "firing", al->pending_only);
		fmt_put(p, ".</p>\n</section>\n");
		return;
	}
	fmt_put(p, "<div class=\"kpis\">\n");
	snprintf(v, sizeof(v), "%ld", al->n.episodes);
	snprintf(note, sizeof(note), "%ld noise", al->n.noise);
	card(p, "Episodes", v, note);
	snprintf(v, sizeof(v), "%ld", al->pending_only);
	card(p, "Pending only", v, "went pending, ended before firing");
	fmt_pct(an_ratio(al->n.noise, al->n.episodes), v, sizeof(v));
	card(p, "Noise ratio", v, NULL);
	snprintf(v, sizeof(v), "%ld", al->n.notifications);
	snprintf(note, sizeof(note), "%ld pages", al->n.pages);
	card(p, "Notifications", v, note);
	fmt_mttr(&al->n, al->n.mttr_median, v, sizeof(v));
	fmt_mttr(&al->n, al->n.mttr_p90, t, sizeof(t));
	snprintf(note, sizeof(note), "p90 %s, %ld resolved", t,
	    al->n.resolved);
	card(p, "Time to resolve (median)", v, note);
	snprintf(note, sizeof(note), "flapping now: %s",
	    al->flapping ? "yes" : "no");
	if (flap_why(a, al, why, sizeof(why))) {
		fmt_dec(al->flap_score, 1, v, sizeof(v));
		card(p, "Flap score (highest)", v, note);
	} else {
		fmt_putf(p, "<div class=\"kpi\" title=\"%s\">", why);
		fmt_put(p, "<div class=\"l\">Flap score (highest)</div>"
		    "<div class=\"v\">\xe2\x80\x94</div>"
		    "<div class=\"muted\">too few episodes to tell</div>"
		    "</div>\n");
	}
	fmt_dur(al->n.firing_seconds, v, sizeof(v));
	card(p, "Firing time", v, NULL);
	snprintf(v, sizeof(v), "%ld / %ld", al->n.feedback[FB_ACTIONABLE],
	    al->n.feedback[FB_NOISE]);
	card(p, "Verdicts", v, "actionable / noise");
	fmt_put(p, "</div>\n<p>Classes: ");
	put_class_counts(p, al->n.classes);
	fmt_put(p, "</p>\n</section>\n");
}

/* The labels of an identity but alertname and those in skip (NULL: none),
 * sorted, as code. */
static void
put_labels(struct fmt_out *p, const json_t *labels, const json_t *skip)
{
	const char **keys, *k;
	json_t *v;
	size_t n = 0;

	keys = calloc(json_object_size(labels) + 1, sizeof(*keys));
	if (keys == NULL) {
		p->err = 1;
		return;
	}
	json_object_foreach((json_t *)labels, k, v)
		if (strcmp(k, "alertname") != 0 &&
		    (skip == NULL || !has_label(skip, k, v)))
			keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_cstr);
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(labels, keys[i]);
		fmt_put(p, i ? ", <code>" : "<code>");
		html_esc(p, keys[i]);
		fmt_put(p, "=\"");
		html_esc(p, json_is_string(v) ? json_string_value(v) : "");
		fmt_put(p, "\"</code>");
	}
	if (n == 0)
		fmt_putf(p, "<span class=\"muted\">%s</span>", skip != NULL ?
		    "the labels above" : "no other labels");
	free(keys);
}

/* The labels every identity of the alert shares, once. */
static void
alert_labels(struct fmt_out *p, const struct alert_eps *ae)
{
	if (ae->nall == 0)
		return;
	fmt_put(p, "<section id=\"labels\">\n<h2>Labels</h2>\n<p>");
	if (ae->nall == 1)
		fmt_put(p, "Of its one identity: ");
	else
		fmt_putf(p, "Shared by all %zu identities (the rows below show "
		    "the others): ", ae->nall);
	if (json_object_size(ae->shared) == 0 && ae->nall > 1)
		fmt_put(p, "<span class=\"muted\">none but alertname</span>");
	else
		put_labels(p, ae->shared, NULL);
	fmt_put(p, "</p>\n</section>\n");
}

static void
alert_identities(struct fmt_out *p, const struct analysis *a,
    const struct an_alert_row *al, const json_t *shared)
{
	if (al == NULL || al->nidents == 0)
		return;
	fmt_put(p, "<section id=\"identities\">\n<h2>Identities</h2>\n"
	    "<div class=\"tw\">\n<table>\n"
	    "<thead><tr><th>Labels</th><th>Fingerprint</th>"
	    "<th class=\"n\">Episodes</th><th class=\"n\">Pending only</th>"
	    "<th class=\"n\">Noise ratio</th>"
	    "<th>Classes</th><th class=\"n\">Flap score</th>"
	    "<th class=\"n\">Time to resolve<br>(median)</th></tr></thead>\n"
	    "<tbody>\n");
	for (size_t i = 0; i < al->nidents; i++) {
		const struct an_alert_row *id = &al->idents[i];
		char ratio[24], mttr[48], fp[17];

		fmt_pct(an_ratio(id->n.noise, id->n.episodes), ratio,
		    sizeof(ratio));
		fmt_mttr(&id->n, id->n.mttr_median, mttr, sizeof(mttr));
		fp_format(a->ids[id->ident].fp, fp);
		fmt_put(p, "<tr><td>");
		put_labels(p, a->ids[id->ident].labels, shared);
		fmt_put(p, "</td><td><code>");
		html_esc(p, fp);
		fmt_putf(p, "</code></td><td class=\"n\">%ld</td>"
		    "<td class=\"n\">%ld</td><td class=\"n\">%s</td><td>",
		    id->n.episodes, id->pending_only, ratio);
		put_class_counts(p, id->n.classes);
		fmt_put(p, "</td>");
		put_flap_cell(p, a, id);
		fmt_putf(p, "<td class=\"n\">%s</td></tr>\n", mttr);
	}
	fmt_put(p, "</tbody>\n</table>\n</div>\n</section>\n");
}

/* --- the timeline -------------------------------------------------------- */

/* Timeline geometry (SVG user units). */
#define TL_LW		200	/* the label column */
#define TL_R		10
#define TL_T		28	/* the legend above the rows */
#define TL_OV		10	/* the whole window's strip, below the legend */
#define TL_OVGAP	14	/* between the strip and the rows */
#define TL_ROWS		(TL_T + TL_OV + TL_OVGAP)	/* the first row */
#define TL_ROW		20
#define TL_BAR		12
#define TL_B		24	/* the time axis below */

#define MIN_MS		60000LL
#define TL_PAD		(2 * MIN_MS)	/* the least margin around episodes */
#define TL_SPAN_MIN	(10 * MIN_MS)	/* the shortest zoomed axis */

/* The span of time an axis covers, [from, to] (ms), to < from never. */
struct tl_span {
	int64_t from, to;
};

static int
cmp_ident_text(const void *x, const void *y, void *arg)
{
	const struct alert_eps *ae = arg;

	return strcmp(ae->ids[*(const size_t *)x].text,
	    ae->ids[*(const size_t *)y].text);
}

/* When an episode starts and ends (now while open), within a's window; 0
 * when it lies outside. */
static int
ep_span(const struct analysis *a, const struct episode *e, struct tl_span *s)
{
	s->from = e->pending_at ? e->pending_at : e->firing_at;
	s->to = e->resolved_at ? e->resolved_at : a->now;
	if (s->to < s->from)
		s->to = s->from;
	if (s->to < a->from || s->from > a->to)
		return 0;
	if (s->from < a->from)
		s->from = a->from;
	if (s->to > a->to)
		s->to = a->to;
	return 1;
}

/* The main axis: from a little before the first episode's start to a
 * little after the last one's end (a twentieth of their span, at least
 * TL_PAD; at least TL_SPAN_MIN in all), whole minutes, within the window;
 * the whole window when that covers most of it or there is no episode. */
static struct tl_span
tl_zoom(const struct analysis *a, const struct alert_eps *ae)
{
	struct tl_span s = { a->from, a->to }, e;
	int64_t lo = INT64_MAX, hi = INT64_MIN, pad;

	for (size_t i = 0; i < ae->n; i++) {
		if (!ep_span(a, &ae->eps[i].e, &e))
			continue;
		if (e.from < lo)
			lo = e.from;
		if (e.to > hi)
			hi = e.to;
	}
	if (lo > hi)
		return s;
	pad = (hi - lo) / 20 > TL_PAD ? (hi - lo) / 20 : TL_PAD;
	lo -= pad;
	hi += pad;
	if (hi - lo < TL_SPAN_MIN) {
		lo -= (TL_SPAN_MIN - (hi - lo)) / 2;
		hi = lo + TL_SPAN_MIN;
	}
	lo = lo / MIN_MS * MIN_MS;
	hi = (hi + MIN_MS - 1) / MIN_MS * MIN_MS;
	if (lo < a->from)
		lo = a->from;
	if (hi > a->to)
		hi = a->to;
	if ((hi - lo) * 10 < (a->to - a->from) * 8) {
		s.from = lo;
		s.to = hi;
	}
	return s;
}

/* A tick step that puts at most 8 ticks in span. */
static int64_t
tick_step(int64_t span)
{
	static const int64_t steps[] = {
		MIN_MS, 2 * MIN_MS, 5 * MIN_MS, 10 * MIN_MS, 15 * MIN_MS,
		30 * MIN_MS, 3600000, 2 * 3600000, 3 * 3600000, 6 * 3600000,
		12 * 3600000, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS,
		28 * DAY_MS, 91 * DAY_MS,
	};
	size_t i;

	for (i = 0; i + 1 < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 8)
			break;
	return steps[i];
}

/* The offset of tz (NULL: UTC) at t, in ms. */
static int64_t
tz_off_ms(const struct tz *tz, int64_t t)
{
	return tz != NULL ? (int64_t)tz_offset(tz, t / 1000) * 1000 : 0;
}

/* The local time of t in tz (NULL: UTC). */
static void
tl_local(const struct tz *tz, int64_t t, struct tm *tm)
{
	time_t sec = (time_t)(t / 1000);

	if (tz != NULL)
		tz_local(tz, t, tm);
	else
		gmtime_r(&sec, tm);
}

/* t in tz as "2026-11-26 21:51". */
static void
put_local(struct fmt_out *p, const struct tz *tz, int64_t t)
{
	struct tm tm;
	char s[32];

	tl_local(tz, t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M", &tm);
	fmt_put(p, s);
}

/* The x of t on an axis over s, clipped to it. */
static double
tl_x(const struct tl_span *s, int64_t t)
{
	double pw = HTML_SVG_WIDTH - TL_LW - TL_R;

	if (t < s->from)
		t = s->from;
	if (t > s->to)
		t = s->to;
	if (s->to == s->from)
		return TL_LW;
	return TL_LW + (double)(t - s->from) / (double)(s->to - s->from) * pw;
}

/* One bar from start to end (clipped to s); none when outside. */
static void
tl_bar(struct fmt_out *p, const struct tl_span *s, double y, int64_t start,
    int64_t end, const char *color, int light)
{
	double x0, x1;

	if (end < s->from || start > s->to || end < start)
		return;
	x0 = tl_x(s, start);
	x1 = tl_x(s, end);
	if (x1 - x0 < 2)
		x1 = x0 + 2;
	fmt_putf(p, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
	    "fill=\"%s\"%s/>", x0, y, x1 - x0, TL_BAR, color, light ?
	    " fill-opacity=\"0.35\"" : "");
}

/* The class of an episode when the analysis classified it. */
static int
ep_class(const struct analysis *a, const struct ep *ep, enum an_class *cls,
    unsigned *reasons, int *presumed)
{
	return ep->e.firing_at != 0 &&
	    an_episode_class(a, ep->e.id, cls, reasons, presumed);
}

/* The axis of s below rows that end at bottom: a grid line and a label
 * per tick, local times in tz (days by date, hours by time: a date at
 * midnight). */
static void
tl_axis(struct fmt_out *p, const struct tz *tz, const struct tl_span *s,
    double bottom)
{
	int64_t step = tick_step(s->to - s->from), off, t;

	off = tz_off_ms(tz, s->from);
	/* from + off >= 0: windows start after 1970 */
	t = (s->from + off + step - 1) / step * step - off;
	while (t <= s->to) {
		struct tm tm;
		char label[32];
		int64_t o;

		tl_local(tz, t, &tm);
		if (step < DAY_MS && (tm.tm_hour != 0 || tm.tm_min != 0))
			strftime(label, sizeof(label), "%H:%M", &tm);
		else
			strftime(label, sizeof(label), "%m-%d", &tm);
		fmt_putf(p, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
		    "y2=\"%.1f\" stroke=\"%s\"/>", tl_x(s, t), tl_x(s, t),
		    TL_ROWS - 4, bottom + 2, HTML_COLOR_GRID);
		/* no label cut by the right edge */
		if (tl_x(s, t) <= HTML_SVG_WIDTH - 16)
			fmt_putf(p, "<text class=\"tick\" x=\"%.1f\" "
			    "y=\"%.1f\" text-anchor=\"middle\">%s</text>",
			    tl_x(s, t), bottom + 16, label);
		fmt_put(p, "\n");
		t += step;
		/* days stay at local midnight across an offset change */
		if (step >= DAY_MS && (o = tz_off_ms(tz, t)) != off) {
			t -= o - off;
			off = o;
		}
	}
}

/* The whole window's strip: a tick per episode, the zoomed span framed. */
static void
tl_overview(struct fmt_out *p, const struct analysis *a,
    const struct alert_eps *ae, const struct tl_span *zoom)
{
	struct tl_span w = { a->from, a->to }, e;

	fmt_putf(p, "<g class=\"overview\"><text class=\"ov\" x=\"%d\" "
	    "y=\"%d\" text-anchor=\"end\">whole window</text>"
	    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>", TL_LW - 6, TL_T + TL_OV -
	    1, TL_LW, TL_T, HTML_SVG_WIDTH - TL_LW - TL_R, TL_OV);
	for (size_t i = 0; i < ae->n; i++) {
		if (!ep_span(a, &ae->eps[i].e, &e))
			continue;
		fmt_putf(p, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\" fill=\"%s\"/>", tl_x(&w, e.from), TL_T + 2,
		    tl_x(&w, e.to) - tl_x(&w, e.from) < 1.5 ? 1.5 :
		    tl_x(&w, e.to) - tl_x(&w, e.from), TL_OV - 4,
		    HTML_COLOR_AXIS);
	}
	if (zoom->from != w.from || zoom->to != w.to) {
		double x0 = tl_x(&w, zoom->from), x1 = tl_x(&w, zoom->to);

		if (x1 - x0 < 3) {
			x0 = (x0 + x1) / 2 - 1.5;
			x1 = x0 + 3;
		}
		fmt_putf(p, "<rect class=\"zoom\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\" fill=\"#0969da\" "
		    "fill-opacity=\"0.15\" stroke=\"#0969da\"/>", x0, TL_T - 2,
		    x1 - x0, TL_OV + 4);
	}
	fmt_put(p, "</g>\n");
}

/* A strip per identity (the first ROWS_MAX by their text), a bar per
 * episode: firing in its class's colour, the pending phase lighter. The
 * axis zooms to the episodes (tl_zoom) and is in tz (report.timezone;
 * NULL: UTC); a strip above it shows the whole window. */
static void
alert_timeline(struct fmt_out *p, const struct analysis *a, const char *name,
    struct alert_eps *ae, const struct tz *tz)
{
	size_t rows = ae->nids < ROWS_MAX ? ae->nids : ROWS_MAX;
	size_t *order = malloc((ae->nids + 1) * sizeof(*order));
	size_t *row_of = malloc((ae->nids + 1) * sizeof(*row_of));
	double H = TL_ROWS + TL_ROW * (double)rows + TL_B, x;
	struct tl_span s;
	struct buf title;
	char from[40], to[40];

	fmt_put(p, "<section id=\"timeline\">\n<h2>Timeline</h2>\n");
	if (ae->n == 0) {
		fmt_put(p, "<p class=\"muted\">No episode in this window.</p>\n"
		    "</section>\n");
		goto out;
	}
	if (order == NULL || row_of == NULL) {
		p->err = 1;
		goto out;
	}
	for (size_t i = 0; i < ae->nids; i++)
		order[i] = i;
	qsort_r(order, ae->nids, sizeof(*order), cmp_ident_text, ae);
	for (size_t i = 0; i < ae->nids; i++)
		row_of[order[i]] = i < rows ? i : SIZE_MAX;
	s = tl_zoom(a, ae);

	buf_init(&title, PAGE_MAX);
	if (buf_printf(&title, "Episodes of %s, one row per identity: firing "
	    "in the colour of its class, pending lighter", name) < 0)
		p->err = 1;
	ts_format_rfc3339(s.from, from, sizeof(from));
	ts_format_rfc3339(s.to, to, sizeof(to));
	fmt_putf(p, "<figure class=\"timeline\" data-from=\"%s\" "
	    "data-to=\"%s\">\n", from, to);
	html_svg_open(p, "chart-timeline", (int)H,
	    title.data ? title.data : "");
	buf_free(&title);
	x = 4;
	for (int c = 0; c < CLS_COUNT; c++) {
		const char *n = an_class_name((enum an_class)c);

		html_svg_legend(p, x, class_color[c], n);
		x += 24 + 6.2 * (double)strlen(n);
	}
	html_svg_legend(p, x, COLOR_UNCLASSIFIED,
	    "not classified");
	tl_overview(p, a, ae, &s);
	for (size_t i = 1; i < rows; i += 2)
		fmt_putf(p, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" "
		    "height=\"%d\" fill=\"#f6f8fa\"/>\n", TL_LW,
		    TL_ROWS + TL_ROW * (double)i, HTML_SVG_WIDTH - TL_LW - TL_R,
		    TL_ROW);
	tl_axis(p, tz, &s, H - TL_B);
	for (size_t i = 0; i < rows; i++) {
		double y = TL_ROWS + TL_ROW * (double)i;

		fmt_putf(p, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		    TL_LW - 6, y + TL_ROW / 2.0 + 4);
		html_esc_cut(p, ae->ids[order[i]].text,
		    LABEL_CUT);
		fmt_put(p, "</text>\n");
	}
	for (size_t i = 0; i < ae->n; i++) {
		const struct ep *ep = &ae->eps[i];
		const struct episode *e = &ep->e;
		size_t row = row_of[ep->ident];
		double y = TL_ROWS + TL_ROW * (double)row +
		    (TL_ROW - TL_BAR) / 2.0;
		enum an_class cls = CLS_ACTIONABLE;
		unsigned reasons;
		int presumed, classified;
		const char *color = COLOR_UNCLASSIFIED;
		int64_t now = a->now;

		if (row == SIZE_MAX)
			continue;
		classified = ep_class(a, ep, &cls, &reasons, &presumed);
		if (classified)
			color = class_color[cls];
		fmt_put(p, "<g><title>");
		html_esc(p, ae->ids[ep->ident].text);
		fmt_put(p, ": ");
		fmt_put(p, classified ? an_class_name(cls) : e->firing_at ?
		    "not classified (fired before the window)" :
		    "never fired");
		if (e->pending_at) {
			char t[40];

			ts_format_rfc3339(e->pending_at, t, sizeof(t));
			fmt_putf(p, "; pending from %s", t);
		}
		if (e->firing_at) {
			char t[40];

			ts_format_rfc3339(e->firing_at, t, sizeof(t));
			fmt_putf(p, "; firing from %s", t);
		}
		if (e->resolved_at) {
			char t[40];

			ts_format_rfc3339(e->resolved_at, t, sizeof(t));
			fmt_putf(p, "; resolved %s", t);
		} else {
			fmt_put(p, "; still open");
		}
		fmt_put(p, "</title>");
		if (e->pending_at)
			tl_bar(p, &s, y, e->pending_at, e->firing_at ?
			    e->firing_at : e->resolved_at ? e->resolved_at :
			    now, color, 1);
		if (e->firing_at)
			tl_bar(p, &s, y, e->firing_at, e->resolved_at ?
			    e->resolved_at : now, color, 0);
		fmt_put(p, "</g>\n");
	}
	fmt_putf(p, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\"/>\n</svg>\n", TL_LW, HTML_SVG_WIDTH - TL_R,
	    H - TL_B + 2, H - TL_B + 2, HTML_COLOR_AXIS);
	fmt_put(p, "<figcaption>Each bar is an episode, from firing to "
	    "resolved (or now); the lighter part before it is its pending "
	    "phase. ");
	if (s.from != a->from || s.to != a->to) {
		fmt_put(p, "The axis spans the episodes, ");
		put_local(p, tz, s.from);
		fmt_put(p, " to ");
		put_local(p, tz, s.to);
		fmt_put(p, "; the strip above it the whole window, the span "
		    "framed. ");
	}
	fmt_put(p, "Times in ");
	html_esc(p, tz != NULL ? tz_name(tz) : "UTC");
	fmt_put(p, ".");
	if (ae->nids > rows)
		fmt_putf(p, " The first %zu of %zu identities are shown.", rows,
		    ae->nids);
	fmt_put(p, "</figcaption>\n</figure>\n</section>\n");
out:
	free(order);
	free(row_of);
}

/* --- the episodes table -------------------------------------------------- */

/* One of the two feedback buttons: a form posting the verdict on the
 * episode, as the /feedback page's (fp and at: [0-9a-zA-Z.:-]). */
static void
fb_form(struct fmt_out *p, const char *fp, const char *at, const char *verdict,
    const char *button)
{
	fmt_putf(p, "<form class=\"fb\" method=\"post\" "
	    "action=\"/api/v1/feedback\" accept-charset=\"utf-8\">"
	    "<input type=\"hidden\" name=\"fingerprint\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"starts_at\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"verdict\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"return\" value=\"1\">"
	    "<button type=\"submit\">%s</button></form>", fp, at, verdict,
	    button);
}

static void
alert_episodes(struct fmt_out *p, const struct analysis *a,
    const struct alert_eps *ae)
{
	fmt_put(p, "<section id=\"episodes\">\n<h2>Episodes</h2>\n");
	if (ae->n == 0) {
		fmt_put(p, "<p class=\"muted\">None in this window.</p>\n"
		    "</section>\n");
		return;
	}
	if (ae->more)
		fmt_putf(p, "<p class=\"muted\">The latest %d episodes.</p>\n",
		    EPISODES_MAX);
	fmt_put(p, "<div class=\"tw\">\n<table class=\"small\">\n"
	    "<thead><tr><th>Identity</th>"
	    "<th>Pending</th><th>Firing</th><th>Resolved</th>"
	    "<th class=\"n\">Fired for</th><th>Class</th><th>Reasons</th>"
	    "<th>Notified</th><th class=\"fb\">Verdict</th></tr></thead>\n"
	    "<tbody>\n");
	for (size_t i = 0; i < ae->n; i++) {
		const struct ep *ep = &ae->eps[i];
		const struct episode *e = &ep->e;
		enum an_class cls;
		unsigned reasons = 0;
		int presumed;
		json_t *rs, *v;
		char fp[17], at[40], dur[48];
		size_t k;

		fp_format(e->identity, fp);
		fmt_putf(p, "<tr><td class=\"id\" title=\"fingerprint %s", fp);
		if (ae->nall > 1 && strlen(ae->ids[ep->ident].text) >
		    IDENT_CUT) {	/* the whole of a long one on hover */
			fmt_put(p, ": ");
			html_esc(p, ae->ids[ep->ident].text);
		}
		fmt_put(p, "\">");
		if (ae->nall > 1)
			html_esc_cut(p, ae->ids[ep->ident].text, IDENT_CUT);
		else	/* its one identity: the labels above */
			fmt_put(p, "<span class=\"muted\">\xe2\x80\x94</span>");
		fmt_put(p, "</td>");
		put_time_cell(p, e->pending_at);
		put_time_cell(p, e->firing_at);
		if (e->resolved_at)
			put_time_cell(p, e->resolved_at);
		else
			fmt_putf(p, "<td>%s</td>", e->firing_at ? "firing" :
			    "pending");
		fmt_put(p, "<td class=\"n\">");
		if (e->firing_at) {
			fmt_dur((double)((e->resolved_at ?
			    e->resolved_at : a->now) - e->firing_at) / 1000.0,
			    dur, sizeof(dur));
			fmt_put(p, dur);
		} else {
			fmt_put(p, "-");
		}
		fmt_put(p, "</td><td>");
		if (ep_class(a, ep, &cls, &reasons, &presumed))
			put_class(p, cls, presumed);
		else
			fmt_putf(p, "<span class=\"cls cls-none\">%s</span>",
			    e->firing_at ? "before the window" : "never fired");
		fmt_put(p, "</td><td>");
		if ((rs = json_array()) == NULL) {
			p->err = 1;
			break;
		}
		an_reasons_json(reasons, rs);
		json_array_foreach(rs, k, v)
			fmt_putf(p, "%s%s", k ? ", " : "",
			    json_string_value(v));
		if (json_array_size(rs) == 0)
			fmt_put(p, "-");
		json_decref(rs);
		if (e->notifications > 0) {
			fmt_putf(p, "</td><td>%lld\xc3\x97 to ",
			    (long long)e->notifications);
		} else {
			const struct an_episode *x = an_episode_find(a,
			    e->id);
			const char *why = x ? an_nn_name(x->not_notified) :
			    NULL;

			fmt_put(p, "</td><td>no");
			if (why != NULL)
				fmt_putf(p, " <span class=\"muted\" "
				    "title=\"why it was not notified\">(%s)"
				    "</span>", why);
		}
		json_array_foreach(ep->receivers, k, v) {
			fmt_put(p, k ? ", " : "");
			html_esc(p, json_string_value(v));
		}
		if (e->notifications > 0 && json_array_size(ep->receivers) == 0)
			fmt_put(p, "?");
		fmt_put(p, "</td><td class=\"fb\">");
		if (e->firing_at) {
			ts_format_rfc3339(e->firing_at, at, sizeof(at));
			fb_form(p, fp, at, "actionable", "Actionable");
			fmt_put(p, " ");
			fb_form(p, fp, at, "noise", "Noise");
			fmt_putf(p, "<br><a class=\"small\" href=\"/feedback?"
			    "fingerprint=%s&amp;starts_at=%s\">with a note"
			    "\xe2\x80\xa6</a>", fp, at);
		} else {
			fmt_put(p, "-");
		}
		fmt_put(p, "</td></tr>\n");
	}
	fmt_put(p, "</tbody>\n</table>\n</div>\n"
	    "<p class=\"muted small\">A verdict is about "
	    "one episode; the last one given counts and changes the numbers at "
	    "once. Times in UTC.</p>\n</section>\n");
}

/* The recommendations about the alertname, from all of them (NULL: the
 * replay failed, err says why). */
static void
alert_recommendations(struct fmt_out *p, const struct rc_list *recs,
    const char *name, const char *err)
{
	json_t *mine;

	if (recs == NULL) {
		fmt_put(p, "<section id=\"recommendations\">\n"
		    "<h2>Recommendations</h2>\n<p class=\"err\">Unavailable: ");
		html_esc(p, err);
		fmt_put(p, "</p>\n</section>\n");
		return;
	}
	if ((mine = json_array()) == NULL) {
		p->err = 1;
		return;
	}
	for (size_t i = 0; i < recs->n; i++) {
		const struct rc_rec *rec = &recs->rows[i];

		if (rec->alertname != NULL && strcmp(rec->alertname, name) ==
		    0 && json_array_append_new(mine, rc_rec_json(rec)) < 0)
			p->err = 1;
	}
	report_html_recommendations(p, mine);
	json_decref(mine);
}

enum MHD_Result
ui_alert(struct MHD_Connection *c, struct request *r)
{
	const char *name = r->url + strlen("/alerts/");
	const struct analysis *a;
	const struct an_alert_row *al;
	const struct an_alerts *alerts;
	const struct rc_list *recs;
	struct alert_eps ae;
	struct buf here;
	enum MHD_Result ret;
	void *handle = NULL, *whole = NULL;
	struct fmt_out p;
	struct ui u;
	char err[512], rerr[512], msg[200];
	int known;

	memset(&ae, 0, sizeof(ae));
	buf_init(&here, PAGE_MAX);
	if (buf_puts(&here, "/alerts/") < 0 || links_pct_encode(&here, name) < 0) {
		buf_free(&here);
		return respond_text(c, r, 500, "out of memory\n");
	}
	if (ui_start(c, r, &u, here.data, &ret) < 0 ||
	    (a = ui_analysis(c, r, &u, here.data, &handle, &ret)) == NULL)
		goto out;
	if ((alerts = analysis_alerts(handle, err, sizeof(err))) == NULL) {
		ret = respond_text(c, r, 500, "out of memory\n");
		goto out;
	}
	al = an_alerts_find(alerts, name);
	if (load_episodes(u.d->store, a, u.scope.nmatch > 0, name, al, &ae,
	    err, sizeof(err)) < 0) {
		log_error("reading an alert's episodes failed", "err", err);
		ret = page_error(c, r, &u, here.data, 503, "Store unavailable",
		    err);
		goto out;
	}
	if (al == NULL && ae.n == 0) {
		if ((known = alert_known(u.d->store, name)) < 0) {
			ret = page_error(c, r, &u, here.data, 503,
			    "Store unavailable", store_errmsg(u.d->store));
			goto out;
		}
		if (!known) {
			snprintf(msg, sizeof(msg), "alertnoise knows no alert "
			    "named \"%.120s\".", name);
			ret = page_error(c, r, &u, here.data, 404,
			    "Unknown alert", msg);
			goto out;
		}
	}
	recs = ui_recommendations_for(&u, handle, &whole, rerr, sizeof(rerr));

	page_begin(&p, &u, name, NULL, here.data);
	fmt_put(&p, "<h1>");
	html_esc(&p, name);
	fmt_put(&p, "</h1>\n<p>");
	alert_extlinks(&p, &u, name, NULL);
	fmt_put(&p, "</p>\n");
	put_scope_line(&p, &u, a, analysis_handle_config(handle));
	fmt_put(&p, "</p>\n");
	alert_labels(&p, &ae);
	alert_numbers(&p, a, al);
	alert_identities(&p, a, al, ae.shared);
	alert_timeline(&p, a, name, &ae,
	    analysis_handle_config(handle)->report_tz);
	alert_episodes(&p, a, &ae);
	alert_recommendations(&p, recs, name, rerr);
	page_end(&p);
	ret = respond_page(c, r, 200, &p);
out:
	analysis_put(whole);
	analysis_put(handle);
	alert_eps_free(&ae);
	buf_free(&here);
	ui_end(&u);
	return ret;
}

/* --- GET /groups --------------------------------------------------------- */

static const char *
member_name(const struct an_group *g, size_t i)
{
	return i < g->nmembers ? g->members[i].alertname : "?";
}

/* The distinct alertnames of a group's members, each a link, with a count
 * when one repeats; then each member's labels, folded. */
static void
group_members(struct fmt_out *p, const struct ui *u, const struct an_group *g,
    int *budget)
{
	size_t n = g->nmembers;

	for (size_t i = 0; i < n;) {
		const char *name = member_name(g, i);
		size_t j = i + 1;

		while (j < n && strcmp(member_name(g, j), name) == 0)
			j++;
		fmt_put(p, i ? ", " : "");
		alert_link(p, u, name);
		if (j - i > 1)
			fmt_putf(p, " \xc3\x97%zu", j - i);
		alert_extlinks(p, u, name, budget);
		i = j;
	}
	fmt_putf(p, "<details><summary class=\"small\">%zu member%s</summary>"
	    "<ul class=\"small\">", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		fmt_put(p, "<li>");
		html_esc(p, member_name(g, i));
		fmt_put(p, ": ");
		put_labels(p, g->members[i].labels, NULL);
		fmt_put(p, "</li>");
	}
	fmt_put(p, "</ul></details>");
}

/* A group's evidence as one line, spelled as the recommendations' (fmt.h
 * fmt_fields_text): its numbers, a storm's common labels "{k: v, ...}"
 * and varying ones "[a, b]" when it has any, a name or value cut at 255
 * bytes. */
static void
group_evidence_text(struct fmt_out *t, const struct an_group *g)
{
	char num[32];

	switch (g->kind) {
	case GROUP_REPLICA:
		fmt_putf(t, "copies: %d, duplicate_deliveries: %d, "
		    "episodes: %zu", g->replica.copies,
		    g->replica.dup_deliveries, g->replica.episodes);
		break;
	case GROUP_COFIRING:
		if (g->cofiring.window_ms % 1000 == 0)
			snprintf(num, sizeof(num), "%lld",
			    (long long)(g->cofiring.window_ms / 1000));
		else
			fmt_dec((double)g->cofiring.window_ms / 1000, 2, num,
			    sizeof(num));
		fmt_putf(t, "window_seconds: %s", num);
		break;
	case GROUP_STORM:
		fmt_putf(t, "occurrences: %d, max_identities: %zu, "
		    "identities: %zu", g->storm.occurrences,
		    g->storm.max_identities, g->storm.identities);
		for (size_t i = 0; i < g->storm.ncommon; i++)
			fmt_putf(t, "%s%s: %.255s", i ? ", " :
			    ", common_labels: {", g->storm.common[i].name,
			    g->storm.common[i].value);
		if (g->storm.ncommon > 0)
			fmt_put(t, "}");
		for (size_t i = 0; i < g->storm.nvarying; i++)
			fmt_putf(t, "%s%.255s", i ? ", " :
			    ", varying_labels: [", g->storm.varying[i]);
		if (g->storm.nvarying > 0)
			fmt_put(t, "]");
		break;
	}
}

/* What backs a group: its evidence's numbers and, for co-firing, each
 * pair kept. */
static void
group_evidence(struct fmt_out *p, const struct an_group *g)
{
	struct fmt_out t;
	char *text;

	fmt_init(&t, (size_t)64 << 20);
	group_evidence_text(&t, g);
	text = fmt_finish(&t);
	html_esc(p, text ? text : "-");
	free(text);
	if (g->kind != GROUP_COFIRING || g->cofiring.npairs == 0)
		return;
	fmt_put(p, "<ul class=\"small\">");
	for (size_t i = 0; i < g->cofiring.npairs; i++) {
		const struct an_pair *q = &g->cofiring.pairs[i];
		char jac[24];

		fmt_dec(q->jaccard, 2, jac, sizeof(jac));
		fmt_put(p, "<li>");
		html_esc(p, member_name(g, q->a));
		fmt_put(p, " + ");
		html_esc(p, member_name(g, q->b));
		fmt_putf(p, ": %d together, Jaccard %s; first: ", q->co, jac);
		html_esc(p, member_name(g, q->a));
		fmt_putf(p, " %d\xc3\x97, ", q->a_first);
		html_esc(p, member_name(g, q->b));
		fmt_putf(p, " %d\xc3\x97</li>", q->b_first);
	}
	fmt_put(p, "</ul>");
}

enum MHD_Result
ui_groups(struct MHD_Connection *c, struct request *r)
{
	const struct analysis *a;
	enum MHD_Result ret;
	void *handle = NULL;
	struct fmt_out p;
	struct ui u;
	int budget = LINKS_MAX;

	if (ui_start(c, r, &u, "/groups", &ret) < 0)
		return ret;
	if ((a = ui_analysis(c, r, &u, "/groups", &handle, &ret)) == NULL) {
		ui_end(&u);
		return ret;
	}
	page_begin(&p, &u, "Dedup groups", "/groups", "/groups");
	fmt_put(&p, "<h1>Dedup groups</h1>\n");
	put_scope_line(&p, &u, a, analysis_handle_config(handle));
	fmt_put(&p, " Alerts that say the same thing: <strong>replica</strong>, one "
	    "alert sent by several Prometheus replicas or delivered twice; "
	    "<strong>cofiring</strong>, alert kinds that fire together (the "
	    "leader fires first most often: the inhibit source); "
	    "<strong>storm</strong>, one alert firing for many identities at "
	    "once.</p>\n");
	if (a->ngroups == 0) {
		fmt_put(&p, "<p class=\"muted\">No dedup group in this window.</p>\n");
	} else {
		fmt_put(&p, "<table>\n<thead><tr><th class=\"n\">#</th><th>Kind</th>"
		    "<th>Members</th><th>Leader</th><th class=\"n\">Support</th>"
		    "<th class=\"n\">Jaccard</th><th>Evidence</th></tr>"
		    "</thead>\n<tbody>\n");
		for (size_t i = 0; i < a->ngroups; i++) {
			const struct an_group *g = &a->groups[i];
			char jac[24];

			fmt_dec(g->jaccard, 2, jac, sizeof(jac));
			fmt_putf(&p, "<tr><td class=\"n\">%zu</td><td>", i + 1);
			html_esc(&p, an_group_kind_name(g->kind));
			fmt_put(&p, "</td><td>");
			group_members(&p, &u, g, &budget);
			fmt_put(&p, "</td><td>");
			if (g->leader >= 0)
				alert_link(&p, &u,
				    member_name(g, (size_t)g->leader));
			else
				fmt_put(&p, "-");
			fmt_putf(&p, "</td><td class=\"n\">%d</td>"
			    "<td class=\"n\">%s</td><td class=\"small\">",
			    g->support, g->kind == GROUP_COFIRING ? jac : "-");
			group_evidence(&p, g);
			fmt_put(&p, "</td></tr>\n");
		}
		fmt_put(&p, "</tbody>\n</table>\n");
	}
	page_end(&p);
	analysis_put(handle);
	ui_end(&u);
	return respond_page(c, r, 200, &p);
}

/* --- GET /recommendations ------------------------------------------------ */

enum MHD_Result
ui_recommendations(struct MHD_Connection *c, struct request *r)
{
	const char *here = "/recommendations";
	const struct analysis *a;
	enum MHD_Result ret;
	void *handle = NULL, *whole = NULL;
	const struct rc_list *recs;
	json_t *shown;
	struct fmt_out p;
	struct ui u;
	char err[512];
	int budget = LINKS_MAX, sel;
	size_t n = 0;

	if (ui_start(c, r, &u, here, &ret) < 0)
		return ret;
	if ((a = ui_analysis(c, r, &u, here, &handle, &ret)) == NULL) {
		ui_end(&u);
		return ret;
	}
	recs = ui_recommendations_for(&u, handle, &whole, err, sizeof(err));
	if (recs == NULL) {
		ret = page_error(c, r, &u, here, 503,
		    "Recommendations unavailable", err);
		goto out;
	}
	/* a team's: those about its alerts' alertnames (review.h), as its
	 * report carries them */
	sel = u.scope.nmatch > 0;
	page_begin(&p, &u, "Recommendations", here, here);
	fmt_put(&p, "<h1>Recommendations</h1>\n");
	put_scope_line(&p, &u, a, analysis_handle_config(handle));
	fmt_put(&p, " Each change is replayed alone over this window's history "
	    "under the current settings, and kept only when it removes "
	    "notifications or pages.");
	if (sel)
		fmt_put(&p, " Those of the team are the ones about its alerts' "
		    "alertnames, from the replay of every alert; one about a "
		    "route (several alertnames) is not shown here.");
	fmt_put(&p, "</p>\n");
	if ((shown = json_array()) == NULL)
		p.err = 1;
	for (size_t i = 0; shown != NULL && i < recs->n; i++) {
		const struct rc_rec *rec = &recs->rows[i];
		json_t *pred;
		char *sav;

		if (sel && !review_recommendation_of(rec, a))
			continue;
		if (json_array_append_new(shown, rc_rec_json(rec)) < 0)
			p.err = 1;
		if (n++ == 0)
			fmt_put(&p, "<section id=\"index\">\n<h2>At a glance"
			    "</h2>\n<table>\n<thead><tr><th class=\"n\">#</th>"
			    "<th>Kind</th><th>Alert</th><th>Confidence</th>"
			    "<th>Predicted savings</th></tr></thead>\n"
			    "<tbody>\n");
		pred = rc_pred_json(&rec->pred);
		sav = pred ? fmt_fields_text(pred) : NULL;
		json_decref(pred);
		fmt_putf(&p, "<tr><td class=\"n\">%zu</td><td>", n);
		html_esc(&p, rc_kind_name(rec->kind));
		fmt_put(&p, "</td><td>");
		if (rec->alertname != NULL) {
			alert_link(&p, &u, rec->alertname);
			alert_extlinks(&p, &u, rec->alertname, &budget);
		} else
			fmt_put(&p, "-");
		fmt_put(&p, "</td><td>");
		html_esc(&p, rc_conf_name(rec->conf));
		fmt_put(&p, "</td><td>");
		html_esc(&p, sav ? sav : "n/a");
		fmt_put(&p, "</td></tr>\n");
		free(sav);
	}
	if (n > 0)
		fmt_put(&p, "</tbody>\n</table>\n</section>\n");
	/* the cards: the report's rendering of the API's JSON */
	if (shown != NULL)
		report_html_recommendations(&p, shown);
	json_decref(shown);
	page_end(&p);
	ret = respond_page(c, r, 200, &p);
out:
	analysis_put(whole);
	analysis_put(handle);
	ui_end(&u);
	return ret;
}

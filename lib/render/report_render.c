/* report_render.c -- what the Markdown and the HTML rendering of the weekly
 * report have in common (report_int.h): each section of the report
 * (struct report) is walked here, its items made text (numbers formatted,
 * rows of cells), and handed to the format's small writer in report_md.c
 * or report_html.c, which only adds the markup. */
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_views.h"
#include "buf.h"
#include "config.h"
#include "fmt.h"
#include "report.h"
#include "timefmt.h"

/* --- the report's values as text ----------------------------------------- */

const char *
report__str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* A KPI value for display; "n/a" when undefined. */
static void
fmt_kpi(enum kpi_kind kind, double v, char *out, size_t outlen)
{
	if (isnan(v))
		snprintf(out, outlen, "n/a");
	else if (kind == K_RATIO)
		fmt_pct(v, out, outlen);
	else if (kind == K_SECONDS)
		fmt_dur(v, out, outlen);
	else
		fmt_dec(v, 2, out, outlen);
}

/* A KPI change d (NAN: none) as shown (struct change, report_int.h). */
static void
fmt_change(const struct kpi_def *k, double d, struct change *c)
{
	double r;
	char t[40];

	c->arrow = "";
	c->verdict = "";
	if (isnan(d)) {
		snprintf(c->text, sizeof(c->text), "n/a");
		return;
	}
	/* what is shown decides whether it changed: 0.04 pp is no change */
	r = k->kind == K_RATIO ? round(d * 1000) / 10 :
	    k->kind == K_SECONDS ? round(d * 10) / 10 : d;
	if (r == 0) {
		c->arrow = "=";
		snprintf(c->text, sizeof(c->text), "0%s",
		    k->kind == K_RATIO ? " pp" : "");
		return;
	}
	c->arrow = r > 0 ? "\xe2\x96\xb2" : "\xe2\x96\xbc";
	c->verdict = (r > 0) == (k->higher_better != 0) ? "better" : "worse";
	if (k->kind == K_RATIO) {
		fmt_dec(fabs(r), 1, t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s pp", r > 0 ? "+" : "-",
		    t);
	} else if (k->kind == K_SECONDS) {
		fmt_dur(fabs(r), t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s", r > 0 ? "+" : "-",
		    t);
	} else {
		fmt_dec(fabs(r), 2, t, sizeof(t));
		snprintf(c->text, sizeof(c->text), "%s%s", r > 0 ? "+" : "-",
		    t);
	}
}

/* The actionable episodes a recommendation's replay loses. */
static long long
rec_lost(const json_t *r)
{
	return (long long)json_integer_value(json_object_get(json_object_get(
	    r, "predicted"), "actionableLost"));
}

/* What a recommendation is about: its title (prose: *code 0), else its
 * alertname or target (a name: *code 1); NULL when it has none. */
static const char *
rec_subject(const json_t *rec, int *code)
{
	static const char *const keys[] = { "title", "alertname", "target" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = json_string_value(json_object_get(rec,
		    keys[i]));

		if (s != NULL && *s != '\0') {
			*code = i > 0;
			return s;
		}
	}
	return NULL;
}

/* Its predicted savings: "predicted" (lib/tuning/recommend.c's), else
 * "predictedSavings" or "savings". */
static const json_t *
rec_savings(const json_t *rec)
{
	static const char *const keys[] = { "predicted", "predictedSavings",
	    "savings" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(rec, keys[i]) != NULL)
			return json_object_get(rec, keys[i]);
	return NULL;
}

/* Its predicted savings for people (recommend.c's "predicted"): "pages 9
 * → 2 (−7); notifications 18 → 4; 7 noise episodes would not fire; 2
 * actionable episodes fire up to 5m 00s later (median 4m 00s); the replay
 * is within 5% of what was recorded". Other shapes: fmt_fields_text. A
 * new string, NULL on out-of-memory. */
static char *
savings_text(const json_t *p)
{
	const json_t *delay = json_object_get(p, "addedDelaySeconds");
	json_int_t pb, pa, nb, na, removed, delayed, lost;
	double err, dmax, dp50;
	char a[32], b[32];
	struct buf t;
	int rc = 0;

	if (!json_is_object(p) || json_object_get(p, "pagesBefore") == NULL)
		return fmt_fields_text(p);
	pb = json_integer_value(json_object_get(p, "pagesBefore"));
	pa = json_integer_value(json_object_get(p, "pagesAfter"));
	nb = json_integer_value(json_object_get(p, "notificationsBefore"));
	na = json_integer_value(json_object_get(p, "notificationsAfter"));
	removed = json_integer_value(json_object_get(p, "noiseRemoved"));
	delayed = json_integer_value(json_object_get(p, "actionableDelayed"));
	lost = json_integer_value(json_object_get(p, "actionableLost"));
	buf_init(&t, REPORT_RENDER_MAX);
	if (json_is_integer(json_object_get(p, "pagesBefore")) &&
	    json_is_integer(json_object_get(p, "pagesAfter")))
		rc |= buf_printf(&t, "pages %lld \xe2\x86\x92 %lld (\xe2\x88\x92%lld)",
		    (long long)pb, (long long)pa, (long long)(pb - pa));
	if (json_is_integer(json_object_get(p, "notificationsBefore")) &&
	    json_is_integer(json_object_get(p, "notificationsAfter")))
		rc |= buf_printf(&t, "%snotifications %lld \xe2\x86\x92 %lld",
		    t.len ? "; " : "", (long long)nb, (long long)na);
	if (removed > 0)
		rc |= buf_printf(&t, "%s%lld noise episode%s would not fire",
		    t.len ? "; " : "", (long long)removed, removed == 1 ? "" :
		    "s");
	if (delayed > 0) {
		dmax = json_number_value(json_object_get(delay, "max"));
		dp50 = json_number_value(json_object_get(delay, "p50"));
		fmt_dur(dmax, a, sizeof(a));
		fmt_dur(dp50, b, sizeof(b));
		rc |= buf_printf(&t, "%s%lld actionable episode%s fire%s up to %s "
		    "later (median %s)", t.len ? "; " : "", (long long)delayed,
		    delayed == 1 ? "" : "s", delayed == 1 ? "s" : "", a, b);
	}
	if (lost > 0)
		rc |= buf_printf(&t, "%s%lld actionable episode%s would not fire at "
		    "all", t.len ? "; " : "", (long long)lost, lost == 1 ? "" :
		    "s");
	if (json_is_number(json_object_get(p, "replayError"))) {
		err = json_number_value(json_object_get(p, "replayError"));
		fmt_pct(err, a, sizeof(a));
		rc |= buf_printf(&t, "%sthe replay is within %s of what was recorded",
		    t.len ? "; " : "", a);
	}
	if (t.len == 0)
		rc |= buf_puts(&t, "n/a");
	if (rc < 0) {			/* out of memory, or past the limit */
		buf_free(&t);
		return NULL;
	}
	return buf_steal(&t);
}

/* The distinct alertnames of a group's members, with a count when one
 * repeats: "Storm x12", "CoA, CoB". */
static char *
members_text(const struct report_group *g)
{
	size_t n = g->nmembers;
	struct buf b;

	buf_init(&b, REPORT_RENDER_MAX);
	for (size_t i = 0; i < n;) {
		const char *name = g->members[i];
		size_t j = i + 1;

		while (j < n && strcmp(g->members[j], name) == 0)
			j++;
		if ((b.len && buf_puts(&b, ", ") < 0) ||
		    buf_puts(&b, name) < 0 ||
		    (j - i > 1 && buf_printf(&b, " \xc3\x97%zu", j - i) < 0)) {
			buf_free(&b);
			return NULL;
		}
		i = j;
	}
	if (b.len == 0 && buf_puts(&b, "-") < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

void
report__span(const struct report *r, char *out, size_t outlen)
{
	char from[40], to[40];

	if (r->ndays > 0) {
		snprintf(out, outlen, "%s to %s", r->days[0].day,
		    r->days[r->ndays - 1].day);
		return;
	}
	ts_format_rfc3339(r->from, from, sizeof(from));
	ts_format_rfc3339(r->to, to, sizeof(to));
	snprintf(out, outlen, "%s to %s", from, to);
}

/* The working days as text: "mon, tue, ..." joined, "none". */
static void
fmt_days(unsigned days, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < 7 && len < outlen; i++)
		if (days & (1u << i))
			len += (size_t)snprintf(out + len, outlen - len, "%s%s",
			    len ? ", " : "", report__day_names[i]);
	if (len == 0)
		snprintf(out, outlen, "none");
}

/* An entry of newly_noisy or no_longer_noisy after its name: "100% noise
 * of 9 episodes (previous window: no episodes)". Plain text, nothing to
 * escape. */
static void
fmt_noisy(const struct report_noisy *a, char *out, size_t outlen)
{
	long n = a->episodes, pn = a->previous_episodes;
	char r[24], pr[24], now[64], before[64];

	fmt_pct(a->noise_ratio, r, sizeof(r));
	fmt_pct(a->previous_noise_ratio, pr, sizeof(pr));
	if (n > 0)
		snprintf(now, sizeof(now), "%s noise of %ld episode%s", r, n,
		    n == 1 ? "" : "s");
	else
		snprintf(now, sizeof(now), "no episodes now");
	if (pn > 0)
		snprintf(before, sizeof(before), "%s of %ld", pr, pn);
	else
		snprintf(before, sizeof(before), "no episodes");
	snprintf(out, outlen, "%s (previous window: %s)", now, before);
}

int
report__not_notified(const struct report *r, char *buf, size_t size)
{
	static const char *const words[NN_COUNT] = {
		[NN_SILENCED] = "silenced",
		[NN_INHIBITED] = "inhibited",
		[NN_MUTED] = "muted by a time interval",
		[NN_GROUP_WAIT] = "resolved within group_wait",
		[NN_UNKNOWN] = "for no known reason",
	};
	size_t n = 0;
	int any = 0;

	if (!r->routed)
		return 0;
	n = (size_t)snprintf(buf, size, "Fired but never notified:");
	for (int k = NN_NONE + 1; k < NN_COUNT && n < size; k++) {
		if (r->not_notified[k] <= 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s %ld %s",
		    any ? "," : "", r->not_notified[k], words[k]);
		any = 1;
	}
	if (n < size)
		snprintf(buf + n, size - n, ".");
	return any;
}

/* --- the sections -------------------------------------------------------- */

void
report__intro(struct fmt_out *o, const struct report *r, report_text_fn *text)
{
	char days[64], window[32], hours[32], t[40];

	fmt_days(r->work_days, days, sizeof(days));
	cfg_format_duration(r->window_ms, window, sizeof(window));
	report__hours(r, hours, sizeof(hours));
	if (r->week[0]) {
		fmt_put(o, "Week ");
		text(o, r->week);
	} else {
		fmt_put(o, "Window ");
		text(o, window);
	}
	fmt_put(o, " from ");
	ts_format_rfc3339(r->from, t, sizeof(t));
	text(o, t);
	fmt_put(o, " to ");
	ts_format_rfc3339(r->to, t, sizeof(t));
	text(o, t);
	for (size_t i = 0; i < r->nmatch; i++) {
		fmt_put(o, i == 0 ? ", alerts matching " : " or ");
		text(o, r->match[i]);
	}
	fmt_put(o, r->week[0] ? ", compared with the week before it." :
	    ", compared with the window before it.");
	fmt_put(o, " Days and working hours (");
	text(o, hours);
	fmt_put(o, ", ");
	text(o, days);
	fmt_put(o, ") are in ");
	text(o, r->timezone ? r->timezone : "UTC");
	fmt_put(o, ". Generated ");
	ts_format_rfc3339(r->generated_at, t, sizeof(t));
	text(o, t);
}

/* k as shown, from the report's figure f. */
static void
kpi_text(const struct kpi_def *k, const struct report_figure *f,
    struct report_kpi *out)
{
	out->label = k->label;
	fmt_kpi(k->kind, f->cur, out->cur, sizeof(out->cur));
	fmt_kpi(k->kind, f->prev, out->prev, sizeof(out->prev));
	fmt_change(k, isnan(f->cur) || isnan(f->prev) ? NAN : f->cur - f->prev,
	    &out->c);
}

void
report__kpis(struct fmt_out *o, const struct report *r,
    void (*kpi)(struct fmt_out *o, const struct report_kpi *k))
{
	for (size_t i = 0; i < REPORT_NKPIS; i++) {
		struct report_kpi k;

		kpi_text(&report__kpi_defs[i], &r->kpis[i], &k);
		kpi(o, &k);
	}
}

void
report__pages_change(const struct report *r, struct report_kpi *k)
{
	kpi_text(&report__kpi_defs[REPORT_KPI_PAGES],
	    &r->kpis[REPORT_KPI_PAGES], k);
}

/* --- the tables ---------------------------------------------------------- */

/* Cell k of row: the integer v. */
static void
cell_int(struct report_row *row, size_t k, long v)
{
	snprintf(row->text[k], sizeof(row->text[k]), "%ld", v);
}

static size_t
days_n(const struct report *r)
{
	return r->ndays;
}

static int
day_row(const struct report *r, size_t i, struct report_row *row)
{
	const struct report_day *d = &r->days[i];

	row->cell[0] = d->day;
	cell_int(row, 1, d->pages);
	cell_int(row, 2, d->noise_pages);
	cell_int(row, 3, d->episodes);
	cell_int(row, 4, d->noise_episodes);
	fmt_pct(an_ratio(d->noise_episodes, d->episodes), row->text[5],
	    sizeof(row->text[5]));
	return 0;
}

static size_t
top_n(const struct report *r)
{
	return r->ntop;
}

static int
top_row(const struct report *r, size_t i, struct report_row *row)
{
	const struct report_alert *a = &r->top[i];

	snprintf(row->text[0], sizeof(row->text[0]), "%zu", i + 1);
	row->cell[1] = a->alertname;
	row->links = &a->links;
	row->links_col = 1;
	cell_int(row, 2, a->episodes);
	fmt_pct(an_ratio(a->noise_episodes, a->episodes), row->text[3],
	    sizeof(row->text[3]));
	cell_int(row, 4, a->pages);
	fmt_dec(a->flap_score, 1, row->text[5], sizeof(row->text[5]));
	if (isnan(a->time_to_resolve))
		row->cell[6] = "n/a";
	else
		fmt_dur(a->time_to_resolve, row->text[6], sizeof(row->text[6]));
	/* verdict coverage: of its episodes, how many a human judged */
	if (a->episodes > 0)
		snprintf(row->text[7], sizeof(row->text[7]), "%ld of %ld",
		    a->verdicts, a->episodes);
	row->cell[8] = a->team && *a->team ? a->team : NULL;
	return 0;
}

static size_t
flapping_n(const struct report *r)
{
	return r->nflapping;
}

static int
flapping_row(const struct report *r, size_t i, struct report_row *row)
{
	const struct report_alert *a = &r->flapping[i];

	row->cell[0] = a->alertname;
	row->links = &a->links;
	cell_int(row, 1, a->classes[CLS_FLAPPING]);
	cell_int(row, 2, a->episodes);
	fmt_dec(a->flap_score, 1, row->text[3], sizeof(row->text[3]));
	row->cell[4] = a->flapping ? "yes" : "no";
	return 0;
}

static size_t
persistent_n(const struct report *r)
{
	return r->npersistent;
}

static int
persistent_row(const struct report *r, size_t i, struct report_row *row)
{
	const struct report_persistent *p = &r->persistent[i];

	row->cell[0] = p->alertname;
	row->links = &p->links;
	cell_int(row, 1, p->persistent_episodes);
	cell_int(row, 2, p->episodes);
	fmt_dur(p->longest_firing_seconds, row->text[3], sizeof(row->text[3]));
	row->cell[4] = p->still_firing ? "yes" : "no";
	return 0;
}

/* Replica groups (one alert's HA copies) are folded into one row, first:
 * there are as many as alertnames Prometheus pairs evaluate, each a bare
 * name. */
static int
is_replica(const struct report_group *g)
{
	return strcmp(g->kind, "replica") == 0;
}

/* The replica groups of r (only_new: those new in the window) as one
 * line of their alertnames, each once, "A, B (2 groups), C"; *n gets how
 * many groups. NULL on out-of-memory (*n then set anyway). */
static char *
replicas_text(const struct report *r, int only_new, size_t *n, long *support)
{
	struct buf b;

	*n = 0;
	*support = 0;
	buf_init(&b, REPORT_RENDER_MAX);
	for (size_t i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];
		const char *name = g->nmembers ? g->members[0] : "-";
		size_t same = 0, k;

		if (!is_replica(g) || (only_new && !g->is_new))
			continue;
		(*n)++;
		*support += g->support;
		/* listed once, where its first group is */
		for (k = 0; k < i; k++)
			if (is_replica(&r->groups[k]) &&
			    (!only_new || r->groups[k].is_new) &&
			    strcmp(r->groups[k].nmembers ?
			    r->groups[k].members[0] : "-", name) == 0)
				break;
		if (k < i)
			continue;
		for (k = i; k < r->ngroups; k++)
			same += is_replica(&r->groups[k]) &&
			    (!only_new || r->groups[k].is_new) &&
			    strcmp(r->groups[k].nmembers ?
			    r->groups[k].members[0] : "-", name) == 0;
		if ((b.len && buf_puts(&b, ", ") < 0) ||
		    buf_puts(&b, name) < 0 ||
		    (same > 1 && buf_printf(&b, " (%zu groups)", same) < 0)) {
			buf_free(&b);
			return NULL;
		}
	}
	if (b.len == 0 && buf_puts(&b, "-") < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static size_t
groups_n(const struct report *r)
{
	size_t n = 0, replicas = 0;

	for (size_t i = 0; i < r->ngroups; i++) {
		replicas += is_replica(&r->groups[i]);
		n += !is_replica(&r->groups[i]);
	}
	return n + (replicas > 0);
}

static int
group_row(const struct report *r, size_t i, struct report_row *row)
{
	const struct report_group *g = NULL;
	size_t replicas = 0;
	long support;

	for (size_t k = 0; k < r->ngroups; k++)
		replicas += is_replica(&r->groups[k]);
	if (replicas > 0 && i == 0) {
		if ((row->owned = replicas_text(r, 0, &replicas,
		    &support)) == NULL)
			return -1;
		snprintf(row->text[0], sizeof(row->text[0]), "replica \xc3\x97%zu",
		    replicas);
		row->cell[1] = row->owned;
		row->cell[2] = NULL;	/* no leader: "-" */
		cell_int(row, 3, support);
		row->cell[4] = "-";
		return 0;
	}
	/* the i-th row after the folded one is the next group not a replica */
	i -= replicas > 0;
	for (size_t k = 0; k < r->ngroups; k++)
		if (!is_replica(&r->groups[k]) && i-- == 0) {
			g = &r->groups[k];
			break;
		}
	if (g == NULL || (row->owned = members_text(g)) == NULL)
		return -1;
	row->cell[0] = g->kind;
	row->cell[1] = row->owned;
	row->cell[2] = g->leader;
	cell_int(row, 3, g->support);
	if (strcmp(g->kind, "cofiring") == 0)
		fmt_dec(g->jaccard, 2, row->text[4], sizeof(row->text[4]));
	else
		row->cell[4] = "-";
	return 0;
}

const struct report_table report__days = {
	"days", "Day by day", 6, {
		{ "Day", 0, CELL_TEXT },
		{ "Pages", 1, CELL_PLAIN },
		{ "Noise pages", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Noise episodes", 1, CELL_PLAIN },
		{ "Noise ratio", 1, CELL_PLAIN },
	}, days_n, day_row,
};

const struct report_table report__top = {
	"top-noisy", "Noisiest alerts", 9, {
		{ "#", 1, CELL_PLAIN },
		{ "Alert", 0, CELL_CODE },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Noise ratio", 1, CELL_PLAIN },
		{ "Pages", 1, CELL_PLAIN },
		{ "Flap score", 1, CELL_PLAIN },
		{ "Time to resolve", 1, CELL_PLAIN },
		{ "Verdicts", 1, CELL_PLAIN },
		{ "Team", 0, CELL_TEXT },
	}, top_n, top_row,
};

const struct report_table report__flapping = {
	"flapping", "Flapping alerts", 5, {
		{ "Alert", 0, CELL_CODE },
		{ "Flapping episodes", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Highest flap score", 1, CELL_PLAIN },
		{ "Flapping now", 0, CELL_PLAIN },
	}, flapping_n, flapping_row,
};

const struct report_table report__persistent = {
	"persistent", "Persistent alerts", 5, {
		{ "Alert", 0, CELL_CODE },
		{ "Persistent episodes", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Longest firing", 1, CELL_PLAIN },
		{ "Still firing", 0, CELL_PLAIN },
	}, persistent_n, persistent_row,
};

const struct report_table report__groups = {
	"groups", "Dedup groups", 5, {
		{ "Kind", 0, CELL_TEXT },
		{ "Members", 0, CELL_CODE },
		{ "Leader", 0, CELL_CODE },
		{ "Support", 1, CELL_PLAIN },
		{ "Jaccard", 1, CELL_PLAIN },
	}, groups_n, group_row,
};

size_t
report__nrows(const struct report *r, const struct report_table *t)
{
	return t->nrows(r);
}

void
report__rows(struct fmt_out *o, const struct report *r,
    const struct report_table *t,
    void (*row)(struct fmt_out *o, const struct report_table *t,
    const struct report_row *r))
{
	size_t n = t->nrows(r);

	for (size_t i = 0; i < n; i++) {
		struct report_row rw;
		int rc;

		for (size_t k = 0; k < REPORT_COLS_MAX; k++) {
			rw.text[k][0] = '\0';
			rw.cell[k] = rw.text[k];
		}
		rw.owned = NULL;
		rw.links = NULL;
		rw.links_col = 0;
		if ((rc = t->row(r, i, &rw)) == 0)
			row(o, t, &rw);
		free(rw.owned);
		if (rc < 0) {
			o->err = 1;
			break;
		}
	}
}

/* --- recommendations and changes ----------------------------------------- */

void
report__recommendations(struct fmt_out *o, const json_t *recs, size_t max,
    const struct report_rec_writer *w)
{
	for (size_t i = 0; i < json_array_size(recs) && (max == 0 || i < max);
	    i++) {
		const json_t *r = json_array_get(recs, i);
		const json_t *patches = json_object_get(r, "patches");
		char *ev = fmt_fields_text(json_object_get(r, "evidence"));
		char *sav = savings_text(rec_savings(r));
		struct report_rec rec = {
			.n = i + 1,
			.kind = report__str(r, "kind", "recommendation"),
			.why = report__str(r, "summary", NULL),
			.confidence = report__str(r, "confidence", NULL),
			.target = report__str(r, "target", NULL),
			.snippet = report__str(r, "snippet", NULL),
			.evidence = ev ? ev : "n/a",
			.savings = sav ? sav : "n/a",
			.lost = rec_lost(r),
		};

		rec.subject = rec_subject(r, &rec.code);
		w->head(o, &rec);
		for (size_t k = 0; k < json_array_size(patches); k++) {
			const json_t *pt = json_array_get(patches, k);

			w->patch(o, report__str(pt, "file", ""),
			    report__str(pt, "diff", NULL),
			    report__str(pt, "error", "unknown error"));
		}
		if (w->end != NULL)
			w->end(o);
		free(ev);
		free(sav);
	}
}

void
report__noisy_rule(char *out, size_t outlen)
{
	snprintf(out, outlen, " (noise ratio at least %g%% over at least %d "
	    "episodes)", REPORT_NOISY_RATIO * 100, REPORT_NOISY_MIN_EPISODES);
}

void
report__noisy(struct fmt_out *o, const struct report_noisy *list, size_t n,
    void (*item)(struct fmt_out *o, const char *name, const char *text,
    const struct alert_links *links))
{
	for (size_t i = 0; i < n; i++) {
		char text[160];

		fmt_noisy(&list[i], text, sizeof(text));
		item(o, list[i].alertname, text, &list[i].links);
	}
}

size_t
report__nnew_groups(const struct report *r)
{
	size_t n = 0, replicas = 0;

	for (size_t i = 0; i < r->ngroups; i++) {
		replicas += r->groups[i].is_new && is_replica(&r->groups[i]);
		n += r->groups[i].is_new && !is_replica(&r->groups[i]);
	}
	return n + (replicas > 0);
}

void
report__new_groups(struct fmt_out *o, const struct report *r,
    void (*item)(struct fmt_out *o, const char *kind, const char *members))
{
	char *names, kind[32];
	size_t n;
	long support;

	/* the new replica groups in one item, as in the table */
	if ((names = replicas_text(r, 1, &n, &support)) == NULL) {
		o->err = 1;
		return;
	}
	if (n > 0) {
		snprintf(kind, sizeof(kind), "replica \xc3\x97%zu", n);
		item(o, kind, names);
	}
	free(names);
	for (size_t i = 0; i < r->ngroups; i++) {
		const struct report_group *g = &r->groups[i];
		char *members;

		if (!g->is_new || is_replica(g))
			continue;
		if ((members = members_text(g)) == NULL) {
			o->err = 1;
			break;
		}
		item(o, g->kind, members);
		free(members);
	}
}

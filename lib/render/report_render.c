/* report_render.c -- what the Markdown and the HTML rendering of the weekly
 * report have in common (report_int.h): each section of the report's JSON
 * is walked here, its items made text (numbers formatted, rows of cells),
 * and handed to the format's small writer in report_md.c or report_html.c,
 * which only adds the markup. */
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
#include "report.h"

/* --- the report's values as text ----------------------------------------- */

const char *
report__str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* A KPI value for display; "n/a" when null or missing. */
static void
fmt_kpi(enum kpi_kind kind, const json_t *v, char *out, size_t outlen)
{
	if (!json_is_number(v))
		snprintf(out, outlen, "n/a");
	else if (kind == K_RATIO)
		fmt_pct(json_number_value(v), out, outlen);
	else if (kind == K_SECONDS)
		fmt_dur(json_number_value(v), out, outlen);
	else
		fmt_dec(json_number_value(v), 2, out, outlen);
}

/* A KPI change as shown (struct change, report_int.h). */
static void
fmt_change(const struct kpi_def *k, const json_t *v, struct change *c)
{
	double d, r;
	char t[40];

	c->arrow = "";
	c->verdict = "";
	if (!json_is_number(v)) {
		snprintf(c->text, sizeof(c->text), "n/a");
		return;
	}
	d = json_number_value(v);
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

/* The non-zero classes of an alert, "flapping 8, transient 1". */
static void
fmt_classes(const json_t *classes, char *out, size_t outlen)
{
	const char *k;
	json_t *v;
	size_t len = 0;

	out[0] = '\0';
	json_object_foreach((json_t *)classes, k, v) {
		if (json_integer_value(v) == 0 || len >= outlen)
			continue;
		len += (size_t)snprintf(out + len, outlen - len, "%s%s %lld",
		    len ? ", " : "", k, (long long)json_integer_value(v));
	}
	if (len == 0)
		snprintf(out, outlen, "-");
}

/* The actionable episodes a recommendation's replay loses. */
static long long
rec_lost(const json_t *r)
{
	return (long long)json_integer_value(json_object_get(json_object_get(
	    r, "predicted"), "actionable_lost"));
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
 * "predicted_savings" or "savings". */
static const json_t *
rec_savings(const json_t *rec)
{
	static const char *const keys[] = { "predicted", "predicted_savings",
	    "savings" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(rec, keys[i]) != NULL)
			return json_object_get(rec, keys[i]);
	return NULL;
}

/* The distinct alertnames of a group's members, with a count when one
 * repeats: "Storm x12", "CoA, CoB". */
static char *
members_text(const json_t *g)
{
	const json_t *members = json_object_get(g, "members");
	size_t n = json_array_size(members);
	struct buf b;

	buf_init(&b, REPORT_RENDER_MAX);
	for (size_t i = 0; i < n;) {
		const char *name = report__jname(json_array_get(members, i));
		size_t j = i + 1;

		while (j < n && strcmp(report__jname(json_array_get(members,
		    j)), name) == 0)
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

static const char *
leader_name(const json_t *g)
{
	const json_t *l = json_object_get(g, "leader");

	return json_is_object(l) ? report__jname(l) : NULL;
}

void
report__span(const json_t *report, char *out, size_t outlen)
{
	const json_t *days = json_object_get(report, "pages_per_day");
	size_t n = json_array_size(days);

	if (n > 0)
		snprintf(out, outlen, "%s to %s",
		    report__str(json_array_get(days, 0), "day", "?"),
		    report__str(json_array_get(days, n - 1), "day", "?"));
	else
		snprintf(out, outlen, "%s to %s",
		    report__str(report, "from", "?"),
		    report__str(report, "to", "?"));
}

/* The working days as "mon-fri" style text: "mon, tue, ..." joined. */
static void
fmt_days(const json_t *days, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(days) && len < outlen; i++) {
		const char *d = json_string_value(json_array_get(days, i));

		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    i ? ", " : "", d ? d : "?");
	}
	if (len == 0)
		snprintf(out, outlen, "none");
}

/* An entry of changes.newly_noisy or no_longer_noisy after its name:
 * "100% noise of 9 episodes (previous window: no episodes)". Plain text,
 * nothing to escape. */
static void
fmt_noisy(const json_t *a, char *out, size_t outlen)
{
	long long n = (long long)report__jint(a, "episodes");
	long long pn = (long long)report__jint(a, "previous_episodes");
	char r[24], pr[24], now[64], before[64];

	fmt_ratio(json_object_get(a, "noise_ratio"), r, sizeof(r));
	fmt_ratio(json_object_get(a, "previous_noise_ratio"), pr, sizeof(pr));
	if (n > 0)
		snprintf(now, sizeof(now), "%s noise of %lld episode%s", r, n,
		    n == 1 ? "" : "s");
	else
		snprintf(now, sizeof(now), "no episodes now");
	if (pn > 0)
		snprintf(before, sizeof(before), "%s of %lld", pr, pn);
	else
		snprintf(before, sizeof(before), "no episodes");
	snprintf(out, outlen, "%s (previous window: %s)", now, before);
}

/* The noise_ratio_per_day entry of day (index i when it matches). */
static const json_t *
ratio_day(const json_t *report, size_t i, const char *day)
{
	const json_t *r = json_object_get(report, "noise_ratio_per_day");
	const json_t *e = json_array_get(r, i);

	if (e != NULL && strcmp(report__str(e, "day", ""), day) == 0)
		return e;
	for (size_t j = 0; j < json_array_size(r); j++)
		if (strcmp(report__str(json_array_get(r, j), "day", ""),
		    day) == 0)
			return json_array_get(r, j);
	return NULL;
}

int
report__not_notified(const json_t *report, char *buf, size_t size)
{
	static const char *const keys[] = { "silenced", "inhibited", "muted",
	    "resolved_in_group_wait", "unknown" };
	static const char *const words[] = { "silenced", "inhibited",
	    "muted by a time interval", "resolved within group_wait",
	    "for no known reason" };
	const json_t *nn = json_object_get(report, "not_notified");
	size_t n = 0;
	int any = 0;

	if (!json_is_object(nn))
		return 0;
	n = (size_t)snprintf(buf, size, "Fired but never notified:");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < size;
	    i++) {
		json_int_t v = json_integer_value(json_object_get(nn,
		    keys[i]));

		if (v <= 0)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s %lld %s",
		    any ? "," : "", (long long)v, words[i]);
		any = 1;
	}
	if (n < size)
		snprintf(buf + n, size - n, ".");
	return any;
}

/* --- the sections -------------------------------------------------------- */

void
report__intro(struct fmt_out *o, const json_t *report, report_text_fn *text)
{
	char days[64];

	fmt_days(json_object_get(report, "working_days"), days, sizeof(days));
	fmt_put(o, "Window ");
	text(o, report__str(report, "window", "?"));
	fmt_put(o, " from ");
	text(o, report__str(report, "from", "?"));
	fmt_put(o, " to ");
	text(o, report__str(report, "to", "?"));
	fmt_put(o, ", compared with the window before it. Days and working "
	    "hours (");
	text(o, report__str(report, "working_hours", "?"));
	fmt_put(o, ", ");
	text(o, days);
	fmt_put(o, ") are in ");
	text(o, report__str(report, "timezone", "?"));
	fmt_put(o, ". Generated ");
	text(o, report__str(report, "generated_at", "?"));
}

/* k as shown, from the report's figure v ({current, previous, change}). */
static void
kpi_text(const struct kpi_def *k, const json_t *v, struct report_kpi *out)
{
	out->label = k->label;
	fmt_kpi(k->kind, json_object_get(v, "current"), out->cur,
	    sizeof(out->cur));
	fmt_kpi(k->kind, json_object_get(v, "previous"), out->prev,
	    sizeof(out->prev));
	fmt_change(k, json_object_get(v, "change"), &out->c);
}

void
report__kpis(struct fmt_out *o, const json_t *report,
    void (*kpi)(struct fmt_out *o, const struct report_kpi *k))
{
	const json_t *kpis = json_object_get(report, "kpis");

	for (size_t i = 0; i < report__nkpis; i++) {
		struct report_kpi k;

		kpi_text(&report__kpi_defs[i], json_object_get(kpis,
		    report__kpi_defs[i].key), &k);
		kpi(o, &k);
	}
}

void
report__pages_change(const json_t *report, struct report_kpi *k)
{
	static const struct kpi_def pages = { "pages", "Pages", K_COUNT, 0 };

	kpi_text(&pages, json_object_get(json_object_get(report, "changes"),
	    "pages_change"), k);
}

/* --- the tables ---------------------------------------------------------- */

/* Cell k of r: the integer v. */
static void
cell_int(struct report_row *r, size_t k, json_int_t v)
{
	snprintf(r->text[k], sizeof(r->text[k]), "%lld", (long long)v);
}

static int
day_row(const json_t *report, const json_t *d, size_t i, struct report_row *r)
{
	const char *day = report__str(d, "day", "?");
	const json_t *q = ratio_day(report, i, day);

	r->cell[0] = day;
	cell_int(r, 1, report__jint(d, "pages"));
	cell_int(r, 2, report__jint(d, "noise_pages"));
	cell_int(r, 3, report__jint(q, "episodes"));
	cell_int(r, 4, report__jint(q, "noise_episodes"));
	fmt_ratio(json_object_get(q, "noise_ratio"), r->text[5],
	    sizeof(r->text[5]));
	return 0;
}

static int
top_row(const json_t *report, const json_t *a, size_t i, struct report_row *r)
{
	snprintf(r->text[0], sizeof(r->text[0]), "%zu", i + 1);
	r->cell[1] = report__jname(a);
	cell_int(r, 2, report__jint(a, "episodes"));
	cell_int(r, 3, report__jint(a, "noise_episodes"));
	fmt_ratio(json_object_get(a, "noise_ratio"), r->text[4],
	    sizeof(r->text[4]));
	cell_int(r, 5, report__jint(a, "pages"));
	fmt_num(json_object_get(a, "flap_score"), 1, r->text[6],
	    sizeof(r->text[6]));
	fmt_classes(json_object_get(a, "classes"), r->text[7],
	    sizeof(r->text[7]));
	return 0;
}

static int
flapping_row(const json_t *report, const json_t *a, size_t i,
    struct report_row *r)
{
	r->cell[0] = report__jname(a);
	cell_int(r, 1, report__jint(a, "flapping_episodes"));
	cell_int(r, 2, report__jint(a, "episodes"));
	fmt_num(json_object_get(a, "flap_score"), 1, r->text[3],
	    sizeof(r->text[3]));
	r->cell[4] = json_is_true(json_object_get(a, "flapping")) ? "yes" :
	    "no";
	return 0;
}

static int
persistent_row(const json_t *report, const json_t *a, size_t i,
    struct report_row *r)
{
	r->cell[0] = report__jname(a);
	cell_int(r, 1, report__jint(a, "persistent_episodes"));
	cell_int(r, 2, report__jint(a, "episodes"));
	fmt_dur(report__jnum(a, "longest_firing_seconds"), r->text[3],
	    sizeof(r->text[3]));
	r->cell[4] = json_is_true(json_object_get(a, "still_firing")) ?
	    "yes" : "no";
	return 0;
}

static int
group_row(const json_t *report, const json_t *g, size_t i,
    struct report_row *r)
{
	if ((r->owned = members_text(g)) == NULL)
		return -1;
	r->cell[0] = report__str(g, "kind", "?");
	r->cell[1] = r->owned;
	r->cell[2] = leader_name(g);
	cell_int(r, 3, report__jint(g, "support"));
	if (strcmp(report__str(g, "kind", ""), "cofiring") == 0)
		fmt_num(json_object_get(g, "jaccard"), 2, r->text[4],
		    sizeof(r->text[4]));
	else
		r->cell[4] = "-";
	return 0;
}

const struct report_table report__days = {
	"pages_per_day", "days", "Day by day", 6, {
		{ "Day", 0, CELL_TEXT },
		{ "Pages", 1, CELL_PLAIN },
		{ "Noise pages", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Noise episodes", 1, CELL_PLAIN },
		{ "Noise ratio", 1, CELL_PLAIN },
	}, day_row,
};

const struct report_table report__top = {
	"top_noisy", "top-noisy", "Noisiest alerts", 8, {
		{ "#", 1, CELL_PLAIN },
		{ "Alert", 0, CELL_CODE },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Noise", 1, CELL_PLAIN },
		{ "Noise ratio", 1, CELL_PLAIN },
		{ "Pages", 1, CELL_PLAIN },
		{ "Flap score", 1, CELL_PLAIN },
		{ "Classes", 0, CELL_PLAIN },
	}, top_row,
};

const struct report_table report__flapping = {
	"flapping", "flapping", "Flapping alerts", 5, {
		{ "Alert", 0, CELL_CODE },
		{ "Flapping episodes", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Highest flap score", 1, CELL_PLAIN },
		{ "Flapping now", 0, CELL_PLAIN },
	}, flapping_row,
};

const struct report_table report__persistent = {
	"persistent", "persistent", "Persistent alerts", 5, {
		{ "Alert", 0, CELL_CODE },
		{ "Persistent episodes", 1, CELL_PLAIN },
		{ "Episodes", 1, CELL_PLAIN },
		{ "Longest firing", 1, CELL_PLAIN },
		{ "Still firing", 0, CELL_PLAIN },
	}, persistent_row,
};

const struct report_table report__groups = {
	"dedup_groups", "groups", "Dedup groups", 5, {
		{ "Kind", 0, CELL_TEXT },
		{ "Members", 0, CELL_CODE },
		{ "Leader", 0, CELL_CODE },
		{ "Support", 1, CELL_PLAIN },
		{ "Jaccard", 1, CELL_PLAIN },
	}, group_row,
};

size_t
report__nrows(const json_t *report, const struct report_table *t)
{
	return json_array_size(json_object_get(report, t->key));
}

void
report__rows(struct fmt_out *o, const json_t *report,
    const struct report_table *t,
    void (*row)(struct fmt_out *o, const struct report_table *t,
    const struct report_row *r))
{
	const json_t *items = json_object_get(report, t->key);

	for (size_t i = 0; i < json_array_size(items); i++) {
		struct report_row r;
		int rc;

		for (size_t k = 0; k < REPORT_COLS_MAX; k++) {
			r.text[k][0] = '\0';
			r.cell[k] = r.text[k];
		}
		r.owned = NULL;
		if ((rc = t->row(report, json_array_get(items, i), i, &r)) == 0)
			row(o, t, &r);
		free(r.owned);
		if (rc < 0) {
			o->err = 1;
			break;
		}
	}
}

/* --- recommendations and changes ----------------------------------------- */

void
report__recommendations(struct fmt_out *o, const json_t *recs,
    const struct report_rec_writer *w)
{
	for (size_t i = 0; i < json_array_size(recs); i++) {
		const json_t *r = json_array_get(recs, i);
		const json_t *patches = json_object_get(r, "patches");
		char *ev = fmt_fields_text(json_object_get(r, "evidence"));
		char *sav = fmt_fields_text(rec_savings(r));
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
report__noisy(struct fmt_out *o, const json_t *list,
    void (*item)(struct fmt_out *o, const char *name, const char *text))
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *a = json_array_get(list, i);
		char text[160];

		fmt_noisy(a, text, sizeof(text));
		item(o, report__jname(a), text);
	}
}

void
report__new_groups(struct fmt_out *o, const json_t *list,
    void (*item)(struct fmt_out *o, const char *kind, const char *members))
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *g = json_array_get(list, i);
		char *members = members_text(g);

		if (members == NULL) {
			o->err = 1;
			break;
		}
		item(o, report__str(g, "kind", "?"), members);
		free(members);
	}
}

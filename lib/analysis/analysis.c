/* analysis.c -- classify a window's episodes and aggregate noise
 * (analysis.h). Dedup groups are in an_groups.c, the aggregated views in
 * an_views.c. */
#include "analysis.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "selector.h"
#include "timefmt.h"
#include "u64map.h"

/* State changes within flap_window that score 100: Nagios' 20 possible
 * changes over its 21 checks (MAX_STATE_HISTORY_ENTRIES) */
#define FLAP_FULL 20

static const char *const class_names[CLS_COUNT] = {
	[CLS_ACTIONABLE] = "actionable",
	[CLS_DUPLICATE] = "duplicate",
	[CLS_FLAPPING] = "flapping",
	[CLS_TRANSIENT] = "transient",
	[CLS_PERSISTENT] = "persistent",
	[CLS_NOISE] = "noise",
};

static const struct {
	unsigned bit;
	const char *name;
} reason_names[] = {
	{ R_DUPLICATE, "duplicate" },
	{ R_FLAPPING, "flapping" },
	{ R_TRANSIENT, "transient" },
	{ R_PERSISTENT, "persistent" },
	{ R_MARKED_NOISE, "marked_noise" },
	{ R_MARKED_ACTIONABLE, "marked_actionable" },
};

const char *
an_class_name(enum an_class c)
{
	return c < CLS_COUNT ? class_names[c] : "unknown";
}

void
an_reasons_json(unsigned bits, json_t *array)
{
	for (size_t i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]);
	    i++)
		if (bits & reason_names[i].bit)
			json_array_append_new(array,
			    json_string(reason_names[i].name));
}

int
an_is_noise(enum an_class c)
{
	return c != CLS_ACTIONABLE;
}

void
an_opts_default(struct an_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->t.transient_max_ms = 5 * 60000;
	o->t.persistent_min_ms = 24 * 3600000LL;
	o->t.flap_high = 30;
	o->t.flap_low = 20;
	o->t.flap_min_episodes = 4;
	o->t.flap_window_ms = 3600000;
	o->team_label = "team";
	o->cofire_window_ms = 2 * 60000;
	o->cofire_min_jaccard = 0.7;
	o->cofire_min_support = 3;
	o->storm_min = 10;
	o->storm_window_ms = 5 * 60000;
}

/* --- per-identity walks -------------------------------------------------- */

int
an_by_ident(const struct analysis *a, struct an_by_ident *b)
{
	size_t *fill;

	b->order = malloc((a->neps ? a->neps : 1) * sizeof(*b->order));
	b->first = calloc(a->nids + 1, sizeof(*b->first));
	fill = calloc(a->nids + 1, sizeof(*fill));
	if (b->order == NULL || b->first == NULL || fill == NULL) {
		free(b->order);
		free(b->first);
		free(fill);
		b->order = b->first = NULL;
		return -1;
	}
	for (size_t i = 0; i < a->neps; i++)
		b->first[a->eps[i].ident + 1]++;
	for (size_t k = 0; k < a->nids; k++)
		b->first[k + 1] += b->first[k];
	/* eps is sorted by firing_at, so each identity's list is too */
	for (size_t i = 0; i < a->neps; i++) {
		size_t k = a->eps[i].ident;

		b->order[b->first[k] + fill[k]++] = i;
	}
	free(fill);
	return 0;
}

void
an_by_ident_free(struct an_by_ident *b)
{
	free(b->order);
	free(b->first);
}

static int
cmp_time(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The number of v[0..n) (sorted) that are <= x. */
static size_t
count_upto(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The score of the state changes ch[lo..hi) (sorted), all within the
 * window (since, since + w]: change at t weighs 0.8 + 0.4 * (t - since) /
 * w, score = 100 * sum of weights / FLAP_FULL, at most 100. sum[i] is the
 * sum of ch[m] - ch[0] over m < i, so this is O(1):
 * sum of (t - since) = (sum[hi] - sum[lo]) - (hi - lo) * (since - ch[0]).
 * One division of whole numbers, so a lone change at the end scores 6, not
 * 6.000000000000001. */
static double
flap_score(const int64_t *ch, const int64_t *sum, size_t lo, size_t hi,
    int64_t since, int64_t w)
{
	double c = (double)(hi - lo);
	double age = (double)(sum[hi] - sum[lo]) - c * (double)(since - ch[0]);
	double score = (80.0 * c * (double)w + 40.0 * age) /
	    ((double)FLAP_FULL * (double)w);

	return score < 100 ? score : 100;
}

int
an_flapping(struct analysis *a)
{
	struct an_by_ident b;
	size_t most = 0;
	int64_t *starts = NULL, *ch = NULL, *sum = NULL;
	int result = -1;

	if (an_by_ident(a, &b) < 0)
		return -1;
	for (size_t k = 0; k < a->nids; k++)
		if (b.first[k + 1] - b.first[k] > most)
			most = b.first[k + 1] - b.first[k];
	starts = malloc((most + 1) * sizeof(*starts));
	ch = malloc((2 * most + 1) * sizeof(*ch));
	sum = malloc((2 * most + 1) * sizeof(*sum));
	if (starts == NULL || ch == NULL || sum == NULL)
		goto out;
	for (size_t k = 0; k < a->nids; k++) {
		const struct an_thresholds *t = a->ids[k].t;
		const size_t *list = &b.order[b.first[k]];
		size_t n = b.first[k + 1] - b.first[k], nch = 0;
		int flapping = 0;

		assert(t->flap_window_ms > 0);
		/* its state changes: each episode's start and end */
		for (size_t j = 0; j < n; j++) {
			const struct an_episode *e = &a->eps[list[j]];

			starts[j] = e->firing_at;
			ch[nch++] = e->firing_at;
			if (e->resolved_at != 0)
				ch[nch++] = e->resolved_at;
		}
		qsort(ch, nch, sizeof(*ch), cmp_time);
		sum[0] = 0;
		for (size_t i = 0; i < nch; i++)
			sum[i + 1] = sum[i] + (ch[i] - ch[0]);
		for (size_t j = 0; j < n; j++) {
			struct an_episode *e = &a->eps[list[j]];
			int64_t since = e->firing_at - t->flap_window_ms;
			/* starts (list is by firing_at) in (since, firing_at],
			 * this one included */
			size_t eps = j + 1 - count_upto(starts, j + 1, since);
			double score = flap_score(ch, sum,
			    count_upto(ch, nch, since),
			    count_upto(ch, nch, e->firing_at), since,
			    t->flap_window_ms);

			if (eps < 2)
				flapping = 0;	/* alone in the window */
			else if (!flapping && score >= t->flap_high &&
			    eps >= (size_t)t->flap_min_episodes)
				flapping = 1;
			else if (flapping && score <= t->flap_low)
				flapping = 0;
			e->flap_score = score;
			e->flapping = flapping;
			if (flapping)
				e->reasons |= R_FLAPPING;
		}
	}
	result = 0;
out:
	free(starts);
	free(ch);
	free(sum);
	an_by_ident_free(&b);
	return result;
}

int64_t
an_firing_ms(const struct analysis *a, const struct an_episode *e)
{
	return (e->resolved_at ? e->resolved_at : a->now) - e->firing_at;
}

void
an_durations(struct analysis *a)
{
	for (size_t i = 0; i < a->neps; i++) {
		struct an_episode *e = &a->eps[i];
		const struct an_thresholds *t = a->ids[e->ident].t;
		int64_t firing = an_firing_ms(a, e);

		if (e->resolved_at && firing < t->transient_max_ms)
			e->reasons |= R_TRANSIENT;
		if (firing > t->persistent_min_ms)
			e->reasons |= R_PERSISTENT;
	}
}

void
an_classify(struct analysis *a)
{
	static const struct {
		unsigned bit;
		enum an_class cls;
	} order[] = {
		{ R_DUPLICATE, CLS_DUPLICATE },
		{ R_FLAPPING, CLS_FLAPPING },
		{ R_TRANSIENT, CLS_TRANSIENT },
		{ R_PERSISTENT, CLS_PERSISTENT },
	};

	for (size_t i = 0; i < a->neps; i++) {
		struct an_episode *e = &a->eps[i];
		enum an_class heur = CLS_ACTIONABLE;

		for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++)
			if (e->reasons & order[j].bit) {
				heur = order[j].cls;
				break;
			}
		e->presumed = 0;
		/* a human verdict wins over every heuristic */
		if (e->feedback == FB_ACTIONABLE) {
			e->reasons |= R_MARKED_ACTIONABLE;
			e->cls = CLS_ACTIONABLE;
		} else if (e->feedback == FB_NOISE) {
			e->reasons |= R_MARKED_NOISE;
			e->cls = heur == CLS_ACTIONABLE ? CLS_NOISE : heur;
		} else {
			e->cls = heur;
			e->presumed = heur == CLS_ACTIONABLE;
		}
	}
}

/* --- loading ------------------------------------------------------------- */

/* Maps from a 64-bit key (identity, episode id, kind hash) to an index:
 * u64map, with the index as a size_t. */
static int
map_put(struct u64map *m, uint64_t key, size_t val)
{
	return u64map_put(m, key, val);
}

static int
map_get(const struct u64map *m, uint64_t key, size_t *val)
{
	uint64_t v;

	if (!u64map_get(m, key, &v))
		return 0;
	*val = (size_t)v;
	return 1;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t h = FP_OFFSET64;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FP_PRIME64;
	}
	return h;
}

struct loader {
	struct analysis *a;
	const struct an_opts *o;
	struct u64map ids;		/* identity fp -> index */
	struct u64map kinds;		/* kind key hash -> kind index */
	struct u64map eps;		/* episode id -> index */
	struct u64map selected;		/* with o->nmatch: the identities
					   loaded (fp -> 0) */
	size_t nkinds;
	size_t cap_ids, cap_eps;
	int failed;
	int stopped;			/* o->stop said so */
	size_t seen;			/* rows, for stop's period */
	/* the notification being walked */
	int64_t notif;
	size_t recv;			/* its receiver, in a->receivers */
	size_t page_first;		/* its first alert row */
	struct {
		const char *receiver;
		int64_t at;
		long ep;		/* episode index, -1: unknown */
	} *rows;
	size_t nrows, cap_rows;
};

static const struct an_thresholds *
thresholds_for(const struct an_opts *o, const json_t *labels)
{
	for (size_t i = 0; i < o->noverrides; i++)
		if (sel_match_json(o->overrides[i].selector, labels))
			return &o->overrides[i].t;
	return &o->t;
}

/* The cofiring kind: alertname and the group labels' values. */
static int
kind_of(struct loader *ld, const char *alertname, const json_t *labels,
    size_t *kind)
{
	uint64_t h = str_hash(alertname);

	for (size_t i = 0; i < ld->o->ngroup_labels; i++) {
		const char *v = json_string_value(json_object_get(labels,
		    ld->o->group_labels[i]));

		h = (h ^ 0xff) * FP_PRIME64;
		h = h ^ str_hash(v ? v : "");
		h *= FP_PRIME64;
	}
	if (map_get(&ld->kinds, h, kind))
		return 0;
	*kind = ld->nkinds++;
	return map_put(&ld->kinds, h, *kind);
}

/* Whether labels are of o's selection (any of its match[]). */
static int
selected(const struct an_opts *o, const json_t *labels)
{
	for (size_t i = 0; i < o->nmatch; i++)
		if (sel_match_json(o->match[i], labels))
			return 1;
	return 0;
}

/* Whether the analysis stops here: o->stop asked every AN_CHECK_EVERY
 * rows (a row costs microseconds: well under 100 ms between asks), and
 * once it said so, for every later row too (the scan ends). */
static int
stop_row(struct loader *ld)
{
	if (ld->stopped)
		return 1;
	if (ld->o->stop != NULL && ++ld->seen % AN_CHECK_EVERY == 0 &&
	    ld->o->stop(ld->o->stop_arg))
		ld->stopped = 1;
	return ld->stopped;
}

/* Whether the analysis stops between two steps. */
static int
stop_step(struct loader *ld)
{
	if (!ld->stopped && ld->o->stop != NULL &&
	    ld->o->stop(ld->o->stop_arg))
		ld->stopped = 1;
	return ld->stopped;
}

static int
load_identity(const struct identity_row *r, void *arg)
{
	struct loader *ld = arg;
	struct analysis *a = ld->a;
	struct an_identity *id;
	json_error_t je;
	const char *team;

	if (stop_row(ld))
		return 1;
	if (a->nids == ld->cap_ids) {
		size_t n = ld->cap_ids ? ld->cap_ids * 2 : 256;
		struct an_identity *p = realloc(a->ids, n * sizeof(*p));

		if (p == NULL)
			goto nomem;
		a->ids = p;
		ld->cap_ids = n;
	}
	id = &a->ids[a->nids];
	memset(id, 0, sizeof(*id));
	id->fp = r->identity;
	if ((id->labels = json_loads(r->labels, 0, &je)) == NULL)
		goto nomem;
	if (ld->o->nmatch > 0) {
		if (!selected(ld->o, id->labels)) {
			json_decref(id->labels);
			return 0;	/* its episodes are skipped too */
		}
		if (u64map_put(&ld->selected, id->fp, 0) < 0) {
			json_decref(id->labels);
			goto nomem;
		}
	}
	if ((id->alertname = strdup(r->alertname)) == NULL) {
		json_decref(id->labels);
		goto nomem;
	}
	team = ld->o->team_label && *ld->o->team_label ?
	    json_string_value(json_object_get(id->labels, ld->o->team_label)) :
	    NULL;
	id->team = team ? team : "";
	id->interval_ms = r->interval_ms;
	id->copies = r->copies;
	id->dup_deliveries = r->dup_deliveries;
	id->t = thresholds_for(ld->o, id->labels);
	if (map_put(&ld->ids, id->fp, a->nids) < 0) {
		json_decref(id->labels);
		free((char *)id->alertname);
		goto nomem;
	}
	a->nids++;
	return 0;
nomem:
	ld->failed = 1;
	return 1;
}

static int
load_episode(const struct episode *e, void *arg)
{
	struct loader *ld = arg;
	struct analysis *a = ld->a;
	struct an_episode *x;
	size_t ident;

	if (stop_row(ld))
		return 1;
	if (!map_get(&ld->ids, e->identity, &ident))
		return 0;	/* cannot happen: identities come first */
	if (a->neps == ld->cap_eps) {
		size_t n = ld->cap_eps ? ld->cap_eps * 2 : 1024;
		struct an_episode *p = realloc(a->eps, n * sizeof(*p));

		if (p == NULL) {
			ld->failed = 1;
			return 1;
		}
		a->eps = p;
		ld->cap_eps = n;
	}
	x = &a->eps[a->neps];
	memset(x, 0, sizeof(*x));
	x->id = e->id;
	x->ident = ident;
	x->pending_at = e->pending_at;
	x->firing_at = e->firing_at;
	x->resolved_at = e->resolved_at;
	x->notifications = e->notifications;
	x->group = -1;
	x->context = e->firing_at < a->from;
	if (map_put(&ld->eps, (uint64_t)e->id, a->neps) < 0) {
		ld->failed = 1;
		return 1;
	}
	a->neps++;
	return 0;
}

static int
load_pending_only(const struct episode *e, void *arg)
{
	struct loader *ld = arg;
	size_t ident;

	if (stop_row(ld))
		return 1;
	if (map_get(&ld->ids, e->identity, &ident))
		ld->a->ids[ident].pending_only++;
	return 0;
}

static int
load_feedback(int64_t episode, const char *verdict, void *arg)
{
	struct loader *ld = arg;
	size_t i;

	if (stop_row(ld))
		return 1;
	if (map_get(&ld->eps, (uint64_t)episode, &i))
		ld->a->eps[i].feedback = strcmp(verdict, "actionable") == 0 ?
		    FB_ACTIONABLE : FB_NOISE;
	return 0;
}

int
an_is_paging(const struct an_opts *o, const char *receiver)
{
	for (size_t i = 0; i < o->npaging; i++)
		if (strcmp(o->paging_receivers[i], receiver) == 0)
			return 1;
	return 0;
}

/* Sets ld->recv to the receiver named name, adding it when new. Receivers
 * are few (an Alertmanager configuration's), and a notification looks its
 * receiver up once: a linear search. Returns 0, or -1 on out-of-memory. */
static int
receiver_of(struct loader *ld, const char *name)
{
	struct analysis *a = ld->a;
	struct an_receiver *rv;
	size_t i;

	if (ld->recv < a->nreceivers &&
	    strcmp(a->receivers[ld->recv].name, name) == 0)
		return 0;
	for (i = 0; i < a->nreceivers; i++)
		if (strcmp(a->receivers[i].name, name) == 0) {
			ld->recv = i;
			return 0;
		}
	rv = realloc(a->receivers, (a->nreceivers + 1) * sizeof(*rv));
	if (rv == NULL)
		return -1;
	a->receivers = rv;
	rv = &a->receivers[a->nreceivers];
	memset(rv, 0, sizeof(*rv));
	if ((rv->name = strdup(name)) == NULL)
		return -1;
	rv->paging = an_is_paging(ld->o, name);
	ld->recv = a->nreceivers++;
	return 0;
}

/* Per notification row (store_scan_notified, firing only): counts the
 * receiver's notifications and marks the episodes it was notified of;
 * keeps the rows of pages for build_pages. */
static int
load_notified(const struct notified_row *r, void *arg)
{
	struct loader *ld = arg;
	struct analysis *a = ld->a;
	int64_t notification = r->notification, episode = r->episode;
	const char *receiver = r->receiver;
	struct an_receiver *rv;
	uint64_t v;
	size_t i;
	int known;

	if (stop_row(ld))
		return 1;
	/* a selection counts a notification by the alerts of its own it
	 * carried: a resolved one (no firing alert) cannot be told apart */
	if (ld->o->nmatch > 0 && (r->alertname == NULL ||
	    !u64map_get(&ld->selected, r->identity, &v)))
		return 0;
	if (notification != ld->notif) {
		ld->notif = notification;
		ld->page_first = ld->nrows;
		if (receiver_of(ld, receiver) < 0)
			goto nomem;
		a->receivers[ld->recv].notifications++;
	}
	rv = &a->receivers[ld->recv];
	if (r->alertname == NULL)
		return 0;	/* no firing alert: not a page */
	known = map_get(&ld->eps, (uint64_t)episode, &i);
	if (known) {
		if (rv->notified == NULL && (rv->notified = calloc(
		    (a->neps + 63) / 64, sizeof(*rv->notified))) == NULL)
			goto nomem;
		rv->notified[i / 64] |= (uint64_t)1 << (i % 64);
	}
	if (!rv->paging)
		return 0;
	if (ld->nrows == ld->cap_rows) {
		size_t n = ld->cap_rows ? ld->cap_rows * 2 : 1024;
		void *p = realloc(ld->rows, n * sizeof(*ld->rows));

		if (p == NULL)
			goto nomem;
		ld->rows = p;
		ld->cap_rows = n;
	}
	/* receiver names live as long as the analysis: keep one copy per
	 * page, in the page itself (made in build_pages) */
	ld->rows[ld->nrows].receiver = NULL;
	ld->rows[ld->nrows].at = r->received_at;
	ld->rows[ld->nrows].ep = known ? (long)i : -1;
	if (ld->nrows == ld->page_first &&
	    (ld->rows[ld->nrows].receiver = strdup(receiver)) == NULL)
		goto nomem;
	ld->nrows++;
	return 0;
nomem:
	ld->failed = 1;
	return 1;
}

/* Puts the identities with fired episodes first (a->nids of them), then
 * those with only pending-only ones (a->nids_pending), in load order; drops
 * the rest (pending-only before the window, loaded for the lookback), and
 * numbers the cofiring kinds. ld->ids is stale afterwards. Returns 0, or -1
 * on out-of-memory. */
static int
split_identities(struct loader *ld)
{
	struct analysis *a = ld->a;
	size_t n = a->nids, kept = 0, pending = 0, *to;
	unsigned char *fired;
	struct an_identity *v;
	int result = -1;

	fired = calloc(n ? n : 1, 1);
	to = malloc((n ? n : 1) * sizeof(*to));
	v = malloc((n ? n : 1) * sizeof(*v));
	if (fired == NULL || to == NULL || v == NULL)
		goto out;
	for (size_t i = 0; i < a->neps; i++)
		fired[a->eps[i].ident] = 1;
	for (size_t k = 0; k < n; k++)
		kept += fired[k];
	for (size_t k = 0, f = 0; k < n; k++) {
		if (fired[k])
			to[k] = f++;
		else if (a->ids[k].pending_only > 0)
			to[k] = kept + pending++;
		else {
			to[k] = SIZE_MAX;
			json_decref(a->ids[k].labels);
			free((char *)a->ids[k].alertname);
			continue;
		}
		v[to[k]] = a->ids[k];
	}
	for (size_t i = 0; i < a->neps; i++)
		a->eps[i].ident = to[a->eps[i].ident];
	free(a->ids);
	a->ids = v;
	v = NULL;
	ld->cap_ids = n;
	a->nids = kept;
	a->nids_pending = pending;
	u64map_free(&ld->ids);
	for (size_t k = 0; k < kept + pending; k++)
		if (kind_of(ld, a->ids[k].alertname, a->ids[k].labels,
		    &a->ids[k].kind) < 0)
			goto out;
	result = 0;
out:
	free(fired);
	free(to);
	free(v);
	return result;
}

/* Turns the notified rows into pages, once episodes are classified. */
static int
build_pages(struct loader *ld)
{
	struct analysis *a = ld->a;
	size_t np = 0;

	for (size_t i = 0; i < ld->nrows; i++)
		np += ld->rows[i].receiver != NULL;
	if (np && (a->pages = calloc(np, sizeof(*a->pages))) == NULL)
		return -1;
	for (size_t i = 0; i < ld->nrows;) {
		struct an_page *p = &a->pages[a->npages++];
		size_t j = i;
		int noise = 1, any = 0;

		p->receiver = ld->rows[i].receiver;
		p->at = ld->rows[i].at;
		ld->rows[i].receiver = NULL;	/* now the page's */
		p->team_ident = SIZE_MAX;
		do {
			long ep = ld->rows[j].ep;

			if (ep < 0) {
				noise = 0;	/* unknown: not counted noise */
			} else {
				struct an_episode *e = &a->eps[ep];

				any = 1;
				if (!an_is_noise(e->cls))
					noise = 0;
				if (e->feedback != FB_NONE)
					p->has_verdict = 1;
				if (p->team_ident == SIZE_MAX)
					p->team_ident = e->ident;
				e->pages++;
			}
			j++;
		} while (j < ld->nrows && ld->rows[j].receiver == NULL);
		p->noise = any && noise;
		/* the page counts as noise for every alert it carried */
		for (size_t k = i; p->noise && k < j; k++)
			if (ld->rows[k].ep >= 0)
				a->eps[ld->rows[k].ep].noise_pages++;
		i = j;
	}
	return 0;
}

const char *
an_nn_name(int nn)
{
	static const char *const names[NN_COUNT] = { NULL, "silenced",
	    "inhibited", "muted", "resolved_in_group_wait", "unknown" };

	return nn > NN_NONE && nn < NN_COUNT ? names[nn] : NULL;
}

const char *
an_nn_key(int nn)
{
	static const char *const keys[NN_COUNT] = { NULL, "silenced",
	    "inhibited", "muted", "resolvedInGroupWait", "unknown" };

	return nn > NN_NONE && nn < NN_COUNT ? keys[nn] : NULL;
}

long
an_receiver_find(const struct analysis *a, const char *name)
{
	for (size_t i = 0; i < a->nreceivers; i++)
		if (strcmp(a->receivers[i].name, name) == 0)
			return (long)i;
	return -1;
}

int
an_add_notification(struct analysis *a, const struct an_opts *o,
    const char *receiver, int64_t at, const size_t *eps, size_t n)
{
	long r = an_receiver_find(a, receiver);
	struct an_receiver *rv;
	struct an_page *p;
	int noise = 1, verdict = 0;

	if (r < 0) {
		rv = realloc(a->receivers, (a->nreceivers + 1) * sizeof(*rv));
		if (rv == NULL)
			return -1;
		a->receivers = rv;
		rv += a->nreceivers;
		memset(rv, 0, sizeof(*rv));
		if ((rv->name = strdup(receiver)) == NULL)
			return -1;
		rv->paging = an_is_paging(o, receiver);
		rv->derived = 1;
		r = (long)a->nreceivers++;
	}
	rv = &a->receivers[r];
	rv->notifications++;
	if (n == 0)
		return 0;
	if (rv->notified == NULL && a->neps > 0 && (rv->notified =
	    calloc((a->neps + 63) / 64, sizeof(*rv->notified))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct an_episode *e = &a->eps[eps[i]];

		rv->notified[eps[i] / 64] |= (uint64_t)1 << (eps[i] % 64);
		noise &= an_is_noise(e->cls);
		verdict |= e->feedback != FB_NONE;
	}
	if (!rv->paging)
		return 0;
	if ((p = realloc(a->pages, (a->npages + 1) * sizeof(*p))) == NULL)
		return -1;
	a->pages = p;
	p += a->npages;
	memset(p, 0, sizeof(*p));
	if ((p->receiver = strdup(receiver)) == NULL)
		return -1;
	a->npages++;
	p->at = at;
	p->team_ident = a->eps[eps[0]].ident;
	p->noise = noise;
	p->has_verdict = verdict;
	for (size_t i = 0; i < n; i++) {
		a->eps[eps[i]].pages++;
		a->eps[eps[i]].noise_pages += noise;
	}
	return 0;
}

static int
byid_cmp(const void *x, const void *y)
{
	const struct an_byid *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

int
an_run(struct store *st, const struct an_opts *o, int64_t from, int64_t to,
    int64_t now, struct analysis **out, char *err, size_t errlen)
{
	struct analysis *a;
	struct loader ld;
	int64_t lookback;
	size_t hint;
	int result = -1;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->from = from;
	a->to = to;
	a->now = now;
	ld.a = a;
	ld.o = o;
	ld.notif = -1;

	/* history before the window: the flap_window before its first
	 * episode. The identities are those of the window and its history. */
	lookback = o->t.flap_window_ms;
	for (size_t i = 0; i < o->noverrides; i++)
		if (o->overrides[i].t.flap_window_ms > lookback)
			lookback = o->overrides[i].t.flap_window_ms;
	if (store_scan_identities(st, from - lookback, to, load_identity,
	    &ld) < 0 || ld.failed || ld.stopped)
		goto fail;
	/* sized once, not grown by doubling: at 300k episodes the copies
	 * and page faults of growing were a quarter of an analysis */
	hint = store_episodes_hint(st, from - lookback, to);
	if (hint > 0) {
		hint += hint / 8 + 1024;	/* and those still firing */
		if ((a->eps = malloc(hint * sizeof(*a->eps))) == NULL ||
		    u64map_reserve(&ld.eps, hint) < 0)
			goto nomem;
		ld.cap_eps = hint;
	}
	if (store_scan_episodes(st, from - lookback, to, load_episode,
	    &ld) < 0 || ld.failed ||
	    store_scan_pending_only(st, from, to, load_pending_only, &ld) < 0 ||
	    store_scan_feedback(st, from - lookback, to, load_feedback,
	    &ld) < 0 || ld.failed || ld.stopped)
		goto fail;
	if (split_identities(&ld) < 0)
		goto nomem;
	/* the arrays grew by doubling: give back the unused half */
	if (a->neps > 0 && a->neps < ld.cap_eps) {
		struct an_episode *p = realloc(a->eps, a->neps * sizeof(*p));

		if (p != NULL)
			a->eps = p;
	}
	if (a->nids + a->nids_pending > 0 &&
	    a->nids + a->nids_pending < ld.cap_ids) {
		struct an_identity *p = realloc(a->ids, (a->nids +
		    a->nids_pending) * sizeof(*p));

		if (p != NULL)
			a->ids = p;
	}
	/* the window proper starts at from: earlier ones are context */
	for (size_t i = 0; i < a->neps; i++)
		a->eps[i].context = a->eps[i].firing_at < from;

	if (stop_step(&ld))
		goto fail;
	if (an_flapping(a) < 0)
		goto nomem;
	an_durations(a);
	if (stop_step(&ld))
		goto fail;
	if (an_groups(a, o) < 0)
		goto nomem;
	an_classify(a);

	if (stop_step(&ld) ||
	    store_scan_notified(st, from, to, 1, load_notified, &ld) < 0 ||
	    ld.failed || ld.stopped)
		goto fail;
	if (build_pages(&ld) < 0)
		goto nomem;

	if (a->neps && (a->byid = malloc(a->neps * sizeof(*a->byid))) == NULL)
		goto nomem;
	for (size_t i = 0; i < a->neps; i++) {
		a->byid[i].id = a->eps[i].id;
		a->byid[i].idx = i;
	}
	a->nbyid = a->neps;
	if (a->nbyid > 1)
		qsort(a->byid, a->nbyid, sizeof(*a->byid), byid_cmp);
	if (stop_step(&ld))
		goto fail;
	if (o->post != NULL && o->post(a, o) < 0)
		goto nomem;
	*out = a;
	result = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	goto out;
fail:
	if (ld.failed)
		snprintf(err, errlen, "out of memory");
	else if (ld.stopped) {
		snprintf(err, errlen, "stopped");
		result = AN_ESTOPPED;
	} else
		snprintf(err, errlen, "%s", store_errmsg(st));
out:
	for (size_t i = 0; i < ld.nrows; i++)
		free((char *)ld.rows[i].receiver);
	free(ld.rows);
	u64map_free(&ld.ids);
	u64map_free(&ld.kinds);
	u64map_free(&ld.eps);
	u64map_free(&ld.selected);
	if (result < 0)
		an_free(a);
	return result;
}

void
an_free(struct analysis *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nids + a->nids_pending; i++) {
		json_decref(a->ids[i].labels);
		free((char *)a->ids[i].alertname);
	}
	for (size_t i = 0; i < a->ngroups; i++)
		an_group_clear(&a->groups[i]);
	for (size_t i = 0; i < a->npages; i++)
		free((char *)a->pages[i].receiver);
	for (size_t i = 0; i < a->nreceivers; i++) {
		free((char *)a->receivers[i].name);
		free(a->receivers[i].notified);
	}
	free(a->receivers);
	free(a->ids);
	free(a->eps);
	free(a->groups);
	free(a->pages);
	free(a->byid);
	free(a);
}

const struct an_episode *
an_episode_find(const struct analysis *a, int64_t id)
{
	struct an_byid key = { id, 0 }, *hit;

	if (a == NULL || a->nbyid == 0)
		return NULL;
	hit = bsearch(&key, a->byid, a->nbyid, sizeof(key), byid_cmp);
	return hit ? &a->eps[hit->idx] : NULL;
}

int
an_episode_class(const struct analysis *a, int64_t id, enum an_class *cls,
    unsigned *reasons, int *presumed)
{
	const struct an_episode *e = an_episode_find(a, id);

	if (e == NULL)
		return 0;
	*cls = e->cls;
	*reasons = e->reasons;
	*presumed = e->presumed;
	return 1;
}

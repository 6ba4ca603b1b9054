/* replay_rules.c -- the rule model of the replay: firings under rule
 * settings.
 *
 * Each identity's episodes replayed through Prometheus' alerting-rule state
 * machine under a `for` and a keep_firing_for (rp__ident_firings, the model
 * replay.h describes) into a struct fset, one slot per identity; the `for`
 * history shows (rp_pending_ms, rp__recorded_for); the settings a rule
 * gives an identity (rp__rule_for); and what the firings do to the
 * recorded episodes: noise removed, actionable delayed or lost
 * (rp__base_effects for the base, rp__run_rules and rp__run_effects for a
 * run). It reads the base (struct rp_base, replay_int.h) and calls no other
 * replay file; replay_am.c reads the firings through rp__view and
 * rp__fires_at. */
#include "replay_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

#define DEFAULT_INTERVAL_MS	60000	/* a rule's, when no sample told */
#define FOR_STATE_MS		1000	/* ALERTS_FOR_STATE's resolution */

static int
fset_push(struct fset *f, int64_t at, int64_t end)
{
	if (f->n == f->cap) {
		size_t n = f->cap ? f->cap * 2 : 256;
		struct firing *p = realloc(f->v, n * sizeof(*p));
		int64_t *q;

		if (p == NULL)
			return -1;
		f->v = p;
		if ((q = realloc(f->mx, n * sizeof(*q))) == NULL)
			return -1;
		f->mx = q;
		f->cap = n;
	}
	f->v[f->n++] = (struct firing){ at, end };
	return 0;
}

void
rp__fset_free(struct fset *f)
{
	free(f->v);
	free(f->alt);
	free(f->mx);
	memset(f, 0, sizeof(*f));
}

struct pos_firing {
	struct firing f;
	size_t pos;
};

static int
pos_firing_cmp(const void *x, const void *y)
{
	const struct pos_firing *a = x, *b = y;

	if (a->f.at != b->f.at)
		return a->f.at < b->f.at ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Completes the slot s of f (its firings appended): the sorted copy when
 * they are out of order, and the running max of their ends. */
static int
fset_close(struct fset *f, struct slot *s)
{
	const struct firing *am;
	int64_t m = INT64_MIN;
	size_t i;

	for (i = 1; i < s->n; i++)
		if (f->v[s->off + i].at < f->v[s->off + i - 1].at)
			break;
	s->sorted_copy = i < s->n;
	if (s->sorted_copy) {
		struct pos_firing *t = malloc(s->n * sizeof(*t));

		if (t == NULL)
			return -1;
		if (f->nalt + s->n > f->capalt) {
			size_t cap = f->capalt ? f->capalt : 256;
			struct firing *p;

			while (cap < f->nalt + s->n)
				cap *= 2;
			if ((p = realloc(f->alt, cap * sizeof(*p))) == NULL) {
				free(t);
				return -1;
			}
			f->alt = p;
			f->capalt = cap;
		}
		for (i = 0; i < s->n; i++)
			t[i] = (struct pos_firing){ f->v[s->off + i], i };
		qsort(t, s->n, sizeof(*t), pos_firing_cmp);
		s->aoff = f->nalt;
		for (i = 0; i < s->n; i++)
			f->alt[f->nalt++] = t[i].f;
		free(t);
	}
	am = s->sorted_copy ? f->alt + s->aoff : f->v + s->off;
	for (i = 0; i < s->n; i++) {
		if (am[i].end > m)
			m = am[i].end;
		f->mx[s->off + i] = m;
	}
	return 0;
}

void
rp__rule_for(const struct rp_settings *s, const struct an_identity *id,
    int64_t *for_ms, int64_t *kff_ms)
{
	for (size_t i = 0; s != NULL && i < s->nrules; i++) {
		const struct rp_rule *r = &s->rules[i];

		if (r->match != NULL && !sel_match_json(r->match, id->labels))
			continue;
		if (r->for_ms >= 0)
			*for_ms = r->for_ms;
		if (r->keep_firing_for_ms >= 0)
			*kff_ms = r->keep_firing_for_ms;
	}
}

int64_t
rp__interval_of(const struct analysis *a, size_t k)
{
	return a->ids[k].interval_ms > 0 ? a->ids[k].interval_ms :
	    DEFAULT_INTERVAL_MS;
}

/* When episode e's condition began to hold: the evaluation that made the
 * alert active (rules/alerting.go activeAt), on the grid of evaluations iv
 * apart that firing_at (else resolved_at) is one of. pending_at may be
 * ALERTS_FOR_STATE's value, activeAt in whole seconds, up to a second
 * before that evaluation: so the first evaluation at or after pending_at
 * when it is less than a second after it, else pending_at as it is (0:
 * none). */
static int64_t
active_at(const struct an_episode *e, int64_t iv)
{
	int64_t on = e->firing_at ? e->firing_at : e->resolved_at, r;

	if (e->pending_at == 0 || on < e->pending_at)
		return e->pending_at;
	r = (on - e->pending_at) % iv;
	return r < FOR_STATE_MS ? e->pending_at + r : e->pending_at;
}

int64_t
rp_pending_ms(const struct analysis *a, const struct an_episode *e)
{
	int64_t iv = rp__interval_of(a, e->ident), p;

	if (e->pending_at == 0 || e->firing_at == 0)
		return -1;
	p = e->firing_at - active_at(e, iv);
	if (p < 0)
		p = 0;	/* another replica's activeAt, later */
	return p - p % iv;
}

int64_t
rp__recorded_for(const struct analysis *a, const size_t *list, size_t n)
{
	int64_t best = -1;

	for (size_t j = 0; j < n; j++) {
		int64_t p = rp_pending_ms(a, &a->eps[list[j]]);

		if (p >= 0 && (best < 0 || p < best))
			best = p;
	}
	return best < 0 ? 0 : best;
}

void
rp__view(const struct rp_base *b, size_t k, struct fview *v)
{
	const struct fset *f = &b->f;
	const struct slot *s = &b->fs[k];

	if (b->fstamp[k] == b->stamp) {
		f = &b->rf;
		s = &b->rfs[k];
	}
	v->n = s->n;
	v->raw = f->v + s->off;
	v->am = s->sorted_copy ? f->alt + s->aoff : v->raw;
	v->mx = f->mx + s->off;
}

size_t
rp__nfirings(const struct rp_base *b, size_t k)
{
	return b->fstamp[k] == b->stamp ? b->rfs[k].n : b->fs[k].n;
}

int
rp__fires_at(const struct rp_base *b, size_t k, int64_t t)
{
	struct fview v;
	size_t lo = 0, hi;

	rp__view(b, k, &v);
	hi = v.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v.am[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && v.mx[lo - 1] > t;
}

int
rp__ident_firings(const struct rp_base *b, size_t k, int64_t for_ms,
    int64_t kff, struct fset *f, struct slot *s)
{
	const struct analysis *a = b->a;
	const size_t *list = &b->by.order[b->by.first[k]];
	size_t nlist = b->by.first[k + 1] - b->by.first[k];
	int64_t cur_for = b->cur_for[k], cur_kff = b->cur_kff[k];
	int64_t iv = rp__interval_of(a, k);
	int64_t open_at = 0, open_end = 0;
	int have = 0;

	s->off = f->n;
	for (size_t j = 0; j < nlist; j++) {
		const struct an_episode *e = &a->eps[list[j]];
		int64_t start, end, at;

		if (for_ms == cur_for && kff == cur_kff) {
			if (e->firing_at == 0)
				continue;
			if (fset_push(f, e->firing_at,
			    e->resolved_at ? e->resolved_at : OPEN) < 0)
				return -1;
			continue;
		}
		/* the condition held over [start, end) */
		start = e->pending_at ? active_at(e, iv) :
		    e->firing_at - cur_for;
		if (e->firing_at)
			end = e->resolved_at ? e->resolved_at - cur_kff : OPEN;
		else
			end = e->resolved_at ? e->resolved_at : OPEN;
		if (end != OPEN && end < start)
			end = start;
		/* HA replicas: the episode runs from the first replica's
		 * start to the last one's end, which evaluate up to an
		 * interval apart; each replica's condition held a whole
		 * number of its own evaluations, so the span counts in whole
		 * evaluations from start (a no-op for one replica) */
		if (end != OPEN && a->ids[k].interval_ms > 0)
			end = start + (end - start) / iv * iv;
		/* still firing from an earlier period under kff */
		if (have && (open_end == OPEN || start <= open_end)) {
			if (end == OPEN || end + kff > open_end)
				open_end = end == OPEN ? OPEN : end + kff;
			continue;
		}
		at = start + (for_ms + iv - 1) / iv * iv;
		if (end != OPEN && at >= end)
			continue;	/* the condition ended first */
		if (have && fset_push(f, open_at, open_end) < 0)
			return -1;
		open_at = at;
		open_end = end == OPEN ? OPEN : end + kff;
		have = 1;
	}
	if (have && fset_push(f, open_at, open_end) < 0)
		return -1;
	s->n = f->n - s->off;
	return fset_close(f, s);
}

struct dlist {
	double *v;
	size_t n, cap;
};

static int
dl_push(struct dlist *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		double *p = realloc(d->v, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		d->v = p;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return 0;
}

/* What became of identity k's recorded episodes under the firings in
 * view: noise removed, actionable delayed (their delays into d) or lost. */
static int
ident_effects(const struct rp_base *b, size_t k, struct effect *ef,
    struct dlist *d)
{
	const struct analysis *a = b->a;
	const size_t *list = &b->by.order[b->by.first[k]];
	size_t nlist = b->by.first[k + 1] - b->by.first[k];
	struct fview v;

	memset(ef, 0, sizeof(*ef));
	rp__view(b, k, &v);
	for (size_t i = 0; i < nlist; i++) {
		const struct an_episode *e = &a->eps[list[i]];
		int64_t start = e->pending_at ? active_at(e,
		    rp__interval_of(a, k)) : e->firing_at;
		int64_t end = e->resolved_at ? e->resolved_at : OPEN;
		const struct firing *hit = NULL;
		int merged = 0;

		if (e->context || e->firing_at == 0)
			continue;
		for (size_t j = 0; j < v.n && hit == NULL; j++) {
			const struct firing *f = &v.raw[j];

			if (f->at >= start && (end == OPEN || f->at < end))
				hit = f;
			else if (f->at < start && (f->end == OPEN ||
			    f->end > start))
				merged = 1;
		}
		if (an_is_noise(e->cls)) {
			if (hit == NULL)
				ef->noise_removed++;
			continue;
		}
		if (hit == NULL && !merged) {
			ef->lost++;
		} else if (hit != NULL && hit->at > e->firing_at) {
			ef->delayed++;
			if (dl_push(d, (double)(hit->at - e->firing_at) /
			    1000.0) < 0)
				return -1;
		}
	}
	return 0;
}

int
rp__base_effects(struct rp_base *b)
{
	struct dlist d = { NULL, 0, 0 };

	b->eff = calloc(b->nids ? b->nids : 1, sizeof(*b->eff));
	b->dfirst = calloc(b->nids + 1, sizeof(*b->dfirst));
	if (b->eff == NULL || b->dfirst == NULL)
		return -1;
	for (size_t k = 0; k < b->nids; k++) {
		b->dfirst[k] = d.n;
		if (ident_effects(b, k, &b->eff[k], &d) < 0) {
			free(d.v);
			return -1;
		}
		b->eff_total.noise_removed += b->eff[k].noise_removed;
		b->eff_total.delayed += b->eff[k].delayed;
		b->eff_total.lost += b->eff[k].lost;
	}
	b->dfirst[b->nids] = d.n;
	b->delays = d.v;
	b->nbase_delays = (long)d.n;
	return 0;
}

int
rp__run_rules(struct rp_base *b, const struct rp_settings *p)
{
	for (size_t k = 0; p != NULL && p->nrules > 0 && k < b->nids; k++) {
		int64_t for_ms = b->cur_for_raw[k], kff = b->cur_kff[k];
		const struct slot *s = &b->fs[k], *t = &b->rfs[k];
		size_t mark = b->rf.n, amark = b->rf.nalt;

		rp__rule_for(p, &b->a->ids[k], &for_ms, &kff);
		if (for_ms < 0)
			for_ms = b->cur_for[k];
		if (for_ms == b->cur_for[k] && kff == b->cur_kff[k])
			continue;
		if (rp__ident_firings(b, k, for_ms, kff, &b->rf,
		    &b->rfs[k]) < 0)
			return -1;
		if (t->n == s->n && (s->n == 0 || memcmp(b->rf.v + t->off,
		    b->f.v + s->off, s->n * sizeof(struct firing)) == 0)) {
			b->rf.n = mark;		/* the same: the base's */
			b->rf.nalt = amark;
			continue;
		}
		b->fstamp[k] = b->stamp;
		b->clist[b->nclist++] = k;
	}
	return 0;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

int
rp__run_effects(struct rp_base *b, struct rp_result *res)
{
	struct effect t = b->eff_total, e;
	struct dlist d = { NULL, 0, 0 };
	int result = -1;

	for (size_t i = 0; i < b->nclist; i++) {
		size_t k = b->clist[i];

		t.noise_removed -= b->eff[k].noise_removed;
		t.delayed -= b->eff[k].delayed;
		t.lost -= b->eff[k].lost;
		if (ident_effects(b, k, &e, &d) < 0)
			goto out;
		t.noise_removed += e.noise_removed;
		t.delayed += e.delayed;
		t.lost += e.lost;
	}
	for (size_t k = 0; b->nbase_delays > 0 && k < b->nids; k++)
		for (size_t j = b->dfirst[k]; j < b->dfirst[k + 1] &&
		    b->fstamp[k] != b->stamp; j++)
			if (dl_push(&d, b->delays[j]) < 0)
				goto out;
	res->noise_removed = t.noise_removed;
	res->actionable_delayed = t.delayed;
	res->actionable_lost = t.lost;
	if (d.n > 0) {
		qsort(d.v, d.n, sizeof(double), dbl_cmp);
		res->delay_p50_s = d.v[(size_t)ceil(0.5 * (double)d.n) - 1];
		res->delay_max_s = d.v[d.n - 1];
	}
	result = 0;
out:
	free(d.v);
	return result;
}

/* The identities whose inhibition may change: targets of a new rule with
 * a source of their equal values that fires, and targets of a current
 * rule one of whose sources of their equal values fires differently. */

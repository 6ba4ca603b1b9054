/* replay_am.c -- the Alertmanager model of the replay.
 *
 * A receiver's routes (rp__route_nodes: the current settings' routes, then
 * a proposal's, over Alertmanager's defaults), its aggregation groups by
 * group key (rp__group_routed; group keys interned per group_by), the
 * inhibit rules indexed by their `equal` values (rp__inh_build), and one
 * group replayed over the window (rp__replay_group): group_wait,
 * group_interval and a heap of the alerts due to join, DedupStage's
 * needsUpdate with repeat_interval and send_resolved at each flush, and
 * inhibited and silenced alerts left out of it. The model is described in
 * replay.h. It reads firings through replay_rules.c (rp__view,
 * rp__fires_at, rp__interval_of) and routing through replay_history.c
 * (rp__routed); replay.c builds the base and runs proposals with it. */
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amroute.h"
#include "selector.h"
#include "timefmt.h"

#define AM_GROUP_WAIT_MS	30000	/* Alertmanager's route defaults */
#define AM_GROUP_INTERVAL_MS	300000
#define AM_REPEAT_INTERVAL_MS	14400000

static void
kb_str(struct kbuf *k, const char *s, size_t n)
{
	rp__kb_put(k, &n, sizeof(n));
	rp__kb_put(k, s, n);
}

/* A label value as group_key's JSON had it: absent and null alike (both
 * serialize as null), a string by its bytes, anything else serialized.
 * Equal encodings <=> equal serializations. */
static void
kb_value(struct kbuf *k, const json_t *v)
{
	if (v == NULL || json_is_null(v)) {
		rp__kb_put(k, "n", 1);
	} else if (json_is_string(v)) {
		rp__kb_put(k, "s", 1);
		kb_str(k, json_string_value(v), json_string_length(v));
	} else {
		char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_SORT_KEYS);

		if (d == NULL) {
			k->failed = 1;
			return;
		}
		rp__kb_put(k, "j", 1);
		kb_str(k, d, strlen(d));
		free(d);
	}
}

static int
key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static struct gspec *
spec_get(struct rp_base *b, const struct route_eff *r)
{
	struct gspec *g;

	for (g = b->specs; g != NULL; g = g->next) {
		size_t i;

		if (g->all_labels != r->all_labels)
			continue;
		if (g->all_labels)
			return g;
		if (g->nby != r->ngroup_by)
			continue;
		for (i = 0; i < g->nby; i++)
			if (strcmp(g->by[i], r->group_by[i]) != 0)
				break;
		if (i == g->nby)
			return g;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->all_labels = r->all_labels;
	g->ids = malloc((b->nids ? b->nids : 1) * sizeof(*g->ids));
	g->by = calloc(r->ngroup_by + 1, sizeof(*g->by));
	g->next = b->specs;
	b->specs = g;
	if (g->ids == NULL || g->by == NULL)
		return NULL;
	for (size_t k = 0; k < b->nids; k++)
		g->ids[k] = NONE;
	for (size_t i = 0; !g->all_labels && i < r->ngroup_by; i++) {
		if ((g->by[i] = strdup(r->group_by[i])) == NULL)
			return NULL;
		g->nby++;
	}
	return g;
}

/* The group key of identity k under g, as a number: equal numbers for
 * the labels group_key's JSON (sorted keys, absent labels null) would
 * give equal text. Returns NONE on out-of-memory. */
static size_t
spec_key(struct gspec *g, const struct analysis *a, size_t k,
    struct kbuf *kb)
{
	const json_t *l = a->ids[k].labels;
	size_t id;

	if (g->ids[k] != NONE)
		return g->ids[k];
	kb->n = 0;
	if (g->all_labels) {
		size_t n = json_object_size(l), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		const char *key;
		json_t *v;

		if (keys == NULL)
			return NONE;
		json_object_foreach((json_t *)l, key, v)
			keys[i++] = key;
		qsort(keys, i, sizeof(*keys), key_cmp);
		for (size_t j = 0; j < i; j++) {
			kb_str(kb, keys[j], strlen(keys[j]));
			kb_value(kb, json_object_get(l, keys[j]));
		}
		free(keys);
	} else {
		for (size_t i = 0; i < g->nby; i++)
			kb_value(kb, json_object_get(l, g->by[i]));
	}
	if (kb->failed || intern_put(&g->keys, kb->p ? kb->p : "", kb->n,
	    &id) < 0)
		return NONE;
	return g->ids[k] = id;
}

void
rp__specs_free(struct gspec *g)
{
	while (g != NULL) {
		struct gspec *next = g->next;

		for (size_t i = 0; i < g->nby; i++)
			free(g->by[i]);
		free(g->by);
		free(g->ids);
		intern_free(&g->keys);
		free(g);
		g = next;
	}
}

int
rp__inh_build(const struct analysis *a, const struct rp_inhibit *ih,
    struct inh *x)
{
	struct intern tuples = { 0 };
	struct kbuf kb = { 0 };
	size_t n = a->nids ? a->nids : 1;
	int result = -1;

	memset(x, 0, sizeof(*x));
	x->src = calloc(n, 1);
	x->tgt = calloc(n, 1);
	x->tuple = malloc(n * sizeof(*x->tuple));
	if (x->src == NULL || x->tgt == NULL || x->tuple == NULL)
		goto out;
	for (size_t k = 0; k < a->nids; k++) {
		const json_t *l = a->ids[k].labels;

		x->tuple[k] = NONE;
		x->src[k] = sel_match_json(ih->source, l) != 0;
		x->tgt[k] = sel_match_json(ih->target, l) != 0;
		if (!x->src[k] && !x->tgt[k])
			continue;
		kb.n = 0;
		for (size_t e = 0; e < ih->nequal; e++) {
			const char *v = json_string_value(json_object_get(l,
			    ih->equal[e]));

			/* inhibited_by compared them with strcmp */
			v = v ? v : "";
			kb_str(&kb, v, strlen(v));
		}
		if (kb.failed || intern_put(&tuples, kb.p ? kb.p : "", kb.n,
		    &x->tuple[k]) < 0)
			goto out;
	}
	x->ntuples = intern_count(&tuples);
	x->sfirst = calloc(x->ntuples + 2, sizeof(*x->sfirst));
	x->tfirst = calloc(x->ntuples + 2, sizeof(*x->tfirst));
	x->sidx = malloc(n * sizeof(*x->sidx));
	x->tidx = malloc(n * sizeof(*x->tidx));
	if (x->sfirst == NULL || x->tfirst == NULL || x->sidx == NULL ||
	    x->tidx == NULL)
		goto out;
	for (size_t k = 0; k < a->nids; k++) {
		x->sfirst[x->tuple[k] + 2] += x->tuple[k] != NONE && x->src[k];
		x->tfirst[x->tuple[k] + 2] += x->tuple[k] != NONE && x->tgt[k];
	}
	for (size_t u = 0; u < x->ntuples; u++) {
		x->sfirst[u + 2] += x->sfirst[u + 1];
		x->tfirst[u + 2] += x->tfirst[u + 1];
	}
	for (size_t k = 0; k < a->nids; k++) {
		if (x->tuple[k] == NONE)
			continue;
		if (x->src[k])
			x->sidx[x->sfirst[x->tuple[k] + 1]++] = k;
		if (x->tgt[k])
			x->tidx[x->tfirst[x->tuple[k] + 1]++] = k;
	}
	result = 0;
out:
	intern_free(&tuples);
	free(kb.p);
	return result;
}

void
rp__inh_free(struct inh *x)
{
	free(x->src);
	free(x->tgt);
	free(x->tuple);
	free(x->sfirst);
	free(x->sidx);
	free(x->tfirst);
	free(x->tidx);
}

/* Route x's settings over r's. */
static void
route_apply(const struct rp_route *x, struct route_eff *r)
{
	if (x->group_by_set) {
		r->group_by = x->group_by;
		r->ngroup_by = x->ngroup_by;
		r->all_labels = x->ngroup_by == 1 &&
		    strcmp(x->group_by[0], "...") == 0;
	}
	if (x->group_wait_ms >= 0)
		r->wait = x->group_wait_ms;
	if (x->group_interval_ms >= 0)
		r->interval = x->group_interval_ms;
	if (x->repeat_interval_ms >= 0)
		r->repeat = x->repeat_interval_ms;
	if (x->send_resolved >= 0)
		r->send_resolved = x->send_resolved;
	if (x->tree != NULL) {
		r->tree = x->tree;
		r->route_id = x->route_id;
	}
}

int
rp__same_route(const struct route_eff *x, const struct route_eff *y)
{
	if (x->all_labels != y->all_labels || x->wait != y->wait ||
	    x->interval != y->interval || x->repeat != y->repeat ||
	    x->send_resolved != y->send_resolved || x->tree != y->tree ||
	    (x->tree != NULL && x->route_id != y->route_id))
		return 0;
	if (x->all_labels)
		return 1;
	if (x->ngroup_by != y->ngroup_by)
		return 0;
	for (size_t i = 0; i < x->ngroup_by; i++)
		if (x->group_by[i] != y->group_by[i] &&
		    strcmp(x->group_by[i], y->group_by[i]) != 0)
			return 0;
	return 1;
}

static const unsigned char *
match_vec(const struct rp_base *b, struct mvec **mv, size_t *nmv,
    const struct sel *s)
{
	struct mvec *p;
	unsigned char *v;

	for (size_t i = 0; i < *nmv; i++)
		if ((*mv)[i].s == s)
			return (*mv)[i].v;
	if ((p = realloc(*mv, (*nmv + 1) * sizeof(*p))) == NULL)
		return NULL;
	*mv = p;
	if ((v = malloc(b->nids ? b->nids : 1)) == NULL)
		return NULL;
	for (size_t k = 0; k < b->nids; k++)
		v[k] = sel_match_json(s, b->a->ids[k].labels) != 0;
	p[*nmv] = (struct mvec){ s, v };
	(*nmv)++;
	return v;
}

static int
firing_now(const struct firing *f, int64_t t)
{
	return f->at <= t && (f->end == OPEN || t < f->end);
}

/* Moves m->k to the latest of its firings that began by t. */
static void
advance(struct member *m, int64_t t)
{
	while (m->k + 1 < m->niv && m->iv[m->k + 1].at <= t)
		m->k++;
}

/* Whether an inhibit rule mutes identity ident at t: a source alert of
 * the same equal values, another identity, fires. */
static int
inhibited(const struct gctx *g, size_t ident, int64_t t)
{
	const struct rp_base *b = g->b;

	/* silenced: Alertmanager's MuteStage drops it from the flush, as
	 * an inhibited one */
	for (size_t i = b->sfirst[ident]; i < b->sfirst[ident + 1]; i++)
		if (b->sil[i]->from <= t && t < b->sil[i]->to)
			return 1;
	for (size_t i = 0; i < g->ninh; i++) {
		const struct inh *x = g->inh[i];
		size_t u;

		if (!x->tgt[ident])
			continue;
		u = x->tuple[ident];
		for (size_t j = x->sfirst[u]; j < x->sfirst[u + 1]; j++)
			if (x->sidx[j] != ident &&
			    rp__fires_at(g->b, x->sidx[j], t))
				return 1;
	}
	return 0;
}

/* The state of the group's one notification log entry. */
struct nflog {
	int have;
	int64_t ts;
	long firing;
};

/* The alerts of a group not in it now that will be, by the start of
 * the firing that matters next: a binary min-heap of indexes into m. */
static int64_t
next_at(const struct member *m, size_t x)
{
	return m[x].iv[m[x].k].at;
}

static void
heap_push(size_t *hp, size_t *n, const struct member *m, size_t x)
{
	size_t i = (*n)++;
	int64_t key = next_at(m, x);

	while (i > 0 && next_at(m, hp[(i - 1) / 2]) > key) {
		hp[i] = hp[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	hp[i] = x;
}

static size_t
heap_pop(size_t *hp, size_t *n, const struct member *m)
{
	size_t top = hp[0], x = hp[--(*n)], i = 0;
	int64_t key = next_at(m, x);

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && next_at(m, hp[c + 1]) < next_at(m, hp[c]))
			c++;
		if (next_at(m, hp[c]) >= key)
			break;
		hp[i] = hp[c];
		i = c;
	}
	if (*n > 0)
		hp[i] = x;
	return top;
}

/* A delivered notification carried identity ident (firing: f): counted
 * for it when it is the first of its alertname in the notification (the
 * alertname's mark in b->nmark unset), so that the sum over an alertname's
 * identities counts each notification once, as history does. */
static void
carried(struct gctx *g, size_t ident, int f)
{
	unsigned char *mk = &g->b->nmark[g->b->name_of[ident]];

	if (!(*mk & 1)) {
		*mk |= 1;
		g->n[ident]++;
	}
	if (g->paging && f && !(*mk & 2)) {
		*mk |= 2;
		g->p[ident]++;
	}
}

/* The episode of identity k that firing f replays: the last of its
 * episodes that fired by the evaluation after f began (a `for` moved onto
 * the evaluation grid fires up to one evaluation after the recorded
 * firing), else its first. */
static size_t
episode_of(const struct rp_base *b, size_t k, const struct firing *f)
{
	const struct analysis *a = b->a;
	const size_t *list = &b->by.order[b->by.first[k]];
	size_t n = b->by.first[k + 1] - b->by.first[k], hit = list[0];
	int64_t by = f->at + rp__interval_of(a, k);

	for (size_t i = 0; i < n; i++)
		if (a->eps[list[i]].firing_at <= by)
			hit = list[i];
	return hit;
}

/* Tells rp_notifications' hook of the notification a flush at t
 * delivered: its receiver, time and the episodes of its firing alerts. */
static void
tell(struct gctx *g, const struct member *m, const size_t *pr, size_t np,
    int64_t t)
{
	struct rp_base *b = (struct rp_base *)g->b;
	size_t n = 0;

	for (size_t i = 0; i < np; i++) {
		const struct member *x = &m[pr[i]];

		if (x->told_firing)
			g->eps[n++] = episode_of(b, x->ident, &x->iv[x->k]);
	}
	if (b->note(b->note_arg, g->receiver, t, g->eps, n) != 0)
		b->note_failed = 1;
}

/* The flush at t of the alerts in the group, m[pr[0..np)]: Alertmanager's
 * DedupStage.needsUpdate decides; the notification carries the firing
 * alerts (and the resolved ones with send_resolved); resolved alerts then
 * leave the group (for the heap when they fire again). Returns how many
 * remain, left in pr. */
static size_t
flush(struct gctx *g, struct member *m, size_t *pr, size_t np, int64_t t,
    struct nflog *log, size_t *nheap)
{
	const struct route_eff *r = g->r;
	int64_t from = g->b->a->from;
	long firing = 0;
	int new_firing = 0, new_resolved = 0, send;
	size_t remain = 0;

	for (size_t i = 0; i < np; i++) {
		struct member *x = &m[pr[i]];

		advance(x, t);
		if (firing_now(&x->iv[x->k], t)) {
			if (inhibited(g, x->ident, t))
				continue;	/* muted: left out */
			firing++;
			new_firing |= !x->told_firing;
		} else {
			new_resolved |= !x->told_resolved;
		}
	}
	if (!log->have)
		send = firing > 0;
	else if (new_firing)
		send = 1;
	else if (firing == 0)
		send = log->firing > 0;
	else if (r->send_resolved && new_resolved)
		send = 1;
	else
		send = t - log->ts > r->repeat;
	/* a muted route's pipeline stops before the notification log
	 * (notify.go TimeMuteStage, TimeActiveStage): nothing is sent, nothing
	 * remembered; the group still drops its resolved alerts */
	if (send && r->tree != NULL && am_route_muted(r->tree, r->route_id,
	    t) == 1)
		send = 0;
	if (send) {
		/* flushes before the window (of alerts that fired before it)
		 * keep the state right but are not counted */
		int delivered = (firing > 0 || r->send_resolved) && t >= from;

		for (size_t i = 0; i < np; i++) {
			struct member *x = &m[pr[i]];
			int f;

			f = firing_now(&x->iv[x->k], t) &&
			    !inhibited(g, x->ident, t);
			if (delivered && (f || (!firing_now(&x->iv[x->k], t) &&
			    r->send_resolved)))
				carried(g, x->ident, f);
			x->told_firing = f;
			x->told_resolved = !firing_now(&x->iv[x->k], t);
		}
		for (size_t i = 0; i < np; i++)
			g->b->nmark[g->b->name_of[m[pr[i]].ident]] = 0;
		if (delivered && g->b->note != NULL)
			tell(g, m, pr, np, t);
		if (delivered) {
			g->total++;
			if (g->paging && firing > 0)
				g->pages++;
		}
		log->have = 1;
		log->ts = t;
		log->firing = firing;
	}
	for (size_t i = 0; i < np; i++) {
		struct member *x = &m[pr[i]];

		if (firing_now(&x->iv[x->k], t)) {
			pr[remain++] = pr[i];
			continue;
		}
		/* resolved: out of the group until it fires again */
		x->present = 0;
		x->told_firing = x->told_resolved = 0;
		if (x->iv[x->k].end != OPEN && x->iv[x->k].end <= t)
			x->k++;
		if (x->k < x->niv)
			heap_push(g->heap, nheap, m, pr[i]);
	}
	return remain;
}

int64_t
rp_clock_ms(void)
{
	return ts_mono_ms();
}

int
rp__spend(struct rp_budget *b)
{
	const struct rp_limits *l;

	if (b == NULL)
		return 0;
	if (b->status != RP_OK)
		return 1;
	l = b->lim;
	b->steps++;
	if (l->max_steps > 0 && b->steps > l->max_steps)
		b->status = RP_ESTEPS;
	else if (b->steps % RP_CHECK_EVERY == 0) {
		if (l->stop_fn != NULL && l->stop_fn(l->stop_arg))
			b->status = RP_ESTOPPED;
		else if (l->deadline_ms > 0 && rp_clock_ms() >= l->deadline_ms)
			b->status = RP_EDEADLINE;
	}
	return b->status != RP_OK;
}

/* One aggregation group of one receiver over the window. Ticks where
 * nothing can change are skipped; each flush time is a step of the run's
 * budget, and the group stops where the budget runs out. */
static void
run_group(struct gctx *g, struct member *m, size_t nm)
{
	const struct route_eff *r = g->r;
	struct nflog log = { 0, 0, 0 };
	int64_t t = 0, to = g->b->a->to;
	size_t present = 0, nheap = 0, *pr = g->pres;

	for (size_t i = 0; i < nm; i++)
		heap_push(g->heap, &nheap, m, i);
	for (;;) {
		int64_t due = nheap > 0 ? next_at(m, g->heap[0]) : OPEN;

		/* the next moment something happens */
		for (size_t i = 0; i < present; i++) {
			const struct member *x = &m[pr[i]];

			if (x->iv[x->k].end != OPEN && x->iv[x->k].end < due)
				due = x->iv[x->k].end;
		}
		if (present > 0 && log.have && log.firing > 0 &&
		    log.ts + r->repeat + 1 < due)
			due = log.ts + r->repeat + 1;
		if (due == OPEN)
			break;
		if (present == 0) {
			/* a new group: its first flush is group_wait after
			 * its first alert */
			t = due + r->wait;
		} else if (due > t) {
			t += (due - t + r->interval - 1) / r->interval *
			    r->interval;
		}
		if (t >= to || rp__spend(g->b->budget))
			break;
		while (nheap > 0 && next_at(m, g->heap[0]) <= t) {
			size_t x = heap_pop(g->heap, &nheap, m);

			m[x].present = 1;
			advance(&m[x], t);
			pr[present++] = x;
		}
		present = flush(g, m, pr, present, t, &log, &nheap);
		t += r->interval;
	}
}

void
rp__replay_group(struct gctx *g, const size_t *ids, size_t n, struct member *m)
{
	size_t nm = 0;

	g->total = g->pages = 0;
	for (size_t i = 0; i < n; i++) {
		struct fview v;

		rp__view(g->b, ids[i], &v);
		if (v.n > 0)
			m[nm++] = (struct member){ ids[i], v.am, v.n, 0, 0, 0,
			    0 };
	}
	if (nm > 0)
		run_group(g, m, nm);
}

static void
route_default(const struct rp_history *h, size_t r, struct route_eff *re)
{
	memset(re, 0, sizeof(*re));
	re->group_by = (const char *const *)h->recv[r].group_by;
	re->ngroup_by = h->recv[r].ngroup_by;
	re->wait = AM_GROUP_WAIT_MS;
	re->interval = AM_GROUP_INTERVAL_MS;
	re->repeat = AM_REPEAT_INTERVAL_MS;
	re->send_resolved = 1;
}

int
rp__routes_to(const struct rp_settings *s, const char *receiver, int matchers)
{
	for (size_t i = 0; s != NULL && i < s->nroutes; i++)
		if ((s->routes[i].receiver == NULL ||
		    strcmp(s->routes[i].receiver, receiver) == 0) &&
		    (!matchers || s->routes[i].match != NULL))
			return 1;
	return 0;
}

/* Appends the route def has under the routes rt[i] with key[i] set. */
static int
node_add(struct route_eff **node, size_t *nnode, const struct route_eff *def,
    const struct rp_route *const *rt, const char *key, size_t nrt)
{
	struct route_eff *q = realloc(*node, (*nnode + 1) * sizeof(*q));

	if (q == NULL)
		return -1;
	*node = q;
	q += (*nnode)++;
	*q = *def;
	for (size_t i = 0; i < nrt; i++)
		if (key[i])
			route_apply(rt[i], q);
	if (q->interval <= 0)
		q->interval = 1000;
	return 0;
}

int
rp__route_nodes(struct rp_base *b, size_t r, const struct rp_settings *cur,
    const struct rp_settings *p, struct mvec **mv, size_t *nmv,
    struct route_eff **node, size_t *nnode, size_t *of)
{
	const char *name = b->h->recv[r].name;
	const struct rp_settings *set[2] = { cur, p };
	size_t n = (cur ? cur->nroutes : 0) + (p ? p->nroutes : 0) + 1;
	const struct rp_route **rt = malloc(n * sizeof(*rt));
	const unsigned char **mt = malloc(n * sizeof(*mt));
	char *key = malloc(n);
	struct intern sig = { 0 };
	struct route_eff def;
	size_t nrt = 0, nmr = 0, id;
	int result = -1;

	*node = NULL;
	*nnode = 0;
	if (rt == NULL || mt == NULL || key == NULL)
		goto out;
	for (size_t j = 0; j < 2; j++)
		for (size_t i = 0; set[j] != NULL && i < set[j]->nroutes;
		    i++) {
			const struct rp_route *x = &set[j]->routes[i];

			if (x->receiver != NULL && strcmp(x->receiver,
			    name) != 0)
				continue;
			mt[nrt] = NULL;
			if (x->match != NULL) {
				mt[nrt] = match_vec(b, mv, nmv, x->match);
				if (mt[nrt] == NULL)
					goto out;
				nmr++;
			}
			rt[nrt++] = x;
		}
	route_default(b->h, r, &def);
	/* an alert's key: which of the routes apply to it; node 0's first */
	for (size_t i = 0; i < nrt; i++)
		key[i] = mt[i] == NULL;
	if ((nmr > 0 && intern_put(&sig, key, nrt, &id) < 0) ||
	    node_add(node, nnode, &def, rt, key, nrt) < 0)
		goto out;
	for (size_t k = 0; k < b->nids; k++) {
		int reach = rp__routed(b->h, k, r);

		for (size_t i = 0; i < nrt; i++) {
			key[i] = mt[i] == NULL || mt[i][k];
			reach |= mt[i] != NULL && mt[i][k] &&
			    rt[i]->receiver != NULL;
		}
		of[k] = NONE;
		if (!reach)
			continue;
		if (nmr == 0)
			id = 0;
		else if (intern_put(&sig, key, nrt, &id) < 0)
			goto out;
		if (id == *nnode && node_add(node, nnode, &def, rt, key,
		    nrt) < 0)
			goto out;
		of[k] = id;
	}
	result = 0;
out:
	if (result < 0) {
		free(*node);
		*node = NULL;
		*nnode = 0;
	}
	intern_free(&sig);
	free(rt);
	free(mt);
	free(key);
	return result;
}

static int
gk_cmp(const void *x, const void *y)
{
	const struct gk *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->ident > b->ident) - (a->ident < b->ident);
}

/* Groups the identities ids[0..n) by their key under re: *out, sorted by
 * key then identity, key replaced by the group's number (0, 1, ...).
 * Returns the number of groups, or NONE on out-of-memory. */
static size_t
group_ids(struct rp_base *b, const struct route_eff *re, const size_t *ids,
    size_t n, struct gk **out)
{
	struct gspec *g = spec_get(b, re);
	struct gk *v = malloc((n ? n : 1) * sizeof(*v));
	struct kbuf kb = { 0 };
	size_t ng = 0;

	*out = v;
	if (g == NULL || v == NULL)
		return NONE;
	for (size_t i = 0; i < n; i++) {
		if ((v[i].key = spec_key(g, b->a, ids[i], &kb)) == NONE) {
			free(kb.p);
			return NONE;
		}
		v[i].ident = ids[i];
	}
	free(kb.p);
	qsort(v, n, sizeof(*v), gk_cmp);
	for (size_t i = 0, last = 0; i < n; i++) {
		size_t key = v[i].key;

		if (i == 0 || key != last)
			ng++;
		last = key;
		v[i].key = ng - 1;
	}
	return ng;
}

size_t
rp__group_routed(struct rp_base *b, const struct route_eff *node, size_t nnode,
    const size_t *of, const size_t *ids, size_t n, struct gk **out)
{
	struct gk *v = malloc((n ? n : 1) * sizeof(*v)), *gv;
	size_t *first = calloc(nnode + 1, sizeof(*first));
	size_t *sub = malloc((n ? n : 1) * sizeof(*sub));
	size_t ng = 0;

	*out = v;
	if (v == NULL || first == NULL || sub == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		first[of[ids[i]] + 1]++;
	for (size_t j = 0; j < nnode; j++)
		first[j + 1] += first[j];
	for (size_t i = 0; i < n; i++)
		sub[first[of[ids[i]]]++] = ids[i];
	for (size_t j = nnode; j > 0; j--)	/* back to the starts */
		first[j] = first[j - 1];
	first[0] = 0;
	for (size_t j = 0; j < nnode; j++) {
		size_t lo = first[j], m = first[j + 1] - lo, g;

		if (m == 0)
			continue;
		if ((g = group_ids(b, &node[j], sub + lo, m, &gv)) == NONE) {
			free(gv);
			goto fail;
		}
		for (size_t i = 0; i < m; i++)
			v[lo + i] = (struct gk){ gv[i].key + ng, gv[i].ident };
		free(gv);
		ng += g;
	}
	free(first);
	free(sub);
	return ng;
fail:
	free(first);
	free(sub);
	return NONE;
}

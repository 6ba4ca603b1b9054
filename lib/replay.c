/* replay.c -- replay history under other settings (replay.h). */
#include "replay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

#define DEFAULT_INTERVAL_MS	60000	/* a rule's, when no sample told */
#define AM_GROUP_WAIT_MS	30000	/* Alertmanager's route defaults */
#define AM_GROUP_INTERVAL_MS	300000
#define AM_REPEAT_INTERVAL_MS	14400000
#define OPEN			INT64_MAX

/* --- history ------------------------------------------------------------- */

struct rp_receiver {
	char *name;
	char **group_by;		/* the keys of its groups' labels */
	size_t ngroup_by;
	int group_seen;			/* group_by given by hand */
};

struct rp_recorded {
	char *alertname;
	size_t receiver;
	long n;
	int64_t last_notification;	/* counts a notification once */
};

struct rp_history {
	struct rp_receiver *recv;
	size_t nrecv;
	/* routed[ident * cols + r]: identity ident was notified to r */
	unsigned char *routed;
	size_t cols;
	struct rp_recorded *rec;
	size_t nrec;
	long recorded;			/* notifications in the window */
	int64_t last_notification;
};

struct hist_loader {
	struct rp_history *h;
	const struct analysis *a;
	int failed;
};

static size_t
receiver_index(struct rp_history *h, const char *name)
{
	struct rp_receiver *p;

	for (size_t i = 0; i < h->nrecv; i++)
		if (strcmp(h->recv[i].name, name) == 0)
			return i;
	if ((p = realloc(h->recv, (h->nrecv + 1) * sizeof(*p))) == NULL)
		return SIZE_MAX;
	h->recv = p;
	memset(&p[h->nrecv], 0, sizeof(*p));
	if ((p[h->nrecv].name = strdup(name)) == NULL)
		return SIZE_MAX;
	return h->nrecv++;
}

struct fp_idx {
	uint64_t fp;
	size_t idx;
};

static int
fp_idx_cmp(const void *x, const void *y)
{
	const struct fp_idx *a = x, *b = y;

	return (a->fp > b->fp) - (a->fp < b->fp);
}

struct hist_ctx {
	struct hist_loader l;
	struct fp_idx *byfp;
};

/* Marks identity ident (of nids) as routed to receiver r, adding a column
 * per receiver as receivers appear. */
static int
mark_routed(struct rp_history *h, size_t nids, size_t ident, size_t r)
{
	if (h->cols < h->nrecv) {
		unsigned char *p = calloc(nids * h->nrecv + 1, 1);

		if (p == NULL)
			return -1;
		for (size_t k = 0; h->routed && k < nids; k++)
			memcpy(p + k * h->nrecv, h->routed + k * h->cols,
			    h->cols);
		free(h->routed);
		h->routed = p;
		h->cols = h->nrecv;
	}
	h->routed[ident * h->cols + r] = 1;
	return 0;
}

/* Adds the keys of a notification's groupLabels to the receiver's
 * group_by: Alertmanager leaves out group_by labels an alert lacks, so the
 * union over the window is the route's group_by. */
static int
set_group_by(struct rp_receiver *r, const char *json_text)
{
	json_error_t je;
	json_t *o, *v;
	const char *k;
	int result = 0;

	if ((o = json_loads(json_text ? json_text : "{}", 0, &je)) == NULL)
		return 0;
	json_object_foreach(o, k, v) {
		size_t i;
		char **p;

		(void)v;
		for (i = 0; i < r->ngroup_by; i++)
			if (strcmp(r->group_by[i], k) == 0)
				break;
		if (i < r->ngroup_by)
			continue;
		if ((p = realloc(r->group_by, (r->ngroup_by + 2) *
		    sizeof(*p))) == NULL ||
		    (p[r->ngroup_by] = strdup(k)) == NULL) {
			if (p != NULL)
				r->group_by = p;
			result = -1;
			break;
		}
		r->group_by = p;
		r->group_by[++r->ngroup_by] = NULL;
	}
	json_decref(o);
	return result;
}

static int
hist_row(const struct notified_row *row, void *arg)
{
	struct hist_ctx *c = arg;
	struct rp_history *h = c->l.h;
	struct fp_idx key = { row->identity, 0 }, *hit;
	size_t r = receiver_index(h, row->receiver), i;

	if (r == SIZE_MAX)
		goto nomem;
	if (row->notification != h->last_notification) {
		h->last_notification = row->notification;
		h->recorded++;
	}
	if (set_group_by(&h->recv[r], row->group_labels) < 0)
		goto nomem;
	hit = c->byfp ? bsearch(&key, c->byfp, c->l.a->nids, sizeof(key),
	    fp_idx_cmp) : NULL;
	if (hit != NULL && mark_routed(h, c->l.a->nids, hit->idx, r) < 0)
		goto nomem;
	for (i = 0; i < h->nrec; i++)
		if (h->rec[i].receiver == r &&
		    strcmp(h->rec[i].alertname, row->alertname) == 0)
			break;
	if (i == h->nrec) {
		struct rp_recorded *p = realloc(h->rec, (h->nrec + 1) *
		    sizeof(*p));

		if (p == NULL)
			goto nomem;
		h->rec = p;
		memset(&p[i], 0, sizeof(*p));
		if ((p[i].alertname = strdup(row->alertname)) == NULL)
			goto nomem;
		p[i].receiver = r;
		h->nrec++;
	}
	if (h->rec[i].last_notification != row->notification) {
		h->rec[i].last_notification = row->notification;
		h->rec[i].n++;
	}
	return 0;
nomem:
	c->l.failed = 1;
	return 1;
}

int
rp_history_load(struct store *st, const struct analysis *a,
    struct rp_history **out, char *err, size_t errlen)
{
	struct hist_ctx c;
	struct rp_history *h;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto nomem;
	h->last_notification = -1;
	c.l.h = h;
	c.l.a = a;
	if (a->nids > 0) {
		if ((c.byfp = malloc(a->nids * sizeof(*c.byfp))) == NULL)
			goto nomem;
		for (size_t i = 0; i < a->nids; i++)
			c.byfp[i] = (struct fp_idx){ a->ids[i].fp, i };
		qsort(c.byfp, a->nids, sizeof(*c.byfp), fp_idx_cmp);
	}
	if (store_scan_notified(st, a->from, a->to, 0, hist_row, &c) < 0) {
		snprintf(err, errlen, "%s", c.l.failed ? "out of memory" :
		    store_errmsg(st));
		free(c.byfp);
		rp_history_free(h);
		return -1;
	}
	free(c.byfp);
	if (c.l.failed)
		goto nomem;
	*out = h;
	return 0;
nomem:
	free(c.byfp);
	rp_history_free(h);
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct rp_history *
rp_history_new(void)
{
	struct rp_history *h = calloc(1, sizeof(*h));

	if (h != NULL)
		h->last_notification = -1;
	return h;
}

int
rp_history_route(struct rp_history *h, const struct analysis *a,
    size_t ident, const char *receiver, const char *const *group_by,
    size_t ngroup_by)
{
	size_t r = receiver_index(h, receiver);
	struct rp_receiver *rc;

	if (r == SIZE_MAX)
		return -1;
	rc = &h->recv[r];
	if (rc->group_seen == 0) {
		rc->group_by = calloc(ngroup_by + 1, sizeof(char *));
		if (rc->group_by == NULL)
			return -1;
		for (size_t i = 0; i < ngroup_by; i++) {
			if ((rc->group_by[i] = strdup(group_by[i])) == NULL)
				return -1;
			rc->ngroup_by++;
		}
		rc->group_seen = 1;
	}
	return mark_routed(h, a->nids, ident, r);
}

void
rp_history_free(struct rp_history *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nrecv; i++) {
		free(h->recv[i].name);
		for (size_t j = 0; j < h->recv[i].ngroup_by; j++)
			free(h->recv[i].group_by[j]);
		free(h->recv[i].group_by);
	}
	for (size_t i = 0; i < h->nrec; i++)
		free(h->rec[i].alertname);
	free(h->recv);
	free(h->routed);
	free(h->rec);
	free(h);
}

static int
routed(const struct rp_history *h, size_t ident, size_t r)
{
	return r < h->cols && h->routed[ident * h->cols + r];
}

/* --- the rule model ------------------------------------------------------ */

/* One firing of an identity under some settings. */
struct firing {
	size_t ident;
	int64_t at, end;		/* [at, end); end OPEN: still firing */
};

struct firings {
	struct firing *v;
	size_t n, cap;
	size_t *first;			/* identity k's: v[first[k]..first[k+1]) */
};

static int
push_firing(struct firings *f, size_t ident, int64_t at, int64_t end)
{
	if (f->n == f->cap) {
		size_t n = f->cap ? f->cap * 2 : 256;
		struct firing *p = realloc(f->v, n * sizeof(*p));

		if (p == NULL)
			return -1;
		f->v = p;
		f->cap = n;
	}
	f->v[f->n++] = (struct firing){ ident, at, end };
	return 0;
}

/* The rule settings that apply to an identity: the last rule of s whose
 * selector matches wins over earlier ones (a proposal is applied after the
 * current settings). */
static void
rule_for(const struct rp_settings *s, const struct an_identity *id,
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

/* The `for` history shows: the shortest pending phase of the identity's
 * fired episodes (list[0..n) of a->eps). */
static int64_t
recorded_for(const struct analysis *a, const size_t *list, size_t n)
{
	int64_t best = -1;

	for (size_t j = 0; j < n; j++) {
		const struct an_episode *e = &a->eps[list[j]];

		if (e->pending_at == 0 || e->firing_at == 0)
			continue;
		if (best < 0 || e->firing_at - e->pending_at < best)
			best = e->firing_at - e->pending_at;
	}
	return best < 0 ? 0 : best;
}

/* Firing periods of every identity under settings (cur, then prop on top).
 * With changed == 0 the recorded firings are used as they are. */
static int
rule_model(const struct analysis *a, const struct rp_settings *cur,
    const struct rp_settings *prop, struct firings *out)
{
	struct an_by_ident b = { NULL, NULL };
	int result = -1;

	if (an_by_ident(a, &b) < 0 ||
	    (out->first = calloc(a->nids + 1, sizeof(*out->first))) == NULL)
		goto out;
	for (size_t k = 0; k < a->nids; k++) {
		const struct an_identity *id = &a->ids[k];
		const size_t *list = &b.order[b.first[k]];
		size_t nlist = b.first[k + 1] - b.first[k];
		int64_t rec_for = recorded_for(a, list, nlist), for_ms, kff;
		int64_t cur_for = -1, cur_kff = 0;
		int64_t iv = id->interval_ms > 0 ? id->interval_ms :
		    DEFAULT_INTERVAL_MS;
		int64_t open_at = 0, open_end = 0;
		int have = 0;

		out->first[k] = out->n;
		rule_for(cur, id, &cur_for, &cur_kff);
		for_ms = cur_for;
		kff = cur_kff;
		rule_for(prop, id, &for_ms, &kff);
		if (cur_for < 0)
			cur_for = rec_for;
		if (for_ms < 0)
			for_ms = cur_for;

		for (size_t j = 0; j < nlist; j++) {
			const struct an_episode *e = &a->eps[list[j]];
			int64_t start, end, at;

			if (for_ms == cur_for && kff == cur_kff) {
				if (e->firing_at == 0)
					continue;
				if (push_firing(out, k, e->firing_at,
				    e->resolved_at ? e->resolved_at : OPEN) < 0)
					goto out;
				continue;
			}
			/* the condition held over [start, end) */
			start = e->pending_at ? e->pending_at :
			    e->firing_at - cur_for;
			if (e->firing_at)
				end = e->resolved_at ? e->resolved_at - cur_kff :
				    OPEN;
			else
				end = e->resolved_at ? e->resolved_at : OPEN;
			if (end != OPEN && end < start)
				end = start;
			/* still firing from an earlier period under kff */
			if (have && (open_end == OPEN || start <= open_end)) {
				if (end == OPEN || end + kff > open_end)
					open_end = end == OPEN ? OPEN : end + kff;
				continue;
			}
			at = start + (for_ms + iv - 1) / iv * iv;
			if (end != OPEN && at >= end)
				continue;	/* the condition ended first */
			if (have && push_firing(out, k, open_at, open_end) < 0)
				goto out;
			open_at = at;
			open_end = end == OPEN ? OPEN : end + kff;
			have = 1;
		}
		if (have && push_firing(out, k, open_at, open_end) < 0)
			goto out;
	}
	out->first[a->nids] = out->n;
	result = 0;
out:
	an_by_ident_free(&b);
	return result;
}

/* --- the Alertmanager model ---------------------------------------------- */

struct route_eff {
	const char *const *group_by;
	size_t ngroup_by;
	int all_labels;
	int64_t wait, interval, repeat;
	int send_resolved;
	const struct sel *match;
};

static void
route_apply(const struct rp_settings *s, const char *receiver,
    struct route_eff *r)
{
	for (size_t i = 0; s != NULL && i < s->nroutes; i++) {
		const struct rp_route *x = &s->routes[i];

		if (x->receiver != NULL && strcmp(x->receiver, receiver) != 0)
			continue;
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
		if (x->match != NULL)
			r->match = x->match;
	}
}

/* An alert of a group: one identity, its firings in time order, and what
 * the receiver last heard of it. Alertmanager knows an alert by its labels,
 * so a re-firing is the same alert again, not a new one. */
struct member {
	size_t ident;
	const struct firing *iv;	/* its firings, sorted, disjoint */
	size_t niv;
	size_t k;			/* the firing that matters now */
	int present;			/* in the group */
	int told_firing;		/* in the last notification, firing */
	int told_resolved;		/* in the last notification, resolved */
};

struct counter {
	long *per_ident;		/* notifications that carried it */
	long total, pages;
	long *pages_per_ident;
};

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

/* Whether an inhibit rule of s mutes identity ident at t. */
static int
inhibited_by(const struct analysis *a, const struct rp_settings *s,
    const struct firings *all, size_t ident, int64_t t)
{
	const json_t *tl = a->ids[ident].labels;

	for (size_t i = 0; s != NULL && i < s->ninhibits; i++) {
		const struct rp_inhibit *ih = &s->inhibits[i];

		if (!sel_match_json(ih->target, tl))
			continue;
		for (size_t j = 0; j < all->n; j++) {
			const struct firing *src = &all->v[j];
			const json_t *sl = a->ids[src->ident].labels;
			size_t e;

			if (src->ident == ident || !firing_now(src, t) ||
			    !sel_match_json(ih->source, sl))
				continue;
			for (e = 0; e < ih->nequal; e++) {
				const char *x = json_string_value(
				    json_object_get(tl, ih->equal[e]));
				const char *y = json_string_value(
				    json_object_get(sl, ih->equal[e]));

				if (strcmp(x ? x : "", y ? y : "") != 0)
					break;
			}
			if (e == ih->nequal)
				return 1;
		}
	}
	return 0;
}

/* A proposal's inhibit rules add to the current ones. */
struct inhibits {
	const struct rp_settings *cur, *prop;
};

static int
inhibited(const struct analysis *a, const struct inhibits *inh,
    const struct firings *all, size_t ident, int64_t t)
{
	return inhibited_by(a, inh->cur, all, ident, t) ||
	    inhibited_by(a, inh->prop, all, ident, t);
}

/* The state of the group's one notification log entry. */
struct nflog {
	int have;
	int64_t ts;
	long firing;
};

/* The flush at t: Alertmanager's DedupStage.needsUpdate decides; the
 * notification carries the firing alerts (and the resolved ones with
 * send_resolved); resolved alerts then leave the group. Returns how many
 * alerts remain. */
static size_t
flush(const struct analysis *a, const struct inhibits *inh,
    const struct firings *all, const struct route_eff *r, struct member *m,
    size_t n, int64_t t, int paging, struct nflog *log, struct counter *c)
{
	long firing = 0;
	int new_firing = 0, new_resolved = 0, send;
	size_t remain = 0;

	for (size_t i = 0; i < n; i++) {
		struct member *x = &m[i];

		if (!x->present)
			continue;
		advance(x, t);
		if (firing_now(&x->iv[x->k], t)) {
			if (inhibited(a, inh, all, x->ident, t))
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
	if (send) {
		/* flushes before the window (of alerts that fired before it)
		 * keep the state right but are not counted */
		int delivered = (firing > 0 || r->send_resolved) &&
		    t >= a->from;

		for (size_t i = 0; i < n; i++) {
			struct member *x = &m[i];
			int f;

			if (!x->present)
				continue;
			f = firing_now(&x->iv[x->k], t) &&
			    !inhibited(a, inh, all, x->ident, t);
			if (delivered && (f || (!firing_now(&x->iv[x->k], t) &&
			    r->send_resolved)))
				c->per_ident[x->ident]++;
			if (delivered && paging && f)
				c->pages_per_ident[x->ident]++;
			x->told_firing = f;
			x->told_resolved = !firing_now(&x->iv[x->k], t);
		}
		if (delivered) {
			c->total++;
			if (paging && firing > 0)
				c->pages++;
		}
		log->have = 1;
		log->ts = t;
		log->firing = firing;
	}
	for (size_t i = 0; i < n; i++) {
		struct member *x = &m[i];

		if (!x->present)
			continue;
		if (!firing_now(&x->iv[x->k], t)) {
			/* resolved: out of the group until it fires again */
			x->present = 0;
			x->told_firing = x->told_resolved = 0;
			if (x->iv[x->k].end != OPEN && x->iv[x->k].end <= t)
				x->k++;
		}
		remain += x->present;
	}
	return remain;
}

/* One aggregation group of one receiver over the window. Ticks where
 * nothing can change are skipped. */
static void
run_group(const struct analysis *a, const struct inhibits *inh,
    const struct firings *all, const struct route_eff *r, struct member *m,
    size_t nm, int paging, struct counter *c)
{
	struct nflog log = { 0, 0, 0 };
	int64_t t = 0;
	size_t present = 0;

	for (;;) {
		int64_t due = OPEN;

		/* the next moment something happens */
		for (size_t i = 0; i < nm; i++) {
			struct member *x = &m[i];

			if (x->k >= x->niv)
				continue;
			if (!x->present) {
				if (x->iv[x->k].at < due)
					due = x->iv[x->k].at;
			} else {
				if (x->iv[x->k].end != OPEN &&
				    x->iv[x->k].end < due)
					due = x->iv[x->k].end;
			}
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
		if (t >= a->to)
			break;
		for (size_t i = 0; i < nm; i++)
			if (!m[i].present && m[i].k < m[i].niv &&
			    m[i].iv[m[i].k].at <= t) {
				m[i].present = 1;
				advance(&m[i], t);
			}
		present = flush(a, inh, all, r, m, nm, t, paging, &log, c);
		t += r->interval;
	}
}

/* The group key of an identity for a receiver. */
static char *
group_key(const struct analysis *a, size_t ident, const struct route_eff *r)
{
	const json_t *l = a->ids[ident].labels;
	char *s;

	if (r->all_labels)
		return json_dumps(l, JSON_SORT_KEYS | JSON_COMPACT);
	{
		json_t *k = json_object();

		for (size_t i = 0; i < r->ngroup_by; i++) {
			json_t *v = json_object_get(l, r->group_by[i]);

			json_object_set(k, r->group_by[i], v ? v : json_null());
		}
		s = json_dumps(k, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(k);
	}
	return s;
}

struct keyed {
	char *key;
	const struct firing *f;
};

static int
keyed_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	if (a->f->ident != b->f->ident)
		return a->f->ident < b->f->ident ? -1 : 1;
	return (a->f->at > b->f->at) - (a->f->at < b->f->at);
}

static int
is_paging(const struct an_opts *o, const char *receiver)
{
	for (size_t i = 0; i < o->npaging; i++)
		if (strcmp(o->paging_receivers[i], receiver) == 0)
			return 1;
	return 0;
}

/* Notifications of every receiver under one set of settings. counts[r] has
 * per-identity notifications and pages. */
static int
am_model(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *cur,
    const struct rp_settings *prop, const struct firings *all,
    struct counter *counts)
{
	struct keyed *kv = malloc((all->n ? all->n : 1) * sizeof(*kv));
	struct member *m = malloc((all->n ? all->n : 1) * sizeof(*m));
	struct firing *fs = malloc((all->n ? all->n : 1) * sizeof(*fs));
	int result = -1;

	if (kv == NULL || m == NULL || fs == NULL)
		goto out;
	for (size_t r = 0; r < h->nrecv; r++) {
		struct route_eff re;
		struct inhibits inh = { cur, prop };
		size_t n = 0;

		memset(&re, 0, sizeof(re));
		re.group_by = (const char *const *)h->recv[r].group_by;
		re.ngroup_by = h->recv[r].ngroup_by;
		re.wait = AM_GROUP_WAIT_MS;
		re.interval = AM_GROUP_INTERVAL_MS;
		re.repeat = AM_REPEAT_INTERVAL_MS;
		re.send_resolved = 1;
		route_apply(cur, h->recv[r].name, &re);
		route_apply(prop, h->recv[r].name, &re);
		if (re.interval <= 0)
			re.interval = 1000;
		for (size_t i = 0; i < all->n; i++) {
			const struct firing *f = &all->v[i];

			if (re.match ? !sel_match_json(re.match,
			    a->ids[f->ident].labels) :
			    !routed(h, f->ident, r))
				continue;
			if ((kv[n].key = group_key(a, f->ident, &re)) == NULL)
				goto out_keys;
			kv[n].f = f;
			n++;
		}
		qsort(kv, n, sizeof(*kv), keyed_cmp);
		for (size_t i = 0; i < n;) {
			size_t j = i, nm = 0;

			/* kv is by key, then identity, then time: one member
			 * per identity, its firings contiguous in fs */
			while (j < n && strcmp(kv[j].key, kv[i].key) == 0) {
				if (nm == 0 || m[nm - 1].ident != kv[j].f->ident)
					m[nm++] = (struct member){
					    kv[j].f->ident, &fs[j], 0, 0, 0, 0,
					    0 };
				fs[j] = *kv[j].f;
				m[nm - 1].niv++;
				j++;
			}
			run_group(a, &inh, all, &re, m, nm,
			    is_paging(o, h->recv[r].name), &counts[r]);
			i = j;
		}
		for (size_t i = 0; i < n; i++)
			free(kv[i].key);
		continue;
out_keys:
		for (size_t i = 0; i < n; i++)
			free(kv[i].key);
		goto out;
	}
	result = 0;
out:
	free(kv);
	free(m);
	free(fs);
	return result;
}

/* --- results ------------------------------------------------------------- */

static int
count_cmp(const void *x, const void *y)
{
	const struct rp_count *a = x, *b = y;
	int c = strcmp(a->alertname, b->alertname);

	return c ? c : strcmp(a->receiver, b->receiver);
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static struct counter *
counters_new(size_t nrecv, size_t nids)
{
	struct counter *c = calloc(nrecv ? nrecv : 1, sizeof(*c));

	if (c == NULL)
		return NULL;
	for (size_t r = 0; r < nrecv; r++) {
		c[r].per_ident = calloc(nids ? nids : 1, sizeof(long));
		c[r].pages_per_ident = calloc(nids ? nids : 1, sizeof(long));
		if (c[r].per_ident == NULL || c[r].pages_per_ident == NULL)
			return c;	/* checked by the caller */
	}
	return c;
}

static void
counters_free(struct counter *c, size_t nrecv)
{
	for (size_t r = 0; c != NULL && r < nrecv; r++) {
		free(c[r].per_ident);
		free(c[r].pages_per_ident);
	}
	free(c);
}

static int
counters_ok(const struct counter *c, size_t nrecv)
{
	if (c == NULL)
		return 0;
	for (size_t r = 0; r < nrecv; r++)
		if (c[r].per_ident == NULL || c[r].pages_per_ident == NULL)
			return 0;
	return 1;
}

static int
name_cmp(const void *x, const void *y, void *arg)
{
	const struct analysis *a = arg;

	return strcmp(a->ids[*(const size_t *)x].alertname,
	    a->ids[*(const size_t *)y].alertname);
}

/* One count per alertname and receiver, its identities taken in one sorted
 * run. A notification counts once however many identities of the alertname
 * it carried -- approximated by the identity with the most. */
static int
build_counts(const struct analysis *a, const struct rp_history *h,
    const struct counter *before, const struct counter *after,
    struct rp_result *res)
{
	size_t *order = malloc((a->nids ? a->nids : 1) * sizeof(*order));

	if (order == NULL)
		return -1;
	for (size_t k = 0; k < a->nids; k++)
		order[k] = k;
	qsort_r(order, a->nids, sizeof(*order), name_cmp, (void *)a);
	for (size_t r = 0; r < h->nrecv; r++) {
		for (size_t i = 0; i < a->nids;) {
			const char *name = a->ids[order[i]].alertname;
			struct rp_count c;
			int used = 0;
			size_t j;

			memset(&c, 0, sizeof(c));
			for (j = i; j < a->nids && strcmp(
			    a->ids[order[j]].alertname, name) == 0; j++) {
				size_t k = order[j];
				long b = before[r].per_ident[k];
				long f = after[r].per_ident[k];

				if (b == 0 && f == 0 && !routed(h, k, r))
					continue;
				used = 1;
				if (b > c.before)
					c.before = b;
				if (f > c.after)
					c.after = f;
				if (before[r].pages_per_ident[k] > c.pages_before)
					c.pages_before =
					    before[r].pages_per_ident[k];
				if (after[r].pages_per_ident[k] > c.pages_after)
					c.pages_after = after[r].pages_per_ident[k];
			}
			i = j;
			if (!used)
				continue;
			for (size_t x = 0; x < h->nrec; x++)
				if (h->rec[x].receiver == r &&
				    strcmp(h->rec[x].alertname, name) == 0)
					c.recorded = h->rec[x].n;
			{
				struct rp_count *p = realloc(res->counts,
				    (res->ncounts + 1) * sizeof(*p));

				if (p == NULL)
					goto nomem;
				res->counts = p;
				c.alertname = strdup(name);
				c.receiver = strdup(h->recv[r].name);
				p[res->ncounts++] = c;
				if (c.alertname == NULL || c.receiver == NULL)
					goto nomem;
			}
		}
		res->notifications_before += before[r].total;
		res->notifications_after += after[r].total;
		res->pages_before += before[r].pages;
		res->pages_after += after[r].pages;
	}
	free(order);
	if (res->ncounts > 1)
		qsort(res->counts, res->ncounts, sizeof(*res->counts),
		    count_cmp);
	return 0;
nomem:
	free(order);
	return -1;
}

/* What became of each recorded episode: noise removed, actionable delayed
 * or lost. */
static int
episode_effects(const struct analysis *a, const struct firings *after,
    struct rp_result *res)
{
	double *delays = malloc((a->neps ? a->neps : 1) * sizeof(double));
	size_t nd = 0;

	if (delays == NULL)
		return -1;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int64_t start = e->pending_at ? e->pending_at : e->firing_at;
		int64_t end = e->resolved_at ? e->resolved_at : OPEN;
		const struct firing *hit = NULL;
		int merged = 0;

		if (e->context || e->firing_at == 0)
			continue;
		for (size_t j = after->first[e->ident];
		    j < after->first[e->ident + 1] && hit == NULL; j++) {
			const struct firing *f = &after->v[j];

			if (f->at >= start && (end == OPEN || f->at < end))
				hit = f;
			else if (f->at < start && (f->end == OPEN ||
			    f->end > start))
				merged = 1;
		}
		if (an_is_noise(e->cls)) {
			if (hit == NULL)
				res->noise_removed++;
			continue;
		}
		if (hit == NULL && !merged) {
			res->actionable_lost++;
		} else if (hit != NULL && hit->at > e->firing_at) {
			res->actionable_delayed++;
			delays[nd++] = (double)(hit->at - e->firing_at) / 1000.0;
		}
	}
	if (nd > 0) {
		qsort(delays, nd, sizeof(double), dbl_cmp);
		res->delay_p50_s = delays[(size_t)ceil(0.5 * (double)nd) - 1];
		res->delay_max_s = delays[nd - 1];
	}
	free(delays);
	return 0;
}

int
rp_run(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_settings *proposed, struct rp_result *res)
{
	struct firings before = { 0 }, after = { 0 };
	struct counter *cb = NULL, *ca = NULL;
	int result = -1;

	memset(res, 0, sizeof(*res));
	cb = counters_new(h->nrecv, a->nids);
	ca = counters_new(h->nrecv, a->nids);
	if (!counters_ok(cb, h->nrecv) || !counters_ok(ca, h->nrecv))
		goto out;
	if (rule_model(a, current, NULL, &before) < 0 ||
	    rule_model(a, current, proposed, &after) < 0 ||
	    am_model(a, h, o, current, NULL, &before, cb) < 0 ||
	    am_model(a, h, o, current, proposed, &after, ca) < 0 ||
	    build_counts(a, h, cb, ca, res) < 0 ||
	    episode_effects(a, &after, res) < 0)
		goto out;
	res->recorded = h->recorded;
	{
		long diff = 0, rec = 0;

		for (size_t i = 0; i < res->ncounts; i++) {
			diff += labs(res->counts[i].before -
			    res->counts[i].recorded);
			rec += res->counts[i].recorded;
		}
		res->replay_error = rec ? (double)diff / (double)rec : 0;
	}
	result = 0;
out:
	free(before.v);
	free(after.v);
	free(before.first);
	free(after.first);
	counters_free(cb, h->nrecv);
	counters_free(ca, h->nrecv);
	if (result < 0)
		rp_result_free(res);
	return result;
}

void
rp_result_free(struct rp_result *res)
{
	for (size_t i = 0; i < res->ncounts; i++) {
		free(res->counts[i].alertname);
		free(res->counts[i].receiver);
	}
	free(res->counts);
	res->counts = NULL;
	res->ncounts = 0;
}

json_t *
rp_result_json(const struct rp_result *res)
{
	json_t *counts = json_array();

	for (size_t i = 0; i < res->ncounts; i++) {
		const struct rp_count *c = &res->counts[i];

		json_array_append_new(counts, json_pack("{s:s, s:s, s:I, s:I,"
		    " s:I, s:I, s:I}", "alertname", c->alertname, "receiver",
		    c->receiver, "notifications_before", (json_int_t)c->before,
		    "notifications_after", (json_int_t)c->after,
		    "pages_before", (json_int_t)c->pages_before,
		    "pages_after", (json_int_t)c->pages_after,
		    "recorded", (json_int_t)c->recorded));
	}
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I,"
	    " s:{s:f, s:f}}", "counts", counts,
	    "notifications_before", (json_int_t)res->notifications_before,
	    "notifications_after", (json_int_t)res->notifications_after,
	    "pages_before", (json_int_t)res->pages_before,
	    "pages_after", (json_int_t)res->pages_after,
	    "recorded_notifications", (json_int_t)res->recorded,
	    "replay_error", res->replay_error,
	    "noise_removed", (json_int_t)res->noise_removed,
	    "actionable_delayed", (json_int_t)res->actionable_delayed,
	    "actionable_lost", (json_int_t)res->actionable_lost,
	    "added_delay_seconds", "p50", res->delay_p50_s,
	    "max", res->delay_max_s);
}

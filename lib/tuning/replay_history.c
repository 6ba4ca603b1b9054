/* replay_history.c -- what history says of routing (replay.h rp_history_*).
 *
 * rp_history_load reads the notifications of the analysis' window from the
 * store: which receivers each identity was notified to (the routed marks),
 * each receiver's group_by (the union of its notifications' groupLabels
 * keys) and the notifications recorded per alertname and receiver, each
 * notification counted once. rp_history_new, _route, _recorded and
 * _silence build one by hand. The rule and Alertmanager models replay
 * against it (replay_int.h): replay_am.c routes an alert to the receivers
 * it was notified to (rp__routed), replay.c compares its counts with the
 * recorded ones. The lowest of the replay files: it calls none of the
 * others, and holds the key buffer it and replay_am.c build interned keys
 * in (rp__kb_put). */
#include "replay_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rp__kb_put(struct kbuf *k, const void *p, size_t n)
{
	if (k->failed)
		return;
	if (k->n + n > k->cap) {
		size_t cap = k->cap ? k->cap : 256;
		char *q;

		while (cap < k->n + n)
			cap *= 2;
		if ((q = realloc(k->p, cap)) == NULL) {
			k->failed = 1;
			return;
		}
		k->p = q;
		k->cap = cap;
	}
	memcpy(k->p + k->n, p, n);
	k->n += n;
}

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
	struct intern seen;		/* receiver and groupLabels text */
	struct intern recs;		/* receiver and alertname: h->rec */
	struct kbuf kb;
	size_t last_recv;		/* the previous row's receiver */
	size_t last_seen, last_rec;	/* and its seen and recs keys */
};

/* Whether the key in c->kb is key id of t (the previous row's, mostly:
 * a notification's rows come together). */
static int
same_key(const struct hist_ctx *c, const struct intern *t, size_t id)
{
	return id < intern_count(t) && intern_len(t, id) == c->kb.n &&
	    memcmp(intern_str(t, id), c->kb.p, c->kb.n) == 0;
}

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

	if ((o = json_loads(json_text, 0, &je)) == NULL)
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
	const char *gl = row->group_labels ? row->group_labels : "{}";
	size_t r, i, nseen = intern_count(&c->seen);

	/* a notification's rows come together: its receiver again */
	r = c->last_recv < h->nrecv && strcmp(h->recv[c->last_recv].name,
	    row->receiver) == 0 ? c->last_recv :
	    receiver_index(h, row->receiver);
	if (r == SIZE_MAX)
		goto nomem;
	c->last_recv = r;
	h->recv[r].recorded = 1;
	if (row->notification != h->last_notification) {
		h->last_notification = row->notification;
		h->recorded++;
	}
	/* each groupLabels text once per receiver */
	c->kb.n = 0;
	rp__kb_put(&c->kb, &r, sizeof(r));
	rp__kb_put(&c->kb, gl, strlen(gl));
	if (c->kb.failed)
		goto nomem;
	if (!same_key(c, &c->seen, c->last_seen)) {
		if (intern_put(&c->seen, c->kb.p, c->kb.n, &c->last_seen) < 0)
			goto nomem;
		if (intern_count(&c->seen) > nseen &&
		    set_group_by(&h->recv[r], gl) < 0)
			goto nomem;
	}
	hit = c->byfp ? bsearch(&key, c->byfp, c->l.a->nids, sizeof(key),
	    fp_idx_cmp) : NULL;
	if (hit != NULL && mark_routed(h, c->l.a->nids, hit->idx, r) < 0)
		goto nomem;
	c->kb.n = 0;
	rp__kb_put(&c->kb, &r, sizeof(r));
	rp__kb_put(&c->kb, row->alertname, strlen(row->alertname));
	if (c->kb.failed)
		goto nomem;
	if (!same_key(c, &c->recs, c->last_rec) && intern_put(&c->recs,
	    c->kb.p, c->kb.n, &c->last_rec) < 0)
		goto nomem;
	i = c->last_rec;
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

static void
hist_ctx_free(struct hist_ctx *c)
{
	free(c->byfp);
	intern_free(&c->seen);
	intern_free(&c->recs);
	free(c->kb.p);
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
	c.last_recv = c.last_seen = c.last_rec = SIZE_MAX;
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
		hist_ctx_free(&c);
		rp_history_free(h);
		return -1;
	}
	if (c.l.failed)
		goto nomem;
	hist_ctx_free(&c);
	*out = h;
	return 0;
nomem:
	hist_ctx_free(&c);
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

int
rp_history_recorded(struct rp_history *h, const char *receiver,
    const char *alertname, long n)
{
	size_t r = receiver_index(h, receiver), i;
	struct rp_recorded *p;

	if (r == SIZE_MAX)
		return -1;
	for (i = 0; i < h->nrec; i++)
		if (h->rec[i].receiver == r &&
		    strcmp(h->rec[i].alertname, alertname) == 0)
			break;
	if (i == h->nrec) {
		if ((p = realloc(h->rec, (h->nrec + 1) * sizeof(*p))) == NULL)
			return -1;
		h->rec = p;
		memset(&p[i], 0, sizeof(*p));
		if ((p[i].alertname = strdup(alertname)) == NULL)
			return -1;
		p[i].receiver = r;
		p[i].last_notification = -1;
		h->nrec++;
	}
	h->rec[i].n += n;
	h->recorded += n;
	h->recv[r].recorded = 1;
	return 0;
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
	free(h->sil);
	free(h);
}

int
rp_history_silence(struct rp_history *h, size_t ident, int64_t from,
    int64_t to)
{
	struct rp_sil *p = realloc(h->sil, (h->nsil + 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	h->sil = p;
	p[h->nsil++] = (struct rp_sil){ ident, from, to };
	return 0;
}

size_t
rp_history_receivers(const struct rp_history *h)
{
	return h->nrecv;
}

void
rp_history_unroute(struct rp_history *h)
{
	free(h->routed);
	h->routed = NULL;
	h->cols = 0;
	for (size_t i = 0; i < h->nrecv; i++) {
		for (size_t j = 0; j < h->recv[i].ngroup_by; j++)
			free(h->recv[i].group_by[j]);
		free(h->recv[i].group_by);
		h->recv[i].group_by = NULL;
		h->recv[i].ngroup_by = 0;
		h->recv[i].group_seen = 0;
	}
}

int
rp__routed(const struct rp_history *h, size_t ident, size_t r)
{
	return r < h->cols && h->routed[ident * h->cols + r];
}

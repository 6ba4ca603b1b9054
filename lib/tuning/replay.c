/* replay.c -- replay history under other settings (replay.h).
 *
 * rp_base_new replays the current settings once and keeps what a proposal
 * can reuse: each identity's firings, each receiver's aggregation groups
 * (the identities it routes, grouped by their group key interned as a
 * number) with what each group sent, the inhibit rules' sources indexed by
 * their `equal` values, and each identity's episode effects. rp_base_run
 * then replays only what a proposal changes: the firings of identities its
 * rules give other settings (kept only where they differ), the groups that
 * hold an identity whose firings or inhibition may differ, and whole
 * receivers whose route it changes; every other number is the base's,
 * which replaying them again would reproduce. The answer is the one a
 * replay of everything gives.
 *
 * The models are in replay_history.c (what history says of routing),
 * replay_rules.c (firings under rule settings) and replay_am.c
 * (Alertmanager's routes, groups, timers and inhibition), which share
 * replay_int.h; this file builds the base from them, runs proposals, and
 * makes the results and their JSON. */
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>

/* --- building the base ----------------------------------------------------- */

static int
name_cmp(const void *x, const void *y, void *arg)
{
	const struct analysis *a = arg;

	return strcmp(a->ids[*(const size_t *)x].alertname,
	    a->ids[*(const size_t *)y].alertname);
}

static int
rorder_cmp(const void *x, const void *y, void *arg)
{
	const struct rp_history *h = arg;

	return strcmp(h->recv[*(const size_t *)x].name,
	    h->recv[*(const size_t *)y].name);
}

/* Each receiver's groups under the current settings, replayed. */
static int
base_receivers(struct rp_base *b)
{
	const struct rp_history *h = b->h;
	size_t n = b->nids ? b->nids : 1;
	const struct inh **inh = malloc((b->ninh ? b->ninh : 1) *
	    sizeof(*inh));
	struct mvec *mv = NULL;
	size_t nmv = 0;
	int result = -1;

	if (inh == NULL)
		return -1;
	for (size_t i = 0; i < b->ninh; i++)
		inh[i] = &b->inh[i];
	for (size_t r = 0; r < h->nrecv; r++) {
		struct recv *rv = &b->recv[r];
		struct gctx g;
		struct gk *gv = NULL;
		size_t nm = 0;

		if (rp__route_nodes(b, r, b->cur, NULL, &mv, &nmv, &rv->node,
		    &rv->nnode, b->of) < 0)
			goto fail;
		rv->paging = an_is_paging(b->o, h->recv[r].name);
		rv->gid = malloc(n * sizeof(*rv->gid));
		rv->n = calloc(n, sizeof(*rv->n));
		rv->p = calloc(n, sizeof(*rv->p));
		rv->ostamp = calloc(n, sizeof(*rv->ostamp));
		rv->on = malloc(n * sizeof(*rv->on));
		rv->op = malloc(n * sizeof(*rv->op));
		if (rv->gid == NULL || rv->n == NULL || rv->p == NULL ||
		    rv->ostamp == NULL || rv->on == NULL || rv->op == NULL)
			goto fail;
		for (size_t k = 0; k < b->nids; k++) {
			rv->gid[k] = NONE;
			if (b->of[k] != NONE)
				b->ids[nm++] = k;
		}
		if ((rv->ngroups = rp__group_routed(b, rv->node, rv->nnode,
		    b->of, b->ids, nm, &gv)) == NONE) {
			free(gv);
			goto fail;
		}
		rv->gfirst = calloc(rv->ngroups + 1, sizeof(*rv->gfirst));
		rv->gnode = malloc((rv->ngroups + 1) * sizeof(*rv->gnode));
		rv->gmem = malloc((nm ? nm : 1) * sizeof(*rv->gmem));
		rv->gtotal = calloc(rv->ngroups + 1, sizeof(*rv->gtotal));
		rv->gpages = calloc(rv->ngroups + 1, sizeof(*rv->gpages));
		rv->gstamp = calloc(rv->ngroups + 1, sizeof(*rv->gstamp));
		rv->gnf = calloc(rv->ngroups + 1, sizeof(*rv->gnf));
		if (rv->gfirst == NULL || rv->gnode == NULL ||
		    rv->gmem == NULL || rv->gtotal == NULL ||
		    rv->gpages == NULL || rv->gstamp == NULL || rv->gnf == NULL) {
			free(gv);
			goto fail;
		}
		for (size_t i = 0; i < nm; i++) {
			rv->gmem[i] = gv[i].ident;
			rv->gid[gv[i].ident] = gv[i].key;
			rv->gnode[gv[i].key] = b->of[gv[i].ident];
			rv->gfirst[gv[i].key + 1]++;
			rv->gnf[gv[i].key] += b->fs[gv[i].ident].n > 0;
		}
		free(gv);
		for (size_t x = 0; x < rv->ngroups; x++)
			rv->gfirst[x + 1] += rv->gfirst[x];
		g = (struct gctx){ b, inh, b->ninh, NULL, rv->paging, rv->n,
		    rv->p, 0, 0, b->heap, b->pres, h->recv[r].name,
		    b->note_eps };
		for (size_t x = 0; x < rv->ngroups; x++) {
			g.r = &rv->node[rv->gnode[x]];
			rp__replay_group(&g, rv->gmem + rv->gfirst[x],
			    rv->gfirst[x + 1] - rv->gfirst[x], b->m);
			rv->gtotal[x] = g.total;
			rv->gpages[x] = g.pages;
			rv->total += g.total;
			rv->pages += g.pages;
		}
	}
	result = 0;
fail:
	for (size_t i = 0; i < nmv; i++)
		free(mv[i].v);
	free(mv);
	free(inh);
	return result;
}

/* The alertnames and what history recorded of each per receiver. */
static int
base_names(struct rp_base *b)
{
	const struct rp_history *h = b->h;
	const struct analysis *a = b->a;
	size_t n = b->nids ? b->nids : 1;

	b->nidx = malloc(n * sizeof(*b->nidx));
	b->name_of = malloc(n * sizeof(*b->name_of));
	b->nfirst = calloc(n + 1, sizeof(*b->nfirst));
	b->names = malloc(n * sizeof(*b->names));
	b->nmark = calloc(n, 1);
	b->rorder = malloc((h->nrecv ? h->nrecv : 1) * sizeof(*b->rorder));
	if (b->nidx == NULL || b->name_of == NULL || b->nfirst == NULL ||
	    b->names == NULL || b->nmark == NULL || b->rorder == NULL)
		return -1;
	for (size_t k = 0; k < b->nids; k++)
		b->nidx[k] = k;
	qsort_r(b->nidx, b->nids, sizeof(*b->nidx), name_cmp, (void *)a);
	for (size_t i = 0; i < b->nids; i++) {
		size_t k = b->nidx[i];

		if (i == 0 || strcmp(a->ids[k].alertname,
		    b->names[b->nnames - 1]) != 0) {
			b->names[b->nnames++] = a->ids[k].alertname;
			b->nfirst[b->nnames] = b->nfirst[b->nnames - 1];
		}
		b->nfirst[b->nnames]++;
		b->name_of[k] = b->nnames - 1;
	}
	for (size_t r = 0; r < h->nrecv; r++)
		b->rorder[r] = r;
	qsort_r(b->rorder, h->nrecv, sizeof(*b->rorder), rorder_cmp,
	    (void *)h);
	b->recorded = calloc(h->nrecv * b->nnames + 1, sizeof(*b->recorded));
	if (b->recorded == NULL)
		return -1;
	for (size_t x = 0; x < h->nrec; x++) {
		size_t lo = 0, hi = b->nnames;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(b->names[mid], h->rec[x].alertname);

			if (c == 0) {
				b->recorded[h->rec[x].receiver * b->nnames +
				    mid] = h->rec[x].n;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return 0;
}

/* The current settings' count per alertname and receiver: the sum over
 * the alertname's identities (struct recv's n, p). */
static int
base_sums(struct rp_base *b)
{
	const struct rp_history *h = b->h;

	for (size_t r = 0; r < h->nrecv; r++) {
		struct recv *rv = &b->recv[r];
		size_t nn = b->nnames ? b->nnames : 1;

		rv->bsum_n = calloc(nn, sizeof(*rv->bsum_n));
		rv->bsum_p = calloc(nn, sizeof(*rv->bsum_p));
		rv->bused = calloc(nn, 1);
		rv->nstamp = calloc(nn, sizeof(*rv->nstamp));
		if (rv->bsum_n == NULL || rv->bsum_p == NULL ||
		    rv->bused == NULL || rv->nstamp == NULL)
			return -1;
		for (size_t x = 0; x < b->nnames; x++) {
			for (size_t i = b->nfirst[x]; i < b->nfirst[x + 1];
			    i++) {
				size_t k = b->nidx[i];

				if (rv->n[k] == 0 && !rp__routed(h, k, r))
					continue;
				rv->bused[x] = 1;
				rv->bsum_n[x] += rv->n[k];
				rv->bsum_p[x] += rv->p[k];
			}
		}
	}
	return 0;
}

/* The silences of history per identity, for inhibited(). */
static int
base_silences(struct rp_base *b)
{
	const struct rp_history *h = b->h;

	b->sfirst = calloc(b->nids + 2, sizeof(*b->sfirst));
	b->sil = malloc((h->nsil ? h->nsil : 1) * sizeof(*b->sil));
	if (b->sfirst == NULL || b->sil == NULL)
		return -1;
	for (size_t i = 0; i < h->nsil; i++)
		if (h->sil[i].ident < b->nids)
			b->sfirst[h->sil[i].ident + 1]++;
	for (size_t k = 0; k < b->nids; k++)
		b->sfirst[k + 1] += b->sfirst[k];
	{
		size_t *at = malloc((b->nids + 1) * sizeof(*at));

		if (at == NULL)
			return -1;
		memcpy(at, b->sfirst, (b->nids + 1) * sizeof(*at));
		for (size_t i = 0; i < h->nsil; i++)
			if (h->sil[i].ident < b->nids)
				b->sil[at[h->sil[i].ident]++] = &h->sil[i];
		free(at);
	}
	return 0;
}

/* rp_base_new with rp_notifications' hook (note NULL: none) and a budget
 * (NULL: unlimited; when its limit is hit, -1 with budget->status set). */
static int
base_new(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    rp_note_fn note, void *note_arg, struct rp_budget *budget,
    struct rp_base **out)
{
	struct rp_base *b;
	size_t n = a->nids ? a->nids : 1;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->note = note;
	b->note_arg = note_arg;
	b->budget = budget;
	if (note != NULL && (b->note_eps = malloc(n * sizeof(size_t))) ==
	    NULL) {
		free(b);
		return -1;
	}
	b->a = a;
	b->h = h;
	b->o = o;
	b->cur = current;
	b->nids = a->nids;
	b->stamp = 1;
	if (an_by_ident(a, &b->by) < 0)
		goto fail;
	b->cur_for_raw = malloc(n * sizeof(*b->cur_for_raw));
	b->cur_for = malloc(n * sizeof(*b->cur_for));
	b->cur_kff = malloc(n * sizeof(*b->cur_kff));
	b->fs = calloc(n, sizeof(*b->fs));
	b->rfs = calloc(n, sizeof(*b->rfs));
	b->fstamp = calloc(n, sizeof(*b->fstamp));
	b->astamp = calloc(n, sizeof(*b->astamp));
	b->alist = malloc(n * sizeof(*b->alist));
	b->clist = malloc(n * sizeof(*b->clist));
	b->ids = malloc(n * sizeof(*b->ids));
	b->of = malloc(n * sizeof(*b->of));
	b->m = malloc(n * sizeof(*b->m));
	b->heap = malloc(n * sizeof(*b->heap));
	b->pres = malloc(n * sizeof(*b->pres));
	b->recv = calloc(h->nrecv ? h->nrecv : 1, sizeof(*b->recv));
	if (b->cur_for_raw == NULL || b->cur_for == NULL ||
	    b->cur_kff == NULL || b->fs == NULL || b->rfs == NULL ||
	    b->fstamp == NULL || b->astamp == NULL || b->alist == NULL ||
	    b->clist == NULL || b->ids == NULL || b->of == NULL ||
	    b->m == NULL || b->heap == NULL || b->pres == NULL ||
	    b->recv == NULL)
		goto fail;
	for (size_t k = 0; k < a->nids; k++) {
		size_t nlist = b->by.first[k + 1] - b->by.first[k];

		b->cur_for_raw[k] = -1;
		b->cur_kff[k] = 0;
		rp__rule_for(current, &a->ids[k], &b->cur_for_raw[k],
		    &b->cur_kff[k]);
		b->cur_for[k] = b->cur_for_raw[k] >= 0 ? b->cur_for_raw[k] :
		    rp__recorded_for(a, &b->by.order[b->by.first[k]], nlist);
		if (rp__ident_firings(b, k, b->cur_for[k], b->cur_kff[k], &b->f,
		    &b->fs[k]) < 0)
			goto fail;
	}
	if (current != NULL && current->ninhibits > 0) {
		if ((b->inh = calloc(current->ninhibits, sizeof(*b->inh))) ==
		    NULL)
			goto fail;
		for (; b->ninh < current->ninhibits; b->ninh++)
			if (rp__inh_build(a, &current->inhibits[b->ninh],
			    &b->inh[b->ninh]) < 0) {
				rp__inh_free(&b->inh[b->ninh]);
				goto fail;
			}
	}
	if (base_silences(b) < 0 || base_names(b) < 0 ||
	    base_receivers(b) < 0 || b->note_failed ||
	    (budget != NULL && budget->status != RP_OK) ||
	    base_sums(b) < 0 || rp__base_effects(b) < 0)
		goto fail;
	b->note = NULL;		/* told once, of the current settings */
	*out = b;
	return 0;
fail:
	rp_base_free(b);
	return -1;
}

int
rp_base_new(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    struct rp_base **out)
{
	return base_new(a, h, o, current, NULL, NULL, NULL, out);
}

int
rp_base_new_limited(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_limits *lim, struct rp_base **out)
{
	struct rp_budget *bud;
	int status;

	*out = NULL;
	if ((bud = calloc(1, sizeof(*bud))) == NULL)
		return RP_ENOMEM;
	bud->lim = lim;
	bud->status = RP_OK;
	if (base_new(a, h, o, current, NULL, NULL, bud, out) < 0) {
		status = bud->status != RP_OK ? bud->status : RP_ENOMEM;
		free(bud);
		return status;
	}
	(*out)->own_budget = bud;
	return RP_OK;
}

int
rp_base_status(const struct rp_base *b)
{
	return b != NULL && b->budget != NULL ? b->budget->status : RP_OK;
}

int
rp_notifications(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    rp_note_fn fn, void *arg)
{
	struct rp_base *b;

	if (base_new(a, h, o, current, fn, arg, NULL, &b) < 0)
		return -1;
	rp_base_free(b);
	return 0;
}

void
rp_base_free(struct rp_base *b)
{
	if (b == NULL)
		return;
	free(b->own_budget);
	an_by_ident_free(&b->by);
	free(b->note_eps);
	free(b->sfirst);
	free(b->sil);
	free(b->cur_for_raw);
	free(b->cur_for);
	free(b->cur_kff);
	rp__fset_free(&b->f);
	rp__fset_free(&b->rf);
	free(b->fs);
	free(b->rfs);
	for (size_t i = 0; i < b->ninh; i++)
		rp__inh_free(&b->inh[i]);
	free(b->inh);
	for (size_t r = 0; b->recv != NULL && r < b->h->nrecv; r++) {
		struct recv *rv = &b->recv[r];

		free(rv->node);
		free(rv->gid);
		free(rv->gnode);
		free(rv->gfirst);
		free(rv->gmem);
		free(rv->gtotal);
		free(rv->gpages);
		free(rv->n);
		free(rv->p);
		free(rv->bsum_n);
		free(rv->bsum_p);
		free(rv->bused);
		free(rv->ostamp);
		free(rv->on);
		free(rv->op);
		free(rv->gstamp);
		free(rv->gnf);
		free(rv->nstamp);
	}
	free(b->recv);
	free(b->rorder);
	rp__specs_free(b->specs);
	free(b->nfirst);
	free(b->nidx);
	free(b->name_of);
	free(b->names);
	free(b->nmark);
	free(b->recorded);
	free(b->eff);
	free(b->delays);
	free(b->dfirst);
	free(b->fstamp);
	free(b->astamp);
	free(b->alist);
	free(b->clist);
	free(b->ids);
	free(b->of);
	free(b->m);
	free(b->heap);
	free(b->pres);
	free(b);
}

/* --- a run --------------------------------------------------------------- */

static int
same_inhibit(const struct rp_inhibit *x, const struct rp_inhibit *y)
{
	if (x->source != y->source || x->target != y->target ||
	    x->nequal != y->nequal)
		return 0;
	for (size_t i = 0; i < x->nequal; i++)
		if (strcmp(x->equal[i], y->equal[i]) != 0)
			return 0;
	return 1;
}

static void
affect(struct rp_base *b, size_t k)
{
	if (b->astamp[k] != b->stamp) {
		b->astamp[k] = b->stamp;
		b->alist[b->nalist++] = k;
	}
}

static int
run_affected(struct rp_base *b, struct inh *ninh, size_t nnew)
{
	for (size_t i = 0; i < b->nclist; i++) {
		size_t s = b->clist[i];

		affect(b, s);
		for (size_t j = 0; j < b->ninh; j++) {
			const struct inh *x = &b->inh[j];
			size_t u = x->tuple[s];

			if (!x->src[s])
				continue;
			for (size_t q = x->tfirst[u]; q < x->tfirst[u + 1]; q++)
				affect(b, x->tidx[q]);
		}
	}
	for (size_t j = 0; j < nnew; j++) {
		const struct inh *x = &ninh[j];
		size_t *cnt = calloc(x->ntuples + 1, sizeof(*cnt));

		if (cnt == NULL)
			return -1;
		for (size_t u = 0; u < x->ntuples; u++)
			for (size_t q = x->sfirst[u]; q < x->sfirst[u + 1]; q++)
				cnt[u] += rp__nfirings(b, x->sidx[q]) > 0;
		for (size_t u = 0; u < x->ntuples; u++)
			for (size_t q = x->tfirst[u]; q < x->tfirst[u + 1];
			    q++) {
				size_t k = x->tidx[q];

				if (cnt[u] > (size_t)(x->src[k] &&
				    rp__nfirings(b, k) > 0))
					affect(b, k);
			}
		free(cnt);
	}
	return 0;
}

/* Receiver r under new routes, node[of[k]] for identity k (rp__route_nodes):
 * every group replayed, but for those the base replayed with the same
 * alerts (none affected) and timings. */
static int
run_full(struct rp_base *b, size_t r, const struct route_eff *node,
    size_t nnode, const size_t *of, struct gctx *g)
{
	struct recv *rv = &b->recv[r];
	struct gk *gv = NULL;
	size_t nm = 0, ng;

	for (size_t k = 0; k < b->nids; k++)
		if (rp__nfirings(b, k) > 0 && of[k] != NONE)
			b->ids[nm++] = k;
	if ((ng = rp__group_routed(b, node, nnode, of, b->ids, nm, &gv)) ==
	    NONE) {
		free(gv);
		return -1;
	}
	for (size_t i = 0; i < nm; i++) {
		size_t k = gv[i].ident;

		b->ids[i] = k;
		rv->ostamp[k] = b->stamp;
		rv->on[k] = rv->op[k] = 0;
	}
	rv->rtotal = rv->rpages = 0;
	for (size_t i = 0; i < nm;) {
		size_t j = i, x = rv->gid[b->ids[i]];
		int same = x != NONE && rp__same_route(&node[of[b->ids[i]]],
		    &rv->node[rv->gnode[x]]);

		/* the base replayed a group of the same alerts under the same
		 * timings: its counts */
		for (; j < nm && gv[j].key == gv[i].key; j++)
			same &= rv->gid[b->ids[j]] == x &&
			    b->astamp[b->ids[j]] != b->stamp;
		if (same && j - i == rv->gnf[x]) {
			for (size_t q = i; q < j; q++) {
				rv->on[b->ids[q]] = rv->n[b->ids[q]];
				rv->op[b->ids[q]] = rv->p[b->ids[q]];
			}
			rv->rtotal += rv->gtotal[x];
			rv->rpages += rv->gpages[x];
		} else {
			g->r = &node[of[b->ids[i]]];
			rp__replay_group(g, b->ids + i, j - i, b->m);
			rv->rtotal += g->total;
			rv->rpages += g->pages;
		}
		i = j;
	}
	free(gv);
	return 0;
}

/* Receiver r under its current settings: the groups of affected
 * identities replayed, the others' counts the base's. */
static void
run_partial(struct rp_base *b, size_t r, struct gctx *g)
{
	struct recv *rv = &b->recv[r];

	rv->rtotal = rv->total;
	rv->rpages = rv->pages;
	for (size_t i = 0; i < b->nalist; i++) {
		size_t x = rv->gid[b->alist[i]], lo, hi;

		if (x == NONE || rv->gstamp[x] == b->stamp)
			continue;
		rv->gstamp[x] = b->stamp;
		lo = rv->gfirst[x];
		hi = rv->gfirst[x + 1];
		for (size_t j = lo; j < hi; j++) {
			size_t k = rv->gmem[j];

			rv->ostamp[k] = b->stamp;
			rv->on[k] = rv->op[k] = 0;
			rv->nstamp[b->name_of[k]] = b->stamp;
		}
		g->r = &rv->node[rv->gnode[x]];
		rp__replay_group(g, rv->gmem + lo, hi - lo, b->m);
		rv->rtotal += g->total - rv->gtotal[x];
		rv->rpages += g->pages - rv->gpages[x];
	}
}

/* Identity k's notifications and pages at receiver rv after the run. */
static void
after_of(const struct rp_base *b, const struct recv *rv, size_t k, long *n,
    long *p)
{
	if (rv->ostamp[k] == b->stamp) {
		*n = rv->on[k];
		*p = rv->op[k];
	} else if (rv->full) {
		*n = *p = 0;
	} else {
		*n = rv->n[k];
		*p = rv->p[k];
	}
}

/* One count per alertname and receiver (sorted by both), its identities
 * taken together: the sum of theirs, in which a notification counts once
 * however many identities of the alertname it carried (carried), as the
 * recorded count does. */
static int
run_counts(const struct rp_base *b, struct rp_result *res)
{
	const struct rp_history *h = b->h;
	size_t cap = 0;

	for (size_t x = 0; !b->no_counts && x < b->nnames; x++) {
		for (size_t ri = 0; ri < h->nrecv; ri++) {
			size_t r = b->rorder[ri];
			const struct recv *rv = &b->recv[r];
			struct rp_count c;

			memset(&c, 0, sizeof(c));
			if (!rv->full && rv->nstamp[x] != b->stamp) {
				if (!rv->bused[x])
					continue;
				c.before = c.after = rv->bsum_n[x];
				c.pages_before = c.pages_after = rv->bsum_p[x];
			} else {
				int used = 0;

				for (size_t i = b->nfirst[x];
				    i < b->nfirst[x + 1]; i++) {
					size_t k = b->nidx[i];
					long f, pf;

					after_of(b, rv, k, &f, &pf);
					if (rv->n[k] == 0 && f == 0 &&
					    !rp__routed(h, k, r))
						continue;
					used = 1;
					c.before += rv->n[k];
					c.after += f;
					c.pages_before += rv->p[k];
					c.pages_after += pf;
				}
				if (!used)
					continue;
			}
			c.recorded = b->recorded[r * b->nnames + x];
			c.observed = h->recv[r].recorded;
			if (res->ncounts == cap) {
				size_t n = cap ? cap * 2 : 64;
				struct rp_count *p = realloc(res->counts,
				    n * sizeof(*p));

				if (p == NULL)
					return -1;
				res->counts = p;
				cap = n;
			}
			c.alertname = strdup(b->names[x]);
			c.receiver = strdup(h->recv[r].name);
			res->counts[res->ncounts++] = c;
			if (c.alertname == NULL || c.receiver == NULL)
				return -1;
		}
	}
	for (size_t r = 0; r < h->nrecv; r++) {
		res->notifications_before += b->recv[r].total;
		res->notifications_after += b->recv[r].rtotal;
		res->pages_before += b->recv[r].pages;
		res->pages_after += b->recv[r].rpages;
	}
	return 0;
}

void
rp_base_counts(struct rp_base *b, int on)
{
	b->no_counts = !on;
}

int
rp_base_run(struct rp_base *b, const struct rp_settings *proposed,
    struct rp_result *res)
{
	const struct rp_history *h = b->h;
	const struct rp_settings *cur = b->cur;
	const struct inh **inh = NULL;
	struct inh *ninh = NULL;
	struct mvec *mv = NULL;
	size_t nnew = 0, nmv = 0;
	int result = -1;

	memset(res, 0, sizeof(*res));
	b->stamp++;
	b->nclist = b->nalist = 0;
	b->rf.n = b->rf.nalt = 0;
	if (rp__run_rules(b, proposed) < 0 || rp__run_effects(b, res) < 0)
		goto out;
	/* the proposal's inhibit rules add to the current ones */
	if (proposed != NULL && proposed->ninhibits > 0 &&
	    (ninh = calloc(proposed->ninhibits, sizeof(*ninh))) == NULL)
		goto out;
	if ((inh = malloc((b->ninh + (proposed ? proposed->ninhibits : 0) +
	    1) * sizeof(*inh))) == NULL)
		goto out;
	for (size_t i = 0; i < b->ninh; i++)
		inh[i] = &b->inh[i];
	for (size_t i = 0; proposed != NULL && i < proposed->ninhibits; i++) {
		const struct rp_inhibit *ih = &proposed->inhibits[i];
		size_t j;

		for (j = 0; cur != NULL && j < cur->ninhibits; j++)
			if (same_inhibit(ih, &cur->inhibits[j]))
				break;
		if (cur != NULL && j < cur->ninhibits)
			continue;	/* in effect already */
		if (rp__inh_build(b->a, ih, &ninh[nnew]) < 0) {
			rp__inh_free(&ninh[nnew]);
			goto out;
		}
		inh[b->ninh + nnew] = &ninh[nnew];
		nnew++;
	}
	if (run_affected(b, ninh, nnew) < 0)
		goto out;
	for (size_t r = 0; r < h->nrecv; r++) {
		struct recv *rv = &b->recv[r];
		struct route_eff *node = NULL;
		size_t nnode = 0;
		struct gctx g = { b, inh, b->ninh + nnew, NULL, rv->paging,
		    rv->on, rv->op, 0, 0, b->heap, b->pres, h->recv[r].name,
		    NULL };
		int rc = 0;

		/* routes for r without matchers can change the timings of
		 * its routes, not which alerts take which */
		rv->full = 0;
		if (rp__routes_to(proposed, h->recv[r].name, 0)) {
			if (rp__route_nodes(b, r, cur, proposed, &mv, &nmv,
			    &node, &nnode, b->of) < 0)
				goto out;
			rv->full = rp__routes_to(proposed, h->recv[r].name,
			    1) || nnode != rv->nnode;
			for (size_t j = 0; !rv->full && j < nnode; j++)
				rv->full = !rp__same_route(&node[j],
				    &rv->node[j]);
		}
		if (rv->full)
			rc = run_full(b, r, node, nnode, b->of, &g);
		else
			run_partial(b, r, &g);
		free(node);
		if (rc < 0)
			goto out;
	}
	if (run_counts(b, res) < 0)
		goto out;
	res->recorded = h->recorded;
	{
		long diff = 0, rec = 0;

		for (size_t i = 0; i < res->ncounts; i++) {
			if (!res->counts[i].observed)
				continue;	/* nothing to compare with */
			diff += labs(res->counts[i].before -
			    res->counts[i].recorded);
			rec += res->counts[i].recorded;
		}
		res->replay_error = rec ? (double)diff / (double)rec : 0;
	}
	result = 0;
out:
	for (size_t i = 0; i < nnew; i++)
		rp__inh_free(&ninh[i]);
	free(ninh);
	free(inh);
	for (size_t i = 0; i < nmv; i++)
		free(mv[i].v);
	free(mv);
	if (result < 0)
		rp_result_free(res);
	return result;
}

int
rp_run(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_settings *proposed, struct rp_result *res)
{
	return rp_run_limited(a, h, o, current, proposed, NULL, res);
}

int
rp_run_limited(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_settings *proposed, const struct rp_limits *lim,
    struct rp_result *res)
{
	struct rp_budget budget = { lim, 0, RP_OK };
	struct rp_budget *bp = lim != NULL ? &budget : NULL;
	struct rp_base *b;
	int result = RP_ENOMEM;

	memset(res, 0, sizeof(*res));
	if (base_new(a, h, o, current, NULL, NULL, bp, &b) == 0) {
		if (rp_base_run(b, proposed, res) == 0)
			result = RP_OK;
		rp_base_free(b);
	}
	if (budget.status != RP_OK) {
		if (result == RP_OK)
			rp_result_free(res);
		memset(res, 0, sizeof(*res));
		result = budget.status;
	}
	return result;
}

/* --- results ------------------------------------------------------------- */

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

		/* recorded null: a receiver alertnoise hears nothing from */
		json_array_append_new(counts, json_pack("{s:s, s:s, s:I, s:I,"
		    " s:I, s:I, s:o}", "alertname", c->alertname, "receiver",
		    c->receiver, "notificationsBefore", (json_int_t)c->before,
		    "notificationsAfter", (json_int_t)c->after,
		    "pagesBefore", (json_int_t)c->pages_before,
		    "pagesAfter", (json_int_t)c->pages_after,
		    "recorded", c->observed ? json_integer(c->recorded) :
		    json_null()));
	}
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I,"
	    " s:{s:f, s:f}}", "counts", counts,
	    "notificationsBefore", (json_int_t)res->notifications_before,
	    "notificationsAfter", (json_int_t)res->notifications_after,
	    "pagesBefore", (json_int_t)res->pages_before,
	    "pagesAfter", (json_int_t)res->pages_after,
	    "recordedNotifications", (json_int_t)res->recorded,
	    "replayError", res->replay_error,
	    "noiseRemoved", (json_int_t)res->noise_removed,
	    "actionableDelayed", (json_int_t)res->actionable_delayed,
	    "actionableLost", (json_int_t)res->actionable_lost,
	    "addedDelaySeconds", "p50", res->delay_p50_s,
	    "max", res->delay_max_s);
}

/* an_groups.c -- dedup groups of an analysis (see analysis.h, an_groups).
 *
 * Three kinds of group, found in this order over the window's episodes:
 *
 * Replica: an identity sent by several HA Prometheus replicas (copies > 1)
 * or notified twice by HA Alertmanagers (dup_deliveries > 0). Its copies
 * are already one episode, so nothing is marked; the group backs the advice
 * to drop the replica label.
 *
 * Co-firing: alert kinds (ids[].kind) whose episodes start together.
 * co(A→B) is the number of A's episodes with a B episode starting within
 * ±cofire_window; co = min(co(A→B), co(B→A));
 * Jaccard = co / (nA + nB - co).
 * Pairs with co >= cofire_min_support and Jaccard >= cofire_min_jaccard are
 * kept; the groups are the connected components of the kept pairs. The
 * leader is the kind with the highest ratio of co-occurrences in which it
 * started first. Episodes of the other kinds starting within the window at
 * or after a leader episode are duplicates.
 *
 * The pair counts come from a sweep: every episode looks at its neighbours
 * in eps (sorted by firing_at), nearest first, out to ±cofire_window, and
 * counts each distinct other kind once. The sweep runs kind by kind, so one
 * dense counter per kind replaces a hash of all pairs; a directed count is
 * kept only if it could still pass (co <= co(A→B) and Jaccard grows with co),
 * which leaves few candidates. Candidates seen from both sides are then
 * recounted exactly by merging the two kinds' time lists, which also gives
 * who started first; the exact count is never below the sweep's.
 *
 * Bound: one episode examines at most COFIRE_MAX_SCAN neighbours and counts
 * at most COFIRE_MAX_KINDS distinct other kinds, so the sweep is
 * O(neps * COFIRE_MAX_SCAN) whatever the density; when more episodes than
 * that start in one window (a storm), the farther ones go uncounted and a
 * pair may be missed, never invented. The recount stays linear too: a
 * candidate B of A needs c = co(A→B) >= J * (nA + nB - c), so
 * c >= J * nA / (1 + J) out of at most COFIRE_MAX_KINDS * nA counts, and
 * nB <= nA / J; with J = cofire_min_jaccard > 0 a kind has at most
 * COFIRE_MAX_KINDS * (1 + J) / J candidates, each recounted in
 * O(nA + nB). (J = 0 drops this bound.)
 *
 * Storm: per alertname, a window of storm_window sliding over its episodes'
 * firing_at; when storm_min distinct identities start in one window, the
 * episodes starting within storm_window of the window's first one are a
 * storm occurrence, and the search goes on after it. Within an occurrence
 * every episode but the first is a duplicate (unless co-firing marked it).
 *
 * Output order: replica, co-firing, storm groups, each by its first member's
 * alertname.
 *
 * A group is a typed result (analysis.h struct an_group: its members and
 * its kind's evidence). an_group_json and an_groups_json render it for the
 * read API and the report; the recommendations, the web UI's /groups and
 * the report's new-group comparison read the struct, never the JSON. */
#include "analysis.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COFIRE_MAX_SCAN		512
#define COFIRE_MAX_KINDS	64
#define STORM_MAX_MEMBERS	100

/* Per-call state. The new groups stay here until an_groups commits them. */
struct gctx {
	struct analysis	 *a;
	const struct an_opts *o;
	size_t		  nkinds;
	size_t		 *kind_off;	/* nkinds + 1 offsets into kind_ep */
	size_t		 *kind_ep;	/* episodes by kind, each by time */
	size_t		 *kind_first;	/* the lowest identity of each kind */
	int64_t		 *at;		/* per episode: firing_at, */
	size_t		 *ekind;	/* and kind, packed for the sweep */
	size_t		 *order;	/* identities by alertname, fp, index */
	long		 *mark;		/* per episode: new group or -1 */
	struct an_group	 *g;		/* new groups, owning their parts */
	size_t		  ng, capg;
};

/* A directed sweep count: c of a's episodes have a b neighbour. */
struct dpair {
	size_t		  a, b;
	uint32_t	  c;
};

/* A kept co-firing pair, a < b (kind indices). */
struct kpair {
	size_t		  a, b;
	int		  co;
	double		  jaccard;
	int		  a_first, b_first;
	size_t		  comp;
};

static const char *
ident_name(const struct analysis *a, size_t i)
{
	return a->ids[i].alertname != NULL ? a->ids[i].alertname : "";
}

/* A sort key: by name (strcmp), then fp, then i. qsort has no context
 * argument, so what a comparison needs is copied into the key. */
struct skey {
	const char	 *name;
	uint64_t	  fp;
	size_t		  i;
};

static int
skey_cmp(const void *x, const void *y)
{
	const struct skey *p = x, *q = y;
	int d = strcmp(p->name, q->name);

	if (d != 0)
		return d;
	if (p->fp != q->fp)
		return p->fp < q->fp ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

/* Groups episodes by key[ident] (0..nkeys) keeping time order: bucket k is
 * ep[off[k]..off[k + 1]). Returns 0, or -1 on out-of-memory; *off and *ep
 * are the caller's to free either way. */
static int
bucket(const struct analysis *a, const size_t *key, size_t nkeys,
    size_t **off, size_t **ep)
{
	size_t i, *pos = NULL;
	int result = -1;

	*ep = NULL;
	if ((*off = calloc(nkeys + 1, sizeof(**off))) == NULL)
		goto out;
	if ((*ep = malloc((a->neps ? a->neps : 1) * sizeof(**ep))) == NULL)
		goto out;
	if ((pos = malloc((nkeys ? nkeys : 1) * sizeof(*pos))) == NULL)
		goto out;
	for (i = 0; i < a->neps; i++)
		(*off)[key[a->eps[i].ident] + 1]++;
	for (i = 0; i < nkeys; i++) {
		(*off)[i + 1] += (*off)[i];
		pos[i] = (*off)[i];
	}
	for (i = 0; i < a->neps; i++)
		(*ep)[pos[key[a->eps[i].ident]]++] = i;
	result = 0;
out:
	free(pos);
	return result;
}

/* Appends *g to the new groups, taking what it owns (also on failure).
 * Returns its index among the new groups, or -1 on out-of-memory. */
static long
add_group(struct gctx *c, struct an_group *g)
{
	struct an_group *p;

	if (c->ng == c->capg) {
		size_t cap = c->capg ? c->capg * 2 : 16;

		if ((p = realloc(c->g, cap * sizeof(*p))) == NULL) {
			an_group_clear(g);
			return -1;
		}
		c->g = p;
		c->capg = cap;
	}
	c->g[c->ng] = *g;
	return (long)c->ng++;
}

/* Appends identity id to g's members (room for it allocated), with labels
 * (taken; NULL: none, an empty object). Returns 0, or -1 on
 * out-of-memory. */
static int
add_member(struct an_group *g, const struct analysis *a, size_t id,
    json_t *labels)
{
	struct an_member *m = &g->members[g->nmembers];

	if (labels == NULL && (labels = json_object()) == NULL)
		return -1;
	m->alertname = ident_name(a, id);
	m->ident = id;
	m->labels = labels;
	g->nmembers++;
	return 0;
}

/* --- replica ------------------------------------------------------------- */

static int
replica_groups(struct gctx *c)
{
	struct analysis *a = c->a;
	size_t i, *n;
	int result = -1;

	if ((n = calloc(a->nids ? a->nids : 1, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i < a->neps; i++)
		n[a->eps[i].ident]++;
	for (i = 0; i < a->nids; i++) {
		size_t id = c->order[i];
		const struct an_identity *d = &a->ids[id];
		struct an_group g = { .kind = GROUP_REPLICA, .leader = -1,
		    .support = (int)n[id] };

		if (d->copies <= 1 && d->dup_deliveries <= 0)
			continue;
		g.replica.copies = d->copies;
		g.replica.dup_deliveries = d->dup_deliveries;
		g.replica.episodes = n[id];
		if ((g.members = malloc(sizeof(*g.members))) == NULL ||
		    add_member(&g, a, id, json_incref(d->labels)) == -1) {
			an_group_clear(&g);
			goto out;
		}
		if (add_group(c, &g) == -1)
			goto out;
	}
	result = 0;
out:
	free(n);
	return result;
}

/* --- co-firing ----------------------------------------------------------- */

static int64_t
ep_at(const struct gctx *c, size_t kind, size_t x)
{
	return c->at[c->kind_ep[c->kind_off[kind] + x]];
}

static size_t
kind_n(const struct gctx *c, size_t kind)
{
	return c->kind_off[kind + 1] - c->kind_off[kind];
}

static size_t
cofire_minsup(const struct gctx *c)
{
	return c->o->cofire_min_support > 1 ?
	    (size_t)c->o->cofire_min_support : 1;
}

static int
cofire_passes(const struct gctx *c, size_t co, size_t na, size_t nb)
{
	if (co < cofire_minsup(c))
		return 0;
	return (double)co / (double)(na + nb - co) >= c->o->cofire_min_jaccard;
}

/* Counts for episode p the distinct other kinds among its neighbours
 * (see the bound in the file comment). cnt, stamp and touched are per kind;
 * stamp[k] == p + 1 when k was counted for p. */
static void
cofire_scan(struct gctx *c, size_t p, uint32_t *cnt, size_t *stamp,
    size_t *touched, size_t *ntouched)
{
	const int64_t *at = c->at;
	int64_t t = at[p], w = c->o->cofire_window_ms;
	size_t self = c->ekind[p], n = c->a->neps;
	size_t l = p, r = p + 1, scanned = 0, kinds = 0;

	while (scanned < COFIRE_MAX_SCAN && kinds < COFIRE_MAX_KINDS) {
		int lok = l > 0 && t - at[l - 1] <= w;
		int rok = r < n && at[r] - t <= w;
		size_t q, k;

		if (!lok && !rok)
			break;
		if (lok && (!rok || t - at[l - 1] <= at[r] - t))
			q = --l;
		else
			q = r++;
		scanned++;
		k = c->ekind[q];
		if (k == self || stamp[k] == p + 1)
			continue;
		stamp[k] = p + 1;
		kinds++;
		if (cnt[k]++ == 0)
			touched[(*ntouched)++] = k;
	}
}

static int
dpair_cmp(const void *x, const void *y)
{
	const struct dpair *p = x, *q = y;
	size_t plo = p->a < p->b ? p->a : p->b, phi = p->a < p->b ? p->b : p->a;
	size_t qlo = q->a < q->b ? q->a : q->b, qhi = q->a < q->b ? q->b : q->a;

	if (plo != qlo)
		return plo < qlo ? -1 : 1;
	if (phi != qhi)
		return phi < qhi ? -1 : 1;
	return p->a < q->a ? -1 : p->a > q->a;
}

/* The sweep: directed counts that could still pass, sorted so that the two
 * directions of a pair are adjacent. *out is the caller's to free. */
static int
cofire_sweep(struct gctx *c, struct dpair **out, size_t *nout)
{
	size_t nk = c->nkinds, A, x, i, cap = 0, ntouched;
	uint32_t *cnt = calloc(nk, sizeof(*cnt));
	size_t *stamp = calloc(nk, sizeof(*stamp));
	size_t *touched = malloc(nk * sizeof(*touched));
	struct dpair *d;
	int result = -1;

	*out = NULL;
	*nout = 0;
	if (cnt == NULL || stamp == NULL || touched == NULL)
		goto out;
	for (A = 0; A < nk; A++) {
		size_t na = kind_n(c, A);

		if (na < cofire_minsup(c))
			continue;
		ntouched = 0;
		for (x = 0; x < na; x++)
			cofire_scan(c, c->kind_ep[c->kind_off[A] + x], cnt,
			    stamp, touched, &ntouched);
		for (i = 0; i < ntouched; i++) {
			size_t B = touched[i];
			uint32_t n = cnt[B];

			cnt[B] = 0;
			if (!cofire_passes(c, n, na, kind_n(c, B)))
				continue;
			if (*nout == cap) {
				cap = cap ? cap * 2 : 64;
				d = realloc(*out, cap * sizeof(*d));
				if (d == NULL)
					goto out;
				*out = d;
			}
			(*out)[(*nout)++] = (struct dpair){ A, B, n };
		}
	}
	if (*nout > 0)
		qsort(*out, *nout, sizeof(**out), dpair_cmp);
	result = 0;
out:
	free(cnt);
	free(stamp);
	free(touched);
	return result;
}

/* Exact count of s's episodes with an o episode within ±window, and of those
 * in which s (*s_first) or o (*o_first) started first: the nearest o episode
 * decides; the same start, or equally near before and after, is a tie. */
static int
cofire_count(const struct gctx *c, size_t s, size_t o, int *s_first,
    int *o_first)
{
	size_t ns = kind_n(c, s), no = kind_n(c, o), x, j = 0;
	int64_t w = c->o->cofire_window_ms;
	int n = 0;

	*s_first = *o_first = 0;
	for (x = 0; x < ns; x++) {
		int64_t t = ep_at(c, s, x), dn = 0, dp = 0;
		int hn, hp;

		while (j < no && ep_at(c, o, j) < t)
			j++;
		hn = j < no && (dn = ep_at(c, o, j) - t) <= w;
		hp = j > 0 && (dp = t - ep_at(c, o, j - 1)) <= w;
		if (!hn && !hp)
			continue;
		n++;
		if (hn && dn == 0)
			continue;
		if (hn && (!hp || dn < dp))
			(*s_first)++;
		else if (hp && (!hn || dp < dn))
			(*o_first)++;
	}
	return n;
}

/* Turns the candidates into kept pairs (a < b). *out is the caller's to
 * free. */
static int
cofire_keep(struct gctx *c, const struct dpair *d, size_t nd,
    struct kpair **out, size_t *nout)
{
	size_t i;

	*nout = 0;
	if ((*out = malloc((nd ? nd : 1) * sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i + 1 < nd; i++) {
		size_t A = d[i].a, B = d[i].b, na, nb;
		int cab, cba, af, bf, baf, bbf, co;
		struct kpair *k;

		if (d[i + 1].a != B || d[i + 1].b != A || A > B)
			continue;	/* one direction only: cannot pass */
		na = kind_n(c, A);
		nb = kind_n(c, B);
		cab = cofire_count(c, A, B, &af, &bf);
		cba = cofire_count(c, B, A, &bbf, &baf);
		if (cba < cab) {
			af = baf;
			bf = bbf;
		}
		co = cab < cba ? cab : cba;
		if (!cofire_passes(c, (size_t)co, na, nb))
			continue;	/* cannot happen: exact >= sweep */
		k = &(*out)[(*nout)++];
		k->a = A;
		k->b = B;
		k->co = co;
		k->jaccard = (double)co / (double)(na + nb - (size_t)co);
		k->a_first = af;
		k->b_first = bf;
		i++;
	}
	return 0;
}

static size_t
uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static int
kpair_cmp(const void *x, const void *y)
{
	const struct kpair *p = x, *q = y;

	if (p->comp != q->comp)
		return p->comp < q->comp ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* A kept pair in member indices, i < j. */
struct mpair {
	size_t		  i, j;
	const struct kpair *k;
	int		  i_first, j_first;
};

static int
mpair_cmp(const void *x, const void *y)
{
	const struct mpair *p = x, *q = y;

	if (p->i != q->i)
		return p->i < q->i ? -1 : 1;
	return p->j < q->j ? -1 : p->j > q->j;
}

/* Appends a kind to g's members: its first identity, with that one's
 * labels restricted to alertname and the group labels. */
static int
add_kind_member(struct gctx *c, struct an_group *g, size_t kind)
{
	const struct an_identity *d = &c->a->ids[c->kind_first[kind]];
	json_t *labels, *v;
	size_t i;

	if ((labels = json_object()) == NULL)
		return -1;
	for (i = 0; i <= c->o->ngroup_labels; i++) {
		const char *name = i == 0 ? "alertname" :
		    c->o->group_labels[i - 1];

		v = json_object_get(d->labels, name);
		if (v != NULL && json_object_set(labels, name, v) == -1) {
			json_decref(labels);
			return -1;
		}
	}
	return add_member(g, c->a, c->kind_first[kind], labels);
}

/* Marks the episodes of kind that start within the window at or after an
 * episode of the leader kind. */
static void
cofire_mark(struct gctx *c, size_t kind, size_t leader, long gi)
{
	size_t n = kind_n(c, kind), nl = kind_n(c, leader), x, j = 0;
	int64_t w = c->o->cofire_window_ms;

	for (x = 0; x < n; x++) {
		size_t e = c->kind_ep[c->kind_off[kind] + x];
		int64_t t = ep_at(c, kind, x);

		while (j < nl && ep_at(c, leader, j) <= t)
			j++;
		if (j == 0 || t - ep_at(c, leader, j - 1) > w)
			continue;
		if (c->mark[e] < 0 && !(c->a->eps[e].reasons & R_DUPLICATE))
			c->mark[e] = gi;
	}
}

/* One group from a component: its kinds in members order (name, kind) and
 * its kept pairs. pos is per kind scratch. */
static int
cofire_group(struct gctx *c, const struct skey *kinds, size_t nk,
    const struct kpair *kp, size_t nkp, size_t *pos)
{
	struct an_group g = { .kind = GROUP_COFIRING };
	struct mpair *mp = NULL;
	int64_t *firsts = NULL, *cooc = NULL, w = c->o->cofire_window_ms;
	size_t x, leader = 0;
	int support = INT_MAX;
	double jaccard = 1;
	long gi;
	int result = -1;

	assert(nk >= 2 && nkp >= 1);
	firsts = calloc(nk, sizeof(*firsts));
	cooc = calloc(nk, sizeof(*cooc));
	mp = malloc(nkp * sizeof(*mp));
	if (firsts == NULL || cooc == NULL || mp == NULL)
		goto out;
	for (x = 0; x < nk; x++)
		pos[kinds[x].i] = x;
	for (x = 0; x < nkp; x++) {
		size_t i = pos[kp[x].a], j = pos[kp[x].b];

		mp[x].k = &kp[x];
		mp[x].i = i < j ? i : j;
		mp[x].j = i < j ? j : i;
		mp[x].i_first = i < j ? kp[x].a_first : kp[x].b_first;
		mp[x].j_first = i < j ? kp[x].b_first : kp[x].a_first;
		firsts[mp[x].i] += mp[x].i_first;
		firsts[mp[x].j] += mp[x].j_first;
		cooc[mp[x].i] += kp[x].co;
		cooc[mp[x].j] += kp[x].co;
		if (kp[x].co < support)
			support = kp[x].co;
		if (kp[x].jaccard < jaccard)
			jaccard = kp[x].jaccard;
	}
	qsort(mp, nkp, sizeof(*mp), mpair_cmp);
	for (x = 1; x < nk; x++) {
		int64_t l = firsts[x] * cooc[leader];
		int64_t r = firsts[leader] * cooc[x];

		if (l > r || (l == r && kinds[x].i < kinds[leader].i))
			leader = x;
	}

	g.leader = (long)leader;
	g.support = support;
	g.jaccard = jaccard;
	g.cofiring.window_ms = w;
	g.members = malloc(nk * sizeof(*g.members));
	g.cofiring.pairs = malloc(nkp * sizeof(*g.cofiring.pairs));
	if (g.members == NULL || g.cofiring.pairs == NULL)
		goto out;
	for (x = 0; x < nk; x++)
		if (add_kind_member(c, &g, kinds[x].i) == -1)
			goto out;
	for (x = 0; x < nkp; x++)
		g.cofiring.pairs[x] = (struct an_pair){ mp[x].i, mp[x].j,
		    mp[x].k->co, mp[x].k->jaccard, mp[x].i_first,
		    mp[x].j_first };
	g.cofiring.npairs = nkp;
	gi = add_group(c, &g);
	memset(&g, 0, sizeof(g));
	if (gi == -1)
		goto out;
	for (x = 0; x < nk; x++)
		if (x != leader)
			cofire_mark(c, kinds[x].i, kinds[leader].i, gi);
	result = 0;
out:
	an_group_clear(&g);
	free(firsts);
	free(cooc);
	free(mp);
	return result;
}

/* Co-firing groups: the connected components of the kept pairs, numbered
 * by their lowest kind, emitted by their first member. */
static int
cofire_groups(struct gctx *c)
{
	size_t nk = c->nkinds, nd, nkp, ncomp = 0, x;
	struct dpair *d = NULL;
	struct kpair *kp = NULL;
	size_t *parent = NULL, *comp = NULL, *coff = NULL, *poff = NULL;
	size_t *pos = NULL;
	unsigned char *used = NULL;
	struct skey *ck = NULL, *order = NULL;
	int result = -1;

	if (cofire_sweep(c, &d, &nd) == -1)
		goto out;
	if (cofire_keep(c, d, nd, &kp, &nkp) == -1)
		goto out;
	if (nkp == 0) {
		result = 0;
		goto out;
	}
	parent = malloc(nk * sizeof(*parent));
	comp = malloc(nk * sizeof(*comp));
	pos = malloc(nk * sizeof(*pos));
	used = calloc(nk, sizeof(*used));
	if (parent == NULL || comp == NULL || pos == NULL || used == NULL)
		goto out;
	for (x = 0; x < nk; x++)
		parent[x] = x;
	for (x = 0; x < nkp; x++) {
		size_t ra = uf_find(parent, kp[x].a);
		size_t rb = uf_find(parent, kp[x].b);

		if (ra < rb)
			parent[rb] = ra;
		else
			parent[ra] = rb;
		used[kp[x].a] = used[kp[x].b] = 1;
	}
	for (x = 0; x < nk; x++)
		if (used[x] && parent[x] == x)
			comp[x] = ncomp++;
	for (x = 0; x < nk; x++)
		if (used[x])
			comp[x] = comp[uf_find(parent, x)];
	for (x = 0; x < nkp; x++)
		kp[x].comp = comp[kp[x].a];
	qsort(kp, nkp, sizeof(*kp), kpair_cmp);

	coff = calloc(ncomp + 1, sizeof(*coff));
	poff = calloc(ncomp + 1, sizeof(*poff));
	order = malloc(ncomp * sizeof(*order));
	if (coff == NULL || poff == NULL || order == NULL)
		goto out;
	for (x = 0; x < nk; x++)
		if (used[x])
			coff[comp[x] + 1]++;
	for (x = 0; x < nkp; x++)
		poff[kp[x].comp + 1]++;
	for (x = 0; x < ncomp; x++) {
		coff[x + 1] += coff[x];
		poff[x + 1] += poff[x];
	}
	if ((ck = malloc(coff[ncomp] * sizeof(*ck))) == NULL)
		goto out;
	for (x = 0; x < nk; x++)
		if (used[x])
			ck[coff[comp[x]]++] = (struct skey){
			    ident_name(c->a, c->kind_first[x]), 0, x };
	for (x = ncomp; x > 0; x--)
		coff[x] = coff[x - 1];
	coff[0] = 0;
	for (x = 0; x < ncomp; x++) {
		qsort(ck + coff[x], coff[x + 1] - coff[x], sizeof(*ck),
		    skey_cmp);
		order[x] = (struct skey){ ck[coff[x]].name,
		    (uint64_t)ck[coff[x]].i, x };
	}
	qsort(order, ncomp, sizeof(*order), skey_cmp);

	for (x = 0; x < ncomp; x++) {
		size_t cc = order[x].i;

		if (cofire_group(c, ck + coff[cc], coff[cc + 1] - coff[cc],
		    kp + poff[cc], poff[cc + 1] - poff[cc], pos) == -1)
			goto out;
	}
	result = 0;
out:
	free(d);
	free(kp);
	free(parent);
	free(comp);
	free(coff);
	free(poff);
	free(pos);
	free(used);
	free(ck);
	free(order);
	return result;
}

/* --- storm --------------------------------------------------------------- */

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Whether name is one of g's common labels. */
static int
storm_common(const struct an_group *g, const char *name)
{
	for (size_t i = 0; i < g->storm.ncommon; i++)
		if (strcmp(g->storm.common[i].name, name) == 0)
			return 1;
	return 0;
}

/* Sets g's common labels, those of ids[0] with the same value in every
 * identity of ids[0..n), in ids[0]'s order, and its varying labels, the
 * names of all the others, sorted and distinct. Label values are strings
 * (the decoders take no other). Returns 0, or -1 on out-of-memory. */
static int
storm_labels(const struct analysis *a, const size_t *ids, size_t n,
    struct an_group *g)
{
	json_t *first = a->ids[ids[0]].labels, *v, *w;
	const char *k, **names;
	size_t i, total = 0, nn = 0;

	assert(n > 0);
	g->storm.common = malloc((json_object_size(first) + 1) *
	    sizeof(*g->storm.common));
	if (g->storm.common == NULL)
		return -1;
	json_object_foreach(first, k, v) {
		for (i = 1; i < n; i++) {
			w = json_object_get(a->ids[ids[i]].labels, k);
			if (w == NULL || !json_equal(v, w))
				break;
		}
		if (i == n && json_is_string(v))
			g->storm.common[g->storm.ncommon++] =
			    (struct an_label){ k, json_string_value(v) };
	}
	for (i = 0; i < n; i++)
		total += json_object_size(a->ids[ids[i]].labels);
	if ((names = malloc((total + 1) * sizeof(*names))) == NULL)
		return -1;
	g->storm.varying = names;
	for (i = 0; i < n; i++)
		json_object_foreach(a->ids[ids[i]].labels, k, v)
			if (!storm_common(g, k))
				names[nn++] = k;
	if (nn > 0)
		qsort(names, nn, sizeof(*names), str_cmp);
	for (i = 0; i < nn; i++)
		if (g->storm.nvarying == 0 ||
		    strcmp(names[g->storm.nvarying - 1], names[i]) != 0)
			names[g->storm.nvarying++] = names[i];
	return 0;
}

/* Storm scratch, per identity. */
struct storm {
	int		 *win;		/* episodes in the sliding window */
	size_t		 *occ_seen;	/* last occurrence it was in */
	size_t		 *name_seen;	/* last alertname (+1) it was in */
	size_t		 *mem;		/* this alertname's storm members */
	size_t		  occ;
};

static int
storm_group(struct gctx *c, const size_t *mem, size_t nmem, int nocc,
    size_t maxid)
{
	struct an_group g = { .kind = GROUP_STORM, .leader = -1,
	    .support = nocc };
	size_t x, n = nmem < STORM_MAX_MEMBERS ? nmem : STORM_MAX_MEMBERS;

	g.storm.occurrences = nocc;
	g.storm.max_identities = maxid;
	g.storm.identities = nmem;
	if ((g.members = malloc((n ? n : 1) * sizeof(*g.members))) == NULL)
		goto fail;
	for (x = 0; x < n; x++)
		if (add_member(&g, c->a, mem[x],
		    json_incref(c->a->ids[mem[x]].labels)) == -1)
			goto fail;
	if (storm_labels(c->a, mem, nmem, &g) == -1)
		goto fail;
	return add_group(c, &g) == -1 ? -1 : 0;
fail:
	an_group_clear(&g);
	return -1;
}

/* The storms of one alertname: its episodes E[0..m) by time. */
static int
storm_name(struct gctx *c, struct storm *s, size_t name, const size_t *E,
    size_t m)
{
	const struct analysis *a = c->a;
	int64_t w = c->o->storm_window_ms;
	size_t smin = c->o->storm_min > 2 ? (size_t)c->o->storm_min : 2;
	size_t lo = 0, hi = 0, end, k, distinct = 0, nmem = 0, maxid = 0;
	long gi = (long)c->ng;
	int nocc = 0;

#define ID(x)	(a->eps[E[x]].ident)
#define AT(x)	(c->at[E[x]])
	while (hi < m) {
		size_t nid = 0;

		if (s->win[ID(hi)]++ == 0)
			distinct++;
		while (AT(hi) - AT(lo) > w)
			if (--s->win[ID(lo++)] == 0)
				distinct--;
		if (distinct < smin) {
			hi++;
			continue;
		}
		for (end = hi + 1; end < m && AT(end) - AT(lo) <= w; end++)
			;
		for (k = lo; k <= hi; k++)
			s->win[ID(k)] = 0;
		distinct = 0;
		s->occ++;
		for (k = lo; k < end; k++) {
			size_t e = E[k], id = ID(k);

			if (s->occ_seen[id] != s->occ) {
				s->occ_seen[id] = s->occ;
				nid++;
			}
			if (s->name_seen[id] != name + 1) {
				s->name_seen[id] = name + 1;
				s->mem[nmem++] = id;
			}
			if (k > lo && c->mark[e] < 0 &&
			    !(a->eps[e].reasons & R_DUPLICATE))
				c->mark[e] = gi;
		}
		if (nid > maxid)
			maxid = nid;
		nocc++;
		lo = hi = end;
	}
	for (k = lo; k < m; k++)
		s->win[ID(k)] = 0;
#undef ID
#undef AT
	if (nocc == 0)
		return 0;
	return storm_group(c, s->mem, nmem, nocc, maxid);
}

static int
storm_groups(struct gctx *c)
{
	struct analysis *a = c->a;
	size_t n = a->nids, i, nnames = 0, *name_of, *off = NULL, *ep = NULL;
	struct storm s = { 0 };
	int result = -1;

	name_of = malloc(n * sizeof(*name_of));
	s.win = calloc(n, sizeof(*s.win));
	s.occ_seen = calloc(n, sizeof(*s.occ_seen));
	s.name_seen = calloc(n, sizeof(*s.name_seen));
	s.mem = malloc(n * sizeof(*s.mem));
	if (name_of == NULL || s.win == NULL || s.occ_seen == NULL ||
	    s.name_seen == NULL || s.mem == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(ident_name(a, c->order[i - 1]),
		    ident_name(a, c->order[i])) != 0)
			nnames++;
		name_of[c->order[i]] = nnames;
	}
	nnames++;
	if (bucket(a, name_of, nnames, &off, &ep) == -1)
		goto out;
	for (i = 0; i < nnames; i++)
		if (storm_name(c, &s, i, ep + off[i], off[i + 1] - off[i]) ==
		    -1)
			goto out;
	result = 0;
out:
	free(name_of);
	free(off);
	free(ep);
	free(s.win);
	free(s.occ_seen);
	free(s.name_seen);
	free(s.mem);
	return result;
}

/* --- an_groups ----------------------------------------------------------- */

/* Finds the replica, co-firing and storm groups of the window, appends them
 * to a->groups (owned by the analysis, freed by an_free) and marks the
 * co-firing and storm followers R_DUPLICATE with their group's index.
 * Returns 0, or -1 on out-of-memory with a unchanged. */
int
an_groups(struct analysis *a, const struct an_opts *o)
{
	struct gctx c = { .a = a, .o = o };
	struct an_group *g;
	struct skey *keys = NULL;
	size_t i, *kind_of = NULL;
	int result = -1;

	assert(o->cofire_window_ms >= 0 && o->storm_window_ms >= 0);
	if (a->nids == 0)
		return 0;
	for (i = 0; i < a->nids; i++) {
		assert(a->ids[i].kind < a->nids);
		if (a->ids[i].kind >= c.nkinds)
			c.nkinds = a->ids[i].kind + 1;
	}
	for (i = 0; i < a->neps; i++) {
		assert(a->eps[i].ident < a->nids);
		assert(i == 0 ||
		    a->eps[i - 1].firing_at <= a->eps[i].firing_at);
	}

	keys = malloc(a->nids * sizeof(*keys));
	c.order = malloc(a->nids * sizeof(*c.order));
	kind_of = malloc(a->nids * sizeof(*kind_of));
	c.kind_first = malloc(c.nkinds * sizeof(*c.kind_first));
	c.mark = malloc((a->neps ? a->neps : 1) * sizeof(*c.mark));
	c.at = malloc((a->neps ? a->neps : 1) * sizeof(*c.at));
	c.ekind = malloc((a->neps ? a->neps : 1) * sizeof(*c.ekind));
	if (keys == NULL || c.order == NULL || kind_of == NULL ||
	    c.kind_first == NULL || c.mark == NULL || c.at == NULL ||
	    c.ekind == NULL)
		goto out;
	for (i = 0; i < a->nids; i++)
		keys[i] = (struct skey){ ident_name(a, i), a->ids[i].fp, i };
	qsort(keys, a->nids, sizeof(*keys), skey_cmp);
	for (i = 0; i < c.nkinds; i++)
		c.kind_first[i] = SIZE_MAX;
	for (i = 0; i < a->nids; i++) {
		c.order[i] = keys[i].i;
		kind_of[i] = a->ids[i].kind;
		if (c.kind_first[kind_of[i]] == SIZE_MAX)
			c.kind_first[kind_of[i]] = i;
	}
	for (i = 0; i < a->neps; i++) {
		c.mark[i] = -1;
		c.at[i] = a->eps[i].firing_at;
		c.ekind[i] = kind_of[a->eps[i].ident];
	}
	if (bucket(a, kind_of, c.nkinds, &c.kind_off, &c.kind_ep) == -1)
		goto out;

	if (replica_groups(&c) == -1 || cofire_groups(&c) == -1 ||
	    storm_groups(&c) == -1)
		goto out;

	if (c.ng > 0) {
		g = realloc(a->groups, (a->ngroups + c.ng) * sizeof(*g));
		if (g == NULL)
			goto out;
		a->groups = g;
		memcpy(a->groups + a->ngroups, c.g, c.ng * sizeof(*g));
	}
	for (i = 0; i < a->neps; i++) {
		if (c.mark[i] < 0)
			continue;
		a->eps[i].reasons |= R_DUPLICATE;
		a->eps[i].group = (long)a->ngroups + c.mark[i];
	}
	a->ngroups += c.ng;
	c.ng = 0;
	result = 0;
out:
	for (i = 0; i < c.ng; i++)
		an_group_clear(&c.g[i]);
	free(c.g);
	free(keys);
	free(kind_of);
	free(c.order);
	free(c.kind_first);
	free(c.kind_off);
	free(c.kind_ep);
	free(c.mark);
	free(c.at);
	free(c.ekind);
	return result;
}

/* --- the group type and its JSON ---------------------------------------- */

const char *
an_group_kind_name(enum an_group_kind k)
{
	static const char *const names[] = { "replica", "cofiring", "storm" };

	assert(k >= GROUP_REPLICA && k <= GROUP_STORM);
	return names[k];
}

void
an_group_clear(struct an_group *g)
{
	for (size_t i = 0; i < g->nmembers; i++)
		json_decref(g->members[i].labels);
	free(g->members);
	if (g->kind == GROUP_COFIRING) {
		free(g->cofiring.pairs);
	} else if (g->kind == GROUP_STORM) {
		free(g->storm.common);
		free(g->storm.varying);
	}
	memset(g, 0, sizeof(*g));
}

static json_t *
member_json(const struct an_member *m)
{
	return json_pack("{s:s,s:O}", "alertname", m->alertname, "labels",
	    m->labels);
}

/* A cofiring group's pairs and window. */
static json_t *
cofiring_json(const struct an_group *g)
{
	json_t *pairs = json_array(), *w;
	int64_t ms = g->cofiring.window_ms;

	for (size_t x = 0; pairs != NULL && x < g->cofiring.npairs; x++) {
		const struct an_pair *p = &g->cofiring.pairs[x];

		if (json_array_append_new(pairs, json_pack(
		    "{s:I,s:I,s:i,s:f,s:i,s:i}", "a", (json_int_t)p->a, "b",
		    (json_int_t)p->b, "coOccurrences", p->co, "jaccard",
		    p->jaccard, "aFirst", p->a_first, "bFirst",
		    p->b_first)) == -1) {
			json_decref(pairs);
			pairs = NULL;
		}
	}
	w = ms % 1000 == 0 ? json_integer(ms / 1000) :
	    json_real((double)ms / 1000);
	return json_pack("{s:o,s:o}", "pairs", pairs, "windowSeconds", w);
}

/* A storm's numbers and labels. */
static json_t *
storm_json(const struct an_group *g)
{
	json_t *common = json_object(), *varying = json_array();
	size_t i;

	for (i = 0; common != NULL && i < g->storm.ncommon; i++)
		if (json_object_set_new(common, g->storm.common[i].name,
		    json_string(g->storm.common[i].value)) == -1) {
			json_decref(common);
			common = NULL;
		}
	for (i = 0; varying != NULL && i < g->storm.nvarying; i++)
		if (json_array_append_new(varying,
		    json_string(g->storm.varying[i])) == -1) {
			json_decref(varying);
			varying = NULL;
		}
	return json_pack("{s:i,s:I,s:I,s:o,s:o}", "occurrences",
	    g->storm.occurrences, "maxIdentities",
	    (json_int_t)g->storm.max_identities, "identities",
	    (json_int_t)g->storm.identities, "commonLabels", common,
	    "varyingLabels", varying);
}

json_t *
an_group_json(const struct an_group *g)
{
	json_t *members = json_array(), *ev, *leader = NULL;

	for (size_t i = 0; members != NULL && i < g->nmembers; i++)
		if (json_array_append_new(members,
		    member_json(&g->members[i])) == -1) {
			json_decref(members);
			members = NULL;
		}
	if (g->kind == GROUP_REPLICA)
		ev = json_pack("{s:i,s:i,s:I}", "copies", g->replica.copies,
		    "duplicateDeliveries", g->replica.dup_deliveries,
		    "episodes", (json_int_t)g->replica.episodes);
	else if (g->kind == GROUP_COFIRING)
		ev = cofiring_json(g);
	else
		ev = storm_json(g);
	if (g->leader >= 0)
		leader = json_array_get(members, (size_t)g->leader);
	return json_pack("{s:s, s:o, s:O, s:i, s:f, s:o}", "kind",
	    an_group_kind_name(g->kind), "members", members, "leader",
	    leader ? leader : json_null(), "support", g->support, "jaccard",
	    g->jaccard, "evidence", ev);
}

json_t *
an_groups_json(const struct analysis *a)
{
	json_t *out = json_array();

	for (size_t i = 0; out != NULL && i < a->ngroups; i++)
		if (json_array_append_new(out,
		    an_group_json(&a->groups[i])) == -1) {
			json_decref(out);
			out = NULL;
		}
	return out;
}

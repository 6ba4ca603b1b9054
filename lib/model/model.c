/* model.c -- the in-memory alert model (model.h).
 *
 * Layout: episodes in an array sorted by id (a merged-away episode stays
 * as a tombstone until the next full load), with two indexes of the live
 * ones: by firing time (the analysis' scan) and by start (the episode
 * list); notifications in an array
 * sorted by (received_at, id), each naming a block of the alerts array;
 * identities and series in arrays behind a hash map from their
 * fingerprint. Strings (receivers, group labels, alert names, identity
 * labels) are interned: a few thousand distinct ones serve millions of
 * rows. Ids and receipt times only grow, so a put is almost always an
 * append; a put elsewhere moves the tail. */
#include "model.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "u64map.h"

struct m_episode {
	struct episode e;
	unsigned char verdict;		/* MODEL_* */
	unsigned char dead;		/* merged away */
};

struct m_notification {
	int64_t id, received_at;
	const char *receiver, *group_labels;	/* interned */
	uint32_t alert0, nalerts;	/* its block of alerts[] */
	unsigned char firing, dup, dead;
};

struct m_alert {
	uint64_t identity, fingerprint;
	int64_t episode;
	const char *alertname;		/* interned */
	unsigned char firing;
};

struct m_identity {
	uint64_t identity;
	const char *alertname, *labels;	/* interned */
};

struct m_series {
	uint64_t series, identity;
	int64_t interval_ms;
	enum series_kind kind;
};

/* An index of episodes: positions in eps[] ordered by (key, id), where
 * the key is firing_at (only the episodes that fired) or the start. */
enum order_key { BY_FIRING, BY_START };
struct order {
	uint32_t *v;
	size_t n, cap;
};

struct model_data {
	int64_t from;
	int64_t older;			/* the latest start of an episode not
					   held, INT64_MIN: none */
	struct m_episode *eps;
	size_t neps, cap_eps;
	struct order fired;		/* the live episodes with a firing_at,
					   by (firing_at, id) */
	struct order started;		/* the live episodes, by (start, id) */
	struct m_notification *ns;
	size_t nns, cap_ns;
	struct m_alert *as;
	size_t nas, cap_as;
	struct m_identity *ids;
	size_t nids, cap_ids;
	struct u64map idmap;		/* identity -> index in ids */
	struct m_series *ser;
	size_t nser, cap_ser;
	struct u64map sermap;		/* series -> index in ser */
	struct intern strs;		/* each string once: its copy's
					   pointer is handed out */
};

struct model {
	pthread_rwlock_t lock;		/* guards everything below */
	struct model_data *d;		/* NULL: none loaded */
	uint64_t gen;			/* the store generation d is as of */
	int valid;
};

/* --- growth and strings -------------------------------------------------- */

/* Makes room for one more element in *v (n used, *cap allocated). */
static int
grow(void *vp, size_t n, size_t *cap, size_t size)
{
	void **v = vp;
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 256;
	if ((p = realloc(*v, c * size)) == NULL)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

/* The one copy of s (NULL: "") in t, made when s is new: it lives as
 * long as t. NULL when out of memory. */
static const char *
intern(struct intern *t, const char *s)
{
	if (s == NULL)
		s = "";
	return intern_put_str(t, s, strlen(s));
}

/* --- the data ------------------------------------------------------------ */

struct model_data *
model_data_new(int64_t from)
{
	struct model_data *d = calloc(1, sizeof(*d));

	if (d != NULL) {
		d->from = from;
		d->older = INT64_MIN;
	}
	return d;
}

/* Shrinks *v (n used of *cap) to n and a sixteenth more; a failed
 * realloc leaves it as it was. */
static void
fit(void *vp, size_t n, size_t *cap, size_t size)
{
	void **v = vp;
	size_t c = n + n / 16 + 1;
	void *p;

	if (c >= *cap || (p = realloc(*v, c * size)) == NULL)
		return;
	*v = p;
	*cap = c;
}

void
model_data_fit(struct model_data *d)
{
	fit(&d->eps, d->neps, &d->cap_eps, sizeof(*d->eps));
	fit(&d->fired.v, d->fired.n, &d->fired.cap, sizeof(*d->fired.v));
	fit(&d->started.v, d->started.n, &d->started.cap,
	    sizeof(*d->started.v));
	fit(&d->ns, d->nns, &d->cap_ns, sizeof(*d->ns));
	fit(&d->as, d->nas, &d->cap_as, sizeof(*d->as));
	fit(&d->ids, d->nids, &d->cap_ids, sizeof(*d->ids));
	fit(&d->ser, d->nser, &d->cap_ser, sizeof(*d->ser));
}

void
model_data_free(struct model_data *d)
{
	if (d == NULL)
		return;
	free(d->eps);
	free(d->fired.v);
	free(d->started.v);
	free(d->ns);
	free(d->as);
	free(d->ids);
	free(d->ser);
	u64map_free(&d->idmap);
	u64map_free(&d->sermap);
	intern_free(&d->strs);
	free(d);
}

/* The index of episode id, or of where it would go. */
static size_t
episode_at(const struct model_data *d, int64_t id)
{
	size_t lo = 0, hi = d->neps;

	if (hi > 0 && d->eps[hi - 1].e.id < id)
		return hi;		/* the usual case: a new one */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->eps[mid].e.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t
order_key(const struct episode *e, enum order_key by)
{
	return by == BY_FIRING ? e->firing_at : EPISODE_START(e);
}

/* Where (key, id) is, or would go, in o. */
static size_t
order_at(const struct model_data *d, const struct order *o, enum order_key by,
    int64_t key, int64_t id)
{
	size_t lo = 0, hi = o->n;

	if (hi > 0) {
		const struct episode *l = &d->eps[o->v[hi - 1]].e;
		int64_t lk = order_key(l, by);

		if (lk < key || (lk == key && l->id < id))
			return hi;	/* the usual case: the latest */
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct episode *m = &d->eps[o->v[mid]].e;
		int64_t mk = order_key(m, by);

		if (mk < key || (mk == key && m->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Takes live episode i out of o (its fields as when it was put in). */
static void
order_take(struct model_data *d, struct order *o, enum order_key by, size_t i)
{
	size_t k = order_at(d, o, by, order_key(&d->eps[i].e, by),
	    d->eps[i].e.id);

	if (k < o->n && o->v[k] == i) {
		memmove(&o->v[k], &o->v[k + 1], (o->n - k - 1) * sizeof(*o->v));
		o->n--;
	}
}

/* Puts episode i into o. */
static int
order_put(struct model_data *d, struct order *o, enum order_key by, size_t i)
{
	size_t k;

	if (i > UINT32_MAX || grow(&o->v, o->n, &o->cap, sizeof(*o->v)) < 0)
		return -1;
	k = order_at(d, o, by, order_key(&d->eps[i].e, by), d->eps[i].e.id);
	memmove(&o->v[k + 1], &o->v[k], (o->n - k) * sizeof(*o->v));
	o->v[k] = (uint32_t)i;
	o->n++;
	return 0;
}

/* Positions from i on moved up by one in eps[]. */
static void
order_shift(struct order *o, size_t i)
{
	for (size_t k = 0; k < o->n; k++)
		if (o->v[k] >= i)
			o->v[k]++;
}

/* Takes live episode i out of the indexes, or puts it in. */
static void
unindex(struct model_data *d, size_t i)
{
	if (d->eps[i].e.firing_at != 0)
		order_take(d, &d->fired, BY_FIRING, i);
	order_take(d, &d->started, BY_START, i);
}

static int
index_episode(struct model_data *d, size_t i)
{
	if (order_put(d, &d->started, BY_START, i) < 0)
		return -1;
	if (d->eps[i].e.firing_at != 0 &&
	    order_put(d, &d->fired, BY_FIRING, i) < 0) {
		order_take(d, &d->started, BY_START, i);
		return -1;
	}
	return 0;
}

int
model_put_episode(struct model_data *d, const struct episode *e, int verdict)
{
	size_t i = episode_at(d, e->id);
	struct m_episode *me;

	if (e->resolved_at != 0 && e->resolved_at < d->from) {
		model_drop_episode(d, e->id);
		model_note_older(d, EPISODE_START(e));
		return 0;
	}
	if (i == d->neps || d->eps[i].e.id != e->id) {
		if (grow(&d->eps, d->neps, &d->cap_eps, sizeof(*d->eps)) < 0)
			return -1;
		memmove(&d->eps[i + 1], &d->eps[i],
		    (d->neps - i) * sizeof(*d->eps));
		d->neps++;
		/* ids are reused only after a merge deleted the latest:
		 * the indexes past it move up */
		if (i + 1 < d->neps) {
			order_shift(&d->fired, i);
			order_shift(&d->started, i);
		}
		d->eps[i].dead = 1;	/* not indexed yet */
	}
	me = &d->eps[i];
	if (!me->dead)
		unindex(d, i);
	me->e = *e;
	me->verdict = (unsigned char)verdict;
	me->dead = 0;
	if (index_episode(d, i) < 0) {
		me->dead = 1;		/* never in the scans half-indexed */
		return -1;
	}
	return 0;
}

void
model_drop_episode(struct model_data *d, int64_t id)
{
	size_t i = episode_at(d, id);

	if (i < d->neps && d->eps[i].e.id == id && !d->eps[i].dead) {
		unindex(d, i);
		d->eps[i].dead = 1;
	}
}

void
model_note_older(struct model_data *d, int64_t start)
{
	if (start > d->older)
		d->older = start;
}

void
model_set_verdict(struct model_data *d, int64_t id, int verdict)
{
	size_t i = episode_at(d, id);

	if (i < d->neps && d->eps[i].e.id == id)
		d->eps[i].verdict = (unsigned char)verdict;
}

const char *
model_intern(struct model_data *d, const char *s)
{
	return intern(&d->strs, s);
}

/* The index of the notification (received_at, id), or of where it would
 * go. */
static size_t
notification_at(const struct model_data *d, int64_t received_at, int64_t id)
{
	size_t lo = 0, hi = d->nns;

	if (hi > 0 && (d->ns[hi - 1].received_at < received_at ||
	    (d->ns[hi - 1].received_at == received_at &&
	    d->ns[hi - 1].id < id)))
		return hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct m_notification *n = &d->ns[mid];

		if (n->received_at < received_at ||
		    (n->received_at == received_at && n->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The order the store's index gives a notification's alerts
 * (notification_alerts_scan: status, identity, episode, alertname,
 * fingerprint). */
static int
alert_cmp(const void *x, const void *y)
{
	const struct m_alert *a = x, *b = y;
	int c;

	if (a->firing != b->firing)
		return a->firing ? -1 : 1;
	if (a->identity != b->identity)
		return a->identity < b->identity ? -1 : 1;
	if (a->episode != b->episode)
		return a->episode < b->episode ? -1 : 1;
	if ((c = strcmp(a->alertname, b->alertname)) != 0)
		return c;
	return (a->fingerprint > b->fingerprint) -
	    (a->fingerprint < b->fingerprint);
}

int
model_put_notification(struct model_data *d,
    const struct model_notification *n, const struct model_alert *alerts,
    size_t nalerts)
{
	struct m_notification *mn;
	size_t i, first;

	if (n->received_at < d->from) {
		model_drop_notification(d, n->id);
		return 0;
	}
	if (nalerts > UINT32_MAX || d->nas + nalerts > UINT32_MAX)
		return -1;
	i = notification_at(d, n->received_at, n->id);
	if (i == d->nns || d->ns[i].id != n->id) {
		if (grow(&d->ns, d->nns, &d->cap_ns, sizeof(*d->ns)) < 0)
			return -1;
		memmove(&d->ns[i + 1], &d->ns[i],
		    (d->nns - i) * sizeof(*d->ns));
		d->nns++;
		memset(&d->ns[i], 0, sizeof(d->ns[i]));
		/* in its place in the order from now on, dead or alive */
		d->ns[i].id = n->id;
		d->ns[i].received_at = n->received_at;
	}
	mn = &d->ns[i];
	/* the alerts of a stored notification change only their episode:
	 * the block is rewritten in place */
	first = mn->alert0;
	if (mn->nalerts != nalerts) {
		first = d->nas;
		while (d->nas + nalerts > d->cap_as)
			if (grow(&d->as, d->cap_as, &d->cap_as,
			    sizeof(*d->as)) < 0)
				goto nomem;
		d->nas += nalerts;
	}
	for (size_t k = 0; k < nalerts; k++) {
		struct m_alert *a = &d->as[first + k];

		a->identity = alerts[k].identity;
		a->fingerprint = alerts[k].fingerprint;
		a->episode = alerts[k].episode;
		a->firing = alerts[k].firing != 0;
		if ((a->alertname = intern(&d->strs,
		    alerts[k].alertname)) == NULL)
			goto nomem;
	}
	if (nalerts > 1)
		qsort(&d->as[first], nalerts, sizeof(*d->as), alert_cmp);
	mn->alert0 = (uint32_t)first;
	mn->nalerts = (uint32_t)nalerts;
	mn->firing = n->firing != 0;
	mn->dup = n->dup_delivery != 0;
	mn->dead = 0;
	if ((mn->receiver = intern(&d->strs, n->receiver)) == NULL ||
	    (mn->group_labels = intern(&d->strs, n->group_labels)) == NULL)
		goto nomem;
	return 0;
nomem:
	mn->dead = 1;		/* never half a notification */
	return -1;
}

void
model_drop_notification(struct model_data *d, int64_t id)
{
	/* only for a notification whose insert was rolled back: not in
	 * the model at all, or one of the latest */
	for (size_t i = d->nns; i-- > 0;)
		if (d->ns[i].id == id) {
			d->ns[i].dead = 1;
			return;
		}
}

int
model_has_identity(const struct model_data *d, uint64_t identity)
{
	uint64_t v;

	return u64map_get(&d->idmap, identity, &v);
}

int
model_put_identity(struct model_data *d, uint64_t identity,
    const char *alertname, const char *labels)
{
	struct m_identity *r;
	uint64_t i;

	if (!u64map_get(&d->idmap, identity, &i)) {
		if (grow(&d->ids, d->nids, &d->cap_ids, sizeof(*d->ids)) < 0 ||
		    u64map_put(&d->idmap, identity, d->nids) < 0)
			return -1;
		i = d->nids++;
	}
	r = &d->ids[i];
	r->identity = identity;
	if ((r->alertname = intern(&d->strs, alertname)) == NULL ||
	    (r->labels = intern(&d->strs, labels)) == NULL) {
		r->alertname = r->labels = "";
		return -1;
	}
	return 0;
}

int
model_put_series(struct model_data *d, uint64_t series, uint64_t identity,
    enum series_kind kind, int64_t interval_ms)
{
	struct m_series *r;
	uint64_t i;

	if (!u64map_get(&d->sermap, series, &i)) {
		if (grow(&d->ser, d->nser, &d->cap_ser, sizeof(*d->ser)) < 0 ||
		    u64map_put(&d->sermap, series, d->nser) < 0)
			return -1;
		i = d->nser++;
	}
	r = &d->ser[i];
	r->series = series;
	r->identity = identity;
	r->kind = kind;
	r->interval_ms = interval_ms;
	return 0;
}

/* --- the model ----------------------------------------------------------- */

struct model *
model_new(void)
{
	struct model *m = calloc(1, sizeof(*m));
	pthread_rwlockattr_t attr;

	if (m == NULL)
		return NULL;
	pthread_rwlockattr_init(&attr);
	/* glibc prefers readers by default: a steady stream of scans would
	 * keep a commit waiting for ever */
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&m->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return m;
}

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	model_data_free(m->d);
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

void
model_install(struct model *m, struct model_data *d, uint64_t gen)
{
	struct model_data *old;

	pthread_rwlock_wrlock(&m->lock);
	old = m->d;
	m->d = d;
	m->gen = gen;
	m->valid = d != NULL;
	pthread_rwlock_unlock(&m->lock);
	model_data_free(old);
}

struct model_data *
model_write_begin(struct model *m)
{
	pthread_rwlock_wrlock(&m->lock);
	return m->d;
}

void
model_write_end(struct model *m, uint64_t gen, int valid)
{
	m->gen = gen;
	m->valid = valid && m->d != NULL;
	pthread_rwlock_unlock(&m->lock);
}

void
model_invalidate(struct model *m)
{
	pthread_rwlock_wrlock(&m->lock);
	m->valid = 0;
	pthread_rwlock_unlock(&m->lock);
}

void
model_stats(struct model *m, struct model_stats *out)
{
	const struct model_data *d;
	size_t live = 0;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&m->lock);
	if ((d = m->d) != NULL) {
		for (size_t i = 0; i < d->neps; i++)
			live += !d->eps[i].dead;
		out->from = d->from;
		out->episodes = live;
		out->notifications = d->nns;
		out->alerts = d->nas;
		out->identities = d->nids;
		out->series = d->nser;
		out->bytes = d->cap_eps * sizeof(*d->eps) +
		    (d->fired.cap + d->started.cap) * sizeof(uint32_t) +
		    d->cap_ns * sizeof(*d->ns) + d->cap_as * sizeof(*d->as) +
		    d->cap_ids * sizeof(*d->ids) +
		    d->cap_ser * sizeof(*d->ser) + u64map_bytes(&d->idmap) +
		    u64map_bytes(&d->sermap) + intern_bytes(&d->strs);
	}
	out->current = m->valid;
	out->gen = m->gen;
	pthread_rwlock_unlock(&m->lock);
}

/* --- reading ------------------------------------------------------------- */

/* Takes the read lock when the model is as of gen and holds [from, ...). */
static int
read_begin(struct model *m, uint64_t gen, int64_t from)
{
	pthread_rwlock_rdlock(&m->lock);
	if (m->valid && m->gen == gen && m->d != NULL && from >= m->d->from)
		return 0;
	pthread_rwlock_unlock(&m->lock);
	return MODEL_NOT_CURRENT;
}

static void
read_end(struct model *m)
{
	pthread_rwlock_unlock(&m->lock);
}

/* store_scan_episodes' rows: fired in [from, to), or before from and not
 * resolved by then */
static int
scanned_episode(const struct episode *e, int64_t from, int64_t to)
{
	if (e->firing_at == 0)
		return 0;
	if (e->firing_at >= from)
		return e->firing_at < to;
	return e->resolved_at == 0 || e->resolved_at >= from;
}

/* store_scan_pending_only's: ended while pending, went pending in
 * [from, to) */
static int
pending_only(const struct episode *e, int64_t from, int64_t to)
{
	return e->firing_at == 0 && e->resolved_at != 0 &&
	    e->pending_at >= from && e->pending_at < to;
}

static int
by_pending(const void *x, const void *y, void *p)
{
	const struct model_data *d = p;
	const struct episode *a = &d->eps[*(const uint32_t *)x].e;
	const struct episode *b = &d->eps[*(const uint32_t *)y].e;

	if (a->pending_at != b->pending_at)
		return a->pending_at < b->pending_at ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* The fired episodes in firing order: those that fired before from and
 * had not resolved by then, then those that fired in [from, to). */
int
model_scan_episodes(struct model *m, uint64_t gen, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg)
{
	const struct model_data *d;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	for (size_t k = 0; k < d->fired.n; k++) {
		const struct episode *e = &d->eps[d->fired.v[k]].e;

		if (e->firing_at >= to)
			break;
		if (scanned_episode(e, from, to) && fn(e, arg))
			break;
	}
	read_end(m);
	return 0;
}

int
model_count_fired(struct model *m, uint64_t gen, int64_t from, int64_t to,
    size_t *n)
{
	const struct model_data *d;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	*n = order_at(d, &d->fired, BY_FIRING, to, INT64_MIN) -
	    order_at(d, &d->fired, BY_FIRING, from, INT64_MIN);
	read_end(m);
	return 0;
}

/* The pending-only episodes of [from, to), by pending_at, with only what
 * the store's partial index covers (id, identity, pending_at,
 * resolved_at). */
int
model_scan_pending_only(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(const struct episode *, void *), void *arg)
{
	const struct model_data *d;
	uint32_t *v = NULL;
	size_t nv = 0, cap = 0;
	int sorted = 1, result = -1;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	for (size_t i = 0; i < d->neps; i++) {
		if (d->eps[i].dead || !pending_only(&d->eps[i].e, from, to))
			continue;
		if (grow(&v, nv, &cap, sizeof(*v)) < 0)
			goto out;
		v[nv++] = (uint32_t)i;
	}
	/* ids grow with time, so the order is mostly there already */
	for (size_t i = 1; i < nv && sorted; i++)
		sorted = by_pending(&v[i - 1], &v[i], (void *)d) <= 0;
	if (!sorted)
		qsort_r(v, nv, sizeof(*v), by_pending, (void *)d);
	for (size_t i = 0; i < nv; i++) {
		const struct episode *e = &d->eps[v[i]].e;
		struct episode part;

		memset(&part, 0, sizeof(part));
		part.id = e->id;
		part.identity = e->identity;
		part.pending_at = e->pending_at;
		part.resolved_at = e->resolved_at;
		if (fn(&part, arg))
			break;
	}
	result = 0;
out:
	read_end(m);
	free(v);
	return result;
}

/* The first notification received at or after t. */
static size_t
first_received(const struct model_data *d, int64_t t)
{
	return notification_at(d, t, INT64_MIN);
}

/* What store_scan_identities says of one identity. */
struct id_agg {
	uint64_t identity;
	uint64_t fp[4];			/* distinct fingerprints */
	uint64_t *more;
	size_t nfp, nmore, cap_more;
	int dup;
	int series[3];			/* by kind */
	int64_t interval_ms;		/* least > 0 */
};

static int
agg_fingerprint(struct id_agg *g, uint64_t fp)
{
	for (size_t k = 0; k < g->nfp && k < 4; k++)
		if (g->fp[k] == fp)
			return 0;
	for (size_t k = 0; k < g->nmore; k++)
		if (g->more[k] == fp)
			return 0;
	if (g->nfp < 4) {
		g->fp[g->nfp++] = fp;
		return 0;
	}
	if (grow(&g->more, g->nmore, &g->cap_more, sizeof(*g->more)) < 0)
		return -1;
	g->more[g->nmore++] = fp;
	return 0;
}

int
model_scan_identities(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(const struct identity_row *, void *), void *arg)
{
	const struct model_data *d;
	struct u64map seen = { 0 };
	struct id_agg *g = NULL;
	size_t ng = 0, cap = 0;
	uint64_t k;
	int result = -1;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	/* the identities of the window's episodes (any order) */
	for (size_t i = 0; i < d->neps; i++) {
		const struct episode *e = &d->eps[i].e;

		if (d->eps[i].dead || (!scanned_episode(e, from, to) &&
		    !pending_only(e, from, to)) ||
		    u64map_get(&seen, e->identity, &k))
			continue;
		if (grow(&g, ng, &cap, sizeof(*g)) < 0 ||
		    u64map_put(&seen, e->identity, ng) < 0)
			goto out;
		memset(&g[ng], 0, sizeof(g[ng]));
		g[ng++].identity = e->identity;
	}
	/* copies: the fingerprints the window's notifications carried */
	for (size_t i = first_received(d, from);
	    i < d->nns && d->ns[i].received_at < to; i++) {
		const struct m_notification *n = &d->ns[i];

		if (n->dead)
			continue;
		for (uint32_t j = 0; j < n->nalerts; j++) {
			const struct m_alert *a = &d->as[n->alert0 + j];

			if (!u64map_get(&seen, a->identity, &k))
				continue;
			g[k].dup += n->dup;
			if (agg_fingerprint(&g[k], a->fingerprint) < 0)
				goto out;
		}
	}
	/* or the most series of one kind */
	for (size_t i = 0; i < d->nser; i++) {
		const struct m_series *s = &d->ser[i];

		if (!u64map_get(&seen, s->identity, &k))
			continue;
		g[k].series[s->kind]++;
		if (s->interval_ms > 0 && (g[k].interval_ms == 0 ||
		    s->interval_ms < g[k].interval_ms))
			g[k].interval_ms = s->interval_ms;
	}
	for (size_t i = 0; i < ng; i++) {
		struct identity_row r;
		int series = 0;
		size_t nfp = g[i].nfp + g[i].nmore;

		if (!u64map_get(&d->idmap, g[i].identity, &k))
			continue;	/* the store's JOIN drops it too */
		for (int kind = 0; kind < 3; kind++)
			if (g[i].series[kind] > series)
				series = g[i].series[kind];
		r.identity = g[i].identity;
		r.alertname = d->ids[k].alertname;
		r.labels = d->ids[k].labels;
		r.interval_ms = g[i].interval_ms;
		r.copies = (int)nfp > series ? (int)nfp : series;
		if (r.copies < 1)
			r.copies = 1;
		r.dup_deliveries = g[i].dup;
		if (fn(&r, arg))
			break;
	}
	result = 0;
out:
	read_end(m);
	for (size_t i = 0; i < ng; i++)
		free(g[i].more);
	free(g);
	u64map_free(&seen);
	return result;
}

int
model_scan_notified(struct model *m, uint64_t gen, int64_t from, int64_t to,
    int firing_only, int (*fn)(const struct notified_row *, void *),
    void *arg)
{
	const struct model_data *d;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	for (size_t i = first_received(d, from);
	    i < d->nns && d->ns[i].received_at < to; i++) {
		const struct m_notification *n = &d->ns[i];
		struct notified_row r;
		int rows = 0;

		if (n->dead)
			continue;
		r.notification = n->id;
		r.received_at = n->received_at;
		r.receiver = n->receiver;
		r.group_labels = n->group_labels;
		for (uint32_t j = 0; j < n->nalerts; j++) {
			const struct m_alert *a = &d->as[n->alert0 + j];

			if (firing_only && (!n->firing || !a->firing))
				continue;
			r.episode = a->episode;
			r.identity = a->identity;
			r.alertname = a->alertname;
			rows++;
			if (fn(&r, arg))
				goto out;
		}
		if (firing_only && rows == 0) {
			/* every notification is seen */
			r.episode = 0;
			r.identity = 0;
			r.alertname = NULL;
			if (fn(&r, arg))
				goto out;
		}
	}
out:
	read_end(m);
	return 0;
}

int
model_scan_feedback(struct model *m, uint64_t gen, int64_t from, int64_t to,
    int (*fn)(int64_t, const char *, void *), void *arg)
{
	const struct model_data *d;

	if (read_begin(m, gen, from) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	for (size_t i = 0; i < d->neps; i++) {
		const struct m_episode *me = &d->eps[i];
		const struct episode *e = &me->e;

		if (me->dead || me->verdict == MODEL_NO_VERDICT ||
		    e->firing_at == 0 || e->firing_at >= to ||
		    (e->resolved_at != 0 && e->resolved_at < from))
			continue;
		if (fn(e->id, me->verdict == MODEL_ACTIONABLE ? "actionable" :
		    "noise", arg))
			break;
	}
	read_end(m);
	return 0;
}

int
model_count_open(struct model *m, uint64_t gen, int64_t *firing,
    int64_t *pending)
{
	const struct model_data *d;

	/* every open episode is held, whatever the range */
	if (read_begin(m, gen, INT64_MAX) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	*firing = *pending = 0;
	for (size_t i = 0; i < d->neps; i++) {
		const struct m_episode *me = &d->eps[i];

		if (me->dead || me->e.resolved_at != 0)
			continue;
		if (me->e.firing_at != 0)
			(*firing)++;
		else
			(*pending)++;
	}
	read_end(m);
	return 0;
}

/* --- the episode list ---------------------------------------------------- */

/* A row of the chunk being listed, and the receivers found for it. */
struct q_row {
	size_t ep;			/* in eps[] */
	const struct m_identity *id;
	const char **recv;
	size_t nrecv, cap;
};

/* Whether episode e, of identity id, is one f lists. */
static int
query_matches(const struct episode_filter *f, const struct episode *e,
    const struct m_identity *id)
{
	if (f->open_only && e->resolved_at != 0)
		return 0;
	if (f->since != 0 && e->resolved_at != 0 && e->resolved_at < f->since)
		return 0;
	return f->alertname == NULL || strcmp(f->alertname, id->alertname) == 0;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The distinct receivers of each row of rows[0..n), from the
 * notifications received from MODEL_RECEIVERS_SLACK_MS before the earliest
 * start on: one pass over them, the rows found by episode id. */
static int
query_receivers(const struct model_data *d, struct q_row *rows, size_t n)
{
	struct u64map at = { 0 };
	int64_t first = INT64_MAX;
	uint64_t r;

	for (size_t k = 0; k < n; k++) {
		const struct episode *e = &d->eps[rows[k].ep].e;

		if (u64map_put(&at, (uint64_t)e->id, k) < 0)
			goto nomem;
		if (EPISODE_START(e) < first)
			first = EPISODE_START(e);
	}
	first = first > INT64_MIN + MODEL_RECEIVERS_SLACK_MS ?
	    first - MODEL_RECEIVERS_SLACK_MS : INT64_MIN;
	for (size_t i = first_received(d, first); i < d->nns; i++) {
		const struct m_notification *mn = &d->ns[i];

		if (mn->dead)
			continue;
		for (uint32_t j = 0; j < mn->nalerts; j++) {
			const struct m_alert *a = &d->as[mn->alert0 + j];
			struct q_row *q;
			size_t s;

			if (a->episode == 0 ||
			    !u64map_get(&at, (uint64_t)a->episode, &r))
				continue;
			q = &rows[r];
			for (s = 0; s < q->nrecv && q->recv[s] != mn->receiver;
			    s++)
				;	/* interned: one pointer per name */
			if (s < q->nrecv)
				continue;
			if (grow(&q->recv, q->nrecv, &q->cap,
			    sizeof(*q->recv)) < 0)
				goto nomem;
			q->recv[q->nrecv++] = mn->receiver;
		}
	}
	for (size_t k = 0; k < n; k++)
		if (rows[k].nrecv > 1)
			qsort(rows[k].recv, rows[k].nrecv, sizeof(*rows[k].recv),
			    by_name);
	u64map_free(&at);
	return 0;
nomem:
	u64map_free(&at);
	return -1;
}

/* Lists chunks of rows, each twice as long as the one before (the first
 * rows are what most callers want; the receivers' pass grows with how
 * far back a chunk reaches). */
#define QUERY_CHUNK_FIRST 64
#define QUERY_CHUNK_MAX 65536

int
model_query_episodes(struct model *m, uint64_t gen,
    const struct episode_filter *f, int64_t *rest,
    int (*fn)(const struct model_episode_row *, void *), void *arg)
{
	const struct model_data *d;
	struct q_row *rows = NULL;
	size_t k, n, chunk = QUERY_CHUNK_FIRST;
	int64_t bound;
	int result = 0, done = 0;

	if (read_begin(m, gen, INT64_MAX) < 0)
		return MODEL_NOT_CURRENT;
	d = m->d;
	/* an episode that is not held resolved before d->from and started
	 * by d->older */
	if (f->open_only || d->older == INT64_MIN ||
	    (f->since != 0 && f->since >= d->from)) {
		*rest = 0;
		bound = INT64_MIN;
	} else {
		*rest = bound = d->older + 1;
	}
	/* from the last one that starts by until, backwards */
	k = f->until != 0 ?
	    order_at(d, &d->started, BY_START, f->until, INT64_MAX) :
	    d->started.n;
	while (!done) {
		struct q_row *p = realloc(rows, chunk * sizeof(*rows));

		if (p == NULL) {
			result = -1;
			break;
		}
		rows = p;
		memset(rows, 0, chunk * sizeof(*rows));
		for (n = 0; n < chunk && !done;) {
			const struct episode *e;
			uint64_t at;

			if (k == 0) {
				done = 1;
				break;
			}
			rows[n].ep = d->started.v[--k];
			e = &d->eps[rows[n].ep].e;
			if (EPISODE_START(e) < bound) {
				done = 1;
				break;
			}
			if (!u64map_get(&d->idmap, e->identity, &at))
				continue;	/* the store's JOIN drops it */
			rows[n].id = &d->ids[at];
			if (query_matches(f, e, rows[n].id))
				n++;
		}
		if (n > 0 && query_receivers(d, rows, n) < 0)
			result = -1;
		for (size_t j = 0; j < n && result == 0; j++) {
			struct model_episode_row r;

			r.e = d->eps[rows[j].ep].e;
			r.alertname = rows[j].id->alertname;
			r.labels = rows[j].id->labels;
			r.receivers = rows[j].recv;
			r.nreceivers = rows[j].nrecv;
			if (fn(&r, arg)) {
				result = 1;
				*rest = 0;
			}
		}
		for (size_t j = 0; j < n; j++)
			free(rows[j].recv);
		if (result != 0)
			break;
		if (chunk < QUERY_CHUNK_MAX)
			chunk *= 2;
	}
	read_end(m);
	free(rows);
	return result;
}

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
 * replay of everything gives. */
#include "amroute.h"
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
#define FOR_STATE_MS		1000	/* ALERTS_FOR_STATE's resolution */
#define OPEN			INT64_MAX
#define NONE			SIZE_MAX	/* no group, key or tuple */

/* --- interned keys ------------------------------------------------------- */

/* Byte strings numbered 0, 1, ... in order of arrival, found again by an
 * open-addressing hash (FNV-1a 64). */
struct intern {
	size_t *slot;			/* cap of them: 1 + id, 0: empty */
	size_t cap;
	char **key;
	size_t *len;
	uint64_t *hash;
	size_t n, kcap;
};

static uint64_t
fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
intern_grow(struct intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	size_t *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t x = 0; x < t->n; x++) {
		size_t i = (size_t)t->hash[x] & (cap - 1);

		while (s[i] != 0)
			i = (i + 1) & (cap - 1);
		s[i] = x + 1;
	}
	free(t->slot);
	t->slot = s;
	t->cap = cap;
	return 0;
}

/* The number of s[0..len) in t, added when new. Returns 0 and *id, or -1
 * on out-of-memory (t unchanged). */
static int
intern(struct intern *t, const char *s, size_t len, size_t *id)
{
	uint64_t h = fnv1a(s, len);
	size_t i;
	char *k;

	if (2 * (t->n + 1) > t->cap && intern_grow(t) < 0)
		return -1;
	for (i = (size_t)h & (t->cap - 1); t->slot[i] != 0;
	    i = (i + 1) & (t->cap - 1)) {
		size_t x = t->slot[i] - 1;

		if (t->hash[x] == h && t->len[x] == len &&
		    memcmp(t->key[x], s, len) == 0) {
			*id = x;
			return 0;
		}
	}
	if (t->n == t->kcap) {
		size_t cap = t->kcap ? t->kcap * 2 : 64;
		char **pk = realloc(t->key, cap * sizeof(*pk));
		size_t *pl;
		uint64_t *ph;

		if (pk == NULL)
			return -1;
		t->key = pk;
		if ((pl = realloc(t->len, cap * sizeof(*pl))) == NULL)
			return -1;
		t->len = pl;
		if ((ph = realloc(t->hash, cap * sizeof(*ph))) == NULL)
			return -1;
		t->hash = ph;
		t->kcap = cap;
	}
	if ((k = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(k, s, len);
	t->key[t->n] = k;
	t->len[t->n] = len;
	t->hash[t->n] = h;
	t->slot[i] = ++t->n;
	*id = t->n - 1;
	return 0;
}

static void
intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->key[i]);
	free(t->key);
	free(t->len);
	free(t->hash);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* A key being built: bytes, length-prefixed where they vary. */
struct kbuf {
	char *p;
	size_t n, cap;
	int failed;
};

static void
kb_put(struct kbuf *k, const void *p, size_t n)
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

static void
kb_str(struct kbuf *k, const char *s, size_t n)
{
	kb_put(k, &n, sizeof(n));
	kb_put(k, s, n);
}

/* A label value as group_key's JSON had it: absent and null alike (both
 * serialize as null), a string by its bytes, anything else serialized.
 * Equal encodings <=> equal serializations. */
static void
kb_value(struct kbuf *k, const json_t *v)
{
	if (v == NULL || json_is_null(v)) {
		kb_put(k, "n", 1);
	} else if (json_is_string(v)) {
		kb_put(k, "s", 1);
		kb_str(k, json_string_value(v), json_string_length(v));
	} else {
		char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_SORT_KEYS);

		if (d == NULL) {
			k->failed = 1;
			return;
		}
		kb_put(k, "j", 1);
		kb_str(k, d, strlen(d));
		free(d);
	}
}

static int
key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* --- history ------------------------------------------------------------- */

struct rp_receiver {
	char *name;
	char **group_by;		/* the keys of its groups' labels */
	size_t ngroup_by;
	int group_seen;			/* group_by given by hand */
	int recorded;			/* history holds its notifications: its
					   replay can be compared with them */
};

struct rp_recorded {
	char *alertname;
	size_t receiver;
	long n;
	int64_t last_notification;	/* counts a notification once */
};

/* A silence in effect for identity ident over [from, to). */
struct rp_sil {
	size_t ident;
	int64_t from, to;
};

struct rp_history {
	struct rp_receiver *recv;
	size_t nrecv;
	struct rp_sil *sil;		/* sorted by ident when replayed */
	size_t nsil;
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
	return id < t->n && t->len[id] == c->kb.n &&
	    memcmp(t->key[id], c->kb.p, c->kb.n) == 0;
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
	size_t r, i, nseen = c->seen.n;

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
	kb_put(&c->kb, &r, sizeof(r));
	kb_put(&c->kb, gl, strlen(gl));
	if (c->kb.failed)
		goto nomem;
	if (!same_key(c, &c->seen, c->last_seen)) {
		if (intern(&c->seen, c->kb.p, c->kb.n, &c->last_seen) < 0)
			goto nomem;
		if (c->seen.n > nseen && set_group_by(&h->recv[r], gl) < 0)
			goto nomem;
	}
	hit = c->byfp ? bsearch(&key, c->byfp, c->l.a->nids, sizeof(key),
	    fp_idx_cmp) : NULL;
	if (hit != NULL && mark_routed(h, c->l.a->nids, hit->idx, r) < 0)
		goto nomem;
	c->kb.n = 0;
	kb_put(&c->kb, &r, sizeof(r));
	kb_put(&c->kb, row->alertname, strlen(row->alertname));
	if (c->kb.failed)
		goto nomem;
	if (!same_key(c, &c->recs, c->last_rec) && intern(&c->recs, c->kb.p,
	    c->kb.n, &c->last_rec) < 0)
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

static int
routed(const struct rp_history *h, size_t ident, size_t r)
{
	return r < h->cols && h->routed[ident * h->cols + r];
}

/* --- the rule model ------------------------------------------------------ */

/* A firing of an identity under some settings: [at, end), end OPEN while
 * it still fires. */
struct firing {
	int64_t at, end;
};

/* Firings of many identities. An identity's are a slot of v in the order
 * the rule model gives them (what episode effects read); the Alertmanager
 * model reads them sorted by start (stably), which is v's slot itself
 * unless a copy in alt was needed; mx[i] is the latest end among the
 * sorted ones up to i, so that "does any fire at t" is a binary search. */
struct fset {
	struct firing *v, *alt;
	int64_t *mx;
	size_t n, cap, nalt, capalt;
};

struct slot {
	size_t off, n;			/* in v and mx */
	size_t aoff;			/* in alt, when sorted_copy */
	int sorted_copy;
};

struct fview {
	const struct firing *raw, *am;	/* rule model / start order */
	const int64_t *mx;
	size_t n;
};

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

static void
fset_free(struct fset *f)
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

/* The evaluation interval of identity k's rule. */
static int64_t
interval_of(const struct analysis *a, size_t k)
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
	int64_t iv = interval_of(a, e->ident), p;

	if (e->pending_at == 0 || e->firing_at == 0)
		return -1;
	p = e->firing_at - active_at(e, iv);
	if (p < 0)
		p = 0;	/* another replica's activeAt, later */
	return p - p % iv;
}

/* The `for` history shows: the shortest pending phase of the identity's
 * fired episodes (list[0..n) of a->eps), rp_pending_ms. */
static int64_t
recorded_for(const struct analysis *a, const size_t *list, size_t n)
{
	int64_t best = -1;

	for (size_t j = 0; j < n; j++) {
		int64_t p = rp_pending_ms(a, &a->eps[list[j]]);

		if (p >= 0 && (best < 0 || p < best))
			best = p;
	}
	return best < 0 ? 0 : best;
}

/* --- the base ------------------------------------------------------------ */

/* How a receiver's notifications are grouped and timed, on one route. */
struct route_eff {
	const char *const *group_by;
	size_t ngroup_by;
	int all_labels;
	int64_t wait, interval, repeat;
	int send_resolved;
	const struct am_config *tree;	/* with route_id: muted when its
					   time intervals say so */
	size_t route_id;
};

/* Group keys of the identities under one group_by: ids[k] is identity
 * k's (NONE until asked for). */
struct gspec {
	int all_labels;
	char **by;			/* copies */
	size_t nby;
	size_t *ids;
	struct intern keys;
	struct gspec *next;
};

/* An inhibit rule, indexed: which identities are its sources and targets,
 * and their `equal` values as a number (tuple), with the sources and the
 * targets of each tuple. */
struct inh {
	unsigned char *src, *tgt;
	size_t *tuple;			/* NONE: neither source nor target */
	size_t ntuples;
	size_t *sfirst, *sidx;		/* sources of tuple u: sidx[sfirst[u]..
					   sfirst[u + 1]), ascending */
	size_t *tfirst, *tidx;		/* targets, likewise */
};

/* A receiver under the current settings, and a run's changes to it. */
struct recv {
	struct route_eff *node;		/* its routes (route_nodes) */
	size_t nnode;
	int paging;
	size_t *gid;			/* per identity: its group, NONE: not
					   routed here */
	size_t ngroups;
	size_t *gnode;			/* per group: its route */
	size_t *gfirst, *gmem;		/* group g: gmem[gfirst[g]..gfirst[g + 1])
					   ascending */
	long *gtotal, *gpages;		/* what each group sent */
	size_t *gnf;			/* its identities that fire */
	long *n, *p;			/* per identity: notifications and pages
					   it was the first of its alertname
					   in (carried), so that an
					   alertname's sum counts each once */
	long total, pages;
	long *bsum_n, *bsum_p;		/* per alertname: the count's before */
	unsigned char *bused;		/* per alertname: a count exists */
	/* a run's */
	int full;			/* replayed whole under new settings */
	long rtotal, rpages;
	unsigned long *ostamp;		/* per identity: on / op are the run's */
	long *on, *op;
	unsigned long *gstamp;		/* per group: replayed again */
	unsigned long *nstamp;		/* per alertname: recount */
};

/* One member in the per-identity episode effects. */
struct effect {
	long noise_removed, delayed, lost;
};

struct rp_base {
	const struct analysis *a;
	const struct rp_history *h;
	const struct an_opts *o;
	const struct rp_settings *cur;
	size_t nids;
	struct an_by_ident by;
	int64_t *cur_for_raw, *cur_for, *cur_kff;	/* per identity */
	struct fset f;			/* the current settings' firings */
	struct slot *fs;		/* per identity */
	struct inh *inh;		/* the current inhibit rules */
	size_t ninh;
	struct recv *recv;		/* h->nrecv of them */
	size_t *rorder;			/* receivers by name */
	struct gspec *specs;
	/* alertnames */
	size_t nnames;
	size_t *nfirst, *nidx;		/* identities of name n, CSR */
	unsigned char *nmark;		/* per name: flush's scratch */
	size_t *name_of;		/* per identity */
	const char **names;		/* sorted */
	long *recorded;			/* [r * nnames + n] */
	/* episode effects under the current settings */
	struct effect *eff;		/* per identity */
	struct effect eff_total;
	double *delays;			/* per identity: delays[dfirst[k]..
					   dfirst[k + 1]) */
	size_t *dfirst;
	long nbase_delays;
	/* a run's */
	unsigned long stamp;
	unsigned long *fstamp;		/* per identity: rf/rfs are the run's */
	struct fset rf;
	struct slot *rfs;
	unsigned long *astamp;		/* per identity: affected */
	size_t *alist, *clist;		/* affected, changed identities */
	size_t nalist, nclist;
	size_t *ids, *of;		/* scratch, nids of each */
	struct member *m;
	size_t *heap, *pres;
	/* silences per identity: sil[sfirst[k]..sfirst[k + 1]) */
	size_t *sfirst;
	const struct rp_sil **sil;
	/* rp_notifications' hook, NULL for a replay that only counts */
	rp_note_fn note;
	void *note_arg;
	size_t *note_eps;		/* scratch, nids */
	int note_failed;
};

static void
view(const struct rp_base *b, size_t k, struct fview *v)
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

static size_t
nfirings(const struct rp_base *b, size_t k)
{
	return b->fstamp[k] == b->stamp ? b->rfs[k].n : b->fs[k].n;
}

/* Whether identity k fires at t. */
static int
fires_at(const struct rp_base *b, size_t k, int64_t t)
{
	struct fview v;
	size_t lo = 0, hi;

	view(b, k, &v);
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

/* Appends identity k's firings under for_ms and kff to f, in slot s. */
static int
ident_firings(const struct rp_base *b, size_t k, int64_t for_ms,
    int64_t kff, struct fset *f, struct slot *s)
{
	const struct analysis *a = b->a;
	const size_t *list = &b->by.order[b->by.first[k]];
	size_t nlist = b->by.first[k + 1] - b->by.first[k];
	int64_t cur_for = b->cur_for[k], cur_kff = b->cur_kff[k];
	int64_t iv = interval_of(a, k);
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
	if (kb->failed || intern(&g->keys, kb->p ? kb->p : "", kb->n,
	    &id) < 0)
		return NONE;
	return g->ids[k] = id;
}

static void
specs_free(struct gspec *g)
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

/* Indexes inhibit rule ih over the identities. */
static int
inh_build(const struct analysis *a, const struct rp_inhibit *ih,
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
		if (kb.failed || intern(&tuples, kb.p ? kb.p : "", kb.n,
		    &x->tuple[k]) < 0)
			goto out;
	}
	x->ntuples = tuples.n;
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

static void
inh_free(struct inh *x)
{
	free(x->src);
	free(x->tgt);
	free(x->tuple);
	free(x->sfirst);
	free(x->sidx);
	free(x->tfirst);
	free(x->tidx);
}

/* --- the Alertmanager model ---------------------------------------------- */

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

static int
same_route(const struct route_eff *x, const struct route_eff *y)
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

/* A selector's verdict on every identity, computed once per run. */
struct mvec {
	const struct sel *s;
	unsigned char *v;
};

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

/* An alert of a group: one identity, its firings in time order, and what
 * the receiver last heard of it. Alertmanager knows an alert by its labels,
 * so a re-firing is the same alert again, not a new one. */
struct member {
	size_t ident;
	const struct firing *iv;	/* its firings, sorted by start */
	size_t niv;
	size_t k;			/* the firing that matters now */
	int present;			/* in the group */
	int told_firing;		/* in the last notification, firing */
	int told_resolved;		/* in the last notification, resolved */
};

/* What a group's replay reads and where it counts. */
struct gctx {
	const struct rp_base *b;
	const struct inh *const *inh;	/* the inhibit rules in effect */
	size_t ninh;
	const struct route_eff *r;
	int paging;
	long *n, *p;			/* per identity, added to */
	long total, pages;		/* the group's */
	size_t *heap, *pres;		/* scratch, room for a group's alerts */
	/* rp_notifications': told every delivered notification */
	const char *receiver;
	size_t *eps;			/* scratch, room for a group's alerts */
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
			    fires_at(g->b, x->sidx[j], t))
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
	int64_t by = f->at + interval_of(a, k);

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

/* One aggregation group of one receiver over the window. Ticks where
 * nothing can change are skipped. */
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
		if (t >= to)
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

/* Replays the group of identities ids[0..n) (ascending): those that fire
 * are its alerts. m has room for n. */
static void
replay_group(struct gctx *g, const size_t *ids, size_t n, struct member *m)
{
	size_t nm = 0;

	g->total = g->pages = 0;
	for (size_t i = 0; i < n; i++) {
		struct fview v;

		view(g->b, ids[i], &v);
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

/* Whether a route of s names receiver, or no receiver (all of them). */
static int
routes_to(const struct rp_settings *s, const char *receiver, int matchers)
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

/* Receiver r's routes under cur, then p's on top (p may be NULL). The
 * routes naming r or no receiver apply in order, each over what the ones
 * before it set (over Alertmanager's defaults and history's group_by): one
 * without matchers to all of r's alerts, one with matchers only to the
 * alerts it matches, which then form aggregation groups of their own, as
 * under a sub-route (alertmanager dispatch/dispatch.go keeps aggregation
 * groups per route). Node 0 is the route of the alerts no matcher route
 * matches; each set of matcher routes some alert matches is one node more.
 * An alert reaches r when history notified it to r or a matcher route
 * naming r matches it. Fills of[k], identity k's node (NONE: it does not
 * reach r), and *node (the caller frees it; intervals defaulted). Returns
 * 0, or -1 on out-of-memory. */
static int
route_nodes(struct rp_base *b, size_t r, const struct rp_settings *cur,
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
	if ((nmr > 0 && intern(&sig, key, nrt, &id) < 0) ||
	    node_add(node, nnode, &def, rt, key, nrt) < 0)
		goto out;
	for (size_t k = 0; k < b->nids; k++) {
		int reach = routed(b->h, k, r);

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
		else if (intern(&sig, key, nrt, &id) < 0)
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

struct gk {
	size_t key, ident;
};

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

/* Groups the identities ids[0..n) by their route, node[of[k]], then by
 * their key under it: *out as group_ids', node 0's groups first. Returns
 * the number of groups, or NONE on out-of-memory. */
static size_t
group_routed(struct rp_base *b, const struct route_eff *node, size_t nnode,
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

		if (route_nodes(b, r, b->cur, NULL, &mv, &nmv, &rv->node,
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
		if ((rv->ngroups = group_routed(b, rv->node, rv->nnode, b->of,
		    b->ids, nm, &gv)) == NONE) {
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
			replay_group(&g, rv->gmem + rv->gfirst[x],
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

				if (rv->n[k] == 0 && !routed(h, k, r))
					continue;
				rv->bused[x] = 1;
				rv->bsum_n[x] += rv->n[k];
				rv->bsum_p[x] += rv->p[k];
			}
		}
	}
	return 0;
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
	view(b, k, &v);
	for (size_t i = 0; i < nlist; i++) {
		const struct an_episode *e = &a->eps[list[i]];
		int64_t start = e->pending_at ? active_at(e,
		    interval_of(a, k)) : e->firing_at;
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

static int
base_effects(struct rp_base *b)
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

static int
base_new(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    rp_note_fn note, void *note_arg, struct rp_base **out)
{
	struct rp_base *b;
	size_t n = a->nids ? a->nids : 1;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->note = note;
	b->note_arg = note_arg;
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
		rule_for(current, &a->ids[k], &b->cur_for_raw[k],
		    &b->cur_kff[k]);
		b->cur_for[k] = b->cur_for_raw[k] >= 0 ? b->cur_for_raw[k] :
		    recorded_for(a, &b->by.order[b->by.first[k]], nlist);
		if (ident_firings(b, k, b->cur_for[k], b->cur_kff[k], &b->f,
		    &b->fs[k]) < 0)
			goto fail;
	}
	if (current != NULL && current->ninhibits > 0) {
		if ((b->inh = calloc(current->ninhibits, sizeof(*b->inh))) ==
		    NULL)
			goto fail;
		for (; b->ninh < current->ninhibits; b->ninh++)
			if (inh_build(a, &current->inhibits[b->ninh],
			    &b->inh[b->ninh]) < 0) {
				inh_free(&b->inh[b->ninh]);
				goto fail;
			}
	}
	if (base_silences(b) < 0 || base_names(b) < 0 ||
	    base_receivers(b) < 0 || b->note_failed ||
	    base_sums(b) < 0 || base_effects(b) < 0)
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
	return base_new(a, h, o, current, NULL, NULL, out);
}

int
rp_notifications(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    rp_note_fn fn, void *arg)
{
	struct rp_base *b;

	if (base_new(a, h, o, current, fn, arg, &b) < 0)
		return -1;
	rp_base_free(b);
	return 0;
}

void
rp_base_free(struct rp_base *b)
{
	if (b == NULL)
		return;
	an_by_ident_free(&b->by);
	free(b->note_eps);
	free(b->sfirst);
	free(b->sil);
	free(b->cur_for_raw);
	free(b->cur_for);
	free(b->cur_kff);
	fset_free(&b->f);
	fset_free(&b->rf);
	free(b->fs);
	free(b->rfs);
	for (size_t i = 0; i < b->ninh; i++)
		inh_free(&b->inh[i]);
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
	specs_free(b->specs);
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

/* The firings of the identities p's rules give other settings: where they
 * differ from the base's, the run's (b->rf, clist). */
static int
run_rules(struct rp_base *b, const struct rp_settings *p)
{
	for (size_t k = 0; p != NULL && p->nrules > 0 && k < b->nids; k++) {
		int64_t for_ms = b->cur_for_raw[k], kff = b->cur_kff[k];
		const struct slot *s = &b->fs[k], *t = &b->rfs[k];
		size_t mark = b->rf.n, amark = b->rf.nalt;

		rule_for(p, &b->a->ids[k], &for_ms, &kff);
		if (for_ms < 0)
			for_ms = b->cur_for[k];
		if (for_ms == b->cur_for[k] && kff == b->cur_kff[k])
			continue;
		if (ident_firings(b, k, for_ms, kff, &b->rf, &b->rfs[k]) < 0)
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

/* The episode effects: the base's, those of the changed identities
 * recomputed. */
static int
run_effects(struct rp_base *b, struct rp_result *res)
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
				cnt[u] += nfirings(b, x->sidx[q]) > 0;
		for (size_t u = 0; u < x->ntuples; u++)
			for (size_t q = x->tfirst[u]; q < x->tfirst[u + 1];
			    q++) {
				size_t k = x->tidx[q];

				if (cnt[u] > (size_t)(x->src[k] &&
				    nfirings(b, k) > 0))
					affect(b, k);
			}
		free(cnt);
	}
	return 0;
}

/* Receiver r under new routes, node[of[k]] for identity k (route_nodes):
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
		if (nfirings(b, k) > 0 && of[k] != NONE)
			b->ids[nm++] = k;
	if ((ng = group_routed(b, node, nnode, of, b->ids, nm, &gv)) ==
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
		int same = x != NONE && same_route(&node[of[b->ids[i]]],
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
			replay_group(g, b->ids + i, j - i, b->m);
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
		replay_group(g, rv->gmem + lo, hi - lo, b->m);
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

	for (size_t x = 0; x < b->nnames; x++) {
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
					    !routed(h, k, r))
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
	if (run_rules(b, proposed) < 0 || run_effects(b, res) < 0)
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
		if (inh_build(b->a, ih, &ninh[nnew]) < 0) {
			inh_free(&ninh[nnew]);
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
		if (routes_to(proposed, h->recv[r].name, 0)) {
			if (route_nodes(b, r, cur, proposed, &mv, &nmv, &node,
			    &nnode, b->of) < 0)
				goto out;
			rv->full = routes_to(proposed, h->recv[r].name, 1) ||
			    nnode != rv->nnode;
			for (size_t j = 0; !rv->full && j < nnode; j++)
				rv->full = !same_route(&node[j], &rv->node[j]);
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
		inh_free(&ninh[i]);
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
	struct rp_base *b;
	int result;

	memset(res, 0, sizeof(*res));
	if (rp_base_new(a, h, o, current, &b) < 0)
		return -1;
	result = rp_base_run(b, proposed, res);
	rp_base_free(b);
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
		    c->receiver, "notifications_before", (json_int_t)c->before,
		    "notifications_after", (json_int_t)c->after,
		    "pages_before", (json_int_t)c->pages_before,
		    "pages_after", (json_int_t)c->pages_after,
		    "recorded", c->observed ? json_integer(c->recorded) :
		    json_null()));
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

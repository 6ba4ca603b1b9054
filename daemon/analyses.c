/* analyses.c -- the daemon's cache of recent analyses (lib/analysis/analysis.h).
 *
 * An analysis of a window costs a scan of the window's data, so answers
 * reuse one while nothing it was computed from has changed: the store's
 * data (store_generation: any commit, the daemon's own or an import's),
 * the verdicts, sources and configuration (feedback_gen), and -- since a
 * window slides with the clock -- for at most analysis.cache_ttl. So every
 * answer reflects every write acknowledged before the request arrived.
 * Entries are reference-counted: a request keeps its analysis while it
 * renders, even if the cache moves on. An entry is in the cache while it
 * is computed: requests for its window wait for it (one scan for a burst),
 * requests for other windows are answered meanwhile, and no lock is held
 * across the scan. What is derived from an analysis -- its views
 * (an_views.h), its recommendations -- is computed once per entry, on first
 * use, the same way (analysis_memo), and kept with it: every surface that
 * shows a window's numbers at one generation shows the same ones. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "an_views.h"
#include "analyses.h"
#include "log.h"
#include "metrics.h"
#include "respond.h"
#include "routing.h"
#include "selector.h"
#include "sources.h"
#include "timefmt.h"

#define SLOTS 8
/* How long a request waiting for another's computation sleeps between
 * looks at its own deadline, its client and the shutdown. */
#define WAIT_SLICE_MS 100

/* Who still wants a computation (an entry's analysis, a memo): the
 * request computing it (its starter) and those waiting for it. When every
 * one of them has given up, the computation stops: nobody would read it. */
struct want {
	int n;			/* under lock: the starter and waiters in */
	int why;		/* under lock: REQUEST_* of the last one out */
	struct request *starter;	/* NULL: no request's (the KPIs):
					   only the shutdown stops it */
	int starter_in;		/* the computing thread's: starter in n */
	int stopped;		/* under lock: analysis_work_stops said so */
	unsigned gen;		/* under lock: which computation (a memo
				   is computed again after a failure) */
};

struct cached {
	struct analysis *a;
	struct an_opts opts;		/* what a->ids[].t point into */
	struct an_override *overrides;
	size_t noverrides;
	int64_t window_ms, computed_at;	/* window_ms 0: a span, */
	int64_t from, to;		/* [from, to) */
	char **match_text;		/* the selection's selectors, sorted */
	struct sel **match;		/* and parsed: opts.match */
	size_t nmatch;
	uint64_t gen, data;		/* feedback_gen, store_generation */
	int refs;			/* the cache's own counts as one */
	int done;			/* under lock: computed, a NULL on
					   failure (err says why) */
	char err[256];
	struct sources *src;		/* what opts point into, */
	const struct an_config *cfg;	/* and this too: both held */
	struct want want;		/* of a while not done */
	struct memo {			/* analysis_memo's results */
		int state;		/* under lock: MEMO_* */
		void *v;
		void (*release)(void *);
		struct want want;	/* while MEMO_COMPUTING */
	} memo[ANALYSIS_MEMOS];
};

enum { MEMO_NONE, MEMO_COMPUTING, MEMO_DONE };

/* lock guards the slots, each entry's done and its memos' states, and
 * every struct want; computed (CLOCK_MONOTONIC) is signalled when an entry
 * or a memo is done. Neither is held while an analysis or a memo is
 * computed. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t computed;
static pthread_once_t computed_once = PTHREAD_ONCE_INIT;
static struct cached *slots[SLOTS];
static uint64_t freed;			/* analyses freed; atomic */
/* The computation the calling thread runs (its want), NULL: none. */
static _Thread_local struct want *computing;
static struct met_family *m_cancelled;	/* {reason} */

static void
computed_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&computed, &ca);
	pthread_condattr_destroy(&ca);
}

int
analysis_metrics(struct met_registry *reg)
{
	static const char *const label[] = { "reason" };
	static const int reasons[] = { REQUEST_GONE, REQUEST_DEADLINE,
	    REQUEST_SHUTDOWN };

	if (m_cancelled != NULL)
		return 0;
	m_cancelled = met_register(reg, MET_COUNTER,
	    "alertnoise_analysis_cancelled_total",
	    "Analyses, recommendations and reports given up before they were "
	    "done, by reason: client_gone (every request that wanted it hung "
	    "up), deadline (past their web.request_timeout), shutdown.", 1,
	    label, NULL, 0);
	if (m_cancelled == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *v = request_stop_reason(reasons[i]);

		met_add(m_cancelled, &v, 0);
	}
	return 0;
}

static void
count_cancelled(int why)
{
	const char *v = request_stop_reason(why ? why : REQUEST_SHUTDOWN);

	met_add(m_cancelled, &v, 1);
}

/* Why the calling request's analysis was given up, for its answer (a
 * page shows it; the API answers respond_stopped's). */
static void
stop_message(int why, char *err, size_t errlen)
{
	request_stop_message(why, "the analysis", err, errlen);
}

void
analysis_stop_message(const char *what, char *err, size_t errlen)
{
	struct want *w = computing;
	int why;

	pthread_mutex_lock(&lock);
	why = w != NULL && w->n == 0 ? w->why : REQUEST_LIVE;
	pthread_mutex_unlock(&lock);
	if (why == REQUEST_LIVE)
		why = request_stopping(request_current());
	request_stop_message(why, what, err, errlen);
}

/* w taken by the calling request as the computation's starter (lock
 * held, or w not yet shared). */
static void
want_start(struct want *w)
{
	w->n = 1;
	w->gen++;
	w->why = REQUEST_LIVE;
	w->stopped = 0;
	w->starter = request_current();
	w->starter_in = 1;
}

/* One of w's wanters gives up for why (lock held). */
static void
want_leave(struct want *w, int why)
{
	if (--w->n == 0)
		w->why = why;
}

int
analysis_work_stops(const void *arg)
{
	struct want *w = computing;
	int why, n;

	(void)arg;
	if (w == NULL)		/* work of the request's own */
		return request_stopping(request_current()) != REQUEST_LIVE;
	/* a shared computation: its starter checks itself (its deadline,
	 * its client) on behalf of the others, who wait and check theirs */
	why = w->starter_in ? request_stopping(w->starter) :
	    requests_shutting_down() ? REQUEST_SHUTDOWN : REQUEST_LIVE;
	pthread_mutex_lock(&lock);
	if (why == REQUEST_SHUTDOWN) {
		w->why = why;
		n = 0;
	} else {
		if (why != REQUEST_LIVE && w->starter_in) {
			w->starter_in = 0;
			want_leave(w, why);
		}
		n = w->n;
	}
	w->stopped |= n == 0;
	pthread_mutex_unlock(&lock);
	return n == 0;
}

/* Waits (lock held) until *state is no longer busy, or another
 * computation has taken w, in slices of WAIT_SLICE_MS, as one of w's
 * wanters (counted in w->n by the caller). Returns REQUEST_LIVE, or why
 * the calling request gave up (it has left w; request_stopping). */
static int
wait_while(struct want *w, const int *state, int busy)
{
	struct request *r = request_current();
	unsigned gen = w->gen;
	struct timespec ts;
	int why;

	while (*state == busy && w->gen == gen) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WAIT_SLICE_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&computed, &lock, &ts);
		if (*state != busy || w->gen != gen)
			break;
		if ((why = request_stopping(r)) != REQUEST_LIVE) {
			want_leave(w, why);
			return why;
		}
	}
	return REQUEST_LIVE;
}

static void
texts_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
cached_free(struct cached *c)
{
	for (int i = 0; i < ANALYSIS_MEMOS; i++)
		if (c->memo[i].state == MEMO_DONE && c->memo[i].release)
			c->memo[i].release(c->memo[i].v);
	an_free(c->a);
	analysis_overrides_free(c->overrides, c->noverrides);
	for (size_t i = 0; c->match != NULL && i < c->nmatch; i++)
		sel_free(c->match[i]);
	free(c->match);
	texts_free(c->match_text, c->nmatch);
	sources_put(c->src);
	cfg_release(c->cfg);
	free(c);
	__atomic_add_fetch(&freed, 1, __ATOMIC_RELAXED);
}

/* An analysis of a big window is tens of MB in a few large blocks. They go
 * back to the system once analyses have stopped for a while, not after
 * each one: the next analysis would fault every page in again, which cost
 * a third of /api/v1/alerts at the 30% bench store. */
void
analysis_trim_idle(void)
{
	static uint64_t seen;
	static int pending;
	uint64_t n = __atomic_load_n(&freed, __ATOMIC_RELAXED);

	if (n != seen) {		/* busy since the last call */
		seen = n;
		pending = 1;
	} else if (pending) {
		malloc_trim(0);
		pending = 0;
	}
}

static void
unref(struct cached *c)
{
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		cached_free(c);
}

/* an_opts.post: the rules' evaluation intervals where history has none;
 * the reasons episodes were not notified, and the notifications the real
 * routing tree sent to the receivers alertnoise sees nothing of, replayed
 * into the analysis. */
static int
derive(struct analysis *a, const struct an_opts *o)
{
	const struct sources *src = o->post_arg;
	struct rp_history *h;
	struct rt_settings rs;
	char err[256];
	int rc;

	/* the evaluation interval of webhook-only alerts, from their rules */
	if (src->prom != NULL)
		rt_intervals(a, src->prom->rules);
	if (src->am == NULL)
		return 0;
	if ((h = rp_history_new()) == NULL)
		return -1;
	if (rt_build(src->am->cfg, src->prom ? src->prom->rules : NULL,
	    src->sil ? src->sil->v : NULL, src->sil ? src->sil->n : 0, a, h,
	    NULL, &rs, err, sizeof(err)) < 0) {
		rp_history_free(h);
		return -1;
	}
	/* why the episodes alertnoise heard nothing of were not notified,
	 * before the replayed notifications join the seen ones */
	rc = rt_reasons(a, src->am->cfg, src->sil ? src->sil->v : NULL,
	    src->sil ? src->sil->n : 0);
	if (rc == 0)
		rc = rt_derive(a, o, src->am->cfg, h, &rs.set);
	rt_settings_free(&rs);
	rp_history_free(h);
	return rc;
}

void
analysis_opts(const struct an_config *cfg, const struct sources *src,
    struct an_opts *o)
{
	an_opts_default(o);
	o->t.transient_max_ms = cfg->an_transient_max_ms;
	o->t.persistent_min_ms = cfg->an_persistent_min_ms;
	o->t.flap_high = cfg->an_flap_high;
	o->t.flap_low = cfg->an_flap_low;
	o->t.flap_min_episodes = (int)cfg->an_flap_min_episodes;
	o->t.flap_window_ms = cfg->an_flap_window_ms;
	o->paging_receivers = sources_paging(src, cfg, &o->npaging);
	if (src != NULL && (src->am != NULL || src->prom != NULL)) {
		o->post = derive;
		o->post_arg = src;
	}
	o->team_label = cfg->team_label;
	o->group_labels = (const char *const *)cfg->group_labels;
	o->ngroup_labels = cfg->n_group_labels;
	o->cofire_window_ms = cfg->cofire_window_ms;
	o->cofire_min_jaccard = cfg->cofire_min_jaccard;
	o->cofire_min_support = (int)cfg->cofire_min_support;
	o->storm_min = (int)cfg->storm_min;
	o->storm_window_ms = cfg->storm_window_ms;
}

int
analysis_overrides(const struct an_config *cfg, struct an_opts *o,
    struct an_override **out, size_t *nout, char *err, size_t errlen)
{
	struct an_override *v = NULL;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (cfg->n_overrides > 0 && (v = calloc(cfg->n_overrides,
	    sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const struct cfg_override *co = &cfg->overrides[i];
		struct an_override *ov = &v[n];

		if (sel_parse(co->match, &ov->selector, err, errlen) < 0) {
			/* cannot happen: checked at load */
			analysis_overrides_free(v, n);
			return -1;
		}
		n++;
		ov->t = o->t;
		if (co->transient_max_ms >= 0)
			ov->t.transient_max_ms = co->transient_max_ms;
		if (co->persistent_min_ms >= 0)
			ov->t.persistent_min_ms = co->persistent_min_ms;
		if (co->flap_high >= 0)
			ov->t.flap_high = co->flap_high;
		if (co->flap_low >= 0)
			ov->t.flap_low = co->flap_low;
		if (co->flap_min_episodes >= 0)
			ov->t.flap_min_episodes = (int)co->flap_min_episodes;
		if (co->flap_window_ms >= 0)
			ov->t.flap_window_ms = co->flap_window_ms;
	}
	o->overrides = *out = v;
	o->noverrides = *nout = n;
	return 0;
}

void
analysis_overrides_free(struct an_override *ov, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sel_free(ov[i].selector);
	free(ov);
}

static int
by_text(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* k's selectors, copied and sorted (an entry's key): 0 and *out (NULL
 * when there are none), or -1 on out-of-memory. */
static int
selection_texts(const struct analysis_key *k, char ***out)
{
	char **v;

	*out = NULL;
	if (k->nmatch == 0)
		return 0;
	if ((v = calloc(k->nmatch, sizeof(*v))) == NULL)
		return -1;
	for (size_t i = 0; i < k->nmatch; i++)
		if ((v[i] = strdup(k->match[i])) == NULL) {
			texts_free(v, i);
			return -1;
		}
	qsort(v, k->nmatch, sizeof(*v), by_text);
	*out = v;
	return 0;
}

/* c's selectors parsed (opts.match): 0, or -1 with err. */
static int
selection_parse(struct cached *c, char *err, size_t errlen)
{
	char perr[256];

	if (c->nmatch > 0 &&
	    (c->match = calloc(c->nmatch, sizeof(*c->match))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->nmatch; i++)
		if (sel_parse(c->match_text[i], &c->match[i], perr,
		    sizeof(perr)) < 0) {
			snprintf(err, errlen, "invalid match[] \"%.64s\": "
			    "%.120s", c->match_text[i], perr);
			return -1;
		}
	return 0;
}

/* Fills c->opts from c->cfg, the sources and the selection. */
static int
opts_from(struct cached *c, char *err, size_t errlen)
{
	c->src = sources_get();
	analysis_opts(c->cfg, c->src, &c->opts);
	if (selection_parse(c, err, errlen) < 0)
		return -1;
	c->opts.match = c->match;
	c->opts.nmatch = c->nmatch;
	/* the entry's computation stops when nobody wants it; the previous
	 * span a report analyses with these options, when its request
	 * stops */
	c->opts.stop = analysis_work_stops;
	return analysis_overrides(c->cfg, &c->opts, &c->overrides,
	    &c->noverrides, err, errlen);
}

/* Whether c is the analysis of k (its selectors in any order). */
static int
same_key(const struct cached *c, const struct analysis_key *k)
{
	if (k->window_ms > 0 ? c->window_ms != k->window_ms :
	    c->window_ms != 0 || c->from != k->from || c->to != k->to)
		return 0;
	if (c->nmatch != k->nmatch)
		return 0;
	/* few selectors: the same set (a selection is their union) */
	for (size_t i = 0; i < k->nmatch; i++) {
		size_t j, l;

		for (j = 0; j < c->nmatch; j++)
			if (strcmp(c->match_text[j], k->match[i]) == 0)
				break;
		for (l = 0; l < k->nmatch; l++)
			if (strcmp(c->match_text[i], k->match[l]) == 0)
				break;
		if (j == c->nmatch || l == k->nmatch)
			return 0;
	}
	return 1;
}

static void
unref_all(struct cached **v, int n)
{
	for (int i = 0; i < n; i++)
		unref(v[i]);
}

/* Waits (lock held) until c, being computed by another request, is done,
 * and releases the lock, then gone[0..ngone), the entries the caller took
 * out of the cache. Returns c's analysis with a reference for the caller,
 * or NULL with err when the computation failed or the caller gave up
 * waiting (request_stopping: its deadline, its client, the shutdown; the
 * computation goes on for the others). */
static const struct analysis *
wait_for_computation(struct cached *c, void **handle, char *err,
    size_t errlen, struct cached **gone, int ngone)
{
	int why = REQUEST_LIVE;

	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	if (!c->done) {
		c->want.n++;
		why = wait_while(&c->want, &c->done, 0);
	}
	pthread_mutex_unlock(&lock);
	unref_all(gone, ngone);
	if (why != REQUEST_LIVE) {
		stop_message(why, err, errlen);
		unref(c);
		return NULL;
	}
	if (c->a == NULL) {
		/* given up at shutdown: say so */
		(void)request_stopping(request_current());
		snprintf(err, errlen, "%s", c->err);
		unref(c);
		return NULL;
	}
	*handle = c;
	return c->a;
}

const struct analysis *
analysis_get(struct daemon *d, int64_t window_ms, void **handle, char *err,
    size_t errlen)
{
	struct analysis_key k = { .window_ms = window_ms };

	return analysis_get_key(d, &k, handle, err, errlen);
}

const struct analysis *
analysis_get_key(struct daemon *d, const struct analysis_key *k,
    void **handle, char *err, size_t errlen)
{
	uint64_t gen = __atomic_load_n(&d->feedback_gen, __ATOMIC_SEQ_CST);
	uint64_t data = 0;
	const struct an_config *cfg;
	int64_t now = ts_now_ms(), ttl;
	struct cached *c = NULL, *gone[SLOTS];
	int free_slot = -1, oldest = 0, ngone = 0, rc;
	char **texts;
	struct want *outer;

	*handle = NULL;
	pthread_once(&computed_once, computed_init);
	if (selection_texts(k, &texts) < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cfg = daemon_config(d);
	ttl = cfg->an_cache_ttl_ms;
	/* before the scan: a commit during it makes the next request scan
	 * again rather than keep an answer that may lack it. Not knowing
	 * the generation, nothing cached can be trusted: no cache, as with
	 * a TTL of 0 (every slot is dropped below) */
	if (store_generation(d->store, &data) < 0) {
		log_warn("Reading the store's generation failed", "err",
		    store_errmsg(d->store));
		ttl = 0;
	}

	pthread_mutex_lock(&lock);
	for (int i = 0; i < SLOTS; i++) {
		/* expired entries are dropped, not kept until a slot is
		 * needed: they hold the memory of a whole window (one being
		 * computed lives on with its requests) */
		/* and so is one being computed that everyone gave up:
		 * it stops, a new one starts for this request */
		if (slots[i] != NULL && (now - slots[i]->computed_at >= ttl ||
		    slots[i]->gen != gen || slots[i]->data != data ||
		    (!slots[i]->done && slots[i]->want.n == 0))) {
			gone[ngone++] = slots[i];	/* freed unlocked */
			slots[i] = NULL;
		}
		if (slots[i] == NULL) {
			free_slot = free_slot < 0 ? i : free_slot;
			continue;
		}
		if (slots[oldest] == NULL ||
		    slots[i]->computed_at < slots[oldest]->computed_at)
			oldest = i;
		if (same_key(slots[i], k)) {
			/* done, or being computed: a burst of requests waits
			 * for the first instead of scanning the window N
			 * times */
			cfg_release(cfg);
			texts_free(texts, k->nmatch);
			/* unlocks */
			return wait_for_computation(slots[i], handle, err,
			    errlen, gone, ngone);
		}
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_unlock(&lock);
		unref_all(gone, ngone);
		cfg_release(cfg);
		texts_free(texts, k->nmatch);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = cfg;		/* the entry's from now on */
	c->window_ms = k->window_ms;
	c->from = k->window_ms > 0 ? now - k->window_ms : k->from;
	c->to = k->window_ms > 0 ? now : k->to;
	c->match_text = texts;	/* parsed when computed */
	c->nmatch = k->nmatch;
	c->gen = gen;
	c->data = data;
	c->computed_at = now;
	c->refs = 1;		/* the caller's */
	want_start(&c->want);
	/* in the cache while it is computed, so that requests of the same
	 * window wait for it; with no TTL there is nothing to cache */
	if (ttl > 0) {
		if (free_slot < 0) {
			free_slot = oldest;
			gone[ngone++] = slots[free_slot];
		}
		slots[free_slot] = c;
		c->refs++;
	}
	pthread_mutex_unlock(&lock);
	/* an analysis of a big window takes a while to free: never under
	 * the lock every request takes */
	unref_all(gone, ngone);

	/* no lock held: other windows' cached answers are served meanwhile */
	outer = computing;
	computing = &c->want;
	rc = opts_from(c, c->err, sizeof(c->err));
	if (rc == 0)
		rc = an_run(d->store, &c->opts, c->from, c->to, now, &c->a,
		    c->err, sizeof(c->err));
	computing = outer;

	pthread_mutex_lock(&lock);
	if (rc == AN_ESTOPPED) {
		/* not kept: the next request computes it again */
		count_cancelled(c->want.why);
		stop_message(c->want.why, c->err, sizeof(c->err));
	}
	if (rc < 0) {
		an_free(c->a);
		c->a = NULL;
		/* a failure is not cached */
		for (int i = 0; i < SLOTS; i++)
			if (slots[i] == c) {
				slots[i] = NULL;
				__atomic_sub_fetch(&c->refs, 1,
				    __ATOMIC_ACQ_REL);
			}
	}
	c->done = 1;
	pthread_cond_broadcast(&computed);
	pthread_mutex_unlock(&lock);
	if (rc < 0) {
		snprintf(err, errlen, "%s", c->err);
		unref(c);
		return NULL;
	}
	*handle = c;
	return c->a;
}

void
analysis_put(void *handle)
{
	unref(handle);
}

const struct an_config *
analysis_handle_config(void *handle)
{
	return ((const struct cached *)handle)->cfg;
}

const struct an_opts *
analysis_handle_opts(void *handle)
{
	return &((const struct cached *)handle)->opts;
}

const struct analysis *
analysis_handle_analysis(void *handle)
{
	return ((const struct cached *)handle)->a;
}

void
analysis_cache_clear(void)
{
	struct cached *gone[SLOTS];

	pthread_mutex_lock(&lock);
	for (int i = 0; i < SLOTS; i++) {
		gone[i] = slots[i];
		slots[i] = NULL;
	}
	pthread_mutex_unlock(&lock);
	unref_all(gone, SLOTS);
}

void *
analysis_memo(void *handle, enum analysis_memo which,
    void *(*compute)(void *handle, void *arg, char *err, size_t errlen),
    void (*release)(void *), void *arg, char *err, size_t errlen)
{
	struct cached *c = handle;
	struct memo *m = &c->memo[which];
	struct want *outer;
	void *v;
	int why;

	pthread_once(&computed_once, computed_init);
	pthread_mutex_lock(&lock);
	/* a computation everyone gave up stops soon: then this one
	 * computes it again (a failure is not kept) */
	while (m->state == MEMO_COMPUTING) {
		m->want.n++;
		if ((why = wait_while(&m->want, &m->state,
		    MEMO_COMPUTING)) != REQUEST_LIVE) {
			pthread_mutex_unlock(&lock);
			stop_message(why, err, errlen);
			return NULL;
		}
	}
	if (m->state == MEMO_DONE) {
		v = m->v;
		pthread_mutex_unlock(&lock);
		return v;
	}
	m->state = MEMO_COMPUTING;
	want_start(&m->want);
	pthread_mutex_unlock(&lock);

	outer = computing;
	computing = &m->want;
	v = compute(handle, arg, err, errlen);	/* no lock held */
	computing = outer;

	pthread_mutex_lock(&lock);
	if (v == NULL && m->want.stopped)
		count_cancelled(m->want.why);	/* given up */
	if (v != NULL) {
		m->v = v;
		m->release = release;
	}
	m->state = v != NULL ? MEMO_DONE : MEMO_NONE;	/* failures: again */
	pthread_cond_broadcast(&computed);
	pthread_mutex_unlock(&lock);
	return v;
}

static void *
summary_compute(void *handle, void *arg, char *err, size_t errlen)
{
	struct an_summary *s = malloc(sizeof(*s));

	(void)arg;
	if (s == NULL || an_summary_view(((struct cached *)handle)->a, s) < 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

static void
summary_release(void *v)
{
	an_summary_view_free(v);
	free(v);
}

const struct an_summary *
analysis_summary(void *handle, char *err, size_t errlen)
{
	return analysis_memo(handle, ANALYSIS_SUMMARY, summary_compute,
	    summary_release, NULL, err, errlen);
}

static void *
alerts_compute(void *handle, void *arg, char *err, size_t errlen)
{
	struct an_alerts *v = malloc(sizeof(*v));

	(void)arg;
	if (v == NULL || an_alerts_view(((struct cached *)handle)->a, NULL, 0,
	    1, v) < 0) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return v;
}

static void
alerts_release(void *v)
{
	an_alerts_view_free(v);
	free(v);
}

const struct an_alerts *
analysis_alerts(void *handle, char *err, size_t errlen)
{
	return analysis_memo(handle, ANALYSIS_ALERTS, alerts_compute,
	    alerts_release, NULL, err, errlen);
}

/* store.c -- dispatch from the storage interface to a backend (store.h). */
#include "store_impl.h"

#include "model.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct store_backend *const backends[] = {
	&store__sqlite,
};

int
store_open(const char *backend, const char *path, struct store **out,
    char *err, size_t errlen)
{
	return store_open_opts(backend, path, NULL, out, err, errlen);
}

int
store_open_opts(const char *backend, const char *path,
    const struct store_opts *opts, struct store **out, char *err,
    size_t errlen)
{
	static const struct store_opts defaults;

	*out = NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, backend) == 0)
			return backends[i]->open(path, opts ? opts : &defaults,
			    out, err, errlen);
	snprintf(err, errlen, "unknown storage backend \"%s\"", backend);
	return -1;
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->be->close(st);
}

int
store_check(const char *backend, const char *path, int full,
    void (*found)(const char *, void *), void *arg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, backend) == 0)
			return backends[i]->check(path, full, found, arg, err,
			    errlen);
	snprintf(err, errlen, "unknown storage backend \"%s\"", backend);
	return -1;
}

int
store_write_fault(struct store *st, char *why, size_t whylen)
{
	return st->be->write_fault(st, why, whylen);
}

int store_write_probe(struct store *st) { return st->be->write_probe(st); }

int store_schema_version(struct store *st) { return st->be->schema_version(st); }
/* Set when a walk failed in the store's own code (not the backend's):
 * store_errmsg says so, once. */
static _Thread_local const char *store_failed;

const char *
store_errmsg(struct store *st)
{
	const char *msg = store_failed;

	if (msg != NULL) {
		store_failed = NULL;
		return msg;
	}
	return st->be->errmsg(st);
}

int
store_generation(struct store *st, uint64_t *gen)
{
	return st->be->generation(st, gen);
}

int store_begin(struct store *st) { return st->be->begin(st); }
int store_commit(struct store *st) { return st->be->commit(st); }
void store_rollback(struct store *st) { st->be->rollback(st); }
int store_savepoint(struct store *st) { return st->be->savepoint(st); }

int
store_savepoint_release(struct store *st)
{
	return st->be->savepoint_release(st);
}

int
store_savepoint_rollback(struct store *st)
{
	return st->be->savepoint_rollback(st);
}

int
store_find_notification(struct store *st, uint64_t digest, int64_t since_ms,
    int64_t *id)
{
	return st->be->find_notification(st, digest, since_ms, id);
}

int
store_insert_notification(struct store *st, const struct wh_notification *n,
    int64_t received_ms, int64_t *id)
{
	return st->be->insert_notification(st, n, received_ms, id);
}

int
store_insert_notification_alert(struct store *st, int64_t notification_id,
    size_t idx, const struct wh_alert *a, int64_t episode_id)
{
	return st->be->insert_notification_alert(st, notification_id, idx, a,
	    episode_id);
}

int
store_upsert_identity(struct store *st, uint64_t identity,
    const char *alertname, const json_t *labels, int64_t seen_ms)
{
	return st->be->upsert_identity(st, identity, alertname, labels, seen_ms);
}

int
store_episodes_near(struct store *st, uint64_t identity, int64_t from,
    int64_t to, struct episode *out, int max)
{
	return st->be->episodes_near(st, identity, from, to, out, max);
}

int
store_insert_episode(struct store *st, struct episode *e,
    const char *alertname)
{
	return st->be->insert_episode(st, e, alertname);
}

int
store_update_episode(struct store *st, const struct episode *e)
{
	return st->be->update_episode(st, e);
}

int
store_get_series(struct store *st, uint64_t series, struct series_state *out)
{
	return st->be->get_series(st, series, out);
}

int
store_put_series(struct store *st, const struct series_state *s)
{
	return st->be->put_series(st, s);
}

int
store_count_active_series(struct store *st, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t from, int64_t to,
    int strict)
{
	return st->be->count_active_series(st, identity, kind, except, from,
	    to, strict);
}

int
store_relink_alerts(struct store *st, uint64_t identity, int64_t from,
    int64_t to, int64_t episode, int64_t at)
{
	return st->be->relink_alerts(st, identity, from, to, episode, at);
}

int
store_merge_episode(struct store *st, int64_t keep, int64_t gone)
{
	return st->be->merge_episode(st, keep, gone);
}

int
store_episode_has_copy(struct store *st, int64_t episode,
    uint64_t fingerprint)
{
	return st->be->episode_has_copy(st, episode, fingerprint);
}

int
store_last_series_end(struct store *st, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t since, int64_t *last)
{
	return st->be->last_series_end(st, identity, kind, except, since, last);
}

int
store_idle_series(struct store *st, int64_t received_before,
    struct series_state *out, int max)
{
	return st->be->idle_series(st, received_before, out, max);
}

int64_t
store_live_series(struct store *st)
{
	return st->be->live_series(st, 0);
}

int64_t
store_live_series_committed(struct store *st)
{
	return st->be->live_series(st, 1);
}

int
store_prune(struct store *st, int64_t cutoff_ms, struct store_prune_result *res)
{
	return st->be->prune(st, cutoff_ms, res);
}

/* Whether the analysis scans may try the in-memory model: there is one,
 * and *gen gets the generation it must be as of. A model scan that cannot
 * answer (not current, a range it does not hold, out of memory) has called
 * nothing, and the database answers. */
static int
from_model(struct store *st, uint64_t *gen)
{
	/* after store_cancel_reads the backend's scans fail at once */
	return st->model != NULL &&
	    !__atomic_load_n(&st->cancelled, __ATOMIC_RELAXED) &&
	    store_generation(st, gen) == 0;
}

/* Whether a model scan answered (rc 0), counted for
 * alertnoise_model_scans_total. */
static int
model_answered(struct store *st, int rc)
{
	if (rc == 0)
		__atomic_add_fetch(&st->scans_model, 1, __ATOMIC_RELAXED);
	return rc == 0;
}

/* The backend, to answer a scan the model did not; counted. */
static const struct store_backend *
backend_answers(struct store *st)
{
	__atomic_add_fetch(&st->scans_store, 1, __ATOMIC_RELAXED);
	return st->be;
}

/* A walk of store_query_episodes over the model: its rows in the store's
 * form. */
struct query_walk {
	int (*fn)(const struct episode_row *, void *);
	void *arg;
	size_t given;
	int nomem;
};

static int
query_row(const struct model_episode_row *r, void *arg)
{
	struct query_walk *w = arg;
	struct episode_row row;
	int stop;

	row.e = r->e;
	row.alertname = r->alertname;
	row.labels = json_loads(r->labels, 0, NULL);
	row.receivers = json_array();
	for (size_t i = 0; row.receivers != NULL && i < r->nreceivers; i++)
		if (json_array_append_new(row.receivers,
		    json_string(r->receivers[i])) < 0) {
			json_decref(row.receivers);
			row.receivers = NULL;
		}
	if (row.labels == NULL || row.receivers == NULL) {
		json_decref(row.labels);
		json_decref(row.receivers);
		w->nomem = 1;
		return 1;
	}
	w->given++;
	stop = w->fn(&row, w->arg);
	json_decref(row.labels);
	json_decref(row.receivers);
	return stop;
}

int
store_query_episodes(struct store *st, const struct episode_filter *f,
    int (*fn)(const struct episode_row *, void *), void *arg)
{
	struct query_walk w = { fn, arg, 0, 0 };
	struct episode_filter older;
	uint64_t gen;
	int64_t rest;
	int rc;

	if (!from_model(st, &gen) || (rc = model_query_episodes(st->model,
	    gen, f, &rest, query_row, &w)) == MODEL_NOT_CURRENT ||
	    (rc == -1 && w.given == 0))
		return backend_answers(st)->query_episodes(st, f, fn, arg);
	if (rc == -1 || w.nomem) {
		store_failed = "out of memory listing episodes";
		return -1;
	}
	model_answered(st, 0);
	if (rc == 1 || rest == 0)
		return 0;
	/* the rows the model does not hold all of: those that start before
	 * rest, after every row it gave */
	older = *f;
	older.until = f->until != 0 && f->until < rest ? f->until : rest - 1;
	return backend_answers(st)->query_episodes(st, &older, fn, arg);
}

int
store_scan_episodes(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_scan_episodes(st->model, gen, from, to, fn, arg)))
		return 0;
	return backend_answers(st)->scan_episodes(st, from, to, fn, arg);
}

size_t
store_episodes_hint(struct store *st, int64_t from, int64_t to)
{
	uint64_t gen;
	size_t n;

	if (from_model(st, &gen) &&
	    model_count_fired(st->model, gen, from, to, &n) == 0)
		return n;
	return 0;
}

int
store_scan_pending_only(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_scan_pending_only(st->model, gen, from, to, fn, arg)))
		return 0;
	return backend_answers(st)->scan_pending_only(st, from, to, fn, arg);
}

int
store_scan_identities(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct identity_row *, void *), void *arg)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_scan_identities(st->model, gen, from, to, fn, arg)))
		return 0;
	return backend_answers(st)->scan_identities(st, from, to, fn, arg);
}

int
store_scan_notified(struct store *st, int64_t from, int64_t to,
    int firing_only, int (*fn)(const struct notified_row *, void *), void *arg)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_scan_notified(st->model, gen, from, to, firing_only, fn,
	    arg)))
		return 0;
	return backend_answers(st)->scan_notified(st, from, to, firing_only,
	    fn, arg);
}

int
store_scan_feedback(struct store *st, int64_t from, int64_t to,
    int (*fn)(int64_t, const char *, void *), void *arg)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_scan_feedback(st->model, gen, from, to, fn, arg)))
		return 0;
	return backend_answers(st)->scan_feedback(st, from, to, fn, arg);
}

int
store_find_feedback_episode(struct store *st, uint64_t fp, int64_t starts_ms,
    struct episode *e)
{
	return st->be->find_feedback_episode(st, fp, starts_ms, e);
}

int
store_add_feedback(struct store *st, const struct episode *e,
    const char *verdict, const char *note, const char *by, int64_t at_ms)
{
	return st->be->add_feedback(st, e, verdict, note, by, at_ms);
}

int
store_put_silences(struct store *st, const struct silence *v, size_t n)
{
	return st->be->put_silences(st, v, n);
}

int
store_scan_silences(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct silence *s, void *arg), void *arg)
{
	return st->be->scan_silences(st, from, to, fn, arg);
}

int
store_counter_add(struct store *st, const char *family,
    const char *const *values, size_t nvalues, double delta)
{
	assert(family != NULL && (values != NULL || nvalues == 0) &&
	    delta >= 0);
	return st->be->counter_add(st, family, values, nvalues, delta);
}

int
store_scan_counters(struct store *st,
    int (*fn)(const char *, const char *const *, size_t, double, void *),
    void *arg)
{
	return st->be->scan_counters(st, fn, arg);
}

int
store_count_open(struct store *st, int64_t *firing, int64_t *pending)
{
	uint64_t gen;

	if (from_model(st, &gen) && model_answered(st,
	    model_count_open(st->model, gen, firing, pending)))
		return 0;
	return backend_answers(st)->count_open(st, firing, pending);
}

int
store_alert_meta(struct store *st, const char *alertname, uint64_t identity,
    struct alert_meta *out)
{
	memset(out, 0, sizeof(*out));
	return st->be->alert_meta(st, alertname, identity, out);
}

void
store_alert_meta_free(struct alert_meta *m)
{
	if (m == NULL)
		return;
	free(m->runbook_url);
	free(m->generator_url);
	free(m->external_url);
	json_decref(m->labels);
	memset(m, 0, sizeof(*m));
}

int
store_refresh(struct store *st)
{
	return st->model != NULL ? st->be->refresh(st) : 0;
}

enum store_checked
store_open_check(const struct store *st)
{
	return st->checked;
}

void
store_model_stats(struct store *st, struct model_stats *out)
{
	uint64_t gen;

	if (st->model != NULL)
		model_stats(st->model, out);
	else
		memset(out, 0, sizeof(*out));
	/* current: as of the store's last commit */
	if (out->current && (store_generation(st, &gen) < 0 || gen != out->gen))
		out->current = 0;
	out->scans_model = __atomic_load_n(&st->scans_model, __ATOMIC_RELAXED);
	out->scans_store = __atomic_load_n(&st->scans_store, __ATOMIC_RELAXED);
}

/* A scan of the model running now finishes (milliseconds); later ones go
 * to the backend, which fails them. */
void
store_cancel_reads(struct store *st)
{
	__atomic_store_n(&st->cancelled, 1, __ATOMIC_RELAXED);
	st->be->cancel_reads(st);
}

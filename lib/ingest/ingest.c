/* ingest.c -- webhooks and remote-write samples into episodes (ingest.h). */
#include "ingest.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"

/* Candidates looked at when joining; an identity rarely has more than one
 * or two episodes near a given time. */
#define NEAR_MAX 8

/* --- webhooks ------------------------------------------------------------ */

/* The episode of the identity that webhook alert a (startsAt S) belongs
 * to, among near[0..n) (latest start first), or NULL. An alert is keyed by
 * its identity and startsAt, as Alertmanager keys it: Prometheus gives
 * every firing period a new startsAt and keeps it to the resolved
 * notification. So it belongs to
 * - the episode that fired at S, give or take tol (a retry, a late copy,
 *   an HA replica's copy, or remote write's record of the same
 *   evaluation), or that remote write saw go pending by S and not fire
 *   yet (its firing sample still on the way): the closest;
 * - else one that remote write saw firing, or pending, at S;
 * and to none when its startsAt is new: a new period. */
static struct episode *
webhook_match(struct episode *near, int n, int64_t S, int64_t tol)
{
	struct episode *e = NULL;
	int64_t best = INT64_MAX;

	for (int i = 0; i < n; i++) {
		struct episode *c = &near[i];
		int64_t d;

		/* one remote write sees pending at S, still to fire, is the
		 * period itself; one that fired within tol, as close as it is */
		if (c->firing_at == 0 && c->pending_at != 0 &&
		    (c->sources & (EP_SRC_REMOTE_WRITE | EP_SRC_IMPORT)) &&
		    c->pending_at <= S && c->resolved_at == 0)
			d = 0;
		else if (c->firing_at != 0 && llabs(c->firing_at - S) <= tol)
			d = llabs(c->firing_at - S);
		else
			continue;
		if (d < best) {
			best = d;
			e = c;
		}
	}
	for (int i = 0; i < n && e == NULL; i++) {
		struct episode *c = &near[i];

		if (!(c->sources & (EP_SRC_REMOTE_WRITE | EP_SRC_IMPORT)) ||
		    EPISODE_START(c) > S)
			continue;
		if (c->firing_at != 0 ?
		    c->resolved_at == 0 || c->resolved_at >= S :
		    c->resolved_at == 0 || c->resolved_at >= S - tol)
			e = c;
	}
	return e;
}

/* Whether e's end was inferred: it is the start of the identity's next
 * firing period (webhook_episode), not an endsAt. */
static int
end_inferred(const struct episode *e, const struct episode *near, int n)
{
	for (int i = 0; i < n; i++)
		if (near[i].id != e->id && near[i].firing_at == e->resolved_at)
			return 1;
	return 0;
}

/* Finds or creates the episode webhook alert a belongs to and updates it.
 * prev[0..nprev) are the episodes the notification's earlier alerts touched:
 * an episode counts a notification once, however many copies of its alert
 * (HA replicas) it carries. Whatever the order notifications arrive in,
 * the episodes come out the same: a firing notification never reopens a
 * resolved episode (it is a retry or a late copy of its own period), and a
 * resolved one sets the end its endsAt says. */
static int
webhook_episode(struct store *st, const struct wh_alert *a,
    int64_t received_ms, const int64_t *prev, size_t nprev,
    const struct ingest_opts *opts, struct episode *out,
    struct ingest_result *res)
{
	struct episode near[NEAR_MAX], *e;
	int64_t tol = opts->join_tolerance_ms, S = a->starts_ms;
	int n, was_open, webhook_only;

	n = store_episodes_near(st, a->identity, S - tol, INT64_MAX, near,
	    NEAR_MAX);
	if (n < 0)
		return -1;
	e = webhook_match(near, n, S, tol);
	/* a period heard from webhooks only that is open at S: this alert
	 * is another copy of it (an HA replica's, its own startsAt) unless
	 * this very alert was notified in it -- then it is a new period */
	for (int i = 0; i < n && e == NULL; i++) {
		struct episode *c = &near[i];
		int rc;

		if (c->firing_at == 0 || c->firing_at > S ||
		    (c->resolved_at != 0 && c->resolved_at < S) ||
		    (c->sources & (EP_SRC_REMOTE_WRITE | EP_SRC_IMPORT)))
			continue;
		if ((rc = store_episode_has_copy(st, c->id,
		    a->fingerprint)) < 0)
			return -1;
		if (rc == 0)
			e = c;
	}
	if (e == NULL) {
		memset(out, 0, sizeof(*out));
		out->identity = a->identity;
		out->firing_at = S;
		out->resolved_at = a->status == WH_RESOLVED ? a->ends_ms : 0;
		out->first_notified_at = out->last_notified_at = received_ms;
		out->notifications = 1;
		out->sources = EP_SRC_WEBHOOK;
		if (store_insert_episode(st, out, a->alertname) < 0)
			return -1;
		res->episodes_opened++;
		if (out->resolved_at)
			res->episodes_resolved++;
		/* a period that began earlier and is still open, heard only
		 * from webhooks, ended by S at the latest: its resolved
		 * notification, late or never sent, may say when */
		for (int i = 0; i < n; i++) {
			struct episode *c = &near[i];

			if (c->resolved_at != 0 || c->firing_at == 0 ||
			    c->firing_at >= S ||
			    (c->sources & (EP_SRC_REMOTE_WRITE | EP_SRC_IMPORT)))
				continue;
			c->resolved_at = S;
			res->episodes_resolved++;
			if (store_update_episode(st, c) < 0)
				return -1;
		}
		return 0;
	}

	was_open = e->resolved_at == 0;
	webhook_only = !(e->sources & (EP_SRC_REMOTE_WRITE | EP_SRC_IMPORT));
	if (e->firing_at == 0 || S < e->firing_at)
		e->firing_at = S;
	if (a->status == WH_RESOLVED) {
		/* copies resolve at the latest endsAt; an end inferred from
		 * the next period gives way to the real one */
		if (e->resolved_at < a->ends_ms ||
		    (webhook_only && end_inferred(e, near, n)))
			e->resolved_at = a->ends_ms;
	}
	if (was_open && e->resolved_at != 0)
		res->episodes_resolved++;
	if (e->first_notified_at == 0 || received_ms < e->first_notified_at)
		e->first_notified_at = received_ms;
	if (received_ms > e->last_notified_at)
		e->last_notified_at = received_ms;
	e->notifications++;
	for (size_t j = 0; j < nprev; j++)
		if (prev[j] == e->id) {
			e->notifications--;
			break;
		}
	e->sources |= EP_SRC_WEBHOOK;
	if (store_update_episode(st, e) < 0)
		return -1;
	*out = *e;
	return 0;
}

/* What the notification says of alert i's identity as a whole: copies of
 * one alert from HA replicas (same identity) fire if any copy fires, and
 * resolve at the latest endsAt once all have resolved. Each copy is applied
 * with this same state, so their order in the payload does not matter. */
static void
effective_copy(const struct wh_notification *n, size_t i, struct wh_alert *eff)
{
	*eff = n->alerts[i];
	for (size_t j = 0; j < n->nalerts; j++) {
		const struct wh_alert *b = &n->alerts[j];

		if (j == i || b->identity != eff->identity)
			continue;
		if (b->status == WH_FIRING) {
			eff->status = WH_FIRING;
			eff->ends_ms = 0;
		} else if (eff->status == WH_RESOLVED &&
		    b->ends_ms > eff->ends_ms) {
			eff->ends_ms = b->ends_ms;
		}
		if (b->starts_ms < eff->starts_ms)
			eff->starts_ms = b->starts_ms;
	}
}

int
ingest_webhook_apply(struct store *st, const struct wh_notification *n,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res)
{
	int64_t few[16], *episodes = few, id;
	int rc, result = -1;

	memset(res, 0, sizeof(*res));
	if (opts->dedup_window_ms > 0) {
		rc = store_find_notification(st, n->digest,
		    received_ms - opts->dedup_window_ms, &id);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			res->duplicate = 1;
			res->notification_id = id;
			return 0;
		}
	}
	if (store_insert_notification(st, n, received_ms,
	    &res->notification_id) < 0)
		return -1;
	if (n->nalerts > sizeof(few) / sizeof(few[0]) &&
	    (episodes = calloc(n->nalerts, sizeof(*episodes))) == NULL)
		return -1;
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct wh_alert *a = &n->alerts[i];
		struct wh_alert eff;
		struct episode e;

		effective_copy(n, i, &eff);
		if (store_upsert_identity(st, a->identity, a->alertname,
		    a->identity_labels, a->starts_ms) < 0 ||
		    webhook_episode(st, &eff, received_ms, episodes, i, opts,
		    &e, res) < 0 ||
		    store_insert_notification_alert(st, res->notification_id,
		    i, a, e.id) < 0)
			goto out;
		episodes[i] = e.id;
	}
	result = 0;
out:
	if (episodes != few)
		free(episodes);
	return result;
}

int
ingest_webhook(struct store *st, const struct wh_notification *n,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res)
{
	if (store_begin(st) < 0) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	if (ingest_webhook_apply(st, n, received_ms, opts, res) < 0) {
		store_rollback(st);
		return -1;
	}
	if (res->duplicate) {	/* nothing written: no sync to wait for */
		store_rollback(st);
		return 0;
	}
	return store_commit(st);
}

/* --- remote-write samples ------------------------------------------------ */

static const char *
label_value(const struct rw_series *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

static int
is_identity_label(const char *name, const struct ingest_opts *o)
{
	if (strcmp(name, "__name__") == 0 || strcmp(name, "alertstate") == 0)
		return 0;
	for (size_t i = 0; i < o->nreplica; i++)
		if (strcmp(name, o->replica_labels[i]) == 0)
			return 0;
	return 1;
}

/* One remote-written alert series being applied. */
struct rw_alert {
	const struct rw_series *s;
	const char *alertname;
	struct series_state state;
	const struct ingest_opts *opts;
	int identity_stored;
	int starts;		/* the request makes it live */
};

/* Records the identity once per series per request, at its first
 * transition. */
static int
store_identity(struct store *st, struct rw_alert *ra, int64_t ts)
{
	json_t *labels;
	int rc;

	if (ra->identity_stored)
		return 0;
	if ((labels = json_object()) == NULL)
		return -1;
	for (size_t i = 0; i < ra->s->nlabels; i++)
		if (is_identity_label(ra->s->labels[i].name, ra->opts))
			json_object_set_new(labels, ra->s->labels[i].name,
			    json_string(ra->s->labels[i].value));
	rc = store_upsert_identity(st, ra->state.identity, ra->alertname,
	    labels, ts);
	json_decref(labels);
	ra->identity_stored = rc == 0;
	return rc;
}

static int
new_episode_out(struct store *st, struct rw_alert *ra, int64_t pending_at,
    int64_t firing_at, struct ingest_result *res, struct episode *e)
{
	memset(e, 0, sizeof(*e));
	e->identity = ra->state.identity;
	e->pending_at = pending_at;
	e->firing_at = firing_at;
	e->sources = ra->opts->source;
	if (store_insert_episode(st, e, ra->alertname) < 0)
		return -1;
	res->episodes_opened++;
	return 0;
}

static int
new_episode(struct store *st, struct rw_alert *ra, int64_t pending_at,
    int64_t firing_at, struct ingest_result *res)
{
	struct episode e;

	return new_episode_out(st, ra, pending_at, firing_at, res, &e);
}

/* A rule with for: 0 fires at the evaluation that activates it, and its
 * ALERTS_FOR_STATE activeAt, written in whole seconds, falls up to a
 * second before that: no pending phase, not a pending phase of 0.4 s. A
 * real one lasts at least one evaluation interval. */
static void
no_instant_pending(struct episode *e)
{
	if (e->firing_at != 0 && e->pending_at != 0 &&
	    e->firing_at - e->pending_at < 1000)
		e->pending_at = 0;
}

/* A pending series started at t. */
static int
pending_start(struct store *st, struct rw_alert *ra, int64_t t,
    struct ingest_result *res)
{
	struct episode near[NEAR_MAX], *e;
	int n = store_episodes_near(st, ra->state.identity, t, INT64_MAX,
	    near, NEAR_MAX);

	if (n < 0)
		return -1;
	if (n == 0)
		return new_episode(st, ra, t, 0, res);
	e = &near[0];
	if (e->pending_at == 0 || t < e->pending_at)
		e->pending_at = t;
	if (e->firing_at == 0)
		e->resolved_at = 0;	/* pending again: a replica */
	e->sources |= ra->opts->source;
	return store_update_episode(st, e);
}

/* A pending series ended at t (stale marker or timeout). */
static int
pending_end(struct store *st, struct rw_alert *ra, int64_t t)
{
	struct episode near[NEAR_MAX], *e;
	int n;

	n = store_count_active_series(st, ra->state.identity, SERIES_PENDING,
	    ra->state.series, t, t, 0);
	if (n != 0)
		return n < 0 ? -1 : 0;	/* another replica is still pending */
	if ((n = store_episodes_near(st, ra->state.identity, t, t, near,
	    NEAR_MAX)) <= 0)
		return n;
	e = &near[0];
	if (e->firing_at != 0 || e->resolved_at != 0)
		return 0;
	/* ended while pending -- unless a firing series starts at t too,
	 * which firing_start will see */
	e->resolved_at = t;
	return store_update_episode(st, e);
}

/* Whether episode c, open at t, fired through [prev_end, t]: the series
 * starting at t ended at prev_end within it, so only another replica can
 * say so, with samples that reach t (strictly: the delivery slack that
 * keeps an episode open at one replica's end would, on a gap shorter than
 * it, join two periods). When none does, c ended at prev_end as far as
 * anyone knows (its end had waited for a replica that lags); a replica
 * that did fire through the gap merges the two when its run ends
 * (firing_end). Returns 1, 0, or -1. */
static int
fired_through(struct store *st, struct rw_alert *ra, struct episode *c,
    int64_t prev_end, int64_t t, struct ingest_result *res)
{
	int n;

	if (c->resolved_at != 0 || c->firing_at == 0 || prev_end == 0 ||
	    prev_end < c->firing_at || prev_end >= t)
		return 1;
	n = store_count_active_series(st, ra->state.identity, SERIES_FIRING,
	    ra->state.series, prev_end, t, 1);
	if (n != 0)
		return n < 0 ? -1 : 1;
	c->resolved_at = prev_end;
	res->episodes_resolved++;
	return store_update_episode(st, c) < 0 ? -1 : 0;
}

/* A firing series started at t; its previous run, if any, ended at
 * prev_end (0: none known). The episode it fires in takes the notified
 * alerts whose startsAt is t (give or take join_tolerance): a webhook
 * heard before the samples may have put them on the episode before. */
static int
firing_start(struct store *st, struct rw_alert *ra, int64_t t,
    int64_t prev_end, struct ingest_result *res)
{
	struct episode near[NEAR_MAX], *e = NULL;
	int64_t tol = ra->opts->join_tolerance_ms;
	int n = store_episodes_near(st, ra->state.identity, t - tol, INT64_MAX,
	    near, NEAR_MAX), rc;

	if (n < 0)
		return -1;
	/* latest first among those that began by t, then the others (a
	 * replica's pending series that started later) */
	for (int pass = 0; pass < 2 && e == NULL; pass++) {
		for (int i = 0; i < n && e == NULL; i++) {
			struct episode *c = &near[i];

			if ((EPISODE_START(c) <= t) != (pass == 0))
				continue;
			/* open; or ended while pending just now (the pending series
			 * goes stale at the evaluation the firing one starts); or
			 * still firing at t by another replica's account; or seen
			 * firing only by a webhook so far */
			if (!(c->resolved_at == 0 ||
			    (c->firing_at == 0 && c->resolved_at >= t - tol) ||
			    (c->firing_at != 0 && c->resolved_at >= t) ||
			    (c->firing_at != 0 && !(c->sources & ra->opts->source) &&
			    llabs(c->firing_at - t) <= tol)))
				continue;
			if ((rc = fired_through(st, ra, c, prev_end, t,
			    res)) < 0)
				return -1;
			if (rc == 1)
				e = c;
		}
	}
	if (e == NULL) {
		struct episode ne;

		if (new_episode_out(st, ra, 0, t, res, &ne) < 0)
			return -1;
		return store_relink_alerts(st, ra->state.identity, t - tol,
		    t + tol, ne.id, t) < 0 ? -1 : 0;
	}
	if (e->firing_at == 0) {
		e->resolved_at = 0;	/* pending turned firing */
		e->firing_at = t;
	} else if (t < e->firing_at) {
		e->firing_at = t;
	}
	no_instant_pending(e);
	e->sources |= ra->opts->source;
	if (store_update_episode(st, e) < 0)
		return -1;
	return store_relink_alerts(st, ra->state.identity, t - tol, t + tol,
	    e->id, e->firing_at) < 0 ? -1 : 0;
}

/* Folds episode g into e: one firing period heard as two (ingest.h). */
static int
merge_into(struct store *st, struct episode *e, const struct episode *g)
{
	if (g->firing_at < e->firing_at)
		e->firing_at = g->firing_at;
	if (g->pending_at != 0 &&
	    (e->pending_at == 0 || g->pending_at < e->pending_at))
		e->pending_at = g->pending_at;
	if (g->first_notified_at != 0 && (e->first_notified_at == 0 ||
	    g->first_notified_at < e->first_notified_at))
		e->first_notified_at = g->first_notified_at;
	if (g->last_notified_at > e->last_notified_at)
		e->last_notified_at = g->last_notified_at;
	e->notifications += g->notifications;
	e->sources |= g->sources;
	return store_merge_episode(st, e->id, g->id);
}

/* A firing series ended at t. Its run [run_start, t] fired throughout:
 * every episode of the identity that fired within it is one firing
 * period. They are more than one when another replica's end was heard
 * before this one's samples caught up with it (its run bridged the gap),
 * and they become one, the earliest. */
static int
firing_end(struct store *st, struct rw_alert *ra, int64_t t,
    struct ingest_result *res)
{
	struct episode near[NEAR_MAX], *e = NULL, *keep = NULL;
	int64_t tol = ra->opts->join_tolerance_ms, last, from, run;
	int n;

	n = store_count_active_series(st, ra->state.identity, SERIES_FIRING,
	    ra->state.series, t, t, 0);
	if (n != 0)
		return n < 0 ? -1 : 0;	/* another replica still fires */
	run = ra->state.run_start != 0 ? ra->state.run_start : t;
	from = run < t - tol ? run : t - tol;
	if ((n = store_episodes_near(st, ra->state.identity, from, t, near,
	    NEAR_MAX)) < 0)
		return -1;
	/* the one that ends: the latest that fired by t */
	for (int i = 0; i < n && e == NULL; i++)
		if (near[i].firing_at != 0 && near[i].firing_at <= t)
			e = &near[i];
	if (e == NULL)
		return 0;
	/* it and the earlier ones the run covered become the earliest */
	for (int i = n; i-- > 0 && &near[i] != e;) {
		struct episode *g = &near[i];

		if (g->firing_at == 0 ||
		    (g->resolved_at != 0 && g->resolved_at < run))
			continue;
		if (keep == NULL)
			keep = g;
		else if (merge_into(st, keep, g) < 0)
			return -1;
	}
	if (keep != NULL) {
		if (merge_into(st, keep, e) < 0)
			return -1;
		e = keep;
	}
	/* the last replica (or the webhook's endsAt, the same evaluation)
	 * decides when it ended -- by the replicas' timestamps, not the
	 * order their requests came in: a replica whose series ended later
	 * may have been heard from first, while this one still fired */
	if (store_last_series_end(st, ra->state.identity, SERIES_FIRING,
	    ra->state.series, e->firing_at, &last) < 0)
		return -1;
	if (last > t)
		t = last;
	if (e->resolved_at == 0)
		res->episodes_resolved++;
	if (t > e->resolved_at)
		e->resolved_at = t;
	e->sources |= ra->opts->source;
	return store_update_episode(st, e);
}

/* ALERTS_FOR_STATE says at t the alert has been active since active_at. */
static int
for_state(struct store *st, struct rw_alert *ra, int64_t active_at, int64_t t,
    struct ingest_result *res)
{
	struct episode near[NEAR_MAX], *e = NULL;
	int64_t tol = ra->opts->join_tolerance_ms;
	int n;

	if (active_at <= 0 || active_at > t + tol)
		return 0;	/* not a plausible activeAt */
	/* The activation's episode: the earliest that began at activeAt (by
	 * t; or later, when only its firing series has been heard so far:
	 * another request's, ended maybe); else one still open at t that
	 * began before (a replica's). */
	if ((n = store_episodes_near(st, ra->state.identity, active_at,
	    INT64_MAX, near, NEAR_MAX)) < 0)
		return -1;
	for (int i = n; i-- > 0 && e == NULL;) {
		int64_t start = EPISODE_START(&near[i]);

		if (start >= active_at - tol &&
		    (start <= t || near[i].pending_at == 0))
			e = &near[i];
	}
	for (int i = 0; i < n && e == NULL; i++)
		if (EPISODE_START(&near[i]) <= t &&
		    (near[i].resolved_at == 0 || near[i].resolved_at >= t))
			e = &near[i];
	if (e == NULL)
		return new_episode(st, ra, active_at, 0, res);
	if (e->pending_at == 0 || active_at < e->pending_at)
		e->pending_at = active_at;
	no_instant_pending(e);
	e->sources |= ra->opts->source;
	return store_update_episode(st, e);
}

/* Applies one sample; the series state is updated by the caller. */
static int
apply_sample(struct store *st, struct rw_alert *ra, const struct rw_sample *sm,
    struct ingest_result *res)
{
	struct series_state *ss = &ra->state;
	int stale = rw_is_stale(sm->value), rc = 0;
	int64_t prev_end;

	if (ss->kind == SERIES_FOR_STATE) {
		if (stale) {
			ss->active = 0;
		} else if (!ss->active || sm->value != ss->last_value) {
			if (!ss->active)
				ss->run_start = sm->ts_ms;
			/* activeAt in Unix seconds; anything else (NaN, 1e300)
			 * is not a time and is not converted */
			if (!(sm->value > 0 && sm->value < 1e11))
				rc = 0;
			else if ((rc = store_identity(st, ra, sm->ts_ms)) == 0)
				rc = for_state(st, ra,
				    (int64_t)(sm->value * 1000.0), sm->ts_ms, res);
			ss->active = 1;
			ss->last_value = sm->value;
		}
		return rc;
	}
	if (stale) {
		if (!ss->active)
			return 0;
		ss->active = 0;
		return ss->kind == SERIES_PENDING ?
		    pending_end(st, ra, sm->ts_ms) :
		    firing_end(st, ra, sm->ts_ms, res);
	}
	if (ss->active)
		return 0;
	/* the end of its previous run: its last sample, the marker */
	prev_end = ss->last_ts != INT64_MIN ? ss->last_ts : 0;
	ss->active = 1;
	ss->run_start = sm->ts_ms;
	if (store_identity(st, ra, sm->ts_ms) < 0)
		return -1;
	return ss->kind == SERIES_PENDING ?
	    pending_start(st, ra, sm->ts_ms, res) :
	    firing_start(st, ra, sm->ts_ms, prev_end, res);
}

/* The series' fingerprint and its identity's (ingest.h). Labels sorted by
 * name, as those of a valid remote-write series are, are hashed in one
 * pass; others are sorted first. */
static void
series_fingerprints(const struct rw_series *s, const struct ingest_opts *opts,
    uint64_t *series, uint64_t *identity)
{
	const char *names[128], *values[128];
	uint64_t all = FP_OFFSET64, id = FP_OFFSET64;
	size_t n = 0;

	for (size_t i = 0; i < s->nlabels; i++) {
		const struct rw_label *l = &s->labels[i];

		if (i > 0 && strcmp(s->labels[i - 1].name, l->name) >= 0)
			goto unsorted;
		all = fp_add_label(all, l->name, l->value);
		if (is_identity_label(l->name, opts))
			id = fp_add_label(id, l->name, l->value);
	}
	*series = all;
	*identity = id;
	return;
unsorted:
	assert(s->nlabels <= 128);
	for (size_t i = 0; i < s->nlabels; i++) {
		names[i] = s->labels[i].name;
		values[i] = s->labels[i].value;
	}
	fp_labels(names, values, s->nlabels, NULL, 0, series);
	for (size_t i = 0; i < s->nlabels; i++)
		if (is_identity_label(s->labels[i].name, opts)) {
			names[n] = s->labels[i].name;
			values[n] = s->labels[i].value;
			n++;
		}
	fp_labels(names, values, n, NULL, 0, identity);
}

/* Sets up ra for series s; returns 0 when it is not an alert series. */
static int
alert_series(const struct rw_series *s, const struct ingest_opts *opts,
    struct rw_alert *ra)
{
	const char *name = label_value(s, "__name__"), *state;

	memset(ra, 0, sizeof(*ra));
	if (name == NULL)
		return 0;
	if (strcmp(name, "ALERTS") == 0) {
		state = label_value(s, "alertstate");
		if (state != NULL && strcmp(state, "pending") == 0)
			ra->state.kind = SERIES_PENDING;
		else if (state != NULL && strcmp(state, "firing") == 0)
			ra->state.kind = SERIES_FIRING;
		else
			return 0;
	} else if (strcmp(name, "ALERTS_FOR_STATE") == 0) {
		ra->state.kind = SERIES_FOR_STATE;
	} else {
		return 0;
	}
	if (s->nlabels > 128)
		return 0;
	series_fingerprints(s, opts, &ra->state.series, &ra->state.identity);
	ra->alertname = label_value(s, "alertname");
	if (ra->alertname == NULL)
		ra->alertname = "";
	ra->s = s;
	ra->opts = opts;
	return 1;
}

/* One sample of an alert series, to be applied in time order. */
struct event {
	int64_t ts;
	int order;		/* at one timestamp: ends, starts, activeAt */
	size_t alert;		/* the series' state: index into ra */
	size_t entry;		/* the request's entry it came in (ra) */
	const struct rw_sample *sm;
};

static int
event_cmp(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->order != b->order)
		return a->order - b->order;
	if (a->entry != b->entry)
		return a->entry < b->entry ? -1 : 1;
	return a->sm < b->sm ? -1 : a->sm > b->sm;
}

/* An alert entry of the request by its series' fingerprint. */
struct entry_key {
	uint64_t series;
	size_t entry;
};

static int
entry_key_cmp(const void *pa, const void *pb)
{
	const struct entry_key *a = pa, *b = pb;

	if (a->series != b->series)
		return a->series < b->series ? -1 : 1;
	return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* Sets owner[k] to the first of ra[0..na) with ra[k]'s series: a request
 * may carry one series in several entries -- Prometheus sends one entry
 * per sample -- and they share one state. Returns 0, or -1 when out of
 * memory. */
static int
entry_owners(const struct rw_alert *ra, size_t na, size_t *owner)
{
	struct entry_key *keys;

	if (na == 0)
		return 0;
	if ((keys = malloc(na * sizeof(*keys))) == NULL)
		return -1;
	for (size_t k = 0; k < na; k++)
		keys[k] = (struct entry_key){ ra[k].state.series, k };
	qsort(keys, na, sizeof(*keys), entry_key_cmp);
	for (size_t k = 0; k < na; k++)
		owner[keys[k].entry] = k > 0 &&
		    keys[k - 1].series == keys[k].series ?
		    owner[keys[k - 1].entry] : keys[k].entry;
	free(keys);
	return 0;
}

/* The series started within the minute before now_ms (ingest_rate). */
static int64_t
rate_recent(const struct ingest_rate *r, int64_t now_ms)
{
	int64_t now = now_ms / 1000, sum = 0;

	for (int i = 0; i < INGEST_RATE_BUCKETS; i++)
		if (r->sec[i] > now - INGEST_RATE_BUCKETS && r->sec[i] <= now)
			sum += r->n[i];
	return sum;
}

static void
rate_add(struct ingest_rate *r, int64_t now_ms, int64_t n)
{
	int64_t now = now_ms / 1000;
	int i = (int)(((now % INGEST_RATE_BUCKETS) + INGEST_RATE_BUCKETS) %
	    INGEST_RATE_BUCKETS);

	if (r->sec[i] != now) {
		r->sec[i] = now;
		r->n[i] = 0;
	}
	r->n[i] += n;
}

/* Marks the series of ra[0..na) the request starts (their states loaded:
 * owner[k] == k holds a series' state) and checks the caps of opts: sets
 * res->series_new, and res->limited when the request is to be refused.
 * Only hash lookups and the request's own samples: no scan. A request let
 * through counts in the per-minute window as it is applied; should its
 * transaction fail after all, the window over-counts it (the sender's
 * retry counts again): a refusal errs on the early side, never late. */
static void
check_caps(struct store *st, struct rw_alert *ra, size_t na,
    const size_t *owner, int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res)
{
	int64_t n = 0, have;

	for (size_t k = 0; k < na; k++) {
		struct rw_alert *o = &ra[owner[k]];

		if (o->state.active || o->starts)
			continue;
		for (size_t j = 0; j < ra[k].s->nsamples; j++) {
			const struct rw_sample *sm = &ra[k].s->samples[j];

			if (sm->ts_ms > o->state.last_ts &&
			    !rw_is_stale(sm->value)) {
				o->starts = 1;
				n++;
				break;
			}
		}
	}
	res->series_new = (size_t)n;
	if (n == 0)
		return;
	if (opts->max_live_series > 0 &&
	    (have = store_live_series(st)) + n > opts->max_live_series) {
		res->limited = INGEST_LIMIT_LIVE;
		res->limit_count = have;
		return;
	}
	if (opts->max_new_per_minute > 0 && opts->rate != NULL) {
		have = rate_recent(opts->rate, received_ms);
		if (have + n > opts->max_new_per_minute) {
			res->limited = INGEST_LIMIT_RATE;
			res->limit_count = have;
			return;
		}
		rate_add(opts->rate, received_ms, n);
	}
}

/* Samples of all the request's alert series are applied in timestamp order,
 * not series by series: a request may hold several pending and firing runs
 * of one alert, and each transition must see the episodes as they were at
 * its time. The entries of one series share its state, loaded once, so a
 * staleness marker in one entry ends the run that the next entry's sample
 * starts again. */
int
ingest_samples_apply(struct store *st, const struct rw_request *req,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res)
{
	struct rw_alert *ra = NULL;
	struct event *ev = NULL;
	size_t *owner = NULL, na = 0, ne = 0, cap = 0;
	int result = -1;

	memset(res, 0, sizeof(*res));
	if (req->nseries > 0 &&
	    ((ra = calloc(req->nseries, sizeof(*ra))) == NULL ||
	    (owner = malloc(req->nseries * sizeof(*owner))) == NULL))
		goto out;
	for (size_t i = 0; i < req->nseries; i++) {
		const struct rw_series *s = &req->series[i];

		if (!s->valid)
			continue;
		if (!alert_series(s, opts, &ra[na])) {
			res->samples_ignored += s->nsamples;
			continue;
		}
		cap += s->nsamples;
		na++;
	}
	if (entry_owners(ra, na, owner) < 0)
		goto out;
	for (size_t k = 0; k < na; k++) {
		struct series_state known;
		int rc;

		if (owner[k] != k)
			continue;
		if ((rc = store_get_series(st, ra[k].state.series, &known)) < 0)
			goto out;
		if (rc == 1) {
			known.kind = ra[k].state.kind;
			ra[k].state = known;
		} else {
			ra[k].state.last_ts = INT64_MIN;
		}
	}
	check_caps(st, ra, na, owner, received_ms, opts, res);
	if (res->limited != INGEST_LIMIT_NONE) {
		result = 0;	/* refused: nothing written */
		goto out;
	}
	if (cap > 0 && (ev = malloc(cap * sizeof(*ev))) == NULL)
		goto out;
	for (size_t k = 0; k < na; k++) {
		const struct rw_alert *o = &ra[owner[k]];

		for (size_t j = 0; j < ra[k].s->nsamples; j++) {
			const struct rw_sample *sm = &ra[k].s->samples[j];

			if (sm->ts_ms <= o->state.last_ts) {
				res->samples_old++;
				continue;
			}
			ev[ne].ts = sm->ts_ms;
			ev[ne].order = rw_is_stale(sm->value) ? 0 :
			    o->state.kind == SERIES_FOR_STATE ? 2 : 1;
			ev[ne].alert = owner[k];
			ev[ne].entry = k;
			ev[ne].sm = sm;
			ne++;
		}
	}
	/* the usual request (one sample per series, one timestamp) is in
	 * order already */
	for (size_t e = 1; e < ne; e++)
		if (event_cmp(&ev[e - 1], &ev[e]) > 0) {
			qsort(ev, ne, sizeof(*ev), event_cmp);
			break;
		}
	for (size_t e = 0; e < ne; e++) {
		struct rw_alert *a = &ra[ev[e].alert];
		const struct rw_sample *sm = ev[e].sm;

		if (sm->ts_ms <= a->state.last_ts) {	/* a repeated timestamp */
			res->samples_old++;
			continue;
		}
		/* two samples in a row: the gap is the evaluation interval */
		if (a->state.active && !rw_is_stale(sm->value) &&
		    a->state.last_ts != INT64_MIN)
			a->state.interval_ms = sm->ts_ms - a->state.last_ts;
		if (apply_sample(st, a, sm, res) < 0)
			goto out;
		a->state.last_ts = sm->ts_ms;
		res->samples_applied++;
	}
	for (size_t k = 0; k < na; k++) {
		if (owner[k] != k)
			continue;
		ra[k].state.received_at = received_ms;
		if (store_put_series(st, &ra[k].state) < 0)
			goto out;
	}
	result = 0;
out:
	free(ev);
	free(owner);
	free(ra);
	return result;
}

int
ingest_samples(struct store *st, const struct rw_request *req,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res)
{
	if (store_begin(st) < 0) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	if (ingest_samples_apply(st, req, received_ms, opts, res) < 0) {
		store_rollback(st);
		return -1;
	}
	if (res->limited != INGEST_LIMIT_NONE) {	/* nothing written */
		store_rollback(st);
		return 0;
	}
	return store_commit(st);
}

/* Series ended per transaction of ingest_expire: a writer waiting for the
 * store waits for one batch at most. */
#define EXPIRE_BATCH 256

/* One batch of ingest_expire: ends up to EXPIRE_BATCH idle series in one
 * transaction. Returns how many, or -1 (rolled back). */
static int
expire_batch(struct store *st, int64_t now_ms, int64_t timeout_ms,
    const struct ingest_opts *opts, struct ingest_result *res)
{
	struct series_state idle[EXPIRE_BATCH];
	int n;

	if (store_begin(st) < 0)
		return -1;
	if ((n = store_idle_series(st, now_ms - timeout_ms, idle,
	    EXPIRE_BATCH)) < 0)
		goto bad;
	for (int i = 0; i < n; i++) {
		struct rw_alert ra;
		int rc = 0;

		memset(&ra, 0, sizeof(ra));
		ra.state = idle[i];
		ra.state.active = 0;
		ra.opts = opts;
		ra.identity_stored = 1;
		if (ra.state.kind == SERIES_PENDING)
			rc = pending_end(st, &ra, ra.state.last_ts);
		else if (ra.state.kind == SERIES_FIRING)
			rc = firing_end(st, &ra, ra.state.last_ts, res);
		if (rc < 0 || store_put_series(st, &ra.state) < 0)
			goto bad;
		res->series_expired++;
	}
	if (store_commit(st) < 0)
		return -1;
	return n;
bad:
	store_rollback(st);
	return -1;
}

int
ingest_expire(struct store *st, int64_t now_ms, int64_t timeout_ms,
    const struct ingest_opts *opts, struct ingest_result *res)
{
	int n;

	memset(res, 0, sizeof(*res));
	/* batches until none is left: each ended series is inactive, so the
	 * next batch finds the following ones */
	do {
		if ((n = expire_batch(st, now_ms, timeout_ms, opts, res)) < 0)
			return -1;
	} while (n == EXPIRE_BATCH);
	return 0;
}

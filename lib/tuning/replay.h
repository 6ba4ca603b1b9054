/* replay.h -- what would have been notified under other settings.
 *
 * Replays the history an analysis holds through a model of Prometheus'
 * alerting-rule state machine (prometheus rules/alerting.go: `for`,
 * `keep_firing_for`, evaluations at the rule's interval) and of
 * Alertmanager's notification pipeline (alertmanager dispatch/dispatch.go
 * aggregation groups: group_by, group_wait, group_interval; notify/notify.go
 * DedupStage.needsUpdate: repeat_interval, send_resolved; inhibit/ muting),
 * and counts notifications and pages per alertname and receiver.
 *
 * The rule model: each episode is a period [start, end) in which the alert's
 * condition held -- start is the evaluation that made it active (activeAt:
 * pending_at, which ALERTS_FOR_STATE writes in whole seconds, moved onto
 * the grid of evaluations firing_at is on; when only a webhook saw it:
 * firing_at minus the current `for`), end is the evaluation that found it
 * resolved, resolved_at, minus the rule's recorded keep_firing_for (or the
 * pending series' end for an episode that never fired). Under a `for` of F
 * it fires at the first evaluation at or after start + F (start + F
 * rounded up to an evaluation), if the condition still holds then, that is
 * if that evaluation is before end; under keep_firing_for K, periods less
 * than K apart are one firing and it resolves K after the last one ends.
 * The current `for`, unless the current settings give it, is the shortest
 * pending phase on the evaluation grid (rp_pending_ms).
 *
 * Counts per alertname and receiver are in the units history records
 * them: the notifications that carried the alertname, each once however
 * many of its alerts (instances) it carried.
 *
 * The Alertmanager model, per receiver: an alert reaches the receivers it
 * was notified to in history (and the receiver a route with matchers names,
 * when they match it). The routes of the current settings, then the
 * proposal's, apply in order to the receiver they name (or to every one):
 * a route without matchers to all its alerts, one with matchers only to
 * those it matches, which then have aggregation groups of their own, like
 * a sub-route's. Alerts of a route with equal group_by values form a group;
 * a group's first flush is group_wait after its first alert, then one
 * every group_interval while it has alerts; a flush notifies when a firing
 * alert is new to the receiver, when every alert resolved after some were
 * notified, when send_resolved and an alert resolved, or when
 * repeat_interval passed since the last notification; a group whose alerts
 * all resolved and were flushed ends. An alert inhibited at a flush (a
 * source alert firing with equal labels) or silenced then (a silence of
 * the history, rp_history_silence) is left out of it. */
#ifndef AN_REPLAY_H
#define AN_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "store.h"

struct am_config;
struct sel;

/* Rule settings for the alerts a selector matches; -1: unchanged. */
struct rp_rule {
	struct sel *match;		/* owned by the caller */
	int64_t for_ms;
	int64_t keep_firing_for_ms;
};

/* Route settings for one receiver (or, with receiver NULL, all). */
struct rp_route {
	const char *receiver;
	struct sel *match;		/* NULL: all the receiver's alerts; else
					   only those it matches */
	const char *const *group_by;	/* NULL with ngroup_by 0: keep */
	size_t ngroup_by;
	int group_by_set;		/* group_by given ("..." = all labels) */
	int64_t group_wait_ms;		/* -1: keep */
	int64_t group_interval_ms;
	int64_t repeat_interval_ms;
	int send_resolved;		/* -1: keep */
	/* the real route these settings are (lib/tuning/routing.h): its time
	 * intervals mute its notifications; NULL: never muted */
	const struct am_config *tree;
	size_t route_id;
};

struct rp_inhibit {
	struct sel *source, *target;	/* owned by the caller */
	const char *const *equal;
	size_t nequal;
};

/* A set of settings: the current ones, or a proposal on top of them. */
struct rp_settings {
	const struct rp_rule *rules;
	size_t nrules;
	const struct rp_route *routes;
	size_t nroutes;
	const struct rp_inhibit *inhibits;
	size_t ninhibits;
};

struct rp_count {
	char *alertname;
	char *receiver;
	long before, after;		/* notifications */
	long pages_before, pages_after;
	long recorded;			/* notifications actually stored */
	int observed;			/* history holds the receiver's
					   notifications (0: a receiver only
					   the routing tree names, whose
					   notifications alertnoise never
					   sees: no replay error) */
};

struct rp_result {
	struct rp_count *counts;	/* sorted by alertname, receiver */
	size_t ncounts;
	long notifications_before, notifications_after;
	long pages_before, pages_after;
	long recorded;			/* stored notifications in the window */
	double replay_error;		/* sum over the observed counts of
					   |before - recorded| / sum of
					   recorded */
	long noise_removed;		/* noise episodes that no longer fire */
	long actionable_delayed;	/* actionable episodes firing later */
	long actionable_lost;		/* actionable episodes that no longer fire */
	double delay_p50_s, delay_max_s;	/* added detection delay */
};

/* What history says of routing in the analysis' window: which receivers
 * each identity was notified to, each receiver's group_by (the labels of
 * its groups), and the notifications recorded per alertname and receiver.
 * Opaque; load with rp_history_load, free with rp_history_free. */
struct rp_history;

int rp_history_load(struct store *st, const struct analysis *a,
    struct rp_history **out, char *err, size_t errlen);

/* A history built by hand: an empty one, then routes -- identity ident (of
 * a's) was notified to receiver, whose groups are by group_by (set by the
 * first call naming the receiver). Return NULL / -1 on out-of-memory. */
struct rp_history *rp_history_new(void);
int rp_history_route(struct rp_history *h, const struct analysis *a,
    size_t ident, const char *receiver, const char *const *group_by,
    size_t ngroup_by);
/* And notifications -- n more recorded to receiver that carried alertname
 * (counted once per notification, as rp_history_load counts them).
 * Returns 0, or -1 on out-of-memory. */
int rp_history_recorded(struct rp_history *h, const char *receiver,
    const char *alertname, long n);
void rp_history_free(struct rp_history *h);

/* Replays the analysis' window under current and under current + proposed
 * settings (proposed may be NULL: the current ones again). Pages are
 * notifications to o->paging_receivers. Returns 0 and fills *res (free with
 * rp_result_free), or -1 on out-of-memory. */
int rp_run(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_settings *proposed, struct rp_result *res);

/* Bounds on the work of one rp_run_limited. Its cost is in steps: one per
 * flush time of an aggregation group the replay visits (group_wait, each
 * group_interval tick where something can change, each repeat_interval), so
 * a short interval over a long window costs window / interval steps per
 * group. The deadline and stop_fn are checked every RP_CHECK_EVERY
 * steps. */
struct rp_limits {
	uint64_t	 max_steps;	/* over both replays; 0: no cap */
	int64_t		 deadline_ms;	/* rp_clock_ms() time; 0: none */
	/* asked with stop_arg: non-zero stops the replay (RP_ESTOPPED);
	 * NULL: never */
	int		(*stop_fn)(const void *stop_arg);
	const void	*stop_arg;
};
#define RP_CHECK_EVERY	4096

/* What rp_run_limited returns. */
enum rp_status {
	RP_OK = 0,
	RP_ENOMEM = -1,
	RP_ESTEPS = -2,		/* more than max_steps */
	RP_EDEADLINE = -3,	/* deadline_ms passed */
	RP_ESTOPPED = -4	/* stop_fn said stop */
};

/* CLOCK_MONOTONIC, in milliseconds: the clock of rp_limits.deadline_ms. */
int64_t rp_clock_ms(void);

/* rp_run within lim (NULL: none). Returns RP_OK and fills *res (free with
 * rp_result_free), or one of the other enum rp_status values with *res
 * empty: the replay stopped where the limit was hit. */
int rp_run_limited(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_settings *proposed, const struct rp_limits *lim,
    struct rp_result *res);

void rp_result_free(struct rp_result *res);

/* The current settings replayed once, to replay many proposals against:
 * each rp_base_run replays only what its proposal changes (the identities
 * its rules select, the groups they and the alerts its inhibit rules
 * target are in, the receivers its routes change) and takes everything
 * else from the base, with the same result as rp_run. Borrows a, h, o and
 * current, which must outlive it. Not for concurrent use: a run writes to
 * the base's scratch space. rp_base_new returns 0 and *out (free with
 * rp_base_free), or -1 on out-of-memory. */
struct rp_base;

int rp_base_new(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    struct rp_base **out);

/* rp_base_new whose replays, its own and every rp_base_run's, spend one
 * budget within lim (borrowed: it must outlive the base). Returns RP_OK
 * and *out, RP_ENOMEM, or the enum rp_status of the limit its own replay
 * hit. Once a limit is hit every later replay stops at once (its result
 * is partial) and rp_base_status says which. */
int rp_base_new_limited(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rp_limits *lim, struct rp_base **out);
/* RP_OK, or the enum rp_status of the limit a limited base hit. */
int rp_base_status(const struct rp_base *b);
/* Whether the base's runs fill res->counts (one per alertname and
 * receiver): on from rp_base_new; off, a run gives the totals and the
 * effects only (no counts, replay_error 0), and costs no walk of every alertname (a caller that tries
 * many proposals and reads only their totals, as the recommendations do). */
void rp_base_counts(struct rp_base *b, int on);

/* rp_run's result for proposed (NULL: the current settings again) on top
 * of the base's current settings. proposed is borrowed for the call only.
 * Returns 0, or -1 on out-of-memory (*res then empty); the base stays
 * usable either way. */
int rp_base_run(struct rp_base *b, const struct rp_settings *proposed,
    struct rp_result *res);

void rp_base_free(struct rp_base *b);

json_t *rp_result_json(const struct rp_result *res);

/* Told of one notification the replay delivers: to receiver, at, with
 * the firing alerts of the episodes eps[0..n) (indexes into a->eps; n 0: a
 * resolved-only notification). Returns 0, or non-zero to fail the run. */
typedef int (*rp_note_fn)(void *arg, const char *receiver, int64_t at,
    const size_t *eps, size_t n);

/* Replays the analysis' window under the current settings, as rp_run's
 * "before", and calls fn for every notification it delivers in the
 * window, receiver by receiver, each receiver's in time order per group.
 * Returns 0, or -1 on out-of-memory or when fn failed. */
int rp_notifications(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    rp_note_fn fn, void *arg);

/* Forgets which receivers history notified each identity to (the
 * recorded counts stay), so that routing can be given anew with
 * rp_history_route: when the real routing tree is known. */
void rp_history_unroute(struct rp_history *h);

/* A silence that was in effect for identity ident (of the analysis)
 * over [from, to): the replay leaves it out of every flush then, as
 * Alertmanager's silencer does. Returns 0, or -1 on out-of-memory. */
int rp_history_silence(struct rp_history *h, size_t ident, int64_t from,
    int64_t to);

/* The number of receivers h knows: seen in history or routed to. */
size_t rp_history_receivers(const struct rp_history *h);

/* The pending phase of episode e of a, from the evaluation that made it
 * active to the one that fired it, on its identity's evaluation grid: a
 * whole number of evaluations, so a phase under one evaluation (an
 * ALERTS_FOR_STATE activeAt a fraction of a second before firing) is 0,
 * `for: 0`. -1 when e has no pending_at or never fired. The `for` replay
 * takes as current, unless the settings give one, is the shortest of an
 * identity's. */
int64_t rp_pending_ms(const struct analysis *a, const struct an_episode *e);

#endif

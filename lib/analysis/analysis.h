/* analysis.h -- which alerts are noise, and why.
 *
 * An analysis covers a window of time: the fired episodes that started in
 * it, their identities, the notifications each receiver got, the pages sent
 * for them and the verdicts people gave; of the episodes that ended while
 * pending (never fired) only a count per identity. It classifies every fired
 * episode (class and reasons), finds dedup groups and aggregates noise
 * ratios, MTTR and counts per alertname, receiver, team and overall. Its
 * cost is linear in the window's data: episodes are loaded with range scans
 * of the store, never all of history.
 *
 * The flapping score follows Nagios/Icinga ("Detection and Handling of State
 * Flapping": weighted percent state change, weights 0.8 for the oldest
 * change to 1.2 for the newest, 20 changes = 100 %) over wall-clock time
 * instead of the last 21 checks, so it does not depend on the evaluation
 * interval. For an episode firing at T, every state change of its identity
 * in (T - flap_window, T] counts (each episode's start and its end; this
 * episode's start included), a change at t weighing 0.8 + 0.4 * (t - (T -
 * flap_window)) / flap_window; score = 100 * sum of the weights / 20, at
 * most 100: 20 changes per flap_window (10 fire/resolve cycles an hour by
 * default) score 100. The identity starts flapping at score >= flap_high
 * when at least flap_min_episodes of its episodes started in that window
 * (this one included), and stops at score <= flap_low (hysteresis) or when
 * the episode is the only one that started in the window. With the
 * defaults (30, 20, 4, 1h) the episode count decides the start: 4 episodes
 * make 7 changes, each weighing more than 0.8 and the last 1.2, so score >
 * 30. Remote-written and webhook-only identities are scored alike. README
 * "Noise analysis" states the same. */
#ifndef AN_ANALYSIS_H
#define AN_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

struct sel;
struct analysis;

/* Primary classes, in the order of precedence used when several heuristic
 * reasons apply. */
enum an_class {
	CLS_ACTIONABLE,		/* marked so, or no noise reason ("presumed") */
	CLS_DUPLICATE,
	CLS_FLAPPING,
	CLS_TRANSIENT,
	CLS_PERSISTENT,
	CLS_NOISE,		/* marked noise by a human, no heuristic reason */
	CLS_COUNT
};

/* Reasons, a bit each; an episode may carry several. */
enum {
	R_TRANSIENT = 1 << 0,
	R_FLAPPING = 1 << 1,
	R_PERSISTENT = 1 << 2,
	R_DUPLICATE = 1 << 3,	/* a cofiring follower or a storm follower */
	R_MARKED_NOISE = 1 << 4,
	R_MARKED_ACTIONABLE = 1 << 5,
};

enum { FB_NONE, FB_ACTIONABLE, FB_NOISE };

/* Why a fired episode was never notified. */
enum {
	NN_NONE,		/* notified, or no routing tree to tell */
	NN_SILENCED,		/* a silence matched it when it fired */
	NN_INHIBITED,		/* an inhibit rule, with a source firing */
	NN_MUTED,		/* every route it reaches was muted then */
	NN_GROUP_WAIT,		/* resolved within its route's group_wait */
	NN_UNKNOWN,		/* none of those: lost on the way? */
	NN_COUNT
};

/* "silenced", "inhibited", "muted", "resolved_in_group_wait", "unknown";
 * NULL for NN_NONE. */
const char *an_nn_name(int nn);
/* The same reason as a key of a not_notified count object (JSON keys are
 * lowerCamelCase): "silenced", ..., "resolvedInGroupWait", "unknown"; NULL
 * for NN_NONE. */
const char *an_nn_key(int nn);

const char *an_class_name(enum an_class c);
/* Appends the names of the reasons in bits to a JSON array. */
void an_reasons_json(unsigned bits, json_t *array);

/* Thresholds; an_opts_default fills the documented defaults. Per-alertname
 * overrides come as rules: the first rule whose selector matches an
 * identity's labels supplies its thresholds. */
struct an_thresholds {
	int64_t transient_max_ms;	/* 5m */
	int64_t persistent_min_ms;	/* 24h */
	double flap_high, flap_low;	/* 30, 20 */
	int flap_min_episodes;		/* 4: to start flapping */
	int64_t flap_window_ms;		/* 1h: changes counted */
};

struct an_override {
	struct sel *selector;		/* owned by the caller */
	struct an_thresholds t;
};

struct an_opts {
	struct an_thresholds t;
	const struct an_override *overrides;
	size_t noverrides;
	const char *const *paging_receivers;
	size_t npaging;
	const char *team_label;		/* "team" */
	/* The selection: with nmatch > 0, only the identities whose labels
	 * match one of match[0..nmatch) are analysed (Prometheus' match[]:
	 * any of them), and only the notifications that carried a firing
	 * alert of one count (a team's report). Borrowed. */
	struct sel *const *match;
	size_t nmatch;
	const char *const *group_labels;/* cofiring kind: alertname + these */
	size_t ngroup_labels;
	int64_t cofire_window_ms;	/* 2m */
	double cofire_min_jaccard;	/* 0.7 */
	int cofire_min_support;		/* 3 */
	int storm_min;			/* 10 identities */
	int64_t storm_window_ms;	/* 5m */
	/* Run at the end of an_run, on the classified analysis: the daemon
	 * fills what the user's configuration tells (lib/tuning/routing.h): rule
	 * intervals history lacks, why episodes were not notified, and the
	 * notifications the real routing tree sent that alertnoise did not
	 * see. Returns 0, or -1 on out-of-memory. NULL: nothing. post_arg is
	 * the hook's, borrowed. */
	int (*post)(struct analysis *a, const struct an_opts *o);
	const void *post_arg;
	/* Asked every AN_CHECK_EVERY rows of an_run's scans and between its
	 * steps: non-zero stops the analysis (an_run returns AN_ESTOPPED).
	 * What stops it is the caller's (a deadline, a client gone, a
	 * shutdown). NULL: never. stop_arg is the hook's, borrowed. */
	int (*stop)(const void *stop_arg);
	const void *stop_arg;
};
#define AN_CHECK_EVERY	4096

void an_opts_default(struct an_opts *o);

/* --- the in-memory model an analysis works on ---------------------------- */

struct an_identity {
	uint64_t fp;
	const char *alertname;		/* owned by the analysis */
	json_t *labels;			/* owned by the analysis */
	const char *team;		/* value of team_label, "" if none */
	int64_t interval_ms;		/* evaluation interval seen, 0: none */
	size_t kind;			/* index of its cofiring kind */
	int copies;			/* distinct copies seen: alert
					   fingerprints in webhooks, or
					   replicas' series in remote write */
	int dup_deliveries;		/* notifications of it delivered twice
					   (HA Alertmanagers) in the window */
	int pending_only;		/* its episodes that went pending in the
					   window and ended while pending,
					   never firing: how often it almost
					   fired (every identity, fired ones
					   and those past nids) */
	const struct an_thresholds *t;
};

struct an_episode {
	int64_t id;
	size_t ident;			/* index into identities */
	int64_t pending_at, firing_at, resolved_at;	/* 0: none / open */
	int64_t notifications;
	int64_t pages;			/* firing notifications to paging receivers */
	int64_t noise_pages;		/* those of them that were noise pages */
	int feedback;			/* FB_* (the last verdict) */
	double flap_score;
	int flapping;
	unsigned reasons;
	enum an_class cls;
	int presumed;			/* actionable without a human verdict */
	long group;			/* dedup group that made it a duplicate, -1 */
	int not_notified;		/* NN_*: why a fired episode no
					   notification carried was not
					   notified (lib/tuning/routing.h rt_reasons);
					   NN_NONE: notified, or not known */
	int context;			/* fired before the window: history for
					   flapping and pages, not counted */
};

enum an_group_kind { GROUP_REPLICA, GROUP_COFIRING, GROUP_STORM };

/* A member of a dedup group: an identity (replica, storm), or a cofiring
 * kind, shown by its first identity. */
struct an_member {
	const char *alertname;		/* the identity's, borrowed; "" when
					   it has none */
	size_t ident;			/* index into ids */
	json_t *labels;			/* a reference owned by the group: the
					   identity's labels (replica, storm),
					   or the kind's (cofiring: alertname
					   and the group labels it has) */
};

/* A kept cofiring pair: members a < b, their co-occurrences and
 * Jaccard, and how often each started first. */
struct an_pair {
	size_t a, b;
	int co;
	double jaccard;
	int a_first, b_first;
};

/* A label every identity of a storm has with the same value; both strings
 * are the first member's labels', borrowed. */
struct an_label {
	const char *name, *value;
};

/* A dedup group and its evidence, per kind (an_groups_json renders it;
 * the recommendations and the web UI read it). Everything is owned by the
 * group and freed by an_group_clear, but the strings borrowed from the
 * analysis' identities. */
struct an_group {
	enum an_group_kind kind;
	struct an_member *members;
	size_t nmembers;
	long leader;			/* index into members, -1: none */
	int support;			/* occurrences behind it */
	double jaccard;			/* cofiring: the weakest pair kept */
	union {
		struct {
			int copies;		/* distinct copies seen */
			int dup_deliveries;	/* notified twice */
			size_t episodes;	/* its episodes */
		} replica;
		struct {
			struct an_pair *pairs;	/* by a, then b */
			size_t npairs;
			int64_t window_ms;	/* cofire_window */
		} cofiring;
		struct {
			int occurrences;
			size_t max_identities;	/* in one occurrence */
			size_t identities;	/* in all; members stop at
						   100 of them */
			struct an_label *common;/* in the first member's
						   order */
			size_t ncommon;
			const char **varying;	/* the other label names,
						   sorted (strcmp), borrowed */
			size_t nvarying;
		} storm;
	};
};

/* "replica", "cofiring", "storm". */
const char *an_group_kind_name(enum an_group_kind k);

/* Frees what g owns (not g itself) and zeroes it. */
void an_group_clear(struct an_group *g);

struct analysis {
	int64_t from, to;		/* the window */
	int64_t now;
	/* ids[0..nids): the identities of eps; then ids[nids..nids +
	 * nids_pending): those with only pending-only episodes in the window,
	 * which the classification, groups and replays leave out */
	struct an_identity *ids;
	size_t nids, nids_pending;
	struct an_episode *eps;		/* fired episodes started in the window
					   (and context before it), sorted by
					   firing_at */
	size_t neps;
	struct an_group *groups;
	size_t ngroups;
	/* pages in the window: one per firing notification to a paging
	 * receiver; noise when all its firing alerts' episodes are noise */
	struct an_page {
		const char *receiver;	/* owned by the analysis */
		int64_t at;		/* when it was received */
		size_t team_ident;	/* an identity of its alerts, for the team */
		int noise;
		int has_verdict;	/* some alert of it has a human verdict */
	} *pages;
	size_t npages;
	/* every receiver notified in the window, paging or not, in the order
	 * of their first notification */
	struct an_receiver {
		const char *name;	/* owned by the analysis */
		int paging;		/* one of paging_receivers */
		int derived;		/* its notifications are the real
					   routing tree's, replayed
					   (an_add_notification), not seen */
		int64_t notifications;	/* received in the window, firing and
					   resolved */
		uint64_t *notified;	/* bit i (word i / 64, bit i % 64) set:
					   eps[i] was in a firing notification
					   to it in the window; NULL: none.
					   Owned by the analysis */
	} *receivers;
	size_t nreceivers;
	int routed;			/* not_notified was computed from a
					   routing tree (rt_reasons) */
	struct an_byid {		/* eps by episode id, for lookups */
		int64_t id;
		size_t idx;
	} *byid;
	size_t nbyid;
};

/* Runs an analysis of [from, to) at time now. Besides the fired episodes
 * it counts each identity's episodes that ended while pending
 * (pending_only), loading the identities that have only those. Returns 0
 * and *out (free with an_free), -1 with store_errmsg / "out of memory"
 * in err, or AN_ESTOPPED when o->stop stopped it (err "stopped"). */
#define AN_ESTOPPED	(-2)
int an_run(struct store *st, const struct an_opts *o, int64_t from,
    int64_t to, int64_t now, struct analysis **out, char *err, size_t errlen);

void an_free(struct analysis *a);

/* The classification steps, exported for the unit tests, which build the
 * model by hand: flapping, then transient/persistent, then groups (which
 * mark duplicates), then the primary classes. an_flapping fills each
 * episode's flap_score and flapping (as above; a->eps sorted by firing_at)
 * and returns 0, or -1 on out-of-memory, leaving them unset. */
int an_flapping(struct analysis *a);
void an_durations(struct analysis *a);
int an_groups(struct analysis *a, const struct an_opts *o);
void an_classify(struct analysis *a);

/* JSON views for the read API and the report. sel[0..nsel) filter the
 * identities (an identity is kept when any matches; none: all).
 * an_alerts_json has a row per alertname with fired or pending-only
 * episodes in the window (pendingOnly: the latter's count; the numbers of
 * fired episodes are 0 when it has only those). an_summary_json's
 * byReceiver has a row per receiver notified in the window: the fired
 * episodes notified to it, the notifications it received, its pages. */
json_t *an_alerts_json(const struct analysis *a, struct sel *const *sel,
    size_t nsel, int by_identity);
json_t *an_groups_json(const struct analysis *a);
json_t *an_summary_json(const struct analysis *a);

/* One group as an_groups_json shows it: {kind, members [{alertname,
 * labels}], leader (its member or null), support, jaccard, evidence (per
 * kind: {copies, duplicateDeliveries, episodes}; {pairs [{a, b,
 * coOccurrences, jaccard, aFirst, bFirst}], windowSeconds};
 * {occurrences, maxIdentities, identities, commonLabels,
 * varyingLabels})}. NULL on out-of-memory. */
json_t *an_group_json(const struct an_group *g);


/* The episode with this id, or NULL when the analysis does not hold it
 * (a may be NULL). */
const struct an_episode *an_episode_find(const struct analysis *a,
    int64_t id);

/* The class of the episode with this id, when the analysis holds it:
 * returns 1 and fills the outputs, else 0. */
int an_episode_class(const struct analysis *a, int64_t id, enum an_class *cls,
    unsigned *reasons, int *presumed);

/* The episodes of each identity in time order: order[first[k]] ..
 * order[first[k + 1] - 1] index a->eps for identity k. Returns 0, or -1 on
 * out-of-memory; free with an_by_ident_free. */
struct an_by_ident {
	size_t *order;
	size_t *first;			/* nids + 1 entries */
};

int an_by_ident(const struct analysis *a, struct an_by_ident *b);
void an_by_ident_free(struct an_by_ident *b);

/* Adds a notification alertnoise did not see but the real routing tree
 * sent (lib/tuning/routing.h replays it): to receiver, at, with the firing
 * alerts of episodes eps[0..n) (indexes into a->eps; n 0: resolved only).
 * Counted as a seen one is: the receiver's notifications and episodes,
 * and a page, noise when all its episodes are, when the receiver pages.
 * The receiver is marked derived. Call after an_run (classes known).
 * Returns 0, or -1 on out-of-memory. */
int an_add_notification(struct analysis *a, const struct an_opts *o,
    const char *receiver, int64_t at, const size_t *eps, size_t n);

/* The receiver named name in a->receivers, or -1. */
long an_receiver_find(const struct analysis *a, const char *name);

/* True for the noise classes. */
int an_is_noise(enum an_class c);

/* True when receiver is one of o's paging receivers: its notifications
 * are pages. */
int an_is_paging(const struct an_opts *o, const char *receiver);

/* How long episode e fired: to its resolution, or to a->now while it is
 * open; what transient_max and persistent_min are compared with. */
int64_t an_firing_ms(const struct analysis *a, const struct an_episode *e);

#endif

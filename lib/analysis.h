/* analysis.h -- which alerts are noise, and why.
 *
 * An analysis covers a window of time: the fired episodes that started in
 * it, their identities, the pages sent for them and the verdicts people gave.
 * It classifies every fired episode (class and reasons), finds dedup groups
 * and aggregates noise ratios, MTTR and counts per alertname, receiver, team
 * and overall. Its cost is linear in the window's data: episodes are loaded
 * with one range scan of the store, never all of history.
 *
 * The flapping score follows Nagios/Icinga ("Detection and Handling of State
 * Flapping"): the alert's state at the last 21 observations, 20 possible
 * changes, the i-th oldest change (i = 1..20) weighing 0.8 + 0.4 * (i - 1) /
 * 19; score = 100 * sum of the weights of the observed changes / 20. An
 * identity starts flapping at score >= flap_high and stops at <= flap_low.
 * Observations are the identity's evaluation interval apart, as seen in its
 * remote-written samples, ending at the episode's firing time. Without
 * remote-write data (webhook only) the score is flap_high * n /
 * flap_min_episodes (capped at 100), n being the identity's episodes started
 * within flap_window up to this one: it flaps from flap_min_episodes
 * episodes on. README "Noise analysis" states the same. */
#ifndef AN_ANALYSIS_H
#define AN_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

struct sel;

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
	int flap_min_episodes;		/* 4 (webhook-only fallback) */
	int64_t flap_window_ms;		/* 1h (webhook-only fallback) */
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
	const char *const *group_labels;/* cofiring kind: alertname + these */
	size_t ngroup_labels;
	int64_t cofire_window_ms;	/* 2m */
	double cofire_min_jaccard;	/* 0.7 */
	int cofire_min_support;		/* 3 */
	int storm_min;			/* 10 identities */
	int64_t storm_window_ms;	/* 5m */
};

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
	int context;			/* fired before the window: history for
					   flapping and pages, not counted */
};

enum an_group_kind { GROUP_REPLICA, GROUP_COFIRING, GROUP_STORM };

struct an_group {
	enum an_group_kind kind;
	json_t *members;		/* array of {alertname, labels}; owned */
	long leader;			/* index into members, -1: none */
	int support;			/* occurrences behind it */
	double jaccard;			/* cofiring: the weakest pair kept */
	json_t *evidence;		/* object of numbers; owned */
};

struct analysis {
	int64_t from, to;		/* the window */
	int64_t now;
	struct an_identity *ids;
	size_t nids;
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
	struct an_byid {		/* eps by episode id, for lookups */
		int64_t id;
		size_t idx;
	} *byid;
	size_t nbyid;
};

/* Runs an analysis of [from, to) at time now. Returns 0 and *out (free with
 * an_free), or -1 with store_errmsg / "out of memory" in err. */
int an_run(struct store *st, const struct an_opts *o, int64_t from,
    int64_t to, int64_t now, struct analysis **out, char *err, size_t errlen);

void an_free(struct analysis *a);

/* The classification steps, exported for the unit tests, which build the
 * model by hand: flapping, then transient/persistent, then groups (which
 * mark duplicates), then the primary classes. */
void an_flapping(struct analysis *a);
void an_durations(struct analysis *a);
int an_groups(struct analysis *a, const struct an_opts *o);
void an_classify(struct analysis *a);

/* JSON views for the read API and the report. sel[0..nsel) filter the
 * identities (an identity is kept when any matches; none: all). */
json_t *an_alerts_json(const struct analysis *a, struct sel *const *sel,
    size_t nsel, int by_identity);
json_t *an_groups_json(const struct analysis *a);
json_t *an_summary_json(const struct analysis *a);

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

/* Nagios' weighted percent state change over 21 observations (states[0]
 * oldest, 1 firing, 0 not). */
double an_flap_score(const unsigned char states[21]);

/* True for the noise classes. */
int an_is_noise(enum an_class c);

/* True when receiver is one of o's paging receivers: its notifications
 * are pages. */
int an_is_paging(const struct an_opts *o, const char *receiver);

/* How long episode e fired: to its resolution, or to a->now while it is
 * open; what transient_max and persistent_min are compared with. */
int64_t an_firing_ms(const struct analysis *a, const struct an_episode *e);

#endif

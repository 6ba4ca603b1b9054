/* recommend.h -- what to change in Prometheus and Alertmanager to cut noise.
 *
 * Turns an analysis (analysis.h) into concrete, ready-to-paste changes:
 * raise a rule's `for`, give it `keep_firing_for`, lengthen a route's
 * `repeat_interval`, group a storm, inhibit co-firing followers, route an
 * alert people call noise away from paging, review an alert that fires for
 * days, drop the replica label. Every change that can be replayed is
 * replayed (replay.h) alone on top of the current settings, and is kept
 * only when the replay says it removes notifications or pages. README
 * "Recommendations" documents each kind, its evidence and the confidence
 * rule; recommend.c states them next to the code.
 *
 * The result is typed (struct rc_list of struct rc_rec): the code after
 * rc_recommend (daemon/patches.c, the KPIs, the web UI) reads its members,
 * and rc_list_json renders it as GET /api/v1/recommendations answers and
 * the report, Markdown and HTML carry it. */
#ifndef AN_RECOMMEND_H
#define AN_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "replay.h"

struct rc_opts {
	double for_target;		/* 0.8: share of an alertname's noise
					   episodes a raised `for` must
					   suppress */
	int noise_marks_min;		/* 3: human "noise" verdicts needed
					   for route_away_from_paging */
	int64_t persistent_review_ms;	/* 7d: firing longer asks for
					   fix_or_delete */
	const char *const *replica_labels;	/* dropped by the
					   drop_replica_label snippet;
					   borrowed */
	size_t nreplica;
	const struct rp_limits *lim;	/* bounds on all the replays
					   together (replay.h); NULL: none.
					   Borrowed */
};

/* The documented defaults; replica labels [replica, prometheus_replica]
 * (identity.replica_labels' default). */
void rc_opts_default(struct rc_opts *ro);

/* What a change is predicted to do (the replay's, net of what the replay
 * of the unchanged settings counts; recommend.c says how per kind). A
 * count < 0, a double < 0: does not apply, written as null. */
struct rc_pred {
	long pages_before, pages_after;
	long notif_before, notif_after;
	long noise_removed, delayed, lost;	/* actionable delayed, lost */
	double p50, max;		/* added delay, seconds; both < 0: none
					   (added_delay_seconds null) */
	double replay_error;
};

enum rc_conf { RC_CONF_LOW, RC_CONF_MEDIUM, RC_CONF_HIGH };

/* The kinds, in the order README "Recommendations" lists them. */
enum rc_kind {
	RC_RAISE_FOR,
	RC_KEEP_FIRING_FOR,
	RC_REPEAT_INTERVAL,
	RC_GROUP_BY,
	RC_INHIBIT_RULE,
	RC_ROUTE_AWAY_FROM_PAGING,
	RC_FIX_OR_DELETE,
	RC_DROP_REPLICA_LABEL,
	RC_KINDS
};

/* "raise_for", ..., "low", "medium", "high": the names the JSON carries. */
const char *rc_kind_name(enum rc_kind k);
const char *rc_conf_name(enum rc_conf c);

/* Strings the list owns. */
struct rc_strings {
	char **v;
	size_t n;
};

/* The change a recommendation makes, as the code that turns it into a
 * patch needs it; which members are set depends on the kind. The
 * evidence says the same for people. */
struct rc_change {
	int64_t for_ms;			/* raise_for: the `for`; else -1 */
	int64_t keep_firing_for_ms;	/* keep_firing_for; else -1 */
	int64_t repeat_interval_ms;	/* repeat_interval; else -1 */
	struct rc_strings receivers;	/* repeat_interval, group_by: the
					   receivers it goes to today */
	struct rc_strings group_by;	/* group_by */
	struct rc_strings paging_receivers;	/* route_away_from_paging:
					   where it pages today */
	char *receiver;			/* route_away_from_paging: where to;
					   else NULL */
	char *source;			/* inhibit_rule: the leader's
					   alertname; else NULL */
	struct rc_strings targets;	/* inhibit_rule: the followers' */
	struct rc_strings equal;	/* inhibit_rule */
};

/* A recommendation as a patch of a file of the user's: its unified diff,
 * or, diff NULL, why none could be made. */
struct rc_patch {
	char *file;
	char *diff;
	size_t difflen;
	char *error;
};

/* What was checked before a patch was proposed; the JSON's
 * evidence.safety. */
enum rc_check {
	RC_CHECK_NONE,			/* nothing: no evidence.safety */
	RC_CHECK_NOT_MADE,		/* no patch could be made: why */
	RC_CHECK_RECEIVERS,		/* every other alert keeps its
					   receivers */
	RC_CHECK_INHIBIT,		/* no alert can mute its own source */
};

struct rc_safety {
	enum rc_check check;
	char *why;			/* RC_CHECK_NOT_MADE */
	long identities_checked;	/* RECEIVERS, INHIBIT */
	long identities_moved;		/* RECEIVERS */
	long routes_added;		/* RECEIVERS */
};

struct rc_rec {
	char *id;			/* unique in a list */
	enum rc_kind kind;
	const char *target;		/* "prometheus_rule", ...: static */
	char *alertname;		/* NULL: several */
	struct rc_strings matchers;	/* Alertmanager matchers */
	struct rc_pred pred;
	enum rc_conf conf;
	char *snippet, *summary;
	struct rc_change change;
	/* The kind's numbers for people, a JSON object: rendered as it is
	 * (rc_rec_json), never read by code; the typed members above are
	 * what code reads. */
	json_t *evidence;
	/* Set when the change is made a patch of the user's files
	 * (rc_add_patch, rc_set_safety: the daemon's patches.c): patched
	 * (then "patches" is written, possibly empty), the patches, and
	 * the safety check. */
	int patched;
	struct rc_patch *patches;
	size_t npatches;
	struct rc_safety safety;
};

struct rc_list {
	struct rc_rec *rows;
	size_t n;
};

/* The recommendations for analysis a (classified: an_run, or the steps of
 * analysis.h), replayed with history h under the current settings current
 * (NULL: none known, Alertmanager's defaults) and o's paging receivers. ro
 * NULL takes rc_opts_default. Everything is borrowed and left unchanged.
 *
 * Fills *out (the caller frees it with rc_list_free) with one row per
 * recommendation, unique by id, ordered by pages saved (rc_pages_saved,
 * most first), then id; nothing is patched yet. The same input gives the
 * same list. Returns 0, -1 on out-of-memory, or the enum rp_status of
 * the limit of ro->lim the replays hit (*out empty). */
int rc_recommend(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rc_opts *ro, struct rc_list *out);

/* Frees what l holds and leaves it empty (l itself is the caller's). */
void rc_list_free(struct rc_list *l);

/* Removes row i of l (freed), keeping the others' order. */
void rc_list_remove(struct rc_list *l, size_t i);

/* Pages saved: pages_before - pages_after when the prediction has both,
 * else 0. */
long rc_pages_saved(const struct rc_rec *r);

/* Adds a patch of file to r and sets r->patched: its unified diff (dlen
 * bytes), or, diff NULL, the error that kept it from being made. The
 * strings are copied; they must be UTF-8 (the YAML they come from is).
 * Returns 0, or -1 on out-of-memory or a string that is not UTF-8 (r
 * unchanged but patched). */
int rc_add_patch(struct rc_rec *r, const char *file, const char *diff,
    size_t dlen, const char *error);

/* Sets r->safety to check; why (RC_CHECK_NOT_MADE, copied) may be NULL
 * otherwise. Returns 0, or -1 on out-of-memory (r->safety unchanged). */
int rc_set_safety(struct rc_rec *r, enum rc_check check, const char *why,
    long identities_checked, long identities_moved, long routes_added);

/* The JSON of GET /api/v1/recommendations (README "Recommendations"):
 * rc_list_json an array of rc_rec_json's, rc_rec_json an object with id,
 * kind, alertname, matchers, evidence (plus "safety" when checked),
 * predicted (rc_pred_json), confidence, snippet, target, summary, and
 * "patches" when patched (objects of file and diff, or file and error).
 * New values the caller owns (json_decref), sharing nothing with the list;
 * NULL on out-of-memory. */
json_t *rc_list_json(const struct rc_list *l);
json_t *rc_rec_json(const struct rc_rec *r);
json_t *rc_pred_json(const struct rc_pred *p);

#endif

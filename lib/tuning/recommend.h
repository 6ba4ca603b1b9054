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
 * rule; recommend.c states them next to the code. */
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
};

/* The documented defaults; replica labels [replica, prometheus_replica]
 * (identity.replica_labels' default). */
void rc_opts_default(struct rc_opts *ro);

/* The recommendations for analysis a (classified: an_run, or the steps of
 * analysis.h), replayed with history h under the current settings current
 * (NULL: none known, Alertmanager's defaults) and o's paging receivers. ro
 * NULL takes rc_opts_default. Everything is borrowed and left unchanged.
 *
 * Returns a new JSON array the caller owns (json_decref): one object per
 * recommendation with id, kind, alertname, matchers, evidence, predicted,
 * confidence, snippet, target and summary, ordered by pages saved (most
 * first), then id. The same input gives the same array. Returns NULL on
 * out-of-memory. */
json_t *rc_recommend(const struct analysis *a, const struct rp_history *h,
    const struct an_opts *o, const struct rp_settings *current,
    const struct rc_opts *ro);

#endif

/* review.h -- what a weekly review covers: its span (a window up to now, an
 * ISO week in report.timezone, or start/end) and its selection (match[],
 * or team= as the selector {<analysis.team_label>="..."}), as GET
 * /api/v1/report, the overview page and `alertnoised report` take them;
 * and the recommendations a selection's review carries (review.c;
 * daemon/ only). */
#ifndef AN_REVIEW_H
#define AN_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analyses.h"
#include "params.h"
#include "recommend.h"

#define REVIEW_MATCH_MAX PARAMS_MATCH_MAX	/* match[] of one review */

struct tz;

/* The parameters as given (NULL: not given), strings borrowed. */
struct review_params {
	const char *window, *week, *start, *end, *team;
	const char *const *match;
	size_t nmatch;
};

struct review_scope {
	struct analysis_key key;	/* key.match points into match */
	char week[16];			/* the ISO week asked, or "" */
	char window[32];		/* the window as asked ("7d"), or "" */
	char *match[REVIEW_MATCH_MAX];	/* owned */
	size_t nmatch;
};

/* Fills s from p at time now (an empty parameter is one not given):
 * window (a duration or seconds, default
 * default_window), or week ("2026-W48", in tz; NULL: UTC), or start (and
 * end, default now) -- one of the three; and match[] (each checked) or
 * team (a label value of team_label) -- one of the two. Returns 0, or -1
 * with msg saying what is wrong (a 400, a usage error); free s with
 * review_scope_free either way. */
int review_scope_parse(struct review_scope *s, const struct review_params *p,
    const char *default_window, const struct tz *tz, const char *team_label,
    int64_t now, char *msg, size_t msglen);
void review_scope_free(struct review_scope *s);

/* The recommendations of the review of a selection: those of recs (the
 * whole span's) about an alertname the selection's analysis a has; one
 * about several alertnames (a route's) is left out. An array as
 * rc_list_json makes; NULL on out-of-memory. */
json_t *review_recommendations(const struct rc_list *recs,
    const struct analysis *a);

/* Whether the review of a selection carries r (review_recommendations'
 * test): r is about an alertname the selection's analysis a has. */
int review_recommendation_of(const struct rc_rec *r,
    const struct analysis *a);

#endif

/* an_views.h -- what an analysis says, as C structs.
 *
 * An analysis (analysis.h) holds a window's episodes, pages and groups; a
 * view aggregates them the way an answer shows them: per alertname (and per
 * identity), and for the window as a whole (per receiver, per team). The
 * read API, the UI, the report and /metrics all take their numbers from
 * these structs, and JSON is only made from them (an_*_json), never read
 * back. A view borrows strings from its analysis: free it first. */
#ifndef AN_AN_VIEWS_H
#define AN_AN_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"

/* The numbers behind a noise ratio and MTTR, for one slice of a window's
 * fired episodes (context episodes before the window are not counted). */
struct an_numbers {
	long episodes;
	long noise;			/* episodes of a noise class */
	long classes[CLS_COUNT];
	long feedback[3];		/* by FB_* of their last verdict */
	long notifications;
	long pages, noise_pages;
	double firing_seconds;		/* firing within the window */
	long resolved;			/* episodes resolved: MTTR's sample */
	double mttr_mean, mttr_median, mttr_p90;	/* seconds; 0 when
					   resolved is 0 */
};

/* part / whole, or NAN when whole is 0: the ratio of nothing is undefined
 * (null in JSON, no sample in /metrics). */
double an_ratio(long part, long whole);

/* One alertname's numbers (ident SIZE_MAX), or one identity's. */
struct an_alert_row {
	const char *alertname;		/* the analysis's */
	size_t ident;			/* index into a->ids, SIZE_MAX: the
					   row of an alertname */
	struct an_numbers n;
	double flap_score;		/* the highest of its episodes */
	int flapping;			/* its latest episode flapped (an
					   alertname: any identity's) */
	long pending_only;		/* episodes that never fired */
	struct an_alert_row *idents;	/* an alertname's identities, when
					   asked for; else NULL */
	size_t nidents;
};

/* A row per alertname with fired or pending-only episodes in the window,
 * sorted by alertname (strcmp). */
struct an_alerts {
	struct an_alert_row *rows;
	size_t n;
};

/* Aggregates a's episodes per alertname. sel[0..nsel) filter the
 * identities (kept when any matches; none: all); by_identity also fills
 * each row's idents. One pass over the episodes, then identities grouped
 * by alertname. Returns 0, or -1 on out-of-memory (nothing to free). */
int an_alerts_view(const struct analysis *a, struct sel *const *sel,
    size_t nsel, int by_identity, struct an_alerts *out);
void an_alerts_view_free(struct an_alerts *v);

/* The row of alertname in v, or NULL. */
const struct an_alert_row *an_alerts_find(const struct an_alerts *v,
    const char *alertname);

/* Whether row's flap score rests on enough observations: an identity's
 * when at least flap_min_episodes of its episodes fired in the window
 * (fewer can never start flapping, analysis.h), an alertname's when one of
 * its identities' did (so an alertname's row needs its idents: a view made
 * by_identity). *min gets the least flap_min_episodes among them, 0 when
 * the row has no identity. The UI and the report show no score otherwise. */
int an_flap_observed(const struct analysis *a, const struct an_alert_row *row,
    int *min);

/* A receiver's or a team's numbers. */
struct an_slice {
	const char *key;		/* the analysis's */
	struct an_numbers n;
};

struct an_summary {
	int64_t from, to;		/* the window */
	struct an_numbers all;
	long pages_with_verdict;	/* feedback coverage: of all.pages */
	size_t dedup_groups;
	int routed;			/* not_notified was computed (a routing
					   tree told); else unknown */
	long not_notified[NN_COUNT];	/* fired episodes per NN_* reason */
	/* every receiver notified in the window: the fired episodes notified
	 * to it, the notifications it received, its pages; in the order of
	 * their first notification */
	struct an_slice *receivers;
	size_t nreceivers;
	struct an_slice *teams;		/* by team_label, "" for none */
	size_t nteams;
};

/* Returns 0 and *out, or -1 on out-of-memory (nothing to free). */
int an_summary_view(const struct analysis *a, struct an_summary *out);
void an_summary_view_free(struct an_summary *s);

/* The JSON of the read API. an_alert_rows_json needs the analysis the
 * view was made from (labels, fingerprints); by_identity adds each row's
 * "identities" when the view has them. NULL on out-of-memory. */
json_t *an_alert_rows_json(const struct analysis *a,
    const struct an_alerts *v, int by_identity);
json_t *an_summary_view_json(const struct an_summary *s);

/* The pieces of that JSON other documents (the report) write too: counts
 * by class name, classes[0..CLS_COUNT); and {silenced, inhibited, muted,
 * resolvedInGroupWait, unknown} from counts[0..NN_COUNT), JSON null
 * when !routed (no routing tree told which were due). NULL on
 * out-of-memory. */
json_t *an_classes_json(const long *classes);
json_t *an_not_notified_json(int routed, const long *counts);

#endif

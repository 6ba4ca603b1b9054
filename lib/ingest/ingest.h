/* ingest.h -- turning what arrives into stored notifications and episodes.
 *
 * Both sources of alert history go through here: Alertmanager webhooks (what
 * was notified) and Prometheus remote-write samples of ALERTS /
 * ALERTS_FOR_STATE (what was evaluated, pending included). ingest_webhook
 * and ingest_samples are one store transaction each, ingest_expire one per
 * batch, committed and synced before they return 0. ingest_webhook_apply and
 * ingest_samples_apply do the same work inside a transaction the caller
 * opened and commits: the daemon applies many requests in one transaction
 * and syncs them once (group commit, commitq.h).
 *
 * Episodes join the two: one episode per alert identity per firing period,
 * whichever source saw it first. The rules (README "Episodes"):
 * - an identity is the alert's labels minus __name__, alertstate and the
 *   replica labels, so HA replicas share one timeline;
 * - a pending series starting opens an episode (pending_at), or joins one
 *   that is open at that time;
 * - a firing series starting sets firing_at of the identity's open episode,
 *   or of one that just ended while pending (the pending series goes stale
 *   at the evaluation where the firing one starts), or of one whose firing_at
 *   is within join_tolerance (the webhook saw it first); else opens one;
 * - a firing series ending (stale marker, or staleness timeout) resolves the
 *   episode, once no other replica's firing series is still active;
 * - a webhook alert joins the identity's episode overlapping its
 *   [startsAt, endsAt], else opens one; a resolved alert closes it. */
#ifndef AN_INGEST_H
#define AN_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "rw_decode.h"
#include "store.h"
#include "webhook.h"

/* The series that became live in the last minute, in one-second buckets
 * (a sliding window): zero-initialised, kept by the caller across
 * requests, and changed by ingest_samples_apply only, under the store's
 * write transaction. */
#define INGEST_RATE_BUCKETS 60
struct ingest_rate {
	int64_t sec[INGEST_RATE_BUCKETS];	/* the bucket's second */
	int64_t n[INGEST_RATE_BUCKETS];
};

struct ingest_opts {
	const char *const *replica_labels;
	size_t nreplica;
	int64_t dedup_window_ms;	/* webhook retries */
	int64_t join_tolerance_ms;	/* remote write vs webhook times */
	unsigned source;		/* samples: EP_SRC_REMOTE_WRITE or
					   EP_SRC_IMPORT */
	/* samples: cardinality caps on the series a request starts (made
	 * live), each 0 for none: the live series after it, and those
	 * started in the minute before received_ms (counted in *rate) */
	int64_t max_live_series;
	int64_t max_new_per_minute;
	struct ingest_rate *rate;	/* NULL: no per-minute limit */
};

/* Which cap refused a remote-write request (ingest_result.limited). */
enum ingest_limit {
	INGEST_LIMIT_NONE,
	INGEST_LIMIT_LIVE,		/* max_live_series */
	INGEST_LIMIT_RATE		/* max_new_per_minute */
};

struct ingest_result {
	int duplicate;			/* webhook: a retry, nothing stored */
	int64_t notification_id;
	size_t episodes_opened;
	size_t episodes_resolved;
	size_t samples_applied;		/* ALERTS* samples that were new */
	size_t samples_old;		/* at or before the series' last one */
	size_t samples_ignored;		/* not ALERTS / ALERTS_FOR_STATE */
	size_t series_expired;		/* ended by the staleness timeout */
	size_t series_new;		/* samples: series the request starts */
	enum ingest_limit limited;	/* samples: refused, nothing written */
	int64_t limit_count;		/* then: the live series, or those
					   started in the last minute */
};

/* Stores a webhook notification received at received_ms. A notification
 * identical to one received within opts->dedup_window_ms is a retry:
 * res->duplicate is set and nothing is written. Returns 0, or -1 when the
 * store failed (nothing written; store_errmsg says why). */
int ingest_webhook(struct store *st, const struct wh_notification *n,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res);

/* What ingest_webhook does, inside the caller's open transaction, which
 * sees what earlier writes of the transaction wrote (a retry of a
 * notification applied earlier in it is a duplicate). Nothing is durable
 * before the caller's commit returns 0. Returns 0, or -1 having written
 * part of the notification: the caller rolls back (to a savepoint taken
 * before the call, or the whole transaction). */
int ingest_webhook_apply(struct store *st, const struct wh_notification *n,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res);

/* Applies the valid series of a decoded remote-write request (or an
 * import batch) received at received_ms. Samples at or before a series'
 * last applied sample are ignored, so a re-sent batch changes nothing.
 * A request that starts series -- carries a sample, not a staleness
 * marker, of a series that is not live -- beyond opts' caps is refused
 * whole before anything is written: res->limited says which cap and
 * res->series_new, res->limit_count by how much; the request's other
 * series go with it (samples of live series alone are never refused).
 * Returns 0 or -1 as ingest_webhook (0 when refused). */
int ingest_samples(struct store *st, const struct rw_request *req,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res);

/* What ingest_samples does, inside the caller's open transaction; returns
 * as ingest_webhook_apply. */
int ingest_samples_apply(struct store *st, const struct rw_request *req,
    int64_t received_ms, const struct ingest_opts *opts,
    struct ingest_result *res);

/* Ends active series that received no sample since now_ms - timeout_ms, as
 * if a staleness marker had come right after their last sample: all of
 * them, in transactions of a few hundred series each. Returns 0, or -1
 * when a transaction failed (the batches before it stay committed). */
int ingest_expire(struct store *st, int64_t now_ms, int64_t timeout_ms,
    const struct ingest_opts *opts, struct ingest_result *res);

#endif

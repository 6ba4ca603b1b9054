/* rows.h -- the rows of the alert history: what the store keeps and the
 * in-memory model (model.h) holds, and the analysis scans hand out
 * (store.h, "analysis reads"). Times are ms since the Unix epoch (UTC), 0
 * "none"; fingerprints are uint64_t. */
#ifndef AN_ROWS_H
#define AN_ROWS_H

#include <stdint.h>

/* Where an episode's data came from (episodes.sources). */
enum {
	EP_SRC_WEBHOOK = 1 << 0,
	EP_SRC_REMOTE_WRITE = 1 << 1,
	EP_SRC_IMPORT = 1 << 2,
};

/* One firing period of one alert identity; pending_at, firing_at and
 * resolved_at are 0 when unknown / not (yet) happened. An episode that ended
 * while pending has pending_at and resolved_at but no firing_at. */
struct episode {
	int64_t id;
	uint64_t identity;
	int64_t pending_at, firing_at, resolved_at;
	int64_t first_notified_at, last_notified_at;
	int64_t notifications;
	unsigned sources;		/* EP_SRC_* */
};

/* The start of an episode: pending_at, else firing_at. */
#define EPISODE_START(e) ((e)->pending_at ? (e)->pending_at : (e)->firing_at)

/* Which episodes store_query_episodes lists. */
struct episode_filter {
	const char *alertname;	/* NULL: any */
	int64_t since, until;	/* episodes overlapping [since, until]; 0: open-ended */
	int open_only;		/* only episodes not resolved */
};

/* Kinds of remote-written alert series. */
enum series_kind { SERIES_PENDING, SERIES_FIRING, SERIES_FOR_STATE };

/* What the analysis needs of an identity. */
struct identity_row {
	uint64_t identity;
	const char *alertname;
	const char *labels;		/* JSON object text */
	int64_t interval_ms;		/* 0: no remote-write samples */
	int copies;			/* distinct fingerprints / replica series */
	int dup_deliveries;		/* notifications delivered twice */
};

/* A row of store_scan_notified: each alert of each notification received
 * in [from, to) -- with firing_only, each firing alert of each firing notification, and one row
 * without an alert (alertname NULL, episode and identity 0) for each
 * notification that has none such (a resolved one), so that every
 * notification is seen. In the order the notifications were received (then
 * by id), a notification's alerts together. */
struct notified_row {
	int64_t notification;
	int64_t received_at;
	const char *receiver;
	const char *group_labels;	/* JSON object text */
	int64_t episode;		/* the alert's episode, 0: none */
	uint64_t identity;
	const char *alertname;		/* NULL: a row without an alert */
};

#endif

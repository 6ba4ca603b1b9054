/* store.h -- alertnoise's storage interface.
 *
 * lib/ talks to storage only through these functions; each backend is a
 * table of function pointers (struct store_backend in store_impl.h), so the
 * embedded SQLite store today and a PostgreSQL one later are two files behind
 * one interface (OpenSMTPD's table_backend). Every write is one transaction,
 * committed and synced to disk before the function returns 0: callers may
 * acknowledge the data once it returns.
 *
 * Times are milliseconds since the Unix epoch (UTC) throughout. */
#ifndef AN_STORE_H
#define AN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "webhook.h"

struct store;

/* What a put did. */
enum store_put_outcome {
	STORE_STORED,		/* written and synced */
	STORE_DUPLICATE,	/* identical to one received within the dedup
				   window: nothing written */
};

struct store_put_result {
	enum store_put_outcome outcome;
	int64_t notification_id;	/* of the stored (or earlier) copy */
	size_t episodes_opened;		/* new episodes */
	size_t episodes_resolved;	/* episodes this closed */
};

struct store_prune_result {
	int64_t notifications, episodes, identities;	/* rows deleted */
};

/* Opens (creating when needed) the store of the named backend ("sqlite")
 * under the directory path, applying schema migrations. On success returns 0
 * and *out (close with store_close). On failure returns -1 with a message
 * in err. */
int store_open(const char *backend, const char *path, struct store **out,
    char *err, size_t errlen);

/* Closes the store; NULL is allowed. */
void store_close(struct store *st);

/* Stores one webhook notification received at received_ms, with its alerts,
 * and updates the episodes of their identities. A notification whose digest
 * equals one received less than dedup_window_ms before is a retry: nothing
 * is written and outcome is STORE_DUPLICATE. Returns 0, or -1 on a storage
 * failure (nothing written; message in err). Thread-safe. */
int store_put_notification(struct store *st, const struct wh_notification *n,
    int64_t received_ms, int64_t dedup_window_ms,
    struct store_put_result *res, char *err, size_t errlen);

/* Deletes notifications received, and episodes resolved, before cutoff_ms,
 * and identities left without episodes or notifications. Returns 0 or -1. */
int store_prune(struct store *st, int64_t cutoff_ms,
    struct store_prune_result *res, char *err, size_t errlen);

/* The schema version the store is at. */
int store_schema_version(struct store *st);

#endif

/* store_impl.h -- what a storage backend implements (internal to lib/).
 * A backend's own store struct starts with `struct store base`. */
#ifndef AN_STORE_IMPL_H
#define AN_STORE_IMPL_H

#include "store.h"

struct store_backend {
	const char *name;
	int (*open)(const char *path, struct store **out, char *err,
	    size_t errlen);
	void (*close)(struct store *st);
	int (*put_notification)(struct store *st,
	    const struct wh_notification *n, int64_t received_ms,
	    int64_t dedup_window_ms, struct store_put_result *res, char *err,
	    size_t errlen);
	int (*prune)(struct store *st, int64_t cutoff_ms,
	    struct store_prune_result *res, char *err, size_t errlen);
	int (*schema_version)(struct store *st);
};

struct store {
	const struct store_backend *be;
};

extern const struct store_backend store__sqlite;

#endif

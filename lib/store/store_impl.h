/* store_impl.h -- what a storage backend implements (internal to lib/).
 * Each member has the contract of the store_* function of the same name in
 * store.h. A backend's own store struct starts with `struct store base`. */
#ifndef AN_STORE_IMPL_H
#define AN_STORE_IMPL_H

#include "store.h"

struct store_backend {
	const char *name;
	int (*open)(const char *path, const struct store_opts *opts,
	    struct store **out, char *err, size_t errlen);
	void (*close)(struct store *);
	int (*schema_version)(struct store *);
	const char *(*errmsg)(struct store *);
	int (*generation)(struct store *, uint64_t *);
	int (*check)(const char *, int, void (*)(const char *, void *),
	    void *, char *, size_t);
	int (*write_fault)(struct store *, char *, size_t);
	int (*write_probe)(struct store *);

	int (*begin)(struct store *);
	int (*commit)(struct store *);
	void (*rollback)(struct store *);
	int (*savepoint)(struct store *);
	int (*savepoint_release)(struct store *);
	int (*savepoint_rollback)(struct store *);

	int (*find_notification)(struct store *, uint64_t, int64_t, int64_t *);
	int (*insert_notification)(struct store *,
	    const struct wh_notification *, int64_t, int64_t *);
	int (*insert_notification_alert)(struct store *, int64_t, size_t,
	    const struct wh_alert *, int64_t);
	int (*upsert_identity)(struct store *, uint64_t, const char *,
	    const json_t *, int64_t);
	int (*episodes_near)(struct store *, uint64_t, int64_t, int64_t,
	    struct episode *, int);
	int (*insert_episode)(struct store *, struct episode *, const char *);
	int (*update_episode)(struct store *, const struct episode *);
	int (*merge_episode)(struct store *, int64_t, int64_t);
	int (*episode_has_copy)(struct store *, int64_t, uint64_t);
	int (*relink_alerts)(struct store *, uint64_t, int64_t, int64_t,
	    int64_t, int64_t);
	int (*get_series)(struct store *, uint64_t, struct series_state *);
	int (*put_series)(struct store *, const struct series_state *);
	int (*count_active_series)(struct store *, uint64_t, enum series_kind,
	    uint64_t, int64_t, int64_t, int);
	int (*last_series_end)(struct store *, uint64_t, enum series_kind,
	    uint64_t, int64_t, int64_t *);
	int (*idle_series)(struct store *, int64_t, struct series_state *, int);
	int64_t (*live_series)(struct store *, int);	/* 1: committed */
	int (*prune)(struct store *, int64_t, struct store_prune_result *);

	int (*query_episodes)(struct store *, const struct episode_filter *,
	    int (*)(const struct episode_row *, void *), void *);
	int (*scan_episodes)(struct store *, int64_t, int64_t,
	    int (*)(const struct episode *, void *), void *);
	int (*scan_pending_only)(struct store *, int64_t, int64_t,
	    int (*)(const struct episode *, void *), void *);
	int (*scan_identities)(struct store *, int64_t, int64_t,
	    int (*)(const struct identity_row *, void *), void *);
	int (*scan_notified)(struct store *, int64_t, int64_t, int,
	    int (*)(const struct notified_row *, void *), void *);
	int (*scan_feedback)(struct store *, int64_t, int64_t,
	    int (*)(int64_t, const char *, void *), void *);
	int (*find_feedback_episode)(struct store *, uint64_t, int64_t,
	    struct episode *);
	int (*put_silences)(struct store *, const struct silence *, size_t);
	int (*scan_silences)(struct store *, int64_t, int64_t,
	    int (*)(const struct silence *, void *), void *);
	int (*add_feedback)(struct store *, const struct episode *,
	    const char *, const char *, const char *, int64_t);
	int (*count_open)(struct store *, int64_t *, int64_t *);
	int (*counter_add)(struct store *, const char *, const char *const *,
	    size_t, double);
	int (*scan_counters)(struct store *, int (*)(const char *,
	    const char *const *, size_t, double, void *), void *);
	int (*alert_meta)(struct store *, const char *, uint64_t,
	    struct alert_meta *);
	void (*cancel_reads)(struct store *);
	int (*refresh)(struct store *);
};

struct store {
	const struct store_backend *be;
	/* the in-memory alert model (model.h) the analysis scans read, or
	 * NULL; the backend creates it and keeps it current */
	struct model *model;
	uint64_t scans_model, scans_store;	/* atomic */
	int cancelled;			/* store_cancel_reads; atomic */
	enum store_checked checked;	/* at open; set by the backend */
};

extern const struct store_backend store__sqlite;

#endif

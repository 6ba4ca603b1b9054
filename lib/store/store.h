/* store.h -- alertnoise's storage interface.
 *
 * lib/ talks to storage only through these functions; each backend is a
 * table of function pointers (struct store_backend in store_impl.h), so the
 * embedded SQLite store today and a PostgreSQL one later are two files behind
 * one interface (OpenSMTPD's table_backend). What to store is decided in
 * lib/ingest/ingest.c; the backend only reads and writes rows.
 *
 * Writes happen between store_begin and store_commit, which holds the
 * store's write lock: one writer at a time. store_commit returns only once
 * the transaction is synced to disk, so callers may acknowledge the data
 * after it returns 0. Reads (store_query_*) may run concurrently with a
 * writer and see the last committed state.
 *
 * Times are milliseconds since the Unix epoch (UTC); 0 means "none" (NULL in
 * the database). Fingerprints are uint64_t, stored as 16 hex digits. */
#ifndef AN_STORE_H
#define AN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rows.h"
#include "webhook.h"

struct store;

/* What the store remembers of one remote-written series. */
struct series_state {
	uint64_t series;	/* fingerprint of all its labels */
	uint64_t identity;
	enum series_kind kind;
	int64_t last_ts;	/* timestamp of the last sample applied */
	double last_value;
	int active;		/* 1 after a sample, 0 after its end */
	int64_t received_at;	/* wall time the last sample arrived */
	int64_t interval_ms;	/* gap between its last two samples: the
				   rule's evaluation interval; 0: unknown */
	int64_t run_start;	/* first sample of its current (or last)
				   run; 0: unknown */
};

struct store_prune_result {
	int64_t notifications, episodes, identities, series;	/* deleted */
	int64_t silences;
};

/* An Alertmanager silence as GET /api/v2/silences gives it, kept after
 * Alertmanager forgets it. */
struct silence {
	const char *id;
	const char *matchers;		/* its matchers, Alertmanager's syntax:
					   {a="b",c=~"d"} */
	int64_t starts_at, ends_at, updated_at;	/* ms */
	const char *created_by, *comment;
};

/* Opens (creating when needed) the store of the named backend ("sqlite")
 * under the directory path, applying schema migrations. A store once
 * created leaves a marker (<path>/store-id): an empty or missing database
 * where the marker is is refused, not created anew. On success returns 0
 * and *out (close with store_close). On failure returns -1 with a message in
 * err that names the file and, for a store that is not whole, what to do. */
int store_open(const char *backend, const char *path, struct store **out,
    char *err, size_t errlen);

/* What store_open_opts may change; a zero field keeps its default. */
struct store_opts {
	/* How long a statement waits for a lock another connection or
	 * process holds before it fails; 1..INT_MAX, default 5000. */
	int64_t busy_timeout_ms;
	/* How much history the in-memory alert model holds (model.h),
	 * counted back from the time it is loaded; 0: no model, every scan
	 * reads the database. */
	int64_t model_horizon_ms;
	/* 1: PRAGMA quick_check before anything is written, and a store
	 * it finds corrupt is refused; 0: no check (it reads every page).
	 * A verified store closed cleanly notes its file's identity, and
	 * the next verified open skips the check while the file (size,
	 * times, inode) is unchanged and has no WAL to recover. */
	int verify;
};

/* How the store was checked at open (store_open_check). */
enum store_checked {
	STORE_CHECK_OFF = 0,		/* not asked (store_opts.verify 0) */
	STORE_CHECK_RAN,		/* PRAGMA quick_check found it whole */
	STORE_CHECK_SKIPPED		/* closed cleanly, unchanged since */
};
enum store_checked store_open_check(const struct store *st);

/* store_open with opts (NULL: the defaults); the same contract. */
int store_open_opts(const char *backend, const char *path,
    const struct store_opts *opts, struct store **out, char *err,
    size_t errlen);

/* Closes the store; NULL is allowed. */
void store_close(struct store *st);

/* Checks the named backend's store under path without changing it (it is
 * opened read-only, so a running daemon's store can be checked): full
 * selects PRAGMA integrity_check, else quick_check
 * (https://www.sqlite.org/pragma.html#pragma_integrity_check), and an
 * empty file where the store's marker says a store was is a finding.
 * Calls found(text, arg) for each finding, text borrowed for the call.
 * Returns 0 when the store is whole, 1 after findings, -1 with err when
 * it could not be checked (no store at path). */
int store_check(const char *backend, const char *path, int full,
    void (*found)(const char *text, void *arg), void *arg, char *err,
    size_t errlen);

/* Whether writes fail for a reason the next ones share: 0 when the last
 * write transaction committed; STORE_FAULT_IO after one failed with a full
 * disk or an I/O error (until a transaction commits again); STORE_FAULT_CORRUPT
 * once a write found the file corrupt (it stays so: the store must be
 * checked, and restored or moved away). why gets the error (may be NULL).
 * Safe from any thread. */
#define STORE_FAULT_IO		1
#define STORE_FAULT_CORRUPT	2
int store_write_fault(struct store *st, char *why, size_t whylen);

/* A write transaction that changes nothing a reader sees, committed and
 * synced, to learn whether writes succeed again after STORE_FAULT_IO.
 * Returns 0 or -1 (store_errmsg says why). */
int store_write_probe(struct store *st);

/* The schema version the store is at. */
int store_schema_version(struct store *st);
/* *gen gets a number that changes with every commit to the store, by this
 * process or another one (alertnoised import into a running daemon's
 * store): equal numbers, same data. Cheap, and never waits for a reader.
 * Returns 0, or -1 (store_errmsg says why). */
int store_generation(struct store *st, uint64_t *gen);

/* The last error of a failed call, for logs and answers. */
const char *store_errmsg(struct store *st);

/* --- writing: only between store_begin and store_commit/rollback ----------
 * Each returns 0 (or 1/0 for "found"/"not found") and -1 on failure. After
 * a failure the caller must store_rollback. */

int store_begin(struct store *st);
/* Commits and syncs; on failure rolls back (the caller must not). */
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* A savepoint inside the open transaction, so that one part of it can be
 * undone alone (group commit: each request of a batch is applied inside
 * one; lib/store/commitq.h). store_savepoint marks the state;
 * store_savepoint_release keeps what was written since, in the
 * transaction; store_savepoint_rollback undoes it and leaves the
 * transaction open with everything written before the savepoint. They do
 * not nest. store_savepoint_rollback returns -1 when the backend lost the
 * whole transaction (SQLite rolls it back itself after an I/O error, a
 * full disk or out of memory): nothing of it is left, and the caller must
 * store_rollback (which ends the write lock) and may begin again. */
int store_savepoint(struct store *st);
int store_savepoint_release(struct store *st);
int store_savepoint_rollback(struct store *st);

/* The id of a notification with this digest received after since_ms:
 * returns 1 and *id, or 0. */
int store_find_notification(struct store *st, uint64_t digest,
    int64_t since_ms, int64_t *id);
int store_insert_notification(struct store *st,
    const struct wh_notification *n, int64_t received_ms, int64_t *id);
int store_insert_notification_alert(struct store *st, int64_t notification_id,
    size_t idx, const struct wh_alert *a, int64_t episode_id);

/* Records an identity (labels: the alert's labels minus replica labels),
 * widening its first/last seen times. */
int store_upsert_identity(struct store *st, uint64_t identity,
    const char *alertname, const json_t *labels, int64_t seen_ms);

/* Fills out[0..max) with the identity's episodes that overlap [from, to]
 * (start <= to, and open or resolved_at >= from), latest start first.
 * Returns how many, or -1. */
int store_episodes_near(struct store *st, uint64_t identity, int64_t from,
    int64_t to, struct episode *out, int max);
/* Inserts e (its id is set) for the identity's alertname. */
int store_insert_episode(struct store *st, struct episode *e,
    const char *alertname);
/* Writes every field of e back. */
int store_update_episode(struct store *st, const struct episode *e);
/* Merges episode gone into keep: gone's notification alerts and verdicts
 * point to keep, and gone is deleted. The caller writes keep's merged
 * times and counts with store_update_episode. */
int store_merge_episode(struct store *st, int64_t keep, int64_t gone);
/* Returns 1 when a notified alert with this (Alertmanager) fingerprint
 * belongs to the episode, 0 when none does, or -1. */
int store_episode_has_copy(struct store *st, int64_t episode,
    uint64_t fingerprint);
/* Moves to episode, which fired at at, the identity's notified alerts
 * whose startsAt is in [from, to] and closer to at than to the firing of
 * the episode they are on, and recounts the notifications of the episodes
 * they left and of episode. Returns how many moved, or -1. */
int store_relink_alerts(struct store *st, uint64_t identity, int64_t from,
    int64_t to, int64_t episode, int64_t at);

/* Returns 1 and *out when the series is known, else 0. */
int store_get_series(struct store *st, uint64_t series,
    struct series_state *out);
int store_put_series(struct store *st, const struct series_state *s);
/* How many series of the identity and kind, not counting except, are
 * known to be active from time from to time to: active now, with a run
 * that began by from and samples that reach to, or fall short of it by no
 * more than two of its evaluation intervals and STORE_REPLICA_LAG_MS (HA
 * replicas evaluate at different moments and their requests interleave);
 * strict: by no more than one evaluation interval, no delivery lag. A
 * replica further behind (catching up after an outage) is not counted:
 * its own end, when it comes, extends or merges the episodes its run
 * covered. */
#define STORE_REPLICA_LAG_MS 10000
int store_count_active_series(struct store *st, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t from, int64_t to,
    int strict);
/* *last gets the latest last_ts of the identity's series of kind that
 * have ended (not counting except) with last_ts >= since, or 0. Returns 0
 * or -1. */
int store_last_series_end(struct store *st, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t since, int64_t *last);
/* Fills out[0..max) with active series that received nothing since
 * received_before. Returns how many, or -1. */
int store_idle_series(struct store *st, int64_t received_before,
    struct series_state *out, int max);
/* How many series are live: active, what a staleness marker or the
 * staleness timeout will end. Kept as series are written, so it costs no
 * scan. store_live_series is for the writer inside its transaction: the
 * series as the transaction sees them, its own writes included;
 * store_live_series_committed, for any thread: as of the last commit. */
int64_t store_live_series(struct store *st);
int64_t store_live_series_committed(struct store *st);

/* Deletes notifications received, and episodes resolved, before cutoff_ms;
 * identities left without episodes or notifications; inactive series last
 * seen before it. One transaction of its own. Returns 0 or -1. */
int store_prune(struct store *st, int64_t cutoff_ms,
    struct store_prune_result *res);

/* --- reading ------------------------------------------------------------ */

/* A row of store_query_episodes (which episodes: struct episode_filter,
 * rows.h): the episode, its identity's labels (JSON
 * object, owned by the store and valid during the callback) and the
 * receivers that were notified of it (a JSON array of their names, sorted;
 * likewise). */
struct episode_row {
	struct episode e;
	const char *alertname;
	json_t *labels;
	json_t *receivers;
};

/* Calls fn for each episode matching f, latest start first (then the
 * highest id), until fn returns non-zero (which stops the walk; not an
 * error). The in-memory model gives the rows it holds all of (model.h);
 * the database the older ones, when the walk gets to them. Returns 0 or
 * -1. */
int store_query_episodes(struct store *st, const struct episode_filter *f,
    int (*fn)(const struct episode_row *row, void *arg), void *arg);

/* --- analysis reads (lib/analysis/analysis.c) -------------------------------------
 * Each calls fn per row until fn returns non-zero; returns 0 or -1. */

/* Fired episodes that fired in [from, to), or earlier and still fired at
 * from; by firing_at. */
int store_scan_episodes(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct episode *e, void *arg), void *arg);

/* About how many rows store_scan_episodes(from, to) will give, when that
 * is cheap to know (the in-memory model holds the range), for sizing
 * arrays; 0 when it is not. */
size_t store_episodes_hint(struct store *st, int64_t from, int64_t to);

/* Episodes that ended while pending (pending_at and resolved_at, no
 * firing_at) and went pending in [from, to); by pending_at. Only id,
 * identity, pending_at and resolved_at are filled, the rest is 0. One range
 * of a partial index of such episodes: its cost grows with them alone. */
int store_scan_pending_only(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct episode *e, void *arg), void *arg);

/* The identities of the episodes store_scan_episodes and
 * store_scan_pending_only would return. A notification counts as delivered
 * twice when one with the same content from another Alertmanager
 * (externalURL) was stored less than a minute before it. */
int store_scan_identities(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct identity_row *r, void *arg), void *arg);

/* The notified alerts of [from, to) (struct notified_row says which, in
 * which order). */
int store_scan_notified(struct store *st, int64_t from, int64_t to,
    int firing_only, int (*fn)(const struct notified_row *r, void *arg),
    void *arg);

/* The last verdict given on each episode store_scan_episodes would
 * return. */
int store_scan_feedback(struct store *st, int64_t from, int64_t to,
    int (*fn)(int64_t episode, const char *verdict, void *arg), void *arg);

/* What the latest notified alert of an alertname or identity said of it,
 * for its links (links.h). Every member is owned by the struct
 * (store_alert_meta_free); NULL when unknown. */
struct alert_meta {
	char *runbook_url;	/* its runbook_url annotation */
	char *generator_url;	/* its generatorURL; NULL when empty */
	char *external_url;	/* the externalURL of the Alertmanager that
				   sent it; NULL when empty */
	json_t *labels;		/* the identity's labels (identity reads) */
};

/* The alert_meta of the identity's latest notified alert (identity != 0),
 * or of the alertname's (identity 0), the latest by notification. One
 * index seek: for the rows a page shows, not for every alert. Returns 1
 * and *out, 0 (*out empty) when none was notified, -1 (*out empty). */
int store_alert_meta(struct store *st, const char *alertname,
    uint64_t identity, struct alert_meta *out);

/* Frees what m holds and empties it; NULL is a no-op. */
void store_alert_meta_free(struct alert_meta *m);

/* --- silences ------------------------------------------------------------ */

/* Stores silences v[0..n) in one transaction, each replacing the stored one
 * of the same id when its updated_at differs. Returns the number of rows
 * written, or -1. */
int store_put_silences(struct store *st, const struct silence *v, size_t n);

/* The stored silences that were in effect at some time in [from, to), in
 * the order of their start. The strings live for the call only. */
int store_scan_silences(struct store *st, int64_t from, int64_t to,
    int (*fn)(const struct silence *s, void *arg), void *arg);

/* --- feedback ------------------------------------------------------------ */

/* The episode a verdict is about: of the identity whose fingerprint is fp,
 * or of the alert whose (Alertmanager) fingerprint is fp; the one firing at
 * starts_ms (0: the latest). Returns 1 and *e, 0 when there is none, -1. */
int store_find_feedback_episode(struct store *st, uint64_t fp,
    int64_t starts_ms, struct episode *e);

/* Records a verdict ("actionable" or "noise") on an episode and adds 1 to
 * the counter STORE_COUNTER_FEEDBACK {verdict} (store_counter_add); one
 * transaction. Returns 0 or -1. */
int store_add_feedback(struct store *st, const struct episode *e,
    const char *verdict, const char *note, const char *by, int64_t at_ms);


/* --- counters -------------------------------------------------------------
 * The durable totals behind the /metrics counters that count history, so
 * that a counter resumes where the last process left it and a retention
 * prune, which deletes the rows it counted, does not lower it. A counter
 * is a family name (the metric's) and a tuple of label values; it only
 * grows. */

/* The verdicts counter store_add_feedback adds to, by verdict. */
#define STORE_COUNTER_FEEDBACK "alertnoise_feedback_total"

/* Adds delta (>= 0) to the counter family{values[0..nvalues)}, which is
 * created at 0, inside the open transaction: a savepoint or transaction
 * rolled back takes the addition with it, so a count is durable exactly
 * when the write that caused it is. Strings are borrowed. Returns 0 or
 * -1. */
int store_counter_add(struct store *st, const char *family,
    const char *const *values, size_t nvalues, double delta);

/* Calls fn for every stored counter (the last committed values), by
 * family, until fn returns non-zero (not an error). The strings live for
 * the call. Returns 0 or -1. */
int store_scan_counters(struct store *st,
    int (*fn)(const char *family, const char *const *values, size_t nvalues,
    double value, void *arg), void *arg);

/* How many episodes are open (not resolved) now: *firing of them have fired,
 * *pending have not (yet). One cheap count, for /metrics. Returns 0 or -1. */
int store_count_open(struct store *st, int64_t *firing, int64_t *pending);

/* Brings the in-memory model up to date with commits another process made
 * to the store (alertnoised import); until then scans read the database.
 * Cheap when there were none. Returns 0 or -1. */
int store_refresh(struct store *st);

struct model_stats;
/* What the in-memory model holds; all zero without one. */
void store_model_stats(struct store *st, struct model_stats *out);

/* Makes every read running now or started later fail at once (with
 * "interrupted"), for shutdown: an analysis of a big window need not be
 * waited for. Writes are not affected. Safe from any thread. */
void store_cancel_reads(struct store *st);

#endif

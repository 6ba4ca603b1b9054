/* sqlite_int.h -- what the files of the SQLite storage backend share.
 *
 * Internal to lib/store: included by store_sqlite.c and the sqlite_*.c
 * files only (the rest of lib/ goes through store.h, store.c through
 * store_impl.h). The backend is five files; each calls only those listed
 * after it:
 *
 *   store_sqlite.c   the handle: opens the connections and the schema,
 *                    closes them; the backend table (store_impl.h)
 *   sqlite_write.c   the writer's connection under its lock: the
 *                    transaction and savepoints, the writes and the
 *                    lookups made inside them, the series cache, prune,
 *                    silences and verdicts
 *   sqlite_model.c   the in-memory model (model.h): what the writes
 *                    touched, re-read after the commit; loading it whole
 *   sqlite_read.c    the read-only connections: the query, the analysis
 *                    scans, the lookups, the generation
 *   sqlite_schema.c  the migrations, the SQL of the writer's statements,
 *                    the column helpers, the error message
 *
 * Names shared between the files start with sqlite__; a member of the
 * backend table has the contract of the store_* function of the same name
 * (store.h). */
#ifndef AN_SQLITE_INT_H
#define AN_SQLITE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store_impl.h"

/* The writer's prepared statements: s->stmt[Q_*], prepared at open from
 * sqlite__queries[Q_*]. */
enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
	Q_FIND_NOTIF, Q_INS_NOTIF, Q_INS_ALERT, Q_IDENTITY_SEEN,
	Q_WIDEN_IDENTITY, Q_UPSERT_IDENTITY,
	Q_EPISODES_NEAR, Q_INS_EPISODE, Q_UPD_EPISODE_TIMES, Q_UPD_EPISODE,
	Q_GET_SERIES, Q_PUT_SERIES, Q_TOUCH_SERIES, Q_SET_SERIES,
	Q_COUNT_ACTIVE, Q_LAST_END, Q_IDLE_SERIES,
	Q_MOVE_ALERTS, Q_MOVE_FEEDBACK, Q_DEL_EPISODE, Q_HAS_COPY,
	Q_RELINK_FIND, Q_RELINK, Q_RECOUNT,
	Q_M_EPISODE, Q_M_NOTIF, Q_M_ALERTS, Q_M_IDENTITY, Q_M_SERIES,
	Q_M_RELINKED, Q_M_ON_EPISODE, Q_M_DATA_VERSION,
	Q_COUNTER_ADD,
	Q_COUNT
};

/* The episodes columns sqlite__column_episode reads, in its order. */
#define EPISODE_COLS "id, identity, pending_at, firing_at, resolved_at," \
	" first_notified_at, last_notified_at, notifications, sources"

/* The backend's store: store_impl.h's struct store first. */
struct sqlite_store {
	struct store base;
	sqlite3 *db;			/* writer */
	sqlite3_stmt *stmt[Q_COUNT];
	pthread_mutex_t lock;		/* held from begin to commit */
	sqlite3 *rdb;			/* readers */
	pthread_mutex_t rlock;
	sqlite3 *vdb;			/* store_generation's */
	sqlite3_stmt *data_version;
	pthread_mutex_t vlock;
	int version;
	char *dir;			/* storage path, when verified at open */
	int opened;			/* open returned it */
	int cancel;			/* store_cancel_reads; atomic */
	pthread_mutex_t faultlock;
	int fault;			/* STORE_FAULT_*; under faultlock */
	char fault_msg[512];		/* its error; under faultlock */
	struct series_cache {		/* rw_series rows; under lock */
		struct cached_series {
			struct series_state s;	/* as a SELECT reads it */
			int64_t rowid;
			int null_value;		/* last_value is NULL */
		} *slot;			/* NULL or nslots */
		unsigned char *used;
		size_t nslots, n;
	} sc;
	/* live (active) rw_series rows: as the open transaction sees them,
	 * as at its savepoint, and as committed (atomic; read by any
	 * thread); the first two under lock */
	int64_t live, live_sp, live_committed;
	/* the in-memory model (base.model); under lock */
	int64_t model_horizon_ms;
	int64_t model_data_version;	/* Q_M_DATA_VERSION when last synced */
	int model_ok;			/* the model is loaded */
	struct dirty {			/* written since the last commit */
		struct i64vec {
			int64_t *v;
			size_t n, cap;
		} episodes, notifications, merged, series, identities;
		struct relink_range {
			uint64_t identity;
			int64_t from, to;
		} *relinked;
		size_t nrelinked, cap_relinked;
		int reload;		/* all of it (prune) */
		int failed;		/* out of memory: reload too */
	} dirty;
};

/* --- sqlite_schema.c ----------------------------------------------------- */

/* The SQL of each Q_* statement. */
extern const char *const sqlite__queries[Q_COUNT];
/* rw_series.kind of each enum series_kind. */
extern const char *const sqlite__kind_names[3];
/* This thread's last error, what store_errmsg returns. */
extern _Thread_local char sqlite__errbuf[512];

/* This thread's last error code (extended) as sqlite__fail saw it; 0 after
 * sqlite__begin. */
extern _Thread_local int sqlite__errcode;
/* Sets sqlite__errbuf to "what: " and db's last error, and sqlite__errcode;
 * returns -1. */
int sqlite__fail(sqlite3 *db, const char *what);
/* Migrates s->db forward to the current schema, a transaction per
 * version, and sets s->version: 0, or -1 with the reason in err (a schema
 * newer than this alertnoised knows is refused, the file untouched). */
int sqlite__migrate(struct sqlite_store *s, char *err, size_t errlen);
/* Binds the time ms to parameter i, 0 as NULL. */
void sqlite__bind_time(sqlite3_stmt *st, int i, int64_t ms);
/* Binds the fingerprint fp as its 16 hex digits (fp_format). */
void sqlite__bind_fp(sqlite3_stmt *st, int i, uint64_t fp);
/* The fingerprint in column i; 0 for NULL. */
uint64_t sqlite__column_fp(sqlite3_stmt *st, int i);
/* Reads the EPISODE_COLS of st's current row, from column 0, into *e. */
void sqlite__column_episode(sqlite3_stmt *st, struct episode *e);
/* The series kind in column i; SERIES_PENDING for a text it does not
 * know. */
enum series_kind sqlite__column_kind(sqlite3_stmt *st, int i);

/* --- sqlite_read.c: members of the backend table ------------------------- */

int sqlite__generation(struct store *st, uint64_t *gen);
int sqlite__query_episodes(struct store *stp, const struct episode_filter *f,
    int (*fn)(const struct episode_row *, void *), void *arg);
int sqlite__scan_episodes(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg);
int sqlite__scan_pending_only(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg);
int sqlite__scan_identities(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct identity_row *, void *), void *arg);
int sqlite__scan_notified(struct store *stp, int64_t from, int64_t to,
    int firing_only, int (*fn)(const struct notified_row *, void *),
    void *arg);
int sqlite__scan_feedback(struct store *stp, int64_t from, int64_t to,
    int (*fn)(int64_t, const char *, void *), void *arg);
int sqlite__scan_silences(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct silence *, void *), void *arg);
int sqlite__find_feedback_episode(struct store *stp, uint64_t fp,
    int64_t starts_ms, struct episode *e);
int sqlite__count_open(struct store *stp, int64_t *firing, int64_t *pending);
int sqlite__scan_counters(struct store *stp,
    int (*fn)(const char *, const char *const *, size_t, double, void *),
    void *arg);
int sqlite__alert_meta(struct store *stp, const char *alertname,
    uint64_t identity, struct alert_meta *out);

/* --- sqlite_model.c ------------------------------------------------------- *
 * What a transaction wrote, in s->dirty, for sqlite__model_sync; nothing
 * when the store keeps no model. Out of memory sets s->dirty.failed: the
 * commit then loads the model again. */

/* Adds the id x (of an episode, notification, ...) to v, one of s->dirty's
 * vectors. */
void sqlite__vec_add(struct sqlite_store *s, struct i64vec *v, int64_t x);
/* Records that the notified alerts of identity with a startsAt in
 * [from, to] may have moved to other episodes. */
void sqlite__mark_relinked(struct sqlite_store *s, uint64_t identity,
    int64_t from, int64_t to);
/* Forgets what the transaction wrote (after the model sync, or a
 * rollback). */
void sqlite__dirty_clear(struct sqlite_store *s);
/* Frees s->dirty's memory (at close). */
void sqlite__dirty_free(struct sqlite_store *s);
/* Loads the model in full from the writer's connection (at open, or
 * under the write lock): 0, or -1 with the model emptied (every scan
 * reads the database) and the error in sqlite__errbuf. */
int sqlite__model_reload(struct sqlite_store *s);
/* After a commit, under the write lock: puts what s->dirty says the
 * transaction wrote in the model, or loads it again, never leaving it
 * behind the store; clears s->dirty. */
void sqlite__model_sync(struct sqlite_store *s);
/* A member of the backend table. */
int sqlite__refresh(struct store *stp);

/* --- sqlite_write.c: members of the backend table ------------------------- *
 * On the writer's connection, under s->lock: sqlite__begin takes it,
 * sqlite__commit and sqlite__rollback give it back; prune, put_silences
 * and add_feedback are transactions of their own. */

int sqlite__begin(struct store *st);
int sqlite__write_fault(struct store *st, char *why, size_t whylen);
int sqlite__write_probe(struct store *st);
int sqlite__commit(struct store *st);
void sqlite__rollback(struct store *st);
int sqlite__savepoint(struct store *st);
int sqlite__savepoint_release(struct store *st);
int sqlite__savepoint_rollback(struct store *st);
int sqlite__find_notification(struct store *stp, uint64_t digest,
    int64_t since, int64_t *id);
int sqlite__insert_notification(struct store *stp,
    const struct wh_notification *n, int64_t received_ms, int64_t *id);
int sqlite__insert_notification_alert(struct store *stp,
    int64_t notification_id, size_t idx, const struct wh_alert *a,
    int64_t episode_id);
int sqlite__upsert_identity(struct store *stp, uint64_t identity,
    const char *alertname, const json_t *labels, int64_t seen_ms);
int sqlite__episodes_near(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, struct episode *out, int max);
int sqlite__insert_episode(struct store *stp, struct episode *e,
    const char *alertname);
int sqlite__merge_episode(struct store *stp, int64_t keep, int64_t gone);
int sqlite__relink_alerts(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, int64_t episode, int64_t at);
int sqlite__episode_has_copy(struct store *stp, int64_t episode,
    uint64_t fingerprint);
int sqlite__update_episode(struct store *stp, const struct episode *e);
int sqlite__get_series(struct store *stp, uint64_t series,
    struct series_state *out);
int sqlite__put_series(struct store *stp, const struct series_state *ss);
int sqlite__count_active_series(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t from, int64_t to,
    int strict);
int sqlite__last_series_end(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t since, int64_t *last);
int sqlite__idle_series(struct store *stp, int64_t received_before,
    struct series_state *out, int max);
int64_t sqlite__live_series(struct store *stp, int committed);
/* Counts the live series for sqlite__live_series (at open, after the
 * migrations). Returns 0 or -1. */
int sqlite__live_load(struct sqlite_store *s);
int sqlite__prune(struct store *stp, int64_t cutoff_ms,
    struct store_prune_result *res);
int sqlite__put_silences(struct store *stp, const struct silence *v,
    size_t n);
int sqlite__add_feedback(struct store *stp, const struct episode *e,
    const char *verdict, const char *note, const char *by, int64_t at_ms);
int sqlite__counter_add(struct store *stp, const char *family,
    const char *const *values, size_t nvalues, double delta);

#endif

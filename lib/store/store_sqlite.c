/* store_sqlite.c -- the embedded SQLite storage backend (store.h).
 *
 * One database file, <storage.path>/alertnoise.db, in WAL mode with
 * synchronous=FULL: a commit returns only after the WAL is fsync'ed, so a
 * committed transaction survives a crash or power loss
 * (https://www.sqlite.org/pragma.html#pragma_synchronous). The schema is
 * versioned with PRAGMA user_version and migrated forward at open; the README
 * documents every table and column for people who query the file with
 * sqlite3. Writers share one connection, serialized by a mutex held from
 * store_begin to commit/rollback; readers share a second, read-only
 * connection, so a query never waits for a sync (WAL readers see the last
 * commit).
 *
 * The backend is five files, sqlite_int.h says which holds what; this one
 * is the handle: it opens the connections (the writer's, the readers', the
 * generation's) with their pragmas, closes them, and holds the backend
 * table (store_impl.h) whose members the other files implement. */
#include "sqlite_int.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "model.h"

static void sqlite_close(struct store *st);

/* Called by SQLite every few thousand steps of a reader's statement: a
 * non-zero return interrupts it (SQLITE_INTERRUPT). */
static int
reader_progress(void *p)
{
	struct sqlite_store *s = p;

	return __atomic_load_n(&s->cancel, __ATOMIC_RELAXED);
}

static int
sqlite_open(const char *path, const struct store_opts *opts,
    struct store **out, char *err, size_t errlen)
{
	struct sqlite_store *s;
	char file[4096];
	int busy_ms = opts->busy_timeout_ms > 0 ?
	    (int)opts->busy_timeout_ms : 5000;
	int rc;

	assert(opts->busy_timeout_ms >= 0 && opts->busy_timeout_ms <= INT_MAX);

	if (mkdir(path, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(file, sizeof(file), "%s/alertnoise.db", path) >=
	    sizeof(file)) {
		snprintf(err, errlen, "storage path too long");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->base.be = &store__sqlite;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->rlock, NULL);
	pthread_mutex_init(&s->vlock, NULL);
	rc = sqlite3_open_v2(file, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s: %s", file,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto bad;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    /* savepoints (group commit) journal in memory, not a file */
	    "PRAGMA temp_store = MEMORY;"
	    /* pages written again and again (indexes) are copied to the
	     * database once per checkpoint: fewer, larger checkpoints */
	    "PRAGMA wal_autocheckpoint = 8192;",
	    NULL, NULL, NULL)) {
		snprintf(err, errlen, "%s: %s", file, sqlite3_errmsg(s->db));
		goto bad;
	}
	if (sqlite__migrate(s, err, errlen) < 0)
		goto bad;
	for (int i = 0; i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, sqlite__queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)) {
			snprintf(err, errlen, "preparing \"%.40s\": %s",
			    sqlite__queries[i], sqlite3_errmsg(s->db));
			goto bad;
		}
	rc = sqlite3_open_v2(file, &s->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s for reading: %s", file,
		    s->rdb ? sqlite3_errmsg(s->rdb) : sqlite3_errstr(rc));
		goto bad;
	}
	sqlite3_busy_timeout(s->rdb, busy_ms);
	sqlite3_progress_handler(s->rdb, 4000, reader_progress, s);
	/* a connection of its own, so that asking never waits for a scan */
	if (sqlite3_open_v2(file, &s->vdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->vdb, "PRAGMA data_version", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->data_version, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "opening %s for reading: %s", file,
		    s->vdb ? sqlite3_errmsg(s->vdb) : "out of memory");
		goto bad;
	}
	sqlite3_busy_timeout(s->vdb, busy_ms);
	if (opts->model_horizon_ms > 0) {
		s->model_horizon_ms = opts->model_horizon_ms;
		if ((s->base.model = model_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
		if (sqlite__model_reload(s) < 0) {
			snprintf(err, errlen, "%s", sqlite__errbuf);
			goto bad;
		}
	}
	*out = &s->base;
	return 0;
bad:
	sqlite_close(&s->base);
	return -1;
}

static void
sqlite_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	free(s->sc.slot);
	free(s->sc.used);
	sqlite3_finalize(s->data_version);
	model_free(s->base.model);
	sqlite__dirty_free(s);
	sqlite3_close(s->vdb);
	sqlite3_close(s->rdb);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->rlock);
	pthread_mutex_destroy(&s->vlock);
	free(s);
}

static int
sqlite_schema_version(struct store *st)
{
	return ((struct sqlite_store *)st)->version;
}

static const char *
sqlite_errmsg(struct store *st)
{
	(void)st;
	return sqlite__errbuf;
}

static void
sqlite_cancel_reads(struct store *stp)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;

	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
}

const struct store_backend store__sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.errmsg = sqlite_errmsg,
	.generation = sqlite__generation,
	.begin = sqlite__begin,
	.commit = sqlite__commit,
	.rollback = sqlite__rollback,
	.savepoint = sqlite__savepoint,
	.savepoint_release = sqlite__savepoint_release,
	.savepoint_rollback = sqlite__savepoint_rollback,
	.find_notification = sqlite__find_notification,
	.insert_notification = sqlite__insert_notification,
	.insert_notification_alert = sqlite__insert_notification_alert,
	.upsert_identity = sqlite__upsert_identity,
	.episodes_near = sqlite__episodes_near,
	.insert_episode = sqlite__insert_episode,
	.update_episode = sqlite__update_episode,
	.merge_episode = sqlite__merge_episode,
	.episode_has_copy = sqlite__episode_has_copy,
	.relink_alerts = sqlite__relink_alerts,
	.get_series = sqlite__get_series,
	.put_series = sqlite__put_series,
	.count_active_series = sqlite__count_active_series,
	.last_series_end = sqlite__last_series_end,
	.idle_series = sqlite__idle_series,
	.prune = sqlite__prune,
	.query_episodes = sqlite__query_episodes,
	.scan_episodes = sqlite__scan_episodes,
	.scan_pending_only = sqlite__scan_pending_only,
	.scan_identities = sqlite__scan_identities,
	.scan_notified = sqlite__scan_notified,
	.scan_feedback = sqlite__scan_feedback,
	.find_feedback_episode = sqlite__find_feedback_episode,
	.put_silences = sqlite__put_silences,
	.scan_silences = sqlite__scan_silences,
	.add_feedback = sqlite__add_feedback,
	.count_open = sqlite__count_open,
	.counter_add = sqlite__counter_add,
	.scan_counters = sqlite__scan_counters,
	.alert_meta = sqlite__alert_meta,
	.cancel_reads = sqlite_cancel_reads,
	.refresh = sqlite__refresh,
};

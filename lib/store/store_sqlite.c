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
 * commit). */
#include "store_impl.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "fingerprint.h"
#include "model.h"
#include "timefmt.h"

/* Two notifications with the same content (content_digest) from different
 * Alertmanagers (externalURL) this close together are one notification
 * delivered twice (store_scan_identities' dup_deliveries). */
#define DUP_DELIVERY_MS_STR "60000"

/* Forward migrations: migrations[i] takes the schema from version i to i+1.
 * Never edit a released migration; append a new one. */
static const char *const migrations[] = {
	/* 1: notifications, their alerts, identities and episodes */
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  received_at INTEGER NOT NULL,"
	"  receiver TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),"
	"  group_key TEXT NOT NULL,"
	"  group_labels TEXT NOT NULL,"
	"  common_labels TEXT NOT NULL,"
	"  common_annotations TEXT NOT NULL,"
	"  external_url TEXT NOT NULL,"
	"  truncated_alerts INTEGER NOT NULL,"
	"  num_alerts INTEGER NOT NULL,"
	"  digest TEXT NOT NULL"
	");"
	"CREATE INDEX notifications_received_at ON notifications (received_at);"
	"CREATE INDEX notifications_digest ON notifications (digest, received_at);"
	"CREATE TABLE identities ("
	"  identity TEXT PRIMARY KEY,"
	"  alertname TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	");"
	"CREATE TABLE episodes ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL REFERENCES identities (identity),"
	"  alertname TEXT NOT NULL,"
	"  pending_at INTEGER,"
	"  firing_at INTEGER,"
	"  resolved_at INTEGER,"
	"  first_notified_at INTEGER,"
	"  last_notified_at INTEGER,"
	"  notifications INTEGER NOT NULL DEFAULT 0,"
	"  sources TEXT NOT NULL"
	");"
	"CREATE INDEX episodes_identity ON episodes"
	"  (identity, coalesce(pending_at, firing_at));"
	"CREATE INDEX episodes_start ON episodes (coalesce(pending_at, firing_at));"
	"CREATE INDEX episodes_open ON episodes (identity) WHERE resolved_at IS NULL;"
	"CREATE TABLE notification_alerts ("
	"  notification_id INTEGER NOT NULL"
	"    REFERENCES notifications (id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  identity TEXT NOT NULL,"
	"  episode_id INTEGER REFERENCES episodes (id) ON DELETE SET NULL,"
	"  alertname TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),"
	"  labels TEXT NOT NULL,"
	"  annotations TEXT NOT NULL,"
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER,"
	"  generator_url TEXT NOT NULL,"
	"  PRIMARY KEY (notification_id, idx)"
	");"
	"CREATE INDEX notification_alerts_fingerprint ON notification_alerts (fingerprint);"
	"CREATE INDEX notification_alerts_episode ON notification_alerts (episode_id);"
	/* views with RFC 3339 times, for people at the sqlite3 prompt */
	"CREATE VIEW episodes_view AS SELECT e.id, e.identity, e.alertname,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', e.pending_at / 1000.0, 'unixepoch') AS pending_at,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', e.firing_at / 1000.0, 'unixepoch') AS firing_at,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', e.resolved_at / 1000.0, 'unixepoch') AS resolved_at,"
	"  (e.resolved_at - e.firing_at) / 1000.0 AS duration_seconds,"
	"  e.notifications, e.sources,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', e.first_notified_at / 1000.0, 'unixepoch') AS first_notified_at,"
	"  (SELECT group_concat(DISTINCT n.receiver) FROM notification_alerts a"
	"    JOIN notifications n ON n.id = a.notification_id"
	"    WHERE a.episode_id = e.id) AS receivers,"
	"  i.labels FROM episodes e JOIN identities i USING (identity);"
	"CREATE VIEW notifications_view AS SELECT id,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', received_at / 1000.0, 'unixepoch') AS received_at,"
	"  receiver, status, group_key, num_alerts, truncated_alerts, external_url"
	"  FROM notifications;"
	/* what remote write has told us of each ALERTS / ALERTS_FOR_STATE
	 * series: the last sample applied (for idempotency) and whether the
	 * series is active */
	"CREATE TABLE rw_series ("
	"  series TEXT PRIMARY KEY,"
	"  identity TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('pending', 'firing', 'for_state')),"
	"  last_ts INTEGER NOT NULL,"
	"  last_value REAL,"
	"  active INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL"
	");"
	"CREATE INDEX rw_series_active ON rw_series (identity, kind) WHERE active = 1;"
	"CREATE INDEX rw_series_idle ON rw_series (received_at) WHERE active = 1;",

	/* 2: noise analysis -- the evaluation interval seen per series, a
	 * digest of notifications without externalURL (HA Alertmanagers
	 * delivering one notification twice), human verdicts */
	"ALTER TABLE rw_series ADD COLUMN interval_ms INTEGER;"
	"ALTER TABLE notifications ADD COLUMN content_digest TEXT;"
	"CREATE INDEX notifications_content ON notifications"
	"  (content_digest, received_at);"
	"CREATE INDEX episodes_firing_at ON episodes (firing_at)"
	"  WHERE firing_at IS NOT NULL;"
	"CREATE INDEX episodes_resolved_at ON episodes (resolved_at);"
	"CREATE TABLE feedback ("
	"  id INTEGER PRIMARY KEY,"
	"  episode_id INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,"
	"  identity TEXT NOT NULL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('actionable', 'noise')),"
	"  note TEXT NOT NULL,"
	"  by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX feedback_episode ON feedback (episode_id, id);",

	/* 3: an analysis looks up each identity's alerts and series; without
	 * these it scanned every row once per identity (quadratic) */
	"CREATE INDEX notification_alerts_identity ON notification_alerts"
	"  (identity, notification_id);"
	"CREATE INDEX rw_series_identity ON rw_series (identity);",

	/* 4: the analysis scans read narrow covering indexes instead of the
	 * wide notification rows (JSON labels and annotations), and a
	 * notification delivered twice by HA Alertmanagers is marked when it
	 * is stored instead of being searched for in every analysis */
	"ALTER TABLE notifications ADD COLUMN dup_delivery INTEGER NOT NULL"
	"  DEFAULT 0;"
	"UPDATE notifications SET dup_delivery = 1 WHERE id IN"
	"  (SELECT n.id FROM notifications n WHERE EXISTS (SELECT 1"
	"   FROM notifications m WHERE m.content_digest = n.content_digest"
	"   AND m.id < n.id AND m.received_at > n.received_at - "
	    DUP_DELIVERY_MS_STR
	"   AND m.external_url != n.external_url));"
	"DROP INDEX notifications_received_at;"
	"DROP INDEX notifications_content;"
	"CREATE INDEX notifications_window ON notifications"
	"  (received_at, status, receiver, dup_delivery, group_labels);"
	"CREATE INDEX notifications_content ON notifications"
	"  (content_digest, received_at, external_url);"
	"CREATE INDEX notification_alerts_scan ON notification_alerts"
	"  (notification_id, status, identity, episode_id, alertname,"
	"  fingerprint);",

	/* 5: remote write -- every request moves each of its series'
	 * received_at, and with it the series' entry in rw_series_idle: a
	 * delete and an insert in an index whose pages all change with every
	 * request. The staleness check (every 5 s) scans the active series
	 * through rw_series_active instead. */
	"DROP INDEX IF EXISTS rw_series_idle;",

	/* 6: when each series' current (or last) run began, so that one
	 * replica's end can tell whether another replica was firing at that
	 * time, not only whether it fires now (a replica catching up after an
	 * outage is active, but its samples may not have reached that time
	 * yet, or it may have ended and started again since) */
	"ALTER TABLE rw_series ADD COLUMN run_start INTEGER;"
	/* and a firing heard from remote write finds the notified alerts of
	 * the same startsAt (ingest.c, relinking) */
	"CREATE INDEX notification_alerts_starts ON notification_alerts"
	"  (identity, starts_at);",

	/* 7: an analysis counts the episodes that ended while pending (the
	 * evidence that an alert almost fired) from an index of those alone,
	 * covering what it reads: episodes_start would read every episode of
	 * the window, and its row */
	"CREATE INDEX episodes_pending_only ON episodes"
	"  (pending_at, identity, resolved_at, firing_at)"
	"  WHERE firing_at IS NULL AND resolved_at IS NOT NULL;",

	/* 8: Alertmanager's silences, polled from its API and kept after it
	 * forgets them (its retention is 5 days), so that an episode that was
	 * never notified can be said to have been silenced */
	"CREATE TABLE silences ("
	"  id TEXT PRIMARY KEY,"
	"  matchers TEXT NOT NULL,"
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  comment TEXT NOT NULL);"
	"CREATE INDEX silences_ends ON silences (ends_at);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

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
	Q_COUNT
};

/* Q_RELINK*: the alert's episode fired further from its startsAt than ?5 */
#define RELINK_CLOSER " AND (episode_id IS NULL OR abs(coalesce((SELECT" \
	" e.firing_at FROM episodes e WHERE e.id = episode_id), 0) - starts_at)" \
	" > abs(?5 - starts_at))"

#define EPISODE_COLS "id, identity, pending_at, firing_at, resolved_at," \
	" first_notified_at, last_notified_at, notifications, sources"

static const char *const queries[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SAVEPOINT] = "SAVEPOINT item",
	[Q_RELEASE] = "RELEASE item",
	[Q_ROLLBACK_TO] = "ROLLBACK TO item",
	[Q_FIND_NOTIF] = "SELECT id FROM notifications WHERE digest = ?1"
	    " AND received_at > ?2 ORDER BY id DESC LIMIT 1",
	[Q_INS_NOTIF] = "INSERT INTO notifications (received_at, receiver,"
	    " status, group_key, group_labels, common_labels,"
	    " common_annotations, external_url, truncated_alerts, num_alerts,"
	    " digest, content_digest, dup_delivery)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " EXISTS (SELECT 1 FROM notifications m"
	    "  WHERE m.content_digest = ?12 AND m.received_at > ?1 - "
	    DUP_DELIVERY_MS_STR " AND m.external_url != ?8))",
	[Q_INS_ALERT] = "INSERT INTO notification_alerts (notification_id, idx,"
	    " fingerprint, identity, episode_id, alertname, status, labels,"
	    " annotations, starts_at, ends_at, generator_url)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[Q_IDENTITY_SEEN] = "SELECT first_seen <= ?2 AND last_seen >= ?2"
	    " FROM identities WHERE identity = ?1",
	[Q_WIDEN_IDENTITY] = "UPDATE identities SET"
	    " first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2)"
	    " WHERE identity = ?1",
	[Q_UPSERT_IDENTITY] = "INSERT INTO identities (identity, alertname,"
	    " labels, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)"
	    " ON CONFLICT (identity) DO UPDATE SET"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[Q_EPISODES_NEAR] = "SELECT " EPISODE_COLS " FROM episodes"
	    " WHERE identity = ?1 AND coalesce(pending_at, firing_at) <= ?3"
	    " AND (resolved_at IS NULL OR resolved_at >= ?2)"
	    " ORDER BY coalesce(pending_at, firing_at) DESC LIMIT ?4",
	[Q_INS_EPISODE] = "INSERT INTO episodes (identity, alertname,"
	    " pending_at, firing_at, resolved_at, first_notified_at,"
	    " last_notified_at, notifications, sources)"
	    " VALUES (?2, ?10, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* in two: the times are in five indexes, which an UPDATE that sets
	 * them rewrites even when they stay as they were; most updates (a
	 * notification of an open episode) change only the unindexed
	 * counts */
	[Q_UPD_EPISODE_TIMES] = "UPDATE episodes SET pending_at = ?3,"
	    " firing_at = ?4, resolved_at = ?5 WHERE id = ?1"
	    " AND (pending_at IS NOT ?3 OR firing_at IS NOT ?4"
	    " OR resolved_at IS NOT ?5)",
	[Q_UPD_EPISODE] = "UPDATE episodes SET first_notified_at = ?6,"
	    " last_notified_at = ?7, notifications = ?8, sources = ?9"
	    " WHERE id = ?1",
	[Q_GET_SERIES] = "SELECT identity, kind, last_ts, last_value, active,"
	    " received_at, interval_ms, rowid, run_start FROM rw_series"
	    " WHERE series = ?1",
	[Q_PUT_SERIES] = "INSERT OR REPLACE INTO rw_series (series, identity,"
	    " kind, last_ts, last_value, active, received_at, interval_ms,"
	    " run_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10)",
	/* a known series' row changes in place, setting only what changed:
	 * an UPDATE rewrites the indexes (and checks the CHECK constraints)
	 * of the columns it sets, and INSERT OR REPLACE deletes and
	 * re-inserts the row in every index, evaluating the kind CHECK with
	 * a temporary table each time. Most samples only move last_ts and
	 * received_at (one index). The row is found by its rowid (the
	 * cache's), not through the index on series. */
	[Q_TOUCH_SERIES] = "UPDATE rw_series SET last_ts = ?4,"
	    " received_at = ?7, interval_ms = ?8"
	    " WHERE rowid = ?9 AND series = ?1",
	[Q_SET_SERIES] = "UPDATE rw_series SET last_ts = ?4, last_value = ?5,"
	    " active = ?6, received_at = ?7, interval_ms = ?8, run_start = ?10"
	    " WHERE rowid = ?9 AND series = ?1",
	/* active from ?6 to ?4: its run began by ?6, and its samples reach
	 * ?4 or are at most ?7 evaluations and ?5 (delivery) behind it (a
	 * run_start of NULL, from before schema 6, counts as "by then") */
	[Q_COUNT_ACTIVE] = "SELECT count(*) FROM rw_series WHERE identity = ?1"
	    " AND kind = ?2 AND active = 1 AND series != ?3"
	    " AND last_ts + ?7 * coalesce(interval_ms, 0) + ?5 >= ?4"
	    " AND coalesce(run_start, 0) <= ?6",
	[Q_LAST_END] = "SELECT max(last_ts) FROM rw_series WHERE identity = ?1"
	    " AND kind = ?2 AND active = 0 AND series != ?3 AND last_ts >= ?4",
	[Q_IDLE_SERIES] = "SELECT series, identity, kind, last_ts, last_value,"
	    " active, received_at, interval_ms, run_start FROM rw_series"
	    " WHERE active = 1 AND received_at < ?1 LIMIT ?2",
	/* an episode merged into another: its notifications and verdicts
	 * move, then it goes */
	[Q_MOVE_ALERTS] = "UPDATE notification_alerts SET episode_id = ?1"
	    " WHERE episode_id = ?2",
	[Q_MOVE_FEEDBACK] = "UPDATE feedback SET episode_id = ?1"
	    " WHERE episode_id = ?2",
	[Q_DEL_EPISODE] = "DELETE FROM episodes WHERE id = ?2",
	[Q_HAS_COPY] = "SELECT 1 FROM notification_alerts WHERE episode_id = ?1"
	    " AND fingerprint = ?2 LIMIT 1",
	/* the notified alerts of an identity with a startsAt in [?2, ?3]
	 * that are on another episode whose firing is further from their
	 * startsAt than ?5, episode ?4's: where they are, then move them */
	[Q_RELINK_FIND] = "SELECT DISTINCT episode_id FROM notification_alerts"
	    " WHERE identity = ?1 AND starts_at BETWEEN ?2 AND ?3"
	    " AND episode_id IS NOT ?4 AND episode_id IS NOT NULL" RELINK_CLOSER,
	[Q_RELINK] = "UPDATE notification_alerts SET episode_id = ?4"
	    " WHERE identity = ?1 AND starts_at BETWEEN ?2 AND ?3"
	    " AND episode_id IS NOT ?4" RELINK_CLOSER,
	/* an episode's notification counts, from its notified alerts; one
	 * that now has some was notified (sources_text's order) */
	[Q_RECOUNT] = "UPDATE episodes SET sources = CASE WHEN EXISTS (SELECT 1"
	    " FROM notification_alerts WHERE episode_id = ?1) AND"
	    " instr(sources, 'webhook') = 0 THEN CASE sources WHEN '' THEN"
	    " 'webhook' ELSE 'webhook,' || sources END ELSE sources END,"
	    " notifications = (SELECT"
	    " count(DISTINCT notification_id) FROM notification_alerts"
	    " WHERE episode_id = ?1), first_notified_at = (SELECT"
	    " min(n.received_at) FROM notification_alerts a JOIN notifications n"
	    " ON n.id = a.notification_id WHERE a.episode_id = ?1),"
	    " last_notified_at = (SELECT max(n.received_at) FROM"
	    " notification_alerts a JOIN notifications n ON"
	    " n.id = a.notification_id WHERE a.episode_id = ?1) WHERE id = ?1",

	/* the in-memory model re-reads what a commit wrote (model_sync) */
	[Q_M_EPISODE] = "SELECT " EPISODE_COLS ", (SELECT f.verdict FROM"
	    " feedback f WHERE f.episode_id = episodes.id ORDER BY f.id DESC"
	    " LIMIT 1) FROM episodes WHERE id = ?1",
	[Q_M_NOTIF] = "SELECT received_at, receiver, group_labels,"
	    " status = 'firing', dup_delivery FROM notifications WHERE id = ?1",
	[Q_M_ALERTS] = "SELECT identity, fingerprint, coalesce(episode_id, 0),"
	    " alertname, status = 'firing' FROM notification_alerts"
	    " WHERE notification_id = ?1",
	[Q_M_IDENTITY] = "SELECT alertname, labels FROM identities"
	    " WHERE identity = ?1",
	[Q_M_SERIES] = "SELECT identity, kind, interval_ms FROM rw_series"
	    " WHERE series = ?1",
	[Q_M_RELINKED] = "SELECT DISTINCT notification_id FROM"
	    " notification_alerts WHERE identity = ?1"
	    " AND starts_at BETWEEN ?2 AND ?3",
	[Q_M_ON_EPISODE] = "SELECT DISTINCT notification_id FROM"
	    " notification_alerts WHERE episode_id = ?1",
	/* on the writer's connection it moves only with other processes'
	 * commits */
	[Q_M_DATA_VERSION] = "PRAGMA data_version",
};

static const char *const kind_names[] = { "pending", "firing", "for_state" };

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
	int cancel;			/* store_cancel_reads; atomic */
	struct series_cache {		/* rw_series rows; under lock */
		struct cached_series {
			struct series_state s;	/* as a SELECT reads it */
			int64_t rowid;
			int null_value;		/* last_value is NULL */
		} *slot;			/* NULL or nslots */
		unsigned char *used;
		size_t nslots, n;
	} sc;
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

static _Thread_local char errbuf[512];

static void series_cache_clear(struct sqlite_store *s);
static void model_sync(struct sqlite_store *s);
static int model_reload(struct sqlite_store *s);
static void dirty_clear(struct sqlite_store *s);
static void dirty_free(struct sqlite_store *s);
static void vec_add(struct sqlite_store *s, struct i64vec *v, int64_t x);
static void mark_relinked(struct sqlite_store *s, uint64_t identity,
    int64_t from, int64_t to);

static int
fail(sqlite3 *db, const char *what)
{
	snprintf(errbuf, sizeof(errbuf), "%s: %s", what,
	    db ? sqlite3_errmsg(db) : "no database");
	return -1;
}

/* Steps a statement that returns no rows, and resets it. */
static int
exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
migrate(struct sqlite_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char sql[64];
	int v;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL)) {
		snprintf(err, errlen, "reading the schema version: %s",
		    sqlite3_errmsg(s->db));
		return -1;
	}
	v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (v < 0) {
		snprintf(err, errlen, "reading the schema version: %s",
		    sqlite3_errmsg(s->db));
		return -1;
	}
	if (v > SCHEMA_VERSION) {
		snprintf(err, errlen, "the store has schema version %d, newer "
		    "than this alertnoised knows (%d): refusing to open it", v,
		    SCHEMA_VERSION);
		return -1;
	}
	for (; v < SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ||
		    sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) ||
		    sqlite3_exec(s->db, sql, NULL, NULL, NULL) ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) {
			snprintf(err, errlen, "migrating the schema to version "
			    "%d: %s", v + 1, sqlite3_errmsg(s->db));
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	s->version = v;
	return 0;
}

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
	if (migrate(s, err, errlen) < 0)
		goto bad;
	for (int i = 0; i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)) {
			snprintf(err, errlen, "preparing \"%.40s\": %s",
			    queries[i], sqlite3_errmsg(s->db));
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
		if (model_reload(s) < 0) {
			snprintf(err, errlen, "%s", errbuf);
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
	dirty_free(s);
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

/* PRAGMA data_version of a connection that writes nothing changes with
 * every commit of any other connection, in this process or another
 * (https://www.sqlite.org/pragma.html#pragma_data_version). */
static int
sqlite_generation(struct store *st, uint64_t *gen)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int rc;

	pthread_mutex_lock(&s->vlock);
	if ((rc = sqlite3_step(s->data_version)) == SQLITE_ROW)
		*gen = (uint64_t)sqlite3_column_int64(s->data_version, 0);
	else
		fail(s->vdb, "reading the data version");
	sqlite3_reset(s->data_version);
	pthread_mutex_unlock(&s->vlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

static const char *
sqlite_errmsg(struct store *st)
{
	(void)st;
	return errbuf;
}

static int
sqlite_begin(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	pthread_mutex_lock(&s->lock);
	if (exec_stmt(s->stmt[Q_BEGIN]) < 0) {
		fail(s->db, "beginning a transaction");
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	return 0;
}

static int
sqlite_commit(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (exec_stmt(s->stmt[Q_COMMIT]) < 0) {
		fail(s->db, "committing");
		exec_stmt(s->stmt[Q_ROLLBACK]);
		series_cache_clear(s);
		dirty_clear(s);
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	/* before the caller acknowledges: read-your-writes */
	model_sync(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void
sqlite_rollback(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	exec_stmt(s->stmt[Q_ROLLBACK]);
	series_cache_clear(s);
	dirty_clear(s);
	pthread_mutex_unlock(&s->lock);
}

/* Savepoints inside the open transaction (BEGIN IMMEDIATE): RELEASE of the
 * outermost one does not commit, the transaction stays open
 * (https://www.sqlite.org/lang_savepoint.html). */
static int
sqlite_savepoint(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	assert(!sqlite3_get_autocommit(s->db));
	if (exec_stmt(s->stmt[Q_SAVEPOINT]) < 0)
		return fail(s->db, "opening a savepoint");
	return 0;
}

static int
sqlite_savepoint_release(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (exec_stmt(s->stmt[Q_RELEASE]) < 0)
		return fail(s->db, "releasing a savepoint");
	return 0;
}

/* After an I/O error, a full disk or out of memory SQLite may have rolled
 * back the whole transaction (https://www.sqlite.org/lang_transaction.html,
 * "Response To Errors Within A Transaction"): then there is no savepoint to
 * go back to and the connection is in autocommit mode again. errbuf keeps
 * the error of the write that failed. */
static int
sqlite_savepoint_rollback(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	series_cache_clear(s);
	if (sqlite3_get_autocommit(s->db))
		return -1;
	if (exec_stmt(s->stmt[Q_ROLLBACK_TO]) < 0 ||
	    exec_stmt(s->stmt[Q_RELEASE]) < 0)
		return -1;
	return 0;
}

/* --- binding helpers ----------------------------------------------------- */

static int
bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);

	if (s == NULL)
		return -1;
	return sqlite3_bind_text(st, i, s, -1, free) == SQLITE_OK ? 0 : -1;
}

/* text: v already serialized as bind_json would (webhook.h), or NULL. */
static int
bind_json_text(sqlite3_stmt *st, int i, const json_t *v, const char *text)
{
	if (text == NULL)
		return bind_json(st, i, v);
	return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, ms);
}

static void
bind_fp(sqlite3_stmt *st, int i, uint64_t fp)
{
	char s[17];

	fp_format(fp, s);
	sqlite3_bind_text(st, i, s, 16, SQLITE_TRANSIENT);
}

static uint64_t
column_fp(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	uint64_t fp = 0;

	if (s != NULL)
		fp_parse(s, &fp);
	return fp;
}

static void
sources_text(unsigned src, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s%s%s%s",
	    src & EP_SRC_WEBHOOK ? "webhook" : "",
	    (src & EP_SRC_WEBHOOK) && (src & ~EP_SRC_WEBHOOK) ? "," : "",
	    src & EP_SRC_REMOTE_WRITE ? "remote_write" : "",
	    (src & EP_SRC_REMOTE_WRITE) && (src & EP_SRC_IMPORT) ? "," : "",
	    src & EP_SRC_IMPORT ? "import" : "");
}

static unsigned
sources_parse(const char *s)
{
	unsigned src = 0;

	if (s == NULL)
		return 0;
	if (strstr(s, "webhook"))
		src |= EP_SRC_WEBHOOK;
	if (strstr(s, "remote_write"))
		src |= EP_SRC_REMOTE_WRITE;
	if (strstr(s, "import"))
		src |= EP_SRC_IMPORT;
	return src;
}

/* Reads the EPISODE_COLS of the current row. */
static void
column_episode(sqlite3_stmt *st, struct episode *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->identity = column_fp(st, 1);
	e->pending_at = sqlite3_column_int64(st, 2);
	e->firing_at = sqlite3_column_int64(st, 3);
	e->resolved_at = sqlite3_column_int64(st, 4);
	e->first_notified_at = sqlite3_column_int64(st, 5);
	e->last_notified_at = sqlite3_column_int64(st, 6);
	e->notifications = sqlite3_column_int64(st, 7);
	e->sources = sources_parse((const char *)sqlite3_column_text(st, 8));
}

/* --- writes -------------------------------------------------------------- */

static int
sqlite_find_notification(struct store *stp, uint64_t digest, int64_t since,
    int64_t *id)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_FIND_NOTIF];
	int rc;

	bind_fp(st, 1, digest);
	sqlite3_bind_int64(st, 2, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up a notification");
	return rc == SQLITE_ROW;
}

static int
sqlite_insert_notification(struct store *stp, const struct wh_notification *n,
    int64_t received_ms, int64_t *id)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_INS_NOTIF];

	sqlite3_bind_int64(st, 1, received_ms);
	sqlite3_bind_text(st, 2, n->receiver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->status == WH_FIRING ? "firing" : "resolved",
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->group_key, -1, SQLITE_STATIC);
	if (bind_json_text(st, 5, n->group_labels, n->group_labels_json) < 0 ||
	    bind_json_text(st, 6, n->common_labels,
	    n->common_labels_json) < 0 ||
	    bind_json_text(st, 7, n->common_annotations,
	    n->common_annotations_json) < 0) {
		sqlite3_clear_bindings(st);
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		return -1;
	}
	sqlite3_bind_text(st, 8, n->external_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, n->truncated_alerts);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)n->nalerts);
	bind_fp(st, 11, n->digest);
	bind_fp(st, 12, n->content_digest);
	if (exec_stmt(st) < 0)
		return fail(s->db, "storing a notification");
	*id = sqlite3_last_insert_rowid(s->db);
	vec_add(s, &s->dirty.notifications, *id);
	return 0;
}

static int
sqlite_insert_notification_alert(struct store *stp, int64_t notification_id,
    size_t idx, const struct wh_alert *a, int64_t episode_id)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_INS_ALERT];

	sqlite3_bind_int64(st, 1, notification_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
	bind_fp(st, 3, a->fingerprint);
	bind_fp(st, 4, a->identity);
	bind_time(st, 5, episode_id);
	sqlite3_bind_text(st, 6, a->alertname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->status == WH_FIRING ? "firing" :
	    "resolved", -1, SQLITE_STATIC);
	if (bind_json_text(st, 8, a->labels, a->labels_json) < 0 ||
	    bind_json_text(st, 9, a->annotations, a->annotations_json) < 0) {
		sqlite3_clear_bindings(st);
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 10, a->starts_ms);
	bind_time(st, 11, a->ends_ms);
	sqlite3_bind_text(st, 12, a->generator_url, -1, SQLITE_STATIC);
	if (exec_stmt(st) < 0)
		return fail(s->db, "storing an alert");
	vec_add(s, &s->dirty.notifications, notification_id);
	vec_add(s, &s->dirty.identities, (int64_t)a->identity);
	return 0;
}

static int
sqlite_upsert_identity(struct store *stp, uint64_t identity,
    const char *alertname, const json_t *labels, int64_t seen_ms)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_IDENTITY_SEEN];
	int rc, covered = 0;

	/* most calls are for a known identity, often at a time it was
	 * already seen at: the labels need not be serialized again, nor the
	 * row rewritten when nothing changes */
	bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, seen_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		covered = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up an identity");
	if (covered)
		return 0;
	if (rc == SQLITE_ROW) {
		st = s->stmt[Q_WIDEN_IDENTITY];
		bind_fp(st, 1, identity);
		sqlite3_bind_int64(st, 2, seen_ms);
		if (exec_stmt(st) < 0)
			return fail(s->db, "storing an identity");
		return 0;
	}
	st = s->stmt[Q_UPSERT_IDENTITY];
	bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, alertname, -1, SQLITE_STATIC);
	if (bind_json(st, 3, labels) < 0) {
		sqlite3_clear_bindings(st);
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 4, seen_ms);
	if (exec_stmt(st) < 0)
		return fail(s->db, "storing an identity");
	vec_add(s, &s->dirty.identities, (int64_t)identity);
	return 0;
}

static int
sqlite_episodes_near(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, struct episode *out, int max)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_EPISODES_NEAR];
	int n = 0, rc;

	bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int(st, 4, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
		column_episode(st, &out[n++]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up episodes");
	return n;
}

static void
bind_episode(sqlite3_stmt *st, const struct episode *e)
{
	char src[64];

	sqlite3_bind_int64(st, 1, e->id);
	bind_fp(st, 2, e->identity);
	bind_time(st, 3, e->pending_at);
	bind_time(st, 4, e->firing_at);
	bind_time(st, 5, e->resolved_at);
	bind_time(st, 6, e->first_notified_at);
	bind_time(st, 7, e->last_notified_at);
	sqlite3_bind_int64(st, 8, e->notifications);
	sources_text(e->sources, src, sizeof(src));
	sqlite3_bind_text(st, 9, src, -1, SQLITE_TRANSIENT);
}

static int
sqlite_insert_episode(struct store *stp, struct episode *e,
    const char *alertname)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_INS_EPISODE];

	bind_episode(st, e);
	sqlite3_bind_text(st, 10, alertname, -1, SQLITE_STATIC);
	if (exec_stmt(st) < 0)
		return fail(s->db, "storing an episode");
	e->id = sqlite3_last_insert_rowid(s->db);
	vec_add(s, &s->dirty.episodes, e->id);
	return 0;
}

/* Moves gone's notification alerts and verdicts to keep, then deletes
 * gone; the caller has written keep's merged times and counts. */
static int
sqlite_merge_episode(struct store *stp, int64_t keep, int64_t gone)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const int q[] = { Q_MOVE_ALERTS, Q_MOVE_FEEDBACK, Q_DEL_EPISODE };

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st = s->stmt[q[i]];

		if (q[i] != Q_DEL_EPISODE)
			sqlite3_bind_int64(st, 1, keep);
		sqlite3_bind_int64(st, 2, gone);
		if (exec_stmt(st) < 0)
			return fail(s->db, "merging episodes");
	}
	vec_add(s, &s->dirty.episodes, keep);
	vec_add(s, &s->dirty.episodes, gone);
	vec_add(s, &s->dirty.merged, keep);
	return 0;
}

static int
recount(struct sqlite_store *s, int64_t episode)
{
	sqlite3_stmt *st = s->stmt[Q_RECOUNT];

	vec_add(s, &s->dirty.episodes, episode);
	sqlite3_bind_int64(st, 1, episode);
	return exec_stmt(st);
}

static int
sqlite_relink_alerts(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, int64_t episode, int64_t at)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_RELINK_FIND];
	int64_t old[8];
	int n = 0, rc, moved;

	bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, episode);
	sqlite3_bind_int64(st, 5, at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 8)
		old[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up notified alerts");
	if (n == 0)
		return 0;
	st = s->stmt[Q_RELINK];
	bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, episode);
	sqlite3_bind_int64(st, 5, at);
	if (exec_stmt(st) < 0)
		return fail(s->db, "moving notified alerts");
	moved = sqlite3_changes(s->db);
	mark_relinked(s, identity, from, to);
	if (recount(s, episode) < 0)
		return fail(s->db, "counting notifications");
	for (int i = 0; i < n; i++)
		if (recount(s, old[i]) < 0)
			return fail(s->db, "counting notifications");
	return moved;
}

static int
sqlite_episode_has_copy(struct store *stp, int64_t episode,
    uint64_t fingerprint)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_HAS_COPY];
	int rc;

	sqlite3_bind_int64(st, 1, episode);
	bind_fp(st, 2, fingerprint);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up an episode's alerts");
	return rc == SQLITE_ROW;
}

static int
sqlite_update_episode(struct store *stp, const struct episode *e)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_UPD_EPISODE_TIMES];

	bind_episode(st, e);
	if (exec_stmt(st) < 0)
		return fail(s->db, "updating an episode");
	st = s->stmt[Q_UPD_EPISODE];
	bind_episode(st, e);
	if (exec_stmt(st) < 0)
		return fail(s->db, "updating an episode");
	vec_add(s, &s->dirty.episodes, e->id);
	return 0;
}

static enum series_kind
column_kind(sqlite3_stmt *st, int i)
{
	const char *k = (const char *)sqlite3_column_text(st, i);

	for (int j = 0; j < 3; j++)
		if (k != NULL && strcmp(k, kind_names[j]) == 0)
			return (enum series_kind)j;
	return SERIES_PENDING;
}

/* --- remote-written series ------------------------------------------------
 * The series cache holds the rw_series rows the writer read or wrote, as
 * the table has them, so that a sample of a known series costs no SELECT
 * and its row is changed with an UPDATE of the columns that changed. It
 * is exact or empty: it is used only under the write lock, filled from
 * rows read and from writes that succeeded, and emptied whenever what the
 * transaction wrote may be undone (a savepoint or transaction rolled
 * back, a failed commit or write) and when rows are deleted (prune). It
 * holds up to SERIES_CACHE_MAX series (about 72 bytes a slot, 9.4 MB at
 * most); a new one past that empties it first, so it refills with the
 * series that are written. */
#define SERIES_CACHE_MAX ((size_t)1 << 16)

static void
series_cache_clear(struct sqlite_store *s)
{
	if (s->sc.n == 0)
		return;
	memset(s->sc.used, 0, s->sc.nslots);
	s->sc.n = 0;
}

/* The slot of series in the (non-empty) table: its entry, or the free slot
 * it would take (linear probing; the table is at most 3/4 full). */
static size_t
series_slot(const struct series_cache *c, uint64_t series)
{
	size_t i = (size_t)((series * 0x9e3779b97f4a7c15ULL) >> 32) &
	    (c->nslots - 1);

	while (c->used[i] && c->slot[i].s.series != series)
		i = (i + 1) & (c->nslots - 1);
	return i;
}

static const struct cached_series *
series_cache_get(const struct series_cache *c, uint64_t series)
{
	size_t i;

	if (c->n == 0)
		return NULL;
	i = series_slot(c, series);
	return c->used[i] ? &c->slot[i] : NULL;
}

/* Doubles the table (from 1024 slots). Returns 0, or -1 when out of memory
 * (the cache is left as it was). */
static int
series_cache_grow(struct series_cache *c)
{
	struct series_cache g;

	g.nslots = c->nslots ? c->nslots * 2 : 1024;
	g.n = c->n;
	g.slot = malloc(g.nslots * sizeof(*g.slot));
	g.used = calloc(g.nslots, 1);
	if (g.slot == NULL || g.used == NULL) {
		free(g.slot);
		free(g.used);
		return -1;
	}
	for (size_t i = 0; i < c->nslots; i++)
		if (c->used[i]) {
			size_t j = series_slot(&g, c->slot[i].s.series);

			g.slot[j] = c->slot[i];
			g.used[j] = 1;
		}
	free(c->slot);
	free(c->used);
	*c = g;
	return 0;
}

/* Records ss as the series' row, last_value as SQLite gives it back: a NaN
 * is stored as NULL (read as 0), -0 as 0. A full cache is emptied first;
 * out of memory leaves the series out. */
static void
series_cache_put(struct series_cache *c, const struct series_state *ss,
    int64_t rowid)
{
	size_t i;

	if (c->n > 0) {
		i = series_slot(c, ss->series);
		if (c->used[i])
			goto set;
	}
	if (c->n >= SERIES_CACHE_MAX) {
		memset(c->used, 0, c->nslots);
		c->n = 0;
	}
	if ((c->n + 1) * 4 > c->nslots * 3 && series_cache_grow(c) < 0)
		return;
	i = series_slot(c, ss->series);
	c->used[i] = 1;
	c->n++;
set:
	c->slot[i].s = *ss;
	c->slot[i].rowid = rowid;
	c->slot[i].null_value = isnan(ss->last_value);
	if (c->slot[i].null_value || ss->last_value == 0)
		c->slot[i].s.last_value = 0;
}

static int
sqlite_get_series(struct store *stp, uint64_t series, struct series_state *out)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_GET_SERIES];
	const struct cached_series *c = series_cache_get(&s->sc, series);
	int rc;

	if (c != NULL) {
		*out = c->s;
		return 1;
	}
	bind_fp(st, 1, series);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->series = series;
		out->identity = column_fp(st, 0);
		out->kind = column_kind(st, 1);
		out->last_ts = sqlite3_column_int64(st, 2);
		out->last_value = sqlite3_column_double(st, 3);
		out->active = sqlite3_column_int(st, 4);
		out->received_at = sqlite3_column_int64(st, 5);
		out->interval_ms = sqlite3_column_int64(st, 6);
		out->run_start = sqlite3_column_int64(st, 8);	/* NULL: 0 */
		series_cache_put(&s->sc, out, sqlite3_column_int64(st, 7));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up a series");
	return rc == SQLITE_ROW;
}

/* Writes ss: an UPDATE of what changed when the cache knows the row (the
 * same identity and kind), else INSERT OR REPLACE. */
static int
sqlite_put_series(struct store *stp, const struct series_state *ss)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	const struct cached_series *old = series_cache_get(&s->sc, ss->series);
	sqlite3_stmt *st = s->stmt[Q_PUT_SERIES];
	int null_value = isnan(ss->last_value);
	int64_t rowid = 0;

	if (old != NULL && old->s.identity == ss->identity &&
	    old->s.kind == ss->kind) {
		st = s->stmt[old->s.active == ss->active &&
		    old->null_value == null_value &&
		    (null_value || old->s.last_value == ss->last_value) &&
		    old->s.run_start == ss->run_start ?
		    Q_TOUCH_SERIES : Q_SET_SERIES];
		rowid = old->rowid;
	}
	for (;;) {
		/* the three statements number their parameters alike; the
		 * UPDATEs use some of them, INSERT all but ?9 */
		bind_fp(st, 1, ss->series);
		if (st == s->stmt[Q_PUT_SERIES]) {
			bind_fp(st, 2, ss->identity);
			sqlite3_bind_text(st, 3, kind_names[ss->kind], -1,
			    SQLITE_STATIC);
		} else {
			sqlite3_bind_int64(st, 9, rowid);
		}
		sqlite3_bind_int64(st, 4, ss->last_ts);
		sqlite3_bind_double(st, 5, ss->last_value);
		sqlite3_bind_int(st, 6, ss->active);
		sqlite3_bind_int64(st, 7, ss->received_at);
		bind_time(st, 8, ss->interval_ms);
		if (st != s->stmt[Q_TOUCH_SERIES])
			bind_time(st, 10, ss->run_start);
		if (exec_stmt(st) < 0) {
			series_cache_clear(s);
			return fail(s->db, "storing a series");
		}
		if (st == s->stmt[Q_PUT_SERIES]) {
			rowid = sqlite3_last_insert_rowid(s->db);
			break;
		}
		if (sqlite3_changes(s->db) == 1)
			break;
		/* cannot happen: the cache knew a row the table has not */
		series_cache_clear(s);
		st = s->stmt[Q_PUT_SERIES];
	}
	/* the model keeps a series' identity, kind and interval */
	if (old == NULL || old->s.identity != ss->identity ||
	    old->s.kind != ss->kind || old->s.interval_ms != ss->interval_ms)
		vec_add(s, &s->dirty.series, (int64_t)ss->series);
	series_cache_put(&s->sc, ss, rowid);
	return 0;
}

static int
sqlite_count_active_series(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t from, int64_t to,
    int strict)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_COUNT_ACTIVE];
	int rc, n = 0;

	bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, kind_names[kind], -1, SQLITE_STATIC);
	bind_fp(st, 3, except);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int64(st, 5, strict ? 0 : STORE_REPLICA_LAG_MS);
	sqlite3_bind_int64(st, 6, from);
	sqlite3_bind_int(st, 7, strict ? 1 : 2);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return fail(s->db, "counting series");
	return n;
}

static int
sqlite_last_series_end(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t since, int64_t *last)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_LAST_END];
	int rc;

	bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, kind_names[kind], -1, SQLITE_STATIC);
	bind_fp(st, 3, except);
	sqlite3_bind_int64(st, 4, since);
	*last = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int64(st, 0);	/* NULL: 0 */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return fail(s->db, "finding series ends");
	return 0;
}

static int
sqlite_idle_series(struct store *stp, int64_t received_before,
    struct series_state *out, int max)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_IDLE_SERIES];
	int n = 0, rc;

	sqlite3_bind_int64(st, 1, received_before);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		struct series_state *o = &out[n++];

		o->series = column_fp(st, 0);
		o->identity = column_fp(st, 1);
		o->kind = column_kind(st, 2);
		o->last_ts = sqlite3_column_int64(st, 3);
		o->last_value = sqlite3_column_double(st, 4);
		o->active = sqlite3_column_int(st, 5);
		o->received_at = sqlite3_column_int64(st, 6);
		o->interval_ms = sqlite3_column_int64(st, 7);
		o->run_start = sqlite3_column_int64(st, 8);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s->db, "looking up idle series");
	return n;
}

static int
sqlite_prune(struct store *stp, int64_t cutoff_ms,
    struct store_prune_result *res)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const char *const sql[5] = {
		"DELETE FROM notifications WHERE received_at < ?1",
		"DELETE FROM episodes WHERE resolved_at IS NOT NULL"
		" AND resolved_at < ?1",
		"DELETE FROM rw_series WHERE active = 0 AND received_at < ?1",
		"DELETE FROM identities WHERE last_seen < ?1 AND NOT EXISTS"
		" (SELECT 1 FROM episodes e WHERE e.identity ="
		" identities.identity) AND NOT EXISTS (SELECT 1 FROM"
		" notification_alerts a WHERE a.identity = identities.identity)",
		"DELETE FROM silences WHERE ends_at < ?1",
	};
	int64_t *counts[5] = { &res->notifications, &res->episodes,
	    &res->series, &res->identities, &res->silences };

	memset(res, 0, sizeof(*res));
	if (sqlite_begin(stp) < 0)
		return -1;
	series_cache_clear(s);		/* rows are deleted behind it */
	for (int i = 0; i < 5; i++) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL))
			goto bad;
		sqlite3_bind_int64(st, 1, cutoff_ms);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto bad;
		*counts[i] = sqlite3_changes(s->db);
	}
	/* the model is loaded again, and so trimmed to its horizon */
	s->dirty.reload = res->notifications || res->episodes ||
	    res->series || res->identities;
	return sqlite_commit(stp);
bad:
	fail(s->db, "pruning");
	sqlite_rollback(stp);
	return -1;
}

/* --- reads --------------------------------------------------------------- */

static int
sqlite_query_episodes(struct store *stp, const struct episode_filter *f,
    int (*fn)(const struct episode_row *, void *), void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const char *const sql = "SELECT e.id, e.identity, e.pending_at,"
	    " e.firing_at, e.resolved_at, e.first_notified_at,"
	    " e.last_notified_at, e.notifications, e.sources, e.alertname,"
	    " i.labels, (SELECT json_group_array(DISTINCT n.receiver) FROM"
	    "   notification_alerts a JOIN notifications n ON"
	    "   n.id = a.notification_id WHERE a.episode_id = e.id)"
	    " FROM episodes e JOIN identities i USING (identity)"
	    " WHERE (?1 IS NULL OR e.alertname = ?1)"
	    " AND (?2 IS NULL OR e.resolved_at IS NULL OR e.resolved_at >= ?2)"
	    " AND (?3 IS NULL OR coalesce(e.pending_at, e.firing_at) <= ?3)"
	    " AND (?4 = 0 OR e.resolved_at IS NULL)"
	    " ORDER BY coalesce(e.pending_at, e.firing_at) DESC, e.id DESC";
	sqlite3_stmt *st;
	int rc, result = -1;

	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v3(s->rdb, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL)) {
		fail(s->rdb, "querying episodes");
		goto out;
	}
	if (f->alertname)
		sqlite3_bind_text(st, 1, f->alertname, -1, SQLITE_STATIC);
	bind_time(st, 2, f->since);
	bind_time(st, 3, f->until);
	sqlite3_bind_int(st, 4, f->open_only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct episode_row row;
		json_error_t je;
		int stop;

		column_episode(st, &row.e);
		row.alertname = (const char *)sqlite3_column_text(st, 9);
		row.labels = json_loads((const char *)sqlite3_column_text(st,
		    10), 0, &je);
		row.receivers = json_loads((const char *)sqlite3_column_text(st,
		    11), 0, &je);
		if (row.labels == NULL || row.receivers == NULL) {
			json_decref(row.labels);
			json_decref(row.receivers);
			snprintf(errbuf, sizeof(errbuf), "bad JSON in store");
			sqlite3_finalize(st);
			goto out;
		}
		stop = fn(&row, arg);
		json_decref(row.labels);
		json_decref(row.receivers);
		if (stop)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(s->rdb, "querying episodes");
		sqlite3_finalize(st);
		goto out;
	}
	sqlite3_finalize(st);
	result = 0;
out:
	pthread_mutex_unlock(&s->rlock);
	return result;
}

/* --- analysis reads ------------------------------------------------------ */

/* Runs sql on the reader connection with ?1 = from, ?2 = to (and ?3 = x
 * when x_set), calling row for each result row until it returns non-zero. */
static int
scan(struct sqlite_store *s, const char *sql, int64_t from, int64_t to,
    int x_set, int64_t x, int (*row)(sqlite3_stmt *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc, result = -1;

	pthread_mutex_lock(&s->rlock);
	/* short scans end before the progress handler is first called */
	if (__atomic_load_n(&s->cancel, __ATOMIC_RELAXED)) {
		snprintf(errbuf, sizeof(errbuf), "scanning: interrupted");
		goto out;
	}
	if (sqlite3_prepare_v2(s->rdb, sql, -1, &st, NULL)) {
		fail(s->rdb, "preparing a scan");
		goto out;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (x_set)
		sqlite3_bind_int64(st, 3, x);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, arg))
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fail(s->rdb, "scanning");
	else
		result = 0;
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->rlock);
	return result;
}

struct scan_ctx {
	void *fn;
	void *arg;
};

static int
episode_row(sqlite3_stmt *st, void *p)
{
	struct scan_ctx *c = p;
	int (*fn)(const struct episode *, void *) = c->fn;
	struct episode e;

	column_episode(st, &e);
	return fn(&e, c->arg);
}

static int
sqlite_scan_episodes(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	/* three index ranges: those that fired in [from, to), those that
	 * fired before and resolved in it or later, those still open. The
	 * unary + keeps SQLite from reading the older ones by firing_at
	 * (that range is all the history before the window), also to save
	 * itself the sort. */
	return scan((struct sqlite_store *)stp, "SELECT * FROM ("
	    " SELECT " EPISODE_COLS " FROM episodes"
	    "  WHERE firing_at >= ?1 AND firing_at < ?2"
	    " UNION ALL SELECT " EPISODE_COLS " FROM episodes"
	    "  WHERE resolved_at >= ?1 AND +firing_at < ?1"
	    " UNION ALL SELECT " EPISODE_COLS " FROM episodes"
	    "  WHERE resolved_at IS NULL AND +firing_at < ?1)"
	    " ORDER BY +firing_at, id", from, to, 0, 0, episode_row, &c);
}

static int
pending_only_row(sqlite3_stmt *st, void *p)
{
	struct scan_ctx *c = p;
	int (*fn)(const struct episode *, void *) = c->fn;
	struct episode e;

	memset(&e, 0, sizeof(e));
	e.id = sqlite3_column_int64(st, 0);
	e.identity = column_fp(st, 1);
	e.pending_at = sqlite3_column_int64(st, 2);
	e.resolved_at = sqlite3_column_int64(st, 3);
	return fn(&e, c->arg);
}

static int
sqlite_scan_pending_only(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct episode *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	/* the WHERE repeats episodes_pending_only's, so that SQLite reads
	 * that index (covering) and nothing else */
	return scan((struct sqlite_store *)stp, "SELECT id, identity,"
	    " pending_at, resolved_at FROM episodes"
	    " WHERE firing_at IS NULL AND resolved_at IS NOT NULL"
	    " AND pending_at >= ?1 AND pending_at < ?2 ORDER BY pending_at",
	    from, to, 0, 0, pending_only_row, &c);
}

/* What the window's notifications say of one identity: the distinct
 * Alertmanager fingerprints its alerts had (replicas) and how many of them
 * came in a duplicate delivery. An open-addressing map from identity. */
struct alert_copies {
	uint64_t identity;		/* 0: free slot */
	uint64_t *fps;
	int nfps, cap;
	int dup;
};

struct copies_map {
	struct alert_copies *v;
	size_t cap, n;			/* cap: a power of two */
	int failed;
};

static struct alert_copies *
copies_get(struct copies_map *m, uint64_t identity)
{
	size_t i;

	if (identity == 0)
		identity = 1;	/* 0 marks free slots; a collision at worst */
	if (m->n * 2 >= m->cap) {
		struct copies_map g = { NULL, m->cap ? m->cap * 2 : 1024, 0, 0 };

		if ((g.v = calloc(g.cap, sizeof(*g.v))) == NULL)
			return NULL;
		for (size_t k = 0; k < m->cap; k++) {
			if (m->v[k].identity == 0)
				continue;
			i = (m->v[k].identity * 0x9e3779b97f4a7c15ULL) >>
			    (64 - __builtin_ctzll(g.cap));
			while (g.v[i].identity != 0)
				i = (i + 1) & (g.cap - 1);
			g.v[i] = m->v[k];
		}
		free(m->v);
		m->v = g.v;
		m->cap = g.cap;
	}
	i = (identity * 0x9e3779b97f4a7c15ULL) >> (64 - __builtin_ctzll(m->cap));
	while (m->v[i].identity != 0 && m->v[i].identity != identity)
		i = (i + 1) & (m->cap - 1);
	if (m->v[i].identity == 0) {
		m->v[i].identity = identity;
		m->n++;
	}
	return &m->v[i];
}

static void
copies_free(struct copies_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].fps);
	free(m->v);
}

static int
copies_row(sqlite3_stmt *st, void *p)
{
	struct copies_map *m = p;
	struct alert_copies *c;
	uint64_t fp = column_fp(st, 1);
	int k;

	if ((c = copies_get(m, column_fp(st, 0))) == NULL)
		goto nomem;
	c->dup += sqlite3_column_int(st, 2);
	for (k = 0; k < c->nfps && c->fps[k] != fp; k++)
		;
	if (k == c->nfps) {
		if (c->nfps == c->cap) {
			int n = c->cap ? c->cap * 2 : 2;
			uint64_t *v = realloc(c->fps, n * sizeof(*v));

			if (v == NULL)
				goto nomem;
			c->fps = v;
			c->cap = n;
		}
		c->fps[c->nfps++] = fp;
	}
	return 0;
nomem:
	m->failed = 1;
	return 1;
}

struct identity_ctx {
	int (*fn)(const struct identity_row *, void *);
	void *arg;
	struct copies_map *copies;
};

static int
identity_row(sqlite3_stmt *st, void *p)
{
	struct identity_ctx *c = p;
	struct alert_copies *ac;
	struct identity_row r;
	int series;

	r.identity = column_fp(st, 0);
	r.alertname = (const char *)sqlite3_column_text(st, 1);
	r.labels = (const char *)sqlite3_column_text(st, 2);
	r.interval_ms = sqlite3_column_int64(st, 3);
	series = sqlite3_column_int(st, 4);
	if ((ac = copies_get(c->copies, r.identity)) == NULL) {
		c->copies->failed = 1;
		return 1;
	}
	r.copies = ac->nfps > series ? ac->nfps : series;
	if (r.copies < 1)
		r.copies = 1;
	r.dup_deliveries = ac->dup;
	return c->fn(&r, c->arg);
}

static int
sqlite_scan_identities(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct identity_row *, void *), void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	struct copies_map copies = { NULL, 0, 0, 0 };
	struct identity_ctx c = { fn, arg, &copies };
	int rc;

	/* copies: the distinct alert fingerprints the window's
	 * notifications carried or the most series of one kind remote write
	 * sent -- either way, how many replicas sent the alert. The
	 * window's alerts are read once, from the covering indexes
	 * notifications_window and notification_alerts_scan, and counted
	 * here: SQLite's GROUP BY and count(DISTINCT) sort them twice. */
	rc = scan(s, "SELECT a.identity, a.fingerprint, n.dup_delivery"
	    " FROM notifications n"
	    " JOIN notification_alerts a ON a.notification_id = n.id"
	    " WHERE n.received_at >= ?1 AND n.received_at < ?2",
	    from, to, 0, 0, copies_row, &copies);
	if (rc == 0 && !copies.failed)
		rc = scan(s, "WITH ids AS (SELECT identity FROM episodes"
		    "  WHERE firing_at >= ?1 AND firing_at < ?2"
		    "  UNION SELECT identity FROM episodes WHERE resolved_at >= ?1"
		    "  AND +firing_at < ?1"
		    "  UNION SELECT identity FROM episodes WHERE resolved_at IS NULL"
		    "  AND +firing_at < ?1"
		    "  UNION SELECT identity FROM episodes WHERE firing_at IS NULL"
		    "  AND resolved_at IS NOT NULL AND pending_at >= ?1"
		    "  AND pending_at < ?2),"
		    " ser AS (SELECT identity, max(c) AS c, min(iv) AS iv FROM"
		    "  (SELECT identity, count(*) AS c, min(CASE WHEN"
		    "   interval_ms > 0 THEN interval_ms END) AS iv FROM rw_series"
		    "   GROUP BY identity, kind) GROUP BY identity)"
		    " SELECT i.identity, i.alertname, i.labels, ser.iv,"
		    "  coalesce(ser.c, 0)"
		    " FROM identities i JOIN ids USING (identity)"
		    " LEFT JOIN ser USING (identity)",
		    from, to, 0, 0, identity_row, &c);
	if (copies.failed) {
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		rc = -1;
	}
	copies_free(&copies);
	return rc;
}

static int
notified_row(sqlite3_stmt *st, void *p)
{
	struct scan_ctx *c = p;
	int (*fn)(const struct notified_row *, void *) = c->fn;
	struct notified_row r;

	r.notification = sqlite3_column_int64(st, 0);
	r.received_at = sqlite3_column_int64(st, 1);
	r.receiver = (const char *)sqlite3_column_text(st, 2);
	r.group_labels = (const char *)sqlite3_column_text(st, 3);
	r.episode = sqlite3_column_int64(st, 4);
	r.identity = column_fp(st, 5);
	r.alertname = (const char *)sqlite3_column_text(st, 6);
	return fn(&r, c->arg);
}

static int
sqlite_scan_notified(struct store *stp, int64_t from, int64_t to,
    int firing_only, int (*fn)(const struct notified_row *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	/* received_at first: the range of notifications_window in order, not
	 * a scan of the whole table in id order. Firing only, a resolved
	 * notification is one row of its own (LEFT JOIN) and its alerts are
	 * not read: the probe of notification_alerts_scan by (id, 'firing')
	 * finds none. */
	return scan((struct sqlite_store *)stp, firing_only ?
	    "SELECT n.id, n.received_at, n.receiver, n.group_labels,"
	    " coalesce(a.episode_id, 0), a.identity, a.alertname"
	    " FROM notifications n LEFT JOIN notification_alerts a"
	    " ON a.notification_id = n.id AND a.status = 'firing'"
	    " AND n.status = 'firing'"
	    " WHERE n.received_at >= ?1 AND n.received_at < ?2"
	    " ORDER BY n.received_at, n.id" :
	    "SELECT n.id, n.received_at, n.receiver, n.group_labels,"
	    " coalesce(a.episode_id, 0), a.identity, a.alertname"
	    " FROM notifications n JOIN notification_alerts a"
	    " ON a.notification_id = n.id"
	    " WHERE n.received_at >= ?1 AND n.received_at < ?2"
	    " ORDER BY n.received_at, n.id", from, to, 0, 0, notified_row, &c);
}

static int
feedback_row(sqlite3_stmt *st, void *p)
{
	struct scan_ctx *c = p;
	int (*fn)(int64_t, const char *, void *) = c->fn;

	return fn(sqlite3_column_int64(st, 0),
	    (const char *)sqlite3_column_text(st, 1), c->arg);
}

static int
sqlite_scan_feedback(struct store *stp, int64_t from, int64_t to,
    int (*fn)(int64_t, const char *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	return scan((struct sqlite_store *)stp,
	    /* from the (few) verdicts to their episodes, not the other
	     * way round: CROSS JOIN keeps that order */
	    "SELECT f.episode_id, f.verdict FROM feedback f"
	    " CROSS JOIN episodes e ON e.id = f.episode_id"
	    " WHERE e.firing_at < ?2 AND (e.resolved_at IS NULL"
	    "  OR e.resolved_at >= ?1)"
	    " AND f.id = (SELECT max(id) FROM feedback g"
	    "  WHERE g.episode_id = f.episode_id)",
	    from, to, 0, 0, feedback_row, &c);
}

/* --- silences ------------------------------------------------------------ */

static int
sqlite_put_silences(struct store *stp, const struct silence *v, size_t n)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int written = 0;

	if (n == 0)
		return 0;
	if (sqlite_begin(stp) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO silences (id, matchers,"
	    " starts_at, ends_at, updated_at, created_by, comment)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers,"
	    " starts_at = excluded.starts_at, ends_at = excluded.ends_at,"
	    " updated_at = excluded.updated_at,"
	    " created_by = excluded.created_by, comment = excluded.comment"
	    " WHERE updated_at != excluded.updated_at", -1, &st, NULL))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, v[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v[i].matchers, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, v[i].starts_at);
		sqlite3_bind_int64(st, 4, v[i].ends_at);
		sqlite3_bind_int64(st, 5, v[i].updated_at);
		sqlite3_bind_text(st, 6, v[i].created_by, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, v[i].comment, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto bad;
		}
		written += sqlite3_changes(s->db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite_commit(stp) < 0)
		return -1;
	return written;
bad:
	fail(s->db, "storing silences");
	sqlite_rollback(stp);
	return -1;
}

static int
silence_row(sqlite3_stmt *st, void *p)
{
	struct scan_ctx *c = p;
	struct silence x;

	x.id = (const char *)sqlite3_column_text(st, 0);
	x.matchers = (const char *)sqlite3_column_text(st, 1);
	x.starts_at = sqlite3_column_int64(st, 2);
	x.ends_at = sqlite3_column_int64(st, 3);
	x.updated_at = sqlite3_column_int64(st, 4);
	x.created_by = (const char *)sqlite3_column_text(st, 5);
	x.comment = (const char *)sqlite3_column_text(st, 6);
	return ((int (*)(const struct silence *, void *))c->fn)(&x, c->arg);
}

static int
sqlite_scan_silences(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct silence *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	return scan((struct sqlite_store *)stp,
	    "SELECT id, matchers, starts_at, ends_at, updated_at, created_by,"
	    " comment FROM silences WHERE ends_at > ?1 AND starts_at < ?2"
	    " ORDER BY starts_at, id", from, to, 0, 0, silence_row, &c);
}

/* --- feedback ------------------------------------------------------------ */

static int
sqlite_find_feedback_episode(struct store *stp, uint64_t fp,
    int64_t starts_ms, struct episode *e)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v2(s->rdb, "WITH ident AS ("
	    "  SELECT identity FROM identities WHERE identity = ?1"
	    "  UNION SELECT identity FROM notification_alerts"
	    "  WHERE fingerprint = ?1 LIMIT 1)"
	    " SELECT " EPISODE_COLS " FROM episodes"
	    " WHERE identity = (SELECT identity FROM ident)"
	    " AND (?2 = 0 OR (coalesce(firing_at, pending_at) <= ?2"
	    "  AND (resolved_at IS NULL OR resolved_at >= ?2)))"
	    " ORDER BY firing_at IS NULL, coalesce(firing_at, pending_at) DESC"
	    " LIMIT 1", -1, &st, NULL)) {
		pthread_mutex_unlock(&s->rlock);
		return fail(s->rdb, "looking up an episode");
	}
	bind_fp(st, 1, fp);
	sqlite3_bind_int64(st, 2, starts_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		column_episode(st, e);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pthread_mutex_unlock(&s->rlock);
		return fail(s->rdb, "looking up an episode");
	}
	pthread_mutex_unlock(&s->rlock);
	return rc == SQLITE_ROW;
}

static int
sqlite_add_feedback(struct store *stp, const struct episode *e,
    const char *verdict, const char *note, const char *by, int64_t at_ms)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	if (sqlite_begin(stp) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO feedback (episode_id,"
	    " identity, verdict, note, by, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL)) {
		fail(s->db, "storing feedback");
		sqlite_rollback(stp);
		return -1;
	}
	sqlite3_bind_int64(st, 1, e->id);
	bind_fp(st, 2, e->identity);
	sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, at_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fail(s->db, "storing feedback");
		sqlite_rollback(stp);
		return -1;
	}
	vec_add(s, &s->dirty.episodes, e->id);
	return sqlite_commit(stp);
}

static int
sqlite_feedback_counts(struct store *stp, int64_t *actionable, int64_t *noise)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	*actionable = *noise = 0;
	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v2(s->rdb, "SELECT verdict, count(*) FROM feedback"
	    " GROUP BY verdict", -1, &st, NULL)) {
		pthread_mutex_unlock(&s->rlock);
		return fail(s->rdb, "counting feedback");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(v, "actionable") == 0)
			*actionable = sqlite3_column_int64(st, 1);
		else
			*noise = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	if (rc != SQLITE_DONE)
		return fail(s->rdb, "counting feedback");
	return 0;
}

static void
sqlite_cancel_reads(struct store *stp)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;

	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
}

/* Open episodes are few and have a partial index (episodes_open). */
static int
sqlite_count_open(struct store *stp, int64_t *firing, int64_t *pending)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	*firing = *pending = 0;
	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v2(s->rdb, "SELECT count(firing_at),"
	    " count(*) - count(firing_at) FROM episodes"
	    " WHERE resolved_at IS NULL", -1, &st, NULL)) {
		pthread_mutex_unlock(&s->rlock);
		return fail(s->rdb, "counting open episodes");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*firing = sqlite3_column_int64(st, 0);
		*pending = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	if (rc != SQLITE_ROW)
		return fail(s->rdb, "counting open episodes");
	return 0;
}

/* --- the in-memory model ------------------------------------------------- *
 * Every write records what it touched (ids, a relinked range, a merge);
 * once the commit is on disk, and before store_commit returns, model_sync
 * re-reads those rows on the writer's connection and puts them in the
 * model: re-reading is idempotent, so what a rolled-back savepoint touched
 * does no harm. Another process's commit (alertnoised import) is seen in
 * the writer connection's data_version, which moves with other
 * connections' commits only; then, and after a prune, the model is loaded
 * again in full. */

static void
vec_add(struct sqlite_store *s, struct i64vec *v, int64_t x)
{
	if (s->base.model == NULL)
		return;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		int64_t *p = realloc(v->v, cap * sizeof(*p));

		if (p == NULL) {
			s->dirty.failed = 1;
			return;
		}
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
}

static void
mark_relinked(struct sqlite_store *s, uint64_t identity, int64_t from,
    int64_t to)
{
	struct dirty *dy = &s->dirty;

	if (s->base.model == NULL)
		return;
	if (dy->nrelinked == dy->cap_relinked) {
		size_t cap = dy->cap_relinked ? dy->cap_relinked * 2 : 8;
		struct relink_range *p = realloc(dy->relinked,
		    cap * sizeof(*p));

		if (p == NULL) {
			dy->failed = 1;
			return;
		}
		dy->relinked = p;
		dy->cap_relinked = cap;
	}
	dy->relinked[dy->nrelinked++] = (struct relink_range){ identity, from,
	    to };
}

static void
dirty_clear(struct sqlite_store *s)
{
	struct dirty *dy = &s->dirty;

	dy->episodes.n = dy->notifications.n = dy->merged.n = 0;
	dy->series.n = dy->identities.n = 0;
	dy->nrelinked = 0;
	dy->reload = dy->failed = 0;
}

static void
dirty_free(struct sqlite_store *s)
{
	struct dirty *dy = &s->dirty;

	free(dy->episodes.v);
	free(dy->notifications.v);
	free(dy->merged.v);
	free(dy->series.v);
	free(dy->identities.v);
	free(dy->relinked);
}

static int
i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Sorts v and drops repeats. */
static void
vec_unique(struct i64vec *v)
{
	size_t k = 0;

	qsort(v->v, v->n, sizeof(*v->v), i64_cmp);
	for (size_t i = 0; i < v->n; i++)
		if (k == 0 || v->v[k - 1] != v->v[i])
			v->v[k++] = v->v[i];
	v->n = k;
}

static int
data_version(struct sqlite_store *s, int64_t *out)
{
	sqlite3_stmt *st = s->stmt[Q_M_DATA_VERSION];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(s->db, "reading the data version");
}

static int
verdict_of(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	if (v == NULL)
		return MODEL_NO_VERDICT;
	return strcmp(v, "actionable") == 0 ? MODEL_ACTIONABLE : MODEL_NOISE;
}

/* Steps st, which binds ?1 already, expecting at most one row; returns
 * SQLITE_ROW, SQLITE_DONE, or -1 (errbuf). */
static int
step_one(struct sqlite_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(s->db, "reading for the model");
		return -1;
	}
	return rc;
}

static int
sync_episode(struct sqlite_store *s, struct model_data *d, int64_t id)
{
	sqlite3_stmt *st = s->stmt[Q_M_EPISODE];
	struct episode e;
	int rc, result = -1;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = step_one(s, st)) == SQLITE_ROW) {
		column_episode(st, &e);
		result = model_put_episode(d, &e, verdict_of(st, 9));
	} else if (rc == SQLITE_DONE) {
		model_drop_episode(d, id);
		result = 0;
	}
	sqlite3_reset(st);
	return result;
}

struct alert_buf {
	struct model_alert *v;
	size_t n, cap;
};

static struct model_alert *
alert_add(struct alert_buf *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct model_alert *p = realloc(b->v, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		b->v = p;
		b->cap = cap;
	}
	return &b->v[b->n++];
}

/* Reads into *a the alert of a row whose columns from i on are identity,
 * fingerprint, episode, alertname and firing. */
static int
column_alert(struct model_data *d, sqlite3_stmt *st, int i,
    struct model_alert *a)
{
	a->identity = column_fp(st, i);
	a->fingerprint = column_fp(st, i + 1);
	a->episode = sqlite3_column_int64(st, i + 2);
	a->firing = sqlite3_column_int(st, i + 4);
	a->alertname = model_intern(d,
	    (const char *)sqlite3_column_text(st, i + 3));
	return a->alertname != NULL ? 0 : -1;
}

static int
sync_notification(struct sqlite_store *s, struct model_data *d, int64_t id,
    struct alert_buf *ab)
{
	sqlite3_stmt *st = s->stmt[Q_M_NOTIF], *at = s->stmt[Q_M_ALERTS];
	struct model_notification n;
	struct model_alert *a;
	int rc, result = -1;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = step_one(s, st)) == SQLITE_DONE) {
		model_drop_notification(d, id);
		result = 0;
	}
	if (rc != SQLITE_ROW)
		goto out;
	n.id = id;
	n.received_at = sqlite3_column_int64(st, 0);
	n.receiver = model_intern(d, (const char *)sqlite3_column_text(st, 1));
	n.group_labels = model_intern(d,
	    (const char *)sqlite3_column_text(st, 2));
	n.firing = sqlite3_column_int(st, 3);
	n.dup_delivery = sqlite3_column_int(st, 4);
	if (n.receiver == NULL || n.group_labels == NULL)
		goto out;
	ab->n = 0;
	sqlite3_bind_int64(at, 1, id);
	while ((rc = sqlite3_step(at)) == SQLITE_ROW)
		if ((a = alert_add(ab)) == NULL ||
		    column_alert(d, at, 0, a) < 0)
			break;
	sqlite3_reset(at);
	if (rc == SQLITE_DONE)
		result = model_put_notification(d, &n, ab->v, ab->n);
	else if (rc != SQLITE_ROW)
		fail(s->db, "reading for the model");
out:
	sqlite3_reset(st);
	return result;
}

static int
sync_identity(struct sqlite_store *s, struct model_data *d, uint64_t identity)
{
	sqlite3_stmt *st = s->stmt[Q_M_IDENTITY];
	int rc, result = -1;

	if (model_has_identity(d, identity))
		return 0;	/* its name and labels never change */
	bind_fp(st, 1, identity);
	if ((rc = step_one(s, st)) == SQLITE_ROW)
		result = model_put_identity(d, identity,
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	else if (rc == SQLITE_DONE)
		result = 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return result;
}

static int
sync_series(struct sqlite_store *s, struct model_data *d, uint64_t series)
{
	sqlite3_stmt *st = s->stmt[Q_M_SERIES];
	int rc, result = -1;

	bind_fp(st, 1, series);
	if ((rc = step_one(s, st)) == SQLITE_ROW)
		result = model_put_series(d, series, column_fp(st, 0),
		    column_kind(st, 1), sqlite3_column_int64(st, 2));
	else if (rc == SQLITE_DONE)
		result = 0;	/* series go with a prune: a reload */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return result;
}

/* Adds to the dirty notifications those with alerts st finds (?1.. bound
 * by the caller). */
static int
add_notifications_of(struct sqlite_store *s, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		vec_add(s, &s->dirty.notifications,
		    sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(s->db, "reading for the model");
}

/* Runs sql (?1 = from) on the writer's connection, calling row for each
 * result row until it fails. */
static int
load_rows(struct sqlite_store *s, const char *sql, int64_t from,
    int (*row)(struct sqlite_store *, sqlite3_stmt *, struct model_data *,
    void *), struct model_data *d, void *arg)
{
	sqlite3_stmt *st;
	int rc, result = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return fail(s->db, "loading the model");
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(s, st, d, arg) < 0)
			break;
	if (rc == SQLITE_DONE)
		result = 0;
	else if (rc != SQLITE_ROW)
		fail(s->db, "loading the model");
	else
		snprintf(errbuf, sizeof(errbuf), "loading the model: out of"
		    " memory");
	sqlite3_finalize(st);
	return result;
}

static int
load_identity(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	return model_put_identity(d, column_fp(st, 0),
	    (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 2));
}

static int
load_series(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	return model_put_series(d, column_fp(st, 0), column_fp(st, 1),
	    column_kind(st, 2), sqlite3_column_int64(st, 3));
}

static int
load_episode(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	struct episode e;

	(void)s;
	(void)arg;
	column_episode(st, &e);
	return model_put_episode(d, &e, MODEL_NO_VERDICT);
}

static int
load_verdict(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	model_set_verdict(d, sqlite3_column_int64(st, 0), verdict_of(st, 1));
	return 0;
}

/* The notifications come a row per alert (one without for a notification
 * without alerts), a notification's together: each is put once its last
 * row is read. */
struct notif_load {
	struct model_notification n;
	struct alert_buf ab;
};

static int
load_notification(struct sqlite_store *s, sqlite3_stmt *st,
    struct model_data *d, void *arg)
{
	struct notif_load *l = arg;
	int64_t id = sqlite3_column_int64(st, 0);
	struct model_alert *a;

	(void)s;
	if (id != l->n.id) {
		if (l->n.id != 0 &&
		    model_put_notification(d, &l->n, l->ab.v, l->ab.n) < 0)
			return -1;
		l->n.id = id;
		l->n.received_at = sqlite3_column_int64(st, 1);
		l->n.receiver = model_intern(d,
		    (const char *)sqlite3_column_text(st, 2));
		l->n.group_labels = model_intern(d,
		    (const char *)sqlite3_column_text(st, 3));
		l->n.firing = sqlite3_column_int(st, 4);
		l->n.dup_delivery = sqlite3_column_int(st, 5);
		l->ab.n = 0;
		if (l->n.receiver == NULL || l->n.group_labels == NULL)
			return -1;
	}
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		return 0;
	if ((a = alert_add(&l->ab)) == NULL)
		return -1;
	return column_alert(d, st, 6, a);
}

/* Reads the model's rows in one read transaction, into a new copy. */
static int
load_all(struct sqlite_store *s, struct model_data **out)
{
	int64_t from = ts_now_ms() - s->model_horizon_ms;
	struct notif_load nl;
	struct model_data *d;
	int rc = -1;

	if ((d = model_data_new(from)) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		return -1;
	}
	memset(&nl, 0, sizeof(nl));
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s->db, "loading the model");
		model_data_free(d);
		return -1;
	}
	if (load_rows(s, "SELECT identity, alertname, labels FROM identities",
	    from, load_identity, d, NULL) < 0 ||
	    load_rows(s, "SELECT series, identity, kind, interval_ms"
	    " FROM rw_series", from, load_series, d, NULL) < 0 ||
	    load_rows(s, "SELECT " EPISODE_COLS " FROM episodes"
	    " WHERE resolved_at IS NULL OR resolved_at >= ?1 ORDER BY id",
	    from, load_episode, d, NULL) < 0 ||
	    load_rows(s, "SELECT episode_id, verdict FROM feedback ORDER BY id",
	    from, load_verdict, d, NULL) < 0 ||
	    load_rows(s, "SELECT n.id, n.received_at, n.receiver,"
	    " n.group_labels, n.status = 'firing', n.dup_delivery,"
	    " a.identity, a.fingerprint, coalesce(a.episode_id, 0),"
	    " a.alertname, a.status = 'firing'"
	    " FROM notifications n LEFT JOIN notification_alerts a"
	    " ON a.notification_id = n.id WHERE n.received_at >= ?1"
	    " ORDER BY n.received_at, n.id", from, load_notification, d,
	    &nl) < 0)
		goto out;
	if (nl.n.id != 0 &&
	    model_put_notification(d, &nl.n, nl.ab.v, nl.ab.n) < 0) {
		snprintf(errbuf, sizeof(errbuf), "loading the model: out of"
		    " memory");
		goto out;
	}
	model_data_fit(d);
	rc = 0;
out:
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	free(nl.ab.v);
	if (rc < 0)
		model_data_free(d);
	else
		*out = d;
	return rc;
}

/* Loads the model in full, as of the store's generation: no other
 * process may commit while it reads, or it reads again. On failure the
 * model is emptied (every scan reads the database) and -1 returned. */
static int
model_reload(struct sqlite_store *s)
{
	struct model_data *d;
	int64_t dv, dv2;
	uint64_t gen;

	for (int tries = 0; tries < 3; tries++) {
		if (data_version(s, &dv) < 0 || load_all(s, &d) < 0)
			break;
		if (sqlite_generation(&s->base, &gen) == 0 &&
		    data_version(s, &dv2) == 0 && dv2 == dv) {
			model_install(s->base.model, d, gen);
			s->model_data_version = dv;
			s->model_ok = 1;
			return 0;
		}
		model_data_free(d);
		snprintf(errbuf, sizeof(errbuf), "loading the model: the store"
		    " kept changing");
	}
	model_install(s->base.model, NULL, 0);
	s->model_ok = 0;
	return -1;
}

/* After a commit, under the write lock: puts what it wrote in the model.
 * Whatever goes wrong, the model is loaded again or left empty, never
 * left behind the store. */
static void
model_sync(struct sqlite_store *s)
{
	struct dirty *dy = &s->dirty;
	struct alert_buf ab = { NULL, 0, 0 };
	struct model_data *d;
	int64_t dv, dv2;
	uint64_t gen;
	int ok = 1;

	if (s->base.model == NULL)
		return;
	if (!s->model_ok || dy->reload || dy->failed ||
	    data_version(s, &dv) < 0 || dv != s->model_data_version)
		goto reload;
	/* what relinks and merges moved: the notifications of the alerts */
	for (size_t i = 0; i < dy->nrelinked && ok; i++) {
		sqlite3_stmt *st = s->stmt[Q_M_RELINKED];

		bind_fp(st, 1, dy->relinked[i].identity);
		sqlite3_bind_int64(st, 2, dy->relinked[i].from);
		sqlite3_bind_int64(st, 3, dy->relinked[i].to);
		ok = add_notifications_of(s, st) == 0;
	}
	for (size_t i = 0; i < dy->merged.n && ok; i++) {
		sqlite3_bind_int64(s->stmt[Q_M_ON_EPISODE], 1,
		    dy->merged.v[i]);
		ok = add_notifications_of(s, s->stmt[Q_M_ON_EPISODE]) == 0;
	}
	if (!ok || dy->failed)
		goto reload;
	vec_unique(&dy->episodes);
	vec_unique(&dy->notifications);
	vec_unique(&dy->identities);
	vec_unique(&dy->series);

	if ((d = model_write_begin(s->base.model)) == NULL) {
		model_write_end(s->base.model, 0, 0);
		goto reload;
	}
	for (size_t i = 0; i < dy->identities.n && ok; i++)
		ok = sync_identity(s, d, (uint64_t)dy->identities.v[i]) == 0;
	for (size_t i = 0; i < dy->series.n && ok; i++)
		ok = sync_series(s, d, (uint64_t)dy->series.v[i]) == 0;
	for (size_t i = 0; i < dy->episodes.n && ok; i++)
		ok = sync_episode(s, d, dy->episodes.v[i]) == 0;
	for (size_t i = 0; i < dy->notifications.n && ok; i++)
		ok = sync_notification(s, d, dy->notifications.v[i], &ab) == 0;
	/* no other process committed meanwhile: then gen is ours */
	ok = ok && sqlite_generation(&s->base, &gen) == 0 &&
	    data_version(s, &dv2) == 0 && dv2 == dv;
	model_write_end(s->base.model, ok ? gen : 0, ok);
	free(ab.v);
	if (ok) {
		dirty_clear(s);
		return;
	}
reload:
	model_reload(s);
	dirty_clear(s);
}

static int
sqlite_refresh(struct store *stp)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	int64_t dv;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->model_ok || data_version(s, &dv) < 0 ||
	    dv != s->model_data_version)
		rc = model_reload(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

const struct store_backend store__sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.errmsg = sqlite_errmsg,
	.generation = sqlite_generation,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.savepoint = sqlite_savepoint,
	.savepoint_release = sqlite_savepoint_release,
	.savepoint_rollback = sqlite_savepoint_rollback,
	.find_notification = sqlite_find_notification,
	.insert_notification = sqlite_insert_notification,
	.insert_notification_alert = sqlite_insert_notification_alert,
	.upsert_identity = sqlite_upsert_identity,
	.episodes_near = sqlite_episodes_near,
	.insert_episode = sqlite_insert_episode,
	.update_episode = sqlite_update_episode,
	.merge_episode = sqlite_merge_episode,
	.episode_has_copy = sqlite_episode_has_copy,
	.relink_alerts = sqlite_relink_alerts,
	.get_series = sqlite_get_series,
	.put_series = sqlite_put_series,
	.count_active_series = sqlite_count_active_series,
	.last_series_end = sqlite_last_series_end,
	.idle_series = sqlite_idle_series,
	.prune = sqlite_prune,
	.query_episodes = sqlite_query_episodes,
	.scan_episodes = sqlite_scan_episodes,
	.scan_pending_only = sqlite_scan_pending_only,
	.scan_identities = sqlite_scan_identities,
	.scan_notified = sqlite_scan_notified,
	.scan_feedback = sqlite_scan_feedback,
	.find_feedback_episode = sqlite_find_feedback_episode,
	.put_silences = sqlite_put_silences,
	.scan_silences = sqlite_scan_silences,
	.add_feedback = sqlite_add_feedback,
	.feedback_counts = sqlite_feedback_counts,
	.count_open = sqlite_count_open,
	.cancel_reads = sqlite_cancel_reads,
	.refresh = sqlite_refresh,
};

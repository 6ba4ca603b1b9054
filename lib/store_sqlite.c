/* store_sqlite.c -- the embedded SQLite storage backend (store.h).
 *
 * One database file, <storage.path>/alertnoise.db, in WAL mode with
 * synchronous=FULL: a commit returns only after the WAL is fsync'ed, so a
 * committed transaction survives a crash or power loss
 * (https://www.sqlite.org/pragma.html#pragma_synchronous). The schema is
 * versioned with PRAGMA user_version and migrated forward at open; the README
 * documents every table and column for people who query the file with
 * sqlite3. One connection serves every thread, serialized by a mutex. */
#include "store_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "fingerprint.h"

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
	"  firing_at INTEGER NOT NULL,"
	"  resolved_at INTEGER,"
	"  first_notified_at INTEGER,"
	"  last_notified_at INTEGER,"
	"  notifications INTEGER NOT NULL DEFAULT 0,"
	"  sources TEXT NOT NULL"
	");"
	"CREATE INDEX episodes_identity ON episodes (identity, firing_at);"
	"CREATE INDEX episodes_firing_at ON episodes (firing_at);"
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
	"  (SELECT group_concat(DISTINCT n.receiver) FROM notification_alerts a"
	"    JOIN notifications n ON n.id = a.notification_id"
	"    WHERE a.episode_id = e.id) AS receivers,"
	"  i.labels FROM episodes e JOIN identities i USING (identity);"
	"CREATE VIEW notifications_view AS SELECT id,"
	"  strftime('%Y-%m-%dT%H:%M:%fZ', received_at / 1000.0, 'unixepoch') AS received_at,"
	"  receiver, status, group_key, num_alerts, truncated_alerts, external_url"
	"  FROM notifications;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_FIND_DUP, Q_INS_NOTIF, Q_INS_ALERT, Q_UPSERT_IDENTITY,
	Q_FIND_EPISODE, Q_INS_EPISODE, Q_UPD_EPISODE,
	Q_COUNT
};

static const char *const queries[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_FIND_DUP] = "SELECT id FROM notifications WHERE digest = ?1"
	    " AND received_at > ?2 ORDER BY id DESC LIMIT 1",
	[Q_INS_NOTIF] = "INSERT INTO notifications (received_at, receiver,"
	    " status, group_key, group_labels, common_labels,"
	    " common_annotations, external_url, truncated_alerts, num_alerts,"
	    " digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[Q_INS_ALERT] = "INSERT INTO notification_alerts (notification_id, idx,"
	    " fingerprint, identity, episode_id, alertname, status, labels,"
	    " annotations, starts_at, ends_at, generator_url)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[Q_UPSERT_IDENTITY] = "INSERT INTO identities (identity, alertname,"
	    " labels, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)"
	    " ON CONFLICT (identity) DO UPDATE SET"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	/* The episode an alert [?2, ?3] belongs to: one of the identity's
	 * episodes overlapping it, preferring the latest that began at or
	 * before the alert's start, else the earliest after it (an HA
	 * replica whose copy started a little earlier). ?3 is NULL while the
	 * alert fires. */
	[Q_FIND_EPISODE] = "SELECT id, firing_at, resolved_at FROM episodes"
	    " WHERE identity = ?1"
	    " AND (resolved_at IS NULL OR resolved_at >= ?2)"
	    " AND (?3 IS NULL OR firing_at <= ?3)"
	    " ORDER BY firing_at <= ?2 DESC,"
	    " CASE WHEN firing_at <= ?2 THEN -firing_at ELSE firing_at END"
	    " LIMIT 1",
	[Q_INS_EPISODE] = "INSERT INTO episodes (identity, alertname,"
	    " firing_at, resolved_at, sources) VALUES (?1, ?2, ?3, ?4, 'webhook')",
	/* ?2 firing_at, ?3 resolved_at, ?4 received_at, ?5 count this
	 * notification (0 when another alert of it already did) */
	[Q_UPD_EPISODE] = "UPDATE episodes SET firing_at = ?2, resolved_at = ?3,"
	    " first_notified_at = coalesce(min(first_notified_at, ?4), ?4),"
	    " last_notified_at = coalesce(max(last_notified_at, ?4), ?4),"
	    " notifications = notifications + ?5,"
	    " sources = CASE WHEN instr(sources, 'webhook') THEN sources"
	    "   ELSE sources || ',webhook' END"
	    " WHERE id = ?1",
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	pthread_mutex_t lock;
	int version;
};

static int
db_error(struct sqlite_store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* Steps a statement that returns no rows, and resets it. */
static int
exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
migrate(struct sqlite_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char sql[64];
	int v;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return db_error(s, "reading the schema version", err, errlen);
	v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (v < 0)
		return db_error(s, "reading the schema version", err, errlen);
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
			db_error(s, "migrating the schema", err, errlen);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	s->version = v;
	return 0;
}

static void sqlite_close(struct store *st);

static int
sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct sqlite_store *s;
	char file[4096];
	int rc;

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
	rc = sqlite3_open_v2(file, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s: %s", file,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	    NULL, NULL, NULL)) {
		db_error(s, file, err, errlen);
		goto fail;
	}
	if (migrate(s, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)) {
			db_error(s, "preparing statements", err, errlen);
			goto fail;
		}
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return -1;
}

static void
sqlite_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int
bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);

	if (s == NULL)
		return -1;
	return sqlite3_bind_text(st, i, s, -1, free);
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, ms);
}

/* Finds or creates the episode alert a belongs to and updates it. An
 * episode counts a notification once, however many copies of its alert (HA
 * replicas) the notification carries: prev[0..nprev) are the episodes the
 * notification's earlier alerts touched. */
static int
touch_episode(struct sqlite_store *s, const struct wh_alert *a,
    const char *identity, int64_t received_ms, const int64_t *prev,
    size_t nprev, int64_t *episode_id, struct store_put_result *res)
{
	int count = 1;
	sqlite3_stmt *st = s->stmt[Q_FIND_EPISODE];
	int64_t id = 0, firing = 0, resolved = 0;
	int found, was_open = 0;
	int64_t alert_end = a->status == WH_RESOLVED ? a->ends_ms : 0;

	sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->starts_ms);
	bind_time(st, 3, alert_end);
	found = sqlite3_step(st);
	if (found == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		firing = sqlite3_column_int64(st, 1);
		was_open = sqlite3_column_type(st, 2) == SQLITE_NULL;
		resolved = was_open ? 0 : sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (found != SQLITE_ROW && found != SQLITE_DONE)
		return -1;

	if (found == SQLITE_DONE) {
		st = s->stmt[Q_INS_EPISODE];
		sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->alertname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, a->starts_ms);
		bind_time(st, 4, alert_end);
		if (exec_stmt(st) < 0)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
		firing = a->starts_ms;
		resolved = alert_end;
		was_open = 1;
		res->episodes_opened++;
	} else {
		if (a->starts_ms < firing)
			firing = a->starts_ms;
		if (a->status == WH_RESOLVED) {
			if (resolved < a->ends_ms)
				resolved = a->ends_ms;
		} else if (resolved != 0 && received_ms > resolved) {
			/* a copy of the alert (an HA replica's) still fires
			 * after the episode was resolved: it goes on */
			resolved = 0;
		}
	}
	if (was_open && resolved != 0)
		res->episodes_resolved++;

	for (size_t j = 0; j < nprev; j++)
		if (prev[j] == id)
			count = 0;
	st = s->stmt[Q_UPD_EPISODE];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, firing);
	bind_time(st, 3, resolved);
	sqlite3_bind_int64(st, 4, received_ms);
	sqlite3_bind_int(st, 5, count);
	if (exec_stmt(st) < 0)
		return -1;
	*episode_id = id;
	return 0;
}

static int
put_alerts(struct sqlite_store *s, const struct wh_notification *n,
    int64_t notif_id, int64_t received_ms, struct store_put_result *res)
{
	int64_t *episodes;
	int result = -1;

	if ((episodes = calloc(n->nalerts, sizeof(*episodes))) == NULL)
		return -1;
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct wh_alert *a = &n->alerts[i];
		char fp[17], ident[17];
		sqlite3_stmt *st;

		fp_format(a->fingerprint, fp);
		fp_format(a->identity, ident);

		st = s->stmt[Q_UPSERT_IDENTITY];
		sqlite3_bind_text(st, 1, ident, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->alertname, -1, SQLITE_STATIC);
		if (bind_json(st, 3, a->identity_labels) != SQLITE_OK)
			goto out;
		sqlite3_bind_int64(st, 4, a->starts_ms);
		if (exec_stmt(st) < 0)
			goto out;
		if (touch_episode(s, a, ident, received_ms, episodes, i,
		    &episodes[i], res) < 0)
			goto out;

		st = s->stmt[Q_INS_ALERT];
		sqlite3_bind_int64(st, 1, notif_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, fp, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, ident, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, episodes[i]);
		sqlite3_bind_text(st, 6, a->alertname, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, a->status == WH_FIRING ? "firing" :
		    "resolved", -1, SQLITE_STATIC);
		if (bind_json(st, 8, a->labels) != SQLITE_OK ||
		    bind_json(st, 9, a->annotations) != SQLITE_OK)
			goto out;
		sqlite3_bind_int64(st, 10, a->starts_ms);
		bind_time(st, 11, a->ends_ms);
		sqlite3_bind_text(st, 12, a->generator_url, -1, SQLITE_STATIC);
		if (exec_stmt(st) < 0)
			goto out;
	}
	result = 0;
out:
	free(episodes);
	return result;
}

static int
sqlite_put_notification(struct store *stp, const struct wh_notification *n,
    int64_t received_ms, int64_t dedup_window_ms,
    struct store_put_result *res, char *err, size_t errlen)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	char digest[17];
	int result = -1, rc;

	memset(res, 0, sizeof(*res));
	fp_format(n->digest, digest);
	pthread_mutex_lock(&s->lock);
	if (exec_stmt(s->stmt[Q_BEGIN]) < 0) {
		db_error(s, "beginning a transaction", err, errlen);
		goto out;
	}

	st = s->stmt[Q_FIND_DUP];
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, received_ms - dedup_window_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		res->notification_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW && dedup_window_ms > 0) {
		res->outcome = STORE_DUPLICATE;
		exec_stmt(s->stmt[Q_ROLLBACK]);
		result = 0;
		goto out;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;

	st = s->stmt[Q_INS_NOTIF];
	sqlite3_bind_int64(st, 1, received_ms);
	sqlite3_bind_text(st, 2, n->receiver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->status == WH_FIRING ? "firing" : "resolved",
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->group_key, -1, SQLITE_STATIC);
	if (bind_json(st, 5, n->group_labels) != SQLITE_OK ||
	    bind_json(st, 6, n->common_labels) != SQLITE_OK ||
	    bind_json(st, 7, n->common_annotations) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 8, n->external_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, n->truncated_alerts);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)n->nalerts);
	sqlite3_bind_text(st, 11, digest, -1, SQLITE_STATIC);
	if (exec_stmt(st) < 0)
		goto fail;
	res->notification_id = sqlite3_last_insert_rowid(s->db);
	if (put_alerts(s, n, res->notification_id, received_ms, res) < 0)
		goto fail;
	if (exec_stmt(s->stmt[Q_COMMIT]) < 0)
		goto fail;
	res->outcome = STORE_STORED;
	result = 0;
	goto out;
fail:
	db_error(s, "storing a notification", err, errlen);
	exec_stmt(s->stmt[Q_ROLLBACK]);
out:
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_clear_bindings(s->stmt[i]);
	pthread_mutex_unlock(&s->lock);
	return result;
}

static int
sqlite_prune(struct store *stp, int64_t cutoff_ms,
    struct store_prune_result *res, char *err, size_t errlen)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const char *const sql[3] = {
		"DELETE FROM notifications WHERE received_at < ?1",
		"DELETE FROM episodes WHERE resolved_at IS NOT NULL"
		" AND resolved_at < ?1",
		"DELETE FROM identities WHERE last_seen < ?1 AND NOT EXISTS"
		" (SELECT 1 FROM episodes e WHERE e.identity ="
		" identities.identity) AND NOT EXISTS (SELECT 1 FROM"
		" notification_alerts a WHERE a.identity = identities.identity)",
	};
	int64_t *counts[3] = { &res->notifications, &res->episodes,
	    &res->identities };
	int result = -1;

	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&s->lock);
	if (exec_stmt(s->stmt[Q_BEGIN]) < 0) {
		db_error(s, "beginning a transaction", err, errlen);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL))
			goto fail;
		sqlite3_bind_int64(st, 1, cutoff_ms);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto fail;
		*counts[i] = sqlite3_changes(s->db);
	}
	if (exec_stmt(s->stmt[Q_COMMIT]) < 0)
		goto fail;
	result = 0;
	goto out;
fail:
	db_error(s, "pruning", err, errlen);
	exec_stmt(s->stmt[Q_ROLLBACK]);
out:
	pthread_mutex_unlock(&s->lock);
	return result;
}

static int
sqlite_schema_version(struct store *st)
{
	return ((struct sqlite_store *)st)->version;
}

const struct store_backend store__sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.put_notification = sqlite_put_notification,
	.prune = sqlite_prune,
	.schema_version = sqlite_schema_version,
};

/* sqlite_schema.c -- the SQLite backend's schema (store_sqlite.c).
 *
 * The tables, as migrations from an empty file to the current version
 * (PRAGMA user_version), applied at open; the SQL of the writer's
 * prepared statements (sqlite_int.h's Q_*), prepared at open; the
 * helpers that bind and read the columns every part uses (fingerprints as
 * 16 hex digits, times in milliseconds with NULL for none, series kinds,
 * episode rows); and the error message every file of the backend sets. It
 * calls no other file of the backend. */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fingerprint.h"

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

	/* 9: the durable totals behind the /metrics counters that count
	 * history (pages, notifications, episodes by class, verdicts), so
	 * they resume where the last process left them and a prune does not
	 * lower them; labels is the JSON array of the label values. Verdicts
	 * were counted from the feedback table, whose rows go with their
	 * episodes: they start from what it holds. */
	"CREATE TABLE counters ("
	"  family TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (family, labels)"
	") WITHOUT ROWID;"
	"INSERT INTO counters (family, labels, value)"
	"  SELECT '" STORE_COUNTER_FEEDBACK "', json_array(verdict), count(*)"
	"  FROM feedback GROUP BY verdict;",

	/* 10: an alertname's links (links.h) come from its latest notified
	 * alert: one seek in this index, not a scan of every alert */
	"CREATE INDEX notification_alerts_alertname ON notification_alerts"
	"  (alertname, notification_id);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Q_RELINK*: the alert's episode fired further from its startsAt than ?5 */
#define RELINK_CLOSER " AND (episode_id IS NULL OR abs(coalesce((SELECT" \
	" e.firing_at FROM episodes e WHERE e.id = episode_id), 0) - starts_at)" \
	" > abs(?5 - starts_at))"

const char *const sqlite__queries[Q_COUNT] = {
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

	/* the in-memory model re-reads what a commit wrote
	 * (sqlite__model_sync) */
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
	[Q_COUNTER_ADD] = "INSERT INTO counters (family, labels, value)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (family, labels)"
	    " DO UPDATE SET value = value + excluded.value",
};

const char *const sqlite__kind_names[] = { "pending", "firing", "for_state" };

_Thread_local char sqlite__errbuf[512];
_Thread_local int sqlite__errcode;

int
sqlite__fail(sqlite3 *db, const char *what)
{
	sqlite__errcode = db ? sqlite3_extended_errcode(db) : SQLITE_MISUSE;
	snprintf(sqlite__errbuf, sizeof(sqlite__errbuf), "%s: %s", what,
	    db ? sqlite3_errmsg(db) : "no database");
	return -1;
}

int
sqlite__migrate(struct sqlite_store *s, char *err, size_t errlen)
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

/* --- columns ------------------------------------------------------------- */

void
sqlite__bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, ms);
}

void
sqlite__bind_fp(sqlite3_stmt *st, int i, uint64_t fp)
{
	char s[17];

	fp_format(fp, s);
	sqlite3_bind_text(st, i, s, 16, SQLITE_TRANSIENT);
}

uint64_t
sqlite__column_fp(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	uint64_t fp = 0;

	if (s != NULL)
		fp_parse(s, &fp);
	return fp;
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
void
sqlite__column_episode(sqlite3_stmt *st, struct episode *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->identity = sqlite__column_fp(st, 1);
	e->pending_at = sqlite3_column_int64(st, 2);
	e->firing_at = sqlite3_column_int64(st, 3);
	e->resolved_at = sqlite3_column_int64(st, 4);
	e->first_notified_at = sqlite3_column_int64(st, 5);
	e->last_notified_at = sqlite3_column_int64(st, 6);
	e->notifications = sqlite3_column_int64(st, 7);
	e->sources = sources_parse((const char *)sqlite3_column_text(st, 8));
}

enum series_kind
sqlite__column_kind(sqlite3_stmt *st, int i)
{
	const char *k = (const char *)sqlite3_column_text(st, i);

	for (int j = 0; j < 3; j++)
		if (k != NULL && strcmp(k, sqlite__kind_names[j]) == 0)
			return (enum series_kind)j;
	return SERIES_PENDING;
}

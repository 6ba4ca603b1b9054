/* test_store.c -- the SQLite backend (lib/store/store_sqlite.c and its
 * sqlite_*.c): opening, migrations, the write primitives' contracts,
 * retention pruning, the database's answers to the analysis scans. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "store.h"
#include "t.h"
#include "webhook.h"

static char dir[64];
static struct store *st;

static long long
q(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char path[128];
	long long v = -1;

	snprintf(path, sizeof(path), "%s/alertnoise.db", dir);
	if (sqlite3_open(path, &db) || sqlite3_prepare_v2(db, sql, -1, &s,
	    NULL)) {
		fprintf(stderr, "query %s: %s\n", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -2;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

#define DAY 86400000LL
#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

TEST(opens_at_current_schema_in_wal_mode)
{
	char err[256];
	struct store *other = NULL;

	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 10);
	CHECK_INT(q("PRAGMA user_version"), 10);
	/* 10: an index of the notified alerts by alertname (links) */
	CHECK_INT(q("SELECT count(*) FROM sqlite_master WHERE name = 'notification_alerts_alertname'"), 1);
	/* 9: the durable counters */
	CHECK_INT(q("SELECT count(*) FROM counters"), 0);
	/* 8: silences */
	CHECK_INT(q("SELECT count(*) FROM silences"), 0);
	/* 7: an index of the episodes that ended while pending */
	CHECK_INT(q("SELECT count(*) FROM sqlite_master WHERE name = 'episodes_pending_only'"), 1);
	/* 6: when each series' run began */
	CHECK_INT(q("SELECT count(*) FROM pragma_table_info('rw_series') WHERE name = 'run_start'"), 1);
	CHECK_INT(q("SELECT count(*) FROM pragma_table_info('rw_series') WHERE name = 'interval_ms'"), 1);
	/* 5: no index on received_at, which every remote write moves */
	CHECK_INT(q("SELECT count(*) FROM sqlite_master WHERE name = 'rw_series_idle'"), 0);
	CHECK_INT(q("SELECT count(*) FROM feedback"), 0);
	CHECK_INT(q("SELECT count(*) FROM pragma_journal_mode "
	    "WHERE journal_mode = 'wal'"), 1);
	CHECK_INT(store_open("nosuch", dir, &other, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown storage backend \"nosuch\"");
	CHECK(other == NULL);
}

TEST(episodes_near_finds_overlaps_latest_first)
{
	struct episode e[3], got[8];

	memset(e, 0, sizeof(e));
	for (int i = 0; i < 3; i++) {
		e[i].identity = 42;
		e[i].firing_at = T0 + i * DAY;
		e[i].resolved_at = i < 2 ? T0 + i * DAY + 3600000 : 0;
		e[i].sources = EP_SRC_WEBHOOK;
	}
	CHECK_INT(store_begin(st), 0);
	{
		json_t *l = json_pack("{s:s}", "alertname", "X");
		CHECK_INT(store_upsert_identity(st, 42, "X", l, T0), 0);
		CHECK_INT(store_upsert_identity(st, 7, "Y", l, T0), 0);
		json_decref(l);
	}
	for (int i = 0; i < 3; i++)
		CHECK_INT(store_insert_episode(st, &e[i], "X"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK(e[0].id > 0 && e[1].id > e[0].id);

	CHECK_INT(store_begin(st), 0);
	/* [day 1 00:30, +inf): the day-1 episode and the open day-2 one */
	CHECK_INT(store_episodes_near(st, 42, T0 + DAY + 1800000, INT64_MAX,
	    got, 8), 2);
	CHECK_INT(got[0].id, e[2].id);
	CHECK_INT(got[1].id, e[1].id);
	CHECK_INT(got[1].resolved_at, T0 + DAY + 3600000);
	CHECK_INT(got[1].sources, EP_SRC_WEBHOOK);
	/* a gap between episodes finds nothing */
	CHECK_INT(store_episodes_near(st, 42, T0 + 7200000, T0 + 7200000, got,
	    8), 0);
	/* another identity finds nothing */
	CHECK_INT(store_episodes_near(st, 43, T0, INT64_MAX, got, 8), 0);
	got[1].sources |= EP_SRC_REMOTE_WRITE;
	got[1].pending_at = T0 + DAY - 60000;
	CHECK_INT(store_update_episode(st, &got[1]), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE sources = "
	    "'webhook,remote_write' AND pending_at IS NOT NULL"), 1);
}

TEST(rollback_leaves_nothing)
{
	struct episode e;

	memset(&e, 0, sizeof(e));
	e.identity = 7;
	e.firing_at = T0;
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_insert_episode(st, &e, "Y"), 0);
	store_rollback(st);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'Y'"), 0);
}

TEST(series_state_roundtrip_and_idle)
{
	struct series_state s = { .series = 1, .identity = 42,
	    .kind = SERIES_FIRING, .last_ts = T0, .active = 1,
	    .received_at = T0 + 1000 }, got, idle[4];

	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_get_series(st, 1, &got), 0);
	CHECK_INT(store_put_series(st, &s), 0);
	s.series = 2;
	s.received_at = T0 + 9000;
	CHECK_INT(store_put_series(st, &s), 0);
	CHECK_INT(store_get_series(st, 1, &got), 1);
	CHECK_INT(got.kind, SERIES_FIRING);
	CHECK_INT(got.last_ts, T0);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1, 0, 0, 0), 1);
	CHECK_INT(store_count_active_series(st, 42, SERIES_PENDING, 0, 0, 0, 0), 0);
	/* active at a time: not when its samples are further behind it than
	 * STORE_REPLICA_LAG_MS (no interval known), nor before its run */
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0, T0 + STORE_REPLICA_LAG_MS, 0), 1);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0, T0 + STORE_REPLICA_LAG_MS + 1, 0), 0);
	/* strictly: its samples must reach the time (no interval known) */
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0, T0, 1), 1);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0, T0 + 1, 1), 0);
	s.run_start = T0 - 5000;
	CHECK_INT(store_put_series(st, &s), 0);
	CHECK_INT(store_get_series(st, 2, &got), 1);
	CHECK_INT(got.run_start, T0 - 5000);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0 - 5001, T0 - 5001, 0), 0);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0 - 5000, T0 - 5000, 0), 1);
	/* through a span: from its run's start to its samples' reach */
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0 - 5000, T0 + STORE_REPLICA_LAG_MS, 0), 1);
	CHECK_INT(store_count_active_series(st, 42, SERIES_FIRING, 1,
	    T0 - 5001, T0, 0), 0);
	CHECK_INT(store_idle_series(st, T0 + 5000, idle, 4), 1);
	CHECK_INT(idle[0].series, 1);
	CHECK_INT(store_commit(st), 0);
}

TEST(prune_deletes_old_rows_only)
{
	struct store_prune_result pr;

	/* cut at day 1 00:30: only the day-0 episode is older and resolved */
	CHECK_INT(store_prune(st, T0 + DAY + 1800000, &pr), 0);
	CHECK_INT(pr.episodes, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'X'"), 2);
	/* the open episode stays whatever its age */
	CHECK_INT(store_prune(st, T0 + 30 * DAY, &pr), 0);
	CHECK_INT(pr.episodes, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE resolved_at IS NULL"),
	    1);
}

TEST(reopen_keeps_data_and_refuses_newer_schema)
{
	char err[256];
	struct store *other = NULL;

	store_close(st);
	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 10);
	CHECK_INT(q("SELECT count(*) FROM episodes"), 1);
	CHECK_INT(q("PRAGMA user_version = 99"), -1);
	CHECK_INT(store_open("sqlite", dir, &other, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "schema version 99, newer than this alertnoised");
	q("PRAGMA user_version = 10");
}

/* Stores a one-alert notification as Alertmanager url sent it at ms. */
static int
store_notif(const char *url, int64_t ms)
{
	struct wh_notification *n = NULL;
	char body[1024], err[256];
	int64_t id;
	int rc = -1;

	snprintf(body, sizeof(body), "{\"version\":\"4\",\"receiver\":\"r\","
	    "\"status\":\"firing\",\"groupKey\":\"{}:{}\","
	    "\"groupLabels\":{},\"externalURL\":\"%s\",\"alerts\":[{"
	    "\"status\":\"firing\",\"labels\":{\"alertname\":\"D\"},"
	    "\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", url);
	if (wh_parse(body, strlen(body), NULL, 0, &n, err, sizeof(err)) ==
	    WH_OK && store_begin(st) == 0) {
		rc = store_insert_notification(st, n, ms, &id);
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	wh_free(n);
	return rc;
}

/* One notification delivered by two HA Alertmanagers: the copy from the
 * other externalURL within a minute is marked when stored, a resend by the
 * same one or a copy a minute later is not. */
TEST(duplicate_deliveries_marked_when_stored)
{
	CHECK_INT(store_notif("http://am-a", T0), 0);
	CHECK_INT(store_notif("http://am-b", T0 + 2000), 0);
	CHECK_INT(store_notif("http://am-a", T0 + 3000), 0);
	CHECK_INT(store_notif("http://am-c", T0 + 3000 + 60000), 0);
	CHECK_INT(q("SELECT count(*) FROM notifications WHERE receiver = 'r'"
	    " AND dup_delivery = 1"), 2);
	CHECK_INT(q("SELECT dup_delivery FROM notifications WHERE"
	    " external_url = 'http://am-b'"), 1);
	CHECK_INT(q("SELECT dup_delivery FROM notifications WHERE"
	    " external_url = 'http://am-c'"), 0);
}

static int
keep_episode(const struct episode *e, void *arg)
{
	struct episode *v = arg;

	for (; v->id; v++)
		;
	*v = *e;
	return 0;
}

struct notified_seen {
	int rows, without_alert;
	const char *receiver;
};

static int
see_notified(const struct notified_row *r, void *arg)
{
	struct notified_seen *s = arg;

	s->rows++;
	s->without_alert += r->alertname == NULL && r->episode == 0 &&
	    r->identity == 0;
	s->receiver = strcmp(r->receiver, "r") == 0 ? "r" : "other";
	return 0;
}

/* The analysis' reads of what never fired: the episodes that ended while
 * pending (not the open pending one, not one that fired after pending),
 * and notifications without a firing alert, which firing_only still
 * returns once each. */
TEST(pending_only_and_alertless_notifications)
{
	struct episode e[3], got[8];
	struct notified_seen seen = { 0, 0, NULL };

	memset(e, 0, sizeof(e));
	/* count_open_episodes left X ended while pending at day 3 */
	e[0].identity = 42;
	e[0].pending_at = T0 + 4 * DAY;			/* still pending */
	e[1].identity = 42;
	e[1].pending_at = T0 + 4 * DAY - 60000;		/* fired */
	e[1].firing_at = T0 + 4 * DAY - 30000;
	e[1].resolved_at = T0 + 4 * DAY - 10000;
	e[2].identity = 7;
	e[2].pending_at = T0 + 5 * DAY;			/* ended pending */
	e[2].resolved_at = T0 + 5 * DAY + 30000;
	CHECK_INT(store_begin(st), 0);
	{
		json_t *l = json_pack("{s:s}", "alertname", "Y");
		CHECK_INT(store_upsert_identity(st, 7, "Y", l, T0), 0);
		json_decref(l);
	}
	for (int i = 0; i < 3; i++) {
		e[i].sources = EP_SRC_REMOTE_WRITE;
		CHECK_INT(store_insert_episode(st, &e[i], i < 2 ? "X" : "Y"),
		    0);
	}
	CHECK_INT(store_commit(st), 0);
	memset(got, 0, sizeof(got));
	CHECK_INT(store_scan_pending_only(st, T0, T0 + 6 * DAY, keep_episode,
	    got), 0);
	CHECK_INT(got[0].identity, 42);
	CHECK_INT(got[0].pending_at, T0 + 3 * DAY);
	CHECK_INT(got[0].resolved_at, T0 + 3 * DAY + 60000);
	CHECK_INT(got[0].firing_at, 0);
	CHECK_INT(got[1].id, e[2].id);
	CHECK_INT(got[1].identity, 7);
	CHECK_INT(got[2].id, 0);
	/* [from, to): went pending at to is out */
	memset(got, 0, sizeof(got));
	CHECK_INT(store_scan_pending_only(st, T0 + 3 * DAY + 1, T0 + 5 * DAY,
	    keep_episode, got), 0);
	CHECK_INT(got[0].id, 0);

	/* duplicate_deliveries_marked_when_stored stored 4 notifications
	 * without their alerts */
	CHECK_INT(store_scan_notified(st, T0, T0 + DAY, 0, see_notified,
	    &seen), 0);
	CHECK_INT(seen.rows, 0);
	CHECK_INT(store_scan_notified(st, T0, T0 + DAY, 1, see_notified,
	    &seen), 0);
	CHECK_INT(seen.rows, 4);
	CHECK_INT(seen.without_alert, 4);
	CHECK_STR(seen.receiver, "r");
}

/* A schema-3 store gets the marks of the notifications it already has. */
TEST(migration_from_3_marks_existing_duplicates)
{
	char err[256];

	store_close(st);
	st = NULL;
	/* back to schema 3 as it was: no column, the old indexes (q gives
	 * -1 for a statement that returns no row, -2 on an error) */
	CHECK_INT(q("DROP INDEX notifications_window"), -1);
	CHECK_INT(q("DROP INDEX notifications_content"), -1);
	CHECK_INT(q("DROP INDEX notification_alerts_scan"), -1);
	CHECK_INT(q("ALTER TABLE notifications DROP COLUMN dup_delivery"), -1);
	CHECK_INT(q("ALTER TABLE rw_series DROP COLUMN run_start"), -1);
	CHECK_INT(q("DROP INDEX episodes_pending_only"), -1);
	CHECK_INT(q("DROP INDEX notification_alerts_starts"), -1);
	CHECK_INT(q("DROP TABLE silences"), -1);
	CHECK_INT(q("DROP INDEX notification_alerts_alertname"), -1);
	CHECK_INT(q("DROP TABLE counters"), -1);
	CHECK_INT(q("CREATE INDEX notifications_received_at ON notifications"
	    " (received_at)"), -1);
	CHECK_INT(q("CREATE INDEX notifications_content ON notifications"
	    " (content_digest, received_at)"), -1);
	CHECK_INT(q("PRAGMA user_version = 3"), -1);
	CHECK_INT(q("SELECT count(*) FROM pragma_table_info('notifications')"
	    " WHERE name = 'dup_delivery'"), 0);
	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 10);
	CHECK_INT(q("SELECT count(*) FROM notifications WHERE receiver = 'r'"
	    " AND dup_delivery = 1"), 2);
	CHECK_INT(q("SELECT dup_delivery FROM notifications WHERE"
	    " external_url = 'http://am-b'"), 1);
}

/* What store_scan_counters gave, as "family{v1,v2}=value" lines. */
static int
counter_line(const char *family, const char *const *values, size_t n,
    double value, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "%s{", family);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? "," : "", values[i]);
	buf_printf(b, "}=%g\n", value);
	return 0;
}

static const char *
counters_text(void)
{
	static char text[1024];
	struct buf b;

	buf_init(&b, sizeof(text) - 1);
	if (store_scan_counters(st, counter_line, &b) < 0)
		buf_printf(&b, "error: %s", store_errmsg(st));
	snprintf(text, sizeof(text), "%s", b.data ? b.data : "");
	buf_free(&b);
	return text;
}

/* A count is durable exactly when the write that caused it is: a
 * savepoint or transaction rolled back takes it along (group commit:
 * one rejected request of a batch counts nothing); counts resume after a
 * reopen and a prune does not lower them. */
TEST(counters_follow_their_transaction)
{
	const char *pages[] = { "pager" }, *notif[] = { "pager", "firing" },
	    *quote[] = { "a \"b\", é" };
	struct store_prune_result pr;
	char err[256];

	CHECK_STR(counters_text(), "");
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_savepoint(st), 0);
	CHECK_INT(store_counter_add(st, "pages", pages, 1, 1), 0);
	CHECK_INT(store_counter_add(st, "notifications", notif, 2, 1), 0);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_savepoint(st), 0);
	CHECK_INT(store_counter_add(st, "pages", pages, 1, 5), 0);
	CHECK_INT(store_counter_add(st, "other", NULL, 0, 1), 0);
	CHECK_INT(store_savepoint_rollback(st), 0);
	CHECK_INT(store_savepoint(st), 0);
	CHECK_INT(store_counter_add(st, "pages", pages, 1, 2), 0);
	CHECK_INT(store_counter_add(st, "quoted", quote, 1, 0.5), 0);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_STR(counters_text(), "notifications{pager,firing}=1\n"
	    "pages{pager}=3\nquoted{a \"b\", é}=0.5\n");

	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_counter_add(st, "pages", pages, 1, 10), 0);
	store_rollback(st);
	CHECK_CONTAINS(counters_text(), "pages{pager}=3\n");

	/* everything the counts were of goes */
	CHECK_INT(store_prune(st, T0 + 3650 * DAY, &pr), 0);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 0);
	store_close(st);
	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_STR(counters_text(), "notifications{pager,firing}=1\n"
	    "pages{pager}=3\nquoted{a \"b\", é}=0.5\n");
	CHECK_INT(q("DELETE FROM counters"), -1);
}

/* A verdict counts in the same transaction; a store from before the
 * counters starts them from the verdicts it holds. */
TEST(verdicts_counted_and_migrated)
{
	struct episode e;
	char err[256];

	memset(&e, 0, sizeof(e));
	e.identity = 99;
	e.firing_at = T0;
	CHECK_INT(store_begin(st), 0);
	{
		json_t *l = json_pack("{s:s}", "alertname", "V");

		CHECK_INT(store_upsert_identity(st, 99, "V", l, T0), 0);
		json_decref(l);
	}
	CHECK_INT(store_insert_episode(st, &e, "V"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_add_feedback(st, &e, "noise", "", "t", T0), 0);
	CHECK_INT(store_add_feedback(st, &e, "noise", "", "t", T0 + 1), 0);
	CHECK_INT(store_add_feedback(st, &e, "actionable", "", "t", T0 + 2),
	    0);
	CHECK_STR(counters_text(), STORE_COUNTER_FEEDBACK "{actionable}=1\n"
	    STORE_COUNTER_FEEDBACK "{noise}=2\n");

	store_close(st);
	st = NULL;
	CHECK_INT(q("DROP TABLE counters"), -1);
	CHECK_INT(q("DROP INDEX notification_alerts_alertname"), -1);
	CHECK_INT(q("PRAGMA user_version = 8"), -1);
	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 10);
	CHECK_STR(counters_text(), STORE_COUNTER_FEEDBACK "{actionable}=1\n"
	    STORE_COUNTER_FEEDBACK "{noise}=2\n");
}

static int
count_row(const struct episode *e, void *arg)
{
	(void)e;
	++*(int *)arg;
	return 0;
}

/* Shutdown: reads fail at once, writes still commit. Run last. */
TEST(cancel_reads_fails_reads_not_writes)
{
	struct episode e;
	int n = 0;

	CHECK_INT(store_scan_episodes(st, 0, T0 + 100 * DAY, count_row, &n), 0);
	CHECK(n > 0);
	store_cancel_reads(st);
	CHECK_INT(store_scan_episodes(st, 0, T0 + 100 * DAY, count_row, &n), -1);
	CHECK_CONTAINS(store_errmsg(st), "interrupt");
	memset(&e, 0, sizeof(e));
	e.identity = 42;
	e.firing_at = T0;
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_insert_episode(st, &e, "AfterCancel"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname ="
	    " 'AfterCancel'"), 1);
}

/* Open episodes, firing or not yet: what the firing/pending gauges show. */
TEST(count_open_episodes)
{
	struct episode e;
	int64_t firing = -1, pending = -1;

	/* the open day-2 episode of X, firing */
	CHECK_INT(store_count_open(st, &firing, &pending), 0);
	CHECK_INT(firing, 1);
	CHECK_INT(pending, 0);
	memset(&e, 0, sizeof(e));
	e.identity = 42;
	e.pending_at = T0 + 3 * DAY;
	e.sources = EP_SRC_REMOTE_WRITE;
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_insert_episode(st, &e, "X"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_count_open(st, &firing, &pending), 0);
	CHECK_INT(firing, 1);
	CHECK_INT(pending, 1);
	/* ended while pending: counted in neither */
	e.resolved_at = T0 + 3 * DAY + 60000;
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_update_episode(st, &e), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_count_open(st, &firing, &pending), 0);
	CHECK_INT(firing, 1);
	CHECK_INT(pending, 0);
}

struct sil_seen {
	char ids[8][16];
	int n;
};

static int
sil_row(const struct silence *x, void *arg)
{
	struct sil_seen *s = arg;

	if (s->n < 8)
		snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", x->id);
	return 0;
}

TEST(silences_upsert_scan_prune)
{
	struct silence v[3] = {
		{ "a", "{team=\"db\"}", T0, T0 + 3600000, T0, "me", "maint" },
		{ "b", "{x=~\"y.*\"}", T0 + DAY, T0 + DAY + 60000, T0, "you",
		    "" },
		{ "c", "{z!=\"1\"}", T0 - 10 * DAY, T0 - 9 * DAY, T0, "old",
		    "" },
	};
	struct sil_seen seen = { .n = 0 };
	struct store_prune_result pr;

	CHECK_INT(store_put_silences(st, v, 3), 3);
	/* the same again: nothing to write */
	CHECK_INT(store_put_silences(st, v, 3), 0);
	/* edited (updated_at moves): rewritten */
	v[0].ends_at = T0 + 7200000;
	v[0].updated_at = T0 + 1;
	CHECK_INT(store_put_silences(st, v, 1), 1);
	CHECK_INT(q("SELECT ends_at - starts_at FROM silences WHERE id = 'a'"),
	    7200000);
	/* in effect at some time of [T0 + 1h, T0 + 2d): a and b, by start */
	CHECK_INT(store_scan_silences(st, T0 + 3600000, T0 + 2 * DAY, sil_row,
	    &seen), 0);
	CHECK_INT(seen.n, 2);
	CHECK_STR(seen.ids[0], "a");
	CHECK_STR(seen.ids[1], "b");
	/* ended before the cutoff: pruned */
	CHECK_INT(store_prune(st, T0 - DAY, &pr), 0);
	CHECK_INT((int)pr.silences, 1);
	CHECK_INT(q("SELECT count(*) FROM silences"), 2);
}

/* What the analysis cache keys on: every commit moves the generation --
 * this connection's, a rollback's not, another store's (as another process,
 * alertnoised import, would be) too. */
TEST(generation_moves_with_every_commit)
{
	struct store *other = NULL;
	struct episode e;
	uint64_t g0, g1, g2, g3;
	char err[256];

	memset(&e, 0, sizeof(e));
	e.identity = 7;
	e.firing_at = T0 + 5 * DAY;
	CHECK_INT(store_generation(st, &g0), 0);
	CHECK_INT(store_generation(st, &g1), 0);
	CHECK(g0 == g1);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_insert_episode(st, &e, "Y"), 0);
	store_rollback(st);
	CHECK_INT(store_generation(st, &g1), 0);
	CHECK(g0 == g1);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_insert_episode(st, &e, "Y"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_generation(st, &g2), 0);
	CHECK(g2 != g1);
	CHECK_INT(store_open("sqlite", dir, &other, err, sizeof(err)), 0);
	if (other == NULL)
		return;
	e.firing_at += DAY;
	CHECK_INT(store_begin(other), 0);
	CHECK_INT(store_insert_episode(other, &e, "Y"), 0);
	CHECK_INT(store_commit(other), 0);
	store_close(other);
	CHECK_INT(store_generation(st, &g3), 0);
	CHECK(g3 != g2);
}

/* The identities of the copies test: COPIES_ID0 + [0, COPIES_N) with
 * alerts, COPIES_ID0 + COPIES_N without. */
#define COPIES_N 3000
#define COPIES_ID0 1000

struct copies_seen {
	int rows;
	int copies[COPIES_N + 1], dup[COPIES_N + 1];
};

/* Keeps the rows of those identities (the earlier tests' episodes still
 * open are in every window too). */
static int
see_copies(const struct identity_row *r, void *arg)
{
	struct copies_seen *c = arg;
	uint64_t k = r->identity - COPIES_ID0;

	if (r->identity < COPIES_ID0 || k > COPIES_N)
		return 0;
	c->rows++;
	c->copies[k] = r->copies;
	c->dup[k] = r->dup_deliveries;
	return 0;
}

/* store_scan_identities over more identities than a first table holds:
 * each one's copies are the distinct fingerprints its alerts had (1 to 3
 * here), its duplicate deliveries the alerts it had in a notification
 * another Alertmanager delivered first; an identity of the window without
 * alerts has one copy and none delivered twice. */
TEST(scan_identities_counts_copies_of_many_identities)
{
	static const char body[] = "{\"version\":\"4\",\"receiver\":\"r\","
	    "\"status\":\"firing\",\"groupKey\":\"{}:{}\","
	    "\"groupLabels\":{},\"externalURL\":\"http://am-a\",\"alerts\":[{"
	    "\"status\":\"firing\",\"labels\":{\"alertname\":\"C\"},"
	    "\"startsAt\":\"2026-01-01T00:00:00Z\"}]}";
	const int64_t t = T0 + 200 * DAY;
	struct wh_notification *n = NULL;
	struct copies_seen *seen = calloc(1, sizeof(*seen));
	int64_t nid[2];
	size_t idx[2] = { 0, 0 };
	json_t *l = json_pack("{s:s}", "alertname", "C");
	char err[256];
	int bad = 0;

	CHECK_INT(wh_parse(body, strlen(body), NULL, 0, &n, err, sizeof(err)),
	    WH_OK);
	if (n == NULL || seen == NULL || l == NULL)
		goto out;
	CHECK_INT(store_begin(st), 0);
	/* the second copy of the notification, from another Alertmanager a
	 * second later, is a duplicate delivery */
	CHECK_INT(store_insert_notification(st, n, t, &nid[0]), 0);
	n->external_url = "http://am-b";
	CHECK_INT(store_insert_notification(st, n, t + 1000, &nid[1]), 0);
	for (int k = 0; k <= COPIES_N; k++) {
		struct episode e;
		struct wh_alert a = n->alerts[0];

		memset(&e, 0, sizeof(e));
		e.identity = COPIES_ID0 + (uint64_t)k;
		e.firing_at = t + k;
		e.resolved_at = t + DAY;
		e.sources = EP_SRC_WEBHOOK;
		bad |= store_upsert_identity(st, e.identity, "C", l, t) < 0;
		bad |= store_insert_episode(st, &e, "C") < 0;
		if (k == COPIES_N)
			break;		/* the one without alerts */
		a.identity = e.identity;
		a.labels_json = a.annotations_json = NULL;
		for (int r = 0; r <= k % 3; r++) {
			a.fingerprint = e.identity << 8 | (uint64_t)r;
			bad |= store_insert_notification_alert(st, nid[0],
			    idx[0]++, &a, e.id) < 0;
		}
		if (k % 5 == 0)
			bad |= store_insert_notification_alert(st, nid[1],
			    idx[1]++, &a, e.id) < 0;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(store_commit(st), 0);

	CHECK_INT(store_scan_identities(st, t, t + DAY, see_copies, seen), 0);
	CHECK_INT(seen->rows, COPIES_N + 1);
	for (int k = 0; k < COPIES_N; k++) {
		if (seen->copies[k] != k % 3 + 1 ||
		    seen->dup[k] != (k % 5 == 0)) {
			T_FAIL("identity %d: copies %d dup %d, want %d %d",
			    COPIES_ID0 + k, seen->copies[k], seen->dup[k],
			    k % 3 + 1, k % 5 == 0);
			break;
		}
	}
	CHECK_INT(seen->copies[COPIES_N], 1);
	CHECK_INT(seen->dup[COPIES_N], 0);
out:
	json_decref(l);
	wh_free(n);
	free(seen);
}

/* The check at a verified open, and the note of a clean close that lets the
 * next one skip it (store_sqlite.c clean_take, clean_leave): only while the
 * file is unchanged and no WAL is left to recover. */
TEST(clean_close_skips_the_next_check)
{
	struct store_opts o = { .verify = 1 };
	struct store *v = NULL;
	char d[64], path[128], note[128], err[256];
	struct timespec ts[2];
	struct stat sb;
	sqlite3 *db;
	FILE *fp;

	snprintf(d, sizeof(d), "/tmp/an-test-clean-XXXXXX");
	if (mkdtemp(d) == NULL) {
		T_FAIL("mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/alertnoise.db", d);
	snprintf(note, sizeof(note), "%s/clean-shutdown", d);
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_RAN);
	CHECK(access(note, F_OK) < 0);
	store_close(v);
	CHECK(access(note, F_OK) == 0);

	/* unchanged: skipped, and the note is gone while it is open */
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_SKIPPED);
	CHECK(access(note, F_OK) < 0);
	store_close(v);

	/* its mtime set again to what it was: its ctime still moved */
	CHECK(access(note, F_OK) == 0);
	CHECK_INT(stat(path, &sb), 0);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = sb.st_mtim;
	CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_RAN);
	store_close(v);

	/* a WAL beside it (another process has it open): no note */
	CHECK(access(note, F_OK) == 0);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL),
	    SQLITE_OK);
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_RAN);
	store_close(v);
	CHECK(access(note, F_OK) < 0);
	sqlite3_close(db);

	/* a note that names another file: checked */
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	store_close(v);
	CHECK(access(note, F_OK) == 0);
	if ((fp = fopen(note, "w")) != NULL) {
		fputs("dev=1 ino=2 size=3 mtime_ns=4 ctime_ns=5\n", fp);
		fclose(fp);
	}
	CHECK_INT(store_open_opts("sqlite", d, &o, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_RAN);
	store_close(v);

	/* not asked to verify: no check, no note taken or left */
	unlink(note);
	CHECK_INT(store_open_opts("sqlite", d, NULL, &v, err, sizeof(err)), 0);
	CHECK_INT(store_open_check(v), STORE_CHECK_OFF);
	store_close(v);
	CHECK(access(note, F_OK) < 0);
	t_rmdir(d);
}

int
main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/an-test-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	RUN(opens_at_current_schema_in_wal_mode);
	if (st == NULL)
		return t_done() | 1;
	RUN(episodes_near_finds_overlaps_latest_first);
	RUN(rollback_leaves_nothing);
	RUN(series_state_roundtrip_and_idle);
	RUN(prune_deletes_old_rows_only);
	RUN(reopen_keeps_data_and_refuses_newer_schema);
	RUN(count_open_episodes);
	RUN(duplicate_deliveries_marked_when_stored);
	RUN(pending_only_and_alertless_notifications);
	RUN(migration_from_3_marks_existing_duplicates);
	RUN(silences_upsert_scan_prune);
	RUN(scan_identities_counts_copies_of_many_identities);
	RUN(cancel_reads_fails_reads_not_writes);
	RUN(generation_moves_with_every_commit);
	RUN(counters_follow_their_transaction);
	RUN(verdicts_counted_and_migrated);
	RUN(clean_close_skips_the_next_check);
	store_close(st);
	rc = t_done();
	t_rmdir(dir);
	return rc;
}

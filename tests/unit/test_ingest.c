/* test_store.c -- lib/store_sqlite.c: notifications, alerts and episodes as
 * a user sees them with sqlite3 on the store file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "t.h"
#include "webhook.h"

static const char *const replica[] = { "replica", "prometheus_replica" };
static char dir[64];
static struct store *st;

/* A payload with one alert per (labels, status, startsAt, endsAt) line. */
static struct wh_notification *
notif(const char *status, const char *alerts)
{
	struct wh_notification *n = NULL;
	char body[4096], err[256];

	snprintf(body, sizeof(body), "{\"version\":\"4\",\"receiver\":\"team\","
	    "\"status\":\"%s\",\"groupKey\":\"{}:{alertname=\\\"A\\\"}\","
	    "\"groupLabels\":{\"alertname\":\"A\"},\"externalURL\":\"http://am\","
	    "\"alerts\":[%s]}", status, alerts);
	if (wh_parse(body, strlen(body), replica, 2, &n, err, sizeof(err)))
		fprintf(stderr, "bad test payload: %s\n", err);
	return n;
}

#define FIRING(inst, start) "{\"status\":\"firing\",\"labels\":{\"alertname\":" \
	"\"A\",\"instance\":\"" inst "\"},\"startsAt\":\"" start "\"}"
#define RESOLVED(inst, start, end) "{\"status\":\"resolved\",\"labels\":{" \
	"\"alertname\":\"A\",\"instance\":\"" inst "\"},\"startsAt\":\"" start \
	"\",\"endsAt\":\"" end "\"}"

/* The first column of the first row of sql, as an integer (-1: no row). */
static long long
q(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char path[128];
	long long v = -1;

	snprintf(path, sizeof(path), "%s/alertnoise.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL)) {
		fprintf(stderr, "query %s: %s\n", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -2;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int
put(struct wh_notification *n, int64_t at, int64_t window,
    struct store_put_result *res)
{
	char err[256];
	int rc = store_put_notification(st, n, at, window, res, err,
	    sizeof(err));

	if (rc < 0)
		fprintf(stderr, "put: %s\n", err);
	wh_free(n);
	return rc;
}

#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

TEST(opens_at_current_schema)
{
	char err[256];

	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 1);
	CHECK_INT(q("PRAGMA user_version"), 1);
	CHECK_INT(q("SELECT count(*) FROM pragma_journal_mode "
	    "WHERE journal_mode = 'wal'"), 1);
	CHECK_INT(store_open("nosuch", dir, &(struct store *){ NULL }, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown storage backend");
}

TEST(firing_opens_episodes)
{
	struct store_put_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 30000, 60000, &r), 0);
	CHECK_INT(r.outcome, STORE_STORED);
	CHECK_INT(r.episodes_opened, 2);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 1);
	CHECK_INT(q("SELECT count(*) FROM notification_alerts"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE resolved_at IS NULL"),
	    2);
	CHECK_INT(q("SELECT firing_at FROM episodes LIMIT 1"), T0);
	CHECK_INT(q("SELECT first_notified_at FROM episodes LIMIT 1"),
	    T0 + 30000);
	CHECK_INT(q("SELECT count(*) FROM identities"), 2);
}

TEST(retry_within_window_changes_nothing)
{
	struct store_put_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 40000, 60000, &r), 0);
	CHECK_INT(r.outcome, STORE_DUPLICATE);
	CHECK_INT(r.notification_id, 1);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 1);
	CHECK_INT(q("SELECT sum(notifications) FROM episodes"), 2);
}

TEST(repeat_after_window_is_a_new_notification)
{
	struct store_put_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 4 * 3600000, 60000,
	    &r), 0);
	CHECK_INT(r.outcome, STORE_STORED);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes"), 2);
	CHECK_INT(q("SELECT max(notifications) FROM episodes"), 2);
	CHECK_INT(q("SELECT max(last_notified_at) FROM episodes"),
	    T0 + 4 * 3600000);
}

TEST(resolved_closes_episode)
{
	struct store_put_result r;

	CHECK_INT(put(notif("firing", RESOLVED("db1", "2026-01-01T00:00:00Z",
	    "2026-01-01T05:00:00Z") "," FIRING("db2", "2026-01-01T00:00:00Z")),
	    T0 + 5 * 3600000 + 10000, 60000, &r), 0);
	CHECK_INT(r.episodes_resolved, 1);
	CHECK_INT(q("SELECT resolved_at FROM episodes e JOIN identities i "
	    "USING (identity) WHERE i.labels LIKE '%db1%'"), T0 + 5 * 3600000);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE resolved_at IS NULL"),
	    1);
	/* the view people query shows RFC 3339 */
	CHECK_INT(q("SELECT count(*) FROM episodes_view WHERE resolved_at = "
	    "'2026-01-01T05:00:00.000Z' AND receivers = 'team'"), 1);
}

TEST(refire_opens_a_new_episode)
{
	struct store_put_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T06:00:00Z")),
	    T0 + 6 * 3600000 + 30000, 60000, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes e JOIN identities i USING "
	    "(identity) WHERE i.labels LIKE '%db1%'"), 2);
}

TEST(ha_replicas_are_one_episode)
{
	struct store_put_result r;
	const char *a = "{\"status\":\"firing\",\"labels\":{\"alertname\":"
	    "\"B\",\"replica\":\"a\"},\"startsAt\":\"2026-01-02T00:00:00Z\"},"
	    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"B\","
	    "\"replica\":\"b\"},\"startsAt\":\"2026-01-02T00:00:05Z\"}";

	CHECK_INT(put(notif("firing", a), T0 + 86400000 + 30000, 60000, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'B'"), 1);
	CHECK_INT(q("SELECT notifications FROM episodes WHERE alertname = 'B'"),
	    1);
	CHECK_INT(q("SELECT count(DISTINCT fingerprint) FROM "
	    "notification_alerts WHERE alertname = 'B'"), 2);
	CHECK_INT(q("SELECT count(*) FROM identities WHERE labels = "
	    "'{\"alertname\":\"B\"}'"), 1);
}

TEST(resolve_without_firing_creates_closed_episode)
{
	struct store_put_result r;

	CHECK_INT(put(notif("resolved", RESOLVED("db9", "2026-01-03T00:00:00Z",
	    "2026-01-03T00:02:00Z")), T0 + 2 * 86400000 + 200000, 60000, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(q("SELECT resolved_at - firing_at FROM episodes e JOIN "
	    "identities i USING (identity) WHERE i.labels LIKE '%db9%'"),
	    120000);
}

TEST(prune_deletes_old_rows_only)
{
	struct store_prune_result pr;
	char err[256];
	long long before = q("SELECT count(*) FROM episodes");

	/* cut at 2026-01-01T05:30: the first three notifications and db1's first episode */
	CHECK_INT(store_prune(st, T0 + 5 * 3600000 + 1800000, &pr, err,
	    sizeof(err)), 0);
	CHECK_INT(pr.notifications, 3);
	CHECK_INT(pr.episodes, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes"), before - 1);
	CHECK_INT(q("SELECT count(*) FROM notification_alerts a WHERE NOT "
	    "EXISTS (SELECT 1 FROM notifications n WHERE n.id = "
	    "a.notification_id)"), 0);
	/* the still-open db2 episode stays */
	CHECK_INT(q("SELECT count(*) FROM episodes e JOIN identities i USING "
	    "(identity) WHERE i.labels LIKE '%db2%' AND resolved_at IS NULL"),
	    1);
}

TEST(reopen_keeps_data)
{
	char err[256];

	store_close(st);
	CHECK_INT(store_open("sqlite", dir, &st, err, sizeof(err)), 0);
	CHECK_INT(store_schema_version(st), 1);
	CHECK(q("SELECT count(*) FROM episodes") > 0);
}

int
main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/an-test-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	RUN(opens_at_current_schema);
	if (st == NULL)
		return t_done() | 1;
	RUN(firing_opens_episodes);
	RUN(retry_within_window_changes_nothing);
	RUN(repeat_after_window_is_a_new_notification);
	RUN(resolved_closes_episode);
	RUN(refire_opens_a_new_episode);
	RUN(ha_replicas_are_one_episode);
	RUN(resolve_without_firing_creates_closed_episode);
	RUN(prune_deletes_old_rows_only);
	RUN(reopen_keeps_data);
	store_close(st);
	rc = t_done();
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return rc;
}

/* test_ingest.c -- lib/ingest/ingest.c: webhooks and remote-write samples become
 * notifications and episodes, checked as a user sees them with sqlite3 on
 * the store file. Every expected time is computed by hand from the input. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ingest.h"
#include "model.h"
#include "rw_decode.h"
#include "store.h"
#include "t.h"
#include "webhook.h"

static const char *const replica[] = { "replica", "prometheus_replica" };
static char dir[64];
static struct store *st;

/* A payload to receiver with one alert per (labels, status, startsAt,
 * endsAt) line. */
static struct wh_notification *
notif_to(const char *receiver, const char *status, const char *alerts)
{
	struct wh_notification *n = NULL;
	char body[4096], err[256];

	snprintf(body, sizeof(body), "{\"version\":\"4\",\"receiver\":\"%s\","
	    "\"status\":\"%s\",\"groupKey\":\"{}:{alertname=\\\"A\\\"}\","
	    "\"groupLabels\":{\"alertname\":\"A\"},\"externalURL\":\"http://am\","
	    "\"alerts\":[%s]}", receiver, status, alerts);
	if (wh_parse(body, strlen(body), replica, 2, &n, err, sizeof(err)))
		fprintf(stderr, "bad test payload: %s\n", err);
	return n;
}

static struct wh_notification *
notif(const char *status, const char *alerts)
{
	return notif_to("team", status, alerts);
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

static struct ingest_opts opts = {
	.replica_labels = replica, .nreplica = 2,
	.dedup_window_ms = 60000, .join_tolerance_ms = 10000,
	.source = EP_SRC_REMOTE_WRITE,
};

static int
put(struct wh_notification *n, int64_t at, int64_t window,
    struct ingest_result *res)
{
	int rc;

	opts.dedup_window_ms = window;
	rc = ingest_webhook(st, n, at, &opts, res);
	if (rc < 0)
		fprintf(stderr, "put: %s\n", store_errmsg(st));
	wh_free(n);
	return rc;
}

#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

TEST(firing_opens_episodes)
{
	struct ingest_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 30000, 60000, &r), 0);
	CHECK_INT(r.duplicate, 0);
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
	struct ingest_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 40000, 60000, &r), 0);
	CHECK_INT(r.duplicate, 1);
	CHECK_INT(r.notification_id, 1);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 1);
	CHECK_INT(q("SELECT sum(notifications) FROM episodes"), 2);
}

TEST(repeat_after_window_is_a_new_notification)
{
	struct ingest_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T00:00:00Z") ","
	    FIRING("db2", "2026-01-01T00:00:00Z")), T0 + 4 * 3600000, 60000,
	    &r), 0);
	CHECK_INT(r.duplicate, 0);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(q("SELECT count(*) FROM notifications"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes"), 2);
	CHECK_INT(q("SELECT max(notifications) FROM episodes"), 2);
	CHECK_INT(q("SELECT max(last_notified_at) FROM episodes"),
	    T0 + 4 * 3600000);
}

TEST(resolved_closes_episode)
{
	struct ingest_result r;

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
	struct ingest_result r;

	CHECK_INT(put(notif("firing", FIRING("db1", "2026-01-01T06:00:00Z")),
	    T0 + 6 * 3600000 + 30000, 60000, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(q("SELECT count(*) FROM episodes e JOIN identities i USING "
	    "(identity) WHERE i.labels LIKE '%db1%'"), 2);
}

TEST(ha_replicas_are_one_episode)
{
	struct ingest_result r;
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
	struct ingest_result r;

	CHECK_INT(put(notif("resolved", RESOLVED("db9", "2026-01-03T00:00:00Z",
	    "2026-01-03T00:02:00Z")), T0 + 2 * 86400000 + 200000, 60000, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(q("SELECT resolved_at - firing_at FROM episodes e JOIN "
	    "identities i USING (identity) WHERE i.labels LIKE '%db9%'"),
	    120000);
}

/* --- remote write ----------------------------------------------------- */

#define T1 1767312000000LL	/* 2026-01-02T00:00:00Z */
#define S(x) ((int64_t)(x) * 1000)

static double
stale_nan(void)
{
	uint64_t bits = 0x7ff0000000000002ULL;
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* A request of up to 32 series entries, each built from "name=value,..."
 * labels (sorted by the caller) and samples. */
struct req {
	struct rw_request r;
	struct rw_series s[32];
	struct rw_label l[32][12];
	struct rw_sample sm[32][64];
	char buf[32][512];
};

static struct rw_series *
add_series(struct req *q, const char *labels)
{
	size_t i = q->r.nseries++;
	struct rw_series *s = &q->s[i];
	char *p;

	q->r.series = q->s;
	snprintf(q->buf[i], sizeof(q->buf[i]), "%s", labels);
	s->labels = q->l[i];
	s->samples = q->sm[i];
	s->valid = 1;
	for (p = strtok(q->buf[i], ","); p; p = strtok(NULL, ",")) {
		char *eq = strchr(p, '=');

		*eq = '\0';
		s->labels[s->nlabels].name = p;
		s->labels[s->nlabels].value = eq + 1;
		s->nlabels++;
	}
	return s;
}

/* Samples of value v every second from t0 to t1 (inclusive), in seconds
 * after base; then a stale marker at t1 + 1 when stale is set. */
static void
add_run(struct rw_series *s, int64_t base, int t0, int t1, double v,
    int stale)
{
	for (int t = t0; t <= t1; t++) {
		s->samples[s->nsamples].ts_ms = base + S(t);
		s->samples[s->nsamples].value = v;
		s->nsamples++;
	}
	if (stale) {
		s->samples[s->nsamples].ts_ms = base + S(t1 + 1);
		s->samples[s->nsamples].value = stale_nan();
		s->nsamples++;
	}
}

static int
ingest(struct req *q, int64_t received, struct ingest_result *r)
{
	int rc;

	opts.dedup_window_ms = 60000;
	rc = ingest_samples(st, &q->r, received, &opts, r);
	if (rc < 0)
		fprintf(stderr, "ingest: %s\n", store_errmsg(st));
	return rc;
}

/* The one column of one row of an episode of alertname a. */
#define EP(col, a) q("SELECT " col " FROM episodes WHERE alertname = '" a "'")

#define PENDING_C "__name__=ALERTS,alertname=C,alertstate=pending,instance=x,replica=r1"
#define FIRING_C  "__name__=ALERTS,alertname=C,alertstate=firing,instance=x,replica=r1"
#define FOR_C     "__name__=ALERTS_FOR_STATE,alertname=C,instance=x,replica=r1"

TEST(rw_pending_then_firing_then_resolved)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;

	/* pending 0..4 s, stale at 5; firing 5..9, stale at 10; activeAt 0 */
	add_run(add_series(q1, PENDING_C), T1, 0, 4, 1, 1);
	add_run(add_series(q1, FIRING_C), T1, 5, 9, 1, 1);
	add_run(add_series(q1, FOR_C), T1, 0, 9, (double)T1 / 1000.0, 1);
	add_run(add_series(q1, "__name__=up,instance=x,job=j"), T1, 0, 2, 1, 0);
	CHECK_INT(ingest(q1, T1 + S(11), &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(r.episodes_resolved, 1);
	CHECK_INT(r.samples_ignored, 3);
	CHECK_INT(r.samples_applied, 6 + 6 + 11);
	CHECK_INT(EP("count(*)", "C"), 1);
	CHECK_INT(EP("pending_at", "C"), T1);
	CHECK_INT(EP("firing_at", "C"), T1 + S(5));
	CHECK_INT(EP("resolved_at", "C"), T1 + S(10));
	CHECK_INT(EP("notifications", "C"), 0);	/* never notified */
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'C' "
	    "AND sources = 'remote_write'"), 1);
	/* the identity drops __name__, alertstate and the replica label */
	CHECK_INT(q("SELECT count(*) FROM identities WHERE labels = "
	    "'{\"alertname\":\"C\",\"instance\":\"x\"}'"), 1);

	/* Prometheus re-sending the batch changes nothing */
	CHECK_INT(ingest(q1, T1 + S(40), &r), 0);
	CHECK_INT(r.samples_applied, 0);
	CHECK_INT(r.samples_old, 23);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(EP("count(*)", "C"), 1);
	CHECK_INT(EP("resolved_at", "C"), T1 + S(10));
	free(q1);
}

TEST(rw_series_arriving_out_of_order_make_one_episode)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct ingest_result r;
	int64_t b = T1 + S(100);

	/* the firing series' shard is sent first, the pending one later */
	add_run(add_series(q1, "__name__=ALERTS,alertname=D,alertstate=firing"),
	    b, 3, 6, 1, 0);
	CHECK_INT(ingest(q1, b + S(7), &r), 0);
	add_run(add_series(q2, "__name__=ALERTS,alertname=D,alertstate=pending"),
	    b, 0, 2, 1, 1);
	CHECK_INT(ingest(q2, b + S(8), &r), 0);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(EP("count(*)", "D"), 1);
	CHECK_INT(EP("pending_at", "D"), b);
	CHECK_INT(EP("firing_at", "D"), b + S(3));
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'D' AND "
	    "resolved_at IS NULL"), 1);
	free(q1);
	free(q2);
}

TEST(rw_pending_that_never_fires)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = T1 + S(200);

	add_run(add_series(q1, "__name__=ALERTS,alertname=E,alertstate=pending"),
	    b, 0, 3, 1, 1);
	CHECK_INT(ingest(q1, b + S(5), &r), 0);
	CHECK_INT(EP("pending_at", "E"), b);
	CHECK_INT(EP("firing_at IS NULL", "E"), 1);
	CHECK_INT(EP("resolved_at", "E"), b + S(4));
	CHECK_INT(r.episodes_resolved, 0);	/* it never fired */
	free(q1);
}

TEST(rw_ha_replicas_make_one_timeline)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = T1 + S(300);

	/* replica r1 fires 0..9 (stale at 10), r2 fires 1..10 (stale at 11) */
	add_run(add_series(q1, "__name__=ALERTS,alertname=F,alertstate=firing,"
	    "replica=r1"), b, 0, 9, 1, 1);
	add_run(add_series(q1, "__name__=ALERTS,alertname=F,alertstate=firing,"
	    "replica=r2"), b, 1, 10, 1, 1);
	CHECK_INT(ingest(q1, b + S(12), &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(EP("count(*)", "F"), 1);
	CHECK_INT(EP("firing_at", "F"), b);
	CHECK_INT(EP("resolved_at", "F"), b + S(11));
	CHECK_INT(q("SELECT count(*) FROM identities WHERE alertname = 'F'"), 1);
	free(q1);
}

/* Each replica sends its own requests; the one whose series ended later
 * may be heard from first (its end is then skipped: the other still
 * fires). The episode ends when the later one did, not at the end heard
 * last. */
TEST(rw_ha_replica_ends_heard_out_of_order)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct req *q3 = calloc(1, sizeof(*q3));
	struct ingest_result r;
	int64_t b = T1 + S(600);

	/* both start; r2 fires 0..10 (stale at 11) and says so first, r1
	 * fires 0..8 (stale at 9) and says so after */
	add_run(add_series(q1, "__name__=ALERTS,alertname=FO,alertstate=firing,"
	    "replica=r1"), b, 0, 2, 1, 0);
	add_run(add_series(q1, "__name__=ALERTS,alertname=FO,alertstate=firing,"
	    "replica=r2"), b, 0, 2, 1, 0);
	CHECK_INT(ingest(q1, b + S(3), &r), 0);
	add_run(add_series(q2, "__name__=ALERTS,alertname=FO,alertstate=firing,"
	    "replica=r2"), b, 3, 10, 1, 1);
	CHECK_INT(ingest(q2, b + S(12), &r), 0);
	CHECK_INT(EP("resolved_at IS NULL", "FO"), 1);
	add_run(add_series(q3, "__name__=ALERTS,alertname=FO,alertstate=firing,"
	    "replica=r1"), b, 3, 8, 1, 1);
	CHECK_INT(ingest(q3, b + S(13), &r), 0);
	CHECK_INT(EP("count(*)", "FO"), 1);
	CHECK_INT(EP("resolved_at", "FO"), b + S(11));
	free(q1);
	free(q2);
	free(q3);
}

TEST(rw_flapping_makes_one_episode_per_firing)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	struct rw_series *s;
	int64_t b = T1 + S(400);

	/* for: 0 -- firing 0..2 (stale 3), 5..6 (stale 7), 9 (stale 10) */
	s = add_series(q1, "__name__=ALERTS,alertname=G,alertstate=firing");
	add_run(s, b, 0, 2, 1, 1);
	add_run(s, b, 5, 6, 1, 1);
	add_run(s, b, 9, 9, 1, 1);
	CHECK_INT(ingest(q1, b + S(11), &r), 0);
	CHECK_INT(r.episodes_opened, 3);
	CHECK_INT(r.episodes_resolved, 3);
	CHECK_INT(EP("count(*)", "G"), 3);
	CHECK_INT(EP("sum(resolved_at - firing_at)", "G"), S(3 + 2 + 1));
	free(q1);
}

TEST(rw_and_webhook_join_into_one_episode)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = 1767398400000LL;	/* 2026-01-03T00:00:00Z */

	/* remote write sees it fire at 00:00:00 ... */
	add_run(add_series(q1, "__name__=ALERTS,alertname=H,alertstate=firing,"
	    "instance=db1,replica=r1"), b, 0, 3, 1, 0);
	CHECK_INT(ingest(q1, b + S(4), &r), 0);
	/* ... Alertmanager notifies it (startsAt = the same evaluation) */
	CHECK_INT(put(notif("firing", "{\"status\":\"firing\",\"labels\":{"
	    "\"alertname\":\"H\",\"instance\":\"db1\",\"replica\":\"r1\"},"
	    "\"startsAt\":\"2026-01-03T00:00:00.000Z\"}"), b + S(30), 60000,
	    &r), 0);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(EP("count(*)", "H"), 1);
	CHECK_INT(EP("notifications", "H"), 1);
	CHECK_INT(EP("first_notified_at", "H"), b + S(30));
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'H' AND "
	    "sources = 'webhook,remote_write'"), 1);
	/* the resolved notification and the stale marker agree */
	CHECK_INT(put(notif("resolved", "{\"status\":\"resolved\",\"labels\":{"
	    "\"alertname\":\"H\",\"instance\":\"db1\",\"replica\":\"r1\"},"
	    "\"startsAt\":\"2026-01-03T00:00:00Z\",\"endsAt\":"
	    "\"2026-01-03T00:01:00Z\"}"), b + S(65), 60000, &r), 0);
	memset(q1, 0, sizeof(*q1));
	add_run(add_series(q1, "__name__=ALERTS,alertname=H,alertstate=firing,"
	    "instance=db1,replica=r1"), b, 4, 59, 1, 1);
	CHECK_INT(ingest(q1, b + S(66), &r), 0);
	CHECK_INT(EP("count(*)", "H"), 1);
	CHECK_INT(EP("resolved_at", "H"), b + S(60));
	free(q1);
}

TEST(webhook_first_then_rw_joins)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = 1767484800000LL;	/* 2026-01-04T00:00:00Z */

	CHECK_INT(put(notif("firing", "{\"status\":\"firing\",\"labels\":{"
	    "\"alertname\":\"I\"},\"startsAt\":\"2026-01-04T00:00:05Z\"}"),
	    b + S(6), 60000, &r), 0);
	add_run(add_series(q1, "__name__=ALERTS,alertname=I,alertstate=pending"),
	    b, 0, 4, 1, 1);
	add_run(add_series(q1, "__name__=ALERTS,alertname=I,alertstate=firing"),
	    b, 5, 8, 1, 0);
	CHECK_INT(ingest(q1, b + S(9), &r), 0);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(EP("count(*)", "I"), 1);
	CHECK_INT(EP("pending_at", "I"), b);
	CHECK_INT(EP("firing_at", "I"), b + S(5));
	CHECK_INT(EP("resolved_at IS NULL", "I"), 1);
	free(q1);
}

TEST(staleness_timeout_ends_a_series_without_marker)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = T1 + S(500);

	/* first end what earlier tests left active */
	CHECK_INT(ingest_expire(st, b, 1, &opts, &r), 0);
	add_run(add_series(q1, "__name__=ALERTS,alertname=J,alertstate=firing"),
	    b, 0, 3, 1, 0);
	CHECK_INT(ingest(q1, b + S(4), &r), 0);
	/* 4 minutes later: not yet */
	CHECK_INT(ingest_expire(st, b + S(4 + 240), S(300), &opts, &r), 0);
	CHECK_INT(r.series_expired, 0);
	CHECK_INT(EP("resolved_at IS NULL", "J"), 1);
	/* 6 minutes later: ended at its last sample */
	CHECK_INT(ingest_expire(st, b + S(4 + 360), S(300), &opts, &r), 0);
	CHECK_INT(r.series_expired, 1);
	CHECK_INT(r.episodes_resolved, 1);
	CHECK_INT(EP("resolved_at", "J"), b + S(3));
	free(q1);
}

TEST(rw_several_cycles_in_one_request_pair_up_in_time_order)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	struct rw_series *f, *p;
	int64_t b = T1 + S(600);

	/* two cycles of for: 2s; the firing series comes first in the
	 * request, as a sender batching per series would send it:
	 * pending 0..1 (stale 2), firing 2..5 (stale 6),
	 * pending 12..13 (stale 14), firing 14..15 (stale 16) */
	f = add_series(q1, "__name__=ALERTS,alertname=K,alertstate=firing");
	add_run(f, b, 2, 5, 1, 1);
	add_run(f, b, 14, 15, 1, 1);
	p = add_series(q1, "__name__=ALERTS,alertname=K,alertstate=pending");
	add_run(p, b, 0, 1, 1, 1);
	add_run(p, b, 12, 13, 1, 1);
	CHECK_INT(ingest(q1, b + S(17), &r), 0);
	CHECK_INT(r.episodes_opened, 2);
	CHECK_INT(r.episodes_resolved, 2);
	CHECK_INT(EP("count(*)", "K"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'K' AND ("
	    "(pending_at = " "1767312600000 AND firing_at = 1767312602000 AND "
	    "resolved_at = 1767312606000) OR (pending_at = 1767312612000 AND "
	    "firing_at = 1767312614000 AND resolved_at = 1767312616000))"), 2);
	free(q1);
}

TEST(rw_for_state_values_that_are_not_times_are_ignored)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	struct rw_series *s;
	int64_t b = T1 + S(700);

	s = add_series(q1, "__name__=ALERTS_FOR_STATE,alertname=L");
	add_run(s, b, 0, 0, 1e300, 0);
	add_run(s, b, 1, 1, NAN, 0);
	add_run(s, b, 2, 2, -5, 0);
	CHECK_INT(ingest(q1, b + S(3), &r), 0);
	CHECK_INT(r.samples_applied, 3);
	CHECK_INT(EP("count(*)", "L"), 0);
	free(q1);
}

/* --- the store's series cache (lib/store/sqlite_write.c) ----------------------
 * Samples of known series are checked against, and written from, a cache
 * of rw_series; what a user sees in the table and what the next request
 * is checked against must be the same as without it, also after a part of
 * a transaction was undone. */

/* One request of series labels with samples at base + [t0, t1] s (stale
 * marker at t1 + 1 when stale), applied inside a savepoint of the open
 * transaction. */
static int
apply_in_savepoint(const char *labels, int64_t base, int t0, int t1,
    int stale, struct ingest_result *r)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	int rc;

	add_run(add_series(q1, labels), base, t0, t1, 1, stale);
	if (store_savepoint(st) < 0)
		rc = -1;
	else
		rc = ingest_samples_apply(st, &q1->r, base + S(t1 + 2), &opts,
		    r);
	free(q1);
	return rc;
}

#define SERIES_M "__name__=ALERTS,alertname=M,alertstate=firing,instance=m"
#define ROW_M(col) q("SELECT " col " FROM rw_series WHERE identity IN " \
	"(SELECT identity FROM identities WHERE alertname = 'M')")

#define CAP(a) "__name__=ALERTS,alertname=" a ",alertstate=firing,instance=x,replica=r1"

/* remote_write.max_series and .max_new_series_per_minute (ingest.h): a
 * request that would start series beyond a cap is refused whole, nothing
 * written; samples of live series always go through; the live count
 * follows savepoints and rollbacks. */
TEST(rw_series_caps_refuse_whole_requests)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct req *q3 = calloc(1, sizeof(*q3)), *q4 = calloc(1, sizeof(*q4));
	struct ingest_result r;
	struct ingest_rate rate;
	int64_t live0 = store_live_series_committed(st);
	long long nseries0 = q("SELECT count(*) FROM rw_series");

	memset(&rate, 0, sizeof(rate));
	add_run(add_series(q1, CAP("CapA")), T1, 0, 0, 1, 0);
	add_run(add_series(q1, CAP("CapB")), T1, 0, 0, 1, 0);
	add_run(add_series(q1, CAP("CapC")), T1, 0, 0, 1, 0);
	/* a marker alone starts nothing */
	add_run(add_series(q1, CAP("CapZ")), T1, 1, 0, 1, 1);
	opts.max_live_series = live0 + 2;
	CHECK_INT(ingest(q1, T1 + S(1), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_LIVE);
	CHECK_INT(r.series_new, 3);
	CHECK_INT(r.limit_count, live0);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname LIKE 'Cap%'"),
	    0);
	CHECK_INT(q("SELECT count(*) FROM rw_series"), nseries0);
	CHECK_INT(store_live_series_committed(st), live0);
	opts.max_live_series = live0 + 3;
	CHECK_INT(ingest(q1, T1 + S(1), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_NONE);
	CHECK_INT(r.episodes_opened, 3);
	CHECK_INT(store_live_series_committed(st), live0 + 3);
	CHECK_INT(q("SELECT count(*) FROM rw_series WHERE active = 1"),
	    live0 + 3);

	/* at the cap: a known series goes on, one ends */
	add_run(add_series(q2, CAP("CapA")), T1, 1, 1, 1, 0);
	add_run(add_series(q2, CAP("CapB")), T1, 1, 0, 1, 1);
	CHECK_INT(ingest(q2, T1 + S(2), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_NONE);
	CHECK_INT(r.series_new, 0);
	CHECK_INT(store_live_series_committed(st), live0 + 2);

	/* a series started in a savepoint rolled back is not counted */
	add_run(add_series(q3, CAP("CapD")), T1, 2, 2, 1, 0);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_savepoint(st), 0);
	CHECK_INT(ingest_samples_apply(st, &q3->r, T1 + S(3), &opts, &r), 0);
	CHECK_INT(store_live_series(st), live0 + 3);
	CHECK_INT(store_savepoint_rollback(st), 0);
	CHECK_INT(store_live_series(st), live0 + 2);
	store_rollback(st);
	CHECK_INT(store_live_series_committed(st), live0 + 2);

	/* one new series a minute */
	opts.max_live_series = 0;
	opts.max_new_per_minute = 1;
	opts.rate = &rate;
	add_run(add_series(q4, CAP("CapE")), T1, 2, 2, 1, 0);
	add_run(add_series(q4, CAP("CapF")), T1, 2, 2, 1, 0);
	CHECK_INT(ingest(q4, T1 + S(3), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_RATE);
	CHECK_INT(r.limit_count, 0);
	CHECK_INT(ingest(q3, T1 + S(3), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_NONE);
	q4->r.series++;		/* CapF alone */
	q4->r.nseries = 1;
	CHECK_INT(ingest(q4, T1 + S(62), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_RATE);
	CHECK_INT(r.limit_count, 1);
	CHECK_INT(ingest(q4, T1 + S(64), &r), 0);
	CHECK_INT(r.limited, INGEST_LIMIT_NONE);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname IN"
	    " ('CapD', 'CapE', 'CapF')"), 2);
	CHECK_INT(store_live_series_committed(st), live0 + 4);
	opts.max_new_per_minute = 0;
	opts.rate = NULL;
	free(q1);
	free(q2);
	free(q3);
	free(q4);
}

TEST(rw_series_written_in_a_rolled_back_savepoint_is_new_again)
{
	struct ingest_result r;
	int64_t b = T1 + S(800);

	/* a new series, undone with its savepoint */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 0, 1, 0, &r), 0);
	CHECK_INT(r.samples_applied, 2);
	CHECK_INT(store_savepoint_rollback(st), 0);
	/* the same request again, in the same transaction: not "old" */
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 0, 1, 0, &r), 0);
	CHECK_INT(r.samples_applied, 2);
	CHECK_INT(r.samples_old, 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(ROW_M("last_ts"), b + S(1));
	CHECK_INT(ROW_M("received_at"), b + S(3));
	CHECK_INT(EP("count(*)", "M"), 1);

	/* a known series moved on by a savepoint that is undone, after one
	 * that is kept: the kept one's sample counts, the undone one's not */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 2, 2, 0, &r), 0);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 3, 4, 1, &r), 0);
	CHECK_INT(r.episodes_resolved, 1);
	CHECK_INT(store_savepoint_rollback(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 2, 3, 0, &r), 0);
	CHECK_INT(r.samples_old, 1);
	CHECK_INT(r.samples_applied, 1);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(ROW_M("last_ts"), b + S(3));
	CHECK_INT(ROW_M("received_at"), b + S(5));
	CHECK_INT(ROW_M("active"), 1);
	CHECK_INT(ROW_M("interval_ms"), 1000);
	CHECK_INT(EP("resolved_at IS NULL", "M"), 1);
}

TEST(rw_series_written_in_a_rolled_back_transaction_is_as_before)
{
	struct ingest_result r;
	int64_t b = T1 + S(800);

	/* the stale marker is undone with the whole transaction */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 4, 5, 1, &r), 0);
	CHECK_INT(r.samples_applied, 3);
	CHECK_INT(r.episodes_resolved, 1);
	store_rollback(st);
	CHECK_INT(ROW_M("last_ts"), b + S(3));
	CHECK_INT(ROW_M("active"), 1);
	/* so it comes again, and counts */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, b, 4, 5, 1, &r), 0);
	CHECK_INT(r.samples_applied, 3);
	CHECK_INT(r.samples_old, 0);
	CHECK_INT(r.episodes_resolved, 1);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(ROW_M("last_ts"), b + S(6));
	CHECK_INT(ROW_M("active"), 0);
	CHECK_INT(EP("resolved_at", "M"), b + S(6));
}

#define ROW_N(col) q("SELECT " col " FROM rw_series WHERE identity IN " \
	"(SELECT identity FROM identities WHERE alertname = 'N')")

TEST(rw_series_rows_match_what_was_applied)
{
	struct req *q1;
	struct ingest_result r;
	int64_t b = T1 + S(900);
	const char *fs = "__name__=ALERTS_FOR_STATE,alertname=N,instance=n";
	double at = (double)b / 1000.0;
	double vals[] = { at, NAN, NAN, 0, at };

	/* one request per sample, so that each is checked against the row
	 * the one before wrote; a NaN is stored as NULL and read back as 0 */
	for (int i = 0; i < 5; i++) {
		q1 = calloc(1, sizeof(*q1));
		add_run(add_series(q1, fs), b, i, i, vals[i], 0);
		CHECK_INT(ingest(q1, b + S(i) + 500, &r), 0);
		CHECK_INT(r.samples_applied, 1);
		free(q1);
		CHECK_INT(ROW_N("last_ts"), b + S(i));
		CHECK_INT(ROW_N("received_at"), b + S(i) + 500);
		CHECK_INT(ROW_N("last_value IS NULL"), i == 1 || i == 2);
	}
	CHECK_INT(ROW_N("last_value"), b / 1000);
	CHECK_INT(ROW_N("typeof(last_value) = 'real'"), 1);
	CHECK_INT(ROW_N("interval_ms"), 1000);
	CHECK_INT(ROW_N("active"), 1);
	/* an old sample is not applied; the series was received */
	q1 = calloc(1, sizeof(*q1));
	add_run(add_series(q1, fs), b, 2, 2, 0, 0);
	CHECK_INT(ingest(q1, b + S(60), &r), 0);
	CHECK_INT(r.samples_old, 1);
	free(q1);
	CHECK_INT(ROW_N("last_ts"), b + S(4));
	CHECK_INT(ROW_N("received_at"), b + S(60));
	CHECK_INT(EP("count(*)", "N"), 1);
	CHECK_INT(EP("pending_at", "N"), b);
}

TEST(rw_series_pruned_is_new_again)
{
	struct store_prune_result pr;
	struct ingest_result r;
	int64_t b = T1 + S(1000);

	/* M ended at b - 194 s (inactive); pruned, its samples are new */
	CHECK_INT(store_prune(st, b, &pr), 0);
	CHECK(pr.series >= 1);
	CHECK_INT(ROW_M("count(*)"), 0);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(apply_in_savepoint(SERIES_M, T1 + S(800), 0, 1, 0, &r), 0);
	CHECK_INT(r.samples_applied, 2);
	CHECK_INT(r.samples_old, 0);
	CHECK_INT(store_savepoint_release(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(ROW_M("last_ts"), T1 + S(801));
	CHECK_INT(ROW_M("active"), 1);
}

TEST(rw_series_labels_in_any_order_are_one_series)
{
	struct req *q1 = calloc(1, sizeof(*q1));
	struct ingest_result r;
	int64_t b = T1 + S(1100);

	/* sorted labels are hashed in one pass, others sorted first: the
	 * same series either way */
	add_run(add_series(q1, "__name__=ALERTS,alertname=U,alertstate=firing,"
	    "instance=u,replica=r1"), b, 0, 1, 1, 0);
	CHECK_INT(ingest(q1, b + S(2), &r), 0);
	CHECK_INT(r.samples_applied, 2);
	free(q1);
	q1 = calloc(1, sizeof(*q1));
	add_run(add_series(q1, "replica=r2,instance=u,alertstate=firing,"
	    "alertname=U,__name__=ALERTS"), b, 1, 2, 1, 0);
	add_run(add_series(q1, "instance=u,alertstate=firing,replica=r1,"
	    "alertname=U,__name__=ALERTS"), b, 1, 2, 1, 0);
	CHECK_INT(ingest(q1, b + S(3), &r), 0);
	CHECK_INT(r.samples_old, 1);		/* r1 at 1 s */
	CHECK_INT(r.samples_applied, 3);
	CHECK_INT(r.episodes_opened, 0);	/* r2 joins r1's episode */
	free(q1);
	CHECK_INT(q("SELECT count(*) FROM rw_series WHERE identity IN (SELECT"
	    " identity FROM identities WHERE alertname = 'U')"), 2);
	CHECK_INT(q("SELECT count(DISTINCT identity) FROM rw_series WHERE"
	    " identity IN (SELECT identity FROM identities WHERE"
	    " alertname = 'U')"), 1);
	CHECK_INT(EP("count(*)", "U"), 1);
	CHECK_INT(EP("firing_at", "U"), b);
}

/* A catch-up after an outage: one request carries, for one series, firing
 * samples every 5 s, a stale marker, and firing samples again, with the
 * series' ALERTS_FOR_STATE beside it (activeAt in whole seconds, as
 * Prometheus writes it). Prometheus 2.42 sends each sample as an entry of
 * its own, the series' labels repeated. Prometheus has two episodes; so
 * must we. The series was active before the request (the run before the
 * outage). */
TEST(rw_stale_marker_inside_a_request_ends_the_episode)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct ingest_result r;
	struct rw_series *f, *fs;
	int64_t b = T1 + S(900) + 393;	/* evaluations at .393 s */

	f = add_series(q1, "__name__=ALERTS,alertname=CU,alertstate=firing,"
	    "instance=x");
	fs = add_series(q1, "__name__=ALERTS_FOR_STATE,alertname=CU,"
	    "instance=x");
	for (int t = 0; t <= 25; t += 5) {
		f->samples[f->nsamples].ts_ms = b + S(t);
		f->samples[f->nsamples++].value = 1;
		fs->samples[fs->nsamples].ts_ms = b + S(t);
		fs->samples[fs->nsamples++].value = (double)((b / 1000));
	}
	CHECK_INT(ingest(q1, b + S(26), &r), 0);
	/* then the outage; the backlog arrives in one request */
	for (int t = 30; t <= 70; t += 5) {
		double v = t == 45 ? stale_nan() : 1;

		if (t > 45 && t < 60)
			continue;
		f = add_series(q2, "__name__=ALERTS,alertname=CU,"
		    "alertstate=firing,instance=x");
		f->samples[0].ts_ms = b + S(t);
		f->samples[0].value = v;
		f->nsamples = 1;
		fs = add_series(q2, "__name__=ALERTS_FOR_STATE,alertname=CU,"
		    "instance=x");
		fs->samples[0].ts_ms = b + S(t);
		fs->samples[0].value = t == 45 ? v :
		    (double)((b + S(t < 45 ? 0 : 60)) / 1000);
		fs->nsamples = 1;
	}
	CHECK_INT(ingest(q2, b + S(120), &r), 0);
	CHECK_INT(EP("count(*)", "CU"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'CU' AND"
	    " firing_at = 1767312900393 AND resolved_at = 1767312945393"), 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'CU' AND"
	    " firing_at = 1767312960393 AND resolved_at IS NULL"), 1);
	/* for: 0 -- activeAt, in whole seconds, is no pending phase */
	CHECK_INT(EP("count(pending_at)", "CU"), 0);
	/* Prometheus re-sending the request changes nothing */
	CHECK_INT(ingest(q2, b + S(121), &r), 0);
	CHECK_INT(r.samples_applied, 0);
	CHECK_INT(EP("count(*)", "CU"), 2);
	free(q1);
	free(q2);
}

/* Two HA replicas catch up after an outage, each with its own request:
 * replica r1's whole backlog (a fire, a stale marker, a fire again) is
 * heard before r2's. When r1 ends, r2 still fires by what we know; when r2
 * ends, r1 has fired again. Prometheus has two episodes of the identity,
 * [0, 46] and [60, ...) -- the union of the replicas' runs. */
TEST(rw_ha_catch_up_heard_replica_by_replica_keeps_two_episodes)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct req *q3 = calloc(1, sizeof(*q3));
	struct ingest_result r;
	struct rw_series *s1, *s2;
	int64_t b = T1 + S(1000);

	s1 = add_series(q1, "__name__=ALERTS,alertname=HC,alertstate=firing,"
	    "replica=r1");
	s2 = add_series(q1, "__name__=ALERTS,alertname=HC,alertstate=firing,"
	    "replica=r2");
	add_run(s1, b, 0, 0, 1, 0);
	add_run(s2, b, 1, 1, 1, 0);
	CHECK_INT(ingest(q1, b + S(2), &r), 0);
	s1 = add_series(q2, "__name__=ALERTS,alertname=HC,alertstate=firing,"
	    "replica=r1");
	add_run(s1, b, 5, 44, 1, 1);		/* stale at 45 */
	add_run(s1, b, 60, 70, 1, 0);
	CHECK_INT(ingest(q2, b + S(80), &r), 0);
	s2 = add_series(q3, "__name__=ALERTS,alertname=HC,alertstate=firing,"
	    "replica=r2");
	add_run(s2, b, 6, 45, 1, 1);		/* stale at 46 */
	add_run(s2, b, 61, 71, 1, 0);
	CHECK_INT(ingest(q3, b + S(81), &r), 0);
	CHECK_INT(EP("count(*)", "HC"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'HC' AND"
	    " firing_at = 1767313000000 AND resolved_at = 1767313046000"), 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'HC' AND"
	    " firing_at = 1767313060000 AND resolved_at IS NULL"), 1);
	free(q1);
	free(q2);
	free(q3);
}

/* Four firing/resolved cycles of one alert (webhooks only, 10 minutes
 * apart, 2 minutes firing each), delivered in an order of arrival. */
static void
four_cycles(const char *name, const int *order, size_t n)
{
	char lab[128], fire[4][512], res[4][512];
	struct ingest_result r;
	int64_t b = 1767571200000LL;	/* 2026-01-05T00:00:00Z */

	snprintf(lab, sizeof(lab), "\"labels\":{\"alertname\":\"%s\"}", name);
	for (int c = 0; c < 4; c++) {
		snprintf(fire[c], sizeof(fire[c]), "{\"status\":\"firing\",%s,"
		    "\"startsAt\":\"2026-01-05T00:%02d:00Z\"}", lab, c * 10);
		snprintf(res[c], sizeof(res[c]), "{\"status\":\"resolved\",%s,"
		    "\"startsAt\":\"2026-01-05T00:%02d:00Z\",\"endsAt\":"
		    "\"2026-01-05T00:%02d:00Z\"}", lab, c * 10, c * 10 + 2);
	}
	/* order[k]: 2c is cycle c's firing notification, 2c + 1 its
	 * resolved one; received a second apart after the last cycle */
	for (size_t k = 0; k < n; k++) {
		int c = order[k] / 2, resolved = order[k] % 2;

		CHECK_INT(put(notif(resolved ? "resolved" : "firing",
		    resolved ? res[c] : fire[c]), b + S(40 * 60 + k), 0, &r), 0);
	}
}

static long long
cycles_exact(const char *name)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM episodes WHERE "
	    "alertname = '%s' AND resolved_at - firing_at = 120000 AND "
	    "(firing_at - 1767571200000) %% 600000 = 0 AND "
	    "firing_at < 1767571200000 + 2400000", name);
	return q(sql);
}

/* A late or retried firing notification (the same startsAt, after its
 * resolved one) does not reopen its episode, nor pull the later cycles
 * into it; the result does not depend on the order of arrival. */
TEST(late_firing_notification_does_not_reopen_or_merge)
{
	static const int in_order[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const int late_retry[] = { 0, 1, 2, 3, 2, 4, 5, 6, 7 };
	static const int shuffled[] = { 1, 4, 0, 3, 6, 2, 7, 5, 2, 0 };

	four_cycles("WL1", in_order, 8);
	CHECK_INT(EP("count(*)", "WL1"), 4);
	CHECK_INT(cycles_exact("WL1"), 4);
	four_cycles("WL2", late_retry, 9);
	CHECK_INT(EP("count(*)", "WL2"), 4);
	CHECK_INT(cycles_exact("WL2"), 4);
	CHECK_INT(EP("count(*) FILTER (WHERE resolved_at IS NULL)", "WL2"), 0);
	four_cycles("WL3", shuffled, 10);
	CHECK_INT(EP("count(*)", "WL3"), 4);
	CHECK_INT(cycles_exact("WL3"), 4);
}

/* Webhooks only, two HA Prometheus replicas whose copies of one alert
 * (startsAt 30 s apart, beyond join_tolerance) come in notifications of
 * their own: one episode. The replica's next period (a new startsAt of a
 * copy already notified) is a new episode and ends the first at its start
 * until the first's late resolved notification says when it ended. */
TEST(webhook_replica_copies_join_new_periods_do_not)
{
	struct ingest_result r;
	int64_t b = 1767657600000LL;	/* 2026-01-06T00:00:00Z */

#define WR(rep, st, status, end) "{\"status\":\"" status "\",\"labels\":" \
	"{\"alertname\":\"WR\",\"replica\":\"" rep "\"},\"startsAt\":" \
	"\"2026-01-06T00:" st "Z\"" end "}"
#define END ",\"endsAt\":\"2026-01-06T00:05:00Z\""
	CHECK_INT(put(notif("firing", WR("a", "00:00", "firing", "")), b + S(40),
	    0, &r), 0);
	CHECK_INT(put(notif("firing", WR("b", "00:30", "firing", "")), b + S(41),
	    0, &r), 0);
	CHECK_INT(r.episodes_opened, 0);
	CHECK_INT(EP("count(*)", "WR"), 1);
	CHECK_INT(put(notif("firing", WR("a", "10:00", "firing", "")), b + S(601),
	    0, &r), 0);
	CHECK_INT(r.episodes_opened, 1);
	CHECK_INT(EP("count(*)", "WR"), 2);
	CHECK_INT(q("SELECT resolved_at FROM episodes WHERE alertname = 'WR'"
	    " AND firing_at = 1767657600000"), b + S(600));
	CHECK_INT(put(notif("resolved", WR("a", "00:00", "resolved", END) ","
	    WR("b", "00:30", "resolved", END)), b + S(602), 0, &r), 0);
	CHECK_INT(q("SELECT resolved_at FROM episodes WHERE alertname = 'WR'"
	    " AND firing_at = 1767657600000"), b + S(300));
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'WR'"
	    " AND firing_at = 1767658200000 AND resolved_at IS NULL"), 1);
#undef WR
#undef END
}

/* What a daemon restart did beside two replicas and Alertmanager: both
 * replicas fire (r2 a second behind r1) and the firing is notified; the
 * daemon is down while the alert resolves and fires again a minute later.
 * Back up, Alertmanager's notification of the new period comes first, then
 * r1's backlog (a stale marker, a new run), then r2's. r2's last sample
 * was close enough to r1's end to be taken for still firing; it is not
 * taken for having fired through the gap r1 saw. Two episodes, as
 * Prometheus has them, and the second period's notification on the
 * second. */
TEST(restart_backlog_with_a_lagging_replica_and_a_webhook_first)
{
	struct req *q0 = calloc(1, sizeof(*q0)), *q1 = calloc(1, sizeof(*q1));
	struct req *q2 = calloc(1, sizeof(*q2));
	struct ingest_result r;
	int64_t b = 1767744000000LL;	/* 2026-01-07T00:00:00Z */

#define RS(rep) "__name__=ALERTS,alertname=RB,alertstate=firing,replica=" rep
#define RBW(st, status, end) "{\"status\":\"" status "\",\"labels\":{" \
	"\"alertname\":\"RB\",\"replica\":\"r1\"},\"startsAt\":" \
	"\"2026-01-07T00:" st "Z\"" end "}"
	/* r1 fires from 0 s every 5 s, r2 from 1 s; heard up to 5 and 6 */
	add_run(add_series(q0, RS("r1")), b, 0, 0, 1, 0);
	add_run(add_series(q0, RS("r2")), b, 1, 1, 1, 0);
	q0->s[0].samples[q0->s[0].nsamples].ts_ms = b + S(5);
	q0->s[0].samples[q0->s[0].nsamples++].value = 1;
	q0->s[1].samples[q0->s[1].nsamples].ts_ms = b + S(6);
	q0->s[1].samples[q0->s[1].nsamples++].value = 1;
	CHECK_INT(ingest(q0, b + S(7), &r), 0);
	CHECK_INT(put(notif("firing", RBW("00:00", "firing", "")), b + S(8),
	    0, &r), 0);
	/* the next period's notification, first after the restart */
	CHECK_INT(put(notif("firing", RBW("01:00", "firing", "")), b + S(62),
	    0, &r), 0);
	/* r1: fired to 15, stale at 20, fires again at 60 and 65 */
	add_run(add_series(q1, RS("r1")), b, 10, 10, 1, 0);
	q1->s[0].samples[q1->s[0].nsamples].ts_ms = b + S(15);
	q1->s[0].samples[q1->s[0].nsamples++].value = 1;
	q1->s[0].samples[q1->s[0].nsamples].ts_ms = b + S(20);
	q1->s[0].samples[q1->s[0].nsamples++].value = stale_nan();
	q1->s[0].samples[q1->s[0].nsamples].ts_ms = b + S(60);
	q1->s[0].samples[q1->s[0].nsamples++].value = 1;
	q1->s[0].samples[q1->s[0].nsamples].ts_ms = b + S(65);
	q1->s[0].samples[q1->s[0].nsamples++].value = 1;
	CHECK_INT(ingest(q1, b + S(66), &r), 0);
	/* r2: fired to 16, stale at 21, fires again at 61 */
	add_run(add_series(q2, RS("r2")), b, 11, 11, 1, 0);
	q2->s[0].samples[q2->s[0].nsamples].ts_ms = b + S(16);
	q2->s[0].samples[q2->s[0].nsamples++].value = 1;
	q2->s[0].samples[q2->s[0].nsamples].ts_ms = b + S(21);
	q2->s[0].samples[q2->s[0].nsamples++].value = stale_nan();
	q2->s[0].samples[q2->s[0].nsamples].ts_ms = b + S(61);
	q2->s[0].samples[q2->s[0].nsamples++].value = 1;
	CHECK_INT(ingest(q2, b + S(67), &r), 0);
	CHECK_INT(EP("count(*)", "RB"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'RB' AND"
	    " firing_at = 1767744000000 AND resolved_at = 1767744021000 AND"
	    " notifications = 1"), 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'RB' AND"
	    " firing_at = 1767744060000 AND resolved_at IS NULL AND"
	    " notifications = 1"), 1);
	/* each notified alert on the episode of its startsAt */
	CHECK_INT(q("SELECT count(*) FROM notification_alerts a JOIN episodes e"
	    " ON e.id = a.episode_id WHERE a.alertname = 'RB' AND"
	    " a.starts_at = e.firing_at"), 2);
#undef RS
#undef RBW
	free(q0);
	free(q1);
	free(q2);
}

/* Two replicas evaluating every second, half a second apart, of an alert
 * that fires for 3 s in every 10; r2's requests lag (a slow daemon): r1's
 * end at 3 is heard while r2 has reached 2.5 only -- close enough to be
 * taken for still firing -- and r1 fires again at 10 before r2's end at 3.5
 * is heard. r2's samples do not reach 10: it is not taken for having fired
 * through r1's gap. Two episodes, [0, 3.5] and [10, ...). */
TEST(rw_ha_short_gap_with_a_lagging_replica_is_two_episodes)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct req *q3 = calloc(1, sizeof(*q3));
	struct ingest_result r;
	struct rw_series *s;
	int64_t b = T1 + S(2000);

#define SG(rep) "__name__=ALERTS,alertname=SG,alertstate=firing,replica=" rep
	s = add_series(q1, SG("r2"));
	for (int t = 0; t <= 2; t++) {
		s->samples[s->nsamples].ts_ms = b + S(t) + 500;
		s->samples[s->nsamples++].value = 1;
	}
	CHECK_INT(ingest(q1, b + S(3), &r), 0);
	s = add_series(q2, SG("r1"));
	add_run(s, b, 0, 2, 1, 1);		/* stale at 3 */
	add_run(s, b, 10, 11, 1, 0);
	CHECK_INT(ingest(q2, b + S(12), &r), 0);
	s = add_series(q3, SG("r2"));
	s->samples[0].ts_ms = b + S(3) + 500;
	s->samples[0].value = stale_nan();
	s->samples[1].ts_ms = b + S(10) + 500;
	s->samples[1].value = 1;
	s->nsamples = 2;
	CHECK_INT(ingest(q3, b + S(12), &r), 0);
	CHECK_INT(EP("count(*)", "SG"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'SG' AND"
	    " firing_at = 1767314000000 AND resolved_at = 1767314003500"), 1);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'SG' AND"
	    " firing_at = 1767314010000 AND resolved_at IS NULL"), 1);
#undef SG
	free(q1);
	free(q2);
	free(q3);
}

/* A flapper every 10 s (for: 2s): the notification of a firing comes
 * before its firing sample, while remote write has the period pending and
 * the last one fired exactly 10 s (join_tolerance) earlier. It belongs to
 * the pending period, not the last one; then the firing sample joins them:
 * one notified episode per period, both sources. */
TEST(webhook_before_its_firing_sample_joins_the_pending_period)
{
	struct req *q1 = calloc(1, sizeof(*q1)), *q2 = calloc(1, sizeof(*q2));
	struct ingest_result r;
	int64_t b = 1767830400000LL;	/* 2026-01-08T00:00:00Z */

#define WP(st) "{\"status\":\"firing\",\"labels\":{\"alertname\":\"WP\"}," \
	"\"startsAt\":\"2026-01-08T00:00:" st "Z\"}"
	/* pending 0..1, firing 2..5 (stale 6); pending 10..11 */
	add_run(add_series(q1, "__name__=ALERTS,alertname=WP,"
	    "alertstate=pending"), b, 0, 1, 1, 1);
	add_run(add_series(q1, "__name__=ALERTS,alertname=WP,"
	    "alertstate=firing"), b, 2, 5, 1, 1);
	q1->s[0].samples[q1->s[0].nsamples].ts_ms = b + S(10);
	q1->s[0].samples[q1->s[0].nsamples++].value = 1;
	CHECK_INT(ingest(q1, b + S(11), &r), 0);
	CHECK_INT(put(notif("firing", WP("02")), b + S(3), 0, &r), 0);
	CHECK_INT(put(notif("firing", WP("12")), b + S(12), 0, &r), 0);
	/* pending ends, firing starts at 12 */
	add_run(add_series(q2, "__name__=ALERTS,alertname=WP,"
	    "alertstate=pending"), b, 11, 11, 1, 1);
	add_run(add_series(q2, "__name__=ALERTS,alertname=WP,"
	    "alertstate=firing"), b, 12, 13, 1, 0);
	CHECK_INT(ingest(q2, b + S(14), &r), 0);
	CHECK_INT(EP("count(*)", "WP"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'WP' AND"
	    " notifications = 1 AND sources = 'webhook,remote_write'"), 2);
	CHECK_INT(q("SELECT count(*) FROM episodes WHERE alertname = 'WP' AND"
	    " pending_at = 1767830410000 AND firing_at = 1767830412000"), 1);
#undef WP
	free(q1);
	free(q2);
}

static int
count_notified(const struct notified_row *r, void *p)
{
	(void)r;
	++*(int *)p;
	return 0;
}

static int
count_verdict(int64_t episode, const char *verdict, void *p)
{
	(void)episode;
	if (strcmp(verdict, "noise") == 0)
		++*(int *)p;
	return 0;
}

/* alertnoised import writes into a running daemon's store from another
 * process: the model cannot know what it wrote, so the store answers until
 * store_refresh loads the model again. And a verdict given through the
 * daemon is in the model at once (model_matches_store, after the test). */
TEST(another_process_commit_is_read_from_the_store_until_refresh)
{
	struct ingest_result res;
	struct model_stats before, after;
	struct store *other;
	struct episode e;
	char err[256];
	struct wh_notification *n;
	uint64_t identity;
	int n0 = 0, n1 = 0, n2 = 0, verdicts = 0;
	int64_t from = T0 + 40 * 86400000LL, to = from + 3600000;

	if (store_open("sqlite", dir, &other, err, sizeof(err)) < 0) {
		T_FAIL("%s", err);
		return;
	}
	store_scan_notified(st, from, to, 0, count_notified, &n0);
	CHECK_INT(n0, 0);
	opts.dedup_window_ms = 60000;
	n = notif("firing", FIRING("import", "2026-02-10T00:00:00Z"));
	identity = n->alerts[0].identity;
	CHECK_INT(ingest_webhook(other, n, from + 1000, &opts, &res), 0);
	wh_free(n);
	store_close(other);

	store_model_stats(st, &before);
	CHECK(!before.current);
	store_scan_notified(st, from, to, 0, count_notified, &n1);
	CHECK_INT(n1, 1);		/* read from the database */
	store_model_stats(st, &after);
	CHECK_INT(after.scans_store - before.scans_store, 1);

	CHECK_INT(store_refresh(st), 0);
	store_model_stats(st, &before);
	CHECK(before.current);
	store_scan_notified(st, from, to, 0, count_notified, &n2);
	CHECK_INT(n2, 1);		/* and now from the model */
	store_model_stats(st, &after);
	CHECK_INT(after.scans_model - before.scans_model, 1);

	/* a verdict on the imported episode */
	CHECK_INT(store_find_feedback_episode(st, identity, 0, &e), 1);
	CHECK_INT(store_add_feedback(st, &e, "noise", "", "test", from + 2000),
	    0);
	store_model_stats(st, &before);
	store_scan_feedback(st, from, to, count_verdict, &verdicts);
	store_model_stats(st, &after);
	CHECK_INT(verdicts, 1);
	CHECK_INT(after.scans_model - before.scans_model, 1);
}

/* At shutdown an analysis must not run on: after store_cancel_reads the
 * scans fail, also those the model would have answered. */
TEST(cancelled_reads_fail_model_or_not)
{
	struct store_opts so = { .model_horizon_ms = 3650 * 86400000LL };
	struct store *s;
	char err[256];
	int n = 0;

	if (store_open_opts("sqlite", dir, &so, &s, err, sizeof(err)) < 0) {
		T_FAIL("%s", err);
		return;
	}
	CHECK_INT(store_scan_notified(s, T0, T0 + 86400000, 0, count_notified,
	    &n), 0);
	store_cancel_reads(s);
	CHECK_INT(store_scan_notified(s, T0, T0 + 86400000, 0, count_notified,
	    &n), -1);
	CHECK_CONTAINS(store_errmsg(s), "interrupted");
	store_close(s);
}

/* --- the in-memory model against the database ----------------------------
 * st keeps a model (model.h) current in its commit path; after every test
 * its answers to the analysis scans must be the database's, row for row,
 * as another handle without a model reads them. */

struct rows {
	char *s;
	size_t n, cap;
};

static void
row_add(struct rows *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = (size_t)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	if (r->n + len + 2 > r->cap) {
		r->cap = (r->n + len + 2) * 2;
		r->s = realloc(r->s, r->cap);
	}
	memcpy(r->s + r->n, line, len);
	r->n += len;
	r->s[r->n++] = '\n';
	r->s[r->n] = '\0';
}

static int
ep_row(const struct episode *e, void *p)
{
	row_add(p, "e %lld %016llx %lld %lld %lld %lld %lld %lld %u",
	    (long long)e->id, (unsigned long long)e->identity,
	    (long long)e->pending_at, (long long)e->firing_at,
	    (long long)e->resolved_at, (long long)e->first_notified_at,
	    (long long)e->last_notified_at, (long long)e->notifications,
	    e->sources);
	return 0;
}

static int
id_row(const struct identity_row *r, void *p)
{
	row_add(p, "i %016llx %s %s %lld %d %d",
	    (unsigned long long)r->identity, r->alertname, r->labels,
	    (long long)r->interval_ms, r->copies, r->dup_deliveries);
	return 0;
}

static int
notified_row(const struct notified_row *r, void *p)
{
	row_add(p, "n %lld %lld %s %s %lld %016llx %s",
	    (long long)r->notification, (long long)r->received_at,
	    r->receiver, r->group_labels, (long long)r->episode,
	    (unsigned long long)r->identity,
	    r->alertname ? r->alertname : "-");
	return 0;
}

static int
fb_row(int64_t episode, const char *verdict, void *p)
{
	row_add(p, "f %lld %s", (long long)episode, verdict);
	return 0;
}

static int
line_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The rows of r in sorted order: for scans whose order is not part of
 * their contract (identities, verdicts). */
static void
sort_rows(struct rows *r)
{
	char **v = NULL, *out;
	size_t n = 0, k = 0;

	for (char *l = r->s, *nl; l != NULL && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		*nl = '\0';
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = l;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), line_cmp);
	out = malloc(r->n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]);

		memcpy(out + k, v[i], len);
		k += len;
		out[k++] = '\n';
	}
	out[k] = '\0';
	free(r->s);
	free(v);
	r->s = out;
}

/* A walk of store_query_episodes, as text, stopped after max rows. */
struct listed {
	struct rows *out;
	int left;
};

static int
list_row(const struct episode_row *r, void *p)
{
	struct listed *l = p;
	char *labels = json_dumps(r->labels, JSON_SORT_KEYS | JSON_COMPACT);
	char *recv = json_dumps(r->receivers, JSON_COMPACT);

	ep_row(&r->e, l->out);
	row_add(l->out, "  %s %s %s", r->alertname, labels, recv);
	free(labels);
	free(recv);
	return --l->left <= 0;
}

/* The episode lists and open counts of st for [from, to). */
static void
lists_of(struct store *s, int64_t from, int64_t to, struct rows *all)
{
	const struct episode_filter f[] = {
		{ .since = from, .until = to },
		{ .since = from },
		{ .until = to },
		{ .alertname = "A", .since = from, .until = to },
		{ .open_only = 1 },
	};
	int64_t firing = -1, pending = -1;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		/* all of them, and the first two only */
		struct listed every = { all, INT_MAX }, two = { all, 2 };

		row_add(all, "list %zu", i);
		store_query_episodes(s, &f[i], list_row, &every);
		store_query_episodes(s, &f[i], list_row, &two);
	}
	store_count_open(s, &firing, &pending);
	row_add(all, "open %lld %lld", (long long)firing, (long long)pending);
}

/* Every scan of st over [from, to), as text. */
static char *
scans_of(struct store *s, int64_t from, int64_t to)
{
	struct rows all = { 0 }, ids = { 0 }, fb = { 0 };

	row_add(&all, "-");
	store_scan_episodes(s, from, to, ep_row, &all);
	store_scan_pending_only(s, from, to, ep_row, &all);
	store_scan_notified(s, from, to, 1, notified_row, &all);
	store_scan_notified(s, from, to, 0, notified_row, &all);
	store_scan_identities(s, from, to, id_row, &ids);
	store_scan_feedback(s, from, to, fb_row, &fb);
	sort_rows(&ids);
	sort_rows(&fb);
	row_add(&all, "%s%s", ids.s ? ids.s : "", fb.s ? fb.s : "");
	free(ids.s);
	free(fb.s);
	return all.s;
}

static void
model_matches_store(void)
{
	static const int64_t w[][2] = {
		{ T0 - 30 * 86400000LL, T0 + 365 * 86400000LL },
		{ T0 - 3600000, T0 + 86400000 },
		{ T0, T0 + 60000 },
		{ T0 + 30000, T0 + 300000 },
		{ T0 + 120000, T0 + 3600000 },
	};
	struct store *db;
	struct model_stats before, after;
	char err[256];

	if (store_open("sqlite", dir, &db, err, sizeof(err)) < 0) {
		T_FAIL("%s", err);
		return;
	}
	store_model_stats(st, &before);
	CHECK(before.current);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		char *m = scans_of(st, w[i][0], w[i][1]);
		char *d = scans_of(db, w[i][0], w[i][1]);

		if (strcmp(m, d) != 0)
			T_FAIL("window %zu: the model says\n%s\nthe store"
			    " says\n%s", i, m, d);
		free(m);
		free(d);
	}
	store_model_stats(st, &after);
	/* the model answered every scan, the database none */
	CHECK_INT(after.scans_model - before.scans_model, 6 * 5);
	CHECK_INT(after.scans_store - before.scans_store, 0);
	/* the episode lists: those from before the model's history are the
	 * database's (episode_list_reads_older_rows_from_the_database) */
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct rows m = { 0 }, d = { 0 };

		lists_of(st, w[i][0], w[i][1], &m);
		lists_of(db, w[i][0], w[i][1], &d);
		if (strcmp(m.s, d.s) != 0)
			T_FAIL("lists %zu: the model says\n%s\nthe store"
			    " says\n%s", i, m.s, d.s);
		free(m.s);
		free(d.s);
	}
	/* history from before what the model holds: the database answers */
	{
		char *m, *d;

		store_model_stats(st, &before);
		m = scans_of(st, 0, INT64_MAX / 2);
		d = scans_of(db, 0, INT64_MAX / 2);
		CHECK_STR(m, d);
		free(m);
		free(d);
		store_model_stats(st, &after);
		CHECK_INT(after.scans_store - before.scans_store, 6);
	}
	store_close(db);
}

/* The episode list: the rows the model holds come from it, in the
 * store's order, with their receivers; an episode resolved before the
 * model's history is listed from the database, after them. */
TEST(episode_list_reads_older_rows_from_the_database)
{
	struct ingest_result res;
	struct model_stats before, after;
	struct rows out = { 0 };
	struct listed all = { &out, INT_MAX }, one = { &out, 1 };
	struct episode_filter f = { .alertname = "L" };
	int64_t t = 1425168000000LL;	/* 2015-03-01: before the model */

#define L(inst, start) "{\"status\":\"firing\",\"labels\":{\"alertname\":" \
	"\"L\",\"instance\":\"" inst "\"},\"startsAt\":\"" start "\"}"
	CHECK_INT(put(notif("firing", L("old", "2015-03-01T00:00:00Z")),
	    t + 30000, 0, &res), 0);
	CHECK_INT(put(notif("resolved", "{\"status\":\"resolved\",\"labels\":"
	    "{\"alertname\":\"L\",\"instance\":\"old\"},\"startsAt\":"
	    "\"2015-03-01T00:00:00Z\",\"endsAt\":\"2015-03-01T01:00:00Z\"}"),
	    t + 3600000, 0, &res), 0);
	/* one episode told to two receivers, the later name first */
	CHECK_INT(put(notif_to("zeta", "firing",
	    L("new", "2026-02-01T00:00:00Z")), T0 + 31 * 86400000LL + 30000,
	    0, &res), 0);
	CHECK_INT(put(notif_to("alpha", "firing",
	    L("new", "2026-02-01T00:00:00Z")), T0 + 31 * 86400000LL + 31000,
	    0, &res), 0);

	store_model_stats(st, &before);
	CHECK_INT(store_query_episodes(st, &f, list_row, &all), 0);
	store_model_stats(st, &after);
	CHECK_INT(after.scans_model - before.scans_model, 1);
	CHECK_INT(after.scans_store - before.scans_store, 1);
	/* the new one from the model, with both receivers by name; then
	 * the old one from the database */
	CHECK_CONTAINS(out.s, "\n  L {\"alertname\":\"L\",\"instance\":"
	    "\"new\"} [\"alpha\",\"zeta\"]\n");
	CHECK(strstr(out.s, "\"new\"") < strstr(out.s, "\"old\""));
	CHECK_CONTAINS(out.s, "\"old\"} [\"team\"]\n");

	/* a walk the model's rows end: the database is not asked */
	free(out.s);
	memset(&out, 0, sizeof(out));
	before = after;
	CHECK_INT(store_query_episodes(st, &f, list_row, &one), 0);
	store_model_stats(st, &after);
	CHECK_INT(after.scans_store - before.scans_store, 0);
	CHECK_CONTAINS(out.s, "\"new\"");
	free(out.s);
#undef L
}

#undef RUN
#define RUN(name) do {							\
	t_cur = #name; t_cur_failed = 0;				\
	name();								\
	model_matches_store();						\
	if (t_cur_failed) t_failed++; else t_passed++;			\
	printf("%s %s\n", t_cur_failed ? "FAIL" : "ok  ", #name);	\
} while (0)

int
main(void)
{
	char err[256];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/an-test-ingest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	{
		/* the tests' times are in 2026: a model of ten years */
		struct store_opts so = { .model_horizon_ms =
		    3650 * 86400000LL };

		if (store_open_opts("sqlite", dir, &so, &st, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	}
	RUN(firing_opens_episodes);
	RUN(retry_within_window_changes_nothing);
	RUN(repeat_after_window_is_a_new_notification);
	RUN(resolved_closes_episode);
	RUN(refire_opens_a_new_episode);
	RUN(ha_replicas_are_one_episode);
	RUN(resolve_without_firing_creates_closed_episode);
	RUN(rw_pending_then_firing_then_resolved);
	RUN(rw_series_arriving_out_of_order_make_one_episode);
	RUN(rw_pending_that_never_fires);
	RUN(rw_ha_replicas_make_one_timeline);
	RUN(rw_ha_replica_ends_heard_out_of_order);
	RUN(rw_flapping_makes_one_episode_per_firing);
	RUN(rw_and_webhook_join_into_one_episode);
	RUN(webhook_first_then_rw_joins);
	RUN(staleness_timeout_ends_a_series_without_marker);
	RUN(rw_several_cycles_in_one_request_pair_up_in_time_order);
	RUN(rw_for_state_values_that_are_not_times_are_ignored);
	RUN(rw_series_caps_refuse_whole_requests);
	RUN(rw_series_written_in_a_rolled_back_savepoint_is_new_again);
	RUN(rw_series_written_in_a_rolled_back_transaction_is_as_before);
	RUN(rw_series_rows_match_what_was_applied);
	RUN(rw_series_pruned_is_new_again);
	RUN(rw_series_labels_in_any_order_are_one_series);
	RUN(rw_stale_marker_inside_a_request_ends_the_episode);
	RUN(rw_ha_catch_up_heard_replica_by_replica_keeps_two_episodes);
	RUN(late_firing_notification_does_not_reopen_or_merge);
	RUN(webhook_replica_copies_join_new_periods_do_not);
	RUN(restart_backlog_with_a_lagging_replica_and_a_webhook_first);
	RUN(rw_ha_short_gap_with_a_lagging_replica_is_two_episodes);
	RUN(webhook_before_its_firing_sample_joins_the_pending_period);
	RUN(another_process_commit_is_read_from_the_store_until_refresh);
	RUN(episode_list_reads_older_rows_from_the_database);
	RUN(cancelled_reads_fail_model_or_not);
	store_close(st);
	rc = t_done();
	t_rmdir(dir);
	return rc;
}

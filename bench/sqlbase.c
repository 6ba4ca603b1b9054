/* sqlbase.c -- the durable-write baseline for the webhook benchmark: one
 * synced SQLite transaction per notification, no HTTP, no JSON parsing.
 *
 *   sqlbase --dir=DIR [--threads=16] [--count=3000] [--alerts=10]
 *           [--mode=serial|own] [--warmup=1] [--name=LABEL]
 *
 * DIR/baseline.db (created afresh) is in WAL mode with synchronous=FULL, as
 * the daemon's store. Its two tables have the columns and indexes of the
 * daemon's notifications and notification_alerts, and each notification
 * (notif.h, the same ones whload posts) becomes one BEGIN IMMEDIATE, one
 * notification row, one row per alert (its labels and annotations JSON),
 * COMMIT -- i.e. one fsync'ed WAL commit per notification.
 *
 * mode=serial: the threads share one connection behind a mutex held from
 * BEGIN to COMMIT -- what the daemon's store does (store_sqlite.c).
 * mode=own: each thread has its own connection; SQLite's busy handler
 * (busy_timeout 10 s, which sleeps between retries) arbitrates the write
 * lock. Prints one key=value line with notifications per second. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "notif.h"

static const char *const SCHEMA =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "CREATE TABLE notifications ("
    "  id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL,"
    "  receiver TEXT NOT NULL, status TEXT NOT NULL,"
    "  group_key TEXT NOT NULL, group_labels TEXT NOT NULL,"
    "  common_labels TEXT NOT NULL, common_annotations TEXT NOT NULL,"
    "  external_url TEXT NOT NULL, truncated_alerts INTEGER NOT NULL,"
    "  num_alerts INTEGER NOT NULL, digest TEXT NOT NULL,"
    "  content_digest TEXT);"
    "CREATE INDEX notifications_received_at ON notifications (received_at);"
    "CREATE INDEX notifications_digest ON notifications (digest, received_at);"
    "CREATE INDEX notifications_content ON notifications"
    "  (content_digest, received_at);"
    "CREATE TABLE notification_alerts ("
    "  notification_id INTEGER NOT NULL REFERENCES notifications (id),"
    "  idx INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
    "  identity TEXT NOT NULL, episode_id INTEGER, alertname TEXT NOT NULL,"
    "  status TEXT NOT NULL, labels TEXT NOT NULL, annotations TEXT NOT NULL,"
    "  starts_at INTEGER NOT NULL, ends_at INTEGER,"
    "  generator_url TEXT NOT NULL, PRIMARY KEY (notification_id, idx));"
    "CREATE INDEX notification_alerts_fingerprint ON notification_alerts"
    "  (fingerprint);"
    "CREATE INDEX notification_alerts_episode ON notification_alerts"
    "  (episode_id);";

struct conn {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback, *ins_n, *ins_a;
	pthread_mutex_t lock;
};

struct worker {
	pthread_t th;
	struct conn *c;
	struct nt_notification *n;	/* its notifications */
	size_t count, nwarm;
	size_t index, nthreads;	/* notification r is number r * nthreads + index */
	double *lat_ms;
	size_t ndone, failed, busy_retries;
};

static char path[4096];
static pthread_barrier_t barrier;

static void
conn_open(struct conn *c)
{
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		bn_die("open %s: %s", path, sqlite3_errmsg(c->db));
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "BEGIN IMMEDIATE", -1, &c->begin,
	    NULL) || sqlite3_prepare_v2(c->db, "COMMIT", -1, &c->commit, NULL) ||
	    sqlite3_prepare_v2(c->db, "ROLLBACK", -1, &c->rollback, NULL) ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO notifications (received_at,"
	    " receiver, status, group_key, group_labels, common_labels,"
	    " common_annotations, external_url, truncated_alerts, num_alerts,"
	    " digest, content_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " 0, ?9, ?10, ?10)", -1, &c->ins_n, NULL) ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO notification_alerts"
	    " (notification_id, idx, fingerprint, identity, episode_id,"
	    " alertname, status, labels, annotations, starts_at, ends_at,"
	    " generator_url) VALUES (?1, ?2, ?3, ?3, NULL, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10)", -1, &c->ins_a, NULL))
		bn_die("prepare: %s", sqlite3_errmsg(c->db));
	pthread_mutex_init(&c->lock, NULL);
}

static void
conn_close(struct conn *c)
{
	sqlite3_finalize(c->begin);
	sqlite3_finalize(c->commit);
	sqlite3_finalize(c->rollback);
	sqlite3_finalize(c->ins_n);
	sqlite3_finalize(c->ins_a);
	sqlite3_close(c->db);
}

static int
step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* One notification, one synced transaction. Returns 0 or an SQLite code. */
static int
store_one(struct conn *c, const struct nt_notification *n, size_t seq)
{
	char digest[17];
	int rc;
	sqlite3_int64 id;

	if ((rc = step(c->begin)) != 0)
		return rc;
	snprintf(digest, sizeof(digest), "%016zx", seq * 0x9e3779b97f4a7c15u);
	sqlite3_bind_int64(c->ins_n, 1, (sqlite3_int64)time(NULL) * 1000);
	sqlite3_bind_text(c->ins_n, 2, n->receiver, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 3, n->firing ? "firing" : "resolved", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 4, n->group_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 5, n->group_labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 6, n->common_labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 7, n->common_annotations, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(c->ins_n, 8, n->external_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->ins_n, 9, (sqlite3_int64)n->nalerts);
	sqlite3_bind_text(c->ins_n, 10, digest, 16, SQLITE_STATIC);
	if ((rc = step(c->ins_n)) != 0)
		goto bad;
	id = sqlite3_last_insert_rowid(c->db);
	for (size_t j = 0; j < n->nalerts; j++) {
		const struct nt_alert *a = &n->alerts[j];

		sqlite3_bind_int64(c->ins_a, 1, id);
		sqlite3_bind_int64(c->ins_a, 2, (sqlite3_int64)j);
		sqlite3_bind_text(c->ins_a, 3, a->fingerprint, 16,
		    SQLITE_STATIC);
		sqlite3_bind_text(c->ins_a, 4, a->alertname, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->ins_a, 5, a->firing ? "firing" :
		    "resolved", -1, SQLITE_STATIC);
		sqlite3_bind_text(c->ins_a, 6, a->labels, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->ins_a, 7, a->annotations, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(c->ins_a, 8, a->starts_ms);
		if (a->ends_ms)
			sqlite3_bind_int64(c->ins_a, 9, a->ends_ms);
		else
			sqlite3_bind_null(c->ins_a, 9);
		sqlite3_bind_text(c->ins_a, 10, a->generator_url, -1,
		    SQLITE_STATIC);
		if ((rc = step(c->ins_a)) != 0)
			goto bad;
	}
	if ((rc = step(c->commit)) != 0)
		goto bad;
	return 0;
bad:
	step(c->rollback);
	return rc;
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;

	for (size_t r = 0; r < w->count; r++) {
		uint64_t t;
		int rc;

		if (r == w->nwarm)
			pthread_barrier_wait(&barrier);
		t = bn_now_ns();
		pthread_mutex_lock(&w->c->lock);
		while ((rc = store_one(w->c, &w->n[r], r * w->nthreads +
		    w->index)) == SQLITE_BUSY)
			w->busy_retries++;
		pthread_mutex_unlock(&w->c->lock);
		if (rc != 0)
			w->failed++;
		if (r >= w->nwarm)
			w->lat_ms[w->ndone++] = (double)(bn_now_ns() - t) / 1e6;
	}
	if (w->nwarm >= w->count)
		pthread_barrier_wait(&barrier);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sqlbase --dir=DIR [--threads=16] [--count=3000]"
	    " [--alerts=10] [--mode=serial|own] [--warmup=1] [--name=LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *v, *dir = NULL, *mode = "serial", *name = "baseline";
	size_t count = 3000, nalerts = 10, warm = 1, total, ndone = 0;
	size_t failed = 0, busy = 0;
	int nthreads = 16, rc, own;
	int64_t base_ms = (int64_t)time(NULL) * 1000 - 86400000;
	struct worker *ws;
	struct conn *shared = NULL;
	sqlite3 *db;
	double *all, elapsed;
	uint64_t t0;
	char *err = NULL;

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--dir", &v)) > 0)
			dir = v;
		else if ((rc = flag_value(argc, argv, &i, "--threads", &v)) > 0)
			nthreads = atoi(v);
		else if ((rc = flag_value(argc, argv, &i, "--count", &v)) > 0)
			count = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--alerts", &v)) > 0)
			nalerts = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--mode", &v)) > 0)
			mode = v;
		else if ((rc = flag_value(argc, argv, &i, "--warmup", &v)) > 0)
			warm = strtoul(v, NULL, 10);
		else if ((rc = flag_value(argc, argv, &i, "--name", &v)) > 0)
			name = v;
		else
			usage();
		if (rc < 0)
			usage();
	}
	if (dir == NULL || nthreads < 1 || count < 1 || nalerts < 1 ||
	    nalerts > NT_MAX_ALERTS || (strcmp(mode, "serial") != 0 &&
	    strcmp(mode, "own") != 0))
		usage();
	own = strcmp(mode, "own") == 0;

	for (int k = 0; k < 3; k++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char f[4200];

		snprintf(f, sizeof(f), "%s/baseline.db%s", dir, sfx[k]);
		unlink(f);
	}
	snprintf(path, sizeof(path), "%s/baseline.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, SCHEMA, NULL, NULL, &err) != SQLITE_OK)
		bn_die("%s: %s", path, err ? err : sqlite3_errmsg(db));
	sqlite3_close(db);

	total = count + warm * (size_t)nthreads;
	ws = calloc((size_t)nthreads, sizeof(*ws));
	if (!own) {
		shared = bn_xmalloc(sizeof(*shared));
		conn_open(shared);
	}
	for (int t = 0; t < nthreads; t++) {
		size_t per = total / (size_t)nthreads +
		    ((size_t)t < total % (size_t)nthreads);

		ws[t].n = bn_xmalloc(per * sizeof(*ws[t].n));
		ws[t].lat_ms = bn_xmalloc(per * sizeof(double));
		ws[t].nwarm = warm < per ? warm : per;
		ws[t].index = (size_t)t;
		ws[t].nthreads = (size_t)nthreads;
		if (own) {
			ws[t].c = bn_xmalloc(sizeof(*ws[t].c));
			conn_open(ws[t].c);
		} else {
			ws[t].c = shared;
		}
	}
	for (size_t i = 0; i < total; i++) {
		struct worker *w = &ws[i % (size_t)nthreads];

		nt_build(i, nalerts, base_ms, &w->n[w->count++]);
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
	for (int t = 0; t < nthreads; t++)
		pthread_create(&ws[t].th, NULL, run_worker, &ws[t]);
	pthread_barrier_wait(&barrier);
	t0 = bn_now_ns();
	for (int t = 0; t < nthreads; t++)
		pthread_join(ws[t].th, NULL);
	elapsed = (double)(bn_now_ns() - t0) / 1e9;

	all = bn_xmalloc(total * sizeof(double));
	for (int t = 0; t < nthreads; t++) {
		memcpy(all + ndone, ws[t].lat_ms, ws[t].ndone * sizeof(double));
		ndone += ws[t].ndone;
		failed += ws[t].failed;
		busy += ws[t].busy_retries;
	}
	for (int t = 0; t < nthreads; t++)
		if (own || t == 0)
			conn_close(ws[t].c);
	printf("sqlbase name=%s mode=%s threads=%d notifications=%zu "
	    "alerts_each=%zu elapsed_s=%.3f notif_per_s=%.1f p50_ms=%.2f "
	    "p99_ms=%.2f failed=%zu busy_retries=%zu\n", name, mode, nthreads,
	    ndone, nalerts, elapsed, (double)ndone / elapsed,
	    bn_quantile(all, ndone, 0.5), bn_quantile(all, ndone, 0.99),
	    failed, busy);
	return failed ? 3 : 0;
}

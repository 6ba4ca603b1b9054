/* test_commitq.c -- lib/store/commitq.c: group commit. Many threads queue writes
 * at once; each must get its own result, only once its write is committed
 * (seen from another connection to the store file, which sees committed
 * transactions only), and a write that fails must be undone alone. The
 * worker threads record what they saw; the checks run on the main thread
 * (t.h is not thread-safe). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "commitq.h"
#include "ingest.h"
#include "store.h"
#include "t.h"
#include "webhook.h"

#define THREADS 16
#define PER_THREAD 40
#define FAIL_EVERY 7		/* item k of each thread fails when k % 7 == 3 */

static char dir[64];
static struct store *st;

/* Batches the queue committed, as opts.observe saw them. */
static pthread_mutex_t obs_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t obs_commits, obs_items, obs_failed, obs_max;

static void
observe(void *arg, const struct commitq_batch *b)
{
	(void)arg;
	pthread_mutex_lock(&obs_lock);
	obs_commits += b->committed;
	obs_items += b->items;
	obs_failed += b->failed;
	if (b->items > obs_max)
		obs_max = b->items;
	pthread_mutex_unlock(&obs_lock);
}

static void
reset_observed(void)
{
	pthread_mutex_lock(&obs_lock);
	obs_commits = obs_items = obs_failed = obs_max = 0;
	pthread_mutex_unlock(&obs_lock);
}

/* A connection of its own to the store file: it sees committed data only. */
static long long
committed_count(sqlite3 *db, const char *sql, uint64_t id)
{
	sqlite3_stmt *s;
	char fp[17];
	long long v = -1;

	snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)id);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	sqlite3_bind_text(s, 1, fp, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static sqlite3 *
reader(void)
{
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/alertnoise.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* --- items that write an identity, and some that then fail ------------- */

/* A blocker: an item whose apply, inside the transaction, says it has
 * started and then waits until `others` items are queued behind it, so
 * that they all queue during its commit -- what the tests below are
 * about -- whatever the scheduler does. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started;
	struct commitq *q;
	size_t others;
};

static void
gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->started = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	/* within a deadline: a test that fails must not hang */
	if (commitq_wait_queued(g->q, g->others, 10000) < 0)
		T_FAIL("%zu items were not queued within 10 s", g->others);
}

/* Waits until the blocker's apply has started: its commit is in progress. */
static void
gate_wait_started(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->started)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void
gate_init(struct gate *g, struct commitq *q, size_t others)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->q = q;
	g->others = others;
}

static void
gate_destroy(struct gate *g)
{
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
}

struct ident_item {
	uint64_t identity;
	int fail;		/* after writing, break a foreign key */
	struct gate *gate;	/* the blocker: wait there first */
};

static int
apply_identity(struct store *s, void *arg)
{
	struct ident_item *it = arg;
	json_t *labels = json_pack("{s:s}", "alertname", "CQ");
	int rc;

	if (it->gate != NULL)
		gate_pass(it->gate);
	rc = store_upsert_identity(s, it->identity, "CQ", labels, 1000);
	if (rc == 0 && it->fail) {
		/* an alert of a notification that does not exist: the
		 * store refuses it (notification_alerts references
		 * notifications) after the identity was written */
		struct wh_alert a;

		memset(&a, 0, sizeof(a));
		a.labels = labels;
		a.annotations = labels;
		a.alertname = "CQ";
		a.generator_url = "";
		a.starts_ms = 1000;
		a.identity = it->identity;
		rc = store_insert_notification_alert(s, 999999999, 0, &a, 0);
	}
	json_decref(labels);
	return rc;
}

struct worker {
	pthread_t th;
	struct commitq *q;
	int index;
	int results[PER_THREAD];
	char errs[PER_THREAD][128];
	long long seen_after[PER_THREAD];	/* rows committed on return */
};

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	sqlite3 *db = reader();

	for (int k = 0; k < PER_THREAD; k++) {
		struct ident_item it = {
			.identity = (uint64_t)(w->index + 1) * 100000 +
			    (uint64_t)k,
			.fail = k % FAIL_EVERY == 3,
		};

		w->results[k] = commitq_run(w->q, apply_identity, &it, 100,
		    w->errs[k], sizeof(w->errs[k]));
		w->seen_after[k] = db == NULL ? -3 : committed_count(db,
		    "SELECT count(*) FROM identities WHERE identity = ?1",
		    it.identity);
	}
	sqlite3_close(db);
	return NULL;
}

TEST(many_threads_each_get_their_own_result)
{
	struct commitq_opts o = { .max_items = 8, .observe = observe };
	struct commitq *q = commitq_new(st, &o);
	struct worker *ws = calloc(THREADS, sizeof(*ws));
	size_t want_ok = 0, want_failed = 0;

	CHECK(q != NULL && ws != NULL);
	if (q == NULL || ws == NULL)
		return;
	reset_observed();
	for (int t = 0; t < THREADS; t++) {
		ws[t].q = q;
		ws[t].index = t;
		pthread_create(&ws[t].th, NULL, run_worker, &ws[t]);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(ws[t].th, NULL);
	for (int t = 0; t < THREADS; t++)
		for (int k = 0; k < PER_THREAD; k++) {
			if (k % FAIL_EVERY == 3) {
				want_failed++;
				CHECK_INT(ws[t].results[k], -1);
				CHECK_CONTAINS(ws[t].errs[k], "FOREIGN KEY");
				/* its identity was written, then undone */
				CHECK_INT(ws[t].seen_after[k], 0);
			} else {
				want_ok++;
				CHECK_INT(ws[t].results[k], 0);
				CHECK_STR(ws[t].errs[k], "");
				/* committed before commitq_run returned */
				CHECK_INT(ws[t].seen_after[k], 1);
			}
		}
	pthread_mutex_lock(&obs_lock);
	CHECK_INT(obs_items, want_ok + want_failed);
	CHECK_INT(obs_failed, want_failed);
	CHECK(obs_max <= 8);
	CHECK(obs_commits <= obs_items);
	pthread_mutex_unlock(&obs_lock);
	commitq_free(q);
	free(ws);
}

/* One slow item holds the transaction while the others queue: they are
 * committed together in the next one, the failing one rolled back alone. */
struct one {
	pthread_t th;
	struct commitq *q;
	struct ident_item it;
	int result;
	char err[128];
};

static void *
run_one(void *arg)
{
	struct one *o = arg;

	o->result = commitq_run(o->q, apply_identity, &o->it, 1, o->err,
	    sizeof(o->err));
	return NULL;
}

TEST(items_queued_during_a_commit_share_the_next_one)
{
	struct commitq_opts opts = { .observe = observe };
	struct commitq *q = commitq_new(st, &opts);
	struct one o[9];
	struct gate g;
	sqlite3 *db = reader();

	CHECK(q != NULL && db != NULL);
	if (q == NULL || db == NULL)
		return;
	reset_observed();
	memset(o, 0, sizeof(o));
	gate_init(&g, q, 8);
	for (int i = 0; i < 9; i++) {
		o[i].q = q;
		o[i].it.identity = 5000000 + (uint64_t)i;
		o[i].it.fail = i == 4;
		o[i].it.gate = i == 0 ? &g : NULL;
		pthread_create(&o[i].th, NULL, run_one, &o[i]);
		/* the first leads a commit of its own; the rest queue */
		if (i == 0)
			gate_wait_started(&g);
	}
	for (int i = 0; i < 9; i++)
		pthread_join(o[i].th, NULL);
	for (int i = 0; i < 9; i++) {
		CHECK_INT(o[i].result, i == 4 ? -1 : 0);
		CHECK_INT(committed_count(db, "SELECT count(*) FROM identities"
		    " WHERE identity = ?1", o[i].it.identity), i == 4 ? 0 : 1);
	}
	pthread_mutex_lock(&obs_lock);
	CHECK_INT(obs_items, 9);
	CHECK_INT(obs_failed, 1);
	/* the first alone, the eight that queued behind it together */
	CHECK_INT(obs_commits, 2);
	CHECK_INT(obs_max, 8);
	pthread_mutex_unlock(&obs_lock);
	sqlite3_close(db);
	gate_destroy(&g);
	commitq_free(q);
}

/* --- webhooks: a retry in the same batch is a duplicate ----------------- */

struct wh_one {
	pthread_t th;
	struct commitq *q;
	struct wh_notification *n;
	struct ingest_opts *opts;
	struct gate *gate;	/* the blocker */
	struct ingest_result res;
	int result;
	char err[128];
};

static int
apply_wh(struct store *s, void *arg)
{
	struct wh_one *w = arg;

	if (w->gate != NULL)
		gate_pass(w->gate);
	return ingest_webhook_apply(s, w->n, 1700000000000, w->opts, &w->res);
}

static void *
run_wh(void *arg)
{
	struct wh_one *w = arg;

	w->result = commitq_run(w->q, apply_wh, w, 1, w->err, sizeof(w->err));
	return NULL;
}

static struct wh_notification *
notif(const char *alertname)
{
	struct wh_notification *n = NULL;
	char body[1024], err[256];

	snprintf(body, sizeof(body), "{\"version\":\"4\",\"receiver\":\"r\","
	    "\"status\":\"firing\",\"groupKey\":\"{}:{}\",\"alerts\":[{"
	    "\"status\":\"firing\",\"labels\":{\"alertname\":\"%s\"},"
	    "\"startsAt\":\"2023-11-14T22:00:00Z\"}]}", alertname);
	if (wh_parse(body, strlen(body), NULL, 0, &n, err, sizeof(err)))
		fprintf(stderr, "bad test payload: %s\n", err);
	return n;
}

TEST(a_retry_in_the_same_batch_is_a_duplicate)
{
	struct ingest_opts opts = { .dedup_window_ms = 60000,
	    .source = EP_SRC_WEBHOOK };
	struct commitq_opts qo = { .observe = observe };
	struct commitq *q = commitq_new(st, &qo);
	struct wh_one w[3];
	struct gate g;

	CHECK(q != NULL);
	if (q == NULL)
		return;
	reset_observed();
	memset(w, 0, sizeof(w));
	gate_init(&g, q, 2);
	w[0].n = notif("CQBlocker");
	w[1].n = notif("CQRetried");
	w[2].n = notif("CQRetried");	/* the same payload again */
	for (int i = 0; i < 3; i++) {
		w[i].q = q;
		w[i].opts = &opts;
		w[i].gate = i == 0 ? &g : NULL;
		pthread_create(&w[i].th, NULL, run_wh, &w[i]);
		if (i == 0)
			gate_wait_started(&g);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	for (int i = 0; i < 3; i++)
		CHECK_INT(w[i].result, 0);
	CHECK_INT(w[0].res.duplicate, 0);
	/* one of the two was applied first and stored, the other saw it */
	CHECK_INT(w[1].res.duplicate + w[2].res.duplicate, 1);
	CHECK_INT(w[1].res.notification_id, w[2].res.notification_id);
	pthread_mutex_lock(&obs_lock);
	CHECK_INT(obs_commits, 2);
	pthread_mutex_unlock(&obs_lock);
	for (int i = 0; i < 3; i++)
		wh_free(w[i].n);
	gate_destroy(&g);
	commitq_free(q);
}

int
main(void)
{
	char err[256];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/an-test-commitq-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	if (store_open("sqlite", dir, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	RUN(many_threads_each_get_their_own_result);
	RUN(items_queued_during_a_commit_share_the_next_one);
	RUN(a_retry_in_the_same_batch_is_a_duplicate);
	store_close(st);
	rc = t_done();
	t_rmdir(dir);
	return rc;
}

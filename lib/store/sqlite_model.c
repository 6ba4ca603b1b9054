/* sqlite_model.c -- the SQLite backend's in-memory model (store_sqlite.c,
 * model.h): what each write touched, re-read once it is committed, or the
 * whole model loaded from the database.
 *
 * Every write records what it touched (ids, a relinked range, a merge);
 * once the commit is on disk, and before store_commit returns,
 * sqlite__model_sync re-reads those rows on the writer's connection and
 * puts them in the model: re-reading is idempotent, so what a rolled-back
 * savepoint touched does no harm. Another process's commit (alertnoised
 * import) is seen in the writer connection's data_version, which moves
 * with other connections' commits only; then, and after a prune, the
 * model is loaded again in full. */
#include "sqlite_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "model.h"
#include "timefmt.h"

void
sqlite__vec_add(struct sqlite_store *s, struct i64vec *v, int64_t x)
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

void
sqlite__mark_relinked(struct sqlite_store *s, uint64_t identity, int64_t from,
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

void
sqlite__dirty_clear(struct sqlite_store *s)
{
	struct dirty *dy = &s->dirty;

	dy->episodes.n = dy->notifications.n = dy->merged.n = 0;
	dy->series.n = dy->identities.n = 0;
	dy->nrelinked = 0;
	dy->reload = dy->failed = 0;
}

void
sqlite__dirty_free(struct sqlite_store *s)
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
	return rc == SQLITE_ROW ? 0 : sqlite__fail(s->db,
	    "reading the data version");
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
 * SQLITE_ROW, SQLITE_DONE, or -1 (sqlite__errbuf). */
static int
step_one(struct sqlite_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite__fail(s->db, "reading for the model");
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
		sqlite__column_episode(st, &e);
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
	a->identity = sqlite__column_fp(st, i);
	a->fingerprint = sqlite__column_fp(st, i + 1);
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
		sqlite__fail(s->db, "reading for the model");
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
	sqlite__bind_fp(st, 1, identity);
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

	sqlite__bind_fp(st, 1, series);
	if ((rc = step_one(s, st)) == SQLITE_ROW)
		result = model_put_series(d, series, sqlite__column_fp(st, 0),
		    sqlite__column_kind(st, 1), sqlite3_column_int64(st, 2));
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
		sqlite__vec_add(s, &s->dirty.notifications,
		    sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sqlite__fail(s->db,
	    "reading for the model");
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
		return sqlite__fail(s->db, "loading the model");
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(s, st, d, arg) < 0)
			break;
	if (rc == SQLITE_DONE)
		result = 0;
	else if (rc != SQLITE_ROW)
		sqlite__fail(s->db, "loading the model");
	else
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "loading the model: out of memory");
	sqlite3_finalize(st);
	return result;
}

static int
load_older(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	model_note_older(d, sqlite3_column_int64(st, 0));
	return 0;
}

static int
load_identity(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	return model_put_identity(d, sqlite__column_fp(st, 0),
	    (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 2));
}

static int
load_series(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	(void)s;
	(void)arg;
	return model_put_series(d, sqlite__column_fp(st, 0),
	    sqlite__column_fp(st, 1), sqlite__column_kind(st, 2),
	    sqlite3_column_int64(st, 3));
}

static int
load_episode(struct sqlite_store *s, sqlite3_stmt *st, struct model_data *d,
    void *arg)
{
	struct episode e;

	(void)s;
	(void)arg;
	sqlite__column_episode(st, &e);
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
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "out of memory");
		return -1;
	}
	memset(&nl, 0, sizeof(nl));
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite__fail(s->db, "loading the model");
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
	    /* the latest start of those not read: the start index
	     * backwards from from, to the first resolved before it */
	    load_rows(s, "SELECT coalesce(pending_at, firing_at) FROM episodes"
	    " WHERE coalesce(pending_at, firing_at) < ?1 AND resolved_at < ?1"
	    " ORDER BY coalesce(pending_at, firing_at) DESC LIMIT 1",
	    from, load_older, d, NULL) < 0 ||
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
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "loading the model: out of memory");
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
int
sqlite__model_reload(struct sqlite_store *s)
{
	struct model_data *d;
	int64_t dv, dv2;
	uint64_t gen;

	for (int tries = 0; tries < 3; tries++) {
		if (data_version(s, &dv) < 0 || load_all(s, &d) < 0)
			break;
		if (sqlite__generation(&s->base, &gen) == 0 &&
		    data_version(s, &dv2) == 0 && dv2 == dv) {
			model_install(s->base.model, d, gen);
			s->model_data_version = dv;
			s->model_ok = 1;
			return 0;
		}
		model_data_free(d);
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "loading the model: the store kept changing");
	}
	model_install(s->base.model, NULL, 0);
	s->model_ok = 0;
	return -1;
}

/* After a commit, under the write lock: puts what it wrote in the model.
 * Whatever goes wrong, the model is loaded again or left empty, never
 * left behind the store. */
void
sqlite__model_sync(struct sqlite_store *s)
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

		sqlite__bind_fp(st, 1, dy->relinked[i].identity);
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
	ok = ok && sqlite__generation(&s->base, &gen) == 0 &&
	    data_version(s, &dv2) == 0 && dv2 == dv;
	model_write_end(s->base.model, ok ? gen : 0, ok);
	free(ab.v);
	if (ok) {
		sqlite__dirty_clear(s);
		return;
	}
reload:
	sqlite__model_reload(s);
	sqlite__dirty_clear(s);
}

int
sqlite__refresh(struct store *stp)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	int64_t dv;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->model_ok || data_version(s, &dv) < 0 ||
	    dv != s->model_data_version)
		rc = sqlite__model_reload(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* sqlite_read.c -- the SQLite backend's reads (store_sqlite.c).
 *
 * The reads of the read-only connections, which never wait for a write or
 * its sync (WAL readers see the last commit): the API's episode query,
 * the analysis' scans of a window (when the in-memory model cannot answer
 * them, store.c), the feedback and open-episode lookups on the reader's
 * connection, which store_cancel_reads interrupts, and the generation on
 * a connection of its own. */
#include "sqlite_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "u64map.h"

/* PRAGMA data_version of a connection that writes nothing changes with
 * every commit of any other connection, in this process or another
 * (https://www.sqlite.org/pragma.html#pragma_data_version). */
int
sqlite__generation(struct store *st, uint64_t *gen)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int rc;

	pthread_mutex_lock(&s->vlock);
	if ((rc = sqlite3_step(s->data_version)) == SQLITE_ROW)
		*gen = (uint64_t)sqlite3_column_int64(s->data_version, 0);
	else
		sqlite__fail(s->vdb, "reading the data version");
	sqlite3_reset(s->data_version);
	pthread_mutex_unlock(&s->vlock);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* --- reads --------------------------------------------------------------- */

int
sqlite__query_episodes(struct store *stp, const struct episode_filter *f,
    int (*fn)(const struct episode_row *, void *), void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const char *const sql = "SELECT e.id, e.identity, e.pending_at,"
	    " e.firing_at, e.resolved_at, e.first_notified_at,"
	    " e.last_notified_at, e.notifications, e.sources, e.alertname,"
	    " i.labels, (SELECT json_group_array(r) FROM (SELECT DISTINCT"
	    "   n.receiver AS r FROM notification_alerts a JOIN notifications"
	    "   n ON n.id = a.notification_id WHERE a.episode_id = e.id"
	    "   ORDER BY r))"
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
		sqlite__fail(s->rdb, "querying episodes");
		goto out;
	}
	if (f->alertname)
		sqlite3_bind_text(st, 1, f->alertname, -1, SQLITE_STATIC);
	sqlite__bind_time(st, 2, f->since);
	sqlite__bind_time(st, 3, f->until);
	sqlite3_bind_int(st, 4, f->open_only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct episode_row row;
		json_error_t je;
		int stop;

		sqlite__column_episode(st, &row.e);
		row.alertname = (const char *)sqlite3_column_text(st, 9);
		row.labels = json_loads((const char *)sqlite3_column_text(st,
		    10), 0, &je);
		row.receivers = json_loads((const char *)sqlite3_column_text(st,
		    11), 0, &je);
		if (row.labels == NULL || row.receivers == NULL) {
			json_decref(row.labels);
			json_decref(row.receivers);
			snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
			    "bad JSON in store");
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
		sqlite__fail(s->rdb, "querying episodes");
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
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "scanning: interrupted");
		goto out;
	}
	if (sqlite3_prepare_v2(s->rdb, sql, -1, &st, NULL)) {
		sqlite__fail(s->rdb, "preparing a scan");
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
		sqlite__fail(s->rdb, "scanning");
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

	sqlite__column_episode(st, &e);
	return fn(&e, c->arg);
}

int
sqlite__scan_episodes(struct store *stp, int64_t from, int64_t to,
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
	e.identity = sqlite__column_fp(st, 1);
	e.pending_at = sqlite3_column_int64(st, 2);
	e.resolved_at = sqlite3_column_int64(st, 3);
	return fn(&e, c->arg);
}

int
sqlite__scan_pending_only(struct store *stp, int64_t from, int64_t to,
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
 * came in a duplicate delivery. */
struct alert_copies {
	uint64_t *fps;
	int nfps, cap;
	int dup;
};

/* The identities' alert_copies, v[index], the index from a map. */
struct copies_map {
	struct u64map index;		/* identity -> index in v */
	struct alert_copies *v;
	size_t n, cap;
	int failed;
};

/* The identity's alert_copies, added (empty) if it has none; NULL when out
 * of memory. */
static struct alert_copies *
copies_get(struct copies_map *m, uint64_t identity)
{
	uint64_t i;

	if (u64map_get(&m->index, identity, &i))
		return &m->v[i];
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct alert_copies *v = realloc(m->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	if (u64map_put(&m->index, identity, m->n) < 0)
		return NULL;
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	return &m->v[m->n++];
}

static void
copies_free(struct copies_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].fps);
	free(m->v);
	u64map_free(&m->index);
}

static int
copies_row(sqlite3_stmt *st, void *p)
{
	struct copies_map *m = p;
	struct alert_copies *c;
	uint64_t fp = sqlite__column_fp(st, 1);
	int k;

	if ((c = copies_get(m, sqlite__column_fp(st, 0))) == NULL)
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
	static const struct alert_copies none;
	struct identity_ctx *c = p;
	const struct alert_copies *ac = &none;
	struct identity_row r;
	uint64_t i;
	int series;

	r.identity = sqlite__column_fp(st, 0);
	r.alertname = (const char *)sqlite3_column_text(st, 1);
	r.labels = (const char *)sqlite3_column_text(st, 2);
	r.interval_ms = sqlite3_column_int64(st, 3);
	series = sqlite3_column_int(st, 4);
	if (u64map_get(&c->copies->index, r.identity, &i))
		ac = &c->copies->v[i];
	r.copies = ac->nfps > series ? ac->nfps : series;
	if (r.copies < 1)
		r.copies = 1;
	r.dup_deliveries = ac->dup;
	return c->fn(&r, c->arg);
}

int
sqlite__scan_identities(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct identity_row *, void *), void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	struct copies_map copies;
	struct identity_ctx c = { fn, arg, &copies };
	int rc;

	memset(&copies, 0, sizeof(copies));
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
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "out of memory");
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
	r.identity = sqlite__column_fp(st, 5);
	r.alertname = (const char *)sqlite3_column_text(st, 6);
	return fn(&r, c->arg);
}

int
sqlite__scan_notified(struct store *stp, int64_t from, int64_t to,
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

int
sqlite__scan_feedback(struct store *stp, int64_t from, int64_t to,
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

int
sqlite__scan_silences(struct store *stp, int64_t from, int64_t to,
    int (*fn)(const struct silence *, void *), void *arg)
{
	struct scan_ctx c = { (void *)fn, arg };

	return scan((struct sqlite_store *)stp,
	    "SELECT id, matchers, starts_at, ends_at, updated_at, created_by,"
	    " comment FROM silences WHERE ends_at > ?1 AND starts_at < ?2"
	    " ORDER BY starts_at, id", from, to, 0, 0, silence_row, &c);
}

/* --- feedback ------------------------------------------------------------ */

int
sqlite__find_feedback_episode(struct store *stp, uint64_t fp,
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
		return sqlite__fail(s->rdb, "looking up an episode");
	}
	sqlite__bind_fp(st, 1, fp);
	sqlite3_bind_int64(st, 2, starts_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sqlite__column_episode(st, e);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pthread_mutex_unlock(&s->rlock);
		return sqlite__fail(s->rdb, "looking up an episode");
	}
	pthread_mutex_unlock(&s->rlock);
	return rc == SQLITE_ROW;
}

/* --- counters ------------------------------------------------------------ */

/* At most this many label values per counter: more than any family of
 * /metrics has. A row with more, or whose labels are not an array of
 * strings, is not one sqlite__counter_add wrote: skipped. */
#define MAX_COUNTER_LABELS 16

int
sqlite__scan_counters(struct store *stp,
    int (*fn)(const char *, const char *const *, size_t, double, void *),
    void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v2(s->rdb, "SELECT family, labels, value"
	    " FROM counters ORDER BY family, labels", -1, &st, NULL)) {
		pthread_mutex_unlock(&s->rlock);
		return sqlite__fail(s->rdb, "reading the counters");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *family = (const char *)sqlite3_column_text(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 1);
		const char *values[MAX_COUNTER_LABELS];
		json_t *labels = text ? json_loads(text, 0, NULL) : NULL;
		size_t n = json_array_size(labels), i;
		int stop = 0;

		for (i = 0; i < n && i < MAX_COUNTER_LABELS; i++)
			if ((values[i] = json_string_value(
			    json_array_get(labels, i))) == NULL)
				break;
		if (family != NULL && json_is_array(labels) && i == n)
			stop = fn(family, values, n,
			    sqlite3_column_double(st, 2), arg);
		json_decref(labels);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	if (rc != SQLITE_DONE)
		return sqlite__fail(s->rdb, "reading the counters");
	return 0;
}

/* Open episodes are few and have a partial index (episodes_open). */
int
sqlite__count_open(struct store *stp, int64_t *firing, int64_t *pending)
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
		return sqlite__fail(s->rdb, "counting open episodes");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*firing = sqlite3_column_int64(st, 0);
		*pending = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	if (rc != SQLITE_ROW)
		return sqlite__fail(s->rdb, "counting open episodes");
	return 0;
}

/* --- an alert's links ----------------------------------------------------- */

/* A column's text as a new string; NULL when NULL or empty. */
static int
dup_col(sqlite3_stmt *st, int i, char **out)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	*out = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	return (*out = strdup(s)) != NULL ? 0 : -1;
}

/* The latest notified alert of the identity (notification_alerts_identity)
 * or of the alertname (notification_alerts_alertname): one seek. */
int
sqlite__alert_meta(struct store *stp, const char *alertname,
    uint64_t identity, struct alert_meta *out)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const char *const by_identity = "SELECT"
	    " json_extract(a.annotations, '$.runbook_url'), a.generator_url,"
	    " n.external_url, i.labels FROM notification_alerts a"
	    " JOIN notifications n ON n.id = a.notification_id"
	    " LEFT JOIN identities i ON i.identity = a.identity"
	    " WHERE a.identity = ?1 ORDER BY a.notification_id DESC LIMIT 1";
	static const char *const by_name = "SELECT"
	    " json_extract(a.annotations, '$.runbook_url'), a.generator_url,"
	    " n.external_url, NULL FROM notification_alerts a"
	    " INDEXED BY notification_alerts_alertname"
	    " JOIN notifications n ON n.id = a.notification_id"
	    " WHERE a.alertname = ?1 ORDER BY a.notification_id DESC LIMIT 1";
	sqlite3_stmt *st = NULL;
	int rc, result = -1;

	pthread_mutex_lock(&s->rlock);
	if (sqlite3_prepare_v3(s->rdb, identity ? by_identity : by_name, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL)) {
		sqlite__fail(s->rdb, "reading an alert's links");
		goto out;
	}
	if (identity)
		sqlite__bind_fp(st, 1, identity);
	else
		sqlite3_bind_text(st, 1, alertname ? alertname : "", -1,
		    SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		result = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sqlite__fail(s->rdb, "reading an alert's links");
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
	    dup_col(st, 0, &out->runbook_url) < 0)
		goto nomem;
	if (dup_col(st, 1, &out->generator_url) < 0 ||
	    dup_col(st, 2, &out->external_url) < 0)
		goto nomem;
	if (sqlite3_column_type(st, 3) == SQLITE_TEXT) {
		json_error_t je;

		out->labels = json_loads((const char *)sqlite3_column_text(st,
		    3), 0, &je);
		if (out->labels == NULL)
			goto nomem;
	}
	result = 1;
	goto out;
nomem:
	store_alert_meta_free(out);
	sqlite__fail(s->rdb, "reading an alert's links: out of memory");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->rlock);
	return result;
}

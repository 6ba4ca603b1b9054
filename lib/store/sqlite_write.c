/* sqlite_write.c -- the SQLite backend's writes (store_sqlite.c).
 *
 * Everything that happens on the writer's connection under its lock, from
 * store_begin to the commit or rollback: the transaction and its
 * savepoints, the writes of notifications, identities, episodes and
 * remote-written series (with the lookups ingest makes inside the
 * transaction, and the cache of series rows), the prune, and the
 * silences and verdicts, each a transaction of its own. Every write
 * records what it touched for the in-memory model (sqlite_model.c), which
 * the commit brings up to date before it returns. */
#include "sqlite_int.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static void series_cache_clear(struct sqlite_store *s);

/* Steps a statement that returns no rows, and resets it. */
static int
exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Records how a write transaction ended for store_write_fault, from the
 * errors sqlite__fail saw since its begin: a corrupt file (SQLITE_CORRUPT,
 * SQLITE_NOTADB) for good, a full disk or an I/O error (SQLITE_FULL,
 * SQLITE_IOERR but its out-of-memory case) until a transaction commits
 * (https://www.sqlite.org/rescode.html). Other errors (a busy lock, bad
 * data) say nothing of the next write. */
static void
note_outcome(struct sqlite_store *s, int committed)
{
	int code = sqlite__errcode & 0xff;

	pthread_mutex_lock(&s->faultlock);
	if (s->fault == STORE_FAULT_CORRUPT)
		;	/* stays */
	else if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
		s->fault = STORE_FAULT_CORRUPT;
		snprintf(s->fault_msg, sizeof(s->fault_msg), "%s",
		    sqlite__errbuf);
	} else if (!committed && (code == SQLITE_FULL ||
	    (code == SQLITE_IOERR && sqlite__errcode != SQLITE_IOERR_NOMEM))) {
		s->fault = STORE_FAULT_IO;
		snprintf(s->fault_msg, sizeof(s->fault_msg), "%s",
		    sqlite__errbuf);
	} else if (committed)
		s->fault = 0;
	pthread_mutex_unlock(&s->faultlock);
}

int
sqlite__write_fault(struct store *st, char *why, size_t whylen)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int fault;

	pthread_mutex_lock(&s->faultlock);
	fault = s->fault;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", fault ? s->fault_msg : "");
	pthread_mutex_unlock(&s->faultlock);
	return fault;
}

int
sqlite__begin(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	pthread_mutex_lock(&s->lock);
	sqlite__errcode = 0;
	s->live = __atomic_load_n(&s->live_committed, __ATOMIC_RELAXED);
	if (exec_stmt(s->stmt[Q_BEGIN]) < 0) {
		sqlite__fail(s->db, "beginning a transaction");
		note_outcome(s, 0);
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	return 0;
}

int
sqlite__commit(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (exec_stmt(s->stmt[Q_COMMIT]) < 0) {
		sqlite__fail(s->db, "committing");
		note_outcome(s, 0);
		exec_stmt(s->stmt[Q_ROLLBACK]);
		series_cache_clear(s);
		sqlite__dirty_clear(s);
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	note_outcome(s, 1);
	__atomic_store_n(&s->live_committed, s->live, __ATOMIC_RELAXED);
	/* before the caller acknowledges: read-your-writes */
	sqlite__model_sync(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
sqlite__rollback(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	note_outcome(s, 0);
	exec_stmt(s->stmt[Q_ROLLBACK]);
	series_cache_clear(s);
	sqlite__dirty_clear(s);
	pthread_mutex_unlock(&s->lock);
}

/* Writes page 1 again (the schema version, unchanged): the smallest write
 * that goes through the WAL and its sync as every commit does. */
int
sqlite__write_probe(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	char sql[64];

	if (sqlite__begin(st) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", s->version);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite__fail(s->db, "writing");
		sqlite__rollback(st);
		return -1;
	}
	return sqlite__commit(st);
}

/* Savepoints inside the open transaction (BEGIN IMMEDIATE): RELEASE of the
 * outermost one does not commit, the transaction stays open
 * (https://www.sqlite.org/lang_savepoint.html). */
int
sqlite__savepoint(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	assert(!sqlite3_get_autocommit(s->db));
	if (exec_stmt(s->stmt[Q_SAVEPOINT]) < 0)
		return sqlite__fail(s->db, "opening a savepoint");
	s->live_sp = s->live;
	return 0;
}

int
sqlite__savepoint_release(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (exec_stmt(s->stmt[Q_RELEASE]) < 0)
		return sqlite__fail(s->db, "releasing a savepoint");
	return 0;
}

/* After an I/O error, a full disk or out of memory SQLite may have rolled
 * back the whole transaction (https://www.sqlite.org/lang_transaction.html,
 * "Response To Errors Within A Transaction"): then there is no savepoint to
 * go back to and the connection is in autocommit mode again.
 * sqlite__errbuf keeps the error of the write that failed. */
int
sqlite__savepoint_rollback(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	series_cache_clear(s);
	s->live = s->live_sp;
	if (sqlite3_get_autocommit(s->db)) {
		s->live = __atomic_load_n(&s->live_committed,
		    __ATOMIC_RELAXED);
		return -1;
	}
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
sources_text(unsigned src, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s%s%s%s",
	    src & EP_SRC_WEBHOOK ? "webhook" : "",
	    (src & EP_SRC_WEBHOOK) && (src & ~EP_SRC_WEBHOOK) ? "," : "",
	    src & EP_SRC_REMOTE_WRITE ? "remote_write" : "",
	    (src & EP_SRC_REMOTE_WRITE) && (src & EP_SRC_IMPORT) ? "," : "",
	    src & EP_SRC_IMPORT ? "import" : "");
}

/* --- writes -------------------------------------------------------------- */

int
sqlite__find_notification(struct store *stp, uint64_t digest, int64_t since,
    int64_t *id)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_FIND_NOTIF];
	int rc;

	sqlite__bind_fp(st, 1, digest);
	sqlite3_bind_int64(st, 2, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite__fail(s->db, "looking up a notification");
	return rc == SQLITE_ROW;
}

int
sqlite__insert_notification(struct store *stp, const struct wh_notification *n,
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
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "out of memory");
		return -1;
	}
	sqlite3_bind_text(st, 8, n->external_url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, n->truncated_alerts);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)n->nalerts);
	sqlite__bind_fp(st, 11, n->digest);
	sqlite__bind_fp(st, 12, n->content_digest);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "storing a notification");
	*id = sqlite3_last_insert_rowid(s->db);
	sqlite__vec_add(s, &s->dirty.notifications, *id);
	return 0;
}

int
sqlite__insert_notification_alert(struct store *stp, int64_t notification_id,
    size_t idx, const struct wh_alert *a, int64_t episode_id)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_INS_ALERT];

	sqlite3_bind_int64(st, 1, notification_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
	sqlite__bind_fp(st, 3, a->fingerprint);
	sqlite__bind_fp(st, 4, a->identity);
	sqlite__bind_time(st, 5, episode_id);
	sqlite3_bind_text(st, 6, a->alertname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->status == WH_FIRING ? "firing" :
	    "resolved", -1, SQLITE_STATIC);
	if (bind_json_text(st, 8, a->labels, a->labels_json) < 0 ||
	    bind_json_text(st, 9, a->annotations, a->annotations_json) < 0) {
		sqlite3_clear_bindings(st);
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 10, a->starts_ms);
	sqlite__bind_time(st, 11, a->ends_ms);
	sqlite3_bind_text(st, 12, a->generator_url, -1, SQLITE_STATIC);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "storing an alert");
	sqlite__vec_add(s, &s->dirty.notifications, notification_id);
	sqlite__vec_add(s, &s->dirty.identities, (int64_t)a->identity);
	return 0;
}

int
sqlite__upsert_identity(struct store *stp, uint64_t identity,
    const char *alertname, const json_t *labels, int64_t seen_ms)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_IDENTITY_SEEN];
	int rc, covered = 0;

	/* most calls are for a known identity, often at a time it was
	 * already seen at: the labels need not be serialized again, nor the
	 * row rewritten when nothing changes */
	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, seen_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		covered = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite__fail(s->db, "looking up an identity");
	if (covered)
		return 0;
	if (rc == SQLITE_ROW) {
		st = s->stmt[Q_WIDEN_IDENTITY];
		sqlite__bind_fp(st, 1, identity);
		sqlite3_bind_int64(st, 2, seen_ms);
		if (exec_stmt(st) < 0)
			return sqlite__fail(s->db, "storing an identity");
		return 0;
	}
	st = s->stmt[Q_UPSERT_IDENTITY];
	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, alertname, -1, SQLITE_STATIC);
	if (bind_json(st, 3, labels) < 0) {
		sqlite3_clear_bindings(st);
		snprintf(sqlite__errbuf, sizeof(sqlite__errbuf),
		    "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 4, seen_ms);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "storing an identity");
	sqlite__vec_add(s, &s->dirty.identities, (int64_t)identity);
	return 0;
}

int
sqlite__episodes_near(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, struct episode *out, int max)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_EPISODES_NEAR];
	int n = 0, rc;

	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int(st, 4, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
		sqlite__column_episode(st, &out[n++]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite__fail(s->db, "looking up episodes");
	return n;
}

static void
bind_episode(sqlite3_stmt *st, const struct episode *e)
{
	char src[64];

	sqlite3_bind_int64(st, 1, e->id);
	sqlite__bind_fp(st, 2, e->identity);
	sqlite__bind_time(st, 3, e->pending_at);
	sqlite__bind_time(st, 4, e->firing_at);
	sqlite__bind_time(st, 5, e->resolved_at);
	sqlite__bind_time(st, 6, e->first_notified_at);
	sqlite__bind_time(st, 7, e->last_notified_at);
	sqlite3_bind_int64(st, 8, e->notifications);
	sources_text(e->sources, src, sizeof(src));
	sqlite3_bind_text(st, 9, src, -1, SQLITE_TRANSIENT);
}

int
sqlite__insert_episode(struct store *stp, struct episode *e,
    const char *alertname)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_INS_EPISODE];

	bind_episode(st, e);
	sqlite3_bind_text(st, 10, alertname, -1, SQLITE_STATIC);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "storing an episode");
	e->id = sqlite3_last_insert_rowid(s->db);
	sqlite__vec_add(s, &s->dirty.episodes, e->id);
	return 0;
}

/* Moves gone's notification alerts and verdicts to keep, then deletes
 * gone; the caller has written keep's merged times and counts. */
int
sqlite__merge_episode(struct store *stp, int64_t keep, int64_t gone)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	static const int q[] = { Q_MOVE_ALERTS, Q_MOVE_FEEDBACK, Q_DEL_EPISODE };

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st = s->stmt[q[i]];

		if (q[i] != Q_DEL_EPISODE)
			sqlite3_bind_int64(st, 1, keep);
		sqlite3_bind_int64(st, 2, gone);
		if (exec_stmt(st) < 0)
			return sqlite__fail(s->db, "merging episodes");
	}
	sqlite__vec_add(s, &s->dirty.episodes, keep);
	sqlite__vec_add(s, &s->dirty.episodes, gone);
	sqlite__vec_add(s, &s->dirty.merged, keep);
	return 0;
}

static int
recount(struct sqlite_store *s, int64_t episode)
{
	sqlite3_stmt *st = s->stmt[Q_RECOUNT];

	sqlite__vec_add(s, &s->dirty.episodes, episode);
	sqlite3_bind_int64(st, 1, episode);
	return exec_stmt(st);
}

int
sqlite__relink_alerts(struct store *stp, uint64_t identity, int64_t from,
    int64_t to, int64_t episode, int64_t at)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_RELINK_FIND];
	int64_t old[8];
	int n = 0, rc, moved;

	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, episode);
	sqlite3_bind_int64(st, 5, at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 8)
		old[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite__fail(s->db, "looking up notified alerts");
	if (n == 0)
		return 0;
	st = s->stmt[Q_RELINK];
	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, episode);
	sqlite3_bind_int64(st, 5, at);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "moving notified alerts");
	moved = sqlite3_changes(s->db);
	sqlite__mark_relinked(s, identity, from, to);
	if (recount(s, episode) < 0)
		return sqlite__fail(s->db, "counting notifications");
	for (int i = 0; i < n; i++)
		if (recount(s, old[i]) < 0)
			return sqlite__fail(s->db, "counting notifications");
	return moved;
}

int
sqlite__episode_has_copy(struct store *stp, int64_t episode,
    uint64_t fingerprint)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_HAS_COPY];
	int rc;

	sqlite3_bind_int64(st, 1, episode);
	sqlite__bind_fp(st, 2, fingerprint);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite__fail(s->db, "looking up an episode's alerts");
	return rc == SQLITE_ROW;
}

int
sqlite__update_episode(struct store *stp, const struct episode *e)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_UPD_EPISODE_TIMES];

	bind_episode(st, e);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "updating an episode");
	st = s->stmt[Q_UPD_EPISODE];
	bind_episode(st, e);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "updating an episode");
	sqlite__vec_add(s, &s->dirty.episodes, e->id);
	return 0;
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

int
sqlite__get_series(struct store *stp, uint64_t series, struct series_state *out)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_GET_SERIES];
	const struct cached_series *c = series_cache_get(&s->sc, series);
	int rc;

	if (c != NULL) {
		*out = c->s;
		return 1;
	}
	sqlite__bind_fp(st, 1, series);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->series = series;
		out->identity = sqlite__column_fp(st, 0);
		out->kind = sqlite__column_kind(st, 1);
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
		return sqlite__fail(s->db, "looking up a series");
	return rc == SQLITE_ROW;
}

/* Writes ss: an UPDATE of what changed when the cache knows the row (the
 * same identity and kind), else INSERT OR REPLACE. */
int
sqlite__put_series(struct store *stp, const struct series_state *ss)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	const struct cached_series *old = series_cache_get(&s->sc, ss->series);
	sqlite3_stmt *st = s->stmt[Q_PUT_SERIES];
	int null_value = isnan(ss->last_value), was_live = 0;
	int64_t rowid = 0;

	/* the live count needs the row's active as it was: a series the
	 * cache lost (a full cache, an expiry batch) is read first */
	if (old == NULL) {
		struct series_state prev;
		int rc = sqlite__get_series(stp, ss->series, &prev);

		if (rc < 0)
			return -1;
		if (rc == 1) {
			was_live = prev.active != 0;
			old = series_cache_get(&s->sc, ss->series);
		}
	} else {
		was_live = old->s.active != 0;
	}
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
		sqlite__bind_fp(st, 1, ss->series);
		if (st == s->stmt[Q_PUT_SERIES]) {
			sqlite__bind_fp(st, 2, ss->identity);
			sqlite3_bind_text(st, 3,
			    sqlite__kind_names[ss->kind], -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_int64(st, 9, rowid);
		}
		sqlite3_bind_int64(st, 4, ss->last_ts);
		sqlite3_bind_double(st, 5, ss->last_value);
		sqlite3_bind_int(st, 6, ss->active);
		sqlite3_bind_int64(st, 7, ss->received_at);
		sqlite__bind_time(st, 8, ss->interval_ms);
		if (st != s->stmt[Q_TOUCH_SERIES])
			sqlite__bind_time(st, 10, ss->run_start);
		if (exec_stmt(st) < 0) {
			series_cache_clear(s);
			return sqlite__fail(s->db, "storing a series");
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
		sqlite__vec_add(s, &s->dirty.series, (int64_t)ss->series);
	series_cache_put(&s->sc, ss, rowid);
	s->live += (ss->active != 0) - was_live;
	return 0;
}

int
sqlite__count_active_series(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t from, int64_t to,
    int strict)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_COUNT_ACTIVE];
	int rc, n = 0;

	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, sqlite__kind_names[kind], -1, SQLITE_STATIC);
	sqlite__bind_fp(st, 3, except);
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
		return sqlite__fail(s->db, "counting series");
	return n;
}

int
sqlite__last_series_end(struct store *stp, uint64_t identity,
    enum series_kind kind, uint64_t except, int64_t since, int64_t *last)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_LAST_END];
	int rc;

	sqlite__bind_fp(st, 1, identity);
	sqlite3_bind_text(st, 2, sqlite__kind_names[kind], -1, SQLITE_STATIC);
	sqlite__bind_fp(st, 3, except);
	sqlite3_bind_int64(st, 4, since);
	*last = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int64(st, 0);	/* NULL: 0 */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return sqlite__fail(s->db, "finding series ends");
	return 0;
}

int
sqlite__idle_series(struct store *stp, int64_t received_before,
    struct series_state *out, int max)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_IDLE_SERIES];
	int n = 0, rc;

	sqlite3_bind_int64(st, 1, received_before);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		struct series_state *o = &out[n++];

		o->series = sqlite__column_fp(st, 0);
		o->identity = sqlite__column_fp(st, 1);
		o->kind = sqlite__column_kind(st, 2);
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
		return sqlite__fail(s->db, "looking up idle series");
	return n;
}

int64_t
sqlite__live_series(struct store *stp, int committed)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;

	return committed ? __atomic_load_n(&s->live_committed,
	    __ATOMIC_RELAXED) : s->live;
}

int
sqlite__live_load(struct sqlite_store *s)
{
	sqlite3_stmt *st;
	int rc;

	/* through the partial index rw_series_active: the live rows only */
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM rw_series"
	    " INDEXED BY rw_series_active WHERE active = 1", -1, &st,
	    NULL) != SQLITE_OK)
		return sqlite__fail(s->db, "counting live series");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		s->live = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sqlite__fail(s->db, "counting live series");
	s->live_sp = s->live;
	__atomic_store_n(&s->live_committed, s->live, __ATOMIC_RELAXED);
	return 0;
}

int
sqlite__prune(struct store *stp, int64_t cutoff_ms,
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
	if (sqlite__begin(stp) < 0)
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
	return sqlite__commit(stp);
bad:
	sqlite__fail(s->db, "pruning");
	sqlite__rollback(stp);
	return -1;
}

/* --- silences ------------------------------------------------------------ */

int
sqlite__put_silences(struct store *stp, const struct silence *v, size_t n)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int written = 0;

	if (n == 0)
		return 0;
	if (sqlite__begin(stp) < 0)
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
	if (sqlite__commit(stp) < 0)
		return -1;
	return written;
bad:
	sqlite__fail(s->db, "storing silences");
	sqlite__rollback(stp);
	return -1;
}

/* --- feedback ------------------------------------------------------------ */

int
sqlite__add_feedback(struct store *stp, const struct episode *e,
    const char *verdict, const char *note, const char *by, int64_t at_ms)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st;
	int rc;

	if (sqlite__begin(stp) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO feedback (episode_id,"
	    " identity, verdict, note, by, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL)) {
		sqlite__fail(s->db, "storing feedback");
		sqlite__rollback(stp);
		return -1;
	}
	sqlite3_bind_int64(st, 1, e->id);
	sqlite__bind_fp(st, 2, e->identity);
	sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, at_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sqlite__fail(s->db, "storing feedback");
		sqlite__rollback(stp);
		return -1;
	}
	if (sqlite__counter_add(stp, STORE_COUNTER_FEEDBACK, &verdict, 1, 1)
	    < 0) {
		sqlite__rollback(stp);
		return -1;
	}
	sqlite__vec_add(s, &s->dirty.episodes, e->id);
	return sqlite__commit(stp);
}

/* --- counters ------------------------------------------------------------ */

int
sqlite__counter_add(struct store *stp, const char *family,
    const char *const *values, size_t nvalues, double delta)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;
	sqlite3_stmt *st = s->stmt[Q_COUNTER_ADD];
	json_t *labels;
	int rc = 0;

	if ((labels = json_array()) == NULL)
		goto nomem;
	for (size_t i = 0; i < nvalues && rc == 0; i++)
		rc = json_array_append_new(labels, json_string(values[i]));
	if (rc < 0 || bind_json(st, 2, labels) < 0) {
		json_decref(labels);
		sqlite3_clear_bindings(st);
		goto nomem;
	}
	json_decref(labels);
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, delta);
	if (exec_stmt(st) < 0)
		return sqlite__fail(s->db, "counting");
	return 0;
nomem:
	snprintf(sqlite__errbuf, sizeof(sqlite__errbuf), "out of memory");
	return -1;
}

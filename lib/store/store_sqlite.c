/* store_sqlite.c -- the embedded SQLite storage backend (store.h).
 *
 * One database file, <storage.path>/alertnoise.db, in WAL mode with
 * synchronous=FULL: a commit returns only after the WAL is fsync'ed, so a
 * committed transaction survives a crash or power loss
 * (https://www.sqlite.org/pragma.html#pragma_synchronous). The schema is
 * versioned with PRAGMA user_version and migrated forward at open; the README
 * documents every table and column for people who query the file with
 * sqlite3. Writers share one connection, serialized by a mutex held from
 * store_begin to commit/rollback; readers share a second, read-only
 * connection, so a query never waits for a sync (WAL readers see the last
 * commit).
 *
 * The backend is five files, sqlite_int.h says which holds what; this one
 * is the handle: it opens the connections (the writer's, the readers', the
 * generation's) with their pragmas, closes them, and holds the backend
 * table (store_impl.h) whose members the other files implement.
 *
 * A store that is not whole is not opened: an empty or missing database
 * file where the marker <storage.path>/store-id says a store was (written
 * at the first open for writing), and, when asked, one PRAGMA quick_check
 * finds corrupt; store_check runs the same checks read-only. The check
 * reads every page (seconds per GB; minutes from a cold disk), so a store
 * that was verified at open and closed cleanly leaves a note of its file's
 * identity (<storage.path>/clean-shutdown) and the next verified open skips
 * the check while the file is unchanged (clean_take). */
#include "sqlite_int.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model.h"
#include "timefmt.h"

/* Written beside the database when the store is first opened for writing:
 * from then on an empty alertnoise.db there is a store that lost its data
 * (truncated, deleted, a volume that came up empty), not a new one. */
#define MARKER		"store-id"
/* Written at a clean close of a verified store, taken (removed) by the next
 * open: the database file's identity then (clean_leave). */
#define CLEAN		"clean-shutdown"
#define WHAT_TO_DO	"restore it from a backup, or move it (with its " \
	"-wal and -shm files) away to start with an empty store"

static void sqlite_close(struct store *st);

/* 1 when the file at path is missing or empty, 0 when it has bytes, -1
 * when it cannot be told (errno). */
static int
file_empty(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return errno == ENOENT ? 1 : -1;
	return sb.st_size == 0;
}

/* Makes the entries made or removed in dir durable. */
static void
fsync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Refuses an empty (or missing) database file where the marker says a
 * store was: 0 when there is none to refuse, -1 with err. A database file
 * that is empty while its WAL holds frames is not refused: SQLite recovers
 * the store from the WAL. */
static int
marker_check(const char *dir, const char *file, char *err, size_t errlen)
{
	char marker[4200], wal[4200], since[40];
	struct stat sb;
	int empty = file_empty(file);

	if (empty != 1)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", file);
	snprintf(marker, sizeof(marker), "%s/" MARKER, dir);
	if (file_empty(wal) == 0)
		return 0;
	if (stat(marker, &sb) < 0) {
		if (errno == ENOENT)
			return 0;	/* a new store */
		snprintf(err, errlen, "%s: %s", marker, strerror(errno));
		return -1;
	}
	ts_format_rfc3339((int64_t)sb.st_mtime * 1000, since, sizeof(since));
	snprintf(err, errlen, "%s is %s, yet %s says a store was created here "
	    "(%s): its data is gone; restore it from a backup, or move %s "
	    "away too to start with an empty store", file, access(file, F_OK)
	    == 0 ? "empty" : "missing", marker, since, marker);
	return -1;
}

/* Writes the marker unless it is there. Returns 0 or -1 with err. */
static int
marker_write(const char *dir, char *err, size_t errlen)
{
	char marker[4200], text[256], now[40];
	int fd, n;

	snprintf(marker, sizeof(marker), "%s/" MARKER, dir);
	if ((fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "creating %s: %s", marker,
		    strerror(errno));
		return -1;
	}
	ts_format_rfc3339(ts_now_ms(), now, sizeof(now));
	n = snprintf(text, sizeof(text), "alertnoise store in this directory "
	    "since %s: alertnoised refuses to start on an empty alertnoise.db "
	    "while this file is here.\n", now);
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
		snprintf(err, errlen, "writing %s: %s", marker,
		    strerror(errno));
		close(fd);
		unlink(marker);
		return -1;
	}
	close(fd);
	fsync_dir(dir);
	return 0;
}

/* The database file's identity in the clean-shutdown note: any write to
 * the file through the file system moves its ctime (which no tool can set),
 * a copy or a restore changes its inode. */
struct file_id {
	uint64_t	dev, ino;
	int64_t		size, mtime_ns, ctime_ns;
};

static int
file_id_of(const char *file, struct file_id *id)
{
	struct stat sb;

	if (stat(file, &sb) < 0)
		return -1;
	id->dev = (uint64_t)sb.st_dev;
	id->ino = (uint64_t)sb.st_ino;
	id->size = (int64_t)sb.st_size;
	id->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	id->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 +
	    sb.st_ctim.tv_nsec;
	return 0;
}

/* Takes the clean-shutdown note before the store is opened for writing:
 * removes it (durably: a crash from here on leaves none) and returns 1
 * when it names file as it is now, with no WAL beside it, so that the
 * check at open can be skipped; 0 when the check must run (no note, a
 * changed file, a WAL to recover); -1 with err when the note cannot be
 * removed. */
static int
clean_take(const char *dir, const char *file, char *err, size_t errlen)
{
	char note[4200], wal[4200], line[256];
	struct file_id was, now;
	FILE *fp;
	int same = 0;

	snprintf(note, sizeof(note), "%s/" CLEAN, dir);
	snprintf(wal, sizeof(wal), "%s-wal", file);
	if ((fp = fopen(note, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "reading %s: %s", note, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "dev=%" SCNu64 " ino=%" SCNu64 " size=%" SCNd64
		    " mtime_ns=%" SCNd64 " ctime_ns=%" SCNd64, &was.dev,
		    &was.ino, &was.size, &was.mtime_ns, &was.ctime_ns) == 5) {
			same = file_id_of(file, &now) == 0 &&
			    was.dev == now.dev && was.ino == now.ino &&
			    was.size == now.size &&
			    was.mtime_ns == now.mtime_ns &&
			    was.ctime_ns == now.ctime_ns &&
			    file_empty(wal) == 1;
			break;
		}
	fclose(fp);
	if (unlink(note) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "removing %s: %s", note, strerror(errno));
		return -1;
	}
	fsync_dir(dir);
	return same;
}

/* Leaves the clean-shutdown note after the store's last connection has
 * closed (SQLite then checkpoints and removes the WAL). Nothing is left
 * when a WAL remains (another process has the store open) or the file's
 * times are whole seconds (a file system whose times cannot tell a later
 * write from this one). The note names the ctime the close left; it is
 * written once the clock has moved past it, so that any later write gives
 * the file another. Best effort: without a note the next open checks. */
static void
clean_leave(const char *dir, const char *file)
{
	char note[4200], tmp[4300], wal[4200], text[512];
	struct file_id id;
	struct timespec now;
	int fd, n, i;

	snprintf(note, sizeof(note), "%s/" CLEAN, dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", note);
	snprintf(wal, sizeof(wal), "%s-wal", file);
	if (file_empty(wal) != 1 || file_id_of(file, &id) < 0 ||
	    id.ctime_ns % 1000000000 == 0)
		return;
	for (i = 0; i < 100; i++) {	/* a clock tick: a few ms */
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		if ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec >
		    id.ctime_ns)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	if (i == 100)
		return;
	n = snprintf(text, sizeof(text), "# alertnoised closed alertnoise.db "
	    "cleanly; while the file is as below, the next start skips its "
	    "PRAGMA quick_check\ndev=%" PRIu64 " ino=%" PRIu64 " size=%" PRId64
	    " mtime_ns=%" PRId64 " ctime_ns=%" PRId64 "\n", id.dev, id.ino,
	    id.size, id.mtime_ns, id.ctime_ns);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		return;
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, note) < 0) {
		unlink(tmp);
		return;
	}
	fsync_dir(dir);
}

static int
is_corrupt(int code)
{
	code &= 0xff;
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

/* Runs PRAGMA quick_check, or integrity_check when full, on db and calls
 * found for each finding; a file SQLite cannot read as a database is one.
 * Returns 0 when there is none, 1 after findings, -1 with err when the
 * check could not run (a lock held too long, out of memory). */
static int
run_check(sqlite3 *db, int full, void (*found)(const char *, void *),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check" :
	    "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			t = (const char *)sqlite3_column_text(st, 0);
			if (t != NULL && strcmp(t, "ok") != 0) {
				found(t, arg);
				n++;
			}
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && is_corrupt(sqlite3_extended_errcode(db))) {
		found(sqlite3_errmsg(db), arg);
		n++;
	} else if (rc != SQLITE_OK && n == 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return n > 0;
}

/* The findings of the check at open, joined, as many as fit. */
struct findings {
	char text[768];
	size_t len;
};

static void
add_finding(const char *t, void *arg)
{
	static const char head[] = "*** in database main ***\n";
	struct findings *f = arg;
	int n;

	/* one line for the log: the schema's name goes */
	if (strncmp(t, head, sizeof(head) - 1) == 0)
		t += sizeof(head) - 1;
	if (f->len + 1 >= sizeof(f->text))
		return;
	n = snprintf(f->text + f->len, sizeof(f->text) - f->len, "%s%s",
	    f->len ? "; " : "", t);
	f->len = n < 0 ? f->len : f->len + (size_t)n;
	if (f->len >= sizeof(f->text))
		f->len = sizeof(f->text) - 1;
}

static int
sqlite_check(const char *path, int full, void (*found)(const char *, void *),
    void *arg, char *err, size_t errlen)
{
	char file[4096];
	sqlite3 *db = NULL;
	int rc;

	if ((size_t)snprintf(file, sizeof(file), "%s/alertnoise.db", path) >=
	    sizeof(file)) {
		snprintf(err, errlen, "storage path too long");
		return -1;
	}
	if (marker_check(path, file, err, errlen) < 0) {
		found(err, arg);
		return 1;
	}
	if (access(file, F_OK) < 0) {
		snprintf(err, errlen, "no store at %s (%s); is --storage.path "
		    "right?", file, strerror(errno));
		return -1;
	}
	if (file_empty(file) == 1)
		return 0;	/* created, nothing written yet */
	rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s: %s", file,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = run_check(db, full, found, arg, err, errlen);
	sqlite3_close(db);
	return rc;
}

/* Called by SQLite every few thousand steps of a reader's statement: a
 * non-zero return interrupts it (SQLITE_INTERRUPT). */
static int
reader_progress(void *p)
{
	struct sqlite_store *s = p;

	return __atomic_load_n(&s->cancel, __ATOMIC_RELAXED);
}

static int
sqlite_open(const char *path, const struct store_opts *opts,
    struct store **out, char *err, size_t errlen)
{
	struct sqlite_store *s;
	char file[4096];
	int busy_ms = opts->busy_timeout_ms > 0 ?
	    (int)opts->busy_timeout_ms : 5000;
	int rc, clean = 0;

	assert(opts->busy_timeout_ms >= 0 && opts->busy_timeout_ms <= INT_MAX);

	if (mkdir(path, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(file, sizeof(file), "%s/alertnoise.db", path) >=
	    sizeof(file)) {
		snprintf(err, errlen, "storage path too long");
		return -1;
	}
	if (marker_check(path, file, err, errlen) < 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->base.be = &store__sqlite;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->rlock, NULL);
	pthread_mutex_init(&s->vlock, NULL);
	pthread_mutex_init(&s->faultlock, NULL);
	/* the note of a clean close is taken before anything can write */
	if (opts->verify && ((s->dir = strdup(path)) == NULL ||
	    (clean = clean_take(path, file, err, errlen)) < 0)) {
		if (s->dir == NULL)
			snprintf(err, errlen, "out of memory");
		goto bad;
	}
	rc = sqlite3_open_v2(file, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s: %s", file,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto bad;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    /* savepoints (group commit) journal in memory, not a file */
	    "PRAGMA temp_store = MEMORY;"
	    /* pages written again and again (indexes) are copied to the
	     * database once per checkpoint: fewer, larger checkpoints */
	    "PRAGMA wal_autocheckpoint = 8192;",
	    NULL, NULL, NULL)) {
		snprintf(err, errlen, "%s: %s", file, sqlite3_errmsg(s->db));
		goto bad;
	}
	if (clean == 1)
		s->base.checked = STORE_CHECK_SKIPPED;
	else if (opts->verify) {
		struct findings f = { .len = 0 };

		rc = run_check(s->db, 0, add_finding, &f, err, errlen);
		if (rc == 1) {
			snprintf(err, errlen, "%s is corrupt (PRAGMA quick_check:"
			    " %s): " WHAT_TO_DO, file, f.text);
			sqlite_close(&s->base);
			return -1;
		}
		if (rc < 0)
			goto bad;
		s->base.checked = STORE_CHECK_RAN;
	}
	if (sqlite__migrate(s, err, errlen) < 0 ||
	    marker_write(path, err, errlen) < 0)
		goto bad;
	for (int i = 0; i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, sqlite__queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)) {
			snprintf(err, errlen, "preparing \"%.40s\": %s",
			    sqlite__queries[i], sqlite3_errmsg(s->db));
			goto bad;
		}
	if (sqlite__live_load(s) < 0) {
		snprintf(err, errlen, "%s", sqlite__errbuf);
		goto bad;
	}
	rc = sqlite3_open_v2(file, &s->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "opening %s for reading: %s", file,
		    s->rdb ? sqlite3_errmsg(s->rdb) : sqlite3_errstr(rc));
		goto bad;
	}
	sqlite3_busy_timeout(s->rdb, busy_ms);
	sqlite3_progress_handler(s->rdb, 4000, reader_progress, s);
	/* a connection of its own, so that asking never waits for a scan */
	if (sqlite3_open_v2(file, &s->vdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->vdb, "PRAGMA data_version", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->data_version, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "opening %s for reading: %s", file,
		    s->vdb ? sqlite3_errmsg(s->vdb) : "out of memory");
		goto bad;
	}
	sqlite3_busy_timeout(s->vdb, busy_ms);
	if (opts->model_horizon_ms > 0) {
		s->model_horizon_ms = opts->model_horizon_ms;
		if ((s->base.model = model_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
		if (sqlite__model_reload(s) < 0) {
			snprintf(err, errlen, "%s", sqlite__errbuf);
			goto bad;
		}
	}
	s->opened = 1;
	*out = &s->base;
	return 0;
bad:
	if (s->db != NULL && is_corrupt(sqlite3_extended_errcode(s->db))) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (%s is corrupt): " WHAT_TO_DO,
		    file);
	}
	sqlite_close(&s->base);
	return -1;
}

static void
sqlite_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	char file[4096];
	int closed;

	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	free(s->sc.slot);
	free(s->sc.used);
	sqlite3_finalize(s->data_version);
	model_free(s->base.model);
	sqlite__dirty_free(s);
	closed = sqlite3_close(s->vdb) == SQLITE_OK;
	closed &= sqlite3_close(s->rdb) == SQLITE_OK;
	closed &= sqlite3_close(s->db) == SQLITE_OK;
	/* a verified store that closes whole, with no write failing now,
	 * may skip the next check */
	if (s->dir != NULL && s->opened && closed && s->fault == 0 &&
	    (size_t)snprintf(file, sizeof(file), "%s/alertnoise.db", s->dir) <
	    sizeof(file))
		clean_leave(s->dir, file);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->rlock);
	pthread_mutex_destroy(&s->vlock);
	pthread_mutex_destroy(&s->faultlock);
	free(s);
}

static int
sqlite_schema_version(struct store *st)
{
	return ((struct sqlite_store *)st)->version;
}

static const char *
sqlite_errmsg(struct store *st)
{
	(void)st;
	return sqlite__errbuf;
}

static void
sqlite_cancel_reads(struct store *stp)
{
	struct sqlite_store *s = (struct sqlite_store *)stp;

	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
}

const struct store_backend store__sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.errmsg = sqlite_errmsg,
	.generation = sqlite__generation,
	.check = sqlite_check,
	.write_fault = sqlite__write_fault,
	.write_probe = sqlite__write_probe,
	.begin = sqlite__begin,
	.commit = sqlite__commit,
	.rollback = sqlite__rollback,
	.savepoint = sqlite__savepoint,
	.savepoint_release = sqlite__savepoint_release,
	.savepoint_rollback = sqlite__savepoint_rollback,
	.find_notification = sqlite__find_notification,
	.insert_notification = sqlite__insert_notification,
	.insert_notification_alert = sqlite__insert_notification_alert,
	.upsert_identity = sqlite__upsert_identity,
	.episodes_near = sqlite__episodes_near,
	.insert_episode = sqlite__insert_episode,
	.update_episode = sqlite__update_episode,
	.merge_episode = sqlite__merge_episode,
	.episode_has_copy = sqlite__episode_has_copy,
	.relink_alerts = sqlite__relink_alerts,
	.get_series = sqlite__get_series,
	.put_series = sqlite__put_series,
	.count_active_series = sqlite__count_active_series,
	.last_series_end = sqlite__last_series_end,
	.idle_series = sqlite__idle_series,
	.live_series = sqlite__live_series,
	.prune = sqlite__prune,
	.query_episodes = sqlite__query_episodes,
	.scan_episodes = sqlite__scan_episodes,
	.scan_pending_only = sqlite__scan_pending_only,
	.scan_identities = sqlite__scan_identities,
	.scan_notified = sqlite__scan_notified,
	.scan_feedback = sqlite__scan_feedback,
	.find_feedback_episode = sqlite__find_feedback_episode,
	.put_silences = sqlite__put_silences,
	.scan_silences = sqlite__scan_silences,
	.add_feedback = sqlite__add_feedback,
	.count_open = sqlite__count_open,
	.counter_add = sqlite__counter_add,
	.scan_counters = sqlite__scan_counters,
	.alert_meta = sqlite__alert_meta,
	.cancel_reads = sqlite_cancel_reads,
	.refresh = sqlite__refresh,
};

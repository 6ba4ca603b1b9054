/* model.h -- the in-memory alert model: what an analysis reads of the store.
 *
 * A compact copy of the rows the analysis scans (store.h, "analysis
 * reads") from a time on: the episodes resolved since then or still open
 * (with their last verdict), the notifications received since then and
 * their alerts, every identity and every remote-write series. The store
 * backend loads it when it opens and keeps it current in its commit path,
 * before store_commit returns, so a request that arrives after another
 * was acknowledged finds its data here. The store's scans are answered
 * from it when it covers their range and is current; otherwise from the
 * database, the same rows, slower.
 *
 * Threads: the data is guarded by one read-write lock. A scan holds the
 * read side while it walks (and calls back); a commit holds the write side
 * while it applies its rows (writers are preferred, so a stream of scans
 * cannot starve one). A full reload builds a new copy without the lock
 * and swaps it in.
 *
 * Nothing here knows SQL: lib/store/sqlite_model.c reads the rows and puts them
 * in. Times are ms since the epoch, 0 "none", as in store.h. */
#ifndef AN_MODEL_H
#define AN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rows.h"

struct model;
struct model_data;

/* A notification as the model keeps it (the strings are copied). */
struct model_notification {
	int64_t id, received_at;
	const char *receiver;
	const char *group_labels;	/* JSON object text */
	int firing;			/* status "firing" */
	int dup_delivery;
};

/* One alert of a notification. */
struct model_alert {
	uint64_t identity, fingerprint;
	int64_t episode;		/* 0: none */
	const char *alertname;
	int firing;
};

/* Verdicts (the last one given on an episode). */
enum { MODEL_NO_VERDICT, MODEL_ACTIONABLE, MODEL_NOISE };

struct model *model_new(void);
void model_free(struct model *m);

/* What the model holds, for /metrics and the README's figures. */
struct model_stats {
	int64_t from;			/* holds history since */
	size_t episodes, notifications, alerts, identities, series;
	size_t bytes;			/* allocated for them */
	int current;			/* 0: the store answers every scan */
	uint64_t gen;			/* the store generation it is as of */
	uint64_t scans_model, scans_store;	/* answered by each, so far */
};
void model_stats(struct model *m, struct model_stats *out);

/* --- building and changing (the store's writer only) --------------------- */

/* An empty copy holding history since from; NULL when out of memory. */
struct model_data *model_data_new(int64_t from);
void model_data_free(struct model_data *d);
/* Gives back what the arrays grew beyond their rows (after a full load:
 * they grew by doubling). */
void model_data_fit(struct model_data *d);

/* Each returns 0, or -1 when out of memory (the copy is then incomplete:
 * install none of it, or invalidate the model). Put replaces the row of
 * the same id; an episode resolved before the copy's from, or a
 * notification received before it, is dropped instead. */
int model_put_episode(struct model_data *d, const struct episode *e,
    int verdict);
void model_drop_episode(struct model_data *d, int64_t id);
/* Notes an episode that starts at start and is not held (it resolved
 * before the copy's from): the episode list leaves the rows that start by
 * then to the database. model_put_episode notes those it drops; a full
 * load notes the latest start of those it did not read. */
void model_note_older(struct model_data *d, int64_t start);
/* Sets the last verdict of a held episode (MODEL_*); others are ignored. */
void model_set_verdict(struct model_data *d, int64_t id, int verdict);
/* A copy of s (NULL: "") that lives as long as d, or NULL when out of
 * memory: strings given to the puts are copied this way anyway, and
 * putting an interned one costs a lookup, not a copy. */
const char *model_intern(struct model_data *d, const char *s);
/* alerts[0..nalerts) are the notification's; their order does not matter */
int model_put_notification(struct model_data *d,
    const struct model_notification *n, const struct model_alert *alerts,
    size_t nalerts);
void model_drop_notification(struct model_data *d, int64_t id);
int model_has_identity(const struct model_data *d, uint64_t identity);
int model_put_identity(struct model_data *d, uint64_t identity,
    const char *alertname, const char *labels);
int model_put_series(struct model_data *d, uint64_t series, uint64_t identity,
    enum series_kind kind, int64_t interval_ms);

/* Replaces the model's data with d (taking it) as of store generation gen,
 * and frees the old once no scan uses it. */
void model_install(struct model *m, struct model_data *d, uint64_t gen);
/* The current data, for changes in place, with the write lock held;
 * model_write_end releases it, the data now being as of gen (valid: 1) or
 * unusable until the next model_install (valid: 0). */
struct model_data *model_write_begin(struct model *m);
void model_write_end(struct model *m, uint64_t gen, int valid);
/* Until the next model_install, every scan answers MODEL_NOT_CURRENT. */
void model_invalidate(struct model *m);

/* --- reading --------------------------------------------------------------
 * The rows, order and contract of the store_scan_* of the same name, for
 * a model as of store generation gen. Each returns 0, -1 when out of
 * memory, or MODEL_NOT_CURRENT (nothing called) when the model is not as
 * of gen or does not hold all of [from, to): ask the store. */
#define MODEL_NOT_CURRENT (-2)

int model_scan_episodes(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(const struct episode *e, void *arg), void *arg);
/* *n gets how many episodes fired in [from, to): about what
 * model_scan_episodes returns, without the few that fired before from
 * and still fired then. 0, or MODEL_NOT_CURRENT. */
int model_count_fired(struct model *m, uint64_t gen, int64_t from,
    int64_t to, size_t *n);
int model_scan_pending_only(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(const struct episode *e, void *arg), void *arg);
int model_scan_identities(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(const struct identity_row *r, void *arg),
    void *arg);
int model_scan_notified(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int firing_only,
    int (*fn)(const struct notified_row *r, void *arg), void *arg);
int model_scan_feedback(struct model *m, uint64_t gen, int64_t from,
    int64_t to, int (*fn)(int64_t episode, const char *verdict, void *arg),
    void *arg);

/* How many episodes are open: *firing of them have fired, *pending not
 * yet (store_count_open). 0, or MODEL_NOT_CURRENT. */
int model_count_open(struct model *m, uint64_t gen, int64_t *firing,
    int64_t *pending);

/* A row of model_query_episodes. */
struct model_episode_row {
	struct episode e;
	const char *alertname;
	const char *labels;		/* the identity's, JSON object text */
	const char *const *receivers;	/* those notified of it, each once,
					   by name */
	size_t nreceivers;
};

/* The rows of store_query_episodes(f) that the model holds all of, in
 * its order (latest start first, then the highest id), until fn returns
 * non-zero. The model holds every episode resolved since its from, and
 * every open one: when f may list one it does not hold (f->since before
 * from, or 0), those start before *rest (model_note_older) and are left to
 * the caller, else *rest is 0. A row's receivers are those of the notifications received from
 * MODEL_RECEIVERS_SLACK_MS before its start on (a notification of an
 * alert comes after it fired). Returns 0 (*rest set), 1 when fn stopped
 * the walk, -1 when out of memory (rows may have been given), or
 * MODEL_NOT_CURRENT (nothing called). */
#define MODEL_RECEIVERS_SLACK_MS (24 * 3600 * 1000LL)
int model_query_episodes(struct model *m, uint64_t gen,
    const struct episode_filter *f, int64_t *rest,
    int (*fn)(const struct model_episode_row *r, void *arg), void *arg);

#endif

/* commitq.c -- group commit: a leader/follower queue of store writes
 * (commitq.h). */
#include "commitq.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_MAX_ITEMS 64
#define DEFAULT_MAX_BYTES ((size_t)16 << 20)
/* How often one batch is begun again after the store lost its whole
 * transaction (store_savepoint_rollback) before its remaining items fail:
 * that is an I/O error or a full disk, not one item's bad data. */
#define MAX_RESTARTS 3

/* One queued item. It lives on its caller's stack, in commitq_run, until
 * done is set (under the queue's lock): then the caller may return. */
struct item {
	int (*apply)(struct store *, void *);
	void *arg;
	size_t bytes;
	char *err;		/* the caller's */
	size_t errlen;
	struct item *next;
	pthread_cond_t wake;	/* done, or the queue needs a leader */
	int done;		/* under q->lock */
	int failed;		/* the leader's: set while a batch runs */
};

struct commitq {
	struct store *st;
	struct commitq_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t queued;		/* an item was queued */
	struct item *head, **tail;	/* queued, not yet taken */
	int leading;			/* a batch is being committed */
};

struct commitq *
commitq_new(struct store *st, const struct commitq_opts *opts)
{
	struct commitq *q;

	assert(st != NULL);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q);
		return NULL;
	}
	if (pthread_cond_init(&q->queued, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		free(q);
		return NULL;
	}
	q->st = st;
	if (opts != NULL)
		q->opts = *opts;
	if (q->opts.max_items == 0)
		q->opts.max_items = DEFAULT_MAX_ITEMS;
	if (q->opts.max_bytes == 0)
		q->opts.max_bytes = DEFAULT_MAX_BYTES;
	q->tail = &q->head;
	return q;
}

void
commitq_free(struct commitq *q)
{
	if (q == NULL)
		return;
	assert(q->head == NULL && !q->leading);
	pthread_cond_destroy(&q->queued);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static void
set_err(struct item *it, const char *what, const char *msg)
{
	it->failed = 1;
	snprintf(it->err, it->errlen, "%s%s", what, msg);
}

/* Applies the batch in one transaction, each item within a savepoint, and
 * commits it; sets each item's failed and err. Runs without q->lock. */
static void
commit_batch(struct commitq *q, struct item *batch, struct commitq_batch *b)
{
	struct store *st = q->st;
	struct item *it;
	char lost[256];
	int restarts = 0;

again:
	if (store_begin(st) < 0) {
		for (it = batch; it != NULL; it = it->next)
			if (!it->failed)
				set_err(it, "", store_errmsg(st));
		return;
	}
	for (it = batch; it != NULL; it = it->next) {
		if (it->failed)
			continue;
		if (store_savepoint(st) == 0 && it->apply(st, it->arg) == 0 &&
		    store_savepoint_release(st) == 0)
			continue;
		set_err(it, "", store_errmsg(st));
		if (store_savepoint_rollback(st) == 0)
			continue;
		/* the store lost the whole transaction: what the items
		 * before this one wrote is gone too */
		snprintf(lost, sizeof(lost), "%s", store_errmsg(st));
		store_rollback(st);
		if (++restarts <= MAX_RESTARTS)
			goto again;
		for (it = batch; it != NULL; it = it->next)
			if (!it->failed)
				set_err(it, "the transaction was lost: ", lost);
		return;
	}
	if (store_commit(st) < 0) {
		for (it = batch; it != NULL; it = it->next)
			if (!it->failed)
				set_err(it, "", store_errmsg(st));
		return;
	}
	b->committed = 1;
}

/* Takes a batch off the queue, commits it and wakes its waiters, then
 * wakes the next leader. Called and returns with q->lock held. */
static void
lead(struct commitq *q)
{
	struct commitq_batch b = { 0 };
	struct item *batch = q->head, *last = NULL, *it, *next;
	struct timespec t0, t1;

	assert(!q->leading && q->head != NULL);
	q->leading = 1;
	for (it = q->head; it != NULL; it = it->next) {
		if (b.items > 0 && (b.items == q->opts.max_items ||
		    b.bytes + it->bytes > q->opts.max_bytes))
			break;
		b.items++;
		b.bytes += it->bytes;
		it->failed = 0;
		last = it;
	}
	q->head = last->next;
	if (q->head == NULL)
		q->tail = &q->head;
	last->next = NULL;
	pthread_mutex_unlock(&q->lock);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	commit_batch(q, batch, &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b.seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (it = batch; it != NULL; it = it->next)
		b.failed += (size_t)it->failed;
	if (q->opts.observe != NULL)
		q->opts.observe(q->opts.observe_arg, &b);

	pthread_mutex_lock(&q->lock);
	for (it = batch; it != NULL; it = next) {
		next = it->next;	/* it may be gone once done is seen */
		it->done = 1;
		pthread_cond_signal(&it->wake);
	}
	q->leading = 0;
	if (q->head != NULL)
		pthread_cond_signal(&q->head->wake);
}

int
commitq_run(struct commitq *q, int (*apply)(struct store *, void *),
    void *arg, size_t bytes, char *err, size_t errlen)
{
	struct item it = { .apply = apply, .arg = arg, .bytes = bytes,
	    .err = err, .errlen = errlen };
	int failed;

	assert(apply != NULL && err != NULL && errlen > 0);
	err[0] = '\0';
	if (pthread_cond_init(&it.wake, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	*q->tail = &it;
	q->tail = &it.next;
	pthread_cond_broadcast(&q->queued);
	while (!it.done) {
		if (q->leading)
			pthread_cond_wait(&it.wake, &q->lock);
		else
			lead(q);
	}
	failed = it.failed;
	pthread_mutex_unlock(&q->lock);
	pthread_cond_destroy(&it.wake);
	return failed ? -1 : 0;
}

int
commitq_wait_queued(struct commitq *q, size_t n, int64_t timeout_ms)
{
	struct timespec until;
	size_t have;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(timeout_ms / 1000);
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	for (;;) {
		have = 0;
		for (const struct item *it = q->head; it != NULL; it = it->next)
			have++;
		if (have >= n || rc != 0)
			break;
		rc = pthread_cond_timedwait(&q->queued, &q->lock, &until);
	}
	pthread_mutex_unlock(&q->lock);
	return have >= n ? 0 : -1;
}

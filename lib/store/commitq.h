/* commitq.h -- group commit: concurrent writers share one transaction and
 * one sync.
 *
 * A commit with synchronous=FULL costs a WAL write and an fdatasync
 * whatever it holds, so one transaction per request caps the rate of
 * durable requests at the rate of syncs. Here each request thread prepares
 * its work (parses, validates) on its own, then calls commitq_run with an
 * apply callback and waits. The first thread to find no commit in
 * progress becomes the leader: it takes the queued items (up to a count
 * and a byte bound), opens one transaction, applies each item inside a
 * savepoint of its own -- an item that fails is rolled back alone and gets
 * its own error, the others go on -- commits and syncs once, and wakes
 * every waiter with its own result. Items queued meanwhile form the next
 * batch, led by one of their threads (leader/follower; LevelDB's
 * DBImpl::Write writers_ queue, PostgreSQL's commit_delay without the
 * delay). No thread is dedicated to it: the callers' threads do the work.
 *
 * Items are applied in the order they were queued, each seeing what the
 * earlier ones of its batch wrote, as if they had run one after another.
 * commitq_run returns 0 only once the transaction holding the item is
 * committed and synced: the caller may acknowledge then, not before. */
#ifndef AN_COMMITQ_H
#define AN_COMMITQ_H

#include <stddef.h>

#include "store.h"

struct commitq;

/* What one commit held, for metrics; given to opts.observe. */
struct commitq_batch {
	size_t items;		/* applied in the transaction */
	size_t failed;		/* of them, rolled back alone */
	size_t bytes;		/* sum of the items' bytes */
	int committed;		/* 0: the transaction failed as a whole */
	double seconds;		/* from begin to commit returned */
};

struct commitq_opts {
	size_t max_items;	/* per transaction; 0: 64 */
	size_t max_bytes;	/* per transaction, of the items' bytes (an
				   item larger than this goes alone); 0:
				   16 MiB */
	/* Called by the leader after each commit attempt, before the
	 * waiters are woken (so a metric counted here is visible by the
	 * time an item's caller answers); may be NULL. */
	void (*observe)(void *arg, const struct commitq_batch *b);
	void *observe_arg;
};

/* A queue writing to st (which must outlive it). opts may be NULL
 * (defaults). Returns NULL when out of memory. */
struct commitq *commitq_new(struct store *st, const struct commitq_opts *opts);

/* Frees q; no commitq_run may be in progress or start. NULL is allowed. */
void commitq_free(struct commitq *q);

/* Queues apply(st, arg) and waits until the transaction holding it has
 * been committed and synced. apply runs on some thread of the queue --
 * maybe another caller's -- inside the store's write transaction, within a
 * savepoint; it returns 0, or -1 after a store error (store_errmsg says
 * why, on the thread that ran it). arg and whatever apply writes through
 * it belong to the caller; they are not touched after commitq_run
 * returns. bytes is the item's size, for the batch bound.
 *
 * Returns 0 once the item's writes are durable. Returns -1 with a message
 * in err when apply failed (its writes were undone; other items of the
 * batch are not affected) or when the transaction could not be begun or
 * committed (nothing of it was written). */
int commitq_run(struct commitq *q, int (*apply)(struct store *, void *),
    void *arg, size_t bytes, char *err, size_t errlen);

/* Waits until at least n items are queued and not yet taken into a batch
 * (those that will wait for the commit in progress, if any), or timeout_ms
 * has passed. Returns 0, or -1 at the timeout. For tests that need others
 * queued behind a commit: woken by each item queued, not by a clock. */
int commitq_wait_queued(struct commitq *q, size_t n, int64_t timeout_ms);

#endif

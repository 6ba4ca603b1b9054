/* lanes.h -- the worker threads that answer HTTP requests off libmicro-
 * httpd's I/O threads (daemon/ only).
 *
 * A lane has a fixed number of workers and a bounded queue of jobs waiting
 * for one. http.c suspends a connection whose request is read,
 * submits a job, and the worker that runs it queues the response and
 * resumes the connection; the I/O threads never wait on the store or an
 * analysis. A full lane refuses the job at once (the caller answers 503
 * with Retry-After) instead of queueing without bound. */
#ifndef AN_LANES_H
#define AN_LANES_H

#include <stddef.h>

/* One unit of work, embedded in the caller's struct (container_of style):
 * run is called once on a worker thread with the job itself. */
struct lane_job {
	struct lane_job *next;
	void (*run)(struct lane_job *);
};

struct lane;

/* A lane named name (a metric label; static text) with workers threads
 * (>= 1) and room for max_waiting jobs waiting for one. NULL when out of
 * memory or a thread cannot be started. */
struct lane *lane_new(const char *name, int workers, size_t max_waiting);
/* Queues job: 0, or -1 when the queue is full or the lane stops (the job
 * is not run: the caller answers it). */
int lane_submit(struct lane *l, struct lane_job *job);
/* Jobs waiting and jobs running, for the metrics. */
void lane_counts(struct lane *l, size_t *waiting, size_t *running);
const char *lane_name(const struct lane *l);
/* Stops taking jobs, lets each worker finish the job it runs, drops the
 * jobs still waiting (their owner's cleanup frees them: for http.c,
 * libmicrohttpd closing the suspended connection) and joins the workers.
 * NULL is ignored. */
void lane_free(struct lane *l);

#endif

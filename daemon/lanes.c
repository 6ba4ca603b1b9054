/* lanes.c -- worker lanes (lanes.h): a mutex-guarded FIFO of jobs and the
 * threads that take from it. */
#include <pthread.h>
#include <stdlib.h>

#include "lanes.h"

struct lane {
	const char *name;
	pthread_mutex_t mu;		/* guards everything below */
	pthread_cond_t cv;		/* a job was queued, or stop */
	struct lane_job *head, *tail;
	size_t waiting, running, max_waiting;
	int stop;
	pthread_t *threads;
	int nthreads;			/* started */
};

static void *
worker(void *arg)
{
	struct lane *l = arg;
	struct lane_job *job;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (l->head == NULL && !l->stop)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->stop)
			break;
		job = l->head;
		if ((l->head = job->next) == NULL)
			l->tail = NULL;
		l->waiting--;
		l->running++;
		pthread_mutex_unlock(&l->mu);
		job->run(job);		/* job may be freed by now */
		pthread_mutex_lock(&l->mu);
		l->running--;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct lane *
lane_new(const char *name, int workers, size_t max_waiting)
{
	struct lane *l;

	if (workers < 1 || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->name = name;
	l->max_waiting = max_waiting;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if ((l->threads = calloc((size_t)workers, sizeof(pthread_t))) == NULL)
		goto fail;
	for (; l->nthreads < workers; l->nthreads++)
		if (pthread_create(&l->threads[l->nthreads], NULL, worker,
		    l) != 0)
			goto fail;
	return l;
fail:
	lane_free(l);
	return NULL;
}

int
lane_submit(struct lane *l, struct lane_job *job)
{
	int rc = -1;

	job->next = NULL;
	pthread_mutex_lock(&l->mu);
	if (!l->stop && l->waiting < l->max_waiting) {
		if (l->tail != NULL)
			l->tail->next = job;
		else
			l->head = job;
		l->tail = job;
		l->waiting++;
		pthread_cond_signal(&l->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void
lane_counts(struct lane *l, size_t *waiting, size_t *running)
{
	pthread_mutex_lock(&l->mu);
	*waiting = l->waiting;
	*running = l->running;
	pthread_mutex_unlock(&l->mu);
}

const char *
lane_name(const struct lane *l)
{
	return l->name;
}

void
lane_free(struct lane *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	l->head = l->tail = NULL;
	l->waiting = 0;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	for (int i = 0; i < l->nthreads; i++)
		pthread_join(l->threads[i], NULL);
	free(l->threads);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* timers.c -- the test clock's handshake: POST /-/test/clock (with
 * --test.clock) asks the main loop to run the timers that came due at the
 * new time (daemon_run_due_timers) and waits until the loop says they have
 * (timers_ran). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "timefmt.h"
#include "timers.h"

/* The main loop's timers run on ts_now_ms. daemon_run_due_timers counts a
 * request in asked and wakes the loop (SIGUSR1, taken by its sigtimedwait
 * only with --test.clock); the loop, once nothing is due, sets done to the
 * asked it read before it read the clock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t asked, done;	/* under lock */
	int stopped;		/* under lock: the loop has ended */
	pthread_t loop;		/* the main thread, with --test.clock */
} timers = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

uint64_t
timers_asked(void)
{
	uint64_t v;

	pthread_mutex_lock(&timers.lock);
	v = timers.asked;
	pthread_mutex_unlock(&timers.lock);
	return v;
}

/* The requests up to asked are served: the loop read the clock after it
 * read asked, and nothing is due at that time any more. */
void
timers_ran(uint64_t asked)
{
	pthread_mutex_lock(&timers.lock);
	if (timers.done < asked) {
		timers.done = asked;
		pthread_cond_broadcast(&timers.cond);
	}
	pthread_mutex_unlock(&timers.lock);
}

void
timers_stop(void)
{
	pthread_mutex_lock(&timers.lock);
	timers.stopped = 1;
	pthread_cond_broadcast(&timers.cond);
	pthread_mutex_unlock(&timers.lock);
}

int
daemon_run_due_timers(int64_t timeout_ms)
{
	struct timespec until;
	uint64_t mine;
	int rc;

	/* the condition variable's clock is the real one, not ts_now_ms */
	clock_gettime(CLOCK_REALTIME, &until);
	ts_add_ms(&until, timeout_ms);
	pthread_mutex_lock(&timers.lock);
	mine = ++timers.asked;
	if (!timers.stopped)
		pthread_kill(timers.loop, SIGUSR1);
	rc = 0;
	while (timers.done < mine && !timers.stopped && rc == 0)
		rc = pthread_cond_timedwait(&timers.cond, &timers.lock, &until);
	rc = timers.done >= mine ? 0 : -1;
	pthread_mutex_unlock(&timers.lock);
	return rc;
}

void
timers_set_loop(pthread_t loop)
{
	timers.loop = loop;
}

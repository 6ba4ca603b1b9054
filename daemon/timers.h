/* timers.h -- the handshake between POST /-/test/clock (--test.clock) and
 * the main loop, which runs the timers (timers.c; daemon/ only). */
#ifndef AN_TIMERS_H
#define AN_TIMERS_H

#include <pthread.h>
#include <stdint.h>

/* The main loop is thread loop: daemon_run_due_timers wakes it with
 * SIGUSR1, which the loop must take (sigtimedwait). Set it with
 * --test.clock, before the first request. */
void timers_set_loop(pthread_t loop);

/* The main loop's side. timers_asked: the requests so far, read before
 * the loop reads the clock; timers_ran: those up to asked are served
 * (nothing was due any more at that time); timers_stop: the loop has
 * ended, every waiter returns. */
uint64_t timers_asked(void);
void timers_ran(uint64_t asked);
void timers_stop(void);

/* For tests only (--test.clock), after ts_clock_advance: has the main loop
 * run the timers due at the new time (retention pruning, the staleness
 * check) and waits until they have run. Returns 0, or -1 when they did not
 * run within timeout_ms or the daemon is shutting down. */
int daemon_run_due_timers(int64_t timeout_ms);

#endif

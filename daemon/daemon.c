/* daemon.c -- the running configuration as every thread reads it
 * (daemon.h): a snapshot held for the reader under cfg_mu, which
 * daemon_reload (reload.c) swaps. */
#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "daemon.h"

const struct an_config *
daemon_config(struct daemon *d)
{
	const struct an_config *c;

	pthread_mutex_lock(&d->cfg_mu);
	c = cfg_hold(d->cfg);
	pthread_mutex_unlock(&d->cfg_mu);
	return c;
}

int64_t
daemon_default_window(struct daemon *d)
{
	const struct an_config *c = daemon_config(d);
	int64_t w = c->an_window_ms;

	cfg_release(c);
	return w;
}

/* reload.c -- the config file with the flags over it: loaded at start-up
 * (daemon_load_config), and again on SIGHUP and POST /-/reload
 * (daemon_reload), which swaps it in for the requests that follow, with the
 * web configuration file (--web.config.file, webconfig.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "sources.h"
#include "timefmt.h"
#include "webconfig.h"

/* Applies the flags over a loaded config: the daemon's, and those of
 * `alertnoised import` and `report` (through daemon_load_config), which set
 * the ones they take and leave the others NULL. Returns 0 or -1 with err. */
static int
apply_flags(const struct flags *f, struct an_config *c, char *err,
    size_t errlen)
{
	if (f->listen_address) {
		free(c->listen_address);
		if ((c->listen_address = strdup(f->listen_address)) == NULL)
			goto nomem;
	}
	if (f->storage_path) {
		free(c->storage_path);
		if ((c->storage_path = strdup(f->storage_path)) == NULL)
			goto nomem;
	}
	if (f->log_level && (c->log_level = log_level_parse(f->log_level)) < 0) {
		snprintf(err, errlen, "--log.level: \"%s\" is not one of debug, "
		    "info, warn, error", f->log_level);
		return -1;
	}
	if (f->log_format) {
		if (strcmp(f->log_format, "logfmt") == 0)
			c->log_format = LOG_FMT_LOGFMT;
		else if (strcmp(f->log_format, "json") == 0)
			c->log_format = LOG_FMT_JSON;
		else {
			snprintf(err, errlen, "--log.format: \"%s\" is not one "
			    "of logfmt, json", f->log_format);
			return -1;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct an_config *
daemon_load_config(const struct flags *f, char *err, size_t errlen)
{
	struct an_config *c;

	if (cfg_load(f->config_file, &c, err, errlen) < 0)
		return NULL;
	if (apply_flags(f, c, err, errlen) < 0) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

/* cfg_keep_restart_keys' report of a key that changes only at restart. */
static void
restart_only(const char *key, const char *running, const char *configured,
    void *arg)
{
	char msg[96];

	(void)arg;
	snprintf(msg, sizeof(msg), "%s changes only at restart", key);
	log_warn(msg, "running", running, "configured", configured);
}

int
daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	/* one reload at a time (SIGHUP and POST /-/reload): d->cfg changes
	 * only under it */
	static pthread_mutex_t reloading = PTHREAD_MUTEX_INITIALIZER;
	struct an_config *c, *old;
	struct webconfig *web = NULL, *old_web;
	const char *fail[] = { "failure" }, *ok[] = { "success" };
	int64_t sources_wait;

	if ((c = daemon_load_config(&d->flags, err, errlen)) == NULL) {
		log_error("Loading configuration file failed", "file",
		    d->flags.config_file, "err", err);
		met_set(d->m.reload_success, NULL, 0);
		met_add(d->m.reloads, fail, 1);
		return -1;
	}
	/* both files or neither: a broken web config keeps the old ones */
	if (d->flags.web_config_file != NULL && (web = webcfg_load(
	    d->flags.web_config_file, err, errlen)) == NULL) {
		log_error("Loading web configuration file failed", "file",
		    d->flags.web_config_file, "err", err);
		cfg_free(c);
		met_set(d->m.reload_success, NULL, 0);
		met_add(d->m.reloads, fail, 1);
		return -1;
	}
	pthread_mutex_lock(&reloading);
	old = d->cfg;
	old_web = d->web;
	/* plain or TLS is libmicrohttpd's at start; every other
	 * tls_server_config change applies to the next handshake (http.c) */
	if (web != NULL && old_web != NULL &&
	    webcfg_tls(web) != webcfg_tls(old_web))
		log_warn("turning TLS on or off changes only at restart: the "
		    "server goes on as it started", "file",
		    d->flags.web_config_file);
	/* what is read only at start keeps its running value (the running
	 * config itself is never written: requests read it) */
	if (cfg_keep_restart_keys(c, old, restart_only, NULL) < 0) {
		pthread_mutex_unlock(&reloading);
		cfg_free(c);
		webcfg_release(web);
		snprintf(err, errlen, "out of memory");
		log_error("Loading configuration file failed", "file",
		    d->flags.config_file, "err", err);
		met_set(d->m.reload_success, NULL, 0);
		met_add(d->m.reloads, fail, 1);
		return -1;
	}
	/* publish: requests from now on take c; those in flight keep old,
	 * which the last of them frees */
	pthread_mutex_lock(&d->cfg_mu);
	d->cfg = c;
	d->web = web;
	pthread_mutex_unlock(&d->cfg_mu);
	sources_wait = 2 * c->sources_timeout_ms + 1000;
	log_setup(c->log_level, c->log_format);
	pthread_mutex_unlock(&reloading);
	cfg_release(old);
	webcfg_release(old_web);
	analysis_cache_clear();		/* thresholds may have changed */
	/* the sources may be others now: read them before answering */
	sources_refresh(sources_wait);
	met_set(d->m.reload_success, NULL, 1);
	met_set(d->m.reload_success_ts, NULL, (double)ts_now_ms() / 1000.0);
	met_add(d->m.reloads, ok, 1);
	log_info("Completed loading of configuration file", "file",
	    d->flags.config_file);
	return 0;
}

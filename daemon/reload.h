/* reload.h -- the config file with the flags over it: loaded at start-up,
 * reloaded on SIGHUP and POST /-/reload (reload.c; daemon/ only). */
#ifndef AN_RELOAD_H
#define AN_RELOAD_H

#include <stddef.h>

#include "config.h"
#include "daemon.h"

/* Loads f->config_file and applies the flags f over it. Returns the new
 * config, the caller's to free, or NULL with err. */
struct an_config *daemon_load_config(const struct flags *f, char *err,
    size_t errlen);

/* Loads the config file and applies the flags; on success swaps it in and
 * applies what can change at run time. Returns 0, or -1 with a message in
 * err (the old config stays). Counted in the reload metrics. It never
 * waits for requests: they keep the config they started with. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

#endif

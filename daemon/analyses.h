/* analyses.h -- cached analyses for the read API (daemon/ only). */
#ifndef AN_ANALYSES_H
#define AN_ANALYSES_H

#include <stdio.h>

#include "analysis.h"
#include "daemon.h"

/* The analysis of the window_ms up to now, from the cache when fresh.
 * Returns it and a handle to release with analysis_put, or NULL with err.
 * The analysis stays valid until the handle is released. */
const struct analysis *analysis_get(struct daemon *d, int64_t window_ms,
    void **handle, char *err, size_t errlen);
void analysis_put(void *handle);

/* Drops every cached analysis (at exit, and when the config changes). */
void analysis_cache_clear(void);

#endif

/* ingest_routes.h -- the group-commit queue of the two write endpoints
 * (ingest_routes.c; their handlers are in routes.h; daemon/ only). */
#ifndef AN_INGEST_ROUTES_H
#define AN_INGEST_ROUTES_H

#include <stddef.h>

#include "daemon.h"

/* The group-commit queue the write endpoints share, with its metrics
 * (alertnoise_store_commit*). Start it after the store is open and before
 * http_start; stop it after http_stop, before store_close. Returns 0 or -1
 * with err. */
int ingest_routes_start(struct daemon *d, char *err, size_t errlen);
void ingest_routes_stop(void);

#endif

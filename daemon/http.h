/* http.h -- alertnoised's HTTP server: start and stop (http.c; daemon/
 * only). What the route handlers share is in respond.h and routes.h. */
#ifndef AN_HTTP_H
#define AN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* Starts the HTTP server on cfg->listen_address; -1 with err on failure. */
int http_start(struct daemon *d, char *err, size_t errlen);
/* Stops accepting connections, waits up to timeout_ms for requests in
 * flight, then stops the server. */
void http_stop(struct daemon *d, int64_t timeout_ms);

#endif

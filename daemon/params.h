/* params.h -- the query parameters of the read API (GET /api/v1/...), as
 * Prometheus' HTTP API takes them: which ones an endpoint takes (http.c's
 * route table lists them, params_check refuses the others), the deprecated
 * aliases, and windows (params.c; daemon/ only). */
#ifndef AN_PARAMS_H
#define AN_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "respond.h"

/* Checks every query parameter of c against allowed, the names an endpoint
 * takes separated by spaces ("match[] start end limit"; "" takes none).
 * Returns 0, or -1 with msg naming the unknown ones, a few at most:
 * unknown parameter "foo", unknown parameters "foo", "bar" and 2 more. */
int params_check(struct MHD_Connection *c, const char *allowed, char *msg,
    size_t msglen);

/* The value of the parameter name, or, when only its deprecated alias old
 * is given, old's (and a deprecation warning is added to r's answer,
 * request_warn). *value is NULL when neither is given; it points into c's
 * arguments, valid during the request. Both given: -1 with msg naming
 * both. */
int param_aliased(struct MHD_Connection *c, struct request *r,
    const char *name, const char *old, const char **value, char *msg,
    size_t msglen);

/* A window as the read API takes it: a Prometheus duration ("90m",
 * "1h30m", "7d", "2w") or seconds, a fraction allowed ("3600", "1.5"), as
 * Prometheus' parseDuration in web/api/v1; from 1ms to CFG_WINDOW_MAX_MS
 * (366d). Returns 0 and *ms, or -1 with *ms unchanged and msg saying what
 * is wanted. */
int param_window(const char *s, int64_t *ms, char *msg, size_t msglen);

#endif

/* openapi.h -- daemon/openapi.json, the OpenAPI 3.0.3 document of the HTTP
 * API, embedded at build time: the Makefile generates its definition from
 * the file (daemon/ only). Served by http.c at GET /api/v1/openapi.json. */
#ifndef AN_OPENAPI_H
#define AN_OPENAPI_H

#include <stddef.h>

/* The document's bytes, openapi_json_len of them, then a NUL. */
extern const char openapi_json[];
extern const size_t openapi_json_len;

#endif

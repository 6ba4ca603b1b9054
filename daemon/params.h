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

/* match[] parameters a request may give (Prometheus' selectors, any of
 * which selects). */
#define PARAMS_MATCH_MAX 16

/* The match[] parameters of c into v[0..PARAMS_MATCH_MAX), in order:
 * how many, or -1 with msg when there are more. */
int params_match(struct MHD_Connection *c, const char **v, char *msg,
    size_t msglen);

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

/* --- pages of a list ------------------------------------------------------
 * Every list of the read API takes limit (rows per answer) and next (the
 * token of the answer before). A token is opaque to clients: URL-safe
 * base64 (RFC 4648 section 5, unpadded) of a version byte, the list, a
 * digest of the query's other parameters (params_digest) and the last
 * row's sort key, so a page starts after a row, not at an offset: rows
 * added before that row between two pages shift nothing. */

#define PAGE_LIMIT_MAX	10000

/* The lists; a token names the one it was made for. */
enum page_list {
	PAGE_EPISODES = 1, PAGE_FIRING, PAGE_ALERTNAMES, PAGE_GROUPS,
	PAGE_RECOMMENDATIONS
};

/* A row's sort key, in the terms of its list (api.c says which). */
struct page_key {
	int64_t n;
	uint64_t u;
	const char *name;	/* NULL: none */
};

/* A limit: 1 to PAGE_LIMIT_MAX. Returns 0 and *limit, or -1 with msg. */
int param_limit(const char *s, size_t *limit, char *msg, size_t msglen);

/* A digest of list and c's query parameters but limit and next, whatever
 * their order (FNV-1a 64 of each name and value, mixed and summed). */
uint64_t params_digest(struct MHD_Connection *c, enum page_list list);

/* The token of a page of list that ended at k (digest: params_digest's).
 * Returns a string the caller frees, or NULL when out of memory. */
char *page_token(enum page_list list, uint64_t digest,
    const struct page_key *k);

/* Reads the token s into *k; k->name then points into *hold, which the
 * caller frees (NULL when none). Returns 0, or -1 with msg and *hold NULL:
 * malformed, or made for another list or digest ("invalid next token: it
 * belongs to another query"). */
int page_token_parse(const char *s, enum page_list list, uint64_t digest,
    struct page_key *k, char **hold, char *msg, size_t msglen);

#endif

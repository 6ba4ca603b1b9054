/* httpc.h -- what the daemon's three HTTP clients share: the client
 * commands (client.c), `alertnoised import` (import.c) and the sources
 * refresher (sources.c). A curl handle set up one way (http and https only,
 * alertnoised's User-Agent, any compression, no signals) and an answer body
 * bounded before it grows. */
#ifndef AN_HTTPC_H
#define AN_HTTPC_H

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"

/* The body of one answer, at most its limit. */
struct httpc_body {
	struct buf buf;
	int toobig;		/* the answer passed the limit */
};

/* A curl easy handle that writes each answer into b (initialised here,
 * empty, limit max: a longer answer sets b->toobig and fails the transfer
 * with CURLE_WRITE_ERROR, or CURLE_FILESIZE_EXCEEDED when the server says
 * its length first) and curl's error text into errbuf (CURL_ERROR_SIZE
 * bytes) when not NULL. NULL when out of memory (b is then empty and needs
 * no cleanup). The caller sets the URL and timeouts, empties b between
 * requests on one handle (httpc_body_reset), and frees both:
 * curl_easy_cleanup and buf_free(&b->buf). */
CURL *httpc_new(struct httpc_body *b, size_t max, char *errbuf);

/* Empties b for the next request on the same handle. */
void httpc_body_reset(struct httpc_body *b);

/* Drops the trailing '/' of s in place ("http://h:9093/" and "…//" alike),
 * so that paths are appended as base + "/api/…". Returns s. */
char *httpc_strip_slashes(char *s);

#endif

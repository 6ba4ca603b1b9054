/* bench.h -- what the benchmark programs under bench/ share: a clock,
 * order statistics, --flag=value parsing and a minimal HTTP/1.1 client.
 *
 * The client speaks just enough HTTP/1.1 for a load generator on loopback:
 * one persistent (keep-alive) connection, one request in flight, a response
 * read in full (Content-Length or chunked). It exists so that the generator
 * costs as little as possible per request and adds no hidden round trips
 * (no "Expect: 100-continue", Nagle off). Not a general-purpose client: it
 * trusts the server it measures. */
#ifndef AN_BENCH_H
#define AN_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "flags.h"	/* flag_value */

/* Monotonic nanoseconds. */
uint64_t bn_now_ns(void);

/* Sorts v[0..n) in place and returns its p-quantile (0 <= p <= 1) by the
 * nearest-rank method; 0 for n == 0. */
double bn_quantile(double *v, size_t n, double p);

/* The median of v[0..n) (sorts v). */
double bn_median(double *v, size_t n);

/* Dies with a message on stderr. */
void bn_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* malloc / realloc that die on failure (a benchmark has no use for OOM
 * recovery). */
void *bn_xmalloc(size_t n);
void *bn_xrealloc(void *p, size_t n);

/* --- HTTP ----------------------------------------------------------------- */

struct bn_url {
	char host[256];
	int port;
	char path[1024];
};

/* Parses "http://host:port/path". Returns 0 or -1. */
int bn_parse_url(const char *url, struct bn_url *u);

struct bn_conn {
	int fd;			/* -1: not connected */
	struct bn_url url;
	char *buf;		/* response bytes read, owned */
	size_t len, cap;
	size_t body_len;	/* of the last response */
	int reconnects;		/* times the server closed the connection */
	int timeout_ms;		/* per read/write; 0: none */
	int timed_out;		/* the last request failed by timing out */
};

void bn_conn_init(struct bn_conn *c, const struct bn_url *u);
void bn_conn_close(struct bn_conn *c);

/* Sends one request on c (connecting first when needed; reconnecting once
 * when the kept-alive connection turned out closed before any byte of the
 * answer) and reads the whole response. headers are extra header lines,
 * each ending in "\r\n" (may be ""). Returns the status code, or -1 on a
 * connection or protocol error. The body of the response is at
 * bn_conn_body(c), c->body_len bytes, until the next request. */
int bn_request(struct bn_conn *c, const char *method, const char *headers,
    const void *body, size_t len);

const char *bn_conn_body(const struct bn_conn *c);

#endif

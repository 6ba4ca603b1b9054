/* respond.h -- one HTTP request in progress and the helpers that answer it:
 * what alertnoised's route handlers share with http.c (respond.c; daemon/
 * only). */
#ifndef AN_RESPOND_H
#define AN_RESPOND_H

#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "daemon.h"
#include "lanes.h"

#define REQUEST_WARNINGS_MAX	4

/* One request in progress. Owned by MHD's per-connection pointer; made
 * and freed by http.c's dispatch (access_cb, completed_cb). */
struct request {
	struct daemon *d;
	const char *handler;	/* the metric label of the matched route */
	struct timespec start;
	struct buf body;
	int too_large;		/* the body passed the limit */
	/* Counts and answers a rejection of the body (reason: metric label) */
	enum MHD_Result (*reject)(struct MHD_Connection *, struct request *,
	    int code, const char *reason, const char *msg);
	int responded;		/* a response was queued before the body */
	int code;
	const char *url;	/* the path, percent-decoded by libmicrohttpd;
				   set when the handler is called, valid
				   during the call */
	char *warnings[REQUEST_WARNINGS_MAX];	/* request_warn's, owned */
	int nwarnings;
	size_t charged;		/* bytes of web.max_inflight_bytes held */
	int body_cost;		/* what a byte of the body costs of
				   web.max_inflight_bytes: 1, or more
				   when decoding it makes copies; a
				   route's headers callback sets it */
	int over_budget;	/* the body passed web.max_inflight_bytes */
	int charged_declared;	/* its Content-Length was charged whole */
	/* http.c's hand-over to a worker lane (lanes.h): the worker calls
	 * fn(conn, r) on the suspended connection, sets finished and resumes
	 * it; the I/O thread touches nothing of r meanwhile. */
	struct lane_job job;
	struct MHD_Connection *conn;
	enum MHD_Result (*fn)(struct MHD_Connection *, struct request *);
	int dispatched;
	int finished;
};

/* Adds a warning (copied) to the "warnings" of r's JSON answer, as
 * Prometheus' API warns: a deprecated parameter or path. One more than
 * REQUEST_WARNINGS_MAX, or out of memory, is dropped. */
void request_warn(struct request *r, const char *warning);
/* Frees what r holds (not r): http.c's completed_cb. */
void request_free_warnings(struct request *r);

/* Queue a response; body is copied. */
enum MHD_Result respond(struct MHD_Connection *c, struct request *r, int code,
    const char *content_type, const char *body, size_t len);
/* respond's answer with one more header, name: value (Retry-After,
 * Location, WWW-Authenticate); name NULL: none. */
enum MHD_Result respond_header(struct MHD_Connection *c, struct request *r,
    int code, const char *content_type, const char *body, size_t len,
    const char *name, const char *value);
/* An HTML page (copied) with the headers of every page alertnoised serves:
 * nothing loads but the inline style, forms post only here, no framing, no
 * caching, no referrer. */
enum MHD_Result respond_html(struct MHD_Connection *c, struct request *r,
    int code, const char *html, size_t len);
enum MHD_Result respond_text(struct MHD_Connection *c, struct request *r,
    int code, const char *text);
/* {"status":"success","data":data}, with "warnings":[...] when r has any
 * (request_warn); steals data (NULL: null). */
enum MHD_Result respond_json_data(struct MHD_Connection *c, struct request *r,
    int code, json_t *data);
/* respond_json_data's answer with "next":next beside "data" when next is
 * not NULL: the token of the page after this one (params.h page_token);
 * next is copied. */
enum MHD_Result respond_json_page(struct MHD_Connection *c, struct request *r,
    int code, json_t *data, const char *next);
/* {"status":"error","errorType":type,"error":msg}, as Prometheus' API. */
enum MHD_Result respond_json_error(struct MHD_Connection *c, struct request *r,
    int code, const char *type, const char *msg);

/* Seconds from start (CLOCK_MONOTONIC) to now. */
double elapsed_seconds(const struct timespec *start);

#endif

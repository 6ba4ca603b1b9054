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
	/* When its answer stops being worth computing (request_stopping):
	 * start + web.request_timeout of the config when it was dispatched,
	 * CLOCK_MONOTONIC milliseconds (replay.h rp_clock_ms); 0: never */
	int64_t deadline_ms;
	int64_t timeout_ms;	/* web.request_timeout, for the message */
	int stopped;		/* REQUEST_*: why its work was given up
				   (set by its worker; 0: it was not) */
};

/* Why a request's work stops (request_stopping), the label values of
 * alertnoise_analysis_cancelled_total{reason}. */
enum request_stop {
	REQUEST_LIVE = 0,
	REQUEST_GONE,		/* client_gone: the client hung up */
	REQUEST_DEADLINE,	/* deadline: web.request_timeout passed */
	REQUEST_SHUTDOWN	/* shutdown: the daemon stops */
};
const char *request_stop_reason(int why);

/* 1 when r's client has closed its side of the connection (or it broke):
 * poll(2) of the connection's socket for POLLRDHUP, POLLHUP or POLLERR,
 * without waiting. The TCP socket's, so it works under TLS too. A client
 * that half-closes after its request counts as gone, as for Go's
 * net/http. Cheap (one system call): ask it every ~100 ms of work. */
int request_gone(struct request *r);

/* Whether r's work should stop now, and why (enum request_stop): the
 * daemon stops (requests_shutdown), r's deadline_ms passed, or its client
 * is gone. NULL r (work no request asked for: the KPI refresher): only
 * the shutdown stops it. Sets r->stopped to the reason. */
int request_stopping(struct request *r);

/* The request the calling thread answers: set by http.c's worker around
 * the handler (request_enter, request_leave); NULL on any other thread. */
struct request *request_current(void);
void request_enter(struct request *r);
void request_leave(void);

/* Every request's work stops from now on (http_stop, at shutdown). */
void requests_shutdown(void);
int requests_shutting_down(void);

/* "WHAT took longer than web.request_timeout (Nms)" for why
 * REQUEST_DEADLINE (the calling thread's request_current says how long),
 * else "WHAT was given up: REASON": why work stopped, for a log or a
 * page. */
void request_stop_message(int why, const char *what, char *err,
    size_t errlen);

/* The answer to r after its work stopped (r->stopped): nothing for a
 * client gone (MHD_NO: libmicrohttpd closes the connection), 503
 * {"errorType":"timeout"} naming web.request_timeout past the deadline,
 * 503 "unavailable" at shutdown. */
enum MHD_Result respond_stopped(struct MHD_Connection *c, struct request *r);

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
/* {"status":"error","errorType":type,"error":msg}, as Prometheus' API.
 * A 503 for a request whose work stopped (r->stopped) is respond_stopped's
 * answer instead: every route's "store unavailable" after an analysis it
 * waited for was given up says why. */
enum MHD_Result respond_json_error(struct MHD_Connection *c, struct request *r,
    int code, const char *type, const char *msg);

/* Seconds from start (CLOCK_MONOTONIC) to now. */
double elapsed_seconds(const struct timespec *start);

#endif

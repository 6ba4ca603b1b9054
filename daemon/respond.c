/* respond.c -- answering one HTTP request (respond.h): the response helpers
 * every route handler, and http.c's dispatch, answer through. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "respond.h"
#include "timefmt.h"

double
elapsed_seconds(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

enum MHD_Result
respond(struct MHD_Connection *c, struct request *r, int code,
    const char *content_type, const char *body, size_t len)
{
	return respond_header(c, r, code, content_type, body, len, NULL, NULL);
}

enum MHD_Result
respond_header(struct MHD_Connection *c, struct request *r, int code,
    const char *content_type, const char *body, size_t len, const char *name,
    const char *value)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->stopped == REQUEST_GONE)	/* nobody to answer */
		return respond_stopped(c, r);
	resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", content_type);
	if (name != NULL)
		MHD_add_response_header(resp, name, value);
	ret = MHD_queue_response(c, (unsigned)code, resp);
	MHD_destroy_response(resp);
	r->code = code;
	r->responded = 1;
	return ret;
}

enum MHD_Result
respond_html(struct MHD_Connection *c, struct request *r, int code,
    const char *html, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->stopped == REQUEST_GONE)	/* nobody to answer */
		return respond_stopped(c, r);
	resp = MHD_create_response_from_buffer(len, (void *)html,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	    "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(c, (unsigned)code, resp);
	MHD_destroy_response(resp);
	r->code = code;
	r->responded = 1;
	return ret;
}

enum MHD_Result
respond_text(struct MHD_Connection *c, struct request *r, int code,
    const char *text)
{
	return respond(c, r, code, "text/plain; charset=utf-8", text,
	    strlen(text));
}

void
request_warn(struct request *r, const char *warning)
{
	if (r->nwarnings < REQUEST_WARNINGS_MAX &&
	    (r->warnings[r->nwarnings] = strdup(warning)) != NULL)
		r->nwarnings++;
}

void
request_free_warnings(struct request *r)
{
	for (int i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	r->nwarnings = 0;
}

/* As declared in respond.h. */
enum MHD_Result
respond_json_data(struct MHD_Connection *c, struct request *r, int code,
    json_t *data)
{
	return respond_json_page(c, r, code, data, NULL);
}

enum MHD_Result
respond_json_page(struct MHD_Connection *c, struct request *r, int code,
    json_t *data, const char *next)
{
	json_t *env = json_pack("{s:s, s:o}", "status", "success", "data",
	    data ? data : json_null());
	json_t *w = r->nwarnings > 0 ? json_array() : NULL;
	char *s;
	enum MHD_Result ret;

	for (int i = 0; w != NULL && i < r->nwarnings; i++)
		json_array_append_new(w, json_string(r->warnings[i]));
	if (env != NULL && w != NULL)
		json_object_set_new(env, "warnings", w);
	else
		json_decref(w);
	if (env != NULL && next != NULL &&
	    json_object_set_new(env, "next", json_string(next)) < 0) {
		json_decref(env);
		env = NULL;
	}
	s = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	if (s == NULL)
		return MHD_NO;
	ret = respond(c, r, code, "application/json", s, strlen(s));
	free(s);
	return ret;
}

static enum MHD_Result
json_error(struct MHD_Connection *c, struct request *r, int code,
    const char *type, const char *msg)
{
	json_t *env = json_pack("{s:s, s:s, s:s}", "status", "error",
	    "errorType", type, "error", msg);
	char *s = env ? json_dumps(env, JSON_COMPACT) : NULL;
	enum MHD_Result ret;

	json_decref(env);
	if (s == NULL)
		return MHD_NO;
	ret = respond(c, r, code, "application/json", s, strlen(s));
	free(s);
	return ret;
}

/* As declared in respond.h. */
enum MHD_Result
respond_json_error(struct MHD_Connection *c, struct request *r, int code,
    const char *type, const char *msg)
{
	if (code == 503 && r->stopped != REQUEST_LIVE)
		return respond_stopped(c, r);
	return json_error(c, r, code, type, msg);
}

/* --- stopping a request's work ------------------------------------------ */

static int shutting_down;			/* atomic */
static _Thread_local struct request *current;	/* the worker's request */

const char *
request_stop_reason(int why)
{
	switch (why) {
	case REQUEST_GONE:
		return "client_gone";
	case REQUEST_DEADLINE:
		return "deadline";
	case REQUEST_SHUTDOWN:
		return "shutdown";
	default:
		return "";
	}
}

int
request_gone(struct request *r)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd p;

	if (r == NULL || r->conn == NULL || (ci = MHD_get_connection_info(
	    r->conn, MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
		return 0;
	p.fd = ci->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int
request_stopping(struct request *r)
{
	int why = REQUEST_LIVE;

	if (__atomic_load_n(&shutting_down, __ATOMIC_RELAXED))
		why = REQUEST_SHUTDOWN;
	else if (r == NULL)
		return REQUEST_LIVE;
	else if (r->stopped != REQUEST_LIVE)
		return r->stopped;
	else if (r->deadline_ms > 0 && ts_mono_ms() >= r->deadline_ms)
		why = REQUEST_DEADLINE;
	else if (request_gone(r))
		why = REQUEST_GONE;
	if (r != NULL && why != REQUEST_LIVE && r->stopped == REQUEST_LIVE)
		r->stopped = why;
	return why;
}

struct request *
request_current(void)
{
	return current;
}

void
request_enter(struct request *r)
{
	current = r;
}

void
request_leave(void)
{
	current = NULL;
}

void
requests_shutdown(void)
{
	__atomic_store_n(&shutting_down, 1, __ATOMIC_RELAXED);
}

int
requests_shutting_down(void)
{
	return __atomic_load_n(&shutting_down, __ATOMIC_RELAXED);
}

void
request_stop_message(int why, const char *what, char *err, size_t errlen)
{
	struct request *r = request_current();

	if (why == REQUEST_DEADLINE && r != NULL)
		snprintf(err, errlen, "%s took longer than web.request_timeout "
		    "(%lldms)", what, (long long)r->timeout_ms);
	else if (why == REQUEST_LIVE)
		snprintf(err, errlen, "%s was given up", what);
	else
		snprintf(err, errlen, "%s was given up: %s", what,
		    request_stop_reason(why));
}

enum MHD_Result
respond_stopped(struct MHD_Connection *c, struct request *r)
{
	char msg[200];

	switch (r->stopped) {
	case REQUEST_GONE:	/* libmicrohttpd closes the connection */
		return MHD_NO;
	case REQUEST_DEADLINE:
		snprintf(msg, sizeof(msg), "the answer took longer than "
		    "web.request_timeout (%lldms): narrow the window or the "
		    "selection, or raise web.request_timeout",
		    (long long)r->timeout_ms);
		return json_error(c, r, 503, "timeout", msg);
	default:
		return json_error(c, r, 503, "unavailable",
		    "alertnoise is shutting down");
	}
}

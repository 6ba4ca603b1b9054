/* respond.c -- answering one HTTP request (respond.h): the response helpers
 * every route handler, and http.c's dispatch, answer through. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "respond.h"

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

/* {"status":"error","errorType":type,"error":msg}, as Prometheus' API. */
enum MHD_Result
respond_json_error(struct MHD_Connection *c, struct request *r, int code,
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

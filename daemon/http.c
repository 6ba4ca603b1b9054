/* http.c -- alertnoised's HTTP server on libmicrohttpd: start and stop, the
 * route table and its dispatch, and the daemon's own routes (/-/healthy,
 * /-/ready, /-/reload, /metrics, /api/v1/status/sources, buildinfo and
 * config, /api/v1/openapi.json, /-/test/clock).
 * The other routes' handlers are in their route files (routes.h); every
 * handler answers through respond.h.
 *
 * Request bodies are read into a size-capped buffer: a Content-Length over
 * the limit is refused before reading; a chunked body is not buffered past
 * the limit and is refused when it ends. All bodies held at once are
 * bounded too (web.max_inflight_bytes: 503 with Retry-After past it).
 *
 * Threads: libmicrohttpd reads and writes every connection on IO_THREADS
 * epoll threads (web.max_connections in all, web.max_connections_per_ip
 * and the whole-request deadline web.read_timeout kept by conns.h). A
 * request read whole is answered on one of two worker lanes (lanes.h):
 * ingest (webhook, remote write) and query (the rest), each with
 * web.max_concurrency workers and four times as many places to wait, so
 * neither a
 * slow analysis nor a burst of reads holds up ingestion; a full lane
 * answers 503 with Retry-After. The connection is suspended meanwhile; the
 * worker queues the response and resumes it. /-/healthy, /-/ready and
 * every refusal before the route are answered on the I/O thread.
 *
 * Before a route sees a request, two checks refuse it (counted in
 * alertnoise_http_requests_refused_total): a body whose length is
 * ambiguous (framing_error: 400, and the connection is closed, so nothing
 * smuggled behind it is answered), and a browser's POST or PUT from
 * another site (cross_origin: 403).
 *
 * With --web.config.file (webconfig.h) the server speaks TLS only, checks
 * client certificates, and every request but /-/healthy and /-/ready
 * authenticates (basic auth) and must be in its route's group of
 * web.authorization (ingest, read, admin) before anything else is read. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "analyses.h"
#include "buf.h"
#include "buildinfo.h"
#include "config.h"
#include "conns.h"
#include "daemon.h"
#include "http.h"
#include "lanes.h"
#include "log.h"
#include "openapi.h"
#include "params.h"
#include "reload.h"
#include "respond.h"
#include "routes.h"
#include "sources.h"
#include "timefmt.h"
#include "timers.h"
#include "webconfig.h"

/* libmicrohttpd's epoll threads: they only read, write and dispatch. */
#define IO_THREADS 4
/* Requests a lane keeps waiting, per worker: a burst of webhooks waits for
 * the group commit rather than being refused. */
#define LANE_WAITING 4
/* Seconds a client refused for load (503) is told to wait. */
#define RETRY_AFTER "1"

static struct MHD_Daemon *mhd;
static struct lane *lane_ingest, *lane_query;
static size_t inflight_max;	/* web.max_inflight_bytes */
static size_t inflight_bytes;	/* request bodies held now: atomic */
/* With TLS (tls_server_config at start), the daemon whose running web
 * config each handshake takes (tls_current); NULL: plain HTTP. */
static struct daemon *tls_d;
/* Every web config whose certificate, key or priorities went to a
 * handshake, held until http_stop: GnuTLS goes on using them after the
 * callback returns, and a reload may release the config meanwhile.
 * Reloads are rare, so the list stays short. The last is the one served
 * now. */
static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct webconfig **tls_kept;
static size_t tls_nkept;
static int in_flight;	/* requests started and not completed: atomic */
static void stop_serving(void);
static struct met_family *m_refused;	/* {reason} */

/* --- requests refused before their route sees them ---------------------- */

/* The reasons of alertnoise_http_requests_refused_total. */
#define R_FRAMING	"ambiguous_framing"
#define R_CROSS_ORIGIN	"cross_origin"
#define R_OVERLOADED	"overloaded"
#define R_INFLIGHT	"inflight_bytes"

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* NULL when the request's body length is certain, else why not. RFC 9112
 * section 6.1: a request with a Transfer-Encoding whose final coding is not
 * chunked has no reliable length; section 6.3: one with Content-Length too
 * may be smuggling a second request behind the first, and the connection
 * must be closed after the answer. The only coding libmicrohttpd decodes is
 * chunked alone, so anything else is refused. */
static const char *
framing_error(struct MHD_Connection *c)
{
	const char *te = header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);

	if (te == NULL)
		return NULL;
	if (header(c, MHD_HTTP_HEADER_CONTENT_LENGTH) != NULL)
		return "Content-Length and Transfer-Encoding together: the "
		    "length of the body is ambiguous";
	if (strcasecmp(te, "chunked") != 0)
		return "Transfer-Encoding other than chunked: the length of "
		    "the body is unknown";
	return NULL;
}

/* 0 when a request that changes state (POST, PUT) may be served, else -1
 * and why in msg. As Go's net/http CrossOriginProtection (src/net/http/
 * csrf.go): Sec-Fetch-Site, which every current browser sends, must be
 * same-origin or none (typed or bookmarked); without it, an Origin must
 * name this server: http or https and host[:port] equal to Host (the
 * scheme is not compared, so a TLS-terminating proxy in front works).
 * A request with neither header is not a browser's (curl, Alertmanager,
 * Prometheus): served. A cross-site HTML form, or a fetch without CORS,
 * can post form bodies anywhere; this keeps them from recording verdicts
 * or reloading the config in the name of whoever's browser it is. */
static int
cross_origin(struct MHD_Connection *c, char *msg, size_t msglen)
{
	const char *site = header(c, "Sec-Fetch-Site");
	const char *origin = header(c, "Origin");
	const char *host = header(c, MHD_HTTP_HEADER_HOST);
	const char *h;

	if (site != NULL) {
		if (strcasecmp(site, "same-origin") == 0 ||
		    strcasecmp(site, "none") == 0)
			return 0;
		snprintf(msg, msglen, "cross-origin request refused: "
		    "Sec-Fetch-Site is \"%.40s\", want same-origin", site);
		return -1;
	}
	if (origin == NULL)
		return 0;
	h = strncasecmp(origin, "http://", 7) == 0 ? origin + 7 :
	    strncasecmp(origin, "https://", 8) == 0 ? origin + 8 : NULL;
	if (h != NULL && host != NULL && *host != '\0' &&
	    strcasecmp(h, host) == 0)
		return 0;
	snprintf(msg, msglen, "cross-origin request refused: Origin \"%.100s\""
	    " is not this server (Host \"%.100s\")", origin,
	    host ? host : "");
	return -1;
}

/* Answers 400 or 403 for a request refused before its route: JSON for
 * the API, text for the rest; counted by reason. close_after: the
 * connection is closed after the answer (nothing after it is read). */
static enum MHD_Result
refuse(struct MHD_Connection *c, struct request *r, const char *url,
    int code, const char *reason, const char *msg, int close_after)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	json_t *o;
	char *text;
	const char *ct = "text/plain; charset=utf-8";

	met_add(m_refused, &reason, 1);
	log_debug("request refused", "reason", reason, "err", msg);
	if (strncmp(url, "/api/", 5) == 0) {
		o = json_pack("{s:s, s:s, s:s}", "status", "error",
		    "errorType", code == 403 ? "forbidden" : code == 503 ?
		    "unavailable" : "bad_data", "error", msg);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		ct = "application/json";
	} else if ((text = malloc(strlen(msg) + 2)) != NULL) {
		strcpy(text, msg);
		strcat(text, "\n");
	}
	if (text == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ct);
	if (code == 503)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    RETRY_AFTER);
	if (close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	ret = MHD_queue_response(c, (unsigned)code, resp);
	MHD_destroy_response(resp);
	r->code = code;
	r->responded = 1;
	return ret;
}

/* --- routes ------------------------------------------------------------ */

static enum MHD_Result
h_healthy(struct MHD_Connection *c, struct request *r)
{
	return respond_text(c, r, 200, "alertnoise is Healthy.\n");
}

/* Ready: the store is open and its writes succeed (store_write_fault).
 * why gets what keeps the daemon from being ready; returns 1 or 0. */
static int
ready(struct daemon *d, char *why, size_t whylen)
{
	char err[512];
	int fault;

	if (!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE)) {
		snprintf(why, whylen, "not started or stopping");
		return 0;
	}
	fault = store_write_fault(d->store, err, sizeof(err));
	if (fault == STORE_FAULT_CORRUPT)
		snprintf(why, whylen, "a write found the store corrupt (%s): "
		    "stop the daemon and run alertnoised check-store", err);
	else if (fault != 0)
		snprintf(why, whylen, "writes to the store fail (%s), until one "
		    "succeeds again", err);
	return fault == 0;
}

static enum MHD_Result
h_ready(struct MHD_Connection *c, struct request *r)
{
	char why[700], msg[800];

	if (ready(r->d, why, sizeof(why)))
		return respond_text(c, r, 200, "alertnoise is Ready.\n");
	snprintf(msg, sizeof(msg), "alertnoise is not ready: %s.\n", why);
	return respond_text(c, r, 503, msg);
}

/* The part of a failed load's error that says where it failed and never
 * what the file holds: "FILE:LINE" when err starts so (cfg_load's "FILE:LINE:
 * KEY: what"), then ": KEY" cut back to the longest part of KEY that is a
 * known key or section ("webhook.dedup_window"; "webhook" for an unknown
 * "webhook.x"). NULL when err does not start with FILE:LINE. The rest of err
 * may quote the file (an unknown key, a value), and a config file may be a
 * symlink to anything the daemon can read: over HTTP only the place goes,
 * the log has the whole error. */
static const char *
reload_where(const char *err, const char *file, char *out, size_t outlen)
{
	char key[256];
	size_t n = strlen(file), d = 0, k;
	const char *p;

	if (strncmp(err, file, n) != 0 || err[n] != ':')
		return NULL;
	while (isdigit((unsigned char)err[n + 1 + d]))
		d++;
	if (d == 0 || err[n + 1 + d] != ':')
		return NULL;
	p = err + n + 1 + d + 1;
	p += *p == ' ';
	k = strcspn(p, ":[ ");
	if (k >= sizeof(key) || p[k] == '\0')
		k = 0;		/* no "KEY:" */
	memcpy(key, p, k);
	key[k] = '\0';
	while (k > 0 && !cfg_key_known(key)) {
		while (k > 0 && key[k - 1] != '.')
			k--;
		key[k > 0 ? --k : 0] = '\0';
	}
	snprintf(out, outlen, "%.*s%s%s", (int)(n + 1 + d), err,
	    k > 0 ? ": " : "", key);
	return out;
}

/* POST /-/reload, served only with --web.enable-lifecycle as in
 * Prometheus: anyone who reaches the port could otherwise make the daemon
 * read its config file again. */
static enum MHD_Result
h_reload(struct MHD_Connection *c, struct request *r)
{
	char err[1024], where[1100], msg[1400];
	const char *at;

	if (!r->d->flags.enable_lifecycle)
		return respond_text(c, r, 403, "Lifecycle API is not enabled "
		    "(start alertnoised with --web.enable-lifecycle, or send "
		    "SIGHUP).\n");
	if (daemon_reload(r->d, err, sizeof(err)) < 0) {
		at = reload_where(err, r->d->flags.config_file, where,
		    sizeof(where));
		if (at == NULL && r->d->flags.web_config_file != NULL)
			at = reload_where(err, r->d->flags.web_config_file,
			    where, sizeof(where));
		snprintf(msg, sizeof(msg), "failed to reload config: %s%sthe "
		    "file is not a valid configuration, the old one stays; the "
		    "daemon's log says what is wrong, as does alertnoised "
		    "--check-config\n", at ? at : "", at ? ": " : "");
		return respond_text(c, r, 500, msg);
	}
	return respond_text(c, r, 200, "");
}

/* --test.clock only. POST /-/test/clock?advance=DURATION (a Prometheus
 * duration, "1500ms") moves the daemon's clock forward (ts_clock_advance)
 * and answers, with the new time, once the main loop has run the timers
 * that came due. */
static enum MHD_Result
h_test_clock(struct MHD_Connection *c, struct request *r)
{
	const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "advance");
	char now[40], msg[64];
	int64_t ms;

	if (by == NULL || cfg_parse_duration(by, &ms) < 0)
		return respond_text(c, r, 400, "advance: want a duration, "
		    "such as advance=1500ms\n");
	ts_clock_advance(ms);
	if (daemon_run_due_timers(10000) < 0)
		return respond_text(c, r, 503, "the timers did not run: "
		    "shutting down\n");
	ts_format_rfc3339(ts_now_ms(), now, sizeof(now));
	log_info("Moved the clock forward", "by", by, "now", now);
	snprintf(msg, sizeof(msg), "%s\n", now);
	return respond_text(c, r, 200, msg);
}

/* What the sources of truth hold and whether they loaded. */
static enum MHD_Result
h_status_sources(struct MHD_Connection *c, struct request *r)
{
	json_t *data = sources_status_json();

	if (data == NULL)
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	return respond_json_data(c, r, 200, data);
}

/* What alertnoised was built from, as Prometheus' GET
 * /api/v1/status/buildinfo. */
static enum MHD_Result
h_status_buildinfo(struct MHD_Connection *c, struct request *r)
{
	json_t *data = buildinfo_json();

	if (data == NULL)
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	return respond_json_data(c, r, 200, data);
}

/* The running configuration as Prometheus' GET /api/v1/status/config
 * answers its own: {"yaml": text}, the text of the file the snapshot this
 * request holds was loaded from, its secrets hidden (cfg_yaml_redact). */
static enum MHD_Result
h_status_config(struct MHD_Connection *c, struct request *r)
{
	const struct an_config *cfg = daemon_config(r->d);
	char err[256], *yaml;
	json_t *data;

	yaml = cfg_yaml_redact(cfg->text, cfg->text ? strlen(cfg->text) : 0,
	    err, sizeof(err));
	cfg_release(cfg);
	if (yaml == NULL)
		return respond_json_error(c, r, 500, "internal", err);
	data = json_pack("{s:s}", "yaml", yaml);
	free(yaml);
	if (data == NULL)
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	return respond_json_data(c, r, 200, data);
}

/* The OpenAPI document of this API (daemon/openapi.json, embedded at build
 * time), as it is: a document, not in the envelope, as Prometheus serves its
 * files. */
static enum MHD_Result
h_openapi(struct MHD_Connection *c, struct request *r)
{
	return respond(c, r, 200, "application/json", openapi_json,
	    openapi_json_len);
}

/* Text format 0.0.4, or OpenMetrics when the scraper asks for it (as
 * Prometheus does by default) in Accept. */
static enum MHD_Result
h_metrics(struct MHD_Connection *c, struct request *r)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT);
	int om = accept != NULL &&
	    strstr(accept, "application/openmetrics-text") != NULL;
	struct buf out;
	enum MHD_Result ret;
	char why[700];

	met_set(r->d->m.ready, NULL, ready(r->d, why, sizeof(why)));
	buf_init(&out, 64 << 20);
	if ((om ? met_render_openmetrics(r->d->reg, &out) :
	    met_render(r->d->reg, &out)) < 0) {
		buf_free(&out);
		return respond_text(c, r, 500, "rendering metrics failed\n");
	}
	ret = respond(c, r, 200, om ?
	    "application/openmetrics-text; version=1.0.0; charset=utf-8" :
	    "text/plain; version=0.0.4; charset=utf-8",
	    out.data ? out.data : "", out.len);
	buf_free(&out);
	return ret;
}

/* --- dispatch ---------------------------------------------------------- */

enum { M_GET = 1, M_POST = 2, M_PUT = 4 };

/* Who may call a route (web.authorization): G_OPEN anyone, the others
 * any user of basic_auth_users in the group's list. */
enum { G_OPEN = 1, G_INGEST, G_READ, G_ADMIN };

struct route {
	const char *path;
	const char *handler;	/* metric label */
	int methods;
	/* The query parameters a GET /api/v1 route takes, separated by
	 * spaces: any other is refused (400, params_check) before the
	 * handler runs. NULL: not checked (the pages, the routes with a
	 * body). */
	const char *params;
	/* A path kept as an alias: its answers warn of it (request_warn) */
	const char *deprecated;
	/* For routes with a body: checks the headers before the body is
	 * read, sets the body limit, and may queue a rejection. */
	enum MHD_Result (*headers)(struct MHD_Connection *, struct request *);
	enum MHD_Result (*fn)(struct MHD_Connection *, struct request *);
	int group;		/* G_* */
};

/* The read API's parameters (README "HTTP API"): since and until are the
 * deprecated aliases of start and end (params.h param_aliased); every list
 * takes limit and next (its pages, params.h page_token). */
#define P_EPISODES	"match[] alertname start end since until limit next"
#define P_ALERTNAMES	"window by match[] limit next"
#define P_LIST		"window limit next"
#define P_WINDOW	"window"
#define P_REPORT	"window week start end team match[] format"
#define P_NONE		""

static const struct route routes[] = {
	{ "/-/healthy", "/-/healthy", M_GET, NULL, NULL, NULL,
	    h_healthy, G_OPEN },
	{ "/-/ready", "/-/ready", M_GET, NULL, NULL, NULL, h_ready, G_OPEN },
	{ "/-/reload", "/-/reload", M_POST | M_PUT, NULL, NULL, NULL,
	    h_reload, G_ADMIN },
	{ "/metrics", "/metrics", M_GET, NULL, NULL, NULL, h_metrics, G_READ },
	{ "/api/v1/webhook", "/api/v1/webhook", M_POST, NULL, NULL,
	    webhook_headers, h_webhook, G_INGEST },
	{ "/api/v1/write", "/api/v1/write", M_POST, NULL, NULL, write_headers,
	    h_write, G_INGEST },
	{ "/api/v1/episodes", "/api/v1/episodes", M_GET, P_EPISODES, NULL,
	    NULL, api_episodes, G_READ },
	{ "/api/v1/alerts/firing", "/api/v1/alerts/firing", M_GET, P_EPISODES,
	    NULL, NULL, api_firing, G_READ },
	{ "/api/v1/alertnames", "/api/v1/alertnames", M_GET, P_ALERTNAMES,
	    NULL, NULL, api_alertnames, G_READ },
	{ "/api/v1/alerts", "/api/v1/alerts", M_GET, P_ALERTNAMES,
	    "path /api/v1/alerts is deprecated: use /api/v1/alertnames", NULL,
	    api_alertnames, G_READ },
	{ "/api/v1/groups", "/api/v1/groups", M_GET, P_LIST, NULL, NULL,
	    api_groups, G_READ },
	{ "/api/v1/summary", "/api/v1/summary", M_GET, P_WINDOW, NULL, NULL,
	    api_summary, G_READ },
	{ "/api/v1/status/sources", "/api/v1/status/sources", M_GET, P_NONE,
	    NULL, NULL, h_status_sources, G_READ },
	{ "/api/v1/status/buildinfo", "/api/v1/status/buildinfo", M_GET,
	    P_NONE, NULL, NULL, h_status_buildinfo, G_READ },
	{ "/api/v1/status/config", "/api/v1/status/config", M_GET, P_NONE,
	    NULL, NULL, h_status_config, G_READ },
	{ "/api/v1/openapi.json", "/api/v1/openapi.json", M_GET, P_NONE, NULL,
	    NULL, h_openapi, G_READ },
	{ "/api/v1/report", "/api/v1/report", M_GET, P_REPORT, NULL, NULL,
	    api_report, G_READ },
	{ "/api/v1/feedback", "/api/v1/feedback", M_POST, NULL, NULL,
	    feedback_headers, h_feedback, G_ADMIN },
	{ "/feedback", "/feedback", M_GET, NULL, NULL, NULL,
	    page_feedback, G_ADMIN },
	{ "/api/v1/simulate", "/api/v1/simulate", M_POST, NULL, NULL,
	    simulate_headers, h_simulate, G_ADMIN },
	{ "/api/v1/recommendations", "/api/v1/recommendations", M_GET,
	    P_LIST, NULL, NULL, api_recommendations, G_READ },
	{ "/", "/", M_GET, NULL, NULL, NULL, ui_overview, G_READ },
	{ "/alerts/*", "/alerts/:alertname", M_GET, NULL, NULL, NULL,
	    ui_alert, G_READ },
	{ "/groups", "/groups", M_GET, NULL, NULL, NULL, ui_groups, G_READ },
	{ "/recommendations", "/recommendations", M_GET, NULL, NULL, NULL,
	    ui_recommendations, G_READ },
};

/* Served only with --test.clock; without it, 404 as any unknown path. */
static const struct route test_routes[] = {
	{ "/-/test/clock", "/-/test/clock", M_POST, NULL, NULL, NULL,
	    h_test_clock, G_ADMIN },
};

static int
method_bit(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return M_GET;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	if (strcmp(m, "PUT") == 0)
		return M_PUT;
	return 0;
}

/* A path ending in '*' matches every URL that starts with the rest of it
 * (the alert pages' "/alerts/" prefix); any other path only itself. */
static const struct route *
match_route(const struct route *tab, size_t ntab, const char *url)
{
	for (size_t i = 0; i < ntab; i++) {
		const char *p = tab[i].path;
		size_t n = strlen(p);

		if ((n > 0 && p[n - 1] == '*') ?
		    strncmp(url, p, n - 1) == 0 : strcmp(url, p) == 0)
			return &tab[i];
	}
	return NULL;
}

static const struct route *
find_route(const struct daemon *d, const char *url)
{
	const struct route *rt;

	rt = match_route(routes, sizeof(routes) / sizeof(routes[0]), url);
	if (rt == NULL && d->flags.test_clock)
		rt = match_route(test_routes,
		    sizeof(test_routes) / sizeof(test_routes[0]), url);
	return rt;
}

/* --- authentication and authorisation ---------------------------------- */

static const char *const group_names[] = {
	[G_OPEN] = "open", [G_INGEST] = "ingest", [G_READ] = "read",
	[G_ADMIN] = "admin",
};

/* The running web config, held for the caller (webcfg_release), or NULL
 * without --web.config.file. */
static struct webconfig *
running_web(struct daemon *d)
{
	struct webconfig *wc;

	pthread_mutex_lock(&d->cfg_mu);
	wc = d->web ? webcfg_hold(d->web) : NULL;
	pthread_mutex_unlock(&d->cfg_mu);
	return wc;
}

/* The web config TLS serves now: the running one, or, after a reload that
 * took tls_server_config away (turning TLS off changes only at restart),
 * the last one that had it. Kept in tls_kept, so valid until http_stop
 * without a hold of the caller's. NULL without TLS. */
static struct webconfig *
tls_current(void)
{
	struct webconfig *wc, *cur, **v;
	size_t i;

	if (tls_d == NULL)
		return NULL;
	wc = running_web(tls_d);
	pthread_mutex_lock(&tls_mu);
	cur = tls_kept[tls_nkept - 1];
	if (wc == NULL || wc == cur || !webcfg_tls(wc))
		goto out;
	for (i = 0; i < tls_nkept && tls_kept[i] != wc; i++)
		;
	if (i == tls_nkept) {
		/* out of memory: the one before serves on */
		if ((v = realloc(tls_kept, (tls_nkept + 1) *
		    sizeof(*v))) == NULL)
			goto out;
		tls_kept = v;
		tls_kept[tls_nkept++] = wc;	/* the list's hold */
	} else {
		/* kept already (cannot happen: a reload loads anew) */
		memmove(&tls_kept[i], &tls_kept[i + 1], (tls_nkept - i - 1) *
		    sizeof(*tls_kept));
		tls_kept[tls_nkept - 1] = wc;
		webcfg_release(wc);
	}
	cur = wc;
	wc = NULL;
out:
	pthread_mutex_unlock(&tls_mu);
	webcfg_release(wc);
	return cur;
}

/* Releases every kept web config: TLS ends (libmicrohttpd stopped). */
static void
tls_forget(void)
{
	for (size_t i = 0; i < tls_nkept; i++)
		webcfg_release(tls_kept[i]);
	free(tls_kept);
	tls_kept = NULL;
	tls_nkept = 0;
	tls_d = NULL;
}

/* Answers text with one more header (name: value), counted in
 * alertnoise_http_auth_failures_total{reason}. */
static enum MHD_Result
refuse_auth(struct MHD_Connection *c, struct request *r, int code,
    const char *reason, const char *text, const char *name,
    const char *value)
{
	const char *labels[] = { reason };

	met_add(r->d->m.auth_failures, labels, 1);
	return respond_header(c, r, code, "text/plain; charset=utf-8", text,
	    strlen(text), name, value);
}

/* Whether user is in group's list of web.authorization ("*": anyone). */
static int
in_group(const struct an_config *cfg, int group, const char *user)
{
	char **v = group == G_INGEST ? cfg->authz_ingest :
	    group == G_READ ? cfg->authz_read : cfg->authz_admin;
	size_t n = group == G_INGEST ? cfg->n_authz_ingest :
	    group == G_READ ? cfg->n_authz_read : cfg->n_authz_admin;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], "*") == 0 || strcmp(v[i], user) == 0)
			return 1;
	return 0;
}

/* The client's address as text ("127.0.0.1", "::1"); "?" when unknown. */
static void
client_address(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = sa == NULL ? 0 : sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (sa == NULL || getnameinfo(sa, len, out, (socklen_t)outlen, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(out, outlen, "?");
}

/* The checks of --web.config.file and web.authorization for a new
 * request on route rt (NULL: no such route, which needs a user all the
 * same, so that what exists is not told to strangers): the client
 * certificate, then, unless rt is G_OPEN, basic auth (rate-limited per
 * client address) and rt's group. Returns 0 to go on, or 1 with the
 * refusal queued and what to return in *ret. */
static int
check_access(struct MHD_Connection *c, struct request *r,
    const struct route *rt, enum MHD_Result *ret)
{
	struct daemon *d = r->d;
	const union MHD_ConnectionInfo *ci;
	const struct an_config *cfg = NULL;
	struct webconfig *wc = NULL, *tw;
	char *user = NULL, *pass = NULL, addr[64], msg[256], after[16];
	const char *why;
	enum webcfg_auth_result auth;
	int retry = 0, result = 1;

	/* the running config's client_auth_type and CAs, also for a
	 * connection whose handshake ran under an older one */
	if ((tw = tls_current()) != NULL && webcfg_client_auth(tw) !=
	    WC_NO_CLIENT_CERT) {
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_GNUTLS_SESSION);
		why = ci == NULL || ci->tls_session == NULL ? "no TLS session" :
		    webcfg_client_cert_check(tw, ci->tls_session);
		if (why != NULL) {
			snprintf(msg, sizeof(msg), "client certificate "
			    "refused: %s\n", why);
			*ret = refuse_auth(c, r, 403, "client_certificate", msg, NULL,
			    NULL);
			return 1;
		}
	}
	if (rt != NULL && rt->group == G_OPEN)
		return 0;
	if ((wc = running_web(d)) == NULL || !webcfg_auth(wc)) {
		webcfg_release(wc);
		return 0;
	}
	cfg = daemon_config(d);
	if ((user = MHD_basic_auth_get_username_password(c, &pass)) == NULL) {
		*ret = refuse_auth(c, r, 401, "no_credentials", "authentication "
		    "required: send a user and password (basic auth)\n",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Basic realm=\"alertnoise\", charset=\"UTF-8\"");
		goto out;
	}
	client_address(c, addr, sizeof(addr));
	if (webcfg_limit_take(addr, cfg->max_auth_failures, ts_now_ms(),
	    &retry) < 0) {
		snprintf(after, sizeof(after), "%d", retry);
		snprintf(msg, sizeof(msg), "too many failed logins from %s "
		    "(web.max_auth_failures_per_minute is %zu): retry after "
		    "%d s\n", addr, cfg->max_auth_failures, retry);
		*ret = refuse_auth(c, r, 429, "rate_limited", msg, "Retry-After",
		    after);
		goto out;
	}
	if ((auth = webcfg_authenticate(wc, user, pass ? pass : "")) !=
	    WC_AUTH_OK) {
		/* the client is not told which of the two it got wrong */
		*ret = refuse_auth(c, r, 401, auth == WC_AUTH_UNKNOWN_USER ?
		    "unknown_user" : "wrong_password",
		    "wrong user name or password\n",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Basic realm=\"alertnoise\", charset=\"UTF-8\"");
		goto out;
	}
	webcfg_limit_give(addr, cfg->max_auth_failures);
	if (rt != NULL && !in_group(cfg, rt->group, user)) {
		snprintf(msg, sizeof(msg), "forbidden: user \"%.64s\" is not "
		    "in web.authorization.%s\n", user,
		    group_names[rt->group]);
		*ret = refuse_auth(c, r, 403, "forbidden", msg, NULL, NULL);
		goto out;
	}
	result = 0;
out:
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	free(user);
	cfg_release(cfg);
	webcfg_release(wc);
	return result;
}

/* --- bodies in flight and the worker lanes ----------------------------- */

/* Takes n more bytes of web.max_inflight_bytes for r: 0, or -1 with
 * r->over_budget set (nothing taken) when they are not there. */
static int
charge(struct request *r, size_t n)
{
	size_t now;

	n *= (size_t)r->body_cost;
	now = __atomic_add_fetch(&inflight_bytes, n, __ATOMIC_SEQ_CST);

	if (now > inflight_max) {
		__atomic_sub_fetch(&inflight_bytes, n, __ATOMIC_SEQ_CST);
		r->over_budget = 1;
		return -1;
	}
	r->charged += n;
	return 0;
}

/* A body whose Content-Length is known takes its whole length before a
 * byte is read: 0, or -1 with why in msg when the body could never fit
 * (413, answered before it is read). When the bytes are only taken now,
 * r->over_budget is set and 0 returned: the body is read and dropped, and
 * the 503 follows it, so that a client that sends its whole body before
 * it reads (most do) reads the answer instead of a reset. */
static int
charge_declared(struct MHD_Connection *c, struct request *r, char *msg,
    size_t msglen)
{
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (cl == NULL)
		return 0;
	n = strtoull(cl, &end, 10);
	if (*end != '\0' || end == cl)
		return 0;	/* libmicrohttpd refuses it itself */
	if (n > inflight_max / (size_t)r->body_cost) {
		snprintf(msg, msglen, "body of %llu bytes is larger than "
		    "this endpoint can take within web.max_inflight_bytes "
		    "(%zu bytes, a byte of this body counting %d)", n,
		    inflight_max, r->body_cost);
		return -1;
	}
	if (charge(r, (size_t)n) == 0)
		r->charged_declared = 1;	/* its chunks take nothing more */
	return 0;
}

/* Runs a dispatched request's handler on a lane's worker. After the
 * resume the I/O thread owns r again: nothing of it is touched here. */
static void
run_request(struct lane_job *job)
{
	struct request *r = (struct request *)(void *)((char *)job -
	    offsetof(struct request, job));
	struct MHD_Connection *c = r->conn;

	request_enter(r);	/* what an analysis it waits for asks */
	r->fn(c, r);
	request_leave();
	r->finished = 1;
	MHD_resume_connection(c);
}

/* Hands r, read whole, to lane: the connection is suspended until the
 * worker has queued its answer. A full lane: 503 with Retry-After, now. */
static enum MHD_Result
dispatch(struct MHD_Connection *c, struct request *r, const char *url,
    struct lane *lane, enum MHD_Result (*fn)(struct MHD_Connection *,
    struct request *))
{
	const struct an_config *cfg = daemon_config(r->d);
	char msg[200];

	/* its work stops at the deadline of the config it started under
	 * (respond.h request_stopping) */
	r->timeout_ms = cfg->request_timeout_ms;
	r->deadline_ms = (int64_t)r->start.tv_sec * 1000 +
	    r->start.tv_nsec / 1000000 + r->timeout_ms;
	cfg_release(cfg);
	r->conn = c;
	r->fn = fn;
	r->job.run = run_request;
	r->dispatched = 1;
	MHD_suspend_connection(c);
	if (lane_submit(lane, &r->job) == 0)
		return MHD_YES;
	MHD_resume_connection(c);
	r->dispatched = 0;
	snprintf(msg, sizeof(msg), "alertnoise is busy: the %s lane has "
	    "web.max_concurrency requests running and four times as many "
	    "waiting; retry later", lane_name(lane));
	return refuse(c, r, url, 503, R_OVERLOADED, msg, 0);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct daemon *d = cls;
	struct request *r = *con_cls;
	const struct route *rt = find_route(d, url);
	const char *why;
	char refusal[320];

	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->d = d;
		r->handler = rt ? rt->handler : "other";
		r->body_cost = 1;	/* a headers callback may raise it */
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		__atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
		met_add(d->m.http_in_flight, NULL, 1);
		buf_init(&r->body, 0);
		*con_cls = r;

		if ((why = framing_error(c)) != NULL)
			return refuse(c, r, url, 400, R_FRAMING, why, 1);
		{
			enum MHD_Result ret;

			if (check_access(c, r, rt, &ret))
				return ret;
		}
		if (rt == NULL) {
			if (strncmp(url, "/api/", 5) == 0)
				return respond_json_error(c, r, 404,
				    "not_found", "no such endpoint");
			return respond_text(c, r, 404, "404 page not found\n");
		}
		if ((method_bit(method) & rt->methods) == 0) {
			struct MHD_Response *resp;
			enum MHD_Result ret;
			const char *msg = "method not allowed\n";

			resp = MHD_create_response_from_buffer(strlen(msg),
			    (void *)msg, MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(resp, "Allow",
			    rt->methods & M_GET ? "GET, HEAD" :
			    rt->methods & M_PUT ? "POST, PUT" : "POST");
			MHD_add_response_header(resp, "Content-Type",
			    "text/plain; charset=utf-8");
			ret = MHD_queue_response(c, 405, resp);
			MHD_destroy_response(resp);
			r->code = 405;
			r->responded = 1;
			return ret;
		}
		if ((method_bit(method) & (M_POST | M_PUT)) != 0 &&
		    cross_origin(c, refusal, sizeof(refusal)) < 0)
			return refuse(c, r, url, 403, R_CROSS_ORIGIN,
			    refusal, 0);
		if (rt->headers != NULL) {
			enum MHD_Result ret = rt->headers(c, r);

			if (ret == MHD_YES && !r->responded &&
			    charge_declared(c, r, refusal,
			    sizeof(refusal)) < 0)
				return refuse(c, r, url, 413, R_INFLIGHT,
				    refusal, 0);
			return ret;
		}
		return MHD_YES;
	}

	if (*upload_data_size != 0) {
		/* after a response queued early (415, 413), or past the
		 * limit: discard. libmicrohttpd 0.9.75 drops a response
		 * queued in the middle of a body, so the 413 waits for its
		 * end (a sender that never ends meets web.read_timeout). */
		if (!r->responded && !r->too_large && !r->over_budget &&
		    (r->charged_declared ||
		    charge(r, *upload_data_size) == 0) &&
		    buf_append(&r->body, upload_data, *upload_data_size) < 0)
			r->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->responded)
		return MHD_YES;
	if (r->dispatched)	/* the worker could not queue an answer */
		return MHD_NO;
	if (r->over_budget) {
		snprintf(refusal, sizeof(refusal), "request bodies in flight "
		    "passed web.max_inflight_bytes (%zu bytes): retry later",
		    inflight_max);
		return refuse(c, r, url, 503, R_INFLIGHT, refusal, 0);
	}
	if (r->too_large) {
		char msg[128];

		/* a route without a headers callback takes no body */
		if (r->reject == NULL)
			return respond_text(c, r, 413, "this endpoint takes no "
			    "request body\n");
		snprintf(msg, sizeof(msg), "body exceeds the limit of %zu bytes",
		    r->body.limit);
		return r->reject(c, r, 413, "too_large", msg);
	}
	if (rt->params != NULL) {
		char msg[512];

		if (params_check(c, rt->params, msg, sizeof(msg)) < 0)
			return respond_json_error(c, r, 400, "bad_data", msg);
	}
	if (rt->deprecated != NULL)
		request_warn(r, rt->deprecated);
	r->url = url;
	conns_request_read(c);
	if (rt->group == G_OPEN)
		return rt->fn(c, r);
	return dispatch(c, r, url, rt->group == G_INGEST ? lane_ingest :
	    lane_query, rt->fn);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct daemon *d = cls;
	struct request *r = *con_cls;
	char code[8];
	const char *labels[2];

	if (r == NULL)
		return;
	snprintf(code, sizeof(code), "%d", r->code ? r->code : 0);
	labels[0] = r->handler;
	labels[1] = code;
	met_add(d->m.http_requests, labels, 1);
	met_observe(d->m.http_duration, labels, elapsed_seconds(&r->start));
	met_add(d->m.http_in_flight, NULL, -1);
	if (r->charged > 0)
		__atomic_sub_fetch(&inflight_bytes, r->charged,
		    __ATOMIC_SEQ_CST);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conns_request_done(c);
	buf_free(&r->body);
	request_free_warnings(r);
	free(r);
	*con_cls = NULL;
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
}

/* gnutls_certificate_verify_function: run by a handshake once the
 * client's certificate is in; nonzero fails the handshake. */
static int
tls_verify(gnutls_session_t s)
{
	struct webconfig *wc = tls_current();

	return wc == NULL || webcfg_client_cert_check(wc, s) != NULL ? -1 : 0;
}

/* MHD_OPTION_HTTPS_CERT_CALLBACK (gnutls_certificate_retrieve_function2):
 * every handshake serves the certificate and key of the web config running
 * now, so that a reload rotates them for the next connection. */
static int
tls_cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *key)
{
	(void)s;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	return webcfg_tls_certificate(tls_current(), pcert, pcert_length, key);
}

/* MHD_OPTION_NOTIFY_CONNECTION: the connection's caps and deadline
 * (conns.h); a new TLS connection's session, before its handshake, takes
 * the running web config's priorities and asks for the client certificate
 * its client_auth_type wants. */
static void
connection_cb(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct webconfig *wc;

	(void)cls;
	conns_notify(c, socket_context, toe);
	if (toe != MHD_CONNECTION_NOTIFY_STARTED ||
	    (wc = tls_current()) == NULL)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL)
		webcfg_tls_session_setup(wc, ci->tls_session, tls_verify);
}

/* The TLS options of libmicrohttpd for d's web config, ended by
 * MHD_OPTION_END (only it without TLS); sets MHD_USE_TLS in *flags and
 * starts tls_kept with d's web config. The certificate comes from
 * tls_cert_cb, the rest per session from connection_cb. Returns -1 with
 * err when this libmicrohttpd has no TLS. */
static int
tls_options(struct daemon *d, struct MHD_OptionItem *opt, size_t nopt,
    unsigned int *flags, char *err, size_t errlen)
{
	size_t n = 0;

	assert(nopt >= 5);
	if (d->web == NULL || !webcfg_tls(d->web)) {
		opt[0] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
		return 0;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "--web.config.file has tls_server_config, "
		    "but this libmicrohttpd was built without TLS");
		return -1;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) !=
	    MHD_YES || (tls_kept = malloc(sizeof(*tls_kept))) == NULL) {
		snprintf(err, errlen, "--web.config.file has tls_server_config, "
		    "but this libmicrohttpd has no certificate callback (or "
		    "out of memory)");
		return -1;
	}
	tls_kept[0] = webcfg_hold(d->web);
	tls_nkept = 1;
	tls_d = d;
	*flags |= MHD_USE_TLS;
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
	    (void *)tls_cert_cb };
	/* the session's own (connection_cb) override these at once */
	opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
	    (void *)webcfg_priorities(d->web) };
	opt[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return 0;
}

/* Splits "host:port", "[v6]:port" or ":port". */
static int
split_address(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		if ((size_t)(end - addr - 1) >= hostlen)
			return -1;
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = '\0';
		colon = end + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return -1;
		if ((size_t)(colon - addr) >= hostlen)
			return -1;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen)
		return -1;
	strcpy(port, colon + 1);
	return 0;
}

/* The open files limit, raised to its hard limit as Go programs (and so
 * Prometheus) do at start: connections are descriptors. Returns how many
 * connections fit, keeping FD_RESERVE for the store, logs and clients. */
#define FD_RESERVE 64
static size_t
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return SIZE_MAX;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SIZE_MAX)
		return SIZE_MAX;
	return rl.rlim_cur > FD_RESERVE ? (size_t)rl.rlim_cur - FD_RESERVE : 1;
}

/* What serving needs besides libmicrohttpd: the connection caps and
 * sweeper, the lanes, the body budget; *max_conns gets web.max_connections,
 * cut to what the open files limit holds (logged). 0, or -1 with err. */
static int
start_serving(struct daemon *d, unsigned int *max_conns, char *err,
    size_t errlen)
{
	const struct an_config *cfg = d->cfg;
	size_t fit = raise_nofile(), n = cfg->max_connections;
	char want[24], have[24];

	if (n > fit) {
		snprintf(want, sizeof(want), "%zu", n);
		snprintf(have, sizeof(have), "%zu", fit);
		log_warn("web.max_connections is more than the open files "
		    "limit holds: raise LimitNOFILE", "max_connections", want,
		    "connections", have);
		n = fit;
	}
	*max_conns = n > UINT_MAX ? UINT_MAX : (unsigned int)n;
	inflight_max = cfg->max_inflight_bytes;
	if (conns_start(d->reg, cfg->max_connections_per_ip,
	    cfg->read_timeout_ms, err, errlen) < 0)
		return -1;
	lane_ingest = lane_new("ingest", (int)cfg->max_concurrency,
	    LANE_WAITING * cfg->max_concurrency);
	lane_query = lane_new("query", (int)cfg->max_concurrency,
	    LANE_WAITING * cfg->max_concurrency);
	if (lane_ingest == NULL || lane_query == NULL) {
		snprintf(err, errlen, "starting %zu worker threads failed",
		    2 * cfg->max_concurrency);
		stop_serving();
		return -1;
	}
	return 0;
}

static void
stop_serving(void)
{
	lane_free(lane_ingest);
	lane_free(lane_query);
	lane_ingest = lane_query = NULL;
	conns_stop();
}

int
http_start(struct daemon *d, char *err, size_t errlen)
{
	char host[256], port[16], bound[300];
	struct addrinfo hints, *ai = NULL;
	/* epoll threads that never wait on the store: what waits (a sync, a
	 * lock, an analysis) runs on a lane's worker, the connection
	 * suspended meanwhile. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls[6];
	unsigned int timeout, max_conns;
	char *endp;
	long p;
	int rc;

	if (analysis_metrics(d->reg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (m_refused == NULL) {
		static const char *const reason[] = { "reason" };
		static const char *const reasons[] = { R_FRAMING,
		    R_CROSS_ORIGIN };

		m_refused = met_register(d->reg, MET_COUNTER,
		    "alertnoise_http_requests_refused_total",
		    "HTTP requests refused before their handler, by reason: "
		    "ambiguous_framing (Content-Length with Transfer-Encoding, "
		    "or a coding other than chunked: 400, connection closed), "
		    "cross_origin (a browser's POST or PUT from another site: "
		    "403).", 1, reason, NULL, 0);
		if (m_refused == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < 2; i++)
			met_add(m_refused, &reasons[i], 0);
	}
	if (split_address(d->cfg->listen_address, host, sizeof(host), port,
	    sizeof(port)) < 0) {
		snprintf(err, errlen, "bad listen address \"%s\" (want "
		    "host:port)", d->cfg->listen_address);
		return -1;
	}
	p = strtol(port, &endp, 10);
	if (*endp != '\0' || p < 0 || p > 65535) {
		snprintf(err, errlen, "bad port in listen address \"%s\"",
		    d->cfg->listen_address);
		return -1;
	}
	if (tls_options(d, tls, sizeof(tls) / sizeof(tls[0]), &flags, err,
	    errlen) < 0)
		return -1;
	timeout = (unsigned)(d->cfg->read_timeout_ms / 1000);
	if (timeout == 0)
		timeout = 1;
	if (start_serving(d, &max_conns, err, errlen) < 0)
		return -1;
	if (host[0] != '\0') {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
			snprintf(err, errlen, "resolving %s: %s", host,
			    gai_strerror(rc));
			return -1;
		}
		if (ai->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		mhd = MHD_start_daemon(flags, (uint16_t)p, NULL, NULL,
		    access_cb, d,
		    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		    MHD_OPTION_CONNECTION_LIMIT, max_conns,
		    MHD_OPTION_THREAD_POOL_SIZE, IO_THREADS,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, d,
		    MHD_OPTION_NOTIFY_CONNECTION, connection_cb, d,
		    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		    MHD_OPTION_ARRAY, tls,
		    MHD_OPTION_END);
		freeaddrinfo(ai);
	} else {
		mhd = MHD_start_daemon(flags | MHD_USE_DUAL_STACK,
		    (uint16_t)p, NULL, NULL, access_cb, d,
		    MHD_OPTION_CONNECTION_LIMIT, max_conns,
		    MHD_OPTION_THREAD_POOL_SIZE, IO_THREADS,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, d,
		    MHD_OPTION_NOTIFY_CONNECTION, connection_cb, d,
		    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		    MHD_OPTION_ARRAY, tls,
		    MHD_OPTION_END);
	}
	if (mhd == NULL) {
		snprintf(err, errlen, "listening on %s failed (address in use "
		    "or not permitted%s)", d->cfg->listen_address,
		    tls_d ? ", or libmicrohttpd refused the TLS settings" :
		    "");
		tls_forget();
		stop_serving();
		return -1;
	}
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(bound, sizeof(bound), "%s%s%s:%u",
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    info ? info->port : (unsigned)p);
	log_info("Listening on", "address", bound, "tls",
	    tls_d ? "true" : "false");
	return 0;
}

void
http_stop(struct daemon *d, int64_t timeout_ms)
{
	MHD_socket fd;
	int64_t waited = 0;
	int n;

	(void)d;
	if (mhd == NULL)
		return;
	/* the work of every request in flight stops: analyses and replays
	 * give up, their requests answer 503 (respond.h) */
	requests_shutdown();
	fd = MHD_quiesce_daemon(mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	if ((n = __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST)) > 0) {
		char ns[16], ts[32];

		snprintf(ns, sizeof(ns), "%d", n);
		cfg_format_duration(timeout_ms, ts, sizeof(ts));
		log_info("Waiting for requests in flight to finish",
		    "requests", ns, "timeout", ts);
	}
	while ((n = __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST)) > 0 &&
	    waited < timeout_ms) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (n > 0) {
		char ns[16];

		snprintf(ns, sizeof(ns), "%d", n);
		log_warn("Stopping with requests still in flight", "requests",
		    ns);
	}
	/* the workers first: libmicrohttpd frees the connections they
	 * answer when it stops */
	lane_free(lane_ingest);
	lane_free(lane_query);
	lane_ingest = lane_query = NULL;
	MHD_stop_daemon(mhd);
	mhd = NULL;
	stop_serving();
	tls_forget();
}

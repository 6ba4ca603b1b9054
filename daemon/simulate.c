/* simulate.c -- POST /api/v1/simulate: replay a window of history under
 * proposed settings (lib/tuning/replay.h) and answer what would have changed.
 *
 * The settings, the current ones and the proposal in the body, are built by
 * settings.c, which the recommendations share.
 *
 * Bounds: a replay costs a step per flush time of each aggregation group
 * (replay.h rp_limits), so a proposal's group_interval and repeat_interval
 * are at least SIM_MIN_INTERVAL_MS, a replay stops past SIM_MAX_STEPS steps
 * (400: narrow the window or raise the intervals), past web.request_timeout
 * (503 timeout), when the daemon stops (503) and when its client hangs up
 * (nothing to answer): respond.h request_stopping. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyses.h"
#include "config.h"
#include "replay.h"
#include "respond.h"
#include "routes.h"
#include "routing.h"
#include "settings.h"
#include "sources.h"

#define BODY_MAX	(1 << 20)
#define SIM_MIN_INTERVAL_MS	1000
#define SIM_MAX_STEPS		20000000

/* rp_limits.stop_fn: the replay stops when the daemon stops (503) or its
 * client has gone (the answer is then nothing): respond.h
 * request_stopping. */
static int
stop_request(const void *arg)
{
	return request_stopping((struct request *)(uintptr_t)arg) !=
	    REQUEST_LIVE;
}

/* Checks what settings_from_json leaves to the replay: a proposed route's
 * group_interval and repeat_interval of at least SIM_MIN_INTERVAL_MS (a
 * shorter one is a flush per millisecond of the window). group_wait may be
 * 0s, as in Alertmanager: it is waited once per group. Returns 0, or -1
 * with err naming the field. */
static int
check_intervals(const struct settings *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct rp_route *r = &s->routes[i];
		const char *field = NULL;

		if (r->group_interval_ms >= 0 &&
		    r->group_interval_ms < SIM_MIN_INTERVAL_MS)
			field = "group_interval";
		else if (r->repeat_interval_ms >= 0 &&
		    r->repeat_interval_ms < SIM_MIN_INTERVAL_MS)
			field = "repeat_interval";
		if (field != NULL) {
			snprintf(err, errlen, "routes[%zu].%s: must be at "
			    "least 1s", i, field);
			return -1;
		}
	}
	return 0;
}

/* Answers a replay that stopped at a limit (rp_run_limited's status). */
static enum MHD_Result
limit_error(struct MHD_Connection *c, struct request *r, int status,
    int64_t timeout_ms)
{
	char msg[256];

	switch (status) {
	case RP_ESTEPS:
		snprintf(msg, sizeof(msg), "the replay would take more than "
		    "%d steps: narrow the window or raise group_interval "
		    "and repeat_interval", SIM_MAX_STEPS);
		return respond_json_error(c, r, 400, "bad_data", msg);
	case RP_EDEADLINE:
		snprintf(msg, sizeof(msg), "the replay took longer than "
		    "web.request_timeout (%" PRId64 "ms): narrow the window or "
		    "raise group_interval and repeat_interval", timeout_ms);
		return respond_json_error(c, r, 503, "timeout", msg);
	case RP_ESTOPPED:
		return respond_json_error(c, r, 503, "unavailable",
		    "alertnoise is shutting down");
	default:
		return respond_json_error(c, r, 500, "internal",
		    "out of memory");
	}
}

static enum MHD_Result
simulate_reject(struct MHD_Connection *c, struct request *r, int code,
    const char *reason, const char *msg)
{
	(void)reason;
	return respond_json_error(c, r, code, "bad_data", msg);
}

enum MHD_Result
simulate_headers(struct MHD_Connection *c, struct request *r)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);

	r->reject = simulate_reject;
	r->body.limit = BODY_MAX;
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return simulate_reject(c, r, 415, "unsupported_media_type",
		    "Content-Type must be application/json");
	if (cl != NULL && strtoull(cl, NULL, 10) > BODY_MAX)
		return simulate_reject(c, r, 413, "too_large",
		    "body over 1 MiB");
	return MHD_YES;
}

enum MHD_Result
h_simulate(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	const struct an_config *cfg = NULL;
	struct settings cur, prop;
	struct rt_settings rs;
	struct sources *src = NULL;
	struct rp_history *h = NULL;
	struct rp_result res;
	struct rp_limits lim = { SIM_MAX_STEPS, 0, stop_request, r };
	const struct analysis *a;
	struct an_opts o;
	json_error_t je;
	json_t *body, *w, *data;
	void *handle = NULL;
	char err[512];
	int64_t window, timeout_ms;
	enum MHD_Result ret;
	int rc;

	cfg = daemon_config(d);
	timeout_ms = cfg->request_timeout_ms;
	lim.deadline_ms = rp_clock_ms() + timeout_ms;
	cfg_release(cfg);
	cfg = NULL;
	body = json_loadb(r->body.data ? r->body.data : "", r->body.len,
	    JSON_REJECT_DUPLICATES, &je);
	if (body == NULL || !json_is_object(body)) {
		snprintf(err, sizeof(err), "invalid JSON: %s", body ? "not an "
		    "object" : je.text);
		json_decref(body);
		return respond_json_error(c, r, 400, "bad_data", err);
	}
	window = daemon_default_window(d);
	if ((w = json_object_get(body, "window")) != NULL &&
	    (!json_is_string(w) || cfg_parse_window(json_string_value(w),
	    &window) < 0)) {
		json_decref(body);
		return respond_json_error(c, r, 400, "bad_data",
		    "window: want a duration such as \"7d\", at most 366d");
	}
	if (settings_from_json(body, &prop, err, sizeof(err)) < 0) {
		json_decref(body);
		return respond_json_error(c, r, 400, "bad_data", err);
	}
	json_decref(body);
	if (check_intervals(&prop, err, sizeof(err)) < 0) {
		settings_free(&prop);
		return respond_json_error(c, r, 400, "bad_data", err);
	}
	memset(&cur, 0, sizeof(cur));
	memset(&rs, 0, sizeof(rs));
	if ((a = analysis_get(d, window, &handle, err, sizeof(err))) == NULL ||
	    rp_history_load(d->store, a, &h, err, sizeof(err)) < 0) {
		ret = respond_json_error(c, r, 503, "unavailable", err);
		goto out;
	}
	/* the current settings and the options point into the config and
	 * the sources */
	src = sources_get();
	cfg = daemon_config(d);
	if ((rc = settings_current(cfg, src, a, h, &cur, &rs, err,
	    sizeof(err))) == 0) {
		analysis_opts(cfg, src, &o);
		rc = rp_run_limited(a, h, &o, &rs.set, &prop.set, &lim, &res);
		if (rc < 0) {
			ret = limit_error(c, r, rc, timeout_ms);
			goto out;
		}
	}
	if (rc < 0) {
		ret = respond_json_error(c, r, 500, "internal", "out of memory");
		goto out;
	}
	data = rp_result_json(&res);
	rp_result_free(&res);
	ret = data ? respond_json_data(c, r, 200, data) :
	    respond_json_error(c, r, 500, "internal", "out of memory");
out:
	rp_history_free(h);
	analysis_put(handle);
	rt_settings_free(&rs);
	settings_free(&cur);
	settings_free(&prop);
	sources_put(src);
	cfg_release(cfg);
	return ret;
}

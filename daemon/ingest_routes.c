/* ingest_routes.c -- the two write endpoints: Alertmanager's webhook
 * (POST /api/v1/webhook) and Prometheus remote write (POST /api/v1/write).
 *
 * Both answer 2xx only after the data was committed and synced; a storage
 * failure answers 503 so the sender retries. Every rejection is counted by
 * reason. Requests are parsed and validated on their own connection's
 * thread, then written through one group-commit queue (commitq.h): the
 * requests that arrive while a transaction is being synced share the next
 * one, each in a savepoint of its own, so one request's failure is its
 * own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commitq.h"
#include "ingest.h"
#include "ingest_routes.h"
#include "kpi.h"
#include "log.h"
#include "respond.h"
#include "routes.h"
#include "rw_decode.h"
#include "store.h"
#include "timefmt.h"
#include "webhook.h"

/* Bounds of one group commit: the latency an item can add to the others
 * of its batch. A webhook of 10 alerts applies in about 0.1 ms. */
/* What a byte of a body costs of web.max_inflight_bytes (respond.h
 * body_cost). A webhook's JSON decoded by jansson, then its alerts copied,
 * peaks at about four times the text: 100 webhooks of 4 MiB at once peaked
 * at 229 MB RSS charged once, under 200 MB charged four times. A remote
 * write's snappy-decoded protobuf is about twice its compressed body for
 * alert series. */
#define WEBHOOK_BODY_COST 4
#define WRITE_BODY_COST 2

#define COMMIT_MAX_ITEMS 64
#define COMMIT_MAX_BYTES ((size_t)8 << 20)

/* How far ahead of the daemon's clock a remote-write sample may be:
 * Prometheus' tsdb accepts samples up to its head's max time, and a sender
 * whose clock is this far off is broken. Later samples would end open
 * episodes in the future and make every real sample out of order. */
#define WRITE_MAX_AHEAD_MS (10 * 60 * 1000)

/* A refusal by a cardinality cap is logged at most this often; the ones
 * in between are counted in the next line. */
#define CAP_LOG_EVERY_S 10

static struct commitq *cq;
/* the series started per second of the last minute
 * (remote_write.max_new_series_per_minute); changed under the store's
 * write transaction only (ingest_samples_apply) */
static struct ingest_rate new_series;
static pthread_mutex_t cap_log_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t cap_log_last;		/* CLOCK_MONOTONIC seconds */
static unsigned long cap_log_suppressed;
static struct met_family *m_commits;		/* {result} */
static struct met_family *m_commit_requests;
static struct met_family *m_commit_duration;

static void
observe_commit(void *arg, const struct commitq_batch *b)
{
	struct daemon *d = arg;
	const char *res[] = { b->committed ? "success" : "failure" };

	met_add(m_commits, res, 1);
	met_set(d->m.rw_live, NULL,
	    (double)store_live_series_committed(d->store));
	met_observe(m_commit_requests, NULL, (double)b->items);
	met_observe(m_commit_duration, NULL, b->seconds);
}

int
ingest_routes_start(struct daemon *d, char *err, size_t errlen)
{
	static const double items[] = { 1, 2, 4, 8, 16, 32, 64 };
	static const double secs[] = { .0005, .001, .0025, .005, .01, .025,
	    .05, .1, .25, .5, 1, 2.5 };
	static const char *const result[] = { "result" };
	static const char *const results[] = { "success", "failure" };
	struct commitq_opts o = {
		.max_items = COMMIT_MAX_ITEMS, .max_bytes = COMMIT_MAX_BYTES,
		.observe = observe_commit, .observe_arg = d,
	};

	m_commits = met_register(d->reg, MET_COUNTER,
	    "alertnoise_store_commits_total",
	    "Transactions that stored webhooks and remote-write requests, "
	    "each synced to disk once (group commit), by result (success, "
	    "failure).", 1, result, NULL, 0);
	m_commit_requests = met_register(d->reg, MET_HISTOGRAM,
	    "alertnoise_store_commit_requests",
	    "Requests (webhook notifications, remote-write requests) stored "
	    "by one transaction.", 0, NULL, items,
	    sizeof(items) / sizeof(items[0]));
	m_commit_duration = met_register(d->reg, MET_HISTOGRAM,
	    "alertnoise_store_commit_duration_seconds",
	    "Time of one group-commit transaction, from its begin to its "
	    "sync.", 0, NULL, secs, sizeof(secs) / sizeof(secs[0]));
	if (m_commits == NULL || m_commit_requests == NULL ||
	    m_commit_duration == NULL ||
	    (cq = commitq_new(d->store, &o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < 2; i++)
		met_add(m_commits, &results[i], 0);
	met_set(d->m.rw_live, NULL,
	    (double)store_live_series_committed(d->store));
	return 0;
}

void
ingest_routes_stop(void)
{
	commitq_free(cq);
	cq = NULL;
}

/* Copies the config's ingest options: they point into cfg, which the caller
 * holds while they are used. */
static void
ingest_opts_from(const struct an_config *cfg, unsigned source,
    struct ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->replica_labels = (const char *const *)cfg->replica_labels;
	o->nreplica = cfg->n_replica_labels;
	o->dedup_window_ms = cfg->webhook_dedup_window_ms;
	o->join_tolerance_ms = cfg->join_tolerance_ms;
	o->source = source;
}

static void
count_storage(struct daemon *d, const char *op, const struct timespec *t0,
    int failed)
{
	met_observe(d->m.storage_duration, &op, elapsed_seconds(t0));
	if (failed)
		met_add(d->m.storage_errors, &op, 1);
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A Content-Length over limit: refused before the body is read. */
static int
declared_too_large(struct MHD_Connection *c, size_t limit, char *msg,
    size_t msglen)
{
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (cl == NULL || strtoull(cl, NULL, 10) <= limit)
		return 0;
	snprintf(msg, msglen, "body of %.20s bytes exceeds the limit of %zu "
	    "bytes", cl, limit);
	return 1;
}

/* --- webhook ------------------------------------------------------------- */

static enum MHD_Result
webhook_reject(struct MHD_Connection *c, struct request *r, int code,
    const char *reason, const char *msg)
{
	const char *res[] = { "rejected" };

	met_add(r->d->m.wh_rejected, &reason, 1);
	met_add(r->d->m.wh_notifications, res, 1);
	log_debug("webhook rejected", "reason", reason, "err", msg);
	return respond_json_error(c, r, code, code >= 500 ? "internal" :
	    "bad_data", msg);
}

static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

enum MHD_Result
webhook_headers(struct MHD_Connection *c, struct request *r)
{
	const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const struct an_config *cfg;
	char msg[128];

	r->reject = webhook_reject;
	cfg = daemon_config(r->d);
	r->body.limit = cfg->webhook_max_body;
	r->body_cost = WEBHOOK_BODY_COST;
	cfg_release(cfg);
	if (!is_json_type(ct)) {
		snprintf(msg, sizeof(msg), "Content-Type must be "
		    "application/json, got \"%.60s\"", ct ? ct : "");
		return webhook_reject(c, r, 415, "unsupported_media_type", msg);
	}
	if (declared_too_large(c, r->body.limit, msg, sizeof(msg)))
		return webhook_reject(c, r, 413, "too_large", msg);
	return MHD_YES;
}

/* A webhook notification waiting in the commit queue. */
struct wh_work {
	const struct wh_notification *n;
	int64_t received_ms;
	const struct ingest_opts *opts;
	struct kpi_note kpi;
	struct ingest_result res;
};

/* Stores the notification and, in the same savepoint, its counts in the
 * durable KPI counters (kpi.h): a notification rolled back counts
 * nothing. */
static int
apply_webhook(struct store *st, void *arg)
{
	struct wh_work *w = arg;

	if (ingest_webhook_apply(st, w->n, w->received_ms, w->opts,
	    &w->res) < 0)
		return -1;
	if (!w->res.duplicate)
		return kpi_store_notification(st, w->n, &w->kpi);
	return 0;
}

enum MHD_Result
h_webhook(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	const struct an_config *cfg = daemon_config(d);
	struct wh_notification *n = NULL;
	struct ingest_opts opts;
	struct wh_work w;
	struct timespec t0;
	const char *result[1];
	char err[1024], nalerts[24];
	enum wh_error e;
	enum MHD_Result ret;
	int rc;

	e = wh_parse(r->body.data ? r->body.data : "", r->body.len,
	    (const char *const *)cfg->replica_labels,
	    cfg->n_replica_labels, &n, err, sizeof(err));
	if (e != WH_OK) {
		cfg_release(cfg);
		return webhook_reject(c, r, e == WH_ERR_NOMEM ? 500 : 400,
		    wh_error_reason(e), err);
	}
	/* cfg is held until the item is applied: opts points into it */
	ingest_opts_from(cfg, EP_SRC_WEBHOOK, &opts);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w.n = n;
	w.received_ms = ts_now_ms();
	w.opts = &opts;
	kpi_classify(cfg, n, w.received_ms, &w.kpi);
	rc = commitq_run(cq, apply_webhook, &w, r->body.len, err, sizeof(err));
	cfg_release(cfg);
	count_storage(d, "put_notification", &t0, rc < 0);
	snprintf(nalerts, sizeof(nalerts), "%zu", n->nalerts);
	if (rc < 0) {
		log_error("storing a notification failed", "err", err,
		    "receiver", n->receiver);
		result[0] = "error";
		met_add(d->m.wh_notifications, result, 1);
		met_add(d->m.wh_alerts, result, (double)n->nalerts);
		wh_free(n);
		return respond_json_error(c, r, 503, "unavailable", err);
	}
	result[0] = w.res.duplicate ? "duplicate" : "stored";
	met_add(d->m.wh_notifications, result, 1);
	met_add(d->m.wh_alerts, result, (double)n->nalerts);
	met_add(d->m.episodes_opened, NULL, (double)w.res.episodes_opened);
	met_add(d->m.episodes_resolved, NULL, (double)w.res.episodes_resolved);
	if (!w.res.duplicate)
		kpi_notification(d, n, &w.kpi);
	log_debug("notification received", "receiver", n->receiver,
	    "group_key", n->group_key, "alerts", nalerts, "result", result[0]);
	ret = respond_json_data(c, r, 200, json_pack("{s:s, s:I, s:I, s:I}",
	    "result", result[0], "notificationId",
	    (json_int_t)w.res.notification_id,
	    "episodesOpened", (json_int_t)w.res.episodes_opened,
	    "episodesResolved", (json_int_t)w.res.episodes_resolved));
	wh_free(n);
	return ret;
}

/* --- remote write ---------------------------------------------------------
 * Errors are plain text, as Prometheus' own receiver answers. */

static enum MHD_Result
write_reject(struct MHD_Connection *c, struct request *r, int code,
    const char *reason, const char *msg)
{
	char text[1100];

	met_add(r->d->m.rw_rejected, &reason, 1);
	log_debug("remote write rejected", "reason", reason, "err", msg);
	snprintf(text, sizeof(text), "%s\n", msg);
	return respond_text(c, r, code, text);
}

/* Refuses a request that would start series beyond a cardinality cap
 * (ingest.h): 429 with the cap, its value and the count, counted by
 * reason and logged at most every CAP_LOG_EVERY_S seconds. Retry-After
 * tells a sender that retries on 429 (Prometheus with queue_config
 * retry_on_http_429) to wait for the minute to pass. */
static enum MHD_Result
write_refuse_cap(struct MHD_Connection *c, struct request *r,
    const struct ingest_result *res, int64_t max)
{
	const char *reason = res->limited == INGEST_LIMIT_LIVE ?
	    "series_limit" : "new_series_rate";
	struct timespec now;
	unsigned long suppressed = 0;
	int log_now = 0;
	char msg[300], text[302], num[24];

	if (res->limited == INGEST_LIMIT_LIVE)
		snprintf(msg, sizeof(msg), "remote_write.max_series (%lld) "
		    "reached: %lld live series; the request would add %zu",
		    (long long)max, (long long)res->limit_count,
		    res->series_new);
	else
		snprintf(msg, sizeof(msg), "remote_write."
		    "max_new_series_per_minute (%lld) reached: %lld new "
		    "series in the last minute; the request would add %zu",
		    (long long)max, (long long)res->limit_count,
		    res->series_new);
	met_add(r->d->m.rw_rejected, &reason, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&cap_log_lock);
	if (cap_log_last == 0 || now.tv_sec - cap_log_last >= CAP_LOG_EVERY_S) {
		log_now = 1;
		suppressed = cap_log_suppressed;
		cap_log_suppressed = 0;
		cap_log_last = now.tv_sec;
	} else {
		cap_log_suppressed++;
	}
	pthread_mutex_unlock(&cap_log_lock);
	if (log_now) {
		snprintf(num, sizeof(num), "%lu", suppressed);
		log_warn("remote write refused by a cardinality cap", "reason",
		    reason, "err", msg, "suppressed", num);
	}
	snprintf(text, sizeof(text), "%s\n", msg);
	return respond_header(c, r, 429, "text/plain; charset=utf-8", text,
	    strlen(text), MHD_HTTP_HEADER_RETRY_AFTER, "60");
}

enum MHD_Result
write_headers(struct MHD_Connection *c, struct request *r)
{
	const char *ce = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
	const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const struct an_config *cfg;
	enum rw_version v;
	char msg[256];

	r->reject = write_reject;
	cfg = daemon_config(r->d);
	r->body.limit = cfg->rw_max_compressed;
	r->body_cost = WRITE_BODY_COST;
	cfg_release(cfg);
	if (ce == NULL || strcasecmp(ce, "snappy") != 0) {
		snprintf(msg, sizeof(msg), "Content-Encoding must be snappy, "
		    "got \"%.40s\"", ce ? ce : "");
		return write_reject(c, r, 415, "unsupported_media_type", msg);
	}
	if (rw_content_type(ct, &v, msg, sizeof(msg)) < 0)
		return write_reject(c, r, 415, "unsupported_media_type", msg);
	if (declared_too_large(c, r->body.limit, msg, sizeof(msg)))
		return write_reject(c, r, 413, "too_large", msg);
	return MHD_YES;
}

static void
count_samples(struct daemon *d, const struct ingest_result *res)
{
	const char *applied[] = { "applied" }, *old[] = { "out_of_order" },
	    *ignored[] = { "ignored" };

	met_add(d->m.rw_samples, applied, (double)res->samples_applied);
	met_add(d->m.rw_samples, old, (double)res->samples_old);
	met_add(d->m.rw_samples, ignored, (double)res->samples_ignored);
	met_add(d->m.episodes_opened, NULL, (double)res->episodes_opened);
	met_add(d->m.episodes_resolved, NULL, (double)res->episodes_resolved);
}

/* A remote-write request waiting in the commit queue. */
struct rw_work {
	const struct rw_request *req;
	int64_t received_ms;
	const struct ingest_opts *opts;
	struct ingest_result res;
};

static int
apply_samples(struct store *st, void *arg)
{
	struct rw_work *w = arg;

	return ingest_samples_apply(st, w->req, w->received_ms, w->opts,
	    &w->res);
}

enum MHD_Result
h_write(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	const struct an_config *cfg = daemon_config(d);
	struct rw_request *req = NULL;
	struct rw_limits lim;
	struct ingest_opts opts;
	struct rw_work w;
	struct timespec t0;
	struct MHD_Response *resp;
	enum rw_version v = RW_V1;
	enum rw_status status;
	enum MHD_Result ret;
	char err[1024], serr[512], num[24];
	int rc;

	rw_content_type(header(c, MHD_HTTP_HEADER_CONTENT_TYPE), &v, err,
	    sizeof(err));
	rw_limits_default(&lim);
	lim.max_compressed = cfg->rw_max_compressed;
	lim.max_decoded = cfg->rw_max_decoded;
	lim.max_series = cfg->rw_max_series;
	lim.max_samples = cfg->rw_max_samples;
	lim.max_labels = cfg->rw_max_labels;
	lim.max_name_len = cfg->rw_max_name_len;
	lim.max_value_len = cfg->rw_max_value_len;
	status = rw_decode(r->body.data ? r->body.data : "", r->body.len, v,
	    &lim, &req, err, sizeof(err));
	if (status != RW_OK && status != RW_ERR_INVALID) {
		static const int codes[] = {
			[RW_ERR_MEDIA] = 415, [RW_ERR_TOO_LARGE] = 413,
			[RW_ERR_SNAPPY] = 400, [RW_ERR_PROTO] = 400,
			[RW_ERR_NOMEM] = 500,
		};

		cfg_release(cfg);
		return write_reject(c, r, codes[status],
		    rw_status_reason(status), err);
	}
	/* a sample out of [now - retention, now + 10m] refuses the whole
	 * request, as Prometheus' receiver answers ErrOutOfBounds: 400, so
	 * the sender drops it instead of retrying */
	w.received_ms = ts_now_ms();
	if (rw_out_of_bounds(req, w.received_ms - cfg->retention_ms,
	    w.received_ms + WRITE_MAX_AHEAD_MS, serr, sizeof(serr)) > 0) {
		cfg_release(cfg);
		rw_request_free(req);
		return write_reject(c, r, 400, "out_of_bounds", serr);
	}
	/* valid series of a partly invalid request are kept (README) */
	ingest_opts_from(cfg, EP_SRC_REMOTE_WRITE, &opts);
	opts.max_live_series = (int64_t)cfg->rw_max_live;
	opts.max_new_per_minute = (int64_t)cfg->rw_max_new_per_minute;
	opts.rate = &new_series;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w.req = req;
	w.opts = &opts;
	/* err keeps the message of the invalid series, if any */
	rc = commitq_run(cq, apply_samples, &w, r->body.len, serr,
	    sizeof(serr));
	cfg_release(cfg);
	count_storage(d, "put_samples", &t0, rc < 0);
	if (rc < 0) {
		log_error("storing remote-write samples failed", "err", serr);
		rw_request_free(req);
		return respond_text(c, r, 503, "storing samples failed, "
		    "retry\n");
	}
	if (w.res.limited != INGEST_LIMIT_NONE) {
		ret = write_refuse_cap(c, r, &w.res,
		    w.res.limited == INGEST_LIMIT_LIVE ? opts.max_live_series :
		    opts.max_new_per_minute);
		rw_request_free(req);
		return ret;
	}
	count_samples(d, &w.res);
	if (status == RW_ERR_INVALID) {
		const char *inv[] = { "invalid" };
		size_t bad = 0;

		for (size_t i = 0; i < req->nseries; i++)
			if (!req->series[i].valid)
				bad += req->series[i].nsamples;
		met_add(d->m.rw_samples, inv, (double)bad);
		rw_request_free(req);
		return write_reject(c, r, 400, "invalid", err);
	}
	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		rw_request_free(req);
		return MHD_NO;
	}
	/* 2.0 (remote_write_spec_2_0.md, "Required Written Response
	 * Headers"): what the store holds of the request -- its ALERTS and
	 * ALERTS_FOR_STATE samples, new ones and those at or before their
	 * series' last (a re-sent batch, held already: Prometheus' receiver
	 * counts a duplicate sample as written too). Other series,
	 * histograms and exemplars are accepted and dropped: not written. */
	if (v == RW_V2) {
		snprintf(num, sizeof(num), "%zu",
		    w.res.samples_applied + w.res.samples_old);
		MHD_add_response_header(resp,
		    "X-Prometheus-Remote-Write-Samples-Written", num);
		MHD_add_response_header(resp,
		    "X-Prometheus-Remote-Write-Histograms-Written", "0");
		MHD_add_response_header(resp,
		    "X-Prometheus-Remote-Write-Exemplars-Written", "0");
	}
	rw_request_free(req);
	ret = MHD_queue_response(c, 204, resp);
	MHD_destroy_response(resp);
	r->code = 204;
	r->responded = 1;
	return ret;
}

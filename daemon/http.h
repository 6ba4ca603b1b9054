/* http.h -- what alertnoised's HTTP handlers share (daemon/ only). */
#ifndef AN_HTTP_H
#define AN_HTTP_H

#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "daemon.h"

/* One request in progress. Owned by MHD's per-connection pointer; freed in
 * request_completed. */
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
};

/* Queue a response; body is copied. */
enum MHD_Result respond(struct MHD_Connection *c, struct request *r, int code,
    const char *content_type, const char *body, size_t len);
/* An HTML page (copied) with the headers of every page alertnoised serves:
 * nothing loads but the inline style, forms post only here, no framing, no
 * caching, no referrer. */
enum MHD_Result respond_html(struct MHD_Connection *c, struct request *r,
    int code, const char *html, size_t len);
enum MHD_Result respond_text(struct MHD_Connection *c, struct request *r,
    int code, const char *text);
/* {"status":"success","data":data}; steals data (NULL: null). */
enum MHD_Result respond_json_data(struct MHD_Connection *c, struct request *r,
    int code, json_t *data);
/* {"status":"error","errorType":type,"error":msg}, as Prometheus' API. */
enum MHD_Result respond_json_error(struct MHD_Connection *c, struct request *r,
    int code, const char *type, const char *msg);

double elapsed_seconds(const struct timespec *start);

/* ingest_routes.c: the group-commit queue the write endpoints share, with
 * its metrics (alertnoise_store_commit*). Start it after the store is open
 * and before http_start; stop it after http_stop, before store_close.
 * Returns 0 or -1 with err. */
int ingest_routes_start(struct daemon *d, char *err, size_t errlen);
void ingest_routes_stop(void);

/* Handlers (ingest_routes.c, api.c). */
enum MHD_Result webhook_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_webhook(struct MHD_Connection *, struct request *);
enum MHD_Result write_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_write(struct MHD_Connection *, struct request *);
enum MHD_Result api_episodes(struct MHD_Connection *, struct request *);
enum MHD_Result api_firing(struct MHD_Connection *, struct request *);
enum MHD_Result api_alerts(struct MHD_Connection *, struct request *);
enum MHD_Result api_groups(struct MHD_Connection *, struct request *);
enum MHD_Result api_summary(struct MHD_Connection *, struct request *);
/* report_routes.c */
enum MHD_Result api_report(struct MHD_Connection *, struct request *);
/* recommendations.c */
enum MHD_Result api_recommendations(struct MHD_Connection *,
    struct request *);
/* simulate.c */
enum MHD_Result simulate_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_simulate(struct MHD_Connection *, struct request *);
/* feedback.c */
enum MHD_Result feedback_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_feedback(struct MHD_Connection *, struct request *);
enum MHD_Result page_feedback(struct MHD_Connection *, struct request *);
/* ui.c: the web UI's pages */
enum MHD_Result ui_overview(struct MHD_Connection *, struct request *);
enum MHD_Result ui_alert(struct MHD_Connection *, struct request *);
enum MHD_Result ui_groups(struct MHD_Connection *, struct request *);
enum MHD_Result ui_recommendations(struct MHD_Connection *,
    struct request *);

#endif

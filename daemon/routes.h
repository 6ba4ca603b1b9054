/* routes.h -- the handlers of http.c's route table, each defined in its
 * route file, which answers through respond.h (daemon/ only). A *_headers
 * function serves a route with a body: it checks the headers before the body
 * is read, sets the body limit, and may queue a rejection. */
#ifndef AN_ROUTES_H
#define AN_ROUTES_H

#include <microhttpd.h>

#include "respond.h"

/* ingest_routes.c */
enum MHD_Result webhook_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_webhook(struct MHD_Connection *, struct request *);
enum MHD_Result write_headers(struct MHD_Connection *, struct request *);
enum MHD_Result h_write(struct MHD_Connection *, struct request *);
/* api.c */
enum MHD_Result api_episodes(struct MHD_Connection *, struct request *);
enum MHD_Result api_firing(struct MHD_Connection *, struct request *);
enum MHD_Result api_alertnames(struct MHD_Connection *, struct request *);
enum MHD_Result api_groups(struct MHD_Connection *, struct request *);
enum MHD_Result api_summary(struct MHD_Connection *, struct request *);
enum MHD_Result api_recommendations(struct MHD_Connection *,
    struct request *);
/* report_routes.c */
enum MHD_Result api_report(struct MHD_Connection *, struct request *);
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

/* recommendations.c -- GET /api/v1/recommendations, and the recommendations
 * the weekly report carries (lib/tuning/recommend.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "config.h"
#include "http.h"
#include "patches.h"
#include "recommend.h"
#include "recommendations.h"
#include "replay.h"
#include "routing.h"
#include "simulate.h"
#include "sources.h"

json_t *
recommendations_for(struct store *st, const struct an_config *cfg,
    const struct analysis *a, char *err, size_t errlen)
{
	struct sources *src = sources_get();
	struct rp_history *h = NULL;
	struct rt_settings rs;
	struct settings cur;
	struct an_opts o;
	struct rc_opts ro;
	json_t *recs = NULL;

	if (rp_history_load(st, a, &h, err, errlen) < 0) {
		sources_put(src);
		return NULL;
	}
	if (settings_current(cfg, src, a, h, &cur, &rs, err, errlen) < 0) {
		rp_history_free(h);
		sources_put(src);
		return NULL;
	}
	analysis_opts(cfg, src, &o);
	rc_opts_default(&ro);
	ro.replica_labels = (const char *const *)cfg->replica_labels;
	ro.nreplica = cfg->n_replica_labels;
	if ((recs = rc_recommend(a, h, &o, &rs.set, &ro)) == NULL)
		snprintf(err, errlen, "out of memory");
	else
		patches_add(recs, src, a);
	rt_settings_free(&rs);
	settings_free(&cur);
	rp_history_free(h);
	sources_put(src);
	return recs;
}

enum MHD_Result
api_recommendations(struct MHD_Connection *c, struct request *r)
{
	struct daemon *d = r->d;
	const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "window");
	const struct analysis *a;
	void *handle;
	int64_t window;
	char err[512];
	json_t *recs;

	window = daemon_default_window(d);
	if (w != NULL && cfg_parse_window(w, &window) < 0)
		return respond_json_error(c, r, 400, "bad_data", "invalid "
		    "window: want a duration such as 7d, at most 366d");
	if ((a = analysis_get(d, window, &handle, err, sizeof(err))) == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	/* under the config the analysis was made with (the replay's
	 * settings point into it; the handle holds it) */
	recs = recommendations_for(d->store, analysis_handle_config(handle),
	    a, err, sizeof(err));
	analysis_put(handle);
	if (recs == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	return respond_json_data(c, r, 200, recs);
}

/* recommendations.c -- the recommendations for an analysis under the
 * config's current settings (lib/tuning/recommend.h), as GET
 * /api/v1/recommendations (api.c), the web UI, the KPIs and the weekly
 * report carry them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "config.h"
#include "patches.h"
#include "recommend.h"
#include "recommendations.h"
#include "replay.h"
#include "routing.h"
#include "settings.h"
#include "sources.h"

struct rc_list *
recommendations_for(struct store *st, const struct an_config *cfg,
    const struct analysis *a, char *err, size_t errlen)
{
	struct sources *src = sources_get();
	struct rp_history *h = NULL;
	struct rt_settings rs;
	struct settings cur;
	struct an_opts o;
	struct rc_opts ro;
	struct rp_limits lim = { 0, 0, NULL, NULL };
	struct rc_list *recs;
	int rc;

	if ((recs = malloc(sizeof(*recs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rp_history_load(st, a, &h, err, errlen) < 0) {
		free(recs);
		sources_put(src);
		return NULL;
	}
	if (settings_current(cfg, src, a, h, &cur, &rs, err, errlen) < 0) {
		free(recs);
		rp_history_free(h);
		sources_put(src);
		return NULL;
	}
	analysis_opts(cfg, src, &o);
	rc_opts_default(&ro);
	ro.replica_labels = (const char *const *)cfg->replica_labels;
	ro.nreplica = cfg->n_replica_labels;
	/* the replays stop when the work does (a request's deadline or
	 * client, the shutdown: analyses.h) */
	lim.stop_fn = analysis_work_stops;
	ro.lim = &lim;
	if ((rc = rc_recommend(a, h, &o, &rs.set, &ro, recs)) < 0) {
		if (rc == RP_ESTOPPED)
			analysis_stop_message("the recommendations", err,
			    errlen);
		else
			snprintf(err, errlen, "out of memory");
		free(recs);
		recs = NULL;
	} else {
		patches_add(recs, src, a);
	}
	rt_settings_free(&rs);
	settings_free(&cur);
	rp_history_free(h);
	sources_put(src);
	return recs;
}

void
recommendations_free(struct rc_list *l)
{
	if (l == NULL)
		return;
	rc_list_free(l);
	free(l);
}

static void *
recs_compute(void *handle, void *arg, char *err, size_t errlen)
{
	/* under the config the analysis was made with (the replay's
	 * settings point into it; the handle holds it) */
	return recommendations_for(arg, analysis_handle_config(handle),
	    analysis_handle_analysis(handle), err, errlen);
}

static void
recs_release(void *v)
{
	recommendations_free(v);
}

const struct rc_list *
recommendations_cached(struct store *st, void *handle, char *err,
    size_t errlen)
{
	return analysis_memo(handle, ANALYSIS_RECOMMENDATIONS, recs_compute,
	    recs_release, st, err, errlen);
}

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

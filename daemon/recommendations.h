/* recommendations.h -- recommendations from the config's settings
 * (daemon/). */
#ifndef AN_RECOMMENDATIONS_H
#define AN_RECOMMENDATIONS_H

#include "analysis.h"
#include "config.h"
#include "recommend.h"
#include "store.h"

/* The recommendations for analysis a, replayed under the current settings
 * of cfg (hold cfg meanwhile: they point into it) and patched against the
 * sources (patches.h). Returns a new list, which the caller frees with
 * recommendations_free (rc_list_json renders it), or NULL with err. */
struct rc_list *recommendations_for(struct store *st,
    const struct an_config *cfg, const struct analysis *a, char *err,
    size_t errlen);
void recommendations_free(struct rc_list *l);

/* The recommendations of a cached analysis (analyses.h analysis_get's
 * handle), computed once under the config it was made with and kept with
 * it (freed with it). Shared: read it, never change it; valid as long as
 * the handle. NULL with err. */
const struct rc_list *recommendations_cached(struct store *st, void *handle,
    char *err, size_t errlen);

#endif

/* recommendations.h -- recommendations from the config's settings
 * (daemon/). */
#ifndef AN_RECOMMENDATIONS_H
#define AN_RECOMMENDATIONS_H

#include <jansson.h>

#include "analysis.h"
#include "config.h"
#include "store.h"

/* The recommendations for analysis a, replayed under the current settings
 * of cfg (hold cfg meanwhile: they point into it). Returns a new JSON
 * array, or NULL with err. */
json_t *recommendations_for(struct store *st, const struct an_config *cfg,
    const struct analysis *a, char *err, size_t errlen);

#endif

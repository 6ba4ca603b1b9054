/* settings.h -- replay settings from the config or a request (settings.c;
 * daemon/). */
#ifndef AN_SETTINGS_H
#define AN_SETTINGS_H

#include <jansson.h>

#include "config.h"
#include "replay.h"

/* A struct rp_settings and everything it points to. */
struct settings {
	struct rp_settings set;
	struct rp_rule *rules;
	size_t nrules;
	struct rp_route *routes;
	size_t nroutes;
	struct rp_inhibit *inhibits;
	size_t ninhibits;
	const char **(*group_by);	/* per route, freed with it */
	const char **(*equal);		/* per inhibit rule */
	json_t *strings;		/* keeps the request body, whose strings
					   the settings borrow, alive */
};

/* The settings history was made under (replay.routes, replay.rules). The
 * result points into cfg: use it while holding cfg. */
int settings_from_config(const struct an_config *cfg, struct settings *s,
    char *err, size_t errlen);

struct sources;
struct rt_settings;

/* The current settings of a replay of a: the real configuration of src
 * (may be NULL) with the config's replay.* on top (lib/tuning/routing.h rt_build,
 * which also routes a's identities in h). Fills *cfgset and *rs (free
 * both, rs after cfgset's last use); use rs->set. Returns 0, or -1 with err
 * and nothing to free. Holding cfg and src. */
int settings_current(const struct an_config *cfg, const struct sources *src,
    const struct analysis *a, struct rp_history *h, struct settings *cfgset,
    struct rt_settings *rs, char *err, size_t errlen);

/* A proposal from a request body {rules, routes, inhibit_rules}; err names
 * the offending field. */
int settings_from_json(json_t *body, struct settings *s, char *err,
    size_t errlen);

void settings_free(struct settings *s);

#endif

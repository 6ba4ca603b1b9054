/* settings.c -- the settings a replay runs under (lib/tuning/replay.h):
 * the current ones, from the config (replay.routes, replay.rules) over the
 * sources' real configuration, which POST /api/v1/simulate (simulate.c) and
 * the recommendations share; and a proposal from a simulate request's body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "replay.h"
#include "routing.h"
#include "selector.h"
#include "settings.h"
#include "sources.h"

#define ITEMS_MAX	256	/* rules, routes, inhibit rules, labels */

void
settings_free(struct settings *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		sel_free(s->rules[i].match);
	for (size_t i = 0; i < s->nroutes; i++)
		free(s->group_by[i]);
	for (size_t i = 0; i < s->ninhibits; i++) {
		sel_free(s->inhibits[i].source);
		sel_free(s->inhibits[i].target);
		free(s->equal[i]);
	}
	free(s->rules);
	free(s->routes);
	free(s->inhibits);
	free(s->group_by);
	free(s->equal);
	json_decref(s->strings);
	memset(s, 0, sizeof(*s));
}

static int
settings_alloc(struct settings *s, size_t nrules, size_t nroutes,
    size_t ninhibits)
{
	memset(s, 0, sizeof(*s));
	s->rules = calloc(nrules + 1, sizeof(*s->rules));
	s->routes = calloc(nroutes + 1, sizeof(*s->routes));
	s->group_by = calloc(nroutes + 1, sizeof(*s->group_by));
	s->inhibits = calloc(ninhibits + 1, sizeof(*s->inhibits));
	s->equal = calloc(ninhibits + 1, sizeof(*s->equal));
	s->strings = json_array();
	if (!s->rules || !s->routes || !s->group_by || !s->inhibits ||
	    !s->equal || !s->strings)
		return -1;
	s->set.rules = s->rules;
	s->set.routes = s->routes;
	s->set.inhibits = s->inhibits;
	return 0;
}

int
settings_from_config(const struct an_config *cfg, struct settings *s,
    char *err, size_t errlen)
{
	if (settings_alloc(s, cfg->n_replay_rules, cfg->n_replay_routes, 0) < 0)
		goto nomem;
	for (size_t i = 0; i < cfg->n_replay_rules; i++) {
		const struct cfg_rule *r = &cfg->replay_rules[i];
		struct rp_rule *x = &s->rules[s->nrules];

		if (sel_parse(r->match, &x->match, err, errlen) < 0)
			goto bad;	/* cannot happen: checked at load */
		x->for_ms = r->for_ms;
		x->keep_firing_for_ms = r->keep_firing_for_ms;
		s->nrules++;
	}
	for (size_t i = 0; i < cfg->n_replay_routes; i++) {
		const struct cfg_route *r = &cfg->replay_routes[i];
		struct rp_route *x = &s->routes[s->nroutes++];

		x->receiver = r->receiver;
		x->group_by = (const char *const *)r->group_by;
		x->ngroup_by = r->n_group_by;
		x->group_by_set = r->group_by != NULL;
		x->group_wait_ms = r->group_wait_ms;
		x->group_interval_ms = r->group_interval_ms;
		x->repeat_interval_ms = r->repeat_interval_ms;
		x->send_resolved = r->send_resolved;
	}
	s->set.nrules = s->nrules;
	s->set.nroutes = s->nroutes;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
bad:
	settings_free(s);
	return -1;
}

int
settings_current(const struct an_config *cfg, const struct sources *src,
    const struct analysis *a, struct rp_history *h, struct settings *cfgset,
    struct rt_settings *rs, char *err, size_t errlen)
{
	if (settings_from_config(cfg, cfgset, err, errlen) < 0)
		return -1;
	if (rt_build(src && src->am ? src->am->cfg : NULL,
	    src && src->prom ? src->prom->rules : NULL,
	    src && src->sil ? src->sil->v : NULL,
	    src && src->sil ? src->sil->n : 0, a, h, &cfgset->set, rs, err,
	    errlen) < 0) {
		settings_free(cfgset);
		return -1;
	}
	return 0;
}

/* --- the request body ---------------------------------------------------- */

static int
bad(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -1;
}

/* A duration member: -1 when absent. */
static int
get_duration(json_t *o, const char *key, const char *where, int64_t *ms,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*ms = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || cfg_parse_duration(json_string_value(v),
	    ms) < 0) {
		snprintf(err, errlen, "%s.%s: want a duration such as \"5m\"",
		    where, key);
		return -1;
	}
	return 0;
}

/* A list of label names as a NULL-terminated array of strings borrowed
 * from the request body (which s->strings keeps alive). */
static const char **
get_names(json_t *arr, const char *where, size_t *n, char *err, size_t errlen)
{
	const char **v;
	size_t i;
	json_t *x;

	if (!json_is_array(arr) || json_array_size(arr) > ITEMS_MAX) {
		snprintf(err, errlen, "%s: want an array of label names", where);
		return NULL;
	}
	if ((v = calloc(json_array_size(arr) + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach(arr, i, x) {
		if (!json_is_string(x) || *json_string_value(x) == '\0') {
			free(v);
			snprintf(err, errlen, "%s[%zu]: want a label name",
			    where, i);
			return NULL;
		}
		v[i] = json_string_value(x);
	}
	*n = json_array_size(arr);
	return v;
}

/* Alertmanager's matcher list ['alertname="A"', ...] or a selector
 * string, as a selector. */
static int
get_matchers(json_t *o, const char *key, const char *alt, const char *where,
    struct sel **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	char sel_err[256], buf[4096];
	size_t len = 0;

	if (v == NULL && alt != NULL)
		v = json_object_get(o, alt);
	if (v == NULL)
		return bad(err, errlen, "%s: missing matchers", where);
	if (json_is_string(v)) {
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) <= ITEMS_MAX) {
		size_t i;
		json_t *x;

		buf[len++] = '{';
		json_array_foreach(v, i, x) {
			int k;

			if (!json_is_string(x))
				return bad(err, errlen, "%s: matchers must be "
				    "strings", where);
			k = snprintf(buf + len, sizeof(buf) - len, "%s%s",
			    i ? "," : "", json_string_value(x));
			if (k < 0 || (size_t)k >= sizeof(buf) - len - 1)
				return bad(err, errlen, "%s: matchers too long",
				    where);
			len += (size_t)k;
		}
		buf[len++] = '}';
		buf[len] = '\0';
	} else {
		return bad(err, errlen, "%s: want a selector string or a "
		    "list of matchers", where);
	}
	if (sel_parse(buf, out, sel_err, sizeof(sel_err)) < 0) {
		snprintf(err, errlen, "%s: %s", where, sel_err);
		return -1;
	}
	return 0;
}

int
settings_from_json(json_t *body, struct settings *s, char *err,
    size_t errlen)
{
	json_t *rules = json_object_get(body, "rules");
	json_t *routes = json_object_get(body, "routes");
	json_t *inh = json_object_get(body, "inhibit_rules");
	char where[64];
	size_t i;
	json_t *x;

	if ((rules && !json_is_array(rules)) ||
	    (routes && !json_is_array(routes)) ||
	    (inh && !json_is_array(inh)) ||
	    json_array_size(rules) > ITEMS_MAX ||
	    json_array_size(routes) > ITEMS_MAX ||
	    json_array_size(inh) > ITEMS_MAX) {
		snprintf(err, errlen, "rules, routes and inhibit_rules must be "
		    "arrays of at most %d", ITEMS_MAX);
		return -1;
	}
	if (settings_alloc(s, json_array_size(rules), json_array_size(routes),
	    json_array_size(inh)) < 0 || json_array_append(s->strings,
	    body) < 0) {
		snprintf(err, errlen, "out of memory");
		settings_free(s);
		return -1;
	}
	json_array_foreach(rules, i, x) {
		struct rp_rule *r = &s->rules[i];

		snprintf(where, sizeof(where), "rules[%zu]", i);
		if (!json_is_object(x) || get_matchers(x, "match", "matchers",
		    where, &r->match, err, errlen) < 0)
			goto fail;
		s->nrules++;
		if (get_duration(x, "for", where, &r->for_ms, err, errlen) ||
		    get_duration(x, "keep_firing_for", where,
		    &r->keep_firing_for_ms, err, errlen))
			goto fail;
	}
	json_array_foreach(routes, i, x) {
		struct rp_route *r = &s->routes[i];
		json_t *gb, *recv, *sr;

		snprintf(where, sizeof(where), "routes[%zu]", i);
		if (!json_is_object(x)) {
			snprintf(err, errlen, "%s: want an object", where);
			goto fail;
		}
		s->nroutes++;
		r->send_resolved = -1;
		recv = json_object_get(x, "receiver");
		if (recv != NULL && !json_is_string(recv)) {
			snprintf(err, errlen, "%s.receiver: want a string",
			    where);
			goto fail;
		}
		r->receiver = json_string_value(recv);
		if ((gb = json_object_get(x, "group_by")) != NULL) {
			snprintf(where, sizeof(where), "routes[%zu].group_by",
			    i);
			if ((s->group_by[i] = get_names(gb, where,
			    &r->ngroup_by, err, errlen)) == NULL)
				goto fail;
			r->group_by = s->group_by[i];
			r->group_by_set = 1;
			snprintf(where, sizeof(where), "routes[%zu]", i);
		}
		if (get_duration(x, "group_wait", where, &r->group_wait_ms, err,
		    errlen) || get_duration(x, "group_interval", where,
		    &r->group_interval_ms, err, errlen) ||
		    get_duration(x, "repeat_interval", where,
		    &r->repeat_interval_ms, err, errlen))
			goto fail;
		if (r->group_interval_ms == 0) {
			snprintf(err, errlen, "%s.group_interval: must be "
			    "greater than 0", where);
			goto fail;
		}
		if ((sr = json_object_get(x, "send_resolved")) != NULL)
			r->send_resolved = json_is_true(sr);
		if (json_object_get(x, "match") || json_object_get(x,
		    "matchers")) {
			if (get_matchers(x, "matchers", "match", where,
			    &r->match, err, errlen) < 0)
				goto fail;
			/* a sub-route: for the alerts it matches only */
		}
	}
	json_array_foreach(inh, i, x) {
		struct rp_inhibit *r = &s->inhibits[i];
		json_t *eq;

		snprintf(where, sizeof(where), "inhibit_rules[%zu]", i);
		if (!json_is_object(x) || get_matchers(x, "source_matchers",
		    "source", where, &r->source, err, errlen) < 0)
			goto fail;
		s->ninhibits++;
		if (get_matchers(x, "target_matchers", "target", where,
		    &r->target, err, errlen) < 0)
			goto fail;
		if ((eq = json_object_get(x, "equal")) != NULL) {
			snprintf(where, sizeof(where), "inhibit_rules[%zu].equal",
			    i);
			if ((s->equal[i] = get_names(eq, where, &r->nequal,
			    err, errlen)) == NULL)
				goto fail;
			r->equal = s->equal[i];
		}
	}
	s->set.nrules = s->nrules;
	s->set.nroutes = s->nroutes;
	s->set.ninhibits = s->ninhibits;
	return 0;
fail:
	settings_free(s);
	return -1;
}

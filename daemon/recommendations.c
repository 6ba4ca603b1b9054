/* recommendations.c -- GET /api/v1/recommendations, and the recommendations
 * the weekly report carries (lib/recommend.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "config.h"
#include "http.h"
#include "promrules.h"
#include "recommend.h"
#include "recommendations.h"
#include "replay.h"
#include "routing.h"
#include "simulate.h"
#include "sources.h"
#include "udiff.h"

/* The text of rule file path in the Prometheus source, or NULL. */
static const struct src_file *
rule_file(const struct src_prom *prom, const char *path)
{
	for (size_t i = 0; i < prom->nfiles; i++)
		if (strcmp(prom->files[i].path, path) == 0)
			return &prom->files[i];
	return NULL;
}

/* Adds "patches" to a rule recommendation: per rule file that defines
 * alertname, the unified diff that sets `for` (or keep_firing_for) of
 * every rule of that name in it and changes nothing else. A file a patch
 * cannot be made for is named with its error instead. */
static void
rule_patches(json_t *rec, const struct src_prom *prom, const char *alertname,
    int64_t for_ms, int64_t kff_ms)
{
	json_t *patches = json_array();
	size_t n = pr_rules_count(prom->rules);

	for (size_t i = 0; i < n; i++) {
		const struct pr_rule *r = pr_rules_get(prom->rules, i);
		const struct src_file *f;
		char *text, *next, *diff, err[512];
		size_t len, nlen, dlen;
		int failed = 0;

		if (strcmp(r->alert, alertname) != 0 || r->line == 0 ||
		    (f = rule_file(prom, r->file)) == NULL)
			continue;
		/* the first rule of this file with that name: patch all of
		 * them in this file at once */
		{
			size_t j;

			for (j = 0; j < i; j++)
				if (strcmp(pr_rules_get(prom->rules,
				    j)->alert, alertname) == 0 &&
				    strcmp(pr_rules_get(prom->rules, j)->file,
				    r->file) == 0)
					break;
			if (j < i)
				continue;
		}
		if ((text = malloc(f->len + 1)) == NULL)
			break;
		memcpy(text, f->text, f->len + 1);
		len = f->len;
		for (size_t j = i; j < n && !failed; j++) {
			const struct pr_rule *x = pr_rules_get(prom->rules, j);

			if (strcmp(x->alert, alertname) != 0 ||
			    strcmp(x->file, r->file) != 0)
				continue;
			if (pr_patch_rule(text, len, x, for_ms >= 0 ? for_ms :
			    x->for_ms, kff_ms, &next, &nlen, err,
			    sizeof(err)) < 0) {
				failed = 1;
				break;
			}
			free(text);
			text = next;
			len = nlen;
		}
		if (!failed && ud_diff(r->file, f->text, f->len, text, len,
		    &diff, &dlen, err, sizeof(err)) < 0)
			failed = 1;
		free(text);
		if (failed) {
			json_array_append_new(patches, json_pack("{s:s, s:s}",
			    "file", r->file, "error", err));
			continue;
		}
		json_array_append_new(patches, json_pack("{s:s, s:s%}",
		    "file", r->file, "diff", diff, dlen));
		free(diff);
	}
	json_object_set_new(rec, "patches", patches);
}

/* Patches for the recommendations that change a rule, when the rule files
 * are a source. */
static void
add_patches(json_t *recs, const struct sources *src)
{
	size_t i;
	json_t *rec;

	if (src == NULL || src->prom == NULL || src->prom->nfiles == 0)
		return;
	json_array_foreach(recs, i, rec) {
		const char *kind = json_string_value(json_object_get(rec,
		    "kind"));
		const char *name = json_string_value(json_object_get(rec,
		    "alertname"));
		json_t *ev = json_object_get(rec, "evidence");

		if (kind == NULL || name == NULL)
			continue;
		if (strcmp(kind, "raise_for") == 0)
			rule_patches(rec, src->prom, name, 1000 *
			    json_integer_value(json_object_get(ev,
			    "for_seconds")), -1);
		else if (strcmp(kind, "keep_firing_for") == 0)
			rule_patches(rec, src->prom, name, -1, 1000 *
			    json_integer_value(json_object_get(ev,
			    "keep_firing_for_seconds")));
	}
}

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
		add_patches(recs, src);
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

	pthread_rwlock_rdlock(&d->cfg_lock);
	window = d->cfg->an_window_ms;
	pthread_rwlock_unlock(&d->cfg_lock);
	if (w != NULL && (cfg_parse_duration(w, &window) < 0 || window <= 0 ||
	    window > 366LL * 86400000))
		return respond_json_error(c, r, 400, "bad_data", "invalid "
		    "window: want a duration such as 7d, at most 366d");
	if ((a = analysis_get(d, window, &handle, err, sizeof(err))) == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	/* the replay's settings point into the config */
	pthread_rwlock_rdlock(&d->cfg_lock);
	recs = recommendations_for(d->store, d->cfg, a, err, sizeof(err));
	pthread_rwlock_unlock(&d->cfg_lock);
	analysis_put(handle);
	if (recs == NULL)
		return respond_json_error(c, r, 503, "unavailable", err);
	return respond_json_data(c, r, 200, recs);
}

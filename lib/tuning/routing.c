/* routing.c -- the real routing tree and rules, applied (routing.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amroute.h"
#include "buf.h"
#include "promrules.h"
#include "routing.h"
#include "selector.h"

#define MAX_MATCHES	64	/* routes one alert reaches, kept */

static const char *const all_labels[] = { "...", NULL };
static const char *const by_alertname[] = { "alertname", NULL };

/* labels as an am_labels over borrowed strings; *names and *values are
 * the caller's to free. */
static int
labels_of(const json_t *labels, struct am_labels *ls, const char ***names,
    const char ***values)
{
	size_t n = json_object_size(labels), i = 0;
	const char *k;
	json_t *v;

	*names = malloc((n ? n : 1) * sizeof(**names));
	*values = malloc((n ? n : 1) * sizeof(**values));
	if (*names == NULL || *values == NULL)
		return -1;
	json_object_foreach((json_t *)labels, k, v) {
		if (!json_is_string(v))
			continue;
		(*names)[i] = k;
		(*values)[i++] = json_string_value(v);
	}
	ls->names = *names;
	ls->values = *values;
	ls->n = i;
	return 0;
}

int
rt_route(const struct am_config *c, const json_t *labels,
    struct am_route_info *out, size_t max)
{
	const char **names, **values;
	struct am_labels ls;
	int n = -1;

	if (labels_of(labels, &ls, &names, &values) == 0)
		n = am_route(c, &ls, out, max);
	free(names);
	free(values);
	return n;
}

int
rt_receivers(const struct am_config *c, const json_t *labels,
    const char **out, size_t max)
{
	struct am_route_info m[MAX_MATCHES];
	int n = rt_route(c, labels, m, MAX_MATCHES);
	size_t k = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n && i < MAX_MATCHES; i++) {
		size_t j;

		for (j = 0; j < k && j < max; j++)
			if (strcmp(out[j], m[i].receiver) == 0)
				break;
		if (j < k && j < max)
			continue;
		if (k < max)
			out[k] = m[i].receiver;
		k++;
	}
	return (int)k;
}

void
rt_settings_free(struct rt_settings *s)
{
	for (size_t i = 0; i < s->nrules_owned; i++)
		sel_free(s->rules[i].match);
	for (size_t i = 0; i < s->ninhibits; i++) {
		sel_free(s->inhibits[i].source);
		sel_free(s->inhibits[i].target);
	}
	for (size_t i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->rules);
	free(s->routes);
	free(s->inhibits);
	free(s->owned);
	memset(s, 0, sizeof(*s));
}

/* Keeps p, made here, until rt_settings_free; NULL in, or out of memory:
 * NULL. */
static char *
own(struct rt_settings *s, char *p)
{
	char **v;

	if (p == NULL)
		return NULL;
	if ((v = realloc(s->owned, (s->nowned + 1) * sizeof(*v))) == NULL) {
		free(p);
		return NULL;
	}
	s->owned = v;
	return v[s->nowned++] = p;
}

int
rt_quote(struct buf *b, const char *v)
{
	int rc = buf_append(b, "\"", 1);

	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			rc |= buf_append(b, "\\", 1);
		if (*v == '\n')
			rc |= buf_append(b, "\\n", 2);
		else
			rc |= buf_append(b, v, 1);
	}
	return rc | buf_append(b, "\"", 1);
}

/* The selector of an alerting rule's alerts: its alertname and its static
 * labels. */
static int
rule_selector(const struct pr_rule *pr, struct sel **out, char *err,
    size_t errlen)
{
	struct buf b;
	int rc;

	buf_init(&b, 1 << 20);
	rc = buf_append(&b, "{alertname=", 11) | rt_quote(&b, pr->alert);
	for (size_t i = 0; i < pr->n_labels; i++)
		rc |= buf_append(&b, ",", 1) | buf_append(&b,
		    pr->labels[i].name, strlen(pr->labels[i].name)) |
		    buf_append(&b, "=", 1) | rt_quote(&b, pr->labels[i].value);
	rc |= buf_append(&b, "}", 1);
	if (rc != 0) {
		buf_free(&b);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = sel_parse(b.data, out, err, errlen);
	buf_free(&b);
	return rc;
}

/* A route of s for receiver, from the tree's route m. */
static void
route_from(struct rp_route *x, const struct am_route_info *m, int resolved)
{
	memset(x, 0, sizeof(*x));
	x->receiver = m->receiver;
	x->group_by_set = 1;
	if (m->group_by_all) {
		x->group_by = all_labels;
		x->ngroup_by = 1;
	} else {
		x->group_by = m->group_by;
		x->ngroup_by = m->n_group_by;
	}
	x->group_wait_ms = m->group_wait_ms;
	x->group_interval_ms = m->group_interval_ms;
	x->repeat_interval_ms = m->repeat_interval_ms;
	x->send_resolved = resolved;
}

/* Whether route m has time intervals: they mute it at times. */
static int
timed(const struct am_route_info *m)
{
	return m->n_mute_time_intervals > 0 || m->n_active_time_intervals > 0;
}

/* Routes every identity through c: into h, and a route per receiver
 * reached into s. */
static int
route_all(const struct am_config *c, const struct analysis *a,
    struct rp_history *h, struct rt_settings *s)
{
	size_t nrecv = am_receiver_count(c);
	unsigned char *have = calloc(nrecv + 1, 1);
	struct am_route_info m[MAX_MATCHES];

	if (have == NULL)
		return -1;
	rp_history_unroute(h);
	for (size_t k = 0; k < a->nids; k++) {
		int n = rt_route(c, a->ids[k].labels, m, MAX_MATCHES);

		if (n < 0)
			goto nomem;
		for (int i = 0; i < n && i < MAX_MATCHES; i++) {
			long r = am_receiver_find(c, m[i].receiver);
			int resolved;

			if (m[i].group_by_all ? rp_history_route(h, a, k,
			    m[i].receiver, all_labels, 1) < 0 :
			    rp_history_route(h, a, k, m[i].receiver,
			    m[i].group_by, m[i].n_group_by) < 0)
				goto nomem;
			if (r < 0 || have[r])
				continue;
			have[r] = 1;
			resolved = am_receiver_send_resolved(c, (size_t)r);
			route_from(&s->routes[s->nroutes], &m[i],
			    resolved < 0 ? 0 : resolved);
			if (timed(&m[i])) {
				s->routes[s->nroutes].tree = c;
				s->routes[s->nroutes].route_id = m[i].id;
			}
			s->nroutes++;
		}
	}
	free(have);
	return 0;
nomem:
	free(have);
	return -1;
}

/* The inhibit rules of c as the replay takes them. */
static int
inhibits_of(const struct am_config *c, struct rt_settings *s, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < am_inhibit_rule_count(c); i++) {
		const struct am_matchers *side[2];
		struct rp_inhibit *x = &s->inhibits[s->ninhibits];
		struct sel **out[2] = { &x->source, &x->target };
		char *text;

		am_inhibit_rule_matchers(c, i, &side[0], &side[1]);
		for (int j = 0; j < 2; j++) {
			size_t len = am_matchers_format(side[j], NULL, 0);

			if ((text = own(s, malloc(len + 1))) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			am_matchers_format(side[j], text, len + 1);
			if (sel_parse(text, out[j], err, errlen) < 0)
				break;
		}
		if (x->source == NULL || x->target == NULL) {
			/* a matcher our selectors cannot say: the replay
			 * goes without that rule rather than fail */
			sel_free(x->source);
			sel_free(x->target);
			memset(x, 0, sizeof(*x));
			continue;
		}
		x->equal = am_inhibit_rule_equal(c, i, &x->nequal);
		s->ninhibits++;
	}
	return 0;
}

/* The silences of sil that match each identity of a, into h. */
static int
silence_all(const struct analysis *a, const struct rt_silence *sil,
    size_t nsil, struct rp_history *h)
{
	struct rt_label_sets x;
	int result = -1;

	if (nsil == 0)
		return 0;
	if (rt_label_sets(a, a->nids, &x) < 0)
		goto out;
	for (size_t k = 0; k < a->nids; k++)
		for (size_t i = 0; i < nsil; i++) {
			int m = am_matchers_match(sil[i].m, &x.ls[k]);

			if (m < 0 || (m == 1 && rp_history_silence(h, k,
			    sil[i].starts_at, sil[i].ends_at) < 0))
				goto out;
		}
	result = 0;
out:
	rt_label_sets_free(&x);
	return result;
}

int
rt_build(const struct am_config *c, const struct pr_rules *r,
    const struct rt_silence *sil, size_t nsil, const struct analysis *a,
    struct rp_history *h, const struct rp_settings *extra,
    struct rt_settings *s, char *err, size_t errlen)
{
	size_t nrules = (r ? pr_rules_count(r) : 0) +
	    (extra ? extra->nrules : 0);
	size_t nroutes = (c ? am_receiver_count(c) : 1) +
	    (extra ? extra->nroutes : 0);
	size_t ninh = c ? am_inhibit_rule_count(c) : 0;

	memset(s, 0, sizeof(*s));
	s->rules = calloc(nrules + 1, sizeof(*s->rules));
	s->routes = calloc(nroutes + 1, sizeof(*s->routes));
	s->inhibits = calloc(ninh + 1, sizeof(*s->inhibits));
	if (s->rules == NULL || s->routes == NULL || s->inhibits == NULL)
		goto nomem;
	for (size_t i = 0; r != NULL && i < pr_rules_count(r); i++) {
		const struct pr_rule *pr = pr_rules_get(r, i);
		struct rp_rule *x = &s->rules[s->nrules];

		if (rule_selector(pr, &x->match, err, errlen) < 0)
			continue;	/* cannot be said: the recorded `for` */
		x->for_ms = pr->for_ms;
		x->keep_firing_for_ms = pr->keep_firing_for_ms;
		s->nrules_owned = ++s->nrules;
	}
	if (silence_all(a, sil, nsil, h) < 0)
		goto nomem;
	if (c != NULL) {
		if (route_all(c, a, h, s) < 0)
			goto nomem;
		if (inhibits_of(c, s, err, errlen) < 0)
			goto fail;
	} else if (rp_history_receivers(h) == 0) {
		struct rp_route *x = &s->routes[s->nroutes++];

		for (size_t k = 0; k < a->nids; k++)
			if (rp_history_route(h, a, k, RT_DEFAULT_RECEIVER,
			    by_alertname, 1) < 0)
				goto nomem;
		memset(x, 0, sizeof(*x));
		x->receiver = RT_DEFAULT_RECEIVER;
		x->group_by = by_alertname;
		x->ngroup_by = 1;
		x->group_by_set = 1;
		x->group_wait_ms = x->group_interval_ms =
		    x->repeat_interval_ms = x->send_resolved = -1;
	}
	/* the config's replay.* last: they override */
	s->nrules_owned = s->nrules;
	for (size_t i = 0; extra != NULL && i < extra->nrules; i++)
		s->rules[s->nrules++] = extra->rules[i];	/* borrowed */
	for (size_t i = 0; extra != NULL && i < extra->nroutes; i++)
		s->routes[s->nroutes++] = extra->routes[i];
	s->set.rules = s->rules;
	s->set.nrules = s->nrules;
	s->set.routes = s->routes;
	s->set.nroutes = s->nroutes;
	s->set.inhibits = s->inhibits;
	s->set.ninhibits = s->ninhibits;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	rt_settings_free(s);
	return -1;
}

/* Whether identity k of a fires at t: one of its episodes (b's order)
 * fired by t and had not resolved. */
static int
fires_at(const struct analysis *a, const struct an_by_ident *b, size_t k,
    int64_t t)
{
	for (size_t i = b->first[k]; i < b->first[k + 1]; i++) {
		const struct an_episode *e = &a->eps[b->order[i]];

		if (e->firing_at <= t && (e->resolved_at == 0 ||
		    e->resolved_at > t))
			return 1;
	}
	return 0;
}

/* Whether a silence of sil matched ls at t. */
static int
silenced(const struct rt_silence *sil, size_t nsil,
    const struct am_labels *ls, int64_t t)
{
	for (size_t i = 0; i < nsil; i++)
		if (sil[i].starts_at <= t && t < sil[i].ends_at &&
		    am_matchers_match(sil[i].m, ls) == 1)
			return 1;
	return 0;
}

void
rt_label_sets_free(struct rt_label_sets *x)
{
	for (size_t k = 0; k < x->n; k++) {
		free(x->names[k]);
		free(x->values[k]);
	}
	free(x->ls);
	free(x->names);
	free(x->values);
	memset(x, 0, sizeof(*x));
}

int
rt_label_sets(const struct analysis *a, size_t n, struct rt_label_sets *x)
{
	memset(x, 0, sizeof(*x));
	x->ls = calloc(n ? n : 1, sizeof(*x->ls));
	x->names = calloc(n ? n : 1, sizeof(*x->names));
	x->values = calloc(n ? n : 1, sizeof(*x->values));
	if (x->ls == NULL || x->names == NULL || x->values == NULL)
		return -1;
	for (; x->n < n; x->n++)
		if (labels_of(a->ids[x->n].labels, &x->ls[x->n],
		    &x->names[x->n], &x->values[x->n]) < 0) {
			x->n++;
			return -1;
		}
	return 0;
}

/* Whether an inhibit rule mutes identity k at t: a source identity that
 * fires then and inhibits it (am_inhibits). src[r * nids + j]: identity j
 * matches rule r's source side. */
static int
inhibited(const struct analysis *a, const struct am_config *c,
    const struct an_by_ident *b, const struct rt_label_sets *x,
    const unsigned char *src, size_t k, int64_t t)
{
	size_t nr = am_inhibit_rule_count(c);

	for (size_t r = 0; r < nr; r++)
		for (size_t j = 0; j < a->nids; j++) {
			size_t which;

			if (j == k || !src[r * a->nids + j] ||
			    !fires_at(a, b, j, t))
				continue;
			if (am_inhibits(c, &x->ls[j], &x->ls[k], &which) == 1)
				return 1;
		}
	return 0;
}

int
rt_reasons(struct analysis *a, const struct am_config *c,
    const struct rt_silence *sil, size_t nsil)
{
	struct am_route_info m[MAX_MATCHES];
	struct rt_label_sets x = { 0 };
	struct an_by_ident b;
	size_t nr = am_inhibit_rule_count(c);
	unsigned char *src = NULL;
	int result = -1;

	if (an_by_ident(a, &b) < 0)
		return -1;
	if (rt_label_sets(a, a->nids, &x) < 0 ||
	    (src = calloc(nr * a->nids + 1, 1)) == NULL)
		goto out;
	for (size_t r = 0; r < nr; r++)
		for (size_t j = 0; j < a->nids; j++) {
			int sides = am_inhibit_sides(c, r, &x.ls[j]);

			if (sides < 0)
				goto out;
			src[r * a->nids + j] = (sides & AM_INHIBIT_SOURCE) != 0;
		}
	for (size_t i = 0; i < a->neps; i++) {
		struct an_episode *e = &a->eps[i];
		const struct am_labels *ls = &x.ls[e->ident];
		int n, j, muted = 1;
		int64_t flush;

		e->not_notified = NN_NONE;
		if (e->context || e->firing_at == 0 || e->notifications > 0)
			continue;
		if ((n = am_route(c, ls, m, MAX_MATCHES)) < 0)
			goto out;
		/* only where alertnoise would have seen a notification: a
		 * receiver it hears from is among the alert's */
		for (j = 0; j < n && j < MAX_MATCHES; j++) {
			long r = an_receiver_find(a, m[j].receiver);

			if (r >= 0 && !a->receivers[r].derived)
				break;
		}
		if (j == n || j == MAX_MATCHES)
			continue;
		flush = e->firing_at + m[0].group_wait_ms;
		for (j = 0; j < n && j < MAX_MATCHES; j++)
			muted &= am_route_muted(c, m[j].id, flush) == 1;
		if (silenced(sil, nsil, ls, e->firing_at) ||
		    silenced(sil, nsil, ls, flush))
			e->not_notified = NN_SILENCED;
		else if (nr > 0 && (inhibited(a, c, &b, &x, src, e->ident,
		    e->firing_at) || inhibited(a, c, &b, &x, src, e->ident,
		    flush)))
			e->not_notified = NN_INHIBITED;
		else if (muted)
			e->not_notified = NN_MUTED;
		else if (e->resolved_at != 0 && e->resolved_at <= flush)
			e->not_notified = NN_GROUP_WAIT;
		else
			e->not_notified = NN_UNKNOWN;
	}
	a->routed = 1;
	result = 0;
out:
	rt_label_sets_free(&x);
	free(src);
	an_by_ident_free(&b);
	return result;
}

/* Whether identity labels are the alerts of rule pr: its alertname and
 * every static label of it. */
static int
rule_matches(const struct pr_rule *pr, const json_t *labels)
{
	const char *v = json_string_value(json_object_get(labels,
	    "alertname"));

	if (v == NULL || strcmp(v, pr->alert) != 0)
		return 0;
	for (size_t i = 0; i < pr->n_labels; i++) {
		v = json_string_value(json_object_get(labels,
		    pr->labels[i].name));
		if (v == NULL || strcmp(v, pr->labels[i].value) != 0)
			return 0;
	}
	return 1;
}

void
rt_intervals(struct analysis *a, const struct pr_rules *r)
{
	for (size_t k = 0; k < a->nids + a->nids_pending; k++) {
		if (a->ids[k].interval_ms > 0)
			continue;
		for (size_t i = 0; i < pr_rules_count(r); i++) {
			const struct pr_rule *pr = pr_rules_get(r, i);
			const struct pr_group *g;

			if (!rule_matches(pr, a->ids[k].labels))
				continue;
			g = pr_rules_group(r, pr->group);
			if (g != NULL && g->interval_ms > 0)
				a->ids[k].interval_ms = g->interval_ms;
			break;
		}
	}
}

struct derive {
	struct analysis *a;
	const struct an_opts *o;
	const struct am_config *c;
};

static int
derive_note(void *arg, const char *receiver, int64_t at, const size_t *eps,
    size_t n)
{
	struct derive *d = arg;
	long r = an_receiver_find(d->a, receiver);

	long k = am_receiver_find(d->c, receiver);
	size_t nk = 0;

	if (r >= 0 && !d->a->receivers[r].derived)
		return 0;	/* seen: history has its real notifications */
	if (k >= 0)
		(void)am_receiver_integrations(d->c, (size_t)k, &nk);
	if (nk == 0)
		return 0;	/* a receiver that notifies no one */
	return an_add_notification(d->a, d->o, receiver, at, eps, n);
}

int
rt_derive(struct analysis *a, const struct an_opts *o,
    const struct am_config *c, const struct rp_history *h,
    const struct rp_settings *cur)
{
	struct derive d = { a, o, c };

	return rp_notifications(a, h, o, cur, derive_note, &d);
}

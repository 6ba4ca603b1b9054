/* routing.h -- the user's real Alertmanager routing tree and Prometheus
 * rules, applied to an analysis and to the replay.
 *
 * Three questions, answered from the configuration Alertmanager and
 * Prometheus run (lib/tuning/amroute.h, lib/tuning/promrules.h) instead of from what
 * reached alertnoise:
 *
 *   - which receivers does an alert go to (rt_receivers): every route of
 *     the tree that matches its labels, as Alertmanager's Route.Match, and
 *     that route's receiver;
 *   - under which settings does the replay start (rt_build): each
 *     identity routed to the tree's receivers, each receiver's groups by the
 *     group_by and timers of the first route that reaches it (an
 *     approximation when one receiver sits under routes with different
 *     settings), the tree's inhibit rules, and each alerting rule's `for`
 *     and `keep_firing_for`; with no tree and no notification in history,
 *     Alertmanager's documented defaults: one receiver, `default`, grouped
 *     by alertname, 30s / 5m / 4h;
 *   - what was paged (rt_derive): the notifications the tree sends to the
 *     receivers alertnoise sees nothing of -- with the one catch-all route
 *     of the README, every receiver but `alertnoise` -- replayed from the
 *     episodes and added to the analysis as they would have been seen. */
#ifndef AN_ROUTING_H
#define AN_ROUTING_H

#include <stddef.h>

#include <jansson.h>

#include "amroute.h"
#include "analysis.h"
#include "replay.h"

struct am_config;
struct pr_rules;

#define RT_DEFAULT_RECEIVER	"default"

struct buf;

/* Appends v to b double-quoted, with \\, " and newline escaped: a string
 * as PromQL and Alertmanager's matcher syntax both read it. Returns 0, or
 * -1 when b is full. */
int rt_quote(struct buf *b, const char *v);

struct am_route_info;

/* am_route for labels as a JSON object of strings: the routes c sends
 * them to, the first max of them into out; the count, or -1 on
 * out-of-memory. */
int rt_route(const struct am_config *c, const json_t *labels,
    struct am_route_info *out, size_t max);

/* The receivers c routes labels (a JSON object of strings) to, each once,
 * in the order Alertmanager notifies them. Writes up to max names
 * (borrowed from c) to out and returns how many there are (which may
 * exceed max), or -1 on out-of-memory. */
int rt_receivers(const struct am_config *c, const json_t *labels,
    const char **out, size_t max);

/* The labels of identities 0..n-1 of an analysis as am_labels (over its
 * strings): ls[k] is identity k's. */
struct rt_label_sets {
	struct am_labels *ls;
	const char ***names, ***values;	/* owned arrays */
	size_t n;
};

/* Fills *x for the first n identities of a (n <= nids + nids_pending).
 * Returns 0, or -1 on out-of-memory; free with rt_label_sets_free either
 * way. */
int rt_label_sets(const struct analysis *a, size_t n,
    struct rt_label_sets *x);
void rt_label_sets_free(struct rt_label_sets *x);

/* A silence as rt_reasons reads it: its matchers, in effect over
 * [starts_at, ends_at) (ms). */
struct rt_silence {
	const struct am_matchers *m;
	int64_t starts_at, ends_at;
};

/* Replay settings built from the real configuration; set is what
 * lib/tuning/replay.h takes. Free with rt_settings_free. */
struct rt_settings {
	struct rp_settings set;
	struct rp_rule *rules;
	struct rp_route *routes;
	struct rp_inhibit *inhibits;
	const char **strings;		/* group_by arrays, owned */
	char **owned;			/* strings made here */
	size_t nowned;
	size_t nrules, nroutes, ninhibits;
	size_t nrules_owned;		/* rules[0..nrules_owned) made here;
					   the rest borrowed from extra */
};

/* Routes a's identities through c into h (replacing history's routing,
 * whose recorded counts stay), puts the silences of sil[0..nsil) that
 * match each identity into h (rp_history_silence), and fills *s: the
 * routes of the receivers reached, c's inhibit rules, r's rules, then
 * extra's rules and routes on
 * top (the config's replay.rules and replay.routes: overrides; extra's
 * inhibit rules are not taken). c NULL:
 * when h has no receiver at all, Alertmanager's defaults (see above);
 * otherwise history's routing stays. r NULL: no rules (the `for` history
 * shows). Returns 0, or -1 with err. */
int rt_build(const struct am_config *c, const struct pr_rules *r,
    const struct rt_silence *sil, size_t nsil, const struct analysis *a,
    struct rp_history *h, const struct rp_settings *extra,
    struct rt_settings *s, char *err, size_t errlen);

void rt_settings_free(struct rt_settings *s);

/* Gives each identity of a whose evaluation interval history does not
 * show (webhooks alone: interval_ms 0) that of the group of the first rule
 * of r whose alerts it is (alertname and static labels), when the group
 * states one. */
void rt_intervals(struct analysis *a, const struct pr_rules *r);

/* Why each fired episode of a's window that no notification carried was
 * not notified, into its not_notified (NN_* of analysis.h), in this
 * order: a silence of sil[0..nsil) matched its labels when it fired or
 * at its route's first flush (group_wait later); an inhibit rule of c
 * matched it with a source alert firing then (an episode of another
 * identity of a); every route c sends it to was muted at that flush by
 * its time intervals; it resolved within its first route's group_wait
 * (by the flush, as the replay counts it);
 * else unknown. Only episodes c routes to a receiver a has seen
 * notifications of get a reason: call it before rt_derive. Returns 0, or
 * -1 on out-of-memory. */
int rt_reasons(struct analysis *a, const struct am_config *c,
    const struct rt_silence *sil, size_t nsil);

/* Replays the notifications of the receivers of c that a saw none of,
 * under cur and h (from rt_build with c), and adds them to a
 * (an_add_notification): their pages, notifications and episodes. A
 * receiver without an integration notifies no one and gets nothing.
 * Returns 0, or -1 on out-of-memory (a is then incomplete: drop it). */
int rt_derive(struct analysis *a, const struct an_opts *o,
    const struct am_config *c, const struct rp_history *h,
    const struct rp_settings *cur);

#endif

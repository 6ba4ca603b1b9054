/* test_routing.c -- lib/tuning/routing.c: the real routing tree applied to an
 * analysis: receivers, the replay's settings, replayed pages and the
 * reasons an episode was not notified, worked out by hand (times in
 * seconds from T0). */
#include <stdlib.h>
#include <string.h>

#include "amroute.h"
#include "analysis.h"
#include "promrules.h"
#include "replay.h"
#include "routing.h"
#include "t.h"

#define S 1000LL
#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z, a Thursday */

static const char *const tree_yml =
    "route:\n"
    "  receiver: default\n"
    "  group_by: [alertname]\n"
    "  group_wait: 30s\n"
    "  group_interval: 5m\n"
    "  routes:\n"
    "    - receiver: alertnoise\n"
    "      continue: true\n"
    "    - receiver: pager\n"
    "      matchers: ['severity=\"critical\"']\n"
    "    - receiver: chat\n"
    "      matchers: ['severity=\"warning\"']\n"
    "      group_by: ['...']\n"
    "      mute_time_intervals: [nights]\n"
    "receivers:\n"
    "  - name: default\n"
    "  - name: alertnoise\n"
    "    webhook_configs: [{url: 'http://127.0.0.1:9/api/v1/webhook'}]\n"
    "  - name: pager\n"
    "    pagerduty_configs: [{routing_key: k}]\n"
    "  - name: chat\n"
    "    slack_configs: [{api_url: 'http://127.0.0.1:9/', channel: x}]\n"
    "inhibit_rules:\n"
    "  - source_matchers: ['severity=\"critical\"']\n"
    "    target_matchers: ['severity=\"warning\"']\n"
    "    equal: [team]\n"
    "time_intervals:\n"
    "  - name: nights\n"
    "    time_intervals: [{times: [{start_time: '22:00', end_time: "
    "'24:00'}]}]\n";

static struct an_thresholds th = { 5 * 60 * S, 24 * 3600 * S, 30, 20, 4,
    3600 * S };

static struct am_config *
tree(void)
{
	struct am_config *c = NULL;
	char err[256];

	if (am_config_parse(tree_yml, strlen(tree_yml), &c, err,
	    sizeof(err)) < 0)
		fprintf(stderr, "tree: %s\n", err);
	return c;
}

/* Identities: 0 DBDown{team=db,severity=critical}, 1 DBSlow{team=db,
 * severity=warning}, 2 Blip{team=web,severity=warning}. */
struct ep { size_t ident; double fire, res; int notified; };

static struct analysis *
build(const struct ep *e, size_t neps)
{
	static const char *const names[] = { "DBDown", "DBSlow", "Blip" };
	static const char *const team[] = { "db", "db", "web" };
	static const char *const sev[] = { "critical", "warning", "warning" };
	struct analysis *a = calloc(1, sizeof(*a));

	a->from = T0 - 3600 * S;
	a->to = a->now = T0 + 20 * 3600 * S;
	a->ids = calloc(3, sizeof(*a->ids));
	a->nids = 3;
	for (size_t i = 0; i < 3; i++) {
		a->ids[i].fp = i + 1;
		a->ids[i].alertname = strdup(names[i]);
		a->ids[i].labels = json_pack("{s:s, s:s, s:s}", "alertname",
		    names[i], "team", team[i], "severity", sev[i]);
		a->ids[i].interval_ms = 15 * S;
		a->ids[i].t = &th;
	}
	a->eps = calloc(neps, sizeof(*a->eps));
	a->neps = neps;
	for (size_t i = 0; i < neps; i++) {
		struct an_episode *x = &a->eps[i];

		x->id = (int64_t)i + 1;
		x->ident = e[i].ident;
		x->firing_at = T0 + (int64_t)(e[i].fire * S);
		x->resolved_at = e[i].res < 0 ? 0 : T0 + (int64_t)(e[i].res * S);
		x->notifications = e[i].notified;
		x->cls = CLS_ACTIONABLE;
		x->group = -1;
	}
	/* alertnoise heard from: the catch-all route's receiver */
	a->receivers = calloc(1, sizeof(*a->receivers));
	a->receivers[0].name = strdup("alertnoise");
	a->nreceivers = 1;
	return a;
}

static long
find(const struct analysis *a, const char *name)
{
	long r = an_receiver_find(a, name);

	return r < 0 ? -1 : r;
}

TEST(receivers_follow_the_tree)
{
	struct am_config *c = tree();
	json_t *crit = json_pack("{s:s}", "severity", "critical");
	json_t *none = json_object();
	const char *out[4];

	CHECK(c != NULL);
	/* the catch-all continues; then the first matching team route */
	CHECK_INT(rt_receivers(c, crit, out, 4), 2);
	CHECK_STR(out[0], "alertnoise");
	CHECK_STR(out[1], "pager");
	/* nothing else matches: the catch-all alone, not the root's
	 * receiver -- a route with a matching child is no match itself
	 * (Alertmanager's Route.Match), continue or not */
	CHECK_INT(rt_receivers(c, none, out, 4), 1);
	CHECK_STR(out[0], "alertnoise");
	/* max 1: the count, the first written */
	CHECK_INT(rt_receivers(c, crit, out, 1), 2);
	json_decref(crit);
	json_decref(none);
	am_config_free(c);
}

TEST(settings_from_the_tree)
{
	struct ep e[] = { { 0, 0, 600, 1 }, { 2, 100, 700, 1 } };
	struct analysis *a = build(e, 2);
	struct am_config *c = tree();
	struct rp_history *h = rp_history_new();
	struct rt_settings s;
	char err[256];

	CHECK_INT(rt_build(c, NULL, NULL, 0, a, h, NULL, &s, err, sizeof(err)), 0);
	/* alertnoise and pager for DBDown, alertnoise and chat for Blip */
	CHECK_INT((int)s.set.nroutes, 3);
	CHECK_STR(s.routes[0].receiver, "alertnoise");
	CHECK_INT((int)s.routes[0].send_resolved, 1);	/* webhook */
	CHECK_STR(s.routes[1].receiver, "pager");
	CHECK_INT((int)s.routes[1].group_wait_ms, (int)(30 * S));
	CHECK(s.routes[1].tree == NULL);		/* no time interval */
	CHECK_STR(s.routes[2].receiver, "chat");
	CHECK_INT((int)s.routes[2].send_resolved, 0);	/* slack */
	CHECK_STR(s.routes[2].group_by[0], "...");
	CHECK(s.routes[2].tree == c);			/* muted at nights */
	CHECK_INT((int)s.set.ninhibits, 1);
	CHECK_INT((int)rp_history_receivers(h), 3);
	rt_settings_free(&s);
	rp_history_free(h);

	/* no tree and no notification: Alertmanager's defaults */
	h = rp_history_new();
	CHECK_INT(rt_build(NULL, NULL, NULL, 0, a, h, NULL, &s, err, sizeof(err)), 0);
	CHECK_INT((int)s.set.nroutes, 1);
	CHECK_STR(s.routes[0].receiver, RT_DEFAULT_RECEIVER);
	CHECK_STR(s.routes[0].group_by[0], "alertname");
	CHECK_INT((int)rp_history_receivers(h), 1);
	rt_settings_free(&s);
	rp_history_free(h);
	am_config_free(c);
	an_free(a);
}

/* DBDown fires three times, 10 minutes each, an hour apart: the pager's
 * group flushes at +30 s (a page) and at the group_interval tick after it
 * resolved (+10m30s, pagerduty sends resolved): 3 pages, 6 notifications.
 * Blip at 22:30 falls in chat's muted night: nothing. */
TEST(derived_pages)
{
	struct ep e[] = { { 0, 0, 600, 1 }, { 0, 3600, 4200, 1 },
	    { 0, 7200, 7800, 1 }, { 2, 22.5 * 3600, 22.5 * 3600 + 600, 1 } };
	struct analysis *a = build(e, 4);
	struct am_config *c = tree();
	struct rp_history *h = rp_history_new();
	struct rt_settings s;
	struct an_opts o;
	const char *paging[] = { "pager" };
	char err[256];
	long r;

	a->to = a->now = T0 + 24 * 3600 * S;
	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	CHECK_INT(rt_build(c, NULL, NULL, 0, a, h, NULL, &s, err, sizeof(err)), 0);
	CHECK_INT(rt_derive(a, &o, c, h, &s.set), 0);
	CHECK((r = find(a, "pager")) >= 0);
	CHECK_INT((int)a->receivers[r].derived, 1);
	CHECK_INT((int)a->receivers[r].notifications, 6);
	CHECK_INT((int)a->npages, 3);
	CHECK_STR(a->pages[0].receiver, "pager");
	CHECK_INT((int)((a->pages[0].at - T0) / S), 30);
	CHECK_INT((int)a->eps[0].pages, 1);
	/* muted all night: never notified */
	CHECK_INT((int)find(a, "chat"), -1);
	/* the seen receiver is not replayed */
	CHECK_INT((int)a->receivers[0].notifications, 0);
	CHECK_INT((int)a->receivers[0].derived, 0);
	rt_settings_free(&s);
	rp_history_free(h);
	am_config_free(c);
	an_free(a);
}

/* The second DBDown episode fires under a silence: Alertmanager's
 * silencer leaves it out of every flush, so the pager gets two pages, not
 * three, and no notification of it at all. */
TEST(silenced_episodes_are_not_replayed)
{
	struct ep e[] = { { 0, 0, 600, 1 }, { 0, 3600, 4200, 1 },
	    { 0, 7200, 7800, 1 } };
	struct analysis *a = build(e, 3);
	struct am_config *c = tree();
	struct rp_history *h = rp_history_new();
	struct am_matchers *m;
	struct rt_silence sil;
	struct rt_settings s;
	struct an_opts o;
	const char *paging[] = { "pager" };
	char err[256];
	long r;

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	CHECK_INT(am_matchers_parse("{alertname=\"DBDown\"}", 20, &m, err,
	    sizeof(err)), 0);
	sil = (struct rt_silence){ m, T0 + 3000 * S, T0 + 5000 * S };
	CHECK_INT(rt_build(c, NULL, &sil, 1, a, h, NULL, &s, err,
	    sizeof(err)), 0);
	CHECK_INT(rt_derive(a, &o, c, h, &s.set), 0);
	CHECK((r = find(a, "pager")) >= 0);
	CHECK_INT((int)a->npages, 2);
	CHECK_INT((int)a->receivers[r].notifications, 4);
	CHECK_INT((int)a->eps[1].pages, 0);
	rt_settings_free(&s);
	rp_history_free(h);
	am_matchers_free(m);
	am_config_free(c);
	an_free(a);
}

/* A receiver without an integration notifies no one: Alertmanager sends
 * it nothing, so nothing is replayed for it. */
TEST(silent_receivers_get_nothing)
{
	static const char *const yml =
	    "route:\n"
	    "  receiver: nobody\n"
	    "  group_wait: 30s\n"
	    "  routes:\n"
	    "    - receiver: pager\n"
	    "      matchers: ['severity=\"critical\"']\n"
	    "receivers:\n"
	    "  - name: nobody\n"
	    "  - name: pager\n"
	    "    pagerduty_configs: [{routing_key: k}]\n";
	struct ep e[] = { { 0, 0, 600, 1 }, { 1, 60, 600, 1 } };
	struct analysis *a = build(e, 2);
	struct am_config *c = NULL;
	struct rp_history *h = rp_history_new();
	struct rt_settings s;
	struct an_opts o;
	char err[256];

	an_opts_default(&o);
	CHECK_INT(am_config_parse(yml, strlen(yml), &c, err, sizeof(err)), 0);
	CHECK_INT(rt_build(c, NULL, NULL, 0, a, h, NULL, &s, err, sizeof(err)), 0);
	CHECK_INT(rt_derive(a, &o, c, h, &s.set), 0);
	/* DBDown to the pager; DBSlow (a warning) to nobody */
	CHECK(find(a, "pager") >= 0);
	CHECK_INT((int)find(a, "nobody"), -1);
	rt_settings_free(&s);
	rp_history_free(h);
	am_config_free(c);
	an_free(a);
}

/* Webhook-only alerts have no evaluation interval in history: their
 * rule group's is taken. */
TEST(intervals_from_the_rules)
{
	static const char *const rules =
	    "groups:\n"
	    "  - name: db\n"
	    "    interval: 30s\n"
	    "    rules:\n"
	    "      - alert: DBDown\n"
	    "        expr: up == 0\n"
	    "        labels: {severity: critical}\n"
	    "      - alert: DBSlow\n"
	    "        expr: slow > 1\n"
	    "        labels: {severity: page}\n";
	struct ep e[] = { { 0, 0, 600, 1 } };
	struct analysis *a = build(e, 1);
	struct pr_rules *r = pr_rules_new();
	char err[256];

	CHECK_INT(pr_rules_add_file(r, "db.yml", rules, strlen(rules), err,
	    sizeof(err)), 0);
	a->ids[0].interval_ms = 0;	/* DBDown: its rule's group */
	a->ids[1].interval_ms = 0;	/* DBSlow{severity=warning}: not the
					   rule's alerts (severity=page) */
	rt_intervals(a, r);
	CHECK_INT((int)a->ids[0].interval_ms, 30000);
	CHECK_INT((int)a->ids[1].interval_ms, 0);
	CHECK_INT((int)a->ids[2].interval_ms, 15000);	/* seen: kept */
	pr_rules_free(r);
	an_free(a);
}

TEST(reasons)
{
	/* 0: DBDown notified; 1: DBSlow while DBDown fires (inhibited);
	 * 2: Blip for 10 s (group_wait); 3: Blip under a silence; 4: Blip
	 * for 5 minutes, nothing (unknown); 5: Blip at 23:00, chat muted
	 * but alertnoise not: unknown too */
	struct ep e[] = { { 0, 0, 600, 1 }, { 1, 60, 300, 0 },
	    { 2, 1000, 1010, 0 }, { 2, 2000, 2600, 0 }, { 2, 5000, 5300, 0 },
	    { 2, 23 * 3600, 23 * 3600 + 600, 0 },
	    { 2, 8000, 8030, 0 } };	/* 6: resolved at the flush itself */
	struct analysis *a = build(e, 7);
	struct am_config *c = tree();
	struct am_matchers *m;
	struct rt_silence sil;
	char err[256];

	CHECK_INT(am_matchers_parse("{alertname=~\"Bl.*\"}", 19, &m, err,
	    sizeof(err)), 0);
	sil = (struct rt_silence){ m, T0 + 1900 * S, T0 + 2100 * S };
	CHECK_INT(rt_reasons(a, c, &sil, 1), 0);
	CHECK_INT(a->eps[0].not_notified, NN_NONE);
	CHECK_INT(a->eps[1].not_notified, NN_INHIBITED);
	CHECK_INT(a->eps[2].not_notified, NN_GROUP_WAIT);
	CHECK_INT(a->eps[3].not_notified, NN_SILENCED);
	CHECK_INT(a->eps[4].not_notified, NN_UNKNOWN);
	CHECK_INT(a->eps[5].not_notified, NN_UNKNOWN);
	CHECK_INT(a->eps[6].not_notified, NN_GROUP_WAIT);
	CHECK_INT(a->routed, 1);
	CHECK_STR(an_nn_name(NN_GROUP_WAIT), "resolved_in_group_wait");

	/* nothing alertnoise hears from: no reason is given */
	free((char *)a->receivers[0].name);
	a->receivers[0].name = strdup("elsewhere");
	CHECK_INT(rt_reasons(a, c, &sil, 1), 0);
	CHECK_INT(a->eps[1].not_notified, NN_NONE);
	am_matchers_free(m);
	am_config_free(c);
	an_free(a);
}

int
main(void)
{
	RUN(receivers_follow_the_tree);
	RUN(settings_from_the_tree);
	RUN(derived_pages);
	RUN(silenced_episodes_are_not_replayed);
	RUN(silent_receivers_get_nothing);
	RUN(intervals_from_the_rules);
	RUN(reasons);
	return t_done();
}

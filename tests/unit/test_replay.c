/* test_replay.c -- lib/replay.c: each rule of Alertmanager's pipeline and
 * of Prometheus' rule state machine, with notification counts worked out by
 * hand in the comments (times in seconds from T0). */
#include <stdlib.h>

#include "analysis.h"
#include "replay.h"
#include "selector.h"
#include "t.h"

#define S 1000LL
#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

static struct an_thresholds th = { 5 * 60 * S, 24 * 3600 * S, 30, 20, 4,
    3600 * S };

/* An analysis of episodes given as (identity, pending, firing, resolved)
 * seconds from T0 (-1: none); identity i is alertname names[i] with an
 * instance label. Every identity was notified to receiver "team", grouped
 * by alertname. */
struct ep { size_t ident; double pend, fire, res; };

static struct analysis *
build(const char *const *names, size_t nids, const struct ep *e, size_t neps,
    double to_s, struct rp_history **h)
{
	struct analysis *a = calloc(1, sizeof(*a));
	static const char *const by[] = { "alertname" };

	a->from = T0 - 3600 * S;
	a->to = a->now = T0 + (int64_t)(to_s * S);
	a->ids = calloc(nids, sizeof(*a->ids));
	a->nids = nids;
	for (size_t i = 0; i < nids; i++) {
		char inst[32];

		snprintf(inst, sizeof(inst), "i%zu", i);
		a->ids[i].fp = i + 1;
		a->ids[i].alertname = strdup(names[i]);
		a->ids[i].labels = json_pack("{s:s, s:s, s:s}", "alertname",
		    names[i], "instance", inst, "cluster", "c1");
		a->ids[i].interval_ms = 60 * S;
		a->ids[i].t = &th;
	}
	a->eps = calloc(neps, sizeof(*a->eps));
	a->neps = neps;
	for (size_t i = 0; i < neps; i++) {
		struct an_episode *x = &a->eps[i];

		x->id = (int64_t)i + 1;
		x->ident = e[i].ident;
		x->pending_at = e[i].pend < 0 ? 0 : T0 + (int64_t)(e[i].pend * S);
		x->firing_at = e[i].fire < 0 ? 0 : T0 + (int64_t)(e[i].fire * S);
		x->resolved_at = e[i].res < 0 ? 0 : T0 + (int64_t)(e[i].res * S);
		x->cls = CLS_TRANSIENT;
		x->group = -1;
	}
	*h = rp_history_new();
	for (size_t i = 0; i < nids; i++)
		rp_history_route(*h, a, i, "team", by, 1);
	return a;
}

/* group_wait 30 s, group_interval as given, repeat 4 h, send_resolved */
static struct rp_route route = { NULL, NULL, NULL, 0, 0, 30 * S, 300 * S,
    4 * 3600 * S, 1 };

static long
replay(struct analysis *a, struct rp_history *h, const struct rp_settings *p,
    long *after)
{
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct an_opts o;
	struct rp_result r;
	long before;
	static const char *const paging[] = { "team" };

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	if (rp_run(a, h, &o, &cur, p, &r) < 0)
		return -1;
	before = r.notifications_before;
	if (after)
		*after = r.notifications_after;
	rp_result_free(&r);
	return before;
}

static void
done(struct analysis *a, struct rp_history *h)
{
	rp_history_free(h);
	an_free(a);
}

TEST(resolved_within_group_wait_is_never_sent)
{
	static const char *const n[] = { "Blip" };
	/* fires at 0, resolves at 20: the first flush at 30 finds it
	 * resolved and nothing was ever notified -> 0 */
	static const struct ep e[] = { { 0, -1, 0, 20 } };
	struct rp_history *h;
	struct analysis *a = build(n, 1, e, 1, 3600, &h);

	CHECK_INT(replay(a, h, NULL, NULL), 0);
	done(a, h);
}

TEST(group_interval_batches_later_alerts)
{
	static const char *const n[] = { "Disk", "Disk" };
	/* A fires at 0, B (same group) at 40, both resolve at 400.
	 * flush 30: A new -> 1; tick 330: B new -> 2 (A+B);
	 * tick 630: all resolved after firing ones were told -> 3 */
	static const struct ep e[] = { { 0, -1, 0, 400 }, { 1, -1, 40, 400 } };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 3600, &h);

	CHECK_INT(replay(a, h, NULL, NULL), 3);
	done(a, h);
}

TEST(repeat_interval_renotifies)
{
	static const char *const n[] = { "Long" };
	/* fires at 0 for 10 h (36000). flush 30 -> 1; repeats at the first
	 * tick more than 4 h after the last: 30 + 49 * 300 = 14730 -> 2,
	 * 14730 + 14700 = 29430 -> 3; resolves at 36000: tick
	 * 30 + 120 * 300 = 36030 -> 4 */
	static const struct ep e[] = { { 0, -1, 0, 36000 } };
	struct rp_history *h;
	struct analysis *a = build(n, 1, e, 1, 40000, &h);

	CHECK_INT(replay(a, h, NULL, NULL), 4);
	done(a, h);
}

TEST(inhibited_alerts_are_not_notified)
{
	static const char *const n[] = { "NodeDown", "ServiceDown" };
	/* NodeDown fires 0..3600, ServiceDown 60..1800, equal cluster.
	 * Without inhibition: NodeDown 30 + resolved at 3630 -> 2;
	 * ServiceDown 90 + resolved at 1890 -> 2: 4. With NodeDown
	 * inhibiting ServiceDown, ServiceDown is muted at every flush and
	 * never told: 2. */
	static const struct ep e[] = { { 0, -1, 0, 3600 },
	    { 1, -1, 60, 1800 } };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 7200, &h);
	char err[128];
	struct sel *src, *dst;
	static const char *const eq[] = { "cluster" };
	struct rp_inhibit ih;
	struct rp_settings p;
	long after = -1;

	sel_parse("{alertname=\"NodeDown\"}", &src, err, sizeof(err));
	sel_parse("{alertname=\"ServiceDown\"}", &dst, err, sizeof(err));
	ih = (struct rp_inhibit){ src, dst, eq, 1 };
	p = (struct rp_settings){ NULL, 0, NULL, 0, &ih, 1 };
	CHECK_INT(replay(a, h, &p, &after), 4);
	CHECK_INT(after, 2);
	sel_free(src);
	sel_free(dst);
	done(a, h);
}

TEST(keep_firing_for_merges_episodes)
{
	static const char *const n[] = { "Flappy" };
	/* for: 0, evaluated every 60 s: firing 0..60, 120..180, 240..300.
	 * group_interval 60. As recorded: flush 30 -> 1, tick 90 resolved
	 * -> 2, group ends; 120: new group, flush 150 -> 3, 210 resolved
	 * -> 4; 240: flush 270 -> 5, 330 resolved -> 6.
	 * keep_firing_for 2m: one firing 0..420 (300 + 120): flush 30 -> 1,
	 * ticks 90..390 unchanged, 450 resolved -> 2. */
	static const struct ep e[] = { { 0, 0, 0, 60 }, { 0, 120, 120, 180 },
	    { 0, 240, 240, 300 } };
	struct rp_history *h;
	struct analysis *a = build(n, 1, e, 3, 3600, &h);
	struct rp_rule rule = { NULL, -1, 120 * S };
	struct rp_settings p = { &rule, 1, NULL, 0, NULL, 0 };
	long after = -1;

	route.group_interval_ms = 60 * S;
	CHECK_INT(replay(a, h, &p, &after), 6);
	CHECK_INT(after, 2);
	route.group_interval_ms = 300 * S;
	done(a, h);
}

TEST(raising_for_suppresses_short_episodes)
{
	static const char *const n[] = { "Short", "Short" };
	/* recorded for: 0 (pending = firing). Identity 0 holds 0..120
	 * (2 min), identity 1 holds 0..600 (10 min). With for: 5m (300 s,
	 * on the 60 s grid), 0 never fires and 1 fires at 300.
	 * As recorded (one group): flush 30 -> 1 (both new); tick 330: 0
	 * resolved, send_resolved -> 2; tick 630: all resolved -> 3.
	 * for 5m: 1 fires at 300: flush 330 -> 1; resolves at 600: tick
	 * 630 -> 2. The 2-minute episode was noise and is gone; the
	 * 10-minute one fires 300 s later. */
	static const struct ep e[] = { { 0, 0, 0, 120 }, { 1, 0, 0, 600 } };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 3600, &h);
	struct rp_rule rule = { NULL, 300 * S, -1 };
	struct rp_settings p = { &rule, 1, NULL, 0, NULL, 0 };
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct an_opts o;
	struct rp_result r;

	a->eps[1].cls = CLS_ACTIONABLE;
	an_opts_default(&o);
	CHECK_INT(rp_run(a, h, &o, &cur, &p, &r), 0);
	CHECK_INT(r.notifications_before, 3);
	CHECK_INT(r.notifications_after, 2);
	CHECK_INT(r.noise_removed, 1);
	CHECK_INT(r.actionable_delayed, 1);
	CHECK_INT((long)r.delay_max_s, 300);
	CHECK_INT(r.actionable_lost, 0);
	rp_result_free(&r);
	done(a, h);
}

TEST(group_by_change_splits_groups)
{
	static const char *const n[] = { "Disk", "Disk" };
	/* two instances fire at 0 and resolve at 100. grouped by alertname:
	 * flush 30 -> 1 (both), tick 330 resolved -> 2. Grouped by
	 * alertname and instance: two groups, 2 each -> 4 */
	static const struct ep e[] = { { 0, -1, 0, 100 }, { 1, -1, 0, 100 } };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 3600, &h);
	static const char *const by[] = { "alertname", "instance" };
	struct rp_route rt = { "team", NULL, by, 2, 1, -1, -1, -1, -1 };
	struct rp_settings p = { NULL, 0, &rt, 1, NULL, 0 };
	long after = -1;

	CHECK_INT(replay(a, h, &p, &after), 2);
	CHECK_INT(after, 4);
	done(a, h);
}

int
main(void)
{
	RUN(resolved_within_group_wait_is_never_sent);
	RUN(group_interval_batches_later_alerts);
	RUN(repeat_interval_renotifies);
	RUN(inhibited_alerts_are_not_notified);
	RUN(keep_firing_for_merges_episodes);
	RUN(raising_for_suppresses_short_episodes);
	RUN(group_by_change_splits_groups);
	return t_done();
}

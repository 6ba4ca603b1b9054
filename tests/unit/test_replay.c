/* test_replay.c -- lib/tuning/replay.c: each rule of Alertmanager's pipeline and
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
    4 * 3600 * S, 1, NULL, 0 };

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
	struct rp_route rt = { "team", NULL, by, 2, 1, -1, -1, -1, -1, NULL,
	    0 };
	struct rp_settings p = { NULL, 0, &rt, 1, NULL, 0 };
	long after = -1;

	CHECK_INT(replay(a, h, &p, &after), 2);
	CHECK_INT(after, 4);
	done(a, h);
}

TEST(route_with_matchers_leaves_other_alerts_alone)
{
	static const char *const n[] = { "Disk", "Watchdog" };
	/* both fire 0..36000 at the paging receiver, a group each: flush
	 * 30, repeats at 14730 and 29430 (pages), resolved at 36030 -> 4
	 * notifications and 3 pages each. A route for Disk alone with
	 * repeat_interval 24h: Disk 30 and 36030 -> 2, 1 page; Watchdog
	 * keeps the receiver's route -> 4, 3 pages. The same route among
	 * the current settings replays to the same numbers. */
	static const struct ep e[] = { { 0, -1, 0, 36000 },
	    { 1, -1, 0, 36000 } };
	static const char *const paging[] = { "team" };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 40000, &h);
	struct sel *disk;
	char err[128];
	struct rp_route rt;
	struct rp_route both[2] = { route };
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct rp_settings p = { NULL, 0, &rt, 1, NULL, 0 };
	struct rp_settings all = { NULL, 0, both, 2, NULL, 0 };
	struct an_opts o;
	struct rp_result r, x;

	sel_parse("{alertname=\"Disk\"}", &disk, err, sizeof(err));
	rt = (struct rp_route){ "team", disk, NULL, 0, 0, -1, -1,
	    24 * 3600 * S, -1, NULL, 0 };
	both[1] = rt;
	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	CHECK_INT(rp_run(a, h, &o, &cur, &p, &r), 0);
	CHECK_INT(r.notifications_before, 8);
	CHECK_INT(r.pages_before, 6);
	CHECK_INT(r.notifications_after, 6);
	CHECK_INT(r.pages_after, 4);
	CHECK_INT(r.ncounts, 2);
	if (r.ncounts == 2) {
		CHECK_STR(r.counts[0].alertname, "Disk");
		CHECK_INT(r.counts[0].after, 2);
		CHECK_INT(r.counts[0].pages_before, 3);
		CHECK_INT(r.counts[0].pages_after, 1);
		CHECK_STR(r.counts[1].alertname, "Watchdog");
		CHECK_INT(r.counts[1].after, 4);
		CHECK_INT(r.counts[1].pages_before, 3);
		CHECK_INT(r.counts[1].pages_after, 3);
	}
	CHECK_INT(rp_run(a, h, &o, &all, NULL, &x), 0);
	CHECK_INT(x.notifications_before, 6);
	CHECK_INT(x.pages_before, 4);
	rp_result_free(&x);
	rp_result_free(&r);
	sel_free(disk);
	done(a, h);
}

TEST(route_with_matchers_has_groups_of_its_own)
{
	static const char *const n[] = { "Disk", "Watchdog" };
	/* as above, but both in one group at "team" (grouped by cluster):
	 * 30, 14730, 29430, 36030 -> 4 notifications, 3 pages; Watchdog
	 * went to "ops" too: 4 there. A route for Disk with repeat_interval
	 * 24h and no receiver takes Disk out of team's group into one of
	 * its own, as an Alertmanager sub-route does: Disk 2 (1 page),
	 * Watchdog's group 4 (3 pages). ops, where Disk never went, keeps
	 * its 4 and gets no Disk. */
	static const struct ep e[] = { { 0, -1, 0, 36000 },
	    { 1, -1, 0, 36000 } };
	static const char *const paging[] = { "team" };
	static const char *const by[] = { "alertname" };
	static const char *const cl[] = { "cluster" };
	struct rp_history *h;
	struct analysis *a = build(n, 2, e, 2, 40000, &h);
	struct sel *disk;
	char err[128];
	struct rp_route cr = route, rt;
	struct rp_settings cur = { NULL, 0, &cr, 1, NULL, 0 };
	struct rp_settings p = { NULL, 0, &rt, 1, NULL, 0 };
	struct an_opts o;
	struct rp_result r;

	sel_parse("{alertname=\"Disk\"}", &disk, err, sizeof(err));
	rp_history_route(h, a, 1, "ops", by, 1);
	cr.group_by = cl;
	cr.ngroup_by = 1;
	cr.group_by_set = 1;
	rt = (struct rp_route){ NULL, disk, NULL, 0, 0, -1, -1,
	    24 * 3600 * S, -1, NULL, 0 };
	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	CHECK_INT(rp_run(a, h, &o, &cur, &p, &r), 0);
	CHECK_INT(r.notifications_before, 8);
	CHECK_INT(r.pages_before, 3);
	CHECK_INT(r.notifications_after, 10);
	CHECK_INT(r.pages_after, 4);
	CHECK_INT(r.ncounts, 3);
	if (r.ncounts == 3) {
		CHECK_STR(r.counts[0].alertname, "Disk");
		CHECK_STR(r.counts[0].receiver, "team");
		CHECK_INT(r.counts[0].after, 2);
		CHECK_INT(r.counts[0].pages_after, 1);
		CHECK_STR(r.counts[1].receiver, "ops");
		CHECK_INT(r.counts[1].after, 4);
		CHECK_STR(r.counts[2].alertname, "Watchdog");
		CHECK_INT(r.counts[2].after, 4);
		CHECK_INT(r.counts[2].pages_after, 3);
	}
	rp_result_free(&r);
	sel_free(disk);
	done(a, h);
}

/* One proposal replayed on a (current settings: route, paging "team"). */
static int
run(struct analysis *a, struct rp_history *h, const struct rp_settings *p,
    struct rp_result *r)
{
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct an_opts o;
	static const char *const paging[] = { "team" };

	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	return rp_run(a, h, &o, &cur, p, r);
}

TEST(for_boundary_on_the_evaluation_grid)
{
	/* Flap, for: 0, evaluated every 5 s at offset o: its condition holds
	 * at k*120 + o, +5, .., +55 (12 evaluations) and no longer at
	 * k*120 + o + 60, k = 0..9. firing_at k*120 + o, resolved_at
	 * k*120 + o + 60; pending_at is ALERTS_FOR_STATE's activeAt, whole
	 * seconds: k*120. Prometheus (rules/alerting.go) fires at the first
	 * evaluation with ts - activeAt >= for:
	 * for 1m: k*120 + o + 60, where the condition no longer holds:
	 * never, all 10 noise episodes gone, nothing sent;
	 * for 56s: the same evaluation, the same;
	 * for 55s: k*120 + o + 55, the 12th evaluation: all 10 fire. The
	 * same with activeAt exact (o = 0). */
	static const char *const n[] = { "Flap" };
	static const double off[] = { 0.375, 0 };
	static const int64_t for_s[] = { 60, 56, 55 };
	static const long removed[] = { 10, 10, 0 };

	for (size_t v = 0; v < sizeof(off) / sizeof(off[0]); v++) {
		struct ep e[10];
		struct rp_history *h;
		struct analysis *a;

		for (int k = 0; k < 10; k++)
			e[k] = (struct ep){ 0, k * 120.0, k * 120.0 + off[v],
			    k * 120.0 + off[v] + 60 };
		a = build(n, 1, e, 10, 3600, &h);
		a->ids[0].interval_ms = 5 * S;
		for (size_t i = 0; i < sizeof(for_s) / sizeof(for_s[0]); i++) {
			struct rp_rule rule = { NULL, for_s[i] * S, -1 };
			struct rp_settings p = { &rule, 1, NULL, 0, NULL, 0 };
			struct rp_result r;

			CHECK_INT(run(a, h, &p, &r), 0);
			if (r.noise_removed != removed[i])
				T_FAIL("offset %.3f s, for %" PRId64 "s: "
				    "noise_removed %ld, want %ld", off[v],
				    for_s[i], r.noise_removed, removed[i]);
			CHECK(r.notifications_before > 0);
			CHECK(r.pages_before > 0);
			if (removed[i] == 10) {
				CHECK_INT(r.notifications_after, 0);
				CHECK_INT(r.pages_after, 0);
			}
			rp_result_free(&r);
		}
		done(a, h);
	}
}

/* The same flapper from two HA replicas evaluating 1.556 s apart: each
 * replica's condition holds 60 s (12 evaluations), but the episode runs
 * from the first replica's firing to the last one's end, 61.556 s. Neither
 * replica fires under for: 1m, so the episode must not either: the span
 * counts in whole evaluations from its start. */
TEST(for_boundary_of_an_ha_episode)
{
	static const char *const n[] = { "Flap" };
	static const int64_t for_s[] = { 60, 55 };
	static const long removed[] = { 10, 0 };
	struct ep e[10];
	struct rp_history *h;
	struct analysis *a;

	for (int k = 0; k < 10; k++)
		e[k] = (struct ep){ 0, -1, k * 120.0 + 0.714,
		    k * 120.0 + 62.270 };
	a = build(n, 1, e, 10, 3600, &h);
	a->ids[0].interval_ms = 5 * S;
	for (size_t i = 0; i < sizeof(for_s) / sizeof(for_s[0]); i++) {
		struct rp_rule rule = { NULL, for_s[i] * S, -1 };
		struct rp_settings p = { &rule, 1, NULL, 0, NULL, 0 };
		struct rp_result r;

		CHECK_INT(run(a, h, &p, &r), 0);
		if (r.noise_removed != removed[i])
			T_FAIL("for %" PRId64 "s: noise_removed %ld, want %ld",
			    for_s[i], r.noise_removed, removed[i]);
		rp_result_free(&r);
	}
	done(a, h);
}

TEST(alertname_counts_sum_its_instances)
{
	/* HostHighCpuLoad on 4 instances, each firing at c*1000 + i*10 for
	 * 60 s (c = 0..2, instance i = 0..3).
	 * Grouped by alertname and instance (4 groups): per episode, flush
	 * +30 firing (a page) -> 1, tick +330 resolved -> 2, the group ends:
	 * 6 per instance, 24 notifications and 12 pages for the alertname,
	 * as recorded: replay error 0.
	 * Grouped by alertname (one group): per c, flush c*1000 + 30 with the
	 * four firing (a page) -> 1, tick +330 all resolved -> 2: 6
	 * notifications carry the alertname, 3 pages; recorded 6. */
	static const char *const n[] = { "HostHighCpuLoad", "HostHighCpuLoad",
	    "HostHighCpuLoad", "HostHighCpuLoad" };
	static const char *const byi[] = { "alertname", "instance" };
	struct ep e[12];
	struct rp_history *h, *hi;
	struct analysis *a;
	struct rp_result r;

	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 4; i++)
			e[c * 4 + i] = (struct ep){ (size_t)i, -1,
			    c * 1000.0 + i * 10, c * 1000.0 + i * 10 + 60 };
	a = build(n, 4, e, 12, 3600, &h);
	hi = rp_history_new();
	for (size_t i = 0; i < 4; i++)
		CHECK_INT(rp_history_route(hi, a, i, "team", byi, 2), 0);
	CHECK_INT(rp_history_recorded(hi, "team", "HostHighCpuLoad", 24), 0);
	CHECK_INT(run(a, hi, NULL, &r), 0);
	CHECK_INT(r.ncounts, 1);
	if (r.ncounts == 1) {
		CHECK_INT(r.counts[0].before, 24);
		CHECK_INT(r.counts[0].after, 24);
		CHECK_INT(r.counts[0].pages_before, 12);
		CHECK_INT(r.counts[0].recorded, 24);
	}
	CHECK_INT(r.notifications_before, 24);
	CHECK(r.replay_error < 0.001);
	rp_result_free(&r);

	CHECK_INT(rp_history_recorded(h, "team", "HostHighCpuLoad", 6), 0);
	CHECK_INT(run(a, h, NULL, &r), 0);
	CHECK_INT(r.ncounts, 1);
	if (r.ncounts == 1) {
		CHECK_INT(r.counts[0].before, 6);
		CHECK_INT(r.counts[0].pages_before, 3);
		CHECK_INT(r.counts[0].recorded, 6);
	}
	CHECK(r.replay_error < 0.001);
	rp_result_free(&r);
	rp_history_free(hi);
	done(a, h);
}

/* x's replay of the proposal against y's: y_after says which of y's
 * numbers to compare x's "after" ones with (a replay of the combined
 * settings as the current ones holds them in "before"). */
static void
check_same(const struct rp_result *x, const struct rp_result *y,
    int y_after)
{
	CHECK_INT(x->ncounts, y->ncounts);
	CHECK_INT(x->notifications_after, y_after ? y->notifications_after :
	    y->notifications_before);
	CHECK_INT(x->pages_after, y_after ? y->pages_after : y->pages_before);
	if (y_after) {
		CHECK_INT(x->notifications_before, y->notifications_before);
		CHECK_INT(x->noise_removed, y->noise_removed);
		CHECK_INT(x->actionable_delayed, y->actionable_delayed);
		CHECK_INT(x->actionable_lost, y->actionable_lost);
		CHECK_INT((long)(x->delay_max_s * 1000),
		    (long)(y->delay_max_s * 1000));
		CHECK_INT((long)(x->delay_p50_s * 1000),
		    (long)(y->delay_p50_s * 1000));
	}
	for (size_t i = 0; i < x->ncounts && i < y->ncounts; i++) {
		CHECK_STR(x->counts[i].alertname, y->counts[i].alertname);
		CHECK_STR(x->counts[i].receiver, y->counts[i].receiver);
		CHECK_INT(x->counts[i].after, y_after ? y->counts[i].after :
		    y->counts[i].before);
		CHECK_INT(x->counts[i].pages_after, y_after ?
		    y->counts[i].pages_after : y->counts[i].pages_before);
	}
}

TEST(base_runs_equal_fresh_replays)
{
	/* Proposals replayed one after another on one base -- only what
	 * each changes is replayed again -- must count what a fresh replay
	 * does, and, for routes and inhibit rules, what replaying every
	 * group under the current settings with the proposal appended
	 * does (rules cannot be appended so: unchanged settings replay the
	 * recorded firings). Two
	 * receivers, a current inhibit rule whose source a proposal
	 * changes, route proposals with matchers (one for every receiver),
	 * a new inhibit rule, a rule that changes nothing. */
	static const char *const n[] = { "NodeDown", "ServiceDown",
	    "ServiceDown", "Disk", "Disk", "Flappy" };
	static const struct ep e[] = { { 0, 0, 0, 3600 },
	    { 1, 50, 60, 1800 }, { 2, 100, 100, 250 }, { 3, 10, 70, 200 },
	    { 4, 0, 400, 5000 }, { 5, 0, 0, 60 }, { 5, 120, 120, 180 },
	    { 5, 240, 240, 300 }, { 3, 6000, 6100, 6160 },
	    { 0, 7000, 7000, 7100 }, { 1, 7010, 7050, -1 } };
	static const char *const by2[] = { "alertname", "cluster" };
	static const char *const eq[] = { "cluster" };
	static const char *const byi[] = { "alertname", "instance" };
	struct rp_history *h;
	struct analysis *a = build(n, 6, e, 11, 9000, &h);
	struct sel *node, *svc, *disk, *flap;
	char err[128];
	struct an_opts o;
	struct rp_base *b;
	static const char *const paging[] = { "ops" };
	int changed = 0;

	sel_parse("{alertname=\"NodeDown\"}", &node, err, sizeof(err));
	sel_parse("{alertname=\"ServiceDown\"}", &svc, err, sizeof(err));
	sel_parse("Disk", &disk, err, sizeof(err));
	sel_parse("Flappy", &flap, err, sizeof(err));
	a->eps[1].cls = a->eps[4].cls = CLS_ACTIONABLE;
	for (size_t i = 0; i < 6; i += 2)
		rp_history_route(h, a, i, "ops", by2, 2);
	an_opts_default(&o);
	o.paging_receivers = paging;
	o.npaging = 1;
	{
		struct rp_rule cur_rules[] = { { flap, -1, 0 } };
		struct rp_route cur_routes[] = { { "team", NULL, NULL, 0, 0,
		    30 * S, 60 * S, 3600 * S, 1, NULL, 0 } };
		struct rp_inhibit cur_inh[] = { { node, svc, eq, 1 } };
		struct rp_settings cur = { cur_rules, 1, cur_routes, 1,
		    cur_inh, 1 };
		struct rp_rule r_disk = { disk, 300 * S, -1 };
		struct rp_rule r_flap = { flap, -1, 120 * S };
		struct rp_rule r_node = { node, 600 * S, -1 };
		struct rp_rule r_same = { disk, -1, -1 };
		struct rp_route rt_ops = { "ops", NULL, NULL, 0, 0, -1, -1,
		    600 * S, 0, NULL, 0 };
		struct rp_route rt_disk = { "team", disk, byi, 2, 1, -1, -1,
		    -1, -1, NULL, 0 };
		struct rp_route rt_node = { NULL, node, NULL, 0, 0, -1, -1,
		    600 * S, -1, NULL, 0 };
		struct rp_inhibit ih = { disk, flap, eq, 1 };
		struct {
			struct rp_rule *rule;
			struct rp_route *route;
			struct rp_inhibit *inh;
		} p[] = { { &r_disk, NULL, NULL }, { &r_flap, NULL, NULL },
		    { NULL, &rt_ops, NULL }, { NULL, &rt_disk, NULL },
		    { NULL, NULL, &ih }, { &r_node, NULL, NULL },
		    { &r_same, NULL, NULL }, { &r_flap, &rt_disk, &ih },
		    { NULL, &rt_node, NULL }, { &r_node, &rt_node, NULL },
		    { NULL, NULL, NULL } };

		CHECK_INT(rp_base_new(a, h, &o, &cur, &b), 0);
		for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
			struct rp_rule rules[2] = { cur_rules[0] };
			struct rp_route routes[2] = { cur_routes[0] };
			struct rp_inhibit inh[2] = { cur_inh[0] };
			struct rp_settings prop = { p[i].rule, p[i].rule != NULL,
			    p[i].route, p[i].route != NULL, p[i].inh,
			    p[i].inh != NULL };
			struct rp_settings all = { rules, 1, routes, 1, inh, 1 };
			struct rp_result x, y;

			if (p[i].rule)
				rules[all.nrules++] = *p[i].rule;
			if (p[i].route)
				routes[all.nroutes++] = *p[i].route;
			if (p[i].inh)
				inh[all.ninhibits++] = *p[i].inh;
			CHECK_INT(rp_base_run(b, &prop, &x), 0);
			CHECK_INT(rp_run(a, h, &o, &cur, &prop, &y), 0);
			check_same(&x, &y, 1);
			changed += x.notifications_after !=
			    x.notifications_before;
			rp_result_free(&y);
			if (p[i].rule == NULL) {
				CHECK_INT(rp_run(a, h, &o, &all, NULL, &y), 0);
				check_same(&x, &y, 0);
				rp_result_free(&y);
			}
			rp_result_free(&x);
		}
		rp_base_free(b);
		CHECK(changed >= 5);	/* the proposals do change things */
	}
	sel_free(node);
	sel_free(svc);
	sel_free(disk);
	sel_free(flap);
	done(a, h);
}

/* rp_limits.stop_fn: stops at the third time it is asked (*arg counts) */
static int
stop_at_third(const void *arg)
{
	int *n = (int *)(uintptr_t)arg;

	return ++*n >= 3;
}

/* The long replay of the limits' tests: one alert firing for 10 h, and a
 * route with group_interval and repeat_interval 1s. */
static const char *const long_n[] = { "Long" };
static const struct ep long_e[] = { { 0, -1, 0, 36000 } };
static const struct rp_route long_fast = { NULL, NULL, NULL, 0, 0, -1,
    1 * S, 1 * S, -1, NULL, 0 };

/* A replay's cost is bounded: one alert firing for 10 h under
 * group_interval and repeat_interval 1s is a flush a second, 36,000 steps;
 * past max_steps, the deadline or when stop_fn says so the run answers why
 * and no result. */
TEST(limits_stop_a_long_replay)
{
	const struct rp_settings prop = { NULL, 0, &long_fast, 1, NULL, 0 };
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct rp_history *h;
	struct analysis *a = build(long_n, 1, long_e, 1, 40000, &h);
	struct rp_limits lim = { 0, 0, NULL, NULL };
	struct an_opts o;
	struct rp_result r;
	int stop = 0;

	an_opts_default(&o);
	/* no cap: a tick a second, a notification at every tick more than
	 * 1 s after the last (every 2 s) while it fires: 17,986 */
	CHECK_INT(rp_run_limited(a, h, &o, &cur, &prop, &lim, &r), RP_OK);
	CHECK(r.notifications_after > 17000);
	rp_result_free(&r);
	lim.max_steps = 100000;
	CHECK_INT(rp_run_limited(a, h, &o, &cur, &prop, &lim, &r), RP_OK);
	rp_result_free(&r);

	lim.max_steps = 1000;
	CHECK_INT(rp_run_limited(a, h, &o, &cur, &prop, &lim, &r), RP_ESTEPS);
	CHECK(r.counts == NULL && r.ncounts == 0);
	CHECK_INT(r.notifications_after, 0);

	lim.max_steps = 0;
	lim.deadline_ms = rp_clock_ms() - 1;
	CHECK_INT(rp_run_limited(a, h, &o, &cur, &prop, &lim, &r),
	    RP_EDEADLINE);
	CHECK(r.counts == NULL);

	/* the stop callback, asked every RP_CHECK_EVERY steps */
	lim.deadline_ms = 0;
	lim.stop_fn = stop_at_third;
	lim.stop_arg = &stop;
	CHECK_INT(rp_run_limited(a, h, &o, &cur, &prop, &lim, &r),
	    RP_ESTOPPED);
	CHECK(r.counts == NULL);
	CHECK_INT(stop, 3);
	done(a, h);
}

/* A base built within limits: its own replay and every later run spend
 * one budget; once hit, rp_base_status says which. */
TEST(limited_base_stops_every_run)
{
	const struct rp_settings prop = { NULL, 0, &long_fast, 1, NULL, 0 };
	struct rp_settings cur = { NULL, 0, &route, 1, NULL, 0 };
	struct rp_history *h;
	struct analysis *a = build(long_n, 1, long_e, 1, 40000, &h);
	struct rp_limits lim = { 0, 0, stop_at_third, NULL };
	struct rp_base *b = NULL;
	struct an_opts o;
	struct rp_result r;
	int calls = 0;

	an_opts_default(&o);
	lim.stop_arg = &calls;
	/* the current settings: a flush every 5 min, within the budget */
	CHECK_INT(rp_base_new_limited(a, h, &o, &cur, &lim, &b), RP_OK);
	CHECK_INT(rp_base_status(b), RP_OK);
	/* 36,000 steps: stopped at the third ask */
	CHECK_INT(rp_base_run(b, &prop, &r), 0);
	rp_result_free(&r);
	CHECK_INT(rp_base_status(b), RP_ESTOPPED);
	CHECK_INT(calls, 3);
	rp_base_free(b);
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
	RUN(route_with_matchers_leaves_other_alerts_alone);
	RUN(route_with_matchers_has_groups_of_its_own);
	RUN(base_runs_equal_fresh_replays);
	RUN(for_boundary_on_the_evaluation_grid);
	RUN(for_boundary_of_an_ha_episode);
	RUN(alertname_counts_sum_its_instances);
	RUN(limits_stop_a_long_replay);
	RUN(limited_base_stops_every_run);
	return t_done();
}

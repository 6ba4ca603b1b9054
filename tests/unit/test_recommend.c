/* test_recommend.c -- lib/tuning/recommend.c on hand-built analyses. Each test
 * builds identities and episodes (times in seconds from T0), runs the real
 * classification steps of analysis.h on them, and checks the
 * recommendations against numbers worked out by hand in the comments.
 *
 * Unless a test says otherwise: every identity is evaluated every 60 s, its
 * alerts reach one receiver grouped by alertname, and the current settings
 * are Alertmanager's group_wait 30 s, group_interval 5 m, repeat_interval
 * 4 h, send_resolved; "pager" is the paging receiver. Nothing was recorded
 * in the history, so the replay error is unknown and a replayed
 * recommendation is at most "medium" (recommend.c, confidence).
 *
 * With AN_SNIPPET_DIR set, every recommendation is also written there as
 * <test>__<id>.json (the object) and <test>__<id>.yml (its snippet), for
 * tests/integration/test_recommend_snippets.py to check with promtool and
 * amtool. */
#include <math.h>
#include <stdlib.h>

#include "analysis.h"
#include "recommend.h"
#include "replay.h"
#include "selector.h"
#include "t.h"

#define S	1000LL
#define T0	1767225600000LL	/* 2026-01-01T00:00:00Z */
#define HOUR_S	3600.0
#define DAY_S	86400.0

static struct an_thresholds th = {
	.transient_max_ms = 5 * 60 * S, .persistent_min_ms = 24 * 3600 * S,
	.flap_high = 30, .flap_low = 20, .flap_min_episodes = 4,
	.flap_window_ms = 3600 * S,
};

#define CHECK_NEAR(a, b) do {						\
	double t_x = (a), t_y = (b);					\
	if (fabs(t_x - t_y) > 0.01)					\
		T_FAIL("%s == %.4f, want %.4f", #a, t_x, t_y);		\
} while (0)

/* An identity: alertname, extra labels as JSON text, the receivers it was
 * notified to (NULL: none), copies, thresholds (NULL: th) and evaluation
 * interval (0: 60 s, -1: none, webhook only). */
struct idspec {
	const char *name;
	const char *labels;
	const char *recv, *recv2;
	int copies;
	const struct an_thresholds *t;
	int64_t interval_ms;
};

/* An episode: identity, pending, firing, resolved (seconds from T0, -1:
 * none), verdict, recorded notifications, pages. Given by firing time. */
struct epspec {
	size_t ident;
	double pend, fire, res;
	int fb;
	long notifications, pages;
};

struct fix {
	struct analysis *a;
	struct rp_history *h;
	struct an_opts o;
	struct rc_list recs;
};

static const char *const paging[] = { "pager" };
static const char *const by_alertname[] = { "alertname" };

/* group_wait 30 s, group_interval 5 m, repeat_interval 4 h, send_resolved */
static const struct rp_route am_defaults = { NULL, NULL, NULL, 0, 0, 30 * S,
    300 * S, 4 * 3600 * S, 1, NULL, 0 };

/* Builds the analysis of [T0 + from_s, T0 + to_s) at to_s, classifies it
 * and builds the history; receivers group by by[0..nby). */
static void
build(struct fix *f, const struct idspec *ids, size_t nids,
    const struct epspec *eps, size_t neps, double from_s, double to_s,
    const char *const *by, size_t nby)
{
	struct analysis *a = calloc(1, sizeof(*a));
	size_t np = 0, nkinds = 0;

	an_opts_default(&f->o);
	f->o.paging_receivers = paging;
	f->o.npaging = 1;
	memset(&f->recs, 0, sizeof(f->recs));
	a->from = T0 + (int64_t)(from_s * S);
	a->to = a->now = T0 + (int64_t)(to_s * S);
	a->ids = calloc(nids, sizeof(*a->ids));
	a->nids = nids;
	for (size_t i = 0; i < nids; i++) {
		struct an_identity *d = &a->ids[i];
		json_error_t je;
		size_t k;

		d->fp = i + 1;
		d->alertname = strdup(ids[i].name);
		d->labels = json_loads(ids[i].labels ? ids[i].labels : "{}", 0,
		    &je);
		json_object_set_new(d->labels, "alertname",
		    json_string(ids[i].name));
		d->team = "";
		d->interval_ms = ids[i].interval_ms == 0 ? 60 * S :
		    ids[i].interval_ms < 0 ? 0 : ids[i].interval_ms;
		d->copies = ids[i].copies ? ids[i].copies : 1;
		d->t = ids[i].t ? ids[i].t : &th;
		/* one co-firing kind per alertname, numbered densely */
		for (k = 0; k < i && strcmp(ids[k].name, ids[i].name) != 0; k++)
			;
		d->kind = k < i ? a->ids[k].kind : nkinds++;
	}
	a->eps = calloc(neps, sizeof(*a->eps));
	a->neps = neps;
	for (size_t i = 0; i < neps; i++) {
		struct an_episode *x = &a->eps[i];

		x->id = (int64_t)i + 1;
		x->ident = eps[i].ident;
		x->pending_at = eps[i].pend < 0 ? 0 :
		    T0 + (int64_t)(eps[i].pend * S);
		x->firing_at = T0 + (int64_t)(eps[i].fire * S);
		x->resolved_at = eps[i].res < 0 ? 0 :
		    T0 + (int64_t)(eps[i].res * S);
		x->feedback = eps[i].fb;
		x->notifications = eps[i].notifications;
		x->group = -1;
		x->context = x->firing_at < a->from;
		np += (size_t)eps[i].pages;
	}
	an_flapping(a);
	an_durations(a);
	an_groups(a, &f->o);
	an_classify(a);
	/* the pages, one per page an episode was in */
	a->pages = calloc(np ? np : 1, sizeof(*a->pages));
	for (size_t i = 0; i < neps; i++)
		for (long p = 0; p < eps[i].pages; p++)
			a->pages[a->npages++] = (struct an_page){
			    .receiver = strdup("pager"),
			    .at = a->eps[i].firing_at,
			    .team_ident = eps[i].ident,
			    .noise = an_is_noise(a->eps[i].cls) };
	for (size_t i = 0; i < neps; i++)
		a->eps[i].pages = eps[i].pages;
	f->a = a;
	f->h = rp_history_new();
	for (size_t i = 0; i < nids; i++) {
		if (ids[i].recv)
			rp_history_route(f->h, a, i, ids[i].recv, by, nby);
		if (ids[i].recv2)
			rp_history_route(f->h, a, i, ids[i].recv2, by, nby);
	}
}

/* Writes each recommendation to AN_SNIPPET_DIR, when set. */
static void
dump(const struct rc_list *recs)
{
	const char *dir = getenv("AN_SNIPPET_DIR");

	if (dir == NULL || *dir == '\0')
		return;
	for (size_t i = 0; i < recs->n; i++) {
		const struct rc_rec *r = &recs->rows[i];
		json_t *o = rc_rec_json(r);
		char name[512], path[1024];
		size_t n = 0;
		FILE *fp;

		n = (size_t)snprintf(name, sizeof(name), "%s__", t_cur);
		for (const char *p = r->id; *p && n + 1 < sizeof(name); p++)
			name[n++] = (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' ||
			    *p == '-' ? *p : '_';
		name[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s.yml", dir, name);
		if ((fp = fopen(path, "w")) == NULL) {
			T_FAIL("cannot write %s", path);
			json_decref(o);
			return;
		}
		fputs(r->snippet, fp);
		fclose(fp);
		snprintf(path, sizeof(path), "%s/%s.json", dir, name);
		if (o == NULL || json_dump_file(o, path, JSON_INDENT(2) |
		    JSON_SORT_KEYS) < 0)
			T_FAIL("cannot write %s", path);
		json_decref(o);
	}
}

static void
recommend(struct fix *f, const struct rc_opts *ro)
{
	struct rp_settings cur = { NULL, 0, &am_defaults, 1, NULL, 0 };

	rc_list_free(&f->recs);
	CHECK_INT(rc_recommend(f->a, f->h, &f->o, &cur, ro, &f->recs), 0);
	dump(&f->recs);
}

static void
done(struct fix *f)
{
	rc_list_free(&f->recs);
	rp_history_free(f->h);
	an_free(f->a);
}

static const struct rc_rec *
find(const struct rc_list *recs, const char *id)
{
	for (size_t i = 0; i < recs->n; i++)
		if (strcmp(recs->rows[i].id, id) == 0)
			return &recs->rows[i];
	return NULL;
}

/* The evidence, as the JSON shows it. */
static const json_t *
ev(const struct rc_rec *r, const char *key)
{
	return json_object_get(r->evidence, key);
}

static long long
ev_num(const struct rc_rec *r, const char *key)
{
	return json_integer_value(ev(r, key));
}

/* Blip fires at 0, 30, .., 270 min for 1, 1, 2, 2, 2, 3, 3, 3, 4, 4 min
 * (pending = firing: `for` 0), transient noise each, then once at 300 min
 * for 20 min (presumed actionable); all to pager.
 * As recorded each episode is two notifications (the flush at +30 s with
 * it firing, a page; the tick at +330 s, or +1230 s for the 20 minutes,
 * with it resolved): 22 notifications, 11 pages.
 * `for` 1m (on the 60 s grid) suppresses the 1-minute episodes (firing
 * would start as the condition ends): 2 of 10 < 0.8; 2m: 5; 3m: 8 >= 8,
 * chosen. Then the 4-minute ones fire at +180 s (flush +210 s, a page;
 * resolved at +510 s) and the actionable one at +180 s: 6 notifications,
 * 3 pages, the actionable one 180 s later. */
TEST(transient_flapper_raises_for)
{
	static const struct idspec ids[] = {
		{ "Blip", "{\"instance\":\"i0\"}", "pager", NULL, 0, NULL, 0 },
	};
	static const double len[] = { 1, 1, 2, 2, 2, 3, 3, 3, 4, 4 };
	struct epspec e[11];
	struct fix f;
	const struct rc_rec *r;
	const json_t *cand;

	for (int k = 0; k < 10; k++)
		e[k] = (struct epspec){ 0, k * 1800.0, k * 1800.0,
		    k * 1800.0 + len[k] * 60, FB_NONE, 2, 1 };
	e[10] = (struct epspec){ 0, 18000, 18000, 18000 + 1200, FB_NONE, 2,
	    1 };
	build(&f, ids, 1, e, 11, -3600, 7 * HOUR_S, by_alertname, 1);
	CHECK_INT(f.a->eps[0].cls, CLS_TRANSIENT);
	CHECK_INT(f.a->eps[10].cls, CLS_ACTIONABLE);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "raise_for:Blip");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(rc_kind_name(r->kind), "raise_for");
		CHECK_STR(r->alertname, "Blip");
		CHECK_STR(r->target, "prometheus_rule");
		CHECK_INT(r->matchers.n, 1);
		CHECK_STR(r->matchers.v[0], "alertname=\"Blip\"");
		CHECK_STR(r->snippet, "- alert: Blip\n"
		    "  # keep your expr, labels and annotations\n"
		    "  for: 3m\n");
		CHECK_INT(r->change.for_ms, 180 * S);
		CHECK_INT(r->change.keep_firing_for_ms, -1);
		CHECK_INT(ev_num(r, "forSeconds"), 180);
		CHECK_INT(ev_num(r, "noiseEpisodes"), 10);
		CHECK_INT(ev_num(r, "currentForSeconds"), 0);
		cand = ev(r, "candidates");
		CHECK_INT(json_array_size(cand), 3);
		CHECK_INT(json_integer_value(json_object_get(json_array_get(
		    cand, 0), "noiseRemoved")), 2);
		CHECK_INT(json_integer_value(json_object_get(json_array_get(
		    cand, 1), "noiseRemoved")), 5);
		CHECK_INT(r->pred.noise_removed, 8);
		CHECK_INT(r->pred.notif_before, 22);
		CHECK_INT(r->pred.notif_after, 6);
		CHECK_INT(r->pred.pages_before, 11);
		CHECK_INT(r->pred.pages_after, 3);
		CHECK_INT(r->pred.delayed, 1);
		CHECK_INT(r->pred.lost, 0);
		CHECK_NEAR(r->pred.max, 180);
		CHECK_NEAR(r->pred.p50, 180);
		CHECK(r->pred.replay_error < 0);	/* null */
		/* 10 noise episodes: high, capped by the unknown replay
		 * error */
		CHECK_STR(rc_conf_name(r->conf), "medium");
		CHECK_CONTAINS(r->summary, "Raise `for` of Blip to 3m");
		CHECK_CONTAINS(r->summary, "up to 3m later");
	}
	done(&f);
}

/* Flappy fires for 2 min every 3.5 min, ten times (at 0, 210, .., 1890 s):
 * nine gaps of 90 s from a resolution to the next start; p90 90 s -> the
 * next step up, 2m.
 * As recorded (one group for team): 30 firing -> 1; 330: resolved -> 2
 * (the episode at 210 began and ended between the ticks); 450 (a new
 * group, at 420 + 30) firing -> 3; 750 resolved -> 4; and so on: 10.
 * keep_firing_for 2m: periods 90 s apart merge into one firing from 0 to
 * 1890 + 120 + 120 = 2130: 30 -> 1, resolved at the tick at 2130 -> 2.
 * The nine later episodes no longer fire on their own: noise_removed 9. */
TEST(flapping_with_90s_gaps_keeps_firing_for_2m)
{
	static const struct idspec ids[] = {
		{ "Flappy", NULL, "team", NULL, 0, NULL, 0 },
	};
	struct epspec e[10];
	struct fix f;
	const struct rc_rec *r;
	int flapping = 0;

	for (int k = 0; k < 10; k++)
		e[k] = (struct epspec){ 0, k * 210.0, k * 210.0,
		    k * 210.0 + 120, FB_NONE, 2, 0 };
	build(&f, ids, 1, e, 10, -3600, 3 * HOUR_S, by_alertname, 1);
	for (int k = 0; k < 10; k++)
		flapping += f.a->eps[k].cls == CLS_FLAPPING;
	CHECK(flapping > 0);
	recommend(&f, NULL);
	r = find(&f.recs, "keep_firing_for:Flappy");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->snippet, "- alert: Flappy\n"
		    "  # keep your expr, labels and annotations\n"
		    "  keep_firing_for: 2m\n");
		CHECK_INT(ev_num(r, "gaps"), 9);
		CHECK_INT(ev_num(r, "gapP90Seconds"), 90);
		CHECK_INT(ev_num(r, "gapsBridged"), 9);
		CHECK_INT(ev_num(r, "keepFiringForSeconds"), 120);
		CHECK_INT(r->change.keep_firing_for_ms, 120 * S);
		CHECK_INT(r->change.for_ms, -1);
		CHECK_INT(r->pred.notif_before, 10);
		CHECK_INT(r->pred.notif_after, 2);
		CHECK_INT(r->pred.noise_removed, 9);
		CHECK_INT(r->pred.pages_before, 0);
		CHECK_STR(rc_conf_name(r->conf), "medium");
	}
	/* every episode lasts 2 min: `for` 2m suppresses all ten too */
	r = find(&f.recs, "raise_for:Flappy");
	CHECK(r != NULL);
	if (r != NULL)
		CHECK_INT(r->change.for_ms, 120 * S);
	done(&f);
}

/* DiskFull fires for 48 h (0 to 172800 s), persistent noise, notified 13
 * times to team. As recorded (repeat 4 h): 30 -> 1, then at the first
 * tick more than 4 h after the last, 30 + 14700 k (k = 1..11, up to
 * 161730) -> 12, resolved at 172830 -> 13. With repeat_interval 24h:
 * 30 -> 1; 86730 (the first tick past 30 + 86400) -> 2; resolved at
 * 172830 -> 3. */
TEST(persistent_renotified_every_4h_gets_repeat_interval)
{
	static const struct idspec ids[] = {
		{ "DiskFull", "{\"device\":\"sda\"}", "team", NULL, 0, NULL,
		    0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 2 * DAY_S, FB_NONE, 13, 0 },
	};
	struct fix f;
	const struct rc_rec *r;

	build(&f, ids, 1, e, 1, -3600, 49 * HOUR_S, by_alertname, 1);
	CHECK_INT(f.a->eps[0].cls, CLS_PERSISTENT);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "repeat_interval:DiskFull");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->target, "alertmanager_route");
		CHECK_CONTAINS(r->snippet, "routes:\n"
		    "  - matchers: ['alertname=\"DiskFull\"']\n"
		    "    receiver: team\n"
		    "    repeat_interval: 24h\n");
		CHECK_INT(r->pred.notif_before, 13);
		CHECK_INT(r->pred.notif_after, 3);
		CHECK_INT(r->pred.pages_before, 0);
		CHECK_INT(r->pred.pages_after, 0);
		CHECK_INT(r->pred.noise_removed, 0);
		CHECK_INT(ev_num(r, "notifications"), 13);
		/* 13 notifications in 2 days */
		CHECK_NEAR(json_number_value(ev(r, "notificationsPerDay")),
		    6.5);
		CHECK_INT(r->change.receivers.n, 1);
		CHECK_STR(r->change.receivers.v[0], "team");
		CHECK_INT(r->change.repeat_interval_ms, 86400 * S);
		/* one instance: wall time */
		CHECK_CONTAINS(r->summary, "(repeat_interval 24h): it "
		    "stayed firing for 2d and was notified 13 times");
		CHECK_STR(rc_conf_name(r->conf), "medium");
	}
	done(&f);
}

/* PodCrash fires for 12 pods (cluster c1, namespace web) at 0, 10, ..,
 * 110 s, each for 10 min, to pager, which groups by alertname and pod: a
 * storm (12 identities within 5 min). As recorded, twelve groups of two
 * notifications (firing at +30 s, a page; resolved at +630 s): 24, 12
 * pages. Grouped by alertname, cluster, namespace, one group: 30 (pods
 * 0-3 firing) -> 1; 330 (the other eight new) -> 2; 630 (pods 0-3
 * resolved, send_resolved, still firing ones: a page) -> 3; 930 all
 * resolved -> 4: 4 notifications, 3 pages. One storm: support 1, low. */
TEST(storm_groups_by_common_labels)
{
	struct idspec ids[12];
	struct epspec e[12];
	char labels[12][64];
	static const char *const by[] = { "alertname", "pod" };
	struct fix f;
	const struct rc_rec *r;

	for (int i = 0; i < 12; i++) {
		snprintf(labels[i], sizeof(labels[i]), "{\"cluster\":\"c1\","
		    "\"namespace\":\"web\",\"pod\":\"p%d\"}", i);
		ids[i] = (struct idspec){ "PodCrash", labels[i], "pager", NULL,
		    0, NULL, 0 };
		e[i] = (struct epspec){ (size_t)i, i * 10.0, i * 10.0,
		    i * 10.0 + 600, FB_NONE, 2, 1 };
	}
	build(&f, ids, 12, e, 12, -3600, 2 * HOUR_S, by, 2);
	CHECK_INT(f.a->ngroups, 1);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "group_by:PodCrash");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(r->change.group_by.n, 3);
		if (r->change.group_by.n == 3) {
			CHECK_STR(r->change.group_by.v[0], "alertname");
			CHECK_STR(r->change.group_by.v[1], "cluster");
			CHECK_STR(r->change.group_by.v[2], "namespace");
		}
		CHECK_INT(r->change.receivers.n, 1);
		CHECK_STR(r->change.receivers.v[0], "pager");
		CHECK_CONTAINS(r->snippet, "routes:\n"
		    "  - matchers: ['alertname=\"PodCrash\"']\n"
		    "    receiver: pager\n"
		    "    group_by: [alertname, cluster, namespace]\n");
		CHECK_INT(r->pred.notif_before, 24);
		CHECK_INT(r->pred.notif_after, 4);
		CHECK_INT(r->pred.pages_before, 12);
		CHECK_INT(r->pred.pages_after, 3);
		CHECK_INT(ev_num(r, "occurrences"), 1);
		CHECK_INT(ev_num(r, "maxIdentities"), 12);
		CHECK_STR(rc_conf_name(r->conf), "low");
	}
	done(&f);
}

/* NodeDown (cluster c1, instance n1, critical) fires at k h for 20 min;
 * ServiceDown (cluster c1, instance svc1, warning) 30 s later for 19 min;
 * k = 0..4: a co-firing pair (Jaccard 5 / (5 + 5 - 5) = 1, support 5),
 * NodeDown first every time: the leader. Of the labels both carry, only
 * cluster was equal each time: equal [cluster].
 * Notifications (team, by alertname), per hour: NodeDown 30 -> 1, 1230
 * resolved -> 2; ServiceDown 60 -> 1, 1260 resolved -> 2: 20. Inhibited,
 * ServiceDown is muted at every flush while NodeDown fires and resolves
 * unnotified: 10. */
TEST(cofiring_pair_inhibits_followers)
{
	static const struct idspec ids[] = {
		{ "NodeDown", "{\"cluster\":\"c1\",\"instance\":\"n1\","
		    "\"severity\":\"critical\"}", "team", NULL, 0, NULL, 0 },
		{ "ServiceDown", "{\"cluster\":\"c1\",\"instance\":\"svc1\","
		    "\"severity\":\"warning\"}", "team", NULL, 0, NULL, 0 },
	};
	struct epspec e[10];
	struct fix f;
	const struct rc_rec *r;

	for (int k = 0; k < 5; k++) {
		e[2 * k] = (struct epspec){ 0, k * 3600.0, k * 3600.0,
		    k * 3600.0 + 1200, FB_NONE, 2, 0 };
		e[2 * k + 1] = (struct epspec){ 1, k * 3600.0 + 30,
		    k * 3600.0 + 30, k * 3600.0 + 1170, FB_NONE, 2, 0 };
	}
	build(&f, ids, 2, e, 10, -3600, 6 * HOUR_S, by_alertname, 1);
	CHECK_INT(f.a->ngroups, 1);
	CHECK_INT(f.a->eps[1].cls, CLS_DUPLICATE);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = f.recs.n > 0 ? &f.recs.rows[0] : NULL;
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(rc_kind_name(r->kind), "inhibit_rule");
		CHECK_CONTAINS(r->id, "inhibit_rule:NodeDown:");
		CHECK(r->alertname == NULL);	/* several */
		CHECK_STR(r->target, "alertmanager_inhibit_rule");
		CHECK_STR(r->snippet, "inhibit_rules:\n"
		    "  - source_matchers: ['alertname=\"NodeDown\"']\n"
		    "    target_matchers: ['alertname=\"ServiceDown\"']\n"
		    "    equal: [cluster]\n");
		CHECK_STR(json_string_value(ev(r, "source")), "NodeDown");
		CHECK_STR(r->change.source, "NodeDown");
		CHECK_INT(r->change.targets.n, 1);
		CHECK_STR(r->change.targets.v[0], "ServiceDown");
		CHECK_INT(r->change.equal.n, 1);
		CHECK_STR(r->change.equal.v[0], "cluster");
		CHECK_INT(ev_num(r, "coOccurrences"), 5);
		CHECK_INT(ev_num(r, "followerEpisodes"), 5);
		CHECK_INT(r->pred.notif_before, 20);
		CHECK_INT(r->pred.notif_after, 10);
		CHECK_STR(rc_conf_name(r->conf), "medium");
	}
	done(&f);
}

/* CPUHigh fires three times for 30 min, each paged once to pager (and also
 * sent to team-slack) and marked noise: route it to team-slack. DiskSlow
 * was paged four times, marked noise three times and actionable once:
 * not routed away. Pages in the window: 7; without CPUHigh's: 4. */
TEST(paged_and_marked_noise_routes_away)
{
	static const struct idspec ids[] = {
		{ "CPUHigh", NULL, "pager", "team-slack", 0, NULL, 0 },
		{ "DiskSlow", NULL, "pager", NULL, 0, NULL, 0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 1800, FB_NOISE, 2, 1 },
		{ 1, 3600, 3600, 5400, FB_NOISE, 2, 1 },
		{ 0, 7200, 7200, 9000, FB_NOISE, 2, 1 },
		{ 1, 10800, 10800, 12600, FB_NOISE, 2, 1 },
		{ 0, 14400, 14400, 16200, FB_NOISE, 2, 1 },
		{ 1, 18000, 18000, 19800, FB_NOISE, 2, 1 },
		{ 1, 21600, 21600, 23400, FB_ACTIONABLE, 2, 1 },
	};
	struct fix f;
	const struct rc_rec *r;

	build(&f, ids, 2, e, 7, -3600, 8 * HOUR_S, by_alertname, 1);
	CHECK_INT(f.a->eps[0].cls, CLS_NOISE);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "route_away_from_paging:CPUHigh");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->target, "alertmanager_route");
		CHECK_CONTAINS(r->snippet, "routes:\n"
		    "  - matchers: ['alertname=\"CPUHigh\"']\n"
		    "    receiver: team-slack\n");
		CHECK_INT(r->pred.pages_before, 7);
		CHECK_INT(r->pred.pages_after, 4);
		CHECK(r->pred.notif_after < 0);		/* null */
		CHECK_STR(r->change.receiver, "team-slack");
		CHECK_INT(r->change.paging_receivers.n, 1);
		CHECK_STR(r->change.paging_receivers.v[0], "pager");
		CHECK_INT(ev_num(r, "noiseVerdicts"), 3);
		CHECK_INT(ev_num(r, "pages"), 3);
		/* 3 verdicts: medium (high from 10) */
		CHECK_STR(rc_conf_name(r->conf), "medium");
	}
	done(&f);
}

/* A receiver other than the paging one unknown: "ticket". Two noise
 * verdicts are not enough (noise_marks_min 3), unless the option says 2. */
TEST(route_away_needs_noise_marks_min_and_falls_back_to_ticket)
{
	static const struct idspec ids[] = {
		{ "Nightly", NULL, "pager", NULL, 0, NULL, 0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 1800, FB_NOISE, 2, 1 },
		{ 0, 7200, 7200, 9000, FB_NOISE, 2, 1 },
	};
	struct fix f;
	struct rc_opts ro;
	const struct rc_rec *r;

	build(&f, ids, 1, e, 2, -3600, 4 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 0);
	rc_opts_default(&ro);
	ro.noise_marks_min = 2;
	recommend(&f, &ro);
	r = find(&f.recs, "route_away_from_paging:Nightly");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_CONTAINS(r->snippet, "    receiver: ticket");
		CHECK_STR(r->change.receiver, "ticket");
		CHECK_INT(r->pred.pages_after, 0);
		CHECK_STR(rc_conf_name(r->conf), "low");
	}
	done(&f);
}

/* CertExpiring has fired since 10 days before T0 (before the window: the
 * episode is context) and is still firing at T0 + 1 h: 10d1h = 867600 s,
 * over the 7-day review. */
TEST(ten_day_persistent_is_fix_or_delete)
{
	static const struct idspec ids[] = {
		{ "CertExpiring", NULL, NULL, NULL, 0, NULL, 0 },
	};
	static const struct epspec e[] = {
		{ 0, -10 * DAY_S, -10 * DAY_S, -1, FB_NONE, 1, 0 },
	};
	struct fix f;
	const struct rc_rec *r;

	build(&f, ids, 1, e, 1, -3600, 3600, by_alertname, 1);
	CHECK_INT(f.a->eps[0].context, 1);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "fix_or_delete:CertExpiring");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->target, "prometheus_rule");
		CHECK_STR(r->snippet,
		    "# alertnoise: CertExpiring has been firing for 10d1h "
		    "(review after 7d).\n"
		    "# An alert that fires for days is not acted on: fix what "
		    "it reports,\n"
		    "# or delete the rule:\n"
		    "# - alert: CertExpiring\n");
		CHECK_INT(ev_num(r, "longestFiringSeconds"), 867600);
		CHECK(json_is_true(ev(r, "stillFiring")));
		CHECK_STR(rc_conf_name(r->conf), "high");
		CHECK_INT(r->pred.pages_before, 0);
		CHECK(r->pred.notif_before < 0);	/* null */
	}
	done(&f);
}

/* Watch arrived from two replicas (copies 2): drop the replica labels.
 * Lost was delivered twice by HA Alertmanagers (a replica group with
 * copies 1): nothing a relabeling fixes. */
TEST(replica_group_drops_replica_label)
{
	static const struct idspec ids[] = {
		{ "Watch", NULL, NULL, NULL, 2, NULL, 0 },
		{ "Lost", NULL, NULL, NULL, 1, NULL, 0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 1200, FB_NONE, 1, 0 },
		{ 1, 60, 60, 1260, FB_NONE, 1, 0 },
	};
	static const char *const only[] = { "replica" };
	struct fix f;
	struct rc_opts ro;
	const struct rc_rec *r;

	build(&f, ids, 2, e, 2, -3600, 3600, by_alertname, 1);
	f.a->ids[1].dup_deliveries = 2;
	/* recount the groups with Lost's duplicate deliveries */
	for (size_t i = 0; i < f.a->ngroups; i++)
		an_group_clear(&f.a->groups[i]);
	f.a->ngroups = 0;
	an_groups(f.a, &f.o);
	CHECK_INT(f.a->ngroups, 2);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	r = find(&f.recs, "drop_replica_label");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->alertname, "Watch");
		CHECK_STR(r->target, "prometheus_config");
		CHECK_STR(r->snippet, "alerting:\n"
		    "  alert_relabel_configs:\n"
		    "    - action: labeldrop\n"
		    "      regex: replica|prometheus_replica\n");
		CHECK_INT(ev_num(r, "identities"), 1);
		CHECK_INT(ev_num(r, "maxCopies"), 2);
		CHECK(r->pred.pages_before < 0);	/* null */
		CHECK_INT(rc_pages_saved(r), 0);
		CHECK_STR(rc_conf_name(r->conf), "high");
	}
	rc_opts_default(&ro);
	ro.replica_labels = only;
	ro.nreplica = 1;
	recommend(&f, &ro);
	r = find(&f.recs, "drop_replica_label");
	CHECK(r != NULL);
	if (r != NULL)
		CHECK_CONTAINS(r->snippet, "      regex: replica\n");
	done(&f);
}

/* LongFlap (webhook only; flapping from 2 episodes within a day at score
 * >= 15) fires at 0, 3, 6, 9 h for 2 h each: the last three are flapping
 * noise (at 3 h: changes at 0, 2 and 3 h, ages 21, 23, 24 h from the
 * window's start: 2.4 + 0.4 * 68 / 24 = 3.533 -> 17.67). Any `for`
 * up to 1h still fires in each 2-hour episode: no raise_for. The 1-hour
 * gaps are bridged by keep_firing_for 1h, which the replay says helps. */
TEST(raising_for_would_not_help_long_episodes)
{
	static const struct an_thresholds slow = {
		.transient_max_ms = 5 * 60 * S,
		.persistent_min_ms = 24 * 3600 * S, .flap_high = 15,
		.flap_low = 10, .flap_min_episodes = 2,
		.flap_window_ms = 24 * 3600 * S,
	};
	static const struct idspec ids[] = {
		{ "LongFlap", NULL, "team", NULL, 0, &slow, -1 },
	};
	struct epspec e[4];
	struct fix f;
	const struct rc_rec *r;

	for (int k = 0; k < 4; k++)
		e[k] = (struct epspec){ 0, -1, k * 3 * HOUR_S,
		    k * 3 * HOUR_S + 2 * HOUR_S, FB_NONE, 2, 0 };
	build(&f, ids, 1, e, 4, -3600, 14 * HOUR_S, by_alertname, 1);
	CHECK_INT(f.a->eps[1].cls, CLS_FLAPPING);
	CHECK_INT(f.a->eps[3].cls, CLS_FLAPPING);
	recommend(&f, NULL);
	CHECK(find(&f.recs, "raise_for:LongFlap") == NULL);
	r = find(&f.recs, "keep_firing_for:LongFlap");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(ev_num(r, "keepFiringForSeconds"), 3600);
		CHECK_INT(r->change.keep_firing_for_ms, 3600 * S);
	}
	done(&f);
}

/* Flap (for: 0) is evaluated every 5 s at offset 0.375 s: its condition
 * holds at k*120 + 0.375, +5, .., +55 s (12 evaluations), k = 0..9, and no
 * longer at +60. firing_at k*120 + 0.375, resolved 60 s later; pending_at
 * is ALERTS_FOR_STATE's activeAt in whole seconds, k*120: 0.375 s before
 * firing, less than an evaluation, so the current `for` is 0. `for` 1m
 * fires at the first evaluation with ts - activeAt >= 1m (rules/alerting.go),
 * k*120 + 60.375, where the condition no longer holds: all ten noise
 * episodes gone, as the replay of /api/v1/simulate's `for: 1m` says. */
TEST(for_boundary_at_1m_raises_for_1m)
{
	static const struct idspec ids[] = {
		{ "Flap", "{\"instance\":\"i0\"}", "pager", NULL, 0, NULL,
		    5 * S },
	};
	struct epspec e[10];
	struct fix f;
	const struct rc_rec *r;
	const json_t *cand;

	for (int k = 0; k < 10; k++)
		e[k] = (struct epspec){ 0, k * 120.0, k * 120.0 + 0.375,
		    k * 120.0 + 60.375, FB_NONE, 2, 1 };
	build(&f, ids, 1, e, 10, -3600, 2 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	r = find(&f.recs, "raise_for:Flap");
	CHECK(r != NULL);
	if (r != NULL) {
		struct rp_settings cur = { NULL, 0, &am_defaults, 1, NULL, 0 };
		struct sel *s;
		char err[128];
		struct rp_rule rule;
		struct rp_settings p = { &rule, 1, NULL, 0, NULL, 0 };
		struct rp_result sim;

		CHECK_STR(r->snippet, "- alert: Flap\n"
		    "  # keep your expr, labels and annotations\n"
		    "  for: 1m\n");
		CHECK_INT(ev_num(r, "forSeconds"), 60);
		CHECK_INT(r->change.for_ms, 60 * S);
		CHECK(json_is_integer(ev(r, "currentForSeconds")));
		CHECK_INT(ev_num(r, "currentForSeconds"), 0);
		cand = ev(r, "candidates");
		CHECK_INT(json_array_size(cand), 1);
		CHECK_INT(json_integer_value(json_object_get(json_array_get(
		    cand, 0), "forSeconds")), 60);
		CHECK_INT(json_integer_value(json_object_get(json_array_get(
		    cand, 0), "noiseRemoved")), 10);
		CHECK_INT(r->pred.noise_removed, 10);
		CHECK_CONTAINS(r->summary, "Raise `for` of Flap to 1m");
		/* what POST /api/v1/simulate replays for for: 1m */
		CHECK_INT(sel_parse("{alertname=\"Flap\"}", &s, err,
		    sizeof(err)), 0);
		rule = (struct rp_rule){ s, 60 * S, -1 };
		CHECK_INT(rp_run(f.a, f.h, &f.o, &cur, &p, &sim), 0);
		CHECK_INT(sim.noise_removed, 10);
		/* pages as recorded (the analysis'), less what the replay
		 * saves: Flap's four replayed pages all go */
		CHECK_INT(r->pred.pages_before, (long)f.a->npages);
		CHECK_INT(r->pred.pages_before - r->pred.pages_after,
		    sim.pages_before - sim.pages_after);
		CHECK_INT(sim.pages_after, 0);
		CHECK_INT(r->pred.notif_before, sim.notifications_before);
		CHECK_INT(r->pred.notif_after, sim.notifications_after);
		CHECK(sim.pages_before > 0);
		rp_result_free(&sim);
		sel_free(s);
	}
	done(&f);
}

/* Blink has `for: 1m` and is evaluated every 15 s at offset 0.375 s: the
 * condition holds from k*600 + 0.375 for 2 min (8 evaluations, k = 0..9),
 * it fires at +60.375 and resolves at +120.375; pending_at is activeAt
 * in whole seconds, k*600. The pending phase, 60.375 s seen, is 4
 * evaluations: the current `for` reads 60 s. `for` 2m would fire at
 * activeAt + 2m = k*600 + 120.375, where the condition no longer holds:
 * all ten gone. */
TEST(current_for_is_read_on_the_evaluation_grid)
{
	static const struct idspec ids[] = {
		{ "Blink", NULL, "pager", NULL, 0, NULL, 15 * S },
	};
	struct epspec e[10];
	struct fix f;
	const struct rc_rec *r;

	for (int k = 0; k < 10; k++)
		e[k] = (struct epspec){ 0, k * 600.0, k * 600.0 + 60.375,
		    k * 600.0 + 120.375, FB_NONE, 2, 1 };
	build(&f, ids, 1, e, 10, -3600, 3 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	r = find(&f.recs, "raise_for:Blink");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(json_is_integer(ev(r, "currentForSeconds")));
		CHECK_INT(ev_num(r, "currentForSeconds"), 60);
		CHECK_INT(ev_num(r, "forSeconds"), 120);
		CHECK_INT(r->pred.noise_removed, 10);
	}
	done(&f);
}

/* HostHighCpuLoad on 4 instances, each firing for 1 min at c*1000 + i*10
 * s (c = 0..2), transient noise; pager groups by alertname and instance.
 * As recorded and as replayed: per episode a firing notification (a
 * page) and a resolved one, 6 per instance, 24 for the alertname. The
 * replay error is 0, so 12 noise episodes give high confidence. `for` 1m
 * fires as the condition ends: all 12 gone. */
TEST(multi_instance_replay_error_sums_instances)
{
	struct idspec ids[4];
	struct epspec e[12];
	char labels[4][32];
	static const char *const by[] = { "alertname", "instance" };
	struct fix f;
	const struct rc_rec *r;

	for (int i = 0; i < 4; i++) {
		snprintf(labels[i], sizeof(labels[i]), "{\"instance\":\"i%d\"}",
		    i);
		ids[i] = (struct idspec){ "HostHighCpuLoad", labels[i], "pager",
		    NULL, 0, NULL, 0 };
	}
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 4; i++)
			e[c * 4 + i] = (struct epspec){ (size_t)i,
			    c * 1000.0 + i * 10, c * 1000.0 + i * 10,
			    c * 1000.0 + i * 10 + 60, FB_NONE, 2, 1 };
	build(&f, ids, 4, e, 12, -3600, 2 * HOUR_S, by, 2);
	CHECK_INT(rp_history_recorded(f.h, "pager", "HostHighCpuLoad", 24), 0);
	recommend(&f, NULL);
	r = find(&f.recs, "raise_for:HostHighCpuLoad");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(ev_num(r, "noiseEpisodes"), 12);
		CHECK_INT(ev_num(r, "forSeconds"), 60);
		CHECK_INT(r->pred.notif_before, 24);
		CHECK_INT(r->pred.notif_after, 0);
		CHECK_NEAR(r->pred.replay_error, 0);
		CHECK_STR(rc_conf_name(r->conf), "high");
	}
	done(&f);
}

/* DiskFull fires on 3 devices for 48 h each (0 to 172800 s), notified 13
 * times each to team: 6 days of firing and 39 notifications summed over
 * the 3, in a window of 49 h -- the summary says they are sums. */
TEST(persistent_firing_time_says_summed_over_instances)
{
	static const struct idspec ids[] = {
		{ "DiskFull", "{\"device\":\"sda\"}", "team", NULL, 0, NULL,
		    0 },
		{ "DiskFull", "{\"device\":\"sdb\"}", "team", NULL, 0, NULL,
		    0 },
		{ "DiskFull", "{\"device\":\"sdc\"}", "team", NULL, 0, NULL,
		    0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 2 * DAY_S, FB_NONE, 13, 0 },
		{ 1, 0, 0, 2 * DAY_S, FB_NONE, 13, 0 },
		{ 2, 0, 0, 2 * DAY_S, FB_NONE, 13, 0 },
	};
	struct fix f;
	const struct rc_rec *r;

	build(&f, ids, 3, e, 3, -3600, 49 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	r = find(&f.recs, "repeat_interval:DiskFull");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_CONTAINS(r->summary, "(repeat_interval 24h): "
		    "summed over its 3 instances, it stayed firing for 6d and "
		    "was notified 39 times");
		CHECK_INT(ev_num(r, "instances"), 3);
		CHECK_INT(ev_num(r, "firingSeconds"), 6 * 86400);
	}
	done(&f);
}

/* Nothing noisy: no recommendation. */
TEST(no_evidence_no_recommendation)
{
	static const struct idspec ids[] = {
		{ "Real", NULL, "pager", NULL, 0, NULL, 0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 1800, FB_ACTIONABLE, 2, 1 },
		{ 0, 7200, 7200, 9000, FB_NONE, 2, 1 },
	};
	struct fix f;

	build(&f, ids, 1, e, 2, -3600, 4 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 0);
	done(&f);
}

/* The transient Blip, the PodCrash storm (from 8 h on, grouped by pod),
 * CertExpiring and the replicated Watch in one analysis. Pages saved:
 * group_by 12 -> 3 (9), raise_for 11 -> 3 (8), then the two that save
 * none by id: drop_replica_label, fix_or_delete:CertExpiring. The same
 * input gives the same array. */
TEST(order_and_determinism)
{
	struct idspec ids[15];
	struct epspec e[25];
	char labels[12][64];
	static const char *const by[] = { "alertname", "pod" };
	static const double len[] = { 1, 1, 2, 2, 2, 3, 3, 3, 4, 4 };
	struct fix f;
	struct rc_list again;
	json_t *j1, *j2;
	struct rp_settings cur = { NULL, 0, &am_defaults, 1, NULL, 0 };
	size_t n = 0;

	ids[0] = (struct idspec){ "Blip", NULL, "pager", NULL, 0, NULL, 0 };
	ids[1] = (struct idspec){ "CertExpiring", NULL, NULL, NULL, 0, NULL,
	    0 };
	ids[2] = (struct idspec){ "Watch", NULL, NULL, NULL, 2, NULL, 0 };
	for (int i = 0; i < 12; i++) {
		snprintf(labels[i], sizeof(labels[i]), "{\"cluster\":\"c1\","
		    "\"namespace\":\"web\",\"pod\":\"p%d\"}", i);
		ids[3 + i] = (struct idspec){ "PodCrash", labels[i], "pager",
		    NULL, 0, NULL, 0 };
	}
	e[n++] = (struct epspec){ 1, -10 * DAY_S, -10 * DAY_S, -1, FB_NONE,
	    1, 0 };
	for (int k = 0; k < 10; k++)
		e[n++] = (struct epspec){ 0, k * 1800.0, k * 1800.0,
		    k * 1800.0 + len[k] * 60, FB_NONE, 2, 1 };
	e[n++] = (struct epspec){ 2, 17000, 17000, 17600, FB_NONE, 1, 0 };
	e[n++] = (struct epspec){ 0, 18000, 18000, 19200, FB_NONE, 2, 1 };
	for (int i = 0; i < 12; i++)
		e[n++] = (struct epspec){ (size_t)(3 + i), 28800 + i * 10.0,
		    28800 + i * 10.0, 28800 + i * 10.0 + 600, FB_NONE, 2, 1 };
	build(&f, ids, 15, e, n, -3600, 10 * HOUR_S, by, 2);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 4);
	if (f.recs.n == 4) {
		CHECK_STR(f.recs.rows[0].id, "group_by:PodCrash");
		CHECK_STR(f.recs.rows[1].id, "raise_for:Blip");
		CHECK_STR(f.recs.rows[2].id, "drop_replica_label");
		CHECK_STR(f.recs.rows[3].id, "fix_or_delete:CertExpiring");
		/* pages: 11 Blip + 12 PodCrash; the storm's saved 9 of
		 * them */
		CHECK_INT(f.recs.rows[0].pred.pages_before, 23);
		CHECK_INT(f.recs.rows[0].pred.pages_after, 14);
		CHECK_INT(rc_pages_saved(&f.recs.rows[0]), 9);
		CHECK_INT(rc_pages_saved(&f.recs.rows[1]), 8);
	}
	CHECK_INT(rc_recommend(f.a, f.h, &f.o, &cur, NULL, &again), 0);
	j1 = rc_list_json(&f.recs);
	j2 = rc_list_json(&again);
	CHECK(j1 != NULL && j2 != NULL && json_equal(j1, j2));
	json_decref(j1);
	json_decref(j2);
	rc_list_free(&again);
	done(&f);
}

/* Pending-only episodes (the condition held for less than the current
 * `for`) are raise_for's evidence, counted per alertname over the
 * identities that fired and those that only went pending. */
TEST(raise_for_counts_pending_only_episodes)
{
	static const struct idspec ids[] = {
		{ "Flap", "{\"instance\":\"i0\"}", "pager", NULL, 0, NULL,
		    5 * S },
	};
	struct epspec e[10];
	struct fix f;
	const struct rc_rec *r;

	for (int k = 0; k < 10; k++)
		e[k] = (struct epspec){ 0, k * 120.0, k * 120.0 + 0.375,
		    k * 120.0 + 60.375, FB_NONE, 2, 1 };
	build(&f, ids, 1, e, 10, -3600, 2 * HOUR_S, by_alertname, 1);
	f.a->ids[0].pending_only = 4;
	recommend(&f, NULL);
	r = find(&f.recs, "raise_for:Flap");
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(ev_num(r, "pendingOnly"), 4);
		CHECK_CONTAINS(r->summary, "(4 more went pending and "
		    "ended before firing under the current `for`)");
	}
	done(&f);
}

/* What GET /api/v1/recommendations answers, byte for byte: the JSON the
 * code gave before the list was typed (DiskFull of
 * persistent_renotified_every_4h_gets_repeat_interval, as captured from
 * it), with "patches" and evidence.safety where daemon/patches.c added
 * them. Rendering leaves the list as it was. */
TEST(json_with_patches_and_safety_is_unchanged)
{
	static const char patched[] =
	    "[{\"id\":\"repeat_interval:DiskFull\","
	    "\"kind\":\"repeat_interval\",\"alertname\":\"DiskFull\","
	    "\"matchers\":[\"alertname=\\\"DiskFull\\\"\"],"
	    "\"evidence\":{\"persistentEpisodes\":1,"
	    "\"notifications\":13,\"firingSeconds\":172800,"
	    "\"instances\":1,\"notificationsPerDay\":6.5,"
	    "\"receivers\":[\"team\"],\"repeatIntervalSeconds\":86400,"
	    "\"safety\":{\"check\":\"every other alert keeps its receivers\","
	    "\"identitiesChecked\":3,\"identitiesMoved\":0,"
	    "\"routesAdded\":2}},"
	    "\"predicted\":{\"pagesBefore\":0,\"pagesAfter\":0,"
	    "\"notificationsBefore\":13,\"notificationsAfter\":3,"
	    "\"noiseRemoved\":0,\"actionableDelayed\":0,"
	    "\"actionableLost\":0,"
	    "\"addedDelaySeconds\":{\"p50\":0.0,\"max\":0.0},"
	    "\"replayError\":null},"
	    "\"confidence\":\"medium\","
	    "\"snippet\":\"# alertnoise: add under route.routes, above the "
	    "routes that match DiskFull today\\nroutes:\\n"
	    "  - matchers: ['alertname=\\\"DiskFull\\\"']\\n"
	    "    receiver: team\\n    repeat_interval: 24h\\n\","
	    "\"target\":\"alertmanager_route\","
	    "\"summary\":\"Re-notify DiskFull once a day (repeat_interval "
	    "24h): it stayed firing for 2d and was notified 13 times "
	    "(notifications 13 → 3).\","
	    "\"patches\":[{\"file\":\"alertmanager.yml\","
	    "\"diff\":\"--- a/alertmanager.yml\\n+++ b/alertmanager.yml\\n"
	    "@@ -1 +1,2 @@\\n route:\\n+  routes: []\\n\"},"
	    "{\"file\":\"am2.yml\","
	    "\"error\":\"no route sends DiskFull to team today\"}]}]";
	static const char not_made[] =
	    "[{\"id\":\"repeat_interval:DiskFull\","
	    "\"kind\":\"repeat_interval\",\"alertname\":\"DiskFull\","
	    "\"matchers\":[\"alertname=\\\"DiskFull\\\"\"],"
	    "\"evidence\":{\"persistentEpisodes\":1,"
	    "\"notifications\":13,\"firingSeconds\":172800,"
	    "\"instances\":1,\"notificationsPerDay\":6.5,"
	    "\"receivers\":[\"team\"],\"repeatIntervalSeconds\":86400,"
	    "\"safety\":{\"check\":\"not made\","
	    "\"why\":\"no route sends DiskFull to team today\"}},"
	    "\"predicted\":{\"pagesBefore\":0,\"pagesAfter\":0,"
	    "\"notificationsBefore\":13,\"notificationsAfter\":3,"
	    "\"noiseRemoved\":0,\"actionableDelayed\":0,"
	    "\"actionableLost\":0,"
	    "\"addedDelaySeconds\":{\"p50\":0.0,\"max\":0.0},"
	    "\"replayError\":null},"
	    "\"confidence\":\"medium\","
	    "\"snippet\":\"# alertnoise: add under route.routes, above the "
	    "routes that match DiskFull today\\nroutes:\\n"
	    "  - matchers: ['alertname=\\\"DiskFull\\\"']\\n"
	    "    receiver: team\\n    repeat_interval: 24h\\n\","
	    "\"target\":\"alertmanager_route\","
	    "\"summary\":\"Re-notify DiskFull once a day (repeat_interval "
	    "24h): it stayed firing for 2d and was notified 13 times "
	    "(notifications 13 → 3).\","
	    "\"patches\":[]}]";
	static const char diff[] = "--- a/alertmanager.yml\n"
	    "+++ b/alertmanager.yml\n@@ -1 +1,2 @@\n route:\n"
	    "+  routes: []\n";
	static const char why[] = "no route sends DiskFull to team today";
	static const struct idspec ids[] = {
		{ "DiskFull", "{\"device\":\"sda\"}", "team", NULL, 0, NULL,
		    0 },
	};
	static const struct epspec e[] = {
		{ 0, 0, 0, 2 * DAY_S, FB_NONE, 13, 0 },
	};
	struct fix f;
	struct rc_rec *r;
	json_t *j;
	char *text;

	build(&f, ids, 1, e, 1, -3600, 49 * HOUR_S, by_alertname, 1);
	recommend(&f, NULL);
	CHECK_INT(f.recs.n, 1);
	if (f.recs.n != 1) {
		done(&f);
		return;
	}
	r = &f.recs.rows[0];
	/* not patched yet: neither key */
	j = rc_rec_json(r);
	CHECK(j != NULL && json_object_get(j, "patches") == NULL &&
	    json_object_get(json_object_get(j, "evidence"), "safety") ==
	    NULL);
	json_decref(j);

	CHECK_INT(rc_add_patch(r, "alertmanager.yml", diff, strlen(diff),
	    NULL), 0);
	CHECK_INT(rc_add_patch(r, "am2.yml", NULL, 0, why), 0);
	CHECK_INT(rc_set_safety(r, RC_CHECK_RECEIVERS, NULL, 3, 0, 2), 0);
	for (int pass = 0; pass < 2; pass++) {
		j = rc_list_json(&f.recs);
		text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		CHECK_STR(text, patched);
		free(text);
		json_decref(j);
	}

	recommend(&f, NULL);
	r = &f.recs.rows[0];
	r->patched = 1;		/* no patch could be made */
	CHECK_INT(rc_set_safety(r, RC_CHECK_NOT_MADE, why, 0, 0, 0), 0);
	j = rc_list_json(&f.recs);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	CHECK_STR(text, not_made);
	free(text);
	json_decref(j);
	done(&f);
}

int
main(void)
{
	RUN(transient_flapper_raises_for);
	RUN(flapping_with_90s_gaps_keeps_firing_for_2m);
	RUN(persistent_renotified_every_4h_gets_repeat_interval);
	RUN(storm_groups_by_common_labels);
	RUN(cofiring_pair_inhibits_followers);
	RUN(paged_and_marked_noise_routes_away);
	RUN(route_away_needs_noise_marks_min_and_falls_back_to_ticket);
	RUN(ten_day_persistent_is_fix_or_delete);
	RUN(replica_group_drops_replica_label);
	RUN(raising_for_would_not_help_long_episodes);
	RUN(no_evidence_no_recommendation);
	RUN(order_and_determinism);
	RUN(for_boundary_at_1m_raises_for_1m);
	RUN(current_for_is_read_on_the_evaluation_grid);
	RUN(multi_instance_replay_error_sums_instances);
	RUN(persistent_firing_time_says_summed_over_instances);
	RUN(raise_for_counts_pending_only_episodes);
	RUN(json_with_patches_and_safety_is_unchanged);
	return t_done();
}

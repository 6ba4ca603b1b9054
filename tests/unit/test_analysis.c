/* test_analysis.c -- lib/analysis.c on hand-built timelines. Every expected
 * number is derived in the comments from the input, with Nagios' weights
 * w(i) = 0.8 + 0.4 * (i - 1) / 19 for change i = 1 (oldest) .. 20. */
#include <math.h>
#include <stdlib.h>

#include "analysis.h"
#include "t.h"

#define MIN 60000LL
#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

static struct an_thresholds th = {
	.transient_max_ms = 5 * MIN, .persistent_min_ms = 24 * 60 * MIN,
	.flap_high = 30, .flap_low = 20, .flap_min_episodes = 4,
	.flap_window_ms = 60 * MIN,
};

#define CHECK_NEAR(a, b) do {						\
	double t_x = (a), t_y = (b);					\
	if (fabs(t_x - t_y) > 0.01)					\
		T_FAIL("%s == %.4f, want %.4f", #a, t_x, t_y);		\
} while (0)

/* An analysis of identities named by alertname (interval in ms, 0: webhook
 * only) and episodes given as (identity, firing minute, minutes firing;
 * -1: still open). */
struct ep { size_t ident; double at, len; int feedback; };

static struct analysis *
build(const char *const *names, const int64_t *interval, size_t nids,
    const struct ep *e, size_t neps, double now_min)
{
	struct analysis *a = calloc(1, sizeof(*a));

	a->from = T0 - 24 * 60 * MIN;
	a->to = a->now = T0 + (int64_t)(now_min * MIN);
	a->ids = calloc(nids, sizeof(*a->ids));
	a->nids = nids;
	for (size_t i = 0; i < nids; i++) {
		a->ids[i].fp = i + 1;
		a->ids[i].alertname = strdup(names[i]);
		a->ids[i].labels = json_pack("{s:s, s:s}", "alertname",
		    names[i], "team", i % 2 ? "db" : "infra");
		a->ids[i].team = json_string_value(json_object_get(
		    a->ids[i].labels, "team"));
		a->ids[i].interval_ms = interval[i];
		a->ids[i].copies = 1;
		a->ids[i].t = &th;
	}
	a->eps = calloc(neps, sizeof(*a->eps));
	a->neps = neps;
	for (size_t i = 0; i < neps; i++) {
		a->eps[i].id = (int64_t)i + 1;
		a->eps[i].ident = e[i].ident;
		a->eps[i].firing_at = T0 + (int64_t)(e[i].at * MIN);
		a->eps[i].resolved_at = e[i].len < 0 ? 0 :
		    a->eps[i].firing_at + (int64_t)(e[i].len * MIN);
		a->eps[i].feedback = e[i].feedback;
		a->eps[i].group = -1;
	}
	return a;
}

TEST(flap_score_weights)
{
	unsigned char s[21] = { 0 };

	/* no change */
	CHECK_NEAR(an_flap_score(s), 0);
	/* one change, the newest: w(20) = 1.2 -> 100 * 1.2 / 20 = 6 */
	s[20] = 1;
	CHECK_NEAR(an_flap_score(s), 6);
	/* one change, the oldest: w(1) = 0.8 -> 4 */
	memset(s, 1, sizeof(s));
	s[0] = 0;
	CHECK_NEAR(an_flap_score(s), 4);
	/* every observation changes: sum w = 16 + 0.4 / 19 * 190 = 20 -> 100 */
	for (int i = 0; i < 21; i++)
		s[i] = (unsigned char)(i % 2);
	CHECK_NEAR(an_flap_score(s), 100);
}

/* A flapper evaluated every minute: fires 2 min of every 4 for ten cycles
 * (minutes 0, 4, .., 36), then at minute 48, then at 70. */
TEST(flapper_crosses_high_then_decays_below_low)
{
	static const char *const names[] = { "Flappy" };
	static const int64_t iv[] = { MIN };
	struct ep e[12];
	struct analysis *a;
	/* Scores at each episode start, observations at minutes x = t-20..t:
	 * k=0: only x=0 fires -> change 20: 1.2 -> 6.00
	 * k=1: fires at x=0,1,4 (o=16,17,20): changes 16,18,20:
	 *      1.11579 + 1.15789 + 1.2 = 3.47368 -> 17.37
	 * k=2: changes 12,14,16,18,20: 5.57895 -> 27.89 (< 30: not yet)
	 * k=3: changes 8,10,..,20: 7.51579 -> 37.58 (>= 30: flapping)
	 * k=4: changes 4,6,..,20: 9.28421 -> 46.42
	 * k>=5: changes 2,4,..,20: 8 + 0.4/19 * 100 = 10.10526 -> 50.53
	 * minute 48: x=28..48 fires at 28,29,32,33,36,37,48
	 *      (o=0,1,4,5,8,9,20): changes 2,4,6,8,10,20:
	 *      .82105 + .86316 + .90526 + .94737 + .98947 + 1.2 = 5.72632
	 *      -> 28.63: between 20 and 30, so it stays flapping (hysteresis)
	 * minute 70: only x=70 -> 6.00 <= 20: stops */
	static const double want[12] = { 6.00, 17.37, 27.89, 37.58, 46.42,
	    50.53, 50.53, 50.53, 50.53, 50.53, 28.63, 6.00 };
	static const int flapping[12] = { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 };

	for (int k = 0; k < 10; k++)
		e[k] = (struct ep){ 0, 4.0 * k, 2, FB_NONE };
	e[10] = (struct ep){ 0, 48, 2, FB_NONE };
	e[11] = (struct ep){ 0, 70, 2, FB_NONE };
	a = build(names, iv, 1, e, 12, 80);
	an_flapping(a);
	an_durations(a);
	an_classify(a);
	for (int k = 0; k < 12; k++) {
		CHECK_NEAR(a->eps[k].flap_score, want[k]);
		CHECK_INT(a->eps[k].flapping, flapping[k]);
		/* 2 minutes: transient too; flapping takes precedence */
		CHECK(a->eps[k].reasons & R_TRANSIENT);
		CHECK_INT(a->eps[k].cls, flapping[k] ? CLS_FLAPPING :
		    CLS_TRANSIENT);
	}
	an_free(a);
}

/* Webhook only: episodes at minutes 0, 10, 20, 30 with flap_window 1h and
 * flap_min_episodes 4 score 30 * n / 4 = 7.5, 15, 22.5, 30: the fourth
 * starts flapping. */
TEST(webhook_only_falls_back_to_episode_counts)
{
	static const char *const names[] = { "NoSamples" };
	static const int64_t iv[] = { 0 };
	struct ep e[4];
	struct analysis *a;

	for (int k = 0; k < 4; k++)
		e[k] = (struct ep){ 0, 10.0 * k, 8, FB_NONE };
	a = build(names, iv, 1, e, 4, 60);
	an_flapping(a);
	CHECK_NEAR(a->eps[0].flap_score, 7.5);
	CHECK_NEAR(a->eps[2].flap_score, 22.5);
	CHECK_NEAR(a->eps[3].flap_score, 30);
	CHECK_INT(a->eps[2].flapping, 0);
	CHECK_INT(a->eps[3].flapping, 1);
	an_free(a);
}

TEST(transient_persistent_and_presumed_actionable)
{
	static const char *const names[] = { "Blip", "AlwaysOn", "Open",
	    "Real" };
	static const int64_t iv[] = { 0, 0, 0, 0 };
	/* Blip: 4 min and resolved -> transient; AlwaysOn: 30 h -> persistent;
	 * Open: still firing, began 25 h before now -> persistent; Real: 20
	 * min -> no noise reason: actionable, presumed */
	static const struct ep e[] = {
		{ 1, -1800, 1800, FB_NONE },
		{ 2, -1500, -1, FB_NONE },
		{ 0, 0, 4, FB_NONE },
		{ 3, 10, 20, FB_NONE },
	};
	struct analysis *a = build(names, iv, 4, e, 4, 60);

	an_durations(a);
	an_classify(a);
	CHECK_INT(a->eps[0].cls, CLS_PERSISTENT);
	CHECK_INT(a->eps[1].cls, CLS_PERSISTENT);
	CHECK_INT(a->eps[2].cls, CLS_TRANSIENT);
	CHECK_INT(a->eps[2].reasons, R_TRANSIENT);
	CHECK_INT(a->eps[3].cls, CLS_ACTIONABLE);
	CHECK_INT(a->eps[3].presumed, 1);
	an_free(a);
}

TEST(human_verdicts_win_over_heuristics)
{
	static const char *const names[] = { "Blip", "Real" };
	static const int64_t iv[] = { 0, 0 };
	/* a transient marked actionable is actionable (not presumed); an
	 * episode with no noise reason marked noise is noise; a transient
	 * marked noise keeps its heuristic class and gains the mark */
	static const struct ep e[] = {
		{ 0, 0, 2, FB_ACTIONABLE },
		{ 1, 5, 30, FB_NOISE },
		{ 0, 40, 2, FB_NOISE },
	};
	struct analysis *a = build(names, iv, 2, e, 3, 60);
	json_t *r = json_array();

	an_durations(a);
	an_classify(a);
	CHECK_INT(a->eps[0].cls, CLS_ACTIONABLE);
	CHECK_INT(a->eps[0].presumed, 0);
	CHECK_INT(a->eps[0].reasons, R_TRANSIENT | R_MARKED_ACTIONABLE);
	CHECK_INT(a->eps[1].cls, CLS_NOISE);
	CHECK_INT(a->eps[2].cls, CLS_TRANSIENT);
	an_reasons_json(a->eps[2].reasons, r);
	CHECK_INT(json_array_size(r), 2);
	CHECK_STR(json_string_value(json_array_get(r, 0)), "transient");
	CHECK_STR(json_string_value(json_array_get(r, 1)), "marked_noise");
	json_decref(r);
	an_free(a);
}

TEST(aggregates_per_alertname_and_summary)
{
	static const char *const names[] = { "Blip", "Real", "Blip" };
	static const int64_t iv[] = { 0, 0, 0 };
	/* Blip (two identities): 3 transient episodes of 2, 4 and 1 min;
	 * Real: one of 20 min marked actionable, one still open.
	 * Noise ratio overall: 3 noise / 5 = 0.6; Blip 3/3 = 1; Real 0/2.
	 * Blip MTTR: 60, 120, 240 s -> mean 140, median (nearest rank
	 * ceil(0.5 * 3) = 2nd) 120, p90 (ceil(2.7) = 3rd) 240. */
	static const struct ep e[] = {
		{ 0, 0, 2, FB_NONE },
		{ 2, 1, 4, FB_NONE },
		{ 1, 5, 20, FB_ACTIONABLE },
		{ 0, 10, 1, FB_NONE },
		{ 1, 30, -1, FB_NONE },
	};
	struct analysis *a = build(names, iv, 3, e, 5, 60);
	json_t *alerts, *blip, *sum;

	an_durations(a);
	an_classify(a);
	/* two pages to "pager": one for the first Blip (noise), one for the
	 * actionable Real: page noise ratio 1/2, one page with a verdict */
	a->pages = calloc(2, sizeof(*a->pages));
	a->npages = 2;
	a->pages[0] = (struct an_page){ .receiver = strdup("pager"), .at = T0,
	    .team_ident = 0, .noise = 1, .has_verdict = 0 };
	a->pages[1] = (struct an_page){ .receiver = strdup("pager"), .at = T0 + 5 * MIN,
	    .team_ident = 1, .noise = 0, .has_verdict = 1 };
	a->eps[0].pages = 1;
	a->eps[0].noise_pages = 1;
	a->eps[2].pages = 1;

	alerts = an_alerts_json(a, NULL, 0, 1);
	CHECK_INT(json_array_size(alerts), 2);
	blip = json_array_get(alerts, 0);
	CHECK_STR(json_string_value(json_object_get(blip, "alertname")), "Blip");
	CHECK_INT(json_integer_value(json_object_get(blip, "episodes")), 3);
	CHECK_NEAR(json_real_value(json_object_get(blip, "noise_ratio")), 1.0);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(blip,
	    "classes"), "transient")), 3);
	CHECK_INT(json_integer_value(json_object_get(blip, "pages")), 1);
	CHECK_INT(json_integer_value(json_object_get(blip, "noise_pages")), 1);
	CHECK_NEAR(json_real_value(json_object_get(blip, "page_noise_ratio")),
	    1.0);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttr_seconds"), "mean")), 140);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttr_seconds"), "median")), 120);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttr_seconds"), "p90")), 240);
	CHECK_INT(json_array_size(json_object_get(blip, "identities")), 2);
	CHECK_NEAR(json_real_value(json_object_get(json_array_get(alerts, 1),
	    "noise_ratio")), 0.0);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(
	    json_array_get(alerts, 1), "feedback"), "actionable")), 1);

	sum = an_summary_json(a);
	CHECK_INT(json_integer_value(json_object_get(sum, "episodes")), 5);
	CHECK_NEAR(json_real_value(json_object_get(sum, "noise_ratio")), 0.6);
	CHECK_INT(json_integer_value(json_object_get(sum, "pages")), 2);
	CHECK_NEAR(json_real_value(json_object_get(sum, "page_noise_ratio")),
	    0.5);
	CHECK_NEAR(json_real_value(json_object_get(sum, "feedback_coverage")),
	    0.5);
	CHECK_INT(json_array_size(json_object_get(sum, "by_receiver")), 1);
	CHECK_INT(json_array_size(json_object_get(sum, "by_team")), 2);
	json_decref(alerts);
	json_decref(sum);
	an_free(a);
}

int
main(void)
{
	RUN(flap_score_weights);
	RUN(flapper_crosses_high_then_decays_below_low);
	RUN(webhook_only_falls_back_to_episode_counts);
	RUN(transient_persistent_and_presumed_actionable);
	RUN(human_verdicts_win_over_heuristics);
	RUN(aggregates_per_alertname_and_summary);
	return t_done();
}

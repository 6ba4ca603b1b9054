/* test_analysis.c -- lib/analysis/analysis.c on hand-built timelines. Every expected
 * number is derived in the comments from the input. Flapping: a state change
 * at age a (minutes from the start of the 60-minute flap_window) weighs
 * 0.8 + 0.4 * a / 60, score = 100 * sum of weights / 20 (at most 100). */
#include <math.h>
#include <stdlib.h>

#include "an_views.h"
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

/* Where a change falls in the window sets its weight. One: a lone
 * episode, its start at T weighs 1.2 -> 100 * 1.2 / 20 = 6. Mid: an
 * episode from 0 to 30 then one at 60: the window (0, 60] leaves out the
 * start at 0 (its edge); the end at 30 weighs 0.8 + 0.4 * 30 / 60 = 1.0:
 * (1.0 + 1.2) * 5 = 11. Old: from 0 to 1 then at 60: the end weighs
 * 0.8 + 0.4 / 60 = 0.80667 -> 10.03. Many: 1 minute on, 1 off from 0 to
 * 60: 60 changes in (0, 60], capped at 100. */
TEST(flap_score_weights)
{
	static const char *const names[] = { "One", "Mid", "Old", "Many" };
	static const int64_t iv[] = { MIN, MIN, MIN, MIN };
	struct ep e[36];
	size_t n = 0;
	struct analysis *a;

	e[n++] = (struct ep){ 0, 0, 5, FB_NONE };
	e[n++] = (struct ep){ 1, 0, 30, FB_NONE };
	e[n++] = (struct ep){ 2, 0, 1, FB_NONE };
	for (int k = 0; k <= 30; k++)
		e[n++] = (struct ep){ 3, 2.0 * k, 1, FB_NONE };
	e[n++] = (struct ep){ 1, 60, 5, FB_NONE };
	e[n++] = (struct ep){ 2, 60, 5, FB_NONE };
	a = build(names, iv, 4, e, n, 90);
	CHECK_INT(an_flapping(a), 0);
	CHECK_NEAR(a->eps[0].flap_score, 6);
	CHECK_NEAR(a->eps[n - 2].flap_score, 11);
	CHECK_NEAR(a->eps[n - 1].flap_score, 10.03);
	CHECK_NEAR(a->eps[n - 3].flap_score, 100);
	an_free(a);
}

/* A flapper: 2-minute episodes (transient too) at minutes 0, 4, 8, 12, then
 * thinning out at 50, 70, 100, 140, and back at 150, 155. Scores at each
 * start T, window (T - 60, T], a = age of a change from the window's start,
 * weight 0.8 + 0.4 * a / 60:
 *   0:   its start -> 6.00
 *   4:   a = 56, 58, 60: 2.4 + 0.4 * 174 / 60 = 3.56 -> 17.80
 *   8:   a = 52..60 by 2: 4 + 0.4 * 280 / 60 = 5.8667 -> 29.33 (< 30)
 *   12:  a = 48..60 by 2: 5.6 + 0.4 * 378 / 60 = 8.12 -> 40.60, and 4
 *        episodes in the window: flapping
 *   50:  a = 10..24 by 2, 60: 7.2 + 0.4 * 196 / 60 = 8.5067 -> 42.53
 *   70:  (10, 70]: 12, 14, 50, 52, 70: a = 2, 4, 40, 42, 60: 4 + 0.4 * 148
 *        / 60 = 4.9867 -> 24.93: between 20 and 30, so it stays flapping
 *        (hysteresis), though only 3 episodes started in the window
 *   100: 50, 52, 70, 72, 100: a = 10, 12, 30, 32, 60 -> 4.96 -> 24.80: stays
 *   140: 100, 102, 140: a = 20, 22, 60: 2.4 + 0.68 = 3.08 -> 15.40 <= 20:
 *        stops
 *   150: 100, 102, 140, 142, 150: a = 10, 12, 50, 52, 60: 5.2267 -> 26.13:
 *        below 30, not flapping (hysteresis the other way)
 *   155: a = 5, 7, 45, 47, 55, 57, 60: 5.6 + 0.4 * 276 / 60 = 7.44 -> 37.20,
 *        4 episodes: flapping again */
TEST(flapper_crosses_high_then_decays_below_low)
{
	static const char *const names[] = { "Flappy" };
	static const int64_t iv[] = { MIN };
	static const double at[10] = { 0, 4, 8, 12, 50, 70, 100, 140, 150,
	    155 };
	static const double want[10] = { 6.00, 17.80, 29.33, 40.60, 42.53,
	    24.93, 24.80, 15.40, 26.13, 37.20 };
	static const int flapping[10] = { 0, 0, 0, 1, 1, 1, 1, 0, 0, 1 };
	struct ep e[10];
	struct analysis *a;

	for (int k = 0; k < 10; k++)
		e[k] = (struct ep){ 0, at[k], 2, FB_NONE };
	a = build(names, iv, 1, e, 10, 180);
	an_flapping(a);
	an_durations(a);
	an_classify(a);
	for (int k = 0; k < 10; k++) {
		CHECK_NEAR(a->eps[k].flap_score, want[k]);
		CHECK_INT(a->eps[k].flapping, flapping[k]);
		/* 2 minutes: transient too; flapping takes precedence */
		CHECK(a->eps[k].reasons & R_TRANSIENT);
		CHECK_INT(a->eps[k].cls, flapping[k] ? CLS_FLAPPING :
		    CLS_TRANSIENT);
	}
	an_free(a);
}

/* Webhook only (no interval) and remote-written at 15 s, the same episodes
 * score the same: at minutes 0, 10, 20, 30 for 8 min each, window 1h:
 *   0:  6.00
 *   10: changes 0, 8, 10, a = 50, 58, 60: 2.4 + 0.4 * 168 / 60 = 3.52 ->
 *       17.60
 *   20: a = 40, 48, 50, 58, 60: 4 + 0.4 * 256 / 60 = 5.7067 -> 28.53
 *   30: a = 30, 38, 40, 48, 50, 58, 60: 5.6 + 0.4 * 324 / 60 = 7.76 ->
 *       38.80, and 4 episodes: the fourth starts flapping, as the old
 *       webhook-only rule (flap_min_episodes within flap_window) said. */
TEST(webhook_only_scores_like_remote_write)
{
	static const char *const names[] = { "NoSamples", "Sampled" };
	static const int64_t iv[] = { 0, 15000 };
	static const double want[4] = { 6.00, 17.60, 28.53, 38.80 };
	struct ep e[8];
	struct analysis *a;

	for (int k = 0; k < 8; k++)
		e[k] = (struct ep){ (size_t)k % 2, 10.0 * (k / 2), 8, FB_NONE };
	a = build(names, iv, 2, e, 8, 60);
	an_flapping(a);
	for (int k = 0; k < 8; k++) {
		CHECK_NEAR(a->eps[k].flap_score, want[k / 2]);
		CHECK_INT(a->eps[k].flapping, k / 2 == 3);
	}
	an_free(a);
}

/* One identity whose rule is `expr: time() % period < on` (seconds, no
 * `for`), evaluated as Prometheus would: every iv seconds at T0 + offset +
 * k * iv for span seconds. An episode fires at the first evaluation where
 * the condition holds and resolves at the first where it does not. The
 * identity shows the interval iv, or none when webhook (webhook only). T0
 * is a multiple of every period used. */
static struct analysis *
evaluated(int64_t iv, int64_t offset, int64_t period, int64_t on,
    int64_t span, int webhook)
{
	static const char *const names[] = { "Eval" };
	int64_t ivms = webhook ? 0 : iv * 1000;
	size_t n = 0, cap = (size_t)(span / iv) + 1;
	int64_t *fire = calloc(cap, sizeof(*fire));
	int64_t *res = calloc(cap, sizeof(*res));
	struct ep *e = calloc(cap, sizeof(*e));
	struct analysis *a;
	int on_now = 0;

	for (int64_t t = offset; t < span; t += iv) {
		int holds = t % period < on;

		if (holds && !on_now) {
			fire[n] = t * 1000;
			res[n++] = 0;
		} else if (!holds && on_now)
			res[n - 1] = t * 1000;
		on_now = holds;
	}
	a = build(names, &ivms, 1, e, n, (double)span / 60);
	for (size_t i = 0; i < n; i++) {
		a->eps[i].firing_at = T0 + fire[i];
		a->eps[i].resolved_at = res[i] ? T0 + res[i] : 0;
	}
	free(fire);
	free(res);
	free(e);
	return a;
}

/* The issue's `time() % 120 < 60` (1 min on, 1 min off) for an hour, and an
 * alert that fires 24 times in 3 hours (2.5 min of every 7.5), each at
 * evaluation intervals of 5 s, 15 s, 30 s and 1 m (group offsets 3, 11, 23
 * and 41 s). Changes per wall-clock hour do not depend on the interval, so
 * neither do the scores (within 2 points; quantising a change to the
 * evaluation grid moves its weight by 0.4 / 60 per minute) or the
 * verdicts: from the fourth episode on (4 within
 * flap_window) both flap. The 1-minute flapper has 2j + 1 changes at its
 * j-th episode: 60 in the hour, capped at 100. The 24-in-3h one settles at
 * 16 changes per hour: starts at T - 7.5k min (k = 0..7), ends at T - 5 -
 * 7.5k; ages from the window's start sum to 270 + 230 = 500 min; sum of
 * weights 16 * 0.8 + 0.4 * 500 / 60 = 16.133 -> 80.67. The old score over
 * 21 evaluations saw 100 s at 5 s: 10.7 for the 1-minute flapper. */
TEST(same_flap_pattern_at_four_evaluation_intervals)
{
	static const int64_t iv[4] = { 5, 15, 30, 60 };
	static const int64_t off[4] = { 3, 11, 23, 41 };
	static const struct {
		int64_t period, on, span;
		double last;
	} pat[2] = { { 120, 60, 3600, 100 }, { 450, 150, 3 * 3600, 80.67 } };

	for (int p = 0; p < 2; p++) {
		struct analysis *ref = evaluated(iv[0], off[0], pat[p].period,
		    pat[p].on, pat[p].span, 0);

		an_flapping(ref);
		CHECK_INT(ref->neps, pat[p].span / pat[p].period);
		CHECK_NEAR(ref->eps[ref->neps - 1].flap_score, pat[p].last);
		for (int i = 0; i < 4; i++) {
			struct analysis *a = evaluated(iv[i], off[i],
			    pat[p].period, pat[p].on, pat[p].span, 0);

			an_flapping(a);
			CHECK_INT(a->neps, ref->neps);
			for (size_t j = 0; j < a->neps && j < ref->neps; j++) {
				if (fabs(a->eps[j].flap_score -
				    ref->eps[j].flap_score) > 2)
					T_FAIL("pattern %d at %llds: episode "
					    "%zu scores %.2f, at 5s %.2f", p,
					    (long long)iv[i], j,
					    a->eps[j].flap_score,
					    ref->eps[j].flap_score);
				CHECK_INT(a->eps[j].flapping, j >= 3);
			}
			an_free(a);
		}
		an_free(ref);
	}
}

/* Steady alerts at 15 s, as remote-written and webhook only, for a day:
 * once an hour for 20 min (at most 3 changes in an hour: <= 18), and twice
 * an hour for 25 min (starts at T, T - 30, ends at T - 5, T - 35: weights
 * 1.2 + 1.0 + 1.1667 + 0.9667 = 4.333 -> 21.67, between flap_low and
 * flap_high, and 2 episodes in the hour). Neither ever flaps. */
TEST(steady_alert_once_or_twice_an_hour_never_flaps)
{
	static const int64_t period[2] = { 3600, 1800 }, on[2] = { 1200, 1500 };
	static const double last[2] = { 6.0 + 100 * (0.8 + 0.4 * 20 / 60.0) /
	    20, 21.67 };

	for (int p = 0; p < 2; p++)
		for (int webhook = 0; webhook < 2; webhook++) {
			struct analysis *a = evaluated(15, 7, period[p], on[p],
			    24 * 3600, webhook);

			an_flapping(a);
			CHECK_INT(a->neps, 24 * 3600 / period[p]);
			for (size_t j = 0; j < a->neps; j++) {
				CHECK_INT(a->eps[j].flapping, 0);
				CHECK(a->eps[j].flap_score < 25);
			}
			CHECK_NEAR(a->eps[a->neps - 1].flap_score, last[p]);
			an_free(a);
		}
}

/* The episode count gates the start: a 1 h episode (from minute -10 to 50)
 * then 1-minute episodes at 52, 54, 56, 58. At 56 the window (-4, 56] holds
 * changes at 50, 52, 53, 54, 55, 56: weights 0.8 + 0.4 * (t + 4) / 60 =
 * 1.16 + 1.1733 + 1.18 + 1.1867 + 1.1933 + 1.2 = 7.0933 -> 35.47 >=
 * flap_high, but only 3 episodes started in it (< flap_min_episodes 4): not
 * flapping. At 58 (4 episodes): 8 changes, window (-2, 58]: 1.1467 + 1.16 +
 * 1.1667 + 1.1733 + 1.18 + 1.1867 + 1.1933 + 1.2 = 9.4067 -> 47.03:
 * flapping. And a lone episode in flap_window is never flapping, whatever
 * the thresholds: with flap_high 5, flap_low 1, flap_min_episodes 1 an
 * episode scoring 6 (its start) is not. */
TEST(flapping_needs_min_episodes_and_more_than_one)
{
	static const char *const names[] = { "Burst", "Lone" };
	static const int64_t iv[] = { 15000, 15000 };
	static const struct ep e[] = {
		{ 0, -10, 60, FB_NONE },
		{ 1, 0, 10, FB_NONE },
		{ 0, 52, 1, FB_NONE },
		{ 0, 54, 1, FB_NONE },
		{ 0, 56, 1, FB_NONE },
		{ 0, 58, 1, FB_NONE },
		{ 1, 120, 10, FB_NONE },
	};
	static const struct an_thresholds eager = {
		.transient_max_ms = 5 * MIN, .persistent_min_ms = 24 * 60 * MIN,
		.flap_high = 5, .flap_low = 1, .flap_min_episodes = 1,
		.flap_window_ms = 60 * MIN,
	};
	struct analysis *a = build(names, iv, 2, e, 7, 180);

	a->ids[1].t = &eager;
	an_flapping(a);
	CHECK_NEAR(a->eps[4].flap_score, 35.47);
	CHECK_INT(a->eps[4].flapping, 0);
	CHECK_NEAR(a->eps[5].flap_score, 47.03);
	CHECK_INT(a->eps[5].flapping, 1);
	CHECK_NEAR(a->eps[1].flap_score, 6);
	CHECK_NEAR(a->eps[6].flap_score, 6);
	CHECK_INT(a->eps[1].flapping, 0);
	CHECK_INT(a->eps[6].flapping, 0);
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
	CHECK_NEAR(json_real_value(json_object_get(blip, "noiseRatio")), 1.0);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(blip,
	    "classes"), "transient")), 3);
	CHECK_INT(json_integer_value(json_object_get(blip, "pages")), 1);
	CHECK_INT(json_integer_value(json_object_get(blip, "noisePages")), 1);
	CHECK_NEAR(json_real_value(json_object_get(blip, "pageNoiseRatio")),
	    1.0);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttrSeconds"), "mean")), 140);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttrSeconds"), "median")), 120);
	CHECK_NEAR(json_number_value(json_object_get(json_object_get(blip,
	    "mttrSeconds"), "p90")), 240);
	CHECK_INT(json_array_size(json_object_get(blip, "identities")), 2);
	CHECK_NEAR(json_real_value(json_object_get(json_array_get(alerts, 1),
	    "noiseRatio")), 0.0);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(
	    json_array_get(alerts, 1), "feedback"), "actionable")), 1);

	sum = an_summary_json(a);
	CHECK_INT(json_integer_value(json_object_get(sum, "episodes")), 5);
	CHECK_NEAR(json_real_value(json_object_get(sum, "noiseRatio")), 0.6);
	CHECK_INT(json_integer_value(json_object_get(sum, "pages")), 2);
	CHECK_NEAR(json_real_value(json_object_get(sum, "pageNoiseRatio")),
	    0.5);
	CHECK_NEAR(json_real_value(json_object_get(sum, "feedbackCoverage")),
	    0.5);
	CHECK_INT(json_array_size(json_object_get(sum, "byReceiver")), 1);
	CHECK_INT(json_array_size(json_object_get(sum, "byTeam")), 2);
	json_decref(alerts);
	json_decref(sum);

	/* the structs the JSON is made from say the same */
	{
		struct an_alerts v;
		struct an_summary s;
		const struct an_alert_row *r;

		CHECK_INT(an_alerts_view(a, NULL, 0, 1, &v), 0);
		CHECK_INT(v.n, 2);
		r = an_alerts_find(&v, "Blip");
		CHECK(r != NULL && r == &v.rows[0]);
		if (r != NULL) {
			CHECK_INT(r->n.episodes, 3);
			CHECK_INT(r->n.classes[CLS_TRANSIENT], 3);
			CHECK_INT(r->n.resolved, 3);
			CHECK_NEAR(r->n.mttr_median, 120);
			CHECK_NEAR(r->n.mttr_p90, 240);
			CHECK_INT(r->nidents, 2);
			CHECK_NEAR(an_ratio(r->n.noise_pages, r->n.pages), 1.0);
		}
		CHECK(an_alerts_find(&v, "Nope") == NULL);
		an_alerts_view_free(&v);

		CHECK_INT(an_summary_view(a, &s), 0);
		CHECK_INT(s.all.episodes, 5);
		CHECK_INT(s.all.pages, 2);
		CHECK_INT(s.pages_with_verdict, 1);
		CHECK_INT(s.nreceivers, 1);
		CHECK_INT(s.nteams, 2);
		CHECK_NEAR(an_ratio(s.all.noise, s.all.episodes), 0.6);
		/* the ratio of nothing is undefined: null, no gauge */
		CHECK(isnan(an_ratio(0, 0)));
		an_summary_view_free(&s);
	}
	an_free(a);
}

/* JSON rows of arr by the value of key (a string). */
static json_t *
row_named(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		const char *v = json_string_value(json_object_get(o, key));

		if (v != NULL && strcmp(v, value) == 0)
			return o;
	}
	return NULL;
}

#define JINT(o, k) json_integer_value(json_object_get((o), (k)))

TEST(receivers_and_pending_only)
{
	static const char *const names[] = { "Blip", "Almost", "Almost" };
	static const int64_t iv[] = { 0, 0, 0 };
	/* Blip: one episode before the window (context), a transient one
	 * and an open one. Almost fired none, but went pending and ended
	 * before firing 2 + 1 times (its two identities). */
	static const struct ep e[] = {
		{ 0, -25 * 60, 1, FB_NONE },
		{ 0, 0, 2, FB_NONE },
		{ 0, 30, -1, FB_NONE },
	};
	struct analysis *a = build(names, iv, 3, e, 3, 60);
	json_t *alerts, *almost, *sum, *recv, *pager, *chat;

	a->eps[0].context = 1;
	/* Almost's identities have no fired episode: after the others */
	a->nids = 1;
	a->nids_pending = 2;
	a->ids[1].pending_only = 2;
	a->ids[2].pending_only = 1;
	an_durations(a);
	an_classify(a);
	/* pager (paging) got 3 notifications about episodes 1 and 2, two of
	 * them firing: pages, the first noise (the transient). chat got 2
	 * about episodes 0 (context: not counted) and 1. */
	a->receivers = calloc(2, sizeof(*a->receivers));
	a->nreceivers = 2;
	a->receivers[0] = (struct an_receiver){ .name = strdup("pager"),
	    .paging = 1, .notifications = 3,
	    .notified = calloc(1, sizeof(uint64_t)) };
	a->receivers[0].notified[0] = 1 << 1 | 1 << 2;
	a->receivers[1] = (struct an_receiver){ .name = strdup("chat"),
	    .notifications = 2, .notified = calloc(1, sizeof(uint64_t)) };
	a->receivers[1].notified[0] = 1 << 0 | 1 << 1;
	a->pages = calloc(2, sizeof(*a->pages));
	a->npages = 2;
	a->pages[0] = (struct an_page){ .receiver = strdup("pager"), .at = T0,
	    .team_ident = 0, .noise = 1 };
	a->pages[1] = (struct an_page){ .receiver = strdup("pager"),
	    .at = T0 + 30 * MIN, .team_ident = 0 };

	/* Almost is listed, with no fired episode */
	alerts = an_alerts_json(a, NULL, 0, 1);
	CHECK_INT(json_array_size(alerts), 2);
	almost = row_named(alerts, "alertname", "Almost");
	CHECK(almost != NULL);
	CHECK_INT(JINT(almost, "episodes"), 0);
	CHECK_INT(JINT(almost, "pendingOnly"), 3);
	CHECK(json_is_null(json_object_get(almost, "noiseRatio")));
	CHECK_INT(json_array_size(json_object_get(almost, "identities")), 2);
	/* identities 2 and 3 (fingerprints 2 and 3), in either order */
	CHECK_INT(JINT(row_named(json_object_get(almost, "identities"),
	    "fingerprint", "0000000000000002"), "pendingOnly"), 2);
	CHECK_INT(JINT(row_named(json_object_get(almost, "identities"),
	    "fingerprint", "0000000000000003"), "pendingOnly"), 1);
	CHECK_INT(JINT(row_named(alerts, "alertname", "Blip"), "episodes"), 2);
	CHECK_INT(JINT(row_named(alerts, "alertname", "Blip"),
	    "pendingOnly"), 0);

	/* every receiver, with its own episodes and notifications */
	sum = an_summary_json(a);
	CHECK_INT(JINT(sum, "episodes"), 2);
	CHECK_INT(JINT(sum, "pages"), 2);
	recv = json_object_get(sum, "byReceiver");
	CHECK_INT(json_array_size(recv), 2);
	pager = row_named(recv, "receiver", "pager");
	chat = row_named(recv, "receiver", "chat");
	CHECK(pager != NULL && chat != NULL);
	CHECK_INT(JINT(pager, "episodes"), 2);
	CHECK_INT(JINT(pager, "noiseEpisodes"), 1);
	CHECK_INT(JINT(pager, "notifications"), 3);
	CHECK_INT(JINT(pager, "pages"), 2);
	CHECK_INT(JINT(pager, "noisePages"), 1);
	CHECK_NEAR(json_real_value(json_object_get(pager,
	    "pageNoiseRatio")), 0.5);
	CHECK_INT(JINT(chat, "episodes"), 1);
	CHECK_INT(JINT(json_object_get(chat, "classes"), "transient"), 1);
	CHECK_INT(JINT(chat, "notifications"), 2);
	CHECK_INT(JINT(chat, "pages"), 0);
	CHECK(json_is_null(json_object_get(chat, "pageNoiseRatio")));
	json_decref(alerts);
	json_decref(sum);
	an_free(a);
}

int
main(void)
{
	RUN(flap_score_weights);
	RUN(flapper_crosses_high_then_decays_below_low);
	RUN(webhook_only_scores_like_remote_write);
	RUN(same_flap_pattern_at_four_evaluation_intervals);
	RUN(steady_alert_once_or_twice_an_hour_never_flaps);
	RUN(flapping_needs_min_episodes_and_more_than_one);
	RUN(transient_persistent_and_presumed_actionable);
	RUN(human_verdicts_win_over_heuristics);
	RUN(aggregates_per_alertname_and_summary);
	RUN(receivers_and_pending_only);
	return t_done();
}

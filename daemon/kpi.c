/* kpi.c -- the KPI metrics of /metrics (kpi.h): registered at start,
 * counted at ingest (notifications, pages), refreshed in the background (the
 * rest).
 *
 * A refresh, every metrics.refresh_interval (measured from the start of the
 * previous one):
 *  1. counts the open episodes (store_count_open) into the firing and
 *     pending gauges;
 *  2. takes the analysis of each metrics.windows window from the daemon's
 *     analysis cache (analyses.c, shared with the read API) and, when
 *     analysis.window is not one of them, of that window too, and reads
 *     the numbers from the views the read API renders (analysis_summary,
 *     analysis_alerts, recommendations_cached: computed once per cached
 *     analysis), so a gauge is the number /api/v1/summary, /api/v1/alerts
 *     or /api/v1/recommendations answers for the same analysis;
 *  3. counts the episodes that resolved since the previous refresh (below);
 *  4. replaces the windowed gauges: every child marked stale, the new values
 *     set, the ones left dropped (met_mark_stale / met_drop_stale), so an
 *     alertname that leaves the top K, a ratio that became undefined or a
 *     window removed from the config disappears without a scrape ever
 *     missing a live series.
 * A refresh that fails (the store, out of memory) changes nothing but the
 * firing and pending gauges, is logged and counted (result="failure"); the
 * next one catches up.
 *
 * Episodes by class and time to resolve count each episode once, when it
 * has resolved, with the class the first refresh that sees it resolved
 * gives it (in the longest window's analysis). The refresher keeps, sorted,
 * the ids of the episodes of that analysis it has counted; an episode is
 * counted when it is resolved and not among them, and an id is forgotten
 * once the episode leaves the window. The first refresh after start (or
 * after a reload changed the longest window) counts nothing and only takes
 * note of what is resolved already, so a restart does not count history
 * again into counters that resumed from the store (below). A human verdict
 * given later does not move these counters; it moves the windowed gauges,
 * which are recomputed at every refresh.
 *
 * Pages follow the same rule where alertnoise cannot count them at ingest:
 * those the real routing tree sent to receivers it does not hear from,
 * replayed into the analysis (lib/tuning/routing.h), are counted into
 * alertnoise_pages_total by the refresh that first sees them
 * (count_replayed_pages), if they were sent after the first refresh with
 * the current sources: new sources replay history anew, which is not
 * counted again.
 *
 * The counters that count history -- notifications, pages (seen and
 * replayed), pages outside working time, episodes by class, time to
 * resolve, and the verdicts of alertnoise_feedback_total -- are durable:
 * each count is written to the store's counters (store_counter_add) in the
 * transaction of the write that causes it, and kpi_resume sets them from
 * there at start, so a restart neither resets them nor counts anything
 * twice, and a retention prune does not lower them. A notification counts
 * in the savepoint of its own webhook in the group commit
 * (kpi_store_notification): a webhook rolled back counts nothing. What a
 * refresh counts is written in one transaction of the refresh's own
 * (commit_counts), and reaches the registry and the refresher's memory of
 * what it counted only once that committed; a refresh whose transaction
 * fails counts nothing and the next one counts it. The histogram is stored
 * as two counters, the observations per bucket (not cumulative, by the
 * bucket's upper bound "le") and their sum. Episodes imported by
 * `alertnoised import` are history: a daemon started after the import
 * takes them as already counted; pages are never imported (no
 * notification was sent), so import adds none.
 *
 * Teams (the value of analysis.team_label on an alert): the pages of a
 * team count in alertnoise_team_pages_total{team} at ingest, once for each
 * distinct team of a page's firing alerts (the teams section below), and
 * each refresh sets the windowed team gauges from the summary's per-team
 * numbers (an_summary.teams: a page is its first alert's team's there), of
 * the metrics.max_teams teams with the most pages, then episodes, in the
 * window; the other teams are summed under team="other", and how many they
 * are is alertnoise_team_other_teams{window}. Alerts without the label
 * count under team="", which Prometheus stores as a series without the
 * label (an empty label value is an absent label). Pages replayed from the
 * routing tree (count_replayed_pages) have no team counter. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "an_views.h"
#include "analyses.h"
#include "kpi.h"
#include "log.h"
#include "recommendations.h"
#include "report.h"
#include "respond.h"
#include "sources.h"
#include "timefmt.h"

/* The kinds of dedup groups (enum an_group_kind order). Each of them, and
 * each kind of recommendation (enum rc_kind), is exported, at 0 when there
 * is none. */
static const char *const group_kinds[] = {
	[GROUP_REPLICA] = "replica",
	[GROUP_COFIRING] = "cofiring",
	[GROUP_STORM] = "storm",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The durable counters' names in the store (store_counter_add): the
 * families' own, and the time-to-resolve histogram as two counters. */
#define N_NOTIFICATIONS	"alertnoise_notifications_total"
#define N_PAGES		"alertnoise_pages_total"
#define N_OOH_PAGES	"alertnoise_pages_outside_working_time_total"
#define N_TEAM_PAGES	"alertnoise_team_pages_total"
/* the series of the teams past metrics.max_teams */
#define TEAM_OTHER	"other"
#define N_EPISODES	"alertnoise_episodes_total"
#define N_TTR		"alertnoise_time_to_resolve_seconds"
#define N_TTR_BUCKET	N_TTR "_bucket"
#define N_TTR_SUM	N_TTR "_sum"

/* Time to resolve, from a minute to a week: alerts resolve in minutes to
 * days. ttr_le: each bucket's upper bound as stored, then +Inf's. */
static const double ttr_buckets[] = { 60, 300, 900, 1800, 3600, 7200,
    14400, 43200, 86400, 259200, 604800 };
static const char *const ttr_le[NELEM(ttr_buckets) + 1] = { "60", "300",
    "900", "1800", "3600", "7200", "14400", "43200", "86400", "259200",
    "604800", "+Inf" };

/* The refresher's state. The lock and cond only wake it for kpi_stop;
 * everything below them belongs to the refresher thread (and to kpi_stop
 * once it has joined it). */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* on CLOCK_MONOTONIC */
	int		 stop;		/* under lock */
	pthread_t	 thread;
	int		 running;	/* the thread exists: kpi_start..stop */
	char		*severity_label;/* the alert label time_to_resolve is
					   split by, NULL: not split; fixed
					   at registration */
	int64_t		*seen;		/* counted episode ids, sorted */
	size_t		 nseen;
	int64_t		 seen_window;	/* the window seen is of, 0: none */
	uint64_t	*pseen;		/* counted replayed pages, sorted */
	size_t		 npseen;
	int64_t		 pseen_window;	/* the window pseen is of, 0: none */
	uint64_t	 pseen_gen;	/* the sources generation it is of */
	int64_t		 pfrom;		/* pages before this are history */
	/* the teams with a series of their own in alertnoise_team_pages_total,
	 * sorted (strcmp); under team_lock: the group commit counts pages
	 * on its callers' threads */
	pthread_mutex_t	 team_lock;
	char		**teams;
	size_t		 nteams;
	int		 folded_logged;	/* a team was counted as "other" */
	int		 resume_oom;	/* kpi_resume ran out of memory */
} K = { .lock = PTHREAD_MUTEX_INITIALIZER,
    .team_lock = PTHREAD_MUTEX_INITIALIZER };

/* --- registration and ingest --------------------------------------------- */

int
kpi_register(struct daemon *d)
{
	static const char *const recv_status[] = { "receiver", "status" };
	static const char *const recv[] = { "receiver" };
	static const char *const cls[] = { "class" };
	static const char *const win[] = { "window" };
	static const char *const name_win[] = { "alertname", "window" };
	static const char *const name_win_cls[] = { "alertname", "window",
	    "class" };
	static const char *const team[] = { "team" };
	static const char *const team_win[] = { "team", "window" };
	static const char *const name[] = { "alertname" };
	static const char *const sev[] = { "severity" };
	static const char *const kind[] = { "kind" };
	static const char *const res[] = { "result" };
	struct met_registry *r = d->reg;
	struct daemon_metrics *m = &d->m;
	const char *label = d->cfg->metrics_severity_label;

	if (*label != '\0' && (K.severity_label = strdup(label)) == NULL)
		return -1;
	m->notifications = met_register(r, MET_COUNTER, N_NOTIFICATIONS,
	    "Alertmanager notifications stored (duplicates left out), by "
	    "receiver and status (firing, resolved); kept in the store "
	    "across restarts.", 2, recv_status, NULL, 0);
	m->pages = met_register(r, MET_COUNTER, N_PAGES,
	    "Pages: firing notifications stored for a receiver of "
	    "analysis.paging_receivers, by receiver; kept in the store "
	    "across restarts.", 1, recv, NULL, 0);
	m->ooh_pages = met_register(r, MET_COUNTER, N_OOH_PAGES,
	    "Pages received outside report.working_hours / working_days in "
	    "report.timezone, by receiver; kept in the store across "
	    "restarts.", 1, recv, NULL, 0);
	m->episodes = met_register(r, MET_COUNTER, N_EPISODES,
	    "Fired alert episodes that resolved, counted once each with the "
	    "class the next background analysis gave them (verdicts given "
	    "later do not change it); kept in the store across restarts.", 1,
	    cls, NULL, 0);
	m->firing_alerts = met_register(r, MET_GAUGE,
	    "alertnoise_firing_alerts",
	    "Alert episodes firing now (open, and fired).", 0, NULL, NULL, 0);
	m->pending_alerts = met_register(r, MET_GAUGE,
	    "alertnoise_pending_alerts",
	    "Alert episodes pending now (open, not fired yet).", 0, NULL,
	    NULL, 0);
	m->noise_ratio = met_register(r, MET_GAUGE, "alertnoise_noise_ratio",
	    "Share of the fired episodes that started in the window that are "
	    "noise (absent without episodes).", 1, win, NULL, 0);
	m->page_noise_ratio = met_register(r, MET_GAUGE,
	    "alertnoise_page_noise_ratio",
	    "Share of the window's pages whose firing alerts were all noise "
	    "(absent without pages).", 1, win, NULL, 0);
	m->feedback_coverage = met_register(r, MET_GAUGE,
	    "alertnoise_feedback_coverage_ratio",
	    "Share of the window's pages with a human verdict on one of their "
	    "alerts (absent without pages).", 1, win, NULL, 0);
	m->pages_saved = met_register(r, MET_GAUGE,
	    "alertnoise_predicted_pages_saved",
	    "Pages the window's recommendations would have saved, summed over "
	    "the recommendations (each replayed alone).", 1, win, NULL, 0);
	m->alert_noise_ratio = met_register(r, MET_GAUGE,
	    "alertnoise_alert_noise_ratio",
	    "Share of an alertname's fired episodes in the window that are "
	    "noise; only the metrics.top_alertnames alertnames with the most "
	    "episodes in the window.", 2, name_win, NULL, 0);
	m->alert_episodes = met_register(r, MET_GAUGE,
	    "alertnoise_alert_episodes",
	    "Fired episodes of an alertname that started in the window, by "
	    "class; only the top alertnames of the window.", 3, name_win_cls,
	    NULL, 0);
	m->alert_mttr = met_register(r, MET_GAUGE,
	    "alertnoise_alert_mttr_seconds",
	    "Median time from firing to resolved of an alertname's episodes "
	    "in the window (absent when none resolved); only the top "
	    "alertnames of the window.", 2, name_win, NULL, 0);
	m->alert_flap_score = met_register(r, MET_GAUGE,
	    "alertnoise_alert_flap_score",
	    "Highest flapping score (0-100) of an alertname's episodes in the "
	    "first window of metrics.windows; only that window's top "
	    "alertnames.", 1, name, NULL, 0);
	m->time_to_resolve = met_register(r, MET_HISTOGRAM, N_TTR,
	    "Time from firing to resolved of each fired episode, observed "
	    "once when it resolved; when metrics.severity_label is set, by "
	    "severity: the value of that alert label. Kept in the store "
	    "across restarts.",
	    K.severity_label ? 1 : 0, sev, ttr_buckets, NELEM(ttr_buckets));
	m->dedup_groups = met_register(r, MET_GAUGE, "alertnoise_dedup_groups",
	    "Dedup groups found in analysis.window, by kind (replica, "
	    "cofiring, storm).", 1, kind, NULL, 0);
	m->recommendations = met_register(r, MET_GAUGE,
	    "alertnoise_recommendations",
	    "Recommendations for analysis.window, by kind.", 1, kind, NULL, 0);
	m->team_pages = met_register(r, MET_COUNTER, N_TEAM_PAGES,
	    "Pages (as alertnoise_pages_total counts them at ingest) by the "
	    "team label of their firing alerts, once per distinct team of a "
	    "page; the first metrics.max_teams teams to page have a series, "
	    "later ones count under team=\"other\"; kept in the store across "
	    "restarts.", 1, team, NULL, 0);
	m->team_episodes = met_register(r, MET_GAUGE,
	    "alertnoise_team_episodes",
	    "Fired episodes that started in the window, by the team label of "
	    "their alert; the metrics.max_teams teams with the most pages, "
	    "then episodes, the rest summed under team=\"other\".", 2,
	    team_win, NULL, 0);
	m->team_noise_ratio = met_register(r, MET_GAUGE,
	    "alertnoise_team_noise_ratio",
	    "Share of a team's fired episodes in the window that are noise "
	    "(absent without episodes).", 2, team_win, NULL, 0);
	m->team_window_pages = met_register(r, MET_GAUGE,
	    "alertnoise_team_pages",
	    "Pages in the window by team, each page under the team of its "
	    "first alert (as the summary's by_team).", 2, team_win, NULL, 0);
	m->team_page_noise_ratio = met_register(r, MET_GAUGE,
	    "alertnoise_team_page_noise_ratio",
	    "Share of a team's pages in the window whose firing alerts were "
	    "all noise (absent without pages).", 2, team_win, NULL, 0);
	m->team_other_teams = met_register(r, MET_GAUGE,
	    "alertnoise_team_other_teams",
	    "Teams of the window past metrics.max_teams, summed under "
	    "team=\"other\" in the alertnoise_team_* gauges.", 1, win, NULL,
	    0);
	m->kpi_refreshes = met_register(r, MET_COUNTER,
	    "alertnoise_kpi_refreshes_total",
	    "Background refreshes of the KPI metrics, by result (success, "
	    "failure).", 1, res, NULL, 0);
	m->kpi_last_refresh = met_register(r, MET_GAUGE,
	    "alertnoise_kpi_last_refresh_timestamp_seconds",
	    "When the KPI metrics were last refreshed successfully (0: not "
	    "yet).", 0, NULL, NULL, 0);
	m->kpi_refresh_duration = met_register(r, MET_GAUGE,
	    "alertnoise_kpi_refresh_duration_seconds",
	    "How long the last refresh of the KPI metrics took.", 0, NULL,
	    NULL, 0);
	if (!m->notifications || !m->pages || !m->episodes ||
	    !m->firing_alerts || !m->pending_alerts || !m->noise_ratio ||
	    !m->page_noise_ratio || !m->feedback_coverage || !m->pages_saved ||
	    !m->alert_noise_ratio || !m->alert_episodes || !m->alert_mttr ||
	    !m->alert_flap_score || !m->time_to_resolve || !m->dedup_groups ||
	    !m->recommendations || !m->kpi_refreshes || !m->kpi_last_refresh ||
	    !m->kpi_refresh_duration || !m->team_pages || !m->team_episodes ||
	    !m->team_noise_ratio || !m->team_window_pages ||
	    !m->team_page_noise_ratio || !m->team_other_teams)
		return -1;
	/* known label values start at 0, so rate() and absent() work */
	for (int c = 0; c < CLS_COUNT; c++) {
		const char *v[] = { an_class_name((enum an_class)c) };

		met_add(m->episodes, v, 0);
	}
	for (size_t i = 0; i < NELEM(group_kinds); i++)
		met_set(m->dedup_groups, &group_kinds[i], 0);
	for (int k = 0; k < RC_KINDS; k++) {
		const char *v[] = { rc_kind_name((enum rc_kind)k) };

		met_set(m->recommendations, v, 0);
	}
	{
		static const char *const ok[] = { "success" },
		    *const failed[] = { "failure" };

		met_add(m->kpi_refreshes, ok, 0);
		met_add(m->kpi_refreshes, failed, 0);
	}
	return 0;
}

/* Whether receiver pages: analysis.paging_receivers, else the pager
 * integrations of the Alertmanager source (sources_paging). */
static int
is_paging(const struct an_config *cfg, const char *receiver)
{
	struct sources *src = sources_get();
	size_t n;
	const char *const *v = sources_paging(src, cfg, &n);
	int paging = 0;

	for (size_t i = 0; i < n && !paging; i++)
		paging = strcmp(v[i], receiver) == 0;
	sources_put(src);
	return paging;
}

/* A page as the analysis counts one (lib/analysis/analysis.c
 * build_pages): a firing notification to a paging receiver. */
void
kpi_classify(const struct an_config *cfg, const struct wh_notification *n,
    int64_t received_ms, struct kpi_note *k)
{
	k->paging = n->status == WH_FIRING && is_paging(cfg, n->receiver);
	k->ooh = 0;
	k->team_label = cfg->team_label;
	k->max_teams = cfg->metrics_max_teams;
	if (k->paging) {
		struct report_opts ro;

		report_opts_from_config(cfg, &ro);
		k->ooh = report_out_of_hours(&ro, received_ms) == 1;
	}
}

/* --- teams ------------------------------------------------------------------
 * alertnoise_team_pages_total has a series for each team that pages, up to
 * metrics.max_teams of them: a team gets one the first time it pages while
 * fewer teams have one (those resumed from the store included) and keeps
 * it; a team paging once max_teams have one counts under team="other", and
 * the first such page of a process is logged. A counter cannot move its
 * counts from one series to another, so these are the first teams to page,
 * not the most paged (the windowed gauges rank theirs afresh at every
 * refresh). Neither "" (no team label) nor "other" takes a place. A team
 * given its place by a webhook that was then rolled back keeps it until
 * the restart. */

/* The team of an alert: its team_label label's value, "" when it has none
 * (or team_label is ""). Borrowed from the alert. */
static const char *
alert_team(const struct wh_alert *al, const char *team_label)
{
	json_t *v = *team_label != '\0' ? json_object_get(al->labels,
	    team_label) : NULL;

	return json_is_string(v) ? json_string_value(v) : "";
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Gives team a place in K.teams (under K.team_lock). Returns 0, or -1 on
 * out-of-memory (nothing changed). */
static int
team_add(const char *team)
{
	char **v, *dup;
	size_t i;

	if ((v = realloc(K.teams, (K.nteams + 1) * sizeof(*v))) == NULL)
		return -1;
	K.teams = v;
	if ((dup = strdup(team)) == NULL)
		return -1;
	for (i = K.nteams; i > 0 && strcmp(K.teams[i - 1], team) > 0; i--)
		K.teams[i] = K.teams[i - 1];
	K.teams[i] = dup;
	K.nteams++;
	return 0;
}

/* The series of alertnoise_team_pages_total team's pages count in (the
 * section comment): team, or TEAM_OTHER. With admit (the store's count), a
 * team without a place gets one while fewer than max_teams have one;
 * without (the registry's, after the commit) the answer is the one the
 * store's count got, as places are only ever added. Returns NULL on
 * out-of-memory. */
static const char *
team_series(const char *team, size_t max_teams, int admit)
{
	const char *out = team;
	int first_fold = 0;

	pthread_mutex_lock(&K.team_lock);
	if (*team == '\0' || strcmp(team, TEAM_OTHER) == 0 ||
	    bsearch(&team, K.teams, K.nteams, sizeof(*K.teams), str_cmp) !=
	    NULL)
		;
	else if (admit && K.nteams < max_teams) {
		if (team_add(team) < 0)
			out = NULL;
	} else {
		out = TEAM_OTHER;
		first_fold = admit && !K.folded_logged;
		K.folded_logged |= admit;
	}
	pthread_mutex_unlock(&K.team_lock);
	if (first_fold) {
		char max[24];

		snprintf(max, sizeof(max), "%zu", max_teams);
		log_warn("More teams page than metrics.max_teams: their pages "
		    "count in alertnoise_team_pages_total{team=\"other\"}",
		    "team", team, "max_teams", max);
	}
	return out;
}

/* Calls fn(team, arg) once for each distinct team of n's firing alerts
 * (alert_team), in the order of their first alert, until fn returns
 * non-zero; returns that, or 0. */
static int
each_team(const struct wh_notification *n, const char *team_label,
    int (*fn)(const char *team, void *arg), void *arg)
{
	for (size_t i = 0; i < n->nalerts; i++) {
		const char *t;
		size_t j;
		int rc;

		if (n->alerts[i].status != WH_FIRING)
			continue;
		t = alert_team(&n->alerts[i], team_label);
		for (j = 0; j < i; j++)
			if (n->alerts[j].status == WH_FIRING && strcmp(t,
			    alert_team(&n->alerts[j], team_label)) == 0)
				break;
		if (j == i && (rc = fn(t, arg)) != 0)
			return rc;
	}
	return 0;
}

struct team_count {
	struct store *st;	/* the store's count; NULL: the registry's */
	struct met_family *f;
	size_t max_teams;
};

static int
count_team(const char *team, void *arg)
{
	const struct team_count *tc = arg;
	const char *v[1];

	if ((v[0] = team_series(team, tc->max_teams, tc->st != NULL)) == NULL)
		return -1;
	if (tc->st == NULL)
		met_add(tc->f, v, 1);
	else if (store_counter_add(tc->st, N_TEAM_PAGES, v, 1, 1) < 0)
		return -1;
	return 0;
}

int
kpi_store_notification(struct store *st, const struct wh_notification *n,
    const struct kpi_note *k)
{
	const char *v[] = { n->receiver,
	    n->status == WH_FIRING ? "firing" : "resolved" };
	struct team_count tc = { .st = st, .max_teams = k->max_teams };

	if (store_counter_add(st, N_NOTIFICATIONS, v, 2, 1) < 0 ||
	    (k->paging && store_counter_add(st, N_PAGES, v, 1, 1) < 0) ||
	    (k->ooh && store_counter_add(st, N_OOH_PAGES, v, 1, 1) < 0) ||
	    (k->paging && each_team(n, k->team_label, count_team, &tc) != 0))
		return -1;
	return 0;
}

void
kpi_notification(struct daemon *d, const struct wh_notification *n,
    const struct kpi_note *k)
{
	const char *v[] = { n->receiver,
	    n->status == WH_FIRING ? "firing" : "resolved" };

	met_add(d->m.notifications, v, 1);
	if (k->paging) {
		struct team_count tc = { .f = d->m.team_pages,
		    .max_teams = k->max_teams };

		met_add(d->m.pages, v, 1);
		/* cannot fail: without admit, no allocation */
		(void)each_team(n, k->team_label, count_team, &tc);
	}
	if (k->ooh)
		met_add(d->m.ooh_pages, v, 1);
}

/* One stored counter into the registry (kpi_resume); a row whose labels do
 * not fit the family as registered now (metrics.severity_label changed) is
 * left out. */
static int
resume_row(const char *family, const char *const *v, size_t n, double value,
    void *arg)
{
	struct daemon_metrics *m = arg;
	const struct {
		const char *name;
		struct met_family *f;
		size_t nlabels;
	} fams[] = {
		{ N_NOTIFICATIONS, m->notifications, 2 },
		{ N_PAGES, m->pages, 1 },
		{ N_OOH_PAGES, m->ooh_pages, 1 },
		{ N_EPISODES, m->episodes, 1 },
		{ STORE_COUNTER_FEEDBACK, m->feedback, 1 },
		{ N_TEAM_PAGES, m->team_pages, 1 },
	};
	size_t nsev = K.severity_label != NULL ? 1 : 0;

	/* a team counted before keeps its place (the teams section) */
	if (strcmp(family, N_TEAM_PAGES) == 0 && n == 1 && *v[0] != '\0' &&
	    strcmp(v[0], TEAM_OTHER) != 0) {
		pthread_mutex_lock(&K.team_lock);
		if (team_add(v[0]) < 0)
			K.resume_oom = 1;
		pthread_mutex_unlock(&K.team_lock);
	}

	for (size_t i = 0; i < NELEM(fams); i++)
		if (strcmp(family, fams[i].name) == 0) {
			if (n == fams[i].nlabels)
				met_add(fams[i].f, v, value);
			return 0;
		}
	if (strcmp(family, N_TTR_BUCKET) == 0 && n == nsev + 1 && value >= 0)
		met_observe_many(m->time_to_resolve, nsev ? v : NULL,
		    strtod(v[nsev], NULL), (uint64_t)value, 0);
	else if (strcmp(family, N_TTR_SUM) == 0 && n == nsev)
		met_observe_many(m->time_to_resolve, nsev ? v : NULL, 0, 0,
		    value);
	return 0;
}

int
kpi_resume(struct daemon *d, char *err, size_t errlen)
{
	K.resume_oom = 0;
	if (store_scan_counters(d->store, resume_row, &d->m) < 0) {
		snprintf(err, errlen, "reading the counters: %s",
		    store_errmsg(d->store));
		return -1;
	}
	if (K.resume_oom) {
		snprintf(err, errlen, "reading the counters: out of memory");
		return -1;
	}
	return 0;
}

/* --- a refresh ------------------------------------------------------------ */

/* One window of a refresh. The views and the top alertnames are only taken
 * for the exported windows. */
struct window {
	char		*label;		/* as written in metrics.windows; NULL
					   for analysis.window when it is not
					   one of them */
	int64_t		 ms;
	const struct analysis *a;
	void		*handle;	/* analysis_put */
	/* the handle's (analyses.h), shared: read only */
	const struct an_summary *summary;
	const struct an_alerts *alerts;
	const struct rc_list *recs;	/* recommendations_cached */
	const struct an_alert_row **top;	/* the top alertnames' rows,
					   in alerts */
	size_t		 ntop;
	const struct an_slice **teams;	/* summary's teams but "", most
					   pages, then episodes, first */
	size_t		 nteams;
};

static int
stopping(void)
{
	int stop;

	pthread_mutex_lock(&K.lock);
	stop = K.stop;
	pthread_mutex_unlock(&K.lock);
	return stop;
}

static void
count_open(struct daemon *d)
{
	int64_t firing, pending;

	if (store_count_open(d->store, &firing, &pending) < 0) {
		log_error("Counting open episodes failed", "err",
		    store_errmsg(d->store));
		return;
	}
	met_set(d->m.firing_alerts, NULL, (double)firing);
	met_set(d->m.pending_alerts, NULL, (double)pending);
}

/* What a refresh counts, written to the store in one transaction before it
 * reaches the registry (commit_counts). */
struct count {
	struct met_family *f;	/* counter: met_add; histogram: met_observe */
	const char *family;	/* the store's name (N_*) */
	const char *v[1];	/* the label value, borrowed (from the
				   analysis, or static) */
	size_t nv;
	double x;		/* added, or observed */
};

struct counts {
	struct count *v;
	size_t n, cap;
};

/* Returns 0, or -1 on out-of-memory (nothing added). */
static int
counts_add(struct counts *c, struct met_family *f, const char *family,
    const char *v, double x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct count *nv = realloc(c->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = (struct count){ .f = f, .family = family,
	    .v = { v }, .nv = v != NULL ? 1 : 0, .x = x };
	return 0;
}

/* Writes c to the store's counters in one transaction (nothing when c is
 * empty), then, once it committed, to the registry. Returns 0, or -1 with
 * a message in err (nothing counted anywhere). */
static int
commit_counts(struct daemon *d, const struct counts *c, char *err,
    size_t errlen)
{
	struct store *st = d->store;
	size_t i;

	if (c->n == 0)
		return 0;
	if (store_begin(st) < 0)
		goto fail;
	for (i = 0; i < c->n; i++) {
		const struct count *k = &c->v[i];
		const char *v[2] = { k->v[0] };
		size_t b = 0;
		int rc;

		if (k->f != d->m.time_to_resolve) {
			rc = store_counter_add(st, k->family, k->v, k->nv,
			    k->x);
		} else {
			/* the bucket met_observe puts it in */
			while (b < NELEM(ttr_buckets) && !(k->x <=
			    ttr_buckets[b]))
				b++;
			v[k->nv] = ttr_le[b];
			rc = store_counter_add(st, N_TTR_BUCKET, v, k->nv + 1,
			    1);
			if (rc == 0)
				rc = store_counter_add(st, N_TTR_SUM, v, k->nv,
				    k->x);
		}
		if (rc < 0) {
			store_rollback(st);
			goto fail;
		}
	}
	if (store_commit(st) < 0)
		goto fail;
	for (i = 0; i < c->n; i++) {
		const struct count *k = &c->v[i];

		if (k->f == d->m.time_to_resolve)
			met_observe(k->f, k->nv ? k->v : NULL, k->x);
		else
			met_add(k->f, k->v, k->x);
	}
	return 0;
fail:
	snprintf(err, errlen, "storing the counters: %s", store_errmsg(st));
	return -1;
}

static int
id_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Adds to c the episodes of a (the longest window's analysis, of
 * window_ms) that resolved and were not counted yet (the file comment),
 * and sets *seen (sorted, *nseen of them; the caller's, to keep in K.seen
 * once c is committed) to the ids counted that are still in a. Returns 0,
 * or -1 on out-of-memory. */
static int
count_resolved(struct daemon *d, const struct analysis *a, int64_t window_ms,
    struct counts *c, int64_t **seen, size_t *nseen)
{
	int baseline = K.seen_window != window_ms;
	int64_t *ids;
	size_t n = 0;

	if ((ids = malloc((a->neps ? a->neps : 1) * sizeof(*ids))) == NULL)
		return -1;
	for (size_t i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];
		int counted = !baseline && bsearch(&e->id, K.seen, K.nseen,
		    sizeof(*K.seen), id_cmp) != NULL;

		if (counted || baseline) {
			if (counted || e->resolved_at != 0)
				ids[n++] = e->id;
			continue;
		}
		if (e->resolved_at == 0)
			continue;
		ids[n++] = e->id;
		{
			double secs = (double)(e->resolved_at - e->firing_at) /
			    1000.0;
			const char *sev = NULL;

			if (K.severity_label != NULL) {
				json_t *v = json_object_get(
				    a->ids[e->ident].labels, K.severity_label);

				sev = json_is_string(v) ?
				    json_string_value(v) : "";
			}
			if (counts_add(c, d->m.episodes, N_EPISODES,
			    an_class_name(e->cls), 1) < 0 ||
			    counts_add(c, d->m.time_to_resolve, N_TTR, sev,
			    secs) < 0) {
				free(ids);
				return -1;
			}
		}
	}
	qsort(ids, n, sizeof(*ids), id_cmp);
	*seen = ids;
	*nseen = n;
	return 0;
}

static int
key_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* A replayed page's key: its receiver, time and the identity of its
 * first alert (a fingerprint: the same in every analysis). */
static uint64_t
page_key(const struct analysis *a, const struct an_page *p)
{
	uint64_t h = 14695981039346656037ULL;

	for (const char *c = p->receiver; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)p->at;
	h *= 1099511628211ULL;
	h ^= p->team_ident < a->nids ? a->ids[p->team_ident].fp : 0;
	return h * 1099511628211ULL;
}

/* Adds to c, for alertnoise_pages_total (and the out-of-hours one), the
 * pages of a that the routing tree sent to receivers alertnoise does not
 * hear from (replayed: lib/tuning/routing.h), each once, as count_resolved
 * counts episodes: a page is counted the first refresh it is in the
 * analysis, the first refresh after start only takes note. Seen pages are
 * counted at ingest (kpi_notification). Sets *pseen, *npseen and *gen,
 * the caller's to keep in K once c is committed. Returns 0, or -1 on
 * out-of-memory. */
static int
count_replayed_pages(struct daemon *d, const struct analysis *a,
    int64_t window_ms, struct counts *c, uint64_t **pseen, size_t *npseen,
    uint64_t *gen)
{
	struct sources *src = sources_get();
	int baseline;
	const struct an_config *cfg;
	uint64_t *keys;
	size_t n = 0;
	struct report_opts ro;
	int rc = 0;

	*gen = src != NULL ? src->gen : 0;
	baseline = K.pseen_window != window_ms || K.pseen_gen != *gen;
	sources_put(src);
	/* other sources replay other pages, of the past too: a new start */
	if (baseline)
		K.pfrom = ts_now_ms();

	if ((keys = malloc((a->npages ? a->npages : 1) * sizeof(*keys))) ==
	    NULL)
		return -1;
	cfg = daemon_config(d);
	report_opts_from_config(cfg, &ro);	/* ro points into cfg */
	for (size_t i = 0; i < a->npages && rc == 0; i++) {
		const struct an_page *p = &a->pages[i];
		long r = an_receiver_find(a, p->receiver);

		if (r < 0 || !a->receivers[r].derived)
			continue;
		keys[n++] = page_key(a, p);
		if (baseline || p->at < K.pfrom || bsearch(&keys[n - 1],
		    K.pseen, K.npseen, sizeof(*K.pseen), key_cmp) != NULL)
			continue;
		rc = counts_add(c, d->m.pages, N_PAGES, p->receiver, 1);
		if (rc == 0 && report_out_of_hours(&ro, p->at) == 1)
			rc = counts_add(c, d->m.ooh_pages, N_OOH_PAGES,
			    p->receiver, 1);
	}
	cfg_release(cfg);
	if (rc < 0) {
		free(keys);
		return -1;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	*pseen = keys;
	*npseen = n;
	return 0;
}

/* Orders alerts by episodes, most first, then by alertname (qsort). */
static int
alert_cmp(const void *x, const void *y)
{
	const struct an_alert_row *a = *(const struct an_alert_row *const *)x;
	const struct an_alert_row *b = *(const struct an_alert_row *const *)y;

	if (a->n.episodes != b->n.episodes)
		return a->n.episodes > b->n.episodes ? -1 : 1;
	return strcmp(a->alertname, b->alertname);
}

/* Picks w's top alertnames by episodes. Returns 0, or -1 on out-of-memory. */
static int
pick_top(struct window *w, size_t top)
{
	size_t n = w->alerts->n;

	if ((w->top = malloc((n ? n : 1) * sizeof(*w->top))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		w->top[i] = &w->alerts->rows[i];
	qsort(w->top, n, sizeof(*w->top), alert_cmp);
	w->ntop = n < top ? n : top;
	return 0;
}

/* Orders teams by pages, then episodes, most first, then by name (qsort). */
static int
team_cmp(const void *x, const void *y)
{
	const struct an_slice *a = *(const struct an_slice *const *)x;
	const struct an_slice *b = *(const struct an_slice *const *)y;

	if (a->n.pages != b->n.pages)
		return a->n.pages > b->n.pages ? -1 : 1;
	if (a->n.episodes != b->n.episodes)
		return a->n.episodes > b->n.episodes ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Ranks w's teams (the file comment). Returns 0, or -1 on out-of-memory. */
static int
pick_teams(struct window *w)
{
	const struct an_summary *s = w->summary;

	if ((w->teams = malloc((s->nteams ? s->nteams : 1) *
	    sizeof(*w->teams))) == NULL)
		return -1;
	w->nteams = 0;
	for (size_t i = 0; i < s->nteams; i++)
		if (*s->teams[i].key != '\0')
			w->teams[w->nteams++] = &s->teams[i];
	qsort(w->teams, w->nteams, sizeof(*w->teams), team_cmp);
	return 0;
}

/* Sets a ratio of the window; leaves it out (dropped as stale) when it is
 * undefined (NAN: the ratio of nothing), as the read API writes null. */
static void
set_defined(struct met_family *f, const char *const *labels, double v)
{
	if (!isnan(v))
		met_set(f, labels, v);
}

/* Pages saved: pages_before - pages_after summed over the recommendations
 * that predict both (rc_pages_saved). */
static double
pages_saved(const struct rc_list *recs)
{
	double saved = 0;

	for (size_t i = 0; i < recs->n; i++)
		saved += (double)rc_pages_saved(&recs->rows[i]);
	return saved;
}

static void
publish_team(struct daemon_metrics *m, const char *team, const char *window,
    const struct an_numbers *n)
{
	const char *tw[] = { team, window };

	met_set(m->team_episodes, tw, (double)n->episodes);
	set_defined(m->team_noise_ratio, tw, an_ratio(n->noise, n->episodes));
	met_set(m->team_window_pages, tw, (double)n->pages);
	set_defined(m->team_page_noise_ratio, tw,
	    an_ratio(n->noise_pages, n->pages));
}

/* The team gauges of w: its first max_teams teams (pick_teams), the others
 * summed under TEAM_OTHER (a team named so too), and the alerts without
 * the team label under "". */
static void
publish_teams(struct daemon_metrics *m, const struct window *w,
    size_t max_teams)
{
	const struct an_summary *s = w->summary;
	struct an_numbers other = { 0 };
	const char *win[] = { w->label };
	size_t own = 0, nother = 0;

	for (size_t i = 0; i < w->nteams; i++) {
		const struct an_slice *t = w->teams[i];

		if (own < max_teams && strcmp(t->key, TEAM_OTHER) != 0) {
			publish_team(m, t->key, w->label, &t->n);
			own++;
			continue;
		}
		other.episodes += t->n.episodes;
		other.noise += t->n.noise;
		other.pages += t->n.pages;
		other.noise_pages += t->n.noise_pages;
		nother++;
	}
	if (nother > 0)
		publish_team(m, TEAM_OTHER, w->label, &other);
	for (size_t i = 0; i < s->nteams; i++)
		if (*s->teams[i].key == '\0')
			publish_team(m, "", w->label, &s->teams[i].n);
	met_set(m->team_other_teams, win, (double)nother);
}

static void
publish_alerts(struct daemon_metrics *m, const struct window *w, int first)
{
	for (size_t i = 0; i < w->ntop; i++) {
		const struct an_alert_row *o = w->top[i];
		const char *nw[] = { o->alertname, w->label };

		set_defined(m->alert_noise_ratio, nw,
		    an_ratio(o->n.noise, o->n.episodes));
		if (o->n.resolved > 0)
			met_set(m->alert_mttr, nw, o->n.mttr_median);
		for (int c = 0; c < CLS_COUNT; c++) {
			const char *nwc[] = { o->alertname, w->label,
			    an_class_name((enum an_class)c) };

			met_set(m->alert_episodes, nwc,
			    (double)o->n.classes[c]);
		}
		if (first)
			met_set(m->alert_flap_score, nw, o->flap_score);
	}
}

/* Replaces the windowed gauges with the values of w[0..nexp) (the exported
 * windows; max_teams teams each) and w[mw] (analysis.window's). Cannot
 * fail. */
static void
publish(struct daemon *d, const struct window *w, size_t nexp, size_t mw,
    size_t max_teams)
{
	struct daemon_metrics *m = &d->m;
	struct met_family *const replaced[] = { m->noise_ratio,
	    m->page_noise_ratio, m->feedback_coverage, m->pages_saved,
	    m->alert_noise_ratio, m->alert_episodes, m->alert_mttr,
	    m->alert_flap_score, m->recommendations, m->team_episodes,
	    m->team_noise_ratio, m->team_window_pages,
	    m->team_page_noise_ratio, m->team_other_teams };
	double groups[NELEM(group_kinds)] = { 0 };
	size_t i;

	for (i = 0; i < NELEM(replaced); i++)
		met_mark_stale(replaced[i]);
	for (i = 0; i < nexp; i++) {
		const char *win[] = { w[i].label };
		const struct an_numbers *all = &w[i].summary->all;

		set_defined(m->noise_ratio, win,
		    an_ratio(all->noise, all->episodes));
		set_defined(m->page_noise_ratio, win,
		    an_ratio(all->noise_pages, all->pages));
		set_defined(m->feedback_coverage, win,
		    an_ratio(w[i].summary->pages_with_verdict, all->pages));
		met_set(m->pages_saved, win, pages_saved(w[i].recs));
		publish_alerts(m, &w[i], i == 0);
		publish_teams(m, &w[i], max_teams);
	}

	for (i = 0; i < w[mw].a->ngroups; i++)
		groups[w[mw].a->groups[i].kind]++;
	for (i = 0; i < NELEM(group_kinds); i++)
		met_set(m->dedup_groups, &group_kinds[i], groups[i]);
	/* every kind at 0 first (a stale child keeps its old value), then
	 * one per recommendation */
	for (int k = 0; k < RC_KINDS; k++) {
		const char *kind[] = { rc_kind_name((enum rc_kind)k) };

		met_set(m->recommendations, kind, 0);
	}
	for (i = 0; i < w[mw].recs->n; i++) {
		const char *kind[] = {
			rc_kind_name(w[mw].recs->rows[i].kind)
		};

		met_add(m->recommendations, kind, 1);
	}
	for (i = 0; i < NELEM(replaced); i++)
		met_drop_stale(replaced[i]);
}

static void
windows_free(struct window *w, size_t n)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		/* the views go with the handle */
		if (w[i].handle != NULL)
			analysis_put(w[i].handle);
		free(w[i].top);
		free(w[i].teams);
		free(w[i].label);
	}
	free(w);
}

/* One refresh (the file comment). Returns 0, -1 when it failed (logged),
 * or 1 when kpi_stop interrupted it. */
static int
refresh(struct daemon *d)
{
	const struct an_config *cfg;
	struct window *w = NULL;
	size_t nexp, nw = 0, top, max_teams, longest = 0, mw, nseen = 0;
	size_t npseen = 0;
	struct counts c = { 0 };
	int64_t an_window, *seen = NULL;
	uint64_t *pseen = NULL, gen = 0;
	char err[512];
	int result = -1;

	count_open(d);

	cfg = daemon_config(d);
	nexp = cfg->n_metrics_windows;
	top = cfg->metrics_top_alertnames;
	max_teams = cfg->metrics_max_teams;
	an_window = cfg->an_window_ms;
	/* the paging receivers' page counters exist from the start (those
	 * of the config, else the pager integrations of the sources) */
	{
		struct sources *src = sources_get();
		size_t np;
		const char *const *pg = sources_paging(src, cfg, &np);

		for (size_t i = 0; i < np; i++) {
			met_add(d->m.pages, &pg[i], 0);
			met_add(d->m.ooh_pages, &pg[i], 0);
		}
		sources_put(src);
	}
	if ((w = calloc(nexp + 1, sizeof(*w))) != NULL)
		for (; nw < nexp; nw++) {
			if ((w[nw].label = strdup(cfg->metrics_windows[nw]))
			    == NULL)
				break;
			/* cannot fail: checked at load */
			(void)cfg_parse_duration(w[nw].label, &w[nw].ms);
		}
	cfg_release(cfg);
	if (w == NULL || nw < nexp) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	assert(nexp > 0);		/* config.c: at least one window */
	mw = nexp;
	for (size_t i = 0; i < nexp; i++) {
		if (w[i].ms == an_window)
			mw = i;
		if (w[i].ms > w[longest].ms)
			longest = i;
	}
	if (mw == nexp)
		w[nw++].ms = an_window;

	for (size_t i = 0; i < nw; i++) {
		if (stopping()) {
			result = 1;
			goto out;
		}
		if ((w[i].a = analysis_get(d, w[i].ms, &w[i].handle, err,
		    sizeof(err))) == NULL)
			goto fail;
		if (i < nexp && ((w[i].summary = analysis_summary(w[i].handle,
		    err, sizeof(err))) == NULL || (w[i].alerts =
		    analysis_alerts(w[i].handle, err, sizeof(err))) == NULL))
			goto fail;
		if (i < nexp && (pick_top(&w[i], top) < 0 ||
		    pick_teams(&w[i]) < 0)) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		if ((w[i].recs = recommendations_cached(d->store, w[i].handle,
		    err, sizeof(err))) == NULL)
			goto fail;
		/* every window's handle is held until publish: its views are
		 * the handle's (the cache holds them meanwhile anyway) */
	}
	if (count_resolved(d, w[longest].a, w[longest].ms, &c, &seen,
	    &nseen) < 0 || count_replayed_pages(d, w[longest].a,
	    w[longest].ms, &c, &pseen, &npseen, &gen) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (commit_counts(d, &c, err, sizeof(err)) < 0)
		goto fail;
	free(K.seen);
	K.seen = seen;
	K.nseen = nseen;
	K.seen_window = w[longest].ms;
	seen = NULL;
	free(K.pseen);
	K.pseen = pseen;
	K.npseen = npseen;
	K.pseen_window = w[longest].ms;
	K.pseen_gen = gen;
	pseen = NULL;
	publish(d, w, nexp, mw, max_teams);
	result = 0;
	goto out;
fail:
	if (stopping()) {	/* store_cancel_reads made it fail */
		result = 1;
		goto out;
	}
	log_error("Refreshing the KPI metrics failed", "err", err);
out:
	free(seen);
	free(pseen);
	free(c.v);
	windows_free(w, nw);
	return result;
}

/* --- the refresher thread ------------------------------------------------ */

/* refresh under web.request_timeout, as a request: the analyses and
 * replays it starts or waits for give up past it (analyses.c, through
 * respond.h request_stopping on a request of its own, which has no
 * client), so a history that makes them slow costs a bounded share of a
 * CPU each refresh instead of all of it for good. */
static int
refresh_bounded(struct daemon *d)
{
	const struct an_config *cfg = daemon_config(d);
	struct request self;
	int rc;

	memset(&self, 0, sizeof(self));
	self.d = d;
	self.timeout_ms = cfg->request_timeout_ms;
	self.deadline_ms = ts_mono_ms() + self.timeout_ms;
	cfg_release(cfg);
	request_enter(&self);
	rc = refresh(d);
	request_leave();
	return rc;
}

static void *
refresher(void *arg)
{
	struct daemon *d = arg;
	const char *res[1];
	struct timespec t0, t1;
	int64_t every;
	int rc, stop;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((rc = refresh_bounded(d)) == 1)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res[0] = rc == 0 ? "success" : "failure";
		met_add(d->m.kpi_refreshes, res, 1);
		met_set(d->m.kpi_refresh_duration, NULL,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (rc == 0)
			met_set(d->m.kpi_last_refresh, NULL,
			    (double)ts_now_ms() / 1000.0);

		{
			const struct an_config *cfg = daemon_config(d);

			every = cfg->metrics_refresh_ms;
			cfg_release(cfg);
		}
		ts_add_ms(&t0, every);
		pthread_mutex_lock(&K.lock);
		while (!K.stop && pthread_cond_timedwait(&K.cond, &K.lock,
		    &t0) != ETIMEDOUT)
			;
		stop = K.stop;
		pthread_mutex_unlock(&K.lock);
		if (stop)
			break;
	}
	return NULL;
}

int
kpi_start(struct daemon *d, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	int rc;

	assert(!K.running && d->store != NULL);
	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto fail;
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&K.cond, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail;
	}
	pthread_condattr_destroy(&ca);
	K.stop = 0;
	if ((rc = pthread_create(&K.thread, NULL, refresher, d)) != 0) {
		pthread_cond_destroy(&K.cond);
		goto fail;
	}
	K.running = 1;
	return 0;
fail:
	snprintf(err, errlen, "starting the KPI refresher: %s", strerror(rc));
	return -1;
}

void
kpi_request_stop(void)
{
	pthread_mutex_lock(&K.lock);
	K.stop = 1;
	pthread_cond_signal(&K.cond);
	pthread_mutex_unlock(&K.lock);
}

void
kpi_stop(void)
{
	if (K.running) {
		kpi_request_stop();
		pthread_join(K.thread, NULL);
		pthread_cond_destroy(&K.cond);
		K.running = 0;
	}
	free(K.seen);
	K.seen = NULL;
	K.nseen = 0;
	K.seen_window = 0;
	free(K.pseen);
	K.pseen = NULL;
	K.npseen = 0;
	K.pseen_window = 0;
	free(K.severity_label);
	K.severity_label = NULL;
	for (size_t i = 0; i < K.nteams; i++)
		free(K.teams[i]);
	free(K.teams);
	K.teams = NULL;
	K.nteams = 0;
	K.folded_logged = 0;
}

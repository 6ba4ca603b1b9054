/* gen.c -- generates a realistic alert history straight into a store.
 *
 *   gen --storage.path=DIR [--scale=1.0] [--days=90] [--seed=1]
 *
 * Writes through lib/'s store interface (store_open, then store_upsert_
 * identity, store_insert_episode, store_put_series, store_insert_
 * notification[_alert] in transactions of many rows, and store_add_feedback)
 * what ingest would have written after `days` of a busy Alertmanager and
 * Prometheus, ending now. Sizes at scale 1: 10,000 identities, 1,000,000
 * episodes and 2,000,000 notifications; other scales multiply all three.
 *
 * The mix, in episodes:
 *   40%  flappers: 5% of the identities, bursts of 5-20 episodes of 1-8 min
 *        with 1-6 min gaps, all with remote-write series (30 s interval);
 *   15%  storms: 5% of the alertnames own 30% of the identities; a storm
 *        fires 10-60 identities of one alertname within 4 minutes, notified
 *        as one group (group_by: [alertname]);
 *   15%  co-firing: alertnames in triples whose identities fire within 90 s
 *        of each other, each notified on its own;
 *   ~0%  persistent: 2% of the identities, 1-3 episodes of days, the last
 *        still open;
 *   rest normal: log-normal durations (median 20 min, 1 min .. 3 d).
 * 60% of the identities (and all flappers) are also remote-written: they
 * get pending_at (a `for` of 1 or 5 min) and rw_series rows. Notifications
 * follow Alertmanager: firing after group_wait (30 s; episodes shorter than
 * that are never notified), a repeat every 4 h while firing, resolved
 * 10 s after the end; each to the team's Slack receiver and, for critical
 * alerts, to "pager"; 2% delivered again by the second HA Alertmanager.
 * When that yields more than the target, notifications are dropped at
 * random down to it. About 0.1% of the last 28 days' episodes get a human
 * verdict. Prints one key=value line with the counts and the time taken. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "bench.h"
#include "fingerprint.h"
#include "store.h"
#include "webhook.h"

#define MIN_MS	60000LL
#define HOUR_MS	(60 * MIN_MS)
#define DAY_MS	(24 * HOUR_MS)

enum { C_NORMAL, C_FLAPPER, C_PERSISTENT, C_STORM, C_COFIRE };

struct ident {
	uint64_t fp;
	uint32_t alertname;
	uint8_t cls, cluster, sev, team, rw;
	int64_t for_ms;			/* pending before firing, rw only */
	int64_t first_seen, last_seen;
	json_t *labels, *annotations;	/* owned */
	json_t *group_labels;		/* {alertname, cluster}; owned */
};

struct ep {
	uint32_t ident;
	uint32_t dead;
	int64_t pending_at, firing_at, resolved_at;	/* 0: none / open */
	int64_t id;
	int64_t nnotif, first_notified, last_notified;
};

/* A notification group: episodes notified together. */
struct group {
	uint32_t first, n;		/* into members[] */
	uint32_t storm;			/* grouped by alertname only */
};

struct notif {
	int64_t at;
	uint32_t group;
	uint8_t resolved, pager, ha;
	uint64_t content;		/* content digest, shared by HA copies */
};

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 2685821657736338717ull;
}

static double
unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int64_t
irand(int64_t lo, int64_t hi)		/* [lo, hi] */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double
gauss(void)
{
	double u = unif(), v = unif();

	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static const char *const base_names[] = {
	"KubePodCrashLooping", "KubePodNotReady", "KubeDeploymentReplicasMismatch",
	"KubeContainerWaiting", "KubeJobFailed", "KubeHpaMaxedOut",
	"NodeFilesystemSpaceFillingUp", "NodeFilesystemAlmostOutOfSpace",
	"NodeNetworkReceiveErrs", "NodeHighNumberConntrackEntriesUsed",
	"NodeClockNotSynchronising", "NodeMemoryMajorPagesFaults", "TargetDown",
	"CPUThrottlingHigh", "KubeMemoryOvercommit", "KubePersistentVolumeFillingUp",
	"etcdHighNumberOfFailedGRPCRequests", "etcdMemberCommunicationSlow",
	"PrometheusRuleFailures", "AlertmanagerFailedToSendAlerts",
	"HighErrorRate", "HighLatencyP99", "BlackboxProbeFailed",
	"SSLCertificateExpiringSoon", "PostgresReplicationLag",
	"RedisMemoryHigh", "KafkaConsumerLag", "IngressHigh5xxRate",
	"QueueBacklogGrowing", "DiskIOSaturation",
};
#define NBASE (sizeof(base_names) / sizeof(base_names[0]))
static const char *const clusters[] = {
	"prod-eu-west-1", "prod-us-east-1", "prod-ap-south-1", "staging-eu-1",
	"prod-eu-central-1", "prod-us-west-2",
};
static const char *const sevs[] = { "critical", "warning", "info" };

static struct ident *ids;
static size_t nids;
static char (*anames)[64];
static size_t nanames;
static struct ep *eps;
static size_t neps, capeps;
static uint32_t *members;
static size_t nmembers, capmembers;
static struct group *groups;
static size_t ngroups, capgroups;
static struct notif *notifs;
static size_t nnotifs, capnotifs;
static int64_t now_ms, span_from;

static struct ep *
new_ep(uint32_t ident, int64_t firing, int64_t dur)
{
	struct ep *e;

	if (neps == capeps)
		eps = bn_xrealloc(eps, (capeps = capeps ? capeps * 2 : 65536) *
		    sizeof(*eps));
	e = &eps[neps++];
	memset(e, 0, sizeof(*e));
	e->ident = ident;
	e->firing_at = firing;
	e->resolved_at = firing + dur;
	return e;
}

static void
add_group(uint32_t first, uint32_t n, int storm)
{
	if (ngroups == capgroups)
		groups = bn_xrealloc(groups, (capgroups = capgroups ?
		    capgroups * 2 : 65536) * sizeof(*groups));
	groups[ngroups].first = first;
	groups[ngroups].n = n;
	groups[ngroups].storm = (uint32_t)storm;
	ngroups++;
}

static void
add_member(uint32_t ep)
{
	if (nmembers == capmembers)
		members = bn_xrealloc(members, (capmembers = capmembers ?
		    capmembers * 2 : 65536) * sizeof(*members));
	members[nmembers++] = ep;
}

static void
add_notif(int64_t at, uint32_t group, int resolved, int pager)
{
	if (nnotifs == capnotifs)
		notifs = bn_xrealloc(notifs, (capnotifs = capnotifs ?
		    capnotifs * 2 : 65536) * sizeof(*notifs));
	notifs[nnotifs].at = at;
	notifs[nnotifs].group = group;
	notifs[nnotifs].resolved = (uint8_t)resolved;
	notifs[nnotifs].pager = (uint8_t)pager;
	notifs[nnotifs].ha = 0;
	notifs[nnotifs].content = rnd();
	nnotifs++;
}

static int64_t
rand_time(void)
{
	return span_from + (int64_t)(unif() * (double)(now_ms - span_from));
}

/* --- identities ----------------------------------------------------------- */

static void
make_identity(size_t i, uint32_t alertname, int cls, size_t k)
{
	struct ident *d = &ids[i];
	char inst[48], ns[32], svc[40], team[16], summary[256], desc[512],
	    rb[160];
	const char *an = anames[alertname];

	d->alertname = alertname;
	d->cls = (uint8_t)cls;
	d->cluster = (uint8_t)(k % (sizeof(clusters) / sizeof(clusters[0])));
	/* storms and co-firing kinds share severity and team per alertname */
	if (cls == C_STORM || cls == C_COFIRE) {
		d->sev = (uint8_t)(alertname % 3 == 0 ? 0 : 1);
		d->team = (uint8_t)(alertname % 12);
	} else {
		double u = unif();

		d->sev = (uint8_t)(u < 0.3 ? 0 : u < 0.9 ? 1 : 2);
		d->team = (uint8_t)(rnd() % 12);
	}
	d->rw = cls == C_FLAPPER || unif() < 0.6;
	d->for_ms = d->rw ? (unif() < 0.5 ? MIN_MS : 5 * MIN_MS) : 0;
	snprintf(inst, sizeof(inst), "10.%zu.%zu.%zu:9100", (i >> 16) & 255,
	    (i >> 8) & 255, i & 255);
	snprintf(ns, sizeof(ns), "ns-%02zu", (i * 7 + alertname) % 40);
	snprintf(svc, sizeof(svc), "svc-%03zu", (i * 13) % 300);
	snprintf(team, sizeof(team), "team-%02u", d->team);
	d->labels = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "alertname", an, "cluster", clusters[d->cluster], "instance", inst,
	    "job", cls == C_STORM ? "kubernetes-pods" : "node-exporter",
	    "namespace", ns, "service", svc, "severity", sevs[d->sev],
	    "team", team);
	snprintf(summary, sizeof(summary), "%s on %s in %s", an, inst,
	    clusters[d->cluster]);
	snprintf(desc, sizeof(desc), "%s has been firing for %s/%s on %s: the "
	    "value crossed its threshold for longer than the rule's for "
	    "duration. Check the dashboard and the runbook.", an, ns, svc,
	    inst);
	snprintf(rb, sizeof(rb), "https://runbooks.example.com/alerts/%s", an);
	d->annotations = json_pack("{s:s, s:s, s:s}", "description", desc,
	    "runbook_url", rb, "summary", summary);
	d->group_labels = json_pack("{s:s, s:s}", "alertname", an, "cluster",
	    clusters[d->cluster]);
	if (d->labels == NULL || d->annotations == NULL ||
	    d->group_labels == NULL || fp_json(d->labels, NULL, 0, &d->fp) < 0)
		bn_die("gen: building identity %zu", i);
}

/* --- episodes ------------------------------------------------------------- */

struct range {
	size_t from, n;			/* identities [from, from + n) */
};

static int
ep_ident_cmp(const void *a, const void *b)
{
	const struct ep *x = a, *y = b;
	int64_t sx = x->pending_at ? x->pending_at : x->firing_at;
	int64_t sy = y->pending_at ? y->pending_at : y->firing_at;

	if (x->ident != y->ident)
		return x->ident < y->ident ? -1 : 1;
	return sx < sy ? -1 : sx > sy;
}

static int64_t
ep_start(const struct ep *e)
{
	return e->pending_at ? e->pending_at : e->firing_at;
}

static int
ep_start_cmp(const void *a, const void *b)
{
	int64_t x = ep_start(a), y = ep_start(b);

	return x < y ? -1 : x > y;
}

static int
notif_cmp(const void *a, const void *b)
{
	const struct notif *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

/* Adds n normal episodes: log-normal durations, median 20 min. */
static void
add_normal(struct range r, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = r.from + rnd() % r.n;
		double d = exp(log(20.0 * 60000) + 1.2 * gauss());

		if (d < MIN_MS)
			d = MIN_MS + (double)irand(0, 59999);
		if (d > 3 * DAY_MS)
			d = 3 * DAY_MS;
		new_ep((uint32_t)i, rand_time(), (int64_t)d);
		add_group((uint32_t)nmembers, 1, 0);
		add_member((uint32_t)(neps - 1));
	}
}

/* Sets pending_at and open episodes, then drops (marks dead) every episode
 * that starts within 30 s of the end of the identity's previous live one:
 * an identity's episodes never overlap. Returns the live episodes. */
static size_t
drop_overlaps(void)
{
	struct ep *sorted = bn_xmalloc(neps * sizeof(*sorted));
	size_t alive = 0;

	for (size_t e = 0; e < neps; e++) {
		struct ident *d = &ids[eps[e].ident];

		if (eps[e].resolved_at >= now_ms)
			eps[e].resolved_at = 0;
		if (d->for_ms)
			eps[e].pending_at = eps[e].firing_at - d->for_ms;
	}
	/* sort a copy carrying the original index in id */
	for (size_t e = 0; e < neps; e++) {
		sorted[e] = eps[e];
		sorted[e].id = (int64_t)e;
	}
	qsort(sorted, neps, sizeof(*sorted), ep_ident_cmp);
	for (size_t k = 1; k < neps; k++) {
		struct ep *c = &sorted[k], *p = NULL;
		int64_t prev_end;

		if (eps[c->id].dead)
			continue;
		for (size_t j = k; j-- > 0;) {	/* the identity's last live */
			if (sorted[j].ident != c->ident)
				break;
			if (!eps[sorted[j].id].dead) {
				p = &sorted[j];
				break;
			}
		}
		if (p == NULL)
			continue;
		prev_end = p->resolved_at ? p->resolved_at : INT64_MAX;
		if (ep_start(c) <= prev_end + 30000)
			eps[c->id].dead = 1;
	}
	for (size_t e = 0; e < neps; e++)
		alive += !eps[e].dead;
	free(sorted);
	return alive;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen --storage.path=DIR [--scale=1.0] "
	    "[--days=90] [--seed=1]\n");
	exit(2);
}

static void
check(int rc, struct store *st, const char *what)
{
	if (rc < 0)
		bn_die("gen: %s: %s", what, store_errmsg(st));
}

int
main(int argc, char **argv)
{
	const char *v, *path = NULL;
	double scale = 1.0, days = 90;
	size_t target_ids, target_eps, target_notifs, nstorm_names, ncof_names;
	size_t nalerts = 0, nfeedback = 0, nseries = 0;
	struct range storm_r, cof_r, flap_r, pers_r, norm_r;
	size_t *storm_first, *storm_count, cof_per;
	struct store *st;
	char err[512];
	uint64_t t_start = bn_now_ns(), t_gen;
	int rc;
	json_t *empty = json_object();

	for (int i = 1; i < argc; i++) {
		if ((rc = flag_value(argc, argv, &i, "--storage.path", &v)) > 0)
			path = v;
		else if ((rc = flag_value(argc, argv, &i, "--scale", &v)) > 0)
			scale = atof(v);
		else if ((rc = flag_value(argc, argv, &i, "--days", &v)) > 0)
			days = atof(v);
		else if ((rc = flag_value(argc, argv, &i, "--seed", &v)) > 0)
			rng_state ^= strtoull(v, NULL, 10) * 0x9e3779b97f4a7c15u;
		else
			usage();
		if (rc < 0)
			usage();
	}
	if (path == NULL || scale <= 0 || scale > 10 || days < 30)
		usage();
	target_ids = (size_t)llround(10000 * scale);
	target_eps = (size_t)llround(1000000 * scale);
	target_notifs = (size_t)llround(2000000 * scale);
	if (target_ids < 40)
		bn_die("gen: --scale too small");
	now_ms = (int64_t)time(NULL) * 1000;
	span_from = now_ms - (int64_t)(days * DAY_MS);

	/* alertnames: 5% storm names, 15% in co-firing triples, the rest */
	nanames = target_ids / 50 < 30 ? 30 : target_ids / 50;
	anames = bn_xmalloc(nanames * sizeof(*anames));
	for (size_t a = 0; a < nanames; a++) {
		if (a < NBASE)
			snprintf(anames[a], sizeof(anames[a]), "%s",
			    base_names[a]);
		else
			snprintf(anames[a], sizeof(anames[a]), "%s%zu",
			    base_names[a % NBASE], a / NBASE);
	}
	nstorm_names = nanames * 5 / 100 < 1 ? 1 : nanames * 5 / 100;
	ncof_names = nanames * 15 / 100 / 3 * 3;
	if (ncof_names < 3)
		ncof_names = 3;

	nids = target_ids;
	ids = calloc(nids, sizeof(*ids));
	storm_r.from = 0;
	storm_r.n = nids * 30 / 100;
	cof_r.from = storm_r.from + storm_r.n;
	cof_per = nids * 15 / 100 / ncof_names;
	cof_r.n = cof_per * ncof_names;
	flap_r.from = cof_r.from + cof_r.n;
	flap_r.n = nids * 5 / 100;
	pers_r.from = flap_r.from + flap_r.n;
	pers_r.n = nids * 2 / 100;
	norm_r.from = pers_r.from + pers_r.n;
	norm_r.n = nids - norm_r.from;
	storm_first = bn_xmalloc(nstorm_names * sizeof(size_t));
	storm_count = bn_xmalloc(nstorm_names * sizeof(size_t));
	for (size_t s = 0; s < nstorm_names; s++) {
		storm_first[s] = storm_r.from + storm_r.n * s / nstorm_names;
		storm_count[s] = storm_r.from + storm_r.n * (s + 1) /
		    nstorm_names - storm_first[s];
	}
	for (size_t i = 0; i < nids; i++) {
		uint32_t an;
		int cls;

		if (i < cof_r.from) {
			size_t s = 0;

			while (s + 1 < nstorm_names && i >= storm_first[s + 1])
				s++;
			an = (uint32_t)s;
			cls = C_STORM;
		} else if (i < flap_r.from) {
			an = (uint32_t)(nstorm_names + (i - cof_r.from) /
			    cof_per);
			cls = C_COFIRE;
		} else {
			size_t rest = nanames - nstorm_names - ncof_names;

			an = (uint32_t)(nstorm_names + ncof_names + rnd() %
			    rest);
			cls = i < pers_r.from ? C_FLAPPER : i < norm_r.from ?
			    C_PERSISTENT : C_NORMAL;
		}
		make_identity(i, an, cls, i);
	}

	/* flappers: 40% of the episodes */
	{
		size_t per = target_eps * 40 / 100 / flap_r.n;

		for (size_t i = flap_r.from; i < flap_r.from + flap_r.n; i++) {
			size_t made = 0;

			while (made < per) {
				int64_t t = rand_time();
				int64_t b = irand(5, 20);

				for (int64_t k = 0; k < b && made < per; k++) {
					int64_t dur = irand(1, 8) * MIN_MS +
					    irand(0, 59999);

					new_ep((uint32_t)i, t, dur);
					add_group((uint32_t)nmembers, 1, 0);
					add_member((uint32_t)(neps - 1));
					t += dur + irand(1, 6) * MIN_MS;
					made++;
				}
			}
		}
	}
	/* storms: 15% */
	{
		size_t want = target_eps * 15 / 100, made = 0;

		while (made < want) {
			size_t s = rnd() % nstorm_names, n = (size_t)irand(10,
			    60), first;
			int64_t t = rand_time(), base = irand(10, 60) * MIN_MS;

			if (n > storm_count[s])
				n = storm_count[s];
			first = nmembers;
			/* n distinct identities: a random stride walk */
			for (size_t k = 0, off = rnd() % storm_count[s],
			    stride = 1 + 2 * (rnd() % 7); k < n; k++) {
				size_t ii = storm_first[s] + (off + k * stride) %
				    storm_count[s];
				int64_t d = base + irand(-3, 3) * MIN_MS;

				new_ep((uint32_t)ii, t + irand(0, 240000),
				    d < MIN_MS ? MIN_MS : d);
				add_member((uint32_t)(neps - 1));
			}
			add_group((uint32_t)first, (uint32_t)n, 1);
			made += n;
		}
	}
	/* co-firing triples: 15% */
	{
		size_t want = target_eps * 15 / 100, made = 0;
		size_t ntriples = ncof_names / 3;

		while (made < want) {
			size_t tr = rnd() % ntriples, k = rnd() % cof_per;
			int64_t t = rand_time();

			for (size_t m = 0; m < 3; m++) {
				size_t ii = cof_r.from + (tr * 3 + m) * cof_per +
				    k;

				new_ep((uint32_t)ii, t + irand(0, 90000),
				    irand(5, 60) * MIN_MS);
				add_group((uint32_t)nmembers, 1, 0);
				add_member((uint32_t)(neps - 1));
			}
			made += 3;
		}
	}
	/* persistent: 1-3 episodes of days, the last one open */
	for (size_t i = pers_r.from; i < pers_r.from + pers_r.n; i++) {
		int64_t n = irand(1, 3);
		int64_t t = span_from + irand(0, 30) * DAY_MS;

		for (int64_t k = 0; k < n; k++) {
			int64_t dur = k == n - 1 ? now_ms * 2 :
			    irand(2, 10) * DAY_MS;
			struct ep *e = new_ep((uint32_t)i, t, dur);

			add_group((uint32_t)nmembers, 1, 0);
			add_member((uint32_t)(neps - 1));
			t = e->resolved_at + irand(1, 5) * DAY_MS;
		}
	}
	/* normal: the rest; then what the overlaps cost is made up with more
	 * normal ones, and the surplus trimmed */
	for (;;) {
		size_t alive;

		add_normal(norm_r, neps < target_eps ? target_eps - neps : 0);
		alive = drop_overlaps();
		if (alive >= target_eps)
			break;
		add_normal(norm_r, (target_eps - alive) * 11 / 10 + 10);
		if (drop_overlaps() >= target_eps)
			break;
	}
	{
		size_t alive = 0;

		for (size_t e = 0; e < neps; e++)
			alive += !eps[e].dead;
		/* trim to the target by killing random normal episodes */
		while (alive > target_eps) {
			size_t e = rnd() % neps;

			if (!eps[e].dead && ids[eps[e].ident].cls == C_NORMAL) {
				eps[e].dead = 1;
				alive--;
			}
		}
	}

	/* notifications, per group */
	for (size_t g = 0; g < ngroups; g++) {
		const struct group *gr = &groups[g];
		int64_t fire = INT64_MAX, end = 0, t;
		int pager = 0, live = 0, open = 0;

		for (uint32_t m = 0; m < gr->n; m++) {
			const struct ep *e = &eps[members[gr->first + m]];

			if (e->dead)
				continue;
			live++;
			if (e->firing_at < fire)
				fire = e->firing_at;
			if (e->resolved_at == 0)
				open = 1;
			else if (e->resolved_at > end)
				end = e->resolved_at;
			pager |= ids[e->ident].sev == 0;
		}
		if (!live)
			continue;
		t = fire + 30000;
		if (!open && end <= t)
			continue;	/* resolved within group_wait */
		for (; t < now_ms && (open || t < end); t += 4 * HOUR_MS) {
			add_notif(t, (uint32_t)g, 0, 0);
			if (pager)
				add_notif(t + 200, (uint32_t)g, 0, 1);
		}
		if (!open && end + 10000 < now_ms) {
			add_notif(end + 10000, (uint32_t)g, 1, 0);
			if (pager)
				add_notif(end + 10200, (uint32_t)g, 1, 1);
		}
	}
	/* down to the target, then the HA copies */
	if (nnotifs > target_notifs) {
		size_t n = nnotifs, keep = target_notifs * 98 / 100, k = 0;

		for (size_t i = 0; i < n; i++)	/* selection sampling */
			if ((double)(keep - k) / (double)(n - i) > unif())
				notifs[k++] = notifs[i];
		nnotifs = k;
	}
	{
		size_t n = nnotifs;

		for (size_t i = 0; i < n && nnotifs < target_notifs; i++)
			if (unif() < 0.02) {
				add_notif(notifs[i].at + irand(200, 3000),
				    notifs[i].group, notifs[i].resolved,
				    notifs[i].pager);
				notifs[nnotifs - 1].ha = 1;
				notifs[nnotifs - 1].content = notifs[i].content;
			}
	}
	qsort(notifs, nnotifs, sizeof(*notifs), notif_cmp);
	for (size_t i = 0; i < nnotifs; i++) {
		const struct group *gr = &groups[notifs[i].group];

		for (uint32_t m = 0; m < gr->n; m++) {
			struct ep *e = &eps[members[gr->first + m]];

			if (e->dead)
				continue;
			if (e->first_notified == 0)
				e->first_notified = notifs[i].at;
			e->last_notified = notifs[i].at;
			e->nnotif++;
			nalerts++;
		}
	}
	t_gen = bn_now_ns();

	/* --- write --------------------------------------------------------- */
	mkdir(path, 0750);
	if (store_open("sqlite", path, &st, err, sizeof(err)) < 0)
		bn_die("gen: %s", err);

	/* episodes in order of start, so ids grow with time */
	{
		uint32_t *order = bn_xmalloc(neps * sizeof(*order));
		struct ep *tmp = bn_xmalloc(neps * sizeof(*tmp));
		size_t k = 0;

		for (size_t e = 0; e < neps; e++) {
			tmp[e] = eps[e];
			tmp[e].id = (int64_t)e;
		}
		qsort(tmp, neps, sizeof(*tmp), ep_start_cmp);
		for (size_t e = 0; e < neps; e++)
			order[k++] = (uint32_t)tmp[e].id;
		free(tmp);
		for (size_t i = 0; i < nids; i++) {
			ids[i].first_seen = INT64_MAX;
			ids[i].last_seen = 0;
		}
		for (size_t e = 0; e < neps; e++) {
			struct ident *d = &ids[eps[e].ident];

			if (eps[e].dead)
				continue;
			if (ep_start(&eps[e]) < d->first_seen)
				d->first_seen = ep_start(&eps[e]);
			if (ep_start(&eps[e]) > d->last_seen)
				d->last_seen = ep_start(&eps[e]);
		}
		check(store_begin(st), st, "begin");
		for (size_t i = 0; i < nids; i++) {
			struct ident *d = &ids[i];

			if (d->last_seen == 0)
				continue;
			check(store_upsert_identity(st, d->fp,
			    anames[d->alertname], d->labels, d->first_seen), st,
			    "identity");
			check(store_upsert_identity(st, d->fp,
			    anames[d->alertname], d->labels, d->last_seen), st,
			    "identity");
			if (d->rw) {	/* the firing and pending series */
				static const char *const st_names[] = {
				    "firing", "pending" };

				for (int k3 = 0; k3 < 2; k3++) {
					struct series_state ss;
					const char *n[16], *vv[16];
					const char *key;
					json_t *val;
					size_t nl = 0;

					json_object_foreach(d->labels, key, val) {
						n[nl] = key;
						vv[nl++] = json_string_value(val);
					}
					n[nl] = "__name__";
					vv[nl++] = "ALERTS";
					n[nl] = "alertstate";
					vv[nl++] = st_names[k3];
					memset(&ss, 0, sizeof(ss));
					fp_labels(n, vv, nl, NULL, 0, &ss.series);
					ss.identity = d->fp;
					ss.kind = k3 ? SERIES_PENDING :
					    SERIES_FIRING;
					ss.last_ts = d->last_seen;
					ss.last_value = 1;
					ss.active = 0;
					ss.received_at = d->last_seen;
					ss.interval_ms = d->cls == C_FLAPPER ||
					    i % 2 ? 30000 : 60000;
					check(store_put_series(st, &ss), st,
					    "series");
					nseries++;
				}
			}
		}
		for (size_t k2 = 0; k2 < neps; k2++) {
			struct ep *e = &eps[order[k2]];
			struct ident *d = &ids[e->ident];
			struct episode x;

			if (e->dead)
				continue;
			memset(&x, 0, sizeof(x));
			x.identity = d->fp;
			x.pending_at = e->pending_at;
			x.firing_at = e->firing_at;
			x.resolved_at = e->resolved_at;
			x.first_notified_at = e->first_notified;
			x.last_notified_at = e->last_notified;
			x.notifications = e->nnotif;
			x.sources = (e->nnotif ? EP_SRC_WEBHOOK : 0) |
			    (d->rw ? EP_SRC_REMOTE_WRITE : 0);
			if (x.sources == 0)
				x.sources = EP_SRC_WEBHOOK;
			check(store_insert_episode(st, &x,
			    anames[d->alertname]), st, "episode");
			e->id = x.id;
			if (k2 % 50000 == 49999) {
				check(store_commit(st), st, "commit");
				check(store_begin(st), st, "begin");
			}
		}
		free(order);
		check(store_commit(st), st, "commit");
	}

	/* notifications in the order they were received */
	{
		struct wh_alert *al = NULL;
		size_t alcap = 0;

		check(store_begin(st), st, "begin");
		for (size_t i = 0; i < nnotifs; i++) {
			const struct notif *no = &notifs[i];
			const struct group *gr = &groups[no->group];
			const struct ident *d0 = NULL;
			struct wh_notification n;
			char gk[512], recv[32];
			int64_t nid;
			size_t na = 0, nfiring = 0;
			json_t *gl = NULL, *cl = NULL;

			if (gr->n > alcap)
				al = bn_xrealloc(al, (alcap = gr->n * 2) *
				    sizeof(*al));
			for (uint32_t m = 0; m < gr->n; m++) {
				const struct ep *e = &eps[members[gr->first + m]];
				const struct ident *d = &ids[e->ident];
				struct wh_alert *a = &al[na];
				int resolved = e->resolved_at != 0 &&
				    e->resolved_at <= no->at;

				if (e->dead)
					continue;
				d0 = d0 ? d0 : d;
				memset(a, 0, sizeof(*a));
				a->status = resolved ? WH_RESOLVED : WH_FIRING;
				a->labels = d->labels;
				a->annotations = d->annotations;
				a->identity_labels = d->labels;
				a->alertname = anames[d->alertname];
				a->generator_url = "http://prometheus-k8s-0:9090/"
				    "graph?g0.expr=up%7Bjob%3D%22node-exporter"
				    "%22%7D+%3D%3D+0&g0.tab=1";
				a->starts_ms = e->firing_at;	/* FiredAt */
				a->ends_ms = resolved ? e->resolved_at : 0;
				a->fingerprint = d->fp;
				a->identity = d->fp;
				nfiring += !resolved;
				na++;
			}
			if (na == 0)
				continue;
			if (no->pager)
				snprintf(recv, sizeof(recv), "pager");
			else
				snprintf(recv, sizeof(recv), "slack-team-%02u",
				    d0->team);
			if (gr->storm) {
				gl = json_pack("{s:s}", "alertname",
				    anames[d0->alertname]);
				cl = json_pack("{s:s, s:s, s:s, s:s}",
				    "alertname", anames[d0->alertname], "job",
				    "kubernetes-pods", "severity",
				    sevs[d0->sev], "team",
				    json_string_value(json_object_get(
				    d0->labels, "team")));
				snprintf(gk, sizeof(gk), "{}/{team=\"team-%02u\"}:"
				    "{alertname=\"%s\"}", d0->team,
				    anames[d0->alertname]);
			} else {
				snprintf(gk, sizeof(gk), "{}/{team=\"team-%02u\"}:"
				    "{alertname=\"%s\", cluster=\"%s\"}",
				    d0->team, anames[d0->alertname],
				    clusters[d0->cluster]);
			}
			memset(&n, 0, sizeof(n));
			n.receiver = recv;
			n.status = nfiring ? WH_FIRING : WH_RESOLVED;
			n.group_key = gk;
			n.external_url = no->ha ?
			    "http://alertmanager-main-1.alertmanager-operated:9093" :
			    "http://alertmanager-main-0.alertmanager-operated:9093";
			n.group_labels = gr->storm ? gl : d0->group_labels;
			n.common_labels = gr->storm ? cl : d0->labels;
			n.common_annotations = gr->storm ? empty :
			    d0->annotations;
			n.alerts = al;
			n.nalerts = na;
			n.digest = rnd();
			n.content_digest = no->content;
			check(store_insert_notification(st, &n, no->at, &nid),
			    st, "notification");
			na = 0;
			for (uint32_t m = 0; m < gr->n; m++) {
				const struct ep *e = &eps[members[gr->first + m]];

				if (e->dead)
					continue;
				check(store_insert_notification_alert(st, nid,
				    na, &al[na], e->id), st, "alert");
				na++;
			}
			json_decref(gl);
			json_decref(cl);
			if (i % 20000 == 19999) {
				check(store_commit(st), st, "commit");
				check(store_begin(st), st, "begin");
			}
		}
		check(store_commit(st), st, "commit");
		free(al);
	}

	/* verdicts on ~0.1% of the last 28 days' fired episodes (one synced
	 * transaction each, as the API stores them) */
	{
		size_t want = 0, step, seen = 0;
		int64_t from = now_ms - 28 * DAY_MS;

		for (size_t e = 0; e < neps; e++)
			want += !eps[e].dead && eps[e].firing_at >= from;
		step = want / (want / 1000 + 1) + 1;
		for (size_t e = 0; e < neps; e++) {
			struct ep *p = &eps[e];
			struct episode x;

			if (p->dead || p->firing_at < from || seen++ % step)
				continue;
			memset(&x, 0, sizeof(x));
			x.id = p->id;
			x.identity = ids[p->ident].fp;
			x.firing_at = p->firing_at;
			check(store_add_feedback(st, &x,
			    ids[p->ident].cls == C_FLAPPER ||
			    ids[p->ident].cls == C_STORM ? "noise" :
			    "actionable", "bench", "gen@example.com",
			    p->firing_at + HOUR_MS), st, "feedback");
			nfeedback++;
		}
	}
	store_close(st);

	{
		size_t alive = 0, open = 0;
		char db[4096];
		struct stat sb;
		double mb = 0;

		for (size_t e = 0; e < neps; e++) {
			alive += !eps[e].dead;
			open += !eps[e].dead && eps[e].resolved_at == 0;
		}
		snprintf(db, sizeof(db), "%s/alertnoise.db", path);
		if (stat(db, &sb) == 0)
			mb = (double)sb.st_size / 1e6;
		printf("gen scale=%g days=%g identities=%zu alertnames=%zu "
		    "episodes=%zu open=%zu notifications=%zu alerts=%zu "
		    "series=%zu feedback=%zu db_mb=%.0f plan_s=%.1f "
		    "write_s=%.1f\n", scale, days, nids, nanames, alive, open,
		    nnotifs, nalerts, nseries, nfeedback, mb,
		    (double)(t_gen - t_start) / 1e9,
		    (double)(bn_now_ns() - t_gen) / 1e9);
	}
	return 0;
}

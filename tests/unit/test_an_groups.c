/* test_an_groups.c -- lib/analysis/an_groups.c: replica, co-firing and storm groups
 * over analyses built by hand, and the cost of a 28-day window. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "analysis.h"
#include "t.h"

#define MIN	60000LL
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define T0	1700000000000LL

/* The documented defaults of the options an_groups reads. */
static void
opts(struct an_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cofire_window_ms = 2 * MIN;
	o->cofire_min_jaccard = 0.7;
	o->cofire_min_support = 3;
	o->storm_min = 10;
	o->storm_window_ms = 5 * MIN;
}

/* Adds an identity with labels given as JSON; its alertname points into
 * them. Returns its index. */
static size_t
ident(struct analysis *a, size_t kind, const char *labels)
{
	struct an_identity *d;
	json_error_t e;

	if ((a->nids & (a->nids - 1)) == 0) {
		a->ids = realloc(a->ids, (a->nids ? a->nids * 2 : 1) *
		    sizeof(*a->ids));
		if (a->ids == NULL)
			abort();
	}
	d = &a->ids[a->nids];
	memset(d, 0, sizeof(*d));
	if ((d->labels = json_loads(labels, 0, &e)) == NULL)
		abort();
	d->alertname = json_string_value(json_object_get(d->labels,
	    "alertname"));
	d->fp = a->nids;
	d->kind = kind;
	d->copies = 1;
	d->team = "";
	return a->nids++;
}

static void
ep(struct analysis *a, size_t id, int64_t at)
{
	struct an_episode *e;

	if ((a->neps & (a->neps - 1)) == 0) {
		a->eps = realloc(a->eps, (a->neps ? a->neps * 2 : 1) *
		    sizeof(*a->eps));
		if (a->eps == NULL)
			abort();
	}
	e = &a->eps[a->neps];
	memset(e, 0, sizeof(*e));
	e->id = (int64_t)a->neps + 1;
	e->ident = id;
	e->firing_at = at;
	e->group = -1;
	a->neps++;
}

static int
ep_cmp(const void *x, const void *y)
{
	const struct an_episode *p = x, *q = y;

	if (p->firing_at != q->firing_at)
		return p->firing_at < q->firing_at ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

static void
sort_eps(struct analysis *a)
{
	qsort(a->eps, a->neps, sizeof(*a->eps), ep_cmp);
}

/* What an_free does for the parts these tests build. */
static void
release(struct analysis *a)
{
	size_t i;

	for (i = 0; i < a->ngroups; i++)
		an_group_clear(&a->groups[i]);
	free(a->groups);
	for (i = 0; i < a->nids; i++)
		json_decref(a->ids[i].labels);
	free(a->ids);
	free(a->eps);
	memset(a, 0, sizeof(*a));
}

/* Duplicates among the episodes of identities with this alertname. */
static int
dups(const struct analysis *a, const char *alertname, long group)
{
	size_t i;
	int n = 0;

	for (i = 0; i < a->neps; i++) {
		const struct an_episode *e = &a->eps[i];

		if (strcmp(a->ids[e->ident].alertname, alertname) != 0)
			continue;
		if (e->reasons & R_DUPLICATE) {
			n++;
			if (e->group != group)
				return -1;
		} else if (e->group != -1) {
			return -1;
		}
	}
	return n;
}

/* g's members, or another value, as compact JSON with sorted keys; the
 * caller frees it. */
static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(4));
}

/* What an_group_json shows of g under key ("members", "evidence"), or
 * under evidence's key ev when ev is not NULL, as dump does; the caller
 * frees it. */
static char *
gdump(const struct an_group *g, const char *key, const char *ev)
{
	json_t *j = an_group_json(g), *v = json_object_get(j, key);
	char *s;

	if (ev != NULL)
		v = json_object_get(v, ev);
	s = v != NULL ? dump(v) : strdup("(none)");
	json_decref(j);
	return s;
}

/* (a) DiskFull always 30 s before DBDown, 5 times an hour apart, and one
 * lone DiskFull: co(DiskFull→DBDown) = co(DBDown→DiskFull) = 5, nA = 6,
 * nB = 5, Jaccard = 5 / (6 + 5 - 5) = 0.8333 >= 0.7. Members are ordered by
 * alertname ("DBDown" < "DiskFull"), so DiskFull, first in 5 of 5, is
 * member 1 and the leader. */
TEST(cofiring_pair)
{
	struct analysis a = { 0 };
	struct an_opts o;
	const char *gl[] = { "cluster" };
	size_t disk, db, k;
	json_t *j;
	char *s;

	opts(&o);
	o.group_labels = gl;
	o.ngroup_labels = 1;
	disk = ident(&a, 0, "{\"alertname\":\"DiskFull\",\"cluster\":\"c1\","
	    "\"instance\":\"db1:9100\"}");
	db = ident(&a, 1, "{\"alertname\":\"DBDown\",\"cluster\":\"c1\","
	    "\"instance\":\"db1:5432\"}");
	for (k = 0; k < 5; k++) {
		ep(&a, disk, T0 + (int64_t)k * HOUR);
		ep(&a, db, T0 + (int64_t)k * HOUR + 30000);
	}
	ep(&a, disk, T0 + 10 * HOUR);
	sort_eps(&a);

	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	CHECK_INT(a.groups[0].kind, GROUP_COFIRING);
	CHECK_INT(a.groups[0].leader, 1);
	CHECK_INT(a.groups[0].support, 5);
	CHECK(a.groups[0].jaccard > 0.8333 && a.groups[0].jaccard < 0.8334);
	s = gdump(&a.groups[0], "members", NULL);
	CHECK_STR(s, "[{\"alertname\":\"DBDown\",\"labels\":{\"alertname\":"
	    "\"DBDown\",\"cluster\":\"c1\"}},{\"alertname\":\"DiskFull\","
	    "\"labels\":{\"alertname\":\"DiskFull\",\"cluster\":\"c1\"}}]");
	free(s);
	/* a is DBDown, b DiskFull, which started 30 s earlier every time */
	s = gdump(&a.groups[0], "evidence", NULL);
	CHECK_STR(s, "{\"pairs\":[{\"a\":0,\"aFirst\":0,\"b\":1,\"bFirst\":5,"
	    "\"coOccurrences\":5,\"jaccard\":0.8333}],"
	    "\"windowSeconds\":120}");
	free(s);
	CHECK_INT(dups(&a, "DBDown", 0), 5);
	CHECK_INT(dups(&a, "DiskFull", 0), 0);
	/* the leader is its member; a window of whole seconds is an
	 * integer, else a real */
	j = an_group_json(&a.groups[0]);
	CHECK(json_equal(json_object_get(j, "leader"), json_array_get(
	    json_object_get(j, "members"), 1)));
	json_decref(j);
	a.groups[0].cofiring.window_ms = 1500;
	s = gdump(&a.groups[0], "evidence", "windowSeconds");
	CHECK_STR(s, "1.5");
	free(s);
out:
	release(&a);
}

/* (b) Always together, but only twice: co = 2 < min support 3. */
TEST(cofiring_below_support)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t x, y, k;

	opts(&o);
	x = ident(&a, 0, "{\"alertname\":\"A\"}");
	y = ident(&a, 1, "{\"alertname\":\"B\"}");
	for (k = 0; k < 2; k++) {
		ep(&a, x, T0 + (int64_t)k * HOUR);
		ep(&a, y, T0 + (int64_t)k * HOUR + 1000);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 0);
	CHECK_INT(dups(&a, "A", -1), 0);
	CHECK_INT(dups(&a, "B", -1), 0);
	release(&a);
}

/* (c) B (3 episodes) always 30 s after A, but A fires 10 times:
 * co = 3, Jaccard = 3 / (10 + 3 - 3) = 0.3 < 0.7. */
TEST(cofiring_below_jaccard)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t x, y, k;

	opts(&o);
	x = ident(&a, 0, "{\"alertname\":\"A\"}");
	y = ident(&a, 1, "{\"alertname\":\"B\"}");
	for (k = 0; k < 10; k++)
		ep(&a, x, T0 + (int64_t)k * HOUR);
	for (k = 0; k < 3; k++)
		ep(&a, y, T0 + (int64_t)k * HOUR + 30000);
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 0);
	CHECK_INT(dups(&a, "B", -1), 0);
	release(&a);

	/* at 0.3 itself the pair is kept */
	opts(&o);
	o.cofire_min_jaccard = 0.3;
	x = ident(&a, 0, "{\"alertname\":\"A\"}");
	y = ident(&a, 1, "{\"alertname\":\"B\"}");
	for (k = 0; k < 10; k++)
		ep(&a, x, T0 + (int64_t)k * HOUR);
	for (k = 0; k < 3; k++)
		ep(&a, y, T0 + (int64_t)k * HOUR + 30000);
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	CHECK_INT(dups(&a, "B", 0), 3);
	release(&a);
}

/* The window's edges. A then B exactly 120 s later three times (inside:
 * the window is inclusive) and at the same moment twice (a tie: nobody
 * first): co 5, a_first 3, b_first 0, A leads (3/5 against 0/5) and all 5
 * B episodes are duplicates, the simultaneous ones too. C then D 120.001 s
 * later, five times: never within the window, no pair. */
TEST(cofiring_edges)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t x, y, z, v, k;
	char *s;

	opts(&o);
	x = ident(&a, 0, "{\"alertname\":\"A\"}");
	y = ident(&a, 1, "{\"alertname\":\"B\"}");
	z = ident(&a, 2, "{\"alertname\":\"C\"}");
	v = ident(&a, 3, "{\"alertname\":\"D\"}");
	for (k = 0; k < 5; k++) {
		ep(&a, x, T0 + (int64_t)k * HOUR);
		ep(&a, y, T0 + (int64_t)k * HOUR + (k < 3 ? 2 * MIN : 0));
		ep(&a, z, T0 + (int64_t)k * HOUR + 30 * MIN);
		ep(&a, v, T0 + (int64_t)k * HOUR + 32 * MIN + 1);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	CHECK_INT(a.groups[0].leader, 0);
	s = gdump(&a.groups[0], "evidence", "pairs");
	CHECK_STR(s, "[{\"a\":0,\"aFirst\":3,\"b\":1,\"bFirst\":0,"
	    "\"coOccurrences\":5,\"jaccard\":1.0}]");
	free(s);
	CHECK_INT(dups(&a, "A", 0), 0);
	CHECK_INT(dups(&a, "B", 0), 5);
	CHECK_INT(dups(&a, "C", 0), 0);
	CHECK_INT(dups(&a, "D", 0), 0);
out:
	release(&a);
}

/* (d) Five times: A, B 90 s later, C 90 s after B. A~B and B~C (co 5,
 * Jaccard 1); A and C are 180 s apart, beyond the 120 s window, so they
 * are not a pair but one component through B. First-ratios: A 5/5, B
 * (0 + 5)/10, C 0/5: A leads. B's episodes start 90 s after A's and are
 * duplicates; C's start 180 s after A's and are not. */
TEST(cofiring_chain)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t x, y, z, k;
	char *s;

	opts(&o);
	z = ident(&a, 2, "{\"alertname\":\"Cc\"}");
	x = ident(&a, 0, "{\"alertname\":\"Aa\"}");
	y = ident(&a, 1, "{\"alertname\":\"Bb\"}");
	for (k = 0; k < 5; k++) {
		ep(&a, x, T0 + (int64_t)k * HOUR);
		ep(&a, y, T0 + (int64_t)k * HOUR + 90000);
		ep(&a, z, T0 + (int64_t)k * HOUR + 180000);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	CHECK_INT(a.groups[0].nmembers, 3);
	CHECK_STR(a.groups[0].members[0].alertname, "Aa");
	CHECK_INT(a.groups[0].cofiring.npairs, 2);
	CHECK_INT(a.groups[0].cofiring.pairs[1].a, 1);
	CHECK_INT(a.groups[0].cofiring.pairs[1].b, 2);
	CHECK_INT(a.groups[0].cofiring.pairs[1].co, 5);
	CHECK_INT(a.groups[0].cofiring.pairs[1].a_first, 5);
	CHECK_INT(a.groups[0].cofiring.window_ms, 2 * MIN);
	CHECK_INT(a.groups[0].leader, 0);
	CHECK_INT(a.groups[0].support, 5);
	CHECK(a.groups[0].jaccard == 1);
	s = gdump(&a.groups[0], "evidence", "pairs");
	CHECK_STR(s, "[{\"a\":0,\"aFirst\":5,\"b\":1,\"bFirst\":0,"
	    "\"coOccurrences\":5,\"jaccard\":1.0},{\"a\":1,\"aFirst\":5,"
	    "\"b\":2,\"bFirst\":0,\"coOccurrences\":5,\"jaccard\":1.0}]");
	free(s);
	CHECK_INT(dups(&a, "Aa", 0), 0);
	CHECK_INT(dups(&a, "Bb", 0), 5);
	CHECK_INT(dups(&a, "Cc", 0), 0);
out:
	release(&a);
}

/* (e) 12 NodeDown identities start 5 s apart (55 s in all) and storm_min
 * is 10: one occurrence of 12 identities; all but the first of its 12
 * episodes are duplicates. */
TEST(storm)
{
	struct analysis a = { 0 };
	struct an_opts o;
	struct an_group *g;
	char labels[128], *s;
	size_t ids[12], k;

	opts(&o);
	for (k = 0; k < 12; k++) {
		snprintf(labels, sizeof(labels), "{\"alertname\":\"NodeDown\","
		    "\"job\":\"node\",\"instance\":\"host%02zu:9100\"}", k);
		ids[k] = ident(&a, 0, labels);
	}
	for (k = 0; k < 12; k++)
		ep(&a, ids[k], T0 + (int64_t)k * 5000);
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	g = &a.groups[0];
	CHECK_INT(g->kind, GROUP_STORM);
	CHECK_INT(g->nmembers, 12);
	CHECK_INT(g->leader, -1);
	CHECK_INT(g->support, 1);
	CHECK_INT(g->storm.occurrences, 1);
	CHECK_INT(g->storm.max_identities, 12);
	CHECK_INT(g->storm.identities, 12);
	s = gdump(g, "evidence", "commonLabels");
	CHECK_STR(s, "{\"alertname\":\"NodeDown\",\"job\":\"node\"}");
	free(s);
	s = gdump(g, "evidence", "varyingLabels");
	CHECK_STR(s, "[\"instance\"]");
	free(s);
	CHECK_INT(dups(&a, "NodeDown", 0), 11);
	CHECK(!(a.eps[0].reasons & R_DUPLICATE));
out:
	release(&a);
}

/* Occurrences do not overlap: the storm above, 10 of its identities again
 * 3 min later (inside the first occurrence's 5 min), 10 again an hour later
 * (a second occurrence) and 9 two hours later (below storm_min):
 * 2 occurrences, 11 + 10 + 9 = 30 duplicates. */
TEST(storm_occurrences)
{
	struct analysis a = { 0 };
	struct an_opts o;
	char labels[128];
	size_t ids[12], k;

	opts(&o);
	for (k = 0; k < 12; k++) {
		snprintf(labels, sizeof(labels), "{\"alertname\":\"NodeDown\","
		    "\"instance\":\"host%02zu:9100\"}", k);
		ids[k] = ident(&a, 0, labels);
	}
	for (k = 0; k < 12; k++)
		ep(&a, ids[k], T0 + (int64_t)k * 5000);
	for (k = 0; k < 10; k++) {
		ep(&a, ids[k], T0 + 3 * MIN + (int64_t)k * 1000);
		ep(&a, ids[k], T0 + HOUR + (int64_t)k * 1000);
	}
	for (k = 0; k < 9; k++)
		ep(&a, ids[k], T0 + 2 * HOUR + (int64_t)k * 1000);
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	CHECK_INT(a.groups[0].support, 2);
	CHECK_INT(a.groups[0].storm.max_identities, 12);
	CHECK_INT(a.groups[0].storm.identities, 12);
	CHECK_INT(dups(&a, "NodeDown", 0), 30);
out:
	release(&a);
}

/* 150 identities in one storm: the member list stops at 100, the evidence
 * counts all 150. */
TEST(storm_member_cap)
{
	struct analysis a = { 0 };
	struct an_opts o;
	char labels[128];
	size_t k;

	opts(&o);
	for (k = 0; k < 150; k++) {
		snprintf(labels, sizeof(labels), "{\"alertname\":\"NodeDown\","
		    "\"instance\":\"host%03zu:9100\"}", k);
		ep(&a, ident(&a, 0, labels), T0 + (int64_t)k * 100);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	CHECK_INT(a.groups[0].nmembers, 100);
	CHECK_INT(a.groups[0].storm.identities, 150);
	CHECK_INT(a.groups[0].storm.max_identities, 150);
	CHECK_INT(dups(&a, "NodeDown", 0), 149);
out:
	release(&a);
}

/* The keys of object j in their order, comma-separated; the caller
 * frees. */
static char *
keys_of(const json_t *j)
{
	char buf[512] = "";
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)j, k, v) {
		if (buf[0] != '\0')
			strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, k, sizeof(buf) - strlen(buf) - 1);
	}
	return strdup(buf);
}

/* A storm whose identities differ in their label names: ten DiskFull
 * identities, the first with its labels in another order, one with a team
 * label more, one without zone. Common: the first identity's labels equal
 * in all, in its order (alertname, job); varying: all other names, sorted
 * and distinct. The JSON keeps the documented key order. */
TEST(storm_labels)
{
	struct analysis a = { 0 };
	struct an_opts o;
	const struct an_group *g;
	char labels[160], *s;
	json_t *j;
	size_t k;

	opts(&o);
	for (k = 0; k < 10; k++) {
		if (k == 0)
			snprintf(labels, sizeof(labels), "{\"alertname\":"
			    "\"DiskFull\",\"zone\":\"z1\",\"job\":\"node\","
			    "\"instance\":\"h00\"}");
		else
			snprintf(labels, sizeof(labels), "{\"alertname\":"
			    "\"DiskFull\",\"job\":\"node\",\"instance\":"
			    "\"h%02zu\"%s%s}", k, k == 7 ? "" :
			    ",\"zone\":\"z1\"", k == 5 ? ",\"team\":\"db\"" :
			    "");
		ep(&a, ident(&a, 0, labels), T0 + (int64_t)k * 1000);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 1);
	if (a.ngroups != 1)
		goto out;
	g = &a.groups[0];
	CHECK_INT(g->kind, GROUP_STORM);
	CHECK_INT(g->storm.ncommon, 2);
	if (g->storm.ncommon == 2) {
		CHECK_STR(g->storm.common[0].name, "alertname");
		CHECK_STR(g->storm.common[0].value, "DiskFull");
		CHECK_STR(g->storm.common[1].name, "job");
		CHECK_STR(g->storm.common[1].value, "node");
	}
	CHECK_INT(g->storm.nvarying, 3);
	if (g->storm.nvarying == 3) {
		CHECK_STR(g->storm.varying[0], "instance");
		CHECK_STR(g->storm.varying[1], "team");
		CHECK_STR(g->storm.varying[2], "zone");
	}
	CHECK_INT(g->nmembers, 10);
	CHECK_INT(g->members[0].ident, 0);
	CHECK(g->members[0].labels == a.ids[0].labels);
	j = an_group_json(g);
	s = keys_of(j);
	CHECK_STR(s, "kind,members,leader,support,jaccard,evidence");
	free(s);
	s = json_dumps(json_object_get(j, "evidence"), JSON_COMPACT);
	CHECK_STR(s, "{\"occurrences\":1,\"maxIdentities\":10,"
	    "\"identities\":10,\"commonLabels\":{\"alertname\":"
	    "\"DiskFull\",\"job\":\"node\"},\"varyingLabels\":"
	    "[\"instance\",\"team\",\"zone\"]}");
	free(s);
	s = json_dumps(json_array_get(json_object_get(j, "members"), 0),
	    JSON_COMPACT);
	CHECK_STR(s, "{\"alertname\":\"DiskFull\",\"labels\":{\"alertname\":"
	    "\"DiskFull\",\"zone\":\"z1\",\"job\":\"node\",\"instance\":"
	    "\"h00\"}}");
	free(s);
	CHECK(json_is_null(json_object_get(j, "leader")));
	json_decref(j);
out:
	release(&a);
}

/* A storm's episodes already marked by co-firing keep their group. X{job=a}
 * (kind 0, 5 identities) and X{job=b} (kind 1, 5 identities) co-fire: in
 * hours 0..4 a_k then b_k 30 s later, in hour 5 all ten within 14 s.
 * co = 10 of 10 each: one co-firing group, leader job=a, all 10 b episodes
 * its duplicates. Hour 5 is also a storm of 10 identities; of its 9
 * followers the 5 b episodes stay co-firing, the 4 later a episodes become
 * storm duplicates. */
TEST(storm_after_cofiring)
{
	struct analysis a = { 0 };
	struct an_opts o;
	const char *gl[] = { "job" };
	char labels[128];
	size_t ia[5], ib[5], k;
	int cof = 0, storm = 0;

	opts(&o);
	o.group_labels = gl;
	o.ngroup_labels = 1;
	for (k = 0; k < 5; k++) {
		snprintf(labels, sizeof(labels), "{\"alertname\":\"X\","
		    "\"job\":\"a\",\"i\":\"%zu\"}", k);
		ia[k] = ident(&a, 0, labels);
		snprintf(labels, sizeof(labels), "{\"alertname\":\"X\","
		    "\"job\":\"b\",\"i\":\"%zu\"}", k);
		ib[k] = ident(&a, 1, labels);
	}
	for (k = 0; k < 5; k++) {
		ep(&a, ia[k], T0 + (int64_t)k * HOUR);
		ep(&a, ib[k], T0 + (int64_t)k * HOUR + 30000);
		ep(&a, ia[k], T0 + 5 * HOUR + (int64_t)k * 1000);
		ep(&a, ib[k], T0 + 5 * HOUR + 10000 + (int64_t)k * 1000);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 2);
	if (a.ngroups != 2)
		goto out;
	CHECK_INT(a.groups[0].kind, GROUP_COFIRING);
	CHECK_INT(a.groups[0].support, 10);
	CHECK_INT(a.groups[0].leader, 0);
	CHECK_INT(a.groups[1].kind, GROUP_STORM);
	CHECK_INT(a.groups[1].support, 1);
	for (k = 0; k < a.neps; k++) {
		const struct an_episode *e = &a.eps[k];
		const char *job = json_string_value(json_object_get(
		    a.ids[e->ident].labels, "job"));

		if (!(e->reasons & R_DUPLICATE))
			continue;
		if (e->group == 0 && strcmp(job, "b") == 0)
			cof++;
		else if (e->group == 1 && strcmp(job, "a") == 0 &&
		    e->firing_at > T0 + 5 * HOUR)
			storm++;
		else
			T_FAIL("episode %" PRId64 " marked in group %ld", e->id,
			    e->group);
	}
	CHECK_INT(cof, 10);
	CHECK_INT(storm, 4);
out:
	release(&a);
}

/* (f) Replicas: Watchdog came from two Prometheus replicas (3 episodes),
 * Backup was delivered twice once (1 episode), Quiet neither. Groups in
 * alertname order; nothing is marked. */
TEST(replica)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t w, b, q, k;
	char *s;

	opts(&o);
	w = ident(&a, 0, "{\"alertname\":\"Watchdog\",\"env\":\"prod\"}");
	b = ident(&a, 1, "{\"alertname\":\"Backup\"}");
	q = ident(&a, 2, "{\"alertname\":\"Quiet\"}");
	a.ids[w].copies = 2;
	a.ids[b].dup_deliveries = 1;
	for (k = 0; k < 3; k++)
		ep(&a, w, T0 + (int64_t)k * HOUR);
	ep(&a, b, T0 + 10);
	ep(&a, q, T0 + 20);
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 2);
	if (a.ngroups != 2)
		goto out;
	CHECK_INT(a.groups[0].kind, GROUP_REPLICA);
	CHECK_INT(a.groups[1].kind, GROUP_REPLICA);
	s = gdump(&a.groups[0], "members", NULL);
	CHECK_STR(s, "[{\"alertname\":\"Backup\",\"labels\":{\"alertname\":"
	    "\"Backup\"}}]");
	free(s);
	s = gdump(&a.groups[1], "members", NULL);
	CHECK_STR(s, "[{\"alertname\":\"Watchdog\",\"labels\":{\"alertname\":"
	    "\"Watchdog\",\"env\":\"prod\"}}]");
	free(s);
	CHECK_INT(a.groups[1].leader, -1);
	CHECK_INT(a.groups[1].support, 3);
	CHECK(a.groups[1].jaccard == 0);
	s = gdump(&a.groups[1], "evidence", NULL);
	CHECK_STR(s, "{\"copies\":2,\"duplicateDeliveries\":0,"
	    "\"episodes\":3}");
	free(s);
	CHECK_INT(a.groups[0].replica.dup_deliveries, 1);
	CHECK_INT(a.groups[1].replica.copies, 2);
	CHECK_INT(a.groups[1].replica.episodes, 3);
	for (k = 0; k < a.neps; k++)
		CHECK(!(a.eps[k].reasons & R_DUPLICATE) &&
		    a.eps[k].group == -1);
out:
	release(&a);
}

/* Groups already in the analysis stay; new ones are appended and the
 * duplicates point at their index. */
TEST(appends)
{
	struct analysis a = { 0 };
	struct an_opts o;
	size_t disk, db, k;

	opts(&o);
	disk = ident(&a, 0, "{\"alertname\":\"DiskFull\"}");
	db = ident(&a, 1, "{\"alertname\":\"DBDown\"}");
	a.ids[disk].copies = 2;
	for (k = 0; k < 4; k++) {
		ep(&a, disk, T0 + (int64_t)k * HOUR);
		ep(&a, db, T0 + (int64_t)k * HOUR + 30000);
	}
	sort_eps(&a);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 2);
	CHECK_INT(dups(&a, "DBDown", 1), 4);
	CHECK_INT(an_groups(&a, &o), 0);
	CHECK_INT(a.ngroups, 4);
	CHECK_INT(a.groups[2].kind, GROUP_REPLICA);
	CHECK_INT(a.groups[3].kind, GROUP_COFIRING);
	CHECK_INT(dups(&a, "DBDown", 1), 4);
	release(&a);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The time an_groups may take on the perf tests: well under a second on a
 * laptop, 5 s for slow machines and sanitizers, a minute under valgrind
 * (which preloads its vgpreload_*.so). */
static double
time_limit(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL ? 60 : 5;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 10k identities: 500 alertnames of 20 identities, in 4 kinds of 5 by a
 * job label. */
static void
many_idents(struct analysis *a)
{
	char labels[128];
	size_t i;

	for (i = 0; i < 10000; i++) {
		snprintf(labels, sizeof(labels), "{\"alertname\":"
		    "\"Alert%03zu\",\"job\":\"j%zu\",\"instance\":\"h%zu\"}",
		    i / 20, i / 5 % 4, i);
		ident(a, i / 5, labels);
	}
}

/* 300k episodes over 28 days: 200k at random times (~100 per kind), and
 * 50 pairs of kinds (2q, 2q + 1) firing together 1000 times each, the
 * second 30 s after the first: co ~ 1000, Jaccard ~ 1000 / 1200, so 50
 * co-firing groups led by kind 2q (job j0 or j2; member 0, as both kinds
 * share the alertname and 2q is lower). */
TEST(perf_28_days)
{
	struct analysis a = { 0 };
	struct an_opts o;
	double t;
	const char *gl[] = { "job" };
	size_t i, q, n = 0, led = 0;

	opts(&o);
	o.group_labels = gl;
	o.ngroup_labels = 1;
	many_idents(&a);
	for (i = 0; i < 200000; i++)
		ep(&a, rnd() % a.nids, T0 + (int64_t)(rnd() % (28 * DAY)));
	for (i = 0; i < 100000; i += 2) {
		int64_t at = T0 + (int64_t)(rnd() % (28 * DAY));

		q = i / 2 % 50;
		ep(&a, 10 * q + rnd() % 5, at);
		ep(&a, 10 * q + 5 + rnd() % 5, at + 30000);
	}
	sort_eps(&a);
	t = seconds();
	CHECK_INT(an_groups(&a, &o), 0);
	t = seconds() - t;
	printf("     300k episodes, 10k identities, 28 days: %.3f s, "
	    "%zu groups\n", t, a.ngroups);
	for (i = 0; i < a.ngroups; i++) {
		const struct an_group *g = &a.groups[i];
		const char *job;

		if (g->kind != GROUP_COFIRING || g->nmembers != 2)
			continue;
		n++;
		job = json_string_value(json_object_get(
		    g->members[g->leader].labels, "job"));
		if (g->leader == 0 && job != NULL && (strcmp(job, "j0") == 0 ||
		    strcmp(job, "j2") == 0) && g->support > 900 &&
		    g->jaccard > 0.75)
			led++;
	}
	CHECK_INT(n, 50);
	CHECK_INT(led, 50);
	CHECK(t < time_limit());
	release(&a);
}

/* 100k episodes of the same 10k identities within 2 minutes: every
 * episode has 100k neighbours in the window, the bound keeps it linear. */
TEST(perf_storm)
{
	struct analysis a = { 0 };
	struct an_opts o;
	double t;
	size_t i;
	int n = 0;

	opts(&o);
	many_idents(&a);
	for (i = 0; i < 100000; i++)
		ep(&a, rnd() % a.nids, T0 + (int64_t)(rnd() % (2 * MIN)));
	sort_eps(&a);
	t = seconds();
	CHECK_INT(an_groups(&a, &o), 0);
	t = seconds() - t;
	for (i = 0; i < a.ngroups; i++)
		if (a.groups[i].kind == GROUP_STORM)
			n++;
	printf("     100k episodes, 10k identities, 2 minutes: %.3f s, "
	    "%zu groups\n", t, a.ngroups);
	CHECK_INT(n, 500);
	CHECK(t < time_limit());
	release(&a);
}

int
main(void)
{
	RUN(cofiring_pair);
	RUN(cofiring_below_support);
	RUN(cofiring_below_jaccard);
	RUN(cofiring_edges);
	RUN(cofiring_chain);
	RUN(storm);
	RUN(storm_occurrences);
	RUN(storm_member_cap);
	RUN(storm_labels);
	RUN(storm_after_cofiring);
	RUN(replica);
	RUN(appends);
	RUN(perf_28_days);
	RUN(perf_storm);
	return t_done();
}

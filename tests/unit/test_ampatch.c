/* test_ampatch.c -- lib/tuning/ampatch.c: new routes and inhibit rules written
 * into the user's own alertmanager.yml. Every patched file must pass
 * Debian's `amtool check-config`, come out of ud_diff's unified diff
 * applied by patch(1) byte for byte, keep every byte of the old text, and
 * route generated label sets (as tests/unit/test_amroute.c generates them)
 * as the old file does unless the new route names them: a set that the
 * new route's matchers and its parent's path do not both match reaches the
 * same routes (by path, the index under the parent shifted by one) with
 * the same receivers and settings; one that they match and that reaches
 * the parent gets the new route with its receiver and settings. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amgen.h"
#include "ampatch.h"
#include "amroute.h"
#include "t.h"
#include "udiff.h"

#ifndef AMTOOL
#define AMTOOL		"/usr/bin/amtool"
#endif
#define TREE		"tests/data/amroute/alertmanager.yml"
#define MAXM		64
#define NSETS		1000

static char tmpdir[64];

/* --- files, amtool, patch --- */

/* Whether `amtool check-config` accepts the text (1), or amtool is not
 * installed (-1, said once). */
static int
amtool_accepts(const char *text, size_t len)
{
	static int said;
	char path[128], cmd[512], *log;
	size_t n;
	int st;

	if (access(AMTOOL, X_OK) != 0) {
		if (!said++)
			printf("skip: %s not installed, amtool checks "
			    "skipped\n", AMTOOL);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/check.yml", tmpdir);
	if (t_write_file(path, text, len) < 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "%s check-config %s > %s/amtool.log 2>&1",
	    AMTOOL, path, tmpdir);
	st = system(cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	snprintf(path, sizeof(path), "%s/amtool.log", tmpdir);
	log = t_read_file(path, &n);
	fprintf(stderr, "amtool check-config: %s\n--- file:\n%s\n",
	    log ? log : "?", text);
	free(log);
	return 0;
}

/* Whether the unified diff ud_diff writes from old to new, applied with
 * `patch -p1` (no fuzz, no offset) to a file holding old, gives new. */
static int
diff_applies(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	char path[128], cmd[512], err[256], *d = NULL, *log, *res;
	size_t dlen = 0, n, reslen;
	int st, ok;

	if (ud_diff("alertmanager.yml", old, oldlen, new, newlen, &d, &dlen,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "ud_diff: %s\n", err);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/alertmanager.yml", tmpdir);
	ok = t_write_file(path, old, oldlen) == 0;
	snprintf(path, sizeof(path), "%s/d.patch", tmpdir);
	ok = ok && t_write_file(path, d, dlen) == 0;
	free(d);
	if (!ok)
		return 0;
	snprintf(cmd, sizeof(cmd), "patch -f -F0 -p1 --no-backup-if-mismatch "
	    "-d %s -i %s/d.patch > %s/patch.log 2>&1", tmpdir, tmpdir, tmpdir);
	st = system(cmd);
	snprintf(path, sizeof(path), "%s/patch.log", tmpdir);
	log = t_read_file(path, &n);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || log == NULL ||
	    strstr(log, "offset") != NULL || strstr(log, "fuzz") != NULL) {
		fprintf(stderr, "patch: %s\n", log ? log : "?");
		free(log);
		return 0;
	}
	free(log);
	snprintf(path, sizeof(path), "%s/alertmanager.yml", tmpdir);
	res = t_read_file(path, &reslen);
	ok = res != NULL && reslen == newlen && memcmp(res, new, newlen) == 0;
	if (!ok)
		fprintf(stderr, "patched file differs:\n%s\n", res ? res : "?");
	free(res);
	return ok;
}

/* The bytes new inserts into old, when new is old with one run of bytes
 * inserted (caller frees); NULL when other bytes changed. */
static char *
inserted(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	size_t p = 0, s = 0;
	char *ins;

	if (newlen < oldlen)
		return NULL;
	while (p < oldlen && old[p] == new[p])
		p++;
	while (s < oldlen - p && old[oldlen - 1 - s] == new[newlen - 1 - s])
		s++;
	if (p + s != oldlen || (ins = malloc(newlen - oldlen + 1)) == NULL)
		return NULL;
	memcpy(ins, new + p, newlen - oldlen);
	ins[newlen - oldlen] = '\0';
	return ins;
}

static struct am_config *
parse(const char *yaml, size_t len)
{
	struct am_config *c = NULL;
	char err[512] = "";

	if (am_config_parse(yaml, len, &c, err, sizeof(err)) != 0)
		T_FAIL("config does not parse: %s\n%s", err, yaml);
	return c;
}

/* The id of the route at path, or (size_t)-1. */
static size_t
route_id(const struct am_config *c, const char *path)
{
	struct am_route_info r;

	for (size_t i = 0; i < am_route_count(c); i++) {
		am_route_get(c, i, &r);
		if (strcmp(r.path, path) == 0)
			return i;
	}
	T_FAIL("no route %s", path);
	return (size_t)-1;
}

/* --- generated label sets (tests/unit/test_amroute.c's generator) --- */

/* --- routing old and new --- */

/* The path route old_path has in the patched file: under parent's path,
 * the index of the first step one higher. */
static void
shifted_path(const char *old_path, const char *parent_path, char *buf,
    size_t size)
{
	char prefix[512];
	size_t plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s.routes[",
	    parent_path);
	if (strncmp(old_path, prefix, plen) == 0) {
		char *end;
		unsigned long k = strtoul(old_path + plen, &end, 10);

		snprintf(buf, size, "%s%lu%s", prefix, k + 1, end);
	} else
		snprintf(buf, size, "%s", old_path);
}

static int
strv_eq(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Whether two routes notify alike: receiver, group_by, timers. */
static int
same_settings(const struct am_route_info *a, const struct am_route_info *b)
{
	return strcmp(a->receiver, b->receiver) == 0 &&
	    a->group_by_all == b->group_by_all &&
	    strv_eq(a->group_by, a->n_group_by, b->group_by, b->n_group_by) &&
	    a->group_wait_ms == b->group_wait_ms &&
	    a->group_interval_ms == b->group_interval_ms &&
	    a->repeat_interval_ms == b->repeat_interval_ms;
}

/* Whether route r of new has sub's settings, the rest from parent p. */
static int
has_sub_settings(const struct am_route_info *r, const struct am_route_info *p,
    const struct amp_route *sub)
{
	int all = sub->n_group_by == 1 && strcmp(sub->group_by[0], "...") == 0;

	if (strcmp(r->receiver, sub->receiver ? sub->receiver : p->receiver))
		return 0;
	if (sub->n_group_by > 0 ? r->group_by_all != all || (!all &&
	    !strv_eq(r->group_by, r->n_group_by, sub->group_by,
	    sub->n_group_by)) : r->group_by_all != p->group_by_all ||
	    !strv_eq(r->group_by, r->n_group_by, p->group_by, p->n_group_by))
		return 0;
	return r->group_wait_ms == (sub->group_wait_ms >= 0 ?
	    sub->group_wait_ms : p->group_wait_ms) &&
	    r->group_interval_ms == (sub->group_interval_ms >= 0 ?
	    sub->group_interval_ms : p->group_interval_ms) &&
	    r->repeat_interval_ms == (sub->repeat_interval_ms >= 0 ?
	    sub->repeat_interval_ms : p->repeat_interval_ms) &&
	    r->cont == (sub->cont != 0);
}

struct routing {
	size_t	named;		/* sets the new route and the path match */
	size_t	moved;		/* of those, sets that reach the new route */
	size_t	same;		/* sets routed as before */
};

/* Routes NSETS generated label sets through old and new (old with sub
 * inserted under parent) and checks each as this file's header says. */
static void
check_routing(const struct am_config *old, const struct am_config *new,
    size_t parent, const struct amp_route *sub, struct routing *st)
{
	struct am_route_info p, np, r;
	size_t sub_end, nid = parent + 1, bad = 0;

	memset(st, 0, sizeof(*st));
	rng_state = 0x5eed0f12a11e7ULL;
	am_route_get(old, parent, &p);
	am_route_get(new, parent, &np);
	am_route_get(new, nid, &r);
	/* the parent's subtree: ids parent .. sub_end - 1 in pre-order */
	for (sub_end = parent + 1; sub_end < am_route_count(old); sub_end++) {
		struct am_route_info d;

		am_route_get(old, sub_end, &d);
		if (d.depth <= p.depth)
			break;
	}
	for (size_t s = 0; s < NSETS; s++) {
		struct am_route_info o[MAXM], n[MAXM];
		size_t want[MAXM + 1], nw = 0, first = MAXM, last = 0;
		struct gset g;
		int no, nn, named = 1;

		generate(&g);
		no = am_route(old, &g.ls, o, MAXM);
		nn = am_route(new, &g.ls, n, MAXM);
		if (no < 1 || no > MAXM || nn < 1 || nn > MAXM) {
			T_FAIL("set %zu: %d and %d matches", s, no, nn);
			return;
		}
		/* does the set match the new route and every route from
		 * the root to it? */
		for (size_t id = parent; named; ) {
			struct am_route_info a;

			am_route_get(old, id, &a);
			named = am_matchers_match(a.matchers, &g.ls) == 1;
			if (a.parent == AM_NO_PARENT)
				break;
			id = a.parent;
		}
		named = named && am_matchers_match(r.matchers, &g.ls) == 1;
		for (int k = 0; k < no; k++)
			if (o[k].id >= parent && o[k].id < sub_end) {
				if (first == MAXM)
					first = (size_t)k;
				last = (size_t)k;
			}
		/* what the new file should route it to: the old routes, and
		 * when named and the parent is reached, the new route */
		for (size_t k = 0; k < (size_t)no; k++) {
			if (named && k == first) {
				want[nw++] = nid;
				if (!sub->cont || (first == last &&
				    o[k].id == parent)) {
					k = last;
					continue;
				}
			}
			want[nw++] = o[k].id > parent ? o[k].id + 1 : o[k].id;
		}
		st->named += named;
		st->moved += named && first != MAXM;
		st->same += !(named && first != MAXM);
		if ((size_t)nn != nw) {
			if (bad++ < 5)
				T_FAIL("set %zu: %d routes, want %zu", s, nn, nw);
			continue;
		}
		for (size_t k = 0; k < nw; k++) {
			char path[1024];
			int ok;

			if (want[k] == nid) {
				ok = n[k].id == nid && strcmp(n[k].path,
				    r.path) == 0 && has_sub_settings(&n[k],
				    &np, sub);
			} else {
				size_t oi;

				for (oi = 0; oi < (size_t)no; oi++)
					if ((o[oi].id > parent ? o[oi].id + 1 :
					    o[oi].id) == want[k])
						break;
				shifted_path(o[oi].path, p.path, path,
				    sizeof(path));
				ok = n[k].id == want[k] &&
				    strcmp(n[k].path, path) == 0 &&
				    same_settings(&n[k], &o[oi]);
			}
			if (!ok) {
				if (bad++ < 5)
					T_FAIL("set %zu: match %zu is %s "
					    "(%s), not route %zu", s, k,
					    n[k].path, n[k].receiver,
					    want[k]);
				break;
			}
		}
	}
}

/* Inserts sub under the route at parent_path of the text and checks the
 * result: amtool accepts it, the diff applies, no old byte changed (when
 * pure), and the routing is as check_routing says. Returns the new text
 * (caller frees) and the routing counts in *st. */
static char *
check_edit(const char *text, const char *parent_path,
    const struct amp_route *sub, struct routing *st, int pure)
{
	struct am_config *old = parse(text, strlen(text)), *new = NULL;
	char err[512] = "", *out = NULL, *ins;
	size_t outlen = 0, parent;

	memset(st, 0, sizeof(*st));
	if (old == NULL)
		return NULL;
	parent = route_id(old, parent_path);
	if (parent == (size_t)-1 || amp_add_subroute(text, strlen(text), old,
	    parent, sub, &out, &outlen, err, sizeof(err)) != 0) {
		T_FAIL("%s: %s", parent_path, err);
		am_config_free(old);
		return NULL;
	}
	CHECK_INT(strlen(out), outlen);
	if ((ins = inserted(text, strlen(text), out, outlen)) == NULL && pure)
		T_FAIL("%s: old bytes changed:\n%s", parent_path, out);
	free(ins);
	if (amtool_accepts(out, outlen) == 0)
		T_FAIL("%s: amtool check-config refused the patched file",
		    parent_path);
	if (!diff_applies(text, strlen(text), out, outlen))
		T_FAIL("%s: the diff does not apply", parent_path);
	if ((new = parse(out, outlen)) != NULL)
		check_routing(old, new, parent, sub, st);
	am_config_free(old);
	am_config_free(new);
	return out;
}

/* check_edit of an edit that only inserts. */
static char *
check_subroute(const char *text, const char *parent_path,
    const struct amp_route *sub, struct routing *st)
{
	return check_edit(text, parent_path, sub, st, 1);
}

#define ROUTE(...)	{ __VA_ARGS__ }
#define STRS(...)	(const char *const[]){ __VA_ARGS__ }
#define NSTRS(...)	(sizeof((const char *const[]){ __VA_ARGS__ }) /	\
			    sizeof(const char *))
#define LIST(...)	STRS(__VA_ARGS__), NSTRS(__VA_ARGS__)

/* The routes of a text, by receiver, for a label set "a=b c=d". */
static const char *
receivers(const char *text, const char *labels, char *buf, size_t size)
{
	struct am_config *c = parse(text, strlen(text));
	struct am_route_info out[MAXM];
	const char *names[16], *values[16];
	char tmp[512], *p, *save = NULL;
	struct am_labels ls = { names, values, 0 };
	int n;

	buf[0] = '\0';
	if (c == NULL)
		return buf;
	snprintf(tmp, sizeof(tmp), "%s", labels);
	for (p = strtok_r(tmp, " ", &save); p != NULL && ls.n < 16;
	    p = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(p, '=');

		*eq = '\0';
		names[ls.n] = p;
		values[ls.n++] = eq + 1;
	}
	n = am_route(c, &ls, out, MAXM);
	for (int i = 0; i < n && i < MAXM; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, "%s%s", i ? "," : "",
		    out[i].receiver);
	}
	am_config_free(c);
	return buf;
}

#define CHECK_ROUTE(text, ls, want) do {				\
	char t_buf[1024];						\
	CHECK_STR(receivers(text, ls, t_buf, sizeof(t_buf)), want);	\
} while (0)

/* --- routes --- */

/* Sub-routes under routes of the 37-route tree: the root, routes with
 * children (first child with a comment above it, a multi-line matchers
 * list), leaves (the last route, one followed by a sibling with children,
 * one nested three deep, a match: map), with and without continue. */
TEST(tree_subroutes)
{
	const struct {
		const char		*parent;
		struct amp_route	 sub;
		size_t			 min_moved;
	} cases[] = {
		{ "route", ROUTE(LIST("severity=\"critical\"",
		    "env=~\"prod|production\""), "security-audit", NULL, 0,
		    5000, -1, -1, 0), 20 },
		{ "route.routes[4]", ROUTE(LIST("alertname=~\"(Node|Host).*\"",
		    "severity!=\"info\""), "infra-pager", LIST("..."), -1, -1,
		    -1, 1), 10 },
		{ "route.routes[5]", ROUTE(LIST("service=\"mysql\"",
		    "env=\"prod\""), "db-mysql-prod", NULL, 0, -1, 600000,
		    -1, 1), 10 },
		{ "route.routes[8].routes[1]", ROUTE(LIST("owner=~\".*ops.*\""),
		    "frontend-lead", NULL, 0, -1, -1, 3600000, 0), 10 },
		{ "route.routes[8].routes[1].routes[0]",
		    ROUTE(LIST("severity=\"critical\""), "search-pager",
		    NULL, 0, -1, -1, -1, 0), 5 },
		{ "route.routes[9].routes[1]", ROUTE(LIST("job=\"train\""),
		    "ml-pager", LIST("alertname", "job"), -1, -1, -1, 0), 1 },
		{ "route.routes[12]", ROUTE(LIST("severity=\"warning\""), NULL,
		    NULL, 0, -1, 600000, -1, 0), 5 },
		{ "route.routes[4].routes[0].routes[1]",
		    ROUTE(LIST("cluster=\"us-east-1\""), "infra-pager", NULL,
		    0, -1, -1, -1, 0), 1 },
		{ "route.routes[2]", ROUTE(LIST("env=\"prod\""), "default",
		    NULL, 0, 0, -1, -1, 0), 1 },
	};
	size_t len;
	char *text = t_read_file(TREE, &len);

	if (text == NULL) {
		T_FAIL("cannot read %s", TREE);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct routing st;
		char *out = check_subroute(text, cases[i].parent,
		    &cases[i].sub, &st);

		if (out == NULL)
			continue;
		printf("  %s: %zu sets named, %zu moved, %zu routed as "
		    "before\n", cases[i].parent, st.named, st.moved, st.same);
		if (st.moved < cases[i].min_moved)
			T_FAIL("%s: %zu sets reach the new route, want at "
			    "least %zu", cases[i].parent, st.moved,
			    cases[i].min_moved);
		CHECK(st.same > NSETS / 2);
		free(out);
	}
	free(text);
}

/* The text of a first child under the root, and what it routes. */
TEST(under_root)
{
	static const char text[] =
	    "# the team's routing\n"
	    "route:\n"
	    "  receiver: default   # catches the rest\n"
	    "  group_by: [\"alertname\"]\n"
	    "  routes:\n"
	    "\n"
	    "  # infra first\n"
	    "  - matchers: [team=\"infra\"]\n"
	    "    receiver: \"infra\"\n"
	    "receivers:\n"
	    "- name: default\n"
	    "- name: 'infra'\n"
	    "- name: db\n";
	struct amp_route sub = ROUTE(LIST("team=\"db\"",
	    "severity=~\"critical|page\""), "db", LIST("alertname", "cluster"),
	    10000, 300000, 12 * 3600000LL, 0);
	struct routing st;
	char *out = check_subroute(text, "route", &sub, &st);

	CHECK_STR(out,
	    "# the team's routing\n"
	    "route:\n"
	    "  receiver: default   # catches the rest\n"
	    "  group_by: [\"alertname\"]\n"
	    "  routes:\n"
	    "\n"
	    "  - matchers: ['team=\"db\"', 'severity=~\"critical|page\"']\n"
	    "    receiver: db\n"
	    "    group_by: [alertname, cluster]\n"
	    "    group_wait: 10s\n"
	    "    group_interval: 5m\n"
	    "    repeat_interval: 12h\n"
	    "  # infra first\n"
	    "  - matchers: [team=\"infra\"]\n"
	    "    receiver: \"infra\"\n"
	    "receivers:\n"
	    "- name: default\n"
	    "- name: 'infra'\n"
	    "- name: db\n");
	CHECK(st.moved > 0);
	if (out != NULL) {
		CHECK_ROUTE(out, "team=db severity=page", "db");
		CHECK_ROUTE(out, "team=db severity=warning", "default");
		CHECK_ROUTE(out, "team=infra severity=page", "infra");
	}
	free(out);
}

/* A new route before siblings with continue: true: with continue, an
 * alert it matches still reaches them; without, it stops there; alerts it
 * does not match reach what they reached. */
TEST(continue_siblings)
{
	static const char text[] =
	    "route:\n"
	    "  receiver: default\n"
	    "  routes:\n"
	    "    - receiver: archive\n"
	    "      continue: true\n"
	    "    - matchers: [severity=\"critical\"]\n"
	    "      receiver: pager\n"
	    "      continue: true\n"
	    "    - matchers: [team=\"db\"]\n"
	    "      receiver: db\n"
	    "receivers: [{name: default}, {name: archive}, {name: pager},\n"
	    "  {name: db}, {name: audit}]\n";
	struct amp_route cont = ROUTE(LIST("env=\"prod\""), "audit", NULL, 0,
	    -1, -1, -1, 1);
	struct amp_route stop = ROUTE(LIST("env=\"prod\""), "audit", NULL, 0,
	    -1, -1, -1, 0);
	struct routing st;
	char *out;

	CHECK_ROUTE(text, "env=prod team=db severity=critical",
	    "archive,pager,db");
	out = check_subroute(text, "route", &cont, &st);
	CHECK(st.moved > 0);
	if (out != NULL) {
		CHECK_ROUTE(out, "env=prod team=db severity=critical",
		    "audit,archive,pager,db");
		CHECK_ROUTE(out, "env=dev team=db severity=critical",
		    "archive,pager,db");
		CHECK_ROUTE(out, "env=dev", "archive");
	}
	free(out);
	out = check_subroute(text, "route", &stop, &st);
	CHECK(st.moved > 0);
	if (out != NULL) {
		CHECK_ROUTE(out, "env=prod team=db severity=critical", "audit");
		CHECK_ROUTE(out, "env=dev team=db severity=critical",
		    "archive,pager,db");
		CHECK_ROUTE(out, "env=dev", "archive");
	}
	free(out);
	/* under a route with continue: true, its siblings still follow */
	out = check_subroute(text, "route.routes[1]", &stop, &st);
	CHECK(st.moved > 0);
	if (out != NULL) {
		CHECK_ROUTE(out, "env=prod team=db severity=critical",
		    "archive,audit,db");
		CHECK_ROUTE(out, "env=dev team=db severity=critical",
		    "archive,pager,db");
	}
	free(out);
}

/* A parent without routes: gets one after its last key, before the
 * comments and the sibling that follow; quoting and comments stay. */
TEST(parent_without_routes)
{
	static const char text[] =
	    "route:\n"
	    "  receiver: 'default'\n"
	    "  routes:\n"
	    "    - match:\n"
	    "        team: \"db\"   # quoted\n"
	    "      receiver: db\n"
	    "      group_by: ['alertname',\n"
	    "        \"service\"]\n"
	    "      # next: the web team\n"
	    "    - matchers: ['team=~\"web|front\\\\w+\"']\n"
	    "      receiver: web # trailing comment\n"
	    "receivers:\n"
	    "  - name: default\n"
	    "  - name: db\n"
	    "  - name: web\n"
	    "  - name: db-pager\n";
	struct amp_route sub = ROUTE(LIST("severity=\"critical\""), "db-pager",
	    NULL, 0, -1, -1, -1, 0);
	struct routing st;
	char *out = check_subroute(text, "route.routes[0]", &sub, &st);

	CHECK_STR(out,
	    "route:\n"
	    "  receiver: 'default'\n"
	    "  routes:\n"
	    "    - match:\n"
	    "        team: \"db\"   # quoted\n"
	    "      receiver: db\n"
	    "      group_by: ['alertname',\n"
	    "        \"service\"]\n"
	    "      routes:\n"
	    "        - matchers: ['severity=\"critical\"']\n"
	    "          receiver: db-pager\n"
	    "      # next: the web team\n"
	    "    - matchers: ['team=~\"web|front\\\\w+\"']\n"
	    "      receiver: web # trailing comment\n"
	    "receivers:\n"
	    "  - name: default\n"
	    "  - name: db\n"
	    "  - name: web\n"
	    "  - name: db-pager\n");
	CHECK(st.moved > 0);
	free(out);
	out = check_subroute(text, "route.routes[1]", &sub, &st);
	CHECK_STR(out,
	    "route:\n"
	    "  receiver: 'default'\n"
	    "  routes:\n"
	    "    - match:\n"
	    "        team: \"db\"   # quoted\n"
	    "      receiver: db\n"
	    "      group_by: ['alertname',\n"
	    "        \"service\"]\n"
	    "      # next: the web team\n"
	    "    - matchers: ['team=~\"web|front\\\\w+\"']\n"
	    "      receiver: web # trailing comment\n"
	    "      routes:\n"
	    "        - matchers: ['severity=\"critical\"']\n"
	    "          receiver: db-pager\n"
	    "receivers:\n"
	    "  - name: default\n"
	    "  - name: db\n"
	    "  - name: web\n"
	    "  - name: db-pager\n");
	free(out);
}

/* A parent whose last key holds a block list: routes: goes after the
 * list's last item, before the blank line. A UTF-8 BOM and non-ASCII
 * text before the columns counted stay as they are. */
TEST(last_key_block_list)
{
	static const char text[] =
	    "\xef\xbb\xbfroute:\n"
	    "  receiver: a\n"
	    "  routes:\n"
	    "    - receiver: a\n"
	    "      matchers:\n"
	    "        - team=\"db\"\n"
	    "        - owner=~\"Zoë.*|Zürich.*\"   # ö\n"
	    "\n"
	    "    - receiver: b\n"
	    "receivers: [{name: a}, {name: b}]\n";
	struct amp_route sub = ROUTE(LIST("env=\"prod\""), "b", NULL, 0, -1,
	    -1, -1, 0);
	struct routing st;
	char *out = check_subroute(text, "route.routes[0]", &sub, &st);

	CHECK_STR(out,
	    "\xef\xbb\xbfroute:\n"
	    "  receiver: a\n"
	    "  routes:\n"
	    "    - receiver: a\n"
	    "      matchers:\n"
	    "        - team=\"db\"\n"
	    "        - owner=~\"Zoë.*|Zürich.*\"   # ö\n"
	    "      routes:\n"
	    "        - matchers: ['env=\"prod\"']\n"
	    "          receiver: b\n"
	    "\n"
	    "    - receiver: b\n"
	    "receivers: [{name: a}, {name: b}]\n");
	CHECK(st.moved > 0);
	free(out);
}

/* A root without routes:, in a file without a last line break and with
 * lists written without indentation: the new list is written as the
 * file's receivers are. */
TEST(root_without_routes)
{
	static const char text[] =
	    "receivers:\n"
	    "- name: default\n"
	    "- name: db\n"
	    "route:\n"
	    "  receiver: default\n"
	    "  group_wait: 1m";
	struct amp_route sub = ROUTE(LIST("team=\"db\""), "db", NULL, 0, -1,
	    -1, -1, 0);
	struct routing st;
	char *out = check_subroute(text, "route", &sub, &st);

	CHECK_STR(out,
	    "receivers:\n"
	    "- name: default\n"
	    "- name: db\n"
	    "route:\n"
	    "  receiver: default\n"
	    "  group_wait: 1m\n"
	    "  routes:\n"
	    "  - matchers: ['team=\"db\"']\n"
	    "    receiver: db\n");
	CHECK(st.moved > 0);
	free(out);
}

/* routes: written as null, ~ or [] becomes a block list; the rest of its
 * line (a comment) stays. */
TEST(empty_routes)
{
	static const struct {
		const char	*routes, *want;
	} cases[] = {
		{ "  routes:\n", "  routes:\n" },
		{ "  routes: ~\n", "  routes:\n" },
		{ "  routes: null   # none yet\n", "  routes:   # none yet\n" },
		{ "  routes: []\n", "  routes:\n" },
		{ "  routes: [ ]  # none yet\n", "  routes:  # none yet\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct amp_route sub = ROUTE(LIST("team=\"db\""), "db", NULL,
		    0, -1, -1, -1, 0);
		char text[512], want[512];
		struct routing st;
		char *out;

		snprintf(text, sizeof(text), "route:\n  receiver: default\n"
		    "%s  group_by: [alertname]\nreceivers:\n  - name: default\n"
		    "  - name: db\n", cases[i].routes);
		snprintf(want, sizeof(want), "route:\n  receiver: default\n"
		    "%s    - matchers: ['team=\"db\"']\n      receiver: db\n"
		    "  group_by: [alertname]\nreceivers:\n  - name: default\n"
		    "  - name: db\n", cases[i].want);
		out = check_edit(text, "route", &sub, &st, i == 0);
		CHECK_STR(out, want);
		CHECK(st.moved > 0);
		free(out);
	}
}

/* A file with \r\n line breaks gets \r\n line breaks. */
TEST(crlf)
{
	static const char text[] =
	    "route:\r\n"
	    "  receiver: default\r\n"
	    "  routes:\r\n"
	    "    - matchers: [team=\"db\"]\r\n"
	    "      receiver: db\r\n"
	    "receivers:\r\n"
	    "  - name: default\r\n"
	    "  - name: db\r\n";
	struct amp_route sub = ROUTE(LIST("team=\"infra\""), NULL, NULL, 0,
	    -1, -1, 60000, 0);
	struct routing st;
	char *out = check_subroute(text, "route.routes[0]", &sub, &st);

	CHECK_STR(out,
	    "route:\r\n"
	    "  receiver: default\r\n"
	    "  routes:\r\n"
	    "    - matchers: [team=\"db\"]\r\n"
	    "      receiver: db\r\n"
	    "      routes:\r\n"
	    "        - matchers: ['team=\"infra\"']\r\n"
	    "          repeat_interval: 1m\r\n"
	    "receivers:\r\n"
	    "  - name: default\r\n"
	    "  - name: db\r\n");
	free(out);
}

/* Strings YAML would read otherwise are quoted: a receiver "on" (a
 * boolean to YAML 1.1) or with a space, a matcher with a ' or a line
 * break, group_by "...". */
TEST(quoting)
{
	static const char text[] =
	    "route:\n"
	    "  receiver: 'on'\n"
	    "receivers:\n"
	    "  - name: 'on'\n"
	    "  - name: 'team a: pager'\n"
	    "  - name: \"123\"\n";
	struct amp_route sub = ROUTE(LIST("alertname=\"It's down\"",
	    "{msg=~\"a\nb\", job!=\"x\\ty\"}"), "team a: pager", LIST("..."),
	    -1, -1, -1, 0);
	struct amp_route num = ROUTE(NULL, 0, "123", LIST("on", "y"), -1, -1,
	    -1, 1);
	struct routing st;
	char *out = check_subroute(text, "route", &sub, &st);

	CHECK_STR(out,
	    "route:\n"
	    "  receiver: 'on'\n"
	    "  routes:\n"
	    "    - matchers: ['alertname=\"It''s down\"', "
	    "\"{msg=~\\\"a\\nb\\\", job!=\\\"x\\\\ty\\\"}\"]\n"
	    "      receiver: 'team a: pager'\n"
	    "      group_by: ['...']\n"
	    "receivers:\n"
	    "  - name: 'on'\n"
	    "  - name: 'team a: pager'\n"
	    "  - name: \"123\"\n");
	free(out);
	out = check_subroute(text, "route", &num, &st);
	CHECK_STR(out,
	    "route:\n"
	    "  receiver: 'on'\n"
	    "  routes:\n"
	    "    - receiver: '123'\n"
	    "      group_by: ['on', 'y']\n"
	    "      continue: true\n"
	    "receivers:\n"
	    "  - name: 'on'\n"
	    "  - name: 'team a: pager'\n"
	    "  - name: \"123\"\n");
	CHECK_INT(st.named, NSETS);
	free(out);
}

/* What cannot be edited in place, or should not be, is refused with the
 * reason, and nothing is returned. */
TEST(refusals)
{
	static const struct {
		const char	*text, *parent, *want;
	} cases[] = {
		{ "route:\n  receiver: a\n  routes:\n    - {receiver: a}\n"
		    "receivers: [{name: a}]\n", "route.routes[0]",
		    "route.routes[0] (line 4) is written as a flow mapping" },
		{ "route: {receiver: a}\nreceivers: [{name: a}]\n", "route",
		    "route (line 1) is written as a flow mapping" },
		{ "route:\n  receiver: a\n  routes: [{receiver: a}]\n"
		    "receivers: [{name: a}]\n", "route",
		    "route.routes (line 3) is a flow-style list" },
		{ "route:\n  receiver: a\n  routes:\n    - &r\n      receiver: a\n"
		    "      routes:\n        - receiver: a\n    - *r\n"
		    "receivers: [{name: a}]\n", "route.routes[0]",
		    "route.routes[0] (line 4) uses a YAML anchor or alias" },
		{ "x: &d {group_wait: 1s}\nroute:\n  receiver: a\n  routes:\n"
		    "    - receiver: a\n      <<: *d\n"
		    "receivers: [{name: a}]\n", "route.routes[0]",
		    "route.routes[0] (line 5) uses a YAML merge key" },
		{ "x: &d [a]\nroute:\n  receiver: a\n  routes:\n"
		    "    - receiver: a\n      group_by: *d\n"
		    "receivers: [{name: a}]\n", "route.routes[0]",
		    "route.routes[0] uses a YAML anchor or alias (line 1)" },
		{ "x: &s\n  - receiver: a\nroute:\n  receiver: a\n  routes: *s\n"
		    "receivers: [{name: a}]\n", "route",
		    "route.routes (line 5) uses a YAML anchor or alias" },
		{ "route: &r\n  receiver: a\n  routes:\n    - receiver: a\n"
		    "y: *r\nreceivers: [{name: a}]\n", "route.routes[0]",
		    "route (line 1) uses a YAML anchor or alias" },
		{ "route:\n  receiver: a\n  routes: !!seq\n  - receiver: a\n"
		    "receivers: [{name: a}]\n", "route",
		    "route.routes (line 3) has a YAML tag or anchor" },
	};
	static const char ok[] = "route:\n  receiver: a\nreceivers:\n"
	    "  - name: a\n";
	static const char two[] = "route:\n  receiver: a\n  routes:\n"
	    "    - receiver: a\nreceivers:\n  - name: a\n";
	struct amp_route sub = ROUTE(LIST("team=\"db\""), "a", NULL, 0, -1,
	    -1, -1, 0);
	struct amp_route bad_m = ROUTE(LIST("team=\"db"), "a", NULL, 0, -1,
	    -1, -1, 0);
	struct amp_route bad_r = ROUTE(LIST("team=\"db\""), "b", NULL, 0, -1,
	    -1, -1, 0);
	struct amp_route none = ROUTE(NULL, 0, NULL, NULL, 0, -1, -1, -1, 0);
	struct amp_route zero = ROUTE(NULL, 0, NULL, NULL, 0, -1, 0, -1, 0);
	struct am_config *c, *other;
	char err[512], *out = (char *)"x";
	size_t outlen = 1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((c = parse(cases[i].text, strlen(cases[i].text))) == NULL)
			continue;
		err[0] = '\0';
		CHECK_INT(amp_add_subroute(cases[i].text,
		    strlen(cases[i].text), c, route_id(c, cases[i].parent),
		    &sub, &out, &outlen, err, sizeof(err)), -1);
		CHECK(out == NULL);
		CHECK_INT(outlen, 0);
		CHECK_CONTAINS(err, cases[i].want);
		am_config_free(c);
	}
	if ((c = parse(ok, strlen(ok))) == NULL)
		return;
	CHECK_INT(amp_add_subroute(ok, strlen(ok), c, 1, &sub, &out, &outlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "route 1: no such route (there are 1)");
	CHECK_INT(amp_add_subroute(ok, strlen(ok), c, 0, &bad_m, &out, &outlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "matchers[0]: ");
	CHECK_INT(amp_add_subroute(ok, strlen(ok), c, 0, &bad_r, &out, &outlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "receiver \"b\" is not defined");
	CHECK_INT(amp_add_subroute(ok, strlen(ok), c, 0, &none, &out, &outlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "the route sets nothing");
	CHECK_INT(amp_add_subroute(ok, strlen(ok), c, 0, &zero, &out, &outlen,
	    err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "the patched file does not load: ");
	CHECK_CONTAINS(err, "group_interval");
	CHECK(out == NULL);
	/* a config read from another text */
	other = parse(two, strlen(two));
	if (other != NULL) {
		CHECK_INT(amp_add_subroute(ok, strlen(ok), other, 1, &sub,
		    &out, &outlen, err, sizeof(err)), -1);
		CHECK_CONTAINS(err, "is not in this text");
		am_config_free(other);
	}
	am_config_free(c);
}

/* --- inhibit rules --- */

/* Adds r to text, checks amtool, the diff and the bytes, and that the
 * old rules and the routes are as they were. Returns the new text. */
static char *
check_rule(const char *text, const struct amp_inhibit *r)
{
	struct am_config *old = parse(text, strlen(text)), *new = NULL;
	char err[512] = "", *out = NULL;
	size_t outlen = 0;

	if (old == NULL)
		return NULL;
	if (amp_add_inhibit_rule(text, strlen(text), r, &out, &outlen, err,
	    sizeof(err)) != 0) {
		T_FAIL("%s", err);
		am_config_free(old);
		return NULL;
	}
	if (amtool_accepts(out, outlen) == 0)
		T_FAIL("amtool check-config refused the patched file");
	if (!diff_applies(text, strlen(text), out, outlen))
		T_FAIL("the diff does not apply");
	if ((new = parse(out, outlen)) != NULL) {
		size_t n = am_inhibit_rule_count(old);

		CHECK_INT(am_inhibit_rule_count(new), n + 1);
		CHECK_INT(am_route_count(new), am_route_count(old));
		/* the old rules mute what they muted, the new one more */
		rng_state = 0x1ab5eedULL;
		for (size_t s = 0; s < NSETS; s++) {
			struct gset a, b;
			size_t ro = 0, rn = 0;
			int io, in;

			generate(&a);
			generate(&b);
			io = am_inhibits(old, &a.ls, &b.ls, &ro);
			in = am_inhibits(new, &a.ls, &b.ls, &rn);
			if (io == 1 ? in != 1 || rn != ro : in == 1 && rn != n)
				T_FAIL("set %zu: inhibits %d (rule %zu), was "
				    "%d (rule %zu)", s, in, rn, io, ro);
		}
	}
	am_config_free(old);
	am_config_free(new);
	return out;
}

#define RULE(s, t, e)	{ s, sizeof(s) / sizeof(*s), t,			\
			    sizeof(t) / sizeof(*t), e, sizeof(e) / sizeof(*e) }

static const char *const crit[] = { "severity=\"critical\"" };
static const char *const warn[] = { "severity=~\"warning|info\"",
    "alertname!=\"Watchdog\"" };
static const char *const eq[] = { "cluster", "service" };

/* After the last rule of the tree, before the blank line and receivers:. */
TEST(inhibit_append)
{
	struct amp_inhibit r = RULE(crit, warn, eq);
	size_t len;
	char *text = t_read_file(TREE, &len), *out, *ins;

	if (text == NULL) {
		T_FAIL("cannot read %s", TREE);
		return;
	}
	out = check_rule(text, &r);
	if (out != NULL) {
		ins = inserted(text, len, out, strlen(out));
		CHECK_STR(ins,
		    "  - source_matchers: ['severity=\"critical\"']\n"
		    "    target_matchers: ['severity=~\"warning|info\"', "
		    "'alertname!=\"Watchdog\"']\n"
		    "    equal: [cluster, service]\n");
		CHECK_CONTAINS(out, "    equal: [cluster]\n"
		    "  - source_matchers: ['severity=\"critical\"']\n");
		free(ins);
	}
	free(out);
	free(text);
}

/* A file without inhibit_rules: gets it at its end (a line break added
 * when the last line has none), or before a second document. */
TEST(inhibit_absent)
{
	static const struct {
		const char	*text, *want;
	} cases[] = {
		{ "route:\n  receiver: a\nreceivers:\n  - name: a\n# end\n",
		  "route:\n  receiver: a\nreceivers:\n  - name: a\n# end\n"
		  "inhibit_rules:\n"
		  "  - source_matchers: ['severity=\"critical\"']\n"
		  "    target_matchers: ['severity=~\"warning|info\"', "
		  "'alertname!=\"Watchdog\"']\n"
		  "    equal: [cluster, service]\n" },
		{ "route: {receiver: a}\nreceivers:\n- name: a",
		  "route: {receiver: a}\nreceivers:\n- name: a\n"
		  "inhibit_rules:\n"
		  "- source_matchers: ['severity=\"critical\"']\n"
		  "  target_matchers: ['severity=~\"warning|info\"', "
		  "'alertname!=\"Watchdog\"']\n"
		  "  equal: [cluster, service]\n" },
		{ "route: {receiver: a}\nreceivers: [{name: a}]\n---\nx: 1\n",
		  "route: {receiver: a}\nreceivers: [{name: a}]\n"
		  "inhibit_rules:\n"
		  "  - source_matchers: ['severity=\"critical\"']\n"
		  "    target_matchers: ['severity=~\"warning|info\"', "
		  "'alertname!=\"Watchdog\"']\n"
		  "    equal: [cluster, service]\n---\nx: 1\n" },
	};
	struct amp_inhibit r = RULE(crit, warn, eq);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = check_rule(cases[i].text, &r);

		CHECK_STR(out, cases[i].want);
		free(out);
	}
}

/* inhibit_rules: written as null, ~ or [] becomes a block list. */
TEST(inhibit_empty)
{
	static const char *const forms[] = { "", " ~", " []", " [ ] # none" };
	static const char *const rest[] = { "", "", "", " # none" };
	static const char *const none[] = { NULL };
	struct amp_inhibit r = { crit, 1, warn, 1, none, 0 };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char text[256], want[512], *out;

		snprintf(text, sizeof(text), "route:\n  receiver: a\n"
		    "inhibit_rules:%s\nreceivers:\n  - name: a\n", forms[i]);
		snprintf(want, sizeof(want), "route:\n  receiver: a\n"
		    "inhibit_rules:%s\n"
		    "  - source_matchers: ['severity=\"critical\"']\n"
		    "    target_matchers: ['severity=~\"warning|info\"']\n"
		    "receivers:\n  - name: a\n", rest[i]);
		out = check_rule(text, &r);
		CHECK_STR(out, want);
		free(out);
	}
}

TEST(inhibit_refusals)
{
	static const struct {
		const char	*text, *want;
	} cases[] = {
		{ "route: {receiver: a}\nreceivers: [{name: a}]\n"
		    "inhibit_rules: [{source_matchers: [a=b]}]\n",
		    "inhibit_rules (line 3) is a flow-style list" },
		{ "{route: {receiver: a}, receivers: [{name: a}]}\n",
		    "the top level is not a block mapping" },
		{ "r: &r\n  - source_matchers: [a=b]\nroute: {receiver: a}\n"
		    "receivers: [{name: a}]\ninhibit_rules: *r\n",
		    "inhibit_rules (line 5) uses a YAML anchor or alias" },
		{ "route: {receiver: a}\nreceivers: [{name: a}]\n"
		    "inhibit_rules:\n  - source_matchers: &m [a=b]\n"
		    "  - target_matchers: *m\n",
		    "inhibit_rules[1] uses a YAML anchor or alias" },
	};
	static const char *const bad[] = { "a=\"b" };
	struct amp_inhibit r = RULE(crit, warn, eq);
	struct amp_inhibit b = RULE(crit, bad, eq);
	char err[512], *out = NULL;
	size_t outlen;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		CHECK_INT(amp_add_inhibit_rule(cases[i].text,
		    strlen(cases[i].text), &r, &out, &outlen, err,
		    sizeof(err)), -1);
		CHECK(out == NULL);
		CHECK_CONTAINS(err, cases[i].want);
	}
	CHECK_INT(amp_add_inhibit_rule(cases[0].text, strlen(cases[0].text),
	    &b, &out, &outlen, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "target_matchers[0]: ");
}

int
main(void)
{
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ampatch.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(tree_subroutes);
	RUN(under_root);
	RUN(continue_siblings);
	RUN(parent_without_routes);
	RUN(last_key_block_list);
	RUN(root_without_routes);
	RUN(empty_routes);
	RUN(crlf);
	RUN(quoting);
	RUN(refusals);
	RUN(inhibit_append);
	RUN(inhibit_absent);
	RUN(inhibit_empty);
	RUN(inhibit_refusals);
	rc = t_done();
	t_rmdir(tmpdir);
	return rc;
}

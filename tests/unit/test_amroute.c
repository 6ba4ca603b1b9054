/* test_amroute.c -- lib/tuning/amroute.c: Alertmanager 0.25's matcher syntax,
 * routing tree and inhibit rules. Hand-computed answers from the upstream
 * sources the module follows (pkg/labels/parse.go, dispatch/route.go,
 * config/config.go, inhibit/inhibit.go), then a differential test: the
 * tree in tests/data/amroute/alertmanager.yml routed by am_route and by
 * Debian's amtool (`amtool config routes test --tree`) for generated label
 * sets, receivers and route keys compared. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "amgen.h"
#include "amroute.h"
#include "t.h"

#ifndef AMTOOL
#define AMTOOL		"/usr/bin/amtool"
#endif
#define TREE		"tests/data/amroute/alertmanager.yml"
#define MAXM		64

/* --- helpers --- */

static struct am_config *
parse(const char *yaml)
{
	struct am_config *c = NULL;
	char err[512] = "";

	if (am_config_parse(yaml, strlen(yaml), &c, err, sizeof(err)) != 0)
		T_FAIL("config does not parse: %s", err);
	return c;
}

/* Parses yaml, which must fail with an error containing want. */
static void
parse_fails(const char *yaml, const char *want, int line)
{
	struct am_config *c = NULL;
	char err[512] = "";

	if (am_config_parse(yaml, strlen(yaml), &c, err, sizeof(err)) == 0) {
		T_FAIL("line %d: config parsed, want error \"%s\"", line, want);
		am_config_free(c);
		return;
	}
	if (strstr(err, want) == NULL)
		T_FAIL("line %d: error \"%s\", want \"%s\"", line, err, want);
	CHECK(c == NULL);
}

#define PARSE_FAILS(y, w)	parse_fails(y, w, __LINE__)

/* "a=b c=d" style label set (values without spaces), into ls. */
struct lset {
	char		 buf[1024];
	const char	*names[32], *values[32];
	struct am_labels ls;
};

static const struct am_labels *
labels(struct lset *l, const char *s)
{
	char *p, *save = NULL;
	size_t n = 0;

	snprintf(l->buf, sizeof(l->buf), "%s", s);
	for (p = strtok_r(l->buf, " ", &save); p != NULL && n < 32;
	    p = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(p, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		l->names[n] = p;
		l->values[n] = eq + 1;
		n++;
	}
	l->ls.names = l->names;
	l->ls.values = l->values;
	l->ls.n = n;
	return &l->ls;
}

/* The receivers am_route gives, comma-separated as amtool prints them. */
static const char *
route_receivers(const struct am_config *c, const char *ls, char *buf,
    size_t size)
{
	struct am_route_info out[MAXM];
	struct lset l;
	int n = am_route(c, labels(&l, ls), out, MAXM);

	buf[0] = '\0';
	for (int i = 0; i < n && i < MAXM; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, "%s%s", i ? "," : "",
		    out[i].receiver);
	}
	return buf;
}

#define CHECK_ROUTE(c, ls, want) do {					\
	char t_buf[1024];						\
	CHECK_STR(route_receivers(c, ls, t_buf, sizeof(t_buf)), want);	\
} while (0)

/* --- matcher syntax --- */

struct pcase {
	const char	*in;
	const char	*want;	/* am_matchers_format, or the error */
	int		 ok;
};

TEST(matcher_parse)
{
	static const struct pcase c[] = {
		/* the examples of ParseMatchers' doc comment */
		{ "{foo = \"bar\", dings != \"bums\", }",
		    "{foo=\"bar\",dings!=\"bums\"}", 1 },
		{ "foo=bar,dings!=bums", "{foo=\"bar\",dings!=\"bums\"}", 1 },
		{ "foo=bar, dings!=bums", "{foo=\"bar\",dings!=\"bums\"}", 1 },
		{ "{quote=\"She said: \\\"Hi, ladies! That's gender-"
		    "neutral…\\\"\"}", "{quote=\"She said: \\\"Hi, ladies! "
		    "That's gender-neutral…\\\"\"}", 1 },
		{ "statuscode=~\"5..\"", "{statuscode=~\"5..\"}", 1 },
		/* operators: =~ before =, == leaves "=b" as the value */
		{ "a=~b", "{a=~\"b\"}", 1 },
		{ "a!~b", "{a!~\"b\"}", 1 },
		{ "a==b", "{a=\"=b\"}", 1 },
		{ "a=~b=c", "{a=~\"b=c\"}", 1 },
		{ "a:b_c=d", "{a:b_c=\"d\"}", 1 },
		/* white space around tokens, kept inside quotes */
		{ "  a  =  x y  ", "{a=\"x y\"}", 1 },
		{ "a=\"  x  \"", "{a=\"  x  \"}", 1 },
		{ "\ta\n=\r\"x\"\n", "{a=\"x\"}", 1 },
		/* empty values, unquoted or quoted */
		{ "a=", "{a=\"\"}", 1 },
		{ "a=\"\"", "{a=\"\"}", 1 },
		/* escapes: \n \" \\; any other backslash is literal, as is
		 * one at the very end */
		{ "a=\"x\\ny\"", "{a=\"x\\ny\"}", 1 },
		{ "a=b\\c", "{a=\"b\\\\c\"}", 1 },
		{ "a=b\\\\c", "{a=\"b\\\\c\"}", 1 },
		{ "a=\\", "{a=\"\\\\\"}", 1 },
		{ "a=\\\"x\\\"", "{a=\"\\\"x\\\"\"}", 1 },
		/* commas inside quotes do not split; braces trimmed once */
		{ "a=\"x,y\", b=z", "{a=\"x,y\",b=\"z\"}", 1 },
		{ "{a=\"b}\"}", "{a=\"b}\"}", 1 },
		{ "{a=b}}", "{a=\"b}\"}", 1 },
		{ "a=b,", "{a=\"b\"}", 1 },
		{ "a=b, \t", "{a=\"b\"}", 1 },
		{ "", "{}", 1 },
		{ "{}", "{}", 1 },
		/* the last token is trimmed of Unicode space, the others
		 * only of RE2's \s */
		{ "a=b\xc2\xa0", "{a=\"b\"}", 1 },
		{ "a=b\xc2\xa0,c=d", "{a=\"b\xc2\xa0\",c=\"d\"}", 1 },
		/* a bad byte reads as U+FFFD */
		{ "a=\xff", "{a=\"\xef\xbf\xbd\"}", 1 },
		/* an escaped quote does not open quotes: the comma splits */
		{ "a=\\\",b=c", "{a=\"\\\"\",b=\"c\"}", 1 },
		/* errors, with Alertmanager's words */
		{ "a", "bad matcher format: a", 0 },
		{ "=b", "bad matcher format: =b", 0 },
		{ "1a=b", "bad matcher format: 1a=b", 0 },
		{ "a b=c", "bad matcher format: a b=c", 0 },
		{ "a=x,,b=y", "bad matcher format: ", 0 },
		{ ",a=x", "bad matcher format: ", 0 },
		{ "a=b\"", "matcher value contains unescaped double quote: "
		    "b\"", 0 },
		{ "a=\"b", "matcher value contains unescaped double quote: "
		    "\"b", 0 },
		{ "a=\"b\\\"", "matcher value contains unescaped double "
		    "quote: \"b\\\"", 0 },
		{ "a=\"x\" y", "matcher value contains unescaped double "
		    "quote: \"x\" y", 0 },
		{ "a=\"", "matcher value contains unescaped double quote: "
		    "\"", 0 },
		{ "a=~\"(b\"", "invalid regular expression \"(b\"", 0 },
		{ "a!~\"x\", b=~\"[\"", "invalid regular expression \"[\"",
		    0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct am_matchers *m = NULL;
		char err[256] = "", got[256];
		int rc = am_matchers_parse(c[i].in, strlen(c[i].in), &m, err,
		    sizeof(err));

		if (c[i].ok) {
			if (rc != 0) {
				T_FAIL("case %zu: %s: %s", i, c[i].in, err);
				continue;
			}
			am_matchers_format(m, got, sizeof(got));
			if (strcmp(got, c[i].want) != 0)
				T_FAIL("case %zu: %s: got %s, want %s", i,
				    c[i].in, got, c[i].want);
		} else {
			if (rc == 0) {
				T_FAIL("case %zu: %s parsed", i, c[i].in);
			} else if (strncmp(err, c[i].want,
			    strlen(c[i].want)) != 0)
				T_FAIL("case %zu: %s: error \"%s\", want "
				    "\"%s\"", i, c[i].in, err, c[i].want);
			CHECK(m == NULL);
		}
		am_matchers_free(m);
	}
}

TEST(matcher_values)
{
	struct am_matchers *m = NULL;
	enum am_match_type type;
	const char *name, *value;

	CHECK_INT(am_matchers_parse("b!~\"x\\ny\", a=~c", 15, &m, NULL, 0),
	    0);
	if (m == NULL)
		return;
	CHECK_INT(am_matchers_count(m), 2);
	am_matchers_get(m, 0, &type, &name, &value);
	CHECK_INT(type, AM_MATCH_NOT_REGEXP);
	CHECK_STR(name, "b");
	CHECK_STR(value, "x\ny");
	am_matchers_get(m, 1, &type, &name, &value);
	CHECK_INT(type, AM_MATCH_REGEXP);
	CHECK_STR(name, "a");
	CHECK_STR(value, "c");
	am_matchers_free(m);
}

struct mcase {
	const char	*matchers;
	const char	*labels;
	int		 want;
};

/* Regexes are anchored as "^(?:re)$", textually; absent labels are "". */
TEST(matcher_match)
{
	static const struct mcase c[] = {
		{ "a=~b", "a=b", 1 },
		{ "a=~b", "a=ab", 0 },
		{ "a=~b", "a=bb", 0 },
		{ "a=~\"b|c\"", "a=c", 1 },
		{ "a=~\"b|c\"", "a=bc", 0 },
		{ "a!~\"b|c\"", "a=bc", 1 },
		/* the value is pasted in: ^(?:b)|(c)$ */
		{ "a=~\"b)|(c\"", "a=bxx", 1 },
		{ "a=~\"b)|(c\"", "a=xxc", 1 },
		{ "a=~\"b)|(c\"", "a=xbx", 0 },
		/* absent is the empty string */
		{ "a=~\".*\"", "", 1 },
		{ "a=~\".+\"", "", 0 },
		{ "a!~\".+\"", "", 1 },
		{ "a=\"\"", "b=x", 1 },
		{ "a=\"\"", "a=", 1 },
		{ "a!=\"\"", "", 0 },
		{ "a!=x", "", 1 },
		/* every matcher must match */
		{ "a=x, b=~y.*", "a=x b=yz", 1 },
		{ "a=x, b=~y.*", "a=x b=zy", 0 },
		/* case-insensitive, Unicode */
		{ "o=~\"(?i)zürich.*\"", "o=ZÜRICH-ops", 1 },
		{ "o=~\"(?i)zürich.*\"", "o=zurich", 0 },
		/* the first of two equal names counts */
		{ "a=x", "a=x a=y", 1 },
		{ "a=y", "a=x a=y", 0 },
	};
	struct am_matchers *m;
	struct lset l;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char err[256] = "";

		m = NULL;
		if (am_matchers_parse(c[i].matchers, strlen(c[i].matchers),
		    &m, err, sizeof(err)) != 0) {
			T_FAIL("case %zu: %s: %s", i, c[i].matchers, err);
			continue;
		}
		if (am_matchers_match(m, labels(&l, c[i].labels)) !=
		    c[i].want)
			T_FAIL("case %zu: %s against {%s}: want %d", i,
			    c[i].matchers, c[i].labels, c[i].want);
		am_matchers_free(m);
	}
}

/* '.' is anything but a newline, '$' only the very end, as in RE2. */
TEST(regex_newlines)
{
	static const char *const names[] = { "a" };
	const char *v[1];
	struct am_labels ls = { names, v, 1 };
	struct am_matchers *m = NULL;

	CHECK_INT(am_matchers_parse("a=~\"x.y\"", 8, &m, NULL, 0), 0);
	v[0] = "x\ny";
	CHECK_INT(am_matchers_match(m, &ls), 0);
	v[0] = "x\ry";
	CHECK_INT(am_matchers_match(m, &ls), 1);
	am_matchers_free(m);
	CHECK_INT(am_matchers_parse("a=~\"(?s)x.y\"", 12, &m, NULL, 0), 0);
	v[0] = "x\ny";
	CHECK_INT(am_matchers_match(m, &ls), 1);
	am_matchers_free(m);
	CHECK_INT(am_matchers_parse("a=~\"x$\"", 7, &m, NULL, 0), 0);
	v[0] = "x\n";
	CHECK_INT(am_matchers_match(m, &ls), 0);
	v[0] = "x";
	CHECK_INT(am_matchers_match(m, &ls), 1);
	am_matchers_free(m);
}

/* --- routing --- */

#define RECEIVERS \
	"receivers: [{name: r0}, {name: r1}, {name: r2}, {name: r3}, " \
	"{name: r4}, {name: r5}]\n"

/* Depth first, left to right; a match stops its siblings unless it
 * continues; a route none of whose children match is the match. */
TEST(continue_chains)
{
	struct am_config *c = parse(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - matchers: [a=1]\n"
	    "    receiver: r1\n"
	    "    continue: true\n"
	    "    routes:\n"
	    "    - matchers: [b=1]\n"
	    "      receiver: r2\n"
	    "      continue: true\n"
	    "    - matchers: [c=1]\n"
	    "      receiver: r3\n"
	    "    - matchers: [d=1]\n"
	    "      receiver: r4\n"
	    "  - matchers: [a=~\"1|2\"]\n"
	    "    receiver: r5\n"
	    "  - receiver: r4\n");

	if (c == NULL)
		return;
	CHECK_ROUTE(c, "x=1", "r4");
	CHECK_ROUTE(c, "a=1", "r1,r5");
	CHECK_ROUTE(c, "a=2", "r5");
	CHECK_ROUTE(c, "a=1 b=1", "r2,r5");
	CHECK_ROUTE(c, "a=1 b=1 c=1 d=1", "r2,r3,r5");
	CHECK_ROUTE(c, "a=1 c=1 d=1", "r3,r5");
	CHECK_ROUTE(c, "a=1 d=1", "r4,r5");
	CHECK_INT(am_route_count(c), 7);
	am_config_free(c);

	/* no routes: the root; a continue chain to the end: the root is
	 * not added */
	c = parse(RECEIVERS "route: {receiver: r0}\n");
	if (c != NULL) {
		CHECK_ROUTE(c, "", "r0");
		am_config_free(c);
	}
	c = parse(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - {matchers: [a=1], receiver: r1, continue: true}\n"
	    "  - {matchers: [a=1], receiver: r2, continue: yes}\n");
	if (c != NULL) {
		CHECK_ROUTE(c, "a=1", "r1,r2");
		CHECK_ROUTE(c, "a=2", "r0");
		am_config_free(c);
	}
}

/* am_route writes at most max and says how many there were. */
TEST(route_max)
{
	struct am_config *c = parse(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - {receiver: r1, continue: true}\n"
	    "  - {receiver: r2, continue: true}\n"
	    "  - {receiver: r3, continue: true}\n");
	struct am_route_info out[2];
	struct lset l;

	if (c == NULL)
		return;
	memset(out, 0, sizeof(out));
	CHECK_INT(am_route(c, labels(&l, ""), out, 2), 3);
	CHECK_STR(out[0].receiver, "r1");
	CHECK_STR(out[1].receiver, "r2");
	CHECK_INT(am_route(c, labels(&l, ""), NULL, 0), 3);
	am_config_free(c);
}

/* NewRoute: receiver, timers and group_by from the parent unless set;
 * "..." turns group_by_all on and keeps the inherited list; a list of
 * names turns it off; an empty list inherits; time intervals are not
 * inherited. */
TEST(inheritance)
{
	struct am_config *c = parse(RECEIVERS
	    "time_intervals: [{name: nights}]\n"
	    "mute_time_intervals: [{name: weekends, time_intervals: []}]\n"
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - matchers: [a=1]\n"				/* 1 */
	    "    group_by: [x, y]\n"
	    "    group_wait: 1m\n"
	    "    mute_time_intervals: [weekends]\n"
	    "    routes:\n"
	    "    - matchers: [b=1]\n"				/* 2 */
	    "      receiver: r1\n"
	    "      group_by: ['...']\n"
	    "      repeat_interval: 1h30m\n"
	    "      routes:\n"
	    "      - matchers: [c=1]\n"				/* 3 */
	    "        group_by: []\n"
	    "        active_time_intervals: [nights]\n"
	    "      - matchers: [c=2]\n"				/* 4 */
	    "        group_by: [z]\n"
	    "        group_interval: 10m\n"
	    "        receiver: ''\n"
	    "  - matchers: [a=2]\n"				/* 5 */
	    "    group_wait: 0s\n");
	struct am_route_info r;

	if (c == NULL)
		return;
	CHECK_INT(am_route_count(c), 6);
	am_route_get(c, 0, &r);
	CHECK_STR(r.receiver, "r0");
	CHECK_INT(r.n_group_by, 0);
	CHECK_INT(r.group_by_all, 0);
	CHECK_INT(r.group_wait_ms, 30000);
	CHECK_INT(r.group_interval_ms, 300000);
	CHECK_INT(r.repeat_interval_ms, 4 * 3600000);
	CHECK_INT(r.parent, AM_NO_PARENT);
	CHECK_STR(r.path, "route");
	CHECK_STR(r.key, "{}");
	CHECK_INT(r.n_children, 2);

	am_route_get(c, 1, &r);
	CHECK_STR(r.receiver, "r0");
	CHECK_INT(r.n_group_by, 2);
	if (r.n_group_by == 2) {
		CHECK_STR(r.group_by[0], "x");
		CHECK_STR(r.group_by[1], "y");
	}
	CHECK_INT(r.group_wait_ms, 60000);
	CHECK_INT(r.n_mute_time_intervals, 1);
	CHECK_STR(r.mute_time_intervals[0], "weekends");
	CHECK_STR(r.path, "route.routes[0]");
	CHECK_STR(r.key, "{}/{a=\"1\"}");

	am_route_get(c, 2, &r);
	CHECK_STR(r.receiver, "r1");
	CHECK_INT(r.group_by_all, 1);
	CHECK_INT(r.n_group_by, 2);	/* kept, as Alertmanager keeps it */
	CHECK_INT(r.group_wait_ms, 60000);
	CHECK_INT(r.repeat_interval_ms, 5400000);
	CHECK_INT(r.n_mute_time_intervals, 0);
	CHECK_INT(r.parent, 1);
	CHECK_INT(r.depth, 2);
	CHECK_STR(r.key, "{}/{a=\"1\"}/{b=\"1\"}");

	am_route_get(c, 3, &r);
	CHECK_STR(r.receiver, "r1");
	CHECK_INT(r.group_by_all, 1);
	CHECK_INT(r.repeat_interval_ms, 5400000);
	CHECK_INT(r.n_active_time_intervals, 1);
	CHECK_STR(r.path, "route.routes[0].routes[0].routes[0]");

	am_route_get(c, 4, &r);
	CHECK_STR(r.receiver, "r1");	/* "" does not override */
	CHECK_INT(r.group_by_all, 0);
	CHECK_INT(r.n_group_by, 1);
	CHECK_STR(r.group_by[0], "z");
	CHECK_INT(r.group_interval_ms, 600000);
	CHECK_INT(r.group_wait_ms, 60000);
	CHECK_INT(am_route_child(c, 2, 1), 4);

	am_route_get(c, 5, &r);
	CHECK_INT(r.group_wait_ms, 0);
	CHECK_INT(r.n_group_by, 0);
	CHECK_STR(r.path, "route.routes[1]");

	CHECK_INT(am_time_interval_count(c), 2);
	CHECK_STR(am_time_interval_name(c, 0), "weekends");
	CHECK_STR(am_time_interval_name(c, 1), "nights");
	am_config_free(c);
}

/* Route keys: match, match_re and matchers together, sorted by name, value
 * and type; match_re values as config.Regexp keeps them. The expected key
 * is what `amtool config routes` prints for the same YAML. */
TEST(route_keys)
{
	static const char key[] = "{}/{a=~\"[xy]\\\"\\n?\",a=\"y\\\"\","
	    "a!=\"z\",b=\"x\",c=~\"^(?:d.*)$\",e=\"\\\\\\\\\"}";
	struct am_config *c = parse(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - match: {b: x, a: \"y\\\"\"}\n"
	    "    match_re: {c: 'd.*'}\n"
	    "    matchers: ['a!=z', 'a=~\"[xy]\\\"\\n?\"', "
	    "'e=\"\\\\\\\\\"']\n"
	    "    routes:\n"
	    "    - {}\n");
	struct am_route_info r, out[4];
	struct lset l;
	char full[256];

	if (c == NULL)
		return;
	am_route_get(c, 1, &r);
	CHECK_STR(r.key, key);
	am_route_get(c, 2, &r);
	snprintf(full, sizeof(full), "%s/{}", key);
	CHECK_STR(r.key, full);
	CHECK_STR(r.receiver, "r0");
	CHECK_INT(r.line, 9);
	/* a route without matchers matches everything its parent passes */
	CHECK_INT(am_route(c, labels(&l, "a=y\" b=x c=dd e=\\\\"), out, 4),
	    1);
	CHECK_INT(out[0].id, 2);
	CHECK_INT(am_route(c, labels(&l, "a=y\" b=x c=dd e=\\"), out, 4), 1);
	CHECK_INT(out[0].id, 0);
	am_config_free(c);
}

/* --- configuration --- */

TEST(config_yaml)
{
	struct am_config *c;
	const char *const *kinds;
	size_t n;

	/* "<<" merges, YAML 1.1 booleans, numbers read as strings, ignored
	 * top-level keys, integration kinds */
	c = parse(
	    "global: {resolve_timeout: 5m}\n"
	    "templates: ['x.tmpl']\n"
	    "receivers:\n"
	    "- name: pager\n"
	    "  pagerduty_configs: [{routing_key: x}]\n"
	    "  webhook_configs: [{url: 'http://x'}, {url: 'http://y'}]\n"
	    "  slack_configs: []\n"
	    "  email_configs:\n"
	    "- name: none\n"
	    "- name: r1\n"
	    "  msteams_configs: [{webhook_url: 'http://z'}]\n"
	    "route:\n"
	    "  receiver: none\n"
	    "  routes:\n"
	    "  - &base\n"
	    "    receiver: pager\n"
	    "    group_wait: 1s\n"
	    "    match: {code: 500}\n"
	    "    continue: on\n"
	    "  - <<: *base\n"
	    "    receiver: r1\n"
	    "    continue: No\n");
	if (c == NULL)
		return;
	CHECK_ROUTE(c, "code=500", "pager,r1");
	CHECK_ROUTE(c, "code=5000", "none");
	CHECK_INT(am_receiver_count(c), 3);
	CHECK_INT(am_receiver_find(c, "r1"), 2);
	CHECK_INT(am_receiver_find(c, "r2"), -1);
	kinds = am_receiver_integrations(c, 0, &n);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(kinds[0], "pagerduty");
		CHECK_STR(kinds[1], "webhook");
	}
	am_receiver_integrations(c, 1, &n);
	CHECK_INT(n, 0);
	kinds = am_receiver_integrations(c, 2, &n);
	CHECK_INT(n, 1);
	CHECK_STR(kinds[0], "msteams");
	{
		struct am_route_info r;

		am_route_get(c, 2, &r);
		CHECK_INT(r.group_wait_ms, 1000);
		CHECK_INT(r.cont, 0);
		am_route_get(c, 1, &r);
		CHECK_INT(r.cont, 1);
	}
	am_config_free(c);
}

TEST(config_errors)
{
	PARSE_FAILS("", "no route provided in config");
	PARSE_FAILS("receivers: []\n", "route: no route provided in config");
	PARSE_FAILS("route: [a]\n", "line 1: route: expected a mapping");
	PARSE_FAILS("- a\n", "line 1: top level: expected a mapping");
	PARSE_FAILS("route: {receiver: a\n", "YAML syntax error");
	PARSE_FAILS(RECEIVERS "route: {group_by: [a]}\n",
	    "root route must specify a default receiver");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, matchers: [a=b]}\n",
	    "root route must not have any matchers");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, continue: true}\n",
	    "cannot have continue in root route");
	PARSE_FAILS(RECEIVERS "time_intervals: [{name: t}]\n"
	    "route: {receiver: r0, mute_time_intervals: [t]}\n",
	    "root route must not have any mute time intervals");
	PARSE_FAILS(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - routes:\n"
	    "    - receiver: nope\n",
	    "line 6: route.routes[0].routes[0].receiver: undefined receiver "
	    "\"nope\" used in route");
	PARSE_FAILS(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes: [{active_time_intervals: [t]}]\n",
	    "route.routes[0].active_time_intervals: undefined time interval "
	    "\"t\"");
	PARSE_FAILS("receivers: [{name: a}, {name: a}]\n"
	    "route: {receiver: a}\n",
	    "line 1: receivers[1]: notification config name \"a\" is not "
	    "unique");
	PARSE_FAILS("receivers: [{webhook_configs: []}]\n"
	    "route: {receiver: a}\n", "missing name in receiver");
	PARSE_FAILS("receivers: [{name: a, url: x}]\n",
	    "receivers[0]: unknown key \"url\"");
	PARSE_FAILS("receivers: [{name: a, email_configs: x}]\n",
	    "email_configs: expected a sequence");
	PARSE_FAILS("time_intervals: [{name: t}]\n"
	    "mute_time_intervals: [{name: t}]\n",
	    "line 1: time_intervals[0]: time interval \"t\" is not unique");
	PARSE_FAILS("mute_time_intervals: [{name: t}, {name: u}, {name: u}, "
	    "{name: t}]\n",
	    "mute_time_intervals[2]: mute time interval \"u\" is not unique");
	PARSE_FAILS(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - recevier: r1\n",
	    "line 5: route.routes[0]: unknown key \"recevier\"");
	PARSE_FAILS(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  receiver: r1\n",
	    "line 4: route: key \"receiver\" already set");
	PARSE_FAILS(RECEIVERS
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - matchers:\n"
	    "    - a=b\n"
	    "    - 'a=\"b'\n",
	    "line 7: route.routes[0].matchers[1]: matcher value contains "
	    "unescaped double quote: \"b");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, routes: [{matchers: a=b}]}\n",
	    "route.routes[0].matchers: expected a sequence of strings");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, routes: [{match: {a-b: c}}]}\n",
	    "route.routes[0].match: invalid label name \"a-b\"");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, routes: [{match_re: {a: '(c'}}]}\n",
	    "route.routes[0].match_re: invalid regular expression \"^(?:(c)$\"");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, routes: [{match_re: {a: ~}}]}\n",
	    "route.routes[0].match_re: invalid regexp value for \"a\"");
	PARSE_FAILS(RECEIVERS
	    "x: &m {a: b}\n"
	    "route: {receiver: r0, routes: [{match: {<<: *m, a: c}}]}\n",
	    "key \"a\" already set in map");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, group_by: [a, '...']}\n",
	    "route.group_by: cannot have wildcard group_by");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, group_by: [a, a]}\n",
	    "duplicated label \"a\" in group_by");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, group_by: [a.b]}\n",
	    "invalid label name \"a.b\" in group_by list");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, group_interval: 0}\n",
	    "route.group_interval: group_interval cannot be zero");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, repeat_interval: 0s}\n",
	    "repeat_interval cannot be zero");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, group_wait: 1.5m}\n",
	    "route.group_wait: not a valid duration string: \"1.5m\"");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, group_wait: ''}\n",
	    "empty duration string");
	PARSE_FAILS(RECEIVERS
	    "route: {receiver: r0, routes: [{continue: 'true'}]}\n",
	    "route.routes[0].continue: expected true or false");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0, routes: [~]}\n",
	    "route.routes[0]: expected a mapping, got null");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0}\n"
	    "inhibit_rules: [{equal: [a-b]}]\n",
	    "inhibit_rules[0].equal: \"a-b\" is not a valid label name");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0}\n"
	    "inhibit_rules: [{source_matchers: ['a=\"']}]\n",
	    "inhibit_rules[0].source_matchers[0]: matcher value");
	PARSE_FAILS(RECEIVERS "route: {receiver: r0}\n"
	    "inhibit_rules: [{target_match: {a: b}, severity: x}]\n",
	    "inhibit_rules[0]: unknown key \"severity\"");
	PARSE_FAILS(RECEIVERS "route: {receiver: \"r\\0\"}\n",
	    "route.receiver: holds a NUL byte");
}

/* Aliases cannot make the loader loop or blow up: a route that contains
 * itself hits the depth limit, an alias fan-out the node budget. */
TEST(config_limits)
{
	char *y;
	size_t len = 0, cap = 1 << 16;

	PARSE_FAILS(RECEIVERS "route: &r {receiver: r0, routes: [*r]}\n",
	    "routes nested deeper than 100");
	y = malloc(cap);
	if (y == NULL)
		return;
	len += (size_t)snprintf(y + len, cap - len, RECEIVERS
	    "a0: &a0 [{receiver: r1}, {receiver: r1}]\n");
	for (int i = 1; i < 30; i++)
		len += (size_t)snprintf(y + len, cap - len,
		    "a%d: &a%d [{routes: *a%d}, {routes: *a%d}]\n", i, i,
		    i - 1, i - 1);
	snprintf(y + len, cap - len, "route: {receiver: r0, routes: *a29}\n");
	PARSE_FAILS(y, "more than");
	free(y);
}

/* --- inhibition --- */

TEST(inhibit_equal)
{
	struct am_config *c = parse(RECEIVERS
	    "route: {receiver: r0}\n"
	    "inhibit_rules:\n"
	    "- source_matchers: [severity=critical]\n"
	    "  target_matchers: [severity=warning]\n"
	    "  equal: [alertname, cluster]\n"
	    "- source_match: {alertname: ClusterDown}\n"
	    "  source_match_re: {env: 'prod.*'}\n"
	    "  target_match_re: {alertname: '.+'}\n"
	    "  target_match: {env: prod}\n"
	    "  equal: [~]\n");
	struct lset s, t;
	size_t rule = 99;
	const char *const *eq;
	size_t n;

	if (c == NULL)
		return;
	CHECK_INT(am_inhibit_rule_count(c), 2);
	eq = am_inhibit_rule_equal(c, 0, &n);
	CHECK_INT(n, 2);
	CHECK_STR(eq[1], "cluster");
	/* a null equal item is "", never checked by Alertmanager: left out */
	am_inhibit_rule_equal(c, 1, &n);
	CHECK_INT(n, 0);
	CHECK_INT(am_inhibits(c,
	    labels(&s, "severity=critical alertname=A cluster=x"),
	    labels(&t, "severity=warning alertname=A cluster=x"), &rule), 1);
	CHECK_INT(rule, 0);
	/* an equal label absent on both sides is equal */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=critical alertname=A"),
	    labels(&t, "severity=warning alertname=A"), NULL), 1);
	/* absent and "" are the same */
	CHECK_INT(am_inhibits(c,
	    labels(&s, "severity=critical alertname=A cluster="),
	    labels(&t, "severity=warning alertname=A"), NULL), 1);
	/* absent on one side only is not */
	CHECK_INT(am_inhibits(c,
	    labels(&s, "severity=critical alertname=A cluster=x"),
	    labels(&t, "severity=warning alertname=A"), NULL), 0);
	CHECK_INT(am_inhibits(c,
	    labels(&s, "severity=critical alertname=A cluster=x"),
	    labels(&t, "severity=warning alertname=A cluster=y"), NULL), 0);
	/* wrong sides */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=warning alertname=A"),
	    labels(&t, "severity=critical alertname=A"), NULL), 0);
	/* the old forms: match and anchored match_re */
	rule = 99;
	CHECK_INT(am_inhibits(c, labels(&s, "alertname=ClusterDown env=prod"),
	    labels(&t, "alertname=X env=prod"), &rule), 1);
	CHECK_INT(rule, 1);
	CHECK_INT(am_inhibits(c, labels(&s, "alertname=ClusterDown env=xprod"),
	    labels(&t, "alertname=X env=prod"), NULL), 0);
	CHECK_INT(am_inhibits(c, labels(&s, "alertname=ClusterDown env=prod"),
	    labels(&t, "env=prod"), NULL), 0);
	am_config_free(c);
}

/* hasEqual's two-sided exclusion: when the target also matches the source
 * side, sources that also match the target side do not count. */
TEST(inhibit_two_sided)
{
	struct am_config *c = parse(RECEIVERS
	    "route: {receiver: r0}\n"
	    "inhibit_rules:\n"
	    "- source_matchers: ['severity=~\"critical|warning\"']\n"
	    "  target_matchers: ['severity=~\"warning|info\"']\n");
	struct lset s, t;

	if (c == NULL)
		return;
	/* warning matches both sides: another warning cannot inhibit it */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=warning a=1"),
	    labels(&t, "severity=warning a=2"), NULL), 0);
	/* nor itself */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=warning"),
	    labels(&t, "severity=warning"), NULL), 0);
	/* a critical, which is no target, can */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=critical"),
	    labels(&t, "severity=warning"), NULL), 1);
	/* info is no source: a warning inhibits it */
	CHECK_INT(am_inhibits(c, labels(&s, "severity=warning"),
	    labels(&t, "severity=info"), NULL), 1);
	CHECK_INT(am_inhibit_sides(c, 0, labels(&s, "severity=warning")),
	    AM_INHIBIT_SOURCE | AM_INHIBIT_TARGET);
	CHECK_INT(am_inhibit_sides(c, 0, labels(&s, "severity=critical")),
	    AM_INHIBIT_SOURCE);
	CHECK_INT(am_inhibit_sides(c, 0, labels(&s, "severity=info")),
	    AM_INHIBIT_TARGET);
	CHECK_INT(am_inhibit_sides(c, 0, labels(&s, "")), 0);
	am_config_free(c);
}

/* --- time intervals --- */

/* Unix milliseconds of "YYYY-MM-DD HH:MM" read as UTC. */
static int64_t
utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min) != 5)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000;
}

/* The route at path muted at the UTC time s. */
static int
muted_at(const struct am_config *c, size_t id, const char *s)
{
	return am_route_muted(c, id, utc(s));
}

#define CHECK_MUTED(c, id, s, want) do {				\
	int t_m = muted_at(c, id, s);					\
	if (t_m != (want))						\
		T_FAIL("route %d at %s: muted %d, want %d", (int)(id),	\
		    s, t_m, (int)(want));				\
} while (0)

/* 09:00-17:00 Monday to Friday in Europe/Berlin, as an active interval:
 * 08:00Z to 16:00Z in winter (CET), 07:00Z to 15:00Z in summer (CEST),
 * across the changes of 2025-03-30 and 2025-10-26. The end is
 * excluded. */
TEST(muted_business_hours_berlin)
{
	struct am_config *c = parse(RECEIVERS
	    "time_intervals:\n"
	    "- name: business\n"
	    "  time_intervals:\n"
	    "  - weekdays: ['Monday:FRIDAY']\n"
	    "    times: [{start_time: '09:00', end_time: '17:00'}]\n"
	    "    location: Europe/Berlin\n"
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - {receiver: r1, active_time_intervals: [business]}\n");

	if (c == NULL)
		return;
	/* the root has no intervals */
	CHECK_MUTED(c, 0, "2025-03-30 03:00", 0);
	/* Friday 2025-03-28, CET */
	CHECK_MUTED(c, 1, "2025-03-28 07:59", 1);
	CHECK_MUTED(c, 1, "2025-03-28 08:00", 0);
	CHECK_MUTED(c, 1, "2025-03-28 15:59", 0);
	CHECK_MUTED(c, 1, "2025-03-28 16:00", 1);
	/* Sunday 2025-03-30, the change: a weekend day */
	CHECK_MUTED(c, 1, "2025-03-30 10:00", 1);
	/* Monday 2025-03-31, CEST */
	CHECK_MUTED(c, 1, "2025-03-31 06:59", 1);
	CHECK_MUTED(c, 1, "2025-03-31 07:00", 0);
	CHECK_MUTED(c, 1, "2025-03-31 14:59", 0);
	CHECK_MUTED(c, 1, "2025-03-31 15:00", 1);
	/* Friday 2025-10-24, CEST */
	CHECK_MUTED(c, 1, "2025-10-24 07:00", 0);
	CHECK_MUTED(c, 1, "2025-10-24 15:00", 1);
	/* Monday 2025-10-27, CET again */
	CHECK_MUTED(c, 1, "2025-10-27 07:00", 1);
	CHECK_MUTED(c, 1, "2025-10-27 07:59", 1);
	CHECK_MUTED(c, 1, "2025-10-27 08:00", 0);
	CHECK_MUTED(c, 1, "2025-10-27 15:59", 0);
	CHECK_MUTED(c, 1, "2025-10-27 16:00", 1);
	/* Friday 23:30Z is Saturday in Berlin */
	CHECK_MUTED(c, 1, "2025-10-24 23:30", 1);
	/* Sunday 23:30Z in winter is Monday 00:30 in Berlin: a weekday,
	 * but outside the hours */
	CHECK_MUTED(c, 1, "2025-11-02 23:30", 1);
	/* far ahead, from the zone file's footer rule: Monday 2036-03-31
	 * (CEST: the change was 2036-03-30) */
	CHECK_MUTED(c, 1, "2036-03-31 06:59", 1);
	CHECK_MUTED(c, 1, "2036-03-31 07:00", 0);
	am_config_free(c);
}

/* Negative days_of_month count from the month's end; ranges are clamped
 * to the month. Without a location, UTC. */
TEST(muted_days_of_month)
{
	struct am_config *c = parse(RECEIVERS
	    "mute_time_intervals:\n"
	    "- name: last\n"
	    "  time_intervals: [{days_of_month: ['-1']}]\n"
	    "- name: late\n"
	    "  time_intervals: [{days_of_month: ['25:31']}]\n"
	    "- name: first3\n"
	    "  time_intervals: [{days_of_month: ['-31:-29']}]\n"
	    "- name: endberlin\n"
	    "  time_intervals: [{days_of_month: ['-1'], "
	    "location: Europe/Berlin}]\n"
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - {receiver: r1, mute_time_intervals: [last]}\n"	/* 1 */
	    "  - {receiver: r2, mute_time_intervals: [late]}\n"	/* 2 */
	    "  - {receiver: r3, mute_time_intervals: [first3]}\n"	/* 3 */
	    "  - {receiver: r4, mute_time_intervals: [endberlin]}\n");	/* 4 */

	if (c == NULL)
		return;
	CHECK_MUTED(c, 1, "2025-01-31 12:00", 1);
	CHECK_MUTED(c, 1, "2025-01-30 23:59", 0);
	CHECK_MUTED(c, 1, "2025-02-28 00:00", 1);
	CHECK_MUTED(c, 1, "2024-02-28 12:00", 0);
	CHECK_MUTED(c, 1, "2024-02-29 12:00", 1);
	CHECK_MUTED(c, 1, "2025-04-30 12:00", 1);
	CHECK_MUTED(c, 1, "2025-05-01 00:00", 0);
	/* 25:31 in February: 25 to 28 */
	CHECK_MUTED(c, 2, "2025-02-24 12:00", 0);
	CHECK_MUTED(c, 2, "2025-02-25 12:00", 1);
	CHECK_MUTED(c, 2, "2025-02-28 12:00", 1);
	CHECK_MUTED(c, 2, "2025-03-31 12:00", 1);
	/* -31:-29 is days 1 to 3 of a 31-day month, 1 and 2 of a 30-day
	 * one, none of February (-2:0 once clamped) */
	CHECK_MUTED(c, 3, "2025-01-03 12:00", 1);
	CHECK_MUTED(c, 3, "2025-01-04 12:00", 0);
	CHECK_MUTED(c, 3, "2025-04-02 12:00", 1);
	CHECK_MUTED(c, 3, "2025-04-03 12:00", 0);
	CHECK_MUTED(c, 3, "2025-02-01 12:00", 0);
	/* Alertmanager 0.25's month length is the hours from the first's
	 * local midnight to the next first's, divided by 24: March in
	 * Berlin has 743 h, so 30 days, and its last day (-1) is March 30 */
	CHECK_MUTED(c, 4, "2025-03-30 10:00", 1);
	CHECK_MUTED(c, 4, "2025-03-31 10:00", 0);
	/* October has 745 h: 31 days */
	CHECK_MUTED(c, 4, "2025-10-30 10:00", 0);
	CHECK_MUTED(c, 4, "2025-10-31 10:00", 1);
	/* the day is Berlin's: 2025-04-30 22:30Z is May 1 there */
	CHECK_MUTED(c, 4, "2025-04-30 21:59", 1);
	CHECK_MUTED(c, 4, "2025-04-30 22:00", 0);
	am_config_free(c);
}

/* Months by name or number, years, times ending at 24:00, several
 * intervals (any contains), mute and active on one route, empty and null
 * lists, and no inheritance. */
TEST(muted_fields)
{
	struct am_config *c = parse(RECEIVERS
	    "time_intervals:\n"
	    "- name: summer\n"
	    "  time_intervals:\n"
	    "  - months: ['may:August']\n"
	    "    years: ['2024:2025']\n"
	    "  - months: ['12', 'january']\n"
	    "    years: ['2030']\n"
	    "- name: nights\n"
	    "  time_intervals:\n"
	    "  - times: [{start_time: '22:00', end_time: '24:00'}, "
	    "{start_time: '00:00', end_time: '06:00'}]\n"
	    "- name: never\n"
	    "  time_intervals: [{weekdays: []}]\n"
	    "- name: none\n"
	    "  time_intervals: []\n"
	    "- name: always\n"
	    "  time_intervals: [~]\n"
	    "- name: xmas\n"
	    "  time_intervals:\n"
	    "  - {months: [december], days_of_month: ['24:26']}\n"
	    "- name: nullday\n"
	    "  time_intervals: [{weekdays: [~], days_of_month: [~, '-1']}]\n"
	    "route:\n"
	    "  receiver: r0\n"
	    "  routes:\n"
	    "  - receiver: r1\n"					/* 1 */
	    "    mute_time_intervals: [summer]\n"
	    "    routes: [{receiver: r2}]\n"				/* 2 */
	    "  - {receiver: r3, active_time_intervals: [nights]}\n"	/* 3 */
	    "  - {receiver: r4, mute_time_intervals: [never, none]}\n"	/* 4 */
	    "  - {receiver: r5, mute_time_intervals: [always]}\n"	/* 5 */
	    "  - {receiver: r5, active_time_intervals: [never]}\n"	/* 6 */
	    "  - receiver: r5\n"					/* 7 */
	    "    active_time_intervals: [nights]\n"
	    "    mute_time_intervals: [xmas]\n"
	    "  - {receiver: r5, mute_time_intervals: [nullday]}\n");	/* 8 */

	if (c == NULL)
		return;
	CHECK_INT(am_route_count(c), 9);
	CHECK_MUTED(c, 1, "2024-04-30 23:59", 0);
	CHECK_MUTED(c, 1, "2024-05-01 00:00", 1);
	CHECK_MUTED(c, 1, "2025-08-31 23:59", 1);
	CHECK_MUTED(c, 1, "2025-09-01 00:00", 0);
	CHECK_MUTED(c, 1, "2026-06-01 00:00", 0);
	CHECK_MUTED(c, 1, "2030-01-15 00:00", 1);
	CHECK_MUTED(c, 1, "2030-12-15 00:00", 1);
	CHECK_MUTED(c, 1, "2030-11-15 00:00", 0);
	CHECK_MUTED(c, 1, "2031-01-15 00:00", 0);
	/* a child does not inherit its parent's intervals */
	CHECK_MUTED(c, 2, "2024-06-01 00:00", 0);
	/* 22:00 to the end of the day, 00:00 to 06:00 */
	CHECK_MUTED(c, 3, "2025-06-01 21:59", 1);
	CHECK_MUTED(c, 3, "2025-06-01 22:00", 0);
	CHECK_MUTED(c, 3, "2025-06-01 23:59", 0);
	CHECK_MUTED(c, 3, "2025-06-02 00:00", 0);
	CHECK_MUTED(c, 3, "2025-06-02 05:59", 0);
	CHECK_MUTED(c, 3, "2025-06-02 06:00", 1);
	/* an empty list holds nothing; a null interval everything */
	CHECK_MUTED(c, 4, "2025-06-02 06:00", 0);
	CHECK_MUTED(c, 5, "2025-06-02 06:00", 1);
	CHECK_MUTED(c, 6, "2025-06-02 06:00", 1);
	/* active at night, but muted at Christmas */
	CHECK_MUTED(c, 7, "2025-12-23 23:00", 0);
	CHECK_MUTED(c, 7, "2025-12-24 23:00", 1);
	CHECK_MUTED(c, 7, "2025-12-24 12:00", 1);
	CHECK_MUTED(c, 7, "2025-12-27 01:00", 0);
	/* a null weekday is Go's zero range, sunday:sunday; a null day of
	 * the month 0:0, no day: Sunday 2025-08-31 is the last day */
	CHECK_MUTED(c, 8, "2025-08-31 12:00", 1);
	CHECK_MUTED(c, 8, "2025-08-30 12:00", 0);
	CHECK_MUTED(c, 8, "2025-09-28 12:00", 0);
	am_config_free(c);
}

/* What Alertmanager 0.25 refuses in a time interval, in its words. */
TEST(time_interval_errors)
{
#define TI(x) RECEIVERS "route: {receiver: r0}\n" \
	"time_intervals:\n- name: t\n  time_intervals:\n" x
	PARSE_FAILS(TI("  - weekdays: ['friday:monday']\n"),
	    "line 6: time_intervals[0].time_intervals[0].weekdays[0]: start "
	    "day cannot be before end day");
	PARSE_FAILS(TI("  - weekdays: [funday]\n"),
	    "weekdays[0]: funday is not a valid weekday");
	PARSE_FAILS(TI("  - weekdays: ['1']\n"), "1 is not a valid weekday");
	PARSE_FAILS(TI("  - weekdays: ['monday:tuesday:friday']\n"),
	    "couldn't parse range monday:tuesday:friday, invalid format");
	PARSE_FAILS(TI("  - days_of_month: ['0']\n"),
	    "0 is not a valid day of the month: out of range");
	PARSE_FAILS(TI("  - days_of_month: ['1:32']\n"),
	    "32 is not a valid day of the month: out of range");
	PARSE_FAILS(TI("  - days_of_month: ['-5:5']\n"),
	    "end day must be negative if start day is negative");
	PARSE_FAILS(TI("  - days_of_month: ['10:5']\n"),
	    "end day 5 is always before start day 10");
	PARSE_FAILS(TI("  - days_of_month: ['27:-3']\n"),
	    "end day -3 is always before start day 27");
	PARSE_FAILS(TI("  - days_of_month: ['first']\n"),
	    "strconv.Atoi: parsing \"first\": invalid syntax");
	PARSE_FAILS(TI("  - days_of_month: ['99999999999999999999']\n"),
	    "value out of range");
	PARSE_FAILS(TI("  - months: ['december:january']\n"),
	    "end month january is before start month december");
	PARSE_FAILS(TI("  - months: ['13:1']\n"),
	    "end month january is before start month ");
	PARSE_FAILS(TI("  - months: [smarch]\n"), "smarch is not a valid month");
	PARSE_FAILS(TI("  - years: ['2025:2024']\n"),
	    "end year 2024 is before start year 2025");
	PARSE_FAILS(TI("  - years: ['twenty']\n"),
	    "strconv.Atoi: parsing \"twenty\": invalid syntax");
	PARSE_FAILS(TI("  - times: [{start_time: '09:00'}]\n"),
	    "times[0]: both start and end times must be provided");
	PARSE_FAILS(TI("  - times: [{start_time: '9:00', end_time: '17:00'}]\n"),
	    "couldn't parse timestamp 9:00, invalid format");
	PARSE_FAILS(TI("  - times: [{start_time: '09:00', end_time: '24:01'}]\n"),
	    "couldn't parse timestamp 24:01, invalid format");
	PARSE_FAILS(TI("  - times: [{start_time: '17:00', end_time: '09:00'}]\n"),
	    "start time cannot be equal or greater than end time");
	PARSE_FAILS(TI("  - times: [{start_time: '09:00', end_time: '09:00'}]\n"),
	    "start time cannot be equal or greater than end time");
	PARSE_FAILS(TI("  - times: [{start_time: '09:00', end: '10:00'}]\n"),
	    "times[0]: unknown key \"end\"");
	PARSE_FAILS(TI("  - location: Mars/Olympus_Mons\n"),
	    "time_intervals[0].time_intervals[0].location: unknown time zone "
	    "Mars/Olympus_Mons");
	PARSE_FAILS(TI("  - location: ../../etc/passwd\n"),
	    "location: time: invalid location name");
	PARSE_FAILS(TI("  - location: /etc/localtime\n"),
	    "location: time: invalid location name");
	PARSE_FAILS(TI("  - weekday: [monday]\n"),
	    "time_intervals[0].time_intervals[0]: unknown key \"weekday\"");
	PARSE_FAILS(TI("  - weekdays: monday\n"),
	    "weekdays: expected a sequence, got a scalar");
	/* the content is read before the name */
	PARSE_FAILS("time_intervals: [{time_intervals: [{years: [x]}]}]\n",
	    "strconv.Atoi");
	PARSE_FAILS("mute_time_intervals: [{time_intervals: [~]}]\n",
	    "mute_time_intervals[0]: missing name in mute time interval");
#undef TI
}

/* Validation against Alertmanager's own: `amtool check-config` accepts or
 * refuses each interval as we do, with the same reason where ours is
 * Alertmanager's text. */
TEST(time_interval_amtool)
{
	static const struct {
		const char	*ti;	/* the TimeInterval, a flow mapping */
		int		 same_text;
	} cases[] = {
		{ "{weekdays: ['Monday:Friday', sunday], times: [{start_time: "
		    "'00:00', end_time: '24:00'}]}", 1 },
		{ "{days_of_month: ['-3:-1', '1', '5:-1', '+7', '07'], months: "
		    "['13', '0:2', 'MAY:july'], years: ['-5:2025', '0']}", 1 },
		{ "{weekdays: [~], days_of_month: [~], months: [~], times: [~], "
		    "location: ~}", 1 },
		{ "{location: ''}", 1 },
		{ "{location: 'Local'}", 1 },
		{ "{location: 'UTC'}", 1 },
		{ "{location: 'Asia/Kolkata'}", 1 },
		{ "{location: 'utc'}", 1 },
		{ "{location: 'Europe'}", 1 },
		{ "{location: 'Europe/Berlin/x'}", 1 },
		{ "{location: 'zone.tab'}", 0 },
		{ "{location: 'Nowhere/Land'}", 1 },
		{ "{location: 'Europe/../UTC'}", 1 },
		{ "{weekdays: ['saturday:sunday']}", 1 },
		{ "{weekdays: ['mon']}", 1 },
		{ "{weekdays: ['monday:']}", 1 },
		{ "{weekdays: [':']}", 1 },
		{ "{days_of_month: ['-32']}", 1 },
		{ "{days_of_month: ['-1:-2']}", 1 },
		{ "{days_of_month: ['-28:-1', '1:31', '-31:31']}", 1 },
		{ "{days_of_month: ['29:1']}", 1 },
		{ "{days_of_month: ['1 ']}", 1 },
		{ "{days_of_month: ['']}", 1 },
		{ "{months: ['12:11']}", 1 },
		{ "{months: ['1:december', '-4', '99']}", 1 },
		{ "{months: ['decembre']}", 1 },
		{ "{years: ['2020:2019']}", 1 },
		{ "{years: ['2020:x']}", 1 },
		{ "{times: [{start_time: '23:59', end_time: '24:00'}]}", 1 },
		{ "{times: [{start_time: '00:00', end_time: '00:00'}]}", 1 },
		{ "{times: [{start_time: '12:60', end_time: '13:00'}]}", 1 },
		{ "{times: [{start_time: '25:00', end_time: '26:00'}]}", 1 },
		{ "{times: [{start_time: '1:00', end_time: '2:00'}]}", 1 },
		{ "{times: [{end_time: '2:00'}]}", 1 },
		{ "{times: [{start_time: '01:00', end_time: '02:00', x: 1}]}", 0 },
		{ "{times: [{start_time: [a], end_time: '02:00'}]}", 0 },
		{ "{weekdays: monday}", 0 },
		{ "{weekdays: [[monday]]}", 0 },
		{ "{hours: [1]}", 0 },
		{ "{weekdays: ['MONDAY:Sunday']}", 1 },
		{ "{weekdays: ['monday:sunday:']}", 1 },
		{ "{days_of_month: ['1:-1', '-7:-7', '+1:+2']}", 1 },
		{ "{days_of_month: ['--1']}", 1 },
		{ "{days_of_month: [1, -1]}", 1 },
		{ "{years: ['9223372036854775807', '-9223372036854775808']}", 1 },
		{ "{years: ['9223372036854775808']}", 1 },
		{ "{times: [{start_time: '09:00', end_time: ~}]}", 1 },
		{ "{times: [{start_time: '24:00', end_time: '24:00'}]}", 1 },
		{ "{times: [{start_time: ' 09:00', end_time: '10:00'}]}", 1 },
		{ "{times: [{start_time: 09:00, end_time: 10:00}]}", 1 },
		{ "{location: 5}", 1 },
		{ "{location: [x]}", 0 },
	};
	char path[] = "/tmp/test_amroute_tiXXXXXX";
	int fd;

	if (access(AMTOOL, X_OK) != 0) {
		printf("skip: %s not installed, interval check skipped\n",
		    AMTOOL);
		return;
	}
	if ((fd = mkstemp(path)) < 0) {
		T_FAIL("mkstemp failed");
		return;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024], err[512] = "", cmd[256], out[2048] = "";
		struct am_config *c = NULL;
		const char *what;
		int ours, theirs;
		size_t got = 0;
		FILE *fp;

		snprintf(yaml, sizeof(yaml), "receivers: [{name: r}]\n"
		    "route: {receiver: r}\n"
		    "time_intervals: [{name: t, time_intervals: [%s]}]\n",
		    cases[i].ti);
		ours = am_config_parse(yaml, strlen(yaml), &c, err,
		    sizeof(err)) == 0;
		am_config_free(c);
		if ((fp = fopen(path, "w")) == NULL) {
			T_FAIL("cannot write %s", path);
			break;
		}
		fputs(yaml, fp);
		fclose(fp);
		snprintf(cmd, sizeof(cmd), AMTOOL " check-config %s 2>&1",
		    path);
		if ((fp = popen(cmd, "r")) == NULL) {
			T_FAIL("popen amtool failed");
			break;
		}
		got = fread(out, 1, sizeof(out) - 1, fp);
		out[got] = '\0';
		theirs = pclose(fp) == 0;
		if (ours != theirs) {
			T_FAIL("%s: ours %s (%s), amtool %s: %s", cases[i].ti,
			    ours ? "accepts" : "refuses", err,
			    theirs ? "accepts" : "refuses", out);
			continue;
		}
		if (ours || !cases[i].same_text)
			continue;
		/* "line N: key: what" */
		what = strstr(err, ": ");
		what = what != NULL ? strstr(what + 2, ": ") : NULL;
		if (what == NULL || strstr(out, what + 2) == NULL)
			T_FAIL("%s: ours \"%s\", amtool: %s", cases[i].ti, err,
			    out);
	}
	unlink(path);
}

/* --- receivers --- */

TEST(send_resolved)
{
	struct am_config *c = parse(
	    "receivers:\n"
	    "- name: hook\n"
	    "  webhook_configs: [{url: 'http://x'}]\n"
	    "- name: mail\n"
	    "  email_configs: [{to: a@b}]\n"
	    "  webhook_configs: [{url: 'http://x', send_resolved: true}]\n"
	    "- name: slack_on\n"
	    "  slack_configs: [{channel: x, send_resolved: yes}, "
	    "{channel: y}]\n"
	    "- name: pd_off\n"
	    "  pagerduty_configs: [{send_resolved: false}]\n"
	    "- name: nobody\n"
	    "- name: empty_first\n"
	    "  webhook_configs: []\n"
	    "  wechat_configs: [~]\n"
	    "- name: merged\n"
	    "  opsgenie_configs: [{<<: {send_resolved: false}, "
	    "api_key: k}]\n"
	    "- name: teams\n"
	    "  msteams_configs: [{}]\n"
	    "- name: later\n"
	    "  rocketchat_configs: [{}]\n"
	    "- name: other\n"
	    "  carrier_pigeon_configs: [{}]\n"
	    "- name: kinds\n"
	    "  discord_configs: [{}]\n"
	    "  pushover_configs: [{}]\n"
	    "route: {receiver: hook}\n");
	static const struct {
		const char	*name;
		int		 want;
	} want[] = {
		{ "hook", 1 }, { "mail", 0 }, { "slack_on", 1 },
		{ "pd_off", 0 }, { "nobody", -1 }, { "empty_first", 0 },
		{ "merged", 0 }, { "teams", 1 }, { "later", 0 },
		{ "other", 1 }, { "kinds", 1 },
	};
	static const char *const kinds[][2] = {
		{ "pagerduty", "1" }, { "opsgenie", "1" }, { "victorops", "1" },
		{ "pushover", "1" }, { "telegram", "1" }, { "discord", "1" },
		{ "webex", "1" }, { "sns", "1" }, { "webhook", "1" },
		{ "email", "0" }, { "slack", "0" }, { "wechat", "0" },
	};

	if (c == NULL)
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		long r = am_receiver_find(c, want[i].name);

		CHECK(r >= 0);
		if (r >= 0 && am_receiver_send_resolved(c, (size_t)r) !=
		    want[i].want)
			T_FAIL("%s: send_resolved %d, want %d", want[i].name,
			    am_receiver_send_resolved(c, (size_t)r),
			    want[i].want);
	}
	am_config_free(c);

	/* each kind's default, alone in its receiver */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char yaml[256];

		snprintf(yaml, sizeof(yaml), "receivers: [{name: r, "
		    "%s_configs: [{}]}]\nroute: {receiver: r}\n", kinds[i][0]);
		if ((c = parse(yaml)) == NULL)
			continue;
		if (am_receiver_send_resolved(c, 0) != atoi(kinds[i][1]))
			T_FAIL("%s: send_resolved %d, want %s", kinds[i][0],
			    am_receiver_send_resolved(c, 0), kinds[i][1]);
		am_config_free(c);
	}

	PARSE_FAILS("receivers: [{name: r, webhook_configs: [{url: x}, "
	    "{send_resolved: maybe}]}]\nroute: {receiver: r}\n",
	    "line 1: receivers[0].webhook_configs[1].send_resolved: expected "
	    "true or false");
	PARSE_FAILS("receivers: [{name: r, webhook_configs: [x]}]\n"
	    "route: {receiver: r}\n",
	    "receivers[0].webhook_configs[0]: expected a mapping, got a "
	    "scalar");
	PARSE_FAILS("receivers: [{name: r, webhook_configs: [{send_resolved: "
	    "true, send_resolved: false}]}]\nroute: {receiver: r}\n",
	    "key \"send_resolved\" already set");
}

/* --- inhibit rule safety --- */

/* am_inhibit_unsafe over label sets written "a=b c=d; a=e ...". */
static int
unsafe(const struct am_config *c, const char *sets, char *why, size_t size)
{
	static struct lset l[64];
	struct am_labels ls[64];
	char buf[4096], *p, *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", sets);
	for (p = strtok_r(buf, ";", &save); p != NULL && n < 64;
	    p = strtok_r(NULL, ";", &save))
		ls[n] = *labels(&l[n], p), n++;
	return am_inhibit_unsafe(c, ls, n, why, size);
}

#define RULES(x) RECEIVERS "route: {receiver: r0}\ninhibit_rules:\n" x

TEST(inhibit_unsafe_mirror)
{
	struct am_config *c = parse(RULES(
	    "- source_matchers: [alertname=DiskFull]\n"
	    "  target_matchers: [alertname=BackupFailed]\n"
	    "  equal: [cluster]\n"
	    "- source_matchers: [alertname=BackupFailed]\n"
	    "  target_matchers: [alertname=DiskFull]\n"
	    "  equal: [cluster]\n"));
	char why[512];

	if (c == NULL)
		return;
	CHECK_INT(unsafe(c, "alertname=DiskFull cluster=a; "
	    "alertname=BackupFailed cluster=a", why, sizeof(why)), 1);
	CHECK_STR(why, "alerts can mute each other: {alertname=\"DiskFull\","
	    "cluster=\"a\"} mutes {alertname=\"BackupFailed\",cluster=\"a\"} "
	    "(inhibit rule 0), which mutes {alertname=\"DiskFull\","
	    "cluster=\"a\"} (inhibit rule 1)");
	/* in different clusters they cannot */
	CHECK_INT(unsafe(c, "alertname=DiskFull cluster=a; "
	    "alertname=BackupFailed cluster=b", why, sizeof(why)), 0);
	CHECK_STR(why, "");
	/* one of them alone is no risk */
	CHECK_INT(unsafe(c, "alertname=DiskFull cluster=a; "
	    "alertname=DiskFull cluster=b", why, sizeof(why)), 0);
	/* the reason is cut to the buffer */
	CHECK_INT(unsafe(c, "alertname=DiskFull cluster=a; "
	    "alertname=BackupFailed cluster=a", why, 10), 1);
	CHECK_STR(why, "alerts ca");
	CHECK_INT(unsafe(c, "alertname=DiskFull cluster=a; "
	    "alertname=BackupFailed cluster=a", NULL, 0), 1);
	am_config_free(c);
}

TEST(inhibit_unsafe_cycle)
{
	struct am_config *c = parse(RULES(
	    "- source_matchers: [alertname=A]\n"
	    "  target_matchers: [alertname=B]\n"
	    "  equal: [cluster]\n"
	    "- source_matchers: [alertname=B]\n"
	    "  target_matchers: [alertname=C]\n"
	    "  equal: [cluster]\n"
	    "- source_matchers: [alertname=C]\n"
	    "  target_matchers: ['alertname=~\"A|D\"']\n"
	    "  equal: [cluster]\n"));
	char why[512];

	if (c == NULL)
		return;
	/* A -> B -> C -> A */
	CHECK_INT(unsafe(c, "alertname=X cluster=a; alertname=A cluster=a; "
	    "alertname=B cluster=a; alertname=C cluster=a", why,
	    sizeof(why)), 1);
	CHECK_STR(why, "alerts can mute each other: {alertname=\"A\","
	    "cluster=\"a\"} mutes {alertname=\"B\",cluster=\"a\"} (inhibit "
	    "rule 0), which mutes {alertname=\"C\",cluster=\"a\"} (inhibit "
	    "rule 1), which mutes {alertname=\"A\",cluster=\"a\"} (inhibit "
	    "rule 2)");
	/* a chain is no cycle: B -> C -> D */
	CHECK_INT(unsafe(c, "alertname=B cluster=a; alertname=C cluster=a; "
	    "alertname=D cluster=a", why, sizeof(why)), 0);
	/* nor the cycle's edges in different clusters: A -> B in a, C -> A
	 * in b */
	CHECK_INT(unsafe(c, "alertname=A cluster=a; alertname=B cluster=a; "
	    "alertname=C cluster=b; alertname=A cluster=b", why,
	    sizeof(why)), 0);
	am_config_free(c);
}

TEST(inhibit_unsafe_missing_equal)
{
	struct am_config *c = parse(RULES(
	    "- source_matchers: [severity=critical]\n"
	    "  target_matchers: [severity=warning]\n"
	    "  equal: [alertname, cluster]\n"));
	char why[512];

	if (c == NULL)
		return;
	CHECK_INT(unsafe(c, "alertname=X severity=critical cluster=a; "
	    "alertname=X severity=warning cluster=a; alertname=X "
	    "severity=critical", why, sizeof(why)), 1);
	CHECK_STR(why, "inhibit rule 0: equal label \"cluster\" is absent "
	    "from source alert {alertname=\"X\",severity=\"critical\"}, which "
	    "then matches every alert without it");
	/* "" is absent */
	CHECK_INT(unsafe(c, "alertname=X severity=warning cluster=", why,
	    sizeof(why)), 1);
	CHECK_CONTAINS(why, "absent from target alert "
	    "{alertname=\"X\",severity=\"warning\"}");
	/* an alert on neither side may lack it */
	CHECK_INT(unsafe(c, "alertname=X severity=critical cluster=a; "
	    "alertname=Y severity=info", why, sizeof(why)), 0);
	am_config_free(c);
}

/* The usual rule, and an overlapping one whose two-sided exclusion keeps
 * warnings from muting each other; then a few thousand identities. */
TEST(inhibit_unsafe_safe)
{
	struct am_config *c = parse(RULES(
	    "- source_matchers: [severity=critical]\n"
	    "  target_matchers: [severity=warning]\n"
	    "  equal: [alertname, cluster]\n"
	    "- source_matchers: ['severity=~\"critical|warning\"']\n"
	    "  target_matchers: ['severity=~\"warning|info\"']\n"
	    "  equal: [cluster]\n"));
	static char names[3000][48], values[3000][3][24];
	static const char *np[3000][3], *vp[3000][3];
	static struct am_labels ls[3000];
	struct timespec t0, t1;
	char why[512];

	if (c == NULL)
		return;
	CHECK_INT(unsafe(c, "alertname=X severity=critical cluster=a; "
	    "alertname=X severity=warning cluster=a; "
	    "alertname=X severity=critical cluster=b; "
	    "alertname=X severity=warning cluster=b; "
	    "alertname=Y severity=warning cluster=a; "
	    "alertname=Y severity=info cluster=a", why, sizeof(why)), 0);
	CHECK_STR(why, "");
	/* 3000 identities in one cluster: a million edges, no cycle */
	for (size_t i = 0; i < 3000; i++) {
		snprintf(names[i], sizeof(names[i]), "alertname");
		snprintf(values[i][0], sizeof(values[i][0]), "A%zu", i % 100);
		snprintf(values[i][1], sizeof(values[i][1]), "%s",
		    i % 3 == 0 ? "critical" : i % 3 == 1 ? "warning" : "info");
		snprintf(values[i][2], sizeof(values[i][2]), "c%zu", i / 1500);
		np[i][0] = names[i];
		np[i][1] = "severity";
		np[i][2] = "cluster";
		for (int k = 0; k < 3; k++)
			vp[i][k] = values[i][k];
		ls[i].names = np[i];
		ls[i].values = vp[i];
		ls[i].n = 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(am_inhibit_unsafe(c, ls, 3000, why, sizeof(why)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  3000 identities: %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* a mirror rule added to the same identities is found */
	am_config_free(c);
	c = parse(RULES(
	    "- source_matchers: [severity=critical]\n"
	    "  target_matchers: [severity=warning]\n"
	    "  equal: [alertname, cluster]\n"
	    "- source_matchers: [severity=warning]\n"
	    "  target_matchers: [severity=critical]\n"
	    "  equal: [cluster]\n"));
	if (c == NULL)
		return;
	CHECK_INT(am_inhibit_unsafe(c, ls, 3000, why, sizeof(why)), 1);
	CHECK_CONTAINS(why, "alerts can mute each other: ");
	am_config_free(c);
}
#undef RULES

/* --- the differential test against amtool --- */

/* Appends s to the command, single-quoted for sh. */
static void
sh_quote(char *cmd, size_t size, const char *s)
{
	size_t len = strlen(cmd);

	if (len + 1 < size)
		cmd[len++] = '\'';
	for (; *s != '\0' && len + 5 < size; s++) {
		if (*s == '\'') {
			memcpy(cmd + len, "'\\''", 4);
			len += 4;
		} else
			cmd[len++] = *s;
	}
	if (len + 1 < size)
		cmd[len++] = '\'';
	cmd[len] = '\0';
}

/* The amtool command routing g: each label as name="value" with \ " and
 * newline escaped, as labels.ParseMatcher reads them. */
static void
amtool_command(const struct gset *g, char *cmd, size_t size)
{
	snprintf(cmd, size, "%s config routes test --tree --config.file=%s",
	    AMTOOL, TREE);
	for (size_t i = 0; i < g->ls.n; i++) {
		char arg[512];
		size_t n;

		n = (size_t)snprintf(arg, sizeof(arg), "%s=\"", g->names[i]);
		for (const char *v = g->values[i]; *v != '\0' &&
		    n + 4 < sizeof(arg); v++) {
			if (*v == '\\' || *v == '"')
				arg[n++] = '\\', arg[n++] = *v;
			else if (*v == '\n')
				arg[n++] = '\\', arg[n++] = 'n';
			else
				arg[n++] = *v;
		}
		arg[n++] = '"';
		arg[n] = '\0';
		strncat(cmd, " ", size - strlen(cmd) - 1);
		sh_quote(cmd, size, arg);
	}
	strncat(cmd, " 2>&1", size - strlen(cmd) - 1);
}

/* What amtool said: the matching routes' keys (rebuilt from the --tree
 * output: each line's slug is Matchers.String(), "default-route" for
 * none, its depth the number of 4-column prefixes) and the receivers
 * line. */
#define LINE_MAX_	1024

struct amtool_out {
	char	keys[4096];	/* "key receiver\n" per matching route */
	char	receivers[LINE_MAX_];
	char	raw[8192];
};

static int
read_amtool(FILE *fp, struct amtool_out *o)
{
	/* treeprint indents with "│" and two no-break spaces */
	static const char *const prefixes[] = { "├── ", "└── ", "│   ",
	    "│\xc2\xa0\xc2\xa0 ", "    " };
	char line[LINE_MAX_], stack[16][LINE_MAX_];
	int in_tree = 0;

	o->keys[0] = o->receivers[0] = o->raw[0] = '\0';
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line), depth = 0;
		char *p = line, *recv;

		strncat(o->raw, line, sizeof(o->raw) - strlen(o->raw) - 1);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strncmp(line, "Warning: --config.file", 22) == 0)
			continue;
		if (strcmp(line, "Matching routes:") == 0) {
			in_tree = 1;
			continue;
		}
		if (in_tree && strcmp(line, ".") == 0)
			continue;
		if (in_tree && len == 0) {
			in_tree = 0;
			continue;
		}
		if (!in_tree) {
			if (len > 0)
				snprintf(o->receivers, sizeof(o->receivers),
				    "%s", line);
			continue;
		}
		for (;;) {
			size_t k;

			for (k = 0; k < 5; k++)
				if (strncmp(p, prefixes[k],
				    strlen(prefixes[k])) == 0)
					break;
			if (k == 5)
				break;
			p += strlen(prefixes[k]);
			depth++;
		}
		if (depth == 0 || depth > 16)
			return -1;
		recv = NULL;
		for (char *q = strstr(p, "  receiver: "); q != NULL;
		    q = strstr(q + 1, "  receiver: "))
			recv = q;
		if (recv != NULL)
			*recv = '\0';
		snprintf(stack[depth - 1], sizeof(stack[0]), "%s",
		    strcmp(p, "default-route") == 0 ? "{}" : p);
		if (recv != NULL) {
			for (size_t d = 0; d < depth; d++) {
				strncat(o->keys, d ? "/" : "",
				    sizeof(o->keys) - strlen(o->keys) - 1);
				strncat(o->keys, stack[d],
				    sizeof(o->keys) - strlen(o->keys) - 1);
			}
			strncat(o->keys, " ",
			    sizeof(o->keys) - strlen(o->keys) - 1);
			strncat(o->keys, recv + 12,
			    sizeof(o->keys) - strlen(o->keys) - 1);
			strncat(o->keys, "\n",
			    sizeof(o->keys) - strlen(o->keys) - 1);
		}
	}
	return 0;
}

#ifndef DIFF_SETS
#define DIFF_SETS	400
#endif
#define DIFF_CANDIDATES	8000

/* The label sets asked of amtool: of DIFF_CANDIDATES generated ones, one of
 * each distinct answer am_route gives (the matched route keys and
 * receivers), so that every route and every combination of routes the
 * generator reaches is checked; the rest of the DIFF_SETS drawn as they
 * come. An amtool process costs ~20 ms of CPU, am_route microseconds.
 * Returns how many distinct answers the candidates gave. */
static size_t
pick_sets(const struct am_config *c, struct gset *sets)
{
	static char seen[DIFF_SETS][1024];
	struct am_route_info out[MAXM];
	size_t nseen = 0, nsets = 0, distinct = 0;

	for (size_t i = 0; i < DIFF_CANDIDATES && nsets < DIFF_SETS; i++) {
		struct gset g;
		char keys[1024] = "";
		size_t k;
		int n;

		generate(&g);
		n = am_route(c, &g.ls, out, MAXM);
		for (int m = 0; m < n && m < MAXM; m++) {
			size_t kl = strlen(keys);

			snprintf(keys + kl, sizeof(keys) - kl, "%s %s\n",
			    out[m].key, out[m].receiver);
		}
		for (k = 0; k < nseen && strcmp(seen[k], keys) != 0; k++)
			;
		if (k < nseen)
			continue;
		distinct++;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", keys);
		sets[nsets] = g;
		sets[nsets].ls.names = sets[nsets].names;
		sets[nsets].ls.values = sets[nsets].values;
		nsets++;
	}
	while (nsets < DIFF_SETS)
		generate(&sets[nsets++]);
	return distinct;
}

/* Every generated label set routes to the same receivers, through the
 * same route keys, as amtool routes it (pick_sets chooses which).
 * AN_AMTOOL_JOBS amtool processes run at once (default 2). */
TEST(amtool_differential)
{
	static struct gset sets[DIFF_SETS];
	struct am_config *c = NULL;
	struct timespec t0, t1;
	const char *e = getenv("AN_AMTOOL_JOBS");
	size_t jobs = e != NULL && atoi(e) > 0 ? (size_t)atoi(e) : 2;
	size_t len = 0, diffs = 0, leaves = 0, multi = 0, reached = 0, i, j;
	size_t distinct;
	static char hit[4096];
	char err[512], *yaml;
	int st;

	if (jobs > 8)
		jobs = 8;
	if ((yaml = t_read_file(TREE, &len)) == NULL) {
		T_FAIL("cannot read %s", TREE);
		return;
	}
	if (am_config_parse(yaml, len, &c, err, sizeof(err)) != 0) {
		T_FAIL("%s: %s", TREE, err);
		free(yaml);
		return;
	}
	free(yaml);
	CHECK(am_route_count(c) >= 30);
	if (access(AMTOOL, X_OK) != 0) {
		printf("skip: %s not installed, amtool differential test "
		    "skipped\n", AMTOOL);
		am_config_free(c);
		return;
	}
	st = system(AMTOOL " check-config " TREE " >/dev/null 2>&1");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("amtool check-config %s failed", TREE);

	distinct = pick_sets(c, sets);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < DIFF_SETS; i += jobs) {
		FILE *fp[8];
		size_t nj = DIFF_SETS - i < jobs ? DIFF_SETS - i : jobs;

		for (j = 0; j < nj; j++) {
			char cmd[8192];

			amtool_command(&sets[i + j], cmd, sizeof(cmd));
			fp[j] = popen(cmd, "r");
		}
		for (j = 0; j < nj; j++) {
			const struct gset *g = &sets[i + j];
			struct am_route_info out[MAXM];
			struct amtool_out o;
			char mine[LINE_MAX_] = "", mykeys[4096] = "";
			int n, rc;

			if (fp[j] == NULL) {
				T_FAIL("popen amtool failed");
				continue;
			}
			rc = read_amtool(fp[j], &o);
			st = pclose(fp[j]);
			if (rc < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0) {
				T_FAIL("set %zu: amtool failed: %s", i + j,
				    o.raw);
				diffs++;
				continue;
			}
			n = am_route(c, &g->ls, out, MAXM);
			for (int k = 0; k < n && k < MAXM; k++) {
				if (out[k].id < sizeof(hit) && !hit[out[k].id]) {
					hit[out[k].id] = 1;
					reached++;
				}
				size_t ml = strlen(mine), kl = strlen(mykeys);

				snprintf(mine + ml, sizeof(mine) - ml, "%s%s",
				    k ? "," : "", out[k].receiver);
				snprintf(mykeys + kl, sizeof(mykeys) - kl,
				    "%s %s\n", out[k].key, out[k].receiver);
			}
			leaves += (size_t)n;
			multi += n > 1;
			if (strcmp(mine, o.receivers) != 0 ||
			    strcmp(mykeys, o.keys) != 0) {
				if (diffs < 10) {
					T_FAIL("set %zu: am_route %s, amtool "
					    "%s", i + j, mine, o.receivers);
					fprintf(stderr, "  labels:");
					for (size_t l = 0; l < g->ls.n; l++)
						fprintf(stderr, " %s=%s",
						    g->names[l], g->values[l]);
					fprintf(stderr, "\n  ours:\n%s  "
					    "amtool:\n%s", mykeys, o.keys);
				}
				diffs++;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("amtool differential: %d routes (%zu reached), %d label sets "
	    "(%zu distinct answers of %d generated), %zu matched routes (%zu "
	    "sets with several), %zu differences, %.1f s\n",
	    (int)am_route_count(c), reached, DIFF_SETS, distinct,
	    DIFF_CANDIDATES, leaves, multi, diffs,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK_INT(diffs, 0);
	am_config_free(c);
}

int
main(void)
{
	RUN(matcher_parse);
	RUN(matcher_values);
	RUN(matcher_match);
	RUN(regex_newlines);
	RUN(continue_chains);
	RUN(route_max);
	RUN(inheritance);
	RUN(route_keys);
	RUN(config_yaml);
	RUN(config_errors);
	RUN(config_limits);
	RUN(inhibit_equal);
	RUN(inhibit_two_sided);
	RUN(muted_business_hours_berlin);
	RUN(muted_days_of_month);
	RUN(muted_fields);
	RUN(time_interval_errors);
	RUN(time_interval_amtool);
	RUN(send_resolved);
	RUN(inhibit_unsafe_mirror);
	RUN(inhibit_unsafe_cycle);
	RUN(inhibit_unsafe_missing_equal);
	RUN(inhibit_unsafe_safe);
	RUN(amtool_differential);
	return t_done();
}

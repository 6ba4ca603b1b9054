/* test_amroute.c -- lib/amroute.c: Alertmanager 0.25's matcher syntax,
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

/* --- the differential test against amtool --- */

static uint64_t rng_state = 0x5eed0f12a11e7ULL;

/* splitmix64 */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The values the tree mentions, near misses of its regexes, and others. */
static const struct {
	const char	*name;
	int		 percent;	/* chance the label is present */
	const char	*values[16];
} gen[] = {
	{ "alertname", 90, { "Watchdog", "InfoInhibitor", "xWatchdog",
	    "NodeDown", "HostHighCPU", "NodeFilesystemFull", "ReplicationLag",
	    "replicationBroken", "MySQLReplicationStopped", "Disk\\Full",
	    "Multi\nLine", "ClusterDown", "HighLatency", "Host", NULL } },
	{ "severity", 80, { "critical", "warning", "info", "page", "none",
	    "Critical", "", NULL } },
	{ "env", 60, { "prod", "production", "staging", "dev", "prod-eu",
	    "", "preprod", NULL } },
	{ "team", 85, { "infra", "db", "payments", "fraud", "search",
	    "frontend", "ml", "sre", "security", "", "Infra",
	    "search|frontend", NULL } },
	{ "cluster", 50, { "eu-west-1", "eu-", "us-east-1", "us-west-22",
	    "us-east-", "us-central-1", "ap-south-1", "EU-west-1", NULL } },
	{ "service", 55, { "postgres", "postgres-test", "postgres-dev",
	    "postgres-prod", "mysql", "mysql-8", "checkout", "billing",
	    "checkout|billing", "search-api", NULL } },
	{ "region", 40, { "eu-west-1", "eu-central-1", "eu-north-1",
	    "us-east-1", NULL } },
	{ "instance", 45, { "db-1", "db-1x", "db-12", "x-replica",
	    "db-2-replica", "-replica", "replica", "host:9100", NULL } },
	{ "namespace", 50, { "web-shop", "web-", "kube-system", "ml-train",
	    "", "default", NULL } },
	{ "job", 40, { "train", "trainer", "training-job", "serve", "Train",
	    NULL } },
	{ "owner", 35, { "Zoë \"ops\" Müller", "zürich-team", "ZÜRICH",
	    "Zürich ops", "a,b", "a", "zurich", " spaced ", NULL } },
	{ "extra", 20, { "x", "y z", "'quoted'", NULL } },
};

#define NGEN	(sizeof(gen) / sizeof(gen[0]))

/* Labels that head for the deep branches, which independent draws reach
 * too rarely; 40% of the sets start from one, the other labels drawn. */
static const struct {
	const char	*name, *value;
} profiles[][3] = {
	{ { "team", "frontend" }, { "namespace", "web-shop" },
	    { "owner", "Zoë \"ops\" Müller" } },
	{ { "team", "frontend" }, { "namespace", "web-shop" },
	    { "owner", "Zürich ops" } },
	{ { "team", "payments" }, { "env", "prod" },
	    { "severity", "critical" } },
	{ { "team", "infra" }, { "severity", "critical" }, { NULL, NULL } },
	{ { "team", "db" }, { "service", "mysql" }, { "env", "prod" } },
	{ { "team", "ml" }, { "job", "train" }, { NULL, NULL } },
	{ { "team", "sre" }, { NULL, NULL }, { NULL, NULL } },
	{ { "team", "search" }, { "severity", "critical" }, { NULL, NULL } },
};

#define NPROFILES	(sizeof(profiles) / sizeof(profiles[0]))

struct gset {
	const char	*names[NGEN], *values[NGEN];
	struct am_labels ls;
};

static void
generate(struct gset *g)
{
	size_t n = 0, p = rng() % 100 < 40 ? rng() % NPROFILES : NPROFILES;

	for (size_t i = 0; i < NGEN; i++) {
		const char *v = NULL;
		size_t nv = 0;

		for (size_t k = 0; p < NPROFILES && k < 3; k++)
			if (profiles[p][k].name != NULL &&
			    strcmp(profiles[p][k].name, gen[i].name) == 0)
				v = profiles[p][k].value;
		if (v == NULL) {
			if (rng() % 100 >= (uint64_t)gen[i].percent)
				continue;
			while (gen[i].values[nv] != NULL)
				nv++;
			v = gen[i].values[rng() % nv];
		}
		g->names[n] = gen[i].name;
		g->values[n] = v;
		n++;
	}
	g->ls.names = g->names;
	g->ls.values = g->values;
	g->ls.n = n;
}

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

static char *
read_text(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) !=
	    NULL) {
		*len = fread(s, 1, (size_t)n, fp);
		s[*len] = '\0';
	}
	fclose(fp);
	return s;
}

#ifndef DIFF_SETS
#define DIFF_SETS	1000
#endif

/* Every generated label set routes to the same receivers, through the
 * same route keys, as amtool routes it. AN_AMTOOL_JOBS amtool processes
 * run at once (default 2). */
TEST(amtool_differential)
{
	static struct gset sets[DIFF_SETS];
	struct am_config *c = NULL;
	struct timespec t0, t1;
	const char *e = getenv("AN_AMTOOL_JOBS");
	size_t jobs = e != NULL && atoi(e) > 0 ? (size_t)atoi(e) : 2;
	size_t len = 0, diffs = 0, leaves = 0, multi = 0, reached = 0, i, j;
	static char hit[4096];
	char err[512], *yaml;
	int st;

	if (jobs > 8)
		jobs = 8;
	if ((yaml = read_text(TREE, &len)) == NULL) {
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

	for (i = 0; i < DIFF_SETS; i++)
		generate(&sets[i]);
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
	printf("amtool differential: %d routes (%zu reached), %d label sets, "
	    "%zu matched routes (%zu sets with several), %zu differences, "
	    "%.1f s\n", (int)am_route_count(c), reached, DIFF_SETS, leaves,
	    multi, diffs,
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
	RUN(amtool_differential);
	return t_done();
}

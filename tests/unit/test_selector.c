/* test_selector.c -- lib/core/selector.c: PromQL label selectors parsed and
 * matched as Prometheus 2.x does (promql/parser/lex.go,
 * model/labels/matcher.go), with a bare name meaning alertname. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "selector.h"
#include "t.h"

#define ALERT "{\"alertname\":\"HighCPU\",\"severity\":\"page\"," \
	"\"team\":\"infra\"}"

struct mcase {
	const char	*sel;
	const char	*labels;	/* JSON object */
	int		 want;
};

/* Checks every case; a case that does not parse fails with its error. */
static void
match_table(const struct mcase *c, size_t n, const char *file, int line)
{
	for (size_t i = 0; i < n; i++) {
		struct sel *s = NULL;
		json_error_t je;
		json_t *l;
		char err[256] = "";

		if (sel_parse(c[i].sel, &s, err, sizeof(err)) != 0) {
			T_FAIL("%s:%d: case %zu: %s: %s", file, line, i,
			    c[i].sel, err);
			continue;
		}
		if ((l = json_loads(c[i].labels, JSON_ALLOW_NUL, &je)) ==
		    NULL) {
			T_FAIL("case %zu: bad JSON %s", i, c[i].labels);
			sel_free(s);
			continue;
		}
		if (sel_match_json(s, l) != c[i].want)
			T_FAIL("%s:%d: case %zu: %s against %s: got %d, "
			    "want %d", file, line, i, c[i].sel, c[i].labels,
			    !c[i].want, c[i].want);
		json_decref(l);
		sel_free(s);
	}
}

#define MATCH_TABLE(t) match_table(t, sizeof(t) / sizeof(t[0]), \
	__FILE__, __LINE__)

TEST(operators)
{
	static const struct mcase c[] = {
		{ "{team=\"infra\"}", ALERT, 1 },
		{ "{team=\"db\"}", ALERT, 0 },
		{ "{team=\"INFRA\"}", ALERT, 0 },
		{ "{team!=\"db\"}", ALERT, 1 },
		{ "{team!=\"infra\"}", ALERT, 0 },
		{ "{team=~\"inf.*\"}", ALERT, 1 },
		{ "{team=~\"in|db\"}", ALERT, 0 },
		{ "{team!~\"inf.*\"}", ALERT, 0 },
		{ "{team!~\"db|web\"}", ALERT, 1 },
		{ "{team=\"infra\",severity=\"page\"}", ALERT, 1 },
		{ "{team=\"infra\",severity=\"info\"}", ALERT, 0 },
		{ "{team=\"infra\",team!=\"infra\"}", ALERT, 0 },
		{ "{}", ALERT, 1 },
		{ "{}", "{}", 1 },
		{ "{ }", ALERT, 1 },
	};

	MATCH_TABLE(c);
}

TEST(regex_is_anchored)
{
	static const struct mcase c[] = {
		{ "{a=~\"b\"}", "{\"a\":\"abc\"}", 0 },
		{ "{a=~\"b\"}", "{\"a\":\"b\"}", 1 },
		{ "{a=~\"ab\"}", "{\"a\":\"abc\"}", 0 },
		{ "{a=~\"bc\"}", "{\"a\":\"abc\"}", 0 },
		{ "{a!~\"b\"}", "{\"a\":\"abc\"}", 1 },
		{ "{a=~\"\"}", "{\"a\":\"abc\"}", 0 },
		{ "{a=~\"\"}", "{\"a\":\"\"}", 1 },
		/* the anchor wraps the alternation, not its first branch */
		{ "{severity=~\"page|critical\"}", "{\"severity\":\"page\"}",
		    1 },
		{ "{severity=~\"page|critical\"}",
		    "{\"severity\":\"critical\"}", 1 },
		{ "{severity=~\"page|critical\"}",
		    "{\"severity\":\"warning\"}", 0 },
		{ "{severity=~\"page|critical\"}",
		    "{\"severity\":\"pager\"}", 0 },
		{ "{severity=~\"page|critical\"}",
		    "{\"severity\":\"supercritical\"}", 0 },
		/* $ is the very end, '.' is not a newline (Prometheus 2) */
		{ "{a=~\"b$\"}", "{\"a\":\"b\\n\"}", 0 },
		{ "{a=~\"b\\n\"}", "{\"a\":\"b\\n\"}", 1 },
		{ "{a=~\".*\"}", "{\"a\":\"x\\ny\"}", 0 },
		{ "{a=~\"(?s).*\"}", "{\"a\":\"x\\ny\"}", 1 },
		/* (*ACCEPT) cannot end the match early */
		{ "{a=~\"a(*ACCEPT)b\"}", "{\"a\":\"abc\"}", 0 },
		{ "{a=~\"(?i)HIGH.*\"}", "{\"a\":\"highcpu\"}", 1 },
		{ "{a=~\"\\\\d+\"}", "{\"a\":\"42\"}", 1 },
		{ "{a=~\"\\\\d+\"}", "{\"a\":\"4x\"}", 0 },
	};

	MATCH_TABLE(c);
}

TEST(absent_label_is_empty_string)
{
	static const struct mcase c[] = {
		{ "{x=\"\"}", ALERT, 1 },
		{ "{x!=\"\"}", ALERT, 0 },
		{ "{team!=\"\"}", ALERT, 1 },
		{ "{team=\"\"}", ALERT, 0 },
		{ "{x=\"a\"}", ALERT, 0 },
		{ "{x!=\"a\"}", ALERT, 1 },
		{ "{x=~\".*\"}", ALERT, 1 },
		{ "{x=~\".+\"}", ALERT, 0 },
		{ "{x!~\".+\"}", ALERT, 1 },
		{ "{x!~\".*\"}", ALERT, 0 },
		{ "{x=~\"a|\"}", ALERT, 1 },
		/* a value that is not a string counts as absent */
		{ "{x=\"\"}", "{\"x\":1}", 1 },
		{ "{x=\"1\"}", "{\"x\":1}", 0 },
		{ "{x=\"\"}", "{\"x\":\"\"}", 1 },
	};
	struct sel *s;
	char err[128];

	MATCH_TABLE(c);
	CHECK_INT(sel_parse("{x=\"\"}", &s, err, sizeof(err)), 0);
	CHECK_INT(sel_match_json(s, NULL), 1);
	sel_free(s);
	CHECK_INT(sel_parse("{x!=\"\"}", &s, err, sizeof(err)), 0);
	CHECK_INT(sel_match_json(s, NULL), 0);
	sel_free(s);
}

TEST(bare_name_is_alertname)
{
	static const struct mcase c[] = {
		{ "HighCPU", ALERT, 1 },
		{ "LowCPU", ALERT, 0 },
		{ "HighCP", ALERT, 0 },
		{ "HighCPU{team=\"infra\"}", ALERT, 1 },
		{ "HighCPU{team=\"db\"}", ALERT, 0 },
		{ "LowCPU{team=\"infra\"}", ALERT, 0 },
		{ "HighCPU{}", ALERT, 1 },
		{ "HighCPU {alertname=~\"High.*\"}", ALERT, 1 },
		{ "job:rate5m", "{\"alertname\":\"job:rate5m\"}", 1 },
		{ "_x", "{\"alertname\":\"_x\"}", 1 },
		{ "HighCPU", "{\"__name__\":\"HighCPU\"}", 0 },
	};

	MATCH_TABLE(c);
}

TEST(quotes_and_escapes)
{
	static const struct mcase c[] = {
		{ "{team='infra'}", ALERT, 1 },
		{ "{team=`infra`}", ALERT, 1 },
		{ "{a=\"x\\\"y\"}", "{\"a\":\"x\\\"y\"}", 1 },
		{ "{a='x\\'y'}", "{\"a\":\"x'y\"}", 1 },
		{ "{a=\"x'y\"}", "{\"a\":\"x'y\"}", 1 },
		{ "{a='x\"y'}", "{\"a\":\"x\\\"y\"}", 1 },
		{ "{a=\"\\a\\b\\f\\n\\r\\t\\v\\\\\"}",
		    "{\"a\":\"\\u0007\\b\\f\\n\\r\\t\\u000b\\\\\"}", 1 },
		{ "{a=\"\\x41\\102\\u00e9\\U0001F600\"}",
		    "{\"a\":\"AB\\u00e9\\ud83d\\ude00\"}", 1 },
		{ "{a=\"\\xc3\\xa9\\303\\251\"}", "{\"a\":\"\\u00e9\\u00e9\"}",
		    1 },
		{ "{a=\"x\\x00y\"}", "{\"a\":\"x\\u0000y\"}", 1 },
		{ "{a=\"x\\000y\"}", "{\"a\":\"x\"}", 0 },
		{ "{a=\"\\u0000\"}", "{\"a\":\"\\u0000\"}", 1 },
		/* raw strings: no escapes, newlines allowed */
		{ "{a=`\\d+\\n`}", "{\"a\":\"\\\\d+\\\\n\"}", 1 },
		{ "{a=`x\ny`}", "{\"a\":\"x\\ny\"}", 1 },
		{ "{a=`\"'`}", "{\"a\":\"\\\"'\"}", 1 },
		{ "{a=~`\\d+`}", "{\"a\":\"123\"}", 1 },
		{ "{a=~`\\d+`}", "{\"a\":\"12a\"}", 0 },
		{ "{a=~\"\\\\.\"}", "{\"a\":\".\"}", 1 },
		{ "{a=~\"\\\\.\"}", "{\"a\":\"x\"}", 0 },
	};

	MATCH_TABLE(c);
}

TEST(whitespace_comments_trailing_comma)
{
	static const struct mcase c[] = {
		{ "  HighCPU  {  team  =  \"infra\"  ,  severity =~ \"page\""
		    "  ,  }  ", ALERT, 1 },
		{ "{\n\tteam=\"infra\",\r\n\tseverity!=\"info\",\n}\n", ALERT,
		    1 },
		{ "{team=\"infra\",}", ALERT, 1 },
		{ "{team=\"infra\" , }", ALERT, 1 },
		{ "{team=\"infra\", # the team\n severity=\"page\"} # tail",
		    ALERT, 1 },
		{ "# only\nHighCPU", ALERT, 1 },
		{ "{a=\"#\"}", "{\"a\":\"#\"}", 1 },
	};

	MATCH_TABLE(c);
}

TEST(utf8_values)
{
	static const struct mcase c[] = {
		{ "{team=\"Ünïcødé\"}", "{\"team\":\"Ünïcødé\"}", 1 },
		{ "{team=\"Ünïcødé\"}", "{\"team\":\"Unicode\"}", 0 },
		{ "{team=~\"Ü.*é\"}", "{\"team\":\"Ünïcødé\"}", 1 },
		{ "{team=~\"(?i)ünïcødé\"}", "{\"team\":\"ÜNÏCØDÉ\"}", 1 },
		/* '.' is one code point, not one byte */
		{ "{a=~\"...\"}", "{\"a\":\"日本語\"}", 1 },
		{ "{a=~\"....\"}", "{\"a\":\"日本語\"}", 0 },
		{ "{a=~\"[日本]+語\"}", "{\"a\":\"日本語\"}", 1 },
		{ "{a=~\"\\\\p{Han}+\"}", "{\"a\":\"日本語\"}", 1 },
		{ "{a!~\"\\\\p{Han}+\"}", "{\"a\":\"日本x\"}", 1 },
		{ "{a=~'\\u00e9|\\U0001F600'}", "{\"a\":\"😀\"}", 1 },
		{ "{a=`😀`}", "{\"a\":\"😀\"}", 1 },
	};

	MATCH_TABLE(c);
}

struct ecase {
	const char	*sel;
	const char	*err;
};

TEST(errors)
{
	static const struct ecase c[] = {
		/* end of input */
		{ "", "1:1: unexpected end of input" },
		{ "  \n ", "2:2: unexpected end of input" },
		{ "# nothing", "1:10: unexpected end of input" },
		{ "{", "1:2: unexpected end of input inside braces" },
		{ "foo{", "1:5: unexpected end of input inside braces" },
		{ "{a", "1:3: unexpected end of input inside braces" },
		{ "{a=", "1:4: unexpected end of input inside braces" },
		{ "{a=\"b\"", "1:7: unexpected end of input inside braces" },
		{ "{a=\"b\",", "1:8: unexpected end of input inside braces" },
		{ "{a!", "1:3: unexpected character '!' in label matcher, "
		    "expected one of \"=\", \"!=\", \"=~\", \"!~\"" },
		/* operator */
		{ "{team !x\"a\"}", "1:7: unexpected character '!' in label "
		    "matcher, expected one of \"=\", \"!=\", \"=~\", \"!~\"" },
		{ "{a~\"b\"}", "1:3: unexpected character '~' in label "
		    "matcher, expected one of \"=\", \"!=\", \"=~\", \"!~\"" },
		{ "{a:b=\"c\"}", "1:3: unexpected character ':' in label "
		    "matcher, expected one of \"=\", \"!=\", \"=~\", \"!~\"" },
		{ "{a}", "1:3: unexpected character '}' in label "
		    "matcher, expected one of \"=\", \"!=\", \"=~\", \"!~\"" },
		{ "{a= =\"b\"}", "1:5: unexpected character '=' in label "
		    "matcher, expected quoted string" },
		/* value */
		{ "{a==\"b\"}", "1:4: unexpected character '=' in label "
		    "matcher, expected quoted string" },
		{ "{a=b}", "1:4: unexpected character 'b' in label matcher, "
		    "expected quoted string" },
		{ "{a=}", "1:4: unexpected character '}' in label matcher, "
		    "expected quoted string" },
		/* label name */
		{ "{1a=\"b\"}", "1:2: unexpected character '1' in label "
		    "matcher, expected label name or \"}\"" },
		{ "{a=\"b\",,}", "1:8: unexpected character ',' in label "
		    "matcher, expected label name or \"}\"" },
		{ "{,}", "1:2: unexpected character ',' in label matcher, "
		    "expected label name or \"}\"" },
		{ "{\"a\"=\"b\"}", "1:2: unexpected character '\"' in label "
		    "matcher, expected label name or \"}\"" },
		{ "{{}}", "1:2: unexpected character '{' in label matcher, "
		    "expected label name or \"}\"" },
		{ "{é=\"x\"}", "1:2: unexpected character 'é' in label "
		    "matcher, expected label name or \"}\"" },
		/* between matchers, after the selector */
		{ "{a=\"b\" c=\"d\"}", "1:8: unexpected character 'c' after "
		    "label matcher, expected \",\" or \"}\"" },
		{ "{a=\"b\";c=\"d\"}", "1:7: unexpected character ';' after "
		    "label matcher, expected \",\" or \"}\"" },
		{ "foo bar", "1:5: unexpected character 'b' after metric "
		    "name, expected \"{\" or end of input" },
		{ "foo-bar", "1:4: unexpected character '-' after metric "
		    "name, expected \"{\" or end of input" },
		{ "{a=\"b\"} x", "1:9: unexpected character 'x' after label "
		    "matchers, expected end of input" },
		{ "{a=\"b\"}{}", "1:8: unexpected character '{' after label "
		    "matchers, expected end of input" },
		{ "{}\t\x01", "1:4: unexpected character '\\x01' after label "
		    "matchers, expected end of input" },
		{ "{a=\"b\"}\xff", "1:8: unexpected character '\\xff' after "
		    "label matchers, expected end of input" },
		{ "=", "1:1: unexpected character '=', expected metric name "
		    "or \"{\"" },
		{ "9lives", "1:1: unexpected character '9', expected metric "
		    "name or \"{\"" },
		{ "'a'", "1:1: unexpected character '\\'', expected metric "
		    "name or \"{\"" },
		/* strings */
		{ "{ab=\"x", "1:5: unterminated quoted string" },
		{ "{a='x", "1:4: unterminated quoted string" },
		{ "{a=\"x'}", "1:4: unterminated quoted string" },
		{ "{a=\"x\ny\"}", "1:4: unterminated quoted string" },
		{ "{a=\"x\\", "1:4: unterminated quoted string" },
		{ "{a=\"\\x4", "1:4: unterminated quoted string" },
		{ "{a=`x", "1:4: unterminated raw string" },
		{ "{a=\"\\q\"}", "1:5: unknown escape sequence U+0071 'q'" },
		{ "{a=\"\\'\"}", "1:5: unknown escape sequence U+0027 '''" },
		{ "{a='\\\"'}", "1:5: unknown escape sequence U+0022 '\"'" },
		{ "{a=\"\\\n\"}", "1:5: unknown escape sequence U+000A" },
		{ "{a=\"\\é\"}", "1:5: unknown escape sequence U+00E9 'é'" },
		{ "{a=\"\\xZZ\"}", "1:7: illegal character U+005A 'Z' in "
		    "escape sequence" },
		{ "{a=\"\\x4\"}", "1:8: illegal character U+0022 '\"' in "
		    "escape sequence" },
		{ "{a=\"\\u12\"}", "1:9: illegal character U+0022 '\"' in "
		    "escape sequence" },
		{ "{a=\"\\18\"}", "1:7: illegal character U+0038 '8' in "
		    "escape sequence" },
		{ "{a=\"\\400\"}", "1:5: octal escape sequence greater than "
		    "\\377" },
		{ "{a=\"\\uD800\"}", "1:5: escape sequence is an invalid "
		    "Unicode code point" },
		{ "{a=\"\\U00110000\"}", "1:5: escape sequence is an invalid "
		    "Unicode code point" },
		{ "{a=\"x\xff\"}", "1:6: invalid UTF-8 rune" },
		{ "{a=`\xc3`}", "1:5: invalid UTF-8 rune" },
		{ "{a=\"\xed\xa0\x80\"}", "1:5: invalid UTF-8 rune" },
		{ "{a=\"\xc0\xaf\"}", "1:5: invalid UTF-8 rune" },
		/* regexes */
		{ "{severity=~\"a(\"}", "1:12: invalid regular expression "
		    "\"a(\": missing closing parenthesis" },
		{ "{a=~\"a)|(b\"}", "1:5: invalid regular expression "
		    "\"a)|(b\": unmatched closing parenthesis" },
		{ "{a!~\"*\"}", "1:5: invalid regular expression \"*\": "
		    "quantifier does not follow a repeatable item" },
		{ "{a=~`\\`}", "1:5: invalid regular expression \"\\\\\": "
		    "\\ at end of pattern" },
		{ "{a=~\"\\xff\"}", "1:5: invalid regular expression "
		    "\"\\xff\": UTF-8 error: illegal byte (0xfe or 0xff)" },
		{ "{a=\"b\",\n  c=~\"[\"}", "2:6: invalid regular expression "
		    "\"[\": missing terminating ] for character class" },
		/* lines and columns */
		{ "{a=\"b\",\n  c!x\"d\"}", "2:4: unexpected character '!' "
		    "in label matcher, expected one of \"=\", \"!=\", \"=~\", "
		    "\"!~\"" },
		/* columns count bytes, as Prometheus does: é is two */
		{ "{a=\"é\" x}", "1:9: unexpected character 'x' after label "
		    "matcher, expected \",\" or \"}\"" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sel *s = (struct sel *)&err;	/* must become NULL */

		err[0] = '\0';
		if (sel_parse(c[i].sel, &s, err, sizeof(err)) != -1)
			T_FAIL("case %zu: %s parsed", i, c[i].sel);
		else if (strcmp(err, c[i].err) != 0)
			T_FAIL("case %zu: %s: got \"%s\", want \"%s\"", i,
			    c[i].sel, err, c[i].err);
		CHECK(s == NULL);
		sel_free(s);
	}
}

TEST(long_regex_is_cut_in_message)
{
	char in[300], err[512];
	struct sel *s;

	snprintf(in, sizeof(in), "{a=~\"%0200d(\"}", 0);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "1:5: invalid regular expression \"0000");
	CHECK_CONTAINS(err, "000\"...: missing closing parenthesis");
	CHECK(strlen(err) < 200);
}

TEST(small_error_buffer)
{
	struct sel *s;
	char err[8];

	memset(err, 'x', sizeof(err));
	CHECK_INT(sel_parse("{a=\"b\" c}", &s, err, sizeof(err)), -1);
	CHECK_STR(err, "1:8: un");
	CHECK_INT(sel_parse("{a=\"b\" c}", &s, NULL, 0), -1);
	CHECK(s == NULL);
}

/* "{l0=\"\",l1=\"\",...}" with n matchers, after prefix. */
static char *
many(const char *prefix, int n)
{
	char *b = malloc(strlen(prefix) + 2 + (size_t)n * 8 + 1);
	size_t o;

	if (b == NULL)
		return NULL;
	o = (size_t)sprintf(b, "%s{", prefix);
	for (int i = 0; i < n; i++)
		o += (size_t)sprintf(b + o, "%sl%d=\"\"", i ? "," : "", i);
	strcpy(b + o, "}");
	return b;
}

TEST(limits)
{
	char *in, err[256], want[128];
	struct sel *s;
	size_t n = 16384;
	json_t *l;

	/* 16 KiB exactly parses, one byte more does not, whatever it is */
	in = malloc(n + 2);
	CHECK(in != NULL);
	if (in == NULL)
		return;
	memcpy(in, "{a=\"", 4);
	memset(in + 4, 'x', n - 6);
	memcpy(in + n - 2, "\"}", 3);
	CHECK_INT(strlen(in), 16384);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), 0);
	l = json_object();
	in[n - 2] = '\0';
	json_object_set_new(l, "a", json_string(in + 4));
	CHECK_INT(sel_match_json(s, l), 1);
	json_decref(l);
	sel_free(s);
	memcpy(in + n - 2, " \"}", 4);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "1:16385: selector longer than 16384 bytes");
	memset(in, '!', n + 1);
	in[n + 1] = '\0';
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "1:16385: selector longer than 16384 bytes");
	free(in);

	/* 64 matchers, the metric name's counted */
	in = many("", 64);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), 0);
	CHECK_INT(sel_match_json(s, NULL), 1);
	sel_free(s);
	free(in);
	in = many("", 65);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "1:%zu: too many label matchers "
	    "(limit 64)", (size_t)(strstr(in, "l64=") - in + 1));
	CHECK_STR(err, want);
	free(in);
	in = many("HighCPU", 63);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), 0);
	sel_free(s);
	free(in);
	in = many("HighCPU", 64);
	CHECK_INT(sel_parse(in, &s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "1:%zu: too many label matchers "
	    "(limit 64)", (size_t)(strstr(in, "l63=") - in + 1));
	CHECK_STR(err, want);
	free(in);
}

/* PCRE2 backtracks where Go's RE2 would not: a pathological regex runs
 * into the match limit and then selects nothing, =~ and !~ alike. */
TEST(catastrophic_regex_fails_closed)
{
	struct sel *re, *nre;
	char err[128], v[64];
	json_t *l;

	memset(v, 'a', 40);
	strcpy(v + 40, "!");
	l = json_pack("{s:s}", "a", v);
	CHECK_INT(sel_parse("{a=~\"(a+)+\"}", &re, err, sizeof(err)), 0);
	CHECK_INT(sel_parse("{a!~\"(a+)+\"}", &nre, err, sizeof(err)), 0);
	CHECK_INT(sel_match_json(re, l), 0);
	CHECK_INT(sel_match_json(nre, l), 0);
	json_object_set_new(l, "a", json_string("aaaa"));
	CHECK_INT(sel_match_json(re, l), 1);
	CHECK_INT(sel_match_json(nre, l), 0);
	json_object_set_new(l, "a", json_string("b"));
	CHECK_INT(sel_match_json(re, l), 0);
	CHECK_INT(sel_match_json(nre, l), 1);
	sel_free(re);
	sel_free(nre);
	json_decref(l);
}

/* A request's selector (sel_fail_fast): the first value a regex cannot
 * decide within the limits marks it too expensive and every later label
 * set is refused at once, so 2,000 label sets cost one limit, not 2,000
 * (issue: match[]={x=~"(.*a){N}"} x16 held the reader for 65 s). */
TEST(expensive_regex_fails_fast)
{
	struct sel *s, *plain;
	char err[128], v[64];
	struct timespec t0, t1;
	json_t *l;
	int hits = 0;
	double ms;

	memset(v, 'a', 40);
	strcpy(v + 40, "b");
	l = json_pack("{s:s}", "x", v);
	CHECK_INT(sel_parse("{x=~\"(.*a){25}|ok\"}", &s, err, sizeof(err)),
	    0);
	CHECK_INT(sel_parse("{x=~\"(.*a){25}|ok\"}", &plain, err,
	    sizeof(err)), 0);
	sel_fail_fast(s);
	CHECK_INT(sel_too_expensive(s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2000; i++)
		hits += sel_match_json(s, l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK_INT(hits, 0);
	CHECK_INT(sel_too_expensive(s), 1);
	if (ms > 1000)
		T_FAIL("2000 matches took %.0f ms", ms);
	/* a value it could decide is refused too, once too expensive */
	json_object_set_new(l, "x", json_string("ok"));
	CHECK_INT(sel_match_json(s, l), 0);
	/* without fail_fast (a selector of the configuration) a limit fails
	 * only its value */
	CHECK_INT(sel_match_json(plain, l), 1);
	memset(v, 'a', 40);
	strcpy(v + 40, "b");
	json_object_set_new(l, "x", json_string(v));
	CHECK_INT(sel_match_json(plain, l), 0);
	CHECK_INT(sel_too_expensive(plain), 0);
	sel_free(s);
	sel_free(plain);
	json_decref(l);
}

struct tharg {
	const struct sel	*s;
	json_t			*yes, *no;
	int			 bad;
};

static void *
matcher_thread(void *arg)
{
	struct tharg *a = arg;

	for (int i = 0; i < 5000; i++)
		if (sel_match_json(a->s, a->yes) != 1 ||
		    sel_match_json(a->s, a->no) != 0)
			a->bad++;
	return NULL;
}

TEST(concurrent_matching)
{
	struct tharg a[4];
	pthread_t t[4];
	struct sel *s;
	char err[128];
	json_t *yes, *no;

	CHECK_INT(sel_parse("HighCPU{severity=~\"page|critical\","
	    "team!~\"db.*\"}", &s, err, sizeof(err)), 0);
	yes = json_loads(ALERT, 0, NULL);
	no = json_pack("{s:s,s:s,s:s}", "alertname", "HighCPU", "severity",
	    "page", "team", "dba");
	for (int i = 0; i < 4; i++) {
		a[i] = (struct tharg){ s, yes, no, 0 };
		CHECK_INT(pthread_create(&t[i], NULL, matcher_thread, &a[i]),
		    0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(a[i].bad, 0);
	}
	json_decref(yes);
	json_decref(no);
	sel_free(s);
}

int
main(void)
{
	RUN(operators);
	RUN(regex_is_anchored);
	RUN(absent_label_is_empty_string);
	RUN(bare_name_is_alertname);
	RUN(quotes_and_escapes);
	RUN(whitespace_comments_trailing_comma);
	RUN(utf8_values);
	RUN(errors);
	RUN(long_regex_is_cut_in_message);
	RUN(small_error_buffer);
	RUN(limits);
	RUN(catastrophic_regex_fails_closed);
	RUN(expensive_regex_fails_fast);
	RUN(concurrent_matching);
	return t_done();
}

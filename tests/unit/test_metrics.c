/* test_metrics.c -- unit tests for lib/core/metrics.c: the exact text each kind of
 * family renders, escaping, number formatting, registration errors, the
 * buffer limit, concurrent updates, the process_* metrics, and a full render
 * checked by `promtool check metrics` when Debian's prometheus is installed. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "t.h"

#define PROMTOOL	"/usr/bin/promtool"

/* Renders r and returns what the registry itself rendered, i.e. the text
 * before the process_* families (malloc'ed, the caller frees it), or NULL if
 * met_render failed. Tests here never register a process_ name. */
static char *
render_registry(struct met_registry *r)
{
	struct buf b;
	char *s, *p;

	buf_init(&b, 1 << 20);
	if (met_render(r, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	s = buf_steal(&b);
	if (s == NULL)
		return strdup("");
	for (p = s; (p = strstr(p, "# HELP process_")) != NULL; p++)
		if (p == s || p[-1] == '\n') {
			*p = '\0';
			break;
		}
	return s;
}

/* Renders r with the process metrics; malloc'ed, NULL on failure. */
static char *
render_all(struct met_registry *r)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	if (met_render(r, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Returns the value of the label-less sample called name in text, NaN if
 * there is none. */
static double
sample_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

TEST(counter_without_labels)
{
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_COUNTER, "an_requests_total",
	    "Requests received.", 0, NULL, NULL, 0);
	CHECK(f != NULL);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_requests_total Requests received.\n"
	    "# TYPE an_requests_total counter\n"
	    "an_requests_total 0\n");
	free(s);

	met_add(f, NULL, 1);
	met_add(f, NULL, 2);
	met_add(f, NULL, -5);		/* counters only go up */
	met_add(f, NULL, NAN);
	met_set(f, NULL, 100);		/* not a gauge */
	met_observe(f, NULL, 1);	/* not a histogram */
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_requests_total Requests received.\n"
	    "# TYPE an_requests_total counter\n"
	    "an_requests_total 3\n");
	free(s);
	CHECK(met_get(f, NULL) == 3);
	met_registry_free(r);
}

TEST(counter_with_labels)
{
	static const char *const names[] = { "code", "method" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_COUNTER, "an_http_requests_total",
	    "HTTP requests by status code and method.", 2, names, NULL, 0);
	CHECK(f != NULL);
	/* no child yet: the family is announced, without samples */
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_http_requests_total HTTP requests by status code and method.\n"
	    "# TYPE an_http_requests_total counter\n");
	free(s);

	met_add(f, (const char *[]){ "500", "post" }, 1);
	met_add(f, (const char *[]){ "200", "post" }, 2);
	met_add(f, (const char *[]){ "200", "get" }, 1);
	met_add(f, (const char *[]){ "200", "post" }, 1.5);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_http_requests_total HTTP requests by status code and method.\n"
	    "# TYPE an_http_requests_total counter\n"
	    "an_http_requests_total{code=\"200\",method=\"get\"} 1\n"
	    "an_http_requests_total{code=\"200\",method=\"post\"} 3.5\n"
	    "an_http_requests_total{code=\"500\",method=\"post\"} 1\n");
	free(s);
	met_registry_free(r);
}

TEST(gauge)
{
	static const char *const names[] = { "queue" };
	struct met_registry *r = met_registry_new();
	struct met_family *g, *gl;
	char *s;

	g = met_register(r, MET_GAUGE, "an_build_info_up", "Up.", 0, NULL,
	    NULL, 0);
	gl = met_register(r, MET_GAUGE, "an_queue_length", "Queued items.",
	    1, names, NULL, 0);
	CHECK(g != NULL && gl != NULL);
	met_set(g, NULL, 1.5);
	met_add(g, NULL, -3);
	met_set(gl, (const char *[]){ "webhook" }, 7);
	met_set(gl, (const char *[]){ "webhook" }, 42);
	met_add(gl, (const char *[]){ "email" }, -2);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_build_info_up Up.\n"
	    "# TYPE an_build_info_up gauge\n"
	    "an_build_info_up -1.5\n"
	    "# HELP an_queue_length Queued items.\n"
	    "# TYPE an_queue_length gauge\n"
	    "an_queue_length{queue=\"email\"} -2\n"
	    "an_queue_length{queue=\"webhook\"} 42\n");
	free(s);
	CHECK(met_get(g, NULL) == -1.5);
	CHECK(met_get(gl, (const char *[]){ "webhook" }) == 42);
	met_registry_free(r);
}

/* A refresh re-sets some children; the ones it leaves out disappear, the
 * others keep their place and value, and a label-less child survives. */
TEST(drop_stale)
{
	static const char *const names[] = { "alertname", "window" };
	static const double b[] = { 1 };
	struct met_registry *r = met_registry_new();
	struct met_family *g, *one, *h;
	char *s;

	g = met_register(r, MET_GAUGE, "an_alert_ratio", "Ratio.", 2, names,
	    NULL, 0);
	one = met_register(r, MET_GAUGE, "an_firing", "Firing.", 0, NULL,
	    NULL, 0);
	h = met_register(r, MET_HISTOGRAM, "an_ttr_seconds", "TTR.", 1, names,
	    b, 1);
	CHECK(g != NULL && one != NULL && h != NULL);
	met_set(g, (const char *[]){ "A", "1d" }, 1);
	met_set(g, (const char *[]){ "B", "1d" }, 0.5);
	met_set(g, (const char *[]){ "C", "1d" }, 0.25);
	met_set(one, NULL, 3);
	met_observe(h, (const char *[]){ "x" }, 0.5);
	met_observe(h, (const char *[]){ "y" }, 2);

	met_mark_stale(g);
	met_mark_stale(one);
	/* marked children still render, with their old values */
	s = render_registry(r);
	CHECK_CONTAINS(s, "an_alert_ratio{alertname=\"A\",window=\"1d\"} 1\n");
	free(s);
	met_set(g, (const char *[]){ "C", "1d" }, 0.75);
	met_add(g, (const char *[]){ "A", "1d" }, 0);
	met_set(g, (const char *[]){ "D", "1d" }, 2);
	CHECK_INT(met_drop_stale(g), 1);
	CHECK_INT(met_drop_stale(one), 0);
	met_mark_stale(h);
	met_observe(h, (const char *[]){ "y" }, 3);
	CHECK_INT(met_drop_stale(h), 1);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_alert_ratio Ratio.\n"
	    "# TYPE an_alert_ratio gauge\n"
	    "an_alert_ratio{alertname=\"A\",window=\"1d\"} 1\n"
	    "an_alert_ratio{alertname=\"C\",window=\"1d\"} 0.75\n"
	    "an_alert_ratio{alertname=\"D\",window=\"1d\"} 2\n"
	    "# HELP an_firing Firing.\n"
	    "# TYPE an_firing gauge\n"
	    "an_firing 3\n"
	    "# HELP an_ttr_seconds TTR.\n"
	    "# TYPE an_ttr_seconds histogram\n"
	    "an_ttr_seconds_bucket{alertname=\"y\",le=\"1\"} 0\n"
	    "an_ttr_seconds_bucket{alertname=\"y\",le=\"+Inf\"} 2\n"
	    "an_ttr_seconds_sum{alertname=\"y\"} 5\n"
	    "an_ttr_seconds_count{alertname=\"y\"} 2\n");
	free(s);
	CHECK(met_get(g, (const char *[]){ "B", "1d" }) == 0);
	/* everything marked and nothing set: the family empties, and fills
	 * again */
	met_mark_stale(g);
	CHECK_INT(met_drop_stale(g), 3);
	met_set(g, (const char *[]){ "B", "7d" }, 4);
	CHECK(met_get(g, (const char *[]){ "B", "7d" }) == 4);
	met_mark_stale(NULL);
	CHECK_INT(met_drop_stale(NULL), 0);
	met_registry_free(r);
}

TEST(escaping)
{
	static const char *const names[] = { "path" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_GAUGE, "an_escape",
	    "Help with a \\ backslash,\na newline and \"quotes\".", 1, names,
	    NULL, 0);
	CHECK(f != NULL);
	met_set(f, (const char *[]){ "C:\\dir \"x\"\nnext" }, 1);
	met_set(f, (const char *[]){ "" }, 2);
	s = render_registry(r);
	/* HELP escapes only backslash and newline; label values also '"' */
	CHECK_STR(s,
	    "# HELP an_escape Help with a \\\\ backslash,\\na newline and \"quotes\".\n"
	    "# TYPE an_escape gauge\n"
	    "an_escape{path=\"\"} 2\n"
	    "an_escape{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n");
	free(s);
	met_registry_free(r);
}

TEST(label_values_utf8)
{
	static const char *const names[] = { "receiver" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_COUNTER, "an_notifications_total",
	    "Notifications.", 1, names, NULL, 0);
	met_add(f, (const char *[]){ "h\xc3\xa9llo \xe2\x82\xac" }, 1);
	/* a stray byte, an overlong '/', a surrogate: each byte -> U+FFFD */
	met_add(f, (const char *[]){ "a\xff" "b" }, 1);
	met_add(f, (const char *[]){ "a\xff" "b" }, 1);
	met_add(f, (const char *[]){ "\xc0\xaf" }, 1);
	met_add(f, (const char *[]){ "\xed\xa0\x80" }, 1);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_notifications_total Notifications.\n"
	    "# TYPE an_notifications_total counter\n"
	    "an_notifications_total{receiver=\"a\xef\xbf\xbd" "b\"} 2\n"
	    "an_notifications_total{receiver=\"h\xc3\xa9llo \xe2\x82\xac\"} 1\n"
	    "an_notifications_total{receiver=\"\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"
	    "an_notifications_total{receiver=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1\n");
	free(s);
	CHECK(met_get(f, (const char *[]){ "a\xff" "b" }) == 2);
	CHECK(met_get(f, (const char *[]){ "a\xef\xbf\xbd" "b" }) == 2);
	met_registry_free(r);
}

/* A label value past 256 bytes is cut on a character boundary and ends in
 * U+2026; a 4 MiB one (a webhook's receiver) never makes the exposition
 * fail or one line megabytes long. */
TEST(label_values_cut)
{
	static const char *const names[] = { "receiver" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char exact[257], *big, *s, *line, *end, want[300];
	size_t n = (size_t)4 << 20, i;
	struct buf b;

	f = met_register(r, MET_COUNTER, "an_notifications_total",
	    "Notifications.", 1, names, NULL, 0);
	if ((big = malloc(n + 1)) == NULL) {
		T_FAIL("out of memory");
		goto out;
	}
	memset(big, 'x', n);
	big[n] = '\0';
	met_add(f, (const char *[]){ big }, 1);
	/* the same first 253 bytes: the same (cut) series */
	big[1000] = 'y';
	met_add(f, (const char *[]){ big }, 1);
	CHECK(met_get(f, (const char *[]){ big }) == 2);
	/* 256 bytes exactly: kept whole */
	memset(exact, 'e', 256);
	exact[256] = '\0';
	met_add(f, (const char *[]){ exact }, 1);
	/* 2-byte characters: the cut never splits one */
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	met_add(f, (const char *[]){ big }, 1);

	buf_init(&b, 64 << 10);		/* far below 4 MiB */
	CHECK_INT(met_render(r, &b), 0);
	s = b.data;
	CHECK(s != NULL && strlen(s) < 4096);
	/* 253 'x' + U+2026: 256 bytes */
	memset(want, 'x', 253);
	strcpy(want + 253, "\xe2\x80\xa6\"} 2\n");
	CHECK_CONTAINS(s, want);
	snprintf(want, sizeof(want), "{receiver=\"%s\"} 1\n", exact);
	CHECK_CONTAINS(s, want);
	/* 126 x U+00E9 (252 bytes; a 127th would leave no room for the
	 * marker's 3) + U+2026 */
	line = s ? strstr(s, "{receiver=\"\xc3\xa9") : NULL;
	CHECK(line != NULL);
	if (line != NULL) {
		line += strlen("{receiver=\"");
		end = strchr(line, '"');
		CHECK(end != NULL && end - line == 252 + 3);
		CHECK(end != NULL && memcmp(end - 3, "\xe2\x80\xa6", 3) == 0);
	}
	buf_free(&b);
	free(big);
out:
	met_registry_free(r);
}

/* Past 10,000 series a family refuses new label sets, and says so:
 * alertnoise_metrics_series_dropped_total{family} counts each one. */
TEST(series_limit_counted)
{
	static const char *const names[] = { "id" };
	struct met_registry *r = met_registry_new();
	struct met_family *f, *g;
	char v[32], *s;
	int i;

	f = met_register(r, MET_COUNTER, "an_things_total", "Things.", 1,
	    names, NULL, 0);
	g = met_register(r, MET_GAUGE, "an_level", "Level.", 1, names, NULL,
	    0);
	for (i = 0; i < 10005; i++) {
		snprintf(v, sizeof(v), "%05d", i);
		met_add(f, (const char *[]){ v }, 1);
	}
	/* an existing series still counts */
	met_add(f, (const char *[]){ "00000" }, 1);
	CHECK(met_get(f, (const char *[]){ "00000" }) == 2);
	CHECK(met_get(f, (const char *[]){ "10004" }) == 0);
	met_set(g, (const char *[]){ "a" }, 1);
	s = render_registry(r);
	CHECK_CONTAINS(s, "# TYPE alertnoise_metrics_series_dropped_total "
	    "counter\n"
	    "alertnoise_metrics_series_dropped_total{family=\"an_things_total\"}"
	    " 5\n");
	CHECK(s == NULL || strstr(s, "family=\"an_level\"") == NULL);
	CHECK(s == NULL || strstr(s, "an_things_total{id=\"09999\"} 1\n") !=
	    NULL);
	CHECK(s == NULL || strstr(s, "an_things_total{id=\"10000\"}") == NULL);
	free(s);
	met_registry_free(r);
}

TEST(histogram)
{
	static const char *const names[] = { "route" };
	static const double b[] = { 0.1, 0.5, 1, 10 };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_HISTOGRAM, "an_request_duration_seconds",
	    "Request latency.", 1, names, b, 4);
	CHECK(f != NULL);
	met_observe(f, (const char *[]){ "/push" }, 0.0625);
	met_observe(f, (const char *[]){ "/push" }, 0.5);	/* le is inclusive */
	met_observe(f, (const char *[]){ "/push" }, 0.25);
	met_observe(f, (const char *[]){ "/push" }, 2);
	met_observe(f, (const char *[]){ "/push" }, 20);	/* +Inf only */
	met_observe(f, (const char *[]){ "/alerts" }, 1);
	met_add(f, (const char *[]){ "/alerts" }, 1);		/* ignored */
	met_set(f, (const char *[]){ "/alerts" }, 1);		/* ignored */
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_request_duration_seconds Request latency.\n"
	    "# TYPE an_request_duration_seconds histogram\n"
	    "an_request_duration_seconds_bucket{route=\"/alerts\",le=\"0.1\"} 0\n"
	    "an_request_duration_seconds_bucket{route=\"/alerts\",le=\"0.5\"} 0\n"
	    "an_request_duration_seconds_bucket{route=\"/alerts\",le=\"1\"} 1\n"
	    "an_request_duration_seconds_bucket{route=\"/alerts\",le=\"10\"} 1\n"
	    "an_request_duration_seconds_bucket{route=\"/alerts\",le=\"+Inf\"} 1\n"
	    "an_request_duration_seconds_sum{route=\"/alerts\"} 1\n"
	    "an_request_duration_seconds_count{route=\"/alerts\"} 1\n"
	    "an_request_duration_seconds_bucket{route=\"/push\",le=\"0.1\"} 1\n"
	    "an_request_duration_seconds_bucket{route=\"/push\",le=\"0.5\"} 3\n"
	    "an_request_duration_seconds_bucket{route=\"/push\",le=\"1\"} 3\n"
	    "an_request_duration_seconds_bucket{route=\"/push\",le=\"10\"} 4\n"
	    "an_request_duration_seconds_bucket{route=\"/push\",le=\"+Inf\"} 5\n"
	    "an_request_duration_seconds_sum{route=\"/push\"} 22.8125\n"
	    "an_request_duration_seconds_count{route=\"/push\"} 5\n");
	free(s);
	/* met_get on a histogram child is its observation count */
	CHECK(met_get(f, (const char *[]){ "/push" }) == 5);
	CHECK(met_get(f, (const char *[]){ "/nope" }) == 0);
	met_registry_free(r);
}

TEST(histogram_without_labels)
{
	static const double b[] = { 0.005, 0.25, 2.5, INFINITY };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	/* the trailing +Inf is implicit and dropped; exists from the start */
	f = met_register(r, MET_HISTOGRAM, "an_batch_size_bytes",
	    "Batch sizes.", 0, NULL, b, 4);
	CHECK(f != NULL);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_batch_size_bytes Batch sizes.\n"
	    "# TYPE an_batch_size_bytes histogram\n"
	    "an_batch_size_bytes_bucket{le=\"0.005\"} 0\n"
	    "an_batch_size_bytes_bucket{le=\"0.25\"} 0\n"
	    "an_batch_size_bytes_bucket{le=\"2.5\"} 0\n"
	    "an_batch_size_bytes_bucket{le=\"+Inf\"} 0\n"
	    "an_batch_size_bytes_sum 0\n"
	    "an_batch_size_bytes_count 0\n");
	free(s);
	met_observe(f, NULL, 0.005);
	met_observe(f, NULL, -1);
	met_observe(f, NULL, NAN);	/* +Inf bucket only, sum NaN */
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_batch_size_bytes Batch sizes.\n"
	    "# TYPE an_batch_size_bytes histogram\n"
	    "an_batch_size_bytes_bucket{le=\"0.005\"} 2\n"
	    "an_batch_size_bytes_bucket{le=\"0.25\"} 2\n"
	    "an_batch_size_bytes_bucket{le=\"2.5\"} 2\n"
	    "an_batch_size_bytes_bucket{le=\"+Inf\"} 3\n"
	    "an_batch_size_bytes_sum NaN\n"
	    "an_batch_size_bytes_count 3\n");
	free(s);

	/* no buckets at all: only +Inf */
	f = met_register(r, MET_HISTOGRAM, "an_empty_seconds", "Empty.", 0,
	    NULL, NULL, 0);
	CHECK(f != NULL);
	met_observe(f, NULL, 3);
	s = render_registry(r);
	CHECK_CONTAINS(s,
	    "# TYPE an_empty_seconds histogram\n"
	    "an_empty_seconds_bucket{le=\"+Inf\"} 1\n"
	    "an_empty_seconds_sum 3\n"
	    "an_empty_seconds_count 1\n");
	free(s);
	met_registry_free(r);
}

/* A histogram restored from saved bucket counts and sum renders as the
 * observations it was saved from. */
TEST(histogram_observe_many)
{
	static const double b[] = { 60, 300 };
	static const char *const names[] = { "severity" };
	const char *page[] = { "page" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_HISTOGRAM, "an_ttr_seconds", "TTR.", 1, names,
	    b, 2);
	CHECK(f != NULL);
	met_observe_many(f, page, 60, 2, 0);	/* le 60 */
	met_observe_many(f, page, INFINITY, 1, 0);	/* +Inf */
	met_observe_many(f, page, 0, 0, 1000);	/* the sum alone */
	met_observe(f, page, 120);
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_ttr_seconds TTR.\n"
	    "# TYPE an_ttr_seconds histogram\n"
	    "an_ttr_seconds_bucket{severity=\"page\",le=\"60\"} 2\n"
	    "an_ttr_seconds_bucket{severity=\"page\",le=\"300\"} 3\n"
	    "an_ttr_seconds_bucket{severity=\"page\",le=\"+Inf\"} 4\n"
	    "an_ttr_seconds_sum{severity=\"page\"} 1120\n"
	    "an_ttr_seconds_count{severity=\"page\"} 4\n");
	free(s);
	/* not a histogram: ignored */
	met_observe_many(met_register(r, MET_COUNTER, "an_c_total", "C.", 0,
	    NULL, NULL, 0), NULL, 1, 1, 1);
	met_registry_free(r);
}

TEST(float_format)
{
	static const struct {
		double		 v;
		const char	*text;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 3, "3" },
		{ -2, "-2" },
		{ 1e6, "1000000" },
		{ 123456789012.0, "123456789012" },
		{ 9007199254740993.0, "9007199254740992" },	/* 2^53 + 1 */
		{ 0.1, "0.1" },
		{ 2.5, "2.5" },
		{ -0.001, "-0.001" },
		{ 1e-5, "1e-05" },
		{ 1e20, "1e+20" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
		{ NAN, "NaN" },
	};
	static const char *const names[] = { "i" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char label[16], want[128], *s;
	size_t i;

	f = met_register(r, MET_GAUGE, "an_value", "Values.", 1, names, NULL,
	    0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(label, sizeof(label), "%02zu", i);
		met_set(f, (const char *[]){ label }, cases[i].v);
	}
	s = render_registry(r);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "\nan_value{i=\"%02zu\"} %s\n", i,
		    cases[i].text);
		CHECK_CONTAINS(s, want);
	}
	free(s);
	met_registry_free(r);
}

/* Every finite double renders as text that reads back as the same double. */
TEST(float_round_trip)
{
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	unsigned long long bits, x = 88172645463325252ULL;
	double v, got;
	char *s;
	int i, bad = 0;

	f = met_register(r, MET_GAUGE, "an_round_trip", "Round trip.", 0,
	    NULL, NULL, 0);
	for (i = 0; i < 20000; i++) {
		/* xorshift64 over all bit patterns, then some "nice" values */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = x;
		memcpy(&v, &bits, sizeof(v));
		if (i % 2)
			v = (double)(x % 100000) / 1000.0;
		if (!isfinite(v))
			continue;
		met_set(f, NULL, v);
		s = render_registry(r);
		got = sample_value(s, "an_round_trip");
		if (got != v && bad++ < 5)
			T_FAIL("%.17g rendered as %s", v, s);
		free(s);
	}
	CHECK_INT(bad, 0);
	met_registry_free(r);
}

TEST(get)
{
	static const char *const names[] = { "a", "b" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_COUNTER, "an_get_total", "Get.", 2, names,
	    NULL, 0);
	CHECK(met_get(f, (const char *[]){ "x", "y" }) == 0);
	met_add(f, (const char *[]){ "x", "y" }, 4);
	CHECK(met_get(f, (const char *[]){ "x", "y" }) == 4);
	CHECK(met_get(f, (const char *[]){ "x", "z" }) == 0);
	CHECK(met_get(f, (const char *[]){ "y", "x" }) == 0);
	/* met_get never creates a child */
	s = render_registry(r);
	CHECK_STR(s,
	    "# HELP an_get_total Get.\n"
	    "# TYPE an_get_total counter\n"
	    "an_get_total{a=\"x\",b=\"y\"} 4\n");
	free(s);
	/* a family whose registration failed is a no-op, not a crash */
	CHECK(met_get(NULL, NULL) == 0);
	met_add(NULL, NULL, 1);
	met_set(NULL, NULL, 1);
	met_observe(NULL, NULL, 1);
	met_registry_free(r);
	met_registry_free(NULL);
}

TEST(sorting)
{
	static const char *const names[] = { "k", "l" };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	met_register(r, MET_COUNTER, "b_total", "B.", 0, NULL, NULL, 0);
	f = met_register(r, MET_GAUGE, "a", "A.", 2, names, NULL, 0);
	met_register(r, MET_COUNTER, "c_total", "C.", 0, NULL, NULL, 0);
	met_register(r, MET_GAUGE, "a_b", "AB.", 0, NULL, NULL, 0);
	met_set(f, (const char *[]){ "9", "" }, 1);
	met_set(f, (const char *[]){ "10", "z" }, 2);
	met_set(f, (const char *[]){ "10", "a" }, 3);
	met_set(f, (const char *[]){ "1", "a" }, 4);
	s = render_registry(r);
	/* by name in strcmp order; children by values, one after the other */
	CHECK_STR(s,
	    "# HELP a A.\n"
	    "# TYPE a gauge\n"
	    "a{k=\"1\",l=\"a\"} 4\n"
	    "a{k=\"10\",l=\"a\"} 3\n"
	    "a{k=\"10\",l=\"z\"} 2\n"
	    "a{k=\"9\",l=\"\"} 1\n"
	    "# HELP a_b AB.\n"
	    "# TYPE a_b gauge\n"
	    "a_b 0\n"
	    "# HELP b_total B.\n"
	    "# TYPE b_total counter\n"
	    "b_total 0\n"
	    "# HELP c_total C.\n"
	    "# TYPE c_total counter\n"
	    "c_total 0\n");
	free(s);
	met_registry_free(r);
}

TEST(register_errors)
{
	static const double up[] = { 1, 2 }, same[] = { 1, 1 },
	    down[] = { 2, 1 }, nan[] = { NAN };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char *s;

	f = met_register(r, MET_COUNTER, "an_dup_total", "First.", 0, NULL,
	    NULL, 0);
	CHECK(f != NULL);
	CHECK(met_register(r, MET_COUNTER, "an_dup_total", "Again.", 0, NULL,
	    NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an_dup_total", "Other type.", 0,
	    NULL, NULL, 0) == NULL);
	met_add(f, NULL, 1);

	/* names */
	CHECK(met_register(r, MET_GAUGE, "", "x", 0, NULL, NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "1x", "x", 0, NULL, NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "a-b", "x", 0, NULL, NULL, 0) ==
	    NULL);
	CHECK(met_register(r, MET_GAUGE, "process_open_fds", "x", 0, NULL,
	    NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an:rule_ratio", "Recording rule.",
	    0, NULL, NULL, 0) != NULL);

	/* label names */
	CHECK(met_register(r, MET_GAUGE, "an_l1", "x", 1,
	    (const char *[]){ "__name" }, NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an_l2", "x", 1,
	    (const char *[]){ "a:b" }, NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an_l3", "x", 1,
	    (const char *[]){ "9a" }, NULL, 0) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an_l4", "x", 2,
	    (const char *[]){ "a", "a" }, NULL, 0) == NULL);
	CHECK(met_register(r, MET_HISTOGRAM, "an_l5", "x", 1,
	    (const char *[]){ "le" }, up, 2) == NULL);
	CHECK(met_register(r, MET_GAUGE, "an_l6", "x", 1,
	    (const char *[]){ "le" }, NULL, 0) != NULL);

	/* buckets */
	CHECK(met_register(r, MET_HISTOGRAM, "an_b1", "x", 0, NULL, same,
	    2) == NULL);
	CHECK(met_register(r, MET_HISTOGRAM, "an_b2", "x", 0, NULL, down,
	    2) == NULL);
	CHECK(met_register(r, MET_HISTOGRAM, "an_b3", "x", 0, NULL, nan,
	    1) == NULL);
	CHECK(met_register(r, MET_HISTOGRAM, "an_b4", "x", 0, NULL, up,
	    2) != NULL);

	/* the failures left nothing behind, the first family is intact */
	s = render_registry(r);
	CHECK_CONTAINS(s,
	    "# HELP an_dup_total First.\n"
	    "# TYPE an_dup_total counter\n"
	    "an_dup_total 1\n");
	CHECK(strstr(s, "an_l1") == NULL && strstr(s, "an_b1") == NULL &&
	    strstr(s, "Again.") == NULL);
	free(s);
	met_registry_free(r);
}

TEST(buffer_limit)
{
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	struct buf b;

	f = met_register(r, MET_COUNTER, "an_limit_total", "Limit.", 0, NULL,
	    NULL, 0);
	met_add(f, NULL, 1);

	buf_init(&b, 20);
	CHECK_INT(met_render(r, &b), -1);
	CHECK_INT(b.len, 0);
	buf_free(&b);

	/* past the registry, inside the process metrics: nothing is kept */
	buf_init(&b, 200);
	CHECK_INT(buf_puts(&b, "keep\n"), 0);
	CHECK_INT(met_render(r, &b), -1);
	CHECK_INT(b.len, 5);
	CHECK_STR(b.data, "keep\n");
	buf_free(&b);

	buf_init(&b, 1 << 16);
	CHECK_INT(buf_puts(&b, "keep\n"), 0);
	CHECK_INT(met_render(r, &b), 0);
	CHECK(strncmp(b.data, "keep\n# HELP an_limit_total Limit.\n", 34) ==
	    0);
	buf_free(&b);
	met_registry_free(r);
}

#define NTHREADS	8
#define NITER		20000

struct worker {
	struct met_registry	*r;
	struct met_family	*c, *cl, *h;
	int			 id;
	int			 registered;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char own[16], name[32];
	struct buf b;
	int i;

	snprintf(own, sizeof(own), "t%d", w->id);
	snprintf(name, sizeof(name), "an_thread_%d_total", w->id);
	w->registered = met_register(w->r, MET_COUNTER, name, "Per thread.",
	    0, NULL, NULL, 0) != NULL;
	for (i = 0; i < NITER; i++) {
		met_add(w->c, NULL, 1);
		met_add(w->cl, (const char *[]){ "shared" }, 1);
		met_add(w->cl, (const char *[]){ own }, 1);
		met_observe(w->h, (const char *[]){ "shared" }, i % 2);
		if (i % 5000 == 0) {
			/* renders interleave with updates and registers */
			buf_init(&b, 1 << 20);
			met_render(w->r, &b);
			buf_free(&b);
		}
	}
	return NULL;
}

TEST(concurrency)
{
	static const char *const names[] = { "t" };
	static const double bk[] = { 0.5 };
	struct met_registry *r = met_registry_new();
	struct worker w[NTHREADS];
	pthread_t tid[NTHREADS];
	char own[16], want[256], *s;
	int i;

	w[0].r = r;
	w[0].c = met_register(r, MET_COUNTER, "an_c_total", "C.", 0, NULL,
	    NULL, 0);
	w[0].cl = met_register(r, MET_COUNTER, "an_cl_total", "CL.", 1,
	    names, NULL, 0);
	w[0].h = met_register(r, MET_HISTOGRAM, "an_h", "H.", 1, names, bk,
	    1);
	for (i = 1; i < NTHREADS; i++)
		w[i] = w[0];
	for (i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		CHECK_INT(pthread_create(&tid[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);

	CHECK(met_get(w[0].c, NULL) == NTHREADS * NITER);
	CHECK(met_get(w[0].cl, (const char *[]){ "shared" }) ==
	    NTHREADS * NITER);
	for (i = 0; i < NTHREADS; i++) {
		CHECK_INT(w[i].registered, 1);
		snprintf(own, sizeof(own), "t%d", i);
		CHECK(met_get(w[0].cl, (const char *[]){ own }) == NITER);
	}
	s = render_registry(r);
	snprintf(want, sizeof(want), "\nan_c_total %d\n", NTHREADS * NITER);
	CHECK_CONTAINS(s, want);
	snprintf(want, sizeof(want), "\nan_h_bucket{t=\"shared\",le=\"0.5\"} %d\n"
	    "an_h_bucket{t=\"shared\",le=\"+Inf\"} %d\n"
	    "an_h_sum{t=\"shared\"} %d\n"
	    "an_h_count{t=\"shared\"} %d\n", NTHREADS * NITER / 2,
	    NTHREADS * NITER, NTHREADS * NITER / 2, NTHREADS * NITER);
	CHECK_CONTAINS(s, want);
	for (i = 0; i < NTHREADS; i++) {
		snprintf(want, sizeof(want), "\nan_thread_%d_total 0\n", i);
		CHECK_CONTAINS(s, want);
	}
	free(s);
	met_registry_free(r);
}

TEST(process_metrics)
{
	static const char cpu[] = "# HELP process_cpu_seconds_total "
	    "Total user and system CPU time spent in seconds.\n"
	    "# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total ";
	struct met_registry *r = met_registry_new();
	struct rlimit rl;
	double fds, fds2, start;
	char *s;
	FILE *a, *b;

	if (access("/proc/self/stat", R_OK) != 0) {
		printf("note: no /proc, process metrics not checked\n");
		met_registry_free(r);
		return;
	}
	s = render_all(r);
	CHECK(s != NULL);
	if (s == NULL)
		goto out;
	/* with an empty registry the output is the process metrics alone */
	CHECK(strncmp(s, cpu, strlen(cpu)) == 0);
	CHECK_CONTAINS(s, "# HELP process_max_fds Maximum number of open file descriptors.\n"
	    "# TYPE process_max_fds gauge\nprocess_max_fds ");
	CHECK_CONTAINS(s, "# HELP process_open_fds Number of open file descriptors.\n"
	    "# TYPE process_open_fds gauge\nprocess_open_fds ");
	CHECK_CONTAINS(s, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes ");
	CHECK_CONTAINS(s, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds ");
	CHECK_CONTAINS(s, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
	    "# TYPE process_virtual_memory_bytes gauge\n"
	    "process_virtual_memory_bytes ");
	/* sorted by name */
	CHECK(strstr(s, "process_max_fds") < strstr(s, "process_open_fds"));
	CHECK(strstr(s, "process_open_fds") <
	    strstr(s, "process_resident_memory_bytes"));
	CHECK(strstr(s, "process_resident_memory_bytes") <
	    strstr(s, "process_start_time_seconds"));
	CHECK(strstr(s, "process_start_time_seconds") <
	    strstr(s, "process_virtual_memory_bytes"));

	CHECK(sample_value(s, "process_cpu_seconds_total") >= 0);
	CHECK(sample_value(s, "process_resident_memory_bytes") > 0);
	CHECK(sample_value(s, "process_virtual_memory_bytes") >=
	    sample_value(s, "process_resident_memory_bytes"));
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK(sample_value(s, "process_max_fds") == (double)rl.rlim_cur);
	/* this test process started moments ago */
	start = sample_value(s, "process_start_time_seconds");
	if (!(fabs(start - (double)time(NULL)) < 600))
		T_FAIL("process_start_time_seconds %f, now %lld", start,
		    (long long)time(NULL));
	fds = sample_value(s, "process_open_fds");
	CHECK(fds >= 3);
	free(s);

	a = fopen("/dev/null", "r");
	b = fopen("/dev/null", "r");
	s = render_all(r);
	fds2 = sample_value(s, "process_open_fds");
	if (fds2 != fds + 2)
		T_FAIL("process_open_fds %g after opening 2 more, was %g", fds2,
		    fds);
	fclose(a);
	fclose(b);
out:
	free(s);
	met_registry_free(r);
}

/* Debian's promtool, the parser Prometheus itself uses plus its lint rules,
 * accepts a render of every kind of family together with the process
 * metrics. */
TEST(promtool_check)
{
	static const char *const code[] = { "code", "handler" };
	static const char *const recv[] = { "receiver" };
	static const double b[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	    1, 2.5, 5, 10 };
	struct met_registry *r = met_registry_new();
	struct met_family *f;
	char path[] = "/tmp/test_metrics.XXXXXX", cmd[128], *s;
	FILE *fp;
	int fd, st;

	if (access(PROMTOOL, X_OK) != 0) {
		printf("note: %s not installed, promtool check skipped\n",
		    PROMTOOL);
		met_registry_free(r);
		return;
	}
	f = met_register(r, MET_COUNTER, "an_http_requests_total",
	    "HTTP requests.\nBy code and handler, C:\\ style.", 2, code, NULL,
	    0);
	met_add(f, (const char *[]){ "200", "/api/v1/write" }, 12);
	met_add(f, (const char *[]){ "400", "/api/v1/alerts" }, 1);
	f = met_register(r, MET_COUNTER, "an_notifications_total",
	    "Notifications by receiver.", 1, recv, NULL, 0);
	met_add(f, (const char *[]){ "team \"ops\"\n\\pager" }, 3);
	met_add(f, (const char *[]){ "bad \xff utf-8" }, 1);
	met_add(f, (const char *[]){ "" }, 1);
	met_register(r, MET_COUNTER, "an_dropped_total", "Never used.", 1,
	    recv, NULL, 0);
	met_register(r, MET_COUNTER, "an_errors_total", "Errors.", 0, NULL,
	    NULL, 0);
	f = met_register(r, MET_GAUGE, "an_queue_length", "Queue length.",
	    1, recv, NULL, 0);
	met_set(f, (const char *[]){ "email" }, 0.30000000000000004);
	met_set(f, (const char *[]){ "inf" }, INFINITY);
	met_set(f, (const char *[]){ "nan" }, NAN);
	f = met_register(r, MET_HISTOGRAM, "an_request_duration_seconds",
	    "Request latency.", 1, recv, b, sizeof(b) / sizeof(b[0]));
	met_observe(f, (const char *[]){ "email" }, 0.042);
	met_observe(f, (const char *[]){ "email" }, 7);
	met_register(r, MET_HISTOGRAM, "an_batch_size_bytes", "Batch size.",
	    0, NULL, b, sizeof(b) / sizeof(b[0]));

	s = render_all(r);
	CHECK(s != NULL);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (s == NULL || fd < 0)
		goto out;
	fp = fdopen(fd, "w");
	fputs(s, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s check metrics < %s", PROMTOOL, path);
	st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAIL("promtool check metrics exited %d on:\n%s",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1, s);
	unlink(path);
out:
	free(s);
	met_registry_free(r);
}

int
main(void)
{
	RUN(counter_without_labels);
	RUN(counter_with_labels);
	RUN(gauge);
	RUN(drop_stale);
	RUN(escaping);
	RUN(label_values_utf8);
	RUN(label_values_cut);
	RUN(series_limit_counted);
	RUN(histogram);
	RUN(histogram_without_labels);
	RUN(histogram_observe_many);
	RUN(float_format);
	RUN(float_round_trip);
	RUN(get);
	RUN(sorting);
	RUN(register_errors);
	RUN(buffer_limit);
	RUN(concurrency);
	RUN(process_metrics);
	RUN(promtool_check);
	return t_done();
}

/* test_links.c -- lib/render/links.c: an alert's links. Only http(s) URLs
 * with a host are linked (a javascript: runbook never is), what is linked
 * is percent-encoded past RFC 3986's characters, the silence form's filter
 * is Alertmanager's matcher list, encoded, and the renderings escape. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fmt.h"
#include "links.h"
#include "t.h"

#define MAX	((size_t)1 << 20)

TEST(only_http_urls_with_a_host)
{
	CHECK(links_url_ok("http://wiki/runbooks/disk"));
	CHECK(links_url_ok("HTTPS://wiki.example.com"));
	CHECK(!links_url_ok("javascript:alert(1)"));
	CHECK(!links_url_ok(" javascript:alert(1)"));
	CHECK(!links_url_ok("JavaScript://%0aalert(1)"));
	CHECK(!links_url_ok("data:text/html,<script>"));
	CHECK(!links_url_ok("http://"));
	CHECK(!links_url_ok("http:///path"));
	CHECK(!links_url_ok("//wiki/x"));
	CHECK(!links_url_ok("/runbooks/x"));
	CHECK(!links_url_ok(""));
	CHECK(!links_url_ok(NULL));
}

TEST(makes_every_link_of_an_alertname)
{
	struct link_src src = {
		.alertname = "Disk Full/x",
		.runbook_url = "https://wiki/run books/<disk>\"x\"",
		.generator_url = "http://prom:9090/graph?g0.expr=up%3D%3D0",
		.external_url = "http://am:9093/",
		.grafana_url = "http://grafana/d/abc/noise",
	};
	struct alert_links l;

	CHECK_INT(links_make(&src, &l), 0);
	/* space, angle brackets and quotes encoded; an encoding kept */
	CHECK_STR(l.runbook, "https://wiki/run%20books/%3Cdisk%3E%22x%22");
	CHECK_STR(l.graph, "http://prom:9090/graph?g0.expr=up%3D%3D0");
	/* {alertname="Disk Full/x"}, trailing slash of externalURL dropped */
	CHECK_STR(l.silence, "http://am:9093/#/silences/new?filter="
	    "%7Balertname%3D%22Disk%20Full%2Fx%22%7D");
	CHECK_STR(l.page, "/alerts/Disk%20Full%2Fx");
	CHECK_STR(l.dashboard,
	    "http://grafana/d/abc/noise?var-alertname=Disk%20Full%2Fx");
	links_free(&l);
	CHECK(l.page == NULL);

	/* a dashboard URL with a query gets the variable added to it */
	src.grafana_url = "http://grafana/d/abc?orgId=1";
	CHECK_INT(links_make(&src, &l), 0);
	CHECK_STR(l.dashboard,
	    "http://grafana/d/abc?orgId=1&var-alertname=Disk%20Full%2Fx");
	links_free(&l);
}

TEST(refuses_what_is_not_http)
{
	struct link_src src = {
		.alertname = "A",
		.runbook_url = "javascript:alert(document.cookie)",
		.generator_url = "",
		.external_url = "ftp://am",
		.grafana_url = "",
	};
	struct alert_links l;
	json_t *j;
	char *s;

	CHECK_INT(links_make(&src, &l), 0);
	CHECK(l.runbook == NULL);
	CHECK(l.graph == NULL);
	CHECK(l.silence == NULL);
	CHECK(l.dashboard == NULL);
	CHECK_STR(l.page, "/alerts/A");
	/* only the keys it has */
	j = links_json(&l);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(s, "{\"page\":\"/alerts/A\"}");
	free(s);
	json_decref(j);
	links_free(&l);
}

TEST(silences_an_identity_by_all_its_labels)
{
	json_t *labels = json_pack("{s:s, s:s, s:s}", "severity", "page",
	    "alertname", "DiskFull", "path", "C:\\ \"q\"\n");
	struct link_src src = {
		.alertname = "DiskFull", .labels = labels,
		.external_url = "https://am.example.com",
	};
	struct alert_links l;

	CHECK_INT(links_make(&src, &l), 0);
	/* {alertname="DiskFull", path="C:\\ \"q\"\n", severity="page"}:
	 * sorted by name, values as JSON strings, ", " between */
	CHECK_STR(l.silence, "https://am.example.com/#/silences/new?filter="
	    "%7Balertname%3D%22DiskFull%22%2C%20path%3D%22C%3A%5C%5C%20%5C%22"
	    "q%5C%22%5Cn%22%2C%20severity%3D%22page%22%7D");
	links_free(&l);
	json_decref(labels);
}

TEST(renders_escaped_html_and_markdown)
{
	struct link_src src = {
		.alertname = "A",
		.runbook_url = "http://wiki/a?x=1&y='2'",
		.external_url = "http://am",
	};
	struct alert_links l;
	struct fmt_out o;
	char *s;

	CHECK_INT(links_make(&src, &l), 0);
	fmt_init(&o, MAX);
	links_html(&o, &l, 0);
	s = fmt_finish(&o);
	CHECK_STR(s, " <span class=\"links\"><a href=\"http://wiki/a?x=1&amp;"
	    "y=&#39;2&#39;\" rel=\"noopener noreferrer\">runbook</a> \xc2\xb7 "
	    "<a href=\"http://am/#/silences/new?filter=%7Balertname%3D%22A%22"
	    "%7D\" rel=\"noopener noreferrer\">silence</a></span>");
	free(s);
	fmt_init(&o, MAX);
	links_md(&o, &l, 1);
	s = fmt_finish(&o);
	CHECK_STR(s, " ([runbook](<http://wiki/a?x=1&y='2'>) \xc2\xb7 "
	    "[silence](<http://am/#/silences/new?filter=%7Balertname%3D%22A%22"
	    "%7D>) \xc2\xb7 [alert page](</alerts/A>))");
	free(s);
	links_free(&l);

	/* no link: nothing at all */
	memset(&l, 0, sizeof(l));
	fmt_init(&o, MAX);
	fmt_put(&o, "x");
	links_html(&o, &l, 1);
	links_md(&o, &l, 1);
	s = fmt_finish(&o);
	CHECK_STR(s, "x");
	free(s);
}

int
main(void)
{
	RUN(only_http_urls_with_a_host);
	RUN(makes_every_link_of_an_alertname);
	RUN(refuses_what_is_not_http);
	RUN(silences_an_identity_by_all_its_labels);
	RUN(renders_escaped_html_and_markdown);
	return t_done();
}

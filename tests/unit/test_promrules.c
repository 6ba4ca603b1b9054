/* test_promrules.c -- lib/tuning/promrules.c: rule files, /api/v1/rules, and
 * patches to a rule's for: and keep_firing_for:.
 *
 * Against the real peer: every rule file a test calls good passes
 * `promtool check rules` (Prometheus 2.42), every one it calls bad fails
 * it, and every patched file passes it and parses back to the new values
 * with every other rule unchanged. API_JSON is what Prometheus 2.42 answered
 * on /api/v1/rules for API_RULES. */
#include "t.h"
#include "promrules.h"
#include "udiff.h"

#include <stdlib.h>
#include <unistd.h>

static char tmpdir[64];
static int have_promtool;

/* Several groups, comments, recording rules among the alerting ones, a
 * literal and a folded block scalar, a multi-line plain expr, quoted
 * durations, rules without for:, keep_firing_for:, flow-style labels. */
static const char SAMPLE[] =
	"# Alerting rules for the fleet.\n"
	"groups:\n"
	"  - name: node            # the host group\n"
	"    interval: 30s\n"
	"    rules:\n"	/* 5 */
	"      - record: instance:node_cpu:rate5m\n"
	"        expr: sum by (instance) (rate(node_cpu_seconds_total[5m]))\n"
	"      - alert: NodeDown\n"
	"        expr: up{job=\"node\"} == 0\n"
	"        for: 5m\n"	/* 10 */
	"        labels:\n"
	"          severity: page\n"
	"          team: infra\n"
	"        annotations:\n"
	"          summary: \"{{ $labels.instance }} is down\"\n"	/* 15 */
	"      - alert: HighCPU\n"
	"        # a literal block scalar, with a blank line after it\n"
	"        expr: |\n"
	"          instance:node_cpu:rate5m\n"
	"            > 0.9\n"	/* 20 */
	"\n"
	"        for: \"10m\"   # quoted\n"
	"        keep_firing_for: 2m\n"
	"        labels:\n"
	"          severity: ticket\n"	/* 25 */
	"      - alert: DiskFull\n"
	"        expr: >-\n"
	"          node_filesystem_avail_bytes / node_filesystem_size_bytes\n"
	"          < 0.05\n"
	"        labels:\n"	/* 30 */
	"          severity: page\n"
	"      - alert: Flappy\n"
	"        expr: 'rate(errors_total[1m]) > 1'\n"
	"        for: '1m'\n"
	"  - name: app\n"	/* 35 */
	"    rules:\n"
	"      - alert: SlowRequests\n"
	"        expr: histogram_quantile(0.99,\n"
	"            sum by (le) (rate(latency_bucket[5m]))) > 2\n"
	"        keep_firing_for: 15m\n"	/* 40 */
	"      - alert: AppErrors\n"
	"        expr: sum(rate(http_requests_total{code=~\"5..\"}[5m])) > 1\n"
	"        for: 1h30m\n"
	"        keep_firing_for: 0s\n"
	"      - record: job:http_requests:rate5m\n"	/* 45 */
	"        expr: sum by (job) (rate(http_requests_total[5m]))\n"
	"      - alert: Watchdog\n"
	"        expr: vector(1)\n"
	"        labels: {severity: none}\n"
	"  - name: empty\n"	/* 50 */
	"    interval: 1m\n"
	"    rules: []\n";

/* The rule file Prometheus 2.42 loaded (as rules.yml, with a global
 * evaluation_interval of 1s) to answer API_JSON. */
static const char API_RULES[] =
	"groups:\n"
	"  - name: node\n"
	"    interval: 30s\n"
	"    rules:\n"
	"      - record: instance:up:sum\n"
	"        expr: sum by (instance) (up)\n"
	"      - alert: NodeDown\n"
	"        expr: up{job=\"prometheus\"} == 1\n"
	"        for: 5m\n"
	"        labels:\n"
	"          severity: page\n"
	"          team: infra\n"
	"        annotations:\n"
	"          summary: \"{{ $labels.instance }} is down\"\n"
	"      - alert: HighLoad\n"
	"        expr: |\n"
	"          vector(1)\n"
	"            > 0\n"
	"        for: 10m\n"
	"        keep_firing_for: 2m\n"
	"        labels:\n"
	"          severity: ticket\n"
	"  - name: app\n"
	"    rules:\n"
	"      - alert: Watchdog\n"
	"        expr: vector(1)\n"
	"        labels: {severity: none}\n";

static const char API_JSON[] =
	"{\"status\":\"success\",\"data\":{\"groups\":[{\"name\":\"app\",\"fi"
	"le\":\"rules.yml\",\"rules\":[{\"state\":\"firing\",\"name\":\"Watch"
	"dog\",\"query\":\"vector(1)\",\"duration\":0,\"keepFiringFor\":0,\"l"
	"abels\":{\"severity\":\"none\"},\"annotations\":{},\"alerts\":[{\"la"
	"bels\":{\"alertname\":\"Watchdog\",\"severity\":\"none\"},\"annotati"
	"ons\":{},\"state\":\"firing\",\"activeAt\":\"2026-12-06T13:11:56.234"
	"666139Z\",\"value\":\"1e+00\"}],\"health\":\"ok\",\"evaluationTime\""
	":0.000454315,\"lastEvaluation\":\"2026-12-06T13:12:04.236404569Z\",\""
	"type\":\"alerting\"}],\"interval\":1,\"limit\":0,\"evaluationTime\":"
	"0.000490083,\"lastEvaluation\":\"2026-12-06T13:12:04.236371195Z\"},{"
	"\"name\":\"node\",\"file\":\"rules.yml\",\"rules\":[{\"name\":\"inst"
	"ance:up:sum\",\"query\":\"sum by (instance) (up)\",\"health\":\"ok\""
	",\"evaluationTime\":0.000580104,\"lastEvaluation\":\"2026-12-06T13:1"
	"2:05.125807425Z\",\"type\":\"recording\"},{\"state\":\"pending\",\"n"
	"ame\":\"NodeDown\",\"query\":\"up{job=\\\"prometheus\\\"} == 1\",\"d"
	"uration\":300,\"keepFiringFor\":0,\"labels\":{\"severity\":\"page\","
	"\"team\":\"infra\"},\"annotations\":{\"summary\":\"{{ $labels.instan"
	"ce }} is down\"},\"alerts\":[{\"labels\":{\"alertname\":\"NodeDown\""
	",\"instance\":\"127.0.0.1:39091\",\"job\":\"prometheus\",\"severity\""
	":\"page\",\"team\":\"infra\"},\"annotations\":{\"summary\":\"127.0.0"
	".1:39091 is down\"},\"state\":\"pending\",\"activeAt\":\"2026-12-06T"
	"13:12:05.12492092Z\",\"value\":\"1e+00\"}],\"health\":\"ok\",\"evalu"
	"ationTime\":0.000353783,\"lastEvaluation\":\"2026-12-06T13:12:05.126"
	"390004Z\",\"type\":\"alerting\"},{\"state\":\"pending\",\"name\":\"H"
	"ighLoad\",\"query\":\"vector(1) > 0\",\"duration\":600,\"keepFiringF"
	"or\":120,\"labels\":{\"severity\":\"ticket\"},\"annotations\":{},\"a"
	"lerts\":[{\"labels\":{\"alertname\":\"HighLoad\",\"severity\":\"tick"
	"et\"},\"annotations\":{},\"state\":\"pending\",\"activeAt\":\"2026-1"
	"2-06T13:12:05.12492092Z\",\"value\":\"1e+00\"}],\"health\":\"ok\",\""
	"evaluationTime\":0.00014197,\"lastEvaluation\":\"2026-12-06T13:12:05"
	".12674526Z\",\"type\":\"alerting\"}],\"interval\":30,\"limit\":0,\"e"
	"valuationTime\":0.001144027,\"lastEvaluation\":\"2026-12-06T13:12:05"
	".125745187Z\"}]}}";

/* data.yaml of the same Prometheus' /api/v1/status/config. */
static const char STATUS_CONFIG_YAML[] =
	"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
	"  evaluation_interval: 1s\nrule_files:\n- rules.yml\n"
	"scrape_configs:\n- job_name: prometheus\n  honor_timestamps: true\n"
	"  scrape_interval: 1s\n  scrape_timeout: 1s\n  metrics_path: /metrics\n"
	"  scheme: http\n  follow_redirects: true\n  enable_http2: true\n"
	"  static_configs:\n  - targets:\n    - 127.0.0.1:39091\n";

/* --- helpers --- */

/* 1 when `promtool check rules` accepts text (or promtool is missing),
 * 0 when it refuses it; what it said goes to stderr when want differs. */
static int
promtool_accepts(const char *text, size_t len, int want)
{
	char path[128], cmd[512], line[512];
	FILE *fp;
	int rc;

	if (!have_promtool)
		return want;
	snprintf(path, sizeof(path), "%s/check.yml", tmpdir);
	if (t_write_file(path, text, len) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "promtool check rules %s > %s/promtool.log "
	    "2>&1", path, tmpdir);
	rc = system(cmd) == 0;
	if (rc != want) {
		snprintf(path, sizeof(path), "%s/promtool.log", tmpdir);
		if ((fp = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), fp) != NULL)
				fputs(line, stderr);
			fclose(fp);
		}
	}
	return rc;
}

/* The lines a diff from old to new deletes and inserts, in order, without
 * the --- and +++ headers (caller frees). */
static char *
changed_lines(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	char err[128], *d = NULL, *res, *p, *nl;
	size_t dlen, n = 0;

	if (ud_diff("r.yml", old, oldlen, new, newlen, &d, &dlen, err,
	    sizeof(err)) < 0)
		return strdup(err);
	res = calloc(1, dlen + 1);
	for (p = d; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		if ((p[0] == '-' && strncmp(p, "--- ", 4) != 0) ||
		    (p[0] == '+' && strncmp(p, "+++ ", 4) != 0) ||
		    p[0] == '\\') {
			memcpy(res + n, p, (size_t)(nl - p) + 1);
			n += (size_t)(nl - p) + 1;
		}
	}
	free(d);
	return res;
}

static struct pr_rules *
parse(const char *file, const char *text)
{
	struct pr_rules *rs = pr_rules_new();
	char err[256];

	if (pr_rules_add_file(rs, file, text, strlen(text), err,
	    sizeof(err)) < 0) {
		T_FAIL("%s", err);
		pr_rules_free(rs);
		return NULL;
	}
	return rs;
}

/* The alerting rule named alert in rs, or NULL. */
static const struct pr_rule *
rule_named(const struct pr_rules *rs, const char *alert)
{
	size_t i;

	for (i = 0; i < pr_rules_count(rs); i++)
		if (strcmp(pr_rules_get(rs, i)->alert, alert) == 0)
			return pr_rules_get(rs, i);
	return NULL;
}

static const char *
label(const struct pr_rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i].name, name) == 0)
			return r->labels[i].value;
	return NULL;
}

static int
same_rule(const struct pr_rule *a, const struct pr_rule *b)
{
	size_t i;

	if (strcmp(a->alert, b->alert) != 0 || strcmp(a->expr, b->expr) != 0 ||
	    a->for_ms != b->for_ms ||
	    a->keep_firing_for_ms != b->keep_firing_for_ms ||
	    strcmp(a->group_name, b->group_name) != 0 ||
	    a->n_labels != b->n_labels)
		return 0;
	for (i = 0; i < a->n_labels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}

/* Patches rule alert of text to new_for / new_kff and checks the result
 * the way a user would: promtool accepts it, it parses back with the rule
 * at its new values and every other rule as it was, and the diff touches
 * only for: and keep_firing_for: lines. Returns the new text (caller
 * frees) or NULL. */
static char *
patch_checked(const char *text, const char *alert, int64_t new_for,
    int64_t new_kff)
{
	struct pr_rules *before, *after = NULL;
	const struct pr_rule *r, *a, *b;
	char err[512], *out = NULL, *ch = NULL, *p;
	const char *key;
	size_t outlen, i;

	if ((before = parse("rules.yml", text)) == NULL)
		return NULL;
	if ((r = rule_named(before, alert)) == NULL) {
		T_FAIL("no rule %s", alert);
		goto bad;
	}
	if (pr_patch_rule(text, strlen(text), r, new_for, new_kff, &out,
	    &outlen, err, sizeof(err)) < 0) {
		T_FAIL("%s for=%lld kff=%lld: %s", alert, (long long)new_for,
		    (long long)new_kff, err);
		goto bad;
	}
	CHECK_INT(strlen(out), outlen);
	if (promtool_accepts(out, outlen, 1) != 1) {
		T_FAIL("%s: promtool refuses:\n%s", alert, out);
		goto bad;
	}
	if ((after = parse("rules.yml", out)) == NULL)
		goto bad;
	CHECK_INT(pr_rules_count(after), pr_rules_count(before));
	CHECK_INT(pr_rules_recording_count(after),
	    pr_rules_recording_count(before));
	for (i = 0; i < pr_rules_count(before) && i < pr_rules_count(after);
	    i++) {
		b = pr_rules_get(before, i);
		a = pr_rules_get(after, i);
		if (b == r) {
			CHECK_STR(a->alert, alert);
			CHECK_STR(a->expr, b->expr);
			CHECK_INT(a->for_ms, new_for >= 0 ? new_for : b->for_ms);
			CHECK_INT(a->keep_firing_for_ms,
			    new_kff >= 0 ? new_kff : b->keep_firing_for_ms);
		} else if (!same_rule(a, b)) {
			T_FAIL("%s: patch changed rule %s", alert, b->alert);
		}
	}
	ch = changed_lines(text, strlen(text), out, outlen);
	for (p = ch; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (*p == '\\')
			continue;	/* "\ No newline at end of file" */
		key = p + 1 + strspn(p + 1, " ");
		if (strncmp(key, "for:", 4) != 0 &&
		    strncmp(key, "keep_firing_for:", 16) != 0) {
			T_FAIL("%s: changed a line other than for: %s", alert,
			    ch);
			break;
		}
	}
	free(ch);
	pr_rules_free(before);
	pr_rules_free(after);
	return out;
bad:
	free(out);
	pr_rules_free(before);
	pr_rules_free(after);
	return NULL;
}

/* --- parsing rule files --- */

TEST(sample_passes_promtool)
{
	CHECK_INT(promtool_accepts(SAMPLE, strlen(SAMPLE), 1), 1);
	CHECK_INT(promtool_accepts(API_RULES, strlen(API_RULES), 1), 1);
}

TEST(parses_groups_and_rules)
{
	struct pr_rules *rs = parse("rules/fleet.yml", SAMPLE);
	const struct pr_group *g;
	const struct pr_rule *r;

	if (rs == NULL)
		return;
	CHECK_INT(pr_rules_group_count(rs), 3);
	CHECK_INT(pr_rules_count(rs), 7);
	CHECK_INT(pr_rules_recording_count(rs), 2);

	g = pr_rules_group(rs, 0);
	CHECK_STR(g->name, "node");
	CHECK_STR(g->file, "rules/fleet.yml");
	CHECK_INT(g->interval_ms, 30000);
	CHECK_INT(g->line, 3);
	CHECK_INT(g->first_rule, 0);
	CHECK_INT(g->n_rules, 4);
	CHECK_INT(g->n_recording, 1);
	g = pr_rules_group(rs, 1);
	CHECK_STR(g->name, "app");
	CHECK_INT(g->interval_ms, 0);
	CHECK_INT(g->first_rule, 4);
	CHECK_INT(g->n_rules, 3);
	CHECK_INT(g->n_recording, 1);
	g = pr_rules_group(rs, 2);
	CHECK_STR(g->name, "empty");
	CHECK_INT(g->interval_ms, 60000);
	CHECK_INT(g->n_rules, 0);

	r = pr_rules_get(rs, 0);
	CHECK_STR(r->alert, "NodeDown");
	CHECK_STR(r->expr, "up{job=\"node\"} == 0");
	CHECK_INT(r->for_ms, 5 * 60000);
	CHECK_INT(r->keep_firing_for_ms, 0);
	CHECK_INT(r->n_labels, 2);
	CHECK_STR(r->labels[0].name, "severity");
	CHECK_STR(r->labels[0].value, "page");
	CHECK_STR(r->labels[1].name, "team");
	CHECK_STR(r->labels[1].value, "infra");
	CHECK_INT(r->group, 0);
	CHECK_STR(r->group_name, "node");
	CHECK_STR(r->file, "rules/fleet.yml");
	CHECK_INT(r->line, 8);
	CHECK_INT(r->expr_line, 9);
	CHECK_INT(r->for_line, 10);
	CHECK_INT(r->kff_line, 0);
	CHECK_INT(r->column, 8);

	r = pr_rules_get(rs, 1);
	CHECK_STR(r->alert, "HighCPU");
	CHECK_STR(r->expr, "instance:node_cpu:rate5m\n  > 0.9\n");
	CHECK_INT(r->for_ms, 10 * 60000);
	CHECK_INT(r->keep_firing_for_ms, 2 * 60000);
	CHECK_INT(r->line, 16);
	CHECK_INT(r->expr_line, 18);
	CHECK_INT(r->for_line, 22);
	CHECK_INT(r->kff_line, 23);

	r = pr_rules_get(rs, 2);
	CHECK_STR(r->alert, "DiskFull");
	CHECK_STR(r->expr, "node_filesystem_avail_bytes / "
	    "node_filesystem_size_bytes < 0.05");
	CHECK_INT(r->for_ms, 0);
	CHECK_INT(r->for_line, 0);
	CHECK_INT(r->line, 26);

	r = pr_rules_get(rs, 3);
	CHECK_STR(r->alert, "Flappy");
	CHECK_STR(r->expr, "rate(errors_total[1m]) > 1");
	CHECK_INT(r->for_ms, 60000);
	CHECK_INT(r->n_labels, 0);

	r = pr_rules_get(rs, 4);
	CHECK_STR(r->alert, "SlowRequests");
	CHECK_STR(r->expr, "histogram_quantile(0.99, sum by (le) "
	    "(rate(latency_bucket[5m]))) > 2");
	CHECK_INT(r->for_ms, 0);
	CHECK_INT(r->keep_firing_for_ms, 15 * 60000);
	CHECK_INT(r->kff_line, 40);
	CHECK_STR(r->group_name, "app");
	CHECK_INT(r->group, 1);

	r = pr_rules_get(rs, 5);
	CHECK_STR(r->alert, "AppErrors");
	CHECK_INT(r->for_ms, 90 * 60000);
	CHECK_INT(r->keep_firing_for_ms, 0);
	CHECK_INT(r->kff_line, 44);

	r = pr_rules_get(rs, 6);
	CHECK_STR(r->alert, "Watchdog");
	CHECK_STR(label(r, "severity"), "none");
	CHECK_INT(r->line, 47);
	pr_rules_free(rs);
}

TEST(files_accumulate)
{
	struct pr_rules *rs = pr_rules_new();
	const struct pr_rule *r;
	char err[256];

	CHECK_INT(pr_rules_add_file(rs, "a.yml", SAMPLE, strlen(SAMPLE), err,
	    sizeof(err)), 0);
	CHECK_INT(pr_rules_add_file(rs, "b.yml", API_RULES, strlen(API_RULES),
	    err, sizeof(err)), 0);
	/* an empty file and one of comments hold nothing */
	CHECK_INT(pr_rules_add_file(rs, "c.yml", "", 0, err, sizeof(err)), 0);
	CHECK_INT(pr_rules_add_file(rs, "d.yml", "# none yet\n", 11, err,
	    sizeof(err)), 0);
	CHECK_INT(pr_rules_group_count(rs), 5);
	CHECK_INT(pr_rules_count(rs), 10);
	CHECK_INT(pr_rules_recording_count(rs), 3);
	CHECK_STR(pr_rules_group(rs, 3)->name, "node");
	CHECK_STR(pr_rules_group(rs, 3)->file, "b.yml");
	CHECK_INT(pr_rules_group(rs, 3)->first_rule, 7);
	r = pr_rules_get(rs, 8);
	CHECK_STR(r->alert, "HighLoad");
	CHECK_STR(r->file, "b.yml");
	CHECK_STR(r->group_name, "node");
	CHECK_INT(r->group, 3);
	CHECK_INT(r->line, 15);
	CHECK_STR(pr_rules_get(rs, 0)->file, "a.yml");
	pr_rules_free(rs);
}

TEST(merge_keys)
{
	static const char text[] =
	    "groups:\n"
	    "  - name: g\n"
	    "    rules:\n"
	    "      - &base\n"
	    "        alert: A\n"
	    "        expr: up == 0\n"
	    "        for: 1m\n"
	    "        labels: &l {team: db, severity: page}\n"
	    "      - <<: *base\n"
	    "        alert: B\n"
	    "        labels:\n"
	    "          <<: *l\n"
	    "          severity: ticket\n";
	struct pr_rules *rs = parse("r.yml", text);
	const struct pr_rule *r;

	CHECK_INT(promtool_accepts(text, strlen(text), 1), 1);
	if (rs == NULL)
		return;
	CHECK_INT(pr_rules_count(rs), 2);
	r = pr_rules_get(rs, 1);
	CHECK_STR(r->alert, "B");
	CHECK_STR(r->expr, "up == 0");
	CHECK_INT(r->for_ms, 60000);
	CHECK_INT(r->n_labels, 2);
	CHECK_STR(label(r, "severity"), "ticket");
	CHECK_STR(label(r, "team"), "db");
	pr_rules_free(rs);
}

TEST(errors_name_file_line_key)
{
#define RULE "groups:\n  - name: g\n    rules:\n      - alert: A\n"
	static const struct {
		const char *text, *err;
		int promtool_refuses;
	} cases[] = {
		{ RULE "        expr: up\n        for: 5\n",
		  "r.yml:6: groups[0].rules[0].for: not a valid duration "
		  "string: \"5\"", 1 },
		{ RULE "        expr: up\n        fro: 5m\n",
		  "r.yml:6: groups[0].rules[0].fro: unknown key", 1 },
		{ RULE "        record: a\n        expr: up\n",
		  "r.yml:4: groups[0].rules[0]: only one of 'record' and "
		  "'alert' must be set", 1 },
		{ RULE "        for: 1m\n",
		  "r.yml:4: groups[0].rules[0]: field 'expr' must be set in "
		  "rule", 1 },
		{ RULE "        expr: up\n        expr: down\n",
		  "r.yml:6: groups[0].rules[0].expr: duplicate key (first on "
		  "line 5)", 1 },
		{ RULE "        expr: up\n        labels:\n          1x: y\n",
		  "r.yml:7: groups[0].rules[0].labels: invalid label name: 1x",
		  1 },
		{ RULE "        expr: up\n        labels:\n          a: [b]\n",
		  "r.yml:7: groups[0].rules[0].labels.a: expected a string, got "
		  "a sequence", 1 },
		{ RULE "        expr: up\n        keep_firing_for: soon\n",
		  "r.yml:6: groups[0].rules[0].keep_firing_for: not a valid "
		  "duration string: \"soon\"", 1 },
		{ "groups:\n  - name: g\n    rules:\n      - expr: up\n",
		  "r.yml:4: groups[0].rules[0]: one of 'record' or 'alert' "
		  "must be set", 1 },
		{ "groups:\n  - name: g\n    rules:\n      - record: a\n"
		  "        expr: up\n        for: 1m\n",
		  "r.yml:4: groups[0].rules[0]: invalid field 'for' in "
		  "recording rule", 1 },
		{ "groups:\n  - name: g\n    rules:\n      - record: 1a\n"
		  "        expr: up\n",
		  "r.yml:4: groups[0].rules[0]: invalid recording rule name: "
		  "1a", 1 },
		{ "groups:\n  - name: g\n    rules: []\n  - name: h\n"
		  "  - name: g\n",
		  "r.yml:5: groups[2].name: groupname: \"g\" is repeated in the "
		  "same file (first on line 2)", 1 },
		{ "groups:\n  - name: \"\"\n    rules: []\n",
		  "r.yml:2: groups[0].name: Groupname must not be empty", 1 },
		{ "groups:\n  - name: g\n    interval: 1x\n",
		  "r.yml:3: groups[0].interval: not a valid duration string: "
		  "\"1x\"", 1 },
		{ "groups:\n  - name: g\n    limit: many\n",
		  "r.yml:3: groups[0].limit: expected an integer, got \"many\"",
		  1 },
		{ "groups:\n  - name: g\n    rules: {}\n",
		  "r.yml:3: groups[0].rules: expected a sequence, got a "
		  "mapping", 1 },
		{ "group:\n  - name: g\n", "r.yml:1: .group: unknown key", 1 },
		{ "- name: g\n", "r.yml:1: top level: expected a mapping, got "
		  "a sequence", 1 },
		{ RULE "        expr: [up\n",
		  "r.yml:6: YAML syntax error: did not find expected ',' or "
		  "']'", 1 },
		/* Prometheus reads only the first document; we refuse the
		 * rest rather than ignore it */
		{ "groups: []\n---\ngroups: []\n",
		  "r.yml:3: only one YAML document is allowed", 0 },
	};
#undef RULE
	struct pr_rules *rs = pr_rules_new();
	char err[256];
	size_t i;

	CHECK_INT(pr_rules_add_file(rs, "ok.yml", SAMPLE, strlen(SAMPLE), err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (pr_rules_add_file(rs, "r.yml", cases[i].text,
		    strlen(cases[i].text), err, sizeof(err)) != -1) {
			T_FAIL("case %zu accepted", i);
			continue;
		}
		CHECK_STR(err, cases[i].err);
		if (cases[i].promtool_refuses &&
		    promtool_accepts(cases[i].text, strlen(cases[i].text), 0) !=
		    0)
			T_FAIL("case %zu: promtool accepts it", i);
	}
	/* nothing of the bad files was added */
	CHECK_INT(pr_rules_group_count(rs), 3);
	CHECK_INT(pr_rules_count(rs), 7);
	CHECK_INT(pr_rules_recording_count(rs), 2);
	pr_rules_free(rs);
}

TEST(size_limit)
{
	struct pr_rules *rs = pr_rules_new();
	size_t n = PR_FILE_MAX + 1;
	char err[256], *big = malloc(n);

	memset(big, '#', n);
	CHECK_INT(pr_rules_add_file(rs, "big.yml", big, n, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "big.yml: larger than 16777216 bytes");
	CHECK_INT(pr_rules_group_count(rs), 0);
	free(big);
	pr_rules_free(rs);
}

/* --- /api/v1/rules and the evaluation interval --- */

TEST(api_rules)
{
	struct pr_rules *rs = pr_rules_new();
	const struct pr_group *g;
	const struct pr_rule *r;
	char err[256];

	CHECK_INT(pr_rules_add_api(rs, API_JSON, strlen(API_JSON), err,
	    sizeof(err)), 0);
	CHECK_INT(pr_rules_group_count(rs), 2);
	CHECK_INT(pr_rules_count(rs), 3);
	CHECK_INT(pr_rules_recording_count(rs), 1);
	g = pr_rules_group(rs, 0);
	CHECK_STR(g->name, "app");
	CHECK_STR(g->file, "rules.yml");
	CHECK_INT(g->interval_ms, 1000);	/* the global one, in effect */
	CHECK_INT(g->line, 0);
	g = pr_rules_group(rs, 1);
	CHECK_STR(g->name, "node");
	CHECK_INT(g->interval_ms, 30000);
	CHECK_INT(g->first_rule, 1);
	CHECK_INT(g->n_rules, 2);
	CHECK_INT(g->n_recording, 1);

	r = pr_rules_get(rs, 0);
	CHECK_STR(r->alert, "Watchdog");
	CHECK_STR(r->expr, "vector(1)");
	CHECK_INT(r->for_ms, 0);
	CHECK_STR(label(r, "severity"), "none");
	r = pr_rules_get(rs, 1);
	CHECK_STR(r->alert, "NodeDown");
	CHECK_STR(r->expr, "up{job=\"prometheus\"} == 1");
	CHECK_INT(r->for_ms, 300000);
	CHECK_INT(r->keep_firing_for_ms, 0);
	CHECK_INT(r->n_labels, 2);
	CHECK_STR(r->labels[0].name, "severity");
	CHECK_STR(r->labels[1].name, "team");
	CHECK_STR(r->group_name, "node");
	CHECK_STR(r->file, "rules.yml");
	CHECK_INT(r->line, 0);
	CHECK_INT(r->for_line, 0);
	r = pr_rules_get(rs, 2);
	CHECK_STR(r->alert, "HighLoad");
	CHECK_STR(r->expr, "vector(1) > 0");
	CHECK_INT(r->for_ms, 600000);
	CHECK_INT(r->keep_firing_for_ms, 120000);
	pr_rules_free(rs);
}

TEST(api_rules_older_and_bad)
{
	/* before 2.42 there is no keepFiringFor; fractions of a second */
	static const char old[] = "{\"status\":\"success\",\"data\":{\"groups\":"
	    "[{\"name\":\"g\",\"file\":\"/etc/prometheus/r.yml\",\"interval\":"
	    "15,\"rules\":[{\"type\":\"alerting\",\"name\":\"A\",\"query\":"
	    "\"up == 0\",\"duration\":90.5,\"labels\":{}}]}]}}";
	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "{\"status\":\"error\",\"errorType\":\"unavailable\","
		  "\"error\":\"rule manager not ready\"}",
		  "/api/v1/rules: status \"error\": rule manager not ready" },
		{ "{\"status\":\"success\",\"data\":{\"groups\":[{\"name\":\"g\","
		  "\"file\":\"f\",\"interval\":15,\"rules\":[{\"type\":"
		  "\"alerting\",\"name\":\"A\",\"query\":\"up\",\"duration\":"
		  "\"5m\"}]}]}}",
		  "/api/v1/rules: data.groups[0].rules[0]: duration: expected "
		  "seconds" },
		{ "{\"status\":\"success\",\"data\":{}}",
		  "/api/v1/rules: data.groups: expected an array" },
		{ "{\"status\":\"success\",\"data\":{\"groups\":[{\"name\":\"g\","
		  "\"file\":\"f\",\"interval\":15,\"rules\":[{\"type\":"
		  "\"other\"}]}]}}",
		  "/api/v1/rules: data.groups[0].rules[0]: type: unknown "
		  "\"other\"" },
		{ "{\"status\":", "/api/v1/rules: invalid JSON at line 1 "
		  "column 10: unexpected token near end of file" },
	};
	struct pr_rules *rs = pr_rules_new();
	const struct pr_rule *r;
	char err[256];
	size_t i;

	CHECK_INT(pr_rules_add_api(rs, old, strlen(old), err, sizeof(err)), 0);
	CHECK_INT(pr_rules_count(rs), 1);
	r = pr_rules_get(rs, 0);
	CHECK_INT(r->for_ms, 90500);
	CHECK_INT(r->keep_firing_for_ms, 0);
	CHECK_STR(r->file, "/etc/prometheus/r.yml");
	CHECK_INT(pr_rules_group(rs, 0)->interval_ms, 15000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(pr_rules_add_api(rs, bad[i].json, strlen(bad[i].json),
		    err, sizeof(err)), -1);
		CHECK_STR(err, bad[i].err);
	}
	CHECK_INT(pr_rules_count(rs), 1);
	CHECK_INT(pr_rules_group_count(rs), 1);
	pr_rules_free(rs);
}

TEST(evaluation_interval)
{
	static const struct {
		const char *yaml;
		int64_t ms;
	} good[] = {
		{ STATUS_CONFIG_YAML, 1000 },
		{ "", 60000 },
		{ "global:\n  scrape_interval: 15s\n", 60000 },
		{ "global:\n  evaluation_interval: 30s # half a minute\n",
		  30000 },
		{ "global: {evaluation_interval: '1m30s'}\n", 90000 },
		{ "rule_files: [a.yml]\n", 60000 },
	};
	char err[256];
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = -1;
		if (pr_eval_interval(good[i].yaml, strlen(good[i].yaml), &ms,
		    err, sizeof(err)) < 0)
			T_FAIL("case %zu: %s", i, err);
		CHECK_INT(ms, good[i].ms);
	}
	CHECK_INT(pr_eval_interval("global:\n  evaluation_interval: 30\n", 34,
	    &ms, err, sizeof(err)), -1);
	CHECK_STR(err, "line 2: global.evaluation_interval: not a valid "
	    "duration string: \"30\"");
	CHECK_INT(pr_eval_interval("global: [\n", 10, &ms, err, sizeof(err)),
	    -1);
	CHECK_CONTAINS(err, "YAML syntax error");
	CHECK_INT(pr_eval_interval("global: 1\n", 10, &ms, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "line 1: global: expected a mapping, got a scalar");
}

/* --- patches --- */

TEST(patch_changes_for_only)
{
	char *out, *ch;

	if ((out = patch_checked(SAMPLE, "NodeDown", 10 * 60000, -1)) == NULL)
		return;
	ch = changed_lines(SAMPLE, strlen(SAMPLE), out, strlen(out));
	CHECK_STR(ch, "-        for: 5m\n+        for: 10m\n");
	free(ch);
	free(out);

	/* the quoting and the comment stay */
	if ((out = patch_checked(SAMPLE, "HighCPU", 60 * 60000, -1)) == NULL)
		return;
	ch = changed_lines(SAMPLE, strlen(SAMPLE), out, strlen(out));
	CHECK_STR(ch, "-        for: \"10m\"   # quoted\n"
	    "+        for: \"1h\"   # quoted\n");
	free(ch);
	free(out);
	if ((out = patch_checked(SAMPLE, "Flappy", 90000, -1)) == NULL)
		return;
	ch = changed_lines(SAMPLE, strlen(SAMPLE), out, strlen(out));
	CHECK_STR(ch, "-        for: '1m'\n+        for: '1m30s'\n");
	free(ch);
	free(out);
}

TEST(patch_inserts_for_after_expr)
{
	char *out;

	/* after a folded block scalar: before the next key */
	if ((out = patch_checked(SAMPLE, "DiskFull", 15 * 60000, -1)) == NULL)
		return;
	CHECK_CONTAINS(out, "          < 0.05\n        for: 15m\n"
	    "        labels:\n");
	free(out);
	/* after a plain scalar written on two lines */
	if ((out = patch_checked(SAMPLE, "SlowRequests", 5 * 60000, -1)) ==
	    NULL)
		return;
	CHECK_CONTAINS(out, "(rate(latency_bucket[5m]))) > 2\n        for: 5m\n"
	    "        keep_firing_for: 15m\n");
	free(out);
	/* a single line; flow-style labels after it */
	if ((out = patch_checked(SAMPLE, "Watchdog", 60000, -1)) == NULL)
		return;
	CHECK_CONTAINS(out, "        expr: vector(1)\n        for: 1m\n"
	    "        labels: {severity: none}\n  - name: empty\n");
	free(out);
}

TEST(patch_literal_block_with_blank_line_and_comment)
{
	static const char text[] =
	    "groups:\n"
	    "  - name: g\n"
	    "    rules:\n"
	    "      - alert: A\n"
	    "        expr: |\n"
	    "          up\n"
	    "            == 0\n"
	    "\n"
	    "        # the labels\n"
	    "        labels:\n"
	    "          a: b\n";
	char *out;

	if ((out = patch_checked(text, "A", 5 * 60000, 0)) == NULL)
		return;
	CHECK_STR(out, "groups:\n  - name: g\n    rules:\n      - alert: A\n"
	    "        expr: |\n          up\n            == 0\n\n"
	    "        for: 5m\n        # the labels\n        labels:\n"
	    "          a: b\n");
	free(out);
}

TEST(patch_keep_firing_for)
{
	char *out, *ch;

	/* changed */
	if ((out = patch_checked(SAMPLE, "SlowRequests", -1, 30 * 60000)) ==
	    NULL)
		return;
	ch = changed_lines(SAMPLE, strlen(SAMPLE), out, strlen(out));
	CHECK_STR(ch, "-        keep_firing_for: 15m\n"
	    "+        keep_firing_for: 30m\n");
	free(ch);
	free(out);
	/* inserted after for: */
	if ((out = patch_checked(SAMPLE, "NodeDown", -1, 10 * 60000)) == NULL)
		return;
	CHECK_CONTAINS(out, "        for: 5m\n        keep_firing_for: 10m\n"
	    "        labels:\n");
	free(out);
	/* both inserted, for: first */
	if ((out = patch_checked(SAMPLE, "DiskFull", 60000, 5 * 60000)) ==
	    NULL)
		return;
	CHECK_CONTAINS(out, "          < 0.05\n        for: 1m\n"
	    "        keep_firing_for: 5m\n        labels:\n");
	free(out);
	/* both changed at once */
	if ((out = patch_checked(SAMPLE, "AppErrors", 2 * 3600000, 60000)) ==
	    NULL)
		return;
	ch = changed_lines(SAMPLE, strlen(SAMPLE), out, strlen(out));
	CHECK_STR(ch, "-        for: 1h30m\n-        keep_firing_for: 0s\n"
	    "+        for: 2h\n+        keep_firing_for: 1m\n");
	free(ch);
	free(out);
}

TEST(patch_unchanged_values_leave_the_text)
{
	struct pr_rules *rs = parse("rules.yml", SAMPLE);
	char err[256], *out = NULL;
	size_t outlen;

	if (rs == NULL)
		return;
	/* equal to what is there, or 0 where nothing is written */
	CHECK_INT(pr_patch_rule(SAMPLE, strlen(SAMPLE), rule_named(rs,
	    "NodeDown"), 5 * 60000, 0, &out, &outlen, err, sizeof(err)), 0);
	CHECK_STR(out, SAMPLE);
	free(out);
	CHECK_INT(pr_patch_rule(SAMPLE, strlen(SAMPLE), rule_named(rs,
	    "DiskFull"), 0, -1, &out, &outlen, err, sizeof(err)), 0);
	CHECK_STR(out, SAMPLE);
	free(out);
	pr_rules_free(rs);
}

/* Every rule of SAMPLE, each change: promtool and the parser agree. */
TEST(patch_every_rule_differential)
{
	static const int64_t changes[][2] = {
		{ 0, -1 }, { 90000, -1 }, { 2 * 3600000, 60000 },
		{ -1, 0 }, { -1, 45000 }, { 7 * 86400000LL, 500 },
	};
	struct pr_rules *rs = parse("rules.yml", SAMPLE);
	size_t i, k;
	char *out;

	if (rs == NULL)
		return;
	for (i = 0; i < pr_rules_count(rs); i++)
		for (k = 0; k < sizeof(changes) / sizeof(changes[0]); k++) {
			out = patch_checked(SAMPLE, pr_rules_get(rs, i)->alert,
			    changes[k][0], changes[k][1]);
			free(out);
		}
	pr_rules_free(rs);
}

TEST(patch_layouts)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* CRLF line ends */
		{ "groups:\r\n  - name: g\r\n    rules:\r\n      - alert: A\r\n"
		  "        expr: up == 0\r\n        labels: {a: b}\r\n",
		  "groups:\r\n  - name: g\r\n    rules:\r\n      - alert: A\r\n"
		  "        expr: up == 0\r\n        for: 5m\r\n"
		  "        labels: {a: b}\r\n" },
		/* a block scalar at the end, without a final newline: a line
		 * after it would add one to its value */
		{ "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n"
		  "      up == 0",
		  "groups:\n- name: g\n  rules:\n  - alert: A\n    for: 5m\n"
		  "    expr: |\n      up == 0" },
		{ "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up",
		  "groups:\n- name: g\n  rules:\n  - alert: A\n    for: 5m\n"
		  "    expr: up" },
		/* a null for: */
		{ "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for:\n    labels: {}\n",
		  "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for: 5m\n    labels: {}\n" },
		{ "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for: ~  # none\n",
		  "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for: 5m  # none\n" },
		/* a tag stays */
		{ "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for: !!str 1m\n",
		  "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
		  "    for: !!str 5m\n" },
		/* a BOM and UTF-8 before the rule: marks count characters */
		{ "\xEF\xBB\xBFgroups:\n- name: g\n  rules:\n  - alert: É\n"
		  "    expr: up\n    annotations: {s: \"d\xC3\xA9j\xC3\xA0 "
		  "\xE2\x9C\x93\"}\n  - alert: A\n    expr: up\n    for: 1m\n",
		  "\xEF\xBB\xBFgroups:\n- name: g\n  rules:\n  - alert: É\n"
		  "    expr: up\n    annotations: {s: \"d\xC3\xA9j\xC3\xA0 "
		  "\xE2\x9C\x93\"}\n  - alert: A\n    expr: up\n    for: 5m\n" },
	};
	char *out;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((out = patch_checked(cases[i].text, "A", 5 * 60000, -1)) ==
		    NULL) {
			T_FAIL("case %zu", i);
			continue;
		}
		if (strcmp(out, cases[i].want) != 0)
			T_FAIL("case %zu:\n%s", i, out);
		free(out);
	}
}

TEST(patch_refuses)
{
#define HEAD "groups:\n  - name: g\n    rules:\n"
	static const struct {
		const char *text, *alert, *err;
	} cases[] = {
		{ HEAD "      - {alert: A, expr: up, for: 1m}\n", "A",
		  "r.yml:4: A: a flow-style rule ({alert: ..., for: ...}) cannot "
		  "be changed in place: write it in block style first" },
		{ HEAD "      - &base\n        alert: A\n        expr: up\n"
		  "        for: 1m\n      - <<: *base\n        alert: B\n", "B",
		  "r.yml:8: B: the rule uses a merge key (<<): change it by "
		  "hand" },
		{ HEAD "      - &base\n        alert: A\n        expr: up\n"
		  "        for: 1m\n      - <<: *base\n        alert: B\n", "A",
		  "r.yml:4: A: the rule is shared through a YAML alias: change "
		  "it by hand" },
		{ HEAD "      - alert: A\n        expr: up\n        for: &d 1m\n"
		  "      - alert: B\n        expr: up\n        for: *d\n", "A",
		  "r.yml:4: A: a value of the rule is shared through a YAML "
		  "alias: change it by hand" },
		{ HEAD "      - alert: A\n        expr: up\n        for: |-\n"
		  "          1m\n", "A",
		  "r.yml:6: for: written as a block scalar or with escapes: "
		  "change it by hand" },
		{ HEAD "      - alert: A\n        expr: up\n"
		  "        for: \"1\\x6d\"\n", "A",
		  "r.yml:6: for: written as a block scalar or with escapes: "
		  "change it by hand" },
	};
#undef HEAD
	struct pr_rules *rs;
	char err[256], *out;
	size_t i, outlen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (promtool_accepts(cases[i].text, strlen(cases[i].text), 1) !=
		    1)
			T_FAIL("case %zu: promtool refuses it", i);
		if ((rs = parse("r.yml", cases[i].text)) == NULL)
			continue;
		out = (char *)1;
		CHECK_INT(pr_patch_rule(cases[i].text, strlen(cases[i].text),
		    rule_named(rs, cases[i].alert), 5 * 60000, -1, &out,
		    &outlen, err, sizeof(err)), -1);
		CHECK(out == NULL);
		CHECK_STR(err, cases[i].err);
		pr_rules_free(rs);
	}
}

TEST(patch_finds_the_rule)
{
	static const char twice[] =
	    "groups:\n  - name: g\n    rules:\n"
	    "      - alert: A\n        expr: up == 0\n        for: 1m\n"
	    "      - alert: A\n        expr: down == 1\n        for: 2m\n";
	struct pr_rules *rs = parse("rules.yml", SAMPLE), *api;
	struct pr_rule r;
	char err[256], *moved, *out = NULL;
	size_t outlen, n;

	if (rs == NULL)
		return;
	/* a rule parsed before a comment was added above it */
	r = *rule_named(rs, "Flappy");
	n = strlen(SAMPLE);
	moved = malloc(n + 32);
	snprintf(moved, n + 32, "# reviewed\n%s", SAMPLE);
	CHECK_INT(pr_patch_rule(moved, strlen(moved), &r, 5 * 60000, -1, &out,
	    &outlen, err, sizeof(err)), 0);
	CHECK_CONTAINS(out, "        for: '5m'\n");
	free(out);
	free(moved);
	pr_rules_free(rs);

	/* a rule from the API: no line, the query as Prometheus prints it */
	api = pr_rules_new();
	CHECK_INT(pr_rules_add_api(api, API_JSON, strlen(API_JSON), err,
	    sizeof(err)), 0);
	CHECK_INT(pr_patch_rule(API_RULES, strlen(API_RULES),
	    rule_named(api, "HighLoad"), 15 * 60000, -1, &out, &outlen, err,
	    sizeof(err)), 0);
	CHECK_CONTAINS(out, "            > 0\n        for: 15m\n"
	    "        keep_firing_for: 2m\n");
	CHECK_INT(promtool_accepts(out, outlen, 1), 1);
	free(out);
	pr_rules_free(api);

	/* two of one name: the line, else the expr decides */
	if ((rs = parse("rules.yml", twice)) == NULL)
		return;
	r = *pr_rules_get(rs, 1);
	CHECK_INT(pr_patch_rule(twice, strlen(twice), &r, 5 * 60000, -1, &out,
	    &outlen, err, sizeof(err)), 0);
	CHECK_CONTAINS(out, "        expr: down == 1\n        for: 5m\n");
	free(out);
	r.line = 0;
	r.expr = "up == 0";
	CHECK_INT(pr_patch_rule(twice, strlen(twice), &r, 5 * 60000, -1, &out,
	    &outlen, err, sizeof(err)), 0);
	CHECK_CONTAINS(out, "        expr: up == 0\n        for: 5m\n");
	free(out);
	r.expr = "sum(up)";
	CHECK_INT(pr_patch_rule(twice, strlen(twice), &r, 5 * 60000, -1, &out,
	    &outlen, err, sizeof(err)), -1);
	CHECK_STR(err, "rules.yml: 2 alerting rules \"A\" and none at line 0 "
	    "with that expr: cannot tell which to change");
	r.alert = "Nope";
	CHECK_INT(pr_patch_rule(twice, strlen(twice), &r, 5 * 60000, -1, &out,
	    &outlen, err, sizeof(err)), -1);
	CHECK_STR(err, "rules.yml: no alerting rule \"Nope\" in group \"g\"");
	pr_rules_free(rs);
}

int
main(void)
{
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_promrules.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	have_promtool = system("promtool --version > /dev/null 2>&1") == 0;
	if (!have_promtool)
		printf("SKIP promtool checks: promtool is not installed\n");
	RUN(sample_passes_promtool);
	RUN(parses_groups_and_rules);
	RUN(files_accumulate);
	RUN(merge_keys);
	RUN(errors_name_file_line_key);
	RUN(size_limit);
	RUN(api_rules);
	RUN(api_rules_older_and_bad);
	RUN(evaluation_interval);
	RUN(patch_changes_for_only);
	RUN(patch_inserts_for_after_expr);
	RUN(patch_literal_block_with_blank_line_and_comment);
	RUN(patch_keep_firing_for);
	RUN(patch_unchanged_values_leave_the_text);
	RUN(patch_every_rule_differential);
	RUN(patch_layouts);
	RUN(patch_refuses);
	RUN(patch_finds_the_rule);
	rc = t_done();
	t_rmdir(tmpdir);
	return rc;
}

"""The integration kit, checked statically: the Grafana dashboard's JSON
(importable structure, unique ids, a sane layout, the data-source input on
every panel, query and variable, the job and instance variables filtering
every query, only metrics that alertnoised exports or the rules record), the
Prometheus rules (promtool check rules and their unit tests), the example
Prometheus config (promtool check config, which also checks the rule file it
references) and the example Alertmanager config (amtool check-config).
tests/e2e/test_dashboard.py runs every query of the dashboard against a real
Prometheus."""
import json
import os
import re
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "config", "grafana", "alertnoise-dashboard.json")
RULES = os.path.join(ROOT, "config", "rules", "alertnoise.rules.yml")
RULES_TEST = os.path.join(ROOT, "config", "rules", "alertnoise.rules.test.yml")
PROMETHEUS_YML = os.path.join(ROOT, "config", "prometheus", "prometheus.yml")
ALERTMANAGER_YML = os.path.join(ROOT, "config", "alertmanager",
                                "alertmanager.yml")
PROMTOOL = "/usr/bin/promtool"
AMTOOL = "/usr/bin/amtool"

DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}

# What alertnoised exports on /metrics: the KPI names of the integration-kit
# issue (a contract) and the health metrics of README "Metrics".
HISTOGRAMS = ("alertnoise_time_to_resolve_seconds",
              "alertnoise_http_request_duration_seconds",
              "alertnoise_storage_operation_duration_seconds")
EXPORTED = {
    # KPIs
    "alertnoise_notifications_total", "alertnoise_pages_total",
    "alertnoise_episodes_total", "alertnoise_firing_alerts",
    "alertnoise_pending_alerts", "alertnoise_noise_ratio",
    "alertnoise_page_noise_ratio", "alertnoise_alert_noise_ratio",
    "alertnoise_alert_episodes", "alertnoise_alert_flap_score",
    "alertnoise_alert_mttr_seconds", "alertnoise_dedup_groups",
    "alertnoise_recommendations", "alertnoise_predicted_pages_saved",
    "alertnoise_feedback_total", "alertnoise_feedback_coverage_ratio",
    # beyond the issue's list: the report's out-of-hours pages, as counted
    # at ingest (README "KPI metrics")
    "alertnoise_pages_outside_working_time_total",
    # the per-team panels (README "KPI metrics")
    "alertnoise_team_pages_total", "alertnoise_team_episodes",
    "alertnoise_team_noise_ratio", "alertnoise_team_pages",
    "alertnoise_team_page_noise_ratio", "alertnoise_team_other_teams",
    # health
    "alertnoise_build_info", "alertnoise_ready",
    "alertnoise_http_requests_total", "alertnoise_http_requests_in_flight",
    "alertnoise_webhook_notifications_total", "alertnoise_webhook_alerts_total",
    "alertnoise_webhook_rejected_total",
    "alertnoise_remote_write_samples_total",
    "alertnoise_remote_write_rejected_total",
    "alertnoise_remote_write_series_expired_total",
    "alertnoise_episodes_opened_total", "alertnoise_episodes_resolved_total",
    "alertnoise_storage_errors_total", "alertnoise_storage_pruned_rows_total",
    "alertnoise_config_last_reload_successful",
    "alertnoise_config_last_reload_success_timestamp_seconds",
    "alertnoise_config_reloads_total",
    "process_cpu_seconds_total", "process_resident_memory_bytes",
    "process_virtual_memory_bytes", "process_start_time_seconds",
    "process_open_fds", "process_max_fds",
    # Prometheus' own, per target
    "up",
} | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}

# Grafana's built-in variables a query may use.
BUILTIN_VARS = {"__rate_interval", "__interval", "__range", "__interval_ms",
                "__range_s", "__range_ms"}

PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without",
                   "on", "ignoring", "group_left", "group_right", "inf",
                   "nan", "atan2"}


# --- the dashboard, as the tests see it ------------------------------------

def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def all_panels(dashboard):
    """Every panel, rows included, with the panels of collapsed rows."""
    out = []
    for p in dashboard.get("panels", []):
        out.append(p)
        out += p.get("panels", [])
    return out


def dashboard_targets(dashboard=None):
    """[(panel title, refId, expr)] of every query of every panel."""
    d = dashboard or load_dashboard()
    return [(p.get("title"), t.get("refId"), t.get("expr"))
            for p in all_panels(d) for t in p.get("targets", [])]


def substitute(expr, window="7d", job="alertnoise", instance=".*",
               team=".*"):
    """A panel's PromQL as Grafana sends it: the dashboard's variables and
    Grafana's interval variables replaced by values (a 1h dashboard range
    at a 15 s interval). job and instance are the regexes Grafana sends for
    the multi-value variables (All: the values joined with |; the team
    variable's All is its allValue, .*)."""
    values = {"window": window, "job": job, "instance": instance,
              "team": team,
              "__rate_interval": "1m", "__interval": "15s",
              "__range": "1h", "__interval_ms": "15000", "__range_s": "3600",
              "__range_ms": "3600000"}

    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise ValueError("unknown variable $%s in %s" % (name, expr))
        return values[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, expr)


def variables_used(text):
    return {a or b for a, b in re.findall(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)",
                                          text)}


def metric_names(expr):
    """The metric names a PromQL expression selects (not its functions,
    keywords or label names)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*"
               r"\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        tok = m.group(0)
        if m.start() > 0 and (e[m.start() - 1].isdigit() or
                              e[m.start() - 1] == "."):
            continue        # 1e3, 0.5, a duration's unit
        if re.match(r"\s*\(", e[m.end():]):
            continue        # a function
        if tok.lower() in PROMQL_KEYWORDS:
            continue
        names.add(tok)
    return names


# --- the rules file, read without a YAML library ------------------------------

def rules():
    """[(kind, name, expr)] of alertnoise.rules.yml, kind "record" or
    "alert". Handles one-line exprs and folded / literal block scalars."""
    with open(RULES) as f:
        lines = f.read().splitlines()
    out = []
    i = 0
    cur = None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s*- (record|alert):\s*(\S+)\s*$", line)
        if m:
            cur = [m.group(1), m.group(2), None]
            out.append(cur)
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if m and cur is not None:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in (">", ">-", "|", "|-"):
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) -
                                          len(lines[i].lstrip()) > indent):
                    body.append(lines[i].strip())
                    i += 1
                cur[2] = " ".join(b for b in body if b)
                continue
            cur[2] = rest.strip("'\"") if rest[:1] in "'\"" else rest
        i += 1
    return [tuple(r) for r in out]


def run(argv, cwd=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       cwd=cwd)
    return r.returncode, r.stdout + r.stderr


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = load_dashboard()
        cls.panels = all_panels(cls.d)

    def test_importable_top_level(self):
        d = self.d
        self.assertGreaterEqual(d["schemaVersion"], 37)
        self.assertTrue(d.get("uid"))
        self.assertTrue(d.get("title"))
        self.assertIsNone(d.get("id"), "an exported dashboard has id null")
        self.assertIsInstance(d["panels"], list)
        self.assertTrue(d["panels"])
        # every panel type is declared as required, for the import dialog
        required = {r["id"] for r in d.get("__requires", [])
                    if r["type"] == "panel"}
        used = {p["type"] for p in self.panels if p["type"] != "row"}
        self.assertLessEqual(used, required)
        # the import prompts for no input that nothing uses
        for inp in d.get("__inputs", []):
            self.assertIn("${%s}" % inp["name"], json.dumps(d["panels"]))

    def test_datasource_input(self):
        """The import dialog asks for the Prometheus (Grafana's "export
        for sharing externally" form)."""
        inputs = {i["name"]: i for i in self.d["__inputs"]}
        ds = inputs.get("DS_PROMETHEUS")
        self.assertIsNotNone(ds, "no DS_PROMETHEUS input")
        self.assertEqual((ds["type"], ds["pluginId"]),
                         ("datasource", "prometheus"))
        required = {(r["type"], r["id"]) for r in self.d["__requires"]}
        self.assertIn(("datasource", "prometheus"), required)

    def test_job_and_instance_variables(self):
        tv = {v["name"]: v for v in self.d["templating"]["list"]}
        for name in ("job", "instance"):
            v = tv.get(name)
            self.assertIsNotNone(v, "no %s variable" % name)
            self.assertEqual(v["type"], "query")
            self.assertEqual(v["datasource"], DATASOURCE)
            self.assertTrue(v["multi"] and v["includeAll"], name)
            self.assertRegex(v["query"]["query"],
                             r"^label_values\(alertnoise_\w+.*, %s\)$" % name)
        # every query is filtered by both
        for title, ref, expr in dashboard_targets(self.d):
            for sel in re.findall(r"\b[a-z_:]+\{([^}]*)\}", expr):
                self.assertIn('job=~"$job",instance=~"$instance"', sel,
                              "%s %s: %s" % (title, ref, expr))

    def test_window_variable(self):
        tv = {v["name"]: v for v in self.d["templating"]["list"]}
        w = tv.get("window")
        self.assertIsNotNone(w, "no window variable")
        self.assertEqual(w["type"], "custom")
        values = [o["value"] for o in w["options"]]
        self.assertEqual(values, ["1d", "7d", "28d"])
        self.assertEqual([v.strip() for v in w["query"].split(",")], values)
        self.assertIn(w["current"]["value"], values)
        exprs = " ".join(e for _, _, e in dashboard_targets(self.d))
        self.assertIn("$window", exprs)

    def test_variables_used_are_defined(self):
        defined = {v["name"] for v in self.d["templating"]["list"]} | {
            i["name"] for i in self.d["__inputs"]}
        for p in self.panels:
            text = json.dumps({k: p.get(k) for k in ("title", "targets",
                                                     "fieldConfig")})
            for name in variables_used(text):
                self.assertTrue(name in defined or name in BUILTIN_VARS,
                                "panel %r uses $%s" % (p["title"], name))

    def test_panel_ids_unique(self):
        ids = [p["id"] for p in self.panels]
        for i in ids:
            self.assertIsInstance(i, int)
        dup = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(dup, [], "duplicate panel ids")

    def test_panel_titles_unique(self):
        titles = [p["title"] for p in self.panels]
        self.assertEqual(len(titles), len(set(titles)), titles)

    def test_layout(self):
        """Every panel inside the 24 columns, none overlapping another."""
        taken = {}
        for p in self.panels:
            g = p["gridPos"]
            self.assertGreater(g["w"], 0, p["title"])
            self.assertGreater(g["h"], 0, p["title"])
            self.assertGreaterEqual(g["x"], 0, p["title"])
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            if p["type"] == "row":
                self.assertEqual((g["x"], g["w"], g["h"]), (0, 24, 1))
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), taken, "%r overlaps %r" % (
                        p["title"], taken.get((x, y))))
                    taken[(x, y)] = p["title"]

    def test_every_panel_and_target_uses_the_datasource_variable(self):
        for p in self.panels:
            self.assertEqual(p.get("datasource"), DATASOURCE, p["title"])
            for t in p.get("targets", []):
                self.assertEqual(t.get("datasource"), DATASOURCE,
                                 "%s %s" % (p["title"], t.get("refId")))
        # and no other data source anywhere
        text = json.dumps([self.d["panels"], self.d["templating"]])
        for m in re.finditer(r'"uid": "([^"]*)"', text):
            self.assertEqual(m.group(1), "${DS_PROMETHEUS}")

    def test_every_target_has_a_query(self):
        for p in self.panels:
            if p["type"] in ("row", "text"):
                continue
            self.assertTrue(p.get("targets"), p["title"] + ": no queries")
            refs = [t.get("refId") for t in p["targets"]]
            self.assertEqual(len(refs), len(set(refs)), p["title"])
            for t in p["targets"]:
                self.assertTrue(t.get("refId"))
                self.assertTrue((t.get("expr") or "").strip(),
                                "%s %s: empty expr" % (p["title"],
                                                       t.get("refId")))

    def test_queries_use_only_exported_or_recorded_metrics(self):
        recorded = {n for k, n, _ in rules() if k == "record"}
        used = set()
        for title, ref, expr in dashboard_targets(self.d):
            names = metric_names(substitute(expr))
            self.assertTrue(names, "%s %s selects no metric: %s" % (
                title, ref, expr))
            unknown = names - EXPORTED - recorded
            self.assertEqual(unknown, set(), "%s %s: %s" % (title, ref, expr))
            used |= names
        # every recording rule is there for the dashboard
        self.assertEqual(recorded - used, set(), "recorded, never shown")

    def test_the_panels_of_the_issue_are_there(self):
        exprs = " ".join(e for _, _, e in dashboard_targets(self.d))
        for metric in ("alertnoise_noise_ratio", "alertnoise_page_noise_ratio",
                       "alertnoise:pages:increase1d",
                       "alertnoise_alert_noise_ratio",
                       "alertnoise_alert_episodes",
                       "alertnoise_alert_flap_score",
                       "alertnoise_alert_mttr_seconds",
                       "alertnoise:time_to_resolve_seconds",
                       "alertnoise_dedup_groups", "alertnoise_recommendations",
                       "alertnoise_predicted_pages_saved",
                       "alertnoise_feedback_coverage_ratio",
                       "alertnoise:feedback:increase1d",
                       "alertnoise_webhook_notifications_total",
                       "alertnoise_webhook_rejected_total",
                       "alertnoise_remote_write_samples_total",
                       "alertnoise_remote_write_rejected_total",
                       "alertnoise_storage_errors_total",
                       "alertnoise_http_request_duration_seconds_bucket"):
            self.assertIn(metric, exprs)
        titles = [p["title"].lower() for p in self.panels]
        self.assertTrue(any("out-of-hours" in t for t in titles))

    def test_metric_name_extraction(self):
        self.assertEqual(metric_names(
            'histogram_quantile(0.99, sum by (le, handler) (rate('
            'x_bucket{handler=~"a|b"}[5m])))'), {"x_bucket"})
        self.assertEqual(metric_names(
            'topk(10, a:b:c{window="7d"}) and on (alertname) up == bool 1'),
            {"a:b:c", "up"})


class Rules(unittest.TestCase):
    def test_rules_parse(self):
        names = {n: e for _, n, e in rules()}
        for alert in ("AlertnoisePageNoiseHigh", "AlertnoiseNoWebhooks",
                      "AlertnoiseRemoteWriteRejects", "AlertnoiseStorageErrors",
                      "AlertnoiseDown"):
            self.assertIn(alert, names)
        self.assertIn('alertnoise_page_noise_ratio{window="7d"} > 0.5',
                      names["AlertnoisePageNoiseHigh"])
        self.assertIn("absent(", names["AlertnoiseNoWebhooks"])
        self.assertIn('up{job="alertnoise"} == 0', names["AlertnoiseDown"])

    def test_rules_use_only_exported_metrics(self):
        recorded = {n for k, n, _ in rules() if k == "record"}
        for kind, name, expr in rules():
            self.assertTrue(expr, name)
            unknown = metric_names(expr) - EXPORTED - recorded
            self.assertEqual(unknown, set(), "%s: %s" % (name, expr))

    @unittest.skipUnless(os.path.exists(PROMTOOL), "promtool not installed")
    def test_promtool_check_rules(self):
        rc, out = run([PROMTOOL, "check", "rules", RULES])
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS", out)

    @unittest.skipUnless(os.path.exists(PROMTOOL), "promtool not installed")
    def test_promtool_test_rules(self):
        # run from elsewhere: rule_files resolve relative to the test file
        rc, out = run([PROMTOOL, "test", "rules", RULES_TEST], cwd="/")
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS", out)
        # the unit tests cover every alert of the file
        with open(RULES_TEST) as f:
            tested = set(re.findall(r"alertname:\s*(\w+)", f.read()))
        alerts = {n for k, n, _ in rules() if k == "alert"}
        self.assertEqual(alerts - tested, set())


class ExampleConfigs(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(PROMTOOL), "promtool not installed")
    def test_promtool_check_config(self):
        rc, out = run([PROMTOOL, "check", "config", PROMETHEUS_YML], cwd="/")
        self.assertEqual(rc, 0, out)
        # and it found and checked the alertnoise rules through rule_files
        self.assertIn("1 rule files found", out)
        self.assertIn("alertnoise.rules.yml", out)

    def test_prometheus_example_has_the_parts(self):
        with open(PROMETHEUS_YML) as f:
            text = f.read()
        self.assertIn("job_name: alertnoise", text)
        self.assertIn("/api/v1/write", text)
        self.assertRegex(text, r"regex: ALERTS\|ALERTS_FOR_STATE\s+"
                               r"action: keep")
        self.assertIn(":9467", text)

    @unittest.skipUnless(os.path.exists(AMTOOL), "amtool not installed")
    def test_amtool_check_config(self):
        rc, out = run([AMTOOL, "check-config", ALERTMANAGER_YML], cwd="/")
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS", out)


if __name__ == "__main__":
    unittest.main()

"""End to end: every query of the Grafana dashboard returns data from a real
Prometheus, and counts an HA pair of alertnoised once.

A scenario like test_prometheus.py feeds an HA pair of daemons: a real
Prometheus 2.42 evaluates flapping, steady, co-firing and storming alerts
every second, remote-writes ALERTS / ALERTS_FOR_STATE to both and alerts
through a real Alertmanager 0.25 whose receiver has both daemons' webhooks.
A second real Prometheus, configured from the shipped
config/prometheus/prometheus.yml (addresses and intervals substituted, the
target and the remote write doubled), scrapes both daemons' /metrics every
second as two instances of the job "alertnoise" with the shipped
config/rules/alertnoise.rules.yml loaded; it has their page counters at 0
before the scenario starts, so increase() counts every page. Once both daemons export every
metric the panels read (a resolution counted, two verdicts given), that
Prometheus has scraped them and evaluated its rules over them, every panel
query of config/grafana/alertnoise-dashboard.json ($window = 7d, $job and
$instance as Grafana sends "All", Grafana's interval variables replaced)
goes through its /api/v1/query: each must parse and return at least one
series with a number (not only NaN). A counting panel must give one
daemon's number, not the pair's sum; the range panel of the top flapping
alerts must keep to its K alertnames; the job and instance variables must
list the pair, the team variable the teams of the scenario's alerts (db,
web), the per-team panels must keep to the teams selected, and the
alert-name data link must open the alert's page.
Everything listens on 127.0.0.1 and is stopped at the end."""
import json
import math
import os
import re
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import harness  # noqa: E402
import peers  # noqa: E402
import test_integration_kit as kit  # noqa: E402

SCENARIO_RULES = """
groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: Steady
        expr: vector(1)
        labels: {severity: page, team: db}
      - alert: Pend
        expr: vector(1)
        for: 1h
      - alert: Flap
        expr: vector(time() % 12) < 6
        for: 2s
        labels: {severity: page, team: web}
      - alert: Blip
        expr: vector(time() % 8) < 2
      - alert: CoA
        expr: vector(time() % 10) < 3
        labels: {team: db}
      - alert: CoB
        expr: vector((time() - 1) % 10) < 3
      - alert: Storm
        expr: STORM
""".replace("STORM", " or ".join(
    'label_replace(vector(1), "instance", "i%02d", "", "")' % i
    for i in range(12)))

SCENARIO_PROMETHEUS = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: e2e}
rule_files: [RULES]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["AM"]
remote_write:
  - url: DAEMON1/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}
    write_relabel_configs:
      - source_labels: [__name__]
        regex: ALERTS|ALERTS_FOR_STATE
        action: keep
  - url: DAEMON2/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}
    write_relabel_configs:
      - source_labels: [__name__]
        regex: ALERTS|ALERTS_FOR_STATE
        action: keep
"""

ALERTMANAGER = """
route:
  receiver: alertnoise
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: alertnoise
    webhook_configs:
      - url: DAEMON1/api/v1/webhook
        send_resolved: true
      - url: DAEMON2/api/v1/webhook
        send_resolved: true
"""

# thresholds scaled to a 30 s run with 1 s evaluations (as
# test_prometheus.py); the KPI metrics refreshed every second
DAEMON_CONFIG = """
webhook: {dedup_window: 0s}
analysis:
  transient_max: 5s
  persistent_min: 20s
  flap_high: 15
  flap_low: 8
  flap_min_episodes: 2
  paging_receivers: [alertnoise]
  cofire_window: 2s
  cofire_min_support: 3
  storm_min: 10
  storm_window: 10s
  cache_ttl: 0s
metrics:
  refresh_interval: 1s
"""

# the history the panels read takes about 10 s; the bounds are for a
# loaded machine
FEED_TIMEOUT = 120
SCRAPE_TIMEOUT = 30
RETRY_SECONDS = 30      # for a query still empty once that was scraped


def scraper_config(daemon_ports, am_port):
    """The shipped example prometheus.yml, pointed at the test's daemons
    (both scrape targets of the one job, the remote write to each) and
    Alertmanager, scraping and evaluating every second."""
    with open(kit.PROMETHEUS_YML) as f:
        text = f.read()
    head, sep, writes = text.partition("\nremote_write:\n")
    if not sep:
        raise AssertionError("config/prometheus/prometheus.yml no longer "
                             "ends with its remote_write")
    addr = "alertnoise.example:9467"
    text = head + sep + "".join(
        writes.replace(addr, "127.0.0.1:%d" % p) for p in daemon_ports)
    subs = [
        (r'"alertnoise\.example:9467"', ", ".join(
            '"127.0.0.1:%d"' % p for p in daemon_ports)),
        (r"alertmanager\.example:9093", "127.0.0.1:%d" % am_port),
        (r"(?m)^(\s*)scrape_interval: \S+", r"\g<1>scrape_interval: 1s"),
        (r"(?m)^(\s*)evaluation_interval: \S+",
         r"\g<1>evaluation_interval: 1s"),
        (r"(?m)^(\s*- )\S*alertnoise\.rules\.yml\s*$", r"\g<1>RULES"),
    ]
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        if n == 0:
            raise AssertionError("config/prometheus/prometheus.yml no longer "
                                 "has %r" % pattern)
    return text


class DashboardEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for b in (peers.PROMETHEUS, peers.ALERTMANAGER):
            if not os.path.exists(b):
                raise unittest.SkipTest(b + " is not installed")
        cls.peers = []
        cls.daemons = [harness.Daemon(DAEMON_CONFIG) for _ in range(2)]
        # $instance as Grafana sends "All": the values joined with |
        cls.instances = "|".join("127.0.0.1:%d" % d.port for d in cls.daemons)
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        cls.t0 = time.time()
        for d in cls.daemons:
            d.start()
        urls = [("DAEMON%d" % (i + 1), d.url)
                for i, d in enumerate(cls.daemons)]

        def fill(text):
            for name, url in urls:
                text = text.replace(name, url)
            return text
        cls.am = peers.Alertmanager(fill(ALERTMANAGER))
        cls.peers.append(cls.am)
        with open(kit.RULES) as f:
            shipped_rules = f.read()
        cls.scraper = peers.Prometheus(
            scraper_config([d.port for d in cls.daemons], cls.am.port),
            shipped_rules).start()
        cls.peers.append(cls.scraper)
        # the scraper has both daemons' page counters at 0 before the
        # first page, so increase() over the run counts every page of each
        harness.wait_for(
            lambda: cls._scraped("alertnoise_pages_total") == [0, 0],
            timeout=SCRAPE_TIMEOUT, interval=0.2,
            what="the scraper to scrape both daemons' page counters at 0")
        cls.am.start()
        cls.source = peers.Prometheus(
            fill(SCENARIO_PROMETHEUS.replace("AM", "127.0.0.1:%d" %
                                             cls.am.port)),
            SCENARIO_RULES).start()
        cls.peers.append(cls.source)
        # verdicts, so the feedback panels have something to count; an HA
        # pair gets each on both daemons (what `alertnoised feedback` does
        # against each)
        for d in cls.daemons:
            cls._feedback(d, "Steady", "actionable")
            cls._feedback(d, "Flap", "noise")
        # both daemons export what the panels read, the scraper has scraped
        # them (a KPI refresh that ended after it did), and its rules have
        # been evaluated over them since
        cls.missing = "(not asked yet)"
        harness.wait_for(
            cls._fed, timeout=FEED_TIMEOUT, interval=0.5,
            what=lambda: "the daemons to export what the panels read; "
            "missing: " + cls.missing)
        fed = time.time()
        harness.wait_for(
            lambda: cls._scraped_refresh() >= fed,
            timeout=SCRAPE_TIMEOUT, interval=0.2,
            what="the scraper to scrape a KPI refresh after %.3f of both "
            "daemons" % fed)
        scraped = time.time()
        harness.wait_for(
            lambda: cls.scraper.rules_evaluated_since(scraped),
            timeout=SCRAPE_TIMEOUT, interval=0.2,
            what="the scraper's rules to be evaluated over that scrape")

    @classmethod
    def _feedback(cls, d, alertname, verdict):
        """A verdict on the alert's latest notified episode in daemon d,
        once there is one."""
        def notified():
            r = d.get("/api/v1/episodes?alertname=%s&limit=100" % alertname)
            assert r.status == 200, r.text
            return [e for e in r.json()["data"] if e["notified"]]
        eps = harness.wait_for(notified, timeout=FEED_TIMEOUT, interval=0.5,
                               what="a notified %s episode" % alertname)
        r = d.post("/api/v1/feedback", json.dumps({
            "fingerprint": eps[0]["fingerprint"], "verdict": verdict,
            "by": "e2e"}))
        assert r.status == 200, r.text

    @classmethod
    def _fed(cls):
        """Whether each daemon's /metrics has a series of every metric the
        panels read (directly or through the shipped recording rules), a
        resolution counted in the time-to-resolve histogram (whose rate a
        panel shows) and both verdicts; what one lacks is left in
        cls.missing."""
        recorded = {name: kit.metric_names(expr)
                    for kind, name, expr in kit.rules() if kind == "record"}
        read = set()
        for _, _, expr in kit.dashboard_targets():
            for name in kit.metric_names(kit.substitute(expr)):
                read |= recorded.get(name, {name})
        missing = []
        for d in cls.daemons:
            m = d.metrics()
            exported = {n for n, _ in m}
            lacks = sorted(n for n in read - exported if n != "up")
            if sum(v for (n, _), v in m.items()
                   if n == "alertnoise_time_to_resolve_seconds_count") < 1:
                lacks.append("a resolution in "
                             "alertnoise_time_to_resolve_seconds")
            if sum(v for (n, _), v in m.items()
                   if n == "alertnoise_feedback_total") < 2:
                lacks.append("2 verdicts in alertnoise_feedback_total")
            missing += ["%s: %s" % (d.url, n) for n in lacks]
        cls.missing = ", ".join(missing)
        return not missing

    @classmethod
    def _scraped(cls, metric):
        """The values of the metric of job="alertnoise" the scraper has
        now, sorted ([] when the query fails)."""
        q = '%s{job="alertnoise"}' % metric
        r = harness.http("GET", cls.scraper.url + "/api/v1/query?" +
                         urllib.parse.urlencode({"query": q}), timeout=10)
        if r.status != 200:
            return []
        return sorted(float(s["value"][1]) for s in r.json()["data"]["result"])

    @classmethod
    def _scraped_refresh(cls):
        """The older of the two daemons' last KPI refreshes as the scraper
        has them (0: not both yet)."""
        last = cls._scraped("alertnoise_kpi_last_refresh_timestamp_seconds")
        return last[0] if len(last) == len(cls.daemons) else 0

    @classmethod
    def tearDownClass(cls):
        for p in reversed(getattr(cls, "peers", [])):
            p.stop()
        for d in getattr(cls, "daemons", []):
            d.cleanup()

    def substitute(self, expr):
        """A panel's PromQL as Grafana sends it with $job and $instance at
        "All" (both daemons)."""
        return kit.substitute(expr, job="alertnoise", instance=self.instances)

    def query(self, expr, at=None):
        """(error, result) of an instant query on the scraping Prometheus,
        at time at (seconds since the epoch; None: now)."""
        args = {"query": expr}
        if at is not None:
            args["time"] = "%.3f" % at
        r = harness.http("GET", self.scraper.url + "/api/v1/query?" +
                         urllib.parse.urlencode(args), timeout=10)
        try:
            body = r.json()
        except ValueError:
            return "HTTP %d: %s" % (r.status, r.text[:200]), None
        if r.status != 200 or body.get("status") != "success":
            return "%s: %s" % (body.get("errorType"), body.get("error")), None
        data = body["data"]
        if data["resultType"] in ("scalar", "string"):
            return None, [{"metric": {}, "value": data["result"]}]
        return None, data["result"]

    @staticmethod
    def has_number(result):
        for s in result:
            values = [s["value"]] if "value" in s else s.get("values", [])
            for _, v in values:
                if not math.isnan(float(v)):
                    return True
        return False

    def test_scraper_scrapes_the_daemon_and_the_rules_evaluate(self):
        err, res = self.query('up{job="alertnoise"}')
        self.assertIsNone(err)
        self.assertEqual([s["value"][1] for s in res], ["1", "1"], res)
        r = harness.http("GET", self.scraper.url + "/api/v1/rules")
        groups = r.json()["data"]["groups"]
        names = set()
        for g in groups:
            for rule in g["rules"]:
                names.add(rule["name"])
                self.assertEqual(rule["health"], "ok",
                                 "%s: %s" % (rule["name"],
                                             rule.get("lastError")))
        self.assertIn("alertnoise:pages:increase1d", names)
        self.assertIn("AlertnoisePageNoiseHigh", names)
        # nothing is wrong with the daemon: no health alert fires
        err, res = self.query('ALERTS{alertstate="firing",'
                              'alertname=~"Alertnoise.*"}')
        self.assertIsNone(err)
        self.assertEqual([s["metric"]["alertname"] for s in res], [])

    def panel(self, title):
        for p in kit.all_panels(kit.load_dashboard()):
            if p["title"] == title:
                return p
        self.fail("the dashboard has no panel %r" % title)

    def panel_expr(self, title, ref="A"):
        for t in self.panel(title)["targets"]:
            if t["refId"] == ref:
                return self.substitute(t["expr"])
        self.fail("panel %r has no query %s" % (title, ref))

    def test_the_dashboard_asks_for_the_data_source_at_import(self):
        d = kit.load_dashboard()
        self.assertEqual([(i["name"], i["type"], i["pluginId"])
                          for i in d["__inputs"]],
                         [("DS_PROMETHEUS", "datasource", "prometheus")])
        for p in kit.all_panels(d):
            self.assertEqual(p["datasource"]["uid"], "${DS_PROMETHEUS}",
                             p["title"])

    def test_the_job_and_instance_variables_list_the_pair(self):
        """Each variable's label_values() as Grafana asks it (the label's
        values among the series of the selector) lists the one job and
        both daemons."""
        tv = {v["name"]: v for v in
              kit.load_dashboard()["templating"]["list"]}
        want = {"job": ["alertnoise"],
                "instance": sorted("127.0.0.1:%d" % d.port
                                   for d in self.daemons),
                "team": ["db", "web"]}
        for name, values in want.items():
            v = tv[name]
            self.assertEqual((v["type"], v["multi"], v["includeAll"]),
                             ("query", True, True), name)
            m = re.match(r"^label_values\((.+), (\w+)\)$", v["query"]["query"])
            self.assertIsNotNone(m, v["query"])
            self.assertEqual(m.group(2), name)
            selector = self.substitute(m.group(1))
            r = harness.http("GET", "%s/api/v1/label/%s/values?%s" % (
                self.scraper.url, name, urllib.parse.urlencode(
                    {"match[]": selector})))
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(sorted(r.json()["data"]), values, selector)

    def test_an_ha_pair_is_counted_once(self):
        """Both daemons were fed the same notifications: a counting panel
        shows one daemon's number (between the two, as their scrapes
        differ by up to a second), not the pair's sum."""
        cases = [
            ("Pages ($window)", 'sum by (instance) (increase('
             'alertnoise_pages_total{job="alertnoise"}[7d]))'),
            ("Pages per day by receiver", 'sum by (instance, receiver) ('
             'alertnoise:pages:increase1d{job="alertnoise"})'),
            ("Pages by team (dashboard range)", 'sum by (instance, team) ('
             'increase(alertnoise_team_pages_total{job="alertnoise"}[1h]))'),
            ("Pages per day by team", 'sum by (instance, team) (increase('
             'alertnoise_team_pages_total{job="alertnoise"}[1d]))'),
        ]

        def counted(title, per_instance):
            """(shown, by_key, each) at a time when the scraper has every
            shown series from both daemons with a count: a team's counter
            is born at its first page, so increase() sees it from a
            daemon's second scrape after that."""
            at = time.time() - 1
            err, shown = self.query(self.panel_expr(title), at)
            self.assertIsNone(err, title)
            err, each = self.query(per_instance, at)
            self.assertIsNone(err, per_instance)
            by_key = {}
            for s in each:
                key = tuple(sorted((k, v) for k, v in s["metric"].items()
                                   if k != "instance"))
                by_key.setdefault(key, []).append(float(s["value"][1]))
            if shown and all(
                    len(by_key.get(tuple(sorted(s["metric"].items())), ()))
                    == 2 and min(by_key[tuple(sorted(
                        s["metric"].items()))]) > 0 for s in shown):
                return shown, by_key, each
            return None
        for title, per_instance in cases:
            shown, by_key, each = harness.wait_for(
                lambda: counted(title, per_instance), timeout=RETRY_SECONDS,
                interval=1, what="both daemons' counts of %r" % title)
            for s in shown:
                key = tuple(sorted(s["metric"].items()))
                n = by_key.get(key)
                self.assertEqual(len(n or ()), 2, "%s %s: %s" % (
                    title, key, each))
                self.assertGreater(min(n), 0, "%s: %s" % (title, n))
                value = float(s["value"][1])
                self.assertTrue(min(n) <= value <= max(n),
                                "%s %s shows %g, the daemons count %s" % (
                                    title, key, value, n))
                self.assertLess(value, 0.75 * sum(n), title)

    def test_the_team_panels_keep_to_the_teams_selected(self):
        """With one team picked in the team variable, each per-team panel
        shows that team alone, with a number; with All, the teams and the
        alerts without the team label (the series without it)."""
        titles = ("Pages by team (dashboard range)", "Pages per day by team",
                  "Page-noise ratio by team ($window window)",
                  "Noise ratio by team ($window window)")
        for title in titles:
            expr = self.panel(title)["targets"][0]["expr"]
            self.assertIn('team=~"$team"', expr, title)
            for team in ("db", "web"):
                err, res = self.query(kit.substitute(
                    expr, job="alertnoise", instance=self.instances,
                    team=team))
                self.assertIsNone(err, title)
                self.assertTrue(self.has_number(res), "%s %s: %s" % (
                    title, team, res))
                self.assertEqual({s["metric"].get("team") for s in res},
                                 {team}, title)
        err, res = self.query(self.panel_expr(titles[0]))
        self.assertIsNone(err)
        self.assertEqual({s["metric"].get("team", "") for s in res},
                         {"db", "web", ""}, res)

    def test_the_top_flapping_range_panel_keeps_to_its_k_alertnames(self):
        """On a range, the panel shows the K alertnames flapping most at
        its end, however the ranking moved within it. K is lowered below
        the number of flapping alertnames of the run, and the plain
        topk(K, ...) of the same range shows more than K (the ranking did
        move), so the range is one a panel can get wrong."""
        title = "Flapping alerts (flap score, top 10)"
        expr = self.panel_expr(title)
        self.assertEqual(expr.count("topk(10,"), 1, expr)
        start = self.t0
        score = ('max by (alertname) (alertnoise_alert_flap_score'
                 '{job="alertnoise"})')

        def names(q, end):
            return {s["metric"]["alertname"]
                    for s in self.scraper.query_range(q, start, end)}

        def moved():
            """(K, end, every name) once a plain topk(K) over the run
            shows more than K names: the ranking moved within it. The end
            is a few scrapes back, so that samples up to it are all in and
            the queries below, run one after the other, see the same
            data."""
            end = time.time() - 3
            every = names(score, end)
            for cand in range(len(every) - 1, 0, -1):
                if len(names("topk(%d, %s)" % (cand, score), end)) > cand:
                    return cand, end, every
            return None
        # the scenario's alerts flap every few seconds: a run on a busy
        # machine may need a little longer before their scores pass others
        k, end, every = harness.wait_for(
            moved, timeout=FEED_TIMEOUT, interval=1,
            what="the flap-score ranking to move over the run")
        err, at_end = self.query(score, end)
        self.assertIsNone(err)
        shown = names(expr.replace("topk(10,", "topk(%d," % k), end)
        self.assertLessEqual(len(shown), k, shown)
        # the K leading at the end: a tie at the K-th score may go either
        # way, and a name whose first score came after the range's last
        # step has nothing to draw
        ranked = {s["metric"]["alertname"]: float(s["value"][1])
                  for s in at_end}
        kth = sorted(ranked.values(), reverse=True)[k - 1]
        self.assertLessEqual(shown, {n for n, v in ranked.items()
                                     if v >= kth})
        self.assertLessEqual({n for n, v in ranked.items() if v > kth} &
                             every, shown)

    def test_alert_names_link_to_the_alert_page(self):
        """The data links of the panels keyed by alertname, filled in as
        Grafana does with the alertnoise_url variable pointed at a daemon,
        open that alert's page."""
        d = self.daemons[0]
        tv = {v["name"]: v for v in
              kit.load_dashboard()["templating"]["list"]}
        url_var = tv["alertnoise_url"]
        self.assertEqual((url_var["type"], url_var["query"]),
                         ("textbox", "http://localhost:9467"))
        links = []
        for title in ("Flapping alerts (flap score, top 10)",
                      "Flapping episodes ($window)",
                      "MTTR by alert ($window)"):
            p = self.panel(title)
            links += [(title, link["url"], "${__field.labels.alertname}")
                      for link in p["fieldConfig"]["defaults"]["links"]]
        table = self.panel("Top noisy alerts ($window)")
        for o in table["fieldConfig"]["overrides"]:
            if o["matcher"] == {"id": "byName", "options": "Alert"}:
                links += [(table["title"], link["url"], "${__value.text}")
                          for prop in o["properties"] if prop["id"] == "links"
                          for link in prop["value"]]
        self.assertEqual(len(links), 4, links)
        for title, url, field in links:
            self.assertEqual(url, "${alertnoise_url}/alerts/" + field, title)
            err, res = self.query(self.panel_expr(title))
            self.assertIsNone(err, title)
            self.assertTrue(res, title)
            name = res[0]["metric"]["alertname"]
            r = d.get(url.replace("${alertnoise_url}", "").replace(
                field, urllib.parse.quote(name)))
            self.assertEqual(r.status, 200, "%s: %s" % (title, r.text))
            self.assertIn(name, r.text)

    def test_every_panel_query_returns_data(self):
        targets = kit.dashboard_targets()
        self.assertTrue(targets)
        pending = {(t, ref): self.substitute(expr)
                   for t, ref, expr in targets}
        problems = {}

        def answered():
            for key, expr in list(pending.items()):
                err, res = self.query(expr)
                if err:
                    problems[key] = "does not evaluate: " + err
                elif not res:
                    problems[key] = "no data"
                elif not self.has_number(res):
                    problems[key] = "only NaN"
                else:
                    problems.pop(key, None)
                    del pending[key]
            # a query that does not parse will not start to
            return not pending or all(
                p.startswith("does not") for p in problems.values())

        def report():
            return "%d of %d dashboard queries return no numbers:\n%s" % (
                len(problems), len(targets), "\n".join(
                    "  %s [%s] %s: %s" % (title, ref, problems[(title, ref)],
                                          pending[(title, ref)])
                    for title, ref in sorted(problems)))
        harness.wait_for(answered, timeout=RETRY_SECONDS, interval=1,
                         what=lambda: "every dashboard query to return a "
                         "number; " + report())
        if problems:
            self.fail(report())


if __name__ == "__main__":
    unittest.main()

"""End to end: every query of the Grafana dashboard returns data from a real
Prometheus.

A scenario like test_prometheus.py feeds the daemon: a real Prometheus 2.42
evaluates flapping, steady, co-firing and storming alerts every second,
remote-writes ALERTS / ALERTS_FOR_STATE to it and alerts through a real
Alertmanager 0.25 whose webhook is the daemon. A second real Prometheus,
configured from the shipped config/prometheus/prometheus.yml (addresses and
intervals substituted), scrapes the daemon's /metrics every second under the
job "alertnoise" with the shipped config/rules/alertnoise.rules.yml loaded.
Once the daemon exports every metric the panels read (a resolution counted,
two verdicts given), that Prometheus has scraped it and evaluated its rules
over it, every panel query of config/grafana/alertnoise-dashboard.json
($window = 7d, Grafana's interval variables replaced) goes through its
/api/v1/query: each must parse and return at least one series with a number
(not only NaN). Everything listens on 127.0.0.1 and is stopped at the
end."""
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
        labels: {severity: page}
      - alert: Pend
        expr: vector(1)
        for: 1h
      - alert: Flap
        expr: vector(time() % 12) < 6
        for: 2s
        labels: {severity: page}
      - alert: Blip
        expr: vector(time() % 8) < 2
      - alert: CoA
        expr: vector(time() % 10) < 3
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
  - url: DAEMON/api/v1/write
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
      - url: DAEMON/api/v1/webhook
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


def scraper_config(daemon_port, am_port):
    """The shipped example prometheus.yml, pointed at the test's daemon and
    Alertmanager, scraping and evaluating every second."""
    with open(kit.PROMETHEUS_YML) as f:
        text = f.read()
    subs = [
        (r"alertnoise\.example:9467", "127.0.0.1:%d" % daemon_port),
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
        cls.d = harness.Daemon(DAEMON_CONFIG)
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        cls.d.start()
        cls.am = peers.Alertmanager(
            ALERTMANAGER.replace("DAEMON", cls.d.url)).start()
        cls.peers.append(cls.am)
        cls.source = peers.Prometheus(
            SCENARIO_PROMETHEUS.replace("AM", "127.0.0.1:%d" % cls.am.port)
            .replace("DAEMON", cls.d.url), SCENARIO_RULES).start()
        cls.peers.append(cls.source)
        with open(kit.RULES) as f:
            shipped_rules = f.read()
        cls.scraper = peers.Prometheus(
            scraper_config(cls.d.port, cls.am.port), shipped_rules).start()
        cls.peers.append(cls.scraper)
        # verdicts, so the feedback panels have something to count
        cls._feedback("Steady", "actionable")
        cls._feedback("Flap", "noise")
        # the daemon exports what the panels read, the scraper has scraped
        # it (a KPI refresh that ended after it did), and its rules have
        # been evaluated over it since
        cls.missing = "(not asked yet)"
        harness.wait_for(
            cls._fed, timeout=FEED_TIMEOUT, interval=0.5,
            what=lambda: "the daemon to export what the panels read; "
            "missing: " + cls.missing)
        fed = time.time()
        harness.wait_for(
            lambda: cls._scraped_refresh() >= fed,
            timeout=SCRAPE_TIMEOUT, interval=0.2,
            what="the scraper to scrape a KPI refresh after %.3f" % fed)
        scraped = time.time()
        harness.wait_for(
            lambda: cls.scraper.rules_evaluated_since(scraped),
            timeout=SCRAPE_TIMEOUT, interval=0.2,
            what="the scraper's rules to be evaluated over that scrape")

    @classmethod
    def _feedback(cls, alertname, verdict):
        """A verdict on the alert's latest notified episode, once there is
        one."""
        def notified():
            r = cls.d.get("/api/v1/episodes?alertname=%s&limit=100" %
                          alertname)
            assert r.status == 200, r.text
            return [e for e in r.json()["data"] if e["notified"]]
        eps = harness.wait_for(notified, timeout=FEED_TIMEOUT, interval=0.5,
                               what="a notified %s episode" % alertname)
        r = cls.d.post("/api/v1/feedback", json.dumps({
            "fingerprint": eps[0]["fingerprint"], "verdict": verdict,
            "by": "e2e"}))
        assert r.status == 200, r.text

    @classmethod
    def _fed(cls):
        """Whether the daemon's /metrics has a series of every metric the
        panels read (directly or through the shipped recording rules), a
        resolution counted in the time-to-resolve histogram (whose rate a
        panel shows) and both verdicts; what it lacks is left in
        cls.missing."""
        recorded = {name: kit.metric_names(expr)
                    for kind, name, expr in kit.rules() if kind == "record"}
        read = set()
        for _, _, expr in kit.dashboard_targets():
            for name in kit.metric_names(kit.substitute(expr)):
                read |= recorded.get(name, {name})
        m = cls.d.metrics()
        exported = {n for n, _ in m}
        missing = sorted(n for n in read - exported if n != "up")
        if sum(v for (n, _), v in m.items()
               if n == "alertnoise_time_to_resolve_seconds_count") < 1:
            missing.append("a resolution in "
                           "alertnoise_time_to_resolve_seconds")
        if sum(v for (n, _), v in m.items()
               if n == "alertnoise_feedback_total") < 2:
            missing.append("2 verdicts in alertnoise_feedback_total")
        cls.missing = ", ".join(missing)
        return not missing

    @classmethod
    def _scraped_refresh(cls):
        """The daemon's last KPI refresh as the scraper has it (0: none)."""
        q = 'alertnoise_kpi_last_refresh_timestamp_seconds{job="alertnoise"}'
        r = harness.http("GET", cls.scraper.url + "/api/v1/query?" +
                         urllib.parse.urlencode({"query": q}), timeout=10)
        if r.status != 200:
            return 0
        return max((float(s["value"][1]) for s in r.json()["data"]["result"]),
                   default=0)

    @classmethod
    def tearDownClass(cls):
        for p in reversed(getattr(cls, "peers", [])):
            p.stop()
        if getattr(cls, "d", None):
            cls.d.cleanup()

    def query(self, expr):
        """(error, result) of an instant query on the scraping Prometheus."""
        r = harness.http("GET", self.scraper.url + "/api/v1/query?" +
                         urllib.parse.urlencode({"query": expr}), timeout=10)
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
        self.assertEqual([s["value"][1] for s in res], ["1"], res)
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

    def test_every_panel_query_returns_data(self):
        targets = kit.dashboard_targets()
        self.assertTrue(targets)
        pending = {(t, ref): kit.substitute(expr) for t, ref, expr in targets}
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

"""End to end: the pages Alertmanager really sent to a PagerDuty receiver
alertnoise never sees, against what the daemon derives from the user's own
alertmanager.yml.

Debian's Prometheus 2.42 evaluates four alerting rules (every second) over
a metric of a small exporter this test serves, and remote-writes ALERTS /
ALERTS_FOR_STATE to alertnoised. Debian's Alertmanager 0.25 routes them
with the README's wiring: ONE catch-all `alertnoise` route (continue:
true) first, then team=db severity=critical -> `db-pager` (PagerDuty
Events v2, its `url:` a sink here that keeps every event), team=web ->
`web-chat` (a webhook to a second sink), and a last route back to the
root's `default` receiver (a webhook to a third sink) for the rest.
alertnoised reads the same alertmanager.yml
(`alertmanager.config_file`) and rule file (`prometheus.rule_files`); it
only ever hears the catch-all webhooks, and replays the tree for the rest.

The test drives firing / resolved episodes by flipping the exporter's
values. After each flip it waits until alertnoised has recorded the change
and then HOLD seconds more, so that the next change comes after the flush
that notifies this one both in Alertmanager and in the replay (see HOLD).
Then it compares: db-pager's pages with the PagerDuty `trigger` events,
its notifications with all events, web-chat's and default's notifications
with the webhooks their sinks got, and every episode's real and notified
receivers.

LingeringGroupEndToEnd shows, on the same stack, where the replay still
parts from Alertmanager: a short re-firing into a group that outlived its
alerts (an expected failure; see its comment)."""
import json
import os
import sys
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
import peers  # noqa: E402

GROUP_INTERVAL = 2.0    # AM_CONFIG's; its group_wait is 1s
# After a change Prometheus evaluated at E (the episode's firing_at or
# resolved_at), the flush that notifies it comes by E + GROUP_INTERVAL in
# the replay (a new group's first flush is group_wait after its alert, then
# one every GROUP_INTERVAL), and by E + delay + GROUP_INTERVAL in
# Alertmanager: its group's timer started when the alert arrived, delay
# later (milliseconds on loopback); and a group whose alerts all resolved
# lives on, ticking on its old schedule (see LingeringGroupEndToEnd), so a
# re-firing joins it and is flushed at its next tick -- again within
# GROUP_INTERVAL. The next flip waits one second more, so every change is
# notified before the next one, in both. (A re-firing that ends before
# that old tick is not notified by Alertmanager at all, while the replay,
# starting a new group, notifies it after group_wait: HOLD keeps
# TruePagesEndToEnd out of that case; LingeringGroupEndToEnd is in it.)
HOLD = GROUP_INTERVAL + 1.0

AM_CONFIG = """\
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - receiver: alertnoise
      continue: true
    - receiver: db-pager
      matchers: ['team="db"', 'severity="critical"']
    - receiver: web-chat
      matchers: ['team="web"']
    # the root's receiver again, for the alerts no route above takes: a
    # route with a matching child is not itself a match (Route.Match), so
    # behind the catch-all the root's receiver gets nothing without this
    - receiver: default
receivers:
  - name: default
    webhook_configs:
      - url: FALLBACK/default
  - name: alertnoise
    webhook_configs:
      - url: DAEMON/api/v1/webhook
        send_resolved: true
  - name: db-pager
    pagerduty_configs:
      - routing_key: e2e-routing-key
        url: PAGERDUTY/v2/enqueue
  - name: web-chat
    webhook_configs:
      - url: CHAT/chat
"""

RULES = """\
groups:
  - name: true-pages
    interval: 1s
    rules:
      - alert: DBDown
        expr: max by (host) (an_e2e_condition{alert="DBDown"}) == 1
        labels: {team: db, severity: critical}
      - alert: DBReplicaLag
        expr: max by (host) (an_e2e_condition{alert="DBReplicaLag"}) == 1
        labels: {team: db, severity: critical}
      - alert: WebErrors
        expr: max by (host) (an_e2e_condition{alert="WebErrors"}) == 1
        labels: {team: web, severity: warning}
      - alert: InfraDisk
        expr: max by (host) (an_e2e_condition{alert="InfraDisk"}) == 1
        labels: {team: infra, severity: warning}
"""

PROMETHEUS = """\
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [RULES]
scrape_configs:
  - job_name: e2e
    static_configs:
      - targets: ["EXPORTER"]
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

DAEMON_CONFIG = """\
alertmanager:
  config_file: AMFILE
prometheus:
  rule_files: ["RULEFILE"]
sources:
  refresh_interval: 1h
webhook: {dedup_window: 0s}
analysis: {cache_ttl: 0s}
"""

ON, OFF = 1, 0
# Per alertname, the flips of its hosts, in order. DBDown puts two hosts in
# one group (group_by alertname): a second host firing is a new firing
# alert (a trigger), one of two resolving is a notification that still has
# a firing alert (PagerDuty's event_action is then `trigger`, and
# alertnoise counts a page), both resolved is the `resolve`.
SCRIPTS = {
    "DBDown": [("db1", ON), ("db2", ON), ("db1", OFF), ("db2", OFF),
               ("db2", ON), ("db1", ON), ("db2", OFF), ("db1", OFF)],
    "DBReplicaLag": [("db1", ON), ("db1", OFF)] * 3,
    "WebErrors": [("web1", ON), ("web1", OFF), ("web1", ON), ("web2", ON),
                  ("web1", OFF), ("web2", OFF)],
    "InfraDisk": [("disk1", ON), ("disk1", OFF)] * 2,
}
DB_ALERTS = ("DBDown", "DBReplicaLag")


class Exporter:
    """Serves an_e2e_condition{alert, host} with the values the test sets."""

    def __init__(self):
        self.values = {}
        lock = self.lock = threading.Lock()
        values = self.values

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    lines = ['an_e2e_condition{alert="%s",host="%s"} %d' %
                             (a, h, v) for (a, h), v in
                             sorted(values.items())]
                body = ("# TYPE an_e2e_condition gauge\n" +
                        "".join(x + "\n" for x in lines)).encode()
                self.send_response(200)
                self.send_header("Content-Type",
                                 "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def set(self, alert, host, value):
        with self.lock:
            self.values[(alert, host)] = value

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Sink:
    """Keeps every JSON body POSTed to it, with the time it arrived (ms).
    status/body: the answer (PagerDuty's Events API answers 202)."""

    def __init__(self, status=200, body=b""):
        self.events = []
        lock = self.lock = threading.Lock()
        events = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(n))
                with lock:
                    events.append((harness.now_ms(), payload))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def received(self):
        with self.lock:
            return list(self.events)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ms(t):
    return harness.parse_rfc3339_ms(t) if t else None


def clock(t_ms):
    """HH:MM:SS.mmm of a time in ms, for the evidence printed on failure."""
    if t_ms is None:
        return "-"
    return time.strftime("%H:%M:%S", time.gmtime(t_ms // 1000)) + \
        ".%03d" % (t_ms % 1000)


NEED_PEERS = unittest.skipUnless(
    os.path.exists(peers.PROMETHEUS) and os.path.exists(peers.ALERTMANAGER),
    "prometheus / prometheus-alertmanager not installed")


def sources_loaded(d):
    """Every source daemon d is configured with has loaded."""
    r = d.get("/api/v1/status/sources")
    return r.status == 200 and all(s["lastSuccess"] for s in
                                   r.json()["data"] if s["configured"])


def prometheus_ready(prom):
    """prom scrapes the exporter and knows Alertmanager (alerts it sent
    before are dropped)."""
    q = urllib.parse.urlencode({"query": 'up{job="e2e"} == 1'})
    up = harness.http("GET", prom.url + "/api/v1/query?" + q)
    ams = harness.http("GET", prom.url + "/api/v1/alertmanagers")
    return (up.status == 200 and up.json()["data"]["result"] and
            ams.status == 200 and ams.json()["data"]["activeAlertmanagers"])


class Stack:
    """The daemon, the sinks, the exporter, Alertmanager running AM and
    Prometheus, for a test class; its drive() runs the scenario."""
    AM = AM_CONFIG

    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.cleanups = []
        try:
            cls.setup_stack()
            cls.drive()
        except BaseException:
            cls.teardown_stack()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.report()
        finally:
            cls.teardown_stack()

    @classmethod
    def report(cls):
        """What the sinks got and what the daemon says, on stderr."""
        r = cls.d.get("/api/v1/summary?window=1h")
        by = {x["receiver"]: (x["notifications"], x["pages"])
              for x in r.json()["data"]["byReceiver"]}
        pd = [p["event_action"] for _, p in cls.pagerduty.received()]
        sys.stderr.write(
            "\nPagerDuty sink: %d trigger, %d resolve; web-chat sink: %d; "
            "default sink: %d\nalertnoised by_receiver (notifications, "
            "pages): %s\n" % (pd.count("trigger"), pd.count("resolve"),
                               len(cls.chat.received()),
                               len(cls.fallback.received()), by))

    @classmethod
    def teardown_stack(cls):
        for f in reversed(cls.cleanups):
            f()
        cls.cleanups = []

    @classmethod
    def setup_stack(cls):
        cls.d = harness.Daemon("")
        cls.cleanups.append(cls.d.cleanup)
        cls.pagerduty = Sink(202, b'{"status":"success","message":'
                             b'"Event processed","dedup_key":"x"}')
        cls.cleanups.append(cls.pagerduty.close)
        cls.chat = Sink()
        cls.cleanups.append(cls.chat.close)
        cls.fallback = Sink()
        cls.cleanups.append(cls.fallback.close)
        cls.exporter = Exporter()
        cls.cleanups.append(cls.exporter.close)
        for alert, steps in SCRIPTS.items():
            for host, _ in steps:
                cls.exporter.set(alert, host, OFF)
        cls.am = peers.Alertmanager(cls.AM.replace(
            "DAEMON", cls.d.url).replace("PAGERDUTY", cls.pagerduty.url)
            .replace("CHAT", cls.chat.url)
            .replace("FALLBACK", cls.fallback.url))
        cls.cleanups.append(cls.am.stop)
        cls.prom = peers.Prometheus(PROMETHEUS.replace(
            "EXPORTER", cls.exporter.address).replace(
            "AM", "127.0.0.1:%d" % cls.am.port).replace(
            "DAEMON", cls.d.url), RULES)
        cls.cleanups.append(cls.prom.stop)
        cls.d.write_config(DAEMON_CONFIG.replace("AMFILE", cls.am.config)
                           .replace("RULEFILE", cls.prom.rules))
        cls.d.start()
        cls.am.start()
        cls.prom.start()

        # the daemon holds both sources; Prometheus scrapes the exporter
        # and knows Alertmanager (alerts sent before are dropped)
        harness.wait_for(lambda: sources_loaded(cls.d), timeout=20,
                         interval=0.2, what="alertnoised to load its sources")
        harness.wait_for(lambda: prometheus_ready(cls.prom), timeout=30,
                         interval=0.2,
                         what="Prometheus to scrape and find Alertmanager")

    @classmethod
    def episodes(cls, alertname=None):
        path = "/api/v1/episodes?limit=10000"
        if alertname:
            path += "&alertname=" + alertname
        r = cls.d.get(path)
        assert r.status == 200, r.text
        return sorted(r.json()["data"],
                      key=lambda e: (e["alertname"], e["labels"]["host"],
                                     e["firingAt"] or ""))

    def summary(self):
        r = self.d.get("/api/v1/summary?window=1h")
        self.assertEqual(r.status, 200, r.text)
        return {x["receiver"]: x for x in r.json()["data"]["byReceiver"]}

    def pd_events(self):
        """[(arrival ms, event_action, summary)] of the PagerDuty sink."""
        return [(t, p["event_action"], p["payload"]["summary"])
                for t, p in self.pagerduty.received()]

    def triggers(self):
        return sum(1 for _, a, _ in self.pd_events() if a == "trigger")

    def evidence(self):
        """The sinks' events and the episodes, times side by side."""
        lines = ["PagerDuty events (arrival, action, summary):"]
        for t, action, summary in self.pd_events():
            lines.append("  %s %-8s %s" % (clock(t), action, summary))
        for name, sink in (("web-chat", self.chat),
                           ("default", self.fallback)):
            lines.append("%s webhooks (arrival, status, alerts):" % name)
            for t, p in sink.received():
                lines.append("  %s %-8s %s %s" % (
                    clock(t), p["status"], p["groupLabels"]["alertname"],
                    [(a["labels"]["host"], a["status"])
                     for a in p["alerts"]]))
        lines.append("episodes (alertname host firing_at resolved_at "
                     "receivers notified):")
        for e in self.episodes():
            lines.append("  %-12s %-5s %s %s %s %s" % (
                e["alertname"], e["labels"]["host"], clock(ms(e["firingAt"])),
                clock(ms(e["resolvedAt"])), e["receivers"],
                e["notifiedReceivers"]))
        lines.append("by_receiver: " + json.dumps(
            {k: {f: v.get(f) for f in ("notifications", "pages", "episodes")}
             for k, v in self.summary().items()}))
        return "\n".join(lines)

    def agree(self, real, derived, what):
        """Waits until derived() == real() (a notification of the last
        change may still be on its way), then asserts it with evidence."""
        try:
            harness.wait_for(lambda: real() == derived(), timeout=10,
                             interval=0.2, what=what)
        except AssertionError:
            pass
        self.assertEqual(derived(), real(), "%s\n%s" % (what,
                                                        self.evidence()))


@NEED_PEERS
class TruePagesEndToEnd(Stack, unittest.TestCase):

    @classmethod
    def drive(cls):
        """Runs SCRIPTS, the alertnames side by side: a flip, then the
        next one once alertnoised has recorded it and HOLD has passed."""
        pos = {a: 0 for a in SCRIPTS}
        # per alertname, the flip awaited: (host, value, how many episodes
        # of host had begun (ON) or ended (OFF) before it)
        waiting = {}

        def recorded(eps, alert, host, value, before):
            """The time of the change, once alertnoised has it."""
            mine = [e for e in eps if e["alertname"] == alert and
                    e["labels"]["host"] == host and e["firingAt"]]
            if value == ON:
                new = [e for e in mine if not e["resolvedAt"]]
                if len(mine) > before and new:
                    return ms(new[0]["firingAt"])
            else:
                done = [e for e in mine if e["resolvedAt"]]
                if len(done) > before:
                    return max(ms(e["resolvedAt"]) for e in done)
            return None

        def step():
            eps = cls.episodes()
            now = harness.now_ms()
            for alert, steps in SCRIPTS.items():
                if alert in waiting:
                    host, value, before = waiting[alert]
                    at = recorded(eps, alert, host, value, before)
                    if at is None or now < at + HOLD * 1000:
                        continue
                    del waiting[alert]
                if pos[alert] == len(steps):
                    continue
                host, value = steps[pos[alert]]
                pos[alert] += 1
                before = len([e for e in eps if e["alertname"] == alert and
                              e["labels"]["host"] == host and
                              e["firingAt"] and
                              (value == ON or e["resolvedAt"])])
                waiting[alert] = (host, value, before)
                cls.exporter.set(alert, host, value)
            return not waiting and all(pos[a] == len(s)
                                       for a, s in SCRIPTS.items())
        harness.wait_for(step, timeout=120, interval=0.1,
                         what="the episodes to be driven")

    def test_db_pager_pages_are_the_pagerduty_triggers(self):
        self.agree(self.triggers, lambda: self.summary()["db-pager"]["pages"],
                   "db-pager pages == PagerDuty trigger events")
        # DBDown: db1, db2 new, db1 resolved with db2 firing, twice (6);
        # DBReplicaLag: three firings (3)
        self.assertEqual(self.triggers(), 9, self.evidence())

    def test_db_pager_notifications_are_all_pagerduty_events(self):
        self.agree(lambda: len(self.pd_events()),
                   lambda: self.summary()["db-pager"]["notifications"],
                   "db-pager notifications == PagerDuty events")
        resolves = [x for x in self.pd_events() if x[1] == "resolve"]
        self.assertEqual(len(resolves), 2 + 3, self.evidence())
        eps = [e for a in DB_ALERTS for e in self.episodes(a)]
        self.assertEqual(self.summary()["db-pager"]["episodes"], len(eps),
                         self.evidence())

    def test_web_chat_notifications_are_its_webhooks_and_never_page(self):
        self.agree(lambda: len(self.chat.received()),
                   lambda: self.summary()["web-chat"]["notifications"],
                   "web-chat notifications == webhooks to its sink")
        self.assertEqual(self.summary()["web-chat"]["pages"], 0)
        self.assertGreater(len(self.chat.received()), 0)

    def test_default_notifications_are_its_webhooks(self):
        self.agree(lambda: len(self.fallback.received()),
                   lambda: self.summary()["default"]["notifications"],
                   "default notifications == webhooks to its sink")
        self.assertEqual(self.summary()["default"]["pages"], 0)
        # InfraDisk fired twice: each firing and its resolution
        self.assertEqual(len(self.fallback.received()), 4, self.evidence())

    def test_episodes_name_the_real_and_the_notified_receivers(self):
        want = {"DBDown": ["alertnoise", "db-pager"],
                "DBReplicaLag": ["alertnoise", "db-pager"],
                "WebErrors": ["alertnoise", "web-chat"],
                "InfraDisk": ["alertnoise", "default"]}
        eps = self.episodes()
        self.assertEqual(len([e for e in eps if e["alertname"] in DB_ALERTS]),
                         4 + 3, self.evidence())
        for e in eps:
            self.assertIsNotNone(e["firingAt"], e)
            self.assertIsNotNone(e["resolvedAt"], e)
            self.assertEqual(e["receivers"], want[e["alertname"]], e)
            # the catch-all webhook is all alertnoise heard
            self.assertEqual(e["notifiedReceivers"], ["alertnoise"], e)

    def test_the_alertmanager_source_loaded(self):
        self.assertEqual(self.d.metric(
            "alertnoise_source_last_load_successful", source="alertmanager"),
            1)
        self.assertEqual(self.d.metric(
            "alertnoise_source_last_load_successful", source="prometheus"),
            1)
        r = self.d.get("/api/v1/status/sources")
        am = [s for s in r.json()["data"] if s["source"] == "alertmanager"][0]
        self.assertEqual(am["holds"]["pagerReceivers"], ["db-pager"])
        # nothing Alertmanager sent failed, the sinks answered each one
        self.assertNotIn("Notify for alerts failed", self.am.log())
        self.assertLess(time.monotonic() - self.started, 180)


LINGER_INTERVAL = 10.0  # LingeringGroupEndToEnd's group_interval, seconds


@NEED_PEERS
class LingeringGroupEndToEnd(Stack, unittest.TestCase):
    """Where the replay and Alertmanager 0.25 part: a re-firing that
    joins a group which outlived its alerts.

    The replay ends a group when its alerts have all resolved and starts a
    new one, first flush group_wait later, at the next firing. In
    Alertmanager the group lives on: Prometheus sends a resolved alert
    again at every resend for 15 minutes (rules/alerting.go,
    resolvedRetention), each send puts it back into its group (the
    provider hands every update to the dispatcher), so the flush that
    removes it leaves the group empty only until the next send, and the
    dispatcher's cleanup, every 30 s, deletes only groups it finds empty.
    A re-firing then waits for the old group's next tick, group_interval
    after the last flush, without group_wait; if it ends before that
    tick, Alertmanager notifies nobody, while the replay pages it.

    Here, with group_interval 10s: fire, wait for the PagerDuty trigger,
    resolve, wait for the resolve event, fire again at once for 2 s, and
    wait out the old group's tick -- twice. PagerDuty gets one trigger and
    one resolve per round; alertnoise derives two of each, so the last
    test is an expected failure until lib/tuning/replay.c models this. (Were the
    cleanup to hit the one-evaluation gap between a flush and the next
    send -- a chance of a few percent per round -- that round's re-firing
    would get a group of its own and be paged in both: hence the bounds,
    not exact numbers, in the scenario's own test.)"""
    AM = AM_CONFIG.replace("group_interval: 2s", "group_interval: 10s")
    ROUNDS = 2

    @classmethod
    def drive(cls):
        alert, host = "DBReplicaLag", "db1"

        def sent(action):
            return sum(1 for _, p in cls.pagerduty.received()
                       if p["event_action"] == action)

        def latest():
            eps = [e for e in cls.episodes(alert) if e["firingAt"]]
            return eps[-1] if eps else None

        def flip(value, what, cond):
            cls.exporter.set(alert, host, value)
            return harness.wait_for(cond, timeout=3 * LINGER_INTERVAL,
                                    interval=0.1, what=what)

        def hold(since_ms, seconds):
            harness.wait_for(lambda: harness.now_ms() >=
                             since_ms + seconds * 1000,
                             timeout=seconds + 5, what="%gs" % seconds)
        for _ in range(cls.ROUNDS):
            n = sent("trigger")
            flip(ON, "the trigger", lambda: sent("trigger") > n)
            n = sent("resolve")
            flip(OFF, "the resolve", lambda: sent("resolve") > n)
            was = latest()["firingAt"]
            e = flip(ON, "the re-firing", lambda: latest()["firingAt"] !=
                     was and latest())
            # past the replay's first flush (group_wait 1s), well before
            # the old group's next tick (LINGER_INTERVAL after the resolve)
            hold(ms(e["firingAt"]), 2)
            e = flip(OFF, "its end", lambda: latest()["resolvedAt"] and
                     latest())
            # past the old group's tick and the replay's resolve flush
            hold(ms(e["resolvedAt"]), LINGER_INTERVAL + 1)

    def test_the_scenario_ran(self):
        eps = self.episodes("DBReplicaLag")
        self.assertEqual(len(eps), 2 * self.ROUNDS, self.evidence())
        resolves = len(self.pd_events()) - self.triggers()
        # one each per round; a round whose group the cleanup deleted
        # pages its re-firing too (see the class comment)
        self.assertTrue(self.ROUNDS <= self.triggers() <= 2 * self.ROUNDS,
                        self.evidence())
        self.assertTrue(self.ROUNDS <= resolves <= 2 * self.ROUNDS,
                        self.evidence())

    @unittest.expectedFailure
    def test_pages_are_the_pagerduty_triggers(self):
        self.agree(self.triggers,
                   lambda: self.summary()["db-pager"]["pages"],
                   "db-pager pages == PagerDuty trigger events")
        self.agree(lambda: len(self.pd_events()),
                   lambda: self.summary()["db-pager"]["notifications"],
                   "db-pager notifications == PagerDuty events")


if __name__ == "__main__":
    unittest.main()

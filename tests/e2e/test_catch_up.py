"""End to end: a flapper through a daemon restart, against two real
Prometheus 2.42 replicas and a real Alertmanager 0.25.

The rule fires for one minute in every two (`time() % 120 < 60`) at a 5 s
evaluation interval. While it runs the daemon is killed (-9), stays down
until Prometheus has seen the flapper resolve and fire again, and comes
back on the same store: each replica then sends its backlog -- firing
samples, a stale marker, firing again -- in requests of its own, and
Alertmanager retries the webhooks it could not deliver. Afterwards:

- every firing period Prometheus' query_range shows (the union of the two
  replicas' runs) is exactly one episode, with its start and end, and
  there is no other;
- the alert is flapping by the analysis' default thresholds, as it would
  be at any evaluation interval;
- the recommendation for it is the smallest `for` or `keep_firing_for`
  that removes its noise: 1m, not 2m (its periods last 60 s, a `for: 1m`
  never fires)."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
import peers  # noqa: E402

NAME = "TwoMinuteFlapper"
EVAL = 5.0
SLACK = 0.05    # float rounding of query_range timestamps
STEP = 1        # query_range resolution, seconds
OFF = 60        # seconds the rule is off between two firing periods
# closed firing periods to see before judging: the restart's, and the 4
# episodes within an hour the default thresholds need to call it flapping
MIN_CLOSED = 4

RULES = """
groups:
  - name: catch-up
    interval: 5s
    rules:
      - alert: NAME
        expr: vector(time() % 120) < 60
""".replace("NAME", NAME)

PROMETHEUS = """
global:
  evaluation_interval: 5s
  external_labels: {cluster: e2e, replica: REPLICA}
rule_files: [RULES]
alerting:
  alert_relabel_configs:
    - regex: replica
      action: labeldrop
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
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: alertnoise
    webhook_configs:
      - url: DAEMON/api/v1/webhook
        send_resolved: true
"""

# the analysis' defaults, but for what pages and the cache; the replay
# told Alertmanager's timings above
DAEMON_CONFIG = """
webhook: {dedup_window: 0s}
analysis:
  paging_receivers: [alertnoise]
  cache_ttl: 0s
replay:
  routes:
    - receiver: alertnoise
      group_by: [alertname]
      group_wait: 1s
      group_interval: 1s
      repeat_interval: 1h
      send_resolved: true
"""


class CatchUpEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for b in (peers.PROMETHEUS, peers.ALERTMANAGER):
            if not os.path.exists(b):
                raise unittest.SkipTest(b + " is not installed")
        cls.d = harness.Daemon(DAEMON_CONFIG).start()
        cls.am = peers.Alertmanager(
            ALERTMANAGER.replace("DAEMON", cls.d.url)).start()
        cls.proms = []
        for replica in ("a", "b"):
            cfg = PROMETHEUS.replace("REPLICA", replica).replace(
                "AM", "127.0.0.1:%d" % cls.am.port).replace("DAEMON", cls.d.url)
            cls.proms.append(peers.Prometheus(cfg, RULES).start())
        cls.start = time.time()

        # the flapper fires, and the daemon has heard it
        def firing():
            return ([r for r in cls.runs() if r[0] > cls.settled()] and
                    [e for e in cls.episodes() if cls.ms(e["firingAt"]) /
                     1000 > cls.settled()])
        harness.wait_for(firing, timeout=270, interval=0.5,
                         what="a firing to reach the daemon")
        cls.d.stop(signal.SIGKILL)
        cls.killed = time.time()
        # down until Prometheus has seen it end and fire again: the
        # backlog holds a stale marker between two runs
        harness.wait_for(lambda: any(r[0] > cls.killed for r in cls.runs()),
                         timeout=150, interval=0.5,
                         what="a new firing while the daemon is down")
        cls.d.start()
        cls.restarted = time.time()

        def enough():
            closed = cls.closed(time.time())
            return len(closed) >= MIN_CLOSED and closed[-1][0] > cls.restarted
        harness.wait_for(enough, timeout=15 * 60, interval=1,
                         what="%d closed firing periods" % MIN_CLOSED)
        cls.cut = time.time()
        # the daemon has caught up with the last closed period
        last = cls.closed(cls.cut)[-1]

        def caught_up():
            return any(e["resolvedAt"] and
                       abs(cls.ms(e["firingAt"]) / 1000 - last[0]) <= EVAL
                       for e in cls.episodes())
        harness.wait_for(caught_up, timeout=30, interval=0.2,
                         what="the daemon to store the last period")

    @classmethod
    def tearDownClass(cls):
        for p in getattr(cls, "proms", []):
            p.stop()
        if getattr(cls, "am", None):
            cls.am.stop()
        if getattr(cls, "d", None):
            cls.d.cleanup()

    @staticmethod
    def ms(t):
        return harness.parse_rfc3339_ms(t)

    @classmethod
    def runs(cls, end=None):
        """The flapper's firing runs, both replicas' merged: the HA
        timeline the daemon must record."""
        results = []
        for p in cls.proms:
            results += p.query_range(
                'ALERTS{alertname="%s",alertstate="firing"}' % NAME,
                cls.start - 10, end or time.time(), STEP)
        return peers.merged_runs(results, STEP)

    @classmethod
    def closed(cls, end):
        """Runs that began after the start settled and ended before end."""
        return [r for r in cls.runs(end)
                if r[0] > cls.settled() and r[1] < end - 2 * EVAL]

    @classmethod
    def settled(cls):
        """A freshly started Prometheus notifies an alert from its first
        evaluation but writes ALERTS only once the rule's state is restored,
        an evaluation or two later: the episode then fires at Alertmanager's
        startsAt, before query_range's run. Runs are compared from three
        evaluations after both replicas were up."""
        return cls.start + 3 * EVAL

    @classmethod
    def episodes(cls):
        r = cls.d.get("/api/v1/episodes?alertname=%s&limit=1000" % NAME)
        assert r.status == 200, r.text
        return sorted((e for e in r.json()["data"] if e["firingAt"]),
                      key=lambda e: e["firingAt"])

    def test_every_period_is_one_episode_through_the_restart(self):
        runs = self.closed(self.cut)
        # the restart fell inside the runs compared
        self.assertLess(runs[0][0], self.killed, runs)
        self.assertGreater(runs[-1][0], self.restarted, runs)
        eps = self.episodes()
        # The first run since Prometheus started may begin before its
        # first ALERTS sample: Alertmanager was notified from the first
        # evaluation, ALERTS written once the rule's state was restored,
        # an evaluation or more later (two, seen under ASan); the episode
        # then rightly fires at Alertmanager's startsAt. Half the off
        # phase back, no further: when Prometheus started late in a
        # period, that period was notified and resolved before any ALERTS
        # sample was written, and its episode (webhooks only) belongs to
        # no run query_range shows.
        earliest = self.runs(self.cut)[0][0]

        def lo(first):
            return (max(self.start, first - OFF / 2) if first == earliest
                    else first - EVAL - SLACK)
        for first, last in runs:
            match = [e for e in eps if lo(first) <
                     self.ms(e["firingAt"]) / 1000 <= first + SLACK]
            self.assertEqual(len(match), 1, "run %s..%s: %s" % (first, last,
                                                                 eps))
            e = match[0]
            self.assertIsNotNone(e["resolvedAt"], e)
            # the last replica's stale marker, at its next evaluation
            res = self.ms(e["resolvedAt"]) / 1000
            self.assertTrue(last - SLACK < res <= last + EVAL + SLACK,
                            "resolved %s, last point %s" % (res, last))
            # for: 0 -- no pending phase
            self.assertIsNone(e["pendingAt"], e)
        # none invented: as many episodes as runs over the same span
        inside = [e for e in eps
                  if lo(runs[0][0]) < self.ms(e["firingAt"]) / 1000
                  <= runs[-1][0] + SLACK]
        self.assertEqual(len(inside), len(runs), (runs, inside))

    def test_flapping_by_the_default_thresholds(self):
        r = self.d.get("/api/v1/alertnames?window=1h")
        self.assertEqual(r.status, 200, r.text)
        a = {x["alertname"]: x for x in r.json()["data"]}[NAME]
        self.assertTrue(a["flapping"], a)
        self.assertGreater(a["classes"]["flapping"], 0, a)

    def test_smallest_effective_for_or_keep_firing_for(self):
        r = self.d.get("/api/v1/recommendations?window=1h")
        self.assertEqual(r.status, 200, r.text)
        recs = [x for x in r.json()["data"] if x["alertname"] == NAME]
        kinds = {x["kind"]: x for x in recs}
        self.assertTrue({"raise_for", "keep_firing_for"} & set(kinds), recs)
        if "raise_for" in kinds:
            snippet = kinds["raise_for"]["snippet"]
            self.assertIn("for: 1m", snippet, kinds["raise_for"])
            self.assertGreater(kinds["raise_for"]["predicted"]
                               ["noiseRemoved"], 0, kinds["raise_for"])
        if "keep_firing_for" in kinds:
            snippet = kinds["keep_firing_for"]["snippet"]
            self.assertIn("keep_firing_for: 1m", snippet,
                          kinds["keep_firing_for"])


if __name__ == "__main__":
    unittest.main()

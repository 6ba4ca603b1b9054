"""End to end: two real Prometheus 2.42 replicas evaluate alerting rules every
second, remote-write ALERTS / ALERTS_FOR_STATE to the daemon and alert through
a real Alertmanager 0.25 whose webhook is the daemon. The daemon's episodes
must agree with the ALERTS history Prometheus itself returns, within one
evaluation interval, and the webhook and remote-write views of each firing
must be one episode, not two."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
import peers  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import test_recommend_snippets as snippets  # noqa: E402

RULES = """
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
      # flapping: pending at 5, firing at 7, ended at 11 (mod 10); its
      # starts stay 3 s clear of CoA's and CoB's (0 and 1), wherever in
      # the minute the run begins, so it never co-fires with them
      - alert: Flap
        expr: vector((time() + 5) % 10) < 6
        for: 2s
      - alert: KeepFiring
        expr: vector(time() % 6) < 2
        keep_firing_for: 10s
      - alert: Silenced
        expr: vector(1)
      # co-firing: CoB follows CoA a second later, every 10 s, and ends a
      # second before it: inhibited while CoA fires, CoB never notifies,
      # with a second to spare either side of Alertmanager's 1 s timers
      - alert: CoA
        expr: vector(time() % 10) < 4
      - alert: CoB
        expr: vector((time() - 1) % 10) < 2
      # a storm: one alertname for 12 instances at once
      - alert: Storm
        expr: STORM
""".replace("STORM", " or ".join(
    'label_replace(vector(1), "instance", "i%02d", "", "")' % i
    for i in range(12)))

PROMETHEUS = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
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
  # by instance too, so the storm pages twelve times (the group_by
  # recommendation must find that)
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

# thresholds scaled to a 30 s run with 1 s evaluations; so is the join
# tolerance, which by default (10s) equals CoA's and CoB's period here: a
# notification heard before its firing sample could then be taken for the
# period before's
DAEMON_CONFIG = """
webhook: {dedup_window: 0s}
identity: {join_tolerance: 2s}
analysis:
  transient_max: 5s
  persistent_min: 20s
  flap_high: 15
  flap_low: 8
  flap_min_episodes: 2
  paging_receivers: [alertnoise]
  cofire_window: 2s
  cofire_min_support: 3
  # four periods of CoA and CoB in a run, and one may be cut at either end
  # (the first evaluations, the last batches): three of four suffice
  cofire_min_jaccard: 0.5
  storm_min: 10
  storm_window: 10s
  cache_ttl: 0s
"""

EVAL = 1.0
SLACK = 0.05    # float rounding of query_range timestamps
# the history takes about 40 s of evaluations (four periods of CoA and
# CoB); the bounds are for a loaded machine
HISTORY_TIMEOUT = 150
DELIVERY_TIMEOUT = 30


class PrometheusEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for b in (peers.PROMETHEUS, peers.ALERTMANAGER):
            if not os.path.exists(b):
                raise unittest.SkipTest(b + " is not installed")
        try:
            cls._run()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _run(cls):
        cls.d = harness.Daemon(DAEMON_CONFIG).start()
        cls.am = peers.Alertmanager(
            ALERTMANAGER.replace("DAEMON", cls.d.url)).start()
        # a silence: Silenced fires but is never notified
        now = time.time()
        r = harness.http("POST", cls.am.url + "/api/v2/silences", json.dumps({
            "matchers": [{"name": "alertname", "value": "Silenced",
                          "isRegex": False}],
            "startsAt": harness.rfc3339(int(now * 1000)),
            "endsAt": harness.rfc3339(int((now + 3600) * 1000)),
            "createdBy": "e2e", "comment": "e2e"}),
            headers={"Content-Type": "application/json"})
        assert r.status == 200, r.text
        cls.proms = []
        for replica in ("a", "b"):
            cfg = PROMETHEUS.replace("REPLICA", replica).replace(
                "AM", "127.0.0.1:%d" % cls.am.port).replace("DAEMON", cls.d.url)
            cls.proms.append(peers.Prometheus(cfg, RULES).start())
        cls.start = time.time()
        cls.missing = "(not asked yet)"
        harness.wait_for(
            cls._history, timeout=HISTORY_TIMEOUT, interval=0.5,
            what=lambda: "the history the tests count; missing: " +
            cls.missing)
        cls.cut = time.time()
        # the last batches and notifications sent before the cut
        sent = cls.am.notifications_sent()
        for p in cls.proms:
            harness.wait_for(
                lambda: p.remote_write_sent_through(cls.cut),
                timeout=DELIVERY_TIMEOUT, interval=0.2,
                what="Prometheus %s to remote-write up to the cut" % p.url)
        harness.wait_for(
            lambda: cls.d.count("notifications") >= sent,
            timeout=DELIVERY_TIMEOUT, interval=0.2,
            what=lambda: "the %d notifications Alertmanager sent before the "
            "cut to be stored (%d are)" % (sent,
                                           cls.d.count("notifications")))

    @classmethod
    def _history(cls):
        """Whether the daemon holds what the tests count, with a margin;
        what it lacks is left in cls.missing."""
        r = cls.d.get("/api/v1/episodes?limit=10000")
        assert r.status == 200, r.text
        eps = {}
        for e in r.json()["data"]:
            eps.setdefault(e["alertname"], []).append(e)

        def secs(t):
            return harness.parse_rfc3339_ms(t) / 1000

        now = time.time()
        missing = []
        # two Flap firings after the first seconds, notified, whose end
        # lies clear of the seconds before the cut the tests leave out
        flap = [e for e in eps.get("Flap", []) if e["firingAt"] and
                e["resolvedAt"] and e["notified"] and
                secs(e["firingAt"]) > cls.start + 3 and
                secs(e["resolvedAt"]) < now - 3]
        if len(flap) < 2:
            missing.append("2 notified, resolved Flap firings (%d)" %
                           len(flap))
        # four periods of CoA and CoB (cofire_min_support is 3, and
        # the Jaccard of 0.5 allows a period cut at either end): CoB
        # starting within cofire_window of CoA
        coa = [secs(e["firingAt"]) for e in eps.get("CoA", [])
               if e["firingAt"]]
        cob = [e for e in eps.get("CoB", []) if e["firingAt"] and
               any(abs(secs(e["firingAt"]) - a) <= 2 for a in coa)]
        if len(cob) < 4:
            missing.append("4 CoB firings with CoA (%d)" % len(cob))
        # Steady notified and firing for over persistent_min (20 s)
        steady = [e for e in eps.get("Steady", []) if e["firingAt"] and
                  e["notified"] and secs(e["firingAt"]) < now - 21]
        if not steady:
            missing.append("Steady notified and firing for 21 s")
        storm = [e for e in eps.get("Storm", []) if e["firingAt"]]
        if len(storm) < 12:
            missing.append("12 Storm firings (%d)" % len(storm))
        for name, field in (("Pend", "pendingAt"), ("Silenced", "firingAt"),
                            ("KeepFiring", "firingAt")):
            if not [e for e in eps.get(name, []) if e[field]]:
                missing.append("%s's %s" % (name, field))
        cls.missing = ", ".join(missing)
        return not missing

    @classmethod
    def tearDownClass(cls):
        for p in getattr(cls, "proms", []):
            p.stop()
        if getattr(cls, "am", None):
            cls.am.stop()
        if getattr(cls, "d", None):
            cls.d.cleanup()

    def episodes(self, alertname):
        r = self.d.get("/api/v1/episodes?alertname=%s&limit=1000" % alertname)
        self.assertEqual(r.status, 200, r.text)
        return sorted(r.json()["data"], key=lambda e: e["firingAt"] or "")

    def prom_runs(self, alertname, state):
        """The ALERTS runs both replicas report (each keeps its own TSDB,
        without its external labels), merged: the HA timeline."""
        result = []
        for p in self.proms:
            r = p.query_range(
                'ALERTS{alertname="%s",alertstate="%s"}' % (alertname, state),
                self.start - 5, self.cut, EVAL)
            self.assertLessEqual(len(r), 1, r)
            result += r
        return peers.merged_runs(result, EVAL)

    def test_flapping_timeline_matches_prometheus(self):
        runs = self.prom_runs("Flap", "firing")
        closed = [r for r in runs if r[1] < self.cut - 2 * EVAL and
                  r[0] > self.start - 5 + EVAL]
        self.assertGreaterEqual(len(closed), 2, runs)
        eps = [e for e in self.episodes("Flap") if e["firingAt"]]
        for first, last in closed:
            match = [e for e in eps if
                     first - EVAL - SLACK < harness.parse_rfc3339_ms(
                         e["firingAt"]) / 1000 <= first + SLACK]
            self.assertEqual(len(match), 1, "run %s..%s: %s" % (first, last,
                                                                 eps))
            e = match[0]
            self.assertIsNotNone(e["resolvedAt"], e)
            # the stale marker comes at the first evaluation after the
            # last sample
            res = harness.parse_rfc3339_ms(e["resolvedAt"]) / 1000
            self.assertTrue(last - SLACK < res <= last + EVAL + SLACK,
                            "resolved %s, last point %s" % (res, last))
            # its pending phase came before it (for: 2s)
            pend = harness.parse_rfc3339_ms(e["pendingAt"]) / 1000
            self.assertTrue(0 < res - pend and
                            abs((harness.parse_rfc3339_ms(e["firingAt"]) /
                                 1000 - pend) - 2) <= EVAL + 1, e)
        # and the other way round: every fired episode is one Prometheus
        # run starting within an evaluation after it (none invented)
        for e in eps:
            f = harness.parse_rfc3339_ms(e["firingAt"]) / 1000
            if not self.start + 2 < f < self.cut - 2 * EVAL:
                continue
            match = [r for r in runs if f - SLACK <= r[0] < f + EVAL + SLACK]
            self.assertEqual(len(match), 1, "episode %s: %s" % (e, runs))

    def test_backfill_reproduces_the_live_timelines(self):
        store = tempfile.mkdtemp(prefix="an-import-")
        r = subprocess.run(
            [harness.BINARY, "import", "--prometheus.url=" + self.proms[0].url,
             "--since=2m", "--step=1s", "--storage.path=" + store,
             "--config.file=" + self.d.config_path],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("import: done:", r.stderr)
        imported = harness.Daemon("", storage=store)

        def eps(d, name):
            return d.query("SELECT pending_at, firing_at, resolved_at "
                           "FROM episodes WHERE alertname = ? "
                           "ORDER BY coalesce(pending_at, firing_at)", name)
        live = [e for e in eps(self.d, "Flap") if e["resolved_at"] and
                self.start * 1000 + 3000 < e["firing_at"] <
                self.cut * 1000 - 3000]
        self.assertGreaterEqual(len(live), 2)
        back = eps(imported, "Flap")
        for e in live:
            # one step of query_range resolution, plus the replicas'
            # evaluation offsets
            near = [b for b in back if b["firing_at"] and
                    abs(b["firing_at"] - e["firing_at"]) <= 1000 + 50]
            self.assertEqual(len(near), 1, (e, back))
            self.assertLessEqual(abs(near[0]["resolved_at"] -
                                     e["resolved_at"]), 1000 + 50)
            self.assertLessEqual(abs(near[0]["pending_at"] -
                                     e["pending_at"]), 1000 + 50)
        for name in ("Steady", "Pend", "KeepFiring", "Silenced"):
            self.assertEqual(len(eps(imported, name)), 1, name)
        self.assertIsNone(eps(imported, "Pend")[0]["firing_at"])

    def alerts(self):
        r = self.d.get("/api/v1/alertnames?window=1h")
        self.assertEqual(r.status, 200, r.text)
        return {a["alertname"]: a for a in r.json()["data"]}

    def test_classes_flapping_transient_persistent(self):
        a = self.alerts()
        flap = a["Flap"]
        # fires 4 s of every 10: from the second episode on, 3 changes
        # within seconds score about 18 >= flap_high with 2 episodes in
        # the flap_window, and every such episode is flapping
        self.assertGreater(flap["classes"]["flapping"], 0, flap)
        self.assertTrue(flap["flapping"], flap)
        self.assertGreaterEqual(flap["flapScore"], 15)
        self.assertEqual(flap["noiseRatio"], 1.0, flap)
        # 4 s episodes: transient (the first, before flapping starts)
        self.assertEqual(flap["classes"]["flapping"] +
                         flap["classes"]["transient"], flap["episodes"], flap)
        # Steady has fired for the whole run: longer than persistent_min
        self.assertEqual(a["Steady"]["classes"]["persistent"], 1, a["Steady"])
        self.assertGreater(a["Steady"]["firingSeconds"], 20)
        # the pending alert never fired: it is not classified
        self.assertNotIn("Pend", a)
        for e in self.episodes("Flap"):
            if e["firingAt"] and e["class"] == "flapping":
                self.assertIn("flapping", e["reasons"])

    def test_cofiring_group_with_leader_and_storm(self):
        r = self.d.get("/api/v1/groups?window=1h")
        self.assertEqual(r.status, 200, r.text)
        groups = r.json()["data"]
        co = [g for g in groups if g["kind"] == "cofiring"]
        self.assertEqual(len(co), 1, groups)
        names = sorted(m["alertname"] for m in co[0]["members"])
        self.assertEqual(names, ["CoA", "CoB"])
        self.assertEqual(co[0]["leader"]["alertname"], "CoA")
        self.assertGreaterEqual(co[0]["support"], 2)
        self.assertGreaterEqual(co[0]["jaccard"], 0.5)
        storm = [g for g in groups if g["kind"] == "storm"]
        self.assertEqual(len(storm), 1, groups)
        self.assertEqual(len(storm[0]["members"]), 12)
        self.assertEqual(storm[0]["evidence"]["varyingLabels"], ["instance"])
        a = self.alerts()
        # CoB's episodes follow CoA's: duplicates
        self.assertGreater(a["CoB"]["classes"]["duplicate"], 0, a["CoB"])
        self.assertEqual(a["CoA"]["classes"]["duplicate"], 0, a["CoA"])
        # all but the first of the storm's twelve
        self.assertEqual(a["Storm"]["classes"]["duplicate"], 11, a["Storm"])

    def test_summary_and_feedback_change_the_numbers_at_once(self):
        s0 = self.d.get("/api/v1/summary?window=1h").json()["data"]
        self.assertGreater(s0["pages"], 0)
        self.assertIsNotNone(s0["pageNoiseRatio"])
        self.assertEqual(s0["byReceiver"][0]["receiver"], "alertnoise")
        steady = self.episodes("Steady")[0]
        r = self.d.post("/api/v1/feedback", json.dumps({
            "fingerprint": steady["fingerprint"], "verdict": "actionable",
            "by": "e2e"}))
        self.assertEqual(r.status, 200, r.text)
        s1 = self.d.get("/api/v1/summary?window=1h").json()["data"]
        self.assertEqual(s1["feedback"]["actionable"],
                         s0["feedback"]["actionable"] + 1)
        self.assertEqual(s1["classes"]["persistent"],
                         s0["classes"]["persistent"] - 1)
        self.assertEqual(s1["noiseEpisodes"], s0["noiseEpisodes"] - 1)
        a = self.alerts()
        self.assertEqual(a["Steady"]["classes"]["actionable"], 1)

    def test_recommendations_from_real_history_pass_promtool_and_amtool(self):
        r = self.d.get("/api/v1/recommendations?window=1h")
        self.assertEqual(r.status, 200, r.text)
        recs = r.json()["data"]
        kinds = {x["kind"]: x for x in recs}
        # CoB follows CoA: inhibit CoB while CoA fires
        inh = kinds.get("inhibit_rule")
        self.assertIsNotNone(inh, [x["id"] for x in recs])
        self.assertIn('alertname="CoA"', inh["snippet"].split("target")[0])
        self.assertIn("CoB", inh["snippet"].split("target")[1])
        # the storm: group by what its twelve alerts share
        gb = kinds.get("group_by")
        self.assertIsNotNone(gb, [x["id"] for x in recs])
        self.assertEqual(gb["alertname"], "Storm")
        self.assertNotIn("instance", gb["snippet"])
        # two replicas sent every alert
        self.assertIn("drop_replica_label", kinds)
        for x in recs:
            self.assertTrue(x["evidence"], x)
            p = x["predicted"]
            if x["kind"] in ("inhibit_rule", "group_by", "raise_for",
                             "keep_firing_for", "repeat_interval"):
                self.assertTrue(p["pagesAfter"] < p["pagesBefore"] or
                                p["notificationsAfter"] <
                                p["notificationsBefore"], x)
            d = tempfile.mkdtemp(prefix="an-snippet-")
            if x["target"] == "prometheus_rule":
                path = os.path.join(d, "rules.yml")
                with open(path, "w") as f:
                    f.write(snippets.rule_file(x["snippet"]))
                peers.check([peers.PROMTOOL, "check", "rules", path])
            elif x["target"] == "prometheus_config":
                path = os.path.join(d, "prometheus.yml")
                with open(path, "w") as f:
                    f.write(x["snippet"])
                peers.check([peers.PROMTOOL, "check", "config", path])
            else:
                route = x["snippet"] if x["target"] == \
                    "alertmanager_route" else None
                inhib = x["snippet"] if route is None else None
                recv = snippets.route_receivers(x) if route else []
                path = os.path.join(d, "alertmanager.yml")
                with open(path, "w") as f:
                    f.write(snippets.am_file(recv, route, inhib))
                peers.check([peers.AMTOOL, "check-config", path])

    def test_webhook_and_remote_write_are_joined_not_doubled(self):
        # Flap fired several times and Alertmanager notified each firing
        notified = [e for e in self.episodes("Flap") if e["notified"]]
        self.assertGreaterEqual(len(notified), 2)
        for e in notified:
            self.assertEqual(sorted(e["sources"]), ["remote_write", "webhook"],
                             e)
            self.assertEqual(e["receivers"], ["alertnoise"])
        # no episode was seen by the webhook alone
        # (remote write may lag the webhook by a batch: leave out the
        # last seconds of the run)
        only_webhook = self.d.query(
            "SELECT * FROM episodes_view WHERE sources = 'webhook' AND "
            "id IN (SELECT id FROM episodes WHERE firing_at < ?)",
            int((self.cut - 5) * 1000))
        self.assertEqual(only_webhook, [], self.d.query(
            "SELECT * FROM episodes_view WHERE alertname IN (SELECT "
            "alertname FROM episodes WHERE sources = 'webhook')"))
        # and every stored webhook alert points at an episode
        self.assertEqual(self.d.query(
            "SELECT count(*) AS n FROM notification_alerts "
            "WHERE episode_id IS NULL")[0]["n"], 0)

    def test_steady_alert_is_one_open_episode_with_alertmanagers_fingerprint(self):
        eps = self.episodes("Steady")
        self.assertEqual(len(eps), 1, eps)
        e = eps[0]
        self.assertIsNone(e["resolvedAt"])
        self.assertTrue(e["notified"])
        self.assertEqual(sorted(e["sources"]), ["remote_write", "webhook"])
        self.assertEqual(e["labels"], {"alertname": "Steady", "cluster": "e2e",
                                       "severity": "page"})
        am = [a for a in self.am.alerts() if a["labels"]["alertname"] == "Steady"]
        self.assertEqual(len(am), 1, am)
        self.assertEqual(e["fingerprint"], am[0]["fingerprint"])
        # HA: two replicas, one identity
        self.assertEqual(self.d.query(
            "SELECT count(*) AS n FROM identities WHERE alertname = 'Steady'"
        )[0]["n"], 1)

    def test_pending_alert_never_fires_nor_notifies(self):
        eps = self.episodes("Pend")
        self.assertEqual(len(eps), 1, eps)
        self.assertIsNotNone(eps[0]["pendingAt"])
        self.assertIsNone(eps[0]["firingAt"])
        self.assertFalse(eps[0]["notified"])

    def test_silenced_alert_fired_but_was_never_notified(self):
        eps = self.episodes("Silenced")
        self.assertEqual(len(eps), 1, eps)
        self.assertIsNotNone(eps[0]["firingAt"])
        self.assertFalse(eps[0]["notified"])
        self.assertEqual(eps[0]["sources"], ["remote_write"])

    def test_keep_firing_for_keeps_one_episode(self):
        eps = self.episodes("KeepFiring")
        self.assertEqual(len(eps), 1, eps)
        self.assertIsNone(eps[0]["resolvedAt"])
        # Prometheus' own view: one uninterrupted firing run
        self.assertEqual(len(self.prom_runs("KeepFiring", "firing")), 1)

    def test_firing_endpoint_lists_what_is_active_now(self):
        r = self.d.get("/api/v1/alerts/firing")
        self.assertEqual(r.status, 200)
        state = {a["alertname"]: a["state"] for a in r.json()["data"]}
        self.assertEqual(state.get("Steady"), "firing")
        self.assertEqual(state.get("Pend"), "pending")
        self.assertEqual(state.get("KeepFiring"), "firing")
        r = self.d.get('/api/v1/alerts/firing?match[]=%7Bseverity%3D%22page%22%7D')
        self.assertEqual([a["alertname"] for a in r.json()["data"]], ["Steady"])

    def test_remote_write_was_accepted_and_counted(self):
        m = self.d.metrics()
        applied = m.get(("alertnoise_remote_write_samples_total",
                         frozenset({"result": "applied"}.items())), 0)
        self.assertGreater(applied, 100)
        rejected = sum(v for (n, _), v in m.items()
                       if n == "alertnoise_remote_write_rejected_total")
        self.assertEqual(rejected, 0)
        self.assertEqual(m.get(("alertnoise_webhook_notifications_total",
                                frozenset({"result": "rejected"}.items()))), 0)


if __name__ == "__main__":
    unittest.main()

"""test_sources.py -- the user's own alertmanager.yml and rule files as
sources of truth: GET /api/v1/status/sources, keeping the last good copy,
the real receivers of each episode, and pages to a paging receiver that
alertnoise never sees a notification of (the README's one catch-all route).

The history is what Alertmanager sends through the catch-all `alertnoise`
route: webhooks only. What the real tree sent to `pager` and `chat` is
computed from it by replaying the tree, and compared with the answer
worked out by hand from Alertmanager's timers (group_wait 30s,
group_interval 5m)."""
import os
import shutil
import tempfile
import unittest

import harness
from harness import (Daemon, make_alert, make_notification, now_ms,
                     wait_for)

T = (now_ms() // 1000 - 6 * 3600) * 1000     # six hours ago, whole seconds

DB = {"alertname": "DBDown", "team": "db", "severity": "critical",
      "instance": "db1"}
DISK = {"alertname": "DiskWarn", "team": "infra", "severity": "warning",
        "instance": "h1"}

AM_YML = """\
route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: alertnoise
      continue: true
    - receiver: pager
      matchers: ['severity="critical"']
    - receiver: chat
      matchers: ['severity="warning"']
receivers:
  - name: default
  - name: alertnoise
    webhook_configs:
      - url: http://127.0.0.1:9/api/v1/webhook
  - name: pager
    pagerduty_configs:
      - routing_key: abc
        url: http://127.0.0.1:9/pd
  - name: chat
    webhook_configs:
      - url: http://127.0.0.1:9/chat
"""

RULES = """\
groups:
  - name: db
    rules:
      - alert: DBDown
        expr: up{job="db"} == 0
        for: 2m
        labels:
          severity: critical
      - alert: DiskWarn
        expr: disk_free < 0.1
        labels:
          severity: warning
"""


def at(minutes):
    return T + minutes * 60000


# (identity, start minute, end minute): episodes an hour apart, each
# lasting 10 minutes, so that each group fires, flushes at +30s, and
# resolves at a later group_interval tick
EPISODES = [(DB, 0, 10), (DB, 60, 70), (DB, 120, 130),
            (DISK, 30, 40), (DISK, 90, 100)]


class SourcesTest(unittest.TestCase):
    AM = AM_YML
    PAGER_NOTIFICATIONS = 6     # replayed: 3 pages and 3 resolved

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="alertnoise-sources-")
        cls.am = os.path.join(cls.tmp, "alertmanager.yml")
        os.mkdir(os.path.join(cls.tmp, "rules"))
        cls.rules = os.path.join(cls.tmp, "rules", "db.yml")
        with open(cls.am, "w") as f:
            f.write(cls.AM)
        with open(cls.rules, "w") as f:
            f.write(RULES)
        cls.d = Daemon(config="""\
alertmanager:
  config_file: %s
prometheus:
  rule_files: ["%s/rules/*.yml"]
sources:
  refresh_interval: 1h
analysis:
  cache_ttl: 0s
""" % (cls.am, cls.tmp))
        cls.d.start()
        for ident, start, end in EPISODES:
            for n in (make_notification([make_alert(ident, at(start))],
                                        receiver="alertnoise"),
                      make_notification([make_alert(ident, at(start),
                                                    ends_ms=at(end))],
                                        receiver="alertnoise")):
                r = cls.d.webhook(n)
                assert r.status == 200, (r.status, r.text)
        wait_for(lambda: all(s["lastSuccess"] for s in cls.status()
                             if s["configured"]), what="sources loaded")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def status(cls):
        r = cls.d.get("/api/v1/status/sources")
        assert r.status == 200, r.text
        return r.json()["data"]

    def source(self, name):
        return [s for s in self.status() if s["source"] == name][0]

    def summary(self):
        r = self.d.get("/api/v1/summary?window=1d")
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]

    def reload(self):
        r = self.d.post("/-/reload")
        self.assertEqual(r.status, 200, r.text)

    def test_status_shows_what_each_source_holds(self):
        am = self.source("alertmanager")
        self.assertTrue(am["configured"])
        self.assertTrue(am["healthy"])
        self.assertEqual(am["origin"], self.am)
        self.assertEqual(am["lastError"], "")
        self.assertEqual(am["holds"]["routes"], 4)
        self.assertEqual(am["holds"]["receivers"], 4)
        self.assertEqual(am["holds"]["pagerReceivers"], ["pager"])
        prom = self.source("prometheus")
        self.assertTrue(prom["healthy"])
        self.assertEqual(prom["holds"], {"ruleFiles": 1, "ruleGroups": 1,
                                         "alertingRules": 2})
        self.assertEqual(self.d.metric(
            "alertnoise_source_last_load_successful",
            source="alertmanager"), 1)

    def test_pages_of_a_receiver_only_the_tree_names(self):
        s = self.summary()
        by = {r["receiver"]: r for r in s["byReceiver"]}
        # pager pages: each DBDown episode's group flushes once firing
        # (group_wait 30s), then once resolved (send_resolved is
        # pagerduty's default)
        self.assertEqual(by["pager"]["pages"], 3, by)
        self.assertEqual(by["pager"]["notifications"], 6, by)
        self.assertEqual(by["pager"]["episodes"], 3, by)
        # chat does not page: a webhook
        self.assertEqual(by["chat"]["pages"], 0, by)
        self.assertEqual(by["chat"]["episodes"], 2, by)
        # alertnoise is what was seen: 10 notifications, no pages
        self.assertEqual(by["alertnoise"]["notifications"], 10, by)
        self.assertEqual(by["alertnoise"]["pages"], 0, by)
        self.assertEqual(s["pages"], 3)

    def test_replay_error_counts_only_what_was_recorded(self):
        import json
        r = self.d.post("/api/v1/simulate", json.dumps({"window": "1d"}))
        self.assertEqual(r.status, 200, r.text)
        data = r.json()["data"]
        rows = {(c["alertname"], c["receiver"]): c for c in data["counts"]}
        # the pager's notifications are replayed, never recorded: no
        # error can be measured for them
        self.assertIsNone(rows[("DBDown", "pager")]["recorded"])
        self.assertEqual(rows[("DBDown", "pager")]["notificationsBefore"],
                         self.PAGER_NOTIFICATIONS)
        seen = [c for c in data["counts"] if c["recorded"] is not None]
        self.assertTrue(seen)
        self.assertTrue(all(c["receiver"] == "alertnoise" for c in seen))
        diff = sum(abs(c["notificationsBefore"] - c["recorded"])
                   for c in seen)
        self.assertAlmostEqual(data["replayError"],
                               diff / sum(c["recorded"] for c in seen))

    def test_episodes_name_real_and_notified_receivers(self):
        r = self.d.get("/api/v1/episodes?match[]=%7Balertname%3D%22DBDown"
                       "%22%7D")
        self.assertEqual(r.status, 200, r.text)
        eps = r.json()["data"]
        self.assertEqual(len(eps), 3)
        for e in eps:
            self.assertEqual(e["receivers"], ["alertnoise", "pager"])
            self.assertEqual(e["notifiedReceivers"], ["alertnoise"])

    def test_a_broken_source_keeps_its_last_good_copy(self):
        before = self.d.metric("alertnoise_source_load_failures_total",
                               source="alertmanager") or 0
        with open(self.am, "w") as f:
            f.write("route:\n  receiver: nobody\n")
        try:
            self.reload()
            am = self.source("alertmanager")
            self.assertFalse(am["healthy"])
            self.assertIn("nobody", am["lastError"])
            self.assertEqual(am["holds"]["routes"], 4)
            self.assertEqual(self.d.metric(
                "alertnoise_source_last_load_successful",
                source="alertmanager"), 0)
            self.assertEqual(self.d.metric(
                "alertnoise_source_load_failures_total",
                source="alertmanager"), before + 1)
            by = {r["receiver"]: r for r in self.summary()["byReceiver"]}
            self.assertEqual(by["pager"]["pages"], 3)
        finally:
            with open(self.am, "w") as f:
                f.write(self.AM)
            self.reload()
        self.assertTrue(self.source("alertmanager")["healthy"])


class PagesCounterTest(unittest.TestCase):
    """alertnoise_pages_total counts the replayed pages of a receiver only
    the tree names, each once, from the refresh that first sees them; the
    history before the start is not counted (as for seen pages)."""

    def test_replayed_pages_counted_once(self):
        tmp = tempfile.mkdtemp(prefix="alertnoise-pagecount-")
        am = os.path.join(tmp, "alertmanager.yml")
        with open(am, "w") as f:
            f.write(AM_YML.replace("  group_by: [alertname]\n",
                                   "  group_by: [alertname]\n"
                                   "  group_wait: 1s\n"))
        d = Daemon(config="""\
alertmanager:
  config_file: %s
metrics:
  refresh_interval: 200ms
analysis:
  cache_ttl: 0s
""" % am)
        d.start()
        try:
            def refreshes():
                return d.metric("alertnoise_kpi_refreshes_total",
                                result="success") or 0

            def pages():
                return d.metric("alertnoise_pages_total",
                                receiver="pager") or 0
            # history from before the start: one page, not counted
            for n in (make_notification([make_alert(DB, at(0))],
                                        receiver="alertnoise"),
                      make_notification([make_alert(DB, at(0),
                                                    ends_ms=at(10))],
                                        receiver="alertnoise")):
                self.assertEqual(d.webhook(n).status, 200)
            wait_for(lambda: refreshes() >= 2, what="two refreshes")
            # the pager integration's counter exists from the start, at 0
            self.assertEqual(d.metric("alertnoise_pages_total",
                                      receiver="pager"), 0)
            # a new episode, firing now: its page (group_wait later)
            # counts once
            n = make_notification([make_alert(DB, now_ms())],
                                  receiver="alertnoise")
            self.assertEqual(d.webhook(n).status, 200)
            wait_for(lambda: pages() == 1, what="the new page counted")
            seen = refreshes()
            wait_for(lambda: refreshes() >= seen + 2, what="more refreshes")
            self.assertEqual(pages(), 1)
        finally:
            d.stop()
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


MUTED_AM_YML = AM_YML.replace(
    "      matchers: ['severity=\"critical\"']\n",
    "      matchers: ['severity=\"critical\"']\n"
    "      mute_time_intervals: [always]\n") + """\
time_intervals:
  - name: always
    time_intervals:
      - times: [{start_time: "00:00", end_time: "24:00"}]
        location: Europe/Berlin
"""


class MutedTest(SourcesTest):
    """The same history, the pager route muted all day every day by a
    time interval in Europe/Berlin: Alertmanager sends the pager nothing."""
    AM = MUTED_AM_YML
    PAGER_NOTIFICATIONS = 0

    def test_pages_of_a_receiver_only_the_tree_names(self):
        s = self.summary()
        by = {r["receiver"]: r for r in s["byReceiver"]}
        self.assertNotIn("pager", by)
        self.assertEqual(by["chat"]["episodes"], 2, by)
        self.assertEqual(s["pages"], 0)

    def test_status_shows_what_each_source_holds(self):
        self.assertEqual(self.source("alertmanager")["holds"]
                         ["timeIntervals"], 1)

    test_a_broken_source_keeps_its_last_good_copy = None


REASONS_AM_YML = AM_YML + """\
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [team]
"""


class FakeAlertmanager:
    """Alertmanager's two read endpoints alertnoised polls, serving a
    fixed config and silences: GET /api/v2/status and /api/v2/silences."""

    def __init__(self, config, silences):
        import http.server
        import json
        import threading
        body = {"/api/v2/status": json.dumps({
            "config": {"original": config}}).encode(),
            "/api/v2/silences": json.dumps(silences).encode()}

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                b = body.get(self.path.split("?")[0])
                self.send_response(200 if b else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b or b"{}")

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class ReasonsTest(unittest.TestCase):
    """Why fired episodes that no notification carried were not notified:
    a silence (polled from Alertmanager's API and stored), an inhibit rule
    with its source firing, resolved within group_wait, or unknown."""

    @classmethod
    def setUpClass(cls):
        import rwenc
        from rwenc import STALE, V1_HEADERS
        silence = {"id": "s1", "status": {"state": "expired"},
                   "createdBy": "ops", "comment": "maintenance",
                   "startsAt": harness.rfc3339(at(200)),
                   "endsAt": harness.rfc3339(at(230)),
                   "updatedAt": harness.rfc3339(at(200)),
                   "matchers": [{"name": "alertname", "value": "Quiet.*",
                                 "isRegex": True, "isEqual": True}]}
        cls.am = FakeAlertmanager(REASONS_AM_YML, [silence])
        # with a user and password, which must never be shown
        cls.d = Daemon(config="""\
alertmanager:
  url: %s
analysis:
  cache_ttl: 0s
""" % cls.am.url.replace("http://", "http://ops:s3cret@"))
        cls.d.start()
        # DBDown fires 0..10 (notified through the catch-all)
        for n in (make_notification([make_alert(DB, at(0))],
                                    receiver="alertnoise"),
                  make_notification([make_alert(DB, at(0),
                                                ends_ms=at(10))],
                                    receiver="alertnoise")):
            assert cls.d.webhook(n).status == 200

        def firing(ident, start_s, end_s):
            labels = dict(ident, __name__="ALERTS", alertstate="firing")
            t = list(range(start_s, end_s, 15))
            return labels, [(1, T + s * 1000) for s in t] + \
                [(STALE, T + end_s * 1000)]
        series = [
            # a warning of the same team while DBDown fires: inhibited
            firing({"alertname": "DBSlow", "team": "db",
                    "severity": "warning"}, 120, 400),
            # firing 15 s, less than group_wait (30s)
            firing({"alertname": "Blip", "team": "web",
                    "severity": "warning"}, 3000, 3015),
            # fired under the silence (minutes 200..230)
            firing({"alertname": "QuietHours", "team": "web",
                    "severity": "warning"}, 205 * 60, 206 * 60),
            # fired for 5 minutes and nothing came: unknown
            firing({"alertname": "Lost", "team": "web",
                    "severity": "warning"}, 6000, 6300),
        ]
        r = cls.d.post("/api/v1/write", rwenc.write_body(series),
                       content_type=None, headers=dict(V1_HEADERS))
        assert r.status == 204, r.text
        wait_for(lambda: [s for s in cls.d.get(
            "/api/v1/status/sources").json()["data"]
            if s["source"] == "silences" and s["lastSuccess"]],
            what="silences polled")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        cls.am.close()

    def reasons(self):
        r = self.d.get("/api/v1/episodes")
        self.assertEqual(r.status, 200, r.text)
        return {e["alertname"]: e["notNotifiedReason"]
                for e in r.json()["data"]}

    def test_each_reason(self):
        self.assertEqual(self.reasons(), {
            "DBDown": None, "DBSlow": "inhibited",
            "Blip": "resolved_in_group_wait", "QuietHours": "silenced",
            "Lost": "unknown"})

    def test_counted_in_the_summary(self):
        r = self.d.get("/api/v1/summary?window=1d")
        self.assertEqual(r.json()["data"]["notNotified"], {
            "silenced": 1, "inhibited": 1, "muted": 0,
            "resolvedInGroupWait": 1, "unknown": 1})

    def test_shown_in_the_ui_and_the_report(self):
        r = self.d.get("/alerts/DBSlow?window=1d")
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("no <span class=\"muted\" title=\"why it was not "
                      "notified\">(inhibited)</span>", r.text)
        r = self.d.get("/api/v1/report?window=1d")
        self.assertEqual(r.json()["data"]["notNotified"]["silenced"], 1)
        r = self.d.get("/api/v1/report?window=1d&format=markdown")
        self.assertIn("Fired but never notified: 1 silenced, 1 inhibited, "
                      "1 resolved within group_wait, 1 for no known "
                      "reason.\n", r.text)

    def test_report_cli_reads_the_sources(self):
        import json
        import subprocess
        p = subprocess.run(
            [harness.BINARY, "report", "--config.file=" + self.d.config_path,
             "--storage.path=" + self.d.storage, "--format=json",
             "--window=1d"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        cli = json.loads(p.stdout)
        api = self.d.get("/api/v1/report?window=1d").json()["data"]
        self.assertEqual(cli["notNotified"], api["notNotified"])
        self.assertEqual(cli["notNotified"]["inhibited"], 1)
        self.assertEqual(cli["kpis"], api["kpis"])

    def test_silences_are_stored(self):
        rows = self.d.query("SELECT id, matchers, created_by FROM silences")
        self.assertEqual(rows, [{"id": "s1", "created_by": "ops",
                                 "matchers": '{alertname=~"Quiet.*"}'}])
        s = [x for x in self.d.get("/api/v1/status/sources").json()["data"]
             if x["source"] == "silences"][0]
        self.assertEqual(s["holds"], {"silences": 1})
        self.assertEqual(s["origin"], self.am.url + "/api/v2/silences")

    def test_credentials_never_shown(self):
        r = self.d.get("/api/v1/status/sources")
        self.assertNotIn("s3cret", r.text)
        am = [x for x in r.json()["data"] if x["source"] == "alertmanager"]
        self.assertEqual(am[0]["origin"], self.am.url)
        self.assertNotIn("s3cret", self.d.log())


NODE = {"alertname": "NodeDown", "cluster": "c1", "team": "db",
        "severity": "critical"}
UNREACHABLE = {"alertname": "DBUnreachable", "cluster": "c1", "team": "db",
               "severity": "warning"}
FULL = {"alertname": "DiskFull", "cluster": "c1", "team": "db",
        "severity": "critical", "instance": "x"}

# the user already inhibits NodeDown while DBUnreachable fires: adding the
# recommended rule would make a mirror pair (both muted when both fire)
MIRROR_AM_YML = AM_YML + """\
inhibit_rules:
  - source_matchers: ['alertname="DBUnreachable"']
    target_matchers: ['alertname="NodeDown"']
    equal: [cluster, team]
"""


class PatchesTest(unittest.TestCase):
    """Route and inhibit recommendations as edits of the user's own
    alertmanager.yml: they apply with patch, pass amtool, and move no
    other alert (amtool config routes test before and after); one that
    would make a mirror pair of inhibit rules is not proposed."""
    AM = AM_YML

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="alertnoise-ampatch-")
        cls.am = os.path.join(cls.tmp, "alertmanager.yml")
        with open(cls.am, "w") as f:
            f.write(cls.AM)
        cls.d = Daemon(config="""\
alertmanager:
  config_file: %s
analysis:
  cache_ttl: 0s
""" % cls.am)
        cls.d.start()
        # NodeDown, then DBUnreachable 30 s later, five times an hour apart
        for k in range(5):
            for ident, off in ((NODE, 0), (UNREACHABLE, 0.5)):
                st = at(k * 60 + off)
                for n in (make_notification([make_alert(ident, st)],
                                            receiver="alertnoise"),
                          make_notification([make_alert(
                              ident, st, ends_ms=at(k * 60 + 5))],
                              receiver="alertnoise")):
                    assert cls.d.webhook(n).status == 200
        # DiskFull firing for 30 hours, notified every hour
        st = T - 30 * 3600 * 1000
        for h in range(36):
            n = make_notification([make_alert(FULL, st, annotations={
                "n": str(h)})], receiver="alertnoise")
            assert cls.d.webhook(n).status == 200
        wait_for(lambda: [s for s in cls.d.get(
            "/api/v1/status/sources").json()["data"]
            if s["source"] == "alertmanager" and s["lastSuccess"]],
            what="alertmanager.yml loaded")
        r = cls.d.get("/api/v1/recommendations?window=3d")
        assert r.status == 200, r.text
        cls.recs = {x["kind"]: x for x in r.json()["data"]}

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def apply(self, rec):
        """The file with rec's patch applied by GNU patch."""
        import subprocess
        self.assertEqual(len(rec["patches"]), 1, rec)
        self.assertEqual(rec["patches"][0]["file"], self.am)
        work = tempfile.mkdtemp(prefix="alertnoise-apply-", dir=self.tmp)
        target = os.path.join(work, "alertmanager.yml")
        shutil.copy(self.am, target)
        p = subprocess.run(["patch", target],
                           input=rec["patches"][0]["diff"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = subprocess.run(["amtool", "check-config", target],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return target

    def routes(self, path, labels):
        import subprocess
        p = subprocess.run(["amtool", "config", "routes", "test",
                            "--config.file=" + path] +
                           ["%s=%s" % kv for kv in sorted(labels.items())],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout.strip()

    @unittest.skipIf(shutil.which("patch") is None or
                     shutil.which("amtool") is None, "patch/amtool missing")
    def test_route_patch_moves_no_alert(self):
        rec = self.recs["repeat_interval"]
        self.assertEqual(rec["alertname"], "DiskFull")
        self.assertEqual(rec["evidence"]["safety"]["identitiesMoved"], 0)
        self.assertEqual(rec["evidence"]["safety"]["routesAdded"], 2)
        new = self.apply(rec)
        for labels in (NODE, UNREACHABLE, FULL,
                       {"alertname": "Other", "severity": "critical"}):
            self.assertEqual(self.routes(new, labels),
                             self.routes(self.am, labels), labels)
        with open(new) as f:
            text = f.read()
        # under the catch-all and under the pager route, first
        self.assertEqual(text.count("        - matchers: ['alertname="
                                    "\"DiskFull\"']\n"
                                    "          repeat_interval: 1d\n"), 2)

    def test_patches_shown_in_the_ui_and_the_report(self):
        r = self.d.get("/recommendations?window=3d")
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("<p><strong>Patch</strong> of <code>%s</code>:</p>"
                      % self.am, r.text)
        self.assertIn("+          repeat_interval: 1d", r.text)
        r = self.d.get("/api/v1/report?window=3d&format=markdown")
        self.assertIn("```diff\n--- a%s\n" % self.am, r.text)

    @unittest.skipIf(shutil.which("patch") is None or
                     shutil.which("amtool") is None, "patch/amtool missing")
    def test_inhibit_patch(self):
        rec = self.recs["inhibit_rule"]
        self.assertIn("identitiesChecked", rec["evidence"]["safety"])
        with open(self.apply(rec)) as f:
            text = f.read()
        self.assertTrue(text.endswith(
            "inhibit_rules:\n"
            "  - source_matchers: ['alertname=\"NodeDown\"']\n"
            "    target_matchers: ['alertname=\"DBUnreachable\"']\n"
            "    equal: [cluster, team]\n"), text)


class MirrorTest(PatchesTest):
    AM = MIRROR_AM_YML

    def test_inhibit_patch(self):
        self.assertNotIn("inhibit_rule", self.recs)
        self.assertIn('msg="Recommendation not proposed" '
                      'id=inhibit_rule:', self.d.log())
        self.assertIn("mute each other", self.d.log())


class DefaultsTest(unittest.TestCase):
    """No Alertmanager source and no webhook: remote-written history alone
    still gets recommendations, replayed under Alertmanager's defaults."""

    def test_recommendations_from_alerts_alone(self):
        import rwenc
        from rwenc import STALE, V1_HEADERS
        # no cached analysis of the empty store
        d = Daemon(config="analysis:\n  cache_ttl: 0s\n")
        d.start()
        try:
            flap = {"alertname": "Flappy", "instance": "x",
                    "severity": "page"}
            base = dict(flap, __name__="ALERTS", alertstate="firing")
            samples = []
            # 12 short firings 10 minutes apart, 15 s evaluations
            for k in range(12):
                t0 = at(k * 10)
                samples += [(1, t0), (1, t0 + 15000), (1, t0 + 30000),
                            (STALE, t0 + 45000)]
            r = d.post("/api/v1/write", rwenc.write_body([(base, samples)]),
                       content_type=None, headers=dict(V1_HEADERS))
            self.assertEqual(r.status, 204, r.text)
            r = d.get("/api/v1/recommendations?window=1d")
            self.assertEqual(r.status, 200, r.text)
            recs = r.json()["data"]
            self.assertTrue(recs, "no recommendation from ALERTS alone")
            kinds = {x["kind"] for x in recs}
            self.assertTrue(kinds & {"raise_for", "keep_firing_for"}, kinds)
            for x in recs:
                self.assertGreater(x["predicted"]["notificationsBefore"],
                                   x["predicted"]["notificationsAfter"], x)
        finally:
            d.stop()
            d.cleanup()


FLAPPY_RULES = """\
# rules of the web team
groups:
  - name: web
    interval: 15s
    rules:
      - alert: Flappy   # the one to tune
        expr: |
          rate(errors_total[1m])
            > 0.5
        for: 30s
        labels:
          severity: page
        annotations:
          summary: "errors"
      - record: job:errors:rate1m
        expr: rate(errors_total[1m])
      - alert: Steady
        expr: up == 0
        for: 5m
"""


class RulePatchTest(unittest.TestCase):
    """A raise_for recommendation for a rule of the user's rule files
    comes with a unified diff of that file: it applies with patch, the
    result passes promtool, and only the rule's `for` changed. The current
    `for` is the rule's, not a guess from the pending phases."""

    @classmethod
    def setUpClass(cls):
        import rwenc
        from rwenc import STALE, V1_HEADERS
        cls.tmp = tempfile.mkdtemp(prefix="alertnoise-patch-")
        cls.rules = os.path.join(cls.tmp, "web.rules.yml")
        with open(cls.rules, "w") as f:
            f.write(FLAPPY_RULES)
        cls.d = Daemon(config="""\
prometheus:
  rule_files: ["%s"]
analysis:
  cache_ttl: 0s
""" % cls.rules)
        cls.d.start()
        base = {"__name__": "ALERTS", "alertstate": "firing",
                "alertname": "Flappy", "severity": "page"}
        samples = []
        for k in range(12):
            t0 = at(k * 10)
            samples += [(1, t0), (1, t0 + 15000), (1, t0 + 30000),
                        (STALE, t0 + 45000)]
        r = cls.d.post("/api/v1/write", rwenc.write_body([(base, samples)]),
                       content_type=None, headers=dict(V1_HEADERS))
        assert r.status == 204, r.text
        wait_for(lambda: [s for s in cls.d.get(
            "/api/v1/status/sources").json()["data"]
            if s["source"] == "prometheus" and s["lastSuccess"]],
            what="rules loaded")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def rec(self, kind):
        r = self.d.get("/api/v1/recommendations?window=1d")
        self.assertEqual(r.status, 200, r.text)
        found = [x for x in r.json()["data"] if x["kind"] == kind]
        self.assertEqual(len(found), 1, r.text)
        return found[0]

    def test_current_for_is_the_rules(self):
        self.assertEqual(self.rec("raise_for")["evidence"]
                         ["currentForSeconds"], 30)

    @unittest.skipIf(shutil.which("patch") is None or
                     shutil.which("promtool") is None,
                     "patch or promtool missing")
    def test_patch_applies_and_passes_promtool(self):
        import subprocess
        rec = self.rec("raise_for")
        new_for = rec["evidence"]["forSeconds"]
        self.assertEqual(len(rec["patches"]), 1, rec)
        p = rec["patches"][0]
        self.assertEqual(p["file"], self.rules)
        work = tempfile.mkdtemp(prefix="alertnoise-apply-")
        try:
            target = os.path.join(work, "web.rules.yml")
            shutil.copy(self.rules, target)
            r = subprocess.run(["patch", target], input=p["diff"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = subprocess.run(["promtool", "check", "rules", target],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(target) as f:
                new = f.read()
            want = FLAPPY_RULES.replace(
                "        for: 30s\n", "        for: %s\n" % (
                    "%dm" % (new_for // 60) if new_for % 60 == 0 else
                    "%ds" % new_for), 1)
            self.assertEqual(new, want)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

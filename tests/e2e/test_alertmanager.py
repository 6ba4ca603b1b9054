"""test_alertmanager.py -- Debian's Alertmanager 0.25 sends its webhooks to
the real alertnoised, on loopback.

Alertmanager's receiver has two webhook_configs: alertnoised, and a small
capture server in this test, so what the daemon stored can be compared with
exactly what Alertmanager sent. Alerts are posted to Alertmanager's API v2:
two alerts of one alertname and one of another fire, one of the first group
resolves, then fires again with a new startsAt."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
from harness import (Daemon, fingerprint, free_port, http, now_ms,
                     parse_rfc3339_ms, rfc3339, wait_for)

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"
RECEIVER = "alertnoise-e2e"

AM_CONFIG = """\
route:
  receiver: %(receiver)s
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 4h
receivers:
  - name: %(receiver)s
    webhook_configs:
      - url: %(daemon)s/api/v1/webhook
        send_resolved: true
      - url: %(capture)s/capture
        send_resolved: true
"""


class Capture:
    """An HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self):
        bodies = self.bodies = []
        lock = self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with lock:
                    bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def payloads(self):
        with self.lock:
            return list(self.bodies)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(os.path.exists(ALERTMANAGER),
                     ALERTMANAGER + " is missing (Debian package "
                     "prometheus-alertmanager); CI installs it")
class AlertmanagerTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="an-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.d = Daemon("identity:\n  join_tolerance: 1s\n").start()
        self.addCleanup(self.d.cleanup)
        self.capture = Capture()
        self.addCleanup(self.capture.close)
        self.am_port = free_port()
        self.am_url = "http://127.0.0.1:%d" % self.am_port
        self.am_config = os.path.join(self.dir, "alertmanager.yml")
        with open(self.am_config, "w") as f:
            f.write(AM_CONFIG % {"receiver": RECEIVER, "daemon": self.d.url,
                                 "capture": self.capture.url})
        self.am_log_path = os.path.join(self.dir, "alertmanager.log")
        self.am = None

    def tearDown(self):
        if self.am is not None and self.am.poll() is None:
            self.am.kill()
            self.am.wait(10)
        if self.am_log is not None:
            self.am_log.close()

    am_log = None

    def am_log_text(self):
        with open(self.am_log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def start_alertmanager(self):
        p = subprocess.run([AMTOOL, "check-config", self.am_config],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.am_log = open(self.am_log_path, "wb")
        self.am = subprocess.Popen(
            [ALERTMANAGER, "--config.file=" + self.am_config,
             "--storage.path=" + os.path.join(self.dir, "am-data"),
             "--web.listen-address=127.0.0.1:%d" % self.am_port,
             "--cluster.listen-address="],
            stdout=self.am_log, stderr=subprocess.STDOUT)
        harness._procs.append(self.am)

        def ready():
            if self.am.poll() is not None:
                raise AssertionError("alertmanager exited:\n" +
                                     self.am_log_text())
            try:
                return http("GET", self.am_url + "/-/ready",
                            timeout=1).status == 200
            except OSError:
                return False
        wait_for(ready, timeout=15, what="alertmanager to be ready")

    def post_alerts(self, alerts):
        r = http("POST", self.am_url + "/api/v2/alerts",
                 json.dumps(alerts), {"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r.text)

    def wait(self, cond, what, timeout=12):
        try:
            return wait_for(cond, timeout=timeout, interval=0.1, what=what)
        except AssertionError as e:
            raise AssertionError("%s\nalertnoised log:\n%s\nalertmanager "
                                 "log:\n%s" % (e, self.d.log()[-3000:],
                                               self.am_log_text()))

    def stored_alerts(self, fp, status=None, starts=None):
        sql = "SELECT * FROM notification_alerts WHERE fingerprint = ?"
        args = [fp]
        if status:
            sql += " AND status = ?"
            args.append(status)
        if starts:
            sql += " AND starts_at = ?"
            args.append(starts)
        return self.d.query(sql, *args)

    def test_alertmanager_notifications_are_stored(self):
        self.start_alertmanager()
        t0 = time.monotonic()
        tag = "%d_%d" % (os.getpid(), now_ms() % 100000)
        disk, load = "E2EDisk_" + tag, "E2ELoad_" + tag
        a1 = {"alertname": disk, "instance": "db1", "severity": "page"}
        a2 = {"alertname": disk, "instance": "db2", "severity": "page"}
        b = {"alertname": load, "instance": "web1", "severity": "ticket"}
        fp1, fp2, fpb = fingerprint(a1), fingerprint(a2), fingerprint(b)
        # started now: an alert older than group_wait makes Alertmanager
        # flush its new group at once (dispatch.go, aggrGroup.insert),
        # racing the second alert of the same POST into the group. db1's
        # refire comes 2.5 s or more after s1, past the daemon's 1 s
        # join tolerance (set below): a new episode
        s1 = now_ms()
        gen = "http://prometheus.example:9090/graph?g0.expr=up"
        self.post_alerts([{"labels": l, "startsAt": rfc3339(s1),
                           "annotations": {"summary": "it broke"},
                           "generatorURL": gen} for l in (a1, a2, b)])

        # 1. both groups are notified
        self.wait(lambda: self.stored_alerts(fp1) and self.stored_alerts(fp2)
                  and self.stored_alerts(fpb),
                  "the first notifications of both groups")

        # 2. db1 resolves
        e1 = now_ms() - 500
        self.post_alerts([{"labels": a1, "startsAt": rfc3339(s1),
                           "endsAt": rfc3339(e1), "generatorURL": gen}])
        self.wait(lambda: self.stored_alerts(fp1, "resolved"),
                  "the notification of db1 resolved")

        # 3. db1 fires again
        s2 = now_ms()
        self.post_alerts([{"labels": a1, "startsAt": rfc3339(s2),
                           "generatorURL": gen}])
        self.wait(lambda: self.stored_alerts(fp1, "firing", s2),
                  "the notification of db1 firing again")
        # every notification Alertmanager sent reached both receivers
        self.wait(lambda: len(self.capture.payloads()) ==
                  self.d.count("notifications"),
                  "the capture server and alertnoised to agree", timeout=5)

        sent = self.capture.payloads()
        stored = self.d.query("SELECT * FROM notifications ORDER BY id")
        self.assertEqual(len(stored), len(sent))
        # group disk: firing, resolved(db1)+firing(db2), firing again;
        # group load: firing
        self.assertEqual(len(sent), 4, json.dumps(sent, indent=1))

        def key(receiver, group_key, status, alerts):
            return (receiver, group_key, status, tuple(alerts))

        want = sorted(key(p["receiver"], p["groupKey"], p["status"],
                          [(a["fingerprint"], a["status"],
                            parse_rfc3339_ms(a["startsAt"]),
                            parse_rfc3339_ms(a["endsAt"]))
                           for a in p["alerts"]]) for p in sent)
        got = []
        for n in stored:
            rows = self.d.query("SELECT * FROM notification_alerts WHERE"
                                " notification_id = ? ORDER BY idx", n["id"])
            got.append(key(n["receiver"], n["group_key"], n["status"],
                           [(r["fingerprint"], r["status"], r["starts_at"],
                             r["ends_at"]) for r in rows]))
        self.assertEqual(sorted(got), want)
        self.assertEqual({n["receiver"] for n in stored}, {RECEIVER})
        self.assertEqual({n["group_key"] for n in stored},
                         {'{}:{alertname="%s"}' % disk,
                          '{}:{alertname="%s"}' % load})
        self.assertEqual({n["external_url"] for n in stored},
                         {p["externalURL"] for p in sent})
        for n in stored:
            self.assertEqual(json.loads(n["group_labels"]),
                             {"alertname": disk if disk in n["group_key"]
                              else load})

        # the fingerprints are Alertmanager's own
        r = http("GET", self.am_url + "/api/v2/alerts")
        self.assertEqual(r.status, 200)
        am_alerts = [a for a in r.json()
                     if a["labels"].get("alertname") in (disk, load)]
        self.assertEqual(len(am_alerts), 3, am_alerts)
        stored_fps = {r["fingerprint"] for r in self.d.query(
            "SELECT DISTINCT fingerprint FROM notification_alerts")}
        for a in am_alerts:
            self.assertIn(a["fingerprint"], stored_fps)
            rows = self.d.query("SELECT labels FROM notification_alerts"
                                " WHERE fingerprint = ?", a["fingerprint"])
            for row in rows:
                self.assertEqual(json.loads(row["labels"]), a["labels"])
        self.assertEqual(stored_fps, {a["fingerprint"] for a in am_alerts})
        self.assertEqual({a["fingerprint"] for a in am_alerts},
                         {fp1, fp2, fpb})
        am_db1 = [a for a in am_alerts if a["fingerprint"] == fp1][0]
        self.assertEqual(parse_rfc3339_ms(am_db1["startsAt"]), s2)

        # episodes: db1 closed at the endsAt Alertmanager reported, then a
        # new one; db2 and web1 open since s1
        reported_end = [parse_rfc3339_ms(a["endsAt"]) for p in sent
                        for a in p["alerts"]
                        if a["fingerprint"] == fp1 and
                        a["status"] == "resolved"]
        self.assertEqual(reported_end, [e1])

        def episodes(labels):
            return [(e["firing_at"], e["resolved_at"]) for e in self.d.query(
                "SELECT * FROM episodes WHERE identity = ? ORDER BY"
                " firing_at", fingerprint(labels))]
        self.assertEqual(episodes(a1), [(s1, e1), (s2, None)])
        self.assertEqual(episodes(a2), [(s1, None)])
        self.assertEqual(episodes(b), [(s1, None)])
        self.assertEqual(self.d.count("episodes"), 4)

        # /metrics agrees with the store, and nothing was turned away
        m = self.d.metrics()

        def v(name, **labels):
            return m.get((name, frozenset(labels.items())), 0.0)
        self.assertEqual(v("alertnoise_webhook_notifications_total",
                           result="stored"), len(stored))
        self.assertEqual(v("alertnoise_webhook_alerts_total",
                           result="stored"),
                         self.d.count("notification_alerts"))
        for result in ("rejected", "error", "duplicate"):
            self.assertEqual(v("alertnoise_webhook_notifications_total",
                               result=result), 0, result)
        self.assertEqual(sum(val for (n, _), val in m.items()
                             if n == "alertnoise_webhook_rejected_total"), 0)
        self.assertEqual(v("alertnoise_episodes_opened_total"), 4)
        self.assertEqual(v("alertnoise_episodes_resolved_total"), 1)
        # Alertmanager saw no failed delivery either
        self.assertNotIn("Notify for alerts failed", self.am_log_text())
        self.assertLess(time.monotonic() - t0, 60)


if __name__ == "__main__":
    unittest.main()

"""test_simulate.py -- POST /api/v1/simulate against the real alertnoised.

One daemon for the whole file (receiver "pager" pages, its timings in
replay.routes: group_wait 30s, group_interval 5m, repeat_interval 1h),
seeded through Alertmanager webhooks with two alertnames notified to
"pager", each in a group of its own:
  DiskFull  firing from twelve hours ago to two hours ago;
  Watchdog  a dead man's switch: firing from twelve hours ago, still firing.
The replay pages both about once an hour. Every test only reads."""
import json
import os
import threading
import time
import unittest

from harness import (Daemon, SeededDaemonTest, make_alert, make_notification,
                     now_ms, wait_for)

CONFIG = """\
analysis:
  paging_receivers: [pager]
  cache_ttl: 0s
replay:
  routes:
    - receiver: pager
      group_by: [alertname]
      group_wait: 30s
      group_interval: 5m
      repeat_interval: 1h
"""

HOUR = 3600 * 1000
T = (now_ms() // 1000) * 1000 - 12 * HOUR       # twelve hours ago
DISK = {"alertname": "DiskFull", "instance": "db1", "severity": "page"}
WATCHDOG = {"alertname": "Watchdog", "severity": "none"}


class SimulateRouteTest(SeededDaemonTest):
    DAEMON_CONFIG = CONFIG

    @classmethod
    def seed(cls):
        hooks = [
            make_notification([make_alert(DISK, T)], receiver="pager"),
            make_notification([make_alert(WATCHDOG, T)], receiver="pager"),
            make_notification([make_alert(DISK, T, ends_ms=T + 10 * HOUR)],
                              receiver="pager"),
        ]
        for p in hooks:
            r = cls.d.webhook(p)
            assert r.status == 200, (r.status, r.text)

    def simulate(self, proposal):
        r = self.d.post("/api/v1/simulate", json.dumps(proposal))
        self.assertEqual(r.status, 200, r.text)
        body = r.json()
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    @staticmethod
    def count(data, alertname):
        hits = [c for c in data["counts"] if c["alertname"] == alertname and
                c["receiver"] == "pager"]
        assert len(hits) == 1, data["counts"]
        return hits[0]

    def test_route_with_matchers_changes_only_the_alerts_it_matches(self):
        data = self.simulate({"routes": [{
            "receiver": "pager", "matchers": ['alertname="DiskFull"'],
            "repeat_interval": "24h"}]})
        disk = self.count(data, "DiskFull")
        dog = self.count(data, "Watchdog")
        # as replayed under the current settings: a page an hour or so
        self.assertGreaterEqual(disk["pagesBefore"], 8, disk)
        self.assertGreaterEqual(dog["pagesBefore"], 10, dog)
        # DiskFull's ten hours under 24h: its first page only
        self.assertEqual(disk["pagesAfter"], 1, disk)
        # the dead man's switch keeps the receiver's route
        self.assertEqual(dog["pagesAfter"], dog["pagesBefore"], dog)
        self.assertEqual(dog["notificationsAfter"],
                         dog["notificationsBefore"], dog)
        self.assertEqual(data["pagesBefore"],
                         disk["pagesBefore"] + dog["pagesBefore"], data)
        self.assertEqual(data["pagesAfter"], data["pagesBefore"] -
                         (disk["pagesBefore"] - disk["pagesAfter"]), data)

    def test_route_for_an_alert_of_another_name_changes_nothing(self):
        data = self.simulate({"routes": [{
            "receiver": "pager", "matchers": ['alertname="NoSuchAlert"'],
            "repeat_interval": "24h"}]})
        self.assertEqual(data["pagesAfter"], data["pagesBefore"], data)
        self.assertEqual(data["notificationsAfter"],
                         data["notificationsBefore"], data)



# Bounds on a simulate (issue 14, finding 4: group_interval 1s over a long
# firing ran for minutes at 100% CPU and held SIGTERM up). A proposal with
# group_interval and repeat_interval 1s costs a replay step every two
# seconds of a firing group: 80 days are 3.5M steps a group.
DAY = 86400 * 1000
LONG_AGO = (now_ms() // 1000) * 1000 - 80 * DAY
FAST = {"group_interval": "1s", "repeat_interval": "1s"}


def seed_groups(d, receiver, groups, alerts_per_group):
    """groups groups of alerts_per_group alerts each, firing for 80 days,
    notified to receiver."""
    for g in range(groups):
        alerts = [make_alert({"alertname": "%s%d" % (receiver, g),
                              "instance": "i%d" % i}, LONG_AGO)
                  for i in range(alerts_per_group)]
        r = d.webhook(make_notification(alerts, receiver=receiver))
        assert r.status == 200, (r.status, r.text)


def simulate_fast(d, receiver, timeout=120):
    route = dict(FAST, receiver=receiver)
    return d.post("/api/v1/simulate", json.dumps(
        {"window": "81d", "routes": [route]}), timeout=timeout)


class SimulateBoundsTest(SeededDaemonTest):
    """Inputs and steps: default config (web.request_timeout 60s). Receiver
    "many": 7 groups of one alert (24M steps under FAST, over the 20M
    cap); receiver "short": one alert that fired for an hour."""
    DAEMON_CONFIG = "analysis:\n  cache_ttl: 0s\n"

    @classmethod
    def seed(cls):
        seed_groups(cls.d, "many", 7, 1)
        t = (now_ms() // 1000) * 1000 - 2 * 3600 * 1000
        r = cls.d.webhook(make_notification([make_alert(
            {"alertname": "Short"}, t, ends_ms=t + 3600 * 1000)],
            receiver="short"))
        assert r.status == 200, (r.status, r.text)

    def test_intervals_under_1s_are_refused(self):
        for field in ("group_interval", "repeat_interval"):
            r = self.d.post("/api/v1/simulate", json.dumps(
                {"routes": [{"receiver": "many", field: "500ms"}]}))
            self.assertEqual(r.status, 400, r.text)
            self.assertEqual(r.json()["errorType"], "bad_data")
            self.assertEqual(r.json()["error"],
                             "routes[0].%s: must be at least 1s" % field)
        # 1s itself is allowed
        r = self.d.post("/api/v1/simulate", json.dumps(
            {"routes": [dict(FAST, receiver="short")]}))
        self.assertEqual(r.status, 200, r.text)
        short = [c for c in r.json()["data"]["counts"]
                 if c["receiver"] == "short"]
        self.assertGreater(short[0]["notificationsAfter"], 1000, short)

    def test_too_many_steps_is_a_clear_400(self):
        t0 = time.monotonic()
        r = simulate_fast(self.d, "many")
        self.assertEqual(r.status, 400, r.text)
        body = r.json()
        self.assertEqual(body["errorType"], "bad_data")
        self.assertTrue(body["error"].startswith(
            "the replay would take more than 20000000 steps: narrow the "
            "window or raise group_interval"), body)
        self.assertLess(time.monotonic() - t0, 30)
        # counted as what it is
        self.assertGreaterEqual(self.d.metric(
            "alertnoise_http_requests_total", handler="/api/v1/simulate",
            code="400"), 1)


class SimulateDeadlineTest(SeededDaemonTest):
    """web.request_timeout 1s; receiver "big": one group of 200 alerts,
    whose 3.5M steps take a minute or more."""
    DAEMON_CONFIG = ("web:\n  request_timeout: 1s\n"
                     "analysis:\n  cache_ttl: 0s\n")

    @classmethod
    def seed(cls):
        seed_groups(cls.d, "big", 1, 200)

    def test_deadline_answers_503_timeout(self):
        t0 = time.monotonic()
        r = simulate_fast(self.d, "big")
        took = time.monotonic() - t0
        self.assertEqual(r.status, 503, r.text)
        body = r.json()
        self.assertEqual(body["errorType"], "timeout")
        self.assertIn("web.request_timeout", body["error"])
        self.assertLess(took, 15)
        # the daemon is free again: a cheap simulate answers
        r = self.d.post("/api/v1/simulate", json.dumps({"window": "1h"}))
        self.assertEqual(r.status, 200, r.text)


def cpu_seconds(pid):
    """User and system CPU time of process pid (proc(5))."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SimulateShutdownTest(unittest.TestCase):
    """SIGTERM while a simulate replays (one group of 1,000 alerts: 3.5M
    steps of 1,000 alerts each, a minute or more; default
    web.request_timeout 60s): the daemon exits within 10 s."""

    def setUp(self):
        self.d = Daemon("analysis:\n  cache_ttl: 0s\n").start()
        self.addCleanup(self.d.cleanup)
        seed_groups(self.d, "big", 1, 1000)

    def test_sigterm_stops_a_long_simulate(self):
        answer = {}

        def run():
            try:
                answer["r"] = simulate_fast(self.d, "big")
            except OSError as e:    # the connection closed on shutdown
                answer["err"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        # the replay is running: the daemon has burnt a second of CPU on
        # it (reading the store is a few milliseconds of it)
        cpu0 = cpu_seconds(self.d.proc.pid)
        wait_for(lambda: cpu_seconds(self.d.proc.pid) > cpu0 + 1.0,
                 timeout=30, what="the replay to run")
        t0 = time.monotonic()
        self.assertEqual(self.d.stop(timeout=20), 0, self.d.log())
        self.assertLess(time.monotonic() - t0, 10)
        t.join(20)
        self.assertFalse(t.is_alive())
        if "r" in answer:
            self.assertEqual(answer["r"].status, 503, answer["r"].text)


if __name__ == "__main__":
    unittest.main()

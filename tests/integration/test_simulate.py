"""test_simulate.py -- POST /api/v1/simulate against the real alertnoised.

One daemon for the whole file (receiver "pager" pages, its timings in
replay.routes: group_wait 30s, group_interval 5m, repeat_interval 1h),
seeded through Alertmanager webhooks with two alertnames notified to
"pager", each in a group of its own:
  DiskFull  firing from twelve hours ago to two hours ago;
  Watchdog  a dead man's switch: firing from twelve hours ago, still firing.
The replay pages both about once an hour. Every test only reads."""
import json
import unittest

from harness import SeededDaemonTest, make_alert, make_notification, now_ms

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


if __name__ == "__main__":
    unittest.main()

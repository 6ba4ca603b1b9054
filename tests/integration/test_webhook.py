"""test_webhook.py -- POST /api/v1/webhook against the real alertnoised.

What an Alertmanager (or an operator with curl) sees: the status code and the
JSON answer, the rows in the store, and the numbers in /metrics. One daemon
per TestCase class; every test uses alert names of its own, so tests of a
class do not see each other's episodes or duplicates."""
import itertools
import json
import os
import socket
import sqlite3
import time
import unittest

import harness
from harness import (Daemon, fingerprint, load_data, make_alert,
                     make_notification, now_ms, parse_rfc3339_ms)

_seq = itertools.count(1)


def uniq(prefix):
    """An alert name no other test uses."""
    return "%s_%d_%d" % (prefix, os.getpid(), next(_seq))


NOTIF = "alertnoise_webhook_notifications_total"
ALERTS = "alertnoise_webhook_alerts_total"
REJECTED = "alertnoise_webhook_rejected_total"


def sample(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def family(metrics, name):
    """{frozenset(labels): value} of one metric name."""
    return {labels: v for (n, labels), v in metrics.items() if n == name}


class DaemonTestCase(unittest.TestCase):
    CONFIG = ""
    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.CONFIG, extra_args=cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def post(self, payload, **kw):
        return self.d.webhook(payload, **kw)

    def assertStored(self, r, result="stored"):
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "application/json"), r.headers["Content-Type"])
        body = r.json()
        self.assertEqual(body["status"], "success", body)
        self.assertEqual(body["data"]["result"], result, body)
        return body["data"]

    def episodes(self, alertname):
        return self.d.query("SELECT * FROM episodes WHERE alertname = ?"
                            " ORDER BY firing_at, id", alertname)


class GoodPayloadTest(DaemonTestCase):
    """Well-formed payloads are stored as sent."""

    def test_captured_firing_then_resolved(self):
        firing = load_data("webhook_firing.json")
        resolved = load_data("webhook_resolved_one.json")
        sent = json.loads(firing)
        m0 = self.d.metrics()
        c0 = self.d.counts()

        t0 = now_ms()
        data = self.assertStored(self.post(firing))
        t1 = now_ms()
        self.assertEqual(data["episodesOpened"], 2)
        self.assertEqual(data["episodesResolved"], 0)

        n = self.d.query("SELECT * FROM notifications WHERE id = ?",
                         data["notificationId"])
        self.assertEqual(len(n), 1)
        n = n[0]
        self.assertEqual(n["receiver"], "wh")
        self.assertEqual(n["status"], "firing")
        self.assertEqual(n["group_key"], '{}:{alertname="DiskFull"}')
        self.assertEqual(json.loads(n["group_labels"]),
                         {"alertname": "DiskFull"})
        self.assertEqual(json.loads(n["common_labels"]), sent["commonLabels"])
        self.assertEqual(json.loads(n["common_annotations"]), {})
        self.assertEqual(n["external_url"], "http://vm:19093")
        self.assertEqual(n["truncated_alerts"], 0)
        self.assertEqual(n["num_alerts"], 2)
        self.assertTrue(t0 <= n["received_at"] <= t1,
                        (t0, n["received_at"], t1))

        rows = self.d.query("SELECT * FROM notification_alerts WHERE"
                            " notification_id = ? ORDER BY idx", n["id"])
        self.assertEqual([r["idx"] for r in rows], [0, 1])
        starts = parse_rfc3339_ms("2026-11-26T21:42:44Z")
        for r, a in zip(rows, sent["alerts"]):
            self.assertEqual(r["fingerprint"], a["fingerprint"])
            self.assertEqual(json.loads(r["labels"]), a["labels"])
            self.assertEqual(json.loads(r["annotations"]), a["annotations"])
            self.assertEqual(r["status"], "firing")
            self.assertEqual(r["alertname"], "DiskFull")
            self.assertEqual(r["starts_at"], starts)
            self.assertIsNone(r["ends_at"])
            self.assertEqual(r["generator_url"], a["generatorURL"])
            ident = {k: v for k, v in a["labels"].items() if k != "replica"}
            self.assertEqual(r["identity"], fingerprint(ident))
            self.assertIsNotNone(r["episode_id"])

        ids = self.d.query("SELECT * FROM identities WHERE identity IN (?, ?)"
                           " ORDER BY identity", rows[0]["identity"],
                           rows[1]["identity"])
        self.assertEqual(len(ids), 2)
        for i in ids:
            labels = json.loads(i["labels"])
            self.assertNotIn("replica", labels)
            self.assertEqual(i["identity"], fingerprint(labels))
            self.assertEqual(i["alertname"], "DiskFull")
            self.assertEqual(i["first_seen"], starts)

        eps = self.d.query("SELECT * FROM episodes WHERE id IN (?, ?)",
                           rows[0]["episode_id"], rows[1]["episode_id"])
        self.assertEqual(len(eps), 2)
        for e in eps:
            self.assertIsNone(e["resolved_at"])
            self.assertEqual(e["firing_at"], starts)
            self.assertEqual(e["notifications"], 1)
            self.assertEqual(e["first_notified_at"], n["received_at"])
            self.assertIn("webhook", e["sources"])

        c1 = self.d.counts()
        self.assertEqual(c1["notifications"], c0["notifications"] + 1)
        self.assertEqual(c1["notification_alerts"],
                         c0["notification_alerts"] + 2)
        self.assertEqual(c1["episodes"], c0["episodes"] + 2)
        self.assertEqual(c1["identities"], c0["identities"] + 2)
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, NOTIF, result="stored"),
                         sample(m0, NOTIF, result="stored") + 1)
        self.assertEqual(sample(m1, ALERTS, result="stored"),
                         sample(m0, ALERTS, result="stored") + 2)
        self.assertEqual(sample(m1, "alertnoise_episodes_opened_total"),
                         sample(m0, "alertnoise_episodes_opened_total") + 2)

        # db1 resolves, db2 goes on firing
        data = self.assertStored(self.post(resolved))
        self.assertEqual(data["episodesOpened"], 0)
        self.assertEqual(data["episodesResolved"], 1)
        by_instance = {}
        for r in self.d.query(
                "SELECT a.labels, e.* FROM notification_alerts a JOIN"
                " episodes e ON e.id = a.episode_id WHERE"
                " a.notification_id = ?", data["notificationId"]):
            by_instance[json.loads(r["labels"])["instance"]] = r
        self.assertEqual(by_instance["db1"]["resolved_at"],
                         parse_rfc3339_ms("2026-11-26T21:42:49Z"))
        self.assertIsNone(by_instance["db2"]["resolved_at"])
        self.assertEqual(by_instance["db2"]["notifications"], 2)
        self.assertEqual(self.d.count("episodes"), c1["episodes"])
        m2 = self.d.metrics()
        self.assertEqual(sample(m2, NOTIF, result="stored"),
                         sample(m1, NOTIF, result="stored") + 1)
        self.assertEqual(sample(m2, ALERTS, result="stored"),
                         sample(m1, ALERTS, result="stored") + 2)
        self.assertEqual(sample(m2, "alertnoise_episodes_resolved_total"),
                         sample(m1, "alertnoise_episodes_resolved_total") + 1)

    def test_built_payload_fields(self):
        name = uniq("Built")
        base = now_ms() - 60000
        alerts = [
            make_alert({"alertname": name, "instance": "a:9100",
                        "severity": "warning", "team": "caf\u00e9 \u2615"},
                       base, annotations={"summary": "line1\nline2 \"q\""},
                       generator_url="http://prom.example/graph?g0.expr=up%3D%3D0"),
            make_alert({"alertname": name, "instance": "b:9100",
                        "severity": "warning"}, base - 5000,
                       ends_ms=base + 1500, generator_url=""),
            make_alert({"alertname": name, "instance": "c:9100",
                        "severity": "warning"}, base),
        ]
        # nanosecond precision as Alertmanager writes it, and an offset
        alerts[0]["startsAt"] = harness.rfc3339(base)[:-1].split(".")[0] + \
            ".%03d456789Z" % (base % 1000)
        off = time.strftime("%Y-%m-%dT%H:%M:%S",
                            time.gmtime(base // 1000 + 7200)) + \
            ".%03d+02:00" % (base % 1000)
        alerts[2]["startsAt"] = off
        del alerts[2]["fingerprint"]    # optional: computed by the daemon
        p = make_notification(alerts, receiver="ops-\u00e9quipe",
                              external_url="https://am.example:9093/am",
                              truncated=7)
        p["futureField"] = {"ignored": True}    # unknown fields are ignored
        data = self.assertStored(self.post(p))
        n = self.d.query("SELECT * FROM notifications WHERE id = ?",
                         data["notificationId"])[0]
        self.assertEqual(n["receiver"], "ops-\u00e9quipe")
        self.assertEqual(n["group_key"], '{}:{alertname="%s"}' % name)
        self.assertEqual(json.loads(n["group_labels"]), {"alertname": name})
        self.assertEqual(json.loads(n["common_labels"]),
                         {"alertname": name, "severity": "warning"})
        self.assertEqual(n["external_url"], "https://am.example:9093/am")
        self.assertEqual(n["truncated_alerts"], 7)
        self.assertEqual(n["num_alerts"], 3)
        rows = self.d.query("SELECT * FROM notification_alerts WHERE"
                            " notification_id = ? ORDER BY idx", n["id"])
        self.assertEqual(len(rows), 3)
        self.assertEqual([r["starts_at"] for r in rows],
                         [base, base - 5000, base])
        self.assertEqual([r["ends_at"] for r in rows],
                         [None, base + 1500, None])
        self.assertEqual([r["status"] for r in rows],
                         ["firing", "resolved", "firing"])
        self.assertEqual([r["fingerprint"] for r in rows],
                         [fingerprint(a["labels"]) for a in alerts])
        self.assertEqual(json.loads(rows[0]["labels"]), alerts[0]["labels"])
        self.assertEqual(json.loads(rows[0]["annotations"]),
                         {"summary": "line1\nline2 \"q\""})
        self.assertEqual(rows[0]["generator_url"],
                         "http://prom.example/graph?g0.expr=up%3D%3D0")
        self.assertEqual(rows[1]["generator_url"], "")
        self.assertEqual(data["episodesOpened"], 3)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 3)
        self.assertEqual(sorted((e["firing_at"], e["resolved_at"])
                                for e in eps),
                         [(base - 5000, base + 1500), (base, None),
                          (base, None)])

    def test_alerts_counter_counts_every_alert(self):
        name = uniq("Many")
        base = now_ms() - 1000
        alerts = [make_alert({"alertname": name, "i": str(i)}, base)
                  for i in range(5)]
        m0 = self.d.metrics()
        self.assertStored(self.post(make_notification(alerts)))
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, NOTIF, result="stored") -
                         sample(m0, NOTIF, result="stored"), 1)
        self.assertEqual(sample(m1, ALERTS, result="stored") -
                         sample(m0, ALERTS, result="stored"), 5)


class EpisodeTest(DaemonTestCase):
    """One episode is one firing period of one alert identity."""

    def test_firing_opens_an_episode(self):
        name = uniq("Open")
        starts = now_ms() - 30000
        r = self.assertStored(self.post(make_notification(
            [make_alert({"alertname": name, "job": "node"}, starts)])))
        self.assertEqual(r["episodesOpened"], 1)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(eps[0]["firing_at"], starts)
        self.assertIsNone(eps[0]["resolved_at"])
        self.assertEqual(eps[0]["identity"],
                         fingerprint({"alertname": name, "job": "node"}))

    def test_resolved_closes_the_episode_at_endsAt(self):
        name = uniq("Close")
        labels = {"alertname": name, "job": "node"}
        starts = now_ms() - 30000
        ends = starts + 12345
        m0 = self.d.metrics()
        self.assertStored(self.post(make_notification(
            [make_alert(labels, starts)])))
        r = self.assertStored(self.post(make_notification(
            [make_alert(labels, starts, ends_ms=ends)])))
        self.assertEqual(r["episodesResolved"], 1)
        self.assertEqual(r["episodesOpened"], 0)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(eps[0]["firing_at"], starts)
        self.assertEqual(eps[0]["resolved_at"], ends)
        self.assertEqual(eps[0]["notifications"], 2)
        m1 = self.d.metrics()
        self.assertEqual(
            sample(m1, "alertnoise_episodes_resolved_total") -
            sample(m0, "alertnoise_episodes_resolved_total"), 1)
        view = self.d.query("SELECT firing_at, resolved_at, duration_seconds"
                            " FROM episodes_view WHERE id = ?", eps[0]["id"])
        self.assertEqual(view[0]["firing_at"], time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(starts // 1000)) +
            ".%03dZ" % (starts % 1000))
        self.assertAlmostEqual(view[0]["duration_seconds"], 12.345)

    def test_refire_with_new_startsAt_opens_a_second_episode(self):
        name = uniq("Refire")
        labels = {"alertname": name, "instance": "x"}
        s1 = now_ms() - 60000
        e1 = s1 + 10000
        s2 = e1 + 20000
        for a in ([make_alert(labels, s1)],
                  [make_alert(labels, s1, ends_ms=e1)]):
            self.assertStored(self.post(make_notification(a)))
        r = self.assertStored(self.post(make_notification(
            [make_alert(labels, s2)])))
        self.assertEqual(r["episodesOpened"], 1)
        eps = self.episodes(name)
        self.assertEqual([(e["firing_at"], e["resolved_at"]) for e in eps],
                         [(s1, e1), (s2, None)])
        self.assertEqual(eps[0]["identity"], eps[1]["identity"])
        ids = self.d.query("SELECT count(*) AS n FROM identities WHERE"
                           " alertname = ?", name)
        self.assertEqual(ids[0]["n"], 1)
        # the alert rows point at their own episode
        rows = self.d.query("SELECT a.starts_at, a.episode_id FROM"
                            " notification_alerts a WHERE a.alertname = ?"
                            " ORDER BY a.notification_id", name)
        self.assertEqual([r["episode_id"] for r in rows],
                         [eps[0]["id"], eps[0]["id"], eps[1]["id"]])

    def test_ha_replicas_in_one_notification_are_one_episode(self):
        name = uniq("HA")
        starts = now_ms() - 20000
        alerts = [make_alert({"alertname": name, "instance": "db1",
                              "replica": rep}, starts) for rep in "ab"]
        r = self.assertStored(self.post(make_notification(alerts)))
        self.assertEqual(r["episodesOpened"], 1)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(eps[0]["notifications"], 1)
        self.assertEqual(eps[0]["identity"],
                         fingerprint({"alertname": name, "instance": "db1"}))
        rows = self.d.query("SELECT fingerprint, identity, episode_id FROM"
                            " notification_alerts WHERE alertname = ?", name)
        self.assertEqual(sorted(r["fingerprint"] for r in rows),
                         sorted(fingerprint(a["labels"]) for a in alerts))
        self.assertEqual({r["episode_id"] for r in rows}, {eps[0]["id"]})
        self.assertEqual({r["identity"] for r in rows},
                         {eps[0]["identity"]})
        ident = self.d.query("SELECT labels FROM identities WHERE identity"
                             " = ?", eps[0]["identity"])
        self.assertEqual(json.loads(ident[0]["labels"]),
                         {"alertname": name, "instance": "db1"})

    def test_ha_replicas_from_two_alertmanagers_are_one_episode(self):
        name = uniq("HA2")
        starts = now_ms() - 20000
        # replica b's Prometheus saw it a second earlier; its Alertmanager
        # sends it later
        a = make_notification([make_alert(
            {"alertname": name, "prometheus_replica": "a"}, starts)],
            external_url="http://am-a:9093")
        b = make_notification([make_alert(
            {"alertname": name, "prometheus_replica": "b"}, starts - 1000)],
            external_url="http://am-b:9093")
        self.assertEqual(self.assertStored(self.post(a))["episodesOpened"], 1)
        self.assertEqual(self.assertStored(self.post(b))["episodesOpened"], 0)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(eps[0]["firing_at"], starts - 1000)
        self.assertIsNone(eps[0]["resolved_at"])

    def ha_resolve(self, order):
        """Prometheus replica a sees the alert end first; replica b's copy
        still fires, so the alert still fires: one episode, open until the
        last copy resolves, and resolved once. order is the order of the
        copies in each notification."""
        name = uniq("HAres")
        s = now_ms() - 60000
        la = {"alertname": name, "replica": "a"}
        lb = {"alertname": name, "replica": "b"}
        m0 = self.d.metrics()
        alerts = {"a": make_alert(la, s), "b": make_alert(lb, s + 500)}
        r = self.assertStored(self.post(make_notification(
            [alerts[k] for k in order])))
        self.assertEqual(r["episodesOpened"], 1)
        alerts["a"] = make_alert(la, s, ends_ms=s + 20000)
        r = self.assertStored(self.post(make_notification(
            [alerts[k] for k in order])))
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertIsNone(eps[0]["resolved_at"],
                          "episode closed while replica b still fires")
        self.assertEqual(r["episodesResolved"], 0)
        alerts["b"] = make_alert(lb, s + 500, ends_ms=s + 35000)
        r = self.assertStored(self.post(make_notification(
            [alerts[k] for k in order])))
        self.assertEqual(r["episodesResolved"], 1)
        eps = self.episodes(name)
        self.assertEqual([(e["firing_at"], e["resolved_at"]) for e in eps],
                         [(s, s + 35000)])
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, "alertnoise_episodes_opened_total") -
                         sample(m0, "alertnoise_episodes_opened_total"), 1)
        self.assertEqual(sample(m1, "alertnoise_episodes_resolved_total") -
                         sample(m0, "alertnoise_episodes_resolved_total"), 1)

    def test_ha_replica_resolving_first_in_the_notification(self):
        self.ha_resolve("ab")

    def test_ha_replica_resolving_last_in_the_notification(self):
        self.ha_resolve("ba")

    def test_different_label_values_are_different_episodes(self):
        name = uniq("Two")
        starts = now_ms() - 20000
        alerts = [make_alert({"alertname": name, "instance": i}, starts)
                  for i in ("db1", "db2")]
        r = self.assertStored(self.post(make_notification(alerts)))
        self.assertEqual(r["episodesOpened"], 2)
        self.assertEqual(len(self.episodes(name)), 2)


class CustomReplicaLabelsTest(DaemonTestCase):
    CONFIG = "identity:\n  replica_labels: [dc_replica]\n"

    def test_configured_replica_label_is_ignored(self):
        name = uniq("DC")
        starts = now_ms() - 20000
        alerts = [make_alert({"alertname": name, "dc_replica": rep}, starts)
                  for rep in ("eu1", "eu2")]
        r = self.assertStored(self.post(make_notification(alerts)))
        self.assertEqual(r["episodesOpened"], 1)
        eps = self.episodes(name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(eps[0]["identity"], fingerprint({"alertname": name}))

    def test_default_replica_label_is_no_longer_ignored(self):
        name = uniq("NotDC")
        starts = now_ms() - 20000
        alerts = [make_alert({"alertname": name, "replica": rep}, starts)
                  for rep in ("a", "b")]
        r = self.assertStored(self.post(make_notification(alerts)))
        self.assertEqual(r["episodesOpened"], 2)
        eps = self.episodes(name)
        self.assertEqual(sorted(e["identity"] for e in eps),
                         sorted(fingerprint(a["labels"]) for a in alerts))


class DuplicateTest(DaemonTestCase):
    CONFIG = "webhook:\n  dedup_window: 10m\n"

    def test_identical_payload_is_a_duplicate(self):
        name = uniq("Dup")
        p = make_notification([make_alert({"alertname": name, "i": str(i)},
                                          now_ms() - 5000)
                               for i in range(3)])
        first = self.assertStored(self.post(p))
        c0 = self.d.counts()
        m0 = self.d.metrics()
        again = self.assertStored(self.post(p), result="duplicate")
        self.assertEqual(again["notificationId"], first["notificationId"])
        self.assertEqual(again["episodesOpened"], 0)
        self.assertEqual(self.d.counts(), c0)
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, NOTIF, result="duplicate"),
                         sample(m0, NOTIF, result="duplicate") + 1)
        self.assertEqual(sample(m1, NOTIF, result="stored"),
                         sample(m0, NOTIF, result="stored"))
        self.assertEqual(sample(m1, ALERTS, result="duplicate"),
                         sample(m0, ALERTS, result="duplicate") + 3)
        self.assertEqual(sample(m1, ALERTS, result="stored"),
                         sample(m0, ALERTS, result="stored"))
        self.assertEqual(self.episodes(name)[0]["notifications"], 1)

    def test_reformatted_payload_is_a_duplicate(self):
        # the same JSON document, keys in another order and pretty-printed
        name = uniq("DupFmt")
        p = make_notification([make_alert({"alertname": name}, now_ms())])
        self.assertStored(self.post(json.dumps(p)))
        c0 = self.d.counts()
        self.assertStored(self.post(json.dumps(p, indent=2, sort_keys=True)),
                          result="duplicate")
        self.assertEqual(self.d.counts(), c0)

    def test_changed_payload_is_stored(self):
        name = uniq("NotDup")
        p = make_notification([make_alert({"alertname": name}, now_ms())])
        self.assertStored(self.post(p))
        c0 = self.d.counts()
        p["receiver"] = "another-receiver"
        r = self.assertStored(self.post(p))
        self.assertEqual(r["episodesOpened"], 0)
        c1 = self.d.counts()
        self.assertEqual(c1["notifications"], c0["notifications"] + 1)
        self.assertEqual(c1["episodes"], c0["episodes"])


class NoDedupTest(DaemonTestCase):
    CONFIG = "webhook:\n  dedup_window: 0s\n"

    def test_repeat_is_stored_but_opens_no_episode(self):
        name = uniq("Repeat")
        p = make_notification([make_alert({"alertname": name, "i": str(i)},
                                          now_ms() - 5000)
                               for i in range(2)])
        first = self.assertStored(self.post(p))
        self.assertEqual(first["episodesOpened"], 2)
        c0 = self.d.counts()
        m0 = self.d.metrics()
        again = self.assertStored(self.post(p))
        self.assertNotEqual(again["notificationId"], first["notificationId"])
        self.assertEqual(again["episodesOpened"], 0)
        c1 = self.d.counts()
        self.assertEqual(c1["notifications"], c0["notifications"] + 1)
        self.assertEqual(c1["notification_alerts"],
                         c0["notification_alerts"] + 2)
        self.assertEqual(c1["episodes"], c0["episodes"])
        self.assertEqual(c1["identities"], c0["identities"])
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, NOTIF, result="stored"),
                         sample(m0, NOTIF, result="stored") + 1)
        self.assertEqual(sample(m1, NOTIF, result="duplicate"),
                         sample(m0, NOTIF, result="duplicate"))
        eps = self.episodes(name)
        self.assertEqual(len(eps), 2)
        self.assertEqual([e["notifications"] for e in eps], [2, 2])


class DedupWindowTest(DaemonTestCase):
    """The window runs on the daemon's clock, which the test moves
    (--test.clock) instead of waiting the minute out."""
    CONFIG = "webhook:\n  dedup_window: 1m\n"
    ARGS = ("--test.clock",)

    def test_repeat_after_the_window_is_stored(self):
        p = make_notification([make_alert({"alertname": uniq("Win")},
                                          now_ms() - 5000)])
        first = self.assertStored(self.post(p))
        self.assertStored(self.post(p), result="duplicate")
        self.d.advance_clock("50s")
        self.assertStored(self.post(p), result="duplicate")
        self.d.advance_clock("11s")
        c0 = self.d.counts()
        again = self.assertStored(self.post(p))
        self.assertNotEqual(again["notificationId"], first["notificationId"])
        self.assertEqual(again["episodesOpened"], 0)
        self.assertEqual(self.d.count("notifications"),
                         c0["notifications"] + 1)


class RejectTest(DaemonTestCase):
    """Bad input: the exact status, a message saying what is wrong, nothing
    stored, and one rejection counted under its reason."""
    LIMIT = 2048
    CONFIG = "webhook:\n  max_body_size: 2KiB\n"

    def good(self):
        name = uniq("Rej")
        return make_notification([
            make_alert({"alertname": name, "instance": "i1"}, now_ms() - 1000),
            make_alert({"alertname": name, "instance": "i2"}, now_ms() - 1000),
        ])

    def assertRejected(self, send, status, reason, *words):
        c0 = self.d.counts()
        m0 = self.d.metrics()
        r = send()
        self.assertEqual(r.status, status, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "application/json"), r.headers["Content-Type"])
        body = r.json()
        self.assertEqual(set(body), {"status", "errorType", "error"}, body)
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["errorType"], "bad_data")
        for w in words:
            self.assertIn(w, body["error"])
        self.assertEqual(self.d.counts(), c0, "something was stored")
        m1 = self.d.metrics()
        before, after = family(m0, REJECTED), family(m1, REJECTED)
        changed = {dict(k)["reason"]: after.get(k, 0) - before.get(k, 0)
                   for k in set(before) | set(after)
                   if after.get(k, 0) != before.get(k, 0)}
        self.assertEqual(changed, {reason: 1})
        self.assertEqual(sample(m1, NOTIF, result="rejected"),
                         sample(m0, NOTIF, result="rejected") + 1)
        self.assertEqual(sample(m1, NOTIF, result="stored"),
                         sample(m0, NOTIF, result="stored"))
        self.assertEqual(sample(m1, ALERTS, result="stored"),
                         sample(m0, ALERTS, result="stored"))
        return body["error"]

    def test_malformed_json(self):
        body = json.dumps(self.good())[:-10]
        self.assertRejected(lambda: self.post(body), 400, "invalid_json",
                            "JSON")

    def test_not_a_json_object(self):
        self.assertRejected(lambda: self.post("[1, 2]"), 400, "invalid_json",
                            "object")

    def test_missing_receiver(self):
        p = self.good()
        del p["receiver"]
        self.assertRejected(lambda: self.post(p), 400, "missing_field",
                            "receiver")

    def test_missing_startsAt(self):
        p = self.good()
        del p["alerts"][0]["startsAt"]
        self.assertRejected(lambda: self.post(p), 400, "missing_field",
                            "alerts[0].startsAt")

    def test_missing_alerts(self):
        p = self.good()
        del p["alerts"]
        self.assertRejected(lambda: self.post(p), 400, "missing_field",
                            "alerts")

    def test_wrong_version(self):
        p = self.good()
        p["version"] = "3"
        self.assertRejected(lambda: self.post(p), 400, "bad_version",
                            "version", '"3"')

    def test_bad_timestamp(self):
        p = self.good()
        p["alerts"][0]["startsAt"] = "yesterday"
        self.assertRejected(lambda: self.post(p), 400, "bad_timestamp",
                            "alerts[0].startsAt", "yesterday")

    def test_bad_timestamp_in_a_later_alert_stores_nothing(self):
        p = self.good()
        p["alerts"][1]["endsAt"] = "2026-13-01T00:00:00Z"
        self.assertRejected(lambda: self.post(p), 400, "bad_timestamp",
                            "alerts[1].endsAt")

    def test_fingerprint_mismatch(self):
        p = self.good()
        p["alerts"][1]["fingerprint"] = "0123456789abcdef"
        want = fingerprint(p["alerts"][1]["labels"])
        self.assertRejected(lambda: self.post(p), 400, "fingerprint_mismatch",
                            "alerts[1].fingerprint", "0123456789abcdef", want)

    def oversized(self, size):
        """A valid payload of exactly size bytes."""
        p = self.good()
        p["commonAnnotations"] = {"pad": ""}
        n = size - len(json.dumps(p))
        self.assertGreaterEqual(n, 0)
        p["commonAnnotations"]["pad"] = "x" * n
        body = json.dumps(p).encode()
        self.assertEqual(len(body), size)
        return body

    def test_body_at_the_limit_is_accepted(self):
        self.assertStored(self.post(self.oversized(self.LIMIT)))
        body = self.oversized(self.LIMIT)   # other alerts: no duplicate
        r = self.d.post_chunked("/api/v1/webhook",
                                [body[i:i + 500]
                                 for i in range(0, len(body), 500)])
        self.assertStored(r)

    def test_too_large_with_content_length(self):
        body = self.oversized(self.LIMIT + 1)
        self.assertRejected(lambda: self.post(body), 413, "too_large",
                            str(self.LIMIT))

    def test_too_large_chunked(self):
        body = self.oversized(self.LIMIT + 1000)
        chunks = [body[i:i + 256] for i in range(0, len(body), 256)]
        self.assertRejected(
            lambda: self.d.post_chunked("/api/v1/webhook", chunks),
            413, "too_large", str(self.LIMIT))

    def test_text_plain(self):
        p = json.dumps(self.good())
        self.assertRejected(lambda: self.post(p, content_type="text/plain"),
                            415, "unsupported_media_type", "application/json",
                            "text/plain")

    def test_json_with_charset_is_accepted(self):
        r = self.post(self.good(),
                      content_type="application/json; charset=utf-8")
        self.assertStored(r)


class StorageFailureTest(DaemonTestCase):
    """A store that cannot be written answers 503 (Alertmanager retries)."""
    CONFIG = "storage:\n  busy_timeout: 300ms\n"

    def test_locked_store_answers_503_and_stores_nothing(self):
        p = make_notification([make_alert({"alertname": uniq("Locked")},
                                          now_ms() - 1000)])
        # the store exists and has the schema once one notification is in
        self.assertStored(self.post(make_notification(
            [make_alert({"alertname": uniq("Warm")}, now_ms())])))
        c0 = self.d.counts()
        m0 = self.d.metrics()
        path = os.path.join(self.d.storage, "alertnoise.db")
        lock = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            t0 = time.monotonic()
            r = self.post(p, timeout=15)
            held = time.monotonic() - t0
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        self.assertGreaterEqual(r.status, 500, r.text)
        self.assertEqual(r.status, 503, r.text)
        body = r.json()
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["errorType"], "unavailable")
        self.assertTrue(body["error"])
        # the daemon waited out its busy timeout (300ms, not the default
        # 5s) before giving up
        self.assertGreaterEqual(held, 0.3)
        self.assertLess(held, 3)
        self.assertEqual(self.d.counts(), c0)
        m1 = self.d.metrics()
        self.assertEqual(
            sample(m1, "alertnoise_storage_errors_total",
                   operation="put_notification"),
            sample(m0, "alertnoise_storage_errors_total",
                   operation="put_notification") + 1)
        self.assertEqual(sample(m1, NOTIF, result="error"),
                         sample(m0, NOTIF, result="error") + 1)
        self.assertEqual(sample(m1, NOTIF, result="stored"),
                         sample(m0, NOTIF, result="stored"))
        # the retry succeeds once the store is writable again
        self.assertStored(self.post(p))
        self.assertEqual(self.d.count("notifications"),
                         c0["notifications"] + 1)



class ReceiverBoundsTest(unittest.TestCase):
    """A receiver is a label of /metrics: a 4 MiB one is refused (400
    bad_value, counted) and /metrics keeps answering; one under the 1 KiB
    limit is shown cut to 256 bytes ending in U+2026 (issue 14: a 4 MiB
    receiver name made /metrics answer 500 until restart)."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("webhook:\n  max_body_size: 8MiB\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_huge_receiver_is_refused_and_metrics_answer(self):
        rejected = self.d.metric(REJECTED, reason="bad_value")
        alert = make_alert({"alertname": "Huge"}, now_ms() - 60000)
        r = self.d.webhook(make_notification([alert],
                                             receiver="r" * (4 << 20)))
        self.assertEqual(r.status, 400, r.text[:200])
        self.assertIn("receiver: longer than 1024 bytes", r.text)
        m = self.d.get("/metrics")
        self.assertEqual(m.status, 200)
        parsed = harness.parse_metrics(m.text)
        self.assertEqual(parsed[(REJECTED, frozenset(
            {"reason": "bad_value"}.items()))], rejected + 1)
        self.assertLess(len(m.body), 1 << 20)

    def test_long_receiver_is_cut_in_metrics(self):
        alert = make_alert({"alertname": "Long"}, now_ms() - 60000)
        r = self.d.webhook(make_notification([alert], receiver="q" * 1000))
        self.assertEqual(r.status, 200, r.text)
        m = self.d.get("/metrics")
        self.assertEqual(m.status, 200)
        cut = "q" * 253 + "\u2026"
        values = [dict(labels).get("receiver") for (name, labels) in
                  harness.parse_metrics(m.text)
                  if name == "alertnoise_notifications_total"]
        qs = [v for v in values if v.startswith("q")]
        self.assertEqual(qs, [cut], [len(v) for v in qs])
        self.assertNotIn("q" * 254, m.text)


if __name__ == "__main__":
    unittest.main()

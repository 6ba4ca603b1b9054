"""test_group_commit.py -- many webhooks and remote-write requests at once.

The daemon writes concurrent requests through one group-commit queue: the
requests that arrive while a transaction is being synced share the next
one. What a sender must still see: a 2xx only for data that is in the store
(here: every notification id answered is a row, with its alerts), a 400 for
a bad payload that leaves nothing behind and fails no other request, and
/metrics counting every request once -- alertnoise_store_commit_requests
counts each stored request in exactly one commit."""
import concurrent.futures
import itertools
import json
import os
import unittest

from harness import Daemon, http, make_alert, make_notification, now_ms
import rwenc
from rwenc import STALE, V1_HEADERS

_seq = itertools.count(1)

COMMITS = "alertnoise_store_commits_total"
PER_COMMIT = "alertnoise_store_commit_requests"
NOTIF = "alertnoise_webhook_notifications_total"
ALERTS = "alertnoise_webhook_alerts_total"
REJECTED = "alertnoise_webhook_rejected_total"
SAMPLES = "alertnoise_remote_write_samples_total"

SENDERS = 16


def uniq(prefix):
    return "%s_%d_%d" % (prefix, os.getpid(), next(_seq))


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


class GroupCommitTest(unittest.TestCase):
    CONFIG = "webhook:\n  dedup_window: 0s\n"

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def valid(self, tag, i):
        """A notification of two alerts to receiver tag, none alike."""
        t0 = now_ms() - 60000
        alerts = [make_alert({"alertname": tag, "instance": "i%d-%d" % (i, k),
                              "replica": "r1"}, t0 + i)
                  for k in range(2)]
        return make_notification(alerts, receiver=tag)

    def invalid(self, tag, i):
        """(reason, body) of a payload wh_parse refuses; each would name
        receiver tag if it were stored."""
        n = self.valid(tag, i)
        kind = i % 4
        if kind == 0:
            return "invalid_json", json.dumps(n)[:-7]
        if kind == 1:
            n["alerts"][1]["status"] = "burning"
            return "bad_value", json.dumps(n)
        if kind == 2:
            n["alerts"][0]["fingerprint"] = "0123456789abcdef"
            return "fingerprint_mismatch", json.dumps(n)
        n["alerts"][1]["startsAt"] = "yesterday"
        return "bad_timestamp", json.dumps(n)

    def test_concurrent_webhooks_with_bad_ones_mixed_in(self):
        good, bad = uniq("GCGood"), uniq("GCBad")
        total = 240
        jobs = []
        for i in range(total):
            if i % 5 == 2:
                reason, body = self.invalid(bad, i)
                jobs.append(("bad", reason, body))
            else:
                jobs.append(("good", None, json.dumps(self.valid(good, i))))
        m0 = self.d.metrics()

        def send(job):
            kind, reason, body = job
            r = self.d.webhook(body)
            return kind, reason, r.status, r.body

        with concurrent.futures.ThreadPoolExecutor(SENDERS) as ex:
            answers = list(ex.map(send, jobs))
        m1 = self.d.metrics()

        ids, reasons = [], {}
        for kind, reason, status, body in answers:
            if kind == "good":
                self.assertEqual(status, 200, body)
                data = json.loads(body)["data"]
                self.assertEqual(data["result"], "stored", data)
                ids.append(data["notificationId"])
            else:
                self.assertEqual(status, 400, (reason, body))
                self.assertEqual(json.loads(body)["status"], "error")
                reasons[reason] = reasons.get(reason, 0) + 1
        ngood = total - sum(reasons.values())
        self.assertEqual(len(ids), ngood)
        self.assertEqual(len(set(ids)), ngood)

        # every notification answered 200 is in the store, with its alerts
        rows = self.d.query("SELECT id, receiver, num_alerts FROM"
                            " notifications WHERE receiver = ?", good)
        self.assertEqual(sorted(r["id"] for r in rows), sorted(ids))
        self.assertTrue(all(r["num_alerts"] == 2 for r in rows))
        alerts = self.d.query(
            "SELECT count(*) AS n, count(DISTINCT notification_id) AS k,"
            " count(episode_id) AS e FROM notification_alerts a"
            " JOIN notifications n ON n.id = a.notification_id"
            " WHERE n.receiver = ?", good)[0]
        self.assertEqual(alerts, {"n": 2 * ngood, "k": ngood, "e": 2 * ngood})
        # the refused ones left nothing
        self.assertEqual(self.d.query(
            "SELECT count(*) AS n FROM notifications WHERE receiver = ?",
            bad)[0]["n"], 0)
        self.assertEqual(self.d.query(
            "SELECT count(*) AS n FROM identities WHERE alertname = ?",
            bad)[0]["n"], 0)

        # /metrics agrees, request by request
        def delta(name, **labels):
            return value(m1, name, **labels) - value(m0, name, **labels)

        self.assertEqual(delta(NOTIF, result="stored"), ngood)
        self.assertEqual(delta(NOTIF, result="rejected"), total - ngood)
        self.assertEqual(delta(NOTIF, result="error"), 0)
        self.assertEqual(delta(ALERTS, result="stored"), 2 * ngood)
        for reason, n in reasons.items():
            self.assertEqual(delta(REJECTED, reason=reason), n, reason)
        # each stored notification was in exactly one successful commit
        commits = delta(COMMITS, result="success")
        self.assertEqual(delta(COMMITS, result="failure"), 0)
        self.assertEqual(delta(PER_COMMIT + "_sum"), ngood)
        self.assertEqual(delta(PER_COMMIT + "_count"), commits)
        self.assertTrue(1 <= commits <= ngood, commits)
        self.assertEqual(value(m1, PER_COMMIT + "_bucket", le="+Inf"),
                         value(m1, PER_COMMIT + "_count"))

    def test_concurrent_remote_write_and_webhooks(self):
        """Remote-write requests go through the same queue: each one's
        samples applied in time order, its episode opened and resolved."""
        names = [uniq("GCRw") for _ in range(24)]
        wh = uniq("GCMixed")
        t0 = now_ms() - 600000
        jobs = []
        for i, name in enumerate(names):
            labels, samples = rwenc_series(name, [(1.0, t0),
                                                   (1.0, t0 + 15000),
                                                   (STALE, t0 + 30000)])
            jobs.append(("rw", rwenc.write_body([(labels, samples)])))
            jobs.append(("wh", json.dumps(self.valid(wh, i))))
        jobs.append(("badrw", b"\xff\x00 not snappy"))
        m0 = self.d.metrics()

        def send(job):
            kind, body = job
            if kind == "wh":
                r = self.d.webhook(body)
            else:
                r = http("POST", self.d.url + "/api/v1/write", body=body,
                         headers=dict(V1_HEADERS))
            return kind, r.status, r.body

        with concurrent.futures.ThreadPoolExecutor(SENDERS) as ex:
            answers = list(ex.map(send, jobs))
        m1 = self.d.metrics()
        for kind, status, body in answers:
            want = {"rw": 204, "wh": 200, "badrw": 400}[kind]
            self.assertEqual(status, want, (kind, body))

        for name in names:
            eps = self.d.query("SELECT firing_at, resolved_at FROM episodes"
                               " WHERE alertname = ?", name)
            self.assertEqual(eps, [{"firing_at": t0,
                                    "resolved_at": t0 + 30000}], name)
        self.assertEqual(self.d.query(
            "SELECT count(*) AS n FROM notifications WHERE receiver = ?",
            wh)[0]["n"], len(names))

        def delta(name, **labels):
            return value(m1, name, **labels) - value(m0, name, **labels)

        self.assertEqual(delta(SAMPLES, result="applied"), 3 * len(names))
        self.assertEqual(delta(NOTIF, result="stored"), len(names))
        # 24 remote-write requests and 24 webhooks, each in one commit
        self.assertEqual(delta(PER_COMMIT + "_sum"), 2 * len(names))
        self.assertEqual(delta(PER_COMMIT + "_count"),
                         delta(COMMITS, result="success"))


def rwenc_series(name, samples):
    labels = {"__name__": "ALERTS", "alertname": name, "alertstate": "firing",
              "cluster": "c1", "replica": "r1"}
    return labels, list(samples)


if __name__ == "__main__":
    unittest.main()

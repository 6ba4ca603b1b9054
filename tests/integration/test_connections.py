"""Connections and load (README "Security"): slow and idle clients cannot
take the server from everyone else, a request must arrive whole within
web.read_timeout, a full lane answers 503 with Retry-After at once, and the
request bodies held at once are bounded (web.max_inflight_bytes)."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

import rwenc
from harness import Daemon, now_ms, sanitized, vm_hwm_kb, wait_for
from test_daemon import HeldWebhook, payload

HERE = os.path.dirname(os.path.abspath(__file__))


def p99(samples):
    s = sorted(samples)
    return s[max(0, int(len(s) * 0.99) - 1)]


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.monotonic()
        r = fn()
        out.append(time.monotonic() - t)
        assert r.status in (200, 204), (r.status, r.text)
    return out


class Attack:
    """slowclients.py in its own process: COUNT connections from src."""

    def __init__(self, d, src, count, mode, seconds):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "slowclients.py"),
             str(d.port), src, str(count), mode, str(seconds)],
            stdout=subprocess.PIPE, text=True)
        self.stats = None

    def wait_ready(self):
        line = self.proc.stdout.readline()     # it bounds its own connects
        assert line.strip() == "ready", line

    def finish(self, timeout=60):
        out, _ = self.proc.communicate(timeout=timeout)
        self.stats = json.loads(out.strip().splitlines()[-1])
        return self.stats


class SlowClientsTest(unittest.TestCase):
    """5,000 slowloris sockets and 3,000 idle connects: webhook, remote
    write and /-/healthy keep answering within 100 ms at the 99th
    percentile. Each attacker is one address (127.0.0.2, 127.0.0.3):
    web.max_connections_per_ip (128) of its sockets are held, the rest
    shut down as they open; those held meet web.read_timeout."""

    def test_slowloris_and_idle_connects_leave_ingest_answering(self):
        d = Daemon("web:\n  read_timeout: 4s\n").start()
        self.addCleanup(d.cleanup)
        slow = Attack(d, "127.0.0.2", 5000, "trickle", 7)
        idle = Attack(d, "127.0.0.3", 3000, "idle", 7)
        self.addCleanup(slow.proc.kill)
        self.addCleanup(idle.proc.kill)
        slow.wait_ready()
        idle.wait_ready()
        series = rwenc.encode_v1([({"__name__": "ALERTS",
                                    "alertname": "Slow", "alertstate":
                                    "firing", "job": "j"},
                                   [(1.0, now_ms())])])
        body = rwenc.snappy_compress(series)
        lat = {
            "/-/healthy": timed(lambda: d.get("/-/healthy", timeout=5), 100),
            "webhook": timed(lambda: d.webhook(payload(), timeout=5), 100),
            "write": timed(lambda: d.post("/api/v1/write", body,
                                          content_type=None,
                                          headers=dict(rwenc.V1_HEADERS),
                                          timeout=5), 100),
        }
        held = d.metric("alertnoise_http_connections_open")
        print("\nunder 5,000 slowloris + 3,000 idle sockets: " + ", ".join(
            "%s p99 %.1f ms" % (w, p99(v) * 1000) for w, v in lat.items()),
            file=sys.stderr)
        for what, samples in lat.items():
            self.assertLess(p99(samples), 0.1, "%s p99 %.3f s under attack"
                            " (median %.3f s)" % (what, p99(samples),
                                                  sorted(samples)[50]))
        s, i = slow.finish(), idle.finish()
        # one address holds at most web.max_connections_per_ip sockets
        self.assertGreaterEqual(s["connected"], 4900, s)
        self.assertGreaterEqual(i["connected"], 2900, i)
        self.assertLessEqual(held, 2 * 128 + 5, held)
        self.assertGreaterEqual(s["closed_early"], s["connected"] - 128, s)
        # the held slowloris sockets never finish a request: cut at the
        # deadline although they send a line every second
        self.assertEqual(s["open_at_end"], 0, s)
        self.assertGreaterEqual(s["closed_late"], 100, s)
        self.assertGreaterEqual(d.metric(
            "alertnoise_http_connections_closed_total",
            reason="per_ip_limit"),
            s["connected"] + i["connected"] - 2 * 128)
        self.assertGreaterEqual(d.metric(
            "alertnoise_http_connections_closed_total",
            reason="read_timeout"), s["closed_late"])


class ReadDeadlineTest(unittest.TestCase):
    """web.read_timeout is the time to send a whole request, not an idle
    timeout that every byte resets."""

    def test_a_request_trickled_past_read_timeout_is_cut(self):
        d = Daemon("web:\n  read_timeout: 1s\n").start()
        self.addCleanup(d.cleanup)
        s = socket.create_connection(("127.0.0.1", d.port))
        self.addCleanup(s.close)
        s.settimeout(0.3)
        t0 = time.monotonic()
        s.sendall(b"POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\n")
        closed_at = None
        n = 0
        while time.monotonic() - t0 < 6:
            try:
                if s.recv(4096) == b"":
                    closed_at = time.monotonic() - t0
                    break
            except socket.timeout:
                n += 1
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    closed_at = time.monotonic() - t0
                    break
            except OSError:
                closed_at = time.monotonic() - t0
                break
        self.assertIsNotNone(closed_at, "a header line every 0.3 s kept the "
                             "connection open for 6 s")
        self.assertGreaterEqual(closed_at, 0.9)
        self.assertLess(closed_at, 3.0)
        self.assertEqual(d.metric("alertnoise_http_connections_closed_total",
                                  reason="read_timeout"), 1)
        # a prompt client on a new connection is served
        self.assertEqual(d.webhook(payload()).status, 200)


class LaneTest(unittest.TestCase):
    """A lane full of requests waiting for the store (web.max_concurrency
    running, four times as many waiting) answers the next one 503 with
    Retry-After at once; the other lane and /-/healthy are not held up."""

    def test_a_full_ingest_lane_answers_503_with_retry_after(self):
        d = Daemon("web:\n  max_concurrency: 1\n").start()
        self.addCleanup(d.cleanup)
        waiting = [HeldWebhook(d, payload()) for _ in range(4)]
        with HeldWebhook(d, payload()):
            # the held one runs on the lane's one worker; four more wait
            for w in waiting:
                w.thread.start()
            wait_for(lambda: d.metric("alertnoise_http_requests_in_flight")
                     >= 6, what="four more webhooks waiting")
            t = time.monotonic()
            r = d.webhook(payload(), timeout=5)
            self.assertLess(time.monotonic() - t, 1.0)
            self.assertEqual(r.status, 503, r.text)
            self.assertEqual(r.headers["Retry-After"], "1")
            self.assertEqual(r.json()["errorType"], "unavailable")
            self.assertIn("web.max_concurrency", r.json()["error"])
            self.assertIn("ingest", r.json()["error"])
            self.assertEqual(d.get("/-/healthy", timeout=2).status, 200)
            self.assertEqual(d.get("/api/v1/status/buildinfo",
                                   timeout=2).status, 200)
        for w in waiting:
            w.thread.join(20)
            self.assertEqual(w.response.status, 200)
        self.assertEqual(d.metric("alertnoise_http_requests_refused_total",
                                  reason="overloaded"), 1)
        self.assertEqual(d.webhook(payload()).status, 200)


class InflightBytesTest(unittest.TestCase):
    """web.max_inflight_bytes bounds the request bodies held at once."""

    def test_a_body_past_the_budget_gets_503_and_nothing_is_stored(self):
        d = Daemon("web:\n  max_inflight_bytes: 256KiB\n").start()
        self.addCleanup(d.cleanup)
        with HeldWebhook(d, payload(40000)) as h:
            before = d.count("notifications")
            r = d.webhook(payload(40000), timeout=5)
            self.assertEqual(r.status, 503, r.text)
            self.assertEqual(r.headers["Retry-After"], "1")
            self.assertIn("web.max_inflight_bytes", r.json()["error"])
            r = d.webhook(payload(100000), timeout=5)
            self.assertEqual(r.status, 413, r.text)
            self.assertIn("within web.max_inflight_bytes",
                          r.json()["error"])
        self.assertEqual(h.response.status, 200)
        self.assertEqual(d.count("notifications"), before + 1)
        self.assertEqual(d.metric("alertnoise_http_requests_refused_total",
                                  reason="inflight_bytes"), 2)
        # the held body's bytes are given back when it is answered
        self.assertEqual(d.webhook(payload(40000)).status, 200)

    def test_100_webhooks_of_4_mib_at_once_stay_under_200_mb(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        body = payload((4 << 20) - 4096).encode()
        statuses = []

        def send():
            try:
                r = d.webhook(body, timeout=60)
                statuses.append((r.status, r.headers.get("Retry-After")))
            except OSError as e:
                statuses.append((str(e), None))
        threads = [threading.Thread(target=send) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        hwm = vm_hwm_kb(d.proc.pid) / 1024
        self.assertEqual(len(statuses), 100)
        ok = sum(1 for s, _ in statuses if s == 200)
        busy = [s for s in statuses if s[0] == 503]
        self.assertEqual(ok + len(busy), 100, statuses)
        self.assertGreaterEqual(ok, 1)
        self.assertTrue(all(a == "1" for _, a in busy), busy)
        self.assertLess(hwm, 400 if sanitized() else 200,
                        "peak RSS %.0f MB" % hwm)
        print("\n100 x 4 MiB webhooks: %d stored, %d answered 503, peak "
              "RSS %.0f MB" % (ok, len(busy), hwm), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()

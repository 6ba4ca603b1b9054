"""test_deadlines.py -- every read that analyses has a deadline and stops
for nobody (issue 14, "CPU"): web.request_timeout, a client that hangs up,
SIGTERM.

The slow read: receiver "big" is replayed with group_interval and
repeat_interval 1s (replay.routes), and one group of 200 alerts has been
firing to it for 80 days, so the recommendations of an 81-day window
replay 3.5M steps of 200 alerts each: seconds of CPU, half a minute with
1,000 alerts (as
test_simulate.py's SimulateDeadlineTest, but under the current settings,
which every recommendations, report and page read replays). The KPI
refresher runs once at start (an empty store) and not again during a
test."""
import os
import socket
import threading
import time
import unittest

from harness import Daemon, make_alert, make_notification, now_ms, wait_for

DAY = 86400 * 1000
LONG_AGO = (now_ms() // 1000) * 1000 - 80 * DAY

CONFIG = """\
analysis:
  cache_ttl: 5m
metrics:
  refresh_interval: 1h
replay:
  routes:
    - receiver: big
      group_by: [alertname]
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 1s
"""

SLOW = "/api/v1/recommendations?window=81d"
CANCELLED = "alertnoise_analysis_cancelled_total"


def seed(d, n=200):
    """n alerts firing to "big" for 80 days: the recommendations of 81
    days replay for about n / 30 seconds."""
    alerts = [make_alert({"alertname": "Big", "instance": "i%d" % i},
                         LONG_AGO) for i in range(n)]
    r = d.webhook(make_notification(alerts, receiver="big"))
    assert r.status == 200, (r.status, r.text)


def cpu_seconds(pid):
    """User and system CPU time of process pid (proc(5))."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_busy(d, seconds=0.5):
    """Returns once the daemon has burnt seconds of CPU from now: the slow
    read computes."""
    cpu0 = cpu_seconds(d.proc.pid)
    wait_for(lambda: cpu_seconds(d.proc.pid) > cpu0 + seconds, timeout=30,
             what="the replay to run")


def send_raw(d, path):
    """A GET of path on a socket of its own, left open (the caller closes
    it: a client that hangs up)."""
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    return s


class DeadlineTest(unittest.TestCase):
    """web.request_timeout 1s: the slow read answers 503 timeout in about
    a second, whether it computes or waits for another request's
    computation, and the daemon answers meanwhile."""

    def setUp(self):
        self.d = Daemon(CONFIG + "web:\n  request_timeout: 1s\n").start()
        self.addCleanup(self.d.cleanup)
        seed(self.d)

    def check_timeout(self, r, took):
        self.assertEqual(r.status, 503, r.text)
        body = r.json()
        self.assertEqual(body["errorType"], "timeout", body)
        self.assertIn("web.request_timeout", body["error"])
        self.assertLess(took, 6)

    def test_reads_past_the_deadline_answer_503_timeout(self):
        answers = {}

        def read(name, path):
            t0 = time.monotonic()
            r = self.d.get(path, timeout=120)
            answers[name] = (r, time.monotonic() - t0)

        # the recommendations compute; the report of the same window
        # waits for them (one computation per key)
        first = threading.Thread(target=read, args=("recs", SLOW))
        first.start()
        wait_busy(self.d, 0.2)
        second = threading.Thread(target=read, args=(
            "report", "/api/v1/report?window=81d"))
        second.start()
        # the daemon answers meanwhile
        r = self.d.get("/-/healthy", timeout=5)
        self.assertEqual(r.status, 200)
        first.join(30)
        second.join(30)
        self.assertFalse(first.is_alive() or second.is_alive())
        self.check_timeout(*answers["recs"])
        self.check_timeout(*answers["report"])
        # the computation was given up, and not kept: the next read
        # computes again, and stops again
        self.assertGreaterEqual(self.d.metric(CANCELLED, reason="deadline"),
                                1)
        t0 = time.monotonic()
        r = self.d.get(SLOW, timeout=120)
        self.check_timeout(r, time.monotonic() - t0)
        # a read that needs no replay answers
        r = self.d.get("/api/v1/summary?window=81d", timeout=30)
        self.assertEqual(r.status, 200, r.text)


class ClientGoneTest(unittest.TestCase):
    """Default web.request_timeout (60s): a client that hangs up while its
    recommendations compute stops the computation."""

    def setUp(self):
        self.d = Daemon(CONFIG).start()
        self.addCleanup(self.d.cleanup)
        seed(self.d)

    def test_computation_stops_when_its_client_hangs_up(self):
        s = send_raw(self.d, SLOW)
        wait_busy(self.d)
        s.close()
        wait_for(lambda: self.d.metric(CANCELLED, reason="client_gone") == 1,
                 timeout=5, what="the computation to be given up")
        # the CPU is free again: between two polls 0.2 s apart the
        # daemon burns less than a tenth of it (a replay still running
        # burns all of it)
        last = [cpu_seconds(self.d.proc.pid)]

        def idle():
            now = cpu_seconds(self.d.proc.pid)
            grew, last[0] = now - last[0], now
            return grew < 0.1
        wait_for(idle, timeout=5, interval=0.2, what="the CPU to be free")
        # and the daemon answers
        r = self.d.get("/api/v1/summary?window=81d", timeout=30)
        self.assertEqual(r.status, 200, r.text)

    def test_computation_goes_on_while_another_client_waits(self):
        s1 = send_raw(self.d, SLOW)
        wait_busy(self.d, 0.2)
        s2 = send_raw(self.d, SLOW)
        self.addCleanup(s2.close)
        wait_busy(self.d, 0.2)
        s1.close()          # the starter leaves; the waiter stays
        wait_busy(self.d, 1.0)
        self.assertEqual(self.d.metric(CANCELLED, reason="client_gone"), 0)
        s2.close()          # the last one leaves
        wait_for(lambda: self.d.metric(CANCELLED, reason="client_gone") == 1,
                 timeout=5, what="the computation to be given up")


class ShutdownTest(unittest.TestCase):
    """SIGTERM while the slow read computes (default web.request_timeout
    60s; 1,000 alerts: half a minute of replay): the daemon exits 0
    within 10 s."""

    def setUp(self):
        self.d = Daemon(CONFIG).start()
        self.addCleanup(self.d.cleanup)
        seed(self.d, 1000)

    def test_sigterm_stops_a_long_analysis(self):
        s = send_raw(self.d, SLOW)
        self.addCleanup(s.close)
        wait_busy(self.d)
        t0 = time.monotonic()
        self.assertEqual(self.d.stop(timeout=20), 0, self.d.log())
        self.assertLess(time.monotonic() - t0, 10)
        # the client got a 503, or the connection closed, never an answer
        # computed past the shutdown
        s.settimeout(5)
        try:
            head = s.recv(4096)
        except OSError:
            head = b""
        if head:
            self.assertTrue(head.startswith(b"HTTP/1.1 503"), head)


class KPIRefreshTest(unittest.TestCase):
    """The KPI refresher is bounded by web.request_timeout too: on a
    history whose recommendations replay for seconds, a refresh gives up
    at the deadline (counted as a failed refresh and a cancelled analysis,
    logged naming the key) instead of keeping a CPU busy for good; and
    SIGTERM during a refresh exits within 10 s."""

    KPI_CONFIG = CONFIG.replace("refresh_interval: 1h",
                                "refresh_interval: 2s\n  windows: [81d]")

    def test_a_slow_refresh_gives_up_at_the_deadline(self):
        d = Daemon(self.KPI_CONFIG + "web:\n  request_timeout: 1s\n"
                   ).start()
        self.addCleanup(d.cleanup)
        seed(d, 400)
        wait_for(lambda: d.metric("alertnoise_kpi_refreshes_total",
                                  result="failure") >= 1, timeout=30,
                 what="a refresh past web.request_timeout to fail")
        self.assertGreaterEqual(d.metric(CANCELLED, reason="deadline"), 1)
        self.assertIn("web.request_timeout", d.log())
        self.assertEqual(d.get("/-/healthy", timeout=2).status, 200)

    def test_sigterm_during_a_refresh(self):
        d = Daemon(self.KPI_CONFIG).start()
        self.addCleanup(d.cleanup)
        seed(d, 1000)
        wait_busy(d)
        t0 = time.monotonic()
        self.assertEqual(d.stop(timeout=20), 0, d.log())
        self.assertLess(time.monotonic() - t0, 10)


if __name__ == "__main__":
    unittest.main()

"""test_daemon.py -- alertnoised as an operator meets it: flags,
--check-config, the operational endpoints, /metrics, reloads, logs, signals
and restarts. Runs the real binary."""
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import (BINARY, ROOT, Daemon, make_alert, make_notification,
                     now_ms, wait_for)

PROMTOOL = "/usr/bin/promtool"
LOGFMT_HEAD = re.compile(r"^ts=\S+ level=(debug|info|warn|error) msg=")
# one logfmt line, whole: key=value pairs, values bare or quoted
LOGFMT_LINE = re.compile(
    r'^(?:[A-Za-z_][A-Za-z0-9_.]*=(?:"(?:[^"\\]|\\.)*"|[^\s"=]+))'
    r'(?: [A-Za-z_][A-Za-z0-9_.]*=(?:"(?:[^"\\]|\\.)*"|[^\s"=]+))*$')
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
FLAGS = ("--config.file", "--web.listen-address", "--storage.path",
         "--log.level", "--log.format", "--check-config", "--version",
         "--help", "--test.clock")

_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s_%d_%d" % (prefix, os.getpid(), _n[0])


def payload(size=None):
    """A fresh valid webhook body, padded to size bytes when given."""
    p = make_notification([make_alert({"alertname": uniq("D"), "job": "j"},
                                      now_ms() - 1000)])
    if size is not None:
        p["commonAnnotations"] = {"pad": ""}
        p["commonAnnotations"]["pad"] = "x" * (size - len(json.dumps(p)))
    body = json.dumps(p)
    assert size is None or len(body) == size, len(body)
    return body


def run(*args, timeout=20, **kw):
    return subprocess.run([BINARY] + list(args), capture_output=True,
                          text=True, timeout=timeout, **kw)


def logfmt_fields(line):
    return dict((m.group(1), m.group(2).strip('"')) for m in re.finditer(
        r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^\s"=]+)', line))


class EndpointsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("").start()
        cls.started = time.time()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def requests_total(self, handler, code):
        return self.d.metric("alertnoise_http_requests_total",
                             handler=handler, code=str(code))

    def test_healthy_and_ready(self):
        r = self.d.get("/-/healthy")
        self.assertEqual(r.status, 200)
        self.assertIn("Healthy", r.text)
        r = self.d.get("/-/ready")
        self.assertEqual(r.status, 200)
        self.assertIn("Ready", r.text)

    def test_unknown_path_is_404(self):
        r = self.d.get("/no/such/page")
        self.assertEqual(r.status, 404)
        r = self.d.post("/api/v1/nothing", "{}")
        self.assertEqual(r.status, 404)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "application/json"))
        body = r.json()
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["errorType"], "not_found")
        self.assertTrue(body["error"])

    def test_test_clock_is_404_without_the_flag(self):
        for method in ("POST", "GET"):
            r = harness.http(method, self.d.url + "/-/test/clock?advance=1h")
            self.assertEqual(r.status, 404, (method, r.text))
        # and the clock is the real one: a notification is stored at now
        before = now_ms()
        self.assertEqual(self.d.webhook(payload()).status, 200)
        got = self.d.query("SELECT max(received_at) AS t FROM"
                           " notifications")[0]["t"]
        self.assertGreaterEqual(got, before)
        self.assertLessEqual(got, now_ms())

    def test_wrong_method_is_405_with_allow(self):
        r = self.d.get("/api/v1/webhook")
        self.assertEqual(r.status, 405)
        self.assertIn("POST", [m.strip() for m in
                               r.headers["Allow"].split(",")])
        r = self.d.post("/metrics", "")
        self.assertEqual(r.status, 405)
        self.assertIn("GET", [m.strip() for m in
                              r.headers["Allow"].split(",")])
        r = harness.http("DELETE", self.d.url + "/-/healthy")
        self.assertEqual(r.status, 405)
        self.assertIn("GET", r.headers["Allow"])

    def test_requests_are_counted_by_handler_and_code(self):
        h0 = self.requests_total("/-/healthy", 200)
        w0 = self.requests_total("/api/v1/webhook", 405)
        self.d.get("/-/healthy")
        self.d.get("/-/healthy")
        self.d.get("/api/v1/webhook")
        wait_for(lambda: self.requests_total("/-/healthy", 200) == h0 + 2,
                 what="2 more /-/healthy 200 in alertnoise_http_requests_total")
        wait_for(lambda: self.requests_total("/api/v1/webhook", 405) == w0 + 1,
                 what="a /api/v1/webhook 405 in alertnoise_http_requests_total")

    def test_metrics_exposition(self):
        # some traffic first, so every family has samples
        self.assertEqual(self.d.webhook(payload()).status, 200)
        self.d.webhook("{")
        self.d.get("/nope")
        self.d.get("/-/ready")
        r = self.d.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "text/plain; version=0.0.4"), r.headers["Content-Type"])
        text = r.text
        m = harness.parse_metrics(text)
        names = {n for n, _ in m}
        for want in ("alertnoise_build_info",
                     "alertnoise_http_requests_total",
                     "alertnoise_http_request_duration_seconds_bucket",
                     "alertnoise_http_request_duration_seconds_sum",
                     "alertnoise_http_request_duration_seconds_count",
                     "process_cpu_seconds_total",
                     "process_resident_memory_bytes",
                     "process_start_time_seconds", "process_open_fds"):
            self.assertIn(want, names)
        self.assertIn("# TYPE alertnoise_http_request_duration_seconds "
                      "histogram", text)
        self.assertIn("# TYPE alertnoise_http_requests_total counter", text)
        bi = [dict(l) for n, l in m if n == "alertnoise_build_info"]
        self.assertEqual(len(bi), 1)
        self.assertEqual(m[("alertnoise_build_info",
                            frozenset(bi[0].items()))], 1)
        self.assertTrue(bi[0].get("version"))
        for n, labels in m:
            if n == "alertnoise_http_requests_total":
                self.assertEqual({k for k, _ in labels}, {"handler", "code"})
        # the histogram of one handler is cumulative and ends at _count
        buckets = sorted(
            ((float(dict(l)["le"]), v) for (n, l), v in m.items()
             if n == "alertnoise_http_request_duration_seconds_bucket" and
             dict(l)["handler"] == "/api/v1/webhook"))
        self.assertTrue(buckets)
        self.assertEqual(buckets[-1][0], float("inf"))
        values = [v for _, v in buckets]
        self.assertEqual(values, sorted(values))
        count = m[("alertnoise_http_request_duration_seconds_count",
                   frozenset({"handler": "/api/v1/webhook"}.items()))]
        self.assertEqual(values[-1], count)
        self.assertGreaterEqual(count, 1)
        # process metrics describe this process
        start = m[("process_start_time_seconds", frozenset())]
        self.assertLess(abs(start - self.started), 5)
        self.assertGreater(m[("process_resident_memory_bytes", frozenset())],
                           1 << 20)
        self.assertGreater(m[("process_open_fds", frozenset())], 3)
        self.assertGreaterEqual(m[("process_cpu_seconds_total", frozenset())],
                                0)

    def test_metrics_pass_promtool(self):
        if not os.path.exists(PROMTOOL):
            self.skipTest(PROMTOOL + " is missing (Debian package prometheus)")
        self.assertEqual(self.d.webhook(payload()).status, 200)
        self.d.webhook(payload(), content_type="text/plain")
        self.d.get("/api/v1/webhook")
        body = self.d.get("/metrics").body
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, (p.stdout + p.stderr).decode())

    def test_openmetrics_when_asked(self):
        # what Prometheus 2.42 sends by default
        accept = ("application/openmetrics-text;version=1.0.0,"
                  "application/openmetrics-text;version=0.0.1;q=0.75,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
        self.assertEqual(self.d.webhook(payload()).status, 200)
        r = self.d.get("/metrics", headers={"Accept": accept})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "application/openmetrics-"
                         "text; version=1.0.0; charset=utf-8")
        lines = r.text.splitlines()
        self.assertEqual(lines[-1], "# EOF")
        # a counter family is named without _total, its samples with it
        self.assertIn("# TYPE alertnoise_http_requests counter", lines)
        self.assertTrue(any(l.startswith("alertnoise_http_requests_total{")
                            for l in lines))
        self.assertIn("# TYPE alertnoise_ready gauge", lines)
        # and the plain text format is still the default
        plain = self.d.get("/metrics")
        self.assertTrue(plain.headers["Content-Type"].startswith(
            "text/plain; version=0.0.4"))
        self.assertNotIn("# EOF", plain.text)


class FramingTest(unittest.TestCase):
    """A request whose body length is ambiguous (RFC 9112 section 6.3)
    could carry a second, smuggled request behind it that a proxy in front
    never saw: answered 400, the connection closed, nothing behind it read."""

    REFUSED = "alertnoise_http_requests_refused_total"

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def exchange(self, data):
        """Sends data on a fresh connection and reads until the daemon
        closes it (or 10 s pass: then the connection was left open)."""
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        got, closed = b"", False
        try:
            s.sendall(data)
            while True:
                b = s.recv(65536)
                if not b:
                    closed = True
                    break
                got += b
        except socket.timeout:
            pass
        finally:
            s.close()
        return got.decode("utf-8", "replace"), closed

    def refused(self):
        return self.d.metrics().get((self.REFUSED, frozenset(
            {("reason", "ambiguous_framing")})), 0.0)

    def smuggle(self, framing):
        first = payload().encode()
        second = payload().encode()
        smuggled = (b"POST /api/v1/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(second) + second)
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(first), first)
        return (b"POST /api/v1/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n" + framing +
                b"\r\n" + chunked + smuggled)

    def test_content_length_with_transfer_encoding(self):
        for framing, words in (
                (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                 "Content-Length and Transfer-Encoding"),
                (b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
                 "Content-Length and Transfer-Encoding"),
                (b"Transfer-Encoding: gzip, chunked\r\n",
                 "Transfer-Encoding other than chunked")):
            c0, n0 = self.d.count("notifications"), self.refused()
            text, closed = self.exchange(self.smuggle(framing))
            self.assertTrue(closed, "the connection was left open: " + text)
            self.assertEqual(text.count("HTTP/1.1 "), 1, text)
            self.assertTrue(text.startswith("HTTP/1.1 400 "), text)
            self.assertRegex(text, r"(?im)^Connection: close\r$")
            self.assertIn(words, json.loads(
                text.split("\r\n\r\n", 1)[1])["error"])
            self.assertEqual(self.d.count("notifications"), c0,
                             "a notification was stored")
            self.assertEqual(self.refused(), n0 + 1)

    def test_chunked_alone_still_works(self):
        body = payload()
        c0 = self.d.count("notifications")
        text, closed = self.exchange(
            b"POST /api/v1/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body.encode()))
        self.assertTrue(text.startswith("HTTP/1.1 200 "), text)
        self.assertEqual(self.d.count("notifications"), c0 + 1)


class TestClockTest(unittest.TestCase):
    """--test.clock: POST /-/test/clock?advance=D moves the daemon's clock
    forward, for tests that would otherwise wait out a window or a timer."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("", extra_args=["--test.clock"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_advance_moves_the_daemons_now(self):
        before = now_ms()
        moved = self.d.advance_clock("1h")
        self.assertGreaterEqual(moved, before + 3600 * 1000)
        self.assertLessEqual(moved, now_ms() + 3600 * 1000)
        # what the daemon stamps with its clock is an hour ahead now
        before = now_ms()
        self.assertEqual(self.d.webhook(payload()).status, 200)
        got = self.d.query("SELECT max(received_at) AS t FROM"
                           " notifications")[0]["t"]
        self.assertGreaterEqual(got, before + 3600 * 1000)
        self.assertLessEqual(got, now_ms() + 3600 * 1000 + 1000)
        lines = [logfmt_fields(l) for l in self.d.log().splitlines()]
        self.assertIn("1h", [f.get("by") for f in lines
                             if f.get("msg") == "Moved the clock forward"])
        # the flag is announced as a test-only one
        self.assertTrue(any(f.get("level") == "warn" and
                            "/-/test/clock" in f.get("msg", "")
                            for f in lines), lines)

    def test_bad_requests(self):
        for query in ("", "?advance=", "?advance=soon", "?advance=-1s",
                      "?by=1s"):
            r = self.d.post("/-/test/clock" + query, None, content_type=None)
            self.assertEqual(r.status, 400, (query, r.text))
            self.assertIn("advance", r.text)
        r = self.d.get("/-/test/clock?advance=1s")
        self.assertEqual(r.status, 405)
        self.assertIn("POST", r.headers["Allow"])


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="an-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_config_good(self):
        path = self.write("good.yml", "webhook:\n  max_body_size: 1MiB\n"
                          "  dedup_window: 5m\nstorage:\n  retention: 30d\n"
                          "identity:\n  replica_labels: [replica]\n")
        p = run("--check-config", "--config.file=" + path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration OK", p.stdout)
        # checking opens no store
        self.assertFalse(os.path.exists(os.path.join(self.dir, "data")))

    def test_check_config_shipped_config(self):
        p = run("--check-config", "--config.file=" +
                os.path.join(ROOT, "config", "alertnoised.yml"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration OK", p.stdout)

    def test_check_config_unknown_key(self):
        path = self.write("bad.yml", "web:\n  read_timeout: 10s\n"
                          "  bogus_key: 1\n")
        p = run("--check-config", "--config.file=" + path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout + p.stderr
        self.assertIn("bad.yml:3", out)
        self.assertIn("bogus_key", out)
        self.assertNotIn("configuration OK", out)

    def test_check_config_bad_duration(self):
        path = self.write("dur.yml", "# comment\nstorage:\n"
                          "  retention: 9x\n")
        p = run("--check-config", "--config.file=" + path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout + p.stderr
        self.assertIn("dur.yml:3", out)
        self.assertIn("storage.retention", out)
        self.assertIn("9x", out)

    def test_check_config_busy_timeout(self):
        for value, ok, words in (("300ms", True, ()),
                                 ("24d", True, ()),
                                 ("0s", False, ("greater than 0",)),
                                 ("25d", False, ("at most 24d",)),
                                 ("soon", False, ("soon",))):
            path = self.write("busy.yml", "storage:\n  busy_timeout: %s\n"
                              % value)
            p = run("--check-config", "--config.file=" + path)
            out = p.stdout + p.stderr
            self.assertEqual(p.returncode, 0 if ok else 1, (value, out))
            if ok:
                self.assertIn("configuration OK", out)
                continue
            self.assertIn("busy.yml:2", out)
            self.assertIn("storage.busy_timeout", out)
            for w in words:
                self.assertIn(w, out)

    def test_check_config_missing_file(self):
        p = run("--check-config", "--config.file=" +
                os.path.join(self.dir, "nope.yml"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("nope.yml", p.stdout + p.stderr)

    def test_version(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("alertnoised, version "),
                        p.stdout)

    def test_help_lists_every_flag(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        for f in FLAGS:
            self.assertIn(f, p.stdout)

    def test_unknown_flag(self):
        p = run("--no-such-flag")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--no-such-flag", p.stderr)

    def test_flag_without_value(self):
        p = run("--config.file")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--config.file", p.stderr)


GOOD = "webhook:\n  max_body_size: 4KiB\n"
SMALL = "webhook:\n  max_body_size: 1KiB\n"
# lowers the limit too: refusing it must refuse all of it
BROKEN = "webhook:\n  max_body_size: 1KiB\n  dedup_window: 5x\n"


class ReloadTest(unittest.TestCase):
    """POST /-/reload and SIGHUP: a good config is applied, a broken one
    changes nothing."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(GOOD).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def setUp(self):
        self.d.write_config(GOOD)
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 200, r.text)

    def reloads(self, result):
        return self.d.metric("alertnoise_config_reloads_total", result=result)

    def successful(self):
        return self.d.metric("alertnoise_config_last_reload_successful")

    def test_http_reload_applies_a_good_config(self):
        self.assertEqual(self.d.webhook(payload(2000)).status, 200)
        ok0 = self.reloads("success")
        self.d.write_config(SMALL)
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.reloads("success"), ok0 + 1)
        self.assertEqual(self.successful(), 1)
        r = self.d.webhook(payload(2000))
        self.assertEqual(r.status, 413, r.text)
        self.assertEqual(self.d.webhook(payload(900)).status, 200)

    def test_http_reload_of_a_broken_config_keeps_the_old_one(self):
        bad0 = self.reloads("failure")
        self.d.write_config(BROKEN)
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 500, r.text)
        self.assertIn("alertnoised.yml:3", r.text)
        self.assertIn("webhook.dedup_window", r.text)
        self.assertEqual(self.reloads("failure"), bad0 + 1)
        self.assertEqual(self.successful(), 0)
        # still the 4KiB limit
        r = self.d.webhook(payload(2000))
        self.assertEqual(r.status, 200, r.text)
        # a good reload afterwards sets the gauge back
        self.d.write_config(GOOD)
        self.assertEqual(self.d.post("/-/reload", None,
                                     content_type=None).status, 200)
        self.assertEqual(self.successful(), 1)

    def test_http_reload_error_never_quotes_the_file(self):
        """The config may be a symlink to any file the daemon can read: a
        failed reload over HTTP names the line and the known key, never
        the file's text (the log has the whole error)."""
        secret = "s3cr3t-value-from-the-file"
        self.d.write_config("webhook:\n  %s: 1\n" % secret)
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 500, r.text)
        self.assertIn("alertnoised.yml:2: webhook:", r.text)
        self.assertNotIn(secret, r.text)
        self.d.write_config("root:x:0:0:%s:/root:/bin/bash\n" % secret)
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 500, r.text)
        self.assertNotIn(secret, r.text)
        self.assertIn("--check-config", r.text)
        wait_for(lambda: secret in self.d.log(), what="the error logged")

    def test_sighup_with_a_broken_config_keeps_the_old_one(self):
        bad0 = self.reloads("failure")
        log0 = len(self.d.log())
        self.d.write_config("webhook:\n  max_body_size: 1KiB\n"
                            "  no_such_key: 1\n")
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.reloads("failure") == bad0 + 1,
                 what="the failed reload to be counted")
        self.assertEqual(self.successful(), 0)
        new = self.d.log()[log0:]
        errs = [l for l in new.splitlines()
                if logfmt_fields(l).get("level") == "error"]
        self.assertTrue(errs, new)
        self.assertIn("alertnoised.yml:3", errs[-1])
        self.assertIn("webhook.no_such_key", errs[-1])
        r = self.d.webhook(payload(2000))
        self.assertEqual(r.status, 200, r.text)

    def test_http_reload_needs_the_lifecycle_flag(self):
        """As in Prometheus, /-/reload over HTTP is off unless the daemon
        runs with --web.enable-lifecycle; SIGHUP still reloads."""
        d = Daemon(GOOD, lifecycle=False).start()
        self.addCleanup(d.cleanup)
        ok0 = d.metric("alertnoise_config_reloads_total", result="success")
        r = d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("Lifecycle API is not enabled", r.text)
        self.assertIn("--web.enable-lifecycle", r.text)
        self.assertEqual(d.metric("alertnoise_config_reloads_total",
                                  result="success"), ok0)
        self.assertEqual(d.metric("alertnoise_http_requests_total",
                                  handler="/-/reload", code="403"), 1)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.metric("alertnoise_config_reloads_total",
                                  result="success") == ok0 + 1,
                 what="SIGHUP to reload")

    def test_reload_with_a_body_is_refused(self):
        # /-/reload takes no body: one is refused, and the daemon lives on
        r = self.d.post("/-/reload", "x" * 100,
                        content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 413, r.text)
        self.assertEqual(self.d.get("/-/healthy").status, 200)
        self.assertIsNone(self.d.proc.poll())

    def test_busy_timeout_changes_only_at_restart(self):
        log0 = len(self.d.log())
        self.d.write_config(GOOD + "storage:\n  busy_timeout: 1s\n")
        r = self.d.post("/-/reload", None, content_type=None)
        self.assertEqual(r.status, 200, r.text)
        warns = [logfmt_fields(l) for l in self.d.log()[log0:].splitlines()
                 if "storage.busy_timeout" in l]
        self.assertEqual([(w["level"], w["running"], w["configured"])
                          for w in warns], [("warn", "5s", "1s")], warns)

    def test_sighup_with_a_good_config_applies_it(self):
        ok0 = self.reloads("success")
        self.d.write_config(SMALL)
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.reloads("success") == ok0 + 1,
                 what="the reload to be counted")
        self.assertEqual(self.successful(), 1)
        r = self.d.webhook(payload(2000))
        self.assertEqual(r.status, 413, r.text)


class HeldWebhook:
    """A webhook held in flight by an exclusive lock on the daemon's store:
    `with HeldWebhook(d, body) as h:` returns once the request is in
    flight; leaving the block lets the store go and waits for the answer,
    then in h.response (a Response, or the exception the client raised)."""

    def __init__(self, d, body):
        self.d, self.body, self.response = d, body, None
        self.thread = threading.Thread(target=self._send)

    def _send(self):
        try:
            self.response = self.d.webhook(self.body, timeout=15)
        except Exception as e:  # noqa: BLE001 -- the test reports it
            self.response = e

    def __enter__(self):
        self.lock = sqlite3.connect(os.path.join(self.d.storage,
                                                 "alertnoise.db"),
                                    timeout=2, isolation_level=None)
        self.lock.execute("BEGIN EXCLUSIVE")
        self.thread.start()
        wait_for(lambda: self.d.metric("alertnoise_http_requests_in_flight")
                 >= 2, timeout=5, what="the webhook to be in flight")
        return self

    def __exit__(self, *exc):
        self.lock.execute("ROLLBACK")
        self.lock.close()
        self.thread.join(20)
        return False


class ReloadWithRequestsInFlightTest(unittest.TestCase):
    """A reload never waits for requests: each keeps the configuration it
    started with, and the next one takes the new."""

    def test_reload_answers_while_a_write_waits_for_the_store(self):
        d = Daemon(GOOD).start()
        self.addCleanup(d.cleanup)
        self.assertEqual(d.webhook(payload(2000)).status, 200)
        # the held webhook holds the configuration it started with
        with HeldWebhook(d, payload(2000)) as h:
            d.write_config(SMALL)
            r = d.post("/-/reload", None, content_type=None, timeout=15)
            self.assertEqual(r.status, 200, r.text)
            self.assertTrue(h.thread.is_alive(), "the reload waited for "
                            "the webhook the store lock holds")
        # the held webhook was taken under the old limit (4 KiB) ...
        self.assertIsInstance(h.response, harness.Response, h.response)
        self.assertEqual(h.response.status, 200, h.response.text)
        # ... the next one under the new (1 KiB)
        r = d.webhook(payload(2000))
        self.assertEqual(r.status, 413, r.text)


class LogTest(unittest.TestCase):
    """Logs on stderr are logfmt (or JSON with --log.format=json)."""

    def traffic(self, d):
        self.assertEqual(d.webhook(payload()).status, 200)
        d.webhook('{"receiver": "a \\"quoted\\"\nname", ')    # bad JSON
        d.webhook(payload(), content_type="text/plain")
        d.write_config("bogus: \"x y\"\n")
        self.assertEqual(d.post("/-/reload", None, content_type=None).status,
                         500)
        d.write_config("")
        self.assertEqual(d.post("/-/reload", None, content_type=None).status,
                         200)
        ok0 = d.metric("alertnoise_config_reloads_total", result="success")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.metric("alertnoise_config_reloads_total",
                                  result="success") == ok0 + 1,
                 what="the SIGHUP reload")
        self.assertEqual(d.stop(), 0)

    def test_logfmt(self):
        d = Daemon("", extra_args=["--log.level=debug"]).start()
        self.addCleanup(d.cleanup)
        self.traffic(d)
        lines = d.log().splitlines()
        self.assertGreaterEqual(len(lines), 5)
        levels = set()
        for line in lines:
            self.assertRegex(line, LOGFMT_HEAD)
            self.assertRegex(line, LOGFMT_LINE)
            f = logfmt_fields(line)
            self.assertRegex(f["ts"], TS)
            levels.add(f["level"])
        self.assertTrue({"debug", "info", "error"} <= levels, levels)

    def test_json(self):
        d = Daemon("", extra_args=["--log.format=json",
                                   "--log.level=debug"]).start()
        self.addCleanup(d.cleanup)
        self.traffic(d)
        lines = d.log().splitlines()
        self.assertGreaterEqual(len(lines), 5)
        for line in lines:
            obj = json.loads(line)
            self.assertIsInstance(obj, dict)
            self.assertRegex(obj["ts"], TS)
            self.assertIn(obj["level"], ("debug", "info", "warn", "error"))
            self.assertIsInstance(obj["msg"], str)
            self.assertTrue(obj["msg"])

    def test_start_with_a_broken_config_logs_logfmt(self):
        d = Daemon("web:\n  listen_addres: x\n")
        self.addCleanup(d.cleanup)
        d.start(wait_ready=False)
        self.assertEqual(d.proc.wait(10), 1)
        lines = d.log().splitlines()
        self.assertTrue(lines)
        self.assertTrue(any("alertnoised.yml:2" in l and
                            "web.listen_addres" in l for l in lines), lines)
        for line in lines:
            self.assertRegex(line, LOGFMT_HEAD)

    def test_start_with_a_broken_config_logs_json(self):
        d = Daemon("web:\n  listen_addres: x\n",
                   extra_args=["--log.format=json"])
        self.addCleanup(d.cleanup)
        d.start(wait_ready=False)
        self.assertEqual(d.proc.wait(10), 1)
        lines = d.log().splitlines()
        self.assertTrue(any("web.listen_addres" in l for l in lines), lines)
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                self.fail("not a JSON log line: %r" % line)
            self.assertEqual(obj["level"], "error")
            self.assertTrue(obj["msg"])


class LifecycleTest(unittest.TestCase):
    """SIGTERM, SIGKILL and restarts on the same store."""

    def test_sigterm_then_restart_keeps_everything(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        name = uniq("Life")
        starts = now_ms() - 60000
        labels = {"alertname": name, "instance": "a"}
        firing = make_notification([make_alert(labels, starts)])
        other = payload()
        for p in (firing, other):
            self.assertEqual(d.webhook(p).status, 200)
        before = d.counts()
        self.assertEqual(d.stop(signal.SIGTERM, timeout=30), 0)
        lines = d.log().splitlines()
        self.assertTrue(any(re.search(r"(?i)(shut|exit|stop|bye|see you)",
                                      logfmt_fields(l).get("msg", ""))
                            for l in lines[-3:]), lines[-3:])
        # the store holds it all with the daemon gone
        db = os.path.join(d.storage, "alertnoise.db")
        with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as c:
            got = {t: c.execute("SELECT count(*) FROM " + t).fetchone()[0]
                   for t in harness.STORE_TABLES}
            self.assertEqual(got, before)
            self.assertEqual(c.execute(
                "SELECT count(*) FROM episodes WHERE alertname = ? AND"
                " resolved_at IS NULL", (name,)).fetchone()[0], 1)

        d2 = Daemon("", storage=d.storage).start()
        self.addCleanup(d2.cleanup)
        self.assertEqual(d2.get("/-/ready").status, 200)
        self.assertEqual(d2.counts(), before)
        # what was received before the restart is still known: a retry is a
        # duplicate, and the resolve closes the episode opened before
        r = d2.webhook(other)
        self.assertEqual(r.json()["data"]["result"], "duplicate")
        r = d2.webhook(make_notification([make_alert(labels, starts,
                                                     ends_ms=starts + 5000)]))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["data"]["episodesResolved"], 1)
        eps = d2.query("SELECT firing_at, resolved_at FROM episodes WHERE"
                       " alertname = ?", name)
        self.assertEqual([(e["firing_at"], e["resolved_at"]) for e in eps],
                         [(starts, starts + 5000)])
        self.assertEqual(d2.count("notifications"),
                         before["notifications"] + 1)

    def test_a_second_daemon_on_the_same_store_exits_naming_the_first(self):
        """Two daemons on one store would each keep their own model and
        lose acknowledged episodes: the second exits 1 naming the first's
        PID, touching nothing; once the first dies (even kill -9), the
        store can be opened again."""
        a = Daemon("").start()
        self.addCleanup(a.cleanup)
        self.assertEqual(a.webhook(payload()).status, 200)
        before = a.counts()
        b = Daemon("", storage=a.storage).start(wait_ready=False)
        self.addCleanup(b.cleanup)
        self.assertEqual(b.proc.wait(30), 1)
        err = [logfmt_fields(l) for l in b.log().splitlines()
               if "lock" in l]
        self.assertTrue(err, b.log())
        self.assertIn("PID %d" % a.proc.pid, err[-1].get("err", ""))
        self.assertIn("one daemon per store", err[-1].get("err", ""))
        self.assertEqual(a.get("/-/ready").status, 200)
        self.assertEqual(a.counts(), before)
        a.stop(signal.SIGKILL)
        c = Daemon("", storage=a.storage).start()
        self.addCleanup(c.cleanup)
        self.assertEqual(c.counts(), before)
        with open(os.path.join(a.storage, "lock")) as f:
            self.assertEqual(f.read().strip(), str(c.proc.pid))

    def test_sigterm_lets_a_request_in_flight_finish(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        self.assertEqual(d.webhook(payload()).status, 200)
        def draining():
            for line in d.log().splitlines():
                f = logfmt_fields(line)
                if f.get("msg") == "Waiting for requests in flight to " \
                        "finish":
                    return f
            return None
        # a store lock keeps the next request in flight while SIGTERM comes
        with HeldWebhook(d, payload()) as h:
            d.proc.send_signal(signal.SIGTERM)
            # the daemon took the signal, stopped listening, and waits
            # for the webhook the lock holds
            f = wait_for(draining, timeout=10,
                         what="the daemon to wait for the request")
            self.assertGreaterEqual(int(f["requests"]), 1, f)
            self.assertEqual(f["timeout"], "30s", f)
            self.assertIsNone(d.proc.poll(), "exited with a request in "
                              "flight")
            self.assertTrue(h.thread.is_alive(), "the request ended while "
                            "the store was locked")
        self.assertIsInstance(h.response, harness.Response, h.response)
        self.assertEqual(h.response.status, 200, h.response.text)
        self.assertEqual(d.proc.wait(20), 0)
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(
                d.storage, "alertnoise.db"), uri=True) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM notifications")
                             .fetchone()[0], 2)

    def test_sigkill_loses_no_acknowledged_notification(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        bodies = [payload() for _ in range(3)]
        for b in bodies:
            self.assertEqual(d.webhook(b).status, 200)
        d.proc.kill()
        d.proc.wait(10)
        c = sqlite3.connect(os.path.join(d.storage, "alertnoise.db"))
        try:
            self.assertEqual(c.execute("SELECT count(*) FROM notifications")
                             .fetchone()[0], 3)
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()

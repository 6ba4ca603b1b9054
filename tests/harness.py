"""harness.py -- what the integration and end-to-end tests share.

Starts the real alertnoised binary on an ephemeral loopback port with a
temporary store, speaks HTTP to it, reads its SQLite store and its /metrics.
Everything listens on 127.0.0.1 only, and every process is stopped at the
end of its test (or at exit)."""
import atexit
import base64
import calendar
import http.client as httpclient
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("AN_BUILD", os.path.join(ROOT, "build"))
BINARY = os.path.join(BUILD, "alertnoised")
DATA = os.path.join(ROOT, "tests", "data")

_procs = []


@atexit.register
def _kill_all():
    for p in _procs:
        if p.poll() is None:
            p.kill()


def free_port():
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout=10.0, interval=0.05, what="condition"):
    """Polls cond() until it returns a truthy value; fails after timeout.
    what names the condition in the failure; a callable what is called
    then, so the message can say how far the condition got."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %gs waiting for %s" % (
                timeout, what() if callable(what) else what))
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def basic_auth(user, password):
    """The value of an Authorization header for basic auth."""
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()


def http(method, url, body=None, headers=None, timeout=30, context=None,
         auth=None):
    """One HTTP request; returns a Response for every status code. context:
    an ssl.SSLContext for https URLs; auth: (user, password) sent as basic
    auth."""
    if isinstance(body, str):
        body = body.encode()
    headers = dict(headers or {})
    if auth is not None:
        headers["Authorization"] = basic_auth(*auth)
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=context) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} from text format 0.0.4."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            raise AssertionError("bad metrics line: " + line)
        labels = {}
        if m.group(3):
            for lm in re.finditer(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                  m.group(3)):
                labels[lm.group(1)] = lm.group(2)
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


class Daemon:
    """A running alertnoised. config is the YAML text of its config file.
    web_config, when given, is the text of its --web.config.file (written
    next to the config); ssl_context (an ssl.SSLContext) makes every request
    of the harness https, auth ((user, password)) sends basic auth with
    each."""

    def __init__(self, config="", extra_args=(), storage=None,
                 lifecycle=True, web_config=None, ssl_context=None,
                 auth=None):
        self.dir = tempfile.mkdtemp(prefix="an-test-")
        self.storage = storage or os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "alertnoised.yml")
        self.write_config(config)
        self.port = free_port()
        self.ssl_context = ssl_context
        self.auth = auth
        self.url = "%s://127.0.0.1:%d" % (
            "https" if ssl_context is not None else "http", self.port)
        self.web_config_path = None
        if web_config is not None:
            self.web_config_path = os.path.join(self.dir, "web.yml")
            self.write_web_config(web_config)
            extra_args = ["--web.config.file=" + self.web_config_path
                          ] + list(extra_args)
        self.log_path = os.path.join(self.dir, "daemon.log")
        # POST /-/reload is served only with --web.enable-lifecycle; the
        # tests reload over HTTP unless they test that it is off
        self.extra_args = (["--web.enable-lifecycle"] if lifecycle else []
                           ) + list(extra_args)
        self.proc = None

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def write_web_config(self, text):
        with open(self.web_config_path, "w") as f:
            f.write(text)

    def start(self, wait_ready=True):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BINARY, "--config.file=" + self.config_path,
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--storage.path=" + self.storage] + self.extra_args,
            stdout=self._log, stderr=subprocess.STDOUT)
        _procs.append(self.proc)
        if wait_ready:
            wait_for(self._ready, what="alertnoised to be ready")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("alertnoised exited with %d:\n%s" %
                                 (self.proc.returncode, self.log()))
        try:
            return http("GET", self.url + "/-/ready", timeout=1,
                        context=self.ssl_context).status == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the daemon; returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def get(self, path, **kw):
        kw.setdefault("context", self.ssl_context)
        kw.setdefault("auth", self.auth)
        return http("GET", self.url + path, **kw)

    def post(self, path, body=None, content_type="application/json", **kw):
        headers = kw.pop("headers", {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        kw.setdefault("context", self.ssl_context)
        kw.setdefault("auth", self.auth)
        return http("POST", self.url + path, body=body, headers=headers, **kw)

    def webhook(self, payload, **kw):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        return self.post("/api/v1/webhook", body, **kw)

    def advance_clock(self, duration):
        """Moves the clock of a daemon started with --test.clock forward by
        duration (a Prometheus duration, "1500ms"). Returns, once the timers
        that came due have run, the daemon's new time in ms."""
        r = self.post("/-/test/clock?advance=" + duration, content_type=None)
        assert r.status == 200, (r.status, r.text)
        return parse_rfc3339_ms(r.text.strip())

    def metrics(self):
        r = self.get("/metrics")
        assert r.status == 200, r.status
        return parse_metrics(r.text)

    def metric(self, name, **labels):
        """The value of one sample, 0 when absent."""
        return self.metrics().get((name, frozenset(labels.items())), 0.0)

    def db(self):
        """A read-only connection to the daemon's store."""
        path = os.path.join(self.storage, "alertnoise.db")
        c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def query(self, sql, *args):
        with self.db() as c:
            return [dict(r) for r in c.execute(sql, args).fetchall()]

    def count(self, table):
        return self.query("SELECT count(*) AS n FROM " + table)[0]["n"]

    def counts(self):
        """Row counts of every table of the store, {table: n}."""
        return {t: self.count(t) for t in STORE_TABLES}

    def post_chunked(self, path, chunks, content_type="application/json",
                     timeout=30):
        """POSTs the chunks with Transfer-Encoding: chunked (no
        Content-Length); returns a Response."""
        conn = httpclient.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            conn.request("POST", path, body=iter(chunks),
                         headers={"Content-Type": content_type},
                         encode_chunked=True)
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def cleanup(self):
        """Stops the daemon (SIGKILL if SIGTERM is not enough) and removes
        its temporary directory."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SeededDaemonTest(unittest.TestCase):
    """A daemon started once for the class with DAEMON_CONFIG and filled by
    the class's seed(); cleaned up when seeding fails and after the class."""
    DAEMON_CONFIG = ""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.DAEMON_CONFIG).start()
        try:
            cls.seed()
        except BaseException:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    @classmethod
    def seed(cls):
        pass


def load_data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


# --- building Alertmanager webhook payloads --------------------------------

STORE_TABLES = ("notifications", "notification_alerts", "identities",
                "episodes")
GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def vm_hwm_kb(pid):
    """The peak resident set size of a process (VmHWM), in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


def sanitized():
    """Whether the binary under test is built with AddressSanitizer, whose
    allocator keeps freed memory in quarantine: memory bounds are the real
    binary's, and a sanitized one is allowed twice as much."""
    with open(BINARY, "rb") as f:
        return b"__asan_init" in f.read()


def now_ms():
    return int(time.time() * 1000)


def rfc3339(ms):
    """Milliseconds since the epoch as Alertmanager writes them (UTC)."""
    secs, rem = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + \
        (".%03dZ" % rem if rem else "Z")


def parse_rfc3339_ms(s):
    """The milliseconds of a UTC RFC 3339 time ending in Z (Go's zero time
    gives None). Digits past the millisecond are cut, as the daemon does."""
    if s.startswith("0001-01-01T00:00:00"):
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", s)
    if not m:
        raise ValueError("not a UTC RFC 3339 time: " + s)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    frac = (m.group(2) or "")[:3].ljust(3, "0")
    return secs * 1000 + int(frac)


def fingerprint(labels):
    """Alertmanager's alert fingerprint (prometheus/common
    model.LabelSet.Fingerprint: FNV-1a 64 over the sorted names and values,
    each followed by 0xff), as 16 hex digits."""
    h = 14695981039346656037
    for name in sorted(labels, key=lambda n: n.encode()):
        for b in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def make_alert(labels, starts_ms, ends_ms=None, status=None, annotations=None,
               generator_url="http://prometheus:9090/graph?g0.expr=up",
               with_fingerprint=True):
    """One alert as Alertmanager 0.25 puts it in a webhook: a firing alert
    has Go's zero endsAt; status defaults from ends_ms."""
    if status is None:
        status = "resolved" if ends_ms is not None else "firing"
    a = {"status": status, "labels": dict(labels),
         "annotations": dict(annotations or {}),
         "startsAt": rfc3339(starts_ms),
         "endsAt": rfc3339(ends_ms) if ends_ms is not None else GO_ZERO_TIME,
         "generatorURL": generator_url}
    if with_fingerprint:
        a["fingerprint"] = fingerprint(labels)
    return a


def make_notification(alerts, receiver="team-x", group_by=("alertname",),
                      external_url="http://alertmanager:9093",
                      truncated=0, status=None):
    """A version 4 webhook payload grouping alerts as Alertmanager would."""
    if status is None:
        status = "firing" if any(a["status"] == "firing" for a in alerts) \
            else "resolved"
    common = dict(alerts[0]["labels"]) if alerts else {}
    for a in alerts[1:]:
        common = {k: v for k, v in common.items()
                  if a["labels"].get(k) == v}
    group = {k: alerts[0]["labels"][k] for k in group_by
             if alerts and k in alerts[0]["labels"]}
    key = "{}:{" + ", ".join('%s="%s"' % (k, group[k])
                             for k in sorted(group)) + "}"
    return {"receiver": receiver, "status": status, "alerts": alerts,
            "groupLabels": group, "commonLabels": common,
            "commonAnnotations": {}, "externalURL": external_url,
            "version": "4", "groupKey": key, "truncatedAlerts": truncated}


def post_episode(d, labels, start_ms, end_ms, receiver="team-x",
                 external_url="http://alertmanager:9093", **alert_kw):
    """Posts one episode to daemon d as Alertmanager notifies it: the alert
    firing, then resolved at end_ms, each in a notification of its own to
    receiver (alert_kw: make_alert's annotations, generator_url). Asserts
    both are acknowledged."""
    a = make_alert(labels, start_ms, end_ms, **alert_kw)
    for x in (dict(a, status="firing", endsAt=GO_ZERO_TIME), a):
        r = d.webhook(make_notification([x], receiver=receiver,
                                        external_url=external_url))
        assert r.status == 200, (r.status, r.text)

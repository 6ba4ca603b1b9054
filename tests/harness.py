"""harness.py -- what the integration and end-to-end tests share.

Starts the real alertnoised binary on an ephemeral loopback port with a
temporary store, speaks HTTP to it, reads its SQLite store and its /metrics.
Everything listens on 127.0.0.1 only, and every process is stopped at the
end of its test (or at exit)."""
import atexit
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
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
    """Polls cond() until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
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


def http(method, url, body=None, headers=None, timeout=30):
    """One HTTP request; returns a Response for every status code."""
    if isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
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
    """A running alertnoised. config is the YAML text of its config file."""

    def __init__(self, config="", extra_args=(), storage=None):
        self.dir = tempfile.mkdtemp(prefix="an-test-")
        self.storage = storage or os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "alertnoised.yml")
        self.write_config(config)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.extra_args = list(extra_args)
        self.proc = None

    def write_config(self, text):
        with open(self.config_path, "w") as f:
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
            return http("GET", self.url + "/-/ready", timeout=1).status == 200
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
        return http("GET", self.url + path, **kw)

    def post(self, path, body=None, content_type="application/json", **kw):
        headers = kw.pop("headers", {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        return http("POST", self.url + path, body=body, headers=headers, **kw)

    def webhook(self, payload, **kw):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        return self.post("/api/v1/webhook", body, **kw)

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


def load_data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()

"""test_import.py -- `alertnoised import` backfills episodes from a real
Prometheus (Debian's 2.42) over its HTTP API.

One Prometheus runs for the whole class on loopback with a 1 s evaluation
interval and three alerting rules: Steady (firing from the start), Pend
(pending for an hour) and Flap (true 5 s of every 10 s, for: 2s: pending,
firing, resolved, again). Once Prometheus' own API shows Flap fired twice,
the history is imported and the episodes are compared with what Prometheus
itself answers for the same range."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import BINARY, Daemon, free_port, http, wait_for

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
STEP_MS = 1000
# the longest Prometheus may take to fire Flap twice: up to 10 s to the
# start of a true phase, 2 s of for:, 10 s to the next one
HISTORY_TIMEOUT = 60

RULES = """\
groups:
  - name: import
    rules:
      - alert: Steady
        expr: vector(1)
        for: 0s
        labels:
          severity: critical
      - alert: Pend
        expr: vector(1)
        for: 1h
      - alert: Flap
        expr: vector(time() % 10) < 5
        for: 2s
"""

PROM_CONFIG = """\
global:
  evaluation_interval: 1s
  scrape_interval: 1s
  external_labels:
    cluster: import-test
    replica: a
rule_files:
  - %s
"""

PROGRESS = re.compile(
    r"^import: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. "
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  \d+ samples  \d+ series  "
    r"\((\d+)/(\d+) chunks\)$", re.M)
DONE = re.compile(r"^import: done: (\d+) samples applied, (\d+) episodes "
                  r"opened, (\d+) resolved$", re.M)


@unittest.skipUnless(os.path.exists(PROMETHEUS) and os.path.exists(PROMTOOL),
                     "Debian's prometheus package is missing")
class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="an-import-")
        cls.prom = None
        try:
            cls._start_prometheus()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start_prometheus(cls):
        rules = os.path.join(cls.dir, "rules.yml")
        config = os.path.join(cls.dir, "prometheus.yml")
        with open(rules, "w") as f:
            f.write(RULES)
        with open(config, "w") as f:
            f.write(PROM_CONFIG % rules)
        for what, path in (("rules", rules), ("config", config)):
            r = subprocess.run([PROMTOOL, "check", what, path],
                               capture_output=True, text=True, timeout=20)
            assert r.returncode == 0, r.stdout + r.stderr
        cls.port = free_port()
        cls.url = "http://127.0.0.1:%d" % cls.port
        cls.prom_log = open(os.path.join(cls.dir, "prometheus.log"), "wb")
        cls.prom = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(cls.dir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % cls.port],
            stdout=cls.prom_log, stderr=subprocess.STDOUT)
        harness._procs.append(cls.prom)

        def ready():
            if cls.prom.poll() is not None:
                raise AssertionError("prometheus exited")
            try:
                return http("GET", cls.url + "/-/ready",
                            timeout=1).status == 200
            except OSError:
                return False
        wait_for(ready, timeout=20, what="prometheus to be ready")
        # Prometheus makes its history in real time: wait until it holds
        # what the tests compare, Flap fired twice (and so resolved once),
        # up to a fixed end a little in the past, so every import and the
        # test's own queries see the same data
        wait_for(cls._flap_fired_twice, timeout=HISTORY_TIMEOUT,
                 interval=0.5, what="Prometheus to fire Flap twice")

    @classmethod
    def _flap_fired_twice(cls):
        """Sets cls.start and cls.until when Flap's firing series has two
        runs in Prometheus up to a second ago; returns whether it has."""
        if cls.prom.poll() is not None:
            raise AssertionError("prometheus exited")
        until = int(time.time()) - 1
        start = until - 300
        form = urllib.parse.urlencode({
            "query": 'ALERTS{alertname="Flap",alertstate="firing"}',
            "start": start, "end": until, "step": STEP_MS / 1000})
        r = http("POST", cls.url + "/api/v1/query_range", body=form,
                 headers={"Content-Type":
                          "application/x-www-form-urlencoded"})
        if r.status != 200:
            return False
        steps = sorted(round(float(t) * 1000)
                       for s in r.json()["data"]["result"]
                       for t, _ in s["values"])
        runs = sum(1 for i, ms in enumerate(steps)
                   if i == 0 or ms - steps[i - 1] > STEP_MS)
        if runs < 2:
            return False
        cls.start, cls.until = start, until
        return True

    @classmethod
    def tearDownClass(cls):
        if cls.prom is not None and cls.prom.poll() is None:
            cls.prom.kill()
            cls.prom.wait(10)
        if getattr(cls, "prom_log", None) is not None:
            cls.prom_log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    # --- helpers -----------------------------------------------------------

    def store_dir(self):
        return tempfile.mkdtemp(prefix="store-", dir=self.dir)

    def run_import(self, storage, *extra, url=None, timeout=30):
        cfg = os.path.join(self.dir, "alertnoised.yml")
        if not os.path.exists(cfg):
            with open(cfg, "w") as f:
                f.write("")
        return subprocess.run(
            [BINARY, "import", "--prometheus.url=" + (url or self.url),
             "--since=5m", "--until=%d" % self.until,
             "--storage.path=" + storage, "--config.file=" + cfg] +
            list(extra), capture_output=True, text=True, timeout=timeout)

    def query(self, storage, sql, *args):
        path = os.path.join(storage, "alertnoise.db")
        c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in c.execute(sql, args).fetchall()]
        finally:
            c.close()

    def counts(self, storage):
        return {t: self.query(storage, "SELECT count(*) AS n FROM " + t)[0]
                ["n"] for t in harness.STORE_TABLES}

    def episodes(self, storage, alertname=None):
        sql = ("SELECT e.id, e.alertname, e.pending_at, e.firing_at,"
               " e.resolved_at, e.sources, i.labels FROM episodes e"
               " JOIN identities i USING (identity)")
        if alertname is None:
            return self.query(storage, sql + " ORDER BY e.alertname, e.id")
        return self.query(storage, sql + " WHERE e.alertname = ? ORDER BY"
                       " coalesce(e.pending_at, e.firing_at)", alertname)

    def query_range(self, query):
        form = urllib.parse.urlencode({
            "query": query, "start": self.start, "end": self.until,
            "step": STEP_MS / 1000})
        r = http("POST", self.url + "/api/v1/query_range", body=form,
                 headers={"Content-Type":
                          "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]["result"]

    def expected_flap(self):
        """Flap's episodes as Prometheus' own range query shows them: runs
        of consecutive steps where a pending or firing series is present,
        dated by ALERTS_FOR_STATE (activeAt)."""
        state = {}
        for s in self.query_range('ALERTS{alertname="Flap"}'):
            for t, _ in s["values"]:
                ms = round(float(t) * 1000)
                if s["metric"]["alertstate"] == "firing" or ms not in state:
                    state[ms] = s["metric"]["alertstate"]
        active_at = {}
        for s in self.query_range('ALERTS_FOR_STATE{alertname="Flap"}'):
            for t, v in s["values"]:
                active_at[round(float(t) * 1000)] = round(float(v) * 1000)
        end = self.until * 1000
        runs = []
        for ms in sorted(state):
            if runs and ms - runs[-1]["last"] == STEP_MS:
                run = runs[-1]
            else:
                run = {"first": ms, "firing_at": None}
                runs.append(run)
            run["last"] = ms
            if state[ms] == "firing" and run["firing_at"] is None:
                run["firing_at"] = ms
        for run in runs:
            run["pending_at"] = active_at.get(run["first"])
            after = run["last"] + STEP_MS
            run["resolved_at"] = after if after <= end else None
        return runs

    def assert_imported(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        progress = PROGRESS.findall(r.stderr)
        self.assertTrue(progress, r.stderr)
        self.assertEqual(progress[-1][0], progress[-1][1], r.stderr)
        self.assertRegex(r.stderr, DONE)

    # --- tests -------------------------------------------------------------

    def test_episodes_match_prometheus(self):
        storage = self.store_dir()
        r = self.run_import(storage)
        self.assert_imported(r)
        self.assertIn("step 1s", r.stderr)	# from /api/v1/rules

        steady = self.episodes(storage, "Steady")
        self.assertEqual(len(steady), 1, steady)
        self.assertIsNotNone(steady[0]["firing_at"])
        self.assertIsNone(steady[0]["resolved_at"])
        # external labels are added as remote write does; replica is not
        # part of the identity
        self.assertEqual(json.loads(steady[0]["labels"]),
                         {"alertname": "Steady", "cluster": "import-test",
                          "severity": "critical"})

        pend = self.episodes(storage, "Pend")
        self.assertEqual(len(pend), 1, pend)
        self.assertIsNotNone(pend[0]["pending_at"])
        self.assertIsNone(pend[0]["firing_at"])
        self.assertIsNone(pend[0]["resolved_at"])

        flap = self.episodes(storage, "Flap")
        fired = [e for e in flap if e["firing_at"] is not None]
        self.assertGreaterEqual(len(fired), 2, flap)
        for e in flap[:-1]:
            self.assertIsNotNone(e["resolved_at"], flap)
        expected = self.expected_flap()
        self.assertEqual(len(flap), len(expected), (flap, expected))
        for got, want in zip(flap, expected):
            for k in ("pending_at", "firing_at", "resolved_at"):
                if want[k] is None:
                    self.assertIsNone(got[k], (k, got, want))
                else:
                    self.assertIsNotNone(got[k], (k, got, want))
                    self.assertLessEqual(abs(got[k] - want[k]),
                                         2 * STEP_MS, (k, got, want))

        for e in self.episodes(storage):
            self.assertEqual(e["sources"], "import", e)

        # the same range again stores nothing new
        before = self.counts(storage)
        r = self.run_import(storage)
        self.assert_imported(r)
        self.assertRegex(r.stderr, r"import: done: 0 samples applied, "
                         r"0 episodes opened, 0 resolved")
        self.assertEqual(self.counts(storage), before)

    def test_small_chunks_same_episodes(self):
        whole, chunked = self.store_dir(), self.store_dir()
        self.assert_imported(self.run_import(whole))
        r = self.run_import(chunked, "--chunk=7s")
        self.assert_imported(r)
        self.assertGreater(len(PROGRESS.findall(r.stderr)), 40, r.stderr)

        def rows(storage):
            return [(e["alertname"], e["pending_at"], e["firing_at"],
                     e["resolved_at"]) for e in self.episodes(storage)]
        self.assertEqual(rows(chunked), rows(whole))

    def test_while_daemon_runs(self):
        d = Daemon("").start()
        try:
            r = self.run_import(d.storage)
            self.assert_imported(r)
            self.assertEqual(d.get("/-/healthy").status, 200)
            names = {e["alertname"] for e in d.query(
                "SELECT alertname FROM episodes")}
            self.assertEqual(names, {"Steady", "Pend", "Flap"})
        finally:
            d.cleanup()

    def test_unreachable_server(self):
        storage = self.store_dir()
        r = self.run_import(storage,
                            url="http://127.0.0.1:%d" % free_port())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"alertnoised import: error: .*"
                         r"127\.0\.0\.1.*(connect|Connect)")
        self.assertNotRegex(r.stderr, DONE)

    def test_http_error(self):
        storage = self.store_dir()
        r = self.run_import(storage, "--step=1s",
                            url=self.url + "/no/such/prefix")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"alertnoised import: error: .*HTTP 404")

    def test_bad_flags(self):
        storage = self.store_dir()
        for extra, url in ((("--step=1s",), "ftp://127.0.0.1/"),
                           (("--step=1s", "--chunk=20000s"), None),
                           (("--since=soon",), None),
                           (("--until=yesterday",), None),
                           (("--bogus",), None)):
            r = self.run_import(storage, *extra, url=url)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            self.assertIn("alertnoised import: error:", r.stderr)


if __name__ == "__main__":
    unittest.main()

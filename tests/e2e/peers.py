"""peers.py -- the real Prometheus and Alertmanager, started on loopback.

Debian's prometheus (2.42) and prometheus-alertmanager (0.25). Each peer
gets a temporary directory, a free 127.0.0.1 port, and is killed when the
test ends (or at exit). Configs are checked with promtool / amtool before
the peer starts, so a config the tests ship that a user could not load fails
the test."""
import os
import shutil
import subprocess
import tempfile

import harness

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"


def check(argv):
    """Runs a checker; raises with its output unless it exits 0."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("%s failed:\n%s%s" % (" ".join(argv), r.stdout,
                                                    r.stderr))
    return r.stdout


class Peer:
    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="an-%s-" % name)
        self.port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.log_path = os.path.join(self.dir, name + ".log")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def _start(self, argv, ready_path):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        harness._procs.append(self.proc)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("%s exited:\n%s" % (argv[0], self.log()))
            try:
                return harness.http("GET", self.url + ready_path,
                                    timeout=1).status == 200
            except OSError:
                return False
        harness.wait_for(ready, timeout=30, what=argv[0] + " to be ready")
        return self

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def metrics(self):
        """The peer's own /metrics: {(name, frozenset(labels)): value}."""
        r = harness.http("GET", self.url + "/metrics", timeout=10)
        assert r.status == 200, r.text
        return harness.parse_metrics(r.text)

    def metric_sum(self, name, metrics=None):
        """The sum of every series of one metric (0 when there is none)."""
        m = self.metrics() if metrics is None else metrics
        return sum(v for (n, _), v in m.items() if n == name)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Alertmanager(Peer):
    def __init__(self, config):
        super().__init__("alertmanager")
        self.config = self.write("alertmanager.yml", config)
        check([AMTOOL, "check-config", self.config])

    def start(self):
        return self._start([
            ALERTMANAGER, "--config.file=" + self.config,
            "--storage.path=" + os.path.join(self.dir, "data"),
            "--web.listen-address=127.0.0.1:%d" % self.port,
            "--cluster.listen-address=", "--log.level=debug"], "/-/ready")

    def alerts(self):
        return harness.http("GET", self.url + "/api/v2/alerts").json()

    def notifications_sent(self):
        """The webhook notifications Alertmanager has sent or is sending:
        alertmanager_notifications_total counts one when a notification
        starts (before its retries), the _failed_ one when it gave up."""
        m = self.metrics()
        return int(self.metric_sum("alertmanager_notifications_total", m) -
                   self.metric_sum("alertmanager_notifications_failed_total",
                                   m))


class Prometheus(Peer):
    def __init__(self, config, rules):
        super().__init__("prometheus")
        self.rules = self.write("rules.yml", rules)
        self.config = self.write("prometheus.yml",
                                 config.replace("RULES", self.rules))
        check([PROMTOOL, "check", "rules", self.rules])
        check([PROMTOOL, "check", "config", self.config])

    def start(self):
        return self._start([
            PROMETHEUS, "--config.file=" + self.config,
            "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
            "--web.listen-address=127.0.0.1:%d" % self.port,
            # alerts evaluated before Alertmanager is discovered are
            # dropped; resend within a second, not the default minute
            "--rules.alert.resend-delay=1s"], "/-/ready")

    def remote_write_sent_through(self, t):
        """Whether the remote-write receiver has answered every sample
        Prometheus remote-wrote with a timestamp before t (seconds since
        the epoch). A shard sends samples in the order they were appended
        to the WAL (rule evaluations append in time order), one batch at a
        time, and the queue raises its highest sent timestamp (whole
        seconds, floored) once a batch was answered (2xx, or an error it
        does not retry), so a sent sample at or after t means all before
        it were answered. More than one shard may send out of order: then
        nothing may be pending either. Returns the lowest queue's highest
        sent timestamp, or None."""
        m = self.metrics()
        sent = [v for (n, _), v in m.items() if n == "prometheus_remote_"
                "storage_queue_highest_sent_timestamp_seconds"]
        if not sent or min(sent) < t:
            return None
        if self.metric_sum("prometheus_remote_storage_shards", m) > 1 and \
                self.metric_sum("prometheus_remote_storage_samples_pending",
                                m) > 0:
            return None
        return min(sent)

    def rules_evaluated_since(self, t):
        """Whether every rule group has been evaluated at or after t
        (seconds since the epoch), and there is at least one group."""
        last = [v for (n, _), v in self.metrics().items() if n ==
                "prometheus_rule_group_last_evaluation_timestamp_seconds"]
        return bool(last) and min(last) >= t

    def query_range(self, query, start, end, step=1):
        import urllib.parse
        q = urllib.parse.urlencode({"query": query, "start": start,
                                    "end": end, "step": step})
        r = harness.http("GET", self.url + "/api/v1/query_range?" + q)
        assert r.status == 200, r.text
        return r.json()["data"]["result"]


def runs(values, step):
    """[(first, last)] of consecutive query_range points (seconds)."""
    out = []
    for ts, _ in values:
        ts = float(ts)
        if out and ts - out[-1][1] <= step * 1.5:
            out[-1][1] = ts
        else:
            out.append([ts, ts])
    return [tuple(r) for r in out]


def merged_runs(results, step):
    """The union of the runs of every series of query_range results (both
    HA replicas'): the timeline alertnoise records for them."""
    spans = []
    for series in results:
        spans += runs(series["values"], step)
    spans.sort()
    out = []
    for a, b in spans:
        if out and a <= out[-1][1] + step * 1.5:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out

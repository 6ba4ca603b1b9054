"""test_tls_auth.py -- Debian's Prometheus 2.42 remote-writes and its
Alertmanager 0.25 notifies the real alertnoised over TLS with basic auth,
as a user who turned --web.config.file on configures them: remote_write's
basic_auth and tls_config.ca_file, webhook_configs' http_config. An alert
that fires reaches the store by both ways (one episode, both sources), and
neither peer is refused once."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
import peers  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import test_webconfig as webconfig  # noqa: E402

RULES = """
groups:
  - name: tls
    interval: 1s
    rules:
      - alert: OverTLS
        expr: vector(1)
"""

PROMETHEUS = """
global:
  evaluation_interval: 1s
rule_files: [RULES]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["AM"]
remote_write:
  - url: DAEMON/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}
    basic_auth: {username: prometheus, password: prom-pw}
    tls_config: {ca_file: CA}
    write_relabel_configs:
      - source_labels: [__name__]
        regex: ALERTS|ALERTS_FOR_STATE
        action: keep
"""

ALERTMANAGER = """
route:
  receiver: alertnoise
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: alertnoise
    webhook_configs:
      - url: DAEMON/api/v1/webhook
        send_resolved: true
        http_config:
          basic_auth: {username: alertmanager, password: am-pw}
          tls_config: {ca_file: CA}
"""

DAEMON_CONFIG = """
web:
  authorization:
    ingest: [prometheus, alertmanager]
    read: [reader]
    admin: []
"""


class TLSAuthEndToEnd(unittest.TestCase):
    def setUp(self):
        for b in (peers.PROMETHEUS, peers.ALERTMANAGER):
            if not os.path.exists(b):
                raise unittest.SkipTest(b + " is not installed")
        self.certs = tempfile.mkdtemp(prefix="an-certs-")
        self.addCleanup(shutil.rmtree, self.certs, True)
        webconfig.make_certs(self.certs)
        ca = os.path.join(self.certs, "ca.crt")
        users = "".join("  %s: '%s'\n" % (u, webconfig.bcrypt(p)) for u, p in
                        (("prometheus", "prom-pw"), ("alertmanager", "am-pw"),
                         ("reader", "read-pw")))
        self.d = harness.Daemon(
            DAEMON_CONFIG, web_config="tls_server_config:\n  cert_file: %s\n"
            "  key_file: %s\nbasic_auth_users:\n%s" % (
                os.path.join(self.certs, "server.crt"),
                os.path.join(self.certs, "server.key"), users),
            ssl_context=webconfig.client_context_of(ca),
            auth=("reader", "read-pw"))
        self.addCleanup(self.d.cleanup)
        self.d.start()
        self.am = peers.Alertmanager(ALERTMANAGER.replace(
            "DAEMON", self.d.url).replace("CA", ca))
        self.addCleanup(self.am.stop)
        self.am.start()
        self.prom = peers.Prometheus(PROMETHEUS.replace(
            "AM", "127.0.0.1:%d" % self.am.port).replace(
            "DAEMON", self.d.url).replace("CA", ca), RULES)
        self.addCleanup(self.prom.stop)
        self.prom.start()

    def test_webhook_and_remote_write_arrive(self):
        def both():
            r = self.d.get("/api/v1/episodes?alertname=OverTLS")
            assert r.status == 200, r.text
            eps = r.json()["data"]
            return len(eps) == 1 and sorted(eps[0]["sources"]) == [
                "remote_write", "webhook"] and eps
        eps = harness.wait_for(both, timeout=90, interval=0.5,
                               what="OverTLS stored by remote write and "
                               "webhook")
        self.assertEqual(eps[0]["receivers"], ["alertnoise"])
        m = self.d.metrics()
        self.assertEqual(sum(v for (n, _), v in m.items()
                             if n == "alertnoise_http_auth_failures_total"),
                         0)
        self.assertGreater(m[("alertnoise_remote_write_samples_total",
                              frozenset({"result": "applied"}.items()))], 0)
        self.assertEqual(self.prom.metric_sum(
            "prometheus_remote_storage_samples_failed_total"), 0)


if __name__ == "__main__":
    unittest.main()

"""test_remote_write.py -- POST /api/v1/write against the real alertnoised.

What a Prometheus (or a test with a hand-built body) sees: the status code
and its headers, the plain-text messages, the episodes in the store and the
API, and the numbers in /metrics. Bodies are the captured Prometheus 2.42
requests of tests/data/rw/ posted as they are, or built with tests/rwenc.py
(protobuf and literal-only snappy). One daemon per TestCase class; every test
uses alert names of its own."""
import http.client as httpclient
import itertools
import os
import sqlite3
import time
import unittest
import urllib.parse

from harness import (DATA, Daemon, fingerprint, http, load_data, now_ms,
                     parse_rfc3339_ms, vm_hwm_kb)
import rwenc
from rwenc import PLAIN_NAN, STALE, V1_HEADERS, V2_HEADERS

_seq = itertools.count(1)


def uniq(prefix):
    """An alert name no other test uses."""
    return "%s_%d_%d" % (prefix, os.getpid(), next(_seq))


SAMPLES = "alertnoise_remote_write_samples_total"
REJECTED = "alertnoise_remote_write_rejected_total"
EXPIRED = "alertnoise_remote_write_series_expired_total"
STORAGE_ERRORS = "alertnoise_storage_errors_total"
ALERT_NAMES = ("ALERTS", "ALERTS_FOR_STATE")
RW_TABLES = ("episodes", "rw_series", "identities")


def sample(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def family(metrics, name):
    """{frozenset(labels): value} of one metric name."""
    return {labels: v for (n, labels), v in metrics.items() if n == name}


def delta(m0, m1, name, key):
    """{label value of key: increase} of the samples of name that changed."""
    before, after = family(m0, name), family(m1, name)
    return {dict(k)[key]: after.get(k, 0) - before.get(k, 0)
            for k in set(before) | set(after)
            if after.get(k, 0) != before.get(k, 0)}


def captured_headers():
    """The headers Prometheus 2.42 sent (v1_alerts_only.headers), minus the
    ones the HTTP client writes itself."""
    out = {}
    with open(os.path.join(DATA, "rw", "v1_alerts_only.headers")) as f:
        for line in f.read().splitlines()[1:]:
            if not line.strip():
                break
            name, value = line.split(":", 1)
            if name.lower() not in ("host", "content-length"):
                out[name] = value.strip()
    return out


def counts(series):
    """(ALERTS* samples, other samples) of a decoded request."""
    alerts = other = 0
    for labels, samples in series:
        if dict(labels).get("__name__") in ALERT_NAMES:
            alerts += len(samples)
        else:
            other += len(samples)
    return alerts, other


def alert_series(name, state, extra=None, samples=()):
    """An ALERTS series of alert name, alertstate state (None: an
    ALERTS_FOR_STATE series), as a labels dict and its samples."""
    labels = {"__name__": "ALERTS" if state else "ALERTS_FOR_STATE",
              "alertname": name, "cluster": "c1", "replica": "r1",
              "severity": "page"}
    if state:
        labels["alertstate"] = state
    labels.update(extra or {})
    return labels, list(samples)


def identity_of(labels):
    return {k: v for k, v in dict(labels).items()
            if k not in ("__name__", "alertstate", "replica")}


class RWTestCase(unittest.TestCase):
    CONFIG = ""
    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.CONFIG, extra_args=cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def write(self, body, headers=None, timeout=30):
        h = dict(V1_HEADERS if headers is None else headers)
        return http("POST", self.d.url + "/api/v1/write", body=body,
                    headers=h, timeout=timeout)

    def write_series(self, series, version=1, **kw):
        return self.write(rwenc.write_body(series, version),
                          headers=V1_HEADERS if version == 1 else V2_HEADERS,
                          **kw)

    def write_chunked(self, body, headers=None, chunk=4096, timeout=30):
        """POSTs body with Transfer-Encoding: chunked (no Content-Length)."""
        conn = httpclient.HTTPConnection("127.0.0.1", self.d.port,
                                         timeout=timeout)
        try:
            conn.request("POST", "/api/v1/write",
                         body=iter([body[i:i + chunk]
                                    for i in range(0, len(body), chunk)]),
                         headers=dict(V1_HEADERS if headers is None
                                      else headers),
                         encode_chunked=True)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type") or "", \
                r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def assertAccepted(self, r):
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(r.body, b"")
        return r

    def episodes_api(self, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        r = self.d.get("/api/v1/episodes?" + q)
        self.assertEqual(r.status, 200, r.text)
        body = r.json()
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    def firing_api(self, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        r = self.d.get("/api/v1/alerts/firing?" + q)
        self.assertEqual(r.status, 200, r.text)
        body = r.json()
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    def episode_rows(self, alertname):
        return self.d.query("SELECT * FROM episodes WHERE alertname = ?"
                            " ORDER BY id", alertname)

    def table_counts(self):
        return {t: self.d.count(t) for t in RW_TABLES}


def ms_or_none(s):
    return None if s is None else parse_rfc3339_ms(s)


def rfc3339_ms(ms):
    """The daemon's RFC 3339 form: UTC, always milliseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03dZ" % (ms % 1000)


# --- captured Prometheus 2.42 requests --------------------------------------

class CapturedPayloadTest(RWTestCase):
    """v1_alerts_pending_firing.snappy, exactly as Prometheus sent it."""

    def test_captured_request_and_its_resend(self):
        body = load_data("rw/v1_alerts_pending_firing.snappy")
        series = rwenc.decode_v1(rwenc.snappy_decompress(body))
        self.assertEqual(len(series), 409)
        n_alerts, n_other = counts(series)
        self.assertEqual((n_alerts, n_other), (6, 403))
        headers = captured_headers()
        self.assertEqual(headers["Content-Encoding"], "snappy")
        self.assertEqual(headers["Content-Type"], "application/x-protobuf")
        self.assertEqual(headers["X-Prometheus-Remote-Write-Version"], "0.1.0")

        m0 = self.d.metrics()
        self.assertAccepted(self.write(body, headers))
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, SAMPLES, "result"),
                         {"applied": n_alerts, "ignored": n_other})
        self.assertEqual(delta(m0, m1, REJECTED, "reason"), {})

        # what Prometheus said: AlwaysFiring fires, LongPending and Flappy
        # are pending; ALERTS_FOR_STATE's activeAt is when they went active
        want = {}
        for labels, samples in series:
            lab = dict(labels)
            if lab["__name__"] not in ALERT_NAMES:
                continue
            w = want.setdefault(lab["alertname"],
                                {"labels": identity_of(lab)})
            if lab["__name__"] == "ALERTS_FOR_STATE":
                w["active_at"] = int(samples[0][0] * 1000.0)
            else:
                w["state"] = lab["alertstate"]
                w["ts"] = samples[-1][1]
        self.assertEqual({k: v["state"] for k, v in want.items()},
                         {"AlwaysFiring": "firing",
                          "LongPending": "pending", "Flappy": "pending"})

        firing = {a["alertname"]: a for a in self.firing_api()}
        self.assertEqual(set(firing), set(want))
        for name, w in want.items():
            a = firing[name]
            self.assertEqual(a["labels"], w["labels"])
            self.assertEqual(a["fingerprint"], fingerprint(w["labels"]))
            self.assertEqual(a["state"], w["state"], a)
            if w["state"] == "firing":
                self.assertEqual(ms_or_none(a["firingAt"]), w["ts"], a)
                self.assertEqual(a["since"], a["firingAt"])
            else:
                self.assertIsNone(a["firingAt"], a)
                self.assertEqual(ms_or_none(a["pendingAt"]), w["active_at"],
                                 a)
                self.assertEqual(a["since"], a["pendingAt"])

        eps = self.episodes_api()
        self.assertEqual(sorted(e["alertname"] for e in eps),
                         sorted(want))
        for e in eps:
            self.assertIsNone(e["resolvedAt"], e)
            self.assertEqual(e["sources"], ["remote_write"], e)
            self.assertFalse(e["notified"])
            self.assertEqual(e["receivers"], [])

        rows = self.d.query("SELECT * FROM episodes ORDER BY id")
        series_rows = self.d.query("SELECT series, identity, kind, last_ts,"
                                   " active FROM rw_series ORDER BY series")
        self.assertEqual(len(rows), 3)
        self.assertEqual(len(series_rows), 6)
        self.assertTrue(all(r["active"] == 1 for r in series_rows))

        # Prometheus re-sending the batch (a timeout): accepted, no change
        r = self.write(body, headers)
        self.assertAccepted(r)
        m2 = self.d.metrics()
        self.assertEqual(delta(m1, m2, SAMPLES, "result"),
                         {"out_of_order": n_alerts, "ignored": n_other})
        self.assertEqual(self.d.query("SELECT * FROM episodes ORDER BY id"),
                         rows)
        self.assertEqual(self.d.query("SELECT series, identity, kind,"
                                      " last_ts, active FROM rw_series"
                                      " ORDER BY series"), series_rows)
        self.assertEqual(sample(m2, "alertnoise_episodes_opened_total"),
                         sample(m1, "alertnoise_episodes_opened_total"))


class CapturedSequenceTest(RWTestCase):
    """Requests 11, 12 and 20 of the capture: Flappy goes pending, firing
    (a staleness marker on its pending series) and resolved (one on its
    firing series)."""

    def test_flappy_timeline(self):
        names = ("v1_alerts_pending_firing", "v1_stale_pending_to_firing",
                 "v1_stale_resolved")
        bodies = [load_data("rw/%s.snappy" % n) for n in names]
        decoded = [rwenc.decode_v1(rwenc.snappy_decompress(b))
                   for b in bodies]

        def flappy(series, name, state=None):
            for labels, samples in series:
                lab = dict(labels)
                if lab["__name__"] == name and lab["alertname"] == "Flappy" \
                        and lab.get("alertstate") == state:
                    return samples
            return None

        active_at = int(flappy(decoded[0], "ALERTS_FOR_STATE")[0][0] * 1000.0)
        fired = flappy(decoded[1], "ALERTS", "firing")[0][1]
        stale = flappy(decoded[1], "ALERTS", "pending")[0]
        self.assertTrue(rwenc.is_stale(stale[0]))
        self.assertEqual(stale[1], fired)
        ended = flappy(decoded[2], "ALERTS", "firing")[0]
        self.assertTrue(rwenc.is_stale(ended[0]))

        for b in bodies:
            self.assertAccepted(self.write(b, captured_headers()))
        eps = self.episodes_api(alertname="Flappy")
        self.assertEqual(len(eps), 1, eps)
        e = eps[0]
        self.assertEqual(ms_or_none(e["pendingAt"]), active_at)
        self.assertEqual(ms_or_none(e["firingAt"]), fired)
        self.assertEqual(ms_or_none(e["resolvedAt"]), ended[1])
        rows = self.episode_rows("Flappy")
        self.assertEqual([(r["pending_at"], r["firing_at"], r["resolved_at"])
                          for r in rows], [(active_at, fired, ended[1])])
        # the others go on
        self.assertEqual(sorted(a["alertname"] for a in self.firing_api()),
                         ["AlwaysFiring", "LongPending"])


class EncoderTest(RWTestCase):
    """tests/rwenc.py writes what Prometheus writes: the captured requests
    re-encoded are the same bytes once decompressed, and the daemon sees the
    same series in the literal-only snappy re-encoding, the original and the
    2.0 version of it."""

    def test_reencoded_captured_requests(self):
        for name in sorted(os.listdir(os.path.join(DATA, "rw"))):
            if not name.endswith(".snappy"):
                continue
            body = load_data("rw/" + name)
            raw = rwenc.snappy_decompress(body)
            v2 = name.startswith("v2_")
            series = (rwenc.decode_v2 if v2 else rwenc.decode_v1)(raw)
            enc = rwenc.encode_v2 if v2 else rwenc.encode_v1
            self.assertEqual(enc(series), raw, name)
            lit = rwenc.snappy_compress(raw)
            self.assertEqual(rwenc.snappy_decompress(lit), raw, name)
        v1 = rwenc.decode_v1(rwenc.snappy_decompress(
            load_data("rw/v1_alerts_only.snappy")))
        self.assertEqual(rwenc.encode_v2(v1), rwenc.snappy_decompress(
            load_data("rw/v2_alerts_only.snappy")))

    def test_snappy_literal_forms(self):
        for n in (0, 1, 59, 60, 61, 255, 256, 257, 65535, 65536, 65537,
                  200000):
            data = bytes((i * 7) & 0xFF for i in range(n))
            self.assertEqual(rwenc.snappy_decompress(
                rwenc.snappy_compress(data, chunk=1 << 20)), data, n)
        self.assertEqual(rwenc.snappy_forged(2 ** 32 - 1)[:5],
                         b"\xff\xff\xff\xff\x0f")

    def test_daemon_sees_the_same_series(self):
        orig = load_data("rw/v1_alerts_only.snappy")
        series = rwenc.decode_v1(rwenc.snappy_decompress(orig))
        # literal-only snappy of the same protobuf, also with long literals
        m0 = self.d.metrics()
        self.assertAccepted(self.write(rwenc.snappy_compress(
            rwenc.encode_v1(series), chunk=100)))
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, SAMPLES, "result"), {"applied": 4})
        eps = {e["alertname"]: e for e in self.episodes_api()}
        self.assertEqual(set(eps), {"AlwaysFiring", "LongPending"})
        self.assertEqual(ms_or_none(eps["AlwaysFiring"]["firingAt"]),
                         1795729671304)
        self.assertEqual(ms_or_none(eps["LongPending"]["pendingAt"]),
                         1795729669000)
        rows = self.d.query("SELECT * FROM episodes ORDER BY id")
        # the original: every sample already applied, so the same series
        self.assertAccepted(self.write(orig, captured_headers()))
        m2 = self.d.metrics()
        self.assertEqual(delta(m1, m2, SAMPLES, "result"),
                         {"out_of_order": 4})
        # the 2.0 rebuild of it (file), and ours
        for body in (load_data("rw/v2_alerts_only.snappy"),
                     rwenc.write_body(series, 2)):
            r = self.write(body, V2_HEADERS)
            self.assertAccepted(r)
            self.assertEqual(
                r.headers["X-Prometheus-Remote-Write-Samples-Written"], "4")
        m3 = self.d.metrics()
        self.assertEqual(delta(m2, m3, SAMPLES, "result"),
                         {"out_of_order": 8})
        self.assertEqual(self.d.query("SELECT * FROM episodes ORDER BY id"),
                         rows)


# --- timelines from hand-built requests -------------------------------------

class TimelineTest(RWTestCase):
    """pending → firing → resolved, exact to the millisecond."""

    def test_pending_firing_resolved(self):
        name = uniq("Timeline")
        t = now_ms() - 600000
        pend, _ = alert_series(name, "pending")
        fire, _ = alert_series(name, "firing")
        m0 = self.d.metrics()
        # two evaluations pending
        self.assertAccepted(self.write_series(
            [(pend, [(1, t), (1, t + 15000)])]))
        self.assertEqual([(r["pending_at"], r["firing_at"], r["resolved_at"])
                          for r in self.episode_rows(name)], [(t, None, None)])
        a = self.firing_api(alertname=name)
        self.assertEqual(len(a), 1)
        self.assertEqual(a[0]["state"], "pending")
        # turned firing: the pending series goes stale at that evaluation
        self.assertAccepted(self.write_series([
            (fire, [(1, t + 30000), (1, t + 45000)]),
            (pend, [(STALE, t + 30000)])]))
        a = self.firing_api(alertname=name)
        self.assertEqual(len(a), 1)
        self.assertEqual(a[0]["state"], "firing")
        self.assertEqual(ms_or_none(a[0]["since"]), t + 30000)
        self.assertEqual(ms_or_none(a[0]["pendingAt"]), t)
        # resolved: the firing series goes stale
        self.assertAccepted(self.write_series([(fire, [(STALE, t + 60000)])]))
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, SAMPLES, "result"), {"applied": 6})
        self.assertEqual(
            sample(m1, "alertnoise_episodes_opened_total") -
            sample(m0, "alertnoise_episodes_opened_total"), 1)
        self.assertEqual(
            sample(m1, "alertnoise_episodes_resolved_total") -
            sample(m0, "alertnoise_episodes_resolved_total"), 1)

        rows = self.episode_rows(name)
        self.assertEqual(len(rows), 1, rows)
        r = rows[0]
        self.assertEqual((r["pending_at"], r["firing_at"], r["resolved_at"]),
                         (t, t + 30000, t + 60000))
        self.assertEqual(r["identity"], fingerprint(identity_of(pend)))
        self.assertEqual(r["sources"], "remote_write")
        self.assertEqual(r["notifications"], 0)
        eps = self.episodes_api(alertname=name)
        self.assertEqual(len(eps), 1)
        e = eps[0]
        self.assertEqual(e["pendingAt"], rfc3339_ms(t))
        self.assertEqual(e["firingAt"], rfc3339_ms(t + 30000))
        self.assertEqual(e["resolvedAt"], rfc3339_ms(t + 60000))
        self.assertEqual(e["labels"], identity_of(pend))
        self.assertEqual(e["fingerprint"], fingerprint(identity_of(pend)))
        self.assertEqual(e["sources"], ["remote_write"])
        self.assertEqual(self.firing_api(alertname=name), [])
        srows = self.d.query("SELECT * FROM rw_series WHERE identity = ?"
                             " ORDER BY kind", r["identity"])
        self.assertEqual([(s["kind"], s["last_ts"], s["active"])
                          for s in srows],
                         [("firing", t + 60000, 0),
                          ("pending", t + 30000, 0)])

    def test_whole_timeline_in_one_request(self):
        name = uniq("OneRequest")
        t = now_ms() - 600000
        pend, _ = alert_series(name, "pending")
        fire, _ = alert_series(name, "firing")
        fs, _ = alert_series(name, None)
        # ALERTS_FOR_STATE says it went active 5 s before the first
        # pending sample Prometheus wrote
        self.assertAccepted(self.write_series([
            (fire, [(1, t + 20000), (1, t + 30000), (STALE, t + 40000)]),
            (pend, [(1, t), (1, t + 10000), (STALE, t + 20000)]),
            (fs, [((t - 5000) / 1000.0, t), ((t - 5000) / 1000.0, t + 10000),
                  ((t - 5000) / 1000.0, t + 20000),
                  ((t - 5000) / 1000.0, t + 30000), (STALE, t + 40000)]),
        ]))
        self.assertEqual([(r["pending_at"], r["firing_at"], r["resolved_at"])
                          for r in self.episode_rows(name)],
                         [(t - 5000, t + 20000, t + 40000)])

    def test_ended_while_pending(self):
        name = uniq("NeverFired")
        t = now_ms() - 600000
        pend, _ = alert_series(name, "pending")
        self.assertAccepted(self.write_series([
            (pend, [(1, t), (1, t + 10000), (STALE, t + 20000)])]))
        eps = self.episodes_api(alertname=name)
        self.assertEqual(len(eps), 1)
        self.assertEqual(ms_or_none(eps[0]["pendingAt"]), t)
        self.assertIsNone(eps[0]["firingAt"])
        self.assertEqual(ms_or_none(eps[0]["resolvedAt"]), t + 20000)
        self.assertEqual(self.firing_api(alertname=name), [])

    def test_ordinary_nan_is_not_a_staleness_marker(self):
        name = uniq("PlainNaN")
        t = now_ms() - 600000
        fire, _ = alert_series(name, "firing")
        self.assertAccepted(self.write_series([
            (fire, [(1, t), (PLAIN_NAN, t + 15000)])]))
        self.assertAccepted(self.write_series([
            (fire, [(float("nan"), t + 30000)])]))
        rows = self.episode_rows(name)
        self.assertEqual([(r["firing_at"], r["resolved_at"]) for r in rows],
                         [(t, None)])
        s = self.d.query("SELECT last_ts, active FROM rw_series WHERE"
                         " identity = ?", rows[0]["identity"])
        self.assertEqual([(x["last_ts"], x["active"]) for x in s],
                         [(t + 30000, 1)])
        a = self.firing_api(alertname=name)
        self.assertEqual([x["state"] for x in a], ["firing"])
        # the real marker (compared as bits) ends it
        self.assertAccepted(self.write_series([(fire, [(STALE, t + 45000)])]))
        self.assertEqual([(r["firing_at"], r["resolved_at"])
                          for r in self.episode_rows(name)],
                         [(t, t + 45000)])

    def test_remote_write_2_0(self):
        name = uniq("V2")
        t = now_ms() - 600000
        pend, _ = alert_series(name, "pending", {"team": "v2"})
        fire, _ = alert_series(name, "firing", {"team": "v2"})
        other = {"__name__": "up", "instance": "x:9090", "job": "prom"}
        series = [(pend, [(1, t), (1, t + 10000), (STALE, t + 20000)]),
                  (fire, [(1, t + 20000), (1, t + 30000),
                          (STALE, t + 40000)]),
                  (other, [(1, t), (0, t + 10000), (1, t + 20000)])]
        raw = rwenc.encode_v2(series)
        self.assertEqual(rwenc.decode_v2(raw),
                         [(sorted(l.items()), s) for l, s in series])
        m0 = self.d.metrics()
        r = self.write_series(series, version=2)
        self.assertAccepted(r)
        # written: what was stored, not the 3 samples of "up"
        self.assertEqual(
            r.headers["X-Prometheus-Remote-Write-Samples-Written"], "6")
        self.assertEqual(
            r.headers["X-Prometheus-Remote-Write-Histograms-Written"], "0")
        self.assertEqual(
            r.headers["X-Prometheus-Remote-Write-Exemplars-Written"], "0")
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, SAMPLES, "result"),
                         {"applied": 6, "ignored": 3})
        eps = self.episodes_api(alertname=name)
        self.assertEqual(len(eps), 1)
        self.assertEqual([ms_or_none(eps[0][k]) for k in
                          ("pendingAt", "firingAt", "resolvedAt")],
                         [t, t + 20000, t + 40000])
        self.assertEqual(eps[0]["labels"], identity_of(pend))
        self.assertEqual(eps[0]["sources"], ["remote_write"])
        # the proto parameter spelled as Prometheus' 1.0 message also works
        name1 = uniq("V1Proto")
        fire1, _ = alert_series(name1, "firing")
        h = dict(V1_HEADERS, **{"Content-Type": "application/x-protobuf; "
                                "proto=prometheus.WriteRequest"})
        r = self.write(rwenc.write_body([(fire1, [(1, t)])]), h)
        self.assertAccepted(r)
        self.assertIsNone(
            r.headers.get("X-Prometheus-Remote-Write-Samples-Written"))
        self.assertEqual(len(self.episode_rows(name1)), 1)

    def test_remote_write_2_0_written_counts_only_what_was_stored(self):
        # an ALERTS series with an exemplar, and a histogram series:
        # alertnoise stores the ALERTS sample only; sent again, the store
        # holds it already (a retry after a lost answer: written)
        name = uniq("V2Written")
        t = now_ms() - 60000
        fire, _ = alert_series(name, "firing")
        symbols = [""]

        def refs(labels):
            out = b""
            for k, v in sorted(labels.items()):
                for x in (k, v):
                    if x not in symbols:
                        symbols.append(x)
                    out += rwenc.uvarint(symbols.index(x))
            return rwenc.f_bytes(1, out)
        exemplar = (rwenc.f_fixed64(2, 0x3ff0000000000000) +
                    rwenc.f_varint(3, t))
        alerts = (refs(fire) + rwenc.f_bytes(2, rwenc.f_fixed64(
            1, 0x3ff0000000000000) + rwenc.f_varint(2, t)) +
            rwenc.f_bytes(4, exemplar))
        histogram = (refs({"__name__": "rpc_seconds", "job": "x"}) +
                     rwenc.f_bytes(3, rwenc.f_varint(15, t)))
        raw = b"".join(rwenc.f_bytes(4, x) for x in symbols) + \
            rwenc.f_bytes(5, alerts) + rwenc.f_bytes(5, histogram)
        for _ in range(2):
            r = self.write(rwenc.snappy_compress(raw), V2_HEADERS)
            self.assertAccepted(r)
            self.assertEqual(
                (r.headers["X-Prometheus-Remote-Write-Samples-Written"],
                 r.headers["X-Prometheus-Remote-Write-Histograms-Written"],
                 r.headers["X-Prometheus-Remote-Write-Exemplars-Written"]),
                ("1", "0", "0"))
        self.assertEqual(len(self.episode_rows(name)), 1)


# --- rejections -------------------------------------------------------------

class RejectTest(RWTestCase):
    """Bad input: the exact status, a plain-text message saying what is
    wrong, one rejection counted under its reason, and nothing stored."""
    BODY_LIMIT = 64 * 1024
    DECODED_LIMIT = 256 * 1024
    CONFIG = ("remote_write:\n"
              "  max_body_size: 64KiB\n"
              "  max_decoded_size: 256KiB\n"
              "  max_labels_per_series: 6\n"
              "  max_label_value_length: 4096\n"
              "  max_series_per_request: 50\n")

    def good(self):
        fire, _ = alert_series(uniq("Rej"), "firing")
        return [(fire, [(1, now_ms() - 1000)])]

    def assertRejected(self, send, status, reason, *words):
        c0 = self.table_counts()
        m0 = self.d.metrics()
        r = send()
        if isinstance(r, tuple):
            code, ctype, text = r
        else:
            code, ctype, text = r.status, r.headers["Content-Type"], r.text
        self.assertEqual(code, status, text)
        self.assertTrue(ctype.startswith("text/plain"), ctype)
        for w in words:
            self.assertIn(w, text)
        self.assertEqual(self.table_counts(), c0, "something was stored")
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, REJECTED, "reason"), {reason: 1})
        self.assertEqual(delta(m0, m1, SAMPLES, "result").get("applied", 0),
                         0)
        return text

    def sized_body(self, size):
        """A valid request (ignored series) whose snappy body is exactly
        size bytes."""
        t0 = now_ms() - 60000   # within the accepted time range

        def body(last):
            return rwenc.write_body(
                [({"__name__": "pad_metric", "i": "%05d" % i,
                   "v": "x" * (last if i == n - 1 else 2000)},
                  [(1, t0 + i)]) for i in range(n)])
        n = size // 2100
        last = 100
        for _ in range(20):
            b = body(last)
            if len(b) == size:
                return b
            # varint lengths may grow or shrink by a byte: step again
            last += size - len(b)
        self.fail("could not build a body of %d bytes" % size)

    def test_good_request_is_accepted(self):
        self.assertAccepted(self.write_series(self.good()))

    def test_text_plain(self):
        h = dict(V1_HEADERS, **{"Content-Type": "text/plain"})
        self.assertRejected(lambda: self.write(
            rwenc.write_body(self.good()), h), 415, "unsupported_media_type",
            "text/plain", "application/x-protobuf")

    def test_unknown_proto(self):
        h = dict(V1_HEADERS, **{"Content-Type":
                                "application/x-protobuf;proto=foo.Bar"})
        self.assertRejected(lambda: self.write(
            rwenc.write_body(self.good()), h), 415, "unsupported_media_type",
            "foo.Bar")

    def test_no_content_encoding(self):
        h = dict(V1_HEADERS)
        del h["Content-Encoding"]
        self.assertRejected(lambda: self.write(
            rwenc.encode_v1(self.good()), h), 415, "unsupported_media_type",
            "snappy")

    def test_gzip(self):
        import gzip
        h = dict(V1_HEADERS, **{"Content-Encoding": "gzip"})
        self.assertRejected(lambda: self.write(
            gzip.compress(rwenc.encode_v1(self.good())), h), 415,
            "unsupported_media_type", "snappy", "gzip")

    def test_body_at_the_limit_is_accepted(self):
        body = self.sized_body(self.BODY_LIMIT)
        self.assertAccepted(self.write(body))
        status, _, text = self.write_chunked(body)
        self.assertEqual(status, 204, text)

    def test_body_too_large_with_content_length(self):
        body = self.sized_body(self.BODY_LIMIT + 1)
        self.assertRejected(lambda: self.write(body), 413, "too_large",
                            str(self.BODY_LIMIT))

    def test_body_too_large_chunked(self):
        body = self.sized_body(self.BODY_LIMIT + 1)
        self.assertRejected(lambda: self.write_chunked(body), 413,
                            "too_large", str(self.BODY_LIMIT))

    def test_declared_decoded_size_too_large(self):
        raw = rwenc.encode_v1(self.good())
        for declared in (self.DECODED_LIMIT + 1, 2 ** 32 - 1):
            body = rwenc.snappy_forged(declared, raw)
            self.assertLess(len(body), 200)
            self.assertRejected(lambda: self.write(body), 413, "too_large",
                                str(declared), str(self.DECODED_LIMIT))

    def test_decoded_size_at_the_limit_is_not_too_large(self):
        # declared exactly at the limit: decoded, then found corrupt
        body = rwenc.snappy_forged(self.DECODED_LIMIT, b"abc")
        self.assertRejected(lambda: self.write(body), 400, "snappy")

    def test_invalid_snappy(self):
        # a copy before anything was written
        body = rwenc.uvarint(10) + bytes([0x01 | (2 << 2), 0x05])
        self.assertRejected(lambda: self.write(body), 400, "snappy",
                            "snappy")
        # a length header that never ends
        self.assertRejected(lambda: self.write(b"\xff" * 12), 400, "snappy",
                            "snappy")
        # fewer bytes than declared
        body = rwenc.snappy_forged(100, b"abc")
        self.assertRejected(lambda: self.write(body), 400, "snappy",
                            "snappy")

    def test_garbage_protobuf(self):
        # a length-delimited field running past the end, then wire type 7
        for raw in (b"\x0a\xff\x01abc", b"\x0f\x00\x00"):
            body = rwenc.snappy_compress(raw)
            self.assertRejected(lambda: self.write(body), 400, "protobuf",
                                "protobuf")

    def invalid(self, labels, samples=None, *words):
        name = dict(labels)["alertname"]
        samples = samples or [(1, now_ms() - 2000), (1, now_ms() - 1000)]
        m0 = self.d.metrics()
        text = self.assertRejected(
            lambda: self.write(rwenc.write_body([(labels, samples)])),
            400, "invalid", name, *words)
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, SAMPLES, "result"),
                         {"invalid": len(samples)})
        return text

    def test_unsorted_labels(self):
        name = uniq("Unsorted")
        self.invalid([("__name__", "ALERTS"), ("alertstate", "firing"),
                      ("alertname", name)], None,
                     "sorted", '"alertname"', '"alertstate"')

    def test_duplicate_label(self):
        name = uniq("Dup")
        self.invalid([("__name__", "ALERTS"), ("alertname", name),
                      ("alertstate", "firing"), ("team", "a"),
                      ("team", "b")], None, "duplicate", '"team"')

    def test_empty_label_value(self):
        name = uniq("Empty")
        self.invalid([("__name__", "ALERTS"), ("alertname", name),
                      ("alertstate", "firing"), ("team", "")], None,
                     "empty", '"team"')

    def test_too_many_labels(self):
        name = uniq("Many")
        labels = [("__name__", "ALERTS"), ("alertname", name),
                  ("alertstate", "firing")] + \
            [("l%d" % i, "v") for i in range(4)]
        self.assertEqual(len(labels), 7)
        self.invalid(labels, None, "7 labels", "6")

    def test_no_metric_name(self):
        name = uniq("NoName")
        self.invalid([("alertname", name), ("alertstate", "firing")], None,
                     "__name__")

    def test_bad_label_name(self):
        name = uniq("BadName")
        self.invalid([("__name__", "ALERTS"), ("alertname", name),
                      ("alertstate", "firing"), ("bad-name", "x")], None,
                     '"bad-name"')

    def test_too_many_series(self):
        t = now_ms() - 1000
        many = [alert_series(uniq("Many"), "firing", samples=[(1, t)])
                for _ in range(51)]
        self.assertRejected(lambda: self.write(rwenc.write_body(many)),
                            413, "too_large", "50")
        ok = many[:50]
        c0 = self.table_counts()
        self.assertAccepted(self.write(rwenc.write_body(ok)))
        self.assertEqual(self.table_counts()["episodes"], c0["episodes"] + 50)

    def test_v2_symbols_must_start_empty(self):
        raw = rwenc.f_bytes(4, "x") + rwenc.f_bytes(4, "ALERTS")
        h = V2_HEADERS
        self.assertRejected(lambda: self.write(rwenc.snappy_compress(raw), h),
                            400, "protobuf", "symbols")

    def test_v2_body_with_v1_headers(self):
        # by content: a 1.0 WriteRequest has no fields 4 and 5, which
        # would be skipped, the request answered 204 and dropped
        body = rwenc.write_body(self.good(), 2)
        for ct in ("application/x-protobuf",
                   "application/x-protobuf;proto=prometheus.WriteRequest"):
            h = dict(V1_HEADERS, **{"Content-Type": ct})
            self.assertRejected(
                lambda: self.write(body, h), 400, "protobuf",
                "prometheus.WriteRequest has field 4",
                "proto=io.prometheus.write.v2.Request")

    def test_v1_body_with_v2_headers(self):
        body = rwenc.write_body(self.good(), 1)
        self.assertRejected(
            lambda: self.write(body, V2_HEADERS), 400, "protobuf",
            "io.prometheus.write.v2.Request has field 1",
            "1.0 prometheus.WriteRequest sent as 2.0")

    def test_samples_out_of_order(self):
        name = uniq("Order")
        t = now_ms() - 5000
        self.invalid([("__name__", "ALERTS"), ("alertname", name),
                      ("alertstate", "firing")],
                     [(1, t), (1, t + 2000), (1, t + 1000)],
                     "out of order", str(t + 1000))

    def test_partly_invalid_request_keeps_the_valid_series(self):
        good_name, bad_name = uniq("Kept"), uniq("Dropped")
        fire, _ = alert_series(good_name, "firing")
        t = now_ms() - 5000
        bad = [("__name__", "ALERTS"), ("alertstate", "firing"),
               ("alertname", bad_name)]
        c0 = self.table_counts()
        m0 = self.d.metrics()
        r = self.write(rwenc.write_body([
            (fire, [(1, t), (1, t + 1000)]),
            (bad, [(1, t), (1, t + 1000), (1, t + 2000)])]))
        self.assertEqual(r.status, 400, r.text)
        self.assertIn(bad_name, r.text)
        self.assertNotIn(good_name, r.text)
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, REJECTED, "reason"), {"invalid": 1})
        self.assertEqual(delta(m0, m1, SAMPLES, "result"),
                         {"applied": 2, "invalid": 3})
        rows = self.episode_rows(good_name)
        self.assertEqual([(r["firing_at"], r["resolved_at"]) for r in rows],
                         [(t, None)])
        self.assertEqual(self.episode_rows(bad_name), [])
        c1 = self.table_counts()
        self.assertEqual(c1["episodes"], c0["episodes"] + 1)
        self.assertEqual(c1["rw_series"], c0["rw_series"] + 1)


# --- limits on what is stored (issue 14) -----------------------------------

DAY_MS = 86400 * 1000


def snappy_repeat(prefix, unit, count):
    """Snappy block data of prefix followed by unit (2 bytes) count times,
    written as copies of 64 bytes: ~3 bytes of body per 64 decoded."""
    assert len(unit) == 2 and count >= 1
    total = len(prefix) + 2 * count
    out = bytearray(rwenc.uvarint(total))
    head = prefix + unit
    out += rwenc._literal_tag(len(head)) + head
    left = 2 * (count - 1)
    # copy with a 2-byte offset: tag (len - 1) << 2 | 2, offset 2 (LE)
    out += bytes([63 << 2 | 2, 2, 0]) * (left // 64)
    if left % 64:
        out += bytes([(left % 64 - 1) << 2 | 2, 2, 0])
    return bytes(out)


class StoredLimitsTest(RWTestCase):
    """What remote write may make the daemon store or allocate: samples
    outside [now - storage.retention, now + 10m] refuse the request as
    Prometheus' out-of-bounds (400, nothing stored); a flood of empty
    samples is refused by max_samples_per_request before it costs memory."""

    def assertOutOfBounds(self, series, *words):
        c0 = self.table_counts()
        m0 = self.d.metrics()
        r = self.write_series(series)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("out of bounds", r.text)
        for w in words:
            self.assertIn(w, r.text)
        self.assertEqual(self.table_counts(), c0, "something was stored")
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, REJECTED, "reason"),
                         {"out_of_bounds": 1})
        self.assertEqual(delta(m0, m1, SAMPLES, "result"), {})
        return r.text

    def test_sample_a_day_ahead_is_refused_and_poisons_nothing(self):
        name = uniq("Ahead")
        fire, _ = alert_series(name, "firing")
        ahead = now_ms() + DAY_MS
        self.assertOutOfBounds([(fire, [(1, ahead)])], name, str(ahead),
                               "after")
        # the whole request goes, the in-bounds sample with it
        t = now_ms() - 2000
        self.assertOutOfBounds([(fire, [(1, t)]),
                                (alert_series(uniq("Other"), "firing")[0],
                                 [(1, ahead)])])
        # the series' real samples still count: the episode opens and ends
        self.assertAccepted(self.write_series([(fire, [(1, t)])]))
        self.assertAccepted(self.write_series([(fire, [(STALE, t + 1000)])]))
        rows = self.episode_rows(name)
        self.assertEqual([(r["firing_at"], r["resolved_at"]) for r in rows],
                         [(t, t + 1000)])

    def test_extreme_timestamps_never_reach_the_store(self):
        for ts in (2 ** 63 - 1, -2 ** 63, 0, now_ms() - 91 * DAY_MS):
            name = uniq("Extreme")
            fire, _ = alert_series(name, "firing")
            text = self.assertOutOfBounds([(fire, [(1, ts)])], name, str(ts))
            self.assertIn("after" if ts > 0 and ts > now_ms() else "before",
                          text)
            self.assertEqual(self.episodes_api(alertname=name), [])

    def test_within_the_bounds_is_accepted(self):
        for ts in (now_ms() + 9 * 60 * 1000, now_ms() - 89 * DAY_MS):
            name = uniq("Within")
            fire, _ = alert_series(name, "firing")
            self.assertAccepted(self.write_series([(fire, [(1, ts)])]))
            self.assertEqual([r["firing_at"] for r in
                              self.episode_rows(name)], [ts])

    def test_out_of_bounds_in_remote_write_2_0(self):
        name = uniq("AheadV2")
        fire, _ = alert_series(name, "firing")
        ahead = now_ms() + DAY_MS
        c0 = self.table_counts()
        r = self.write_series([(fire, [(1, ahead)])], version=2)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("out of bounds", r.text)
        self.assertEqual(self.table_counts(), c0)

    def test_empty_sample_flood_is_refused_without_the_memory(self):
        # issue 14: "A 1.57 MB remote-write body (one series + 16.7M empty
        # samples, snappy copies) costs ~540 MB before its 413"
        labels = rwenc.f_bytes(1, rwenc.f_bytes(1, "__name__") +
                               rwenc.f_bytes(2, "ALERTS"))
        count = 16700000
        inner = len(labels) + 2 * count
        prefix = b"\x0a" + rwenc.uvarint(inner) + labels
        body = snappy_repeat(prefix, b"\x12\x00", count)
        self.assertLess(len(body), 1600000)
        self.assertLessEqual(len(prefix) + 2 * count, 32 * 1024 * 1024)
        m0 = self.d.metrics()
        t0 = time.monotonic()
        r = self.write(body, timeout=60)
        took = time.monotonic() - t0
        self.assertEqual(r.status, 413, r.text)
        self.assertIn("more than 100000 samples in one request", r.text)
        self.assertLess(took, 10)
        self.assertEqual(delta(m0, self.d.metrics(), REJECTED, "reason"),
                         {"too_large": 1})
        self.assertLess(vm_hwm_kb(self.d.proc.pid), 200 * 1024)
        # and the daemon is still there
        self.assertAccepted(self.write_series(
            [(alert_series(uniq("After"), "firing")[0],
              [(1, now_ms() - 1000)])]))


class SampleLimitTest(RWTestCase):
    """remote_write.max_samples_per_request, counted over the request."""
    CONFIG = "remote_write:\n  max_samples_per_request: 3\n"

    def test_samples_over_the_limit_are_413(self):
        t = now_ms() - 5000
        a, _ = alert_series(uniq("S"), "firing")
        b, _ = alert_series(uniq("S"), "firing")
        m0 = self.d.metrics()
        c0 = self.table_counts()
        r = self.write_series([(a, [(1, t), (1, t + 1000)]),
                               (b, [(1, t), (1, t + 1000)])])
        self.assertEqual(r.status, 413, r.text)
        self.assertIn("more than 3 samples in one request", r.text)
        self.assertEqual(self.table_counts(), c0)
        self.assertEqual(delta(m0, self.d.metrics(), REJECTED, "reason"),
                         {"too_large": 1})
        self.assertAccepted(self.write_series([(a, [(1, t), (1, t + 1000)]),
                                               (b, [(1, t)])]))


LIVE = "alertnoise_remote_write_live_series"


class SeriesLimitTest(RWTestCase):
    """remote_write.max_series caps the live series (issue 14, finding 5:
    1M distinct ALERTS series were accepted, and every read slowed to tens
    of seconds). A request that would start series beyond it is refused
    whole with 429, nothing of it stored; samples of live series are still
    accepted at the cap."""
    CONFIG = ("remote_write:\n  max_series: 5\n"
              "  max_new_series_per_minute: 0\n")

    def assertRefused(self, series, *words):
        c0 = self.table_counts()
        m0 = self.d.metrics()
        r = self.write_series(series)
        self.assertEqual(r.status, 429, r.text)
        for w in words:
            self.assertIn(w, r.text)
        self.assertEqual(r.headers["Retry-After"], "60")
        self.assertEqual(self.table_counts(), c0, "something was stored")
        m1 = self.d.metrics()
        self.assertEqual(delta(m0, m1, REJECTED, "reason"),
                         {"series_limit": 1})
        self.assertEqual(delta(m0, m1, SAMPLES, "result"), {})
        return r

    def test_live_series_cap(self):
        t = now_ms() - 10000
        names = [uniq("Card") for _ in range(6)]
        fire = [alert_series(n, "firing")[0] for n in names]
        self.assertEqual(sample(self.d.metrics(), LIVE), 0)
        # six new series at once: more than 5, all of the request refused
        self.assertRefused([(f, [(1, t)]) for f in fire],
                           "remote_write.max_series (5) reached: 0 live "
                           "series; the request would add 6")
        for n in names:
            self.assertEqual(self.episodes_api(alertname=n), [])
            self.assertEqual(self.firing_api(alertname=n), [])
        self.assertTrue(any("cardinality cap" in l and "series_limit" in l
                            for l in self.d.log().splitlines()))
        # five fit
        self.assertAccepted(self.write_series([(f, [(1, t)])
                                               for f in fire[:5]]))
        self.assertEqual(sample(self.d.metrics(), LIVE), 5)
        for n in names[:5]:
            self.assertEqual(len(self.firing_api(alertname=n)), 1, n)
        # at the cap: one more is refused, even with known series beside it
        self.assertRefused([(fire[5], [(1, t)])],
                           "5 live series; the request would add 1")
        self.assertRefused([(fire[0], [(1, t + 1000)]),
                            (fire[5], [(1, t + 1000)])], "would add 1")
        self.assertEqual(self.episodes_api(alertname=names[5]), [])
        # samples of live series are never refused
        m0 = self.d.metrics()
        self.assertAccepted(self.write_series([(f, [(1, t + 2000)])
                                               for f in fire[:5]]))
        self.assertEqual(delta(m0, self.d.metrics(), SAMPLES, "result"),
                         {"applied": 5})
        # a series that ends makes room
        self.assertAccepted(self.write_series([(fire[0],
                                                [(STALE, t + 3000)])]))
        self.assertEqual(sample(self.d.metrics(), LIVE), 4)
        self.assertAccepted(self.write_series([(fire[5], [(1, t + 3000)])]))
        self.assertEqual(sample(self.d.metrics(), LIVE), 5)
        self.assertEqual([r["firing_at"] for r in self.episode_rows(names[5])],
                         [t + 3000])


class NewSeriesRateTest(RWTestCase):
    """remote_write.max_new_series_per_minute: series started in the last
    minute of the daemon's clock (moved by --test.clock)."""
    CONFIG = "remote_write:\n  max_new_series_per_minute: 3\n"
    ARGS = ("--test.clock",)

    def test_new_series_per_minute(self):
        t = now_ms() - 10000
        names = [uniq("Rate") for _ in range(4)]
        fire = [alert_series(n, "firing")[0] for n in names]
        self.assertAccepted(self.write_series([(f, [(1, t)])
                                               for f in fire[:3]]))
        c0 = self.table_counts()
        m0 = self.d.metrics()
        r = self.write_series([(fire[3], [(1, t)])])
        self.assertEqual(r.status, 429, r.text)
        self.assertIn("remote_write.max_new_series_per_minute (3) reached: "
                      "3 new series in the last minute; the request would "
                      "add 1", r.text)
        self.assertEqual(self.table_counts(), c0)
        self.assertEqual(self.episodes_api(alertname=names[3]), [])
        self.assertEqual(delta(m0, self.d.metrics(), REJECTED, "reason"),
                         {"new_series_rate": 1})
        # known series go on
        self.assertAccepted(self.write_series([(f, [(1, t + 1000)])
                                               for f in fire[:3]]))
        # a minute later there is room again
        self.d.advance_clock("61s")
        self.assertAccepted(self.write_series([(fire[3], [(1, t + 1000)])]))
        self.assertEqual([r["firing_at"] for r in self.episode_rows(names[3])],
                         [t + 1000])
        self.assertEqual(sample(self.d.metrics(), LIVE), 4)


# --- storage failure --------------------------------------------------------

class StorageFailureTest(RWTestCase):
    """A store that cannot be written answers 503: Prometheus retries."""
    CONFIG = "storage:\n  busy_timeout: 300ms\n"

    def test_locked_store_answers_503_and_stores_nothing(self):
        self.assertAccepted(self.write_series(self.series(uniq("Warm"))))
        series = self.series(uniq("Locked"))
        c0 = self.table_counts()
        m0 = self.d.metrics()
        path = os.path.join(self.d.storage, "alertnoise.db")
        lock = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            t0 = time.monotonic()
            r = self.write_series(series, timeout=20)
            held = time.monotonic() - t0
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        self.assertEqual(r.status, 503, r.text)
        self.assertTrue(r.text.strip())
        # storage.busy_timeout, 300ms, not the default 5s (plus at most one
        # more when the daemon's own staleness check was waiting for the
        # lock just before)
        self.assertGreaterEqual(held, 0.3)
        self.assertLess(held, 3)
        self.assertEqual(self.table_counts(), c0)
        m1 = self.d.metrics()
        self.assertEqual(
            sample(m1, STORAGE_ERRORS, operation="put_samples"),
            sample(m0, STORAGE_ERRORS, operation="put_samples") + 1)
        self.assertEqual(delta(m0, m1, SAMPLES, "result"), {})
        # the retry goes through
        self.assertAccepted(self.write_series(series))
        c1 = self.table_counts()
        self.assertEqual(c1["episodes"], c0["episodes"] + 1)
        self.assertEqual(c1["rw_series"], c0["rw_series"] + 1)

    @staticmethod
    def series(name):
        fire, _ = alert_series(name, "firing")
        return [(fire, [(1, now_ms() - 1000)])]


# --- staleness timeout ------------------------------------------------------

class StalenessTimeoutTest(RWTestCase):
    """A series that goes quiet without a marker is ended at its last
    sample after remote_write.staleness_timeout, by a check that runs every
    5 s of the daemon's clock; the test moves that clock (--test.clock),
    and each move returns once the checks that came due have run."""
    CONFIG = "remote_write:\n  staleness_timeout: 1m\n"
    ARGS = ("--test.clock",)

    def test_quiet_series_is_ended_at_its_last_sample(self):
        name = uniq("Quiet")
        t = now_ms() - 3000
        fire, _ = alert_series(name, "firing")
        m0 = self.d.metrics()
        self.assertAccepted(self.write_series(
            [(fire, [(1, t), (1, t + 1000)])]))
        self.assertEqual([r["resolved_at"] for r in self.episode_rows(name)],
                         [None])
        # the check ran (50s > 5s) but the series has been quiet < 1m
        self.d.advance_clock("50s")
        self.assertEqual([r["resolved_at"] for r in self.episode_rows(name)],
                         [None])
        self.assertEqual(sample(self.d.metrics(), EXPIRED),
                         sample(m0, EXPIRED))
        self.d.advance_clock("15s")
        rows = self.episode_rows(name)
        self.assertEqual([(r["firing_at"], r["resolved_at"]) for r in rows],
                         [(t, t + 1000)])
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, EXPIRED) - sample(m0, EXPIRED), 1)
        self.assertEqual(
            sample(m1, "alertnoise_episodes_resolved_total") -
            sample(m0, "alertnoise_episodes_resolved_total"), 1)
        s = self.d.query("SELECT active, last_ts FROM rw_series WHERE"
                         " identity = ?", rows[0]["identity"])
        self.assertEqual([(x["active"], x["last_ts"]) for x in s],
                         [(0, t + 1000)])
        self.assertEqual(self.firing_api(alertname=name), [])

    def test_many_quiet_series_all_end_at_one_check(self):
        # issue 14: "expiry 256 series / 5 s (5.4 h to clear)"
        name = uniq("QuietMany")
        n = 1000
        t = now_ms() - 3000
        series = [(alert_series(name, "firing", {"i": str(i)})[0], [(1, t)])
                  for i in range(n)]
        self.assertAccepted(self.write_series(series))
        self.assertEqual(len(self.firing_api(alertname=name)), n)
        m0 = self.d.metrics()
        # one step of the clock past their staleness: the check runs at
        # most twice in it (it is due every 5 s)
        self.d.advance_clock("62s")
        m1 = self.d.metrics()
        self.assertEqual(sample(m1, EXPIRED) - sample(m0, EXPIRED), n)
        self.assertEqual(self.firing_api(alertname=name), [])
        rows = self.episode_rows(name)
        self.assertEqual(len(rows), n)
        self.assertEqual({r["resolved_at"] for r in rows}, {t})


if __name__ == "__main__":
    unittest.main()

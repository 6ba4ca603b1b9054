"""test_feedback.py -- verdicts on alert episodes against the real alertnoised.

POST /api/v1/feedback (JSON and the page's form), the one-click page
GET /feedback, and the shipped Alertmanager snippet
(config/alertmanager/alertnoise-feedback.tmpl, alertmanager.yml) checked and
rendered by the real amtool, whose rendered links are then opened on the
daemon. Episodes are made as Alertmanager makes them: webhooks. One daemon
for the module; every test uses alert names of its own."""
import html.parser
import http.client as httpclient
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import (Daemon, fingerprint, make_alert, make_notification,
                     now_ms, parse_rfc3339_ms, rfc3339)

_seq = itertools.count(1)
FEEDBACK = "alertnoise_feedback_total"
AM_DIR = os.path.join(harness.ROOT, "config", "alertmanager")
AM_CONFIG = os.path.join(AM_DIR, "alertmanager.yml")
AM_TEMPLATE = os.path.join(AM_DIR, "alertnoise-feedback.tmpl")
FORM = "application/x-www-form-urlencoded"
AMTOOL = shutil.which("amtool")


def uniq(prefix):
    """An alert name no other test uses."""
    return "%s_%d_%d" % (prefix, os.getpid(), next(_seq))


def ms3(ms):
    """ms as the daemon formats times: RFC 3339 UTC, always milliseconds."""
    return rfc3339(ms - ms % 1000)[:-1] + ".%03dZ" % (ms % 1000)


class Forms(html.parser.HTMLParser):
    """The forms of a page: [{"attrs": {...}, "inputs": {name: attrs}}]."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "inputs": {}, "button": None})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][attrs.get("name")] = attrs
        elif tag == "button" and self.forms:
            self.forms[-1]["button"] = ""

    def handle_data(self, data):
        self.text.append(data)
        if self.forms and self.forms[-1]["button"] == "":
            self.forms[-1]["button"] = data


class FeedbackTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    # --- helpers -------------------------------------------------------------

    def fire(self, labels, starts, ends=None):
        """Posts one notification of one alert; returns its episode row."""
        r = self.d.webhook(make_notification(
            [make_alert(labels, starts, ends_ms=ends)]))
        self.assertEqual(r.status, 200, r.text)
        rows = self.d.query(
            "SELECT e.* FROM notification_alerts a JOIN episodes e ON"
            " e.id = a.episode_id WHERE a.notification_id = ?",
            r.json()["data"]["notificationId"])
        self.assertEqual(len(rows), 1)
        return rows[0]

    def feedback(self, body, content_type="application/json", **kw):
        if isinstance(body, dict):
            body = json.dumps(body)
        return self.d.post("/api/v1/feedback", body,
                           content_type=content_type, **kw)

    def raw(self, method, path, body=None, headers=None):
        """One request without following redirects."""
        conn = httpclient.HTTPConnection("127.0.0.1", self.d.port,
                                         timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return harness.Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def verdicts(self, episode_id):
        return self.d.query("SELECT * FROM feedback WHERE episode_id = ?"
                            " ORDER BY id", episode_id)

    def counts(self):
        m = self.d.metrics()
        return {v: m.get((FEEDBACK, frozenset({("verdict", v)})), 0.0)
                for v in ("actionable", "noise")}

    def assertSuccess(self, r):
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "application/json"), r.headers["Content-Type"])
        body = r.json()
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    def assertError(self, r, code, error_type, *fragments):
        self.assertEqual(r.status, code, r.text)
        body = r.json()
        self.assertEqual(body["status"], "error", body)
        self.assertEqual(body["errorType"], error_type, body)
        for f in fragments:
            self.assertIn(f, body["error"])
        return body["error"]

    def page(self, **params):
        r = self.d.get("/feedback?" + urllib.parse.urlencode(params))
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"),
                        r.headers["Content-Type"])
        self.assertIn("charset=utf-8", r.headers["Content-Type"])
        return r


class ApiTest(FeedbackTestCase):
    """POST /api/v1/feedback with JSON."""

    def test_verdict_is_stored_and_counted(self):
        name = uniq("Fb")
        labels = {"alertname": name, "instance": "db1"}
        starts = now_ms() - 60000
        ep = self.fire(labels, starts)
        c0 = self.counts()
        t0 = now_ms()
        data = self.assertSuccess(self.feedback({
            "fingerprint": fingerprint(labels), "verdict": "noise",
            "note": "flaps every night \u2615", "by": "alice"}))
        t1 = now_ms()
        self.assertEqual(data["verdict"], "noise")
        self.assertEqual(data["episode"], {
            "fingerprint": ep["identity"], "firingAt": ms3(starts),
            "pendingAt": None, "resolvedAt": None})
        self.assertEqual(parse_rfc3339_ms(data["episode"]["firingAt"]),
                         starts)
        rows = self.verdicts(ep["id"])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["identity"], ep["identity"])
        self.assertEqual(rows[0]["verdict"], "noise")
        self.assertEqual(rows[0]["note"], "flaps every night \u2615")
        self.assertEqual(rows[0]["by"], "alice")
        self.assertTrue(t0 <= rows[0]["created_at"] <= t1)
        c1 = self.counts()
        self.assertEqual(c1["noise"], c0["noise"] + 1)
        self.assertEqual(c1["actionable"], c0["actionable"])

    def test_note_and_by_default_to_empty(self):
        name = uniq("FbDefault")
        labels = {"alertname": name}
        ep = self.fire(labels, now_ms() - 5000)
        self.assertSuccess(self.feedback({
            "fingerprint": fingerprint(labels), "verdict": "actionable",
            "note": None}))
        rows = self.verdicts(ep["id"])
        self.assertEqual([(r["note"], r["by"]) for r in rows], [("", "")])

    def test_last_verdict_wins(self):
        name = uniq("FbLast")
        labels = {"alertname": name}
        ep = self.fire(labels, now_ms() - 30000)
        fp = fingerprint(labels)
        c0 = self.counts()
        d1 = self.assertSuccess(self.feedback(
            {"fingerprint": fp, "verdict": "noise", "by": "bob"}))
        self.assertEqual(d1["verdict"], "noise")
        d2 = self.assertSuccess(self.feedback(
            {"fingerprint": fp, "verdict": "actionable", "by": "carol"}))
        self.assertEqual(d2["verdict"], "actionable")
        self.assertEqual(d1["episode"], d2["episode"])
        rows = self.verdicts(ep["id"])
        self.assertEqual([r["verdict"] for r in rows],
                         ["noise", "actionable"])
        latest = self.d.query(
            "SELECT verdict, by FROM feedback WHERE episode_id = ?"
            " ORDER BY id DESC LIMIT 1", ep["id"])
        self.assertEqual(latest, [{"verdict": "actionable", "by": "carol"}])
        c1 = self.counts()
        self.assertEqual(c1["noise"], c0["noise"] + 1)
        self.assertEqual(c1["actionable"], c0["actionable"] + 1)
        # the page shows the verdict that counts
        r = self.page(fingerprint=fp)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("Last verdict given: <strong>actionable</strong>",
                      r.text)

    def test_alertmanager_fingerprint_with_replica_label(self):
        name = uniq("FbReplica")
        labels = {"alertname": name, "instance": "db1", "replica": "a"}
        identity = fingerprint({"alertname": name, "instance": "db1"})
        am_fp = fingerprint(labels)
        self.assertNotEqual(am_fp, identity)
        ep = self.fire(labels, now_ms() - 20000)
        self.assertEqual(ep["identity"], identity)
        data = self.assertSuccess(self.feedback(
            {"fingerprint": am_fp, "verdict": "noise"}))
        self.assertEqual(data["episode"]["fingerprint"], identity)
        data = self.assertSuccess(self.feedback(
            {"fingerprint": identity.upper(), "verdict": "actionable"}))
        self.assertEqual(data["episode"]["fingerprint"], identity)
        rows = self.verdicts(ep["id"])
        self.assertEqual([(r["verdict"], r["identity"]) for r in rows],
                         [("noise", identity), ("actionable", identity)])

    def test_starts_at_picks_the_episode(self):
        name = uniq("FbTwice")
        labels = {"alertname": name, "job": "api"}
        fp = fingerprint(labels)
        base = (now_ms() // 1000) * 1000 - 600000
        s1, e1, s2 = base + 123, base + 60000, base + 180000 + 457
        self.fire(labels, s1)
        ep1 = self.fire(labels, s1, ends=e1)
        ep2 = self.fire(labels, s2)
        self.assertNotEqual(ep1["id"], ep2["id"])
        self.assertEqual((ep1["firing_at"], ep1["resolved_at"]), (s1, e1))

        def check(starts_at, ep):
            body = {"fingerprint": fp, "verdict": "noise"}
            if starts_at is not None:
                body["startsAt"] = starts_at
            before = len(self.verdicts(ep["id"]))
            data = self.assertSuccess(self.feedback(body))
            self.assertEqual(data["episode"]["firingAt"],
                             ms3(ep["firing_at"]), starts_at)
            self.assertEqual(len(self.verdicts(ep["id"])), before + 1,
                             starts_at)

        check(ms3(s1), ep1)                     # RFC 3339, exact
        check(rfc3339(s1 + 30000), ep1)         # any time it was firing
        check(rfc3339(e1), ep1)                 # its last millisecond
        check(s1 / 1000.0, ep1)                 # a JSON number, fraction
        check(str(s1 // 1000), ep1)             # whole Unix seconds
        check(s2 // 1000, ep2)                  # (Go's .StartsAt.Unix)
        check(rfc3339(s2 - s2 % 1000), ep2)     # RFC 3339 to the second
        check(None, ep2)                        # the latest
        check(ms3(s2 + 5000), ep2)
        r = self.feedback({"fingerprint": fp, "verdict": "noise",
                           "startsAt": ms3(e1 + 1000)})   # between the two
        self.assertError(r, 404, "not_found", fp, ms3(e1 + 1000))

    def test_unknown_fingerprint_is_404(self):
        n0 = self.d.count("feedback")
        c0 = self.counts()
        r = self.feedback({"fingerprint": "0123456789abcdef",
                           "verdict": "noise"})
        msg = self.assertError(r, 404, "not_found")
        self.assertEqual(msg, "no alert with fingerprint 0123456789abcdef")
        self.assertEqual(self.d.count("feedback"), n0)
        self.assertEqual(self.counts(), c0)

    def test_rejections_store_nothing(self):
        name = uniq("FbBad")
        labels = {"alertname": name}
        self.fire(labels, now_ms() - 10000)
        fp = fingerprint(labels)
        ok = {"fingerprint": fp, "verdict": "noise"}
        cases = [
            (dict(ok, verdict="meh"), 400, "verdict", "meh"),
            (dict(ok, verdict="Noise"), 400, "verdict"),
            ({"fingerprint": fp}, 400, "verdict: missing"),
            (dict(ok, fingerprint="xyz"), 400, "fingerprint", "16 hex"),
            (dict(ok, fingerprint=fp + "0"), 400, "fingerprint"),
            ({"verdict": "noise"}, 400, "fingerprint: missing"),
            (dict(ok, fingerprint=12), 400, "fingerprint: want a string"),
            (dict(ok, verdict=["noise"]), 400, "verdict: want a string"),
            (dict(ok, note=5), 400, "note: want a string"),
            (dict(ok, startsAt="yesterday"), 400, "startsAt",
             "yesterday"),
            (dict(ok, startsAt=-5), 400, "startsAt"),
            (dict(ok, startsAt=True), 400, "startsAt"),
            (dict(ok, note="x" * 1025), 400, "note", "1024"),
            (dict(ok, by="y" * 257), 400, "by", "256"),
            ("{", 400, "invalid JSON"),
            ("", 400, "invalid JSON"),
            ('{"fingerprint":"%s","verdict":"noise","verdict":"noise"}'
             % fp, 400, "invalid JSON", "duplicate"),
            ("[1, 2]", 400, "JSON object"),
            ('"noise"', 400, "JSON object"),
        ]
        n0 = self.d.count("feedback")
        c0 = self.counts()
        for body, code, *fragments in cases:
            with self.subTest(body=str(body)[:80]):
                self.assertError(self.feedback(body), code, "bad_data",
                                 *fragments)
        # form bodies
        for body, *fragments in [
                ("fingerprint=%s&verdict=noise&verdict=noise" % fp,
                 "verdict", "more than once"),
                ("fingerprint=%s&verdict=no%%zzise" % fp, "percent"),
                ("fingerprint=%s&verdict=noise&note=a%%00b" % fp,
                 "%00"),
                ("fingerprint=%s&verdict=noise&by=%%ff%%fe" % fp,
                 "by", "UTF-8"),
                ("verdict=noise", "fingerprint: missing")]:
            with self.subTest(body=body):
                self.assertError(self.feedback(body, content_type=FORM),
                                 400, "bad_data", *fragments)
        self.assertEqual(self.d.count("feedback"), n0)
        self.assertEqual(self.counts(), c0)

    def test_limits_are_inclusive(self):
        name = uniq("FbLimits")
        labels = {"alertname": name}
        ep = self.fire(labels, now_ms() - 10000)
        note = "\u00e9" * 512               # 1024 bytes
        self.assertSuccess(self.feedback({
            "fingerprint": fingerprint(labels), "verdict": "noise",
            "note": note, "by": "b" * 256}))
        self.assertEqual(self.verdicts(ep["id"])[0]["note"], note)
        self.assertError(self.feedback({
            "fingerprint": fingerprint(labels), "verdict": "noise",
            "note": note + "x"}), 400, "bad_data", "note")

    def test_content_type_and_size(self):
        name = uniq("FbHeaders")
        labels = {"alertname": name}
        self.fire(labels, now_ms() - 10000)
        body = json.dumps({"fingerprint": fingerprint(labels),
                           "verdict": "noise"})
        n0 = self.d.count("feedback")
        for ct in ("text/plain", "multipart/form-data; boundary=x",
                   "application/jsonx", None):
            with self.subTest(content_type=ct):
                # (urllib would add a form Content-Type to a body)
                r = self.raw("POST", "/api/v1/feedback", body,
                             {"Content-Type": ct} if ct else {})
                self.assertError(r, 415,
                                 "bad_data", "Content-Type",
                                 "application/json",
                                 "application/x-www-form-urlencoded")
        # parameters are fine
        self.assertSuccess(self.feedback(
            body, content_type="application/json; charset=utf-8"))
        big = json.dumps({"fingerprint": fingerprint(labels),
                          "verdict": "noise", "note": "x" * 70000})
        self.assertError(self.feedback(big), 413, "bad_data", "65536")
        r = self.d.post_chunked("/api/v1/feedback",
                                [big[:40000].encode(), big[40000:].encode()])
        self.assertError(r, 413, "bad_data", "65536")
        self.assertEqual(self.d.count("feedback"), n0 + 1)

    def test_get_is_405(self):
        r = self.d.get("/api/v1/feedback")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["Allow"], "POST")


class FormTest(FeedbackTestCase):
    """The form the page posts."""

    def test_form_post_from_the_page_redirects(self):
        name = uniq("FbForm")
        labels = {"alertname": name, "replica": "b"}
        starts = now_ms() - 45000
        ep = self.fire(labels, starts)
        c0 = self.counts()
        body = urllib.parse.urlencode({
            "fingerprint": fingerprint(labels), "starts_at": ms3(starts),
            "verdict": "noise", "return": "1",
            "note": "tr\u00e8s bruyant & inutile", "by": "d+e"})
        self.assertIn("+", body)    # spaces: '+'; '+' itself: %2B
        r = self.raw("POST", "/api/v1/feedback", body,
                     {"Content-Type": FORM + "; charset=UTF-8"})
        self.assertEqual(r.status, 303, r.text)
        loc = r.headers["Location"]
        self.assertEqual(loc, "/feedback?fingerprint=%s&starts_at=%s"
                         "&recorded=noise" % (ep["identity"], ms3(starts)))
        rows = self.verdicts(ep["id"])
        self.assertEqual([(v["verdict"], v["note"], v["by"]) for v in rows],
                         [("noise", "tr\u00e8s bruyant & inutile", "d+e")])
        self.assertEqual(self.counts()["noise"], c0["noise"] + 1)
        # the browser then shows the page, with the confirmation
        r = self.page(**dict(urllib.parse.parse_qsl(loc.split("?")[1])))
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("Recorded: <strong>noise</strong>", r.text)
        self.assertIn(name, r.text)

    def test_form_post_without_return_answers_json(self):
        name = uniq("FbFormJson")
        labels = {"alertname": name}
        ep = self.fire(labels, now_ms() - 5000)
        r = self.feedback("fingerprint=%s&verdict=actionable&unknown=1&&x"
                          % fingerprint(labels), content_type=FORM)
        self.assertEqual(self.assertSuccess(r)["verdict"], "actionable")
        self.assertEqual([v["verdict"] for v in self.verdicts(ep["id"])],
                         ["actionable"])


REFUSED = "alertnoise_http_requests_refused_total"


class CrossOriginTest(FeedbackTestCase):
    """A page on another site cannot record a verdict through the visitor's
    browser (a cross-site form post, or a fetch without CORS): what the
    browser says about where the request comes from (Sec-Fetch-Site,
    Origin) must name this server. Scripts send neither and are served."""

    def form(self, labels, verdict="noise"):
        return urllib.parse.urlencode({
            "fingerprint": fingerprint(labels), "verdict": verdict,
            "return": "1"})

    def refused(self):
        return self.d.metrics().get(
            (REFUSED, frozenset({("reason", "cross_origin")})), 0.0)

    def post_form(self, labels, headers):
        return self.raw("POST", "/api/v1/feedback", self.form(labels),
                        dict({"Content-Type": FORM}, **headers))

    def test_cross_site_form_post_is_refused_and_stores_nothing(self):
        labels = {"alertname": uniq("FbCsrf")}
        ep = self.fire(labels, now_ms() - 5000)
        for headers, shown in (
                ({"Origin": "http://evil.example"}, "http://evil.example"),
                ({"Origin": "null"}, "null"),
                # the right host, another port: another origin
                ({"Origin": "http://127.0.0.1:%d" % (self.d.port ^ 1)},
                 "127.0.0.1:%d" % (self.d.port ^ 1)),
                ({"Sec-Fetch-Site": "cross-site",
                  "Origin": "http://evil.example"}, "cross-site"),
                # Sec-Fetch-Site wins over an Origin that would pass
                ({"Sec-Fetch-Site": "same-site",
                  "Origin": "http://127.0.0.1:%d" % self.d.port},
                 "same-site")):
            n0, c0 = self.refused(), self.counts()
            r = self.post_form(labels, headers)
            self.assertError(r, 403, "forbidden", "cross-origin", shown)
            self.assertEqual(self.verdicts(ep["id"]), [], headers)
            self.assertEqual(self.counts(), c0)
            self.assertEqual(self.refused(), n0 + 1, headers)
        # JSON too (a fetch cannot send it cross-site without CORS, which
        # alertnoise never allows; refused all the same)
        r = self.feedback({"fingerprint": fingerprint(labels),
                           "verdict": "noise"},
                          headers={"Origin": "http://evil.example"})
        self.assertError(r, 403, "forbidden", "evil.example")
        self.assertEqual(self.verdicts(ep["id"]), [])

    def test_same_origin_form_post_redirects_as_before(self):
        labels = {"alertname": uniq("FbSameOrigin")}
        ep = self.fire(labels, now_ms() - 5000)
        origin = "http://127.0.0.1:%d" % self.d.port
        n0 = self.refused()
        for i, headers in enumerate((
                {"Origin": origin},
                {"Origin": origin.replace("http:", "HTTP:")},
                {"Sec-Fetch-Site": "same-origin", "Origin": origin},
                # typed into the address bar or a bookmark
                {"Sec-Fetch-Site": "none"},
                # a script (curl, amtool): neither header
                {})):
            r = self.post_form(labels, headers)
            self.assertEqual(r.status, 303, (headers, r.text))
            self.assertEqual(len(self.verdicts(ep["id"])), i + 1)
        self.assertEqual(self.refused(), n0)

    def test_the_pages_own_forms_post_same_origin(self):
        # what a browser sends for a click on the page's buttons: the
        # form's action is a path on this server
        labels = {"alertname": uniq("FbPageForm")}
        starts = now_ms() - 5000
        ep = self.fire(labels, starts)
        f = Forms()
        f.feed(self.page(fingerprint=fingerprint(labels)).text)
        self.assertEqual({x["attrs"]["action"] for x in f.forms},
                         {"/api/v1/feedback"})
        form = f.forms[0]
        body = urllib.parse.urlencode(
            {k: v.get("value", "") for k, v in form["inputs"].items()})
        r = self.raw("POST", form["attrs"]["action"], body, {
            "Content-Type": FORM, "Sec-Fetch-Site": "same-origin",
            "Origin": "http://127.0.0.1:%d" % self.d.port})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(len(self.verdicts(ep["id"])), 1)


class PageTest(FeedbackTestCase):
    """GET /feedback: the page a notification's link opens."""

    def test_page_shows_the_alert_and_two_forms(self):
        name = uniq("FbPage")
        labels = {"alertname": name, "instance": "db1", "replica": "a",
                  "team": "<script>alert('x')</script> & \"q\""}
        identity = fingerprint({k: v for k, v in labels.items()
                                if k != "replica"})
        starts = (now_ms() // 1000) * 1000 - 90000 + 789
        ep = self.fire(labels, starts)
        # as the template links it: Alertmanager's fingerprint, startsAt
        r = self.page(fingerprint=fingerprint(labels), starts_at=ms3(starts))
        self.assertEqual(r.status, 200, r.text)
        page = r.text
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn("<h1>%s</h1>" % name, page)
        self.assertIn("<title>%s" % name, page)
        self.assertNotIn("<script", page)
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
                      "&amp; &quot;q&quot;", page)
        self.assertIn(">instance<", page)
        self.assertIn(">db1<", page)
        self.assertNotIn(">replica<", page)     # the identity's labels
        self.assertIn(ms3(starts), page)
        self.assertIn(identity, page)
        self.assertNotIn("Recorded:", page)
        self.assertNotIn("http://", page)       # no external assets
        self.assertNotIn("https://", page)
        self.assertIn("default-src 'none'",
                      r.headers["Content-Security-Policy"])
        p = Forms()
        p.feed(page)
        self.assertEqual(len(p.forms), 2, p.forms)
        for form, verdict, button in zip(p.forms, ("actionable", "noise"),
                                         ("Actionable", "Noise")):
            self.assertEqual(form["attrs"]["method"], "post")
            self.assertEqual(form["attrs"]["action"], "/api/v1/feedback")
            self.assertEqual(form["button"], button)
            hidden = {n: a["value"] for n, a in form["inputs"].items()
                      if a.get("type") == "hidden"}
            self.assertEqual(hidden, {"fingerprint": identity,
                                      "starts_at": ms3(starts),
                                      "verdict": verdict, "return": "1"})
            self.assertEqual(form["inputs"]["note"]["type"], "text")
            self.assertEqual(form["inputs"]["by"]["type"], "text")
        # clicking "Noise" as a browser would: the form's fields
        form = p.forms[1]
        fields = {n: a.get("value", "") for n, a in form["inputs"].items()}
        fields["note"] = "not again"
        r = self.raw("POST", form["attrs"]["action"],
                     urllib.parse.urlencode(fields), {"Content-Type": FORM})
        self.assertEqual(r.status, 303, r.text)
        self.assertTrue(r.headers["Location"].endswith("&recorded=noise"))
        self.assertEqual([(v["verdict"], v["note"])
                          for v in self.verdicts(ep["id"])],
                         [("noise", "not again")])

    def test_page_of_the_right_episode(self):
        name = uniq("FbPageTwice")
        labels = {"alertname": name}
        base = now_ms() - 600000
        self.fire(labels, base + 1)
        self.fire(labels, base + 1, ends=base + 60000)
        self.fire(labels, base + 300000)
        r = self.page(fingerprint=fingerprint(labels),
                      starts_at=(base + 1) // 1000)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn('name="starts_at" value="%s"' % ms3(base + 1), r.text)
        self.assertIn(ms3(base + 60000), r.text)    # resolved at
        r = self.page(fingerprint=fingerprint(labels))
        self.assertIn('name="starts_at" value="%s"' % ms3(base + 300000),
                      r.text)
        self.assertIn("not yet", r.text)

    def test_recorded_confirmation(self):
        name = uniq("FbRecorded")
        labels = {"alertname": name}
        self.fire(labels, now_ms() - 5000)
        fp = fingerprint(labels)
        r = self.page(fingerprint=fp, recorded="noise")
        self.assertEqual(r.status, 200)
        self.assertIn("Recorded: <strong>noise</strong>", r.text)
        r = self.page(fingerprint=fp, recorded="actionable")
        self.assertIn("Recorded: <strong>actionable</strong>", r.text)
        r = self.page(fingerprint=fp, recorded="<b>pwned</b>")
        self.assertEqual(r.status, 200)
        self.assertNotIn("Recorded:", r.text)
        self.assertNotIn("pwned", r.text)

    def test_bad_and_unknown_fingerprints(self):
        r = self.page(fingerprint="<img src=x>")
        self.assertEqual(r.status, 400)
        self.assertIn("Malformed fingerprint", r.text)
        self.assertIn("&lt;img src=x&gt;", r.text)
        self.assertNotIn("<img", r.text)
        r = self.d.get("/feedback")
        self.assertEqual(r.status, 400)
        self.assertIn("16 hex digits", r.text)
        r = self.page(fingerprint="0123456789abcdef")
        self.assertEqual(r.status, 404)
        self.assertIn("Unknown alert", r.text)
        self.assertIn("0123456789abcdef", r.text)
        name = uniq("FbPageBadTime")
        labels = {"alertname": name}
        self.fire(labels, now_ms() - 5000)
        r = self.page(fingerprint=fingerprint(labels), starts_at="soon")
        self.assertEqual(r.status, 400)
        self.assertIn("Malformed time", r.text)
        r = self.page(fingerprint=fingerprint(labels), starts_at="1000")
        self.assertEqual(r.status, 404)
        self.assertIn("1970-01-01T00:16:40.000Z", r.text)


@unittest.skipIf(AMTOOL is None, "amtool not installed")
class AlertmanagerConfigTest(FeedbackTestCase):
    """The shipped Alertmanager snippet, checked and rendered by amtool."""

    def amtool(self, *args, cwd=None):
        return subprocess.run([AMTOOL] + list(args), cwd=cwd,
                              capture_output=True, text=True, timeout=60)

    def test_check_config(self):
        # from another directory: the template is found next to the config
        with tempfile.TemporaryDirectory() as tmp:
            p = self.amtool("check-config", AM_CONFIG, cwd=tmp)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("SUCCESS", p.stdout)
            self.assertIn("1 templates", p.stdout)
            # and really parsed: a broken copy of it fails the check
            shutil.copy(AM_CONFIG, tmp)
            with open(AM_TEMPLATE) as f:
                text = f.read()
            with open(os.path.join(tmp, "alertnoise-feedback.tmpl"),
                      "w") as f:
                f.write(text + '{{ define "broken" }}{{ .X \n')
            p = self.amtool("check-config",
                            os.path.join(tmp, "alertmanager.yml"))
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn("alertnoise-feedback.tmpl", p.stdout + p.stderr)

    def test_config_routes_to_alertnoise_and_continues(self):
        with open(AM_CONFIG) as f:
            text = f.read()
        self.assertRegex(text, r"routes:\s*\n(\s*#.*\n)*\s*- receiver: "
                         r"alertnoise\s*\n\s*continue: true")
        self.assertIn("url: http://alertnoise.example:9467/api/v1/webhook",
                      text)
        self.assertIn("send_resolved: true", text)
        self.assertIn('template "alertnoise.feedback.slack"', text)

    def test_config_keeps_the_root_receiver(self):
        """An alert no route of the user's matches still reaches the root's
        receiver, besides alertnoise (Alertmanager's own router says)."""
        for labels, want in ((["severity=info"], "alertnoise,team-slack"),
                             (["severity=critical"],
                              "alertnoise,team-slack")):
            p = self.amtool("config", "routes", "test",
                            "--config.file=" + AM_CONFIG, *labels)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(p.stdout.strip(), want)

    def render(self, name, data, kind="text"):
        p = self.amtool("template", "render",
                        "--template.glob=" + AM_TEMPLATE,
                        "--template.type=" + kind,
                        "--template.data=" + data,
                        "--template.text={{ template \"%s\" . }}" % name)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_rendered_links_open_the_page(self):
        p = self.amtool("template", "render", "--help")
        if p.returncode != 0:
            self.skipTest("this amtool has no `template render`")
        name = uniq("FbTmpl")
        base = now_ms() - 120000
        labels = [{"alertname": name, "instance": "db%d" % i,
                   "replica": "a"} for i in (1, 2)]
        alerts = [make_alert(labels[0], base + 111),
                  make_alert(labels[1], base + 222)]
        notification = make_notification(alerts)
        r = self.d.webhook(notification)
        self.assertEqual(r.status, 200, r.text)
        # template.Data is the webhook payload (its extra fields ignored);
        # a startsAt with an offset shows the link is UTC
        local = base + 222 + 3600000
        alerts[1]["startsAt"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(local // 1000)) + \
            ".%03d999+01:00" % (local % 1000)
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data.json")
            with open(data, "w") as f:
                json.dump(notification, f)
            text = self.render("alertnoise.feedback.links", data)
            slack = self.render("alertnoise.feedback.slack", data)
            html_ = self.render("alertnoise.feedback.html", data, "html")
        lines = text.strip().splitlines()
        self.assertEqual(len(lines), 2, text)
        for line, a, starts in zip(lines, alerts, (base + 111, base + 222)):
            want = "%s: ALERTNOISE_URL/feedback?fingerprint=%s&starts_at=%s" \
                % (name, a["fingerprint"], ms3(starts))
            self.assertEqual(line, want)
            # the link works: the page of that alert, and its buttons
            path = line.split("ALERTNOISE_URL", 1)[1]
            r = self.d.get(path)
            self.assertEqual(r.status, 200, r.text)
            self.assertIn(a["labels"]["instance"], r.text)
            self.assertIn('name="starts_at" value="%s"' % ms3(starts),
                          r.text)
        self.assertEqual(slack.strip().splitlines(), [
            "\u2022 %s: <%s|actionable or noise?>" %
            (name, l.split(": ", 1)[1]) for l in lines])
        self.assertEqual(len(re.findall(
            r'<a href="ALERTNOISE_URL/feedback\?fingerprint=[0-9a-f]{16}'
            r'&(amp;)?starts_at=[^"]+">', html_)), 2, html_)


if __name__ == "__main__":
    unittest.main()

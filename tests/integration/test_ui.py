"""test_ui.py -- the web UI (/, /alerts/<alertname>, /groups,
/recommendations) against the real alertnoised.

One daemon for the whole file ("pager" pages), seeded three hours ago with:
  UiDisk   remote write from two Prometheus replicas (r1, r2): identity a
           pending then firing for 19 minutes, identity b pending then
           firing still; a's label desc is a <script> element. A replica
           group, so a drop_replica_label recommendation.
  UiFlappy five 30-second episodes a minute apart, each paged, three
           marked noise: flapping and transient, route_away_from_paging.
  UiStorm  ten identities at once, each in its own notification: a storm.
  UiSteady one page, still firing.
  UiAlmost remote write from both replicas: pending twice, never fired.
  ODD      an alertname that needs percent-encoding and HTML escaping.

Each page is checked for what a user sees: status, type, security
headers, balanced tags, no script and no external resource, escaped
values, the numbers of the JSON API, links that resolve (a crawl of
everything reachable from /), and feedback buttons that post. The overview
and an alert page are rendered in Debian's headless Chromium; the
screenshots are kept under build/test-ui/ and their paths printed."""
import datetime
import html
import html.parser
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import zoneinfo

from harness import (BUILD, GO_ZERO_TIME, ROOT, Daemon, fingerprint,
                     make_alert, make_notification, now_ms, parse_rfc3339_ms,
                     post_episode, SeededDaemonTest, wait_for)
import rwenc
from rwenc import STALE, V1_HEADERS

CONFIG = """\
analysis:
  paging_receivers: [pager]
"""

T = (now_ms() // 1000 - 3 * 3600) * 1000     # whole seconds, 3 hours ago
MIN = 60 * 1000
SCRIPT = "<script>alert(1)</script>"
ODD = 'Odd <b>&"x" 50%/y?z'

DISK_A = {"alertname": "UiDisk", "instance": "a", "team": "infra",
          "desc": SCRIPT}
DISK_B = {"alertname": "UiDisk", "instance": "b", "team": "infra"}
FLAPPY = {"alertname": "UiFlappy", "instance": "f"}
STEADY = {"alertname": "UiSteady", "instance": "s"}
ALMOST = {"alertname": "UiAlmost", "instance": "p"}
ODD_LABELS = {"alertname": ODD, "note": "<script>alert(2)</script>"}
PAGES = ("/", "/alerts/UiFlappy", "/alerts/UiDisk", "/groups",
         "/recommendations")


def at(s):
    return T + s * 1000


def series(identity, state, replica, samples):
    return dict(identity, __name__="ALERTS", alertstate=state,
                replica=replica), samples


def alert_path(name, window=None):
    path = "/alerts/" + urllib.parse.quote(name, safe="")
    return path + ("?window=" + window if window else "")


class Page(html.parser.HTMLParser):
    """What a test needs of a page: its tags balanced (void elements
    aside), its links, forms and attributes."""
    VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect",
            "polyline", "path", "circle"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], []
        self.hrefs, self.forms, self.attrs = [], [], []
        self.text = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def _tag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs.append((tag, a))
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "form":
            self.forms.append({"action": a.get("action"),
                               "method": a.get("method"), "fields": {}})
        if tag == "input" and self.forms and "form" in self.stack:
            self.forms[-1]["fields"][a.get("name")] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (
                tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    @property
    def plain(self):
        return "".join(self.text)


def seed(d):
    """Writes the history the module's docstring describes into d."""
    def hook(payload):
        r = d.webhook(payload)
        assert r.status == 200, r.text

    rw = []
    for rep in ("r1", "r2"):
        rw += [
            series(DISK_A, "pending", rep,
                   [(1, at(0)), (1, at(30)), (STALE, at(60))]),
            series(DISK_A, "firing", rep,
                   [(1, at(60)), (1, at(90)), (STALE, at(1200))]),
            series(DISK_B, "pending", rep,
                   [(1, at(600)), (1, at(630)), (STALE, at(660))]),
            series(DISK_B, "firing", rep, [(1, at(660)), (1, at(690))]),
            series(ALMOST, "pending", rep,
                   [(1, at(1800)), (1, at(1830)), (STALE, at(1860)),
                    (1, at(2400)), (STALE, at(2430))]),
        ]
    r = d.post("/api/v1/write", rwenc.write_body(rw), content_type=None,
               headers=dict(V1_HEADERS))
    assert r.status == 204, (r.status, r.text)
    for i in range(5):
        start = T + 60 * MIN + i * MIN
        a = make_alert(FLAPPY, start, start + 30 * 1000)
        hook(make_notification(
            [dict(a, status="firing", endsAt=GO_ZERO_TIME)],
            receiver="pager"))
        hook(make_notification([a], receiver="pager"))
        if i < 3:
            r = d.post("/api/v1/feedback", '{"fingerprint":"%s",'
                       '"startsAt":%d,"verdict":"noise"}' %
                       (fingerprint(FLAPPY), start // 1000))
            assert r.status == 200, r.text
    for i in range(10):
        a = make_alert({"alertname": "UiStorm", "instance": "i%02d" % i},
                       T + 120 * MIN, T + 120 * MIN + 20 * 1000)
        hook(make_notification([a], receiver="team-x",
                               group_by=("alertname", "instance")))
    hook(make_notification([make_alert(STEADY, T + 90 * MIN)],
                           receiver="pager"))
    hook(make_notification([make_alert(ODD_LABELS, T + 100 * MIN)],
                           receiver="team-x"))


class UiTest(SeededDaemonTest):
    DAEMON_CONFIG = CONFIG

    @classmethod
    def seed(cls):
        seed(cls.d)

    # --- helpers ------------------------------------------------------------

    def page(self, path, status=200):
        """GETs path; checks what every UI answer must be; returns the
        body and its parse."""
        r = self.d.get(path)
        self.assertEqual(r.status, status, (path, r.text[:2000]))
        self.assertEqual(r.headers["Content-Type"],
                         "text/html; charset=utf-8", path)
        csp = r.headers["Content-Security-Policy"]
        for part in ("default-src 'none'", "style-src 'unsafe-inline'",
                     "form-action 'self'", "frame-ancestors 'none'"):
            self.assertIn(part, csp, path)
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        text = r.text
        self.assertTrue(text.startswith("<!doctype html>\n"), path)
        self.assertNotIn("<script", text.lower(), path)
        p = Page(text)
        self.assertEqual(p.errors, [], path)
        self.assertEqual(p.stack, [], path)
        # nothing to load from elsewhere: no resource elements, no
        # absolute URL in any attribute but an alert's links (links.h:
        # http(s) only, no referrer), no CSS url()
        for tag in ("script", "img", "link", "iframe", "object", "embed",
                    "base"):
            self.assertNotIn(tag, p.tags, path)
        for tag, attrs in p.attrs:
            for k, v in attrs.items():
                if (tag == "a" and k == "href" and
                        attrs.get("rel") == "noopener noreferrer"):
                    self.assertRegex(v, r"^https?://[^/?#]", (path, v))
                elif k in ("href", "src", "action", "xlink:href"):
                    self.assertTrue(v.startswith("/") and
                                    not v.startswith("//"), (path, tag, v))
        self.assertNotIn("url(", text)
        self.assertNotIn("http://", p.plain)
        self.assertNotIn("https://", p.plain)
        # the navigation, on every page
        for href in ("/?window=", "/groups?window=",
                     "/recommendations?window="):
            self.assertTrue(any(h.startswith(href) for h in p.hrefs),
                            (path, href))
        return text, p

    def api(self, path):
        r = self.d.get(path)
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]

    # --- every page ---------------------------------------------------------

    def test_pages_answer_html(self):
        for path in PAGES:
            for w in ("", "?window=1d", "?window=28d", "?window=36h"):
                self.page(path + w)

    def test_overview(self):
        text, p = self.page("/")
        s = self.api("/api/v1/summary")
        # the report's KPI cards, with the summary's numbers
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Pages"], str(s["pages"]))
        self.assertEqual(cards["Noise ratio"],
                         "%g%%" % round(s["noiseRatio"] * 100, 1))
        # the charts: pages, noise ratio per day, the noisiest alerts
        self.assertEqual(p.tags.count("svg"), 3)
        for cid in ("chart-pages", "chart-ratio", "chart-top"):
            self.assertIn('id="%s"' % cid, text)
        # the noisiest alerts and every alert, linked to their pages
        for a in self.api("/api/v1/alerts"):
            self.assertIn(alert_path(a["alertname"], "7d"), p.hrefs,
                          a["alertname"])
        top = text[text.index('id="top-noisy"'):text.index('id="alerts"')]
        self.assertIn('href="/alerts/UiStorm?window=7d"', top)
        self.assertIn('href="/alerts/UiFlappy?window=7d"', top)
        self.assertNotIn("UiSteady", top)      # not noise
        self.assertIn("/groups?window=7d", p.hrefs)
        self.assertIn("/recommendations?window=7d", p.hrefs)
        self.assertIn("/api/v1/report?format=html&window=7d", p.hrefs)
        # the window selector: plain links, the current one marked
        for w in ("1d", "7d", "28d"):
            self.assertIn("/?window=" + w, p.hrefs)
        self.assertIn('<a href="/?window=7d" aria-current="true">7d</a>',
                      text)
        text, p = self.page("/?window=28d")
        self.assertIn('<a href="/?window=28d" aria-current="true">28d</a>',
                      text)
        self.assertIn(alert_path("UiFlappy", "28d"), p.hrefs)

    def test_alert_page_numbers(self):
        text, p = self.page("/alerts/UiFlappy")
        al = [a for a in self.api("/api/v1/alerts?by=identity")
              if a["alertname"] == "UiFlappy"][0]
        self.assertIn("<h1>UiFlappy</h1>", text)
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Episodes"], str(al["episodes"]))
        self.assertEqual(al["episodes"], 5)
        self.assertEqual(cards["Noise ratio"], "100%")
        self.assertEqual(cards["Notifications"], str(al["notifications"]))
        self.assertEqual(cards["Time to resolve (median)"], "30s")
        self.assertEqual(cards["Flap score (highest)"],
                         ("%.1f" % al["flapScore"]).rstrip("0").rstrip("."))
        self.assertEqual(cards["Verdicts"], "0 / 3")
        for cls, n in al["classes"].items():
            if n:
                self.assertIn('<span class="cls cls-%s">%s %d</span>' %
                              (cls, cls, n), text)
        # the identity table, with its fingerprint
        self.assertIn(fingerprint(FLAPPY), text)
        # the timeline: one row, a bar per episode
        svg = text[text.index('id="timeline"'):text.index('id="episodes"')]
        self.assertEqual(svg.count("<g><title>"), 5)
        # its one identity's labels once, above: not on every row
        self.assertIn('<code>instance="f"</code>',
                      section_of(text, "labels"))
        self.assertNotIn("instance", svg)
        # the episodes table: a row per episode, each with two buttons
        eps = text[text.index('id="episodes"'):
                   text.index('id="recommendations"')]
        self.assertEqual(eps.count("<tr><td"), 5)
        self.assertEqual(eps.count("marked_noise"), 3)
        self.assertEqual(eps.count("pager"), 5)
        self.assertEqual(len([f for f in p.forms
                              if f["action"] == "/api/v1/feedback"]), 10)
        # its recommendation, with the snippet
        recs = [r for r in self.api("/api/v1/recommendations")
                if r["alertname"] == "UiFlappy"]
        self.assertIn("route_away_from_paging", [r["kind"] for r in recs])
        section = text[text.index('id="recommendations"'):]
        self.assertEqual(section.count("<article>"), len(recs))
        for r in recs:
            self.assertIn(r["kind"], section)
            self.assertIn("<pre><code>" + escape(r["snippet"]), section)

    def test_alert_page_timeline_and_escaping(self):
        text, p = self.page("/alerts/UiDisk?window=1d")
        self.assertNotIn(SCRIPT, text)
        self.assertIn(escape(SCRIPT), text)
        self.assertIn(SCRIPT, p.plain)       # shown, as text
        svg = text[text.index('id="timeline"'):text.index('id="episodes"')]
        # two identities, one row each; each episode a pending phase
        # (lighter) and a firing bar, b's still open
        rows = re.findall(r'<text x="\d+" y="[\d.]+" text-anchor="end">'
                          r'([^<]*)</text>', svg)
        self.assertEqual(len(rows), 2, rows)
        self.assertEqual(svg.count("<g><title>"), 2)
        self.assertEqual(svg.count('fill-opacity="0.35"'), 2)
        self.assertIn("still open", svg)
        a = [e for e in self.api("/api/v1/episodes?alertname=UiDisk")
             if e["fingerprint"] == fingerprint(DISK_A)][0]
        self.assertEqual(parse_rfc3339_ms(a["pendingAt"]), at(0))
        self.assertIn('<time datetime="%s"' % a["firingAt"], text)
        self.assertIn("19m 00s", text)      # a fired from 60s to 1200s
        # the replica recommendation names it
        recs = [r for r in self.api("/api/v1/recommendations")
                if r["alertname"] == "UiDisk"]
        self.assertIn("drop_replica_label", [r["kind"] for r in recs])
        self.assertIn("drop_replica_label", text)

    def test_odd_alertname(self):
        text, p = self.page("/")
        link = alert_path(ODD, "7d")
        self.assertIn(link, p.hrefs)
        self.assertIn(escape(ODD), text)
        self.assertNotIn(ODD, text)
        text, p = self.page(link)
        self.assertIn("<h1>%s</h1>" % escape(ODD), text)
        self.assertIn(escape("<script>alert(2)</script>"), text)
        # its window links lead back to it
        self.assertIn(alert_path(ODD, "1d"), p.hrefs)

    def test_unknown_alert_is_404(self):
        for path in ("/alerts/NoSuchAlert", "/alerts/", "/alerts/UiFlap",
                     "/alerts/uiflappy?window=1d"):
            text, p = self.page(path, 404)
            self.assertIn("Unknown alert", text)

    def test_bad_window_is_400(self):
        for path in ("/?window=abc", "/groups?window=0s",
                     "/recommendations?window=400d",
                     "/alerts/UiFlappy?window=-1d",
                     "/alerts/NoSuchAlert?window=x"):
            text, p = self.page(path, 400)
            self.assertIn("invalid window", text)

    def test_only_get(self):
        for path in PAGES:
            r = self.d.post(path, "")
            self.assertEqual(r.status, 405, path)

    def test_every_link_resolves(self):
        """Every href starting with / on every page reachable from /
        answers 200."""
        seen, todo, n = set(), ["/"], 0
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            n += 1
            self.assertLess(n, 400, "too many pages")
            r = self.d.get(path)
            self.assertEqual(r.status, 200, path)
            if not r.headers["Content-Type"].startswith("text/html"):
                continue
            for href in Page(r.text).hrefs:
                if href.startswith("/") and href not in seen:
                    todo.append(href)
        for want in ("/groups?window=1d", "/recommendations?window=28d",
                     alert_path(ODD, "28d"), alert_path("UiStorm", "7d")):
            self.assertIn(want, seen)
        self.assertTrue(any(s.startswith("/feedback?") for s in seen))

    def test_pending_only_alert(self):
        al = [a for a in self.api("/api/v1/alerts?by=identity")
              if a["alertname"] == "UiAlmost"][0]
        self.assertEqual((al["episodes"], al["pendingOnly"]), (0, 2))
        # the overview's every-alert table: episodes, then pending only
        text, _ = self.page("/")
        rows = text[text.index('id="alerts"'):]
        cells = (r'</a>(?: <span class="links">.*?</span>)?</td>'
                 r'<td class="n">(\d+)</td><td class="n">(\d+)</td>')
        self.assertEqual(re.search(
            r'href="/alerts/UiAlmost\?window=7d">UiAlmost' + cells,
            rows).groups(), ("0", "2"))
        self.assertEqual(re.search(
            r'href="/alerts/UiSteady\?window=7d">UiSteady' + cells,
            rows).groups(), ("1", "0"))
        # its page says so instead of numbers of nothing, and lists the
        # identity with its count
        text, _ = self.page(alert_path("UiAlmost"))
        self.assertIn("None of its episodes fired in this window; 2 went "
                      "pending and ended before firing.", text)
        self.assertNotIn('<div class="l">Episodes</div>', text)
        ids = text[text.index('id="identities"'):text.index('id="timeline"')]
        self.assertIn(fingerprint(ALMOST), ids)
        self.assertIn('</code></td><td class="n">0</td><td class="n">2</td>',
                      ids)
        # an alert that fired has the card
        text, _ = self.page("/alerts/UiSteady")
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Pending only"], "0")

    def test_groups(self):
        text, p = self.page("/groups")
        groups = self.api("/api/v1/groups")
        self.assertEqual(sorted(g["kind"] for g in groups),
                         ["replica", "replica", "storm"])
        self.assertEqual(text.count("<tr><td class=\"n\">"), len(groups))
        storm = [g for g in groups if g["kind"] == "storm"][0]
        self.assertIn('<a href="/alerts/UiStorm?window=7d">UiStorm</a> '
                      '\u00d710', text)
        self.assertIn("%d members" % len(storm["members"]), text)
        self.assertIn("occurrences: %d" % storm["evidence"]["occurrences"],
                      text)
        self.assertIn("copies: 2", text)
        self.assertIn('href="/alerts/UiDisk?window=7d"', text)
        self.assertIn(escape(SCRIPT), text)

    def test_recommendations(self):
        text, p = self.page("/recommendations")
        recs = self.api("/api/v1/recommendations")
        kinds = [r["kind"] for r in recs]
        for k in ("route_away_from_paging", "drop_replica_label"):
            self.assertIn(k, kinds)
        self.assertEqual(text.count("<article>"), len(recs))
        for r in recs:
            self.assertIn("<pre><code>" + escape(r["snippet"]), text)
            self.assertIn(escape(r["summary"]), text)
            self.assertIn("<strong>Confidence:</strong> " + r["confidence"],
                          text)
            if r["alertname"]:
                self.assertIn(alert_path(r["alertname"], "7d"), p.hrefs)
        self.assertIn("Predicted savings", text)
        self.assertIn("Evidence", text)

    def test_feedback_buttons_post(self):
        text, p = self.page("/alerts/UiSteady")
        forms = [f for f in p.forms if f["action"] == "/api/v1/feedback"]
        self.assertEqual(len(forms), 2)
        self.assertEqual([f["method"] for f in forms], ["post", "post"])
        form = [f for f in forms if f["fields"]["verdict"] == "actionable"][0]
        self.assertEqual(form["fields"]["return"], "1")
        self.assertEqual(form["fields"]["fingerprint"], fingerprint(STEADY))
        body = urllib.parse.urlencode(form["fields"])
        conn = http.client.HTTPConnection("127.0.0.1", self.d.port,
                                          timeout=30)
        try:
            conn.request("POST", form["action"], body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 303)
            loc = r.getheader("Location")
        finally:
            conn.close()
        self.assertTrue(loc.startswith("/feedback?fingerprint=%s&" %
                                       fingerprint(STEADY)), loc)
        self.assertIn("recorded=actionable", loc)
        rows = self.d.query(
            "SELECT f.verdict, e.firing_at FROM feedback f JOIN episodes e "
            "ON e.id = f.episode_id WHERE f.identity = ?",
            fingerprint(STEADY))
        self.assertEqual(rows, [{"verdict": "actionable",
                                 "firing_at": T + 90 * MIN}])
        r = self.d.get(loc)       # the /feedback page says so
        self.assertEqual(r.status, 200)
        self.assertIn("Recorded: <strong>actionable</strong>", r.text)
        # the numbers change at once
        text, p = self.page("/alerts/UiSteady")
        self.assertIn("marked_actionable", text)
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Verdicts"], "1 / 0")


# --- the alert page's timeline, labels and numbers; the empty overview ----

ZOOM_CONFIG = CONFIG + """\
report:
  timezone: Asia/Kolkata
"""
B = (now_ms() // 60000 - 2 * 24 * 60) * 60000    # two days ago, a minute
ZOOM = [{"alertname": "UiZoom", "team": "db", "severity": "page",
         "instance": "z%d" % i} for i in range(3)]
ONCE = {"alertname": "UiOnce", "instance": "o"}


def zoom_episodes():
    """(labels, start, end) of UiZoom's episodes: all within 50 minutes
    two days into a 7d window."""
    return [(ZOOM[i % 3], B + i * 10 * MIN, B + i * 10 * MIN + 5 * MIN)
            for i in range(6)]


def section_of(text, sid):
    """The HTML of <section id="sid">."""
    start = text.index('<section id="%s">' % sid)
    return text[start:text.index("</section>", start)]


class AlertPageTest(SeededDaemonTest):
    """The alert page of an alert whose episodes lie in one hour of the
    7d window, with labels its identities share, and of an alert with a
    single episode; times in Asia/Kolkata (UTC+05:30)."""
    DAEMON_CONFIG = ZOOM_CONFIG

    @classmethod
    def seed(cls):
        for labels, start, end in zoom_episodes():
            r = cls.d.webhook(make_notification(
                [make_alert(labels, start, end)], receiver="pager"))
            assert r.status == 200, r.text
        r = cls.d.webhook(make_notification(
            [make_alert(ONCE, B, B + 3 * MIN)], receiver="pager"))
        assert r.status == 200, r.text

    def page(self, path):
        r = self.d.get(path)
        self.assertEqual(r.status, 200, r.text[:2000])
        p = Page(r.text)
        self.assertEqual((p.errors, p.stack), ([], []))
        return r.text

    def test_timeline_zooms_to_the_episodes(self):
        text = self.page("/alerts/UiZoom?window=7d")
        tl = section_of(text, "timeline")
        m = re.search(r'<figure class="timeline" data-from="([^"]+)" '
                      r'data-to="([^"]+)">', tl)
        self.assertIsNotNone(m, tl[:600])
        lo, hi = parse_rfc3339_ms(m.group(1)), parse_rfc3339_ms(m.group(2))
        eps = zoom_episodes()
        first, last = eps[0][1], max(e for _, _, e in eps)
        # a little before the first episode, a little after the last one
        self.assertTrue(first - 10 * MIN <= lo < first, (lo, first))
        self.assertTrue(last < hi <= last + 10 * MIN, (hi, last))
        # the axis: times of day within that span, in Asia/Kolkata
        labels = re.findall(r'<text class="tick" x="[\d.]+" y="[\d.]+" '
                            r'text-anchor="middle">([^<]+)</text>', tl)
        self.assertGreaterEqual(len(labels), 3, labels)

        def times(tz):
            return {datetime.datetime.fromtimestamp(
                t / 1000, tz).strftime("%H:%M")
                for t in range(lo, hi + 1, MIN)}
        kolkata = times(zoneinfo.ZoneInfo("Asia/Kolkata"))
        utc = times(datetime.timezone.utc)
        for label in labels:
            self.assertIn(label, kolkata, (labels, sorted(kolkata)))
            self.assertNotIn(label, utc, labels)
        self.assertIn("Times in Asia/Kolkata.", tl)
        # the whole window above it, the zoomed span framed
        self.assertIn("whole window", tl)
        self.assertEqual(tl.count('class="zoom"'), 1)

    def test_shared_labels_shown_once(self):
        text = self.page("/alerts/UiZoom")
        labels = section_of(text, "labels")
        self.assertIn("Shared by all 3 identities", labels)
        self.assertIn('<code>severity="page"</code>', labels)
        self.assertIn('<code>team="db"</code>', labels)
        self.assertNotIn("instance", labels)
        for sid in ("identities", "timeline", "episodes"):
            rows = section_of(text, sid)
            self.assertNotIn("severity", rows, sid)
            self.assertNotIn("team", rows, sid)
            for i in range(3):
                self.assertIn("instance", rows, sid)
                self.assertIn("z%d" % i, rows, sid)
        self.assertEqual(text.count("severity"), 1)

    def test_time_to_resolve_not_mttr(self):
        for path in ("/alerts/UiZoom", "/alerts/UiOnce", "/"):
            text = self.page(path)
            if path == "/":     # the report's KPI card aside
                text = text.replace('<div class="l">MTTR (median)</div>',
                                    "")
            self.assertFalse("MTTR" in text, path)
            self.assertTrue(re.search(r"Time to resolve(<br>| )\(median\)",
                                      text), path)
        text = self.page("/alerts/UiOnce")
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Time to resolve (median)"], "3m 00s")

    def test_no_flap_score_for_a_single_episode(self):
        text = self.page("/alerts/UiOnce")
        cards = dict(re.findall(r'<div class="l">([^<]+)</div>'
                                r'<div class="v">([^<]+)</div>', text))
        self.assertEqual(cards["Flap score (highest)"], "\u2014")
        self.assertIn('title="no flap score below 4 episodes in the '
                      'window (analysis.flap_min_episodes)"', text)
        ids = section_of(text, "identities")
        self.assertIn(">\u2014</span></td>", ids)
        self.assertNotRegex(ids, r'<td class="n">\d+(\.\d)?</td><td '
                                 r'class="n">3m 00s</td>')
        # nor in the overview's tables
        text = self.page("/")
        # (the name's cell may hold its links out after it)
        row = re.search(r'href="/alerts/UiOnce\?window=7d">UiOnce</a>'
                        r'[^\n]*?</td>(.*?)</tr>', text).group(1)
        self.assertIn("\u2014", row)


class EmptyUiTest(unittest.TestCase):
    """A daemon nothing was connected to: it warns at start, and the
    overview says what to connect, with the README's snippets."""

    def setUp(self):
        self.d = Daemon(CONFIG).start()
        self.addCleanup(self.d.cleanup)

    def readme_snippet(self, marker):
        with open(os.path.join(ROOT, "README.md")) as f:
            blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
        return [b for b in blocks if marker in b][0]

    def test_empty_overview_says_what_to_connect(self):
        wait_for(lambda: "No source of pages is known" in self.d.log(),
                 what="the start-up warning")
        line = [l for l in self.d.log().splitlines()
                if "No source of pages is known" in l][0]
        self.assertIn("level=warn", line)
        r = self.d.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(Page(r.text).errors, [])
        connect = section_of(r.text, "connect")
        self.assertIn("No source of pages is known", connect)
        am, prom = [html.unescape(c) for c in re.findall(
            r"<pre><code>(.*?)</code></pre>", connect, re.S)]
        host = "127.0.0.1:%d" % self.d.port
        # the README's snippets, verbatim but for the host
        for got, marker in ((am, "webhook_configs"), (prom, "remote_write")):
            self.assertEqual(got, self.readme_snippet(marker).replace(
                "alertnoise.example:9467", host))
        self.assertIn("url: http://%s/api/v1/webhook" % host, am)
        self.assertIn("url: http://%s/api/v1/write" % host, prom)
        # valid for the real tools, in a config built from them
        tmp = tempfile.mkdtemp(prefix="an-snippets-")
        self.addCleanup(shutil.rmtree, tmp, True)
        for tool, name, body, argv in (
                ("/usr/bin/amtool", "alertmanager.yml",
                 am + "  - name: team-default\n", ["check-config"]),
                ("/usr/bin/promtool", "prometheus.yml", prom,
                 ["check", "config"])):
            if not os.path.exists(tool):
                self.skipTest(tool + " is not installed")
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(body)
            out = subprocess.run([tool] + argv + [path], capture_output=True,
                                 text=True, timeout=120, cwd=tmp)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # once an alert arrived, the overview has its numbers instead
        hook = self.d.webhook(make_notification(
            [make_alert(STEADY, now_ms() - 10 * MIN)], receiver="pager"))
        self.assertEqual(hook.status, 200)
        r = self.d.get("/")
        self.assertNotIn('id="connect"', r.text)
        self.assertIn("UiSteady", r.text)

    def test_no_warning_with_an_alert_stored(self):
        self.d.webhook(make_notification(
            [make_alert(STEADY, now_ms() - 10 * MIN)], receiver="pager"))
        self.d.stop()
        d = Daemon(CONFIG, storage=self.d.storage).start()
        self.addCleanup(d.cleanup)
        wait_for(lambda: "Server is ready" in d.log(), what="the log")
        self.assertNotIn("No source of pages is known", d.log())


def escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


# --- links (issue 15) -------------------------------------------------------

LINK_RUNBOOK = "https://wiki.example.com/runbooks/disk full"
LINK_GRAPH = "http://prometheus:9090/graph?g0.expr=disk%3E90&g0.tab=0"
LINK_AM = "http://am.example.com:9093"
LINKED = {"alertname": "UiLinked", "instance": "db1"}
EVIL = {"alertname": "UiEvil", "instance": "x"}


class LinksUiTest(SeededDaemonTest):
    """An alert's links (runbook, graph, silence form, dashboard) after its
    name in the overview's tables and on its page's header; a javascript:
    runbook never linked."""
    DAEMON_CONFIG = CONFIG + "report:\n  grafana_url: http://grafana/d/n\n"
    page = UiTest.page

    @classmethod
    def seed(cls):
        for labels, runbook, graph in (
                (LINKED, LINK_RUNBOOK, LINK_GRAPH),
                (EVIL, "javascript:alert(1)", "javascript:alert(2)")):
            for i in range(3):
                start = T + i * MIN
                post_episode(cls.d, labels, start, start + 30 * 1000,
                             receiver="pager", external_url=LINK_AM,
                             annotations={"runbook_url": runbook},
                             generator_url=graph)

    LINKS = ('<span class="links">'
             '<a href="https://wiki.example.com/runbooks/disk%20full" '
             'rel="noopener noreferrer">runbook</a> \u00b7 '
             '<a href="http://prometheus:9090/graph?g0.expr=disk%3E90&amp;'
             'g0.tab=0" rel="noopener noreferrer">graph</a> \u00b7 '
             '<a href="http://am.example.com:9093/#/silences/new?filter='
             '%7Balertname%3D%22UiLinked%22%7D" rel="noopener noreferrer">'
             'silence</a> \u00b7 '
             '<a href="http://grafana/d/n?var-alertname=UiLinked" '
             'rel="noopener noreferrer">dashboard</a></span>')

    def test_overview_tables_link_out(self):
        text, p = self.page("/")
        top = text[text.index('id="top-noisy"'):text.index('id="alerts"')]
        every = text[text.index('id="alerts"'):]
        for part in (top, every):
            self.assertIn('href="/alerts/UiLinked?window=7d">UiLinked</a> ' +
                          self.LINKS, part)
        # the javascript: runbook and graph are not links, nor text
        self.assertNotIn("javascript", text.lower())
        self.assertIn('href="/alerts/UiEvil?window=7d">UiEvil</a> '
                      '<span class="links"><a href="http://am.example.com'
                      ':9093/#/silences/new?filter=%7Balertname%3D%22UiEvil'
                      '%22%7D" rel="noopener noreferrer">silence</a>', text)

    def test_alert_page_header_links_out(self):
        text, p = self.page("/alerts/UiLinked")
        self.assertIn("<h1>UiLinked</h1>\n<p> " + self.LINKS + "</p>", text)
        text, p = self.page("/alerts/UiEvil")
        self.assertNotIn("javascript", text.lower())


# the weekly review's daemon config and ISO weeks, as test_report's
from test_report import TEAMS_CONFIG as SCOPE_CONFIG, ZONE as SCOPE_ZONE, \
    iso_week


def week_days(week):
    """The Monday and the Sunday of an ISO week, as "YYYY-MM-DD"."""
    y, w = int(week[:4]), int(week[6:])
    return (datetime.date.fromisocalendar(y, w, 1).isoformat(),
            datetime.date.fromisocalendar(y, w, 7).isoformat())


def episode_fps(text):
    """The fingerprints of the rows of an alert page's episodes table."""
    return re.findall(r'<tr><td class="id" title="fingerprint ([0-9a-f]{16})',
                      section_of(text, "episodes"))


class ScopedPagesTest(unittest.TestCase):
    """Every page in the scope the overview takes (week=, team=), on a
    daemon whose clock is moved a week on between the two weeks it is fed:
      week A  PayErr (team payments) three episodes, SearchSlow (search)
              one;
      week B  PayErr two and SearchSlow four; SharedErr one for each team
              (instance p: payments, s: search); a storm of ten identities
              for each team (PayStorm, SearchStorm, half an hour apart);
              PayFlap and SearchFlap, five short paged episodes each,
              three marked noise."""

    @classmethod
    def episode(cls, labels, start, receiver="pager"):
        post_episode(cls.d, labels, start, start + 20 * 1000,
                     receiver=receiver)

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(SCOPE_CONFIG, extra_args=("--test.clock",)).start()
        t = now_ms() - 30 * MIN
        cls.week_a = iso_week(t)
        cls.pay_a = {"alertname": "PayErr", "team": "payments",
                     "instance": "x"}
        for i in range(3):
            cls.episode(cls.pay_a, t + i * MIN)
        cls.episode({"alertname": "SearchSlow", "team": "search",
                     "instance": "x"}, t + 5 * MIN)
        now = cls.d.advance_clock("7d")
        t = now - 3 * 3600 * 1000
        cls.week_b = iso_week(t)
        for i in range(2):
            cls.episode(cls.pay_a, t + i * MIN)
        for i in range(4):
            cls.episode({"alertname": "SearchSlow", "team": "search",
                         "instance": "x"}, t + 5 * MIN + i * MIN)
        cls.shared = {}
        for team, inst in (("payments", "p"), ("search", "s")):
            cls.shared[team] = {"alertname": "SharedErr", "team": team,
                                "instance": inst}
            cls.episode(cls.shared[team], t + 10 * MIN)
        for k, (name, team) in enumerate((("PayStorm", "payments"),
                                          ("SearchStorm", "search"))):
            for i in range(10):
                a = make_alert({"alertname": name, "team": team,
                                "instance": "i%02d" % i},
                               t + (40 + 30 * k) * MIN,
                               t + (40 + 30 * k) * MIN + 20 * 1000)
                r = cls.d.webhook(make_notification(
                    [a], receiver="team-x",
                    group_by=("alertname", "instance")))
                assert r.status == 200, r.text
        for k, (name, team) in enumerate((("PayFlap", "payments"),
                                          ("SearchFlap", "search"))):
            labels = {"alertname": name, "team": team, "instance": "f"}
            for i in range(5):
                start = t + (120 + 30 * k) * MIN + i * MIN
                a = make_alert(labels, start, start + 30 * 1000)
                for x in (dict(a, status="firing", endsAt=GO_ZERO_TIME), a):
                    r = cls.d.webhook(make_notification([x],
                                                        receiver="pager"))
                    assert r.status == 200, r.text
                if i < 3:
                    r = cls.d.post(
                        "/api/v1/feedback", '{"fingerprint":"%s",'
                        '"starts_at":%d,"verdict":"noise"}' %
                        (fingerprint(labels), start // 1000))
                    assert r.status == 200, r.text

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def page(self, path, status=200):
        r = self.d.get(path)
        self.assertEqual(r.status, status, (path, r.text[:2000]))
        p = Page(r.text)
        self.assertEqual((p.errors, p.stack), ([], []), path)
        return r.text, p

    def scope(self, team="payments", week=None):
        return "week=%s&team=%s" % (week or self.week_b, team)

    def test_alert_page_of_a_week_and_a_team(self):
        fp = fingerprint(self.pay_a)
        for week, n in ((self.week_a, 3), (self.week_b, 2)):
            text, _ = self.page("/alerts/PayErr?" + self.scope(week=week))
            self.assertEqual(episode_fps(text), [fp] * n, week)
            monday, sunday = week_days(week)
            self.assertIn("Week %s: %s to %s (%s). Alerts of team payments."
                          % (week, monday, sunday, SCOPE_ZONE), text)
        # an alertname of both teams: the team's identity only
        text, _ = self.page("/alerts/SharedErr?" + self.scope())
        self.assertEqual(episode_fps(text),
                         [fingerprint(self.shared["payments"])])
        text, _ = self.page("/alerts/SharedErr?week=" + self.week_b)
        self.assertEqual(sorted(episode_fps(text)),
                         sorted(fingerprint(x)
                                for x in self.shared.values()))

    def test_groups_of_a_team(self):
        text, _ = self.page("/groups?week=" + self.week_b)
        self.assertIn(">PayStorm</a>", text)
        self.assertIn(">SearchStorm</a>", text)
        text, _ = self.page("/groups?" + self.scope())
        self.assertIn(">PayStorm</a>", text)
        self.assertIn("Alerts of team payments.", text)
        for name in ("SearchStorm", "SearchSlow", "SearchFlap"):
            self.assertNotIn(name, text)
        # a team no alert has: nothing, as on the overview
        text, _ = self.page("/groups?" + self.scope(team="nobody"))
        self.assertIn("No dedup group in this window.", text)
        self.assertNotIn("Storm", text)

    def test_recommendations_of_a_team(self):
        text, _ = self.page("/recommendations?week=" + self.week_b)
        self.assertIn(">SearchFlap</a>", text)
        self.assertIn(">PayFlap</a>", text)
        text, _ = self.page("/recommendations?" + self.scope())
        self.assertIn(">PayFlap</a>", text)
        self.assertIn("Alerts of team payments.", text)
        self.assertIn("the ones about its alerts' alertnames", text)
        for name in ("SearchStorm", "SearchSlow", "SearchFlap"):
            self.assertNotIn(name, text)
        # the cards: those of the team's report
        r = self.d.get("/api/v1/report?" + self.scope())
        recs = r.json()["data"]["recommendations"]
        self.assertTrue(recs)
        self.assertEqual(text.count("<article>"), len(recs))

    def test_links_keep_the_scope(self):
        q = "week=%s&team=payments" % self.week_b
        text, p = self.page("/?" + q)
        pages = [h for h in p.hrefs if h.startswith(
            ("/alerts/", "/groups?", "/recommendations?", "/?",
             "/api/v1/report?"))]
        self.assertIn("/alerts/PayErr?" + q, pages)
        for h in ("/groups?" + q, "/recommendations?" + q, "/?" + q,
                  "/api/v1/report?format=html&" + q):
            self.assertIn(h, pages)
        for h in pages:
            if "window=" in h:      # the window choices: the team kept
                self.assertTrue(h.endswith("&team=payments"), h)
            else:
                self.assertTrue(h.endswith(q), h)
        # and on from the alert page, the groups and recommendations pages
        for path in ("/alerts/PayErr", "/groups", "/recommendations"):
            text, p = self.page(path + "?" + q)
            for h in ("/?" + q, "/groups?" + q, "/recommendations?" + q):
                self.assertIn(h, p.hrefs, path)
        # the report of the week and team links to its alert pages alike
        r = self.d.get("/api/v1/report?format=html&" + q)
        self.assertEqual(r.status, 200)
        self.assertIn('href="/alerts/PayErr?week=%s&amp;team=payments"'
                      % self.week_b, r.text)
        r = self.d.get("/api/v1/report?" + q)
        top = {a["alertname"]: a for a in r.json()["data"]["topNoisy"]}
        self.assertEqual(top["PayFlap"]["links"]["page"],
                         "/alerts/PayFlap?" + q)
        r = self.d.get("/api/v1/report?week=" + self.week_b)
        top = {a["alertname"]: a for a in r.json()["data"]["topNoisy"]}
        self.assertEqual(top["PayFlap"]["links"]["page"],
                         "/alerts/PayFlap?week=" + self.week_b)

    def test_a_bad_week_is_400(self):
        for path in ("/alerts/PayErr", "/groups", "/recommendations", "/"):
            text, p = self.page(path + "?week=2026-W99&team=payments", 400)
            self.assertIn('invalid week "2026-W99": want an ISO week such '
                          "as 2026-W48", p.plain)
            # its links lead to the default scope
            self.assertNotIn("2026-W99", text.split("</nav>")[0])


class ChromiumTest(unittest.TestCase):
    """The overview and an alert page, rendered by a real browser."""

    CHROMIUM = shutil.which("chromium")

    def test_pages_render_in_headless_chromium(self):
        if self.CHROMIUM is None:
            self.skipTest("Debian's chromium is not installed (`make "
                          "deps-test` installs it; apt-get install chromium)")
        d = Daemon(CONFIG).start()
        shots = os.path.join(BUILD, "test-ui")
        os.makedirs(shots, exist_ok=True)
        profile = tempfile.mkdtemp(prefix="an-chromium-")
        try:
            seed(d)
            for name, path in (("overview", "/"),
                               ("alert", "/alerts/UiDisk"),
                               ("alert-flappy", "/alerts/UiFlappy?window=1d")):
                png = os.path.join(shots, name + ".png")
                if os.path.exists(png):
                    os.unlink(png)
                r = subprocess.run(
                    [self.CHROMIUM, "--headless", "--no-sandbox",
                     "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--user-data-dir=" + profile,
                     "--enable-logging=stderr", "--v=0",
                     "--screenshot=" + png, "--window-size=1200,1600",
                     d.url + path],
                    capture_output=True, text=True, timeout=180)
                print("\nUI screenshot: %s (%s)" % (png, path))
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                self.assertTrue(os.path.exists(png), r.stderr[-2000:])
                with open(png, "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
                self.assertGreater(os.path.getsize(png), 10 * 1024)
                console = [line for line in r.stderr.splitlines()
                           if "Uncaught" in line or "ERROR:CONSOLE" in line or
                           "Refused to" in line]
                self.assertEqual(console, [])
        finally:
            d.cleanup()
            shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

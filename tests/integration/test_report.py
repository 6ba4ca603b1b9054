"""test_report.py -- the weekly review report (GET /api/v1/report and
`alertnoised report`) against the real daemon.

One daemon for the whole file (time zone Europe/Berlin, receiver "pager"
pages), seeded through Alertmanager webhooks with:
  Flappy  five short episodes a minute apart, each paged: flapping and
          transient, all noise;
  Steady  one page, still firing, marked actionable by a human;
  Storm   ten identities at once (not paged): a storm group;
  Quiet   one ten-minute episode to a non-paging receiver: actionable;
  OldNoise three short episodes eight days ago: noisy in the previous
          window only.
Every test only reads. The report's numbers are checked against
/api/v1/summary and against what the test computes from the store (pages
out of working hours, in Berlin time), its shape with a small validator.

The HTML rendering is loaded in Debian's headless Chromium (package
chromium, in the Makefile's TEST_DEPS), which writes a screenshot (kept, its
path printed) and logs the page's console on stderr: a script error or a
refused resource would show as an "Uncaught" or "ERROR:CONSOLE" line (or
"Refused to"), and none may."""
import datetime
import html.parser
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import zoneinfo

from harness import (BINARY, BUILD, Daemon, GO_ZERO_TIME, make_alert,
                     make_notification, now_ms, parse_rfc3339_ms,
                     post_episode, rfc3339, SeededDaemonTest)

ZONE = "Europe/Berlin"
CONFIG = """\
analysis:
  paging_receivers: [pager]
  cache_ttl: 0s
report:
  timezone: %s
""" % ZONE

T = now_ms() - 2 * 3600 * 1000          # two hours ago
MIN = 60 * 1000
DAY = 24 * 3600 * 1000

TOP_KEYS = {"window", "week", "match", "from", "to", "generatedAt",
            "timezone",
            "workingHours", "workingDays", "previous", "kpis",
            "pagesPerDay", "noiseRatioPerDay", "topNoisy", "flapping",
            "persistent", "dedupGroups", "recommendations", "changes",
            "notNotified"}
KPIS = ("noiseRatio", "pageNoiseRatio", "pages", "outOfHoursPages",
        "mttrSeconds", "feedbackCoverage")
HEADINGS = ("# Alert noise review: ", "## Key figures", "## Day by day",
            "## Noisiest alerts", "## Flapping alerts",
            "## Persistent alerts", "## Dedup groups", "## Recommendations",
            "## What changed")

# --- a small structural validator -------------------------------------------
#
# A schema is a type name ("str", "int", "num", "bool", "time", "day",
# "any"), that name with "?" (null allowed), a dict (an object with exactly
# these keys, each checked), or a one-element list (an array of such).

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DAY_RE = re.compile(r"^\d{4}-\d\d-\d\d$")


class Nullable:
    """A schema that also admits null."""

    def __init__(self, schema):
        self.schema = schema


def validate(schema, value, path="$"):
    """Returns the list of what is wrong with value against schema."""
    if isinstance(schema, Nullable):
        return [] if value is None else validate(schema.schema, value, path)
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return ["%s: want an object, got %r" % (path, value)]
        errs = []
        for k in sorted(set(schema) - set(value)):
            errs.append("%s: missing key %s" % (path, k))
        for k in sorted(set(value) - set(schema)):
            errs.append("%s: unexpected key %s" % (path, k))
        for k in sorted(set(schema) & set(value)):
            errs += validate(schema[k], value[k], path + "." + k)
        return errs
    if isinstance(schema, list):
        if not isinstance(value, list):
            return ["%s: want an array, got %r" % (path, value)]
        errs = []
        for i, v in enumerate(value):
            errs += validate(schema[0], v, "%s[%d]" % (path, i))
        return errs
    if schema.endswith("?"):
        if value is None:
            return []
        schema = schema[:-1]
    ok = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "num": lambda v: isinstance(v, (int, float)) and
        not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "time": lambda v: isinstance(v, str) and TIME_RE.match(v),
        "day": lambda v: isinstance(v, str) and DAY_RE.match(v),
        "any": lambda v: True,
    }[schema](value)
    return [] if ok else ["%s: want %s, got %r" % (path, schema, value)]


CLASSES = {c: "int" for c in ("actionable", "duplicate", "flapping",
                              "transient", "persistent", "noise")}
CHANGE = {"current": "num?", "previous": "num?", "change": "num?"}
# an alert row's links (links.h): keys absent when unknown (LinksReportTest)
LINKS = "any"
GROUP = {"kind": "str",
         "members": [{"alertname": "str", "labels": "any"}],
         "leader": "any", "support": "int", "jaccard": "num",
         "evidence": "any"}
REPORT_SCHEMA = {
    "window": "str", "week": "str?", "match": ["str"],
    "from": "time", "to": "time", "generatedAt": "time",
    "timezone": "str", "workingHours": "str", "workingDays": ["str"],
    "previous": {"from": "time", "to": "time"},
    "kpis": {k: CHANGE for k in KPIS},
    # null without an Alertmanager source (test_sources.py has the object)
    "notNotified": Nullable({k: "int" for k in (
        "silenced", "inhibited", "muted", "resolvedInGroupWait",
        "unknown")}),
    "pagesPerDay": [{"day": "day", "pages": "int", "noisePages": "int"}],
    "noiseRatioPerDay": [{"day": "day", "episodes": "int",
                             "noiseEpisodes": "int",
                             "noiseRatio": "num?"}],
    "topNoisy": [{"alertname": "str", "episodes": "int",
                   "noiseEpisodes": "int", "noiseRatio": "num?",
                   "classes": CLASSES, "pages": "int", "flapScore": "num?",
                   "timeToResolveSeconds": "num?", "verdicts": "int",
                   "verdictCoverage": "num?", "team": "str",
                   "links": LINKS}],
    "flapping": [{"alertname": "str", "flappingEpisodes": "int",
                  "episodes": "int", "flapScore": "num",
                  "flapping": "bool", "links": LINKS}],
    "persistent": [{"alertname": "str", "persistentEpisodes": "int",
                    "episodes": "int", "longestFiringSeconds": "num",
                    "stillFiring": "bool", "links": LINKS}],
    "dedupGroups": [GROUP],
    "recommendations": ["any"],
    "changes": {
        "newlyNoisy": [{"alertname": "str", "episodes": "int",
                         "noiseEpisodes": "int", "noiseRatio": "num?",
                         "previousEpisodes": "int",
                         "previousNoiseRatio": "num?", "links": LINKS}],
        "noLongerNoisy": [{"alertname": "str", "episodes": "int",
                             "noiseRatio": "num?",
                             "previousEpisodes": "int",
                             "previousNoiseRatio": "num?",
                             "links": LINKS}],
        "newAlerts": ["str"],
        "goneAlerts": ["str"],
        "newGroups": [GROUP],
        "pagesChange": CHANGE,
    },
}


class TagBalance(html.parser.HTMLParser):
    """Checks that every element is closed in order (void elements
    aside)."""
    VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect",
            "polyline", "path"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (
                tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()


def ms_of(rfc):
    return int(datetime.datetime.strptime(
        rfc, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def local_days(from_ms, to_ms):
    """Every local date from from_ms to to_ms - 1, as the report lists."""
    z = zoneinfo.ZoneInfo(ZONE)
    d = datetime.datetime.fromtimestamp(from_ms / 1000, z).date()
    last = datetime.datetime.fromtimestamp((to_ms - 1) / 1000, z).date()
    out = []
    while d <= last:
        out.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return out


def out_of_hours(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, zoneinfo.ZoneInfo(ZONE))
    minute = t.hour * 60 + t.minute
    return t.weekday() >= 5 or minute < 9 * 60 or minute >= 18 * 60


def strip_md_links(md):
    """md without the alerts' links (links.h: " ([runbook](<url>) ...)")."""
    return re.sub(r" \((?:(?: \u00b7 )?\[[a-z ]+\]\(<[^>\s]*>\))+\)", "",
                  md)


def strip_html_links(page):
    """page without the alerts' links (an <a> with rel="noopener
    noreferrer" to an http(s) URL)."""
    return re.sub(r'<a href="https?://[^"<>\s]*" rel="noopener noreferrer">',
                  "<a>", page)


class ReportTest(SeededDaemonTest):
    DAEMON_CONFIG = CONFIG

    @classmethod
    def post(cls, payload):
        r = cls.d.webhook(payload)
        assert r.status == 200, r.text

    @classmethod
    def seed(cls):
        for i in range(5):
            start = T + i * MIN
            post_episode(cls.d, {"alertname": "Flappy", "instance": "a"},
                         start, start + 30 * 1000, receiver="pager")
        steady = {"alertname": "Steady", "instance": "b"}
        cls.post(make_notification([make_alert(steady, T + 10 * MIN)],
                                   receiver="pager"))
        storm = [make_alert({"alertname": "Storm", "instance": "i%02d" % i},
                            T + 20 * MIN, T + 20 * MIN + 20 * 1000)
                 for i in range(10)]
        cls.post(make_notification(storm, receiver="team-x"))
        cls.post(make_notification([make_alert(
            {"alertname": "Quiet"}, T + 30 * MIN, T + 40 * MIN)],
            receiver="team-x"))
        for i in range(3):
            start = now_ms() - 8 * DAY + i * MIN
            cls.post(make_notification([make_alert(
                {"alertname": "OldNoise"}, start, start + 20 * 1000)],
                receiver="team-x"))
        r = cls.d.post("/api/v1/feedback", json.dumps({
            "fingerprint": make_alert(steady, 0)["fingerprint"],
            "verdict": "actionable", "by": "test"}))
        assert r.status == 200, r.text

    def report(self, **params):
        q = "&".join("%s=%s" % kv for kv in params.items())
        r = self.d.get("/api/v1/report" + ("?" + q if q else ""))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        body = r.json()
        self.assertEqual(body["status"], "success")
        return body["data"]

    def cli(self, *args, storage=None):
        return subprocess.run(
            [BINARY, "report", "--config.file=" + self.d.config_path,
             "--storage.path=" + (storage or self.d.storage)] + list(args),
            capture_output=True, text=True, timeout=60)

    # --- the JSON -----------------------------------------------------------

    def test_json_has_the_documented_shape(self):
        rep = self.report()
        self.assertEqual(set(rep), TOP_KEYS)
        self.assertEqual(validate(REPORT_SCHEMA, rep), [])
        self.assertEqual(rep["window"], "7d")    # as asked (the default)
        self.assertEqual(rep["timezone"], ZONE)
        self.assertEqual(rep["workingHours"], "09:00-18:00")
        self.assertEqual(rep["workingDays"],
                         ["mon", "tue", "wed", "thu", "fri"])
        self.assertEqual(ms_of(rep["to"]) - ms_of(rep["from"]), 7 * DAY)
        self.assertEqual(rep["to"], rep["generatedAt"])
        self.assertEqual(rep["previous"]["to"], rep["from"])
        self.assertEqual(rep["recommendations"], [])

    def test_kpis_agree_with_the_summary(self):
        rep = self.report()
        s = self.d.get("/api/v1/summary?window=7d").json()["data"]
        k = rep["kpis"]
        self.assertAlmostEqual(k["noiseRatio"]["current"], s["noiseRatio"])
        self.assertAlmostEqual(k["pageNoiseRatio"]["current"],
                               s["pageNoiseRatio"])
        self.assertEqual(k["pages"]["current"], s["pages"])
        self.assertEqual(k["mttrSeconds"]["current"],
                         s["mttrSeconds"]["median"])
        self.assertAlmostEqual(k["feedbackCoverage"]["current"],
                               s["feedbackCoverage"])
        # 6 pages: Flappy's five and Steady's; Steady's has a verdict
        self.assertEqual(s["pages"], 6)
        self.assertAlmostEqual(s["feedbackCoverage"], 1 / 6)
        # the previous window: OldNoise's three episodes, no page
        prev = k["noiseRatio"]["previous"]
        self.assertEqual(prev, 1.0)
        self.assertAlmostEqual(k["noiseRatio"]["change"],
                               s["noiseRatio"] - 1.0)
        self.assertEqual(k["pages"]["previous"], 0)
        self.assertEqual(k["pages"]["change"], 6)
        self.assertIsNone(k["pageNoiseRatio"]["previous"])
        self.assertIsNone(k["pageNoiseRatio"]["change"])

    def test_out_of_hours_pages_in_berlin_time(self):
        rep = self.report()
        pages = [r["received_at"] for r in self.d.query(
            "SELECT received_at FROM notifications WHERE receiver = 'pager'"
            " AND status = 'firing'")]
        self.assertEqual(len(pages), 6)
        want = sum(out_of_hours(ms) for ms in pages)
        self.assertEqual(rep["kpis"]["outOfHoursPages"]["current"], want)
        self.assertEqual(rep["kpis"]["outOfHoursPages"]["previous"], 0)

    def test_per_day_series_cover_every_local_day(self):
        rep = self.report()
        s = self.d.get("/api/v1/summary?window=7d").json()["data"]
        days = local_days(ms_of(rep["from"]), ms_of(rep["to"]))
        self.assertEqual([d["day"] for d in rep["pagesPerDay"]], days)
        self.assertEqual([d["day"] for d in rep["noiseRatioPerDay"]],
                         days)
        self.assertEqual(sum(d["pages"] for d in rep["pagesPerDay"]),
                         s["pages"])
        self.assertEqual(sum(d["noisePages"] for d in rep["pagesPerDay"]),
                         s["noisePages"])
        self.assertEqual(sum(d["episodes"]
                             for d in rep["noiseRatioPerDay"]),
                         s["episodes"])
        self.assertEqual(sum(d["noiseEpisodes"]
                             for d in rep["noiseRatioPerDay"]),
                         s["noiseEpisodes"])
        for d in rep["noiseRatioPerDay"]:
            if d["episodes"] == 0:
                self.assertIsNone(d["noiseRatio"])
            else:
                self.assertAlmostEqual(d["noiseRatio"],
                                       d["noiseEpisodes"] / d["episodes"])
        # a one-day window spans one or two local days
        one = self.report(window="1d")
        self.assertEqual(one["window"], "1d")
        self.assertEqual([d["day"] for d in one["pagesPerDay"]],
                         local_days(ms_of(one["from"]), ms_of(one["to"])))

    def test_alert_lists_and_changes(self):
        rep = self.report()
        alerts = {a["alertname"]: a for a in
                  self.d.get("/api/v1/alerts?window=7d").json()["data"]}
        top = rep["topNoisy"]
        # Storm: 9 duplicates + 1 transient; Flappy: 5
        self.assertEqual([t["alertname"] for t in top], ["Storm", "Flappy"])
        for t in top:
            a = alerts[t["alertname"]]
            for key in ("episodes", "noiseEpisodes", "noiseRatio",
                        "classes", "pages"):
                self.assertEqual(t[key], a[key], key)
        # a flap score only where enough episodes fired to tell: each of
        # Storm's identities fired once (the API gives the raw score)
        self.assertIsNone(top[0]["flapScore"])
        self.assertEqual(top[1]["flapScore"], alerts["Flappy"]["flapScore"])
        self.assertEqual(top[1]["pages"], 5)
        self.assertEqual([f["alertname"] for f in rep["flapping"]],
                         ["Flappy"])
        self.assertEqual(rep["flapping"][0]["flappingEpisodes"],
                         alerts["Flappy"]["classes"]["flapping"])
        self.assertEqual(rep["persistent"], [])
        self.assertEqual([g["kind"] for g in rep["dedupGroups"]], ["storm"])
        self.assertEqual(rep["dedupGroups"],
                         self.d.get("/api/v1/groups?window=7d").json()["data"])
        ch = rep["changes"]
        self.assertEqual(sorted(a["alertname"] for a in ch["newlyNoisy"]),
                         ["Flappy", "Storm"])
        self.assertEqual([a["alertname"] for a in ch["noLongerNoisy"]],
                         ["OldNoise"])
        self.assertEqual(ch["noLongerNoisy"][0]["previousEpisodes"], 3)
        self.assertEqual(ch["noLongerNoisy"][0]["episodes"], 0)
        self.assertEqual(ch["newGroups"], rep["dedupGroups"])
        self.assertEqual(ch["pagesChange"], rep["kpis"]["pages"])
        # fired this window, not the one before; and the reverse
        self.assertEqual(ch["newAlerts"],
                         ["Flappy", "Quiet", "Steady", "Storm"])
        self.assertEqual(ch["goneAlerts"], ["OldNoise"])

    def test_bad_parameters(self):
        for q, fragment in (("window=abc", "invalid window"),
                            ("window=0s", "invalid window"),
                            ("window=400d", "invalid window"),
                            ("format=pdf", "invalid format")):
            r = self.d.get("/api/v1/report?" + q)
            self.assertEqual(r.status, 400, q)
            body = r.json()
            self.assertEqual(body["status"], "error")
            self.assertEqual(body["errorType"], "bad_data")
            self.assertIn(fragment, body["error"])
        r = self.d.post("/api/v1/report", "")
        self.assertEqual(r.status, 405)

    # --- the renderings ---------------------------------------------------

    def test_markdown(self):
        r = self.d.get("/api/v1/report?format=markdown&window=7d")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"],
                         "text/markdown; charset=utf-8")
        md = r.text
        self.assertTrue(md.startswith(HEADINGS[0]), md[:80])
        pos = [md.find("\n" + h + "\n") for h in HEADINGS[1:]]
        self.assertNotIn(-1, pos, md)
        self.assertEqual(pos, sorted(pos))
        md = strip_md_links(md)
        self.assertIn("| 2 | `Flappy` | 5 | 100% | 5 |", md)
        self.assertIn("- **No longer noisy:**\n  - `OldNoise`: no episodes "
                      "now (previous window: 100% of 3)", md)

    def test_html(self):
        r = self.d.get("/api/v1/report?format=html")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'",
                      r.headers["Content-Security-Policy"])
        page = r.text
        self.assertTrue(page.startswith("<!doctype html>\n<html lang=\"en\">"))
        self.assertNotIn("<script", page.lower())
        # nothing loaded from elsewhere: no URL but the alerts' links
        self.assertNotIn("http", strip_html_links(page).lower())
        p = TagBalance()
        p.feed(page)
        p.close()
        self.assertEqual(p.errors, [])
        self.assertEqual(p.stack, [])
        self.assertEqual(p.tags.count("svg"), 3)
        self.assertIn("Flappy", page)

    # --- the CLI ------------------------------------------------------------

    def test_cli_while_the_daemon_runs(self):
        md = self.cli("--format=markdown")
        self.assertEqual(md.returncode, 0, md.stderr)
        self.assertEqual(md.stderr, "")
        for h in HEADINGS:
            self.assertIn(h, md.stdout)
        self.assertIn("| 2 | `Flappy` | 5 | 100% | 5 |",
                      strip_md_links(md.stdout))
        # the same numbers as the API's
        js = self.cli("--format=json", "--window", "7d")
        self.assertEqual(js.returncode, 0, js.stderr)
        cli = json.loads(js.stdout)
        api = self.report()
        self.assertEqual(validate(REPORT_SCHEMA, cli), [])
        for key in ("kpis", "topNoisy", "flapping", "dedupGroups",
                    "changes"):
            self.assertEqual(cli[key], api[key], key)
        # --output, and html
        out = tempfile.mkdtemp(prefix="an-report-")
        try:
            path = os.path.join(out, "report.html")
            r = self.cli("--format=html", "--output=" + path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "")
            with open(path) as f:
                self.assertTrue(f.read().startswith("<!doctype html>"))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_cli_errors(self):
        r = self.cli("--format=pdf")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format", r.stderr)
        r = self.cli("--window=soon")
        self.assertEqual(r.returncode, 2)
        r = self.cli("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown flag --bogus", r.stderr)
        empty = tempfile.mkdtemp(prefix="an-report-")
        try:
            r = self.cli(storage=os.path.join(empty, "none"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("no store at", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(empty, "none")))
            r = self.cli("--output=" + os.path.join(empty, "no", "such"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("No such file or directory", r.stderr)
        finally:
            shutil.rmtree(empty, ignore_errors=True)
        r = subprocess.run([BINARY, "report", "--help"], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: alertnoised report", r.stdout)


TEAMS_CONFIG = """\
analysis:
  paging_receivers: [pager]
  cache_ttl: 1h      # the cache must tell selections and spans apart
  team_label: team
report:
  timezone: %s
""" % ZONE


def iso_week(ms):
    """The ISO week of ms's date in Berlin, as "2026-W48"."""
    y, w, _ = datetime.datetime.fromtimestamp(
        ms / 1000, zoneinfo.ZoneInfo(ZONE)).isocalendar()
    return "%04d-W%02d" % (y, w)


def week_bounds(week):
    """The Berlin midnights that start the ISO week and the next, in ms."""
    y, w = int(week[:4]), int(week[6:])
    monday = datetime.date.fromisocalendar(y, w, 1)
    z = zoneinfo.ZoneInfo(ZONE)
    start = datetime.datetime.combine(monday, datetime.time(), z)
    end = datetime.datetime.combine(monday + datetime.timedelta(days=7),
                                    datetime.time(), z)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


class WeeklyTeamReviewTest(unittest.TestCase):
    """The review of a calendar week for a team (week=, team=, match[],
    start/end) on a daemon whose clock is moved a week on between the two
    weeks it is fed, so that its pages are received in each:
      week A  PayErr (team payments) paged three times, SearchSlow
              (search) once;
      week B  PayErr twice and PayNew once (payments), SearchSlow four
              times.
    Each page is a short episode, fired and resolved."""

    @classmethod
    def page(cls, name, team, start):
        post_episode(cls.d, {"alertname": name, "team": team,
                             "instance": "x"}, start, start + 20 * 1000,
                     receiver="pager")

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(TEAMS_CONFIG, extra_args=("--test.clock",)).start()
        t = now_ms() - 30 * MIN
        cls.week_a = iso_week(now_ms())
        for i in range(3):
            cls.page("PayErr", "payments", t + i * MIN)
        cls.page("SearchSlow", "search", t + 5 * MIN)
        now = cls.d.advance_clock("7d")
        t = now - 30 * MIN
        cls.week_b = iso_week(now)
        for i in range(2):
            cls.page("PayErr", "payments", t + i * MIN)
        cls.page("PayNew", "payments", t + 3 * MIN)
        for i in range(4):
            cls.page("SearchSlow", "search", t + 5 * MIN + i * MIN)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def report(self, q, status=200):
        r = self.d.get("/api/v1/report?" + q)
        self.assertEqual(r.status, status, r.text)
        return r.json()["data"] if status == 200 else r.json()["error"]

    def pages(self, rep):
        return (rep["kpis"]["pages"]["current"],
                rep["kpis"]["pages"]["previous"])

    def test_a_calendar_week_in_the_report_zone(self):
        rep = self.report("week=" + self.week_b)
        start, end = week_bounds(self.week_b)
        self.assertEqual(rep["week"], self.week_b)
        self.assertEqual(rep["match"], [])
        self.assertEqual(parse_rfc3339_ms(rep["from"]), start)
        self.assertEqual(parse_rfc3339_ms(rep["to"]), end)
        self.assertEqual(parse_rfc3339_ms(rep["previous"]["from"]),
                         week_bounds(self.week_a)[0])
        # every team: seven pages this week against four the week before
        self.assertEqual(self.pages(rep), (7, 4))
        # an empty parameter is one not given (the overview's form sends
        # "team=" for every team)
        self.assertEqual(self.pages(self.report(
            "week=%s&team=&window=&start=" % self.week_b)), (7, 4))

    def test_a_team_and_the_week_before(self):
        rep = self.report("week=%s&team=payments" % self.week_b)
        self.assertEqual(rep["match"], ['{team="payments"}'])
        self.assertEqual(self.pages(rep), (3, 3))
        names = {a["alertname"] for a in rep["topNoisy"] + rep["flapping"]}
        self.assertLessEqual(names, {"PayErr", "PayNew"})
        self.assertEqual({a["team"] for a in rep["topNoisy"]}, {"payments"})
        # new this week: PayNew; none gone (PayErr fired both weeks)
        self.assertEqual(rep["changes"]["newAlerts"], ["PayNew"])
        self.assertEqual(rep["changes"]["goneAlerts"], [])
        rep = self.report("week=%s&team=search" % self.week_b)
        self.assertEqual(self.pages(rep), (4, 1))
        rep = self.report("week=%s&team=nobody" % self.week_b)
        self.assertEqual(self.pages(rep), (0, 0))

    def test_match_selects_like_prometheus(self):
        rep = self.report("week=%s&match[]=%s" % (
            self.week_b, urllib.parse.quote('{alertname="PayNew"}')))
        self.assertEqual(self.pages(rep), (1, 0))
        # two selectors: alerts either selects
        rep = self.report("week=%s&match[]=%s&match[]=%s" % (
            self.week_b, urllib.parse.quote('{alertname="PayNew"}'),
            urllib.parse.quote('{alertname="SearchSlow"}')))
        self.assertEqual(self.pages(rep), (5, 1))

    def test_start_and_end_give_the_same_numbers(self):
        start, end = week_bounds(self.week_b)
        week = self.report("week=%s&team=payments" % self.week_b)
        span = self.report("start=%s&end=%s&team=payments" % (
            rfc3339(start), (end / 1000)))
        self.assertIsNone(span["week"])
        self.assertEqual(span["kpis"], week["kpis"])
        self.assertEqual(span["previous"], week["previous"])

    def test_markdown_says_which_week_and_team(self):
        r = self.d.get("/api/v1/report?format=markdown&week=%s&team=payments"
                       % self.week_b)
        self.assertEqual(r.status, 200)
        self.assertIn("Week %s from " % self.week_b, r.text)
        self.assertIn('alerts matching {team="payments"}, compared with '
                      "the week before it.", r.text)

    def test_cli_takes_the_same_scope(self):
        r = subprocess.run(
            [BINARY, "report", "--config.file=" + self.d.config_path,
             "--storage.path=" + self.d.storage, "--format=json",
             "--week=" + self.week_b, "--team=payments"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        cli = json.loads(r.stdout)
        api = self.report("week=%s&team=payments" % self.week_b)
        self.assertEqual(cli["kpis"], api["kpis"])
        self.assertEqual(cli["match"], ['{team="payments"}'])
        r = subprocess.run(
            [BINARY, "report", "--config.file=" + self.d.config_path,
             "--storage.path=" + self.d.storage, "--format=json",
             "--week=" + self.week_b, "--match", '{alertname="PayNew"}',
             "--match={alertname=\"SearchSlow\"}"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["kpis"]["pages"]["current"], 5)
        r = subprocess.run(
            [BINARY, "report", "--config.file=" + self.d.config_path,
             "--storage.path=" + self.d.storage, "--week=2026-W99"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid week", r.stderr)

    def test_the_overview_page_takes_the_same_scope(self):
        r = self.d.get("/?team=payments&week=" + self.week_b)
        self.assertEqual(r.status, 200, r.text)
        page = r.text
        # the form: both teams offered, payments chosen, the week set
        self.assertIn("<option selected>payments</option>", page)
        self.assertIn("<option>search</option>", page)
        self.assertIn('name="week" placeholder="2026-W48" value="%s"'
                      % self.week_b, page)
        self.assertIn("Week %s: " % self.week_b, page)
        self.assertIn("Alerts of team payments.", page)
        # the Pages card says what the report says: 3, the week before 3
        cards = dict(re.findall(
            r'<div class="l">([^<]*)</div><div class="v">([^<]*)</div>',
            page))
        api = self.report("week=%s&team=payments" % self.week_b)
        self.assertEqual(cards["Pages"],
                         str(api["kpis"]["pages"]["current"]))
        self.assertEqual(cards["Pages"], "3")
        # an empty choice is "every": the window view
        r = self.d.get("/?team=&week=")
        self.assertEqual(r.status, 200)
        self.assertIn("<option value=\"\">every team</option>", r.text)
        r = self.d.get("/?week=2026-W99")
        self.assertEqual(r.status, 400)
        self.assertIn("invalid week", r.text)

    def test_bad_scopes(self):
        for q, fragment in (
                ("week=2026-W54", "invalid week"),
                ("week=2026-48", "invalid week"),
                ("week=2026-W48&window=7d", "give one of"),
                ("start=1&week=2026-W48", "give one of"),
                ("end=100", "end without start"),
                ("start=200&end=100", "end must be after start"),
                ("team=a&match[]=%7Bx%3D%22y%22%7D", "team or match[]"),
                ("match[]=%7Bx%3D", "invalid match[]"),
                ("&".join(["match[]=%7Bx%3D%22y%22%7D"] * 17),
                 "at most 16 match[] parameters")):
            self.assertIn(fragment, self.report(q, status=400), q)
        # the read API counts match[] alike
        r = self.d.get("/api/v1/episodes?" +
                       "&".join(["match[]=%7Bx%3D%22y%22%7D"] * 17))
        self.assertEqual(r.status, 400)
        self.assertIn("at most 16 match[] parameters", r.json()["error"])
LINK_RUNBOOK = "https://wiki.example.com/runbooks/disk full"
LINK_GRAPH = "http://prometheus:9090/graph?g0.expr=disk%3E90"
LINK_AM = "http://am.example.com:9093/"


class LinksReportTest(SeededDaemonTest):
    """The report's alert rows carry their links in JSON ("links"),
    Markdown and HTML; a javascript: runbook is never linked."""
    DAEMON_CONFIG = CONFIG + "  grafana_url: http://grafana/d/n?orgId=1\n"

    @classmethod
    def seed(cls):
        for name, runbook, graph in (
                ("RepLinked", LINK_RUNBOOK, LINK_GRAPH),
                ("RepEvil", "javascript:alert(1)", "javascript:alert(2)")):
            for i in range(3):
                start = T + i * MIN
                post_episode(cls.d, {"alertname": name}, start,
                             start + 30 * 1000, receiver="pager",
                             external_url=LINK_AM,
                             annotations={"runbook_url": runbook},
                             generator_url=graph)

    SILENCE = ("http://am.example.com:9093/#/silences/new?filter="
               "%7Balertname%3D%22RepLinked%22%7D")

    def test_json_rows_have_links(self):
        r = self.d.get("/api/v1/report")
        self.assertEqual(r.status, 200, r.text)
        top = {a["alertname"]: a for a in r.json()["data"]["topNoisy"]}
        self.assertEqual(top["RepLinked"]["links"], {
            "runbook": "https://wiki.example.com/runbooks/disk%20full",
            "graph": LINK_GRAPH, "silence": self.SILENCE,
            "page": "/alerts/RepLinked",
            "dashboard": "http://grafana/d/n?orgId=1&var-alertname=RepLinked"})
        self.assertEqual(set(top["RepEvil"]["links"]),
                         {"silence", "page", "dashboard"})

    def test_markdown_links(self):
        md = self.d.get("/api/v1/report?format=markdown").text
        self.assertIn(
            "`RepLinked` ([runbook](<https://wiki.example.com/runbooks/"
            "disk%20full>) \u00b7 [graph](<" + LINK_GRAPH + ">) \u00b7 "
            "[silence](<" + self.SILENCE + ">) \u00b7 [alert page]"
            "(</alerts/RepLinked>) \u00b7 [dashboard](<http://grafana/d/n?"
            "orgId=1&var-alertname=RepLinked>)) |", md)
        self.assertNotIn("javascript", md.lower())

    def test_html_links(self):
        page = self.d.get("/api/v1/report?format=html").text
        self.assertIn(
            '<code>RepLinked</code> <span class="links"><a href="https://'
            'wiki.example.com/runbooks/disk%20full" rel="noopener '
            'noreferrer">runbook</a>', page)
        self.assertIn('<a href="/alerts/RepLinked" rel="noopener '
                      'noreferrer">alert page</a>', page)
        self.assertNotIn("javascript", page.lower())
        p = TagBalance()
        p.feed(page)
        p.close()
        self.assertEqual(p.errors, [])


class StoppedDaemonTest(unittest.TestCase):
    """`alertnoised report` on one store while its daemon runs, and after
    the daemon stopped (SIGTERM)."""

    def test_report_while_running_and_after_stop(self):
        d = Daemon(CONFIG).start()
        try:
            post_episode(d, {"alertname": "Gone"}, T, T + 1000,
                         receiver="pager")
            runs = []
            for _ in ("running", "stopped"):
                r = subprocess.run(
                    [BINARY, "report", "--config.file=" + d.config_path,
                     "--storage.path=" + d.storage, "--format=markdown"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                for h in HEADINGS:
                    self.assertIn(h, r.stdout)
                self.assertIn("| 1 | `Gone` | 1 | 100% | 1 |",
                              strip_md_links(r.stdout))
                runs.append(r.stdout)
                if d.proc.poll() is None:
                    self.assertEqual(d.stop(), 0)
            # the same report but for the times in its first lines
            strip = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")
            self.assertEqual(strip.sub("T", runs[0]), strip.sub("T", runs[1]))
        finally:
            d.cleanup()


class ChromiumTest(unittest.TestCase):
    """The HTML report, rendered by a real browser."""

    CHROMIUM = shutil.which("chromium")

    def test_html_renders_in_headless_chromium(self):
        if self.CHROMIUM is None:
            self.skipTest("Debian's chromium is not installed (`make "
                          "deps-test` installs it; apt-get install chromium)")
        d = Daemon(CONFIG).start()
        shots = os.path.join(BUILD, "test-report")
        os.makedirs(shots, exist_ok=True)
        profile = tempfile.mkdtemp(prefix="an-chromium-")
        try:
            for i in range(4):
                start = T + i * MIN
                a = make_alert({"alertname": "Flappy<b>"}, start,
                               start + 1000)
                d.webhook(make_notification(
                    [dict(a, status="firing", endsAt=GO_ZERO_TIME)],
                    receiver="pager"))
                d.webhook(make_notification([a], receiver="pager"))
            page = os.path.join(shots, "report.html")
            png = os.path.join(shots, "report.png")
            for f in (page, png):
                if os.path.exists(f):
                    os.unlink(f)
            r = subprocess.run(
                [BINARY, "report", "--config.file=" + d.config_path,
                 "--storage.path=" + d.storage, "--format=html",
                 "--output=" + page], capture_output=True, text=True,
                timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run(
                [self.CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--user-data-dir=" + profile,
                 "--enable-logging=stderr", "--v=0",
                 "--screenshot=" + png, "--window-size=1200,2000",
                 "file://" + page],
                capture_output=True, text=True, timeout=180)
            print("\nreport screenshot: %s (page: %s)" % (png, page))
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertTrue(os.path.exists(png), r.stderr[-2000:])
            with open(png, "rb") as f:
                head = f.read(8)
            self.assertEqual(head, b"\x89PNG\r\n\x1a\n")
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

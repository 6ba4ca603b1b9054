"""test_kpi_metrics.py -- the KPI metrics on /metrics against the real
alertnoised (README "Metrics").

One daemon refreshing its KPIs every second, with top_alertnames 2 and the
time-to-resolve histogram split by severity. Once its first refresh is done
(alertnoise_kpi_last_refresh_timestamp_seconds), it is fed episodes of known
classes through Alertmanager webhooks and remote write:

  KpiTransient  3 identities, fired 60 s each, paged       -> 3 transient
  KpiSteady     2 identities, fired 30 min each, not paged -> 2 actionable
  KpiPersistent fired 3 days ago for 2 days, paged         -> 1 persistent
  KpiOpen       firing for 10 minutes now, paged           -> open, actionable
  KpiRw         remote-written, fired 10 minutes           -> 1 actionable
  KpiPending    remote-written, pending now                -> open, never fired

and every number is checked against what the feed implies and against the
read API's answer for the same window. A second daemon checks the histogram
without a severity label, window labels as written, and that a reload
dropping a window drops its series; a third that a restart does not count
the history again, and that the counters resume from the store where the
last process left them, a webhook rolled back counting nothing."""
import json
import os
import sqlite3
import subprocess
import time
import unittest
import urllib.parse

from harness import (Daemon, fingerprint, make_alert, make_notification,
                     now_ms, SeededDaemonTest, wait_for)
import rwenc
from rwenc import STALE, V1_HEADERS

PROMTOOL = "/usr/bin/promtool"
MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR
CLASSES = ("actionable", "duplicate", "flapping", "transient", "persistent",
           "noise")
BUCKETS = ("60", "300", "900", "1800", "3600", "7200", "14400", "43200",
           "86400", "259200", "604800", "+Inf")
ALERT_FAMILIES = ("alertnoise_alert_noise_ratio", "alertnoise_alert_episodes",
                  "alertnoise_alert_mttr_seconds",
                  "alertnoise_alert_flap_score")

# every refresh analyzes afresh (a cached analysis is reused for
# analysis.cache_ttl, so the gauges may lag by that much)
NO_CACHE = "analysis:\n  cache_ttl: 0\n"
CONFIG = """\
analysis:
  paging_receivers: [pager]
  cache_ttl: 0
metrics:
  refresh_interval: 1s
  top_alertnames: 2
  severity_label: severity
"""

T = now_ms() // 1000 * 1000

TRANSIENT = [{"alertname": "KpiTransient", "instance": i,
              "severity": "warning"} for i in ("a", "b", "c")]
STEADY = [{"alertname": "KpiSteady", "instance": i, "severity": "critical"}
          for i in ("x", "y")]
PERSISTENT = {"alertname": "KpiPersistent", "severity": "page"}
OPEN = {"alertname": "KpiOpen", "severity": "page"}
RW = {"alertname": "KpiRw", "instance": "rw"}
PENDING = {"alertname": "KpiPending", "instance": "p"}


def labels_of(key):
    return dict(key[1])


def series(m, name):
    """The samples of one metric name: [(labels dict, value)]."""
    return [(labels_of(k), v) for k, v in m.items() if k[0] == name]


def last_refresh(d):
    return d.metric("alertnoise_kpi_last_refresh_timestamp_seconds")


def wait_refresh(d, after=None):
    """Waits for a refresh that started after `after` (default: now)."""
    after = time.time() if after is None else after
    # the timestamp is taken at the end of a refresh that may have started
    # just before `after`: wait for the one after that too
    wait_for(lambda: last_refresh(d) > after + 0.001, timeout=20,
             what="a KPI refresh")
    mark = last_refresh(d)
    wait_for(lambda: last_refresh(d) > mark, timeout=20,
             what="a second KPI refresh")
    return d.metrics()


def post_webhook(d, payload):
    r = d.webhook(payload)
    assert r.status == 200, (r.status, r.text)
    return r.json()["data"]


def fired(d, labels, start, end=None, receiver="team"):
    """The notifications Alertmanager sends for one alert: firing, then
    resolved when end is given."""
    post_webhook(d, make_notification([make_alert(labels, start)],
                                      receiver=receiver))
    if end is not None:
        post_webhook(d, make_notification(
            [make_alert(labels, start, ends_ms=end)], receiver=receiver))


def api(d, path, **params):
    r = d.get(path + "?" + urllib.parse.urlencode(params))
    assert r.status == 200, (path, r.status, r.text)
    return r.json()["data"]


class KpiMetricsTest(SeededDaemonTest):
    DAEMON_CONFIG = CONFIG

    @classmethod
    def seed(cls):
        d = cls.d
        # what happened before the first refresh would not be counted
        wait_for(lambda: last_refresh(d) > 0, timeout=20,
                 what="the first KPI refresh")
        for i, labels in enumerate(TRANSIENT):
            start = T - 2 * HOUR + i * 10 * MIN
            fired(d, labels, start, start + MIN, receiver="pager")
        for labels in STEADY:
            fired(d, labels, T - 3 * HOUR, T - 3 * HOUR + 30 * MIN)
        fired(d, PERSISTENT, T - 3 * DAY, T - DAY, receiver="pager")
        fired(d, OPEN, T - 10 * MIN, receiver="pager")
        # Alertmanager retrying the last one: stored once, counted once
        data = post_webhook(d, make_notification(
            [make_alert(OPEN, T - 10 * MIN)], receiver="pager"))
        assert data["result"] == "duplicate", data
        rw_start = T - HOUR
        body = rwenc.write_body([
            (dict(RW, __name__="ALERTS", alertstate="firing"),
             [(1, rw_start), (1, rw_start + 5 * MIN),
              (STALE, rw_start + 10 * MIN)]),
            (dict(PENDING, __name__="ALERTS", alertstate="pending"),
             [(1, T - MIN), (1, T - 30000)]),
        ])
        r = d.post("/api/v1/write", body, content_type=None,
                   headers=dict(V1_HEADERS))
        assert r.status == 204, (r.status, r.text)
        cls.m = wait_refresh(d)

    def value(self, name, **labels):
        return self.m.get((name, frozenset(labels.items())))

    def test_notifications_and_pages(self):
        got = {(l["receiver"], l["status"]): v for l, v in
               series(self.m, "alertnoise_notifications_total")}
        self.assertEqual(got, {("pager", "firing"): 5,
                               ("pager", "resolved"): 4,
                               ("team", "firing"): 2,
                               ("team", "resolved"): 2})
        # a page is a firing notification to a paging receiver
        self.assertEqual(series(self.m, "alertnoise_pages_total"),
                         [({"receiver": "pager"}, 5)])

    def test_episodes_by_class_once_resolved(self):
        got = {l["class"]: v for l, v in
               series(self.m, "alertnoise_episodes_total")}
        # the open and the pending episodes are not counted (yet)
        self.assertEqual(got, {"actionable": 3, "duplicate": 0,
                               "flapping": 0, "transient": 3,
                               "persistent": 1, "noise": 0})

    def test_firing_and_pending(self):
        self.assertEqual(self.value("alertnoise_firing_alerts"), 1)
        self.assertEqual(self.value("alertnoise_pending_alerts"), 1)
        firing = api(self.d, "/api/v1/alerts/firing")
        self.assertEqual(sorted(a["state"] for a in firing),
                         ["firing", "pending"])

    def test_noise_ratios_match_the_summary(self):
        for window in ("1d", "7d", "28d"):
            s = api(self.d, "/api/v1/summary", window=window)
            for metric, key in (
                    ("alertnoise_noise_ratio", "noiseRatio"),
                    ("alertnoise_page_noise_ratio", "pageNoiseRatio"),
                    ("alertnoise_feedback_coverage_ratio",
                     "feedbackCoverage")):
                with self.subTest(window=window, metric=metric):
                    self.assertEqual(self.value(metric, window=window),
                                     s[key])
        # 7d: transient 3 + persistent 1 of 8 fired episodes; pages: 3
        # transient + 1 persistent noise of 5
        self.assertEqual(self.value("alertnoise_noise_ratio", window="7d"),
                         0.5)
        self.assertEqual(self.value("alertnoise_page_noise_ratio",
                                    window="7d"), 0.8)
        self.assertEqual(self.value("alertnoise_feedback_coverage_ratio",
                                    window="7d"), 0)

    def test_top_alertnames_only(self):
        for family in ALERT_FAMILIES:
            names = {l["alertname"] for l, _ in series(self.m, family)}
            with self.subTest(family=family):
                self.assertEqual(names, {"KpiTransient", "KpiSteady"})
        for window in ("1d", "7d", "28d"):
            for cls in CLASSES:
                self.assertEqual(self.value(
                    "alertnoise_alert_episodes", alertname="KpiTransient",
                    window=window, **{"class": cls}),
                    3 if cls == "transient" else 0)
                self.assertEqual(self.value(
                    "alertnoise_alert_episodes", alertname="KpiSteady",
                    window=window, **{"class": cls}),
                    2 if cls == "actionable" else 0)
            self.assertEqual(self.value("alertnoise_alert_noise_ratio",
                                        alertname="KpiTransient",
                                        window=window), 1)
            self.assertEqual(self.value("alertnoise_alert_noise_ratio",
                                        alertname="KpiSteady",
                                        window=window), 0)
            self.assertEqual(self.value("alertnoise_alert_mttr_seconds",
                                        alertname="KpiTransient",
                                        window=window), 60)
            self.assertEqual(self.value("alertnoise_alert_mttr_seconds",
                                        alertname="KpiSteady",
                                        window=window), 1800)

    def test_per_alert_numbers_match_the_alerts_api(self):
        alerts = {a["alertname"]: a for a in
                  api(self.d, "/api/v1/alerts", window="1d")}
        for name in ("KpiTransient", "KpiSteady"):
            self.assertEqual(self.value("alertnoise_alert_flap_score",
                                        alertname=name),
                             alerts[name]["flapScore"])
        alerts = {a["alertname"]: a for a in
                  api(self.d, "/api/v1/alerts", window="28d")}
        for name in ("KpiTransient", "KpiSteady"):
            self.assertEqual(self.value("alertnoise_alert_noise_ratio",
                                        alertname=name, window="28d"),
                             alerts[name]["noiseRatio"])
            self.assertEqual(self.value("alertnoise_alert_mttr_seconds",
                                        alertname=name, window="28d"),
                             alerts[name]["mttrSeconds"]["median"])

    def test_time_to_resolve_histogram(self):
        def buckets(sev):
            return [self.value("alertnoise_time_to_resolve_seconds_bucket",
                               severity=sev, le=le) for le in BUCKETS]
        # cumulative: 60 s x3 (warning), 30 min x2 (critical), 2 days
        # (page), 10 min (no severity label: "")
        self.assertEqual(buckets("warning"), [3] * 12)
        self.assertEqual(buckets("critical"), [0, 0, 0] + [2] * 9)
        self.assertEqual(buckets("page"), [0] * 9 + [1] * 3)
        self.assertEqual(buckets(""), [0, 0] + [1] * 10)
        counts = {l["severity"]: v for l, v in
                  series(self.m, "alertnoise_time_to_resolve_seconds_count")}
        self.assertEqual(counts, {"warning": 3, "critical": 2, "page": 1,
                                  "": 1})
        self.assertEqual(self.value("alertnoise_time_to_resolve_seconds_sum",
                                    severity="warning"), 180)
        self.assertEqual(self.value("alertnoise_time_to_resolve_seconds_sum",
                                    severity="page"), 2 * 86400)

    def test_groups_and_recommendations_match_the_api(self):
        groups = api(self.d, "/api/v1/groups", window="7d")
        for kind in ("replica", "cofiring", "storm"):
            self.assertEqual(self.value("alertnoise_dedup_groups", kind=kind),
                             sum(g["kind"] == kind for g in groups))
        for window in ("1d", "7d", "28d"):
            recs = api(self.d, "/api/v1/recommendations", window=window)
            saved = sum(r["predicted"]["pagesBefore"] -
                        r["predicted"]["pagesAfter"] for r in recs
                        if isinstance(r["predicted"]["pagesBefore"], int) and
                        isinstance(r["predicted"]["pagesAfter"], int))
            self.assertEqual(self.value("alertnoise_predicted_pages_saved",
                                        window=window), saved)
            # one count of pages on every surface: a recommendation's
            # "before" is the window's pages as the summary says them
            pages = api(self.d, "/api/v1/summary", window=window)["pages"]
            for r in recs:
                if isinstance(r["predicted"]["pagesBefore"], int):
                    self.assertEqual(r["predicted"]["pagesBefore"], pages,
                                     r["id"])
                    self.assertIn("pages %d → " % pages, r["summary"])
            if window == "7d":		# analysis.window
                kinds = {}
                for r in recs:
                    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
                got = {l["kind"]: v for l, v in
                       series(self.m, "alertnoise_recommendations")}
                self.assertEqual({k: v for k, v in got.items() if v},
                                 kinds)
                self.assertIn("raise_for", got)	# known kinds start at 0

    def test_promtool_check_metrics(self):
        if not os.path.exists(PROMTOOL):
            self.skipTest(PROMTOOL + " is missing (Debian package prometheus)")
        body = self.d.get("/metrics").body
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, (p.stdout + p.stderr).decode())

    def test_z_counted_once_and_verdicts_move_only_the_gauges(self):
        """Runs last (it changes the data): more refreshes count nothing
        again; a verdict moves the windowed gauges, not the counters."""
        before = {k: v for k, v in self.m.items()
                  if k[0] in ("alertnoise_episodes_total",
                              "alertnoise_time_to_resolve_seconds_count")}
        r = self.d.post("/api/v1/feedback", json.dumps(
            {"fingerprint": fingerprint(STEADY[0]), "verdict": "noise"}))
        self.assertEqual(r.status, 200, r.text)
        m = wait_refresh(self.d)
        self.assertEqual({k: m[k] for k in before}, before)
        self.assertEqual(m[("alertnoise_alert_noise_ratio", frozenset(
            {"alertname": "KpiSteady", "window": "7d"}.items()))], 0.5)
        self.assertEqual(m[("alertnoise_alert_episodes", frozenset(
            {"alertname": "KpiSteady", "window": "7d",
             "class": "noise"}.items()))], 1)
        s = api(self.d, "/api/v1/summary", window="7d")
        self.assertEqual(m[("alertnoise_noise_ratio", frozenset(
            {"window": "7d"}.items()))], s["noiseRatio"])
        self.assertEqual(s["noiseRatio"], 5 / 8)


class OutOfHoursTest(unittest.TestCase):
    """Pages outside the working hours count in
    alertnoise_pages_outside_working_time_total: with no working day every page
    is out of hours, with every hour of every day none is."""

    def pages(self, report):
        d = Daemon("analysis: {paging_receivers: [pager]}\n" + report +
                   "metrics: {refresh_interval: 1s}\n").start()
        self.addCleanup(d.cleanup)
        for i in range(3):
            fired(d, {"alertname": "Ooh", "instance": str(i)}, T - 60000,
                  receiver="pager")
        fired(d, {"alertname": "Ooh", "instance": "x"}, T - 60000,
              receiver="team")
        m = d.metrics()
        return (series(m, "alertnoise_pages_total"),
                series(m, "alertnoise_pages_outside_working_time_total"))

    def test_no_working_day_makes_every_page_out_of_hours(self):
        pages, ooh = self.pages("report: {working_days: []}\n")
        self.assertEqual(pages, [({"receiver": "pager"}, 3)])
        self.assertEqual(ooh, [({"receiver": "pager"}, 3)])

    def test_always_working_makes_none(self):
        pages, ooh = self.pages(
            "report: {working_hours: '00:00-24:00', working_days: "
            "[mon, tue, wed, thu, fri, sat, sun]}\n")
        self.assertEqual(pages, [({"receiver": "pager"}, 3)])
        self.assertEqual(ooh, [({"receiver": "pager"}, 0)])


class WindowsTest(unittest.TestCase):
    """Windows as written, the histogram without a severity label, and a
    reload that drops a window and an undefined ratio's sample."""

    def setUp(self):
        self.d = Daemon(NO_CACHE + "metrics:\n  refresh_interval: 1s\n"
                        "  windows: [1h, 2d]\n").start()
        self.addCleanup(self.d.cleanup)
        wait_for(lambda: last_refresh(self.d) > 0, timeout=20,
                 what="the first KPI refresh")

    def test_windows_and_reload(self):
        start = T - 30 * MIN
        fired(self.d, {"alertname": "KpiW", "severity": "page"}, start,
              start + 2 * MIN)
        m = wait_refresh(self.d)
        self.assertEqual(sorted(l["window"] for l, _ in
                                series(m, "alertnoise_noise_ratio")),
                         ["1h", "2d"])
        self.assertEqual(m[("alertnoise_noise_ratio",
                            frozenset({"window": "1h"}.items()))], 1)
        # no pages (no paging receiver): the page ratios are undefined
        self.assertEqual(series(m, "alertnoise_page_noise_ratio"), [])
        self.assertEqual(series(m, "alertnoise_feedback_coverage_ratio"), [])
        # one label-less histogram
        counts = series(m, "alertnoise_time_to_resolve_seconds_count")
        self.assertEqual(counts, [({}, 1)])
        self.assertEqual(m[("alertnoise_time_to_resolve_seconds_bucket",
                            frozenset({"le": "60"}.items()))], 0)
        self.assertEqual(m[("alertnoise_time_to_resolve_seconds_bucket",
                            frozenset({"le": "300"}.items()))], 1)
        # webhook only, one episode: its start, the one change in the
        # flap_window, weighs 1.2 of the 20 that score 100
        self.assertEqual(m[("alertnoise_alert_flap_score",
                            frozenset({"alertname": "KpiW"}.items()))], 6)

        self.d.write_config(NO_CACHE + "metrics:\n  refresh_interval: 1s\n"
                            "  windows: [2d]\n")
        self.assertEqual(self.d.post("/-/reload", "").status, 200)
        m = wait_refresh(self.d)
        for name in ("alertnoise_noise_ratio",
                     "alertnoise_predicted_pages_saved",
                     "alertnoise_alert_noise_ratio",
                     "alertnoise_alert_mttr_seconds"):
            with self.subTest(name=name):
                self.assertEqual({l["window"] for l, _ in series(m, name)},
                                 {"2d"})
        self.assertEqual(m[("alertnoise_time_to_resolve_seconds_count",
                            frozenset())], 1)


class RestartTest(unittest.TestCase):
    def test_restart_resumes_and_does_not_count_history_again(self):
        d = Daemon(NO_CACHE + "metrics:\n  refresh_interval: 1s\n")
        self.addCleanup(d.cleanup)
        d.start()
        wait_for(lambda: last_refresh(d) > 0, timeout=20,
                 what="the first KPI refresh")
        start = T - HOUR
        fired(d, {"alertname": "KpiR"}, start, start + MIN)
        m = wait_refresh(d)
        self.assertEqual(m[("alertnoise_episodes_total", frozenset(
            {"class": "transient"}.items()))], 1)
        ttr = {k: v for k, v in m.items()
               if k[0].startswith("alertnoise_time_to_resolve_seconds")}
        self.assertEqual(ttr[("alertnoise_time_to_resolve_seconds_count",
                              frozenset())], 1)
        self.assertEqual(d.stop(), 0)
        d.start()
        # resumed from the store before the first refresh, which counts
        # nothing again
        m = d.metrics()
        self.assertEqual(m[("alertnoise_episodes_total", frozenset(
            {"class": "transient"}.items()))], 1)
        self.assertEqual({k: m[k] for k in ttr}, ttr)
        m = wait_refresh(d)
        self.assertEqual(m[("alertnoise_episodes_total", frozenset(
            {"class": "transient"}.items()))], 1)
        self.assertEqual({k: m[k] for k in ttr}, ttr)
        # the gauges see the history
        self.assertEqual(m[("alertnoise_noise_ratio",
                            frozenset({"window": "1d"}.items()))], 1)
        # an episode resolving after the restart is counted, from there
        fired(d, {"alertname": "KpiR", "instance": "2"}, T - 40 * MIN,
              T - 40 * MIN + MIN)
        m = wait_refresh(d)
        self.assertEqual(m[("alertnoise_episodes_total", frozenset(
            {"class": "transient"}.items()))], 2)
        self.assertEqual(m[("alertnoise_time_to_resolve_seconds_count",
                            frozenset())], 2)
        self.assertEqual(m[("alertnoise_time_to_resolve_seconds_sum",
                            frozenset())], 120)

    def test_pages_and_notifications_resume_where_they_were(self):
        """Grafana's increase() over a range with a restart in it sees the
        pages of the range: the counters resume from the store, not from
        0; a webhook whose savepoint was rolled back counts nothing."""
        d = Daemon("analysis: {paging_receivers: [pager, poison]}\n"
                   "report: {working_days: []}\n"
                   "metrics: {refresh_interval: 1s}\n")
        self.addCleanup(d.cleanup)
        d.start()
        for i in range(3):
            fired(d, {"alertname": "KpiResume", "instance": str(i)},
                  T - 30 * MIN, T - 20 * MIN, receiver="pager")
        fired(d, {"alertname": "KpiResume", "instance": "t"}, T - 30 * MIN,
              receiver="team")

        def counters(m):
            return ({(l["receiver"], l["status"]): v for l, v in
                     series(m, "alertnoise_notifications_total")},
                    {l["receiver"]: v for l, v in
                     series(m, "alertnoise_pages_total") if v},
                    {l["receiver"]: v for l, v in series(
                        m, "alertnoise_pages_outside_working_time_total")
                     if v})
        want = ({("pager", "firing"): 3, ("pager", "resolved"): 3,
                 ("team", "firing"): 1},
                {"pager": 3}, {"pager": 3})
        self.assertEqual(counters(d.metrics()), want)
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(counters(d.metrics()), want)
        self.assertEqual(counters(wait_refresh(d)), want)

        # the store refuses the pages counter of receiver "poison": its
        # webhook fails after its notification and notifications counter
        # were written in its savepoint, which is rolled back (503)
        db = sqlite3.connect(os.path.join(d.storage, "alertnoise.db"),
                             timeout=10, isolation_level=None)
        self.addCleanup(db.close)
        db.execute("CREATE TRIGGER poison BEFORE INSERT ON counters"
                   " WHEN NEW.family = 'alertnoise_pages_total'"
                   " AND NEW.labels = '[\"poison\"]'"
                   " BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
        r = d.webhook(make_notification(
            [make_alert({"alertname": "KpiPoison"}, T - MIN)],
            receiver="poison"))
        self.assertEqual(r.status, 503, r.text)
        db.execute("DROP TRIGGER poison")
        self.assertEqual(d.query("SELECT count(*) AS n FROM notifications"
                                 " WHERE receiver = 'poison'"),
                         [{"n": 0}])
        self.assertEqual(counters(d.metrics()), want)

        # they grow from there
        fired(d, {"alertname": "KpiResume", "instance": "4"}, T - MIN,
              receiver="pager")
        want[0][("pager", "firing")] += 1
        want[1]["pager"] += 1
        want[2]["pager"] += 1
        self.assertEqual(counters(d.metrics()), want)
        # a second restart resumes the grown values, without the poisoned
        # webhook's counts
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(counters(d.metrics()), want)


def summary_teams(d, window):
    """The summary's byTeam for the window: {team: row}."""
    s = api(d, "/api/v1/summary", window=window)
    return {t["team"]: t for t in s["byTeam"]}


class TeamsTest(unittest.TestCase):
    """Per-team metrics with metrics.max_teams 2 (README "KPI metrics").

    Pages to "pager", alerts by team (analysis.team_label "team"):
      P1  one notification: db (2 alerts) and web  -> db +1, web +1
      P2  db, fired 60 s (transient)               -> db +1
      P3  ops: a third team                        -> other +1 (capped)
      P4  no team label                            -> "" +1
      N   web to the non-paging "team" receiver    -> not a page
    The counter gives places to the first two teams to page (db, web);
    the windowed gauges to the two with the most pages, then episodes, in
    the window (db: 2 pages, ops: 1; web's page is db's in the summary,
    whose byTeam puts a page under its first alert's team)."""

    CONFIG = ("analysis: {paging_receivers: [pager], cache_ttl: 0}\n"
              "metrics: {refresh_interval: 1s, max_teams: 2}\n")

    def setUp(self):
        self.d = Daemon(self.CONFIG).start()
        self.addCleanup(self.d.cleanup)

    def team_pages(self, m=None):
        m = self.d.metrics() if m is None else m
        return {l["team"]: v for l, v in
                series(m, "alertnoise_team_pages_total")}

    def feed(self):
        d = self.d
        post_webhook(d, make_notification([
            make_alert({"alertname": "TeamA", "team": "db",
                        "instance": "1"}, T - 2 * HOUR),
            make_alert({"alertname": "TeamA", "team": "db",
                        "instance": "2"}, T - 2 * HOUR),
            make_alert({"alertname": "TeamA", "team": "web",
                        "instance": "3"}, T - 2 * HOUR)],
            receiver="pager"))
        fired(d, {"alertname": "TeamB", "team": "db"}, T - HOUR,
              T - HOUR + MIN, receiver="pager")
        fired(d, {"alertname": "TeamC", "team": "ops"}, T - 30 * MIN,
              receiver="pager")
        fired(d, {"alertname": "TeamD"}, T - 20 * MIN, receiver="pager")
        fired(d, {"alertname": "TeamN", "team": "web"}, T - 10 * MIN,
              receiver="team")

    def test_pages_by_team_capped_and_resumed(self):
        self.feed()
        want = {"db": 2, "web": 1, "other": 1, "": 1}
        self.assertEqual(self.team_pages(), want)
        # every page is counted, at least once
        self.assertEqual(self.d.metric("alertnoise_pages_total",
                                       receiver="pager"), 4)
        self.assertIn('team=ops', self.d.log())
        self.assertIn("metrics.max_teams", self.d.log())

        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.assertEqual(self.team_pages(), want)
        # the places resumed too: ops still counts as "other", db as db
        fired(self.d, {"alertname": "TeamC", "team": "ops", "instance": "2"},
              T - 5 * MIN, receiver="pager")
        fired(self.d, {"alertname": "TeamB", "team": "db", "instance": "2"},
              T - 5 * MIN, receiver="pager")
        want["other"] += 1
        want["db"] += 1
        self.assertEqual(self.team_pages(), want)

    def test_windowed_gauges_match_the_summary(self):
        wait_for(lambda: last_refresh(self.d) > 0, timeout=20,
                 what="the first KPI refresh")
        self.feed()
        m = wait_refresh(self.d)
        for window in ("1d", "7d", "28d"):
            teams = summary_teams(self.d, window)
            self.assertEqual(set(teams), {"db", "web", "ops", ""})
            ranked = sorted((t for t in teams if t), key=lambda t: (
                -teams[t]["pages"], -teams[t]["episodes"], t))
            self.assertEqual(ranked, ["db", "ops", "web"])
            want = {t: teams[t] for t in ranked[:2] + [""]}
            rest = [teams[t] for t in ranked[2:]]
            got = {l["team"] for l, _ in series(m, "alertnoise_team_episodes")
                   if l["window"] == window}
            self.assertEqual(got, {"db", "ops", "", "other"}, window)
            for team, row in want.items():
                tw = {"team": team, "window": window}
                with self.subTest(window=window, team=team):
                    self.assertEqual(self.value(
                        m, "alertnoise_team_episodes", **tw), row["episodes"])
                    self.assertEqual(self.value(
                        m, "alertnoise_team_pages", **tw), row["pages"])
                    self.assertEqual(self.value(
                        m, "alertnoise_team_noise_ratio", **tw),
                        row["noiseRatio"])
                    self.assertEqual(self.value(
                        m, "alertnoise_team_page_noise_ratio", **tw),
                        row["pageNoiseRatio"])
            other = {"team": "other", "window": window}
            self.assertEqual(self.value(m, "alertnoise_team_episodes",
                                        **other),
                             sum(r["episodes"] for r in rest))
            self.assertEqual(self.value(m, "alertnoise_team_pages", **other),
                             sum(r["pages"] for r in rest))
            self.assertEqual(self.value(m, "alertnoise_team_other_teams",
                                        window=window), len(rest))
        # the numbers the feed implies (7d): db fired 3 episodes, 2 pages,
        # one of them (P2, transient) noise
        tw = {"team": "db", "window": "7d"}
        self.assertEqual(self.value(m, "alertnoise_team_episodes", **tw), 3)
        self.assertEqual(self.value(m, "alertnoise_team_pages", **tw), 2)
        self.assertEqual(self.value(m, "alertnoise_team_page_noise_ratio",
                                    **tw), 0.5)
        # web: its page counted under db's; the ratio of no page is absent
        self.assertIsNone(self.value(m, "alertnoise_team_page_noise_ratio",
                                     team="other", window="7d"))

    @staticmethod
    def value(m, name, **labels):
        return m.get((name, frozenset(labels.items())))


if __name__ == "__main__":
    unittest.main()

"""test_cli.py -- the client commands (`alertnoised query episodes|alerts|
groups`, `recommendations`, `feedback`, `simulate`) and `alertnoised help`
against the real daemon.

One daemon for the module ("pager" pages), seeded through Alertmanager
webhooks with:
  Flappy  three 20-second episodes a minute apart, each paged (noise);
  Steady  one ten-minute warning, not paged (actionable).
The CLI binary runs as a subprocess; each test checks its exit status and
what it prints against what the HTTP API answers for the same question.
Only the feedback test writes (a verdict on Steady)."""
import json
import os
import re
import socket
import subprocess
import unittest
import urllib.parse

from harness import (BINARY, free_port, GO_ZERO_TIME, make_alert,
                     make_notification, now_ms, rfc3339, SeededDaemonTest)

MIN = 60 * 1000
T = now_ms() - 3600 * 1000              # an hour ago
FLAPPY = {"alertname": "Flappy", "severity": "critical", "instance": "a"}
STEADY = {"alertname": "Steady", "severity": "warning", "instance": "b"}


def run(*args, env=None):
    """Runs alertnoised with args; returns the CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("ALERTNOISE_URL", None)
    e.update(env or {})
    return subprocess.run([BINARY] + list(args), capture_output=True,
                          text=True, timeout=120, env=e)


class ClientTest(SeededDaemonTest):
    DAEMON_CONFIG = """\
analysis:
  paging_receivers: [pager]
  cache_ttl: 0s
"""

    @classmethod
    def seed(cls):
        d = cls.d
        for i in range(3):
            start = T + i * MIN
            fired = make_alert(FLAPPY, start, status="firing")
            fired["endsAt"] = GO_ZERO_TIME
            done = make_alert(FLAPPY, start, start + 20000)
            for a in (fired, done):
                r = d.webhook(make_notification([a], receiver="pager"))
                assert r.status == 200, r.text
        start = T + 10 * MIN
        for a in (make_alert(STEADY, start),
                  make_alert(STEADY, start, start + 10 * MIN)):
            r = d.webhook(make_notification([a], receiver="tickets"))
            assert r.status == 200, r.text

    def cli(self, *args, **kw):
        return run(*(list(args) + ["--alertnoise.url=" + self.d.url]), **kw)

    def api(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        r = self.d.get(path + ("?" + q if q else ""))
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]

    def assertExit(self, p, code):
        self.assertEqual(p.returncode, code, "stdout: %s\nstderr: %s" % (
            p.stdout, p.stderr))

    # --- -o json is the API's data ------------------------------------------

    def test_query_alerts_json_is_the_api_data(self):
        p = self.cli("query", "alerts", "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.stdout), self.api("/api/v1/alertnames"))
        names = sorted(a["alertname"] for a in json.loads(p.stdout))
        self.assertEqual(names, ["Flappy", "Steady"])

    def test_matchers_become_one_selector(self):
        p = self.cli("query", "episodes", "alertname=Flappy",
                     'severity=~"crit.*|page"', "--output=json")
        self.assertExit(p, 0)
        got = json.loads(p.stdout)
        self.assertEqual(got, self.api("/api/v1/episodes", **{
            "match[]": '{alertname="Flappy",severity=~"crit.*|page"}'}))
        self.assertEqual(len(got), 3)
        self.assertEqual({e["alertname"] for e in got}, {"Flappy"})
        # a bare word is an alertname; a negative matcher excludes
        p = self.cli("query", "alerts", "Steady", "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual([a["alertname"] for a in json.loads(p.stdout)],
                         ["Steady"])
        p = self.cli("query", "alerts", "severity!=critical", "-o", "json")
        self.assertEqual([a["alertname"] for a in json.loads(p.stdout)],
                         ["Steady"])

    def test_start_end_select_episodes(self):
        start = rfc3339(T + 5 * MIN)
        p = self.cli("query", "episodes", "--start=" + start, "-o", "json")
        self.assertExit(p, 0)
        got = json.loads(p.stdout)
        self.assertEqual([e["alertname"] for e in got], ["Steady"])
        p = self.cli("query", "episodes", "--end", rfc3339(T + 5 * MIN),
                     "-o", "json")
        self.assertEqual({e["alertname"] for e in json.loads(p.stdout)},
                         {"Flappy"})
        p = self.cli("query", "episodes", "--limit=1", "-o", "json")
        self.assertEqual(len(json.loads(p.stdout)), 1)

    def test_window_is_passed_on(self):
        p = self.cli("query", "alerts", "--window=30m", "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.stdout),
                         self.api("/api/v1/alertnames", window="30m"))
        self.assertEqual(json.loads(p.stdout), [])

    def test_groups_and_recommendations_json(self):
        for args, path in ((("query", "groups"), "/api/v1/groups"),
                           (("recommendations",), "/api/v1/recommendations")):
            p = self.cli(*(args + ("-o", "json", "--window=1d")))
            self.assertExit(p, 0)
            self.assertEqual(json.loads(p.stdout),
                             self.api(path, window="1d"))
        p = self.cli("query", "groups")
        self.assertExit(p, 0)
        self.assertEqual(p.stdout.split(), ["KIND", "LEADER", "MEMBERS",
                                            "SUPPORT", "JACCARD"])

    # --- tables -------------------------------------------------------------

    def test_simple_table(self):
        p = self.cli("query", "alerts")
        self.assertExit(p, 0)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split("  ")[0], "ALERTNAME")
        self.assertIn("NOISE RATIO", lines[0])
        rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
        # ALERTNAME EPISODES NOISE_RATIO NOTIFICATIONS PAGES NOISE_PAGES
        # FLAP_SCORE
        api = {a["alertname"]: a for a in self.api("/api/v1/alertnames")}
        self.assertEqual(rows["Flappy"][1:6], ["3", "1", "6", "3", "3"])
        self.assertEqual(rows["Steady"][1:6], ["1", "0", "2", "0", "0"])
        self.assertEqual(float(rows["Flappy"][6]),
                         round(api["Flappy"]["flapScore"], 2))
        # aligned: every column starts where its header does
        col = lines[0].index("EPISODES")
        for ln in lines[1:]:
            self.assertNotEqual(ln[col], " ", ln)
            self.assertEqual(ln[col - 1], " ", ln)

    def test_extended_table_has_every_column(self):
        p = self.cli("query", "alerts", "-o", "extended")
        self.assertExit(p, 0)
        header = p.stdout.splitlines()[0]
        for h in ("ALERTNAME", "PENDING ONLY", "MTTR SECONDS", "CLASSES",
                  "FEEDBACK"):
            self.assertIn(h, header)
        self.assertIn("transient=3", p.stdout)

    def test_episodes_table(self):
        p = self.cli("query", "episodes", "Flappy")
        self.assertExit(p, 0)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 4)
        fps = {e["fingerprint"] for e in self.api(
            "/api/v1/episodes", **{"match[]": '{alertname="Flappy"}'})}
        for ln in lines[1:]:
            cells = ln.split()
            self.assertEqual(cells[0], "Flappy")
            self.assertIn(cells[1], fps)
            self.assertEqual(cells[4], "transient")

    # --- pages --------------------------------------------------------------

    def next_token(self, p):
        """The token p printed on stderr for the next page, or None."""
        m = re.search(r"more rows: --next=([A-Za-z0-9_-]+)$", p.stderr,
                      re.M)
        return m.group(1) if m else None

    def test_next_prints_and_takes_the_token(self):
        everything = self.api("/api/v1/episodes",
                              **{"match[]": '{alertname="Flappy"}'})
        self.assertEqual(len(everything), 3)
        p = self.cli("query", "episodes", "Flappy", "--limit=2")
        self.assertExit(p, 0)
        self.assertEqual(len(p.stdout.splitlines()), 1 + 2)
        token = self.next_token(p)
        self.assertIsNotNone(token, p.stderr)
        self.assertNotIn(token, p.stdout)
        p = self.cli("query", "episodes", "Flappy", "--limit=2",
                     "--next=" + token, "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.stdout), everything[2:])
        self.assertIsNone(self.next_token(p), p.stderr)
        # the extended table and the other lists page alike
        p = self.cli("query", "alerts", "--limit=1", "-o", "extended")
        self.assertExit(p, 0)
        self.assertEqual(len(p.stdout.splitlines()), 1 + 1)
        self.assertTrue(p.stdout.splitlines()[1].startswith("Flappy "),
                        p.stdout)
        token = self.next_token(p)
        self.assertIsNotNone(token, p.stderr)
        p = self.cli("query", "alerts", "--limit=1", "--next=" + token,
                     "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual([a["alertname"] for a in json.loads(p.stdout)],
                         ["Steady"])
        self.assertIsNone(self.next_token(p), p.stderr)
        # a token of another query: the daemon's 400, exit 1
        p = self.cli("query", "episodes", "Steady", "--next=" + token)
        self.assertExit(p, 1)
        self.assertIn("invalid next token: it belongs to another query",
                      p.stderr)

    # --- writes -------------------------------------------------------------

    def test_feedback_records_a_verdict(self):
        ep = self.api("/api/v1/episodes",
                      **{"match[]": '{alertname="Steady"}'})[0]
        p = self.cli("feedback", ep["fingerprint"], "actionable",
                     "--note=disk really filled", "--by=cli-test")
        self.assertExit(p, 0)
        self.assertIn("verdict:", p.stdout)
        self.assertIn("actionable", p.stdout)
        self.assertIn(ep["fingerprint"], p.stdout)
        steady = [a for a in self.api("/api/v1/alertnames")
                  if a["alertname"] == "Steady"][0]
        self.assertEqual(steady["feedback"], {"actionable": 1, "noise": 0})
        self.assertEqual(self.d.query(
            "SELECT identity, verdict, note, by FROM feedback"),
            [{"identity": ep["fingerprint"], "verdict": "actionable",
              "note": "disk really filled", "by": "cli-test"}])
        # an unknown fingerprint: the daemon's 404, its message
        p = self.cli("feedback", "0123456789abcdef", "noise")
        self.assertExit(p, 1)
        self.assertIn("no alert with fingerprint 0123456789abcdef",
                      p.stderr)

    def test_simulate(self):
        body = {"rules": [{"match": '{alertname="Flappy"}', "for": "5m"}]}
        r = self.d.post("/api/v1/simulate", json.dumps(body))
        self.assertEqual(r.status, 200, r.text)
        p = self.cli("simulate", "alertname=Flappy", "--set", "for=5m",
                     "-o", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.stdout), r.json()["data"])
        p = self.cli("simulate", "alertname=Flappy", "--set=for=5m")
        self.assertExit(p, 0)
        self.assertIn("noise removed:", p.stdout)
        line = [ln for ln in p.stdout.splitlines()
                if ln.startswith("noise removed:")][0]
        self.assertEqual(line.split()[-1],
                         str(r.json()["data"]["noiseRemoved"]))
        self.assertTrue(p.stdout.startswith("ALERTNAME"), p.stdout)
        # route keys, several --set
        p = self.cli("simulate", "--set=group_wait=1m",
                     "--set=repeat_interval=24h", "--set=group_by=a,b",
                     "-o", "json")
        self.assertExit(p, 0)
        # a duration the daemon refuses: its 400, exit 1
        p = self.cli("simulate", "Flappy", "--set=for=soon")
        self.assertExit(p, 1)
        self.assertIn("rules[0].for", p.stderr)

    # --- exit statuses ------------------------------------------------------

    def test_daemon_error_exits_1(self):
        p = self.cli("query", "alerts", 'severity=~"("')
        self.assertExit(p, 1)
        self.assertIn("invalid match[]", p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)

    def test_usage_errors_exit_2(self):
        for args, says in (
                (("query", "alerts", "--bogus"),
                 "alertnoised query alerts: error: unknown flag --bogus"),
                (("query",), "want episodes, alerts or groups"),
                (("query", "silences"), 'unknown command "query silences"'),
                (("query", "episodes", "--window=1d"),
                 "unknown flag --window=1d"),
                (("query", "groups", "Flappy"),
                 'unexpected argument "Flappy"'),
                (("query", "alerts", "-o", "yaml"),
                 "--output: want simple, extended or json"),
                (("query", "alerts", "--timeout=soon"), "--timeout"),
                (("feedback", "0123456789abcdef"),
                 "want FINGERPRINT and a verdict"),
                (("feedback", "0123456789abcdef", "maybe"),
                 'verdict "maybe": want actionable or noise'),
                (("simulate", "--set", "for=5m"),
                 "--set for and keep_firing_for need matchers"),
                (("simulate", "--set", "colour=red"),
                 "--set colour: unknown key"),
                (("bogus",), 'unknown command "bogus"')):
            with self.subTest(args=args):
                p = self.cli(*args)
                self.assertExit(p, 2)
                self.assertIn(says, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertEqual(p.stdout, "")
        p = run("query", "alerts", "--alertnoise.url=ftp://x")
        self.assertExit(p, 2)
        self.assertIn("not an http:// or https:// URL", p.stderr)

    def test_closed_port_exits_3(self):
        url = "http://127.0.0.1:%d" % free_port()
        p = run("query", "alerts", "--alertnoise.url=" + url)
        self.assertExit(p, 3)
        self.assertIn("could not connect to " + url, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)

    def test_timeout_exits_3(self):
        # a listener that never answers: the connection is made, the
        # answer never comes
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            url = "http://127.0.0.1:%d" % s.getsockname()[1]
            p = run("query", "groups", "--timeout=300ms",
                    "--alertnoise.url=" + url)
        self.assertExit(p, 3)
        self.assertIn("no answer from %s within 300ms" % url, p.stderr)

    def test_url_from_environment(self):
        p = run("query", "alerts", "-o", "json",
                env={"ALERTNOISE_URL": self.d.url + "/"})
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.stdout), self.api("/api/v1/alertnames"))

    # --- help ---------------------------------------------------------------

    def test_help(self):
        p = run("help")
        self.assertExit(p, 0)
        self.assertTrue(p.stdout.startswith("usage: alertnoised"))
        for c in ("serve", "import", "report", "query", "feedback",
                  "simulate", "recommendations", "help"):
            self.assertRegex(p.stdout, r"\n  %s " % c)
        p = run("help", "query")
        self.assertExit(p, 0)
        self.assertIn("alertnoised query episodes", p.stdout)
        self.assertIn("alertnoised query groups", p.stdout)
        for args in (("help", "query", "alerts"),
                     ("query", "alerts", "--help")):
            p = run(*args)
            self.assertExit(p, 0)
            self.assertTrue(p.stdout.startswith(
                "usage: alertnoised query alerts"), p.stdout)
            self.assertIn("--alertnoise.url", p.stdout)
            self.assertIn("--window", p.stdout)
        p = run("help", "feedback")
        self.assertExit(p, 0)
        self.assertIn("--starts-at", p.stdout)
        p = run("help", "report")
        self.assertExit(p, 0)
        self.assertIn("usage: alertnoised report", p.stdout)
        p = run("help", "nothing")
        self.assertExit(p, 2)


if __name__ == "__main__":
    unittest.main()

"""test_recommend_snippets.py -- every recommendation's snippet is valid for
the tool it targets.

The snippets come from the real code: build/tests/test_recommend (the unit
tests of lib/tuning/recommend.c, on hand-built analyses that produce every kind)
run with AN_SNIPPET_DIR set writes each recommendation it gets as
<test>__<id>.json (the object) and <test>__<id>.yml (its snippet). Each
snippet is then pasted into a complete file, as the recommendation tells a
user to, and checked by Debian's promtool and amtool:

- prometheus_rule: under a rule group's `rules:`, with an expr added below
  `- alert:` where the snippet says to keep yours -> promtool check rules,
  which must count the snippet's rule (fix_or_delete is only comments: it
  adds none);
- prometheus_config: on its own and after a global section -> promtool
  check config;
- alertmanager_route: under a base route, with a receiver for every name
  the recommendation uses -> amtool check-config, and amtool config routes
  test must send the alertname to those receivers;
- alertmanager_inhibit_rule: at the top level of a base config -> amtool
  check-config.

A broken copy of a snippet fails each check, so the tools really parse
what we give them."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness

PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
KINDS = {"raise_for", "keep_firing_for", "repeat_interval", "group_by",
         "inhibit_rule", "route_away_from_paging", "fix_or_delete",
         "drop_replica_label"}
TARGETS = {
    "raise_for": "prometheus_rule",
    "keep_firing_for": "prometheus_rule",
    "fix_or_delete": "prometheus_rule",
    "repeat_interval": "alertmanager_route",
    "group_by": "alertmanager_route",
    "route_away_from_paging": "alertmanager_route",
    "inhibit_rule": "alertmanager_inhibit_rule",
    "drop_replica_label": "prometheus_config",
}
USER_EXPR = "vector(1)"


def rule_file(snippet):
    """A rule file with one rule of ours and the snippet pasted under
    `rules:`, an expr added after its `- alert:` line."""
    lines = ["groups:", "  - name: alertnoise-snippet", "    rules:",
             "      - alert: ExistingRule", "        expr: " + USER_EXPR]
    for line in snippet.splitlines():
        lines.append("      " + line if line else "")
        if line.startswith("- alert: "):
            lines.append("        expr: " + USER_EXPR)
    return "\n".join(lines) + "\n"


def yaml_str(s):
    """s as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(s)


def am_file(receivers, route_snippet=None, inhibit_snippet=None):
    """A complete Alertmanager config: a base route (to "default") with the
    route snippet pasted under it, a receiver for each name, the inhibit
    snippet at the top level."""
    lines = ["route:", "  receiver: default", "  group_by: [alertname]"]
    if route_snippet:
        lines += ["  " + line if line else ""
                  for line in route_snippet.splitlines()]
    lines.append("receivers:")
    for name in ["default"] + sorted(set(receivers) - {"default"}):
        lines.append("  - name: " + yaml_str(name))
    if inhibit_snippet:
        lines += inhibit_snippet.splitlines()
    return "\n".join(lines) + "\n"


def route_receivers(rec):
    """The receivers a route recommendation sends its alertname to."""
    ev = rec["evidence"]
    if rec["kind"] == "route_away_from_paging":
        return [ev["receiver"]]
    return ev["receivers"]


class RecommendSnippetsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        binary = os.path.join(harness.BUILD, "tests", "test_recommend")
        if not os.path.exists(binary):
            raise AssertionError(binary + " missing: make "
                                 "build/tests/test_recommend")
        cls.tmp = tempfile.mkdtemp(prefix="alertnoise-snippets-")
        env = dict(os.environ, AN_SNIPPET_DIR=cls.tmp)
        p = subprocess.run([binary], env=env, capture_output=True,
                           text=True, timeout=300)
        if p.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise AssertionError("test_recommend failed:\n" + p.stdout +
                                 p.stderr)
        cls.recs = []
        for path in sorted(glob.glob(os.path.join(cls.tmp, "*.json"))):
            with open(path) as f:
                rec = json.load(f)
            with open(path[:-len(".json")] + ".yml") as f:
                text = f.read()
            cls.recs.append((os.path.basename(path)[:-len(".json")], rec,
                             text))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def of(self, kind):
        found = [(n, r, t) for n, r, t in self.recs if r["kind"] == kind]
        self.assertTrue(found, "no %s recommendation written" % kind)
        return found

    def write(self, name, text):
        path = os.path.join(self.tmp, "check-" + name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_tool(self, *args):
        return subprocess.run(list(args), capture_output=True, text=True,
                              timeout=60)

    def promtool_rules(self, name, text):
        p = self.run_tool(PROMTOOL, "check", "rules",
                          self.write(name + ".rules.yml", text))
        return p.returncode, p.stdout + p.stderr

    def amtool_check(self, name, text):
        path = self.write(name + ".alertmanager.yml", text)
        p = self.run_tool(AMTOOL, "check-config", path)
        return path, p.returncode, p.stdout + p.stderr

    # --- what every recommendation carries ---------------------------------

    def test_every_kind_is_written(self):
        self.assertEqual({r["kind"] for _, r, _ in self.recs}, KINDS)

    def test_fields_and_files(self):
        for name, rec, text in self.recs:
            with self.subTest(name):
                self.assertEqual(text, rec["snippet"])
                self.assertTrue(text.endswith("\n"))
                self.assertEqual(rec["target"], TARGETS[rec["kind"]])
                self.assertIn(rec["confidence"], ("high", "medium", "low"))
                self.assertTrue(rec["id"].startswith(rec["kind"]))
                self.assertTrue(rec["summary"].endswith("."))
                self.assertTrue(rec["evidence"])
                for m in rec["matchers"]:
                    self.assertRegex(m, r'^alertname=~?".*"$')
                for k in ("pagesBefore", "pagesAfter",
                          "notificationsBefore", "notificationsAfter",
                          "noiseRemoved", "actionableDelayed",
                          "addedDelaySeconds"):
                    self.assertIn(k, rec["predicted"])

    # --- Prometheus ---------------------------------------------------------

    @unittest.skipIf(PROMTOOL is None, "promtool not installed")
    def test_rule_fragments_pass_promtool(self):
        for kind in ("raise_for", "keep_firing_for"):
            for name, rec, text in self.of(kind):
                with self.subTest(name):
                    self.assertIn("# keep your expr, labels and "
                                  "annotations", text)
                    rc, out = self.promtool_rules(name, rule_file(text))
                    self.assertEqual(rc, 0, out)
                    # ours and the snippet's: it was parsed as a rule
                    self.assertIn("SUCCESS: 2 rules found", out)

    @unittest.skipIf(PROMTOOL is None, "promtool not installed")
    def test_rule_fragment_values(self):
        for name, rec, text in self.of("raise_for"):
            with self.subTest(name):
                sec = rec["evidence"]["forSeconds"]
                self.assertIn("\n  for: %s\n" % (
                    "%dm" % (sec // 60) if sec < 3600 else
                    "%dh" % (sec // 3600)), text)
        for name, rec, text in self.of("keep_firing_for"):
            with self.subTest(name):
                sec = rec["evidence"]["keepFiringForSeconds"]
                self.assertIn("\n  keep_firing_for: %s\n" % (
                    "%dm" % (sec // 60) if sec < 3600 else
                    "%dh" % (sec // 3600)), text)

    @unittest.skipIf(PROMTOOL is None, "promtool not installed")
    def test_broken_rule_fragment_fails_promtool(self):
        name, rec, text = self.of("raise_for")[0]
        rc, out = self.promtool_rules(
            "broken", rule_file(text.replace("for: ", "for: soon")))
        self.assertNotEqual(rc, 0, out)

    @unittest.skipIf(PROMTOOL is None, "promtool not installed")
    def test_fix_or_delete_is_comments_naming_the_rule(self):
        for name, rec, text in self.of("fix_or_delete"):
            with self.subTest(name):
                lines = text.splitlines()
                self.assertTrue(all(line.startswith("#") for line in lines),
                                text)
                self.assertIn("# - alert: " + rec["alertname"], lines)
                rc, out = self.promtool_rules(name, rule_file(text))
                self.assertEqual(rc, 0, out)
                self.assertIn("SUCCESS: 1 rules found", out)
                # on its own, too: an empty rule file
                rc, out = self.promtool_rules(name + "-alone", text)
                self.assertEqual(rc, 0, out)
                # uncommented, the rule it names is a rule (with an expr)
                rc, out = self.promtool_rules(name + "-uncommented",
                                              rule_file(text.replace(
                                                  "# - alert: ",
                                                  "- alert: ")))
                self.assertEqual(rc, 0, out)
                self.assertIn("SUCCESS: 2 rules found", out)

    @unittest.skipIf(PROMTOOL is None, "promtool not installed")
    def test_relabel_config_passes_promtool(self):
        for name, rec, text in self.of("drop_replica_label"):
            with self.subTest(name):
                self.assertIn("action: labeldrop", text)
                for whole in (text, "global:\n  scrape_interval: 15s\n" +
                              text):
                    path = self.write(name + ".prometheus.yml", whole)
                    p = self.run_tool(PROMTOOL, "check", "config", path)
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    self.assertIn("SUCCESS", p.stdout + p.stderr)
        # a broken one fails: the relabel config is really parsed
        name, rec, text = self.of("drop_replica_label")[0]
        path = self.write("broken.prometheus.yml",
                          text.replace("labeldrop", "labelgone"))
        p = self.run_tool(PROMTOOL, "check", "config", path)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)

    # --- Alertmanager -------------------------------------------------------

    @unittest.skipIf(AMTOOL is None, "amtool not installed")
    def test_routes_pass_amtool_and_route_the_alert(self):
        for kind in ("repeat_interval", "group_by",
                     "route_away_from_paging"):
            for name, rec, text in self.of(kind):
                with self.subTest(name):
                    recv = route_receivers(rec)
                    self.assertTrue(recv)
                    path, rc, out = self.amtool_check(
                        name, am_file(recv, route_snippet=text))
                    self.assertEqual(rc, 0, out)
                    self.assertIn("SUCCESS", out)
                    p = self.run_tool(AMTOOL, "config", "routes", "test",
                                      "--config.file=" + path,
                                      "alertname=" + rec["alertname"])
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    self.assertEqual(p.stdout.strip(), ",".join(recv))
                    # other alerts keep the base route
                    p = self.run_tool(AMTOOL, "config", "routes", "test",
                                      "--config.file=" + path,
                                      "alertname=SomethingElse")
                    self.assertEqual(p.stdout.strip(), "default")

    @unittest.skipIf(AMTOOL is None, "amtool not installed")
    def test_inhibit_rules_pass_amtool(self):
        for name, rec, text in self.of("inhibit_rule"):
            with self.subTest(name):
                self.assertIn('source_matchers: [\'alertname="%s"\']' %
                              rec["evidence"]["source"], text)
                path, rc, out = self.amtool_check(
                    name, am_file([], inhibit_snippet=text))
                self.assertEqual(rc, 0, out)
                self.assertIn("1 inhibit rules", out)

    @unittest.skipIf(AMTOOL is None, "amtool not installed")
    def test_broken_alertmanager_snippets_fail_amtool(self):
        name, rec, text = self.of("repeat_interval")[0]
        path, rc, out = self.amtool_check(
            "broken-route", am_file(route_receivers(rec), route_snippet=text
                                    .replace("24h", "a day")))
        self.assertNotEqual(rc, 0, out)
        # a receiver the base config lacks is refused: the names matter
        path, rc, out = self.amtool_check(
            "missing-receiver", am_file([], route_snippet=text))
        self.assertNotEqual(rc, 0, out)
        name, rec, text = self.of("inhibit_rule")[0]
        path, rc, out = self.amtool_check(
            "broken-inhibit", am_file([], inhibit_snippet=text.replace(
                "alertname=", "alertname==")))
        self.assertNotEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()

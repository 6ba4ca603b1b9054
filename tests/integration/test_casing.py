"""test_casing.py -- one casing across every JSON answer: the keys
alertnoise invents are lowerCamelCase (as Prometheus' and Alertmanager's
APIs answer), against the real alertnoised.

One daemon with an Alertmanager config and rule files as sources, seeded
with test_ui's history (replicas, a flapping alert with verdicts, a storm),
so the answers carry groups of every kind, recommendations with evidence
and predictions, a routed not_notified count and sources that hold
something. Every GET endpoint's answer, and the answers of POST feedback,
simulate and webhook, are walked: no key contains "_", except

  - the names inside label and annotation maps (labels, annotations,
    commonLabels: the user's label names), and
  - keys that are the names of Alertmanager's or Prometheus' config keys
    (a group_by recommendation's evidence "group_by": the list to paste).

The request bodies alertnoise invented take the camelCase spelling, and the
snake_case one of the release before (feedback's startsAt / starts_at)."""
import os
import shutil
import tempfile
import unittest

from harness import (Daemon, fingerprint, make_alert, make_notification,
                     wait_for)
from test_sources import AM_YML, RULES
from test_ui import CONFIG as UI_CONFIG, FLAPPY, T, seed as ui_seed

# maps whose keys are label or annotation names
LABEL_MAPS = {"labels", "annotations", "commonLabels", "groupLabels",
              "commonAnnotations"}
# keys named after Alertmanager's or Prometheus' config keys
CONFIG_NAMES = {"group_by"}


def bad_keys(doc, path="$"):
    """The paths of the keys in doc that are not lowerCamelCase."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = "%s.%s" % (path, k)
            if ("_" in k or k[:1].isupper()) and k not in CONFIG_NAMES:
                out.append(p)
            if k not in LABEL_MAPS:
                out += bad_keys(v, p)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += bad_keys(v, "%s[%d]" % (path, i))
    return out


class CasingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="alertnoise-casing-")
        am = os.path.join(cls.tmp, "alertmanager.yml")
        os.mkdir(os.path.join(cls.tmp, "rules"))
        with open(am, "w") as f:
            f.write(AM_YML)
        with open(os.path.join(cls.tmp, "rules", "db.yml"), "w") as f:
            f.write(RULES)
        cls.d = Daemon(UI_CONFIG + """\
alertmanager:
  config_file: %s
prometheus:
  rule_files: ["%s/rules/*.yml"]
""" % (am, cls.tmp))
        try:
            cls.d.start()
            wait_for(lambda: all(s.get("lastSuccess") for s in
                                 cls.d.get("/api/v1/status/sources")
                                 .json()["data"] if s["configured"]),
                     what="sources loaded")
            ui_seed(cls.d)
        except BaseException:
            cls.d.cleanup()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def answer(self, method, path, body=None):
        r = (self.d.get(path) if method == "GET" else
             self.d.post(path, body))
        self.assertEqual(r.status, 200, (path, r.text))
        return r.json()

    def check(self, doc, what):
        self.assertEqual(bad_keys(doc), [], what)

    def test_every_get_answer(self):
        paths = ["/api/v1/episodes", "/api/v1/alerts/firing",
                 "/api/v1/alertnames?by=alertname",
                 "/api/v1/alertnames?by=identity", "/api/v1/alerts",
                 "/api/v1/groups", "/api/v1/summary",
                 "/api/v1/recommendations", "/api/v1/report?format=json",
                 "/api/v1/status/sources", "/api/v1/status/buildinfo",
                 "/api/v1/status/config"]
        for p in paths:
            with self.subTest(path=p):
                self.check(self.answer("GET", p), p)

    def test_answers_carry_what_is_checked(self):
        # the walk above means something only if the invented keys are there
        ep = self.answer("GET", "/api/v1/episodes")["data"][0]
        self.assertIn("firingAt", ep)
        self.assertIn("notNotifiedReason", ep)
        s = self.answer("GET", "/api/v1/summary")["data"]
        self.assertIn("noiseRatio", s)
        self.assertIn("resolvedInGroupWait", s["notNotified"])
        recs = self.answer("GET", "/api/v1/recommendations")["data"]
        self.assertTrue(recs)
        self.assertIn("pagesBefore", recs[0]["predicted"])
        groups = self.answer("GET", "/api/v1/groups")["data"]
        self.assertEqual({g["kind"] for g in groups} >= {"replica", "storm"},
                         True, groups)
        rep = self.answer("GET", "/api/v1/report?format=json")["data"]
        self.assertIn("noiseRatio", rep["kpis"])
        src = self.answer("GET", "/api/v1/status/sources")["data"]
        am = [x for x in src if x["source"] == "alertmanager"][0]
        self.assertIn("lastSuccess", am)
        self.assertIn("inhibitRules", am["holds"])

    def test_post_answers(self):
        self.check(self.answer("POST", "/api/v1/simulate",
                               '{"routes": [{"receiver": "pager", '
                               '"group_wait": "1m"}]}'), "simulate")
        self.check(self.d.webhook(make_notification(
            [make_alert(FLAPPY, T)], receiver="pager")).json(), "webhook")

    def test_feedback_takes_both_spellings(self):
        start = T + 60 * 60 * 1000      # test_ui's first UiFlappy episode
        for key in ("startsAt", "starts_at"):
            with self.subTest(key=key):
                doc = self.answer("POST", "/api/v1/feedback",
                                  '{"fingerprint": "%s", "%s": %d, '
                                  '"verdict": "actionable"}' %
                                  (fingerprint(FLAPPY), key, start // 1000))
                self.check(doc, "feedback")
                self.assertIn("firingAt", doc["data"]["episode"])
        r = self.d.post("/api/v1/feedback", '{"fingerprint": "%s", '
                        '"startsAt": "yesterday", "verdict": "noise"}' %
                        fingerprint(FLAPPY))
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("startsAt:", r.json()["error"])


if __name__ == "__main__":
    unittest.main()

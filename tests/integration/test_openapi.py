"""test_openapi.py -- daemon/openapi.json against the real alertnoised.

One daemon (with --test.clock, an alertmanager.yml and a rule file as
sources of truth) is seeded with test_ui's history: remote write, webhooks,
feedback, a storm. Every operation the document lists is then called with
realistic inputs, its errors included, and each live answer's status code,
media type and JSON body are checked against the document by a small
validator of the JSON Schema subset OpenAPI 3.0 uses (type, properties,
required, items, additionalProperties, enum, nullable, oneOf, allOf, $ref,
and
format date-time, pattern, minimum/maximum, minItems, maxLength). Alertnoise's
own objects are closed (additionalProperties: false), so a key the document
does not name, or a renamed one, fails.

Also: every route of daemon/http.c's route table is in the document, every
operation of the document was called, and GET /api/v1/openapi.json serves
daemon/openapi.json byte for byte."""
import datetime
import http.client as httpclient
import json
import os
import re
import tempfile
import unittest
import urllib.parse

from harness import (Daemon, fingerprint, make_alert, make_notification,
                     now_ms, rfc3339, ROOT)
import rwenc
from rwenc import V1_HEADERS
import test_ui

DOC_PATH = os.path.join(ROOT, "daemon", "openapi.json")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                     r"(Z|[+-]\d\d:\d\d)$")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")
# Upstream objects, spelled and extended by Alertmanager: left open
OPEN_SCHEMAS = {"WebhookMessage"}

AM_YML = """\
route:
  receiver: team-x
  group_by: [alertname]
  routes:
    - receiver: pager
      matchers: ['alertname="UiFlappy"']
receivers:
  - name: team-x
  - name: pager
"""
RULES = """\
groups:
  - name: ui
    rules:
      - alert: UiFlappy
        expr: up == 0
      - alert: UiDisk
        expr: up == 0
        for: 1m
"""


def load_doc():
    with open(DOC_PATH, "rb") as f:
        return f.read()


class Validator:
    """The JSON Schema subset of OpenAPI 3.0.3 the document uses; $refs
    resolve within doc."""

    TYPES = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and
        not isinstance(v, bool),
    }

    def __init__(self, doc):
        self.doc = doc

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise AssertionError("external $ref: " + ref)
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part]
        return node

    def errors(self, schema, v, where="$"):
        """Every way v breaks schema, as strings naming where."""
        if "$ref" in schema:
            return self.errors(self.resolve(schema["$ref"]), v, where)
        if v is None:
            return [] if schema.get("nullable") else \
                ["%s: null where the document does not allow it" % where]
        out = []
        for s in schema.get("allOf", ()):
            out += self.errors(s, v, where)
        if "oneOf" in schema:
            ok = [s for s in schema["oneOf"] if not self.errors(s, v, where)]
            if len(ok) != 1:
                out.append("%s: matches %d of oneOf, not 1: %r" %
                           (where, len(ok), v))
        t = schema.get("type")
        if t is not None and not self.TYPES[t](v):
            return out + ["%s: want %s, got %r" % (where, t, v)]
        if "enum" in schema and v not in schema["enum"]:
            out.append("%s: %r not in %r" % (where, v, schema["enum"]))
        if isinstance(v, str):
            if schema.get("format") == "date-time" and not TIME_RE.match(v):
                out.append("%s: not RFC 3339: %r" % (where, v))
            if "pattern" in schema and not re.search(schema["pattern"], v):
                out.append("%s: %r does not match %s" %
                           (where, v, schema["pattern"]))
            if "maxLength" in schema and len(v) > schema["maxLength"]:
                out.append("%s: longer than %d" % (where, schema["maxLength"]))
        if self.TYPES["number"](v):
            if "minimum" in schema and v < schema["minimum"]:
                out.append("%s: %r < %r" % (where, v, schema["minimum"]))
            if "maximum" in schema and v > schema["maximum"]:
                out.append("%s: %r > %r" % (where, v, schema["maximum"]))
        if isinstance(v, list):
            if len(v) < schema.get("minItems", 0):
                out.append("%s: fewer than %d items" %
                           (where, schema["minItems"]))
            for i, x in enumerate(v):
                out += self.errors(schema.get("items", {}), x,
                                   "%s[%d]" % (where, i))
        if isinstance(v, dict):
            props = schema.get("properties", {})
            for k in schema.get("required", ()):
                if k not in v:
                    out.append("%s: required key %r missing" % (where, k))
            extra = schema.get("additionalProperties", True)
            for k, x in v.items():
                w = "%s.%s" % (where, k)
                if k in props:
                    out += self.errors(props[k], x, w)
                elif extra is False:
                    out.append("%s: key not in the document" % w)
                elif isinstance(extra, dict):
                    out += self.errors(extra, x, w)
        return out


class ValidatorTest(unittest.TestCase):
    """The validator catches what the live tests rely on it catching."""

    def test_catches_renamed_missing_and_mistyped_keys(self):
        doc = json.loads(load_doc())
        v = Validator(doc)
        ep = {"$ref": "#/components/schemas/FeedbackResult"}
        good = {"episode": {"fingerprint": "0123456789abcdef",
                            "firingAt": "2026-11-26T21:51:46.119Z",
                            "pendingAt": None, "resolvedAt": None},
                "verdict": "noise"}
        self.assertEqual(v.errors(ep, good), [])
        renamed = json.loads(json.dumps(good).replace("firingAt",
                                                      "firing_at"))
        self.assertTrue(v.errors(ep, renamed))
        self.assertTrue(v.errors(ep, dict(good, verdict="meh")))
        self.assertTrue(v.errors(ep, {"verdict": "noise"}))
        self.assertTrue(v.errors(ep, dict(good, episode=dict(
            good["episode"], firingAt="yesterday"))))
        self.assertTrue(v.errors({"$ref": "#/components/schemas/Labels"},
                                 {"a": 1}))

    def test_document_is_closed_and_resolves(self):
        """Every $ref resolves, every object of alertnoise's with
        properties is closed, every operation answers something."""
        doc = json.loads(load_doc())
        v = Validator(doc)
        self.assertEqual(doc["openapi"], "3.0.3")

        def walk(node, where):
            if isinstance(node, dict):
                if "$ref" in node:
                    v.resolve(node["$ref"])
                if "properties" in node and \
                        where.split("/")[2:3] != ["WebhookMessage"]:
                    self.assertIs(node.get("additionalProperties"), False,
                                  where)
                    for k in node.get("required", ()):
                        self.assertIn(k, node["properties"], where)
                for k, x in node.items():
                    walk(x, where + "/" + k)
            elif isinstance(node, list):
                for i, x in enumerate(node):
                    walk(x, "%s/%d" % (where, i))
        walk(doc["components"]["schemas"], "#/schemas")
        walk(doc["paths"], "#/paths")
        for path, item in doc["paths"].items():
            for m, op in item.items():
                self.assertIn(m, METHODS, path)
                self.assertTrue(op["responses"], (m, path))


class OpenApiTest(unittest.TestCase):
    """Every documented operation against a seeded daemon."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="an-openapi-")
        am, rules = (os.path.join(cls.tmp.name, n)
                     for n in ("am.yml", "rules.yml"))
        with open(am, "w") as f:
            f.write(AM_YML)
        with open(rules, "w") as f:
            f.write(RULES)
        config = test_ui.CONFIG + ("alertmanager:\n  config_file: %s\n"
                                   "prometheus:\n  rule_files: [%s]\n" %
                                   (am, rules))
        cls.d = Daemon(config, extra_args=["--test.clock"]).start()
        try:
            test_ui.seed(cls.d)
        except BaseException:
            cls.d.cleanup()
            cls.tmp.cleanup()
            raise
        cls.doc = json.loads(load_doc())
        cls.v = Validator(cls.doc)
        cls.called = set()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        cls.tmp.cleanup()

    def request(self, method, path, query=(), body=None, headers=None):
        """One request, redirects not followed: (status, headers, body)."""
        url = path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        if isinstance(body, str):
            body = body.encode()
        conn = httpclient.HTTPConnection("127.0.0.1", self.d.port,
                                          timeout=60)
        try:
            conn.request(method, url, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def call(self, method, template, want, path_params=None, query=(),
             body=None, content_type=None, headers=None):
        """Calls the operation `method template` and checks the answer
        against the document: the status is want and documented for the
        operation, the media type is one it documents, a JSON body is
        valid under its schema. Returns the body (parsed when JSON)."""
        op = self.doc["paths"][template][method.lower()]
        path = template
        for k, x in (path_params or {}).items():
            path = path.replace("{%s}" % k, urllib.parse.quote(x, safe=""))
        headers = dict(headers or {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        if method == "POST" and body is None:
            headers.setdefault("Content-Length", "0")
        status, rh, raw = self.request(method, path, query, body, headers)
        what = "%s %s %r -> %d: %s" % (method, path, query, status,
                                       raw[:300])
        self.assertEqual(status, want, what)
        self.called.add((template, method.lower()))
        resp = op["responses"].get(str(status))
        self.assertIsNotNone(resp, "status not documented: " + what)
        content = resp.get("content")
        if not content:
            self.assertEqual(raw, b"", what)
            return None
        ctype = rh.get("Content-Type", "")
        media = [m for m in content
                 if ctype.split(";")[0].strip() == m.split(";")[0].strip()]
        self.assertTrue(media, "media type %r not documented: %s" %
                        (ctype, what))
        if not ctype.startswith("application/json"):
            self.assertTrue(raw or status in (200,), what)
            return raw.decode("utf-8")
        value = json.loads(raw)
        errs = self.v.errors(content[media[0]]["schema"], value)
        self.assertEqual(errs, [], what)
        return value

    def wrong_method(self, method, template):
        """A method the document does not list for the path answers 405
        with Allow naming the ones it does."""
        item = self.doc["paths"][template]
        self.assertNotIn(method.lower(), item)
        status, headers, _ = self.request(method, template)
        self.assertEqual(status, 405, (method, template))
        allow = {m.strip().lower() for m in headers["Allow"].split(",")}
        self.assertEqual(allow - {"head"}, set(item), template)

    # --- the read API -----------------------------------------------------

    def test_episodes_and_firing(self):
        for t in ("/api/v1/episodes", "/api/v1/alerts/firing"):
            self.assertTrue(self.call("GET", t, 200)["data"], t)
            page = self.call("GET", t, 200, query={"limit": 1})
            self.assertIn("next", page)
            self.call("GET", t, 200, query={"limit": 1,
                                            "next": page["next"]})
            self.call("GET", t, 200, query={
                "match[]": ['{alertname="UiDisk"}', "UiFlappy"],
                "start": "0", "end": "4102444800"})
            self.call("GET", t, 200, query={"alertname": "UiDisk"})
            warned = self.call("GET", t, 200, query={"since": "0"})
            self.assertTrue(warned["warnings"])
            self.call("GET", t, 400, query={"foo": "1"})
            self.call("GET", t, 400, query={"next": "AAAA"})
        data = self.call("GET", "/api/v1/episodes", 200)["data"]
        self.assertTrue(any(e["class"] for e in data))

    def test_alertnames(self):
        for t in ("/api/v1/alertnames", "/api/v1/alerts"):
            rows = self.call("GET", t, 200, query={"by": "identity",
                                                   "window": "1d"})["data"]
            self.assertTrue(any(r.get("identities") for r in rows))
            page = self.call("GET", t, 200, query={"limit": 1})
            self.call("GET", t, 200, query={"limit": 1,
                                            "next": page["next"]})
            self.call("GET", t, 200, query={"match[]": "{team=\"infra\"}"})
            self.call("GET", t, 400, query={"window": "forever"})
        self.assertTrue(self.call("GET", "/api/v1/alerts", 200)["warnings"])

    def test_groups_summary_recommendations(self):
        groups = self.call("GET", "/api/v1/groups", 200)["data"]
        self.assertEqual({g["kind"] for g in groups}, {"replica", "storm"})
        page = self.call("GET", "/api/v1/groups", 200, query={"limit": 1})
        self.call("GET", "/api/v1/groups", 200,
                  query={"limit": 1, "next": page["next"]})
        self.call("GET", "/api/v1/groups", 400, query={"limit": "0"})
        summary = self.call("GET", "/api/v1/summary", 200,
                            query={"window": "7d"})["data"]
        self.assertTrue(summary["byReceiver"])
        self.call("GET", "/api/v1/summary", 400, query={"match[]": "x"})
        recs = self.call("GET", "/api/v1/recommendations", 200)["data"]
        self.assertTrue(recs)
        # with rule files as a source, the rule recommendations
        self.assertTrue(all("patches" in r for r in recs
                            if r["target"] == "prometheus_rule"))
        self.call("GET", "/api/v1/recommendations", 200,
                  query={"limit": 1, "window": "30d"})
        self.call("GET", "/api/v1/recommendations", 400,
                  query={"limit": "x"})

    def test_report(self):
        t = "/api/v1/report"
        rep = self.call("GET", t, 200)["data"]
        self.assertTrue(rep["topNoisy"])
        week = datetime.date.today().isocalendar()
        self.call("GET", t, 200, query={"week": "%d-W%02d" % week[:2]})
        self.call("GET", t, 200, query={"team": "infra", "window": "1d"})
        self.call("GET", t, 200, query={
            "match[]": "{instance=\"f\"}", "end": str(now_ms() // 1000),
            "start": rfc3339(test_ui.T - 3600 * 1000)})
        self.assertIn("UiFlappy", self.call("GET", t, 200, query={
            "format": "markdown"}))
        self.assertIn("<html", self.call("GET", t, 200, query={
            "format": "html"}))
        self.call("GET", t, 400, query={"format": "pdf"})

    def test_status(self):
        sources = self.call("GET", "/api/v1/status/sources", 200)["data"]
        self.assertEqual([s["source"] for s in sources if s["configured"]],
                         ["alertmanager", "prometheus"])
        info = self.call("GET", "/api/v1/status/buildinfo", 200)["data"]
        self.assertEqual(info["version"], self.doc["info"]["version"])
        self.assertIn("am.yml", self.call("GET", "/api/v1/status/config",
                                          200)["data"]["yaml"])
        self.call("GET", "/api/v1/status/config", 400, query={"x": "1"})

    def test_openapi_document_is_served_as_is(self):
        status, headers, body = self.request("GET", "/api/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(body, load_doc())
        self.call("GET", "/api/v1/openapi.json", 200)
        self.wrong_method("POST", "/api/v1/openapi.json")

    # --- what takes a body ------------------------------------------------

    def test_webhook(self):
        t = "/api/v1/webhook"
        hook = make_notification([make_alert(
            {"alertname": "OaHook", "instance": "x"},
            test_ui.T + 3600 * 1000)], receiver="team-x")
        stored = self.call("POST", t, 200, body=json.dumps(hook),
                           content_type="application/json")["data"]
        self.assertEqual(stored["result"], "stored")
        again = self.call("POST", t, 200, body=json.dumps(hook),
                          content_type="application/json")["data"]
        self.assertEqual(again["result"], "duplicate")
        self.call("POST", t, 400, body=json.dumps(dict(hook, version="3")),
                  content_type="application/json")
        self.call("POST", t, 400, body="{", content_type="application/json")
        self.call("POST", t, 415, body=json.dumps(hook),
                  content_type="text/plain")
        self.wrong_method("GET", t)

    def test_remote_write(self):
        t = "/api/v1/write"
        body = rwenc.write_body([({"__name__": "ALERTS",
                                   "alertname": "OaWrite",
                                   "alertstate": "firing"},
                                  [(1, test_ui.T + 7000 * 1000)])])
        self.call("POST", t, 204, body=body, headers=dict(V1_HEADERS))
        self.call("POST", t, 400, body=b"\xff\xff\xff\xff garbage",
                  headers=dict(V1_HEADERS))
        self.call("POST", t, 415, body=body,
                  headers=dict(V1_HEADERS, **{"Content-Type": "text/plain"}))

    def test_feedback(self):
        t = "/api/v1/feedback"
        fp = fingerprint(test_ui.FLAPPY)
        res = self.call("POST", t, 200, body=json.dumps({
            "fingerprint": fp, "verdict": "noise", "note": "flaps",
            "by": "openapi"}), content_type="application/json")["data"]
        self.assertEqual(res["episode"]["fingerprint"], fp)
        form = "application/x-www-form-urlencoded"
        self.call("POST", t, 200, body=urllib.parse.urlencode({
            "fingerprint": fp, "verdict": "actionable"}), content_type=form)
        self.call("POST", t, 303, body=urllib.parse.urlencode({
            "fingerprint": fp, "verdict": "noise", "return": "1"}),
            content_type=form)
        self.call("POST", t, 400, body=json.dumps({
            "fingerprint": fp, "verdict": "meh"}),
            content_type="application/json")
        self.call("POST", t, 404, body=json.dumps({
            "fingerprint": "0123456789abcdef", "verdict": "noise"}),
            content_type="application/json")
        self.call("POST", t, 413, body="x" * (65 * 1024),
                  content_type="application/json")
        self.call("POST", t, 415, body="{}", content_type="text/plain")
        self.wrong_method("GET", t)

    def test_simulate(self):
        t = "/api/v1/simulate"
        sim = self.call("POST", t, 200, body=json.dumps({
            "window": "7d",
            "rules": [{"match": '{alertname="UiFlappy"}', "for": "10m"},
                      {"matchers": ['alertname="UiDisk"'],
                       "keep_firing_for": "5m"}],
            "routes": [{"receiver": "pager", "group_by": ["alertname"],
                        "group_wait": "30s", "group_interval": "5m",
                        "repeat_interval": "24h"},
                       {"matchers": ['alertname="UiStorm"'],
                        "repeat_interval": "12h"}],
            "inhibit_rules": [{"source_matchers": ['alertname="UiDisk"'],
                               "target_matchers": ['alertname="UiFlappy"'],
                               "equal": ["instance"]}]}),
            content_type="application/json")["data"]
        self.assertTrue(sim["counts"])
        self.call("POST", t, 400, body=json.dumps({"rules": [{
            "match": "{alertname=\"X\"}", "for": "soon"}]}),
            content_type="application/json")
        self.call("POST", t, 415, body="{}", content_type="text/plain")
        self.wrong_method("GET", t)

    # --- pages and operation ----------------------------------------------

    def test_pages(self):
        for t in ("/", "/groups", "/recommendations"):
            self.assertIn("<html", self.call("GET", t, 200))
        self.call("GET", "/alerts/{alertname}", 200,
                  path_params={"alertname": "UiFlappy"})
        fp = fingerprint(test_ui.FLAPPY)
        self.call("GET", "/feedback", 200, query={"fingerprint": fp})
        self.call("GET", "/feedback", 400, query={"fingerprint": "zz"})
        self.call("GET", "/feedback", 404,
                  query={"fingerprint": "0123456789abcdef"})

    def test_operation(self):
        self.assertIn("Healthy", self.call("GET", "/-/healthy", 200))
        self.assertIn("Ready", self.call("GET", "/-/ready", 200))
        self.call("POST", "/-/reload", 200)
        self.call("PUT", "/-/reload", 200)
        self.assertIn("alertnoise_", self.call("GET", "/metrics", 200))
        self.call("GET", "/metrics", 200, headers={
            "Accept": "application/openmetrics-text; version=1.0.0"})
        self.call("POST", "/-/test/clock", 200, query={"advance": "1ms"})
        self.call("POST", "/-/test/clock", 400, query={"advance": "x"})
        self.call("GET", "/api/v1/summary", 413, body="x")

    # --- the document covers the daemon -----------------------------------

    def test_route_table_is_documented(self):
        """Each route of http.c's tables, with each of its methods, is a
        documented operation (":name" in the table is "{name}" here)."""
        with open(os.path.join(ROOT, "daemon", "http.c")) as f:
            src = f.read()
        routes = re.findall(r'\{ "([^"]+)", "([^"]+)",\s*(M_[A-Z_| ]+),',
                            src)
        self.assertGreater(len(routes), 20)
        for _, name, methods in routes:
            path = re.sub(r":([a-z_]+)", r"{\1}", name)
            self.assertIn(path, self.doc["paths"])
            for m in re.findall(r"M_([A-Z]+)", methods):
                self.assertIn(m.lower(), self.doc["paths"][path], path)

    def test_zz_every_operation_called(self):
        """Runs last (unittest sorts by name): each documented operation
        was called by a test above."""
        want = {(p, m) for p, item in self.doc["paths"].items()
                for m in item}
        self.assertEqual(want - self.called, set())


if __name__ == "__main__":
    unittest.main()

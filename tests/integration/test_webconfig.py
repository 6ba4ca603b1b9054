"""test_webconfig.py -- --web.config.file (exporter-toolkit's format): TLS,
client certificates, basic auth, and web.authorization's groups (issue 14,
finding 1: anyone who reached the port could forge webhooks, write samples,
record verdicts and reload).

A CA, a server certificate (127.0.0.1), a client certificate and one signed
by another CA are made with openssl into a temporary directory once; the
bcrypt hashes with Python's crypt module (libxcrypt, as the daemon)."""
import http.client as httpclient
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import harness  # noqa: E402
from harness import (BINARY, Daemon, http, make_alert,  # noqa: E402
                     make_notification, now_ms, wait_for)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

CERTS = None


def bcrypt(password, cost=4):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH,
                                              rounds=2 ** cost))


def make_certs(where):
    """Into the directory where: ca.crt; server.crt/key for 127.0.0.1 and
    serverb.crt/key, another one (a rotation's); client.crt/key signed by
    the CA; rogue.crt/key, a client certificate of another CA."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=where,
                       capture_output=True, timeout=60)

    with open(os.path.join(where, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                ca + ".key", "-out", ca + ".crt", "-days", "2", "-subj",
                "/CN=alertnoise test " + ca)
    for name, ca, ext in (("server", "ca", True), ("serverb", "ca", True),
                          ("client", "ca", False),
                          ("rogue", "otherca", False)):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
                "-CAkey", ca + ".key", "-CAcreateserial", "-out",
                name + ".crt", "-days", "2",
                *(["-extfile", "san.ext"] if ext else []))


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="an-certs-")
    make_certs(CERTS)


def tearDownModule():
    shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def client_context_of(cafile):
    """A client context trusting only cafile."""
    return ssl.create_default_context(cafile=cafile)


def client_context(client=None, max_version=None):
    """A context trusting the test CA; client: "client" or "rogue" sends
    that certificate."""
    ctx = client_context_of(cert("ca.crt"))
    if client is not None:
        ctx.load_cert_chain(cert(client + ".crt"), cert(client + ".key"))
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def tls_config(extra=""):
    return ("tls_server_config:\n  cert_file: %s\n  key_file: %s\n" %
            (cert("server.crt"), cert("server.key"))) + extra


def refused(fn):
    """Whether fn() fails below HTTP: no status line came back."""
    try:
        fn()
    except (OSError, httpclient.HTTPException):
        return True
    return False


def webhook_body(name="WebCfg"):
    return make_notification([make_alert({"alertname": name},
                                         now_ms() - 60000)])


class TLSTest(unittest.TestCase):
    def tearDown(self):
        self.d.cleanup()

    def test_tls_only(self):
        """https answers; plain http on the same port gets no answer."""
        self.d = Daemon(web_config=tls_config(),
                        ssl_context=client_context()).start()
        self.assertEqual(self.d.get("/-/healthy").status, 200)
        self.assertEqual(self.d.webhook(webhook_body()).status, 200)
        plain = "http://127.0.0.1:%d" % self.d.port
        self.assertTrue(refused(lambda: http("GET", plain + "/-/healthy",
                                             timeout=5)))

    def test_min_version_tls13(self):
        self.d = Daemon(web_config=tls_config("  min_version: TLS13\n"),
                        ssl_context=client_context()).start()
        old = client_context(max_version=ssl.TLSVersion.TLSv1_2)
        self.assertTrue(refused(lambda: http(
            "GET", self.d.url + "/-/healthy", context=old, timeout=5)))
        self.assertEqual(self.d.get("/-/healthy").status, 200)

    def test_require_and_verify_client_cert(self):
        self.d = Daemon(web_config=tls_config(
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  client_ca_file: ca.crt\n"),
            ssl_context=client_context("client"))
        # the CA's path is relative to the web config file
        shutil.copy(cert("ca.crt"), os.path.join(self.d.dir, "ca.crt"))
        self.d.start()
        for ctx in (client_context(), client_context("rogue")):
            self.assertTrue(refused(lambda: http(
                "GET", self.d.url + "/-/healthy", context=ctx, timeout=5)))
        self.assertEqual(self.d.get("/-/healthy").status, 200)
        self.assertEqual(self.d.get("/api/v1/episodes").status, 200)


class BasicAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("web:\n  max_auth_failures_per_minute: 1000\n",
                       web_config="basic_auth_users:\n  alice: '%s'\n" %
                       bcrypt("secret", 10), auth=("alice", "secret")).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def failures(self, reason):
        return self.d.metric("alertnoise_http_auth_failures_total",
                             reason=reason)

    def test_no_credentials(self):
        before = self.failures("no_credentials")
        r = self.d.get("/api/v1/episodes", auth=None)
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith("Basic"))
        self.assertIn("authentication required", r.text)
        self.assertEqual(self.failures("no_credentials"), before + 1)
        # a path that does not exist tells a stranger nothing either
        self.assertEqual(self.d.get("/api/v1/nothing", auth=None).status,
                         401)
        # health and readiness stay open, as Prometheus'
        self.assertEqual(self.d.get("/-/healthy", auth=None).status, 200)
        self.assertEqual(self.d.get("/-/ready", auth=None).status, 200)

    def test_credentials(self):
        before = self.failures("wrong_password")
        r = self.d.get("/api/v1/episodes", auth=("alice", "wrong"))
        self.assertEqual(r.status, 401)
        self.assertEqual(r.text, "wrong user name or password\n")
        self.assertTrue(r.headers["WWW-Authenticate"].startswith("Basic"))
        self.assertEqual(self.failures("wrong_password"), before + 1)
        before = self.failures("unknown_user")
        r = self.d.get("/api/v1/episodes", auth=("mallory", "secret"))
        self.assertEqual((r.status, r.text),
                         (401, "wrong user name or password\n"))
        self.assertEqual(self.failures("unknown_user"), before + 1)
        r = self.d.get("/api/v1/episodes", auth=("alice", "secret"))
        self.assertEqual(r.status, 200, r.text)
        r = self.d.webhook(webhook_body(), auth=("alice", "secret"))
        self.assertEqual(r.status, 200, r.text)

    def test_unknown_user_costs_a_bcrypt(self):
        """An unknown user is checked against a dummy hash of the same
        cost (10, tens of ms), not answered at once."""
        def took(user):
            t = time.monotonic()
            self.assertEqual(self.d.get("/-/ready/x", auth=(user, "no"))
                             .status, 401)
            return time.monotonic() - t
        known = sorted(took("alice") for _ in range(3))[1]
        unknown = sorted(took("mallory") for _ in range(3))[1]
        self.assertGreater(unknown, known * 0.5, (known, unknown))


def get_from(address, d, path, auth):
    """GET path of daemon d from the local address (another loopback
    address than 127.0.0.1 is another client to the failure limit)."""
    conn = httpclient.HTTPConnection("127.0.0.1", d.port, timeout=30,
                                      source_address=(address, 0))
    try:
        conn.request("GET", path, headers={
            "Authorization": harness.basic_auth(*auth)})
        r = conn.getresponse()
        return harness.Response(r.status, r.headers, r.read())
    finally:
        conn.close()


class RateLimitTest(unittest.TestCase):
    def test_failures_limited_per_address(self):
        d = Daemon("web:\n  max_auth_failures_per_minute: 3\n",
                   web_config="basic_auth_users:\n  alice: '%s'\n" %
                   bcrypt("secret"))
        alice = ("alice", "secret")
        try:
            d.start()
            for _ in range(3):
                self.assertEqual(d.get("/metrics", auth=("alice", "x"))
                                 .status, 401)
            # the bucket is empty: even the right password waits, and
            # bcrypt does not run
            for _ in range(2):
                r = d.get("/metrics", auth=alice)
                self.assertEqual(r.status, 429, r.text)
                self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
                self.assertIn("web.max_auth_failures_per_minute", r.text)
            self.assertEqual(d.get("/-/healthy").status, 200)
            # another address has its own bucket
            r = get_from("127.0.0.2", d, "/metrics", alice)
            self.assertEqual(r.status, 200, r.text)
            m = harness.parse_metrics(r.text)

            def n(reason):
                return m[("alertnoise_http_auth_failures_total",
                          frozenset({"reason": reason}.items()))]
            self.assertEqual((n("wrong_password"), n("rate_limited")),
                             (3, 2))
        finally:
            d.cleanup()


USERS = ("reader", "ingester", "admin")


def users_config(names=USERS):
    return "basic_auth_users:\n" + "".join(
        "  %s: '%s'\n" % (u, bcrypt(u + "-pw")) for u in names)


def as_user(u):
    return (u, u + "-pw")


class AuthorizationTest(unittest.TestCase):
    CONFIG = """\
web:
  authorization:
    ingest: [ingester]
    read: [reader, admin]
    admin: [admin]
"""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(cls.CONFIG, web_config=users_config(),
                       auth=as_user("reader")).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_ingest(self):
        r = self.d.webhook(webhook_body("Authz"), auth=as_user("reader"))
        self.assertEqual(r.status, 403)
        self.assertIn("web.authorization.ingest", r.text)
        self.assertEqual(self.d.count("notifications"), 0)
        r = self.d.webhook(webhook_body("Authz"), auth=as_user("ingester"))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.d.post("/api/v1/write", b"",
                                     content_type="application/x-protobuf",
                                     auth=as_user("admin")).status, 403)

    def test_read(self):
        r = self.d.get("/api/v1/episodes", auth=as_user("ingester"))
        self.assertEqual(r.status, 403)
        self.assertIn("web.authorization.read", r.text)
        for u in ("reader", "admin"):
            self.assertEqual(self.d.get("/api/v1/episodes",
                                        auth=as_user(u)).status, 200)
            self.assertEqual(self.d.get("/", auth=as_user(u)).status, 200)
        before = self.d.metric("alertnoise_http_auth_failures_total",
                               reason="forbidden")
        self.assertEqual(self.d.get("/metrics", auth=as_user("ingester"))
                         .status, 403)
        after = harness.parse_metrics(self.d.get(
            "/metrics", auth=as_user("reader")).text)
        self.assertEqual(after[("alertnoise_http_auth_failures_total",
                                frozenset({"reason": "forbidden"}.items()))],
                         before + 1)

    def test_admin(self):
        for path in ("/-/reload", "/api/v1/simulate", "/api/v1/feedback"):
            r = self.d.post(path, "{}", auth=as_user("reader"))
            self.assertEqual(r.status, 403, path)
            self.assertIn("web.authorization.admin", r.text)
        self.assertEqual(self.d.get("/feedback", auth=as_user("reader"))
                         .status, 403)
        self.assertEqual(self.d.post("/-/reload", auth=as_user("admin"))
                         .status, 200)


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(web_config=users_config(("admin",)),
                        auth=as_user("admin"))

    def tearDown(self):
        self.d.cleanup()

    def test_new_user(self):
        self.d.start()
        carol = ("carol", "carol-pw")
        self.assertEqual(self.d.get("/api/v1/episodes", auth=carol).status,
                         401)
        self.d.write_web_config(users_config(("admin", "carol")))
        self.assertEqual(self.d.post("/-/reload", auth=as_user("admin"))
                         .status, 200)
        self.assertEqual(self.d.get("/api/v1/episodes", auth=carol).status,
                         200)
        # by SIGHUP too: carol goes
        self.d.write_web_config(users_config(("admin",)))
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.d.get("/api/v1/episodes", auth=carol)
                 .status == 401, what="carol to be gone after SIGHUP")

    def test_broken_on_reload_keeps_the_old(self):
        self.d.start()
        admin = as_user("admin")
        self.d.write_web_config("basic_auth_users:\n  admin: plaintext\n")
        r = self.d.post("/-/reload", auth=admin)
        self.assertEqual(r.status, 500)
        # where, never what: the file may be a symlink to anything
        self.assertIn("web.yml:2", r.text)
        self.assertNotIn("plaintext", r.text)
        self.assertEqual(self.d.get("/api/v1/episodes", auth=admin).status,
                         200)
        self.assertEqual(self.d.metric("alertnoise_config_reloads_total",
                                       result="failure"), 1)
        self.assertEqual(self.d.metric(
            "alertnoise_config_last_reload_successful"), 0)
        self.assertIn("not a bcrypt hash", self.d.log())

    def test_broken_at_start(self):
        self.d.write_web_config(tls_config("  min_version: TLS9\n"))
        self.d.start(wait_ready=False)
        self.assertEqual(self.d.proc.wait(30), 1)
        self.assertIn("tls_server_config.min_version: unknown TLS version",
                      self.d.log())

    def test_check_config(self):
        self.d.write_web_config("tls_server_config:\n  cert_file: x\n"
                                "  key_file: y\n  bogus: 1\n")
        r = subprocess.run([BINARY, "--config.file=" + self.d.config_path,
                            "--web.config.file=" + self.d.web_config_path,
                            "--check-config"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("web.yml:4: tls_server_config.bogus: unknown key",
                      r.stderr)



def served_certificate(d, context=None):
    """The DER certificate a new TLS connection to d is served."""
    ctx = context or client_context()
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(name):
    with open(cert(name + ".crt")) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class TLSReloadTest(unittest.TestCase):
    """A reload takes tls_server_config's new certificate, key, CA and
    settings for the next handshake, as exporter-toolkit does: rotating a
    certificate needs no restart."""
    CONFIG = ("tls_server_config:\n  cert_file: tls.crt\n"
              "  key_file: tls.key\n")

    def setUp(self):
        self.d = Daemon(web_config=self.CONFIG, ssl_context=client_context())
        self.install("server")

    def tearDown(self):
        self.d.cleanup()

    def install(self, name):
        """Writes name's certificate and key in place of tls.crt/key."""
        for ext in ("crt", "key"):
            shutil.copy(cert(name + "." + ext),
                        os.path.join(self.d.dir, "tls." + ext))

    def test_rotated_certificate(self):
        self.d.start()
        self.assertEqual(served_certificate(self.d), der_of("server"))
        self.install("serverb")
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: served_certificate(self.d) == der_of("serverb"),
                 what="the new certificate to be served after SIGHUP")
        self.assertEqual(self.d.get("/-/healthy").status, 200)
        # a broken certificate fails the reload and keeps the one served
        with open(os.path.join(self.d.dir, "tls.crt"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbroken\n")
        self.assertEqual(self.d.post("/-/reload").status, 500)
        self.assertEqual(self.d.metric("alertnoise_config_reloads_total",
                                       result="failure"), 1)
        self.assertEqual(served_certificate(self.d), der_of("serverb"))
        self.assertIn("tls_server_config.cert_file", self.d.log())
        self.assertNotIn("changes only at restart", self.d.log())

    def test_min_version(self):
        self.d.start()
        old = client_context(max_version=ssl.TLSVersion.TLSv1_2)
        self.assertEqual(self.d.get("/-/healthy", context=old).status, 200)
        self.d.write_web_config(self.CONFIG + "  min_version: TLS13\n")
        self.assertEqual(self.d.post("/-/reload").status, 200)
        self.assertTrue(refused(lambda: http(
            "GET", self.d.url + "/-/healthy", context=old, timeout=5)))
        self.assertEqual(self.d.get("/-/healthy").status, 200)

    def test_tls_off_needs_restart(self):
        """Plain or TLS is fixed at start: a reload that drops
        tls_server_config keeps serving TLS, and says so."""
        self.d.start()
        self.d.write_web_config("basic_auth_users: {}\n")
        self.assertEqual(self.d.post("/-/reload").status, 200)
        self.assertEqual(served_certificate(self.d), der_of("server"))
        self.assertEqual(self.d.get("/-/healthy").status, 200)
        self.assertIn("turning TLS on or off changes only at restart",
                      self.d.log())

    def test_client_ca(self):
        """client_auth_type and client_ca_file of the running config."""
        self.d.ssl_context = client_context("client")
        self.d.write_web_config(self.CONFIG + (
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  client_ca_file: %s\n" % cert("ca.crt")))
        self.d.start()
        rogue = client_context("rogue")

        def status(ctx):
            try:
                return http("GET", self.d.url + "/api/v1/episodes",
                            context=ctx, timeout=5).status
            except (OSError, httpclient.HTTPException):
                return None
        self.assertIsNone(status(rogue))
        self.assertIsNone(status(client_context()))
        self.d.write_web_config(self.CONFIG + (
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  client_ca_file: %s\n" % cert("otherca.crt")))
        # asked with the client certificate the running config trusts
        self.assertEqual(self.d.post("/-/reload").status, 200)
        self.assertEqual(status(rogue), 200)
        self.assertIsNone(status(client_context("client")))
        # and back to no client certificates at all
        self.d.write_web_config(self.CONFIG)
        self.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: status(client_context()) == 200,
                 what="no client certificate to be needed after SIGHUP")


class ClientTest(unittest.TestCase):
    """The client commands reach a daemon with TLS and basic auth through
    --http.config.file, Prometheus' HTTP client configuration as promtool
    and amtool take it."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(web_config=tls_config(
            "basic_auth_users:\n  alice: '%s'\n" % bcrypt("s3cret")),
            ssl_context=client_context(), auth=("alice", "s3cret")).start()
        r = cls.d.webhook(webhook_body("ClientTLS"))
        assert r.status == 200, r.text

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def client(self, http_config=None, url=None):
        """`alertnoised query alerts -o json` against the daemon, with
        http_config (text) as its --http.config.file."""
        args = [BINARY, "query", "alerts", "-o", "json",
                "--alertnoise.url=" + (url or self.d.url), "--timeout=30s"]
        if http_config is not None:
            path = os.path.join(self.d.dir, "http.yml")
            with open(path, "w") as f:
                f.write(http_config)
            args.append("--http.config.file=" + path)
        env = dict(os.environ)
        env.pop("ALERTNOISE_URL", None)
        return subprocess.run(args, capture_output=True, text=True,
                              timeout=60, env=env)

    def good(self, auth="  username: alice\n  password: s3cret\n"):
        return ("tls_config:\n  ca_file: %s\nbasic_auth:\n%s" %
                (cert("ca.crt"), auth))

    def test_ca_and_basic_auth(self):
        p = self.client(self.good())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ClientTLS", [a["alertname"] for a in
                                    json.loads(p.stdout)])
        self.assertNotIn("s3cret", p.stdout + p.stderr)

    def test_password_file_and_relative_ca(self):
        """password_file is read without its newline; ca_file relative to
        the config file's directory."""
        shutil.copy(cert("ca.crt"), os.path.join(self.d.dir, "myca.crt"))
        with open(os.path.join(self.d.dir, "pw"), "w") as f:
            f.write("s3cret\n")
        p = self.client("tls_config:\n  ca_file: myca.crt\nbasic_auth:\n"
                        "  username: alice\n  password_file: pw\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ClientTLS", p.stdout)

    def test_server_name(self):
        """server_name is the name the certificate is checked against
        (localhost, not the URL's 127.0.0.1), and need not resolve: the
        connection still goes to the URL's host."""
        def with_name(name):
            return self.client(self.good().replace(
                "tls_config:\n", "tls_config:\n  server_name: %s\n" % name))
        p = with_name("other.invalid")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("TLS with %s failed" % self.d.url, p.stderr)
        self.assertIn("other.invalid", p.stderr)
        p = with_name("localhost")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ClientTLS", p.stdout)

    def test_without_config(self):
        # TLS: the test CA is not trusted
        p = self.client()
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("TLS with %s failed" % self.d.url, p.stderr)
        self.assertIn("tls_config in --http.config.file", p.stderr)
        # plain http to a TLS port
        p = self.client(url="http://127.0.0.1:%d" % self.d.port)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("a daemon with TLS wants https://", p.stderr)
        # TLS, no credentials: the daemon's 401
        p = self.client("tls_config:\n  ca_file: %s\n" % cert("ca.crt"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("HTTP 401: authentication required", p.stderr)
        self.assertIn("basic_auth in --http.config.file", p.stderr)
        # insecure_skip_verify reaches it without the CA
        p = self.client(self.good().replace(
            "  ca_file: %s\n" % cert("ca.crt"),
            "  insecure_skip_verify: true\n"))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_wrong_password(self):
        p = self.client(self.good("  username: alice\n  password: nope\n"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("wrong user name or password", p.stderr)
        self.assertNotIn("nope", p.stderr + p.stdout)

    def test_bad_config(self):
        for text, want in (
                (self.good() + "  passwd: x\n",
                 "http.yml:6: basic_auth.passwd: unknown key"),
                ("tls_config:\n  ca_file: nothere.crt\n",
                 "http.yml:2: tls_config.ca_file: reading %s: No such file"
                 % os.path.join(self.d.dir, "nothere.crt")),
                ("basic_auth:\n  username: a\n  password: hush\n"
                 "  password_file: pw\n",
                 "http.yml:4: basic_auth.password_file: at most one of "
                 "basic_auth.password and basic_auth.password_file"),
                ("oauth2:\n  client_id: x\n",
                 "http.yml:1: oauth2: not supported by alertnoised's "
                 "client"),
                ("basic_auth:\n  username: a\n  password: hush\n"
                 "authorization:\n  credentials: t\n",
                 "http.yml:4: authorization: at most one of basic_auth "
                 "and authorization")):
            p = self.client(text)
            self.assertEqual(p.returncode, 2, (text, p.stderr))
            self.assertIn("--http.config.file: " + os.path.join(
                self.d.dir, want), p.stderr)
            self.assertNotIn("hush", p.stderr)


if __name__ == "__main__":
    unittest.main()

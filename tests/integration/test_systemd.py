"""test_systemd.py -- alertnoised under systemd: the unit file passes
`systemd-analyze verify` (and is as hardened as the issue asks), the daemon
speaks the sd_notify protocol on $NOTIFY_SOCKET (READY=1, RELOADING=1,
STOPPING=1; path and abstract "@name" sockets), it still works with the
unit's MemoryDenyWriteExecute=, and `make install` lays out the binary, the
unit, the default config, the dashboard and the rules.

`make install` runs here against a private build directory (its own BUILD=),
so the test neither races another build of build/ nor depends on it being
current; installs go to temporary DESTDIRs only."""
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import time
import unittest
from urllib.parse import quote

import harness
from harness import (BINARY, ROOT, free_port, http, make_alert,
                     make_notification, now_ms, wait_for)

UNIT_SRC = os.path.join(ROOT, "systemd", "alertnoised.service")
SHARE_FILES = ("config/grafana/alertnoise-dashboard.json",
               "config/rules/alertnoise.rules.yml")

# --- make install into a private build --------------------------------------

_build = {}


def setUpModule():
    _build["dir"] = tempfile.mkdtemp(prefix="an-systemd-build-")


def tearDownModule():
    shutil.rmtree(_build.pop("dir"), ignore_errors=True)


def make_install(destdir, prefix="/usr", **extra):
    """Runs `make install` with the private BUILD; returns the process."""
    args = ["make", "-C", ROOT, "-s", "-j%d" % (os.cpu_count() or 2),
            "install", "BUILD=" + os.path.join(_build["dir"], "b"),
            "DESTDIR=" + destdir, "PREFIX=" + prefix]
    args += ["%s=%s" % kv for kv in sorted(extra.items())]
    p = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise AssertionError("%s exited with %d:\n%s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION\s*:?=\s*(\S+)", f.read(), re.M).group(1)


def parse_unit(text):
    """{section: [(key, value), ...]} of a unit file, in order."""
    out, sec = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            sec = m.group(1)
            out.setdefault(sec, [])
            continue
        k, _, v = line.partition("=")
        out[sec].append((k.strip(), v.strip()))
    return out


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit, section, key):
    v = values(unit, section, key)
    return v[-1] if v else None


# --- systemd-analyze ---------------------------------------------------------

def systemd_analyze():
    """(path, None) or (None, why it is missing). Installs Debian's systemd
    package when missing and we are root, as the issue asks."""
    path = shutil.which("systemd-analyze")
    if path:
        return path, None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "systemd-analyze is missing and `apt-get install systemd` " \
            "needs root and apt-get (run `make deps-test`)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "systemd"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=900)
    if p.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True,
                       env=env, timeout=900)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=900)
    path = shutil.which("systemd-analyze")
    if path:
        return path, None
    return None, "apt-get install systemd failed (%d): %s" % (
        p.returncode, (p.stderr or p.stdout).strip()[-500:])


# a line of `systemd-analyze verify` output about a unit file defect; it
# exits 0 after most of them ("ignoring"), so the output is what tells
WARNING = re.compile(r"Unknown (key|section|lvalue)|[Ii]gnoring|Failed to "
                     r"parse|[Ii]nvalid|not executable|is not absolute|"
                     r"[Nn]ot found|deprecated|obsolete", re.M)


class UnitVerifyTest(unittest.TestCase):
    """The unit as installed, checked by systemd itself.

    `systemd-analyze verify` insists that every Exec*= binary exists on the
    real filesystem. Its --root= (systemd 252 has it) would look for the
    binary under the DESTDIR, but then also for /bin/kill of ExecReload= and
    for sysinit.target there, so instead the unit installed to a temporary
    DESTDIR with PREFIX=/usr/local gets its paths rewritten to that DESTDIR
    and is verified against the real root."""

    @classmethod
    def setUpClass(cls):
        cls.analyze, why = systemd_analyze()
        if cls.analyze is None:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="an-verify-")
        cls.dest = os.path.join(cls.tmp, "root")
        try:
            make_install(cls.dest, prefix="/usr/local")
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        with open(os.path.join(cls.dest, "usr/local/lib/systemd/system/"
                               "alertnoised.service")) as f:
            cls.installed = f.read()
        cls.unit = cls.write_unit(cls.installed, "units")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def write_unit(cls, text, subdir):
        """Writes text, its paths rewritten into the DESTDIR, as
        subdir/alertnoised.service (verify wants the unit's own name)."""
        text = text.replace("/usr/local/bin/",
                            cls.dest + "/usr/local/bin/").replace(
            "/etc/alertnoise/", cls.dest + "/etc/alertnoise/")
        d = os.path.join(cls.tmp, subdir)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "alertnoised.service")
        with open(path, "w") as f:
            f.write(text)
        return path

    def verify(self, unit):
        p = subprocess.run([self.analyze, "verify", unit],
                           capture_output=True, text=True, timeout=120)
        out = (p.stdout + p.stderr).strip()
        if p.returncode != 0 and "Failed to initialize manager" in out:
            self.skipTest("systemd-analyze verify cannot run here: " + out)
        return p.returncode, out

    def test_installed_unit_verifies_clean(self):
        # every Exec*= binary of the rewritten unit exists (else verify
        # complains "not executable")
        with open(self.unit) as f:
            u = parse_unit(f.read())
        for key in ("ExecStartPre", "ExecStart", "ExecReload"):
            exe = value(u, "Service", key).split()[0].lstrip("-@:+!")
            self.assertTrue(os.access(exe, os.X_OK), (key, exe))
        rc, out = self.verify(self.unit)
        self.assertEqual(rc, 0, out)
        self.assertEqual(WARNING.findall(out), [], out)
        # nothing at all about the unit: verify is silent on a good unit
        self.assertEqual(out, "", out)

    def test_verify_output_is_checked(self):
        """The check above would see a bad directive: verify exits 0 on
        one and only says so."""
        bad = self.installed.replace(
            "[Service]\n", "[Service]\nProtectEverything=yes\n"
            "SystemCallFilter=@no-such-group\n", 1)
        rc, out = self.verify(self.write_unit(bad, "bad"))
        self.assertRegex(out, r"Unknown key.*ProtectEverything")
        self.assertRegex(out, r"@no-such-group")
        self.assertTrue(WARNING.search(out), out)

    def test_security_exposure(self):
        """systemd's own hardening score stays in its "OK" band (exposure
        2.0 of 10 or less; 1.4 when written)."""
        p = subprocess.run([self.analyze, "security", "--offline=yes",
                            "--threshold=20", self.unit],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", p.stdout)
        self.assertTrue(m, p.stdout)
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout)


class UnitContentTest(unittest.TestCase):
    """systemd/alertnoised.service says what issue 6 asks of it."""

    @classmethod
    def setUpClass(cls):
        with open(UNIT_SRC) as f:
            cls.unit = parse_unit(f.read())

    def svc(self, key):
        return value(self.unit, "Service", key)

    def test_notify_and_lifecycle(self):
        self.assertEqual(self.svc("Type"), "notify")
        self.assertEqual(self.svc("NotifyAccess"), "main")
        pre = self.svc("ExecStartPre").split()
        self.assertEqual(pre[0], "/usr/local/bin/alertnoised")
        self.assertIn("--check-config", pre)
        self.assertIn("--config.file=/etc/alertnoise/alertnoised.yml", pre)
        start = self.svc("ExecStart").split()
        self.assertEqual(start[0], "/usr/local/bin/alertnoised")
        self.assertIn("--config.file=/etc/alertnoise/alertnoised.yml", start)
        self.assertEqual(self.svc("ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertEqual(value(self.unit, "Install", "WantedBy"),
                         "multi-user.target")

    def test_state_directory_is_the_store(self):
        self.assertEqual(self.svc("StateDirectory"), "alertnoise")
        start = self.svc("ExecStart").split()
        store = [a.split("=", 1)[1] for a in start
                 if a.startswith("--storage.path=")]
        self.assertIn(store, (["${STATE_DIRECTORY}"], ["%S/alertnoise"],
                              ["/var/lib/alertnoise"]))

    def test_flags_are_the_daemons(self):
        """Every flag the unit passes is one the daemon accepts."""
        help_text = subprocess.run([BINARY, "--help"], capture_output=True,
                                   text=True, timeout=20).stdout
        for key in ("ExecStartPre", "ExecStart"):
            for a in self.svc(key).split()[1:]:
                self.assertIn(a.split("=", 1)[0], help_text, (key, a))

    def test_hardening(self):
        self.assertTrue(self.svc("DynamicUser") == "yes" or self.svc("User"))
        want = {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                "ProtectHome": "yes", "PrivateTmp": "yes",
                "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
                "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
                "ProtectControlGroups": "yes", "MemoryDenyWriteExecute": "yes",
                "RestrictNamespaces": "yes", "RestrictRealtime": "yes",
                "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
                "SystemCallArchitectures": "native",
                "CapabilityBoundingSet": "", "MemoryMax": "1G",
                "LimitNOFILE": "65536"}
        for k, v in want.items():
            self.assertEqual(self.svc(k), v, k)
        self.assertEqual(set(self.svc("RestrictAddressFamilies").split()),
                         {"AF_UNIX", "AF_INET", "AF_INET6"})
        self.assertIn("@system-service", values(self.unit, "Service",
                                                "SystemCallFilter"))
        # no ReadWritePaths: the state directory is the one writable place
        self.assertIsNone(self.svc("ReadWritePaths"))

    def test_malloc_heaps_are_bounded(self):
        self.assertIn("MALLOC_ARENA_MAX=2",
                      values(self.unit, "Service", "Environment"))


# --- sd_notify ----------------------------------------------------------------

SO_PASSCRED = getattr(socket, "SO_PASSCRED", 16)
SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", 2)


class DaemonCase(unittest.TestCase):
    """Starts build/alertnoised as harness.Daemon does, but with its own
    environment ($NOTIFY_SOCKET), and reads a notify socket standing in for
    systemd's the way systemd does: one datagram per state, from the main
    PID (NotifyAccess=main; SCM_CREDENTIALS says who sent it)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="an-notify-")
        self.proc = None
        self.log = None
        self.sock = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.log is not None:
            self.log.close()
        if self.sock is not None:
            self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def listen(self, abstract=False):
        """Binds the notify socket; returns the NOTIFY_SOCKET value."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
        if abstract:
            name = "alertnoise-test-%d-%s" % (os.getpid(), secrets.token_hex(6))
            self.sock.bind("\0" + name)
            return "@" + name
        path = os.path.join(self.dir, "notify.sock")
        self.sock.bind(path)
        return path

    def start(self, notify_socket, config="", preexec_fn=None):
        self.config = os.path.join(self.dir, "alertnoised.yml")
        with open(self.config, "w") as f:
            f.write(config)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        if notify_socket is None:
            env.pop("NOTIFY_SOCKET", None)
        else:
            env["NOTIFY_SOCKET"] = notify_socket
        self.proc = subprocess.Popen(
            [BINARY, "--config.file=" + self.config,
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--storage.path=" + os.path.join(self.dir, "data")],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=preexec_fn)
        harness._procs.append(self.proc)
        return self.proc

    def daemon_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def recv(self, timeout=10.0):
        """The next datagram as text, checked to come from the daemon."""
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            self.fail("no sd_notify message within %gs (daemon %s):\n%s" % (
                timeout, "exited %s" % self.proc.returncode
                if self.proc.poll() is not None else "running",
                self.daemon_log()))
        creds = [struct.unpack("iII", d[:12]) for lvl, typ, d in anc
                 if lvl == socket.SOL_SOCKET and typ == SCM_CREDENTIALS]
        self.assertEqual(len(creds), 1, anc)
        self.assertEqual(creds[0][0], self.proc.pid,
                         "sent by another process than the main PID")
        return data.decode()

    def ready_status(self):
        try:
            return http("GET", self.url + "/-/ready", timeout=5).status
        except OSError:
            return None

    def expect(self, want, timeout=10.0):
        got = self.recv(timeout)
        self.assertEqual(got, want)


class NotifyTest(DaemonCase):
    """The daemon's side of Type=notify."""

    def test_ready_reload_stop_on_path_socket(self):
        t0 = time.monotonic()
        self.start(self.listen())
        self.expect("READY=1")
        self.assertLess(time.monotonic() - t0, 10.0)
        # READY=1 means ready: systemd starts dependents on it
        self.assertEqual(self.ready_status(), 200)

        self.proc.send_signal(signal.SIGHUP)
        self.expect("RELOADING=1")
        self.expect("READY=1")
        self.assertEqual(self.ready_status(), 200)

        self.proc.send_signal(signal.SIGTERM)
        self.expect("STOPPING=1")
        self.assertEqual(self.proc.wait(30), 0, self.daemon_log())
        # and nothing else was sent
        self.sock.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            self.sock.recv(4096)

    def test_abstract_socket(self):
        self.start(self.listen(abstract=True))
        self.expect("READY=1")
        self.assertEqual(self.ready_status(), 200)
        self.proc.send_signal(signal.SIGHUP)
        self.expect("RELOADING=1")
        self.expect("READY=1")
        self.proc.send_signal(signal.SIGTERM)
        self.expect("STOPPING=1")
        self.assertEqual(self.proc.wait(30), 0, self.daemon_log())

    def test_failed_reload_still_ends_reloading(self):
        """A bad config on SIGHUP keeps the old one; systemd must still see
        the reload end (READY=1), or `systemctl reload` would hang."""
        self.start(self.listen())
        self.expect("READY=1")
        with open(self.config, "w") as f:
            f.write("no_such_key: 1\n")
        self.proc.send_signal(signal.SIGHUP)
        self.expect("RELOADING=1")
        self.expect("READY=1")
        self.assertEqual(self.ready_status(), 200)
        self.proc.send_signal(signal.SIGTERM)
        self.expect("STOPPING=1")
        self.assertEqual(self.proc.wait(30), 0, self.daemon_log())

    def test_unreachable_socket_is_not_fatal(self):
        """Without a listener (or without NOTIFY_SOCKET) the daemon runs
        as usual and exits 0."""
        for ns in (os.path.join(self.dir, "nobody-listens.sock"),
                   "@alertnoise-nobody-%s" % secrets.token_hex(6), None):
            with self.subTest(notify_socket=ns):
                self.start(ns)
                wait_for(lambda: self.proc.poll() is not None or
                         self.ready_status() == 200,
                         what="alertnoised to be ready")
                self.assertIsNone(self.proc.poll(), self.daemon_log())
                self.proc.send_signal(signal.SIGTERM)
                self.assertEqual(self.proc.wait(30), 0, self.daemon_log())
                self.log.close()
                self.log = None


# --- MemoryDenyWriteExecute= ---------------------------------------------------

PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1


def _mdwe_supported():
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_GET_MDWE, 0, 0, 0, 0) >= 0


def _set_mdwe():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_MDWE)")


class MemoryDenyWriteExecuteTest(DaemonCase):
    """The unit's MemoryDenyWriteExecute=yes forbids writable executable
    memory. PCRE2 (the match[] selectors' =~ and !~) tries a JIT, which needs
    just that: the daemon must fall back to PCRE2's interpreter, not fail.
    The kernel's own W^X switch (prctl PR_SET_MDWE, Linux 6.3+, kept across
    execve) refuses the same mappings that systemd's seccomp filter does."""

    def test_regex_selectors_without_jit(self):
        if not _mdwe_supported():
            self.skipTest("the kernel has no PR_SET_MDWE (Linux < 6.3): %s"
                          % os.uname().release)
        # the switch is on where the daemon runs: no W+X mapping there
        p = subprocess.run(
            ["python3", "-c", "import mmap; mmap.mmap(-1, 4096, prot=7)"],
            preexec_fn=_set_mdwe, capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0, "PR_SET_MDWE had no effect")
        self.assertIn("PermissionError", p.stderr)
        self.start(self.listen(), preexec_fn=_set_mdwe)
        self.expect("READY=1")
        name = "MdweProbe_%d" % os.getpid()
        body = make_notification([make_alert({"alertname": name, "job": "j"},
                                              now_ms() - 1000)])
        r = http("POST", self.url + "/api/v1/webhook", json.dumps(body),
                 headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r.text)
        for sel, n in (('{alertname=~"MdweProbe_.*"}', 1),
                       ('{alertname=~"mdweprobe_.*"}', 0),
                       ('{alertname!~"MdweProbe_.*",job="j"}', 0)):
            r = http("GET", self.url + "/api/v1/episodes?match[]=" +
                     quote(sel, safe=""))
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(len(r.json()["data"]), n, (sel, r.text))
        self.assertIsNone(self.proc.poll(), self.daemon_log())
        self.proc.send_signal(signal.SIGTERM)
        self.expect("STOPPING=1")
        self.assertEqual(self.proc.wait(30), 0, self.daemon_log())


# --- make install ---------------------------------------------------------------

class InstallTest(unittest.TestCase):
    """`make install DESTDIR=... PREFIX=/usr`, as a package build runs it."""

    @classmethod
    def setUpClass(cls):
        cls.dest = tempfile.mkdtemp(prefix="an-install-")
        try:
            make_install(cls.dest, prefix="/usr")
        except BaseException:
            shutil.rmtree(cls.dest, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dest, ignore_errors=True)

    def path(self, p):
        return os.path.join(self.dest, p.lstrip("/"))

    def mode(self, p):
        return stat.S_IMODE(os.stat(self.path(p)).st_mode)

    def test_binary(self):
        b = self.path("/usr/bin/alertnoised")
        self.assertTrue(os.path.isfile(b))
        self.assertEqual(self.mode("/usr/bin/alertnoised"), 0o755)
        p = subprocess.run([b, "--version"], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(makefile_version(), p.stdout + p.stderr)
        p = subprocess.run([b, "--help"], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("/etc/alertnoise/alertnoised.yml", p.stdout)
        self.assertNotIn("config/alertnoised.yml)", p.stdout)

    def test_default_config(self):
        """The shipped config, readable by the unit's DynamicUser."""
        with open(self.path("/etc/alertnoise/alertnoised.yml"), "rb") as f:
            got = f.read()
        with open(os.path.join(ROOT, "config", "alertnoised.yml"), "rb") as f:
            self.assertEqual(got, f.read())
        self.assertEqual(self.mode("/etc/alertnoise/alertnoised.yml"), 0o644)
        self.assertEqual(self.mode("/etc/alertnoise"), 0o755)

    def test_unit(self):
        p = "/usr/lib/systemd/system/alertnoised.service"
        self.assertEqual(self.mode(p), 0o644)
        with open(self.path(p)) as f:
            got = f.read()
        with open(UNIT_SRC) as f:
            src = f.read()
        self.assertEqual(got, src.replace("/usr/local/bin/", "/usr/bin/"))
        self.assertNotIn("/usr/local", got)
        u = parse_unit(got)
        for key in ("ExecStartPre", "ExecStart"):
            self.assertTrue(value(u, "Service", key).startswith(
                "/usr/bin/alertnoised "), key)

    def test_exec_start_pre_passes_on_the_default_config(self):
        """The unit's ExecStartPre, run on the installed tree, accepts the
        config it installed (or the service would never start)."""
        with open(self.path("/usr/lib/systemd/system/alertnoised.service")) as f:
            u = parse_unit(f.read())
        argv = [a.replace("/usr/bin/", self.path("/usr/bin/")).replace(
            "/etc/alertnoise/", self.path("/etc/alertnoise/"))
            for a in value(u, "Service", "ExecStartPre").split()]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("configuration OK", p.stdout)

    def test_dashboard_and_rules(self):
        share = self.path("/usr/share/alertnoise")
        self.assertTrue(os.path.isdir(share))
        for rel in SHARE_FILES:
            with self.subTest(rel):
                src = os.path.join(ROOT, rel)
                dst = os.path.join(share, os.path.basename(rel))
                if not os.path.exists(src):
                    self.assertFalse(os.path.exists(dst))
                    self.skipTest("%s does not exist yet" % rel)
                with open(src, "rb") as a, open(dst, "rb") as b:
                    self.assertEqual(a.read(), b.read())
                self.assertEqual(stat.S_IMODE(os.stat(dst).st_mode), 0o644)

    def test_reinstall_keeps_an_edited_config(self):
        dest = tempfile.mkdtemp(prefix="an-reinstall-")
        try:
            make_install(dest, prefix="/usr")
            conf = os.path.join(dest, "etc/alertnoise/alertnoised.yml")
            edited = "# edited by the operator\nlog:\n  level: debug\n"
            with open(conf, "w") as f:
                f.write(edited)
            os.chmod(conf, 0o640)
            binary = os.path.join(dest, "usr/bin/alertnoised")
            os.remove(binary)
            make_install(dest, prefix="/usr")
            with open(conf) as f:
                self.assertEqual(f.read(), edited)
            self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o640)
            # the rest is installed again
            self.assertTrue(os.access(binary, os.X_OK))
        finally:
            shutil.rmtree(dest, ignore_errors=True)

    def test_sysconfdir_moves_the_default_config(self):
        """SYSCONFDIR is in the binary's default, the unit and the config's
        place, even when this build directory installed with another
        SYSCONFDIR before."""
        dest = tempfile.mkdtemp(prefix="an-sysconf-")
        try:
            make_install(dest, prefix="/opt/an", SYSCONFDIR="/opt/an/etc")
            self.assertTrue(os.path.isfile(os.path.join(
                dest, "opt/an/etc/alertnoise/alertnoised.yml")))
            with open(os.path.join(dest, "opt/an/lib/systemd/system/"
                                   "alertnoised.service")) as f:
                u = parse_unit(f.read())
            self.assertIn("--config.file=/opt/an/etc/alertnoise/alertnoised.yml",
                          value(u, "Service", "ExecStart").split())
            p = subprocess.run([os.path.join(dest, "opt/an/bin/alertnoised"),
                                "--help"], capture_output=True, text=True,
                               timeout=20)
            self.assertIn("/opt/an/etc/alertnoise/alertnoised.yml", p.stdout)
        finally:
            shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

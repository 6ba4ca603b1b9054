"""test_store_integrity.py -- a corrupt store is never served (issue 14,
finding 7): PRAGMA quick_check at start, a zero-length store where a store
was refuses to start, `alertnoised check-store`, and /-/ready follows the
store's writes (a full disk answers 503 until writes succeed again).

The full disk is a file-size limit (RLIMIT_FSIZE, set on the running daemon
with prlimit): every write to a file past the limit fails with EFBIG, which
SQLite reports as an I/O error, as it does a full disk. Runs the real
binary on loopback; every daemon stops by itself."""
import os
import signal
import resource
import sqlite3
import subprocess
import unittest

from harness import (BINARY, Daemon, make_alert, make_notification, now_ms,
                     wait_for)

_n = [0]


def uniq(prefix):
    _n[0] += 1
    return "%s_%d_%d" % (prefix, os.getpid(), _n[0])


def fill(d, alerts=400):
    """Posts alerts firing alerts in notifications of 50, so that the
    episodes table spans many pages."""
    for i in range(0, alerts, 50):
        r = d.webhook(make_notification(
            [make_alert({"alertname": uniq("Fill"), "instance": "host-%d" % j,
                         "pad": "p" * 40}, now_ms() - 60000)
             for j in range(i, i + 50)]))
        assert r.status == 200, (r.status, r.text)


def corrupt_leaf(db, name):
    """Flips the first 16 bytes (the b-tree page header) of the leaf page in
    the middle of the leaves of the table or index name; returns that page's
    number."""
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as c:
        size = c.execute("PRAGMA page_size").fetchone()[0]
        pages = [r[0] for r in c.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND"
            " pagetype = 'leaf' ORDER BY pageno", (name,))]
    assert len(pages) >= 3, pages
    page = pages[len(pages) // 2]
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        head = f.read(16)
        f.seek((page - 1) * size)
        f.write(bytes(b ^ 0xFF for b in head))
        f.flush()
        os.fsync(f.fileno())
    return page


def start_expecting_exit(d, timeout=20):
    """Starts d's binary as Daemon.start would and waits for it to exit;
    fails when it is still running (serving) after timeout. Returns
    (exit status, output)."""
    p = subprocess.Popen(
        [BINARY, "--config.file=" + d.config_path,
         "--web.listen-address=127.0.0.1:%d" % d.port,
         "--storage.path=" + d.storage],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("alertnoised kept running on a bad store:\n" +
                             out)
    return p.returncode, out


def check_store(*args, timeout=60):
    return subprocess.run([BINARY, "check-store"] + list(args),
                          capture_output=True, text=True, timeout=timeout)


class StartupCheckTest(unittest.TestCase):

    def stopped_store(self):
        """A daemon's store with data, the daemon stopped cleanly."""
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        fill(d)
        self.assertEqual(d.stop(), 0)
        return d, os.path.join(d.storage, "alertnoise.db")

    def test_corrupt_page_stops_the_start(self):
        d, db = self.stopped_store()
        # stopped cleanly, so only the file's times tell the start to
        # check again: the corruption is in place, the size the same
        self.assertTrue(os.path.isfile(os.path.join(d.storage,
                                                    "clean-shutdown")))
        size = os.path.getsize(db)
        # an index page: nothing reads it at start but the check
        corrupt_leaf(db, "notification_alerts_fingerprint")
        self.assertEqual(os.path.getsize(db), size)
        rc, out = start_expecting_exit(d)
        self.assertEqual(rc, 1, out)
        line = [l for l in out.splitlines() if "level=error" in l]
        self.assertTrue(line, out)
        # names the file, gives SQLite's finding and says what to do
        self.assertIn(db, line[-1])
        self.assertIn("quick_check", line[-1])
        self.assertRegex(line[-1], r"[Pp]age \d+")
        self.assertIn("restore", line[-1])
        self.assertIn("move", line[-1])
        self.assertNotIn("ready to receive", out)

    def test_zero_length_store_where_data_was_stops_the_start(self):
        d, db = self.stopped_store()
        self.assertGreater(os.path.getsize(db), 0)
        os.truncate(db, 0)
        rc, out = start_expecting_exit(d)
        self.assertEqual(rc, 1, out)
        line = [l for l in out.splitlines() if "level=error" in l][-1]
        self.assertIn(db, line)
        self.assertIn("empty", line)
        self.assertIn("store-id", line)
        self.assertIn("restore", line)
        # nothing was written over it
        self.assertEqual(os.path.getsize(db), 0)

    def test_a_clean_stop_lets_the_next_start_skip_the_check(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        fill(d, 50)
        note = os.path.join(d.storage, "clean-shutdown")
        self.assertIn("check=quick_check", d.log())
        self.assertFalse(os.path.exists(note))
        self.assertEqual(d.stop(), 0)
        # the note names the file as the clean stop left it
        with open(note) as f:
            text = f.read()
        st = os.stat(os.path.join(d.storage, "alertnoise.db"))
        self.assertIn("ino=%d size=%d" % (st.st_ino, st.st_size), text)
        self.assertIn("ctime_ns=%d" % st.st_ctime_ns, text)

        skipped = 'check="skipped (clean shutdown, file unchanged)"'
        d.start()
        self.assertEqual(d.log().count(skipped), 1)
        # taken at the start: a crash from now on leaves none
        self.assertFalse(os.path.exists(note))
        self.assertEqual(d.count("episodes"), 50)

        d.stop(signal.SIGKILL)
        self.assertFalse(os.path.exists(note))
        d.start()
        self.assertEqual(d.log().count("check=quick_check"), 2)
        self.assertEqual(d.log().count(skipped), 1)
        self.assertEqual(d.count("episodes"), 50)

    def test_new_directory_starts_empty_and_restarts(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        self.assertEqual(d.get("/-/ready").status, 200)
        marker = os.path.join(d.storage, "store-id")
        self.assertTrue(os.path.isfile(marker))
        fill(d, 50)
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(d.count("episodes"), 50)


class CheckStoreTest(unittest.TestCase):

    def test_check_store(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        fill(d)
        args = ("--storage.path=" + d.storage,
                "--config.file=" + d.config_path)
        # beside the running daemon: read-only, while it writes
        r = check_store(*args)
        self.assertEqual((r.returncode, r.stdout), (0, "store OK\n"),
                         r.stderr)
        fill(d, 50)
        self.assertEqual(d.get("/-/ready").status, 200)
        self.assertEqual(d.stop(), 0)
        r = check_store(*args)
        self.assertEqual((r.returncode, r.stdout), (0, "store OK\n"),
                         r.stderr)
        db = os.path.join(d.storage, "alertnoise.db")
        page = corrupt_leaf(db, "episodes")
        r = check_store(*args)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("store OK", r.stdout)
        self.assertRegex(r.stdout, r"(?i)\bpage %d\b" % page)
        # the check changed nothing: the daemon still refuses the store
        self.assertEqual(start_expecting_exit(d)[0], 1)

    def test_check_store_help_and_missing_store(self):
        r = subprocess.run([BINARY, "help", "check-store"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("integrity_check", r.stdout)
        r = subprocess.run([BINARY, "help"], capture_output=True, text=True,
                           timeout=20)
        self.assertIn("check-store", r.stdout)
        d = Daemon("")
        self.addCleanup(d.cleanup)
        r = check_store("--storage.path=" + d.storage,
                        "--config.file=" + d.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no store", r.stderr)
        self.assertFalse(os.path.exists(d.storage))


class ReadinessFollowsWritesTest(unittest.TestCase):

    def test_full_disk_makes_ready_503_until_writes_succeed(self):
        d = Daemon("").start()
        self.addCleanup(d.cleanup)
        fill(d, 50)
        self.assertEqual(d.metric("alertnoise_ready"), 1)
        pid = d.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        self.addCleanup(lambda: d.proc.poll() is None and resource.prlimit(
            pid, resource.RLIMIT_FSIZE, (soft, hard)))
        # no file may grow: the store's next write fails
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))
        p = make_notification([make_alert({"alertname": uniq("Full")},
                                          now_ms() - 1000)])
        r = d.webhook(p)
        self.assertEqual(r.status, 503, r.text)
        r = d.get("/-/ready")
        self.assertEqual(r.status, 503, r.text)
        self.assertIn("store", r.text)
        self.assertIn("I/O error", r.text)
        self.assertEqual(d.metric("alertnoise_ready"), 0)
        self.assertEqual(d.get("/-/healthy").status, 200)
        # reads go on
        self.assertEqual(d.get("/api/v1/episodes?limit=1").status, 200)
        # space returns: the daemon's own probe write succeeds, without a
        # request to write
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
        wait_for(lambda: d.get("/-/ready").status == 200, timeout=20,
                 what="/-/ready to answer 200 again")
        self.assertEqual(d.metric("alertnoise_ready"), 1)
        r = d.webhook(p)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["data"]["result"], "stored")
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()

"""`rollmat history` end to end on real recordings, the real analysis and a
real SQLite file: a simulated history of 60 sessions over 10 weeks (see
histsim.py) whose planted spots and speeds the history must find (class
SessionsTest), and the store's behaviour when added to twice, by two
processes at once, by a writer killed mid-transaction, or given a corrupt,
foreign or newer database (class StoreTest)."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import histsim  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]


def run(args, env=None, check=True, timeout=300):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([ROLLMAT] + args, capture_output=True, text=True, env=full_env,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("rollmat %s: exit %d\n%s" % (" ".join(args), p.returncode,
                                                          p.stderr))
    return p


def counts(db):
    c = sqlite3.connect(db)
    try:
        return tuple(c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                     for t in ("sessions", "segments", "holds"))
    finally:
        c.close()


def integrity(db):
    c = sqlite3.connect(db)
    try:
        ok = c.execute("PRAGMA integrity_check").fetchone()[0]
        fk = c.execute("PRAGMA foreign_key_check").fetchall()
        # Every session stored whole: a session without its segments would
        # be a transaction half done.
        orphans = c.execute("SELECT count(*) FROM sessions s WHERE NOT EXISTS"
                            " (SELECT 1 FROM segments g WHERE g.session_id = s.id)").fetchone()[0]
        return ok, fk, orphans
    finally:
        c.close()


class SessionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rollmat-history-test-")
        cls.paths = histsim.make(cls.dir)
        cls.db = os.path.join(cls.dir, "history.sqlite")
        p = run(["history", "add", "--db", cls.db] + cls.paths)
        assert p.stdout.count(": added") == histsim.SESSIONS, p.stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_spots_find_the_planted_recurring_spot(self):
        spots = json.loads(run(["history", "spots", "--db", self.db, "--json"]).stdout)
        for s in spots:
            self.assertEqual(sorted(s), sorted(["muscle", "relative_position", "sessions",
                                                "first_utc", "last_utc", "hold_s_total",
                                                "recurring", "holds"]))
        recurring = [s for s in spots if s["recurring"]]
        self.assertEqual(len(recurring), 1, spots)
        a = recurring[0]
        muscle, position, sessions, days = histsim.SPOT_A
        self.assertEqual(a["muscle"], muscle)
        self.assertAlmostEqual(a["relative_position"], position, delta=0.03)
        self.assertEqual(a["sessions"], sessions)
        self.assertEqual(a["first_utc"], histsim.when(6).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(a["last_utc"], histsim.when(30).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertAlmostEqual(a["hold_s_total"], 24 + 28 + 22 + 30 + 26, delta=5)
        b = [s for s in spots if s["muscle"] == histsim.SPOT_B[0] and
             abs(s["relative_position"] - histsim.SPOT_B[1]) < 0.05]
        self.assertEqual(len(b), 1, spots)
        self.assertEqual(b[0]["sessions"], 2)
        self.assertFalse(b[0]["recurring"])
        # The near miss: three sessions, but within a week.
        near = [s for s in spots if s["muscle"] == "quad-right"]
        self.assertEqual(len(near), 1, spots)
        self.assertEqual((near[0]["sessions"], near[0]["recurring"]), (3, False))
        # Single holds are no spot across sessions.
        self.assertEqual(len(spots), 3, spots)

    def test_trends_match_the_plans_speeds(self):
        doc = json.loads(run(["history", "trend", "--db", self.db, "--json"]).stdout)
        by_muscle = {m["muscle"]: m["sessions"] for m in doc["muscles"]}
        self.assertEqual(sorted(by_muscle), ["calf-left", "quad-right"])
        for muscle, rows in by_muscle.items():
            planned = [(histsim.when(k).strftime("%Y-%m-%dT%H:%M:%SZ"), histsim.speeds(k)[muscle])
                       for k in range(histsim.SESSIONS) if muscle in histsim.speeds(k)]
            self.assertEqual([r["created_utc"] for r in rows], [p[0] for p in planned])
            for row, (_, speed) in zip(rows, planned):
                self.assertLess(abs(row["speed_median_mm_s"] - speed) / speed, 0.02,
                                (muscle, row, speed))
                self.assertGreater(row["fraction_slow"], 0.9)
                self.assertIsNotNone(row["score"])
                self.assertGreater(row["mean_kpa"], 10)
        calf = by_muscle["calf-left"]
        self.assertEqual([r["holds"] for r in calf],
                         [len([h for h in histsim.HOLDS.get(k, []) if h[0] == "calf-left"])
                          for k in range(histsim.SESSIONS)])
        # One muscle alone.
        quad = json.loads(run(["history", "trend", "--db", self.db, "--json", "quad-right"])
                          .stdout)
        self.assertEqual([m["muscle"] for m in quad["muscles"]], ["quad-right"])
        # 60 sessions over 10 weeks: every week has some.
        self.assertEqual(doc["weeks_total"], 10)
        self.assertEqual(doc["weeks_with_rolling"], 10)
        self.assertEqual(sum(w["sessions"] for w in doc["weeks"]), histsim.SESSIONS)
        self.assertEqual(doc["weeks"][0]["week_start"], "2026-09-07")

    def test_text_output(self):
        text = run(["history", "spots", "--db", self.db]).stdout
        self.assertIn("recurring", text)
        self.assertIn("The spot two-thirds of the way along your left calf has needed a hold "
                      "in 5 sessions over 4 weeks: consider having a physiotherapist look at "
                      "it.", text)
        text = run(["history", "trend", "--db", self.db]).stdout
        self.assertIn("rolled in 10 of 10 weeks", text)
        p = run(["history", "trend", "--db", self.db, "no-such-muscle"], check=False)
        self.assertEqual(p.returncode, 1)

    def test_analyze_advice_from_the_history(self):
        data = os.path.join(self.dir, "xdg")
        os.makedirs(os.path.join(data, "rollmat"), exist_ok=True)
        shutil.copy(self.db, os.path.join(data, "rollmat", "history.sqlite"))
        env = {"XDG_DATA_HOME": data}
        doc = json.loads(run(["analyze", "--json", self.paths[31]], env=env).stdout)
        advice = {s["label"]: s["advice"] for s in doc["segments"]}
        sentence = ("The spot two-thirds of the way along your left calf has needed a hold in 5 "
                    "sessions over 4 weeks: consider having a physiotherapist look at it.")
        self.assertIn(sentence, advice["calf-left"])
        self.assertNotIn(sentence, advice.get("quad-right", []))
        # Without a history, no such sentence (and none is created).
        empty = os.path.join(self.dir, "empty-xdg")
        os.makedirs(empty, exist_ok=True)
        doc = json.loads(run(["analyze", "--json", self.paths[31]],
                             env={"XDG_DATA_HOME": empty}).stdout)
        self.assertNotIn(sentence, doc["segments"][0]["advice"])
        self.assertEqual(os.listdir(empty), [])

    def test_report(self):
        out = os.path.join(self.dir, "report")
        p = run(["history", "report", "--db", self.db, "-o", out])
        self.assertEqual(p.stdout.strip(), os.path.join(out, "report.html"))
        names = sorted(os.listdir(out))
        for name in ("report.html", "weeks.png", "spots-calf-left.png", "spots-quad-right.png",
                     "trend-calf-left.png", "trend-quad-right.png"):
            self.assertIn(name, names)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("two-thirds of the way along your left calf", page)
        self.assertNotIn("<script", page)
        for name in names:
            if name.endswith(".png"):
                with open(os.path.join(out, name), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)
                self.assertIn('src="%s"' % name, page)
        browser = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "history",
                               "report_browser.sh")
        b = subprocess.run(["bash", browser, os.path.join(out, "report.html")],
                           capture_output=True, text=True, timeout=200)
        print(b.stdout, end="")
        self.assertEqual(b.returncode, 0, b.stdout + b.stderr)


class StoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rollmat-history-store-")
        cls.paths = histsim.make(cls.dir, count=8)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def fresh_db(self, name):
        return os.path.join(self.dir, name, "history.sqlite")

    def test_adding_twice_changes_nothing(self):
        db = self.fresh_db("twice")
        run(["history", "add", "--db", db] + self.paths[:3])
        before = counts(db)
        p = run(["history", "add", "--db", db] + self.paths[:3])
        self.assertEqual(p.stdout.count("already in the history"), 3)
        # A copy under another name is the same recording.
        copy = os.path.join(self.dir, "copy-of-0.h5")
        shutil.copy(self.paths[0], copy)
        p = run(["history", "add", "--db", db, copy])
        self.assertIn("already in the history", p.stdout)
        self.assertEqual(counts(db), before)
        self.assertEqual(before[0], 3)

    def test_two_processes_at_once(self):
        db = self.fresh_db("concurrent")
        procs = [subprocess.Popen([ROLLMAT, "history", "add", "--db", db] + order,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for order in (self.paths, list(reversed(self.paths)))]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        added = sum(o.count(": added") for o, _ in outs)
        self.assertEqual(added, len(self.paths), outs)
        self.assertEqual(counts(db)[0], len(self.paths))
        self.assertEqual(integrity(db), ("ok", [], 0))
        c = sqlite3.connect(db)
        self.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        c.close()

    def test_killed_writer_leaves_the_last_commit(self):
        db = self.fresh_db("killed")
        run(["history", "add", "--db", db] + self.paths[:2])
        before = counts(db)
        env = dict(os.environ, ROLLMAT_HISTORY_FAULT="stall-in-transaction")
        p = subprocess.Popen([ROLLMAT, "history", "add", "--db", db, self.paths[2]],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = p.stderr.readline()
        self.assertIn("stalling in the transaction", line)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(integrity(db), ("ok", [], 0))
        self.assertEqual(counts(db), before)
        # The next writer goes on from the last commit.
        out = run(["history", "add", "--db", db, self.paths[2]]).stdout
        self.assertIn("added", out)
        self.assertEqual(counts(db)[0], 3)
        self.assertEqual(integrity(db), ("ok", [], 0))

    def assert_refused(self, db, needle):
        with open(db, "rb") as f:
            before = f.read()
        for args in (["add", "--db", db, self.paths[0]], ["spots", "--db", db],
                     ["trend", "--db", db], ["report", "--db", db, "-o",
                                             os.path.join(self.dir, "never")]):
            p = run(["history"] + args, check=False)
            self.assertEqual(p.returncode, 3, (args, p.stderr))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertTrue(lines[0].startswith("rollmat: " + db), lines[0])
            self.assertIn(needle, lines[0])
        with open(db, "rb") as f:
            self.assertEqual(f.read(), before, "the refused file was changed")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "never")))

    def test_corrupt_database_refused(self):
        db = os.path.join(self.dir, "corrupt.sqlite")
        with open(db, "wb") as f:
            f.write(b"not a database at all, but a runner's notes\n" * 200)
        self.assert_refused(db, "not a rollmat history")

    def test_foreign_database_refused(self):
        db = os.path.join(self.dir, "foreign.sqlite")
        c = sqlite3.connect(db)
        c.execute("CREATE TABLE recipes (name TEXT)")
        c.commit()
        c.close()
        self.assert_refused(db, "another program's SQLite database")

    def test_newer_schema_refused(self):
        db = self.fresh_db("newer")
        run(["history", "add", "--db", db, self.paths[0]])
        c = sqlite3.connect(db)
        c.execute("PRAGMA user_version = 99")
        c.commit()
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        self.assert_refused(db, "history schema 99 is newer than this rollmat knows")

    def test_tampered_history_does_not_crash(self):
        """A file with our application_id and schema version but tables of
        another shape, holding NULLs and nonsense: one line or an answer,
        never a crash."""
        db = os.path.join(self.dir, "tampered.sqlite")
        c = sqlite3.connect(db)
        c.executescript(
            "PRAGMA application_id = %d; PRAGMA user_version = 1;"
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, content_sha256, recording_path,"
            " created_utc, device_serial, device_model, analysis_version, profile, duration_s,"
            " calibrated, complete, score_total, added_utc);"
            "CREATE TABLE segments (id INTEGER PRIMARY KEY, session_id, idx, label, t_start,"
            " t_end, loaded_s, speed_median_mm_s, fraction_slow, mean_kpa, score_total);"
            "CREATE TABLE holds (id INTEGER PRIMARY KEY, segment_id, t_start, duration_s,"
            " position_mm, relative_position, mean_force_n, peak_pressure_kpa);"
            "INSERT INTO sessions (id, created_utc) VALUES (1, NULL), (2, 'yesterday');"
            "INSERT INTO segments (id, session_id, label, speed_median_mm_s)"
            " VALUES (1, 1, NULL, 'fast'), (2, 2, x'00ff', NULL);"
            "INSERT INTO holds (segment_id, relative_position, duration_s)"
            " VALUES (1, NULL, NULL), (2, 'x', -5), (2, 1e308, 1e308);" % 0x524d4869)
        c.commit()
        c.close()
        for args in (["spots", "--json"], ["spots"], ["trend", "--json"], ["trend"],
                     ["report", "-o", os.path.join(self.dir, "tampered-report")]):
            p = run(["history"] + args + ["--db", db], check=False)
            self.assertIn(p.returncode, (0, 1, 3), (args, p.stderr))
            self.assertLessEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_missing_history(self):
        db = os.path.join(self.dir, "none", "history.sqlite")
        p = run(["history", "spots", "--db", db], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no history yet", p.stderr)
        self.assertFalse(os.path.exists(db))
        p = run(["history", "add", "--db", db, os.path.join(self.dir, "missing.h5")],
                check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_bad_recording_is_one_line_exit_3(self):
        db = self.fresh_db("bad")
        bad = os.path.join(self.dir, "bad.h5")
        with open(bad, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
        p = run(["history", "add", "--db", db, bad, self.paths[0]], check=False)
        self.assertEqual(p.returncode, 3)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(": added", p.stdout)  # the good one still went in
        self.assertEqual(counts(db)[0], 1)

    def test_usage(self):
        for args in (["history"], ["history", "frob"], ["history", "add"],
                     ["history", "report"], ["history", "spots", "extra"],
                     ["history", "trend", "--bogus"]):
            self.assertEqual(run(args, check=False).returncode, 2, args)
        self.assertEqual(run(["history", "--help"]).returncode, 0)


if __name__ == "__main__":
    unittest.main()

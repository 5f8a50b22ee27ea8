"""`rollmat plot` shows what the analysis found about how a muscle was
rolled: the roll axis (an arrow along the rows, or the columns for a mat
laid sideways; a ball's 2-D path), "not judged" on a segment with no
rolling, and the other contacts (a hand or a knee put down): ringed and
labelled on the heatmap, hatched with a key entry on the timeline and the
force/pressure curves. Simulated recordings with touches, through the real
analysis and the real gnuplot (SVG texts read back), and through scripts of
our own that print what the pictures were handed."""
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_plot_e2e as e2e  # noqa: E402  (its helpers; its tests run on their own)

run = e2e.run

# The scripts of our own: the heatmap prints its variables, the timeline
# its kymograph as a table (x = time, y = roll position, z = load; gnuplot
# writes an image plot under `set table` as such records).
PRINT_HEATMAP = r"""set print out
print axis
print n_other
do for [i=1:n_other] { print sprintf('%.6g %.6g %.6g %.6g', other_row[i], other_col[i], \
    other_t0[i], other_t1[i]) }
print n_pauses
do for [i=1:n_pauses] { print sprintf('%.6g %.6g %.6g', pause_pos[i], pause_row[i], \
    pause_col[i]) }
"""
PRINT_TIMELINE = r"""set print out
print sprintf('%s %d %.6g %d', axis, lines, pitch_line, ntime)
print n_other
do for [i=1:n_other] { print sprintf('%.6g %.6g', other_t0[i], other_t1[i]) }
unset print
set table out append
plot kymo_file binary array=(ntime,lines) format='%float' dx=bin_s dy=pitch_line \
    origin=(t0 + bin_s / 2.0, 0) with image
unset table
"""


def segments(out):
    with open(os.path.join(out, "analysis.json")) as f:
        return json.load(f)["segments"]


def texts(svg, rotated=False):
    return [t[4] for t in e2e.svg_texts(svg, rotated)]


class ContactsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rollmat-plot-contacts-")
        cls.tmp = os.path.join(cls.dir, "tmp")
        os.mkdir(cls.tmp)
        cls.env = {"TMPDIR": cls.tmp}
        cls.h5 = {}
        for name in ("hand-down", "sideways", "ball-and-press"):
            cls.h5[name] = os.path.join(cls.dir, name + ".h5")
            run(["sim", "--plan", os.path.join(HERE, name + ".plan"), "-o", cls.h5[name]])
        cls.printing = os.path.join(cls.dir, "printscripts")
        os.mkdir(cls.printing)
        for name, text in (("plot-heatmap", PRINT_HEATMAP), ("plot-timeline", PRINT_TIMELINE),
                           ("plot-series", "set print out\nprint 'ok'\n"),
                           ("plot-overview", "set print out\nprint 'ok'\n")):
            with open(os.path.join(cls.printing, name + ".gp"), "w") as f:
                f.write(text)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def plot(self, name, svg=True):
        out = os.path.join(self.dir, name + ("-svg" if svg else "-printed"))
        env = dict(self.env)
        if not svg:
            env["ROLLMAT_SCRIPTS_DIR"] = self.printing
        run(["plot"] + (["--format", "svg"] if svg else []) + ["--out", out, self.h5[name]],
            env=env)
        self.assertEqual(os.listdir(self.tmp), [], "temporary files left behind")
        return out

    def test_hand_down_drawn_on_every_picture(self):
        out = self.plot("hand-down")
        seg = segments(out)[0]
        contacts = seg["other_contacts"]
        self.assertEqual(len(contacts), 2, "the plan puts a hand and a knee down")
        whens = ["%.1f–%.1f s" % (c["t_start"], c["t_end"]) for c in contacts]
        for kind in ("heatmap", "heatmap-runner"):
            svg = os.path.join(out, "hamstring-left-%s.svg" % kind)
            found = texts(svg)
            # Each contact ringed and labelled on both panels.
            self.assertEqual(found.count("other contact, not judged"), 2 * len(contacts), kind)
            for when in whens:
                self.assertEqual(found.count(when), 2, "%s: %s" % (kind, when))
            # The roll axis: along the rows, upward, its label turned with it.
            self.assertEqual(texts(svg, rotated=True).count("roll axis"), 2, kind)
            self.assertNotIn("roll axis", found)
            self.assertIn("along the roll axis (mm)", texts(svg, rotated=True))
        for kind in ("timeline", "series"):
            svg = os.path.join(out, "hamstring-left-%s.svg" % kind)
            found = texts(svg)
            # The key says what the hatching is; the timeline labels each.
            self.assertEqual(found.count("(not judged)"), 1, kind)
            labels = found.count("other contact")
            self.assertEqual(labels, 1 + (len(contacts) if kind == "timeline" else 0), kind)
            with open(svg, encoding="utf-8") as f:
                raw = f.read()
            self.assertIn("pattern", raw, kind + ": no hatching")
        # The report's captions say what the marks are.
        p, raw = e2e.parse_report(os.path.join(out, "report.html"))
        text = " ".join(p.text)
        self.assertIn("the green arrow is the roll axis", text)
        self.assertIn("Purple rings: other contacts (a hand, a knee), not judged.", text)
        self.assertEqual(text.count("Hatched purple: another contact was down (not judged)."), 2)

    def test_hand_down_in_the_movie(self):
        """The report's movie rings each other contact while it is down, and
        its contact-mean is the tool's (the judged one), not the frame's."""
        out = self.plot("hand-down")
        seg = segments(out)[0]
        with open(os.path.join(out, "movie.js"), encoding="utf-8") as f:
            text = f.read()
        movie = json.loads(text[text.index("{"):text.rindex("}") + 1])
        want = [[c["t_start"], c["t_end"]] + c["position_xy_mm"] for c in seg["other_contacts"]]
        self.assertEqual(len(movie["others"]), len(want))
        for got, w in zip(movie["others"], want):
            for g, x in zip(got, w):
                self.assertAlmostEqual(g, x, delta=0.06)
        # While the hand is down the frame's contact mean would fall (the
        # hand's light pressure averaged in); the tool's stays near 30 kPa.
        hand = movie["others"][0]
        means = [m for t, m in zip(movie["t"], movie["mean"])
                 if hand[0] + 0.5 <= t <= hand[1] - 0.5 and m is not None]
        self.assertTrue(means and min(means) > 24, means)
        with open(os.path.join(HERE, "..", "..", "plot", "report.js"), encoding="utf-8") as f:
            js = f.read()
        self.assertIn("m.others", js, "report.js draws the other contacts")

    def test_compare_marks_each_sessions_axis_and_contacts(self):
        """plot --compare rings each session's other contacts on its own panel
        and shows its roll axis: the hand-down session against itself, and a
        sideways mat (rolled along the columns) against itself."""
        out = os.path.join(self.dir, "compare-hand")
        run(["plot", "--compare", "--format", "svg", "--out", out, self.h5["hand-down"],
             self.h5["hand-down"]], env=self.env)
        svg = os.path.join(out, "hamstring-left-compare.svg")
        n = len(segments(self.plot("hand-down"))[0]["other_contacts"])
        self.assertEqual(texts(svg).count("other contact"), 2 * n)  # panels A and B
        self.assertEqual(texts(svg, rotated=True).count("roll axis"), 2)
        self.assertEqual(texts(svg, rotated=True).count("along the roll axis (mm)"), 2)
        out = os.path.join(self.dir, "compare-side")
        run(["plot", "--compare", "--format", "svg", "--out", out, self.h5["sideways"],
             self.h5["sideways"]], env=self.env)
        svgs = [f for f in os.listdir(out) if f.endswith("-compare.svg")]
        self.assertEqual(len(svgs), 1, os.listdir(out))
        svg = os.path.join(out, svgs[0])
        # Rolled along the columns: the roll axis is level, along x.
        self.assertEqual(texts(svg).count("roll axis"), 2)
        self.assertNotIn("roll axis", texts(svg, rotated=True))
        self.assertGreaterEqual(texts(svg).count("along the roll axis (mm)"), 2)
        self.assertNotIn("along the roll axis (mm)", texts(svg, rotated=True))

    def test_hand_down_data_handed_to_the_scripts(self):
        """Where and when the other contacts were, as the analysis found
        them, is what the heatmap and the timeline get."""
        out = self.plot("hand-down", svg=False)
        seg = segments(out)[0]
        with open(os.path.join(out, "hamstring-left-heatmap.png")) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "rows")
        n = int(lines[1])
        self.assertEqual(n, len(seg["other_contacts"]))
        for line, c in zip(lines[2:2 + n], seg["other_contacts"]):
            row, col, t0, t1 = map(float, line.split())
            # analysis.json rounds to 0.1 mm.
            self.assertAlmostEqual(row, c["position_xy_mm"][0], delta=0.051)
            self.assertAlmostEqual(col, c["position_xy_mm"][1], delta=0.051)
            self.assertAlmostEqual(t0, c["t_start"], delta=0.0051)
            self.assertAlmostEqual(t1, c["t_end"], delta=0.0051)
        # The plan put them down at (row 450, col 250) and (120, 260).
        got = sorted((round(c["position_xy_mm"][0] / 10), round(c["position_xy_mm"][1] / 10))
                     for c in seg["other_contacts"])
        self.assertEqual(got, [(12, 26), (45, 25)])
        with open(os.path.join(out, "hamstring-left-timeline.png")) as f:
            head = f.read().split("\n")
        self.assertEqual(head[0].split()[:2], ["rows", "64"])
        self.assertEqual(int(head[1]), n)

    def kymograph(self, path):
        """The timeline's variables and its kymograph: {t: [(pos, load)]}."""
        with open(path) as f:
            lines = f.read().split("\n")
        axis, nlines, pitch, ntime = lines[0].split()
        table = {}
        for line in lines[2 + int(lines[1]):]:
            parts = line.split()
            if len(parts) >= 3 and parts[0][0] in "0123456789":
                table.setdefault(float(parts[0]), []).append((float(parts[1]), float(parts[2])))
        return axis, int(nlines), float(pitch), int(ntime), table

    def assert_band_at_holds(self, seg, table, pitch):
        """During each hold the kymograph's heaviest line is where the
        analysis says the roller stood."""
        holds = [p for p in seg["pauses"] if p["hold"]]
        self.assertTrue(holds)
        for p in holds:
            inside = [t for t in table if p["t_start"] + 1 < t < p["t_end"] - 1]
            self.assertTrue(inside)
            for t in inside:
                pos = max(table[t], key=lambda v: v[1])[0]
                self.assertLessEqual(abs(pos - p["position_mm"]), pitch,
                                     "t=%.2f: band at %g mm, hold at %g mm"
                                     % (t, pos, p["position_mm"]))

    def test_sideways_mat(self):
        """Rolled along the columns: the arrow and the axis labels run along
        the columns, the holds stand upright, and the timeline's kymograph
        is made of the columns, so its band follows the roller."""
        out = self.plot("sideways")
        seg = segments(out)[0]
        self.assertEqual((seg["tool"], seg["axis"]), ("roller", "cols"))
        svg = os.path.join(out, "calf-left-heatmap.svg")
        found = texts(svg)
        self.assertEqual(found.count("roll axis"), 2, "a level label under a level arrow")
        self.assertNotIn("roll axis", texts(svg, rotated=True))
        self.assertEqual(found.count("along the roll axis (mm)"), 2)
        self.assertIn("across the mat (mm)", texts(svg, rotated=True))
        self.assertEqual(found.count("other contact, not judged"), 2)
        self.assertIn("hold 10 s", found)
        timeline = os.path.join(out, "calf-left-timeline.svg")
        self.assertIn("roll position along the columns (mm)", texts(timeline, rotated=True))

        out = self.plot("sideways", svg=False)
        axis, nlines, pitch, ntime, table = self.kymograph(
            os.path.join(out, "calf-left-timeline.png"))
        self.assertEqual((axis, nlines), ("cols", 64))
        self.assertEqual(len(table), ntime)
        self.assert_band_at_holds(seg, table, pitch)
        with open(os.path.join(out, "calf-left-heatmap.png")) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "cols")

    def test_rows_kymograph_follows_the_roller(self):
        """The usual mat: the kymograph's lines are the rows."""
        out = self.plot("hand-down", svg=False)
        axis, nlines, pitch, ntime, table = self.kymograph(
            os.path.join(out, "hamstring-left-timeline.png"))
        self.assertEqual((axis, nlines), ("rows", 64))
        self.assert_band_at_holds(segments(out)[0], table, pitch)

    def test_ball_and_no_rolling(self):
        """A hand pressing the mat alone is not judged, and its picture says
        so; a ball has no roll axis: its picture says it rolled in 2-D and
        rings its hold where it stood."""
        out = self.plot("ball-and-press")
        press, ball = segments(out)
        self.assertIsNone(press["tool"])
        self.assertEqual(ball["tool"], "ball")
        svg = os.path.join(out, "segment-1-heatmap.svg")
        found = texts(svg)
        self.assertEqual(found.count("not judged"), 2)
        self.assertEqual(found.count("(no rolling)"), 2)
        self.assertNotIn("roll axis", found + texts(svg, rotated=True))
        self.assertTrue(any("not judged (no rolling)" in t for t in found), "title")
        svg = os.path.join(out, "segment-2-heatmap.svg")
        found = texts(svg)
        self.assertEqual(found.count("ball: rolled in 2-D (grey: its path)"), 2)
        self.assertNotIn("roll axis", found + texts(svg, rotated=True))
        holds = [p for p in ball["pauses"] if p["hold"]]
        self.assertTrue(holds)
        for p in holds:
            self.assertEqual(found.count("hold %.0f s" % p["duration_s"]), 2)
        self.assertNotIn("not judged", found)

        out = self.plot("ball-and-press", svg=False)
        with open(os.path.join(out, "segment-1-heatmap.png")) as f:
            self.assertEqual(f.read().split("\n")[0], "none")
        with open(os.path.join(out, "segment-2-heatmap.png")) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "2d")
        n_other = int(lines[1])
        pauses = lines[3 + n_other:3 + n_other + int(lines[2 + n_other])]
        for line, p in zip(pauses, ball["pauses"]):
            pos, row, col = map(float, line.split())
            self.assertAlmostEqual(row, p["position_xy_mm"][0], delta=0.051)
            self.assertAlmostEqual(col, p["position_xy_mm"][1], delta=0.051)


if __name__ == "__main__":
    unittest.main()

"""`rollmat plot` end to end: simulated recordings through the real HDF5
reader, analysis and gnuplot; the pictures checked as files (PNG header,
SVG as XML), report.html checked for dangling references and escaping, and
the failure paths (no gnuplot, gnuplot failing, SIGINT) checked for their
one-line message, exit code and a clean temporary directory."""
import html.parser
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

ROLLMAT = os.environ["ROLLMAT"]
HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["calf-left", "quad<b>&co'"]
STEMS = ["calf-left", "quad-b-co"]


def run(args, env=None, check=True):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([ROLLMAT] + args, capture_output=True, text=True, env=full_env,
                       timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("rollmat %s: exit %d\n%s" % (" ".join(args), p.returncode,
                                                          p.stderr))
    return p


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    assert head[12:16] == b"IHDR", path + ": no IHDR first"
    return struct.unpack(">II", head[16:24])


def svg_size(path):
    root = ET.parse(path).getroot()  # raises on XML that is not well-formed
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg"), root.tag
    return (float(root.get("width").rstrip("px")), float(root.get("height").rstrip("px")))


def svg_texts(path, rotated=False):
    """The texts of a gnuplot SVG, each once: (x, y, size, anchor, text),
    the horizontal ones, or with rotated=True those turned by an angle
    (x, y, size, anchor, text, degrees clockwise)."""
    import re
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    pattern = (r'<g transform="translate\(([\d.]+),([\d.]+)\)( rotate\((-?[\d.]+)\))?"[^>]*'
               r'font-size="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>\s*<text>(.*?)</text>')
    out = []
    for m in re.finditer(pattern, raw, re.S):
        x, y, rot, deg, size, anchor, text = m.groups()
        if bool(rot) != rotated or not text.strip():
            continue
        t = (float(x), float(y), float(size), anchor, text.strip())
        if rotated:
            t += (float(deg),)
        if t not in out:  # a boxed label is drawn twice
            out.append(t)
    return out


def text_box(x, y, size, anchor, text):
    """A generous box around a text: DejaVu Sans averages 0.6 em a glyph."""
    w = 0.6 * size * len(text)
    x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return (x0, y - size, x0 + w, y + 0.25 * size)


class Refs(html.parser.HTMLParser):
    """Every src and href of a page, and the tags used."""

    def __init__(self):
        super().__init__()
        self.refs = []
        self.tags = set()
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href"):
                self.refs.append(value)

    def handle_data(self, data):
        self.text.append(data)


def parse_report(path):
    p = Refs()
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    p.feed(raw)
    return p, raw


class PlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rollmat-plot-test-")
        cls.h5 = os.path.join(cls.dir, "two.h5")
        run(["sim", "--plan", os.path.join(HERE, "two-muscles.plan"), "-o", cls.h5])
        # A TMPDIR of our own shows whether plot leaves anything behind.
        cls.tmp = os.path.join(cls.dir, "tmp")
        os.mkdir(cls.tmp)
        cls.env = {"TMPDIR": cls.tmp}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def assert_tmp_clean(self):
        self.assertEqual(os.listdir(self.tmp), [], "temporary files left behind")

    def assert_no_partials(self, out):
        if os.path.isdir(out):
            left = [n for n in os.listdir(out) if n.startswith(".")]
            self.assertEqual(left, [], "partial outputs left behind")

    def check_report(self, out, ext):
        report = os.path.join(out, "report.html")
        p, raw = parse_report(report)
        self.assertTrue(p.refs, "report references nothing")
        for ref in p.refs:
            self.assertNotIn("://", ref, "report must work offline: " + ref)
            self.assertFalse(ref.startswith("/"), "paths must be relative: " + ref)
            self.assertTrue(os.path.isfile(os.path.join(out, ref)), "dangling: " + ref)
        # The page's own script is inline; the only script file is the
        # movie's data beside it (checked above: relative, present).
        self.assertEqual([r for r in p.refs if r.endswith(".js")], ["movie.js"])
        self.assertNotIn("<link", raw)
        for stem in STEMS:
            self.assertIn("%s-heatmap.%s" % (stem, ext), p.refs)
            self.assertIn("%s-timeline.%s" % (stem, ext), p.refs)
            self.assertIn("%s-series.%s" % (stem, ext), p.refs)
        self.assertIn("overview." + ext, p.refs)
        # The awkward label is escaped, never markup.
        self.assertIn("quad&lt;b&gt;&amp;co&#39;", raw)
        self.assertNotIn("quad<b>", raw)
        text = "".join(p.text)
        self.assertIn("quad<b>&co'", text)
        # So is the user's note.
        self.assertIn("sore &lt;spot&gt; &amp; &#39;tight&#39;", raw)
        self.assertIn("sore <spot> & 'tight'", text)
        # Score and advice of the analysis are shown.
        with open(os.path.join(out, "analysis.json")) as f:
            doc = json.load(f)
        self.assertEqual([s["label"] for s in doc["segments"]], LABELS)
        self.assertIn("Session score", text)
        for seg in doc["segments"]:
            for advice in seg["advice"]:
                self.assertIn(advice, text)

    def test_png(self):
        out = os.path.join(self.dir, "png")
        p = run(["plot", "--out", out, self.h5], env=self.env)
        self.assertEqual(p.stdout.strip().splitlines()[-1], os.path.join(out, "report.html"))
        names = ["overview.png"]
        for stem in STEMS:
            names += [stem + "-heatmap.png", stem + "-timeline.png"]
        for name in names:
            w, h = png_size(os.path.join(out, name))
            self.assertGreaterEqual(w, 800, name)
            self.assertGreaterEqual(h, 600, name)
        self.check_report(out, "png")
        self.assert_tmp_clean()
        self.assert_no_partials(out)

    def test_svg(self):
        out = os.path.join(self.dir, "svg")
        run(["plot", "--format", "svg", "--out", out, self.h5], env=self.env)
        for stem in STEMS:
            for kind in ("heatmap", "timeline"):
                w, h = svg_size(os.path.join(out, "%s-%s.svg" % (stem, kind)))
                self.assertGreaterEqual(w, 800)
                self.assertGreaterEqual(h, 600)
        svg_size(os.path.join(out, "overview.svg"))
        self.check_report(out, "svg")
        self.assert_tmp_clean()

    def test_no_segments(self):
        h5 = os.path.join(self.dir, "idle.h5")
        run(["sim", "--plan", os.path.join(HERE, "idle-only.plan"), "-o", h5])
        out = os.path.join(self.dir, "idle")
        run(["plot", "--out", out, h5], env=self.env)
        p, raw = parse_report(os.path.join(out, "report.html"))
        self.assertIn("No segments", "".join(p.text))
        self.assertNotIn("img", p.tags)
        for ref in p.refs:
            self.assertTrue(os.path.isfile(os.path.join(out, ref)), ref)
        self.assertEqual(sorted(os.listdir(out)), ["analysis.json", "movie.js", "report.html"])
        self.assert_tmp_clean()

    def test_missing_gnuplot(self):
        out = os.path.join(self.dir, "nognuplot")
        empty = os.path.join(self.dir, "emptybin")
        os.makedirs(empty, exist_ok=True)
        p = run(["plot", "--out", out, self.h5], env=dict(self.env, PATH=empty), check=False)
        self.assertEqual(p.returncode, 1)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("rollmat: "), lines[0])
        self.assertIn("apt-get install gnuplot-nox", lines[0])
        self.assertFalse(os.path.exists(os.path.join(out, "report.html")))
        self.assert_tmp_clean()

    def test_gnuplot_failure(self):
        scripts = os.path.join(self.dir, "badscripts")
        os.makedirs(scripts, exist_ok=True)
        for name in ("plot-heatmap", "plot-timeline", "plot-overview"):
            with open(os.path.join(scripts, name + ".gp"), "w") as f:
                f.write("set output out\nplot no_such_function_xyz(x)\n")
        out = os.path.join(self.dir, "bad")
        p = run(["plot", "--out", out, self.h5],
                env=dict(self.env, ROLLMAT_SCRIPTS_DIR=scripts), check=False)
        self.assertEqual(p.returncode, 1)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("heatmap of calf-left: gnuplot failed:", lines[0])
        self.assertIn("line 2", lines[0])
        self.assertFalse(os.path.exists(os.path.join(out, "report.html")))
        self.assertFalse(os.path.exists(os.path.join(out, "calf-left-heatmap.png")))
        self.assert_no_partials(out)
        self.assert_tmp_clean()

    def test_sigint_removes_temporary_files(self):
        # A gnuplot that never finishes: plot is interrupted while waiting.
        fake = os.path.join(self.dir, "fakebin")
        os.makedirs(fake, exist_ok=True)
        mark = os.path.join(self.dir, "gnuplot-started")
        with open(os.path.join(fake, "gnuplot"), "w") as f:
            f.write('#!/bin/sh\n/usr/bin/touch "$FAKE_GNUPLOT_MARK"\nexec /bin/sleep 60\n')
        os.chmod(os.path.join(fake, "gnuplot"), 0o755)
        out = os.path.join(self.dir, "interrupted")
        env = dict(os.environ, **self.env)
        env.update(PATH=fake, FAKE_GNUPLOT_MARK=mark)
        proc = subprocess.Popen([ROLLMAT, "plot", "--out", out, self.h5], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not os.path.exists(mark) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(mark), "the fake gnuplot never started")
        self.assertTrue(os.listdir(self.tmp), "no temporary directory while drawing")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertEqual(err.strip().splitlines(), ["rollmat: interrupted"])
        self.assertFalse(os.path.exists(os.path.join(out, "report.html")))
        self.assert_no_partials(out)
        self.assert_tmp_clean()

    def test_heatmap_data_matches_the_recording(self):
        """The matrices handed to gnuplot are the seconds each sensel spent
        at or above half the pressure limit and its peak, from the
        recording's frames through its calibration, recomputed here with
        h5py. A script of our own (ROLLMAT_SCRIPTS_DIR) prints what it got
        into the output file instead of drawing."""
        import numpy as np
        import h5py
        scripts = os.path.join(self.dir, "printscripts")
        os.makedirs(scripts, exist_ok=True)
        with open(os.path.join(scripts, "plot-heatmap.gp"), "w") as f:
            f.write("set print out\n"
                    # gnuplot's stats reads the matrix as plain float records.
                    "stats peak_file binary format='%float' using 1 nooutput\n"
                    "peak_top = STATS_max\n"
                    "stats above_file binary format='%float' using 1 nooutput\n"
                    "if (STATS_records != rows * cols) exit status 7\n"
                    "print sprintf('%.6g %.6g %d %d %d %.6g', STATS_sum, STATS_max, rows, cols, "
                    "n_pauses, peak_top)\n"
                    "do for [i=1:n_pauses] { print sprintf('%.6g %.6g %d', pause_pos[i], "
                    "pause_dur[i], pause_hold[i]) }\n")
        for name in ("plot-timeline", "plot-overview", "plot-series"):
            with open(os.path.join(scripts, name + ".gp"), "w") as f:
                f.write("set print out\nprint 'ok'\n")
        out = os.path.join(self.dir, "data")
        run(["plot", "--out", out, self.h5], env=dict(self.env, ROLLMAT_SCRIPTS_DIR=scripts))
        with open(os.path.join(out, "analysis.json")) as f:
            seg = json.load(f)["segments"][0]
        with open(os.path.join(out, "calf-left-heatmap.png")) as f:
            lines = f.read().split("\n")
        total, top, rows, cols, npauses, peak = lines[0].split()

        with h5py.File(self.h5, "r") as h:
            t = h["t"][:]
            cal = h["calibration"]
            offset, gain = cal["offset"][:], cal["gain"][:]
            dead = cal["dead"][:].astype(bool)
            a, b = float(cal.attrs["curve_a"]), float(cal.attrs["curve_b"])
            rate = float(h.attrs["rate_hz"])
            sel = np.nonzero((t >= seg["t_start"] - 1e-9) & (t <= seg["t_end"] + 1e-9))[0]
            raw = h["frames"][sel[0]:sel[-1] + 1].astype(np.float64)
        dt = np.minimum(np.diff(t, append=t[-1] + 1 / rate), 2 / rate)[sel[0]:sel[-1] + 1]
        x = gain * (raw - offset)
        kpa = np.where(x > 0, a * np.power(np.maximum(x, 0), b), 0.0)
        kpa[:, dead] = 0
        above = ((kpa >= 30.0) * dt[:, None, None]).sum(axis=0)  # half the 60 kPa limit
        self.assertEqual((int(rows), int(cols)), above.shape)
        self.assertGreater(above.max(), 20, "the 22 s hold stands out")
        self.assertAlmostEqual(float(total) / above.sum(), 1.0, delta=0.01)
        self.assertAlmostEqual(float(top) / above.max(), 1.0, delta=0.02)
        self.assertAlmostEqual(float(peak) / kpa.max(), 1.0, delta=0.01)
        # The holds and pauses are the analysis's.
        self.assertEqual(int(npauses), len(seg["pauses"]))
        for line, pause in zip(lines[1:], seg["pauses"]):
            pos, dur, hold = line.split()
            self.assertAlmostEqual(float(pos), pause["position_mm"], delta=0.1)
            self.assertAlmostEqual(float(dur), pause["duration_s"], delta=0.01)
            self.assertEqual(bool(int(hold)), pause["hold"])
        self.assertTrue(any(p["hold"] for p in seg["pauses"]), "the plan has a 22 s hold")
        self.assert_tmp_clean()


    def test_heatmap_layout_any_mat_shape(self):
        """A mat about as long as wide, and one wider than long (the panels
        stacked): every text of the heatmap is on the canvas, both panels
        keep their axis label, and no title or label runs into another."""
        for rows, cols, far in ((40, 32, 300), (16, 64, 120)):
            name = "mat%dx%d" % (rows, cols)
            plan = os.path.join(self.dir, name + ".plan")
            with open(plan, "w") as f:
                f.write("mat rows=%d cols=%d\nidle 1\nmuscle calf\nat 20\n"
                        "rolls 20 %d speed=30 count=2\npause 8\nend\nidle 1\n"
                        % (rows, cols, far))
            h5 = os.path.join(self.dir, name + ".h5")
            run(["sim", "--plan", plan, "-o", h5])
            out = os.path.join(self.dir, name)
            run(["plot", "--format", "svg", "--out", out, h5], env=self.env)
            svg = os.path.join(out, "calf-heatmap.svg")
            width, height = svg_size(svg)
            texts = svg_texts(svg)
            self.assertEqual([t[4] for t in texts].count("across the mat (mm)"), 2, name)
            boxes = []
            for t in texts:
                box = text_box(*t)
                self.assertGreaterEqual(box[1], 0, "%s: %r above the canvas" % (name, t))
                self.assertLessEqual(box[3], height, "%s: %r below the canvas" % (name, t))
                # Tick labels are numbers; the words must not collide.
                if not t[4].replace(".", "").replace("-", "").isdigit():
                    boxes.append((box, t[4]))
            for i, (a, ta) in enumerate(boxes):
                for b, tb in boxes[i + 1:]:
                    overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                    self.assertFalse(overlap, "%s: %r runs into %r" % (name, ta, tb))
        self.assert_tmp_clean()


    def test_overview_many_muscles(self):
        """Twenty muscles, one with a label of the 64 bytes a recording
        allows: every bar's score and loaded time stays legible (no text runs
        into another) and every name is on the canvas."""
        names = ["calf-left", "calf-right", "hamstring-left", "hamstring-right", "quad-left",
                 "quad-right", "glute-left", "glute-right", "it-band-left", "it-band-right",
                 "adductor-left", "adductor-right", "thoracic", "lats-left", "lats-right",
                 "shin-left", "shin-right", "foot-left", "foot-right",
                 "upper-back-and-shoulders-after-the-long-run-in-the-cold-mornings"]
        self.assertEqual(len(names[-1]), 64)
        plan = os.path.join(self.dir, "twenty.plan")
        with open(plan, "w") as f:
            f.write("idle 1\n")
            for name in names:
                f.write("muscle %s\nat 100\nrolls 100 300 speed=60 count=1\nend\nidle 3\n"
                        % name)
        h5 = os.path.join(self.dir, "twenty.h5")
        run(["sim", "--plan", plan, "-o", h5])
        out = os.path.join(self.dir, "twenty")
        run(["plot", "--format", "svg", "--out", out, h5], env=self.env)
        svg = os.path.join(out, "overview.svg")
        width, height = svg_size(svg)
        boxes = []
        for t in svg_texts(svg):
            box = text_box(*t)
            self.assertTrue(box[0] >= 0 and box[2] <= width, "%r off the canvas" % (t,))
            self.assertTrue(box[1] >= 0 and box[3] <= height, "%r off the canvas" % (t,))
            boxes.append((box, t[4]))
        self.assertEqual(sum(1 for b in boxes if b[1].endswith(" s loaded")), len(names))
        for i, (a, ta) in enumerate(boxes):
            for b, tb in boxes[i + 1:]:
                overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                self.assertFalse(overlap, "%r runs into %r" % (ta, tb))
        import math
        tics = svg_texts(svg, rotated=True)
        self.assertEqual(len(tics), len(names) + 1)  # and the y axis's label
        for x, y, size, anchor, text, deg in tics:
            if anchor != "start":
                continue
            w = 0.6 * size * len(text)
            end_x = x + w * math.cos(math.radians(deg))
            end_y = y + w * math.sin(math.radians(deg))
            self.assertLessEqual(end_x, width, "%r runs off the canvas" % text)
            self.assertLessEqual(end_y, height, "%r runs off the canvas" % text)
        self.assert_tmp_clean()

    def test_uncalibrated(self):
        import h5py
        h5 = os.path.join(self.dir, "uncal.h5")
        shutil.copy(self.h5, h5)
        with h5py.File(h5, "r+") as h:
            del h["calibration"]
        out = os.path.join(self.dir, "uncal")
        run(["plot", "--out", out, h5], env=self.env)
        p, raw = parse_report(os.path.join(out, "report.html"))
        self.assertIn("not calibrated", "".join(p.text))
        for stem in STEMS:
            png_size(os.path.join(out, stem + "-heatmap.png"))
        self.assert_tmp_clean()

    def test_usage(self):
        self.assertEqual(run(["plot", "--help"]).returncode, 0)
        self.assertEqual(run(["plot"], check=False).returncode, 2)
        self.assertEqual(run(["plot", "--format", "gif", self.h5], check=False).returncode, 2)
        p = run(["plot", "--out", os.path.join(self.dir, "x"),
                 os.path.join(HERE, "two-muscles.plan")], env=self.env, check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assert_tmp_clean()

    def test_many_recordings_beside_each(self):
        """plot A B --jobs 2 draws each beside its recording (NAME-plots next
        to NAME.h5); a bad file among them does not stop the others and
        gives exit 3; two inputs of one name into one --out are refused."""
        sub = os.path.join(self.dir, "many")
        os.makedirs(os.path.join(sub, "b"), exist_ok=True)
        a = os.path.join(sub, "first.h5")
        b = os.path.join(sub, "b", "second.h5")
        bad = os.path.join(sub, "bad.h5")
        shutil.copy(self.h5, a)
        shutil.copy(self.h5, b)
        with open(bad, "w") as f:
            f.write("not a recording\n")
        p = run(["plot", "--jobs", "2", a, bad, b], env=self.env, check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("bad.h5", p.stderr)
        reports = sorted(p.stdout.split())
        want = sorted([os.path.join(sub, "first-plots", "report.html"),
                       os.path.join(sub, "b", "second-plots", "report.html")])
        self.assertEqual(reports, want)
        for r in want:
            self.assertTrue(os.path.isfile(r), r)
        self.assertFalse(os.path.exists(os.path.join(sub, "bad-plots", "report.html")))
        out = os.path.join(sub, "out")
        p = run(["plot", "--out", out, a, b], env=self.env)
        self.assertEqual(sorted(os.listdir(out)), ["first-plots", "second-plots"])
        p = run(["plot", "--out", out, a, os.path.join(sub, "first.h5")], env=self.env,
                check=False)
        self.assertEqual(p.returncode, 2)
        self.assert_tmp_clean()

    def test_compare_two_sessions(self):
        """--compare shows the muscles both sessions rolled, with the
        difference map; a muscle in one session only is left out."""
        other = os.path.join(self.dir, "other.h5")
        run(["sim", "--plan", os.path.join(HERE, "left-right.plan"), "-o", other])
        p = run(["plot", "--compare", self.h5, other], env=self.env)
        out = os.path.join(self.dir, "two-vs-other-plots")
        self.assertEqual(p.stdout.strip(), os.path.join(out, "compare.html"))
        page, raw = parse_report(os.path.join(out, "compare.html"))
        self.assertEqual(raw.count('<section class="compare">'), 1)
        self.assertIn("<h2>calf-left</h2>", raw)
        self.assertNotIn("quad", raw.split("</p>", 1)[1])
        self.assertEqual(page.refs, ["calf-left-compare.png"])
        w, h = png_size(os.path.join(out, "calf-left-compare.png"))
        self.assertGreaterEqual(w, 1000)
        self.assertEqual(run(["plot", "--compare", self.h5], check=False).returncode, 2)
        self.assert_tmp_clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""`rollmat plot` bounds its work and never leaves a partial folder (issue 12
item 9): thousands of segments are refused at once with one line; a plot
that fails (gnuplot failing) leaves no output folder, or an existing one
exactly as it was (its old report included); a plot that succeeds replaces
the folder's pictures and leaves no staging folder beside it."""
import hashlib
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
HERE = os.path.dirname(os.path.abspath(__file__))
def plot(out, rec, env=None):
    return subprocess.run([ROLLMAT, "plot", "--out", out, rec], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, **(env or {})))


def snapshot(d):
    return {n: hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(d))}


def many_segments(src, dst, n):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        t_end = float(f["t"][-1])
        dt = f["events"].dtype
        ev = np.zeros(2 * n, dtype=dt)
        for i in range(n):
            a = t_end * i / n
            ev[2 * i] = (a, b"segment_start", b"calf-left")
            ev[2 * i + 1] = (a + t_end / n / 2, b"segment_end", b"calf-left")
        del f["events"]
        f.create_dataset("events", data=ev, maxshape=(None,))


def main():
    if not shutil.which("gnuplot"):
        print("SKIP: gnuplot is not installed (apt-get install gnuplot-nox)")
        sys.exit(77)
    with scratch("rollmat-plot-limits-") as tmp:
        rec = os.path.join(tmp, "two.h5")
        subprocess.run([ROLLMAT, "sim", "--plan", os.path.join(HERE, "two-muscles.plan"),
                        "-o", rec], check=True, capture_output=True)

        many = os.path.join(tmp, "many.h5")
        many_segments(rec, many, 3000)
        out = os.path.join(tmp, "many-plots")
        p = plot(out, many)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"rollmat: {many}")
              and "segments, more than the 200 plot draws" in lines[0], f"3000 segments: exit {p.returncode}, {lines}")
        check(not os.path.exists(out), "3000 segments: no output folder")

        bad = os.path.join(tmp, "badscripts")
        os.mkdir(bad)
        for name in ("plot-heatmap", "plot-timeline", "plot-overview"):
            with open(os.path.join(bad, name + ".gp"), "w") as f:
                f.write("set output out\nplot no_such_function_xyz(x)\n")
        fresh = os.path.join(tmp, "fresh")
        p = plot(fresh, rec, {"ROLLMAT_SCRIPTS_DIR": bad})
        check(p.returncode == 1, f"gnuplot failing: exit {p.returncode}")
        check(not os.path.exists(fresh), "gnuplot failing: a partial folder was left")

        good = os.path.join(tmp, "good")
        p = plot(good, rec)
        check(p.returncode == 0 and os.path.exists(os.path.join(good, "report.html")),
              f"plot: exit {p.returncode} {p.stderr.strip()}")
        before = snapshot(good)
        p = plot(good, rec, {"ROLLMAT_SCRIPTS_DIR": bad})
        check(p.returncode == 1, f"failing over a good folder: exit {p.returncode}")
        check(snapshot(good) == before, "failing over a good folder: it changed")
        p = plot(good, rec)
        check(p.returncode == 0 and set(snapshot(good)) == set(before),
              f"replotting: exit {p.returncode}, files {sorted(snapshot(good))}")
        check(f"{good}/report.html" in p.stdout, f"replotting names the report: {p.stdout!r}")
        left = [n for n in os.listdir(tmp) if n.startswith(".")]
        check(left == [], f"staging folders left beside the output: {left}")
    finish()


if __name__ == "__main__":
    main()

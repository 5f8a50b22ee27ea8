"""The reading examples of docs/examples/ run on a simulated recording and
agree with `rollmat analyze --frames-csv` (force, contact area, contact-mean
pressure to 0.1 %, or within the CSV's rounding of 0.01 where a value is
small); `rollmat export` writes the same series beside the recording, with
/t as their dimension scale, and never touches the recording.

    test_examples.py python|r|export

exits 77 (skip) when the example's language or its HDF5 package is missing.
Plots and CSVs are kept in $ROLLMAT_ARTEFACTS_DIR/examples."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
SRC = os.environ.get("ROLLMAT_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAN = os.path.join(SRC, "tests", "plot", "two-muscles.plan")
ROUNDING = 0.006  # the CSV writes two decimals: half a step, and float slack
COLUMNS = ("force_n", "contact_area_cm2", "mean_kpa")


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        sys.exit("FAIL: %s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def agree(name, got, want):
    """got and want: dicts of columns. Returns the failures."""
    fail = []
    for col in COLUMNS:
        g, w = np.asarray(got[col], float), np.asarray(want[col], float)
        if g.shape != w.shape:
            return ["%s: %s has %d frames, the analysis %d" % (name, col, len(g), len(w))]
        both_nan = np.isnan(g) & np.isnan(w)
        err = np.where(both_nan, 0, np.abs(g - w))
        limit = np.maximum(0.001 * np.nan_to_num(np.abs(w)), ROUNDING)
        bad = ~(err <= limit)
        if bad.any():
            i = int(np.argmax(bad))
            fail.append("%s: %s differs at frame %d (t %.2f): %r against %r (%d frames)"
                        % (name, col, i, want["t"][i], g[i], w[i], int(bad.sum())))
    loaded = np.asarray(want["force_n"]) > 20
    ratio = np.sum(np.asarray(got["force_n"])[loaded]) / np.sum(np.asarray(want["force_n"])[loaded])
    if abs(ratio - 1) > 0.001:
        fail.append("%s: total force off by %.3f %%" % (name, 100 * (ratio - 1)))
    return fail


def csv_columns(path):
    a = np.genfromtxt(path, delimiter=",", names=True)
    return {k.strip('"'): a[k] for k in a.dtype.names}


def main():
    which = sys.argv[1]
    work = tempfile.mkdtemp(prefix="rollmat-examples-")
    art = os.path.join(os.environ.get("ROLLMAT_ARTEFACTS_DIR", work), "examples")
    os.makedirs(art, exist_ok=True)
    try:
        h5 = os.path.join(work, "session.h5")
        run([ROLLMAT, "sim", "--plan", PLAN, "-o", h5])
        csv = os.path.join(work, "frames.csv")
        run([ROLLMAT, "analyze", "--frames-csv", csv, h5])
        want = csv_columns(csv)
        prefix = os.path.join(art, which)
        if which == "python":
            script = os.path.join(SRC, "docs", "examples", "read_recording.py")
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                print("SKIP: python3-matplotlib is not installed (scripts/setup-deps.sh)")
                sys.exit(77)
            run([sys.executable, script, h5, prefix])
        elif which == "r":
            rscript = shutil.which("Rscript")
            if not rscript or subprocess.run([rscript, "-e", "library(hdf5r)"],
                                             capture_output=True).returncode != 0:
                print("SKIP: Rscript with hdf5r is not installed (apt-get install r-cran-hdf5r)")
                sys.exit(77)
            run([rscript, os.path.join(SRC, "docs", "examples", "read_recording.R"), h5, prefix])
        elif which == "export":
            import h5py
            before = os.stat(h5).st_mtime_ns, open(h5, "rb").read()
            p = run([ROLLMAT, "export", h5])
            out = os.path.join(work, "session-series.h5")
            fail = [] if p.stdout.strip() == out else ["export printed %r" % p.stdout]
            if (os.stat(h5).st_mtime_ns, open(h5, "rb").read()) != before:
                fail.append("export changed the recording")
            with h5py.File(out, "r") as f:
                got = {k: f[k][:] for k in COLUMNS}
                for k in ("force_n", "contact_area_cm2", "peak_kpa", "mean_kpa", "cop_row_mm",
                          "cop_col_mm", "roll_position_mm"):
                    if k not in f or f[k].dims[0].keys() != ["t"] or "units" not in f[k].attrs:
                        fail.append("/%s missing, or without /t as its scale or its units" % k)
                for k in ("peak_kpa", "cop_row_mm", "cop_col_mm"):
                    got[k] = f[k][:]
            fail += agree("export", got, want)
            for k in ("peak_kpa", "cop_row_mm", "cop_col_mm"):
                err = np.nanmax(np.abs(got[k] - want[k]))
                if not err <= ROUNDING:
                    fail.append("export: %s differs by %g" % (k, err))
            bad = os.path.join(work, "bad.h5")
            open(bad, "w").write("not hdf5\n")
            p = subprocess.run([ROLLMAT, "export", bad, h5], capture_output=True, text=True)
            if p.returncode != 3 or p.stdout.strip() != out or len(p.stderr.splitlines()) != 1:
                fail.append("a bad file among good ones: exit %d, %r, %r"
                            % (p.returncode, p.stdout, p.stderr))
            if fail:
                sys.exit("FAIL:\n  " + "\n  ".join(fail))
            print("export: %d frames agree with --frames-csv" % len(want["t"]))
            return
        got = csv_columns(prefix + "-frames.csv")
        fail = agree(which, got, want)
        for kind in ("map", "force"):
            path = "%s-%s.png" % (prefix, kind)
            if not os.path.isfile(path) or os.path.getsize(path) < 2000:
                fail.append("%s: no picture %s" % (which, path))
        if fail:
            sys.exit("FAIL:\n  " + "\n  ".join(fail))
        print("%s example: %d frames agree with --frames-csv to 0.1 %%" % (which, len(want["t"])))
    finally:
        shutil.rmtree(work)


main()

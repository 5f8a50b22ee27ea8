"""Golden files: `rollmat analyze --json`, the text summary and summary.csv
on every test recording (the simulated plans and scenarios, made here with
fixed seeds, one of them without its calibration, and the imported vendor
samples), compared byte for byte with tests/analysis/golden/. Recordings are
analysed by their name relative to a temporary folder, so the document's
"recording" and the CSV's first column do not depend on where the suite runs;
every figure is compared exactly.

The golden files were made by the code before the analysis result became typed
(issue 10), to prove that refactor changed no output. A change of output on
purpose (issue 11, analysis document v2) regenerates them with one command:

    ROLLMAT=build-dev/bin/rollmat /usr/bin/python3 tests/analysis/test_golden.py --regenerate

and the diff of tests/analysis/golden/ is then reviewed like code."""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py

ROLLMAT = os.path.abspath(os.environ["ROLLMAT"])
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")
SCENARIOS = ["good", "fast", "short-holds", "long-holds", "no-events"]
VENDOR = os.path.join(ROOT, "tests", "import", "data")


def run(cwd, *args):
    r = subprocess.run([ROLLMAT, *args], cwd=cwd, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"rollmat {' '.join(args)}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def strip_calibration(src, dst):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        del f["calibration"]


# The simulator stamps a recording with the time it was made; the document
# carries it (created_utc, issue 13), so the goldens pin it.
FIXED_CREATED = "2026-11-23T07:15:02Z"


def pin_created(path):
    with h5py.File(path, "r+") as f:
        old = f.attrs["created_utc"]
        f.attrs.modify("created_utc", type(old)(FIXED_CREATED.encode() if isinstance(old, bytes)
                                                else FIXED_CREATED))


def recordings(tmp):
    """Makes every test recording in tmp; returns their names."""
    names = []
    for plan in sorted(os.listdir(os.path.join(HERE, "plans"))):
        name = "plan-" + plan[: -len(".plan")] + ".h5"
        run(tmp, "sim", "--plan", os.path.join(HERE, "plans", plan), "--seed", "7", "-o", name)
        pin_created(os.path.join(tmp, name))
        names.append(name)
    for sc in SCENARIOS:
        name = "scenario-" + sc + ".h5"
        run(tmp, "sim", "--scenario", sc, "--seed", "11", "-o", name)
        pin_created(os.path.join(tmp, name))
        names.append(name)
    strip_calibration(os.path.join(tmp, "scenario-good.h5"),
                      os.path.join(tmp, "scenario-good-uncalibrated.h5"))
    names.append("scenario-good-uncalibrated.h5")
    for csv, fmt in (("iscan_test.csv", "tekscan"), ("xsensor_data.csv", "xsensor")):
        name = "vendor-" + fmt + ".h5"
        run(tmp, "import", "--format", fmt, "-o", name, os.path.join(VENDOR, csv))
        names.append(name)
    return names


def outputs(tmp, names):
    """{golden file name: bytes} of everything compared."""
    out = {}
    for name in names:
        stem = name[: -len(".h5")]
        out[stem + ".json"] = run(tmp, "analyze", "--json", name)
        out[stem + ".txt"] = run(tmp, "analyze", name)
    run(tmp, "analyze", "--jobs", "1", "--out", "batch", *names)
    with open(os.path.join(tmp, "batch", "summary.csv"), "rb") as f:
        out["summary.csv"] = f.read()
    for name in names:
        stem = name[: -len(".h5")]
        with open(os.path.join(tmp, "batch", stem + ".analysis.json"), "rb") as f:
            # the --out document is the --json one, written to a file
            if f.read().rstrip(b"\n") != out[stem + ".json"].rstrip(b"\n"):
                sys.exit(f"{stem}: --out document differs from --json")
    return out


def main():
    regenerate = "--regenerate" in sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="rm-golden-")
    try:
        out = outputs(tmp, recordings(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if regenerate:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        os.makedirs(GOLDEN)
        for k, v in out.items():
            with open(os.path.join(GOLDEN, k), "wb") as f:
                f.write(v)
        print(f"wrote {len(out)} golden files to {GOLDEN}")
        return 0
    bad = []
    want_names = set(os.listdir(GOLDEN))
    for k in sorted(set(out) | want_names):
        if k not in out or k not in want_names:
            bad.append(f"{k}: {'not produced' if k not in out else 'no golden file'}")
            continue
        with open(os.path.join(GOLDEN, k), "rb") as f:
            want = f.read()
        if want != out[k]:
            wl, gl = want.decode(errors="replace").splitlines(), out[k].decode(errors="replace").splitlines()
            line = next((i for i, (a, b) in enumerate(zip(wl, gl)) if a != b), min(len(wl), len(gl)))
            bad.append(f"{k}:{line + 1}: want {wl[line] if line < len(wl) else '<end>'!r}, "
                       f"got {gl[line] if line < len(gl) else '<end>'!r}")
    for b in bad:
        print("FAIL:", b)
    print(f"{len(out)} outputs compared, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

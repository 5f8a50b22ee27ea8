"""`rollmat import` end to end on the real vendor exports in tests/import/data
(from pressuRe by Scott Telfer, MIT licence: data/README.md), and on broken
copies of them. Every expected figure is read from the export's own text."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
DATA = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "import", "data")
TEKSCAN = os.path.join(DATA, "iscan_test.csv")
XSENSOR = os.path.join(DATA, "xsensor_data.csv")
MMHG_KPA = 0.133322387415

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    p = subprocess.run([ROLLMAT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def read_lines(path):
    with open(path, encoding="utf-8-sig") as f:
        return f.read().split("\n")


# ---- Tekscan: raw counts, B = blanked -------------------------------------

def tekscan_truth():
    """Frames of the Tekscan text: (number, time, raw sum, rows as lists)."""
    lines = read_lines(TEKSCAN)
    frames = []
    for i, line in enumerate(lines):
        if line.startswith("Frame "):
            fields = line.split(",")
            rows = [lines[i + 1 + r].split(",") for r in range(28)]
            frames.append((int(fields[0].split()[1]), float(fields[1]), int(fields[-1]), rows))
    return frames


def test_tekscan(tmp):
    out = os.path.join(tmp, "tek.h5")
    rc, _, err = run("import", "-o", out, TEKSCAN)
    check(rc == 0, f"tekscan import exit {rc}: {err}")
    truth = tekscan_truth()
    with h5py.File(out, "r") as f:
        a = f.attrs
        frames = f["frames"][:]
        check(frames.shape == (309, 28, 28), f"tekscan shape {frames.shape}")
        check(a["rows"] == 28 and a["cols"] == 28, "tekscan grid")
        check(abs(a["pitch_row_mm"] - 1.27) < 1e-9 and abs(a["pitch_col_mm"] - 1.27) < 1e-9,
              "tekscan pitch: ROW_SPACING 0.127 centimeters")
        check(abs(a["rate_hz"] - 10.0) < 1e-9, f"tekscan rate {a['rate_hz']}: SECONDS_PER_FRAME 0.1")
        check(a["device_model"] == "Tekscan Pressure Measurement System 6.10I sensor 6900",
              f"device_model {a['device_model']}")
        check(a["device_serial"] == "102-B578", "serial from HARDWARE")
        check(a["created_utc"] == "2019-12-02T18:21:52.34", f"created {a['created_utc']}")
        check(a["import_units"] == "raw" and a["import_threshold"] == 3, "import attributes")
        check("calibration" not in f, "a raw export is imported without calibration (counts)")
        check(f["frames"].attrs["units"] == "counts", "counts")
        t, seq = f["t"][:], f["seq"][:]
        check(frames[0].sum() == 310, "frame 1 sums to its Raw Sum= 310")
        for k, (number, time, raw_sum, rows) in enumerate(truth):
            check(seq[k] == number, f"seq of frame {number}")
            check(abs(t[k] - (time - truth[0][1])) < 1e-9, f"t of frame {number}")
            check(frames[k].sum() == raw_sum, f"frame {number} sums to its Raw Sum= {raw_sum}")
            want = np.array([[0 if v == "B" else int(v) for v in row] for row in rows])
            check(np.array_equal(frames[k], want), f"frame {number} values")
            if failures:
                break
        blank = np.array([[v == "B" for v in row] for row in truth[0][3]])
        check(blank.sum() == 300 and (frames[:, blank] == 0).all(), "blanked sensels are 0")
    rc, out_text, _ = run("info", out)
    check(rc == 0 and "309" in out_text, "rollmat info accepts the imported Tekscan file")


def test_tekscan_pressure(tmp):
    """A Tekscan export in pressure units, made from the raw sample: every
    value comes back exactly through the recording's calibration, and the
    blanked sensels are dead in it."""
    truth = tekscan_truth()
    for unit, scale, factor in (("KPa", 0.37, 1.0), ("MPa", 0.0037, 1000.0)):
        lines = open(TEKSCAN).read().split("\n")
        values = []
        for i, line in enumerate(lines):
            if line.startswith("UNITS "):
                lines[i] = "UNITS " + unit
            elif line and (line[0].isdigit() or line[0] == "B"):
                row = [v if v in ("B", "0") else f"{int(v) * scale:.6g}" for v in line.split(",")]
                lines[i] = ",".join(row)
                values.append([0.0 if v == "B" else float(v) for v in row])
        src = os.path.join(tmp, f"tek-{unit}.csv")
        with open(src, "w") as f:
            f.write("\n".join(lines))
        out = os.path.join(tmp, f"tek-{unit}.h5")
        rc, _, err = run("import", "-o", out, src)
        check(rc == 0, f"Tekscan {unit} import exit {rc}: {err}")
        with h5py.File(out, "r") as f:
            kpa = table_kpa(f)
            got = kpa[f["frames"][:]].astype(np.float32).reshape(-1, 28)
            want = (np.array(values) * factor).astype(np.float32)
            check(np.array_equal(got, want), f"Tekscan {unit}: kPa through the calibration")
            blank = np.array([[v == "B" for v in row] for row in truth[0][3]])
            check(np.array_equal(f["calibration/dead"][:] == 1, blank), f"Tekscan {unit}: B are dead")
            check(f.attrs["import_units"] == unit, "units kept")
            check("import_threshold" not in f.attrs, "NOISE_THRESHOLD is in counts: not kept")


# ---- XSENSOR: two insoles in mmHg ------------------------------------------

def xsensor_truth():
    """Per frame: time of day (s), and per sensor: the vendor's figures and the matrix."""
    lines = read_lines(XSENSOR)
    frames, sensor = [], None
    i = 0
    while i < len(lines):
        f = lines[i].split(",")
        key = f[0]
        if key == "FRAME":
            frames.append({"number": int(f[1]), "sensors": []})
            sensor = None
        elif key == "Time":
            h, m, s = f[1].strip().split(":")
            frames[-1]["tod"] = int(h) * 3600 + int(m) * 60 + float(s)
        elif key == "SENSOR":
            sensor = {"name": f[1]}
            frames[-1]["sensors"].append(sensor)
        elif key == "GROUP":
            sensor = None
        elif sensor is not None and key == "SENSELS":
            rows = []
            while len(rows) < 31:
                i += 1
                vals = [v for v in lines[i].split(",") if v != ""]
                if vals:
                    rows.append([float(v) for v in vals])
            sensor["matrix"] = np.array(rows)
        elif sensor is not None and "(" in key and len(f) > 1 and f[1] and "matrix" not in sensor:
            sensor[key] = float(f[1])
        i += 1
    return frames


def table_kpa(f):
    """kPa of every code by the calibration's table (codes are its nodes)."""
    table = f["calibration/curve_table"][:]
    check(np.array_equal(table[:, 0], np.arange(len(table))), "table x are the codes 0..K")
    return table[:, 1]


def test_xsensor(tmp, truth):
    for sensor in (0, 1, 2):
        out = os.path.join(tmp, f"xs{sensor}.h5")
        args = ["import", "--format", "xsensor", "-o", out, XSENSOR]
        if sensor:
            args[1:1] = ["--sensor", str(sensor)]
        rc, _, err = run(*args)
        check(rc == 0, f"xsensor import (sensor {sensor}) exit {rc}: {err}")
        with h5py.File(out, "r") as f:
            a = f.attrs
            frames = f["frames"][:]
            cols = 22 if sensor == 0 else 11
            check(frames.shape == (101, 31, cols), f"xsensor shape {frames.shape}")
            check(abs(a["pitch_row_mm"] - 8.6) < 1e-9 and abs(a["pitch_col_mm"] - 8.6) < 1e-9,
                  "xsensor pitch: Sensel Width/Height (cm) 0.86")
            tods = np.array([fr["tod"] for fr in truth])
            check(np.allclose(f["t"][:], tods - tods[0], atol=1e-9), "t from the Time lines")
            check(np.array_equal(f["seq"][:], [fr["number"] for fr in truth]), "seq = FRAME numbers")
            rate = (truth[-1]["number"] - truth[0]["number"]) / (tods[-1] - tods[0])
            check(abs(a["rate_hz"] - rate) < 1e-9 and 74 < rate < 76, f"rate {a['rate_hz']}")
            check(a["import_units"] == "mmHg" and a["import_threshold"] == 51.72, "import attributes")
            check(a["created_utc"] == "2022-08-16T08:21:17.982", "created from Date and Time")
            check(a["device_serial"] == "S0073", "serial")
            kpa = table_kpa(f)
            cal_dead = f["calibration/dead"][:]
            check(not cal_dead.any(), "no dead sensels in an XSENSOR import")
            for k, fr in enumerate(truth):
                mats = [s["matrix"] for s in fr["sensors"]]
                want = np.hstack(mats) if sensor == 0 else mats[sensor - 1]
                got = kpa[frames[k]].astype(np.float32)
                exact = (want * MMHG_KPA).astype(np.float32)
                if not np.array_equal(got, exact):
                    check(False, f"frame {fr['number']}: kPa through the calibration differ "
                          f"from the exported mmHg (max {np.abs(got - exact).max()})")
                    break


def test_vendor_figures(tmp, truth):
    """`analyze --frames-csv` on the imported left insole against the vendor's
    own per-frame figures in the export (threshold 51.72 mmHg: the export
    already has 0 below it)."""
    rc, _, _ = run("analyze", "--help")
    check(rc == 0, "rollmat analyze is available")
    if rc != 0:
        return
    src = os.path.join(tmp, "xs1.h5")
    csv = os.path.join(tmp, "xs1.csv")
    rc, _, err = run("analyze", "--frames-csv", csv, src)
    check(rc == 0, f"analyze --frames-csv exit {rc}: {err}")
    if rc != 0:
        return
    rows = [l.split(",") for l in open(csv).read().split("\n")[1:] if l]
    check(len(rows) == 101, f"{len(rows)} rows in the frames CSV")
    worst = {}
    for r, fr in zip(rows, truth):
        s = fr["sensors"][0]
        peak = s["Peak Pressure (mmHg)"] * MMHG_KPA
        mean = s["Average Pressure (mmHg)"] * MMHG_KPA
        area = s["Contact Area (cm\u00b2)"]
        load = s["Est. Load (N)"]
        t, force, area_got, peak_got, mean_got = (float(v) if v else float("nan") for v in r[:5])
        if area == 0:  # the foot in the air: no contact, no mean
            check(area_got == 0 and force == 0 and peak_got == 0 and np.isnan(mean_got),
                  f"frame {fr['number']}: no contact, got {r}")
            continue
        # Peak: exact up to the CSV's 2 decimals (0.005 kPa).
        check(abs(peak_got - peak) <= 0.005 + 1e-9,
              f"frame {fr['number']}: peak {peak_got} kPa, vendor {peak:.4f}")
        for name, got, want in (("mean", mean_got, mean), ("contact area", area_got, area),
                                ("load", force, load)):
            check(abs(got - want) <= 0.005 * want + 0.01,
                  f"frame {fr['number']}: {name} {got}, vendor {want} (0.5 %)")
            worst[name] = max(worst.get(name, 0), abs(got - want) / want)
        if failures:
            break
    print("largest relative differences to the vendor's figures:",
          ", ".join(f"{k} {v:.3%}" for k, v in worst.items()))


# ---- broken copies ---------------------------------------------------------

def expect_refused(tmp, name, text, line, what, fmt=None):
    """text must be refused: exit 3, one line 'rollmat: FILE:LINE: ...what...',
    no output file and nothing left beside it."""
    src = os.path.join(tmp, name)
    with open(src, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    outdir = os.path.join(tmp, "out-" + name)
    os.mkdir(outdir)
    out = os.path.join(outdir, "out.h5")
    args = ["import", "-o", out, src]
    if fmt:
        args[1:1] = ["--format", fmt]
    rc, _, err = run(*args)
    want = f"rollmat: {src}:{line}: "
    check(rc == 3, f"{name}: exit {rc}, expected 3 ({err.strip()})")
    check(err.startswith(want) and what in err and err.count("\n") == 1,
          f"{name}: message {err!r}, expected {want}...{what}")
    check(os.listdir(outdir) == [], f"{name}: left {os.listdir(outdir)} behind")


def test_broken(tmp):
    tek = open(TEKSCAN).read().split("\n")
    xs = read_lines(XSENSOR)
    join = "\n".join
    # Tekscan frame 2's heading is line 58, its rows 59..86.
    check(tek[57].startswith("Frame 2,"), "frame 2 heading at line 58")
    expect_refused(tmp, "tek-cut.csv", join(tek[:70]) + "\n", 70,
                   "the file ends inside frame 2 after 12 of 28 rows")
    cut_mid_line = join(tek[:69]) + "\n" + tek[69][:20]
    expect_refused(tmp, "tek-cut-mid-line.csv", cut_mid_line, 70, "frame 2 row 12 has 10 values, COLS is 28")
    dropped = list(tek)
    dropped[64] = dropped[64].rsplit(",", 1)[0]
    expect_refused(tmp, "tek-drop.csv", join(dropped), 65, "frame 2 row 7 has 27 values, COLS is 28")
    unit = [l if not l.startswith("UNITS") else "UNITS furlongs" for l in tek]
    expect_refused(tmp, "tek-unit.csv", join(unit), 23, "unknown unit 'furlongs'")
    rows = [l if not l.startswith("ROWS") else "ROWS 27" for l in tek]
    expect_refused(tmp, "tek-rows.csv", join(rows), 56, "frame 1 has more than ROWS 27 rows")
    text = list(tek)
    text[40] = text[40].replace("0", "O", 1)
    expect_refused(tmp, "tek-text.csv", join(text), 41, "is not a number")
    expect_refused(tmp, "tek-no-end.csv", join(tek[:9266]) + "\n", 9266, "without the closing @@")
    # One frame and no SECONDS_PER_FRAME (nor START/END_FRAME): no rate.
    one = [l for l in tek[:57] if not l.startswith(("SECONDS_PER_FRAME", "START_FRAME",
                                                     "END_FRAME"))] + ["@@", ""]
    check(one[24].startswith("Frame 1,"), "frame 1 heading at line 25 without those lines")
    expect_refused(tmp, "tek-one-frame.csv", join(one), 25,
                   "only one frame: no frame rate without SECONDS_PER_FRAME")

    # Values outside physical ranges (issue 12 item 3): refused on their line.
    spf = next(i for i, l in enumerate(tek) if l.startswith("SECONDS_PER_FRAME"))
    for value in ("1e308", "1e-300"):
        huge = list(tek)
        huge[spf] = "SECONDS_PER_FRAME " + value
        expect_refused(tmp, f"tek-spf-{value}.csv", join(huge), spf + 1,
                       "SECONDS_PER_FRAME: '%s' is outside" % value)
    pitch = next(i for i, l in enumerate(tek) if l.startswith("ROW_SPACING"))
    wide = list(tek)
    wide[pitch] = "ROW_SPACING 1e300 mm"
    expect_refused(tmp, "tek-pitch.csv", join(wide), pitch + 1, "ROW_SPACING: '1e300 mm' is outside")

    # XSENSOR: frame 1464's left matrix rows are lines 65, 67, ... 125.
    check(xs[62].startswith("SENSELS") and xs[64] == "0,0,0,0,0,0,0,0,0,0,0,,,,,,,,,",
          "left matrix row 1 at line 65")
    expect_refused(tmp, "xs-cut.csv", join(xs[:80]) + "\n", 80,
                   "frame 1464 sensor 1 has 8 rows, Rows is 31", "xsensor")
    dropped = list(xs)
    dropped[68] = dropped[68].replace(",0,,", ",,,", 1)
    expect_refused(tmp, "xs-drop.csv", join(dropped), 69, "row 3 has 10 values, Columns is 11")
    unit = list(xs)
    unit[2] = "Units:,furlongs,,,,,,,,,,,,,,,,,,"
    expect_refused(tmp, "xs-unit.csv", join(unit), 3, "unknown unit 'furlongs'")
    rows = list(xs)
    rows[18] = "Rows,30,,,,,,,,,,,,,,,,,,"
    expect_refused(tmp, "xs-rows.csv", join(rows), 125, "more rows than Rows 30")
    # One frame: an XSENSOR export states no rate, the frames' times give it.
    second = [i for i, l in enumerate(xs) if l.startswith("FRAME,")][1]
    check(xs[8].startswith("FRAME,1464"), "frame 1464 at line 9")
    expect_refused(tmp, "xs-one-frame.csv", join(xs[:second]) + "\n", 9,
                   "only one frame: no frame rate without a second frame's time")
    cut = xs.index("GROUP,8,,,,,,,,,,,,,,,,,,", 9000)  # the last group of a frame
    expect_refused(tmp, "xs-group-cut.csv", join(xs[:cut]) + "\n", cut,
                   "has 7 groups, the first frame 8")


def test_usage(tmp):
    rc, out, _ = run("import", "--help")
    check(rc == 0 and "--sensor" in out, "import --help")
    rc, _, err = run("import", "--sensor", "3", "-o", os.path.join(tmp, "x.h5"), XSENSOR)
    check(rc == 2 and "2 sensors" in err, f"--sensor 3 of 2: exit {rc} {err}")
    rc, _, _ = run("import", "--format", "pdf", "-o", os.path.join(tmp, "x.h5"), XSENSOR)
    check(rc == 2, "unknown --format")
    rc, _, _ = run("import", XSENSOR)
    check(rc == 2, "no -o")
    # A failed import leaves an existing output as it was.
    keep = os.path.join(tmp, "keep.h5")
    with open(keep, "w") as f:
        f.write("old")
    bad = os.path.join(tmp, "bad.csv")
    with open(bad, "w") as f:
        f.write("hello\n")
    rc, _, err = run("import", "-o", keep, bad)
    check(rc == 3 and err == f"rollmat: {bad}:1: not a Tekscan or XSENSOR ASCII export "
          "(give --format if it is one)\n", f"not an export: {rc} {err!r}")
    check(open(keep).read() == "old", "existing output kept after a failure")
    rc, _, err = run("import", "-o", keep, os.path.join(tmp, "missing.csv"))
    check(rc == 1 and "missing.csv" in err, f"missing input: {rc} {err}")


def main():
    tmp = tempfile.mkdtemp(prefix="rm-import-")
    try:
        which = sys.argv[1] if len(sys.argv) > 1 else "all"
        truth = xsensor_truth()
        if which in ("all", "formats"):
            test_tekscan(tmp)
            test_tekscan_pressure(tmp)
            test_xsensor(tmp, truth)
            test_broken(tmp)
            test_usage(tmp)
        if which in ("all", "vendor-figures"):
            if not os.path.exists(os.path.join(tmp, "xs1.h5")):
                rc, _, err = run("import", "--sensor", "1", "-o", os.path.join(tmp, "xs1.h5"), XSENSOR)
                check(rc == 0, f"import sensor 1: {err}")
            test_vendor_figures(tmp, truth)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok")


main()

"""rollmat analyze as a command (shared/spec/cli.md): usage errors, bad
input, an empty and an unloaded recording, --frames-csv, --profile
(built-in and INI), and a batch over a folder with a corrupt file in it."""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py

ROLLMAT = os.environ["ROLLMAT"]
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([ROLLMAT, *args], capture_output=True, text=True)


def strict_json(text):
    def bad(name):
        raise ValueError("non-finite number: " + name)
    return json.loads(text, parse_constant=bad)


def one_error_line(r, what):
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith("rollmat: "),
          f"{what}: want one 'rollmat: ' line on stderr, got {r.stderr!r}")


def main():
    tmp = tempfile.mkdtemp(prefix="rollmat-analyze-cli-")
    try:
        p = lambda name: os.path.join(tmp, name)
        plan = os.path.join(HERE, "plans", "no-rhythm.plan")
        assert run("sim", "--plan", plan, "-o", p("a.h5")).returncode == 0
        assert run("sim", "--plan", plan, "--seed", "2", "-o", p("b.h5")).returncode == 0
        assert run("sim", "--plan", os.path.join(HERE, "plans", "no-load.plan"),
                   "-o", p("idle.h5")).returncode == 0

        r = run("analyze", "--help")
        check(r.returncode == 0 and "--frames-csv" in r.stdout, "--help")
        check(run("analyze").returncode == 2, "no file: exit 2")
        check(run("analyze", "--bogus", p("a.h5")).returncode == 2, "unknown option: exit 2")
        check(run("analyze", "--jobs", "0", p("a.h5")).returncode == 2, "--jobs 0: exit 2")
        check(run("analyze", "--frames-csv", p("x.csv"), p("a.h5"), p("b.h5")).returncode == 2,
              "--frames-csv with two files: exit 2")

        # Not a recording: a text file, an HDF5 file of something else, a truncated one.
        with open(p("notes.h5"), "w") as f:
            f.write("not hdf5 at all\n")
        with h5py.File(p("other.h5"), "w") as f:
            f.create_dataset("x", data=[1, 2, 3])
        with open(p("a.h5"), "rb") as f:
            data = f.read()
        with open(p("cut.h5"), "wb") as f:
            f.write(data[: len(data) // 3])
        for bad in ("notes.h5", "other.h5", "cut.h5"):
            r = run("analyze", "--json", p(bad))
            check(r.returncode == 3, f"{bad}: exit {r.returncode}, want 3")
            check(r.stdout == "", f"{bad}: nothing on stdout")
            one_error_line(r, bad)
        r = run("analyze", p("missing.h5"))
        check(r.returncode != 0, "missing file fails")

        # Never loaded, and empty: valid documents without segments.
        r = run("analyze", "--json", p("idle.h5"))
        check(r.returncode == 0, f"idle: exit {r.returncode} {r.stderr}")
        doc = strict_json(r.stdout)
        check(doc["segments"] == [] and doc["rollmat_analysis_version"] == 2, "idle: no segments")
        shutil.copy(p("idle.h5"), p("empty.h5"))
        with h5py.File(p("empty.h5"), "r+") as f:
            for name in ("frames", "t", "seq"):
                f[name].resize(0, axis=0)
        r = run("analyze", "--json", p("empty.h5"))
        if r.returncode == 0:
            doc = strict_json(r.stdout)
            check(doc["segments"] == [] and doc["frames"] == 0, "empty: no segments")
        else:
            check(False, f"empty recording: exit {r.returncode}: {r.stderr}")

        # --frames-csv: exact header, one row per frame; uncalibrated leaves force empty.
        r = run("analyze", "--frames-csv", p("a.csv"), p("a.h5"))
        check(r.returncode == 0, f"--frames-csv: {r.stderr}")
        with open(p("a.csv")) as f:
            rows = list(csv.reader(f))
        check(rows[0] == ["t", "force_n", "contact_area_cm2", "peak_kpa", "mean_kpa",
                          "cop_row_mm", "cop_col_mm"], f"csv header {rows[0]}")
        with h5py.File(p("a.h5"), "r") as f:
            nframes = f["t"].shape[0]
        check(len(rows) == nframes + 1, f"csv rows {len(rows) - 1}, frames {nframes}")
        loaded = [row for row in rows[1:] if row[1] and float(row[1]) > 100]
        check(len(loaded) > nframes // 2, "csv: force in N while loaded")
        check(all(float(row[2]) > 0 and row[5] for row in loaded), "csv: contact and cop when loaded")
        shutil.copy(p("a.h5"), p("bare.h5"))
        with h5py.File(p("bare.h5"), "r+") as f:
            del f["calibration"]
        check(run("analyze", "--frames-csv", p("bare.csv"), p("bare.h5")).returncode == 0,
              "uncalibrated --frames-csv")
        with open(p("bare.csv")) as f:
            rows = list(csv.reader(f))
        check(all(row[1] == "" for row in rows[1:]), "uncalibrated csv: force empty")
        check(any(row[3] and float(row[3]) > 10 for row in rows[1:]), "uncalibrated csv: counts")

        # --calibration of another mat, or not a calibration: bad input.
        with h5py.File(p("idle.h5"), "r") as f, h5py.File(p("cal32.h5"), "w") as c:
            g = f["calibration"]
            for k, v in g.attrs.items():
                c.attrs[k] = v
            c.attrs["rollmat_format"] = "calibration"
            for k in g:
                c.create_dataset(k, data=g[k][()])
        for cal in ("cal32.h5", "notes.h5"):
            r = run("analyze", "--calibration", p(cal), p("a.h5"))
            check(r.returncode == 3, f"--calibration {cal}: exit {r.returncode}")
            one_error_line(r, f"--calibration {cal}")

        # Text that is not UTF-8 (a label typed in a Latin-1 terminal, a file
        # named by an old system) still gives every field, and never stops a
        # batch: each byte that is not UTF-8 becomes U+FFFD (rm_json_text, the
        # one rule of every command and the daemon).
        latin = os.path.join(os.fsencode(tmp), b"caf\xe9.h5")
        shutil.copy(p("a.h5"), latin)
        with h5py.File(latin, "r+") as f:
            ev = f["events"][()]
            ev["label"] = [b"mollet-\xe9" if k == b"segment_start" else l
                           for k, l in zip(ev["kind"], ev["label"])]
            del f["events"]
            f.create_dataset("events", data=ev)
        r = run("analyze", "--json", latin)
        check(r.returncode == 0, f"Latin-1 label: exit {r.returncode}: {r.stderr}")
        doc = strict_json(r.stdout) if r.returncode == 0 else {"segments": []}
        check(doc.get("recording", "").endswith("caf\ufffd.h5"),
              f"Latin-1 file name: recording {doc.get('recording')!r}")
        check(doc["segments"] and all(s.get("label") == "mollet-\ufffd" and s["advice"]
                                      for s in doc["segments"]),
              f"Latin-1 label: {[(s.get('label'), s['advice']) for s in doc['segments']]}")
        r = run("analyze", "--out", p("latin"), latin, p("b.h5"))
        check(r.returncode == 0, f"Latin-1 label, --out: exit {r.returncode}: {r.stderr}")
        check(os.path.exists(p("latin/summary.csv")), "Latin-1 label: summary.csv written")

        # Segment events outside the recording's time (a clock set wrong, a
        # segment_end written long after the last frame): the segment still
        # lies within the recording.
        shutil.copy(p("a.h5"), p("far.h5"))
        with h5py.File(p("far.h5"), "r+") as f:
            t0, t1 = float(f["t"][0]), float(f["t"][-1])
            ev = f["events"][()][:2]
            ev["t"] = [t0 - 10, t1 + 1e6]
            ev["kind"] = [b"segment_start", b"segment_end"]
            del f["events"]
            f.create_dataset("events", data=ev)
        r = run("analyze", "--json", p("far.h5"))
        doc = strict_json(r.stdout) if r.returncode == 0 else {"segments": []}
        check(len(doc["segments"]) == 1 and
              all(t0 - 0.01 <= s["t_start"] <= s["t_end"] <= t1 + 0.01 for s in doc["segments"]),
              f"events outside the recording: {[(s['t_start'], s['t_end']) for s in doc['segments']]}"
              f", frames {t0}..{t1}")

        # Profiles: built in, INI overrides, bad files.
        doc = strict_json(run("analyze", "--json", "--profile", "short", p("a.h5")).stdout)
        check(doc["profile"]["name"] == "short" and doc["profile"]["hold_target_max_s"] == 12,
              f"short profile: {doc['profile']}")
        doc = strict_json(run("analyze", "--json", "--profile", "long", p("a.h5")).stdout)
        check(doc["profile"]["hold_target_min_s"] == 30 and doc["profile"]["hold_target_max_s"] == 90,
              "long profile 30-90 s")
        with open(p("mine.ini"), "w") as f:
            f.write("[profile]\nname = coach\nbase = short\nhold_target_min_s = 4\n"
                    "hold_target_max_s = 6.5\nspeed_slow_max_mm_s = 40\n")
        r = run("analyze", "--json", "--profile", p("mine.ini"), p("a.h5"))
        doc = strict_json(r.stdout)
        check(doc["profile"] == {"name": "coach", "speed_slow_max_mm_s": 40, "speed_fast_mm_s": 100,
                                 "pause_min_s": 2, "pause_speed_mm_s": 5, "pause_tolerance_mm": 10,
                                 "hold_min_s": 5, "hold_target_min_s": 4, "hold_target_max_s": 6.5,
                                 "pressure_max_kpa": 60}, f"INI profile: {doc['profile']}")
        for text, what in (("hold_min_s = 5\nroll_speed = 3\n", "unknown key"),
                           ("hold_min_s = fast\n", "bad value"),
                           ("hold_target_min_s = 40\nhold_target_max_s = 30\n", "inconsistent"),
                           ("[other]\nhold_min_s = 5\n", "unknown section")):
            with open(p("bad.ini"), "w") as f:
                f.write(text)
            r = run("analyze", "--profile", p("bad.ini"), p("a.h5"))
            check(r.returncode == 3, f"profile with {what}: exit {r.returncode}")
            one_error_line(r, f"profile with {what}")
            check("bad.ini" in r.stderr, f"profile with {what}: names the file")
        r = run("analyze", "--profile", "nosuchprofile", p("a.h5"))
        check(r.returncode == 2, f"unknown profile name: exit {r.returncode}")

        # Batch: one corrupt file among good ones; the rest is finished.
        os.mkdir(p("in"))
        for i, src in enumerate(("a.h5", "b.h5", "idle.h5", "cut.h5", "bare.h5")):
            shutil.copy(p(src), p(f"in/s{i}.h5"))
        files = [p(f"in/s{i}.h5") for i in range(5)]
        r = run("analyze", "--out", p("out"), "--jobs", "3", *files)
        check(r.returncode == 3, f"batch: exit {r.returncode}, want 3")
        err = r.stderr.strip().splitlines()
        check(len(err) == 1 and "s3.h5" in err[0] and err[0].startswith("rollmat: "),
              f"batch: one line for the corrupt file, got {err}")
        for i in (0, 1, 2, 4):
            path = p(f"out/s{i}.analysis.json")
            check(os.path.exists(path), f"batch: {path} written")
            if os.path.exists(path):
                with open(path) as f:
                    strict_json(f.read())
        check(not os.path.exists(p("out/s3.analysis.json")), "batch: nothing for the bad file")
        check(not [n for n in os.listdir(p("out")) if n.endswith(".tmp")], "batch: no temp files")
        with open(p("out/summary.csv")) as f:
            rows = list(csv.DictReader(f))
        check([row["recording"] for row in rows] == [files[0], files[1], files[3], files[4]],
              f"summary rows, one per segment and one per bad file: {[r['recording'] for r in rows]}")
        check(rows and rows[0]["label"] == "adductor-left" and rows[3]["mean_kpa"] == ""
              and rows[2]["error"] and not rows[0]["error"],
              "summary: labels, the bad file's error, uncalibrated pressure empty")

        # Same names from two folders do not overwrite each other.
        os.mkdir(p("in2"))
        shutil.copy(p("b.h5"), p("in2/s0.h5"))
        r = run("analyze", "--out", p("out2"), p("in/s0.h5"), p("in2/s0.h5"))
        check(r.returncode == 0 and os.path.exists(p("out2/s0.analysis.json"))
              and os.path.exists(p("out2/s0-2.analysis.json")), "batch: repeated names")

        # Several files with --json: an array of the documents.
        r = run("analyze", "--json", p("a.h5"), p("b.h5"))
        docs = strict_json(r.stdout)
        check(r.returncode == 0 and isinstance(docs, list) and len(docs) == 2, "--json array")
    finally:
        shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} failures")
        sys.exit(1)
    print("analyze command: all checks passed")


main()

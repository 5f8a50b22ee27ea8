"""`rollmat sim -o X.h5`: a recording that reads back as what the truth
says happened. Through h5py, as any outside tool would read it: the true
calibration inverts the counts, the calibrated force is the truth's force,
the roller's pressure centroid stands still in the truth's pauses and runs
at the truth's speed in its strokes, events and seq gaps match, and the
same plan and seed give the same frames."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]

PLAN = """# two muscles, a lost stretch of frames, a mark
mat rows=40 cols=16 pitch_row_mm=12 pitch_col_mm=15 rate_hz=80 serial=PY-1
body mass_kg=80
idle 1.5
muscle hamstring-left share=0.4 lateral_mm=110 width_mm=140
at 60
rolls 60 400 speed=35 count=2
roll 250 speed=30
pause 12
mark "felt tight"
roll 420 speed=30
end
idle 3
drop 25
muscle calf-right share=0.3
at 380
roll 100 speed=45
pause 6
end
idle 1
"""


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(tmp, name, seed, plan):
    out, truth = os.path.join(tmp, name + ".h5"), os.path.join(tmp, name + ".json")
    r = subprocess.run([ROLLMAT, "sim", "--plan", plan, "--seed", str(seed), "-o", out,
                        "--truth", truth], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"rollmat sim exited {r.returncode}: {r.stderr}")
    with open(truth) as f:
        return out, json.load(f)


def calibrated(f, frames):
    cal = f["calibration"]
    if cal.attrs["curve"] != "power":
        fail("the simulated mat's curve is not power")
    a, b = cal.attrs["curve_a"], cal.attrs["curve_b"]
    x = cal["gain"][:] * (frames.astype(np.float64) - cal["offset"][:])
    alive = cal["dead"][:] == 0
    return np.where((x > 0) & alive, a * np.clip(x, 0, None) ** b, 0.0)


def main():
    tmp = tempfile.mkdtemp(prefix="rollmat-sim-py-")
    plan = os.path.join(tmp, "p.plan")
    with open(plan, "w") as f:
        f.write(PLAN)
    path, truth = run(tmp, "a", 3, plan)
    f = h5py.File(path, "r")
    a = f.attrs
    for key, want in [("rows", 40), ("cols", 16), ("pitch_row_mm", 12.0), ("pitch_col_mm", 15.0),
                      ("rate_hz", 80.0), ("adc_bits", 12), ("device_serial", "PY-1"),
                      ("device_model", "simulated"), ("rollmat_format", "recording")]:
        got = a[key].decode() if isinstance(a[key], bytes) else a[key]
        if got != want:
            fail(f"attribute {key} = {got!r}, wanted {want!r}")
    frames, t, seq = f["frames"][:], f["t"][:], f["seq"][:]
    if len(frames) != truth["frames"]:
        fail(f"{len(frames)} frames, truth says {truth['frames']}")
    gaps = int((np.diff(seq) - 1).sum())
    if gaps != truth["frames_dropped"] or gaps != 25 or a["frames_dropped"] != 25:
        fail(f"seq gaps {gaps}, attribute {a['frames_dropped']}, truth {truth['frames_dropped']}")
    if not np.allclose(t, seq / 80.0, atol=1e-9):
        fail("/t is not seq / rate")

    ev = [(e["t"], e["kind"].decode(), e["label"].decode()) for e in f["events"][:]]
    want = []
    for s in truth["segments"]:
        want += [(s["t_start"], "segment_start", s["label"]), (s["t_end"], "segment_end", s["label"])]
    want += [(m["t"], "mark", m["text"]) for m in truth["marks"]]
    want.sort()
    if len(ev) != len(want) or any(abs(x[0] - y[0]) > 1e-6 or x[1:] != y[1:] for x, y in zip(ev, want)):
        fail(f"events {ev} != truth {want}")

    p = calibrated(f, frames)
    area = 12.0 * 15.0
    force = p.sum(axis=(1, 2)) * area / 1000.0
    rows_mm = np.arange(40) * 12.0
    prow = p.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = (prow * rows_mm).sum(axis=1) / prow.sum(axis=1)
    for s in truth["segments"]:
        on = (t >= s["loaded_t_start"]) & (t < s["loaded_t_end"])
        mean = force[on].mean()
        if abs(mean - s["mean_force_n"]) > 0.03 * s["mean_force_n"]:
            fail(f"{s['label']}: calibrated mean force {mean:.1f} N, truth {s['mean_force_n']}")
        for q in s["pauses"]:
            inside = (t >= q["t_start"]) & (t < q["t_end"])
            c = centroid[inside]
            if np.abs(c - q["position_mm"]).max() > 10:
                fail(f"pause at {q['t_start']}: centroid strays {np.abs(c - q['position_mm']).max():.1f} mm")
            if abs(c.mean() - q["position_mm"]) > 2 or abs(c.mean() - q["position_commanded_mm"]) > 3:
                fail(f"pause at {q['t_start']}: mean centroid {c.mean():.1f}, truth {q['position_mm']}")
        for st in s["strokes"]:
            for key, when in (("from_mm", st["t_start"]), ("to_mm", st["t_end"])):
                k = np.argmin(np.abs(t - when))
                if abs(t[k] - when) < 0.02 and abs(centroid[k] - st[key]) > 3:
                    fail(f"stroke at {st['t_start']}: centroid {centroid[k]:.1f} at {when}, truth {key} {st[key]}")
            mid = (st["t_start"] + st["t_end"]) / 2
            sel = (t >= mid - 0.5) & (t <= mid + 0.5)
            if sel.sum() < 40:
                continue
            speed = abs(np.polyfit(t[sel], centroid[sel], 1)[0])
            if abs(speed - st["speed_mm_s"]) > 0.1 * st["speed_mm_s"]:
                fail(f"stroke at {st['t_start']}: centroid speed {speed:.1f}, truth {st['speed_mm_s']}")
    idle = t < truth["segments"][0]["t_start"]
    if force[idle].max() > 5:
        fail(f"an empty mat reads {force[idle].max():.1f} N")

    # Same plan and seed: the same frames; another seed: other noise.
    path2, truth2 = run(tmp, "b", 3, plan)
    g = h5py.File(path2, "r")
    for name in ("frames", "t", "seq", "events"):
        if not np.array_equal(f[name][:], g[name][:]):
            fail(f"/{name} differs between two runs of the same plan and seed")
    if truth2 != truth:
        fail("the truth differs between two runs of the same plan and seed")
    path3, truth3 = run(tmp, "c", 4, plan)
    h = h5py.File(path3, "r")
    if np.array_equal(f["frames"][:], h["frames"][:]):
        fail("another seed gave the same frames")
    if not np.array_equal(f["calibration/offset"][:], h["calibration/offset"][:]):
        fail("another seed changed the mat")
    print("ok")


main()

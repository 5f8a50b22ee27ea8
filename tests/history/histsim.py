"""A simulated history for the tests of history/: 60 sessions over 10
weeks, on a small, slow mat (40 x 8 sensels at 20 Hz: a minute or so of
rolling is a few hundred kB and a tenth of a second to make), each session
dated through the plan's `date` command. Two spots are planted on purpose:

- A: left calf, 250 mm of the 50..350 mm rolled (relative 0.667), held in 5
  sessions over 28 days: recurring;
- B: left calf, 110 mm (relative 0.2), held in 2 sessions: not recurring;

and noise holds elsewhere: single holds on both muscles, and a near miss on
the right quad (3 sessions, but within 5 days: not recurring)."""
import datetime
import os
import subprocess

ROLLMAT = os.environ["ROLLMAT"]
START = datetime.datetime(2026, 9, 7, 7, 0, 0)  # a Monday
SESSIONS = 60
DAYS = 70

CALF = ("calf-left", 50, 350)
QUAD = ("quad-right", 60, 360)

# session index -> [(muscle, position_mm, hold_s)]
HOLDS = {
    6: [("calf-left", 250, 24)], 12: [("calf-left", 250, 28)], 18: [("calf-left", 250, 22)],
    24: [("calf-left", 250, 30)], 30: [("calf-left", 250, 26)],
    40: [("calf-left", 110, 25)], 50: [("calf-left", 110, 20)],
    3: [("calf-left", 170, 8)], 45: [("calf-left", 320, 9)],
    52: [("quad-right", 210, 10)], 54: [("quad-right", 210, 12)], 56: [("quad-right", 210, 9)],
    10: [("quad-right", 90, 8)], 20: [("quad-right", 150, 7)], 34: [("quad-right", 300, 8)],
}
SPOT_A = ("calf-left", 2 / 3, 5, 28)
SPOT_B = ("calf-left", 0.2, 2)


def day(k):
    return k * DAYS // SESSIONS


def when(k):
    return START + datetime.timedelta(days=day(k), hours=(k % 3) * 5)


def speeds(k):
    """The commanded speed of every stroke, per muscle of session k."""
    # Slower over the weeks, as a runner learning to roll slowly would be.
    s = {"calf-left": round(42 - 20 * k / (SESSIONS - 1)) + (k * 7) % 5 - 2}
    if k % 2 == 0:
        s["quad-right"] = round(40 - 12 * k / (SESSIONS - 1)) + (k * 3) % 4
    return s


def muscle_plan(label, lo, hi, speed, holds):
    lines = ["muscle %s lateral_mm=35 width_mm=70" % label, "at %d" % lo,
             "rolls %d %d speed=%d count=2" % (lo, hi, speed)]
    for _, pos, hold_s in holds:
        lines += ["roll %d speed=%d" % (pos, speed), "pause %d" % hold_s]
    lines += ["roll %d speed=%d" % (hi, speed), "end", "idle 1"]
    return lines


def _check_holds():
    """Every planted hold is on a muscle its session rolls."""
    for k, holds in HOLDS.items():
        for muscle, _, _ in holds:
            assert muscle in speeds(k), "session %d does not roll %s" % (k, muscle)


def plan(k):
    lines = ["mat rows=40 cols=8 pitch_row_mm=10 pitch_col_mm=10 rate_hz=20",
             "date " + when(k).strftime("%Y-%m-%dT%H:%M:%SZ"), "idle 1"]
    for label, lo, hi in (CALF, QUAD):
        if label in speeds(k):
            holds = [h for h in HOLDS.get(k, []) if h[0] == label]
            lines += muscle_plan(label, lo, hi, speeds(k)[label], holds)
    return "\n".join(lines) + "\n"


def make(dirpath, count=SESSIONS):
    """Writes session-NN.h5 for the first count sessions; returns the paths."""
    _check_holds()
    paths = []
    for k in range(count):
        plan_path = os.path.join(dirpath, "session-%02d.plan" % k)
        with open(plan_path, "w") as f:
            f.write(plan(k))
        h5 = os.path.join(dirpath, "session-%02d.h5" % k)
        subprocess.run([ROLLMAT, "sim", "--plan", plan_path, "--seed", str(k + 1), "-o", h5],
                       check=True, capture_output=True, timeout=120)
        paths.append(h5)
    return paths

"""The online analysis (analysis/rm_online.h, replayed frame by frame by
online_replay with an update every 5th frame, as rollmatd does at 100 Hz)
against `rollmat analyze` of the same recording, on the simulator's
scenarios: the same holds, start and end within 0.5 s, and the share of
rolling time that is slow within 0.05 of the batch's fraction_slow."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livelib import BIN, ROLLMAT, fail  # noqa: E402

work = tempfile.mkdtemp(prefix="rollmat-online-")
for scenario in ("good", "short-holds", "long-holds", "fast", "no-events"):
    rec = os.path.join(work, scenario + ".h5")
    subprocess.run([ROLLMAT, "sim", "--scenario", scenario, "-o", rec], check=True,
                   stdout=subprocess.DEVNULL)
    doc = json.loads(subprocess.run([ROLLMAT, "analyze", "--json", rec], capture_output=True,
                                    text=True, check=True).stdout)
    out = subprocess.run([os.path.join(BIN, "online_replay"), rec], capture_output=True,
                         text=True, check=True).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    online = [(p["t_start"], p["t_end"]) for p in lines if p["k"] == "p" and p["hold"]]
    batch = [(p["t_start"], p["t_end"]) for s in doc["segments"] for p in s["pauses"] if p["hold"]]
    if len(online) != len(batch) or any(abs(a[0] - b[0]) > 0.5 or abs(a[1] - b[1]) > 0.5
                                        for a, b in zip(online, batch)):
        fail("%s: online holds %s, analyze %s" % (scenario, online, batch))
    rolling = [u for u in lines if u["k"] == "u" and u["state"] == "rolling"]
    slow = sum(u["speed_zone"] == "slow" for u in rolling) / max(1, len(rolling))
    t_roll = sum(s["rolling"]["time_s"] for s in doc["segments"])
    f_slow = sum(s["rolling"]["fraction_slow"] * s["rolling"]["time_s"]
                 for s in doc["segments"]) / t_roll
    if abs(slow - f_slow) > 0.05:
        fail("%s: online slow share %.3f, analyze %.3f" % (scenario, slow, f_slow))
    worst = max([max(abs(a[0] - b[0]), abs(a[1] - b[1])) for a, b in zip(online, batch)] or [0])
    print("%s: %d holds, worst edge %.2f s; slow share online %.3f, analyze %.3f" % (
        scenario, len(online), worst, slow, f_slow))
subprocess.run(["rm", "-rf", work])

#!/usr/bin/env bash
# Prints how fast `rollmat sim` generates the `good` scenario (about 25,000
# frames of 64 x 32) into a wire capture and into a recording: the median of
# 3 runs, frames per second, and the ratio against the mat's own 100 Hz (how
# many times faster than real time), all measured in this run.
#   scripts/bench-sim.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
rollmat=${1:-build}/bin/rollmat
[ -x "$rollmat" ] || { echo "bench-sim: no $rollmat (build first)" >&2; exit 1; }
exec python3 - "$rollmat" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time
rollmat = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    truth = os.path.join(tmp, "g.json")
    subprocess.run([rollmat, "sim", "-o", os.path.join(tmp, "g.rmw"), "--truth", truth], check=True)
    frames = json.load(open(truth))["frames"]
    for ext in ("rmw", "h5"):
        times = []
        for seed in (1, 2, 3):
            t0 = time.perf_counter()
            subprocess.run([rollmat, "sim", "--seed", str(seed), "-o", os.path.join(tmp, "b." + ext)],
                           check=True)
            times.append(time.perf_counter() - t0)
        s = statistics.median(times)
        print(f"sim good -> .{ext:<3} {frames:6d} frames {s:6.2f} s {frames / s:8.0f} frames/s "
              f"{frames / s / 100:6.0f}x real time")
PY

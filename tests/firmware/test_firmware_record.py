"""The reference firmware end to end: firmware/avr-mat16 runs in simavr
(sim_mat16 --pty) under a simulated roller, and `rollmat record --device
serial:/dev/pts/N` records it as it would a real mat. Every frame's CRC is
good (no CRC error, nothing skipped or dropped), every recorded count is
what the harness fed the ADC for that sensel (within 1 count), the frame
rate in simulated time meets 50 Hz, and `rollmat analyze` finds the
roller rolling along the rows at the speed it was moved (sim_pattern.h).

usage: test_firmware_record.py SIM_MAT16 FIRMWARE.elf   (exit 77: skipped)"""
import json
import os
import signal
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
SIM, ELF = sys.argv[1], sys.argv[2]
SERIAL = "SIM-0042"
DURATION_S = 11.0  # two strokes of 250 mm at 50 mm/s, and the turn of a third
ROLL_MM_S, ROLL_FROM, ROLL_TO = 50.0, 75.0, 325.0  # sim_pattern.h


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


if not os.path.exists(ELF):
    print("skipped: no firmware at %s (avr-gcc, avr-libc missing?)" % ELF)
    sys.exit(77)

with tempfile.TemporaryDirectory() as tmp:
    fed_path, out = os.path.join(tmp, "fed.bin"), os.path.join(tmp, "mat.h5")
    sim = subprocess.Popen([SIM, ELF, "--pty", "--fed", fed_path, "--serial", SERIAL,
                            "--max-s", "300", "--report-s", str(DURATION_S)],
                           stdout=subprocess.PIPE, text=True)
    rec = None
    try:
        pty = None
        for line in sim.stdout:
            if line.startswith("pty "):
                pty = line.split()[1]
                break
        check(pty is not None and pty.startswith("/dev/pts/"), "simulated mat on %s" % pty)
        # Until the roller has rolled DURATION_S in simulated time: the
        # simulation runs at real time at best, slower on a loaded machine
        # (and under the sanitizers), so no wall-clock --duration here.
        rec = subprocess.Popen([ROLLMAT, "record", "--device", "serial:" + pty, "-o", out],
                               stderr=subprocess.PIPE, text=True)
        for line in sim.stdout:
            if line.startswith("rolled "):
                break
        rec.send_signal(signal.SIGINT)
        _, err = rec.communicate(timeout=60)
        check(rec.returncode == 0, "rollmat record exit %d %s" % (rec.returncode, err))
    finally:
        if rec is not None and rec.poll() is None:
            rec.kill()
        sim.send_signal(signal.SIGTERM)
        sim.wait(30)
    check(sim.returncode == 0, "the simulator ended cleanly")

    raw = open(fed_path, "rb").read()
    n_fed = int(np.frombuffer(raw[:4], "<u4")[0])
    fed = np.frombuffer(raw[4:], "<u2").reshape(n_fed, 16, 16)

    with h5py.File(out, "r") as f:
        a = dict(f.attrs)
        seq, t, frames = f["seq"][:], f["t"][:], f["frames"][:]
    counters = {k: int(a[k]) for k in ("crc_errors", "bytes_skipped", "frames_dropped")}
    check(int(a["complete"]) == 1 and counters == dict.fromkeys(counters, 0),
          "every frame's CRC good, nothing skipped or dropped: %r" % counters)
    serial = a.get("device_serial", b"")
    serial = serial.decode() if isinstance(serial, bytes) else str(serial)
    check(serial == SERIAL, "the serial from EEPROM reached the file: %r" % serial)
    check(len(seq) >= DURATION_S * 50 - 5 and np.array_equal(seq, np.arange(len(seq))),
          "%d frames, seq 0..%d without a gap" % (len(seq), len(seq) - 1))
    check(seq[-1] < n_fed, "the harness fed %d frames" % n_fed)
    diff = np.abs(frames.astype(int) - fed[seq].astype(int))
    check(diff.max() <= 1, "recorded counts = fed pattern within 1 count (largest %d, %d "
          "sensels off by one of %d)" % (diff.max(), int((diff == 1).sum()), diff.size))
    rate = (len(t) - 1) / (t[-1] - t[0])
    check(rate >= 50.0 - 1e-3, "%.3f frames per simulated second" % rate)

    res = subprocess.run([ROLLMAT, "analyze", "--json", out], capture_output=True, text=True,
                         timeout=120)
    check(res.returncode == 0, "rollmat analyze exit %d %s" % (res.returncode, res.stderr))
    seg = json.loads(res.stdout)["segments"][0]
    rolling = seg.get("rolling") or {}
    print("analysis: tool %s axis %s range %s rolling %s" % (seg.get("tool"), seg.get("axis"),
                                                             seg.get("range_mm"), rolling))
    if "tool" in seg:  # analysis version 2 names the tool and its axis
        check(seg["tool"] == "roller" and seg["axis"] == "rows",
              "a roller rolling along the rows")
    speed = rolling.get("speed_median_mm_s") or 0
    check(abs(speed - ROLL_MM_S) <= 0.2 * ROLL_MM_S,
          "median roll speed %.1f mm/s, moved at %.0f" % (speed, ROLL_MM_S))
    check((rolling.get("strokes") or 0) >= 2, "%s strokes" % rolling.get("strokes"))
    lo, hi = seg["range_mm"]
    check(abs(lo - ROLL_FROM) <= 25 and abs(hi - ROLL_TO) <= 25,
          "range %.0f..%.0f mm, rolled %.0f..%.0f" % (lo, hi, ROLL_FROM, ROLL_TO))
print("ok")

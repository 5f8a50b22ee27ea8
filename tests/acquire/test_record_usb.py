"""`rollmat record --device usb` as a user runs it, unmodified, against a
mat that umockdev-run replays from a usbmon capture made by usbmon_gen
from a simulated session: every frame reaches the file bit for bit."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
GEN = sys.argv[1]
# Fewer frames than the session's ring holds (2 s): a replay delivers them
# far faster than a mat would, and a burst larger than the ring would be
# dropped (and counted) if the writer lagged.
FRAMES, RATE = 150, 100


def run(*cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if r.returncode != 0:
        print("FAIL: %s -> %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
        sys.exit(1)
    return r


with tempfile.TemporaryDirectory() as tmp:
    cap, pcap, desc, out = (os.path.join(tmp, n) for n in
                            ("mat.rmw", "mat.pcap", "mat.umockdev", "out.h5"))
    run(ROLLMAT, "sim", "--scenario", "short-holds", "-o", cap)
    # One frame more than recorded: its time reaches --duration and ends the
    # recording, which then sends STOP, the capture's last request.
    sysfs = run(GEN, "--frames", str(FRAMES + 1), cap, pcap, desc).stdout.strip()
    run("umockdev-run", "-d", desc, "-p", "%s=%s" % (sysfs, pcap), "--",
        ROLLMAT, "record", "--device", "usb", "-o", out, "--duration", str(FRAMES / RATE))

    raw = np.fromfile(cap, dtype=np.uint8)[72:]
    rows, cols = 64, 32
    size = 16 + 2 * rows * cols + 4
    want = raw[:size * FRAMES].reshape(FRAMES, size)[:, 16:16 + 2 * rows * cols]
    want = want.copy().view("<u2").reshape(FRAMES, rows, cols)
    with h5py.File(out, "r") as f:
        ok = (f.attrs["complete"] == 1 and f.attrs["crc_errors"] == 0
              and f.attrs["frames_dropped"] == 0 and f.attrs["bytes_skipped"] == 0
              and np.array_equal(f["seq"][:], np.arange(FRAMES))
              and np.array_equal(f["frames"][:], want))
        if not ok:
            print("FAIL: recording differs: %d frames, attrs %r" % (len(f["t"]), dict(f.attrs)))
            sys.exit(1)
print("ok")

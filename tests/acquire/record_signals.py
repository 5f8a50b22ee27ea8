"""`rollmat record` ended by signals, on a --realtime replay of a capture:

- SIGKILL six seconds into the replay leaves at least five seconds of
  frames that h5py reads in SWMR mode, intact and in order;
- SIGTERM (and SIGINT) stop cleanly: exit 0 and a complete, valid file.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
BIN = os.environ["ROLLMAT_BIN_DIR"]
RATE = 100


def wait_for(path, proc, limit_s=30.0):
    """Waits until the recorder has created its file (it is recording)."""
    end = time.monotonic() + limit_s
    while not os.path.exists(path):
        if proc.poll() is not None:
            sys.exit(f"recorder exited early with {proc.returncode}: {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            sys.exit(f"{path} never appeared")
        time.sleep(0.02)


def check_frames(f, min_frames):
    frames, t, seq = f["frames"], f["t"], f["seq"]
    n = frames.shape[0]
    assert n >= min_frames, f"only {n} frames (want >= {min_frames})"
    assert frames.shape[1:] == (64, 32), frames.shape
    assert t.shape == (n,) and seq.shape == (n,)
    seq = seq[:]
    assert (seq == np.arange(n)).all(), "frames missing or out of order"
    t = t[:]
    assert np.allclose(t, np.arange(n) / RATE, atol=1e-9), "t does not follow the device clock"
    # The generator's moving band: row (k // 3) % 64 carries ~3000 counts.
    last = frames[n - 1]
    band = ((n - 1) // 3) % 64
    assert last[band].min() >= 3000 - 100, "last frame is not the generated one"
    return n


def record(tmp, capture, name):
    out = os.path.join(tmp, name)
    proc = subprocess.Popen(
        [ROLLMAT, "record", "--realtime", "--device", "file:" + capture, "-o", out],
        stderr=subprocess.PIPE, text=True)
    wait_for(out, proc)
    return out, proc


def main():
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "c.rmw")
        subprocess.run([os.path.join(BIN, "make_capture"), capture, "3000", "64", "32",
                        str(RATE)], check=True)

        # SIGKILL: whatever was flushed stays readable.
        out, proc = record(tmp, capture, "killed.h5")
        time.sleep(6.0)
        proc.kill()
        proc.wait()
        with h5py.File(out, "r", libver="latest", swmr=True) as f:
            n = check_frames(f, 5 * RATE)
            print(f"SIGKILL at 6 s: {n} frames readable ({n / RATE:.2f} s)")

        # SIGTERM and SIGINT: a clean stop and a complete file.
        for sig, name in ((signal.SIGTERM, "term.h5"), (signal.SIGINT, "int.h5")):
            out, proc = record(tmp, capture, name)
            time.sleep(1.5)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, f"{sig.name}: exit {proc.returncode}: {err}"
            with h5py.File(out, "r") as f:
                n = check_frames(f, 1)
                assert int(f.attrs["complete"]) == 1, "not marked complete"
                for c in ("frames_dropped", "crc_errors", "bytes_skipped", "disconnects"):
                    assert int(f.attrs[c]) == 0, (c, f.attrs[c])
                print(f"{sig.name}: {n} frames, complete")
            info = subprocess.run([ROLLMAT, "info", out], capture_output=True, text=True)
            assert info.returncode == 0, info.stderr


if __name__ == "__main__":
    main()

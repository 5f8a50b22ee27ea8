"""Calibration steps work in bounded memory and refuse what they cannot do
(issue 12 items 4 and 10): a 4096 x 4096 mat is refused with one line
naming the file and the memory it would need, never by asking for 27 GB
(checked under an address-space limit where the build allows one); a zero
from fewer than 50 frames is refused."""
import os
import resource
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
MAKE = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rm_test_make_recording")
def sanitized():
    """ASan reserves terabytes of address space: no RLIMIT_AS under it."""
    with open(ROLLMAT, "rb") as f:
        return b"__asan_init" in f.read()


def huge_mat(path, frames=60, side=4096):
    with h5py.File(path, "w") as f:
        f.attrs["rollmat_format"] = "recording"
        f.attrs["rollmat_format_version"] = np.int32(1)
        for k in ("created_utc", "device_model", "device_serial", "device_firmware"):
            f.attrs[k] = "x"
        f.attrs["rows"] = np.int32(side)
        f.attrs["cols"] = np.int32(side)
        f.attrs["pitch_row_mm"] = 1.0
        f.attrs["pitch_col_mm"] = 1.0
        f.attrs["adc_bits"] = np.int32(12)
        f.attrs["rate_hz"] = 100.0
        for k in ("frames_dropped", "crc_errors", "bytes_skipped", "disconnects"):
            f.attrs[k] = np.int64(0)
        # Never written: every chunk reads as the fill value, the file stays small.
        d = f.create_dataset("frames", shape=(frames, side, side), dtype="<u2",
                             chunks=(1, 256, 256), compression="gzip")
        d.attrs["units"] = "counts"
        t = f.create_dataset("t", data=np.arange(frames) / 100.0)
        t.attrs["units"] = "s"
        f.create_dataset("seq", data=np.arange(frames, dtype=np.uint64))
        ev = np.zeros(0, dtype=[("t", "<f8"), ("kind", "S16"), ("label", "S64")])
        f.create_dataset("events", data=ev, maxshape=(None,))


def main():
    with scratch("rollmat-calib-limits-") as tmp:
        big = os.path.join(tmp, "big.h5")
        huge_mat(big)
        limit = None if sanitized() else 1536 << 20

        def pre():
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cal = os.path.join(tmp, "cal.h5")
        p = subprocess.run([ROLLMAT, "calib", "zero", "-o", cal, big], capture_output=True,
                           text=True, timeout=300, preexec_fn=pre)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1, f"4096 x 4096: exit {p.returncode}, expected 1 ({lines})")
        check(len(lines) == 1 and lines[0].startswith(f"rollmat: {big}: ")
              and "MiB" in lines[0], f"4096 x 4096: one line naming the file and MiB: {lines}")
        check(not os.path.exists(cal), "4096 x 4096: no calibration written")

        short = os.path.join(tmp, "short.h5")
        subprocess.run([MAKE, short, "30", "1", "30"], check=True)
        p = subprocess.run([ROLLMAT, "calib", "zero", "-o", cal, short], capture_output=True,
                           text=True, timeout=120)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 3 and len(lines) == 1 and lines[0].startswith(f"rollmat: {short}")
              and "at least 50 frames" in lines[0],
              f"30 frames: exit {p.returncode}, {lines}")
        check(not os.path.exists(cal), "30 frames: no calibration written")
    finish()


if __name__ == "__main__":
    main()

"""`rollmat record` as a user runs it (shared/spec/cli.md): a capture with two
corrupted frames replayed into a recording keeps every intact frame bit for
bit (checked against an independent Python decoder of the capture) with
exact counters; --duration, --calibration, --compression; usage errors
exit 2, bad input exits 3 with one line, and no output file is left.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
BIN = os.environ["ROLLMAT_BIN_DIR"]


def run(*args):
    return subprocess.run([ROLLMAT, "record", *args], capture_output=True, text=True)


def decode_capture(path):
    """The spec's decoder in a few lines: intact frames as (seq, t_us, counts)."""
    data = open(path, "rb").read()
    assert data[:8] == b"RMWIRE01"
    rows, cols = data[10], data[11]
    stream = data[72:]
    size = 16 + 2 * rows * cols + 4
    frames, pos = [], 0
    while True:
        pos = stream.find(b"RMF1", pos)
        if pos < 0 or pos + size > len(stream):
            break
        body = stream[pos:pos + size - 4]
        (crc,) = struct.unpack_from("<I", stream, pos + size - 4)
        if body[12] == rows and body[13] == cols and zlib.crc32(body) == crc:
            seq, t_us = struct.unpack_from("<II", body, 4)
            counts = np.frombuffer(body[16:], dtype="<u2").reshape(rows, cols)
            frames.append((seq, t_us, counts))
            pos += size
        else:
            pos += 4
    return rows, cols, frames


def expect_fail(res, code, what):
    assert res.returncode == code, f"{what}: exit {res.returncode}, want {code}: {res.stderr}"
    lines = res.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("rollmat: "), f"{what}: {res.stderr!r}"


def write_calibration(path, rows, cols, serial):
    with h5py.File(path, "w") as f:
        f.attrs["rollmat_format"] = "calibration"
        f.attrs["rows"] = np.int32(rows)
        f.attrs["cols"] = np.int32(cols)
        f.attrs["device_serial"] = serial
        f.attrs["created_utc"] = "2026-11-23T07:00:00Z"
        f.attrs["curve"] = "power"
        f.attrs["curve_a"] = 0.5
        f.attrs["curve_b"] = 1.1
        f["offset"] = np.full((rows, cols), 12.0, dtype=np.float32)
        f["gain"] = np.ones((rows, cols), dtype=np.float32)
        f["dead"] = np.zeros((rows, cols), dtype=np.uint8)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "two-bad.rmw")
        subprocess.run([os.path.join(BIN, "make_capture"), cap, "600", "24", "16", "100",
                        "17", "432"], check=True)
        rows, cols, frames = decode_capture(cap)
        assert len(frames) == 598

        out = os.path.join(tmp, "y.h5")
        res = run("--device", "file:" + cap, "-o", out)
        assert res.returncode == 0, res.stderr
        with h5py.File(out, "r") as f:
            assert f["frames"].shape == (598, rows, cols)
            got = f["frames"][:]
            seq, t = f["seq"][:], f["t"][:]
            for k, (s, t_us, counts) in enumerate(frames):
                assert seq[k] == s, (k, seq[k], s)
                assert abs(t[k] - (t_us - frames[0][1]) * 1e-6) < 1e-9, (k, t[k])
                assert np.array_equal(got[k], counts), f"frame {k} differs"
            a = f.attrs
            assert (int(a["crc_errors"]), int(a["frames_dropped"])) == (2, 2)
            assert int(a["bytes_skipped"]) == 2 * (16 + 2 * rows * cols)
            assert int(a["disconnects"]) == 0
            assert a["rows"] == rows and a["cols"] == cols
            assert f["frames"].attrs["units"] in (b"counts", "counts")

        # --duration on the device clock, --compression 0, --calibration.
        cal = os.path.join(tmp, "cal.h5")
        write_calibration(cal, rows, cols, "ANOTHER-MAT")
        out2 = os.path.join(tmp, "d.h5")
        res = run("--device", "file:" + cap, "-o", out2, "--duration", "1.5",
                  "--compression", "0", "--calibration", cal)
        assert res.returncode == 0, res.stderr
        assert "ANOTHER-MAT" in res.stderr, "serial mismatch is not warned about"
        with h5py.File(out2, "r") as f:
            assert f["frames"].shape[0] == 150 - 1, f["frames"].shape  # frame 17 is bad
            assert f["t"][-1] < 1.5
            assert "calibration" in f and f["calibration"]["offset"].shape == (rows, cols)
            assert f["frames"].compression is None

        # The simulated mat, paced in real time: one second of it.
        out_sim = os.path.join(tmp, "sim.h5")
        res = run("--device", "sim:good", "--duration", "1", "-o", out_sim)
        assert res.returncode == 0, res.stderr
        with h5py.File(out_sim, "r") as f:
            model = f.attrs["device_model"]
            assert model in (b"simulated", "simulated"), model
            n = f["frames"].shape[0]
            rate = float(f.attrs["rate_hz"])
            assert n == round(rate), (n, rate)
            assert (np.diff(f["t"][:]) > 0).all()
        res = run("--device", "sim:no-such-scenario", "-o", out_sim + "x")
        expect_fail(res, 2, "unknown scenario")
        assert "good" in res.stderr, res.stderr

        # Bad input: exit 3, one line, no output file.
        bad_cal = os.path.join(tmp, "badcal.h5")
        write_calibration(bad_cal, rows + 1, cols, "GEN-0001")
        out3 = os.path.join(tmp, "never.h5")
        expect_fail(run("--device", "file:" + cap, "-o", out3, "--calibration", bad_cal), 3,
                    "calibration grid mismatch")
        notcap = os.path.join(tmp, "not.rmw")
        open(notcap, "wb").write(b"hello, this is no capture at all" * 4)
        res = run("--device", "file:" + notcap, "-o", out3)
        expect_fail(res, 3, "not a capture")
        assert f"{notcap}:header:" in res.stderr, res.stderr
        assert not os.path.exists(out3), "a failed record left an output file"

        # Usage errors: exit 2.
        expect_fail(run("--device", "file:" + cap), 2, "missing -o")
        expect_fail(run("--device", "file:" + cap, "-o", out3, "--compression", "10"), 2,
                    "compression 10")
        expect_fail(run("--device", "file:" + cap, "-o", out3, "--duration", "-1"), 2,
                    "negative duration")
        expect_fail(run("--bogus", "-o", out3), 2, "unknown option")
        expect_fail(run("--device", "floppy", "-o", out3), 2, "bad device spec")
        res = run("--help")
        assert res.returncode == 0 and "--device SPEC" in res.stdout


if __name__ == "__main__":
    main()

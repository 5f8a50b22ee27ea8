"""A recording written by rollmat, read with h5py as an outside user would:
every name, dtype, shape and units attribute of
shared/spec/recording-format.md, string attributes as str (not bytes), /t,
/row_mm and /col_mm as the dimension scales of /frames with its dimension
labels, the calibration's units and formula, UTF-8 event strings, the values the writer was given, and a
killed-writer repair with `h5clear -s --increment`."""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

BIN = os.environ["ROLLMAT_BIN_DIR"]
MAKE = os.path.join(BIN, "rm_test_make_recording")
FRAMES = 257

ROOT_ATTRS = {
    "rollmat_format": str,
    "rollmat_format_version": np.integer,
    "created_utc": str,
    "device_model": str,
    "device_serial": str,
    "device_firmware": str,
    "rows": np.integer,
    "cols": np.integer,
    "pitch_row_mm": np.floating,
    "pitch_col_mm": np.floating,
    "adc_bits": np.integer,
    "rate_hz": np.floating,
    "frames_dropped": np.int64,
    "crc_errors": np.int64,
    "bytes_skipped": np.int64,
    "disconnects": np.int64,
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def check_recording(path):
    with h5py.File(path, "r") as f:
        for name, kind in ROOT_ATTRS.items():
            check(name in f.attrs, f"root attribute {name} present")
            if name in f.attrs:
                v = f.attrs[name]
                check(isinstance(v, kind), f"root attribute {name} is {kind}, got {type(v)}")
        check(f.attrs["rollmat_format"] == "recording", "rollmat_format = recording")
        check(f.attrs["rollmat_format_version"] == 1, "version 1")
        check(f.attrs["rows"] == 48 and f.attrs["cols"] == 24, "rows, cols")
        check(f.attrs["rows"].dtype == np.int32, "rows is a native int")
        check(f.attrs["rate_hz"].dtype == np.float64, "rate_hz is float64")
        check(
            [int(f.attrs[k]) for k in ("frames_dropped", "crc_errors", "bytes_skipped",
                                       "disconnects")] == [1, 2, 3, 4],
            "counters written at close",
        )
        check(int(f.attrs["complete"]) == 1, "complete = 1 after close")
        created = f.attrs["created_utc"]
        check(len(created) == 20 and created.endswith("Z") and created[10] == "T",
              f"created_utc ISO 8601 UTC: {created}")

        frames, t, seq, events = f["frames"], f["t"], f["seq"], f["events"]
        check(frames.dtype == np.uint16, "frames uint16")
        check(frames.shape == (FRAMES, 48, 24), f"frames shape {frames.shape}")
        check(frames.chunks is not None and frames.chunks[1:] == (48, 24),
              "frames chunked along N")
        check(frames.maxshape[0] is None, "frames extendable along N")
        check(frames.compression == "gzip" and frames.shuffle, "shuffle + deflate")
        check(frames.attrs["units"] == "counts", "frames units")
        check(isinstance(frames.attrs["units"], str), "frames units is str")
        check(t.dtype == np.float64 and t.shape == (FRAMES,), "t float64 [N]")
        check(t.attrs["units"] == "s", "t units")
        check(seq.dtype == np.uint64 and seq.shape == (FRAMES,), "seq uint64 [N]")
        check(events.dtype.names == ("t", "kind", "label"), f"events fields {events.dtype}")
        check(events.dtype["t"] == np.float64, "events t float64")
        check(events.dtype["kind"] == np.dtype("S16"), "events kind fixed 16 bytes")
        check(events.dtype["label"] == np.dtype("S64"), "events label fixed 64 bytes")
        check(events.maxshape == (None,), "events extendable")

        check(h5py.h5ds.is_scale(t.id), "/t is a dimension scale")
        check(frames.dims[0].keys() == ["t"] and frames.dims[0][0] == t,
              "/t attached to /frames axis 0")

        # Values.
        i = np.arange(FRAMES)[:, None, None]
        k = np.arange(48 * 24).reshape(48, 24)[None, :, :]
        want = ((i * 7 + k) % 4096).astype(np.uint16)
        check(np.array_equal(frames[:], want), "frames values")
        check(np.array_equal(t[:], np.arange(FRAMES) / 100.0), "t values")
        check(np.array_equal(seq[:], np.arange(FRAMES, dtype=np.uint64)), "seq values")
        ev = events[:]
        check(len(ev) == 2, "two events")
        check(ev[0]["kind"] == b"segment_start" and ev[0]["label"] == b"calf-left",
              f"event 0 {ev[0]}")
        check(ev[1]["kind"] == b"segment_end", "event 1")

        cal = f["calibration"]
        check(cal.attrs["curve"] == "power" and isinstance(cal.attrs["curve"], str),
              "calibration curve")
        check(cal.attrs["rows"] == 48 and cal.attrs["cols"] == 24, "calibration grid")
        check(abs(cal.attrs["curve_a"] - 0.05) < 1e-15 and cal.attrs["curve_b"] == 1.2,
              "curve a, b")
        check(isinstance(cal.attrs["device_serial"], str), "calibration serial str")
        for name, dt in (("offset", np.float32), ("gain", np.float32), ("dead", np.uint8)):
            check(cal[name].dtype == dt and cal[name].shape == (48, 24),
                  f"calibration {name} {cal[name].dtype} {cal[name].shape}")
        check(np.all(cal["gain"][:] == 1.0), "gain 1")
        # The file explains itself (docs/recording.md, "Reading a recording").
        check([d.label for d in frames.dims] == ["t", "row", "col"],
              f"frames dimension labels {[d.label for d in frames.dims]}")
        for dim, name, pitch in ((1, "row_mm", f.attrs["pitch_row_mm"]),
                                 (2, "col_mm", f.attrs["pitch_col_mm"])):
            keys = frames.dims[dim].keys()
            check(keys == [name], f"/{name} attached to /frames axis {dim}: {keys}")
            if keys == [name]:
                scale = frames.dims[dim][0]
                check(h5py.h5ds.is_scale(scale.id), f"/{name} is a dimension scale")
                check(np.allclose(scale[:], np.arange(frames.shape[dim]) * pitch),
                      f"/{name} in mm")
                check(scale.attrs["units"] == "mm", f"/{name} units")
        check(cal.attrs.get("units") == "kPa", "calibration units attribute")
        formula = cal.attrs.get("formula", "")
        check(isinstance(formula, str) and "curve_a * x ** curve_b" in formula
              and "gain * (frames - offset)" in formula, f"calibration formula {formula!r}")
        for field in ("kind", "label"):
            info = h5py.check_string_dtype(events.dtype[field])
            check(info is not None and info.encoding == "utf-8",
                  f"events {field} declared UTF-8: {info}")
        check(ev[0]["label"].decode("utf-8") == "calf-left", "event label decodes")


def check_killed_and_repaired(tmp):
    """A SWMR file whose writer died: h5py reads it with swmr=True only;
    `h5clear -s --increment` makes it plain and keeps every frame."""
    path = os.path.join(tmp, "killed.h5")
    # Start a writer and kill it: the C test does this with fork; here the
    # maker writes 10,000,000 frames (never finishes) and we kill it once
    # the file holds frames.
    proc = subprocess.Popen([MAKE, path, "10000000", "1", "10"])
    try:
        n = 0
        for _ in range(600):
            try:
                with h5py.File(path, "r", libver="latest", swmr=True) as f:
                    n = f["frames"].shape[0]
            except Exception:  # not created yet, or caught between writes
                n = 0
            if n >= 100:
                break
            subprocess.run(["sleep", "0.05"])
    finally:
        proc.kill()
        proc.wait()
    check(n >= 100, f"the live file was readable with swmr=True ({n} frames)")
    try:
        h5py.File(path, "r").close()
        check(False, "a killed SWMR file opens without swmr")
    except OSError:
        pass
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        before = f["frames"].shape[0]
        check(int(f.attrs["complete"]) == 0, "killed file: complete = 0")
    if shutil.which("h5clear"):
        subprocess.run(["h5clear", "-s", "--increment", path], check=True)
        with h5py.File(path, "r") as f:
            check(f["frames"].shape[0] == before, "h5clear --increment kept every frame")
            check(np.array_equal(f["seq"][:], np.arange(before, dtype=np.uint64)),
                  "repaired seq")
    else:
        print("h5clear not installed; repair not checked")


def check_live_reader_does_not_block_close(tmp):
    """A viewer holding the file open with swmr=True while the writer
    closes: the writer still marks it complete, and the viewer sees the
    final frames after a refresh."""
    path = os.path.join(tmp, "live.h5")
    proc = subprocess.Popen([MAKE, path, "300", "1", "20", "3000"])
    f = None
    try:
        for _ in range(600):
            try:
                f = h5py.File(path, "r", libver="latest", swmr=True)
                if f["frames"].shape[0] >= 20:
                    break
                f.close()
                f = None
            except Exception:  # not created yet, or caught between writes
                f = None
            subprocess.run(["sleep", "0.05"])
        check(f is not None, "live file opened with swmr=True")
        check(proc.wait(timeout=60) == 0, "writer closed cleanly with a live reader")
        if f is not None:
            f["frames"].refresh()
            check(f["frames"].shape[0] == 300, f"live reader sees all frames after refresh")
            f.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if f is not None:
            f.close()
    with h5py.File(path, "r") as g:
        check(int(g.attrs["complete"]) == 1, "complete = 1 although a reader was open")
        check(int(g.attrs["disconnects"]) == 4, "counters written although a reader was open")


def main():
    tmp = tempfile.mkdtemp(prefix="rollmat-h5py-")
    try:
        path = os.path.join(tmp, "rec.h5")
        subprocess.run([MAKE, path, str(FRAMES), "1", "50"], check=True)
        check_recording(path)
        check_killed_and_repaired(tmp)
        check_live_reader_does_not_block_close(tmp)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


main()

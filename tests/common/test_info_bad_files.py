"""`rollmat info` on good and bad recordings: a valid file gives its summary
(text and --json); every kind of damaged or non-conforming file is refused
with exit 3 and exactly one stderr line naming the file and the object at
fault; variants the spec allows (fixed-length string attributes,
variable-length event strings) are accepted."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import make_killed  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
MAKE = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rm_test_make_recording")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def info(*args):
    p = subprocess.run([ROLLMAT, "info", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def replace(f, name, data, **attrs):
    del f[name]
    d = f.create_dataset(name, data=data)
    for k, v in attrs.items():
        d.attrs[k] = v


def set_attr(name, value, obj="/"):
    def edit(f):
        f[obj].attrs[name] = value
    return edit


def delete(name, obj="/"):
    def edit(f):
        if name in f[obj].attrs:
            del f[obj].attrs[name]
        else:
            del f[obj][name]
    return edit


def not_increasing(f):
    t = f["t"][:]
    t[7] = t[6]
    f["t"][:] = t


def other_grid_calibration(f):
    g = f["calibration"]
    g.attrs["rows"] = np.int32(4)
    g.attrs["cols"] = np.int32(4)
    replace(g, "offset", np.zeros((4, 4), np.float32))
    replace(g, "gain", np.ones((4, 4), np.float32))
    replace(g, "dead", np.zeros((4, 4), np.uint8))


# (file name, edit, text the one error line must contain)
BAD = [
    ("missing-t.h5", delete("t"), ":/t: missing dataset"),
    ("missing-frames.h5", delete("frames"), ":/frames: missing dataset"),
    ("missing-events.h5", delete("events"), ":/events: missing dataset"),
    ("frames-rank2.h5",
     lambda f: replace(f, "frames", np.zeros((100, 48 * 24), np.uint16), units="counts"),
     ":/frames: rank 2, expected 3"),
    ("frames-float.h5",
     lambda f: replace(f, "frames", np.zeros((100, 48, 24), np.float32), units="counts"),
     ":/frames: type is not uint16"),
    ("seq-int8.h5", lambda f: replace(f, "seq", np.zeros(100, np.int8)),
     ":/seq: type is not uint64"),
    ("t-float32.h5",
     lambda f: replace(f, "t", np.arange(100, dtype=np.float32), units="s"),
     ":/t: type is not float64"),
    ("rows-mismatch.h5", set_attr("rows", np.int32(40)),
     ":/frames: frames are 48 x 24, attributes rows x cols say 40 x 24"),
    ("t-not-increasing.h5", not_increasing, ":/t: not strictly increasing at index 7"),
    ("t-short.h5",
     lambda f: replace(f, "t", np.arange(99) / 100.0, units="s"),
     ":/t: 99 values, /frames has 100"),
    ("calibration-shape.h5",
     lambda f: replace(f["calibration"], "offset", np.zeros((4, 4), np.float32)),
     ":/calibration/offset: shape [4, 4], expected [48, 24]"),
    ("calibration-other-grid.h5", other_grid_calibration,
     ":/calibration: calibration is 4 x 4, the recording 48 x 24"),
    ("calibration-invalid.h5", set_attr("curve_a", -1.0, "/calibration"),
     ":/calibration: power curve a = -1"),
    ("calibration-curve.h5", set_attr("curve", "spline", "/calibration"),
     ":/calibration: curve is \"spline\""),
    ("format.h5", set_attr("rollmat_format", "calibration"), ":/: is a calibration file"),
    ("other-format.h5", set_attr("rollmat_format", "something"),
     ":/: rollmat_format is \"something\""),
    ("no-format.h5", delete("rollmat_format"), ":/: no rollmat_format attribute"),
    # A value quoted in the message must not break the one line.
    ("format-newline.h5", set_attr("rollmat_format", "rec\nording"),
     ":/: rollmat_format is \"rec?ording\""),
    ("version.h5", set_attr("rollmat_format_version", np.int32(2)),
     ":/: rollmat_format_version is 2"),
    ("missing-serial.h5", delete("device_serial"), ":/: missing attribute device_serial"),
    ("rows-string.h5", set_attr("rows", "48"), ":/: attribute rows is not an integer"),
    ("rate-array.h5", set_attr("rate_hz", np.array([100.0, 50.0])),
     ":/: attribute rate_hz is not a single value"),
    ("rate-nan.h5", set_attr("rate_hz", np.nan), ":/: attribute rate_hz is not a finite"),
    ("dropped-negative.h5", set_attr("frames_dropped", np.int64(-1)),
     ":/: attribute frames_dropped = -1 is out of range"),
    ("units.h5", set_attr("units", "kPa", "/frames"),
     ":/frames: units are \"kPa\", expected \"counts\""),
    ("events-type.h5", lambda f: replace(f, "events", np.zeros(3)),
     ":/events: type is not a compound"),
]


def make_bad(good, tmp, name, edit):
    path = os.path.join(tmp, name)
    shutil.copy(good, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def expect_refused(path, needle):
    rc, out, err = info(path)
    lines = err.strip().splitlines()
    check(rc == 3, f"{os.path.basename(path)}: exit {rc}, expected 3 ({err.strip()})")
    check(len(lines) == 1, f"{os.path.basename(path)}: one stderr line, got {lines}")
    check(lines and lines[0].startswith(f"rollmat: {path}"),
          f"{os.path.basename(path)}: line names the file: {lines}")
    check(needle in err, f"{os.path.basename(path)}: '{needle}' not in '{err.strip()}'")
    check(out == "", f"{os.path.basename(path)}: nothing on stdout")


def expect_accepted(path, what):
    rc, out, err = info("--json", path)
    check(rc == 0, f"{what}: exit {rc} ({err.strip()})")
    return json.loads(out) if rc == 0 else None


def check_killed_writer(tmp):
    """A writer killed mid-session: info still reads it (exit 0), says it is
    incomplete, and names the safe repair command, never plain h5clear -s."""
    path = os.path.join(tmp, "killed.h5")
    make_killed(MAKE, path)
    rc, out, err = info(path)
    check(rc == 0, f"killed file: exit {rc} ({err.strip()})")
    check("INCOMPLETE" in out, "killed file: summary says INCOMPLETE")
    check(f"h5clear -s --increment {path}" in err, f"killed file: repair named: {err!r}")
    rc, out, err = info("--json", path)
    check(rc == 0 and json.loads(out)["complete"] is False, "killed file: json complete false")
    check(json.loads(out)["frames"] >= 30 if rc == 0 else False, "killed file: frames kept")


def main():
    tmp = tempfile.mkdtemp(prefix="rollmat-info-")
    try:
        good = os.path.join(tmp, "good.h5")
        subprocess.run([MAKE, good, "100", "1", "30"], check=True)

        # The good file, as text and JSON.
        rc, out, err = info(good)
        check(rc == 0 and err == "", f"good file: exit {rc}, stderr {err!r}")
        for word in ("48 rows x 24 cols", "100 over 0.990 s", "1 frames dropped",
                     "segment_start", "power curve", "complete"):
            check(word in out, f"text summary mentions '{word}'")
        doc = expect_accepted(good, "good file --json")
        if doc:
            check(doc["frames"] == 100 and doc["rows"] == 48 and doc["cols"] == 24, "json grid")
            check(doc["complete"] is True, "json complete")
            check(abs(doc["duration_s"] - 0.99) < 1e-9, "json duration")
            check(doc["frames_dropped"] == 1 and doc["disconnects"] == 4, "json counters")
            check([e["kind"] for e in doc["events"]] == ["segment_start", "segment_end"],
                  "json events")
            check(doc["calibration"]["curve"] == "power", "json calibration")

        # A summary that cannot be written (disk full) is a failure, not exit 0.
        for args in ([good], ["--json", good]):
            with open("/dev/full", "w") as full:
                p = subprocess.run([ROLLMAT, "info", *args], stdout=full,
                                   stderr=subprocess.PIPE, text=True, timeout=60)
            check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
                  and "stdout" in p.stderr,
                  f"info {' '.join(args[:-1])} > /dev/full: exit {p.returncode}, {p.stderr!r}")

        # Usage.
        check(info("--help")[0] == 0 and "usage: rollmat info" in info("--help")[1], "--help")
        check(info()[0] == 2, "no file: exit 2")
        check(info("--bogus", good)[0] == 2, "unknown option: exit 2")
        check(info(good, good)[0] == 2, "two files: exit 2")

        # Not HDF5, truncated.
        text = os.path.join(tmp, "text.h5")
        with open(text, "w") as f:
            f.write("this is not a recording\n")
        expect_refused(text, ": not an HDF5 file")
        empty = os.path.join(tmp, "empty.h5")
        open(empty, "w").close()
        expect_refused(empty, ": not an HDF5 file")
        trunc = os.path.join(tmp, "truncated.h5")
        with open(good, "rb") as src, open(trunc, "wb") as dst:
            data = src.read()
            dst.write(data[: len(data) // 2])
        expect_refused(trunc, ": truncated HDF5 file")

        check_killed_writer(tmp)

        # A file another program holds open for writing (not SWMR): exit 1,
        # "locked", not "damaged".
        locked = os.path.join(tmp, "locked.h5")
        with h5py.File(locked, "w") as f:
            f.flush()
            rc, out, err = info(locked)
            check(rc == 1 and "locked by a program writing it" in err,
                  f"locked file: exit {rc}, {err.strip()}")

        for name, edit, needle in BAD:
            expect_refused(make_bad(good, tmp, name, edit), needle)

        # Allowed variants: fixed-length string attributes (h5py writes
        # numpy bytes as fixed), variable-length strings in /events.
        def fixed_strings(f):
            for k in ("device_model", "rollmat_format", "created_utc"):
                f.attrs[k] = np.bytes_(str(f.attrs[k]))
            f["frames"].attrs["units"] = np.bytes_("counts")
        fixed = make_bad(good, tmp, "fixed-strings.h5", fixed_strings)
        doc = expect_accepted(fixed, "fixed-length string attributes")
        if doc:
            check(doc["device_model"] == "simulated", "fixed string value")

        def vlen_events(f):
            dt = np.dtype([("t", "<f8"), ("kind", h5py.string_dtype()),
                           ("label", h5py.string_dtype())])
            data = np.array([(0.5, "mark", "a longer free-text note than the fixed field")],
                            dtype=dt)
            del f["events"]
            f.create_dataset("events", data=data, maxshape=(None,))
        # Fixed-length strings are bytes: another writer may put Latin-1
        # in them. --json still gives every key, as valid UTF-8.
        def latin1_strings(f):
            f.attrs["device_model"] = np.bytes_(b"Matte caf\xe9")
            dt = f["events"].dtype
            f["events"][0] = np.array((0.25, b"mark", b"cr\xe8me"), dtype=dt)
        latin = make_bad(good, tmp, "latin1.h5", latin1_strings)
        doc = expect_accepted(latin, "Latin-1 bytes in fixed-length strings")
        if doc:
            check(doc.get("device_model") == "Matte caf\ufffd",
                  f"latin-1 device_model: {doc.get('device_model')!r}")
            check(doc["events"][0] == {"t": 0.25, "kind": "mark", "label": "cr\ufffdme"},
                  f"latin-1 event label: {doc['events'][0]}")

        # The spec's fixed 16 / 64 byte fields, written from str by h5py:
        # fixed-length strings with the UTF-8 character set.
        def utf8_fixed_events(f):
            dt = np.dtype([("t", "<f8"), ("kind", h5py.string_dtype("utf-8", 16)),
                           ("label", h5py.string_dtype("utf-8", 64))])
            data = np.array([(0.5, "mark".encode(), "crème brûlée".encode())], dtype=dt)
            del f["events"]
            f.create_dataset("events", data=data, maxshape=(None,))
        u8 = make_bad(good, tmp, "utf8-fixed-events.h5", utf8_fixed_events)
        doc = expect_accepted(u8, "fixed-length UTF-8 event strings")
        if doc:
            check(doc["events"] == [{"t": 0.5, "kind": "mark", "label": "crème brûlée"}],
                  f"fixed UTF-8 events read back: {doc['events']}")

        vl = make_bad(good, tmp, "vlen-events.h5", vlen_events)
        doc = expect_accepted(vl, "variable-length event strings")
        if doc:
            check(doc["events"] == [{"t": 0.5, "kind": "mark",
                                     "label": "a longer free-text note than the fixed field"}],
                  f"vlen events read back: {doc['events']}")
    finally:
        shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


main()

"""Text at the edges (rm_text.h) on a recording another writer made: a
device model, serial and event label holding ESC, BEL, a C1 control and a
byte that is not UTF-8 are cleaned where the file is read, so `rollmat
info` (text and --json) and `rollmat analyze` print no control character
and valid UTF-8, and no JSON key goes missing."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
VENDOR = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "import", "data")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def clean(text):
    return not any((ord(c) < 0x20 and c not in "\n") or 0x7f <= ord(c) <= 0x9f for c in text)


def run(*args):
    r = subprocess.run([ROLLMAT, *args], capture_output=True)
    return r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # strict UTF-8


def vendor_encodings(tmp):
    # Tekscan: Windows-1252 bytes in the header (0xE9 e-acute, 0x80 euro).
    with open(os.path.join(VENDOR, "iscan_test.csv"), "rb") as f:
        data = f.read()
    data = data.replace(b"HARDWARE 102-B578", b"HARDWARE 102-B578 caf\xe9 \x80", 1)
    src = os.path.join(tmp, "tek.csv")
    with open(src, "wb") as f:
        f.write(data)
    out = os.path.join(tmp, "tek.h5")
    rc, _, err = run("import", "--format", "tekscan", "-o", out, src)
    check(rc == 0, f"tekscan import: {rc} {err}")
    rc, text, err = run("info", "--json", out)
    serial = json.loads(text).get("device_serial") if rc == 0 else None
    check(serial == "102-B578 caf\u00e9 \u20ac", f"tekscan serial decoded: {serial!r}")
    # XSENSOR: UTF-8; a stray byte that is not UTF-8 becomes U+FFFD, the
    # file's own "cm\u00b2" stays.
    with open(os.path.join(VENDOR, "xsensor_data.csv"), "rb") as f:
        lines = f.read().split(b"\n")
    bad = next(i for i, l in enumerate(lines) if b"Contact Area (cm\xc2\xb2)" in l)
    lines.insert(bad, b"Note:caf\xe9")
    src = os.path.join(tmp, "xs.csv")
    with open(src, "wb") as f:
        f.write(b"\n".join(lines))
    rc, _, err = run("import", "--format", "xsensor", "-o", os.path.join(tmp, "xs.h5"), src)
    check(rc in (0, 3) and clean(err) and "\x1b" not in err, f"xsensor import: {rc} {err!r}")


def main():
    tmp = tempfile.mkdtemp(prefix="rm-text-")
    try:
        h5 = os.path.join(tmp, "a.h5")
        rc, _, err = run("sim", "--scenario", "good", "--seed", "3", "-o", h5)
        assert rc == 0, err
        with h5py.File(h5, "r+") as f:
            f.attrs["device_model"] = np.bytes_(b"Evil\x1b]0;owned\x07Mat")
            f.attrs["device_serial"] = np.bytes_(b"S\xc2\x9b1\xff")
            ev = f["events"][()]
            ev["label"] = [b"calf\x1b[31m-left" if k == b"segment_start" else lab
                           for k, lab in zip(ev["kind"], ev["label"])]
            del f["events"]
            f.create_dataset("events", data=ev)
        rc, out, err = run("info", h5)
        check(rc == 0, f"info: exit {rc}: {err}")
        check(clean(out), f"info prints control characters: {out!r}")
        check("Evil]0;ownedMat" in out, f"info: model not shown cleaned: {out!r}")
        rc, out, err = run("info", "--json", h5)
        check(rc == 0 and clean(out), f"info --json: {rc} {out!r}")
        doc = json.loads(out)
        check(doc.get("device_model") == "Evil]0;ownedMat", f"device_model {doc.get('device_model')!r}")
        check(doc.get("device_serial") == "S1\ufffd", f"device_serial {doc.get('device_serial')!r}")
        check(any(e["label"] == "calf[31m-left" for e in doc["events"]), f"events {doc['events']}")
        rc, out, err = run("analyze", h5)
        check(rc == 0 and clean(out) and "calf[31m-left" in out, f"analyze: {rc} {out!r}")
        rc, out, err = run("analyze", "--json", h5)
        check(rc == 0 and clean(out), f"analyze --json: {rc}")
        labels = [s["label"] for s in json.loads(out)["segments"]]
        check("calf[31m-left" in labels, f"analyze labels {labels}")
        vendor_encodings(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Profile INI files are parsed strictly and refused with one line naming
file, line, key, value and what is allowed (issue 12 item 8, issue 18):
hex and NUL-cut numbers, inconsistent pairs (both lines named), binary
files (no raw bytes echoed), directories."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
MAKE = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rm_test_make_recording")
def analyze(profile, rec):
    p = subprocess.run([ROLLMAT, "analyze", "--json", "--profile", profile, rec],
                       capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def refused(tmp, rec, content, want_line, needles, code=3):
    path = os.path.join(tmp, "bad.ini")
    with open(path, "wb") as f:
        f.write(content)
    rc, out, err = analyze(path, rec)
    what = repr(content[:40])
    lines = err.splitlines()
    check(rc == code, f"{what}: exit {rc}, expected {code} ({err!r})")
    check(len(lines) == 1, f"{what}: one line, got {lines}")
    prefix = f"rollmat: {path}:{want_line}: " if want_line else f"rollmat: {path}"
    check(err.decode("utf-8", "replace").startswith(prefix), f"{what}: starts {prefix!r}: {err!r}")
    for n in needles:
        check(n.encode() in err, f"{what}: {n!r} not in {err!r}")
    check(all(0x20 <= b < 0x7f for b in err.rstrip(b"\n")),
          f"{what}: raw bytes echoed: {err!r}")


def main():
    with scratch("rollmat-profile-") as tmp:
        rec = os.path.join(tmp, "a.h5")
        subprocess.run([MAKE, rec, "100", "1", "30"], check=True)
        good = os.path.join(tmp, "good.ini")
        with open(good, "w") as f:
            f.write("[profile]\n# a comment\nhold_min_s = 6\nhold_target_min_s = 1.5e1\n")
        rc, out, err = analyze(good, rec)
        check(rc == 0, f"good profile: exit {rc} ({err!r})")

        refused(tmp, rec, b"[profile]\nhold_min_s = 0x10\n", 2,
                ["hold_min_s = '0x10'", "decimal number from 0 to"])
        refused(tmp, rec, b"hold_min_s = 3\x00junk\n", 1, ["NUL byte"])
        refused(tmp, rec, b"hold_min_s = inf\n", 1, ["hold_min_s = 'inf'"])
        refused(tmp, rec, b"hold_min_s = 1e999\n", 1, ["hold_min_s = '1e999'"])
        refused(tmp, rec, b"hold_min_s = -2\n", 1, ["hold_min_s = '-2'", "from 0 to"])
        refused(tmp, rec, b"pressure_max_kpa = 1e9\n", 1, ["pressure_max_kpa = '1e9'"])
        refused(tmp, rec, b"\n\nhold_target_min_s = 40\nhold_target_max_s = 30\n", 3,
                ["hold_target_min_s = 40", "hold_target_max_s = 30 (line 4)"])
        # The other side of the pair comes from the base profile.
        refused(tmp, rec, b"base = short\nhold_target_min_s = 40\n", 2,
                ["hold_target_min_s = 40", "hold_target_max_s = 12 (base profile 'short')"])
        refused(tmp, rec, b"roll_speed = 3\n", 1, ["unknown key 'roll_speed'", "hold_min_s"])
        refused(tmp, rec, b"base = nope\n", 1, ["base = 'nope'", "default, short, long"])
        # Binary: one line, nothing raw.
        refused(tmp, rec, bytes(range(1, 256)) * 4, None, [])
        refused(tmp, rec, b"hold_min_s = 3\xff\xfe\n", 1, ["hold_min_s = '3??'"])
        # A directory is no profile.
        rc, out, err = analyze(tmp, rec)
        check(rc == 2 and b"not a regular file" in err and len(err.splitlines()) == 1,
              f"directory: exit {rc}, {err!r}")
    finish()


if __name__ == "__main__":
    main()

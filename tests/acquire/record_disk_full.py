"""A recording that runs out of space (issue 12 item 7): the file-size limit
(RLIMIT_FSIZE, SIGXFSZ ignored) stands in for a full disk, as every write
past it fails. `record` exits 1 with one error line naming the file and the
system's reason (after its summary line), no HDF5 dump and no crash; `calib zero` and `import` the same."""
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
MAKE = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rm_test_make_recording")
def limited(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def error_lines(stderr):
    """The error lines of stderr, checking what else is there: `record`
    ends every recording with its summary line (issue 18), marked
    "(failed)" here and printed before the one error line, which is last."""
    lines = stderr.strip().splitlines()
    summary = [ln for ln in lines if ln.startswith("rollmat: record: ")]
    errors = [ln for ln in lines if ln not in summary]
    check(all("(failed)" in ln for ln in summary) and len(summary) <= 1,
          f"record's summary line on a failure: {summary}")
    check(not errors or lines[-1] == errors[-1], f"the error line is not the last: {lines}")
    return errors


def one_line_failure(args, limit, path, what, tmp):
    p = subprocess.run([ROLLMAT, *args], capture_output=True, text=True, timeout=120,
                       preexec_fn=limited(limit), cwd=tmp)
    lines = error_lines(p.stderr)
    check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1 ({p.stderr!r})")
    check(len(lines) == 1, f"{what}: one line, got {lines}")
    check(lines and lines[0].startswith(f"rollmat: {path}: ") and "File too large" in lines[0]
          and "errno" not in lines[0] and "buf =" not in lines[0],
          f"{what}: 'rollmat: {path}: ... File too large', got {lines}")


def read_only_folder(tmp, rec):
    """Writing into a folder without write permission: one line with the
    system's reason, not "unknown HDF5 error". As root (CI), the command
    runs as nobody, since root may write anywhere."""
    os.chmod(tmp, 0o755)
    os.chmod(rec, 0o644)
    ro = os.path.join(tmp, "ro")
    os.mkdir(ro, 0o555)
    os.chmod(ro, 0o555)

    def drop():
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
    cases = [(["calib", "zero", "-o", os.path.join(ro, "cal.h5"), rec], "calib zero"),
             (["record", "-d", "sim", "-t", "0.2", "-o", os.path.join(ro, "r.h5")], "record")]
    for args, what in cases:
        p = subprocess.run([ROLLMAT, *args], capture_output=True, text=True, timeout=120,
                           preexec_fn=drop, cwd=tmp)
        lines = error_lines(p.stderr)
        out = args[args.index("-o") + 1]
        check(p.returncode == 1 and len(lines) == 1
              and lines[0].startswith(f"rollmat: {out}: ") and "Permission denied" in lines[0],
              f"read-only folder, {what}: exit {p.returncode}, {lines}")
    check(os.listdir(ro) == [], f"read-only folder: nothing written: {os.listdir(ro)}")


def main():
    with scratch("rollmat-full-") as tmp:
        out = os.path.join(tmp, "full.h5")
        one_line_failure(["record", "-d", "sim", "-t", "20", "-o", out], 200000, out,
                         "record", tmp)
        rec = os.path.join(tmp, "empty.h5")
        subprocess.run([MAKE, rec, "300", "1", "30"], check=True)
        cal = os.path.join(tmp, "cal.h5")
        one_line_failure(["calib", "zero", "-o", cal, rec], 3000, cal, "calib zero", tmp)
        check(not os.path.exists(cal), "calib zero: no partial calibration left")
        check(not [f for f in os.listdir(tmp) if f.startswith(".")],
              f"no temporary file left: {os.listdir(tmp)}")
        read_only_folder(tmp, rec)
    finish()


if __name__ == "__main__":
    main()

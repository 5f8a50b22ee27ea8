"""Allocation failure along whole commands (issue 12 item 11), as SQLite
tests it: for every N, the N-th allocation made by rollmat's own code fails
(LD_PRELOAD library, see alloc_fail.c). Each run must succeed or fail
cleanly: exit 1 with one line "rollmat: ...", no crash, no more blocks left
unfreed than the run without failure, no output claimed complete after a
failure. Prints how many failure points each command has."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
MAKE = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rm_test_make_recording")
SHIM = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
def run(args, tmp, n):
    report = os.path.join(tmp, "alloc-report")
    env = dict(os.environ, LD_PRELOAD=SHIM, RM_ALLOC_FAIL_AT=str(n),
               RM_ALLOC_FAIL_REPORT=report)
    p = subprocess.run([ROLLMAT, *args], capture_output=True, text=True, timeout=120, env=env,
                       cwd=tmp, errors="replace")
    counted, outstanding = (int(x) for x in open(report).read().split())
    return p, counted, outstanding


def complete(path):
    import h5py
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("complete", 1) == 1 and "frames" in f or \
                f.attrs.get("rollmat_format") == "calibration"
    except Exception:
        return False


def campaign(name, args, tmp, output=None):
    def clean():
        if output and os.path.exists(output):
            os.remove(output)
    clean()
    base, total, base_left = run(args, tmp, 0)
    check(base.returncode == 0, f"{name}: exit {base.returncode} without failures: {base.stderr}")
    if total == 0:
        print(f"SKIP: {name}: no allocation seen (a sanitized build has its own malloc)")
        sys.exit(77)
    bad = 0
    for n in range(1, total + 1):
        clean()
        p, _, left = run(args, tmp, n)
        lines = p.stderr.strip().splitlines()
        what = f"{name}, allocation {n} of {total} failing"
        if p.returncode not in (0, 1):
            bad += 1
            check(False, f"{what}: exit {p.returncode}: {lines[-3:]}")
            continue
        if p.returncode == 1:
            ok = len(lines) >= 1 and all(l.startswith("rollmat: ") for l in lines) \
                and len(lines) == 1
            check(ok, f"{what}: one line, got {lines}")
            if output:
                check(not (os.path.exists(output) and complete(output)),
                      f"{what}: {os.path.basename(output)} left as if complete")
        check(left <= base_left, f"{what}: {left} blocks unfreed, {base_left} without failure")
    print(f"{name}: {total} failure points tried, {total - bad} survived")
    return total


def main():
    with scratch("rollmat-alloc-") as tmp:
        rec = os.path.join(tmp, "rec.h5")
        subprocess.run([MAKE, rec, "100", "1", "30"], check=True)
        zero = os.path.join(tmp, "zero.h5")
        subprocess.run([MAKE, zero, "60", "1", "30"], check=True)
        tek = os.path.join(tmp, "tek.csv")
        data = os.path.join(HERE, "..", "import", "data", "iscan_test.csv")
        lines = open(data).read().split("\n")[:86]
        lines = [l.replace("END_FRAME 309", "END_FRAME 2") for l in lines] + ["@@", ""]
        open(tek, "w").write("\n".join(lines))
        campaign("info", ["info", rec], tmp)
        campaign("analyze", ["analyze", "--json", rec], tmp)
        # A segment analysed in steps (segment.c), with a step before its end.
        steps = os.path.join(tmp, "steps.h5")
        subprocess.run([ROLLMAT, "sim", "--plan", os.path.join(HERE, "steps.plan"), "-o", steps],
                       check=True, stdout=subprocess.DEVNULL)
        os.environ["ROLLMAT_ANALYSIS_CHUNK"] = "1"
        log = subprocess.run([ROLLMAT, "analyze", "--json", steps], capture_output=True, text=True,
                             env=dict(os.environ, ROLLMAT_LOG="debug"))
        check(log.stderr.count("accounted frames") >= 2 and "(end)" in log.stderr,
              f"analyze in steps: no step before the segment's end: {log.stderr[-300:]}")
        campaign("analyze in steps", ["analyze", "--json", steps], tmp)
        del os.environ["ROLLMAT_ANALYSIS_CHUNK"]
        campaign("import", ["import", "-o", os.path.join(tmp, "imp.h5"), tek], tmp,
                 os.path.join(tmp, "imp.h5"))
        campaign("calib zero", ["calib", "zero", "-o", os.path.join(tmp, "cal.h5"), zero], tmp,
                 os.path.join(tmp, "cal.h5"))
        campaign("record", ["record", "-d", "sim", "-t", "0.2", "--force", "-o",
                            os.path.join(tmp, "r.h5")], tmp, os.path.join(tmp, "r.h5"))
    finish()


if __name__ == "__main__":
    main()

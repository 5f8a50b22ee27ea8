"""Progress of long commands (common/rm_progress.h): `rollmat import` and
`rollmat plot` show a progress line on a terminal (a real pty), cleared
before they finish; on a pipe they print no such line at all."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests"))
import terminal  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
DATA = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "import", "data")
TMP = tempfile.mkdtemp(prefix="progress-")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(name, argv, what):
    rc, text = terminal.run(argv)
    if rc != 0:
        fail(f"{name} on a terminal: exit {rc}: {text!r}")
    line = re.compile("\r\x1b\\[K" + what + r": +\d+%")
    if not line.search(text):
        fail(f"{name}: no progress line on a terminal: {text!r}")
    if not text.endswith("\r\x1b[K"):
        fail(f"{name}: progress line not cleared at the end: {text[-80:]!r}")
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0 or "\r" in out.stderr or what + ":" in out.stderr:
        fail(f"{name} on a pipe: exit {out.returncode}, stderr {out.stderr!r}")


check("import", [ROLLMAT, "import", "-o", os.path.join(TMP, "t.h5"),
                 os.path.join(DATA, "iscan_test.csv")], "import")
rec = os.path.join(TMP, "s.h5")
plan = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "plot", "two-muscles.plan")
subprocess.run([ROLLMAT, "sim", "--plan", plan, "-o", rec], check=True)
check("plot", [ROLLMAT, "plot", "--out", os.path.join(TMP, "plots"), rec], "plot")
print("ok")

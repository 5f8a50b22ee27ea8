"""Progress of long commands (common/rm_progress.h): `rollmat import` and
`rollmat plot` show a progress line on a terminal (a real pty), cleared
before they finish; on a pipe they print no such line at all."""
import os
import pty
import re
import subprocess
import sys
import tempfile

ROLLMAT = os.environ["ROLLMAT"]
DATA = os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests", "import", "data")
TMP = tempfile.mkdtemp(prefix="progress-")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def on_pty(argv):
    """Runs argv with stderr on a pty; returns (exit code, what it wrote)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return p.wait(timeout=120), seen.decode()


def check(name, argv, what):
    rc, text = on_pty(argv)
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
subprocess.run([ROLLMAT, "sim", "--scenario", "good", "-o", rec], check=True)
check("plot", [ROLLMAT, "plot", "--out", os.path.join(TMP, "plots"), rec], "plot")
print("ok")

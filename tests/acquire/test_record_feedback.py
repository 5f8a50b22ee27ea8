"""`rollmat record` feedback (acquire/record_feedback.h): a recording
stopped by SIGINT ends with one summary line (file, frames, duration,
losses) whose figures are the file's; --quiet prints nothing; on a terminal
(a real pty) a live status line is rewritten in place, then cleared for the
summary. The simulated mat is paced in real time, so there is always a
recording under way to interrupt."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["ROLLMAT_SOURCE_DIR"], "tests"))
import terminal  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
WAIT_S = 30.0  # an upper bound on any wait, never a measured duration
TMP = tempfile.mkdtemp(prefix="record-feedback-")
SUMMARY = re.compile(
    r"rollmat: record: (?P<file>\S+): (?P<frames>\d+) frames, (?P<t>[0-9.]+) s, [0-9.]+ Hz; "
    r"losses: (?P<dropped>\d+) frames dropped, (?P<crc>\d+) CRC errors, "
    r"(?P<skipped>\d+) bytes skipped, (?P<disc>\d+) disconnects \(stopped by Interrupt\)$")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def wait_for(cond, what):
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


def info(path):
    out = subprocess.run([ROLLMAT, "info", "--json", path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"info {path}: {out.stderr}")
    return json.loads(out.stdout)


def frames_written(path):
    """Frames already flushed to the file (SWMR), 0 before the first flush."""
    if not os.path.exists(path):
        return 0
    out = subprocess.run([ROLLMAT, "info", "--json", path], capture_output=True, text=True)
    return json.loads(out.stdout)["frames"] if out.returncode in (0, 3) and out.stdout else 0


def check_summary(line, path):
    m = SUMMARY.match(line)
    if not m:
        fail(f"no summary line: {line!r}")
    doc = info(path)
    if m["file"] != path or int(m["frames"]) != doc["frames"] or doc["frames"] == 0:
        fail(f"summary {line!r} disagrees with the file: {doc['frames']} frames")
    for key, field in (("dropped", "frames_dropped"), ("crc", "crc_errors"),
                       ("skipped", "bytes_skipped"), ("disc", "disconnects")):
        if int(m[key]) != doc[field]:
            fail(f"summary {key} {m[key]} != file {doc[field]}")
    if abs(float(m["t"]) - doc["duration_s"]) > 0.006:
        fail(f"summary duration {m['t']} != file {doc['duration_s']}")


def interrupted(path, *extra):
    """Records from the simulated mat into path until frames reach the file,
    then SIGINT; returns (exit code, stderr)."""
    p = subprocess.Popen([ROLLMAT, "record", "--device", "sim:good", "-o", path, *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: frames_written(path) > 0 or p.poll() is not None, "the first flush")
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=WAIT_S)
    return p.returncode, err


# 1. Not a terminal: no status line, one summary line after SIGINT.
path = os.path.join(TMP, "sigint.h5")
rc, err = interrupted(path)
if rc != 0:
    fail(f"exit {rc}: {err}")
if "\r" in err or len(err.splitlines()) != 1:
    fail(f"expected exactly the summary line on a pipe: {err!r}")
check_summary(err.rstrip("\n"), path)

# 2. --quiet: nothing at all, the file as valid.
path = os.path.join(TMP, "quiet.h5")
rc, err = interrupted(path, "--quiet")
if rc != 0 or err:
    fail(f"--quiet: exit {rc}, stderr {err!r}")
if not info(path)["complete"]:
    fail("--quiet: file not complete")

# 3. A terminal: the live line (time, frames, rate, losses, load), then the
# summary on a cleared line.
path = os.path.join(TMP, "tty.h5")
p, master = terminal.start([ROLLMAT, "record", "--device", "sim:good", "-o", path])
seen = b""
live = re.compile(rb"\r\x1b\[Krecording " + re.escape(path.encode())
                  + rb"  [0-9.]+ s  [1-9]\d* frames  [0-9.]+ Hz  lost \d+  (no load|roller loaded)")
deadline = time.monotonic() + WAIT_S
while not live.search(seen):
    if time.monotonic() > deadline or p.poll() is not None:
        fail(f"no live status line on the terminal: {seen!r}")
    if select.select([master], [], [], 0.1)[0]:
        seen += os.read(master, 4096)
p.send_signal(signal.SIGINT)
seen += terminal.read_rest(master)
p.wait(timeout=WAIT_S)
text = seen.decode()
tail = text.rsplit("\r\x1b[K", 1)[-1].replace("\r\n", "\n").rstrip("\n")
if p.returncode != 0 or "\n" in tail:
    fail(f"tty: exit {p.returncode}, ended with {tail!r}")
check_summary(tail, path)

# 4. A narrow terminal: the live line is cut to its width (a line that
# wrapped could not be rewritten in place); the summary is whole.
path = os.path.join(TMP, "narrow.h5")
p, master = terminal.start([ROLLMAT, "record", "--device", "sim:good", "-o", path], cols=40)
wait_for(lambda: frames_written(path) > 0 or p.poll() is not None, "the first flush")
p.send_signal(signal.SIGINT)
parts = terminal.read_rest(master).decode().split("\r\x1b[K")
p.wait(timeout=WAIT_S)
live = [x for x in parts[1:-1] if x]
if not live or any(len(x) > 39 for x in live) or not live[0].startswith("recording "):
    fail(f"narrow terminal: live lines {live!r}")
check_summary(parts[-1].replace("\r\n", "\n").rstrip("\n"), path)
print("ok")

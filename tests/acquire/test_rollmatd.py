"""rollmatd end to end: the real daemon replaying a generated wire capture
in real time (--device file:X.rmw --realtime), driven through its socket by
the real `rollmat` client and by raw lines; recordings checked with h5py.

    test_rollmatd.py control|sigterm|sigkill|auto|auto_stop|auto_sigterm|auto_fail|socket|
                     history
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib

import h5py
import numpy as np

ROLLMAT = os.environ["ROLLMAT"]
ROLLMATD = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rollmatd")
ROWS, COLS, RATE = 16, 8, 100
WAIT_S = 20.0  # an upper bound on any wait, never a measured duration

TMP = tempfile.mkdtemp(prefix="rollmatd-test-")
DAEMONS = []  # killed at exit, whatever happened


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- the capture -----------------------------------------------------------

def make_frames(n, loaded=lambda i: False, seed=1):
    """n frames of counts: noise, plus a roller band where loaded(i)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 16, size=(n, ROWS, COLS), dtype=np.uint16)
    for i in range(n):
        if loaded(i):
            row = 2 + (i // 10) % (ROWS - 5)
            frames[i, row:row + 3, :] += np.uint16(1500 + (i % 7) * 100)
    return frames


def write_capture(path, frames, model=b"test-mat1"):
    info = bytearray(64)
    info[0:2] = (1).to_bytes(2, "little")
    info[2], info[3] = ROWS, COLS
    info[4:6] = (10000).to_bytes(2, "little")
    info[6:8] = (10000).to_bytes(2, "little")
    info[8] = 12
    info[10:12] = (200).to_bytes(2, "little")
    info[12:14] = (RATE).to_bytes(2, "little")
    info[16:16 + 9] = b"TEST-0007"
    info[32:32 + len(model)] = model
    info[48:48 + 5] = b"1.2.3"
    with open(path, "wb") as f:
        f.write(b"RMWIRE01" + bytes(info))
        for seq, frame in enumerate(frames):
            body = (b"RMF1" + seq.to_bytes(4, "little")
                    + (seq * 10000 + 777).to_bytes(4, "little")
                    + bytes([ROWS, COLS]) + (0).to_bytes(2, "little")
                    + frame.astype("<u2").tobytes())
            f.write(body + zlib.crc32(body).to_bytes(4, "little"))


# ---- the daemon ------------------------------------------------------------

class Daemon:
    def __init__(self, capture, *extra, sock=None, dirname="sessions", env=None):
        self.dir = os.path.join(TMP, dirname)
        self.sock = sock or os.path.join(TMP, "ctl.sock")
        self.log = open(os.path.join(TMP, "rollmatd.log"), "ab")
        if env is None:
            # Only test_history keeps a history: the others must not leave
            # sessions in the suite's default one (analyze reads it).
            extra += ("--no-history",)
        self.proc = subprocess.Popen(
            [ROLLMATD, "--device", "file:" + capture, "--realtime", "--dir", self.dir,
             "--socket", self.sock, "--foreground", *extra],
            stdout=self.log, stderr=self.log, env=dict(os.environ, **(env or {})))
        DAEMONS.append(self.proc)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("rollmatd exited with %d at start" % self.proc.returncode)
            if os.path.exists(self.sock) and self.raw("status").startswith("ok"):
                return
            time.sleep(0.05)
        fail("rollmatd did not come up")

    def raw(self, line, data=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(WAIT_S)
        try:
            s.connect(self.sock)
        except OSError:
            return ""
        s.sendall(data if data is not None else line.encode() + b"\n")
        reply = s.makefile("rb").readline().decode().rstrip("\n")
        s.close()
        return reply

    def client(self, *args):
        r = subprocess.run([ROLLMAT, *args, "--socket", self.sock], capture_output=True,
                           text=True, timeout=WAIT_S)
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    def status(self):
        reply = self.raw("status")
        check(reply.startswith("ok {"), "status reply: %r" % reply)
        return json.loads(reply[3:])

    def wait_for(self, what, pred):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            st = self.status()
            if pred(st):
                return st
            time.sleep(0.05)
        fail("timed out waiting for " + what)

    def signal(self, sig):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("rollmatd did not stop on signal %d" % sig)

    def files(self):
        return sorted(f for f in os.listdir(self.dir) if f.endswith(".h5"))


def events_of(f):
    return [(float(e["t"]), e["kind"].decode(), e["label"].decode()) for e in f["events"][:]]


def check_frames_bit_exact(f, frames):
    seq = f["seq"][:]
    check(len(seq) > 0, "no frames recorded")
    check(np.all(np.diff(seq.astype(np.int64)) == 1), "seq not contiguous")
    check(np.all(np.diff(f["t"][:]) > 0), "/t not increasing")
    first = int(seq[0])
    want = frames[first:first + len(seq)]
    check(np.array_equal(f["frames"][:], want), "frames differ from the capture")


# ---- tests -----------------------------------------------------------------

def test_control():
    frames = make_frames(1500)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap)
    check(d.status()["state"] == "idle", "not idle before start")

    rc, out, err = d.client("start", "calf-left")
    check(rc == 0 and out.endswith(".h5"), "start: %d %r %r" % (rc, out, err))
    name = out
    d.wait_for("frames", lambda st: st["session"] and st["session"]["frames"] > 20)

    # Refused: unknown commands, labels naming paths, malformed lines.
    for line in ["bogus", "START", "rm -rf /", "stop now", "status x"]:
        r = d.raw(line)
        check(r.startswith("error "), "%r accepted: %r" % (line, r))
    for label in ["../evil", "a/b", "..", "x..y", "/etc/passwd", "-rf", "calf left",
                  "a" * 65, "caf\u00e9"]:
        for verb in ["muscle", "start"]:
            r = d.raw(verb + " " + label)
            check(r.startswith("error "), "%s %r accepted: %r" % (verb, label, r))
    check(d.raw("mark " + "x" * 65).startswith("error "), "65-byte mark accepted")
    check(d.raw(None, b"mark a\x00b\n").startswith("error "), "NUL accepted")
    check(d.raw(None, b"mark a\x01b\n").startswith("error "), "control char accepted")
    check(d.raw(None, b"mark \xff\xfe\n").startswith("error "), "bad UTF-8 accepted")
    check(d.raw(None, b"x" * 300 + b"\n").startswith("error "), "long line accepted")
    rc, out, err = d.client("muscle", "quad/left")
    check(rc == 1 and err.startswith("rollmat: muscle: bad label"), "client: %r" % err)
    rc, out, err = d.client("start")
    check(rc == 1 and "already recording" in err, "second start: %r" % err)

    # Accepted.
    check(d.client("muscle", "quad-left")[0] == 0, "muscle refused")
    check(d.client("mark", "felt a knot")[0] == 0, "mark refused")
    check(d.raw("mark caf\u00e9 \u2014 10/10").startswith("ok"), "UTF-8 mark refused")
    rc, out, err = d.client("status")
    check(rc == 0 and "segment quad-left" in out, "status: %r" % out)
    rc, out, err = d.client("stop")
    check(rc == 0 and out == name, "stop: %d %r %r" % (rc, out, err))
    rc, out, err = d.client("stop")
    check(rc == 1 and "not recording" in err, "stop when idle: %r" % err)

    check(d.signal(signal.SIGTERM) == 0, "exit code after SIGTERM")
    check(not os.path.exists(d.sock), "socket left behind")
    # Nothing but the one recording was created, anywhere.
    check(d.files() == [name], "files: %r" % d.files())
    check(sorted(os.listdir(TMP)) == ["mat.rmw", "rollmatd.log", "sessions"],
          "stray files: %r" % os.listdir(TMP))

    with h5py.File(os.path.join(d.dir, name), "r") as f:
        check(f.attrs["complete"] == 1, "not complete")
        ev = events_of(f)
        kinds = [(k, l) for _, k, l in ev]
        check(kinds == [("segment_start", "calf-left"), ("segment_end", "calf-left"),
                        ("segment_start", "quad-left"), ("mark", "felt a knot"),
                        ("mark", "caf\u00e9 \u2014 10/10"), ("segment_end", "quad-left")],
              "events: %r" % kinds)
        ts = [t for t, _, _ in ev]
        check(ts == sorted(ts), "event times not in order")
        check(f.attrs["device_serial"] == "TEST-0007", "serial")
        check(f.attrs["crc_errors"] == 0 and f.attrs["frames_dropped"] == 0, "losses")
        check(f.attrs["bytes_skipped"] == 0, "session did not start on a frame boundary")
        check_frames_bit_exact(f, frames)


def test_sigterm():
    frames = make_frames(1500)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap)
    rc, name, err = d.client("start", "hamstring-right")
    check(rc == 0, "start: %r" % err)
    d.wait_for("frames", lambda st: st["session"]["frames"] >= 100)
    check(d.signal(signal.SIGTERM) == 0, "exit code after SIGTERM")
    r = subprocess.run([ROLLMAT, "info", os.path.join(d.dir, name)], capture_output=True,
                       text=True, timeout=WAIT_S)
    check(r.returncode == 0 and "complete" in r.stdout, "rollmat info: %r" % r.stdout)
    with h5py.File(os.path.join(d.dir, name), "r") as f:
        check(f.attrs["complete"] == 1, "not complete after SIGTERM")
        kinds = [(k, l) for _, k, l in events_of(f)]
        check(kinds == [("segment_start", "hamstring-right"), ("segment_end", "hamstring-right")],
              "events: %r" % kinds)
        check(len(f["t"]) >= 100, "frames lost")
        check_frames_bit_exact(f, frames)


def test_sigkill():
    frames = make_frames(1500)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap)
    rc, name, err = d.client("start")
    check(rc == 0, "start: %r" % err)
    st = d.wait_for("3 s of frames", lambda st: st["session"]["t"] >= 3.0)
    d.signal(signal.SIGKILL)
    with h5py.File(os.path.join(d.dir, name), "r", swmr=True) as f:
        t = f["t"][:]
        check(len(t) == len(f["frames"]) == len(f["seq"]), "datasets disagree")
        # Frames wait at most flush_interval (1 s of device time) in memory.
        check(len(t) > 0 and t[-1] >= st["session"]["t"] - 1.0 - 1.0 / RATE,
              "lost more than the last second: file ends at %.2f s, status said %.2f s"
              % (t[-1] if len(t) else -1, st["session"]["t"]))
        check_frames_bit_exact(f, frames)
    # The socket the killed daemon left is stale: a new daemon takes it over.
    check(os.path.exists(d.sock), "socket vanished")
    d2 = Daemon(cap)
    check(d2.status()["state"] == "idle", "restart on a stale socket")
    check(d2.signal(signal.SIGTERM) == 0, "exit code")


def test_auto():
    # 1.5 s unloaded, 3 s of rolling, nothing; at 7.5 s a foot brushes the
    # mat for 0.4 s; the capture ends at 10 s.
    frames = make_frames(1000, loaded=lambda i: 150 <= i < 450 or 750 <= i < 790)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap, "--auto", "--auto-idle", "2")
    check(d.client("muscle", "glute-left")[0] == 0, "muscle before a session")
    st = d.wait_for("an automatic session", lambda st: st["session"] is not None)
    check(st["session"]["segment"] == "glute-left", "segment: %r" % st["session"])
    st = d.wait_for("the end of the capture", lambda st: st["state"] == "ended")
    name = st["last_session"]
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    # The brushing foot left no file.
    check(d.files() == [name], "files: %r" % d.files())
    with h5py.File(os.path.join(d.dir, name), "r") as f:
        check(f.attrs["complete"] == 1, "not complete")
        seq = f["seq"][:]
        # Begun with the load (within the daemon's tick), not a second late.
        check(150 <= seq[0] < 150 + RATE * 0.8, "started at frame %d" % seq[0])
        # Ended after 2 s without load, not while loaded, before the blip.
        check(450 + RATE * 1.9 <= seq[-1] < 750, "ended at frame %d" % seq[-1])
        kinds = [(k, l) for _, k, l in events_of(f)]
        check(kinds == [("segment_start", "glute-left"), ("segment_end", "glute-left")],
              "events: %r" % kinds)
        check_frames_bit_exact(f, frames)


def test_auto_stop():
    # `rollmat stop` while the runner is still on the roller ends the
    # session for good: --auto waits for the load to go away before it
    # starts another one (not 100 ms later, with the same roll).
    frames = make_frames(800, loaded=lambda i: 100 <= i < 700)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap, "--auto", "--auto-idle", "2")
    st = d.wait_for("a kept automatic session",
                    lambda st: st["session"] is not None and st["session"]["frames"] >= 150)
    rc, out, err = d.client("stop")
    check(rc == 0, "stop: %r" % err)
    check(st["session"]["frames"] < 400, "stop came too late to test anything")
    st = d.wait_for("the end of the capture", lambda st: st["state"] == "ended")
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    check(d.files() == [out], "files: %r (stopped %s)" % (d.files(), out))


def test_auto_sigterm():
    # SIGTERM in the first second of an automatic session (not yet known to
    # be more than a foot brushing the mat) still leaves the frames in a
    # complete file: a shutdown is not the end of the load.
    frames = make_frames(800, loaded=lambda i: 100 <= i < 700)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap, "--auto")
    st = d.wait_for("an automatic session",
                    lambda st: st["session"] is not None and st["session"]["frames"] >= 10)
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    name = st["session"]["file"]
    check(d.files() == [name], "files: %r (session %s)" % (d.files(), name))
    with h5py.File(os.path.join(d.dir, name), "r") as f:
        check(f.attrs["complete"] == 1, "not complete")
        check_frames_bit_exact(f, frames)


def test_auto_fail():
    # A session --auto cannot create (the directory is gone) is tried once
    # per load, not at every 100 ms tick for as long as the roller is
    # loaded; status says why.
    frames = make_frames(600, loaded=lambda i: 100 <= i < 500)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap, "--auto")
    os.rmdir(d.dir)
    with open(d.dir, "w") as f:  # a file where the directory was: ENOTDIR, even for root
        f.write("not a directory\n")
    st = d.wait_for("the end of the capture", lambda st: st["state"] == "ended")
    check(st["last_session"] is None, "a session started: %r" % st)
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    with open(os.path.join(TMP, "rollmatd.log"), "rb") as f:
        tries = f.read().count(b"cannot start a session")
    check(tries == 1, "%d attempts during one load" % tries)
    check(st["error"] is not None, "status does not say why: %r" % st)


def test_socket():
    frames = make_frames(300)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    # Not a socket: left alone, daemon refuses.
    path = os.path.join(TMP, "not-a-socket")
    with open(path, "w") as f:
        f.write("precious\n")
    r = subprocess.run([ROLLMATD, "--device", "file:" + cap, "--dir", os.path.join(TMP, "s"),
                        "--socket", path], capture_output=True, text=True, timeout=WAIT_S)
    check(r.returncode == 1 and "not a socket" in r.stderr, "rollmatd: %r" % r.stderr)
    check(open(path).read() == "precious\n", "file clobbered")
    # A live daemon's socket: the second one refuses, the first keeps it.
    d = Daemon(cap)
    check(os.stat(d.sock).st_mode & 0o777 == 0o660, "socket mode %o" % os.stat(d.sock).st_mode)
    r = subprocess.run([ROLLMATD, "--device", "file:" + cap, "--dir", os.path.join(TMP, "s"),
                        "--socket", d.sock], capture_output=True, text=True, timeout=WAIT_S)
    check(r.returncode == 1 and "another rollmatd" in r.stderr, "second: %r" % r.stderr)
    check(d.status()["state"] in ("idle", "ended"), "first daemon lost its socket")
    check(d.signal(signal.SIGINT) == 0, "exit code after SIGINT")
    # No daemon: the client says so in one line and exits 1.
    r = subprocess.run([ROLLMAT, "status", "--socket", d.sock], capture_output=True, text=True,
                       timeout=WAIT_S)
    check(r.returncode == 1 and r.stderr.startswith("rollmat: no rollmatd listening")
          and r.stderr.count("\n") == 1, "client without daemon: %r" % r.stderr)


def test_history():
    """Each finished session goes into the history: the default one, one
    given with --history, none with --no-history; the next session starts
    while the last is still being analysed."""
    frames = make_frames(2500, loaded=lambda i: True)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    for mode in ("default", "given", "none"):
        xdg = os.path.join(TMP, "xdg-" + mode)
        given = os.path.join(TMP, "given.sqlite")
        extra = {"default": [], "given": ["--history", given], "none": ["--no-history"]}[mode]
        d = Daemon(cap, *extra, dirname="sessions-" + mode, env={"XDG_DATA_HOME": xdg})
        names = []
        for label in ("calf-left", "calf-right"):
            rc, name, err = d.client("start", label)
            check(rc == 0, "start: %r" % err)
            d.wait_for("frames", lambda st: st["session"] and st["session"]["frames"] >= 100)
            rc, out, err = d.client("stop")
            check(rc == 0, "stop: %r" % err)
            names.append(name)
        check(d.signal(signal.SIGTERM) == 0, "exit code after SIGTERM")
        default = os.path.join(xdg, "rollmat", "history.sqlite")
        db = {"default": default, "given": given, "none": None}[mode]
        if db is None:
            check(not os.path.exists(default), "--no-history made a history")
            continue
        check(not (mode == "given" and os.path.exists(default)), "default used with --history")
        c = sqlite3.connect(db)
        rows = c.execute("SELECT recording_path, device_serial FROM sessions"
                         " ORDER BY recording_path").fetchall()
        labels = [r[0] for r in c.execute("SELECT label FROM segments ORDER BY label")]
        c.close()
        want = [(os.path.realpath(os.path.join(d.dir, n)), "TEST-0007") for n in sorted(names)]
        check(rows == want, "%s: history %r, want %r" % (mode, rows, want))
        check(labels == ["calf-left", "calf-right"], "segments %r" % labels)



def no_controls(text):
    """Whether text (str) holds no control character but newlines."""
    return not any((ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f for c in text)


def test_text():
    """A device whose model name holds ESC, BEL and a byte that is not
    UTF-8 (issue 12 item 6): the name is cleaned where it is read, the
    status JSON keeps its "model" key, and neither `rollmat status` nor
    `rollmat info` of the session sends a control character to a
    terminal."""
    frames = make_frames(1500)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames, model=b"Mat\x1b[2J\x07\xe9x")
    d = Daemon(cap)
    st = d.status()
    check("model" in (st["mat"] or {}), "status without a model key: %r" % st)
    model = st["mat"]["model"]
    check(model == "Mat[2J\ufffdx", "model in status: %r" % model)
    rc, out, err = d.client("status")
    check(rc == 0 and "Mat[2J" in out and no_controls(out), "rollmat status: %r" % out)
    rc, name, err = d.client("start", "calf-left")
    check(rc == 0, "start: %r" % err)
    d.wait_for("frames", lambda st: st["session"]["frames"] >= 50)
    rc, _, err = d.client("stop")
    check(rc == 0, "stop: %r" % err)
    path = os.path.join(d.dir, name)
    with h5py.File(path, "r") as f:
        stored = f.attrs["device_model"]
        stored = stored.decode() if isinstance(stored, bytes) else str(stored)
        check(stored == "Mat[2J\ufffdx", "device_model stored: %r" % stored)
    for args in (["info", path], ["info", "--json", path]):
        r = subprocess.run([ROLLMAT, *args], capture_output=True, timeout=WAIT_S)
        out = r.stdout.decode("utf-8")  # raises on anything not UTF-8
        check(r.returncode == 0 and "Mat[2J" in out and no_controls(out),
              "rollmat %s: %r" % (" ".join(args), out))



def test_auto_edges():
    """Issue 12 item 10. (1) An automatic stop stamps segment_end at the
    last loaded frame, not 2 s later when the idle time ran out. (2) A mat
    that stops in the first second of an automatic session (unplugged, or a
    capture that runs out) keeps the file, with its segment closed."""
    frames = make_frames(1000, loaded=lambda i: 150 <= i < 450)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap, "--auto", "--auto-idle", "2")
    check(d.client("muscle", "calf-left")[0] == 0, "muscle before a session")
    st = d.wait_for("the end of the capture", lambda st: st["state"] == "ended")
    name = st["last_session"]
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    with h5py.File(os.path.join(d.dir, name), "r") as f:
        t = f["t"][:]
        seq = f["seq"][:]
        last_loaded = float(t[list(seq).index(449)])
        ends = [te for te, k, _ in events_of(f) if k == "segment_end"]
        check(len(ends) == 1 and abs(ends[0] - last_loaded) <= 0.25,
              "segment_end at %r, the last loaded frame at %.3f s" % (ends, last_loaded))

    # The capture ends 0.5 s into the load: still a session worth keeping.
    shutil.rmtree(os.path.join(TMP, "sessions"), ignore_errors=True)
    frames = make_frames(250, loaded=lambda i: i >= 200)
    write_capture(cap, frames)
    d = Daemon(cap, "--auto")
    check(d.client("muscle", "calf-left")[0] == 0, "muscle before a session")
    st = d.wait_for("the end of the capture", lambda st: st["state"] == "ended")
    check(d.signal(signal.SIGTERM) == 0, "exit code")
    files = d.files()
    with open(os.path.join(TMP, "rollmatd.log"), "rb") as f:
        log = f.read().decode(errors="replace")[-2000:]
    check(len(files) == 1, "a session cut short by the mat was deleted: %r\n%s" % (files, log))
    if files:
        with h5py.File(os.path.join(d.dir, files[0]), "r") as f:
            kinds = [(k, l) for _, k, l in events_of(f)]
            check(kinds == [("segment_start", "calf-left"), ("segment_end", "calf-left")],
                  "events of a session the device ended: %r" % kinds)
            check(f.attrs["complete"] == 1, "not complete")


def test_idle_clients():
    """Clients that connect and say nothing (or half a line) never starve
    the others (issue 12 item 7): with every slot and more taken by idle
    connections, `rollmat status` still gets its answer at once."""
    frames = make_frames(300)
    cap = os.path.join(TMP, "mat.rmw")
    write_capture(cap, frames)
    d = Daemon(cap)
    idle = []
    for i in range(3 * 8):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sock)
        if i % 2:
            s.sendall(b"sta")  # half a command, never finished
        idle.append(s)
    for _ in range(3):
        rc, out, err = d.client("status")
        check(rc == 0 and "idle" in out and err == "",
              "status among idle clients: %d %r %r" % (rc, out, err))
    # The daemon still answers the raw protocol too.
    check(d.raw("status").startswith("ok {"), "raw status among idle clients")
    for s in idle:
        s.close()
    check(d.signal(signal.SIGINT) == 0, "exit code after SIGINT")


TESTS = {"control": test_control, "text": test_text, "history": test_history,
         "idle_clients": test_idle_clients, "auto_edges": test_auto_edges, "sigterm": test_sigterm, "sigkill": test_sigkill,
         "auto": test_auto, "auto_stop": test_auto_stop,
         "auto_sigterm": test_auto_sigterm,
         "auto_fail": test_auto_fail, "socket": test_socket}

if __name__ == "__main__":
    try:
        TESTS[sys.argv[1]]()
    finally:
        for proc in DAEMONS:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        subprocess.run(["rm", "-rf", TMP])
    print("ok")
